/*
 * jmespath.c — JMESPath for json_query: jmespath_parse.c's tree walked over
 * playc's values with jmespath 1.0.1's rules: missing is None, ordering
 * comparisons on numbers and strings only (else None; Python's TypeError
 * for a number against a string), JMESPath truthiness ('' [] {} null
 * false), projections that drop None, and the built-in functions with
 * their arity and type errors in jmespath's words.
 *
 * A string's Python type is str, or AnsibleUnsafeText when Ansible marks it
 * unsafe: json_query's patch makes jmespath's type checks accept it, but
 * its reverse map names it "unknown" (sort_by/min_by/max_by refuse such
 * keys). Ansible's YAML strings (AnsibleUnicode) are str here.
 */
#include "jmespath.h"

#include "arith.h"
#include "filters.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- literals as the runtime's values ---- */

static void *lit_json(const char *s, size_t len) {
  char *err = NULL;
  RtValue *v = rt_parse_json(s, len, &err);
  free(err);
  return v;
}

static void *lit_str(const char *s, size_t len) { return rt_str(s, len); }

static char *lit_text(const void *lit) {
  RtValue *s = rt_to_str(lit);
  char *t = rt_xmalloc(s->u.str.len + 1);
  memcpy(t, s->u.str.s, s->u.str.len + 1);
  rt_decref(s);
  return t;
}

static void *lit_ref(void *lit) { return rt_incref(lit); }
static void lit_free(void *lit) { rt_decref(lit); }

static const JpLitOps rt_lit_ops = {lit_json, lit_str, lit_text, lit_ref, lit_free};

/* ---- evaluation ---- */

static RtValue *jp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static RtValue *jp_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *m = NULL;
  if (vasprintf(&m, fmt, ap) < 0)
    abort();
  va_end(ap);
  RtValue *e = rt_error("JMESPathError in json_query filter plugin:\n%s", m);
  free(m);
  return e;
}

/* A Python exception out of jmespath (TypeError, ValueError ...). */
#define PY_ERROR_PREFIX "Error in jmespath.search in json_query filter plugin:\n"
static RtValue *py_error(const RtValue *err) {
  return rt_error(PY_ERROR_PREFIX "%s", err->u.err.msg);
}

static bool is_list(const RtValue *v) { return rt_kind(v) == RT_LIST && !rt_is_tuple(v); }
static bool is_num(const RtValue *v) { return rt_kind(v) == RT_INT || rt_kind(v) == RT_FLOAT; }

/* Python's type(v).__name__ for the values json_query sees. */
static const char *py_type(const RtValue *v) {
  if (rt_kind(v) == RT_STR && (v->flags & RT_VF_UNSAFE))
    return "AnsibleUnsafeText";
  return rt_type_name(v);
}

/* jmespath's TYPES_MAP of a Python type name. */
static const char *jp_type(const char *py) {
  static const char *const map[][2] = {{"bool", "boolean"}, {"list", "array"},  {"dict", "object"},
                                       {"NoneType", "null"}, {"str", "string"},  {"float", "number"},
                                       {"int", "number"},    {"_Expression", "expref"}};
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (!strcmp(map[i][0], py))
      return map[i][1];
  return "unknown";
}

/* JMESPath's false: '', [], {}, None, False. */
static bool jp_false(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_NONE: return true;
  case RT_BOOL: return !v->u.b;
  case RT_STR: return v->u.str.len == 0;
  case RT_LIST: return !rt_is_tuple(v) && v->u.list.len == 0;
  case RT_DICT: return v->u.dict.len == 0;
  default: return false;
  }
}

/* The value of an expref argument: the node it stands for. Function
 * arguments that are `&expr` are passed as nodes beside the values. */
typedef struct Arg {
  RtValue *v;          /* the value (None for an expref) */
  const JpNode *expref;
} Arg;

static RtValue *ev(const JpNode *n, RtValue *v);

static RtValue *collect_push(RtValue *list, RtValue *r) {
  if (rt_kind(r) == RT_NONE)
    rt_decref(r);
  else
    rt_list_push(list, r);
  return NULL;
}

static RtValue *project(const JpNode *right, RtValue *items, bool is_dict, const JpNode *cond) {
  size_t n = is_dict ? items->u.dict.len : items->u.list.len;
  RtValue *out = rt_list_new(n);
  for (size_t i = 0; i < n; i++) {
    RtValue *el = is_dict ? items->u.dict.ents[i].val : items->u.list.items[i];
    if (cond) {
      RtValue *c = ev(cond, el);
      if (rt_kind(c) == RT_ERROR) {
        rt_decref(out);
        return c;
      }
      bool ok = !jp_false(c);
      rt_decref(c);
      if (!ok)
        continue;
    }
    RtValue *r = ev(right, el);
    if (rt_kind(r) == RT_ERROR) {
      rt_decref(out);
      return r;
    }
    collect_push(out, r);
  }
  return out;
}

static int64_t py_index(int64_t i, int64_t len) { return i < 0 ? i + len : i; }

/* Python's list slicing. */
static RtValue *do_slice(const JpNode *n, RtValue *list) {
  int64_t len = (int64_t)list->u.list.len;
  int64_t step = n->has[2] ? n->n[2] : 1;
  if (step == 0)
    return rt_error_exc(RT_EXC_VALUE, "slice step cannot be zero");
  int64_t start, stop;
  if (step > 0) {
    start = n->has[0] ? n->n[0] : 0;
    stop = n->has[1] ? n->n[1] : len;
    if (start < 0) start = start + len < 0 ? 0 : start + len;
    if (start > len) start = len;
    if (stop < 0) stop = stop + len < 0 ? 0 : stop + len;
    if (stop > len) stop = len;
  } else {
    start = n->has[0] ? n->n[0] : len - 1;
    stop = n->has[1] ? n->n[1] : -1 - len;
    if (start < 0) start = start + len < 0 ? -1 : start + len;
    if (start >= len) start = len - 1;
    if (stop < 0) stop = stop + len < 0 ? -1 : stop + len;
    if (stop >= len) stop = len - 1;
  }
  RtValue *out = rt_list_new(0);
  if (step > 0)
    for (int64_t i = start; i < stop; i += step)
      rt_list_push(out, rt_incref(list->u.list.items[i]));
  else
    for (int64_t i = start; i > stop; i += step)
      rt_list_push(out, rt_incref(list->u.list.items[i]));
  return out;
}

static RtValue *call_function(const JpNode *n, Arg *args, int nargs);

static RtValue *ev_comparator(const JpNode *n, RtValue *v) {
  RtValue *a = ev(n->kids[0], v);
  if (rt_kind(a) == RT_ERROR)
    return a;
  RtValue *b = ev(n->kids[1], v);
  if (rt_kind(b) == RT_ERROR) {
    rt_decref(a);
    return b;
  }
  RtValue *r;
  if (n->op == JPT_EQ || n->op == JPT_NE) {
    bool eq;
    /* 0 and 1 are never equal to a bool here */
    if ((is_num(a) && rt_kind(b) == RT_BOOL && (rt_as_float(a) == 0 || rt_as_float(a) == 1)) ||
        (is_num(b) && rt_kind(a) == RT_BOOL && (rt_as_float(b) == 0 || rt_as_float(b) == 1)))
      eq = false;
    else
      eq = rt_equal(a, b);
    r = rt_bool(n->op == JPT_EQ ? eq : !eq);
  } else if (!(is_num(a) || rt_kind(a) == RT_STR) || !(is_num(b) || rt_kind(b) == RT_STR)) {
    r = rt_none();
  } else if (is_num(a) != is_num(b)) {
    const char *sym = n->op == JPT_LT ? "<" : n->op == JPT_LTE ? "<=" : n->op == JPT_GT ? ">" : ">=";
    RtValue *te = rt_type_error("'%s' not supported between instances of '%s' and '%s'", sym, py_type(a),
                                py_type(b));
    r = py_error(te);
    rt_decref(te);
  } else {
    RtValue *err = NULL;
    int c = rt_order(a, b, &err);
    if (err)
      rt_decref(err);
    bool res = false;
    if (c != 2)
      res = n->op == JPT_LT ? c < 0 : n->op == JPT_LTE ? c <= 0 : n->op == JPT_GT ? c > 0 : c >= 0;
    r = rt_bool(res);
  }
  rt_decref(a);
  rt_decref(b);
  return r;
}

static RtValue *ev(const JpNode *n, RtValue *v) {
  switch (n->kind) {
  case JP_IDENTITY: case JP_CURRENT:
    return rt_incref(v);
  case JP_LITERAL:
    return rt_incref(n->lit);
  case JP_FIELD: {
    if (rt_kind(v) != RT_DICT)
      return rt_none();
    RtValue *r = rt_dict_get_n(v, n->s, n->slen);
    return r ? rt_incref(r) : rt_none();
  }
  case JP_SUBEXPR: case JP_INDEX_EXPR: case JP_PIPE: {
    RtValue *r = rt_incref(v);
    for (int i = 0; i < n->nkids; i++) {
      RtValue *next = ev(n->kids[i], r);
      rt_decref(r);
      r = next;
      if (rt_kind(r) == RT_ERROR)
        break;
    }
    return r;
  }
  case JP_INDEX: {
    if (!is_list(v))
      return rt_none();
    int64_t len = (int64_t)v->u.list.len, i = py_index(n->n[0], len);
    return i >= 0 && i < len ? rt_incref(v->u.list.items[i]) : rt_none();
  }
  case JP_SLICE: {
    if (!is_list(v))
      return rt_none();
    RtValue *r = do_slice(n, v);
    if (rt_kind(r) == RT_ERROR) {
      RtValue *e = py_error(r);
      rt_decref(r);
      return e;
    }
    return r;
  }
  case JP_PROJECTION: case JP_FILTER_PROJECTION: {
    RtValue *base = ev(n->kids[0], v);
    if (rt_kind(base) == RT_ERROR)
      return base;
    RtValue *r = is_list(base) ? project(n->kids[1], base, false, n->nkids > 2 ? n->kids[2] : NULL) : rt_none();
    rt_decref(base);
    return r;
  }
  case JP_VALUE_PROJECTION: {
    RtValue *base = ev(n->kids[0], v);
    if (rt_kind(base) == RT_ERROR)
      return base;
    RtValue *r = rt_kind(base) == RT_DICT ? project(n->kids[1], base, true, NULL) : rt_none();
    rt_decref(base);
    return r;
  }
  case JP_FLATTEN: {
    RtValue *base = ev(n->kids[0], v);
    if (rt_kind(base) == RT_ERROR || !is_list(base)) {
      if (rt_kind(base) == RT_ERROR)
        return base;
      rt_decref(base);
      return rt_none();
    }
    RtValue *out = rt_list_new(base->u.list.len);
    for (size_t i = 0; i < base->u.list.len; i++) {
      RtValue *el = base->u.list.items[i];
      if (is_list(el))
        for (size_t k = 0; k < el->u.list.len; k++)
          rt_list_push(out, rt_incref(el->u.list.items[k]));
      else
        rt_list_push(out, rt_incref(el));
    }
    rt_decref(base);
    return out;
  }
  case JP_MULTI_LIST: case JP_MULTI_HASH: {
    if (rt_kind(v) == RT_NONE)
      return rt_none();
    bool hash = n->kind == JP_MULTI_HASH;
    RtValue *out = hash ? rt_dict_new((size_t)n->nkids) : rt_list_new((size_t)n->nkids);
    for (int i = 0; i < n->nkids; i++) {
      const JpNode *k = hash ? n->kids[i]->kids[0] : n->kids[i];
      RtValue *r = ev(k, v);
      if (rt_kind(r) == RT_ERROR) {
        rt_decref(out);
        return r;
      }
      if (hash)
        rt_dict_put(out, n->kids[i]->s, n->kids[i]->slen, r);
      else
        rt_list_push(out, r);
    }
    return out;
  }
  case JP_KEYVAL:
    return ev(n->kids[0], v);
  case JP_OR: case JP_AND: {
    RtValue *a = ev(n->kids[0], v);
    if (rt_kind(a) == RT_ERROR)
      return a;
    bool f = jp_false(a);
    if ((n->kind == JP_OR) != f)
      return a;
    rt_decref(a);
    return ev(n->kids[1], v);
  }
  case JP_NOT: {
    RtValue *a = ev(n->kids[0], v);
    if (rt_kind(a) == RT_ERROR)
      return a;
    bool r = is_num(a) && rt_as_float(a) == 0 ? false : !rt_pytruth(a);
    rt_decref(a);
    return rt_bool(r);
  }
  case JP_COMPARATOR:
    return ev_comparator(n, v);
  case JP_EXPREF:
    return rt_error("JMESPathError in json_query filter plugin:\nplayc: an expression reference (&) used "
                    "other than as a function's argument");
  case JP_FUNCTION: {
    Arg args[16];
    Arg *ap = n->nkids <= 16 ? args : rt_xcalloc((size_t)n->nkids, sizeof *ap);
    RtValue *r = NULL;
    int got = 0;
    for (; got < n->nkids; got++) {
      const JpNode *k = n->kids[got];
      ap[got].expref = k->kind == JP_EXPREF ? k->kids[0] : NULL;
      ap[got].v = ap[got].expref ? rt_none() : ev(k, v);
      if (rt_kind(ap[got].v) == RT_ERROR) {
        r = ap[got].v;
        break;
      }
    }
    if (!r)
      r = call_function(n, ap, n->nkids);
    for (int i = 0; i < got; i++)
      rt_decref(ap[i].v);
    if (ap != args)
      free(ap);
    return r;
  }
  }
  return rt_none();
}

/* ---- functions ---- */

/* A parameter's accepted types, jmespath's spelling ("number",
 * "array-string" ...), NULL-terminated; an empty list takes anything. */
typedef struct FnSig {
  const char *name;
  int nparams;
  bool variadic;
  const char *types[3][3];
} FnSig;

static const FnSig fn_sigs[] = {
    {"abs", 1, false, {{"number"}}},
    {"avg", 1, false, {{"array-number"}}},
    {"ceil", 1, false, {{"number"}}},
    {"contains", 2, false, {{"array", "string"}, {NULL}}},
    {"ends_with", 2, false, {{"string"}, {"string"}}},
    {"floor", 1, false, {{"number"}}},
    {"join", 2, false, {{"string"}, {"array-string"}}},
    {"keys", 1, false, {{"object"}}},
    {"length", 1, false, {{"string", "array", "object"}}},
    {"map", 2, false, {{"expref"}, {"array"}}},
    {"max", 1, false, {{"array-number", "array-string"}}},
    {"max_by", 2, false, {{"array"}, {"expref"}}},
    {"merge", 1, true, {{"object"}}},
    {"min", 1, false, {{"array-number", "array-string"}}},
    {"min_by", 2, false, {{"array"}, {"expref"}}},
    {"not_null", 1, true, {{NULL}}},
    {"reverse", 1, false, {{"array", "string"}}},
    {"sort", 1, false, {{"array-string", "array-number"}}},
    {"sort_by", 2, false, {{"array"}, {"expref"}}},
    {"starts_with", 2, false, {{"string"}, {"string"}}},
    {"sum", 1, false, {{"array-number"}}},
    {"to_array", 1, false, {{NULL}}},
    {"to_number", 1, false, {{NULL}}},
    {"to_string", 1, false, {{NULL}}},
    {"type", 1, false, {{NULL}}},
    {"values", 1, false, {{"object"}}},
};

/* The Python type name of an argument. */
static const char *arg_py_type(const Arg *a) { return a->expref ? "_Expression" : py_type(a->v); }

/* Whether Python type `py` is one REVERSE_TYPES_MAP (with json_query's
 * additions) lists for jmespath type `t`. */
static bool type_has(const char *t, const char *py) {
  if (!strcmp(t, "boolean")) return !strcmp(py, "bool");
  if (!strcmp(t, "array")) return !strcmp(py, "list");
  if (!strcmp(t, "object")) return !strcmp(py, "dict");
  if (!strcmp(t, "null")) return !strcmp(py, "NoneType");
  if (!strcmp(t, "string")) return !strcmp(py, "str") || !strcmp(py, "AnsibleUnsafeText");
  if (!strcmp(t, "number")) return !strcmp(py, "float") || !strcmp(py, "int");
  if (!strcmp(t, "expref")) return !strcmp(py, "_Expression");
  return false;
}

/* The list of types as Python prints it: ['array', 'string']. */
static void types_repr(RtBuf *b, const char *const *types) {
  rt_buf_putc(b, '[');
  for (int i = 0; i < 3 && types[i]; i++)
    rt_buf_printf(b, "%s'%s'", i ? ", " : "", types[i]);
  rt_buf_putc(b, ']');
}

static RtValue *type_error(const char *fn, const RtValue *value, const char *expref_text, const char *actual,
                           const char *const *types) {
  RtBuf b = {0};
  rt_buf_printf(&b, "In function %s(), invalid type for value: ", fn);
  if (expref_text) {
    rt_buf_puts(&b, expref_text);
  } else {
    RtValue *s = rt_to_str(value);
    rt_buf_add(&b, s->u.str.s, s->u.str.len);
    rt_decref(s);
  }
  rt_buf_puts(&b, ", expected one of: ");
  types_repr(&b, types);
  rt_buf_printf(&b, ", received: \"%s\"", actual);
  rt_buf_putc(&b, 0);
  RtValue *e = jp_error("%s", b.data);
  rt_buf_free(&b);
  return e;
}

static RtValue *check_arg(const char *fn, const Arg *a, const char *const *types) {
  if (!types[0])
    return NULL;
  const char *py = arg_py_type(a);
  bool ok = false;
  const char *subs[3] = {0};
  int nsubs = 0;
  for (int i = 0; i < 3 && types[i]; i++) {
    const char *dash = strchr(types[i], '-');
    char base[16];
    size_t bl = dash ? (size_t)(dash - types[i]) : strlen(types[i]);
    memcpy(base, types[i], bl);
    base[bl] = 0;
    ok |= type_has(base, py);
    if (dash)
      subs[nsubs++] = dash + 1;
  }
  if (!ok)
    return type_error(fn, a->v, a->expref ? "<jmespath.visitor._Expression object>" : NULL, jp_type(py), types);
  if (!nsubs || a->expref)
    return NULL;
  RtValue *l = a->v;
  const char *want = subs[0];
  if (nsubs > 1) {
    if (l->u.list.len == 0)
      return NULL;
    const char *first = py_type(l->u.list.items[0]);
    want = NULL;
    for (int i = 0; i < nsubs && !want; i++)
      if (type_has(subs[i], first))
        want = subs[i];
    if (!want)
      return type_error(fn, l->u.list.items[0], NULL, first, types);
  }
  for (size_t i = 0; i < l->u.list.len; i++) {
    const char *t = py_type(l->u.list.items[i]);
    if (!type_has(want, t))
      return type_error(fn, l->u.list.items[i], NULL, t, types);
  }
  return NULL;
}

/* The JSON text json.dumps(v, separators=(',', ':')) writes (ensure_ascii). */
static void dumps(RtBuf *b, const RtValue *v);

static void dump_str(RtBuf *b, const char *s, size_t len) {
  rt_buf_putc(b, '"');
  size_t i = 0;
  while (i < len) {
    uint32_t c = rt_utf8_next(s, len, &i);
    switch (c) {
    case '"': rt_buf_puts(b, "\\\""); break;
    case '\\': rt_buf_puts(b, "\\\\"); break;
    case '\n': rt_buf_puts(b, "\\n"); break;
    case '\r': rt_buf_puts(b, "\\r"); break;
    case '\t': rt_buf_puts(b, "\\t"); break;
    case '\b': rt_buf_puts(b, "\\b"); break;
    case '\f': rt_buf_puts(b, "\\f"); break;
    default:
      if (c < 0x20 || (c >= 0x7f && c < 0x10000)) {
        if (c == 0x7f)
          rt_buf_putc(b, 0x7f);
        else
          rt_buf_printf(b, "\\u%04x", c);
      } else if (c >= 0x10000) {
        c -= 0x10000;
        rt_buf_printf(b, "\\u%04x\\u%04x", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3ff));
      } else {
        rt_buf_putc(b, (char)c);
      }
    }
  }
  rt_buf_putc(b, '"');
}

static void dumps(RtBuf *b, const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_NONE: rt_buf_puts(b, "null"); break;
  case RT_BOOL: rt_buf_puts(b, v->u.b ? "true" : "false"); break;
  case RT_INT: rt_buf_intval(b, v); break;
  case RT_FLOAT:
    if (isnan(v->u.f))
      rt_buf_puts(b, "NaN");
    else if (isinf(v->u.f))
      rt_buf_puts(b, v->u.f < 0 ? "-Infinity" : "Infinity");
    else {
      RtValue *r = rt_to_repr(v);
      rt_buf_add(b, r->u.str.s, r->u.str.len);
      rt_decref(r);
    }
    break;
  case RT_STR: dump_str(b, v->u.str.s, v->u.str.len); break;
  case RT_LIST:
    rt_buf_putc(b, '[');
    for (size_t i = 0; i < v->u.list.len; i++) {
      if (i)
        rt_buf_putc(b, ',');
      dumps(b, v->u.list.items[i]);
    }
    rt_buf_putc(b, ']');
    break;
  case RT_DICT:
    rt_buf_putc(b, '{');
    for (size_t i = 0; i < v->u.dict.len; i++) {
      if (i)
        rt_buf_putc(b, ',');
      RtValue *k = v->u.dict.ents[i].key;
      if (rt_dict_key_encoded(k)) {
        RtBuf kb = {0};
        rt_dict_key_json(&kb, k);
        dump_str(b, kb.data ? kb.data : "", kb.len);
        rt_buf_free(&kb);
      } else {
        dump_str(b, k->u.str.s, k->u.str.len);
      }
      rt_buf_putc(b, ':');
      dumps(b, v->u.dict.ents[i].val);
    }
    rt_buf_putc(b, '}');
    break;
  default: {
    RtValue *s = rt_to_str(v);
    dump_str(b, s->u.str.s, s->u.str.len);
    rt_decref(s);
  }
  }
}

/* Python's int(s), then float(s), for to_number; None when neither takes it. */
static RtValue *str_number(const RtValue *s) {
  int64_t i;
  char msg[128];
  RtArithErr e = rt_arith_parse_int(s->u.str.s, s->u.str.len, 10, &i, msg, sizeof msg);
  if (e == RT_ARITH_OK)
    return rt_int(i);
  if (e == RT_ARITH_OVERFLOW)
    return rt_bigint_parse(s->u.str.s, s->u.str.len, 10);
  double f;
  if (rt_arith_parse_float(s->u.str.s, s->u.str.len, &f, msg, sizeof msg) == RT_ARITH_OK)
    return rt_float(f);
  return rt_none();
}

/* A by-function's key of `el`: a number or a string (of type `want`,
 * or either when NULL); else jmespath's type error. */
static RtValue *by_key(const char *fn, const JpNode *expref, RtValue *el, const char *want) {
  RtValue *k = ev(expref, el);
  if (rt_kind(k) == RT_ERROR)
    return k;
  const char *jt = jp_type(py_type(k));
  bool ok = want ? !strcmp(jt, want) : !strcmp(jt, "number") || !strcmp(jt, "string");
  if (!ok) {
    const char *two[3] = {"number", "string", NULL};
    const char *one[3] = {want, NULL, NULL};
    RtValue *e = type_error(fn, k, NULL, jt, want ? one : two);
    rt_decref(k);
    return e;
  }
  return k;
}

typedef struct SortItem {
  RtValue *key, *val;
  size_t pos;
} SortItem;

static int sort_cmp(const void *x, const void *y) {
  const SortItem *a = x, *b = y;
  RtValue *err = NULL;
  int c = rt_order(a->key, b->key, &err);
  if (err)
    rt_decref(err);
  if (c == 2)
    c = 0;
  return c ? c : a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* sorted(items, key=...) of prepared items: a new list of their values. */
static RtValue *sorted_values(SortItem *it, size_t n) {
  qsort(it, n, sizeof *it, sort_cmp);
  RtValue *out = rt_list_new(n);
  for (size_t i = 0; i < n; i++)
    rt_list_push(out, rt_incref(it[i].val));
  return out;
}

static RtValue *fn_sort_by(const JpNode *expref, RtValue *arr) {
  size_t n = arr->u.list.len;
  if (n == 0)
    return rt_incref(arr);
  RtValue *k0 = ev(expref, arr->u.list.items[0]);
  if (rt_kind(k0) == RT_ERROR)
    return k0;
  const char *want = jp_type(py_type(k0));
  rt_decref(k0);
  if (strcmp(want, "number") && strcmp(want, "string")) {
    const char *two[3] = {"string", "number", NULL};
    return type_error("sort_by", arr->u.list.items[0], NULL, want, two);
  }
  SortItem *it = rt_xcalloc(n, sizeof *it);
  RtValue *r = NULL;
  size_t done = 0;
  for (; done < n; done++) {
    RtValue *k = by_key("sort_by", expref, arr->u.list.items[done], want);
    if (rt_kind(k) == RT_ERROR) {
      r = k;
      break;
    }
    it[done] = (SortItem){k, arr->u.list.items[done], done};
  }
  if (!r)
    r = sorted_values(it, n);
  for (size_t i = 0; i < done; i++)
    rt_decref(it[i].key);
  free(it);
  return r;
}

/* min_by / max_by: Python's min/max(array, key=...): the first best. */
static RtValue *fn_minmax_by(const char *fn, const JpNode *expref, RtValue *arr, bool want_max) {
  if (arr->u.list.len == 0)
    return rt_none();
  RtValue *best = NULL, *bestkey = NULL;
  for (size_t i = 0; i < arr->u.list.len; i++) {
    RtValue *k = by_key(fn, expref, arr->u.list.items[i], NULL);
    if (rt_kind(k) == RT_ERROR) {
      if (bestkey)
        rt_decref(bestkey);
      return k;
    }
    if (!bestkey) {
      bestkey = k;
      best = arr->u.list.items[i];
      continue;
    }
    if (is_num(k) != is_num(bestkey)) {
      RtValue *te = rt_type_error("'%s' not supported between instances of '%s' and '%s'", want_max ? ">" : "<",
                                  py_type(k), py_type(bestkey));
      RtValue *e = py_error(te);
      rt_decref(te);
      rt_decref(k);
      rt_decref(bestkey);
      return e;
    }
    RtValue *err = NULL;
    int c = rt_order(k, bestkey, &err);
    if (err)
      rt_decref(err);
    if (c != 2 && (want_max ? c > 0 : c < 0)) {
      rt_decref(bestkey);
      bestkey = k;
      best = arr->u.list.items[i];
    } else {
      rt_decref(k);
    }
  }
  rt_decref(bestkey);
  return rt_incref(best);
}

static RtValue *fn_minmax(RtValue *arr, bool want_max) {
  if (arr->u.list.len == 0)
    return rt_none();
  RtValue *best = arr->u.list.items[0];
  for (size_t i = 1; i < arr->u.list.len; i++) {
    RtValue *err = NULL;
    int c = rt_order(arr->u.list.items[i], best, &err);
    if (err)
      rt_decref(err);
    if (c != 2 && (want_max ? c > 0 : c < 0))
      best = arr->u.list.items[i];
  }
  return rt_incref(best);
}

/* sum(arr) as Python adds: ints stay ints, a float makes a float. */
static RtValue *py_sum(RtValue *arr) {
  RtValue *s = rt_int(0);
  for (size_t i = 0; i < arr->u.list.len; i++) {
    RtValue *t = rt_binop(RT_OP_ADD, s, arr->u.list.items[i], NULL);
    rt_decref(s);
    s = t;
    if (rt_kind(s) == RT_ERROR)
      break;
  }
  return s;
}

/* A Python exception of a number operation, worded as json_query's. */
static RtValue *py_checked(RtValue *r) {
  if (rt_kind(r) != RT_ERROR)
    return r;
  RtValue *e = py_error(r);
  rt_decref(r);
  return e;
}

/* math.ceil / math.floor: an int. */
static RtValue *ceil_floor(RtValue *x, bool up) {
  if (rt_kind(x) == RT_INT)
    return rt_incref(x);
  double f = up ? ceil(x->u.f) : floor(x->u.f);
  int64_t i;
  char msg[128];
  if (rt_arith_float_to_int(f, &i, msg, sizeof msg) == RT_ARITH_OK)
    return rt_int(i);
  if (isnan(f) || isinf(f))
    return py_checked(rt_error_exc(isnan(f) ? RT_EXC_VALUE : RT_EXC_OVERFLOW, "%s", msg));
  RtValue *fl = rt_float(f);
  RtValue *r = rt_filter("int", fl, NULL, NULL, NULL);
  rt_decref(fl);
  return py_checked(r);
}

/* dict.update(seq) with `seq` not a dict (merge's later arguments are not
 * type-checked): each item a pair of key and value, Python's TypeError or
 * ValueError otherwise. NULL, or the error. */
static RtValue *update_pairs(RtValue *out, RtValue *seq) {
  if (rt_kind(seq) != RT_LIST && rt_kind(seq) != RT_STR)
    return rt_type_error("'%s' object is not iterable", py_type(seq));
  RtValue *items = rt_iter_list(seq);
  if (rt_kind(items) == RT_ERROR)
    return items;
  RtValue *err = NULL;
  for (size_t i = 0; i < items->u.list.len && !err; i++) {
    RtValue *it = items->u.list.items[i];
    if (rt_kind(it) != RT_LIST && rt_kind(it) != RT_STR && rt_kind(it) != RT_DICT) {
      err = rt_type_error("cannot convert dictionary update sequence element #%zu to a sequence", i);
      break;
    }
    RtValue *pair = rt_iter_list(it);
    if (pair->u.list.len != 2) {
      err = rt_error_exc(RT_EXC_VALUE, "dictionary update sequence element #%zu has length %zu; 2 is required", i,
                         pair->u.list.len);
    } else {
      RtValue *key = rt_dict_key_encode(pair->u.list.items[0]);
      if (rt_kind(key) == RT_ERROR)
        err = key;
      else {
        rt_dict_put_key(out, key, rt_incref(pair->u.list.items[1]));
        rt_decref(key);
      }
    }
    rt_decref(pair);
  }
  rt_decref(items);
  return err;
}

static RtValue *call_function(const JpNode *n, Arg *a, int nargs) {
  const FnSig *sig = NULL;
  for (size_t i = 0; i < sizeof fn_sigs / sizeof *fn_sigs; i++)
    if (!strcmp(fn_sigs[i].name, n->s))
      sig = &fn_sigs[i];
  if (!sig)
    return jp_error("Unknown function: %s()", n->s);
  if (sig->variadic ? nargs < sig->nparams : nargs != sig->nparams)
    return jp_error("Expected %s%d argument%s for function %s(), received %d", sig->variadic ? "at least " : "",
                    sig->nparams, sig->nparams == 1 ? "" : "s", n->s, nargs);
  for (int i = 0; i < sig->nparams; i++) {
    RtValue *e = check_arg(n->s, &a[i], sig->types[i]);
    if (e)
      return e;
  }
  const char *f = n->s;
  RtValue *x = a[0].v;
  if (!strcmp(f, "abs")) {
    if (rt_kind(x) == RT_FLOAT)
      return rt_float(fabs(x->u.f));
    return py_checked(rt_filter("abs", x, NULL, NULL, NULL));
  }
  if (!strcmp(f, "avg")) {
    if (x->u.list.len == 0)
      return rt_none();
    RtValue *s = py_sum(x);
    if (rt_kind(s) == RT_ERROR)
      return py_checked(s);
    RtValue *d = rt_float((double)x->u.list.len);
    RtValue *r = rt_binop(RT_OP_DIV, s, d, NULL);
    rt_decref(s);
    rt_decref(d);
    return py_checked(r);
  }
  if (!strcmp(f, "ceil") || !strcmp(f, "floor"))
    return ceil_floor(x, f[0] == 'c');
  if (!strcmp(f, "contains")) {
    if (rt_kind(x) == RT_STR && rt_kind(a[1].v) != RT_STR)
      return py_checked(rt_type_error("'in <string>' requires string as left operand, not %s", py_type(a[1].v)));
    return py_checked(rt_contains(x, a[1].v));
  }
  if (!strcmp(f, "ends_with") || !strcmp(f, "starts_with")) {
    const RtValue *s = x, *p = a[1].v;
    if (p->u.str.len > s->u.str.len)
      return rt_bool(false);
    size_t off = f[0] == 'e' ? s->u.str.len - p->u.str.len : 0;
    return rt_bool(memcmp(s->u.str.s + off, p->u.str.s, p->u.str.len) == 0);
  }
  if (!strcmp(f, "join")) {
    RtBuf b = {0};
    for (size_t i = 0; i < a[1].v->u.list.len; i++) {
      if (i)
        rt_buf_add(&b, x->u.str.s, x->u.str.len);
      RtValue *s = a[1].v->u.list.items[i];
      rt_buf_add(&b, s->u.str.s, s->u.str.len);
    }
    return rt_buf_value(&b);
  }
  if (!strcmp(f, "keys") || !strcmp(f, "values")) {
    RtValue *out = rt_list_new(x->u.dict.len);
    for (size_t i = 0; i < x->u.dict.len; i++)
      rt_list_push(out, f[0] == 'k' ? rt_dict_key_value(x->u.dict.ents[i].key) : rt_incref(x->u.dict.ents[i].val));
    return out;
  }
  if (!strcmp(f, "length"))
    return rt_int((int64_t)(rt_kind(x) == RT_STR ? rt_utf8_count(x->u.str.s, x->u.str.len) : rt_len(x)));
  if (!strcmp(f, "map")) {
    RtValue *arr = a[1].v, *out = rt_list_new(arr->u.list.len);
    for (size_t i = 0; i < arr->u.list.len; i++) {
      RtValue *r = ev(a[0].expref, arr->u.list.items[i]);
      if (rt_kind(r) == RT_ERROR) {
        rt_decref(out);
        return r;
      }
      rt_list_push(out, r);
    }
    return out;
  }
  if (!strcmp(f, "max") || !strcmp(f, "min"))
    return fn_minmax(x, f[1] == 'a');
  if (!strcmp(f, "max_by") || !strcmp(f, "min_by"))
    return fn_minmax_by(f, a[1].expref, x, f[1] == 'a');
  if (!strcmp(f, "merge")) {
    RtValue *out = rt_dict_new(4);
    for (int i = 0; i < nargs; i++) {
      RtValue *m = a[i].v;
      if (rt_kind(m) != RT_DICT) { /* past the first, arguments are not type-checked */
        RtValue *e = update_pairs(out, m);
        if (e) {
          rt_decref(out);
          return py_checked(e);
        }
        continue;
      }
      for (size_t k = 0; k < m->u.dict.len; k++)
        rt_dict_put_key(out, m->u.dict.ents[k].key, rt_incref(m->u.dict.ents[k].val));
    }
    return out;
  }
  if (!strcmp(f, "not_null")) {
    for (int i = 0; i < nargs; i++)
      if (rt_kind(a[i].v) != RT_NONE || a[i].expref)
        return a[i].expref ? jp_error("playc: an expression reference returned by not_null()") : rt_incref(a[i].v);
    return rt_none();
  }
  if (!strcmp(f, "reverse")) {
    if (rt_kind(x) == RT_STR) {
      size_t ncp = 0, i = 0;
      uint32_t *cps = rt_xcalloc(x->u.str.len + 1, sizeof *cps);
      while (i < x->u.str.len)
        cps[ncp++] = rt_utf8_next(x->u.str.s, x->u.str.len, &i);
      RtBuf b = {0};
      while (ncp)
        rt_utf8_put(&b, cps[--ncp]);
      free(cps);
      return rt_buf_value(&b);
    }
    RtValue *out = rt_list_new(x->u.list.len);
    for (size_t i = x->u.list.len; i > 0; i--)
      rt_list_push(out, rt_incref(x->u.list.items[i - 1]));
    return out;
  }
  if (!strcmp(f, "sort")) {
    size_t cnt = x->u.list.len;
    SortItem *it = rt_xcalloc(cnt + 1, sizeof *it);
    for (size_t i = 0; i < cnt; i++)
      it[i] = (SortItem){x->u.list.items[i], x->u.list.items[i], i};
    RtValue *r = sorted_values(it, cnt);
    free(it);
    return r;
  }
  if (!strcmp(f, "sort_by"))
    return fn_sort_by(a[1].expref, x);
  if (!strcmp(f, "sum"))
    return py_checked(py_sum(x));
  if (!strcmp(f, "to_array")) {
    if (a[0].expref)
      return jp_error("playc: an expression reference given to to_array()");
    if (is_list(x))
      return rt_incref(x);
    RtValue *out = rt_list_new(1);
    rt_list_push(out, rt_incref(x));
    return out;
  }
  if (!strcmp(f, "to_string")) {
    if (a[0].expref)
      return jp_error("playc: an expression reference given to to_string()");
    if (rt_kind(x) == RT_STR)
      return rt_incref(x);
    RtBuf b = {0};
    dumps(&b, x);
    return rt_buf_value(&b);
  }
  if (!strcmp(f, "to_number")) {
    if (a[0].expref || rt_kind(x) == RT_BOOL || rt_kind(x) == RT_NONE || rt_kind(x) == RT_LIST ||
        rt_kind(x) == RT_DICT)
      return rt_none();
    if (is_num(x))
      return rt_incref(x);
    return str_number(x);
  }
  if (!strcmp(f, "type")) {
    if (a[0].expref)
      return rt_none();
    switch (rt_kind(x)) {
    case RT_STR: return rt_strz("string");
    case RT_BOOL: return rt_strz("boolean");
    case RT_LIST: return rt_is_tuple(x) ? rt_none() : rt_strz("array");
    case RT_DICT: return rt_strz("object");
    case RT_INT: case RT_FLOAT: return rt_strz("number");
    case RT_NONE: return rt_strz("null");
    default: return rt_none();
    }
  }
  return jp_error("Unknown function: %s()", f);
}

/* jmespath.search(query, data) over a parsed tree (borrows data). */
static RtValue *jp_search(const JpNode *tree, RtValue *data) { return ev(tree, data); }

/* ---- the filter ---- */

/* Trees of the queries a run has parsed, shared by every host's thread
 * (evaluation only reads them): a playbook's queries are a few constants,
 * each parsed once per run. Kept for the whole run; queries past the
 * first JP_CACHE_MAX distinct ones are parsed at each call. */
enum { JP_CACHE_MAX = 256 };
static struct {
  char *q;
  size_t len;
  JpNode *tree;
} jp_cache[JP_CACHE_MAX];
static size_t jp_ncache;
static pthread_mutex_t jp_cache_mu = PTHREAD_MUTEX_INITIALIZER;

static JpNode *cache_find(const char *q, size_t len) {
  JpNode *t = NULL;
  pthread_mutex_lock(&jp_cache_mu);
  for (size_t i = 0; i < jp_ncache && !t; i++)
    if (jp_cache[i].len == len && memcmp(jp_cache[i].q, q, len) == 0)
      t = jp_cache[i].tree;
  pthread_mutex_unlock(&jp_cache_mu);
  return t;
}

/* Keeps `tree` for query `q` when there is room (true: the cache owns it). */
static bool cache_keep(const char *q, size_t len, JpNode *tree) {
  bool kept = false;
  pthread_mutex_lock(&jp_cache_mu);
  if (jp_ncache < JP_CACHE_MAX) {
    char *copy = rt_xmalloc(len + 1);
    memcpy(copy, q, len);
    copy[len] = 0;
    jp_cache[jp_ncache].q = copy;
    jp_cache[jp_ncache].len = len;
    jp_cache[jp_ncache].tree = tree;
    jp_ncache++;
    kept = true;
  }
  pthread_mutex_unlock(&jp_cache_mu);
  return kept;
}

/* community.general.json_query(data, expr): jmespath.search(expr, data). */
RtValue *rt_f_json_query(RtFArgs *a) {
  RtValue *q = a->p[0];
  if (rt_kind(q) == RT_LIST || rt_kind(q) == RT_DICT) { /* jmespath's parse cache hashes the query */
    RtValue *te = rt_type_error("unhashable type: '%s'", py_type(q));
    RtValue *e = py_error(te);
    rt_decref(te);
    return e;
  }
  if (!rt_pytruth(q))
    return jp_error("Invalid JMESPath expression: cannot be empty.");
  if (rt_kind(q) != RT_STR) {
    RtValue *te = rt_type_error("'%s' object is not iterable", py_type(q));
    RtValue *e = py_error(te);
    rt_decref(te);
    return e;
  }
  if (rt_kind(a->base) == RT_UNDEF) { /* jmespath's first look at it raises Jinja's UndefinedError */
    RtValue *ue = rt_error_of(a->base);
    RtValue *e = py_error(ue);
    rt_decref(ue);
    return e;
  }
  JpNode *tree = cache_find(q->u.str.s, q->u.str.len);
  bool cached = tree != NULL;
  if (!tree) {
    char *err = NULL;
    tree = rt_jp_parse(q->u.str.s, q->u.str.len, &rt_lit_ops, &err);
    if (!tree) {
      RtValue *e = strcmp(err, JP_RECURSION_MSG) ? jp_error("%s", err) : rt_error(PY_ERROR_PREFIX "%s", err);
      free(err);
      return e;
    }
    cached = cache_keep(q->u.str.s, q->u.str.len, tree);
  }
  RtValue *r = jp_search(tree, a->base);
  if (!cached)
    rt_jp_free(tree);
  return r;
}
