/*
 * tpl.c — template results as Ansible 2.14 produces them without native
 * types (template/native_helpers.py ansible_eval_concat): the rendered parts
 * are concatenated as text; a text that reads as a list, dict or bool literal
 * ("[...", "{...", "True", "False") becomes that value again. Conditionals
 * (when, changed_when, failed_when) use Jinja truthiness. The same buffer
 * builds `~` chains (plain str(), no conversion), and dict entries whose key
 * is computed at run time are put here too.
 */
#include "filters.h"
#include "rt.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct RtTpl {
  RtBuf text;   /* first, laid out as playc.h's RtTplText: generated code appends in place */
  RtValue *err; /* the first error met */
  bool unsafe;  /* an unsafe value was rendered: the result is unsafe too (Ansible's AnsibleContext) */
};

_Static_assert(offsetof(RtTpl, text) == 0 && offsetof(RtBuf, data) == offsetof(RtTplText, data) &&
                   offsetof(RtBuf, len) == offsetof(RtTplText, len) && offsetof(RtBuf, cap) == offsetof(RtTplText, cap),
               "RtTpl's text is the RtTplText head generated code writes");

RtTpl *rt_tpl_begin(void) {
  RtTpl *t = rt_xcalloc(1, sizeof *t);
  rt_buf_add(&t->text, "", 0);
  return t;
}

void rt_tpl_text(RtTpl *t, const char *s, size_t len) {
  rt_buf_add(&t->text, s, len);
}

/* Marks `r` (a new value, not shared yet) unsafe when `unsafe`; returns it. */
static RtValue *mark_unsafe(RtValue *r, bool unsafe) {
  if (!unsafe || rt_is_error(r))
    return r;
  if (rt_kind(r) == RT_STR) {
    r->flags |= RT_VF_UNSAFE;
    return r;
  }
  RtValue *w = rt_unsafe_wrap(r);
  rt_decref(r);
  return w;
}

void rt_tpl_value(RtTpl *t, RtValue *v) {
  switch (rt_kind(v)) { /* the common cases first: no further calls */
  case RT_STR:
    t->unsafe = t->unsafe || (v->flags & RT_VF_UNSAFE);
    rt_buf_add(&t->text, v->u.str.s, v->u.str.len);
    return;
  case RT_INT:
    if (rt_is_big(v))
      break; /* past 4300 digits str() fails */
    rt_buf_int(&t->text, v->u.i);
    return;
  default:
    break;
  }
  if (rt_is_error(v) || rt_too_deep(v)) {
    if (!t->err)
      t->err = rt_is_error(v) ? rt_error_of(v) : rt_too_deep_error();
    return;
  }
  RtValue *big_err = rt_bigint_str_error(v);
  if (big_err) {
    if (!t->err)
      t->err = big_err;
    else
      rt_decref(big_err);
    return;
  }
  if (!t->unsafe && rt_kind(v) >= RT_STR)
    t->unsafe = rt_value_unsafe(v);
  if (rt_kind(v) != RT_NONE) /* Ansible's finalize renders None as "" */
    rt_render_str(&t->text, v);
}

void rt_tpl_int(RtTpl *t, int64_t i) {
  rt_buf_int(&t->text, i);
}

/* The conversion of the rendered text back to a value. */
static RtValue *convert(char *text, size_t len) {
  if ((len && (text[0] == '[' || text[0] == '{')) || strcmp(text, "True") == 0 ||
      strcmp(text, "False") == 0) {
    RtValue *v = rt_parse_template_literal(text, len);
    if (v) {
      free(text);
      return v;
    }
  }
  return rt_str_take(text, len);
}

RtValue *rt_tpl_end(RtTpl *t) {
  RtValue *r;
  if (t->err) {
    r = t->err;
    rt_buf_free(&t->text);
  } else {
    size_t len = t->text.len;
    r = mark_unsafe(convert(rt_buf_take(&t->text), len), t->unsafe);
  }
  free(t);
  return r;
}

RtValue *rt_tpl_single(RtValue *v) {
  if (rt_is_error(v))
    return rt_error_of(v);
  if (rt_too_deep(v))
    return rt_too_deep_error();
  RtValue *too_long = rt_bigint_str_error(v); /* str() of an int past 4300 digits */
  if (too_long)
    return too_long;
  if ((rt_kind(v) == RT_LIST && !rt_is_tuple(v)) || rt_kind(v) == RT_DICT) /* a tuple's text "(1, 2)" stays text */
    return rt_unsafe_taint(rt_incref(v), v, NULL, NULL); /* str() then literal_eval gives the same value back */
  if (rt_kind(v) == RT_BOOL)
    return rt_incref(v);
  if (rt_kind(v) == RT_STR && (v->flags & RT_VF_NATIVE_TEXT))
    return rt_incref(v); /* NativeJinjaText (to_json, string ...): kept as text */
  RtBuf b = {0};
  if (rt_kind(v) != RT_NONE)
    rt_render_str(&b, v);
  if (!b.data)
    rt_buf_add(&b, "", 0);
  size_t len = b.len;
  return mark_unsafe(convert(rt_buf_take(&b), len), rt_kind(v) == RT_STR && (v->flags & RT_VF_UNSAFE));
}

int32_t rt_cond(RtValue *v, RtValue **err) {
  return rt_truth(v, err);
}

void rt_tpl_str(RtTpl *t, RtValue *v) {
  RtValue *too_long = rt_bigint_str_error(v); /* str() of an int past 4300 digits */
  if (rt_is_error(v) || too_long) {
    if (!t->err)
      t->err = too_long ? too_long : rt_error_of(v);
    else
      rt_decref(too_long);
    return;
  }
  if (!t->unsafe && rt_kind(v) >= RT_STR)
    t->unsafe = rt_value_unsafe(v);
  if (!t->err)
    rt_render_str(&t->text, v);
}

RtValue *rt_tpl_end_str(RtTpl *t) {
  RtValue *r;
  if (t->err) {
    r = t->err;
    rt_buf_free(&t->text);
  } else {
    size_t len = t->text.len;
    r = mark_unsafe(rt_str_take(rt_buf_take(&t->text), len), t->unsafe);
  }
  free(t);
  return r;
}

RtValue *rt_tpl_end_file(RtTpl *t, int64_t newlines, const char *nl, int64_t nllen) {
  if (!t->err) {
    int64_t have = 0;
    while ((size_t)have < t->text.len && t->text.data[t->text.len - 1 - (size_t)have] == '\n')
      have++;
    for (; have < newlines; have++)
      rt_buf_add(&t->text, nl, (size_t)nllen);
  }
  return rt_tpl_end_str(t);
}

RtValue *rt_dict_put_value(RtValue *d, RtValue *k, RtValue *v) {
  if (rt_is_error(d)) { /* an earlier entry failed: the dict is that error */
    rt_decref(v);
    return d;
  }
  RtValue *key = rt_dict_key_encode(k);
  if (rt_is_error(key)) {
    rt_decref(d);
    rt_decref(v);
    return key;
  }
  rt_dict_put_key(d, key, v);
  rt_decref(key);
  return d;
}

void rt_tpl_newlines(RtTpl *t, int32_t n) {
  int32_t have = 0;
  while ((size_t)have < t->text.len && have < n && t->text.data[t->text.len - 1 - (size_t)have] == '\n')
    have++;
  for (; have < n; have++)
    rt_buf_add(&t->text, "\n", 1);
}

RtValue *rt_tpl_type_error(RtValue *v, const char *src) {
  if (rt_kind(v) != RT_ERROR || v->u.err.exc != RT_EXC_TYPE)
    return v;
  RtValue *e = rt_error("Unexpected templating type error occurred on (%s): %s. %s", src, v->u.err.msg, v->u.err.msg);
  rt_decref(v);
  return e;
}

/* ---- filters printed straight into the text ----------------------------------- */

/* Whether every item of the list l is a str. */
static bool all_str(const RtValue *l) {
  for (size_t i = 0; i < l->u.list.len; i++)
    if (rt_kind(l->u.list.items[i]) != RT_STR)
      return false;
  return true;
}

/* What rt_tpl_value of the filter's result would add to t->unsafe: the
 * result (a str, or base itself for default) is tainted by any unsafe
 * operand or argument (rt_unsafe_taint), and unsafe itself when it is. */
static inline bool unsafe_of(const RtValue *v) {
  return v && (rt_kind(v) == RT_STR ? (v->flags & RT_VF_UNSAFE) != 0 : rt_value_unsafe(v)); /* a str: no call */
}

static void taint(RtTpl *t, const RtValue *base, const RtValue *a1, const RtValue *a2) {
  if (!t->unsafe)
    t->unsafe = unsafe_of(base) || unsafe_of(a1) || unsafe_of(a2);
}

/* Writes the result when the fast path applies; false otherwise. */
static bool tpl_filter_fast(RtTpl *t, int32_t which, RtValue *base, RtValue *a1, RtValue *a2) {
  switch (which) {
  case RT_TPLF_UPPER: case RT_TPLF_LOWER:
    if (rt_kind(base) != RT_STR || a1)
      return false;
    taint(t, base, NULL, NULL);
    (which == RT_TPLF_UPPER ? rt_text_upper : rt_text_lower)(&t->text, base->u.str.s, base->u.str.len);
    return true;
  case RT_TPLF_JOIN:
    if (rt_kind(base) != RT_LIST || (a1 && rt_kind(a1) != RT_STR) || a2 || !all_str(base))
      return false;
    taint(t, base, a1, NULL);
    for (size_t i = 0; i < base->u.list.len; i++) {
      const RtValue *it = base->u.list.items[i];
      if (i && a1)
        rt_buf_add(&t->text, a1->u.str.s, a1->u.str.len);
      rt_buf_add(&t->text, it->u.str.s, it->u.str.len);
    }
    return true;
  case RT_TPLF_REPLACE:
    if (rt_kind(base) != RT_STR || !a1 || !a2 || rt_kind(a1) != RT_STR || rt_kind(a2) != RT_STR)
      return false;
    taint(t, base, a1, a2);
    rt_text_replace(&t->text, base->u.str.s, base->u.str.len, a1->u.str.s, a1->u.str.len, a2->u.str.s, a2->u.str.len,
                    -1);
    return true;
  case RT_TPLF_DEFAULT: /* default(v): base unless undefined */
    if (!a1 || a2 || rt_kind(base) == RT_ERROR || rt_kind(a1) == RT_ERROR || rt_kind(a1) == RT_UNDEF)
      return false;
    if (rt_kind(base) == RT_UNDEF) {
      rt_tpl_value(t, a1);
      return true;
    }
    if (rt_kind(base) >= RT_STR && rt_kind(base) <= RT_DICT)
      taint(t, base, a1, NULL);
    rt_tpl_value(t, base);
    return true;
  default: return false;
  }
}

void rt_tpl_filter(RtTpl *t, int32_t which, const char *name, RtValue *base, RtValue *a1, RtValue *a2,
                   const RtLoc *loc) {
  if (tpl_filter_fast(t, which, base, a1, a2))
    return;
  RtValue *args = NULL;
  if (a1) {
    args = rt_list_new(a2 ? 2 : 1);
    rt_list_push(args, rt_incref(a1));
    if (a2)
      rt_list_push(args, rt_incref(a2));
  }
  RtValue *r = rt_filter(name, base, args, NULL, loc);
  rt_decref(args);
  rt_tpl_value(t, r);
  rt_decref(r);
}
