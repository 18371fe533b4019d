/*
 * methods.c — the str, list and dict methods of methods.def, with Python's
 * semantics (strings as code points of UTF-8 text, indexes in code points),
 * and rt_method, which generated code calls for `x.name(args)`: it picks the
 * row for the receiver's kind, binds the arguments as filters do
 * (filters.c's rt_sig_bind) and calls it. A receiver without that method
 * gives Jinja's undefined error ("'int object' has no attribute 'split'").
 *
 * partition's result is a tuple (rt_tuple_new).
 * Ownership: every method returns a new reference; RtFArgs is borrowed.
 */
#include "filters.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct MDef {
  RtKind recv;
  const char *name;
  RtFilterFn fn;
  int req;
  const char *sigtext;
  int flags;
  RtSig sig;
} MDef;

static MDef m_defs[] = {
#define PLAYC_METHOD(recv, name, fn, type, req, sig, flags) {RT_##recv, name, fn, req, sig, flags, {{{0}}, 0, 0, 0, 0}},
#include "methods.def"
};
#define NM (sizeof m_defs / sizeof *m_defs)

static pthread_once_t m_once = PTHREAD_ONCE_INIT;

static void m_init(void) {
  for (size_t i = 0; i < NM; i++)
    rt_sig_parse(m_defs[i].sigtext, &m_defs[i].sig);
}

static const MDef *m_find(RtKind recv, const char *name) {
  pthread_once(&m_once, m_init);
  for (size_t i = 0; i < NM; i++) /* a few dozen rows: a scan is fine */
    if (m_defs[i].recv == recv && strcmp(m_defs[i].name, name) == 0)
      return &m_defs[i];
  return NULL;
}

static RtValue *method_call(const char *name, RtValue *base, RtValue *args, RtValue *kwargs, const RtLoc *loc);

RtValue *rt_method(const char *name, RtValue *base, RtValue *args, RtValue *kwargs, const RtLoc *loc) {
  return rt_unsafe_taint(method_call(name, base, args, kwargs, loc), base, args, kwargs);
}

static RtValue *method_call(const char *name, RtValue *base, RtValue *args, RtValue *kwargs, const RtLoc *loc) {
  if (rt_kind(base) == RT_ERROR || rt_kind(base) == RT_UNDEF)
    return rt_error_of(base);
  const MDef *d = m_find(rt_kind(base), name);
  if (!d) { /* Jinja: the attribute is undefined, and calling it raises */
    RtValue *u = rt_getattr(base, name, loc);
    RtValue *e = rt_kind(u) == RT_UNDEF || rt_kind(u) == RT_ERROR ? rt_error_of(u)
                                                                 : rt_type_error("'%s' object is not callable",
                                                                                 rt_type_name(u));
    rt_decref(u);
    return e;
  }
  RtFArgs a = {0};
  a.name = d->name;
  a.base = base;
  a.loc = loc;
  RtValue *r = rt_sig_bind(d->name, &d->sig, d->req, 0, &a, args, kwargs);
  if (!r)
    r = d->fn(&a);
  rt_decref(a.rest);
  rt_decref(a.kw);
  return r;
}

/* ---- helpers ---- */

static const char *s_of(const RtFArgs *a, size_t *len) {
  *len = a->base->u.str.len;
  return a->base->u.str.s;
}

static RtValue *need_int(const RtValue *v, int64_t *out) {
  if (rt_arg_int(v, out))
    return NULL;
  return rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(v));
}

/* A separator argument: NULL for None or not given, else its string. */
static RtValue *need_sep(const RtValue *v, const RtValue **out) {
  *out = NULL;
  if (!v || rt_kind(v) == RT_NONE)
    return NULL;
  if (rt_kind(v) != RT_STR)
    return rt_type_error("must be str or None, not %s", rt_type_name(v));
  if (!v->u.str.len)
    return rt_error_exc(RT_EXC_VALUE, "empty separator");
  *out = v;
  return NULL;
}

static RtValue *need_str(const RtValue *v, const char *what) {
  if (rt_kind(v) == RT_STR)
    return NULL;
  return rt_type_error("%s must be str, not %s", what, rt_type_name(v));
}

/* Byte offset of code point `cp` of s (clamped to the end). */
static size_t cp_off(const char *s, size_t len, int64_t cp) {
  size_t i = 0;
  while (cp-- > 0 && i < len)
    rt_utf8_next(s, len, &i);
  return i;
}

/* Python's slice indexes start/end (optional, None allowed) over n code
 * points, as byte offsets [*from, *to) of s; false when start > n. */
static RtValue *span_of(const RtFArgs *a, int first, const char *s, size_t len, size_t *from, size_t *to,
                        bool *empty) {
  int64_t n = (int64_t)rt_utf8_count(s, len), st = 0, en = n;
  const RtValue *vs = a->p[first], *ve = a->p[first + 1];
  RtValue *e = NULL;
  if (vs && rt_kind(vs) != RT_NONE && (e = need_int(vs, &st)))
    return e;
  if (ve && rt_kind(ve) != RT_NONE && (e = need_int(ve, &en)))
    return e;
  if (st < 0 && (st += n) < 0)
    st = 0;
  if (en < 0 && (en += n) < 0)
    en = 0;
  if (en > n)
    en = n;
  *empty = st > n;
  if (st > en)
    st = en;
  *from = cp_off(s, len, st);
  *to = cp_off(s, len, en);
  return NULL;
}

/* ---- str: case and classes ---- */

RtValue *rt_m_lower(RtFArgs *a) { return rt_f_lower(a); }
RtValue *rt_m_upper(RtFArgs *a) { return rt_f_upper(a); }
RtValue *rt_m_capitalize(RtFArgs *a) { return rt_f_capitalize(a); }

/* str.title: a cased character after an uncased one is titled, others lowered. */
RtValue *rt_m_title(RtFArgs *a) {
  size_t len, i = 0;
  const char *s = s_of(a, &len);
  RtBuf b = {0};
  bool prev_cased = false;
  while (i < len) {
    uint32_t c = rt_utf8_next(s, len, &i);
    if (prev_cased)
      rt_cp_lower(&b, c);
    else
      rt_cp_title(&b, c);
    prev_cased = rt_cp_iscased(c);
  }
  return rt_buf_value(&b);
}

typedef bool (*CpClass)(uint32_t);

static RtValue *all_of(RtFArgs *a, CpClass cls) {
  size_t len, i = 0;
  const char *s = s_of(a, &len);
  if (!len)
    return rt_bool(false);
  while (i < len)
    if (!cls(rt_utf8_next(s, len, &i)))
      return rt_bool(false);
  return rt_bool(true);
}

RtValue *rt_m_isalnum(RtFArgs *a) { return all_of(a, rt_cp_isalnum); }
RtValue *rt_m_isalpha(RtFArgs *a) { return all_of(a, rt_cp_isalpha); }
RtValue *rt_m_isdigit(RtFArgs *a) { return all_of(a, rt_cp_isdigit); }
RtValue *rt_m_isspace(RtFArgs *a) { return all_of(a, rt_cp_isspace); }

/* islower/isupper: some cased character, and none of the other case. */
static RtValue *cased_all(RtFArgs *a, CpClass want) {
  size_t len, i = 0;
  const char *s = s_of(a, &len);
  bool any = false;
  while (i < len) {
    uint32_t c = rt_utf8_next(s, len, &i);
    if (!rt_cp_iscased(c))
      continue;
    if (!want(c))
      return rt_bool(false);
    any = true;
  }
  return rt_bool(any);
}

RtValue *rt_m_islower(RtFArgs *a) { return cased_all(a, rt_cp_islower); }
RtValue *rt_m_isupper(RtFArgs *a) { return cased_all(a, rt_cp_isupper); }

/* ---- str: split, strip, replace, join ---- */

/* split's and rsplit's (sep, maxsplit): NULL, or the TypeError/ValueError. */
static RtValue *split_args(const RtFArgs *a, const RtValue **sep, int64_t *max) {
  *max = -1;
  RtValue *e = need_sep(a->p[0], sep);
  if (!e && a->p[1])
    e = need_int(a->p[1], max);
  return e;
}

RtValue *rt_m_split(RtFArgs *a) {
  const RtValue *sep;
  int64_t max;
  RtValue *e = split_args(a, &sep, &max);
  if (e)
    return e;
  size_t len;
  const char *s = s_of(a, &len);
  return rt_text_split(s, len, sep ? sep->u.str.s : NULL, sep ? sep->u.str.len : 0, max);
}

static bool is_space_at(const char *s, size_t len, size_t i, size_t *next) {
  *next = i;
  return rt_cp_isspace(rt_utf8_next(s, len, next));
}

/* The start of the code point that ends at byte `end` (> 0). */
static size_t cp_back(const char *s, size_t end) {
  size_t i = end - 1;
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
    i--;
  return i;
}

/* str.rsplit: as split, from the right; the parts come back in order. */
RtValue *rt_m_rsplit(RtFArgs *a) {
  const RtValue *sep;
  int64_t max;
  RtValue *e = split_args(a, &sep, &max);
  if (e)
    return e;
  size_t len, z, nx;
  const char *s = s_of(a, &len);
  RtValue *rev = rt_list_new(4), *out;
  int64_t n = 0;
  if (sep) {
    const char *p = sep->u.str.s;
    size_t pl = sep->u.str.len;
    z = len;
    for (size_t i = len; (max < 0 || n < max) && i >= pl;) {
      if (memcmp(s + i - pl, p, pl) == 0) {
        rt_list_push(rev, rt_str(s + i, z - i));
        i -= pl;
        z = i;
        n++;
      } else {
        i--;
      }
    }
    rt_list_push(rev, rt_str(s, z));
  } else {
    z = len;
    for (;;) {
      while (z > 0 && is_space_at(s, len, cp_back(s, z), &nx))
        z = cp_back(s, z);
      if (!z)
        break;
      if (max >= 0 && n >= max) {
        rt_list_push(rev, rt_str(s, z));
        break;
      }
      size_t st = z;
      while (st > 0 && !is_space_at(s, len, cp_back(s, st), &nx))
        st = cp_back(s, st);
      rt_list_push(rev, rt_str(s + st, z - st));
      z = st;
      n++;
    }
  }
  out = rt_list_new(rt_len(rev));
  for (size_t i = rt_len(rev); i-- > 0;)
    rt_list_push(out, rt_incref(rt_list_at(rev, i)));
  rt_decref(rev);
  return out;
}

/* str.splitlines(keepends): Python's line boundaries. */
RtValue *rt_m_splitlines(RtFArgs *a) {
  size_t len, st = 0, i = 0;
  const char *s = s_of(a, &len);
  bool keep = rt_arg_true(a->p[0], false);
  RtValue *out = rt_list_new(4);
  while (i < len) {
    size_t at = i;
    uint32_t c = rt_utf8_next(s, len, &i);
    if (!(c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x85 ||
          c == 0x2028 || c == 0x2029))
      continue;
    if (c == '\r' && i < len && s[i] == '\n')
      i++;
    rt_list_push(out, rt_str(s + st, (keep ? i : at) - st));
    st = i;
  }
  if (st < len)
    rt_list_push(out, rt_str(s + st, len - st));
  return out;
}

static RtValue *strip(RtFArgs *a, bool left, bool right) {
  const RtValue *c = a->p[0] && rt_kind(a->p[0]) != RT_NONE ? a->p[0] : NULL;
  if (c && rt_kind(c) != RT_STR)
    return rt_type_error("strip arg must be None or str");
  size_t len, st, en;
  const char *s = s_of(a, &len);
  rt_text_strip(s, len, c ? c->u.str.s : NULL, c ? c->u.str.len : 0, left, right, &st, &en);
  return rt_str(s + st, en - st);
}

RtValue *rt_m_strip(RtFArgs *a) { return strip(a, true, true); }
RtValue *rt_m_lstrip(RtFArgs *a) { return strip(a, true, false); }
RtValue *rt_m_rstrip(RtFArgs *a) { return strip(a, false, true); }

RtValue *rt_m_replace(RtFArgs *a) {
  int64_t count = -1;
  RtValue *e = need_str(a->p[0], "replace() argument 1");
  if (!e)
    e = need_str(a->p[1], "replace() argument 2");
  if (!e && a->p[2])
    e = need_int(a->p[2], &count);
  if (e)
    return e;
  size_t len;
  const char *s = s_of(a, &len);
  RtBuf b = {0};
  rt_text_replace(&b, s, len, a->p[0]->u.str.s, a->p[0]->u.str.len, a->p[1]->u.str.s, a->p[1]->u.str.len, count);
  return rt_buf_value(&b);
}

RtValue *rt_m_join(RtFArgs *a) {
  RtValue *items = rt_iter_list(a->p[0]);
  if (rt_is_error(items))
    return items;
  size_t len;
  const char *s = s_of(a, &len);
  RtBuf b = {0};
  for (size_t i = 0; i < rt_len(items); i++) {
    RtValue *it = rt_list_at(items, i);
    if (rt_kind(it) != RT_STR) {
      rt_buf_free(&b);
      rt_decref(items);
      return rt_type_error("sequence item %zu: expected str instance, %s found", i, rt_type_name(it));
    }
    if (i)
      rt_buf_add(&b, s, len);
    rt_buf_add(&b, it->u.str.s, it->u.str.len);
  }
  rt_decref(items);
  return rt_buf_value(&b);
}

/* ---- str: searching ---- */

/* Finds sub in s[from, to): the byte offset of the first (last) match, or -1. */
static int64_t find_in(const char *s, size_t from, size_t to, const RtValue *sub, bool last) {
  size_t n = sub->u.str.len;
  if (to - from < n)
    return -1;
  if (!last) {
    const char *hit = n ? memmem(s + from, to - from, sub->u.str.s, n) : s + from;
    return hit ? hit - s : -1;
  }
  for (size_t i = to - n + 1; i-- > from;)
    if (memcmp(s + i, sub->u.str.s, n) == 0)
      return (int64_t)i;
  return -1;
}

static RtValue *search(RtFArgs *a, bool last, bool must) {
  RtValue *e = rt_kind(a->p[0]) == RT_STR ? NULL
                                          : rt_type_error("must be str, not %s", rt_type_name(a->p[0]));
  size_t len, from, to;
  bool empty;
  const char *s = s_of(a, &len);
  if (e || (e = span_of(a, 1, s, len, &from, &to, &empty)))
    return e;
  int64_t at = empty ? -1 : find_in(s, from, to, a->p[0], last);
  if (at < 0 && must)
    return rt_error_exc(RT_EXC_VALUE, "substring not found");
  return rt_int(at < 0 ? -1 : (int64_t)rt_utf8_count(s, (size_t)at));
}

RtValue *rt_m_find(RtFArgs *a) { return search(a, false, false); }
RtValue *rt_m_rfind(RtFArgs *a) { return search(a, true, false); }
RtValue *rt_m_index(RtFArgs *a) { return search(a, false, true); }
RtValue *rt_m_rindex(RtFArgs *a) { return search(a, true, true); }

RtValue *rt_m_count(RtFArgs *a) {
  RtValue *e = rt_kind(a->p[0]) == RT_STR ? NULL
                                          : rt_type_error("must be str, not %s", rt_type_name(a->p[0]));
  size_t len, from, to;
  bool empty;
  const char *s = s_of(a, &len);
  if (e || (e = span_of(a, 1, s, len, &from, &to, &empty)))
    return e;
  if (empty)
    return rt_int(0);
  size_t n = a->p[0]->u.str.len;
  if (!n)
    return rt_int((int64_t)rt_utf8_count(s + from, to - from) + 1);
  int64_t c = 0;
  for (int64_t at; (at = find_in(s, from, to, a->p[0], false)) >= 0; from = (size_t)at + n)
    c++;
  return rt_int(c);
}

/* startswith/endswith: a string or a tuple (list) of strings. */
static RtValue *affix(RtFArgs *a, bool end, const char *fname) {
  size_t len, from, to;
  bool empty;
  const char *s = s_of(a, &len);
  RtValue *e = span_of(a, 1, s, len, &from, &to, &empty);
  if (e)
    return e;
  RtValue *p = a->p[0];
  size_t n = rt_kind(p) == RT_LIST ? rt_len(p) : 1;
  for (size_t i = 0; i < n; i++) {
    RtValue *x = rt_kind(p) == RT_LIST ? rt_list_at(p, i) : p;
    if (rt_kind(x) != RT_STR)
      return rt_type_error(rt_kind(p) == RT_LIST ? "tuple for %s must only contain str, not %s"
                                                 : "%s first arg must be str or a tuple of str, not %s",
                           fname, rt_type_name(x));
    size_t xl = x->u.str.len;
    if (empty || to - from < xl)
      continue;
    if (memcmp(s + (end ? to - xl : from), x->u.str.s, xl) == 0)
      return rt_bool(true);
  }
  return rt_bool(false);
}

RtValue *rt_m_startswith(RtFArgs *a) { return affix(a, false, "startswith"); }
RtValue *rt_m_endswith(RtFArgs *a) { return affix(a, true, "endswith"); }

/* partition/rpartition: (head, sep, tail); not found: (s, '', '') or ('', '', s). */
static RtValue *partition(RtFArgs *a, bool last) {
  const RtValue *sep;
  RtValue *e = rt_kind(a->p[0]) == RT_STR ? need_sep(a->p[0], &sep)
                                          : rt_type_error("must be str, not %s", rt_type_name(a->p[0]));
  if (e)
    return e;
  size_t len;
  const char *s = s_of(a, &len);
  int64_t at = find_in(s, 0, len, sep, last);
  RtValue *t = rt_tuple_new(3);
  if (at < 0) {
    rt_list_push(t, last ? rt_str("", 0) : rt_str(s, len));
    rt_list_push(t, rt_str("", 0));
    rt_list_push(t, last ? rt_str(s, len) : rt_str("", 0));
    return t;
  }
  size_t k = (size_t)at, n = sep->u.str.len;
  rt_list_push(t, rt_str(s, k));
  rt_list_push(t, rt_str(sep->u.str.s, n));
  rt_list_push(t, rt_str(s + k + n, len - k - n));
  return t;
}

RtValue *rt_m_partition(RtFArgs *a) { return partition(a, false); }
RtValue *rt_m_rpartition(RtFArgs *a) { return partition(a, true); }

/* ---- str: padding ---- */

/* center/ljust/rjust: `how` < 0 left-justify, 0 center, > 0 right-justify. */
static RtValue *pad(RtFArgs *a, int how) {
  int64_t width;
  RtValue *e = need_int(a->p[0], &width);
  if (e)
    return e;
  uint32_t fill = ' ';
  if (a->p[1]) {
    const RtValue *f = a->p[1];
    if (rt_kind(f) != RT_STR)
      return rt_type_error("The fill character must be a unicode character, not %s", rt_type_name(f));
    size_t i = 0;
    if (rt_utf8_count(f->u.str.s, f->u.str.len) != 1)
      return rt_type_error("The fill character must be exactly one character long");
    fill = rt_utf8_next(f->u.str.s, f->u.str.len, &i);
  }
  size_t len;
  const char *s = s_of(a, &len);
  int64_t n = (int64_t)rt_utf8_count(s, len);
  if (width <= n)
    return rt_str(s, len);
  int64_t marg = width - n, left = how < 0 ? 0 : how > 0 ? marg : marg / 2 + (marg & width & 1);
  RtBuf b = {0};
  for (int64_t i = 0; i < left; i++)
    rt_utf8_put(&b, fill);
  rt_buf_add(&b, s, len);
  for (int64_t i = left; i < marg; i++)
    rt_utf8_put(&b, fill);
  return rt_buf_value(&b);
}

RtValue *rt_m_center(RtFArgs *a) { return pad(a, 0); }
RtValue *rt_m_ljust(RtFArgs *a) { return pad(a, -1); }
RtValue *rt_m_rjust(RtFArgs *a) { return pad(a, 1); }

RtValue *rt_m_zfill(RtFArgs *a) {
  int64_t width;
  RtValue *e = need_int(a->p[0], &width);
  if (e)
    return e;
  size_t len;
  const char *s = s_of(a, &len);
  int64_t n = (int64_t)rt_utf8_count(s, len);
  if (width <= n)
    return rt_str(s, len);
  RtBuf b = {0};
  size_t sign = len && (s[0] == '+' || s[0] == '-');
  rt_buf_add(&b, s, sign);
  for (int64_t i = n; i < width; i++)
    rt_buf_putc(&b, '0');
  rt_buf_add(&b, s + sign, len - sign);
  return rt_buf_value(&b);
}

/* ---- str.format ---- */

/* One replacement field's value, formatted by `spec` (Python's format
 * mini-language: [[fill]align][sign][#][0][width][,][.precision][type]). */
static RtValue *format_spec(RtBuf *out, RtValue *v, const char *spec, size_t sl) {
  size_t i = 0;
  char fill = ' ', align = 0, sign = '-', type = 0;
  bool alt = false, zero = false, comma = false;
  int64_t width = 0, prec = -1;
  if (sl >= 2 && strchr("<>^=", spec[1]))
    fill = spec[0], align = spec[1], i = 2;
  else if (sl >= 1 && strchr("<>^=", spec[0]))
    align = spec[0], i = 1;
  if (i < sl && strchr("+- ", spec[i]))
    sign = spec[i++];
  if (i < sl && spec[i] == '#')
    alt = true, i++;
  if (i < sl && spec[i] == '0')
    zero = true, i++;
  while (i < sl && spec[i] >= '0' && spec[i] <= '9')
    width = width * 10 + (spec[i++] - '0');
  if (i < sl && spec[i] == ',')
    comma = true, i++;
  if (i < sl && spec[i] == '.') {
    prec = 0, i++;
    while (i < sl && spec[i] >= '0' && spec[i] <= '9')
      prec = prec * 10 + (spec[i++] - '0');
  }
  if (i < sl)
    type = spec[i++];
  RtKind k = rt_kind(v);
  if (i < sl || (comma && (k != RT_INT || (type && type != 'd')))) /* ',' grouping: decimal ints only, for now */
    return rt_error_exc(RT_EXC_VALUE, "Invalid format specifier");
  bool num = k == RT_INT || k == RT_FLOAT || k == RT_BOOL;
  RtBuf body = {0};
  char fmt[32];
  if (!num || (!type && k != RT_FLOAT && k != RT_INT)) {
    if (type && type != 's')
      return rt_error_exc(RT_EXC_VALUE, "Unknown format code '%c' for object of type '%s'", type, rt_type_name(v));
    rt_render_str(&body, v);
    if (prec >= 0) { /* the first `prec` code points */
      size_t at = 0;
      for (int64_t c = 0; c < prec && at < body.len; c++)
        rt_utf8_next(body.data, body.len, &at);
      body.len = at;
    }
  } else if (k != RT_FLOAT && (!type || strchr("dxXob", type))) {
    int64_t x = rt_as_int(v);
    uint64_t ux = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    if (x < 0 || sign != '-')
      rt_buf_putc(&body, x < 0 ? '-' : sign);
    if (alt && type && type != 'd')
      rt_buf_printf(&body, "0%c", type);
    if (rt_is_big(v)) { /* past 64 bits: BIGNUM's digits */
      RtBuf m = {0};
      rt_bigint_magnitude(&m, v, type ? type : 'd');
      for (size_t d = 0; d < m.len; d++) {
        if (comma && d && (m.len - d) % 3 == 0)
          rt_buf_putc(&body, ',');
        rt_buf_putc(&body, m.data[d]);
      }
      rt_buf_free(&m);
    } else if (type == 'b') {
      char bits[65];
      int nb = 0;
      do
        bits[nb++] = (char)('0' + (ux & 1));
      while (ux >>= 1);
      while (nb--)
        rt_buf_putc(&body, bits[nb]);
    } else if (type == 'x') {
      rt_buf_printf(&body, "%llx", (unsigned long long)ux);
    } else if (type == 'X') {
      rt_buf_printf(&body, "%llX", (unsigned long long)ux);
    } else if (type == 'o') {
      rt_buf_printf(&body, "%llo", (unsigned long long)ux);
    } else {
      char digits[24];
      int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)ux);
      for (int d = 0; d < nd; d++) {
        if (comma && d && (nd - d) % 3 == 0)
          rt_buf_putc(&body, ',');
        rt_buf_putc(&body, digits[d]);
      }
    }
  } else if (type && strchr("eEfFgG%", type)) {
    double x = rt_as_float(v);
    if (type == '%')
      x *= 100;
    size_t fl = 0;
    fmt[fl++] = '%';
    if (sign != '-')
      fmt[fl++] = sign;
    if (alt)
      fmt[fl++] = '#';
    fmt[fl++] = '.', fmt[fl++] = '*', fmt[fl++] = type == '%' ? 'f' : type, fmt[fl] = 0;
    rt_buf_printf(&body, fmt, (int)(prec < 0 ? 6 : prec), x);
    if (type == '%')
      rt_buf_putc(&body, '%');
  } else if (!type) { /* a float without a type: str() */
    if (sign != '-' && rt_as_float(v) >= 0)
      rt_buf_putc(&body, sign);
    rt_render_str(&body, v);
  } else {
    return rt_error_exc(RT_EXC_VALUE, "Unknown format code '%c' for object of type '%s'", type, rt_type_name(v));
  }
  if (!body.data)
    rt_buf_add(&body, "", 0);
  if (zero && !align)
    fill = '0', align = '=';
  if (!align)
    align = num ? '>' : '<';
  int64_t n = (int64_t)rt_utf8_count(body.data, body.len), marg = width > n ? width - n : 0;
  size_t pre = align == '=' && body.len && strchr("+- ", body.data[0]) ? 1 : 0;
  int64_t left = align == '<' ? 0 : align == '^' ? marg / 2 : marg;
  rt_buf_add(out, body.data, pre);
  for (int64_t j = 0; j < left; j++)
    rt_buf_putc(out, fill);
  rt_buf_add(out, body.data + pre, body.len - pre);
  for (int64_t j = left; j < marg; j++)
    rt_buf_putc(out, fill);
  rt_buf_free(&body);
  return NULL;
}

/* The value a field names: "" (next automatic), a number, or a keyword. */
static RtValue *field_value(RtFArgs *a, const char *name, size_t nl, int64_t *autonum) {
  size_t npos = a->rest ? rt_len(a->rest) : 0;
  int64_t idx = -1;
  if (!nl) {
    if (*autonum < 0)
      return rt_error_exc(RT_EXC_VALUE, "cannot switch from manual field specification to automatic field numbering");
    idx = (*autonum)++;
  } else if (name[0] >= '0' && name[0] <= '9') {
    if (*autonum > 0)
      return rt_error_exc(RT_EXC_VALUE, "cannot switch from automatic field numbering to manual field specification");
    *autonum = -1;
    idx = 0;
    for (size_t i = 0; i < nl; i++) {
      if (name[i] < '0' || name[i] > '9')
        return rt_error_exc(RT_EXC_VALUE, "playc compiles format fields by name or number only");
      idx = idx * 10 + (name[i] - '0');
    }
  }
  if (idx >= 0) {
    if ((size_t)idx >= npos)
      return rt_error_exc(RT_EXC_INDEX, "Replacement index %lld out of range for positional args tuple",
                          (long long)idx);
    return rt_incref(rt_list_at(a->rest, (size_t)idx));
  }
  char *key = rt_xstrndup(name, nl);
  RtValue *v = a->kw ? rt_dict_get(a->kw, key) : NULL;
  RtValue *r = v ? rt_incref(v) : rt_error_exc(RT_EXC_KEY, "'%s'", key);
  free(key);
  return r;
}

RtValue *rt_m_format(RtFArgs *a) {
  size_t len;
  const char *s = s_of(a, &len);
  RtBuf b = {0};
  int64_t autonum = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if ((c == '{' || c == '}') && i + 1 < len && s[i + 1] == c) {
      rt_buf_putc(&b, c);
      i++;
      continue;
    }
    if (c == '}') {
      rt_buf_free(&b);
      return rt_error_exc(RT_EXC_VALUE, "Single '}' encountered in format string");
    }
    if (c != '{') {
      rt_buf_putc(&b, c);
      continue;
    }
    const char *end = memchr(s + i, '}', len - i);
    if (!end) {
      rt_buf_free(&b);
      return rt_error_exc(RT_EXC_VALUE, "Single '{' encountered in format string");
    }
    const char *f = s + i + 1, *colon = memchr(f, ':', (size_t)(end - f)), *bang = memchr(f, '!', (size_t)(end - f));
    if (bang && colon && bang > colon)
      bang = NULL;
    const char *nend = bang ? bang : colon ? colon : end;
    RtValue *v = field_value(a, f, (size_t)(nend - f), &autonum), *e = NULL;
    if (!rt_is_error(v) && bang && bang + 1 < end && bang[1] == 'r') {
      RtValue *r = rt_to_repr(v);
      rt_decref(v);
      v = r;
    } else if (!rt_is_error(v) && bang) {
      RtValue *r = rt_to_str(v);
      rt_decref(v);
      v = r;
    }
    if (rt_is_error(v))
      e = v, v = NULL;
    else
      e = format_spec(&b, v, colon ? colon + 1 : end, colon ? (size_t)(end - colon - 1) : 0);
    rt_decref(v);
    if (e) {
      rt_buf_free(&b);
      return e;
    }
    i = (size_t)(end - s);
  }
  return rt_buf_value(&b);
}

/* ---- list ---- */

RtValue *rt_m_list_count(RtFArgs *a) {
  int64_t n = 0;
  for (size_t i = 0; i < rt_len(a->base); i++)
    n += rt_equal(rt_list_at(a->base, i), a->p[0]);
  return rt_int(n);
}

RtValue *rt_m_list_index(RtFArgs *a) {
  int64_t n = (int64_t)rt_len(a->base), st = 0, en = n;
  RtValue *e = NULL;
  if (a->p[1] && (e = need_int(a->p[1], &st)))
    return e;
  if (a->p[2] && (e = need_int(a->p[2], &en)))
    return e;
  if (st < 0 && (st += n) < 0)
    st = 0;
  if (en < 0 && (en += n) < 0)
    en = 0;
  for (int64_t i = st; i < en && i < n; i++)
    if (rt_equal(rt_list_at(a->base, (size_t)i), a->p[0]))
      return rt_int(i);
  RtValue *r = rt_to_repr(a->p[0]);
  e = rt_error_exc(RT_EXC_VALUE, "%s is not in list", r->u.str.s);
  rt_decref(r);
  return e;
}

/* ---- dict (and list.copy) ---- */

RtValue *rt_m_copy(RtFArgs *a) {
  return rt_kind(a->base) == RT_DICT ? rt_dict_copy(a->base) : rt_list_copy(a->base);
}

RtValue *rt_m_get(RtFArgs *a) {
  RtValue *k = a->p[0], *v = rt_dict_get_value(a->base, k);
  if (v)
    return rt_incref(v);
  return a->p[1] ? rt_incref(a->p[1]) : rt_none();
}

/* keys/values/items: lists (Python's views render as dict_keys([...]); a
 * view is iterated, measured or tested with `in`, which lists do alike). */
static RtValue *entries(RtFArgs *a, int what) {
  const RtValue *d = a->base;
  RtValue *out = rt_list_new(d->u.dict.len);
  for (size_t i = 0; i < d->u.dict.len; i++) {
    RtValue *k = d->u.dict.ents[i].key, *v = d->u.dict.ents[i].val;
    if (what == 2) {
      RtValue *t = rt_tuple_new(2);
      rt_list_push(t, rt_dict_key_value(k));
      rt_list_push(t, rt_incref(v));
      rt_list_push(out, t);
    } else {
      rt_list_push(out, what ? rt_incref(v) : rt_dict_key_value(k));
    }
  }
  return out;
}

RtValue *rt_m_keys(RtFArgs *a) { return entries(a, 0); }
RtValue *rt_m_values(RtFArgs *a) { return entries(a, 1); }
RtValue *rt_m_items(RtFArgs *a) { return entries(a, 2); }

/* Mutating methods: compiled on a template's {% set %} local only
 * (tplstmt.c's rt_local_method), refused elsewhere (RT_FF_PLANNED); the
 * run-time evaluator reaches this. */
RtValue *rt_m_planned(RtFArgs *a) { return rt_error("the method '%s' is not supported by playc yet", a->name); }
