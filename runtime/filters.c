/*
 * filters.c — calling the filters and tests of filters.def: the table built
 * from it (names hashed once), argument binding to the parameters of each
 * signature (filtersig.h), the undefined and error rules, and the helpers
 * every filter file shares (Python's str/repr, ordering, iteration, Jinja's
 * item and attribute lookups).
 *
 * Errors and undefined values: an error operand is returned as it is; an
 * undefined value is an error unless the filter or test says it takes one
 * (RT_FF_UNDEF for the value, RT_FF_UNDEF_ARGS for arguments), as Jinja's
 * StrictUndefined raises when a filter uses it. The compiler checks names,
 * arity and keywords; the checks here are for calls it could not see
 * (map('upper') by a name computed at run time, the run-time evaluator).
 */
#include "filters.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct FDef {
  const char *name;
  RtFilterFn fn;
  int req;
  const char *sigtext;
  int flags;
  RtSig sig;
} FDef;

static FDef f_defs[] = {
#define PLAYC_FILTER(name, fn, type, req, sig, flags) {name, fn, req, sig, flags, {{{0}}, 0, 0, 0, 0}},
#include "filters.def"
};
static FDef t_defs[] = {
#define PLAYC_TEST(name, fn, req, sig, flags) {name, fn, req, sig, flags, {{{0}}, 0, 0, 0, 0}},
#include "filters.def"
};
#define NF (sizeof f_defs / sizeof *f_defs)
#define NT (sizeof t_defs / sizeof *t_defs)

static RtIndex f_index, t_index;
static pthread_once_t defs_once = PTHREAD_ONCE_INIT;

static const char *f_key(const void *ctx, uint32_t pos, size_t *len) {
  const char *n = ((const FDef *)ctx)[pos].name;
  *len = strlen(n);
  return n;
}

static void defs_init(void) {
  for (size_t i = 0; i < NF; i++) {
    rt_sig_parse(f_defs[i].sigtext, &f_defs[i].sig);
    rt_index_add(&f_index, (uint32_t)i, f_key, f_defs);
  }
  for (size_t i = 0; i < NT; i++) {
    rt_sig_parse(t_defs[i].sigtext, &t_defs[i].sig);
    rt_index_add(&t_index, (uint32_t)i, f_key, t_defs);
  }
}

/* The last definitions found, by the address of the name asked for (the
 * compiled code passes the same constant at every call), per thread;
 * checked against the definition's name, so a name at a reused address
 * is looked up afresh. */
enum { DEF_CACHE = 64 };
static _Thread_local struct {
  const char *name;
  const FDef *def;
} def_cache[2][DEF_CACHE];

static const FDef *find_def_uncached(const char *name, bool test);

/* The definition of `name` (FQCN prefixes of ansible.builtin dropped). */
static const FDef *find_def(const char *name, bool test) {
  size_t slot = ((uintptr_t)name >> 3) % DEF_CACHE;
  if (def_cache[test][slot].name == name && strcmp(def_cache[test][slot].def->name, name) == 0)
    return def_cache[test][slot].def;
  const FDef *d = find_def_uncached(name, test);
  if (d && strcmp(d->name, name) == 0) { /* not for ansible.builtin.x: the check compares names */
    def_cache[test][slot].name = name;
    def_cache[test][slot].def = d;
  }
  return d;
}

static const FDef *find_def_uncached(const char *name, bool test) {
  pthread_once(&defs_once, defs_init);
  if (strncmp(name, "ansible.builtin.", 16) == 0)
    name += 16;
  else if (strncmp(name, "ansible.legacy.", 15) == 0)
    name += 15;
  int64_t i = rt_index_find(test ? &t_index : &f_index, name, strlen(name), f_key, test ? t_defs : f_defs);
  return i < 0 ? NULL : test ? &t_defs[i] : &f_defs[i];
}

bool rt_filter_known(const char *name) { return find_def(name, false) != NULL; }
bool rt_test_known(const char *name) { return find_def(name, true) != NULL; }

/* An argument that cannot be used: an error, or an undefined value the
 * filter does not take. */
static RtValue *bad_operand(RtValue *v, bool undef_ok) {
  if (rt_kind(v) == RT_ERROR || (rt_kind(v) == RT_UNDEF && !undef_ok))
    return rt_error_of(v);
  if (rt_too_deep(v))
    return rt_too_deep_error();
  return NULL;
}

RtValue *rt_sig_bind(const char *name, const RtSig *s, int req, int flags, RtFArgs *a, RtValue *args,
                     RtValue *kwargs) {
  bool undef_ok = flags & RT_FF_UNDEF_ARGS;
  size_t npos = args ? rt_len(args) : 0;
  for (size_t i = 0; i < npos; i++) {
    RtValue *v = rt_list_at(args, i), *e = bad_operand(v, undef_ok);
    if (e)
      return e;
    if ((int)i < s->npos) {
      a->p[i] = v;
    } else if (s->varargs) {
      if (!a->rest)
        a->rest = rt_list_new(npos - i);
      rt_list_push(a->rest, rt_incref(v));
    } else {
      return rt_type_error("%s() takes %d positional argument%s but %zu were given", name, s->npos + 1,
                           s->npos ? "s" : "", npos + 1);
    }
  }
  for (size_t k = 0; kwargs && k < rt_len(kwargs); k++) {
    RtValue *key = kwargs->u.dict.ents[k].key, *v = kwargs->u.dict.ents[k].val, *e = bad_operand(v, undef_ok);
    if (e)
      return e;
    int i = rt_sig_find(s, key->u.str.s);
    if (i >= 0 && a->p[i])
      return rt_type_error("%s() got multiple values for argument '%s'", name, key->u.str.s);
    if (i >= 0) {
      a->p[i] = v;
    } else if (s->varkw) {
      if (!a->kw)
        a->kw = rt_dict_new(4);
      rt_dict_put(a->kw, key->u.str.s, key->u.str.len, rt_incref(v));
    } else {
      return rt_type_error("%s() got an unexpected keyword argument '%s'", name, key->u.str.s);
    }
  }
  for (int i = 0; i < req; i++)
    if (!a->p[i])
      return rt_type_error("%s() missing 1 required positional argument: '%.*s'", name, (int)s->p[i].len,
                           s->p[i].name);
  for (int i = 0; i < s->n; i++)
    if (a->p[i] && s->p[i].unsupported)
      return rt_error("the argument '%.*s' of '%s' is not supported by playc yet", (int)s->p[i].len, s->p[i].name,
                      name);
  return NULL;
}

static RtValue *call(const FDef *d, RtValue *base, RtValue *args, RtValue *kwargs, const RtLoc *loc) {
  RtValue *e = bad_operand(base, d->flags & RT_FF_UNDEF);
  if (e)
    return e;
  RtFArgs a = {0};
  a.name = d->name;
  a.base = base;
  a.loc = loc;
  RtValue *r = rt_sig_bind(d->name, &d->sig, d->req, d->flags, &a, args, kwargs);
  if (!r)
    r = d->fn(&a);
  rt_decref(a.rest);
  rt_decref(a.kw);
  if ((d->flags & RT_FF_TEXT) && rt_kind(r) == RT_STR)
    r = rt_native_text(r);
  return r;
}

RtValue *rt_filter_call(const char *name, RtValue *base, RtValue *args, RtValue *kwargs, const RtLoc *loc) {
  const FDef *d = find_def(name, false);
  if (!d) {
    if (rt_is_error(base))
      return rt_error_of(base);
    return rt_error("template error while templating string: Could not load \"%s\": '%s'", name, name);
  }
  return call(d, base, args, kwargs, loc);
}

RtValue *rt_test_call(const char *name, RtValue *base, RtValue *args, RtValue *kwargs, const RtLoc *loc) {
  const FDef *d = find_def(name, true);
  if (!d)
    return rt_error("template error while templating string: Could not load \"%s\": '%s'", name, name);
  return call(d, base, args, kwargs, loc);
}

RtValue *rt_filter(const char *name, RtValue *base, RtValue *args, RtValue *kwargs, const RtLoc *loc) {
  return rt_unsafe_taint(rt_filter_call(name, base, args, kwargs, loc), base, args, kwargs);
}

RtValue *rt_test(const char *name, RtValue *base, RtValue *args, const RtLoc *loc) {
  return rt_test_call(name, base, args, NULL, loc);
}

RtValue *rt_test_kw(const char *name, RtValue *base, RtValue *args, RtValue *kwargs, const RtLoc *loc) {
  return rt_test_call(name, base, args, kwargs, loc);
}

RtValue *rt_filter_length(const char *name, RtValue *base, const RtLoc *loc) {
  switch (rt_kind(base)) {
  case RT_STR: return rt_int((int64_t)rt_utf8_count(base->u.str.s, base->u.str.len));
  case RT_LIST: case RT_DICT:
    if (!rt_too_deep(base)) /* else bad_operand's error */
      return rt_int((int64_t)rt_len(base));
    break;
  default: break;
  }
  return rt_filter(name, base, NULL, NULL, loc);
}

RtValue *rt_test_divisibleby(RtValue *base, int64_t n, const RtLoc *loc) {
  if (rt_kind(base) == RT_INT && !rt_is_big(base) && n != 0 && n != -1) { /* tests.c's mod_is */
    int64_t m = base->u.i % n;
    if (m != 0 && (m < 0) != (n < 0))
      m += n;
    return rt_bool(m == 0);
  }
  RtValue *args = rt_list_new(1);
  rt_list_push(args, rt_int(n));
  RtValue *r = rt_test("divisibleby", base, args, loc);
  rt_decref(args);
  return r;
}

/* ---- shared helpers -------------------------------------------------------- */

const char *rt_type_name(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_NONE: return "NoneType";
  case RT_BOOL: return "bool";
  case RT_INT: return "int";
  case RT_FLOAT: return "float";
  case RT_STR: return "str";
  case RT_LIST: return rt_is_tuple(v) ? "tuple" : "list";
  case RT_DICT: return "dict";
  default: return "AnsibleUndefined";
  }
}

RtValue *rt_buf_value(RtBuf *b) {
  if (!b->data)
    rt_buf_add(b, "", 0);
  size_t len = b->len;
  return rt_str_take(rt_buf_take(b), len);
}

RtValue *rt_to_str(const RtValue *v) {
  if (rt_kind(v) == RT_STR)
    return rt_incref((RtValue *)v);
  RtBuf b = {0};
  rt_render_str(&b, v);
  return rt_buf_value(&b);
}

RtValue *rt_to_repr(const RtValue *v) {
  RtBuf b = {0};
  rt_render_repr(&b, v);
  return rt_buf_value(&b);
}

bool rt_pytruth(const RtValue *v) { return rt_truth((RtValue *)v, NULL) == 1; }

int rt_order(const RtValue *a, const RtValue *b, RtValue **err) {
  RtValue *lt = rt_binop(RT_OP_LT, (RtValue *)a, (RtValue *)b, NULL);
  if (rt_kind(lt) != RT_BOOL) {
    if (err)
      *err = lt;
    else
      rt_decref(lt);
    return 2;
  }
  if (lt->u.b)
    return -1;
  RtValue *gt = rt_binop(RT_OP_LT, (RtValue *)b, (RtValue *)a, NULL);
  if (rt_kind(gt) != RT_BOOL) {
    if (err)
      *err = gt;
    else
      rt_decref(gt);
    return 2;
  }
  return gt->u.b ? 1 : 0;
}

RtValue *rt_contains(RtValue *seq, RtValue *x) { return rt_binop(RT_OP_IN, x, seq, NULL); }

RtValue *rt_iter_list(RtValue *v) {
  switch (rt_kind(v)) {
  case RT_LIST: return rt_incref(v);
  case RT_DICT: {
    RtValue *l = rt_list_new(rt_len(v));
    for (size_t i = 0; i < rt_len(v); i++)
      rt_list_push(l, rt_dict_key_value(v->u.dict.ents[i].key));
    return l;
  }
  case RT_STR: {
    RtValue *l = rt_list_new(v->u.str.len);
    for (size_t i = 0; i < v->u.str.len;) {
      size_t at = i;
      rt_utf8_next(v->u.str.s, v->u.str.len, &i);
      rt_list_push(l, rt_str(v->u.str.s + at, i - at));
    }
    return l;
  }
  case RT_ERROR: case RT_UNDEF: return rt_error_of(v);
  default: return rt_type_error("'%s' object is not iterable", rt_type_name(v));
  }
}

RtValue *rt_native_text(RtValue *s) {
  if (!rt_sole_ref(s)) { /* shared: mark a copy of its own */
    RtValue *c = rt_str(s->u.str.s, s->u.str.len);
    rt_decref(s);
    s = c;
  }
  s->flags |= RT_VF_NATIVE_TEXT;
  return s;
}

RtValue *rt_jinja_getitem(RtValue *obj, RtValue *key) { return rt_getitem(obj, key, NULL); }

/* Jinja's _prepare_attribute_parts: "a.b.0" → ["a", "b", 0]; an int as it is. */
static RtValue *attr_parts(RtValue *attribute) {
  RtValue *parts = rt_list_new(2);
  if (rt_kind(attribute) != RT_STR) {
    rt_list_push(parts, rt_incref(attribute));
    return parts;
  }
  const char *s = attribute->u.str.s, *end = s + attribute->u.str.len;
  for (;;) {
    const char *dot = memchr(s, '.', (size_t)(end - s));
    const char *e = dot ? dot : end;
    bool digits = e > s;
    for (const char *p = s; p < e; p++)
      digits &= *p >= '0' && *p <= '9';
    int64_t n = 0;
    if (digits && rt_arith_parse_int(s, (size_t)(e - s), 10, &n, NULL, 0) == RT_ARITH_OK)
      rt_list_push(parts, rt_int(n));
    else
      rt_list_push(parts, rt_str(s, (size_t)(e - s)));
    if (!dot)
      break;
    s = dot + 1;
  }
  return parts;
}

RtValue *rt_attr_path(RtValue *item, RtValue *attribute, RtValue *dflt) {
  RtValue *parts = attr_parts(attribute);
  RtValue *cur = rt_incref(item);
  for (size_t i = 0; i < rt_len(parts); i++) {
    RtValue *next = rt_getitem(cur, rt_list_at(parts, i), NULL);
    rt_decref(cur);
    cur = next;
    if (dflt && rt_kind(cur) == RT_UNDEF) {
      rt_decref(cur);
      cur = rt_incref(dflt);
    }
  }
  rt_decref(parts);
  return cur;
}

bool rt_arg_int(const RtValue *v, int64_t *out) {
  if (!v || (rt_kind(v) != RT_INT && rt_kind(v) != RT_BOOL))
    return false;
  *out = rt_as_int(v);
  return true;
}

bool rt_arg_true(const RtValue *v, bool dflt) { return v ? rt_pytruth(v) : dflt; }

const char *rt_arg_str(const RtValue *v) { return v && rt_kind(v) == RT_STR ? v->u.str.s : NULL; }
