/*
 * filtersig.h — the parameter lists of filters.def, read the same way by the
 * compiler (ir/lower.c checks a call's arity and keyword names) and by the
 * runtime (runtime/filters.c binds a call's arguments to parameters). Header
 * only, no allocation: a signature is parsed in place into (pointer, length)
 * names.
 *
 * Notation (Python's parameters after the filtered value):
 *   "a b * c **"   a, b positional or keyword; `*` accepts more positional
 *                  arguments (`|` marks keyword-only parameters without
 *                  accepting more); c keyword-only; `**` any other keyword
 *   "_a"           positional-only (Python's `/`)
 *   "!a"           accepted by Ansible, not implemented by playc yet
 */
#ifndef PLAYC_FILTERSIG_H
#define PLAYC_FILTERSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Filter and test flags (the last column of filters.def). */
enum {
  RT_FF_UNDEF = 1,      /* the value may be undefined (default, mandatory; tests that only look at its type) */
  RT_FF_UNDEF_ARGS = 2, /* arguments may be undefined: the filter touches only the one it returns */
  RT_FF_TEXT = 4,       /* Ansible's STRING_TYPE_FILTERS: the text is never turned back into data */
  RT_FF_PLANNED = 8,    /* Ansible's, not implemented by playc yet: planned, refused by -o */
  RT_FF_GLOBAL = 16     /* a Jinja global function (range): called, never a filter; its first
                           argument is the row's filtered value */
};

#define RT_SIG_MAX 16

typedef struct RtSigParam {
  const char *name; /* not NUL-terminated: `len` bytes */
  size_t len;
  bool positional;  /* may be given by position */
  bool keyword;     /* may be given by keyword */
  bool unsupported; /* `!`: Ansible's, not playc's */
} RtSigParam;

typedef struct RtSig {
  RtSigParam p[RT_SIG_MAX];
  int n;       /* parameters */
  int npos;    /* how many of them may be given by position (the first npos) */
  bool varargs; /* `*` */
  bool varkw;   /* `**` */
} RtSig;

/* Parses `sig` (static text from filters.def) into `s`. */
static inline void rt_sig_parse(const char *sig, RtSig *s) {
  memset(s, 0, sizeof *s);
  bool kwonly = false;
  for (const char *p = sig; *p;) {
    while (*p == ' ')
      p++;
    size_t len = strcspn(p, " ");
    if (!len)
      break;
    if (len == 2 && p[0] == '*' && p[1] == '*') {
      s->varkw = true;
    } else if (len == 1 && (*p == '*' || *p == '|')) {
      s->varargs = *p == '*';
      kwonly = true;
    } else if (s->n < RT_SIG_MAX) {
      RtSigParam *q = &s->p[s->n++];
      q->unsupported = *p == '!';
      q->positional = !kwonly;
      q->keyword = *p != '_';
      q->name = p + (*p == '!' || *p == '_');
      q->len = len - (size_t)(*p == '!' || *p == '_');
      if (!kwonly)
        s->npos = s->n;
    }
    p += len;
  }
}

/* The index of keyword parameter `name`, or -1. */
static inline int rt_sig_find(const RtSig *s, const char *name) {
  size_t n = strlen(name);
  for (int i = 0; i < s->n; i++)
    if (s->p[i].keyword && s->p[i].len == n && memcmp(s->p[i].name, name, n) == 0)
      return i;
  return -1;
}

#endif
