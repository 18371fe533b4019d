/*
 * ini_file.c — the ini_file module (community.general.ini_file, as
 * community.general 6.6 has it): options in sections of an INI file, added,
 * changed or removed by the module's own line logic (a fake section at the
 * top for options outside any section, `exclusive`, `allow_no_value`,
 * several `values`), on the text decoded as utf-8-sig with universal
 * newlines. Computed on the controller; the file is read in one request and
 * written back atomically only when it changes (edit.c), replacing a
 * symlink rather than following it, as atomic_move(tmp, path) does.
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam ini_file_params[] = {
    {.name = "path", .type = MP_PATH, .required = true, .aliases = "dest"},
    {.name = "section", .type = MP_STR},
    {.name = "option", .type = MP_STR},
    {.name = "value", .type = MP_STR},
    {.name = "values", .type = MP_LIST, .elements = MP_STR},
    {.name = "backup", .type = MP_BOOL, .def = "no"},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "exclusive", .type = MP_BOOL, .def = "yes"},
    {.name = "no_extra_spaces", .type = MP_BOOL, .def = "no"},
    {.name = "allow_no_value", .type = MP_BOOL, .def = "no"},
    {.name = "create", .type = MP_BOOL, .def = "yes"},
    MOD_FILE_COMMON_PARAMS,
};
const ModSchema mod_schema_ini_file = {
    .name = "ini_file",
    .params = ini_file_params,
    .nparams = MOD_N(ini_file_params),
    .exclusive = "value,values",
    .tools = "stat,base64,id,cp,date,mv,chmod,chown,chgrp,mkdir",
    .check_mode = true,
    .diff_mode = true,
    .collection = "community.general"};

#ifndef MOD_SCHEMA_ONLY

typedef struct Lines {
  char **v;
  size_t n, cap;
} Lines;

static void ins(Lines *l, size_t at, char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->v = rt_xrealloc(l->v, l->cap * sizeof *l->v);
  }
  memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof *l->v);
  l->v[at] = s;
  l->n++;
}

static void del(Lines *l, size_t at) {
  free(l->v[at]);
  memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof *l->v);
  l->n--;
}

static void lines_free(Lines *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

/* io.open(..., encoding="utf-8-sig").readlines(): BOM dropped, \r\n and \r
 * read as \n, lines split after \n */
static void read_lines(Lines *l, const char *s, size_t len) {
  if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
    s += 3;
    len -= 3;
  }
  RtBuf cur = {0};
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '\r') {
      if (i + 1 < len && s[i + 1] == '\n')
        i++;
      c = '\n';
    }
    rt_buf_putc(&cur, c);
    if (c == '\n') {
      ins(l, l->n, rt_buf_take(&cur));
    }
  }
  if (cur.len)
    ins(l, l->n, rt_buf_take(&cur));
  rt_buf_free(&cur);
}

/* A regexp matching `s` literally (re.escape) */
static void escape(RtBuf *b, const char *s) {
  for (; *s; s++) {
    if (!isalnum((unsigned char)*s) && *s != '_' && (unsigned char)*s < 0x80)
      rt_buf_putc(b, '\\');
    rt_buf_putc(b, *s);
  }
}

typedef struct Opt {
  ModRe *any, *active; /* match_opt, match_active_opt */
} Opt;

static bool opt_compile(Opt *o, const char *option, char **err) {
  RtBuf a = {0}, b = {0};
  rt_buf_puts(&a, "[#;]?( |\\t)*(");
  escape(&a, option);
  rt_buf_puts(&a, ")( |\\t)*(=|$)( |\\t)*(.*)");
  rt_buf_puts(&b, "( |\\t)*(");
  escape(&b, option);
  rt_buf_puts(&b, ")( |\\t)*(=|$)( |\\t)*(.*)");
  o->any = mod_re_compile(a.data, a.len, 0, true, err);
  o->active = o->any ? mod_re_compile(b.data, b.len, 0, true, err) : NULL;
  rt_buf_free(&a);
  rt_buf_free(&b);
  return o->active != NULL;
}

/* re.match(...) of the line; *val gets group 6 (malloc'd) when asked */
static bool opt_match(ModRe *re, const char *line, char **val) {
  ModReMatch m;
  if (!mod_re_search(re, line, strlen(line), 0, true, &m))
    return false;
  size_t b, e;
  if (val)
    *val = mod_re_group(&m, 6, &b, &e) ? rt_xstrndup(line + b, e - b) : rt_xstrdup("");
  return true;
}

typedef struct Vals {
  char **v;
  size_t n;
} Vals;

static long vals_find(const Vals *v, const char *s) {
  for (size_t i = 0; i < v->n; i++)
    if (!strcmp(v->v[i], s))
      return (long)i;
  return -1;
}

static void vals_remove(Vals *v, size_t at) {
  free(v->v[at]);
  memmove(v->v + at, v->v + at + 1, (v->n - at - 1) * sizeof *v->v);
  v->n--;
}

/* ^[ \t]*([#;].*)?$ */
static bool blank_or_comment(const char *line) {
  const char *p = line;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '#' || *p == ';') {
    p += strcspn(p, "\n");
  }
  return *p == 0 || (*p == '\n' && p[1] == 0);
}

static const char FAKE[] = "ad01e11446efb704fcdbdb21f2c43757423d91c5";

typedef struct Ini {
  const char *section, *option;
  Vals values;
  bool present, exclusive, no_extra_spaces, allow_no_value;
} Ini;

static char *assignment(const Ini *a, const char *option, const char *value) {
  return rt_xasprintf(a->no_extra_spaces ? "%s=%s\n" : "%s = %s\n", option, value);
}

/* update_section_line */
static void update_line(Lines *sec, size_t index, char *changed_lines, char *newline, bool *changed,
                        const char **msg) {
  if (strcmp(sec->v[index], newline) != 0) {
    *changed = true;
    *msg = "option changed";
  }
  free(sec->v[index]);
  sec->v[index] = newline;
  changed_lines[index] = 1;
}

/* do_ini on `l`: returns the message and sets *changed. */
static const char *do_ini(Ini *a, Lines *l, bool *changed, Opt *o) {
  const char *msg = "OK";
  *changed = false;
  if (!l->n)
    ins(l, 0, rt_xstrdup("\n"));
  size_t last = strlen(l->v[l->n - 1]);
  if (!last || l->v[l->n - 1][last - 1] != '\n') {
    char *fixed = rt_xasprintf("%s\n", l->v[l->n - 1]);
    free(l->v[l->n - 1]);
    l->v[l->n - 1] = fixed;
    *changed = true;
  }
  ins(l, 0, rt_xasprintf("[%s]", FAKE));
  ins(l, l->n, rt_xstrdup("["));
  const char *section = a->section && *a->section ? a->section : FAKE;
  char *head = rt_xasprintf("[%s]", section);
  bool within = false;
  size_t start = 0, end = 0;
  for (size_t i = 0; i < l->n; i++) {
    if (!strncmp(l->v[i], head, strlen(head))) {
      within = true;
      start = i;
    } else if (l->v[i][0] == '[' && within) {
      end = i;
      break;
    }
  }
  free(head);
  /* section_lines = l[start:end] (moved out), the rest stays around it */
  Lines sec = {0};
  for (size_t i = start; i < end; i++)
    ins(&sec, sec.n, l->v[i]);
  memmove(l->v + start, l->v + end, (l->n - end) * sizeof *l->v);
  l->n -= end - start;
  char *cl = rt_xcalloc(sec.n + 1, 1);
  bool no_value_present = false;
  const char *option = a->option;
  if (a->present && option && *option) {
    for (size_t i = 0; i < sec.n; i++) {
      char *val = NULL;
      if (!opt_match(o->any, sec.v[i], &val))
        continue;
      long k = vals_find(&a->values, val);
      if (a->values.n && k >= 0) {
        char *nl;
        if (!*val && a->allow_no_value) {
          nl = rt_xasprintf("%s\n", option);
          no_value_present = true;
        } else {
          nl = assignment(a, option, val);
        }
        update_line(&sec, i, cl, nl, changed, &msg);
        vals_remove(&a->values, (size_t)k);
      } else if (!a->values.n && a->allow_no_value) {
        update_line(&sec, i, cl, rt_xasprintf("%s\n", option), changed, &msg);
        no_value_present = true;
        free(val);
        break;
      }
      free(val);
    }
  }
  if (a->present && a->exclusive && !a->allow_no_value) {
    if (a->values.n) {
      for (size_t i = 0; i < sec.n; i++) {
        if (!cl[i] && option && opt_match(o->any, sec.v[i], NULL)) {
          char *nl = assignment(a, option, a->values.v[0]);
          update_line(&sec, i, cl, nl, changed, &msg);
          vals_remove(&a->values, 0);
          if (!a->values.n)
            break;
        }
      }
    }
    for (size_t i = sec.n; i-- > 1;) {
      if (!cl[i] && option && opt_match(o->any, sec.v[i], NULL)) {
        del(&sec, i);
        memmove(cl + i, cl + i + 1, sec.n - i);
        *changed = true;
        msg = "option changed";
      }
    }
  }
  if (a->present) {
    for (size_t i = sec.n; i > 0; i--) {
      if (blank_or_comment(sec.v[i - 1]))
        continue;
      if (option && *option && a->values.n) {
        for (size_t k = a->values.n; k-- > 0;) {
          ins(&sec, i, assignment(a, option, a->values.v[k]));
          msg = "option added";
          *changed = true;
        }
      } else if (option && *option && !a->values.n && a->allow_no_value && !no_value_present) {
        ins(&sec, i, rt_xasprintf("%s\n", option));
        msg = "option added";
        *changed = true;
      }
      break;
    }
  }
  if (!a->present) {
    if (option && *option) {
      size_t out = 0;
      bool removed = false;
      for (size_t i = 0; i < sec.n; i++) {
        char *val = NULL;
        bool hit = opt_match(o->active, sec.v[i], &val);
        bool drop = hit && (a->exclusive || (a->values.n && vals_find(&a->values, val) >= 0));
        free(val);
        if (drop && (a->exclusive || a->values.n)) {
          free(sec.v[i]);
          removed = true;
        } else {
          sec.v[out++] = sec.v[i];
        }
      }
      sec.n = out;
      if (removed) {
        *changed = true;
        msg = "option changed";
      }
    } else if (sec.n) {
      lines_free(&sec);
      msg = "section removed";
      *changed = true;
    }
  }
  /* ini_lines = before + section_lines + after */
  for (size_t i = 0; i < sec.n; i++)
    ins(l, start + i, sec.v[i]);
  free(sec.v);
  free(cl);
  del(l, 0);
  del(l, l->n - 1);
  if (!within && a->present) {
    ins(l, l->n, rt_xasprintf("[%s]\n", section));
    msg = "section and option added";
    if (option && *option && a->values.n) {
      for (size_t k = 0; k < a->values.n; k++)
        ins(l, l->n, assignment(a, option, a->values.v[k]));
    } else if (option && *option && !a->values.n && a->allow_no_value) {
      ins(l, l->n, rt_xasprintf("%s\n", option));
    } else {
      msg = "only section added";
    }
    *changed = true;
  }
  return msg;
}

static char *join(const Lines *l, size_t *len) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < l->n; i++)
    rt_buf_puts(&b, l->v[i]);
  *len = b.len;
  return rt_buf_take(&b);
}

RtValue *mod_ini_file(RtHost *h, RtValue *args) {
  char *path = mod_arg_str(args, "path"), *section = mod_arg_str(args, "section");
  char *option = mod_arg_str(args, "option"), *value = mod_arg_str(args, "value");
  char *state = mod_arg_str(args, "state");
  Ini a = {0};
  a.section = section;
  a.option = option;
  a.present = !state || !strcmp(state, "present");
  a.exclusive = mod_arg_bool(args, "exclusive", 1) != 0;
  a.no_extra_spaces = mod_arg_bool(args, "no_extra_spaces", 0) == 1;
  a.allow_no_value = mod_arg_bool(args, "allow_no_value", 0) == 1;
  bool create = mod_arg_bool(args, "create", 1) != 0;
  RtValue *values = rt_dict_get(args, "values");
  ModEdit e;
  mod_edit_init(&e, h, args);
  RtValue *r = NULL, *fail = NULL;
  Lines l = {0};
  Opt o = {0};
  char *err = NULL, *data = NULL, *backup = NULL;
  size_t nvals = values && rt_kind(values) == RT_LIST ? rt_len(values) : 0;
  a.values.v = rt_xcalloc(nvals + 2, sizeof(char *));
  if (value) {
    a.values.v[a.values.n++] = rt_xstrdup(value);
  } else {
    for (size_t i = 0; i < nvals; i++) { /* deduplicated, None dropped */
      RtValue *v = rt_list_at(values, i);
      if (rt_kind(v) == RT_NONE)
        continue;
      RtBuf b = {0};
      rt_render_str(&b, v);
      char *s = b.data ? rt_buf_take(&b) : rt_xstrdup("");
      rt_buf_free(&b);
      if (vals_find(&a.values, s) >= 0)
        free(s);
      else
        a.values.v[a.values.n++] = s;
    }
  }
  if (a.present && !a.allow_no_value && !value && !a.values.n) {
    r = mod_fail_result("Parameter 'value(s)' must be defined if state=present and allow_no_value=False.");
    goto done;
  }
  if (option && !opt_compile(&o, option, &err)) {
    r = mod_fail_result("%s", err);
    goto done;
  }
  if (mod_edit_read(h, &e, path, &fail) < 0)
    goto done;
  if (fail) {
    r = fail;
    goto done;
  }
  bool exists = e.kind != MOD_EDIT_ABSENT;
  if (!exists && !create) {
    r = mod_fail_result("Destination %s does not exist!", e.path);
    rt_dict_set(r, "rc", rt_int(257));
    goto done;
  }
  if (e.kind == MOD_EDIT_DIR || e.unreadable) {
    RtBuf b = {0};
    rt_buf_printf(&b, "[Errno %d] %s: '%s'", e.kind == MOD_EDIT_DIR ? 21 : 13,
                  e.kind == MOD_EDIT_DIR ? "Is a directory" : "Permission denied", e.path);
    r = mod_fail_result("%s", b.data);
    rt_buf_free(&b);
    goto done;
  }
  if (exists)
    read_lines(&l, e.data.data ? e.data.data : "", e.data.len);
  RtValue *diff = rt_dict_new(4);
  char *hdr = rt_xasprintf("%s (content)", e.path);
  rt_dict_set(diff, "before", rt_strz(""));
  rt_dict_set(diff, "after", rt_strz(""));
  rt_dict_set(diff, "before_header", rt_strz(hdr));
  rt_dict_set(diff, "after_header", rt_strz(hdr));
  free(hdr);
  size_t len;
  if (e.diff) {
    char *before = join(&l, &len);
    rt_dict_set(diff, "before", rt_str_take(before, len));
  }
  bool changed;
  const char *msg = do_ini(&a, &l, &changed, &o);
  data = join(&l, &len);
  if (e.diff)
    rt_dict_set(diff, "after", rt_str(data, len));
  bool attrs = false;
  /* attributes only outside check mode, on a file that exists by then */
  if (e.check || (!exists && !changed)) {
    free(e.owner);
    free(e.group);
    free(e.symbolic);
    free(e.af);
    e.owner = e.group = e.symbolic = e.af = NULL;
    e.mode = -1;
  }
  fail = mod_edit_write(h, &e, data, len, changed, false, NULL, &attrs, &backup);
  if (fail || rt_host_lost(h)) {
    rt_decref(diff);
    r = fail;
    goto done;
  }
  r = rt_dict_new(5);
  rt_dict_set(r, "changed", rt_bool(changed || attrs));
  rt_dict_set(r, "diff", diff);
  rt_dict_set(r, "msg", rt_strz(msg));
  mod_edit_path_info(&e, r); /* exit_json(path=...) adds the file's stat */
  if (backup)
    rt_dict_set(r, "backup_file", rt_strz(backup));
done:
  for (size_t i = 0; i < a.values.n; i++)
    free(a.values.v[i]);
  free(a.values.v);
  lines_free(&l);
  mod_re_free(o.any);
  mod_re_free(o.active);
  mod_edit_free(&e);
  free(err);
  free(data);
  free(backup);
  free(path);
  free(section);
  free(option);
  free(value);
  free(state);
  return r;
}

#endif
