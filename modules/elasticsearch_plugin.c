/*
 * elasticsearch_plugin.c — community.general.elasticsearch_plugin with the
 * target's elasticsearch-plugin (or the old `plugin`). Request 1 finds the
 * installer as the module does and whether the plugin's folder is in
 * plugin_dir; request 2, only when the state changes outside check mode,
 * runs install or remove: the module's command string split as
 * run_command splits it (shlex), each value a word of its own.
 */
#include "mod.h"

static const ModParam esp_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "state", .type = MP_STR, .choices = "present,absent", .def = "present"},
    {.name = "src", .type = MP_STR},
    {.name = "url", .type = MP_STR},
    {.name = "timeout", .type = MP_STR, .def = "1m"},
    {.name = "force", .type = MP_BOOL, .def = "false"},
    {.name = "plugin_bin", .type = MP_PATH},
    {.name = "plugin_dir", .type = MP_PATH, .def = "/usr/share/elasticsearch/plugins/"},
    {.name = "proxy_host", .type = MP_STR},
    {.name = "proxy_port", .type = MP_STR},
    {.name = "version", .type = MP_STR},
};
const ModSchema mod_schema_elasticsearch_plugin = {
    .name = "elasticsearch_plugin",
    .params = esp_params,
    .nparams = MOD_N(esp_params),
    .exclusive = "src,url",
    .tools = "elasticsearch-plugin",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

static const char es_bin_dir[] = "/usr/share/elasticsearch/bin";

/* parse_plugin_repo: the name's second '/' part if any, without an
 * "elasticsearch-" or "es-" prefix (malloc'd). */
static char *plugin_repo(const char *name) {
  const char *s = name, *slash = strchr(name, '/');
  size_t n = slash ? (size_t)(slash - name) : strlen(name);
  if (slash) {
    s = slash + 1;
    const char *next = strchr(s, '/');
    n = next ? (size_t)(next - s) : strlen(s);
  }
  static const char *const pre[] = {"elasticsearch-", "es-"};
  for (int i = 0; i < 2; i++)
    if (n >= strlen(pre[i]) && strncmp(s, pre[i], strlen(pre[i])) == 0) {
      s += strlen(pre[i]);
      n -= strlen(pre[i]);
      break;
    }
  return rt_xstrndup(s, n);
}

/* parse_error: the text after "ERROR: ", stripped, or all of it. */
static char *parse_error(const char *out) {
  const char *p = strstr(out, "ERROR: ");
  if (!p)
    return rt_xstrdup(out);
  p += 7;
  while (*p && strchr(" \t\n\r\v\f", *p))
    p++;
  size_t n = strlen(p);
  while (n && strchr(" \t\n\r\v\f", p[n - 1]))
    n--;
  return rt_xstrndup(p, n);
}

static RtValue *str_or_none(char *s) { return s ? rt_strz(s) : rt_none(); }

RtValue *mod_elasticsearch_plugin(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *state = mod_arg_str(args, "state"), *src = mod_arg_str(args, "src");
  char *url = mod_arg_str(args, "url"), *timeout = mod_arg_str(args, "timeout");
  if (!rt_dict_get(args, "timeout")) /* absent: the default; given as null: None */
    timeout = rt_xstrdup("1m");
  char *pbin = mod_arg_str(args, "plugin_bin"), *pdir = mod_arg_str(args, "plugin_dir");
  char *phost = mod_arg_str(args, "proxy_host"), *pport = mod_arg_str(args, "proxy_port");
  char *version = mod_arg_str(args, "version"), *repo = plugin_repo(name), *err = NULL;
  bool present = !state || strcmp(state, "present") == 0, force = mod_arg_bool(args, "force", 0) == 1;
  RtBuf s = {0}, cmd = {0};
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  RtValue *r = NULL;
  ModCap c = {0};
  mod_ps_sh_begin(&s);
  /* get_plugin_bin: plugin_bin when it is a file; else its name, then
   * elasticsearch-plugin, then plugin, each looked for (get_bin_path) in its
   * folder and Elasticsearch's bin folder first */
  if (pbin) {
    mod_sh_set_path(&s, "pb", pbin);
    rt_buf_puts(&s, "if [ -f \"$pb\" ]; then bin=$pb; else\n");
  }
  rt_buf_puts(&s, "bin=\n");
  const char *names[3] = {NULL, "elasticsearch-plugin", "plugin"};
  if (pbin) {
    const char *base = strrchr(pbin, '/') ? strrchr(pbin, '/') + 1 : pbin;
    names[0] = base;
    rt_buf_puts(&s, "pd=$(dirname -- \"$pb\")\n");
  }
  mod_sh_set(&s, "esd", es_bin_dir);
  for (int i = 0; i < 3; i++) {
    if (!names[i] || (i && names[0] && strcmp(names[0], names[i]) == 0))
      continue;
    mod_sh_set(&s, "bn", names[i]);
    rt_buf_printf(&s, "[ -n \"$bin\" ] || ! pc_bin \"$bn\" %s\"$esd\" || bin=$pc_v\n", pbin ? "\"$pd\" " : "");
  }
  if (pbin)
    rt_buf_puts(&s, "fi\n");
  rt_buf_puts(&s, "[ -n \"$bin\" ] || { __playc_rec nobin_es 1; exit 0; }\n__playc_rec bin \"$bin\"\n");
  mod_sh_set_path(&s, "dir", pdir ? pdir : "/usr/share/elasticsearch/plugins/");
  mod_sh_set(&s, "repo", repo);
  rt_buf_puts(&s, "[ ! -d \"${dir%/}/$repo\" ] || __playc_rec present 1\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec(&ex, "nobin_es")) {
    r = mod_fail_result("%s does not exist and no other valid plugin installers were found. Make sure Elasticsearch "
                        "is installed.",
                        pbin ? pbin : "None");
    goto done;
  }
  if ((mod_rec(&ex, "present") != NULL) == present) {
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "name", rt_strz(name));
    rt_dict_set(r, "state", rt_strz(present ? "present" : "absent"));
    goto done;
  }
  /* install_plugin / remove_plugin: the command string */
  const char *bin = mod_rec(&ex, "bin"), *base = strrchr(bin, '/') ? strrchr(bin, '/') + 1 : bin;
  char *pname = rt_xstrdup(name);
  rt_buf_printf(&cmd, "%s %s", bin, present ? "install" : "remove");
  if (present) {
    bool old = strcmp(base, "plugin") == 0, timed = old && timeout && *timeout;
    if (timed)
      rt_buf_printf(&cmd, " --timeout %s", timeout);
    if (old && version && *version) {
      char *v = rt_xasprintf("%s/%s", pname, version);
      free(pname);
      pname = v;
      if (timed) { /* cmd_args[2] = plugin_name: the timeout's place */
        cmd.len = strlen(bin) + 8;
        cmd.data[cmd.len] = 0;
        rt_buf_printf(&cmd, " %s", pname);
      }
    }
    if (phost && *phost && pport && *pport)
      rt_buf_printf(&cmd, " -DproxyHost=%s -DproxyPort=%s", phost, pport);
    if (url && *url)
      rt_buf_printf(&cmd, " --url %s", url);
    if (force)
      rt_buf_puts(&cmd, " --batch");
    rt_buf_printf(&cmd, " %s", src && *src ? src : pname);
  } else {
    rt_buf_printf(&cmd, " %s", repo);
  }
  const char *out = "check mode", *eout = "";
  int rc = 0;
  if (!h->check_mode) {
    RtValue *w = mod_py_shlex_split(cmd.data + strlen(bin));
    if (!w) {
      r = mod_fail_result("No closing quotation");
      free(pname);
      goto done;
    }
    ModArgv a = {0};
    for (size_t i = 0; i < rt_len(w); i++)
      mod_argv_add(&a, rt_list_at(w, i)->u.str.s);
    rt_decref(w);
    rt_buf_free(&s);
    mod_ps_sh_begin(&s);
    mod_sh_set(&s, "bin", bin);
    mod_sh_argv(&s, &a);
    mod_argv_free(&a);
    rt_buf_puts(&s, "pc_cap R \"$bin\" \"$@\"\n");
    if (rt_host_exec(h, s.data, NULL, 0, &ex2, &err) < 0) {
      free(pname);
      goto done;
    }
    have2 = true;
    if ((r = mod_ps_missing(&ex2)) != NULL) {
      free(pname);
      goto done;
    }
    mod_ps_cap(&ex2, "R", &c);
    rc = c.rc;
    out = c.out ? c.out : "";
    eout = c.err ? c.err : "";
  }
  if (rc != 0) {
    char *reason = parse_error(out);
    r = mod_fail_result("%s plugin '%s' failed: %s", present ? "Installing" : "Removing", present ? pname : name,
                        reason);
    rt_dict_set(r, "err", rt_strz(eout));
    free(reason);
  } else {
    r = rt_dict_new(8);
    rt_dict_set(r, "changed", rt_bool(true));
    rt_dict_set(r, "cmd", rt_strz(cmd.data));
    rt_dict_set(r, "name", rt_strz(name));
    rt_dict_set(r, "state", rt_strz(present ? "present" : "absent"));
    rt_dict_set(r, "url", str_or_none(url));
    rt_dict_set(r, "timeout", str_or_none(timeout));
    mod_ps_out(r, out, eout);
  }
  free(pname);
done:
  mod_ps_cap_free(&c);
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s);
  rt_buf_free(&cmd);
  free(err);
  free(name);
  free(state);
  free(src);
  free(url);
  free(timeout);
  free(pbin);
  free(pdir);
  free(phost);
  free(pport);
  free(version);
  free(repo);
  return r;
}

#endif
