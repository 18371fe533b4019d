/*
 * tplstmt.c — what compiled `{% %}` statements call: a frame of local slots
 * per template evaluation (its `set` and `for` variables; lower.c numbers
 * them, so no name is looked up here), `for` loops with Jinja2's `loop`
 * object and inline `if` filtering, tuple unpacking, and namespace
 * attributes. Locals live on the host, one frame per template being
 * evaluated (a lazy variable used inside a template evaluates in a frame of
 * its own), so values shared between host threads are never mutated.
 */
#include "rt.h"
#include "filters.h"

#include <stdlib.h>
#include <string.h>

typedef struct RtFrame {
  RtValue **slots;
  int32_t n;
} RtFrame;

void *rt_locals_enter(RtHost *h, int32_t n) {
  RtFrame *saved = rt_xcalloc(1, sizeof *saved);
  saved->slots = h->locals;
  saved->n = h->nlocals;
  h->locals = rt_xcalloc((size_t)(n > 0 ? n : 1), sizeof(RtValue *));
  h->nlocals = n;
  return saved;
}

void rt_locals_leave(RtHost *h, void *saved) {
  RtFrame *f = saved;
  for (int32_t i = 0; i < h->nlocals; i++)
    rt_decref(h->locals[i]);
  free(h->locals);
  h->locals = f->slots;
  h->nlocals = f->n;
  if (!h->locals) { /* out of every template */
    rt_decref(h->spare_loop);
    h->spare_loop = NULL;
    free(h->spare_for);
    h->spare_for = NULL;
    rt_decref(h->tpl_moved);
    h->tpl_moved = NULL;
  }
  free(f);
}

RtValue *rt_local(RtHost *h, int32_t slot) {
  RT_ASSERT(slot >= 0 && slot < h->nlocals);
  return h->locals[slot] ? rt_incref(h->locals[slot]) : NULL;
}

/* The attribute `name` of v when v is a dict that has it (rt_getattr's
 * first case), else NULL. */
static RtValue *dict_attr(RtValue *v, const char *name, int64_t len, int32_t *hint) {
  return rt_kind(v) == RT_DICT && !rt_too_deep(v) ? rt_dict_get_at(v, name, (size_t)len, hint) : NULL;
}

RtValue *rt_local_attr(RtHost *h, int32_t slot, const char *name, int64_t len, int32_t *hint, const RtLoc *loc) {
  RT_ASSERT(slot >= 0 && slot < h->nlocals);
  RtValue *v = h->locals[slot];
  if (!v)
    return NULL;
  RtValue *a = dict_attr(v, name, len, hint);
  return a ? rt_incref(a) : rt_getattr(v, name, loc);
}

RtValue *rt_local_attr_peek(RtHost *h, int32_t slot, const char *name, int64_t len, int32_t *hint) {
  RT_ASSERT(slot >= 0 && slot < h->nlocals);
  RtValue *v = h->locals[slot];
  return v ? dict_attr(v, name, len, hint) : NULL;
}

bool rt_tpl_local_attr(RtTpl *t, RtHost *h, int32_t slot, const char *name, int64_t len, int32_t *hint,
                       const RtLoc *loc) {
  RT_ASSERT(slot >= 0 && slot < h->nlocals);
  RtValue *v = h->locals[slot];
  if (!v)
    return false;
  RtValue *a = dict_attr(v, name, len, hint);
  if (a) {
    rt_tpl_value(t, a);
    return true;
  }
  a = rt_getattr(v, name, loc);
  rt_tpl_value(t, a);
  rt_decref(a);
  return true;
}

bool rt_tpl_local_attr_default(RtTpl *t, RtHost *h, int32_t slot, const char *name, int64_t len, int32_t *hint,
                               const char *filter, RtValue *dflt, const RtLoc *loc) {
  RT_ASSERT(slot >= 0 && slot < h->nlocals);
  RtValue *v = h->locals[slot];
  if (!v)
    return false;
  RtValue *a = dict_attr(v, name, len, hint);
  if (a) {
    rt_tpl_filter(t, RT_TPLF_DEFAULT, filter, a, dflt, NULL, loc);
    return true;
  }
  if (rt_kind(v) == RT_DICT && !rt_too_deep(v) && !rt_is_error(dflt)) { /* missing: default's operand is undefined */
    rt_tpl_value(t, dflt);
    return true;
  }
  a = rt_getattr(v, name, loc);
  rt_tpl_filter(t, RT_TPLF_DEFAULT, filter, a, dflt, NULL, loc);
  rt_decref(a);
  return true;
}

void rt_local_set(RtHost *h, int32_t slot, RtValue *v) {
  RT_ASSERT(slot >= 0 && slot < h->nlocals);
  rt_decref(h->locals[slot]);
  h->locals[slot] = v;
}

static RtValue *unpack(RtValue *v, int64_t n) {
  if (rt_is_error(v))
    return rt_error_of(v);
  if (rt_kind(v) != RT_LIST && rt_kind(v) != RT_DICT && rt_kind(v) != RT_STR)
    return rt_type_error("cannot unpack non-iterable %s object", rt_type_name(v));
  RtValue *items = rt_iter_list(v);
  if ((int64_t)rt_len(items) != n) {
    int64_t have = (int64_t)rt_len(items);
    rt_decref(items);
    if (have > n)
      return rt_error_exc(RT_EXC_VALUE, "too many values to unpack (expected %lld)", (long long)n);
    return rt_error_exc(RT_EXC_VALUE, "not enough values to unpack (expected %lld, got %lld)", (long long)n,
                        (long long)have);
  }
  return items;
}

RtValue *rt_local_unpack(RtTpl *buf, RtValue *v, int64_t n, const RtLoc *loc) {
  (void)loc;
  RtValue *items = unpack(v, n);
  if (rt_is_error(items))
    rt_tpl_value(buf, items);
  return items;
}

void rt_local_set_item(RtHost *h, int32_t slot, RtValue *items, int64_t i) {
  rt_local_set(h, slot, rt_incref(rt_is_error(items) ? items : rt_list_at(items, (size_t)i)));
}

void rt_local_setattr(RtHost *h, RtTpl *buf, int32_t slot, const char *name, RtValue *v, const RtLoc *loc) {
  (void)loc;
  RtValue *ns = slot >= 0 && slot < h->nlocals ? h->locals[slot] : NULL;
  if (!ns || rt_kind(ns) != RT_DICT || !(ns->flags & RT_VF_NAMESPACE)) {
    RtValue *err = rt_error("cannot assign attribute on non-namespace object");
    rt_tpl_value(buf, err);
    rt_decref(err);
    rt_decref(v);
    return;
  }
  if (!rt_sole_ref(ns)) { /* copy on write: a value read before keeps what it saw */
    RtValue *c = rt_dict_copy(ns);
    c->flags |= RT_VF_NAMESPACE;
    rt_decref(ns);
    h->locals[slot] = ns = c;
  }
  rt_dict_set(ns, name, v);
}

struct RtFor {
  RtHost *h;
  RtTpl *buf;
  RtValue *items; /* the list iterated */
  RtValue *kept;  /* inline if: the items kept */
  size_t i;       /* the next item */
  int32_t first, end, loop_slot;
  int64_t depth;  /* loop.depth: 1, deeper in loop(...) of a recursive loop */
  RtValue **saved; /* rt_for_recurse: slots [save, end) of the pass that called it */
  int32_t save;
  bool ran, failed;
};

RtFor *rt_for_begin(RtHost *h, RtTpl *buf, RtValue *items, int32_t first, int32_t end, int32_t loop_slot,
                    const RtLoc *loc) {
  (void)loc;
  RtFor *f = h->spare_for; /* a finished loop's, else a new one */
  if (f) {
    h->spare_for = NULL;
    memset(f, 0, sizeof *f);
  } else {
    f = rt_xcalloc(1, sizeof *f);
  }
  f->h = h, f->buf = buf, f->first = first, f->end = end, f->loop_slot = loop_slot, f->depth = 1;
  f->items = rt_iter_list(items);
  if (rt_is_error(f->items) || rt_too_deep(f->items)) {
    RtValue *err = rt_is_error(f->items) ? rt_incref(f->items) : rt_too_deep_error();
    rt_tpl_value(buf, err);
    rt_decref(err);
    rt_decref(f->items);
    f->items = rt_list_new(0);
    f->failed = true;
  }
  return f;
}

RtFor *rt_for_recurse(RtHost *h, RtTpl *buf, RtValue *items, int32_t save, int32_t first, int32_t end,
                      int32_t loop_slot, const RtLoc *loc) {
  RT_ASSERT(save >= 0 && save <= first && end <= h->nlocals);
  RtValue *outer = loop_slot >= 0 ? h->locals[loop_slot] : NULL;
  RtValue *depth = outer && rt_kind(outer) == RT_DICT ? rt_dict_get(outer, "depth") : NULL;
  RtValue **saved = rt_xcalloc((size_t)(end - save) + 1, sizeof *saved);
  for (int32_t s = save; s < end; s++) { /* moved out: the deeper pass starts from unset slots */
    saved[s - save] = h->locals[s];
    h->locals[s] = NULL;
  }
  RtFor *f = rt_for_begin(h, buf, items, first, end, loop_slot, loc);
  f->depth = depth && rt_kind(depth) == RT_INT ? rt_as_int(depth) + 1 : 2;
  f->saved = saved;
  f->save = save;
  return f;
}

RtTpl *rt_for_buf(RtFor *f) { return f->buf; }

int64_t rt_for_len(RtFor *f) { return (int64_t)rt_len(f->items); }

RtValue *rt_loop_changed(RtHost *h, int32_t slot, RtValue *args) {
  RT_ASSERT(slot >= 0 && slot < h->nlocals);
  RtValue *last = h->locals[slot];
  bool changed = !last || !rt_equal(last, args);
  if (changed)
    rt_local_set(h, slot, args);
  else
    rt_decref(args);
  return rt_bool(changed);
}

/* The loop object's keys, immortal strings (a loop object costs no key
 * allocation): these nine always, in this order, then previtem and
 * nextitem when there is such an item, in either order. */
#define LOOP_KEY(s) {UINT32_MAX, RT_STR, 0, 0, {.str = {sizeof s - 1, (char *)s}}}
static RtValue loop_keys[] = {LOOP_KEY("index"),  LOOP_KEY("index0"), LOOP_KEY("revindex"),
                              LOOP_KEY("revindex0"), LOOP_KEY("length"), LOOP_KEY("depth"),
                              LOOP_KEY("depth0"), LOOP_KEY("first"),  LOOP_KEY("last"),
                              LOOP_KEY("previtem"), LOOP_KEY("nextitem")};
enum { LOOP_FIXED = 9, LOOP_PREV = 9, LOOP_NEXT = 10 };

/* Whether d (held by its maker alone) is a loop object of ours. */
static bool loop_reusable(const RtValue *d) {
  if (!d || !rt_sole_ref(d) || rt_kind(d) != RT_DICT || d->u.dict.len < LOOP_FIXED)
    return false;
  for (size_t k = 0; k < LOOP_FIXED; k++)
    if (d->u.dict.ents[k].key != &loop_keys[k])
      return false;
  return true;
}

/* Entry k of d (its maker's own) becomes `val` (taken), with no lookup. */
static void loop_set(RtValue *d, size_t k, RtValue *val) {
  rt_decref(d->u.dict.ents[k].val);
  d->u.dict.ents[k].val = val;
  if (val->depth >= d->depth && d->depth != UINT16_MAX)
    d->depth = val->depth == UINT16_MAX ? UINT16_MAX : (uint16_t)(val->depth + 1);
}

/* Entry k of d becomes the int x: in place when nothing else holds the
 * old int (the common case: a template reads loop.index and drops it). */
static void loop_set_int(RtValue *d, size_t k, int64_t x) {
  RtValue *v = d->u.dict.ents[k].val;
  if (rt_kind(v) == RT_INT && v->flags == 0 && rt_sole_ref(v))
    v->u.i = x;
  else
    loop_set(d, k, rt_int(x));
}

/* previtem or nextitem (key: LOOP_PREV, LOOP_NEXT) of d becomes `item`
 * (borrowed), or goes when item is NULL. Entries past the nine fixed ones
 * are removed from the end only (no reindexing): one that is not last
 * goes with the one after it, which is put back. */
static void loop_extra(RtValue *d, int key, RtValue *item) {
  size_t at = LOOP_FIXED;
  while (at < d->u.dict.len && d->u.dict.ents[at].key != &loop_keys[key])
    at++;
  if (at < d->u.dict.len && item) {
    loop_set(d, at, rt_incref(item));
    return;
  }
  if (at < d->u.dict.len) { /* present, not wanted */
    RtValue *after = NULL;
    if (at + 1 < d->u.dict.len) {
      after = rt_incref(d->u.dict.ents[at + 1].val);
      rt_dict_pop(d);
    }
    rt_dict_pop(d);
    if (after)
      rt_dict_push_key(d, &loop_keys[key == LOOP_PREV ? LOOP_NEXT : LOOP_PREV], after);
  } else if (item) {
    rt_dict_push_key(d, &loop_keys[key], rt_incref(item));
  }
}

/* Jinja2's LoopContext for item i of n, as a dict the template reads: `d`
 * (a new one, or the previous item's when nothing else holds it) filled
 * in. Reused, it costs no allocation and no hashing per item: fields are
 * written by position, ints in place; previtem/nextitem (only when
 * `adjacent`: the body may read them) are appended or dropped from the end
 * only where a loop starts or ends. Takes d. */
static RtValue *for_loop_object(RtValue *d, const RtValue *items, size_t i, int64_t depth, int32_t flags) {
  uint32_t fields = flags & RT_FOR_ALL_FIELDS ? 0x1ffu : (uint32_t)flags >> RT_FOR_FIELDS_SHIFT;
  size_t n = rt_len(items);
  int64_t vals[] = {(int64_t)i + 1, (int64_t)i, (int64_t)(n - i), (int64_t)(n - i - 1), (int64_t)n, depth, depth - 1};
  if (!loop_reusable(d)) {
    rt_decref(d);
    d = rt_dict_new(12);
    for (size_t k = 0; k < 7; k++)
      rt_dict_push_key(d, &loop_keys[k], rt_int(vals[k]));
    rt_dict_push_key(d, &loop_keys[7], rt_bool(i == 0));
    rt_dict_push_key(d, &loop_keys[8], rt_bool(i + 1 == n));
  } else { /* the fields the body reads (the others are never seen) */
    for (size_t k = 0; k < 7; k++)
      if (fields & (1u << k))
        loop_set_int(d, k, vals[k]);
    if (fields & (1u << 7))
      loop_set(d, 7, rt_bool(i == 0));
    if (fields & (1u << 8))
      loop_set(d, 8, rt_bool(i + 1 == n));
  }
  if (flags & RT_FOR_ADJACENT) {
    loop_extra(d, LOOP_PREV, i > 0 ? rt_list_at(items, i - 1) : NULL);
    loop_extra(d, LOOP_NEXT, i + 1 < n ? rt_list_at(items, i + 1) : NULL);
  } else {
    while (d->u.dict.len > LOOP_FIXED) /* a reused object of a loop that had them */
      rt_dict_pop(d);
  }
  return d;
}

RtValue *rt_for_next(RtFor *f, int32_t loop_flags) {
  if (f->i >= f->items->u.list.len) /* items: a list (rt_iter_list) */
    return NULL;
  RtHost *h = f->h;
  bool with_loop = loop_flags & RT_FOR_LOOP;
  RtValue *loop = NULL; /* the previous item's loop object, reused when it can be */
  for (int32_t s = f->first; s < f->end && s < h->nlocals; s++) {
    if (s == f->loop_slot && with_loop) {
      loop = h->locals[s];
      h->locals[s] = NULL;
    } else if (h->locals[s]) {
      rt_release(h->locals[s]);
      h->locals[s] = NULL;
    }
  }
  size_t i = f->i++;
  if (with_loop) {
    f->ran = true;
    if (!loop && i == 0) { /* a loop starting: a finished one's object */
      loop = h->spare_loop;
      h->spare_loop = NULL;
    }
    if (f->loop_slot >= 0)
      rt_local_set(h, f->loop_slot,
                   for_loop_object(loop, f->items, i, f->depth, loop_flags));
    else
      rt_decref(loop);
  }
  return f->items->u.list.items[i];
}

RtValue *rt_for_next_bind(RtFor *f, int32_t loop_flags, int32_t slot) {
  RtValue *x = rt_for_next(f, loop_flags);
  RT_ASSERT(slot >= 0 && slot < f->h->nlocals);
  if (x) {
    rt_release(f->h->locals[slot]); /* NULL when the slot is the loop's own (reset above) */
    f->h->locals[slot] = rt_retain(x);
  }
  return x;
}

void rt_for_keep(RtFor *f) {
  if (!f->kept)
    f->kept = rt_list_new(rt_len(f->items));
  rt_list_push(f->kept, rt_incref(rt_list_at(f->items, f->i - 1)));
}

void rt_for_filtered(RtFor *f) {
  rt_decref(f->items);
  f->items = f->kept ? f->kept : rt_list_new(0);
  f->kept = NULL;
  f->i = 0;
}

bool rt_for_end(RtFor *f) {
  bool ran = f->ran || f->failed;
  RtHost *h = f->h;
  if (!f->saved && f->ran && f->loop_slot >= 0 && f->loop_slot < h->nlocals && !h->spare_loop &&
      h->locals[f->loop_slot] && h->locals[f->loop_slot]->refs == 1) { /* out of sight after endfor */
    h->spare_loop = h->locals[f->loop_slot];
    h->locals[f->loop_slot] = NULL;
  }
  if (f->saved) {
    for (int32_t s = f->save; s < f->end; s++)
      rt_local_set(f->h, s, f->saved[s - f->save]);
    free(f->saved);
  }
  rt_decref(f->items);
  rt_decref(f->kept);
  if (!h->spare_for && h->locals)
    h->spare_for = f;
  else
    free(f);
  return ran;
}

RtValue *rt_namespace(RtValue *d) {
  if (rt_is_error(d))
    return d;
  if (!rt_sole_ref(d)) {
    RtValue *c = rt_dict_copy(d);
    rt_decref(d);
    d = c;
  }
  d->flags |= RT_VF_NAMESPACE;
  return d;
}

/* ---- methods that change a local ------------------------------------------------ */

static RtValue *arg_at(RtValue *args, size_t i) {
  return args && i < rt_len(args) ? rt_list_at(args, i) : NULL;
}

/* list.pop / list.insert's index, Python's way: an int (or bool). */
static RtValue *index_arg(RtValue *v, int64_t *i) {
  if (rt_kind(v) != RT_INT && rt_kind(v) != RT_BOOL)
    return rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(v));
  *i = rt_as_int(v);
  return NULL;
}

static RtValue *list_method(RtValue *l, const char *name, RtValue *args) {
  RtValue *a0 = arg_at(args, 0), *a1 = arg_at(args, 1), *e;
  int64_t n = (int64_t)l->u.list.len, i = 0;
  if (!strcmp(name, "append")) {
    rt_list_push(l, rt_incref(a0));
    return rt_none();
  }
  if (!strcmp(name, "extend")) {
    RtValue *items = rt_iter_list(a0);
    if (rt_is_error(items))
      return items;
    for (size_t k = 0; k < rt_len(items); k++)
      rt_list_push(l, rt_incref(rt_list_at(items, k)));
    rt_decref(items);
    return rt_none();
  }
  if (!strcmp(name, "insert")) { /* at i, clamped to the list as Python does */
    if ((e = index_arg(a0, &i)))
      return e;
    i = i < 0 ? (i + n < 0 ? 0 : i + n) : i > n ? n : i;
    rt_list_push(l, rt_none());
    memmove(&l->u.list.items[i + 1], &l->u.list.items[i], (size_t)(n - i) * sizeof *l->u.list.items);
    l->u.list.items[i] = rt_incref(a1);
    if (a1->depth >= l->depth && l->depth != UINT16_MAX)
      l->depth = (uint16_t)(a1->depth + 1);
    return rt_none();
  }
  if (!strcmp(name, "pop")) {
    i = -1;
    if (a0 && (e = index_arg(a0, &i)))
      return e;
    if (n == 0)
      return rt_error_exc(RT_EXC_INDEX, "pop from empty list");
    if (i < 0)
      i += n;
    if (i < 0 || i >= n)
      return rt_error_exc(RT_EXC_INDEX, "pop index out of range");
    RtValue *r = l->u.list.items[i];
    memmove(&l->u.list.items[i], &l->u.list.items[i + 1], (size_t)(n - i - 1) * sizeof *l->u.list.items);
    l->u.list.len--;
    return r;
  }
  /* remove */
  for (i = 0; i < n; i++)
    if (rt_equal(l->u.list.items[i], a0)) {
      rt_decref(l->u.list.items[i]);
      memmove(&l->u.list.items[i], &l->u.list.items[i + 1], (size_t)(n - i - 1) * sizeof *l->u.list.items);
      l->u.list.len--;
      return rt_none();
    }
  return rt_error_exc(RT_EXC_VALUE, "list.remove(x): x not in list");
}

/* Puts `v` (borrowed) under key `k` of any kind; an error for an unhashable key. */
static RtValue *dict_put_any(RtValue *d, RtValue *k, RtValue *v) {
  RtValue *key = rt_dict_key_encode(k);
  if (rt_is_error(key))
    return key;
  rt_dict_put_key(d, key, rt_incref(v));
  rt_decref(key);
  return NULL;
}

static RtValue *dict_method(RtValue *d, const char *name, RtValue *args, RtValue *kwargs) {
  RtValue *a0 = arg_at(args, 0), *a1 = arg_at(args, 1), *e;
  if (!strcmp(name, "update")) {
    if (a0 && rt_kind(a0) == RT_DICT) {
      for (size_t k = 0; k < a0->u.dict.len; k++)
        rt_dict_put_key(d, a0->u.dict.ents[k].key, rt_incref(a0->u.dict.ents[k].val));
    } else if (a0) { /* pairs */
      RtValue *items = rt_iter_list(a0);
      if (rt_is_error(items))
        return items;
      for (size_t k = 0; k < rt_len(items); k++) {
        RtValue *p = rt_list_at(items, k);
        if (rt_kind(p) != RT_LIST || rt_len(p) != 2) {
          rt_decref(items);
          return rt_kind(p) == RT_LIST || rt_kind(p) == RT_STR
                     ? rt_error_exc(RT_EXC_VALUE, "dictionary update sequence element #%zu has length %zu; 2 is required",
                                    k, rt_len(p))
                     : rt_type_error("cannot convert dictionary update sequence element #%zu to a sequence", k);
        }
        if ((e = dict_put_any(d, rt_list_at(p, 0), rt_list_at(p, 1)))) {
          rt_decref(items);
          return e;
        }
      }
      rt_decref(items);
    }
    for (size_t k = 0; kwargs && k < kwargs->u.dict.len; k++)
      rt_dict_put_key(d, kwargs->u.dict.ents[k].key, rt_incref(kwargs->u.dict.ents[k].val));
    return rt_none();
  }
  RtValue *had = rt_dict_get_value(d, a0);
  if (!strcmp(name, "setdefault")) {
    if (had)
      return rt_incref(had);
    RtValue *dflt = a1 ? a1 : rt_none();
    if ((e = dict_put_any(d, a0, dflt)))
      return e;
    return rt_incref(dflt);
  }
  /* pop */
  if (!had) {
    if (a1)
      return rt_incref(a1);
    RtBuf b = {0};
    rt_render_repr(&b, a0);
    RtValue *err = rt_error_exc(RT_EXC_KEY, "%s", b.data ? b.data : "");
    rt_buf_free(&b);
    return err;
  }
  RtValue *r = rt_incref(had), *key = rt_dict_key_encode(a0);
  for (size_t k = 0; k < d->u.dict.len; k++)
    if (d->u.dict.ents[k].val == had && d->u.dict.ents[k].key->u.str.len == key->u.str.len &&
        !memcmp(d->u.dict.ents[k].key->u.str.s, key->u.str.s, key->u.str.len)) {
      rt_dict_del(d, d->u.dict.ents[k].key->u.str.s);
      break;
    }
  rt_decref(key);
  return r;
}

/* The references to `v` this template evaluation holds where Python's names
 * would: its frame's slots (`{% set b = a %}`: one list, two names) and
 * the copies it made (tpl_moved). */
static uint32_t frame_refs(const RtHost *h, const RtValue *v) {
  uint32_t n = 0;
  for (int32_t s = 0; s < h->nlocals; s++)
    n += h->locals[s] == v;
  for (size_t i = 1; h->tpl_moved && i < rt_len(h->tpl_moved); i += 2)
    n += rt_list_at(h->tpl_moved, i) == v;
  return n;
}

/* `v` is held beyond the frame's names (a variable, a constant, another
 * host, a container, the call's own arguments): a copy replaces it under
 * every name of the frame, and variables that held it read the copy for
 * the rest of the template (rt_tpl_moved). Returns the copy (borrowed).
 * What the frame alone holds is changed in place, and it is in no
 * container, so no other value's recorded depth can go stale and a list
 * cannot come to hold itself. Values inside containers are not followed:
 * `{% set b = [a] %}{{ a.append(1) }}` leaves b's a as it was. */
static RtValue *move_to_copy(RtHost *h, RtValue *v) {
  bool list = rt_kind(v) == RT_LIST;
  RtValue *c = list ? rt_list_copy(v) : rt_dict_copy(v);
  c->flags = v->flags;
  for (int32_t s = 0; s < h->nlocals; s++)
    if (h->locals[s] == v) {
      rt_decref(v);
      h->locals[s] = rt_incref(c);
    }
  if (!h->tpl_moved)
    h->tpl_moved = rt_list_new(2);
  rt_list_push(h->tpl_moved, rt_incref(v));
  rt_list_push(h->tpl_moved, c); /* the reference it was made with */
  return c;
}

RtValue *rt_tpl_moved(RtHost *h, RtValue *v) {
  size_t n = rt_len(h->tpl_moved);
  for (size_t i = 0; i + 1 < n; i += 2) /* pairs in order: a copy's own copy comes later */
    if (rt_list_at(h->tpl_moved, i) == v) {
      RtValue *c = rt_incref(rt_list_at(h->tpl_moved, i + 1));
      rt_decref(v);
      v = c;
    }
  return v;
}

RtValue *rt_local_method(RtHost *h, int32_t slot, const char *name, RtValue *args, RtValue *kwargs,
                         const RtLoc *loc) {
  RT_ASSERT(slot >= 0 && slot < h->nlocals);
  RtValue *v = h->locals[slot];
  if (!v)
    return rt_error("the method '%s' on a name the template has not set is not supported by playc yet", name);
  for (size_t i = 0; args && i < rt_len(args); i++)
    if (rt_is_error(rt_list_at(args, i)))
      return rt_error_of(rt_list_at(args, i));
  for (size_t i = 0; kwargs && i < kwargs->u.dict.len; i++)
    if (rt_is_error(kwargs->u.dict.ents[i].val))
      return rt_error_of(kwargs->u.dict.ents[i].val);
  bool list = !strcmp(name, "append") || !strcmp(name, "extend") || !strcmp(name, "insert") ||
              !strcmp(name, "remove") || (!strcmp(name, "pop") && rt_kind(v) == RT_LIST);
  if (rt_kind(v) != (list ? RT_LIST : RT_DICT) || rt_is_tuple(v)) /* Jinja's undefined attribute */
    return rt_method(name, v, args, kwargs, loc);
  if (__atomic_load_n(&v->refs, __ATOMIC_ACQUIRE) != frame_refs(h, v))
    v = move_to_copy(h, v);
  return list ? list_method(v, name, args) : dict_method(v, name, args, kwargs);
}
