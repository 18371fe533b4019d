/*
 * tests.c — the Jinja tests of filters.def: Jinja2's (type tests, number
 * tests, comparisons, in, sameas) and Ansible's (task results, truthiness,
 * sets, version comparison with its five version types, paths on the
 * controller, URIs). A test returns what its Python function returns:
 * Ansible's result tests hand back the result's own value (`failed: 0` makes
 * `r is failed` 0, not False), so they are not bools.
 */
#include "filters.h"
#include "regex.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Jinja2's tests ---- */

RtValue *rt_t_defined(RtFArgs *a) { return rt_bool(rt_kind(a->base) != RT_UNDEF); }
RtValue *rt_t_undefined(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_UNDEF); }
RtValue *rt_t_none(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_NONE); }
RtValue *rt_t_boolean(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_BOOL); }
RtValue *rt_t_false(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_BOOL && !a->base->u.b); }
RtValue *rt_t_true(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_BOOL && a->base->u.b); }
RtValue *rt_t_integer(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_INT); }
RtValue *rt_t_float(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_FLOAT); }
RtValue *rt_t_string(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_STR); }
RtValue *rt_t_mapping(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_DICT); }
RtValue *rt_t_callable(RtFArgs *a) {
  (void)a;
  return rt_bool(false);
}
RtValue *rt_t_escaped(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_STR && (a->base->flags & RT_VF_MARKUP)); }

RtValue *rt_t_number(RtFArgs *a) {
  RtKind k = rt_kind(a->base);
  return rt_bool(k == RT_INT || k == RT_FLOAT || k == RT_BOOL);
}

/* len(value) and value.__getitem__ both work: str, list, dict. */
RtValue *rt_t_sequence(RtFArgs *a) {
  RtKind k = rt_kind(a->base);
  return rt_bool(k == RT_STR || k == RT_LIST || k == RT_DICT);
}

RtValue *rt_t_iterable(RtFArgs *a) {
  RtKind k = rt_kind(a->base);
  return rt_bool(k == RT_STR || k == RT_LIST || k == RT_DICT);
}

/* `value % n == r` with Python's operators (a str % int is a TypeError). */
static RtValue *mod_is(RtValue *v, RtValue *n, int64_t r) {
  if (rt_kind(v) == RT_INT && rt_kind(n) == RT_INT && !rt_is_big(v) && !rt_is_big(n) && n->u.i != 0 &&
      n->u.i != -1) { /* two machine ints: Python's %, whose sign is the divisor's, without boxing */
    int64_t m = v->u.i % n->u.i;
    if (m != 0 && (m < 0) != (n->u.i < 0))
      m += n->u.i;
    return rt_bool(m == r);
  }
  RtValue *m = rt_binop(RT_OP_MOD, v, n, NULL);
  if (rt_is_error(m))
    return m;
  RtValue *rv = rt_int(r);
  RtValue *eq = rt_binop(RT_OP_EQ, m, rv, NULL);
  rt_decref(rv);
  rt_decref(m);
  return eq;
}

RtValue *rt_t_odd(RtFArgs *a) {
  RtValue *two = rt_int(2), *r = mod_is(a->base, two, 1);
  rt_decref(two);
  return r;
}

RtValue *rt_t_even(RtFArgs *a) {
  RtValue *two = rt_int(2), *r = mod_is(a->base, two, 0);
  rt_decref(two);
  return r;
}

RtValue *rt_t_divisibleby(RtFArgs *a) { return mod_is(a->base, a->p[0], 0); }

/* str(value).islower() / isupper(): a cased character, and none of the other case. */
static RtValue *case_test(RtValue *v, bool upper) {
  RtValue *s = rt_to_str(v);
  bool cased = false, ok = true;
  for (size_t i = 0; i < s->u.str.len && ok;) {
    uint32_t c = rt_utf8_next(s->u.str.s, s->u.str.len, &i);
    if (upper ? rt_cp_islower(c) : rt_cp_isupper(c))
      ok = false;
    else if (upper ? rt_cp_isupper(c) : rt_cp_islower(c))
      cased = true;
  }
  rt_decref(s);
  return rt_bool(ok && cased);
}

RtValue *rt_t_lower(RtFArgs *a) { return case_test(a->base, false); }
RtValue *rt_t_upper(RtFArgs *a) { return case_test(a->base, true); }

static RtValue *compare(RtFArgs *a, int op) { return rt_binop(op, a->base, a->p[0], NULL); }
RtValue *rt_t_eq(RtFArgs *a) { return compare(a, RT_OP_EQ); }
RtValue *rt_t_ne(RtFArgs *a) { return compare(a, RT_OP_NE); }
RtValue *rt_t_lt(RtFArgs *a) { return compare(a, RT_OP_LT); }
RtValue *rt_t_le(RtFArgs *a) { return compare(a, RT_OP_LE); }
RtValue *rt_t_gt(RtFArgs *a) { return compare(a, RT_OP_GT); }
RtValue *rt_t_ge(RtFArgs *a) { return compare(a, RT_OP_GE); }
RtValue *rt_t_in(RtFArgs *a) { return rt_contains(a->p[0], a->base); }

/* `value is other`: the same object. None, True, False and the small ints
 * CPython caches are always the same object; other values only when they
 * are one value here. */
RtValue *rt_t_sameas(RtFArgs *a) {
  RtValue *x = a->base, *y = a->p[0];
  if (x == y)
    return rt_bool(true);
  if (rt_kind(x) == RT_INT && rt_kind(y) == RT_INT)
    return rt_bool(x->u.i == y->u.i && x->u.i >= -5 && x->u.i <= 256);
  return rt_bool(false);
}

RtValue *rt_t_filter(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_STR && rt_filter_known(a->base->u.str.s)); }
RtValue *rt_t_test(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_STR && rt_test_known(a->base->u.str.s)); }

/* ---- Ansible's result tests ---- */

static RtValue *need_result(RtFArgs *a, const char *test) {
  if (rt_kind(a->base) != RT_DICT)
    return rt_error("The '%s' test expects a dictionary", test);
  return NULL;
}

/* result.get(key, False) */
static RtValue *get_or_false(RtValue *d, const char *key) {
  RtValue *v = rt_dict_get(d, key);
  return v ? rt_incref(v) : rt_bool(false);
}

RtValue *rt_t_failed(RtFArgs *a) {
  RtValue *e = need_result(a, "failed");
  return e ? e : get_or_false(a->base, "failed");
}

RtValue *rt_t_success(RtFArgs *a) {
  RtValue *f = rt_t_failed(a);
  if (rt_kind(f) == RT_ERROR)
    return f;
  bool t = rt_pytruth(f);
  rt_decref(f);
  return rt_bool(!t);
}

RtValue *rt_t_unreachable(RtFArgs *a) {
  RtValue *e = need_result(a, "unreachable");
  return e ? e : get_or_false(a->base, "unreachable");
}

RtValue *rt_t_reachable(RtFArgs *a) {
  RtValue *u = rt_t_unreachable(a);
  if (rt_kind(u) == RT_ERROR)
    return u;
  bool t = rt_pytruth(u);
  rt_decref(u);
  return rt_bool(!t);
}

RtValue *rt_t_skipped(RtFArgs *a) {
  RtValue *e = need_result(a, "skipped");
  return e ? e : get_or_false(a->base, "skipped");
}

RtValue *rt_t_changed(RtFArgs *a) {
  RtValue *e = need_result(a, "changed");
  if (e)
    return e;
  RtValue *r = a->base, *c = rt_dict_get(r, "changed");
  if (c)
    return rt_incref(c);
  RtValue *results = rt_dict_get(r, "results");
  if (!results || rt_kind(results) != RT_LIST)
    return rt_bool(false);
  if (!rt_len(results))
    return rt_error_exc(RT_EXC_INDEX, "list index out of range");
  if (rt_kind(rt_list_at(results, 0)) != RT_DICT)
    return rt_bool(false);
  for (size_t i = 0; i < rt_len(results); i++) {
    RtValue *res = rt_list_at(results, i);
    if (rt_kind(res) != RT_DICT)
      return rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'get'", rt_type_name(res));
    RtValue *ch = rt_dict_get(res, "changed");
    if (ch && rt_pytruth(ch))
      return rt_bool(true);
  }
  return rt_bool(false);
}

/* started/finished: 1 in an async result; a non-async result counts as
 * started and finished (Ansible also warns). */
static RtValue *async_test(RtFArgs *a, const char *key) {
  RtValue *e = need_result(a, key);
  if (e)
    return e;
  RtValue *v = rt_dict_get(a->base, key);
  if (!v)
    return rt_bool(true);
  RtValue *one = rt_int(1), *r = rt_binop(RT_OP_EQ, v, one, NULL);
  rt_decref(one);
  return r;
}

RtValue *rt_t_started(RtFArgs *a) { return async_test(a, "started"); }
RtValue *rt_t_finished(RtFArgs *a) { return async_test(a, "finished"); }

/* truthy(value, convert_bool): boolean() of a bool-like value, else bool(). */
RtValue *rt_t_truthy(RtFArgs *a) {
  if (rt_arg_true(a->p[0], false)) {
    int b = rt_to_boolean(a->base);
    if (b >= 0)
      return rt_bool(b);
  }
  return rt_bool(rt_pytruth(a->base));
}

RtValue *rt_t_falsy(RtFArgs *a) {
  RtValue *t = rt_t_truthy(a);
  bool v = t->u.b;
  rt_decref(t);
  return rt_bool(!v);
}

static RtValue *any_all(RtFArgs *a, bool all) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  bool r = all;
  for (size_t i = 0; i < rt_len(items); i++) {
    RtValue *it = rt_list_at(items, i);
    if (rt_is_error(it)) {
      RtValue *e = rt_error_of(it);
      rt_decref(items);
      return e;
    }
    if (rt_pytruth(it) != all) {
      r = !all;
      break;
    }
  }
  rt_decref(items);
  return rt_bool(r);
}

RtValue *rt_t_any(RtFArgs *a) { return any_all(a, false); }
RtValue *rt_t_all(RtFArgs *a) { return any_all(a, true); }

RtValue *rt_t_vault_encrypted(RtFArgs *a) {
  (void)a;
  return rt_bool(false); /* vault values are opened when they are read */
}

/* ---- sets and numbers (mathstuff.py) ---- */

/* set(x): Python refuses unhashable items. */
static RtValue *as_set(RtValue *v) {
  RtValue *items = rt_iter_list(v);
  if (rt_kind(items) == RT_ERROR)
    return items;
  for (size_t i = 0; i < rt_len(items); i++) {
    RtKind k = rt_kind(rt_list_at(items, i));
    if (k == RT_LIST || k == RT_DICT) {
      RtValue *e = rt_type_error("unhashable type: '%s'", rt_type_name(rt_list_at(items, i)));
      rt_decref(items);
      return e;
    }
  }
  return items;
}

/* Every item of `a` is in `b`. */
static RtValue *subset(RtValue *av, RtValue *bv) {
  RtValue *x = as_set(av);
  if (rt_kind(x) == RT_ERROR)
    return x;
  RtValue *y = as_set(bv);
  if (rt_kind(y) == RT_ERROR) {
    rt_decref(x);
    return y;
  }
  bool r = true;
  for (size_t i = 0; i < rt_len(x) && r; i++) {
    bool found = false;
    for (size_t j = 0; j < rt_len(y) && !found; j++)
      found = rt_equal(rt_list_at(x, i), rt_list_at(y, j));
    r = found;
  }
  rt_decref(x);
  rt_decref(y);
  return rt_bool(r);
}

RtValue *rt_t_subset(RtFArgs *a) { return subset(a->base, a->p[0]); }
RtValue *rt_t_superset(RtFArgs *a) { return subset(a->p[0], a->base); }
RtValue *rt_t_contains(RtFArgs *a) { return rt_contains(a->base, a->p[0]); }

RtValue *rt_t_nan(RtFArgs *a) { return rt_bool(rt_kind(a->base) == RT_FLOAT && isnan(a->base->u.f)); }

/* ---- paths on the controller (files.py): os.path's answers ---- */

static RtValue *path_arg(RtValue *v, const char **out) {
  if (rt_kind(v) != RT_STR)
    return rt_type_error("stat: path should be string, bytes, os.PathLike or integer, not %s", rt_type_name(v));
  *out = v->u.str.s;
  return NULL;
}

static RtValue *stat_test(RtFArgs *a, bool follow, mode_t kind, bool any) {
  const char *p = NULL;
  RtValue *e = path_arg(a->base, &p);
  if (e)
    return e;
  struct stat st;
  int rc = follow ? stat(p, &st) : lstat(p, &st);
  if (rc != 0)
    return rt_bool(false);
  return rt_bool(any || (st.st_mode & S_IFMT) == kind);
}

RtValue *rt_t_directory(RtFArgs *a) { return stat_test(a, true, S_IFDIR, false); }
RtValue *rt_t_file(RtFArgs *a) { return stat_test(a, true, S_IFREG, false); }
RtValue *rt_t_link(RtFArgs *a) { return stat_test(a, false, S_IFLNK, false); }
RtValue *rt_t_exists(RtFArgs *a) { return stat_test(a, true, 0, true); }
RtValue *rt_t_link_exists(RtFArgs *a) { return stat_test(a, false, 0, true); }

RtValue *rt_t_abs(RtFArgs *a) {
  if (rt_kind(a->base) != RT_STR)
    return rt_type_error("expected str, bytes or os.PathLike object, not %s", rt_type_name(a->base));
  return rt_bool(a->base->u.str.len && a->base->u.str.s[0] == '/');
}

RtValue *rt_t_same_file(RtFArgs *a) {
  const char *p = NULL, *q = NULL;
  RtValue *e = path_arg(a->base, &p);
  if (!e)
    e = path_arg(a->p[0], &q);
  if (e)
    return e;
  struct stat s1, s2;
  if (stat(p, &s1) != 0 || stat(q, &s2) != 0)
    return rt_error_exc(RT_EXC_OTHER, "[Errno %d] %s: '%s'", errno, strerror(errno), stat(p, &s1) ? p : q);
  return rt_bool(s1.st_dev == s2.st_dev && s1.st_ino == s2.st_ino);
}

/* os.path.ismount: a symlink never; else a different device than its
 * parent, or the same inode as the parent (the root). */
RtValue *rt_t_mount(RtFArgs *a) {
  const char *p = NULL;
  RtValue *e = path_arg(a->base, &p);
  if (e)
    return e;
  struct stat st, parent;
  if (lstat(p, &st) != 0 || S_ISLNK(st.st_mode))
    return rt_bool(false);
  char *up = rt_xasprintf("%s/..", p);
  int rc = lstat(up, &parent);
  free(up);
  if (rc != 0)
    return rt_bool(false);
  return rt_bool(st.st_dev != parent.st_dev || st.st_ino == parent.st_ino);
}

/* ---- URIs (uri.py): urlparse never fails on a string ---- */

static RtValue *uri_parts(RtValue *v, char **scheme, bool *netloc) {
  RtValue *d = rt_filter_call("urlsplit", v, NULL, NULL, NULL);
  if (rt_kind(d) != RT_DICT)
    return d;
  RtValue *s = rt_dict_get(d, "scheme"), *n = rt_dict_get(d, "netloc");
  *scheme = rt_xstrdup(s && rt_kind(s) == RT_STR ? s->u.str.s : "");
  *netloc = n && rt_len(n) > 0;
  rt_decref(d);
  return NULL;
}

static bool scheme_in(const char *scheme, RtValue *schemes) {
  if (!schemes || rt_kind(schemes) == RT_NONE || !rt_pytruth(schemes))
    return true;
  RtValue *s = rt_strz(scheme), *in = rt_contains(schemes, s);
  bool r = rt_kind(in) == RT_BOOL && in->u.b;
  rt_decref(in);
  rt_decref(s);
  return r;
}

static RtValue *uri_test(RtFArgs *a, RtValue *schemes, bool url) {
  if (rt_kind(a->base) != RT_STR)
    return rt_bool(false);
  char *scheme = NULL;
  bool netloc = false;
  RtValue *e = uri_parts(a->base, &scheme, &netloc);
  if (e) {
    rt_decref(e);
    return rt_bool(false);
  }
  bool r = scheme_in(scheme, schemes);
  if (r && url)
    r = netloc || strcmp(scheme, "file") == 0;
  free(scheme);
  return rt_bool(r);
}

RtValue *rt_t_uri(RtFArgs *a) { return uri_test(a, a->p[0], false); }
RtValue *rt_t_url(RtFArgs *a) { return uri_test(a, a->p[0], true); }
RtValue *rt_t_urn(RtFArgs *a) {
  RtValue *urn = rt_list_new(1);
  rt_list_push(urn, rt_strz("urn"));
  RtValue *r = uri_test(a, urn, false);
  rt_decref(urn);
  return r;
}

/* ---- version comparison (version_compare) ---- */

typedef enum VType { V_LOOSE, V_STRICT, V_SEMVER, V_PEP440 } VType;

/* A parsed version: a list of comparable parts, or an error value. */
typedef struct Ver {
  VType type;
  RtValue *parts; /* loose: ints and strings; others: see the parsers */
} Ver;

static RtRegex *v_res[4];
static pthread_once_t v_once = PTHREAD_ONCE_INIT;

static void v_init(void) {
  static const char *const pats[] = {
      "(\\d+|[a-z]+|\\.)",
      "^(\\d+)\\.(\\d+)(\\.(\\d+))?([ab](\\d+))?$",
      "^(?P<major>0|[1-9]\\d*)\\.(?P<minor>0|[1-9]\\d*)\\.(?P<patch>0|[1-9]\\d*)"
      "(?:-(?P<prerelease>(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
      "(?:\\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$",
      "^\\s*v?(?:(?:(?P<epoch>[0-9]+)!)?(?P<release>[0-9]+(?:\\.[0-9]+)*)"
      "(?P<pre>[-_\\.]?(?P<pre_l>(a|b|c|rc|alpha|beta|pre|preview))[-_\\.]?(?P<pre_n>[0-9]+)?)?"
      "(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\\.]?(?P<post_l>post|rev|r)[-_\\.]?(?P<post_n2>[0-9]+)?))?"
      "(?P<dev>[-_\\.]?(?P<dev_l>dev)[-_\\.]?(?P<dev_n>[0-9]+)?)?)"
      "(?:\\+(?P<local>[a-z0-9]+(?:[-_\\.][a-z0-9]+)*))?\\s*$"};
  for (int i = 0; i < 4; i++) {
    RtValue *err = NULL;
    v_res[i] = rt_re_compile(pats[i], strlen(pats[i]), (i == 1 ? 0 : 0) | (i == 3 ? RT_RE_I : 0), &err);
    RT_ASSERT(v_res[i]);
  }
}

static RtValue *int_of(const char *s, size_t len) {
  int64_t n = 0;
  char msg[128];
  RtArithErr e = rt_arith_parse_int(s, len, 10, &n, msg, sizeof msg);
  if (e == RT_ARITH_OVERFLOW) /* digits past 64 bits: a Python int all the same */
    return rt_bigint_parse(s, len, 10);
  return e ? rt_arith_error(e, msg) : rt_int(n);
}

static RtValue *group_str(const RtReMatch *m, const char *s, uint32_t g) { return rt_re_group_value(m, s, g); }

/* LooseVersion: numbers, lowercase words and what lies between, dots dropped. */
static RtValue *v_loose(const char *s, size_t len) {
  RtValue *parts = rt_list_new(4);
  size_t pos = 0;
  RtReMatch m;
  while (pos <= len) {
    int rc = rt_re_exec(v_res[0], s, len, pos, false, false, &m);
    size_t ms = rc > 0 ? (size_t)m.start[0] : len, me = rc > 0 ? (size_t)m.end[0] : len;
    if (ms > pos)
      rt_list_push(parts, rt_str(s + pos, ms - pos));
    if (rc <= 0)
      break;
    if (!(me - ms == 1 && s[ms] == '.')) {
      bool digits = s[ms] >= '0' && s[ms] <= '9';
      rt_list_push(parts, digits ? int_of(s + ms, me - ms) : rt_str(s + ms, me - ms));
    }
    pos = me;
  }
  return parts;
}

/* StrictVersion: [major, minor, patch, has_prerelease, letter, number]. */
static RtValue *v_strict(const char *s, size_t len) {
  RtReMatch m;
  if (rt_re_exec(v_res[1], s, len, 0, true, false, &m) <= 0)
    return rt_error_exc(RT_EXC_VALUE, "invalid version number '%.*s'", (int)len, s);
  RtValue *p = rt_list_new(6);
  rt_list_push(p, int_of(s + m.start[1], (size_t)(m.end[1] - m.start[1])));
  rt_list_push(p, int_of(s + m.start[2], (size_t)(m.end[2] - m.start[2])));
  rt_list_push(p, m.start[4] >= 0 ? int_of(s + m.start[4], (size_t)(m.end[4] - m.start[4])) : rt_int(0));
  if (m.start[5] >= 0) {
    rt_list_push(p, rt_str(s + m.start[5], 1));
    rt_list_push(p, int_of(s + m.start[6], (size_t)(m.end[6] - m.start[6])));
  }
  return p;
}

/* SemanticVersion: [major, minor, patch, [prerelease parts]]. */
static RtValue *v_semver(const char *s, size_t len) {
  RtReMatch m;
  if (rt_re_exec(v_res[2], s, len, 0, true, false, &m) <= 0)
    return rt_error_exc(RT_EXC_VALUE, "invalid semantic version '%.*s'", (int)len, s);
  RtValue *p = rt_list_new(4), *pre = rt_list_new(2);
  for (uint32_t g = 1; g <= 3; g++)
    rt_list_push(p, int_of(s + m.start[g], (size_t)(m.end[g] - m.start[g])));
  if (m.start[4] >= 0) {
    RtValue *ids = rt_text_split(s + m.start[4], (size_t)(m.end[4] - m.start[4]), ".", 1, -1);
    for (size_t i = 0; i < rt_len(ids); i++) {
      RtValue *id = rt_list_at(ids, i);
      bool digits = id->u.str.len > 0;
      for (size_t k = 0; k < id->u.str.len; k++)
        digits &= id->u.str.s[k] >= '0' && id->u.str.s[k] <= '9';
      rt_list_push(pre, digits ? int_of(id->u.str.s, id->u.str.len) : rt_incref(id));
    }
    rt_decref(ids);
  }
  rt_list_push(p, pre);
  return p;
}

/* PEP 440 (packaging's Version): the comparison key [epoch, release without
 * trailing zeros, pre, post, dev, local], with ±infinity as the strings
 * "+inf"/"-inf" markers handled by v_cmp_pep. */
static RtValue *v_pep440(const char *s, size_t len) {
  RtReMatch m;
  if (rt_re_exec(v_res[3], s, len, 0, true, false, &m) <= 0)
    return rt_error_exc(RT_EXC_VALUE, "Invalid version: '%.*s'", (int)len, s);
#define G(name) rt_re_group_index(v_res[3], name)
#define HAS(name) (m.start[G(name)] >= 0)
#define STR(name) group_str(&m, s, (uint32_t)G(name))
  RtValue *key = rt_list_new(6);
  rt_list_push(key, HAS("epoch") ? int_of(s + m.start[G("epoch")], (size_t)(m.end[G("epoch")] - m.start[G("epoch")])) : rt_int(0));
  RtValue *relv = STR("release"), *rel = rt_text_split(relv->u.str.s, relv->u.str.len, ".", 1, -1), *release = rt_list_new(4);
  size_t n = rt_len(rel);
  RtValue **nums = rt_xcalloc(n + 1, sizeof *nums);
  for (size_t i = 0; i < n; i++)
    nums[i] = int_of(rt_list_at(rel, i)->u.str.s, rt_list_at(rel, i)->u.str.len);
  while (n > 0 && rt_kind(nums[n - 1]) == RT_INT && nums[n - 1]->u.i == 0)
    rt_decref(nums[--n]);
  for (size_t i = 0; i < n; i++)
    rt_list_push(release, nums[i]);
  for (size_t i = n; i < rt_len(rel); i++)
    ;
  free(nums);
  rt_decref(rel);
  rt_decref(relv);
  rt_list_push(key, release);
  /* letter versions: [normalised letter, number] */
  RtValue *pre = NULL, *post = NULL, *dev = NULL;
  if (HAS("pre_l")) {
    RtValue *l = STR("pre_l");
    RtBuf low = {0};
    rt_text_lower(&low, l->u.str.s, l->u.str.len);
    const char *L = low.data;
    const char *norm = !strcmp(L, "alpha") ? "a" : !strcmp(L, "beta") ? "b"
                       : (!strcmp(L, "c") || !strcmp(L, "pre") || !strcmp(L, "preview")) ? "rc" : L;
    pre = rt_list_new(2);
    rt_list_push(pre, rt_strz(norm));
    rt_list_push(pre, HAS("pre_n") ? int_of(s + m.start[G("pre_n")], (size_t)(m.end[G("pre_n")] - m.start[G("pre_n")])) : rt_int(0));
    rt_buf_free(&low);
    rt_decref(l);
  }
  if (HAS("post_n1") || HAS("post_l")) {
    post = rt_list_new(2);
    rt_list_push(post, rt_strz("post"));
    const char *g = HAS("post_n1") ? "post_n1" : "post_n2";
    rt_list_push(post, HAS(g) ? int_of(s + m.start[G(g)], (size_t)(m.end[G(g)] - m.start[G(g)])) : rt_int(0));
  }
  if (HAS("dev_l")) {
    dev = rt_list_new(2);
    rt_list_push(dev, rt_strz("dev"));
    rt_list_push(dev, HAS("dev_n") ? int_of(s + m.start[G("dev_n")], (size_t)(m.end[G("dev_n")] - m.start[G("dev_n")])) : rt_int(0));
  }
  rt_list_push(key, pre ? pre : rt_strz(!post && dev ? "-inf" : "+inf"));
  rt_list_push(key, post ? post : rt_strz("-inf"));
  rt_list_push(key, dev ? dev : rt_strz("+inf"));
  if (HAS("local")) {
    RtValue *lv = STR("local"), *local = rt_list_new(4);
    size_t st = 0;
    for (size_t i = 0; i <= lv->u.str.len; i++)
      if (i == lv->u.str.len || strchr("._-", lv->u.str.s[i])) {
        const char *ps = lv->u.str.s + st;
        size_t pl = i - st;
        bool digits = pl > 0;
        for (size_t k = 0; k < pl; k++)
          digits &= ps[k] >= '0' && ps[k] <= '9';
        RtValue *part = rt_list_new(2); /* (int, "") or (-inf, lowercase) */
        if (digits) {
          rt_list_push(part, int_of(ps, pl));
          rt_list_push(part, rt_str("", 0));
        } else {
          RtBuf low = {0};
          rt_text_lower(&low, ps, pl);
          rt_list_push(part, rt_strz("-inf"));
          rt_list_push(part, rt_buf_value(&low));
        }
        rt_list_push(local, part);
        st = i + 1;
      }
    rt_decref(lv);
    rt_list_push(key, local);
  } else {
    rt_list_push(key, rt_strz("-inf"));
  }
#undef G
#undef HAS
#undef STR
  return key;
}

/* Python ordering of loose parts: ints and strings do not compare. */
static int v_cmp_loose(RtValue *a, RtValue *b, RtValue **err) {
  if (rt_equal(a, b))
    return 0;
  return rt_order(a, b, err);
}

static int v_cmp_strict(RtValue *a, RtValue *b) {
  for (int i = 0; i < 3; i++) {
    int64_t x = rt_list_at(a, (size_t)i)->u.i, y = rt_list_at(b, (size_t)i)->u.i;
    if (x != y)
      return x < y ? -1 : 1;
  }
  bool pa = rt_len(a) > 3, pb = rt_len(b) > 3;
  if (!pa && !pb)
    return 0;
  if (pa != pb)
    return pa ? -1 : 1;
  int c = strcmp(rt_list_at(a, 3)->u.str.s, rt_list_at(b, 3)->u.str.s);
  if (c)
    return c < 0 ? -1 : 1;
  int64_t x = rt_list_at(a, 4)->u.i, y = rt_list_at(b, 4)->u.i;
  return x < y ? -1 : x > y;
}

/* _Alpha/_Numeric of SemanticVersion: numbers sort before words. */
static int v_cmp_ident(RtValue *x, RtValue *y) {
  bool nx = rt_kind(x) == RT_INT, ny = rt_kind(y) == RT_INT;
  if (nx && ny)
    return x->u.i < y->u.i ? -1 : x->u.i > y->u.i;
  if (nx != ny)
    return nx ? -1 : 1;
  int c = strcmp(x->u.str.s, y->u.str.s);
  return c < 0 ? -1 : c > 0;
}

static int v_cmp_semver(RtValue *a, RtValue *b) {
  for (int i = 0; i < 3; i++) {
    int64_t x = rt_list_at(a, (size_t)i)->u.i, y = rt_list_at(b, (size_t)i)->u.i;
    if (x != y)
      return x < y ? -1 : 1;
  }
  RtValue *pa = rt_list_at(a, 3), *pb = rt_list_at(b, 3);
  if (!rt_len(pa) && !rt_len(pb))
    return 0;
  if (rt_len(pa) && !rt_len(pb))
    return -1;
  if (!rt_len(pa) && rt_len(pb))
    return 1;
  for (size_t i = 0; i < rt_len(pa) && i < rt_len(pb); i++) {
    int c = v_cmp_ident(rt_list_at(pa, i), rt_list_at(pb, i));
    if (c)
      return c;
  }
  return rt_len(pa) < rt_len(pb) ? -1 : rt_len(pa) > rt_len(pb);
}

static bool is_inf(const RtValue *v, char sign) {
  return rt_kind(v) == RT_STR && v->u.str.len == 4 && v->u.str.s[0] == sign && strcmp(v->u.str.s + 1, "inf") == 0;
}

/* packaging's key comparison, Infinity and NegativeInfinity included. */
static int v_cmp_pep(RtValue *a, RtValue *b) {
  if (is_inf(a, '+') || is_inf(b, '-'))
    return is_inf(a, '+') && is_inf(b, '+') ? 0 : is_inf(b, '-') && is_inf(a, '-') ? 0 : 1;
  if (is_inf(a, '-') || is_inf(b, '+'))
    return -1;
  if (rt_kind(a) == RT_LIST && rt_kind(b) == RT_LIST) {
    for (size_t i = 0; i < rt_len(a) && i < rt_len(b); i++) {
      int c = v_cmp_pep(rt_list_at(a, i), rt_list_at(b, i));
      if (c)
        return c;
    }
    return rt_len(a) < rt_len(b) ? -1 : rt_len(a) > rt_len(b);
  }
  if (rt_kind(a) == RT_INT && rt_kind(b) == RT_INT)
    return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
  if (rt_kind(a) == RT_STR && rt_kind(b) == RT_STR) {
    int c = strcmp(a->u.str.s, b->u.str.s);
    return c < 0 ? -1 : c > 0;
  }
  return rt_kind(a) == RT_INT ? 1 : -1;
}

static RtValue *ver_parse(VType t, RtValue *v) {
  RtValue *s = rt_to_str(v), *r;
  pthread_once(&v_once, v_init);
  switch (t) {
  case V_LOOSE: r = v_loose(s->u.str.s, s->u.str.len); break;
  case V_STRICT: r = v_strict(s->u.str.s, s->u.str.len); break;
  case V_SEMVER: r = v_semver(s->u.str.s, s->u.str.len); break;
  default: r = v_pep440(s->u.str.s, s->u.str.len); break;
  }
  rt_decref(s);
  return r;
}

/* The first error inside a parsed version (a part that failed). */
static RtValue *ver_error(RtValue *p) {
  if (rt_kind(p) == RT_ERROR)
    return p;
  for (size_t i = 0; rt_kind(p) == RT_LIST && i < rt_len(p); i++) {
    RtValue *e = ver_error(rt_list_at(p, i));
    if (e)
      return e;
  }
  return NULL;
}

RtValue *rt_t_version(RtFArgs *a) {
  static const struct {
    const char *name, *op;
  } ops[] = {{"==", "eq"}, {"=", "eq"}, {"eq", "eq"}, {"<", "lt"}, {"lt", "lt"},  {"<=", "le"}, {"le", "le"},
             {">", "gt"},  {"gt", "gt"}, {">=", "ge"}, {"ge", "ge"}, {"!=", "ne"}, {"<>", "ne"}, {"ne", "ne"}};
  RtValue *strict = a->p[2] && rt_kind(a->p[2]) != RT_NONE ? a->p[2] : NULL;
  RtValue *vtype = a->p[3] && rt_kind(a->p[3]) != RT_NONE ? a->p[3] : NULL;
  if (strict && vtype)
    return rt_error("Cannot specify both 'strict' and 'version_type'");
  if (!rt_pytruth(a->base))
    return rt_error("Input version value cannot be empty");
  if (!rt_pytruth(a->p[0]))
    return rt_error("Version parameter to compare against cannot be empty");
  VType t = V_LOOSE;
  if (strict && rt_pytruth(strict)) {
    t = V_STRICT;
  } else if (vtype) {
    const char *n = rt_arg_str(vtype);
    if (n && !strcmp(n, "loose"))
      t = V_LOOSE;
    else if (n && !strcmp(n, "strict"))
      t = V_STRICT;
    else if (n && (!strcmp(n, "semver") || !strcmp(n, "semantic")))
      t = V_SEMVER;
    else if (n && !strcmp(n, "pep440"))
      t = V_PEP440;
    else {
      RtValue *s = rt_to_str(vtype);
      RtValue *e = rt_error("Invalid version type (%s). Must be one of 'loose', 'strict', 'semver', 'semantic', "
                            "'pep440'",
                            s->u.str.s);
      rt_decref(s);
      return e;
    }
  }
  const char *op = NULL, *given = a->p[1] ? rt_arg_str(a->p[1]) : "eq";
  for (size_t i = 0; given && i < sizeof ops / sizeof *ops; i++)
    if (!strcmp(ops[i].name, given))
      op = ops[i].op;
  if (!op) {
    RtValue *s = rt_to_str(a->p[1]);
    RtValue *e = rt_error("Invalid operator type (%s). Must be one of '==', '=', 'eq', '<', 'lt', '<=', 'le', '>', "
                          "'gt', '>=', 'ge', '!=', '<>', 'ne'",
                          s->u.str.s);
    rt_decref(s);
    return e;
  }
  RtValue *x = ver_parse(t, a->base), *y = ver_parse(t, a->p[0]), *r = NULL;
  RtValue *e = ver_error(x);
  if (!e)
    e = ver_error(y);
  int c = 0;
  if (!e) {
    RtValue *cmp_err = NULL;
    switch (t) {
    case V_LOOSE: { /* lists: == first, then < (which may raise) */
      if (rt_equal(x, y)) {
        c = 0;
      } else {
        c = 2;
        for (size_t i = 0; i < rt_len(x) && i < rt_len(y) && c == 2; i++) {
          int k = v_cmp_loose(rt_list_at(x, i), rt_list_at(y, i), &cmp_err);
          if (cmp_err)
            break;
          if (k)
            c = k;
        }
        if (!cmp_err && c == 2)
          c = rt_len(x) < rt_len(y) ? -1 : 1;
      }
      break;
    }
    case V_STRICT: c = v_cmp_strict(x, y); break;
    case V_SEMVER: c = v_cmp_semver(x, y); break;
    default: c = v_cmp_pep(x, y); break;
    }
    if (cmp_err) { /* _cmp tries < once == failed, whatever the operator */
      r = rt_error("Version comparison failed: %s", cmp_err->u.err.msg);
      rt_decref(cmp_err);
    }
  } else {
    r = rt_error("Version comparison failed: %s", e->u.err.msg);
  }
  if (!r) {
    bool b = !strcmp(op, "eq") ? c == 0 : !strcmp(op, "ne") ? c != 0 : !strcmp(op, "lt") ? c < 0
             : !strcmp(op, "le") ? c <= 0 : !strcmp(op, "gt") ? c > 0 : c >= 0;
    r = rt_bool(b);
  }
  rt_decref(x);
  rt_decref(y);
  return r;
}
