/*
 * ir.c — IR construction helpers: the op tables generated from IR_OPS,
 * expression allocation, kid lists and root numbering. Everything lives in the
 * compilation's arena.
 */
#include "ir.h"

#include <string.h>

const char *const ir_op_names[IR_NOPS] = {
#define X(name, str, nk) str,
    IR_OPS(X)
#undef X
};

const int ir_op_nkids[IR_NOPS] = {
#define X(name, str, nk) nk,
    IR_OPS(X)
#undef X
};

IrExpr *ir_expr_new(PcCtx *c, IrOp op, IrType type, IrLoc loc) {
  IrExpr *e = pc_alloc_ir(c, sizeof *e);
  e->op = op;
  e->type = type;
  e->loc = loc;
  e->id = -1;
  return e;
}

IrExprX *ir_x(PcCtx *c, IrExpr *e) {
  if (!e->x)
    e->x = pc_alloc_ir(c, sizeof *e->x);
  return e->x;
}

/* Kid arrays grow by doubling: capacity is the next power of two of nkids. */
void ir_expr_add_kid(PcCtx *c, IrExpr *e, IrExpr *kid) {
  int32_t n = e->nkids;
  if ((n & (n - 1)) == 0) {
    IrExpr **k = pc_alloc_ir(c, sizeof(IrExpr *) * (size_t)(n ? n * 2 : 1));
    if (n)
      memcpy(k, e->kids, sizeof(IrExpr *) * (size_t)n);
    e->kids = k;
  }
  e->kids[e->nkids++] = kid;
}

void ir_task_set_kw(PcCtx *c, IrTask *t, int k, IrExpr *e) {
  if (!t->kw && !e)
    return;
  if (!t->kw)
    t->kw = pc_alloc_ir(c, sizeof(IrExpr *) * RT_TK_COUNT);
  t->kw[k] = e;
}

void ir_make_root(PcCtx *c, IrProgram *p, IrExpr *e) {
  int32_t n = p->nroots;
  if ((n & (n - 1)) == 0) {
    IrExpr **r = pc_alloc(c, sizeof(IrExpr *) * (size_t)(n ? n * 2 : 1));
    if (n)
      memcpy(r, p->roots, sizeof(IrExpr *) * (size_t)n);
    p->roots = r;
  }
  e->id = n;
  p->roots[p->nroots++] = e;
}

const char *ir_type_name(IrType t) {
  static const char *const names[] = {"undef", "none", "bool", "int", "float", "str", "list", "dict", "any"};
  return (unsigned)t <= TY_ANY ? names[t] : "?";
}
