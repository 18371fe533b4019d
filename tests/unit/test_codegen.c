/*
 * test_codegen.c — codegen without the frontend: builds a small IrProgram by
 * hand (one play with an eager and a lazy var; a debug task with a template
 * argument, a loop and a `when`; a command task with changed_when/failed_when;
 * a task whose argument is typed arithmetic; a `when` on an undefined var), then checks the LLVM text
 * (one task_<id> and expr_<id> per task and root, typed code kept unboxed),
 * writes an object, links it with the runtime and checks the symbols with nm.
 *
 * usage: test_codegen OUTDIR [RUNTIME.a]   (RUNTIME defaults to $PLAYC_RUNTIME;
 * without one the link step is skipped). Exit 0 on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../codegen/codegen.h"
#include "../../modules/modules.h"
#include "../../runtime/playc.h"

static PcCtx ctx;
static int failures;

#define CHECK(cond)                                                                       \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);            \
      failures++;                                                                         \
    }                                                                                     \
  } while (0)

static IrLoc at(int line, int col) { return (IrLoc){"test.yml", line, col}; }

static IrExpr *node(IrOp op, IrType t, int line) {
  IrExpr *e = pc_alloc(&ctx, sizeof *e);
  e->op = op;
  e->type = t;
  e->loc = at(line, 3);
  e->id = -1;
  return e;
}

static void kid(IrExpr *e, IrExpr *k) {
  IrExpr **kids = pc_alloc(&ctx, sizeof *kids * (size_t)(e->nkids + 1));
  if (e->nkids)
    memcpy(kids, e->kids, sizeof *kids * (size_t)e->nkids);
  kids[e->nkids++] = k;
  e->kids = kids;
}

static IrExpr *str(const char *s) {
  IrExpr *e = node(IR_CONST, TY_STR, 1);
  e->s = s;
  e->slen = strlen(s);
  return e;
}

static IrExpr *num(int64_t i) {
  IrExpr *e = node(IR_CONST, TY_INT, 1);
  e->i = i;
  return e;
}

static IrExpr *var(const char *name) {
  IrExpr *e = node(IR_VAR, TY_ANY, 1);
  e->name = name;
  return e;
}

static IrExpr *binop(RtBinOp op, IrType t, IrExpr *a, IrExpr *b) {
  IrExpr *e = node(IR_BINOP, t, 1);
  e->binop = op;
  kid(e, a);
  kid(e, b);
  return e;
}

static IrExpr *dict1(const char *key, IrExpr *val) {
  IrExpr *e = node(IR_DICT, TY_DICT, 1);
  kid(e, str(key));
  kid(e, val);
  return e;
}

static IrExpr *cond(IrExpr *k, const char *src) {
  IrExpr *e = node(IR_COND, TY_BOOL, 1);
  kid(e, k);
  e->src = src;
  return e;
}

static IrExpr *root(IrProgram *p, IrExpr *e) {
  IrExpr **roots = pc_alloc(&ctx, sizeof *roots * (size_t)(p->nroots + 1));
  if (p->nroots)
    memcpy(roots, p->roots, sizeof *roots * (size_t)p->nroots);
  e->id = p->nroots;
  roots[p->nroots++] = e;
  p->roots = roots;
  return e;
}

/* msg: "{{ greeting }} {{ item }}" */
static IrExpr *debug_args(void) {
  IrExpr *t = node(IR_TEMPLATE, TY_STR, 5);
  kid(t, var("greeting"));
  kid(t, str(" "));
  kid(t, var("item"));
  return dict1("msg", t);
}

/* msg: "{{ (1 + 2 * 3) if flag else 'no' }}" : unboxed arithmetic inside an if */
static IrExpr *typed_args(void) {
  IrExpr *arith = binop(RT_OP_ADD, TY_INT, num(1), binop(RT_OP_MUL, TY_INT, num(2), num(3)));
  IrExpr *e = node(IR_IF, TY_ANY, 9);
  kid(e, var("flag"));
  kid(e, arith);
  kid(e, str("no"));
  IrExpr *s = node(IR_SINGLE, TY_ANY, 9);
  kid(s, e);
  return dict1("msg", s);
}

static IrProgram *build_program(void) {
  IrProgram *p = pc_alloc(&ctx, sizeof *p);
  p->playbook = "test.yml";
  IrPlay *pl = pc_alloc(&ctx, sizeof *pl);
  p->plays = pl;
  p->nplays = 1;
  pl->name = "codegen test";
  pl->hosts = "localhost";
  pl->connection = "local";
  pl->loc = at(1, 3);
  pl->max_fail_percentage = -1;
  /* play vars: one frame, sorted by name */
  IrScope *sc = pc_alloc(&ctx, sizeof *sc);
  sc->level = RT_LV_PLAY;
  sc->what = "play vars";
  sc->vars = pc_alloc(&ctx, sizeof *sc->vars * 2);
  sc->nvars = 2;
  IrExpr *lazy = node(IR_SINGLE, TY_ANY, 4);
  kid(lazy, var("greeting"));
  sc->vars[0] = (IrVar){"flag", root(p, lazy), true, at(4, 5)};
  sc->vars[1] = (IrVar){"greeting", root(p, str("hello")), false, at(3, 5)};
  p->scopes = pc_alloc(&ctx, sizeof *p->scopes);
  p->scopes[0] = sc;
  p->nscopes = 1;
  pl->scope = sc;

  p->ntasks = 4;
  p->tasks = pc_alloc(&ctx, sizeof *p->tasks * 4);
  for (int i = 0; i < 4; i++)
    p->tasks[i] = pc_alloc(&ctx, sizeof(IrTask));
  IrTask *t = p->tasks[0];
  *t = (IrTask){.id = 0, .loc = at(5, 5), .name = "greet", .action = "debug",
                .module = mod_schema_find("debug"), .scope = sc, .loop_var = "item"};
  t->args = root(p, debug_args());
  IrExpr *items = node(IR_LIST, TY_LIST, 6);
  for (int i = 1; i <= 3; i++)
    kid(items, num(i));
  t->loop = root(p, items);
  t->when = root(p, cond(binop(RT_OP_GT, TY_ANY, var("item"), num(1)), "item > 1"));

  t = p->tasks[1];
  *t = (IrTask){.id = 1, .loc = at(7, 5), .name = "command", .action = "command",
                .module = mod_schema_find("command"), .register_var = "out", .scope = sc};
  t->args = root(p, dict1("_raw_params", str("echo hi")));
  IrExpr *no = node(IR_CONST, TY_BOOL, 8);
  t->changed_when = root(p, cond(no, "false"));
  IrExpr *and = node(IR_AND, TY_ANY, 8);
  kid(and, var("out"));
  kid(and, var("flag"));
  t->failed_when = root(p, cond(and, "out and flag"));

  t = p->tasks[2];
  *t = (IrTask){.id = 2, .loc = at(9, 5), .name = "typed", .action = "debug",
                .module = mod_schema_find("debug"), .scope = sc};
  t->args = root(p, typed_args());

  /* when: nope or true  (an undefined operand: the step fails with the error) */
  t = p->tasks[3];
  *t = (IrTask){.id = 3, .loc = at(11, 5), .name = "undefined", .action = "debug",
                .module = mod_schema_find("debug"), .scope = sc};
  t->args = root(p, dict1("msg", str("never")));
  IrExpr *or = node(IR_OR, TY_ANY, 12);
  IrExpr *yes = node(IR_CONST, TY_BOOL, 12);
  yes->b = true;
  kid(or, var("nope"));
  kid(or, yes);
  t->when = root(p, cond(or, "nope or true"));

  /* one implicit block holding the four tasks */
  IrBlock *b = pc_alloc(&ctx, sizeof *b);
  b->implicit = true;
  b->regions[IR_BLOCK].n = 4;
  b->regions[IR_BLOCK].items = pc_alloc(&ctx, sizeof(IrItem) * 4);
  for (int i = 0; i < 4; i++)
    b->regions[IR_BLOCK].items[i].task = p->tasks[i];
  p->blocks = pc_alloc(&ctx, sizeof *p->blocks);
  p->blocks[0] = b;
  p->nblocks = 1;
  pl->blocks.n = 1;
  pl->blocks.items = pc_alloc(&ctx, sizeof(IrItem));
  pl->blocks.items[0].block = b;
  pl->ntasks = 4;
  return p;
}

static void check_llvm_text(const IrProgram *p) {
  CgOptions o = {.opt_level = 0, .plan_text = "PLAN\n", .plan_json = "{}"};
  char *text = cg_emit_llvm_text(&ctx, p, &o);
  CHECK(text != NULL);
  if (!text)
    return;
  CHECK(strstr(text, "define i32 @task_0(ptr") != NULL);
  CHECK(strstr(text, "define i32 @task_2(ptr") != NULL);
  for (int32_t i = 0; i < p->nroots; i++) {
    char want[64];
    snprintf(want, sizeof want, "define ptr @expr_%d(ptr", (int)i);
    CHECK(strstr(text, want) != NULL);
  }
  CHECK(strstr(text, "@playc_program = constant %RtProgram") != NULL);
  CHECK(strstr(text, "call i32 @rt_main(") != NULL);
  CHECK(strstr(text, "mul i64 2, 3") != NULL || strstr(text, "i64 7") != NULL);
  const char *print = getenv("TEST_CODEGEN_PRINT"); /* "0" or "2": print the IR at -O<n> */
  if (print) {
    CgOptions po = {.opt_level = atoi(print), .plan_text = "PLAN\n", .plan_json = "{}"};
    char *shown = cg_emit_llvm_text(&ctx, p, &po);
    fputs(shown ? shown : "", stdout);
    free(shown);
  }
  free(text);
}

/* Emits at -O`opt`, links, and counts the task_/expr_ functions with nm. */
static void check_object_and_link(const IrProgram *p, const char *dir, int opt) {
  CgOptions o = {.opt_level = opt, .plan_text = "PLAN\n", .plan_json = "{}"};
  char *obj = pc_sprintf(&ctx, "%s/test_codegen_O%d.o", dir, opt);
  char *exe = pc_sprintf(&ctx, "%s/test_codegen_site_O%d", dir, opt);
  CHECK(cg_emit_object(&ctx, p, &o, obj));
  const char *rt = getenv("PLAYC_RUNTIME");
  if (!rt || !*rt) {
    printf("test_codegen: no runtime given, link step skipped\n");
    return;
  }
  CHECK(cg_link(&ctx, obj, exe));
  char *cmd = pc_sprintf(&ctx, "nm %s | grep -cE ' T (task|expr)_[0-9]+$'", exe);
  FILE *f = popen(cmd, "r");
  int n = 0;
  CHECK(f && fscanf(f, "%d", &n) == 1);
  if (f)
    pclose(f);
  CHECK(n == p->plays[0].ntasks + p->nroots);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_codegen OUTDIR [RUNTIME.a]\n");
    return 2;
  }
  if (argc > 2)
    setenv("PLAYC_RUNTIME", argv[2], 1);
  pc_ctx_init(&ctx);
  IrProgram *p = build_program();
  check_llvm_text(p);
  check_object_and_link(p, argv[1], 0);
  check_object_and_link(p, argv[1], 2);
  pc_ctx_free(&ctx);
  if (failures)
    fprintf(stderr, "test_codegen: %d failure(s)\n", failures);
  return failures ? 1 : 0;
}
