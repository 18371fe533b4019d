/*
 * fold.c — constant folding with Python semantics, after type inference:
 * literal int arithmetic (+ - * // % with Python's floor rules, no division
 * by zero), comparisons of two constants of the same scalar type, not/and/or
 * on constant bools, ~ on constant strings and ints, lower/upper/length of
 * constant strings and length of constant lists. Anything that could fail at
 * run time is left alone; the arithmetic itself is runtime/arith.c's, shared
 * with the runtime, so a folded constant is what the binary would compute.
 * A folded expr is rewritten in place into a CONST.
 */
#include "arith.h"
#include "ir.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct Fold {
  PcCtx *c;
} Fold;

static bool fd_const(const IrExpr *e, IrType t) { return e->op == IR_CONST && e->type == t; }

static void fd_to_int(IrExpr *e, int64_t v) {
  e->op = IR_CONST, e->type = TY_INT, e->i = v, e->nkids = 0;
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

static void fd_binop(Fold *f, IrExpr *e) {
  enum { CONCAT = 7, EQ, NE, LT, LE, GT, GE };
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
  if (e->binop == CONCAT && a->op == IR_CONST && b->op == IR_CONST && (a->type == TY_STR || a->type == TY_INT) &&
      (b->type == TY_STR || b->type == TY_INT)) {
    const char *as = a->type == TY_STR ? pc_strndup(f->c, a->s, a->slen) : pc_sprintf(f->c, "%lld", (long long)a->i);
    const char *bs = b->type == TY_STR ? pc_strndup(f->c, b->s, b->slen) : pc_sprintf(f->c, "%lld", (long long)b->i);
    char *s = pc_sprintf(f->c, "%s%s", as, bs);
    fd_to_str(e, s, strlen(s));
  }
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
  if ((!strcmp(e->name, "lower") || !strcmp(e->name, "upper")) && fd_const(a, TY_STR)) {
    char *s = pc_strndup(f->c, a->s, a->slen);
    for (size_t i = 0; i < a->slen; i++) {
      if ((unsigned char)s[i] >= 0x80)
        return; /* non-ASCII case mapping: leave to the runtime */
      s[i] = (char)(e->name[0] == 'l' ? tolower((unsigned char)s[i]) : toupper((unsigned char)s[i]));
    }
    fd_to_str(e, s, a->slen);
  }
}

static void fd_expr(Fold *f, IrExpr *e) {
  for (int i = 0; i < e->nkids; i++)
    fd_expr(f, e->kids[i]);
  switch (e->op) {
  case IR_BINOP: fd_binop(f, e); break;
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
  case IR_AND: case IR_OR:
    if (fd_const(e->kids[0], TY_BOOL)) { /* Python: True and x → x; False or x → x */
      bool b = e->kids[0]->b;
      if (b == (e->op == IR_AND)) {
        int32_t id = e->id;
        const char *src = e->src;
        *e = *e->kids[1];
        e->id = id, e->src = src;
      } else {
        fd_to_bool(e, b);
      }
    }
    break;
  case IR_FILTER: fd_filter(f, e); break;
  default: break;
  }
}

void ir_fold(PcCtx *c, IrProgram *p) {
  Fold f = {c};
  for (int i = 0; i < p->nroots; i++)
    fd_expr(&f, p->roots[i]); /* a folded root keeps its id */
}
