/*
 * regex.c — Python's `re` on PCRE2: what regex_replace, regex_search,
 * regex_findall, the match/search/regex tests and urlize need.
 *
 * A Python pattern is first read by a small checker that reports the
 * re.error messages Ansible users see ("missing ), unterminated subpattern
 * at position 0", "bad escape \q", "nothing to repeat"), then translated
 * where the two dialects differ: \Z is PCRE's \z, \v a vertical tab, \uXXXX
 * and \UXXXXXXXX code points, {,n} a {0,n} quantifier; (?P<n>...) and
 * (?P=n) PCRE2 reads as Python writes them. Patterns are compiled UTF with
 * Unicode properties (Python's \w, \d, \s, \b on str patterns) and matched
 * with Python's rules for empty matches (an empty match right after the
 * previous one is refused: PCRE2_NOTEMPTY_ATSTART, as sre's must_advance).
 * Positions in messages count code points, as Python's do.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "filters.h"
#include "regex.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

struct RtRegex {
  pcre2_code *code;
  uint32_t ngroups;
  RtValue *names; /* list of group names by number (None for unnamed); index 0 unused */
};

static RtValue *re_error(const char *pat, size_t at, const char *fmt, const char *arg) {
  size_t cp = rt_utf8_count(pat, at);
  char *msg = rt_xasprintf(fmt, arg);
  RtValue *e = rt_error_exc(RT_EXC_RE, "%s at position %zu", msg, cp);
  free(msg);
  return e;
}

/* Python's escapes outside a class (letters only; anything else is literal). */
static bool py_escape_ok(char c, bool in_class) {
  if (c >= '0' && c <= '9')
    return true;
  if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
    return true;
  const char *ok = in_class ? "abfnrtvxuUNdDsSwW" : "abfnrtvxuUNdDsSwWAZbB";
  return strchr(ok, c) != NULL;
}

/* Checks `pat` as sre_parse would for the errors users make, and translates
 * it to PCRE2 syntax into `out`. NULL, or the re.error. */
static RtValue *translate(const char *pat, size_t len, RtBuf *out, uint32_t *opts) {
  size_t *opens = rt_xmalloc((len + 1) * sizeof *opens);
  size_t nopen = 0;
  bool can_repeat = false, repeated = false;
  for (size_t i = 0; i < len;) {
    char c = pat[i];
    if (c == '\\') {
      if (i + 1 >= len) {
        free(opens);
        return re_error(pat, i, "bad escape (end of pattern)%s", "");
      }
      char e = pat[i + 1];
      if (!py_escape_ok(e, false)) {
        char s[3] = {'\\', e, 0};
        free(opens);
        return re_error(pat, i, "bad escape %s", s);
      }
      if (e == 'Z') {
        rt_buf_puts(out, "\\z");
        i += 2;
      } else if (e == 'v') {
        rt_buf_puts(out, "\\x0b");
        i += 2;
      } else if (e == 'u' || e == 'U') {
        size_t n = e == 'u' ? 4 : 8, k = 0;
        while (k < n && i + 2 + k < len && strchr("0123456789abcdefABCDEF", pat[i + 2 + k]) && pat[i + 2 + k])
          k++;
        if (k < n) {
          char s[16];
          snprintf(s, sizeof s, "\\%c%.*s", e, (int)k, pat + i + 2);
          free(opens);
          return re_error(pat, i, "incomplete escape %s", s);
        }
        rt_buf_printf(out, "\\x{%.*s}", (int)n, pat + i + 2);
        i += 2 + n;
      } else if (e == 'x') {
        size_t k = 0;
        while (k < 2 && i + 2 + k < len && strchr("0123456789abcdefABCDEF", pat[i + 2 + k]) && pat[i + 2 + k])
          k++;
        if (k < 2) {
          char s[8];
          snprintf(s, sizeof s, "\\x%.*s", (int)k, pat + i + 2);
          free(opens);
          return re_error(pat, i, "incomplete escape %s", s);
        }
        rt_buf_add(out, pat + i, 4);
        i += 4;
      } else {
        rt_buf_add(out, pat + i, 2);
        i += 2;
      }
      can_repeat = true, repeated = false;
      continue;
    }
    if (c == '[') { /* a class: copied through, escapes checked */
      size_t st = i++;
      rt_buf_putc(out, '[');
      if (i < len && pat[i] == '^')
        rt_buf_putc(out, pat[i++]);
      if (i < len && pat[i] == ']')
        rt_buf_putc(out, pat[i++]);
      while (i < len && pat[i] != ']') {
        if (pat[i] == '\\' && i + 1 < len) {
          char e = pat[i + 1];
          if (!py_escape_ok(e, true)) {
            char s[3] = {'\\', e, 0};
            free(opens);
            return re_error(pat, i, "bad escape %s", s);
          }
          if (e == 'v')
            rt_buf_puts(out, "\\x0b");
          else
            rt_buf_add(out, pat + i, 2);
          i += 2;
          continue;
        }
        if (pat[i] == '[' && i + 1 < len && pat[i + 1] == ':') /* POSIX classes are Python literals */
          rt_buf_puts(out, "\\[");
        else
          rt_buf_putc(out, pat[i]);
        i++;
      }
      if (i >= len) {
        free(opens);
        return re_error(pat, st, "unterminated character set%s", "");
      }
      rt_buf_putc(out, ']');
      i++;
      can_repeat = true, repeated = false;
      continue;
    }
    if (c == '(') {
      opens[nopen++] = i;
      rt_buf_putc(out, '(');
      i++;
      if (i < len && pat[i] == '?') { /* inline flags Python has and PCRE2 lacks */
        size_t j = i + 1;
        bool only_flags = true, any = false;
        while (j < len && strchr("aiLmsux", pat[j])) {
          any = true;
          j++;
        }
        only_flags = any && j < len && (pat[j] == ')' || pat[j] == ':' || pat[j] == '-');
        if (only_flags) {
          rt_buf_putc(out, '?');
          for (size_t k = i + 1; k < j; k++) {
            if (pat[k] == 'a')
              *opts &= ~(uint32_t)PCRE2_UCP;
            else if (pat[k] == 'L') {
              free(opens);
              return re_error(pat, k, "bad inline flags: cannot use 'L' flag with a str pattern%s", "");
            } else if (pat[k] != 'u')
              rt_buf_putc(out, pat[k]);
          }
          if (pat[j] == ')' && opens[nopen - 1] != 0) {
            size_t at = opens[nopen - 1];
            free(opens);
            return re_error(pat, at, "global flags not at the start of the expression%s", "");
          }
          i = j;
        } else { /* an extension: (?: (?= (?! (?<= (?<! (?P<n> (?P=n) (?#...) (?(...): copied */
          size_t k = i + 1;
          if (k < len && pat[k] == '#') { /* a comment: dropped up to its ')' */
            while (k < len && pat[k] != ')')
              k++;
            if (k >= len) {
              free(opens);
              return re_error(pat, i - 1, "missing ), unterminated comment%s", "");
            }
            out->len--; /* the '(' already written */
            nopen--;
            i = k + 1;
            continue;
          }
          if (k < len && pat[k] == 'P' && k + 1 < len && (pat[k + 1] == '<' || pat[k + 1] == '=')) {
            char end = pat[k + 1] == '<' ? '>' : ')';
            k += 2;
            while (k < len && pat[k] != end)
              k++;
            if (k >= len) {
              free(opens);
              return re_error(pat, i + 3, end == '>' ? "missing >, unterminated name%s" : "missing ), unterminated name%s", "");
            }
            if (end == ')') { /* (?P=name): a backreference, a whole atom */
              rt_buf_add(out, pat + i, k + 1 - i);
              nopen--;
              i = k + 1;
              can_repeat = true, repeated = false;
              continue;
            }
            k++;
          } else if (k < len && pat[k] == '<' && k + 1 < len && (pat[k + 1] == '=' || pat[k + 1] == '!')) {
            k += 2;
          } else if (k < len && (pat[k] == ':' || pat[k] == '=' || pat[k] == '!')) {
            k++;
          } else {
            free(opens);
            return re_error(pat, i, "unknown extension ?%.1s", k < len ? pat + k : "");
          }
          rt_buf_add(out, pat + i, k - i);
          i = k;
        }
      }
      can_repeat = false, repeated = false;
      continue;
    }
    if (c == ')') {
      if (!nopen) {
        free(opens);
        return re_error(pat, i, "unbalanced parenthesis%s", "");
      }
      nopen--;
      rt_buf_putc(out, ')');
      i++;
      can_repeat = true, repeated = false;
      continue;
    }
    if (c == '|') {
      rt_buf_putc(out, '|');
      i++;
      can_repeat = false, repeated = false;
      continue;
    }
    if (c == '*' || c == '+' || c == '?' || (c == '{' && i + 1 < len && (pat[i + 1] == ',' || (pat[i + 1] >= '0' && pat[i + 1] <= '9')))) {
      size_t st = i, j = i + 1;
      if (c == '{') { /* a quantifier only when it is one: {m}, {m,}, {,n}, {m,n} */
        while (j < len && pat[j] >= '0' && pat[j] <= '9')
          j++;
        bool lo = j > i + 1;
        if (j < len && pat[j] == ',') {
          j++;
          while (j < len && pat[j] >= '0' && pat[j] <= '9')
            j++;
        }
        if (j >= len || pat[j] != '}' || (!lo && pat[i + 1] == '}')) { /* a literal '{' */
          rt_buf_putc(out, '{');
          i++;
          can_repeat = true, repeated = false;
          continue;
        }
        j++;
      }
      if (!can_repeat) {
        free(opens);
        return re_error(pat, st, repeated ? "multiple repeat%s" : "nothing to repeat%s", "");
      }
      if (c == '{' && pat[i + 1] == ',')
        rt_buf_putc(out, '{'), rt_buf_putc(out, '0'), rt_buf_add(out, pat + i + 1, j - i - 1);
      else
        rt_buf_add(out, pat + i, j - i);
      i = j;
      if (i < len && pat[i] == '?') /* lazy */
        rt_buf_putc(out, pat[i++]);
      else if (i < len && pat[i] == '+') /* possessive (Python 3.11) */
        rt_buf_putc(out, pat[i++]);
      can_repeat = false, repeated = true;
      continue;
    }
    rt_buf_putc(out, c);
    i++;
    can_repeat = c != '^' && c != '$', repeated = false;
  }
  if (nopen) {
    size_t at = opens[nopen - 1];
    free(opens);
    return re_error(pat, at, "missing ), unterminated subpattern%s", "");
  }
  free(opens);
  if (!out->data)
    rt_buf_add(out, "", 0);
  return NULL;
}

RtRegex *rt_re_compile(const char *pat, size_t len, int flags, RtValue **err) {
  uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  if (flags & RT_RE_I)
    opts |= PCRE2_CASELESS;
  if (flags & RT_RE_M)
    opts |= PCRE2_MULTILINE;
  if (flags & RT_RE_S)
    opts |= PCRE2_DOTALL;
  if (flags & RT_RE_X)
    opts |= PCRE2_EXTENDED;
  RtBuf b = {0};
  RtValue *e = translate(pat, len, &b, &opts);
  if (e) {
    rt_buf_free(&b);
    *err = e;
    return NULL;
  }
  int code;
  PCRE2_SIZE off;
  pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)b.data, b.len, opts, &code, &off, cc);
  pcre2_compile_context_free(cc);
  rt_buf_free(&b);
  if (!re) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(code, msg, sizeof msg);
    *err = rt_error_exc(RT_EXC_RE, "%s", (char *)msg);
    return NULL;
  }
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  RtRegex *r = rt_xcalloc(1, sizeof *r);
  r->code = re;
  pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &r->ngroups);
  r->names = rt_list_new(r->ngroups + 1);
  for (uint32_t i = 0; i <= r->ngroups; i++)
    rt_list_push(r->names, rt_none());
  uint32_t nnames = 0, esize = 0;
  PCRE2_SPTR table = NULL;
  pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &nnames);
  pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &esize);
  pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
  for (uint32_t i = 0; i < nnames; i++) {
    const unsigned char *ent = table + (size_t)i * esize;
    uint32_t n = (uint32_t)ent[0] << 8 | ent[1];
    if (n <= r->ngroups) {
      rt_decref(r->names->u.list.items[n]);
      r->names->u.list.items[n] = rt_strz((const char *)ent + 2);
    }
  }
  return r;
}

void rt_re_free(RtRegex *re) {
  if (!re)
    return;
  pcre2_code_free(re->code);
  rt_decref(re->names);
  free(re);
}

uint32_t rt_re_groups(const RtRegex *re) { return re->ngroups; }

int rt_re_group_index(const RtRegex *re, const char *name) {
  for (uint32_t i = 1; i <= re->ngroups; i++) {
    RtValue *n = rt_list_at(re->names, i);
    if (rt_kind(n) == RT_STR && strcmp(n->u.str.s, name) == 0)
      return (int)i;
  }
  return -1;
}

int rt_re_exec(const RtRegex *re, const char *s, size_t len, size_t start, bool anchored, bool notempty_atstart,
               RtReMatch *m) {
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
  uint32_t opts = (anchored ? PCRE2_ANCHORED : 0) | (notempty_atstart ? PCRE2_NOTEMPTY_ATSTART : 0);
  int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, start, opts, md, NULL);
  if (rc < 0) {
    pcre2_match_data_free(md);
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
  }
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  m->n = re->ngroups + 1;
  if (m->n > RT_RE_MAX_GROUPS)
    m->n = RT_RE_MAX_GROUPS;
  for (uint32_t g = 0; g < m->n; g++) {
    if ((int)g < rc && ov[2 * g] != PCRE2_UNSET) {
      m->start[g] = (int64_t)ov[2 * g];
      m->end[g] = (int64_t)ov[2 * g + 1];
    } else {
      m->start[g] = m->end[g] = -1;
    }
  }
  pcre2_match_data_free(md);
  return 1;
}

RtValue *rt_re_group_value(const RtReMatch *m, const char *s, uint32_t g) {
  if (g >= m->n || m->start[g] < 0)
    return rt_none();
  return rt_str(s + m->start[g], (size_t)(m->end[g] - m->start[g]));
}

/* ---- re.sub's replacement template ---- */

/* Parses Python's replacement `repl` into literal text and group numbers:
 * a list of strings and ints. NULL with *err on a bad template. */
static RtValue *parse_template(const RtRegex *re, const char *r, size_t len, RtValue **err) {
  RtValue *parts = rt_list_new(4);
  RtBuf lit = {0};
  for (size_t i = 0; i < len;) {
    char c = r[i];
    if (c != '\\' || i + 1 >= len) {
      rt_buf_putc(&lit, c);
      i++;
      continue;
    }
    char e = r[i + 1];
    int64_t group = -1;
    size_t st = i;
    if (e == 'g') {
      const char *close = i + 2 < len && r[i + 2] == '<' ? memchr(r + i + 3, '>', len - i - 3) : NULL;
      if (!close) {
        *err = re_error(r, i + 2, i + 2 < len && r[i + 2] == '<' ? "missing >, unterminated name%s"
                                                                   : "missing <%s", "");
        goto fail;
      }
      char *name = rt_xstrndup(r + i + 3, (size_t)(close - (r + i + 3)));
      int64_t n;
      if (!*name) {
        *err = re_error(r, i + 3, "missing group name%s", "");
        free(name);
        goto fail;
      }
      if (rt_arith_parse_int(name, strlen(name), 10, &n, NULL, 0) == RT_ARITH_OK && name[0] >= '0' && name[0] <= '9') {
        if (n > (int64_t)re->ngroups) {
          char num[32];
          snprintf(num, sizeof num, "%lld", (long long)n);
          *err = re_error(r, i + 3, "invalid group reference %s", num);
          free(name);
          goto fail;
        }
        group = n;
      } else {
        group = rt_re_group_index(re, name);
        if (group < 0) {
          bool ident = rt_cp_isalpha((unsigned char)name[0]) || name[0] == '_';
          *err = ident ? rt_error_exc(RT_EXC_INDEX, "unknown group name '%s'", name)
                       : re_error(r, i + 3, "bad character in group name '%s'", name);
          free(name);
          goto fail;
        }
      }
      free(name);
      i = (size_t)(close - r) + 1;
    } else if (e >= '1' && e <= '9') { /* \N or \NN: a group; three octal digits: a character */
      size_t j = i + 2;
      if (j < len && r[j] >= '0' && r[j] <= '9') {
        if (e <= '3' && r[j] <= '7' && j + 1 < len && r[j + 1] >= '0' && r[j + 1] <= '7') {
          rt_utf8_put(&lit, (uint32_t)((e - '0') * 64 + (r[j] - '0') * 8 + (r[j + 1] - '0')));
          i = j + 2;
          continue;
        }
        j++;
      }
      group = strtol(r + i + 1, NULL, 10) % (j - i - 1 == 2 ? 100 : 10);
      if (j - i - 1 == 2)
        group = (e - '0') * 10 + (r[i + 2] - '0');
      if (group > (int64_t)re->ngroups) {
        char num[8];
        snprintf(num, sizeof num, "%lld", (long long)group);
        *err = re_error(r, st + 1, "invalid group reference %s", num);
        goto fail;
      }
      i = j;
    } else if (e == '0') { /* octal, up to two more digits */
      size_t j = i + 2;
      uint32_t v = 0;
      while (j < len && j < i + 4 && r[j] >= '0' && r[j] <= '7')
        v = v * 8 + (uint32_t)(r[j++] - '0');
      rt_utf8_put(&lit, v);
      i = j;
      continue;
    } else {
      static const char from[] = "abfnrtv\\", to[] = "\a\b\f\n\r\t\v\\";
      const char *p = strchr(from, e);
      if (p && e) {
        rt_buf_putc(&lit, to[p - from]);
      } else if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
        char s[3] = {'\\', e, 0};
        *err = re_error(r, i, "bad escape %s", s);
        goto fail;
      } else {
        rt_buf_putc(&lit, '\\');
        rt_buf_putc(&lit, e);
      }
      i += 2;
      continue;
    }
    if (lit.len)
      rt_list_push(parts, rt_buf_value(&lit));
    rt_list_push(parts, rt_int(group));
  }
  if (lit.len)
    rt_list_push(parts, rt_buf_value(&lit));
  rt_buf_free(&lit);
  return parts;
fail:
  rt_buf_free(&lit);
  rt_decref(parts);
  return NULL;
}

RtValue *rt_re_sub(const RtRegex *re, const char *repl, size_t rlen, const char *s, size_t len, int64_t count) {
  RtValue *err = NULL, *tpl = parse_template(re, repl, rlen, &err);
  if (!tpl)
    return err;
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  size_t pos = 0, last = 0;
  bool must_advance = false;
  int64_t n = 0;
  RtReMatch m;
  while ((count <= 0 || n < count) && pos <= len) {
    int rc = rt_re_exec(re, s, len, pos, false, must_advance, &m);
    if (rc < 0) {
      rt_decref(tpl);
      rt_buf_free(&b);
      return rt_error_exc(RT_EXC_RE, "matching failed");
    }
    if (rc == 0)
      break;
    rt_buf_add(&b, s + last, (size_t)m.start[0] - last);
    for (size_t k = 0; k < rt_len(tpl); k++) {
      RtValue *p = rt_list_at(tpl, k);
      if (rt_kind(p) == RT_STR)
        rt_buf_add(&b, p->u.str.s, p->u.str.len);
      else if ((uint32_t)p->u.i < m.n && m.start[p->u.i] >= 0)
        rt_buf_add(&b, s + m.start[p->u.i], (size_t)(m.end[p->u.i] - m.start[p->u.i]));
    }
    last = (size_t)m.end[0];
    must_advance = m.end[0] == m.start[0];
    pos = (size_t)m.end[0];
    n++;
  }
  rt_buf_add(&b, s + last, len - last);
  rt_decref(tpl);
  return rt_buf_value(&b);
}

RtValue *rt_re_findall(const RtRegex *re, const char *s, size_t len) {
  RtValue *out = rt_list_new(4);
  size_t pos = 0;
  bool must_advance = false;
  RtReMatch m;
  while (pos <= len) {
    int rc = rt_re_exec(re, s, len, pos, false, must_advance, &m);
    if (rc <= 0)
      break;
    if (re->ngroups == 0) {
      rt_list_push(out, rt_re_group_value(&m, s, 0));
    } else if (re->ngroups == 1) {
      RtValue *g = rt_re_group_value(&m, s, 1);
      rt_list_push(out, rt_kind(g) == RT_NONE ? rt_str("", 0) : g);
    } else {
      RtValue *t = rt_tuple_new(re->ngroups);
      for (uint32_t g = 1; g <= re->ngroups; g++) {
        RtValue *v = rt_re_group_value(&m, s, g);
        rt_list_push(t, rt_kind(v) == RT_NONE ? rt_str("", 0) : v);
      }
      rt_list_push(out, t);
    }
    must_advance = m.end[0] == m.start[0];
    pos = (size_t)m.end[0];
  }
  return out;
}

/* ---- the filters and tests ---- */

/* to_text(value, nonstring='simplerepr'): str() of a non-string. */
static RtValue *subject(RtValue *v) { return rt_to_str(v); }

static int flags_of(RtValue *ignorecase, RtValue *multiline) {
  return (rt_arg_true(ignorecase, false) ? RT_RE_I : 0) | (rt_arg_true(multiline, false) ? RT_RE_M : 0);
}

/* A pattern argument that must be a string. */
static RtValue *pattern_of(RtValue *p, const char **s, size_t *len) {
  if (!p) {
    *s = "", *len = 0;
    return NULL;
  }
  if (rt_kind(p) != RT_STR)
    return rt_type_error("first argument must be string or compiled pattern");
  *s = p->u.str.s, *len = p->u.str.len;
  return NULL;
}

RtValue *rt_f_regex_replace(RtFArgs *a) {
  const char *pat = "", *rep = "";
  size_t plen = 0, rlen = 0;
  RtValue *e = pattern_of(a->p[0], &pat, &plen);
  if (e)
    return e;
  if (a->p[1]) {
    if (rt_kind(a->p[1]) != RT_STR)
      return rt_type_error("expected str instance, %s found", rt_type_name(a->p[1]));
    rep = a->p[1]->u.str.s, rlen = a->p[1]->u.str.len;
  }
  RtRegex *re = rt_re_compile(pat, plen, flags_of(a->p[2], a->p[3]), &e);
  if (!re)
    return e;
  RtValue *s = subject(a->base);
  RtValue *r = rt_re_sub(re, rep, rlen, s->u.str.s, s->u.str.len, 0);
  rt_decref(s);
  rt_re_free(re);
  return r;
}

RtValue *rt_f_regex_findall(RtFArgs *a) {
  const char *pat = "";
  size_t plen = 0;
  RtValue *e = pattern_of(a->p[0], &pat, &plen);
  if (e)
    return e;
  RtRegex *re = rt_re_compile(pat, plen, flags_of(a->p[2], a->p[1]), &e);
  if (!re)
    return e;
  RtValue *s = subject(a->base);
  RtValue *r = rt_re_findall(re, s->u.str.s, s->u.str.len);
  rt_decref(s);
  rt_re_free(re);
  return r;
}

RtValue *rt_f_regex_search(RtFArgs *a) {
  const char *pat = "";
  size_t plen = 0;
  RtValue *e = pattern_of(a->p[0], &pat, &plen);
  if (e)
    return e;
  RtValue *groups = rt_list_new(2); /* ints, or names */
  for (size_t i = 0; a->rest && i < rt_len(a->rest); i++) {
    RtValue *arg = rt_list_at(a->rest, i);
    const char *s = rt_arg_str(arg);
    if (!s) {
      rt_decref(groups);
      return rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'startswith'", rt_type_name(arg));
    }
    if (strncmp(s, "\\g", 2) == 0) {
      const char *close = s[2] == '<' ? strchr(s + 3, '>') : NULL;
      bool ok = close && close > s + 3;
      for (const char *p = s + 3; ok && p < close; p++)
        ok = !rt_cp_isspace((unsigned char)*p);
      if (!ok) {
        rt_decref(groups);
        return rt_error_exc(RT_EXC_ATTRIBUTE, "'NoneType' object has no attribute 'group'");
      }
      rt_list_push(groups, rt_str(s + 3, (size_t)(close - s - 3)));
    } else if (s[0] == '\\') {
      if (!(s[1] >= '0' && s[1] <= '9')) {
        rt_decref(groups);
        return rt_error_exc(RT_EXC_ATTRIBUTE, "'NoneType' object has no attribute 'group'");
      }
      rt_list_push(groups, rt_int(strtoll(s + 1, NULL, 10)));
    } else {
      rt_decref(groups);
      return rt_error("Unknown argument");
    }
  }
  RtValue *ic = a->kw ? rt_dict_get(a->kw, "ignorecase") : NULL, *ml = a->kw ? rt_dict_get(a->kw, "multiline") : NULL;
  RtRegex *re = rt_re_compile(pat, plen, flags_of(ic, ml), &e);
  if (!re) {
    rt_decref(groups);
    return e;
  }
  RtValue *s = subject(a->base), *r;
  RtReMatch m;
  int rc = rt_re_exec(re, s->u.str.s, s->u.str.len, 0, false, false, &m);
  if (rc <= 0) {
    r = rt_none();
  } else if (!rt_len(groups)) {
    r = rt_re_group_value(&m, s->u.str.s, 0);
  } else {
    r = rt_list_new(rt_len(groups));
    for (size_t i = 0; i < rt_len(groups); i++) {
      RtValue *g = rt_list_at(groups, i);
      int64_t n = rt_kind(g) == RT_INT ? g->u.i : rt_re_group_index(re, g->u.str.s);
      if (n < 0 || n > (int64_t)rt_re_groups(re)) {
        rt_decref(r);
        r = rt_error_exc(RT_EXC_INDEX, "no such group");
        break;
      }
      rt_list_push(r, rt_re_group_value(&m, s->u.str.s, (uint32_t)n));
    }
  }
  rt_decref(s);
  rt_decref(groups);
  rt_re_free(re);
  return r;
}

RtValue *rt_f_regex_escape(RtFArgs *a) {
  const char *type = a->p[0] ? rt_arg_str(a->p[0]) : "python";
  RtValue *s = subject(a->base);
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  RtValue *r = NULL;
  if (type && strcmp(type, "python") == 0) { /* re.escape: every special character */
    static const char special[] = "()[]{}?*+-|^$\\.&~# \t\n\r\v\f";
    for (size_t i = 0; i < s->u.str.len; i++) {
      char c = s->u.str.s[i];
      if (c && strchr(special, c))
        rt_buf_putc(&b, '\\');
      rt_buf_putc(&b, c);
    }
  } else if (type && strcmp(type, "posix_basic") == 0) {
    for (size_t i = 0; i < s->u.str.len; i++) {
      char c = s->u.str.s[i];
      if (c && strchr("].[^$*\\", c))
        rt_buf_putc(&b, '\\');
      rt_buf_putc(&b, c);
    }
  } else {
    RtValue *t = a->p[0] ? rt_to_str(a->p[0]) : NULL;
    r = type && strcmp(type, "posix_extended") == 0 ? rt_error("Regex type (%s) not yet implemented", type)
                                                     : rt_error("Invalid regex type (%s)", t ? t->u.str.s : "None");
    rt_decref(t);
  }
  rt_decref(s);
  if (r) {
    rt_buf_free(&b);
    return r;
  }
  return rt_buf_value(&b);
}

/* Ansible's regex test: re.search/re.match/re.fullmatch of to_text(value). */
static RtValue *regex_test(RtFArgs *a, const char *match_type) {
  const char *pat = "";
  size_t plen = 0;
  RtValue *e = pattern_of(a->p[0], &pat, &plen);
  if (e)
    return e;
  RtRegex *re = rt_re_compile(pat, plen, flags_of(a->p[1], a->p[2]), &e);
  if (!re)
    return e;
  RtValue *s = subject(a->base);
  RtReMatch m;
  int rc;
  if (strcmp(match_type, "match") == 0) {
    rc = rt_re_exec(re, s->u.str.s, s->u.str.len, 0, true, false, &m);
  } else if (strcmp(match_type, "fullmatch") == 0) {
    /* the pattern, then the end: an anchored search that must reach the end */
    RtBuf full = {0};
    rt_buf_puts(&full, "(?:");
    rt_buf_add(&full, pat, plen);
    rt_buf_puts(&full, ")\\Z");
    RtRegex *fre = rt_re_compile(full.data, full.len, flags_of(a->p[1], a->p[2]), &e);
    rt_buf_free(&full);
    rc = fre ? rt_re_exec(fre, s->u.str.s, s->u.str.len, 0, true, false, &m) : 0;
    rt_re_free(fre);
    if (!fre)
      rt_decref(e);
  } else {
    rc = rt_re_exec(re, s->u.str.s, s->u.str.len, 0, false, false, &m);
  }
  rt_decref(s);
  rt_re_free(re);
  return rt_bool(rc > 0);
}

RtValue *rt_t_match(RtFArgs *a) { return regex_test(a, "match"); }
RtValue *rt_t_search(RtFArgs *a) { return regex_test(a, "search"); }

RtValue *rt_t_regex(RtFArgs *a) {
  const char *mt = a->p[3] ? rt_arg_str(a->p[3]) : "search";
  if (!mt || (strcmp(mt, "match") && strcmp(mt, "fullmatch")))
    mt = "search"; /* getattr(_re, match_type, 'search'): an unknown name is a string, always true */
  if (a->p[3] && rt_arg_str(a->p[3]) && strcmp(rt_arg_str(a->p[3]), "search") && strcmp(mt, "search") == 0) {
    const char *pat = "";
    size_t plen = 0;
    RtValue *e = pattern_of(a->p[0], &pat, &plen);
    if (e)
      return e;
    RtRegex *re = rt_re_compile(pat, plen, flags_of(a->p[1], a->p[2]), &e);
    if (!re)
      return e;
    rt_re_free(re);
    return rt_error_exc(RT_EXC_TYPE, "'str' object is not callable");
  }
  return regex_test(a, mt);
}
