/*
 * yaml.c — reads a YAML file with libyaml's event API into an FeNode tree whose
 * nodes carry the 1-based line:col of their start. Plain scalars are resolved
 * with YAML 1.1 rules (yaml11.c, as PyYAML/Ansible do); quoted scalars and
 * !!str are strings. An alias shares its anchor's node, never a copy, so the
 * tree is a DAG whose size is the document's (FeNode.shared marks the nodes
 * reached twice). `<<` merge keys copy entries as PyYAML does, merged ones
 * first, within a budget; duplicate keys warn (as Ansible does) and the last
 * one wins. Nesting is limited (PC_MAX_YAML_DEPTH) counting through aliases,
 * so the recursive walks over the tree after the loader are bounded too.
 */
#include "frontend.h"
#include "yaml11.h"
#include "../runtime/vault.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct YLoad {
  PcCtx *c;
  const char *path;
  yaml_parser_t parser;
  PcMap anchors;   /* anchor name → FeNode*, the latest definition */
  int32_t depth;   /* collections open around the current event */
  int64_t merged;  /* entries copied by `<<` merges so far */
  /* y_text: the short scalar texts read so far, each one's arena copy (an
   * open-addressing table, malloc'ed and freed with the load) */
  struct YText {
    const char *s;
    uint32_t len;
  } *texts;
  uint32_t texts_cap, texts_len;
  bool failed;
  /* The items (or own key, value pairs) of the collections being read, the
   * innermost last: malloc'ed and reused, so that each collection gets one
   * array of its exact size in the arena (a node tree is most of what a
   * big playbook costs, and vectors grown by doubling would waste a third). */
  FeNode **stack;
  size_t stack_len, stack_cap;
} YLoad;

static void y_push(YLoad *y, FeNode *n) {
  if (y->stack_len == y->stack_cap) {
    size_t cap = y->stack_cap ? y->stack_cap * 2 : 256;
    FeNode **s = realloc(y->stack, cap * sizeof *s);
    if (!s)
      pc_panic(__FILE__, __LINE__, "out of memory");
    y->stack = s;
    y->stack_cap = cap;
  }
  y->stack[y->stack_len++] = n;
}

/* The `n` nodes of the stack from `base` in an arena array of that size. */
static FeNode **y_pop(YLoad *y, size_t base, size_t n, size_t stride) {
  FeNode **a = n ? pc_alloc(y->c, n * sizeof *a) : NULL;
  for (size_t i = 0; i < n; i++)
    a[i] = y->stack[base + i * stride];
  return a;
}

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
  const char *name = pc_strdup(y->c, (const char *)anchor);
  pc_map_put(y->c, &y->anchors, name, strlen(name), n);
}

/* PyYAML reads an int of any size: one past 64 bits keeps its decimal
 * digits (FeNode.digits; a Python int at run time, runtime/bigint.c) and its
 * value saturated in i, as the runtime's big ints do. */
static void y_int_too_big(YLoad *y, FeNode *n, FeY11Scalar *r) {
  if (!r->int_too_big)
    return;
  char *d = fe_yaml11_int_digits(n->text, n->len);
  if (!d)
    PC_UNREACHABLE();
  n->digits = pc_strdup(y->c, d);
  free(d);
  r->type = FE_Y11_INT;
  r->i = n->digits[0] == '-' ? INT64_MIN : INT64_MAX;
}

/* Vault text (an inline `!vault` value, or a whole file) checked without
 * any password: Ansible finds a bad envelope only when the value is used
 * (the task fails) or the file loaded, so this is a fault, an error with
 * --strict. The text itself is kept as it is, never decrypted. */
static void y_vault_check(YLoad *y, const FeNode *n, const char *file) {
  RtVaultEnvelope env;
  char *err = NULL;
  if (rt_vault_parse(n->text, n->len, file, &env, &err) == RT_VAULT_OK) {
    rt_vault_envelope_free(&env);
    return;
  }
  pc_fault_at(y->c, n->loc, "%s is not valid vault text: %s", file ? file : "this !vault value", err ? err : "?");
  free(err);
}

/* The resolved type and value of scalar `n` (i and f share their bytes). */
static void y_set_value(FeNode *n, const FeY11Scalar *r) {
  n->stype = (FeScalarType)r->type;
  n->b = r->b;
  if (r->type == FE_Y11_FLOAT)
    n->f = r->f;
  else
    n->i = r->i;
}

/* The arena copy of a scalar's text. A short one is kept once per file and
 * shared by every scalar with those bytes: keys (name, when, loop, msg...)
 * and values (true, directory...) repeat in every task, and a big playbook's
 * strings are a tenth of its load. Node texts are never written to. The
 * table stops growing at Y_TEXTS texts (a file of unique short texts would
 * pay more for it than it saves) and is freed when the file is read. */
enum { Y_TEXT_MAX = 24, Y_TEXTS = 2048 };

static uint32_t y_text_hash(const char *s, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static struct YText *y_text_slot(struct YText *tab, uint32_t cap, const char *s, size_t n) {
  for (uint32_t i = y_text_hash(s, n) & (cap - 1);; i = (i + 1) & (cap - 1))
    if (!tab[i].s || (tab[i].len == n && memcmp(tab[i].s, s, n) == 0))
      return &tab[i];
}

static const char *y_text(YLoad *y, const char *s, size_t n) {
  if (n > Y_TEXT_MAX)
    return pc_strndup(y->c, s, n);
  struct YText *e = y->texts ? y_text_slot(y->texts, y->texts_cap, s, n) : NULL;
  if (e && e->s)
    return e->s;
  const char *t = pc_strndup(y->c, s, n);
  if (y->texts_len >= Y_TEXTS)
    return t;
  if ((y->texts_len + 1) * 4 >= y->texts_cap * 3) { /* under 3/4 full */
    uint32_t cap = y->texts_cap ? y->texts_cap * 2 : 64;
    struct YText *tab = calloc(cap, sizeof *tab);
    if (!tab)
      pc_panic(__FILE__, __LINE__, "out of memory");
    for (uint32_t i = 0; i < y->texts_cap; i++)
      if (y->texts[i].s)
        *y_text_slot(tab, cap, y->texts[i].s, y->texts[i].len) = y->texts[i];
    free(y->texts);
    y->texts = tab;
    y->texts_cap = cap;
  }
  e = y_text_slot(y->texts, y->texts_cap, s, n);
  e->s = t;
  e->len = (uint32_t)n;
  y->texts_len++;
  return t;
}

/* scalar := SCALAR (plain scalars resolved as YAML 1.1) */
static FeNode *y_scalar(YLoad *y, yaml_event_t *ev) {
  FeNode *n = pc_alloc(y->c, sizeof *n);
  n->kind = FE_SCALAR;
  n->loc = y_loc(y, ev->start_mark);
  n->text = y_text(y, (const char *)ev->data.scalar.value, ev->data.scalar.length);
  n->len = ev->data.scalar.length;
  const char *tag = (const char *)ev->data.scalar.tag;
  bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
              ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  n->stype = FE_T_STR;
  if (tag && strcmp(tag, "!vault") == 0) {
    n->stype = FE_T_VAULT;
    y_vault_check(y, n, NULL);
  } else if (tag && strcmp(tag, "!unsafe") == 0) { /* construct_yaml_unsafe: the text, a string */
    n->unsafe = true;
  } else if (tag && strcmp(tag, "!") != 0 && strncmp(tag, "tag:yaml.org,2002:", 18) != 0) {
    pc_error_at(y->c, n->loc, "the YAML tag '%s' is not supported by playc yet", tag);
  } else if (tag && strcmp(tag, "!") != 0) {
    const char *t = tag + 18;
    FeY11Scalar r = fe_yaml11_resolve(n->text, n->len);
    if (strcmp(t, "str") != 0) {
      y_int_too_big(y, n, &r);
      y_set_value(n, &r);
      if (strcmp(t, "float") == 0 && r.type == FE_Y11_INT) {
        n->stype = FE_T_FLOAT, n->f = n->digits ? strtod(n->digits, NULL) : (double)r.i;
        n->digits = NULL;
      }
    }
  } else if (plain) {
    FeY11Scalar r = fe_yaml11_resolve(n->text, n->len);
    y_int_too_big(y, n, &r);
    y_set_value(n, &r);
  }
  y_anchor(y, ev->data.scalar.anchor, n);
  return n;
}

static FeNode *y_node(YLoad *y, yaml_event_t *ev);

/* A mapping being read: its own entries and those `<<` merges bring, kept
 * apart because PyYAML puts merged entries first (flatten_mapping). */
typedef struct YMap {
  PcVec keys, vals;     /* the result, in order */
  PcVec own_k, own_v;   /* the mapping's own entries, in document order */
  PcVec merge_k, merge_v; /* merged entries in PyYAML's order */
  PcMap index;          /* key text → position + 1 in keys */
} YMap;

/* Puts k: v into the result as a Python dict does: a key already there
 * keeps its place and takes the new value. Returns false if it was there. */
static bool y_map_put(YLoad *y, YMap *m, FeNode *k, FeNode *v) {
  intptr_t at = (intptr_t)pc_map_get(&m->index, k->text, k->len);
  if (at) {
    m->vals.items[at - 1] = v;
    return false;
  }
  pc_vec_push(y->c, &m->keys, k);
  pc_vec_push(y->c, &m->vals, v);
  pc_map_put(y->c, &m->index, k->text, k->len, (void *)(intptr_t)m->keys.len);
  return true;
}

/* Height bookkeeping: a collection is one level more than its deepest kid. */
static void y_grow(FeNode *n, const FeNode *kid) {
  if (kid->height + 1 > n->height)
    n->height = kid->height + 1;
}

/* Adds the entries of map `src` (already flattened) to the merge list of
 * `n`, within the document's budget of merged entries. */
static bool y_merge_map(YLoad *y, YMap *m, FeNode *n, FeNode *src, FeNode *at) {
  if (src->kind != FE_MAP) {
    pc_error_at(y->c, src->loc, "a merge key '<<' needs a mapping or a list of mappings");
    return true;
  }
  y->merged += src->n;
  if (y->merged > PC_MAX_YAML_MERGED) {
    pc_error_at(y->c, at->loc, "YAML merge keys ('<<') copy more than %d entries in all", PC_MAX_YAML_MERGED);
    y->failed = true;
    return false;
  }
  for (int i = 0; i < src->n; i++) {
    src->vals[i]->shared = true; /* now reachable from two maps */
    y_grow(n, src->vals[i]);
    pc_vec_push(y->c, &m->merge_k, src->keys[i]);
    pc_vec_push(y->c, &m->merge_v, src->vals[i]);
  }
  return true;
}

/* `<<: map` merges its entries; `<<: [m1, m2]` merges them with the first
 * map's values winning, in PyYAML's order (the list reversed). */
static bool y_merge(YLoad *y, YMap *m, FeNode *n, FeNode *v) {
  if (v->kind != FE_SEQ)
    return y_merge_map(y, m, n, v, v);
  for (int i = v->n - 1; i >= 0; i--)
    if (!y_merge_map(y, m, n, v->items[i], v))
      return false;
  return true;
}

/* A small mapping with no merge and no key given twice (checked pairwise:
 * no index to build for the few keys a task or its args have): its own
 * entries, `n` key, value pairs on the stack from `base`, are the result. */
static bool y_map_plain(const YLoad *y, const YMap *m, size_t base, size_t n) {
  if (m->merge_k.len || n > 16)
    return false;
  for (size_t i = 1; i < n; i++) {
    const FeNode *a = y->stack[base + 2 * i];
    for (size_t j = 0; j < i; j++) {
      const FeNode *b = y->stack[base + 2 * j];
      if (a->len == b->len && memcmp(a->text, b->text, a->len) == 0)
        return false;
    }
  }
  return true;
}

/* The final entries: merged ones first, then the mapping's own (`n` key,
 * value pairs on the stack from `base`), which warn when given twice (as
 * Ansible does) and silently override merged ones. */
static void y_map_finish(YLoad *y, YMap *m, FeNode *n, size_t base, size_t nown) {
  if (y_map_plain(y, m, base, nown)) { /* the common case: the own entries are the result */
    n->n = (int32_t)nown;
    n->keys = y_pop(y, base, nown, 2);
    n->vals = y_pop(y, base + 1, nown, 2);
    return;
  }
  for (size_t i = 0; i < nown; i++) {
    pc_vec_push(y->c, &m->own_k, y->stack[base + 2 * i]);
    pc_vec_push(y->c, &m->own_v, y->stack[base + 2 * i + 1]);
  }
  for (int i = 0; i < m->merge_k.len; i++)
    y_map_put(y, m, m->merge_k.items[i], m->merge_v.items[i]);
  int32_t merged = m->keys.len;
  for (int i = 0; i < m->own_k.len; i++) {
    FeNode *k = m->own_k.items[i];
    intptr_t at = (intptr_t)pc_map_get(&m->index, k->text, k->len);
    if (at > merged)
      pc_warn_at(y->c, k->loc, "found a duplicate dict key (%s); using last defined value only", k->text);
    y_map_put(y, m, k, m->own_v.items[i]);
  }
  n->n = m->keys.len;
  n->keys = (FeNode **)m->keys.items;
  n->vals = (FeNode **)m->vals.items;
}

/* collection := SEQUENCE-START node* SEQUENCE-END | MAPPING-START (key value)* MAPPING-END */
static FeNode *y_collection(YLoad *y, yaml_event_t *ev, bool map) {
  FeNode *n = pc_alloc(y->c, sizeof *n);
  n->kind = map ? FE_MAP : FE_SEQ;
  n->loc = y_loc(y, ev->start_mark);
  n->height = 1;
  if (y->depth + 1 > PC_MAX_YAML_DEPTH) {
    pc_error_at(y->c, n->loc, "YAML nested too deeply (more than %d levels)", PC_MAX_YAML_DEPTH);
    y->failed = true;
    return NULL;
  }
  y_anchor(y, map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor, n);
  n->open = true;
  y->depth++;
  size_t base = y->stack_len;
  YMap m = {0};
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
    y_grow(n, k);
    if (!map) {
      y_push(y, k);
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
    if (strcmp(k->text, "<<") == 0 && k->stype == FE_T_STR) { /* not kept: its entries are */
      if (!y_merge(y, &m, n, v))
        return NULL;
      continue;
    }
    y_grow(n, v);
    y_push(y, k);
    y_push(y, v);
  }
  y->depth--;
  n->open = false;
  size_t len = y->stack_len - base;
  if (map) {
    y_map_finish(y, &m, n, base, len / 2);
  } else {
    n->n = (int32_t)len;
    n->items = y_pop(y, base, len, 1);
  }
  y->stack_len = base;
  return n;
}

/* An alias shares its anchor's node (never a copy). One inside its own
 * anchor's collection would make a cycle, which playbooks never need:
 * rejected; and its levels count where it is used. */
static FeNode *y_alias(YLoad *y, yaml_event_t *ev) {
  const char *name = (const char *)ev->data.alias.anchor;
  FeNode *n = pc_map_get(&y->anchors, name, strlen(name));
  PcLoc loc = y_loc(y, ev->start_mark);
  if (!n)
    pc_error_at(y->c, loc, "found undefined alias '%s'", name);
  else if (n->open)
    pc_error_at(y->c, loc, "recursive YAML alias '%s' is not supported", name);
  else if (y->depth + n->height > PC_MAX_YAML_DEPTH)
    pc_error_at(y->c, loc, "YAML nested too deeply (more than %d levels) through alias '%s'", PC_MAX_YAML_DEPTH,
                name);
  else {
    n->shared = true;
    return n;
  }
  y->failed = true;
  return NULL;
}

/* Marks every string below `n` unsafe, as wrap_var wraps what a `!unsafe`
 * collection holds (values, not keys); a shared node is visited once. */
static void y_mark_unsafe(YLoad *y, FeNode *n, PcMap *seen) {
  if (n->kind == FE_SCALAR) {
    n->unsafe |= n->stype == FE_T_STR;
    return;
  }
  if (n->shared) {
    if (pc_map_get_ptr(seen, n))
      return;
    pc_map_put_ptr(y->c, seen, n, n);
  }
  for (int i = 0; i < n->n; i++)
    y_mark_unsafe(y, n->kind == FE_SEQ ? n->items[i] : n->vals[i], seen);
}

/* collection := (SEQUENCE-START | MAPPING-START) ..., `!unsafe` marking its strings */
static FeNode *y_tagged_collection(YLoad *y, yaml_event_t *ev, bool map) {
  const char *tag = (const char *)(map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
  bool unsafe = tag && strcmp(tag, "!unsafe") == 0;
  FeNode *n = y_collection(y, ev, map);
  if (n && unsafe) {
    PcMap seen = {0};
    y_mark_unsafe(y, n, &seen);
  }
  return n;
}

/* node := scalar | collection | alias */
static FeNode *y_node(YLoad *y, yaml_event_t *ev) {
  switch (ev->type) {
  case YAML_SCALAR_EVENT:
    return y_scalar(y, ev);
  case YAML_SEQUENCE_START_EVENT:
    return y_tagged_collection(y, ev, false);
  case YAML_MAPPING_START_EVENT:
    return y_tagged_collection(y, ev, true);
  case YAML_ALIAS_EVENT:
    return y_alias(y, ev);
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
  int err = 0;
  PcSource *src = pc_read_source(c, path, &err);
  if (!src) {
    pc_error(c, "cannot read '%s': %s", path, pc_read_strerror(c, err, PC_MAX_SOURCE_BYTES));
    return NULL;
  }
  YLoad y = {0};
  y.c = c;
  y.path = src->path;
  if (rt_vault_is_encrypted(src->text, src->len)) { /* a vault-encrypted file: kept as its text */
    PcLoc l = {y.path, 1, 1};
    if (!empty) {
      pc_error_at(c, l, "'%s' is vault-encrypted: an encrypted playbook or tasks file cannot be compiled (its "
                        "plaintext would be in the program); encrypt its values or vars files instead", path);
      return NULL;
    }
    FeNode *n = pc_alloc(c, sizeof *n);
    n->kind = FE_SCALAR;
    n->stype = FE_T_VAULT;
    n->vault_file = true;
    n->loc = l;
    n->text = src->text;
    n->len = src->len;
    src->pinned = true; /* the node holds the text */
    y_vault_check(&y, n, y.path);
    return n;
  }
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
  free(y.stack);
  free(y.texts);
  pc_source_drop(src); /* the nodes hold copies; a diagnostic reads the file again */
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
