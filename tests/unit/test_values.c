/*
 * test_values.c — numbers and data against Python:
 *   test_values            edge cases checked here (limits, depth, shapes)
 *   test_values --oracle   reads one case per line on stdin and prints the
 *                          runtime's answer; tests/unit/values_oracle.py
 *                          writes the cases and compares with Python.
 *
 * Oracle protocol, one line each way, fields separated by tabs:
 *   case:   OP ARG...   OP is a binop symbol (+ - * / // % ** < <= == !=),
 *                       "neg", "int" (Jinja's int filter; a second ARG is
 *                       the base), "float" (Python's float() of a string),
 *                       "literal" (ast.literal_eval as Ansible uses it on
 *                       rendered templates and INI values), or "yaml" (load
 *                       a document, print it as JSON keeping dict order)
 *   value:  i:INT  f:HEXFLOAT  b:0|1  s:JSON-STRING  l:JSON-LIST
 *   answer: a value, or e:PYTHON-CLASS:MESSAGE, or "n:LEN" for a long
 *           string or list (only its length is printed)
 */
#include "rt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int failures, checks;

#define CHECK(c)                                                                          \
  do {                                                                                    \
    checks++;                                                                             \
    if (!(c)) {                                                                           \
      failures++;                                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);               \
    }                                                                                     \
  } while (0)

/* ---- oracle mode ---- */

static RtValue *parse_arg(const char *a) {
  char *err = NULL;
  RtValue *v = NULL;
  switch (a[0]) {
  case 'i': return rt_int_text(a + 2, strlen(a + 2)); /* any size */
  case 'f': return rt_float(strtod(a + 2, NULL));
  case 'b': return rt_bool(a[2] == '1');
  case 's':
  case 'l':
    v = rt_parse_json(a + 2, strlen(a + 2), &err);
    free(err);
    return v ? v : rt_none();
  default: return rt_none();
  }
}

static void print_value(RtBuf *b, const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_INT: rt_buf_puts(b, "i:"); rt_buf_intval(b, v); break;
  case RT_FLOAT: rt_buf_printf(b, "f:%a", v->u.f); break;
  case RT_BOOL: rt_buf_printf(b, "b:%d", v->u.b); break;
  case RT_STR:
  case RT_LIST:
    if (rt_len(v) > 1000) {
      rt_buf_printf(b, "n:%zu", rt_len(v));
      break;
    }
    rt_buf_puts(b, rt_kind(v) == RT_STR ? "s:" : "l:");
    rt_render_json(b, v, -1, false);
    break;
  case RT_ERROR: {
    const char *cls = rt_exc_name((RtExc)v->u.err.exc);
    rt_buf_printf(b, "e:%s:%s",
                  cls                                ? cls
                  : v->u.err.exc == RT_EXC_TYPE      ? "TypeError"
                  : v->u.err.exc == RT_EXC_UNDEFINED ? "UndefinedError"
                                                     : "AnsibleError",
                  v->u.err.msg);
    break;
  }
  default:
    rt_buf_puts(b, "j:");
    rt_render_json(b, v, -1, false);
  }
}

static RtValue *oracle_case(char **f, int n) {
  static const char *const ops[] = {"+", "-", "*", "/", "//", "%", "**", "~",
                                    "==", "!=", "<", "<=", ">", ">="};
  if (n < 2)
    return rt_error("bad case");
  RtValue *a = parse_arg(f[1]), *b = n > 2 ? parse_arg(f[2]) : NULL, *r = NULL;
  for (int op = 0; op < (int)(sizeof ops / sizeof ops[0]) && !r; op++)
    if (b && strcmp(f[0], ops[op]) == 0)
      r = rt_binop(op, a, b, NULL);
  if (r) {
  } else if (strcmp(f[0], "neg") == 0) {
    r = rt_neg(a, NULL);
  } else if (strcmp(f[0], "int") == 0) {
    RtValue *args = NULL;
    if (b) {
      args = rt_list_new(2);
      rt_list_push(args, rt_int(0));
      rt_list_push(args, rt_incref(b));
    }
    r = rt_filter("int", a, args, NULL, NULL);
    rt_decref(args);
  } else if (strcmp(f[0], "float") == 0 && rt_kind(a) == RT_STR) {
    char msg[256];
    double d;
    RtArithErr e = rt_arith_parse_float(a->u.str.s, a->u.str.len, &d, msg, sizeof msg);
    r = e ? rt_arith_error(e, msg) : rt_float(d);
  } else if (strcmp(f[0], "literal") == 0 && rt_kind(a) == RT_STR) {
    r = rt_parse_pyliteral(a->u.str.s, a->u.str.len);
    if (!r)
      r = rt_error_exc(RT_EXC_VALUE, "not a literal");
  } else if (strcmp(f[0], "yaml") == 0 && rt_kind(a) == RT_STR) {
    char *err = NULL;
    RtValue *v = rt_parse_yaml(a->u.str.s, a->u.str.len, "case.yml", &err);
    if (!v) {
      r = rt_error("%s", err);
      free(err);
    } else {
      RtBuf j = {0};
      rt_render_json(&j, v, -1, false);
      r = rt_str(j.data, j.len);
      rt_buf_free(&j);
      rt_decref(v);
    }
  } else {
    r = rt_error("unknown case %s", f[0]);
  }
  rt_decref(a);
  rt_decref(b);
  return r;
}

static int oracle_mode(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  while ((got = getline(&line, &cap, stdin)) > 0) {
    if (line[got - 1] == '\n')
      line[got - 1] = 0;
    char *f[4];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(line, "\t", &save); t && n < 4;
         t = strtok_r(NULL, "\t", &save))
      f[n++] = t;
    RtValue *r = oracle_case(f, n);
    RtBuf b = {0};
    print_value(&b, r);
    for (size_t i = 0; i < b.len; i++) /* one answer per line */
      if (b.data[i] == '\n')
        b.data[i] = ' ';
    puts(b.data);
    rt_buf_free(&b);
    rt_decref(r);
  }
  free(line);
  return 0;
}

/* ---- checks ---- */

static void test_arith_limits(void) {
  char msg[256];
  RtNum r;
  /* the SIGFPE of issue 12: INT64_MIN // -1 and % -1 */
  CHECK(rt_arith_binop(RT_OP_FLOORDIV, rt_num_int(INT64_MIN), rt_num_int(-1), &r, msg,
                       sizeof msg) == RT_ARITH_OVERFLOW);
  CHECK(strstr(msg, "-9223372036854775808 // -1 does not fit in 64 bits") != NULL);
  CHECK(rt_arith_binop(RT_OP_MOD, rt_num_int(INT64_MIN), rt_num_int(-1), &r, NULL, 0) ==
            RT_ARITH_OK &&
        !r.is_float && r.i == 0);
  CHECK(rt_arith_neg(rt_num_int(INT64_MIN), &r, NULL, 0) == RT_ARITH_OVERFLOW);
  /* a huge exponent costs log2(exponent) steps, not exponent */
  CHECK(rt_arith_binop(RT_OP_POW, rt_num_int(1), rt_num_int(INT64_MAX), &r, NULL, 0) ==
            RT_ARITH_OK &&
        r.i == 1);
  CHECK(rt_arith_binop(RT_OP_POW, rt_num_int(-1), rt_num_int(INT64_MAX), &r, NULL, 0) ==
            RT_ARITH_OK &&
        r.i == -1);
  CHECK(rt_arith_binop(RT_OP_POW, rt_num_int(3), rt_num_int(INT64_MAX), &r, NULL, 0) ==
        RT_ARITH_OVERFLOW);
  CHECK(rt_arith_binop(RT_OP_POW, rt_num_int(-2), rt_num_int(63), &r, NULL, 0) == RT_ARITH_OK &&
        r.i == INT64_MIN);
  size_t n;
  CHECK(rt_arith_size(1, 9999999999, RT_ARITH_MAX_STR, "repeated string", "bytes", &n, msg,
                      sizeof msg) == RT_ARITH_MEMORY);
  CHECK(rt_arith_size(3, -5, RT_ARITH_MAX_STR, "s", "bytes", &n, NULL, 0) == RT_ARITH_OK && n == 0);
  CHECK(rt_arith_size(SIZE_MAX, 2, RT_ARITH_MAX_STR, "s", "bytes", &n, NULL, 0) == RT_ARITH_MEMORY);
  /* repetition through the runtime: an error value, at once */
  RtValue *a = rt_strz("a"), *big = rt_int(9999999999), *rep = rt_binop(RT_OP_MUL, a, big, NULL);
  CHECK(rt_kind(rep) == RT_ERROR && rep->u.err.exc == RT_EXC_MEMORY);
  rt_decref(rep);
  RtValue *l = rt_list_new(1);
  rt_list_push(l, rt_int(1));
  rep = rt_binop(RT_OP_MUL, big, l, NULL);
  CHECK(rt_kind(rep) == RT_ERROR && rep->u.err.exc == RT_EXC_MEMORY);
  rt_decref(rep);
  rt_decref(l);
  rt_decref(big);
  rt_decref(a);
}

/* `n` nested brackets around `inner`, as text. */
static char *nested(int n, const char *open, const char *inner, const char *close) {
  RtBuf b = {0};
  for (int i = 0; i < n; i++)
    rt_buf_puts(&b, open);
  rt_buf_puts(&b, inner);
  for (int i = 0; i < n; i++)
    rt_buf_puts(&b, close);
  return rt_buf_take(&b);
}

static bool loads(char *text, bool yaml) {
  char *err = NULL;
  RtValue *v = yaml ? rt_parse_yaml(text, strlen(text), "deep.yml", &err)
                    : rt_parse_json(text, strlen(text), &err);
  bool ok = v != NULL;
  if (!ok && !strstr(err, "nested more than 1000 levels deep") &&
      !strstr(err, "maximum parsing depth reached")) /* jansson's own limit, at 2048 */
    fprintf(stderr, "  unexpected error: %s\n", err);
  rt_decref(v);
  free(err);
  free(text);
  return ok;
}

/* Loaders refuse data nested past RT_MAX_DEPTH with a message, instead of
 * overflowing the stack (-e @deep.json, issue 12). */
static void test_loader_depth(void) {
  CHECK(loads(nested(RT_MAX_DEPTH, "[", "1", "]"), false));
  CHECK(!loads(nested(RT_MAX_DEPTH + 1, "[", "1", "]"), false));
  CHECK(!loads(nested(100000, "[", "", "]"), false));
  CHECK(!loads(nested(100000, "{\"a\": ", "1", "}"), false));
  CHECK(loads(nested(RT_MAX_DEPTH, "[", "1", "]"), true));
  CHECK(!loads(nested(RT_MAX_DEPTH + 1, "[", "1", "]"), true));
  CHECK(!loads(nested(100000, "[", "", "]"), true));
  CHECK(!loads(nested(100000, "{a: ", "1", "}"), true));
  RtBuf b = {0}; /* block style: one more level per line */
  for (int i = 0; i < 5000; i++)
    rt_buf_printf(&b, "%*sk:\n", i, "");
  CHECK(!loads(rt_buf_take(&b), true));
  /* 10 aliases of 10 aliases of ...: a few hundred bytes that expand to 10**9 nodes */
  rt_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
  for (int i = 1; i < 9; i++) {
    rt_buf_printf(&b, "a%d: &a%d [", i, i);
    for (int k = 0; k < 10; k++)
      rt_buf_printf(&b, "%s*a%d", k ? ", " : "", i - 1);
    rt_buf_puts(&b, "]\n");
  }
  char *err = NULL, *text = rt_buf_take(&b);
  RtValue *v = rt_parse_yaml(text, strlen(text), "laughs.yml", &err);
  CHECK(!v && err && strstr(err, "expands to more than 16777216 nodes"));
  free(err);
  free(text);
}

/* Values built deeper than RT_MAX_DEPTH at run time (a set_fact in a loop
 * can nest a list once per item) are refused where they are used, and freed
 * without recursion. */
static void test_value_depth(void) {
  RtValue *v = rt_int(1);
  for (int i = 0; i < 1000000; i++) {
    RtValue *l = rt_list_new(1);
    rt_list_push(l, v);
    v = l;
  }
  CHECK(rt_too_deep(v));
  RtValue *one = rt_int(1), *r = rt_binop(RT_OP_EQ, v, one, NULL);
  CHECK(rt_kind(r) == RT_ERROR && r->u.err.exc == RT_EXC_RECURSION);
  rt_decref(r);
  r = rt_filter("length", v, NULL, NULL, NULL);
  CHECK(rt_kind(r) == RT_ERROR && r->u.err.exc == RT_EXC_RECURSION);
  rt_decref(r);
  r = rt_tpl_single(v);
  CHECK(rt_kind(r) == RT_ERROR && r->u.err.exc == RT_EXC_RECURSION);
  rt_decref(r);
  RtTpl *t = rt_tpl_begin();
  rt_tpl_value(t, v);
  r = rt_tpl_end(t);
  CHECK(rt_kind(r) == RT_ERROR && r->u.err.exc == RT_EXC_RECURSION);
  rt_decref(r);
  RtValue *d = rt_dict_new(1); /* depth through dicts too */
  rt_dict_set(d, "k", v);
  CHECK(rt_too_deep(d) && d->depth == UINT16_MAX);
  rt_decref(d); /* a million levels: freed with constant stack */
  rt_decref(one);
  v = rt_list_new(2);
  rt_list_push(v, rt_int(1));
  CHECK(v->depth == 1 && !rt_too_deep(v));
  rt_decref(v);
}

/* Ints past 64 bits (runtime/bigint.c): a result that fits is an ordinary
 * int again; a big key is the same dict key as the equal float; the
 * saturated u.i keeps size readers refusing it. The values themselves are
 * values_oracle's (against Python). */
static void test_bigint(void) {
  RtValue *big = rt_int_text("18446744073709551616", 20), *small = rt_int_text("-42", 3);
  CHECK(rt_is_big(big) && big->u.i == INT64_MAX && !rt_is_big(small) && small->u.i == -42);
  RtValue *d = rt_binop(RT_OP_SUB, big, big, NULL);
  CHECK(rt_kind(d) == RT_INT && !rt_is_big(d) && d->u.i == 0);
  rt_decref(d);
  RtValue *m = rt_int(INT64_MIN), *n = rt_neg(m, NULL), *back = rt_neg(n, NULL);
  CHECK(rt_is_big(n) && !rt_is_big(back) && back->u.i == INT64_MIN);
  RtValue *f = rt_float(18446744073709551616.0), *key = rt_dict_key_encode(big);
  RtValue *dict = rt_dict_new(1), *a = rt_strz("a");
  rt_dict_put_key(dict, key, rt_incref(a));
  CHECK(rt_dict_get_value(dict, f) == a && rt_equal(big, f));
  RtValue *s = rt_binop(RT_OP_MUL, a, big, NULL);
  CHECK(rt_kind(s) == RT_ERROR && s->u.err.exc == RT_EXC_OVERFLOW);
  RtValue *tmp[] = {big, small, m, n, back, f, key, dict, a, s};
  for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++)
    rt_decref(tmp[i]);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--oracle") == 0)
    return oracle_mode();
  test_bigint();
  test_arith_limits();
  test_loader_depth();
  test_value_depth();
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
