/*
 * grafana_plugin.c — community.grafana.grafana_plugin with the target's
 * grafana-cli. Request 1 finds grafana-cli on the target's PATH as the
 * module does (a file with the execute bit, no sbin folders added) and, for
 * state=present, lists the installed plugins (`plugins ls`) and, when
 * version is "latest", the versions on offer (`plugins list-versions`).
 * Request 2, only when something must change, runs install, update or
 * uninstall. Each command is the module's command string split as
 * run_command splits it (shlex), so its values are words of their own, never
 * shell text. The module has no check mode: a check run skips it.
 */
#include "mod.h"

static const ModParam gp_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "version", .type = MP_STR},
    {.name = "grafana_plugins_dir", .type = MP_STR},
    {.name = "grafana_repo", .type = MP_STR},
    {.name = "grafana_plugin_url", .type = MP_STR},
    {.name = "validate_certs", .type = MP_BOOL, .def = "false"},
    {.name = "state", .type = MP_STR, .choices = "present,absent", .def = "present"},
};
const ModSchema mod_schema_grafana_plugin = {
    .name = "grafana_plugin",
    .params = gp_params,
    .nparams = MOD_N(gp_params),
    .tools = "grafana-cli",
    .collection = "community.grafana",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* Script text: cli = grafana-cli found as the module's grafana_cli_bin finds
 * it (each $PATH entry stripped of '"'), or the record nocli. */
static const char find_cli[] = "cli=; pc_o=$IFS; IFS=:; set -f\n"
                               "for pc_d in $PATH; do pc_d=${pc_d#\\\"}; pc_d=${pc_d%\\\"}\n"
                               "  if [ -f \"$pc_d/grafana-cli\" ] && [ -x \"$pc_d/grafana-cli\" ]; then "
                               "cli=${pc_d%/}/grafana-cli; break; fi\n"
                               "done; IFS=$pc_o; set +f\n"
                               "[ -n \"$cli\" ] || { __playc_rec nocli 1; exit 0; }\n"
                               "__playc_rec cli \"$cli\"\n";

/* The global options the module puts after grafana-cli's path, then
 * "plugins" (grafana_cli_bin). */
static void cli_options(RtBuf *b, RtValue *args) {
  static const char *const opt[][2] = {
      {"grafana_plugin_url", "--pluginUrl"}, {"grafana_plugins_dir", "--pluginsDir"}, {"grafana_repo", "--repo"}};
  for (size_t i = 0; i < 3; i++) {
    char *v = mod_arg_str(args, opt[i][0]);
    if (v && *v)
      rt_buf_printf(b, " %s %s", opt[i][1], v);
    free(v);
  }
  if (mod_arg_bool(args, "validate_certs", 0) == 0)
    rt_buf_puts(b, " --insecure");
  rt_buf_puts(b, " plugins");
}

/* Script text: pc_cap KEY "$cli" WORDS..., the words being `tail` split as
 * shlex splits it. False when a quote in it is not closed. */
static bool sh_cap(RtBuf *s, const char *key, const char *tail) {
  RtValue *w = mod_py_shlex_split(tail);
  if (!w)
    return false;
  ModArgv a = {0};
  for (size_t i = 0; i < rt_len(w); i++)
    mod_argv_add(&a, rt_list_at(w, i)->u.str.s);
  rt_decref(w);
  mod_sh_argv(s, &a);
  mod_argv_free(&a);
  rt_buf_printf(s, "pc_cap %s \"$cli\" \"$@\"\n", key);
  return true;
}

/* parse_version of a line holding " @ ": false when it has more than one '@'
 * (the module's ValueError). */
static bool parse_version(const char *line, char **name, char **version) {
  const char *at = strchr(line, '@');
  if (!at || strchr(at + 1, '@'))
    return false;
  const char *b = line, *e = at;
  while (b < e && strchr(" \t\n\r\v\f", *b))
    b++;
  while (e > b && strchr(" \t\n\r\v\f", e[-1]))
    e--;
  *name = rt_xstrndup(b, (size_t)(e - b));
  b = at + 1;
  e = b + strlen(b);
  while (b < e && strchr(" \t\n\r\v\f", *b))
    b++;
  while (e > b && strchr(" \t\n\r\v\f", e[-1]))
    e--;
  *version = rt_xstrndup(b, (size_t)(e - b));
  return true;
}

/* The next line of `*p` (split at "\n" as str.split("\n")), malloc'd, or
 * NULL past the end. */
static char *next_line(const char **p) {
  if (!*p)
    return NULL;
  const char *nl = strchr(*p, '\n');
  char *line = nl ? rt_xstrndup(*p, (size_t)(nl - *p)) : rt_xstrdup(*p);
  *p = nl ? nl + 1 : NULL;
  return line;
}

/* rstrip() of `s` in place. */
static void rstrip(char *s) {
  size_t n = strlen(s);
  while (n && strchr(" \t\n\r\v\f", s[n - 1]))
    s[--n] = 0;
}

static RtValue *value_error(void) {
  RtValue *r = mod_fail_result("<class 'ValueError'> : too many values to unpack (expected 2) ");
  return r;
}

/* get_grafana_plugin_version over a `plugins ls` output: 1 with *version
 * (malloc'd), 0 when not installed, -1 on the module's ValueError. */
static int installed_version(const char *out, const char *name, char **version) {
  const char *p = out;
  char *line;
  int found = 0;
  while (!found && (line = next_line(&p)) != NULL) {
    if (strstr(line, " @ ")) {
      rstrip(line);
      char *n = NULL, *v = NULL;
      if (!parse_version(line, &n, &v))
        found = -1;
      else if (strcmp(n, name) == 0) {
        *version = v;
        v = NULL;
        found = 1;
      }
      free(n);
      free(v);
    }
    free(line);
  }
  return found;
}

static RtValue *gp_result(bool changed, const char *msg, const char *version, bool with_version) {
  RtValue *r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "failed", rt_bool(false));
  rt_dict_set(r, "msg", rt_strz(msg));
  if (with_version)
    rt_dict_set(r, "version", version ? rt_strz(version) : rt_none());
  return r;
}

RtValue *mod_grafana_plugin(RtHost *h, RtValue *args) {
  if (h->check_mode)
    return mod_check_skip("grafana_plugin");
  char *name = mod_arg_str(args, "name"), *version = mod_arg_str(args, "version");
  char *state = mod_arg_str(args, "state");
  bool present = !state || strcmp(state, "present") == 0, latest = version && strcmp(version, "latest") == 0;
  RtBuf opts = {0}, s = {0}, tail = {0}, cmd = {0};
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  char *err = NULL, *cur = NULL, *msg = NULL;
  RtValue *r = NULL;
  ModCap c = {0};
  rt_buf_add(&opts, "", 0);
  cli_options(&opts, args);
  rt_buf_puts(&s, find_cli); /* first: it needs no scratch folder */
  mod_ps_sh_begin(&s);
  if (present) {
    rt_buf_printf(&tail, "%s ls", opts.data);
    sh_cap(&s, "L", tail.data);
    tail.len = 0;
    if (latest) {
      rt_buf_printf(&tail, "%s list-versions %s", opts.data, name);
      sh_cap(&s, "V", tail.data);
      tail.len = 0;
    }
  }
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec(&ex, "nocli")) {
    r = mod_fail_result("grafana-cli binary is not present or not in PATH");
    goto done;
  }
  const char *cli = mod_rec(&ex, "cli");
  /* grafana_plugin(): what to run, or an answer without running anything */
  const char *verb = "uninstall";
  bool with_version = false;
  if (present) {
    mod_ps_cap(&ex, "L", &c);
    int st = installed_version(c.out ? c.out : "", name, &cur);
    mod_ps_cap_free(&c);
    if (st < 0) {
      r = value_error();
      goto done;
    }
    if (st == 1 && (!version || !*version || strcmp(version, cur) == 0)) {
      r = gp_result(false, "Grafana plugin already installed", cur, true);
      goto done;
    }
    if (st == 1 && latest) {
      mod_ps_cap(&ex, "V", &c);
      const char *o = c.out ? c.out : "";
      char *first = rt_xstrndup(o, strchr(o, '\n') ? (size_t)(strchr(o, '\n') - o) : strlen(o));
      rstrip(first);
      bool same = *o && *o != '\n' && strcmp(first, cur) == 0;
      free(first);
      mod_ps_cap_free(&c);
      if (same) {
        r = gp_result(false, "Grafana plugin already installed", cur, true);
        goto done;
      }
      verb = "update";
    } else {
      verb = "install";
    }
    with_version = !latest && version && strcmp(verb, "install") == 0;
  }
  /* the command as the module writes it, path included */
  rt_buf_printf(&cmd, "%s%s %s %s%s%s", cli, opts.data, verb, name, with_version ? " " : "",
                with_version ? version : "");
  rt_buf_printf(&tail, "%s %s %s%s%s", opts.data, verb, name, with_version ? " " : "", with_version ? version : "");
  rt_buf_free(&s);
  mod_ps_sh_begin(&s);
  mod_sh_set(&s, "cli", cli);
  sh_cap(&s, "R", tail.data);
  if (rt_host_exec(h, s.data, NULL, 0, &ex2, &err) < 0)
    goto done;
  have2 = true;
  if ((r = mod_ps_missing(&ex2)) != NULL)
    goto done;
  mod_ps_cap(&ex2, "R", &c);
  const char *out = c.out ? c.out : "";
  if (c.rc == 0) {
    /* the first line that does not start with the name (str.find's 0 is
     * false), its version when it holds " @ " */
    const char *p = out;
    char *line;
    while ((line = next_line(&p)) != NULL) {
      const char *at = strstr(line, name);
      if (at == line) {
        free(line);
        continue;
      }
      char *n = NULL, *v = NULL;
      if (strstr(line, " @ ")) {
        rstrip(line);
        if (!parse_version(line, &n, &v)) {
          free(line);
          r = value_error();
          goto cap_done;
        }
      }
      msg = rt_xasprintf("Grafana plugin %s %s : %s", name, present ? "installed" : "uninstalled", cmd.data);
      r = gp_result(true, msg, v, present);
      free(n);
      free(v);
      free(line);
      goto cap_done;
    }
    /* every line starts with the name: the module returns None */
    r = mod_fail_result("<class 'TypeError'> : 'NoneType' object is not a mapping ");
  } else if (!present && strncmp(out, "plugin does not exist", 21) != 0) {
    msg = rt_xasprintf("Grafana plugin %s already uninstalled : %s", name, cmd.data);
    r = gp_result(false, msg, NULL, false);
  } else {
    r = mod_fail_result("'%s' execution returned an error : [%d] %s %s", cmd.data, c.rc, out, c.err ? c.err : "");
  }
cap_done:
  mod_ps_cap_free(&c);
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&opts);
  rt_buf_free(&s);
  rt_buf_free(&tail);
  rt_buf_free(&cmd);
  free(err);
  free(cur);
  free(msg);
  free(name);
  free(version);
  free(state);
  return r;
}

#endif
