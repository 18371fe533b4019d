/*
 * jmespath_parse.c — JMESPath's lexer and its top-down operator precedence
 * parser, with jmespath 1.0.1's binding powers (so projections stop where
 * jmespath's stop), its quirks (a function's arguments or a hash's pairs
 * need no comma between them) and its error messages word for word.
 * Positions in messages count code points, as Python's do.
 *
 * Compiled into the runtime (json_query's queries) and into the compiler
 * (constant queries checked where they are written), so it uses neither
 * the runtime's values nor its buffers: literals are made by the caller's
 * JpLitOps.
 */
#include "jmespath.h"

#include "arith.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *jp_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    abort();
  return p;
}

static void *jp_calloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    abort();
  return p;
}

static void *jp_realloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p)
    abort();
  return p;
}

/* A growable byte buffer (data NULL until the first byte). */
typedef struct JpBuf {
  char *data;
  size_t len, cap;
} JpBuf;

static void jb_add(JpBuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->data = jp_realloc(b->data, b->cap);
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
}

static void jb_puts(JpBuf *b, const char *s) { jb_add(b, s, strlen(s)); }
static void jb_putc(JpBuf *b, char c) { jb_add(b, &c, 1); }
static void jb_free(JpBuf *b) {
  free(b->data);
  *b = (JpBuf){0};
}

static void jb_printf(JpBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jb_printf(JpBuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  va_end(ap);
  jb_puts(b, s);
  free(s);
}

static void jb_int(JpBuf *b, int64_t i) { jb_printf(b, "%lld", (long long)i); }

static void jb_utf8(JpBuf *b, uint32_t c) {
  char u[4];
  if (c < 0x80) {
    jb_putc(b, (char)c);
  } else if (c < 0x800) {
    u[0] = (char)(0xC0 | (c >> 6)), u[1] = (char)(0x80 | (c & 0x3F));
    jb_add(b, u, 2);
  } else if (c < 0x10000) {
    u[0] = (char)(0xE0 | (c >> 12)), u[1] = (char)(0x80 | ((c >> 6) & 0x3F)), u[2] = (char)(0x80 | (c & 0x3F));
    jb_add(b, u, 3);
  } else {
    u[0] = (char)(0xF0 | (c >> 18)), u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((c >> 6) & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F));
    jb_add(b, u, 4);
  }
}

/* The code point at s[*i] (advancing *i); a byte that is not UTF-8 stands
 * for itself. */
static uint32_t utf8_next(const char *s, size_t len, size_t *i) {
  const unsigned char *p = (const unsigned char *)s + *i;
  size_t left = len - *i;
  int n = p[0] < 0x80 ? 1 : (p[0] >> 5) == 6 ? 2 : (p[0] >> 4) == 14 ? 3 : (p[0] >> 3) == 30 ? 4 : 0;
  if (n == 0 || (size_t)n > left) {
    (*i)++;
    return p[0];
  }
  uint32_t c = n == 1 ? p[0] : n == 2 ? p[0] & 0x1Fu : n == 3 ? p[0] & 0x0Fu : p[0] & 0x07u;
  for (int k = 1; k < n; k++) {
    if ((p[k] & 0xC0) != 0x80) {
      (*i)++;
      return p[0];
    }
    c = (c << 6) | (p[k] & 0x3Fu);
  }
  *i += (size_t)n;
  return c;
}

/* ---- tokens ---- */

static const char *const tok_names[JPT_COUNT] = {
    "eof", "unquoted_identifier", "quoted_identifier", "literal", "rbracket", "rparen", "comma", "rbrace",
    "number", "current", "expref", "colon", "pipe", "or", "and", "eq", "gt", "lt", "gte", "lte", "ne",
    "flatten", "star", "filter", "dot", "not", "lbrace", "lbracket", "lparen"};

static const int tok_bp[JPT_COUNT] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 5, 5, 5, 5, 5, 5,
                                    9, 20, 21, 40, 45, 50, 55, 60};
enum { PROJECTION_STOP = 10 };

typedef struct Tok {
  JpTokType type;
  size_t start;  /* code point position */
  char *s;       /* identifier text, or the token's text */
  size_t slen;
  int64_t num;
  void *lit;     /* a literal's value (JpLitOps) */
} Tok;

/* ---- tree ---- */

static JpNode *node(JpKind k) {
  JpNode *n = jp_calloc(1, sizeof *n);
  n->kind = k;
  return n;
}

static void add_kid(JpNode *n, JpNode *k) {
  if (n->nkids == n->cap) {
    n->cap = n->cap ? n->cap * 2 : 2;
    n->kids = jp_realloc(n->kids, sizeof *n->kids * (size_t)n->cap);
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
    n->ops->free(n->lit);
  free(n);
}

/* ---- lexer ---- */

typedef struct Lexer {
  const JpLitOps *ops;
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

static Tok *push(Lexer *L, JpTokType t, size_t start) {
  if (L->ntoks == L->cap) {
    L->cap = L->cap ? L->cap * 2 : 16;
    L->toks = jp_realloc(L->toks, sizeof *L->toks * L->cap);
  }
  Tok *k = &L->toks[L->ntoks++];
  memset(k, 0, sizeof *k);
  k->type = t;
  k->start = start;
  return k;
}

static void put_cps(JpBuf *b, const uint32_t *cp, size_t n) {
  for (size_t i = 0; i < n; i++)
    jb_utf8(b, cp[i]);
}

/* The whole expression from code point `from`. */
static char *src_from(const Lexer *L, size_t from) {
  JpBuf b = {0};
  put_cps(&b, L->cp + from, L->ncp - from);
  jb_putc(&b, 0);
  return b.data;
}

static void lex_error(Lexer *L, size_t pos, const char *msg) {
  JpBuf b = {0};
  jb_printf(&b, "Bad jmespath expression: %s:\n%.*s\n", msg, (int)L->len, L->src);
  for (size_t i = 0; i < pos; i++)
    jb_putc(&b, ' ');
  jb_putc(&b, '^');
  jb_putc(&b, 0);
  L->err = b.data;
}

/* _consume_until(delim): the text up to the delimiter, a backslash keeping
 * itself and the character after it. False (error set) when unclosed. */
static bool consume_until(Lexer *L, uint32_t delim, JpBuf *out) {
  size_t start = L->pos;
  next_cp(L);
  while (cur(L) != delim) {
    if (cur(L) == '\\') {
      jb_putc(out, '\\');
      next_cp(L);
    }
    if (cur(L) == NONE_CP) {
      char msg[64];
      snprintf(msg, sizeof msg, "Unclosed %c delimiter", (char)delim);
      lex_error(L, start, msg);
      return false;
    }
    jb_utf8(out, cur(L));
    next_cp(L);
  }
  next_cp(L);
  return true;
}

/* Replaces every `\<c>` of b by `<c>`. */
static void unescape_one(JpBuf *b, char c) {
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
  JpBuf b = {0};
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20) {
      *why = "Invalid control character at";
      goto fail;
    }
    if (c != '\\') {
      jb_putc(&b, (char)c);
      continue;
    }
    if (++i >= n) {
      *why = "Unterminated string starting at";
      goto fail;
    }
    switch (s[i]) {
    case '"': jb_putc(&b, '"'); break;
    case '\\': jb_putc(&b, '\\'); break;
    case '/': jb_putc(&b, '/'); break;
    case 'b': jb_putc(&b, '\b'); break;
    case 'f': jb_putc(&b, '\f'); break;
    case 'n': jb_putc(&b, '\n'); break;
    case 'r': jb_putc(&b, '\r'); break;
    case 't': jb_putc(&b, '\t'); break;
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
      jb_utf8(&b, u);
      break;
    }
    default:
      *why = "Invalid \\escape";
      goto fail;
    }
  }
  jb_putc(&b, 0);
  *outlen = b.len - 1;
  return b.data;
fail:
  jb_free(&b);
  return NULL;
}

static void lex_literal(Lexer *L) {
  size_t start = L->pos;
  JpBuf b = {0};
  if (!consume_until(L, '`', &b)) {
    jb_free(&b);
    return;
  }
  unescape_one(&b, '`');
  void *v = L->ops->json(b.data ? b.data : "", b.len);
  if (!v) {
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
    if (t) /* json_string refuses a lone backslash at the end (unterminated) */
      v = L->ops->str(t, n);
    free(t);
  }
  if (!v) {
    char *msg = xprintf("Bad token %.*s", (int)b.len, b.data ? b.data : "");
    JpBuf e = {0};
    char *rest = src_from(L, start);
    jb_printf(&e, "Bad jmespath expression: %s:\n%s\n", msg, rest);
    for (size_t i = 0; i < start; i++)
      jb_putc(&e, ' ');
    jb_puts(&e, "^");
    jb_putc(&e, 0);
    L->err = e.data;
    free(rest);
    free(msg);
    jb_free(&b);
    return;
  }
  Tok *k = push(L, JPT_LITERAL, start);
  k->lit = v;
  jb_free(&b);
}

static void lex_quoted(Lexer *L) {
  size_t start = L->pos;
  JpBuf b = {0};
  if (!consume_until(L, '"', &b)) {
    jb_free(&b);
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
  jb_free(&b);
  if (!t) {
    lex_error(L, start, why);
    return;
  }
  Tok *k = push(L, JPT_QUOTED, start);
  k->s = t;
  k->slen = n;
}

static void lex_raw(Lexer *L) {
  size_t start = L->pos;
  JpBuf b = {0};
  if (!consume_until(L, '\'', &b)) {
    jb_free(&b);
    return;
  }
  unescape_one(&b, '\'');
  Tok *k = push(L, JPT_LITERAL, start);
  k->lit = L->ops->str(b.data ? b.data : "", b.len);
  jb_free(&b);
}

static void lex_number(Lexer *L, size_t start) {
  JpBuf b = {0};
  jb_utf8(&b, cur(L));
  while (is_digit(next_cp(L)))
    jb_utf8(&b, cur(L));
  if (b.len == 1 && b.data[0] == '-') {
    lex_error(L, start, "Unknown token '-'");
    jb_free(&b);
    return;
  }
  Tok *k = push(L, JPT_NUMBER, start);
  int64_t v = 0;
  char msg[128];
  if (rt_arith_parse_int(b.data, b.len, 10, &v, msg, sizeof msg) != RT_ARITH_OK)
    v = b.data[0] == '-' ? INT64_MIN : INT64_MAX;
  k->num = v;
  jb_free(&b);
}

static void lex_two(Lexer *L, uint32_t second, JpTokType yes, JpTokType no) {
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
  L->cp = jp_calloc(L->len + 1, sizeof *L->cp);
  while (i < L->len)
    L->cp[L->ncp++] = utf8_next(L->src, L->len, &i);
  L->pos = 0;
  while (!L->err && L->pos < L->ncp) {
    uint32_t c = cur(L);
    size_t start = L->pos;
    JpTokType simple = JPT_COUNT;
    switch (c) {
    case '.': simple = JPT_DOT; break;
    case '*': simple = JPT_STAR; break;
    case ']': simple = JPT_RBRACKET; break;
    case ',': simple = JPT_COMMA; break;
    case ':': simple = JPT_COLON; break;
    case '@': simple = JPT_CURRENT; break;
    case '(': simple = JPT_LPAREN; break;
    case ')': simple = JPT_RPAREN; break;
    case '{': simple = JPT_LBRACE; break;
    case '}': simple = JPT_RBRACE; break;
    default: break;
    }
    if (simple != JPT_COUNT) {
      push(L, simple, start);
      next_cp(L);
    } else if (is_ident_start(c)) {
      JpBuf b = {0};
      jb_putc(&b, (char)c);
      while (is_ident(next_cp(L)))
        jb_putc(&b, (char)cur(L));
      jb_putc(&b, 0);
      Tok *k = push(L, JPT_UNQUOTED, start);
      k->s = b.data;
      k->slen = b.len - 1;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      next_cp(L);
    } else if (c == '[') {
      uint32_t n = next_cp(L);
      if (n == ']') {
        next_cp(L);
        push(L, JPT_FLATTEN, start);
      } else if (n == '?') {
        next_cp(L);
        push(L, JPT_FILTER, start);
      } else {
        push(L, JPT_LBRACKET, start);
      }
    } else if (c == '\'') {
      lex_raw(L);
    } else if (c == '|') {
      lex_two(L, '|', JPT_OR, JPT_PIPE);
    } else if (c == '&') {
      lex_two(L, '&', JPT_AND, JPT_EXPREF);
    } else if (c == '`') {
      lex_literal(L);
    } else if (is_digit(c) || c == '-') {
      lex_number(L, start);
    } else if (c == '"') {
      lex_quoted(L);
    } else if (c == '<') {
      lex_two(L, '=', JPT_LTE, JPT_LT);
    } else if (c == '>') {
      lex_two(L, '=', JPT_GTE, JPT_GT);
    } else if (c == '!') {
      lex_two(L, '=', JPT_NE, JPT_NOT);
    } else if (c == '=') {
      if (next_cp(L) == '=') {
        push(L, JPT_EQ, start);
        next_cp(L);
      } else {
        lex_error(L, start, "Unknown token '='");
      }
    } else {
      JpBuf m = {0};
      jb_puts(&m, "Unknown token ");
      jb_utf8(&m, c);
      jb_putc(&m, 0);
      lex_error(L, lex_pos(L), m.data);
      jb_free(&m);
    }
  }
  if (!L->err)
    push(L, JPT_EOF, L->ncp);
  return !L->err;
}

/* ---- parser ---- */

typedef struct Parser {
  Lexer *L;
  size_t i;
  char *err;
  int depth; /* expressions being parsed, nested */
} Parser;

/* How deep expressions may nest: jmespath's recursive parser meets
 * Python's recursion limit past about 490 levels (RecursionError). */
enum { JP_MAX_DEPTH = 400 };

static JpTokType cur_type(const Parser *P) { return P->L->toks[P->i].type; }
static Tok *look(const Parser *P, size_t k) {
  size_t at = P->i + k < P->L->ntoks ? P->i + k : P->L->ntoks - 1;
  return &P->L->toks[at];
}

/* str() of a token's value, as ParseError quotes it. */
static void tok_value(const JpLitOps *ops, JpBuf *b, const Tok *t) {
  static const char *const text[JPT_COUNT] = {
      [JPT_RBRACKET] = "]", [JPT_RPAREN] = ")", [JPT_COMMA] = ",", [JPT_RBRACE] = "}", [JPT_CURRENT] = "@",
      [JPT_EXPREF] = "&", [JPT_COLON] = ":", [JPT_PIPE] = "|", [JPT_OR] = "||", [JPT_AND] = "&&", [JPT_EQ] = "==",
      [JPT_GT] = ">", [JPT_LT] = "<", [JPT_GTE] = ">=", [JPT_LTE] = "<=", [JPT_NE] = "!=", [JPT_FLATTEN] = "[]",
      [JPT_STAR] = "*", [JPT_FILTER] = "[?", [JPT_DOT] = ".", [JPT_NOT] = "!", [JPT_LBRACE] = "{", [JPT_LBRACKET] = "[",
      [JPT_LPAREN] = "("};
  switch (t->type) {
  case JPT_UNQUOTED: case JPT_QUOTED: jb_add(b, t->s, t->slen); break;
  case JPT_NUMBER: jb_int(b, t->num); break;
  case JPT_LITERAL: {
    char *s = ops->text(t->lit);
    jb_puts(b, s);
    free(s);
    break;
  }
  case JPT_EOF: break;
  default: jb_puts(b, text[t->type]); break;
  }
}

static void parse_error(Parser *P, size_t pos, const Tok *t, const char *msg) {
  if (P->err)
    return;
  JpBuf b = {0};
  jb_printf(&b, "%s: Parse error at column %zu, token \"", msg, pos);
  tok_value(P->L->ops, &b, t);
  jb_puts(&b, "\" (");
  for (const char *c = tok_names[t->type]; *c; c++)
    jb_putc(&b, (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c));
  jb_printf(&b, "), for expression:\n\"%.*s\"\n", (int)P->L->len, P->L->src);
  for (size_t i = 0; i < pos + 1; i++)
    jb_putc(&b, ' ');
  jb_putc(&b, '^');
  jb_putc(&b, 0);
  P->err = b.data;
}

static void incomplete(Parser *P) {
  if (P->err)
    return;
  JpBuf b = {0};
  jb_printf(&b, "Invalid jmespath expression: Incomplete expression:\n\"%.*s\"\n", (int)P->L->len, P->L->src);
  for (size_t i = 0; i < P->L->ncp + 1; i++)
    jb_putc(&b, ' ');
  jb_putc(&b, '^');
  jb_putc(&b, 0);
  P->err = b.data;
}

static void error_for_token(Parser *P, const Tok *t, const char *reason) { parse_error(P, t->start, t, reason); }

static void error_maybe_eof(Parser *P, const char *expected, const Tok *t) {
  if (t->type == JPT_EOF) {
    incomplete(P);
    return;
  }
  char *m = xprintf("Expecting: %s, got: %s", expected, tok_names[t->type]);
  parse_error(P, t->start, t, m);
  free(m);
}

static bool match(Parser *P, JpTokType t) {
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
static JpNode *expression_at(Parser *P, int bp);

static JpNode *parse_projection_rhs(Parser *P, int bp);
static JpNode *parse_dot_rhs(Parser *P, int bp);

/* multi_select_list := expression { "," expression } "]" */
static JpNode *parse_multi_select_list(Parser *P) {
  JpNode *n = node(JP_MULTI_LIST);
  for (;;) {
    add_kid(n, expression(P, 0));
    if (P->err || cur_type(P) == JPT_RBRACKET)
      break;
    if (!match(P, JPT_COMMA))
      break;
  }
  match(P, JPT_RBRACKET);
  return n;
}

/* multi_select_hash := key ":" expression { "," key ":" expression } "}" */
static JpNode *parse_multi_select_hash(Parser *P) {
  JpNode *n = node(JP_MULTI_HASH);
  while (!P->err) {
    Tok *key = look(P, 0);
    if (key->type != JPT_QUOTED && key->type != JPT_UNQUOTED) {
      error_maybe_eof(P, "['quoted_identifier', 'unquoted_identifier']", key);
      break;
    }
    P->i++;
    if (!match(P, JPT_COLON))
      break;
    JpNode *kv = node(JP_KEYVAL);
    kv->s = jp_malloc(key->slen + 1);
    memcpy(kv->s, key->s, key->slen + 1);
    kv->slen = key->slen;
    add_kid(kv, expression(P, 0));
    add_kid(n, kv);
    if (P->err)
      break;
    if (cur_type(P) == JPT_COMMA) {
      match(P, JPT_COMMA);
    } else if (cur_type(P) == JPT_RBRACE) {
      match(P, JPT_RBRACE);
      break;
    }
  }
  return n;
}

/* slice := [number] ":" [number] [":" [number]] "]" */
static JpNode *parse_slice(Parser *P) {
  JpNode *n = node(JP_SLICE);
  int index = 0;
  while (!P->err && cur_type(P) != JPT_RBRACKET && index < 3) {
    if (cur_type(P) == JPT_COLON) {
      index++;
      if (index == 3) {
        error_for_token(P, look(P, 0), "syntax error");
        break;
      }
      P->i++;
    } else if (cur_type(P) == JPT_NUMBER) {
      n->n[index] = look(P, 0)->num;
      n->has[index] = true;
      P->i++;
    } else {
      error_for_token(P, look(P, 0), "syntax error");
      break;
    }
  }
  match(P, JPT_RBRACKET);
  return n;
}

static JpNode *parse_index_expression(Parser *P) {
  if (look(P, 0)->type == JPT_COLON || look(P, 1)->type == JPT_COLON)
    return parse_slice(P);
  JpNode *n = node(JP_INDEX);
  n->n[0] = look(P, 0)->num;
  P->i++;
  match(P, JPT_RBRACKET);
  return n;
}

static JpNode *project_if_slice(Parser *P, JpNode *left, JpNode *right) {
  JpNode *ix = node2(JP_INDEX_EXPR, left, right);
  if (right->kind == JP_SLICE)
    return node2(JP_PROJECTION, ix, parse_projection_rhs(P, tok_bp[JPT_STAR]));
  return ix;
}

static JpNode *nud(Parser *P, Tok *t) {
  switch (t->type) {
  case JPT_LITERAL: {
    JpNode *n = node(JP_LITERAL);
    n->lit = P->L->ops->ref(t->lit);
    n->ops = P->L->ops;
    return n;
  }
  case JPT_UNQUOTED: case JPT_QUOTED: {
    JpNode *n = node(JP_FIELD);
    n->s = jp_malloc(t->slen + 1);
    memcpy(n->s, t->s, t->slen + 1);
    n->slen = t->slen;
    if (t->type == JPT_QUOTED && cur_type(P) == JPT_LPAREN)
      parse_error(P, 0, look(P, 0), "Quoted identifier not allowed for function names.");
    return n;
  }
  case JPT_STAR: {
    JpNode *right = cur_type(P) == JPT_RBRACKET ? node(JP_IDENTITY) : parse_projection_rhs(P, tok_bp[JPT_STAR]);
    return node2(JP_VALUE_PROJECTION, node(JP_IDENTITY), right);
  }
  case JPT_FILTER: {
    JpNode *cond = expression(P, 0);
    match(P, JPT_RBRACKET);
    JpNode *right = cur_type(P) == JPT_FLATTEN ? node(JP_IDENTITY) : parse_projection_rhs(P, tok_bp[JPT_FILTER]);
    JpNode *n = node2(JP_FILTER_PROJECTION, node(JP_IDENTITY), right);
    add_kid(n, cond);
    return n;
  }
  case JPT_LBRACE:
    return parse_multi_select_hash(P);
  case JPT_LPAREN: {
    JpNode *e = expression(P, 0);
    match(P, JPT_RPAREN);
    return e;
  }
  case JPT_FLATTEN: {
    JpNode *left = node2(JP_FLATTEN, node(JP_IDENTITY), NULL);
    return node2(JP_PROJECTION, left, parse_projection_rhs(P, tok_bp[JPT_FLATTEN]));
  }
  case JPT_NOT:
    return node2(JP_NOT, expression(P, tok_bp[JPT_NOT]), NULL);
  case JPT_LBRACKET:
    if (cur_type(P) == JPT_NUMBER || cur_type(P) == JPT_COLON)
      return project_if_slice(P, node(JP_IDENTITY), parse_index_expression(P));
    if (cur_type(P) == JPT_STAR && look(P, 1)->type == JPT_RBRACKET) {
      P->i += 2;
      return node2(JP_PROJECTION, node(JP_IDENTITY), parse_projection_rhs(P, tok_bp[JPT_STAR]));
    }
    return parse_multi_select_list(P);
  case JPT_CURRENT:
    return node(JP_CURRENT);
  case JPT_EXPREF:
    return node2(JP_EXPREF, expression(P, tok_bp[JPT_EXPREF]), NULL);
  case JPT_EOF:
    incomplete(P);
    return node(JP_IDENTITY);
  default:
    error_for_token(P, t, "invalid token");
    return node(JP_IDENTITY);
  }
}

static JpNode *led(Parser *P, JpTokType type, JpNode *left) {
  switch (type) {
  case JPT_DOT:
    if (cur_type(P) != JPT_STAR) {
      JpNode *right = parse_dot_rhs(P, tok_bp[JPT_DOT]);
      if (left->kind == JP_SUBEXPR) {
        add_kid(left, right);
        return left;
      }
      return node2(JP_SUBEXPR, left, right);
    }
    P->i++;
    return node2(JP_VALUE_PROJECTION, left, parse_projection_rhs(P, tok_bp[JPT_DOT]));
  case JPT_PIPE: return node2(JP_PIPE, left, expression(P, tok_bp[JPT_PIPE]));
  case JPT_OR: return node2(JP_OR, left, expression(P, tok_bp[JPT_OR]));
  case JPT_AND: return node2(JP_AND, left, expression(P, tok_bp[JPT_AND]));
  case JPT_LPAREN: {
    if (left->kind != JP_FIELD) {
      Tok *prev = &P->L->toks[P->i >= 2 ? P->i - 2 : 0];
      JpBuf v = {0};
      tok_value(P->L->ops, &v, prev);
      jb_putc(&v, 0);
      char *m = xprintf("Invalid function name '%s'", v.data ? v.data : "");
      parse_error(P, prev->start, prev, m);
      free(m);
      jb_free(&v);
      return left;
    }
    JpNode *f = node(JP_FUNCTION);
    f->s = left->s;
    f->slen = left->slen;
    left->s = NULL;
    rt_jp_free(left);
    while (!P->err && cur_type(P) != JPT_RPAREN) {
      JpNode *arg = expression(P, 0);
      if (!P->err && cur_type(P) == JPT_COMMA)
        match(P, JPT_COMMA);
      add_kid(f, arg);
    }
    match(P, JPT_RPAREN);
    return f;
  }
  case JPT_FILTER: {
    JpNode *cond = expression(P, 0);
    match(P, JPT_RBRACKET);
    JpNode *right = cur_type(P) == JPT_FLATTEN ? node(JP_IDENTITY) : parse_projection_rhs(P, tok_bp[JPT_FILTER]);
    JpNode *n = node2(JP_FILTER_PROJECTION, left, right);
    add_kid(n, cond);
    return n;
  }
  case JPT_EQ: case JPT_NE: case JPT_GT: case JPT_GTE: case JPT_LT: case JPT_LTE: {
    JpNode *n = node2(JP_COMPARATOR, left, expression(P, tok_bp[type]));
    n->op = type;
    return n;
  }
  case JPT_FLATTEN: {
    JpNode *l = node2(JP_FLATTEN, left, NULL);
    return node2(JP_PROJECTION, l, parse_projection_rhs(P, tok_bp[JPT_FLATTEN]));
  }
  case JPT_LBRACKET: {
    Tok *t = look(P, 0);
    if (t->type == JPT_NUMBER || t->type == JPT_COLON) {
      JpNode *right = parse_index_expression(P);
      if (left->kind == JP_INDEX_EXPR) {
        add_kid(left, right);
        return left;
      }
      return project_if_slice(P, left, right);
    }
    match(P, JPT_STAR);
    match(P, JPT_RBRACKET);
    return node2(JP_PROJECTION, left, parse_projection_rhs(P, tok_bp[JPT_STAR]));
  }
  default:
    return left;
  }
}

/* expression := nud { led } while the next token binds tighter than bp */
static JpNode *expression(Parser *P, int bp) {
  if (P->err)
    return node(JP_IDENTITY);
  if (P->depth >= JP_MAX_DEPTH) {
    P->err = xprintf("%s", JP_RECURSION_MSG);
    return node(JP_IDENTITY);
  }
  P->depth++;
  JpNode *left = expression_at(P, bp);
  P->depth--;
  return left;
}

static JpNode *expression_at(Parser *P, int bp) {
  Tok *t = look(P, 0);
  P->i++;
  JpNode *left = nud(P, t);
  while (!P->err && bp < tok_bp[cur_type(P)]) {
    JpTokType ct = cur_type(P);
    bool has_led = ct == JPT_DOT || ct == JPT_PIPE || ct == JPT_OR || ct == JPT_AND || ct == JPT_LPAREN ||
                   ct == JPT_FILTER || ct == JPT_EQ || ct == JPT_NE || ct == JPT_GT || ct == JPT_GTE || ct == JPT_LT ||
                   ct == JPT_LTE || ct == JPT_FLATTEN || ct == JPT_LBRACKET;
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
  JpTokType t = cur_type(P);
  if (tok_bp[t] < PROJECTION_STOP)
    return node(JP_IDENTITY);
  if (t == JPT_LBRACKET || t == JPT_FILTER)
    return expression(P, bp);
  if (t == JPT_DOT) {
    match(P, JPT_DOT);
    return parse_dot_rhs(P, bp);
  }
  error_for_token(P, look(P, 0), "syntax error");
  return node(JP_IDENTITY);
}

static JpNode *parse_dot_rhs(Parser *P, int bp) {
  if (P->err)
    return node(JP_IDENTITY);
  JpTokType t = cur_type(P);
  if (t == JPT_QUOTED || t == JPT_UNQUOTED || t == JPT_STAR)
    return expression(P, bp);
  if (t == JPT_LBRACKET) {
    match(P, JPT_LBRACKET);
    return parse_multi_select_list(P);
  }
  if (t == JPT_LBRACE) {
    match(P, JPT_LBRACE);
    return parse_multi_select_hash(P);
  }
  char *m = xprintf("Expecting: ['quoted_identifier', 'unquoted_identifier', 'lbracket', 'lbrace'], got: %s",
                    tok_names[t]);
  error_for_token(P, look(P, 0), m);
  free(m);
  return node(JP_IDENTITY);
}

JpNode *rt_jp_parse(const char *s, size_t len, const JpLitOps *ops, char **err) {
  *err = NULL;
  if (len == 0) {
    *err = xprintf("Invalid JMESPath expression: cannot be empty.");
    return NULL;
  }
  Lexer L = {.src = s, .len = len, .ops = ops};
  JpNode *tree = NULL;
  if (tokenize(&L)) {
    Parser P = {.L = &L};
    tree = expression(&P, 0);
    if (!P.err && cur_type(&P) != JPT_EOF) {
      Tok *t = look(&P, 0);
      JpBuf v = {0};
      tok_value(ops, &v, t);
      jb_putc(&v, 0);
      char *m = xprintf("Unexpected token: %s", v.data ? v.data : "");
      parse_error(&P, t->start, t, m);
      free(m);
      jb_free(&v);
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
      ops->free(L.toks[i].lit);
  }
  free(L.toks);
  free(L.cp);
  return tree;
}

