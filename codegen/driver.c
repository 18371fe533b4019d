/*
 * driver.c — the `playc` command: parses the command line and runs the
 * pipeline as one function: load → lower → infer types → fold → verify →
 * either print the plan, or emit an object to a temporary file, link it with
 * the runtime and remove the temporary. Exit codes follow Ansible's: 0 ok,
 * 4 a diagnostic error in the playbook, 5 a bad command-line option. Nothing
 * is left behind on error. `playc vault ...` is a separate command
 * (vault_cli.c), dispatched before any of this.
 */
#include "codegen.h"
#include "../modules/modules.h"
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLAYC_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_DIAG = 4, EXIT_USAGE = 5 };

typedef struct DrvOpts {
  const char *playbook;
  const char *out;
  const char *plan; /* NULL, "text" or "json" */
  int opt_level;
  bool emit_llvm;
  bool strict;
  const char *roles_path;
} DrvOpts;

static void drv_usage(FILE *f) {
  fputs("usage: playc [options] PLAYBOOK\n"
        "       playc vault ACTION [options] [FILE...]   (ansible-vault; see playc vault --help)\n"
        "  -o OUT              output executable (default: the playbook's name without extension)\n"
        "  --plan[=text|json]  print the compilation plan to stdout and stop\n"
        "  -O0, -O1, -O2       optimisation level (default -O1: light IR passes, fast\n"
        "                      instruction selection; -O2: LLVM's full pipeline)\n"
        "  --emit-llvm         also write OUT.ll\n"
        "  --roles-path P      roles search path (also ANSIBLE_ROLES_PATH)\n"
        "  --strict            faults Ansible reports only when a task runs (an unknown\n"
        "                      module parameter, a missing handler) are errors, not warnings\n"
        "  --list-modules      the modules playc compiles, with their parameters\n"
        "  -h, --help          this help\n"
        "  --version           print the version\n",
        f);
}

/* --list-modules: each module and its parameters, from the schema table. */
static void drv_list_modules(void) {
  static const char *const types[] = {"str", "bool", "int", "path", "raw", "list", "dict", "mode", "expr", "list of expr"};
  for (int32_t i = 0; i < mod_nschemas; i++) {
    const ModSchema *m = mod_schemas[i];
    printf("%s%s\n", m->name, m->free_form ? " (free-form)" : "");
    for (int32_t j = 0; j < m->nparams; j++) {
      const ModParam *p = &m->params[j];
      printf("  %-24s %s%s", p->name, types[p->type], p->required ? ", required" : "");
      if (p->aliases)
        printf(", aliases: %s", p->aliases);
      if (p->choices)
        printf(", choices: %s", p->choices);
      putchar('\n');
    }
    if (m->any_params)
      puts("  (any variable name)");
    if (m->tools) /* (system family) what it runs on the target, and its collection name */
      printf("  target tools: %s\n", m->tools);
    if (m->collection)
      printf("  also named: %s.%s\n", m->collection, m->name);
  }
}

/* Returns -1 to go on, else an exit code. */
static int drv_parse(int argc, char **argv, DrvOpts *o) {
  o->opt_level = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      drv_usage(stdout);
      return EXIT_OK;
    } else if (!strcmp(a, "--list-modules")) {
      drv_list_modules();
      return EXIT_OK;
    } else if (!strcmp(a, "--version")) {
      printf("playc %s\n", PLAYC_VERSION);
      return EXIT_OK;
    } else if (!strcmp(a, "-o") && i + 1 < argc) {
      o->out = argv[++i];
    } else if (!strcmp(a, "--plan") || !strcmp(a, "--plan=text")) {
      o->plan = "text";
    } else if (!strcmp(a, "--plan=json")) {
      o->plan = "json";
    } else if (!strcmp(a, "-O0") || !strcmp(a, "-O1") || !strcmp(a, "-O2")) {
      o->opt_level = a[2] - '0';
    } else if (!strcmp(a, "--strict")) {
      o->strict = true;
    } else if (!strcmp(a, "--emit-llvm")) {
      o->emit_llvm = true;
    } else if (!strcmp(a, "--roles-path") && i + 1 < argc) {
      o->roles_path = argv[++i];
    } else if (!strncmp(a, "--roles-path=", 13)) {
      o->roles_path = a + 13;
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "playc: error: unknown or incomplete option '%s'\n", a);
      drv_usage(stderr);
      return EXIT_USAGE;
    } else if (o->playbook) {
      fprintf(stderr, "playc: error: more than one playbook given ('%s', '%s')\n", o->playbook, a);
      return EXIT_USAGE;
    } else {
      o->playbook = a;
    }
  }
  if (!o->playbook) {
    fprintf(stderr, "playc: error: no playbook given\n");
    drv_usage(stderr);
    return EXIT_USAGE;
  }
  return -1;
}

/* The configured roles search path (after roles/ beside the playbook, which
 * the loader tries first): --roles-path, then roles_path of ansible.cfg or
 * ANSIBLE_ROLES_PATH (runtime/config.c), else Ansible's default. */
static void drv_roles(PcCtx *c, const DrvOpts *o) {
  PcVec v = {0};
  if (o->roles_path && *o->roles_path) {
    char *s = pc_strdup(c, o->roles_path);
    for (char *tok = strtok(s, ":"); tok; tok = strtok(NULL, ":"))
      pc_vec_push(c, &v, tok);
  }
  const char *const *cfg = rt_config_list(RT_CFG_ROLES_PATH);
  if (cfg) {
    for (; *cfg; cfg++)
      if (**cfg)
        pc_vec_push(c, &v, (void *)pc_strdup(c, *cfg));
  } else {
    const char *home = getenv("HOME");
    const char *def = pc_sprintf(c, "%s/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles", home ? home : "");
    char *s = pc_strdup(c, def);
    for (char *tok = strtok(s, ":"); tok; tok = strtok(NULL, ":"))
      pc_vec_push(c, &v, tok);
  }
  c->roles_path = (const char **)v.items;
  c->nroles_path = v.len;
}

/* Default output: the playbook's file name without extension, in the cwd. */
static const char *drv_out(PcCtx *c, const DrvOpts *o) {
  if (o->out)
    return o->out;
  const char *base = strrchr(o->playbook, '/');
  base = base ? base + 1 : o->playbook;
  const char *dot = strrchr(base, '.');
  return dot && dot != base ? pc_strndup(c, base, (size_t)(dot - base)) : pc_sprintf(c, "%s.out", base);
}

static bool drv_write_ll(PcCtx *c, const CgBackend *be, const IrProgram *p, const CgOptions *cg,
                         const char *out) {
  char *ll = be->emit_llvm_text(c, p, cg);
  if (!ll)
    return false;
  const char *path = pc_sprintf(c, "%s.ll", out);
  FILE *f = fopen(path, "w");
  bool ok = f && fputs(ll, f) >= 0;
  if (f && fclose(f) != 0)
    ok = false;
  free(ll);
  if (!ok)
    pc_error(c, "cannot write %s", path);
  return ok;
}

/* Object in a temp file → link → remove the temp. */
static bool drv_build(PcCtx *c, const IrProgram *p, const DrvOpts *o) {
  const char *out = drv_out(c, o);
  const CgBackend *be = cg_backend(c);
  if (!be)
    return false;
  CgOptions cg = {0};
  cg.opt_level = o->opt_level;
  cg.plan_text = ir_print_text(c, p);
  cg.plan_json = ir_print_json(c, p);
  char cwd[4096];
  cg.base_dir = getcwd(cwd, sizeof cwd) ? pc_strdup(c, cwd) : "";
  char tmp[] = "/tmp/playc-XXXXXX.o";
  int fd = mkstemps(tmp, 2);
  if (fd < 0) {
    pc_error(c, "cannot create a temporary object file");
    return false;
  }
  close(fd);
  bool ok = be->emit_object(c, p, &cg, tmp) && cg_link(c, tmp, out);
  unlink(tmp);
  if (ok && o->emit_llvm)
    ok = drv_write_ll(c, be, p, &cg, out);
  return ok;
}

/* --plan a task at a time (ir/stream.c): the exit code, or -1 when the
 * program cannot be planned so (nothing was printed: the caller plans the
 * whole program). */
static int drv_plan_stream(PcCtx *c, FePlaybook *pb, const DrvOpts *o) {
  IrStream *st = ir_stream_new(c, strcmp(o->plan, "json") == 0);
  if (!st)
    return -1;
  IrProgram *p = ir_lower_stream(c, pb, st);
  if (!p) {
    ir_stream_free(st);
    return -1;
  }
  bool ok = true;
  int rc = ir_stream_finish(st, p, stderr, stdout, &ok);
  ir_stream_free(st);
  if (!ok) {
    pc_error(c, "cannot write the plan: %s", strerror(errno));
    return EXIT_DIAG;
  }
  return rc;
}

static void drv_config_warn(const char *msg) { fprintf(stderr, "playc: warning: %s\n", msg); }

static int drv_run(PcCtx *c, const DrvOpts *o) {
  char *err = NULL;
  if (!rt_config_load(&err)) { /* ansible.cfg: a setting of the wrong type */
    fprintf(stderr, "playc: error: %s\n", err);
    free(err);
    return EXIT_USAGE;
  }
  rt_config_warnings(false, drv_config_warn); /* the compiler reads roles_path and collections_path only */
  drv_roles(c, o);
  c->strict = o->strict;
  c->plan_only = o->plan != NULL;
  FePlaybook *pb = fe_load_playbook(c, o->playbook);
  if (!pb)
    return EXIT_DIAG;
  /* PLAYC_PLAN_WHOLE=1: the whole program at once (tests compare the two) */
  const char *whole = getenv("PLAYC_PLAN_WHOLE");
  if (o->plan && !c->nerrors && ir_stream_fits(pb) && !(whole && *whole == '1')) {
    int rc = drv_plan_stream(c, pb, o);
    if (rc >= 0)
      return rc;
    /* not plannable a task at a time: the whole program, from a fresh
     * context whose load prints nothing (the first one printed it) */
    pc_ctx_free(c);
    pc_ctx_init(c);
    drv_roles(c, o);
    c->strict = o->strict;
    c->plan_only = true;
    FILE *null = fopen("/dev/null", "w");
    if (null)
      c->diag_out = null;
    pb = fe_load_playbook(c, o->playbook);
    c->diag_out = stderr;
    if (null)
      fclose(null);
    if (!pb)
      return EXIT_DIAG;
  }
  IrProgram *p = ir_lower(c, pb); /* also after playbook errors: report them all */
  if (!p || c->nerrors)
    return EXIT_DIAG;
  ir_infer_types(c, p); /* a method the receiver's known type lacks is an error */
  if (c->nerrors)
    return EXIT_DIAG;
  ir_fold(c, p);
  ir_verify(c, p);
  if (o->plan) {
    bool ok = strcmp(o->plan, "json") == 0 ? ir_print_json_to(c, p, stdout) : ir_print_text_to(c, p, stdout);
    if (fflush(stdout) != 0 || !ok) {
      pc_error(c, "cannot write the plan: %s", strerror(errno));
      return EXIT_DIAG;
    }
    return EXIT_OK;
  }
  if (!ir_check_build(c, p))
    return EXIT_DIAG;
  return drv_build(c, p, o) ? EXIT_OK : EXIT_DIAG;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "vault") == 0) /* a playbook named so: playc ./vault */
    return cg_vault_main(argc - 1, argv + 1);
  DrvOpts o = {0};
  int rc = drv_parse(argc, argv, &o);
  if (rc >= 0)
    return rc;
  PcCtx c;
  pc_ctx_init(&c);
  rc = drv_run(&c, &o);
  pc_ctx_free(&c);
  return rc;
}
