/*
 * systemd.c — the systemd module and its newer name, systemd_service: the
 * unit's state from `systemctl show` (parsed here by Ansible's rules),
 * is-enabled and list-unit-files as Ansible falls back to them, the SysV
 * script and rc?.d links for units that are init scripts, then mask/unmask,
 * enable/disable and start/stop/restart/reload as Ansible decides them.
 *
 * Request 1 runs daemon-reload/daemon-reexec when asked (Ansible runs them
 * first, whatever follows) and every query; request 2 runs the changes in
 * Ansible's order, stopping where its module would fail. Without a running
 * systemd (`systemctl show` fails), the results are Ansible's on such a
 * host: is-enabled and enable/disable work on unit files, a state change
 * fails with "Service is in unknown state" unless the target is a chroot or
 * SYSTEMD_OFFLINE=1, where it warns.
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam systemd_params[] = {
    {.name = "name", .type = MP_STR, .aliases = "service,unit"},
    {.name = "state", .type = MP_STR, .choices = "reloaded,restarted,started,stopped"},
    {.name = "enabled", .type = MP_BOOL},
    {.name = "force", .type = MP_BOOL},
    {.name = "masked", .type = MP_BOOL},
    {.name = "daemon_reload", .type = MP_BOOL, .def = "no", .aliases = "daemon-reload"},
    {.name = "daemon_reexec", .type = MP_BOOL, .def = "no", .aliases = "daemon-reexec"},
    {.name = "scope", .type = MP_STR, .choices = "system,user,global", .def = "system"},
    {.name = "no_block", .type = MP_BOOL, .def = "no"},
};
const ModSchema mod_schema_systemd = {
    .name = "systemd",
    .params = systemd_params,
    .nparams = MOD_N(systemd_params),
    .one_of = "state,enabled,masked,daemon_reload,daemon_reexec",
    /* required_by state/enabled/masked → name: checked by the module */
    .tools = "systemctl",
    .check_mode = true,
    .diff_mode = false};
const ModSchema mod_schema_systemd_service = {
    .name = "systemd_service",
    .params = systemd_params,
    .nparams = MOD_N(systemd_params),
    .one_of = "state,enabled,masked,daemon_reload,daemon_reexec",
    .tools = "systemctl",
    .check_mode = true,
    .diff_mode = false};

#ifndef MOD_SCHEMA_ONLY

/* parse_systemctl_show: key=value lines; only Exec* values that open with
 * '{' may run over several lines, to one ending with '}'. */
static RtValue *parse_show(const char *out) {
  RtValue *d = rt_dict_new(64);
  /* split('\n'), not splitlines */
  char *copy = rt_xstrdup(out), *k = NULL;
  RtBuf multi = {0};
  bool have_multi = false;
  for (char *line = copy, *next; line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = 0;
    if (!k) {
      char *eq = strchr(line, '=');
      if (!eq)
        continue;
      k = rt_xstrndup(line, (size_t)(eq - line));
      const char *v = eq + 1, *vs = v;
      while (isspace((unsigned char)*vs))
        vs++;
      size_t vl = strlen(v);
      while (vl && isspace((unsigned char)v[vl - 1]))
        vl--;
      if (strncmp(k, "Exec", 4) == 0 && *vs == '{' && !(vl && v[vl - 1] == '}')) {
        rt_buf_puts(&multi, v);
        have_multi = true;
        continue;
      }
      size_t sl = (size_t)(v + vl - vs);
      rt_dict_set(d, k, rt_str(vs, vl ? sl : 0));
      free(k);
      k = NULL;
    } else {
      rt_buf_printf(&multi, "%s%s", have_multi ? "\n" : "", line);
      size_t ll = strlen(line);
      while (ll && isspace((unsigned char)line[ll - 1]))
        ll--;
      if (ll && line[ll - 1] == '}') {
        const char *t = multi.data, *e = multi.data + multi.len;
        while (t < e && isspace((unsigned char)*t))
          t++;
        while (e > t && isspace((unsigned char)e[-1]))
          e--;
        rt_dict_set(d, k, rt_str(t, (size_t)(e - t)));
        free(k);
        k = NULL;
        rt_buf_free(&multi);
        have_multi = false;
      }
    }
  }
  free(k);
  rt_buf_free(&multi);
  free(copy);
  return d;
}

static bool request_was_ignored(const char *out) {
  return !strchr(out, '=') && (strstr(out, "ignoring request") || strstr(out, "ignoring command"));
}

typedef struct Sd {
  RtHost *h;
  char *unit, *state, *scope;
  int enabled, masked, force;
  bool daemon_reload, daemon_reexec, no_block;
  RtBuf opts; /* " --user --no-block --force" as Ansible appends them */
} Sd;

/* `set -- "$sc" OPTIONS...` then the rest of a command line */
static void sc_cmd(RtBuf *s, const Sd *d, const char *key, const char *words, bool unit) {
  rt_buf_puts(s, "set -- \"$sc\"");
  RtValue *o = mod_py_shlex_split(d->opts.data ? d->opts.data : "");
  for (size_t i = 0; o && i < rt_len(o); i++) {
    rt_buf_putc(s, ' ');
    rt_sh_quote(s, rt_list_at(o, i)->u.str.s);
  }
  rt_decref(o);
  rt_buf_printf(s, " %s%s\npc_cap %s \"$@\"", words, unit ? " \"$u\"" : "", key);
}

static void begin(RtBuf *s, const Sd *d) {
  mod_ps_sh_begin(s);
  mod_ps_sh_need(s, "sc", "systemctl");
  rt_buf_puts(s, "__playc_rec sc \"$sc\"\n");
  rt_buf_puts(s, "[ -n \"${XDG_RUNTIME_DIR+x}\" ] || { XDG_RUNTIME_DIR=/run/user/$(id -u); export XDG_RUNTIME_DIR; }\n");
  if (d->unit)
    mod_sh_set(s, "u", d->unit);
}

static void probe(RtBuf *s, const Sd *d, bool check) {
  begin(s, d);
  if (d->daemon_reload && !check) {
    sc_cmd(s, d, "reload", "daemon-reload", false);
    rt_buf_puts(s, " || exit 0\n");
  }
  if (d->daemon_reexec && !check) {
    sc_cmd(s, d, "reexec", "daemon-reexec", false);
    rt_buf_puts(s, " || exit 0\n");
  }
  if (!d->unit)
    return;
  rt_buf_puts(s, "case $u in /*) is=$u;; *) is=/etc/init.d/$u;; esac\n"
                 "[ ! -e \"$is\" ] || __playc_rec initd 1\n");
  sc_cmd(s, d, "show", "show", true);
  rt_buf_puts(s, "\n");
  sc_cmd(s, d, "isen", "is-enabled", true);
  rt_buf_puts(s, "\n");
  sc_cmd(s, d, "isenl", "is-enabled", true);
  rt_buf_puts(s, " -l\n");
  sc_cmd(s, d, "luf", "list-unit-files", true);
  rt_buf_puts(s, "\n");
  sc_cmd(s, d, "bare", "", false);
  rt_buf_puts(s, "\n"
                 "set +f; rcd=/etc; [ -d /etc/rc0.d/ ] || rcd=/etc/init.d\n"
                 "for f in \"$rcd\"/rc?.d/S??\"$u\"; do [ ! -e \"$f\" ] && [ ! -L \"$f\" ] || __playc_rec sysv_on 1; break; done\n"
                 /* is_chroot */
                 "if [ -n \"${debian_chroot-}\" ]; then __playc_rec chroot 1\n"
                 "elif r1=$(stat -L -c %i:%d / 2>/dev/null) && r2=$(stat -L -c %i:%d /proc/1/root/. 2>/dev/null); then\n"
                 "  [ \"$r1\" = \"$r2\" ] || __playc_rec chroot 1\n"
                 "else ino=2; case $(stat -f --format=%T / 2>/dev/null) in *btrfs*) ino=256;; *xfs*) ino=128;; esac\n"
                 "  [ \"$(stat -c %i /)\" = $ino ] || __playc_rec chroot 1; fi\n"
                 "[ \"${SYSTEMD_OFFLINE-}\" != 1 ] || __playc_rec offline 1\n");
}

static const char *const VALID_ENABLED[] = {"enabled", "enabled-runtime", "linked", "linked-runtime", "masked",
                                            "masked-runtime", "static", "indirect", "disabled", "generated",
                                            "transient", NULL};

static char *strip(const char *s) {
  while (*s && isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return rt_xstrndup(s, n);
}

static RtValue *sd_run(Sd *d) {
  RtHost *h = d->h;
  bool check = h->check_mode;
  RtBuf s = {0};
  RtExec ex;
  RtValue *r = NULL, *warnings = rt_list_new(1), *status = rt_dict_new(0);
  ModCap c = {0};
  probe(&s, d, check);
  char *xerr = NULL;
  int xrc = rt_host_exec(h, s.data, NULL, 0, &ex, &xerr);
  free(xerr);
  rt_buf_free(&s);
  if (xrc < 0) { /* unreachable or interrupted: no result */
    rt_decref(warnings);
    rt_decref(status);
    return NULL;
  }
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_ps_cap(&ex, "reload", &c) && c.rc != 0) {
    r = mod_fail_result("failure %d during daemon-reload: %s", c.rc, c.err);
    goto done;
  }
  mod_ps_cap_free(&c);
  if (mod_ps_cap(&ex, "reexec", &c) && c.rc != 0) {
    r = mod_fail_result("failure %d during daemon-reexec: %s", c.rc, c.err);
    goto done;
  }
  mod_ps_cap_free(&c);
  r = rt_dict_new(6);
  rt_dict_set(r, "name", d->unit ? rt_strz(d->unit) : rt_none());
  rt_dict_set(r, "changed", rt_bool(false));
  if (!d->unit)
    goto out;
  bool is_initd = mod_rec(&ex, "initd") != NULL, is_systemd = false;
  mod_ps_cap(&ex, "show", &c);
  if (c.rc == 0 && !request_was_ignored(c.out) && !request_was_ignored(c.err)) {
    if (*c.out) {
      rt_decref(status);
      status = parse_show(c.out);
      RtValue *ls = rt_dict_get(status, "LoadState");
      is_systemd = ls && strcmp(ls->u.str.s, "not-found") != 0;
      bool is_masked = ls && strcmp(ls->u.str.s, "masked") == 0;
      RtValue *le = rt_dict_get(status, "LoadError");
      if (is_systemd && !is_masked && le) {
        rt_decref(r);
        r = mod_fail_result("Error loading unit file '%s': %s", d->unit, le->u.str.s);
        goto done;
      }
    }
  } else if (*c.err && c.rc == 1 && strstr(c.err, "Failed to parse bus message")) {
    rt_decref(r);
    r = mod_fail_result("systemctl cannot read the bus on this host (a case playc does not handle yet)");
    goto done;
  } else {
    ModCap e = {0};
    mod_ps_cap(&ex, "isen", &e);
    char *o = strip(e.out ? e.out : "");
    for (int i = 0; VALID_ENABLED[i] && !is_systemd; i++)
      is_systemd = strcmp(o, VALID_ENABLED[i]) == 0;
    free(o);
    mod_ps_cap_free(&e);
    if (!is_systemd) {
      mod_ps_cap(&ex, "luf", &e);
      if (e.rc == 0) {
        is_systemd = true;
      } else {
        ModCap b = {0};
        mod_ps_cap(&ex, "bare", &b);
        if (b.rc != 0) { /* run_command(systemctl, check_rc=True) */
          size_t n = strlen(b.err);
          while (n && isspace((unsigned char)b.err[n - 1]))
            n--;
          rt_decref(r);
          r = mod_fail_result("%.*s", (int)n, b.err);
          rt_dict_set(r, "cmd", rt_strz(mod_rec(&ex, "sc") ? mod_rec(&ex, "sc") : "systemctl"));
          rt_dict_set(r, "rc", rt_int(b.rc));
          mod_ps_out(r, b.out, b.err);
          mod_ps_cap_free(&b);
          mod_ps_cap_free(&e);
          goto done;
        }
        mod_ps_cap_free(&b);
      }
      mod_ps_cap_free(&e);
    }
  }
  mod_ps_cap_free(&c);
  bool found = is_systemd || is_initd;
  if (is_initd && !is_systemd) {
    char *w = rt_xasprintf("The service (%s) is actually an init script but the system is managed by systemd",
                           d->unit);
    rt_list_push(warnings, rt_str_take(w, strlen(w)));
  }
  char *missing = rt_xasprintf("Could not find the requested service %s: host", d->unit);
  /* request 2: the changes, in Ansible's order */
  RtBuf req = {0};
  begin(&req, d);
  size_t empty = req.len;
  bool fail_missing = false;
  if (d->masked >= 0) {
    ModCap e = {0};
    mod_ps_cap(&ex, "isen", &e);
    char *o = strip(e.out ? e.out : "");
    bool masked = strcmp(o, "masked") == 0;
    free(o);
    mod_ps_cap_free(&e);
    if (masked != (d->masked == 1)) {
      rt_dict_set(r, "changed", rt_bool(true));
      if (!check) {
        sc_cmd(&req, d, "mask", d->masked == 1 ? "mask" : "unmask", true);
        rt_buf_printf(&req, " || %s\n", found ? ":" : "exit 0");
      }
    }
  }
  if (d->enabled >= 0 && !fail_missing) {
    if (!found) {
      fail_missing = true;
    } else {
      ModCap e = {0};
      bool en = false;
      mod_ps_cap(&ex, "isenl", &e);
      if (e.rc == 0) {
        RtValue *lines = mod_lines(e.out, strlen(e.out));
        en = !(rt_len(lines) == 1 && (!strcmp(rt_list_at(lines, 0)->u.str.s, "indirect") ||
                                      !strcmp(rt_list_at(lines, 0)->u.str.s, "alias")));
        rt_decref(lines);
      } else if (e.rc == 1) {
        char *o = strip(e.out);
        size_t ol = strlen(o);
        if (strcmp(d->scope, "system") == 0 && is_initd && !(ol >= 8 && !strcmp(o + ol - 8, "disabled")) &&
            mod_rec(&ex, "sysv_on"))
          en = true;
        free(o);
      }
      mod_ps_cap_free(&e);
      rt_dict_set(r, "enabled", rt_bool(en));
      if (en != (d->enabled == 1)) {
        rt_dict_set(r, "changed", rt_bool(true));
        if (!check) {
          sc_cmd(&req, d, "en", d->enabled == 1 ? "enable" : "disable", true);
          rt_buf_puts(&req, " || exit 0\n");
        }
        rt_dict_set(r, "enabled", rt_bool(!en));
      }
    }
  }
  const char *action = NULL;
  if (d->state && !fail_missing) {
    if (!found) {
      fail_missing = true;
    } else {
      rt_dict_set(r, "state", rt_strz(d->state));
      RtValue *as = rt_dict_get(status, "ActiveState");
      if (as) {
        const char *a = as->u.str.s;
        bool running = !strcmp(a, "active") || !strcmp(a, "activating");
        if (!strcmp(d->state, "started")) {
          if (!running)
            action = "start";
        } else if (!strcmp(d->state, "stopped")) {
          if (running || !strcmp(a, "deactivating"))
            action = "stop";
        } else {
          action = !running ? "start" : !strcmp(d->state, "restarted") ? "restart" : "reload";
          rt_dict_set(r, "state", rt_strz("started"));
        }
        if (action) {
          rt_dict_set(r, "changed", rt_bool(true));
          if (!check) {
            sc_cmd(&req, d, "act", action, true);
            rt_buf_puts(&req, "\n");
          }
        }
      } else if (mod_rec(&ex, "chroot") || mod_rec(&ex, "offline")) {
        rt_list_push(warnings, rt_strz("Target is a chroot or systemd is offline. This can lead to false positives or "
                                       "prevent the init system tools from working."));
      } else {
        rt_decref(r);
        r = mod_fail_result("Service is in unknown state");
        rt_dict_set(r, "status", rt_incref(status));
        free(missing);
        rt_buf_free(&req);
        goto done;
      }
    }
  }
  if (req.len > empty) {
    RtExec ex2;
    char *err = NULL;
    int rc = rt_host_exec(h, req.data, NULL, 0, &ex2, &err);
    free(err);
    if (rc < 0) {
      rt_decref(r);
      r = NULL;
      free(missing);
      rt_buf_free(&req);
      goto done;
    }
    ModCap e = {0};
    RtValue *fail = mod_ps_missing(&ex2);
    if (!fail && mod_ps_cap(&ex2, "mask", &e) && e.rc != 0 && !found)
      fail = mod_fail_result("%s", missing);
    mod_ps_cap_free(&e);
    if (!fail && mod_ps_cap(&ex2, "en", &e) && e.rc != 0)
      fail = mod_fail_result("Unable to %s service %s: %s%s", d->enabled == 1 ? "enable" : "disable", d->unit, e.out,
                             e.err);
    mod_ps_cap_free(&e);
    if (!fail && mod_ps_cap(&ex2, "act", &e) && e.rc != 0)
      fail = mod_fail_result("Unable to %s service %s: %s", action, d->unit, e.err);
    mod_ps_cap_free(&e);
    rt_exec_free(&ex2);
    if (fail) {
      rt_decref(r);
      r = fail;
      free(missing);
      rt_buf_free(&req);
      goto done;
    }
  }
  rt_buf_free(&req);
  if (fail_missing) {
    rt_decref(r);
    r = mod_fail_result("%s", missing);
    free(missing);
    goto done;
  }
  free(missing);
out:
  rt_dict_set(r, "status", rt_incref(status));
  if (rt_len(warnings))
    rt_dict_set(r, "warnings", rt_incref(warnings));
done:
  mod_ps_cap_free(&c);
  rt_exec_free(&ex);
  rt_decref(warnings);
  rt_decref(status);
  return r;
}

static RtValue *systemd_main(RtHost *h, RtValue *args) {
  Sd d = {0};
  d.h = h;
  d.unit = mod_arg_str(args, "name");
  d.state = mod_arg_str(args, "state");
  d.scope = mod_arg_str(args, "scope");
  if (!d.scope)
    d.scope = rt_xstrdup("system");
  d.enabled = mod_arg_bool(args, "enabled", -1);
  d.masked = mod_arg_bool(args, "masked", -1);
  d.force = mod_arg_bool(args, "force", -1);
  d.daemon_reload = mod_arg_bool(args, "daemon_reload", 0) == 1;
  d.daemon_reexec = mod_arg_bool(args, "daemon_reexec", 0) == 1;
  d.no_block = mod_arg_bool(args, "no_block", 0) == 1;
  RtValue *r = NULL;
  /* required_by: state, enabled, masked need name */
  const char *need = d.state ? "state" : d.enabled >= 0 ? "enabled" : d.masked >= 0 ? "masked" : NULL;
  if (need && !d.unit) {
    r = mod_fail_result("missing parameter(s) required by '%s': name", need);
    goto done;
  }
  if (d.unit && strpbrk(d.unit, "*?[")) {
    const char *g = strchr(d.unit, '*') ? "*" : strchr(d.unit, '?') ? "?" : "[";
    r = mod_fail_result("This module does not currently support using glob patterns, found '%s' in service name: %s",
                        g, d.unit);
    goto done;
  }
  if (strcmp(d.scope, "system") != 0)
    rt_buf_printf(&d.opts, " --%s", d.scope);
  if (d.no_block)
    rt_buf_puts(&d.opts, " --no-block");
  if (d.force == 1)
    rt_buf_puts(&d.opts, " --force");
  r = sd_run(&d);
done:
  rt_buf_free(&d.opts);
  free(d.unit);
  free(d.state);
  free(d.scope);
  return r;
}

RtValue *mod_systemd(RtHost *h, RtValue *args) { return systemd_main(h, args); }
RtValue *mod_systemd_service(RtHost *h, RtValue *args) { return systemd_main(h, args); }

#endif
