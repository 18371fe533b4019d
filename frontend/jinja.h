/*
 * jinja.h — the Jinja expression and template AST, its lexer (jinja_lex.c) and
 * parser (jinja_parse.c). The AST follows Jinja2's own node set so that the
 * full language can be added later; lower.c turns it into IR.
 */
#ifndef PLAYC_JINJA_H
#define PLAYC_JINJA_H

#include "frontend.h"

typedef enum JTokKind { JT_EOF, JT_NAME, JT_INT, JT_FLOAT, JT_STR, JT_OP, JT_VAR_END, JT_ERR } JTokKind;

typedef struct JTok {
  JTokKind kind;
  const char *s; /* start in the source */
  size_t len;
  size_t off;    /* offset in the source */
  const char *str; /* JT_STR: unescaped value (arena); JT_OP/JT_NAME: text */
  size_t slen;
  int64_t i;
  double f;
} JTok;

/* Lexes one token of expression text at `*pos` in `src`; JT_VAR_END at "}}". */
JTok fe_jinja_lex(PcCtx *c, const char *src, size_t *pos);

typedef enum JKind {
  J_NONE, J_BOOL, J_INT, J_FLOAT, J_STR, /* literals */
  J_NAME, J_GETATTR, J_GETITEM, J_SLICE, J_BINOP, J_AND, J_OR, J_NOT, J_NEG, J_POS,
  J_FILTER, J_TEST, J_IF, J_LIST, J_TUPLE, J_DICT,
  J_CONCAT, /* kids: the operands of a `~` chain, in order */
  J_CALL, /* kids: [callee, args..., kwargs...] */
  J_STMT  /* '{% ... %}' and the rest of the template, as written (s, slen): planned, not compiled yet */
} JKind;

/* Binary operators, in the order of runtime/playc.h's RtBinOp. */
typedef enum JBinOp {
  JB_ADD, JB_SUB, JB_MUL, JB_DIV, JB_FLOORDIV, JB_MOD, JB_POW, JB_CONCAT,
  JB_EQ, JB_NE, JB_LT, JB_LE, JB_GT, JB_GE, JB_IN, JB_NOTIN
} JBinOp;

typedef struct JExpr JExpr;
struct JExpr {
  JKind kind;
  PcLoc loc;
  size_t off;       /* offset in the template/expression source */
  JBinOp op;
  const char *name; /* J_NAME, J_GETATTR, J_FILTER, J_TEST */
  const char *s;    /* J_STR */
  size_t slen;
  int64_t i;
  double f;
  bool b;
  bool negated;     /* J_TEST: `is not` */
  JExpr **kids;     /* GETATTR: [base]; GETITEM: [base, key];
                       SLICE: [base, start, stop, step] (J_NONE where not written); BINOP: [l, r];
                       AND/OR: [a, b, ...] (a chain, flat); CONCAT: [a, b, ...]
                       (`a ~ b ~ c`, flat as Jinja2's Concat); NOT/NEG/POS: [x];
                       FILTER/TEST: [base, args..., kwargs...];
                       IF: [cond, then, else (or NULL)]; LIST/TUPLE: items; DICT: k v k v */
  int32_t nkids;
  const char **kwnames; /* FILTER/TEST/CALL: names of the last nkw kids; "*" and
                           "**" name the `*args` and `**kwargs` of a call */
  int32_t nkw;
  int32_t height;   /* levels of the tree below and including this node */
  const char *unsupported; /* what playc cannot compile yet in this node (`*args`,
                              a tuple without parentheses), or NULL: lowered
                              to IrExpr.unsupported, so --plan shows it and -o refuses it */
  bool shared;      /* a kid of two nodes (the middle operand of `a < b < c`,
                       lowered to `a < b and b < c`): lowered once */
};

/* A template: text parts (expr == NULL) and {{ expr }} parts, in order. */
typedef struct JPart {
  const char *text; /* when expr == NULL */
  size_t len;
  JExpr *expr;
} JPart;

typedef struct JTemplate {
  JPart *parts;
  int32_t nparts;
} JTemplate;

/* Where offset `off` of a string found at `loc` is (for scalars on one line). */
PcLoc fe_jinja_loc(const char *src, PcLoc loc, size_t off);

/* Parses a bare expression (when:, assert that:). NULL after a diagnostic.
 * Nesting deeper than PC_MAX_JINJA_DEPTH, counted both as parser recursion
 * and as the height of the tree built, is a located error; chains that
 * Jinja2 itself builds flat (~, comparisons) and and/or chains stay flat. */
JExpr *fe_jinja_parse_expr(PcCtx *c, const char *src, PcLoc loc);
/* Parses a template text. NULL after a diagnostic. */
JTemplate *fe_jinja_parse_template(PcCtx *c, const char *src, PcLoc loc);
/* True if `s` contains template syntax ({{, {% or {#). */
bool fe_jinja_is_template(const char *s);

#endif
