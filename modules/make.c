/*
 * make.c — community.general.make with the target's make. One request:
 * the make program found as the module finds it (the `make` argument, else
 * gmake, else make on the search path), the folder entered when it is one
 * (run_command's cwd, ignored when it is not a folder), `make ... -q`, and,
 * outside check mode when -q says the target is not up to date, `make ...`
 * itself. Every word goes to make quoted, after the expansion run_command
 * gives it ($VAR, then ~, on the target). The controller builds the result
 * as the module does: changed when -q failed, the output of the last run
 * (trailing newlines stripped), the parameters, and `command`, the words
 * shlex-quoted and joined (an absent target shows as '').
 */
#include "mod.h"

static const ModParam make_params[] = {
    {.name = "target", .type = MP_STR},
    {.name = "params", .type = MP_DICT},
    {.name = "chdir", .type = MP_PATH, .required = true},
    {.name = "file", .type = MP_PATH},
    {.name = "make", .type = MP_PATH},
    {.name = "jobs", .type = MP_INT},
};
const ModSchema mod_schema_make = {
    .name = "make",
    .params = make_params,
    .nparams = MOD_N(make_params),
    .tools = "make",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

enum { MAKE_MAX_WORDS = 4096 };

/* Script text: `pc_cap KEY "$mk" "$w0" ...` (with -q when `q`), the words
 * recorded as x0.. as make got them. */
static void sh_make(RtBuf *s, const char *key, char **w, size_t n, bool q) {
  rt_buf_printf(s, "pc_cap %s \"$mk\"", key);
  for (size_t i = 0; i < n; i++)
    if (w[i])
      rt_buf_printf(s, " \"$w%zu\"", i);
  rt_buf_puts(s, q ? " -q\n" : "\n");
}

/* AnsibleModule._clean_args of the words make got (records x0..): a word
 * after one matching ^-{0,2}pass, or the value of such a word with '=',
 * masked; each shlex-quoted, joined by spaces. */
static RtValue *clean_args(const char *mk, char **w, size_t n, const RtExec *ex, bool q) {
  RtBuf b = {0};
  bool mask = false;
  for (size_t i = 0; i <= n + (q ? 1 : 0); i++) {
    char key[24];
    snprintf(key, sizeof key, "x%zu", i - 1);
    const char *a = i == 0 ? mk : i <= n ? (w[i - 1] ? mod_rec(ex, key) : NULL) : "-q";
    if (!a)
      continue;
    if (b.len)
      rt_buf_putc(&b, ' ');
    const char *p = a;
    for (int d = 0; d < 2 && *p == '-'; d++)
      p++;
    const char *eq = strchr(a, '=');
    if (mask) {
      mask = false;
      rt_buf_puts(&b, "'********'");
    } else if (strncmp(p, "pass", 4) == 0 && eq) {
      char *m = rt_xasprintf("%.*s=********", (int)(eq - a), a);
      mod_py_shlex_quote(&b, m);
      free(m);
    } else {
      mask = strncmp(p, "pass", 4) == 0;
      mod_py_shlex_quote(&b, a);
    }
  }
  size_t len = b.len;
  return rt_str_take(rt_buf_take(&b), len);
}

/* str.rstrip("\r\n") of s, as a value. */
static RtValue *rstrip_nl(const char *s) {
  size_t n = s ? strlen(s) : 0;
  while (n && (s[n - 1] == '\r' || s[n - 1] == '\n'))
    n--;
  return rt_str(s ? s : "", n);
}

/* An argument as the module returns it (None when absent). */
static RtValue *arg_or_none(RtValue *args, const char *name) {
  RtValue *v = rt_dict_get(args, name);
  return v ? rt_incref(v) : rt_none();
}

/* The module's exit_json. w: the words of base_command after the program,
 * the file expanded, the target NULL when absent. */
static RtValue *make_result(RtValue *args, const RtExec *ex, const ModCap *c, bool changed, const char *mk, char **w,
                            size_t n, const long long *jobs) {
  RtValue *r = rt_dict_new(14);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "failed", rt_bool(false));
  RtValue *o = rstrip_nl(c->out), *e = rstrip_nl(c->err);
  rt_dict_set(r, "stdout_lines", mod_lines(o->u.str.s, o->u.str.len));
  rt_dict_set(r, "stderr_lines", mod_lines(e->u.str.s, e->u.str.len));
  rt_dict_set(r, "stdout", o);
  rt_dict_set(r, "stderr", e);
  char *t = mod_arg_str(args, "target");
  rt_dict_set(r, "target", t ? rt_strz(t) : rt_none());
  free(t);
  rt_dict_set(r, "params", arg_or_none(args, "params"));
  rt_dict_set(r, "chdir", rt_strz(mod_rec(ex, "cd") ? mod_rec(ex, "cd") : ""));
  rt_dict_set(r, "file", mod_rec(ex, "f") ? rt_strz(mod_rec(ex, "f")) : rt_none());
  rt_dict_set(r, "jobs", jobs ? rt_int(*jobs) : rt_none());
  RtBuf b = {0};
  mod_py_shlex_quote(&b, mk);
  for (size_t i = 0; i < n; i++) {
    rt_buf_putc(&b, ' ');
    mod_py_shlex_quote(&b, w[i] ? w[i] : "");
  }
  size_t len = b.len;
  rt_dict_set(r, "command", rt_str_take(rt_buf_take(&b), len));
  return r;
}

/* run_command's fail_json: the OSError of a program that cannot run, or
 * check_rc on a failed make. */
static RtValue *make_failure(const RtExec *ex, const ModCap *c, const char *mk, char **w, size_t n, bool q) {
  RtValue *r;
  if (mod_rec(ex, "oserr")) {
    bool noent = mod_rec_is(ex, "oserr", "2");
    RtBuf b = {0};
    mod_py_bytes_repr(&b, mk);
    r = mod_fail_result("[Errno %d] %s: %s", noent ? 2 : 13, noent ? "No such file or directory" : "Permission denied",
                        b.data ? b.data : "");
    rt_buf_free(&b);
    rt_dict_set(r, "rc", rt_int(noent ? 2 : 13));
    mod_ps_out(r, "", "");
  } else {
    const char *err = c->err ? c->err : "";
    size_t m = strlen(err);
    while (m && strchr(" \t\n\r\v\f", err[m - 1]))
      m--;
    r = mod_fail_result("%.*s", (int)m, err);
    rt_dict_set(r, "rc", rt_int(c->rc));
    mod_ps_out(r, c->out ? c->out : "", err);
  }
  rt_dict_set(r, "cmd", clean_args(mk, w, n, ex, q));
  return r;
}

/* Script text: the program, the folder, the words (w0..; the file's is
 * "$f"), then make -q and, outside check mode when it fails, make. */
static void sh_script(RtBuf *s, RtValue *args, char **w, size_t n, size_t fidx, bool check) {
  char *make = mod_arg_str(args, "make"), *chdir = mod_arg_str(args, "chdir"), *file = mod_arg_str(args, "file");
  mod_ps_sh_begin(s);
  if (make)
    mod_sh_set_path(s, "mk", make);
  else
    rt_buf_puts(s, "if pc_bin gmake; then mk=$pc_v; elif pc_bin make; then mk=$pc_v; else pc_nobin make; fi\n");
  rt_buf_puts(s, "__playc_rec mk \"$mk\"\n");
  mod_sh_set_path(s, "cd", chdir ? chdir : "");
  rt_buf_puts(s, "__playc_rec cd \"$cd\"\n");
  if (file) {
    mod_sh_set_path(s, "f", file);
    rt_buf_puts(s, "__playc_rec f \"$f\"\n");
  }
  for (size_t i = 0; i < n; i++) {
    char var[24];
    snprintf(var, sizeof var, "w%zu", i);
    if (i == fidx) /* the path run_command expands once more */
      rt_buf_printf(s, "__playc_v=$f; case $f in '~'*) __playc_user;; esac; w%zu=$__playc_v\n", i);
    else if (w[i])
      mod_sh_set_path(s, var, w[i]);
    if (w[i])
      rt_buf_printf(s, "__playc_rec x%zu \"$w%zu\"\n", i, i);
  }
  /* run_command: its cwd when that is a folder (abspath); a program that
   * cannot run is an OSError */
  rt_buf_puts(s, "case $cd in /*) ;; *) cd=$PWD/$cd;; esac\n"
                 "[ ! -d \"$cd\" ] || cd \"$cd\" || exit 1\n"
                 "if ! __playc_which \"$mk\"; then\n"
                 "  case $mk in */*) [ ! -e \"$mk\" ] || { __playc_rec oserr 13; exit 0; };; esac\n"
                 "  __playc_rec oserr 2; exit 0\n"
                 "fi\n");
  sh_make(s, "q", w, n, true);
  if (!check) {
    rt_buf_puts(s, "[ \"$pc_r\" != 0 ] || exit 0\n");
    sh_make(s, "r", w, n, false);
  }
  free(make);
  free(chdir);
  free(file);
}

RtValue *mod_make(RtHost *h, RtValue *args) {
  char *target = mod_arg_str(args, "target"), *jerr = NULL, jtext[32];
  RtValue *params = rt_dict_get(args, "params"), *r = NULL;
  size_t np = params && rt_kind(params) == RT_DICT ? params->u.dict.len : 0;
  char **w = rt_xmalloc(sizeof *w * (np + 6)), **pw = rt_xmalloc(sizeof *pw * (np + 1));
  size_t n = 0, fidx = (size_t)-1, npw = 0;
  long long jobs = 0;
  bool has_jobs = rt_dict_get(args, "jobs") && rt_kind(rt_dict_get(args, "jobs")) != RT_NONE;
  ModCap q = {0}, run = {0};
  RtExec ex;
  bool have = false;
  if (!mod_ps_arg_int(args, "jobs", 0, &jobs, &jerr)) {
    r = mod_fail_result("%s", jerr);
    goto done;
  }
  for (size_t i = 0; i < np; i++) { /* k + '=' + str(v) */
    RtValue *k = params->u.dict.ents[i].key;
    RtBuf b = {0};
    RtValue *kv = rt_dict_key_value(k); /* a YAML int key is text in the module's JSON */
    rt_render_str(&b, kv);
    rt_decref(kv);
    rt_buf_putc(&b, '=');
    rt_render_str(&b, params->u.dict.ents[i].val);
    pw[npw++] = rt_buf_take(&b);
  }
  if (has_jobs) {
    snprintf(jtext, sizeof jtext, "%lld", jobs);
    w[n++] = "-j";
    w[n++] = jtext;
  }
  char *file = mod_arg_str(args, "file");
  if (file) {
    w[n++] = "-f";
    fidx = n;
    w[n++] = "";
  }
  w[n++] = target;
  for (size_t i = 0; i < npw; i++)
    w[n++] = pw[i];
  free(file);
  if (n > MAKE_MAX_WORDS) {
    r = mod_fail_result("too many make parameters");
    goto done;
  }
  RtBuf s = {0};
  sh_script(&s, args, w, n, fidx, h->check_mode);
  if (mod_sh_exec(h, &s, &ex) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  const char *mk = mod_rec(&ex, "mk") ? mod_rec(&ex, "mk") : "make";
  if (fidx != (size_t)-1)
    w[fidx] = (char *)(mod_rec(&ex, "f") ? mod_rec(&ex, "f") : "");
  if (mod_rec(&ex, "oserr")) {
    r = make_failure(&ex, &q, mk, w, n, true);
    goto done;
  }
  if (!mod_ps_cap(&ex, "q", &q)) {
    r = mod_fail_result("make did not run: %s", ex.err.data ? ex.err.data : "");
    goto done;
  }
  bool changed = q.rc != 0;
  if (!changed || h->check_mode) {
    r = make_result(args, &ex, &q, changed, mk, w, n, has_jobs ? &jobs : NULL);
  } else if (!mod_ps_cap(&ex, "r", &run)) {
    r = mod_fail_result("make did not run: %s", ex.err.data ? ex.err.data : "");
  } else if (run.rc != 0) {
    r = make_failure(&ex, &run, mk, w, n, false);
  } else {
    r = make_result(args, &ex, &run, true, mk, w, n, has_jobs ? &jobs : NULL);
  }
done:
  if (have)
    rt_exec_free(&ex);
  mod_ps_cap_free(&q);
  mod_ps_cap_free(&run);
  for (size_t i = 0; i < npw; i++)
    free(pw[i]);
  free(pw);
  free(w);
  free(target);
  free(jerr);
  return r;
}

#endif
