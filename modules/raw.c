/*
 * raw.c — the raw module: its free-form text is a command for the target's
 * shell, as Ansible hands it to the connection: `/bin/sh -c TEXT`, or with
 * `executable`, the shell line `EXECUTABLE -c 'TEXT'` (the text quoted as
 * Python's shlex.quote does, the executable as written, as Ansible builds
 * it). One framed request; the result is Ansible's: rc, stdout, stderr and
 * their lines, always changed, failed on a non-zero status. Check mode skips
 * it, as Ansible's raw action does.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam raw_params[] = {
    {.name = "_raw_params", .type = MP_STR, .required = true},
    {.name = "executable", .type = MP_STR},
};
const ModSchema mod_schema_raw = {
    .name = "raw",
    .params = raw_params,
    .nparams = MOD_N(raw_params),
    .free_form = true,
    .tools = "sh",
    .check_mode = false,
    .diff_mode = false};

#ifndef MOD_SCHEMA_ONLY

RtValue *mod_raw(RtHost *h, RtValue *args) {
  if (h->check_mode) { /* the action skips itself in check mode */
    RtValue *r = rt_dict_new(2);
    rt_dict_set(r, "skipped", rt_bool(true));
    return r;
  }
  char *text = mod_arg_str(args, "_raw_params"), *exe = mod_arg_str(args, "executable");
  RtBuf s = {0}, line = {0};
  if (exe && *exe) { /* the connection's shell runs: EXECUTABLE -c 'TEXT' */
    rt_buf_printf(&line, "%s -c ", exe);
    mod_py_shlex_quote(&line, text ? text : "");
    mod_sh_set(&s, "c", line.data);
  } else {
    mod_sh_set(&s, "c", text ? text : "");
  }
  rt_buf_puts(&s, "exec /bin/sh -c \"$c\"\n");
  RtExec ex;
  char *err = NULL;
  RtValue *r = NULL;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  if (rc == 0) {
    r = rt_dict_new(8);
    rt_dict_set(r, "changed", rt_bool(true));
    rt_dict_set(r, "rc", rt_int(ex.rc));
    rt_dict_set(r, "stdout", rt_str(ex.out.data, ex.out.len));
    rt_dict_set(r, "stdout_lines", mod_lines(ex.out.data, ex.out.len));
    rt_dict_set(r, "stderr", rt_str(ex.err.data, ex.err.len));
    rt_dict_set(r, "stderr_lines", mod_lines(ex.err.data, ex.err.len));
    if (ex.rc != 0) {
      rt_dict_set(r, "failed", rt_bool(true));
      rt_dict_set(r, "msg", rt_strz("non-zero return code"));
    }
    rt_exec_free(&ex);
  }
  rt_buf_free(&s);
  rt_buf_free(&line);
  free(err);
  free(text);
  free(exe);
  return r;
}

#endif
