/*
 * npm.c — community.general.npm with the target's npm. Request 1 makes the
 * path (os.makedirs, as the module does even in check mode), runs `npm list
 * --json --long` there (and `npm outdated` for state latest); the
 * controller reads the JSON as the module does (a dependency missing or
 * invalid is missing; NAME@VERSION must be installed). Request 2, only
 * outside check mode and when something is missing, outdated or to
 * remove: `npm install`, `update`, `uninstall` or `ci`, failed as
 * run_command(check_rc=True) fails. Every command is the module's argv
 * (its options in its order), run in the path, never through a shell.
 */
#include "mod.h"

static const ModParam npm_params[] = {
    {.name = "name", .type = MP_STR},
    {.name = "path", .type = MP_PATH},
    {.name = "version", .type = MP_STR},
    {.name = "production", .type = MP_BOOL, .def = "no"},
    {.name = "executable", .type = MP_PATH},
    {.name = "registry", .type = MP_STR},
    {.name = "state", .type = MP_STR, .choices = "present,absent,latest", .def = "present"},
    {.name = "ignore_scripts", .type = MP_BOOL, .def = "no"},
    {.name = "unsafe_perm", .type = MP_BOOL, .def = "no"},
    {.name = "ci", .type = MP_BOOL, .def = "no"},
    {.name = "no_optional", .type = MP_BOOL, .def = "no"},
    {.name = "no_bin_links", .type = MP_BOOL, .def = "no"},
    {.name = "global", .type = MP_BOOL, .def = "no"},
};
const ModSchema mod_schema_npm = {
    .name = "npm",
    .params = npm_params,
    .nparams = MOD_N(npm_params),
    .tools = "npm",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

typedef struct Npm {
  char *name, *path, *version, *executable, *registry, *state, *name_version;
  bool glbl, production, ignore_scripts, unsafe_perm, ci, no_optional, no_bin_links;
} Npm;

/* Npm._exec's command line for `verb` (after the executable's words). */
static void npm_argv(const Npm *n, const char *verb, bool add_name, ModArgv *a) {
  if (n->executable) { /* executable.split(' ') */
    const char *p = n->executable;
    for (;;) {
      const char *sp = strchr(p, ' ');
      char *w = rt_xstrndup(p, sp ? (size_t)(sp - p) : strlen(p));
      mod_argv_add(a, w);
      free(w);
      if (!sp)
        break;
      p = sp + 1;
    }
  } else {
    mod_argv_add(a, "npm"); /* replaced by the full path found on the target */
  }
  if (!strcmp(verb, "list")) {
    mod_argv_add(a, "list");
    mod_argv_add(a, "--json");
    mod_argv_add(a, "--long");
  } else {
    mod_argv_add(a, verb);
  }
  if (n->glbl)
    mod_argv_add(a, "--global");
  bool inst = false;
  for (size_t i = 0; i < a->n; i++)
    inst |= !strcmp(a->v[i], "install") || !strcmp(a->v[i], "update") || !strcmp(a->v[i], "ci");
  if (n->production && inst)
    mod_argv_add(a, "--production");
  if (n->ignore_scripts)
    mod_argv_add(a, "--ignore-scripts");
  if (n->unsafe_perm)
    mod_argv_add(a, "--unsafe-perm");
  if (n->name_version && add_name)
    mod_argv_add(a, n->name_version);
  if (n->registry) {
    mod_argv_add(a, "--registry");
    mod_argv_add(a, n->registry);
  }
  if (n->no_optional)
    mod_argv_add(a, "--no-optional");
  if (n->no_bin_links)
    mod_argv_add(a, "--no-bin-links");
}

/* Script text: run argv `a` as KEY in the path (made when missing). */
static void sh_exec(RtBuf *s, const Npm *n, const char *key, const ModArgv *a) {
  mod_sh_argv(s, a);
  if (!n->executable)
    rt_buf_puts(s, "shift; set -- \"$npm\" \"$@\"\n");
  if (n->path)
    rt_buf_puts(s, "[ -e \"$p\" ] || mkdir -p -- \"$p\" || { __playc_rec fail mkdir; exit 0; }\n"
                   "[ -d \"$p\" ] || { __playc_rec fail notdir; exit 0; }\n"
                   "cd -- \"$p\" || exit 1\n");
  rt_buf_printf(s, "pc_cap %s \"$@\"\n", key);
}

static void sh_head(RtBuf *s, const Npm *n) {
  mod_ps_sh_begin(s);
  if (!n->executable) {
    mod_ps_sh_need(s, "npm", "npm");
    rt_buf_puts(s, "__playc_rec npm.path \"$npm\"\n");
  }
  if (n->path) {
    mod_sh_set_path(s, "p", n->path);
    rt_buf_puts(s, "__playc_rec p \"$p\"\n");
  }
}

/* Python's bool() of a JSON value. */
static bool truthy(RtValue *v) {
  RtValue *err = NULL;
  int32_t t = rt_truth(v, &err);
  rt_decref(err);
  return t == 1;
}

/* Npm.list: fills installed/missing; NULL, or the module's failure. */
static RtValue *npm_list(const Npm *n, const char *out, RtValue *installed, RtValue *missing) {
  char *err = NULL;
  const char *text = out && *out ? out : "{}";
  RtValue *data = rt_parse_json(text, strlen(text), &err);
  if (!data) {
    RtValue *r = mod_fail_result("Failed to parse NPM output with error %s", err ? err : "");
    free(err);
    return r;
  }
  RtValue *deps = rt_kind(data) == RT_DICT ? rt_dict_get(data, "dependencies") : NULL;
  if (deps && rt_kind(deps) == RT_DICT) {
    for (size_t i = 0; i < deps->u.dict.len; i++) {
      const char *dep = deps->u.dict.ents[i].key->u.str.s;
      RtValue *props = deps->u.dict.ents[i].val;
      RtValue *ms = rt_kind(props) == RT_DICT ? rt_dict_get(props, "missing") : NULL;
      RtValue *inv = rt_kind(props) == RT_DICT ? rt_dict_get(props, "invalid") : NULL;
      RtValue *ver = rt_kind(props) == RT_DICT ? rt_dict_get(props, "version") : NULL;
      if ((ms && truthy(ms)) || (inv && truthy(inv))) {
        rt_list_push(missing, rt_strz(dep));
        continue;
      }
      rt_list_push(installed, rt_strz(dep));
      if (ver && truthy(ver)) {
        RtBuf b = {0};
        rt_buf_printf(&b, "%s@", dep);
        rt_render_str(&b, ver);
        size_t bl = b.len;
        rt_list_push(installed, rt_str_take(rt_buf_take(&b), bl));
      }
    }
    bool found = false;
    for (size_t i = 0; n->name_version && i < rt_len(installed); i++)
      found |= !strcmp(rt_list_at(installed, i)->u.str.s, n->name_version);
    if (n->name_version && !found)
      rt_list_push(missing, rt_strz(n->name ? n->name : ""));
  } else {
    rt_list_push(missing, n->name ? rt_strz(n->name) : rt_none());
  }
  rt_decref(data);
  return NULL;
}

/* run_command(check_rc=True)'s failure for capture `key` of argv `a`. */
static RtValue *cmd_failure(const RtExec *ex, const char *key, const ModArgv *a, const char *npm) {
  ModCap c = {0};
  mod_ps_cap(ex, key, &c);
  RtValue *r = NULL;
  if (c.rc != 0) {
    const char *err = c.err ? c.err : "";
    size_t el = strlen(err);
    while (el && strchr(" \t\n\r\v\f", err[el - 1]))
      el--;
    char *msg = rt_xstrndup(err, el);
    r = mod_fail_result("%s", msg);
    free(msg);
    RtBuf cmd = {0};
    for (size_t i = 0; i < a->n; i++) {
      if (i)
        rt_buf_putc(&cmd, ' ');
      mod_py_shlex_quote(&cmd, i == 0 && npm ? npm : a->v[i]);
    }
    size_t cl = cmd.len;
    rt_dict_set(r, "cmd", rt_str_take(rt_buf_take(&cmd), cl));
    rt_dict_set(r, "rc", rt_int(c.rc));
    mod_ps_out(r, c.out ? c.out : "", c.err ? c.err : "");
  }
  mod_ps_cap_free(&c);
  return r;
}

static void npm_free(Npm *n) {
  free(n->name);
  free(n->path);
  free(n->version);
  free(n->executable);
  free(n->registry);
  free(n->state);
  free(n->name_version);
}

RtValue *mod_npm(RtHost *h, RtValue *args) {
  Npm n = {0};
  n.name = mod_arg_str(args, "name");
  n.path = mod_arg_str(args, "path");
  n.version = mod_arg_str(args, "version");
  n.executable = mod_arg_str(args, "executable");
  n.registry = mod_arg_str(args, "registry");
  n.state = mod_arg_str(args, "state");
  if (!n.state)
    n.state = rt_xstrdup("present");
  n.glbl = mod_arg_bool(args, "global", 0) == 1;
  n.production = mod_arg_bool(args, "production", 0) == 1;
  n.ignore_scripts = mod_arg_bool(args, "ignore_scripts", 0) == 1;
  n.unsafe_perm = mod_arg_bool(args, "unsafe_perm", 0) == 1;
  n.ci = mod_arg_bool(args, "ci", 0) == 1;
  n.no_optional = mod_arg_bool(args, "no_optional", 0) == 1;
  n.no_bin_links = mod_arg_bool(args, "no_bin_links", 0) == 1;
  bool absent = !strcmp(n.state, "absent"), latest = !strcmp(n.state, "latest");
  if (n.name && n.version && *n.version && !absent)
    n.name_version = rt_xasprintf("%s@%s", n.name, n.version);
  else if (n.name)
    n.name_version = rt_xstrdup(n.name);
  RtValue *r = NULL, *installed = rt_list_new(8), *missing = rt_list_new(4);
  RtBuf s = {0};
  RtExec ex, ex2;
  bool have = false, have2 = false;
  ModArgv la = {0}, oa = {0};
  if (!n.path && !n.glbl) {
    r = mod_fail_result("path must be specified when not using global");
    goto done;
  }
  if (absent && !n.name) {
    r = mod_fail_result("uninstalling a package is only available for named packages");
    goto done;
  }
  sh_head(&s, &n);
  if (!n.ci) {
    npm_argv(&n, "list", false, &la);
    rt_buf_puts(&s, "(\n");
    sh_exec(&s, &n, "l", &la);
    rt_buf_puts(&s, ")\n");
    if (latest) {
      npm_argv(&n, "outdated", true, &oa);
      rt_buf_puts(&s, "(\n");
      sh_exec(&s, &n, "o", &oa);
      rt_buf_puts(&s, ")\n");
    }
  }
  if (mod_sh_exec(h, &s, &ex) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  const char *npm = n.executable ? NULL : mod_rec(&ex, "npm.path");
  if (mod_rec_is(&ex, "fail", "notdir")) {
    r = mod_fail_result("path %s is not a directory", mod_rec(&ex, "p"));
    goto done;
  }
  if (mod_rec_is(&ex, "fail", "mkdir")) {
    r = mod_fail_result("[Errno 13] Permission denied: '%s'", mod_rec(&ex, "p"));
    goto done;
  }
  bool changed = false;
  const char *verbs[2] = {NULL, NULL};
  if (n.ci) {
    changed = true;
    verbs[0] = "ci";
  } else {
    ModCap c = {0};
    mod_ps_cap(&ex, "l", &c);
    r = npm_list(&n, c.out, installed, missing);
    mod_ps_cap_free(&c);
    if (r)
      goto done;
    if (!absent && rt_len(missing)) {
      changed = true;
      verbs[0] = "install";
    }
    if (latest) {
      ModCap o = {0};
      mod_ps_cap(&ex, "o", &o);
      RtValue *lines = mod_lines(o.out ? o.out : "", o.out ? strlen(o.out) : 0);
      bool outdated = false;
      for (size_t i = 0; i < rt_len(lines); i++)
        outdated |= rt_list_at(lines, i)->u.str.len > 0;
      rt_decref(lines);
      mod_ps_cap_free(&o);
      if (outdated) {
        changed = true;
        verbs[verbs[0] ? 1 : 0] = "update";
      }
    }
    if (absent) {
      for (size_t i = 0; i < rt_len(installed); i++)
        if (!strcmp(rt_list_at(installed, i)->u.str.s, n.name)) {
          changed = true;
          verbs[0] = "uninstall";
          break;
        }
    }
  }
  if (changed && !h->check_mode) {
    ModArgv va[2] = {{0}, {0}};
    sh_head(&s, &n);
    for (int i = 0; i < 2 && verbs[i]; i++) {
      npm_argv(&n, verbs[i], true, &va[i]);
      rt_buf_puts(&s, "(\n"); /* check_rc: a failure ends the module */
      sh_exec(&s, &n, i ? "v2" : "v1", &va[i]);
      rt_buf_puts(&s, ") || exit 0\n");
    }
    if (mod_sh_exec(h, &s, &ex2) >= 0) {
      have2 = true;
      for (int i = 0; i < 2 && verbs[i] && !r; i++)
        r = cmd_failure(&ex2, i ? "v2" : "v1", &va[i], npm);
    }
    mod_argv_free(&va[0]);
    mod_argv_free(&va[1]);
    if (r || !have2)
      goto done;
  }
  r = rt_dict_new(1);
  rt_dict_set(r, "changed", rt_bool(changed));
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s);
  mod_argv_free(&la);
  mod_argv_free(&oa);
  rt_decref(installed);
  rt_decref(missing);
  npm_free(&n);
  return r;
}

#endif
