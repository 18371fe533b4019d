/*
 * arith.h — every integer and float operation of the Jinja language, checked,
 * in one place: constant folding (ir/fold.c) and the runtime (runtime/ops.c,
 * runtime/filters.c, runtime/data.c) both call it, so a constant expression
 * and the same expression on variables can never disagree.
 *
 * Semantics are Python 3.11's (what Ansible's Jinja evaluates with): floor
 * division and modulo take the sign of the divisor, int / int is the
 * correctly rounded quotient, float ** follows CPython's float_pow special
 * cases, int vs float comparisons are exact. Where Python raises, the error
 * carries Python's exception class and text ("integer division or modulo by
 * zero"). An int result past 64 bits is RT_ARITH_OVERFLOW here, never a
 * wrapped or saturated value: the runtime then redoes the operation on big
 * integers (runtime/bigint.c) and constant folding leaves it to the runtime.
 * A complex result fails with a ValueError saying playc has none. Output sizes driven by a number (string
 * and list repetition, and any later filter whose result grows with an
 * argument: range, center, indent, format widths) are checked against the
 * limits below with rt_arith_size, so a number cannot ask for unbounded work.
 *
 * Pure functions on plain C numbers: no RtValue, no allocation, so the
 * compiler links this file as well as the runtime. An error message, when the
 * caller wants one, is written into its buffer (truncated to fit).
 */
#ifndef PLAYC_ARITH_H
#define PLAYC_ARITH_H

#include "playc.h" /* RtBinOp */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A Python number: an int (64-bit here; bools are ints) or a float. */
typedef struct RtNum {
  bool is_float;
  int64_t i;
  double f;
} RtNum;

static inline RtNum rt_num_int(int64_t i) {
  RtNum n = {false, i, 0};
  return n;
}
static inline RtNum rt_num_float(double f) {
  RtNum n = {true, 0, f};
  return n;
}

/* The outcome of an operation: OK, or the Python exception it raises. */
typedef enum RtArithErr {
  RT_ARITH_OK = 0,
  RT_ARITH_ZERO_DIVISION, /* ZeroDivisionError */
  RT_ARITH_OVERFLOW,      /* OverflowError (including "does not fit in 64 bits") */
  RT_ARITH_VALUE,         /* ValueError (bad literal, NaN to int, complex result) */
  RT_ARITH_MEMORY         /* MemoryError: a result over playc's size limits */
} RtArithErr;

/* Python's class name for `e` ("ZeroDivisionError", ...); "" for RT_ARITH_OK. */
const char *rt_arith_exc_name(RtArithErr e);

/* Size limits for results whose size a number decides. A string of 256 MiB
 * or a list of 16 Mi items is far past any playbook's need and still well
 * inside a controller's memory with a few forks. */
#define RT_ARITH_MAX_STR ((size_t)1 << 28)   /* bytes */
#define RT_ARITH_MAX_ITEMS ((size_t)1 << 24) /* list items */

/* `a op b` for the arithmetic RtBinOps (+ - * / // % **) on numbers. Returns
 * RT_ARITH_OK with *out set, or the error (and its message in msg[msgsize]
 * when msg is not NULL). */
RtArithErr rt_arith_binop(int32_t op, RtNum a, RtNum b, RtNum *out, char *msg, size_t msgsize);
/* -a. */
RtArithErr rt_arith_neg(RtNum a, RtNum *out, char *msg, size_t msgsize);
/* Python ordering of two numbers, exact between ints and floats: -1, 0, 1,
 * or 2 when unordered (a NaN is involved: every comparison but != is false). */
int rt_arith_cmp(RtNum a, RtNum b);

/* Python's int(text, base) (base 0: the literal's own prefix, as
 * int(x, 0) and ast.literal_eval read it): surrounding whitespace, a sign,
 * digits with single underscores between them, 0x/0o/0b prefixes. Returns
 * RT_ARITH_VALUE when the text is not such a literal, RT_ARITH_OVERFLOW when
 * its value does not fit in 64 bits. */
RtArithErr rt_arith_parse_int(const char *s, size_t len, int base, int64_t *out, char *msg,
                              size_t msgsize);
/* The head of such a literal: strips [*p, *e) of whitespace, takes the sign
 * into *neg and a 0x/0o/0b prefix that agrees with *base (0: any), setting
 * *base. True when a prefix was taken. */
bool rt_arith_int_head(const char **p, const char **e, int *base, bool *neg);
/* A digit's value in bases up to 36; 99 for any other character. */
int rt_arith_digit(char c);
/* Python's float(text): whitespace, sign, decimal digits with underscores,
 * fraction, exponent, or inf/infinity/nan in any case. RT_ARITH_VALUE when
 * the text is not one. */
RtArithErr rt_arith_parse_float(const char *s, size_t len, double *out, char *msg, size_t msgsize);
/* Python's int(f): truncation toward zero. OverflowError for infinities and
 * values past 64 bits, ValueError for NaN, with Python's words. */
RtArithErr rt_arith_float_to_int(double f, int64_t *out, char *msg, size_t msgsize);

/* The size of a result made of `count` copies of `unit` elements (string
 * bytes or list items), Python's rule: count <= 0 gives 0. RT_ARITH_MEMORY
 * when it would exceed `limit`; `what` names the result in the message
 * ("repeated string", "range", ...) and `unit_name` its unit ("bytes"). */
RtArithErr rt_arith_size(size_t unit, int64_t count, size_t limit, const char *what,
                         const char *unit_name, size_t *out, char *msg, size_t msgsize);

#endif
