/*
 * lower.c — playbook AST → IR. Resolves each task's module and checks its
 * arguments against the module schema (unknown, missing, exclusive, mistyped
 * constant parameters are located errors), splits free-form `k=v` arguments
 * the way Ansible's parse_kv does, parses Jinja templates and bare conditions
 * into IR expressions, checks filter and test names against filters.def, and
 * embeds `copy src` files read at compile time.
 *
 * YAML aliases are shared, never copied: a node the loader marks shared
 * (FeNode.shared), and a Jinja operand used twice (JExpr.shared), is lowered
 * once per way of lowering it (memo[mode]) and becomes a root of its own, so
 * the IR is a DAG whose sharing is only at roots and whose size is the
 * input's; a task reached through several aliases is lowered once too. An
 * error inside an anchor is therefore reported once.
 */
#include "ir.h"
#include "../frontend/jinja.h"
#include "../modules/modules.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct IrFilterInfo {
  const char *name;
  IrType type;
  int min, max;
} IrFilterInfo;

static const IrFilterInfo lw_filters[] = {
#define PLAYC_FILTER(n, t, mn, mx) {#n, TY_##t, mn, mx},
#include "../runtime/filters.def"
    {NULL, TY_ANY, 0, 0}};

static const IrFilterInfo lw_tests[] = {
#define PLAYC_TEST(n, mn, mx) {#n, TY_BOOL, mn, mx},
#include "../runtime/filters.def"
    {NULL, TY_ANY, 0, 0}};

/* The ways a node is lowered, each memoised apart for shared nodes. */
typedef enum LwMode {
  LW_VALUE,  /* lw_node: a value */
  LW_BARE,   /* lw_bare: a bare condition */
  LW_COND,   /* lw_cond: a condition or a list of them, ANDed */
  LW_SRCS,   /* lw_expr_param: the list of a list param's source texts */
  LW_CONDS,  /* lw_expr_param: the list of its compiled conditions */
  LW_JINJA,  /* lw_jexpr: a Jinja expression (key: the JExpr) */
  LW_NMODES
} LwMode;

typedef struct Lw {
  PcCtx *c;
  IrProgram *p;
  FePlaybook *pb;
  PcVec files;            /* IrFile* */
  PcMap file_by_name;     /* name as written → IrFile*: each embedded once */
  PcMap memo[LW_NMODES];  /* shared node → its IrExpr, per mode */
  PcMap has_tpl;          /* shared FeNode → (void *)1 no template, 2 template */
  PcMap text;             /* shared FeNode → const char *: lw_src, lw_hosts */
  PcMap tasks;            /* FeTask* → the first IrTask lowered from it */
  PcMap plays;            /* FePlay* → the first IrPlay lowered from it */
} Lw;

static IrExpr *lw_root(Lw *l, IrExpr *e, const char *src);

/* Leaves cost O(1) wherever they are copied; anything else shared is a root. */
static bool lw_leaf(const IrExpr *e) { return e->op == IR_CONST || e->op == IR_VAR; }

/* Remembers `e` as the lowering of shared `key` in `mode`, as a root of its
 * own unless a leaf, so every use refers to one expression. */
static IrExpr *lw_share(Lw *l, const void *key, LwMode mode, IrExpr *e) {
  if (!lw_leaf(e) && e->id < 0)
    lw_root(l, e, NULL);
  pc_map_put_ptr(l->c, &l->memo[mode], key, e);
  return e;
}

static IrExpr *lw_memo(Lw *l, const void *key, LwMode mode) { return pc_map_get_ptr(&l->memo[mode], key); }

static const IrFilterInfo *lw_find(const IrFilterInfo *t, const char *name) {
  static const char *const pre[] = {"ansible.builtin.", "ansible.legacy.", NULL};
  for (int i = 0; pre[i]; i++)
    if (strncmp(name, pre[i], strlen(pre[i])) == 0)
      name += strlen(pre[i]);
  for (; t->name; t++)
    if (strcmp(t->name, name) == 0)
      return t;
  return NULL;
}

static IrExpr *lw_const_str(Lw *l, const char *s, size_t n, PcLoc loc) {
  IrExpr *e = ir_expr_new(l->c, IR_CONST, TY_STR, loc);
  e->s = s;
  e->slen = n;
  return e;
}

static IrExpr *lw_jexpr(Lw *l, const JExpr *j);

/* A filter or test call: checked against filters.def. */
static IrExpr *lw_call(Lw *l, const JExpr *j, bool test) {
  const IrFilterInfo *f = lw_find(test ? lw_tests : lw_filters, j->name);
  int nargs = j->nkids - 1;
  if (!f)
    pc_error_at(l->c, j->loc, "no %s named '%s'", test ? "test" : "filter", j->name);
  else if (nargs < f->min || nargs > f->max)
    pc_error_at(l->c, j->loc, "%s '%s' takes %d to %d arguments, %d given", test ? "test" : "filter", j->name,
                f->min, f->max, nargs);
  IrExpr *e = ir_expr_new(l->c, test ? IR_TEST : IR_FILTER, TY_UNDEF, j->loc);
  e->name = f ? f->name : j->name;
  for (int i = 0; i < j->nkids; i++)
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[i]));
  e->kwnames = j->kwnames;
  e->nkw = j->nkw;
  if (test && j->negated) {
    IrExpr *n = ir_expr_new(l->c, IR_NOT, TY_UNDEF, j->loc);
    ir_expr_add_kid(l->c, n, e);
    return n;
  }
  return e;
}

static IrExpr *lw_jexpr_new(Lw *l, const JExpr *j) {
  static const IrOp ops[] = {[J_GETATTR] = IR_GETATTR, [J_GETITEM] = IR_GETITEM, [J_BINOP] = IR_BINOP,
                             [J_AND] = IR_AND, [J_OR] = IR_OR, [J_NOT] = IR_NOT, [J_NEG] = IR_NEG,
                             [J_IF] = IR_IF, [J_LIST] = IR_LIST, [J_TUPLE] = IR_LIST, [J_DICT] = IR_DICT,
                             [J_CONCAT] = IR_CONCAT};
  IrExpr *e;
  switch (j->kind) {
  case J_NONE: return ir_expr_new(l->c, IR_CONST, TY_NONE, j->loc);
  case J_BOOL: e = ir_expr_new(l->c, IR_CONST, TY_BOOL, j->loc); e->b = j->b; return e;
  case J_INT: e = ir_expr_new(l->c, IR_CONST, TY_INT, j->loc); e->i = j->i; return e;
  case J_FLOAT: e = ir_expr_new(l->c, IR_CONST, TY_FLOAT, j->loc); e->f = j->f; return e;
  case J_STR: return lw_const_str(l, j->s, j->slen, j->loc);
  case J_NAME: e = ir_expr_new(l->c, IR_VAR, TY_UNDEF, j->loc); e->name = j->name; return e;
  case J_POS: return lw_jexpr(l, j->kids[0]);
  case J_FILTER: return lw_call(l, j, false);
  case J_TEST: return lw_call(l, j, true);
  default: break;
  }
  e = ir_expr_new(l->c, ops[j->kind], TY_UNDEF, j->loc);
  e->name = j->name;
  e->binop = (int32_t)j->op;
  if (j->kind == J_IF) { /* IR order: cond, then, else; jinja.h's too */
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[0]));
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[1]));
    ir_expr_add_kid(l->c, e, j->kids[2] ? lw_jexpr(l, j->kids[2]) : ir_expr_new(l->c, IR_CONST, TY_NONE, j->loc));
    return e;
  }
  for (int i = 0; i < j->nkids; i++)
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[i]));
  return e;
}

static IrExpr *lw_jexpr(Lw *l, const JExpr *j) {
  if (!j->shared)
    return lw_jexpr_new(l, j);
  IrExpr *e = lw_memo(l, j, LW_JINJA);
  return e ? e : lw_share(l, j, LW_JINJA, lw_jexpr_new(l, j));
}

/* A string that may hold template syntax: CONST, SINGLE or TEMPLATE. */
static IrExpr *lw_string(Lw *l, const char *s, PcLoc loc) {
  if (!fe_jinja_is_template(s))
    return lw_const_str(l, s, strlen(s), loc);
  JTemplate *t = fe_jinja_parse_template(l->c, s, loc);
  if (!t)
    return lw_const_str(l, s, strlen(s), loc);
  if (t->nparts == 1 && t->parts[0].expr) {
    IrExpr *e = ir_expr_new(l->c, IR_SINGLE, TY_UNDEF, loc);
    ir_expr_add_kid(l->c, e, lw_jexpr(l, t->parts[0].expr));
    return e;
  }
  IrExpr *e = ir_expr_new(l->c, IR_TEMPLATE, TY_STR, loc);
  for (int i = 0; i < t->nparts; i++)
    ir_expr_add_kid(l->c, e, t->parts[i].expr ? lw_jexpr(l, t->parts[i].expr)
                                               : lw_const_str(l, t->parts[i].text, t->parts[i].len, loc));
  return e;
}

/* Where a scalar's text starts: one column in for quoted scalars. */
static PcLoc lw_text_loc(const FeNode *n) {
  PcLoc loc = n->loc;
  loc.col += n->quoted;
  return loc;
}

/* Any YAML value → IR: scalars by their YAML type, strings as templates. */
static IrExpr *lw_node(Lw *l, const FeNode *n);

static IrExpr *lw_node_new(Lw *l, const FeNode *n) {
  IrExpr *e;
  if (n->kind == FE_SCALAR) {
    switch (n->stype) {
    case FE_T_NULL: return ir_expr_new(l->c, IR_CONST, TY_NONE, n->loc);
    case FE_T_BOOL: e = ir_expr_new(l->c, IR_CONST, TY_BOOL, n->loc); e->b = n->b; return e;
    case FE_T_INT: e = ir_expr_new(l->c, IR_CONST, TY_INT, n->loc); e->i = n->i; return e;
    case FE_T_FLOAT: e = ir_expr_new(l->c, IR_CONST, TY_FLOAT, n->loc); e->f = n->f; return e;
    case FE_T_STR: return lw_string(l, n->text, lw_text_loc(n));
    }
  }
  e = ir_expr_new(l->c, n->kind == FE_SEQ ? IR_LIST : IR_DICT, TY_UNDEF, n->loc);
  for (int i = 0; i < n->n; i++) {
    if (n->kind == FE_MAP) {
      ir_expr_add_kid(l->c, e, lw_const_str(l, n->keys[i]->text, n->keys[i]->len, n->keys[i]->loc));
      ir_expr_add_kid(l->c, e, lw_node(l, n->vals[i]));
    } else {
      ir_expr_add_kid(l->c, e, lw_node(l, n->items[i]));
    }
  }
  return e;
}

static IrExpr *lw_node(Lw *l, const FeNode *n) {
  if (!n->shared)
    return lw_node_new(l, n);
  IrExpr *e = lw_memo(l, n, LW_VALUE);
  return e ? e : lw_share(l, n, LW_VALUE, lw_node_new(l, n));
}

/* Whether a value holds template syntax anywhere (a lazy var). */
static bool lw_has_template(Lw *l, const FeNode *n) {
  if (n->kind == FE_SCALAR)
    return n->stype == FE_T_STR && fe_jinja_is_template(n->text);
  intptr_t known = n->shared ? (intptr_t)pc_map_get_ptr(&l->has_tpl, n) : 0;
  if (known)
    return known == 2;
  bool r = false;
  for (int i = 0; i < n->n && !r; i++)
    r = lw_has_template(l, n->kind == FE_SEQ ? n->items[i] : n->vals[i]);
  if (n->shared)
    pc_map_put_ptr(l->c, &l->has_tpl, n, (void *)(intptr_t)(r ? 2 : 1));
  return r;
}

/* One bare condition (or a constant). `when: "{{ x }}"` is lowered to x: a
 * known gap (Ansible renders it and evaluates the text again). */
static IrExpr *lw_bare_new(Lw *l, const FeNode *n) {
  if (n->kind != FE_SCALAR || n->stype != FE_T_STR)
    return lw_node(l, n);
  if (strstr(n->text, "{{") || strstr(n->text, "{%")) {
    IrExpr *t = lw_string(l, n->text, lw_text_loc(n));
    return t->op == IR_SINGLE ? t->kids[0] : t;
  }
  JExpr *j = fe_jinja_parse_expr(l->c, n->text, lw_text_loc(n));
  return j ? lw_jexpr(l, j) : ir_expr_new(l->c, IR_CONST, TY_BOOL, n->loc);
}

static IrExpr *lw_bare(Lw *l, const FeNode *n) {
  if (!n->shared)
    return lw_bare_new(l, n);
  IrExpr *e = lw_memo(l, n, LW_BARE);
  return e ? e : lw_share(l, n, LW_BARE, lw_bare_new(l, n));
}

/* cond := bare | [bare, ...] (ANDed, one flat and), wrapped in IR_COND */
static IrExpr *lw_cond_new(Lw *l, const FeNode *n) {
  IrExpr *e;
  if (n->kind == FE_SEQ && n->n == 0) {
    e = ir_expr_new(l->c, IR_CONST, TY_BOOL, n->loc);
    e->b = true;
  } else if (n->kind == FE_SEQ && n->n == 1) {
    e = lw_bare(l, n->items[0]);
  } else if (n->kind == FE_SEQ) {
    e = ir_expr_new(l->c, IR_AND, TY_UNDEF, n->loc);
    for (int i = 0; i < n->n; i++)
      ir_expr_add_kid(l->c, e, lw_bare(l, n->items[i]));
  } else {
    e = lw_bare(l, n);
  }
  IrExpr *c = ir_expr_new(l->c, IR_COND, TY_BOOL, n->loc);
  ir_expr_add_kid(l->c, c, e);
  return c;
}

static IrExpr *lw_cond(Lw *l, const FeNode *n) {
  if (!n->shared)
    return lw_cond_new(l, n);
  IrExpr *e = lw_memo(l, n, LW_COND);
  return e ? e : lw_share(l, n, LW_COND, lw_cond_new(l, n));
}

/* The source text of a condition: the string, or the list's strings joined
 * by " and " (built once per shared list). */
static const char *lw_src(Lw *l, const FeNode *n) {
  if (n->kind == FE_SCALAR)
    return n->text;
  if (n->kind != FE_SEQ)
    return NULL;
  const char *known = n->shared ? pc_map_get_ptr(&l->text, n) : NULL;
  if (known)
    return known;
  PcBuf b = {0};
  pc_buf_add(l->c, &b, "", 0);
  for (int i = 0; i < n->n; i++)
    if (n->items[i]->kind == FE_SCALAR) {
      if (i)
        pc_buf_adds(l->c, &b, " and ");
      pc_buf_add(l->c, &b, n->items[i]->text, n->items[i]->len);
    }
  if (n->shared)
    pc_map_put_ptr(l->c, &l->text, n, b.s);
  return b.s;
}

/* Makes `e` a root (its own function) unless it is one: a shared node may
 * be reached as a root from several places. */
static IrExpr *lw_root(Lw *l, IrExpr *e, const char *src) {
  if (e->id < 0 && lw_leaf(e)) { /* a leaf may be a kid elsewhere already: a root of its own */
    IrExpr *copy = pc_alloc(l->c, sizeof *copy);
    *copy = *e;
    e = copy;
  }
  if (!e->src)
    e->src = src;
  if (e->id < 0)
    ir_make_root(l->c, l->p, e);
  return e;
}

/* ---- free-form arguments: Ansible's split_args / parse_kv ---------------- */

/* Splits on whitespace outside quotes and outside {{ }} / {% %} / {# #}. */
static PcVec lw_split_args(Lw *l, const char *s) {
  PcVec v = {0};
  size_t i = 0;
  while (s[i]) {
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')
      i++;
    if (!s[i])
      break;
    size_t st = i;
    char q = 0;
    int depth = 0;
    while (s[i] && (q || depth || (s[i] != ' ' && s[i] != '\t' && s[i] != '\n'))) {
      if (q) {
        if (s[i] == '\\' && s[i + 1])
          i++;
        else if (s[i] == q)
          q = 0;
      } else if (s[i] == '"' || s[i] == '\'') {
        q = s[i];
      } else if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')) {
        depth++, i++;
      } else if (depth && (s[i] == '}' || s[i] == '%' || s[i] == '#') && s[i + 1] == '}') {
        depth--, i++;
      }
      i++;
    }
    pc_vec_push(l->c, &v, pc_strndup(l->c, s + st, i - st));
  }
  return v;
}

static const char *lw_unquote(Lw *l, const char *s) {
  size_t n = strlen(s);
  if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0])
    return pc_strndup(l->c, s + 1, n - 2);
  return s;
}

/* The key of a `k=v` token (letters, digits, _), or NULL. */
static const char *lw_kv_key(Lw *l, const char *tok, const char **val) {
  size_t i = 0;
  while ((tok[i] >= 'a' && tok[i] <= 'z') || (tok[i] >= 'A' && tok[i] <= 'Z') || (tok[i] >= '0' && tok[i] <= '9') ||
         tok[i] == '_')
    i++;
  if (i == 0 || tok[i] != '=')
    return NULL;
  *val = lw_unquote(l, tok + i + 1);
  return pc_strndup(l->c, tok, i);
}

/* Free-form args as a map node: k=v pairs; the rest (command/shell, or tokens
 * without '=') joined into _raw_params. */
static FeNode *lw_free_form(Lw *l, const FeNode *n, bool raw) {
  static const char *const raw_keys[] = {"chdir", "creates", "removes", "executable", "stdin",
                                         "stdin_add_newline", "strip_empty_ends", NULL};
  PcVec toks = lw_split_args(l, n->text);
  PcVec keys = {0}, vals = {0};
  PcBuf rest = {0};
  for (int i = 0; i < toks.len; i++) {
    const char *val = NULL, *k = lw_kv_key(l, toks.items[i], &val);
    bool take = k != NULL;
    if (take && raw) {
      take = false;
      for (int r = 0; raw_keys[r]; r++)
        take |= strcmp(raw_keys[r], k) == 0;
    }
    if (!take) {
      if (rest.len)
        pc_buf_adds(l->c, &rest, " ");
      pc_buf_adds(l->c, &rest, toks.items[i]);
      continue;
    }
    FeNode *kn = pc_alloc(l->c, sizeof *kn), *vn = pc_alloc(l->c, sizeof *vn);
    kn->kind = vn->kind = FE_SCALAR;
    kn->stype = vn->stype = FE_T_STR;
    kn->loc = vn->loc = n->loc;
    kn->text = k, kn->len = strlen(k);
    vn->text = val, vn->len = strlen(val);
    pc_vec_push(l->c, &keys, kn);
    pc_vec_push(l->c, &vals, vn);
  }
  if (rest.len) {
    FeNode *kn = pc_alloc(l->c, sizeof *kn), *vn = pc_alloc(l->c, sizeof *vn);
    kn->kind = vn->kind = FE_SCALAR;
    kn->stype = vn->stype = FE_T_STR;
    kn->loc = vn->loc = n->loc;
    kn->text = "_raw_params", kn->len = 11;
    vn->text = rest.s, vn->len = rest.len;
    pc_vec_push(l->c, &keys, kn);
    pc_vec_push(l->c, &vals, vn);
  }
  FeNode *m = pc_alloc(l->c, sizeof *m);
  m->kind = FE_MAP;
  m->loc = n->loc;
  m->keys = (FeNode **)keys.items;
  m->vals = (FeNode **)vals.items;
  m->n = keys.len;
  return m;
}

/* ---- module arguments ------------------------------------------------------ */

static bool lw_in_list(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0)
      return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

static bool lw_boolish(const char *s) {
  static const char *const ok[] = {"yes", "no", "true", "false", "on", "off", "1", "0", "y", "n", "t", "f", NULL};
  for (int i = 0; ok[i]; i++)
    if (strcasecmp(s, ok[i]) == 0)
      return true;
  return false;
}

/* Checks a constant value against the parameter's type and choices. */
static void lw_check_param(Lw *l, const ModSchema *m, const ModParam *mp, const FeNode *v) {
  if (v->kind != FE_SCALAR || (v->stype == FE_T_STR && fe_jinja_is_template(v->text)))
    return;
  if (mp->type == MP_BOOL && v->stype != FE_T_BOOL && !lw_boolish(v->text))
    pc_error_at(l->c, v->loc, "argument '%s' of module %s is of type bool and '%s' cannot be converted to a bool",
                mp->name, m->name, v->text);
  if (mp->type == MP_INT && v->stype != FE_T_INT) {
    char *end;
    strtoll(v->text, &end, 10);
    if (!*v->text || *end)
      pc_error_at(l->c, v->loc, "argument '%s' of module %s is of type int and '%s' cannot be converted to an int",
                  mp->name, m->name, v->text);
  }
  if (mp->choices && !lw_in_list(mp->choices, v->text))
    pc_error_at(l->c, v->loc, "value of %s must be one of: %s, got: %s", mp->name, mp->choices, v->text);
}

/* Embeds the file named by a constant `copy src`, searched as Ansible does
 * (files/ beside the playbook, then beside it). Every way reading can fail
 * is a located error; a folder (copied recursively by Ansible) is refused
 * as not supported yet. */
static void lw_embed(Lw *l, const FeNode *v) {
  if (v->kind != FE_SCALAR || v->stype != FE_T_STR || fe_jinja_is_template(v->text))
    return;
  if (pc_map_get(&l->file_by_name, v->text, v->len))
    return; /* the runtime finds a file by the name written: embedded once */
  bool abs = v->text[0] == '/';
  const char *cands[2] = {abs ? v->text : pc_sprintf(l->c, "%s/files/%s", l->pb->dir, v->text),
                          abs ? NULL : pc_sprintf(l->c, "%s/%s", l->pb->dir, v->text)};
  for (int i = 0; i < 2 && cands[i]; i++) {
    const char *text = NULL;
    size_t len = 0;
    int err = pc_read_file(l->c, cands[i], PC_MAX_EMBED_BYTES, true, &text, &len);
    if (err == ENOENT || err == ENOTDIR)
      continue;
    if (err == PC_READ_FOLDER) {
      pc_error_at(l->c, v->loc, "copying a folder ('%s') is not supported by playc yet", cands[i]);
      return;
    }
    if (err) {
      pc_error_at(l->c, v->loc, "cannot read '%s': %s", cands[i], pc_read_strerror(l->c, err, PC_MAX_EMBED_BYTES));
      return;
    }
    IrFile *file = pc_alloc(l->c, sizeof *file);
    file->name = v->text;
    file->path = cands[i];
    file->data = (const uint8_t *)text;
    file->size = len;
    pc_vec_push(l->c, &l->files, file);
    pc_map_put(l->c, &l->file_by_name, v->text, v->len, file);
    return;
  }
  pc_error_at(l->c, v->loc, "could not find or access '%s' (searched %s/files/ and %s/)", v->text, l->pb->dir,
              l->pb->dir);
}

/* The source texts of a list param's items, and their compiled conditions
 * (into *conds): two lists, built once per shared node. */
static IrExpr *lw_expr_list(Lw *l, const FeNode *v, IrExpr **conds) {
  IrExpr *srcs = v->shared ? lw_memo(l, v, LW_SRCS) : NULL;
  if (srcs) {
    *conds = lw_memo(l, v, LW_CONDS);
    return srcs;
  }
  srcs = ir_expr_new(l->c, IR_LIST, TY_UNDEF, v->loc);
  *conds = ir_expr_new(l->c, IR_LIST, TY_UNDEF, v->loc);
  int n = v->kind == FE_SEQ ? v->n : 1;
  for (int i = 0; i < n; i++) {
    const FeNode *it = v->kind == FE_SEQ ? v->items[i] : v;
    ir_expr_add_kid(l->c, srcs, it->kind == FE_SCALAR ? lw_const_str(l, it->text, it->len, it->loc) : lw_node(l, it));
    ir_expr_add_kid(l->c, *conds, lw_cond(l, it));
  }
  if (v->shared) {
    lw_share(l, v, LW_SRCS, srcs);
    lw_share(l, v, LW_CONDS, *conds);
  }
  return srcs;
}

/* An MP_EXPR / MP_EXPR_LIST param: the source text(s), and "__name" compiled. */
static void lw_expr_param(Lw *l, IrExpr *d, const char *name, const FeNode *v, bool list) {
  IrExpr *srcs, *vals;
  if (list) {
    srcs = lw_expr_list(l, v, &vals);
  } else {
    const FeNode *it = v->kind == FE_SEQ && v->n ? v->items[v->n - 1] : v;
    srcs = it->kind == FE_SCALAR ? lw_const_str(l, it->text, it->len, it->loc) : lw_node(l, it);
    vals = lw_bare(l, it);
  }
  ir_expr_add_kid(l->c, d, lw_const_str(l, name, strlen(name), v->loc));
  ir_expr_add_kid(l->c, d, srcs);
  const char *hidden = pc_sprintf(l->c, "__%s", name);
  ir_expr_add_kid(l->c, d, lw_const_str(l, hidden, strlen(hidden), v->loc));
  ir_expr_add_kid(l->c, d, vals);
}

/* Checks one-of / exclusive / required, then lowers the args map. */
static IrExpr *lw_args(Lw *l, const ModSchema *m, const FeNode *args, PcLoc loc) {
  IrExpr *d = ir_expr_new(l->c, IR_DICT, TY_DICT, args ? args->loc : loc);
  int32_t *given = pc_alloc(l->c, sizeof *given * (size_t)(m->nparams + 1));
  for (int i = 0; args && i < args->n; i++) {
    const char *k = args->keys[i]->text;
    int32_t pi = mod_param_find(m, k);
    if (pi < 0 && !m->any_params) {
      pc_error_at(l->c, args->keys[i]->loc, "unsupported parameter for module %s: %s", m->name, k);
      continue;
    }
    const ModParam *mp = pi >= 0 ? &m->params[pi] : NULL;
    if (pi >= 0)
      given[pi] = 1;
    const FeNode *v = args->vals[i];
    if (mp && (mp->type == MP_EXPR || mp->type == MP_EXPR_LIST)) {
      lw_expr_param(l, d, mp->name, v, mp->type == MP_EXPR_LIST);
      continue;
    }
    if (mp)
      lw_check_param(l, m, mp, v);
    if (mp && strcmp(m->name, "copy") == 0 && strcmp(mp->name, "src") == 0)
      lw_embed(l, v);
    ir_expr_add_kid(l->c, d, lw_const_str(l, mp ? mp->name : k, strlen(mp ? mp->name : k), args->keys[i]->loc));
    ir_expr_add_kid(l->c, d, lw_node(l, v));
  }
  for (int32_t i = 0; i < m->nparams; i++)
    if (m->params[i].required && !given[i])
      pc_error_at(l->c, loc, "missing required arguments: %s (module %s)", m->params[i].name, m->name);
  int none = 0, many = 0;
  for (int32_t i = 0; i < m->nparams; i++) {
    if (m->one_of && lw_in_list(m->one_of, m->params[i].name))
      none += given[i];
    if (m->exclusive && lw_in_list(m->exclusive, m->params[i].name))
      many += given[i];
  }
  if (m->one_of && none == 0)
    pc_error_at(l->c, loc, "one of the following is required: %s (module %s)", m->one_of, m->name);
  if (m->exclusive && many > 1)
    pc_error_at(l->c, loc, "parameters are mutually exclusive: %s (module %s)", m->exclusive, m->name);
  return d;
}

/* ---- plays and tasks ------------------------------------------------------- */

static void lw_task_new(Lw *l, IrTask *t, const FeTask *ft, int32_t id) {
  t->id = id;
  t->loc = ft->loc;
  t->name = ft->name ? ft->name : "";
  t->register_var = ft->register_var;
  t->error_context = fe_error_context(l->c, ft->loc);
  int32_t mi = ft->action ? mod_schema_find(ft->action) : -1;
  if (mi < 0) {
    if (ft->action && strchr(ft->action, '.'))
      pc_error_at(l->c, ft->action_loc, "couldn't resolve module/action '%s'", ft->action);
    t->action = ft->action ? ft->action : "";
    t->module = -1;
    t->args = lw_root(l, ir_expr_new(l->c, IR_DICT, TY_DICT, ft->loc), NULL);
    return;
  }
  const ModSchema *m = &mod_schemas[mi];
  t->module = mi;
  t->action = m->name;
  const FeNode *args = ft->args;
  const char *src = NULL;
  if (args && args->kind == FE_SCALAR) {
    src = args->text;
    bool raw = strcmp(m->name, "command") == 0 || strcmp(m->name, "shell") == 0;
    args = lw_free_form(l, args, raw);
  } else if (args && args->kind != FE_MAP) {
    pc_error_at(l->c, args->loc, "the arguments of module %s must be a mapping or a string", m->name);
    args = NULL;
  }
  t->args = lw_root(l, lw_args(l, m, args, ft->action_loc), src);
  if (ft->when)
    t->when = lw_root(l, lw_cond(l, ft->when), lw_src(l, ft->when));
  if (ft->loop)
    t->loop = lw_root(l, lw_node(l, ft->loop), ft->loop->kind == FE_SCALAR ? ft->loop->text : NULL);
  if (ft->changed_when)
    t->changed_when = lw_root(l, lw_cond(l, ft->changed_when), lw_src(l, ft->changed_when));
  if (ft->failed_when)
    t->failed_when = lw_root(l, lw_cond(l, ft->failed_when), lw_src(l, ft->failed_when));
  if (ft->ignore_errors) {
    if (ft->ignore_errors->kind == FE_SCALAR && ft->ignore_errors->stype == FE_T_BOOL)
      t->ignore_errors = ft->ignore_errors->b;
    else
      pc_error_at(l->c, ft->ignore_errors->loc, "ignore_errors must be a boolean constant in playc yet");
  }
}

/* A task reached again through an alias is the same task run again: its
 * own id, the same compiled expressions. */
static void lw_task(Lw *l, IrTask *t, const FeTask *ft, int32_t id) {
  const IrTask *first = pc_map_get_ptr(&l->tasks, ft);
  if (first) {
    *t = *first;
    t->id = id;
    return;
  }
  lw_task_new(l, t, ft, id);
  pc_map_put_ptr(l->c, &l->tasks, ft, t);
}

/* A hosts list as one pattern, its items joined by ':'. */
static const char *lw_hosts(Lw *l, const FeNode *h) {
  if (h->kind == FE_SCALAR)
    return h->text;
  const char *known = h->shared ? pc_map_get_ptr(&l->text, h) : NULL;
  if (known)
    return known;
  PcBuf b = {0};
  pc_buf_add(l->c, &b, "", 0);
  for (int i = 0; h->kind == FE_SEQ && i < h->n; i++)
    if (h->items[i]->kind == FE_SCALAR) {
      if (i)
        pc_buf_adds(l->c, &b, ":");
      pc_buf_add(l->c, &b, h->items[i]->text, h->items[i]->len);
    }
  if (h->shared)
    pc_map_put_ptr(l->c, &l->text, h, b.s);
  return b.s;
}

static void lw_play_new(Lw *l, IrPlay *ip, const FePlay *fp, int32_t *ntask) {
  ip->loc = fp->loc;
  ip->name = fp->name ? fp->name : "";
  ip->hosts = fp->hosts ? lw_hosts(l, fp->hosts) : "";
  ip->gather_facts = true;
  if (fp->gather_facts) {
    if (fp->gather_facts->kind == FE_SCALAR && fp->gather_facts->stype == FE_T_BOOL)
      ip->gather_facts = fp->gather_facts->b;
    else
      pc_error_at(l->c, fp->gather_facts->loc, "gather_facts must be a boolean");
  }
  if (fp->connection)
    ip->connection = fp->connection->kind == FE_SCALAR ? fp->connection->text : NULL;
  if (fp->vars) {
    ip->nvars = fp->vars->n;
    ip->vars = pc_alloc(l->c, sizeof(IrVar) * (size_t)(ip->nvars + 1));
    for (int i = 0; i < fp->vars->n; i++) {
      const FeNode *v = fp->vars->vals[i];
      IrVar *iv = &ip->vars[i];
      iv->name = fp->vars->keys[i]->text;
      iv->loc = fp->vars->keys[i]->loc;
      iv->lazy = lw_has_template(l, v);
      iv->value = lw_root(l, lw_node(l, v), v->kind == FE_SCALAR ? v->text : NULL);
    }
  }
  ip->ntasks = fp->ntasks;
  ip->tasks = pc_alloc(l->c, sizeof(IrTask) * (size_t)(fp->ntasks + 1));
  for (int i = 0; i < fp->ntasks; i++)
    lw_task(l, &ip->tasks[i], fp->tasks[i], (*ntask)++);
}

/* A play reached again through an alias runs again: its tasks get their
 * own ids, everything else is the first one's. */
static void lw_play(Lw *l, IrPlay *ip, const FePlay *fp, int32_t *ntask) {
  const IrPlay *first = pc_map_get_ptr(&l->plays, fp);
  if (!first) {
    lw_play_new(l, ip, fp, ntask);
    pc_map_put_ptr(l->c, &l->plays, fp, ip);
    return;
  }
  *ip = *first;
  ip->tasks = pc_alloc(l->c, sizeof(IrTask) * (size_t)(first->ntasks + 1));
  for (int i = 0; i < first->ntasks; i++) {
    ip->tasks[i] = first->tasks[i];
    ip->tasks[i].id = (*ntask)++;
  }
}

IrProgram *ir_lower(PcCtx *c, FePlaybook *pb) {
  Lw l = {0};
  l.c = c;
  l.pb = pb;
  l.p = pc_alloc(c, sizeof *l.p);
  l.p->playbook = pb->path;
  l.p->nplays = pb->nplays;
  l.p->plays = pc_alloc(c, sizeof(IrPlay) * (size_t)(pb->nplays + 1));
  int32_t ntask = 0;
  for (int i = 0; i < pb->nplays; i++)
    lw_play(&l, &l.p->plays[i], pb->plays[i], &ntask);
  l.p->nfiles = l.files.len;
  l.p->files = pc_alloc(c, sizeof(IrFile) * (size_t)(l.files.len + 1));
  for (int i = 0; i < l.files.len; i++)
    l.p->files[i] = *(IrFile *)l.files.items[i];
  return l.p;
}
