/*
 * filters_seq.c — the filters over sequences and mappings: Jinja2's (first
 * last list reverse items join sort dictsort unique min max sum batch slice
 * groupby map select reject selectattr rejectattr) and Ansible's (flatten
 * union intersect difference symmetric_difference zip zip_longest product
 * permutations combinations subelements dict2items items2dict combine
 * extract rekey_on_member). Results that Jinja yields lazily are lists, as
 * Ansible's _unroll_iterator makes them; what Python makes a tuple is made
 * with rt_tuple_new.
 *
 * Sorting is a stable merge sort driven by Python's `<` (rt_order), so
 * equal keys keep their order and incomparable ones fail with Python's
 * TypeError, as sorted() does.
 */
#include "filters.h"

#include <stdlib.h>
#include <string.h>

/* ignore_case: a string's lowercase, anything else as it is. New reference. */
static RtValue *lowered(RtValue *v) {
  if (rt_kind(v) != RT_STR)
    return rt_incref(v);
  RtBuf b = {0};
  rt_text_lower(&b, v->u.str.s, v->u.str.len);
  return rt_buf_value(&b);
}

/* make_attrgetter(attribute, postprocess=ignore_case if lower, default). */
static RtValue *key_of(RtValue *item, RtValue *attribute, bool lower, RtValue *dflt) {
  RtValue *v = attribute && rt_kind(attribute) != RT_NONE ? rt_attr_path(item, attribute, dflt) : rt_incref(item);
  if (!lower)
    return v;
  RtValue *l = lowered(v);
  rt_decref(v);
  return l;
}

/* make_multi_attrgetter: "a,b" → [key a, key b]. */
static RtValue *multi_key_of(RtValue *item, RtValue *attribute, bool lower) {
  if (!attribute || rt_kind(attribute) != RT_STR || !memchr(attribute->u.str.s, ',', attribute->u.str.len))
    return key_of(item, attribute, lower, NULL);
  RtValue *parts = rt_text_split(attribute->u.str.s, attribute->u.str.len, ",", 1, -1);
  RtValue *keys = rt_list_new(rt_len(parts));
  for (size_t i = 0; i < rt_len(parts); i++)
    rt_list_push(keys, key_of(item, rt_list_at(parts, i), lower, NULL));
  rt_decref(parts);
  return keys;
}

/* ---- a stable sort by keys ---- */

typedef struct SortCtx {
  RtValue **keys;
  bool reverse;
  RtValue *err;
} SortCtx;

/* True when item i must go before item j (strictly). */
static bool before(SortCtx *s, size_t i, size_t j) {
  if (s->err)
    return false;
  RtValue *a = s->keys[i], *b = s->keys[j];
  RtValue *r = s->reverse ? rt_binop(RT_OP_LT, b, a, NULL) : rt_binop(RT_OP_LT, a, b, NULL);
  if (rt_kind(r) != RT_BOOL) {
    s->err = rt_kind(r) == RT_ERROR ? r : rt_error_of(r);
    if (s->err != r)
      rt_decref(r);
    return false;
  }
  return r->u.b;
}

static void merge_sort(SortCtx *s, size_t *idx, size_t *tmp, size_t n) {
  if (n < 2)
    return;
  size_t h = n / 2;
  merge_sort(s, idx, tmp, h);
  merge_sort(s, idx + h, tmp, n - h);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n)
    tmp[k++] = before(s, idx[j], idx[i]) ? idx[j++] : idx[i++];
  while (i < h)
    tmp[k++] = idx[i++];
  while (j < n)
    tmp[k++] = idx[j++];
  memcpy(idx, tmp, n * sizeof *idx);
}

/* `items` sorted by `keys` (both lists of the same length): a new list, or
 * the first comparison's error. Takes neither. */
static RtValue *sort_by(RtValue *items, RtValue *keys, bool reverse) {
  size_t n = rt_len(items);
  size_t *idx = rt_xmalloc((n + 1) * sizeof *idx), *tmp = rt_xmalloc((n + 1) * sizeof *tmp);
  for (size_t i = 0; i < n; i++)
    idx[i] = i;
  SortCtx s = {keys->u.list.items, reverse, NULL};
  merge_sort(&s, idx, tmp, n);
  RtValue *out = s.err;
  if (!out) {
    out = rt_list_new(n);
    for (size_t i = 0; i < n; i++)
      rt_list_push(out, rt_incref(rt_list_at(items, idx[i])));
  }
  free(idx);
  free(tmp);
  return out;
}

/* The first error or undefined among `keys`, as an error, or NULL. */
static RtValue *keys_error(RtValue *keys) {
  for (size_t i = 0; i < rt_len(keys); i++)
    if (rt_kind(rt_list_at(keys, i)) == RT_ERROR)
      return rt_incref(rt_list_at(keys, i));
  return NULL;
}

RtValue *rt_f_sort(RtFArgs *a) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  bool lower = !rt_arg_true(a->p[1], false);
  RtValue *keys = rt_list_new(rt_len(items));
  for (size_t i = 0; i < rt_len(items); i++)
    rt_list_push(keys, multi_key_of(rt_list_at(items, i), a->p[2], lower));
  RtValue *r = keys_error(keys);
  if (!r)
    r = sort_by(items, keys, rt_arg_true(a->p[0], false));
  rt_decref(keys);
  rt_decref(items);
  return r;
}

RtValue *rt_f_dictsort(RtFArgs *a) {
  if (rt_kind(a->base) != RT_DICT)
    return rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'items'", rt_type_name(a->base));
  const char *by = a->p[1] ? rt_arg_str(a->p[1]) : "key";
  if (!by || (strcmp(by, "key") && strcmp(by, "value")))
    return rt_error_exc(RT_EXC_FILTER_ARG, "You can only sort by either \"key\" or \"value\"");
  bool lower = !rt_arg_true(a->p[0], false), by_value = by[0] == 'v';
  size_t n = rt_len(a->base);
  RtValue *items = rt_list_new(n), *keys = rt_list_new(n);
  for (size_t i = 0; i < n; i++) {
    RtDictEntry *e = &a->base->u.dict.ents[i];
    RtValue *t = rt_tuple_new(2), *k = rt_dict_key_value(e->key);
    rt_list_push(t, k);
    rt_list_push(t, rt_incref(e->val));
    rt_list_push(items, t);
    rt_list_push(keys, lower ? lowered(by_value ? e->val : k) : rt_incref(by_value ? e->val : k));
  }
  RtValue *r = sort_by(items, keys, rt_arg_true(a->p[2], false));
  rt_decref(keys);
  rt_decref(items);
  return r;
}

/* ---- picking items ---- */

RtValue *rt_f_first(RtFArgs *a) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  RtValue *r = rt_len(items) ? rt_incref(rt_list_at(items, 0))
                             : rt_undef_at("", "No first item, sequence was empty.", a->loc);
  rt_decref(items);
  return r;
}

RtValue *rt_f_last(RtFArgs *a) {
  if (rt_kind(a->base) != RT_LIST && rt_kind(a->base) != RT_STR && rt_kind(a->base) != RT_DICT)
    return rt_type_error("'%s' object is not reversible", rt_type_name(a->base));
  RtValue *items = rt_iter_list(a->base);
  RtValue *r = rt_len(items) ? rt_incref(rt_list_at(items, rt_len(items) - 1))
                             : rt_undef_at("", "No last item, sequence was empty.", a->loc);
  rt_decref(items);
  return r;
}

RtValue *rt_f_list(RtFArgs *a) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_LIST && items == a->base) { /* a list of its own */
    rt_decref(items);
    return rt_list_copy(a->base);
  }
  return items;
}

RtValue *rt_f_reverse(RtFArgs *a) {
  RtValue *v = a->base;
  if (rt_kind(v) == RT_STR) {
    RtValue *chars = rt_iter_list(v);
    RtBuf b = {0};
    for (size_t i = rt_len(chars); i-- > 0;)
      rt_buf_add(&b, rt_list_at(chars, i)->u.str.s, rt_list_at(chars, i)->u.str.len);
    rt_decref(chars);
    return rt_buf_value(&b);
  }
  if (rt_kind(v) != RT_LIST && rt_kind(v) != RT_DICT)
    return rt_error_exc(RT_EXC_FILTER_ARG, "argument must be iterable");
  RtValue *items = rt_iter_list(v), *out = rt_list_new(rt_len(items));
  for (size_t i = rt_len(items); i-- > 0;)
    rt_list_push(out, rt_incref(rt_list_at(items, i)));
  rt_decref(items);
  return out;
}

RtValue *rt_f_items(RtFArgs *a) {
  if (rt_kind(a->base) == RT_UNDEF)
    return rt_list_new(0);
  if (rt_kind(a->base) != RT_DICT)
    return rt_type_error("Can only get item pairs from a mapping.");
  RtValue *out = rt_list_new(rt_len(a->base));
  for (size_t i = 0; i < rt_len(a->base); i++) {
    RtValue *t = rt_tuple_new(2);
    rt_list_push(t, rt_dict_key_value(a->base->u.dict.ents[i].key));
    rt_list_push(t, rt_incref(a->base->u.dict.ents[i].val));
    rt_list_push(out, t);
  }
  return out;
}

/* str(d).join(map(str, value)), with Jinja's attribute getter. */
RtValue *rt_f_join(RtFArgs *a) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  RtValue *sep = a->p[0] ? rt_to_str(a->p[0]) : rt_str("", 0);
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  RtValue *err = NULL;
  for (size_t i = 0; i < rt_len(items) && !err; i++) {
    RtValue *it = a->p[1] && rt_kind(a->p[1]) != RT_NONE ? rt_attr_path(rt_list_at(items, i), a->p[1], NULL)
                                                          : rt_incref(rt_list_at(items, i));
    if (rt_is_error(it))
      err = rt_error_of(it);
    else if (rt_too_deep(it))
      err = rt_too_deep_error();
    if (i)
      rt_buf_add(&b, sep->u.str.s, sep->u.str.len);
    if (!err)
      rt_render_str(&b, it);
    rt_decref(it);
  }
  rt_decref(sep);
  rt_decref(items);
  if (err) {
    rt_buf_free(&b);
    return err;
  }
  return rt_buf_value(&b);
}

/* Jinja's unique: the first item of each key (ignore_case unless
 * case_sensitive), by Python equality. */
static RtValue *unique_of(RtValue *items, bool lower, RtValue *attribute) {
  RtValue *out = rt_list_new(rt_len(items)), *seen = rt_list_new(rt_len(items));
  for (size_t i = 0; i < rt_len(items); i++) {
    RtValue *it = rt_list_at(items, i), *k = key_of(it, attribute, lower, NULL);
    if (rt_is_error(k)) {
      RtValue *e = rt_error_of(k);
      rt_decref(k);
      rt_decref(seen);
      rt_decref(out);
      return e;
    }
    bool dup = false;
    for (size_t j = 0; j < rt_len(seen) && !dup; j++)
      dup = rt_equal(rt_list_at(seen, j), k);
    if (dup) {
      rt_decref(k);
      continue;
    }
    rt_list_push(seen, k);
    rt_list_push(out, rt_incref(it));
  }
  rt_decref(seen);
  return out;
}

static bool hashable(const RtValue *v);

/* Ansible's unique: Jinja's (case-insensitive unless case_sensitive); on
 * unhashable items, Ansible's own equality-based version, which takes
 * neither case_sensitive=False nor attribute. */
RtValue *rt_f_unique(RtFArgs *a) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  bool jinja_ok = true;
  for (size_t i = 0; i < rt_len(items) && jinja_ok; i++) {
    RtValue *k = key_of(rt_list_at(items, i), a->p[1], false, NULL);
    jinja_ok = rt_kind(k) == RT_UNDEF || hashable(k);
    rt_decref(k);
  }
  RtValue *r;
  if (jinja_ok) {
    r = unique_of(items, !rt_arg_true(a->p[0], false), a->p[1]);
  } else if ((a->p[0] && rt_kind(a->p[0]) != RT_NONE && !rt_pytruth(a->p[0])) ||
             (a->p[1] && rt_kind(a->p[1]) != RT_NONE)) {
    r = rt_error("Jinja2's unique filter failed and we cannot fall back to Ansible's version as it does not "
                 "support the parameters supplied");
  } else {
    r = unique_of(items, false, NULL);
  }
  rt_decref(items);
  return r;
}

/* min/max: the first item whose key is smallest (largest). */
static RtValue *min_max(RtFArgs *a, bool max) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  if (!rt_len(items)) {
    rt_decref(items);
    return rt_undef_at("", "No aggregated item, sequence was empty.", a->loc);
  }
  bool lower = !rt_arg_true(a->p[0], false);
  size_t best = 0;
  RtValue *bestkey = key_of(rt_list_at(items, 0), a->p[1], lower, NULL), *err = NULL;
  for (size_t i = 1; i < rt_len(items) && !err; i++) {
    RtValue *k = key_of(rt_list_at(items, i), a->p[1], lower, NULL);
    RtValue *c = rt_binop(max ? RT_OP_GT : RT_OP_LT, k, bestkey, NULL);
    if (rt_kind(c) != RT_BOOL) {
      err = rt_kind(c) == RT_ERROR ? rt_incref(c) : rt_error_of(c);
    } else if (c->u.b) {
      best = i;
      rt_decref(bestkey);
      bestkey = rt_incref(k);
    }
    rt_decref(c);
    rt_decref(k);
  }
  RtValue *r = err ? err : rt_incref(rt_list_at(items, best));
  rt_decref(bestkey);
  rt_decref(items);
  return r;
}

RtValue *rt_f_min(RtFArgs *a) { return min_max(a, false); }
RtValue *rt_f_max(RtFArgs *a) { return min_max(a, true); }

/* sum(iterable, start) with Python's + (numbers, lists); strings refused. */
RtValue *rt_f_sum(RtFArgs *a) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  RtValue *acc = a->p[1] ? rt_incref(a->p[1]) : rt_int(0);
  if (rt_kind(acc) == RT_STR) {
    rt_decref(acc);
    rt_decref(items);
    return rt_type_error("sum() can't sum strings [use ''.join(seq) instead]");
  }
  for (size_t i = 0; i < rt_len(items) && rt_kind(acc) != RT_ERROR; i++) {
    RtValue *it = a->p[0] && rt_kind(a->p[0]) != RT_NONE ? rt_attr_path(rt_list_at(items, i), a->p[0], NULL)
                                                          : rt_incref(rt_list_at(items, i));
    RtValue *next = rt_binop(RT_OP_ADD, acc, it, NULL);
    rt_decref(it);
    rt_decref(acc);
    acc = next;
  }
  rt_decref(items);
  return acc;
}

/* ---- batch, slice, groupby ---- */

RtValue *rt_f_batch(RtFArgs *a) {
  int64_t count;
  if (!rt_arg_int(a->p[0], &count))
    return rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(a->p[0]));
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  RtValue *out = rt_list_new(4), *tmp = rt_list_new(4);
  for (size_t i = 0; i < rt_len(items); i++) {
    if ((int64_t)rt_len(tmp) == count) {
      rt_list_push(out, tmp);
      tmp = rt_list_new(4);
    }
    rt_list_push(tmp, rt_incref(rt_list_at(items, i)));
  }
  if (rt_len(tmp)) {
    if (a->p[1] && rt_kind(a->p[1]) != RT_NONE)
      while ((int64_t)rt_len(tmp) < count)
        rt_list_push(tmp, rt_incref(a->p[1]));
    rt_list_push(out, tmp);
  } else {
    rt_decref(tmp);
  }
  rt_decref(items);
  return out;
}

RtValue *rt_f_slice(RtFArgs *a) {
  int64_t slices;
  if (!rt_arg_int(a->p[0], &slices))
    return rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(a->p[0]));
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  int64_t len = (int64_t)rt_len(items);
  if (slices == 0) {
    rt_decref(items);
    return rt_error_exc(RT_EXC_ZERO_DIVISION, "integer division or modulo by zero");
  }
  if (slices < 0 || slices > (int64_t)RT_ARITH_MAX_ITEMS) {
    rt_decref(items);
    return slices < 0 ? rt_list_new(0) : rt_error_exc(RT_EXC_MEMORY, "too many slices");
  }
  int64_t per = len / slices, extra = len % slices, offset = 0;
  RtValue *out = rt_list_new((size_t)slices);
  for (int64_t n = 0; n < slices; n++) {
    int64_t start = offset + n * per;
    if (n < extra)
      offset++;
    int64_t end = offset + (n + 1) * per;
    RtValue *tmp = rt_list_new((size_t)(end - start + 1));
    for (int64_t i = start; i < end && i < len; i++)
      rt_list_push(tmp, rt_incref(rt_list_at(items, (size_t)i)));
    if (a->p[1] && rt_kind(a->p[1]) != RT_NONE && n >= extra)
      rt_list_push(tmp, rt_incref(a->p[1]));
    rt_list_push(out, tmp);
  }
  rt_decref(items);
  return out;
}

RtValue *rt_f_groupby(RtFArgs *a) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  bool lower = !rt_arg_true(a->p[2], false);
  RtValue *dflt = a->p[1] && rt_kind(a->p[1]) != RT_NONE ? a->p[1] : NULL;
  RtValue *keys = rt_list_new(rt_len(items));
  for (size_t i = 0; i < rt_len(items); i++)
    rt_list_push(keys, key_of(rt_list_at(items, i), a->p[0], lower, dflt));
  RtValue *sorted = keys_error(keys);
  if (!sorted)
    sorted = sort_by(items, keys, false);
  rt_decref(keys);
  rt_decref(items);
  if (rt_kind(sorted) == RT_ERROR)
    return sorted;
  RtValue *out = rt_list_new(4), *group = NULL, *gkey = NULL;
  for (size_t i = 0; i <= rt_len(sorted); i++) {
    RtValue *it = i < rt_len(sorted) ? rt_list_at(sorted, i) : NULL;
    RtValue *k = it ? key_of(it, a->p[0], lower, dflt) : NULL;
    if (group && (!k || !rt_equal(k, gkey))) {
      RtValue *t = rt_tuple_new(2);
      rt_list_push(t, lower ? key_of(rt_list_at(group, 0), a->p[0], false, dflt) : rt_incref(gkey));
      rt_list_push(t, group);
      rt_list_push(out, t);
      rt_decref(gkey);
      group = NULL;
    }
    if (!k)
      break;
    if (!group) {
      group = rt_list_new(2);
      gkey = rt_incref(k);
    }
    rt_list_push(group, rt_incref(it));
    rt_decref(k);
  }
  rt_decref(sorted);
  return out;
}

/* ---- map, select, reject ---- */

RtValue *rt_f_map(RtFArgs *a) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  RtValue *out = rt_list_new(rt_len(items));
  if (!rt_len(items))
    goto done;
  RtValue *attribute = a->kw ? rt_dict_get(a->kw, "attribute") : NULL;
  if (!a->rest && attribute) {
    RtValue *dflt = rt_dict_get(a->kw, "default");
    for (size_t k = 0; k < rt_len(a->kw); k++) {
      const char *kn = a->kw->u.dict.ents[k].key->u.str.s;
      if (strcmp(kn, "attribute") && strcmp(kn, "default")) {
        rt_decref(out);
        rt_decref(items);
        return rt_error_exc(RT_EXC_FILTER_ARG, "Unexpected keyword argument '%s'", kn);
      }
    }
    for (size_t i = 0; i < rt_len(items); i++)
      rt_list_push(out, rt_attr_path(rt_list_at(items, i), attribute, dflt && rt_kind(dflt) != RT_NONE ? dflt : NULL));
    goto done;
  }
  if (!a->rest || !rt_len(a->rest)) {
    rt_decref(out);
    rt_decref(items);
    return rt_error_exc(RT_EXC_FILTER_ARG, "map requires a filter argument");
  }
  RtValue *name = rt_list_at(a->rest, 0);
  if (rt_kind(name) != RT_STR) {
    rt_decref(out);
    rt_decref(items);
    return rt_error("No filter named '%s'.", "?");
  }
  RtValue *args = rt_list_new(rt_len(a->rest));
  for (size_t i = 1; i < rt_len(a->rest); i++)
    rt_list_push(args, rt_incref(rt_list_at(a->rest, i)));
  for (size_t i = 0; i < rt_len(items); i++) {
    RtValue *r = rt_filter_call(name->u.str.s, rt_list_at(items, i), args, a->kw, a->loc);
    if (rt_kind(r) == RT_ERROR) {
      rt_decref(args);
      rt_decref(out);
      rt_decref(items);
      return r;
    }
    rt_list_push(out, r);
  }
  rt_decref(args);
done:
  rt_decref(items);
  return out;
}

/* select/reject(attr): keep the items whose (attribute's) test passes
 * (fails); without a test name, Python truthiness. */
static RtValue *select_reject(RtFArgs *a, bool keep, bool attr) {
  RtValue *items = rt_iter_list(a->base);
  if (rt_kind(items) == RT_ERROR)
    return items;
  RtValue *out = rt_list_new(rt_len(items));
  if (!rt_pytruth(a->base))
    goto done;
  size_t nrest = a->rest ? rt_len(a->rest) : 0, off = attr ? 1 : 0;
  if (attr && !nrest) {
    rt_decref(out);
    rt_decref(items);
    return rt_error_exc(RT_EXC_FILTER_ARG, "Missing parameter for attribute name");
  }
  RtValue *attribute = attr ? rt_list_at(a->rest, 0) : NULL;
  RtValue *name = nrest > off ? rt_list_at(a->rest, off) : NULL;
  RtValue *args = rt_list_new(nrest);
  for (size_t i = off + 1; i < nrest; i++)
    rt_list_push(args, rt_incref(rt_list_at(a->rest, i)));
  for (size_t i = 0; i < rt_len(items); i++) {
    RtValue *it = rt_list_at(items, i);
    RtValue *v = attr ? rt_attr_path(it, attribute, NULL) : rt_incref(it);
    RtValue *r;
    if (name) {
      r = rt_kind(name) == RT_STR ? rt_test_call(name->u.str.s, v, args, a->kw, a->loc)
                                  : rt_error("No test named %s.", rt_type_name(name));
    } else {
      RtValue *err = NULL;
      int t = rt_truth(v, &err);
      r = t < 0 ? err : rt_bool(t);
    }
    rt_decref(v);
    if (rt_kind(r) != RT_BOOL) {
      RtValue *e = rt_kind(r) == RT_ERROR ? rt_incref(r) : rt_pytruth(r) ? rt_bool(true) : rt_bool(false);
      rt_decref(r);
      if (rt_kind(e) == RT_ERROR) {
        rt_decref(args);
        rt_decref(out);
        rt_decref(items);
        return e;
      }
      r = e;
    }
    if (r->u.b == keep)
      rt_list_push(out, rt_incref(it));
  }
  rt_decref(args);
done:
  rt_decref(items);
  return out;
}

RtValue *rt_f_select(RtFArgs *a) { return select_reject(a, true, false); }
RtValue *rt_f_reject(RtFArgs *a) { return select_reject(a, false, false); }
RtValue *rt_f_selectattr(RtFArgs *a) { return select_reject(a, true, true); }
RtValue *rt_f_rejectattr(RtFArgs *a) { return select_reject(a, false, true); }

/* ---- Ansible's list filters ---- */

static bool is_sequence(const RtValue *v) { return rt_kind(v) == RT_LIST; }

static bool null_like(const RtValue *v) {
  return rt_kind(v) == RT_NONE ||
         (rt_kind(v) == RT_STR && ((v->u.str.len == 4 && memcmp(v->u.str.s, "None", 4) == 0) ||
                                   (v->u.str.len == 4 && memcmp(v->u.str.s, "null", 4) == 0)));
}

/* Ansible's flatten(mylist, levels, skip_nulls). */
static RtValue *flatten_into(RtValue *out, RtValue *v, int64_t levels, bool skip_nulls, int depth) {
  RtValue *items = rt_iter_list(v);
  if (rt_kind(items) == RT_ERROR)
    return items;
  for (size_t i = 0; i < rt_len(items); i++) {
    RtValue *e = rt_list_at(items, i);
    if (skip_nulls && null_like(e))
      continue;
    if (is_sequence(e) && (levels < 0 || levels >= 1) && depth < RT_MAX_DEPTH) {
      RtValue *err = flatten_into(out, e, levels < 0 ? -1 : levels - 1, skip_nulls, depth + 1);
      if (err) {
        rt_decref(items);
        return err;
      }
    } else {
      rt_list_push(out, rt_incref(e));
    }
  }
  rt_decref(items);
  return NULL;
}

RtValue *rt_f_flatten(RtFArgs *a) {
  int64_t levels = -1;
  if (a->p[0] && rt_kind(a->p[0]) != RT_NONE && !rt_arg_int(a->p[0], &levels))
    return rt_type_error("'>=' not supported between instances of '%s' and 'int'", rt_type_name(a->p[0]));
  if (levels < -1)
    levels = 0;
  RtValue *out = rt_list_new(4);
  RtValue *err = flatten_into(out, a->base, levels, rt_arg_true(a->p[1], true), 0);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

/* Python's Hashable: scalars and tuples of them (lists and dicts are not). */
static bool hashable(const RtValue *v) { return rt_kind(v) != RT_LIST && rt_kind(v) != RT_DICT; }

static bool list_has(RtValue *l, RtValue *x) {
  for (size_t i = 0; i < rt_len(l); i++)
    if (rt_equal(rt_list_at(l, i), x))
      return true;
  return false;
}

/* The set operations. Two hashable values (strings) are Python sets, whose
 * order is the interpreter's hash order; playc keeps first occurrences. */
enum { SET_UNION, SET_INTERSECT, SET_DIFFERENCE, SET_SYMMETRIC };

static RtValue *set_op(RtFArgs *a, int op) {
  RtValue *la = rt_iter_list(a->base);
  if (rt_kind(la) == RT_ERROR)
    return la;
  RtValue *lb = rt_iter_list(a->p[0]);
  if (rt_kind(lb) == RT_ERROR) {
    rt_decref(la);
    return lb;
  }
  RtValue *tmp = rt_list_new(rt_len(la) + rt_len(lb));
  if (op == SET_UNION) {
    for (size_t i = 0; i < rt_len(la); i++)
      rt_list_push(tmp, rt_incref(rt_list_at(la, i)));
    for (size_t i = 0; i < rt_len(lb); i++)
      rt_list_push(tmp, rt_incref(rt_list_at(lb, i)));
  } else if (op == SET_SYMMETRIC) {
    for (size_t i = 0; i < rt_len(la); i++)
      if (!list_has(lb, rt_list_at(la, i)))
        rt_list_push(tmp, rt_incref(rt_list_at(la, i)));
    for (size_t i = 0; i < rt_len(lb); i++)
      if (!list_has(la, rt_list_at(lb, i)))
        rt_list_push(tmp, rt_incref(rt_list_at(lb, i)));
  } else {
    for (size_t i = 0; i < rt_len(la); i++)
      if (list_has(lb, rt_list_at(la, i)) == (op == SET_INTERSECT))
        rt_list_push(tmp, rt_incref(rt_list_at(la, i)));
  }
  RtValue *r = unique_of(tmp, false, NULL);
  rt_decref(tmp);
  rt_decref(la);
  rt_decref(lb);
  return r;
}

RtValue *rt_f_union(RtFArgs *a) { return set_op(a, SET_UNION); }
RtValue *rt_f_intersect(RtFArgs *a) { return set_op(a, SET_INTERSECT); }
RtValue *rt_f_difference(RtFArgs *a) { return set_op(a, SET_DIFFERENCE); }
RtValue *rt_f_symmetric_difference(RtFArgs *a) { return set_op(a, SET_SYMMETRIC); }

/* The iterables of zip/product: the value, then the extra positionals. */
static RtValue *iterables(RtFArgs *a) {
  RtValue *all = rt_list_new(4);
  RtValue *first = rt_iter_list(a->base);
  if (rt_kind(first) == RT_ERROR) {
    rt_decref(all);
    return first;
  }
  rt_list_push(all, first);
  for (size_t i = 0; a->rest && i < rt_len(a->rest); i++) {
    RtValue *it = rt_iter_list(rt_list_at(a->rest, i));
    if (rt_kind(it) == RT_ERROR) {
      rt_decref(all);
      return it;
    }
    rt_list_push(all, it);
  }
  return all;
}

static RtValue *zip_common(RtFArgs *a, bool longest) {
  RtValue *all = iterables(a);
  if (rt_kind(all) == RT_ERROR)
    return all;
  size_t n = longest ? 0 : SIZE_MAX;
  for (size_t i = 0; i < rt_len(all); i++) {
    size_t len = rt_len(rt_list_at(all, i));
    n = longest ? (len > n ? len : n) : (len < n ? len : n);
  }
  if (!longest && !longest && a->p[0] && rt_pytruth(a->p[0]))
    for (size_t i = 0; i < rt_len(all); i++)
      if (rt_len(rt_list_at(all, i)) != n) {
        rt_decref(all);
        return rt_error_exc(RT_EXC_VALUE, "zip() argument %zu is %s than argument%s%s", i + 1,
                            rt_len(rt_list_at(all, i)) > n ? "longer" : "shorter", i > 1 ? "s 1-" : " ",
                            i > 1 ? "" : "1");
      }
  RtValue *fill = longest ? a->p[0] : NULL;
  RtValue *out = rt_list_new(n);
  for (size_t j = 0; j < n; j++) {
    RtValue *t = rt_tuple_new(rt_len(all));
    for (size_t i = 0; i < rt_len(all); i++) {
      RtValue *l = rt_list_at(all, i);
      rt_list_push(t, j < rt_len(l) ? rt_incref(rt_list_at(l, j)) : fill ? rt_incref(fill) : rt_none());
    }
    rt_list_push(out, t);
  }
  rt_decref(all);
  return out;
}

RtValue *rt_f_zip(RtFArgs *a) { return zip_common(a, false); }
RtValue *rt_f_zip_longest(RtFArgs *a) { return zip_common(a, true); }

/* A result of `count` tuples, within the size limit. */
static RtValue *too_many(double count) {
  if (count > (double)RT_ARITH_MAX_ITEMS)
    return rt_error_exc(RT_EXC_MEMORY, "the result would hold %.0f items, more than playc's limit of %zu", count,
                        RT_ARITH_MAX_ITEMS);
  return NULL;
}

RtValue *rt_f_product(RtFArgs *a) {
  int64_t repeat = 1;
  if (a->p[0] && !rt_arg_int(a->p[0], &repeat))
    return rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(a->p[0]));
  if (repeat < 0)
    return rt_error_exc(RT_EXC_VALUE, "repeat argument cannot be negative");
  RtValue *all = iterables(a);
  if (rt_kind(all) == RT_ERROR)
    return all;
  double count = 1;
  for (int64_t r = 0; r < repeat; r++)
    for (size_t i = 0; i < rt_len(all); i++)
      count *= (double)rt_len(rt_list_at(all, i));
  RtValue *e = too_many(count);
  if (e) {
    rt_decref(all);
    return e;
  }
  RtValue *acc = rt_list_new(1);
  rt_list_push(acc, rt_tuple_new(0));
  for (int64_t r = 0; r < repeat; r++)
    for (size_t i = 0; i < rt_len(all); i++) {
      RtValue *pool = rt_list_at(all, i), *next = rt_list_new(rt_len(acc) * rt_len(pool) + 1);
      for (size_t x = 0; x < rt_len(acc); x++)
        for (size_t y = 0; y < rt_len(pool); y++) {
          RtValue *t = rt_list_tuple(rt_list_copy(rt_list_at(acc, x)));
          rt_list_push(t, rt_incref(rt_list_at(pool, y)));
          rt_list_push(next, t);
        }
      rt_decref(acc);
      acc = next;
    }
  rt_decref(all);
  return acc;
}

/* permutations(r) and combinations(r) in itertools' order. */
static void perm_rec(RtValue *out, RtValue *pool, size_t *idx, bool *used, size_t depth, size_t r, bool comb,
                     size_t from) {
  if (depth == r) {
    RtValue *t = rt_tuple_new(r);
    for (size_t i = 0; i < r; i++)
      rt_list_push(t, rt_incref(rt_list_at(pool, idx[i])));
    rt_list_push(out, t);
    return;
  }
  for (size_t i = comb ? from : 0; i < rt_len(pool); i++) {
    if (!comb && used[i])
      continue;
    used[i] = true;
    idx[depth] = i;
    perm_rec(out, pool, idx, used, depth + 1, r, comb, i + 1);
    used[i] = false;
  }
}

static RtValue *perm_comb(RtFArgs *a, bool comb) {
  RtValue *pool = rt_iter_list(a->base);
  if (rt_kind(pool) == RT_ERROR)
    return pool;
  size_t n = rt_len(pool);
  int64_t r = (int64_t)n;
  if (a->p[0] && rt_kind(a->p[0]) != RT_NONE && !rt_arg_int(a->p[0], &r)) {
    rt_decref(pool);
    return rt_type_error("Expected int as r");
  }
  if (r < 0) {
    rt_decref(pool);
    return rt_error_exc(RT_EXC_VALUE, "r must be non-negative");
  }
  if ((size_t)r > n) {
    rt_decref(pool);
    return rt_list_new(0);
  }
  double count = 1;
  for (int64_t k = 0; k < r; k++)
    count = comb ? count * (double)(n - (size_t)k) / (double)(k + 1) : count * (double)(n - (size_t)k);
  RtValue *e = too_many(count);
  if (e) {
    rt_decref(pool);
    return e;
  }
  RtValue *out = rt_list_new((size_t)count + 1);
  size_t *idx = rt_xcalloc((size_t)r + 1, sizeof *idx);
  bool *used = rt_xcalloc(n + 1, sizeof *used);
  perm_rec(out, pool, idx, used, 0, (size_t)r, comb, 0);
  free(idx);
  free(used);
  rt_decref(pool);
  return out;
}

RtValue *rt_f_permutations(RtFArgs *a) { return perm_comb(a, false); }
RtValue *rt_f_combinations(RtFArgs *a) {
  if (rt_kind(a->p[0]) == RT_NONE)
    return rt_type_error("'NoneType' object cannot be interpreted as an integer");
  return perm_comb(a, true);
}

/* Ansible's subelements filter. */
RtValue *rt_f_subelements(RtFArgs *a) {
  RtValue *obj = a->base, *elems;
  if (rt_kind(obj) == RT_DICT) {
    elems = rt_list_new(rt_len(obj));
    for (size_t i = 0; i < rt_len(obj); i++)
      rt_list_push(elems, rt_incref(obj->u.dict.ents[i].val));
  } else if (rt_kind(obj) == RT_LIST) {
    elems = rt_incref(obj);
  } else {
    return rt_error("obj must be a list of dicts or a nested dict");
  }
  RtValue *path;
  if (rt_kind(a->p[0]) == RT_LIST)
    path = rt_incref(a->p[0]);
  else if (rt_kind(a->p[0]) == RT_STR)
    path = rt_text_split(a->p[0]->u.str.s, a->p[0]->u.str.len, ".", 1, -1);
  else {
    rt_decref(elems);
    return rt_type_error("subelements must be a list or a string");
  }
  bool skip = rt_arg_true(a->p[1], false);
  RtValue *out = rt_list_new(4), *err = NULL;
  for (size_t i = 0; i < rt_len(elems) && !err; i++) {
    RtValue *e = rt_list_at(elems, i), *values = rt_incref(e);
    bool skipped = false;
    for (size_t k = 0; k < rt_len(path) && !err; k++) {
      RtValue *sub = rt_list_at(path, k);
      if (rt_kind(values) == RT_DICT) {
        RtValue *v = rt_kind(sub) == RT_STR ? rt_dict_get(values, sub->u.str.s) : NULL;
        if (!v) {
          if (skip) {
            skipped = true;
            break;
          }
          RtBuf m = {0};
          rt_buf_puts(&m, "could not find ");
          rt_render_repr(&m, sub);
          rt_buf_puts(&m, " key in iterated item ");
          rt_render_repr(&m, values);
          err = rt_error("%s", m.data);
          rt_buf_free(&m);
          break;
        }
        rt_decref(values);
        values = rt_incref(v);
      } else {
        RtBuf m = {0};
        rt_render_str(&m, values);
        RtValue *s = rt_to_str(sub);
        err = rt_type_error("the key %s should point to a dictionary, got '%s'", s->u.str.s, m.data ? m.data : "");
        rt_decref(s);
        rt_buf_free(&m);
      }
    }
    if (!err && !skipped && rt_kind(values) != RT_LIST) {
      RtBuf m = {0};
      rt_buf_puts(&m, "the key ");
      rt_render_repr(&m, rt_list_at(path, rt_len(path) - 1));
      rt_buf_puts(&m, " should point to a list, got ");
      rt_render_repr(&m, values);
      err = rt_type_error("%s", m.data);
      rt_buf_free(&m);
    }
    for (size_t j = 0; !err && !skipped && j < rt_len(values); j++) {
      RtValue *t = rt_tuple_new(2);
      rt_list_push(t, rt_incref(e));
      rt_list_push(t, rt_incref(rt_list_at(values, j)));
      rt_list_push(out, t);
    }
    rt_decref(values);
  }
  rt_decref(path);
  rt_decref(elems);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

/* Python's type(x) as "<class 'list'>". */
static char *class_repr(const RtValue *v) { return rt_xasprintf("<class '%s'>", rt_type_name(v)); }

RtValue *rt_f_dict2items(RtFArgs *a) {
  if (rt_kind(a->base) != RT_DICT) {
    char *c = class_repr(a->base);
    RtValue *e = rt_type_error("dict2items requires a dictionary, got %s instead.", c);
    free(c);
    return e;
  }
  RtValue *kn = a->p[0] ? a->p[0] : NULL, *vn = a->p[1] ? a->p[1] : NULL;
  RtValue *kname = kn ? rt_to_str(kn) : rt_strz("key"), *vname = vn ? rt_to_str(vn) : rt_strz("value");
  RtValue *out = rt_list_new(rt_len(a->base));
  for (size_t i = 0; i < rt_len(a->base); i++) {
    RtValue *d = rt_dict_new(2);
    rt_dict_put(d, kname->u.str.s, kname->u.str.len, rt_dict_key_value(a->base->u.dict.ents[i].key));
    rt_dict_put(d, vname->u.str.s, vname->u.str.len, rt_incref(a->base->u.dict.ents[i].val));
    rt_list_push(out, d);
  }
  rt_decref(kname);
  rt_decref(vname);
  return out;
}

RtValue *rt_f_items2dict(RtFArgs *a) {
  if (rt_kind(a->base) != RT_LIST) {
    char *c = class_repr(a->base);
    RtValue *e = rt_type_error("items2dict requires a list, got %s instead.", c);
    free(c);
    return e;
  }
  RtValue *kname = a->p[0] ? rt_to_str(a->p[0]) : rt_strz("key"), *vname = a->p[1] ? rt_to_str(a->p[1]) : rt_strz("value");
  RtValue *out = rt_dict_new(rt_len(a->base)), *err = NULL;
  for (size_t i = 0; i < rt_len(a->base) && !err; i++) {
    RtValue *it = rt_list_at(a->base, i);
    if (rt_kind(it) != RT_DICT) {
      RtBuf m = {0};
      rt_render_str(&m, a->base);
      err = rt_type_error("items2dict requires a list of dictionaries, got %s instead.", m.data);
      rt_buf_free(&m);
      break;
    }
    RtValue *k = rt_dict_get(it, kname->u.str.s), *v = rt_dict_get(it, vname->u.str.s);
    if (!k || !v) {
      RtBuf m = {0};
      rt_render_str(&m, a->base);
      err = rt_type_error("items2dict requires each dictionary in the list to contain the keys '%s' and '%s', got "
                          "%s instead.",
                          kname->u.str.s, vname->u.str.s, m.data);
      rt_buf_free(&m);
      break;
    }
    RtValue *key = rt_dict_key_encode(k); /* any hashable key, as dict() takes */
    if (rt_is_error(key)) {
      err = key;
      break;
    }
    rt_dict_put_key(out, key, rt_incref(v));
    rt_decref(key);
  }
  rt_decref(kname);
  rt_decref(vname);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

/* The first undefined value inside `v`, or NULL (recursive_check_defined). */
static RtValue *find_undefined(RtValue *v, int depth) {
  if (rt_is_error(v))
    return v;
  if (depth > RT_MAX_DEPTH)
    return NULL;
  if (rt_kind(v) == RT_LIST)
    for (size_t i = 0; i < rt_len(v); i++) {
      RtValue *u = find_undefined(rt_list_at(v, i), depth + 1);
      if (u)
        return u;
    }
  if (rt_kind(v) == RT_DICT)
    for (size_t i = 0; i < rt_len(v); i++) {
      RtValue *u = find_undefined(v->u.dict.ents[i].val, depth + 1);
      if (u)
        return u;
    }
  return NULL;
}

/* Ansible's merge_hash(x, y, recursive, list_merge). */
static RtValue *merge_hash(RtValue *x, RtValue *y, bool recursive, const char *list_merge, int depth) {
  if (rt_kind(x) != RT_DICT || rt_kind(y) != RT_DICT) {
    RtBuf m = {0};
    rt_buf_printf(&m, "failed to combine variables, expected dicts but got a '%s' and a '%s': \n", rt_type_name(x),
                  rt_type_name(y));
    rt_render_json(&m, x, -1, false);
    rt_buf_putc(&m, '\n');
    rt_render_json(&m, y, -1, false);
    RtValue *e = rt_error("%s", m.data);
    rt_buf_free(&m);
    return e;
  }
  if (rt_len(x) == 0 || rt_equal(x, y))
    return rt_dict_copy(y);
  RtValue *out = rt_dict_copy(x);
  for (size_t i = 0; i < rt_len(y); i++) {
    RtValue *key = y->u.dict.ents[i].key, *yv = y->u.dict.ents[i].val;
    RtValue *xv = rt_dict_get_n(out, key->u.str.s, key->u.str.len);
    RtValue *nv;
    if (!xv || (!recursive && strcmp(list_merge, "replace") == 0)) {
      nv = rt_incref(yv);
    } else if (rt_kind(xv) == RT_DICT && rt_kind(yv) == RT_DICT) {
      nv = recursive && depth < RT_MAX_DEPTH ? merge_hash(xv, yv, recursive, list_merge, depth + 1) : rt_incref(yv);
      if (rt_kind(nv) == RT_ERROR) {
        rt_decref(out);
        return nv;
      }
    } else if (rt_kind(xv) == RT_LIST && rt_kind(yv) == RT_LIST) {
      nv = rt_list_new(rt_len(xv) + rt_len(yv));
      bool prepend = strncmp(list_merge, "prepend", 7) == 0, rp = strstr(list_merge, "_rp") != NULL;
      if (strcmp(list_merge, "replace") == 0) {
        rt_decref(nv);
        nv = rt_incref(yv);
      } else if (strcmp(list_merge, "keep") == 0) {
        rt_decref(nv);
        nv = rt_incref(xv);
      } else {
        if (prepend)
          for (size_t k = 0; k < rt_len(yv); k++)
            rt_list_push(nv, rt_incref(rt_list_at(yv, k)));
        for (size_t k = 0; k < rt_len(xv); k++)
          if (!rp || !list_has(yv, rt_list_at(xv, k)))
            rt_list_push(nv, rt_incref(rt_list_at(xv, k)));
        if (!prepend)
          for (size_t k = 0; k < rt_len(yv); k++)
            rt_list_push(nv, rt_incref(rt_list_at(yv, k)));
      }
    } else {
      nv = rt_incref(yv);
    }
    rt_dict_put_key(out, key, nv);
  }
  return out;
}

RtValue *rt_f_combine(RtFArgs *a) {
  bool recursive = rt_arg_true(a->p[0], false);
  const char *list_merge = a->p[1] ? rt_arg_str(a->p[1]) : "replace";
  static const char *const modes[] = {"replace", "keep", "append", "prepend", "append_rp", "prepend_rp"};
  bool ok = false;
  for (int i = 0; list_merge && i < 6; i++)
    ok |= strcmp(list_merge, modes[i]) == 0;
  RtValue *terms = rt_list_new(4);
  rt_list_push(terms, rt_incref(a->base));
  for (size_t i = 0; a->rest && i < rt_len(a->rest); i++)
    rt_list_push(terms, rt_incref(rt_list_at(a->rest, i)));
  RtValue *dicts = rt_list_new(4);
  RtValue *err = flatten_into(dicts, terms, 1, true, 0);
  rt_decref(terms);
  if (!err) {
    RtValue *u = find_undefined(dicts, 0);
    if (u)
      err = rt_error_of(u);
  }
  if (err) {
    rt_decref(dicts);
    return err;
  }
  size_t n = rt_len(dicts);
  if (n == 0) {
    rt_decref(dicts);
    return rt_dict_new(0);
  }
  if (n == 1) {
    RtValue *r = rt_incref(rt_list_at(dicts, 0));
    rt_decref(dicts);
    return r;
  }
  if (!ok) {
    rt_decref(dicts);
    return rt_error("merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', 'prepend', "
                    "'append_rp' or 'prepend_rp'");
  }
  RtValue *result = rt_incref(rt_list_at(dicts, n - 1));
  for (size_t i = n - 1; i-- > 0;) {
    RtValue *next = merge_hash(rt_list_at(dicts, i), result, recursive, list_merge, 0);
    rt_decref(result);
    result = next;
    if (rt_kind(result) == RT_ERROR)
      break;
  }
  rt_decref(dicts);
  return result;
}

RtValue *rt_f_extract(RtFArgs *a) {
  RtValue *keys = rt_list_new(4);
  rt_list_push(keys, rt_incref(a->base));
  RtValue *more = a->p[1];
  if (more && rt_kind(more) == RT_LIST)
    for (size_t i = 0; i < rt_len(more); i++)
      rt_list_push(keys, rt_incref(rt_list_at(more, i)));
  else if (more && rt_kind(more) != RT_NONE)
    rt_list_push(keys, rt_incref(more));
  RtValue *v = rt_incref(a->p[0]);
  for (size_t i = 0; i < rt_len(keys); i++) {
    RtValue *next = rt_getitem(v, rt_list_at(keys, i), a->loc);
    rt_decref(v);
    v = next;
  }
  rt_decref(keys);
  return v;
}

RtValue *rt_f_rekey_on_member(RtFArgs *a) {
  const char *dup = a->p[1] ? rt_arg_str(a->p[1]) : "error";
  if (!dup || (strcmp(dup, "error") && strcmp(dup, "overwrite"))) {
    RtValue *s = rt_to_str(a->p[1]);
    RtValue *e = rt_error("duplicates parameter to rekey_on_member has unknown value: %s", s->u.str.s);
    rt_decref(s);
    return e;
  }
  RtValue *items;
  if (rt_kind(a->base) == RT_DICT) {
    items = rt_list_new(rt_len(a->base));
    for (size_t i = 0; i < rt_len(a->base); i++)
      rt_list_push(items, rt_incref(a->base->u.dict.ents[i].val));
  } else if (rt_kind(a->base) == RT_LIST) {
    items = rt_incref(a->base);
  } else {
    return rt_type_error("Type is not a valid list, set, or dict");
  }
  RtValue *out = rt_dict_new(4), *err = NULL;
  for (size_t i = 0; i < rt_len(items) && !err; i++) {
    RtValue *it = rt_list_at(items, i);
    if (rt_kind(it) != RT_DICT) {
      err = rt_type_error("List item is not a valid dict");
      break;
    }
    RtValue *k = rt_kind(a->p[0]) == RT_STR ? rt_dict_get(it, a->p[0]->u.str.s) : NULL;
    if (!k) {
      RtValue *s = rt_to_str(a->p[0]);
      err = rt_error("Key %s was not found", s->u.str.s);
      rt_decref(s);
      break;
    }
    RtValue *ks = rt_to_str(k), *key = rt_dict_key_encode(k), *had = NULL;
    if (rt_is_error(key))
      err = rt_incref(key);
    else if ((had = rt_dict_get_n(out, key->u.str.s, key->u.str.len)) && rt_pytruth(had) && dup[0] == 'e')
      err = rt_error("Key %s is not unique, cannot correctly turn into dict", ks->u.str.s);
    else
      rt_dict_put_key(out, key, rt_incref(it));
    rt_decref(key);
    rt_decref(ks);
  }
  rt_decref(items);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

/* range(stop), range(start, stop[, step]): Jinja's global, Python's range
 * made a list (Ansible's environment is not sandboxed: no MAX_RANGE; a range
 * past RT_RANGE_MAX items is a MemoryError here rather than a controller
 * that allocates until it dies). */
#define RT_RANGE_MAX 100000000LL
static bool range_int(RtValue *v, int64_t *out, RtValue **err) {
  if (rt_kind(v) != RT_INT && rt_kind(v) != RT_BOOL) {
    *err = rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(v));
    return false;
  }
  *out = rt_as_int(v);
  return true;
}

RtValue *rt_g_range(RtFArgs *a) {
  int64_t start = 0, stop = 0, step = 1;
  RtValue *err = NULL;
  if (!a->p[0]) {
    if (!range_int(a->base, &stop, &err))
      return err;
  } else if (!range_int(a->base, &start, &err) || !range_int(a->p[0], &stop, &err) ||
             (a->p[1] && !range_int(a->p[1], &step, &err))) {
    return err;
  }
  if (step == 0)
    return rt_error_exc(RT_EXC_VALUE, "range() arg 3 must not be zero");
  /* the count, without overflow: (stop - start + step -/+ 1) / step in 128 bits */
  __int128 span = step > 0 ? (__int128)stop - start : (__int128)start - stop;
  __int128 st = step > 0 ? step : -(__int128)step;
  __int128 n = span > 0 ? (span + st - 1) / st : 0;
  if (n > RT_RANGE_MAX)
    return rt_error_exc(RT_EXC_MEMORY, "range() of %lld items is more than playc builds (%lld)",
                        (long long)n, RT_RANGE_MAX);
  RtValue *l = rt_list_new((size_t)n);
  for (int64_t i = 0; i < (int64_t)n; i++)
    rt_list_push(l, rt_int((int64_t)(start + (__int128)i * step)));
  return l;
}
