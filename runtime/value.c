/*
 * value.c — the value representation (rt.h RtValue): constructors, atomic
 * reference counts with immortal singletons (none, true, false), lists, and
 * insertion-ordered dicts (Python dict order, which Ansible's output follows)
 * with an RtIndex (util.c) over the entry array.
 *
 * Ownership: constructors return a new reference; list/dict "put"/"push"/"set"
 * take the value they are given; accessors return borrowed references. Values
 * are built by one owner and immutable once shared (refs > 1).
 */
#include "rt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IMMORTAL UINT32_MAX

static RtValue v_none = {IMMORTAL, RT_NONE, 0, 0, {0}};
static RtValue v_true = {IMMORTAL, RT_BOOL, 0, 0, {.b = true}};
static RtValue v_false = {IMMORTAL, RT_BOOL, 0, 0, {.b = false}};

static RtValue *alloc(RtKind k) {
  RtValue *v = rt_xcalloc(1, sizeof *v);
  v->refs = 1;
  v->kind = (uint8_t)k;
  return v;
}

RtValue *rt_none(void) {
  return &v_none;
}

RtValue *rt_bool(bool b) {
  return b ? &v_true : &v_false;
}

RtValue *rt_int(int64_t i) {
  RtValue *v = alloc(RT_INT);
  v->u.i = i;
  return v;
}

RtValue *rt_float(double f) {
  RtValue *v = alloc(RT_FLOAT);
  v->u.f = f;
  return v;
}

RtValue *rt_str(const char *s, size_t len) {
  return rt_str_take(rt_xstrndup(s, len), len);
}

RtValue *rt_strz(const char *s) {
  return rt_str(s, strlen(s));
}

RtValue *rt_str_take(char *s, size_t len) {
  RtValue *v = alloc(RT_STR);
  v->u.str.s = s;
  v->u.str.len = len;
  return v;
}

RtValue *rt_undef_take(char *name, char *hint, const RtLoc *loc) {
  RtValue *v = alloc(RT_UNDEF);
  v->u.undef.name = name;
  v->u.undef.hint = hint;
  if (loc) /* RtLoc is static data emitted by codegen: the file pointer outlives us */
    v->u.undef.loc = *loc;
  return v;
}

RtValue *rt_undef_at(const char *name, const char *hint, const RtLoc *loc) {
  return rt_undef_take(rt_xstrdup(name), hint ? rt_xstrdup(hint) : rt_xasprintf("'%s' is undefined", name), loc);
}

RtValue *rt_undef(const char *name, const char *hint) {
  return rt_undef_at(name, hint, NULL);
}

RtValue *rt_error_of(RtValue *v) {
  if (rt_kind(v) == RT_ERROR)
    return rt_incref(v);
  RT_ASSERT(rt_kind(v) == RT_UNDEF);
  RtValue *e = rt_error("%s", v->u.undef.hint);
  e->u.err.exc = RT_EXC_UNDEFINED;
  e->u.err.loc = v->u.undef.loc;
  return e;
}

static RtValue *error_v(RtExc exc, const char *fmt, va_list ap) {
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    rt_panic(__FILE__, __LINE__, "out of memory");
  RtValue *v = alloc(RT_ERROR);
  v->u.err.msg = msg;
  v->u.err.exc = (uint8_t)exc;
  return v;
}

RtValue *rt_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  RtValue *v = error_v(RT_EXC_OTHER, fmt, ap);
  va_end(ap);
  return v;
}

RtValue *rt_error_value(const char *msg) { return rt_error("%s", msg); }

RtValue *rt_type_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  RtValue *v = error_v(RT_EXC_TYPE, fmt, ap);
  va_end(ap);
  return v;
}

RtValue *rt_error_exc(RtExc exc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  RtValue *v = error_v(exc, fmt, ap);
  va_end(ap);
  return v;
}

const char *rt_exc_name(RtExc exc) {
  switch (exc) {
  case RT_EXC_ZERO_DIVISION: return "ZeroDivisionError";
  case RT_EXC_OVERFLOW: return "OverflowError";
  case RT_EXC_VALUE: return "ValueError";
  case RT_EXC_MEMORY: return "MemoryError";
  case RT_EXC_RECURSION: return "RecursionError";
  case RT_EXC_KEY: return "KeyError";
  case RT_EXC_INDEX: return "IndexError";
  case RT_EXC_RE: return "re.error";
  case RT_EXC_BINASCII: return "binascii.Error";
  case RT_EXC_UNICODE_DECODE: return "UnicodeDecodeError";
  case RT_EXC_JSON: return "json.decoder.JSONDecodeError";
  case RT_EXC_ATTRIBUTE: return "AttributeError";
  case RT_EXC_YAML_SCANNER: return "yaml.scanner.ScannerError";
  case RT_EXC_YAML_PARSER: return "yaml.parser.ParserError";
  case RT_EXC_YAML_COMPOSER: return "yaml.composer.ComposerError";
  case RT_EXC_FILTER_ARG: return "jinja2.exceptions.FilterArgumentError";
  case RT_EXC_ADDR_FORMAT: return "netaddr.core.AddrFormatError";
  default: return NULL;
  }
}

RtValue *rt_thunk(RtExprFn fn, const char *name) {
  RtValue *v = alloc(RT_THUNK);
  v->u.thunk.fn = fn;
  v->u.thunk.name = name;
  return v;
}

/* The count, read atomically (other threads may change it). */
static uint32_t refs_of(const RtValue *v) {
  return __atomic_load_n(&v->refs, __ATOMIC_RELAXED);
}

RtValue *rt_incref(RtValue *v) {
  if (v && refs_of(v) != IMMORTAL)
    __atomic_fetch_add(&v->refs, 1, __ATOMIC_RELAXED);
  return v;
}

/* Once-per-run constants of compiled code (codegen's cg_once): `*slot`
 * holds one reference for the whole run. The acquire load and the release
 * publish are here, in C, rather than inline in the generated code, so that
 * ThreadSanitizer (which instruments only C) sees the order they make. */
RtValue *rt_once_get(RtValue **slot) {
  return rt_incref(__atomic_load_n(slot, __ATOMIC_ACQUIRE));
}

RtValue *rt_once_put(RtValue **slot, RtValue *v) {
  /* the slot holds it for the whole run: immortal, so the references each
   * use takes and drops cost no atomic operation (a value v alone holds,
   * not shared yet) */
  bool mine = v && rt_sole_ref(v);
  if (mine)
    v->refs = IMMORTAL;
  RtValue *cur = NULL;
  if (__atomic_compare_exchange_n(slot, &cur, v, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return rt_incref(v);
  if (mine)
    v->refs = 1;
  rt_decref(v); /* another thread published first */
  return rt_incref(cur);
}

/* Drops one reference to `c`; true when that was the last one. */
static bool release(RtValue *c) {
  return c && refs_of(c) != IMMORTAL && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0;
}

/* A stack of values to free, on the heap past its first few entries. */
typedef struct FreeStack {
  RtValue **items;
  size_t n, cap;
  RtValue *local[16];
} FreeStack;

static void fs_push(FreeStack *fs, RtValue *v) {
  if (fs->n == fs->cap) {
    fs->cap *= 2;
    if (fs->items == fs->local) {
      fs->items = rt_xmalloc(fs->cap * sizeof *fs->items);
      memcpy(fs->items, fs->local, sizeof fs->local);
    } else {
      fs->items = rt_xrealloc(fs->items, fs->cap * sizeof *fs->items);
    }
  }
  fs->items[fs->n++] = v;
}

/* Frees `v`, whose count reached zero, and every item whose count drops to
 * zero with it. Items wait on a stack of their own rather than the C stack,
 * so freeing takes constant C stack at any depth of nesting. */
static void free_value(RtValue *v) {
  FreeStack fs;
  fs.items = fs.local, fs.n = 0, fs.cap = sizeof fs.local / sizeof fs.local[0];
  for (;;) {
    switch ((RtKind)v->kind) {
    case RT_STR:
      free(v->u.str.s);
      break;
    case RT_LIST:
      for (size_t i = 0; i < v->u.list.len; i++)
        if (release(v->u.list.items[i]))
          fs_push(&fs, v->u.list.items[i]);
      free(v->u.list.items);
      break;
    case RT_DICT:
      for (size_t i = 0; i < v->u.dict.len; i++) {
        rt_decref(v->u.dict.ents[i].key); /* a string */
        if (release(v->u.dict.ents[i].val))
          fs_push(&fs, v->u.dict.ents[i].val);
      }
      free(v->u.dict.ents);
      rt_index_free(&v->u.dict.index);
      break;
    case RT_UNDEF:
      free(v->u.undef.name);
      free(v->u.undef.hint);
      break;
    case RT_ERROR:
      free(v->u.err.msg);
      break;
    case RT_INT:
      if (v->flags & RT_VF_BIG)
        rt_bigint_free(v);
      break;
    default:
      break;
    }
    free(v);
    if (fs.n == 0)
      break;
    v = fs.items[--fs.n];
  }
  if (fs.items != fs.local)
    free(fs.items);
}

void rt_decref(RtValue *v) {
  if (!v || refs_of(v) == IMMORTAL)
    return;
  if (__atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) == 0)
    free_value(v);
}

bool rt_is_error(const RtValue *v) {
  return v->kind == RT_ERROR || v->kind == RT_UNDEF;
}

bool rt_as_bool(const RtValue *v) {
  return v->u.b;
}

int64_t rt_as_int(const RtValue *v) {
  return v->kind == RT_BOOL ? (int64_t)v->u.b : v->u.i;
}

double rt_as_float(const RtValue *v) { /* a big int past a double's range: ±inf */
  double f;
  if (rt_is_big(v) && !rt_bigint_to_double(v, &f))
    return v->u.i < 0 ? -INFINITY : INFINITY;
  return rt_is_big(v) ? f : v->kind == RT_INT ? (double)v->u.i : v->kind == RT_BOOL ? (double)v->u.b : v->u.f;
}

/* ---- lists ---- */

/* A container holding `item` is at least one level deeper than it. */
static void note_depth(RtValue *c, const RtValue *item) {
  if (item->depth >= c->depth && c->depth != UINT16_MAX)
    c->depth = item->depth == UINT16_MAX ? UINT16_MAX : (uint16_t)(item->depth + 1);
}

RtValue *rt_too_deep_error(void) {
  return rt_error_exc(RT_EXC_RECURSION,
                      "maximum recursion depth exceeded: a value nests more than %d levels deep",
                      RT_MAX_DEPTH);
}

RtValue *rt_list_new(size_t cap) {
  RtValue *v = alloc(RT_LIST);
  v->u.list.cap = cap ? cap : 4;
  v->u.list.items = rt_xcalloc(v->u.list.cap, sizeof *v->u.list.items);
  return v;
}

RtValue *rt_tuple_new(size_t cap) {
  RtValue *v = rt_list_new(cap);
  v->flags |= RT_VF_TUPLE;
  return v;
}

RtValue *rt_list_tuple(RtValue *list) {
  list->flags |= RT_VF_TUPLE;
  return list;
}

void rt_list_push(RtValue *list, RtValue *item) {
  if (list->u.list.len == list->u.list.cap) {
    list->u.list.cap *= 2;
    list->u.list.items =
        rt_xrealloc(list->u.list.items, list->u.list.cap * sizeof *list->u.list.items);
  }
  list->u.list.items[list->u.list.len++] = item;
  note_depth(list, item);
}

RtValue *rt_list_at(const RtValue *list, size_t i) {
  return list->u.list.items[i];
}

RtValue *rt_list_copy(const RtValue *list) {
  RtValue *c = rt_list_new(list->u.list.len);
  for (size_t i = 0; i < list->u.list.len; i++)
    rt_list_push(c, rt_incref(list->u.list.items[i]));
  return c;
}

size_t rt_len(const RtValue *v) {
  switch ((RtKind)v->kind) {
  case RT_STR:
    return v->u.str.len;
  case RT_LIST:
    return v->u.list.len;
  case RT_DICT:
    return v->u.dict.len;
  default:
    return 0;
  }
}

/* ---- dicts ---- */

static const char *dict_key(const void *ctx, uint32_t pos, size_t *len) {
  const RtValue *k = ((const RtValue *)ctx)->u.dict.ents[pos].key;
  *len = k->u.str.len;
  return k->u.str.s;
}

RtValue *rt_dict_new(size_t cap) {
  RtValue *v = alloc(RT_DICT);
  v->u.dict.cap = cap ? cap : 4;
  v->u.dict.ents = rt_xcalloc(v->u.dict.cap, sizeof *v->u.dict.ents);
  return v;
}

/* Puts `val` (taken) under the key of bytes `key`; a new entry's key is
 * `keyv` (borrowed) when given, else a string of those bytes. */
static void dict_put(RtValue *d, const char *key, size_t keylen, RtValue *keyv, RtValue *val) {
  int64_t pos = rt_index_find(&d->u.dict.index, key, keylen, dict_key, d);
  note_depth(d, val);
  if (pos >= 0) { /* the first key stays, as Python's does */
    rt_decref(d->u.dict.ents[pos].val);
    d->u.dict.ents[pos].val = val;
    return;
  }
  if (d->u.dict.len == d->u.dict.cap) {
    d->u.dict.cap *= 2;
    d->u.dict.ents = rt_xrealloc(d->u.dict.ents, d->u.dict.cap * sizeof *d->u.dict.ents);
  }
  d->u.dict.ents[d->u.dict.len].key = keyv ? rt_incref(keyv) : rt_str(key, keylen);
  d->u.dict.ents[d->u.dict.len].val = val;
  rt_index_add(&d->u.dict.index, (uint32_t)d->u.dict.len++, dict_key, d);
}

void rt_dict_put(RtValue *d, const char *key, size_t keylen, RtValue *val) {
  dict_put(d, key, keylen, NULL, val);
}

void rt_dict_put_key(RtValue *d, RtValue *key, RtValue *val) {
  dict_put(d, key->u.str.s, key->u.str.len, key, val);
}

void rt_dict_set(RtValue *d, const char *key, RtValue *val) {
  rt_dict_put(d, key, strlen(key), val);
}

/* Up to this many entries a lookup compares keys in order: cheaper than
 * hashing for the few short keys of typical items (users, ports, loop). */
#define DICT_SCAN_MAX 12

/* Whether the string key k is the len bytes at key: the length, the first
 * byte, then the rest (memcmp only for a likely match). */
static inline bool key_is(const RtValue *k, const char *key, size_t len) {
  return k->u.str.len == len && rt_eq_short(k->u.str.s, key, len);
}

RtValue *rt_dict_get_n(const RtValue *d, const char *key, size_t len) {
  if (!d || d->kind != RT_DICT)
    return NULL;
  if (d->u.dict.len <= DICT_SCAN_MAX) {
    for (size_t i = 0; i < d->u.dict.len; i++)
      if (key_is(d->u.dict.ents[i].key, key, len))
        return d->u.dict.ents[i].val;
    return NULL;
  }
  int64_t pos = rt_index_find(&d->u.dict.index, key, len, dict_key, d);
  return pos >= 0 ? d->u.dict.ents[pos].val : NULL;
}

RtValue *rt_dict_get(const RtValue *d, const char *key) {
  return rt_dict_get_n(d, key, strlen(key));
}

RtValue *rt_dict_get_at(const RtValue *d, const char *key, size_t len, int32_t *hint) {
  uint32_t at = __atomic_load_n((uint32_t *)hint, __ATOMIC_RELAXED);
  if (at < d->u.dict.len && key_is(d->u.dict.ents[at].key, key, len))
    return d->u.dict.ents[at].val;
  if (d->u.dict.len <= DICT_SCAN_MAX) {
    for (size_t i = 0; i < d->u.dict.len; i++)
      if (key_is(d->u.dict.ents[i].key, key, len)) {
        __atomic_store_n((uint32_t *)hint, (uint32_t)i, __ATOMIC_RELAXED);
        return d->u.dict.ents[i].val;
      }
    return NULL;
  }
  int64_t pos = rt_index_find(&d->u.dict.index, key, len, dict_key, d);
  if (pos < 0)
    return NULL;
  __atomic_store_n((uint32_t *)hint, (uint32_t)pos, __ATOMIC_RELAXED);
  return d->u.dict.ents[pos].val;
}

void rt_dict_del(RtValue *d, const char *key) {
  int64_t pos = rt_index_find(&d->u.dict.index, key, strlen(key), dict_key, d);
  if (pos < 0)
    return;
  rt_decref(d->u.dict.ents[pos].key);
  rt_decref(d->u.dict.ents[pos].val);
  memmove(&d->u.dict.ents[pos], &d->u.dict.ents[pos + 1],
          (d->u.dict.len - (size_t)pos - 1) * sizeof *d->u.dict.ents);
  d->u.dict.len--;
  rt_index_rebuild(&d->u.dict.index, (uint32_t)d->u.dict.len, dict_key, d);
}

void rt_dict_push_key(RtValue *d, RtValue *key, RtValue *val) {
  RT_ASSERT(rt_kind(key) == RT_STR);
  note_depth(d, val);
  if (d->u.dict.len == d->u.dict.cap) {
    d->u.dict.cap *= 2;
    d->u.dict.ents = rt_xrealloc(d->u.dict.ents, d->u.dict.cap * sizeof *d->u.dict.ents);
  }
  d->u.dict.ents[d->u.dict.len].key = key;
  d->u.dict.ents[d->u.dict.len].val = val;
  rt_index_add(&d->u.dict.index, (uint32_t)d->u.dict.len++, dict_key, d);
}

void rt_dict_pop(RtValue *d) {
  if (d->u.dict.len == 0)
    return;
  size_t pos = d->u.dict.len - 1;
  rt_index_remove(&d->u.dict.index, (uint32_t)pos, dict_key, d);
  rt_decref(d->u.dict.ents[pos].key);
  rt_decref(d->u.dict.ents[pos].val);
  d->u.dict.len--;
}

RtValue *rt_dict_copy(const RtValue *d) {
  RtValue *c = rt_dict_new(d->u.dict.len);
  for (size_t i = 0; i < d->u.dict.len; i++)
    rt_dict_put_key(c, d->u.dict.ents[i].key, rt_incref(d->u.dict.ents[i].val));
  return c;
}

/* ---- equality ---- */

static bool numeric(const RtValue *v) {
  return v->kind == RT_INT || v->kind == RT_FLOAT || v->kind == RT_BOOL;
}

/* `top`: Python's a == b, where a NaN is unequal even to itself; inside
 * containers Python compares items identity first (PyObject_RichCompareBool). */
static bool equal(const RtValue *a, const RtValue *b, bool top) {
  if (a == b)
    return !(top && a->kind == RT_FLOAT && isnan(a->u.f));
  if (numeric(a) && numeric(b) && (rt_is_big(a) || rt_is_big(b)))
    return rt_bigint_cmp(a, b) == 0;
  if (numeric(a) && numeric(b)) /* exact, as Python compares int and float */
    return rt_arith_cmp(rt_num_of(a), rt_num_of(b)) == 0;
  if (a->kind != b->kind || rt_is_tuple(a) != rt_is_tuple(b))
    return false;
  switch ((RtKind)a->kind) {
  case RT_NONE:
    return true;
  case RT_STR:
    return a->u.str.len == b->u.str.len && memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
  case RT_LIST:
    if (a->u.list.len != b->u.list.len)
      return false;
    for (size_t i = 0; i < a->u.list.len; i++)
      if (!equal(a->u.list.items[i], b->u.list.items[i], false))
        return false;
    return true;
  case RT_DICT:
    if (a->u.dict.len != b->u.dict.len)
      return false;
    for (size_t i = 0; i < a->u.dict.len; i++) {
      const RtValue *k = a->u.dict.ents[i].key;
      const RtValue *other = rt_dict_get_n(b, k->u.str.s, k->u.str.len);
      if (!other || !equal(a->u.dict.ents[i].val, other, false))
        return false;
    }
    return true;
  default:
    return false;
  }
}

bool rt_equal(const RtValue *a, const RtValue *b) {
  return equal(a, b, true);
}
