/*
 * ops.c — the dynamic operations compiled expressions call when the types of
 * their operands are known only at run time: arithmetic and comparisons with
 * Python semantics (Jinja evaluates with Python's operators), `in`, `~`,
 * attribute and item access with Jinja's fallbacks, truthiness.
 *
 * Errors are values: an error operand is returned as is; an undefined operand
 * becomes Ansible's "'x' is undefined" error; a type mismatch gives Python's
 * TypeError message. Numbers are runtime/arith.c's (Python's semantics, checked).
 */
#include "rt.h"
#include "filters.h"

#include <stdlib.h>
#include <string.h>

static const char *type_name(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_NONE: return "NoneType";
  case RT_BOOL: return "bool";
  case RT_INT: return "int";
  case RT_FLOAT: return "float";
  case RT_STR: return "str";
  case RT_LIST: return rt_is_tuple(v) ? "tuple" : "list";
  case RT_DICT: return "dict";
  default: return "Undefined";
  }
}

/* An error for a bad operand (an error, an undefined, a value nested past
 * RT_MAX_DEPTH), or NULL when both operands are usable. */
static RtValue *operand_error(RtValue *a, RtValue *b) {
  RtValue *vs[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    if (vs[i] && rt_is_error(vs[i]))
      return rt_error_of(vs[i]);
    if (vs[i] && rt_too_deep(vs[i]))
      return rt_too_deep_error();
  }
  return NULL;
}

static bool is_num(const RtValue *v) {
  return rt_kind(v) == RT_INT || rt_kind(v) == RT_FLOAT || rt_kind(v) == RT_BOOL;
}

static RtValue *type_error(const char *op, RtValue *a, RtValue *b) {
  return rt_type_error("unsupported operand type(s) for %s: '%s' and '%s'", op, type_name(a),
                  type_name(b));
}

RtNum rt_num_of(const RtValue *v) {
  return rt_kind(v) == RT_FLOAT ? rt_num_float(v->u.f) : rt_num_int(rt_as_int(v));
}

static RtValue *num_value(RtNum n) {
  return n.is_float ? rt_float(n.f) : rt_int(n.i);
}

RtValue *rt_arith_error(RtArithErr e, const char *msg) {
  RtExc exc = e == RT_ARITH_ZERO_DIVISION ? RT_EXC_ZERO_DIVISION
              : e == RT_ARITH_OVERFLOW    ? RT_EXC_OVERFLOW
              : e == RT_ARITH_MEMORY      ? RT_EXC_MEMORY
                                          : RT_EXC_VALUE;
  return rt_error_exc(exc, "%s", msg);
}

/* Arithmetic on two numbers (bools count as ints): runtime/arith.c decides. */
static RtValue *arith(int op, RtValue *a, RtValue *b) {
  if (rt_is_big(a) || rt_is_big(b))
    return rt_bigint_binop(op, a, b);
  char msg[256];
  RtNum r;
  RtArithErr e = rt_arith_binop(op, rt_num_of(a), rt_num_of(b), &r, msg, sizeof msg);
  if (e == RT_ARITH_OVERFLOW && rt_kind(a) != RT_FLOAT && rt_kind(b) != RT_FLOAT)
    return rt_bigint_binop(op, a, b); /* an int result past 64 bits */
  return e ? rt_arith_error(e, msg) : num_value(r);
}

/* seq * n (Python: n <= 0 gives an empty sequence), within arith.h's limits. */
static RtValue *repeat(RtValue *seq, int64_t n) {
  char msg[256];
  size_t total, len = rt_len(seq);
  bool str = rt_kind(seq) == RT_STR;
  RtArithErr e = str ? rt_arith_size(len, n, RT_ARITH_MAX_STR, "repeated string", "bytes", &total,
                                     msg, sizeof msg)
                     : rt_arith_size(len, n, RT_ARITH_MAX_ITEMS, "repeated list", "items",
                                     &total, msg, sizeof msg);
  if (e)
    return rt_arith_error(e, msg);
  if (str) {
    char *s = rt_xmalloc(total + 1);
    for (size_t off = 0; off < total; off += len)
      memcpy(s + off, seq->u.str.s, len);
    s[total] = 0;
    return rt_str_take(s, total);
  }
  RtValue *l = rt_list_new(total);
  for (size_t k = 0; k < total; k++)
    rt_list_push(l, rt_incref(rt_list_at(seq, k % len)));
  return rt_is_tuple(seq) ? rt_list_tuple(l) : l;
}

enum { CMP_TYPES = 2, CMP_UNORDERED = 3 };

/* Python ordering: -1, 0, 1, CMP_TYPES when the types are not orderable (a
 * TypeError), CMP_UNORDERED when a NaN decides (every ordering is false). */
static int compare(const RtValue *a, const RtValue *b) {
  if (is_num(a) && is_num(b)) {
    int c = rt_is_big(a) || rt_is_big(b) ? rt_bigint_cmp(a, b) : rt_arith_cmp(rt_num_of(a), rt_num_of(b));
    return c == 2 ? CMP_UNORDERED : c;
  }
  if (rt_kind(a) == RT_STR && rt_kind(b) == RT_STR) {
    size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
    int c = memcmp(a->u.str.s, b->u.str.s, n);
    if (c)
      return c < 0 ? -1 : 1;
    return a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len;
  }
  if (rt_kind(a) == RT_LIST && rt_kind(b) == RT_LIST && rt_is_tuple(a) == rt_is_tuple(b)) {
    for (size_t i = 0; i < rt_len(a) && i < rt_len(b); i++) {
      if (rt_equal(rt_list_at(a, i), rt_list_at(b, i)))
        continue;
      return compare(rt_list_at(a, i), rt_list_at(b, i));
    }
    return rt_len(a) < rt_len(b) ? -1 : rt_len(a) > rt_len(b);
  }
  return CMP_TYPES;
}

static RtValue *contains(RtValue *item, RtValue *seq) {
  switch (rt_kind(seq)) {
  case RT_STR:
    if (rt_kind(item) != RT_STR)
      return rt_type_error("'in <string>' requires string as left operand, not %s", type_name(item));
    return rt_bool(memmem(seq->u.str.s, seq->u.str.len, item->u.str.s, item->u.str.len) != NULL ||
                   item->u.str.len == 0);
  case RT_LIST:
    for (size_t i = 0; i < rt_len(seq); i++)
      if (rt_equal(item, rt_list_at(seq, i)))
        return rt_bool(true);
    return rt_bool(false);
  case RT_DICT:
    if (rt_kind(item) == RT_LIST && !rt_is_tuple(item))
      return rt_type_error("unhashable type: 'list'");
    if (rt_kind(item) == RT_DICT)
      return rt_type_error("unhashable type: 'dict'");
    return rt_bool(rt_dict_get_value(seq, item) != NULL);
  default:
    return rt_type_error("argument of type '%s' is not iterable", type_name(seq));
  }
}

RtValue *rt_binop(int32_t op, RtValue *a, RtValue *b, const RtLoc *loc) {
  (void)loc;
  RtValue *e = operand_error(a, b);
  if (e)
    return e;
  static const char *const cmp_sym[] = {"==", "!=", "<", "<=", ">", ">="};
  switch (op) {
  case RT_OP_CONCAT: {
    RtValue *too_long = rt_bigint_str_error(a);
    if (too_long || (too_long = rt_bigint_str_error(b)))
      return too_long;
    RtBuf s = {0};
    rt_render_str(&s, a);
    rt_render_str(&s, b);
    if (!s.data)
      rt_buf_add(&s, "", 0);
    size_t len = s.len;
    return rt_str_take(rt_buf_take(&s), len);
  }
  case RT_OP_EQ: return rt_bool(rt_equal(a, b));
  case RT_OP_NE: return rt_bool(!rt_equal(a, b));
  case RT_OP_LT: case RT_OP_LE: case RT_OP_GT: case RT_OP_GE: {
    int c = compare(a, b);
    if (c == CMP_UNORDERED)
      return rt_bool(false);
    if (c == CMP_TYPES)
      return rt_type_error("'%s' not supported between instances of '%s' and '%s'",
                      cmp_sym[op - RT_OP_EQ], type_name(a), type_name(b));
    return rt_bool(op == RT_OP_LT ? c < 0 : op == RT_OP_LE ? c <= 0 : op == RT_OP_GT ? c > 0 : c >= 0);
  }
  case RT_OP_IN: return contains(a, b);
  case RT_OP_NOTIN: {
    RtValue *r = contains(a, b);
    if (rt_kind(r) != RT_BOOL)
      return r;
    return rt_bool(!r->u.b);
  }
  default:
    break;
  }
  static const char *const sym[] = {"+", "-", "*", "/", "//", "%", "**"};
  if (is_num(a) && is_num(b))
    return arith(op, a, b);
  if (op == RT_OP_ADD && rt_kind(a) == RT_STR && rt_kind(b) == RT_STR) {
    char *s = rt_xmalloc(a->u.str.len + b->u.str.len + 1);
    memcpy(s, a->u.str.s, a->u.str.len);
    memcpy(s + a->u.str.len, b->u.str.s, b->u.str.len + 1);
    return rt_str_take(s, a->u.str.len + b->u.str.len);
  }
  if (op == RT_OP_ADD && rt_kind(a) == RT_LIST && rt_kind(b) == RT_LIST && rt_is_tuple(a) == rt_is_tuple(b)) {
    RtValue *l = rt_list_copy(a);
    for (size_t i = 0; i < rt_len(b); i++)
      rt_list_push(l, rt_incref(rt_list_at(b, i)));
    return rt_is_tuple(a) ? rt_list_tuple(l) : l;
  }
  if (op == RT_OP_ADD && rt_kind(a) == RT_LIST) /* list + tuple, tuple + 1 ... */
    return rt_type_error("can only concatenate %s (not \"%s\") to %s", type_name(a), type_name(b),
                         type_name(a));
  if (op == RT_OP_MUL && ((rt_kind(a) == RT_STR || rt_kind(a) == RT_LIST) && rt_is_big(b)) +
      ((rt_kind(b) == RT_STR || rt_kind(b) == RT_LIST) && rt_is_big(a)))
    return rt_error_exc(RT_EXC_OVERFLOW, "cannot fit 'int' into an index-sized integer");
  if (op == RT_OP_MUL && (rt_kind(a) == RT_STR || rt_kind(a) == RT_LIST) && rt_kind(b) == RT_INT)
    return repeat(a, b->u.i);
  if (op == RT_OP_MUL && (rt_kind(b) == RT_STR || rt_kind(b) == RT_LIST) && rt_kind(a) == RT_INT)
    return repeat(b, a->u.i);
  if (op == RT_OP_MOD && rt_kind(a) == RT_STR) { /* Python's printf-style str % args */
    RtValue *args;
    if (rt_kind(b) == RT_DICT || (rt_kind(b) == RT_LIST && rt_is_tuple(b))) {
      args = rt_incref(b);
    } else {
      args = rt_tuple_new(1);
      rt_list_push(args, rt_incref(b));
    }
    RtValue *r = rt_py_format(a->u.str.s, a->u.str.len, args);
    rt_decref(args);
    return r;
  }
  return type_error(op >= 0 && op <= RT_OP_POW ? sym[op] : "?", a, b);
}

RtValue *rt_neg(RtValue *a, const RtLoc *loc) {
  (void)loc;
  RtValue *e = operand_error(a, NULL);
  if (e)
    return e;
  if (is_num(a)) {
    char msg[256];
    RtNum r;
    if (rt_is_big(a) || (rt_kind(a) == RT_INT && a->u.i == INT64_MIN))
      return rt_bigint_neg(a);
    RtArithErr ae = rt_arith_neg(rt_num_of(a), &r, msg, sizeof msg);
    return ae ? rt_arith_error(ae, msg) : num_value(r);
  }
  return rt_type_error("bad operand type for unary -: '%s'", type_name(a));
}

int32_t rt_truth(RtValue *v, RtValue **err) {
  switch (rt_kind(v)) {
  case RT_NONE: return 0;
  case RT_BOOL: return v->u.b;
  case RT_INT: return v->u.i != 0;
  case RT_FLOAT: return v->u.f != 0.0;
  case RT_STR: case RT_LIST: case RT_DICT: return rt_len(v) != 0;
  default: /* an error or undefined */
    if (err)
      *err = rt_error_of(v);
    return -1;
  }
}

RtValue *rt_not(RtValue *a, const RtLoc *loc) {
  (void)loc;
  RtValue *err = NULL;
  int t = rt_truth(a, &err);
  return t < 0 ? err : rt_bool(!t);
}

static const char *jinja_type(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_DICT: return "dict object";
  case RT_LIST: return rt_is_tuple(v) ? "tuple object" : "list object";
  case RT_STR: return "str object";
  case RT_INT: return "int object";
  case RT_FLOAT: return "float object";
  case RT_BOOL: return "bool object";
  case RT_NONE: return "NoneType object";
  default: return "object";
  }
}

RtValue *rt_getattr(RtValue *a, const char *name, const RtLoc *loc) {
  if (rt_kind(a) == RT_DICT && !rt_too_deep(a)) { /* the common case first */
    RtValue *v = rt_dict_get(a, name);
    if (v)
      return rt_incref(v);
  } else {
    if (rt_kind(a) == RT_UNDEF) /* Ansible's undefined chains: x.y is undefined too */
      return rt_incref(a);
    RtValue *e = operand_error(a, NULL);
    if (e)
      return e;
  }
  /* "'T' has no attribute 'name'", common (`x.y | default`): built in one allocation, no printf */
  static const char mid[] = "' has no attribute '";
  const char *type = jinja_type(a);
  size_t tlen = strlen(type), nlen = strlen(name), mlen = sizeof mid - 1;
  char *hint = rt_xmalloc(tlen + mlen + nlen + 3), *p = hint;
  *p++ = '\'';
  memcpy(p, type, tlen), p += tlen;
  memcpy(p, mid, mlen), p += mlen;
  memcpy(p, name, nlen), p += nlen;
  *p++ = '\'';
  *p = 0;
  char *own = rt_xmalloc(nlen + 1);
  memcpy(own, name, nlen + 1);
  return rt_undef_take(own, hint, loc);
}

RtValue *rt_getitem(RtValue *a, RtValue *key, const RtLoc *loc) {
  if (rt_kind(a) == RT_UNDEF)
    return rt_incref(a);
  RtValue *e = operand_error(a, key);
  if (e)
    return e;
  if (rt_kind(a) == RT_DICT) {
    RtValue *v = rt_dict_get_value(a, key);
    if (v)
      return rt_incref(v);
    /* Jinja's words: a missing string is an attribute, any other key an
     * element (the type unquoted, the key's repr) */
    RtBuf k = {0};
    char *hint;
    if (rt_kind(key) == RT_STR) {
      rt_render_str(&k, key);
      hint = rt_xasprintf("'%s' has no attribute '%s'", jinja_type(a), k.data ? k.data : "");
    } else {
      rt_render_repr(&k, key);
      hint = rt_xasprintf("%s has no element %s", jinja_type(a), k.data ? k.data : "");
    }
    RtValue *r = rt_undef_at(k.data ? k.data : "", hint, loc);
    free(hint);
    rt_buf_free(&k);
    return r;
  }
  if ((rt_kind(a) == RT_LIST || rt_kind(a) == RT_STR) &&
      (rt_kind(key) == RT_INT || rt_kind(key) == RT_BOOL)) {
    int64_t i = rt_as_int(key), n = (int64_t)rt_len(a);
    if (rt_kind(a) == RT_STR && i != INT64_MAX) { /* a code point, as Python indexes str: s[i:i+1] */
      RtValue *end = i == -1 ? rt_none() : rt_int(i + 1), *none = rt_none();
      RtValue *r = rt_slice(a, key, end, none, loc);
      rt_decref(end);
      rt_decref(none);
      if (rt_kind(r) == RT_STR && r->u.str.len)
        return r;
      rt_decref(r);
      n = 0; /* out of range */
    }
    if (i < 0)
      i += n;
    if (i >= 0 && i < n)
      return rt_kind(a) == RT_LIST ? rt_incref(rt_list_at(a, (size_t)i))
                                   : rt_str(a->u.str.s + i, 1);
    /* Jinja's words: the type unquoted, the key's repr */
    char *hint = rt_kind(key) == RT_BOOL
                     ? rt_xasprintf("%s has no element %s", jinja_type(a), key->u.b ? "True" : "False")
                     : rt_xasprintf("%s has no element %lld", jinja_type(a), (long long)rt_as_int(key));
    RtValue *u = rt_undef_at("item", hint, loc);
    free(hint);
    return u;
  }
  if (rt_kind(key) == RT_STR)
    return rt_getattr(a, key->u.str.s, loc);
  RtBuf k = {0};
  rt_render_str(&k, key);
  char *hint = rt_xasprintf("%s has no element %s", jinja_type(a), k.data ? k.data : "");
  RtValue *u = rt_undef_at("item", hint, loc);
  free(hint);
  rt_buf_free(&k);
  return u;
}

/* ---- slices: x[start:stop:step] ------------------------------------------------ */

/* The length in bytes of the UTF-8 code point at s[0] (n > 0 bytes left); a
 * byte that starts no well-formed sequence counts as one code point, as
 * Python's surrogateescape decoding of such bytes gives one per byte. */
static size_t utf8_step(const unsigned char *s, size_t n) {
  size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 1;
  if (len > n)
    return 1;
  for (size_t k = 1; k < len; k++)
    if ((s[k] & 0xc0) != 0x80)
      return 1;
  return len;
}

/* One slice index (Python's _PyEval_SliceIndex): an int or bool, or None
 * (*given = false). Anything else, Jinja's undefined included, is Python's
 * TypeError. */
static RtValue *slice_index(RtValue *v, int64_t *out, bool *given) {
  *given = rt_kind(v) != RT_NONE;
  if (rt_kind(v) == RT_INT || rt_kind(v) == RT_BOOL)
    *out = rt_as_int(v);
  else if (rt_kind(v) != RT_NONE)
    return rt_type_error("slice indices must be integers or None or have an __index__ method");
  return NULL;
}

RtValue *rt_slice(RtValue *a, RtValue *start, RtValue *stop, RtValue *step, const RtLoc *loc) {
  (void)loc;
  /* Jinja compiles a slice to Python's own a[start:stop:step] (no
   * environment.getitem fallback): the operands are evaluated in order, an
   * undefined base gives itself (AnsibleUndefined.__getitem__). */
  RtValue *ops[4] = {a, start, stop, step};
  for (int i = 0; i < 4; i++) {
    if (rt_kind(ops[i]) == RT_ERROR)
      return rt_incref(ops[i]);
    if (rt_too_deep(ops[i]))
      return rt_too_deep_error();
  }
  if (rt_kind(a) == RT_UNDEF)
    return rt_incref(a);
  if (rt_kind(a) == RT_DICT)
    return rt_type_error("unhashable type: 'slice'");
  if (rt_kind(a) != RT_STR && rt_kind(a) != RT_LIST)
    return rt_type_error("'%s' object is not subscriptable", type_name(a));
  /* PySlice_Unpack: step first (zero is a ValueError), then start and stop */
  int64_t lo = 0, hi = 0, st = 1;
  bool has_lo, has_hi, has_st;
  RtValue *e = slice_index(step, &st, &has_st);
  if (e)
    return e;
  if (has_st && st == 0)
    return rt_error_exc(RT_EXC_VALUE, "slice step cannot be zero");
  if (!has_st)
    st = 1;
  if (st < -INT64_MAX)
    st = -INT64_MAX;
  if ((e = slice_index(start, &lo, &has_lo)) || (e = slice_index(stop, &hi, &has_hi)))
    return e;

  /* the length in items (code points for a string) and, for a string, where
   * each code point starts (pos[n] = the byte length) */
  size_t *pos = NULL;
  int64_t n;
  if (rt_kind(a) == RT_STR) {
    const unsigned char *s = (const unsigned char *)a->u.str.s;
    size_t blen = a->u.str.len, cps = 0;
    bool ascii = true;
    for (size_t i = 0; i < blen && ascii; i++)
      ascii = s[i] < 0x80;
    if (!ascii) {
      pos = rt_xmalloc(sizeof(size_t) * (blen + 1));
      for (size_t i = 0; i < blen; i += utf8_step(s + i, blen - i))
        pos[cps++] = i;
      pos[cps] = blen;
    }
    n = (int64_t)(ascii ? blen : cps);
  } else {
    n = (int64_t)rt_len(a);
  }

  /* PySlice_AdjustIndices */
  if (!has_lo)
    lo = st < 0 ? n - 1 : 0;
  else if (lo < 0)
    lo = lo + n < 0 ? (st < 0 ? -1 : 0) : lo + n;
  else if (lo >= n)
    lo = st < 0 ? n - 1 : n;
  if (!has_hi)
    hi = st < 0 ? -1 : n;
  else if (hi < 0)
    hi = hi + n < 0 ? (st < 0 ? -1 : 0) : hi + n;
  else if (hi >= n)
    hi = st < 0 ? n - 1 : n;
  int64_t count = 0;
  if (st < 0 ? hi < lo : lo < hi) /* |hi - lo| <= n + 1: no overflow */
    count = st < 0 ? (lo - hi - 1) / (-st) + 1 : (hi - lo - 1) / st + 1;

  RtValue *r;
  if (rt_kind(a) == RT_LIST) {
    r = rt_list_new((size_t)count);
    for (int64_t k = 0; k < count; k++)
      rt_list_push(r, rt_incref(rt_list_at(a, (size_t)(lo + k * st))));
    return rt_is_tuple(a) ? rt_list_tuple(r) : r;
  }
  const char *s = a->u.str.s;
  size_t blen = 0;
  for (int64_t k = 0; k < count; k++) {
    size_t i = (size_t)(lo + k * st);
    blen += pos ? pos[i + 1] - pos[i] : 1;
  }
  char *out = rt_xmalloc(blen + 1);
  size_t o = 0;
  if (st == 1 && count > 0) { /* one run of bytes */
    memcpy(out, s + (pos ? pos[lo] : (size_t)lo), blen);
    o = blen;
  } else {
    for (int64_t k = 0; k < count; k++) {
      size_t i = (size_t)(lo + k * st);
      size_t b = pos ? pos[i] : i, l = pos ? pos[i + 1] - pos[i] : 1;
      memcpy(out + o, s + b, l);
      o += l;
    }
  }
  out[o] = '\0';
  free(pos);
  return rt_str_take(out, o);
}
