/*
 * service_facts.c — the service_facts module: ansible_facts.services as
 * Ansible's scanners build it on Linux, from one request. SysV: `service
 * --status-all` ("[ + ]  name" lines, read with Ansible's pattern); upstart:
 * `initctl list`; systemd (when /proc/1/comm names it): `systemctl
 * list-units` and `list-unit-files`, and `systemctl show UNIT
 * --property=ActiveState` for the unit files list-units did not show (the
 * request picks them as Ansible does, so one request suffices). The tools'
 * output is parsed here by Ansible's rules; Red Hat's chkconfig and OpenRC
 * listings fail the task naming the tool (not implemented yet).
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
const ModSchema mod_schema_service_facts = {
    .name = "service_facts",
    .params = NULL,
    .nparams = 0,
    .tools = "service,systemctl",
    .check_mode = true,
    .diff_mode = false};

#ifndef MOD_SCHEMA_ONLY

static const char SCRIPT[] =
    "pc_locale; LANG=$pc_loc; LC_ALL=$pc_loc; export LANG LC_ALL\n"
    "for t in service chkconfig initctl rc-status rc-update; do\n"
    "  if pc_bin \"$t\"; then __playc_rec \"bin.$t\" \"$pc_v\"; fi\n"
    "done\n"
    "pc_bin service && sv=$pc_v || sv=; pc_bin chkconfig && ck=$pc_v || ck=; pc_bin initctl && ic=$pc_v || ic=\n"
    "pc_bin rc-status && rs=$pc_v || rs=\n"
    "if [ -n \"$sv\" ] && [ -z \"$ck\" ] && [ -z \"$rs\" ]; then pc_cap sysv \"$sv\" --status-all\n"
    "  [ -e /etc/init.d ] || __playc_rec noinitd 1; fi\n"
    "if [ -n \"$ic\" ] && [ -z \"$ck\" ]; then pc_cap upstart \"$ic\" list; fi\n"
    /* systemd, when it is PID 1 */
    "if [ -r /proc/1/comm ] && grep -q systemd /proc/1/comm && pc_bin systemctl /usr/bin /usr/local/bin; then\n"
    "  sc=$pc_v\n"
    "  pc_cap lu /bin/sh -c \"$sc list-units --no-pager --type service --all\"\n"
    "  names=\n"
    "  if [ \"$pc_r\" = 0 ]; then while IFS= read -r l; do case $l in *.service*)\n"
    "    set -f; set -- $l; set +f\n"
    "    case \" $* \" in *' not-found '*|*' masked '*|*' failed '*) shift;; esac\n"
    "    names=\"$names\n$1\";; esac; done < \"$__playc_scr/o\"; fi\n"
    "  pc_cap luf /bin/sh -c \"$sc list-unit-files --no-pager --type service --all\"\n"
    "  if [ \"$pc_r\" = 0 ]; then cp \"$__playc_scr/o\" \"$__playc_scr/luf\"\n"
    "    while IFS= read -r l; do case $l in *.service*)\n"
    "      set -f; set -- $l; set +f\n"
    "      case \"$names\n\" in *\"\n$1\n\"*) ;; *)\n"
    "        names=\"$names\n$1\"\n"
    "        if o=$(/bin/sh -c \"$sc show $1 --property=ActiveState\"); then __playc_rec \"show.$1\" \"$o.\"; "
    "else __playc_rec \"show.$1\" \"\"; fi;; esac;; esac\n"
    "    done < \"$__playc_scr/luf\"\n"
    "  fi\n"
    "fi\n";

static RtValue *svc(const char *name, const char *state, const char *status, const char *source) {
  RtValue *d = rt_dict_new(4);
  rt_dict_set(d, "name", rt_strz(name));
  rt_dict_set(d, "state", rt_strz(state));
  if (status)
    rt_dict_set(d, "status", rt_strz(status));
  rt_dict_set(d, "source", rt_strz(source));
  return d;
}

/* _list_sysvinit: ^\s*\[ (\+|\-) \]\s+(.+)$ on each line */
static void list_sysv(RtValue *services, const char *out) {
  RtValue *lines = mod_lines(out, strlen(out));
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = rt_list_at(lines, i)->u.str.s;
    while (isspace((unsigned char)*l))
      l++;
    if (strncmp(l, "[ ", 2) != 0 || (l[2] != '+' && l[2] != '-') || strncmp(l + 3, " ]", 2) != 0)
      continue;
    const char *n = l + 5;
    if (!isspace((unsigned char)*n))
      continue;
    while (isspace((unsigned char)*n))
      n++;
    if (!*n) /* \s+ may give back one character to .+ */
      continue;
    rt_dict_set(services, n, svc(n, l[2] == '+' ? "running" : "stopped", NULL, "sysv"));
  }
  rt_decref(lines);
}

/* _list_upstart: ^\s?(.*)\s(\w+)\/(\w+)(\,\sprocess\s([0-9]+))?\s*$ */
static void list_upstart(RtValue *services, const char *out) {
  RtValue *lines = mod_lines(out, strlen(out));
  for (size_t i = 0; i < rt_len(lines); i++) {
    char *l = rt_xstrdup(rt_list_at(lines, i)->u.str.s);
    char *slash = strrchr(l, '/');
    if (slash) {
      char *gs = slash, *sp;
      while (gs > l && (isalnum((unsigned char)gs[-1]) || gs[-1] == '_'))
        gs--;
      sp = gs > l ? gs - 1 : NULL;
      char *st = slash + 1, *se = st;
      while (isalnum((unsigned char)*se) || *se == '_')
        se++;
      if (sp && isspace((unsigned char)*sp) && gs < slash && se > st) {
        char *name = l + (isspace((unsigned char)l[0]) ? 1 : 0);
        *sp = 0;
        char *goal = rt_xstrndup(gs, (size_t)(slash - gs)), *state = rt_xstrndup(st, (size_t)(se - st));
        RtValue *d = rt_dict_new(4);
        rt_dict_set(d, "name", rt_strz(name));
        rt_dict_set(d, "state", rt_str_take(state, strlen(state)));
        rt_dict_set(d, "goal", rt_str_take(goal, strlen(goal)));
        rt_dict_set(d, "source", rt_strz("upstart"));
        rt_dict_set(services, name, d);
      }
    }
    free(l);
  }
  rt_decref(lines);
}

static RtValue *words(const char *line) {
  RtValue *l = rt_list_new(6);
  for (const char *p = line;;) {
    while (*p && isspace((unsigned char)*p))
      p++;
    if (!*p)
      break;
    const char *e = p;
    while (*e && !isspace((unsigned char)*e))
      e++;
    rt_list_push(l, rt_str(p, (size_t)(e - p)));
    p = e;
  }
  return l;
}

static bool bad_state(const char *s) { return !strcmp(s, "not-found") || !strcmp(s, "masked") || !strcmp(s, "failed"); }

/* SystemctlScanService: list-units, then list-unit-files */
static RtValue *list_systemd(RtValue *services, const RtExec *ex, RtValue *warnings) {
  ModCap lu = {0}, luf = {0};
  if (mod_ps_cap(ex, "lu", &lu)) {
    if (lu.rc != 0) {
      char *w = rt_xasprintf("Could not list units from systemd: %s", lu.err);
      rt_list_push(warnings, rt_str_take(w, strlen(w)));
    } else {
      RtValue *lines = mod_lines(lu.out, strlen(lu.out));
      for (size_t i = 0; i < rt_len(lines); i++) {
        const char *line = rt_list_at(lines, i)->u.str.s;
        if (!strstr(line, ".service"))
          continue;
        RtValue *f = words(line);
        size_t off = 0;
        const char *status = "unknown";
        bool bad = false;
        for (size_t j = 0; j < rt_len(f) && !bad; j++)
          if (bad_state(rt_list_at(f, j)->u.str.s)) {
            status = rt_list_at(f, j)->u.str.s;
            bad = true;
            off = 1;
          }
        if (!bad && rt_len(f) > 2)
          status = rt_list_at(f, 2)->u.str.s;
        if (rt_len(f) > off + 3) {
          const char *name = rt_list_at(f, off)->u.str.s;
          bool running = !strcmp(rt_list_at(f, off + 3)->u.str.s, "running");
          rt_dict_set(services, name, svc(name, running ? "running" : "stopped", status, "systemd"));
        }
        rt_decref(f);
      }
      rt_decref(lines);
    }
  }
  RtValue *fail = NULL;
  if (mod_ps_cap(ex, "luf", &luf)) {
    if (luf.rc != 0) {
      char *w = rt_xasprintf("Could not get unit files data from systemd: %s", luf.err);
      rt_list_push(warnings, rt_str_take(w, strlen(w)));
    } else {
      RtValue *lines = mod_lines(luf.out, strlen(luf.out));
      for (size_t i = 0; i < rt_len(lines) && !fail; i++) {
        const char *line = rt_list_at(lines, i)->u.str.s;
        if (!strstr(line, ".service"))
          continue;
        RtValue *f = words(line);
        if (rt_len(f) < 2) {
          fail = mod_fail_result("Malformed output discovered from systemd list-unit-files: %s", line);
          rt_decref(f);
          break;
        }
        const char *name = rt_list_at(f, 0)->u.str.s, *st = rt_list_at(f, 1)->u.str.s;
        RtValue *have = rt_dict_get(services, name);
        if (!have) {
          char *k = rt_xasprintf("show.%s", name);
          const char *o = mod_rec(ex, k);
          free(k);
          char *state = rt_xstrdup("unknown");
          if (o && *o) { /* "ActiveState=x\n." : replace, then rstrip */
            RtBuf b = {0};
            rt_buf_add(&b, o, strlen(o) - 1);
            char *t = b.data ? b.data : rt_xstrdup(""), *q;
            RtBuf c = {0};
            rt_buf_add(&c, "", 0);
            for (char *p = t; *p;) {
              if ((q = strstr(p, "ActiveState=")) == p) {
                p += 12;
                continue;
              }
              rt_buf_putc(&c, *p++);
            }
            size_t n = c.len;
            while (n && isspace((unsigned char)c.data[n - 1]))
              n--;
            c.data[n] = 0;
            if (strlen(o) > 1) {
              free(state);
              state = rt_buf_take(&c);
            }
            rt_buf_free(&c);
            rt_buf_free(&b);
          }
          rt_dict_set(services, name, svc(name, state, st, "systemd"));
          free(state);
        } else if (!bad_state(rt_dict_get(have, "status")->u.str.s)) {
          rt_dict_set(have, "status", rt_strz(st));
        }
        rt_decref(f);
      }
      rt_decref(lines);
    }
  }
  mod_ps_cap_free(&lu);
  mod_ps_cap_free(&luf);
  return fail;
}

RtValue *mod_service_facts(RtHost *h, RtValue *args) {
  (void)args;
  RtBuf s = {0};
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, SCRIPT);
  RtExec ex;
  int rc = mod_sh_exec(h, &s, &ex);
  if (rc < 0)
    return NULL;
  RtValue *r = mod_ps_missing(&ex), *services = rt_dict_new(32), *warnings = rt_list_new(1);
  if (r)
    goto done;
  if (mod_rec(&ex, "bin.chkconfig") || (mod_rec(&ex, "bin.rc-status") && mod_rec(&ex, "bin.rc-update") &&
                                        !mod_rec(&ex, "bin.initctl"))) {
    r = mod_fail_result("service_facts reads chkconfig and OpenRC listings, which playc does not do yet");
    goto done;
  }
  ModCap c = {0};
  if (mod_ps_cap(&ex, "sysv", &c) && !(c.rc == 4 && mod_rec(&ex, "noinitd"))) {
    if (c.rc != 0) {
      char *w = rt_xasprintf("Unable to query 'service' tool (%d): %s", c.rc, c.err);
      rt_list_push(warnings, rt_str_take(w, strlen(w)));
    }
    list_sysv(services, c.out);
  }
  mod_ps_cap_free(&c);
  if (mod_ps_cap(&ex, "upstart", &c)) {
    if (c.rc != 0) {
      char *w = rt_xasprintf("Unable to query upstart for service data: %s", c.err);
      rt_list_push(warnings, rt_str_take(w, strlen(w)));
    } else {
      char *o = rt_xstrdup(c.out), *q = o;
      for (char *p = o; *p; p++)
        if (*p != '\r')
          *q++ = *p;
      *q = 0;
      list_upstart(services, o);
      free(o);
    }
  }
  mod_ps_cap_free(&c);
  if ((r = list_systemd(services, &ex, warnings)) != NULL)
    goto done;
  if (!rt_len(services)) {
    r = rt_dict_new(3);
    rt_dict_set(r, "skipped", rt_bool(true));
    rt_dict_set(r, "msg", rt_strz("Failed to find any services. This can be due to privileges or some other "
                                  "configuration issue."));
  } else {
    r = rt_dict_new(3);
    RtValue *facts = rt_dict_new(1);
    rt_dict_set(facts, "services", rt_incref(services));
    rt_dict_set(r, "ansible_facts", facts);
    mod_set_facts(h, facts); /* they join the host's facts, as the strategy sets them */
  }
  if (rt_len(warnings))
    rt_dict_set(r, "warnings", rt_incref(warnings));
done:
  rt_exec_free(&ex);
  rt_decref(services);
  rt_decref(warnings);
  return r;
}

#endif
