/*
 * yaml11.c — YAML 1.1 plain-scalar resolution, as PyYAML's SafeLoader
 * resolver does it (the loader Ansible uses). Shared by the compiler and the
 * runtime so a scalar means the same thing at compile time and at run time.
 * The regular expressions of PyYAML's resolver are written out by hand here:
 * bool, null, int (0b, 0x, 0-octal, decimal, sexagesimal, underscores) and
 * float (needs a dot; .inf/.nan; sexagesimal). Pure functions, no allocation,
 * except the digits of an int past 64 bits (fe_yaml11_int_digits).
 */
#include "yaml11.h"

#include <math.h>
#include <openssl/bn.h>
#include <stdlib.h>
#include <string.h>

static bool y11_eq(const char *s, size_t len, const char *w) {
  return strlen(w) == len && memcmp(s, w, len) == 0;
}

static bool y11_any(const char *s, size_t len, const char *const *ws) {
  for (; *ws; ws++)
    if (y11_eq(s, len, *ws))
      return true;
  return false;
}

static bool y11_digits(const char *s, size_t len, const char *set) {
  if (len == 0)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!strchr(set, s[i]) || s[i] == 0)
      return false;
  return true;
}

/* Accumulates digits (skipping '_') in `base`; false on overflow. */
static bool y11_accum(const char *s, size_t len, int base, uint64_t *out) {
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '_')
      continue;
    int d = (s[i] >= '0' && s[i] <= '9') ? s[i] - '0' : (s[i] | 32) - 'a' + 10;
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
      return false;
    v = v * (uint64_t)base + (uint64_t)d;
  }
  *out = v;
  return true;
}

enum { Y11_NO, Y11_YES, Y11_TOO_BIG };

/* int: [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*)
 *    | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
 * Y11_TOO_BIG: the syntax of an int whose value does not fit in 64 bits. */
static int y11_int(const char *s, size_t len, int64_t *out) {
  bool neg = false;
  if (len && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s++, len--;
  }
  if (len == 0)
    return Y11_NO;
  uint64_t v = 0;
  bool big = false;
  if (len > 2 && s[0] == '0' && s[1] == 'b') {
    if (!y11_digits(s + 2, len - 2, "01_"))
      return Y11_NO;
    big = !y11_accum(s + 2, len - 2, 2, &v);
  } else if (len > 2 && s[0] == '0' && s[1] == 'x') {
    if (!y11_digits(s + 2, len - 2, "0123456789abcdefABCDEF_"))
      return Y11_NO;
    big = !y11_accum(s + 2, len - 2, 16, &v);
  } else if (len > 1 && s[0] == '0') {
    if (!y11_digits(s + 1, len - 1, "01234567_"))
      return Y11_NO;
    big = !y11_accum(s + 1, len - 1, 8, &v);
  } else if (y11_digits(s, len, "0123456789_")) {
    if (s[0] == '_')
      return Y11_NO;
    big = !y11_accum(s, len, 10, &v);
  } else if (s[0] >= '1' && s[0] <= '9' && memchr(s, ':', len)) {
    /* sexagesimal: parts separated by ':', the first [1-9][0-9_]*, the rest [0-5]?[0-9] */
    size_t i = 0;
    while (i < len && s[i] != ':')
      i++;
    if (!y11_digits(s, i, "0123456789_"))
      return Y11_NO;
    big = !y11_accum(s, i, 10, &v);
    while (i < len) {
      size_t j = ++i;
      while (j < len && s[j] != ':')
        j++;
      size_t n = j - i;
      if (n < 1 || n > 2 || !y11_digits(s + i, n, "0123456789") || (n == 2 && s[i] > '5'))
        return Y11_NO;
      uint64_t part = 0;
      y11_accum(s + i, n, 10, &part);
      if (v > (UINT64_MAX - part) / 60)
        big = true;
      v = v * 60 + part;
      i = j;
    }
  } else {
    return Y11_NO;
  }
  if (big || (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX))
    return Y11_TOO_BIG;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return Y11_YES;
}

/* float: [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)? | \.[0-9_]+(?:[eE][-+][0-9]+)?
 *      | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN) */
static bool y11_float(const char *s, size_t len, double *out) {
  static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
  static const char *const infs[] = {".inf", ".Inf", ".INF", NULL};
  if (y11_any(s, len, nans)) {
    *out = NAN;
    return true;
  }
  double sign = 1;
  const char *p = s;
  size_t n = len;
  if (n && (p[0] == '-' || p[0] == '+')) {
    sign = p[0] == '-' ? -1 : 1;
    p++, n--;
  }
  if (y11_any(p, n, infs)) {
    *out = sign * INFINITY;
    return true;
  }
  char buf[128];
  size_t b = 0, i = 0;
  if (n == 0 || n >= sizeof buf)
    return false;
  bool lead = p[0] >= '0' && p[0] <= '9';
  if (!lead && !(p[0] == '.' && s == p)) /* ".5" only without a sign */
    if (p[0] != '.')
      return false;
  if (!lead && p != s)
    return false;
  if (!lead && (n < 2 || p[1] < '0' || p[1] > '9')) /* \.[0-9][0-9_]* */
    return false;
  double sexa = 0;
  bool colon = false;
  while (i < n && ((p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
    if (p[i++] != '_')
      buf[b++] = p[i - 1];
  if (lead && i < n && p[i] == ':') {
    colon = true;
    buf[b] = 0;
    sexa = strtod(buf, NULL);
    while (i < n && p[i] == ':') {
      size_t j = ++i;
      while (j < n && p[j] >= '0' && p[j] <= '9')
        j++;
      size_t k = j - i;
      if (k < 1 || k > 2 || (k == 2 && p[i] > '5'))
        return false;
      sexa = sexa * 60 + (double)((k == 2 ? (p[i] - '0') * 10 + p[i + 1] - '0' : p[i] - '0'));
      i = j;
    }
    b = 0;
    buf[b++] = '0';
  }
  if (i >= n || p[i] != '.')
    return false;
  buf[b++] = p[i++];
  size_t frac = 0;
  while (i < n && ((p[i] >= '0' && p[i] <= '9') || p[i] == '_')) {
    if (p[i] != '_')
      buf[b++] = p[i], frac++;
    i++;
  }
  if (!lead && frac == 0 && !(i > 1))
    return false;
  if (!colon && i < n && (p[i] == 'e' || p[i] == 'E')) {
    buf[b++] = 'e';
    i++;
    if (i >= n || (p[i] != '-' && p[i] != '+'))
      return false;
    buf[b++] = p[i++];
    size_t e0 = i;
    while (i < n && p[i] >= '0' && p[i] <= '9')
      buf[b++] = p[i++];
    if (i == e0)
      return false;
  }
  if (i != n)
    return false;
  buf[b] = 0;
  *out = sign * (colon ? sexa + strtod(buf, NULL) : strtod(buf, NULL));
  return true;
}

FeY11Scalar fe_yaml11_resolve(const char *s, size_t len) {
  static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
  static const char *const trues[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL};
  static const char *const falses[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL};
  FeY11Scalar r = {0};
  int k;
  /* Every null, bool, int and float of the resolver starts with one of
   * these (PyYAML picks its resolvers by the first character too): most
   * strings are told at once. */
  if (len && !strchr("~nNyYtTfFoO+-.0123456789", s[0])) {
    r.type = FE_Y11_STR;
    return r;
  }
  if (len == 0 || y11_any(s, len, nulls)) {
    r.type = FE_Y11_NULL;
  } else if (y11_any(s, len, trues)) {
    r.type = FE_Y11_BOOL;
    r.b = true;
  } else if (y11_any(s, len, falses)) {
    r.type = FE_Y11_BOOL;
  } else if ((k = y11_int(s, len, &r.i)) == Y11_YES) {
    r.type = FE_Y11_INT;
  } else if (k == Y11_TOO_BIG) {
    r.type = FE_Y11_STR;
    r.int_too_big = true;
  } else if (y11_float(s, len, &r.f)) {
    r.type = FE_Y11_FLOAT;
  } else {
    r.type = FE_Y11_STR;
  }
  return r;
}

/* Accumulates the digits of s[0..len) (skipping '_') in base `base` into x. */
static bool y11_bn_accum(BIGNUM *x, const char *s, size_t len, int base) {
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '_')
      continue;
    int d = (s[i] >= '0' && s[i] <= '9') ? s[i] - '0' : (s[i] | 32) - 'a' + 10;
    if (!BN_mul_word(x, (BN_ULONG)base) || !BN_add_word(x, (BN_ULONG)d))
      return false;
  }
  return true;
}

char *fe_yaml11_int_digits(const char *s, size_t len) {
  bool neg = len && s[0] == '-', ok = true;
  if (len && (s[0] == '-' || s[0] == '+'))
    s++, len--;
  BIGNUM *x = BN_new();
  if (!x)
    return NULL;
  if (len > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'x')) {
    ok = y11_bn_accum(x, s + 2, len - 2, s[1] == 'b' ? 2 : 16);
  } else if (len > 1 && s[0] == '0') {
    ok = y11_bn_accum(x, s + 1, len - 1, 8);
  } else { /* decimal, or sexagesimal parts in base 60 */
    size_t i = 0;
    while (i < len && s[i] != ':')
      i++;
    ok = y11_bn_accum(x, s, i, 10);
    while (ok && i < len) {
      size_t j = ++i;
      while (j < len && s[j] != ':')
        j++;
      BN_ULONG part = 0;
      for (size_t k = i; k < j; k++)
        part = part * 10 + (BN_ULONG)(s[k] - '0');
      ok = BN_mul_word(x, 60) && BN_add_word(x, part);
      i = j;
    }
  }
  BN_set_negative(x, neg);
  char *dec = ok ? BN_bn2dec(x) : NULL, *out = dec ? strdup(dec) : NULL;
  OPENSSL_free(dec);
  BN_free(x);
  return out;
}
