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
#include <stdarg.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* ---- JSON ---- */

/* jansson's tree to values; NULL with *err past RT_MAX_DEPTH (jansson itself
 * stops at 2048 levels, deeper than values may go). */
static RtValue *from_json(json_t *j, int depth, char **err) {
  if (depth > RT_MAX_DEPTH && (json_is_object(j) || json_is_array(j))) {
    *err = rt_xasprintf("nested more than %d levels deep", RT_MAX_DEPTH);
    return NULL;
  }
  const char *k;
  json_t *v;
  size_t i;
  RtValue *c, *item;
  switch (json_typeof(j)) {
  case JSON_OBJECT:
    c = rt_dict_new(json_object_size(j));
    json_object_foreach(j, k, v) {
      if (!(item = from_json(v, depth + 1, err))) {
        rt_decref(c);
        return NULL;
      }
      rt_dict_set(c, k, item);
    }
    return c;
  case JSON_ARRAY:
    c = rt_list_new(json_array_size(j));
    json_array_foreach(j, i, v) {
      if (!(item = from_json(v, depth + 1, err))) {
        rt_decref(c);
        return NULL;
      }
      rt_list_push(c, item);
    }
    return c;
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
  RtValue *v = from_json(j, 1, err);
  json_decref(j);
  return v;
}

/* ---- YAML ---- */

/* An anchored node: aliases share its value (a reference, never a copy);
 * `weight` is the number of nodes it stands for once expanded. */
typedef struct Anchor {
  RtValue *val;
  uint64_t weight;
} Anchor;

typedef struct YamlCtx {
  yaml_parser_t p;
  Anchor *anchors;
  size_t nanchors, cap;
  RtValue *anchor_index; /* dict: anchor name → its latest index in anchors */
  char *err;
  const char *file;
  bool pyyaml;   /* rt_parse_yaml_all: parser errors in PyYAML's words */
  RtRun *vault;  /* rt_parse_yaml_vault: `!vault` scalars decrypted with this run's secrets */
  int err_kind;  /* 1: libyaml's scanner refused the text, 2: its parser */
} YamlCtx;

/* A document may stand for at most this many nodes with its aliases
 * expanded: past it, rendering or comparing it would be an exponential
 * amount of work for a few bytes of input ("billion laughs"). */
#define YAML_MAX_WEIGHT ((uint64_t)1 << 24)

static bool yaml_fail(YamlCtx *y, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool yaml_fail(YamlCtx *y, const yaml_mark_t *m, const char *fmt, ...) {
  if (y->err)
    return false;
  va_list ap;
  va_start(ap, fmt);
  char *what = NULL;
  if (vasprintf(&what, fmt, ap) < 0)
    rt_panic(__FILE__, __LINE__, "out of memory");
  va_end(ap);
  y->err = rt_xasprintf("%s:%zu:%zu: %s", y->file, m->line + 1, m->column + 1, what);
  free(what);
  return false;
}

/* PyYAML's MarkedYAMLError text for libyaml's error (CParser's marks have
 * no snippet): context, its mark unless the problem's is the same, the
 * problem, its mark. */
static char *pyyaml_error(const yaml_parser_t *p) {
  RtBuf b = {0};
  const yaml_mark_t *cm = &p->context_mark, *pm = &p->problem_mark;
  if (p->context) {
    rt_buf_puts(&b, p->context);
    if (!p->problem || cm->line != pm->line || cm->column != pm->column)
      rt_buf_printf(&b, "\n  in \"<unicode string>\", line %zu, column %zu", cm->line + 1, cm->column + 1);
    rt_buf_putc(&b, '\n');
  }
  rt_buf_puts(&b, p->problem ? p->problem : "YAML error");
  rt_buf_printf(&b, "\n  in \"<unicode string>\", line %zu, column %zu", pm->line + 1, pm->column + 1);
  return rt_buf_take(&b);
}

static bool next_event(YamlCtx *y, yaml_event_t *ev) {
  if (!yaml_parser_parse(&y->p, ev)) {
    if (y->pyyaml && !y->err) {
      y->err = pyyaml_error(&y->p);
      y->err_kind = y->p.error == YAML_SCANNER_ERROR ? 1 : 2;
      return false;
    }
    return yaml_fail(y, &y->p.problem_mark, "%s", y->p.problem ? y->p.problem : "YAML error");
  }
  return true;
}

static void remember(YamlCtx *y, const yaml_char_t *anchor, RtValue *v, uint64_t weight) {
  if (!anchor)
    return;
  if (y->nanchors == y->cap) {
    y->cap = y->cap ? y->cap * 2 : 8;
    y->anchors = rt_xrealloc(y->anchors, sizeof *y->anchors * y->cap);
  }
  y->anchors[y->nanchors].val = rt_incref(v);
  y->anchors[y->nanchors].weight = weight;
  rt_dict_set(y->anchor_index, (const char *)anchor, rt_int((int64_t)y->nanchors++));
}

static RtValue *scalar(const yaml_event_t *ev) {
  const char *s = (const char *)ev->data.scalar.value;
  size_t n = ev->data.scalar.length;
  const char *tag = (const char *)ev->data.scalar.tag;
  if (tag && strcmp(tag, "tag:yaml.org,2002:str") == 0)
    return rt_str(s, n);
  if (tag && strcmp(tag, "!unsafe") == 0) { /* Ansible's AnsibleUnsafeText: never templated (eval.c) */
    RtValue *v = rt_str(s, n);
    v->flags |= RT_VF_UNSAFE;
    return v;
  }
  if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return rt_str(s, n);
  FeY11Scalar r = fe_yaml11_resolve(s, n);
  switch (r.type) {
  case FE_Y11_NULL: return rt_none();
  case FE_Y11_BOOL: return rt_bool(r.b);
  case FE_Y11_INT: return rt_int(r.i);
  case FE_Y11_FLOAT: return rt_float(r.f);
  default: break;
  }
  char *digits = r.int_too_big ? fe_yaml11_int_digits(s, n) : NULL;
  if (!digits)
    return rt_str(s, n);
  RtValue *v = rt_int_text(digits, strlen(digits)); /* PyYAML's int of any size */
  free(digits);
  return v;
}

/* A merge key: a plain `<<` (or one tagged !!merge), as PyYAML resolves it. */
static bool is_merge_key(const yaml_event_t *ev) {
  if (ev->type != YAML_SCALAR_EVENT)
    return false;
  const char *tag = (const char *)ev->data.scalar.tag;
  if (tag)
    return strcmp(tag, "tag:yaml.org,2002:merge") == 0;
  return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.length == 2 &&
         memcmp(ev->data.scalar.value, "<<", 2) == 0;
}

static const char *node_id(const RtValue *v) {
  return rt_kind(v) == RT_DICT ? "mapping" : rt_kind(v) == RT_LIST ? "sequence" : "scalar";
}

static RtValue *node(YamlCtx *y, yaml_event_t *ev, int depth, uint64_t *weight);

/* A sequence's items, up to its end event (`start` is its start event). */
static RtValue *sequence(YamlCtx *y, yaml_event_t *start, int depth, uint64_t *weight) {
  RtValue *l = rt_list_new(4);
  *weight = 1;
  for (;;) {
    yaml_event_t e;
    if (!next_event(y, &e))
      break;
    if (e.type == YAML_SEQUENCE_END_EVENT) {
      yaml_event_delete(&e);
      remember(y, start->data.sequence_start.anchor, l, *weight);
      return l;
    }
    uint64_t w = 0;
    RtValue *item = node(y, &e, depth + 1, &w);
    yaml_event_delete(&e);
    if (!item)
      break;
    rt_list_push(l, item);
    if ((*weight += w) > YAML_MAX_WEIGHT) {
      yaml_fail(y, &start->start_mark,
                "this document expands to more than %llu nodes through its aliases",
                (unsigned long long)YAML_MAX_WEIGHT);
      break;
    }
  }
  rt_decref(l);
  return NULL;
}

/* Adds the mapping(s) a `<<` key names to `merges`, in the order PyYAML's
 * flatten_mapping uses: a list of mappings is merged last-to-first. */
static bool add_merge(YamlCtx *y, const yaml_event_t *at, RtValue *merges, RtValue *val) {
  if (rt_kind(val) == RT_DICT) {
    rt_list_push(merges, rt_incref(val));
    return true;
  }
  if (rt_kind(val) != RT_LIST)
    return yaml_fail(y, &at->start_mark,
                     "while constructing a mapping: expected a mapping or list of mappings for "
                     "merging, but found %s",
                     node_id(val));
  for (size_t i = rt_len(val); i-- > 0;) {
    RtValue *m = rt_list_at(val, i);
    if (rt_kind(m) != RT_DICT)
      return yaml_fail(y, &at->start_mark,
                       "while constructing a mapping: expected a mapping for merging, but found %s",
                       node_id(m));
    rt_list_push(merges, rt_incref(m));
  }
  return true;
}

/* A mapping as PyYAML constructs it: the merged mappings' pairs first, then
 * its own, each key keeping its first position and its last value. */
static RtValue *mapping(YamlCtx *y, yaml_event_t *start, int depth, uint64_t *weight) {
  RtValue *own = rt_dict_new(4), *merges = rt_list_new(1), *result = NULL;
  *weight = 1;
  for (;;) {
    yaml_event_t ke, ve;
    if (!next_event(y, &ke))
      goto done;
    if (ke.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&ke);
      break;
    }
    bool merge = is_merge_key(&ke);
    uint64_t kw = 0, vw = 0;
    RtValue *k = node(y, &ke, depth + 1, &kw), *val = NULL;
    if (k && next_event(y, &ve)) {
      val = node(y, &ve, depth + 1, &vw);
      yaml_event_delete(&ve);
    }
    bool ok = val != NULL;
    if (ok && !merge && (rt_kind(k) == RT_LIST || rt_kind(k) == RT_DICT)) {
      /* as Ansible's constructor refuses it; rendering it as text would also
       * grow with each level of keys inside keys (a fuzzer's 79 bytes: 2^29) */
      ok = yaml_fail(y, &ke.start_mark, "found unacceptable key (unhashable type: '%s')",
                     rt_kind(k) == RT_LIST ? "list" : "dict");
    } else if (ok && merge) {
      ok = add_merge(y, &ke, merges, val);
    } else if (ok) { /* a plain 80, 1.5, true, ~ key keeps its type, as PyYAML's */
      RtValue *key = rt_dict_key_encode(k);
      rt_dict_put_key(own, key, rt_incref(val));
      rt_decref(key);
    }
    if (ok && (*weight += kw + vw) > YAML_MAX_WEIGHT)
      ok = yaml_fail(y, &start->start_mark,
                     "this document expands to more than %llu nodes through its aliases",
                     (unsigned long long)YAML_MAX_WEIGHT);
    yaml_event_delete(&ke);
    rt_decref(k);
    rt_decref(val);
    if (!ok)
      goto done;
  }
  if (rt_len(merges) == 0) {
    result = rt_incref(own);
  } else {
    result = rt_dict_new(rt_len(own));
    for (size_t m = 0; m < rt_len(merges); m++) {
      const RtValue *d = rt_list_at(merges, m);
      for (size_t i = 0; i < d->u.dict.len; i++)
        rt_dict_put_key(result, d->u.dict.ents[i].key, rt_incref(d->u.dict.ents[i].val));
    }
    for (size_t i = 0; i < own->u.dict.len; i++)
      rt_dict_put_key(result, own->u.dict.ents[i].key, rt_incref(own->u.dict.ents[i].val));
  }
  remember(y, start->data.mapping_start.anchor, result, *weight);
done:
  rt_decref(own);
  rt_decref(merges);
  return result;
}

/* One node, from its first event; NULL with y->err on bad input, past
 * RT_MAX_DEPTH, or past YAML_MAX_WEIGHT. *weight: its nodes, expanded. */
static RtValue *node(YamlCtx *y, yaml_event_t *ev, int depth, uint64_t *weight) {
  RtValue *v;
  *weight = 1;
  bool collection = ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT;
  if (collection && depth > RT_MAX_DEPTH) {
    yaml_fail(y, &ev->start_mark, "nested more than %d levels deep", RT_MAX_DEPTH);
    return NULL;
  }
  switch (ev->type) {
  case YAML_SCALAR_EVENT:
    if (y->vault && ev->data.scalar.tag && strcmp((const char *)ev->data.scalar.tag, "!vault") == 0)
      v = rt_vault_run_decrypt_once(y->vault, (const char *)ev->data.scalar.value, ev->data.scalar.length, NULL);
    else
      v = scalar(ev);
    remember(y, ev->data.scalar.anchor, v, 1);
    return v;
  case YAML_ALIAS_EVENT: {
    const RtValue *at = rt_dict_get(y->anchor_index, (const char *)ev->data.alias.anchor);
    if (!at) {
      yaml_fail(y, &ev->start_mark, "found undefined alias %s", ev->data.alias.anchor);
      return NULL;
    }
    const Anchor *a = &y->anchors[at->u.i];
    *weight = a->weight;
    return rt_incref(a->val);
  }
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    bool map = ev->type == YAML_MAPPING_START_EVENT;
    const char *tag = (const char *)(map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
    bool unsafe = tag && strcmp(tag, "!unsafe") == 0;
    v = map ? mapping(y, ev, depth, weight) : sequence(y, ev, depth, weight);
    if (v && unsafe) { /* construct_yaml_unsafe: wrap_var of the collection */
      RtValue *w = rt_unsafe_wrap(v);
      rt_decref(v);
      v = w;
    }
    return v;
  }
  default:
    yaml_fail(y, &ev->start_mark, "unexpected YAML event");
    return NULL;
  }
}

static RtValue *parse_yaml(RtRun *vault, const char *s, size_t len, const char *file, char **err);

RtValue *rt_parse_yaml(const char *s, size_t len, const char *file, char **err) {
  return parse_yaml(NULL, s, len, file, err);
}

RtValue *rt_parse_yaml_vault(RtRun *run, const char *s, size_t len, const char *file, char **err) {
  return parse_yaml(run, s, len, file, err);
}

static RtValue *parse_yaml(RtRun *vault, const char *s, size_t len, const char *file, char **err) {
  YamlCtx y = {0};
  y.vault = vault;
  y.file = file ? file : "<yaml>";
  y.anchor_index = rt_dict_new(8);
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
      uint64_t w;
      result = node(&y, &ev, 1, &w);
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
  for (size_t i = 0; i < y.nanchors; i++)
    rt_decref(y.anchors[i].val);
  free(y.anchors);
  rt_decref(y.anchor_index);
  yaml_parser_delete(&y.p);
  if (y.err) {
    rt_decref(result);
    *err = y.err;
    return NULL;
  }
  return result;
}

RtValue *rt_parse_yaml_all(const char *s, size_t len, RtValue **marks, char **err, int *kind) {
  YamlCtx y = {0};
  y.file = "<unicode string>";
  y.pyyaml = true;
  y.anchor_index = rt_dict_new(8);
  yaml_parser_initialize(&y.p);
  yaml_parser_set_input_string(&y.p, (const unsigned char *)s, len);
  RtValue *docs = rt_list_new(1), *m = rt_list_new(1);
  yaml_mark_t doc_mark = {0};
  yaml_event_t ev;
  while (next_event(&y, &ev)) {
    yaml_event_type_t t = ev.type;
    if (t == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if (t == YAML_DOCUMENT_START_EVENT) { /* anchors are per document */
      doc_mark = ev.start_mark;
      for (size_t i = 0; i < y.nanchors; i++)
        rt_decref(y.anchors[i].val);
      y.nanchors = 0;
      rt_decref(y.anchor_index);
      y.anchor_index = rt_dict_new(8);
    } else if (t != YAML_STREAM_START_EVENT && t != YAML_DOCUMENT_END_EVENT) {
      uint64_t w;
      RtValue *at = rt_list_new(4);
      rt_list_push(at, rt_int((int64_t)doc_mark.line + 1));
      rt_list_push(at, rt_int((int64_t)doc_mark.column + 1));
      rt_list_push(at, rt_int((int64_t)ev.start_mark.line + 1));
      rt_list_push(at, rt_int((int64_t)ev.start_mark.column + 1));
      rt_list_push(m, at);
      RtValue *doc = node(&y, &ev, 1, &w);
      yaml_event_delete(&ev);
      if (!doc)
        break;
      rt_list_push(docs, doc);
      continue;
    }
    yaml_event_delete(&ev);
  }
  for (size_t i = 0; i < y.nanchors; i++)
    rt_decref(y.anchors[i].val);
  free(y.anchors);
  rt_decref(y.anchor_index);
  yaml_parser_delete(&y.p);
  if (y.err) {
    rt_decref(docs);
    rt_decref(m);
    *err = y.err;
    *kind = y.err_kind;
    return NULL;
  }
  if (marks)
    *marks = m;
  else
    rt_decref(m);
  return docs;
}

/* ---- Python literals ---- */

typedef struct Lit {
  const char *p, *end;
  bool json_names; /* true, false and null read as True, False and None */
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
  RtValue *c = dict ? rt_dict_new(4) : close == ')' ? rt_tuple_new(4) : rt_list_new(4);
  bool comma = false;
  for (;;) {
    ws(l);
    if (l->p < l->end && *l->p == close) {
      l->p++;
      if (close == ')' && c->u.list.len == 1 && !comma) { /* (x) is x, (x,) a tuple */
        RtValue *x = rt_incref(c->u.list.items[0]);
        rt_decref(c);
        return x;
      }
      return c;
    }
    RtValue *k = lit_value(l, depth + 1);
    if (!k)
      goto bad;
    if (dict) {
      ws(l);
      RtValue *key = rt_dict_key_encode(k); /* {1: 'a'} keeps its int key */
      rt_decref(k);
      if (l->p >= l->end || *l->p != ':' || rt_is_error(key)) {
        rt_decref(key);
        goto bad;
      }
      k = key;
      l->p++;
      RtValue *v = lit_value(l, depth + 1);
      if (!v) {
        rt_decref(k);
        goto bad;
      }
      rt_dict_put_key(c, k, v);
      rt_decref(k);
    } else {
      rt_list_push(c, k);
    }
    ws(l);
    if (l->p < l->end && *l->p == ',') {
      l->p++;
      comma = true;
      continue;
    }
    if (l->p < l->end && *l->p == close)
      continue; /* closed above */
    goto bad;
  }
bad:
  rt_decref(c);
  return NULL;
}

/* A number token as ast.literal_eval reads it: Python's int literals (no
 * leading zeros, 0x/0o/0b, underscores) and floats; one too big for 64 bits
 * is not a literal playc can hold, and the text stays text. */
static RtValue *lit_number(Lit *l) {
  const char *start = l->p;
  bool neg = false;
  if (l->p < l->end && (*l->p == '-' || *l->p == '+')) {
    neg = *l->p++ == '-';
    ws(l); /* "- 5" is UnaryOp(USub, 5) */
  }
  const char *num = l->p;
  bool isfloat = false, hex = l->end - l->p > 1 && l->p[0] == '0' && (l->p[1] | 32) == 'x';
  while (l->p < l->end && (isalnum((unsigned char)*l->p) || *l->p == '.' || *l->p == '_' ||
                           ((*l->p == '-' || *l->p == '+') && !hex &&
                            (l->p[-1] == 'e' || l->p[-1] == 'E')))) {
    if (*l->p == '.' || (!hex && (*l->p == 'e' || *l->p == 'E')))
      isfloat = true;
    l->p++;
  }
  size_t n = (size_t)(l->p - num);
  if (n == 0 || (start != num && (*num == '-' || *num == '+')))
    return NULL;
  if (isfloat) {
    double f;
    if (rt_arith_parse_float(num, n, &f, NULL, 0) != RT_ARITH_OK || isalpha((unsigned char)*num))
      return NULL;
    return rt_float(neg ? -f : f);
  }
  int64_t i;
  const char *from = neg && num == start + 1 ? start : num; /* "-5" whole; "- 5" negated */
  RtArithErr e = rt_arith_parse_int(from, (size_t)(l->p - from), 0, &i, NULL, 0);
  if (e == RT_ARITH_OVERFLOW) { /* an int past 64 bits */
    RtValue *big = rt_bigint_parse(from, (size_t)(l->p - from), 0);
    if (!rt_is_error(big) && neg && from != start) {
      RtValue *r = rt_neg(big, NULL);
      rt_decref(big);
      big = r;
    }
    if (!rt_is_error(big))
      return big;
    rt_decref(big);
    return NULL;
  }
  if (e != RT_ARITH_OK || (neg && from != start && i == INT64_MIN))
    return NULL;
  return rt_int(neg && from != start ? -i : i);
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
  if (word(l, "True"))
    return rt_bool(true);
  if (word(l, "False"))
    return rt_bool(false);
  if (word(l, "None"))
    return rt_none();
  if (l->json_names && word(l, "true"))
    return rt_bool(true);
  if (l->json_names && word(l, "false"))
    return rt_bool(false);
  if (l->json_names && word(l, "null"))
    return rt_none();
  if (isdigit((unsigned char)c) || c == '-' || c == '+' || c == '.')
    return lit_number(l);
  return NULL;
}

static RtValue *parse_literal(const char *s, size_t len, bool json_names) {
  Lit l = {s, s + len, json_names};
  RtValue *v = lit_value(&l, 0);
  ws(&l);
  if (v && l.p != l.end) {
    rt_decref(v);
    return NULL;
  }
  return v;
}

RtValue *rt_parse_pyliteral(const char *s, size_t len) { return parse_literal(s, len, false); }

RtValue *rt_parse_pyliteral_json(const char *s, size_t len) { return parse_literal(s, len, true); }

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
