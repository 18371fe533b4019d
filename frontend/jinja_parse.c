/*
 * jinja_parse.c — recursive-descent parser for Jinja expressions and
 * templates, with Jinja2's precedence (parser.py): conditional `a if c else b`
 * < or < and < not < comparisons/in < + - < ~ < * / // % < ** < unary - + with
 * filters `|` and tests `is` < postfix .attr [sub]. Templates are text with
 * {{ expr }}, {# comments #} and {% statements %} (if, for, set, filter,
 * with, raw; macro/call/block/include/import/extends are parsed for their
 * structure and left to lower.c to refuse), with Jinja2's whitespace
 * control: `-` and `+` on tags, trim_blocks and lstrip_blocks (JOpts).
 * Errors are located inside the YAML scalar.
 *
 * Work is linear in the text: kid arrays grow geometrically, locations come
 * from one scan for the scalar's first newline, and the chains Jinja2 keeps
 * flat (`~`: Concat; comparisons: Compare) stay flat, as do and/or chains.
 * Depth is bounded (PC_MAX_JINJA_DEPTH) both in recursion and in the height
 * of the tree the loops build, so the walks after the parser are bounded.
 */
#include "jinja.h"

#include <string.h>

typedef struct JP {
  PcCtx *c;
  const JOpts *opts; /* templates: the lexer's whitespace options */
  bool line_start;   /* templates: the last tag's match ended a line (lstrip_blocks) */
  bool has_stmt;     /* templates: a statement was parsed */
  bool raw_strings;  /* inside {{ }} of a playbook string (JOpts.escape_backslashes) */
  const char *src;
  PcLoc loc;
  size_t pos;
  JTok tok;
  size_t first_nl; /* offset of the text's first newline (or its length) */
  int32_t depth;   /* recursion: nested sub-expressions being parsed */
  bool failed;
} JP;

static void jp_init(JP *p, PcCtx *c, const char *src, PcLoc loc) {
  *p = (JP){0};
  p->c = c;
  p->src = src;
  p->loc = loc;
  p->first_nl = strcspn(src, "\n");
}

PcLoc fe_jinja_loc(const char *src, PcLoc loc, size_t off) {
  size_t len = strlen(src);
  if (off > len)
    off = len;
  const char *nl = memchr(src, '\n', off);
  if (!nl) {
    loc.col += (int32_t)off;
    return loc;
  }
  return loc; /* multi-line scalars: the scalar's start */
}

bool fe_jinja_is_template(const char *s) {
  return strstr(s, "{{") || strstr(s, "{%") || strstr(s, "{#");
}

static void jp_next(JP *p) { p->tok = fe_jinja_lex(p->c, p->src, &p->pos, p->raw_strings); }

/* fe_jinja_loc without rescanning the text. */
static PcLoc jp_loc(const JP *p, size_t off) {
  PcLoc l = p->loc;
  if (off <= p->first_nl)
    l.col += (int32_t)off;
  else if (!p->src[p->first_nl])
    l.col += (int32_t)p->first_nl;
  return l;
}

static const char jp_too_deep[] = "expression nested too deeply";

static void jp_error(JP *p, size_t off, const char *msg) {
  /* playc's own limits (nesting, what it does not support yet) stay compile
   * errors: they are not Ansible's */
  bool ours = strncmp(msg, jp_too_deep, sizeof jp_too_deep - 1) == 0 || strstr(msg, "not supported by playc yet");
  if (!p->failed && p->c->jinja_hold && !ours) {
    if (!p->c->jinja_err) {
      p->c->jinja_err = msg;
      p->c->jinja_err_loc = jp_loc(p, off);
    }
  } else if (!p->failed) {
    pc_error_at(p->c, jp_loc(p, off), "%s", msg);
  }
  p->failed = true;
}

/* Enters a recursive sub-expression; false (after an error) past the limit. */
static bool jp_enter(JP *p) {
  if (p->depth >= PC_MAX_JINJA_DEPTH) {
    jp_error(p, p->tok.off, pc_sprintf(p->c, "%s (more than %d levels)", jp_too_deep, PC_MAX_JINJA_DEPTH));
    return false;
  }
  p->depth++;
  return true;
}

static bool jp_is_op(JP *p, const char *op) { return p->tok.kind == JT_OP && strcmp(p->tok.str, op) == 0; }
static bool jp_is_name(JP *p, const char *n) { return p->tok.kind == JT_NAME && strcmp(p->tok.str, n) == 0; }

static bool jp_accept(JP *p, const char *op) {
  if (!jp_is_op(p, op))
    return false;
  jp_next(p);
  return true;
}

static void jp_expect(JP *p, const char *op) {
  if (strcmp(op, "}") == 0 && p->tok.kind == JT_VAR_END) { /* "}}" closing two dicts */
    p->pos = p->tok.off + 1;
    jp_next(p);
    return;
  }
  if (!jp_accept(p, op))
    jp_error(p, p->tok.off, pc_sprintf(p->c, "expected '%s'", op));
}

static JExpr *jp_new(JP *p, JKind k, size_t off) {
  JExpr *e = pc_alloc_ast(p->c, sizeof *e);
  e->scratch = p->c->ast_scratch;
  e->kind = k;
  e->off = off;
  e->loc = jp_loc(p, off);
  e->height = 1;
  return e;
}

/* Appends kid `k` (kid arrays grow by doubling: capacity is the next power of
 * two of nkids); a tree grown past the depth limit is an error at `e`. */
static void jp_kid(JP *p, JExpr *e, JExpr *k) {
  int32_t n = e->nkids;
  if ((n & (n - 1)) == 0) {
    JExpr **kids = pc_alloc_ast(p->c, sizeof(JExpr *) * (size_t)(n ? n * 2 : 1));
    if (n)
      memcpy(kids, e->kids, sizeof(JExpr *) * (size_t)n);
    e->kids = kids;
  }
  e->kids[e->nkids++] = k;
  if (k && k->height + 1 > e->height) {
    e->height = k->height + 1;
    if (e->height > PC_MAX_JINJA_DEPTH)
      jp_error(p, e->off, pc_sprintf(p->c, "%s (more than %d levels)", jp_too_deep, PC_MAX_JINJA_DEPTH));
  }
}

static JExpr *jp_bin(JP *p, JKind k, JBinOp op, JExpr *l, JExpr *r, size_t off) {
  JExpr *e = jp_new(p, k, off);
  e->op = op;
  jp_kid(p, e, l);
  jp_kid(p, e, r);
  return e;
}

static JExpr *jp_expr(JP *p);
static JExpr *jp_unary(JP *p, bool with_filter);

/* args := '(' [expr | name '=' expr | '*' expr | '**' expr] {',' ...} ')'
 * (appended to e), in Jinja2's order (parse_call_args): positional args,
 * then `*args`, keyword args, `**kwargs`. `*args` and `**kwargs` are kept as
 * keyword args named "*" and "**" and make the node unsupported for now. */
static void jp_args(JP *p, JExpr *e) {
  PcVec kw = {0};
  bool star = false, star2 = false;
  jp_expect(p, "(");
  while (!p->failed && !jp_is_op(p, ")")) {
    if (jp_is_op(p, "*") || jp_is_op(p, "**")) {
      bool two = p->tok.str[1] == '*';
      if (star2 || (!two && star))
        jp_error(p, p->tok.off, "invalid syntax for function call expression");
      star |= !two;
      star2 |= two;
      e->unsupported = two ? "a '**' argument" : "a '*' argument";
      jp_next(p);
      pc_vec_push(p->c, &kw, (void *)(two ? "**" : "*"));
      jp_kid(p, e, jp_expr(p));
      goto sep;
    }
    if (p->tok.kind == JT_NAME) {
      size_t save = p->pos;
      JTok t = p->tok;
      jp_next(p);
      if (jp_accept(p, "=")) {
        if (star2)
          jp_error(p, t.off, "invalid syntax for function call expression");
        pc_vec_push(p->c, &kw, (void *)t.str);
        jp_kid(p, e, jp_expr(p));
        goto sep;
      }
      p->pos = save;
      p->tok = t;
    }
    if (star || star2)
      jp_error(p, p->tok.off, "invalid syntax for function call expression");
    else if (kw.len)
      jp_error(p, p->tok.off, "positional argument after keyword argument");
    jp_kid(p, e, jp_expr(p));
  sep:
    if (!jp_accept(p, ","))
      break;
  }
  jp_expect(p, ")");
  e->kwnames = (const char **)kw.items;
  e->nkw = kw.len;
}

/* primary := name | literal | '(' expr [',' ...] ')' | '[' ... ']' | '{' k: v ... '}' */
static JExpr *jp_primary(JP *p) {
  JTok t = p->tok;
  JExpr *e;
  if (t.kind == JT_NAME) {
    jp_next(p);
    if (!strcmp(t.str, "true") || !strcmp(t.str, "True") || !strcmp(t.str, "false") || !strcmp(t.str, "False")) {
      e = jp_new(p, J_BOOL, t.off);
      e->b = t.str[0] == 't' || t.str[0] == 'T';
    } else if (!strcmp(t.str, "none") || !strcmp(t.str, "None")) {
      e = jp_new(p, J_NONE, t.off);
    } else {
      e = jp_new(p, J_NAME, t.off);
      e->name = t.str;
    }
    return e;
  }
  if (t.kind == JT_STR) {
    e = jp_new(p, J_STR, t.off);
    e->s = t.str;
    e->slen = t.slen;
    jp_next(p);
    while (p->tok.kind == JT_STR) { /* adjacent strings concatenate */
      char *s = pc_alloc(p->c, e->slen + p->tok.slen + 1);
      memcpy(s, e->s, e->slen);
      memcpy(s + e->slen, p->tok.str, p->tok.slen);
      e->s = s;
      e->slen += p->tok.slen;
      jp_next(p);
    }
    return e;
  }
  if (t.kind == JT_INT || t.kind == JT_FLOAT) {
    e = jp_new(p, t.kind == JT_INT ? J_INT : J_FLOAT, t.off);
    e->i = t.i;
    e->f = t.f;
    if (t.kind == JT_INT && t.str) /* past 64 bits: its digits */
      e->s = t.str, e->slen = t.slen;
    jp_next(p);
    return e;
  }
  if (jp_accept(p, "(")) {
    if (jp_accept(p, ")"))
      return jp_new(p, J_TUPLE, t.off);
    JExpr *first = jp_expr(p);
    if (!jp_is_op(p, ",")) {
      jp_expect(p, ")");
      return first;
    }
    e = jp_new(p, J_TUPLE, t.off);
    jp_kid(p, e, first);
    while (!p->failed && jp_accept(p, ",") && !jp_is_op(p, ")"))
      jp_kid(p, e, jp_expr(p));
    jp_expect(p, ")");
    return e;
  }
  if (jp_accept(p, "[")) {
    e = jp_new(p, J_LIST, t.off);
    while (!p->failed && !jp_is_op(p, "]")) {
      jp_kid(p, e, jp_expr(p));
      if (!jp_accept(p, ","))
        break;
    }
    jp_expect(p, "]");
    return e;
  }
  if (jp_accept(p, "{")) {
    e = jp_new(p, J_DICT, t.off);
    while (!p->failed && !jp_is_op(p, "}") && p->tok.kind != JT_VAR_END) {
      jp_kid(p, e, jp_expr(p));
      jp_expect(p, ":");
      jp_kid(p, e, jp_expr(p));
      if (!jp_accept(p, ","))
        break;
    }
    jp_expect(p, "}");
    return e;
  }
  if (t.kind == JT_EOF || t.kind == JT_VAR_END)
    jp_error(p, t.off, "unexpected end of expression");
  else if (t.kind == JT_ERR)
    jp_error(p, t.off, t.str);
  else
    jp_error(p, t.off, pc_sprintf(p->c, "unexpected '%.*s'", (int)t.len, t.s));
  return jp_new(p, J_NONE, t.off);
}

/* subscript := expr | [expr] ':' [expr] [':' [expr]]   (Jinja2's
 * parse_subscribed): base[key] as a J_GETITEM, a slice as a J_SLICE whose
 * missing indices are none, as Python's slice() has them. */
static JExpr *jp_subscript(JP *p, JExpr *base, size_t off) {
  JExpr *idx[3] = {NULL, NULL, NULL};
  if (!jp_is_op(p, ":")) {
    idx[0] = jp_expr(p);
    if (p->failed || !jp_is_op(p, ":")) {
      JExpr *g = jp_new(p, J_GETITEM, off);
      jp_kid(p, g, base);
      jp_kid(p, g, idx[0]);
      return g;
    }
  }
  jp_next(p); /* the first ':' */
  if (!jp_is_op(p, ":") && !jp_is_op(p, "]") && !jp_is_op(p, ","))
    idx[1] = jp_expr(p);
  if (!p->failed && jp_accept(p, ":") && !jp_is_op(p, "]") && !jp_is_op(p, ","))
    idx[2] = jp_expr(p);
  JExpr *s = jp_new(p, J_SLICE, off);
  jp_kid(p, s, base);
  for (int i = 0; i < 3; i++)
    jp_kid(p, s, idx[i] ? idx[i] : jp_new(p, J_NONE, off));
  return s;
}

/* postfix := primary { '.' name | '[' subscript ']' | '(' args ')' } */
static JExpr *jp_postfix(JP *p, JExpr *e) {
  while (!p->failed) {
    size_t off = p->tok.off;
    if (jp_accept(p, ".")) {
      JExpr *g = jp_new(p, J_GETATTR, off);
      if (p->tok.kind == JT_INT) { /* x.0 is x[0] */
        g->kind = J_GETITEM;
        JExpr *k = jp_new(p, J_INT, p->tok.off);
        k->i = p->tok.i;
        jp_kid(p, g, e);
        jp_kid(p, g, k);
      } else if (p->tok.kind == JT_NAME) {
        g->name = p->tok.str;
        jp_kid(p, g, e);
      } else {
        jp_error(p, p->tok.off, "expected an attribute name after '.'");
      }
      jp_next(p);
      e = g;
    } else if (jp_accept(p, "[")) {
      e = jp_subscript(p, e, off);
      jp_expect(p, "]");
    } else if (jp_is_op(p, "(")) { /* a call: planned, not compiled yet (IR_CALL is unsupported) */
      JExpr *c = jp_new(p, J_CALL, off);
      jp_kid(p, c, e);
      jp_args(p, c);
      e = c;
    } else {
      break;
    }
  }
  return e;
}

/* name := NAME { '.' NAME }  (filter and test names may be dotted FQCNs) */
static const char *jp_dotted(JP *p) {
  if (p->tok.kind != JT_NAME) {
    jp_error(p, p->tok.off, "expected a filter or test name");
    return "";
  }
  const char *first = p->tok.str;
  jp_next(p);
  if (!jp_is_op(p, ".")) /* the usual plain name (interned by the lexer) */
    return first;
  PcBuf n = {0};
  pc_buf_adds(p->c, &n, first);
  while (jp_is_op(p, ".")) {
    jp_next(p);
    if (p->tok.kind != JT_NAME)
      break;
    pc_buf_adds(p->c, &n, ".");
    pc_buf_adds(p->c, &n, p->tok.str);
    jp_next(p);
  }
  return pc_buf_str(&n);
}

/* True when the token after a test's name is its one argument written
 * without parentheses (Jinja2's parse_test): a name other than else/or/and,
 * a literal, or '(' '[' '{'. Any other name counts, even `if`, as in Jinja2
 * (`x is defined if c else d` is a syntax error there too). */
static bool jp_test_arg_follows(JP *p) {
  switch (p->tok.kind) {
  case JT_NAME: return !jp_is_name(p, "else") && !jp_is_name(p, "or") && !jp_is_name(p, "and");
  case JT_STR: case JT_INT: case JT_FLOAT: return true;
  case JT_OP: return jp_is_op(p, "(") || jp_is_op(p, "[") || jp_is_op(p, "{");
  default: return false;
  }
}

/* filters := { '|' name [args] | 'is' ['not'] name [args | arg] } */
static JExpr *jp_filters(JP *p, JExpr *e) {
  while (!p->failed) {
    size_t off = p->tok.off;
    if (jp_accept(p, "|")) {
      JExpr *f = jp_new(p, J_FILTER, off);
      f->name = jp_dotted(p);
      jp_kid(p, f, e);
      if (jp_is_op(p, "("))
        jp_args(p, f);
      e = f;
    } else if (jp_is_name(p, "is")) {
      jp_next(p);
      JExpr *t = jp_new(p, J_TEST, off);
      if (jp_is_name(p, "not")) {
        t->negated = true;
        jp_next(p);
      }
      /* none/true/false are names of tests too */
      t->name = p->tok.kind == JT_NAME ? jp_dotted(p) : "";
      if (!*t->name)
        jp_error(p, p->tok.off, "expected a test name after 'is'");
      jp_kid(p, t, e);
      if (jp_is_op(p, "("))
        jp_args(p, t);
      else if (jp_test_arg_follows(p)) { /* `x is sameas true`: one argument, primary and postfix */
        if (jp_is_name(p, "is"))
          jp_error(p, p->tok.off, "cannot chain multiple tests with 'is'");
        jp_kid(p, t, jp_postfix(p, jp_primary(p)));
      }
      e = t;
    } else {
      break;
    }
  }
  return e;
}

/* unary := ('-' | '+') unary | postfix, then filters/tests when with_filter */
static JExpr *jp_unary(JP *p, bool with_filter) {
  size_t off = p->tok.off;
  JExpr *e;
  if (jp_is_op(p, "-") || jp_is_op(p, "+")) {
    bool neg = p->tok.str[0] == '-';
    jp_next(p);
    e = jp_new(p, neg ? J_NEG : J_POS, off);
    if (!jp_enter(p))
      return e;
    jp_kid(p, e, jp_unary(p, false));
    p->depth--;
  } else {
    e = jp_postfix(p, jp_primary(p));
  }
  return with_filter ? jp_filters(p, e) : e;
}

/* pow := unary { '**' unary } */
static JExpr *jp_pow(JP *p) {
  JExpr *l = jp_unary(p, true);
  while (!p->failed && jp_is_op(p, "**")) {
    size_t off = p->tok.off;
    jp_next(p);
    l = jp_bin(p, J_BINOP, JB_POW, l, jp_unary(p, true), off);
  }
  return l;
}

/* math2 := pow { ('*' | '/' | '//' | '%') pow } */
static JExpr *jp_math2(JP *p) {
  JExpr *l = jp_pow(p);
  for (;;) {
    size_t off = p->tok.off;
    JBinOp op;
    if (jp_is_op(p, "*")) op = JB_MUL;
    else if (jp_is_op(p, "/")) op = JB_DIV;
    else if (jp_is_op(p, "//")) op = JB_FLOORDIV;
    else if (jp_is_op(p, "%")) op = JB_MOD;
    else return l;
    jp_next(p);
    l = jp_bin(p, J_BINOP, op, l, jp_pow(p), off);
  }
}

/* concat := math2 { '~' math2 }   (one flat node, as Jinja2's Concat) */
static JExpr *jp_concat(JP *p) {
  JExpr *l = jp_math2(p);
  if (p->failed || !jp_is_op(p, "~"))
    return l;
  JExpr *e = jp_new(p, J_CONCAT, p->tok.off);
  jp_kid(p, e, l);
  while (!p->failed && jp_is_op(p, "~")) {
    jp_next(p);
    jp_kid(p, e, jp_math2(p));
  }
  return e;
}

/* math1 := concat { ('+' | '-') concat } */
static JExpr *jp_math1(JP *p) {
  JExpr *l = jp_concat(p);
  while (!p->failed && (jp_is_op(p, "+") || jp_is_op(p, "-"))) {
    size_t off = p->tok.off;
    JBinOp op = p->tok.str[0] == '+' ? JB_ADD : JB_SUB;
    jp_next(p);
    l = jp_bin(p, J_BINOP, op, l, jp_concat(p), off);
  }
  return l;
}

/* compare := math1 { ('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not' 'in') math1 } */
static JExpr *jp_compare(JP *p) {
  static const struct { const char *op; JBinOp b; } ops[] = {
      {"==", JB_EQ}, {"!=", JB_NE}, {"<", JB_LT}, {"<=", JB_LE}, {">", JB_GT}, {">=", JB_GE}};
  JExpr *l = jp_math1(p), *prev = NULL, *chain = NULL;
  while (!p->failed) {
    size_t off = p->tok.off;
    int found = -1;
    for (int i = 0; i < 6; i++)
      if (jp_is_op(p, ops[i].op))
        found = i;
    JBinOp op;
    if (found >= 0) {
      op = ops[found].b;
      jp_next(p);
    } else if (jp_is_name(p, "in")) {
      op = JB_IN;
      jp_next(p);
    } else if (jp_is_name(p, "not")) {
      size_t save = p->pos;
      JTok t = p->tok;
      jp_next(p);
      if (!jp_is_name(p, "in")) {
        p->pos = save;
        p->tok = t;
        return l;
      }
      op = JB_NOTIN;
      jp_next(p);
    } else {
      return l;
    }
    JExpr *r = jp_math1(p);
    if (prev) { /* a < b < c is (a < b) and (b < c), as in Python; b is lowered once */
      prev->shared = true;
      if (!chain) {
        chain = jp_new(p, J_AND, off);
        jp_kid(p, chain, l);
      }
      jp_kid(p, chain, jp_bin(p, J_BINOP, op, prev, r, off));
      l = chain;
    } else {
      l = jp_bin(p, J_BINOP, op, l, r, off);
    }
    prev = r;
  }
  return l;
}

/* not := 'not' not | compare */
static JExpr *jp_not(JP *p) {
  if (jp_is_name(p, "not")) {
    JExpr *e = jp_new(p, J_NOT, p->tok.off);
    jp_next(p);
    if (!jp_enter(p))
      return e;
    jp_kid(p, e, jp_not(p));
    p->depth--;
    return e;
  }
  return jp_compare(p);
}

/* and := not { 'and' not } ; or := and { 'or' and }   (each a flat chain) */
static JExpr *jp_chain(JP *p, JKind kind, const char *word, JExpr *(*operand)(JP *)) {
  JExpr *l = operand(p);
  if (p->failed || !jp_is_name(p, word))
    return l;
  JExpr *e = jp_new(p, kind, p->tok.off);
  jp_kid(p, e, l);
  while (!p->failed && jp_is_name(p, word)) {
    jp_next(p);
    jp_kid(p, e, operand(p));
  }
  return e;
}

static JExpr *jp_and(JP *p) { return jp_chain(p, J_AND, "and", jp_not); }
static JExpr *jp_or(JP *p) { return jp_chain(p, J_OR, "or", jp_and); }

/* expr := or [ 'if' or [ 'else' expr ] ] */
static JExpr *jp_expr(JP *p) {
  if (!jp_enter(p))
    return jp_new(p, J_NONE, p->tok.off);
  JExpr *e = jp_or(p);
  if (!p->failed && jp_is_name(p, "if")) {
    JExpr *c = jp_new(p, J_IF, p->tok.off);
    jp_next(p);
    jp_kid(p, c, jp_or(p));
    jp_kid(p, c, e);
    if (jp_is_name(p, "else")) {
      jp_next(p);
      jp_kid(p, c, jp_expr(p));
    } else {
      jp_kid(p, c, NULL);
    }
    e = c;
  }
  p->depth--;
  return e;
}

JExpr *fe_jinja_parse_expr(PcCtx *c, const char *src, PcLoc loc) {
  JP p;
  jp_init(&p, c, src, loc);
  jp_next(&p);
  JExpr *e = jp_expr(&p);
  if (!p.failed && p.tok.kind != JT_EOF)
    jp_error(&p, p.tok.off, pc_sprintf(c, "unexpected '%.*s'", (int)p.tok.len, p.tok.s));
  return p.failed ? NULL : e;
}

/* ---- templates ------------------------------------------------------------------------- */

/* A Python whitespace character (ASCII; the text around tags is what
 * str.rstrip() and \s see, and Unicode spaces there are rare enough). */
static bool jt_space(char ch) { return ch == ' ' || (ch >= '\t' && ch <= '\r'); }

static void jt_push(PcCtx *c, PcVec *v, const char *text, size_t len, JExpr *e, JStmt *st) {
  JPart *part = pc_alloc_ast(c, sizeof *part);
  part->text = text;
  part->len = len;
  part->expr = e;
  part->stmt = st;
  if (v->len == v->cap) { /* pc_vec_push, with the AST's allocator */
    int32_t cap = v->cap ? v->cap * 2 : 4;
    void **items = pc_alloc_ast(c, sizeof(void *) * (size_t)cap);
    if (v->len)
      memcpy(items, v->items, sizeof(void *) * (size_t)v->len);
    v->items = items;
    v->cap = cap;
  }
  v->items[v->len++] = part;
}

static JTemplate *jt_finish(JP *p, PcVec *parts) {
  JTemplate *t = pc_alloc_ast(p->c, sizeof *t);
  t->parts = pc_alloc_ast(p->c, sizeof(JPart) * (size_t)(parts->len + 1));
  for (int k = 0; k < parts->len; k++) {
    JPart *part = parts->items[k];
    if (part->expr || part->stmt || part->len) /* whitespace control may empty a text part */
      t->parts[t->nparts++] = *part;
  }
  return t;
}

/* The text [from, to) before a tag opening at `to` ("{{", "{%" or "{#",
 * then its sign: '-', '+' or 0), as Jinja2's OptionalLStrip leaves it:
 * '-' strips all whitespace before the tag; lstrip_blocks strips the
 * spaces between a line's start and a block or comment tag. */
static size_t jt_text_len(JP *p, size_t from, size_t to, char kind, char sign) {
  const char *s = p->src;
  size_t n = to - from;
  if (sign == '-') {
    while (n && jt_space(s[from + n - 1]))
      n--;
  } else if (sign != '+' && p->opts->lstrip_blocks && kind != '{') {
    size_t l = n;
    while (l && s[from + l - 1] != '\n')
      l--;
    bool ws = l < n;
    for (size_t k = from + l; k < to; k++)
      ws &= s[k] == ' ' || s[k] == '\t' || s[k] == '\f' || s[k] == '\v' || s[k] == '\r';
    if (ws && (l > 0 || p->line_start))
      n = l;
  }
  return n;
}

/* After a closing tag at p->pos whose sign is `sign`: '-' skips all the
 * whitespace after it; a block or comment end without '+' takes one
 * newline when trim_blocks is on. Sets line_start for lstrip_blocks. */
static void jt_after_close(JP *p, char sign, bool block) {
  const char *s = p->src;
  size_t start = p->pos;
  if (sign == '-')
    while (jt_space(s[p->pos]))
      p->pos++;
  else if (block && sign != '+' && p->opts->trim_blocks && s[p->pos] == '\n')
    p->pos++;
  p->line_start = p->pos > start && s[p->pos - 1] == '\n';
}

/* Expects the end of a statement's tag: '%}', '-%}' or '+%}'; the text
 * after it is the template's again. */
static void jt_block_end(JP *p) {
  if (p->failed)
    return;
  if (p->tok.kind != JT_BLOCK_END) {
    jp_error(p, p->tok.off,
             p->tok.kind == JT_EOF ? "unexpected end of template, expected end of statement block ('%}')"
                                   : pc_sprintf(p->c, "expected token 'end of statement block', got '%.*s'",
                                                (int)p->tok.len, p->tok.s));
    return;
  }
  jt_after_close(p, p->tok.slen == 3 ? p->tok.str[0] : 0, true);
}

static JTemplate *jt_body(JP *p, const char *const *ends, const char *who, size_t who_off, int *endi);

/* target := name {',' name} | '(' ... ')' | name '.' name (set only)
 * (Jinja2's parse_assign_target): a J_NAME, a J_TUPLE of J_NAMEs or ns.attr. */
static JExpr *jt_target(JP *p, bool with_ns) {
  bool paren = jp_accept(p, "(");
  JExpr *tuple = NULL, *e = NULL;
  for (;;) {
    if (p->tok.kind != JT_NAME) {
      jp_error(p, p->tok.off, "expected a name to assign to");
      return jp_new(p, J_NAME, p->tok.off);
    }
    JExpr *n = jp_new(p, J_NAME, p->tok.off);
    n->name = p->tok.str;
    if (!strcmp(n->name, "true") || !strcmp(n->name, "false") || !strcmp(n->name, "none") ||
        !strcmp(n->name, "True") || !strcmp(n->name, "False") || !strcmp(n->name, "None"))
      jp_error(p, p->tok.off, pc_sprintf(p->c, "can't assign to '%s'", n->name));
    jp_next(p);
    if (with_ns && !paren && !tuple && jp_is_op(p, ".")) {
      jp_next(p);
      JExpr *g = jp_new(p, J_GETATTR, n->off);
      g->name = p->tok.kind == JT_NAME ? p->tok.str : "";
      if (p->tok.kind != JT_NAME)
        jp_error(p, p->tok.off, "expected an attribute name after '.'");
      jp_next(p);
      jp_kid(p, g, n);
      return g;
    }
    if (!jp_is_op(p, ",")) {
      e = n;
      if (tuple)
        jp_kid(p, tuple, n);
      break;
    }
    if (!tuple)
      tuple = jp_new(p, J_TUPLE, n->off);
    jp_kid(p, tuple, n);
    jp_next(p);
    if (paren && jp_is_op(p, ")"))
      break; /* `(a, b,)`; without parentheses a trailing comma is an error, as in Jinja2 */
  }
  if (paren)
    jp_expect(p, ")");
  return tuple ? tuple : e;
}

/* An expression, or several separated by commas (a tuple, Jinja2's parse_tuple);
 * `condexpr` false: no `a if c else b` at the top (for's iterable). */
static JExpr *jt_tuple(JP *p, bool condexpr) {
  JExpr *e = condexpr ? jp_expr(p) : jp_or(p);
  if (p->failed || !jp_is_op(p, ","))
    return e;
  JExpr *t = jp_new(p, J_TUPLE, e->off);
  jp_kid(p, t, e);
  while (!p->failed && jp_accept(p, ",") && p->tok.kind != JT_BLOCK_END && !jp_is_name(p, "if") &&
         !jp_is_name(p, "recursive"))
    jp_kid(p, t, condexpr ? jp_expr(p) : jp_or(p));
  return t;
}

static JStmt *jt_new(JP *p, JStmtKind k, const char *name, size_t off) {
  JStmt *st = pc_alloc_ast(p->c, sizeof *st);
  st->kind = k;
  st->name = name;
  st->off = off;
  st->loc = jp_loc(p, off);
  p->has_stmt = true;
  return st;
}

/* The body of a statement after its tag, up to `end` (its closing tag). */
static JTemplate *jt_block(JP *p, JStmt *st, const char *end) {
  const char *ends[] = {end, NULL};
  int endi;
  JTemplate *t = jt_body(p, ends, st->name, st->off, &endi);
  jp_next(p);
  jt_block_end(p);
  return t;
}

/* if := 'if' expr '%}' body {'elif' expr '%}' body} ['else' '%}' body] 'endif' */
static JStmt *jt_if(JP *p, size_t off) {
  static const char *const ends[] = {"elif", "else", "endif", NULL};
  JStmt *st = jt_new(p, JS_IF, "if", off);
  st->expr = jp_expr(p);
  jt_block_end(p);
  int endi = -1;
  st->body = jt_body(p, ends, "if", off, &endi);
  if (p->failed)
    return st;
  size_t at = p->tok.off;
  jp_next(p);
  if (endi == 0) { /* elif: an if in the else branch, ending at the same endif */
    JStmt *e = jt_if(p, at);
    e->name = "elif";
    PcVec v = {0};
    jt_push(p->c, &v, NULL, 0, NULL, e);
    st->orelse = jt_finish(p, &v);
    return st;
  }
  jt_block_end(p);
  if (endi == 1)
    st->orelse = jt_block(p, st, "endif");
  return st;
}

/* for := 'for' target 'in' expr ['if' expr] ['recursive'] '%}' body ['else' '%}' body] 'endfor' */
static JStmt *jt_for(JP *p, size_t off) {
  static const char *const ends[] = {"endfor", "else", NULL};
  JStmt *st = jt_new(p, JS_FOR, "for", off);
  st->target = jt_target(p, false);
  if (!p->failed && !jp_is_name(p, "in"))
    jp_error(p, p->tok.off, pc_sprintf(p->c, "expected token 'in', got '%.*s'", (int)p->tok.len, p->tok.s));
  jp_next(p);
  st->expr = jt_tuple(p, false);
  if (!p->failed && jp_is_name(p, "if")) {
    jp_next(p);
    st->cond = jp_expr(p);
  }
  if (!p->failed && jp_is_name(p, "recursive")) {
    st->recursive = true;
    jp_next(p);
  }
  jt_block_end(p);
  int endi = -1;
  st->body = jt_body(p, ends, "for", off, &endi);
  if (p->failed)
    return st;
  jp_next(p);
  jt_block_end(p);
  if (endi == 1)
    st->orelse = jt_block(p, st, "endfor");
  return st;
}

/* set := 'set' target '=' expr | 'set' target '%}' body 'endset' */
static JStmt *jt_set(JP *p, size_t off) {
  JStmt *st = jt_new(p, JS_SET, "set", off);
  st->target = jt_target(p, true);
  if (!p->failed && jp_accept(p, "=")) {
    st->expr = jt_tuple(p, true);
    jt_block_end(p);
    return st;
  }
  if (!p->failed && p->tok.kind != JT_BLOCK_END) {
    jp_error(p, p->tok.off, pc_sprintf(p->c, "expected token '=', got '%.*s'", (int)p->tok.len, p->tok.s));
    return st;
  }
  if (st->target->kind != J_NAME)
    jp_error(p, st->off, "a block 'set' assigns one name");
  st->kind = JS_SETBLOCK;
  jt_block_end(p);
  st->body = jt_block(p, st, "endset");
  return st;
}

/* filter := 'filter' name [args] {'|' name [args]} '%}' body 'endfilter' */
static JStmt *jt_filter(JP *p, size_t off) {
  JStmt *st = jt_new(p, JS_FILTER, "filter", off);
  JExpr *f = jp_new(p, J_FILTER, p->tok.off);
  f->name = jp_dotted(p);
  jp_kid(p, f, jp_new(p, J_BODY, off));
  if (jp_is_op(p, "("))
    jp_args(p, f);
  st->expr = jp_filters(p, f);
  jt_block_end(p);
  st->body = jt_block(p, st, "endfilter");
  return st;
}

/* with := 'with' [name '=' expr {',' name '=' expr}] '%}' body 'endwith' */
static JStmt *jt_with(JP *p, size_t off) {
  JStmt *st = jt_new(p, JS_WITH, "with", off);
  st->target = jp_new(p, J_TUPLE, off);
  st->expr = jp_new(p, J_TUPLE, off);
  while (!p->failed && p->tok.kind != JT_BLOCK_END) {
    if (st->target->nkids && !jp_accept(p, ","))
      jp_error(p, p->tok.off, "expected token ',' in 'with'");
    JExpr *n = jt_target(p, false);
    jp_expect(p, "=");
    jp_kid(p, st->target, n);
    jp_kid(p, st->expr, jp_expr(p));
  }
  jt_block_end(p);
  st->body = jt_block(p, st, "endwith");
  return st;
}

/* params := '(' [param ['=' expr] {',' param ['=' expr]}] ')': into st->expr
 * (J_NAMEs) and st->cond (their defaults, NULL where none), as Jinja2's
 * parse_signature reads a macro's or a call block's. */
static void jt_params(JP *p, JStmt *st, size_t off) {
  st->expr = jp_new(p, J_LIST, off);
  st->cond = jp_new(p, J_LIST, off);
  jp_expect(p, "(");
  while (!p->failed && !jp_is_op(p, ")")) {
    if (st->expr->nkids)
      jp_expect(p, ",");
    if (p->tok.kind != JT_NAME) {
      jp_error(p, p->tok.off, "expected a parameter name");
      break;
    }
    JExpr *n = jp_new(p, J_NAME, p->tok.off);
    n->name = p->tok.str;
    jp_next(p);
    bool def = jp_accept(p, "=");
    if (!def && st->cond->nkids && st->cond->kids[st->cond->nkids - 1])
      jp_error(p, n->off, "non-default argument follows default argument");
    jp_kid(p, st->expr, n);
    jp_kid(p, st->cond, def ? jp_expr(p) : NULL);
  }
  jp_expect(p, ")");
}

/* macro := 'macro' name params '%}' body 'endmacro' */
static JStmt *jt_macro(JP *p, size_t off) {
  JStmt *st = jt_new(p, JS_MACRO, "macro", off);
  st->target = jp_new(p, J_NAME, p->tok.off);
  st->target->name = p->tok.kind == JT_NAME ? p->tok.str : "";
  if (p->tok.kind != JT_NAME)
    jp_error(p, p->tok.off, "expected a macro name");
  jp_next(p);
  jt_params(p, st, off);
  jt_block_end(p);
  st->body = jt_block(p, st, "endmacro");
  return st;
}

/* call := 'call' [params] expr(a call) '%}' body 'endcall' */
static JStmt *jt_call(JP *p, size_t off) {
  JStmt *st = jt_new(p, JS_CALL, "call", off);
  if (jp_is_op(p, "(")) {
    jt_params(p, st, off);
  } else {
    st->expr = jp_new(p, J_LIST, off);
    st->cond = jp_new(p, J_LIST, off);
  }
  st->target = st->expr; /* the params; expr becomes the call */
  JExpr *defaults = st->cond;
  size_t at = p->tok.off;
  st->expr = jp_expr(p);
  if (!p->failed && st->expr->kind != J_CALL)
    jp_error(p, at, "expected call");
  st->cond = defaults;
  jt_block_end(p);
  st->body = jt_block(p, st, "endcall");
  return st;
}

/* context := ['with' 'context' | 'without' 'context'] (Jinja2's parse_import_context);
 * true when one was read. */
static bool jt_context(JP *p, JStmt *st) {
  if (!jp_is_name(p, "with") && !jp_is_name(p, "without"))
    return false;
  size_t save = p->pos;
  JTok tok = p->tok;
  bool with = jp_is_name(p, "with");
  jp_next(p);
  if (!jp_is_name(p, "context")) {
    p->pos = save;
    p->tok = tok;
    return false;
  }
  jp_next(p);
  st->context = with;
  return true;
}

/* include := 'include' expr ['ignore' 'missing'] [context] */
static JStmt *jt_include(JP *p, size_t off) {
  JStmt *st = jt_new(p, JS_INCLUDE, "include", off);
  st->context = -1;
  st->expr = jp_expr(p);
  if (!p->failed && jp_is_name(p, "ignore")) {
    jp_next(p);
    if (!jp_is_name(p, "missing"))
      jp_error(p, p->tok.off, "expected token 'missing'");
    jp_next(p);
    st->ignore_missing = true;
  }
  if (!p->failed)
    jt_context(p, st);
  jt_block_end(p);
  return st;
}

/* An imported name or alias: a NAME, as Jinja2's parse_assign_target(name_only). */
static JExpr *jt_import_name(JP *p) {
  JExpr *n = jp_new(p, J_NAME, p->tok.off);
  n->name = p->tok.kind == JT_NAME ? p->tok.str : "";
  if (p->tok.kind != JT_NAME)
    jp_error(p, p->tok.off, "expected name");
  jp_next(p);
  return n;
}

/* import := 'import' expr 'as' name [context] */
static JStmt *jt_import(JP *p, size_t off) {
  JStmt *st = jt_new(p, JS_IMPORT, "import", off);
  st->context = -1;
  st->expr = jp_expr(p);
  if (!p->failed && !jp_is_name(p, "as"))
    jp_error(p, p->tok.off, "expected token 'as'");
  jp_next(p);
  if (!p->failed)
    st->target = jt_import_name(p);
  if (!p->failed)
    jt_context(p, st);
  jt_block_end(p);
  return st;
}

/* from := 'from' expr 'import' name ['as' name] {',' name ['as' name]} [','] [context] */
static JStmt *jt_from(JP *p, size_t off) {
  JStmt *st = jt_new(p, JS_FROM, "from", off);
  st->context = -1;
  st->expr = jp_expr(p);
  st->target = jp_new(p, J_LIST, off);
  st->cond = jp_new(p, J_LIST, off);
  if (!p->failed && !jp_is_name(p, "import"))
    jp_error(p, p->tok.off, "expected token 'import'");
  jp_next(p);
  while (!p->failed) {
    if (st->target->nkids)
      jp_expect(p, ",");
    if (p->failed || jt_context(p, st))
      break;
    if (p->tok.kind == JT_NAME) {
      JExpr *n = jt_import_name(p);
      if (n->name[0] == '_')
        jp_error(p, n->off, "names starting with an underline can not be imported");
      JExpr *alias = n;
      if (jp_is_name(p, "as")) {
        jp_next(p);
        alias = jt_import_name(p);
      }
      jp_kid(p, st->target, n);
      jp_kid(p, st->cond, alias);
      if (p->failed || jt_context(p, st) || !jp_is_op(p, ","))
        break;
    } else {
      jp_error(p, p->tok.off, "expected token 'name'");
      break;
    }
  }
  jt_block_end(p);
  return st;
}

/* extends := 'extends' expr */
static JStmt *jt_extends(JP *p, size_t off) {
  JStmt *st = jt_new(p, JS_EXTENDS, "extends", off);
  st->expr = jp_expr(p);
  jt_block_end(p);
  return st;
}

/* block := 'block' name ['scoped'] ['required'] '%}' body 'endblock' [name] */
static JStmt *jt_blockstmt(JP *p, size_t off) {
  static const char *const ends[] = {"endblock", NULL};
  JStmt *st = jt_new(p, JS_BLOCK, "block", off);
  if (p->tok.kind != JT_NAME) {
    jp_error(p, p->tok.off, "expected a block name");
    return st;
  }
  st->target = jp_new(p, J_NAME, p->tok.off);
  st->target->name = p->tok.str;
  jp_next(p);
  while (jp_is_name(p, "scoped") || jp_is_name(p, "required")) {
    st->scoped |= jp_is_name(p, "scoped");
    jp_next(p);
  }
  jt_block_end(p);
  int endi;
  st->body = jt_body(p, ends, "block", off, &endi);
  jp_next(p);
  if (!p->failed && p->tok.kind == JT_NAME) {
    if (strcmp(p->tok.str, st->target->name) != 0)
      jp_error(p, p->tok.off, pc_sprintf(p->c, "expected token 'end of statement block', got '%s'", p->tok.str));
    jp_next(p);
  }
  jt_block_end(p);
  return st;
}

/* Jinja2's wording of the tags an unclosed block waits for. */
static const char *jt_looking_for(JP *p, const char *const *ends, const char *who) {
  PcBuf b = {0};
  pc_buf_adds(p->c, &b, " Jinja was looking for the following tags: ");
  for (int i = 0; ends[i]; i++)
    pc_buf_adds(p->c, &b, pc_sprintf(p->c, "%s'%s'", i ? " or " : "", ends[i]));
  pc_buf_adds(p->c, &b, pc_sprintf(p->c, ". The innermost block that needs to be closed is '%s'.", who));
  return pc_buf_str(&b);
}

/* `{% raw %}...{% endraw %}` at p->pos (just after "raw"): the text as it is. */
static void jt_raw(JP *p, PcVec *parts, size_t open) {
  const char *s = p->src;
  size_t i = p->pos;
  while (jt_space(s[i]))
    i++;
  char sign = s[i] == '-' ? '-' : 0;
  if (strncmp(s + i + (sign != 0), "%}", 2) != 0) {
    jp_error(p, i, "expected token 'end of statement block' after 'raw'");
    return;
  }
  p->pos = i + (sign != 0) + 2;
  jt_after_close(p, sign, false); /* the raw tag takes no newline (Jinja2's root_raw_re) */
  for (size_t k = p->pos; s[k]; k++) {
    if (s[k] != '{' || s[k + 1] != '%')
      continue;
    size_t j = k + 2;
    char esign = s[j] == '-' || s[j] == '+' ? s[j++] : 0;
    while (jt_space(s[j]))
      j++;
    if (strncmp(s + j, "endraw", 6) != 0)
      continue;
    j += 6;
    while (jt_space(s[j]))
      j++;
    char csign = s[j] == '-' || s[j] == '+' ? s[j++] : 0;
    if (strncmp(s + j, "%}", 2) != 0)
      continue;
    jt_push(p->c, parts, s + p->pos, jt_text_len(p, p->pos, k, '%', esign), NULL, NULL);
    p->pos = j + 2;
    jt_after_close(p, csign, true);
    return;
  }
  jp_error(p, open, "missing end of raw directive");
}

/* One statement tag at p->pos (after "{%" and its sign); NULL when its
 * name is one of `ends` (p->tok is that name) and *endi says which. */
static JStmt *jt_stmt(JP *p, PcVec *parts, size_t open, const char *const *ends, const char *who, int *endi) {
  jp_next(p);
  if (jp_is_name(p, "raw")) {
    jt_raw(p, parts, open);
    return NULL;
  }
  if (p->tok.kind != JT_NAME) {
    jp_error(p, p->tok.off, p->tok.kind == JT_BLOCK_END ? "tag name expected" : "expected a statement name");
    return NULL;
  }
  const char *tag = p->tok.str;
  for (int i = 0; ends && ends[i]; i++)
    if (strcmp(tag, ends[i]) == 0) {
      *endi = i;
      return NULL;
    }
  size_t off = p->tok.off;
  jp_next(p);
  if (!strcmp(tag, "if")) return jt_if(p, off);
  if (!strcmp(tag, "for")) return jt_for(p, off);
  if (!strcmp(tag, "set")) return jt_set(p, off);
  if (!strcmp(tag, "filter")) return jt_filter(p, off);
  if (!strcmp(tag, "with")) return jt_with(p, off);
  if (!strcmp(tag, "block")) return jt_blockstmt(p, off);
  if (!strcmp(tag, "macro")) return jt_macro(p, off);
  if (!strcmp(tag, "call")) return jt_call(p, off);
  if (!strcmp(tag, "include")) return jt_include(p, off);
  if (!strcmp(tag, "import")) return jt_import(p, off);
  if (!strcmp(tag, "from")) return jt_from(p, off);
  if (!strcmp(tag, "extends")) return jt_extends(p, off);
  jp_error(p, off, pc_sprintf(p->c, "Encountered unknown tag '%s'.%s", tag, ends ? jt_looking_for(p, ends, who) : ""));
  return NULL;
}

/* Ansible lexes a playbook string as Jinja2 reads it before it doubles the
 * backslashes of its {{ }} literals: a literal whose last backslash escapes
 * its closing quote (`{{ "a\" }}`) fails there, before the doubled text
 * would read. True, after the error, when the text from p->pos to the
 * block's end does not lex with Python's escapes. */
static bool jt_escape_lex_fails(JP *p) {
  if (!strchr(p->src + p->pos, '\\'))
    return false;
  size_t q = p->pos;
  for (;;) {
    JTok t = fe_jinja_lex(p->c, p->src, &q, false);
    if (t.kind == JT_ERR) {
      jp_error(p, t.off, t.str);
      return true;
    }
    if (t.kind == JT_EOF || t.kind == JT_VAR_END)
      return false;
  }
}

/* body := { text | '{{' expr '}}' | '{#' ... '#}' | '{%' stmt '%}' } up to a
 * tag named in `ends` (then *endi is its index and p->tok that name), or
 * the end of the text when `ends` is NULL. */
static JTemplate *jt_body(JP *p, const char *const *ends, const char *who, size_t who_off, int *endi) {
  PcVec parts = {0};
  const char *src = p->src;
  size_t text = p->pos;
  *endi = -1;
  if (!jp_enter(p))
    return jt_finish(p, &parts);
  while (!p->failed) {
    size_t i = text;
    while (src[i] && !(src[i] == '{' && (src[i + 1] == '{' || src[i + 1] == '%' || src[i + 1] == '#')))
      i++;
    if (!src[i]) {
      jt_push(p->c, &parts, src + text, i - text, NULL, NULL);
      p->pos = i;
      if (ends)
        jp_error(p, who_off, pc_sprintf(p->c, "Unexpected end of template.%s", jt_looking_for(p, ends, who)));
      break;
    }
    char kind = src[i + 1], sign = src[i + 2] == '-' || src[i + 2] == '+' ? src[i + 2] : 0;
    jt_push(p->c, &parts, src + text, jt_text_len(p, text, i, kind, sign), NULL, NULL);
    p->pos = i + 2 + (sign != 0);
    if (kind == '#') {
      const char *e = strstr(src + p->pos, "#}");
      if (!e) {
        jp_error(p, i, "unterminated comment: missing '#}'");
        break;
      }
      size_t close = (size_t)(e - src);
      char csign = close > p->pos && (src[close - 1] == '-' || src[close - 1] == '+') ? src[close - 1] : 0;
      p->pos = close + 2;
      jt_after_close(p, csign, true);
    } else if (kind == '{') {
      p->raw_strings = p->opts && p->opts->escape_backslashes;
      if (p->raw_strings && jt_escape_lex_fails(p))
        break;
      jp_next(p);
      if (p->tok.kind == JT_EOF) {
        jp_error(p, i, "unterminated '{{': expected '}}'");
        break;
      }
      JExpr *e = jp_expr(p);
      if (!p->failed && jp_is_op(p, ",")) { /* {{ a, b }}: a tuple (Jinja2's parse_tuple) */
        JExpr *t = jp_new(p, J_TUPLE, e->off);
        jp_kid(p, t, e);
        while (!p->failed && jp_accept(p, ",") && p->tok.kind != JT_VAR_END)
          jp_kid(p, t, jp_expr(p));
        e = t;
      }
      if (!p->failed && p->tok.kind != JT_VAR_END)
        jp_error(p, p->tok.kind == JT_EOF ? i : p->tok.off,
                 p->tok.kind == JT_EOF ? "unterminated '{{': expected '}}'"
                                       : pc_sprintf(p->c, "unexpected '%.*s', expected '}}'", (int)p->tok.len,
                                                    p->tok.s));
      p->raw_strings = false;
      jt_push(p->c, &parts, NULL, 0, e, NULL);
      jt_after_close(p, p->tok.slen == 3 ? '-' : 0, false);
    } else {
      JStmt *st = jt_stmt(p, &parts, i, ends, who, endi);
      if (*endi >= 0)
        break;
      if (st)
        jt_push(p->c, &parts, NULL, 0, NULL, st);
    }
    text = p->pos;
  }
  p->depth--;
  return jt_finish(p, &parts);
}

JTemplate *fe_jinja_parse_template_opts(PcCtx *c, const char *src, PcLoc loc, const JOpts *o) {
  JP p;
  jp_init(&p, c, src, loc);
  p.opts = o;
  p.line_start = true;
  int endi;
  JTemplate *t = jt_body(&p, NULL, NULL, 0, &endi);
  if (p.failed)
    return NULL;
  t->has_stmt = p.has_stmt;
  return t;
}

JTemplate *fe_jinja_parse_template(PcCtx *c, const char *src, PcLoc loc) {
  static const JOpts ansible = {.trim_blocks = true, .lstrip_blocks = false, .escape_backslashes = true};
  return fe_jinja_parse_template_opts(c, src, loc, &ansible);
}
