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
