/*
 * yaml11.h — YAML 1.1 plain-scalar resolution as PyYAML's SafeLoader does it
 * (the loader Ansible uses): shared by the compiler (frontend/yaml.c) and the
 * runtime (run-time YAML data: inventories, -e @file.yml), so both read a
 * scalar the same way. Pure functions; only fe_yaml11_int_digits allocates.
 */
#ifndef PLAYC_YAML11_H
#define PLAYC_YAML11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum FeY11Type { FE_Y11_NULL, FE_Y11_BOOL, FE_Y11_INT, FE_Y11_FLOAT, FE_Y11_STR } FeY11Type;

typedef struct FeY11Scalar {
  FeY11Type type;
  bool b;
  int64_t i;
  double f;
  /* FE_Y11_STR for an int in YAML 1.1 syntax too big for 64 bits (PyYAML
   * gives a Python int): no silent string, callers report it. */
  bool int_too_big;
} FeY11Scalar;

/* Resolves a PLAIN (unquoted, untagged) scalar of `len` bytes: null (~, null,
 * Null, NULL, empty), bool (yes/no/true/false/on/off in their three cases),
 * int (decimal, 0b, 0x, 0-octal, underscores, sexagesimal), float (needs a
 * dot; .inf, .nan, exponents), else str. An int that does not fit in 64 bits
 * resolves as str with int_too_big set. */
FeY11Scalar fe_yaml11_resolve(const char *s, size_t len);

/* The decimal digits (a '-' first when negative; malloc'd, the caller frees)
 * of plain scalar `s`, which fe_yaml11_resolve found int_too_big: PyYAML's
 * int of any size, computed with OpenSSL's BIGNUM. */
char *fe_yaml11_int_digits(const char *s, size_t len);

#endif
