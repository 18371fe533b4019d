/*
 * xml.c — the XML the target's tools print (zypper --xmlout), read as the
 * modules' Python reads it with xml.dom.minidom: a flat list of elements in
 * document order, each with its parent, its attributes and its first text
 * (entities and character references decoded to UTF-8), and expat's
 * message ("mismatched tag: line L, column C") for what is not well formed.
 * Enough for tool output: no DTD, no namespaces, no entity declarations.
 */
#include "mod.h"

#ifndef MOD_SCHEMA_ONLY /* runtime only: playc compiles module files for their schemas */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

char *mod_xml_text(const char *s, size_t n) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < n; i++) {
    const char *semi = s[i] == '&' ? memchr(s + i, ';', n - i) : NULL;
    if (!semi) {
      rt_buf_putc(&b, s[i]);
      continue;
    }
    size_t l = (size_t)(semi - (s + i)) + 1;
    static const char *const ent[][2] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
    bool done = false;
    for (size_t k = 0; k < 5 && !done; k++)
      if (l == strlen(ent[k][0]) && !memcmp(s + i, ent[k][0], l)) {
        rt_buf_puts(&b, ent[k][1]);
        done = true;
      }
    if (!done && l > 3 && s[i + 1] == '#') {
      unsigned long c = s[i + 2] == 'x' ? strtoul(s + i + 3, NULL, 16) : strtoul(s + i + 2, NULL, 10);
      unsigned char u[4];
      int k = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
      for (int j = k - 1; j > 0; j--, c >>= 6)
        u[j] = (unsigned char)(0x80 | (c & 0x3F));
      u[0] = (unsigned char)(lead[k] | c);
      rt_buf_add(&b, (const char *)u, (size_t)k);
      done = true;
    }
    if (done)
      i += l - 1;
    else
      rt_buf_putc(&b, '&');
  }
  return rt_buf_take(&b);
}

static bool name_start(char c) { return isalpha((unsigned char)c) || c == '_' || c == ':' || (unsigned char)c >= 0x80; }
static bool name_char(char c) { return name_start(c) || isdigit((unsigned char)c) || c == '-' || c == '.'; }

/* expat's "MESSAGE: line L, column C" for the offset `at` of s (malloc'd). */
static char *xml_error(const char *s, size_t at, const char *what) {
  size_t line = 1, col = 0;
  for (size_t i = 0; i < at; i++) {
    col++;
    if (s[i] == '\n') {
      line++;
      col = 0;
    }
  }
  return rt_xasprintf("%s: line %zu, column %zu", what, line, col);
}

static ModXmlElem *elem_new(ModXml *x) {
  if (x->n == x->cap) {
    x->cap = x->cap ? 2 * x->cap : 16;
    x->v = rt_xrealloc(x->v, x->cap * sizeof *x->v);
  }
  ModXmlElem *e = &x->v[x->n++];
  memset(e, 0, sizeof *e);
  return e;
}

static void attr_add(ModXmlElem *e, char *name, char *value) {
  e->attr = rt_xrealloc(e->attr, (e->nattr + 1) * 2 * sizeof *e->attr);
  e->attr[2 * e->nattr] = name;
  e->attr[2 * e->nattr + 1] = value;
  e->nattr++;
}

/* One start tag at s[*i] ('<' seen) into e: its name and attributes; *empty for "/>". */
static bool parse_start(const char *s, size_t *i, ModXmlElem *el, bool *empty) {
  size_t p = *i + 1;
  if (!name_start(s[p]))
    return false;
  const char *n = s + p;
  while (name_char(s[p]))
    p++;
  el->name = rt_xstrndup(n, (size_t)(s + p - n));
  for (;;) {
    size_t ws = p;
    while (isspace((unsigned char)s[p]))
      p++;
    if (s[p] == '>' || (s[p] == '/' && s[p + 1] == '>')) {
      *empty = s[p] == '/';
      *i = p + (*empty ? 2 : 1);
      return true;
    }
    if (p == ws || !name_start(s[p]))
      return false;
    const char *an = s + p;
    while (name_char(s[p]))
      p++;
    size_t al = (size_t)(s + p - an);
    while (isspace((unsigned char)s[p]))
      p++;
    if (s[p++] != '=')
      return false;
    while (isspace((unsigned char)s[p]))
      p++;
    char q = s[p];
    if (q != '"' && q != '\'')
      return false;
    const char *v = s + ++p, *e = strchr(v, q);
    if (!e || memchr(v, '<', (size_t)(e - v)))
      return false;
    p = (size_t)(e - s) + 1;
    attr_add(el, rt_xstrndup(an, al), mod_xml_text(v, (size_t)(e - v)));
  }
}

char *mod_xml_parse(const char *s, ModXml *out) {
  size_t st[64];
  size_t depth = 0, i = 0;
  bool root = false, closed = false;
  memset(out, 0, sizeof *out);
  while (s[i]) {
    if (s[i] != '<') {
      size_t b = i;
      while (s[i] && s[i] != '<')
        i++;
      for (size_t k = b; k < i && !depth; k++)
        if (!isspace((unsigned char)s[k]))
          return xml_error(s, k, closed ? "junk after document element" : "syntax error");
      continue;
    }
    if (!strncmp(s + i, "<?", 2) || !strncmp(s + i, "<!--", 4)) {
      const char *e = strstr(s + i, s[i + 1] == '?' ? "?>" : "-->");
      if (!e)
        return xml_error(s, strlen(s), "unclosed token");
      i = (size_t)(e - s) + (s[i + 1] == '?' ? 2 : 3);
      continue;
    }
    if (!strncmp(s + i, "<![CDATA[", 9) && depth) {
      const char *e = strstr(s + i, "]]>");
      if (!e)
        return xml_error(s, strlen(s), "unclosed CDATA section");
      i = (size_t)(e - s) + 3;
      continue;
    }
    if (!strncmp(s + i, "<!DOCTYPE", 9) && !root) {
      const char *e = strchr(s + i, '>');
      if (!e)
        return xml_error(s, strlen(s), "unclosed token");
      i = (size_t)(e - s) + 1;
      continue;
    }
    if (s[i + 1] == '/') {
      size_t p = i + 2, b = p;
      while (name_char(s[p]))
        p++;
      size_t l = p - b;
      while (isspace((unsigned char)s[p]))
        p++;
      if (s[p] != '>' || !depth)
        return xml_error(s, i, "not well-formed (invalid token)");
      const char *open = out->v[st[depth - 1]].name;
      if (strlen(open) != l || memcmp(open, s + b, l))
        return xml_error(s, i + 2, "mismatched tag");
      depth--;
      closed = depth == 0;
      i = p + 1;
      continue;
    }
    if (closed)
      return xml_error(s, i, "junk after document element");
    size_t at = i, me = out->n;
    bool empty = false;
    ModXmlElem *el = elem_new(out);
    el->parent = depth ? st[depth - 1] : MOD_XML_NONE;
    if (!parse_start(s, &i, el, &empty))
      return xml_error(s, at, "not well-formed (invalid token)");
    root = true;
    if (!empty) { /* childNodes[0].data: the text up to the first child */
      const char *e = strchr(s + i, '<');
      if (e != s + i)
        el->text = mod_xml_text(s + i, e ? (size_t)(e - (s + i)) : strlen(s + i));
      if (depth == 64)
        return xml_error(s, at, "playc: XML nested too deeply");
      st[depth++] = me;
    } else {
      closed = depth == 0;
    }
  }
  if (!root || depth)
    return xml_error(s, i, "no element found");
  return NULL;
}

const char *mod_xml_attr(const ModXmlElem *e, const char *name) {
  for (size_t k = 0; k < e->nattr; k++)
    if (!strcmp(e->attr[2 * k], name))
      return e->attr[2 * k + 1];
  return NULL;
}

void mod_xml_free(ModXml *x) {
  for (size_t i = 0; i < x->n; i++) {
    free(x->v[i].name);
    free(x->v[i].text);
    for (size_t k = 0; k < 2 * x->v[i].nattr; k++)
      free(x->v[i].attr[k]);
    free(x->v[i].attr);
  }
  free(x->v);
  memset(x, 0, sizeof *x);
}

#endif
