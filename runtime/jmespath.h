/*
 * jmespath.h — JMESPath, the query language of community.general's
 * json_query filter, as python3-jmespath 1.0.1 implements it: a query string
 * parsed once into a tree (rt_jp_parse), evaluated over playc's values
 * (rt_jp_search). Like a regex given to regex_search, a query is a small
 * language handed to a filter, not playbook text. Internal to the runtime.
 */
#ifndef PLAYC_JMESPATH_H
#define PLAYC_JMESPATH_H

#include "rt.h"

typedef struct JpNode JpNode;

/* The tree of query `s` (`len` bytes of UTF-8), or NULL with *err set to
 * jmespath's message for the syntax error (str() of its LexerError,
 * ParseError or IncompleteExpressionError; malloc'd, the caller frees it).
 * The tree is freed with rt_jp_free. */
JpNode *rt_jp_parse(const char *s, size_t len, char **err);
void rt_jp_free(JpNode *n);

/* jmespath.search(query, data) as json_query calls it: a new reference to
 * the result (None for what is missing), or an error value worded as the
 * filter's AnsibleFilterError ("JMESPathError in json_query filter
 * plugin:\n..." for jmespath's own errors, "Error in jmespath.search in
 * json_query filter plugin:\n..." for Python's TypeError/ValueError).
 * Borrows `data`. */
RtValue *rt_jp_search(const JpNode *tree, RtValue *data);

#endif
