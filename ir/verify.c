/*
 * verify.c — structural checks of the IR after the passes: kid counts match
 * the op table, roots are numbered 0..nroots-1 in order, every expr has a type
 * and every task's args is a root dict. Violations are compiler bugs: abort.
 */
#include "ir.h"

static void vf_expr(const IrExpr *e, bool root) {
  PC_ASSERT(e != NULL);
  PC_ASSERT(e->op < IR_NOPS);
  PC_ASSERT(ir_op_nkids[e->op] < 0 || ir_op_nkids[e->op] == e->nkids);
  PC_ASSERT(e->type != TY_UNDEF || e->op == IR_CONST);
  PC_ASSERT(root ? e->id >= 0 : e->id == -1);
  PC_ASSERT(e->op != IR_DICT || e->nkids % 2 == 0);
  PC_ASSERT(e->nkw <= e->nkids);
  for (int i = 0; i < e->nkids; i++)
    vf_expr(e->kids[i], false);
}

void ir_verify(PcCtx *c, IrProgram *p) {
  (void)c;
  for (int i = 0; i < p->nroots; i++) {
    PC_ASSERT(p->roots[i]->id == i);
    vf_expr(p->roots[i], true);
  }
  for (int i = 0; i < p->nplays; i++)
    for (int j = 0; j < p->plays[i].ntasks; j++) {
      const IrTask *t = &p->plays[i].tasks[j];
      PC_ASSERT(t->args && t->args->op == IR_DICT && t->args->id >= 0);
    }
}
