/*
 * text.c — strings as Python's str methods see them: code points of UTF-8
 * text (a byte that is not UTF-8 counts as one character, so no input is
 * refused), Python's whitespace, case mappings (glibc's C.UTF-8 tables plus
 * the full mappings Python applies where one character becomes several),
 * split, strip, splitlines and replace. The filters use these rather than
 * bytes so that "héllo" | upper is "HÉLLO" and a width counts characters.
 *
 * When the value model stores code points natively, these keep their
 * meaning: they take (bytes, length) of UTF-8 text and return UTF-8.
 */
#include "filters.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

static locale_t text_locale;
static pthread_once_t text_once = PTHREAD_ONCE_INIT;

static void text_init(void) {
  text_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  if (!text_locale)
    text_locale = newlocale(LC_CTYPE_MASK, "C", (locale_t)0);
}

static locale_t loc(void) {
  pthread_once(&text_once, text_init);
  return text_locale;
}

uint32_t rt_utf8_next(const char *s, size_t len, size_t *i) {
  const unsigned char *p = (const unsigned char *)s + *i;
  size_t left = len - *i;
  unsigned c = p[0];
  int n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 1) {
    (*i)++;
    return c;
  }
  if (n == 0 || (size_t)n > left) {
    (*i)++;
    return 0xDC00 | c; /* surrogateescape: one byte, one character */
  }
  uint32_t cp = c & (0x7F >> n);
  for (int k = 1; k < n; k++) {
    if ((p[k] & 0xC0) != 0x80) {
      (*i)++;
      return 0xDC00 | c;
    }
    cp = cp << 6 | (p[k] & 0x3F);
  }
  static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    (*i)++;
    return 0xDC00 | c;
  }
  *i += (size_t)n;
  return cp;
}

void rt_utf8_put(RtBuf *b, uint32_t cp) {
  char o[4];
  if (cp >= 0xDC80 && cp <= 0xDCFF) { /* an escaped byte goes back as it was */
    rt_buf_putc(b, (char)(cp & 0xFF));
  } else if (cp < 0x80) {
    rt_buf_putc(b, (char)cp);
  } else if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F));
    rt_buf_add(b, o, 2);
  } else if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[2] = (char)(0x80 | (cp & 0x3F));
    rt_buf_add(b, o, 3);
  } else {
    o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F));
    rt_buf_add(b, o, 4);
  }
}

size_t rt_utf8_count(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; n++)
    rt_utf8_next(s, len, &i);
  return n;
}

/* Python's Py_UNICODE_ISSPACE. */
bool rt_cp_isspace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static bool escaped_byte(uint32_t c) { return c >= 0xDC80 && c <= 0xDCFF; }

bool rt_cp_isalpha(uint32_t c) { return !escaped_byte(c) && (c < 0x80 ? ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') : iswalpha_l((wint_t)c, loc())); }
bool rt_cp_isdigit(uint32_t c) { return (c >= '0' && c <= '9') || (c >= 0x80 && !escaped_byte(c) && iswdigit_l((wint_t)c, loc())); }
bool rt_cp_isalnum(uint32_t c) { return rt_cp_isalpha(c) || rt_cp_isdigit(c) || (c >= 0x80 && !escaped_byte(c) && iswalnum_l((wint_t)c, loc())); }
bool rt_cp_isupper(uint32_t c) { return c < 0x80 ? (c >= 'A' && c <= 'Z') : !escaped_byte(c) && iswupper_l((wint_t)c, loc()); }
bool rt_cp_islower(uint32_t c) {
  if (c < 0x80)
    return c >= 'a' && c <= 'z';
  if (escaped_byte(c))
    return false;
  return iswlower_l((wint_t)c, loc()) || (towupper_l((wint_t)c, loc()) != (wint_t)c) || c == 0xDF;
}
bool rt_cp_iscased(uint32_t c) { return rt_cp_isupper(c) || rt_cp_islower(c) || (c >= 0x1C5 && c <= 0x1CB && c % 3 == 2); }

/* Full case mappings where one character becomes several (Python's
 * SpecialCasing): the ones a template may meet. */
static const struct {
  uint32_t cp;
  const char *upper, *lower, *title;
} special[] = {
    {0xDF, "SS", NULL, "Ss"},        {0x130, NULL, "i\xcc\x87", NULL}, {0x149, "\xca\xbcN", NULL, "\xca\xbcN"},
    {0xFB00, "FF", NULL, "Ff"},      {0xFB01, "FI", NULL, "Fi"},       {0xFB02, "FL", NULL, "Fl"},
    {0xFB03, "FFI", NULL, "Ffi"},    {0xFB04, "FFL", NULL, "Ffl"},     {0xFB05, "ST", NULL, "St"},
    {0xFB06, "ST", NULL, "St"},      {0x587, "\xd4\xb5\xd5\x92", NULL, "\xd4\xb5\xd6\x82"},
};

static const char *special_of(uint32_t cp, int which) {
  for (size_t i = 0; i < sizeof special / sizeof *special; i++)
    if (special[i].cp == cp)
      return which == 0 ? special[i].upper : which == 1 ? special[i].lower : special[i].title;
  return NULL;
}

void rt_cp_upper(RtBuf *b, uint32_t c) {
  const char *s = c >= 0x80 ? special_of(c, 0) : NULL;
  if (s)
    rt_buf_puts(b, s);
  else
    rt_utf8_put(b, c < 0x80 ? (c >= 'a' && c <= 'z' ? c - 32 : c) : escaped_byte(c) ? c : (uint32_t)towupper_l((wint_t)c, loc()));
}

void rt_cp_lower(RtBuf *b, uint32_t c) {
  const char *s = c >= 0x80 ? special_of(c, 1) : NULL;
  if (s)
    rt_buf_puts(b, s);
  else
    rt_utf8_put(b, c < 0x80 ? (c >= 'A' && c <= 'Z' ? c + 32 : c) : escaped_byte(c) ? c : (uint32_t)towlower_l((wint_t)c, loc()));
}

void rt_cp_title(RtBuf *b, uint32_t c) {
  const char *s = c >= 0x80 ? special_of(c, 2) : NULL;
  if (s) {
    rt_buf_puts(b, s);
    return;
  }
  if (c >= 0x1C4 && c <= 0x1CC) { /* DŽ Dž dž, LJ Lj lj, NJ Nj nj: the middle one is the title case */
    rt_utf8_put(b, 0x1C5 + (c - 0x1C4) / 3 * 3);
    return;
  }
  if (c >= 0x1F1 && c <= 0x1F3) {
    rt_utf8_put(b, 0x1F2);
    return;
  }
  rt_cp_upper(b, c);
}

/* Python's Final_Sigma rule: capital sigma lowers to final sigma (U+03C2)
 * after a cased letter and not before one. (Python also skips
 * case-ignorable characters around it; playc looks at the neighbours.) */
static bool final_sigma(const char *s, size_t len, size_t at, size_t next) {
  if (at == 0)
    return false;
  size_t p = at - 1;
  while (p > 0 && ((unsigned char)s[p] & 0xC0) == 0x80)
    p--;
  size_t q = p;
  if (!rt_cp_iscased(rt_utf8_next(s, len, &q)))
    return false;
  if (next >= len)
    return true;
  return !rt_cp_iscased(rt_utf8_next(s, len, &next));
}

/* The ASCII bytes of s from *i on (up to the first other byte) appended
 * to b with the letters from `from` to `from` + 25 shifted by `shift`:
 * case mapping of an ASCII run, mapped as it is copied. */
static void ascii_run(RtBuf *b, const char *s, size_t len, size_t *i, char from, int shift) {
  if (b->len + (len - *i) + 1 > b->cap)
    rt_buf_grow(b, len - *i);
  char *d = b->data + b->len;
  size_t j = *i;
  for (; j < len && (unsigned char)s[j] < 0x80; j++)
    *d++ = s[j] >= from && s[j] <= from + 25 ? (char)(s[j] + shift) : s[j];
  *d = 0;
  b->len += j - *i;
  *i = j;
}

void rt_text_lower(RtBuf *b, const char *s, size_t len) {
  for (size_t i = 0; i < len;) {
    if ((unsigned char)s[i] < 0x80) {
      ascii_run(b, s, len, &i, 'A', 32);
    } else {
      size_t at = i;
      uint32_t cp = rt_utf8_next(s, len, &i);
      if (cp == 0x3A3 && final_sigma(s, len, at, i))
        rt_utf8_put(b, 0x3C2);
      else
        rt_cp_lower(b, cp);
    }
  }
}

void rt_text_upper(RtBuf *b, const char *s, size_t len) {
  for (size_t i = 0; i < len;) {
    if ((unsigned char)s[i] < 0x80) {
      ascii_run(b, s, len, &i, 'a', -32);
    } else {
      rt_cp_upper(b, rt_utf8_next(s, len, &i));
    }
  }
}

/* True when code point c is one of the code points of chars. */
static bool in_chars(uint32_t c, const char *chars, size_t clen) {
  for (size_t i = 0; i < clen;)
    if (rt_utf8_next(chars, clen, &i) == c)
      return true;
  return false;
}

void rt_text_strip(const char *s, size_t len, const char *chars, size_t clen, bool left, bool right, size_t *start,
                   size_t *end) {
  size_t a = 0, z = len;
  while (left && a < z) {
    size_t i = a;
    uint32_t c = rt_utf8_next(s, len, &i);
    if (chars ? !in_chars(c, chars, clen) : !rt_cp_isspace(c))
      break;
    a = i;
  }
  while (right && z > a) {
    size_t st = z - 1; /* back to the start of the last character */
    while (st > a && ((unsigned char)s[st] & 0xC0) == 0x80 && z - st < 4)
      st--;
    size_t i = st;
    uint32_t c = rt_utf8_next(s, len, &i);
    if (i != z) { /* not one character: the last byte alone */
      st = z - 1;
      i = st;
      c = rt_utf8_next(s, len, &i);
    }
    if (chars ? !in_chars(c, chars, clen) : !rt_cp_isspace(c))
      break;
    z = st;
  }
  *start = a;
  *end = z;
}

RtValue *rt_text_split(const char *s, size_t len, const char *sep, size_t seplen, int64_t maxsplit) {
  RtValue *out = rt_list_new(4);
  int64_t n = 0;
  if (sep) {
    size_t at = 0;
    while ((maxsplit < 0 || n < maxsplit) && at <= len) {
      const char *hit = seplen <= len - at ? memmem(s + at, len - at, sep, seplen) : NULL;
      if (!hit)
        break;
      rt_list_push(out, rt_str(s + at, (size_t)(hit - (s + at))));
      at = (size_t)(hit - s) + seplen;
      n++;
    }
    rt_list_push(out, rt_str(s + at, len - at));
    return out;
  }
  size_t i = 0;
  for (;;) {
    while (i < len) { /* skip whitespace */
      size_t j = i;
      if (!rt_cp_isspace(rt_utf8_next(s, len, &j)))
        break;
      i = j;
    }
    if (i >= len)
      break;
    if (maxsplit >= 0 && n >= maxsplit) {
      size_t a, z;
      rt_text_strip(s + i, len - i, NULL, 0, false, true, &a, &z);
      rt_list_push(out, rt_str(s + i, z));
      break;
    }
    size_t st = i;
    while (i < len) {
      size_t j = i;
      if (rt_cp_isspace(rt_utf8_next(s, len, &j)))
        break;
      i = j;
    }
    rt_list_push(out, rt_str(s + st, i - st));
    n++;
  }
  return out;
}

/* Python's line boundaries: \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029. */
RtValue *rt_text_splitlines(const char *s, size_t len) {
  RtValue *out = rt_list_new(4);
  size_t st = 0, i = 0;
  while (i < len) {
    size_t at = i;
    uint32_t c = rt_utf8_next(s, len, &i);
    bool br = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E ||
              c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!br)
      continue;
    rt_list_push(out, rt_str(s + st, at - st));
    if (c == '\r' && i < len && s[i] == '\n')
      i++;
    st = i;
  }
  if (st < len)
    rt_list_push(out, rt_str(s + st, len - st));
  return out;
}

void rt_text_replace(RtBuf *b, const char *s, size_t len, const char *old, size_t olen, const char *rep,
                     size_t rlen, int64_t count) {
  if (!b->data)
    rt_buf_add(b, "", 0);
  if (olen == 0) { /* Python inserts `rep` before every character and at the end */
    int64_t n = 0;
    size_t i = 0;
    while (i <= len) {
      if (count >= 0 && n >= count) {
        rt_buf_add(b, s + i, len - i);
        return;
      }
      rt_buf_add(b, rep, rlen);
      n++;
      if (i == len)
        return;
      size_t at = i;
      rt_utf8_next(s, len, &i);
      rt_buf_add(b, s + at, i - at);
    }
    return;
  }
  size_t at = 0;
  int64_t n = 0;
  while (count < 0 || n < count) {
    const char *hit = olen <= len - at ? memmem(s + at, len - at, old, olen) : NULL;
    if (!hit)
      break;
    rt_buf_add(b, s + at, (size_t)(hit - (s + at)));
    rt_buf_add(b, rep, rlen);
    at = (size_t)(hit - s) + olen;
    n++;
  }
  rt_buf_add(b, s + at, len - at);
}

RtValue *rt_text_slice(const char *s, size_t len, int64_t from, int64_t to) {
  size_t i = 0, a = len, z = len;
  int64_t k = 0;
  for (; i < len; k++) {
    if (k == from)
      a = i;
    if (k == to) {
      z = i;
      break;
    }
    rt_utf8_next(s, len, &i);
  }
  if (from <= 0)
    a = 0;
  if (a > z)
    a = z;
  return rt_str(s + a, z - a);
}
