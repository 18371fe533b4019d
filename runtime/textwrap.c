/*
 * textwrap.c — textwrap.wrap as CPython 3.11 does it with its defaults
 * (expand_tabs, replace_whitespace, drop_whitespace, break_long_words,
 * break_on_hyphens), so a wrapped warning breaks where Ansible's does, paths
 * with hyphens included: "vault-id" may break after "vault-".
 *
 * The text is decoded into code points first (Python counts characters);
 * then split into chunks by TextWrapper.wordsep_re — runs of spaces, em-dashes
 * ("--" between words), words that end at whitespace, before an em-dash, or
 * after a hyphen with two letters before it and two after — and the chunks
 * are packed greedily into lines (_wrap_chunks, _handle_long_word).
 * "Letters" are [^\d\W]: ASCII letters, '_' and every non-ASCII character.
 */
#include "textwrap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct TwUnit {
  uint32_t cp;     /* code point, ' ' for any whitespace */
  const char *src; /* its bytes in the text (NULL for spaces from a tab) */
  size_t n;
} TwUnit;

typedef struct TwChunk {
  size_t at, len; /* in units */
} TwChunk;

static void *tw_alloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "playc: out of memory allocating %zu bytes\n", n);
    abort();
  }
  return p;
}

static bool tw_space(uint32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
static bool tw_letter(uint32_t c) {
  return c >= 0x80 || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool tw_word(uint32_t c) {
  return tw_letter(c) || (c >= '0' && c <= '9');
}
static bool tw_word_punct(uint32_t c) {
  return tw_word(c) || (c && strchr("!\"'&.,?", (int)c));
}

/* One UTF-8 sequence at s (max n bytes): its length; *cp gets the code point. */
static size_t tw_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  size_t len = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3 : (s[0] >> 3) == 30 ? 4 : 0;
  if (len == 0 || len > n) {
    *cp = 0xFFFD;
    return 1;
  }
  uint32_t c = len == 1 ? s[0] : s[0] & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) {
      *cp = 0xFFFD;
      return 1;
    }
    c = c << 6 | (s[i] & 0x3F);
  }
  *cp = c;
  return len;
}

/* expand_tabs (tab size 8) and replace_whitespace, into units. Without
 * replace_whitespace a whitespace unit keeps its own byte. */
static TwUnit *tw_units(const char *text, size_t *count, const RtWrapOpts *o) {
  size_t len = strlen(text), n = 0, col = 0;
  TwUnit *u = tw_alloc((8 * len + 1) * sizeof *u);
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t k = tw_decode((const unsigned char *)text + i, len - i, &cp);
    if (cp == '\t' && o->expand_tabs) {
      do
        u[n++] = (TwUnit){' ', NULL, 0};
      while (++col % 8);
    } else {
      bool sp = tw_space(cp);
      u[n++] = (TwUnit){sp ? ' ' : cp, sp && o->replace_whitespace ? NULL : text + i, k};
      col = cp == '\n' || cp == '\r' ? 0 : col + 1;
    }
    i += k;
  }
  *count = n;
  return u;
}

/* At u[i..]: "--"+ after a word_punct and before a word character. Returns
 * the number of dashes, 0 if none. */
static size_t tw_emdash(const TwUnit *u, size_t n, size_t i) {
  if (i == 0 || !tw_word_punct(u[i - 1].cp))
    return 0;
  size_t k = 0;
  while (i + k < n && u[i + k].cp == '-')
    k++;
  return k >= 2 && i + k < n && tw_word(u[i + k].cp) ? k : 0;
}

/* A hyphen at u[e] that ends a word: (?<=lt{2}-) or (?<=lt-lt-), then (?=lt -? lt). */
static bool tw_hyphen_break(const TwUnit *u, size_t n, size_t e) {
  if (u[e].cp != '-')
    return false;
  bool behind = (e >= 2 && tw_letter(u[e - 2].cp) && tw_letter(u[e - 1].cp)) ||
                (e >= 3 && tw_letter(u[e - 3].cp) && u[e - 2].cp == '-' && tw_letter(u[e - 1].cp));
  if (!behind || e + 1 >= n || !tw_letter(u[e + 1].cp))
    return false;
  return (e + 2 < n && tw_letter(u[e + 2].cp)) ||
         (e + 3 < n && u[e + 2].cp == '-' && tw_letter(u[e + 3].cp));
}

/* TextWrapper._split with wordsep_re (wordsep_simple_re without
 * break_on_hyphens: runs of spaces and of the rest). */
static TwChunk *tw_chunks(const TwUnit *u, size_t n, size_t *count, bool hyphens) {
  TwChunk *c = tw_alloc((n + 1) * sizeof *c);
  size_t m = 0;
  for (size_t i = 0; i < n;) {
    size_t len;
    if (u[i].cp == ' ') {
      len = 1;
      while (i + len < n && u[i + len].cp == ' ')
        len++;
    } else if (!hyphens || (len = tw_emdash(u, n, i)) == 0) {
      size_t e = i + 1;
      for (;; e++) {
        if (hyphens && e < n && tw_hyphen_break(u, n, e)) {
          e++; /* the hyphen stays with its word */
          break;
        }
        if (e >= n || u[e].cp == ' ' || (hyphens && tw_emdash(u, n, e)))
          break;
      }
      len = e - i;
    }
    c[m++] = (TwChunk){i, len};
    i += len;
  }
  *count = m;
  return c;
}

static bool tw_blank(const TwUnit *u, TwChunk ch) {
  for (size_t i = 0; i < ch.len; i++)
    if (u[ch.at + i].cp != ' ')
      return false;
  return true;
}

/* Appends units [at, at+len) of u to out. */
static char *tw_put(char *out, const TwUnit *u, size_t at, size_t len) {
  for (size_t i = at; i < at + len; i++) {
    if (u[i].src) {
      memcpy(out, u[i].src, u[i].n);
      out += u[i].n;
    } else {
      *out++ = ' ';
    }
  }
  return out;
}

char *rt_textwrap(const char *text, size_t width) {
  RtWrapOpts o = {true, true, true, true};
  return rt_textwrap_opts(text, width, &o);
}

char *rt_textwrap_opts(const char *text, size_t width, const RtWrapOpts *opts) {
  const RtWrapOpts *wo = opts;
  size_t n, m;
  TwUnit *u = tw_units(text, &n, wo);
  TwChunk *ch = tw_chunks(u, n, &m, wo->break_on_hyphens);
  char *out = tw_alloc(4 * n + n + 1), *o = out;
  TwChunk *line = tw_alloc((m + n + 1) * sizeof *line);
  size_t next = 0, nlines = 0;
  if (width == 0)
    width = 1;
  while (next < m) {
    size_t nl = 0, cur = 0;
    if (tw_blank(u, ch[next]) && nlines)
      next++;
    while (next < m && cur + ch[next].len <= width) {
      line[nl++] = ch[next];
      cur += ch[next++].len;
    }
    if (next < m && ch[next].len > width && !wo->break_long_words) { /* _handle_long_word */
      if (!nl)
        line[nl++] = ch[next++];
    } else if (next < m && ch[next].len > width) {
      size_t space_left = width - cur, end = space_left;
      TwChunk *c = &ch[next];
      if (wo->break_on_hyphens && c->len > space_left) {
        size_t hyphen = SIZE_MAX;
        for (size_t k = 0; k < space_left; k++)
          if (u[c->at + k].cp == '-')
            hyphen = k;
        bool other = false;
        for (size_t k = 0; hyphen != SIZE_MAX && k < hyphen; k++)
          other = other || u[c->at + k].cp != '-';
        if (hyphen != SIZE_MAX && hyphen > 0 && other)
          end = hyphen + 1;
      }
      line[nl++] = (TwChunk){c->at, end};
      c->at += end;
      c->len -= end;
    }
    if (nl && tw_blank(u, line[nl - 1]))
      nl--;
    if (nl) {
      if (nlines++)
        *o++ = '\n';
      for (size_t k = 0; k < nl; k++)
        o = tw_put(o, u, line[k].at, line[k].len);
    }
  }
  *o = 0;
  free(line);
  free(ch);
  free(u);
  return out;
}
