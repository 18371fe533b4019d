/*
 * verify.c — structural checks of the IR after the passes: kid counts match
 * the op table, roots are numbered 0..nroots-1 in order and after the roots
 * they reference, every expr has a type and every task's args is a root dict.
 * Violations are compiler bugs: abort. It also holds codegen's side of the
 * contract "whatever the verifier accepts, codegen builds": what `--plan`
 * shows but playc does not run yet is refused by ir_check_build with a
 * located "not supported by playc yet", never by a failure inside codegen
 * (tests/run_plan_tests.sh checks every planned playbook).
 */
#include "ir.h"

#include <string.h>

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
  PC_ASSERT(ir_xr(e)->nkw <= e->nkids);
  for (int i = 0; i < e->nkids; i++)
    vf_expr(p, e->kids[i], root_id, false);
}

void ir_verify_range(PcCtx *c, IrProgram *p, const int32_t r[2], const int32_t t[2], const int32_t b[2]) {
  (void)c;
  for (int32_t i = r[0]; i < r[1]; i++) {
    PC_ASSERT(p->roots[i]->id == i);
    vf_expr(p, p->roots[i], i, true);
  }
  for (int32_t i = t[0]; i < t[1]; i++) {
    const IrTask *task = p->tasks[i];
    PC_ASSERT(task->id == i);
    PC_ASSERT(task->kind != IR_TASK_MODULE || (task->args && task->args->op == IR_DICT && task->args->id >= 0));
    PC_ASSERT(task->kind == IR_TASK_MODULE || task->kind == IR_TASK_META || task->include);
  }
  for (int32_t i = b[0]; i < b[1]; i++)
    PC_ASSERT(p->blocks[i]->id == i);
}

void ir_verify_frames(PcCtx *c, IrProgram *p) {
  (void)c;
  for (int i = 0; i < p->nscopes; i++)
    PC_ASSERT(p->scopes[i]->id == i && p->scopes[i]->level >= 0 && p->scopes[i]->level < RT_LV_COUNT);
}

void ir_verify(PcCtx *c, IrProgram *p) {
  ir_verify_range(c, p, (int32_t[2]){0, p->nroots}, (int32_t[2]){0, p->ntasks}, (int32_t[2]){0, p->nblocks});
  ir_verify_frames(c, p);
}

/* Expressions playc cannot compile yet (Ansible filters and tests it lacks,
 * calls) in the tree of one root; a kid root (a shared expr) is walked as a
 * root of its own, once. */
static void vf_unsupported(PcCtx *c, const IrExpr *e, bool root) {
  if (!root && ir_is_ref(e))
    return;
  if (ir_xr(e)->unsupported)
    pc_error_at(c, e->loc, "%s is not supported by playc yet", ir_xr(e)->unsupported);
  for (int i = 0; i < e->nkids; i++)
    vf_unsupported(c, e->kids[i], false);
}

/* What `playc -o` refuses: modules playc lacks and keywords whose run-time
 * behaviour is not built yet, each source location once (a role used twice
 * is one place in the source). */
bool ir_check_build(PcCtx *c, const IrProgram *p) {
  int before = c->nerrors;
  PcMap seen = {0}; /* "file:line:col" of the tasks checked: linear in tasks */
  for (int i = 0; i < p->ntasks; i++) {
    const IrTask *t = p->tasks[i];
    const char *key = pc_sprintf(c, "%s:%d:%d", t->loc.file, t->loc.line, t->loc.col);
    if (pc_map_get(&seen, key, strlen(key)))
      continue;
    pc_map_put(c, &seen, key, strlen(key), (void *)t);
    if (t->kind == IR_TASK_MODULE && t->module < 0)
      pc_error_at(c, t->loc, "module '%s' (%s) is not supported by playc yet", t->action,
                  t->unsupported ? t->unsupported : "unknown");
    else if (t->kind != IR_TASK_MODULE && t->unsupported)
      pc_error_at(c, t->loc, "%s is not supported by playc yet", t->unsupported);
    for (int k = 0; k < t->nkws; k++)
      if (!t->kws[k].runs)
        pc_error_at(c, t->kws[k].loc, "'%s' is not supported by playc yet", t->kws[k].name);
    for (int k = 0; k < t->nunsup; k++)
      pc_error_at(c, t->unsup[k]->loc, "%s of module %s is not supported by playc yet", t->unsup[k]->name,
                  t->action);
  }
  for (int i = 0; i < p->nroots; i++)
    vf_unsupported(c, p->roots[i], true);
  for (int i = 0; i < p->nplays; i++)
    for (int k = 0; k < p->plays[i].nkws; k++)
      if (!p->plays[i].kws[k].runs)
        pc_error_at(c, p->plays[i].kws[k].loc, "'%s' is not supported by playc yet", p->plays[i].kws[k].name);
  return c->nerrors == before;
}
