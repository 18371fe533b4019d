/*
 * jmespath_check.c — json_query's constant queries parsed where they are
 * written: the compiler runs jmespath_parse.c, the parser the runtime uses,
 * over the query, its literals made by jansson (the compiler has no
 * run-time values), so a syntax error is reported with jmespath's own
 * message and the query's location. The tree is thrown away: the runtime
 * parses the query again when the filter runs (microseconds).
 */
#include "ir.h"
#include "jmespath.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *lit_json(const char *s, size_t len) {
  json_error_t e;
  return json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
}

static void *lit_str(const char *s, size_t len) { return json_stringn(s, len); }

typedef struct Text {
  char *data;
  size_t len, cap;
} Text;

static void put(Text *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->len + n + 1) * 2;
    t->data = realloc(t->data, t->cap);
    if (!t->data)
      abort();
  }
  memcpy(t->data + t->len, s, n);
  t->len += n;
  t->data[t->len] = 0;
}

static void puts_(Text *t, const char *s) { put(t, s, strlen(s)); }

/* Python's repr(float): the shortest digits that read back, fixed
 * notation for exponents -4..15. */
static void put_float(Text *t, double f) {
  char buf[64];
  if (isnan(f) || isinf(f)) {
    puts_(t, isnan(f) ? "nan" : f < 0 ? "-inf" : "inf");
    return;
  }
  int p = 1;
  for (; p < 17; p++) {
    snprintf(buf, sizeof buf, "%.*e", p - 1, f);
    if (strtod(buf, NULL) == f)
      break;
  }
  int exp10 = atoi(strchr(buf, 'e') + 1);
  if (exp10 >= -4 && exp10 < 16) {
    snprintf(buf, sizeof buf, "%.*f", p - 1 - exp10 > 0 ? p - 1 - exp10 : 0, f);
    puts_(t, buf);
    if (!strchr(buf, '.'))
      puts_(t, ".0");
  } else {
    snprintf(buf, sizeof buf, "%.*e", p - 1, f);
    puts_(t, buf);
  }
}

/* Python's str() (repr inside containers) of a JSON value. */
static void py_text(Text *t, const json_t *j, bool repr) {
  switch (json_typeof(j)) {
  case JSON_STRING: {
    const char *s = json_string_value(j);
    size_t n = json_string_length(j);
    if (!repr) {
      put(t, s, n);
      break;
    }
    char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
    put(t, &q, 1);
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)s[i];
      char esc[8];
      if (c == '\\' || c == (unsigned char)q) {
        esc[0] = '\\', esc[1] = (char)c;
        put(t, esc, 2);
      } else if (c == '\n' || c == '\r' || c == '\t') {
        puts_(t, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t");
      } else if (c < 0x20 || c == 0x7f) {
        snprintf(esc, sizeof esc, "\\x%02x", c);
        puts_(t, esc);
      } else {
        put(t, (const char *)&c, 1);
      }
    }
    put(t, &q, 1);
    break;
  }
  case JSON_INTEGER: {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(j));
    puts_(t, buf);
    break;
  }
  case JSON_REAL: put_float(t, json_real_value(j)); break;
  case JSON_TRUE: puts_(t, "True"); break;
  case JSON_FALSE: puts_(t, "False"); break;
  case JSON_NULL: puts_(t, "None"); break;
  case JSON_ARRAY:
    puts_(t, "[");
    for (size_t i = 0; i < json_array_size(j); i++) {
      if (i)
        puts_(t, ", ");
      py_text(t, json_array_get(j, i), true);
    }
    puts_(t, "]");
    break;
  case JSON_OBJECT: {
    puts_(t, "{");
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach((json_t *)j, k, v) {
      if (!first)
        puts_(t, ", ");
      first = false;
      json_t *ks = json_string(k);
      py_text(t, ks, true);
      json_decref(ks);
      puts_(t, ": ");
      py_text(t, v, true);
    }
    puts_(t, "}");
    break;
  }
  }
}

static char *lit_text(const void *lit) {
  Text t = {0};
  puts_(&t, "");
  py_text(&t, lit, false);
  return t.data;
}

static void *lit_ref(void *lit) { return json_incref(lit); }
static void lit_free(void *lit) { json_decref(lit); }

static const JpLitOps check_ops = {lit_json, lit_str, lit_text, lit_ref, lit_free};

const char *ir_jmespath_check(PcCtx *c, const char *q, size_t len) {
  char *err = NULL;
  JpNode *tree = rt_jp_parse(q, len, &check_ops, &err);
  rt_jp_free(tree);
  if (!err)
    return NULL;
  const char *m = pc_sprintf(c, "%s", err);
  free(err);
  return m;
}
