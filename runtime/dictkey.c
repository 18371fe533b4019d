/*
 * dictkey.c — dict keys that are not strings. Python's dicts take any
 * hashable key (int, float, bool, None, a tuple of those or of strings) and
 * Ansible's templates make them: `{1: 'a'}`, items2dict, rekey_on_member.
 * An entry's key stays an RT_STR so that every reader of string keys keeps
 * working; a key of another kind is "encoded": its bytes are 0xff (never in
 * UTF-8 text) then the key's canonical form, which is equal for keys Python
 * finds equal (1, 1.0 and True are all "1"), so the dict's index finds
 * them alike; after the bytes' NUL comes the key's own repr (RT_VF_KEY),
 * which rt_dict_key_value reads back: `{True: 'a', 1: 'b'}` is {True: 'b'},
 * as the first key stays.
 */
#include "filters.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool rt_dict_key_encoded(const RtValue *key) {
  return rt_kind(key) == RT_STR && key->u.str.len && (unsigned char)key->u.str.s[0] == 0xff;
}

/* The canonical form of hashable `v`: equal for keys Python finds equal.
 * False for an unhashable value (a list or dict). */
static bool canon(RtBuf *b, const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_NONE: rt_buf_puts(b, "None"); return true;
  case RT_BOOL: rt_buf_putc(b, v->u.b ? '1' : '0'); return true;
  case RT_INT: rt_buf_intval(b, v); return true;
  case RT_FLOAT:
    if (v->u.f == floor(v->u.f) && fabs(v->u.f) < 9e18) /* 1.0 is 1; -0.0 is 0 */
      rt_buf_printf(b, "%lld", (long long)v->u.f);
    else if (v->u.f == floor(v->u.f) && isfinite(v->u.f)) /* 1e19 is the int 10**19 */
      rt_bigint_canon_double(b, v->u.f);
    else
      rt_render_repr(b, v);
    return true;
  case RT_STR: rt_render_repr(b, v); return true; /* an item of a tuple */
  case RT_LIST:
    if (!rt_is_tuple(v))
      return false;
    rt_buf_putc(b, '(');
    for (size_t i = 0; i < v->u.list.len; i++) {
      if (i)
        rt_buf_puts(b, ", ");
      if (!canon(b, v->u.list.items[i]))
        return false;
    }
    rt_buf_putc(b, ')');
    return true;
  default: return false;
  }
}

RtValue *rt_dict_key_encode(RtValue *k) {
  if (rt_is_error(k))
    return rt_error_of(k);
  if (rt_kind(k) == RT_STR)
    return rt_incref(k);
  RtBuf b = {0};
  rt_buf_putc(&b, (char)0xff);
  if (!canon(&b, k)) {
    rt_buf_free(&b);
    return rt_type_error("unhashable type: '%s'", rt_type_name(k));
  }
  size_t len = b.len;
  rt_buf_putc(&b, '\0');
  rt_render_repr(&b, k);
  rt_buf_putc(&b, '\0');
  RtValue *key = rt_str_take(rt_buf_take(&b), len);
  key->flags |= RT_VF_KEY;
  return key;
}

RtValue *rt_dict_key_value(RtValue *key) {
  if (!rt_dict_key_encoded(key))
    return rt_incref(key);
  /* the key's repr; a key copied by its bytes alone has its canonical form */
  const char *s = key->flags & RT_VF_KEY ? key->u.str.s + key->u.str.len + 1 : key->u.str.s + 1;
  RtValue *v = rt_parse_pyliteral(s, strlen(s));
  if (v)
    return v;
  if (!strcmp(s, "inf") || !strcmp(s, "-inf"))
    return rt_float(s[0] == '-' ? -INFINITY : INFINITY);
  if (!strcmp(s, "nan"))
    return rt_float(NAN);
  return rt_strz(s);
}

void rt_dict_key_json(RtBuf *b, RtValue *key) {
  if (!rt_dict_key_encoded(key)) {
    rt_buf_add(b, key->u.str.s, key->u.str.len);
    return;
  }
  RtValue *v = rt_dict_key_value(key);
  switch (rt_kind(v)) {
  case RT_NONE: rt_buf_puts(b, "null"); break;
  case RT_BOOL: rt_buf_puts(b, v->u.b ? "true" : "false"); break;
  case RT_FLOAT:
    if (isinf(v->u.f) || isnan(v->u.f))
      rt_buf_puts(b, isnan(v->u.f) ? "NaN" : v->u.f < 0 ? "-Infinity" : "Infinity");
    else
      rt_render_repr(b, v);
    break;
  default: rt_render_str(b, v); break; /* int; a tuple Python's json refuses */
  }
  rt_decref(v);
}

RtValue *rt_dict_get_value(const RtValue *d, RtValue *k) {
  if (rt_kind(k) == RT_STR)
    return rt_dict_get_n(d, k->u.str.s, k->u.str.len);
  RtValue *key = rt_dict_key_encode(k);
  RtValue *v = rt_kind(key) == RT_STR ? rt_dict_get_n(d, key->u.str.s, key->u.str.len) : NULL;
  rt_decref(key);
  return v;
}

/* Python's `a < b` of two keys as programs see them: plain strings by
 * code points (their UTF-8 bytes order alike), other keys through the
 * runtime's comparison. A TypeError (NULL *err before) is left in *err. */
static bool key_less(const RtValue *ka, const RtValue *kb, RtValue *va, RtValue *vb, RtValue **err) {
  if (!va && !vb) {
    size_t n = ka->u.str.len < kb->u.str.len ? ka->u.str.len : kb->u.str.len;
    int c = memcmp(ka->u.str.s, kb->u.str.s, n);
    return c ? c < 0 : ka->u.str.len < kb->u.str.len;
  }
  RtValue *r = rt_binop(RT_OP_LT, va ? va : (RtValue *)ka, vb ? vb : (RtValue *)kb, NULL);
  bool lt = rt_kind(r) == RT_BOOL && r->u.b;
  if (rt_is_error(r) && !*err)
    *err = rt_incref(r);
  rt_decref(r);
  return lt;
}

/* Merge sort of positions [lo, hi) by key (stable, O(n log n) compares). */
static void sort_positions(const RtDictEntry **ents, RtValue **vals, size_t *pos, size_t *tmp, size_t lo,
                           size_t hi, RtValue **err) {
  if (hi - lo < 2 || *err)
    return;
  size_t mid = lo + (hi - lo) / 2, i = lo, j = mid, k = lo;
  sort_positions(ents, vals, pos, tmp, lo, mid, err);
  sort_positions(ents, vals, pos, tmp, mid, hi, err);
  while (i < mid && j < hi) {
    size_t a = pos[i], b = pos[j];
    tmp[k++] = key_less(ents[b]->key, ents[a]->key, vals[b], vals[a], err) ? pos[j++] : pos[i++];
  }
  while (i < mid)
    tmp[k++] = pos[i++];
  while (j < hi)
    tmp[k++] = pos[j++];
  memcpy(pos + lo, tmp + lo, (hi - lo) * sizeof *pos);
}

RtValue *rt_dict_sort_entries(const RtValue *d, const RtDictEntry **out) {
  size_t n = d->u.dict.len;
  const RtDictEntry **ents = rt_xcalloc(n + 1, sizeof *ents);
  RtValue **vals = rt_xcalloc(n + 1, sizeof *vals), *err = NULL;
  size_t *pos = rt_xcalloc(n + 1, sizeof *pos), *tmp = rt_xcalloc(n + 1, sizeof *tmp);
  for (size_t i = 0; i < n; i++) {
    ents[i] = &d->u.dict.ents[i];
    pos[i] = i;
    if (rt_dict_key_encoded(ents[i]->key))
      vals[i] = rt_dict_key_value(ents[i]->key);
  }
  /* Python's sort compares neighbours first: keys that do not order (1 and
   * 'a', None and anything) are its TypeError before any sorting */
  for (size_t i = 1; i < n && !err && (vals[i] || vals[i - 1]); i++)
    key_less(ents[i]->key, ents[i - 1]->key, vals[i], vals[i - 1], &err);
  sort_positions(ents, vals, pos, tmp, 0, n, &err);
  for (size_t i = 0; i < n; i++) {
    out[i] = ents[pos[i]];
    rt_decref(vals[i]);
  }
  free(ents), free(vals), free(pos), free(tmp);
  return err;
}
