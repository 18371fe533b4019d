/*
 * filters.c — the Jinja filters and tests of runtime/filters.def, with
 * Jinja2's and Ansible's semantics. The compiler checks names and arity
 * against the same table; here each name maps to its implementation.
 * Only default/d and the defined/undefined tests accept an undefined base;
 * every other filter turns it into the undefined's error.
 */
#include "rt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef RtValue *(*FilterFn)(RtValue *base, RtValue *args, RtValue *kwargs);

static RtValue *arg(RtValue *args, RtValue *kwargs, size_t i, const char *name) {
  if (args && rt_kind(args) == RT_LIST && i < rt_len(args))
    return rt_list_at(args, i);
  return kwargs ? rt_dict_get(kwargs, name) : NULL;
}

static RtValue *f_default(RtValue *base, RtValue *args, RtValue *kwargs) {
  RtValue *def = arg(args, kwargs, 0, "default_value");
  RtValue *boolean = arg(args, kwargs, 1, "boolean");
  if (rt_kind(base) == RT_ERROR)
    return rt_incref(base);
  bool use = rt_kind(base) == RT_UNDEF;
  if (!use && boolean && rt_truth(boolean, NULL) == 1)
    use = rt_truth(base, NULL) == 0;
  if (use)
    return def ? rt_incref(def) : rt_str("", 0);
  return rt_incref(base);
}

static RtValue *f_bool(RtValue *base, RtValue *args, RtValue *kwargs) {
  (void)args;
  (void)kwargs;
  switch (rt_kind(base)) {
  case RT_BOOL: return rt_incref(base);
  case RT_NONE: return rt_bool(false);
  case RT_INT: return rt_bool(base->u.i == 1);
  case RT_FLOAT: return rt_bool(base->u.f == 1.0);
  case RT_STR: {
    static const char *const yes[] = {"yes", "on", "1", "true"};
    for (int i = 0; i < 4; i++)
      if (strcasecmp(base->u.str.s, yes[i]) == 0)
        return rt_bool(true);
    return rt_bool(false);
  }
  default: return rt_bool(false);
  }
}

/* Jinja's do_int: int(value, base) for a string, int(value) otherwise; on
 * TypeError/ValueError, int(float(value)); failing that, the default. An
 * OverflowError (infinity, or a number past 64 bits) is not caught, as in
 * Jinja. */
static RtValue *f_int(RtValue *base, RtValue *args, RtValue *kwargs) {
  RtValue *def = arg(args, kwargs, 0, "default"), *basev = arg(args, kwargs, 1, "base");
  int radix = 10;
  if (basev)
    radix = rt_kind(basev) == RT_INT && basev->u.i >= 0 && basev->u.i <= 36 ? (int)basev->u.i : 1;
  char msg[256];
  int64_t i = 0;
  double f = 0;
  RtArithErr e = RT_ARITH_VALUE;
  switch (rt_kind(base)) {
  case RT_INT: return rt_incref(base);
  case RT_BOOL: return rt_int(base->u.b);
  case RT_FLOAT:
    e = rt_arith_float_to_int(base->u.f, &i, msg, sizeof msg);
    break;
  case RT_STR:
    e = rt_arith_parse_int(base->u.str.s, base->u.str.len, radix, &i, msg, sizeof msg);
    if (e == RT_ARITH_VALUE && rt_arith_parse_float(base->u.str.s, base->u.str.len, &f, NULL, 0) ==
                                   RT_ARITH_OK)
      e = rt_arith_float_to_int(f, &i, msg, sizeof msg);
    break;
  default: break;
  }
  if (e == RT_ARITH_OK)
    return rt_int(i);
  if (e != RT_ARITH_VALUE)
    return rt_arith_error(e, msg);
  return def ? rt_incref(def) : rt_int(0);
}

static RtValue *f_length(RtValue *base, RtValue *args, RtValue *kwargs) {
  (void)args;
  (void)kwargs;
  switch (rt_kind(base)) {
  case RT_STR: case RT_LIST: case RT_DICT: return rt_int((int64_t)rt_len(base));
  default: return rt_error("object of type '%s' has no len()",
                           rt_kind(base) == RT_INT ? "int" : rt_kind(base) == RT_BOOL ? "bool"
                           : rt_kind(base) == RT_FLOAT ? "float" : "NoneType");
  }
}

static RtValue *f_join(RtValue *base, RtValue *args, RtValue *kwargs) {
  RtValue *sep = arg(args, kwargs, 0, "d"), *attr = arg(args, kwargs, 1, "attribute");
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  if (rt_kind(base) == RT_STR) {
    /* joining a string joins its characters */
    for (size_t i = 0; i < base->u.str.len; i++) {
      if (i && sep)
        rt_render_str(&b, sep);
      rt_buf_putc(&b, base->u.str.s[i]);
    }
  } else if (rt_kind(base) == RT_LIST || rt_kind(base) == RT_DICT) {
    size_t n = rt_len(base);
    for (size_t i = 0; i < n; i++) {
      RtValue *it = rt_kind(base) == RT_LIST ? rt_list_at(base, i) : base->u.dict.ents[i].key;
      if (attr && rt_kind(attr) == RT_STR && rt_kind(it) == RT_DICT)
        it = rt_dict_get(it, attr->u.str.s);
      if (i && sep)
        rt_render_str(&b, sep);
      if (it)
        rt_render_str(&b, it);
    }
  } else {
    rt_buf_free(&b);
    return rt_error("can only join an iterable");
  }
  size_t len = b.len;
  return rt_str_take(rt_buf_take(&b), len);
}

static RtValue *change_case(RtValue *base, int (*fn)(int)) {
  RtBuf b = {0};
  rt_render_str(&b, base);
  for (size_t i = 0; i < b.len; i++)
    if (!((unsigned char)b.data[i] & 0x80))
      b.data[i] = (char)fn((unsigned char)b.data[i]);
  if (!b.data)
    rt_buf_add(&b, "", 0);
  size_t len = b.len;
  return rt_str_take(rt_buf_take(&b), len);
}

static RtValue *f_lower(RtValue *base, RtValue *args, RtValue *kwargs) {
  (void)args;
  (void)kwargs;
  return change_case(base, tolower);
}

static RtValue *f_upper(RtValue *base, RtValue *args, RtValue *kwargs) {
  (void)args;
  (void)kwargs;
  return change_case(base, toupper);
}

static const struct {
  const char *name;
  FilterFn fn;
  bool takes_undefined;
} filters[] = {
    {"default", f_default, true}, {"d", f_default, true},     {"bool", f_bool, false},
    {"int", f_int, false},         {"length", f_length, false}, {"count", f_length, false},
    {"join", f_join, false},       {"lower", f_lower, false},   {"upper", f_upper, false},
};

RtValue *rt_filter(const char *name, RtValue *base, RtValue *args, RtValue *kwargs,
                   const RtLoc *loc) {
  (void)loc;
  for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
    if (strcmp(filters[i].name, name) != 0)
      continue;
    if (!filters[i].takes_undefined && rt_is_error(base))
      return rt_error_of(base);
    if (rt_too_deep(base) || (args && rt_too_deep(args)) || (kwargs && rt_too_deep(kwargs)))
      return rt_too_deep_error();
    for (size_t a = 0; args && a < rt_len(args); a++)
      if (rt_is_error(rt_list_at(args, a)))
        return rt_error_of(rt_list_at(args, a));
    return filters[i].fn(base, args, kwargs);
  }
  return rt_error("no filter named '%s'", name);
}

RtValue *rt_test(const char *name, RtValue *base, RtValue *args, const RtLoc *loc) {
  (void)loc;
  (void)args;
  if (strcmp(name, "defined") == 0)
    return rt_kind(base) == RT_ERROR ? rt_incref(base) : rt_bool(rt_kind(base) != RT_UNDEF);
  if (strcmp(name, "undefined") == 0)
    return rt_kind(base) == RT_ERROR ? rt_incref(base) : rt_bool(rt_kind(base) == RT_UNDEF);
  if (rt_is_error(base))
    return rt_error_of(base);
  if (rt_too_deep(base))
    return rt_too_deep_error();
  if (strcmp(name, "none") == 0)
    return rt_bool(rt_kind(base) == RT_NONE);
  return rt_error("no test named '%s'", name);
}
