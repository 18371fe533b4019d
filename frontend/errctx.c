/*
 * errctx.c — the text ansible-playbook appends to an error raised against a
 * task ("The error appears to be in '…': line L, column C, …", the offending
 * lines, and its hints for common YAML mistakes). It depends only on the
 * source and the task's position, so playc computes it at compile time and
 * the binary carries it as data (RtTaskDef.error_context); the rules follow
 * AnsibleError._get_extended_error.
 */
#include "frontend.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The longest line quoted as "the offending line" (Ansible quotes any). */
#define ERRCTX_MAX_LINE 1000

#define POSITION                                                                          \
  "The error appears to be in '%s': line %d, column %d, but may\n"                        \
  "be elsewhere in the file depending on the exact syntax problem.\n"

static const char TAB_HINT[] =
    "There appears to be a tab character at the start of the line.\n\n"
    "YAML does not use tabs for formatting. Tabs should be replaced with spaces.\n\n"
    "For example:\n"
    "    - name: update tooling\n"
    "      vars:\n"
    "        version: 1.2.3\n\n"
    "Should be written as:\n"
    "    - name: update tooling\n"
    "      vars:\n"
    "        version: 1.2.3\n";

static const char UNQUOTED_VARIABLE_HINT[] =
    "We could be wrong, but this one looks like it might be an issue with\n"
    "missing quotes. Always quote template expression brackets when they\n"
    "start a value. For instance:\n\n"
    "    with_items:\n"
    "      - {{ foo }}\n\n"
    "Should be written as:\n\n"
    "    with_items:\n"
    "      - \"{{ foo }}\"\n";

static const char DICT_HINT[] =
    "This one looks easy to fix. YAML thought it was looking for the start of a\n"
    "hash/dictionary and was confused to see a second \"{\". Most likely this was\n"
    "meant to be an ansible template evaluation instead, so we have to give the\n"
    "parser a small hint that we wanted a string instead. The solution here is to\n"
    "just quote the entire value.\n\n"
    "For instance, if the original line was:\n\n"
    "    app_path: {{ base_path }}/foo\n\n"
    "It should be written as:\n\n"
    "    app_path: \"{{ base_path }}/foo\"\n";

static const char UNQUOTED_COLON_HINT[] =
    "This one looks easy to fix. There seems to be an extra unquoted colon in the line\n"
    "and this is confusing the parser. It was only expecting to find one free\n"
    "colon. The solution is just add some quotes around the colon, or quote the\n"
    "entire line after the first colon.\n\n"
    "For instance, if the original line was:\n\n"
    "    copy: src=file.txt dest=/path/filename:with_colon.txt\n\n"
    "It can be written as:\n\n"
    "    copy: src=file.txt dest='/path/filename:with_colon.txt'\n\n"
    "Or:\n\n"
    "    copy: 'src=file.txt dest=/path/filename:with_colon.txt'\n";

static const char PARTIALLY_QUOTED_HINT[] =
    "This one looks easy to fix. It seems that there is a value started\n"
    "with a quote, and the YAML parser is expecting to see the line ended\n"
    "with the same kind of quote. For instance:\n\n"
    "    when: \"ok\" in result.stdout\n\n"
    "Could be written as:\n\n"
    "   when: '\"ok\" in result.stdout'\n\n"
    "Or equivalently:\n\n"
    "   when: \"'ok' in result.stdout\"\n";

static const char UNBALANCED_QUOTES_HINT[] =
    "We could be wrong, but this one looks like it might be an issue with\n"
    "unbalanced quotes. If starting a value with a quote, make sure the\n"
    "line ends with the same set of quotes. For instance this arbitrary\n"
    "example:\n\n"
    "    foo: \"bad\" \"wolf\"\n\n"
    "Could be written as:\n\n"
    "    foo: '\"bad\" \"wolf\"'\n";

static const char AND_SHORTHAND_HINT[] =
    "There appears to be both 'k=v' shorthand syntax and YAML in this task. "
    "Only one syntax may be used.\n";

/* Python's os.path.abspath: joined with the working directory, "." and ".."
 * and repeated slashes folded, symlinks left alone. */
static const char *abspath(PcCtx *c, const char *path) {
  char cwd[PATH_MAX];
  const char *full = path;
  if (path[0] != '/')
    full = pc_sprintf(c, "%s/%s", getcwd(cwd, sizeof cwd) ? cwd : ".", path);
  size_t n = strlen(full);
  char *out = pc_alloc(c, n + 2);
  size_t o = 0;
  for (const char *p = full; *p;) {
    while (*p == '/')
      p++;
    const char *e = p;
    while (*e && *e != '/')
      e++;
    size_t len = (size_t)(e - p);
    if (len == 0 || (len == 1 && p[0] == '.')) {
      /* nothing */
    } else if (len == 2 && p[0] == '.' && p[1] == '.') {
      while (o > 0 && out[o - 1] != '/')
        o--;
      if (o > 0)
        o--;
    } else {
      out[o++] = '/';
      memcpy(out + o, p, len);
      o += len;
    }
    p = e;
  }
  if (o == 0)
    out[o++] = '/';
  out[o] = '\0';
  return out;
}

/* Line `i` (0-based) of `src` with its newline, as readlines() gives it. */
static const char *line_at(PcCtx *c, PcSource *src, int32_t i, int32_t *count) {
  size_t len = 0;
  const char *p = pc_source_line(c, src, i, &len, count);
  return p ? pc_strndup(c, p, len) : NULL;
}

static bool blank(const char *s) {
  for (; *s; s++)
    if (!isspace((unsigned char)*s))
      return false;
  return true;
}

/* s.rstrip() */
static const char *rstrip(PcCtx *c, const char *s) {
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    n--;
  return pc_strndup(c, s, n);
}

static int count_char(const char *s, char ch) {
  int n = 0;
  for (; *s; s++)
    n += *s == ch;
  return n;
}

static bool word_char(unsigned char ch) {
  return isalnum(ch) || ch == '_' || ch >= 0x80;
}

/* re.search(r'\w+(\s+)?=(\s+)?[\w/-]+', s) */
static bool looks_like_kv(const char *s) {
  for (const char *eq = strchr(s, '='); eq; eq = strchr(eq + 1, '=')) {
    const char *b = eq;
    while (b > s && isspace((unsigned char)b[-1]))
      b--;
    const char *a = eq + 1;
    while (isspace((unsigned char)*a))
      a++;
    if (b > s && word_char((unsigned char)b[-1]) &&
        (word_char((unsigned char)*a) || *a == '/' || *a == '-'))
      return true;
  }
  return false;
}

const char *fe_error_context(PcCtx *c, PcLoc loc) {
  if (!loc.file || loc.line <= 0)
    return NULL;
  PcSource *src = pc_find_source(c, loc.file);
  if (!src)
    return NULL;
  const char *file = abspath(c, loc.file);
  const char *msg = pc_sprintf(c, POSITION, file, loc.line, loc.col);
  int32_t nlines = 0, idx = loc.line - 1;
  size_t len = 0;
  pc_source_line(c, src, 0, &len, &nlines);
  if (idx >= nlines)
    idx = nlines - 1;
  if (idx < 0)
    return msg;
  /* Every task carries its context in the binary: quoting a line of
   * megabytes (a flow-style playbook on one line) for each of its thousands
   * of tasks would be quadratic, so such lines are not quoted. */
  if (pc_source_line(c, src, idx, &len, &nlines) && len > ERRCTX_MAX_LINE)
    return msg;
  const char *target = line_at(c, src, idx, &nlines);
  while (blank(target) && idx > 0)
    target = line_at(c, src, --idx, &nlines);
  if (idx > 0 && pc_source_line(c, src, idx - 1, &len, &nlines) && len > ERRCTX_MAX_LINE)
    return msg;
  const char *prev = idx > 0 ? line_at(c, src, idx - 1, &nlines) : "";
  if (!*target || strlen(target) > ERRCTX_MAX_LINE)
    return msg;
  if (looks_like_kv(prev)) {
    const char *p = rstrip(c, prev);
    const char *eq = strchr(p, '=');
    int pos = eq ? (int)(eq - p) : -1;
    msg = pc_sprintf(c, POSITION "\nThe offending line appears to be:\n\n%s\n%*s^ here\n\n%s", file,
                     loc.line - 1, pos + 1, p, pos > 0 ? pos : 0, "", AND_SHORTHAND_HINT);
  } else {
    msg = pc_sprintf(c, "%s\nThe offending line appears to be:\n\n%s\n%s\n%*s^ here\n", msg,
                     rstrip(c, prev), rstrip(c, target), loc.col - 1 > 0 ? loc.col - 1 : 0, "");
  }
  if (strchr(target, '\t'))
    msg = pc_sprintf(c, "%s%s", msg, TAB_HINT);
  /* target.replace(" ", "") */
  char *stripped = pc_strndup(c, target, strlen(target));
  size_t o = 0;
  for (const char *p = target; *p; p++)
    if (*p != ' ')
      stripped[o++] = *p;
  stripped[o] = '\0';
  size_t tlen = strlen(target);
  if (strstr(target, "{{") && strstr(target, "}}") &&
      (!strstr(target, "\"{{") || !strstr(target, "'{{"))) {
    msg = pc_sprintf(c, "%s%s", msg, UNQUOTED_VARIABLE_HINT);
  } else if (strstr(stripped, ":{{") && strstr(stripped, "}}")) {
    msg = pc_sprintf(c, "%s%s", msg, DICT_HINT);
  } else if (tlen > 1 && (long)tlen > loc.col && target[loc.col] == ':' &&
             count_char(target, ':') > 1) {
    msg = pc_sprintf(c, "%s%s", msg, UNQUOTED_COLON_HINT);
  } else {
    const char *colon = strchr(target, ':');
    if (colon) { /* parts[1]: up to the next colon, stripped */
      const char *a = colon + 1, *b = strchr(a, ':');
      if (!b)
        b = a + strlen(a);
      while (a < b && isspace((unsigned char)*a))
        a++;
      while (b > a && isspace((unsigned char)b[-1]))
        b--;
      size_t ml = (size_t)(b - a);
      bool match = ml > 0 && ((a[0] == '\'' && b[-1] != '\'') || (a[0] == '"' && b[-1] != '"'));
      bool unbalanced = (ml > 0 && (a[0] == '"' || a[0] == '\'') &&
                         (b[-1] == '"' || b[-1] == '\'') && count_char(target, '\'') > 2) ||
                        count_char(target, '"') > 2;
      if (match)
        msg = pc_sprintf(c, "%s%s", msg, PARTIALLY_QUOTED_HINT);
      if (unbalanced)
        msg = pc_sprintf(c, "%s%s", msg, UNBALANCED_QUOTES_HINT);
    }
  }
  return msg;
}
