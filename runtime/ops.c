/*
 * ops.c — the dynamic operations compiled expressions call when the types of
 * their operands are known only at run time: arithmetic and comparisons with
 * Python semantics (Jinja evaluates with Python's operators), `in`, `~`,
 * attribute and item access with Jinja's fallbacks, truthiness.
 *
 * Errors are values: an error operand is returned as is; an undefined operand
 * becomes Ansible's "'x' is undefined" error; a type mismatch gives Python's
 * TypeError message.
 */
#include "rt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_NONE: return "NoneType";
  case RT_BOOL: return "bool";
  case RT_INT: return "int";
  case RT_FLOAT: return "float";
  case RT_STR: return "str";
  case RT_LIST: return "list";
  case RT_DICT: return "dict";
  default: return "Undefined";
  }
}

/* An error for a bad operand, or NULL when both operands are usable. */
static RtValue *operand_error(RtValue *a, RtValue *b) {
  RtValue *vs[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    if (vs[i] && rt_is_error(vs[i]))
      return rt_error_of(vs[i]);
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

static int64_t floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

static RtValue *arith(int op, RtValue *a, RtValue *b) {
  static const char *const sym[] = {"+", "-", "*", "/", "//", "%", "**"};
  bool fl = rt_kind(a) == RT_FLOAT || rt_kind(b) == RT_FLOAT;
  if (!fl) {
    int64_t x = rt_as_int(a), y = rt_as_int(b), r;
    switch (op) {
    case RT_OP_ADD:
      if (__builtin_add_overflow(x, y, &r))
        return rt_error("integer overflow");
      return rt_int(r);
    case RT_OP_SUB:
      if (__builtin_sub_overflow(x, y, &r))
        return rt_error("integer overflow");
      return rt_int(r);
    case RT_OP_MUL:
      if (__builtin_mul_overflow(x, y, &r))
        return rt_error("integer overflow");
      return rt_int(r);
    case RT_OP_DIV:
      if (y == 0)
        return rt_error("division by zero");
      return rt_float((double)x / (double)y);
    case RT_OP_FLOORDIV:
      if (y == 0)
        return rt_error("integer division or modulo by zero");
      return rt_int(floordiv(x, y));
    case RT_OP_MOD:
      if (y == 0)
        return rt_error("integer division or modulo by zero");
      return rt_int(x - floordiv(x, y) * y);
    case RT_OP_POW:
      if (y < 0)
        return rt_float(pow((double)x, (double)y));
      r = 1;
      for (int64_t i = 0; i < y; i++)
        if (__builtin_mul_overflow(r, x, &r))
          return rt_error("integer overflow");
      return rt_int(r);
    }
  }
  double x = rt_as_float(a), y = rt_as_float(b);
  switch (op) {
  case RT_OP_ADD: return rt_float(x + y);
  case RT_OP_SUB: return rt_float(x - y);
  case RT_OP_MUL: return rt_float(x * y);
  case RT_OP_DIV:
    if (y == 0)
      return rt_error("float division by zero");
    return rt_float(x / y);
  case RT_OP_FLOORDIV:
    if (y == 0)
      return rt_error("float floor division by zero");
    return rt_float(floor(x / y));
  case RT_OP_MOD:
    if (y == 0)
      return rt_error("float modulo");
    return rt_float(x - floor(x / y) * y);
  case RT_OP_POW: return rt_float(pow(x, y));
  }
  return type_error(sym[op], a, b);
}

static RtValue *repeat(RtValue *seq, int64_t n) {
  if (rt_kind(seq) == RT_STR) {
    RtBuf b = {0};
    rt_buf_add(&b, "", 0);
    for (int64_t i = 0; i < n; i++)
      rt_buf_add(&b, seq->u.str.s, seq->u.str.len);
    size_t len = b.len;
    return rt_str_take(rt_buf_take(&b), len);
  }
  RtValue *l = rt_list_new(rt_len(seq) * (size_t)(n > 0 ? n : 0));
  for (int64_t i = 0; i < n; i++)
    for (size_t j = 0; j < rt_len(seq); j++)
      rt_list_push(l, rt_incref(rt_list_at(seq, j)));
  return l;
}

/* Python ordering: -1, 0, 1, or 2 when the types are not orderable. */
static int compare(const RtValue *a, const RtValue *b) {
  if (is_num(a) && is_num(b)) {
    double x = rt_as_float(a), y = rt_as_float(b);
    if (rt_kind(a) != RT_FLOAT && rt_kind(b) != RT_FLOAT) {
      int64_t i = rt_as_int(a), j = rt_as_int(b);
      return i < j ? -1 : i > j;
    }
    return x < y ? -1 : x > y;
  }
  if (rt_kind(a) == RT_STR && rt_kind(b) == RT_STR) {
    size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
    int c = memcmp(a->u.str.s, b->u.str.s, n);
    if (c)
      return c < 0 ? -1 : 1;
    return a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len;
  }
  if (rt_kind(a) == RT_LIST && rt_kind(b) == RT_LIST) {
    for (size_t i = 0; i < rt_len(a) && i < rt_len(b); i++) {
      if (rt_equal(rt_list_at(a, i), rt_list_at(b, i)))
        continue;
      return compare(rt_list_at(a, i), rt_list_at(b, i));
    }
    return rt_len(a) < rt_len(b) ? -1 : rt_len(a) > rt_len(b);
  }
  return 2;
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
    return rt_bool(rt_kind(item) == RT_STR && rt_dict_get(seq, item->u.str.s) != NULL);
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
    if (c == 2)
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
  if (op == RT_OP_ADD && rt_kind(a) == RT_LIST && rt_kind(b) == RT_LIST) {
    RtValue *l = rt_list_copy(a);
    for (size_t i = 0; i < rt_len(b); i++)
      rt_list_push(l, rt_incref(rt_list_at(b, i)));
    return l;
  }
  if (op == RT_OP_MUL && (rt_kind(a) == RT_STR || rt_kind(a) == RT_LIST) && rt_kind(b) == RT_INT)
    return repeat(a, b->u.i);
  if (op == RT_OP_MUL && (rt_kind(b) == RT_STR || rt_kind(b) == RT_LIST) && rt_kind(a) == RT_INT)
    return repeat(b, a->u.i);
  if (op == RT_OP_MOD && rt_kind(a) == RT_STR)
    return rt_error("string formatting with %% is not supported by playc yet");
  return type_error(op >= 0 && op <= RT_OP_POW ? sym[op] : "?", a, b);
}

RtValue *rt_neg(RtValue *a, const RtLoc *loc) {
  (void)loc;
  RtValue *e = operand_error(a, NULL);
  if (e)
    return e;
  if (rt_kind(a) == RT_INT || rt_kind(a) == RT_BOOL)
    return rt_int(-rt_as_int(a));
  if (rt_kind(a) == RT_FLOAT)
    return rt_float(-a->u.f);
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
  case RT_LIST: return "list object";
  case RT_STR: return "str object";
  case RT_INT: return "int object";
  case RT_FLOAT: return "float object";
  case RT_BOOL: return "bool object";
  case RT_NONE: return "NoneType object";
  default: return "object";
  }
}

RtValue *rt_getattr(RtValue *a, const char *name, const RtLoc *loc) {
  if (rt_kind(a) == RT_UNDEF) /* Ansible's undefined chains: x.y is undefined too */
    return rt_incref(a);
  RtValue *e = operand_error(a, NULL);
  if (e)
    return e;
  if (rt_kind(a) == RT_DICT) {
    RtValue *v = rt_dict_get(a, name);
    if (v)
      return rt_incref(v);
  }
  char *hint = rt_xasprintf("'%s' has no attribute '%s'", jinja_type(a), name);
  RtValue *u = rt_undef_at(name, hint, loc);
  free(hint);
  return u;
}

RtValue *rt_getitem(RtValue *a, RtValue *key, const RtLoc *loc) {
  if (rt_kind(a) == RT_UNDEF)
    return rt_incref(a);
  RtValue *e = operand_error(a, key);
  if (e)
    return e;
  if (rt_kind(a) == RT_DICT) {
    RtBuf k = {0};
    rt_render_str(&k, key);
    RtValue *v = rt_kind(key) == RT_STR ? rt_dict_get(a, key->u.str.s) : NULL;
    RtValue *r = v ? rt_incref(v) : NULL;
    if (!r) {
      char *hint = rt_xasprintf("'%s' has no attribute '%s'", jinja_type(a), k.data ? k.data : "");
      r = rt_undef_at(k.data ? k.data : "", hint, loc);
      free(hint);
    }
    rt_buf_free(&k);
    return r;
  }
  if ((rt_kind(a) == RT_LIST || rt_kind(a) == RT_STR) &&
      (rt_kind(key) == RT_INT || rt_kind(key) == RT_BOOL)) {
    int64_t i = rt_as_int(key), n = (int64_t)rt_len(a);
    if (i < 0)
      i += n;
    if (i >= 0 && i < n)
      return rt_kind(a) == RT_LIST ? rt_incref(rt_list_at(a, (size_t)i))
                                   : rt_str(a->u.str.s + i, 1);
    char *hint = rt_xasprintf("'%s' has no element %lld", jinja_type(a), (long long)rt_as_int(key));
    RtValue *u = rt_undef_at("item", hint, loc);
    free(hint);
    return u;
  }
  if (rt_kind(key) == RT_STR)
    return rt_getattr(a, key->u.str.s, loc);
  RtBuf k = {0};
  rt_render_str(&k, key);
  char *hint = rt_xasprintf("'%s' has no element %s", jinja_type(a), k.data ? k.data : "");
  RtValue *u = rt_undef_at("item", hint, loc);
  free(hint);
  rt_buf_free(&k);
  return u;
}
