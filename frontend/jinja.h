/*
 * jinja.h — the Jinja expression and template AST, its lexer (jinja_lex.c) and
 * parser (jinja_parse.c). The AST follows Jinja2's own node set so that the
 * full language can be added later; lower.c turns it into IR.
 */
#ifndef PLAYC_JINJA_H
#define PLAYC_JINJA_H

#include "frontend.h"

/* JT_VAR_END: "}}" or "-}}"; JT_BLOCK_END: "%}", "-%}" or "+%}" (str says which). */
typedef enum JTokKind { JT_EOF, JT_NAME, JT_INT, JT_FLOAT, JT_STR, JT_OP, JT_VAR_END, JT_BLOCK_END, JT_ERR } JTokKind;

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

/* Lexes one token of expression text at `*pos` in `src`; JT_VAR_END at "}}". `raw_strings`: a string literal ends at its
 * first closing quote and its value is its text (JOpts.escape_backslashes);
 * otherwise Python's escapes are read as Jinja2 reads them. */
JTok fe_jinja_lex(PcCtx *c, const char *src, size_t *pos, bool raw_strings);

typedef enum JKind {
  J_NONE, J_BOOL, J_INT, J_FLOAT, J_STR, /* literals */
  J_NAME, J_GETATTR, J_GETITEM, J_SLICE, J_BINOP, J_AND, J_OR, J_NOT, J_NEG, J_POS,
  J_FILTER, J_TEST, J_IF, J_LIST, J_TUPLE, J_DICT,
  J_CONCAT, /* kids: the operands of a `~` chain, in order */
  J_CALL, /* kids: [callee, args..., kwargs...] */
  J_BODY  /* the rendered body of a `{% filter %}` block: the base of its filter chain */
} JKind;

/* Binary operators, in the order of runtime/playc.h's RtBinOp. */
typedef enum JBinOp {
  JB_ADD, JB_SUB, JB_MUL, JB_DIV, JB_FLOORDIV, JB_MOD, JB_POW, JB_CONCAT,
  JB_EQ, JB_NE, JB_LT, JB_LE, JB_GT, JB_GE, JB_IN, JB_NOTIN
} JBinOp;

typedef struct JExpr JExpr;
struct JExpr {
  JKind kind;
  JBinOp op;
  PcLoc loc;
  size_t off;       /* offset in the template/expression source */
  const char *name; /* J_NAME, J_GETATTR, J_FILTER, J_TEST */
  const char *s;    /* J_STR; J_INT past 64 bits: its decimal digits (i is INT64_MAX) */
  size_t slen;
  int64_t i;
  double f;
  JExpr **kids;     /* GETATTR: [base]; GETITEM: [base, key];
                       SLICE: [base, start, stop, step] (J_NONE where not written); BINOP: [l, r];
                       AND/OR: [a, b, ...] (a chain, flat); CONCAT: [a, b, ...]
                       (`a ~ b ~ c`, flat as Jinja2's Concat); NOT/NEG/POS: [x];
                       FILTER/TEST: [base, args..., kwargs...];
                       IF: [cond, then, else (or NULL)]; LIST/TUPLE: items; DICT: k v k v */
  const char **kwnames; /* FILTER/TEST/CALL: names of the last nkw kids; "*" and
                           "**" name the `*args` and `**kwargs` of a call */
  const char *unsupported; /* what playc cannot compile yet in this node (`*args`,
                              a tuple without parentheses), or NULL: lowered
                              to IrExpr.unsupported, so --plan shows it and -o refuses it */
  int32_t nkids;
  int32_t nkw;
  int32_t height;   /* levels of the tree below and including this node */
  bool b;
  bool negated;     /* J_TEST: `is not` */
  bool scratch;     /* allocated in the scratch arena (PcCtx.ast_scratch): gone after pc_scratch_reset */
  bool shared;      /* a kid of two nodes (the middle operand of `a < b < c`,
                       lowered to `a < b and b < c`): lowered once */
};

typedef struct JTemplate JTemplate;

/* A `{% ... %}` statement. `elif` is an JS_IF in the `orelse` of the one before. */
typedef enum JStmtKind {
  JS_IF,       /* if expr: body [else: orelse] */
  JS_FOR,      /* for target in expr [if cond] [recursive]: body [else: orelse] */
  JS_SET,      /* set target = expr */
  JS_SETBLOCK, /* set target: body (rendered into a string) */
  JS_FILTER,   /* filter chain: expr is the chain, its innermost base a J_BODY (the body) */
  JS_WITH,     /* with name = expr, ...: body in a scope of its own (targets: a J_TUPLE of
                  J_NAMEs, expr: a J_TUPLE of their values) */
  JS_MACRO,    /* macro name(params): body; target: its J_NAME, expr: a J_LIST of the
                  params (J_NAMEs), cond: a J_LIST of their defaults (NULL: none) */
  JS_BLOCK,    /* block name [scoped] [required]: body; target: its J_NAME */
  JS_CALL,     /* call [(params)] macro(args): body; expr: the J_CALL, target/cond: the
                  params and defaults of `caller` as for JS_MACRO (empty lists: none) */
  JS_INCLUDE,  /* include expr [ignore missing] [with|without context] */
  JS_IMPORT,   /* import expr as target [with|without context] */
  JS_FROM,     /* from expr import names [with|without context]; target: a J_LIST of the
                  imported J_NAMEs, cond: a J_LIST of their J_NAME aliases */
  JS_EXTENDS   /* extends expr */
} JStmtKind;

typedef struct JStmt {
  JStmtKind kind;
  PcLoc loc;
  size_t off;
  const char *name;  /* the statement's tag ("for", "macro" ...) */
  JExpr *expr;       /* if: condition; for: iterable; set/with: value; filter: the chain */
  JExpr *target;     /* for/set/with: a J_NAME, a J_TUPLE of J_NAMEs, or (set) a J_GETATTR ns.attr */
  JExpr *cond;       /* for: the inline `if` filter, or NULL */
  bool recursive;    /* for ... recursive */
  bool scoped;       /* block ... scoped */
  bool ignore_missing; /* include ... ignore missing */
  int8_t context;    /* include/import/from: 1 `with context`, 0 `without context`, -1 neither */
  JTemplate *body, *orelse; /* orelse: if/for `else`, or NULL */
} JStmt;

/* A template: text parts (expr and stmt NULL), {{ expr }} parts and
 * {% stmt %} parts, in order. */
typedef struct JPart {
  const char *text; /* when expr and stmt are NULL */
  size_t len;
  JExpr *expr;
  JStmt *stmt;
} JPart;

struct JTemplate {
  JPart *parts;
  int32_t nparts;
  bool has_stmt; /* a statement anywhere in it (lower.c gives it local variables) */
};

/* The options of Jinja2's lexer that change whitespace. Ansible templates
 * playbook strings with trim_blocks on and lstrip_blocks off (its
 * AnsibleEnvironment); the template module passes its own.
 * escape_backslashes: Ansible's _escape_backslashes, which its templar
 * applies to playbook strings (not to template files): each backslash of a
 * string literal inside {{ }} is doubled before Jinja lexes the text, so
 * such a literal's value is its text as written, no escape read. */
typedef struct JOpts { bool trim_blocks, lstrip_blocks, escape_backslashes; } JOpts;

/* Where offset `off` of a string found at `loc` is (for scalars on one line). */
PcLoc fe_jinja_loc(const char *src, PcLoc loc, size_t off);

/* Parses a bare expression (when:, assert that:). NULL after a diagnostic.
 * Nesting deeper than PC_MAX_JINJA_DEPTH, counted both as parser recursion
 * and as the height of the tree built, is a located error; chains that
 * Jinja2 itself builds flat (~, comparisons) and and/or chains stay flat. */
JExpr *fe_jinja_parse_expr(PcCtx *c, const char *src, PcLoc loc);
/* Parses a template text with Ansible's options for playbook strings
 * (trim_blocks, no lstrip_blocks). NULL after a diagnostic. */
JTemplate *fe_jinja_parse_template(PcCtx *c, const char *src, PcLoc loc);
/* The same with explicit lexer options (the template module's). Every
 * statement's block structure is checked (unknown tags, unclosed blocks, a
 * stray `endfor` are located errors, worded as Jinja2 words them). */
JTemplate *fe_jinja_parse_template_opts(PcCtx *c, const char *src, PcLoc loc, const JOpts *o);
/* True if `s` contains template syntax ({{, {% or {#). */
bool fe_jinja_is_template(const char *s);

#endif
