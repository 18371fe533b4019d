/*
 * regex.h — Python's `re` semantics on PCRE2 (regex.c), for the filters,
 * tests and modules that take Python regular expressions. Offsets are byte
 * offsets into the UTF-8 subject.
 */
#ifndef PLAYC_REGEX_H
#define PLAYC_REGEX_H

#include "rt.h"

enum { RT_RE_I = 1, RT_RE_M = 2, RT_RE_S = 4, RT_RE_X = 8 }; /* re.I re.M re.S re.X */

typedef struct RtRegex RtRegex;

#define RT_RE_MAX_GROUPS 100
typedef struct RtReMatch {
  uint32_t n;                      /* groups recorded, 0 = the whole match */
  int64_t start[RT_RE_MAX_GROUPS]; /* -1 when the group did not take part */
  int64_t end[RT_RE_MAX_GROUPS];
} RtReMatch;

/* re.compile(pattern, flags): NULL with *err, an error value holding
 * Python's re.error message (RT_EXC_RE). */
RtRegex *rt_re_compile(const char *pat, size_t len, int flags, RtValue **err);
void rt_re_free(RtRegex *re);
uint32_t rt_re_groups(const RtRegex *re);
/* The number of named group `name`, or -1. */
int rt_re_group_index(const RtRegex *re, const char *name);
/* One match at or after byte `start` (`anchored`: at it, as re.match);
 * `notempty_atstart` refuses an empty match at `start`. 1 matched, 0 not,
 * -1 on a matching error. */
int rt_re_exec(const RtRegex *re, const char *s, size_t len, size_t start, bool anchored, bool notempty_atstart,
               RtReMatch *m);
/* Group g of a match as a string, None when it did not take part. */
RtValue *rt_re_group_value(const RtReMatch *m, const char *s, uint32_t g);
/* re.sub(pattern, repl, s, count) (count 0: all), repl a Python template
 * (\1, \g<name>, escapes). A string, or the re.error of a bad template. */
RtValue *rt_re_sub(const RtRegex *re, const char *repl, size_t rlen, const char *s, size_t len, int64_t count);
/* re.findall: matches, the one group's text, or tuples of groups. */
RtValue *rt_re_findall(const RtRegex *re, const char *s, size_t len);

#endif
