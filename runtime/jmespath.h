/*
 * jmespath.h — JMESPath, the query language of community.general's
 * json_query filter, as python3-jmespath 1.0.1 implements it: a query string
 * parsed into a tree (jmespath_parse.c, shared by the compiler, which checks
 * constant queries, and the runtime), evaluated over playc's values
 * (jmespath.c). Like a regex given to regex_search, a query is a small
 * language handed to a filter, not playbook text.
 */
#ifndef PLAYC_JMESPATH_H
#define PLAYC_JMESPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct JpNode JpNode;

/* How the parser makes the values of literals (`json`, 'raw'), so that the
 * compiler can parse without the runtime's values: json.loads of `len`
 * bytes (NULL when it is not JSON), a string of `len` bytes, Python's str()
 * of a value (malloc'd text, for messages), a new reference, and release. */
typedef struct JpLitOps {
  void *(*json)(const char *s, size_t len);
  void *(*str)(const char *s, size_t len);
  char *(*text)(const void *lit);
  void *(*ref)(void *lit);
  void (*free)(void *lit);
} JpLitOps;

/* Token types, in jmespath's lexer's order. */
typedef enum {
  JPT_EOF, JPT_UNQUOTED, JPT_QUOTED, JPT_LITERAL, JPT_RBRACKET, JPT_RPAREN, JPT_COMMA, JPT_RBRACE, JPT_NUMBER,
  JPT_CURRENT, JPT_EXPREF, JPT_COLON, JPT_PIPE, JPT_OR, JPT_AND, JPT_EQ, JPT_GT, JPT_LT, JPT_GTE, JPT_LTE, JPT_NE,
  JPT_FLATTEN, JPT_STAR, JPT_FILTER, JPT_DOT, JPT_NOT, JPT_LBRACE, JPT_LBRACKET, JPT_LPAREN, JPT_COUNT
} JpTokType;

/* The tree: jmespath's AST node types. */
typedef enum {
  JP_FIELD, JP_SUBEXPR, JP_INDEX, JP_INDEX_EXPR, JP_SLICE, JP_PROJECTION, JP_VALUE_PROJECTION,
  JP_FILTER_PROJECTION, JP_FLATTEN, JP_IDENTITY, JP_CURRENT, JP_LITERAL, JP_MULTI_LIST, JP_MULTI_HASH,
  JP_KEYVAL, JP_OR, JP_AND, JP_NOT, JP_PIPE, JP_COMPARATOR, JP_FUNCTION, JP_EXPREF
} JpKind;

struct JpNode {
  JpKind kind;
  JpTokType op;    /* JP_COMPARATOR: JPT_EQ ... JPT_LTE */
  int64_t n[3];    /* JP_INDEX: n[0]; JP_SLICE: start stop step */
  bool has[3];     /* JP_SLICE: which were given */
  char *s;         /* JP_FIELD, JP_KEYVAL, JP_FUNCTION: the name */
  size_t slen;
  void *lit;       /* JP_LITERAL: its value, made by the JpLitOps given to rt_jp_parse */
  const JpLitOps *ops;
  JpNode **kids;   /* SUBEXPR, INDEX_EXPR, PIPE: the chain, applied in turn;
                      PROJECTION, VALUE_PROJECTION: [base, each]; FILTER_PROJECTION:
                      [base, each, condition]; FLATTEN, NOT, EXPREF, KEYVAL: [x];
                      OR, AND, COMPARATOR: [a, b]; MULTI_LIST: items; MULTI_HASH:
                      KEYVALs; FUNCTION: its arguments */
  int nkids, cap;
};

/* jmespath_parse.c: the tree of query `s` (`len` bytes of UTF-8), its
 * literals made by `ops`; or NULL with *err set to jmespath's message for
 * the syntax error (str() of its LexerError, ParseError or
 * IncompleteExpressionError; malloc'd, the caller frees it). Freed with
 * rt_jp_free. */
JpNode *rt_jp_parse(const char *s, size_t len, const JpLitOps *ops, char **err);
/* *err for a query nested past the parser's depth limit: Python's
 * RecursionError, not a JMESPathError. */
#define JP_RECURSION_MSG "maximum recursion depth exceeded"
void rt_jp_free(JpNode *n);

#endif
