/*
 * test_runtime.c — unit tests of the runtime's values, operations, filters and
 * template conversion, plus a differential mode against real Python:
 *   test_runtime             run the checks below
 *   test_runtime --render F  read a JSON array from F and print, for each value,
 *                            str(), repr(), json.dumps(sort_keys) compact and
 *                            indent=4, one record each (tests/unit/render_oracle.py
 *                            prints the same with Python and compares)
 */
#include "frontend.h"
#include "rt.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures, checks;

#define CHECK(c)                                                                          \
  do {                                                                                    \
    checks++;                                                                             \
    if (!(c)) {                                                                           \
      failures++;                                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);               \
    }                                                                                     \
  } while (0)

/* str() of v (consumes v) compared with `want`. */
static bool str_is(RtValue *v, const char *want) {
  RtBuf b = {0};
  rt_render_str(&b, v);
  bool ok = strcmp(b.data ? b.data : "", want) == 0;
  if (!ok)
    fprintf(stderr, "  got \"%s\", want \"%s\"\n", b.data ? b.data : "", want);
  rt_buf_free(&b);
  rt_decref(v);
  return ok;
}

static RtValue *S(const char *s) { return rt_strz(s); }
static RtValue *I(int64_t i) { return rt_int(i); }

/* binop on two fresh values, consuming them */
static RtValue *op(int o, RtValue *a, RtValue *b) {
  RtValue *r = rt_binop(o, a, b, NULL);
  rt_decref(a);
  rt_decref(b);
  return r;
}

static void test_dicts(void) {
  RtValue *d = rt_dict_new(0);
  for (int i = 0; i < 100; i++) {
    char k[16];
    snprintf(k, sizeof k, "k%d", 99 - i);
    rt_dict_set(d, k, I(i));
  }
  CHECK(rt_len(d) == 100);
  CHECK(strcmp(d->u.dict.ents[0].key->u.str.s, "k99") == 0); /* insertion order */
  rt_dict_set(d, "k50", S("x"));                              /* replace in place */
  CHECK(rt_len(d) == 100 && rt_kind(rt_dict_get(d, "k50")) == RT_STR);
  CHECK(strcmp(d->u.dict.ents[49].key->u.str.s, "k50") == 0);
  rt_dict_del(d, "k99");
  CHECK(rt_len(d) == 99 && !rt_dict_get(d, "k99") && rt_dict_get(d, "k0"));
  rt_dict_pop(d); /* the last entry, k0 */
  rt_dict_pop(d);
  CHECK(rt_len(d) == 97 && !rt_dict_get(d, "k0") && !rt_dict_get(d, "k1") && rt_dict_get(d, "k2"));
  int seen = 0;
  for (int i = 2; i < 99; i++) {
    char k[16];
    snprintf(k, sizeof k, "k%d", i);
    seen += rt_dict_get(d, k) != NULL;
  }
  CHECK(seen == 97);
  rt_dict_set(d, "k0", I(0)); /* put back at the end */
  rt_dict_set(d, "k1", I(1));
  RtValue *c = rt_dict_copy(d);
  CHECK(rt_equal(c, d));
  rt_dict_set(c, "k0", I(-1));
  CHECK(!rt_equal(c, d));
  rt_decref(c);
  rt_decref(d);
}

/* RtIndex, the runtime's hash map, over an array of keys it does not own. */
static const char *key_at(const void *ctx, uint32_t pos, size_t *len) {
  const char *k = ((char *const *)ctx)[pos];
  *len = strlen(k);
  return k;
}

static void test_index(void) {
  enum { N = 100000 };
  char **keys = calloc(N, sizeof *keys);
  RtIndex ix = {0};
  CHECK(rt_index_find(&ix, "x", 1, key_at, keys) == -1); /* empty: no table yet */
  int absent = 0, found = 0;
  for (int i = 0; i < N; i++) {
    keys[i] = rt_xasprintf("key%d", i);
    absent += rt_index_find(&ix, keys[i], strlen(keys[i]), key_at, keys) == -1;
    rt_index_add(&ix, (uint32_t)i, key_at, keys);
  }
  CHECK(absent == N);
  for (int i = 0; i < N; i++)
    found += rt_index_find(&ix, keys[i], strlen(keys[i]), key_at, keys) == i;
  CHECK(found == N && ix.n == N && ix.cap >= 2 * N);
  CHECK(rt_index_find(&ix, "key", 3, key_at, keys) == -1);
  CHECK(rt_index_find(&ix, "key100000", 9, key_at, keys) == -1);
  /* removal from the end (backward shift): every remaining key is still
   * found, at a load where probe chains wrap and overlap */
  for (int i = N - 1; i >= N / 2; i--)
    rt_index_remove(&ix, (uint32_t)i, key_at, keys);
  found = 0, absent = 0;
  for (int i = 0; i < N; i++) {
    int64_t at = rt_index_find(&ix, keys[i], strlen(keys[i]), key_at, keys);
    found += i < N / 2 && at == i;
    absent += i >= N / 2 && at == -1;
  }
  CHECK(found == N / 2 && absent == N / 2 && ix.n == N / 2);
  for (int i = N / 2; i < N; i++) /* added back after removal */
    rt_index_add(&ix, (uint32_t)i, key_at, keys);
  char *t = keys[0]; /* entries move: the index is rebuilt over the new order */
  keys[0] = keys[N - 1];
  keys[N - 1] = t;
  rt_index_rebuild(&ix, N, key_at, keys);
  CHECK(rt_index_find(&ix, "key0", 4, key_at, keys) == N - 1 &&
        rt_index_find(&ix, keys[0], strlen(keys[0]), key_at, keys) == 0);
  rt_index_free(&ix);
  for (int i = 0; i < N; i++)
    free(keys[i]);
  free(keys);
  /* keys that differ only in their high bits still spread over the slots */
  CHECK(rt_hash("aaaa", 4) != rt_hash("qqqq", 4));
  CHECK((rt_hash("aaaa", 4) & 1023) != (rt_hash("qqqq", 4) & 1023) ||
        (rt_hash("aaab", 4) & 1023) != (rt_hash("qqqr", 4) & 1023));
}

static void test_ops(void) {
  CHECK(str_is(op(RT_OP_ADD, I(2), I(3)), "5"));
  CHECK(str_is(op(RT_OP_DIV, I(7), I(2)), "3.5"));
  CHECK(str_is(op(RT_OP_FLOORDIV, I(-7), I(2)), "-4"));
  CHECK(str_is(op(RT_OP_MOD, I(-7), I(3)), "2"));
  CHECK(str_is(op(RT_OP_POW, I(2), I(10)), "1024"));
  CHECK(str_is(op(RT_OP_ADD, rt_float(0.1), rt_float(0.2)), "0.30000000000000004"));
  CHECK(str_is(op(RT_OP_CONCAT, S("a"), I(1)), "a1"));
  CHECK(str_is(op(RT_OP_ADD, S("a"), S("b")), "ab"));
  CHECK(str_is(op(RT_OP_MUL, S("ab"), I(3)), "ababab"));
  CHECK(str_is(op(RT_OP_EQ, I(1), rt_float(1.0)), "True"));
  CHECK(str_is(op(RT_OP_EQ, I(1), rt_bool(true)), "True"));
  CHECK(str_is(op(RT_OP_LT, S("a"), S("b")), "True"));
  CHECK(str_is(op(RT_OP_IN, S("ell"), S("hello")), "True"));
  RtValue *r = op(RT_OP_ADD, I(1), S("a"));
  CHECK(rt_kind(r) == RT_ERROR &&
        strcmp(r->u.err.msg, "unsupported operand type(s) for +: 'int' and 'str'") == 0);
  rt_decref(r);
  r = op(RT_OP_DIV, I(1), I(0));
  CHECK(rt_kind(r) == RT_ERROR);
  rt_decref(r);
  r = op(RT_OP_ADD, rt_undef("x", NULL), I(1));
  CHECK(rt_kind(r) == RT_ERROR && strcmp(r->u.err.msg, "'x' is undefined") == 0);
  rt_decref(r);
  /* undefined chains through attributes, and `default` catches it */
  RtValue *u = rt_undef("x", NULL), *ua = rt_getattr(u, "y", NULL);
  CHECK(rt_kind(ua) == RT_UNDEF);
  RtValue *args = rt_list_new(1);
  rt_list_push(args, S("dflt"));
  CHECK(str_is(rt_filter("default", ua, args, NULL, NULL), "dflt"));
  CHECK(str_is(rt_test("defined", ua, NULL, NULL), "False"));
  rt_decref(args);
  rt_decref(ua);
  rt_decref(u);
  RtValue *d = rt_dict_new(1);
  rt_dict_set(d, "a", I(1));
  RtValue *miss = rt_getattr(d, "b", NULL);
  CHECK(rt_kind(miss) == RT_UNDEF && strcmp(miss->u.undef.hint, "'dict object' has no attribute 'b'") == 0);
  rt_decref(miss);
  rt_decref(d);
  /* an undefined name keeps where it was used, through chaining and into the
   * error an operation makes of it; type errors say they are TypeErrors */
  static const RtLoc here = {"site.yml", 7, 12};
  u = rt_undef_at("x", NULL, &here);
  ua = rt_getattr(u, "y", NULL);
  r = op(RT_OP_ADD, rt_incref(ua), I(1));
  CHECK(rt_kind(r) == RT_ERROR && r->u.err.exc == RT_EXC_UNDEFINED && r->u.err.loc.line == 7 &&
        r->u.err.loc.col == 12 && strcmp(r->u.err.loc.file, "site.yml") == 0);
  char *m = rt_cond_error_text("x.y > 1", r);
  CHECK(strcmp(m, "The conditional check 'x.y > 1' failed. The error was: error while evaluating "
                  "conditional (x.y > 1): 'x' is undefined. 'x' is undefined") == 0);
  free(m);
  rt_decref(r);
  rt_decref(ua);
  rt_decref(u);
  r = op(RT_OP_LT, I(1), S("a"));
  CHECK(rt_kind(r) == RT_ERROR && r->u.err.exc == RT_EXC_TYPE);
  m = rt_cond_error_text("1 < 'a'", r);
  CHECK(strstr(m, "Unexpected templating type error occurred on ({% if 1 < 'a' %} True {% else %} "
                  "False {% endif %}): '<' not supported between instances of 'int' and 'str'. '<'") != NULL);
  free(m);
  rt_decref(r);
}

static void test_filters(void) {
  RtValue *l = rt_list_new(3);
  rt_list_push(l, S("a"));
  rt_list_push(l, I(1));
  rt_list_push(l, rt_none());
  RtValue *sep = rt_list_new(1);
  rt_list_push(sep, S(","));
  CHECK(str_is(rt_filter("join", l, sep, NULL, NULL), "a,1,None"));
  CHECK(str_is(rt_filter("length", l, NULL, NULL, NULL), "3"));
  CHECK(str_is(rt_filter("upper", l, NULL, NULL, NULL), "['A', 1, NONE]"));
  rt_decref(sep);
  rt_decref(l);
  RtValue *s = S(" 42 ");
  CHECK(str_is(rt_filter("int", s, NULL, NULL, NULL), "42"));
  rt_decref(s);
  s = S("4.7");
  CHECK(str_is(rt_filter("int", s, NULL, NULL, NULL), "4"));
  rt_decref(s);
  s = S("nope");
  CHECK(str_is(rt_filter("int", s, NULL, NULL, NULL), "0"));
  rt_decref(s);
  static const char *const truthy[] = {"yes", "On", "1", "TRUE"}, *const falsy[] = {"no", "0", "x", ""};
  for (int i = 0; i < 4; i++) {
    s = S(truthy[i]);
    CHECK(str_is(rt_filter("bool", s, NULL, NULL, NULL), "True"));
    rt_decref(s);
    s = S(falsy[i]);
    CHECK(str_is(rt_filter("bool", s, NULL, NULL, NULL), "False"));
    rt_decref(s);
  }
  s = S("");
  RtValue *args = rt_list_new(2);
  rt_list_push(args, S("empty"));
  rt_list_push(args, rt_bool(true));
  CHECK(str_is(rt_filter("default", s, args, NULL, NULL), "empty"));
  rt_decref(args);
  rt_decref(s);
}

static void test_templates(void) {
  RtTpl *t = rt_tpl_begin();
  rt_tpl_text(t, "[1, ", 4);
  RtValue *two = I(2);
  rt_tpl_value(t, two);
  rt_tpl_text(t, "]", 1);
  RtValue *r = rt_tpl_end(t);
  CHECK(rt_kind(r) == RT_LIST && rt_len(r) == 2); /* "[1, 2]" reads back as a list */
  rt_decref(r);
  r = rt_tpl_single(two); /* "{{ 2 }}" is the text "2" in Ansible 2.14 */
  CHECK(rt_kind(r) == RT_STR && strcmp(r->u.str.s, "2") == 0);
  rt_decref(r);
  rt_decref(two);
  RtValue *s = S("True");
  r = rt_tpl_single(s);
  CHECK(rt_kind(r) == RT_BOOL && r->u.b);
  rt_decref(r);
  rt_decref(s);
  t = rt_tpl_begin();
  RtValue *u = rt_undef("nope", NULL);
  rt_tpl_value(t, u);
  r = rt_tpl_end(t);
  CHECK(rt_kind(r) == RT_ERROR && strcmp(r->u.err.msg, "'nope' is undefined") == 0);
  rt_decref(r);
  rt_decref(u);
}

static void test_data(void) {
  char *err = NULL;
  const char *y = "a: yes\nb: 0755\nc: '0755'\nd: 1.5\ne: ~\nf: [1, two]\nbase: &b {x: 1}\n"
                  "m:\n  <<: *b\n  y: 2\n";
  RtValue *v = rt_parse_yaml(y, strlen(y), "t.yml", &err);
  CHECK(v && rt_kind(v) == RT_DICT);
  if (v) {
    CHECK(str_is(rt_incref(v), "{'a': True, 'b': 493, 'c': '0755', 'd': 1.5, 'e': None, "
                               "'f': [1, 'two'], 'base': {'x': 1}, 'm': {'x': 1, 'y': 2}}")); /* PyYAML's order */
    rt_decref(v);
  }
  const char *js = "{\"b\": [1, 2.5, null, true]}";
  v = rt_parse_json(js, strlen(js), &err);
  CHECK(v && str_is(v, "{'b': [1, 2.5, None, True]}"));
  const char *py = "{'a': [1, 'x\\'y'], 'b': (None, False)}";
  v = rt_parse_pyliteral(py, strlen(py));
  CHECK(v && str_is(v, "{'a': [1, \"x'y\"], 'b': (None, False)}"));
  v = rt_parse_pyliteral("(1)", 3); /* parentheses alone make no tuple */
  CHECK(v && rt_kind(v) == RT_INT);
  rt_decref(v);
  v = rt_parse_pyliteral("[(1,), ()]", 10);
  RtValue *empty = rt_list_new(0); /* () is no [] */
  CHECK(v && rt_is_tuple(rt_list_at(v, 0)) && !rt_equal(rt_list_at(v, 1), empty));
  rt_decref(empty);
  CHECK(v && str_is(v, "[(1,), ()]"));
  CHECK(rt_parse_pyliteral("[1, 2", 5) == NULL);
}

static int render_mode(const char *path) {
  size_t len;
  char *text = rt_read_file(path, &len), *err = NULL;
  if (!text)
    return 2;
  RtValue *all = rt_parse_json(text, len, &err);
  free(text);
  free(err);
  if (!all || rt_kind(all) != RT_LIST) {
    rt_decref(all);
    return 2;
  }
  for (size_t i = 0; i < rt_len(all); i++) {
    RtValue *v = rt_list_at(all, i);
    RtBuf b = {0};
    rt_render_str(&b, v);
    rt_buf_puts(&b, "\n--\n");
    rt_render_repr(&b, v);
    rt_buf_puts(&b, "\n--\n");
    rt_render_json(&b, v, -1, true);
    rt_buf_puts(&b, "\n--\n");
    rt_render_json(&b, v, 4, true);
    rt_buf_puts(&b, "\n==\n");
    fputs(b.data, stdout);
    rt_buf_free(&b);
  }
  rt_decref(all);
  return 0;
}

/* Keys of any hashable kind: 1, 1.0 and True are one key (the first stays),
 * '1' another; lists are unhashable; keys read back as their own kind. */
static void test_dict_keys(void) {
  RtValue *d = rt_dict_new(0), *one = rt_int(1), *fone = rt_float(1.0), *s1 = rt_strz("1");
  RtValue *t = rt_tuple_new(2), *l = rt_list_new(0);
  rt_list_push(t, rt_int(1));
  rt_list_push(t, rt_strz("a"));
  RtValue *k1 = rt_dict_key_encode(one), *kt = rt_dict_key_encode(rt_bool(true));
  RtValue *kf = rt_dict_key_encode(fone), *ktu = rt_dict_key_encode(t), *kl = rt_dict_key_encode(l);
  CHECK(rt_dict_key_encoded(k1) && !rt_dict_key_encoded(s1));
  CHECK(rt_is_error(kl));
  rt_dict_put_key(d, k1, rt_strz("a"));
  rt_dict_put_key(d, kt, rt_strz("b"));
  rt_dict_put_key(d, s1, rt_strz("c"));
  rt_dict_put_key(d, ktu, rt_strz("d"));
  CHECK(rt_len(d) == 3);
  CHECK(rt_dict_get_value(d, fone) && str_is(rt_incref(rt_dict_get_value(d, fone)), "b"));
  CHECK(rt_dict_get_value(d, s1) && str_is(rt_incref(rt_dict_get_value(d, s1)), "c"));
  CHECK(rt_dict_get_value(d, t) && rt_dict_get_value(d, l) == NULL);
  RtValue *back = rt_dict_key_value(d->u.dict.ents[0].key);
  CHECK(rt_kind(back) == RT_INT && back->u.i == 1);
  rt_decref(back);
  CHECK(str_is(rt_incref(d), "{1: 'b', '1': 'c', (1, 'a'): 'd'}"));
  RtValue *c = rt_dict_copy(d);
  CHECK(rt_equal(c, d) && str_is(c, "{1: 'b', '1': 'c', (1, 'a'): 'd'}"));
  RtBuf b = {0};
  rt_dict_key_json(&b, kf);
  rt_dict_key_json(&b, kt);
  CHECK(b.data && strcmp(b.data, "1.0true") == 0);
  rt_buf_free(&b);
  RtValue *vs[] = {d, one, fone, s1, t, l, k1, kt, kf, ktu, kl};
  for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
    rt_decref(vs[i]);
}

/* `text` written over file `path`. */
static bool put_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  bool ok = f && fputs(text, f) >= 0;
  return f && fclose(f) == 0 && ok;
}

/* frontend/ctx.c: a source file's text is dropped once loaded and read
 * again for a diagnostic, only while the file still has the bytes first read. */
static void test_sources(void) {
  PcCtx c;
  pc_ctx_init(&c);
  char path[] = "/tmp/playc-source-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd < 0)
    return;
  close(fd);
  CHECK(put_file(path, "a: 1\nb: 2\n"));
  int err = -1;
  PcSource *s = pc_read_source(&c, path, &err);
  CHECK(s && err == 0 && s->len == 10 && !s->pinned);
  if (!s) {
    unlink(path);
    pc_ctx_free(&c);
    return;
  }
  pc_source_drop(s);
  CHECK(s->text == NULL);
  size_t n = 0;
  int32_t count = 0;
  const char *line = pc_source_line(&c, s, 1, &n, &count);
  CHECK(line && n == 5 && memcmp(line, "b: 2\n", 5) == 0 && count == 2);
  CHECK(pc_read_source(&c, path, &err) == s && err == 0 && s->text);
  pc_source_drop(s);
  CHECK(put_file(path, "a: 1\nb: 3\n")); /* same length, other bytes */
  CHECK(pc_source_line(&c, s, 1, &n, &count) == NULL && count == 0);
  CHECK(pc_read_source(&c, path, &err) == NULL && err == PC_READ_CHANGED);
  const PcSource *given = pc_add_source(&c, "given.yml", "x: 1\n", 5);
  pc_source_drop((PcSource *)given); /* text given by a caller: kept */
  CHECK(given->text && strcmp(given->text, "x: 1\n") == 0);
  unlink(path);
  pc_ctx_free(&c);
}

/* rt_buf_int against printf's %lld at every digit-count boundary, and
 * rt_eq_short against memcmp for every length up to 17 and every position
 * of a difference. */
static void test_text_hot(void) {
  int64_t edge[] = {INT64_MIN, INT64_MIN + 1, INT64_MAX, 0, -1};
  for (size_t k = 0; k < sizeof edge / sizeof *edge; k++) {
    RtBuf b = {0};
    char want[32];
    rt_buf_puts(&b, "x");
    rt_buf_int(&b, edge[k]);
    snprintf(want, sizeof want, "x%lld", (long long)edge[k]);
    CHECK(strcmp(b.data, want) == 0 && b.len == strlen(want));
    rt_buf_free(&b);
  }
  for (int64_t p = 1; p > 0 && p <= INT64_MAX / 10; p *= 10)
    for (int64_t d = -1; d <= 1; d++)
      for (int sign = -1; sign <= 1; sign += 2) {
        RtBuf b = {0};
        char want[32];
        int64_t v = sign * (p + d);
        rt_buf_int(&b, v);
        snprintf(want, sizeof want, "%lld", (long long)v);
        CHECK(strcmp(b.data, want) == 0 && b.len == strlen(want));
        rt_buf_free(&b);
      }
  char a[18], z[18];
  for (size_t n = 0; n <= 17; n++)
    for (size_t at = 0; at <= n; at++) {
      memset(a, 'k', sizeof a), memset(z, 'k', sizeof z);
      if (at < n)
        z[at] = 'K';
      CHECK(rt_eq_short(a, z, n) == (memcmp(a, z, n) == 0));
    }
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--render") == 0)
    return render_mode(argv[2]);
  test_dicts();
  test_index();
  test_ops();
  test_filters();
  test_templates();
  test_data();
  test_dict_keys();
  test_sources();
  test_text_hot();
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
