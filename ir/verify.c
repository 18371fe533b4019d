/*
 * verify.c — structural checks of the IR after the passes: kid counts match
 * the op table, roots are numbered 0..nroots-1 in order and after the roots
 * they reference, every expr has a type and every task's args is a root dict.
 * Violations are compiler bugs: abort. It also holds codegen's side of the
 * contract "whatever the verifier accepts, codegen builds": a construct the
 * code generator cannot build yet would be a located error here, never a
 * failure of `-o` after `--plan` succeeded (there is none today: dict keys
 * computed at run time are built by the runtime).
 */
#include "ir.h"

/* Checks the tree of root `root_id` below `e`; kid roots are checked apart. */
static void vf_expr(const IrProgram *p, const IrExpr *e, int32_t root_id, bool root) {
  PC_ASSERT(e != NULL);
  if (!root && ir_is_ref(e)) {
    PC_ASSERT(e->id < root_id && p->roots[e->id] == e);
    return;
  }
  PC_ASSERT(e->op < IR_NOPS);
  PC_ASSERT(ir_op_nkids[e->op] < 0 || ir_op_nkids[e->op] == e->nkids);
  PC_ASSERT(e->type != TY_UNDEF || e->op == IR_CONST);
  PC_ASSERT(root ? e->id == root_id : e->id == -1);
  PC_ASSERT(e->op != IR_DICT || e->nkids % 2 == 0);
  PC_ASSERT((e->op != IR_AND && e->op != IR_OR && e->op != IR_CONCAT) || e->nkids >= 1);
  PC_ASSERT(e->nkw <= e->nkids);
  for (int i = 0; i < e->nkids; i++)
    vf_expr(p, e->kids[i], root_id, false);
}

void ir_verify(PcCtx *c, IrProgram *p) {
  (void)c;
  for (int i = 0; i < p->nroots; i++) {
    PC_ASSERT(p->roots[i]->id == i);
    vf_expr(p, p->roots[i], i, true);
  }
  for (int i = 0; i < p->nplays; i++)
    for (int j = 0; j < p->plays[i].ntasks; j++) {
      const IrTask *t = &p->plays[i].tasks[j];
      PC_ASSERT(t->args && t->args->op == IR_DICT && t->args->id >= 0);
    }
}
