/*
 * filters_data.c — data in and out of text: to_json / to_nice_json / tojson
 * as Python's json.dumps writes them (ensure_ascii, indent, separators,
 * sort_keys, float repr, NaN/Infinity), from_json with json.loads' rules and
 * messages, to_yaml / to_nice_yaml through libyaml's emitter driven as
 * PyYAML's CSafeDumper drives it (the dumper Ansible's AnsibleDumper is:
 * SafeRepresenter's styles and sorted keys, the YAML 1.1 implicit resolvers
 * deciding what must be quoted, anchors for a list or dict met twice), so the
 * bytes are PyYAML's; from_yaml / from_yaml_all (data.c's loader, PyYAML's
 * messages); pprint as pprint.pformat lays values out.
 */
#include "filters.h"
#include "regex.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- json.dumps ---- */

typedef struct JsonOpts {
  bool ensure_ascii, allow_nan, sort_keys, skipkeys;
  const char *indent; /* NULL: no newlines */
  const char *item_sep, *key_sep;
} JsonOpts;

static void json_str(RtBuf *b, const char *s, size_t len, bool ascii) {
  static const char hexd[] = "0123456789abcdef";
  rt_buf_putc(b, '"');
  for (size_t i = 0; i < len;) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      i++;
      switch (c) {
      case '"': rt_buf_puts(b, "\\\""); break;
      case '\\': rt_buf_puts(b, "\\\\"); break;
      case '\n': rt_buf_puts(b, "\\n"); break;
      case '\r': rt_buf_puts(b, "\\r"); break;
      case '\t': rt_buf_puts(b, "\\t"); break;
      case '\b': rt_buf_puts(b, "\\b"); break;
      case '\f': rt_buf_puts(b, "\\f"); break;
      default:
        if (c < 0x20 || (ascii && c == 0x7f))
          rt_buf_printf(b, "\\u%04x", c);
        else
          rt_buf_putc(b, (char)c);
      }
      continue;
    }
    size_t at = i;
    uint32_t cp = rt_utf8_next(s, len, &i);
    if (!ascii) {
      rt_buf_add(b, s + at, i - at);
      continue;
    }
    uint32_t units[2];
    int n = 1;
    units[0] = cp;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units[0] = 0xD800 | (cp >> 10);
      units[1] = 0xDC00 | (cp & 0x3FF);
      n = 2;
    }
    for (int k = 0; k < n; k++) {
      char u[7] = {'\\', 'u', hexd[units[k] >> 12 & 15], hexd[units[k] >> 8 & 15], hexd[units[k] >> 4 & 15],
                   hexd[units[k] & 15], 0};
      rt_buf_puts(b, u);
    }
  }
  rt_buf_putc(b, '"');
}

static RtValue *json_float(RtBuf *b, double f, const JsonOpts *o) {
  if (isnan(f) || isinf(f)) {
    if (!o->allow_nan) {
      RtBuf r = {0};
      RtValue *fv = rt_float(f);
      rt_render_repr(&r, fv);
      rt_decref(fv);
      RtValue *e = rt_error_exc(RT_EXC_VALUE, "Out of range float values are not JSON compliant: %s", r.data);
      rt_buf_free(&r);
      return e;
    }
    rt_buf_puts(b, isnan(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
    return NULL;
  }
  RtValue *fv = rt_float(f);
  rt_render_repr(b, fv);
  rt_decref(fv);
  return NULL;
}

static void json_newline(RtBuf *b, const JsonOpts *o, int level) {
  rt_buf_putc(b, '\n');
  for (int i = 0; i < level; i++)
    rt_buf_puts(b, o->indent);
}

/* The entries of dict `d` in output order: sorted by key as Python's
 * sorted() orders them when asked, and in the dict's order when its keys
 * do not compare (1 and 'b': PyYAML and pprint keep the order then). */
static const RtDictEntry **dict_entries(const RtValue *d, bool sort) {
  size_t n = rt_len(d);
  const RtDictEntry **e = rt_xcalloc(n + 1, sizeof *e);
  RtValue *err = sort ? rt_dict_sort_entries(d, e) : NULL;
  if (!sort || err)
    for (size_t i = 0; i < n; i++)
      e[i] = &d->u.dict.ents[i];
  rt_decref(err);
  return e;
}

static RtValue *json_value(RtBuf *b, const RtValue *v, const JsonOpts *o, int level) {
  switch (rt_kind(v)) {
  case RT_NONE: rt_buf_puts(b, "null"); return NULL;
  case RT_BOOL: rt_buf_puts(b, v->u.b ? "true" : "false"); return NULL;
  case RT_INT: rt_buf_intval(b, v); return NULL;
  case RT_FLOAT: return json_float(b, v->u.f, o);
  case RT_STR: json_str(b, v->u.str.s, v->u.str.len, o->ensure_ascii); return NULL;
  case RT_LIST: {
    if (!rt_len(v)) {
      rt_buf_puts(b, "[]");
      return NULL;
    }
    rt_buf_putc(b, '[');
    for (size_t i = 0; i < rt_len(v); i++) {
      if (i)
        rt_buf_puts(b, o->item_sep);
      if (o->indent)
        json_newline(b, o, level + 1);
      RtValue *e = json_value(b, rt_list_at(v, i), o, level + 1);
      if (e)
        return e;
    }
    if (o->indent)
      json_newline(b, o, level);
    rt_buf_putc(b, ']');
    return NULL;
  }
  case RT_DICT: {
    if (!rt_len(v)) {
      rt_buf_puts(b, "{}");
      return NULL;
    }
    const RtDictEntry **ents = dict_entries(v, false);
    RtValue *unordered = o->sort_keys ? rt_dict_sort_entries(v, ents) : NULL;
    if (unordered) { /* json.dumps(sort_keys=True) of keys 1 and 'a': sorted()'s TypeError */
      free(ents);
      return unordered;
    }
    rt_buf_putc(b, '{');
    for (size_t i = 0; i < rt_len(v); i++) {
      if (i)
        rt_buf_puts(b, o->item_sep);
      if (o->indent)
        json_newline(b, o, level + 1);
      if (rt_dict_key_encoded(ents[i]->key)) { /* 1 → "1", None → "null", as json.dumps */
        RtValue *kv = rt_dict_key_value(ents[i]->key);
        bool tuple = rt_kind(kv) == RT_LIST;
        rt_decref(kv);
        if (tuple) {
          free(ents);
          return rt_type_error("keys must be str, int, float, bool or None, not tuple");
        }
        RtBuf k = {0};
        rt_dict_key_json(&k, ents[i]->key);
        json_str(b, k.data, k.len, o->ensure_ascii);
        rt_buf_free(&k);
      } else {
        json_str(b, ents[i]->key->u.str.s, ents[i]->key->u.str.len, o->ensure_ascii);
      }
      rt_buf_puts(b, o->key_sep);
      RtValue *e = json_value(b, ents[i]->val, o, level + 1);
      if (e) {
        free(ents);
        return e;
      }
    }
    free(ents);
    if (o->indent)
      json_newline(b, o, level);
    rt_buf_putc(b, '}');
    return NULL;
  }
  case RT_UNDEF: case RT_ERROR: return rt_error_of((RtValue *)v);
  default: return rt_type_error("Object of type %s is not JSON serializable", rt_type_name(v));
  }
}

/* json.dumps with the keyword arguments Ansible's to_json passes along. */
static RtValue *json_dumps(const RtValue *v, RtValue *skipkeys, RtValue *ensure_ascii, RtValue *allow_nan,
                           RtValue *indent, RtValue *separators, RtValue *sort_keys) {
  if (rt_too_deep(v))
    return rt_too_deep_error();
  JsonOpts o = {rt_arg_true(ensure_ascii, true), rt_arg_true(allow_nan, true), rt_arg_true(sort_keys, false),
                rt_arg_true(skipkeys, false), NULL, ", ", ": "};
  char *ind = NULL;
  if (indent && rt_kind(indent) != RT_NONE) {
    int64_t n;
    if (rt_kind(indent) == RT_STR) {
      ind = rt_xstrdup(indent->u.str.s);
    } else if (rt_arg_int(indent, &n)) {
      if (n > 10000)
        return rt_error_exc(RT_EXC_MEMORY, "indent too large");
      ind = rt_xcalloc((size_t)(n > 0 ? n : 0) + 1, 1);
      memset(ind, ' ', (size_t)(n > 0 ? n : 0));
    } else {
      return rt_type_error("can't multiply sequence by non-int of type '%s'", rt_type_name(indent));
    }
    o.indent = ind;
    o.item_sep = ",";
  }
  RtValue *keep = NULL;
  if (separators && rt_kind(separators) != RT_NONE) {
    if (rt_kind(separators) != RT_LIST || rt_len(separators) != 2 ||
        rt_kind(rt_list_at(separators, 0)) != RT_STR || rt_kind(rt_list_at(separators, 1)) != RT_STR) {
      free(ind);
      return rt_error_exc(RT_EXC_VALUE, "separators must be a pair of strings");
    }
    keep = separators;
    o.item_sep = rt_list_at(keep, 0)->u.str.s;
    o.key_sep = rt_list_at(keep, 1)->u.str.s;
  }
  RtBuf b = {0};
  RtValue *e = json_value(&b, v, &o, 0);
  free(ind);
  if (e) {
    rt_buf_free(&b);
    return e;
  }
  return rt_buf_value(&b);
}

RtValue *rt_f_to_json(RtFArgs *a) {
  /* | skipkeys ensure_ascii check_circular allow_nan indent separators sort_keys ... */
  return json_dumps(a->base, a->p[0], a->p[1], a->p[3], a->p[4], a->p[5], a->p[6]);
}

RtValue *rt_f_to_nice_json(RtFArgs *a) {
  /* indent sort_keys | skipkeys ensure_ascii check_circular allow_nan ... */
  RtValue *indent = a->p[0] ? a->p[0] : NULL, *four = rt_int(4);
  RtValue *seps = rt_list_new(2);
  rt_list_push(seps, rt_strz(","));
  rt_list_push(seps, rt_strz(": "));
  RtValue *r = json_dumps(a->base, a->p[2], a->p[3], a->p[5], indent ? indent : four, seps,
                          a->p[1] ? a->p[1] : rt_bool(true));
  rt_decref(seps);
  rt_decref(four);
  return r;
}

/* Jinja's tojson: json.dumps(sort_keys=True) made safe for HTML. */
RtValue *rt_f_tojson(RtFArgs *a) {
  RtValue *s = json_dumps(a->base, NULL, NULL, NULL, a->p[0], NULL, rt_bool(true));
  if (rt_kind(s) != RT_STR)
    return s;
  RtBuf b = {0};
  for (size_t i = 0; i < s->u.str.len; i++) {
    char c = s->u.str.s[i];
    if (c == '<')
      rt_buf_puts(&b, "\\u003c");
    else if (c == '>')
      rt_buf_puts(&b, "\\u003e");
    else if (c == '&')
      rt_buf_puts(&b, "\\u0026");
    else if (c == '\'')
      rt_buf_puts(&b, "\\u0027");
    else
      rt_buf_putc(&b, c);
  }
  rt_decref(s);
  RtValue *r = rt_buf_value(&b);
  r->flags |= RT_VF_MARKUP;
  return r;
}

/* ---- json.loads ---- */

typedef struct Jp {
  const char *s;
  size_t len, i;
  RtValue *err;
} Jp;

/* JSONDecodeError's "msg: line L column C (char P)", positions in code points. */
static void jp_fail(Jp *p, const char *msg, size_t at) {
  if (p->err)
    return;
  size_t line = 1, col, nl = 0;
  bool seen = false;
  for (size_t k = 0; k < at; k++)
    if (p->s[k] == '\n')
      line++, nl = k, seen = true;
  size_t pos = rt_utf8_count(p->s, at);
  col = seen ? rt_utf8_count(p->s + nl, at - nl) : pos + 1;
  p->err = rt_error_exc(RT_EXC_JSON, "%s: line %zu column %zu (char %zu)", msg, line, col, pos);
}

static void jp_ws(Jp *p) {
  while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
    p->i++;
}

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

static int jp_u4(Jp *p, size_t at) {
  if (at + 4 > p->len)
    return -1;
  int v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hexval(p->s[at + k]);
    if (h < 0)
      return -1;
    v = v * 16 + h;
  }
  return v;
}

static RtValue *jp_string(Jp *p) {
  size_t start = p->i++; /* at the quote */
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (;;) {
    if (p->i >= p->len) {
      jp_fail(p, "Unterminated string starting at", start);
      break;
    }
    unsigned char c = (unsigned char)p->s[p->i];
    if (c == '"') {
      p->i++;
      return rt_buf_value(&b);
    }
    if (c < 0x20) {
      jp_fail(p, "Invalid control character at", p->i);
      break;
    }
    if (c != '\\') {
      rt_buf_putc(&b, (char)c);
      p->i++;
      continue;
    }
    if (p->i + 1 >= p->len) {
      jp_fail(p, "Unterminated string starting at", start);
      break;
    }
    char e = p->s[p->i + 1];
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *k = e ? strchr(from, e) : NULL;
    if (k) {
      rt_buf_putc(&b, to[k - from]);
      p->i += 2;
      continue;
    }
    if (e != 'u') {
      jp_fail(p, "Invalid \\escape", p->i);
      break;
    }
    int u = jp_u4(p, p->i + 2);
    if (u < 0) {
      jp_fail(p, "Invalid \\uXXXX escape", p->i + 1);
      break;
    }
    p->i += 6;
    uint32_t cp = (uint32_t)u;
    if (u >= 0xD800 && u <= 0xDBFF && p->i + 1 < p->len && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
      int lo = jp_u4(p, p->i + 2);
      if (lo < 0) {
        jp_fail(p, "Invalid \\uXXXX escape", p->i + 1);
        break;
      }
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + (((uint32_t)u - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
        p->i += 6;
      }
    }
    rt_utf8_put(&b, cp);
  }
  rt_buf_free(&b);
  return NULL;
}

static RtValue *jp_value(Jp *p, int depth);

static RtValue *jp_number(Jp *p) {
  size_t st = p->i;
  if (p->s[p->i] == '-')
    p->i++;
  if (p->i < p->len && p->s[p->i] == '0')
    p->i++;
  else if (p->i < p->len && p->s[p->i] >= '1' && p->s[p->i] <= '9')
    while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
      p->i++;
  else {
    p->i = st;
    if (p->len - p->i >= 9 && memcmp(p->s + p->i, "-Infinity", 9) == 0) {
      p->i += 9;
      return rt_float(-INFINITY);
    }
    jp_fail(p, "Expecting value", st);
    return NULL;
  }
  bool flt = false;
  if (p->i + 1 < p->len && p->s[p->i] == '.' && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9') {
    flt = true;
    p->i++;
    while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
      p->i++;
  }
  if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
    size_t k = p->i + 1;
    if (k < p->len && (p->s[k] == '+' || p->s[k] == '-'))
      k++;
    if (k < p->len && p->s[k] >= '0' && p->s[k] <= '9') {
      flt = true;
      while (k < p->len && p->s[k] >= '0' && p->s[k] <= '9')
        k++;
      p->i = k;
    }
  }
  if (flt) {
    double d;
    rt_arith_parse_float(p->s + st, p->i - st, &d, NULL, 0);
    return rt_float(d);
  }
  int64_t n;
  char msg[200];
  RtArithErr e = rt_arith_parse_int(p->s + st, p->i - st, 10, &n, msg, sizeof msg);
  if (e == RT_ARITH_OVERFLOW) { /* json reads an int of any size */
    RtValue *big = rt_bigint_parse(p->s + st, p->i - st, 10);
    if (!rt_is_error(big))
      return big;
    p->err = big;
    return NULL;
  }
  if (e) {
    p->err = rt_arith_error(e, msg);
    return NULL;
  }
  return rt_int(n);
}

static RtValue *jp_container(Jp *p, bool obj, int depth) {
  size_t open = p->i++;
  (void)open;
  RtValue *c = obj ? rt_dict_new(4) : rt_list_new(4);
  jp_ws(p);
  if (p->i < p->len && p->s[p->i] == (obj ? '}' : ']')) {
    p->i++;
    return c;
  }
  for (;;) {
    RtValue *k = NULL;
    if (obj) {
      if (p->i >= p->len || p->s[p->i] != '"') {
        jp_fail(p, "Expecting property name enclosed in double quotes", p->i);
        break;
      }
      k = jp_string(p);
      if (!k)
        break;
      jp_ws(p);
      if (p->i >= p->len || p->s[p->i] != ':') {
        jp_fail(p, "Expecting ':' delimiter", p->i);
        rt_decref(k);
        break;
      }
      p->i++;
      jp_ws(p);
    }
    RtValue *v = jp_value(p, depth + 1);
    if (!v) {
      rt_decref(k);
      break;
    }
    if (obj) {
      rt_dict_put(c, k->u.str.s, k->u.str.len, v);
      rt_decref(k);
    } else {
      rt_list_push(c, v);
    }
    jp_ws(p);
    if (p->i < p->len && p->s[p->i] == (obj ? '}' : ']')) {
      p->i++;
      return c;
    }
    if (p->i >= p->len || p->s[p->i] != ',') {
      jp_fail(p, "Expecting ',' delimiter", p->i);
      break;
    }
    p->i++;
    jp_ws(p);
  }
  rt_decref(c);
  return NULL;
}

static RtValue *jp_value(Jp *p, int depth) {
  if (depth > RT_MAX_DEPTH) {
    p->err = rt_too_deep_error();
    return NULL;
  }
  if (p->i >= p->len) {
    jp_fail(p, "Expecting value", p->i);
    return NULL;
  }
  char c = p->s[p->i];
  const char *r = p->s + p->i;
  size_t left = p->len - p->i;
  if (c == '"')
    return jp_string(p);
  if (c == '{' || c == '[')
    return jp_container(p, c == '{', depth);
  if (left >= 4 && memcmp(r, "null", 4) == 0)
    return p->i += 4, rt_none();
  if (left >= 4 && memcmp(r, "true", 4) == 0)
    return p->i += 4, rt_bool(true);
  if (left >= 5 && memcmp(r, "false", 5) == 0)
    return p->i += 5, rt_bool(false);
  if (left >= 3 && memcmp(r, "NaN", 3) == 0)
    return p->i += 3, rt_float(NAN);
  if (left >= 8 && memcmp(r, "Infinity", 8) == 0)
    return p->i += 8, rt_float(INFINITY);
  if (c == '-' || (c >= '0' && c <= '9'))
    return jp_number(p);
  jp_fail(p, "Expecting value", p->i);
  return NULL;
}

RtValue *rt_f_from_json(RtFArgs *a) {
  if (rt_kind(a->base) != RT_STR)
    return rt_type_error("the JSON object must be str, bytes or bytearray, not %s", rt_type_name(a->base));
  Jp p = {a->base->u.str.s, a->base->u.str.len, 0, NULL};
  if (p.len >= 3 && memcmp(p.s, "\xef\xbb\xbf", 3) == 0)
    return rt_error_exc(RT_EXC_JSON, "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)");
  jp_ws(&p);
  RtValue *v = jp_value(&p, 0);
  if (v) {
    jp_ws(&p);
    if (p.i < p.len) {
      jp_fail(&p, "Extra data", p.i);
      rt_decref(v);
      v = NULL;
    }
  }
  return v ? v : p.err;
}

/* ---- yaml.dump with AnsibleDumper (CSafeDumper) ---- */

static RtRegex *y11_res[6];
static pthread_once_t y11_once = PTHREAD_ONCE_INIT;

/* PyYAML's Resolver implicit resolvers (bool, float, int, merge, null,
 * timestamp, value), as Python regular expressions. */
static void y11_init(void) {
  static const char *const pats[] = {
      "^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
      "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
      "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$",
      "^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
      "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
      "^(?:<<|=)$",
      "^(?:~|null|Null|NULL|)$",
      "^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
      "(?:[Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?"
      "(?::[0-9][0-9])?))?)$"};
  for (int i = 0; i < 6; i++) {
    RtValue *err = NULL;
    y11_res[i] = rt_re_compile(pats[i], strlen(pats[i]), 0, &err);
    RT_ASSERT(y11_res[i]);
  }
}

/* True when the plain scalar `s` would load as something other than a
 * string: such a string is quoted. */
static bool y11_not_str(const char *s, size_t len) {
  pthread_once(&y11_once, y11_init);
  RtReMatch m;
  for (int i = 0; i < 6; i++)
    if (rt_re_exec(y11_res[i], s, len, 0, true, false, &m) > 0 && (size_t)m.end[0] == len)
      return true;
  return false;
}

typedef struct YDump {
  yaml_emitter_t em;
  RtBuf out;
  bool sort;
  int flow; /* default_flow_style: -1 None, 0 False, 1 True */
  bool literal; /* the yaml stdout callback's representer: multi-line strings as cleaned | blocks */
  RtValue *err;
  /* anchors: collections met more than once, by address */
  const RtValue **seen;
  int *count;
  char **anchor;
  size_t nseen, cap;
  int last_id;
  bool *emitted;
} YDump;

static int ydump_write(void *data, unsigned char *buf, size_t size) {
  rt_buf_add(&((YDump *)data)->out, (const char *)buf, size);
  return 1;
}

static ssize_t ydump_find(YDump *d, const RtValue *v) {
  for (size_t i = 0; i < d->nseen; i++)
    if (d->seen[i] == v)
      return (ssize_t)i;
  return -1;
}

/* Serializer.anchor_node: a collection met a second time gets an anchor,
 * numbered in the order of those second meetings. */
static void ydump_anchor(YDump *d, const RtValue *v, int depth) {
  if ((rt_kind(v) != RT_LIST && rt_kind(v) != RT_DICT) || depth > RT_MAX_DEPTH)
    return;
  ssize_t at = ydump_find(d, v);
  if (at >= 0) {
    if (!d->anchor[at])
      d->anchor[at] = rt_xasprintf("id%03d", ++d->last_id);
    return;
  }
  if (d->nseen == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 16;
    d->seen = rt_xrealloc(d->seen, d->cap * sizeof *d->seen);
    d->anchor = rt_xrealloc(d->anchor, d->cap * sizeof *d->anchor);
    d->emitted = rt_xrealloc(d->emitted, d->cap * sizeof *d->emitted);
  }
  d->seen[d->nseen] = v;
  d->anchor[d->nseen] = NULL;
  d->emitted[d->nseen++] = false;
  if (rt_kind(v) == RT_LIST) {
    for (size_t i = 0; i < rt_len(v); i++)
      ydump_anchor(d, rt_list_at(v, i), depth + 1);
  } else {
    const RtDictEntry **e = dict_entries(v, d->sort);
    for (size_t i = 0; i < rt_len(v); i++)
      ydump_anchor(d, e[i]->val, depth + 1);
    free(e);
  }
}

static bool ydump_emit(YDump *d, yaml_event_t *ev) {
  if (!yaml_emitter_emit(&d->em, ev)) {
    if (!d->err)
      d->err = rt_error("to_yaml - %s", d->em.problem ? d->em.problem : "emitter error");
    return false;
  }
  return true;
}

/* SafeRepresenter's text of a scalar and its tag. */
static char *ydump_scalar_text(const RtValue *v, const char **tag) {
  switch (rt_kind(v)) {
  case RT_NONE: *tag = "tag:yaml.org,2002:null"; return rt_xstrdup("null");
  case RT_BOOL: *tag = "tag:yaml.org,2002:bool"; return rt_xstrdup(v->u.b ? "true" : "false");
  case RT_INT: {
    *tag = "tag:yaml.org,2002:int";
    RtBuf b = {0};
    rt_buf_intval(&b, v);
    return rt_buf_take(&b);
  }
  case RT_FLOAT: {
    *tag = "tag:yaml.org,2002:float";
    double f = v->u.f;
    if (isnan(f))
      return rt_xstrdup(".nan");
    if (isinf(f))
      return rt_xstrdup(f > 0 ? ".inf" : "-.inf");
    RtBuf b = {0};
    rt_render_repr(&b, v);
    for (size_t i = 0; i < b.len; i++)
      b.data[i] = (char)(b.data[i] >= 'A' && b.data[i] <= 'Z' ? b.data[i] + 32 : b.data[i]);
    if (!memchr(b.data, '.', b.len) && memchr(b.data, 'e', b.len)) { /* 1e+20 → 1.0e+20 */
      char *e = memchr(b.data, 'e', b.len);
      RtBuf c = {0};
      rt_buf_add(&c, b.data, (size_t)(e - b.data));
      rt_buf_puts(&c, ".0");
      rt_buf_add(&c, e, b.len - (size_t)(e - b.data));
      rt_buf_free(&b);
      return rt_buf_take(&c);
    }
    return rt_buf_take(&b);
  }
  default: *tag = "tag:yaml.org,2002:str"; return NULL;
  }
}

static bool is_scalar(const RtValue *v) { return rt_kind(v) != RT_LIST && rt_kind(v) != RT_DICT; }

/* The yaml callback's should_use_block: a line break of any kind. */
static bool ydump_multiline(const char *s, size_t n) {
  static const char *const breaks[] = {"\n", "\r", "\x1c", "\x1d", "\x1e", "\xc2\x85", "\xe2\x80\xa8",
                                       "\xe2\x80\xa9"};
  for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++)
    if (memmem(s, n, breaks[i], strlen(breaks[i])))
      return true;
  return false;
}


/* A mapping's entries in the order yaml.dump writes them: sorted, unless
 * its keys do not compare (sorted() raises TypeError for 1 and 'b', and
 * PyYAML then keeps the dict's order); keys that are all numbers (dict keys
 * 1, 2.5, True) sort by value. */
static const RtDictEntry **yaml_entries(const RtValue *v, bool sort) {
  return dict_entries(v, sort);
}
/* The yaml callback's cleaning of a block string: trailing whitespace
 * stripped, characters neither printable ASCII nor >= U+00A0 dropped, tabs
 * expanded (8 columns), \v \f \r dropped, spaces before a newline dropped. */
static char *ydump_block_text(const char *s, size_t n) {
  while (n && strchr(" \t\n\r\v\f", s[n - 1]))
    n--;
  RtBuf b = {0};
  size_t col = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0) { /* U+0080..U+009F */
      i++;
      continue;
    }
    if (c < 0x80 && !(c >= 0x20 && c < 0x7f) && !strchr("\t\n\r\v\f", c))
      continue;
    if (c == '\t') {
      do
        rt_buf_putc(&b, ' ');
      while (++col % 8);
      continue;
    }
    if (c == '\v' || c == '\f' || c == '\r') {
      if (c == '\r')
        col = 0; /* expandtabs resets at \r too, before it is dropped */
      continue;
    }
    if (c == '\n') {
      while (b.len && b.data[b.len - 1] == ' ')
        b.len--;
      col = 0;
    } else if ((c & 0xc0) != 0x80) {
      col++;
    }
    rt_buf_putc(&b, (char)c);
  }
  return b.data ? rt_buf_take(&b) : rt_xstrdup("");
}

static bool ydump_node(YDump *d, const RtValue *v, int depth) {
  yaml_event_t ev;
  if (rt_is_error(v)) {
    if (!d->err)
      d->err = rt_error_of((RtValue *)v);
    return false;
  }
  if (depth > RT_MAX_DEPTH) {
    d->err = rt_too_deep_error();
    return false;
  }
  ssize_t at = ydump_find(d, v);
  yaml_char_t *anchor = at >= 0 && d->anchor[at] ? (yaml_char_t *)d->anchor[at] : NULL;
  if (anchor && d->emitted[at]) {
    yaml_alias_event_initialize(&ev, anchor);
    return ydump_emit(d, &ev);
  }
  if (at >= 0)
    d->emitted[at] = true;
  if (is_scalar(v)) {
    const char *tag;
    char *text = ydump_scalar_text(v, &tag);
    int ok;
    if (text) {
      ok = yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag, (yaml_char_t *)text, (int)strlen(text), 1, 0,
                                        YAML_ANY_SCALAR_STYLE);
      free(text);
    } else if (d->literal && ydump_multiline(v->u.str.s, v->u.str.len)) {
      char *block = ydump_block_text(v->u.str.s, v->u.str.len);
      ok = yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag, (yaml_char_t *)block, (int)strlen(block),
                                        !y11_not_str(block, strlen(block)), 1, YAML_LITERAL_SCALAR_STYLE);
      free(block);
    } else {
      ok = yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag, (yaml_char_t *)v->u.str.s, (int)v->u.str.len,
                                        !y11_not_str(v->u.str.s, v->u.str.len), 1, YAML_ANY_SCALAR_STYLE);
    }
    if (!ok) {
      d->err = rt_error("to_yaml - cannot represent this string");
      return false;
    }
    return ydump_emit(d, &ev);
  }
  bool flow;
  if (d->flow >= 0) {
    flow = d->flow;
  } else { /* best_style: flow when every item is a plain scalar */
    flow = true;
    if (rt_kind(v) == RT_LIST)
      for (size_t i = 0; i < rt_len(v) && flow; i++)
        flow = is_scalar(rt_list_at(v, i));
    else
      for (size_t i = 0; i < rt_len(v) && flow; i++)
        flow = is_scalar(v->u.dict.ents[i].val);
  }
  if (rt_kind(v) == RT_LIST) {
    yaml_sequence_start_event_initialize(&ev, anchor, (yaml_char_t *)"tag:yaml.org,2002:seq", 1,
                                         flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    if (!ydump_emit(d, &ev))
      return false;
    for (size_t i = 0; i < rt_len(v); i++)
      if (!ydump_node(d, rt_list_at(v, i), depth + 1))
        return false;
    yaml_sequence_end_event_initialize(&ev);
    return ydump_emit(d, &ev);
  }
  yaml_mapping_start_event_initialize(&ev, anchor, (yaml_char_t *)"tag:yaml.org,2002:map", 1,
                                      flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
  if (!ydump_emit(d, &ev))
    return false;
  const RtDictEntry **e = yaml_entries(v, d->sort);
  bool ok = true;
  for (size_t i = 0; i < rt_len(v) && ok; i++) {
    RtValue *k = rt_dict_key_value(e[i]->key); /* `1: a` for the key 1 */
    ok = ydump_node(d, k, depth + 1) && ydump_node(d, e[i]->val, depth + 1);
    rt_decref(k);
  }
  free(e);
  if (!ok)
    return false;
  yaml_mapping_end_event_initialize(&ev);
  return ydump_emit(d, &ev);
}

/* yaml.dump(v, Dumper=AnsibleDumper, allow_unicode=True, ...). */
static RtValue *yaml_dump(const RtValue *v, int flow, RtValue *indent, RtValue *width, RtValue *line_break,
                          RtValue *explicit_start, RtValue *explicit_end, RtValue *sort_keys, const char *who,
                          bool literal) {
  if (rt_too_deep(v))
    return rt_too_deep_error();
  YDump d = {0};
  d.literal = literal;
  d.sort = rt_arg_true(sort_keys, true);
  d.flow = flow;
  yaml_emitter_initialize(&d.em);
  yaml_emitter_set_output(&d.em, ydump_write, &d);
  yaml_emitter_set_unicode(&d.em, 1);
  int64_t n;
  if (indent && rt_kind(indent) != RT_NONE) {
    if (!rt_arg_int(indent, &n)) {
      yaml_emitter_delete(&d.em);
      return rt_type_error("%s - an integer is required", who);
    }
    yaml_emitter_set_indent(&d.em, (int)n);
  }
  if (width && rt_kind(width) != RT_NONE) {
    if (!rt_arg_int(width, &n)) {
      yaml_emitter_delete(&d.em);
      return rt_type_error("%s - an integer is required", who);
    }
    yaml_emitter_set_width(&d.em, (int)n);
  }
  if (line_break && rt_kind(line_break) == RT_STR) {
    const char *lb = line_break->u.str.s;
    yaml_emitter_set_break(&d.em, strcmp(lb, "\r") == 0 ? YAML_CR_BREAK : strcmp(lb, "\r\n") == 0 ? YAML_CRLN_BREAK
                                                                                                   : YAML_LN_BREAK);
  }
  ydump_anchor(&d, v, 0);
  yaml_event_t ev;
  yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
  bool ok = ydump_emit(&d, &ev);
  if (ok) {
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, !rt_arg_true(explicit_start, false));
    ok = ydump_emit(&d, &ev);
  }
  ok = ok && ydump_node(&d, v, 0);
  if (ok) {
    yaml_document_end_event_initialize(&ev, !rt_arg_true(explicit_end, false));
    ok = ydump_emit(&d, &ev);
  }
  if (ok) {
    yaml_stream_end_event_initialize(&ev);
    ok = ydump_emit(&d, &ev);
  }
  yaml_emitter_delete(&d.em);
  for (size_t i = 0; i < d.nseen; i++)
    free(d.anchor[i]);
  free(d.seen);
  free(d.anchor);
  free(d.emitted);
  if (!ok) {
    rt_buf_free(&d.out);
    return d.err ? d.err : rt_error("%s - emitter error", who);
  }
  return rt_buf_value(&d.out);
}

RtValue *rt_f_to_yaml(RtFArgs *a) {
  /* | default_flow_style indent width line_break explicit_start explicit_end sort_keys ... */
  RtValue *dfs = a->p[0];
  int flow = !dfs || rt_kind(dfs) == RT_NONE ? -1 : rt_pytruth(dfs);
  return yaml_dump(a->base, flow, a->p[1], a->p[2], a->p[3], a->p[4], a->p[5], a->p[6], "to_yaml", false);
}

RtValue *rt_f_to_nice_yaml(RtFArgs *a) {
  /* indent | width line_break explicit_start explicit_end sort_keys ... */
  RtValue *four = rt_int(4);
  RtValue *r = yaml_dump(a->base, 0, a->p[0] ? a->p[0] : four, a->p[1], a->p[2], a->p[3], a->p[4], a->p[5],
                         "to_nice_yaml", false);
  rt_decref(four);
  return r;
}

RtValue *rt_yaml_dump_callback(const RtValue *v) {
  RtValue *width = rt_int(1000);
  RtValue *r = yaml_dump(v, 0, NULL, width, NULL, NULL, NULL, NULL, "yaml callback", true);
  rt_decref(width);
  return r;
}

/* ---- yaml.load ---- */

static RtValue *yaml_load_error(char *msg, int kind) {
  RtValue *e = rt_error_exc(kind == 1 ? RT_EXC_YAML_SCANNER : RT_EXC_YAML_PARSER, "%s", msg);
  free(msg);
  return e;
}

RtValue *rt_f_from_yaml(RtFArgs *a) {
  if (rt_kind(a->base) != RT_STR)
    return rt_incref(a->base);
  char *err = NULL;
  int kind = 0;
  RtValue *marks = NULL;
  RtValue *docs = rt_parse_yaml_all(a->base->u.str.s, a->base->u.str.len, &marks, &err, &kind);
  if (!docs)
    return yaml_load_error(err, kind);
  RtValue *r;
  if (rt_len(docs) > 1) {
    RtValue *m0 = rt_list_at(marks, 0), *m1 = rt_list_at(marks, 1);
    r = rt_error_exc(RT_EXC_YAML_COMPOSER,
                     "expected a single document in the stream\n  in \"<unicode string>\", line %lld, column %lld\n"
                     "but found another document\n  in \"<unicode string>\", line %lld, column %lld",
                     (long long)rt_list_at(m0, 2)->u.i, (long long)rt_list_at(m0, 3)->u.i,
                     (long long)rt_list_at(m1, 0)->u.i, (long long)rt_list_at(m1, 1)->u.i);
  } else {
    r = rt_len(docs) ? rt_incref(rt_list_at(docs, 0)) : rt_none();
  }
  rt_decref(marks);
  rt_decref(docs);
  return r;
}

RtValue *rt_f_from_yaml_all(RtFArgs *a) {
  if (rt_kind(a->base) != RT_STR)
    return rt_incref(a->base);
  char *err = NULL;
  int kind = 0;
  RtValue *docs = rt_parse_yaml_all(a->base->u.str.s, a->base->u.str.len, NULL, &err, &kind);
  return docs ? docs : yaml_load_error(err, kind);
}

/* ---- pprint.pformat ---- */

/* pprint's _safe_repr: repr with every dict's keys sorted. */
static void pp_repr(RtBuf *b, const RtValue *v, int depth) {
  if (rt_kind(v) == RT_DICT && depth < RT_MAX_DEPTH) {
    const RtDictEntry **e = dict_entries(v, true);
    rt_buf_putc(b, '{');
    for (size_t i = 0; i < rt_len(v); i++) {
      if (i)
        rt_buf_puts(b, ", ");
      rt_render_repr(b, e[i]->key);
      rt_buf_puts(b, ": ");
      pp_repr(b, e[i]->val, depth + 1);
    }
    rt_buf_putc(b, '}');
    free(e);
  } else if (rt_kind(v) == RT_LIST && depth < RT_MAX_DEPTH) {
    rt_buf_putc(b, '[');
    for (size_t i = 0; i < rt_len(v); i++) {
      if (i)
        rt_buf_puts(b, ", ");
      pp_repr(b, rt_list_at(v, i), depth + 1);
    }
    rt_buf_putc(b, ']');
  } else {
    rt_render_repr(b, v);
  }
}

static size_t pp_width(const RtBuf *b) { return b->data ? rt_utf8_count(b->data, b->len) : 0; }

static void pp_spaces(RtBuf *b, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    rt_buf_putc(b, ' ');
}

static void pp_format(RtBuf *out, const RtValue *v, int64_t indent, int64_t allowance, int level);

/* PrettyPrinter._pprint_str: a long string as adjacent literals. */
static void pp_str(RtBuf *out, const RtValue *v, int64_t indent, int64_t allowance, int level) {
  RtValue *lines = rt_list_new(4);
  const char *s = v->u.str.s;
  size_t len = v->u.str.len, st = 0; /* splitlines(True) */
  for (size_t i = 0; i < len;) {
    uint32_t c = rt_utf8_next(s, len, &i);
    bool br = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E ||
              c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!br)
      continue;
    if (c == '\r' && i < len && s[i] == '\n')
      i++;
    rt_list_push(lines, rt_str(s + st, i - st));
    st = i;
  }
  if (st < len)
    rt_list_push(lines, rt_str(s + st, len - st));
  if (level == 1)
    indent++, allowance++;
  int64_t max_width1 = 80 - indent, max_width = max_width1;
  RtValue *chunks = rt_list_new(4);
  for (size_t i = 0; i < rt_len(lines); i++) {
    RtValue *line = rt_list_at(lines, i);
    RtValue *rep = rt_to_repr(line);
    if (i == rt_len(lines) - 1)
      max_width1 -= allowance;
    if ((int64_t)rt_utf8_count(rep->u.str.s, rep->u.str.len) <= max_width1) {
      rt_list_push(chunks, rep);
      continue;
    }
    rt_decref(rep);
    /* re.findall(r'\S*\s*', line) without the final empty part */
    RtValue *parts = rt_list_new(4);
    const char *ls = line->u.str.s;
    size_t ll = line->u.str.len, k = 0;
    while (k < ll) {
      size_t p0 = k;
      while (k < ll) {
        size_t j = k;
        if (rt_cp_isspace(rt_utf8_next(ls, ll, &j)))
          break;
        k = j;
      }
      while (k < ll) {
        size_t j = k;
        if (!rt_cp_isspace(rt_utf8_next(ls, ll, &j)))
          break;
        k = j;
      }
      rt_list_push(parts, rt_str(ls + p0, k - p0));
    }
    int64_t max_width2 = max_width;
    RtBuf current = {0};
    for (size_t j = 0; j < rt_len(parts); j++) {
      RtValue *part = rt_list_at(parts, j);
      RtBuf cand = {0};
      rt_buf_add(&cand, current.data ? current.data : "", current.len);
      rt_buf_add(&cand, part->u.str.s, part->u.str.len);
      if (j == rt_len(parts) - 1 && i == rt_len(lines) - 1)
        max_width2 -= allowance;
      RtValue *cs = rt_str(cand.data, cand.len), *cr = rt_to_repr(cs);
      if ((int64_t)rt_utf8_count(cr->u.str.s, cr->u.str.len) > max_width2) {
        if (current.len) {
          RtValue *cur = rt_str(current.data, current.len);
          rt_list_push(chunks, rt_to_repr(cur));
          rt_decref(cur);
        }
        rt_buf_free(&current);
        rt_buf_add(&current, part->u.str.s, part->u.str.len);
      } else {
        rt_buf_free(&current);
        rt_buf_add(&current, cand.data, cand.len);
      }
      rt_decref(cs);
      rt_decref(cr);
      rt_buf_free(&cand);
    }
    if (current.len) {
      RtValue *cur = rt_str(current.data, current.len);
      rt_list_push(chunks, rt_to_repr(cur));
      rt_decref(cur);
    }
    rt_buf_free(&current);
    rt_decref(parts);
  }
  if (rt_len(chunks) == 1) {
    rt_buf_add(out, rt_list_at(chunks, 0)->u.str.s, rt_list_at(chunks, 0)->u.str.len);
  } else {
    if (level == 1)
      rt_buf_putc(out, '(');
    for (size_t i = 0; i < rt_len(chunks); i++) {
      if (i) {
        rt_buf_putc(out, '\n');
        pp_spaces(out, indent);
      }
      rt_buf_add(out, rt_list_at(chunks, i)->u.str.s, rt_list_at(chunks, i)->u.str.len);
    }
    if (level == 1)
      rt_buf_putc(out, ')');
  }
  rt_decref(chunks);
  rt_decref(lines);
}

static void pp_format(RtBuf *out, const RtValue *v, int64_t indent, int64_t allowance, int level) {
  RtBuf rep = {0};
  pp_repr(&rep, v, 0);
  int64_t max_width = 80 - indent - allowance;
  if ((int64_t)pp_width(&rep) <= max_width || level > 100 ||
      (rt_kind(v) != RT_DICT && rt_kind(v) != RT_LIST && rt_kind(v) != RT_STR) ||
      (rt_kind(v) != RT_STR && !rt_len(v))) {
    rt_buf_add(out, rep.data ? rep.data : "", rep.len);
    rt_buf_free(&rep);
    return;
  }
  rt_buf_free(&rep);
  level++;
  if (rt_kind(v) == RT_STR) {
    pp_str(out, v, indent, allowance, level);
  } else if (rt_kind(v) == RT_DICT) {
    rt_buf_putc(out, '{');
    const RtDictEntry **e = dict_entries(v, true);
    int64_t ind = indent + 1;
    for (size_t i = 0; i < rt_len(v); i++) {
      bool last = i == rt_len(v) - 1;
      RtBuf kr = {0};
      rt_render_repr(&kr, e[i]->key);
      rt_buf_add(out, kr.data, kr.len);
      rt_buf_puts(out, ": ");
      pp_format(out, e[i]->val, ind + (int64_t)pp_width(&kr) + 2, last ? allowance + 1 : 1, level);
      rt_buf_free(&kr);
      if (!last) {
        rt_buf_puts(out, ",\n");
        pp_spaces(out, ind);
      }
    }
    free(e);
    rt_buf_putc(out, '}');
  } else {
    rt_buf_putc(out, '[');
    int64_t ind = indent + 1;
    for (size_t i = 0; i < rt_len(v); i++) {
      bool last = i == rt_len(v) - 1;
      if (i) {
        rt_buf_puts(out, ",\n");
        pp_spaces(out, ind);
      }
      pp_format(out, rt_list_at(v, i), ind, last ? allowance + 1 : 1, level);
    }
    rt_buf_putc(out, ']');
  }
}

RtValue *rt_f_pprint(RtFArgs *a) {
  if (rt_too_deep(a->base))
    return rt_too_deep_error();
  RtBuf b = {0};
  pp_format(&b, a->base, 0, 0, 0);
  return rt_buf_value(&b);
}
