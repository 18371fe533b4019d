/*
 * script.c — the script module: a local script, embedded in the program at
 * compile time (ir/lower.c finds it as Ansible's action does: files/NAME,
 * then NAME, in the role and the playbook's folder; a vault-encrypted one is
 * decrypted at run time with the run's secrets), is sent to the target and
 * run there. One framed request does all of it: the `creates`/`removes`
 * tests (`test -e` on the path as given, as Ansible's action), a private
 * folder (umask 077, a random name, removed by the request's EXIT trap on
 * every way out), the body (base64 on the request's stdin), then the
 * command line.
 *
 * The free-form text after the script's name is shell text, as in Ansible:
 * it runs as `/bin/sh -c LINE` where LINE is the text with the script's
 * name replaced by the sent copy (here "$1", the copy's path, so the
 * controller never needs the target's temporary folder), `executable`
 * before it, and `cd CHDIR &&` in front (the folder quoted). Results are
 * Ansible's: rc, stdout, stderr and their lines, changed, failed with
 * "non-zero return code"; a skip by creates/removes carries Ansible's
 * message; check mode runs nothing (changed when creates/removes decided
 * it would run, else skipped).
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam script_params[] = {
    {.name = "_raw_params", .type = MP_STR},
    {.name = "cmd", .type = MP_STR},
    {.name = "creates", .type = MP_STR},
    {.name = "removes", .type = MP_STR},
    {.name = "chdir", .type = MP_STR},
    {.name = "executable", .type = MP_STR},
    {.name = "decrypt", .type = MP_BOOL, .def = "yes"},
};
const ModSchema mod_schema_script = {
    .name = "script",
    .params = script_params,
    .nparams = MOD_N(script_params),
    .free_form = true,
    .one_of = "_raw_params,cmd",
    .exclusive = "_raw_params,cmd",
    .tools = "sh,mkdir,base64,chmod",
    .check_mode = true, /* partial: creates/removes */
    .diff_mode = false};

#ifndef MOD_SCHEMA_ONLY

/* The first word of `s` as Python's shlex.split reads it; *end gets where
 * the word ends in `s`. NULL when there is none or its quote is not closed. */
static char *first_word(const char *s, const char **end) {
  while (*s && isspace((unsigned char)*s))
    s++;
  if (!*s)
    return NULL;
  RtBuf w = {0};
  rt_buf_add(&w, "", 0);
  while (*s && !isspace((unsigned char)*s)) {
    if (*s == '\'' || *s == '"') {
      char q = *s++;
      while (*s && *s != q) {
        if (q == '"' && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
          s++;
        rt_buf_putc(&w, *s++);
      }
      if (!*s) {
        rt_buf_free(&w);
        return NULL;
      }
      s++;
    } else if (*s == '\\' && s[1]) {
      rt_buf_putc(&w, s[1]);
      s += 2;
    } else {
      rt_buf_putc(&w, *s++);
    }
  }
  *end = s;
  return rt_buf_take(&w);
}

/* Python's str.replace(old, new) of every occurrence. */
static char *replace_all(const char *s, const char *old, const char *new_text) {
  RtBuf b = {0};
  size_t ol = strlen(old);
  rt_buf_add(&b, "", 0);
  for (const char *p; ol && (p = strstr(s, old)) != NULL; s = p + ol) {
    rt_buf_add(&b, s, (size_t)(p - s));
    rt_buf_puts(&b, new_text);
  }
  rt_buf_puts(&b, s);
  return rt_buf_take(&b);
}

/* The text without leading and trailing whitespace (Python's strip()). */
static char *strip(const char *s) {
  while (*s && isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return rt_xstrndup(s, n);
}

/* Base64 of data in lines of 76 characters. */
static char *base64_text(const unsigned char *data, size_t len) {
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0, col = 0; i < len; i += 3) {
    unsigned v = (unsigned)data[i] << 16 | (i + 1 < len ? (unsigned)data[i + 1] << 8 : 0) |
                 (i + 2 < len ? data[i + 2] : 0);
    char q[4] = {tbl[v >> 18 & 63], tbl[v >> 12 & 63], i + 1 < len ? tbl[v >> 6 & 63] : '=',
                 i + 2 < len ? tbl[v & 63] : '='};
    rt_buf_add(&b, q, 4);
    if ((col += 4) >= 76 || i + 3 >= len) {
      rt_buf_putc(&b, '\n');
      col = 0;
    }
  }
  return rt_buf_take(&b);
}

/* The script's bytes: the embedded file, decrypted when it is vault text
 * and `decrypt` allows. NULL with a failure in *fail. */
static RtValue *script_body(RtHost *h, const char *src, bool decrypt, RtValue **fail) {
  const RtFileDef *f = rt_find_file(h, src);
  if (!f) {
    *fail = mod_fail_result("Could not find or access '%s' (it was not embedded at compile time)", src);
    return NULL;
  }
  static const char magic[] = "$ANSIBLE_VAULT;";
  if (decrypt && f->size >= sizeof magic - 1 && memcmp(f->data, magic, sizeof magic - 1) == 0) {
    RtValue *v = rt_vault_run_decrypt(h->run, (const char *)f->data, (size_t)f->size, f->name);
    if (rt_kind(v) != RT_STR) {
      *fail = mod_fail_result("%s", rt_kind(v) == RT_ERROR ? v->u.err.msg : "could not decrypt");
      rt_decref(v);
      return NULL;
    }
    return v;
  }
  return rt_str((const char *)f->data, (size_t)f->size);
}

static RtValue *skipped(const char *fmt, const char *path) {
  RtValue *r = rt_dict_new(3);
  char *msg = rt_xasprintf(fmt, path);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "skipped", rt_bool(true));
  rt_dict_set(r, "msg", rt_str_take(msg, strlen(msg)));
  return r;
}

/* The request: creates/removes, then (unless check mode) the copy and the run. */
static void build_script(RtBuf *s, const char *creates, const char *removes, const char *base, const char *line,
                         bool check) {
  char rnd[25];
  rt_random_hex(rnd, 12);
  rt_buf_puts(s, "__playc_traps\n");
  if (creates) {
    mod_sh_set(s, "cr", creates);
    rt_buf_puts(s, "if test -e \"$cr\"; then __playc_rec skip creates; exit 0; fi\n");
  }
  if (removes) {
    mod_sh_set(s, "rm", removes);
    rt_buf_puts(s, "if ! test -e \"$rm\"; then __playc_rec skip removes; exit 0; fi\n");
  }
  if (check) {
    rt_buf_puts(s, "__playc_rec check 1; exit 0\n");
    return;
  }
  mod_sh_set(s, "b", base);
  mod_sh_set(s, "c", line);
  rt_buf_printf(s,
                "__playc_scr=${TMPDIR:-/tmp}/.playc-script-%s\n"
                "(umask 077; mkdir -- \"$__playc_scr\") || { __playc_scr=; __playc_rec fail notmp; exit 0; }\n"
                "f=$__playc_scr/$b\n"
                "(umask 077; base64 -d > \"$f\") && chmod 700 \"$f\" || { __playc_rec fail nocopy; exit 0; }\n"
                "/bin/sh -c \"$c\" sh \"$f\" </dev/null\n",
                rnd);
}

static RtValue *run_result(const RtExec *ex) {
  if (mod_rec_is(ex, "fail", "notmp"))
    return mod_fail_result("could not create a private folder for the script in the target's temporary folder");
  if (mod_rec_is(ex, "fail", "nocopy"))
    return mod_fail_result("could not write the script on the target: %s", ex->err.data);
  RtValue *r = rt_dict_new(8);
  rt_dict_set(r, "changed", rt_bool(true));
  rt_dict_set(r, "rc", rt_int(ex->rc));
  rt_dict_set(r, "stdout", rt_str(ex->out.data, ex->out.len));
  rt_dict_set(r, "stdout_lines", mod_lines(ex->out.data, ex->out.len));
  rt_dict_set(r, "stderr", rt_str(ex->err.data, ex->err.len));
  rt_dict_set(r, "stderr_lines", mod_lines(ex->err.data, ex->err.len));
  if (ex->rc != 0) {
    rt_dict_set(r, "failed", rt_bool(true));
    rt_dict_set(r, "msg", rt_strz("non-zero return code"));
  }
  return r;
}

RtValue *mod_script(RtHost *h, RtValue *args) {
  char *raw = mod_arg_str(args, "_raw_params"), *cmd = mod_arg_str(args, "cmd");
  char *creates = mod_arg_str(args, "creates"), *removes = mod_arg_str(args, "removes");
  char *chdir = mod_arg_str(args, "chdir"), *exe = mod_arg_str(args, "executable");
  int decrypt = mod_arg_bool(args, "decrypt", 1);
  char *text = strip(raw && *raw ? raw : cmd ? cmd : ""), *src = NULL, *err = NULL;
  const char *end = NULL;
  RtValue *r = NULL, *body = NULL;
  RtBuf s = {0}, l = {0};
  if (creates && !*creates) { /* the action tests the values' truth */
    free(creates);
    creates = NULL;
  }
  if (removes && !*removes) {
    free(removes);
    removes = NULL;
  }
  if (chdir && *chdir && chdir[0] != '/') {
    r = mod_fail_result("chdir %s must be an absolute path for a Unix-aware remote node", chdir);
    goto done;
  }
  if (!(src = first_word(text, &end))) {
    r = mod_fail_result("the script's name is missing or its quotes are not closed: %s", text);
    goto done;
  }
  RtExec ex;
  if (!(body = script_body(h, src, decrypt != 0, &r)))
    goto done;
  const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
  char *target = replace_all(text, src, "\"$1\""); /* the sent copy, where the name was */
  if (chdir && *chdir) {
    rt_buf_puts(&l, "cd ");
    mod_py_shlex_quote(&l, chdir);
    rt_buf_puts(&l, " && ");
  }
  if (exe && *exe)
    rt_buf_printf(&l, "%s ", exe);
  rt_buf_puts(&l, target);
  free(target);
  build_script(&s, creates, removes, base, l.data, h->check_mode);
  char *b64 = h->check_mode ? NULL : base64_text((const unsigned char *)body->u.str.s, body->u.str.len);
  int rc = rt_host_exec(h, s.data, b64, b64 ? strlen(b64) : 0, &ex, &err);
  free(b64);
  if (rc < 0)
    goto done; /* unreachable or interrupted: no result */
  if (mod_rec_is(&ex, "skip", "creates")) {
    r = skipped("%s exists, matching creates option", creates);
  } else if (mod_rec_is(&ex, "skip", "removes")) {
    r = skipped("%s does not exist, matching removes option", removes);
  } else if (mod_rec(&ex, "check")) {
    if (creates || removes) {
      r = rt_dict_new(1);
      rt_dict_set(r, "changed", rt_bool(true));
    } else {
      r = skipped("%s", "Check mode is not supported for this task.");
    }
  } else {
    r = run_result(&ex);
  }
  rt_exec_free(&ex);
done:
  rt_decref(body);
  rt_buf_free(&s);
  rt_buf_free(&l);
  free(raw);
  free(cmd);
  free(creates);
  free(removes);
  free(chdir);
  free(exe);
  free(text);
  free(src);
  free(err);
  return r;
}

#endif
