/*
 * jmespath.c — JMESPath for json_query: a lexer, a top-down operator
 * precedence parser with jmespath's binding powers (so projections stop
 * where jmespath's stop), and a tree walker over playc's values with
 * jmespath 1.0.1's rules: missing is None, ordering comparisons on numbers
 * and strings only (else None; Python's TypeError for a number against a
 * string), JMESPath truthiness ('' [] {} null false), projections that drop
 * None, and the built-in functions with their arity and type errors in
 * jmespath's words.
 *
 * Positions in messages count code points, as Python's do. A string's
 * Python type is str, or AnsibleUnsafeText when Ansible marks it unsafe:
 * json_query's patch makes jmespath's type checks accept it, but its
 * reverse map names it "unknown" (sort_by/min_by/max_by refuse such keys).
 */
#include "jmespath.h"

#include "arith.h"
#include "filters.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ---- */

typedef enum {
  T_EOF, T_UNQUOTED, T_QUOTED, T_LITERAL, T_RBRACKET, T_RPAREN, T_COMMA, T_RBRACE, T_NUMBER, T_CURRENT,
  T_EXPREF, T_COLON, T_PIPE, T_OR, T_AND, T_EQ, T_GT, T_LT, T_GTE, T_LTE, T_NE, T_FLATTEN, T_STAR, T_FILTER,
  T_DOT, T_NOT, T_LBRACE, T_LBRACKET, T_LPAREN, T_COUNT
} TokType;

static const char *const tok_names[T_COUNT] = {
    "eof", "unquoted_identifier", "quoted_identifier", "literal", "rbracket", "rparen", "comma", "rbrace",
    "number", "current", "expref", "colon", "pipe", "or", "and", "eq", "gt", "lt", "gte", "lte", "ne",
    "flatten", "star", "filter", "dot", "not", "lbrace", "lbracket", "lparen"};

static const int tok_bp[T_COUNT] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 5, 5, 5, 5, 5, 5,
                                    9, 20, 21, 40, 45, 50, 55, 60};
enum { PROJECTION_STOP = 10 };

typedef struct Tok {
  TokType type;
  size_t start;  /* code point position */
  char *s;       /* identifier text, or the token's text */
  size_t slen;
  int64_t num;
  RtValue *lit;  /* a literal's value */
} Tok;

/* ---- tree ---- */

typedef enum {
  JP_FIELD, JP_SUBEXPR, JP_INDEX, JP_INDEX_EXPR, JP_SLICE, JP_PROJECTION, JP_VALUE_PROJECTION,
  JP_FILTER_PROJECTION, JP_FLATTEN, JP_IDENTITY, JP_CURRENT, JP_LITERAL, JP_MULTI_LIST, JP_MULTI_HASH,
  JP_KEYVAL, JP_OR, JP_AND, JP_NOT, JP_PIPE, JP_COMPARATOR, JP_FUNCTION, JP_EXPREF
} JpKind;

struct JpNode {
  JpKind kind;
  TokType op;      /* JP_COMPARATOR */
  int64_t n[3];    /* JP_INDEX: n[0]; JP_SLICE: start stop step */
  bool has[3];     /* JP_SLICE: which were given */
  char *s;         /* JP_FIELD, JP_KEYVAL, JP_FUNCTION: the name */
  size_t slen;
  RtValue *lit;    /* JP_LITERAL */
  JpNode **kids;
  int nkids, cap;
};

static JpNode *node(JpKind k) {
  JpNode *n = rt_xcalloc(1, sizeof *n);
  n->kind = k;
  return n;
}

static void add_kid(JpNode *n, JpNode *k) {
  if (n->nkids == n->cap) {
    n->cap = n->cap ? n->cap * 2 : 2;
    n->kids = rt_xrealloc(n->kids, sizeof *n->kids * (size_t)n->cap);
  }
  n->kids[n->nkids++] = k;
}

static JpNode *node2(JpKind k, JpNode *a, JpNode *b) {
  JpNode *n = node(k);
  add_kid(n, a);
  if (b)
    add_kid(n, b);
  return n;
}

void rt_jp_free(JpNode *n) {
  if (!n)
    return;
  for (int i = 0; i < n->nkids; i++)
    rt_jp_free(n->kids[i]);
  free(n->kids);
  free(n->s);
  if (n->lit)
    rt_decref(n->lit);
  free(n);
}

/* ---- lexer ---- */

typedef struct Lexer {
  const char *src;
  size_t len;
  uint32_t *cp;  /* the code points */
  size_t ncp, pos;
  Tok *toks;
  size_t ntoks, cap;
  char *err;
} Lexer;

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  va_end(ap);
  return s;
}

static bool is_ident_start(uint32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_ident(uint32_t c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
static bool is_digit(uint32_t c) { return c >= '0' && c <= '9'; }

static uint32_t cur(const Lexer *L) { return L->pos < L->ncp ? L->cp[L->pos] : 0xFFFFFFFFu; }
#define NONE_CP 0xFFFFFFFFu

/* jmespath's _next: at the last character the position stays and the
 * current character becomes None. */
static uint32_t next_cp(Lexer *L) {
  if (L->pos + 1 >= L->ncp) {
    L->pos = L->ncp; /* None */
    return NONE_CP;
  }
  return L->cp[++L->pos];
}

/* The position jmespath's lexer reports at its end: the last character's. */
static size_t lex_pos(const Lexer *L) { return L->pos < L->ncp ? L->pos : L->ncp - 1; }

static Tok *push(Lexer *L, TokType t, size_t start) {
  if (L->ntoks == L->cap) {
    L->cap = L->cap ? L->cap * 2 : 16;
    L->toks = rt_xrealloc(L->toks, sizeof *L->toks * L->cap);
  }
  Tok *k = &L->toks[L->ntoks++];
  memset(k, 0, sizeof *k);
  k->type = t;
  k->start = start;
  return k;
}

static void put_cps(RtBuf *b, const uint32_t *cp, size_t n) {
  for (size_t i = 0; i < n; i++)
    rt_utf8_put(b, cp[i]);
}

/* The whole expression from code point `from`. */
static char *src_from(const Lexer *L, size_t from) {
  RtBuf b = {0};
  put_cps(&b, L->cp + from, L->ncp - from);
  rt_buf_putc(&b, 0);
  return b.data;
}

static void lex_error(Lexer *L, size_t pos, const char *msg) {
  RtBuf b = {0};
  rt_buf_printf(&b, "Bad jmespath expression: %s:\n%.*s\n", msg, (int)L->len, L->src);
  for (size_t i = 0; i < pos; i++)
    rt_buf_putc(&b, ' ');
  rt_buf_putc(&b, '^');
  rt_buf_putc(&b, 0);
  L->err = b.data;
}

/* _consume_until(delim): the text up to the delimiter, a backslash keeping
 * itself and the character after it. False (error set) when unclosed. */
static bool consume_until(Lexer *L, uint32_t delim, RtBuf *out) {
  size_t start = L->pos;
  next_cp(L);
  while (cur(L) != delim) {
    if (cur(L) == '\\') {
      rt_buf_putc(out, '\\');
      next_cp(L);
    }
    if (cur(L) == NONE_CP) {
      char msg[64];
      snprintf(msg, sizeof msg, "Unclosed %c delimiter", (char)delim);
      lex_error(L, start, msg);
      return false;
    }
    rt_utf8_put(out, cur(L));
    next_cp(L);
  }
  next_cp(L);
  return true;
}

/* Replaces every `\<c>` of b by `<c>`. */
static void unescape_one(RtBuf *b, char c) {
  size_t w = 0;
  for (size_t r = 0; r < b->len; r++) {
    if (b->data[r] == '\\' && r + 1 < b->len && b->data[r + 1] == c)
      r++;
    b->data[w++] = b->data[r];
  }
  b->len = w;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* json.loads of a JSON string's inside `s` (the quotes stripped): the text,
 * or NULL with Python's message (the part before its first colon). */
static char *json_string(const char *s, size_t n, size_t *outlen, const char **why) {
  RtBuf b = {0};
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20) {
      *why = "Invalid control character at";
      goto fail;
    }
    if (c != '\\') {
      rt_buf_putc(&b, (char)c);
      continue;
    }
    if (++i >= n) {
      *why = "Unterminated string starting at";
      goto fail;
    }
    switch (s[i]) {
    case '"': rt_buf_putc(&b, '"'); break;
    case '\\': rt_buf_putc(&b, '\\'); break;
    case '/': rt_buf_putc(&b, '/'); break;
    case 'b': rt_buf_putc(&b, '\b'); break;
    case 'f': rt_buf_putc(&b, '\f'); break;
    case 'n': rt_buf_putc(&b, '\n'); break;
    case 'r': rt_buf_putc(&b, '\r'); break;
    case 't': rt_buf_putc(&b, '\t'); break;
    case 'u': {
      uint32_t u = 0;
      for (int k = 1; k <= 4; k++) {
        int h = i + (size_t)k < n ? hexval(s[i + (size_t)k]) : -1;
        if (h < 0) {
          *why = "Invalid \\uXXXX escape";
          goto fail;
        }
        u = u * 16 + (uint32_t)h;
      }
      i += 4;
      if (u >= 0xD800 && u < 0xDC00 && i + 6 < n + 0 && s[i + 1] == '\\' && s[i + 2] == 'u') {
        uint32_t lo = 0;
        bool ok = true;
        for (int k = 3; k <= 6; k++) {
          int h = hexval(s[i + (size_t)k]);
          ok &= h >= 0;
          lo = lo * 16 + (uint32_t)(h < 0 ? 0 : h);
        }
        if (ok && lo >= 0xDC00 && lo < 0xE000) {
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
          i += 6;
        }
      }
      rt_utf8_put(&b, u);
      break;
    }
    default:
      *why = "Invalid \\escape";
      goto fail;
    }
  }
  rt_buf_putc(&b, 0);
  *outlen = b.len - 1;
  return b.data;
fail:
  rt_buf_free(&b);
  return NULL;
}

static void lex_literal(Lexer *L) {
  size_t start = L->pos;
  RtBuf b = {0};
  if (!consume_until(L, '`', &b)) {
    rt_buf_free(&b);
    return;
  }
  unescape_one(&b, '`');
  char *err = NULL;
  RtValue *v = rt_parse_json(b.data ? b.data : "", b.len, &err);
  if (!v) {
    free(err);
    err = NULL;
    /* JEP-12's deprecated form: the text as a JSON string's inside */
    size_t i = 0;
    while (i < b.len && (b.data[i] == ' ' || b.data[i] == '\t' || b.data[i] == '\n' || b.data[i] == '\r' ||
                         b.data[i] == '\f' || b.data[i] == '\v'))
      i++;
    const char *why = NULL;
    size_t n = 0;
    bool quote = false;
    for (size_t k = i; k < b.len; k++) /* an unescaped quote ends the string: extra data */
      if (b.data[k] == '"' && (k == i || b.data[k - 1] != '\\'))
        quote = true;
    char *t = quote ? NULL : json_string(b.data + i, b.len - i, &n, &why);
    if (t && n <= b.len && !(b.len - i > 0 && b.data[b.len - 1] == '\\' && (b.len - i < 2 || b.data[b.len - 2] != '\\')))
      v = rt_str_take(t, n);
    else
      free(t);
  }
  if (!v) {
    char *msg = xprintf("Bad token %.*s", (int)b.len, b.data ? b.data : "");
    RtBuf e = {0};
    char *rest = src_from(L, start);
    rt_buf_printf(&e, "Bad jmespath expression: %s:\n%s\n", msg, rest);
    for (size_t i = 0; i < start; i++)
      rt_buf_putc(&e, ' ');
    rt_buf_puts(&e, "^");
    rt_buf_putc(&e, 0);
    L->err = e.data;
    free(rest);
    free(msg);
    rt_buf_free(&b);
    return;
  }
  Tok *k = push(L, T_LITERAL, start);
  k->lit = v;
  rt_buf_free(&b);
}

static void lex_quoted(Lexer *L) {
  size_t start = L->pos;
  RtBuf b = {0};
  if (!consume_until(L, '"', &b)) {
    rt_buf_free(&b);
    return;
  }
  const char *why = "Invalid \\escape";
  size_t n = 0;
  char *t = json_string(b.data ? b.data : "", b.len, &n, &why);
  /* a trailing lone backslash escapes the closing quote: unterminated */
  size_t bs = 0;
  while (bs < b.len && b.data[b.len - 1 - bs] == '\\')
    bs++;
  if (t && bs % 2 == 1) {
    free(t);
    t = NULL;
    why = "Unterminated string starting at";
  }
  rt_buf_free(&b);
  if (!t) {
    lex_error(L, start, why);
    return;
  }
  Tok *k = push(L, T_QUOTED, start);
  k->s = t;
  k->slen = n;
}

static void lex_raw(Lexer *L) {
  size_t start = L->pos;
  RtBuf b = {0};
  if (!consume_until(L, '\'', &b)) {
    rt_buf_free(&b);
    return;
  }
  unescape_one(&b, '\'');
  Tok *k = push(L, T_LITERAL, start);
  k->lit = b.len ? rt_str(b.data, b.len) : rt_str("", 0);
  rt_buf_free(&b);
}

static void lex_number(Lexer *L, size_t start) {
  RtBuf b = {0};
  rt_utf8_put(&b, cur(L));
  while (is_digit(next_cp(L)))
    rt_utf8_put(&b, cur(L));
  if (b.len == 1 && b.data[0] == '-') {
    lex_error(L, start, "Unknown token '-'");
    rt_buf_free(&b);
    return;
  }
  Tok *k = push(L, T_NUMBER, start);
  int64_t v = 0;
  char msg[128];
  if (rt_arith_parse_int(b.data, b.len, 10, &v, msg, sizeof msg) != RT_ARITH_OK)
    v = b.data[0] == '-' ? INT64_MIN : INT64_MAX;
  k->num = v;
  rt_buf_free(&b);
}

static void lex_two(Lexer *L, uint32_t second, TokType yes, TokType no) {
  size_t start = L->pos;
  if (next_cp(L) == second) {
    next_cp(L);
    push(L, yes, start);
  } else {
    push(L, no, start);
  }
}

static bool tokenize(Lexer *L) {
  size_t i = 0;
  L->cp = rt_xcalloc(L->len + 1, sizeof *L->cp);
  while (i < L->len)
    L->cp[L->ncp++] = rt_utf8_next(L->src, L->len, &i);
  L->pos = 0;
  while (!L->err && L->pos < L->ncp) {
    uint32_t c = cur(L);
    size_t start = L->pos;
    TokType simple = T_COUNT;
    switch (c) {
    case '.': simple = T_DOT; break;
    case '*': simple = T_STAR; break;
    case ']': simple = T_RBRACKET; break;
    case ',': simple = T_COMMA; break;
    case ':': simple = T_COLON; break;
    case '@': simple = T_CURRENT; break;
    case '(': simple = T_LPAREN; break;
    case ')': simple = T_RPAREN; break;
    case '{': simple = T_LBRACE; break;
    case '}': simple = T_RBRACE; break;
    default: break;
    }
    if (simple != T_COUNT) {
      push(L, simple, start);
      next_cp(L);
    } else if (is_ident_start(c)) {
      RtBuf b = {0};
      rt_buf_putc(&b, (char)c);
      while (is_ident(next_cp(L)))
        rt_buf_putc(&b, (char)cur(L));
      rt_buf_putc(&b, 0);
      Tok *k = push(L, T_UNQUOTED, start);
      k->s = b.data;
      k->slen = b.len - 1;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      next_cp(L);
    } else if (c == '[') {
      uint32_t n = next_cp(L);
      if (n == ']') {
        next_cp(L);
        push(L, T_FLATTEN, start);
      } else if (n == '?') {
        next_cp(L);
        push(L, T_FILTER, start);
      } else {
        push(L, T_LBRACKET, start);
      }
    } else if (c == '\'') {
      lex_raw(L);
    } else if (c == '|') {
      lex_two(L, '|', T_OR, T_PIPE);
    } else if (c == '&') {
      lex_two(L, '&', T_AND, T_EXPREF);
    } else if (c == '`') {
      lex_literal(L);
    } else if (is_digit(c) || c == '-') {
      lex_number(L, start);
    } else if (c == '"') {
      lex_quoted(L);
    } else if (c == '<') {
      lex_two(L, '=', T_LTE, T_LT);
    } else if (c == '>') {
      lex_two(L, '=', T_GTE, T_GT);
    } else if (c == '!') {
      lex_two(L, '=', T_NE, T_NOT);
    } else if (c == '=') {
      if (next_cp(L) == '=') {
        push(L, T_EQ, start);
        next_cp(L);
      } else {
        lex_error(L, start, "Unknown token '='");
      }
    } else {
      RtBuf m = {0};
      rt_buf_puts(&m, "Unknown token ");
      rt_utf8_put(&m, c);
      rt_buf_putc(&m, 0);
      lex_error(L, lex_pos(L), m.data);
      rt_buf_free(&m);
    }
  }
  if (!L->err)
    push(L, T_EOF, L->ncp);
  return !L->err;
}

/* ---- parser ---- */

typedef struct Parser {
  Lexer *L;
  size_t i;
  char *err;
} Parser;

static TokType cur_type(const Parser *P) { return P->L->toks[P->i].type; }
static Tok *look(const Parser *P, size_t k) {
  size_t at = P->i + k < P->L->ntoks ? P->i + k : P->L->ntoks - 1;
  return &P->L->toks[at];
}

/* str() of a token's value, as ParseError quotes it. */
static void tok_value(RtBuf *b, const Tok *t) {
  static const char *const text[T_COUNT] = {
      [T_RBRACKET] = "]", [T_RPAREN] = ")", [T_COMMA] = ",", [T_RBRACE] = "}", [T_CURRENT] = "@",
      [T_EXPREF] = "&", [T_COLON] = ":", [T_PIPE] = "|", [T_OR] = "||", [T_AND] = "&&", [T_EQ] = "==",
      [T_GT] = ">", [T_LT] = "<", [T_GTE] = ">=", [T_LTE] = "<=", [T_NE] = "!=", [T_FLATTEN] = "[]",
      [T_STAR] = "*", [T_FILTER] = "[?", [T_DOT] = ".", [T_NOT] = "!", [T_LBRACE] = "{", [T_LBRACKET] = "[",
      [T_LPAREN] = "("};
  switch (t->type) {
  case T_UNQUOTED: case T_QUOTED: rt_buf_add(b, t->s, t->slen); break;
  case T_NUMBER: rt_buf_int(b, t->num); break;
  case T_LITERAL: {
    RtValue *s = rt_to_str(t->lit);
    rt_buf_add(b, s->u.str.s, s->u.str.len);
    rt_decref(s);
    break;
  }
  case T_EOF: break;
  default: rt_buf_puts(b, text[t->type]); break;
  }
}

static void parse_error(Parser *P, size_t pos, const Tok *t, const char *msg) {
  if (P->err)
    return;
  RtBuf b = {0};
  rt_buf_printf(&b, "%s: Parse error at column %zu, token \"", msg, pos);
  tok_value(&b, t);
  rt_buf_puts(&b, "\" (");
  for (const char *c = tok_names[t->type]; *c; c++)
    rt_buf_putc(&b, (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c));
  rt_buf_printf(&b, "), for expression:\n\"%.*s\"\n", (int)P->L->len, P->L->src);
  for (size_t i = 0; i < pos + 1; i++)
    rt_buf_putc(&b, ' ');
  rt_buf_putc(&b, '^');
  rt_buf_putc(&b, 0);
  P->err = b.data;
}

static void incomplete(Parser *P) {
  if (P->err)
    return;
  RtBuf b = {0};
  rt_buf_printf(&b, "Invalid jmespath expression: Incomplete expression:\n\"%.*s\"\n", (int)P->L->len, P->L->src);
  for (size_t i = 0; i < P->L->ncp + 1; i++)
    rt_buf_putc(&b, ' ');
  rt_buf_putc(&b, '^');
  rt_buf_putc(&b, 0);
  P->err = b.data;
}

static void error_for_token(Parser *P, const Tok *t, const char *reason) { parse_error(P, t->start, t, reason); }

static void error_maybe_eof(Parser *P, const char *expected, const Tok *t) {
  if (t->type == T_EOF) {
    incomplete(P);
    return;
  }
  char *m = xprintf("Expecting: %s, got: %s", expected, tok_names[t->type]);
  parse_error(P, t->start, t, m);
  free(m);
}

static bool match(Parser *P, TokType t) {
  if (P->err)
    return false;
  if (cur_type(P) == t) {
    P->i++;
    return true;
  }
  error_maybe_eof(P, tok_names[t], look(P, 0));
  return false;
}

static JpNode *expression(Parser *P, int bp);

static JpNode *parse_projection_rhs(Parser *P, int bp);
static JpNode *parse_dot_rhs(Parser *P, int bp);

/* multi_select_list := expression { "," expression } "]" */
static JpNode *parse_multi_select_list(Parser *P) {
  JpNode *n = node(JP_MULTI_LIST);
  for (;;) {
    add_kid(n, expression(P, 0));
    if (P->err || cur_type(P) == T_RBRACKET)
      break;
    if (!match(P, T_COMMA))
      break;
  }
  match(P, T_RBRACKET);
  return n;
}

/* multi_select_hash := key ":" expression { "," key ":" expression } "}" */
static JpNode *parse_multi_select_hash(Parser *P) {
  JpNode *n = node(JP_MULTI_HASH);
  while (!P->err) {
    Tok *key = look(P, 0);
    if (key->type != T_QUOTED && key->type != T_UNQUOTED) {
      error_maybe_eof(P, "['quoted_identifier', 'unquoted_identifier']", key);
      break;
    }
    P->i++;
    if (!match(P, T_COLON))
      break;
    JpNode *kv = node(JP_KEYVAL);
    kv->s = rt_xmalloc(key->slen + 1);
    memcpy(kv->s, key->s, key->slen + 1);
    kv->slen = key->slen;
    add_kid(kv, expression(P, 0));
    add_kid(n, kv);
    if (P->err)
      break;
    if (cur_type(P) == T_COMMA) {
      match(P, T_COMMA);
    } else if (cur_type(P) == T_RBRACE) {
      match(P, T_RBRACE);
      break;
    }
  }
  return n;
}

/* slice := [number] ":" [number] [":" [number]] "]" */
static JpNode *parse_slice(Parser *P) {
  JpNode *n = node(JP_SLICE);
  int index = 0;
  while (!P->err && cur_type(P) != T_RBRACKET && index < 3) {
    if (cur_type(P) == T_COLON) {
      index++;
      if (index == 3) {
        error_for_token(P, look(P, 0), "syntax error");
        break;
      }
      P->i++;
    } else if (cur_type(P) == T_NUMBER) {
      n->n[index] = look(P, 0)->num;
      n->has[index] = true;
      P->i++;
    } else {
      error_for_token(P, look(P, 0), "syntax error");
      break;
    }
  }
  match(P, T_RBRACKET);
  return n;
}

static JpNode *parse_index_expression(Parser *P) {
  if (look(P, 0)->type == T_COLON || look(P, 1)->type == T_COLON)
    return parse_slice(P);
  JpNode *n = node(JP_INDEX);
  n->n[0] = look(P, 0)->num;
  P->i++;
  match(P, T_RBRACKET);
  return n;
}

static JpNode *project_if_slice(Parser *P, JpNode *left, JpNode *right) {
  JpNode *ix = node2(JP_INDEX_EXPR, left, right);
  if (right->kind == JP_SLICE)
    return node2(JP_PROJECTION, ix, parse_projection_rhs(P, tok_bp[T_STAR]));
  return ix;
}

static JpNode *nud(Parser *P, Tok *t) {
  switch (t->type) {
  case T_LITERAL: {
    JpNode *n = node(JP_LITERAL);
    n->lit = rt_incref(t->lit);
    return n;
  }
  case T_UNQUOTED: case T_QUOTED: {
    JpNode *n = node(JP_FIELD);
    n->s = rt_xmalloc(t->slen + 1);
    memcpy(n->s, t->s, t->slen + 1);
    n->slen = t->slen;
    if (t->type == T_QUOTED && cur_type(P) == T_LPAREN)
      parse_error(P, 0, look(P, 0), "Quoted identifier not allowed for function names.");
    return n;
  }
  case T_STAR: {
    JpNode *right = cur_type(P) == T_RBRACKET ? node(JP_IDENTITY) : parse_projection_rhs(P, tok_bp[T_STAR]);
    return node2(JP_VALUE_PROJECTION, node(JP_IDENTITY), right);
  }
  case T_FILTER: {
    JpNode *cond = expression(P, 0);
    match(P, T_RBRACKET);
    JpNode *right = cur_type(P) == T_FLATTEN ? node(JP_IDENTITY) : parse_projection_rhs(P, tok_bp[T_FILTER]);
    JpNode *n = node2(JP_FILTER_PROJECTION, node(JP_IDENTITY), right);
    add_kid(n, cond);
    return n;
  }
  case T_LBRACE:
    return parse_multi_select_hash(P);
  case T_LPAREN: {
    JpNode *e = expression(P, 0);
    match(P, T_RPAREN);
    return e;
  }
  case T_FLATTEN: {
    JpNode *left = node2(JP_FLATTEN, node(JP_IDENTITY), NULL);
    return node2(JP_PROJECTION, left, parse_projection_rhs(P, tok_bp[T_FLATTEN]));
  }
  case T_NOT:
    return node2(JP_NOT, expression(P, tok_bp[T_NOT]), NULL);
  case T_LBRACKET:
    if (cur_type(P) == T_NUMBER || cur_type(P) == T_COLON)
      return project_if_slice(P, node(JP_IDENTITY), parse_index_expression(P));
    if (cur_type(P) == T_STAR && look(P, 1)->type == T_RBRACKET) {
      P->i += 2;
      return node2(JP_PROJECTION, node(JP_IDENTITY), parse_projection_rhs(P, tok_bp[T_STAR]));
    }
    return parse_multi_select_list(P);
  case T_CURRENT:
    return node(JP_CURRENT);
  case T_EXPREF:
    return node2(JP_EXPREF, expression(P, tok_bp[T_EXPREF]), NULL);
  case T_EOF:
    incomplete(P);
    return node(JP_IDENTITY);
  default:
    error_for_token(P, t, "invalid token");
    return node(JP_IDENTITY);
  }
}

static JpNode *led(Parser *P, TokType type, JpNode *left) {
  switch (type) {
  case T_DOT:
    if (cur_type(P) != T_STAR) {
      JpNode *right = parse_dot_rhs(P, tok_bp[T_DOT]);
      if (left->kind == JP_SUBEXPR) {
        add_kid(left, right);
        return left;
      }
      return node2(JP_SUBEXPR, left, right);
    }
    P->i++;
    return node2(JP_VALUE_PROJECTION, left, parse_projection_rhs(P, tok_bp[T_DOT]));
  case T_PIPE: return node2(JP_PIPE, left, expression(P, tok_bp[T_PIPE]));
  case T_OR: return node2(JP_OR, left, expression(P, tok_bp[T_OR]));
  case T_AND: return node2(JP_AND, left, expression(P, tok_bp[T_AND]));
  case T_LPAREN: {
    if (left->kind != JP_FIELD) {
      Tok *prev = &P->L->toks[P->i >= 2 ? P->i - 2 : 0];
      RtBuf v = {0};
      tok_value(&v, prev);
      rt_buf_putc(&v, 0);
      char *m = xprintf("Invalid function name '%s'", v.data ? v.data : "");
      parse_error(P, prev->start, prev, m);
      free(m);
      rt_buf_free(&v);
      return left;
    }
    JpNode *f = node(JP_FUNCTION);
    f->s = left->s;
    f->slen = left->slen;
    left->s = NULL;
    rt_jp_free(left);
    while (!P->err && cur_type(P) != T_RPAREN) {
      JpNode *arg = expression(P, 0);
      if (!P->err && cur_type(P) == T_COMMA)
        match(P, T_COMMA);
      add_kid(f, arg);
    }
    match(P, T_RPAREN);
    return f;
  }
  case T_FILTER: {
    JpNode *cond = expression(P, 0);
    match(P, T_RBRACKET);
    JpNode *right = cur_type(P) == T_FLATTEN ? node(JP_IDENTITY) : parse_projection_rhs(P, tok_bp[T_FILTER]);
    JpNode *n = node2(JP_FILTER_PROJECTION, left, right);
    add_kid(n, cond);
    return n;
  }
  case T_EQ: case T_NE: case T_GT: case T_GTE: case T_LT: case T_LTE: {
    JpNode *n = node2(JP_COMPARATOR, left, expression(P, tok_bp[type]));
    n->op = type;
    return n;
  }
  case T_FLATTEN: {
    JpNode *l = node2(JP_FLATTEN, left, NULL);
    return node2(JP_PROJECTION, l, parse_projection_rhs(P, tok_bp[T_FLATTEN]));
  }
  case T_LBRACKET: {
    Tok *t = look(P, 0);
    if (t->type == T_NUMBER || t->type == T_COLON) {
      JpNode *right = parse_index_expression(P);
      if (left->kind == JP_INDEX_EXPR) {
        add_kid(left, right);
        return left;
      }
      return project_if_slice(P, left, right);
    }
    match(P, T_STAR);
    match(P, T_RBRACKET);
    return node2(JP_PROJECTION, left, parse_projection_rhs(P, tok_bp[T_STAR]));
  }
  default:
    return left;
  }
}

/* expression := nud { led } while the next token binds tighter than bp */
static JpNode *expression(Parser *P, int bp) {
  if (P->err)
    return node(JP_IDENTITY);
  Tok *t = look(P, 0);
  P->i++;
  JpNode *left = nud(P, t);
  while (!P->err && bp < tok_bp[cur_type(P)]) {
    TokType ct = cur_type(P);
    bool has_led = ct == T_DOT || ct == T_PIPE || ct == T_OR || ct == T_AND || ct == T_LPAREN ||
                   ct == T_FILTER || ct == T_EQ || ct == T_NE || ct == T_GT || ct == T_GTE || ct == T_LT ||
                   ct == T_LTE || ct == T_FLATTEN || ct == T_LBRACKET;
    if (!has_led) {
      error_for_token(P, look(P, 0), "invalid token");
      break;
    }
    P->i++;
    left = led(P, ct, left);
  }
  return left;
}

static JpNode *parse_projection_rhs(Parser *P, int bp) {
  if (P->err)
    return node(JP_IDENTITY);
  TokType t = cur_type(P);
  if (tok_bp[t] < PROJECTION_STOP)
    return node(JP_IDENTITY);
  if (t == T_LBRACKET || t == T_FILTER)
    return expression(P, bp);
  if (t == T_DOT) {
    match(P, T_DOT);
    return parse_dot_rhs(P, bp);
  }
  error_for_token(P, look(P, 0), "syntax error");
  return node(JP_IDENTITY);
}

static JpNode *parse_dot_rhs(Parser *P, int bp) {
  if (P->err)
    return node(JP_IDENTITY);
  TokType t = cur_type(P);
  if (t == T_QUOTED || t == T_UNQUOTED || t == T_STAR)
    return expression(P, bp);
  if (t == T_LBRACKET) {
    match(P, T_LBRACKET);
    return parse_multi_select_list(P);
  }
  if (t == T_LBRACE) {
    match(P, T_LBRACE);
    return parse_multi_select_hash(P);
  }
  char *m = xprintf("Expecting: ['quoted_identifier', 'unquoted_identifier', 'lbracket', 'lbrace'], got: %s",
                    tok_names[t]);
  error_for_token(P, look(P, 0), m);
  free(m);
  return node(JP_IDENTITY);
}

JpNode *rt_jp_parse(const char *s, size_t len, char **err) {
  *err = NULL;
  if (len == 0) {
    *err = xprintf("Invalid JMESPath expression: cannot be empty.");
    return NULL;
  }
  Lexer L = {.src = s, .len = len};
  JpNode *tree = NULL;
  if (tokenize(&L)) {
    Parser P = {.L = &L};
    tree = expression(&P, 0);
    if (!P.err && cur_type(&P) != T_EOF) {
      Tok *t = look(&P, 0);
      RtBuf v = {0};
      tok_value(&v, t);
      rt_buf_putc(&v, 0);
      char *m = xprintf("Unexpected token: %s", v.data ? v.data : "");
      parse_error(&P, t->start, t, m);
      free(m);
      rt_buf_free(&v);
    }
    if (P.err) {
      rt_jp_free(tree);
      tree = NULL;
      *err = P.err;
    }
  } else {
    *err = L.err;
  }
  for (size_t i = 0; i < L.ntoks; i++) {
    free(L.toks[i].s);
    if (L.toks[i].lit)
      rt_decref(L.toks[i].lit);
  }
  free(L.toks);
  free(L.cp);
  return tree;
}

/* ---- evaluation ---- */

static RtValue *jp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static RtValue *jp_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *m = NULL;
  if (vasprintf(&m, fmt, ap) < 0)
    abort();
  va_end(ap);
  RtValue *e = rt_error("JMESPathError in json_query filter plugin:\n%s", m);
  free(m);
  return e;
}

/* A Python exception out of jmespath (TypeError, ValueError ...). */
static RtValue *py_error(const RtValue *err) {
  return rt_error("Error in jmespath.search in json_query filter plugin:\n%s", err->u.err.msg);
}

static bool is_list(const RtValue *v) { return rt_kind(v) == RT_LIST && !rt_is_tuple(v); }
static bool is_num(const RtValue *v) { return rt_kind(v) == RT_INT || rt_kind(v) == RT_FLOAT; }

/* Python's type(v).__name__ for the values json_query sees. */
static const char *py_type(const RtValue *v) {
  if (rt_kind(v) == RT_STR && (v->flags & RT_VF_UNSAFE))
    return "AnsibleUnsafeText";
  return rt_type_name(v);
}

/* jmespath's TYPES_MAP of a Python type name. */
static const char *jp_type(const char *py) {
  static const char *const map[][2] = {{"bool", "boolean"}, {"list", "array"},  {"dict", "object"},
                                       {"NoneType", "null"}, {"str", "string"},  {"float", "number"},
                                       {"int", "number"},    {"_Expression", "expref"}};
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (!strcmp(map[i][0], py))
      return map[i][1];
  return "unknown";
}

/* JMESPath's false: '', [], {}, None, False. */
static bool jp_false(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_NONE: return true;
  case RT_BOOL: return !v->u.b;
  case RT_STR: return v->u.str.len == 0;
  case RT_LIST: return !rt_is_tuple(v) && v->u.list.len == 0;
  case RT_DICT: return v->u.dict.len == 0;
  default: return false;
  }
}

/* The value of an expref argument: the node it stands for. Function
 * arguments that are `&expr` are passed as nodes beside the values. */
typedef struct Arg {
  RtValue *v;          /* the value (None for an expref) */
  const JpNode *expref;
} Arg;

static RtValue *ev(const JpNode *n, RtValue *v);

static RtValue *collect_push(RtValue *list, RtValue *r) {
  if (rt_kind(r) == RT_NONE)
    rt_decref(r);
  else
    rt_list_push(list, r);
  return NULL;
}

static RtValue *project(const JpNode *right, RtValue *items, bool is_dict, const JpNode *cond) {
  size_t n = is_dict ? items->u.dict.len : items->u.list.len;
  RtValue *out = rt_list_new(n);
  for (size_t i = 0; i < n; i++) {
    RtValue *el = is_dict ? items->u.dict.ents[i].val : items->u.list.items[i];
    if (cond) {
      RtValue *c = ev(cond, el);
      if (rt_kind(c) == RT_ERROR) {
        rt_decref(out);
        return c;
      }
      bool ok = !jp_false(c);
      rt_decref(c);
      if (!ok)
        continue;
    }
    RtValue *r = ev(right, el);
    if (rt_kind(r) == RT_ERROR) {
      rt_decref(out);
      return r;
    }
    collect_push(out, r);
  }
  return out;
}

static int64_t py_index(int64_t i, int64_t len) { return i < 0 ? i + len : i; }

/* Python's list slicing. */
static RtValue *do_slice(const JpNode *n, RtValue *list) {
  int64_t len = (int64_t)list->u.list.len;
  int64_t step = n->has[2] ? n->n[2] : 1;
  if (step == 0)
    return rt_error_exc(RT_EXC_VALUE, "slice step cannot be zero");
  int64_t start, stop;
  if (step > 0) {
    start = n->has[0] ? n->n[0] : 0;
    stop = n->has[1] ? n->n[1] : len;
    if (start < 0) start = start + len < 0 ? 0 : start + len;
    if (start > len) start = len;
    if (stop < 0) stop = stop + len < 0 ? 0 : stop + len;
    if (stop > len) stop = len;
  } else {
    start = n->has[0] ? n->n[0] : len - 1;
    stop = n->has[1] ? n->n[1] : -1 - len;
    if (start < 0) start = start + len < 0 ? -1 : start + len;
    if (start >= len) start = len - 1;
    if (stop < 0) stop = stop + len < 0 ? -1 : stop + len;
    if (stop >= len) stop = len - 1;
  }
  RtValue *out = rt_list_new(0);
  if (step > 0)
    for (int64_t i = start; i < stop; i += step)
      rt_list_push(out, rt_incref(list->u.list.items[i]));
  else
    for (int64_t i = start; i > stop; i += step)
      rt_list_push(out, rt_incref(list->u.list.items[i]));
  return out;
}

static RtValue *call_function(const JpNode *n, Arg *args, int nargs);

static RtValue *ev_comparator(const JpNode *n, RtValue *v) {
  RtValue *a = ev(n->kids[0], v);
  if (rt_kind(a) == RT_ERROR)
    return a;
  RtValue *b = ev(n->kids[1], v);
  if (rt_kind(b) == RT_ERROR) {
    rt_decref(a);
    return b;
  }
  RtValue *r;
  if (n->op == T_EQ || n->op == T_NE) {
    bool eq;
    /* 0 and 1 are never equal to a bool here */
    if ((is_num(a) && rt_kind(b) == RT_BOOL && (rt_as_float(a) == 0 || rt_as_float(a) == 1)) ||
        (is_num(b) && rt_kind(a) == RT_BOOL && (rt_as_float(b) == 0 || rt_as_float(b) == 1)))
      eq = false;
    else
      eq = rt_equal(a, b);
    r = rt_bool(n->op == T_EQ ? eq : !eq);
  } else if (!(is_num(a) || rt_kind(a) == RT_STR) || !(is_num(b) || rt_kind(b) == RT_STR)) {
    r = rt_none();
  } else if (is_num(a) != is_num(b)) {
    const char *sym = n->op == T_LT ? "<" : n->op == T_LTE ? "<=" : n->op == T_GT ? ">" : ">=";
    RtValue *te = rt_type_error("'%s' not supported between instances of '%s' and '%s'", sym, py_type(a),
                                py_type(b));
    r = py_error(te);
    rt_decref(te);
  } else {
    RtValue *err = NULL;
    int c = rt_order(a, b, &err);
    if (err)
      rt_decref(err);
    bool res = false;
    if (c != 2)
      res = n->op == T_LT ? c < 0 : n->op == T_LTE ? c <= 0 : n->op == T_GT ? c > 0 : c >= 0;
    r = rt_bool(res);
  }
  rt_decref(a);
  rt_decref(b);
  return r;
}

static RtValue *ev(const JpNode *n, RtValue *v) {
  switch (n->kind) {
  case JP_IDENTITY: case JP_CURRENT:
    return rt_incref(v);
  case JP_LITERAL:
    return rt_incref(n->lit);
  case JP_FIELD: {
    if (rt_kind(v) != RT_DICT)
      return rt_none();
    RtValue *r = rt_dict_get_n(v, n->s, n->slen);
    return r ? rt_incref(r) : rt_none();
  }
  case JP_SUBEXPR: case JP_INDEX_EXPR: case JP_PIPE: {
    RtValue *r = rt_incref(v);
    for (int i = 0; i < n->nkids; i++) {
      RtValue *next = ev(n->kids[i], r);
      rt_decref(r);
      r = next;
      if (rt_kind(r) == RT_ERROR)
        break;
    }
    return r;
  }
  case JP_INDEX: {
    if (!is_list(v))
      return rt_none();
    int64_t len = (int64_t)v->u.list.len, i = py_index(n->n[0], len);
    return i >= 0 && i < len ? rt_incref(v->u.list.items[i]) : rt_none();
  }
  case JP_SLICE: {
    if (!is_list(v))
      return rt_none();
    RtValue *r = do_slice(n, v);
    if (rt_kind(r) == RT_ERROR) {
      RtValue *e = py_error(r);
      rt_decref(r);
      return e;
    }
    return r;
  }
  case JP_PROJECTION: case JP_FILTER_PROJECTION: {
    RtValue *base = ev(n->kids[0], v);
    if (rt_kind(base) == RT_ERROR)
      return base;
    RtValue *r = is_list(base) ? project(n->kids[1], base, false, n->nkids > 2 ? n->kids[2] : NULL) : rt_none();
    rt_decref(base);
    return r;
  }
  case JP_VALUE_PROJECTION: {
    RtValue *base = ev(n->kids[0], v);
    if (rt_kind(base) == RT_ERROR)
      return base;
    RtValue *r = rt_kind(base) == RT_DICT ? project(n->kids[1], base, true, NULL) : rt_none();
    rt_decref(base);
    return r;
  }
  case JP_FLATTEN: {
    RtValue *base = ev(n->kids[0], v);
    if (rt_kind(base) == RT_ERROR || !is_list(base)) {
      if (rt_kind(base) == RT_ERROR)
        return base;
      rt_decref(base);
      return rt_none();
    }
    RtValue *out = rt_list_new(base->u.list.len);
    for (size_t i = 0; i < base->u.list.len; i++) {
      RtValue *el = base->u.list.items[i];
      if (is_list(el))
        for (size_t k = 0; k < el->u.list.len; k++)
          rt_list_push(out, rt_incref(el->u.list.items[k]));
      else
        rt_list_push(out, rt_incref(el));
    }
    rt_decref(base);
    return out;
  }
  case JP_MULTI_LIST: case JP_MULTI_HASH: {
    if (rt_kind(v) == RT_NONE)
      return rt_none();
    bool hash = n->kind == JP_MULTI_HASH;
    RtValue *out = hash ? rt_dict_new((size_t)n->nkids) : rt_list_new((size_t)n->nkids);
    for (int i = 0; i < n->nkids; i++) {
      const JpNode *k = hash ? n->kids[i]->kids[0] : n->kids[i];
      RtValue *r = ev(k, v);
      if (rt_kind(r) == RT_ERROR) {
        rt_decref(out);
        return r;
      }
      if (hash)
        rt_dict_put(out, n->kids[i]->s, n->kids[i]->slen, r);
      else
        rt_list_push(out, r);
    }
    return out;
  }
  case JP_KEYVAL:
    return ev(n->kids[0], v);
  case JP_OR: case JP_AND: {
    RtValue *a = ev(n->kids[0], v);
    if (rt_kind(a) == RT_ERROR)
      return a;
    bool f = jp_false(a);
    if ((n->kind == JP_OR) != f)
      return a;
    rt_decref(a);
    return ev(n->kids[1], v);
  }
  case JP_NOT: {
    RtValue *a = ev(n->kids[0], v);
    if (rt_kind(a) == RT_ERROR)
      return a;
    bool r = is_num(a) && rt_as_float(a) == 0 ? false : !rt_pytruth(a);
    rt_decref(a);
    return rt_bool(r);
  }
  case JP_COMPARATOR:
    return ev_comparator(n, v);
  case JP_EXPREF:
    return rt_error("JMESPathError in json_query filter plugin:\nplayc: an expression reference (&) used "
                    "other than as a function's argument");
  case JP_FUNCTION: {
    Arg args[16];
    Arg *ap = n->nkids <= 16 ? args : rt_xcalloc((size_t)n->nkids, sizeof *ap);
    RtValue *r = NULL;
    int got = 0;
    for (; got < n->nkids; got++) {
      const JpNode *k = n->kids[got];
      ap[got].expref = k->kind == JP_EXPREF ? k->kids[0] : NULL;
      ap[got].v = ap[got].expref ? rt_none() : ev(k, v);
      if (rt_kind(ap[got].v) == RT_ERROR) {
        r = ap[got].v;
        break;
      }
    }
    if (!r)
      r = call_function(n, ap, n->nkids);
    for (int i = 0; i < got; i++)
      rt_decref(ap[i].v);
    if (ap != args)
      free(ap);
    return r;
  }
  }
  return rt_none();
}

/* ---- functions ---- */

/* A parameter's accepted types, jmespath's spelling ("number",
 * "array-string" ...), NULL-terminated; an empty list takes anything. */
typedef struct FnSig {
  const char *name;
  int nparams;
  bool variadic;
  const char *types[3][3];
} FnSig;

static const FnSig fn_sigs[] = {
    {"abs", 1, false, {{"number"}}},
    {"avg", 1, false, {{"array-number"}}},
    {"ceil", 1, false, {{"number"}}},
    {"contains", 2, false, {{"array", "string"}, {NULL}}},
    {"ends_with", 2, false, {{"string"}, {"string"}}},
    {"floor", 1, false, {{"number"}}},
    {"join", 2, false, {{"string"}, {"array-string"}}},
    {"keys", 1, false, {{"object"}}},
    {"length", 1, false, {{"string", "array", "object"}}},
    {"map", 2, false, {{"expref"}, {"array"}}},
    {"max", 1, false, {{"array-number", "array-string"}}},
    {"max_by", 2, false, {{"array"}, {"expref"}}},
    {"merge", 1, true, {{"object"}}},
    {"min", 1, false, {{"array-number", "array-string"}}},
    {"min_by", 2, false, {{"array"}, {"expref"}}},
    {"not_null", 1, true, {{NULL}}},
    {"reverse", 1, false, {{"array", "string"}}},
    {"sort", 1, false, {{"array-string", "array-number"}}},
    {"sort_by", 2, false, {{"array"}, {"expref"}}},
    {"starts_with", 2, false, {{"string"}, {"string"}}},
    {"sum", 1, false, {{"array-number"}}},
    {"to_array", 1, false, {{NULL}}},
    {"to_number", 1, false, {{NULL}}},
    {"to_string", 1, false, {{NULL}}},
    {"type", 1, false, {{NULL}}},
    {"values", 1, false, {{"object"}}},
};

/* The Python type name of an argument. */
static const char *arg_py_type(const Arg *a) { return a->expref ? "_Expression" : py_type(a->v); }

/* Whether Python type `py` is one REVERSE_TYPES_MAP (with json_query's
 * additions) lists for jmespath type `t`. */
static bool type_has(const char *t, const char *py) {
  if (!strcmp(t, "boolean")) return !strcmp(py, "bool");
  if (!strcmp(t, "array")) return !strcmp(py, "list");
  if (!strcmp(t, "object")) return !strcmp(py, "dict");
  if (!strcmp(t, "null")) return !strcmp(py, "NoneType");
  if (!strcmp(t, "string")) return !strcmp(py, "str") || !strcmp(py, "AnsibleUnsafeText");
  if (!strcmp(t, "number")) return !strcmp(py, "float") || !strcmp(py, "int");
  if (!strcmp(t, "expref")) return !strcmp(py, "_Expression");
  return false;
}

/* The list of types as Python prints it: ['array', 'string']. */
static void types_repr(RtBuf *b, const char *const *types) {
  rt_buf_putc(b, '[');
  for (int i = 0; i < 3 && types[i]; i++)
    rt_buf_printf(b, "%s'%s'", i ? ", " : "", types[i]);
  rt_buf_putc(b, ']');
}

static RtValue *type_error(const char *fn, const RtValue *value, const char *expref_text, const char *actual,
                           const char *const *types) {
  RtBuf b = {0};
  rt_buf_printf(&b, "In function %s(), invalid type for value: ", fn);
  if (expref_text) {
    rt_buf_puts(&b, expref_text);
  } else {
    RtValue *s = rt_to_str(value);
    rt_buf_add(&b, s->u.str.s, s->u.str.len);
    rt_decref(s);
  }
  rt_buf_puts(&b, ", expected one of: ");
  types_repr(&b, types);
  rt_buf_printf(&b, ", received: \"%s\"", actual);
  rt_buf_putc(&b, 0);
  RtValue *e = jp_error("%s", b.data);
  rt_buf_free(&b);
  return e;
}

static RtValue *check_arg(const char *fn, const Arg *a, const char *const *types) {
  if (!types[0])
    return NULL;
  const char *py = arg_py_type(a);
  bool ok = false;
  const char *subs[3] = {0};
  int nsubs = 0;
  for (int i = 0; i < 3 && types[i]; i++) {
    const char *dash = strchr(types[i], '-');
    char base[16];
    size_t bl = dash ? (size_t)(dash - types[i]) : strlen(types[i]);
    memcpy(base, types[i], bl);
    base[bl] = 0;
    ok |= type_has(base, py);
    if (dash)
      subs[nsubs++] = dash + 1;
  }
  if (!ok)
    return type_error(fn, a->v, a->expref ? "<jmespath.visitor._Expression object>" : NULL, jp_type(py), types);
  if (!nsubs || a->expref)
    return NULL;
  RtValue *l = a->v;
  const char *want = subs[0];
  if (nsubs > 1) {
    if (l->u.list.len == 0)
      return NULL;
    const char *first = py_type(l->u.list.items[0]);
    want = NULL;
    for (int i = 0; i < nsubs && !want; i++)
      if (type_has(subs[i], first))
        want = subs[i];
    if (!want)
      return type_error(fn, l->u.list.items[0], NULL, first, types);
  }
  for (size_t i = 0; i < l->u.list.len; i++) {
    const char *t = py_type(l->u.list.items[i]);
    if (!type_has(want, t))
      return type_error(fn, l->u.list.items[i], NULL, t, types);
  }
  return NULL;
}

/* The JSON text json.dumps(v, separators=(',', ':')) writes (ensure_ascii). */
static void dumps(RtBuf *b, const RtValue *v);

static void dump_str(RtBuf *b, const char *s, size_t len) {
  rt_buf_putc(b, '"');
  size_t i = 0;
  while (i < len) {
    uint32_t c = rt_utf8_next(s, len, &i);
    switch (c) {
    case '"': rt_buf_puts(b, "\\\""); break;
    case '\\': rt_buf_puts(b, "\\\\"); break;
    case '\n': rt_buf_puts(b, "\\n"); break;
    case '\r': rt_buf_puts(b, "\\r"); break;
    case '\t': rt_buf_puts(b, "\\t"); break;
    case '\b': rt_buf_puts(b, "\\b"); break;
    case '\f': rt_buf_puts(b, "\\f"); break;
    default:
      if (c < 0x20 || (c >= 0x7f && c < 0x10000)) {
        if (c == 0x7f)
          rt_buf_putc(b, 0x7f);
        else
          rt_buf_printf(b, "\\u%04x", c);
      } else if (c >= 0x10000) {
        c -= 0x10000;
        rt_buf_printf(b, "\\u%04x\\u%04x", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3ff));
      } else {
        rt_buf_putc(b, (char)c);
      }
    }
  }
  rt_buf_putc(b, '"');
}

static void dumps(RtBuf *b, const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_NONE: rt_buf_puts(b, "null"); break;
  case RT_BOOL: rt_buf_puts(b, v->u.b ? "true" : "false"); break;
  case RT_INT: rt_buf_intval(b, v); break;
  case RT_FLOAT:
    if (isnan(v->u.f))
      rt_buf_puts(b, "NaN");
    else if (isinf(v->u.f))
      rt_buf_puts(b, v->u.f < 0 ? "-Infinity" : "Infinity");
    else {
      RtValue *r = rt_to_repr(v);
      rt_buf_add(b, r->u.str.s, r->u.str.len);
      rt_decref(r);
    }
    break;
  case RT_STR: dump_str(b, v->u.str.s, v->u.str.len); break;
  case RT_LIST:
    rt_buf_putc(b, '[');
    for (size_t i = 0; i < v->u.list.len; i++) {
      if (i)
        rt_buf_putc(b, ',');
      dumps(b, v->u.list.items[i]);
    }
    rt_buf_putc(b, ']');
    break;
  case RT_DICT:
    rt_buf_putc(b, '{');
    for (size_t i = 0; i < v->u.dict.len; i++) {
      if (i)
        rt_buf_putc(b, ',');
      RtValue *k = v->u.dict.ents[i].key;
      if (rt_dict_key_encoded(k)) {
        RtBuf kb = {0};
        rt_dict_key_json(&kb, k);
        dump_str(b, kb.data ? kb.data : "", kb.len);
        rt_buf_free(&kb);
      } else {
        dump_str(b, k->u.str.s, k->u.str.len);
      }
      rt_buf_putc(b, ':');
      dumps(b, v->u.dict.ents[i].val);
    }
    rt_buf_putc(b, '}');
    break;
  default: {
    RtValue *s = rt_to_str(v);
    dump_str(b, s->u.str.s, s->u.str.len);
    rt_decref(s);
  }
  }
}

/* Python's int(s), then float(s), for to_number; None when neither takes it. */
static RtValue *str_number(const RtValue *s) {
  int64_t i;
  char msg[128];
  RtArithErr e = rt_arith_parse_int(s->u.str.s, s->u.str.len, 10, &i, msg, sizeof msg);
  if (e == RT_ARITH_OK)
    return rt_int(i);
  if (e == RT_ARITH_OVERFLOW)
    return rt_bigint_parse(s->u.str.s, s->u.str.len, 10);
  double f;
  if (rt_arith_parse_float(s->u.str.s, s->u.str.len, &f, msg, sizeof msg) == RT_ARITH_OK)
    return rt_float(f);
  return rt_none();
}

/* A by-function's key of `el`: a number or a string (of type `want`,
 * or either when NULL); else jmespath's type error. */
static RtValue *by_key(const char *fn, const JpNode *expref, RtValue *el, const char *want) {
  RtValue *k = ev(expref, el);
  if (rt_kind(k) == RT_ERROR)
    return k;
  const char *jt = jp_type(py_type(k));
  bool ok = want ? !strcmp(jt, want) : !strcmp(jt, "number") || !strcmp(jt, "string");
  if (!ok) {
    const char *two[3] = {"number", "string", NULL};
    const char *one[3] = {want, NULL, NULL};
    RtValue *e = type_error(fn, k, NULL, jt, want ? one : two);
    rt_decref(k);
    return e;
  }
  return k;
}

typedef struct SortItem {
  RtValue *key, *val;
  size_t pos;
} SortItem;

static int sort_cmp(const void *x, const void *y) {
  const SortItem *a = x, *b = y;
  RtValue *err = NULL;
  int c = rt_order(a->key, b->key, &err);
  if (err)
    rt_decref(err);
  if (c == 2)
    c = 0;
  return c ? c : a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* sorted(items, key=...) of prepared items: a new list of their values. */
static RtValue *sorted_values(SortItem *it, size_t n) {
  qsort(it, n, sizeof *it, sort_cmp);
  RtValue *out = rt_list_new(n);
  for (size_t i = 0; i < n; i++)
    rt_list_push(out, rt_incref(it[i].val));
  return out;
}

static RtValue *fn_sort_by(const JpNode *expref, RtValue *arr) {
  size_t n = arr->u.list.len;
  if (n == 0)
    return rt_incref(arr);
  RtValue *k0 = ev(expref, arr->u.list.items[0]);
  if (rt_kind(k0) == RT_ERROR)
    return k0;
  const char *want = jp_type(py_type(k0));
  rt_decref(k0);
  if (strcmp(want, "number") && strcmp(want, "string")) {
    const char *two[3] = {"string", "number", NULL};
    return type_error("sort_by", arr->u.list.items[0], NULL, want, two);
  }
  SortItem *it = rt_xcalloc(n, sizeof *it);
  RtValue *r = NULL;
  size_t done = 0;
  for (; done < n; done++) {
    RtValue *k = by_key("sort_by", expref, arr->u.list.items[done], want);
    if (rt_kind(k) == RT_ERROR) {
      r = k;
      break;
    }
    it[done] = (SortItem){k, arr->u.list.items[done], done};
  }
  if (!r)
    r = sorted_values(it, n);
  for (size_t i = 0; i < done; i++)
    rt_decref(it[i].key);
  free(it);
  return r;
}

/* min_by / max_by: Python's min/max(array, key=...): the first best. */
static RtValue *fn_minmax_by(const char *fn, const JpNode *expref, RtValue *arr, bool want_max) {
  if (arr->u.list.len == 0)
    return rt_none();
  RtValue *best = NULL, *bestkey = NULL;
  for (size_t i = 0; i < arr->u.list.len; i++) {
    RtValue *k = by_key(fn, expref, arr->u.list.items[i], NULL);
    if (rt_kind(k) == RT_ERROR) {
      if (bestkey)
        rt_decref(bestkey);
      return k;
    }
    if (!bestkey) {
      bestkey = k;
      best = arr->u.list.items[i];
      continue;
    }
    if (is_num(k) != is_num(bestkey)) {
      RtValue *te = rt_type_error("'%s' not supported between instances of '%s' and '%s'", want_max ? ">" : "<",
                                  py_type(k), py_type(bestkey));
      RtValue *e = py_error(te);
      rt_decref(te);
      rt_decref(k);
      rt_decref(bestkey);
      return e;
    }
    RtValue *err = NULL;
    int c = rt_order(k, bestkey, &err);
    if (err)
      rt_decref(err);
    if (c != 2 && (want_max ? c > 0 : c < 0)) {
      rt_decref(bestkey);
      bestkey = k;
      best = arr->u.list.items[i];
    } else {
      rt_decref(k);
    }
  }
  rt_decref(bestkey);
  return rt_incref(best);
}

static RtValue *fn_minmax(RtValue *arr, bool want_max) {
  if (arr->u.list.len == 0)
    return rt_none();
  RtValue *best = arr->u.list.items[0];
  for (size_t i = 1; i < arr->u.list.len; i++) {
    RtValue *err = NULL;
    int c = rt_order(arr->u.list.items[i], best, &err);
    if (err)
      rt_decref(err);
    if (c != 2 && (want_max ? c > 0 : c < 0))
      best = arr->u.list.items[i];
  }
  return rt_incref(best);
}

/* sum(arr) as Python adds: ints stay ints, a float makes a float. */
static RtValue *py_sum(RtValue *arr) {
  RtValue *s = rt_int(0);
  for (size_t i = 0; i < arr->u.list.len; i++) {
    RtValue *t = rt_binop(RT_OP_ADD, s, arr->u.list.items[i], NULL);
    rt_decref(s);
    s = t;
    if (rt_kind(s) == RT_ERROR)
      break;
  }
  return s;
}

/* A Python exception of a number operation, worded as json_query's. */
static RtValue *py_checked(RtValue *r) {
  if (rt_kind(r) != RT_ERROR)
    return r;
  RtValue *e = py_error(r);
  rt_decref(r);
  return e;
}

/* math.ceil / math.floor: an int. */
static RtValue *ceil_floor(RtValue *x, bool up) {
  if (rt_kind(x) == RT_INT)
    return rt_incref(x);
  double f = up ? ceil(x->u.f) : floor(x->u.f);
  int64_t i;
  char msg[128];
  if (rt_arith_float_to_int(f, &i, msg, sizeof msg) == RT_ARITH_OK)
    return rt_int(i);
  if (isnan(f) || isinf(f))
    return py_checked(rt_error_exc(isnan(f) ? RT_EXC_VALUE : RT_EXC_OVERFLOW, "%s", msg));
  RtValue *fl = rt_float(f);
  RtValue *r = rt_filter("int", fl, NULL, NULL, NULL);
  rt_decref(fl);
  return py_checked(r);
}

/* dict.update(seq) with `seq` not a dict (merge's later arguments are not
 * type-checked): each item a pair of key and value, Python's TypeError or
 * ValueError otherwise. NULL, or the error. */
static RtValue *update_pairs(RtValue *out, RtValue *seq) {
  if (rt_kind(seq) != RT_LIST && rt_kind(seq) != RT_STR)
    return rt_type_error("'%s' object is not iterable", py_type(seq));
  RtValue *items = rt_iter_list(seq);
  if (rt_kind(items) == RT_ERROR)
    return items;
  RtValue *err = NULL;
  for (size_t i = 0; i < items->u.list.len && !err; i++) {
    RtValue *it = items->u.list.items[i];
    if (rt_kind(it) != RT_LIST && rt_kind(it) != RT_STR && rt_kind(it) != RT_DICT) {
      err = rt_type_error("cannot convert dictionary update sequence element #%zu to a sequence", i);
      break;
    }
    RtValue *pair = rt_iter_list(it);
    if (pair->u.list.len != 2) {
      err = rt_error_exc(RT_EXC_VALUE, "dictionary update sequence element #%zu has length %zu; 2 is required", i,
                         pair->u.list.len);
    } else {
      RtValue *key = rt_dict_key_encode(pair->u.list.items[0]);
      if (rt_kind(key) == RT_ERROR)
        err = key;
      else {
        rt_dict_put_key(out, key, rt_incref(pair->u.list.items[1]));
        rt_decref(key);
      }
    }
    rt_decref(pair);
  }
  rt_decref(items);
  return err;
}

static RtValue *call_function(const JpNode *n, Arg *a, int nargs) {
  const FnSig *sig = NULL;
  for (size_t i = 0; i < sizeof fn_sigs / sizeof *fn_sigs; i++)
    if (!strcmp(fn_sigs[i].name, n->s))
      sig = &fn_sigs[i];
  if (!sig)
    return jp_error("Unknown function: %s()", n->s);
  if (sig->variadic ? nargs < sig->nparams : nargs != sig->nparams)
    return jp_error("Expected %s%d argument%s for function %s(), received %d", sig->variadic ? "at least " : "",
                    sig->nparams, sig->nparams == 1 ? "" : "s", n->s, nargs);
  for (int i = 0; i < sig->nparams; i++) {
    RtValue *e = check_arg(n->s, &a[i], sig->types[i]);
    if (e)
      return e;
  }
  const char *f = n->s;
  RtValue *x = a[0].v;
  if (!strcmp(f, "abs")) {
    if (rt_kind(x) == RT_FLOAT)
      return rt_float(fabs(x->u.f));
    return py_checked(rt_filter("abs", x, NULL, NULL, NULL));
  }
  if (!strcmp(f, "avg")) {
    if (x->u.list.len == 0)
      return rt_none();
    RtValue *s = py_sum(x);
    if (rt_kind(s) == RT_ERROR)
      return py_checked(s);
    RtValue *d = rt_float((double)x->u.list.len);
    RtValue *r = rt_binop(RT_OP_DIV, s, d, NULL);
    rt_decref(s);
    rt_decref(d);
    return py_checked(r);
  }
  if (!strcmp(f, "ceil") || !strcmp(f, "floor"))
    return ceil_floor(x, f[0] == 'c');
  if (!strcmp(f, "contains")) {
    if (rt_kind(x) == RT_STR && rt_kind(a[1].v) != RT_STR)
      return py_checked(rt_type_error("'in <string>' requires string as left operand, not %s", py_type(a[1].v)));
    return py_checked(rt_contains(x, a[1].v));
  }
  if (!strcmp(f, "ends_with") || !strcmp(f, "starts_with")) {
    const RtValue *s = x, *p = a[1].v;
    if (p->u.str.len > s->u.str.len)
      return rt_bool(false);
    size_t off = f[0] == 'e' ? s->u.str.len - p->u.str.len : 0;
    return rt_bool(memcmp(s->u.str.s + off, p->u.str.s, p->u.str.len) == 0);
  }
  if (!strcmp(f, "join")) {
    RtBuf b = {0};
    for (size_t i = 0; i < a[1].v->u.list.len; i++) {
      if (i)
        rt_buf_add(&b, x->u.str.s, x->u.str.len);
      RtValue *s = a[1].v->u.list.items[i];
      rt_buf_add(&b, s->u.str.s, s->u.str.len);
    }
    return rt_buf_value(&b);
  }
  if (!strcmp(f, "keys") || !strcmp(f, "values")) {
    RtValue *out = rt_list_new(x->u.dict.len);
    for (size_t i = 0; i < x->u.dict.len; i++)
      rt_list_push(out, f[0] == 'k' ? rt_dict_key_value(x->u.dict.ents[i].key) : rt_incref(x->u.dict.ents[i].val));
    return out;
  }
  if (!strcmp(f, "length"))
    return rt_int((int64_t)(rt_kind(x) == RT_STR ? rt_utf8_count(x->u.str.s, x->u.str.len) : rt_len(x)));
  if (!strcmp(f, "map")) {
    RtValue *arr = a[1].v, *out = rt_list_new(arr->u.list.len);
    for (size_t i = 0; i < arr->u.list.len; i++) {
      RtValue *r = ev(a[0].expref, arr->u.list.items[i]);
      if (rt_kind(r) == RT_ERROR) {
        rt_decref(out);
        return r;
      }
      rt_list_push(out, r);
    }
    return out;
  }
  if (!strcmp(f, "max") || !strcmp(f, "min"))
    return fn_minmax(x, f[1] == 'a');
  if (!strcmp(f, "max_by") || !strcmp(f, "min_by"))
    return fn_minmax_by(f, a[1].expref, x, f[1] == 'a');
  if (!strcmp(f, "merge")) {
    RtValue *out = rt_dict_new(4);
    for (int i = 0; i < nargs; i++) {
      RtValue *m = a[i].v;
      if (rt_kind(m) != RT_DICT) { /* past the first, arguments are not type-checked */
        RtValue *e = update_pairs(out, m);
        if (e) {
          rt_decref(out);
          return py_checked(e);
        }
        continue;
      }
      for (size_t k = 0; k < m->u.dict.len; k++)
        rt_dict_put_key(out, m->u.dict.ents[k].key, rt_incref(m->u.dict.ents[k].val));
    }
    return out;
  }
  if (!strcmp(f, "not_null")) {
    for (int i = 0; i < nargs; i++)
      if (rt_kind(a[i].v) != RT_NONE || a[i].expref)
        return a[i].expref ? jp_error("playc: an expression reference returned by not_null()") : rt_incref(a[i].v);
    return rt_none();
  }
  if (!strcmp(f, "reverse")) {
    if (rt_kind(x) == RT_STR) {
      size_t ncp = 0, i = 0;
      uint32_t *cps = rt_xcalloc(x->u.str.len + 1, sizeof *cps);
      while (i < x->u.str.len)
        cps[ncp++] = rt_utf8_next(x->u.str.s, x->u.str.len, &i);
      RtBuf b = {0};
      while (ncp)
        rt_utf8_put(&b, cps[--ncp]);
      free(cps);
      return rt_buf_value(&b);
    }
    RtValue *out = rt_list_new(x->u.list.len);
    for (size_t i = x->u.list.len; i > 0; i--)
      rt_list_push(out, rt_incref(x->u.list.items[i - 1]));
    return out;
  }
  if (!strcmp(f, "sort")) {
    size_t cnt = x->u.list.len;
    SortItem *it = rt_xcalloc(cnt + 1, sizeof *it);
    for (size_t i = 0; i < cnt; i++)
      it[i] = (SortItem){x->u.list.items[i], x->u.list.items[i], i};
    RtValue *r = sorted_values(it, cnt);
    free(it);
    return r;
  }
  if (!strcmp(f, "sort_by"))
    return fn_sort_by(a[1].expref, x);
  if (!strcmp(f, "sum"))
    return py_checked(py_sum(x));
  if (!strcmp(f, "to_array")) {
    if (a[0].expref)
      return jp_error("playc: an expression reference given to to_array()");
    if (is_list(x))
      return rt_incref(x);
    RtValue *out = rt_list_new(1);
    rt_list_push(out, rt_incref(x));
    return out;
  }
  if (!strcmp(f, "to_string")) {
    if (a[0].expref)
      return jp_error("playc: an expression reference given to to_string()");
    if (rt_kind(x) == RT_STR)
      return rt_incref(x);
    RtBuf b = {0};
    dumps(&b, x);
    return rt_buf_value(&b);
  }
  if (!strcmp(f, "to_number")) {
    if (a[0].expref || rt_kind(x) == RT_BOOL || rt_kind(x) == RT_NONE || rt_kind(x) == RT_LIST ||
        rt_kind(x) == RT_DICT)
      return rt_none();
    if (is_num(x))
      return rt_incref(x);
    return str_number(x);
  }
  if (!strcmp(f, "type")) {
    if (a[0].expref)
      return rt_none();
    switch (rt_kind(x)) {
    case RT_STR: return rt_strz("string");
    case RT_BOOL: return rt_strz("boolean");
    case RT_LIST: return rt_is_tuple(x) ? rt_none() : rt_strz("array");
    case RT_DICT: return rt_strz("object");
    case RT_INT: case RT_FLOAT: return rt_strz("number");
    case RT_NONE: return rt_strz("null");
    default: return rt_none();
    }
  }
  return jp_error("Unknown function: %s()", f);
}

RtValue *rt_jp_search(const JpNode *tree, RtValue *data) { return ev(tree, data); }

/* ---- the filter ---- */

/* community.general.json_query(data, expr): the query parsed at each call
 * (a few microseconds for the queries playbooks write). */
RtValue *rt_f_json_query(RtFArgs *a) {
  RtValue *q = a->p[0];
  if (rt_kind(q) == RT_NONE || (rt_kind(q) == RT_STR && q->u.str.len == 0))
    return jp_error("Invalid JMESPath expression: cannot be empty.");
  if (rt_kind(q) != RT_STR) {
    RtValue *te = rt_type_error("'%s' object is not iterable", py_type(q));
    RtValue *e = py_error(te);
    rt_decref(te);
    return e;
  }
  if (rt_kind(a->base) == RT_UNDEF) { /* jmespath's first look at it raises Jinja's UndefinedError */
    RtValue *ue = rt_error_of(a->base);
    RtValue *e = py_error(ue);
    rt_decref(ue);
    return e;
  }
  char *err = NULL;
  JpNode *tree = rt_jp_parse(q->u.str.s, q->u.str.len, &err);
  if (!tree) {
    RtValue *e = jp_error("%s", err);
    free(err);
    return e;
  }
  RtValue *r = rt_jp_search(tree, a->base);
  rt_jp_free(tree);
  return r;
}
