/*
 * git_config.c — community.general.git_config with the target's git.
 * Request 1 reads the setting (or every setting, list_all) with `git
 * config --includes` in the module's folder (the repo for scope local, else
 * /) and the C locale; the controller compares as the module does. Request
 * 2, only when the value changes outside check mode, sets it (or --unset).
 * Failures carry the module's messages: git's stderr as msg, the command
 * as it joins it.
 */
#include "mod.h"

static const ModParam gitc_params[] = {
    {.name = "list_all", .type = MP_BOOL, .def = "no"},
    {.name = "name", .type = MP_STR},
    {.name = "repo", .type = MP_PATH},
    {.name = "file", .type = MP_PATH},
    {.name = "scope", .type = MP_STR, .choices = "file,local,global,system"},
    {.name = "state", .type = MP_STR, .choices = "present,absent", .def = "present"},
    {.name = "value", .type = MP_STR},
};
const ModSchema mod_schema_git_config = {
    .name = "git_config",
    .params = gitc_params,
    .nparams = MOD_N(gitc_params),
    .exclusive = "list_all,name;list_all,value;list_all,state",
    .required_if = "scope=local:repo;scope=file:file",
    .one_of = "list_all,name",
    .tools = "git",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* str.rstrip(): the length of `s` without trailing whitespace */
static size_t rstrip_len(const char *s) {
  size_t n = strlen(s);
  while (n && strchr(" \t\n\r\v\f", s[n - 1]))
    n--;
  return n;
}

/* Script text: `pc_cap KEY "$git" WORDS...` in "$dir" when it is a folder
 * (run_command's cwd), with the module's C locale; word `fidx` is "$f"
 * (the file expanded on the target). */
static void sh_git(RtBuf *s, const char *key, const ModArgv *a, size_t fidx) {
  rt_buf_puts(s, "( [ ! -d \"$dir\" ] || cd \"$dir\" || exit 1\n"
                 "  LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C; export LANG LC_ALL LC_MESSAGES LC_CTYPE\n");
  rt_buf_printf(s, "  pc_cap %s \"$git\"", key);
  for (size_t i = 0; i < a->n; i++) {
    rt_buf_putc(s, ' ');
    if (i == fidx)
      rt_buf_puts(s, "\"$f\"");
    else
      mod_py_shlex_quote(s, a->v[i]);
  }
  rt_buf_puts(s, "\n)\n");
}

/* ' '.join(args) with git's full path first */
static char *join_args(const char *git, const ModArgv *a) {
  RtBuf b = {0};
  rt_buf_puts(&b, git);
  for (size_t i = 0; i < a->n; i++)
    rt_buf_printf(&b, " %s", a->v[i]);
  return rt_buf_take(&b);
}

RtValue *mod_git_config(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *repo = mod_arg_str(args, "repo"), *file = mod_arg_str(args, "file");
  char *scope = mod_arg_str(args, "scope"), *state = mod_arg_str(args, "state"), *value = mod_arg_str(args, "value");
  bool list_all = mod_arg_bool(args, "list_all", 0) == 1;
  if (name && !*name) {
    free(name);
    name = NULL;
  }
  if (scope && !*scope) {
    free(scope);
    scope = NULL;
  }
  if (!scope && !list_all)
    scope = rt_xstrdup("system");
  bool unset = state && strcmp(state, "absent") == 0;
  const char *new_value = !unset && value && *value ? value : NULL;
  ModArgv a = {0};
  mod_argv_add(&a, "config");
  mod_argv_add(&a, "--includes");
  if (list_all)
    mod_argv_add(&a, "-l");
  RtBuf s = {0};
  mod_ps_sh_begin(&s);
  mod_ps_sh_need(&s, "git", "git");
  rt_buf_puts(&s, "__playc_rec git \"$git\"\n");
  bool local = scope && strcmp(scope, "local") == 0;
  mod_sh_set_path(&s, "dir", local || (list_all && repo) ? (repo ? repo : "") : "/");
  rt_buf_puts(&s, "__playc_rec dir \"$dir\"\n");
  if (scope && strcmp(scope, "file") == 0) {
    mod_sh_set_path(&s, "f", file ? file : "");
    rt_buf_puts(&s, "__playc_rec f \"$f\"\n");
  }
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  char *err = NULL, *cmdtext = NULL;
  RtValue *r = NULL;
  size_t fidx = (size_t)-1;
  if (scope && strcmp(scope, "file") == 0) {
    mod_argv_add(&a, "-f");
    fidx = a.n;
    mod_argv_add(&a, ""); /* "$f": its text once the target has expanded it */
  } else if (scope) {
    mod_argv_addf(&a, "--%s", scope);
  }
  if (name)
    mod_argv_add(&a, name);
  sh_git(&s, "g", &a, fidx);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (fidx != (size_t)-1) {
    free(a.v[fidx]);
    a.v[fidx] = rt_xstrdup(mod_rec(&ex, "f") ? mod_rec(&ex, "f") : "");
  }
  const char *git = mod_rec(&ex, "git");
  ModCap c = {0};
  if (!mod_ps_cap(&ex, "g", &c)) {
    mod_ps_cap_free(&c);
    r = mod_fail_result("git did not run: %s", ex.err.data ? ex.err.data : "");
    goto done;
  }
  cmdtext = join_args(git, &a);
  const char *out = c.out ? c.out : "", *gerr = c.err ? c.err : "";
  if (list_all && scope && c.rc == 128 && strstr(gerr, "unable to read config file")) {
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "msg", rt_strz(""));
    rt_dict_set(r, "config_values", rt_dict_new(1));
    mod_ps_cap_free(&c);
    goto done;
  }
  if (c.rc >= 2) {
    r = mod_fail_result("%s", gerr);
    rt_dict_set(r, "rc", rt_int(c.rc));
    rt_dict_set(r, "cmd", rt_strz(cmdtext));
    mod_ps_cap_free(&c);
    goto done;
  }
  size_t on = rstrip_len(out);
  if (list_all) {
    RtValue *vals = rt_dict_new(8), *lines = mod_lines(out, on);
    for (size_t i = 0; i < rt_len(lines); i++) {
      const char *l = rt_list_at(lines, i)->u.str.s, *eq = strchr(l, '=');
      if (!eq) { /* the module's k, v = value.split('=', 1) fails here */
        r = mod_fail_result("not enough values to unpack (expected 2, got 1)");
        break;
      }
      char *k = rt_xstrndup(l, (size_t)(eq - l));
      rt_dict_set(vals, k, rt_strz(eq + 1));
      free(k);
    }
    rt_decref(lines);
    if (!r) {
      r = rt_dict_new(3);
      rt_dict_set(r, "changed", rt_bool(false));
      rt_dict_set(r, "msg", rt_strz(""));
      rt_dict_set(r, "config_values", rt_incref(vals));
    }
    rt_decref(vals);
    mod_ps_cap_free(&c);
    goto done;
  }
  if (!new_value && !unset) {
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "msg", rt_strz(""));
    rt_dict_set(r, "config_value", rt_str(out, on));
    mod_ps_cap_free(&c);
    goto done;
  }
  if (unset && !*out) {
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "msg", rt_strz("no setting to unset"));
    mod_ps_cap_free(&c);
    goto done;
  }
  char *old = rt_xstrndup(out, on);
  mod_ps_cap_free(&c);
  if (new_value && strcmp(old, new_value) == 0) {
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "msg", rt_strz(""));
    free(old);
    goto done;
  }
  if (!h->check_mode) {
    ModArgv hdr = {0}, b = {0}; /* args after args.insert(len(args) - 1, "--unset"), and cmd */
    for (size_t i = 0; i < a.n; i++) {
      if (unset && i == a.n - 1)
        mod_argv_add(&hdr, "--unset");
      mod_argv_add(&hdr, a.v[i]);
    }
    for (size_t i = 0; i < hdr.n; i++)
      mod_argv_add(&b, hdr.v[i]);
    if (!unset)
      mod_argv_add(&b, new_value);
    rt_buf_free(&s);
    mod_ps_sh_begin(&s);
    mod_sh_set(&s, "git", git);
    mod_sh_set(&s, "dir", mod_rec(&ex, "dir"));
    sh_git(&s, "s", &b, (size_t)-1);
    if (rt_host_exec(h, s.data, NULL, 0, &ex2, &err) < 0) {
      mod_argv_free(&b);
      mod_argv_free(&hdr);
      free(old);
      goto done;
    }
    have2 = true;
    ModCap c2 = {0};
    mod_ps_cap(&ex2, "s", &c2);
    if (c2.err && *c2.err) { /* fail_json(rc, msg=err, cmd=cmd): cmd is the list */
      r = mod_fail_result("%s", c2.err);
      rt_dict_set(r, "rc", rt_int(c2.rc));
      RtValue *cl = rt_list_new(b.n + 1);
      rt_list_push(cl, rt_strz(git));
      for (size_t i = 0; i < b.n; i++)
        rt_list_push(cl, rt_strz(b.v[i]));
      rt_dict_set(r, "cmd", cl);
    }
    mod_ps_cap_free(&c2);
    mod_argv_free(&b);
    free(cmdtext);
    cmdtext = join_args(git, &hdr);
    mod_argv_free(&hdr);
    if (r) {
      free(old);
      goto done;
    }
  }
  r = rt_dict_new(3);
  rt_dict_set(r, "changed", rt_bool(true));
  rt_dict_set(r, "msg", rt_strz("setting changed"));
  RtValue *diff = rt_dict_new(4);
  rt_dict_set(diff, "before_header", rt_strz(cmdtext));
  rt_dict_set(diff, "before", rt_str_take(rt_xasprintf("%s\n", old), strlen(old) + 1));
  rt_dict_set(diff, "after_header", rt_strz(cmdtext));
  char *after = rt_xasprintf("%s\n", new_value ? new_value : "");
  rt_dict_set(diff, "after", rt_str_take(after, strlen(after)));
  rt_dict_set(r, "diff", diff);
  free(old);
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  mod_argv_free(&a);
  rt_buf_free(&s);
  free(cmdtext);
  free(err);
  free(name);
  free(repo);
  free(file);
  free(scope);
  free(state);
  free(value);
  return r;
}

#endif
