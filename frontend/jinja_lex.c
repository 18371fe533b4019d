/*
 * jinja_lex.c — the Jinja expression lexer: names, numbers (with
 * underscores), strings with Python escapes, and operators (longest match).
 * The parser pulls tokens one at a time from an offset into the source, so
 * templates can switch between text and expression mode without a token list.
 */
#include "jinja.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const jl_ops[] = {"**", "//", "==", "!=", "<=", ">=", "}}", "+", "-", "*", "/",
                                     "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".",
                                     ":", "|", "=", NULL};

/* Appends code point `cp` as UTF-8 (Python's str holds code points; playc's
 * strings are their UTF-8). */
static size_t jl_utf8(char *out, uint32_t cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | cp >> 12), out[1] = (char)(0x80 | (cp >> 6 & 0x3f)), out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | cp >> 18), out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3f)), out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* `n` hex digits at s as a number, or -1 when there are fewer. */
static long jl_hex(const char *s, const char *end, int n) {
  long v = 0;
  for (int k = 0; k < n; k++) {
    if (s + k >= end || !isxdigit((unsigned char)s[k]))
      return -1;
    v = v * 16 + (isdigit((unsigned char)s[k]) ? s[k] - '0' : (tolower((unsigned char)s[k]) - 'a' + 10));
  }
  return v;
}

/* A quoted string; *pos is at the opening quote. With `raw` it ends at the
 * next quote and its value is its text. Otherwise the closing quote is the
 * first one no backslash escapes, and the text is read as Jinja2 reads it
 * (Python's unicode-escape codec): \\ \' \" \a \b \f \n \r \t \v, octal
 * \ooo, \xhh, \uhhhh, \Uhhhhhhhh, a backslash-newline dropped, any other
 * backslash kept. The value takes no more than its source. */
static JTok jl_string(PcCtx *c, const char *src, size_t *pos, JTok t, bool raw) {
  char q = src[*pos];
  size_t i = *pos + 1, end = i, n = 0;
  while (src[end] && src[end] != q)
    end += !raw && src[end] == '\\' && src[end + 1] ? 2 : 1;
  if (src[end] != q) {
    t.kind = JT_ERR;
    t.str = "unterminated string";
    *pos = end;
    return t;
  }
  char *buf = pc_alloc(c, end - i + 1);
  while (i < end) {
    char ch = src[i++];
    if (raw || ch != '\\' || i >= end) {
      buf[n++] = ch;
      continue;
    }
    char e = src[i++];
    static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
    const char *k = strchr(from, e);
    if (e && k) {
      buf[n++] = to[k - from];
    } else if (e == '\n') {
      /* a line continuation */
    } else if (e >= '0' && e <= '7') {
      uint32_t cp = (uint32_t)(e - '0');
      for (int d = 0; d < 2 && i < end && src[i] >= '0' && src[i] <= '7'; d++)
        cp = cp * 8 + (uint32_t)(src[i++] - '0');
      n += jl_utf8(buf + n, cp);
    } else if (e == 'x' || e == 'u' || e == 'U') {
      int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      long cp = jl_hex(src + i, src + end, digits);
      if (cp < 0 || cp > 0x10ffff) {
        t.kind = JT_ERR;
        t.str = cp < 0 ? (e == 'x' ? "truncated \\xXX escape" : e == 'u' ? "truncated \\uXXXX escape"
                                                                         : "truncated \\UXXXXXXXX escape")
                       : "illegal Unicode character";
        *pos = end;
        return t;
      }
      i += (size_t)digits;
      n += jl_utf8(buf + n, (uint32_t)cp);
    } else {
      buf[n++] = '\\';
      buf[n++] = e;
    }
  }
  t.kind = JT_STR;
  t.str = buf;
  t.slen = n;
  *pos = end + 1;
  return t;
}

/* A digit or an underscore of a number; the exponent sign is checked apart. */
static bool jl_digit(char ch) { return isdigit((unsigned char)ch) || ch == '_'; }

/* The span of a number: digits, '.' before a digit, an exponent with a digit. */
static size_t jl_number_end(const char *src, size_t i, bool *flt) {
  *flt = false;
  for (;;) {
    if (jl_digit(src[i])) {
      i++;
    } else if (src[i] == '.' && !*flt && isdigit((unsigned char)src[i + 1])) {
      *flt = true, i++;
    } else if ((src[i] == 'e' || src[i] == 'E') &&
               (isdigit((unsigned char)src[i + 1]) ||
                ((src[i + 1] == '-' || src[i + 1] == '+') && isdigit((unsigned char)src[i + 2])))) {
      *flt = true, i += 2;
    } else {
      return i;
    }
  }
}

/* number := digits ['.' digits] [('e'|'E') ['+'|'-'] digits]; underscores
 * are dropped. An int literal past 64 bits keeps its digits in `str` (a
 * Python int of any size, runtime/bigint.c) and INT64_MAX in `i`. */
static JTok jl_number(PcCtx *c, const char *src, size_t *pos, JTok t) {
  bool flt;
  size_t end = jl_number_end(src, *pos, &flt), n = 0;
  char *buf = pc_alloc(c, end - *pos + 1);
  for (size_t i = *pos; i < end; i++)
    if (src[i] != '_')
      buf[n++] = src[i];
  buf[n] = 0;
  *pos = end;
  t.kind = flt ? JT_FLOAT : JT_INT;
  if (flt) {
    t.f = strtod(buf, NULL); /* out of range: inf or 0, as Python's float() */
    return t;
  }
  errno = 0;
  t.i = strtoll(buf, NULL, 10);
  if (errno == ERANGE) {
    size_t z = 0; /* "007" is no literal Jinja reads, but strip zeros all the same */
    while (z + 1 < n && buf[z] == '0')
      z++;
    t.str = buf + z;
    t.slen = n - z;
  }
  return t;
}

/* The length of the whitespace character at s (0 if none): Jinja2's lexer
 * skips Python's \s, which in text is Unicode whitespace too (U+00A0
 * no-break space and the others below, as UTF-8). */
static size_t jl_space(const char *src) {
  const unsigned char *s = (const unsigned char *)src;
  if (*s == ' ' || (*s >= '\t' && *s <= '\r') || (*s >= 0x1c && *s <= 0x1f))
    return 1;
  if (s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
    return 2;
  if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) /* U+1680 */
    return 3;
  if (s[0] == 0xe2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
    return 3; /* U+2000..U+200A, U+2028, U+2029, U+202F */
  if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) /* U+205F */
    return 3;
  if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
    return 3;
  return 0;
}

JTok fe_jinja_lex(PcCtx *c, const char *src, size_t *pos, bool raw_strings) {
  for (size_t n; (n = jl_space(src + *pos));)
    *pos += n;
  JTok t = {0};
  size_t i = *pos;
  t.s = src + i;
  t.off = i;
  if (!src[i]) {
    t.kind = JT_EOF;
  } else if (src[i] == '\'' || src[i] == '"') {
    t = jl_string(c, src, pos, t, raw_strings);
  } else if (isdigit((unsigned char)src[i])) {
    t = jl_number(c, src, pos, t);
  } else if (isalpha((unsigned char)src[i]) || src[i] == '_') {
    while (isalnum((unsigned char)src[i]) || src[i] == '_')
      i++;
    t.kind = JT_NAME;
    t.str = pc_intern(c, src + *pos, i - *pos);
    t.slen = i - *pos;
    *pos = i;
  } else if ((src[i] == '-' || src[i] == '+' || src[i] == '%') && strncmp(src + i + (src[i] != '%'), "%}", 2) == 0) {
    t.kind = JT_BLOCK_END; /* "%}", "-%}" (strip after), "+%}" (keep the newline after) */
    t.slen = src[i] == '%' ? 2 : 3;
    t.str = t.slen == 2 ? "%}" : src[i] == '-' ? "-%}" : "+%}";
    *pos = i + t.slen;
  } else if (src[i] == '-' && src[i + 1] == '}' && src[i + 2] == '}') { /* "-}}": strip after */
    t.kind = JT_VAR_END;
    t.str = "-}}";
    t.slen = 3;
    *pos = i + 3;
  } else {
    t.kind = JT_ERR;
    t.str = "unexpected character";
    for (const char *const *o = jl_ops; *o; o++) {
      size_t n = strlen(*o);
      if (strncmp(src + i, *o, n) == 0) {
        t.kind = strcmp(*o, "}}") == 0 ? JT_VAR_END : JT_OP;
        t.str = *o;
        t.slen = n;
        *pos = i + n;
        break;
      }
    }
    if (t.kind == JT_ERR)
      (*pos)++;
  }
  t.len = *pos - t.off;
  return t;
}
