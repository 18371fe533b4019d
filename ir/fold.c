/*
 * fold.c — constant folding with Python semantics, after type inference:
 * literal int arithmetic (+ - * // % with Python's floor rules, no division
 * by zero), comparisons of two constants of the same scalar type, not/and/or
 * on constant bools, ~ on constant strings and ints, lower/upper/length of
 * constant strings and length of constant lists. Anything that could fail at
 * run time is left alone; the arithmetic itself is runtime/arith.c's, shared
 * with the runtime, so a folded constant is what the binary would compute.
 * A folded expr is rewritten in place into a CONST.
 * Each root's tree is folded once, kid roots (shared exprs) before the roots
 * that use them; a `~` chain folds its constant runs in one linear pass.
 */
#include "arith.h"
#include "ir.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct Fold {
  PcCtx *c;
} Fold;

/* A constant of type t; an int past 64 bits (its digits in s) is left to
 * the runtime's big integers (runtime/bigint.c), never folded in 64 bits. */
static bool fd_const(const IrExpr *e, IrType t) {
  return e->op == IR_CONST && e->type == t && !(t == TY_INT && e->s);
}

static void fd_to_int(IrExpr *e, int64_t v) {
  e->op = IR_CONST, e->type = TY_INT, e->i = v, e->s = NULL, e->slen = 0, e->nkids = 0;
}
static void fd_to_bool(IrExpr *e, bool v) {
  e->op = IR_CONST, e->type = TY_BOOL, e->b = v, e->nkids = 0;
}
static void fd_to_str(IrExpr *e, const char *s, size_t n) {
  e->op = IR_CONST, e->type = TY_STR, e->s = s, e->slen = n, e->nkids = 0;
}

static int fd_cmp_str(const IrExpr *a, const IrExpr *b) {
  size_t n = a->slen < b->slen ? a->slen : b->slen;
  int r = memcmp(a->s, b->s, n);
  return r ? r : (a->slen > b->slen) - (a->slen < b->slen);
}

/* Integer arithmetic through runtime/arith.c, the code the runtime runs:
 * false when it fails (division by zero, overflow) or gives a float, and then
 * the expression is left for the runtime, which reports the same error as for
 * variables. */
static bool fd_int_arith(int32_t op, int64_t a, int64_t b, int64_t *r) {
  RtNum n;
  if (rt_arith_binop(op, rt_num_int(a), rt_num_int(b), &n, NULL, 0) != RT_ARITH_OK || n.is_float)
    return false;
  *r = n.i;
  return true;
}

static void fd_binop(IrExpr *e) {
  enum { EQ = 8, NE, LT, LE, GT, GE };
  IrExpr *a = e->kids[0], *b = e->kids[1];
  int64_t r;
  if (fd_const(a, TY_INT) && fd_const(b, TY_INT)) {
    if (e->binop <= 6 && fd_int_arith(e->binop, a->i, b->i, &r)) {
      fd_to_int(e, r);
      return;
    }
    int c = (a->i > b->i) - (a->i < b->i);
    if (e->binop >= EQ && e->binop <= GE) {
      bool v[] = {c == 0, c != 0, c < 0, c <= 0, c > 0, c >= 0};
      fd_to_bool(e, v[e->binop - EQ]);
      return;
    }
  }
  if (fd_const(a, TY_STR) && fd_const(b, TY_STR) && e->binop >= EQ && e->binop <= GE) {
    int c = fd_cmp_str(a, b);
    bool v[] = {c == 0, c != 0, c < 0, c <= 0, c > 0, c >= 0};
    fd_to_bool(e, v[e->binop - EQ]);
    return;
  }
}

/* A str or int constant: what `~` renders for it. */
static bool fd_text(const IrExpr *e) { return e->op == IR_CONST && (e->type == TY_STR || e->type == TY_INT); }

static void fd_add_text(Fold *f, PcBuf *b, const IrExpr *e) {
  if (e->type == TY_STR || e->s) /* a string, or an int's digits past 64 bits */
    pc_buf_add(f->c, b, e->s ? e->s : "", e->s ? e->slen : 0);
  else
    pc_buf_adds(f->c, b, pc_sprintf(f->c, "%lld", (long long)e->i));
}

/* a ~ b ~ c: each run of constants becomes one string constant; all
 * constants, the whole chain does. */
static void fd_concat(Fold *f, IrExpr *e) {
  int32_t out = 0;
  for (int32_t i = 0; i < e->nkids;) {
    if (!fd_text(e->kids[i]) || i + 1 == e->nkids || !fd_text(e->kids[i + 1])) {
      e->kids[out++] = e->kids[i++];
      continue;
    }
    PcBuf b = {0};
    IrExpr *first = e->kids[i];
    while (i < e->nkids && fd_text(e->kids[i]))
      fd_add_text(f, &b, e->kids[i++]);
    IrExpr *k = ir_expr_new(f->c, IR_CONST, TY_STR, first->loc);
    k->s = pc_buf_str(&b);
    k->slen = b.len;
    e->kids[out++] = k;
  }
  e->nkids = out;
  if (out == 1 && fd_text(e->kids[0])) {
    PcBuf b = {0};
    fd_add_text(f, &b, e->kids[0]);
    fd_to_str(e, pc_buf_str(&b), b.len);
  }
}

/* Python's `a and b and c` / `a or b or c` over constant bools: leading
 * operands that do not decide are dropped, one that decides is the result;
 * a chain left with one operand is that operand. */
static void fd_andor(IrExpr *e) {
  bool decide = e->op == IR_OR; /* the value that ends the chain */
  int32_t skip = 0;
  while (skip < e->nkids && fd_const(e->kids[skip], TY_BOOL)) {
    if (e->kids[skip]->b == decide) {
      fd_to_bool(e, decide);
      return;
    }
    skip++;
  }
  if (skip == e->nkids)
    skip--; /* all constants that do not decide: the last is the value */
  memmove(e->kids, e->kids + skip, sizeof *e->kids * (size_t)(e->nkids - skip));
  e->nkids -= skip;
  if (e->nkids == 1 && !ir_is_ref(e->kids[0])) { /* a root stays referenced, not copied */
    int32_t id = e->id;
    const char *src = e->src;
    *e = *e->kids[0];
    e->id = id, e->src = src;
  }
}

/* `e` (lower or upper of constant `a`) as the constant it gives, when `a`
 * is ASCII; non-ASCII case mapping is left to the runtime. */
static void fd_ascii_case(Fold *f, IrExpr *e, const IrExpr *a) {
  char *s = pc_strndup(f->c, a->s, a->slen);
  for (size_t i = 0; i < a->slen; i++) {
    if ((unsigned char)s[i] >= 0x80)
      return;
    s[i] = (char)(e->name[0] == 'l' ? tolower((unsigned char)s[i]) : toupper((unsigned char)s[i]));
  }
  fd_to_str(e, s, a->slen);
}

static void fd_filter(Fold *f, IrExpr *e) {
  IrExpr *a = e->kids[0];
  if (e->nkids != 1)
    return;
  if ((!strcmp(e->name, "length") || !strcmp(e->name, "count")) && (fd_const(a, TY_STR) || a->op == IR_LIST)) {
    if (a->op == IR_LIST || a->type == TY_STR) {
      bool ascii = true;
      for (size_t i = 0; a->op == IR_CONST && i < a->slen; i++)
        ascii &= (unsigned char)a->s[i] < 0x80;
      if (ascii)
        fd_to_int(e, a->op == IR_LIST ? a->nkids : (int64_t)a->slen);
    }
    return;
  }
  if ((!strcmp(e->name, "lower") || !strcmp(e->name, "upper")) && fd_const(a, TY_STR))
    fd_ascii_case(f, e, a);
}

/* Methods on a constant string: split by a constant separator, and
 * lower()/upper() of ASCII text (filter and method agree on those). */
static void fd_method(Fold *f, IrExpr *e) {
  IrExpr *a = e->kids[0];
  if (!fd_const(a, TY_STR) || ir_xr(e)->nkw)
    return;
  if ((!strcmp(e->name, "lower") || !strcmp(e->name, "upper")) && e->nkids == 1) {
    fd_ascii_case(f, e, a);
    return;
  }
  IrExpr *sep = e->nkids == 2 ? e->kids[1] : NULL;
  if (strcmp(e->name, "split") != 0 || !sep || !fd_const(sep, TY_STR) || !sep->slen || ir_is_ref(sep))
    return;
  const char *s = a->s, *end = a->s + a->slen;
  PcVec parts = {0};
  for (;;) { /* str.split(sep): every part, empty ones too */
    const char *hit = (size_t)(end - s) >= sep->slen ? memmem(s, (size_t)(end - s), sep->s, sep->slen) : NULL;
    IrExpr *p = ir_expr_new(f->c, IR_CONST, TY_STR, a->loc);
    p->s = s, p->slen = (size_t)((hit ? hit : end) - s);
    pc_vec_push(f->c, &parts, p);
    if (!hit)
      break;
    s = hit + sep->slen;
  }
  e->op = IR_LIST, e->type = TY_LIST, e->nkids = 0, e->name = NULL, e->b = false;
  if (e->x) { /* its own: a copy of a shared expression may hold the same */
    IrExprX *x = pc_alloc(f->c, sizeof *x);
    *x = *e->x;
    x->kwnames = NULL;
    e->x = x;
  }
  for (int i = 0; i < parts.len; i++)
    ir_expr_add_kid(f->c, e, parts.items[i]);
}

/* Folds the tree of root or sub-expr `e`; kid roots are folded already. */
static void fd_expr(Fold *f, IrExpr *e, bool root) {
  if (!root && ir_is_ref(e))
    return;
  for (int i = 0; i < e->nkids; i++)
    fd_expr(f, e->kids[i], false);
  switch (e->op) {
  case IR_BINOP: fd_binop(e); break;
  case IR_NEG:
    if (fd_const(e->kids[0], TY_INT)) {
      RtNum n;
      if (rt_arith_neg(rt_num_int(e->kids[0]->i), &n, NULL, 0) == RT_ARITH_OK)
        fd_to_int(e, n.i);
    }
    break;
  case IR_NOT:
    if (fd_const(e->kids[0], TY_BOOL))
      fd_to_bool(e, !e->kids[0]->b);
    break;
  case IR_AND: case IR_OR: fd_andor(e); break;
  case IR_CONCAT: fd_concat(f, e); break;
  case IR_FILTER: fd_filter(f, e); break;
  case IR_METHOD: fd_method(f, e); break;
  default: break;
  }
}

void ir_fold_range(PcCtx *c, IrProgram *p, int32_t from, int32_t to) {
  Fold f = {c};
  for (int32_t i = from; i < to; i++) /* in id order: kid roots first */
    fd_expr(&f, p->roots[i], true); /* a folded root keeps its id */
}

void ir_fold(PcCtx *c, IrProgram *p) { ir_fold_range(c, p, 0, p->nroots); }
