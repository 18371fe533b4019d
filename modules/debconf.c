/*
 * debconf.c — the debconf module: a package's answers as `debconf-show`
 * lists them (parsed here by Ansible's rules: "[*] key: value" lines, the
 * key stripped of '*' and spaces), compared with the wanted answer
 * (booleans compared lowercased, as Ansible), and, when it differs, set with
 * `debconf-set-selections [-u]` ("NAME QUESTION VTYPE VALUE" on its stdin).
 * One request reads, a second sets when needed (none in check mode).
 * Results as Ansible's: changed, msg, current, previous and, with --diff,
 * diff {before, after}.
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam debconf_params[] = {
    {.name = "name", .type = MP_STR, .required = true, .aliases = "pkg"},
    {.name = "question", .type = MP_STR, .aliases = "selection,setting"},
    {.name = "vtype", .type = MP_STR,
     .choices = "boolean,error,multiselect,note,password,seen,select,string,text,title"},
    {.name = "value", .type = MP_STR, .aliases = "answer"},
    {.name = "unseen", .type = MP_BOOL, .def = "no"},
};
const ModSchema mod_schema_debconf = {
    .name = "debconf",
    .params = debconf_params,
    .nparams = MOD_N(debconf_params),
    .together = "question,vtype,value",
    .tools = "debconf-show,debconf-set-selections",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

/* Python's str.strip() of [s, e), as a new string. */
static char *py_strip(const char *s, const char *e, const char *chars) {
  while (s < e && strchr(chars, *s))
    s++;
  while (e > s && strchr(chars, e[-1]))
    e--;
  return rt_xstrndup(s, (size_t)(e - s));
}

/* get_selections: {key: value} from debconf-show's output; NULL when a line
 * has no ':' (Ansible's unpacking raises there). */
static RtValue *parse_selections(const char *out) {
  static const char ws[] = " \t\n\r\f\v";
  RtValue *d = rt_dict_new(8);
  RtValue *lines = mod_lines(out, strlen(out));
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = rt_list_at(lines, i)->u.str.s, *colon = strchr(l, ':');
    if (!colon) {
      rt_decref(lines);
      rt_decref(d);
      return NULL;
    }
    char *k0 = py_strip(l, colon, "*"), *k = py_strip(k0, k0 + strlen(k0), ws);
    char *v = py_strip(colon + 1, colon + 1 + strlen(colon + 1), ws);
    rt_dict_set(d, k, rt_str_take(v, strlen(v)));
    free(k0);
    free(k);
  }
  rt_decref(lines);
  return d;
}

static char *lower(const char *s) {
  char *l = rt_xstrdup(s);
  for (char *p = l; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return l;
}

/* Request 1: the tools, then debconf-show NAME. */
static void show_script(RtBuf *s, const char *name) {
  mod_ps_sh_begin(s);
  mod_ps_sh_need(s, "show", "debconf-show");
  mod_sh_set(s, "n", name);
  rt_buf_puts(s, "pc_cap show \"$show\" -- \"$n\"\n");
}

/* Request 2: debconf-set-selections [-u] with the line on stdin. */
static void set_script(RtBuf *s, const char *line, bool unseen) {
  mod_ps_sh_begin(s);
  mod_ps_sh_need(s, "sel", "debconf-set-selections");
  mod_sh_set(s, "l", line);
  rt_buf_printf(s, "pc_capin set \"$l\" \"$sel\"%s\n", unseen ? " -u" : "");
}

/* Runs a request; NULL result and false when the host was lost. */
static bool exec_ok(RtHost *h, RtBuf *s, RtExec *ex) {
  char *err = NULL;
  int rc = rt_host_exec(h, s->data, NULL, 0, ex, &err);
  free(err);
  rt_buf_free(s);
  return rc == 0;
}

RtValue *mod_debconf(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *question = mod_arg_str(args, "question");
  char *vtype = mod_arg_str(args, "vtype"), *value = mod_arg_str(args, "value");
  bool unseen = mod_arg_bool(args, "unseen", 0) == 1;
  RtValue *r = NULL, *prev = NULL;
  RtBuf s = {0};
  RtExec ex;
  ModCap show = {0}, set = {0};
  show_script(&s, name ? name : "");
  if (!exec_ok(h, &s, &ex))
    goto done;
  if ((r = mod_ps_missing(&ex)) != NULL || !mod_ps_cap(&ex, "show", &show)) {
    if (!r)
      r = mod_fail_result("debconf-show did not run: %s", ex.err.data);
    rt_exec_free(&ex);
    goto done;
  }
  rt_exec_free(&ex);
  if (show.rc != 0) {
    r = mod_fail_result("%s", show.err);
    goto done;
  }
  if (!(prev = parse_selections(show.out))) {
    r = mod_fail_result("not enough values to unpack (expected 2, got 1)");
    goto done;
  }
  bool changed = false;
  if (question) {
    if (!vtype || !value) {
      r = mod_fail_result("when supplying a question you must supply a valid vtype and value");
      goto done;
    }
    RtValue *cur = rt_dict_get(prev, question);
    if (!cur) {
      changed = true;
    } else if (strcmp(vtype, "boolean") == 0) {
      char *a = lower(value), *b = lower(cur->u.str.s);
      changed = strcmp(a, b) != 0;
      free(value);
      value = a; /* Ansible goes on with the lowercased value */
      free(b);
    } else {
      changed = strcmp(value, cur->u.str.s) != 0;
    }
  }
  if (!changed) {
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "msg", rt_strz(""));
    rt_dict_set(r, "current", rt_incref(prev));
    goto done;
  }
  const char *msg = "";
  if (!h->check_mode) {
    const char *v = value;
    if (strcmp(vtype, "boolean") == 0 && strcmp(v, "True") == 0)
      v = "true";
    else if (strcmp(vtype, "boolean") == 0 && strcmp(v, "False") == 0)
      v = "false";
    char *line = rt_xasprintf("%s %s %s %s\n", name, question, vtype, v); /* run_command adds '\n' */
    set_script(&s, line, unseen);
    free(line);
    if (!exec_ok(h, &s, &ex))
      goto done;
    if ((r = mod_ps_missing(&ex)) != NULL || !mod_ps_cap(&ex, "set", &set)) {
      if (!r)
        r = mod_fail_result("debconf-set-selections did not run: %s", ex.err.data);
      rt_exec_free(&ex);
      goto done;
    }
    rt_exec_free(&ex);
    if (set.rc != 0) {
      r = mod_fail_result("%s", set.err);
      goto done;
    }
    msg = set.out;
  }
  RtValue *curr = rt_dict_new(1), *previous;
  rt_dict_set(curr, question, rt_strz(value));
  RtValue *old = rt_dict_get(prev, question);
  if (old) {
    previous = rt_dict_new(1);
    rt_dict_set(previous, question, rt_incref(old));
  } else { /* Ansible adds the question to everything it read */
    previous = rt_dict_copy(prev);
    rt_dict_set(previous, question, rt_strz(""));
  }
  r = rt_dict_new(6);
  rt_dict_set(r, "changed", rt_bool(true));
  rt_dict_set(r, "msg", rt_strz(msg));
  rt_dict_set(r, "current", curr);
  RtValue *diff = rt_dict_new(2);
  if (h->run->opt.diff) {
    RtValue *after = rt_dict_copy(previous);
    rt_dict_set(after, question, rt_strz(value));
    rt_dict_set(diff, "before", rt_incref(previous));
    rt_dict_set(diff, "after", after);
  }
  rt_dict_set(r, "previous", previous);
  rt_dict_set(r, "diff", diff);
done:
  rt_decref(prev);
  mod_ps_cap_free(&show);
  mod_ps_cap_free(&set);
  free(name);
  free(question);
  free(vtype);
  free(value);
  return r;
}

#endif
