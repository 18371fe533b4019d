/*
 * ufw.c — community.general.ufw with the target's ufw. Request 1 finds ufw
 * and grep and reads what the module reads before it acts: `ufw status
 * verbose`, the user rules' tuples, `ufw --version` (for a rule) and `ufw
 * status numbered` (for an insert relative to a rule). The controller
 * builds the module's command lines (state, default, rule, logging, in
 * that order, --dry-run in check mode); request 2 runs them, each split
 * as shlex.split splits it and quoted word by word, stopping at the first
 * that fails, then reads the state and rules again. `commands` lists every
 * line the module runs, as it lists them; `changed` is decided as the module
 * decides (before and after, or in check mode from the status and the
 * dry run's rules).
 */
#include "mod.h"

static const ModParam ufw_params[] = {
    {.name = "state", .type = MP_STR, .choices = "enabled,disabled,reloaded,reset"},
    {.name = "default", .type = MP_STR, .aliases = "policy", .choices = "allow,deny,reject"},
    {.name = "logging", .type = MP_STR, .choices = "full,high,low,medium,off,on"},
    {.name = "direction", .type = MP_STR, .choices = "in,incoming,out,outgoing,routed"},
    {.name = "delete", .type = MP_BOOL, .def = "no"},
    {.name = "route", .type = MP_BOOL, .def = "no"},
    {.name = "insert", .type = MP_INT},
    {.name = "insert_relative_to", .type = MP_STR, .choices = "zero,first-ipv4,last-ipv4,first-ipv6,last-ipv6",
     .def = "zero"},
    {.name = "rule", .type = MP_STR, .choices = "allow,deny,limit,reject"},
    {.name = "interface", .type = MP_STR, .aliases = "if"},
    {.name = "interface_in", .type = MP_STR, .aliases = "if_in"},
    {.name = "interface_out", .type = MP_STR, .aliases = "if_out"},
    {.name = "log", .type = MP_BOOL, .def = "no"},
    {.name = "from_ip", .type = MP_STR, .def = "any", .aliases = "from,src"},
    {.name = "from_port", .type = MP_STR},
    {.name = "to_ip", .type = MP_STR, .def = "any", .aliases = "dest,to"},
    {.name = "to_port", .type = MP_STR, .aliases = "port"},
    {.name = "proto", .type = MP_STR, .aliases = "protocol", .choices = "ah,any,esp,ipv6,tcp,udp,gre,igmp"},
    {.name = "name", .type = MP_STR, .aliases = "app"},
    {.name = "comment", .type = MP_STR},
};
const ModSchema mod_schema_ufw = {
    .name = "ufw",
    .params = ufw_params,
    .nparams = MOD_N(ufw_params),
    .exclusive = "name,proto,logging;direction,interface_in;direction,interface_out",
    .one_of = "state,default,rule,logging",
    .tools = "ufw,grep",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

static const char *const ufw_rule_files[] = {"/lib/ufw/user.rules", "/lib/ufw/user6.rules",
                                             "/etc/ufw/user.rules", "/etc/ufw/user6.rules",
                                             "/var/lib/ufw/user.rules", "/var/lib/ufw/user6.rules"};

static const char ipv4_re[] = "((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])\\.){3,3}"
                              "(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])";
static const char ipv6_re[] =
    "(([0-9a-fA-F]{1,4}:){7,7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:"
    "|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}"
    "(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4})"
    "{1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]"
    "{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]"
    "{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:)|fe80:(:[0-9a-fA-F]{0,4})"
    "{0,4}%[0-9a-zA-Z]{1,}|::(ffff(:0{1,4}){0,1}:){0,1}((25[0-5]|(2[0-4]"
    "|1{0,1}[0-9]){0,1}[0-9])\\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}"
    "[0-9])|([0-9a-fA-F]{1,4}:){1,4}:((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}"
    "[0-9])\\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9]))";

/* mod_re_compile of a text pattern (NULL when it does not compile) */
static ModRe *re_text(const char *pat) {
  char *err = NULL;
  ModRe *re = mod_re_compile(pat, strlen(pat), 0, true, &err);
  free(err);
  return re;
}

/* A regex search in `s` (anchored: re.match) */
static bool re_find(const char *pat, const char *s, bool anchored) {
  char *err = NULL;
  ModRe *re = mod_re_compile(pat, strlen(pat), 0, true, &err);
  free(err);
  ModReMatch m;
  bool ok = re && mod_re_search(re, s, strlen(s), 0, anchored, &m);
  mod_re_free(re);
  return ok;
}

/* The lines of `s` (with their ends) kept by `keep`, joined. */
static char *filter_lines(const char *s, bool (*keep)(const char *line, const void *ctx), const void *ctx) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (const char *p = s; *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
    char *line = rt_xstrndup(p, n);
    if (keep(line, ctx))
      rt_buf_puts(&b, line);
    free(line);
    p += n;
  }
  return rt_buf_take(&b);
}

static bool keep_prefix(const char *line, const void *ctx) {
  return strncmp(line, ctx, strlen(ctx)) == 0;
}

static bool keep_re(const char *line, const void *ctx) {
  return re_find(ctx, line, false);
}

/* A command line: the module's ' '.join of its words, and run_command's
 * shlex.split of it. */
static void add_word(RtBuf *line, const char *w) {
  if (line->len)
    rt_buf_putc(line, ' ');
  rt_buf_puts(line, w);
}

typedef struct UfwCmd {
  char *line;
  bool ignore_error;
} UfwCmd;

typedef struct Ufw {
  UfwCmd v[8];
  int n;
} Ufw;

static void cmd_add(Ufw *u, RtBuf *line, bool ignore) {
  u->v[u->n].line = rt_buf_take(line);
  u->v[u->n].ignore_error = ignore;
  u->n++;
}

/* Script text running command line `line` as pc_cap KEY, its words split
 * as shlex.split splits them; false when the line does not split. */
static bool sh_line(RtBuf *s, const char *key, const char *line, bool ignore) {
  RtValue *w = mod_py_shlex_split(line);
  if (!w)
    return false;
  rt_buf_printf(s, "pc_cap %s", key);
  for (size_t i = 0; i < rt_len(w); i++) {
    rt_buf_putc(s, ' ');
    mod_py_shlex_quote(s, rt_list_at(w, i)->u.str.s);
  }
  if (!ignore)
    rt_buf_printf(s, " || { __playc_rec failed %s; exit 0; }", key);
  rt_buf_putc(s, '\n');
  rt_decref(w);
  return true;
}

static char *cap_out(const RtExec *ex, const char *key, int *rc, char **err) {
  ModCap c = {0};
  mod_ps_cap(ex, key, &c);
  if (rc)
    *rc = c.rc;
  char *o = rt_xstrdup(c.out ? c.out : "");
  if (err)
    *err = rt_xstrdup(c.err ? c.err : "");
  mod_ps_cap_free(&c);
  return o;
}

static RtValue *fail_with(const char *msg, RtValue *cmds) {
  RtValue *r = mod_fail_result("%s", msg);
  rt_dict_set(r, "commands", rt_incref(cmds));
  return r;
}

/* The insert number for insert_relative_to other than zero, from `ufw
 * status numbered`'s text; -1 for None (past the last rule). */
static long long relative_insert(const char *rel, long long insert, const char *numbered) {
  long long last = 0, max4 = 0;
  bool has4 = false, has6 = false;
  for (const char *p = numbered; *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char *line = rt_xstrndup(p, n);
    const char *q = line;
    if (*q == '[') {
      q++;
      while (*q == ' ')
        q++;
      char *end;
      long long no = strtoll(q, &end, 10);
      if (end > q && end[0] == ']' && end[1] == ' ') {
        bool v6 = strstr(line, "(v6)") != NULL;
        last = no > last ? no : last;
        if (v6)
          has6 = true;
        else {
          has4 = true;
          max4 = no > max4 ? no : max4;
        }
      }
    }
    free(line);
    p += n + (e ? 1 : 0);
  }
  long long rel_to = 0;
  if (strcmp(rel, "first-ipv4") == 0)
    rel_to = 1;
  else if (strcmp(rel, "last-ipv4") == 0)
    rel_to = has4 ? max4 : 1;
  else if (strcmp(rel, "first-ipv6") == 0)
    rel_to = has4 ? max4 + 1 : 1;
  else
    rel_to = has6 ? last : last + 1;
  long long to = insert + rel_to;
  return to > last ? -1 : to;
}

static const char *sarg(RtValue *args, const char *name) {
  RtValue *v = rt_dict_get(args, name);
  return v && rt_kind(v) == RT_STR && v->u.str.len ? v->u.str.s : NULL;
}

RtValue *mod_ufw(RtHost *h, RtValue *args_in) {
  /* str() of the scalars of str parameters, as AnsibleModule converts them */
  RtValue *args = rt_dict_new(16);
  for (int32_t i = 0; i < mod_schema_ufw.nparams; i++) {
    const ModParam *mp = &mod_schema_ufw.params[i];
    if (mp->type != MP_STR || !rt_dict_get(args_in, mp->name))
      continue;
    char *t = mod_arg_str(args_in, mp->name);
    if (t)
      rt_dict_set(args, mp->name, rt_str_take(t, strlen(t)));
  }
  const char *state = sarg(args, "state"), *deflt = sarg(args, "default"), *rule = sarg(args, "rule");
  const char *logging = sarg(args, "logging"), *direction = sarg(args, "direction");
  const char *iface = sarg(args, "interface"), *iin = sarg(args, "interface_in"), *iout = sarg(args, "interface_out");
  const char *rel = sarg(args, "insert_relative_to") ? sarg(args, "insert_relative_to") : "zero";
  bool del = mod_arg_bool(args_in, "delete", 0) == 1, route = mod_arg_bool(args_in, "route", 0) == 1;
  bool log = mod_arg_bool(args_in, "log", 0) == 1, ck = h->check_mode;
  long long insert = 0;
  bool has_insert = mod_arg_int(args_in, "insert", &insert) == 1;
  RtValue *r = NULL, *cmds = rt_list_new(8);
  RtBuf s = {0};
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  char *err = NULL, *pre_state = NULL, *pre_rules = NULL, *ver = NULL, *numbered = NULL;
  Ufw u = {0};
  RtBuf grepline = {0}, line = {0};
  if (iface && !direction) { /* required_by */
    r = mod_fail_result("missing parameter(s) required by 'interface': direction");
    goto done;
  }
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, "LANG=C; export LANG\n");
  mod_ps_sh_need(&s, "ufw", "ufw");
  mod_ps_sh_need(&s, "grep", "grep");
  rt_buf_puts(&s, "__playc_rec ufw \"$ufw\"; __playc_rec grep \"$grep\"\n"
                  "pc_cap pre \"$ufw\" status verbose\n"
                  "pc_cap rules \"$grep\" -h '^### tuple'");
  for (size_t i = 0; i < sizeof ufw_rule_files / sizeof ufw_rule_files[0]; i++)
    rt_buf_printf(&s, " %s", ufw_rule_files[i]);
  rt_buf_puts(&s, "\n");
  if (rule) {
    rt_buf_puts(&s, "pc_cap ver \"$ufw\" --version\n");
    if (has_insert && !del && strcmp(rel, "zero") != 0)
      rt_buf_puts(&s, "pc_cap num \"$ufw\" status numbered\n");
  }
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  const char *ufw = mod_rec(&ex, "ufw"), *grep = mod_rec(&ex, "grep");
  int rc = 0;
  char *perr = NULL;
  add_word(&line, ufw);
  add_word(&line, "status verbose");
  rt_list_push(cmds, rt_strz(line.data));
  rt_buf_free(&line);
  pre_state = cap_out(&ex, "pre", &rc, &perr);
  if (rc != 0) {
    r = fail_with(*perr ? perr : pre_state, cmds);
    free(perr);
    goto done;
  }
  free(perr);
  add_word(&grepline, grep);
  add_word(&grepline, "-h");
  add_word(&grepline, "'^### tuple'");
  for (size_t i = 0; i < sizeof ufw_rule_files / sizeof ufw_rule_files[0]; i++)
    add_word(&grepline, ufw_rule_files[i]);
  rt_list_push(cmds, rt_strz(grepline.data));
  pre_rules = cap_out(&ex, "rules", NULL, NULL);
  bool changed = false;
  /* the commands, in the module's order: state, default, rule, logging */
  if (state) {
    if (strcmp(state, "reloaded") == 0 || strcmp(state, "reset") == 0)
      changed = true;
    if (ck) {
      bool on = strstr(pre_state, " active") != NULL;
      if ((strcmp(state, "disabled") == 0 && on) || (strcmp(state, "enabled") == 0 && !on))
        changed = true;
    } else {
      static const char *const verbs[][2] = {
          {"enabled", "enable"}, {"disabled", "disable"}, {"reloaded", "reload"}, {"reset", "reset"}};
      add_word(&line, ufw);
      add_word(&line, "-f");
      for (int i = 0; i < 4; i++)
        if (strcmp(state, verbs[i][0]) == 0)
          add_word(&line, verbs[i][1]);
      cmd_add(&u, &line, false);
    }
  }
  if (deflt) {
    if (direction && strcmp(direction, "outgoing") != 0 && strcmp(direction, "incoming") != 0 &&
        strcmp(direction, "routed") != 0) {
      r = mod_fail_result("For default, direction must be one of \"outgoing\", \"incoming\" and \"routed\", or "
                          "direction must not be specified.");
      goto done;
    }
    if (ck) {
      ModRe *re = re_text("Default: (deny|allow|reject) \\(incoming\\), (deny|allow|reject) \\(outgoing\\), "
                                 "(deny|allow|reject|disabled) \\(routed\\)");
      ModReMatch m;
      if (re && mod_re_search(re, pre_state, strlen(pre_state), 0, false, &m)) {
        int g = !direction || strcmp(direction, "incoming") == 0 ? 1 : strcmp(direction, "outgoing") == 0 ? 2 : 3;
        size_t b, en;
        mod_re_group(&m, g, &b, &en);
        char *v = rt_xstrndup(pre_state + b, en - b);
        if (strcmp(v, deflt) != 0 && strcmp(v, "disabled") != 0)
          changed = true;
        free(v);
      } else {
        changed = true;
      }
      mod_re_free(re);
    } else {
      add_word(&line, ufw);
      add_word(&line, "default");
      add_word(&line, deflt);
      if (direction)
        add_word(&line, direction);
      cmd_add(&u, &line, false);
    }
  }
  int rule_idx = -1;
  if (rule) {
    if (direction && strcmp(direction, "in") != 0 && strcmp(direction, "out") != 0) {
      r = mod_fail_result("For rules, direction must be one of \"in\" and \"out\", or direction must not be specified.");
      goto done;
    }
    if (!route && iin && iout) {
      r = mod_fail_result("Only route rules can combine interface_in and interface_out");
      goto done;
    }
    /* ufw_version() runs here, before the rule */
    int vrc = 0;
    char *verr = NULL;
    ver = cap_out(&ex, "ver", &vrc, &verr);
    rule_idx = u.n; /* the version line is listed before the rule's, after the commands before */
    long long vmaj = 0, vmin = 0;
    bool vok = false;
    {
      ModRe *re = re_text("^ufw.+(\\d+)\\.(\\d+)(?:\\.(\\d+))?.*$");
      const char *p = ver;
      while (*p == '\n' || *p == ' ')
        p++; /* the first line that is not blank */
      size_t n = strcspn(p, "\n");
      ModReMatch m;
      if (re && mod_re_search(re, p, n, 0, false, &m)) {
        size_t b, en;
        mod_re_group(&m, 1, &b, &en);
        vmaj = strtoll(p + b, NULL, 10);
        mod_re_group(&m, 2, &b, &en);
        vmin = strtoll(p + b, NULL, 10);
        vok = true;
      }
      mod_re_free(re);
    }
    /* the rule's line */
    RtBuf rl = {0};
    add_word(&rl, ufw);
    if (ck)
      add_word(&rl, "--dry-run");
    if (route)
      add_word(&rl, "route");
    if (del)
      add_word(&rl, "delete");
    if (has_insert && !del) {
      long long to = insert;
      if (strcmp(rel, "zero") != 0) {
        char *num = cap_out(&ex, "num", NULL, NULL);
        to = relative_insert(rel, insert, num);
        free(num);
      }
      if (to >= 0 || strcmp(rel, "zero") == 0) {
        char *w = rt_xasprintf("insert %lld", to);
        add_word(&rl, w);
        free(w);
      }
    }
    add_word(&rl, rule);
    if (direction)
      add_word(&rl, direction);
    const struct {
      const char *key, *fmt;
    } parts[] = {{"interface", "on %s"}, {"interface_in", "in on %s"}, {"interface_out", "out on %s"}};
    for (int i = 0; i < 3; i++) {
      const char *v = sarg(args, parts[i].key);
      if (v) {
        char *w = rt_xasprintf(parts[i].fmt, v);
        add_word(&rl, w);
        free(w);
      }
    }
    if (log)
      add_word(&rl, "log");
    const struct {
      const char *key, *fmt, *def;
    } addr[] = {{"from_ip", "from %s", "any"}, {"from_port", "port %s", NULL}, {"to_ip", "to %s", "any"},
                {"to_port", "port %s", NULL},  {"proto", "proto %s", NULL},    {"name", "app '%s'", NULL}};
    for (int i = 0; i < 6; i++) {
      RtValue *given = rt_dict_get(args, addr[i].key);
      const char *v = given && rt_kind(given) == RT_STR ? given->u.str.s : addr[i].def;
      if (v && *v) {
        char *w = rt_xasprintf(addr[i].fmt, v);
        add_word(&rl, w);
        free(w);
      }
    }
    const char *comment = sarg(args, "comment");
    if (!vok) {
      free(verr);
      r = mod_fail_result("Failed to get ufw version.");
      rt_dict_set(r, "rc", rt_int(0));
      rt_dict_set(r, "out", rt_strz(ver));
      rt_buf_free(&rl);
      goto done;
    }
    if (comment && ((vmaj == 0 && vmin >= 35) || vmaj > 0)) {
      char *w = rt_xasprintf("comment '%s'", comment);
      add_word(&rl, w);
      free(w);
    }
    free(verr);
    (void)vrc;
    cmd_add(&u, &rl, false);
  }
  if (logging && !ck) {
    add_word(&line, ufw);
    add_word(&line, "logging");
    add_word(&line, logging);
    cmd_add(&u, &line, false);
  }
  if (logging) {
    ModRe *re = re_text("Logging: (on|off)(?: \\(([a-z]+)\\))?");
    ModReMatch m;
    if (re && mod_re_search(re, pre_state, strlen(pre_state), 0, false, &m)) {
      size_t b, en;
      mod_re_group(&m, 1, &b, &en);
      char *onoff = rt_xstrndup(pre_state + b, en - b), *level = NULL;
      if (mod_re_group(&m, 2, &b, &en))
        level = rt_xstrndup(pre_state + b, en - b);
      if (strcmp(logging, "off") != 0) {
        if (strcmp(onoff, "off") == 0)
          changed = true;
        else if (strcmp(logging, "on") != 0 && (!level || strcmp(logging, level) != 0))
          changed = true;
      } else if (strcmp(onoff, "off") != 0) {
        changed = true;
      }
      free(onoff);
      free(level);
    } else {
      changed = true;
    }
    mod_re_free(re);
  }
  /* request 2: the commands, then (outside check mode) the state and rules again */
  if (u.n || !ck) {
    rt_buf_free(&s);
    mod_ps_sh_begin(&s);
    rt_buf_puts(&s, "LANG=C; export LANG\n");
    for (int i = 0; i < u.n; i++) {
      char key[16];
      snprintf(key, sizeof key, "c%d", i);
      if (!sh_line(&s, key, u.v[i].line, u.v[i].ignore_error)) {
        r = fail_with("No closing quotation", cmds);
        goto done;
      }
    }
    if (!ck) {
      char *post = rt_xasprintf("%s status verbose", ufw);
      sh_line(&s, "post", post, false);
      free(post);
      sh_line(&s, "prules", grepline.data, true);
    }
    if (rt_host_exec(h, s.data, NULL, 0, &ex2, &err) < 0)
      goto done;
    have2 = true;
    const char *f = mod_rec(&ex2, "failed");
    for (int i = 0; i < u.n; i++) {
      if (i == rule_idx) {
        char *vl = rt_xasprintf("%s --version", ufw);
        rt_list_push(cmds, rt_str_take(vl, strlen(vl)));
      }
      rt_list_push(cmds, rt_strz(u.v[i].line));
      char key[16];
      snprintf(key, sizeof key, "c%d", i);
      if (f && strcmp(f, key) == 0) {
        char *ce = NULL, *co = cap_out(&ex2, key, NULL, &ce);
        r = fail_with(*ce ? ce : co, cmds);
        free(ce);
        free(co);
        goto done;
      }
    }
    if (rule && ck) { /* the dry run's rules against the rules before */
      char key[16];
      snprintf(key, sizeof key, "c%d", rule_idx);
      char *dry = cap_out(&ex2, key, NULL, NULL);
      size_t nl = 0, nskip = 0;
      for (const char *p = dry; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
        char *l = rt_xstrndup(p, n);
        nl++;
        if (strstr(l, "Skipping"))
          nskip++;
        free(l);
        p += n;
      }
      if (!(nskip > 0 && nskip == nl)) {
        char *tuples = filter_lines(dry, keep_prefix, "### tuple");
        const char *fi = sarg(args, "from_ip") ? sarg(args, "from_ip") : "any";
        const char *ti = sarg(args, "to_ip") ? sarg(args, "to_ip") : "any";
        const char *pat = NULL;
        if (re_find(ipv4_re, fi, true) || re_find(ipv4_re, ti, true))
          pat = ipv4_re;
        else if (re_find(ipv6_re, fi, true) || re_find(ipv6_re, ti, true))
          pat = ipv6_re;
        if (pat) {
          char *a = filter_lines(pre_rules, keep_re, pat), *b = filter_lines(tuples, keep_re, pat);
          if (strcmp(a, b) != 0)
            changed = true;
          free(a);
          free(b);
        } else if (strcmp(pre_rules, tuples) != 0) {
          changed = true;
        }
        free(tuples);
      }
      free(dry);
    }
  } else if (rule_idx >= 0) {
    char *vl = rt_xasprintf("%s --version", ufw);
    rt_list_push(cmds, rt_str_take(vl, strlen(vl)));
  }
  if (ck) {
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(changed));
    rt_dict_set(r, "commands", rt_incref(cmds));
    goto done;
  }
  {
    char *post = rt_xasprintf("%s status verbose", ufw);
    rt_list_push(cmds, rt_str_take(post, strlen(post)));
    int prc = 0;
    char *pe = NULL, *pout = cap_out(&ex2, "post", &prc, &pe);
    if (prc != 0) {
      r = fail_with(*pe ? pe : pout, cmds);
      free(pe);
      free(pout);
      goto done;
    }
    free(pe);
    if (!changed) {
      rt_list_push(cmds, rt_strz(grepline.data));
      char *prules = cap_out(&ex2, "prules", NULL, NULL);
      changed = strcmp(pre_state, pout) != 0 || strcmp(pre_rules, prules) != 0;
      free(prules);
    }
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(changed));
    rt_dict_set(r, "commands", rt_incref(cmds));
    size_t n = strlen(pout);
    while (n && strchr(" \t\n\r\v\f", pout[n - 1]))
      n--;
    rt_dict_set(r, "msg", rt_str(pout, n));
    free(pout);
  }
done:
  rt_buf_free(&grepline);
  rt_buf_free(&line);
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  for (int i = 0; i < u.n; i++)
    free(u.v[i].line);
  rt_buf_free(&s);
  rt_decref(cmds);
  rt_decref(args);
  free(pre_state);
  free(pre_rules);
  free(ver);
  free(numbered);
  free(err);
  return r;
}

#endif
