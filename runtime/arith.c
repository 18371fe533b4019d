/*
 * arith.c — Python's numeric semantics on int64_t and double, checked (see
 * arith.h for the contract). The float rules are transcriptions of CPython
 * 3.11's floatobject.c (float_rem, _float_div_mod, float_pow), the int rules
 * of longobject.c restricted to 64 bits: an int result that needs more bits
 * is RT_ARITH_OVERFLOW here, and the runtime's bigint.c computes it. int / int
 * is correctly rounded like long_true_divide, through a 128-bit quotient with
 * a sticky bit.
 *
 * Compiled into both the compiler and the runtime, so: no RtValue, no
 * allocation beyond a scratch copy in rt_arith_parse_float, no globals.
 */
#include "arith.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_sym[] = {"+", "-", "*", "/", "//", "%", "**"};

const char *rt_arith_exc_name(RtArithErr e) {
  switch (e) {
  case RT_ARITH_ZERO_DIVISION: return "ZeroDivisionError";
  case RT_ARITH_OVERFLOW: return "OverflowError";
  case RT_ARITH_VALUE: return "ValueError";
  case RT_ARITH_MEMORY: return "MemoryError";
  default: return "";
  }
}

static RtArithErr ar_fail(RtArithErr e, char *msg, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static RtArithErr ar_fail(RtArithErr e, char *msg, size_t n, const char *fmt, ...) {
  if (msg && n) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, n, fmt, ap);
    va_end(ap);
  }
  return e;
}

static RtArithErr ar_int_overflow(int32_t op, int64_t a, int64_t b, char *msg, size_t n) {
  return ar_fail(RT_ARITH_OVERFLOW, msg, n,
                 "integer overflow: the result of %lld %s %lld does not fit in 64 bits",
                 (long long)a, op_sym[op], (long long)b);
}

/* Shortest text that reads back as `f` (Python's repr for finite floats,
 * without its fixed/exponent switch: only for messages). */
static void ar_float_text(char *buf, size_t n, double f) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, f);
    if (strtod(buf, NULL) == f)
      return;
  }
}

/* ---- integers ---- */

static int64_t ar_floordiv(int64_t a, int64_t b) { /* b != 0, not INT64_MIN / -1 */
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0)))
    q--;
  return q;
}

static int64_t ar_mod(int64_t a, int64_t b) { /* b != 0 */
  if (b == -1)
    return 0; /* INT64_MIN % -1 traps in C; it is 0 */
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0)))
    m += b;
  return m;
}

static int ar_bits(uint64_t x) {
  return x ? 64 - __builtin_clzll(x) : 0;
}

/* a / b correctly rounded (long_true_divide): exact operands below 2**53
 * divide as doubles; otherwise a 55-56 bit quotient with a sticky bit for a
 * non-zero remainder rounds once, in the conversion to double. */
static double ar_int_truediv(int64_t a, int64_t b) {
  uint64_t x = a < 0 ? 0 - (uint64_t)a : (uint64_t)a, y = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
  bool neg = (a < 0) != (b < 0);
  double r;
  if (x <= (UINT64_C(1) << 53) && y <= (UINT64_C(1) << 53)) {
    r = (double)x / (double)y;
  } else {
    int k = ar_bits(y) + 55 - ar_bits(x);
    unsigned __int128 n = x, d = y;
    if (k >= 0)
      n <<= k;
    else
      d <<= -k;
    uint64_t q = (uint64_t)(n / d) | (n % d != 0);
    r = ldexp((double)q, -k);
  }
  return neg ? -r : r;
}

/* a ** b for b >= 0 by squaring: O(log b) steps, overflow checked. */
static bool ar_int_pow(int64_t a, int64_t b, int64_t *out) {
  if (a == 0 || a == 1 || b == 0) {
    *out = b == 0 ? 1 : a;
    return true;
  }
  if (a == -1) {
    *out = b % 2 ? -1 : 1;
    return true;
  }
  int64_t r = 1, base = a;
  for (uint64_t e = (uint64_t)b; e; e >>= 1) {
    if ((e & 1) && __builtin_mul_overflow(r, base, &r))
      return false;
    if (e > 1 && __builtin_mul_overflow(base, base, &base))
      return false; /* |base| >= 2 and a higher bit remains: the result is larger */
  }
  *out = r;
  return true;
}

/* ---- floats (CPython floatobject.c) ---- */

static bool ar_is_odd_integer(double x) {
  return fmod(fabs(x), 2.0) == 1.0;
}

static RtArithErr ar_float_pow(double v, double w, double *out, char *msg, size_t n) {
  bool negate = false;
  if (w == 0) {
    *out = 1.0;
    return RT_ARITH_OK;
  }
  if (isnan(v)) {
    *out = v;
    return RT_ARITH_OK;
  }
  if (isnan(w)) {
    *out = v == 1.0 ? 1.0 : w;
    return RT_ARITH_OK;
  }
  if (isinf(w)) {
    v = fabs(v);
    *out = v == 1.0 ? 1.0 : (w > 0.0) == (v > 1.0) ? fabs(w) : 0.0;
    return RT_ARITH_OK;
  }
  if (isinf(v)) {
    bool odd = ar_is_odd_integer(w);
    *out = w > 0.0 ? (odd ? v : fabs(v)) : (odd ? copysign(0.0, v) : 0.0);
    return RT_ARITH_OK;
  }
  if (v == 0.0) {
    if (w < 0.0)
      return ar_fail(RT_ARITH_ZERO_DIVISION, msg, n, "0.0 cannot be raised to a negative power");
    *out = ar_is_odd_integer(w) ? v : 0.0;
    return RT_ARITH_OK;
  }
  if (v < 0.0) {
    if (w != floor(w) && isinf(pow(-v, w))) /* complex_pow's own overflow */
      return ar_fail(RT_ARITH_OVERFLOW, msg, n, "complex exponentiation");
    if (w != floor(w)) /* Python answers with a complex number */
      return ar_fail(RT_ARITH_VALUE, msg, n,
                     "negative number cannot be raised to a fractional power "
                     "(playc has no complex numbers)");
    v = -v;
    negate = ar_is_odd_integer(w);
  }
  if (v == 1.0) {
    *out = negate ? -1.0 : 1.0;
    return RT_ARITH_OK;
  }
  double r = pow(v, w); /* v, w finite, v > 0: inf means ERANGE */
  if (isinf(r))
    return ar_fail(RT_ARITH_OVERFLOW, msg, n, "(34, 'Numerical result out of range')");
  *out = negate ? -r : r;
  return RT_ARITH_OK;
}

static RtArithErr ar_float_binop(int32_t op, double x, double y, double *out, char *msg,
                                 size_t n) {
  double mod, div;
  switch (op) {
  case RT_OP_ADD: *out = x + y; return RT_ARITH_OK;
  case RT_OP_SUB: *out = x - y; return RT_ARITH_OK;
  case RT_OP_MUL: *out = x * y; return RT_ARITH_OK;
  case RT_OP_DIV:
    if (y == 0)
      return ar_fail(RT_ARITH_ZERO_DIVISION, msg, n, "float division by zero");
    *out = x / y;
    return RT_ARITH_OK;
  case RT_OP_POW:
    return ar_float_pow(x, y, out, msg, n);
  case RT_OP_MOD:
  case RT_OP_FLOORDIV:
    if (y == 0)
      return ar_fail(RT_ARITH_ZERO_DIVISION, msg, n,
                     op == RT_OP_MOD ? "float modulo" : "float floor division by zero");
    mod = fmod(x, y);
    div = (x - mod) / y;
    if (mod) {
      if ((y < 0) != (mod < 0)) {
        mod += y;
        div -= 1.0;
      }
    } else {
      mod = copysign(0.0, y);
    }
    if (op == RT_OP_MOD) {
      *out = mod;
    } else if (div) {
      *out = floor(div);
      if (div - *out > 0.5)
        *out += 1.0;
    } else {
      *out = copysign(0.0, x / y);
    }
    return RT_ARITH_OK;
  default:
    return ar_fail(RT_ARITH_VALUE, msg, n, "not an arithmetic operator");
  }
}

static RtArithErr ar_int_binop(int32_t op, int64_t a, int64_t b, RtNum *out, char *msg, size_t n) {
  int64_t r;
  switch (op) {
  case RT_OP_ADD:
    if (__builtin_add_overflow(a, b, &r))
      return ar_int_overflow(op, a, b, msg, n);
    break;
  case RT_OP_SUB:
    if (__builtin_sub_overflow(a, b, &r))
      return ar_int_overflow(op, a, b, msg, n);
    break;
  case RT_OP_MUL:
    if (__builtin_mul_overflow(a, b, &r))
      return ar_int_overflow(op, a, b, msg, n);
    break;
  case RT_OP_DIV:
    if (b == 0)
      return ar_fail(RT_ARITH_ZERO_DIVISION, msg, n, "division by zero");
    *out = rt_num_float(ar_int_truediv(a, b));
    return RT_ARITH_OK;
  case RT_OP_FLOORDIV:
    if (b == 0)
      return ar_fail(RT_ARITH_ZERO_DIVISION, msg, n, "integer division or modulo by zero");
    if (a == INT64_MIN && b == -1)
      return ar_int_overflow(op, a, b, msg, n);
    r = ar_floordiv(a, b);
    break;
  case RT_OP_MOD:
    if (b == 0)
      return ar_fail(RT_ARITH_ZERO_DIVISION, msg, n, "integer modulo by zero");
    r = ar_mod(a, b);
    break;
  case RT_OP_POW:
    if (b < 0) { /* Python: a float power */
      double f;
      RtArithErr e = ar_float_pow((double)a, (double)b, &f, msg, n);
      if (e == RT_ARITH_OK)
        *out = rt_num_float(f);
      return e;
    }
    if (!ar_int_pow(a, b, &r))
      return ar_int_overflow(op, a, b, msg, n);
    break;
  default:
    return ar_fail(RT_ARITH_VALUE, msg, n, "not an arithmetic operator");
  }
  *out = rt_num_int(r);
  return RT_ARITH_OK;
}

RtArithErr rt_arith_binop(int32_t op, RtNum a, RtNum b, RtNum *out, char *msg, size_t msgsize) {
  if (op < RT_OP_ADD || op > RT_OP_POW)
    return ar_fail(RT_ARITH_VALUE, msg, msgsize, "not an arithmetic operator");
  if (!a.is_float && !b.is_float)
    return ar_int_binop(op, a.i, b.i, out, msg, msgsize);
  double x = a.is_float ? a.f : (double)a.i, y = b.is_float ? b.f : (double)b.i, r;
  RtArithErr e = ar_float_binop(op, x, y, &r, msg, msgsize);
  if (e == RT_ARITH_OK)
    *out = rt_num_float(r);
  return e;
}

RtArithErr rt_arith_neg(RtNum a, RtNum *out, char *msg, size_t msgsize) {
  if (a.is_float) {
    *out = rt_num_float(-a.f);
    return RT_ARITH_OK;
  }
  if (a.i == INT64_MIN)
    return ar_fail(RT_ARITH_OVERFLOW, msg, msgsize,
                   "integer overflow: the result of -(%lld) does not fit in 64 bits",
                   (long long)a.i);
  *out = rt_num_int(-a.i);
  return RT_ARITH_OK;
}

/* An int against a finite or infinite, non-NaN float, exactly. */
static int ar_cmp_int_float(int64_t i, double f) {
  if (f >= 9223372036854775808.0)
    return -1;
  if (f < -9223372036854775808.0)
    return 1;
  double t = trunc(f);
  int64_t ti = (int64_t)t; /* exact: |t| < 2**63 */
  if (i != ti)
    return i < ti ? -1 : 1;
  double frac = f - t;
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

int rt_arith_cmp(RtNum a, RtNum b) {
  if (!a.is_float && !b.is_float)
    return a.i < b.i ? -1 : a.i > b.i;
  if ((a.is_float && isnan(a.f)) || (b.is_float && isnan(b.f)))
    return 2;
  if (a.is_float && b.is_float)
    return a.f < b.f ? -1 : a.f > b.f;
  if (a.is_float)
    return -ar_cmp_int_float(b.i, a.f);
  return ar_cmp_int_float(a.i, b.f);
}

/* ---- conversions ---- */

static bool ar_space(char c) { /* what int() and float() strip (Py_ISSPACE) */
  return c == ' ' || (c >= '\t' && c <= '\r');
}

static void ar_strip(const char **s, const char **e) {
  while (*s < *e && ar_space(**s))
    (*s)++;
  while (*e > *s && ar_space((*e)[-1]))
    (*e)--;
}

int rt_arith_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 99;
}

bool rt_arith_int_head(const char **p, const char **e, int *base, bool *neg) {
  ar_strip(p, e);
  *neg = false;
  if (*p < *e && (**p == '+' || **p == '-'))
    *neg = *(*p)++ == '-';
  if (*e - *p >= 2 && (*p)[0] == '0') {
    char c = (char)((*p)[1] | 32);
    int pb = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
    if (pb && (*base == 0 || *base == pb)) {
      *base = pb;
      *p += 2;
      return true;
    }
  }
  return false;
}

/* Python's repr() of a string for a message, cut at 200 characters like
 * CPython's "%.200R" (buf holds at least 201 bytes). */
static void ar_quote(char *buf, size_t n, const char *s, size_t len) {
  bool sq = memchr(s, '\'', len) != NULL, dq = memchr(s, '"', len) != NULL;
  char q = sq && !dq ? '"' : '\'', *o = buf, *end = buf + (n < 201 ? n : 201) - 1;
  *o++ = q;
  for (size_t i = 0; i < len && o + 4 < end; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == (unsigned char)q || c == '\\')
      o += sprintf(o, "\\%c", c);
    else if (c == '\n' || c == '\r' || c == '\t')
      o += sprintf(o, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
    else if (c < 0x20 || c == 0x7f)
      o += sprintf(o, "\\x%02x", c);
    else
      *o++ = (char)c;
  }
  if (o < end)
    *o++ = q;
  *o = 0;
}

RtArithErr rt_arith_parse_int(const char *s, size_t len, int base, int64_t *out, char *msg,
                              size_t msgsize) {
  const char *p = s, *e = s + len;
  char lit[208];
  ar_quote(lit, sizeof lit, s, len);
  if (base != 0 && (base < 2 || base > 36))
    return ar_fail(RT_ARITH_VALUE, msg, msgsize, "int() base must be >= 2 and <= 36, or 0");
  bool neg, leading_zero = false, prefixed = rt_arith_int_head(&p, &e, &base, &neg);
  if (base == 0) {
    base = 10;
    leading_zero = p < e && *p == '0';
  }
  uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  bool overflow = false, any = false, nonzero = false;
  for (bool prev_digit = prefixed; p < e; p++) { /* "0x_1f": '_' may follow a prefix */
    if (*p == '_') {
      if (!prev_digit || p + 1 >= e || p[1] == '_')
        goto bad;
      prev_digit = false;
      continue;
    }
    int d = rt_arith_digit(*p);
    if (d >= base)
      goto bad;
    prev_digit = any = true;
    nonzero |= d != 0;
    if (v > (limit - (uint64_t)d) / (uint64_t)base)
      overflow = true;
    else
      v = v * (uint64_t)base + (uint64_t)d;
  }
  if (!any || (leading_zero && nonzero))
    goto bad;
  if (overflow)
    return ar_fail(RT_ARITH_OVERFLOW, msg, msgsize,
                   "integer overflow: int(%s) does not fit in 64 bits",
                   lit);
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return RT_ARITH_OK;
bad:
  return ar_fail(RT_ARITH_VALUE, msg, msgsize, "invalid literal for int() with base %d: %s",
                 base, lit);
}

static bool ar_word_ci(const char *p, const char *e, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(e - p) != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((p[i] | 32) != w[i])
      return false;
  return true;
}

/* digitpart = digit ("_"? digit)*; copies the digits to *o; false if absent or malformed. */
static bool ar_digitpart(const char **p, const char *e, char **o) {
  if (*p >= e || **p < '0' || **p > '9')
    return false;
  while (*p < e) {
    if (**p >= '0' && **p <= '9') {
      *(*o)++ = *(*p)++;
    } else if (**p == '_' && *p + 1 < e && (*p)[1] >= '0' && (*p)[1] <= '9') {
      (*p)++;
    } else {
      break;
    }
  }
  return true;
}

RtArithErr rt_arith_parse_float(const char *s, size_t len, double *out, char *msg,
                                size_t msgsize) {
  const char *p = s, *e = s + len;
  char lit[208];
  ar_quote(lit, sizeof lit, s, len);
  ar_strip(&p, &e);
  double sign = 1.0;
  if (p < e && (*p == '+' || *p == '-'))
    sign = *p++ == '-' ? -1.0 : 1.0;
  if (ar_word_ci(p, e, "inf") || ar_word_ci(p, e, "infinity")) {
    *out = sign * INFINITY;
    return RT_ARITH_OK;
  }
  if (ar_word_ci(p, e, "nan")) {
    *out = copysign(NAN, sign);
    return RT_ARITH_OK;
  }
  char small[128], *buf = (size_t)(e - p) + 2 <= sizeof small ? small : malloc((size_t)(e - p) + 2);
  if (!buf)
    return ar_fail(RT_ARITH_MEMORY, msg, msgsize, "out of memory");
  char *o = buf;
  bool ok = true, mant = ar_digitpart(&p, e, &o);
  if (p < e && *p == '.') {
    *o++ = *p++;
    mant |= ar_digitpart(&p, e, &o);
  }
  ok = mant;
  if (ok && p < e && (*p == 'e' || *p == 'E')) {
    *o++ = *p++;
    if (p < e && (*p == '+' || *p == '-'))
      *o++ = *p++;
    ok = ar_digitpart(&p, e, &o);
  }
  ok = ok && p == e;
  *o = 0;
  if (ok)
    *out = sign * strtod(buf, NULL);
  if (buf != small)
    free(buf);
  if (!ok)
    return ar_fail(RT_ARITH_VALUE, msg, msgsize, "could not convert string to float: %s", lit);
  return RT_ARITH_OK;
}

RtArithErr rt_arith_float_to_int(double f, int64_t *out, char *msg, size_t msgsize) {
  if (isnan(f))
    return ar_fail(RT_ARITH_VALUE, msg, msgsize, "cannot convert float NaN to integer");
  if (isinf(f))
    return ar_fail(RT_ARITH_OVERFLOW, msg, msgsize, "cannot convert float infinity to integer");
  if (f >= 9223372036854775808.0 || f < -9223372036854775808.0) {
    char t[40];
    ar_float_text(t, sizeof t, f);
    return ar_fail(RT_ARITH_OVERFLOW, msg, msgsize,
                   "integer overflow: int(%s) does not fit in 64 bits",
                   t);
  }
  *out = (int64_t)f;
  return RT_ARITH_OK;
}

RtArithErr rt_arith_size(size_t unit, int64_t count, size_t limit, const char *what,
                         const char *unit_name, size_t *out, char *msg, size_t msgsize) {
  if (count <= 0 || unit == 0) {
    *out = 0;
    return RT_ARITH_OK;
  }
  if ((uint64_t)count > limit / unit)
    return ar_fail(RT_ARITH_MEMORY, msg, msgsize,
                   "%s is too long (%lld copies of %zu %s; playc's limit is %zu %s)", what,
                   (long long)count, unit, unit_name, limit, unit_name);
  *out = unit * (size_t)count;
  return RT_ARITH_OK;
}
