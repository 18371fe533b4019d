/*
 * verify.c — structural checks of the IR after the passes: kid counts match
 * the op table, roots are numbered 0..nroots-1 in order, every expr has a type
 * and every task's args is a root dict. Violations are compiler bugs: abort.
 */
#include "ir.h"

#include <string.h>

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
  for (int i = 0; i < p->ntasks; i++) {
    const IrTask *t = p->tasks[i];
    PC_ASSERT(t->id == i);
    PC_ASSERT(t->kind != IR_TASK_MODULE || (t->args && t->args->op == IR_DICT && t->args->id >= 0));
    PC_ASSERT(t->kind == IR_TASK_MODULE || t->kind == IR_TASK_META || t->include);
  }
  for (int i = 0; i < p->nblocks; i++)
    PC_ASSERT(p->blocks[i]->id == i);
  for (int i = 0; i < p->nscopes; i++)
    PC_ASSERT(p->scopes[i]->id == i && p->scopes[i]->level >= 0 && p->scopes[i]->level < RT_LV_COUNT);
}

/* Expressions playc cannot compile yet (Ansible filters and tests it lacks,
 * calls). */
static void vf_unsupported(PcCtx *c, const IrExpr *e) {
  if (e->unsupported)
    pc_error_at(c, e->loc, "%s is not supported by playc yet", e->unsupported);
  for (int i = 0; i < e->nkids; i++)
    vf_unsupported(c, e->kids[i]);
}

/* What `playc -o` refuses: modules playc lacks and keywords whose run-time
 * behaviour is not built yet, each source location once (a role used twice
 * is one place in the source). */
bool ir_check_build(PcCtx *c, const IrProgram *p) {
  int before = c->nerrors;
  PcVec seen = {0};
  for (int i = 0; i < p->ntasks; i++) {
    const IrTask *t = p->tasks[i];
    const char *key = pc_sprintf(c, "%s:%d:%d", t->loc.file, t->loc.line, t->loc.col);
    bool dup = false;
    for (int j = 0; j < seen.len && !dup; j++)
      dup = strcmp(seen.items[j], key) == 0;
    if (dup)
      continue;
    pc_vec_push(c, &seen, (void *)key);
    if (t->kind == IR_TASK_MODULE && t->module < 0)
      pc_error_at(c, t->loc, "module '%s' (%s) is not supported by playc yet", t->action,
                  t->unsupported ? t->unsupported : "unknown");
    for (int k = 0; k < t->nkws; k++)
      if (!t->kws[k].runs)
        pc_error_at(c, t->kws[k].loc, "'%s' is not supported by playc yet", t->kws[k].name);
    for (int k = 0; k < t->nunsup; k++)
      pc_error_at(c, t->unsup[k]->loc, "%s of module %s is not supported by playc yet", t->unsup[k]->name,
                  t->action);
  }
  for (int i = 0; i < p->nroots; i++)
    vf_unsupported(c, p->roots[i]);
  for (int i = 0; i < p->nplays; i++)
    for (int k = 0; k < p->plays[i].nkws; k++)
      if (!p->plays[i].kws[k].runs)
        pc_error_at(c, p->plays[i].kws[k].loc, "'%s' is not supported by playc yet", p->plays[i].kws[k].name);
  return c->nerrors == before;
}
