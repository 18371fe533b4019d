/*
 * filters_core.c — the filters on single values: defaults and conversions
 * (default, bool, int, float, string, mandatory, ternary, type_debug, attr),
 * numbers (abs, round, log, pow, root, human_readable, human_to_bytes), and
 * randomness (random, shuffle) with Python's Mersenne Twister, so that a
 * seeded `random(seed=inventory_hostname)` picks what Ansible picks.
 */
#include "filters.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/sha.h>

/* ---- defaults and conversions ---- */

RtValue *rt_f_default(RtFArgs *a) {
  RtValue *def = a->p[0], *boolean = a->p[1];
  bool use = rt_kind(a->base) == RT_UNDEF;
  if (!use && boolean && rt_pytruth(boolean))
    use = !rt_pytruth(a->base);
  if (!use)
    return rt_incref(a->base);
  if (!def)
    return rt_str("", 0);
  return rt_kind(def) == RT_UNDEF ? rt_error_of(def) : rt_incref(def);
}

/* Ansible's to_bool: None and bools as they are; 'yes', 'on', '1', 'true'
 * (any case) and 1 are true; anything else false. */
RtValue *rt_f_bool(RtFArgs *a) {
  RtValue *v = a->base;
  switch (rt_kind(v)) {
  case RT_NONE: case RT_BOOL: return rt_incref(v);
  case RT_INT: return rt_bool(v->u.i == 1);
  case RT_FLOAT: return rt_bool(v->u.f == 1.0);
  case RT_STR: {
    static const char *const yes[] = {"yes", "on", "1", "true"};
    RtBuf b = {0};
    rt_text_lower(&b, v->u.str.s, v->u.str.len);
    bool t = false;
    for (int i = 0; i < 4 && b.data; i++)
      t |= strlen(yes[i]) == b.len && memcmp(b.data, yes[i], b.len) == 0;
    rt_buf_free(&b);
    return rt_bool(t);
  }
  default: return rt_bool(false);
  }
}

/* Jinja's do_int: int(value, base) for a string, int(value) otherwise; on
 * TypeError/ValueError, int(float(value)); failing that, the default. An
 * OverflowError (infinity) is not caught, as in Jinja. A result past 64 bits
 * is a big int (bigint.c). */
RtValue *rt_f_int(RtFArgs *a) {
  RtValue *def = a->p[0], *basev = a->p[1], *v = a->base;
  int radix = 10;
  if (basev)
    radix = rt_kind(basev) == RT_INT && (basev->u.i == 0 || (basev->u.i >= 2 && basev->u.i <= 36)) ? (int)basev->u.i : -1;
  char msg[256];
  int64_t i = 0;
  double f = 0;
  RtArithErr e = RT_ARITH_VALUE;
  switch (rt_kind(v)) {
  case RT_INT: return rt_incref(v);
  case RT_BOOL: return rt_int(v->u.b);
  case RT_FLOAT:
    f = v->u.f;
    e = rt_arith_float_to_int(f, &i, msg, sizeof msg);
    break;
  case RT_STR:
    if (radix >= 0)
      e = rt_arith_parse_int(v->u.str.s, v->u.str.len, radix, &i, msg, sizeof msg);
    if (e == RT_ARITH_OVERFLOW) { /* valid digits past 64 bits */
      RtValue *big = rt_bigint_parse(v->u.str.s, v->u.str.len, radix);
      if (!rt_is_error(big) || big->u.err.exc != RT_EXC_VALUE)
        return big;
      rt_decref(big); /* past 4300 digits: a ValueError, int(float(value)) next */
      e = RT_ARITH_VALUE;
    }
    if (e == RT_ARITH_VALUE &&
        rt_arith_parse_float(v->u.str.s, v->u.str.len, &f, NULL, 0) == RT_ARITH_OK)
      e = rt_arith_float_to_int(f, &i, msg, sizeof msg);
    break;
  default: break;
  }
  if (e == RT_ARITH_OK)
    return rt_int(i);
  if (e == RT_ARITH_OVERFLOW && isfinite(f))
    return rt_bigint_from_double(f);
  if (e != RT_ARITH_VALUE)
    return rt_arith_error(e, msg);
  return def ? rt_incref(def) : rt_int(0);
}

/* Python's float(v), or false (TypeError or ValueError). */
static bool to_double(const RtValue *v, double *out) {
  switch (rt_kind(v)) {
  case RT_BOOL: case RT_INT: *out = rt_as_float(v); return true;
  case RT_FLOAT: *out = v->u.f; return true;
  case RT_STR: return rt_arith_parse_float(v->u.str.s, v->u.str.len, out, NULL, 0) == RT_ARITH_OK;
  default: return false;
  }
}

RtValue *rt_f_float(RtFArgs *a) {
  double f;
  if (rt_is_big(a->base)) /* OverflowError: not caught by Jinja */
    return rt_bigint_float(a->base);
  if (to_double(a->base, &f))
    return rt_float(f);
  return a->p[0] ? rt_incref(a->p[0]) : rt_float(0.0);
}

RtValue *rt_f_string(RtFArgs *a) {
  RtValue *too_long = rt_bigint_str_error(a->base); /* str() of an int past 4300 digits */
  if (too_long)
    return too_long;
  RtValue *s = rt_to_str(a->base);
  if (s == a->base) { /* a new value, so that its mark is its own */
    rt_decref(s);
    s = rt_str(a->base->u.str.s, a->base->u.str.len);
  }
  return s;
}

RtValue *rt_f_length(RtFArgs *a) {
  switch (rt_kind(a->base)) {
  case RT_STR: return rt_int((int64_t)rt_utf8_count(a->base->u.str.s, a->base->u.str.len));
  case RT_LIST: case RT_DICT: return rt_int((int64_t)rt_len(a->base));
  default: return rt_type_error("object of type '%s' has no len()", rt_type_name(a->base));
  }
}

/* The name Ansible's mandatory filter quotes: the undefined variable's. */
RtValue *rt_f_mandatory(RtFArgs *a) {
  if (rt_kind(a->base) != RT_UNDEF)
    return rt_incref(a->base);
  if (a->p[0]) {
    RtValue *m = rt_to_str(a->p[0]);
    RtValue *e = rt_error("%s", m->u.str.s);
    rt_decref(m);
    return e;
  }
  /* "'name' " with its space, as core.py builds it ("variable 'x'  not") */
  const char *n = a->base->u.undef.name;
  if (!n)
    return rt_error("Mandatory variable  not defined.");
  return rt_error("Mandatory variable '%s'  not defined.", n);
}

RtValue *rt_f_ternary(RtFArgs *a) {
  RtValue *pick;
  if (rt_kind(a->base) == RT_NONE && a->p[2] && rt_kind(a->p[2]) != RT_NONE)
    pick = a->p[2];
  else
    pick = rt_pytruth(a->base) ? a->p[0] : a->p[1];
  return rt_kind(pick) == RT_UNDEF ? rt_error_of(pick) : rt_incref(pick);
}

/* o.__class__.__name__ of the value as a template sees it. (Ansible's own
 * classes — AnsibleUnicode for a string read from YAML — are not tracked.) */
RtValue *rt_f_type_debug(RtFArgs *a) { return rt_strz(rt_type_name(a->base)); }

/* Jinja's environment.getattr: an attribute, never an item, so on data it
 * is undefined (the methods of str, list and dict are not values here). */
RtValue *rt_f_attr(RtFArgs *a) {
  RtValue *name = rt_to_str(a->p[0]);
  const char *kind = rt_kind(a->base) == RT_DICT ? "dict" : rt_kind(a->base) == RT_LIST ? "list"
                     : rt_type_name(a->base);
  char *hint = rt_xasprintf("'%s object' has no attribute '%s'", kind, name->u.str.s);
  RtValue *u = rt_undef_at(name->u.str.s, hint, a->loc);
  free(hint);
  rt_decref(name);
  return u;
}

/* ---- numbers ---- */

RtValue *rt_f_abs(RtFArgs *a) {
  RtValue *v = a->base;
  if (rt_kind(v) == RT_FLOAT)
    return rt_float(fabs(v->u.f));
  if (rt_kind(v) == RT_INT || rt_kind(v) == RT_BOOL) {
    int64_t i = rt_as_int(v);
    if (rt_is_big(v) || i == INT64_MIN)
      return rt_bigint_abs(v);
    return rt_int(i < 0 ? -i : i);
  }
  return rt_type_error("bad operand type for abs(): '%s'", rt_type_name(v));
}

/* Python's round(x, n) for a float: correctly rounded, ties to even (glibc's
 * printf rounds the exact binary value the same way). */
static double py_round(double x, int64_t n) {
  if (!isfinite(x) || n > 308)
    return x;
  if (n < -308)
    return 0.0 * x;
  char buf[400];
  if (n >= 0) {
    snprintf(buf, sizeof buf, "%.*f", (int)n, x);
    return strtod(buf, NULL);
  }
  double p = pow(10.0, (double)-n), y = x / p;
  snprintf(buf, sizeof buf, "%.0f", y);
  return strtod(buf, NULL) * p;
}

/* round of a big int: `common` as Python's round(int, n) (halves to even),
 * ceil/floor as Ansible's math.ceil(v * 10**n) / 10**n. */
static RtValue *round_big(RtValue *v, int64_t prec, const char *method) {
  if (strcmp(method, "common") == 0) {
    if (prec >= 0)
      return rt_incref(v);
    RtValue *ten = rt_int(10), *e = rt_int(-prec), *p = rt_binop(RT_OP_POW, ten, e, NULL);
    RtValue *q = rt_binop(RT_OP_FLOORDIV, v, p, NULL), *r = rt_binop(RT_OP_MOD, v, p, NULL);
    RtValue *two = rt_int(2), *r2 = rt_binop(RT_OP_MUL, r, two, NULL), *res;
    /* q*p is the value rounded down; 2r against p decides, a tie goes to even q */
    RtValue *gt = rt_binop(RT_OP_GT, r2, p, NULL), *eq = rt_binop(RT_OP_EQ, r2, p, NULL);
    RtValue *odd = rt_binop(RT_OP_MOD, q, two, NULL);
    bool up = !rt_is_error(gt) && rt_kind(gt) == RT_BOOL &&
              (rt_as_bool(gt) || (rt_as_bool(eq) && rt_kind(odd) == RT_INT && rt_as_int(odd) == 1));
    RtValue *one = rt_int(1), *q2 = up ? rt_binop(RT_OP_ADD, q, one, NULL) : rt_incref(q);
    res = rt_is_error(p) ? rt_incref(p) : rt_binop(RT_OP_MUL, q2, p, NULL);
    RtValue *tmp[] = {ten, e, p, q, r, two, r2, gt, eq, odd, one, q2};
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
      rt_decref(tmp[i]);
    return res;
  }
  if (prec >= 0) { /* v * 10**n is exact, its ceil too: the division decides */
    RtValue *one = rt_int(1), *r = rt_bigint_binop(RT_OP_DIV, v, one);
    rt_decref(one);
    return r;
  }
  double x;
  if (!rt_bigint_to_double(v, &x))
    return rt_error_exc(RT_EXC_OVERFLOW, "int too large to convert to float");
  double p = pow(10.0, (double)prec), y = x * p;
  y = method[0] == 'c' ? ceil(y) : floor(y);
  return rt_float(y / p);
}

RtValue *rt_f_round(RtFArgs *a) {
  int64_t prec = 0;
  if (a->p[0] && !rt_arg_int(a->p[0], &prec))
    return rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(a->p[0]));
  const char *method = a->p[1] ? rt_arg_str(a->p[1]) : "common";
  if (!method || (strcmp(method, "common") && strcmp(method, "ceil") && strcmp(method, "floor")))
    return rt_error_exc(RT_EXC_FILTER_ARG, "method must be common, ceil or floor");
  RtValue *v = a->base;
  if (rt_kind(v) != RT_INT && rt_kind(v) != RT_BOOL && rt_kind(v) != RT_FLOAT)
    return rt_type_error(method[1] == 'o' ? "type %s doesn't define __round__ method"
                                          : "must be real number, not %s",
                         rt_type_name(v));
  if (rt_is_big(v))
    return round_big(v, prec, method);
  if (strcmp(method, "common") == 0) {
    if (rt_kind(v) != RT_FLOAT) { /* round(int, n) is an int */
      int64_t i = rt_as_int(v);
      if (prec >= 0 || prec < -18)
        return rt_int(prec < -18 ? 0 : i);
      int64_t p = 1;
      for (int64_t k = 0; k < -prec; k++)
        p *= 10;
      int64_t q = i / p, r = i % p;
      if (r < 0)
        r += p, q--;
      if (2 * r > p || (2 * r == p && (q & 1)))
        q++;
      return rt_int(q * p);
    }
    return rt_float(py_round(v->u.f, prec));
  }
  double x = rt_kind(v) == RT_FLOAT ? v->u.f : rt_as_float(v);
  double p = pow(10.0, (double)prec), y = x * p;
  if (!isfinite(y))
    return rt_error_exc(isnan(y) ? RT_EXC_VALUE : RT_EXC_OVERFLOW,
                        isnan(y) ? "cannot convert float NaN to integer" : "cannot convert float infinity to integer");
  y = method[0] == 'c' ? ceil(y) : floor(y);
  return rt_float(y / p);
}

/* math's float argument: a number, else TypeError "must be real number". */
static RtValue *math_arg(const RtValue *v, double *out) {
  if (rt_is_big(v) && !rt_bigint_to_double(v, out))
    return rt_error_exc(RT_EXC_OVERFLOW, "int too large to convert to float");
  if (rt_kind(v) == RT_FLOAT || rt_kind(v) == RT_INT || rt_kind(v) == RT_BOOL) {
    *out = rt_kind(v) == RT_FLOAT ? v->u.f : rt_as_float(v);
    return NULL;
  }
  return rt_type_error("must be real number, not %s", rt_type_name(v));
}

static RtValue *math_filter_error(const char *fn, RtValue *e) {
  if (e->u.err.exc != RT_EXC_TYPE) /* Ansible wraps TypeErrors only (OverflowError passes) */
    return e;
  RtValue *r = rt_type_error("%s() can only be used on numbers: %s", fn, e->u.err.msg);
  rt_decref(e);
  return r;
}

/* CPython's loghelper for a float: ValueError below or at zero. */
static bool py_log(double x, double *out) {
  if (isnan(x) || (isinf(x) && x > 0)) {
    *out = x;
    return true;
  }
  if (x <= 0)
    return false;
  *out = log(x);
  return true;
}

/* loghelper for a number value: a big int through its exponent (math.log
 * takes ints of any size); false for a math domain error. */
static bool py_log_value(const RtValue *v, double x, bool ten, double *out) {
  if (rt_is_big(v))
    return rt_bigint_log(v, ten, out);
  if (ten) {
    if (x <= 0 && !isnan(x))
      return false;
    *out = log10(x);
    return true;
  }
  return py_log(x, out);
}

RtValue *rt_f_log(RtFArgs *a) {
  RtValue *bv = a->p[0];
  double x = 0, base = M_E, lx, lb;
  RtValue *e = rt_is_big(a->base) ? NULL : math_arg(a->base, &x);
  if (!e && bv && !rt_is_big(bv))
    e = math_arg(bv, &base);
  if (e)
    return math_filter_error("log", e);
  bool ten = bv && !rt_is_big(bv) && base == 10; /* Ansible calls math.log10 */
  if (!py_log_value(a->base, x, ten, &lx))
    return rt_error_exc(RT_EXC_VALUE, "math domain error");
  if (ten)
    return rt_float(lx);
  if (bv ? !py_log_value(bv, base, false, &lb) : !py_log(base, &lb))
    return rt_error_exc(RT_EXC_VALUE, "math domain error");
  if (lb == 0)
    return rt_error_exc(RT_EXC_ZERO_DIVISION, "float division by zero");
  return rt_float(lx / lb);
}

/* CPython's math.pow: its special cases, then errno-style range checks. */
static RtValue *py_pow(double x, double y) {
  if (isnan(x))
    return rt_float(y == 0 ? 1.0 : x);
  if (isnan(y))
    return rt_float(x == 1.0 ? 1.0 : y);
  if (!isfinite(x) || !isfinite(y))
    return rt_float(pow(x, y));
  if (x == 0 && y < 0)
    return rt_error_exc(RT_EXC_VALUE, "math domain error");
  if (x < 0 && y != floor(y))
    return rt_error_exc(RT_EXC_VALUE, "math domain error");
  double r = pow(x, y);
  if (isinf(r))
    return rt_error_exc(RT_EXC_OVERFLOW, "math range error");
  return rt_float(r);
}

RtValue *rt_f_pow(RtFArgs *a) {
  double x = 0, y = 0;
  RtValue *e = math_arg(a->base, &x);
  if (!e)
    e = math_arg(a->p[0], &y);
  if (e)
    return math_filter_error("pow", e);
  return py_pow(x, y);
}

RtValue *rt_f_root(RtFArgs *a) {
  double x = 0, base = 2;
  RtValue *e = math_arg(a->base, &x);
  if (e)
    return math_filter_error("root", e);
  if (a->p[0] && (rt_kind(a->p[0]) == RT_INT || rt_kind(a->p[0]) == RT_BOOL) && rt_as_int(a->p[0]) == 2)
    a->p[0] = NULL;
  if (!a->p[0]) {
    if (x < 0)
      return rt_type_error("root() can only be used on numbers: math domain error");
    return rt_float(sqrt(x));
  }
  if (!to_double(a->p[0], &base) || rt_kind(a->p[0]) == RT_NONE)
    return rt_type_error("root() can only be used on numbers: float() argument must be a string or a real number, "
                         "not '%s'", rt_type_name(a->p[0]));
  if (base == 0)
    return rt_error_exc(RT_EXC_ZERO_DIVISION, "float division by zero");
  RtValue *r = py_pow(x, 1.0 / base);
  if (rt_kind(r) == RT_ERROR && r->u.err.exc == RT_EXC_VALUE) {
    rt_decref(r);
    return rt_type_error("root() can only be used on numbers: math domain error");
  }
  return r;
}

static const struct {
  char suffix;
  int shift;
} size_ranges[] = {{'Y', 80}, {'Z', 70}, {'E', 60}, {'P', 50}, {'T', 40}, {'G', 30}, {'M', 20}, {'K', 10}, {'B', 0}};

/* formatters.bytes_to_human, behind Ansible's human_readable filter. */
RtValue *rt_f_human_readable(RtFArgs *a) {
  RtValue *size = a->base, *unitv = a->p[1];
  bool isbits = rt_arg_true(a->p[0], false);
  const char *unit = unitv && rt_kind(unitv) != RT_NONE ? rt_arg_str(unitv) : NULL;
  if (unitv && rt_kind(unitv) != RT_NONE && !unit) {
    RtValue *s = rt_to_str(size);
    RtValue *e = rt_error("human_readable() can't interpret following string: %s", s->u.str.s);
    rt_decref(s);
    return e;
  }
  double sz;
  if (rt_kind(size) != RT_INT && rt_kind(size) != RT_FLOAT && rt_kind(size) != RT_BOOL) {
    if (unit && rt_kind(size) == RT_STR) {
      RtValue *e = rt_type_error("human_readable() failed on bad input: unsupported operand type(s) for /: 'str' and "
                                 "'int'");
      return e;
    }
    return rt_type_error("human_readable() failed on bad input: '>=' not supported between instances of '%s' and "
                         "'int'",
                         rt_type_name(size));
  }
  sz = rt_kind(size) == RT_FLOAT ? size->u.f : rt_as_float(size);
  size_t k;
  size_t n = sizeof size_ranges / sizeof *size_ranges;
  for (k = 0; k < n; k++) {
    double limit = ldexp(1.0, size_ranges[k].shift);
    char up = unit && unit[0] ? (char)(unit[0] >= 'a' && unit[0] <= 'z' ? unit[0] - 32 : unit[0]) : 0;
    if ((!unit && sz >= limit) || (unit && up == size_ranges[k].suffix))
      break;
  }
  if (k == n)
    k = n - 1;
  const char *base = isbits ? "bits" : "Bytes";
  char suffix[16];
  if (size_ranges[k].shift)
    snprintf(suffix, sizeof suffix, "%c%c", size_ranges[k].suffix, base[0]);
  else
    snprintf(suffix, sizeof suffix, "%s", base);
  char *text = rt_xasprintf("%.2f %s", sz / ldexp(1.0, size_ranges[k].shift), suffix);
  return rt_str_take(text, strlen(text));
}

/* formatters.human_to_bytes, behind Ansible's human_to_bytes filter (its
 * ValueErrors become "can't interpret" errors, as the filter words them). */
RtValue *rt_f_human_to_bytes(RtFArgs *a) {
  RtValue *s = rt_to_str(a->base);
  const char *p = s->u.str.s;
  RtValue *fail = rt_error("human_to_bytes() can't interpret following string: %s", p);
  while (*p && rt_cp_isspace((unsigned char)*p))
    p++;
  const char *num = p;
  while (*p >= '0' && *p <= '9')
    p++;
  if (*p == '.')
    p++;
  while (*p >= '0' && *p <= '9')
    p++;
  size_t numlen = (size_t)(p - num);
  while (*p && rt_cp_isspace((unsigned char)*p))
    p++;
  const char *unit = p;
  while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
    p++;
  size_t unitlen = (size_t)(p - unit);
  double f;
  if (rt_arith_parse_float(num, numlen, &f, NULL, 0) != RT_ARITH_OK) {
    rt_decref(s);
    return fail;
  }
  const char *du = a->p[0] && rt_kind(a->p[0]) != RT_NONE ? rt_arg_str(a->p[0]) : NULL;
  if (!unitlen && du)
    unit = du, unitlen = strlen(du);
  bool isbits = rt_arg_true(a->p[1], false);
  int64_t out;
  RtValue *r = fail;
  if (!unitlen) {
    if (rt_arith_float_to_int(nearbyint(f), &out, NULL, 0) == RT_ARITH_OK)
      r = rt_int(out);
  } else {
    char key = (char)(unit[0] >= 'a' && unit[0] <= 'z' ? unit[0] - 32 : unit[0]);
    int shift = -1;
    for (size_t k = 0; k < sizeof size_ranges / sizeof *size_ranges; k++)
      if (size_ranges[k].suffix == key)
        shift = size_ranges[k].shift;
    bool ok = shift >= 0;
    if (ok && unitlen > 1) {
      const char *cls_name = isbits ? "bit" : "byte";
      char cls = isbits ? 'b' : 'B';
      RtBuf low = {0};
      rt_text_lower(&low, unit, unitlen);
      ok = strstr(low.data, cls_name) != NULL || unit[1] == cls;
      rt_buf_free(&low);
    }
    if (ok && rt_arith_float_to_int(nearbyint(f * ldexp(1.0, shift)), &out, NULL, 0) == RT_ARITH_OK)
      r = rt_int(out);
  }
  if (r != fail)
    rt_decref(fail);
  rt_decref(s);
  return r;
}

/* ---- randomness: Python's random.Random (MT19937, init_by_array) ---- */

typedef struct PyRandom {
  uint32_t mt[624];
  int mti;
  bool system; /* SystemRandom: the kernel's bytes */
} PyRandom;

static void mt_init(PyRandom *r, uint32_t s) {
  r->mt[0] = s;
  for (int i = 1; i < 624; i++)
    r->mt[i] = 1812433253U * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
  r->mti = 624;
}

static void mt_init_array(PyRandom *r, const uint32_t *key, size_t n) {
  mt_init(r, 19650218U);
  size_t i = 1, j = 0, k = 624 > n ? 624 : n;
  for (; k; k--) {
    r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1664525U)) + key[j] + (uint32_t)j;
    i++, j++;
    if (i >= 624) {
      r->mt[0] = r->mt[623];
      i = 1;
    }
    if (j >= n)
      j = 0;
  }
  for (k = 623; k; k--) {
    r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1566083941U)) - (uint32_t)i;
    i++;
    if (i >= 624) {
      r->mt[0] = r->mt[623];
      i = 1;
    }
  }
  r->mt[0] = 0x80000000U;
}

static uint32_t mt_next(PyRandom *r) {
  if (r->system) {
    uint32_t v;
    if (getrandom(&v, sizeof v, 0) != sizeof v)
      rt_panic(__FILE__, __LINE__, "getrandom failed");
    return v;
  }
  if (r->mti >= 624) {
    for (int k = 0; k < 624; k++) {
      uint32_t y = (r->mt[k] & 0x80000000U) | (r->mt[(k + 1) % 624] & 0x7fffffffU);
      r->mt[k] = r->mt[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1) ? 0x9908b0dfU : 0);
    }
    r->mti = 0;
  }
  uint32_t y = r->mt[r->mti++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= y >> 18;
  return y;
}

/* getrandbits(k), k <= 64. */
static uint64_t mt_bits(PyRandom *r, int k) {
  if (k <= 32)
    return mt_next(r) >> (32 - k);
  uint64_t lo = mt_next(r);
  uint64_t hi = mt_next(r) >> (64 - k);
  return lo | hi << 32;
}

/* _randbelow_with_getrandbits(n), n > 0. */
static uint64_t mt_below(PyRandom *r, uint64_t n) {
  int k = 64 - __builtin_clzll(n);
  uint64_t v;
  do
    v = mt_bits(r, k);
  while (v >= n);
  return v;
}

/* random.Random(seed): an int seeds with its absolute value's 32-bit words;
 * a str with its UTF-8 bytes followed by their SHA-512 (version 2). False
 * for seeds playc cannot reproduce (floats hash). */
static bool py_random_seed(PyRandom *r, const RtValue *seed) {
  memset(r, 0, sizeof *r);
  if (!seed || rt_kind(seed) == RT_NONE) {
    r->system = true;
    return true;
  }
  uint32_t key[160];
  size_t n = 0;
  if (rt_kind(seed) == RT_INT || rt_kind(seed) == RT_BOOL) {
    int64_t i = rt_as_int(seed);
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    while (u) {
      key[n++] = (uint32_t)u;
      u >>= 32;
    }
    if (!n)
      key[n++] = 0;
    mt_init_array(r, key, n);
    return true;
  }
  if (rt_kind(seed) != RT_STR)
    return false;
  size_t len = seed->u.str.len, total = len + 64;
  uint8_t *bytes = rt_xmalloc(total);
  memcpy(bytes, seed->u.str.s, len);
  SHA512((const unsigned char *)seed->u.str.s, len, bytes + len);
  /* int.from_bytes(big-endian) → 32-bit words, least significant first */
  size_t nw = (total + 3) / 4;
  uint32_t *words = rt_xcalloc(nw, sizeof *words);
  for (size_t b = 0; b < total; b++) {
    size_t bit = (total - 1 - b) * 8;
    words[bit / 32] |= (uint32_t)bytes[b] << (bit % 32);
  }
  while (nw > 1 && words[nw - 1] == 0)
    nw--;
  mt_init_array(r, words, nw);
  free(words);
  free(bytes);
  return true;
}

RtValue *rt_random_choices(const char *chars, size_t len, int64_t count, const RtValue *seed) {
  PyRandom r;
  if (!py_random_seed(&r, seed))
    return NULL;
  size_t n = 0, i = 0;
  uint32_t *cps = rt_xmalloc((len + 1) * sizeof *cps);
  while (i < len)
    cps[n++] = rt_utf8_next(chars, len, &i);
  RtBuf b = {0};
  for (int64_t k = 0; k < count; k++) {
    if (!n) {
      free(cps);
      rt_buf_free(&b);
      return rt_error_exc(RT_EXC_INDEX, "Cannot choose from an empty sequence");
    }
    rt_utf8_put(&b, cps[mt_below(&r, n)]);
  }
  free(cps);
  return rt_buf_value(&b);
}

static RtValue *bad_seed(const RtValue *seed) {
  return rt_error("a seed of type '%s' is not supported by playc yet", rt_type_name(seed));
}

/* Ansible's rand: randrange(start, end, step) on an int, choice() on a
 * sequence, with Random(seed) or SystemRandom. */
RtValue *rt_f_random(RtFArgs *a) {
  PyRandom r;
  if (!py_random_seed(&r, a->p[2]))
    return bad_seed(a->p[2]);
  RtValue *end = a->base;
  if (rt_kind(end) == RT_INT || rt_kind(end) == RT_BOOL) {
    int64_t start = 0, step = 1, stop = rt_as_int(end);
    if (a->p[0] && rt_pytruth(a->p[0]) && !rt_arg_int(a->p[0], &start))
      return rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(a->p[0]));
    if (a->p[1] && rt_pytruth(a->p[1]) && !rt_arg_int(a->p[1], &step))
      return rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(a->p[1]));
    __int128 width = (__int128)stop - start, n;
    if (step == 1) {
      if (width <= 0)
        return rt_error_exc(RT_EXC_VALUE, "empty range for randrange() (%lld, %lld, %lld)", (long long)start,
                            (long long)stop, (long long)width);
      return rt_int(start + (int64_t)mt_below(&r, (uint64_t)width));
    }
    if (step == 0)
      return rt_error_exc(RT_EXC_VALUE, "zero step for randrange()");
    __int128 num = step > 0 ? width + step - 1 : width + step + 1;
    n = num / step;
    if ((num % step != 0) && ((num < 0) != (step < 0)))
      n--; /* Python's floor division */
    if (n <= 0)
      return rt_error_exc(RT_EXC_VALUE, "empty range for randrange()");
    return rt_int(start + step * (int64_t)mt_below(&r, (uint64_t)n));
  }
  if (rt_kind(end) == RT_LIST || rt_kind(end) == RT_STR || rt_kind(end) == RT_DICT) {
    if ((a->p[0] && rt_pytruth(a->p[0])) || (a->p[1] && rt_pytruth(a->p[1])))
      return rt_error("start and step can only be used with integer values");
    RtValue *items = rt_iter_list(end);
    size_t n = rt_len(items);
    if (!n) {
      rt_decref(items);
      return rt_error_exc(RT_EXC_INDEX, "Cannot choose from an empty sequence");
    }
    size_t at = mt_below(&r, n);
    if (rt_kind(end) == RT_DICT) { /* Python indexes the dict itself: a KeyError unless that int is a key */
      rt_decref(items);
      return rt_error_exc(RT_EXC_KEY, "%zu", at);
    }
    RtValue *pick = rt_incref(rt_list_at(items, at));
    rt_decref(items);
    return pick;
  }
  return rt_error("random can only be used on sequences and integers");
}

/* Ansible's randomize_list: list(x) shuffled by Random(seed) (a false seed:
 * the process's generator); anything that is not iterable as it is. */
RtValue *rt_f_shuffle(RtFArgs *a) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR) {
    rt_decref(items);
    return rt_incref(a->base);
  }
  PyRandom r;
  const RtValue *seed = a->p[0] && rt_pytruth(a->p[0]) ? a->p[0] : NULL;
  if (!py_random_seed(&r, seed)) {
    rt_decref(items);
    return bad_seed(seed);
  }
  RtValue *l = rt_list_copy(items);
  rt_decref(items);
  for (size_t i = rt_len(l); i-- > 1;) {
    size_t j = mt_below(&r, i + 1);
    RtValue *t = l->u.list.items[i];
    l->u.list.items[i] = l->u.list.items[j];
    l->u.list.items[j] = t;
  }
  return l;
}
