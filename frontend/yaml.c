/*
 * yaml.c — reads a YAML file with libyaml's event API into an FeNode tree whose
 * nodes carry the 1-based line:col of their start. Plain scalars are resolved
 * with YAML 1.1 rules (yaml11.c, as PyYAML/Ansible do); quoted scalars and
 * !!str are strings. Anchors share the node; `<<` merge keys are expanded;
 * duplicate keys warn (as Ansible does) and the last one wins.
 */
#include "frontend.h"
#include "yaml11.h"

#include <string.h>
#include <yaml.h>

typedef struct YAnchor {
  const char *name;
  FeNode *node;
} YAnchor;

typedef struct YLoad {
  PcCtx *c;
  const char *path;
  yaml_parser_t parser;
  PcVec anchors; /* YAnchor* */
  PcVec open;    /* FeNode*: collections still being read (an alias to one is a cycle) */
  bool failed;
} YLoad;

static PcLoc y_loc(YLoad *y, yaml_mark_t m) {
  PcLoc l = {y->path, (int32_t)m.line + 1, (int32_t)m.column + 1};
  return l;
}

static bool y_next(YLoad *y, yaml_event_t *ev) {
  if (yaml_parser_parse(&y->parser, ev))
    return true;
  yaml_mark_t m = y->parser.problem_mark;
  pc_error_at(y->c, y_loc(y, m), "YAML syntax error: %s%s%s", y->parser.problem ? y->parser.problem : "invalid YAML",
              y->parser.context ? " " : "", y->parser.context ? y->parser.context : "");
  y->failed = true;
  return false;
}

static void y_anchor(YLoad *y, const yaml_char_t *anchor, FeNode *n) {
  if (!anchor)
    return;
  YAnchor *a = pc_alloc(y->c, sizeof *a);
  a->name = pc_strdup(y->c, (const char *)anchor);
  a->node = n;
  pc_vec_push(y->c, &y->anchors, a);
}

static FeNode *y_scalar(YLoad *y, yaml_event_t *ev) {
  FeNode *n = pc_alloc(y->c, sizeof *n);
  n->kind = FE_SCALAR;
  n->loc = y_loc(y, ev->start_mark);
  n->text = pc_strndup(y->c, (const char *)ev->data.scalar.value, ev->data.scalar.length);
  n->len = ev->data.scalar.length;
  const char *tag = (const char *)ev->data.scalar.tag;
  bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
              ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  n->stype = FE_T_STR;
  if (tag && strcmp(tag, "!") != 0 && strncmp(tag, "tag:yaml.org,2002:", 18) != 0) {
    pc_error_at(y->c, n->loc, "the YAML tag '%s' is not supported by playc yet", tag);
  } else if (tag && strcmp(tag, "!") != 0) {
    const char *t = tag + 18;
    FeY11Scalar r = fe_yaml11_resolve(n->text, n->len);
    if (strcmp(t, "str") != 0) {
      n->stype = (FeScalarType)r.type;
      n->b = r.b, n->i = r.i, n->f = r.f;
      if (strcmp(t, "float") == 0 && r.type == FE_Y11_INT)
        n->stype = FE_T_FLOAT, n->f = (double)r.i;
    }
  } else if (plain) {
    FeY11Scalar r = fe_yaml11_resolve(n->text, n->len);
    n->stype = (FeScalarType)r.type;
    n->b = r.b, n->i = r.i, n->f = r.f;
  }
  y_anchor(y, ev->data.scalar.anchor, n);
  return n;
}

static FeNode *y_node(YLoad *y, yaml_event_t *ev);

/* Puts k: v; a key already given warns unless it came from a `<<` merge (in `merged`). */
static void y_map_put(YLoad *y, PcVec *keys, PcVec *vals, FeNode *k, FeNode *v, const PcVec *merged) {
  for (int i = 0; i < keys->len; i++) {
    FeNode *o = keys->items[i];
    if (o->kind == FE_SCALAR && k->kind == FE_SCALAR && strcmp(o->text, k->text) == 0) {
      bool from_merge = false;
      for (int j = 0; j < merged->len; j++)
        from_merge |= merged->items[j] == (void *)o;
      if (!from_merge)
        pc_warn_at(y->c, k->loc, "found a duplicate dict key (%s); using last defined value only", k->text);
      vals->items[i] = v;
      return;
    }
  }
  pc_vec_push(y->c, keys, k);
  pc_vec_push(y->c, vals, v);
}

/* Merges map `m` (from `<<`) into keys/vals without overriding existing keys. */
static void y_merge(YLoad *y, PcVec *keys, PcVec *vals, FeNode *m, PcVec *merged) {
  if (m->kind == FE_SEQ) {
    for (int i = 0; i < m->n; i++)
      y_merge(y, keys, vals, m->items[i], merged);
    return;
  }
  if (m->kind != FE_MAP) {
    pc_error_at(y->c, m->loc, "a merge key '<<' needs a mapping or a list of mappings");
    return;
  }
  for (int i = 0; i < m->n; i++) {
    bool have = false;
    for (int j = 0; j < keys->len; j++)
      if (strcmp(((FeNode *)keys->items[j])->text, m->keys[i]->text) == 0)
        have = true;
    if (!have) {
      pc_vec_push(y->c, keys, m->keys[i]);
      pc_vec_push(y->c, vals, m->vals[i]);
      pc_vec_push(y->c, merged, m->keys[i]);
    }
  }
}

static FeNode *y_collection(YLoad *y, yaml_event_t *ev, bool map) {
  FeNode *n = pc_alloc(y->c, sizeof *n);
  n->kind = map ? FE_MAP : FE_SEQ;
  n->loc = y_loc(y, ev->start_mark);
  y_anchor(y, map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor, n);
  pc_vec_push(y->c, &y->open, n);
  PcVec a = {0}, b = {0}, merged = {0};
  for (;;) {
    yaml_event_t e;
    if (!y_next(y, &e))
      return NULL;
    if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&e);
      break;
    }
    FeNode *k = y_node(y, &e);
    yaml_event_delete(&e);
    if (!k)
      return NULL;
    if (!map) {
      pc_vec_push(y->c, &a, k);
      continue;
    }
    if (!y_next(y, &e))
      return NULL;
    FeNode *v = y_node(y, &e);
    yaml_event_delete(&e);
    if (!v)
      return NULL;
    if (k->kind != FE_SCALAR) {
      pc_error_at(y->c, k->loc, "a mapping key must be a scalar");
      continue;
    }
    if (strcmp(k->text, "<<") == 0 && k->stype == FE_T_STR)
      y_merge(y, &a, &b, v, &merged);
    else
      y_map_put(y, &a, &b, k, v, &merged);
  }
  y->open.len--;
  n->n = a.len;
  if (map) {
    n->keys = (FeNode **)a.items;
    n->vals = (FeNode **)b.items;
  } else {
    n->items = (FeNode **)a.items;
  }
  return n;
}

/* An alias shares its anchor's node; one inside its own anchor's collection
 * would make a cycle, which playbooks never need: rejected. */
static FeNode *y_alias(YLoad *y, yaml_event_t *ev, FeNode *n) {
  for (int i = 0; i < y->open.len; i++) {
    if (y->open.items[i] == (void *)n) {
      pc_error_at(y->c, y_loc(y, ev->start_mark), "recursive YAML alias '%s' is not supported",
                  (const char *)ev->data.alias.anchor);
      y->failed = true;
      return NULL;
    }
  }
  return n;
}

static FeNode *y_node(YLoad *y, yaml_event_t *ev) {
  switch (ev->type) {
  case YAML_SCALAR_EVENT:
    return y_scalar(y, ev);
  case YAML_SEQUENCE_START_EVENT:
    return y_collection(y, ev, false);
  case YAML_MAPPING_START_EVENT:
    return y_collection(y, ev, true);
  case YAML_ALIAS_EVENT:
    for (int i = y->anchors.len - 1; i >= 0; i--) {
      YAnchor *a = y->anchors.items[i];
      if (strcmp(a->name, (const char *)ev->data.alias.anchor) == 0)
        return y_alias(y, ev, a->node);
    }
    pc_error_at(y->c, y_loc(y, ev->start_mark), "found undefined alias '%s'", (const char *)ev->data.alias.anchor);
    y->failed = true;
    return NULL;
  default:
    pc_error_at(y->c, y_loc(y, ev->start_mark), "unexpected YAML event");
    y->failed = true;
    return NULL;
  }
}

/* A playbook is one YAML document, as for PyYAML's load(): a second one is an error. */
static void y_single_document(YLoad *y) {
  yaml_event_t ev;
  while (y_next(y, &ev)) {
    yaml_event_type_t t = ev.type;
    if (t == YAML_DOCUMENT_START_EVENT) {
      pc_error_at(y->c, y_loc(y, ev.start_mark), "expected a single document in the stream, but found another document");
      y->failed = true;
    }
    yaml_event_delete(&ev);
    if (t != YAML_DOCUMENT_END_EVENT)
      return;
  }
}

static FeNode *y_load(PcCtx *c, const char *path, bool *empty);

FeNode *fe_yaml_load(PcCtx *c, const char *path) { return y_load(c, path, NULL); }

FeNode *fe_yaml_load_data(PcCtx *c, const char *path, bool *empty) {
  *empty = false;
  return y_load(c, path, empty);
}

static FeNode *y_load(PcCtx *c, const char *path, bool *empty) {
  const PcSource *src = pc_read_source(c, path);
  if (!src) {
    pc_error(c, "cannot read '%s'", path);
    return NULL;
  }
  YLoad y = {0};
  y.c = c;
  y.path = src->path;
  yaml_parser_initialize(&y.parser);
  yaml_parser_set_input_string(&y.parser, (const unsigned char *)src->text, src->len);
  FeNode *root = NULL;
  yaml_event_t ev;
  bool started = false;
  while (!root && y_next(&y, &ev)) {
    yaml_event_type_t t = ev.type;
    if (t == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if (t == YAML_DOCUMENT_START_EVENT)
      started = true;
    else if (started && t != YAML_STREAM_START_EVENT && t != YAML_DOCUMENT_END_EVENT)
      root = y_node(&y, &ev);
    yaml_event_delete(&ev);
    if (y.failed)
      break;
  }
  if (root && !y.failed)
    y_single_document(&y);
  yaml_parser_delete(&y.parser);
  if (!root && !y.failed && empty) {
    *empty = true;
  } else if (!root && !y.failed && c->nerrors == 0) {
    PcLoc l = {y.path, 1, 1};
    pc_error_at(c, l, "empty playbook");
  }
  return y.failed ? NULL : root;
}

FeNode *fe_map_get(const FeNode *map, const char *key) {
  if (!map || map->kind != FE_MAP)
    return NULL;
  for (int i = 0; i < map->n; i++)
    if (strcmp(map->keys[i]->text, key) == 0)
      return map->vals[i];
  return NULL;
}
