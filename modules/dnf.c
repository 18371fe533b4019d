/*
 * dnf.c — ansible.builtin.dnf with the target's dnf and rpm commands, no
 * Python. The module asks dnf's Python API; playc asks the same questions
 * with commands, in its order: request 1 finds, per name, whether it is
 * installed (`rpm -q`, by name as _is_installed filters), what dnf would
 * install or upgrade (`dnf repoquery --latest-limit 1`, then
 * `--whatprovides` as dnf's install resolves capabilities; `--upgrades`
 * for latest) and what absent removes (`rpm -q`, then `--whatprovides`).
 * That is the transaction the module resolves: check mode lists it and
 * has dnf resolve it (`--assumeno`, one more request). Request 2 runs
 * `dnf OPTIONS -y install|upgrade|remove|autoremove -- NAMES` between two
 * `rpm -qa` listings: what appeared is the module's install_set
 * ("Installed: N-V-R.A"), what went its remove_set, sorted (the module
 * iterates a set). list= asks `dnf repoquery` (or `repolist`). Not done
 * (the task fails saying so): @groups and modules, local .rpm files, URLs
 * and paths; allow_downgrade of a versioned name is left to dnf.
 */
#include "mod.h"

static const ModParam dnf_params[] = {
    {.name = "name", .type = MP_LIST, .elements = MP_STR, .aliases = "pkg"},
    {.name = "state", .type = MP_STR, .choices = "absent,installed,latest,present,removed"},
    {.name = "allow_downgrade", .type = MP_BOOL, .def = "false"},
    {.name = "allowerasing", .type = MP_BOOL, .def = "false"},
    {.name = "autoremove", .type = MP_BOOL, .def = "false"},
    {.name = "bugfix", .type = MP_BOOL, .def = "false"},
    {.name = "cacheonly", .type = MP_BOOL, .def = "false"},
    {.name = "conf_file", .type = MP_STR},
    {.name = "disable_excludes", .type = MP_STR},
    {.name = "disable_gpg_check", .type = MP_BOOL, .def = "false"},
    {.name = "disable_plugin", .type = MP_LIST, .elements = MP_STR},
    {.name = "disablerepo", .type = MP_LIST, .elements = MP_STR},
    {.name = "download_only", .type = MP_BOOL, .def = "false"},
    {.name = "download_dir", .type = MP_STR},
    {.name = "enable_plugin", .type = MP_LIST, .elements = MP_STR},
    {.name = "enablerepo", .type = MP_LIST, .elements = MP_STR},
    {.name = "exclude", .type = MP_LIST, .elements = MP_STR},
    {.name = "installroot", .type = MP_STR, .def = "/"},
    {.name = "install_repoquery", .type = MP_BOOL, .def = "true"},
    {.name = "install_weak_deps", .type = MP_BOOL, .def = "true"},
    {.name = "list", .type = MP_STR},
    {.name = "nobest", .type = MP_BOOL, .def = "false"},
    {.name = "releasever", .type = MP_STR},
    {.name = "security", .type = MP_BOOL, .def = "false"},
    {.name = "skip_broken", .type = MP_BOOL, .def = "false"},
    {.name = "update_cache", .type = MP_BOOL, .aliases = "expire-cache", .def = "false"},
    {.name = "update_only", .type = MP_BOOL, .def = "false"},
    {.name = "validate_certs", .type = MP_BOOL, .def = "true"},
    {.name = "sslverify", .type = MP_BOOL, .def = "true"},
    {.name = "lock_timeout", .type = MP_INT, .def = "30"},
};
const ModSchema mod_schema_dnf = {
    .name = "dnf",
    .params = dnf_params,
    .nparams = MOD_N(dnf_params),
    /* required_one_of name/list/update_cache never fires: name's default [] counts */
    .exclusive = "name,list",
    .tools = "dnf,rpm",
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The target side: dq runs dnf with the module's configuration, rq rpm -q
 * (with --root); QF (rpm) and DQF (dnf) print a package as str(dnf.Package)
 * does: N-[E:]V-R.A, the epoch only when it is not 0. */
static const char DNF_FUNCS[] = "O=$__playc_scr/o E=$__playc_scr/e\n"
                                "QF='%{name}-%|epoch?{%{epoch}:}|%{version}-%{release}.%{arch}\\n'\n"
                                "DQF='%{name}-%{evr}.%{arch}\\n'\n"
                                "lrun() ( export LANG=\"$pc_loc\" LC_ALL=\"$pc_loc\" LC_MESSAGES=\"$pc_loc\" "
                                "LANGUAGE=\"$pc_loc\"; \"$@\" )\n"
                                "rq() { if [ -n \"$ROOT\" ]; then lrun \"$RPM\" --root \"$ROOT\" -q \"$@\"; "
                                "else lrun \"$RPM\" -q \"$@\"; fi; }\n"
                                "rqo() { rq \"$@\" >\"$O\" 2>/dev/null </dev/null; r=$?; "
                                "grep -q -e ' is not installed$' -e '^no package provides ' \"$O\" && return 1; return $r; }\n"
                                "dqo() { lrun dq \"$@\" >\"$O\" 2>\"$E\" </dev/null; r=$?; "
                                "[ $r = 0 ] || { __playc_rec err \"$(cat \"$E\")\"; exit 0; }; "
                                "grep -q '[^[:space:]]' \"$O\"; }\n"
                                "lst() { rq -a --qf \"$QF\" 2>/dev/null </dev/null | grep '[^[:space:]]' | LC_ALL=C sort; }\n";

typedef struct {
  RtHost *h;
  RtValue *args;
  char *state;
  RtValue *names;
  ModArgv opts; /* dnf's options from the module's configuration */
  bool autorm, uo, dlonly;
} Dnf;

/* Arg `name` as the module listifies it: elements stripped, each comma-split. */
static RtValue *list_arg(RtValue *args, const char *name) {
  RtValue *v = mod_arg_list(args, name), *l = rt_list_new(4);
  for (size_t i = 0; v && i < rt_len(v); i++) {
    RtValue *e = rt_list_at(v, i);
    const char *p = rt_kind(e) == RT_STR ? e->u.str.s : "";
    for (;;) {
      const char *c = strchr(p, ',');
      size_t n = c ? (size_t)(c - p) : strlen(p);
      const char *q = p;
      while (n && isspace((unsigned char)*q))
        q++, n--;
      while (n && isspace((unsigned char)q[n - 1]))
        n--;
      if (n || !c)
        rt_list_push(l, rt_str(q, n));
      if (!c)
        break;
      p = c + 1;
    }
  }
  if (v)
    rt_decref(v);
  /* "".split(',') is [''], dropped by the module's `if x` filters only for repos */
  for (size_t i = rt_len(l); i > 0; i--)
    if (!*rt_list_at(l, i - 1)->u.str.s && rt_len(l) == 1) {
      rt_decref(l);
      return rt_list_new(0);
    }
  return l;
}

/* Appends one option per element of list arg `name`, as FMT. */
static void opt_list(Dnf *d, const char *name, const char *fmt) {
  RtValue *l = list_arg(d->args, name);
  for (size_t i = 0; i < rt_len(l); i++)
    if (*rt_list_at(l, i)->u.str.s)
      mod_argv_addf(&d->opts, fmt, rt_list_at(l, i)->u.str.s);
  rt_decref(l);
}

/* _configure_base and _specify_repositories as dnf's command-line options. */
static void base_options(Dnf *d) {
  ModArgv *a = &d->opts;
  char *conf = mod_arg_str(d->args, "conf_file"), *root = mod_arg_str(d->args, "installroot");
  char *rel = mod_arg_str(d->args, "releasever"), *de = mod_arg_str(d->args, "disable_excludes");
  char *dd = mod_arg_str(d->args, "download_dir");
  if (conf && *conf)
    mod_argv_addf(a, "--config=%s", conf);
  mod_argv_add(a, "--quiet");
  if (mod_arg_bool(d->args, "disable_gpg_check", 0) == 1)
    mod_argv_add(a, "--nogpgcheck");
  if (mod_arg_bool(d->args, "sslverify", 1) == 0)
    mod_argv_add(a, "--setopt=sslverify=False");
  if (root && strcmp(root, "/"))
    mod_argv_addf(a, "--installroot=%s", root);
  opt_list(d, "exclude", "--exclude=%s");
  if (de && *de)
    mod_argv_addf(a, "--disableexcludes=%s", de);
  if (rel)
    mod_argv_addf(a, "--releasever=%s", rel);
  if (mod_arg_bool(d->args, "skip_broken", 0) == 1)
    mod_argv_add(a, "--skip-broken");
  if (mod_arg_bool(d->args, "nobest", 0) == 1)
    mod_argv_add(a, "--nobest");
  if (d->dlonly) {
    mod_argv_add(a, "--downloadonly");
    if (dd && *dd)
      mod_argv_addf(a, "--downloaddir=%s", dd);
  }
  if (mod_arg_bool(d->args, "cacheonly", 0) == 1)
    mod_argv_add(a, "--cacheonly");
  mod_argv_addf(a, "--setopt=clean_requirements_on_remove=%s", d->autorm ? "True" : "False");
  if (mod_arg_bool(d->args, "install_weak_deps", 1) == 0)
    mod_argv_add(a, "--setopt=install_weak_deps=False");
  opt_list(d, "disable_plugin", "--disableplugin=%s");
  opt_list(d, "enable_plugin", "--enableplugin=%s");
  opt_list(d, "disablerepo", "--disablerepo=%s");
  opt_list(d, "enablerepo", "--enablerepo=%s");
  if (mod_arg_bool(d->args, "bugfix", 0) == 1)
    mod_argv_add(a, "--bugfix");
  if (mod_arg_bool(d->args, "security", 0) == 1)
    mod_argv_add(a, "--security");
  free(conf);
  free(root);
  free(rel);
  free(de);
  free(dd);
}

/* The prelude of both requests: tools, locale, ROOT, dq. */
static void dnf_sh_begin(Dnf *d, RtBuf *s) {
  mod_ps_sh_begin(s);
  rt_buf_puts(s, "pc_bin dnf || pc_nobin dnf; DNF=$pc_v\npc_bin rpm || pc_nobin rpm; RPM=$pc_v\npc_locale\n");
  char *root = mod_arg_str(d->args, "installroot");
  mod_sh_set(s, "ROOT", root && strcmp(root, "/") ? root : "");
  free(root);
  rt_buf_puts(s, DNF_FUNCS);
  char *conf = mod_arg_str(d->args, "conf_file");
  if (conf && *conf) {
    mod_sh_set(s, "CONF", conf);
    rt_buf_puts(s, "[ -r \"$CONF\" ] || { __playc_rec noconf 1; exit 0; }\n");
  }
  free(conf);
  rt_buf_puts(s, "dq() {\n  set --");
  for (size_t i = 0; i < d->opts.n; i++) {
    rt_buf_putc(s, ' ');
    rt_sh_quote(s, d->opts.v[i]);
  }
  rt_buf_puts(s, " \"$@\"\n  \"$DNF\" \"$@\"\n}\n");
}

/* A request; false with *r set on a lost host (NULL), a missing tool or a dnf error. */
static bool run(Dnf *d, RtBuf *s, RtExec *ex, bool *have, RtValue **r) {
  char *err = NULL;
  int rc = rt_host_exec(d->h, s->data, NULL, 0, ex, &err);
  free(err);
  if (rc < 0)
    return false;
  *have = true;
  if ((*r = mod_ps_missing(ex)) != NULL)
    return false;
  if (mod_rec(ex, "noroot")) {
    *r = mod_fail_result("This command has to be run under the root user.");
    rt_dict_set(*r, "results", rt_list_new(0));
    return false;
  }
  if (mod_rec(ex, "noconf")) {
    char *c = mod_arg_str(d->args, "conf_file");
    *r = mod_fail_result("cannot read configuration file");
    rt_dict_set(*r, "conf_file", rt_strz(c ? c : ""));
    rt_dict_set(*r, "results", rt_list_new(0));
    free(c);
    return false;
  }
  if (mod_rec(ex, "err")) { /* a RepoError: the repositories could not be read */
    const char *e = mod_rec(ex, "err");
    if (!strncmp(e, "Error: ", 7))
      e += 7;
    *r = mod_fail_result("Failed to synchronize repodata: %s", e);
    rt_dict_set(*r, "rc", rt_int(1));
    rt_dict_set(*r, "results", rt_list_new(0));
    rt_dict_set(*r, "changed", rt_bool(false));
    return false;
  }
  return true;
}

/* The lines of `text` (non-empty) appended to `l`, each after `prefix`. */
static void push_lines(RtValue *l, const char *prefix, const char *text) {
  for (const char *p = text; p && *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n) {
      char *t = rt_xasprintf("%s%.*s", prefix, (int)n, p);
      rt_list_push(l, rt_str_take(t, strlen(t)));
    }
    p = e ? e + 1 : NULL;
  }
}

static bool has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = text; p && *p;) {
    const char *e = strchr(p, '\n');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == n && !strncmp(p, line, n))
      return true;
    p = e ? e + 1 : NULL;
  }
  return false;
}

/* `text`'s lines that `other` lacks, sorted as they come. */
static char *lines_minus(const char *text, const char *other) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (const char *p = text; p && *p;) {
    const char *e = strchr(p, '\n');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    char *t = rt_xstrndup(p, l);
    if (l && !has_line(other, t))
      rt_buf_printf(&b, "%s\n", t);
    free(t);
    p = e ? e + 1 : NULL;
  }
  return rt_buf_take(&b);
}

/* The module's response and failure_response. */
static RtValue *response(const char *msg, bool changed, RtValue *results, int rc) {
  RtValue *r = rt_dict_new(5);
  rt_dict_set(r, "msg", rt_strz(msg));
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "results", results);
  rt_dict_set(r, "rc", rt_int(rc));
  return r;
}

static RtValue *failure(const char *msg, RtValue *failures) {
  RtValue *r = response(msg, false, rt_list_new(0), 1);
  rt_dict_set(r, "failures", failures ? failures : rt_list_new(0));
  rt_dict_set(r, "failed", rt_bool(true));
  return r;
}

/* Request 1's questions for name i, recorded as i<k> (installed), m<k>
 * (no match), c<k> (the packages install/upgrade would bring), o<k> (what
 * an upgrade replaces), g<k> (what remove takes). */
static void ask(Dnf *d, RtBuf *s, size_t i, const char *spec) {
  bool glob = strpbrk(spec, "*?[") != NULL;
  mod_sh_set(s, "s", spec);
  if (!strcmp(d->state, "absent") || !strcmp(d->state, "removed")) {
    if (glob)
      rt_buf_puts(s, "rqo -a --qf \"$QF\" \"$s\"; grep -q . \"$O\"\n");
    else
      rt_buf_puts(s, "rqo --qf \"$QF\" -- \"$s\" || rqo --qf \"$QF\" --whatprovides -- \"$s\"\n");
    rt_buf_printf(s, "[ $? != 0 ] || __playc_rec g%zu \"$(cat \"$O\")\"\n", i);
    return;
  }
  if (glob) { /* not installed by name (filtered literally); install() brings what it matches and lacks */
    if (d->uo)
      return;
    rt_buf_printf(s, "if dqo repoquery --latest-limit 1 --qf '%%{name}\\n' -- \"$s\"; then\n"
                     "  cp \"$O\" \"$__playc_scr/gn\"; : >\"$__playc_scr/gc\"\n"
                     "  while IFS= read -r n; do rqo --qf \"$QF\" -- \"$n\" || "
                     "{ dqo repoquery --latest-limit 1 --qf \"$DQF\" -- \"$n\" && cat \"$O\" >>\"$__playc_scr/gc\"; }; "
                     "done <\"$__playc_scr/gn\"\n"
                     "  __playc_rec c%zu \"$(cat \"$__playc_scr/gc\")\"\n"
                     "else __playc_rec m%zu 1; fi\n",
                  i, i);
    return;
  }
  bool latest = !strcmp(d->state, "latest");
  rt_buf_printf(s, "if rqo --qf \"$QF\" -- \"$s\"; then __playc_rec i%zu 1; old=$(cat \"$O\")\n", i);
  if (latest || d->uo)
    rt_buf_printf(s, "  if dqo repoquery --upgrades --latest-limit 1 --qf \"$DQF\" -- \"$s\"; then "
                     "__playc_rec c%zu \"$(cat \"$O\")\"; __playc_rec o%zu \"$old\"; fi\n",
                  i, i);
  rt_buf_printf(s, "elif dqo repoquery --latest-limit 1 --qf \"$DQF\" -- \"$s\" || "
                   "dqo repoquery --latest-limit 1 --qf \"$DQF\" --whatprovides -- \"$s\"; then\n"
                   "  c=$(cat \"$O\"); dqo repoquery --latest-limit 1 --qf '%%{name}\\n' --whatprovides -- \"$s\" "
                   "|| dqo repoquery --latest-limit 1 --qf '%%{name}\\n' -- \"$s\"\n"
                   "  p=; while IFS= read -r n; do ! rqo --qf \"$QF\" -- \"$n\" || p=1; done <\"$O\"\n"
                   "  if [ -n \"$p\" ]; then __playc_rec i%zu 1; else __playc_rec c%zu \"$c\"; fi\n"
                   "else __playc_rec m%zu 1; fi\n",
                i, i, i);
}

/* ensure() for names: the questions, then the transaction (or its check-mode answer). */
static RtValue *dnf_ensure(Dnf *d) {
  size_t n = rt_len(d->names);
  RtValue *r = NULL, *results = rt_list_new(n + 1), *fails = rt_list_new(0);
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false, rm = !strcmp(d->state, "absent") || !strcmp(d->state, "removed");
  bool all = n == 1 && !strcmp(rt_list_at(d->names, 0)->u.str.s, "*") && !strcmp(d->state, "latest");
  RtBuf s = {0}, s2 = {0}, inst = {0}, gone = {0};
  ModArgv ins = {0}, upg = {0}, rem = {0};
  rt_buf_add(&inst, "", 0);
  rt_buf_add(&gone, "", 0);
  dnf_sh_begin(d, &s);
  if (!d->dlonly) /* am_i_root(), before the base is made */
    rt_buf_puts(&s, "[ \"$(id -u)\" = 0 ] || { __playc_rec noroot 1; exit 0; }\n");
  if (all) {
    rt_buf_puts(&s, "dqo repoquery --upgrades --latest-limit 1 --qf \"$DQF\" && __playc_rec c0 \"$(cat \"$O\")\"\n"
                    ": >\"$__playc_scr/n\"; dqo repoquery --upgrades --latest-limit 1 --qf '%{name}\\n' && cp \"$O\" \"$__playc_scr/n\"\n"
                    "while IFS= read -r p; do rqo --qf \"$QF\" -- \"$p\" && cat \"$O\"; done <\"$__playc_scr/n\" "
                    ">\"$__playc_scr/old\"; __playc_rec o0 \"$(cat \"$__playc_scr/old\")\"\n");
  } else if (rm && !n && d->autorm) {
    rt_buf_puts(&s, "dqo repoquery --unneeded --qf \"$DQF\" && __playc_rec g0 \"$(cat \"$O\")\"\n");
  } else {
    for (size_t i = 0; i < n; i++)
      ask(d, &s, i, rt_list_at(d->names, i)->u.str.s);
    if (rm && d->autorm) /* base.autoremove() joins the transaction */
      rt_buf_puts(&s, "dqo repoquery --unneeded --qf \"$DQF\" && __playc_rec un \"$(cat \"$O\")\"\n");
  }
  if (!run(d, &s, &ex, &have, &r))
    goto done;
  for (size_t i = 0; i < (all || (rm && !n) ? 1 : n); i++) {
    const char *spec = n ? rt_list_at(d->names, i)->u.str.s : "";
    char k[32];
    snprintf(k, sizeof k, "m%zu", i);
    if (mod_rec(&ex, k)) {
      char *m = rt_xasprintf("No package %s available.", spec);
      rt_list_push(fails, rt_str_take(m, strlen(m)));
      continue;
    }
    snprintf(k, sizeof k, "g%zu", i);
    const char *g = mod_rec(&ex, k);
    if (rm) {
      if (g && *g) {
        rt_buf_puts(&gone, g);
        rt_buf_putc(&gone, '\n');
        for (const char *p = g; *p;) { /* remove(str(pkg)) for each match */
          const char *e = strchr(p, '\n');
          char *w = rt_xstrndup(p, e ? (size_t)(e - p) : strlen(p));
          if (*w)
            mod_argv_add(&rem, w);
          free(w);
          p = e ? e + 1 : p + strlen(p);
        }
      } else if (strchr(spec, '*')) { /* remove()'s "no package matched", sanitized */
        char *m = rt_xasprintf("%s is not installed", spec);
        rt_list_push(results, rt_str_take(m, strlen(m)));
      }
      continue;
    }
    snprintf(k, sizeof k, "i%zu", i);
    bool installed = mod_rec(&ex, k) != NULL;
    if (!installed && d->uo) {
      char *m = rt_xasprintf("Packages providing %s not installed due to update_only specified", spec);
      rt_list_push(results, rt_str_take(m, strlen(m)));
      continue;
    }
    snprintf(k, sizeof k, "c%zu", i);
    const char *c = mod_rec(&ex, k);
    if (!c || !*c)
      continue;
    rt_buf_puts(&inst, c);
    rt_buf_putc(&inst, '\n');
    snprintf(k, sizeof k, "o%zu", i);
    if (mod_rec(&ex, k)) {
      rt_buf_puts(&gone, mod_rec(&ex, k));
      rt_buf_putc(&gone, '\n');
    }
    if (!all)
      mod_argv_add(installed ? &upg : &ins, spec);
  }
  if (mod_rec(&ex, "un")) {
    rt_buf_puts(&gone, mod_rec(&ex, "un"));
    rt_buf_putc(&gone, '\n');
  }
  if (rt_len(fails)) {
    r = failure("Failed to install some of the specified packages", fails);
    fails = NULL;
    goto done;
  }
  if (!inst.len && !gone.len) {
    r = response("Nothing to do", false, rt_incref(results), 0);
    goto done;
  }
  bool dry = d->h->check_mode;
  if (dry || d->dlonly) {
    char *a = lines_minus(inst.data, ""), *b = lines_minus(gone.data, "");
    push_lines(results, d->dlonly ? "Downloaded: " : "Installed: ", a);
    push_lines(results, "Removed: ", b);
    free(a);
    free(b);
  }
  /* the transaction between two listings of the rpm database; in check
   * mode resolved only (--assumeno), as the module's resolve() */
  dnf_sh_begin(d, &s2);
  rt_buf_puts(&s2, "lst >\"$__playc_scr/b\"\n");
  ModArgv c = {0};
  const ModArgv *ops[] = {&ins, &upg, &rem};
  const char *verbs[] = {"install", "upgrade", "remove"};
  int nrun = 0;
  for (int k = all ? -1 : 0; k < 4; k++) {
    mod_argv_free(&c);
    if (k == -1) {
      mod_argv_add(&c, "upgrade");
    } else if (k == 3) {
      if (!rm || !d->autorm)
        continue;
      mod_argv_add(&c, "autoremove");
    } else {
      if (!ops[k]->n)
        continue;
      mod_argv_add(&c, verbs[k]);
      if (k != 2 && mod_arg_bool(d->args, "allowerasing", 0) == 1)
        mod_argv_add(&c, "--allowerasing");
      mod_argv_add(&c, "--");
      for (size_t i = 0; i < ops[k]->n; i++)
        mod_argv_add(&c, ops[k]->v[i]);
    }
    mod_sh_argv(&s2, &c);
    if (dry)
      rt_buf_printf(&s2, "pc_cap run%d lrun dq --assumeno \"$@\" || grep -q 'Operation aborted' \"$E\" || exit 0\n",
                    nrun++);
    else
      rt_buf_printf(&s2, "pc_cap run%d lrun dq -y \"$@\" || exit 0\n", nrun++);
  }
  mod_argv_free(&c);
  rt_buf_puts(&s2, "lst >\"$__playc_scr/a\"\n__playc_rec before \"$(cat \"$__playc_scr/b\")\"\n"
                   "__playc_rec after \"$(cat \"$__playc_scr/a\")\"\n");
  if (!run(d, &s2, &ex2, &have2, &r))
    goto done;
  for (int k = 0; k < nrun; k++) {
    ModCap cp;
    char key[16];
    snprintf(key, sizeof key, "run%d", k);
    if (!mod_ps_cap(&ex2, key, &cp))
      break;
    if (cp.rc != 0 && !(dry && strstr(cp.err ? cp.err : "", "Operation aborted"))) {
      const char *e = cp.err ? cp.err : "";
      if (!strncmp(e, "Error: ", 7))
        e += 7;
      size_t el = strlen(e);
      while (el && isspace((unsigned char)e[el - 1]))
        el--;
      char *m = rt_xasprintf("Depsolve Error occurred: %.*s", (int)el, e);
      r = failure(m, NULL);
      free(m);
      mod_ps_cap_free(&cp);
      goto done;
    }
    mod_ps_cap_free(&cp);
  }
  if (dry) {
    r = response("Check mode: No changes made, but would have if not in check mode", true, rt_incref(results), 0);
    goto done;
  }
  if (d->dlonly) {
    r = response("", true, rt_incref(results), 0);
    goto done;
  }
  const char *b = mod_rec(&ex2, "before"), *a = mod_rec(&ex2, "after");
  char *added = lines_minus(a, b), *went = lines_minus(b, a);
  push_lines(results, "Installed: ", added);
  push_lines(results, "Removed: ", went);
  r = response(*added || *went ? "" : "Nothing to do", *added || *went, rt_incref(results), 0);
  free(added);
  free(went);
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s);
  rt_buf_free(&s2);
  rt_buf_free(&inst);
  rt_buf_free(&gone);
  mod_argv_free(&ins);
  mod_argv_free(&upg);
  mod_argv_free(&rem);
  rt_decref(results);
  if (fails)
    rt_decref(fails);
  return r;
}

/* _package_dict of one "name\tarch\tepoch\trelease\tversion\trepoid\tinstalltime" line. */
static RtValue *package_dict(const char *line) {
  const char *f[7] = {0};
  size_t l[7] = {0};
  const char *p = line;
  for (int k = 0; k < 7; k++) {
    const char *t = strchr(p, '\t');
    f[k] = p;
    l[k] = t && k < 6 ? (size_t)(t - p) : strlen(p);
    p = t && k < 6 ? t + 1 : p + strlen(p);
  }
  static const char *const keys[] = {"name", "arch", "epoch", "release", "version", "repo"};
  RtValue *d = rt_dict_new(9);
  for (int k = 0; k < 6; k++)
    rt_dict_set(d, keys[k], rt_str(f[k], l[k]));
  char *envra = rt_xasprintf("%.*s:%.*s-%.*s-%.*s.%.*s", (int)l[2], f[2], (int)l[0], f[0], (int)l[4], f[4],
                             (int)l[3], f[3], (int)l[1], f[1]);
  rt_dict_set(d, "envra", rt_strz(envra));
  rt_dict_set(d, "nevra", rt_str_take(envra, strlen(envra)));
  bool avail = l[6] == 0 || (l[6] == 1 && f[6][0] == '0');
  rt_dict_set(d, "yumstate", rt_strz(avail ? "available" : "installed"));
  return d;
}

/* list_items(): installed, upgrades (updates), available, repos, or a spec. */
static RtValue *dnf_list(Dnf *d, const char *what) {
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false, repos = !strcmp(what, "repos") || !strcmp(what, "repositories");
  RtValue *r = NULL;
  dnf_sh_begin(d, &s);
  rt_buf_puts(&s, "LQF='%{name}\\t%{arch}\\t%{epoch}\\t%{release}\\t%{version}\\t%{repoid}\\t%{installtime}\\n'\n");
  if (repos)
    rt_buf_puts(&s, "dqo repolist --enabled; __playc_rec l \"$(sed 1d \"$O\" | awk '{print $1}')\"\n");
  else if (!strcmp(what, "installed") || !strcmp(what, "upgrades") || !strcmp(what, "updates") ||
           !strcmp(what, "available"))
    rt_buf_printf(&s, "dqo repoquery --%s --qf \"$LQF\"; __playc_rec l \"$(cat \"$O\")\"\n",
                  !strcmp(what, "updates") ? "upgrades" : what);
  else {
    mod_sh_set(&s, "s", what);
    rt_buf_puts(&s, "dqo repoquery --installed --qf \"$LQF\" -- \"$s\"; cp \"$O\" \"$__playc_scr/l\"\n"
                    "dqo repoquery --qf \"$LQF\" -- \"$s\"; __playc_rec l \"$(cat \"$__playc_scr/l\" \"$O\")\"\n");
  }
  if (run(d, &s, &ex, &have, &r)) {
    RtValue *l = rt_list_new(4);
    for (const char *p = mod_rec(&ex, "l"); p && *p;) {
      const char *e = strchr(p, '\n');
      char *line = rt_xstrndup(p, e ? (size_t)(e - p) : strlen(p));
      if (*line && repos) {
        RtValue *o = rt_dict_new(2);
        rt_dict_set(o, "repoid", rt_strz(line));
        rt_dict_set(o, "state", rt_strz("enabled"));
        rt_list_push(l, o);
      } else if (*line) {
        rt_list_push(l, package_dict(line));
      }
      free(line);
      p = e ? e + 1 : NULL;
    }
    r = rt_dict_new(3);
    rt_dict_set(r, "msg", rt_strz(""));
    rt_dict_set(r, "results", l);
    rt_dict_set(r, "changed", rt_bool(false));
  }
  if (have)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  return r;
}

/* update_cache alone: _base() with update_cache, then "Cache updated". */
static RtValue *dnf_cache(Dnf *d) {
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false;
  RtValue *r = NULL;
  dnf_sh_begin(d, &s);
  rt_buf_puts(&s, "dqo makecache || :\n");
  if (run(d, &s, &ex, &have, &r))
    r = response("Cache updated", false, rt_list_new(0), 0);
  if (have)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  return r;
}

RtValue *mod_dnf(RtHost *h, RtValue *args) {
  Dnf d = {.h = h, .args = args};
  RtValue *r = NULL;
  char *list = mod_arg_str(args, "list"), *conf = mod_arg_str(args, "conf_file");
  d.names = list_arg(args, "name");
  if (rt_len(d.names) == 1 && !*rt_list_at(d.names, 0)->u.str.s && !rt_dict_get(args, "name")) {
    rt_decref(d.names);
    d.names = rt_list_new(0);
  }
  d.state = mod_arg_str(args, "state");
  d.autorm = mod_arg_bool(args, "autoremove", 0) == 1;
  d.uo = mod_arg_bool(args, "update_only", 0) == 1;
  d.dlonly = mod_arg_bool(args, "download_only", 0) == 1;
  for (size_t i = 0; i < rt_len(d.names); i++) {
    const char *nm = rt_list_at(d.names, i)->u.str.s;
    if (strchr(nm, ' ') && !strpbrk(nm, "@><=")) {
      r = mod_fail_result("It appears that a space separated string of packages was passed in as an argument. To "
                          "operate on several packages, pass a comma separated string of packages or a list of "
                          "packages.");
      goto done;
    }
  }
  if (d.autorm && d.state && strcmp(d.state, "absent") && strcmp(d.state, "removed")) {
    r = mod_fail_result("Autoremove should be used alone or with state=absent");
    rt_dict_set(r, "results", rt_list_new(0));
    goto done;
  }
  for (size_t i = 0; i < rt_len(d.names); i++) {
    const char *nm = rt_list_at(d.names, i)->u.str.s;
    size_t l = strlen(nm);
    if (strstr(nm, "://") || (l >= 4 && !strcmp(nm + l - 4, ".rpm")) || strchr(nm, '/') || nm[0] == '@') {
      r = mod_fail_result("playc: dnf installs no groups, modules, paths, local .rpm files or URLs yet (%s)", nm);
      goto done;
    }
  }
  base_options(&d);
  if (mod_arg_bool(args, "update_cache", 0) == 1 && !rt_len(d.names) && !list) {
    r = dnf_cache(&d);
    goto done;
  }
  if (list) {
    if (mod_arg_bool(args, "update_cache", 0) == 1)
      mod_argv_add(&d.opts, "--refresh");
    r = dnf_list(&d, list);
    goto done;
  }
  if (!d.state)
    d.state = rt_xstrdup("installed");
  if (!rt_len(d.names) && d.autorm) {
    free(d.state);
    d.state = rt_xstrdup("absent");
  }
  if (mod_arg_bool(args, "update_cache", 0) == 1)
    mod_argv_add(&d.opts, "--refresh");
  r = dnf_ensure(&d);
done:
  mod_argv_free(&d.opts);
  rt_decref(d.names);
  free(d.state);
  free(list);
  free(conf);
  return r;
}

#endif
