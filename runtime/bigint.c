/*
 * bigint.c — Python's integers past 64 bits, on OpenSSL's BIGNUM.
 *
 * An int stays an int64_t (runtime/arith.c, the fast path) while it fits;
 * an operation whose int result does not fit comes here and gets an RT_INT
 * flagged RT_VF_BIG holding a BIGNUM. Every result is demoted back to a
 * plain int when it fits, so a big int is never equal to a small one and
 * `2**70 // 2**69` is the ordinary 2. The big value's u.i (u.big.sat) holds
 * the value saturated to int64, so a reader that takes a size or an index
 * from an int (range, repetition, indexes, module numbers) sees a value past
 * any limit and refuses it as before; the readers that must be exact
 * (arithmetic, comparison, equality, dict keys, str/repr/JSON/YAML, the
 * numeric filters) ask rt_is_big.
 *
 * Semantics are Python 3.11's longobject.c: floor division and modulo take
 * the divisor's sign, int / int is correctly rounded ("integer division
 * result too large for a float"), int and float compare exactly, float(int)
 * rounds half to even ("int too large to convert to float"). A result over
 * RT_BIGINT_MAX_BITS is a MemoryError rather than minutes of work; text
 * conversion keeps Python's 4300-digit limit (sys.get_int_max_str_digits).
 */
#include "rt.h"

#include <float.h>
#include <math.h>
#include <openssl/bn.h>
#include <string.h>

#define RT_BIGINT_MAX_BITS (1 << 20) /* about 315,000 decimal digits */
#define RT_BIGINT_MAX_STR_DIGITS 4300 /* Python 3.11's default */

/* A scratch context for one BN_div/BN_mul/BN_exp (none is kept per thread:
 * a thread's exit would lose it). */
static BN_CTX *bi_ctx(void) {
  BN_CTX *ctx = BN_CTX_new();
  if (!ctx)
    rt_panic(__FILE__, __LINE__, "BN_CTX_new: out of memory");
  return ctx;
}

/* BN_div/BN_mul/BN_exp's result through a scratch context. */
#define BI_WITH_CTX(call)                                                                          \
  do {                                                                                             \
    BN_CTX *ctx_ = bi_ctx();                                                                       \
    int ok_ = (call);                                                                              \
    BN_CTX_free(ctx_);                                                                             \
    bi_check(ok_);                                                                                 \
  } while (0)

static BIGNUM *bi_new(void) {
  BIGNUM *r = BN_new();
  if (!r)
    rt_panic(__FILE__, __LINE__, "BN_new: out of memory");
  return r;
}

static void bi_check(int ok) {
  if (!ok)
    rt_panic(__FILE__, __LINE__, "BIGNUM operation failed (out of memory)");
}

/* A new BIGNUM equal to the int64 `i`. */
static BIGNUM *bi_of_i64(int64_t i) {
  BIGNUM *r = bi_new();
  uint64_t m = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
  bi_check(BN_set_word(r, (BN_ULONG)(m >> 32)));
  bi_check(BN_lshift(r, r, 32));
  bi_check(BN_add_word(r, (BN_ULONG)(m & 0xffffffffu)));
  BN_set_negative(r, i < 0);
  return r;
}

/* A new BIGNUM equal to the int `v` (an RT_INT, big or not, or an RT_BOOL). */
static BIGNUM *bi_of(const RtValue *v) {
  if (rt_is_big(v)) {
    BIGNUM *r = BN_dup(v->u.big.bn);
    if (!r)
      rt_panic(__FILE__, __LINE__, "BN_dup: out of memory");
    return r;
  }
  return bi_of_i64(rt_as_int(v));
}

/* The BIGNUM of int `v` to read, not to change: a big int's own, else a
 * new one left in *tmp for the caller to free (NULL for a big int). */
static const BIGNUM *bi_view(const RtValue *v, BIGNUM **tmp) {
  *tmp = rt_is_big(v) ? NULL : bi_of_i64(rt_as_int(v));
  return *tmp ? *tmp : v->u.big.bn;
}

/* The low 64 bits of |x|. */
static uint64_t bi_low64(const BIGNUM *x) {
  unsigned char buf[8] = {0};
  int n = BN_num_bytes(x);
  if (n <= 8) {
    BN_bn2binpad(x, buf, 8);
  } else {
    BIGNUM *t = BN_dup(x);
    bi_check(t != NULL && BN_mask_bits(t, 64));
    BN_bn2binpad(t, buf, 8);
    BN_free(t);
  }
  uint64_t r = 0;
  for (int i = 0; i < 8; i++)
    r = r << 8 | buf[i];
  return r;
}

/* Takes `x`: a plain int when it fits in int64, else a big int. */
static RtValue *bi_value(BIGNUM *x) {
  int bits = BN_num_bits(x);
  bool neg = BN_is_negative(x);
  if (bits <= 63 || (bits == 64 && neg && bi_low64(x) == UINT64_C(1) << 63)) {
    uint64_t m = bi_low64(x);
    BN_free(x);
    return rt_int(neg ? (int64_t)(0 - m) : (int64_t)m);
  }
  RtValue *v = rt_int(neg ? INT64_MIN : INT64_MAX);
  v->flags |= RT_VF_BIG;
  v->u.big.bn = x;
  return v;
}

static RtValue *bi_too_big(int bits) {
  return rt_error_exc(RT_EXC_MEMORY,
                      "integer result too large (about %d bits; playc's limit is %d bits)", bits,
                      RT_BIGINT_MAX_BITS);
}

void rt_bigint_free(RtValue *v) {
  BN_free(v->u.big.bn);
}

/* ---- conversions to and from double ---- */

/* |x| as a double correctly rounded (half to even), sign applied; false when
 * it overflows a double. */
static bool bi_to_double(const BIGNUM *x, double *out) {
  int n = BN_num_bits(x);
  double r;
  if (n <= 64) {
    r = (double)bi_low64(x);
  } else {
    if (n > DBL_MAX_EXP)
      return false;
    /* 55 top bits and a sticky bit for the rest round once, converting to double */
    int s = n - 55;
    BIGNUM *q = bi_new(), *back = bi_new();
    bi_check(BN_rshift(q, x, s));
    BN_set_negative(q, 0);
    bi_check(BN_lshift(back, q, s));
    uint64_t m = bi_low64(q) | (BN_ucmp(back, x) != 0);
    BN_free(q);
    BN_free(back);
    r = ldexp((double)m, s);
    if (isinf(r))
      return false;
  }
  *out = BN_is_negative(x) ? -r : r;
  return true;
}

bool rt_bigint_to_double(const RtValue *v, double *out) {
  if (!rt_is_big(v)) {
    *out = (double)rt_as_int(v);
    return true;
  }
  return bi_to_double(v->u.big.bn, out);
}

RtValue *rt_bigint_float(const RtValue *v) {
  double f;
  if (!rt_bigint_to_double(v, &f))
    return rt_error_exc(RT_EXC_OVERFLOW, "int too large to convert to float");
  return rt_float(f);
}

/* A new BIGNUM equal to the finite, integral double `f`. */
static BIGNUM *bi_of_integral_double(double f) {
  int e;
  double m = frexp(fabs(f), &e); /* |f| = m * 2**e, 0.5 <= m < 1 */
  if (e <= 63)
    return bi_of_i64((int64_t)f);
  BIGNUM *r = bi_of_i64((int64_t)ldexp(m, 53));
  bi_check(BN_lshift(r, r, e - 53));
  BN_set_negative(r, f < 0);
  return r;
}

RtValue *rt_bigint_from_double(double f) {
  return bi_value(bi_of_integral_double(trunc(f)));
}

void rt_bigint_canon_double(RtBuf *b, double f) {
  BIGNUM *x = bi_of_integral_double(f);
  char *s = BN_bn2dec(x);
  bi_check(s != NULL);
  rt_buf_puts(b, s);
  OPENSSL_free(s);
  BN_free(x);
}

/* ---- comparisons ---- */

int rt_bigint_cmp(const RtValue *a, const RtValue *b) {
  if (rt_kind(a) == RT_FLOAT || rt_kind(b) == RT_FLOAT) {
    bool af = rt_kind(a) == RT_FLOAT;
    const RtValue *iv = af ? b : a;
    double f = af ? a->u.f : b->u.f;
    if (isnan(f))
      return 2;
    int c; /* the int against the float */
    if (isinf(f)) {
      c = f > 0 ? -1 : 1;
    } else if (fabs(f) < 9223372036854775808.0) { /* |big| is larger */
      c = BN_is_negative(iv->u.big.bn) ? -1 : 1;
    } else { /* f is an integer */
      BIGNUM *x = bi_of_integral_double(f);
      c = BN_cmp(iv->u.big.bn, x);
      BN_free(x);
    }
    c = c < 0 ? -1 : c > 0;
    return af ? -c : c;
  }
  BIGNUM *tx, *ty;
  int c = BN_cmp(bi_view(a, &tx), bi_view(b, &ty));
  BN_free(tx);
  BN_free(ty);
  return c < 0 ? -1 : c > 0;
}

/* ---- arithmetic ---- */

/* Floor division and modulo of x by y (y != 0), Python's signs. Either of
 * q, m may be NULL. */
static void bi_divmod(BIGNUM *q, BIGNUM *m, const BIGNUM *x, const BIGNUM *y) {
  BIGNUM *tq = bi_new(), *tm = bi_new();
  BI_WITH_CTX(BN_div(tq, tm, x, y, ctx_)); /* truncated: tm has x's sign */
  if (!BN_is_zero(tm) && BN_is_negative(tm) != BN_is_negative(y)) {
    bi_check(BN_sub_word(tq, 1));
    bi_check(BN_add(tm, tm, y));
  }
  if (q)
    bi_check(BN_copy(q, tq) != NULL);
  if (m)
    bi_check(BN_copy(m, tm) != NULL);
  BN_free(tq);
  BN_free(tm);
}

/* x / y correctly rounded (long_true_divide), y != 0. */
static RtValue *bi_truediv(const BIGNUM *x, const BIGNUM *y) {
  if (BN_is_zero(x))
    return rt_float(BN_is_negative(y) ? -0.0 : 0.0);
  int k = BN_num_bits(y) + 55 - BN_num_bits(x);
  if (k < -(DBL_MAX_EXP + 64))
    return rt_error_exc(RT_EXC_OVERFLOW, "integer division result too large for a float");
  if (k > 1100 + 55 + BN_num_bits(y) && k > 0) /* far below the smallest subnormal */
    return rt_float((BN_is_negative(x) != BN_is_negative(y)) ? -0.0 : 0.0);
  BIGNUM *n = bi_new(), *d = bi_new(), *q = bi_new(), *r = bi_new();
  bi_check(BN_copy(n, x) != NULL && BN_copy(d, y) != NULL);
  BN_set_negative(n, 0);
  BN_set_negative(d, 0);
  bi_check(k >= 0 ? BN_lshift(n, n, k) : BN_lshift(d, d, -k));
  BI_WITH_CTX(BN_div(q, r, n, d, ctx_));
  uint64_t m = bi_low64(q) | !BN_is_zero(r); /* 55-56 bits and a sticky bit */
  double f = ldexp((double)m, -k);
  bool neg = BN_is_negative(x) != BN_is_negative(y);
  BN_free(n), BN_free(d), BN_free(q), BN_free(r);
  if (isinf(f))
    return rt_error_exc(RT_EXC_OVERFLOW, "integer division result too large for a float");
  return rt_float(neg ? -f : f);
}

static RtValue *bi_pow(const RtValue *a, const RtValue *b) {
  if (rt_is_big(b) || rt_as_int(b) < 0) {
    /* a negative power is a float power; a big exponent of a base other
     * than 0, 1, -1 is past any limit */
    BIGNUM *x = bi_of(a);
    bool small_base = BN_num_bits(x) <= 1;
    bool neg_base = BN_is_negative(x);
    BN_free(x);
    if (rt_is_big(b) ? BN_is_negative(b->u.big.bn) : rt_as_int(b) < 0) {
      double fa, fb;
      if (!rt_bigint_to_double(a, &fa) || !rt_bigint_to_double(b, &fb))
        return rt_error_exc(RT_EXC_OVERFLOW, "int too large to convert to float");
      char msg[256];
      RtNum r;
      RtArithErr e = rt_arith_binop(RT_OP_POW, rt_num_float(fa), rt_num_float(fb), &r, msg, sizeof msg);
      return e ? rt_arith_error(e, msg) : rt_float(r.f);
    }
    if (small_base) { /* 0, 1 or -1 to a big positive power */
      bool odd = BN_is_odd(b->u.big.bn);
      int64_t base = rt_as_int(a);
      return rt_int(base == 0 ? 0 : neg_base && odd ? -1 : 1);
    }
    return bi_too_big(RT_BIGINT_MAX_BITS + 1);
  }
  BIGNUM *x = bi_of(a);
  int64_t e = rt_as_int(b);
  int bits = BN_num_bits(x);
  if (bits > 1 && (double)(bits - 1) * (double)e > RT_BIGINT_MAX_BITS) {
    BN_free(x);
    return bi_too_big((int)fmin((double)(bits - 1) * (double)e, 2e9));
  }
  bool neg = BN_is_negative(x) && (e & 1);
  BN_set_negative(x, 0);
  BIGNUM *r = bi_new(), *p = bi_of_i64(e);
  BI_WITH_CTX(BN_exp(r, x, p, ctx_));
  BN_set_negative(r, neg);
  BN_free(x);
  BN_free(p);
  return bi_value(r);
}

RtValue *rt_bigint_binop(int32_t op, const RtValue *a, const RtValue *b) {
  if (rt_kind(a) == RT_FLOAT || rt_kind(b) == RT_FLOAT) { /* the int converts to float */
    double x, y;
    const RtValue *iv = rt_kind(a) == RT_FLOAT ? b : a;
    if (!rt_bigint_to_double(iv, rt_kind(a) == RT_FLOAT ? &y : &x))
      return rt_error_exc(RT_EXC_OVERFLOW, "int too large to convert to float");
    if (rt_kind(a) == RT_FLOAT)
      x = a->u.f;
    else
      y = b->u.f;
    char msg[256];
    RtNum r;
    RtArithErr e = rt_arith_binop(op, rt_num_float(x), rt_num_float(y), &r, msg, sizeof msg);
    return e ? rt_arith_error(e, msg) : rt_float(r.f);
  }
  if (op == RT_OP_POW)
    return bi_pow(a, b);
  BIGNUM *tx, *ty, *r = NULL;
  const BIGNUM *x = bi_view(a, &tx), *y = bi_view(b, &ty);
  RtValue *res = NULL;
  int bx = BN_num_bits(x), by = BN_num_bits(y);
  switch (op) {
  case RT_OP_ADD:
  case RT_OP_SUB:
    r = bi_new();
    bi_check(op == RT_OP_ADD ? BN_add(r, x, y) : BN_sub(r, x, y));
    break;
  case RT_OP_MUL:
    if (bx + by > RT_BIGINT_MAX_BITS + 1) {
      res = bi_too_big(bx + by);
      break;
    }
    r = bi_new();
    BI_WITH_CTX(BN_mul(r, x, y, ctx_));
    break;
  case RT_OP_DIV:
    res = BN_is_zero(y) ? rt_error_exc(RT_EXC_ZERO_DIVISION, "division by zero") : bi_truediv(x, y);
    break;
  case RT_OP_FLOORDIV:
  case RT_OP_MOD:
    if (BN_is_zero(y)) {
      res = rt_error_exc(RT_EXC_ZERO_DIVISION, op == RT_OP_MOD ? "integer modulo by zero"
                                                               : "integer division or modulo by zero");
      break;
    }
    r = bi_new();
    bi_divmod(op == RT_OP_FLOORDIV ? r : NULL, op == RT_OP_MOD ? r : NULL, x, y);
    break;
  default:
    res = rt_error_exc(RT_EXC_VALUE, "not an arithmetic operator");
  }
  BN_free(tx);
  BN_free(ty);
  if (res) {
    BN_free(r);
    return res;
  }
  if (BN_num_bits(r) > RT_BIGINT_MAX_BITS) {
    int bits = BN_num_bits(r);
    BN_free(r);
    return bi_too_big(bits);
  }
  return bi_value(r);
}

RtValue *rt_bigint_neg(const RtValue *a) {
  BIGNUM *x = bi_of(a);
  BN_set_negative(x, !BN_is_negative(x));
  return bi_value(x);
}

RtValue *rt_bigint_abs(const RtValue *a) {
  BIGNUM *x = bi_of(a);
  BN_set_negative(x, 0);
  return bi_value(x);
}

/* ---- text ---- */

/* The decimal digits of big `v` (OPENSSL_free them). */
static char *bi_dec(const RtValue *v) {
  char *s = BN_bn2dec(v->u.big.bn);
  bi_check(s != NULL);
  return s;
}

void rt_buf_intval(RtBuf *b, const RtValue *v) {
  if (!rt_is_big(v)) {
    rt_buf_int(b, rt_as_int(v));
    return;
  }
  char *s = bi_dec(v);
  rt_buf_puts(b, s);
  OPENSSL_free(s);
}

RtValue *rt_bigint_str_error(const RtValue *v) {
  if (!rt_is_big(v) || BN_num_bits(v->u.big.bn) < 14000) /* < 4215 digits */
    return NULL;
  char *s = bi_dec(v);
  size_t digits = strlen(s) - (s[0] == '-');
  OPENSSL_free(s);
  if (digits <= RT_BIGINT_MAX_STR_DIGITS)
    return NULL;
  return rt_error_exc(RT_EXC_VALUE,
                      "Exceeds the limit (%d digits) for integer string conversion; use "
                      "sys.set_int_max_str_digits() to increase the limit",
                      RT_BIGINT_MAX_STR_DIGITS);
}

RtValue *rt_bigint_parse(const char *s, size_t len, int base) {
  const char *p = s, *e = s + len;
  bool neg;
  rt_arith_int_head(&p, &e, &base, &neg);
  if (base == 0)
    base = 10;
  size_t digits = 0;
  for (const char *q = p; q < e; q++)
    digits += *q != '_';
  if ((base & (base - 1)) != 0 && digits > RT_BIGINT_MAX_STR_DIGITS)
    return rt_error_exc(RT_EXC_VALUE,
                        "Exceeds the limit (%d digits) for integer string conversion: value has "
                        "%zu digits; use sys.set_int_max_str_digits() to increase the limit",
                        RT_BIGINT_MAX_STR_DIGITS, digits);
  if ((double)digits * log2(base) > RT_BIGINT_MAX_BITS)
    return bi_too_big((int)fmin((double)digits * log2(base), 2e9));
  BIGNUM *r = bi_new();
  for (; p < e; p++)
    if (*p != '_') {
      bi_check(BN_mul_word(r, (BN_ULONG)base));
      bi_check(BN_add_word(r, (BN_ULONG)rt_arith_digit(*p)));
    }
  BN_set_negative(r, neg);
  return bi_value(r);
}

RtValue *rt_int_text(const char *s, size_t len) {
  return rt_bigint_parse(s, len, 10);
}

void rt_bigint_magnitude(RtBuf *b, const RtValue *v, char conv) {
  if (conv == 'd' || conv == 'i' || conv == 'u') {
    char *s = bi_dec(v);
    rt_buf_puts(b, s + (s[0] == '-'));
    OPENSSL_free(s);
    return;
  }
  const BIGNUM *x = v->u.big.bn;
  int shift = conv == 'b' ? 1 : conv == 'o' ? 3 : 4, bits = BN_num_bits(x);
  const char *digits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  for (int top = (bits + shift - 1) / shift * shift - shift; top >= 0; top -= shift) {
    int d = 0;
    for (int k = shift - 1; k >= 0; k--)
      d = d << 1 | BN_is_bit_set(x, top + k);
    rt_buf_putc(b, digits[d]); /* the top group is non-zero: no leading zeros */
  }
}

bool rt_bigint_log(const RtValue *v, bool ten, double *out) {
  const BIGNUM *x = v->u.big.bn;
  if (BN_is_negative(x))
    return false;
  /* CPython's loghelper: x = m * 2**e with 0.5 <= m < 1 (_PyLong_Frexp,
   * m rounded to 53 bits), then log(m) + log(2) * e */
  int64_t e = BN_num_bits(x);
  int s = (int)e - 55;
  BIGNUM *q = bi_new(), *back = bi_new();
  bi_check(BN_rshift(q, x, s) && BN_lshift(back, q, s));
  uint64_t top = bi_low64(q) | (BN_ucmp(back, x) != 0);
  BN_free(q);
  BN_free(back);
  double m = ldexp((double)top, -55);
  if (m == 1.0) /* rounding carried */
    m = 0.5, e++;
  *out = ten ? log10(m) + log10(2.0) * (double)e : log(m) + log(2.0) * (double)e;
  return true;
}
