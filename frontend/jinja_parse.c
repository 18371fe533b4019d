/*
 * jinja_parse.c — recursive-descent parser for Jinja expressions and
 * templates, with Jinja2's precedence (parser.py): conditional `a if c else b`
 * < or < and < not < comparisons/in < + - < ~ < * / // % < ** < unary - + with
 * filters `|` and tests `is` < postfix .attr [sub]. Templates are text with
 * {{ expr }} and {# comments #}; {% statements %} are not supported yet and
 * are reported as such. Errors are located inside the YAML scalar.
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

static void jp_next(JP *p) { p->tok = fe_jinja_lex(p->c, p->src, &p->pos); }

/* fe_jinja_loc without rescanning the text. */
static PcLoc jp_loc(const JP *p, size_t off) {
  PcLoc l = p->loc;
  if (off <= p->first_nl)
    l.col += (int32_t)off;
  else if (!p->src[p->first_nl])
    l.col += (int32_t)p->first_nl;
  return l;
}

static void jp_error(JP *p, size_t off, const char *msg) {
  if (!p->failed)
    pc_error_at(p->c, jp_loc(p, off), "%s", msg);
  p->failed = true;
}

static const char jp_too_deep[] = "expression nested too deeply";

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
  JExpr *e = pc_alloc(p->c, sizeof *e);
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
    JExpr **kids = pc_alloc(p->c, sizeof(JExpr *) * (size_t)(n ? n * 2 : 1));
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
  PcBuf n = {0};
  pc_buf_adds(p->c, &n, p->tok.str);
  jp_next(p);
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

static void jt_push(PcCtx *c, PcVec *v, const char *text, size_t len, JExpr *e) {
  JPart *part = pc_alloc(c, sizeof *part);
  part->text = text;
  part->len = len;
  part->expr = e;
  pc_vec_push(c, v, part);
}

/* template := { text | '{{' expr '}}' | '{#' ... '#}' }   ('{%' is not supported yet) */
JTemplate *fe_jinja_parse_template(PcCtx *c, const char *src, PcLoc loc) {
  JP p;
  jp_init(&p, c, src, loc);
  PcVec parts = {0};
  size_t i = 0, text = 0;
  while (!p.failed && src[i]) {
    if (src[i] != '{' || (src[i + 1] != '{' && src[i + 1] != '%' && src[i + 1] != '#')) {
      i++;
      continue;
    }
    if (i > text)
      jt_push(c, &parts, src + text, i - text, NULL);
    if (src[i + 1] == '%') { /* statements: the rest of the template, kept as written */
      JExpr *e = pc_alloc(c, sizeof *e);
      e->kind = J_STMT;
      e->off = i;
      e->loc = fe_jinja_loc(src, loc, i);
      e->s = src + i;
      e->slen = strlen(src + i);
      jt_push(c, &parts, NULL, 0, e);
      i += e->slen;
      text = i;
      break;
    } else if (src[i + 1] == '#') {
      const char *e = strstr(src + i + 2, "#}");
      if (!e)
        jp_error(&p, i, "unterminated comment: missing '#}'");
      else
        i = (size_t)(e - src) + 2;
    } else {
      size_t open = i;
      p.pos = i + 2;
      if (src[p.pos] == '-') { /* "{{-": strip the whitespace before */
        p.pos++;
        JPart *prev = parts.len ? parts.items[parts.len - 1] : NULL;
        while (prev && !prev->expr && prev->len && strchr(" \t\r\n", prev->text[prev->len - 1]))
          prev->len--;
      }
      jp_next(&p);
      if (p.tok.kind == JT_EOF) {
        jp_error(&p, open, "unterminated '{{': expected '}}'");
        break;
      }
      JExpr *e = jp_expr(&p);
      if (!p.failed && jp_is_op(&p, ",")) { /* {{ a, b }}: a tuple (Jinja2's parse_tuple) */
        JExpr *t = jp_new(&p, J_TUPLE, e->off);
        /* rendered as Python prints a tuple, which playc's values cannot yet */
        t->unsupported = "a tuple written without parentheses";
        jp_kid(&p, t, e);
        while (!p.failed && jp_accept(&p, ",") && p.tok.kind != JT_VAR_END)
          jp_kid(&p, t, jp_expr(&p));
        e = t;
      }
      if (!p.failed && p.tok.kind != JT_VAR_END)
        jp_error(&p, p.tok.kind == JT_EOF ? open : p.tok.off,
                 p.tok.kind == JT_EOF ? "unterminated '{{': expected '}}'"
                                      : pc_sprintf(c, "unexpected '%.*s', expected '}}'", (int)p.tok.len, p.tok.s));
      jt_push(c, &parts, NULL, 0, e);
      i = p.pos;
      if (p.tok.kind == JT_VAR_END && p.tok.slen == 3) /* "-}}": strip the whitespace after */
        while (src[i] && strchr(" \t\r\n", src[i]))
          i++;
    }
    text = i;
  }
  if (p.failed)
    return NULL;
  if (i > text)
    jt_push(c, &parts, src + text, i - text, NULL);
  JTemplate *t = pc_alloc(c, sizeof *t);
  t->nparts = parts.len;
  t->parts = pc_alloc(c, sizeof(JPart) * (size_t)(parts.len + 1));
  t->nparts = 0;
  for (int k = 0; k < parts.len; k++) {
    JPart *part = parts.items[k];
    if (part->expr || part->len) /* whitespace control may empty a text part */
      t->parts[t->nparts++] = *part;
  }
  return t;
}
