/*
 * render.c — values as text, the way Python prints them, because Ansible's
 * output is Python's: str() for Jinja's {{ }} (repr() inside lists and
 * dicts, shortest round-trip floats, True/False/None), and json.dumps for the
 * callback's result dumps (sort_keys, ensure_ascii=False, indent or compact
 * ", "/": " separators).
 */
#include "rt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Python repr(float): shortest digits that round-trip, fixed notation for
 * exponents -4..15, else d.ddde+XX. */
static void render_float(RtBuf *b, double f, bool json) {
  if (isnan(f)) {
    rt_buf_puts(b, json ? "NaN" : "nan");
    return;
  }
  if (isinf(f)) {
    rt_buf_puts(b, f < 0 ? (json ? "-Infinity" : "-inf") : (json ? "Infinity" : "inf"));
    return;
  }
  char tmp[40];
  int prec;
  for (prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, f);
    if (strtod(tmp, NULL) == f)
      break;
  }
  /* tmp = [-]d.ddddde[+-]XX → digits and exponent */
  char digits[32];
  int nd = 0, exp10;
  const char *p = tmp;
  bool neg = *p == '-';
  if (neg)
    p++;
  for (; *p && *p != 'e'; p++)
    if (*p != '.')
      digits[nd++] = *p;
  exp10 = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = 0;
  if (neg)
    rt_buf_putc(b, '-');
  if (exp10 >= -4 && exp10 < 16) {
    if (exp10 < 0) {
      rt_buf_puts(b, "0.");
      for (int i = 0; i < -exp10 - 1; i++)
        rt_buf_putc(b, '0');
      rt_buf_puts(b, digits);
    } else if (nd <= exp10 + 1) {
      rt_buf_puts(b, digits);
      for (int i = nd; i < exp10 + 1; i++)
        rt_buf_putc(b, '0');
      rt_buf_puts(b, ".0");
    } else {
      rt_buf_add(b, digits, (size_t)exp10 + 1);
      rt_buf_putc(b, '.');
      rt_buf_puts(b, digits + exp10 + 1);
    }
  } else {
    rt_buf_putc(b, digits[0]);
    if (nd > 1) {
      rt_buf_putc(b, '.');
      rt_buf_puts(b, digits + 1);
    }
    rt_buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
  }
}

/* Python repr(str): quote choice and escapes as CPython's unicode_repr. */
static void repr_str(RtBuf *b, const char *s, size_t len) {
  bool sq = memchr(s, '\'', len) != NULL, dq = memchr(s, '"', len) != NULL;
  char q = sq && !dq ? '"' : '\'';
  rt_buf_putc(b, q);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == (unsigned char)q || c == '\\') {
      rt_buf_putc(b, '\\');
      rt_buf_putc(b, (char)c);
    } else if (c == '\n') {
      rt_buf_puts(b, "\\n");
    } else if (c == '\r') {
      rt_buf_puts(b, "\\r");
    } else if (c == '\t') {
      rt_buf_puts(b, "\\t");
    } else if (c < 0x20 || c == 0x7f) {
      rt_buf_printf(b, "\\x%02x", c);
    } else {
      rt_buf_putc(b, (char)c);
    }
  }
  rt_buf_putc(b, q);
}

static void render(RtBuf *b, const RtValue *v, bool repr) {
  switch (rt_kind(v)) {
  case RT_NONE:
    rt_buf_puts(b, "None");
    break;
  case RT_BOOL:
    rt_buf_puts(b, v->u.b ? "True" : "False");
    break;
  case RT_INT:
    rt_buf_intval(b, v);
    break;
  case RT_FLOAT:
    render_float(b, v->u.f, false);
    break;
  case RT_STR:
    if (rt_dict_key_encoded(v)) { /* a dict's key 1, None, (1, 2) */
      RtValue *k = rt_dict_key_value((RtValue *)v);
      render(b, k, repr);
      rt_decref(k);
    } else if (repr)
      repr_str(b, v->u.str.s, v->u.str.len);
    else
      rt_buf_add(b, v->u.str.s, v->u.str.len);
    break;
  case RT_LIST: {
    bool tuple = rt_is_tuple(v);
    rt_buf_putc(b, tuple ? '(' : '[');
    for (size_t i = 0; i < v->u.list.len; i++) {
      if (i)
        rt_buf_puts(b, ", ");
      render(b, v->u.list.items[i], true);
    }
    if (tuple && v->u.list.len == 1)
      rt_buf_putc(b, ','); /* (1,) */
    rt_buf_putc(b, tuple ? ')' : ']');
    break;
  }
  case RT_DICT:
    rt_buf_putc(b, '{');
    for (size_t i = 0; i < v->u.dict.len; i++) {
      if (i)
        rt_buf_puts(b, ", ");
      render(b, v->u.dict.ents[i].key, true);
      rt_buf_puts(b, ": ");
      render(b, v->u.dict.ents[i].val, true);
    }
    rt_buf_putc(b, '}');
    break;
  case RT_UNDEF:
    rt_buf_printf(b, "<undefined %s>", v->u.undef.name);
    break;
  case RT_ERROR:
    rt_buf_printf(b, "<error: %s>", v->u.err.msg);
    break;
  case RT_THUNK:
    rt_buf_printf(b, "<lazy %s>", v->u.thunk.name ? v->u.thunk.name : "");
    break;
  }
}

void rt_render_str(RtBuf *b, const RtValue *v) {
  render(b, v, false);
}

void rt_render_repr(RtBuf *b, const RtValue *v) {
  render(b, v, true);
}

static void json_str(RtBuf *b, const char *s, size_t len) {
  rt_buf_putc(b, '"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': rt_buf_puts(b, "\\\""); break;
    case '\\': rt_buf_puts(b, "\\\\"); break;
    case '\n': rt_buf_puts(b, "\\n"); break;
    case '\r': rt_buf_puts(b, "\\r"); break;
    case '\t': rt_buf_puts(b, "\\t"); break;
    case '\b': rt_buf_puts(b, "\\b"); break;
    case '\f': rt_buf_puts(b, "\\f"); break;
    default:
      if (c < 0x20)
        rt_buf_printf(b, "\\u%04x", c);
      else
        rt_buf_putc(b, (char)c);
    }
  }
  rt_buf_putc(b, '"');
}

static int cmp_entries(const void *a, const void *b) {
  const RtDictEntry *x = *(const RtDictEntry *const *)a, *y = *(const RtDictEntry *const *)b;
  size_t n = x->key->u.str.len < y->key->u.str.len ? x->key->u.str.len : y->key->u.str.len;
  int c = memcmp(x->key->u.str.s, y->key->u.str.s, n);
  if (c)
    return c;
  return x->key->u.str.len < y->key->u.str.len ? -1 : x->key->u.str.len > y->key->u.str.len;
}

static void newline(RtBuf *b, int indent, int level) {
  rt_buf_putc(b, '\n');
  for (int i = 0; i < indent * level; i++)
    rt_buf_putc(b, ' ');
}

static void json(RtBuf *b, const RtValue *v, int indent, bool sort, int level) {
  switch (rt_kind(v)) {
  case RT_NONE:
    rt_buf_puts(b, "null");
    break;
  case RT_BOOL:
    rt_buf_puts(b, v->u.b ? "true" : "false");
    break;
  case RT_INT:
    rt_buf_intval(b, v);
    break;
  case RT_FLOAT:
    render_float(b, v->u.f, true);
    break;
  case RT_STR:
    json_str(b, v->u.str.s, v->u.str.len);
    break;
  case RT_LIST:
    if (!v->u.list.len) {
      rt_buf_puts(b, "[]");
      break;
    }
    rt_buf_putc(b, '[');
    for (size_t i = 0; i < v->u.list.len; i++) {
      if (i)
        rt_buf_puts(b, indent >= 0 ? "," : ", ");
      if (indent >= 0)
        newline(b, indent, level + 1);
      json(b, v->u.list.items[i], indent, sort, level + 1);
    }
    if (indent >= 0)
      newline(b, indent, level);
    rt_buf_putc(b, ']');
    break;
  case RT_DICT: {
    size_t n = v->u.dict.len;
    if (!n) {
      rt_buf_puts(b, "{}");
      break;
    }
    const RtDictEntry **ents = rt_xcalloc(n + 1, sizeof *ents);
    bool encoded = false;
    for (size_t i = 0; i < n; i++) {
      ents[i] = &v->u.dict.ents[i];
      encoded |= rt_dict_key_encoded(ents[i]->key);
    }
    if (sort && !encoded)
      qsort(ents, n, sizeof *ents, cmp_entries);
    else if (sort) /* keys 80, 443: Python's order (json_sortable checked they order) */
      rt_decref(rt_dict_sort_entries(v, ents));
    rt_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
      if (i)
        rt_buf_puts(b, indent >= 0 ? "," : ", ");
      if (indent >= 0)
        newline(b, indent, level + 1);
      if (rt_dict_key_encoded(ents[i]->key)) { /* json.dumps converts: 1 → "1", None → "null" */
        RtBuf k = {0};
        rt_dict_key_json(&k, ents[i]->key);
        json_str(b, k.data, k.len);
        rt_buf_free(&k);
      } else {
        json_str(b, ents[i]->key->u.str.s, ents[i]->key->u.str.len);
      }
      rt_buf_puts(b, ": ");
      json(b, ents[i]->val, indent, sort, level + 1);
    }
    free(ents);
    if (indent >= 0)
      newline(b, indent, level);
    rt_buf_putc(b, '}');
    break;
  }
  default: {
    RtBuf t = {0};
    render(&t, v, false);
    json_str(b, t.data, t.len);
    rt_buf_free(&t);
  }
  }
}

/* Whether json.dumps(sort_keys=True) can sort every dict in `v`: keys of
 * one kind (1 and 'a', or None beside any key, raise TypeError in sorted()). */
static bool json_sortable(const RtValue *v, int depth) {
  if (depth > RT_MAX_DEPTH + 64)
    return true;
  if (rt_kind(v) == RT_LIST) {
    for (size_t i = 0; i < v->u.list.len; i++)
      if (!json_sortable(v->u.list.items[i], depth + 1))
        return false;
  } else if (rt_kind(v) == RT_DICT) {
    bool encoded = false;
    for (size_t i = 0; i < v->u.dict.len; i++) {
      encoded |= rt_dict_key_encoded(v->u.dict.ents[i].key);
      if (!json_sortable(v->u.dict.ents[i].val, depth + 1))
        return false;
    }
    if (encoded) {
      const RtDictEntry **ents = rt_xcalloc(v->u.dict.len + 1, sizeof *ents);
      RtValue *err = rt_dict_sort_entries(v, ents);
      free(ents);
      rt_decref(err);
      return err == NULL;
    }
  }
  return true;
}

void rt_render_json(RtBuf *b, const RtValue *v, int indent, bool sort_keys) {
  if (sort_keys && rt_kind(v) == RT_DICT && !json_sortable(v, 0)) {
    /* Ansible's _dump_results when sorting fails (Python issue 25457): the
     * top level sorted by its keys' text, everything below in its order */
    RtValue *top = rt_dict_new(v->u.dict.len);
    const RtDictEntry **ents = rt_xcalloc(v->u.dict.len + 1, sizeof *ents);
    for (size_t i = 0; i < v->u.dict.len; i++)
      ents[i] = &v->u.dict.ents[i];
    qsort(ents, v->u.dict.len, sizeof *ents, cmp_entries);
    for (size_t i = 0; i < v->u.dict.len; i++)
      rt_dict_put_key(top, ents[i]->key, rt_incref(ents[i]->val));
    free(ents);
    json(b, top, indent, false, 0);
    rt_decref(top);
    return;
  }
  json(b, v, indent, sort_keys, 0);
}
