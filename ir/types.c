/*
 * types.c — bottom-up static type inference over every root. Constants have
 * their own type; operators give what Jinja's Python semantics give for known
 * operand types (int op int → int, / → float, comparisons → bool, ~ → str);
 * filters give the result type from filters.def; variables and attribute
 * lookups are TY_ANY (known only at run time). SINGLE follows Ansible's
 * non-native result conversion: scalars become str, containers stay.
 */
#include "ir.h"

#include <string.h>

typedef struct TyFilter {
  const char *name;
  IrType type;
} TyFilter;

static const TyFilter ty_filters[] = {
#define PLAYC_FILTER(n, fn, t, req, sig, fl) {n, TY_##t},
#include "../runtime/filters.def"
    {NULL, TY_ANY}};

static IrType ty_filter(const char *name) {
  for (const TyFilter *f = ty_filters; f->name; f++)
    if (strcmp(f->name, name) == 0)
      return f->type;
  return TY_ANY;
}

typedef struct TyMethod {
  IrType recv;
  const char *name;
  IrType type;
} TyMethod;

static const TyMethod ty_methods[] = {
#define PLAYC_METHOD(recv, n, fn, t, req, sig, fl) {TY_##recv, n, TY_##t},
#include "../runtime/methods.def"
    {TY_ANY, NULL, TY_ANY}};

static const char *const ty_jinja_names[] = {
    [TY_NONE] = "NoneType", [TY_BOOL] = "bool", [TY_INT] = "int", [TY_FLOAT] = "float",
    [TY_STR] = "str", [TY_LIST] = "list", [TY_DICT] = "dict"};

/* A method's result type for its receiver's type; on a receiver of known
 * type that lacks it, Jinja's error when the template runs, located now. */
static IrType ty_method(PcCtx *c, const IrExpr *e) {
  IrType recv = e->kids[0]->type, any = TY_UNDEF;
  for (const TyMethod *m = ty_methods; m->name; m++) {
    if (strcmp(m->name, e->name) != 0)
      continue;
    if (m->recv == recv)
      return m->type;
    any = any == TY_UNDEF || any == m->type ? m->type : TY_ANY;
  }
  if (recv != TY_ANY && recv != TY_UNDEF && any != TY_UNDEF && !ir_xr(e)->unsupported)
    pc_error_at(c, e->loc, "'%s object' has no attribute '%s'", ty_jinja_names[recv], e->name);
  return any == TY_UNDEF ? TY_ANY : any;
}

static bool ty_num(IrType t) { return t == TY_INT || t == TY_FLOAT; }

static IrType ty_binop(const IrExpr *e) {
  int32_t op = e->binop;
  IrType a = e->kids[0]->type, b = e->kids[1]->type;
  enum { ADD, SUB, MUL, DIV, FLOORDIV, MOD, POW, CONCAT };
  if (op > CONCAT)
    return TY_BOOL;
  if (op == CONCAT)
    return TY_STR;
  if (op == DIV)
    return ty_num(a) && ty_num(b) ? TY_FLOAT : TY_ANY;
  if (op == POW && a == TY_INT && b == TY_INT) /* int ** negative int is a float */
    return e->kids[1]->op == IR_CONST && e->kids[1]->i >= 0 ? TY_INT : TY_ANY;
  if (ty_num(a) && ty_num(b))
    return a == TY_INT && b == TY_INT ? TY_INT : TY_FLOAT;
  if (op == ADD && a == b && (a == TY_STR || a == TY_LIST))
    return a;
  return TY_ANY;
}

/* The common type of kids [from, nkids), or TY_ANY when they differ. */
static IrType ty_common(const IrExpr *e, int from) {
  IrType t = e->nkids > from ? e->kids[from]->type : TY_ANY;
  for (int i = from + 1; i < e->nkids; i++)
    if (e->kids[i]->type != t)
      return TY_ANY;
  return t;
}

/* Types the tree of root or sub-expr `e`; kid roots are typed already. */
static void ty_expr(PcCtx *c, IrExpr *e, bool root) {
  if (!root && ir_is_ref(e))
    return;
  for (int i = 0; i < e->nkids; i++)
    ty_expr(c, e->kids[i], false);
  IrType k0 = e->nkids ? e->kids[0]->type : TY_ANY;
  switch (e->op) {
  case IR_CONST: break;
  case IR_VAULT: case IR_UNSAFE: e->type = TY_STR; break;
  case IR_ERROR: e->type = TY_ANY; break;
  case IR_LIST: e->type = TY_LIST; break;
  case IR_DICT: e->type = TY_DICT; break;
  case IR_VAR: case IR_GETATTR: case IR_GETITEM: case IR_SLICE: e->type = TY_ANY; break;
  case IR_BINOP: e->type = ty_binop(e); break;
  case IR_AND: case IR_OR: e->type = ty_common(e, 0); break; /* Python and/or return an operand */
  case IR_CONCAT: e->type = TY_STR; break;
  case IR_NOT: case IR_TEST: case IR_COND: e->type = TY_BOOL; break;
  case IR_NEG: e->type = ty_num(k0) ? k0 : TY_ANY; break;
  case IR_FILTER: e->type = ty_filter(e->name); break;
  case IR_IF: e->type = e->kids[1]->type == e->kids[2]->type ? e->kids[1]->type : TY_ANY; break;
  case IR_TEMPLATE: e->type = TY_STR; break;
  case IR_RENDER: e->type = TY_STR; break;
  case IR_LOOKUP: e->type = e->b ? TY_ANY : TY_LIST; break; /* with_<lookup>: always a list */
  case IR_METHOD: e->type = ty_method(c, e); break;
  case IR_CALL: e->type = e->name ? ty_filter(e->name) : TY_ANY; break; /* a global: range() */
  case IR_LOCAL: e->type = TY_ANY; break;
  case IR_SEQ: case IR_STMT_IF: case IR_FOR: case IR_SET: case IR_SETATTR: e->type = TY_NONE; break;
  case IR_CAPTURE: case IR_LOOP_CALL: e->type = TY_STR; break;
  case IR_LOOP_CHANGED: e->type = TY_BOOL; break;
  case IR_NAMESPACE: e->type = TY_DICT; break;
  case IR_SINGLE:
    e->type = (k0 == TY_STR || k0 == TY_INT || k0 == TY_FLOAT || k0 == TY_NONE) ? TY_STR
              : (k0 == TY_LIST || k0 == TY_DICT || k0 == TY_BOOL) ? k0 : TY_ANY;
    break;
  case IR_NOPS: break;
  }
  if (e->type == TY_UNDEF && e->op != IR_CONST)
    e->type = TY_ANY;
}

void ir_infer_types_range(PcCtx *c, IrProgram *p, int32_t from, int32_t to) {
  for (int32_t i = from; i < to; i++) /* in id order: kid roots first */
    ty_expr(c, p->roots[i], true);
}

void ir_infer_types(PcCtx *c, IrProgram *p) { ir_infer_types_range(c, p, 0, p->nroots); }
