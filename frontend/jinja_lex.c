/*
 * jinja_lex.c — the Jinja expression lexer: names, numbers (with
 * underscores), strings with Python escapes, and operators (longest match).
 * The parser pulls tokens one at a time from an offset into the source, so
 * templates can switch between text and expression mode without a token list.
 */
#include "jinja.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const jl_ops[] = {"**", "//", "==", "!=", "<=", ">=", "}}", "+", "-", "*", "/",
                                     "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".",
                                     ":", "|", "=", NULL};

/* A quoted string with Python escapes; *pos is at the opening quote. */
static JTok jl_string(PcCtx *c, const char *src, size_t *pos, JTok t) {
  char q = src[*pos];
  size_t i = *pos + 1, n = 0;
  char *buf = pc_alloc(c, strlen(src + i) + 1);
  while (src[i] && src[i] != q) {
    char ch = src[i++];
    if (ch == '\\' && src[i]) {
      char e = src[i++];
      switch (e) {
      case 'n': ch = '\n'; break;
      case 't': ch = '\t'; break;
      case 'r': ch = '\r'; break;
      case '0': ch = '\0'; break;
      case '\\': case '\'': case '"': ch = e; break;
      case 'x':
        if (isxdigit((unsigned char)src[i]) && isxdigit((unsigned char)src[i + 1])) {
          char h[3] = {src[i], src[i + 1], 0};
          ch = (char)strtol(h, NULL, 16);
          i += 2;
          break;
        }
        /* fallthrough */
      default: buf[n++] = '\\'; ch = e; break;
      }
    }
    buf[n++] = ch;
  }
  if (src[i] != q) {
    t.kind = JT_ERR;
    t.str = "unterminated string";
    *pos = i;
    return t;
  }
  t.kind = JT_STR;
  t.str = buf;
  t.slen = n;
  *pos = i + 1;
  return t;
}

static JTok jl_number(PcCtx *c, const char *src, size_t *pos, JTok t) {
  size_t i = *pos;
  char buf[128];
  size_t n = 0;
  bool flt = false;
  while (n < sizeof buf - 2 && (isdigit((unsigned char)src[i]) || src[i] == '_' ||
                               (src[i] == '.' && !flt && isdigit((unsigned char)src[i + 1])) ||
                               ((src[i] == 'e' || src[i] == 'E') && (isdigit((unsigned char)src[i + 1]) ||
                                ((src[i + 1] == '-' || src[i + 1] == '+') && isdigit((unsigned char)src[i + 2])))))) {
    if (src[i] == '.' || src[i] == 'e' || src[i] == 'E') {
      flt = true;
      if (src[i] != '.')
        buf[n++] = src[i++];
    }
    if (src[i] != '_')
      buf[n++] = src[i];
    i++;
  }
  buf[n] = 0;
  (void)c;
  t.kind = flt ? JT_FLOAT : JT_INT;
  if (flt)
    t.f = strtod(buf, NULL);
  else
    t.i = strtoll(buf, NULL, 10);
  *pos = i;
  return t;
}

JTok fe_jinja_lex(PcCtx *c, const char *src, size_t *pos) {
  while (src[*pos] == ' ' || src[*pos] == '\t' || src[*pos] == '\n' || src[*pos] == '\r')
    (*pos)++;
  JTok t = {0};
  size_t i = *pos;
  t.s = src + i;
  t.off = i;
  if (!src[i]) {
    t.kind = JT_EOF;
  } else if (src[i] == '\'' || src[i] == '"') {
    t = jl_string(c, src, pos, t);
  } else if (isdigit((unsigned char)src[i])) {
    t = jl_number(c, src, pos, t);
  } else if (isalpha((unsigned char)src[i]) || src[i] == '_') {
    while (isalnum((unsigned char)src[i]) || src[i] == '_')
      i++;
    t.kind = JT_NAME;
    t.str = pc_strndup(c, src + *pos, i - *pos);
    t.slen = i - *pos;
    *pos = i;
  } else if (src[i] == '-' && src[i + 1] == '}' && src[i + 2] == '}') { /* "-}}": strip after */
    t.kind = JT_VAR_END;
    t.str = "-}}";
    t.slen = 3;
    *pos = i + 3;
  } else {
    t.kind = JT_ERR;
    t.str = "unexpected character";
    for (const char *const *o = jl_ops; *o; o++) {
      size_t n = strlen(*o);
      if (strncmp(src + i, *o, n) == 0) {
        t.kind = strcmp(*o, "}}") == 0 ? JT_VAR_END : JT_OP;
        t.str = *o;
        t.slen = n;
        *pos = i + n;
        break;
      }
    }
    if (t.kind == JT_ERR)
      (*pos)++;
  }
  t.len = *pos - t.off;
  return t;
}
