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

/* _get_quote_state: the quote still open after `t` (a quote preceded by a
 * backslash does not count). */
static char ff_quote_state(const char *t, size_t n, char q) {
  for (size_t i = 0; i < n; i++)
    if ((t[i] == '"' || t[i] == '\'') && !(i > 0 && t[i - 1] == '\\'))
      q = q ? (t[i] == q ? 0 : q) : t[i];
  return q;
}

/* _count_jinja2_blocks: `depth` moved by the opening and closing tokens `t`
 * holds (str.count, non-overlapping), never below 0. */
static int ff_blocks(const char *t, size_t n, int depth, const char *open, const char *close) {
  int no = 0, nc = 0;
  for (size_t i = 0; i + 1 < n; i++)
    if (t[i] == open[0] && t[i + 1] == open[1])
      no++, i++;
  for (size_t i = 0; i + 1 < n; i++)
    if (t[i] == close[0] && t[i + 1] == close[1])
      nc++, i++;
  if (no != nc && (depth += no - nc) < 0)
    depth = 0;
  return depth;
}

/* split_args: the text split at newlines, each line at single spaces, the
 * pieces joined again while inside quotes or a Jinja block; a param that
 * ends a line (outside a `\` continuation) keeps its newline, so that
 * join_args gives back the original lines. Each param is a PcBuf. An
 * unbalanced quote or block, or text that begins with blanks Ansible cannot
 * attach to a param, is a located error. */
static PcVec ff_split_args(PcCtx *c, const char *s, PcLoc loc, bool *ok) {
  PcVec params = {0};
  char q = 0;
  int print = 0, block = 0, comment = 0;
  *ok = true;
#define LAST ((PcBuf *)params.items[params.len - 1])
  for (const char *item = s; item; ) {
    const char *eol = strchr(item, '\n');
    size_t ilen = eol ? (size_t)(eol - item) : strlen(item);
    bool cont = false;
    size_t idx = 0;
    for (size_t st = 0; st <= ilen; idx++) {
      const char *sp = memchr(item + st, ' ', ilen - st);
      size_t tl = sp ? (size_t)(sp - (item + st)) : ilen - st;
      const char *tok = item + st;
      st += tl + 1;
      bool many = sp || idx > 0; /* len(tokens) > 1 */
      if (tl == 0 && idx != 0) {
        if (!params.len)
          goto bad_index;
        pc_buf_add(c, LAST, " ", 1);
        continue;
      }
      if (tl == 1 && tok[0] == '\\' && !q) {
        cont = true;
        continue;
      }
      bool was = q != 0, appended = false;
      q = ff_quote_state(tok, tl, q);
      bool in = q != 0, jinja = print || block || comment;
      if (in && !was && !jinja) {
        PcBuf *b = pc_alloc(c, sizeof *b);
        pc_buf_add(c, b, tok, tl);
        pc_vec_push(c, &params, b);
        appended = true;
      } else if (jinja || in || was) {
        if (!params.len)
          goto bad_index;
        if (idx == 0 && was) {
        } else if (many) {
          if (idx > 0)
            pc_buf_add(c, LAST, " ", 1);
        } else {
          pc_buf_add(c, LAST, "\n", 1);
        }
        pc_buf_add(c, LAST, tok, tl);
        appended = true;
      }
      int depths[3] = {print, block, comment};
      print = ff_blocks(tok, tl, print, "{{", "}}");
      block = ff_blocks(tok, tl, block, "{%", "%}");
      comment = ff_blocks(tok, tl, comment, "{#", "#}");
      bool moved = print != depths[0] || block != depths[1] || comment != depths[2];
      if ((moved || (!(print || block || comment) && !in && tl)) && !appended) {
        PcBuf *b = pc_alloc(c, sizeof *b);
        pc_buf_add(c, b, tok, tl);
        pc_vec_push(c, &params, b);
      }
    }
    if (eol && !cont) {
      if (!params.len)
        goto bad_index;
      pc_buf_add(c, LAST, "\n", 1);
    }
    item = eol ? eol + 1 : NULL;
  }
#undef LAST
  if (print || block || comment || q) {
    pc_error_at(c, loc, "failed at splitting arguments, either an unbalanced jinja2 block or quotes: %s", s);
    *ok = false;
  }
  return params;
bad_index:
  pc_error_at(c, loc, "Unable to parse argument string");
  *ok = false;
  return params;
}

/* unquote: the text inside matching outer quotes (not an escaped closing one). */
static const char *ff_unquote(PcCtx *c, const char *s) {
  size_t n = strlen(s);
  if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0] && s[n - 2] != '\\')
    return pc_strndup(c, s + 1, n - 2);
  return s;
}

/* `s` without leading and trailing whitespace (str.strip), a copy. */
static const char *ff_strip(PcCtx *c, const char *s, size_t n) {
  while (n && isspace((unsigned char)*s))
    s++, n--;
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return pc_strndup(c, s, n);
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

/* parse_kv: each param, its escapes decoded, is key=value at its first
 * '=' past the first character not preceded by a backslash; the rest (and,
 * with `raw`, keys other than the command modules' own) joined into
 * _raw_params as join_args does (a space between params, none after a
 * newline). */
FeNode *fe_free_form(PcCtx *c, const FeNode *n, bool raw) {
  static const char *const raw_keys[] = {"creates", "removes", "chdir", "executable", "warn", "stdin",
                                         "stdin_add_newline", "strip_empty_ends", NULL};
  bool ok;
  PcVec toks = ff_split_args(c, n->text, n->loc, &ok);
  PcVec keys = {0}, vals = {0};
  PcBuf rest = {0};
  for (int i = 0; ok && i < toks.len; i++) {
    PcBuf *tb = toks.items[i];
    const char *orig = pc_strndup(c, tb->s ? tb->s : "", tb->len), *x = ff_decode_escapes(c, orig);
    const char *word = orig, *eq = NULL;
    for (const char *p = strchr(x, '='); p && !eq; p = strchr(p + 1, '='))
      if (p > x && p[-1] != '\\')
        eq = p;
    if (strchr(x, '=') && !eq) { /* only escaped '=': a raw param, "\\=" read as '=' */
      PcBuf w = {0};
      pc_buf_add(c, &w, "", 0);
      for (const char *p = x; *p; p++)
        if (!(p[0] == '\\' && p[1] == '='))
          pc_buf_add(c, &w, p, 1);
      word = w.s;
    } else if (eq) {
      const char *k = ff_strip(c, x, (size_t)(eq - x));
      bool take = true;
      if (raw) {
        take = false;
        for (int r = 0; raw_keys[r]; r++)
          take |= strcmp(raw_keys[r], k) == 0;
      }
      if (take) {
        const char *v = ff_unquote(c, ff_strip(c, eq + 1, strlen(eq + 1)));
        FeNode *kn = pc_alloc(c, sizeof *kn), *vn = pc_alloc(c, sizeof *vn);
        kn->kind = vn->kind = FE_SCALAR;
        kn->stype = vn->stype = FE_T_STR;
        kn->loc = vn->loc = n->loc;
        kn->text = k, kn->len = strlen(k);
        vn->text = v, vn->len = strlen(v);
        pc_vec_push(c, &keys, kn);
        pc_vec_push(c, &vals, vn);
        continue;
      }
    }
    if (rest.len && rest.s[rest.len - 1] != '\n')
      pc_buf_adds(c, &rest, " ");
    pc_buf_adds(c, &rest, word);
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
