/*
 * lineinfile.c — the lineinfile module: Ansible's present()/absent() on the
 * file's lines (bytes, split after each "\n" as readlines() does), with
 * Python regular expressions (pyre.c, bytes semantics: Ansible compiles
 * them from bytes), computed on the controller. The file is read in one
 * request and written back atomically only when it changes (edit.c), so a
 * line already in place costs one round trip.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam lineinfile_params[] = {
    {.name = "path", .type = MP_PATH, .required = true, .aliases = "dest,destfile,name"},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "regexp", .type = MP_STR, .aliases = "regex"},
    {.name = "search_string", .type = MP_STR},
    {.name = "line", .type = MP_STR, .aliases = "value"},
    {.name = "insertafter", .type = MP_STR},
    {.name = "insertbefore", .type = MP_STR},
    {.name = "backrefs", .type = MP_BOOL, .def = "no"},
    {.name = "create", .type = MP_BOOL, .def = "no"},
    {.name = "backup", .type = MP_BOOL, .def = "no"},
    {.name = "firstmatch", .type = MP_BOOL, .def = "no"},
    {.name = "validate", .type = MP_STR},
    MOD_FILE_COMMON_PARAMS,
};
const ModSchema mod_schema_lineinfile = {
    .name = "lineinfile",
    .params = lineinfile_params,
    .nparams = MOD_N(lineinfile_params),
    .free_form = true,
    .exclusive = "insertbefore,insertafter;regexp,search_string;backrefs,search_string",
    .tools = "stat,base64,id,cp,date,mv,chmod,chown,chgrp,mkdir,realpath",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

typedef struct Line {
  char *s;
  size_t len;
} Line;

typedef struct Lines {
  Line *v;
  size_t n, cap;
} Lines;

static void lines_insert(Lines *l, size_t at, const char *s, size_t len) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->v = rt_xrealloc(l->v, l->cap * sizeof *l->v);
  }
  memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof *l->v);
  l->v[at].s = rt_xstrndup(s, len);
  l->v[at].len = len;
  l->n++;
}

static void lines_set(Lines *l, size_t at, const char *s, size_t len) {
  free(l->v[at].s);
  l->v[at].s = rt_xstrndup(s, len);
  l->v[at].len = len;
}

static void lines_free(Lines *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i].s);
  free(l->v);
}

/* readlines() */
static void read_lines(Lines *l, const char *s, size_t len) {
  size_t start = 0;
  for (size_t i = 0; i < len; i++)
    if (s[i] == '\n') {
      lines_insert(l, l->n, s + start, i + 1 - start);
      start = i + 1;
    }
  if (start < len)
    lines_insert(l, l->n, s + start, len - start);
}

static char *join_lines(const Lines *l, size_t *len) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < l->n; i++)
    rt_buf_add(&b, l->v[i].s, l->v[i].len);
  *len = b.len;
  return rt_buf_take(&b);
}

/* b_cur_line.rstrip(b'\r\n') == b_line */
static bool same_line(const Line *cur, const char *line, size_t llen) {
  size_t n = cur->len;
  while (n && (cur->s[n - 1] == '\r' || cur->s[n - 1] == '\n'))
    n--;
  return n == llen && memcmp(cur->s, line, n) == 0;
}

static bool ends_with_eol(const Line *l) {
  return l->len && (l->s[l->len - 1] == '\n' || l->s[l->len - 1] == '\r');
}

static bool contains(const Line *l, const char *needle) {
  size_t n = strlen(needle);
  return n == 0 || (l->len >= n && memmem(l->s, l->len, needle, n) != NULL);
}

/* The line with its newline: b_line + b_linesep */
static void insert_line(Lines *l, size_t at, const char *line, size_t llen) {
  char *s = rt_xasprintf("%.*s\n", (int)llen, line);
  lines_insert(l, at, s, llen + 1);
  free(s);
}

typedef struct Args {
  char *regexp, *search, *line, *after, *before;
  bool backrefs, create, firstmatch, present;
} Args;

/* A text (str) diff value of bytes: Python's to_native */
static RtValue *text_of(const char *s, size_t len) { return rt_str(s, len); }

static RtValue *content_diff(const char *path) {
  RtValue *d = rt_dict_new(4);
  char *h = rt_xasprintf("%s (content)", path);
  rt_dict_set(d, "before", rt_strz(""));
  rt_dict_set(d, "after", rt_strz(""));
  rt_dict_set(d, "before_header", rt_strz(h));
  rt_dict_set(d, "after_header", rt_strz(h));
  free(h);
  return d;
}

static RtValue *compile_failure(const char *what, const char *err) {
  return mod_fail_result("%s could not be compiled as a Python regular expression: %s", what, err);
}

/* present(): the new lines and the message; returns a failure or NULL. */
static RtValue *present(const Args *a, Lines *l, const char **msg, bool *changed) {
  ModRe *bre_m = NULL, *bre_ins = NULL;
  char *err = NULL;
  RtValue *r = NULL;
  size_t llen = strlen(a->line);
  if (a->regexp && !(bre_m = mod_re_compile(a->regexp, strlen(a->regexp), 0, false, &err))) {
    r = compile_failure("regexp", err);
    goto done;
  }
  const char *ins = a->after && strcmp(a->after, "BOF") && strcmp(a->after, "EOF") ? a->after
                    : !a->after && a->before && strcmp(a->before, "BOF")          ? a->before
                                                                                    : NULL;
  if (ins && !(bre_ins = mod_re_compile(ins, strlen(ins), 0, false, &err))) {
    r = compile_failure(a->after ? "insertafter" : "insertbefore", err);
    goto done;
  }
  long index0 = -1, index1 = -1;
  bool matched = false, exact = false;
  ModReMatch m;
  if (bre_m)
    for (size_t i = 0; i < l->n; i++)
      if (mod_re_search(bre_m, l->v[i].s, l->v[i].len, 0, false, &m)) {
        index0 = (long)i;
        matched = true;
        if (a->firstmatch)
          break;
      }
  if (a->search)
    for (size_t i = 0; i < l->n; i++)
      if (contains(&l->v[i], a->search)) {
        index0 = (long)i;
        matched = true;
        if (a->firstmatch)
          break;
      }
  if (!matched)
    for (size_t i = 0; i < l->n; i++) {
      if (same_line(&l->v[i], a->line, llen)) {
        index0 = (long)i;
        exact = true;
      } else if (bre_ins && mod_re_search(bre_ins, l->v[i].s, l->v[i].len, 0, false, &m)) {
        if (a->after) {
          index1 = (long)i + 1;
          if (a->firstmatch)
            break;
        }
        if (a->before) {
          index1 = (long)i;
          if (a->firstmatch)
            break;
        }
      }
    }
  *msg = "";
  *changed = false;
  if (index0 != -1) {
    RtBuf nl = {0};
    if (a->backrefs && matched) { /* match.expand(b_line) on the matched line */
      Line *cur = &l->v[index0];
      mod_re_search(bre_m, cur->s, cur->len, 0, false, &m);
      if (!mod_re_expand(bre_m, &m, cur->s, a->line, llen, &nl, &err)) {
        r = mod_fail_result("%s", err);
        rt_buf_free(&nl);
        goto done;
      }
    } else {
      rt_buf_add(&nl, a->line, llen);
    }
    if (!nl.len || nl.data[nl.len - 1] != '\n')
      rt_buf_putc(&nl, '\n');
    if (!a->regexp && !a->search && !matched && !exact) {
      /* only reached with an insert position: nothing else sets index0 */
    } else if (!(l->v[index0].len == nl.len && memcmp(l->v[index0].s, nl.data, nl.len) == 0)) {
      lines_set(l, (size_t)index0, nl.data, nl.len);
      *msg = "line replaced";
      *changed = true;
    }
    rt_buf_free(&nl);
  } else if (a->backrefs) {
    /* nothing: the backrefs cannot be filled without a match */
  } else if ((a->before && !strcmp(a->before, "BOF")) || (a->after && !strcmp(a->after, "BOF"))) {
    insert_line(l, 0, a->line, llen);
    *msg = "line added";
    *changed = true;
  } else if ((a->after && !strcmp(a->after, "EOF")) || index1 == -1) {
    if (l->n && !ends_with_eol(&l->v[l->n - 1]))
      lines_insert(l, l->n, "\n", 1);
    insert_line(l, l->n, a->line, llen);
    *msg = "line added";
    *changed = true;
  } else if (a->after && index1 != -1) {
    if ((size_t)index1 == l->n) {
      if (!same_line(&l->v[index1 - 1], a->line, llen)) {
        insert_line(l, l->n, a->line, llen);
        *msg = "line added";
        *changed = true;
      }
    } else if (!same_line(&l->v[index1], a->line, llen)) {
      insert_line(l, (size_t)index1, a->line, llen);
      *msg = "line added";
      *changed = true;
    }
  } else {
    insert_line(l, (size_t)index1, a->line, llen);
    *msg = "line added";
    *changed = true;
  }
done:
  free(err);
  mod_re_free(bre_m);
  mod_re_free(bre_ins);
  return r;
}

/* absent(): drops the matching lines; returns a failure or NULL. */
static RtValue *absent(const Args *a, Lines *l, size_t *found) {
  ModRe *re = NULL;
  char *err = NULL;
  if (a->regexp && !(re = mod_re_compile(a->regexp, strlen(a->regexp), 0, false, &err))) {
    RtValue *r = compile_failure("regexp", err);
    free(err);
    return r;
  }
  size_t out = 0, llen = a->line ? strlen(a->line) : 0;
  *found = 0;
  for (size_t i = 0; i < l->n; i++) {
    ModReMatch m;
    bool hit = re          ? mod_re_search(re, l->v[i].s, l->v[i].len, 0, false, &m)
               : a->search ? contains(&l->v[i], a->search)
                           : same_line(&l->v[i], a->line, llen);
    if (hit) {
      (*found)++;
      free(l->v[i].s);
    } else {
      l->v[out++] = l->v[i];
    }
  }
  l->n = out;
  mod_re_free(re);
  return NULL;
}

RtValue *mod_lineinfile(RtHost *h, RtValue *args) {
  Args a = {0};
  char *path = mod_arg_str(args, "path"), *state = mod_arg_str(args, "state");
  a.regexp = mod_arg_str(args, "regexp");
  a.search = mod_arg_str(args, "search_string");
  a.line = mod_arg_str(args, "line");
  a.after = mod_arg_str(args, "insertafter");
  a.before = mod_arg_str(args, "insertbefore");
  a.backrefs = mod_arg_bool(args, "backrefs", 0) == 1;
  a.create = mod_arg_bool(args, "create", 0) == 1;
  a.firstmatch = mod_arg_bool(args, "firstmatch", 0) == 1;
  a.present = !state || strcmp(state, "present") == 0;
  ModEdit e;
  mod_edit_init(&e, h, args);
  RtValue *r = NULL, *warnings = NULL;
  Lines l = {0};
  char *data = NULL, *backup = NULL;
  if ((a.regexp && !*a.regexp) || (a.search && !*a.search)) {
    bool re = a.regexp && !*a.regexp;
    char *w = rt_xasprintf("The %s is an empty string, which will match every line in the file. This may have "
                           "unintended consequences, such as replacing the last line in the file rather than "
                           "appending.%s",
                           re ? "regular expression" : "search string",
                           re ? " If this is desired, use '^' to match every line in the file and avoid this "
                                "warning."
                              : "");
    warnings = rt_list_new(1);
    rt_list_push(warnings, rt_str_take(w, strlen(w)));
  }
  RtValue *fail = NULL;
  if (mod_edit_read(h, &e, path, &fail) < 0)
    goto done;
  if (fail) {
    r = fail;
    goto done;
  }
  if (e.kind == MOD_EDIT_DIR) {
    r = mod_fail_result("Path %s is a directory !", e.path);
    rt_dict_set(r, "rc", rt_int(256));
    goto done;
  }
  if (a.present && a.backrefs && !a.regexp) {
    r = mod_fail_result("regexp is required with backrefs=true");
    goto done;
  }
  if (a.present && !a.line) {
    r = mod_fail_result("line is required with state=present");
    goto done;
  }
  if (!a.present && !a.regexp && !a.search && !a.line) {
    r = mod_fail_result("one of line, search_string, or regexp is required with state=absent");
    goto done;
  }
  if (e.unreadable) {
    RtBuf b = {0};
    rt_buf_puts(&b, "[Errno 13] Permission denied: ");
    mod_py_bytes_repr(&b, e.path);
    r = mod_fail_result("%s", b.data);
    rt_buf_free(&b);
    goto done;
  }
  bool exists = e.kind != MOD_EDIT_ABSENT;
  if (a.present && !exists && !a.create) {
    r = mod_fail_result("Destination %s does not exist !", e.path);
    rt_dict_set(r, "rc", rt_int(257));
    goto done;
  }
  if (!a.present && !exists) {
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "msg", rt_strz("file not present"));
    goto done;
  }
  if (!a.after && !a.before && a.present)
    a.after = rt_xstrdup("EOF");
  read_lines(&l, e.data.data ? e.data.data : "", e.data.len);
  RtValue *diff = content_diff(e.path);
  if (e.diff)
    rt_dict_set(diff, "before", text_of(e.data.data ? e.data.data : "", e.data.len));
  const char *msg = "";
  bool changed = false;
  size_t found = 0;
  fail = a.present ? present(&a, &l, &msg, &changed) : absent(&a, &l, &found);
  if (fail) {
    rt_decref(diff);
    r = fail;
    goto done;
  }
  if (!a.present)
    changed = found > 0;
  size_t len;
  data = join_lines(&l, &len);
  if (e.diff)
    rt_dict_set(diff, "after", text_of(data, len));
  char *msgbuf = a.present ? rt_xstrdup(msg) : changed ? rt_xasprintf("%zu line(s) removed", found) : rt_xstrdup("");
  if (a.present && e.check && !exists) {
    r = rt_dict_new(6);
    rt_dict_set(r, "changed", rt_bool(changed));
    rt_dict_set(r, "msg", rt_str_take(msgbuf, strlen(msgbuf)));
    rt_dict_set(r, "backup", rt_strz(""));
    rt_dict_set(r, "diff", diff);
    goto done;
  }
  RtValue *attr_diff = rt_dict_new(4);
  bool attrs = false;
  fail = mod_edit_write(h, &e, data, len, changed, true, attr_diff, &attrs, &backup);
  if (fail || rt_host_lost(h)) {
    free(msgbuf);
    rt_decref(diff);
    rt_decref(attr_diff);
    r = fail;
    goto done;
  }
  if (attrs) {
    char *m2 = rt_xasprintf("%s%sownership, perms or SE linux context changed", msgbuf, changed ? " and " : "");
    free(msgbuf);
    msgbuf = m2;
    changed = true;
  }
  char *hdr = rt_xasprintf("%s (file attributes)", e.path);
  rt_dict_set(attr_diff, "before_header", rt_strz(hdr));
  rt_dict_set(attr_diff, "after_header", rt_strz(hdr));
  free(hdr);
  RtValue *difflist = rt_list_new(2);
  rt_list_push(difflist, diff);
  rt_list_push(difflist, attr_diff);
  r = rt_dict_new(6);
  rt_dict_set(r, "changed", rt_bool(changed));
  if (!a.present)
    rt_dict_set(r, "found", rt_int((int64_t)found));
  rt_dict_set(r, "msg", rt_str_take(msgbuf, strlen(msgbuf)));
  rt_dict_set(r, "backup", rt_strz(backup ? backup : ""));
  rt_dict_set(r, "diff", difflist);
done:
  if (r && warnings)
    rt_dict_set(r, "warnings", rt_incref(warnings));
  rt_decref(warnings);
  lines_free(&l);
  mod_edit_free(&e);
  free(data);
  free(backup);
  free(path);
  free(state);
  free(a.regexp);
  free(a.search);
  free(a.line);
  free(a.after);
  free(a.before);
  return r;
}

#endif
