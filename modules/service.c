/*
 * service.c — the service action and the two modules it runs that are not
 * systemd's: Ansible's service module (its Linux flavour: systemctl where
 * systemd runs, else SysV init scripts with `service` and update-rc.d) and
 * the sysvinit module.
 *
 * The action picks the module as Ansible's does: `use`, else the host's
 * service_mgr fact, else that fact found on the target; systemd runs the
 * systemd module (systemd.c, without the arguments it does not take, with
 * Ansible's warnings), sysvinit the sysvinit module, a manager playc has no
 * module for fails naming it, anything else the service module.
 *
 * Both modules read everything in one request: the tools (Ansible's
 * get_bin_path with its extra folders), the init script, the rc?.d links,
 * and the service's status as the status command (or `systemctl show`, or
 * `ps auxww` for `pattern`) reports it; Ansible's reading of that status
 * (exit codes, then keywords of a one-line output) is done here in C. A
 * second request runs the changes (enable/disable, then start, stop, reload
 * or stop+start), stopping where Ansible's module would fail. Control
 * commands run as Ansible's daemonize runs them: their own session, in /,
 * with only the locale in their environment, output to files (a daemon the
 * script starts keeps its descriptors).
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schemas (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam service_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "state", .type = MP_STR, .choices = "started,stopped,reloaded,restarted"},
    {.name = "sleep", .type = MP_INT},
    {.name = "pattern", .type = MP_STR},
    {.name = "enabled", .type = MP_BOOL},
    {.name = "runlevel", .type = MP_STR, .def = "default"},
    {.name = "arguments", .type = MP_STR, .def = "", .aliases = "args"},
    {.name = "use", .type = MP_STR, .def = "auto"},
};
const ModSchema mod_schema_service = {
    .name = "service",
    .params = service_params,
    .nparams = MOD_N(service_params),
    .one_of = "state,enabled",
    .tools = "service,update-rc.d,systemctl,ps",
    .check_mode = true,
    .diff_mode = false};

static const ModParam sysvinit_params[] = {
    {.name = "name", .type = MP_STR, .required = true, .aliases = "service"},
    {.name = "state", .type = MP_STR, .choices = "started,stopped,restarted,reloaded"},
    {.name = "enabled", .type = MP_BOOL},
    {.name = "sleep", .type = MP_INT, .def = "1"},
    {.name = "pattern", .type = MP_STR},
    {.name = "arguments", .type = MP_STR, .aliases = "args"},
    {.name = "runlevels", .type = MP_LIST, .elements = MP_STR},
    {.name = "daemonize", .type = MP_BOOL, .def = "no"},
};
const ModSchema mod_schema_sysvinit = {
    .name = "sysvinit",
    .params = sysvinit_params,
    .nparams = MOD_N(sysvinit_params),
    .one_of = "state,enabled",
    .tools = "service,update-rc.d,ps",
    .check_mode = true,
    .diff_mode = false};

#ifndef MOD_SCHEMA_ONLY

extern const ModSchema mod_schema_systemd;

/* ---- shared -------------------------------------------------------------------------- */

static const char *const TOOLS[] = {"service", "chkconfig", "update-rc.d", "rc-service", "rc-update", "initctl",
                                    "systemctl", "start", "stop", "restart", "insserv", "ps", "setsid", NULL};

/* The tools' paths as records bin.NAME (get_bin_path with Ansible's extra
 * folders), shell variables b_NAME. */
static void tools_script(RtBuf *s) {
  for (int i = 0; TOOLS[i]; i++) {
    char var[32];
    snprintf(var, sizeof var, "b_%s", TOOLS[i]);
    for (char *p = var; *p; p++)
      if (*p == '-' || *p == '.')
        *p = '_';
    rt_buf_printf(s, "%s=; if pc_bin %s /sbin /usr/sbin /bin /usr/bin; then %s=$pc_v; __playc_rec bin.%s \"$pc_v\"; fi\n",
                  var, TOOLS[i], var, TOOLS[i]);
  }
}

static const char *tool(const RtExec *ex, const char *name) {
  char k[40];
  snprintf(k, sizeof k, "bin.%s", name);
  return mod_rec(ex, k);
}

/* pc_daemon KEY CMD...: Ansible's daemonize: a session of its own, in /,
 * only the locale in the environment; output captured as KEY. */
static const char DAEMON_FN[] =
    "pc_daemon() {\n"
    "  pc_k=$1; shift\n"
    "  (cd / && if [ -n \"$b_setsid\" ]; then exec env -i LANG=\"$pc_loc\" LC_ALL=\"$pc_loc\" LC_MESSAGES=\"$pc_loc\" "
    "\"$b_setsid\" -w \"$@\"; else exec env -i LANG=\"$pc_loc\" LC_ALL=\"$pc_loc\" LC_MESSAGES=\"$pc_loc\" \"$@\"; fi)"
    " >\"$__playc_scr/o\" 2>\"$__playc_scr/e\" </dev/null; pc_r=$?\n"
    "  pc_put \"$pc_k\"; return $pc_r\n"
    "}\n"
    /* pc_env KEY CMD...: run_command with the locale added to the environment */
    "pc_env() { pc_k=$1; shift; LANG=$pc_loc LC_ALL=$pc_loc LC_MESSAGES=$pc_loc pc_cap \"$pc_k\" \"$@\"; }\n";

/* Python's repr() of a str. */
static char *py_repr(const char *s) {
  RtValue *v = rt_strz(s);
  RtBuf b = {0};
  rt_render_repr(&b, v);
  rt_decref(v);
  return rt_buf_take(&b);
}

/* `argv` for "CMD ARGS" where ARGS is shell-like text split as shlex.split. */
static void argv_words(RtBuf *s, const char *args) {
  RtValue *w = args && *args ? mod_py_shlex_split(args) : NULL;
  for (size_t i = 0; w && i < rt_len(w); i++) {
    rt_buf_putc(s, ' ');
    rt_sh_quote(s, rt_list_at(w, i)->u.str.s);
  }
  rt_decref(w);
}

/* Runs a request; false when the host was lost. */
static bool run_req(RtHost *h, RtBuf *s, RtExec *ex) {
  char *err = NULL;
  int rc = rt_host_exec(h, s->data, NULL, 0, ex, &err);
  free(err);
  rt_buf_free(s);
  return rc == 0;
}

/* `ps auxww` lines holding `pattern` (the service module also skips lines
 * holding "pattern="). */
static bool ps_match(const char *psout, const char *pattern, bool skip_self) {
  RtValue *lines = mod_lines(psout, strlen(psout));
  bool found = false;
  for (size_t i = 0; i < rt_len(lines) && !found; i++) {
    const char *l = rt_list_at(lines, i)->u.str.s;
    found = strstr(l, pattern) && !(skip_self && strstr(l, "pattern="));
  }
  rt_decref(lines);
  return found;
}

static char *lower_without(const char *out, const char *name) {
  char *l = rt_xstrdup(out), *n = rt_xstrdup(name);
  for (char *p = l; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  for (char *p = n; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  size_t nl = strlen(n);
  for (const char *p = l; *p;) {
    if (nl && strncmp(p, n, nl) == 0) {
      p += nl;
      continue;
    }
    rt_buf_putc(&b, *p++);
  }
  free(l);
  free(n);
  return rt_buf_take(&b);
}

static int count_nl(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* ---- the service module (LinuxService) --------------------------------------------------- */

typedef struct Svc {
  RtHost *h;
  char *name, *state, *pattern, *runlevel, *arguments;
  int enable; /* -1 not given */
  long long sleep;
  bool has_sleep;
} Svc;

static void svc_probe(RtBuf *s, const Svc *v) {
  mod_ps_sh_begin(s);
  rt_buf_puts(s, "pc_locale\n");
  tools_script(s);
  rt_buf_puts(s, DAEMON_FN);
  mod_sh_set(s, "n", v->name);
  rt_buf_puts(s, "[ ! -f \"/etc/init.d/$n\" ] || __playc_rec initscript \"/etc/init.d/$n\"\n"
                 "sd=0; if [ -n \"$b_systemctl\" ]; then\n"
                 "  for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ ! -e \"$c\" ] || sd=1; done\n"
                 "  if [ $sd = 0 ] && [ -r /proc/1/comm ] && grep -q systemd /proc/1/comm; then sd=1; fi\n"
                 "fi; __playc_rec systemd $sd\n"
                 "[ -z \"$b_initctl\" ] || [ ! -e \"/etc/init/$n.conf\" ] || __playc_rec upstart 1\n"
                 "set +f\n"
                 "for f in /etc/rc?.d/S??\"$n\"; do [ ! -e \"$f\" ] && [ ! -L \"$f\" ] || __playc_rec slinks 1; break; done\n"
                 "for f in /etc/rc?.d/K??\"$n\"; do [ ! -e \"$f\" ] && [ ! -L \"$f\" ] || __playc_rec klinks 1; break; done\n"
                 "[ ! -x \"/etc/init.d/$n\" ] || __playc_rec sysv_x 1\n"
                 "if [ $sd = 1 ]; then :\n");
  if (v->enable >= 0)
    rt_buf_puts(s, "  pc_env isen \"$b_systemctl\" is-enabled \"$n\"\n");
  if (v->state && !v->pattern)
    rt_buf_puts(s, "  pc_env show \"$b_systemctl\" show \"$n\"\n");
  rt_buf_puts(s, "elif [ -n \"$b_service\" ] || [ -f \"/etc/init.d/$n\" ]; then\n");
  if (v->state && !v->pattern) { /* service_control with action status */
    rt_buf_puts(s, "  if [ -n \"$b_service\" ]; then set -- \"$b_service\" \"$n\" status");
    argv_words(s, v->arguments);
    rt_buf_puts(s, "; else set -- \"/etc/init.d/$n\" status");
    argv_words(s, v->arguments);
    rt_buf_puts(s, "; fi\n  pc_daemon st \"$@\"\n");
  }
  rt_buf_puts(s, "  :\nfi\n");
  if (v->state && v->pattern)
    rt_buf_puts(s, "if [ -n \"$b_ps\" ]; then pc_env ps \"$b_ps\" auxww; else pc_nobin ps; fi\n");
}

/* get_systemd_status_dict (the service module's older reading: values that
 * start with '{' run to a line ending with '}'). */
static RtValue *parse_show_old(const char *out) {
  RtValue *d = rt_dict_new(64), *lines = mod_lines(out, strlen(out));
  char *key = NULL;
  RtBuf buf = {0};
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *line = rt_list_at(lines, i)->u.str.s, *eq = strchr(line, '=');
    if (eq && !key) {
      key = rt_xstrndup(line, (size_t)(eq - line));
      const char *val = eq + 1, *vs = val;
      while (isspace((unsigned char)*vs))
        vs++;
      size_t vl = strlen(val);
      while (vl && isspace((unsigned char)val[vl - 1]))
        vl--;
      if (*vs == '{' && !(vl && val[vl - 1] == '}')) {
        rt_buf_puts(&buf, val);
      } else {
        rt_dict_set(d, key, rt_strz(val));
        free(key);
        key = NULL;
      }
    } else if (key) {
      size_t ll = strlen(line);
      while (ll && isspace((unsigned char)line[ll - 1]))
        ll--;
      if (ll && line[ll - 1] == '}') {
        rt_dict_set(d, key, rt_str(buf.data ? buf.data : "", buf.len));
        free(key);
        key = NULL;
        rt_buf_free(&buf);
      }
    }
  }
  free(key);
  rt_buf_free(&buf);
  rt_decref(lines);
  return d;
}

/* ---- the service module's decisions ----------------------------------------------------- */

typedef struct Plan {
  RtBuf script; /* request 2 */
  bool changed, svc_change;
  int running;  /* -1 unknown */
} Plan;

/* service_enable() for systemctl and update-rc.d: fills the plan, or returns
 * the result Ansible exits with (check mode, failure). */
static RtValue *svc_enable(Svc *v, const RtExec *ex, bool systemd, const char *enable_cmd, Plan *p) {
  bool check = v->h->check_mode;
  p->changed = true;
  if (systemd) {
    ModCap c = {0};
    bool enabled;
    mod_ps_cap(ex, "isen", &c);
    if (c.rc == 0)
      enabled = true;
    else if (c.out && strncmp(c.out, "disabled", 8) == 0)
      enabled = false;
    else if (mod_rec(ex, "sysv_x"))
      enabled = mod_rec(ex, "slinks") != NULL;
    else
      enabled = false;
    mod_ps_cap_free(&c);
    if ((v->enable == 1) == enabled) {
      p->changed = false;
      return NULL;
    }
    if (check) {
      RtValue *r = rt_dict_new(1);
      rt_dict_set(r, "changed", rt_bool(true));
      return r;
    }
    rt_buf_printf(&p->script, "pc_env en \"$b_systemctl\" %s \"$n\" || exit 0\n", v->enable ? "enable" : "disable");
    return NULL;
  }
  if (strstr(enable_cmd, "update-rc.d")) {
    bool enabled = mod_rec(ex, "slinks") != NULL;
    if ((v->enable == 1) == enabled) {
      p->changed = false;
      return NULL;
    }
    if (check)
      return NULL;
    if (v->enable && !mod_rec(ex, "klinks"))
      rt_buf_puts(&p->script, "pc_env def \"$b_update_rc_d\" \"$n\" defaults || exit 0\n");
    rt_buf_printf(&p->script, "pc_env en \"$b_update_rc_d\" \"$n\" %s || exit 0\n", v->enable ? "enable" : "disable");
    return NULL;
  }
  return mod_fail_result("playc does not enable services with %s yet", enable_cmd);
}

/* The running state as LinuxService.get_service_status reads it. */
static RtValue *svc_status(Svc *v, const RtExec *ex, bool systemd, Plan *p) {
  p->running = -1;
  if (v->pattern) { /* check_ps */
    ModCap c = {0};
    if (mod_ps_cap(ex, "ps", &c) && c.rc == 0)
      p->running = ps_match(c.out, v->pattern, true);
    mod_ps_cap_free(&c);
    return NULL;
  }
  if (systemd) {
    ModCap c = {0};
    mod_ps_cap(ex, "show", &c);
    RtValue *r = NULL;
    char *rep = py_repr(v->name);
    if (c.rc != 0) {
      r = mod_fail_result("failure %d running systemctl show for %s: %s", c.rc, rep, c.err ? c.err : "");
    } else if (strstr(c.out, "LoadState=not-found")) {
      r = mod_fail_result("systemd could not find the requested service \"%s\": %s", rep, c.err);
    } else {
      RtValue *d = parse_show_old(c.out), *as = rt_dict_get(d, "ActiveState");
      if (!as)
        r = mod_fail_result("No ActiveState value in systemctl show output for %s", rep);
      else
        p->running = strcmp(as->u.str.s, "active") == 0;
      rt_decref(d);
    }
    free(rep);
    mod_ps_cap_free(&c);
    return r;
  }
  ModCap c = {0};
  if (!mod_ps_cap(ex, "st", &c)) {
    mod_ps_cap_free(&c);
    return NULL;
  }
  if (c.rc == 1 || c.rc == 2 || c.rc == 3 || c.rc == 4 || c.rc == 69)
    p->running = 0;
  if (p->running < 0 && count_nl(c.out) <= 1) {
    char *clean = lower_without(c.out, v->name);
    if (strstr(clean, "stop"))
      p->running = 0;
    else if (strstr(clean, "run"))
      p->running = !strstr(clean, "not ");
    else if (strstr(clean, "start") && !strstr(clean, "not "))
      p->running = 1;
    else if (strstr(clean, "could not access pid file") || strstr(clean, "is dead and pid file exists") ||
             strstr(clean, "dead but subsys locked") || strstr(clean, "dead but pid file exists"))
      p->running = 0;
    free(clean);
  }
  if (p->running < 0 && c.rc == 0)
    p->running = 1;
  if (p->running < 0 && strcmp(v->name, "iptables") == 0 && strstr(c.out, "ACCEPT"))
    p->running = 1;
  mod_ps_cap_free(&c);
  return NULL;
}

/* service_control for `action`: "$svc NAME ACTION ARGS" (systemctl: ACTION
 * NAME ARGS); restart is stop then start. */
static void svc_control(Svc *v, bool systemd, const char *action, Plan *p) {
  const char *acts[2] = {action, NULL};
  if (strcmp(action, "restart") == 0) {
    acts[0] = "stop";
    acts[1] = "start";
  }
  for (int i = 0; i < 2 && acts[i]; i++) {
    if (i && v->has_sleep && v->sleep > 0)
      rt_buf_printf(&p->script, "sleep %lld\n", v->sleep);
    if (systemd) {
      rt_buf_printf(&p->script, "set -- \"$b_systemctl\" %s \"$n\"", acts[i]);
    } else {
      rt_buf_printf(&p->script, "if [ -n \"$b_service\" ]; then set -- \"$b_service\" \"$n\" %s; "
                                "else set -- \"/etc/init.d/$n\" %s; fi; set -- \"$@\"",
                    acts[i], acts[i]);
    }
    argv_words(&p->script, v->arguments);
    rt_buf_printf(&p->script, "\npc_daemon c%d \"$@\"\n", i);
  }
}

static RtValue *svc_run(Svc *v) {
  RtHost *h = v->h;
  RtBuf s = {0};
  RtExec ex;
  Plan p = {0};
  RtValue *r = NULL;
  svc_probe(&s, v);
  if (!run_req(h, &s, &ex))
    return NULL;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  bool systemd = mod_rec_is(&ex, "systemd", "1");
  const char *initscript = mod_rec(&ex, "initscript"), *enable_cmd = NULL, *svc_cmd = NULL;
  if (systemd) {
    enable_cmd = svc_cmd = tool(&ex, "systemctl");
  } else if (mod_rec(&ex, "upstart")) {
    r = mod_fail_result("the service %s is managed by upstart, which playc does not drive yet", v->name);
    goto done;
  } else if (tool(&ex, "rc-service")) {
    r = mod_fail_result("the service %s is managed by OpenRC, which playc does not drive yet", v->name);
    goto done;
  } else if (initscript) {
    enable_cmd = tool(&ex, "update-rc.d") ? tool(&ex, "update-rc.d")
                 : tool(&ex, "insserv")   ? tool(&ex, "insserv")
                                          : tool(&ex, "chkconfig");
  }
  if (!enable_cmd) {
    r = mod_fail_result("Could not find the requested service %s: host", v->name);
    goto done;
  }
  if (!svc_cmd && tool(&ex, "service"))
    svc_cmd = tool(&ex, "service");
  if (!svc_cmd && !initscript) {
    r = mod_fail_result("cannot find 'service' binary or init script for service,  possible typo in service name?, "
                        "aborting");
    goto done;
  }
  /* request 2: the tools and the helpers again, then the changes */
  mod_ps_sh_begin(&p.script);
  rt_buf_puts(&p.script, "pc_locale\n");
  tools_script(&p.script);
  rt_buf_puts(&p.script, DAEMON_FN);
  mod_sh_set(&p.script, "n", v->name);
  size_t empty = p.script.len;
  RtValue *res = rt_dict_new(6);
  rt_dict_set(res, "name", rt_strz(v->name));
  if (v->enable >= 0) {
    if ((r = svc_enable(v, &ex, systemd, enable_cmd, &p)) != NULL)
      goto out;
    rt_dict_set(res, "enabled", rt_bool(v->enable == 1));
  }
  if (!v->state) {
    rt_dict_set(res, "changed", rt_bool(p.changed));
  } else {
    rt_dict_set(res, "state", rt_strz(v->state));
    if ((r = svc_status(v, &ex, systemd, &p)) != NULL)
      goto out;
    /* check_service_changed */
    if (p.running < 0) {
      r = mod_fail_result("failed determining service state, possible typo of service name?");
      goto out;
    }
    const char *st = v->state, *action = NULL;
    if (!p.running && (!strcmp(st, "reloaded") || !strcmp(st, "started")))
      p.svc_change = true;
    else if (p.running && (!strcmp(st, "reloaded") || !strcmp(st, "stopped")))
      p.svc_change = true;
    else if (!strcmp(st, "restarted"))
      p.svc_change = true;
    if (h->check_mode && p.svc_change) {
      r = rt_dict_new(2);
      rt_dict_set(r, "changed", rt_bool(true));
      rt_dict_set(r, "msg", rt_strz("service state changed"));
      goto out;
    }
    if (p.svc_change) {
      action = !strcmp(st, "started") || (!p.running && !strcmp(st, "reloaded")) ? "start"
               : !strcmp(st, "stopped")                                          ? "stop"
               : !strcmp(st, "reloaded")                                         ? "reload"
                                                                                 : "restart";
      svc_control(v, systemd, action, &p);
    }
    rt_dict_set(res, "changed", rt_bool(p.changed || p.svc_change));
    rt_dict_set(res, "state", rt_strz(!strcmp(st, "stopped") ? "stopped" : "started"));
  }
  if (p.script.len > empty) { /* request 2 */
    RtExec ex2;
    if (!run_req(h, &p.script, &ex2)) {
      rt_decref(res);
      res = NULL;
      goto out;
    }
    ModCap c = {0};
    RtValue *fail = mod_ps_missing(&ex2);
    if (!fail && (mod_ps_cap(&ex2, "def", &c) && c.rc)) /* update-rc.d defaults */
      fail = mod_fail_result("%s", *c.err ? c.err : c.out);
    mod_ps_cap_free(&c);
    if (!fail && mod_ps_cap(&ex2, "en", &c) && c.rc) {
      const char *act = v->enable ? "enable" : "disable";
      if (systemd || strstr(enable_cmd, "update-rc.d") == NULL)
        fail = *c.err ? mod_fail_result("Error when trying to %s %s: rc=%d %s", act, v->name, c.rc, c.err)
                      : mod_fail_result("Failure for %s %s: rc=%d %s", act, v->name, c.rc, c.out);
      else
        fail = mod_fail_result("%s", *c.err ? c.err : c.out);
    }
    mod_ps_cap_free(&c);
    if (!fail) {
      ModCap c0 = {0}, c1 = {0};
      bool two = mod_ps_cap(&ex2, "c1", &c1);
      if (mod_ps_cap(&ex2, "c0", &c0)) {
        int rc = c0.rc;
        const char *out = c0.out, *err = c0.err;
        char *o2 = NULL, *e2 = NULL;
        if (two) { /* restart: merge as service_control does */
          if (c0.rc != 0 && c1.rc == 0) {
            rc = 0;
            out = c1.out;
            err = c1.err;
          } else {
            rc = c0.rc + c1.rc;
            out = o2 = rt_xasprintf("%s%s", c0.out, c1.out);
            err = e2 = rt_xasprintf("%s%s", c0.err, c1.err);
          }
        }
        if (rc != 0 && !(*err && strstr(err, "Job is already running")))
          fail = mod_fail_result("%s", *err ? err : out);
        free(o2);
        free(e2);
      }
      mod_ps_cap_free(&c0);
      mod_ps_cap_free(&c1);
    }
    rt_exec_free(&ex2);
    if (fail) {
      rt_decref(res);
      res = NULL;
      r = fail;
      goto out;
    }
  }
  r = res;
  res = NULL;
out:
  rt_decref(res);
done:
  rt_buf_free(&p.script);
  rt_exec_free(&ex);
  return r;
}

RtValue *mod_service_module(RtHost *h, RtValue *args);
RtValue *mod_service_module(RtHost *h, RtValue *args) {
  Svc v = {0};
  v.h = h;
  v.name = mod_arg_str(args, "name");
  v.state = mod_arg_str(args, "state");
  v.pattern = mod_arg_str(args, "pattern");
  v.runlevel = mod_arg_str(args, "runlevel");
  v.arguments = mod_arg_str(args, "arguments");
  v.enable = mod_arg_bool(args, "enabled", -1);
  char *err = NULL;
  RtValue *r = NULL;
  v.has_sleep = rt_dict_get(args, "sleep") && rt_kind(rt_dict_get(args, "sleep")) != RT_NONE;
  if (!mod_ps_arg_int(args, "sleep", 0, &v.sleep, &err))
    r = mod_fail_result("%s", err);
  else
    r = svc_run(&v);
  free(err);
  free(v.name);
  free(v.state);
  free(v.pattern);
  free(v.runlevel);
  free(v.arguments);
  return r;
}

/* ---- the sysvinit module ------------------------------------------------------------------ */

typedef struct Sysv {
  RtHost *h;
  char *name, *state, *pattern, *arguments;
  RtValue *runlevels;
  int enable;
  long long sleep;
  bool daemonize;
} Sysv;

static void sysv_probe(RtBuf *s, const Sysv *v, const char *script) {
  mod_ps_sh_begin(s);
  rt_buf_puts(s, "pc_locale\n");
  tools_script(s);
  rt_buf_puts(s, DAEMON_FN);
  mod_sh_set(s, "n", v->name);
  mod_sh_set(s, "sc", script);
  rt_buf_puts(s, "[ ! -e \"$sc\" ] || __playc_rec exists 1\n"
                 "set +f; rcd=/etc; [ -d /etc/rc0.d/ ] || rcd=/etc/init.d\n");
  if (v->runlevels) {
    for (size_t i = 0; i < rt_len(v->runlevels); i++) {
      mod_sh_set(s, "rl", rt_list_at(v->runlevels, i)->u.str.s);
      rt_buf_printf(s, "for f in \"$rcd/rc$rl.d/S\"??\"$n\"; do [ ! -e \"$f\" ] && [ ! -L \"$f\" ] || "
                       "__playc_rec en%zu 1; break; done\n",
                    i);
    }
  } else {
    rt_buf_puts(s, "for f in \"$rcd\"/rc?.d/S??\"$n\"; do [ ! -e \"$f\" ] && [ ! -L \"$f\" ] || __playc_rec en 1; "
                   "break; done\n");
  }
  if (v->pattern) {
    rt_buf_puts(s, "[ -n \"$b_ps\" ] || pc_nobin ps; pc_cap ps \"$b_ps\" auxww\n");
  } else {
    rt_buf_puts(s, "if [ -n \"$b_service\" ]; then pc_cap st \"$b_service\" \"$n\" status; "
                   "else pc_cap st \"$sc\" status; fi\n"
                   "[ -n \"$b_ps\" ] || pc_nobin ps; pc_cap ps \"$b_ps\" auxww\n");
  }
}

static RtValue *null_status(void) {
  RtValue *d = rt_dict_new(4);
  rt_dict_set(d, "changed", rt_bool(false));
  rt_dict_set(d, "rc", rt_none());
  rt_dict_set(d, "stdout", rt_none());
  rt_dict_set(d, "stderr", rt_none());
  return d;
}

static RtValue *sysv_run(Sysv *v) {
  RtHost *h = v->h;
  char *script = v->name[0] == '/' ? rt_xstrdup(v->name) : rt_xasprintf("/etc/init.d/%s", v->name);
  RtBuf s = {0};
  RtExec ex;
  RtValue *r = NULL, *warnings = rt_list_new(1);
  sysv_probe(&s, v, script);
  if (!run_req(h, &s, &ex)) {
    free(script);
    rt_decref(warnings);
    return NULL;
  }
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (!mod_rec(&ex, "exists")) {
    r = mod_fail_result("Could not find the requested service %s: ", v->name);
    goto done;
  }
  /* is it started? */
  bool is_started = false, worked = false;
  ModCap ps = {0}, st = {0};
  mod_ps_cap(&ex, "ps", &ps);
  if (v->pattern) {
    worked = is_started = ps.rc == 0 && ps_match(ps.out, v->pattern, false);
  } else if (mod_ps_cap(&ex, "st", &st)) {
    if (strcmp(v->name, "iptables") == 0 && strstr(st.out, "ACCEPT"))
      worked = is_started = true;
    if (!worked && count_nl(st.out) <= 1) {
      char *clean = lower_without(st.out, v->name);
      static const char *const stopped[] = {"stop", "is dead ", "dead but ", "could not access pid file", "inactive"};
      static const char *const started[] = {"run", "start", "active"};
      for (int i = 0; i < 5 && !worked; i++)
        worked = strstr(clean, stopped[i]) != NULL;
      for (int i = 0; i < 3 && !worked; i++)
        if (strstr(clean, started[i]) && !strstr(clean, "not "))
          worked = is_started = true;
      free(clean);
    }
    if (!worked && (st.rc == 1 || st.rc == 2 || st.rc == 3 || st.rc == 4 || st.rc == 69))
      worked = true;
    if (!worked) {
      if (st.rc == 0) {
        worked = is_started = true;
      } else if (ps.rc == 0 && ps_match(ps.out, v->name, false)) {
        worked = is_started = true;
        rt_list_push(warnings, rt_strz("Used ps output to match service name and determine it is up, this is very "
                                       "unreliable"));
      }
    }
  }
  mod_ps_cap_free(&ps);
  mod_ps_cap_free(&st);
  if (!worked)
    rt_list_push(warnings, rt_strz("Unable to determine if service is up, assuming it is down"));
  r = rt_dict_new(4);
  RtValue *status = rt_dict_new(2), *en = null_status();
  rt_dict_set(r, "name", rt_strz(v->name));
  bool changed = false;
  /* enable/disable */
  RtBuf req = {0};
  mod_ps_sh_begin(&req);
  rt_buf_puts(&req, "pc_locale\n");
  tools_script(&req);
  rt_buf_puts(&req, DAEMON_FN);
  mod_sh_set(&req, "n", v->name);
  mod_sh_set(&req, "sc", script);
  size_t empty = req.len;
  if (v->runlevels) {
    rt_dict_set(en, "runlevels", rt_incref(v->runlevels));
    for (size_t i = 0; i < rt_len(v->runlevels); i++) {
      char k[24];
      snprintf(k, sizeof k, "en%zu", i);
      if ((v->enable == 1) != (mod_rec(&ex, k) != NULL))
        changed = true;
    }
  } else if (v->enable >= 0 && (v->enable == 1) != (mod_rec(&ex, "en") != NULL)) {
    changed = true;
  }
  rt_dict_set(en, "changed", rt_bool(changed));
  if (!h->check_mode && changed) {
    RtBuf rl = {0}, rl2 = {0};
    for (size_t i = 0; v->runlevels && i < rt_len(v->runlevels); i++) {
      rt_buf_puts(&rl, " ");
      rt_sh_quote(&rl, rt_list_at(v->runlevels, i)->u.str.s);
      rt_buf_puts(&rl2, rt_list_at(v->runlevels, i)->u.str.s);
    }
    const char *on = v->enable == 1 ? (v->runlevels ? "enable" : "defaults") : "disable";
    rt_buf_printf(&req, "if [ -n \"$b_update_rc_d\" ]; then pc_cap en \"$b_update_rc_d\" \"$n\" %s%s\n", on,
                  v->runlevels ? rl.data : "");
    rt_buf_printf(&req, "elif [ -n \"$b_chkconfig\" ]; then pc_cap en \"$b_chkconfig\"");
    if (v->runlevels) {
      rt_buf_puts(&req, " --level ");
      rt_sh_quote(&req, rl2.data ? rl2.data : "");
    }
    rt_buf_printf(&req, " \"$n\" %s; fi\n", v->enable == 1 ? "on" : "off");
    rt_buf_free(&rl);
    rt_buf_free(&rl2);
  }
  /* state */
  const char *sk = v->state ? v->state : "null";
  RtValue *sd = null_status();
  char *action = NULL;
  bool state_changed = false;
  if (v->state) {
    /* re.sub(r'p?ed$', '', state) */
    action = rt_xstrdup(v->state);
    size_t n = strlen(action);
    if (n >= 2 && !strcmp(action + n - 2, "ed")) {
      action[n - 2] = 0;
      if (n >= 3 && action[n - 3] == 'p')
        action[n - 3] = 0;
    }
    bool is_start = !strcmp(action, "start");
    const char *run1[2] = {NULL, NULL};
    if (!strcmp(action, "restart")) {
      state_changed = true;
      run1[0] = "stop";
      run1[1] = "start";
    } else if (is_started != is_start || is_started == !strcmp(action, "stop")) {
      state_changed = true;
      run1[0] = action;
    }
    if (state_changed) {
      changed = true;
      if (!h->check_mode)
        for (int i = 0; i < 2 && run1[i]; i++) {
          rt_buf_printf(&req, "set -- \"$sc\" %s", run1[i]);
          argv_words(&req, v->arguments);
          rt_buf_printf(&req, "\n%s s%d \"$@\" || exit 0\n", v->daemonize ? "pc_daemon" : "pc_cap", i);
          if (!strcmp(action, "restart") && v->sleep > 0)
            rt_buf_printf(&req, "sleep %lld\n", v->sleep);
        }
    }
  }
  rt_dict_set(sd, "changed", rt_bool(state_changed));
  if (req.len > empty) {
    RtExec ex2;
    if (!run_req(h, &req, &ex2)) {
      rt_decref(r);
      r = NULL;
      rt_decref(en);
      rt_decref(sd);
      rt_decref(status);
      free(action);
      goto done;
    }
    ModCap c = {0};
    if (mod_ps_cap(&ex2, "en", &c)) {
      rt_dict_set(en, "rc", rt_int(c.rc));
      rt_dict_set(en, "stdout", rt_strz(c.out));
      rt_dict_set(en, "stderr", rt_strz(c.err));
      if (strstr(c.err, "illegal runlevel specified")) {
        rt_decref(r);
        r = mod_fail_result("Illegal runlevel specified for enable operation on service %s", v->name);
        rt_dict_set(r, "name", rt_strz(v->name));
        rt_dict_set(status, "enabled", en);
        rt_dict_set(r, "status", status);
        rt_dict_set(r, "changed", rt_bool(changed));
        en = status = NULL;
        mod_ps_cap_free(&c);
        rt_exec_free(&ex2);
        rt_decref(sd);
        free(action);
        goto done;
      }
    }
    mod_ps_cap_free(&c);
    for (int i = 0; i < 2; i++) {
      char k[8];
      snprintf(k, sizeof k, "s%d", i);
      if (!mod_ps_cap(&ex2, k, &c))
        continue;
      if (c.rc != 0) { /* runme: fail_json */
        rt_decref(r);
        r = mod_fail_result("Failed to %s service: %s", action, v->name);
        rt_dict_set(r, "rc", rt_int(c.rc));
        mod_ps_out(r, c.out, c.err);
        mod_ps_cap_free(&c);
        rt_exec_free(&ex2);
        rt_decref(en);
        rt_decref(sd);
        rt_decref(status);
        free(action);
        goto done;
      }
      rt_dict_set(sd, "rc", rt_int(c.rc));
      rt_dict_set(sd, "stdout", rt_strz(c.out));
      rt_dict_set(sd, "stderr", rt_strz(c.err));
      mod_ps_cap_free(&c);
    }
    rt_exec_free(&ex2);
  }
  rt_buf_free(&req);
  free(action);
  rt_dict_set(status, "enabled", en);
  rt_dict_set(status, sk, sd);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "status", status);
  if (rt_len(warnings))
    rt_dict_set(r, "warnings", rt_incref(warnings));
done:
  rt_exec_free(&ex);
  rt_decref(warnings);
  free(script);
  return r;
}

RtValue *mod_sysvinit(RtHost *h, RtValue *args) {
  Sysv v = {0};
  v.h = h;
  char *err = NULL;
  RtValue *r = NULL;
  v.name = mod_arg_str(args, "name");
  v.state = mod_arg_str(args, "state");
  v.pattern = mod_arg_str(args, "pattern");
  v.arguments = mod_arg_str(args, "arguments");
  v.enable = mod_arg_bool(args, "enabled", -1);
  v.daemonize = mod_arg_bool(args, "daemonize", 0) == 1;
  v.runlevels = mod_ps_arg_list(args, "runlevels", &err);
  if (!err)
    mod_ps_arg_int(args, "sleep", 1, &v.sleep, &err);
  r = err ? mod_fail_result("%s", err) : sysv_run(&v);
  free(err);
  free(v.name);
  free(v.state);
  free(v.pattern);
  free(v.arguments);
  rt_decref(v.runlevels);
  return r;
}

/* ---- the service action ------------------------------------------------------------------- */

/* service_mgr found on the target; NULL when the host was lost. */
static char *detect(RtHost *h, RtValue **fail) {
  RtBuf s = {0};
  mod_ps_sh_begin(&s);
  mod_ps_sh_service_mgr(&s);
  RtExec ex;
  char *m = NULL;
  if (!run_req(h, &s, &ex))
    return NULL;
  if (!(*fail = mod_ps_missing(&ex)))
    m = rt_xstrdup(mod_rec(&ex, "service_mgr") ? mod_rec(&ex, "service_mgr") : "auto");
  rt_exec_free(&ex);
  return m;
}

RtValue *mod_service(RtHost *h, RtValue *args) {
  char *use = mod_arg_str(args, "use");
  RtValue *r = NULL, *a = NULL;
  if (use)
    for (char *p = use; *p; p++)
      *p = (char)tolower((unsigned char)*p);
  if (!use || strcmp(use, "auto") == 0) {
    free(use);
    const char *f = mod_ps_fact(h, "service_mgr");
    use = f ? rt_xstrdup(f) : detect(h, &r);
    if (!use)
      return r;
  }
  if (!strcmp(use, "systemd")) { /* without the arguments systemd does not take */
    static const char *const unused[] = {"pattern", "runlevel", "sleep", "arguments", "args", NULL};
    RtValue *w = rt_list_new(1), *c = rt_dict_copy(args);
    for (int i = 0; unused[i]; i++)
      if (rt_dict_get(c, unused[i])) {
        rt_dict_del(c, unused[i]);
        rt_out_warning(h->run, "Ignoring \"%s\" as it is not used in \"systemd\"", unused[i]);
      }
    rt_decref(w);
    if ((a = mod_ps_args_for(&mod_schema_systemd, "ansible.legacy.systemd", c, "use", &r)) != NULL)
      r = mod_systemd(h, a);
    rt_decref(c);
  } else if (!strcmp(use, "sysvinit")) {
    if ((a = mod_ps_args_for(&mod_schema_sysvinit, "ansible.legacy.sysvinit", args, "use", &r)) != NULL)
      r = mod_sysvinit(h, a);
  } else if (!strcmp(use, "openwrt_init") || !strcmp(use, "runit") || !strcmp(use, "svc") ||
             !strcmp(use, "launchd") || !strcmp(use, "s6")) {
    r = mod_fail_result("the service manager '%s' is not supported by playc yet (its service action can use systemd, "
                        "sysvinit and the service module)",
                        use);
  } else {
    if ((a = mod_ps_args_for(&mod_schema_service, "ansible.legacy.service", args, "use", &r)) != NULL)
      r = mod_service_module(h, a);
  }
  rt_decref(a);
  free(use);
  return r;
}

#endif
