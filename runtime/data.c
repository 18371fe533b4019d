/*
 * data.c — run-time data into values: JSON (jansson), YAML (libyaml, plain
 * scalars resolved as PyYAML's YAML 1.1 resolver through the resolver the
 * compiler shares), Python literals (the ast.literal_eval subset Ansible uses
 * to turn rendered text back into lists, dicts and bools), and Ansible's
 * boolean(). Only run-time inputs come through here: inventories, -e files,
 * module output — never playbook text (that is compiled).
 */
#include "rt.h"
#include "yaml11.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* ---- JSON ---- */

static RtValue *from_json(json_t *j) {
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    RtValue *d = rt_dict_new(json_object_size(j));
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) rt_dict_set(d, k, from_json(v));
    return d;
  }
  case JSON_ARRAY: {
    RtValue *l = rt_list_new(json_array_size(j));
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) rt_list_push(l, from_json(v));
    return l;
  }
  case JSON_STRING:
    return rt_str(json_string_value(j), json_string_length(j));
  case JSON_INTEGER:
    return rt_int((int64_t)json_integer_value(j));
  case JSON_REAL:
    return rt_float(json_real_value(j));
  case JSON_TRUE:
    return rt_bool(true);
  case JSON_FALSE:
    return rt_bool(false);
  default:
    return rt_none();
  }
}

RtValue *rt_parse_json(const char *s, size_t len, char **err) {
  json_error_t e;
  json_t *j = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
  if (!j) {
    *err = rt_xasprintf("line %d column %d: %s", e.line, e.column, e.text);
    return NULL;
  }
  RtValue *v = from_json(j);
  json_decref(j);
  return v;
}

/* ---- YAML ---- */

typedef struct Anchor {
  char *name;
  RtValue *val;
} Anchor;

typedef struct YamlCtx {
  yaml_parser_t p;
  Anchor *anchors;
  size_t nanchors;
  char *err;
  const char *file;
} YamlCtx;

static bool next_event(YamlCtx *y, yaml_event_t *ev) {
  if (!yaml_parser_parse(&y->p, ev)) {
    if (!y->err)
      y->err = rt_xasprintf("%s:%zu:%zu: %s", y->file, y->p.problem_mark.line + 1,
                            y->p.problem_mark.column + 1, y->p.problem ? y->p.problem : "YAML error");
    return false;
  }
  return true;
}

static void remember(YamlCtx *y, const yaml_char_t *anchor, RtValue *v) {
  if (!anchor)
    return;
  y->anchors = rt_xrealloc(y->anchors, sizeof *y->anchors * (y->nanchors + 1));
  y->anchors[y->nanchors].name = rt_xstrdup((const char *)anchor);
  y->anchors[y->nanchors++].val = rt_incref(v);
}

static RtValue *scalar(const yaml_event_t *ev) {
  const char *s = (const char *)ev->data.scalar.value;
  size_t n = ev->data.scalar.length;
  const char *tag = (const char *)ev->data.scalar.tag;
  if (tag && strcmp(tag, "tag:yaml.org,2002:str") == 0)
    return rt_str(s, n);
  if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return rt_str(s, n);
  FeY11Scalar r = fe_yaml11_resolve(s, n);
  switch (r.type) {
  case FE_Y11_NULL: return rt_none();
  case FE_Y11_BOOL: return rt_bool(r.b);
  case FE_Y11_INT: return rt_int(r.i);
  case FE_Y11_FLOAT: return rt_float(r.f);
  default: return rt_str(s, n);
  }
}

static RtValue *node(YamlCtx *y, yaml_event_t *ev);

/* Merges the mapping(s) of a `<<` value into d (existing keys win). */
static void merge(RtValue *d, const RtValue *m) {
  if (rt_kind(m) == RT_LIST) {
    for (size_t i = 0; i < rt_len(m); i++)
      merge(d, rt_list_at(m, i));
    return;
  }
  if (rt_kind(m) != RT_DICT)
    return;
  for (size_t i = 0; i < m->u.dict.len; i++)
    if (!rt_dict_get(d, m->u.dict.ents[i].key->u.str.s))
      rt_dict_set(d, m->u.dict.ents[i].key->u.str.s, rt_incref(m->u.dict.ents[i].val));
}

static RtValue *node(YamlCtx *y, yaml_event_t *ev) {
  RtValue *v = NULL;
  switch (ev->type) {
  case YAML_SCALAR_EVENT:
    v = scalar(ev);
    remember(y, ev->data.scalar.anchor, v);
    return v;
  case YAML_ALIAS_EVENT:
    for (size_t i = y->nanchors; i-- > 0;)
      if (strcmp(y->anchors[i].name, (const char *)ev->data.alias.anchor) == 0)
        return rt_incref(y->anchors[i].val);
    y->err = rt_xasprintf("%s: found undefined alias %s", y->file, ev->data.alias.anchor);
    return NULL;
  case YAML_SEQUENCE_START_EVENT: {
    RtValue *l = rt_list_new(4);
    for (;;) {
      yaml_event_t e;
      if (!next_event(y, &e)) {
        rt_decref(l);
        return NULL;
      }
      if (e.type == YAML_SEQUENCE_END_EVENT) {
        yaml_event_delete(&e);
        break;
      }
      RtValue *item = node(y, &e);
      yaml_event_delete(&e);
      if (!item) {
        rt_decref(l);
        return NULL;
      }
      rt_list_push(l, item);
    }
    remember(y, ev->data.sequence_start.anchor, l);
    return l;
  }
  case YAML_MAPPING_START_EVENT: {
    RtValue *d = rt_dict_new(4), *merges = NULL;
    for (;;) {
      yaml_event_t ke;
      if (!next_event(y, &ke))
        goto bad_map;
      if (ke.type == YAML_MAPPING_END_EVENT) {
        yaml_event_delete(&ke);
        break;
      }
      RtValue *k = node(y, &ke);
      yaml_event_delete(&ke);
      if (!k)
        goto bad_map;
      yaml_event_t ve;
      if (!next_event(y, &ve)) {
        rt_decref(k);
        goto bad_map;
      }
      RtValue *val = node(y, &ve);
      yaml_event_delete(&ve);
      if (!val) {
        rt_decref(k);
        goto bad_map;
      }
      RtBuf kb = {0};
      rt_render_str(&kb, k);
      if (rt_kind(k) == RT_STR && strcmp(kb.data, "<<") == 0) {
        rt_decref(merges);
        merges = val;
      } else {
        rt_dict_put(d, kb.data ? kb.data : "", kb.len, val);
      }
      rt_buf_free(&kb);
      rt_decref(k);
    }
    if (merges) {
      merge(d, merges);
      rt_decref(merges);
    }
    remember(y, ev->data.mapping_start.anchor, d);
    return d;
  bad_map:
    rt_decref(merges);
    rt_decref(d);
    return NULL;
  }
  default:
    y->err = rt_xasprintf("%s: unexpected YAML event", y->file);
    return NULL;
  }
}

RtValue *rt_parse_yaml(const char *s, size_t len, const char *file, char **err) {
  YamlCtx y = {0};
  y.file = file ? file : "<yaml>";
  yaml_parser_initialize(&y.p);
  yaml_parser_set_input_string(&y.p, (const unsigned char *)s, len);
  RtValue *result = NULL;
  yaml_event_t ev;
  bool in_doc = false;
  while (!result && next_event(&y, &ev)) {
    yaml_event_type_t t = ev.type;
    if (t == YAML_DOCUMENT_START_EVENT)
      in_doc = true;
    else if (in_doc && t != YAML_DOCUMENT_END_EVENT && t != YAML_STREAM_END_EVENT) {
      result = node(&y, &ev);
      yaml_event_delete(&ev);
      if (!result)
        break;
      continue;
    }
    yaml_event_delete(&ev);
    if (t == YAML_STREAM_END_EVENT || t == YAML_DOCUMENT_END_EVENT) {
      if (!result)
        result = rt_none(); /* an empty document */
      break;
    }
  }
  for (size_t i = 0; i < y.nanchors; i++) {
    free(y.anchors[i].name);
    rt_decref(y.anchors[i].val);
  }
  free(y.anchors);
  yaml_parser_delete(&y.p);
  if (y.err) {
    rt_decref(result);
    *err = y.err;
    return NULL;
  }
  return result;
}

/* ---- Python literals ---- */

typedef struct Lit {
  const char *p, *end;
} Lit;

static void ws(Lit *l) {
  while (l->p < l->end && isspace((unsigned char)*l->p))
    l->p++;
}

static bool word(Lit *l, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(l->end - l->p) >= n && memcmp(l->p, w, n) == 0 &&
      (l->p + n == l->end || !(isalnum((unsigned char)l->p[n]) || l->p[n] == '_'))) {
    l->p += n;
    return true;
  }
  return false;
}

static RtValue *lit_value(Lit *l, int depth);

static RtValue *lit_string(Lit *l) {
  char q = *l->p++;
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  while (l->p < l->end && *l->p != q) {
    char c = *l->p++;
    if (c == '\n')
      goto bad;
    if (c != '\\') {
      rt_buf_putc(&b, c);
      continue;
    }
    if (l->p >= l->end)
      goto bad;
    c = *l->p++;
    switch (c) {
    case 'n': rt_buf_putc(&b, '\n'); break;
    case 't': rt_buf_putc(&b, '\t'); break;
    case 'r': rt_buf_putc(&b, '\r'); break;
    case '0': rt_buf_putc(&b, '\0'); break;
    case '\\': case '\'': case '"': rt_buf_putc(&b, c); break;
    case '\n': break;
    case 'x': {
      if (l->end - l->p < 2)
        goto bad;
      char hex[3] = {l->p[0], l->p[1], 0};
      rt_buf_putc(&b, (char)strtol(hex, NULL, 16));
      l->p += 2;
      break;
    }
    default:
      rt_buf_putc(&b, '\\');
      rt_buf_putc(&b, c);
    }
  }
  if (l->p >= l->end)
    goto bad;
  l->p++;
  return rt_str_take(rt_buf_take(&b), b.len);
bad:
  rt_buf_free(&b);
  return NULL;
}

/* Items of a [..] or (..) or {..} after its opening bracket. */
static RtValue *lit_seq(Lit *l, char close, bool dict, int depth) {
  RtValue *c = dict ? rt_dict_new(4) : rt_list_new(4);
  for (;;) {
    ws(l);
    if (l->p < l->end && *l->p == close) {
      l->p++;
      return c;
    }
    RtValue *k = lit_value(l, depth + 1);
    if (!k)
      goto bad;
    if (dict) {
      ws(l);
      if (l->p >= l->end || *l->p != ':' || rt_kind(k) != RT_STR) {
        rt_decref(k);
        goto bad;
      }
      l->p++;
      RtValue *v = lit_value(l, depth + 1);
      if (!v) {
        rt_decref(k);
        goto bad;
      }
      rt_dict_put(c, k->u.str.s, k->u.str.len, v);
      rt_decref(k);
    } else {
      rt_list_push(c, k);
    }
    ws(l);
    if (l->p < l->end && *l->p == ',') {
      l->p++;
      continue;
    }
    if (l->p < l->end && *l->p == close) {
      l->p++;
      return c;
    }
    goto bad;
  }
bad:
  rt_decref(c);
  return NULL;
}

static RtValue *lit_number(Lit *l) {
  const char *start = l->p;
  if (l->p < l->end && (*l->p == '-' || *l->p == '+'))
    l->p++;
  bool isfloat = false;
  while (l->p < l->end && (isalnum((unsigned char)*l->p) || *l->p == '.' || *l->p == '_' ||
                           ((*l->p == '-' || *l->p == '+') && (l->p[-1] == 'e' || l->p[-1] == 'E')))) {
    if (*l->p == '.' || *l->p == 'e' || *l->p == 'E')
      isfloat = true;
    l->p++;
  }
  char *text = rt_xstrndup(start, (size_t)(l->p - start)), *end;
  RtValue *v = NULL;
  if (!isfloat || strncasecmp(text + (text[0] == '-' || text[0] == '+'), "0x", 2) == 0) {
    long long i = strtoll(text, &end, 0);
    if (*end == 0 && end != text)
      v = rt_int(i);
  } else {
    double f = strtod(text, &end);
    if (*end == 0 && end != text)
      v = rt_float(f);
  }
  free(text);
  return v;
}

static RtValue *lit_value(Lit *l, int depth) {
  if (depth > 200)
    return NULL;
  ws(l);
  if (l->p >= l->end)
    return NULL;
  char c = *l->p;
  if (c == '\'' || c == '"')
    return lit_string(l);
  if (c == '[') {
    l->p++;
    return lit_seq(l, ']', false, depth);
  }
  if (c == '(') {
    l->p++;
    return lit_seq(l, ')', false, depth);
  }
  if (c == '{') {
    l->p++;
    return lit_seq(l, '}', true, depth);
  }
  if (word(l, "True") || word(l, "true"))
    return rt_bool(true);
  if (word(l, "False") || word(l, "false"))
    return rt_bool(false);
  if (word(l, "None") || word(l, "null"))
    return rt_none();
  if (isdigit((unsigned char)c) || c == '-' || c == '+' || c == '.')
    return lit_number(l);
  return NULL;
}

RtValue *rt_parse_pyliteral(const char *s, size_t len) {
  Lit l = {s, s + len};
  RtValue *v = lit_value(&l, 0);
  ws(&l);
  if (v && l.p != l.end) {
    rt_decref(v);
    return NULL;
  }
  return v;
}

int rt_to_boolean(const RtValue *v) {
  static const char *const yes[] = {"y", "yes", "on", "1", "true", "t"};
  static const char *const no[] = {"n", "no", "off", "0", "false", "f"};
  switch (rt_kind(v)) {
  case RT_BOOL:
    return v->u.b;
  case RT_NONE:
    return 0;
  case RT_INT:
    return v->u.i == 1 ? 1 : v->u.i == 0 ? 0 : -1;
  case RT_FLOAT:
    return v->u.f == 1.0 ? 1 : v->u.f == 0.0 ? 0 : -1;
  case RT_STR:
    for (int i = 0; i < 6; i++) {
      if (strcasecmp(v->u.str.s, yes[i]) == 0)
        return 1;
      if (strcasecmp(v->u.str.s, no[i]) == 0)
        return 0;
    }
    return -1;
  default:
    return -1;
  }
}
