/*
 * print.c — the plan: a deterministic rendering of the IR for code review and
 * golden tests (`playc --plan`), as text or JSON. Every expr shows its op and
 * static type. Locations are printed with the path as given on the command
 * line. No addresses, no hash order: the same input gives the same bytes.
 * What the plan names (shared exprs, handlers, frames) it names by where it
 * is written, FILE:LINE:COL (#NTH for the NTH of the same place), never by a
 * number counted over the program: a one-line edit changes the plan's lines
 * of what it touches, not the names of everything after it.
 *
 * A root reached from several places (a shared expr: a YAML alias, a Jinja
 * operand used twice) is printed in full once, the first time, as
 * `expr@LOC = tree`, and as `expr@LOC` after (in JSON: {"ref": N}); a first pass
 * counts the kids that refer to each root, so that what no kid shares prints
 * in full where it is held. So the plan's size is the IR's, and a YAML alias
 * bomb plans in a few lines.
 */
#include "ir.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The printer's output: a buffer, flushed to `to` when it fills (or kept
 * whole, a string, when `to` is NULL); `discard` throws everything away
 * without formatting it (the counting pass). */
typedef struct PrOut {
  bool discard;
  FILE *to;
  char *buf;
  size_t len, cap;
  size_t flushed; /* bytes written to `to` so far */
  bool failed; /* a write to `to` failed */
} PrOut;

static void o_room(PrOut *o, size_t n) {
  if (o->len + n <= o->cap)
    return;
  if (o->to && o->len) {
    if (fwrite(o->buf, 1, o->len, o->to) != o->len)
      o->failed = true;
    o->flushed += o->len;
    o->len = 0;
  }
  if (o->len + n <= o->cap)
    return;
  size_t cap = o->cap ? o->cap * 2 : 65536;
  while (cap < o->len + n)
    cap *= 2;
  o->buf = realloc(o->buf, cap);
  PC_ASSERT(o->buf);
  o->cap = cap;
}

static void o_n(PrOut *o, const char *s, size_t n) {
  if (o->discard || !n) /* nothing: buf may not exist yet */
    return;
  o_room(o, n);
  memcpy(o->buf + o->len, s, n);
  o->len += n;
}

static void o_c(PrOut *o, int ch) {
  if (o->discard)
    return;
  o_room(o, 1);
  o->buf[o->len++] = (char)ch;
}

static void o_s(PrOut *o, const char *s) {
  if (!o->discard)
    o_n(o, s, strlen(s));
}

static void o_f(PrOut *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void o_f(PrOut *o, const char *fmt, ...) {
  if (o->discard)
    return;
  o_room(o, 128); /* most fit: formatted once, in place */
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
  va_end(ap);
  PC_ASSERT(n >= 0);
  if ((size_t)n >= o->cap - o->len) {
    o_room(o, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  o->len += (size_t)n;
}

/* `v` in decimal, without printf (a plan prints a few numbers per task). */
static void o_i(PrOut *o, long long v) {
  if (o->discard)
    return;
  char buf[24], *p = buf + sizeof buf;
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  do
    *--p = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0)
    *--p = '-';
  o_n(o, p, (size_t)(buf + sizeof buf - p));
}

/* Ends output `o`: flushed to o->to (false when a write failed), or its
 * text copied into the arena (*text). */
static bool o_finish(PcCtx *c, PrOut *o, char **text) {
  bool ok = true;
  if (o->to) {
    if (o->len && fwrite(o->buf, 1, o->len, o->to) != o->len)
      o->failed = true;
    ok = !o->failed;
  } else {
    *text = pc_strndup(c, o->buf ? o->buf : "", o->len);
  }
  free(o->buf);
  return ok;
}

static const char *const pr_binops[] = {"+", "-", "*", "/", "//", "%", "**", "~",
                                        "==", "!=", "<", "<=", ">", ">=", "in", "not in"};

/* The text of a string literal, escaped (runs of plain bytes copied whole). */
static void pr_str_body(PrOut *f, const char *s, size_t n) {
  size_t from = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch >= 0x20 && ch != 0x7f && ch != '"' && ch != '\\')
      continue;
    o_n(f, s + from, i - from);
    from = i + 1;
    if (ch == '"' || ch == '\\')
      o_f(f, "\\%c", ch);
    else if (ch == '\n')
      o_s(f, "\\n");
    else if (ch == '\t')
      o_s(f, "\\t");
    else if (ch == '\r')
      o_s(f, "\\r");
    else
      o_f(f, "\\u%04x", ch);
  }
  o_n(f, s + from, n - from);
}

static void pr_str(PrOut *f, const char *s, size_t n) {
  if (f->discard)
    return;
  o_c(f, '"');
  pr_str_body(f, s, n);
  o_c(f, '"');
}

/* Python repr of a float: shortest round-tripping digits, always with a dot. */
static void pr_float(PrOut *f, double d, bool json) {
  if (isnan(d)) {
    o_s(f, json ? "\"nan\"" : "nan");
    return;
  }
  if (isinf(d)) {
    o_s(f, d < 0 ? (json ? "\"-inf\"" : "-inf") : (json ? "\"inf\"" : "inf"));
    return;
  }
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (strtod(buf, NULL) == d)
      break;
  }
  o_s(f, buf);
  if (!strpbrk(buf, ".e"))
    o_s(f, ".0");
}

static void pr_const(PrOut *f, const IrExpr *e, bool json) {
  switch (e->type) {
  case TY_NONE: o_s(f, json ? "null" : "none"); break;
  case TY_BOOL: o_s(f, e->b ? "true" : "false"); break;
  case TY_INT:
    if (e->s) /* past 64 bits */
      o_n(f, e->s, strnlen(e->s, e->slen));
    else
      o_i(f, (long long)e->i);
    break;
  case TY_FLOAT: pr_float(f, e->f, json); break;
  case TY_STR: pr_str(f, e->s, e->slen); break;
  default: o_s(f, "?"); break;
  }
}

/* A printer: its output, and what the first pass learnt of the roots. */
typedef struct Pr {
  PcCtx *c;
  PrOut *f;
  const char **names; /* by root id: its stable name once defined (expr@FILE:LINE:COL[#NTH]) */
  PcMap nth;          /* "FILE:LINE:COL" → how many shared roots were named there so far */
  const char **handlers; /* the play's handlers by index: handler@FILE:LINE:COL[#NTH] */
  int32_t *refs; /* by root id: the kids that refer to it (first pass) */
  int32_t *held; /* by root id: the places of the plan that hold it (first pass) */
  bool *done;    /* by root id: printed in full already */
  bool counting; /* the first pass (output discarded, unformatted) */
  /* A plan printed in parts (IrPrinter): by root id, the part that reached
   * it first (0: none yet); `mixed` once one is reached from two parts. */
  int32_t *owner;
  int32_t part;
  bool mixed;
  PcVec touched; /* roots the part's counting pass marked done (ids as pointers) */
} Pr;

/* Notes that the current part reaches root `id` (parts only). */
static void pr_own(Pr *pr, int32_t id) {
  if (!pr->owner)
    return;
  if (!pr->owner[id])
    pr->owner[id] = pr->part;
  else if (pr->owner[id] != pr->part)
    pr->mixed = true;
}

static void pr_expr(Pr *pr, const IrExpr *e);
static void pr_kid(Pr *pr, const IrExpr *e);

static void pr_kids(Pr *pr, const IrExpr *e, int from) {
  PrOut *f = pr->f;
  o_c(f, '(');
  for (int i = from; i < e->nkids; i++) {
    if (i > from)
      o_s(f, ", ");
    int kw = i - (e->nkids - ir_xr(e)->nkw);
    if (kw >= 0) /* `*args` and `**kwargs` are named "*" and "**" (jinja.h) */
      o_f(f, ir_xr(e)->kwnames[kw][0] == '*' ? "%s" : "%s=", ir_xr(e)->kwnames[kw]);
    pr_kid(pr, e->kids[i]);
  }
  o_c(f, ')');
}

static void pr_tree(Pr *pr, const IrExpr *e) {
  PrOut *f = pr->f;
  switch (e->op) {
  case IR_CONST: o_s(f, "const "); pr_const(f, e, false); break;
  case IR_VAULT: o_f(f, "vault(%u bytes)", (unsigned)e->slen); break; /* the text's size only: deterministic */
  case IR_ERROR: o_s(f, "error "); pr_str(f, e->s, e->slen); break;
  case IR_UNSAFE: o_s(f, "unsafe "); pr_str(f, e->s, e->slen); break;
  case IR_VAR:
    o_s(f, "var ");
    o_s(f, e->name);
    if (e->b)
      o_s(f, " (undefined: no context)");
    break;
  case IR_LIST:
    o_c(f, e->b ? '(' : '[');
    for (int i = 0; i < e->nkids; i++) {
      o_s(f, i ? ", " : "");
      pr_kid(pr, e->kids[i]);
    }
    o_s(f, e->b ? (e->nkids == 1 ? ",)" : ")") : "]");
    break;
  case IR_DICT:
    o_c(f, '{');
    for (int i = 0; i + 1 < e->nkids; i += 2) {
      o_s(f, i ? ", " : "");
      if (e->kids[i]->op == IR_CONST && e->kids[i]->type == TY_STR && !ir_is_ref(e->kids[i]))
        o_n(f, e->kids[i]->s, strnlen(e->kids[i]->s, e->kids[i]->slen)); /* as %.*s: to a NUL */
      else
        pr_kid(pr, e->kids[i]);
      o_s(f, ": ");
      pr_kid(pr, e->kids[i + 1]);
    }
    o_c(f, '}');
    break;
  case IR_GETATTR: o_s(f, "getattr"); pr_kids(pr, e, 0); o_f(f, ".%s", e->name); break;
  case IR_LOCAL: o_f(f, "local %s#%d", e->name, ir_xr(e)->slot); break; /* its fallback is what the name means outside */
  case IR_FOR:
    o_f(f, "for%s loop#%d locals#%d..%d", e->recursive ? " recursive" : "", ir_xr(e)->slot, ir_xr(e)->slot_first, ir_xr(e)->slot_end);
    if (ir_xr(e)->slot_aux >= 0)
      o_f(f, " changed#%d", ir_xr(e)->slot_aux);
    pr_kids(pr, e, 0);
    break;
  case IR_LOOP_CALL: o_f(f, "loop-call loop#%d", ir_xr(e)->slot); pr_kids(pr, e, 0); break;
  case IR_LOOP_CHANGED: o_f(f, "loop-changed changed#%d", ir_xr(e)->slot); pr_kids(pr, e, 0); break;
  case IR_SETATTR: o_f(f, "setattr .%s", e->name); pr_kids(pr, e, 0); break;
  case IR_TEMPLATE:
    o_s(f, "template");
    if (ir_xr(e)->slot_end || ir_xr(e)->keep_nl)
      o_f(f, " locals#%d newlines#%d", ir_xr(e)->slot_end, ir_xr(e)->keep_nl);
    pr_kids(pr, e, 0);
    break;
  case IR_BINOP: o_s(f, "binop "); o_s(f, pr_binops[e->binop]); pr_kids(pr, e, 0); break;
  case IR_LOOKUP:
    if (!e->b)
      goto plain;
    o_f(f, "%s %s", ir_op_names[e->op], e->name); /* lookup()/query(): the plugin's name */
    pr_kids(pr, e, 0);
    break;
  case IR_CALL: /* a global function, by name */
    if (!e->name)
      goto plain;
    o_f(f, "%s %s", ir_op_names[e->op], e->name);
    pr_kids(pr, e, 0);
    break;
  case IR_FILTER: case IR_TEST: case IR_METHOD:
    o_s(f, ir_op_names[e->op]);
    o_c(f, ' ');
    o_s(f, e->name);
    pr_kids(pr, e, 0);
    break;
  default:
  plain:
    o_s(f, ir_op_names[e->op]);
    pr_kids(pr, e, 0);
    break;
  }
  o_n(f, ": ", 2);
  o_s(f, ir_type_name(e->type));
  if (ir_xr(e)->unsupported)
    o_s(f, " unsupported");
}

/* A stable name for what is written at `loc`: PREFIX@FILE:LINE:COL, then
 * #NTH (counted in `nth`) when it is the NTH such name of that location. Two
 * names differ only where their sources do, so an edit renames nothing
 * elsewhere (root and handler numbers would shift after it). */
static const char *pr_loc_name(PcCtx *c, PcMap *nth, const char *prefix, IrLoc l) {
  const char *at = l.file ? pc_sprintf(c, "%s:%d:%d", l.file, (int)l.line, (int)l.col) : "?";
  size_t len = strlen(at);
  intptr_t n = (intptr_t)pc_map_get(nth, at, len) + 1;
  pc_map_put(c, nth, at, len, (void *)n);
  return n > 1 ? pc_sprintf(c, "%s@%s#%d", prefix, at, (int)n) : pc_sprintf(c, "%s@%s", prefix, at);
}

/* `expr@LOC = tree` the first time root `e` is printed, `expr@LOC` after. */
static void pr_def(Pr *pr, const IrExpr *e) {
  if (pr->done[e->id]) {
    o_s(pr->f, pr->names[e->id]);
    return;
  }
  pr->done[e->id] = true;
  pr->names[e->id] = pr_loc_name(pr->c, &pr->nth, "expr", e->loc);
  o_s(pr->f, pr->names[e->id]);
  o_s(pr->f, " = ");
  pr_tree(pr, e);
}

/* Prints kid `e` of another expr: a root referred to from several places
 * (a shared expr) is defined once and referred to after. */
static void pr_kid(Pr *pr, const IrExpr *e) {
  if (!ir_is_ref(e)) {
    pr_tree(pr, e);
  } else if (pr->counting) {
    pr->refs[e->id]++;
    pr_own(pr, e->id);
    if (!pr->done[e->id]) {
      pr->done[e->id] = true;
      if (pr->owner)
        pc_vec_push(pr->c, &pr->touched, (void *)(intptr_t)e->id);
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
    pr_own(pr, e->id);
    if (!pr->done[e->id]) {
      pr->done[e->id] = true;
      if (pr->owner)
        pc_vec_push(pr->c, &pr->touched, (void *)(intptr_t)e->id);
      pr_tree(pr, e);
    }
  } else if (pr->refs[e->id] == 0) {
    pr_tree(pr, e);
  } else {
    pr_def(pr, e);
  }
}

static void pr_loc(PrOut *f, IrLoc l) {
  o_s(f, l.file);
  o_c(f, ':');
  o_i(f, l.line);
  o_c(f, ':');
  o_i(f, l.col);
}

/* A frame by its stable name (IrScope.loc, nth): frame@FILE:LINE:COL[#NTH]. */
static void pr_frame(PrOut *f, const IrScope *sc) {
  o_s(f, "frame@");
  pr_loc(f, sc->loc);
  if (sc->nth > 1)
    o_f(f, "#%d", sc->nth);
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
                                              "throttle", "timeout", "async", "poll", "remote_user", "port",
                                              "connection", "delegate_facts"};

/* A keyword's label, padded to 14 columns, and a space. */
static void pr_label(PrOut *f, const char *label) {
  static const char pad[] = "               ";
  if (f->discard)
    return;
  size_t n = strlen(label);
  o_n(f, label, n);
  o_n(f, pad, n < 14 ? 15 - n : 1);
}

static void pr_indent(PrOut *f, int depth) {
  static const char sp[] = "                                ";
  if (f->discard)
    return;
  for (; depth > 16; depth -= 16)
    o_n(f, sp, 32);
  o_n(f, sp, (size_t)depth * 2);
}

static void pr_root(Pr *pr, int depth, const char *label, const IrExpr *e) {
  PrOut *f = pr->f;
  if (!e)
    return;
  pr_indent(f, depth);
  pr_label(f, label);
  pr_expr(pr, e);
  o_c(f, '\n');
}

static void pr_strlist(PrOut *f, int depth, const char *label, const char *const *l) {
  if (!l || !l[0])
    return;
  pr_indent(f, depth);
  o_f(f, "%-14s [", label);
  for (int i = 0; l[i]; i++) {
    o_s(f, i ? ", " : "");
    pr_str(f, l[i], strlen(l[i]));
  }
  o_s(f, "]\n");
}

static void pr_list(Pr *pr, PcCtx *c, const IrList *l, int depth, const IrScope **cur);

static void pr_task(Pr *pr, PcCtx *c, const IrTask *t, int depth, const IrScope **cur) {
  PrOut *f = pr->f;
  pr_indent(f, depth);
  o_s(f, t->handler ? "handler " : "task ");
  if (t->role_name && !t->implicit) { /* "role : name" */
    o_c(f, '"');
    pr_str_body(f, t->role_name, strlen(t->role_name));
    o_s(f, " : ");
    pr_str_body(f, t->name, strlen(t->name));
    o_c(f, '"');
  } else {
    pr_str(f, t->name, strlen(t->name));
  }
  switch (t->kind) {
  case IR_TASK_MODULE:
    if (t->module >= 0) {
      o_c(f, ' ');
      o_s(f, t->action);
    }
    else
      o_f(f, " %s unsupported(%s)", t->action, t->unsupported ? t->unsupported : "?");
    break;
  case IR_TASK_META: o_f(f, " meta %s%s", t->action, t->implicit ? " implicit" : ""); break;
  case IR_TASK_INCLUDE_TASKS: o_f(f, " include_tasks%s", t->unsupported ? " unsupported(unbounded)" : ""); break;
  case IR_TASK_INCLUDE_ROLE: o_f(f, " include_role%s", t->unsupported ? " unsupported(unbounded)" : ""); break;
  }
  if (!t->implicit) {
    o_s(f, "   # ");
    pr_loc(f, t->loc);
  }
  o_c(f, '\n');
  if (t->implicit)
    return;
  depth++;
  if (t->scope && t->scope != *cur) { /* shown when it differs from the task before */
    pr_indent(f, depth);
    pr_label(f, "vars");
    pr_frame(f, t->scope);
    o_c(f, '\n');
    *cur = t->scope;
  }
  pr_strlist(f, depth, "tags", t->tags);
  pr_root(pr, depth, "when", t->when);
  pr_root(pr, depth, t->with ? pc_sprintf(c, "with_%s", t->with) : "loop", t->loop);
  if (t->loop && (strcmp(t->loop_var, "item") || t->index_var || t->loop_extended)) {
    pr_indent(f, depth);
    o_f(f, "%-14s loop_var=%s%s%s%s\n", "loop_control", t->loop_var, t->index_var ? " index_var=" : "",
            t->index_var ? t->index_var : "", t->loop_extended ? " extended" : "");
  }
  if (t->register_var) {
    pr_indent(f, depth);
    pr_label(f, "register");
    o_s(f, t->register_var);
    o_c(f, '\n');
  }
  pr_root(pr, depth, "changed_when", t->changed_when);
  pr_root(pr, depth, "failed_when", t->failed_when);
  pr_root(pr, depth, "until", t->until);
  for (int k = 0; k < RT_TK_COUNT; k++)
    pr_root(pr, depth, pr_tk[k], ir_task_kw(t, k));
  if (t->notify) {
    pr_indent(f, depth);
    o_f(f, "%-14s", "notify");
    for (int i = 0; t->notify[i] >= 0; i++) {
      o_c(f, ' ');
      o_s(f, pr->handlers[t->notify[i]]);
    }
    o_c(f, '\n');
  }
  pr_strlist(f, depth, "listen", t->listen);
  for (int k = 0; k < t->nkws; k++) {
    pr_indent(f, depth);
    pr_label(f, t->kws[k].name);
    pr_expr(pr, t->kws[k].value);
    o_s(f, t->kws[k].runs ? "\n" : "   # not supported by playc -o yet\n");
  }
  pr_root(pr, depth, "args", t->args);
  for (int k = 0; t->tpl_names && t->tpl_names[k]; k++) { /* template: each file src can name, compiled */
    pr_indent(f, depth);
    pr_label(f, "template");
    pr_str(f, t->tpl_names[k], strlen(t->tpl_names[k]));
    o_s(f, " = ");
    pr_expr(pr, t->tpl_render[k]);
    o_c(f, '\n');
  }
  for (int k = 0; k < t->nunsup; k++) {
    pr_indent(f, depth);
    o_f(f, "%-14s %s", "unsupported", t->unsup[k]->name);
    if (t->unsup[k]->value) {
      o_s(f, " = ");
      pr_expr(pr, t->unsup[k]->value);
    }
    o_c(f, '\n');
  }
  if (t->fault) {
    pr_indent(f, depth);
    pr_label(f, "fails");
    pr_str(f, t->fault, strlen(t->fault));
    o_c(f, '\n');
  }
  if (t->include) {
    const IrInclude *in = t->include;
    pr_root(pr, depth, "file", in->file);
    if (in->params) {
      pr_indent(f, depth);
      pr_label(f, "params");
      pr_frame(f, in->params);
      o_c(f, '\n');
    }
    for (int i = 0; i < in->n; i++) {
      pr_indent(f, depth);
      o_s(f, "candidate ");
      pr_str(f, in->names[i], strlen(in->names[i]));
      o_c(f, '\n');
      if (in->lists)
        pr_list(pr, c, &in->lists[i], depth + 1, cur);
      if (in->frames && in->frames[i]) {
        pr_indent(f, depth + 1);
        o_s(f, "vars ");
        pr_frame(f, in->frames[i]);
        o_c(f, '\n');
      }
    }
  }
}

static void pr_block_head(Pr *pr, const IrBlock *b, int depth) {
  PrOut *f = pr->f;
  pr_indent(f, depth);
  o_s(f, b->implicit ? "block implicit" : "block");
  if (b->name) {
    o_c(f, ' ');
    pr_str(f, b->name, strlen(b->name));
  }
  if (b->from)
    o_f(f, " (%s)", b->from);
  if (!b->implicit) {
    o_s(f, "   # ");
    pr_loc(f, b->loc);
  }
  o_c(f, '\n');
}

static void pr_block(Pr *pr, PcCtx *c, const IrBlock *b, int depth, const IrScope **cur) {
  PrOut *f = pr->f;
  static const char *const names[3] = {"block", "rescue", "always"};
  pr_block_head(pr, b, depth);
  for (int r = 0; r < 3; r++) {
    if (!b->regions[r].n)
      continue;
    if (r > 0 || b->regions[IR_RESCUE].n || b->regions[IR_ALWAYS].n) {
      pr_indent(f, depth + 1);
      o_f(f, "%s:\n", names[r]);
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
  PrOut *f = pr->f;
  pr_frame(f, sc);
  o_f(f, " %s %s", pr_levels[sc->level], sc->what);
  if (sc->next)
  {
    o_s(f, " -> ");
    pr_frame(f, sc->next);
  }
  if (sc->vault_text)
    o_f(f, " vault file(%zu bytes)", sc->vault_len);
  o_c(f, '\n');
  for (int v = 0; v < sc->nvars; v++) {
    o_f(f, "  var %s%s = ", sc->vars[v].name, sc->vars[v].lazy ? " lazy" : "");
    pr_expr(pr, sc->vars[v].value);
    o_c(f, '\n');
  }
}

static void pr_play_head(Pr *pr, PcCtx *c, int i, const IrPlay *pl) {
  PrOut *f = pr->f;
  o_f(f, "play %d ", i);
  pr_str(f, pl->name, strlen(pl->name));
  o_f(f, " hosts=%s gather_facts=%s", pl->hosts, pl->gather_facts ? "true" : "false");
  if (pl->connection)
    o_f(f, " connection=%s", pl->connection);
  o_s(f, "   # ");
  pr_loc(f, pl->loc);
  o_c(f, '\n');
  if (pl->scope)
  {
    o_f(f, "  %-14s ", "vars");
    pr_frame(f, pl->scope);
    o_c(f, '\n');
  }
  pr_strlist(f, 1, "roles", pl->role_names);
  for (int k = 0; k < pl->nkws; k++) {
    o_f(f, "  %-14s ", pl->kws[k].name);
    pr_expr(pr, pl->kws[k].value);
    o_s(f, pl->kws[k].runs ? "\n" : "   # not supported by playc -o yet\n");
  }
  for (int v = 0; v < pl->nprompts; v++) {
    o_f(f, "  vars_prompt %s = ", pl->prompts[v].name);
    pr_expr(pr, pl->prompts[v].value);
    o_c(f, '\n');
  }
  for (int v = 0; v < pl->nvars_files; v++) { /* templated: chosen per host */
    const IrInclude *in = pl->vars_files[v];
    pr_root(pr, 1, "vars_files", in->file);
    for (int k = 0; k < in->n; k++) {
      o_s(f, "    candidate ");
      pr_str(f, in->names[k], strlen(in->names[k]));
      o_c(f, ' ');
      pr_frame(f, in->frames[k]);
      o_c(f, '\n');
    }
  }
  PcMap hnth = {0}; /* a handler's #NTH counts the play's handlers written at its place */
  pr->handlers = pc_alloc(c, sizeof(char *) * (size_t)(pl->nhandlers + 1));
  for (int h = 0; h < pl->nhandlers; h++)
    pr->handlers[h] = pr_loc_name(c, &hnth, "handler", pl->handlers[h]->loc);
  (void)hnth;
}

static void pr_play_tail(Pr *pr, PcCtx *c, const IrPlay *pl, const IrScope **cur) {
  for (int h = 0; h < pl->nhandlers; h++) {
    o_f(pr->f, "  %s:\n", pr->handlers[h]);
    pr_task(pr, c, pl->handlers[h], 2, cur);
  }
}

static void pr_tail(Pr *pr, const IrProgram *p) {
  PrOut *f = pr->f;
  for (int i = 0; i < p->nscopes; i++)
    pr_scope(pr, p->scopes[i]);
  for (int i = 0; i < p->nfiles; i++) {
    o_s(f, "file ");
    pr_str(f, p->files[i].name, strlen(p->files[i].name));
    o_f(f, " %zu bytes\n", p->files[i].size);
  }
}

/* The text plan of `p` into pr->f. */
static void pr_program(Pr *pr, PcCtx *c, const IrProgram *p) {
  PrOut *f = pr->f;
  o_f(f, "playbook %s\n", p->playbook);
  for (int i = 0; i < p->nplays; i++) {
    const IrPlay *pl = &p->plays[i];
    pr_play_head(pr, c, i, pl);
    const IrScope *cur = pl->scope;
    pr_list(pr, c, &pl->blocks, 1, &cur);
    pr_play_tail(pr, c, pl, &cur);
  }
  pr_tail(pr, p);
}

/* The text plan into `o` (see o_finish). */
static bool pr_text(PcCtx *c, const IrProgram *p, PrOut *o, char **text) {
  Pr pr = {0};
  PrOut discard = {.discard = true};
  pr.refs = calloc((size_t)p->nroots + 1, sizeof *pr.refs);
  pr.held = calloc((size_t)p->nroots + 1, sizeof *pr.held);
  pr.done = calloc((size_t)p->nroots + 1, 1);
  PC_ASSERT(pr.refs && pr.held && pr.done);
  pr.c = c;
  pr.names = pc_alloc(c, sizeof(char *) * ((size_t)p->nroots + 1));
  pr.f = &discard;
  pr.counting = true; /* first pass: which roots are reached from several places */
  pr_program(&pr, c, p);
  memset(pr.done, 0, (size_t)p->nroots + 1);
  pr.counting = false;
  pr.f = o;
  pr_program(&pr, c, p);
  free(pr.refs);
  free(pr.held);
  free(pr.done);
  return o_finish(c, o, text);
}

char *ir_print_text(PcCtx *c, const IrProgram *p) {
  PrOut o = {0};
  char *text = NULL;
  pr_text(c, p, &o, &text);
  return text;
}

bool ir_print_text_to(PcCtx *c, const IrProgram *p, FILE *to) {
  PrOut o = {.to = to};
  return pr_text(c, p, &o, NULL);
}

/* ---- JSON ---------------------------------------------------------------- */

static void pj_loc(PrOut *f, IrLoc l) {
  o_s(f, "{\"file\": ");
  pr_str(f, l.file ? l.file : "", l.file ? strlen(l.file) : 0);
  o_f(f, ", \"line\": %d, \"col\": %d}", l.line, l.col);
}

static void pj_expr(Pr *pr, const IrExpr *e) {
  PrOut *f = pr->f;
  if (!e) {
    o_s(f, "null");
    return;
  }
  if (e->id >= 0)
    pr_own(pr, e->id);
  if (e->id >= 0 && pr->done[e->id]) { /* a shared root printed before */
    o_f(f, "{\"ref\": %d}", e->id);
    return;
  }
  if (e->id >= 0)
    pr->done[e->id] = true;
  o_f(f, "{\"op\": \"%s\", \"type\": \"%s\"", ir_op_names[e->op], ir_type_name(e->type));
  if (e->id >= 0)
    o_f(f, ", \"id\": %d", e->id);
  if (e->src) {
    o_s(f, ", \"src\": ");
    pr_str(f, e->src, strlen(e->src));
  }
  if (e->op == IR_CONST) {
    o_s(f, ", \"value\": ");
    pr_const(f, e, true);
  }
  if (e->op == IR_VAULT)
    o_f(f, ", \"bytes\": %u", (unsigned)e->slen);
  if (e->op == IR_ERROR) {
    o_s(f, ", \"message\": ");
    pr_str(f, e->s, e->slen);
  }
  if (e->op == IR_UNSAFE) {
    o_s(f, ", \"value\": ");
    pr_str(f, e->s, e->slen);
  }
  if (e->name)
    o_f(f, ", \"name\": \"%s\"", e->name);
  if (e->op == IR_BINOP)
    o_f(f, ", \"binop\": \"%s\"", pr_binops[e->binop]);
  if (e->op == IR_LOCAL || e->op == IR_FOR || e->op == IR_LOOP_CALL || e->op == IR_LOOP_CHANGED)
    o_f(f, ", \"slot\": %d", ir_xr(e)->slot);
  if (e->op == IR_FOR && e->recursive)
    o_s(f, ", \"recursive\": true");
  if (e->op == IR_FOR && ir_xr(e)->slot_aux >= 0)
    o_f(f, ", \"changed_slot\": %d", ir_xr(e)->slot_aux);
  if (e->op == IR_VAR && e->b)
    o_s(f, ", \"no_context\": true");
  if (e->op == IR_FOR || (e->op == IR_TEMPLATE && ir_xr(e)->slot_end))
    o_f(f, ", \"locals\": [%d, %d]", ir_xr(e)->slot_first, ir_xr(e)->slot_end);
  if (e->op == IR_TEMPLATE && ir_xr(e)->keep_nl)
    o_f(f, ", \"newlines\": %d", ir_xr(e)->keep_nl);
  if (ir_xr(e)->nkw) {
    o_s(f, ", \"kwnames\": [");
    for (int i = 0; i < ir_xr(e)->nkw; i++)
      o_f(f, "%s\"%s\"", i ? ", " : "", ir_xr(e)->kwnames[i]);
    o_c(f, ']');
  }
  if (e->op != IR_CONST && e->op != IR_VAR) {
    o_s(f, ", \"kids\": [");
    for (int i = 0; i < e->nkids; i++) {
      o_s(f, i ? ", " : "");
      pj_expr(pr, e->kids[i]);
    }
    o_c(f, ']');
  }
  o_c(f, '}');
}

static void pj_strs(PrOut *f, const char *const *l) {
  o_c(f, '[');
  for (int i = 0; l && l[i]; i++) {
    o_s(f, i ? ", " : "");
    pr_str(f, l[i], strlen(l[i]));
  }
  o_c(f, ']');
}

static void pj_strval(PrOut *f, const char *s) {
  if (s)
    pr_str(f, s, strlen(s));
  else
    o_s(f, "null");
}

static void pj_list(Pr *pr, const IrList *l);

static void pj_task(Pr *pr, const IrTask *t) {
  PrOut *f = pr->f;
  static const char *const kinds[] = {"module", "meta", "include_tasks", "include_role"};
  o_f(f, "{\"id\": %d, \"kind\": \"%s\", \"name\": ", t->id, kinds[t->kind]);
  pr_str(f, t->name, strlen(t->name));
  o_s(f, ", \"role\": ");
  pj_strval(f, t->role_name);
  o_s(f, ", \"action\": ");
  pj_strval(f, t->action);
  o_s(f, ", \"unsupported\": ");
  pj_strval(f, t->unsupported);
  o_s(f, ", \"fails\": ");
  pj_strval(f, t->fault);
  o_f(f, ", \"implicit\": %s, \"handler\": %s, \"loc\": ", t->implicit ? "true" : "false",
          t->handler ? "true" : "false");
  pj_loc(f, t->loc);
  o_f(f, ", \"vars\": %d", t->scope ? t->scope->id : -1);
  o_s(f, ", \"tags\": ");
  pj_strs(f, t->tags);
  o_s(f, ", \"listen\": ");
  pj_strs(f, t->listen);
  o_s(f, ", \"register\": ");
  pj_strval(f, t->register_var);
  o_s(f, ", \"loop_var\": ");
  pj_strval(f, t->loop ? t->loop_var : NULL);
  o_s(f, ", \"index_var\": ");
  pj_strval(f, t->index_var);
  o_s(f, ", \"with\": ");
  pj_strval(f, t->with);
  o_s(f, ", \"notify\": [");
  for (int i = 0; t->notify && t->notify[i] >= 0; i++)
    o_f(f, "%s%d", i ? ", " : "", t->notify[i]);
  o_s(f, "], \"when\": ");
  pj_expr(pr, t->when);
  o_s(f, ", \"loop\": ");
  pj_expr(pr, t->loop);
  o_s(f, ", \"changed_when\": ");
  pj_expr(pr, t->changed_when);
  o_s(f, ", \"failed_when\": ");
  pj_expr(pr, t->failed_when);
  o_s(f, ", \"until\": ");
  pj_expr(pr, t->until);
  o_s(f, ", \"keywords\": {");
  for (int k = 0; k < t->nkws; k++) {
    o_f(f, "%s\"%s\": ", k ? ", " : "", t->kws[k].name);
    pj_expr(pr, t->kws[k].value);
  }
  o_s(f, "}, \"per_host\": {");
  for (int k = 0, n = 0; k < RT_TK_COUNT; k++)
    if (ir_task_kw(t, k)) {
      o_f(f, "%s\"%s\": ", n++ ? ", " : "", pr_tk[k]);
      pj_expr(pr, ir_task_kw(t, k));
    }
  o_s(f, "}, \"args\": ");
  pj_expr(pr, t->args);
  if (t->tpl_names) {
    o_s(f, ", \"templates\": [");
    for (int k = 0; t->tpl_names[k]; k++) {
      o_s(f, k ? ", {\"name\": " : "{\"name\": ");
      pr_str(f, t->tpl_names[k], strlen(t->tpl_names[k]));
      o_s(f, ", \"render\": ");
      pj_expr(pr, t->tpl_render[k]);
      o_c(f, '}');
    }
    o_c(f, ']');
  }
  if (t->include) {
    const IrInclude *in = t->include;
    o_s(f, ", \"include\": {\"file\": ");
    pj_expr(pr, in->file);
    o_f(f, ", \"params\": %d, \"candidates\": [", in->params ? in->params->id : -1);
    for (int i = 0; i < in->n; i++) {
      o_s(f, i ? ", " : "");
      o_s(f, "{\"name\": ");
      pr_str(f, in->names[i], strlen(in->names[i]));
      if (in->lists) {
        o_s(f, ", \"blocks\": ");
        pj_list(pr, &in->lists[i]);
      }
      if (in->frames)
        o_f(f, ", \"vars\": %d", in->frames[i] ? in->frames[i]->id : -1);
      o_c(f, '}');
    }
    o_s(f, "]}");
  }
  o_c(f, '}');
}

static void pj_block_head(Pr *pr, const IrBlock *b) {
  PrOut *f = pr->f;
  o_f(f, "{\"block\": %d, \"implicit\": %s, \"name\": ", b->id, b->implicit ? "true" : "false");
  pj_strval(f, b->name);
  o_s(f, ", \"from\": ");
  pj_strval(f, b->from);
  o_s(f, ", \"loc\": ");
  pj_loc(f, b->loc);
}

static void pj_block(Pr *pr, const IrBlock *b) {
  PrOut *f = pr->f;
  pj_block_head(pr, b);
  static const char *const names[3] = {"block", "rescue", "always"};
  for (int r = 0; r < 3; r++) {
    o_f(f, ", \"%s\": ", names[r]);
    pj_list(pr, &b->regions[r]);
  }
  o_c(f, '}');
}

static void pj_list(Pr *pr, const IrList *l) {
  PrOut *f = pr->f;
  o_c(f, '[');
  for (int i = 0; i < l->n; i++) {
    o_s(f, i ? ", " : "");
    if (l->items[i].task)
      pj_task(pr, l->items[i].task);
    else
      pj_block(pr, l->items[i].block);
  }
  o_c(f, ']');
}

static void pj_play_head(Pr *pr, const IrPlay *pl) {
  PrOut *f = pr->f;
  o_s(f, "{\"name\": ");
  pr_str(f, pl->name, strlen(pl->name));
  o_s(f, ", \"hosts\": ");
  pr_str(f, pl->hosts, strlen(pl->hosts));
  o_f(f, ", \"gather_facts\": %s, \"force_handlers\": %s, \"connection\": ", pl->gather_facts ? "true" : "false",
          pl->force_handlers ? "true" : "false");
  pj_strval(f, pl->connection);
  o_s(f, ", \"loc\": ");
  pj_loc(f, pl->loc);
  o_f(f, ", \"vars\": %d, \"roles\": ", pl->scope ? pl->scope->id : -1);
  pj_strs(f, pl->role_names);
  o_s(f, ", \"keywords\": {");
  for (int k = 0; k < pl->nkws; k++) {
    o_f(f, "%s\"%s\": ", k ? ", " : "", pl->kws[k].name);
    pj_expr(pr, pl->kws[k].value);
  }
  o_s(f, "}, \"vars_files\": [");
  for (int v = 0; v < pl->nvars_files; v++) {
    const IrInclude *in = pl->vars_files[v];
    o_s(f, v ? ", {\"file\": " : "{\"file\": ");
    pj_expr(pr, in->file);
    o_s(f, ", \"candidates\": [");
    for (int k = 0; k < in->n; k++) {
      o_s(f, k ? ", {\"name\": " : "{\"name\": ");
      pr_str(f, in->names[k], strlen(in->names[k]));
      o_f(f, ", \"vars\": %d}", in->frames[k]->id);
    }
    o_s(f, "]}");
  }
  o_s(f, "], \"blocks\": ");
}

static void pj_play_tail(Pr *pr, const IrPlay *pl) {
  PrOut *f = pr->f;
  o_s(f, ", \"handlers\": [");
  for (int h = 0; h < pl->nhandlers; h++) {
    o_s(f, h ? ", " : "");
    pj_task(pr, pl->handlers[h]);
  }
  o_s(f, "]}");
}

static void pj_play(Pr *pr, const IrPlay *pl) {
  pj_play_head(pr, pl);
  pj_list(pr, &pl->blocks);
  pj_play_tail(pr, pl);
}

static void pj_scope(Pr *pr, const IrScope *sc) {
  PrOut *f = pr->f;
  o_f(f, "{\"id\": %d, \"level\": \"%s\", \"what\": ", sc->id, pr_levels[sc->level]);
  pr_str(f, sc->what, strlen(sc->what));
  o_f(f, ", \"next\": %d, \"loc\": ", sc->next ? sc->next->id : -1);
  pj_loc(f, sc->loc);
  o_f(f, ", \"nth\": %d, ", sc->nth);
  if (sc->vault_text)
    o_f(f, "\"vault_bytes\": %zu, ", sc->vault_len);
  o_s(f, "\"vars\": [");
  for (int v = 0; v < sc->nvars; v++) {
    o_f(f, "%s{\"name\": ", v ? ", " : "");
    pr_str(f, sc->vars[v].name, strlen(sc->vars[v].name));
    o_f(f, ", \"lazy\": %s, \"value\": ", sc->vars[v].lazy ? "true" : "false");
    pj_expr(pr, sc->vars[v].value);
    o_c(f, '}');
  }
  o_s(f, "]}");
}

static void pj_head(Pr *pr, const IrProgram *p) {
  PrOut *f = pr->f;
  o_s(f, "{\"playbook\": ");
  pr_str(f, p->playbook, strlen(p->playbook));
  o_s(f, ", \"plays\": [");
}

static void pj_tail(Pr *pr, const IrProgram *p) {
  PrOut *f = pr->f;
  o_s(f, "], \"frames\": [");
  for (int i = 0; i < p->nscopes; i++) {
    o_s(f, i ? ", " : "");
    pj_scope(pr, p->scopes[i]);
  }
  o_s(f, "], \"files\": [");
  for (int i = 0; i < p->nfiles; i++) {
    o_s(f, i ? ", " : "");
    o_s(f, "{\"name\": ");
    pr_str(f, p->files[i].name, strlen(p->files[i].name));
    o_s(f, ", \"path\": ");
    pr_str(f, p->files[i].path, strlen(p->files[i].path));
    o_f(f, ", \"size\": %zu}", p->files[i].size);
  }
  o_s(f, "]}\n");
}

/* The JSON plan into `f` (see o_finish). */
static bool pj_program(PcCtx *c, const IrProgram *p, PrOut *f, char **text) {
  Pr pr_ = {.c = c, .f = f, .done = calloc((size_t)p->nroots + 1, 1)}, *pr = &pr_;
  PC_ASSERT(pr->done);
  pj_head(pr, p);
  for (int i = 0; i < p->nplays; i++) {
    o_s(f, i ? ", " : "");
    pj_play(pr, &p->plays[i]);
  }
  pj_tail(pr, p);
  free(pr->done);
  return o_finish(c, f, text);
}

char *ir_print_json(PcCtx *c, const IrProgram *p) {
  PrOut o = {0};
  char *text = NULL;
  pj_program(c, p, &o, &text);
  return text;
}

bool ir_print_json_to(PcCtx *c, const IrProgram *p, FILE *to) {
  PrOut o = {.to = to};
  return pj_program(c, p, &o, NULL);
}

/* ---- the plan in parts (stream.c) ------------------------------------------ */

/* A plan printed a part at a time (the program's head, each play's head, a
 * top-level task or block, ...), each part as the whole-program printer
 * prints it: the text plan counts a part's references to its roots in a
 * first pass over that part only. That is the whole plan's output as long
 * as no root is reached from two parts, which the printer watches
 * (ir_printer_mixed). */
struct IrPrinter {
  Pr pr;
  PrOut out;
  bool json;
  int32_t cap; /* root ids the arrays hold */
  const IrScope *cur; /* the frame shown last (text) */
};

IrPrinter *ir_printer_new(PcCtx *c, bool json, FILE *to) {
  IrPrinter *w = calloc(1, sizeof *w);
  PC_ASSERT(w);
  w->json = json;
  w->out.to = to;
  w->pr.c = c;
  w->pr.f = &w->out;
  return w;
}

void ir_printer_free(IrPrinter *w) {
  if (!w)
    return;
  free(w->pr.refs);
  free(w->pr.held);
  free(w->pr.done);
  free(w->pr.owner);
  free(w->pr.names);
  free(w->out.buf);
  free(w);
}

long ir_printer_pos(const IrPrinter *w) { return (long)(w->out.flushed + w->out.len); }

bool ir_printer_flush(IrPrinter *w) {
  if (w->out.len && fwrite(w->out.buf, 1, w->out.len, w->out.to) != w->out.len)
    w->out.failed = true;
  w->out.flushed += w->out.len;
  w->out.len = 0;
  return !w->out.failed && fflush(w->out.to) == 0;
}

bool ir_printer_mixed(const IrPrinter *w) { return w->pr.mixed; }

/* Room for the roots of `p` in the per-root arrays (zeroed). */
static void pw_room(IrPrinter *w, const IrProgram *p) {
  if (p->nroots < w->cap)
    return;
  int32_t cap = w->cap ? w->cap : 1024;
  while (cap <= p->nroots)
    cap *= 2;
  size_t old = (size_t)w->cap, n = (size_t)cap;
#define PW_GROW(field)                                                                    \
  do {                                                                                    \
    w->pr.field = realloc(w->pr.field, n * sizeof *w->pr.field);                          \
    PC_ASSERT(w->pr.field);                                                               \
    memset(w->pr.field + old, 0, (n - old) * sizeof *w->pr.field);                        \
  } while (0)
  PW_GROW(refs);
  PW_GROW(held);
  PW_GROW(done);
  PW_GROW(owner);
  PW_GROW(names);
#undef PW_GROW
  w->cap = cap;
}

/* Starts a part: text counts its references in a first pass (`run` with the
 * output discarded), then prints; JSON prints at once. */
typedef void PwRun(IrPrinter *w, const IrProgram *p, const void *arg, int32_t n);

static void pw_part(IrPrinter *w, const IrProgram *p, PwRun *run, const void *arg, int32_t n) {
  pw_room(w, p);
  Pr *pr = &w->pr;
  pr->part++;
  if (!w->json) {
    PrOut discard = {.discard = true};
    const IrScope *cur = w->cur;
    pr->f = &discard;
    pr->counting = true;
    pr->touched.len = 0;
    run(w, p, arg, n);
    for (int32_t i = 0; i < pr->touched.len; i++)
      pr->done[(intptr_t)pr->touched.items[i]] = false;
    pr->counting = false;
    pr->f = &w->out;
    w->cur = cur;
  }
  run(w, p, arg, n);
}

static void pw_head(IrPrinter *w, const IrProgram *p, const void *arg, int32_t n) {
  (void)arg, (void)n;
  if (w->json)
    pj_head(&w->pr, p);
  else
    o_f(w->pr.f, "playbook %s\n", p->playbook);
}

void ir_printer_head(IrPrinter *w, const IrProgram *p) { pw_part(w, p, pw_head, NULL, 0); }

static void pw_play_head(IrPrinter *w, const IrProgram *p, const void *arg, int32_t i) {
  (void)arg;
  const IrPlay *pl = &p->plays[i];
  if (w->json) {
    o_s(w->pr.f, i ? ", " : "");
    pj_play_head(&w->pr, pl);
    o_c(w->pr.f, '[');
  } else {
    pr_play_head(&w->pr, w->pr.c, i, pl);
  }
}

void ir_printer_play_frame(IrPrinter *w, const IrScope *scope) { w->cur = scope; }

void ir_printer_play_head(IrPrinter *w, const IrProgram *p, int32_t play) {
  pw_part(w, p, pw_play_head, NULL, play);
}

typedef struct PwItems {
  void *const *items;
  bool first;
  int depth;
  const IrBlock *block;
  bool open;
} PwItems;

static void pw_block(IrPrinter *w, const IrProgram *p, const void *arg, int32_t n) {
  (void)p, (void)n;
  const PwItems *a = arg;
  if (!w->json) {
    if (a->open)
      pr_block_head(&w->pr, a->block, 1);
  } else if (a->open) {
    o_s(w->pr.f, a->first ? "" : ", ");
    pj_block_head(&w->pr, a->block);
    o_s(w->pr.f, ", \"block\": [");
  } else {
    o_s(w->pr.f, "], \"rescue\": [], \"always\": []}");
  }
}

void ir_printer_block(IrPrinter *w, const IrProgram *p, const IrBlock *b, bool first, bool open) {
  PwItems a = {.first = first, .block = b, .open = open};
  pw_part(w, p, pw_block, &a, 0);
}

static void pw_items(IrPrinter *w, const IrProgram *p, const void *arg, int32_t n) {
  (void)p;
  const PwItems *a = arg;
  for (int32_t i = 0; i < n; i++) {
    const IrItem *it = a->items[i];
    if (w->json) {
      o_s(w->pr.f, i || !a->first ? ", " : "");
      if (it->task)
        pj_task(&w->pr, it->task);
      else
        pj_block(&w->pr, it->block);
    } else if (it->task) {
      pr_task(&w->pr, w->pr.c, it->task, a->depth, &w->cur);
    } else {
      pr_block(&w->pr, w->pr.c, it->block, a->depth, &w->cur);
    }
  }
}

void ir_printer_items(IrPrinter *w, const IrProgram *p, void *const *items, int32_t n, bool first, int depth) {
  PwItems a = {items, first, depth, NULL, false};
  pw_part(w, p, pw_items, &a, n);
}

static void pw_play_tail(IrPrinter *w, const IrProgram *p, const void *arg, int32_t i) {
  (void)arg;
  if (w->json) {
    o_c(w->pr.f, ']');
    pj_play_tail(&w->pr, &p->plays[i]);
  } else {
    pr_play_tail(&w->pr, w->pr.c, &p->plays[i], &w->cur);
  }
}

void ir_printer_play_tail(IrPrinter *w, const IrProgram *p, int32_t play) {
  pw_part(w, p, pw_play_tail, NULL, play);
}

static void pw_tail(IrPrinter *w, const IrProgram *p, const void *arg, int32_t n) {
  (void)arg, (void)n;
  if (w->json)
    pj_tail(&w->pr, p);
  else
    pr_tail(&w->pr, p);
}

void ir_printer_tail(IrPrinter *w, const IrProgram *p) { pw_part(w, p, pw_tail, NULL, 0); }
