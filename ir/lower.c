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
#include "../runtime/filtersig.h"
#include "../runtime/jmespath.h"
#include "../runtime/vault.h"
#include "../runtime/config.h"

#include <jansson.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct IrFilterInfo {
  const char *name;
  IrType type;
  int req;         /* required parameters */
  const char *sig; /* runtime/filtersig.h notation */
  int flags;       /* RT_FF_* */
} IrFilterInfo;

static const IrFilterInfo lw_filters[] = {
#define PLAYC_FILTER(n, fn, t, req, sig, fl) {n, TY_##t, req, sig, fl},
#include "../runtime/filters.def"
    {NULL, TY_ANY, 0, NULL, 0}};

static const IrFilterInfo lw_tests[] = {
#define PLAYC_TEST(n, fn, req, sig, fl) {n, TY_BOOL, req, sig, fl},
#include "../runtime/filters.def"
    {NULL, TY_ANY, 0, NULL, 0}};

typedef struct IrMethodInfo {
  IrType recv;
  const char *name;
  int req;
  const char *sig;
  int flags;
} IrMethodInfo;

static const IrMethodInfo lw_methods[] = {
#define PLAYC_METHOD(recv, n, fn, t, req, sig, fl) {TY_##recv, n, req, sig, fl},
#include "../runtime/methods.def"
    {TY_ANY, NULL, 0, NULL, 0}};

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

_Static_assert((int)LW_NMODES == (int)IR_LOWER_MODES, "IrLower.memo has one map per mode");

typedef IrLower Lw;

static IrExpr *lw_root(Lw *l, IrExpr *e, const char *src);

/* Leaves cost O(1) wherever they are copied; anything else shared is a root. */
static bool lw_leaf(const IrExpr *e) {
  return e->op == IR_CONST || e->op == IR_VAR || e->op == IR_VAULT || e->op == IR_UNSAFE;
}

/* Remembers `e` as the lowering of shared `key` in `mode`, as a root of its
 * own unless a leaf, so every use refers to one expression. */
static IrExpr *lw_share(Lw *l, const void *key, LwMode mode, IrExpr *e) {
  if (l->c->task_on) /* a later task could reach it after this one's IR is dropped (ir/stream.c) */
    l->stream_abort = true;
  if (!lw_leaf(e) && e->id < 0)
    lw_root(l, e, NULL);
  pc_map_put_ptr(l->c, &l->memo[mode], key, e);
  return e;
}

static IrExpr *lw_memo(Lw *l, const void *key, LwMode mode) { return pc_map_get_ptr(&l->memo[mode], key); }

/* The Jinja AST of a playbook string lives in the scratch arena
 * (PcCtx.ast_scratch) only while it is lowered: lw_ast_begin/lw_ast_end
 * bracket the lowering (nested ones too), and the outermost end drops every
 * tree parsed since, with the memo of its shared nodes. The IR keeps none of
 * its nodes: names and string values are the lexer's, in the arena. On the
 * 100,000-task benchmark that was a sixth of --plan's memory. */
static void lw_ast_begin(Lw *l) { l->ast_depth++; }

static void lw_ast_end(Lw *l) {
  if (--l->ast_depth > 0)
    return;
  pc_scratch_reset(l->c);
  if (l->memo_scratch.len) {
    memset(l->memo_scratch.ents, 0, sizeof *l->memo_scratch.ents * l->memo_scratch.cap);
    l->memo_scratch.len = 0;
  }
}

/* A playbook string's template, parsed into the scratch arena. */
static JTemplate *lw_parse_string(Lw *l, const char *s, PcLoc loc) {
  bool was = l->c->ast_scratch;
  l->c->ast_scratch = true;
  JTemplate *t = fe_jinja_parse_template(l->c, s, loc);
  l->c->ast_scratch = was;
  return t;
}

static const IrFilterInfo *lw_find(const IrFilterInfo *t, const char *name) {
  static const char *const pre[] = {"ansible.builtin.", "ansible.legacy.", NULL};
  for (int i = 0; pre[i]; i++)
    if (strncmp(name, pre[i], strlen(pre[i])) == 0)
      name += strlen(pre[i]);
  for (; t->name; t++)
    if (strcmp(t->name, name) == 0 && !(t->flags & RT_FF_GLOBAL))
      return t;
  return NULL;
}

/* A Jinja global function of filters.def (range), by its plain name. */
static const IrFilterInfo *lw_find_global(const char *name) {
  for (const IrFilterInfo *t = lw_filters; t->name; t++)
    if ((t->flags & RT_FF_GLOBAL) && strcmp(t->name, name) == 0)
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
static IrExpr *lw_name(Lw *l, const char *name, PcLoc loc, int32_t below);

/* Checks a call's arguments against the filter's or test's signature
 * (filters.def): positional count, keyword names, repeated and missing
 * parameters are located errors, as Jinja's TypeError would be when the
 * template runs. Returns what playc does not implement of it, or NULL. */
static const char *lw_check_sig(Lw *l, const JExpr *j, const char *what, const char *name, const char *fsig, int req);

static const char *lw_check_args(Lw *l, const JExpr *j, const IrFilterInfo *f, bool test) {
  return lw_check_sig(l, j, test ? "test" : "filter", j->name, f->sig, f->req);
}

/* lw_check_args for a callable `what` named `name` with signature `fsig`,
 * `req` parameters required. */
static const char *lw_check_sig(Lw *l, const JExpr *j, const char *what, const char *name, const char *fsig, int req) {
  RtSig sig;
  rt_sig_parse(fsig, &sig);
  int npos = j->nkids - 1 - j->nkw;
  bool given[RT_SIG_MAX] = {0};
  const char *unsupported = NULL;
  if (npos > sig.npos && !sig.varargs) {
    if (sig.npos == req)
      pc_error_at(l->c, j->loc, "%s '%s' takes %d positional argument%s, %d given", what, name, sig.npos,
                  sig.npos == 1 ? "" : "s", npos);
    else
      pc_error_at(l->c, j->loc, "%s '%s' takes %d to %d positional arguments, %d given", what, name, req,
                  sig.npos, npos);
  }
  for (int i = 0; i < npos && i < sig.npos; i++)
    given[i] = true;
  for (int k = 0; k < j->nkw; k++) {
    const char *kw = j->kwnames[k];
    int i = rt_sig_find(&sig, kw);
    for (int o = 0; o < k; o++)
      if (strcmp(j->kwnames[o], kw) == 0)
        pc_error_at(l->c, j->kids[j->nkids - j->nkw + k]->loc, "%s '%s' got keyword argument '%s' twice", what,
                    name, kw);
    if (i < 0 && !sig.varkw)
      pc_error_at(l->c, j->kids[j->nkids - j->nkw + k]->loc, "%s '%s' got an unexpected keyword argument '%s'", what,
                  name, kw);
    else if (i >= 0 && given[i])
      pc_error_at(l->c, j->kids[j->nkids - j->nkw + k]->loc, "%s '%s' got multiple values for argument '%s'", what,
                  name, kw);
    if (i >= 0)
      given[i] = true;
  }
  for (int i = 0; i < sig.n; i++) {
    if (i < req && !given[i])
      pc_error_at(l->c, j->loc, "%s '%s' is missing its argument '%.*s'", what, name, (int)sig.p[i].len,
                  sig.p[i].name);
    if (given[i] && sig.p[i].unsupported && !unsupported)
      unsupported = pc_sprintf(l->c, "the argument '%.*s' of %s '%s'", (int)sig.p[i].len, sig.p[i].name, what,
                               name);
  }
  return unsupported;
}

/* map/select/reject(attr) name a filter or a test by a string: a constant
 * name is checked as the filter or test itself would be. */
static void lw_check_named(Lw *l, const JExpr *j, const char *fname) {
  int npos = j->nkids - 1 - j->nkw, at = -1;
  bool is_map = strcmp(fname, "map") == 0, attr = strstr(fname, "attr") != NULL;
  if (is_map) {
    for (int k = 0; k < j->nkw; k++)
      if (strcmp(j->kwnames[k], "attribute") == 0)
        return;
    at = 1;
  } else {
    at = attr ? 2 : 1;
  }
  if (npos < at || j->kids[at]->kind != J_STR)
    return;
  const char *name = j->kids[at]->s;
  if (!lw_find(is_map ? lw_filters : lw_tests, name) && !(is_map ? fe_ansible_filter(name) : fe_ansible_test(name)))
    pc_error_at(l->c, j->kids[at]->loc, "no %s named '%s'", is_map ? "filter" : "test", name);
}

/* json_query's query, when it is a constant string (as it nearly always
 * is), parsed here by the runtime's JMESPath parser: a syntax error is a
 * fault at the query (Ansible raises it when the task runs, as the compiled
 * filter does). */
static void lw_check_jmespath(Lw *l, const JExpr *j) {
  const JExpr *q = NULL;
  int npos = j->nkids - 1 - j->nkw;
  if (npos >= 1)
    q = j->kids[1];
  for (int k = 0; k < j->nkw; k++)
    if (!strcmp(j->kwnames[k], "expr"))
      q = j->kids[j->nkids - j->nkw + k];
  if (!q || q->kind != J_STR)
    return;
  const char *err = ir_jmespath_check(l->c, q->s, q->slen);
  if (err && !strcmp(err, JP_RECURSION_MSG))
    pc_fault_at(l->c, q->loc, "Error in jmespath.search in json_query filter plugin:\n%s", err);
  else if (err)
    pc_fault_at(l->c, q->loc, "JMESPathError in json_query filter plugin:\n%s", err);
}

/* A filter or test call: checked against filters.def. */
static IrExpr *lw_call(Lw *l, const JExpr *j, bool test) {
  const IrFilterInfo *f = lw_find(test ? lw_tests : lw_filters, j->name);
  const char *unsupported = NULL;
  const char *local = NULL;
  if (!f && (test ? fe_ansible_test(j->name) : fe_ansible_filter(j->name)))
    unsupported = pc_sprintf(l->c, "%s '%s'", test ? "test" : "filter", j->name);
  else if (!f && (local = fe_local_plugin(l->c, l->pb, test ? "test_plugins" : "filter_plugins", j->name)))
    unsupported = pc_sprintf(l->c, "%s '%s' (a local plugin: %s)", test ? "test" : "filter", j->name, local);
  else if (!f && !l->fault_src)
    pc_error_at(l->c, j->loc, "no %s named '%s'", test ? "test" : "filter", j->name);
  else if (!f) { /* Ansible's plugin loader, when it templates the string: the first in the source */
    if (!l->fault_why || j->loc.line < l->fault_at.line ||
        (j->loc.line == l->fault_at.line && j->loc.col < l->fault_at.col)) {
      l->fault_why = pc_sprintf(l->c, "Could not load \"%s\": '%s'", j->name, j->name);
      l->fault_diag = pc_sprintf(l->c, "no %s named '%s'", test ? "test" : "filter", j->name);
      l->fault_at = j->loc;
    }
  } else if (!j->unsupported) /* with `*args` or `**kwargs`, the arguments are known at run time */
    unsupported = lw_check_args(l, j, f, test);
  if (f && (f->flags & RT_FF_PLANNED))
    unsupported = pc_sprintf(l->c, "%s '%s'", test ? "test" : "filter", j->name);
  if (f && !test && (!strcmp(f->name, "map") || !strncmp(f->name, "select", 6) || !strncmp(f->name, "reject", 6)))
    lw_check_named(l, j, f->name);
  if (f && !test && strstr(f->name, "json_query"))
    lw_check_jmespath(l, j);
  IrExpr *e = ir_expr_new(l->c, test ? IR_TEST : IR_FILTER, TY_UNDEF, j->loc);
  e->name = f ? f->name : j->name;
  IR_X_SET(l->c, e, unsupported, unsupported);
  for (int i = 0; i < j->nkids; i++)
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[i]));
  IR_X_SET(l->c, e, kwnames, j->kwnames);
  IR_X_SET(l->c, e, nkw, j->nkw);
  if (test && j->negated) {
    IrExpr *n = ir_expr_new(l->c, IR_NOT, TY_UNDEF, j->loc);
    ir_expr_add_kid(l->c, n, e);
    return n;
  }
  return e;
}

/* ---- template locals ------------------------------------------------------------------- *
 * A template with statements has local variables (`set`, `for` targets,
 * `loop`), resolved here to numbered slots of the template's frame: a name
 * is the innermost local of that name, else the variable. Scopes follow
 * Jinja2's: a `for` body (and a block `set`, a `filter` or `with` body) is
 * a scope of its own, whose names do not leak out; `if` is not. A local
 * that shadows an outer one reads the outer one while it is unset (a
 * `set` inside a loop body starts each iteration from the outer value). */
typedef struct LwLocal {
  const char *name;
  int32_t slot;
  const JStmt *macro; /* a `{% macro %}`: expanded where it is called, no slot */
  const JTemplate *module; /* an imported template (`import ... as name`), or the
                              template a macro was imported from */
  bool no_ctx;        /* imported without context: its macros see neither the
                         importer's locals nor the variables */
  int32_t base;       /* `caller`: only tlocals[0, base) are in sight in its body
                         (with tbarrier and no_ctx as they were); -1 otherwise */
  int32_t barrier;
  bool base_no_ctx;
  IrExpr *loop_for; /* `loop`: its FOR (loop() of a recursive one, loop.changed) */
  bool read;        /* a LOCAL reads it */
  bool read_whole;  /* a LOCAL reads it other than as l->attr_read says */
  uint32_t fields_read; /* the loop fields LOCALs read it for (lw_loop_field) */
} LwLocal;

/* The bit of a `loop` attribute the runtime keeps current per item
 * (runtime/playc.h, RT_FOR_FIELDS_SHIFT), 0 for any other name. */
static uint32_t lw_loop_field(const char *attr) {
  static const char *const fields[] = {"index", "index0", "revindex", "revindex0", "length",
                                       "depth", "depth0", "first", "last"};
  for (uint32_t k = 0; attr && k < sizeof fields / sizeof *fields; k++)
    if (!strcmp(attr, fields[k]))
      return 1u << k;
  return 0;
}

/* What `name` means among tlocals[0, below): a LOCAL (falling back to what
 * it shadows) or a VAR. */
static IrExpr *lw_name(Lw *l, const char *name, PcLoc loc, int32_t below) {
  for (int32_t k = below - 1; k >= l->tbarrier; k--) {
    const LwLocal *n = l->tlocals.items[k];
    if (strcmp(n->name, name) != 0)
      continue;
    if (n->macro || n->module) { /* a macro or an imported template used as a value (not called) */
      IrExpr *e = lw_const_str(l, "", 0, loc);
      IR_X_SET(l->c, e, unsupported, pc_sprintf(l->c, "the %s '%s' used as a value", n->macro ? "macro" : "imported template", name));
      return e;
    }
    IrExpr *e = ir_expr_new(l->c, IR_LOCAL, TY_ANY, loc);
    ((LwLocal *)n)->read = true;
    ((LwLocal *)n)->read_whole |= !l->attr_read;
    ((LwLocal *)n)->fields_read |= l->attr_read ? lw_loop_field(l->attr_name) : 0;
    e->name = name;
    IR_X_SET(l->c, e, slot, n->slot);
    ir_expr_add_kid(l->c, e, lw_name(l, name, loc, k));
    return e;
  }
  IrExpr *e = ir_expr_new(l->c, IR_VAR, TY_UNDEF, loc);
  e->name = name;
  e->b = l->no_ctx; /* Jinja2 renders such a template with its globals only: undefined */
  return e;
}

/* A name assigned in the innermost scope: its slot there, new if needed. */
static IrExpr *lw_bind(Lw *l, const char *name, PcLoc loc) {
  int32_t k = l->tlocals.len;
  while (k > l->tscope && strcmp(((LwLocal *)l->tlocals.items[k - 1])->name, name) != 0)
    k--;
  if (k == l->tscope) {
    LwLocal *n = pc_alloc(l->c, sizeof *n);
    n->name = name;
    n->slot = l->nslots++;
    pc_vec_push(l->c, &l->tlocals, n);
  }
  return lw_name(l, name, loc, l->tlocals.len);
}

/* Opens a scope; returns what lw_scope_close needs to close it. */
static int32_t lw_scope_open(Lw *l) {
  int32_t outer = l->tscope;
  l->tscope = l->tlocals.len;
  return outer;
}

static void lw_scope_close(Lw *l, int32_t outer) {
  l->tlocals.len = l->tscope;
  l->tscope = outer;
}

static IrExpr *lw_jexpr(Lw *l, const JExpr *j);
static void lw_parts(Lw *l, IrExpr *into, const JTemplate *t, PcLoc loc);
static void lw_targets(Lw *l, IrExpr *e, const JExpr *target);

/* The local `name` means here, or NULL. */
static const LwLocal *lw_local(Lw *l, const char *name) {
  for (int32_t k = l->tlocals.len - 1; k >= l->tbarrier; k--) {
    const LwLocal *n = l->tlocals.items[k];
    if (strcmp(n->name, name) == 0)
      return n;
  }
  return NULL;
}

/* The macro local `name` means here, or NULL. */
static const LwLocal *lw_macro(Lw *l, const char *name) {
  const LwLocal *n = lw_local(l, name);
  return n && n->macro ? n : NULL;
}

static LwLocal *lw_local_new(Lw *l, const char *name, const JStmt *macro, const JTemplate *module, bool no_ctx) {
  LwLocal *n = pc_alloc(l->c, sizeof *n);
  n->name = name;
  n->slot = -1;
  n->macro = macro;
  n->module = module;
  n->no_ctx = no_ctx;
  n->base = -1;
  return n;
}

static void lw_module_defs(Lw *l, IrExpr *seq, const JTemplate *t);

enum { LW_MACRO_DEPTH = 16 }; /* macros calling macros, inlined: deeper is refused (recursion) */

/* A macro call, inlined: its arguments (read where it is called), then a
 * scope with its parameters bound and its body, rendered into a string.
 * The body sees what the call site sees, except for a macro imported
 * without context (its own template's definitions only) and `caller` (what
 * its call block saw); `caller`, when given, is bound in the body. */
static IrExpr *lw_macro_call(Lw *l, const JExpr *j, const LwLocal *ml, const LwLocal *caller) {
  const JStmt *m = ml->macro;
  int32_t npos = j->nkids - 1 - j->nkw, nparams = m->expr->nkids;
  IrExpr *e = ir_expr_new(l->c, IR_CAPTURE, TY_STR, j->loc);
  if (l->macro_depth >= LW_MACRO_DEPTH || npos > nparams) {
    IrExpr *c = lw_const_str(l, "", 0, j->loc);
    IR_X_SET(l->c, c, unsupported, npos > nparams ? pc_sprintf(l->c, "macro '%s' takes not more than %d argument(s)",
                                                  m->target->name, nparams)
                                    : pc_sprintf(l->c, "the recursive macro '%s'", m->target->name));
    return c;
  }
  IrExpr **vals = pc_alloc(l->c, sizeof(IrExpr *) * (size_t)(nparams + 1));
  for (int32_t i = 0; i < nparams; i++) {
    const JExpr *arg = i < npos ? j->kids[1 + i] : NULL;
    for (int32_t k = 0; k < j->nkw && !arg; k++)
      if (strcmp(j->kwnames[k], m->expr->kids[i]->name) == 0)
        arg = j->kids[1 + npos + k];
    bool given = arg != NULL;
    if (!arg)
      arg = m->cond->kids[i];
    if (!arg) {
      IrExpr *c = lw_const_str(l, "", 0, j->loc);
      IR_X_SET(l->c, c, unsupported, pc_sprintf(l->c, "calling macro '%s' without its argument '%s'", m->target->name,
                                  m->expr->kids[i]->name));
      return c;
    }
    vals[i] = given ? lw_jexpr(l, arg) : NULL; /* a default is read in the macro's scope */
  }
  for (int32_t k = 0; k < j->nkw; k++) {
    bool known = false;
    for (int32_t i = 0; i < nparams; i++)
      known |= strcmp(j->kwnames[k], m->expr->kids[i]->name) == 0;
    if (!known)
      pc_error_at(l->c, j->loc, "macro '%s' takes no keyword argument '%s'", m->target->name, j->kwnames[k]);
  }
  IrExpr *seq = ir_expr_new(l->c, IR_SEQ, TY_NONE, j->loc);
  /* what the body sees */
  int32_t len = l->tlocals.len, barrier = l->tbarrier;
  bool no_ctx = l->no_ctx;
  PcVec hidden = {0};
  if (ml->base >= 0) {
    for (int32_t k = ml->base; k < len; k++)
      pc_vec_push(l->c, &hidden, l->tlocals.items[k]);
    l->tlocals.len = ml->base;
    l->tbarrier = ml->barrier;
    l->no_ctx = ml->base_no_ctx;
  }
  int32_t outer = lw_scope_open(l);
  if (ml->module && ml->no_ctx) {
    l->tbarrier = l->tlocals.len;
    l->no_ctx = true;
  }
  if (ml->module)
    lw_module_defs(l, seq, ml->module);
  if (caller)
    pc_vec_push(l->c, &l->tlocals, (void *)caller);
  l->macro_depth++;
  for (int32_t i = 0; i < nparams; i++) {
    IrExpr *set = ir_expr_new(l->c, IR_SET, TY_NONE, j->loc);
    ir_expr_add_kid(l->c, set, vals[i] ? vals[i] : lw_jexpr(l, m->cond->kids[i]));
    lw_targets(l, set, m->expr->kids[i]);
    ir_expr_add_kid(l->c, seq, set);
  }
  lw_parts(l, seq, m->body, m->loc);
  l->macro_depth--;
  lw_scope_close(l, outer);
  for (int32_t k = 0; k < hidden.len; k++)
    pc_vec_push(l->c, &l->tlocals, hidden.items[k]);
  l->tbarrier = barrier;
  l->no_ctx = no_ctx;
  ir_expr_add_kid(l->c, e, seq);
  return e;
}

static const JStmt *lw_find_block(const JTemplate *t, const char *name);
static const JTemplate lw_tpl_none; /* an import whose template was not found (reported) */
static IrExpr *lw_block_body(Lw *l, const JStmt *b, int32_t level, PcLoc loc);

/* The macro a module exports as `name` (a top-level `{% macro %}`), or NULL. */
static const JStmt *lw_module_macro(const JTemplate *t, const char *name) {
  for (int32_t i = 0; t && i < t->nparts; i++) {
    const JStmt *st = t->parts[i].stmt;
    if (st && st->kind == JS_MACRO && strcmp(st->target->name, name) == 0)
      return st;
  }
  return NULL;
}

/* super() in a block: the next definition of it up the extends chain;
 * self.name(): its most derived definition. Rendered into a string. */
static IrExpr *lw_block_call(Lw *l, const JExpr *j, const char *name, int32_t from) {
  for (int32_t k = from; k < l->tpl_chain.len; k++) {
    const JStmt *b = lw_find_block(l->tpl_chain.items[k], name);
    if (b) {
      IrExpr *e = ir_expr_new(l->c, IR_CAPTURE, TY_STR, j->loc);
      ir_expr_add_kid(l->c, e, lw_block_body(l, b, k, j->loc));
      return e;
    }
  }
  pc_error_at(l->c, j->loc, from ? "there is no parent block called '%s'." : "no block named '%s'", name);
  return lw_const_str(l, "", 0, j->loc);
}

/* Calls to macros, to a call block's `caller`, to an imported template's
 * macros, super() and self.block(); NULL for other calls. */
static IrExpr *lw_jcall_template(Lw *l, const JExpr *j, const LwLocal *caller) {
  const JExpr *callee = j->kids[0];
  if (callee->kind == J_NAME && !strcmp(callee->name, "loop") && !caller) {
    const LwLocal *n = lw_local(l, "loop");
    if (n && n->loop_for && n->loop_for->recursive && j->nkids == 2 && j->nkw == 0) {
      IrExpr *e = ir_expr_new(l->c, IR_LOOP_CALL, TY_STR, j->loc);
      IR_X_SET(l->c, e, slot, n->slot);
      ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[1]));
      return e;
    }
  }
  if (callee->kind == J_GETATTR && !strcmp(callee->name, "changed") && callee->kids[0]->kind == J_NAME &&
      !strcmp(callee->kids[0]->name, "loop") && j->nkw == 0 && !caller) {
    const LwLocal *n = lw_local(l, "loop");
    if (n && n->loop_for && ir_xr(n->loop_for)->slot_aux >= 0) {
      IrExpr *e = ir_expr_new(l->c, IR_LOOP_CHANGED, TY_BOOL, j->loc), *args = ir_expr_new(l->c, IR_LIST, TY_LIST, j->loc);
      IR_X_SET(l->c, e, slot, ir_xr(n->loop_for)->slot_aux);
      for (int32_t k = 1; k < j->nkids; k++)
        ir_expr_add_kid(l->c, args, lw_jexpr(l, j->kids[k]));
      ir_expr_add_kid(l->c, e, args);
      return e;
    }
  }
  if (callee->kind == J_NAME) {
    const LwLocal *n = lw_macro(l, callee->name);
    if (n)
      return lw_macro_call(l, j, n, caller);
    if (!strcmp(callee->name, "super") && !lw_local(l, "super") && l->block_name && j->nkids == 1)
      return lw_block_call(l, j, l->block_name, l->block_level + 1);
    return NULL;
  }
  if (callee->kind != J_GETATTR || callee->kids[0]->kind != J_NAME)
    return NULL;
  const LwLocal *mod = lw_local(l, callee->kids[0]->name);
  if (mod && mod->module && !mod->macro) {
    const JStmt *m = lw_module_macro(mod->module, callee->name);
    if (!m && mod->module == &lw_tpl_none) /* not found (reported): nothing to call */
      return lw_const_str(l, "", 0, j->loc);
    if (!m) {
      pc_error_at(l->c, callee->loc, "the imported template '%s' has no macro '%s'", callee->kids[0]->name,
                  callee->name);
      return lw_const_str(l, "", 0, j->loc);
    }
    LwLocal *n = lw_local_new(l, callee->name, m, mod->module, mod->no_ctx);
    return lw_macro_call(l, j, n, caller);
  }
  if (!mod && !strcmp(callee->kids[0]->name, "self") && l->tpl_chain.len && j->nkids == 1)
    return lw_block_call(l, j, callee->name, 0);
  return NULL;
}

/* Calls lowered to other ops: `namespace(k=v ...)` and `loop.cycle(a, b ...)`
 * (the argument at loop.index0 modulo their count); NULL for the others. */
static IrExpr *lw_jcall_builtin(Lw *l, const JExpr *j) {
  const JExpr *callee = j->kids[0];
  int32_t npos = j->nkids - 1 - j->nkw;
  if (j->unsupported)
    return NULL;
  IrExpr *t = lw_jcall_template(l, j, NULL);
  if (t)
    return t;
  if (callee->kind == J_NAME && !strcmp(callee->name, "namespace") && npos == 0) {
    IrExpr *probe = lw_name(l, "namespace", j->loc, l->tlocals.len);
    if (probe->op != IR_VAR)
      return NULL;
    IrExpr *d = ir_expr_new(l->c, IR_DICT, TY_UNDEF, j->loc);
    for (int32_t k = 0; k < j->nkw; k++) {
      ir_expr_add_kid(l->c, d, lw_const_str(l, j->kwnames[k], strlen(j->kwnames[k]), j->loc));
      ir_expr_add_kid(l->c, d, lw_jexpr(l, j->kids[1 + k]));
    }
    IrExpr *e = ir_expr_new(l->c, IR_NAMESPACE, TY_DICT, j->loc);
    ir_expr_add_kid(l->c, e, d);
    return e;
  }
  if (callee->kind == J_GETATTR && !strcmp(callee->name, "cycle") && callee->kids[0]->kind == J_NAME &&
      !strcmp(callee->kids[0]->name, "loop") && npos > 0 && j->nkw == 0) {
    IrExpr *loop = lw_name(l, "loop", j->loc, l->tlocals.len);
    if (loop->op != IR_LOCAL)
      return NULL;
    IrExpr *items = ir_expr_new(l->c, IR_LIST, TY_UNDEF, j->loc);
    for (int32_t k = 1; k <= npos; k++)
      ir_expr_add_kid(l->c, items, lw_jexpr(l, j->kids[k]));
    IrExpr *idx = ir_expr_new(l->c, IR_GETATTR, TY_UNDEF, j->loc), *n = ir_expr_new(l->c, IR_CONST, TY_INT, j->loc);
    idx->name = "index0";
    ir_expr_add_kid(l->c, idx, loop);
    n->i = npos;
    IrExpr *mod = ir_expr_new(l->c, IR_BINOP, TY_UNDEF, j->loc);
    mod->binop = RT_OP_MOD;
    ir_expr_add_kid(l->c, mod, idx);
    ir_expr_add_kid(l->c, mod, n);
    IrExpr *e = ir_expr_new(l->c, IR_GETITEM, TY_UNDEF, j->loc);
    ir_expr_add_kid(l->c, e, items);
    ir_expr_add_kid(l->c, e, mod);
    return e;
  }
  return NULL;
}

/* A method call `x.name(args)`: checked against methods.def by name (the
 * receiver's type is checked by types.c); kids: receiver, args, kwargs. A
 * name two receivers share is checked against the first row its positional
 * arguments fit (d.pop(k, default) is dict's, xs.pop() list's). */
static IrExpr *lw_method(Lw *l, const JExpr *j) {
  const JExpr *callee = j->kids[0];
  const IrMethodInfo *m = NULL;
  int npos = j->nkids - 1 - j->nkw;
  for (const IrMethodInfo *t = lw_methods; t->name; t++) {
    if (strcmp(t->name, callee->name) != 0)
      continue;
    RtSig sig;
    rt_sig_parse(t->sig, &sig);
    bool fits = npos >= t->req && (npos <= sig.npos || sig.varargs);
    if (!m || fits)
      m = t;
    if (fits)
      break;
  }
  IrExpr *e = ir_expr_new(l->c, IR_METHOD, TY_UNDEF, j->loc);
  e->name = m ? m->name : callee->name;
  if (!m)
    pc_error_at(l->c, callee->loc, "no method named '%s' on str, list or dict", callee->name);
  IrExpr *recv = lw_jexpr(l, callee->kids[0]);
  /* a method that changes its receiver: on a template's local only (b),
   * which the runtime copies first unless the local alone holds it */
  if (m && (m->flags & RT_FF_PLANNED) && recv->op == IR_LOCAL)
    e->b = true;
  else if (m && (m->flags & RT_FF_PLANNED))
    IR_X_SET(l->c, e, unsupported, pc_sprintf(l->c, "the method '%s' on anything but a template's {%% set %%} local (it changes its receiver)", m->name));
  if (m && (e->b || !(m->flags & RT_FF_PLANNED)) && !j->unsupported)
    IR_X_SET(l->c, e, unsupported, lw_check_sig(l, j, "method", m->name, m->sig, m->req));
  ir_expr_add_kid(l->c, e, recv);
  for (int i = 1; i < j->nkids; i++)
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[i]));
  IR_X_SET(l->c, e, kwnames, j->kwnames);
  IR_X_SET(l->c, e, nkw, j->nkw);
  return e;
}

static IrExpr *lw_lookup_query(Lw *l, const JExpr *j, IrExpr *e, bool query);
static IrExpr *lw_string(Lw *l, const char *s, PcLoc loc);

static const char *const lw_lookups[] = {
#define X(name, fn) name,
#include "../runtime/lookups.def"
#undef X
    NULL};

IrExpr *ir_lower_file_text(IrLower *l, const char *const *roots, const char *name, PcLoc loc) {
  for (int i = 0; roots && roots[i]; i++) {
    for (int k = 0; k < 2; k++) {
      const char *path = name[0] == '/' ? name
                         : k == 0       ? pc_sprintf(l->c, "%s/files/%s", roots[i], name)
                                        : pc_sprintf(l->c, "%s/%s", roots[i], name);
      const char *text;
      size_t len;
      if (pc_read_file(l->c, path, PC_MAX_SOURCE_BYTES, true, &text, &len) != 0)
        continue;
      while (len && (text[len - 1] == ' ' || (text[len - 1] >= '\t' && text[len - 1] <= '\r')))
        len--;
      return lw_const_str(l, text, len, loc);
    }
  }
  return NULL;
}

/* lookup('file', NAME...) with constant names reads the files now: it
 * becomes lookup('list', CONTENTS...), whose result is the same (the
 * contents joined by ',', or the list with wantlist). False when a name is
 * not constant or its file is not there (then the lookup is planned). */
static bool lw_lookup_file_args(Lw *l, const JExpr *j, IrExpr *e) {
  int npos = j->nkids - 1 - j->nkw;
  for (int i = 2; i <= npos; i++)
    if (j->kids[i]->kind != J_STR)
      return false;
  for (int k = 0; k < j->nkw; k++) /* lstrip/rstrip options: at run time */
    if (strcmp(j->kwnames[k], "wantlist") != 0 && strcmp(j->kwnames[k], "errors") != 0)
      return false;
  PcVec got = {0};
  for (int i = 2; i <= npos; i++) {
    IrExpr *c = ir_lower_file_text(l, l->roots, j->kids[i]->s, j->kids[i]->loc);
    if (!c)
      return false;
    pc_vec_push(l->c, &got, c);
  }
  e->name = "list";
  for (int i = 0; i < got.len; i++)
    ir_expr_add_kid(l->c, e, got.items[i]);
  for (int i = npos + 1; i < j->nkids; i++)
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[i]));
  return true;
}

/* A constant for a version value of collection metadata: a JSON value
 * from MANIFEST.json, or NULL when it is none of str, int, float, bool, null. */
static IrExpr *lw_collver_json(Lw *l, json_t *v, PcLoc loc) {
  IrExpr *e;
  if (json_is_string(v))
    return lw_const_str(l, pc_strndup(l->c, json_string_value(v), json_string_length(v)), json_string_length(v), loc);
  if (json_is_integer(v)) {
    e = ir_expr_new(l->c, IR_CONST, TY_INT, loc);
    e->i = json_integer_value(v);
  } else if (json_is_real(v)) {
    e = ir_expr_new(l->c, IR_CONST, TY_FLOAT, loc);
    e->f = json_real_value(v);
  } else if (json_is_boolean(v)) {
    e = ir_expr_new(l->c, IR_CONST, TY_BOOL, loc);
    e->b = json_is_true(v);
  } else if (json_is_null(v)) {
    e = ir_expr_new(l->c, IR_CONST, TY_NONE, loc);
  } else {
    return NULL;
  }
  return e;
}

/* The same for galaxy.yml's `version` scalar, after `or no_version`. */
static IrExpr *lw_collver_yaml(Lw *l, const FeNode *v, IrExpr *no_version, PcLoc loc) {
  if (!v || v->kind != FE_SCALAR || v->stype == FE_T_NULL)
    return v && v->kind != FE_SCALAR ? NULL : no_version;
  IrExpr *e;
  switch (v->stype) {
  case FE_T_STR:
    return *v->text ? lw_const_str(l, v->text, strlen(v->text), loc) : no_version;
  case FE_T_BOOL:
    if (!v->b)
      return no_version;
    e = ir_expr_new(l->c, IR_CONST, TY_BOOL, loc);
    e->b = true;
    return e;
  case FE_T_INT:
    if (v->digits)
      return NULL;
    if (!v->i)
      return no_version;
    e = ir_expr_new(l->c, IR_CONST, TY_INT, loc);
    e->i = v->i;
    return e;
  case FE_T_FLOAT:
    if (v->f == 0)
      return no_version;
    e = ir_expr_new(l->c, IR_CONST, TY_FLOAT, loc);
    e->f = v->f;
    return e;
  default:
    return NULL;
  }
}

/* The version of collection `fqcn` as community.general's
 * collection_version reads it: MANIFEST.json's collection_info.version,
 * else galaxy.yml's version (or galaxy.yaml's), else no_version; not_found
 * when no collection folder of that name is in the paths playc resolves
 * collections in (the playbook's collections/, then collections_path or
 * its default, as for roles); ansible.builtin, ansible-core's own
 * package, has no metadata. NULL when the value cannot be had now. */
static IrExpr *lw_collver_one(Lw *l, const char *fqcn, IrExpr *not_found, IrExpr *no_version, PcLoc loc) {
  if (strcmp(fqcn, "ansible.builtin") == 0) /* ansible-core's own package: no metadata */
    return no_version;
  PcVec paths = {0};
  pc_vec_push(l->c, &paths, (void *)pc_sprintf(l->c, "%s/collections", l->pb && l->pb->dir ? l->pb->dir : "."));
  const char *const *cfg = rt_config_list(RT_CFG_COLLECTIONS_PATH);
  const char *home = getenv("HOME");
  if (cfg) {
    for (; *cfg; cfg++)
      pc_vec_push(l->c, &paths, (void *)*cfg);
  } else {
    pc_vec_push(l->c, &paths, (void *)pc_sprintf(l->c, "%s/.ansible/collections", home ? home : ""));
    pc_vec_push(l->c, &paths, (void *)"/usr/share/ansible/collections");
  }
  char *coll = pc_strdup(l->c, fqcn);
  *strchr(coll, '.') = '/';
  for (int i = 0; i < paths.len; i++) {
    const char *dir = pc_sprintf(l->c, "%s/ansible_collections/%s", (const char *)paths.items[i], coll);
    if (!*(const char *)paths.items[i] || !fe_is_dir(dir))
      continue;
    const char *text;
    size_t len;
    const char *mf = pc_sprintf(l->c, "%s/MANIFEST.json", dir);
    if (access(mf, F_OK) == 0) {
      if (pc_read_file(l->c, mf, PC_MAX_SOURCE_BYTES, true, &text, &len) != 0)
        return NULL;
      json_t *root = json_loadb(text, len, 0, NULL);
      json_t *v = json_object_get(json_object_get(root, "collection_info"), "version");
      IrExpr *e = v ? lw_collver_json(l, v, loc) : NULL;
      json_decref(root);
      return e;
    }
    for (int k = 0; k < 2; k++) {
      const char *gy = pc_sprintf(l->c, "%s/galaxy.%s", dir, k ? "yaml" : "yml");
      if (access(gy, F_OK) != 0)
        continue;
      bool empty = false;
      FeNode *n = fe_yaml_load_data(l->c, gy, &empty);
      if (!n || n->kind != FE_MAP)
        return NULL;
      return lw_collver_yaml(l, fe_map_get(n, "version"), no_version, loc);
    }
    return no_version;
  }
  return not_found;
}

/* The keyword names of a folded collection_version lookup: only wantlist
 * stays (the others were read at compile time); query() adds
 * wantlist=True as lw_lookup_query does. */
static IrExpr *lw_lookup_collver_query(Lw *l, const JExpr *j, IrExpr *e, bool query) {
  int npos = j->nkids - 1 - j->nkw, nkw = 0;
  const char **kwn = pc_alloc(l->c, sizeof *kwn * (size_t)(j->nkw + 1));
  for (int k = 0; k < j->nkw; k++) {
    if (strcmp(j->kwnames[k], "wantlist") != 0)
      continue;
    kwn[nkw++] = "wantlist";
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[npos + 1 + k]));
  }
  if (query) {
    kwn[nkw++] = "wantlist";
    IrExpr *t = ir_expr_new(l->c, IR_CONST, TY_BOOL, j->loc);
    t->b = true;
    ir_expr_add_kid(l->c, e, t);
  }
  IR_X_SET(l->c, e, kwnames, kwn);
  IR_X_SET(l->c, e, nkw, nkw);
  return e;
}

/* True for a name of FQCN_RE, ^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$. */
static bool lw_is_fqcn(const char *s) {
  const char *dot = strchr(s, '.');
  if (!dot || dot == s || !dot[1] || strchr(dot + 1, '.'))
    return false;
  for (const char *p = s; *p; p++)
    if (p != dot && !isalnum((unsigned char)*p) && *p != '_')
      return false;
  return true;
}

/* lookup('community.general.collection_version', FQCN..., result_not_found=,
 * result_no_version=) with constant terms and options: the lookup reads
 * the controller's collections, so the compiler reads them now (its
 * collections are the ones the program was built from) and the call
 * becomes lookup('list', VERSIONS...), whose result is the same (joined by
 * ',' or the one value, a list with wantlist). NULL when it cannot be
 * folded (then the lookup is planned as unsupported), with the reason. */
static const char *lw_lookup_collver(Lw *l, const JExpr *j, IrExpr *e) {
  int npos = j->nkids - 1 - j->nkw;
  IrExpr *not_found = ir_expr_new(l->c, IR_CONST, TY_NONE, j->loc), *no_version = lw_const_str(l, "*", 1, j->loc);
  for (int k = 0; k < j->nkw; k++) {
    const JExpr *v = j->kids[npos + 1 + k];
    const char *kw = j->kwnames[k];
    IrExpr **opt = !strcmp(kw, "result_not_found") ? &not_found : !strcmp(kw, "result_no_version") ? &no_version : NULL;
    if (!strcmp(kw, "wantlist"))
      continue;
    if (!opt)
      return pc_sprintf(l->c, "lookup 'community.general.collection_version' with option '%s'", kw);
    if (v->kind == J_NONE)
      *opt = ir_expr_new(l->c, IR_CONST, TY_NONE, v->loc);
    else if (v->kind == J_STR)
      *opt = lw_const_str(l, v->s, strlen(v->s), v->loc);
    else
      return "lookup 'community.general.collection_version' with an option that is not a constant string";
  }
  PcVec got = {0};
  for (int i = 2; i <= npos; i++) {
    const JExpr *t = j->kids[i];
    if (t->kind != J_STR || fe_jinja_is_template(t->s))
      return "lookup 'community.general.collection_version' of a name known at run time";
    if (!lw_is_fqcn(t->s))
      return pc_sprintf(l->c, "lookup 'community.general.collection_version' of \"%s\", which is not a FQCN", t->s);
    IrExpr *v = lw_collver_one(l, t->s, not_found, no_version, t->loc);
    if (!v)
      return pc_sprintf(l->c, "lookup 'community.general.collection_version' of %s, whose metadata playc cannot read",
                        t->s);
    pc_vec_push(l->c, &got, v);
  }
  e->name = "list";
  for (int i = 0; i < got.len; i++)
    ir_expr_add_kid(l->c, e, got.items[i]);
  return NULL;
}

static void lw_lookup_template_files(Lw *l, const JExpr *j, IrExpr *e);

/* lookup(NAME, terms..., kw=...), query() and q(): the plugin named by a
 * constant string, known to lookups.def; query passes wantlist=True as
 * Ansible's does. */
static IrExpr *lw_lookup_call(Lw *l, const JExpr *j, bool query) {
  int npos = j->nkids - 1 - j->nkw;
  IrExpr *e = ir_expr_new(l->c, IR_LOOKUP, TY_UNDEF, j->loc);
  e->b = true;
  const JExpr *n = npos > 0 ? j->kids[1] : NULL;
  if (!n || n->kind != J_STR) {
    e->name = "?";
    if (n)
      ir_x(l->c, e)->unsupported = "a lookup named at run time";
    else
      pc_error_at(l->c, j->loc, "%s() needs the name of a lookup plugin", j->kids[0]->name);
  } else {
    const char *name = n->s;
    if (strncmp(name, "ansible.builtin.", 16) == 0)
      name += 16;
    else if (strncmp(name, "ansible.legacy.", 15) == 0)
      name += 15;
    e->name = name;
    bool ok = false;
    for (int i = 0; lw_lookups[i]; i++)
      ok |= strcmp(lw_lookups[i], name) == 0;
    if (!strcmp(name, "file") && lw_lookup_file_args(l, j, e))
      return lw_lookup_query(l, j, e, query);
    if (!strcmp(name, "community.general.collection_version")) {
      const char *why = lw_lookup_collver(l, j, e);
      if (!why)
        return lw_lookup_collver_query(l, j, e, query);
      IR_X_SET(l->c, e, unsupported, why);
      ok = true;
    }
    if (!ok && (fe_ansible_lookup(name) || strchr(name, '.')))
      IR_X_SET(l->c, e, unsupported, pc_sprintf(l->c, "lookup '%s'", n->s));
    else if (!ok)
      pc_error_at(l->c, n->loc, "lookup plugin (%s) not found", n->s);
    else if (!strcmp(name, "template"))
      lw_lookup_template_files(l, j, e);
  }
  for (int i = 2; i < j->nkids; i++) {
    const JExpr *k = j->kids[i];
    /* listify_lookup_plugin_terms templates the terms again: a literal
     * 'file={{ inventory_hostname }}.ini' names the host's file */
    if (i <= npos && k->kind == J_STR && fe_jinja_is_template(k->s))
      ir_expr_add_kid(l->c, e, lw_string(l, k->s, k->loc));
    else
      ir_expr_add_kid(l->c, e, lw_jexpr(l, k));
  }
  return lw_lookup_query(l, j, e, query);
}

/* The keyword names of lookup call `e` (its kids are in place); query()
 * adds wantlist=True. */
static IrExpr *lw_lookup_query(Lw *l, const JExpr *j, IrExpr *e, bool query) {
  int nkw = j->nkw;
  const char **kwn = j->kwnames;
  if (query) { /* wantlist=True, unless written (then it is overridden as Ansible does) */
    const char **k2 = pc_alloc(l->c, sizeof *k2 * (size_t)(nkw + 1));
    for (int i = 0; i < nkw; i++)
      k2[i] = kwn[i];
    k2[nkw++] = "wantlist";
    kwn = k2;
    IrExpr *t = ir_expr_new(l->c, IR_CONST, TY_BOOL, j->loc);
    t->b = true;
    ir_expr_add_kid(l->c, e, t);
  }
  IR_X_SET(l->c, e, kwnames, kwn);
  IR_X_SET(l->c, e, nkw, nkw);
  return e;
}

/* range(start, stop, step), Python's: its arity checked here as Python's
 * TypeErrors word it; an IR_CALL named after its filters.def row, whose
 * kids are the arguments. */
static IrExpr *lw_global_call(Lw *l, const JExpr *j, const IrFilterInfo *g) {
  int npos = j->nkids - 1 - j->nkw;
  if (j->nkw)
    pc_error_at(l->c, j->loc, "%s() takes no keyword arguments", g->name);
  else if (npos < 1)
    pc_error_at(l->c, j->loc, "%s expected at least 1 argument, got 0", g->name);
  else if (npos > 3)
    pc_error_at(l->c, j->loc, "%s expected at most 3 arguments, got %d", g->name, npos);
  IrExpr *e = ir_expr_new(l->c, IR_CALL, g->type, j->loc);
  e->name = g->name;
  for (int i = 1; i < j->nkids; i++)
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[i]));
  return e;
}

/* A call: a method, lookup()/query()/q(), range(); other callables (dict(),
 * lipsum() ...) are planned and refused by -o (namespace() is a statement's). */
static IrExpr *lw_call_expr(Lw *l, const JExpr *j) {
  const JExpr *callee = j->kids[0];
  if (callee->kind == J_GETATTR)
    return lw_method(l, j);
  if (callee->kind == J_NAME && !j->unsupported &&
      (!strcmp(callee->name, "lookup") || !strcmp(callee->name, "query") || !strcmp(callee->name, "q")))
    return lw_lookup_call(l, j, callee->name[0] == 'q');
  const IrFilterInfo *g = callee->kind == J_NAME && !j->unsupported && !lw_local(l, callee->name)
                              ? lw_find_global(callee->name) : NULL;
  if (g)
    return lw_global_call(l, j, g);
  IrExpr *e = ir_expr_new(l->c, IR_CALL, TY_ANY, j->loc);
  for (int i = 0; i < j->nkids; i++)
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[i]));
  IR_X_SET(l->c, e, kwnames, j->kwnames);
  IR_X_SET(l->c, e, nkw, j->nkw);
  IR_X_SET(l->c, e, unsupported, pc_sprintf(l->c, "calling %s%s", callee->kind == J_NAME ? callee->name : "a value",
                              callee->kind == J_NAME ? "()" : ""));
  return e;
}

static IrExpr *lw_jexpr_new(Lw *l, const JExpr *j) {
  static const IrOp ops[] = {[J_GETATTR] = IR_GETATTR, [J_GETITEM] = IR_GETITEM, [J_SLICE] = IR_SLICE, [J_BINOP] = IR_BINOP,
                             [J_AND] = IR_AND, [J_OR] = IR_OR, [J_NOT] = IR_NOT, [J_NEG] = IR_NEG,
                             [J_IF] = IR_IF, [J_LIST] = IR_LIST, [J_TUPLE] = IR_LIST, [J_DICT] = IR_DICT,
                             [J_CONCAT] = IR_CONCAT};
  IrExpr *e;
  switch (j->kind) {
  case J_NONE: return ir_expr_new(l->c, IR_CONST, TY_NONE, j->loc);
  case J_BOOL: e = ir_expr_new(l->c, IR_CONST, TY_BOOL, j->loc); e->b = j->b; return e;
  case J_INT: /* past 64 bits: the digits in s */
    e = ir_expr_new(l->c, IR_CONST, TY_INT, j->loc);
    e->i = j->i, e->s = j->s, e->slen = j->slen;
    return e;
  case J_FLOAT: e = ir_expr_new(l->c, IR_CONST, TY_FLOAT, j->loc); e->f = j->f; return e;
  case J_STR: return lw_const_str(l, j->s, j->slen, j->loc);
  case J_NAME: return lw_name(l, j->name, j->loc, l->tlocals.len);
  case J_BODY: PC_ASSERT(l->filter_body); return l->filter_body;
  case J_POS: return lw_jexpr(l, j->kids[0]);
  case J_FILTER: return lw_call(l, j, false);
  case J_CALL: /* macros, namespace(), loop.cycle(); then methods, lookup() and the rest */
    if ((e = lw_jcall_builtin(l, j)))
      return e;
    return lw_call_expr(l, j);
  case J_TEST: return lw_call(l, j, true);
  default: break;
  }
  e = ir_expr_new(l->c, ops[j->kind], TY_UNDEF, j->loc);
  e->name = j->name;
  e->binop = (int32_t)j->op;
  e->b = j->kind == J_TUPLE; /* IR_LIST: a tuple */
  if (j->kind == J_IF) { /* IR order: cond, then, else; jinja.h's too */
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[0]));
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[1]));
    ir_expr_add_kid(l->c, e, j->kids[2] ? lw_jexpr(l, j->kids[2]) : ir_expr_new(l->c, IR_CONST, TY_NONE, j->loc));
    return e;
  }
  if (j->kind == J_GETATTR && j->kids[0]->kind == J_NAME && !j->kids[0]->shared &&
      strcmp(j->name, "previtem") != 0 && strcmp(j->name, "nextitem") != 0) {
    l->attr_read = true; /* `loop.index`: no previtem/nextitem needed for it */
    l->attr_name = j->name;
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[0]));
    l->attr_read = false;
    l->attr_name = NULL;
    return e;
  }
  for (int i = 0; i < j->nkids; i++)
    ir_expr_add_kid(l->c, e, lw_jexpr(l, j->kids[i]));
  return e;
}

/* lw_jexpr_new, with what the parser found playc cannot compile yet. */
static IrExpr *lw_jexpr_new_marked(Lw *l, const JExpr *j) {
  IrExpr *e = lw_jexpr_new(l, j);
  if (j->unsupported && !ir_xr(e)->unsupported)
    IR_X_SET(l->c, e, unsupported, j->unsupported);
  return e;
}

static IrExpr *lw_jexpr(Lw *l, const JExpr *j) {
  if (!j->shared)
    return lw_jexpr_new_marked(l, j);
  if (j->scratch) { /* its address is reused once the scratch arena is reset: memoised apart */
    IrExpr *e = pc_map_get_ptr(&l->memo_scratch, j);
    if (!e) {
      e = lw_jexpr_new_marked(l, j);
      if (!lw_leaf(e) && e->id < 0)
        lw_root(l, e, NULL);
      pc_map_put_ptr(l->c, &l->memo_scratch, j, e);
    }
    return e;
  }
  IrExpr *e = lw_memo(l, j, LW_JINJA);
  return e ? e : lw_share(l, j, LW_JINJA, lw_jexpr_new_marked(l, j));
}

/* ---- template statements ---------------------------------------------------------------- */

static void lw_parts(Lw *l, IrExpr *into, const JTemplate *t, PcLoc loc);
static void lw_top_parts(Lw *l, IrExpr *into, const JTemplate *t, PcLoc loc);
static IrExpr *lw_stmt(Lw *l, const JStmt *st);
static const char *lw_newlines(Lw *l, const char *s);

static IrExpr *lw_seq(Lw *l, const JTemplate *t, PcLoc loc) {
  IrExpr *e = ir_expr_new(l->c, IR_SEQ, TY_NONE, loc);
  if (t)
    lw_parts(l, e, t, loc);
  return e;
}

/* A body in a scope of its own, rendered into a string. */
static IrExpr *lw_capture(Lw *l, const JTemplate *t, PcLoc loc) {
  int32_t outer = lw_scope_open(l);
  IrExpr *e = ir_expr_new(l->c, IR_CAPTURE, TY_STR, loc);
  ir_expr_add_kid(l->c, e, lw_seq(l, t, loc));
  lw_scope_close(l, outer);
  return e;
}

/* The targets of a for or set (a name or a tuple of names) as kids of `e`. */
static void lw_targets(Lw *l, IrExpr *e, const JExpr *target) {
  e->b = target->kind == J_TUPLE; /* unpack, even into one name (`for x, in ...`) */
  if (target->kind == J_NAME) {
    ir_expr_add_kid(l->c, e, lw_bind(l, target->name, target->loc));
    return;
  }
  for (int32_t k = 0; k < target->nkids; k++)
    ir_expr_add_kid(l->c, e, lw_bind(l, target->kids[k]->name, target->kids[k]->loc));
}

/* Whether `loop.changed` is read in `j` (not inside another loop's body: any depth, to be simple). */
static bool lw_jexpr_changed(const JExpr *j) {
  if (!j)
    return false;
  if (j->kind == J_GETATTR && !strcmp(j->name, "changed") && j->kids[0]->kind == J_NAME &&
      !strcmp(j->kids[0]->name, "loop"))
    return true;
  for (int32_t k = 0; k < j->nkids; k++)
    if (lw_jexpr_changed(j->kids[k]))
      return true;
  return false;
}

static bool lw_tpl_changed(const JTemplate *t) {
  for (int32_t i = 0; t && i < t->nparts; i++) {
    const JStmt *st = t->parts[i].stmt;
    if (lw_jexpr_changed(t->parts[i].expr))
      return true;
    if (st && (lw_jexpr_changed(st->expr) || lw_jexpr_changed(st->cond) || lw_tpl_changed(st->body) ||
               lw_tpl_changed(st->orelse)))
      return true;
  }
  return false;
}

/* for := iterable (outside), then a scope with the targets, the inline if,
 * `loop` and the body; the else body is outside again. loop.changed keeps
 * its last value in a slot before the body's (which each step resets). */
static IrExpr *lw_for(Lw *l, const JStmt *st) {
  IrExpr *e = ir_expr_new(l->c, IR_FOR, TY_NONE, st->loc);
  IrExpr *iter = lw_jexpr(l, st->expr);
  int32_t outer = lw_scope_open(l);
  IR_X_SET(l->c, e, slot_aux, lw_tpl_changed(st->body) ? l->nslots++ : -1);
  e->recursive = st->recursive;
  IR_X_SET(l->c, e, slot_first, l->nslots);
  IrExpr *targets = ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
  lw_targets(l, targets, st->target);
  e->b = targets->b;
  IrExpr *cond = st->cond ? lw_jexpr(l, st->cond) : ir_expr_new(l->c, IR_CONST, TY_BOOL, st->loc);
  if (!st->cond)
    cond->b = true;
  l->attr_read = true; /* binding reads no outer loop's previtem/nextitem */
  IR_X_SET(l->c, e, slot, ir_xr(lw_bind(l, "loop", st->loc))->slot);
  l->attr_read = false;
  LwLocal *loop = l->tlocals.items[l->tlocals.len - 1];
  loop->loop_for = e;
  loop->read = loop->read_whole = false; /* lw_bind's own LOCAL is not a read */
  loop->fields_read = 0;
  IrExpr *body = lw_seq(l, st->body, st->loc);
  e->loop_unread = !loop->read && !st->recursive;
  e->loop_adjacent = loop->read_whole || st->recursive;
  e->i = e->loop_adjacent ? -1 : (int64_t)loop->fields_read;
  IR_X_SET(l->c, e, slot_end, l->nslots);
  lw_scope_close(l, outer);
  ir_expr_add_kid(l->c, e, iter);
  ir_expr_add_kid(l->c, e, cond);
  ir_expr_add_kid(l->c, e, body);
  ir_expr_add_kid(l->c, e, lw_seq(l, st->orelse, st->loc));
  for (int32_t k = 0; k < targets->nkids; k++)
    ir_expr_add_kid(l->c, e, targets->kids[k]);
  return e;
}

/* set := value (read before the name is bound), then the targets. */
static IrExpr *lw_set(Lw *l, const JStmt *st, IrExpr *value) {
  if (st->target->kind == J_GETATTR) {
    IrExpr *e = ir_expr_new(l->c, IR_SETATTR, TY_NONE, st->loc);
    e->name = st->target->name;
    ir_expr_add_kid(l->c, e, lw_name(l, st->target->kids[0]->name, st->target->loc, l->tlocals.len));
    ir_expr_add_kid(l->c, e, value);
    return e;
  }
  IrExpr *e = ir_expr_new(l->c, IR_SET, TY_NONE, st->loc);
  ir_expr_add_kid(l->c, e, value);
  lw_targets(l, e, st->target);
  return e;
}

/* with := its values (outside), then a scope with their names and the body. */
static IrExpr *lw_with(Lw *l, const JStmt *st) {
  IrExpr *e = ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
  PcVec vals = {0};
  for (int32_t k = 0; k < st->expr->nkids; k++)
    pc_vec_push(l->c, &vals, lw_jexpr(l, st->expr->kids[k]));
  int32_t outer = lw_scope_open(l);
  for (int32_t k = 0; k < st->target->nkids; k++) {
    IrExpr *set = ir_expr_new(l->c, IR_SET, TY_NONE, st->loc);
    ir_expr_add_kid(l->c, set, vals.items[k]);
    lw_targets(l, set, st->target->kids[k]);
    ir_expr_add_kid(l->c, e, set);
  }
  lw_parts(l, e, st->body, st->loc);
  lw_scope_close(l, outer);
  return e;
}

/* ---- templates named by include, import, extends ------------------------------------------ *
 * They are resolved now, from the folders Ansible's template action gives
 * its environment (each root's templates/ and the root, then the template's
 * own folder's templates/ and the folder; a playbook string: the playbook's
 * folder, the templar's loader), parsed with the same options and lowered
 * in place: no template text reaches the program. */
enum { LW_TPL_DEPTH = 16 }; /* nested includes/imports/extends: deeper is a loop */
enum { LW_TPL_INLINED = 20000 }; /* templates included in all, per compilation */

/* `name` found in `dir` as Jinja2's FileSystemLoader finds it ('..' never). */
static const char *lw_tpl_try(Lw *l, const char *dir, const char *name) {
  PcBuf b = {0};
  pc_buf_adds(l->c, &b, dir);
  char *copy = pc_strdup(l->c, name);
  for (char *piece = strtok(copy, "/"); piece; piece = strtok(NULL, "/")) {
    if (!strcmp(piece, ".."))
      return NULL;
    if (strcmp(piece, ".") != 0) {
      pc_buf_adds(l->c, &b, "/");
      pc_buf_adds(l->c, &b, piece);
    }
  }
  struct stat st;
  return stat(b.s, &st) == 0 && S_ISREG(st.st_mode) ? b.s : NULL;
}

/* The folders templates are looked for in, in order. */
static void lw_tpl_dirs(Lw *l, PcVec *out) {
  PcVec dirs = {0};
  if (l->tpl_dir) {
    for (int i = 0; l->roots && l->roots[i]; i++) {
      pc_vec_push(l->c, &dirs, (void *)pc_sprintf(l->c, "%s/templates", l->roots[i]));
      pc_vec_push(l->c, &dirs, (void *)l->roots[i]);
    }
    pc_vec_push(l->c, &dirs, (void *)pc_sprintf(l->c, "%s/templates", l->tpl_dir));
    pc_vec_push(l->c, &dirs, (void *)l->tpl_dir);
  } else {
    pc_vec_push(l->c, &dirs, (void *)(l->pb && l->pb->dir ? l->pb->dir : "."));
  }
  *out = dirs;
}

/* The path of template `name`, or NULL; *searched lists the folders tried. */
static const char *lw_tpl_find(Lw *l, const char *name, const char **searched) {
  PcVec dirs;
  lw_tpl_dirs(l, &dirs);
  *searched = "";
  for (int i = 0; i < dirs.len; i++) {
    const char *path = lw_tpl_try(l, dirs.items[i], name);
    if (path)
      return path;
    *searched = pc_sprintf(l->c, "%s%s%s", *searched, i ? ", " : "", (const char *)dirs.items[i]);
  }
  return NULL;
}

/* Template file `path` parsed with the current template's options (once per options). */
static const JTemplate *lw_tpl_load(Lw *l, const char *path, PcLoc loc) {
  const char *key = pc_sprintf(l->c, "%d%d%d:%s", l->tpl_trim, l->tpl_lstrip, l->tpl_keep_nl, path);
  const JTemplate *t = pc_map_get(&l->tpl_parsed, key, strlen(key));
  if (t)
    return t;
  const char *text;
  size_t n;
  if (pc_read_file(l->c, path, PC_MAX_SOURCE_BYTES, true, &text, &n) != 0) {
    pc_error_at(l->c, loc, "could not read the template '%s'", path);
    return NULL;
  }
  if (rt_vault_is_encrypted(text, n)) {
    pc_error_at(l->c, loc, "the template '%s' is vault-encrypted: an encrypted template cannot be compiled", path);
    return NULL;
  }
  pc_add_source(l->c, path, text, n);
  n = strlen(text);
  if (!l->tpl_keep_nl && n && text[n - 1] == '\n')
    n -= n > 1 && text[n - 2] == '\r' ? 2 : 1;
  else if (!l->tpl_keep_nl && n && text[n - 1] == '\r')
    n--;
  JOpts jo = {l->tpl_trim, l->tpl_lstrip, false}; /* a file: no _escape_backslashes */
  t = fe_jinja_parse_template_opts(l->c, lw_newlines(l, pc_strndup(l->c, text, n)), (PcLoc){path, 1, 1}, &jo);
  if (t)
    pc_map_put(l->c, &l->tpl_parsed, key, strlen(key), (void *)t);
  return t;
}

/* The constant names `e` gives (a string, or a list or tuple of strings), or
 * false after a located error: a name computed at run time is not bounded. */
static bool lw_tpl_names(Lw *l, const JExpr *e, PcVec *names, const char *what) {
  if (e->kind == J_STR) {
    pc_vec_push(l->c, names, (void *)e->s);
    return true;
  }
  for (int32_t k = 0; (e->kind == J_LIST || e->kind == J_TUPLE) && k < e->nkids; k++) {
    if (e->kids[k]->kind != J_STR)
      break;
    pc_vec_push(l->c, names, (void *)e->kids[k]->s);
    if (k == e->nkids - 1)
      return true;
  }
  pc_error_at(l->c, e->loc, "playc resolves the template an '%s' names when it compiles: give a constant name or "
                            "a list of constant names", what);
  return false;
}

/* The template `st` names (the first of its names found), or NULL: after a
 * located error, or silently when `ignore` (ignore missing). */
static const JTemplate *lw_tpl_named(Lw *l, const JStmt *st, bool ignore) {
  PcVec names = {0};
  if (!lw_tpl_names(l, st->expr, &names, st->name))
    return NULL;
  if (l->tpl_depth >= LW_TPL_DEPTH) {
    pc_error_at(l->c, st->loc, "templates including, importing or extending each other deeper than %d (a loop)",
                LW_TPL_DEPTH);
    return NULL;
  }
  const char *searched = "";
  for (int i = 0; i < names.len; i++) {
    const char *path = lw_tpl_find(l, names.items[i], &searched);
    if (path)
      return lw_tpl_load(l, path, st->loc);
  }
  if (!ignore && names.len == 1)
    pc_error_at(l->c, st->loc, "TemplateNotFound: %s (searched %s)", (const char *)names.items[0], searched);
  else if (!ignore) {
    const char *all = "";
    for (int i = 0; i < names.len; i++)
      all = pc_sprintf(l->c, "%s%s%s", all, i ? ", " : "", (const char *)names.items[i]);
    pc_error_at(l->c, st->loc, "TemplatesNotFound: none of the templates given were found: %s (searched %s)", all,
                searched);
  }
  return NULL;
}

/* Lowers `t` where another template's parts would be: its own extends chain,
 * a scope of its own; without context, none of the includer's names. */
static void lw_tpl_inline(Lw *l, IrExpr *into, const JTemplate *t, bool context, PcLoc loc) {
  if (++l->tpl_inlined == LW_TPL_INLINED)
    pc_error_at(l->c, loc, "more than %d templates included in all (each include is compiled where it stands)",
                LW_TPL_INLINED);
  if (l->tpl_inlined >= LW_TPL_INLINED)
    return;
  PcVec chain = l->tpl_chain;
  const char *bname = l->block_name;
  int32_t blevel = l->block_level, barrier = l->tbarrier;
  bool no_ctx = l->no_ctx;
  l->tpl_chain = (PcVec){0};
  l->block_name = NULL;
  int32_t outer = lw_scope_open(l);
  if (!context) {
    l->tbarrier = l->tlocals.len;
    l->no_ctx = true;
  }
  l->tpl_depth++;
  lw_top_parts(l, into, t, loc);
  l->tpl_depth--;
  lw_scope_close(l, outer);
  l->tpl_chain = chain;
  l->block_name = bname;
  l->block_level = blevel;
  l->tbarrier = barrier;
  l->no_ctx = no_ctx;
}

static void lw_walk(Lw *l, const char *top, const char *dir, const char *rel, PcVec *out, int depth, bool hidden,
                    bool sizes, PcLoc loc);
enum { LW_TPL_CANDIDATES = 64 }; /* templates a name computed at run time may be */

/* The glob of the names `e` can give: its constant parts (of `~` and `+`
 * chains) with `*` for the rest; false when it has no constant part. */
static bool lw_name_glob(Lw *l, const JExpr *e, PcBuf *b) {
  if (e->kind == J_STR) {
    for (size_t i = 0; i < e->slen; i++) {
      if (strchr("*?[\\", e->s[i]))
        pc_buf_add(l->c, b, "\\", 1);
      pc_buf_add(l->c, b, e->s + i, 1);
    }
    return e->slen > 0;
  }
  bool any = false;
  if (e->kind == J_CONCAT || (e->kind == J_BINOP && e->op == JB_ADD)) {
    for (int32_t k = 0; k < e->nkids; k++)
      any |= lw_name_glob(l, e->kids[k], b);
    return any;
  }
  if (!b->len || b->s[b->len - 1] != '*')
    pc_buf_add(l->c, b, "*", 1);
  return false;
}

/* The templates `glob` matches in the search path, each name once (the
 * folder it is found in first is the one the loader takes). */
static void lw_tpl_glob(Lw *l, const char *glob, PcVec *names, PcLoc loc) {
  const char *wild = glob + strcspn(glob, "*?[\\"), *slash = NULL;
  for (const char *p = glob; p < wild; p++)
    if (*p == '/')
      slash = p;
  const char *prefix = slash ? pc_strndup(l->c, glob, (size_t)(slash - glob) + 1) : "";
  PcVec dirs;
  lw_tpl_dirs(l, &dirs);
  for (int d = 0; d < dirs.len; d++) {
    const char *dir = dirs.items[d];
    const char *top = pc_sprintf(l->c, "%s/%s", dir, prefix);
    struct stat st;
    if (stat(top, &st) != 0 || !S_ISDIR(st.st_mode))
      continue;
    PcVec all = {0};
    lw_walk(l, top, top, "", &all, 0, false, false, loc);
    for (int k = 0; k < all.len; k++) {
      const char *name = pc_sprintf(l->c, "%s%s", prefix, (const char *)all.items[k]);
      bool seen = false;
      for (int i = 0; i < names->len && !seen; i++)
        seen = !strcmp(names->items[i], name);
      if (!seen && fnmatch(glob, name, 0) == 0)
        pc_vec_push(l->c, names, (void *)name);
    }
  }
}

/* include of a name computed at run time: each template the name's constant
 * parts allow, compiled, and a choice among them by the name's value; none
 * of them is TemplateNotFound when it renders (or nothing: ignore missing). */
static IrExpr *lw_include_bounded(Lw *l, const JStmt *st) {
  PcBuf glob = {0};
  PcVec names = {0};
  if (lw_name_glob(l, st->expr, &glob))
    lw_tpl_glob(l, glob.s, &names, st->loc);
  if (!names.len && st->ignore_missing && glob.len && strcmp(glob.s, "*") != 0)
    return ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc); /* whatever the name is, nothing is there */
  if (!names.len || names.len > LW_TPL_CANDIDATES) {
    pc_error_at(l->c, st->expr->loc, "playc resolves the template an 'include' names when it compiles: %s",
                !glob.len || !strcmp(glob.s, "*")
                    ? "give a constant name, a list of them, or a name with constant parts"
                    : pc_sprintf(l->c, "%s template matches '%s' in the search path", names.len ? "more than 64" : "no",
                                 glob.s));
    return ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
  }
  IrExpr *e = ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
  IrExpr *set = ir_expr_new(l->c, IR_SET, TY_NONE, st->loc);
  ir_expr_add_kid(l->c, set, lw_jexpr(l, st->expr));
  int32_t outer = lw_scope_open(l);
  ir_expr_add_kid(l->c, set, lw_bind(l, " include", st->loc));
  ir_expr_add_kid(l->c, e, set);
  IrExpr *none = ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
  if (!st->ignore_missing) { /* undefined | mandatory(msg="TemplateNotFound: " ~ name) */
    IrExpr *f = ir_expr_new(l->c, IR_FILTER, TY_UNDEF, st->loc), *u = ir_expr_new(l->c, IR_VAR, TY_UNDEF, st->loc);
    IrExpr *msg = ir_expr_new(l->c, IR_CONCAT, TY_STR, st->loc);
    u->name = " template";
    u->b = true;
    f->name = "mandatory";
    ir_expr_add_kid(l->c, msg, lw_const_str(l, "TemplateNotFound: ", 18, st->loc));
    ir_expr_add_kid(l->c, msg, lw_name(l, " include", st->loc, l->tlocals.len));
    ir_expr_add_kid(l->c, f, u);
    ir_expr_add_kid(l->c, f, msg);
    const char **kw = pc_alloc(l->c, sizeof *kw);
    kw[0] = "msg";
    IR_X_SET(l->c, f, kwnames, kw);
    IR_X_SET(l->c, f, nkw, 1);
    ir_expr_add_kid(l->c, none, f);
  }
  IrExpr *chain = none;
  for (int i = names.len - 1; i >= 0; i--) {
    const char *searched, *path = lw_tpl_find(l, names.items[i], &searched);
    const JTemplate *t = path ? lw_tpl_load(l, path, st->loc) : NULL;
    IrExpr *body = ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
    if (t)
      lw_tpl_inline(l, body, t, st->context != 0, st->loc);
    IrExpr *eq = ir_expr_new(l->c, IR_BINOP, TY_UNDEF, st->loc), *sif = ir_expr_new(l->c, IR_STMT_IF, TY_NONE, st->loc);
    eq->binop = RT_OP_EQ;
    ir_expr_add_kid(l->c, eq, lw_name(l, " include", st->loc, l->tlocals.len));
    ir_expr_add_kid(l->c, eq, lw_const_str(l, names.items[i], strlen(names.items[i]), st->loc));
    ir_expr_add_kid(l->c, sif, eq);
    ir_expr_add_kid(l->c, sif, body);
    IrExpr *other = ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
    ir_expr_add_kid(l->c, other, chain);
    ir_expr_add_kid(l->c, sif, other);
    chain = sif;
  }
  ir_expr_add_kid(l->c, e, chain);
  lw_scope_close(l, outer);
  return e;
}

/* include := the named template rendered here, with the includer's names
 * (Jinja2 passes its locals) unless `without context`. */
static IrExpr *lw_include(Lw *l, const JStmt *st) {
  const JExpr *x = st->expr;
  if (x->kind != J_STR && x->kind != J_LIST && x->kind != J_TUPLE)
    return lw_include_bounded(l, st);
  IrExpr *e = ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
  const JTemplate *t = lw_tpl_named(l, st, st->ignore_missing);
  if (t)
    lw_tpl_inline(l, e, t, st->context != 0, st->loc);
  return e;
}

/* import/from := names for the template's macros, expanded where called
 * (without context unless `with context`, as in Jinja2). */
static IrExpr *lw_import(Lw *l, const JStmt *st) {
  IrExpr *e = ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
  const JTemplate *t = lw_tpl_named(l, st, false);
  if (!t) /* reported: its names call nothing */
    t = &lw_tpl_none;
  bool no_ctx = st->context != 1;
  if (st->kind == JS_IMPORT) {
    pc_vec_push(l->c, &l->tlocals, lw_local_new(l, st->target->name, NULL, t, no_ctx));
    return e;
  }
  for (int32_t k = 0; k < st->target->nkids; k++) {
    const JStmt *m = lw_module_macro(t, st->target->kids[k]->name);
    if (!m && t == &lw_tpl_none)
      continue;
    if (!m) {
      pc_error_at(l->c, st->target->kids[k]->loc, "the template %s (imported on line %d) does not export the "
                  "requested name '%s'", st->expr->kind == J_STR ? pc_sprintf(l->c, "'%s'", st->expr->s) : "",
                  st->loc.line, st->target->kids[k]->name);
      continue;
    }
    pc_vec_push(l->c, &l->tlocals, lw_local_new(l, st->cond->kids[k]->name, m, t, no_ctx));
  }
  return e;
}

/* An imported template's definitions, in the scope where one of its macros
 * is expanded: its macros, imports and top-level `set`s (what its module holds). */
static void lw_module_defs(Lw *l, IrExpr *seq, const JTemplate *t) {
  for (int32_t i = 0; i < t->nparts; i++) {
    const JStmt *st = t->parts[i].stmt;
    if (st && (st->kind == JS_MACRO || st->kind == JS_IMPORT || st->kind == JS_FROM || st->kind == JS_SET ||
               st->kind == JS_SETBLOCK))
      ir_expr_add_kid(l->c, seq, lw_stmt(l, st));
  }
}

/* call := the macro expanded with `caller` bound to the call block's body
 * (a macro of the call's parameters that sees what the call site sees). */
static IrExpr *lw_call_block(Lw *l, const JStmt *st) {
  JStmt *m = pc_alloc(l->c, sizeof *m);
  m->kind = JS_MACRO;
  m->name = "macro";
  m->loc = st->loc;
  m->off = st->off;
  m->target = pc_alloc(l->c, sizeof *m->target);
  m->target->kind = J_NAME;
  m->target->name = "caller";
  m->target->loc = st->loc;
  m->expr = st->target;
  m->cond = st->cond;
  m->body = st->body;
  LwLocal *caller = lw_local_new(l, "caller", m, NULL, false);
  caller->base = l->tlocals.len;
  caller->barrier = l->tbarrier;
  caller->base_no_ctx = l->no_ctx;
  IrExpr *e = lw_jcall_template(l, st->expr, caller);
  if (e)
    return e;
  e = lw_const_str(l, "", 0, st->loc);
  ir_x(l->c, e)->unsupported = "a call block whose callee is not a macro";
  return e;
}

/* The block `name` defined anywhere in `t`, or NULL. */
static const JStmt *lw_find_block(const JTemplate *t, const char *name) {
  for (int32_t i = 0; t && i < t->nparts; i++) {
    const JStmt *st = t->parts[i].stmt;
    if (!st)
      continue;
    if (st->kind == JS_BLOCK && st->target && !strcmp(st->target->name, name))
      return st;
    const JStmt *b = lw_find_block(st->body, name);
    if (!b)
      b = lw_find_block(st->orelse, name);
    if (b)
      return b;
  }
  return NULL;
}

/* The body of block `b`, defined at `level` of the extends chain, in a
 * scope of its own (super() inside it reaches past that level). */
static IrExpr *lw_block_body(Lw *l, const JStmt *b, int32_t level, PcLoc loc) {
  const char *bname = l->block_name;
  int32_t blevel = l->block_level;
  l->block_name = b->target->name;
  l->block_level = level;
  int32_t outer = lw_scope_open(l);
  IrExpr *e = lw_seq(l, b->body, loc);
  lw_scope_close(l, outer);
  l->block_name = bname;
  l->block_level = blevel;
  return e;
}

/* block := its most derived definition along the extends chain, rendered here. */
static IrExpr *lw_block(Lw *l, const JStmt *st) {
  if (!st->target)
    return ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
  for (int32_t k = 0; k < l->tpl_chain.len; k++) {
    const JStmt *b = lw_find_block(l->tpl_chain.items[k], st->target->name);
    if (b)
      return lw_block_body(l, b, k, st->loc);
  }
  return lw_block_body(l, st, l->tpl_chain.len, st->loc);
}

/* A template's top level: its parts, or with `extends`, what comes before it,
 * the definitions after it (Jinja2 runs them but drops their output), then
 * the parent template with this one's blocks over its own. */
static void lw_top_parts(Lw *l, IrExpr *into, const JTemplate *t, PcLoc loc) {
  pc_vec_push(l->c, &l->tpl_chain, (void *)t);
  const JStmt *ext = NULL;
  for (int i = 0; i < t->nparts; i++) {
    const JPart *part = &t->parts[i];
    const JStmt *st = part->stmt;
    if (st && st->kind == JS_EXTENDS) {
      if (!ext)
        ext = st;
      continue;
    }
    if (!ext)
      ir_expr_add_kid(l->c, into, st ? lw_stmt(l, st) : part->expr ? lw_jexpr(l, part->expr)
                                                                  : lw_const_str(l, part->text, part->len, loc));
    else if (st && st->kind != JS_BLOCK && st->kind != JS_IF && st->kind != JS_FOR && st->kind != JS_CALL &&
             st->kind != JS_INCLUDE && st->kind != JS_FILTER && st->kind != JS_WITH)
      ir_expr_add_kid(l->c, into, lw_stmt(l, st));
  }
  const JTemplate *parent = ext ? lw_tpl_named(l, ext, false) : NULL;
  if (parent) {
    l->tpl_depth++;
    lw_top_parts(l, into, parent, loc);
    l->tpl_depth--;
  }
  l->tpl_chain.len--;
}

static IrExpr *lw_stmt(Lw *l, const JStmt *st) {
  IrExpr *e;
  switch (st->kind) {
  case JS_IF:
    e = ir_expr_new(l->c, IR_STMT_IF, TY_NONE, st->loc);
    ir_expr_add_kid(l->c, e, lw_jexpr(l, st->expr));
    ir_expr_add_kid(l->c, e, lw_seq(l, st->body, st->loc));
    ir_expr_add_kid(l->c, e, lw_seq(l, st->orelse, st->loc));
    return e;
  case JS_FOR: return lw_for(l, st);
  case JS_SET: return lw_set(l, st, lw_jexpr(l, st->expr));
  case JS_SETBLOCK: return lw_set(l, st, lw_capture(l, st->body, st->loc));
  case JS_FILTER: {
    IrExpr *outer = l->filter_body;
    l->filter_body = lw_capture(l, st->body, st->loc);
    e = lw_jexpr(l, st->expr);
    l->filter_body = outer;
    return e;
  }
  case JS_WITH: return lw_with(l, st);
  case JS_MACRO: /* defines its name in this scope; each call is expanded in place */
    pc_vec_push(l->c, &l->tlocals, lw_local_new(l, st->target->name, st, NULL, false));
    return ir_expr_new(l->c, IR_SEQ, TY_NONE, st->loc);
  case JS_BLOCK: return lw_block(l, st);
  case JS_CALL: return lw_call_block(l, st);
  case JS_INCLUDE: return lw_include(l, st);
  case JS_IMPORT: case JS_FROM: return lw_import(l, st);
  case JS_EXTENDS: break;
  }
  e = lw_const_str(l, "", 0, st->loc); /* extends where lw_top_parts does not see it */
  ir_x(l->c, e)->unsupported = "'extends' inside a statement (playc resolves it at the top of a template)";
  return e;
}

/* A template's parts as kids of `into` (a TEMPLATE or a SEQ). */
static void lw_parts(Lw *l, IrExpr *into, const JTemplate *t, PcLoc loc) {
  for (int i = 0; i < t->nparts; i++) {
    const JPart *part = &t->parts[i];
    ir_expr_add_kid(l->c, into, part->stmt   ? lw_stmt(l, part->stmt)
                                : part->expr ? lw_jexpr(l, part->expr)
                                             : lw_const_str(l, part->text, part->len, loc));
  }
}

/* A template's parts into `e`, its locals (set, for targets, loop) in a
 * frame of their own: slots from 0 to e->slot_end. */
static void lw_frame_parts(Lw *l, IrExpr *e, const JTemplate *t, PcLoc loc) {
  PcVec saved = l->tlocals, chain = l->tpl_chain;
  int32_t saved_scope = l->tscope, saved_slots = l->nslots, barrier = l->tbarrier;
  l->tlocals = (PcVec){0};
  l->tpl_chain = (PcVec){0};
  l->tscope = 0;
  l->nslots = 0;
  l->tbarrier = 0;
  lw_top_parts(l, e, t, loc);
  IR_X_SET(l->c, e, slot_end, l->nslots);
  l->tlocals = saved;
  l->tpl_chain = chain;
  l->tscope = saved_scope;
  l->nslots = saved_slots;
  l->tbarrier = barrier;
}

/* A template with statements: Jinja2 drops one newline at the end of the
 * source and Ansible gives back what the result lacks of the source's
 * trailing newlines (keep_nl); its locals are a frame of slot_end slots. */
static IrExpr *lw_template_stmts(Lw *l, const char *s, PcLoc loc) {
  size_t len = strlen(s);
  int32_t keep = 0;
  while ((size_t)keep < len && s[len - 1 - (size_t)keep] == '\n')
    keep++;
  JTemplate *t = lw_parse_string(l, keep ? pc_strndup(l->c, s, len - 1) : s, loc);
  IrExpr *e = ir_expr_new(l->c, IR_TEMPLATE, TY_STR, loc);
  if (!t)
    return lw_const_str(l, s, len, loc);
  const char *dir = l->tpl_dir; /* the templar's environment: Ansible's options, the playbook's folder */
  bool trim = l->tpl_trim, lstrip = l->tpl_lstrip, keep_nl = l->tpl_keep_nl;
  l->tpl_dir = NULL;
  l->tpl_trim = true;
  l->tpl_lstrip = l->tpl_keep_nl = false;
  lw_frame_parts(l, e, t, loc);
  l->tpl_dir = dir;
  l->tpl_trim = trim;
  l->tpl_lstrip = lstrip;
  l->tpl_keep_nl = keep_nl;
  IR_X_SET(l->c, e, keep_nl, keep);
  return e;
}

/* The text Jinja2's lexer reads: "\r\n" and "\r" are newlines ("\n"). */
static const char *lw_newlines(Lw *l, const char *s) {
  if (!strchr(s, '\r'))
    return s;
  char *t = pc_strndup(l->c, s, strlen(s)), *o = t;
  for (const char *p = s; *p; p++) {
    *o++ = *p == '\r' ? '\n' : *p;
    if (*p == '\r' && p[1] == '\n')
      p++;
  }
  *o = 0;
  return t;
}

/* A playbook string Jinja2 cannot compile (a syntax error `why` at `at`, an
 * unknown filter or test): Ansible fails the task that templates it, with
 * "template error while templating string" quoting `src`, so the string
 * compiles to that error. A fault: a warning, an error with --strict. */
static IrExpr *lw_template_error(Lw *l, const char *diag, const char *why, PcLoc at, const char *src, PcLoc loc) {
  pc_fault_at(l->c, at, "%s", diag);
  IrExpr *e = ir_expr_new(l->c, IR_ERROR, TY_ANY, loc);
  e->s = pc_sprintf(l->c, "template error while templating string: %s. String: %s. %s", why, src, why);
  e->slen = (uint32_t)strlen(e->s);
  return e;
}

IrExpr *ir_lower_var_error(IrLower *l, IrExpr *e, const char *src) {
  if (e->op != IR_ERROR || !src)
    return e;
  IrExpr *w = ir_expr_new(l->c, IR_ERROR, TY_ANY, e->loc);
  w->s = pc_sprintf(l->c,
                    "An unhandled exception occurred while templating '%s'. Error was a <class "
                    "'ansible.errors.AnsibleError'>, original message: %s",
                    src, e->s);
  w->slen = (uint32_t)strlen(w->s);
  return w;
}

/* Parses playbook string `s` as a template (or, `expr`, an expression) into
 * the scratch arena, holding a syntax error in *why and *at rather than
 * reporting it (both live until the scratch arena is reset: lw_ast_end). */
static void *lw_parse_held(Lw *l, const char *s, PcLoc loc, bool expr, const char **why, PcLoc *at) {
  bool hold = l->c->jinja_hold, was = l->c->ast_scratch;
  const char *err = l->c->jinja_err;
  PcLoc err_loc = l->c->jinja_err_loc;
  l->c->jinja_hold = true;
  l->c->jinja_err = NULL;
  l->c->ast_scratch = true;
  void *t = expr ? (void *)fe_jinja_parse_expr(l->c, s, loc) : (void *)fe_jinja_parse_template(l->c, s, loc);
  l->c->ast_scratch = was;
  *why = l->c->jinja_err ? l->c->jinja_err : "syntax error";
  *at = l->c->jinja_err ? l->c->jinja_err_loc : loc;
  l->c->jinja_hold = hold;
  l->c->jinja_err = err;
  l->c->jinja_err_loc = err_loc;
  return t;
}

/* A string that may hold template syntax: CONST, SINGLE or TEMPLATE (or
 * ERROR: a template Jinja2 cannot compile). */
static IrExpr *lw_string_body(Lw *l, const char *s, PcLoc loc, JTemplate *t) {
  IrExpr *e;
  if (t->has_stmt) {
    e = lw_template_stmts(l, s, loc);
  } else if (t->nparts == 1 && t->parts[0].expr) {
    e = ir_expr_new(l->c, IR_SINGLE, TY_UNDEF, loc);
    ir_expr_add_kid(l->c, e, lw_jexpr(l, t->parts[0].expr));
  } else {
    e = ir_expr_new(l->c, IR_TEMPLATE, TY_STR, loc);
    lw_parts(l, e, t, loc);
  }
  if (e->op == IR_SINGLE || e->op == IR_TEMPLATE)
    e->tpl_src = s;
  return e;
}

static IrExpr *lw_string_parsed(Lw *l, const char *s, PcLoc loc) {
  s = lw_newlines(l, s);
  const char *why;
  PcLoc at;
  JTemplate *t = lw_parse_held(l, s, loc, false, &why, &at);
  if (!t)
    return lw_template_error(l, why, why, at, s, loc);
  const char *fsrc = l->fault_src, *fwhy = l->fault_why;
  PcLoc fat = l->fault_at;
  l->fault_src = s;
  l->fault_why = NULL;
  IrExpr *e = lw_string_body(l, s, loc, t);
  if (l->fault_why)
    e = lw_template_error(l, l->fault_diag, l->fault_why, l->fault_at, s, loc);
  l->fault_src = fsrc;
  l->fault_why = fwhy;
  l->fault_at = fat;
  return e;
}

static IrExpr *lw_string(Lw *l, const char *s, PcLoc loc) {
  if (!fe_jinja_is_template(s))
    return lw_const_str(l, s, strlen(s), loc);
  lw_ast_begin(l);
  IrExpr *e = lw_string_parsed(l, s, loc);
  lw_ast_end(l);
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
    case FE_T_INT: /* past 64 bits: its digits (IrExpr.s) */
      e = ir_expr_new(l->c, IR_CONST, TY_INT, n->loc);
      e->i = n->i, e->s = n->digits, e->slen = n->digits ? strlen(n->digits) : 0;
      return e;
    case FE_T_FLOAT: e = ir_expr_new(l->c, IR_CONST, TY_FLOAT, n->loc); e->f = n->f; return e;
    case FE_T_STR:
      if (n->unsafe) { /* `!unsafe`: the text as it is, never templated */
        e = ir_expr_new(l->c, IR_UNSAFE, TY_STR, n->loc);
        e->s = n->text, e->slen = n->len;
        return e;
      }
      return lw_string(l, n->text, lw_text_loc(n));
    case FE_T_VAULT: /* the vault text, decrypted where it is used (never templated) */
      e = ir_expr_new(l->c, IR_VAULT, TY_STR, n->loc);
      e->s = n->text, e->slen = n->len;
      return e;
    }
  }
  e = ir_expr_new(l->c, n->kind == FE_SEQ ? IR_LIST : IR_DICT, TY_UNDEF, n->loc);
  for (int i = 0; i < n->n; i++) {
    if (n->kind == FE_MAP) { /* a plain 80, 1.5, true, ~ key keeps its type, as PyYAML's */
      const FeNode *k = n->keys[i];
      bool typed = k->kind == FE_SCALAR && k->stype != FE_T_STR && k->stype != FE_T_VAULT;
      ir_expr_add_kid(l->c, e, typed ? lw_node_new(l, k) : lw_const_str(l, k->text, k->len, k->loc));
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
    return n->stype == FE_T_STR && !n->unsafe && fe_jinja_is_template(n->text);
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
/* Ansible templates a bare condition as this template: its errors quote it
 * (made only for an error: most conditions need none). */
static const char *lw_bare_wrapped(Lw *l, const char *cond) {
  return pc_sprintf(l->c, "{%% if %s %%} True {%% else %%} False {%% endif %%}", cond);
}

static IrExpr *lw_bare_new(Lw *l, const FeNode *n) {
  if (n->kind != FE_SCALAR || n->stype != FE_T_STR)
    return lw_node(l, n);
  if (strstr(n->text, "{{") || strstr(n->text, "{%")) {
    IrExpr *t = lw_string(l, n->text, lw_text_loc(n));
    return t->op == IR_SINGLE ? t->kids[0] : t;
  }
  const char *why;
  PcLoc at;
  lw_ast_begin(l);
  JExpr *j = lw_parse_held(l, n->text, lw_text_loc(n), true, &why, &at);
  IrExpr *e;
  if (!j) {
    const char *jwhy; /* Jinja2's words are those of the wrapped template */
    PcLoc jat;
    const char *wrapped = lw_bare_wrapped(l, n->text);
    if (!lw_parse_held(l, wrapped, lw_text_loc(n), false, &jwhy, &jat))
      why = jwhy;
    e = lw_template_error(l, why, why, at, wrapped, n->loc);
  } else {
    const char *fsrc = l->fault_src, *fwhy = l->fault_why;
    PcLoc fat = l->fault_at;
    l->fault_src = n->text;
    l->fault_why = NULL;
    e = lw_jexpr(l, j);
    if (l->fault_why)
      e = lw_template_error(l, l->fault_diag, l->fault_why, l->fault_at, lw_bare_wrapped(l, n->text), n->loc);
    l->fault_src = fsrc;
    l->fault_why = fwhy;
    l->fault_at = fat;
  }
  lw_ast_end(l);
  return e;
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

static bool lw_truthy(const char *s) {
  static const char *const yes[] = {"yes", "true", "on", "1", "y", "t", NULL};
  for (int i = 0; yes[i]; i++)
    if (strcasecmp(s, yes[i]) == 0)
      return true;
  return false;
}

/* Records what a module's arguments use that Ansible has and playc not yet. */
static void lw_unsupported(Lw *l, const char *what, const FeNode *v, PcLoc loc) {
  if (!l->unsup)
    return;
  IrKeyword *k = pc_alloc(l->c, sizeof *k);
  k->name = what;
  k->value = v ? lw_node(l, v) : NULL;
  k->loc = loc;
  pc_vec_push(l->c, l->unsup, k);
}

/* A value known only at run time: a collection, a template, a `!vault` value. */
static bool lw_dynamic(const FeNode *v) {
  return v->kind != FE_SCALAR || v->stype == FE_T_VAULT ||
         (v->stype == FE_T_STR && !v->unsafe && fe_jinja_is_template(v->text));
}

/* Checks a constant value against the parameter's type and choices. */
static void lw_check_param(Lw *l, const ModSchema *m, const ModParam *mp, const FeNode *v) {
  if (lw_dynamic(v))
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
  const char *text = v->stype == FE_T_BOOL ? (v->b ? "True" : "False") : v->text;
  if (mp->unimplemented && lw_in_list(mp->unimplemented, text))
    lw_unsupported(l, pc_sprintf(l->c, "%s=%s", mp->name, text), NULL, v->loc);
  else if (mp->choices && !lw_in_list(mp->choices, text))
    pc_fault_at(l->c, v->loc, "value of %s must be one of: %s, got: %s", mp->name, mp->choices, text);
}

/* ---- embedded controller files ---------------------------------------------- *
 * What a `src` names is read at compile time, within limits that hold
 * whatever it names: at most PC_MAX_EMBED_FILES files and folders and
 * PC_MAX_EMBED_TOTAL bytes in all, folders PC_MAX_EMBED_DEPTH deep, each file
 * read by pc_read_file (a regular file of at most PC_MAX_EMBED_BYTES). A
 * folder's walk uses lstat: a symbolic link is followed only to a regular
 * file inside the folder being copied, never out of it nor to a folder (so
 * no cycle); a folder copied whole keeps such a link as one, its target
 * embedded beside it (copy's local_follow decides at run time). `src: /`
 * stops at the first limit with a located error. */

static int lw_strcmp_p(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Counts one more embedded entry of `size` bytes; false (a located error,
 * once) past the limits. */
static bool lw_embed_budget(Lw *l, const char *path, size_t size, PcLoc loc) {
  if (l->embed_over)
    return false;
  l->embed_files++;
  l->embed_bytes += size;
  if (l->embed_files <= PC_MAX_EMBED_FILES && l->embed_bytes <= PC_MAX_EMBED_TOTAL)
    return true;
  pc_error_at(l->c, loc, "cannot embed '%s': the files a src names are limited to %d files and folders and %zu MiB in all",
              path, PC_MAX_EMBED_FILES, PC_MAX_EMBED_TOTAL >> 20);
  l->embed_over = true;
  return false;
}

/* The sorted names in folder `dir` (not . and ..), or false with a located
 * error when it cannot be read. */
static bool lw_readdir(Lw *l, const char *dir, PcVec *names, bool hidden, PcLoc loc) {
  DIR *d = opendir(dir);
  if (!d) {
    pc_error_at(l->c, loc, "cannot read '%s': %s", dir, strerror(errno));
    l->embed_over = true;
    return false;
  }
  for (struct dirent *e; (e = readdir(d));) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || (!hidden && e->d_name[0] == '.'))
      continue;
    pc_vec_push(l->c, names, pc_strdup(l->c, e->d_name));
    if (names->len > PC_MAX_EMBED_FILES) { /* one folder alone past the limit */
      closedir(d);
      l->embed_files = PC_MAX_EMBED_FILES;
      return lw_embed_budget(l, dir, 0, loc);
    }
  }
  closedir(d);
  pc_vec_sort(names, lw_strcmp_p);
  return true;
}

/* The kind of `path` inside a folder tree rooted at `top` (real path): its
 * lstat, a symlink allowed only when the target is a regular file inside the
 * tree, and then replaced by its target's stat unless `links` (the link
 * itself is embedded). False when it is to be left alone. */
static bool lw_tree_stat(Lw *l, const char *top, const char *path, struct stat *st, bool links, PcLoc loc) {
  if (lstat(path, st) != 0)
    return false;
  if (!S_ISLNK(st->st_mode))
    return true;
  char *real = realpath(path, NULL);
  size_t n = strlen(top);
  bool inside = real && strncmp(real, top, n) == 0 && (real[n] == '/' || (n == 1 && top[0] == '/'));
  struct stat lst = *st;
  bool ok = inside && stat(real, st) == 0 && S_ISREG(st->st_mode);
  if (ok && links)
    *st = lst; /* the caller embeds the link itself (copy's local_follow) */
  free(real);
  if (!ok) {
    pc_error_at(l->c, loc, "cannot embed '%s': a symbolic link out of its folder or to a folder is not supported by playc yet",
                path);
    l->embed_over = true;
  }
  return ok;
}

/* `dir`/`name`, without doubling a '/' (`src: /`). */
static const char *lw_join(Lw *l, const char *dir, const char *name) {
  size_t n = strlen(dir);
  return pc_sprintf(l->c, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* Appends the paths (relative to `dir`, under prefix `rel`) of every file
 * below `dir`, sorted; hidden names only with `hidden` (a glob does not
 * match them). With `sizes`, files count their bytes against the limits
 * too (the check before a folder is read). */
static void lw_walk(Lw *l, const char *top, const char *dir, const char *rel, PcVec *out, int depth, bool hidden,
                    bool sizes, PcLoc loc) {
  PcVec names = {0};
  if (depth > PC_MAX_EMBED_DEPTH) {
    pc_error_at(l->c, loc, "cannot embed '%s': folders nested more than %d deep", dir, PC_MAX_EMBED_DEPTH);
    l->embed_over = true;
    return;
  }
  if (l->embed_over || !lw_readdir(l, dir, &names, hidden, loc))
    return;
  for (int i = 0; i < names.len && !l->embed_over; i++) {
    const char *path = lw_join(l, dir, names.items[i]);
    const char *r = *rel ? lw_join(l, rel, names.items[i]) : names.items[i];
    struct stat st;
    if (!lw_tree_stat(l, top, path, &st, sizes, loc) ||
        !lw_embed_budget(l, path, sizes && S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, loc))
      continue;
    if (S_ISDIR(st.st_mode))
      lw_walk(l, top, path, r, out, depth + 1, hidden, sizes, loc);
    else if (S_ISREG(st.st_mode))
      pc_vec_push(l->c, out, (void *)r);
    else if (sizes && !S_ISLNK(st.st_mode)) { /* a device, socket or fifo inside a folder to copy */
      pc_error_at(l->c, loc, "cannot read '%s': %s", path, pc_read_strerror(l->c, PC_READ_NOT_REGULAR, PC_MAX_EMBED_BYTES));
      l->embed_over = true;
    }
  }
}

/* Embeds the controller file or folder at `path` (a folder: itself, then
 * everything below it, sorted), once, within the limits above. `top` is the
 * real path of the folder being copied (NULL at the top). False when it does
 * not exist. Below a folder a symlink to a regular file inside it is kept
 * as one ("target\0realpath", then what it points to): copy's local_follow
 * decides at run time whether it copies the link or its target, as
 * _walk_dirs does. */
static bool lw_embed_path(Lw *l, const char *path, const char *top, int depth, PcLoc loc) {
  if (pc_map_get(&l->embedded, path, strlen(path)))
    return true;
  struct stat st;
  if (top && !lw_tree_stat(l, top, path, &st, true, loc))
    return true;
  if (!top && stat(path, &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return false;
    pc_error_at(l->c, loc, "cannot read '%s': %s", path, strerror(errno));
    return true;
  }
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
    pc_error_at(l->c, loc, "cannot read '%s': %s", path, pc_read_strerror(l->c, PC_READ_NOT_REGULAR, PC_MAX_EMBED_BYTES));
    l->embed_over = top != NULL; /* inside a folder: stop its walk */
    return true;
  }
  if (depth > PC_MAX_EMBED_DEPTH) {
    pc_error_at(l->c, loc, "cannot embed '%s': folders nested more than %d deep", path, PC_MAX_EMBED_DEPTH);
    l->embed_over = true;
    return true;
  }
  if (!lw_embed_budget(l, path, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, loc))
    return true;
  IrFile *file = pc_alloc(l->c, sizeof *file);
  file->name = file->path = path;
  file->mode = (uint32_t)st.st_mode;
  pc_map_put(l->c, &l->embedded, path, strlen(path), file);
  pc_vec_push(l->c, &l->files, file);
  if (S_ISLNK(st.st_mode)) {
    char target[4096], *real = realpath(path, NULL);
    ssize_t n = readlink(path, target, sizeof target - 1);
    const char *rp = real ? real : "";
    size_t tl = n > 0 ? (size_t)n : 0, rl = strlen(rp);
    uint8_t *data = pc_alloc(l->c, tl + 1 + rl + 1);
    memcpy(data, target, tl);
    data[tl] = 0;
    memcpy(data + tl + 1, rp, rl);
    data[tl + 1 + rl] = 0;
    file->data = data;
    file->size = tl + 1 + rl + 1; /* both NUL-terminated: codegen emits exactly `size` bytes */
    if (real) /* a regular file inside the tree (lw_tree_stat) */
      lw_embed_path(l, pc_strdup(l->c, real), top, depth, loc);
    free(real);
    return true;
  }
  if (S_ISDIR(st.st_mode)) {
    PcVec names = {0};
    char *real = top ? NULL : realpath(path, NULL);
    const char *tree = top ? top : real ? pc_strdup(l->c, real) : path;
    free(real);
    if (!top) { /* the whole folder within the limits before a byte is read */
      int64_t files = l->embed_files;
      size_t bytes = l->embed_bytes;
      PcVec all = {0};
      lw_walk(l, tree, path, "", &all, depth + 1, true, true, loc);
      l->embed_files = files, l->embed_bytes = bytes;
    }
    if (l->embed_over || !lw_readdir(l, path, &names, true, loc))
      return true;
    for (int i = 0; i < names.len && !l->embed_over; i++)
      lw_embed_path(l, lw_join(l, path, names.items[i]), tree, depth + 1, loc);
    return true;
  }
  const char *text = NULL;
  size_t len = 0;
  int err = pc_read_file(l->c, path, PC_MAX_EMBED_BYTES, true, &text, &len);
  if (err) {
    pc_error_at(l->c, loc, "cannot read '%s': %s", path, pc_read_strerror(l->c, err, PC_MAX_EMBED_BYTES));
    l->embed_over = top != NULL;
    return true;
  }
  file->data = (const uint8_t *)text;
  file->size = len;
  return true;
}

/* Embeds what a controller-side `src` (copy, template) can name, looked for
 * as Ansible's actions look for it: SUB/NAME then NAME in each root (the
 * role, then the playbook's folder). A folder is embedded whole ("src:
 * dir/" copies what it holds, "src: dir" the folder itself: the runtime
 * tells them apart). A template is bounded by its constant parts: every
 * file below each root's SUB folder that its glob matches. A file that is
 * not there fails the task when it runs, as in Ansible. */
/* `s` with each `{{ role_path }}` and `{{ playbook_dir }}` replaced by the
 * folder it names, which playc knows (at run time the same folders,
 * absolute: rt_find_file_in compares absolute names so), or NULL when `s`
 * does not start with one of them or holds any other template. */
static const char *lw_known_dirs(Lw *l, const char *s) {
  const char *out = "";
  while (*s) {
    const char *open = strstr(s, "{{");
    if (!open || strstr(s, "{%") || strstr(s, "{#")) {
      if (open || !*out)
        return NULL;
      return pc_sprintf(l->c, "%s%s", out, s);
    }
    if (open != s && !*out)
      return NULL; /* a relative name: looked for in the search folders */
    const char *end = strstr(open + 2, "}}");
    if (!end)
      return NULL;
    const char *b = open + 2, *e = end;
    while (b < e && *b == ' ')
      b++;
    while (e > b && e[-1] == ' ')
      e--;
    const char *dir = NULL;
    if (l->role && (size_t)(e - b) == 9 && strncmp(b, "role_path", 9) == 0)
      dir = l->role->path;
    else if ((size_t)(e - b) == 12 && strncmp(b, "playbook_dir", 12) == 0)
      dir = l->pb->dir;
    if (!dir)
      return NULL;
    out = pc_sprintf(l->c, "%s%.*s%s", out, (int)(open - s), s, dir);
    s = end + 2;
  }
  return out;
}

static void lw_embed_found(Lw *l, const FeNode *v, const char *sub, PcVec *found) {
  if (v->kind != FE_SCALAR || v->stype != FE_T_STR)
    return;
  l->embed_over = false; /* each src stops at its own first error */
  const char *known = fe_jinja_is_template(v->text) ? lw_known_dirs(l, v->text) : NULL;
  if (known) { /* `{{ role_path }}/templates/x.j2`: that one file */
    if (lw_embed_path(l, known, NULL, 0, v->loc)) {
      if (found)
        pc_vec_push(l->c, found, (void *)known);
    } else {
      pc_fault_at(l->c, v->loc, "could not find or access '%s' ('%s')", v->text, known);
    }
    return;
  }
  if (fe_jinja_is_template(v->text)) {
    const char *glob = fe_template_glob(l->c, v->text);
    /* The runtime tries ROOT/SUB/NAME, then ROOT/NAME (rt_find_file_in).
     * The second is walked when the name starts with a constant folder
     * (`templates/server-{{ v }}.j2`): that folder only, never a whole root. */
    const char *slash = strchr(glob, '/');
    const char *lead = slash && slash != glob ? pc_strndup(l->c, glob, (size_t)(slash - glob)) : NULL;
    if (lead && (strpbrk(lead, "*?[") || !strcmp(lead, ".") || !strcmp(lead, "..")))
      lead = NULL; /* `../x{{ v }}` would walk the root's parent */
    for (int i = 0; l->roots && l->roots[i]; i++)
      for (int pass = 0; pass < (lead ? 2 : 1); pass++) {
        const char *dir = pc_sprintf(l->c, "%s/%s", l->roots[i], pass ? lead : sub);
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
          continue;
        char *real = realpath(dir, NULL);
        const char *top = real ? pc_strdup(l->c, real) : dir;
        free(real);
        PcVec all = {0};
        lw_walk(l, top, dir, "", &all, 0, false, false, v->loc);
        for (int k = 0; k < all.len && !l->embed_over; k++) {
          const char *rel = all.items[k];
          if (fnmatch(glob, pass ? pc_sprintf(l->c, "%s/%s", lead, rel) : rel, 0) != 0)
            continue;
          const char *path = pc_sprintf(l->c, "%s/%s", dir, rel);
          lw_embed_path(l, path, NULL, 0, v->loc);
          if (found)
            pc_vec_push(l->c, found, (void *)path);
        }
      }
    return;
  }
  const char *searched = "";
  char *name = pc_strdup(l->c, v->text);
  size_t n = strlen(name);
  while (n > 1 && name[n - 1] == '/') /* the trailing slash is the runtime's business */
    name[--n] = 0;
  for (int i = 0; l->roots && l->roots[i]; i++) {
    const char *tries[2] = {pc_sprintf(l->c, "%s/%s/%s", l->roots[i], sub, name),
                            pc_sprintf(l->c, "%s/%s", l->roots[i], name)};
    if (name[0] == '/')
      tries[0] = tries[1] = name;
    for (int k = 0; k < 2; k++)
      if (lw_embed_path(l, tries[k], NULL, 0, v->loc)) {
        if (found)
          pc_vec_push(l->c, found, (void *)tries[k]);
        return;
      }
    if (name[0] == '/') {
      searched = name;
      break;
    }
    searched = pc_sprintf(l->c, "%s%s%s/%s/, %s/", searched, i ? ", " : "", l->roots[i], sub, l->roots[i]);
  }
  pc_fault_at(l->c, v->loc, "could not find or access '%s' (searched %s)", v->text, searched);
}

static void lw_embed(Lw *l, const FeNode *v, const char *sub) { lw_embed_found(l, v, sub, NULL); }

/* Embeds the local script a constant `script` command line names: its
 * first word as Python's shlex.split reads it (the script action's
 * parts[0]), searched for as lw_embed searches. */
static void lw_embed_script(Lw *l, const FeNode *v) {
  if (v->kind != FE_SCALAR || v->stype != FE_T_STR || fe_jinja_is_template(v->text))
    return;
  const char *p = v->text;
  while (*p && isspace((unsigned char)*p))
    p++;
  char *w = pc_alloc(l->c, strlen(p) + 1), *o = w;
  while (*p && !isspace((unsigned char)*p)) {
    if (*p == '\'' || *p == '"') {
      char q = *p++;
      while (*p && *p != q) {
        if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
          p++;
        *o++ = *p++;
      }
      if (*p)
        p++;
    } else if (*p == '\\' && p[1]) {
      *o++ = p[1];
      p += 2;
    } else {
      *o++ = *p++;
    }
  }
  *o = 0;
  if (!*w)
    return;
  FeNode name = *v;
  name.text = w;
  name.len = strlen(w);
  lw_embed(l, &name, "files");
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

/* The arguments as mod_check_constraints sees them at compile time: given
 * by name or alias; a value only when it is a constant scalar. */
typedef struct LwArgs {
  const FeNode *args;
  const ModSchema *m;
} LwArgs;

static const FeNode *lw_arg(const LwArgs *a, const char *name) {
  for (int i = 0; a->args && i < a->args->n; i++) {
    int32_t pi = mod_param_find(a->m, a->args->keys[i]->text);
    if (pi >= 0 && strcmp(a->m->params[pi].name, name) == 0)
      return a->args->vals[i];
  }
  return NULL;
}

static bool lw_arg_has(void *ctx, const char *name) { return lw_arg(ctx, name) != NULL; }

static const char *lw_arg_text(void *ctx, const char *name) {
  const FeNode *v = lw_arg(ctx, name);
  if (!v || lw_dynamic(v))
    return NULL;
  return v->stype == FE_T_BOOL ? (v->b ? "True" : "False") : v->text;
}

/* copy's (and unarchive's) remote_src: true when it is a constant true, or
 * unarchive's deprecated `copy` a constant false (src is then on the
 * target); a template may be either, so src is embedded when it exists. */
static bool lw_remote_src(const FeNode *args, bool unarchive) {
  for (int i = 0; args && i < args->n; i++) {
    bool inverse = unarchive && strcmp(args->keys[i]->text, "copy") == 0;
    if (strcmp(args->keys[i]->text, "remote_src") == 0 || inverse) {
      const FeNode *v = args->vals[i];
      bool known = v->kind == FE_SCALAR && (v->stype == FE_T_BOOL || lw_boolish(v->text));
      bool t = known && (v->stype == FE_T_BOOL ? v->b : lw_truthy(v->text));
      return known && t != inverse;
    }
  }
  return false;
}

/* assemble's remote_src is a constant false: its src folder is on the
 * controller (the default, and a template, keep it on the target). */
static bool lw_local_src(const FeNode *args) {
  for (int i = 0; args && i < args->n; i++)
    if (strcmp(args->keys[i]->text, "remote_src") == 0) {
      const FeNode *v = args->vals[i];
      bool known = v->kind == FE_SCALAR && (v->stype == FE_T_BOOL || lw_boolish(v->text));
      return known && !(v->stype == FE_T_BOOL ? v->b : lw_truthy(v->text));
    }
  return false;
}

/* Checks one-of / exclusive / required, then lowers the args map. */
static IrExpr *lw_args(Lw *l, const ModSchema *m, const FeNode *args, PcLoc loc) {
  IrExpr *d = ir_expr_new(l->c, IR_DICT, TY_DICT, args ? args->loc : loc);
  for (int i = 0; args && i < args->n; i++) {
    const char *k = args->keys[i]->text;
    int32_t pi = mod_param_find(m, k);
    if (pi < 0 && !m->any_params) {
      const char *canon = NULL;
      if (fe_ansible_option(m->name, k, &canon, NULL))
        lw_unsupported(l, pc_sprintf(l->c, "parameter '%s'", canon), args->vals[i], args->keys[i]->loc);
      else { /* AnsibleModule refuses it when the task runs; so does the compiled task */
        pc_fault_at(l->c, args->keys[i]->loc, "unsupported parameter for module %s: %s", m->name, k);
        pc_vec_push(l->c, &l->unknown, (void *)k);
        ir_expr_add_kid(l->c, d, lw_const_str(l, k, strlen(k), args->keys[i]->loc));
        ir_expr_add_kid(l->c, d, lw_node(l, args->vals[i]));
      }
      continue;
    }
    const ModParam *mp = pi >= 0 ? &m->params[pi] : NULL;
    const FeNode *v = args->vals[i];
    if (mp && (mp->type == MP_EXPR || mp->type == MP_EXPR_LIST)) {
      lw_expr_param(l, d, mp->name, v, mp->type == MP_EXPR_LIST);
      continue;
    }
    if (mp)
      lw_check_param(l, m, mp, v);
    if (mp && strcmp(m->name, "copy") == 0 && strcmp(mp->name, "src") == 0 && !lw_remote_src(args, false))
      lw_embed(l, v, "files");
    if (mp && strcmp(m->name, "script") == 0 && (strcmp(mp->name, "_raw_params") == 0 || strcmp(mp->name, "cmd") == 0))
      lw_embed_script(l, v);
    /* ansible.posix.patch's src comes from the controller unless remote_src */
    if (mp && strcmp(m->name, "patch") == 0 && strcmp(mp->name, "src") == 0 && !lw_remote_src(args, false))
      lw_embed(l, v, "files");
    /* assemble's src is on the target unless remote_src is a constant false */
    if (mp && strcmp(m->name, "assemble") == 0 && strcmp(mp->name, "src") == 0 && lw_local_src(args))
      lw_embed(l, v, "files");
    /* manala.roles.files_attributes copies its `copy` from the controller */
    if (mp && strcmp(m->name, "files_attributes") == 0 && strcmp(mp->name, "copy") == 0)
      lw_embed(l, v, "files");
    /* (system family) unarchive's src comes from the controller unless remote_src */
    if (mp && strcmp(m->name, "unarchive") == 0 && strcmp(mp->name, "src") == 0 && !lw_remote_src(args, true))
      lw_embed(l, v, "files");
    ir_expr_add_kid(l->c, d, lw_const_str(l, mp ? mp->name : k, strlen(mp ? mp->name : k), args->keys[i]->loc));
    ir_expr_add_kid(l->c, d, lw_node(l, v));
  }
  LwArgs la = {args, m};
  char *msg = mod_check_constraints(m, lw_arg_has, lw_arg_text, &la, false); /* choices: lw_check_param */
  if (msg) {
    pc_fault_at(l->c, loc, "%s (module %s)", msg, m->name);
    free(msg);
  }
  return d;
}

/* ---- module tasks ------------------------------------------------------------ */

/* "Unsupported parameters for (ansible.legacy.M) module: a, b. Supported
 * parameters include: ...", as AnsibleModule words it. */
static const char *lw_unknown_params(Lw *l, const char *action, const ModSchema *m) {
  pc_vec_sort(&l->unknown, lw_strcmp_p);
  const char *names = "";
  for (int i = 0; i < l->unknown.len; i++)
    if (i == 0 || strcmp(l->unknown.items[i], l->unknown.items[i - 1]) != 0)
      names = pc_sprintf(l->c, "%s%s%s", names, *names ? ", " : "", (const char *)l->unknown.items[i]);
  const char *supported = fe_ansible_argspec(m->name);
  if (!supported) { /* an action without a module spec: playc's own names */
    const char **keys = pc_alloc(l->c, sizeof(char *));
    keys[0] = "\x01";
    char *msg = mod_check_unsupported(m, keys, 1);
    static const char lead[] = ". Supported parameters include: ";
    const char *tail = msg ? strstr(msg, lead) : NULL;
    supported = tail ? pc_strndup(l->c, tail + sizeof lead - 1, strlen(tail + sizeof lead - 1) - 1) : "";
    free(msg);
  }
  const char *fq = strchr(action, '.') ? action : pc_sprintf(l->c, "ansible.legacy.%s", m->name);
  return pc_sprintf(l->c, "Unsupported parameters for (%s) module: %s. Supported parameters include: %s.", fq, names,
                    supported);
}

/* Text built in a malloc'ed buffer (the args text of every task): cheaper
 * than a memory stream, which clears a buffer of its own at each opening. */
typedef struct LwOut {
  char *s;
  size_t len, cap;
} LwOut;

static void lo_add(LwOut *o, const char *s, size_t n) {
  if (o->len + n + 1 > o->cap) {
    size_t cap = o->cap ? o->cap : 128;
    while (cap < o->len + n + 1)
      cap *= 2;
    char *p = realloc(o->s, cap);
    if (!p)
      pc_panic(__FILE__, __LINE__, "out of memory");
    o->s = p, o->cap = cap;
  }
  memcpy(o->s + o->len, s, n);
  o->len += n;
  o->s[o->len] = 0;
}

static void lo_puts(LwOut *o, const char *s) { lo_add(o, s, strlen(s)); }
static void lo_putc(LwOut *o, char c) { lo_add(o, &c, 1); }

static void lo_printf(LwOut *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lo_printf(LwOut *o, const char *fmt, ...) {
  char tmp[64];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof tmp) {
    lo_add(o, tmp, (size_t)n);
    return;
  }
  char *big = NULL;
  va_start(ap, fmt);
  n = vasprintf(&big, fmt, ap);
  va_end(ap);
  if (n < 0)
    pc_panic(__FILE__, __LINE__, "out of memory");
  lo_add(o, big, (size_t)n);
  free(big);
}

/* Python's repr of a string: single quotes unless it holds one and no double. */
static void lw_py_repr_str(LwOut *b, const char *s) {
  char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
  lo_putc(b, q);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '\\' || *p == (unsigned char)q)
      lo_printf(b, "\\%c", *p);
    else if (*p == '\n')
      lo_puts(b, "\\n");
    else if (*p == '\r')
      lo_puts(b, "\\r");
    else if (*p == '\t')
      lo_puts(b, "\\t");
    else if (*p < 0x20 || *p == 0x7f)
      lo_printf(b, "\\x%02x", *p);
    else
      lo_putc(b, (char)*p);
  }
  lo_putc(b, q);
}

/* Python's str (top) or repr (inside a container) of a YAML value. Every
 * node writes a byte at least and none is visited once the text is past
 * PC_MAX_ARGS_TEXT, so an alias bomb costs that much, not its expansion. */
static void lw_py_str(LwOut *b, const FeNode *n, bool top) {
  if (b->len > PC_MAX_ARGS_TEXT)
    return;
  if (!n) {
    lo_puts(b, "None");
    return;
  }
  if (n->kind == FE_SCALAR && n->stype == FE_T_VAULT) { /* Ansible shows the plaintext: never compiled in */
    lo_printf(b, "vault(%zu bytes)", (size_t)n->len);
    return;
  }
  switch (n->kind) {
  case FE_SEQ:
    lo_putc(b, '[');
    for (int i = 0; i < n->n; i++) {
      if (i)
        lo_puts(b, ", ");
      lw_py_str(b, n->items[i], false);
    }
    lo_putc(b, ']');
    return;
  case FE_MAP:
    lo_putc(b, '{');
    for (int i = 0; i < n->n; i++) {
      if (i)
        lo_puts(b, ", ");
      lw_py_str(b, n->keys[i], false);
      lo_puts(b, ": ");
      lw_py_str(b, n->vals[i], false);
    }
    lo_putc(b, '}');
    return;
  default: break;
  }
  switch (n->stype) {
  case FE_T_NULL: lo_puts(b, "None"); break;
  case FE_T_BOOL: lo_puts(b, n->b ? "True" : "False"); break;
  case FE_T_INT:
    if (n->digits)
      lo_puts(b, n->digits);
    else
      lo_printf(b, "%lld", (long long)n->i);
    break;
  case FE_T_FLOAT: {
    char s[64];
    for (int p = 1; p <= 17; p++) { /* the shortest text that reads back */
      snprintf(s, sizeof s, "%.*g", p, n->f);
      if (strtod(s, NULL) == n->f)
        break;
    }
    lo_puts(b, s);
    if (!strpbrk(s, ".einn"))
      lo_puts(b, ".0");
    break;
  }
  default:
    if (top)
      lo_puts(b, n->text);
    else
      lw_py_repr_str(b, n->text);
  }
}

/* The junit callback's "k=v, ..." of task.args as parsed (before templating). */
static const char *lw_args_text(Lw *l, const FeNode *args, const char *raw_key) {
  if (l->c->plan_only || !args || (args->kind != FE_MAP && !raw_key) || (args->kind == FE_MAP && !args->n))
    return NULL;
  LwOut out = {0}, *b = &out;
  const FeNode *raw = args->kind == FE_SCALAR ? args : NULL;
  int n = 0;
  for (int i = 0; args->kind == FE_MAP && i < args->n; i++) {
    if (raw_key && !strcmp(args->keys[i]->text, raw_key)) {
      raw = args->vals[i];
      continue;
    }
    lo_puts(b, n++ ? ", " : "");
    lo_puts(b, args->keys[i]->text);
    lo_putc(b, '=');
    lw_py_str(b, args->vals[i], true);
  }
  if (raw) { /* an include's file, renamed and moved last as TaskInclude does */
    lo_puts(b, n++ ? ", _raw_params=" : "_raw_params=");
    lw_py_str(b, raw, true);
  }
  const char *s = out.len > PC_MAX_ARGS_TEXT ? pc_sprintf(l->c, "%.*s...", (int)PC_MAX_ARGS_TEXT, out.s)
                                             : pc_strdup(l->c, out.s ? out.s : "");
  free(out.s);
  return s;
}

/* ---- template files ----------------------------------------------------------- *
 * The template module's `src` names files read and compiled here: every file
 * it can name (lw_embed_found's search, with templates/), each parsed with
 * its task's options and lowered to an IR_RENDER root (text parts and
 * values, rendered as text). The runtime picks the one the rendered src
 * names and calls it with the template vars set; the binary never parses
 * template text. A file is compiled once per set of options. */

/* The options of Ansible's template action that change how a file is parsed,
 * all in one place: the Jinja environment it builds (trim_blocks on,
 * lstrip_blocks off, "\n" unless newline_sequence says otherwise). */
typedef struct LwTplOpts {
  bool trim_blocks, lstrip_blocks, keep_trailing_newline;
  const char *newline; /* newline_sequence: "\n", "\r" or "\r\n" */
} LwTplOpts;

/* Parses a template file's text with `o`'s trim_blocks and lstrip_blocks. */
static JTemplate *lw_parse_template(Lw *l, const char *text, PcLoc loc, const LwTplOpts *o) {
  JOpts jo = {o->trim_blocks, o->lstrip_blocks, false}; /* a file: no _escape_backslashes */
  return fe_jinja_parse_template_opts(l->c, text, loc, &jo);
}

/* Jinja's lexer reads a template's newlines as "\n", then writes each
 * newline of its text (and of its string literals) as the environment's
 * newline_sequence: the text parts of `e`'s bodies, at any depth. "\n" not
 * already preceded by "\r" is replaced, so a part reached twice (a shared
 * node) is converted once. */
static void lw_tpl_newlines(Lw *l, IrExpr *e, const char *nl) {
  bool body = e->op == IR_RENDER || e->op == IR_SEQ;
  for (int32_t k = 0; k < e->nkids; k++) {
    IrExpr *x = e->kids[k];
    if (body && x->op == IR_CONST && x->type == TY_STR && memchr(x->s, '\n', x->slen)) {
      PcBuf b = {0};
      pc_buf_add(l->c, &b, "", 0);
      for (size_t i = 0; i < x->slen; i++) {
        if (x->s[i] == '\n' && !(i > 0 && x->s[i - 1] == '\r'))
          pc_buf_adds(l->c, &b, nl);
        else
          pc_buf_add(l->c, &b, x->s + i, 1);
      }
      x->s = b.s;
      x->slen = b.len;
    } else if (x->op != IR_CONST) {
      lw_tpl_newlines(l, x, nl);
    }
  }
}

/* A Python string literal of one of the newline sequences ('\\n' ...), or NULL. */
static const char *lw_tpl_newline(const char *lit) {
  static const char *const py[] = {"'\\n'", "'\\r'", "'\\r\\n'", "\"\\n\"", "\"\\r\"", "\"\\r\\n\""};
  static const char *const seq[] = {"\n", "\r", "\r\n"};
  for (int i = 0; i < 6; i++)
    if (strcmp(lit, py[i]) == 0)
      return seq[i % 3];
  return NULL;
}

/* `s` without its leading and trailing whitespace (in place). */
static char *lw_strip(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = 0;
  return s;
}

/* The truth of a simple Python literal (ast.literal_eval): True, False,
 * None, a decimal integer, a quoted string without escapes. Jinja reads
 * its whitespace options by truth, so `lstrip_blocks: "true"` is on (and
 * so would be "false"). Returns false for anything else. */
static bool lw_py_truth(const char *v, bool *b) {
  size_t n = strlen(v);
  if (strcmp(v, "True") == 0 || strcmp(v, "False") == 0 || strcmp(v, "None") == 0) {
    *b = v[0] == 'T';
    return true;
  }
  if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0] && !memchr(v + 1, v[0], n - 2) &&
      !memchr(v + 1, '\\', n - 2)) {
    *b = n > 2;
    return true;
  }
  size_t i = v[0] == '-' || v[0] == '+';
  if (i == n)
    return false;
  bool nonzero = false;
  for (size_t j = i; j < n; j++) {
    if (!isdigit((unsigned char)v[j]))
      return false;
    nonzero |= v[j] != '0';
  }
  if (n - i > 1 && v[i] == '0' && nonzero) /* 017: a SyntaxError in Python 3 */
    return false;
  *b = nonzero;
  return true;
}

/* Ansible's "#jinja2:" first line (Templar.do_template): comma-separated
 * `key: value` pairs (Python literals) over the environment's options, the
 * line itself dropped. Returns the text after it; an option playc cannot
 * honour yet is left in *unsup. */
static const char *lw_tpl_header(Lw *l, const char *text, LwTplOpts *o, const char **unsup, PcLoc *loc) {
  static const char head[] = "#jinja2:";
  const char *eol = strchr(text, '\n');
  if (strncmp(text, head, sizeof head - 1) != 0 || !eol)
    return text;
  char *line = pc_strndup(l->c, text + sizeof head - 1, (size_t)(eol - text) - (sizeof head - 1));
  for (char *pair = line, *next; pair; pair = next) {
    next = strchr(pair, ',');
    if (next)
      *next++ = 0;
    char *colon = strchr(pair, ':'), *key = pair, *val = colon ? colon + 1 : NULL;
    if (!colon) {
      pc_error_at(l->c, *loc, "failed to parse jinja2 override '%s'. Did you use something different from colon as "
                              "key-value separator?", lw_strip(pair));
      continue;
    }
    *colon = 0;
    key = lw_strip(key);
    val = lw_strip(val);
    bool b, is_bool = lw_py_truth(val, &b);
    if (is_bool && strcmp(key, "trim_blocks") == 0)
      o->trim_blocks = b;
    else if (is_bool && strcmp(key, "lstrip_blocks") == 0)
      o->lstrip_blocks = b;
    else if (is_bool && strcmp(key, "keep_trailing_newline") == 0)
      o->keep_trailing_newline = b;
    else if (strcmp(key, "newline_sequence") == 0 && lw_tpl_newline(val))
      o->newline = lw_tpl_newline(val);
    else
      *unsup = pc_sprintf(l->c, "the #jinja2: override '%s: %s'", key, val);
  }
  loc->line = 2;
  return eol + 1;
}

/* Template file `f` compiled with `o`: an IR_RENDER root. Jinja drops one
 * trailing newline of the source (keep_trailing_newline off); the render
 * adds back what Ansible's preserve_trailing_newlines adds (i: the source's
 * trailing newlines, s: the newline sequence). */
static IrExpr *lw_template_file_in(Lw *l, const IrFile *f, const LwTplOpts *o);

/* Compiled once for every task that renders it: outlives the task being
 * lowered (ir/stream.c). */
static IrExpr *lw_template_file(Lw *l, const IrFile *f, const LwTplOpts *o) {
  bool on = l->c->task_on;
  l->c->task_on = false;
  IrExpr *e = lw_template_file_in(l, f, o);
  l->c->task_on = on;
  return e;
}

static IrExpr *lw_template_file_in(Lw *l, const IrFile *f, const LwTplOpts *o) {
  const char *key = pc_sprintf(l->c, "%d%d%s:%s", o->trim_blocks, o->lstrip_blocks, o->newline, f->path);
  IrExpr *e = pc_map_get(&l->templates, key, strlen(key));
  if (e)
    return e;
  const char *unsup = NULL;
  LwTplOpts opts = *o;
  PcLoc loc = {f->path, 1, 1};
  if (rt_vault_is_encrypted((const char *)f->data, f->size)) { /* its plaintext would be compiled in */
    pc_error_at(l->c, loc, "the template '%s' is vault-encrypted: an encrypted template cannot be compiled (its "
                           "plaintext would be in the program); keep the secrets in vault values instead", f->name);
    IrFile *empty = pc_alloc(l->c, sizeof *empty);
    *empty = *f;
    empty->data = (const uint8_t *)"";
    empty->size = 0;
    f = empty;
  }
  pc_add_source(l->c, f->path, (const char *)f->data, f->size);
  const char *text = lw_tpl_header(l, (const char *)f->data, &opts, &unsup, &loc);
  size_t n = strlen(text); /* Jinja's text ends at a NUL as playc's parser does */
  if (!opts.keep_trailing_newline && n && text[n - 1] == '\n')
    n -= n > 1 && text[n - 2] == '\r' ? 2 : 1;
  else if (!opts.keep_trailing_newline && n && text[n - 1] == '\r')
    n--;
  JTemplate *t = lw_parse_template(l, lw_newlines(l, pc_strndup(l->c, text, n)), loc, &opts);
  e = ir_expr_new(l->c, IR_RENDER, TY_STR, loc);
  IR_X_SET(l->c, e, unsupported, unsup);
  while ((size_t)e->i < f->size && f->data[f->size - 1 - (size_t)e->i] == '\n') /* _count_newlines_from_end */
    e->i++;
  e->s = opts.newline;
  e->slen = strlen(opts.newline);
  if (t) {
    const char *dir = l->tpl_dir;
    bool trim = l->tpl_trim, lstrip = l->tpl_lstrip, keep = l->tpl_keep_nl;
    l->tpl_dir = fe_dirname(l->c, f->path);
    l->tpl_trim = opts.trim_blocks;
    l->tpl_lstrip = opts.lstrip_blocks;
    l->tpl_keep_nl = opts.keep_trailing_newline;
    lw_frame_parts(l, e, t, loc);
    l->tpl_dir = dir;
    l->tpl_trim = trim;
    l->tpl_lstrip = lstrip;
    l->tpl_keep_nl = keep;
    if (strcmp(opts.newline, "\n") != 0)
      lw_tpl_newlines(l, e, opts.newline);
  }
  lw_root(l, e, NULL);
  pc_map_put(l->c, &l->templates, key, strlen(key), e);
  return e;
}

/* A file name computed by `j` as a template string whose constant parts
 * are its string literals (`'os/' ~ family ~ '.j2'` reads as
 * "os/{{ _ }}.j2"), which the include and src bounding rules apply to. */
static const char *lw_name_pattern(Lw *l, const JExpr *j) {
  if (j->kind == J_STR)
    return j->s;
  bool concat = j->kind == J_CONCAT || (j->kind == J_BINOP && (j->op == JB_ADD || j->op == JB_CONCAT));
  if (!concat)
    return "{{ _ }}";
  const char *out = "";
  for (int i = 0; i < j->nkids; i++)
    out = pc_sprintf(l->c, "%s%s", out, lw_name_pattern(l, j->kids[i]));
  return out;
}

/* lookup('template', NAME...): every file each constant NAME can name
 * (searched as the template module searches, a templated one bounded by
 * its constant parts) compiled with the lookup's options, which are the
 * template module's defaults, into the file's `render` (RtFileDef.render);
 * at run time the lookup finds the file by the rendered name and calls it
 * (runtime/lookups.c lk_template). What playc cannot bound, and options
 * other than wantlist/errors, are planned and refused by -o. */
static void lw_lookup_template_files(Lw *l, const JExpr *j, IrExpr *e) {
  int npos = j->nkids - 1 - j->nkw;
  for (int k = 0; k < j->nkw; k++)
    if (strcmp(j->kwnames[k], "wantlist") != 0 && strcmp(j->kwnames[k], "errors") != 0) {
      IR_X_SET(l->c, e, unsupported, pc_sprintf(l->c, "the template lookup's option '%s'", j->kwnames[k]));
      return;
    }
  /* the template files are lowered on their own, outside the string being lowered */
  const char *fsrc = l->fault_src, *fwhy = l->fault_why, *bname = l->block_name;
  bool no_ctx = l->no_ctx;
  int32_t depth = l->macro_depth, blevel = l->block_level;
  IrExpr *fbody = l->filter_body;
  l->fault_src = l->fault_why = NULL;
  l->no_ctx = false;
  l->macro_depth = 0;
  l->filter_body = NULL;
  l->block_name = NULL;
  l->block_level = 0;
  for (int i = 2; i <= npos && !ir_xr(e)->unsupported; i++) {
    FeNode n = {0};
    n.kind = FE_SCALAR;
    n.stype = FE_T_STR;
    n.text = lw_name_pattern(l, j->kids[i]);
    n.len = strlen(n.text);
    n.loc = j->kids[i]->loc;
    PcVec found = {0};
    lw_embed_found(l, &n, "templates", &found);
    if (fe_jinja_is_template(n.text) && !found.len)
      IR_X_SET(l->c, e, unsupported, pc_sprintf(l->c, "a template lookup of files playc cannot bound ('%s')", n.text));
    for (int k = 0; k < found.len; k++) {
      IrFile *f = pc_map_get(&l->embedded, found.items[k], strlen(found.items[k]));
      if (f && S_ISREG(f->mode) && f->data && !f->render)
        f->render = lw_template_file(l, f, &(LwTplOpts){true, false, false, "\n"});
    }
  }
  l->fault_src = fsrc;
  l->fault_why = fwhy;
  l->no_ctx = no_ctx;
  l->macro_depth = depth;
  l->filter_body = fbody;
  l->block_name = bname;
  l->block_level = blevel;
}

/* A constant option of the template task: its node, or NULL when absent;
 * a templated one is planned and refused by -o (it changes how the file
 * is compiled). */
static const FeNode *lw_tpl_opt(Lw *l, const FeNode *args, const char *name) {
  for (int i = 0; args && i < args->n; i++)
    if (strcmp(args->keys[i]->text, name) == 0) {
      const FeNode *v = args->vals[i];
      if (lw_dynamic(v)) {
        lw_unsupported(l, pc_sprintf(l->c, "a templated %s", name), v, v->loc);
        return NULL;
      }
      return v;
    }
  return NULL;
}

static bool lw_tpl_bool(Lw *l, const FeNode *args, const char *name, bool def) {
  const FeNode *v = lw_tpl_opt(l, args, name);
  if (!v || v->stype == FE_T_NULL)
    return def;
  return v->stype == FE_T_BOOL ? v->b : lw_boolish(v->text) ? lw_truthy(v->text) : def;
}

/* The template task: its options, then every file src can name, compiled. */
static void lw_template_task(Lw *l, IrTask *t, const FeNode *args, const char *src_key) {
  static const char *const later[] = {"variable_start_string", "variable_end_string", "block_start_string",
                                      "block_end_string",      "comment_start_string", "comment_end_string", NULL};
  LwTplOpts o = {lw_tpl_bool(l, args, "trim_blocks", true), lw_tpl_bool(l, args, "lstrip_blocks", false), false, "\n"};
  for (int i = 0; later[i]; i++) {
    const FeNode *v = lw_tpl_opt(l, args, later[i]);
    if (v && v->stype != FE_T_NULL)
      lw_unsupported(l, pc_sprintf(l->c, "parameter '%s'", later[i]), v, v->loc);
  }
  const FeNode *enc = lw_tpl_opt(l, args, "output_encoding");
  if (enc && enc->stype == FE_T_STR && *enc->text && strcasecmp(enc->text, "utf-8") != 0 &&
      strcasecmp(enc->text, "utf8") != 0)
    lw_unsupported(l, pc_sprintf(l->c, "output_encoding=%s", enc->text), NULL, enc->loc);
  const FeNode *nl = lw_tpl_opt(l, args, "newline_sequence");
  if (nl && nl->stype == FE_T_STR) {
    static const char *const seq[] = {"\n", "\r", "\r\n", "\\n", "\\r", "\\r\\n"};
    for (int i = 0; i < 6; i++)
      if (strcmp(nl->text, seq[i]) == 0)
        o.newline = seq[i % 3];
    /* anything else: the action fails the task ("newline_sequence needs to be one of") */
  }
  const FeNode *src = lw_arg(&(LwArgs){args, mod_schemas[t->module]}, src_key);
  if (!src || src->kind != FE_SCALAR || src->stype != FE_T_STR)
    return;
  PcVec found = {0};
  lw_embed_found(l, src, "templates", &found);
  /* A templated src that matches no file (a user's own template named by a
   * var that defaults to none, the task guarded by `when`) compiles with no
   * file: the task fails if it runs with a src, with Ansible's message. */
  if (fe_jinja_is_template(src->text) && !found.len)
    pc_warn_at(l->c, src->loc,
               "no file under the templates/ folders matches the %s '%s' (its constant parts): "
               "the task fails if it runs%s",
               strcmp(src_key, "src") ? "files_attributes template" : "template src", src->text,
               strcmp(src_key, "src") ? " with one" : "");
  PcVec names = {0}, fns = {0};
  for (int i = 0; i < found.len; i++) {
    const char *path = found.items[i];
    const IrFile *f = pc_map_get(&l->embedded, path, strlen(path));
    bool seen = false; /* two roots may be one folder */
    for (int k = 0; k < names.len && !seen; k++)
      seen = f && names.items[k] == f->name;
    if (seen || !f || !S_ISREG(f->mode) || !f->data)
      continue;
    pc_vec_push(l->c, &names, (void *)f->name);
    pc_vec_push(l->c, &fns, lw_template_file(l, f, &o));
  }
  pc_vec_push(l->c, &names, NULL);
  t->tpl_names = (const char **)names.items;
  t->tpl_render = (IrExpr **)fns.items;
}

/* Free-form arguments, parsed into a map: while a task is lowered a task at
 * a time, the map, its texts and the parse's vectors go to the task arena
 * (only that task's IR reads them), not to the arena where 100,000 tasks'
 * would stay. */
static FeNode *lw_free_form(Lw *l, const FeNode *n, bool raw) {
  pc_task_arena_enter(l->c);
  FeNode *m = fe_free_form(l->c, n, raw);
  pc_task_arena_leave(l->c);
  return m;
}

void ir_lower_module(IrLower *l, IrTask *t, const FeTask *ft, const FeNode *extra_args) {
  l->role = t->role;
  int32_t mi = mod_schema_lookup(ft->action);
  if (mi < 0) { /* a module playc lacks: planned, refused by -o */
    t->module = -1;
    t->unsupported = ft->local_module ? pc_sprintf(l->c, "a local module: %s", ft->local_module)
                                      : fe_ansible_module(ft->action);
    t->action = ft->action;
    const FeNode *args = ft->args;
    if (args && args->kind == FE_SCALAR)
      args = lw_free_form(l, args, false);
    t->args = lw_root(l, args && args->kind == FE_MAP ? lw_node(l, args) : ir_expr_new(l->c, IR_DICT, TY_DICT, ft->loc),
                      NULL);
    return;
  }
  const ModSchema *m = mod_schemas[mi];
  t->module = mi;
  t->action = m->name;
  const FeNode *args = ft->args;
  const char *src = NULL;
  if (args && args->kind == FE_SCALAR) {
    src = args->text;
    bool raw = strcmp(m->name, "command") == 0 || strcmp(m->name, "shell") == 0 ||
               strcmp(m->name, "raw") == 0 || strcmp(m->name, "script") == 0; /* Ansible's FREEFORM_ACTIONS */
    args = lw_free_form(l, args, raw);
  } else if (args && args->kind != FE_MAP) {
    pc_error_at(l->c, args->loc, "the arguments of module %s must be a mapping or a string", m->name);
    args = NULL;
  }
  t->args_text = lw_args_text(l, args, NULL);
  if (extra_args) /* task `args:` and module_defaults: inline arguments win */
    args = ir_merge_args(l, extra_args, args);
  PcVec unsup = {0};
  l->unsup = &unsup;
  l->unknown = (PcVec){0};
  t->args = lw_root(l, lw_args(l, m, args, ft->action_loc), src);
  if (strcmp(m->name, "template") == 0)
    lw_template_task(l, t, args, "src");
  else if (strcmp(m->name, "files_attributes") == 0) /* its `template` runs the template action */
    lw_template_task(l, t, args, "template");
  l->unsup = NULL;
  if (l->unknown.len) /* AnsibleModule's message, with its own list of names */
    t->fault = lw_unknown_params(l, ft->action, m);
  t->unsup = (IrKeyword **)unsup.items;
  t->nunsup = unsup.len;
}

IrExpr *ir_lower_value(IrLower *l, const FeNode *n) { return lw_node(l, n); }
IrExpr *ir_lower_cond(IrLower *l, const FeNode *n) { return lw_cond(l, n); }
IrExpr *ir_lower_bare(IrLower *l, const FeNode *n) { return lw_bare(l, n); }
const char *ir_lower_src(IrLower *l, const FeNode *n) { return lw_src(l, n); }
IrExpr *ir_lower_root(IrLower *l, IrExpr *e, const char *src) { return lw_root(l, e, src); }
bool ir_has_template(IrLower *l, const FeNode *n) { return lw_has_template(l, n); }
const char *ir_args_text(IrLower *l, const FeNode *args, const char *raw_key) {
  return lw_args_text(l, args, raw_key);
}
const char *ir_py_repr(IrLower *l, const FeNode *n) {
  LwOut out = {0};
  lw_py_str(&out, n, false);
  const char *s = pc_strdup(l->c, out.s ? out.s : "");
  free(out.s);
  return s;
}
