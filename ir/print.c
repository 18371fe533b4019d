/*
 * print.c — the plan: a deterministic rendering of the IR for code review and
 * golden tests (`playc --plan`), as text or JSON. Every expr shows its op and
 * static type; roots show their number (expr#N, the function codegen emits).
 * Locations are printed with the path as given on the command line. No
 * addresses, no hash order: the same input gives the same bytes.
 *
 * A root reached from several places (a shared expr: a YAML alias, a Jinja
 * operand used twice) is printed in full once, the first time, as
 * `expr#N = tree`, and as `expr#N` after (in JSON: {"ref": N}); a first pass
 * counts the kids that refer to each root, so that what no kid shares prints
 * in full where it is held. So the plan's size is the IR's, and a YAML alias
 * bomb plans in a few lines.
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

/* A printer: its stream, and what the first pass learnt of the roots. */
typedef struct Pr {
  FILE *f;
  int32_t *refs; /* by root id: the kids that refer to it (first pass) */
  int32_t *held; /* by root id: the places of the plan that hold it (first pass) */
  bool *done;    /* by root id: printed in full already */
  bool counting; /* the first pass (to /dev/null) */
} Pr;

static void pr_expr(Pr *pr, const IrExpr *e);
static void pr_kid(Pr *pr, const IrExpr *e);

static void pr_kids(Pr *pr, const IrExpr *e, int from) {
  FILE *f = pr->f;
  fputc('(', f);
  for (int i = from; i < e->nkids; i++) {
    if (i > from)
      fputs(", ", f);
    int kw = i - (e->nkids - e->nkw);
    if (kw >= 0) /* `*args` and `**kwargs` are named "*" and "**" (jinja.h) */
      fprintf(f, e->kwnames[kw][0] == '*' ? "%s" : "%s=", e->kwnames[kw]);
    pr_kid(pr, e->kids[i]);
  }
  fputc(')', f);
}

static void pr_tree(Pr *pr, const IrExpr *e) {
  FILE *f = pr->f;
  switch (e->op) {
  case IR_CONST: fputs("const ", f); pr_const(f, e, false); break;
  case IR_VAULT: fprintf(f, "vault(%zu bytes)", e->slen); break; /* the text's size only: deterministic */
  case IR_VAR: fprintf(f, "var %s%s", e->name, e->b ? " (undefined: no context)" : ""); break;
  case IR_LIST:
    fputc('[', f);
    for (int i = 0; i < e->nkids; i++) {
      fputs(i ? ", " : "", f);
      pr_kid(pr, e->kids[i]);
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
        pr_kid(pr, e->kids[i]);
      fputs(": ", f);
      pr_kid(pr, e->kids[i + 1]);
    }
    fputc('}', f);
    break;
  case IR_GETATTR: fputs("getattr", f); pr_kids(pr, e, 0); fprintf(f, ".%s", e->name); break;
  case IR_LOCAL: fprintf(f, "local %s#%d", e->name, e->slot); break; /* its fallback is what the name means outside */
  case IR_FOR:
    fprintf(f, "for%s loop#%d locals#%d..%d", e->recursive ? " recursive" : "", e->slot, e->slot_first, e->slot_end);
    if (e->slot_aux >= 0)
      fprintf(f, " changed#%d", e->slot_aux);
    pr_kids(pr, e, 0);
    break;
  case IR_LOOP_CALL: fprintf(f, "loop-call loop#%d", e->slot); pr_kids(pr, e, 0); break;
  case IR_LOOP_CHANGED: fprintf(f, "loop-changed changed#%d", e->slot); pr_kids(pr, e, 0); break;
  case IR_SETATTR: fprintf(f, "setattr .%s", e->name); pr_kids(pr, e, 0); break;
  case IR_TEMPLATE:
    fputs("template", f);
    if (e->slot_end || e->keep_nl)
      fprintf(f, " locals#%d newlines#%d", e->slot_end, e->keep_nl);
    pr_kids(pr, e, 0);
    break;
  case IR_BINOP: fprintf(f, "binop %s", pr_binops[e->binop]); pr_kids(pr, e, 0); break;
  case IR_LOOKUP:
    if (!e->b)
      goto plain;
    fprintf(f, "%s %s", ir_op_names[e->op], e->name); /* lookup()/query(): the plugin's name */
    pr_kids(pr, e, 0);
    break;
  case IR_FILTER: case IR_TEST: case IR_METHOD:
    fprintf(f, "%s %s", ir_op_names[e->op], e->name);
    pr_kids(pr, e, 0);
    break;
  default:
  plain:
    fputs(ir_op_names[e->op], f);
    pr_kids(pr, e, 0);
    break;
  }
  fprintf(f, ": %s", ir_type_name(e->type));
  if (e->unsupported)
    fputs(" unsupported", f);
}

/* `expr#N = tree` the first time root `e` is printed, `expr#N` after. */
static void pr_def(Pr *pr, const IrExpr *e) {
  if (pr->done[e->id]) {
    fprintf(pr->f, "expr#%d", e->id);
    return;
  }
  pr->done[e->id] = true;
  fprintf(pr->f, "expr#%d = ", e->id);
  pr_tree(pr, e);
}

/* Prints kid `e` of another expr: a root referred to from several places
 * (a shared expr) is defined once and referred to after. */
static void pr_kid(Pr *pr, const IrExpr *e) {
  if (!ir_is_ref(e)) {
    pr_tree(pr, e);
  } else if (pr->counting) {
    pr->refs[e->id]++;
    if (!pr->done[e->id]) {
      pr->done[e->id] = true;
      pr_tree(pr, e);
    }
  } else if (pr->refs[e->id] + pr->held[e->id] <= 1) {
    pr_tree(pr, e);
  } else {
    pr_def(pr, e);
  }
}

/* Prints expr `e` held by the plan (a var, a task's args, ...): in full,
 * unless it is a root that kids refer to too (a shared expr). */
static void pr_expr(Pr *pr, const IrExpr *e) {
  if (e->id < 0) {
    pr_tree(pr, e);
  } else if (pr->counting) {
    pr->held[e->id]++;
    if (!pr->done[e->id]) {
      pr->done[e->id] = true;
      pr_tree(pr, e);
    }
  } else if (pr->refs[e->id] == 0) {
    pr_tree(pr, e);
  } else {
    pr_def(pr, e);
  }
}

static void pr_loc(FILE *f, IrLoc l) { fprintf(f, "%s:%d:%d", l.file, l.line, l.col); }

static char *pr_finish(PcCtx *c, FILE *f, char **buf, size_t *len) {
  fclose(f);
  char *s = pc_strndup(c, *buf, *len);
  free(*buf);
  return s;
}

static const char *const pr_levels[RT_LV_COUNT] = {
    "role_defaults_all", "role_defaults", "inventory", "facts", "play", "vars_prompt", "vars_files",
    "role_vars_all", "role_vars", "task", "include_vars", "set_fact", "role_params", "include_params",
    "extra", "magic", "loop"};

static const char *const pr_tk[RT_TK_COUNT] = {"name", "ignore_errors", "ignore_unreachable", "no_log",
                                              "run_once", "any_errors_fatal", "check_mode", "notify",
                                              "until", "retries", "delay", "loop_label", "loop_pause",
                                              "become", "become_user", "become_method", "become_flags",
                                              "become_exe", "diff", "environment", "delegate_to",
                                              "throttle"};

static void pr_indent(FILE *f, int depth) {
  for (int i = 0; i < depth; i++)
    fputs("  ", f);
}

static void pr_root(Pr *pr, int depth, const char *label, const IrExpr *e) {
  FILE *f = pr->f;
  if (!e)
    return;
  pr_indent(f, depth);
  fprintf(f, "%-14s ", label);
  pr_expr(pr, e);
  fputc('\n', f);
}

static void pr_strlist(FILE *f, int depth, const char *label, const char *const *l) {
  if (!l || !l[0])
    return;
  pr_indent(f, depth);
  fprintf(f, "%-14s [", label);
  for (int i = 0; l[i]; i++) {
    fputs(i ? ", " : "", f);
    pr_str(f, l[i], strlen(l[i]));
  }
  fputs("]\n", f);
}

static void pr_list(Pr *pr, PcCtx *c, const IrList *l, int depth, const IrScope **cur);

static void pr_task(Pr *pr, PcCtx *c, const IrTask *t, int depth, const IrScope **cur) {
  FILE *f = pr->f;
  pr_indent(f, depth);
  fputs(t->handler ? "handler " : "task ", f);
  const char *name = t->role_name && !t->implicit ? pc_sprintf(c, "%s : %s", t->role_name, t->name) : t->name;
  pr_str(f, name, strlen(name));
  switch (t->kind) {
  case IR_TASK_MODULE:
    if (t->module >= 0)
      fprintf(f, " %s", t->action);
    else
      fprintf(f, " %s unsupported(%s)", t->action, t->unsupported ? t->unsupported : "?");
    break;
  case IR_TASK_META: fprintf(f, " meta %s%s", t->action, t->implicit ? " implicit" : ""); break;
  case IR_TASK_INCLUDE_TASKS: fputs(" include_tasks", f); break;
  case IR_TASK_INCLUDE_ROLE: fputs(" include_role", f); break;
  }
  if (!t->implicit) {
    fputs("   # ", f);
    pr_loc(f, t->loc);
  }
  fputc('\n', f);
  if (t->implicit)
    return;
  depth++;
  if (t->scope && t->scope != *cur) { /* shown when it differs from the task before */
    pr_indent(f, depth);
    fprintf(f, "%-14s frame#%d\n", "vars", t->scope->id);
    *cur = t->scope;
  }
  pr_strlist(f, depth, "tags", t->tags);
  pr_root(pr, depth, "when", t->when);
  pr_root(pr, depth, t->with ? pc_sprintf(c, "with_%s", t->with) : "loop", t->loop);
  if (t->loop && (strcmp(t->loop_var, "item") || t->index_var || t->loop_extended)) {
    pr_indent(f, depth);
    fprintf(f, "%-14s loop_var=%s%s%s%s\n", "loop_control", t->loop_var, t->index_var ? " index_var=" : "",
            t->index_var ? t->index_var : "", t->loop_extended ? " extended" : "");
  }
  if (t->register_var) {
    pr_indent(f, depth);
    fprintf(f, "%-14s %s\n", "register", t->register_var);
  }
  pr_root(pr, depth, "changed_when", t->changed_when);
  pr_root(pr, depth, "failed_when", t->failed_when);
  pr_root(pr, depth, "until", t->until);
  for (int k = 0; k < RT_TK_COUNT; k++)
    pr_root(pr, depth, pr_tk[k], t->kw[k]);
  if (t->notify) {
    pr_indent(f, depth);
    fprintf(f, "%-14s", "notify");
    for (int i = 0; t->notify[i] >= 0; i++)
      fprintf(f, " handler#%d", t->notify[i]);
    fputc('\n', f);
  }
  pr_strlist(f, depth, "listen", t->listen);
  for (int k = 0; k < t->nkws; k++) {
    pr_indent(f, depth);
    fprintf(f, "%-14s ", t->kws[k].name);
    pr_expr(pr, t->kws[k].value);
    fputs(t->kws[k].runs ? "\n" : "   # not supported by playc -o yet\n", f);
  }
  pr_root(pr, depth, "args", t->args);
  for (int k = 0; t->tpl_names && t->tpl_names[k]; k++) { /* template: each file src can name, compiled */
    pr_indent(f, depth);
    fprintf(f, "%-14s ", "template");
    pr_str(f, t->tpl_names[k], strlen(t->tpl_names[k]));
    fputs(" = ", f);
    pr_expr(pr, t->tpl_render[k]);
    fputc('\n', f);
  }
  for (int k = 0; k < t->nunsup; k++) {
    pr_indent(f, depth);
    fprintf(f, "%-14s %s", "unsupported", t->unsup[k]->name);
    if (t->unsup[k]->value) {
      fputs(" = ", f);
      pr_expr(pr, t->unsup[k]->value);
    }
    fputc('\n', f);
  }
  if (t->fault) {
    pr_indent(f, depth);
    fprintf(f, "%-14s ", "fails");
    pr_str(f, t->fault, strlen(t->fault));
    fputc('\n', f);
  }
  if (t->include) {
    const IrInclude *in = t->include;
    pr_root(pr, depth, "file", in->file);
    if (in->params) {
      pr_indent(f, depth);
      fprintf(f, "%-14s frame#%d\n", "params", in->params->id);
    }
    for (int i = 0; i < in->n; i++) {
      pr_indent(f, depth);
      fputs("candidate ", f);
      pr_str(f, in->names[i], strlen(in->names[i]));
      fputc('\n', f);
      if (in->lists)
        pr_list(pr, c, &in->lists[i], depth + 1, cur);
      if (in->frames && in->frames[i]) {
        pr_indent(f, depth + 1);
        fprintf(f, "vars frame#%d\n", in->frames[i]->id);
      }
    }
  }
}

static void pr_block(Pr *pr, PcCtx *c, const IrBlock *b, int depth, const IrScope **cur) {
  FILE *f = pr->f;
  static const char *const names[3] = {"block", "rescue", "always"};
  pr_indent(f, depth);
  fputs(b->implicit ? "block implicit" : "block", f);
  if (b->name) {
    fputc(' ', f);
    pr_str(f, b->name, strlen(b->name));
  }
  if (b->from)
    fprintf(f, " (%s)", b->from);
  if (!b->implicit) {
    fputs("   # ", f);
    pr_loc(f, b->loc);
  }
  fputc('\n', f);
  for (int r = 0; r < 3; r++) {
    if (!b->regions[r].n)
      continue;
    if (r > 0 || b->regions[IR_RESCUE].n || b->regions[IR_ALWAYS].n) {
      pr_indent(f, depth + 1);
      fprintf(f, "%s:\n", names[r]);
      pr_list(pr, c, &b->regions[r], depth + 2, cur);
    } else {
      pr_list(pr, c, &b->regions[r], depth + 1, cur);
    }
  }
}

static void pr_list(Pr *pr, PcCtx *c, const IrList *l, int depth, const IrScope **cur) {
  for (int i = 0; i < l->n; i++) {
    if (l->items[i].task)
      pr_task(pr, c, l->items[i].task, depth, cur);
    else
      pr_block(pr, c, l->items[i].block, depth, cur);
  }
}

static void pr_scope(Pr *pr, const IrScope *sc) {
  FILE *f = pr->f;
  fprintf(f, "frame#%d %s %s", sc->id, pr_levels[sc->level], sc->what);
  if (sc->next)
    fprintf(f, " -> frame#%d", sc->next->id);
  if (sc->vault_text)
    fprintf(f, " vault file(%zu bytes)", sc->vault_len);
  fputc('\n', f);
  for (int v = 0; v < sc->nvars; v++) {
    fprintf(f, "  var %s%s = ", sc->vars[v].name, sc->vars[v].lazy ? " lazy" : "");
    pr_expr(pr, sc->vars[v].value);
    fputc('\n', f);
  }
}

/* The text plan of `p` into pr->f. */
static void pr_program(Pr *pr, PcCtx *c, const IrProgram *p) {
  FILE *f = pr->f;
  fprintf(f, "playbook %s\n", p->playbook);
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
    if (pl->scope)
      fprintf(f, "  %-14s frame#%d\n", "vars", pl->scope->id);
    pr_strlist(f, 1, "roles", pl->role_names);
    for (int k = 0; k < pl->nkws; k++) {
      fprintf(f, "  %-14s ", pl->kws[k].name);
      pr_expr(pr, pl->kws[k].value);
      fputs(pl->kws[k].runs ? "\n" : "   # not supported by playc -o yet\n", f);
    }
    for (int v = 0; v < pl->nprompts; v++) {
      fprintf(f, "  vars_prompt %s = ", pl->prompts[v].name);
      pr_expr(pr, pl->prompts[v].value);
      fputc('\n', f);
    }
    for (int v = 0; v < pl->nvars_files; v++) { /* templated: chosen per host */
      const IrInclude *in = pl->vars_files[v];
      pr_root(pr, 1, "vars_files", in->file);
      for (int k = 0; k < in->n; k++) {
        fputs("    candidate ", f);
        pr_str(f, in->names[k], strlen(in->names[k]));
        fprintf(f, " frame#%d\n", in->frames[k]->id);
      }
    }
    const IrScope *cur = pl->scope;
    pr_list(pr, c, &pl->blocks, 1, &cur);
    for (int h = 0; h < pl->nhandlers; h++) {
      fprintf(f, "  handler#%d:\n", h);
      pr_task(pr, c, pl->handlers[h], 2, &cur);
    }
  }
  for (int i = 0; i < p->nscopes; i++)
    pr_scope(pr, p->scopes[i]);
  for (int i = 0; i < p->nfiles; i++) {
    fputs("file ", f);
    pr_str(f, p->files[i].name, strlen(p->files[i].name));
    fprintf(f, " %zu bytes\n", p->files[i].size);
  }
}

char *ir_print_text(PcCtx *c, const IrProgram *p) {
  char *buf = NULL;
  size_t len = 0;
  Pr pr = {0};
  pr.refs = calloc((size_t)p->nroots + 1, sizeof *pr.refs);
  pr.held = calloc((size_t)p->nroots + 1, sizeof *pr.held);
  pr.done = calloc((size_t)p->nroots + 1, 1);
  pr.f = fopen("/dev/null", "w");
  PC_ASSERT(pr.refs && pr.held && pr.done && pr.f);
  pr.counting = true; /* first pass: which roots are reached from several places */
  pr_program(&pr, c, p);
  fclose(pr.f);
  memset(pr.done, 0, (size_t)p->nroots + 1);
  pr.counting = false;
  FILE *f = pr.f = open_memstream(&buf, &len);
  PC_ASSERT(f);
  pr_program(&pr, c, p);
  free(pr.refs);
  free(pr.held);
  free(pr.done);
  return pr_finish(c, f, &buf, &len);
}

/* ---- JSON ---------------------------------------------------------------- */

static void pj_loc(FILE *f, IrLoc l) {
  fputs("{\"file\": ", f);
  pr_str(f, l.file ? l.file : "", l.file ? strlen(l.file) : 0);
  fprintf(f, ", \"line\": %d, \"col\": %d}", l.line, l.col);
}

static void pj_expr(Pr *pr, const IrExpr *e) {
  FILE *f = pr->f;
  if (!e) {
    fputs("null", f);
    return;
  }
  if (e->id >= 0 && pr->done[e->id]) { /* a shared root printed before */
    fprintf(f, "{\"ref\": %d}", e->id);
    return;
  }
  if (e->id >= 0)
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
  if (e->op == IR_VAULT)
    fprintf(f, ", \"bytes\": %zu", e->slen);
  if (e->name)
    fprintf(f, ", \"name\": \"%s\"", e->name);
  if (e->op == IR_BINOP)
    fprintf(f, ", \"binop\": \"%s\"", pr_binops[e->binop]);
  if (e->op == IR_LOCAL || e->op == IR_FOR || e->op == IR_LOOP_CALL || e->op == IR_LOOP_CHANGED)
    fprintf(f, ", \"slot\": %d", e->slot);
  if (e->op == IR_FOR && e->recursive)
    fputs(", \"recursive\": true", f);
  if (e->op == IR_FOR && e->slot_aux >= 0)
    fprintf(f, ", \"changed_slot\": %d", e->slot_aux);
  if (e->op == IR_VAR && e->b)
    fputs(", \"no_context\": true", f);
  if (e->op == IR_FOR || (e->op == IR_TEMPLATE && e->slot_end))
    fprintf(f, ", \"locals\": [%d, %d]", e->slot_first, e->slot_end);
  if (e->op == IR_TEMPLATE && e->keep_nl)
    fprintf(f, ", \"newlines\": %d", e->keep_nl);
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
      pj_expr(pr, e->kids[i]);
    }
    fputc(']', f);
  }
  fputc('}', f);
}

static void pj_strs(FILE *f, const char *const *l) {
  fputc('[', f);
  for (int i = 0; l && l[i]; i++) {
    fputs(i ? ", " : "", f);
    pr_str(f, l[i], strlen(l[i]));
  }
  fputc(']', f);
}

static void pj_strval(FILE *f, const char *s) {
  if (s)
    pr_str(f, s, strlen(s));
  else
    fputs("null", f);
}

static void pj_list(Pr *pr, const IrList *l);

static void pj_task(Pr *pr, const IrTask *t) {
  FILE *f = pr->f;
  static const char *const kinds[] = {"module", "meta", "include_tasks", "include_role"};
  fprintf(f, "{\"id\": %d, \"kind\": \"%s\", \"name\": ", t->id, kinds[t->kind]);
  pr_str(f, t->name, strlen(t->name));
  fputs(", \"role\": ", f);
  pj_strval(f, t->role_name);
  fputs(", \"action\": ", f);
  pj_strval(f, t->action);
  fputs(", \"unsupported\": ", f);
  pj_strval(f, t->unsupported);
  fputs(", \"fails\": ", f);
  pj_strval(f, t->fault);
  fprintf(f, ", \"implicit\": %s, \"handler\": %s, \"loc\": ", t->implicit ? "true" : "false",
          t->handler ? "true" : "false");
  pj_loc(f, t->loc);
  fprintf(f, ", \"vars\": %d", t->scope ? t->scope->id : -1);
  fputs(", \"tags\": ", f);
  pj_strs(f, t->tags);
  fputs(", \"listen\": ", f);
  pj_strs(f, t->listen);
  fputs(", \"register\": ", f);
  pj_strval(f, t->register_var);
  fputs(", \"loop_var\": ", f);
  pj_strval(f, t->loop ? t->loop_var : NULL);
  fputs(", \"index_var\": ", f);
  pj_strval(f, t->index_var);
  fputs(", \"with\": ", f);
  pj_strval(f, t->with);
  fputs(", \"notify\": [", f);
  for (int i = 0; t->notify && t->notify[i] >= 0; i++)
    fprintf(f, "%s%d", i ? ", " : "", t->notify[i]);
  fputs("], \"when\": ", f);
  pj_expr(pr, t->when);
  fputs(", \"loop\": ", f);
  pj_expr(pr, t->loop);
  fputs(", \"changed_when\": ", f);
  pj_expr(pr, t->changed_when);
  fputs(", \"failed_when\": ", f);
  pj_expr(pr, t->failed_when);
  fputs(", \"until\": ", f);
  pj_expr(pr, t->until);
  fputs(", \"keywords\": {", f);
  for (int k = 0; k < t->nkws; k++) {
    fprintf(f, "%s\"%s\": ", k ? ", " : "", t->kws[k].name);
    pj_expr(pr, t->kws[k].value);
  }
  fputs("}, \"per_host\": {", f);
  for (int k = 0, n = 0; k < RT_TK_COUNT; k++)
    if (t->kw[k]) {
      fprintf(f, "%s\"%s\": ", n++ ? ", " : "", pr_tk[k]);
      pj_expr(pr, t->kw[k]);
    }
  fputs("}, \"args\": ", f);
  pj_expr(pr, t->args);
  if (t->tpl_names) {
    fputs(", \"templates\": [", f);
    for (int k = 0; t->tpl_names[k]; k++) {
      fputs(k ? ", {\"name\": " : "{\"name\": ", f);
      pr_str(f, t->tpl_names[k], strlen(t->tpl_names[k]));
      fputs(", \"render\": ", f);
      pj_expr(pr, t->tpl_render[k]);
      fputc('}', f);
    }
    fputc(']', f);
  }
  if (t->include) {
    const IrInclude *in = t->include;
    fputs(", \"include\": {\"file\": ", f);
    pj_expr(pr, in->file);
    fprintf(f, ", \"params\": %d, \"candidates\": [", in->params ? in->params->id : -1);
    for (int i = 0; i < in->n; i++) {
      fputs(i ? ", " : "", f);
      fputs("{\"name\": ", f);
      pr_str(f, in->names[i], strlen(in->names[i]));
      if (in->lists) {
        fputs(", \"blocks\": ", f);
        pj_list(pr, &in->lists[i]);
      }
      if (in->frames)
        fprintf(f, ", \"vars\": %d", in->frames[i] ? in->frames[i]->id : -1);
      fputc('}', f);
    }
    fputs("]}", f);
  }
  fputc('}', f);
}

static void pj_block(Pr *pr, const IrBlock *b) {
  FILE *f = pr->f;
  fprintf(f, "{\"block\": %d, \"implicit\": %s, \"name\": ", b->id, b->implicit ? "true" : "false");
  pj_strval(f, b->name);
  fputs(", \"from\": ", f);
  pj_strval(f, b->from);
  fputs(", \"loc\": ", f);
  pj_loc(f, b->loc);
  static const char *const names[3] = {"block", "rescue", "always"};
  for (int r = 0; r < 3; r++) {
    fprintf(f, ", \"%s\": ", names[r]);
    pj_list(pr, &b->regions[r]);
  }
  fputc('}', f);
}

static void pj_list(Pr *pr, const IrList *l) {
  FILE *f = pr->f;
  fputc('[', f);
  for (int i = 0; i < l->n; i++) {
    fputs(i ? ", " : "", f);
    if (l->items[i].task)
      pj_task(pr, l->items[i].task);
    else
      pj_block(pr, l->items[i].block);
  }
  fputc(']', f);
}

static void pj_play(Pr *pr, const IrPlay *pl) {
  FILE *f = pr->f;
  fputs("{\"name\": ", f);
  pr_str(f, pl->name, strlen(pl->name));
  fputs(", \"hosts\": ", f);
  pr_str(f, pl->hosts, strlen(pl->hosts));
  fprintf(f, ", \"gather_facts\": %s, \"force_handlers\": %s, \"connection\": ", pl->gather_facts ? "true" : "false",
          pl->force_handlers ? "true" : "false");
  pj_strval(f, pl->connection);
  fputs(", \"loc\": ", f);
  pj_loc(f, pl->loc);
  fprintf(f, ", \"vars\": %d, \"roles\": ", pl->scope ? pl->scope->id : -1);
  pj_strs(f, pl->role_names);
  fputs(", \"keywords\": {", f);
  for (int k = 0; k < pl->nkws; k++) {
    fprintf(f, "%s\"%s\": ", k ? ", " : "", pl->kws[k].name);
    pj_expr(pr, pl->kws[k].value);
  }
  fputs("}, \"vars_files\": [", f);
  for (int v = 0; v < pl->nvars_files; v++) {
    const IrInclude *in = pl->vars_files[v];
    fputs(v ? ", {\"file\": " : "{\"file\": ", f);
    pj_expr(pr, in->file);
    fputs(", \"candidates\": [", f);
    for (int k = 0; k < in->n; k++) {
      fputs(k ? ", {\"name\": " : "{\"name\": ", f);
      pr_str(f, in->names[k], strlen(in->names[k]));
      fprintf(f, ", \"vars\": %d}", in->frames[k]->id);
    }
    fputs("]}", f);
  }
  fputs("], \"blocks\": ", f);
  pj_list(pr, &pl->blocks);
  fputs(", \"handlers\": [", f);
  for (int h = 0; h < pl->nhandlers; h++) {
    fputs(h ? ", " : "", f);
    pj_task(pr, pl->handlers[h]);
  }
  fputs("]}", f);
}

static void pj_scope(Pr *pr, const IrScope *sc) {
  FILE *f = pr->f;
  fprintf(f, "{\"id\": %d, \"level\": \"%s\", \"what\": ", sc->id, pr_levels[sc->level]);
  pr_str(f, sc->what, strlen(sc->what));
  fprintf(f, ", \"next\": %d, ", sc->next ? sc->next->id : -1);
  if (sc->vault_text)
    fprintf(f, "\"vault_bytes\": %zu, ", sc->vault_len);
  fputs("\"vars\": [", f);
  for (int v = 0; v < sc->nvars; v++) {
    fprintf(f, "%s{\"name\": ", v ? ", " : "");
    pr_str(f, sc->vars[v].name, strlen(sc->vars[v].name));
    fprintf(f, ", \"lazy\": %s, \"value\": ", sc->vars[v].lazy ? "true" : "false");
    pj_expr(pr, sc->vars[v].value);
    fputc('}', f);
  }
  fputs("]}", f);
}

char *ir_print_json(PcCtx *c, const IrProgram *p) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  Pr pr_ = {f, NULL, NULL, calloc((size_t)p->nroots + 1, 1), false}, *pr = &pr_;
  PC_ASSERT(f && pr->done);
  fputs("{\"playbook\": ", f);
  pr_str(f, p->playbook, strlen(p->playbook));
  fputs(", \"plays\": [", f);
  for (int i = 0; i < p->nplays; i++) {
    fputs(i ? ", " : "", f);
    pj_play(pr, &p->plays[i]);
  }
  fputs("], \"frames\": [", f);
  for (int i = 0; i < p->nscopes; i++) {
    fputs(i ? ", " : "", f);
    pj_scope(pr, p->scopes[i]);
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
  free(pr->done);
  return pr_finish(c, f, &buf, &len);
}
