/*
 * alternatives.c — community.general.alternatives with the target's
 * update-alternatives. Request 1 finds the tool, expands `path` and `link`
 * (type=path) and reads `update-alternatives --display NAME` (LC_ALL=C);
 * the controller parses that text with the module's regular expressions
 * (pyre.c) and decides as the module does: --install when the path is not
 * an alternative yet or its priority or subcommands differ, --set for
 * `selected`, --auto for `auto` in manual mode, --remove for `absent`.
 * Request 2, only when something changes outside check mode, runs those
 * commands; one that fails fails the task as run_command(check_rc=True).
 */
#include "mod.h"

static const ModParam alt_sub_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "path", .type = MP_PATH, .required = true},
    {.name = "link", .type = MP_PATH, .required = true},
};
static const ModParam alt_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "path", .type = MP_PATH, .required = true},
    {.name = "link", .type = MP_PATH},
    {.name = "priority", .type = MP_INT},
    {.name = "state", .type = MP_STR, .choices = "present,selected,auto,absent", .def = "selected"},
    {.name = "subcommands", .type = MP_LIST, .aliases = "slaves", .elements = MP_DICT, .options = alt_sub_params,
     .noptions = MOD_N(alt_sub_params)},
};
const ModSchema mod_schema_alternatives = {
    .name = "alternatives",
    .params = alt_params,
    .nparams = MOD_N(alt_params),
    .tools = "update-alternatives",
    .check_mode = true,
    .diff_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* What parse() finds in --display's text. */
typedef struct AltState {
  char *mode, *cur_path, *cur_link; /* NULL: not found */
  RtValue *alts;                    /* {path: {priority, subcommands}} */
} AltState;

/* Group g of the last match as a new str value. */
static RtValue *group_str(const char *s, const ModReMatch *m, int g) {
  size_t b, e;
  if (!mod_re_group(m, g, &b, &e))
    return rt_strz("");
  return rt_str(s + b, e - b);
}

static char *group_dup(const char *s, const ModReMatch *m, int g) {
  size_t b, e;
  if (!mod_re_group(m, g, &b, &e))
    return rt_xstrdup("");
  return rt_xstrndup(s + b, e - b);
}

static ModRe *re(const char *pat) {
  char *err = NULL;
  ModRe *r = mod_re_compile(pat, strlen(pat), MOD_RE_MULTILINE, true, &err);
  free(err);
  return r;
}

/* The first match of `pat`'s group 1 in `s`, or NULL. */
static char *search1(const char *pat, const char *s) {
  ModRe *r = re(pat);
  ModReMatch m;
  char *v = r && mod_re_search(r, s, strlen(s), 0, false, &m) ? group_dup(s, &m, 1) : NULL;
  mod_re_free(r);
  return v;
}

/* parse(): `given` is the subcommands argument (for links --display
 * does not name), or NULL. */
static void alt_parse(AltState *st, const char *out, const RtValue *given) {
  st->alts = rt_dict_new(4);
  st->mode = search1("\\s-\\s(?:status\\sis\\s)?(\\w*)(?:\\smode|.)$", out);
  if (!st->mode)
    return;
  st->cur_path = search1("^\\s*link currently points to (.*)$", out);
  st->cur_link = search1("^\\s*link \\w+ is (.*)$", out);
  size_t len = strlen(out), pos = 0;
  bool ae = false;
  ModReMatch m;
  RtValue *links = rt_dict_new(4);
  ModRe *r = re("^\\s*(?:slave|follower) (\\S+) is (.*)$");
  while (r && mod_re_next(r, out, len, &pos, &ae, &m)) {
    char *k = group_dup(out, &m, 1);
    rt_dict_set(links, k, group_str(out, &m, 2));
    free(k);
  }
  mod_re_free(r);
  if (!rt_len(links) && given) {
    for (size_t i = 0; i < rt_len(given); i++) {
      RtValue *sc = rt_list_at(given, i), *n = rt_dict_get(sc, "name"), *l = rt_dict_get(sc, "link");
      if (n && rt_kind(n) == RT_STR)
        rt_dict_set(links, n->u.str.s, l ? rt_incref(l) : rt_none());
    }
  }
  r = re("^(\\/.*)\\s-\\s(?:family\\s\\S+\\s)?priority\\s(\\d+)((?:\\s+(?:slave|follower).*)*)");
  ModRe *sr = re("^\\s+(?:slave|follower) (.*): (.*)$");
  pos = 0;
  ae = false;
  while (r && sr && mod_re_next(r, out, len, &pos, &ae, &m)) {
    char *path = group_dup(out, &m, 1), *prio = group_dup(out, &m, 2), *subs = group_dup(out, &m, 3);
    RtValue *a = rt_dict_new(2), *sl = rt_list_new(2);
    rt_dict_set(a, "priority", rt_int(strtoll(prio, NULL, 10)));
    size_t sp = 0, slen = strlen(subs);
    bool sae = false;
    ModReMatch sm;
    while (mod_re_next(sr, subs, slen, &sp, &sae, &sm)) {
      char *sname = group_dup(subs, &sm, 1), *spath = group_dup(subs, &sm, 2);
      if (strcmp(spath, "(null)") != 0) {
        RtValue *d = rt_dict_new(3), *l = rt_dict_get(links, sname);
        rt_dict_set(d, "name", rt_strz(sname));
        rt_dict_set(d, "path", rt_strz(spath));
        rt_dict_set(d, "link", l ? rt_incref(l) : rt_none());
        rt_list_push(sl, d);
      }
      free(sname);
      free(spath);
    }
    rt_dict_set(a, "subcommands", sl);
    rt_dict_set(st->alts, path, a);
    free(path);
    free(prio);
    free(subs);
  }
  mod_re_free(r);
  mod_re_free(sr);
  rt_decref(links);
}

static void alt_state_free(AltState *st) {
  free(st->mode);
  free(st->cur_path);
  free(st->cur_link);
  rt_decref(st->alts);
}

/* all(s in b for s in a) */
static bool all_in(const RtValue *a, const RtValue *b) {
  for (size_t i = 0; i < rt_len(a); i++) {
    bool in = false;
    for (size_t j = 0; j < rt_len(b) && !in; j++)
      in = rt_equal(rt_list_at(a, i), rt_list_at(b, j));
    if (!in)
      return false;
  }
  return true;
}

/* The subcommands argument as the module sees them: name, path, link. */
static RtValue *given_subcommands(RtValue *args) {
  RtValue *v = rt_dict_get(args, "subcommands");
  if (!v || rt_kind(v) != RT_LIST)
    return NULL;
  RtValue *l = rt_list_new(rt_len(v));
  for (size_t i = 0; i < rt_len(v); i++) {
    RtValue *e = rt_list_at(v, i), *d = rt_dict_new(3);
    static const char *const keys[] = {"name", "path", "link"};
    for (int k = 0; k < 3; k++) {
      RtValue *x = rt_kind(e) == RT_DICT ? rt_dict_get(e, keys[k]) : NULL;
      rt_dict_set(d, keys[k], x ? rt_incref(x) : rt_none());
    }
    rt_list_push(l, d);
  }
  return l;
}

/* A str value of malloc'd `m`. */
static RtValue *msg_text(char *m) {
  return rt_str_take(m, strlen(m));
}

/* Script text: `pc_cap KEY "$ua" WORDS...`, ending the script on failure. */
static void sh_cmd(RtBuf *s, const char *key, const ModArgv *a) {
  rt_buf_printf(s, "pc_cap %s \"$ua\"", key);
  for (size_t i = 0; i < a->n; i++) {
    rt_buf_putc(s, ' ');
    mod_py_shlex_quote(s, a->v[i]);
  }
  rt_buf_printf(s, " || { __playc_rec failed %s; exit 0; }\n", key);
}

RtValue *mod_alternatives(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *path_arg = mod_arg_str(args, "path");
  char *link_arg = mod_arg_str(args, "link"), *state = mod_arg_str(args, "state");
  long long prio_arg = 0;
  bool has_prio = mod_arg_int(args, "priority", &prio_arg) == 1;
  if (!state)
    state = rt_xstrdup("selected");
  RtValue *given = given_subcommands(args), *r = NULL, *diff = rt_dict_new(2);
  RtValue *before = rt_dict_new(4), *after = rt_dict_new(4), *msgs = rt_list_new(2);
  RtBuf s = {0};
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  char *err = NULL;
  AltState st = {0};
  ModArgv cmds[3] = {{0}};
  int ncmd = 0;
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, "LC_ALL=C; export LC_ALL\n");
  mod_ps_sh_need(&s, "ua", "update-alternatives");
  rt_buf_puts(&s, "__playc_rec ua \"$ua\"\n");
  mod_sh_set_path(&s, "p", path_arg);
  rt_buf_puts(&s, "__playc_rec p \"$p\"; [ ! -e \"$p\" ] || __playc_rec pex 1\n");
  if (link_arg) {
    mod_sh_set_path(&s, "l", link_arg);
    rt_buf_puts(&s, "__playc_rec l \"$l\"\n");
  }
  mod_sh_set(&s, "n", name);
  rt_buf_puts(&s, "pc_cap d \"$ua\" --display \"$n\"\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  const char *path = mod_rec(&ex, "p"), *link = link_arg ? mod_rec(&ex, "l") : NULL;
  ModCap d = {0};
  mod_ps_cap(&ex, "d", &d);
  if (d.rc == 0)
    alt_parse(&st, d.out ? d.out : "", given);
  else
    st.alts = rt_dict_new(1);
  mod_ps_cap_free(&d);
  RtValue *cur = rt_dict_get(st.alts, path);
  /* the properties: link, priority, subcommands */
  const char *eff_link = link && *link ? link : st.cur_link;
  long long prio = has_prio ? prio_arg : 50;
  if (!has_prio && cur)
    prio = rt_dict_get(cur, "priority")->u.i;
  RtValue *cur_subs = cur ? rt_dict_get(cur, "subcommands") : NULL;
  RtValue *subs = given ? given : (cur_subs && rt_len(cur_subs) ? cur_subs : NULL);
  if (h->diff_mode && st.mode) { /* parse()'s before */
    if (cur) {
      rt_dict_set(before, "state", rt_strz("present"));
      rt_dict_set(before, "path", rt_strz(path));
      rt_dict_set(before, "priority", rt_incref(rt_dict_get(cur, "priority")));
      rt_dict_set(before, "link", st.cur_link ? rt_strz(st.cur_link) : rt_none());
      if (rt_len(cur_subs))
        rt_dict_set(before, "subcommands", rt_incref(cur_subs));
      if (strcmp(st.mode, "manual") == 0 && (!st.cur_path || strcmp(st.cur_path, path) != 0))
        rt_dict_set(before, "state", rt_strz("selected"));
    } else {
      rt_dict_set(before, "state", rt_strz("absent"));
    }
  }
  bool changed = false;
  if (strcmp(state, "absent") != 0) {
    bool install = !cur || (has_prio && rt_dict_get(cur, "priority")->u.i != prio_arg) ||
                   (given && (!all_in(cur_subs, given) || !all_in(given, cur_subs)));
    if (install) {
      if (!mod_rec(&ex, "pex")) {
        r = mod_fail_result("Specified path %s does not exist", path);
        goto done;
      }
      if (!eff_link || !*eff_link) {
        r = mod_fail_result("Needed to install the alternative, but unable to do so as we are missing the link");
        goto done;
      }
      ModArgv *c = &cmds[ncmd++];
      mod_argv_add(c, "--install");
      mod_argv_add(c, eff_link);
      mod_argv_add(c, name);
      mod_argv_add(c, path);
      mod_argv_addf(c, "%lld", prio);
      for (size_t i = 0; given && i < rt_len(subs); i++) {
        RtValue *sc = rt_list_at(subs, i);
        mod_argv_add(c, "--slave");
        static const char *const keys[] = {"link", "name", "path"};
        for (int k = 0; k < 3; k++) {
          RtValue *x = rt_dict_get(sc, keys[k]);
          RtBuf b = {0};
          rt_render_str(&b, x);
          mod_argv_add(c, b.data ? b.data : "");
          rt_buf_free(&b);
        }
      }
      changed = true;
      rt_list_push(msgs, msg_text(rt_xasprintf("Install alternative '%s' for '%s'.", path, name)));
      if (h->diff_mode) {
        rt_dict_set(after, "state", rt_strz("present"));
        rt_dict_set(after, "path", rt_strz(path));
        rt_dict_set(after, "priority", rt_int(prio));
        rt_dict_set(after, "link", rt_strz(eff_link));
        if (subs)
          rt_dict_set(after, "subcommands", rt_incref(subs));
      }
    }
    if (strcmp(state, "selected") == 0 && (!st.cur_path || strcmp(st.cur_path, path) != 0)) {
      ModArgv *c = &cmds[ncmd++];
      mod_argv_add(c, "--set");
      mod_argv_add(c, name);
      mod_argv_add(c, path);
      changed = true;
      rt_list_push(msgs, msg_text(rt_xasprintf("Set alternative '%s' for '%s'.", path, name)));
      if (h->diff_mode)
        rt_dict_set(after, "state", rt_strz("selected"));
    }
    if (strcmp(state, "auto") == 0 && st.mode && strcmp(st.mode, "manual") == 0) {
      ModArgv *c = &cmds[ncmd++];
      mod_argv_add(c, "--auto");
      mod_argv_add(c, name);
      changed = true;
      rt_list_push(msgs, msg_text(rt_xasprintf("Set alternative to auto for '%s'.", name)));
      if (h->diff_mode)
        rt_dict_set(after, "state", rt_strz("present"));
    }
  } else if (cur) {
    ModArgv *c = &cmds[ncmd++];
    mod_argv_add(c, "--remove");
    mod_argv_add(c, name);
    mod_argv_add(c, path);
    changed = true;
    rt_list_push(msgs, msg_text(rt_xasprintf("Remove alternative '%s' from '%s'.", path, name)));
    if (h->diff_mode)
      rt_dict_set(after, "state", rt_strz("absent"));
  }
  if (ncmd && !h->check_mode) {
    rt_buf_free(&s);
    mod_ps_sh_begin(&s);
    rt_buf_puts(&s, "LC_ALL=C; export LC_ALL\n");
    mod_sh_set(&s, "ua", mod_rec(&ex, "ua"));
    for (int i = 0; i < ncmd; i++) {
      char key[16];
      snprintf(key, sizeof key, "c%d", i);
      sh_cmd(&s, key, &cmds[i]);
    }
    if (rt_host_exec(h, s.data, NULL, 0, &ex2, &err) < 0)
      goto done;
    have2 = true;
    if ((r = mod_ps_missing(&ex2)) != NULL)
      goto done;
    const char *f = mod_rec(&ex2, "failed");
    if (f) {
      int i = atoi(f + 1);
      ModCap c = {0};
      mod_ps_cap(&ex2, f, &c);
      RtBuf cmd = {0};
      mod_py_shlex_quote(&cmd, mod_rec(&ex, "ua"));
      for (size_t k = 0; k < cmds[i].n; k++) {
        rt_buf_putc(&cmd, ' ');
        mod_py_shlex_quote(&cmd, cmds[i].v[k]);
      }
      const char *e = c.err ? c.err : "";
      size_t n = strlen(e);
      while (n && strchr(" \t\n\r\v\f", e[n - 1]))
        n--;
      r = mod_fail_result("%.*s", (int)n, e);
      rt_dict_set(r, "cmd", rt_str(cmd.data, cmd.len));
      rt_dict_set(r, "rc", rt_int(c.rc));
      mod_ps_out(r, c.out ? c.out : "", e);
      rt_buf_free(&cmd);
      mod_ps_cap_free(&c);
      goto done;
    }
  }
  r = rt_dict_new(3);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(diff, "before", rt_incref(before));
  rt_dict_set(diff, "after", rt_incref(after));
  rt_dict_set(r, "diff", rt_incref(diff));
  RtBuf m = {0};
  rt_buf_add(&m, "", 0);
  for (size_t i = 0; i < rt_len(msgs); i++)
    rt_buf_printf(&m, "%s%s", i ? " " : "", rt_list_at(msgs, i)->u.str.s);
  rt_dict_set(r, "msg", rt_str(m.data, m.len));
  rt_buf_free(&m);
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  for (int i = 0; i < 3; i++)
    mod_argv_free(&cmds[i]);
  alt_state_free(&st);
  rt_decref(given);
  rt_decref(diff);
  rt_decref(before);
  rt_decref(after);
  rt_decref(msgs);
  rt_buf_free(&s);
  free(err);
  free(name);
  free(path_arg);
  free(link_arg);
  free(state);
  return r;
}

#endif
