/*
 * tempfile.c — the tempfile module: the file (0600, created with noclobber)
 * or folder (0700) made on the target as Python's mkstemp/mkdtemp make them,
 * PREFIX + 8 random characters of their alphabet (drawn here) + SUFFIX, in
 * `path` or the temp folder
 * Python's tempfile would pick ($TMPDIR, $TEMP, $TMP, /tmp). One request;
 * the result carries the new path's stat (add_path_info). Ansible's module
 * does not support check mode: a check run skips it with its message.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam tempfile_params[] = {
    {.name = "state", .type = MP_STR, .choices = "directory,file", .def = "file"},
    {.name = "path", .type = MP_PATH},
    {.name = "prefix", .type = MP_STR, .def = "ansible."},
    {.name = "suffix", .type = MP_STR, .def = ""},
};
const ModSchema mod_schema_tempfile = {
    .name = "tempfile",
    .params = tempfile_params,
    .nparams = MOD_N(tempfile_params),
    .tools = "mkdir,stat"};

#ifndef MOD_SCHEMA_ONLY

RtValue *mod_tempfile(RtHost *h, RtValue *args) {
  char *state = mod_arg_str(args, "state"), *path = mod_arg_str(args, "path");
  char *prefix = mod_arg_str(args, "prefix"), *suffix = mod_arg_str(args, "suffix");
  RtValue *r = NULL;
  char *err = NULL;
  if (h->check_mode) { /* AnsibleModule without supports_check_mode */
    r = rt_dict_new(3);
    rt_dict_set(r, "skipped", rt_bool(true));
    rt_dict_set(r, "msg", rt_strz("remote module (tempfile) does not support check mode"));
    rt_dict_set(r, "changed", rt_bool(false));
    goto done;
  }
  bool dir = state && !strcmp(state, "directory");
  /* mkstemp's name: 8 characters of "abcdefghijklmnopqrstuvwxyz0123456789_" */
  static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
  char hex[17], rnd[9];
  rt_random_hex(hex, 8);
  for (int i = 0; i < 8; i++)
    rnd[i] = chars[strtol((char[]){hex[2 * i], hex[2 * i + 1], 0}, NULL, 16) % 37];
  rnd[8] = 0;
  char *name = rt_xasprintf("%s%s%s", prefix ? prefix : "ansible.", rnd, suffix ? suffix : "");
  RtBuf s = {0};
  if (path)
    mod_sh_set_path(&s, "d", path);
  else /* tempfile.gettempdir() */
    rt_buf_puts(&s, "d=${TMPDIR:-${TEMP:-${TMP:-/tmp}}}\n");
  mod_sh_set(&s, "n", name);
  rt_buf_puts(&s, "t=$d/$n; __playc_rec path \"$t\"; umask 077\n");
  if (dir)
    rt_buf_puts(&s, "mkdir -- \"$t\" 2>/dev/null || { __playc_rec fail 1; exit 0; }\n");
  else
    rt_buf_puts(&s, "( set -C; : > \"$t\" ) 2>/dev/null || { __playc_rec fail 1; exit 0; }\n");
  rt_buf_puts(&s, "__playc_stat \"$t\"\n");
  free(name);
  RtExec ex;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  if (rc < 0)
    goto done;
  if (mod_rec(&ex, "fail") || !mod_rec(&ex, "st.mode")) { /* mkstemp's FileNotFoundError, with its traceback's last line */
    const char *t = mod_rec(&ex, "path") ? mod_rec(&ex, "path") : "";
    r = mod_fail_result("[Errno 2] No such file or directory: '%s'", t);
    char *exc = rt_xasprintf("Traceback (most recent call last):\nFileNotFoundError: [Errno 2] No such file or "
                             "directory: '%s'\n", t);
    rt_dict_set(r, "exception", rt_str_take(exc, strlen(exc)));
  } else {
    r = rt_dict_new(10);
    rt_dict_set(r, "changed", rt_bool(true));
    rt_dict_set(r, "path", rt_strz(mod_rec(&ex, "path")));
    mod_add_stat(r, &ex);
  }
  rt_exec_free(&ex);
done:
  free(err);
  free(state);
  free(path);
  free(prefix);
  free(suffix);
  return r;
}

#endif
