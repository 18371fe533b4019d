/*
 * pyre.c — Python's `re` on PCRE2, for the modules whose arguments are
 * Python regular expressions (lineinfile, replace, blockinfile, find). A
 * pattern is translated where the two dialects differ, then compiled with
 * the options that give Python's semantics:
 *
 *   - bytes patterns (lineinfile, blockinfile: Ansible compiles them from
 *     bytes) match bytes, with ASCII classes; str patterns (replace, find's
 *     contains) match UTF-8 text with Unicode classes (PCRE2_UTF|UCP), and
 *     bytes that are not UTF-8 match nothing rather than failing;
 *   - `\Z` is PCRE2's `\z`; `{,n}` is `{0,n}`; `\uXXXX` and `\UXXXXXXXX` are
 *     `\x{...}`; a `[` inside a class is a literal (never a POSIX class);
 *     leading global flags `(?aiLmsux)` become compile options (a: ASCII
 *     classes, u: the default for str), so callers can read them back
 *     (blockinfile asks whether MULTILINE is on);
 *   - `^` under MULTILINE also matches after a final newline
 *     (PCRE2_ALT_CIRCUMFLEX) and the only newline is LF, as Python's.
 *
 * Substitution follows Python 3.7+: an empty match next to the previous
 * match is allowed, and the replacement template has Python's escapes,
 * `\1`..`\99`, `\g<name>`, `\g<0>` (an unmatched group gives "").
 */
#include "mod.h"

#ifndef MOD_SCHEMA_ONLY /* runtime only: playc compiles module files for their schemas */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

struct ModRe {
  pcre2_code *code;
  pcre2_match_data *md;
  int flags; /* MOD_RE_*, the given ones and the pattern's leading flags */
  bool text;
};

/* The leading "(?flags)" groups: their letters as MOD_RE_* bits and PCRE2
 * options; returns the length consumed, or -1 for a flag Python refuses. */
static long leading_flags(const char *p, size_t len, int *flags, bool *ascii) {
  size_t i = 0;
  while (i + 2 < len && p[i] == '(' && p[i + 1] == '?' && strchr("aiLmsux", p[i + 2])) {
    size_t j = i + 2;
    while (j < len && strchr("aiLmsux", p[j]))
      j++;
    if (j >= len || p[j] != ')')
      break; /* a scoped group "(?i:...)": PCRE2 reads it as is */
    for (size_t k = i + 2; k < j; k++) {
      switch (p[k]) {
      case 'i': *flags |= MOD_RE_IGNORECASE; break;
      case 'm': *flags |= MOD_RE_MULTILINE; break;
      case 's': *flags |= MOD_RE_DOTALL; break;
      case 'x': *flags |= MOD_RE_VERBOSE; break;
      case 'a': *ascii = true; break;
      case 'u': break;
      default: return -1; /* L: locale flags, bytes only; not supported */
      }
    }
    i = j + 1;
  }
  return (long)i;
}

static bool is_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)s[i]))
      return false;
  return true;
}

/* The PCRE2 spelling of a Python pattern (see the top of the file). */
static void translate(RtBuf *out, const char *p, size_t len, bool text) {
  bool in_class = false;
  for (size_t i = 0; i < len; i++) {
    char c = p[i];
    if (c == '\\' && i + 1 < len) {
      char e = p[i + 1];
      if (!in_class && e == 'Z') {
        rt_buf_puts(out, "\\z");
      } else if (text && e == 'u' && i + 6 <= len && is_hex(p + i + 2, 4)) {
        rt_buf_printf(out, "\\x{%.4s}", p + i + 2);
        i += 4;
      } else if (text && e == 'U' && i + 10 <= len && is_hex(p + i + 2, 8)) {
        rt_buf_printf(out, "\\x{%.8s}", p + i + 2);
        i += 8;
      } else {
        rt_buf_add(out, p + i, 2);
      }
      i++;
      continue;
    }
    if (in_class) {
      if (c == '[')
        rt_buf_puts(out, "\\[");
      else
        rt_buf_putc(out, c);
      if (c == ']')
        in_class = false;
      continue;
    }
    if (c == '[') {
      rt_buf_putc(out, c);
      in_class = true;
      /* a ']' right after '[' or '[^' is a literal member */
      if (i + 1 < len && p[i + 1] == '^')
        rt_buf_putc(out, p[++i]);
      if (i + 1 < len && p[i + 1] == ']')
        rt_buf_putc(out, p[++i]);
      continue;
    }
    if (c == '{' && i + 1 < len && p[i + 1] == ',') { /* {,n} */
      size_t j = i + 2;
      while (j < len && isdigit((unsigned char)p[j]))
        j++;
      if (j > i + 2 && j < len && p[j] == '}') {
        rt_buf_puts(out, "{0,");
        rt_buf_add(out, p + i + 2, j - i - 2);
        rt_buf_putc(out, '}');
        i = j;
        continue;
      }
    }
    rt_buf_putc(out, c);
  }
}

ModRe *mod_re_compile(const char *pat, size_t len, int flags, bool text, char **err) {
  bool ascii = !text;
  long skip = leading_flags(pat, len, &flags, &ascii);
  if (skip < 0) {
    *err = rt_xstrdup("bad inline flags: the L flag is not supported");
    return NULL;
  }
  RtBuf t = {0};
  translate(&t, pat + skip, len - (size_t)skip, text);
  if (!t.data)
    rt_buf_add(&t, "", 0);
  uint32_t opts = PCRE2_ALT_CIRCUMFLEX;
  if (text)
    opts |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (ascii ? 0 : PCRE2_UCP);
  if (flags & MOD_RE_IGNORECASE)
    opts |= PCRE2_CASELESS;
  if (flags & MOD_RE_MULTILINE)
    opts |= PCRE2_MULTILINE;
  if (flags & MOD_RE_DOTALL)
    opts |= PCRE2_DOTALL;
  if (flags & MOD_RE_VERBOSE)
    opts |= PCRE2_EXTENDED;
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  int ec;
  PCRE2_SIZE eo;
  pcre2_code *code = pcre2_compile((PCRE2_SPTR)t.data, t.len, opts, &ec, &eo, cc);
  pcre2_compile_context_free(cc);
  rt_buf_free(&t);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(ec, msg, sizeof msg);
    *err = rt_xasprintf("%s at position %zu", (const char *)msg, (size_t)eo + (size_t)skip);
    return NULL;
  }
  /* JIT where the system allows it: the interpreter, with
   * PCRE2_MATCH_INVALID_UTF, checks the rest of the subject on every call,
   * so that replace over a large file was quadratic; the JIT code does not
   * (same results: it falls back to the interpreter when it cannot). */
  if (text)
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  ModRe *re = rt_xcalloc(1, sizeof *re);
  re->code = code;
  re->md = pcre2_match_data_create_from_pattern(code, NULL);
  re->flags = flags;
  re->text = text;
  return re;
}

void mod_re_free(ModRe *re) {
  if (!re)
    return;
  pcre2_match_data_free(re->md);
  pcre2_code_free(re->code);
  free(re);
}

int mod_re_flags(const ModRe *re) { return re->flags; }

int mod_re_groups(const ModRe *re) {
  uint32_t n = 0;
  pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &n);
  return (int)n;
}

/* One match attempt at `start` with `opts`; true when it matched. */
static bool match_at(ModRe *re, const char *s, size_t len, size_t start, uint32_t opts, ModReMatch *m) {
  int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, opts, re->md, NULL);
  if (rc <= 0)
    return false;
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
  m->n = (int)pcre2_get_ovector_count(re->md);
  m->ov = ov;
  return true;
}

bool mod_re_search(ModRe *re, const char *s, size_t len, size_t start, bool anchored, ModReMatch *m) {
  return match_at(re, s, len, start, anchored ? PCRE2_ANCHORED : 0, m);
}

bool mod_re_group(const ModReMatch *m, int g, size_t *b, size_t *e) {
  if (g < 0 || g >= m->n || m->ov[2 * g] == PCRE2_UNSET)
    return false;
  *b = m->ov[2 * g];
  *e = m->ov[2 * g + 1];
  return true;
}

bool mod_re_named(const ModRe *re, const ModReMatch *m, const char *name, size_t *b, size_t *e) {
  int g = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
  return g > 0 && mod_re_group(m, g, b, e);
}

/* The number of group `name` in `re`, or -1. */
static int group_number(const ModRe *re, const char *name, size_t n) {
  char *z = rt_xstrndup(name, n);
  int g = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)z);
  free(z);
  return g < 0 ? -1 : g;
}

/* Appends group g of the match (nothing when it did not take part). */
static void put_group(RtBuf *out, const ModReMatch *m, const char *subject, int g) {
  size_t b, e;
  if (mod_re_group(m, g, &b, &e))
    rt_buf_add(out, subject + b, e - b);
}

bool mod_re_expand(const ModRe *re, const ModReMatch *m, const char *subject, const char *tmpl, size_t tlen,
                   RtBuf *out, char **err) {
  int ngroups = mod_re_groups(re);
  for (size_t i = 0; i < tlen; i++) {
    char c = tmpl[i];
    if (c != '\\' || i + 1 >= tlen) {
      rt_buf_putc(out, c);
      continue;
    }
    char e = tmpl[++i];
    if (e == 'g') { /* \g<name> or \g<number> */
      const char *gt = i + 1 < tlen && tmpl[i + 1] == '<' ? memchr(tmpl + i + 2, '>', tlen - i - 2) : NULL;
      if (!gt) {
        *err = rt_xasprintf("missing < at position %zu", i + 1);
        return false;
      }
      const char *name = tmpl + i + 2;
      size_t n = (size_t)(gt - name);
      int g = -1;
      if (n && strspn(name, "0123456789") >= n) {
        g = atoi(name);
        if (g > ngroups)
          g = -2;
      } else if (n) {
        g = group_number(re, name, n);
      }
      if (g < 0) {
        *err = g == -2 ? rt_xasprintf("invalid group reference %.*s at position %zu", (int)n, name, i + 2)
                       : rt_xasprintf("unknown group name '%.*s' at position %zu", (int)n, name, i + 2);
        return false;
      }
      put_group(out, m, subject, g);
      i = (size_t)(gt - tmpl);
    } else if (e == '0' || (e >= '1' && e <= '7' && i + 2 < tlen && tmpl[i + 1] >= '0' && tmpl[i + 1] <= '7' &&
                            tmpl[i + 2] >= '0' && tmpl[i + 2] <= '7')) { /* octal escape */
      int v = 0, k = 0;
      for (; k < 3 && i < tlen && tmpl[i] >= '0' && tmpl[i] <= '7'; k++, i++)
        v = v * 8 + (tmpl[i] - '0');
      i--;
      rt_buf_putc(out, (char)v);
    } else if (isdigit((unsigned char)e)) { /* \1 .. \99 */
      int g = e - '0';
      if (i + 1 < tlen && isdigit((unsigned char)tmpl[i + 1]))
        g = g * 10 + (tmpl[++i] - '0');
      if (g > ngroups) {
        *err = rt_xasprintf("invalid group reference %d at position %zu", g, i);
        return false;
      }
      put_group(out, m, subject, g);
    } else {
      const char *esc = strchr("ntrfvab\\", e);
      static const char vals[] = "\n\t\r\f\v\a\b\\";
      if (esc) {
        rt_buf_putc(out, vals[esc - "ntrfvab\\"]);
      } else if (isalpha((unsigned char)e)) {
        *err = rt_xasprintf("bad escape \\%c at position %zu", e, i - 1);
        return false;
      } else { /* kept as written */
        rt_buf_putc(out, '\\');
        rt_buf_putc(out, e);
      }
    }
  }
  return true;
}

/* The length of the character at s[i] (UTF-8 in text mode, else 1). */
static size_t char_len(const ModRe *re, const char *s, size_t len, size_t i) {
  if (!re->text)
    return 1;
  size_t n = 1;
  while (i + n < len && ((unsigned char)s[i + n] & 0xC0) == 0x80)
    n++;
  return n;
}

bool mod_re_next(ModRe *re, const char *s, size_t len, size_t *pos, bool *after_empty, ModReMatch *m) {
  while (*pos <= len) {
    /* after an empty match, none may be empty at the same place */
    uint32_t opts = *after_empty ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
    if (match_at(re, s, len, *pos, opts, m)) {
      size_t b = m->ov[0], e = m->ov[1];
      *after_empty = b == e;
      *pos = e;
      return true;
    }
    if (!*after_empty)
      return false;
    *after_empty = false;
    if (*pos >= len)
      return false;
    *pos += char_len(re, s, len, *pos);
  }
  return false;
}

char *mod_re_subn(ModRe *re, const char *s, size_t len, const char *repl, size_t rlen, size_t *outlen, long *count,
                  char **err) {
  RtBuf out = {0};
  rt_buf_add(&out, "", 0);
  size_t pos = 0, copied = 0;
  bool after_empty = false;
  long n = 0;
  ModReMatch m;
  while (mod_re_next(re, s, len, &pos, &after_empty, &m)) {
    rt_buf_add(&out, s + copied, m.ov[0] - copied);
    if (!mod_re_expand(re, &m, s, repl, rlen, &out, err)) {
      rt_buf_free(&out);
      return NULL;
    }
    copied = m.ov[1];
    n++;
  }
  rt_buf_add(&out, s + copied, len - copied);
  *count = n;
  *outlen = out.len;
  return rt_buf_take(&out);
}

#endif
