/*
 * pamd.c — community.general.pamd: edits one /etc/pam.d service file.
 * edit.c reads the file (request 1); the controller parses it into the
 * module's list of lines (comments, @include lines, empty lines, rules
 * split by the module's own regular expression on PCRE2), applies the
 * state's operation exactly as the module's linked-list code does (which
 * decides what survives an insertion: the comments between two rules are
 * dropped by before/after, as there), validates every line, and, when
 * something changed outside check mode, writes the module's rendering
 * (rules normalised, the "# Updated by Ansible" mark as the second line)
 * through the link, with the backup, in one more request.
 */
#include "mod.h"

static const ModParam pamd_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "type", .type = MP_STR, .required = true,
     .choices = "account,-account,auth,-auth,password,-password,session,-session"},
    {.name = "control", .type = MP_STR, .required = true},
    {.name = "module_path", .type = MP_STR, .required = true},
    {.name = "new_type", .type = MP_STR, .choices = "account,-account,auth,-auth,password,-password,session,-session"},
    {.name = "new_control", .type = MP_STR},
    {.name = "new_module_path", .type = MP_STR},
    {.name = "module_arguments", .type = MP_LIST},
    {.name = "state", .type = MP_STR, .choices = "absent,after,args_absent,args_present,before,updated",
     .def = "updated"},
    {.name = "path", .type = MP_PATH, .def = "/etc/pam.d"},
    {.name = "backup", .type = MP_BOOL, .def = "no"},
};
const ModSchema mod_schema_pamd = {
    .name = "pamd",
    .params = pamd_params,
    .nparams = MOD_N(pamd_params),
    .required_if = "state=args_present:module_arguments;state=args_absent:module_arguments;"
                   "state=before:new_control,new_type,new_module_path;"
                   "state=after:new_control,new_type,new_module_path",
    .tools = "base64",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

enum { PL_EMPTY, PL_COMMENT, PL_INCLUDE, PL_RULE };
enum { NIL = -1 };

/* One line of the service (PamdLine and its subclasses). */
typedef struct PLine {
  int kind;
  char *text;      /* the line as read (not a rule) */
  char *type, *path;
  char *ctl;       /* a simple control, or NULL */
  ModArgv ctl_list; /* a bracketed control's items, when ctl is NULL */
  ModArgv args;
  int prev, next;
} PLine;

typedef struct Pam {
  PLine *v;
  int n, cap;
  int head, tail;
  ModRe *rule_re, *arg_re;
  char *err; /* a failure the module would raise (malloc'd) */
} Pam;

static const char *const VALID_TYPES[] = {"account", "-account", "auth", "-auth",
                                          "password", "-password", "session", "-session", NULL};
static const char *const SIMPLE_CONTROLS[] = {"required", "requisite", "sufficient", "optional",
                                              "include", "substack", "definitive", NULL};
static const char *const CONTROL_VALUES[] = {
    "success", "open_err", "symbol_err", "service_err", "system_err", "buf_err", "perm_denied", "auth_err",
    "cred_insufficient", "authinfo_unavail", "user_unknown", "maxtries", "new_authtok_reqd", "acct_expired",
    "session_err", "cred_unavail", "cred_expired", "cred_err", "no_module_data", "conv_err", "authtok_err",
    "authtok_recover_err", "authtok_lock_busy", "authtok_disable_aging", "try_again", "ignore", "abort",
    "authtok_expired", "module_unknown", "bad_item", "conv_again", "incomplete", "default", NULL};
static const char *const CONTROL_ACTIONS[] = {"ignore", "bad", "die", "ok", "done", "reset", NULL};

static bool in_list(const char *const *l, const char *s) {
  for (; *l; l++)
    if (strcmp(*l, s) == 0)
      return true;
  return false;
}

/* ---- rules ------------------------------------------------------------------ */

/* parse_module_arguments on one string: RULE_ARG_REGEX.findall, empties
 * dropped (its re_clear_spaces.sub result is never used). */
static void parse_arg_text(Pam *p, const char *s, ModArgv *out) {
  size_t pos = 0, len = strlen(s), b, e;
  bool after_empty = false;
  ModReMatch m;
  while (mod_re_next(p->arg_re, s, len, &pos, &after_empty, &m))
    if (mod_re_group(&m, 1, &b, &e) && e > b) {
      char *w = rt_xstrndup(s + b, e - b);
      mod_argv_add(out, w);
      free(w);
    }
}

/* parse_module_arguments on a list (the rule_args setter, the module's
 * module_arguments): each element's findall, in order. */
static void parse_args_argv(Pam *p, const ModArgv *in, ModArgv *out) {
  if (in->n == 1 && !*in->v[0])
    return;
  for (size_t i = 0; i < in->n; i++)
    parse_arg_text(p, in->v[i], out);
}

static void argv_copy(const ModArgv *in, ModArgv *out) {
  for (size_t i = 0; i < in->n; i++)
    mod_argv_add(out, in->v[i]);
}

static bool argv_eq(const ModArgv *a, const ModArgv *b) {
  if (a->n != b->n)
    return false;
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->v[i], b->v[i]) != 0)
      return false;
  return true;
}

static void argv_clear(ModArgv *a) {
  mod_argv_free(a);
  memset(a, 0, sizeof *a);
}

/* The rule_control setter: "[a = b c=d]" becomes its items ("a=b", "c=d"). */
static void set_control(PLine *l, const char *control) {
  free(l->ctl);
  l->ctl = NULL;
  argv_clear(&l->ctl_list);
  if (control[0] != '[') {
    l->ctl = rt_xstrdup(control);
    return;
  }
  RtBuf b = {0};
  for (const char *c = control; *c; c++) {
    if (strncmp(c, " = ", 3) == 0) {
      rt_buf_putc(&b, '=');
      c += 2;
    } else if (*c != '[' && *c != ']') {
      rt_buf_putc(&b, *c);
    }
  }
  const char *s = b.data ? b.data : "";
  for (;;) { /* str.split(' ') */
    const char *sp = strchr(s, ' ');
    char *w = rt_xstrndup(s, sp ? (size_t)(sp - s) : strlen(s));
    mod_argv_add(&l->ctl_list, w);
    free(w);
    if (!sp)
      break;
    s = sp + 1;
  }
  rt_buf_free(&b);
}

/* The rule_control getter (malloc'd). */
static char *get_control(const PLine *l) {
  if (l->ctl)
    return rt_xstrdup(l->ctl);
  RtBuf b = {0};
  rt_buf_putc(&b, '[');
  for (size_t i = 0; i < l->ctl_list.n; i++)
    rt_buf_printf(&b, "%s%s", i ? " " : "", l->ctl_list.v[i]);
  rt_buf_putc(&b, ']');
  return rt_buf_take(&b);
}

/* str(line) (malloc'd): a rule as '{0: <11}{1} {2} {3}'. */
static char *line_text(const PLine *l) {
  if (l->kind != PL_RULE)
    return rt_xstrdup(l->text);
  RtBuf b = {0};
  char *ctl = get_control(l);
  rt_buf_printf(&b, "%-11s%s %s", l->type, ctl, l->path);
  for (size_t i = 0; i < l->args.n; i++)
    rt_buf_printf(&b, " %s", l->args.v[i]);
  free(ctl);
  return rt_buf_take(&b);
}

static bool rule_matches(const PLine *l, const char *type, const char *control, const char *path) {
  if (l->kind != PL_RULE)
    return false;
  char *ctl = get_control(l);
  bool m = strcmp(type, l->type) == 0 && strcmp(control, ctl) == 0 && strcmp(path, l->path) == 0;
  free(ctl);
  return m;
}

static int add_line(Pam *p, int kind) {
  if (p->n == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 16;
    p->v = rt_xrealloc(p->v, sizeof *p->v * (size_t)p->cap);
  }
  PLine *l = &p->v[p->n];
  memset(l, 0, sizeof *l);
  l->kind = kind;
  l->prev = l->next = NIL;
  return p->n++;
}

/* PamdRule(type, control, path, args): args a list for the setter. */
static int new_rule(Pam *p, const char *type, const char *control, const char *path, const ModArgv *args) {
  int i = add_line(p, PL_RULE);
  PLine *l = &p->v[i];
  l->type = rt_xstrdup(type);
  l->path = rt_xstrdup(path);
  set_control(l, control);
  if (args)
    parse_args_argv(p, args, &l->args);
  return i;
}

static void append(Pam *p, int i) {
  if (p->head == NIL) {
    p->head = p->tail = i;
  } else {
    p->v[i].prev = p->tail;
    p->v[i].next = NIL;
    p->v[p->tail].next = i;
    p->tail = i;
  }
}

/* PamdService(content): false (p->err set) when a line is not a rule the
 * module's regular expression reads. */
static bool parse_service(Pam *p, const char *content, size_t len) {
  RtValue *lines = mod_lines(content, len);
  for (size_t k = 0; k < rt_len(lines); k++) {
    const char *s = rt_list_at(lines, k)->u.str.s, *ls = s;
    while (*ls && strchr(" \t\n\r\v\f", *ls))
      ls++;
    int i;
    if (*ls == '#' || strncmp(ls, "@include", 8) == 0 || !*ls) {
      i = add_line(p, *ls == '#' ? PL_COMMENT : *ls ? PL_INCLUDE : PL_EMPTY);
      p->v[i].text = rt_xstrdup(s);
    } else {
      ModReMatch m;
      size_t tb, te, cb, ce, pb, pe, ab, ae;
      if (!mod_re_search(p->rule_re, s, strlen(s), 0, false, &m)) {
        p->err = rt_xstrdup("'NoneType' object has no attribute 'group'");
        rt_decref(lines);
        return false;
      }
      mod_re_named(p->rule_re, &m, "rule_type", &tb, &te);
      mod_re_named(p->rule_re, &m, "control", &cb, &ce);
      mod_re_named(p->rule_re, &m, "path", &pb, &pe);
      mod_re_named(p->rule_re, &m, "args", &ab, &ae);
      char *type = rt_xstrndup(s + tb, te - tb), *ctl = rt_xstrndup(s + cb, ce - cb);
      char *path = rt_xstrndup(s + pb, pe - pb), *args = rt_xstrndup(s + ab, ae - ab);
      ModArgv a = {0};
      parse_arg_text(p, args, &a);
      i = new_rule(p, type, ctl, path, &a);
      mod_argv_free(&a);
      free(type);
      free(ctl);
      free(path);
      free(args);
    }
    append(p, i);
  }
  rt_decref(lines);
  return true;
}

/* ---- the operations, as PamdService's methods ------------------------------------ */

/* get(): the matching rules, in order (a malloc'd array, *n of them). */
static int *get_rules(Pam *p, const char *type, const char *control, const char *path, int *n) {
  int *out = rt_xmalloc(sizeof *out * (size_t)(p->n + 1));
  *n = 0;
  for (int i = p->head; i != NIL; i = p->v[i].next)
    if (rule_matches(&p->v[i], type, control, path))
      out[(*n)++] = i;
  return out;
}

static int op_remove(Pam *p, const char *type, const char *control, const char *path) {
  int changed = 0;
  for (int i = p->head; i != NIL; i = p->v[i].next) {
    PLine *l = &p->v[i];
    if (!rule_matches(l, type, control, path))
      continue;
    if (l->prev != NIL) {
      p->v[l->prev].next = l->next;
      if (l->next != NIL)
        p->v[l->next].prev = l->prev;
    } else {
      p->head = l->next;
      if (l->next == NIL) { /* current_line.next.prev: the module fails on None */
        p->err = rt_xstrdup("'NoneType' object has no attribute 'prev'");
        return changed;
      }
      p->v[l->next].prev = NIL;
    }
    changed++;
  }
  return changed;
}

static int op_update(Pam *p, const char *type, const char *control, const char *path, const char *new_type,
                     const char *new_control, const char *new_path, const ModArgv *new_args) {
  int n, changes = 0;
  int *rules = get_rules(p, type, control, path, &n);
  ModArgv parsed = {0}; /* parse_module_arguments(new_args, return_none=True) */
  if (new_args)
    parse_args_argv(p, new_args, &parsed);
  for (int k = 0; k < n; k++) {
    PLine *l = &p->v[rules[k]];
    bool changed = false;
    if (new_type && *new_type && strcmp(l->type, new_type) != 0) {
      changed = true;
      free(l->type);
      l->type = rt_xstrdup(new_type);
    }
    if (new_control && *new_control) {
      char *ctl = get_control(l);
      if (strcmp(ctl, new_control) != 0) {
        changed = true;
        set_control(l, new_control);
      }
      free(ctl);
    }
    if (new_path && *new_path && strcmp(l->path, new_path) != 0) {
      changed = true;
      free(l->path);
      l->path = rt_xstrdup(new_path);
    }
    if (new_args && !argv_eq(&l->args, &parsed)) {
      changed = true;
      argv_clear(&l->args);
      argv_copy(&parsed, &l->args);
    }
    changes += changed;
  }
  mod_argv_free(&parsed);
  free(rules);
  return changes;
}

static bool skippable(const PLine *l) { return l->kind == PL_COMMENT || l->kind == PL_EMPTY; }

static int op_before(Pam *p, const char *type, const char *control, const char *path, const char *nt,
                     const char *nc, const char *np, const ModArgv *na) {
  int n, changes = 0;
  int *rules = get_rules(p, type, control, path, &n);
  for (int k = 0; k < n; k++) {
    int cur = rules[k], nr = new_rule(p, nt, nc, np, na);
    int prev = p->v[cur].prev;
    while (prev != NIL && skippable(&p->v[prev]))
      prev = p->v[prev].prev;
    if (prev != NIL && !rule_matches(&p->v[prev], nt, nc, np)) {
      p->v[prev].next = nr; /* what lay between the two rules is dropped */
      p->v[nr].prev = prev;
      p->v[nr].next = cur;
      p->v[cur].prev = nr;
      changes++;
    } else if (prev == NIL) {
      if (p->v[cur].prev == NIL)
        p->head = nr;
      else
        p->v[p->v[cur].prev].next = nr;
      p->v[nr].prev = p->v[cur].prev;
      p->v[nr].next = cur;
      p->v[cur].prev = nr;
      changes++;
    }
  }
  free(rules);
  return changes;
}

static int op_after(Pam *p, const char *type, const char *control, const char *path, const char *nt,
                    const char *nc, const char *np, const ModArgv *na) {
  int n, changes = 0;
  int *rules = get_rules(p, type, control, path, &n);
  for (int k = 0; k < n; k++) {
    int cur = rules[k];
    int next = p->v[cur].next;
    while (next != NIL && skippable(&p->v[next]))
      next = p->v[next].next;
    int nr = new_rule(p, nt, nc, np, na);
    if (next != NIL && !rule_matches(&p->v[next], nt, nc, np)) {
      p->v[next].prev = nr;
      p->v[nr].next = next;
      p->v[nr].prev = cur;
      p->v[cur].next = nr;
      changes++;
    } else if (next == NIL) {
      p->v[nr].prev = p->tail;
      p->v[nr].next = NIL;
      p->v[p->tail].next = nr;
      p->tail = nr;
      p->v[cur].next = nr;
      changes++;
    }
  }
  free(rules);
  return changes;
}

/* "key=value" split as arg.split("="): false when it has more than one '='
 * (the module's unpacking fails). */
static bool split_kv(const char *arg, char **key, const char **value) {
  const char *eq = strchr(arg, '=');
  *key = NULL;
  *value = NULL;
  if (!eq || strchr(eq + 1, '='))
    return false;
  *key = rt_xstrndup(arg, (size_t)(eq - arg));
  *value = eq + 1;
  return true;
}

/* The value of key `key` among the key=value args (the last one), or NULL. */
static const char *kv_get(const ModArgv *a, const char *key) {
  const char *v = NULL;
  size_t kl = strlen(key);
  for (size_t i = 0; i < a->n; i++)
    if (a->v[i][0] != '[' && strncmp(a->v[i], key, kl) == 0 && a->v[i][kl] == '=')
      v = a->v[i] + kl + 1;
  return v;
}

static bool has_word(const ModArgv *a, const char *w) {
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->v[i], w) == 0)
      return true;
  return false;
}

/* Checks every key=value arg of `a` splits as the module splits it. */
static bool kv_ok(Pam *p, const ModArgv *a) {
  for (size_t i = 0; i < a->n; i++) {
    char *k;
    const char *v;
    if (a->v[i][0] == '[' || !strchr(a->v[i], '='))
      continue;
    if (!split_kv(a->v[i], &k, &v)) {
      p->err = rt_xstrdup("too many values to unpack (expected 2)");
      return false;
    }
    free(k);
  }
  return true;
}

static int op_args_present(Pam *p, const char *type, const char *control, const char *path, const ModArgv *add) {
  int n, changes = 0;
  int *rules = get_rules(p, type, control, path, &n);
  ModArgv want = {0};
  parse_args_argv(p, add, &want);
  for (int k = 0; k < n && !p->err; k++) {
    PLine *l = &p->v[rules[k]];
    if (!kv_ok(p, &want) || !kv_ok(p, &l->args))
      break;
    bool changed = false;
    ModArgv plus = {0}; /* simple ones, then key=value ones (the module's set order is its hash's) */
    for (int pass = 0; pass < 2; pass++)
      for (size_t i = 0; i < want.n; i++) {
        const char *w = want.v[i];
        bool kv = strchr(w, '=') != NULL;
        if (w[0] == '[' || kv != (pass == 1) || has_word(&plus, w))
          continue;
        if (!kv && !has_word(&l->args, w)) {
          if (!has_word(&plus, w))
            mod_argv_add(&plus, w);
        } else if (kv) {
          char *key;
          const char *val;
          if (!split_kv(w, &key, &val))
            continue;
          bool later = false; /* the dict keeps the last value given for a key */
          for (size_t j = i + 1; j < want.n; j++) {
            char *k2;
            const char *v2;
            if (want.v[j][0] != '[' && strchr(want.v[j], '=') && split_kv(want.v[j], &k2, &v2)) {
              later |= strcmp(k2, key) == 0;
              free(k2);
            }
          }
          if (!later && !kv_get(&l->args, key))
            mod_argv_add(&plus, w);
          free(key);
        }
      }
    if (plus.n) {
      argv_copy(&plus, &l->args);
      changed = true;
    }
    mod_argv_free(&plus);
    /* keys present with another value: the first "key=current" replaced */
    for (size_t i = 0; i < want.n; i++) {
      const char *w = want.v[i], *val, *cur;
      char *key;
      if (w[0] == '[' || !strchr(w, '=') || !split_kv(w, &key, &val))
        continue;
      const char *last = kv_get(&want, key);
      if (last == val && (cur = kv_get(&l->args, key)) && strcmp(cur, val) != 0) {
        char *old = rt_xasprintf("%s=%s", key, cur);
        for (size_t j = 0; j < l->args.n; j++)
          if (strcmp(l->args.v[j], old) == 0) {
            free(l->args.v[j]);
            l->args.v[j] = rt_xstrdup(w);
            break;
          }
        free(old);
        changed = true;
      }
      free(key);
    }
    changes += changed;
  }
  mod_argv_free(&want);
  free(rules);
  return changes;
}

static int op_args_absent(Pam *p, const char *type, const char *control, const char *path, const ModArgv *rm) {
  int n, changes = 0;
  int *rules = get_rules(p, type, control, path, &n);
  ModArgv drop = {0};
  parse_args_argv(p, rm, &drop);
  for (int k = 0; k < n; k++) {
    PLine *l = &p->v[rules[k]];
    bool any = false;
    for (size_t i = 0; i < l->args.n; i++)
      any |= has_word(&drop, l->args.v[i]);
    if (!any)
      continue;
    ModArgv keep = {0};
    for (size_t i = 0; i < l->args.n; i++)
      if (!has_word(&drop, l->args.v[i]))
        mod_argv_add(&keep, l->args.v[i]);
    mod_argv_free(&l->args);
    l->args = keep;
    changes++;
  }
  mod_argv_free(&drop);
  free(rules);
  return changes;
}

/* ---- validation and rendering ---------------------------------------------------- */

/* PamdService.validate: NULL, or the first failing line's message (malloc'd). */
static char *validate(Pam *p) {
  for (int i = p->head; i != NIL; i = p->v[i].next) {
    PLine *l = &p->v[i];
    char *line = line_text(l), *msg = NULL;
    if (l->kind == PL_COMMENT && l->text[0] != '#')
      msg = rt_xasprintf("Rule is not valid %s", line);
    else if (l->kind == PL_INCLUDE && strncmp(l->text, "@include", 8) != 0)
      msg = rt_xasprintf("Rule is not valid %s", line);
    else if (l->kind == PL_RULE && !in_list(VALID_TYPES, l->type))
      msg = rt_xasprintf("Rule type, %s, is not valid in rule %s", l->type, line);
    else if (l->kind == PL_RULE && l->ctl && !in_list(SIMPLE_CONTROLS, l->ctl))
      msg = rt_xasprintf("Rule control, %s, is not valid in rule %s", l->ctl, line);
    for (size_t k = 0; !msg && l->kind == PL_RULE && !l->ctl && k < l->ctl_list.n; k++) {
      const char *c = l->ctl_list.v[k], *eq = strchr(c, '=');
      if (!eq || strchr(eq + 1, '=')) { /* control.split("=") does not unpack: the module fails */
        p->err = rt_xstrdup(!eq ? "not enough values to unpack (expected 2, got 1)"
                                : "too many values to unpack (expected 2)");
        free(line);
        return NULL;
      }
      char *value = rt_xstrndup(c, (size_t)(eq - c));
      long long num;
      if (!in_list(CONTROL_VALUES, value))
        msg = rt_xasprintf("Rule control value, %s, is not valid in rule %s", value, line);
      else if (!in_list(CONTROL_ACTIONS, eq + 1) && !(mod_py_int(eq + 1, &num) && num >= 0))
        msg = rt_xasprintf("Rule control action, %s, is not valid in rule %s", eq + 1, line);
      free(value);
    }
    free(line);
    if (msg)
      return msg;
  }
  return NULL;
}

/* str(service): the lines, "# Updated by Ansible - <now>" as the second. */
static void render(Pam *p, RtBuf *out) {
  ModArgv lines = {0};
  for (int i = p->head; i != NIL; i = p->v[i].next) {
    char *t = line_text(&p->v[i]);
    mod_argv_add(&lines, t);
    free(t);
  }
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char stamp[64], mark[128];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  if (tv.tv_usec) /* isoformat() leaves out a zero microsecond */
    snprintf(mark, sizeof mark, "# Updated by Ansible - %s.%06ld", stamp, (long)tv.tv_usec);
  else
    snprintf(mark, sizeof mark, "# Updated by Ansible - %s", stamp);
  for (size_t i = 0; i < lines.n; i++) {
    if (i == 1 && strncmp(lines.v[1], "# Updated by Ansible", 20) == 0) {
      rt_buf_printf(out, "%s\n", mark);
      continue;
    }
    if (i == 1 || (lines.n <= 1 && i == 0)) {
      if (lines.n <= 1)
        rt_buf_puts(out, "\n");
      rt_buf_printf(out, "%s\n", mark);
    }
    rt_buf_printf(out, "%s\n", lines.v[i]);
  }
  if (lines.n == 0)
    rt_buf_printf(out, "\n%s\n", mark);
  mod_argv_free(&lines);
}

static void pam_free(Pam *p) {
  for (int i = 0; i < p->n; i++) {
    PLine *l = &p->v[i];
    free(l->text);
    free(l->type);
    free(l->path);
    free(l->ctl);
    mod_argv_free(&l->ctl_list);
    mod_argv_free(&l->args);
  }
  free(p->v);
  mod_re_free(p->rule_re);
  mod_re_free(p->arg_re);
  free(p->err);
}

/* ---- the module --------------------------------------------------------------------- */

static const char RULE_REGEX[] = "(?P<rule_type>-?(?:auth|account|session|password))\\s+\n"
                                 "                        (?P<control>\\[.*\\]|\\S*)\\s+\n"
                                 "                        (?P<path>\\S*)\\s*\n"
                                 "                        (?P<args>.*)\\s*";

static void list_argv(RtValue *l, ModArgv *out) {
  for (size_t i = 0; l && i < rt_len(l); i++)
    mod_argv_add(out, rt_list_at(l, i)->u.str.s);
}

RtValue *mod_pamd(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *type = mod_arg_str(args, "type"), *control = mod_arg_str(args, "control");
  char *mpath = mod_arg_str(args, "module_path"), *nt = mod_arg_str(args, "new_type");
  char *nc = mod_arg_str(args, "new_control"), *np = mod_arg_str(args, "new_module_path");
  char *state = mod_arg_str(args, "state"), *dir = mod_arg_str(args, "path");
  RtValue *margs = mod_arg_list(args, "module_arguments"), *r = NULL;
  ModArgv ma = {0};
  list_argv(margs, &ma);
  Pam p = {.head = NIL, .tail = NIL};
  char *err = NULL;
  p.rule_re = mod_re_compile(RULE_REGEX, strlen(RULE_REGEX), MOD_RE_VERBOSE, true, &err);
  static const char ARG_REGEX[] = "(\\[.*\\]|\\S*)";
  p.arg_re = mod_re_compile(ARG_REGEX, strlen(ARG_REGEX), 0, true, &err);
  if (!name || !type || !control || !mpath) { /* required, but a templated value may be None */
    r = mod_fail_result("missing required arguments: name, type, control, module_path");
    goto early;
  }
  if (!state)
    state = rt_xstrdup("updated");
  if (!dir)
    dir = rt_xstrdup("/etc/pam.d");
  /* os.path.join(path, name) */
  char *fname = name[0] == '/' || !*dir ? rt_xstrdup(name)
                : dir[strlen(dir) - 1] == '/' ? rt_xasprintf("%s%s", dir, name)
                                              : rt_xasprintf("%s/%s", dir, name);
  ModEdit e;
  mod_edit_init(&e, h, args);
  if (!p.rule_re || !p.arg_re) {
    r = mod_fail_result("%s", err);
    goto done;
  }
  if (mod_edit_read(h, &e, fname, &r) < 0 || r)
    goto done;
  if (e.kind == MOD_EDIT_ABSENT || e.kind == MOD_EDIT_DIR || e.unreadable) {
    const char *why = e.kind == MOD_EDIT_ABSENT ? "[Errno 2] No such file or directory"
                      : e.kind == MOD_EDIT_DIR  ? "[Errno 21] Is a directory"
                                                : "[Errno 13] Permission denied";
    r = mod_fail_result("Unable to open/read PAM module file %s with error %s: '%s'.", e.path, why, e.path);
    goto done;
  }
  int changes = 0;
  if (parse_service(&p, e.data.data ? e.data.data : "", e.data.len)) {
    if (!strcmp(state, "updated")) {
      changes = op_update(&p, type, control, mpath, nt, nc, np, margs ? &ma : NULL);
    } else if (!strcmp(state, "before")) {
      changes = op_before(&p, type, control, mpath, nt, nc, np, margs ? &ma : NULL);
    } else if (!strcmp(state, "after")) {
      changes = op_after(&p, type, control, mpath, nt, nc, np, margs ? &ma : NULL);
    } else if (!strcmp(state, "args_absent")) {
      changes = op_args_absent(&p, type, control, mpath, &ma);
    } else if (!strcmp(state, "args_present")) {
      ModArgv parsed = {0};
      parse_args_argv(&p, &ma, &parsed);
      bool bracket = false;
      for (size_t i = 0; i < parsed.n; i++)
        bracket |= parsed.v[i][0] == '[';
      mod_argv_free(&parsed);
      if (bracket) {
        r = mod_fail_result("Unable to process bracketed '[' complex arguments with 'args_present'. "
                            "Please use 'updated'.");
        goto done;
      }
      changes = op_args_present(&p, type, control, mpath, &ma);
    } else if (!strcmp(state, "absent")) {
      changes = op_remove(&p, type, control, mpath);
    }
  }
  if (p.err) { /* an exception the module raises: it fails without a message of its own */
    r = mod_fail_result("MODULE FAILURE\nSee stdout/stderr for the exact error");
    rt_dict_set(r, "rc", rt_int(1));
    rt_dict_set(r, "module_stderr", rt_strz(p.err));
    goto done;
  }
  char *bad = validate(&p);
  if (!bad && p.err) {
    r = mod_fail_result("MODULE FAILURE\nSee stdout/stderr for the exact error");
    rt_dict_set(r, "rc", rt_int(1));
    rt_dict_set(r, "module_stderr", rt_strz(p.err));
    goto done;
  }
  if (bad) {
    r = mod_fail_result("%s", bad);
    free(bad);
    goto done;
  }
  char *backup_file = NULL;
  if (changes > 0) {
    RtBuf text = {0};
    render(&p, &text);
    bool attrs_changed;
    r = mod_edit_write(h, &e, text.data, text.len, true, true, NULL, &attrs_changed, &backup_file);
    rt_buf_free(&text);
    if (r || rt_host_lost(h)) {
      free(backup_file);
      goto done;
    }
  }
  r = rt_dict_new(3);
  rt_dict_set(r, "changed", rt_bool(changes > 0));
  rt_dict_set(r, "change_count", rt_int(changes));
  rt_dict_set(r, "backupdest", backup_file ? rt_str_take(backup_file, strlen(backup_file)) : rt_strz(""));
done:
  mod_edit_free(&e);
  free(fname);
early:
  pam_free(&p);
  mod_argv_free(&ma);
  rt_decref(margs);
  free(err);
  free(name);
  free(type);
  free(control);
  free(mpath);
  free(nt);
  free(nc);
  free(np);
  free(state);
  free(dir);
  return r;
}

#endif
