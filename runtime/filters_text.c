/*
 * filters_text.c — the filters on text: Jinja2's (capitalize center escape
 * filesizeformat format indent lower upper replace striptags title trim
 * truncate wordcount wordwrap urlencode urlize xmlattr) and Ansible's
 * (comment quote split strftime urldecode urlsplit), with Python's str
 * semantics from text.c (code points, Unicode case and whitespace) and its
 * printf-style `%` formatting (rt_py_format, also the `%` operator's).
 */
#include "filters.h"
#include "regex.h"
#include "textwrap.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* soft_str(value) of the filtered value. */
static RtValue *text_of(RtValue *v) { return rt_to_str(v); }

static RtValue *need_int(const RtValue *v, int64_t *out) {
  if (rt_arg_int(v, out))
    return NULL;
  return rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(v));
}

RtValue *rt_f_lower(RtFArgs *a) {
  RtValue *s = text_of(a->base);
  RtBuf b = {0};
  rt_text_lower(&b, s->u.str.s, s->u.str.len);
  rt_decref(s);
  return rt_buf_value(&b);
}

RtValue *rt_f_upper(RtFArgs *a) {
  RtValue *s = text_of(a->base);
  RtBuf b = {0};
  rt_text_upper(&b, s->u.str.s, s->u.str.len);
  rt_decref(s);
  return rt_buf_value(&b);
}

/* str.capitalize: the first character in title case, the rest lowercase. */
RtValue *rt_f_capitalize(RtFArgs *a) {
  RtValue *s = text_of(a->base);
  RtBuf b = {0};
  size_t i = 0, len = s->u.str.len;
  if (len)
    rt_cp_title(&b, rt_utf8_next(s->u.str.s, len, &i));
  rt_text_lower(&b, s->u.str.s + i, len - i);
  rt_decref(s);
  return rt_buf_value(&b);
}

/* Jinja's title: each piece split at [-\s({[<]+ gets item[0].upper() +
 * item[1:].lower(). */
RtValue *rt_f_title(RtFArgs *a) {
  RtValue *s = text_of(a->base);
  const char *p = s->u.str.s;
  size_t len = s->u.str.len;
  RtBuf b = {0};
  bool start = true;
  for (size_t i = 0; i < len;) {
    uint32_t c = rt_utf8_next(p, len, &i);
    bool sep = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || rt_cp_isspace(c);
    if (sep) {
      rt_utf8_put(&b, c);
      start = true;
    } else if (start) {
      rt_cp_upper(&b, c);
      start = false;
    } else {
      rt_cp_lower(&b, c);
    }
  }
  rt_decref(s);
  return rt_buf_value(&b);
}

/* str.center(width). */
RtValue *rt_f_center(RtFArgs *a) {
  int64_t width = 80;
  RtValue *e = a->p[0] ? need_int(a->p[0], &width) : NULL;
  if (e)
    return e;
  RtValue *s = text_of(a->base);
  int64_t n = (int64_t)rt_utf8_count(s->u.str.s, s->u.str.len);
  if (width <= n)
    return s;
  char msg[200];
  size_t total;
  if (rt_arith_size(1, width, RT_ARITH_MAX_STR, "centered string", "bytes", &total, msg, sizeof msg)) {
    rt_decref(s);
    return rt_arith_error(RT_ARITH_MEMORY, msg);
  }
  int64_t marg = width - n, left = marg / 2 + (marg & width & 1);
  RtBuf b = {0};
  for (int64_t i = 0; i < left; i++)
    rt_buf_putc(&b, ' ');
  rt_buf_add(&b, s->u.str.s, s->u.str.len);
  for (int64_t i = 0; i < marg - left; i++)
    rt_buf_putc(&b, ' ');
  rt_decref(s);
  return rt_buf_value(&b);
}

/* markupsafe's escape of str(value). */
static void html_escape(RtBuf *b, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    switch (s[i]) {
    case '&': rt_buf_puts(b, "&amp;"); break;
    case '<': rt_buf_puts(b, "&lt;"); break;
    case '>': rt_buf_puts(b, "&gt;"); break;
    case '"': rt_buf_puts(b, "&#34;"); break;
    case '\'': rt_buf_puts(b, "&#39;"); break;
    default: rt_buf_putc(b, s[i]);
    }
  }
}

/* A new string marked as Markup. */
static RtValue *markup(RtBuf *b) {
  RtValue *v = rt_buf_value(b);
  v->flags |= RT_VF_MARKUP;
  return v;
}

/* escape: Markup is returned as it is; forceescape escapes it again. */
static RtValue *escape_common(RtFArgs *a, bool force) {
  if (!force && rt_kind(a->base) == RT_STR && (a->base->flags & RT_VF_MARKUP))
    return rt_incref(a->base);
  RtValue *s = text_of(a->base);
  RtBuf b = {0};
  html_escape(&b, s->u.str.s, s->u.str.len);
  rt_decref(s);
  return markup(&b);
}

RtValue *rt_f_escape(RtFArgs *a) { return escape_common(a, false); }
RtValue *rt_f_forceescape(RtFArgs *a) { return escape_common(a, true); }

/* safe: Markup(value). */
RtValue *rt_f_safe(RtFArgs *a) {
  RtValue *s = text_of(a->base);
  RtBuf b = {0};
  rt_buf_add(&b, s->u.str.s, s->u.str.len);
  rt_decref(s);
  return markup(&b);
}

/* html.unescape for the entities templates meet: numeric ones and the
 * common named ones. */
static void html_unescape(RtBuf *b, const char *s, size_t len) {
  static const struct {
    const char *name;
    uint32_t cp;
  } named[] = {{"amp", '&'},     {"lt", '<'},      {"gt", '>'},      {"quot", '"'},    {"apos", '\''},
               {"nbsp", 0xA0},   {"copy", 0xA9},   {"reg", 0xAE},    {"raquo", 0xBB},  {"laquo", 0xAB},
               {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013}, {"trade", 0x2122}, {"euro", 0x20AC},
               {"deg", 0xB0},    {"middot", 0xB7}, {"bull", 0x2022}};
  for (size_t i = 0; i < len;) {
    if (s[i] != '&') {
      rt_buf_putc(b, s[i++]);
      continue;
    }
    size_t j = i + 1;
    if (j < len && s[j] == '#') {
      bool hex = j + 1 < len && (s[j + 1] == 'x' || s[j + 1] == 'X');
      size_t k = j + 1 + hex;
      uint32_t v = 0;
      size_t d = 0;
      while (k < len && (hex ? strchr("0123456789abcdefABCDEF", s[k]) != NULL : s[k] >= '0' && s[k] <= '9') && s[k]) {
        v = v * (hex ? 16 : 10) + (uint32_t)(s[k] <= '9' ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10);
        k++, d++;
        if (v > 0x10FFFF)
          v = 0xFFFD;
      }
      if (d) {
        if (k < len && s[k] == ';')
          k++;
        rt_utf8_put(b, v == 0 || (v >= 0xD800 && v <= 0xDFFF) ? 0xFFFD : v);
        i = k;
        continue;
      }
    } else {
      size_t k = j;
      while (k < len && ((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'z'))
        k++;
      bool done = false;
      for (size_t n = 0; n < sizeof named / sizeof *named && !done; n++)
        if (k - j == strlen(named[n].name) && memcmp(s + j, named[n].name, k - j) == 0) {
          rt_utf8_put(b, named[n].cp);
          i = k < len && s[k] == ';' ? k + 1 : k;
          done = true;
        }
      if (done)
        continue;
    }
    rt_buf_putc(b, s[i++]);
  }
}

/* markupsafe's striptags: comments and tags out, whitespace collapsed,
 * entities unescaped. */
RtValue *rt_f_striptags(RtFArgs *a) {
  RtValue *s = text_of(a->base);
  const char *p = s->u.str.s;
  size_t len = s->u.str.len;
  RtBuf t = {0}, u = {0};
  rt_buf_add(&t, "", 0);
  for (size_t i = 0; i < len;) { /* <!--.*?--> */
    if (len - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
      const char *e = memmem(p + i + 4, len - i - 4, "-->", 3);
      if (e) {
        i = (size_t)(e - p) + 3;
        continue;
      }
    }
    rt_buf_putc(&t, p[i++]);
  }
  for (size_t i = 0; i < t.len;) { /* <.*?> */
    if (t.data[i] == '<') {
      const char *e = memchr(t.data + i + 1, '>', t.len - i - 1);
      if (e) {
        i = (size_t)(e - t.data) + 1;
        continue;
      }
    }
    rt_buf_putc(&u, t.data[i++]);
  }
  rt_buf_free(&t);
  RtValue *words = rt_text_split(u.data ? u.data : "", u.len, NULL, 0, -1);
  rt_buf_free(&u);
  RtBuf j = {0};
  for (size_t i = 0; i < rt_len(words); i++) {
    if (i)
      rt_buf_putc(&j, ' ');
    rt_buf_add(&j, rt_list_at(words, i)->u.str.s, rt_list_at(words, i)->u.str.len);
  }
  rt_decref(words);
  RtBuf out = {0};
  html_unescape(&out, j.data ? j.data : "", j.len);
  rt_buf_free(&j);
  rt_decref(s);
  return rt_buf_value(&out);
}

RtValue *rt_f_replace(RtFArgs *a) {
  int64_t count = -1;
  if (a->p[2] && rt_kind(a->p[2]) != RT_NONE) {
    RtValue *e = need_int(a->p[2], &count);
    if (e)
      return e;
  }
  RtValue *s = text_of(a->base), *o = rt_to_str(a->p[0]), *n = rt_to_str(a->p[1]);
  RtBuf b = {0};
  rt_text_replace(&b, s->u.str.s, s->u.str.len, o->u.str.s, o->u.str.len, n->u.str.s, n->u.str.len, count);
  rt_decref(s);
  rt_decref(o);
  rt_decref(n);
  return rt_buf_value(&b);
}

RtValue *rt_f_trim(RtFArgs *a) {
  RtValue *chars = a->p[0] && rt_kind(a->p[0]) != RT_NONE ? a->p[0] : NULL;
  if (chars && rt_kind(chars) != RT_STR)
    return rt_type_error("strip arg must be None or str");
  RtValue *s = text_of(a->base);
  size_t st, en;
  rt_text_strip(s->u.str.s, s->u.str.len, chars ? chars->u.str.s : NULL, chars ? chars->u.str.len : 0, true, true,
                &st, &en);
  RtValue *r = rt_str(s->u.str.s + st, en - st);
  rt_decref(s);
  return r;
}

/* Jinja's truncate (leeway defaults to the truncate.leeway policy, 5). */
RtValue *rt_f_truncate(RtFArgs *a) {
  int64_t length = 255, leeway = 5;
  RtValue *e = a->p[0] ? need_int(a->p[0], &length) : NULL;
  if (!e && a->p[3] && rt_kind(a->p[3]) != RT_NONE)
    e = need_int(a->p[3], &leeway);
  if (e)
    return e;
  RtValue *end = a->p[2] ? rt_to_str(a->p[2]) : rt_strz("...");
  int64_t endlen = (int64_t)rt_utf8_count(end->u.str.s, end->u.str.len);
  if (length < endlen) {
    rt_decref(end);
    return rt_error("expected length >= %lld, got %lld", (long long)endlen, (long long)length);
  }
  if (leeway < 0) {
    rt_decref(end);
    return rt_error("expected leeway >= 0, got %lld", (long long)leeway);
  }
  RtValue *s = text_of(a->base);
  int64_t n = (int64_t)rt_utf8_count(s->u.str.s, s->u.str.len);
  if (n <= length + leeway) {
    rt_decref(end);
    return s;
  }
  RtValue *head = rt_text_slice(s->u.str.s, s->u.str.len, 0, length - endlen);
  RtBuf b = {0};
  if (rt_arg_true(a->p[1], false)) {
    rt_buf_add(&b, head->u.str.s, head->u.str.len);
  } else { /* rsplit(" ", 1)[0] */
    const char *sp = NULL;
    for (size_t i = head->u.str.len; i-- > 0;)
      if (head->u.str.s[i] == ' ') {
        sp = head->u.str.s + i;
        break;
      }
    rt_buf_add(&b, head->u.str.s, sp ? (size_t)(sp - head->u.str.s) : head->u.str.len);
  }
  rt_buf_add(&b, end->u.str.s, end->u.str.len);
  rt_decref(head);
  rt_decref(end);
  rt_decref(s);
  return rt_buf_value(&b);
}

/* Jinja's indent: s + "\n" split into lines; all but the first (and blank
 * ones unless `blank`) get the indentation; `first` indents the first. */
RtValue *rt_f_indent(RtFArgs *a) {
  RtValue *ind;
  if (a->p[0] && rt_kind(a->p[0]) == RT_STR) {
    ind = rt_incref(a->p[0]);
  } else {
    int64_t w = 4;
    RtValue *e = a->p[0] ? need_int(a->p[0], &w) : NULL;
    if (e)
      return e;
    size_t total;
    char msg[200];
    if (rt_arith_size(1, w, RT_ARITH_MAX_STR, "indentation", "bytes", &total, msg, sizeof msg))
      return rt_arith_error(RT_ARITH_MEMORY, msg);
    char *sp = rt_xmalloc(total + 1);
    memset(sp, ' ', total);
    sp[total] = 0;
    ind = rt_str_take(sp, total);
  }
  if (rt_kind(a->base) != RT_STR) {
    rt_decref(ind);
    return rt_type_error("unsupported operand type(s) for +=: '%s' and 'str'", rt_type_name(a->base));
  }
  RtBuf tmp = {0};
  rt_buf_add(&tmp, a->base->u.str.s, a->base->u.str.len);
  rt_buf_putc(&tmp, '\n');
  RtValue *lines = rt_text_splitlines(tmp.data, tmp.len);
  rt_buf_free(&tmp);
  bool blank = rt_arg_true(a->p[2], false);
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  if (rt_arg_true(a->p[1], false))
    rt_buf_add(&b, ind->u.str.s, ind->u.str.len);
  for (size_t i = 0; i < rt_len(lines); i++) {
    RtValue *l = rt_list_at(lines, i);
    if (i) {
      rt_buf_putc(&b, '\n');
      if (blank || l->u.str.len)
        rt_buf_add(&b, ind->u.str.s, ind->u.str.len);
    }
    rt_buf_add(&b, l->u.str.s, l->u.str.len);
  }
  rt_decref(lines);
  rt_decref(ind);
  return rt_buf_value(&b);
}

/* len(re.findall(r"\w+", s)). */
RtValue *rt_f_wordcount(RtFArgs *a) {
  RtValue *s = text_of(a->base), *err = NULL;
  RtRegex *re = rt_re_compile("\\w+", 3, 0, &err);
  if (!re) {
    rt_decref(s);
    return err;
  }
  RtValue *all = rt_re_findall(re, s->u.str.s, s->u.str.len);
  RtValue *r = rt_int((int64_t)rt_len(all));
  rt_decref(all);
  rt_re_free(re);
  rt_decref(s);
  return r;
}

/* Jinja's wordwrap: textwrap.wrap of each line (expand_tabs and
 * replace_whitespace off), joined by wrapstring. */
RtValue *rt_f_wordwrap(RtFArgs *a) {
  int64_t width = 79;
  RtValue *e = a->p[0] ? need_int(a->p[0], &width) : NULL;
  if (e)
    return e;
  if (width <= 0)
    return rt_error_exc(RT_EXC_VALUE, "invalid width %lld (must be > 0)", (long long)width);
  RtWrapOpts o = {false, false, rt_arg_true(a->p[1], true), rt_arg_true(a->p[3], true)};
  RtValue *wrap = a->p[2] && rt_kind(a->p[2]) != RT_NONE ? rt_to_str(a->p[2]) : rt_strz("\n");
  RtValue *s = text_of(a->base), *lines = rt_text_splitlines(s->u.str.s, s->u.str.len);
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < rt_len(lines); i++) {
    if (i)
      rt_buf_add(&b, wrap->u.str.s, wrap->u.str.len);
    char *w = rt_textwrap_opts(rt_list_at(lines, i)->u.str.s, (size_t)width, &o);
    for (char *p = w; *p; p++) {
      if (*p == '\n')
        rt_buf_add(&b, wrap->u.str.s, wrap->u.str.len);
      else
        rt_buf_putc(&b, *p);
    }
    free(w);
  }
  rt_decref(lines);
  rt_decref(s);
  rt_decref(wrap);
  return rt_buf_value(&b);
}

/* ---- URLs ---- */

/* urllib.parse.quote_from_bytes with `safe` besides the unreserved set. */
static void url_quote(RtBuf *b, const char *s, size_t len, const char *safe) {
  static const char hexd[] = "0123456789ABCDEF";
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("_.-~", c)) ||
        (c && strchr(safe, c))) {
      rt_buf_putc(b, (char)c);
    } else {
      rt_buf_putc(b, '%');
      rt_buf_putc(b, hexd[c >> 4]);
      rt_buf_putc(b, hexd[c & 15]);
    }
  }
}

/* Jinja's url_quote(obj, for_qs): "/" safe unless for a query string, where
 * spaces become "+". */
static void url_quote_value(RtBuf *b, const RtValue *v, bool for_qs) {
  RtValue *s = rt_to_str(v);
  RtBuf q = {0};
  url_quote(&q, s->u.str.s, s->u.str.len, for_qs ? "" : "/");
  rt_decref(s);
  if (for_qs)
    rt_text_replace(b, q.data ? q.data : "", q.len, "%20", 3, "+", 1, -1);
  else
    rt_buf_add(b, q.data ? q.data : "", q.len);
  rt_buf_free(&q);
}

RtValue *rt_f_urlencode(RtFArgs *a) {
  RtValue *v = a->base;
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  if (rt_kind(v) == RT_DICT) {
    for (size_t i = 0; i < rt_len(v); i++) {
      if (i)
        rt_buf_putc(&b, '&');
      url_quote_value(&b, v->u.dict.ents[i].key, true);
      rt_buf_putc(&b, '=');
      url_quote_value(&b, v->u.dict.ents[i].val, true);
    }
  } else if (rt_kind(v) == RT_LIST) {
    for (size_t i = 0; i < rt_len(v); i++) {
      RtValue *pair = rt_list_at(v, i);
      if (rt_kind(pair) != RT_LIST || rt_len(pair) != 2) {
        rt_buf_free(&b);
        return rt_error_exc(RT_EXC_VALUE, "too many values to unpack (expected 2)");
      }
      if (i)
        rt_buf_putc(&b, '&');
      url_quote_value(&b, rt_list_at(pair, 0), true);
      rt_buf_putc(&b, '=');
      url_quote_value(&b, rt_list_at(pair, 1), true);
    }
  } else {
    url_quote_value(&b, v, false);
  }
  return rt_buf_value(&b);
}

/* unquote_plus: "+" is a space, %XX bytes decoded as UTF-8 (errors replace). */
RtValue *rt_f_urldecode(RtFArgs *a) {
  RtValue *s = text_of(a->base);
  RtBuf raw = {0};
  rt_buf_add(&raw, "", 0);
  const char *p = s->u.str.s;
  for (size_t i = 0; i < s->u.str.len; i++) {
    if (p[i] == '+') {
      rt_buf_putc(&raw, ' ');
    } else if (p[i] == '%' && i + 2 < s->u.str.len && isxdigit((unsigned char)p[i + 1]) &&
               isxdigit((unsigned char)p[i + 2])) {
      char h[3] = {p[i + 1], p[i + 2], 0};
      rt_buf_putc(&raw, (char)strtol(h, NULL, 16));
      i += 2;
    } else {
      rt_buf_putc(&raw, p[i]);
    }
  }
  rt_decref(s);
  RtBuf out = {0};
  rt_buf_add(&out, "", 0);
  for (size_t i = 0; i < raw.len;) {
    size_t at = i;
    uint32_t c = rt_utf8_next(raw.data, raw.len, &i);
    if (c >= 0xDC80 && c <= 0xDCFF) /* not UTF-8: U+FFFD, as errors='replace' */
      rt_utf8_put(&out, 0xFFFD);
    else
      rt_buf_add(&out, raw.data + at, i - at);
  }
  rt_buf_free(&raw);
  return rt_buf_value(&out);
}

/* urllib.parse.urlsplit, and Ansible's object_to_dict of it. */
RtValue *rt_f_urlsplit(RtFArgs *a) {
  RtValue *s = text_of(a->base);
  RtBuf clean = {0};
  rt_buf_add(&clean, "", 0);
  const char *p = s->u.str.s;
  size_t len = s->u.str.len, st = 0;
  while (st < len && (unsigned char)p[st] <= ' ')
    st++;
  for (size_t i = st; i < len; i++)
    if (p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
      rt_buf_putc(&clean, p[i]);
  rt_decref(s);
  char *u = clean.data;
  const char *scheme = "";
  char *colon = strchr(u, ':');
  char *rest = u;
  if (colon && colon > u && ((*u | 0x20) >= 'a' && (*u | 0x20) <= 'z')) {
    bool ok = true;
    for (char *q = u; q < colon; q++)
      ok &= (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '+' ||
            *q == '-' || *q == '.';
    if (ok) {
      *colon = 0;
      for (char *q = u; *q; q++)
        *q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
      scheme = u;
      rest = colon + 1;
    }
  }
  char *netloc = "", *frag = "", *query = "";
  char *netbuf = NULL;
  if (rest[0] == '/' && rest[1] == '/') {
    size_t n = strcspn(rest + 2, "/?#");
    netbuf = rt_xstrndup(rest + 2, n);
    netloc = netbuf;
    rest += 2 + n;
  }
  char *restbuf = rt_xstrdup(rest);
  char *path = restbuf;
  char *hash = strchr(path, '#');
  if (hash) {
    *hash = 0;
    frag = hash + 1;
  }
  char *qm = strchr(path, '?');
  if (qm) {
    *qm = 0;
    query = qm + 1;
  }
  RtValue *err = NULL;
  if ((strchr(netloc, '[') != NULL) != (strchr(netloc, ']') != NULL))
    err = rt_error_exc(RT_EXC_VALUE, "Invalid IPv6 URL");
  /* username, password, hostname, port from the netloc */
  const char *at = strrchr(netloc, '@');
  char *userinfo = at ? rt_xstrndup(netloc, (size_t)(at - netloc)) : NULL;
  const char *hostport = at ? at + 1 : netloc;
  RtValue *user = rt_none(), *pass = rt_none(), *host = rt_none(), *port = rt_none();
  if (userinfo) {
    char *c = strchr(userinfo, ':');
    if (c) {
      pass = rt_strz(c + 1);
      *c = 0;
    }
    user = rt_strz(userinfo);
    free(userinfo);
  }
  const char *portstr = NULL;
  char *hostname;
  if (hostport[0] == '[') {
    const char *close = strchr(hostport, ']');
    hostname = rt_xstrndup(hostport + 1, close ? (size_t)(close - hostport - 1) : strlen(hostport + 1));
    if (close && close[1] == ':')
      portstr = close + 2;
  } else {
    const char *c = strchr(hostport, ':');
    hostname = rt_xstrndup(hostport, c ? (size_t)(c - hostport) : strlen(hostport));
    if (c)
      portstr = c + 1;
  }
  if (*hostname) {
    RtBuf hl = {0};
    rt_text_lower(&hl, hostname, strlen(hostname));
    host = rt_buf_value(&hl);
  }
  free(hostname);
  if (portstr && *portstr && !err) {
    bool digits = true;
    for (const char *q = portstr; *q; q++)
      digits &= *q >= '0' && *q <= '9';
    int64_t pn;
    if (!digits || rt_arith_parse_int(portstr, strlen(portstr), 10, &pn, NULL, 0) != RT_ARITH_OK)
      err = rt_error_exc(RT_EXC_VALUE, "Port could not be cast to integer value as '%s'", portstr);
    else if (pn > 65535)
      err = rt_error_exc(RT_EXC_VALUE, "Port out of range 0-65535");
    else
      port = rt_int(pn);
  }
  RtValue *d = rt_dict_new(9);
  rt_dict_set(d, "fragment", rt_strz(frag));
  rt_dict_set(d, "hostname", host);
  rt_dict_set(d, "netloc", rt_strz(netloc));
  rt_dict_set(d, "password", pass);
  rt_dict_set(d, "path", rt_strz(path));
  rt_dict_set(d, "port", port);
  rt_dict_set(d, "query", rt_strz(query));
  rt_dict_set(d, "scheme", rt_strz(scheme));
  rt_dict_set(d, "username", user);
  free(netbuf);
  free(restbuf);
  rt_buf_free(&clean);
  if (err) {
    rt_decref(d);
    return err;
  }
  RtValue *q = a->p[0];
  if (q && rt_pytruth(q)) {
    RtValue *qs = rt_to_str(q), *alias = a->p[1] ? rt_to_str(a->p[1]) : rt_strz("urlsplit");
    RtValue *v = rt_kind(q) == RT_STR ? rt_dict_get(d, q->u.str.s) : NULL;
    RtValue *r = v ? rt_incref(v) : rt_error("%s: unknown URL component: %s", alias->u.str.s, qs->u.str.s);
    rt_decref(qs);
    rt_decref(alias);
    rt_decref(d);
    return r;
  }
  return d;
}

/* urlize is planned (RT_FF_PLANNED): the compiler refuses it, and the
 * run-time evaluator gets this error. */
RtValue *rt_f_urlize(RtFArgs *a) { return rt_error("the filter '%s' is not supported by playc yet", a->name); }

RtValue *rt_f_xmlattr(RtFArgs *a) {
  if (rt_kind(a->base) != RT_DICT)
    return rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'items'", rt_type_name(a->base));
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  bool any = false;
  for (size_t i = 0; i < rt_len(a->base); i++) {
    RtValue *k = a->base->u.dict.ents[i].key, *v = a->base->u.dict.ents[i].val;
    if (rt_kind(v) == RT_NONE || rt_kind(v) == RT_UNDEF)
      continue;
    for (size_t c = 0; c < k->u.str.len; c++)
      if (strchr(" \t\n\r\f\v/>=", k->u.str.s[c]) && k->u.str.s[c]) {
        RtBuf m = {0};
        rt_render_repr(&m, k);
        RtValue *e = rt_error_exc(RT_EXC_VALUE, "Invalid character in attribute name: %s", m.data);
        rt_buf_free(&m);
        rt_buf_free(&b);
        return e;
      }
    if (any)
      rt_buf_putc(&b, ' ');
    any = true;
    html_escape(&b, k->u.str.s, k->u.str.len);
    rt_buf_puts(&b, "=\"");
    RtValue *vs = rt_to_str(v);
    html_escape(&b, vs->u.str.s, vs->u.str.len);
    rt_decref(vs);
    rt_buf_putc(&b, '"');
  }
  if (any && rt_arg_true(a->p[0], true)) {
    RtBuf sp = {0};
    rt_buf_putc(&sp, ' ');
    rt_buf_add(&sp, b.data, b.len);
    rt_buf_free(&b);
    return rt_buf_value(&sp);
  }
  return rt_buf_value(&b);
}

RtValue *rt_f_filesizeformat(RtFArgs *a) {
  double bytes;
  RtValue *v = a->base;
  if (rt_kind(v) == RT_INT || rt_kind(v) == RT_BOOL)
    bytes = rt_as_float(v);
  else if (rt_kind(v) == RT_FLOAT)
    bytes = v->u.f;
  else if (rt_kind(v) != RT_STR || rt_arith_parse_float(v->u.str.s, v->u.str.len, &bytes, NULL, 0) != RT_ARITH_OK)
    return rt_kind(v) == RT_STR ? rt_error_exc(RT_EXC_VALUE, "could not convert string to float: '%s'", v->u.str.s)
                                : rt_type_error("float() argument must be a string or a real number, not '%s'",
                                                rt_type_name(v));
  bool binary = rt_arg_true(a->p[0], false);
  double base = binary ? 1024 : 1000;
  static const char *const dec[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  static const char *const bin[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  if (bytes == 1)
    return rt_strz("1 Byte");
  if (bytes < base) {
    int64_t i;
    if (rt_arith_float_to_int(bytes, &i, NULL, 0) != RT_ARITH_OK)
      return rt_error_exc(RT_EXC_VALUE, "cannot convert float NaN to integer");
    char *t = rt_xasprintf("%lld Bytes", (long long)i);
    return rt_str_take(t, strlen(t));
  }
  double unit = base;
  int k = 0;
  for (k = 0; k < 8; k++) {
    unit = pow(base, k + 2);
    if (bytes < unit)
      break;
  }
  if (k == 8)
    k = 7;
  char *t = rt_xasprintf("%.1f %s", base * bytes / unit, binary ? bin[k] : dec[k]);
  return rt_str_take(t, strlen(t));
}

/* ---- Ansible's text filters ---- */

/* shlex.quote. */
RtValue *rt_f_quote(RtFArgs *a) {
  RtValue *s = rt_kind(a->base) == RT_NONE ? rt_str("", 0) : text_of(a->base);
  if (!s->u.str.len) {
    rt_decref(s);
    return rt_strz("''");
  }
  bool safe = true;
  for (size_t i = 0; i < s->u.str.len && safe; i++) {
    unsigned char c = (unsigned char)s->u.str.s[i];
    safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("_@%+=:,./-", c));
  }
  if (safe)
    return s;
  RtBuf b = {0};
  rt_buf_putc(&b, '\'');
  rt_text_replace(&b, s->u.str.s, s->u.str.len, "'", 1, "'\"'\"'", 5, -1);
  rt_buf_putc(&b, '\'');
  rt_decref(s);
  return rt_buf_value(&b);
}

RtValue *rt_f_split(RtFArgs *a) {
  if (rt_kind(a->base) != RT_STR)
    return rt_type_error("descriptor 'split' for 'str' objects doesn't apply to a '%s' object",
                         rt_type_name(a->base));
  RtValue *sep = a->p[0] && rt_kind(a->p[0]) != RT_NONE ? a->p[0] : NULL;
  int64_t max = -1;
  if (sep && rt_kind(sep) != RT_STR)
    return rt_type_error("must be str or None, not %s", rt_type_name(sep));
  if (sep && !sep->u.str.len)
    return rt_error_exc(RT_EXC_VALUE, "empty separator");
  if (a->p[1]) {
    RtValue *e = need_int(a->p[1], &max);
    if (e)
      return e;
  }
  return rt_text_split(a->base->u.str.s, a->base->u.str.len, sep ? sep->u.str.s : NULL, sep ? sep->u.str.len : 0,
                       max);
}

/* Ansible's comment filter, with its styles and keyword overrides. */
RtValue *rt_f_comment(RtFArgs *a) {
  static const struct {
    const char *name, *beginning, *decoration, *end;
  } styles[] = {{"plain", NULL, "# ", NULL},
                {"erlang", NULL, "% ", NULL},
                {"c", NULL, "// ", NULL},
                {"cblock", "/*", " * ", " */"},
                {"xml", "<!--", " - ", "-->"}};
  const char *style = a->p[0] ? rt_arg_str(a->p[0]) : "plain";
  int si = -1;
  for (int i = 0; style && i < 5; i++)
    if (strcmp(styles[i].name, style) == 0)
      si = i;
  if (si < 0) {
    RtValue *r = a->p[0] ? rt_to_repr(a->p[0]) : rt_strz("None");
    RtValue *e = rt_error_exc(RT_EXC_KEY, "%s", r->u.str.s);
    rt_decref(r);
    return e;
  }
  if (rt_kind(a->base) != RT_STR)
    return rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'replace'", rt_type_name(a->base));
  RtValue *kw = a->kw;
#define KW(name) (kw ? rt_dict_get(kw, name) : NULL)
  const char *dec0 = styles[si].decoration;
  RtValue *prepostfix = KW("decoration") ? rt_to_str(KW("decoration")) : rt_strz(dec0);
  size_t pa, pz;
  rt_text_strip(prepostfix->u.str.s, prepostfix->u.str.len, NULL, 0, false, true, &pa, &pz);
  /* p: the defaults, then the style's, then the keywords */
  const char *names[] = {"newline", "beginning", "prefix", "prefix_count", "decoration", "postfix", "postfix_count", "end"};
  RtValue *p[8];
  p[0] = rt_strz("\n");
  p[1] = rt_strz(styles[si].beginning ? styles[si].beginning : "");
  p[2] = rt_str(prepostfix->u.str.s, pz);
  p[3] = rt_int(1);
  p[4] = rt_strz(styles[si].decoration);
  p[5] = rt_str(prepostfix->u.str.s, pz);
  p[6] = rt_int(1);
  p[7] = rt_strz(styles[si].end ? styles[si].end : "");
  for (int i = 0; i < 8; i++)
    if (KW(names[i])) {
      rt_decref(p[i]);
      p[i] = rt_incref(KW(names[i]));
    }
#undef KW
  rt_decref(prepostfix);
  RtValue *err = NULL;
  int64_t pre_n = 0, post_n = 0;
  for (int i = 0; i < 8 && !err; i++) {
    if (i == 3 || i == 6) {
      RtValue *fake = rt_filter_call("int", p[i], NULL, NULL, NULL);
      int64_t n = rt_kind(fake) == RT_INT ? fake->u.i : 0;
      if (rt_kind(p[i]) == RT_STR) { /* int('x') raises where Ansible calls int() */
        int64_t v;
        if (rt_arith_parse_int(p[i]->u.str.s, p[i]->u.str.len, 10, &v, NULL, 0) != RT_ARITH_OK)
          err = rt_error_exc(RT_EXC_VALUE, "invalid literal for int() with base 10: '%s'", p[i]->u.str.s);
        n = v;
      }
      rt_decref(fake);
      *(i == 3 ? &pre_n : &post_n) = n;
    } else if (rt_kind(p[i]) != RT_STR) {
      RtValue *s = rt_to_str(p[i]);
      rt_decref(p[i]);
      p[i] = s;
    }
  }
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  if (!err) {
    RtValue *nl = p[0], *dec = p[4];
    if (p[1]->u.str.len) {
      rt_buf_add(&b, p[1]->u.str.s, p[1]->u.str.len);
      rt_buf_add(&b, nl->u.str.s, nl->u.str.len);
    }
    if (p[2]->u.str.len)
      for (int64_t i = 0; i < pre_n && i < 10000; i++) {
        if (!rt_equal(p[2], nl))
          rt_buf_add(&b, p[2]->u.str.s, p[2]->u.str.len);
        rt_buf_add(&b, nl->u.str.s, nl->u.str.len);
      }
    /* decoration + text with every newline followed by the decoration, then
     * "decoration + newline" made "rstripped decoration + newline" */
    RtBuf t = {0}, nd = {0};
    rt_buf_add(&t, dec->u.str.s, dec->u.str.len);
    rt_buf_add(&nd, nl->u.str.s, nl->u.str.len);
    rt_buf_add(&nd, dec->u.str.s, dec->u.str.len);
    rt_text_replace(&t, a->base->u.str.s, a->base->u.str.len, nl->u.str.s, nl->u.str.len, nd.data, nd.len, -1);
    size_t da, dz;
    rt_text_strip(dec->u.str.s, dec->u.str.len, NULL, 0, false, true, &da, &dz);
    RtBuf from = {0}, to = {0};
    rt_buf_add(&from, dec->u.str.s, dec->u.str.len);
    rt_buf_add(&from, nl->u.str.s, nl->u.str.len);
    rt_buf_add(&to, dec->u.str.s, dz);
    rt_buf_add(&to, nl->u.str.s, nl->u.str.len);
    rt_text_replace(&b, t.data, t.len, from.data, from.len, to.data ? to.data : "", to.len, -1);
    rt_buf_free(&t);
    rt_buf_free(&nd);
    rt_buf_free(&from);
    rt_buf_free(&to);
    for (int64_t i = 0; i < post_n && i < 10000; i++) {
      rt_buf_add(&b, nl->u.str.s, nl->u.str.len);
      rt_buf_add(&b, p[5]->u.str.s, p[5]->u.str.len);
    }
    if (p[7]->u.str.len) {
      rt_buf_add(&b, nl->u.str.s, nl->u.str.len);
      rt_buf_add(&b, p[7]->u.str.s, p[7]->u.str.len);
    }
  }
  for (int i = 0; i < 8; i++)
    rt_decref(p[i]);
  if (err) {
    rt_buf_free(&b);
    return err;
  }
  return rt_buf_value(&b);
}

/* time.strftime(format, localtime(second) or gmtime(second)). */
RtValue *rt_f_strftime(RtFArgs *a) {
  RtValue *fmt = text_of(a->base);
  time_t t = time(NULL);
  double sec = (double)t;
  if (a->p[0] && rt_kind(a->p[0]) != RT_NONE) {
    RtValue *v = a->p[0];
    bool ok = rt_kind(v) == RT_INT || rt_kind(v) == RT_FLOAT || rt_kind(v) == RT_BOOL ||
              (rt_kind(v) == RT_STR && rt_arith_parse_float(v->u.str.s, v->u.str.len, &sec, NULL, 0) == RT_ARITH_OK);
    if (rt_kind(v) == RT_INT || rt_kind(v) == RT_BOOL)
      sec = rt_as_float(v);
    else if (rt_kind(v) == RT_FLOAT)
      sec = v->u.f;
    if (!ok) {
      RtValue *s = rt_to_str(v);
      RtValue *e = rt_error("Invalid value for epoch value (%s)", s->u.str.s);
      rt_decref(s);
      rt_decref(fmt);
      return e;
    }
    t = (time_t)floor(sec);
  }
  struct tm tm;
  if (rt_arg_true(a->p[1], false))
    gmtime_r(&t, &tm);
  else
    localtime_r(&t, &tm);
  size_t cap = fmt->u.str.len * 4 + 256;
  char *out = rt_xmalloc(cap);
  size_t n = fmt->u.str.len ? strftime(out, cap, fmt->u.str.s, &tm) : 0;
  out[n] = 0;
  rt_decref(fmt);
  return rt_str_take(out, n);
}

/* ---- Python's printf-style formatting: `fmt % args` ---- */

/* One conversion's value as Python's int(), or an error for %d of a str. */
static RtValue *fmt_int(const RtValue *v, char conv, int64_t *out) {
  if (rt_kind(v) == RT_INT || rt_kind(v) == RT_BOOL) {
    *out = rt_as_int(v);
    return NULL;
  }
  if (rt_kind(v) == RT_FLOAT && strchr("diu", conv)) {
    char msg[200];
    RtArithErr e = rt_arith_float_to_int(v->u.f, out, msg, sizeof msg);
    return e ? rt_arith_error(e, msg) : NULL;
  }
  if (strchr("diu", conv))
    return rt_type_error("%%%c format: a real number is required, not %s", conv, rt_type_name(v));
  return rt_type_error("%%%c format: an integer is required, not %s", conv, rt_type_name(v));
}

/* Pads `s` (code points) to `width`, left-aligned when `left`. */
static void fmt_pad(RtBuf *b, const char *s, size_t len, int64_t width, bool left, char fill) {
  int64_t n = (int64_t)rt_utf8_count(s, len);
  if (!left)
    for (int64_t i = n; i < width; i++)
      rt_buf_putc(b, fill);
  rt_buf_add(b, s, len);
  if (left)
    for (int64_t i = n; i < width; i++)
      rt_buf_putc(b, ' ');
}

/* A %d/%x/%o conversion of an int past 64 bits (or of a float that is one,
 * for %d), as Python's: sign, 0x/0o with '#', digits zero-padded to the
 * precision, then to the width with '0'. False when `v` is no such number. */
static bool fmt_big(RtBuf *b, const RtValue *v, char conv, int64_t width, int64_t prec, bool left,
                    bool plus, bool space, bool alt, bool zero) {
  RtValue *big = NULL;
  if (rt_is_big(v))
    big = rt_incref((RtValue *)v);
  else if (rt_kind(v) == RT_FLOAT && strchr("diu", conv) && isfinite(v->u.f) &&
           fabs(v->u.f) >= 9223372036854775808.0)
    big = rt_bigint_from_double(v->u.f);
  if (!big || !rt_is_big(big)) {
    rt_decref(big);
    return false;
  }
  RtBuf d = {0}, s = {0};
  rt_bigint_magnitude(&d, big, conv);
  rt_buf_puts(&s, big->u.i < 0 ? "-" : plus ? "+" : space ? " " : "");
  if (alt && conv != 'd' && conv != 'i' && conv != 'u')
    rt_buf_puts(&s, conv == 'o' ? "0o" : conv == 'x' ? "0x" : "0X");
  int64_t ndig = prec > (int64_t)d.len ? prec : (int64_t)d.len;
  if (zero && !left && width > (int64_t)s.len + ndig)
    ndig = width - (int64_t)s.len;
  for (int64_t k = (int64_t)d.len; k < ndig; k++)
    rt_buf_putc(&s, '0');
  rt_buf_add(&s, d.data, d.len);
  fmt_pad(b, s.data, s.len, width, left, ' ');
  rt_buf_free(&d);
  rt_buf_free(&s);
  rt_decref(big);
  return true;
}

RtValue *rt_py_format(const char *fmt, size_t len, RtValue *args) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  bool is_map = rt_kind(args) == RT_DICT;
  bool is_tuple = rt_kind(args) == RT_LIST; /* a tuple of arguments */
  size_t argi = 0, nargs = is_tuple ? rt_len(args) : 1;
  RtValue *err = NULL;
  for (size_t i = 0; i < len && !err; i++) {
    if (fmt[i] != '%') {
      rt_buf_putc(&b, fmt[i]);
      continue;
    }
    if (++i >= len) {
      err = rt_error_exc(RT_EXC_VALUE, "incomplete format");
      break;
    }
    RtValue *val = NULL;
    if (fmt[i] == '(') {
      size_t depth = 1, st = ++i;
      while (i < len && depth) {
        depth += fmt[i] == '(' ? 1 : fmt[i] == ')' ? -1 : 0;
        i++;
      }
      if (depth) {
        err = rt_error_exc(RT_EXC_VALUE, "incomplete format key");
        break;
      }
      if (!is_map) {
        err = rt_type_error("format requires a mapping");
        break;
      }
      char *key = rt_xstrndup(fmt + st, i - 1 - st);
      val = rt_dict_get(args, key);
      if (!val) {
        RtValue *k = rt_strz(key), *r = rt_to_repr(k);
        err = rt_error_exc(RT_EXC_KEY, "%s", r->u.str.s);
        rt_decref(k);
        rt_decref(r);
      }
      free(key);
      if (err)
        break;
    }
    bool left = false, plus = false, space = false, alt = false, zero = false;
    for (; i < len && strchr("-+ #0", fmt[i]) && fmt[i]; i++)
      left |= fmt[i] == '-', plus |= fmt[i] == '+', space |= fmt[i] == ' ', alt |= fmt[i] == '#', zero |= fmt[i] == '0';
    int64_t width = -1, prec = -1;
    if (i < len && fmt[i] == '*') {
      RtValue *w = argi < nargs ? (is_tuple ? rt_list_at(args, argi) : args) : NULL;
      argi++;
      if (!w || !rt_arg_int(w, &width)) {
        err = w ? rt_type_error("* wants int") : rt_type_error("not enough arguments for format string");
        break;
      }
      if (width < 0)
        left = true, width = -width;
      i++;
    } else {
      for (; i < len && fmt[i] >= '0' && fmt[i] <= '9'; i++)
        width = (width < 0 ? 0 : width) * 10 + (fmt[i] - '0');
    }
    if (i < len && fmt[i] == '.') {
      i++;
      prec = 0;
      if (i < len && fmt[i] == '*') {
        RtValue *w = argi < nargs ? (is_tuple ? rt_list_at(args, argi) : args) : NULL;
        argi++;
        if (!w || !rt_arg_int(w, &prec)) {
          err = w ? rt_type_error("* wants int") : rt_type_error("not enough arguments for format string");
          break;
        }
        i++;
      } else {
        for (; i < len && fmt[i] >= '0' && fmt[i] <= '9'; i++)
          prec = prec * 10 + (fmt[i] - '0');
      }
    }
    while (i < len && strchr("hlL", fmt[i]) && fmt[i])
      i++;
    if (i >= len) {
      err = rt_error_exc(RT_EXC_VALUE, "incomplete format");
      break;
    }
    char conv = fmt[i];
    if (conv == '%') {
      rt_buf_putc(&b, '%');
      continue;
    }
    if (width > (int64_t)RT_ARITH_MAX_STR || prec > 10000) {
      err = rt_error_exc(RT_EXC_MEMORY, "format width too large");
      break;
    }
    if (!val) {
      if (argi >= nargs) {
        err = rt_type_error("not enough arguments for format string");
        break;
      }
      val = is_tuple ? rt_list_at(args, argi) : args;
      argi++;
    }
    if (rt_is_error(val)) {
      err = rt_error_of(val);
      break;
    }
    RtBuf one = {0};
    if (conv == 's' || conv == 'r' || conv == 'a') {
      RtValue *s = conv == 's' ? rt_to_str(val) : rt_to_repr(val);
      size_t n = s->u.str.len;
      if (prec >= 0) {
        RtValue *t = rt_text_slice(s->u.str.s, s->u.str.len, 0, prec);
        rt_decref(s);
        s = t;
        n = s->u.str.len;
      }
      fmt_pad(&b, s->u.str.s, n, width, left, ' ');
      rt_decref(s);
      continue;
    }
    if (conv == 'c') {
      int64_t cp;
      if (rt_kind(val) == RT_STR && rt_utf8_count(val->u.str.s, val->u.str.len) == 1) {
        fmt_pad(&b, val->u.str.s, val->u.str.len, width, left, ' ');
      } else if (rt_arg_int(val, &cp) && cp >= 0 && cp <= 0x10FFFF) {
        rt_utf8_put(&one, (uint32_t)cp);
        fmt_pad(&b, one.data, one.len, width, left, ' ');
      } else {
        err = rt_type_error("%%c requires int or char");
      }
      rt_buf_free(&one);
      continue;
    }
    char spec[64], *sp = spec;
    *sp++ = '%';
    if (left) *sp++ = '-';
    if (plus) *sp++ = '+';
    if (space) *sp++ = ' ';
    if (alt && conv != 'o') *sp++ = '#';
    if (zero && !left) *sp++ = '0';
    if (width >= 0) sp += snprintf(sp, 24, "%lld", (long long)width);
    if (prec >= 0) sp += snprintf(sp, 24, ".%lld", (long long)prec);
    if (strchr("diuxXo", conv) && fmt_big(&b, val, conv, width, prec, left, plus, space, alt, zero))
      continue;
    if (strchr("diuxXo", conv)) {
      int64_t n;
      if ((err = fmt_int(val, conv, &n)))
        break;
      if (conv == 'o' && alt) { /* Python writes 0o17 */
        char digits[64];
        snprintf(digits, sizeof digits, "%s0o%llo", n < 0 ? "-" : (plus ? "+" : space ? " " : ""),
                 (unsigned long long)(n < 0 ? -(uint64_t)n : (uint64_t)n));
        fmt_pad(&b, digits, strlen(digits), width, left, ' ');
        continue;
      }
      if (strchr("xXo", conv) && n < 0) { /* Python: a sign, then the magnitude */
        snprintf(sp, 8, "ll%c", conv);
        char *t = rt_xasprintf(spec, (unsigned long long)(-(uint64_t)n));
        char *u = rt_xasprintf("-%s", t + strspn(t, " "));
        fmt_pad(&b, u, strlen(u), width, left, ' ');
        free(t);
        free(u);
        continue;
      }
      snprintf(sp, 8, "ll%c", conv == 'u' || conv == 'i' ? 'd' : conv);
      rt_buf_printf(&b, spec, (long long)n);
    } else if (strchr("eEfFgG", conv)) {
      double d;
      if (rt_kind(val) == RT_FLOAT)
        d = val->u.f;
      else if (rt_kind(val) == RT_INT || rt_kind(val) == RT_BOOL)
        d = rt_as_float(val);
      else {
        err = rt_type_error("must be real number, not %s", rt_type_name(val));
        break;
      }
      snprintf(sp, 8, "%c", conv);
      rt_buf_printf(&b, spec, d);
    } else {
      err = rt_error_exc(RT_EXC_VALUE, "unsupported format character '%c' (0x%x) at index %zu", conv,
                         (unsigned)(unsigned char)conv, i);
    }
  }
  if (!err && !is_map && argi < nargs)
    err = rt_type_error("not all arguments converted during string formatting");
  if (err) {
    rt_buf_free(&b);
    return err;
  }
  return rt_buf_value(&b);
}

RtValue *rt_f_format(RtFArgs *a) {
  if (a->rest && a->kw)
    return rt_error_exc(RT_EXC_FILTER_ARG, "can't handle positional and keyword arguments at the same time");
  RtValue *s = text_of(a->base);
  RtValue *args = a->kw ? rt_incref(a->kw) : a->rest ? rt_incref(a->rest) : rt_tuple_new(0);
  RtValue *r = rt_py_format(s->u.str.s, s->u.str.len, args);
  rt_decref(args);
  rt_decref(s);
  return r;
}
