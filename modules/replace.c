/*
 * replace.c — the replace module: re.subn of a Python regular expression
 * (MULTILINE, on text decoded with `encoding`) over the file, or over the
 * section between `after` and `before` (DOTALL), computed on the controller
 * with pyre.c. The file is read in one request and written back atomically,
 * through a symlink, only when a replacement changes it (edit.c). Text in
 * another encoding than UTF-8 is converted with iconv both ways.
 */
#include "mod.h"

#include <ctype.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam replace_params[] = {
    {.name = "path", .type = MP_PATH, .required = true, .aliases = "dest,destfile,name"},
    {.name = "regexp", .type = MP_STR, .required = true},
    {.name = "replace", .type = MP_STR, .def = ""},
    {.name = "after", .type = MP_STR},
    {.name = "before", .type = MP_STR},
    {.name = "backup", .type = MP_BOOL, .def = "no"},
    {.name = "validate", .type = MP_STR},
    {.name = "encoding", .type = MP_STR, .def = "utf-8"},
    MOD_FILE_COMMON_PARAMS,
};
const ModSchema mod_schema_replace = {
    .name = "replace",
    .params = replace_params,
    .nparams = MOD_N(replace_params),
    .free_form = true,
    .tools = "stat,base64,cp,date,mv,chmod,chown,chgrp,realpath",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

static bool is_utf8_name(const char *enc) {
  char n[32];
  size_t k = 0;
  for (const char *p = enc; *p && k + 1 < sizeof n; p++)
    if (*p != '-' && *p != '_')
      n[k++] = (char)tolower((unsigned char)*p);
  n[k] = 0;
  return !strcmp(n, "utf8") || !strcmp(n, "u8") || !strcmp(n, "utf");
}

/* iconv between `enc` (Python's codec name, tried as iconv spells it) and
 * UTF-8; NULL when the codec is unknown or the text does not convert. */
static char *convert(const char *to, const char *from, const char *s, size_t len, size_t *outlen) {
  iconv_t cd = iconv_open(to, from);
  if (cd == (iconv_t)-1)
    return NULL;
  size_t cap = len * 4 + 16, left = cap;
  char *out = rt_xmalloc(cap), *op = out, *ip = (char *)s;
  size_t inleft = len;
  bool ok = iconv(cd, &ip, &inleft, &op, &left) != (size_t)-1 && iconv(cd, NULL, NULL, &op, &left) != (size_t)-1;
  iconv_close(cd);
  if (!ok) {
    free(out);
    return NULL;
  }
  *outlen = cap - left;
  return out;
}

static char *iconv_name(const char *enc) {
  char *n = rt_xstrdup(enc);
  for (char *p = n; *p; p++)
    *p = (char)toupper((unsigned char)*p == '_' ? '-' : (unsigned char)*p);
  if (!strcmp(n, "LATIN-1") || !strcmp(n, "LATIN1") || !strcmp(n, "L1")) {
    free(n); /* the name is longer than the alias: a new string */
    n = rt_xstrdup("ISO-8859-1");
  }
  return n;
}

RtValue *mod_replace(RtHost *h, RtValue *args) {
  char *path = mod_arg_str(args, "path"), *regexp = mod_arg_str(args, "regexp");
  char *repl = mod_arg_str(args, "replace"), *after = mod_arg_str(args, "after");
  char *before = mod_arg_str(args, "before"), *enc = mod_arg_str(args, "encoding");
  ModEdit e;
  mod_edit_init(&e, h, args);
  RtValue *r = NULL, *fail = NULL;
  ModRe *section_re = NULL, *mre = NULL;
  char *err = NULL, *text = NULL, *result = NULL, *out = NULL, *backup = NULL, *codec = NULL, *pattern = NULL;
  size_t tlen = 0, rlen = 0, olen = 0;
  if (!repl)
    repl = rt_xstrdup("");
  bool utf8 = !enc || is_utf8_name(enc);
  if (mod_edit_read(h, &e, path, &fail) < 0)
    goto done;
  if (fail) {
    r = fail;
    goto done;
  }
  if (e.kind == MOD_EDIT_DIR) {
    r = mod_fail_result("Path %s is a directory !", e.path);
    rt_dict_set(r, "rc", rt_int(256));
    goto done;
  }
  if (e.kind == MOD_EDIT_ABSENT) {
    r = mod_fail_result("Path %s does not exist !", e.path);
    rt_dict_set(r, "rc", rt_int(257));
    goto done;
  }
  if (e.unreadable) {
    RtBuf b = {0};
    rt_buf_puts(&b, "Unable to read the contents of ");
    rt_buf_printf(&b, "%s: [Errno 13] Permission denied: '%s'", e.path, e.path);
    r = mod_fail_result("%s", b.data);
    rt_buf_free(&b);
    goto done;
  }
  if (utf8) {
    text = rt_xstrndup(e.data.data ? e.data.data : "", e.data.len);
    tlen = e.data.len;
  } else {
    codec = iconv_name(enc);
    text = convert("UTF-8", codec, e.data.data ? e.data.data : "", e.data.len, &tlen);
    if (!text) {
      r = mod_fail_result("Unable to read the contents of %s: the text is not %s", e.path, enc);
      goto done;
    }
  }
  /* the section: after(?P<subsection>.*?)before, DOTALL */
  size_t sb = 0, se = tlen;
  if ((after && *after) || (before && *before)) {
    pattern = after && *after && before && *before ? rt_xasprintf("%s(?P<subsection>.*?)%s", after, before)
              : after && *after                   ? rt_xasprintf("%s(?P<subsection>.*)", after)
                                                  : rt_xasprintf("(?P<subsection>.*)%s", before);
    if (!(section_re = mod_re_compile(pattern, strlen(pattern), MOD_RE_DOTALL, true, &err))) {
      r = mod_fail_result("the after/before pattern could not be compiled: %s", err);
      goto done;
    }
    ModReMatch m;
    size_t b, en;
    if (!mod_re_search(section_re, text, tlen, 0, false, &m) || !mod_re_named(section_re, &m, "subsection", &b, &en)) {
      r = rt_dict_new(4);
      rt_dict_set(r, "rc", rt_int(0));
      char *msg = rt_xasprintf("Pattern for before/after params did not match the given file: %s", pattern);
      rt_dict_set(r, "msg", rt_str_take(msg, strlen(msg)));
      rt_dict_set(r, "changed", rt_bool(false));
      goto done;
    }
    sb = b;
    se = en;
  }
  if (!(mre = mod_re_compile(regexp, strlen(regexp), MOD_RE_MULTILINE, true, &err))) {
    r = mod_fail_result("regexp could not be compiled as a Python regular expression: %s", err);
    goto done;
  }
  long count = 0;
  result = mod_re_subn(mre, text + sb, se - sb, repl, strlen(repl), &rlen, &count, &err);
  if (!result) {
    r = mod_fail_result("%s", err);
    goto done;
  }
  bool changed = count > 0 && !(rlen == se - sb && memcmp(result, text + sb, rlen) == 0);
  char *msg = NULL;
  r = rt_dict_new(6);
  rt_dict_set(r, "rc", rt_int(0));
  if (changed) {
    RtBuf all = {0};
    rt_buf_add(&all, text, sb);
    rt_buf_add(&all, result, rlen);
    rt_buf_add(&all, text + se, tlen - se);
    free(result);
    rlen = all.len;
    result = rt_buf_take(&all);
    msg = rt_xasprintf("%ld replacements made", count);
    if (e.diff) {
      RtValue *d = rt_dict_new(4);
      rt_dict_set(d, "before_header", rt_strz(e.path));
      rt_dict_set(d, "before", rt_str(text, tlen));
      rt_dict_set(d, "after_header", rt_strz(e.path));
      rt_dict_set(d, "after", rt_str(result, rlen));
      rt_dict_set(r, "diff", d);
    }
    if (utf8) {
      out = rt_xstrndup(result, rlen);
      olen = rlen;
    } else if (!(out = convert(codec, "UTF-8", result, rlen, &olen))) {
      rt_decref(r);
      r = mod_fail_result("the new text of %s cannot be written as %s", e.path, enc);
      free(msg);
      goto done;
    }
  } else {
    msg = rt_xstrdup("");
  }
  bool attrs = false;
  fail = mod_edit_write(h, &e, out, olen, changed, true, NULL, &attrs, &backup);
  if (fail || rt_host_lost(h)) {
    rt_decref(r);
    free(msg);
    r = fail;
    goto done;
  }
  if (backup)
    rt_dict_set(r, "backup_file", rt_strz(backup));
  if (attrs) {
    char *m2 = rt_xasprintf("%s%sownership, perms or SE linux context changed", msg, changed ? " and " : "");
    free(msg);
    msg = m2;
    changed = true;
  }
  rt_dict_set(r, "msg", rt_str_take(msg, strlen(msg)));
  rt_dict_set(r, "changed", rt_bool(changed));
done:
  mod_re_free(section_re);
  mod_re_free(mre);
  mod_edit_free(&e);
  free(err);
  free(text);
  free(result);
  free(out);
  free(backup);
  free(codec);
  free(pattern);
  free(path);
  free(regexp);
  free(repl);
  free(after);
  free(before);
  free(enc);
  return r;
}

#endif
