/*
 * pkg5.c — community.general.pkg5: Solaris/illumos IPS packages with the
 * target's `pkg`, in one request: `pkg list -- NAME` (and `pkg list -u`
 * for latest) per package decide which need the change, as the module's
 * filters do, then one `pkg install|uninstall [-n] ... -q -- NAMES` runs
 * (-n in check mode, as the module). rc 4 (nothing to do) is not a
 * change. FMRIs that the list type split at their comma are joined back
 * as the module joins them.
 */
#include "mod.h"

static const ModParam pkg5_params[] = {
    {.name = "name", .type = MP_LIST, .elements = MP_STR, .required = true},
    {.name = "state", .type = MP_STR, .choices = "absent,installed,latest,present,removed,uninstalled",
     .def = "present"},
    {.name = "accept_licenses", .type = MP_BOOL, .aliases = "accept,accept_licences", .def = "false"},
    {.name = "be_name", .type = MP_STR},
    {.name = "refresh", .type = MP_BOOL, .def = "true"},
};
const ModSchema mod_schema_pkg5 = {
    .name = "pkg5",
    .params = pkg5_params,
    .nparams = MOD_N(pkg5_params),
    .tools = "pkg",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* re.search(r'^\d+(?:\.\d+)*', s): starts with a digit. */
static bool starts_version(const char *s) { return isdigit((unsigned char)s[0]); }

/* re.search(r'@[^,]*$', s): an '@' with no ',' after it. */
static bool open_fmri(const char *s) {
  const char *at = strrchr(s, '@');
  return at && !strchr(at, ',');
}

RtValue *mod_pkg5(RtHost *h, RtValue *args) {
  char *state = mod_arg_str(args, "state"), *be = mod_arg_str(args, "be_name"), *lerr = NULL;
  RtValue *names = mod_ps_arg_list(args, "name", &lerr), *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false;
  char *err = NULL;
  ModArgv pk = {0}, cmd = {0};
  if (!names) {
    r = mod_fail_result("%s", lerr ? lerr : "missing required arguments: name");
    goto done;
  }
  for (size_t i = 0; i < rt_len(names); i++) {
    const char *f = rt_list_at(names, i)->u.str.s;
    if (starts_version(f) && pk.n && open_fmri(pk.v[pk.n - 1])) {
      char *j = rt_xasprintf("%s,%s", pk.v[pk.n - 1], f);
      free(pk.v[pk.n - 1]);
      pk.v[pk.n - 1] = j;
    } else {
      mod_argv_add(&pk, f);
    }
  }
  const char *st = !state || !strcmp(state, "present") || !strcmp(state, "installed") ? "present"
                   : !strcmp(state, "latest")                                         ? "latest"
                                                                                      : "absent";
  mod_argv_add(&cmd, "pkg");
  mod_argv_add(&cmd, strcmp(st, "absent") == 0 ? "uninstall" : "install");
  if (h->check_mode)
    mod_argv_add(&cmd, "-n");
  if (mod_arg_bool(args, "accept_licenses", 0) == 1)
    mod_argv_add(&cmd, "--accept");
  if (be && *be)
    mod_argv_addf(&cmd, "--be-name=%s", be);
  if (mod_arg_bool(args, "refresh", 1) == 0)
    mod_argv_add(&cmd, "--no-refresh");
  mod_argv_add(&cmd, "-q");
  mod_argv_add(&cmd, "--");
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, "command -v pkg >/dev/null 2>&1 || { __playc_rec nopkg 1; exit 0; }\n"
                  "inst() { pkg list -- \"$1\" >/dev/null 2>&1 </dev/null; }\n"
                  "old() { ! pkg list -u -- \"$1\" >/dev/null 2>&1 </dev/null; }\n");
  mod_sh_argv(&s, &cmd);
  rt_buf_puts(&s, "n=0\n");
  for (size_t i = 0; i < pk.n; i++) {
    mod_sh_set(&s, "p", pk.v[i]);
    if (strcmp(st, "present") == 0)
      rt_buf_puts(&s, "if ! inst \"$p\"; then set -- \"$@\" \"$p\"; n=$((n+1)); fi\n");
    else if (strcmp(st, "latest") == 0)
      rt_buf_puts(&s, "if ! inst \"$p\" || ! old \"$p\"; then set -- \"$@\" \"$p\"; n=$((n+1)); fi\n");
    else
      rt_buf_puts(&s, "if inst \"$p\"; then set -- \"$@\" \"$p\"; n=$((n+1)); fi\n");
  }
  rt_buf_puts(&s, "[ $n = 0 ] || pc_cap run \"$@\"\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec(&ex, "nopkg")) { /* run_command's OSError */
    r = mod_fail_result("[Errno 2] No such file or directory: b'pkg'");
    rt_dict_set(r, "rc", rt_int(2));
    char *c = rt_xasprintf("pkg list -- %s", pk.n ? pk.v[0] : "");
    rt_dict_set(r, "cmd", rt_str_take(c, strlen(c)));
    goto done;
  }
  ModCap c;
  r = rt_dict_new(5);
  RtValue *results = rt_list_new(1);
  if (mod_ps_cap(&ex, "run", &c)) {
    rt_list_push(results, rt_strz(c.out ? c.out : ""));
    rt_dict_set(r, "rc", rt_int(c.rc));
    rt_dict_set(r, "msg", rt_strz(c.err ? c.err : ""));
    rt_dict_set(r, "results", results);
    rt_dict_set(r, "changed", rt_bool(c.rc != 4));
    if (c.rc == 4)
      rt_dict_set(r, "failed", rt_bool(false));
    else if (c.rc != 0)
      rt_dict_set(r, "failed", rt_bool(true));
    mod_ps_cap_free(&c);
  } else {
    rt_dict_set(r, "results", results);
    rt_dict_set(r, "msg", rt_strz(""));
    rt_dict_set(r, "changed", rt_bool(false));
  }
done:
  if (have)
    rt_exec_free(&ex);
  if (names)
    rt_decref(names);
  mod_argv_free(&pk);
  mod_argv_free(&cmd);
  rt_buf_free(&s);
  free(err);
  free(lerr);
  free(state);
  free(be);
  return r;
}

#endif
