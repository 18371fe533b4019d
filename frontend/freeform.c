/*
 * freeform.c — free-form `k=v ...` task arguments as Ansible's split_args and
 * parse_kv read them: tokens split on whitespace outside quotes and Jinja
 * blocks, escapes decoded, `k=v` tokens as options and the rest joined into
 * _raw_params. Shared by lowering (module arguments) and the loader
 * (include_role / import_role written as `name=r tasks_from=t`).
 */
#include "frontend.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Splits on whitespace outside quotes and outside {{ }} / {% %} / {# #}. */
static PcVec ff_split_args(PcCtx *c, const char *s) {
  PcVec v = {0};
  size_t i = 0;
  while (s[i]) {
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')
      i++;
    if (!s[i])
      break;
    size_t st = i;
    char q = 0;
    int depth = 0;
    while (s[i] && (q || depth || (s[i] != ' ' && s[i] != '\t' && s[i] != '\n'))) {
      if (q) {
        if (s[i] == '\\' && s[i + 1])
          i++;
        else if (s[i] == q)
          q = 0;
      } else if (s[i] == '"' || s[i] == '\'') {
        q = s[i];
      } else if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')) {
        depth++, i++;
      } else if (depth && (s[i] == '}' || s[i] == '%' || s[i] == '#') && s[i + 1] == '}') {
        depth--, i++;
      }
      i++;
    }
    pc_vec_push(c, &v, pc_strndup(c, s + st, i - st));
  }
  return v;
}

static const char *ff_unquote(PcCtx *c, const char *s) {
  size_t n = strlen(s);
  if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0])
    return pc_strndup(c, s + 1, n - 2);
  return s;
}

/* The key of a `k=v` token (letters, digits, _), or NULL. */
static const char *ff_kv_key(PcCtx *c, const char *tok, const char **val) {
  size_t i = 0;
  while ((tok[i] >= 'a' && tok[i] <= 'z') || (tok[i] >= 'A' && tok[i] <= 'Z') || (tok[i] >= '0' && tok[i] <= '9') ||
         tok[i] == '_')
    i++;
  if (i == 0 || tok[i] != '=')
    return NULL;
  *val = ff_unquote(c, tok + i + 1);
  return pc_strndup(c, tok, i);
}

/* UTF-8 of code point `c` at `o`; returns the bytes written. */
static size_t ff_put_utf8(char *o, unsigned long c) {
  if (c < 0x80) {
    o[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    o[0] = (char)(0xC0 | (c >> 6));
    o[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    o[0] = (char)(0xE0 | (c >> 12));
    o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | ((c >> 18) & 0x07));
  o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
  o[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

/* parse_kv's _decode_escapes: \U........ \u.... \x.. \ooo and the
 * single-character escapes of a k=v token, as Python's unicode-escape
 * decodes them (the result is never longer than the token). */
static const char *ff_decode_escapes(PcCtx *c, const char *s) {
  if (!strchr(s, '\\'))
    return s;
  char *out = pc_alloc(c, strlen(s) + 1), *o = out;
  static const char esc[] = "\\'\"abfnrtv", val[] = "\\'\"\a\b\f\n\r\t\v";
  for (const char *p = s; *p;) {
    size_t hex = p[0] == '\\' ? (p[1] == 'U' ? 8 : p[1] == 'u' ? 4 : p[1] == 'x' ? 2 : 0) : 0;
    bool ok = hex > 0;
    for (size_t k = 0; ok && k < hex; k++)
      ok = isxdigit((unsigned char)p[2 + k]);
    if (ok) {
      char digits[9] = {0};
      memcpy(digits, p + 2, hex);
      unsigned long cp = strtoul(digits, NULL, 16);
      o += ff_put_utf8(o, cp > 0x10FFFF ? 0xFFFD : cp);
      p += 2 + hex;
    } else if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7') {
      unsigned long v = 0;
      int k = 1;
      for (; k <= 3 && p[k] >= '0' && p[k] <= '7'; k++)
        v = v * 8 + (unsigned long)(p[k] - '0');
      o += ff_put_utf8(o, v);
      p += k;
    } else if (p[0] == '\\' && p[1] && strchr(esc, p[1])) {
      *o++ = val[strchr(esc, p[1]) - esc];
      p += 2;
    } else {
      *o++ = *p++;
    }
  }
  *o = 0;
  return out;
}

/* Free-form args as a map node: k=v pairs; the rest (command/shell, or tokens
 * without '=') joined into _raw_params. */
FeNode *fe_free_form(PcCtx *c, const FeNode *n, bool raw) {
  static const char *const raw_keys[] = {"chdir", "creates", "removes", "executable", "stdin",
                                         "stdin_add_newline", "strip_empty_ends", NULL};
  PcVec toks = ff_split_args(c, n->text);
  PcVec keys = {0}, vals = {0};
  PcBuf rest = {0};
  for (int i = 0; i < toks.len; i++) {
    const char *val = NULL, *k = ff_kv_key(c, ff_decode_escapes(c, toks.items[i]), &val);
    bool take = k != NULL;
    if (take && raw) {
      take = false;
      for (int r = 0; raw_keys[r]; r++)
        take |= strcmp(raw_keys[r], k) == 0;
    }
    if (!take) {
      if (rest.len)
        pc_buf_adds(c, &rest, " ");
      pc_buf_adds(c, &rest, toks.items[i]);
      continue;
    }
    FeNode *kn = pc_alloc(c, sizeof *kn), *vn = pc_alloc(c, sizeof *vn);
    kn->kind = vn->kind = FE_SCALAR;
    kn->stype = vn->stype = FE_T_STR;
    kn->loc = vn->loc = n->loc;
    kn->text = k, kn->len = strlen(k);
    vn->text = val, vn->len = strlen(val);
    pc_vec_push(c, &keys, kn);
    pc_vec_push(c, &vals, vn);
  }
  if (rest.len) {
    FeNode *kn = pc_alloc(c, sizeof *kn), *vn = pc_alloc(c, sizeof *vn);
    kn->kind = vn->kind = FE_SCALAR;
    kn->stype = vn->stype = FE_T_STR;
    kn->loc = vn->loc = n->loc;
    kn->text = "_raw_params", kn->len = 11;
    vn->text = rest.s, vn->len = rest.len;
    pc_vec_push(c, &keys, kn);
    pc_vec_push(c, &vals, vn);
  }
  FeNode *m = pc_alloc(c, sizeof *m);
  m->kind = FE_MAP;
  m->loc = n->loc;
  m->keys = (FeNode **)keys.items;
  m->vals = (FeNode **)vals.items;
  m->n = keys.len;
  return m;
}
