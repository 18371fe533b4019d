/*
 * command.c — the command and shell modules. `command` splits its string as
 * Python's shlex.split does and runs the argv without shell interpretation
 * (each word quoted and expanded as Ansible's run_command expands it: $VAR
 * from the environment, ~, on the target; exec, so a word is never a
 * function or option; expand_argument_vars=false keeps the words as
 * given); `shell` hands the string to /bin/sh -c (or
 * `executable`). One framed request runs the whole thing: chdir,
 * creates/removes checks, the command. Its status reaches the controller as
 * records, so the command's stdout is exactly what it printed, whatever it
 * prints. `stdin` reaches the command byte for byte (piped from a quoted
 * value), with the newline only stdin_add_newline adds. Results carry the
 * keys of Ansible's command module (cmd, rc, stdout, stderr, *_lines,
 * start, end, delta, msg).
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam command_params[] = {
    {.name = "_raw_params", .type = MP_STR},
    {.name = "cmd", .type = MP_STR},
    {.name = "argv", .type = MP_LIST},
    {.name = "chdir", .type = MP_PATH},
    {.name = "creates", .type = MP_PATH},
    {.name = "removes", .type = MP_PATH},
    {.name = "stdin", .type = MP_STR},
    {.name = "stdin_add_newline", .type = MP_BOOL},
    {.name = "strip_empty_ends", .type = MP_BOOL},
    {.name = "expand_argument_vars", .type = MP_BOOL, .def = "true"}, /* ansible-core 2.16's */
};
const ModSchema mod_schema_command = {
    .name = "command",
    .params = command_params,
    .nparams = MOD_N(command_params),
    .free_form = true};
/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam shell_params[] = {
    {.name = "_raw_params", .type = MP_STR},
    {.name = "cmd", .type = MP_STR},
    {.name = "chdir", .type = MP_PATH},
    {.name = "creates", .type = MP_PATH},
    {.name = "removes", .type = MP_PATH},
    {.name = "executable", .type = MP_PATH},
    {.name = "stdin", .type = MP_STR},
    {.name = "stdin_add_newline", .type = MP_BOOL},
    {.name = "strip_empty_ends", .type = MP_BOOL},
};
const ModSchema mod_schema_shell = {
    .name = "shell",
    .params = shell_params,
    .nparams = MOD_N(shell_params),
    .free_form = true};

#ifndef MOD_SCHEMA_ONLY

/* shlex.split(s) in POSIX mode: quotes, backslash escapes, whitespace. */
static RtValue *shlex_split(const char *s, char **err) {
  RtValue *l = rt_list_new(4);
  const char *p = s;
  for (;;) {
    while (*p && isspace((unsigned char)*p))
      p++;
    if (!*p)
      break;
    RtBuf w = {0};
    rt_buf_add(&w, "", 0);
    while (*p && !isspace((unsigned char)*p)) {
      if (*p == '\'') {
        const char *e = strchr(p + 1, '\'');
        if (!e)
          goto unterminated;
        rt_buf_add(&w, p + 1, (size_t)(e - p - 1));
        p = e + 1;
      } else if (*p == '"') {
        p++;
        while (*p && *p != '"') {
          if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$' || p[1] == '`'))
            p++;
          rt_buf_putc(&w, *p++);
        }
        if (*p != '"')
          goto unterminated;
        p++;
      } else if (*p == '\\' && p[1]) {
        rt_buf_putc(&w, p[1]);
        p += 2;
      } else {
        rt_buf_putc(&w, *p++);
      }
      continue;
    unterminated:
      rt_buf_free(&w);
      rt_decref(l);
      *err = rt_xstrdup("No closing quotation");
      return NULL;
    }
    rt_list_push(l, rt_str(w.data, w.len));
    rt_buf_free(&w);
  }
  return l;
}

/* Skips the command when the glob pattern `pat` (a path, expanded on the
 * target) matches (`creates`) or matches nothing (`removes`). */
static void skip_test(RtBuf *s, const char *pat, bool creates) {
  mod_sh_set_path(s, "__playc_v", pat);
  rt_buf_printf(s, "__playc_glob %s { __playc_rec skip %s; __playc_rec path \"$__playc_v\"; exit 0; }\n",
                creates ? "&&" : "||", creates ? "creates" : "removes");
}

/* Ansible's result when the executable is missing (run_command's OSError). */
static RtValue *no_such_command(RtValue *cmdv) {
  RtBuf w0 = {0}, all = {0};
  rt_render_str(&w0, rt_list_at(cmdv, 0));
  for (size_t i = 0; i < rt_len(cmdv); i++) {
    if (i)
      rt_buf_putc(&all, ' ');
    rt_render_str(&all, rt_list_at(cmdv, i));
  }
  RtValue *r = mod_fail_result("[Errno 2] No such file or directory: b'%s'", w0.data ? w0.data : "");
  rt_dict_set(r, "rc", rt_int(2));
  rt_dict_set(r, "stdout", rt_strz(""));
  rt_dict_set(r, "stderr", rt_strz(""));
  rt_dict_set(r, "cmd", rt_str(all.data ? all.data : "", all.len));
  rt_dict_set(r, "stdout_lines", rt_list_new(0));
  rt_dict_set(r, "stderr_lines", rt_list_new(0));
  rt_buf_free(&w0);
  rt_buf_free(&all);
  return r;
}

static RtValue *run_command(RtHost *h, RtValue *args, bool shell) {
  char *raw = mod_arg_str(args, "_raw_params"), *cmd = mod_arg_str(args, "cmd");
  char *chdir = mod_arg_str(args, "chdir"), *creates = mod_arg_str(args, "creates");
  char *removes = mod_arg_str(args, "removes"), *stdin_s = mod_arg_str(args, "stdin");
  char *exe = mod_arg_str(args, "executable");
  RtValue *argv = rt_dict_get(args, "argv");
  const char *text = raw ? raw : cmd;
  if (text && !text[strspn(text, " \t\n\r\f\v")])
    text = NULL; /* blank: "no command given" */
  RtValue *r = NULL, *cmdv = NULL;
  char *err = NULL;
  int strip = mod_arg_bool(args, "strip_empty_ends", 1);
  int add_nl = mod_arg_bool(args, "stdin_add_newline", 1);
  if (!text && !(argv && rt_kind(argv) == RT_LIST && rt_len(argv))) {
    r = mod_fail_result("no command given");
    rt_dict_set(r, "rc", rt_int(256));
    goto done;
  }
  if (text && argv) {
    r = mod_fail_result("only command or argv can be given, not both");
    rt_dict_set(r, "rc", rt_int(256));
    goto done;
  }
  if (shell)
    cmdv = rt_strz(text);
  else if (argv)
    cmdv = rt_incref(argv);
  else if (!(cmdv = shlex_split(text, &err))) {
    r = mod_fail_result("%s", err);
    goto done;
  }
  if (!shell && rt_len(cmdv) == 0) {
    r = mod_fail_result("no command given");
    rt_dict_set(r, "rc", rt_int(256));
    goto done;
  }
  if (shell && exe && exe[0] == '-') { /* exec would take it for an option */
    r = mod_fail_result("[Errno 2] No such file or directory: b'%s'", exe);
    goto done;
  }
  RtBuf s = {0};
  if (stdin_s) { /* exact bytes on the command's stdin: a quoted value piped in
                  * (a here-document would always end with a newline) */
    char *in = add_nl == 0 ? rt_xstrdup(stdin_s) : rt_xasprintf("%s\n", stdin_s);
    mod_sh_set(&s, "__playc_in", in);
    rt_buf_puts(&s, "printf %s \"$__playc_in\" | {\n");
    free(in);
  }
  if (chdir) { /* first, as Ansible: creates/removes are relative to it */
    mod_sh_set_path(&s, "wd", chdir);
    rt_buf_puts(&s, "cd -- \"$wd\" 2>/dev/null || { __playc_rec fail nochdir; __playc_rec path \"$wd\"; exit 2; }\n");
  }
  if (creates)
    skip_test(&s, creates, true);
  if (removes)
    skip_test(&s, removes, false);
  if (h->check_mode) {
    rt_buf_puts(&s, "exit 0\n");
  } else if (shell) { /* exec: a program, never a function of the prelude */
    rt_buf_puts(&s, "exec ");
    rt_sh_quote(&s, exe ? exe : "/bin/sh");
    rt_buf_puts(&s, " -c ");
    rt_sh_quote(&s, text);
    rt_buf_putc(&s, '\n');
  } else {
    mod_sh_run(&s, cmdv, mod_arg_bool(args, "expand_argument_vars", 1) != 0);
  }
  if (stdin_s)
    rt_buf_puts(&s, "}\n");
  if (h->async_limit > 0 && !h->check_mode) { /* async: the same script, as a background job */
    if (creates || removes)
      r = mod_fail_result("playc runs creates/removes of an async %s only without async", shell ? "shell" : "command");
    else
      r = mod_async_start(h, s.data, cmdv);
    rt_buf_free(&s);
    goto done;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_REALTIME, &t0);
  RtExec ex;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  clock_gettime(CLOCK_REALTIME, &t1);
  rt_buf_free(&s);
  if (rc < 0)
    goto done; /* unreachable: r stays NULL */
  r = rt_dict_new(12);
  if (mod_rec(&ex, "skip")) {
    bool cr = mod_rec_is(&ex, "skip", "creates");
    const char *shoulda = h->check_mode ? "Would" : "Did", *path = mod_rec(&ex, "path");
    char *msg = cr ? rt_xasprintf("%s not run command since '%s' exists", shoulda, path)
                   : rt_xasprintf("%s not run command since '%s' does not exist", shoulda, path);
    char *out = cr ? rt_xasprintf("skipped, since %s exists", path)
                   : rt_xasprintf("skipped, since %s does not exist", path);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "stdout", rt_strz(out));
    rt_dict_set(r, "stderr", rt_strz(""));
    rt_dict_set(r, "rc", rt_int(0));
    rt_dict_set(r, "cmd", cmdv);
    cmdv = NULL;
    rt_dict_set(r, "start", rt_none());
    rt_dict_set(r, "end", rt_none());
    rt_dict_set(r, "delta", rt_none());
    rt_dict_set(r, "msg", rt_strz(msg));
    rt_dict_set(r, "stdout_lines", mod_lines(out, strlen(out)));
    rt_dict_set(r, "stderr_lines", rt_list_new(0));
    free(msg);
    free(out);
    rt_exec_free(&ex);
    goto done;
  }
  if (ex.rc == 2 && mod_rec_is(&ex, "fail", "nochdir")) { /* the module's result so far */
    rt_decref(r);
    RtBuf b = {0};
    rt_buf_puts(&b, "Unable to change directory before execution: [Errno 2] No such file or "
                    "directory: ");
    mod_py_bytes_repr(&b, mod_rec(&ex, "path"));
    r = mod_fail_result("%s", b.data);
    rt_buf_free(&b);
    rt_dict_set(r, "cmd", cmdv);
    cmdv = NULL;
    rt_dict_set(r, "rc", rt_none());
    rt_dict_set(r, "stdout", rt_strz(""));
    rt_dict_set(r, "stderr", rt_strz(""));
    rt_dict_set(r, "start", rt_none());
    rt_dict_set(r, "end", rt_none());
    rt_dict_set(r, "delta", rt_none());
    rt_dict_set(r, "stdout_lines", rt_list_new(0));
    rt_dict_set(r, "stderr_lines", rt_list_new(0));
    rt_exec_free(&ex);
    goto done;
  }
  if (ex.rc == 2 && mod_rec_is(&ex, "fail", "nocmd")) {
    rt_decref(r);
    r = no_such_command(cmdv);
    rt_exec_free(&ex);
    goto done;
  }
  if (h->check_mode) {
    bool by_file = creates || removes;
    rt_dict_set(r, "changed", rt_bool(by_file));
    rt_dict_set(r, "stdout", rt_strz(""));
    rt_dict_set(r, "stderr", rt_strz(""));
    rt_dict_set(r, "rc", rt_int(0));
    rt_dict_set(r, "cmd", cmdv);
    cmdv = NULL;
    rt_dict_set(r, "start", rt_none());
    rt_dict_set(r, "end", rt_none());
    rt_dict_set(r, "delta", rt_none());
    rt_dict_set(r, "msg", rt_strz("Command would have run if not in check mode"));
    if (!by_file)
      rt_dict_set(r, "skipped", rt_bool(true));
    rt_dict_set(r, "stdout_lines", rt_list_new(0));
    rt_dict_set(r, "stderr_lines", rt_list_new(0));
    rt_exec_free(&ex);
    goto done;
  }
  if (strip) {
    while (ex.out.len && (ex.out.data[ex.out.len - 1] == '\n' || ex.out.data[ex.out.len - 1] == '\r'))
      ex.out.data[--ex.out.len] = 0;
    while (ex.err.len && (ex.err.data[ex.err.len - 1] == '\n' || ex.err.data[ex.err.len - 1] == '\r'))
      ex.err.data[--ex.err.len] = 0;
  }
  char ts0[40], ts1[40], dt[40];
  mod_time_text(ts0, sizeof ts0, &t0);
  mod_time_text(ts1, sizeof ts1, &t1);
  mod_delta_text(dt, sizeof dt, &t0, &t1);
  rt_dict_set(r, "changed", rt_bool(true));
  rt_dict_set(r, "stdout", rt_str(ex.out.data ? ex.out.data : "", ex.out.len));
  rt_dict_set(r, "stderr", rt_str(ex.err.data ? ex.err.data : "", ex.err.len));
  rt_dict_set(r, "rc", rt_int(ex.rc));
  rt_dict_set(r, "cmd", cmdv);
  cmdv = NULL;
  rt_dict_set(r, "start", rt_strz(ts0));
  rt_dict_set(r, "end", rt_strz(ts1));
  rt_dict_set(r, "delta", rt_strz(dt));
  rt_dict_set(r, "msg", rt_strz(ex.rc ? "non-zero return code" : ""));
  if (ex.rc)
    rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, "stdout_lines", mod_lines(ex.out.data ? ex.out.data : "", ex.out.len));
  rt_dict_set(r, "stderr_lines", mod_lines(ex.err.data ? ex.err.data : "", ex.err.len));
  rt_exec_free(&ex);
done:
  rt_decref(cmdv);
  free(err);
  free(raw);
  free(cmd);
  free(chdir);
  free(creates);
  free(removes);
  free(stdin_s);
  free(exe);
  return r;
}

RtValue *mod_command(RtHost *h, RtValue *args) {
  return run_command(h, args, false);
}

RtValue *mod_shell(RtHost *h, RtValue *args) {
  return run_command(h, args, true);
}

#endif
