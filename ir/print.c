/*
 * print.c — the plan: a deterministic rendering of the IR for code review and
 * golden tests (`playc --plan`), as text or JSON. Every expr shows its op and
 * static type; roots show their number (expr#N, the function codegen emits).
 * Locations are printed with the path as given on the command line. No
 * addresses, no hash order: the same input gives the same bytes.
 *
 * A root is printed in full once: where a kid refers to a root (a shared
 * expr) the plan says `expr#N`, and shared exprs that no task or var holds
 * come first, as `shared expr#N = ...`. So the plan's size is the IR's, and
 * a YAML alias bomb plans in a few lines.
 */
#include "ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const pr_binops[] = {"+", "-", "*", "/", "//", "%", "**", "~",
                                        "==", "!=", "<", "<=", ">", ">=", "in", "not in"};

static void pr_str(FILE *f, const char *s, size_t n) {
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch == '\n')
      fputs("\\n", f);
    else if (ch == '\t')
      fputs("\\t", f);
    else if (ch == '\r')
      fputs("\\r", f);
    else if (ch < 0x20 || ch == 0x7f)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

/* Python repr of a float: shortest round-tripping digits, always with a dot. */
static void pr_float(FILE *f, double d, bool json) {
  if (isnan(d)) {
    fputs(json ? "\"nan\"" : "nan", f);
    return;
  }
  if (isinf(d)) {
    fputs(d < 0 ? (json ? "\"-inf\"" : "-inf") : (json ? "\"inf\"" : "inf"), f);
    return;
  }
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (strtod(buf, NULL) == d)
      break;
  }
  fputs(buf, f);
  if (!strpbrk(buf, ".e"))
    fputs(".0", f);
}

static void pr_const(FILE *f, const IrExpr *e, bool json) {
  switch (e->type) {
  case TY_NONE: fputs(json ? "null" : "none", f); break;
  case TY_BOOL: fputs(e->b ? "true" : "false", f); break;
  case TY_INT: fprintf(f, "%lld", (long long)e->i); break;
  case TY_FLOAT: pr_float(f, e->f, json); break;
  case TY_STR: pr_str(f, e->s, e->slen); break;
  default: fputs("?", f); break;
  }
}

/* A printer: its stream, and which roots were printed in full already. */
typedef struct Pr {
  FILE *f;
  const IrProgram *p;
  bool *done; /* by root id */
} Pr;

static void pr_text(Pr *pr, const IrExpr *e, bool root);

static void pr_kids(Pr *pr, const IrExpr *e, int from) {
  FILE *f = pr->f;
  fputc('(', f);
  for (int i = from; i < e->nkids; i++) {
    if (i > from)
      fputs(", ", f);
    int kw = i - (e->nkids - e->nkw);
    if (kw >= 0)
      fprintf(f, "%s=", e->kwnames[kw]);
    pr_text(pr, e->kids[i], false);
  }
  fputc(')', f);
}

/* Prints root or sub-expr `e`; a kid that is a root is a reference. */
static void pr_text(Pr *pr, const IrExpr *e, bool root) {
  FILE *f = pr->f;
  if (!root && ir_is_ref(e)) {
    fprintf(f, "expr#%d", e->id);
    return;
  }
  switch (e->op) {
  case IR_CONST: fputs("const ", f); pr_const(f, e, false); break;
  case IR_VAR: fprintf(f, "var %s", e->name); break;
  case IR_LIST:
    fputc('[', f);
    for (int i = 0; i < e->nkids; i++) {
      fputs(i ? ", " : "", f);
      pr_text(pr, e->kids[i], false);
    }
    fputc(']', f);
    break;
  case IR_DICT:
    fputc('{', f);
    for (int i = 0; i + 1 < e->nkids; i += 2) {
      fputs(i ? ", " : "", f);
      if (e->kids[i]->op == IR_CONST && e->kids[i]->type == TY_STR && !ir_is_ref(e->kids[i]))
        fprintf(f, "%.*s", (int)e->kids[i]->slen, e->kids[i]->s);
      else
        pr_text(pr, e->kids[i], false);
      fputs(": ", f);
      pr_text(pr, e->kids[i + 1], false);
    }
    fputc('}', f);
    break;
  case IR_GETATTR: fputs("getattr", f); pr_kids(pr, e, 0); fprintf(f, ".%s", e->name); break;
  case IR_BINOP: fprintf(f, "binop %s", pr_binops[e->binop]); pr_kids(pr, e, 0); break;
  case IR_FILTER: case IR_TEST:
    fprintf(f, "%s %s", ir_op_names[e->op], e->name);
    pr_kids(pr, e, 0);
    break;
  default: fputs(ir_op_names[e->op], f); pr_kids(pr, e, 0); break;
  }
  fprintf(f, ": %s", ir_type_name(e->type));
}

/* "expr#N<sep>tree" the first time root `e` is printed, "expr#N" after. */
static void pr_def(Pr *pr, const IrExpr *e, const char *sep) {
  fprintf(pr->f, "expr#%d", e->id);
  if (pr->done[e->id])
    return;
  pr->done[e->id] = true;
  fputs(sep, pr->f);
  pr_text(pr, e, true);
}

static void pr_loc(FILE *f, IrLoc l) { fprintf(f, "%s:%d:%d", l.file, l.line, l.col); }

static void pr_root(Pr *pr, const char *label, const IrExpr *e) {
  if (!e)
    return;
  fprintf(pr->f, "    %-12s ", label);
  pr_def(pr, e, " = ");
  fputc('\n', pr->f);
}

/* Which roots a task or a var holds (the others are shared exprs only). */
static bool *pr_held(const IrProgram *p) {
  bool *held = calloc((size_t)p->nroots + 1, 1);
  PC_ASSERT(held);
  for (int i = 0; i < p->nplays; i++) {
    const IrPlay *pl = &p->plays[i];
    for (int v = 0; v < pl->nvars; v++)
      held[pl->vars[v].value->id] = true;
    for (int k = 0; k < pl->ntasks; k++) {
      const IrExpr *rs[] = {pl->tasks[k].args, pl->tasks[k].when, pl->tasks[k].loop, pl->tasks[k].changed_when,
                            pl->tasks[k].failed_when};
      for (size_t r = 0; r < sizeof rs / sizeof *rs; r++)
        if (rs[r])
          held[rs[r]->id] = true;
    }
  }
  return held;
}

static char *pr_finish(PcCtx *c, FILE *f, char **buf, size_t *len) {
  fclose(f);
  char *s = pc_strndup(c, *buf, *len);
  free(*buf);
  return s;
}

char *ir_print_text(PcCtx *c, const IrProgram *p) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  Pr pr = {f, p, calloc((size_t)p->nroots + 1, 1)};
  PC_ASSERT(f && pr.done);
  fprintf(f, "playbook %s\n", p->playbook);
  bool *held = pr_held(p);
  for (int i = 0; i < p->nroots; i++)
    if (!held[i]) {
      fputs("shared ", f);
      pr_def(&pr, p->roots[i], " = ");
      fputc('\n', f);
    }
  free(held);
  for (int i = 0; i < p->nplays; i++) {
    const IrPlay *pl = &p->plays[i];
    fprintf(f, "play %d ", i);
    pr_str(f, pl->name, strlen(pl->name));
    fprintf(f, " hosts=%s gather_facts=%s", pl->hosts, pl->gather_facts ? "true" : "false");
    if (pl->connection)
      fprintf(f, " connection=%s", pl->connection);
    fputs("   # ", f);
    pr_loc(f, pl->loc);
    fputc('\n', f);
    for (int v = 0; v < pl->nvars; v++) {
      fprintf(f, "  var %s%s = ", pl->vars[v].name, pl->vars[v].lazy ? " lazy" : "");
      pr_def(&pr, pl->vars[v].value, " ");
      fputc('\n', f);
    }
    for (int k = 0; k < pl->ntasks; k++) {
      const IrTask *t = &pl->tasks[k];
      fprintf(f, "  task %d ", t->id);
      pr_str(f, t->name, strlen(t->name));
      fprintf(f, " %s   # ", t->action);
      pr_loc(f, t->loc);
      fputc('\n', f);
      pr_root(&pr, "when", t->when);
      pr_root(&pr, "loop", t->loop);
      if (t->register_var)
        fprintf(f, "    %-12s %s\n", "register", t->register_var);
      pr_root(&pr, "changed_when", t->changed_when);
      pr_root(&pr, "failed_when", t->failed_when);
      if (t->ignore_errors)
        fprintf(f, "    %-12s true\n", "ignore_errors");
      pr_root(&pr, "args", t->args);
    }
  }
  for (int i = 0; i < p->nfiles; i++) {
    fputs("file ", f);
    pr_str(f, p->files[i].name, strlen(p->files[i].name));
    fprintf(f, " %zu bytes from %s\n", p->files[i].size, p->files[i].path);
  }
  free(pr.done);
  return pr_finish(c, f, &buf, &len);
}

/* ---- JSON ---------------------------------------------------------------- */

static void pj_loc(FILE *f, IrLoc l) {
  fputs("{\"file\": ", f);
  pr_str(f, l.file ? l.file : "", l.file ? strlen(l.file) : 0);
  fprintf(f, ", \"line\": %d, \"col\": %d}", l.line, l.col);
}

/* An expr as JSON; a kid root, or a root printed before, is {"ref": N}. */
static void pj_expr(Pr *pr, const IrExpr *e, bool root) {
  FILE *f = pr->f;
  if (!e) {
    fputs("null", f);
    return;
  }
  if ((!root && ir_is_ref(e)) || (root && pr->done[e->id])) {
    fprintf(f, "{\"ref\": %d}", e->id);
    return;
  }
  if (root)
    pr->done[e->id] = true;
  fprintf(f, "{\"op\": \"%s\", \"type\": \"%s\"", ir_op_names[e->op], ir_type_name(e->type));
  if (e->id >= 0)
    fprintf(f, ", \"id\": %d", e->id);
  if (e->src) {
    fputs(", \"src\": ", f);
    pr_str(f, e->src, strlen(e->src));
  }
  if (e->op == IR_CONST) {
    fputs(", \"value\": ", f);
    pr_const(f, e, true);
  }
  if (e->name)
    fprintf(f, ", \"name\": \"%s\"", e->name);
  if (e->op == IR_BINOP)
    fprintf(f, ", \"binop\": \"%s\"", pr_binops[e->binop]);
  if (e->nkw) {
    fputs(", \"kwnames\": [", f);
    for (int i = 0; i < e->nkw; i++)
      fprintf(f, "%s\"%s\"", i ? ", " : "", e->kwnames[i]);
    fputc(']', f);
  }
  if (e->op != IR_CONST && e->op != IR_VAR) {
    fputs(", \"kids\": [", f);
    for (int i = 0; i < e->nkids; i++) {
      fputs(i ? ", " : "", f);
      pj_expr(pr, e->kids[i], false);
    }
    fputc(']', f);
  }
  fputc('}', f);
}

static void pj_task(Pr *pr, const IrTask *t) {
  FILE *f = pr->f;
  fprintf(f, "{\"id\": %d, \"name\": ", t->id);
  pr_str(f, t->name, strlen(t->name));
  fprintf(f, ", \"module\": \"%s\", \"loc\": ", t->action);
  pj_loc(f, t->loc);
  fputs(", \"register\": ", f);
  if (t->register_var)
    pr_str(f, t->register_var, strlen(t->register_var));
  else
    fputs("null", f);
  fprintf(f, ", \"ignore_errors\": %s", t->ignore_errors ? "true" : "false");
  fputs(", \"when\": ", f);
  pj_expr(pr, t->when, true);
  fputs(", \"loop\": ", f);
  pj_expr(pr, t->loop, true);
  fputs(", \"changed_when\": ", f);
  pj_expr(pr, t->changed_when, true);
  fputs(", \"failed_when\": ", f);
  pj_expr(pr, t->failed_when, true);
  fputs(", \"args\": ", f);
  pj_expr(pr, t->args, true);
  fputc('}', f);
}

static void pj_play(Pr *pr, const IrPlay *pl) {
  FILE *f = pr->f;
  fputs("{\"name\": ", f);
  pr_str(f, pl->name, strlen(pl->name));
  fputs(", \"hosts\": ", f);
  pr_str(f, pl->hosts, strlen(pl->hosts));
  fprintf(f, ", \"gather_facts\": %s, \"connection\": ", pl->gather_facts ? "true" : "false");
  if (pl->connection)
    pr_str(f, pl->connection, strlen(pl->connection));
  else
    fputs("null", f);
  fputs(", \"loc\": ", f);
  pj_loc(f, pl->loc);
  fputs(", \"vars\": [", f);
  for (int v = 0; v < pl->nvars; v++) {
    fprintf(f, "%s{\"name\": ", v ? ", " : "");
    pr_str(f, pl->vars[v].name, strlen(pl->vars[v].name));
    fprintf(f, ", \"lazy\": %s, \"value\": ", pl->vars[v].lazy ? "true" : "false");
    pj_expr(pr, pl->vars[v].value, true);
    fputc('}', f);
  }
  fputs("], \"tasks\": [", f);
  for (int k = 0; k < pl->ntasks; k++) {
    fputs(k ? ", " : "", f);
    pj_task(pr, &pl->tasks[k]);
  }
  fputs("]}", f);
}

char *ir_print_json(PcCtx *c, const IrProgram *p) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  Pr pr = {f, p, calloc((size_t)p->nroots + 1, 1)};
  PC_ASSERT(f && pr.done);
  fputs("{\"playbook\": ", f);
  pr_str(f, p->playbook, strlen(p->playbook));
  fputs(", \"shared\": [", f);
  bool *held = pr_held(p);
  for (int i = 0, n = 0; i < p->nroots; i++)
    if (!held[i]) {
      fputs(n++ ? ", " : "", f);
      pj_expr(&pr, p->roots[i], true);
    }
  free(held);
  fputs("], \"plays\": [", f);
  for (int i = 0; i < p->nplays; i++) {
    fputs(i ? ", " : "", f);
    pj_play(&pr, &p->plays[i]);
  }
  fputs("], \"files\": [", f);
  for (int i = 0; i < p->nfiles; i++) {
    fputs(i ? ", " : "", f);
    fputs("{\"name\": ", f);
    pr_str(f, p->files[i].name, strlen(p->files[i].name));
    fputs(", \"path\": ", f);
    pr_str(f, p->files[i].path, strlen(p->files[i].path));
    fprintf(f, ", \"size\": %zu}", p->files[i].size);
  }
  fputs("]}\n", f);
  free(pr.done);
  return pr_finish(c, f, &buf, &len);
}
