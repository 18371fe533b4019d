/*
 * selinux.c — ansible.posix.selinux without Python's selinux bindings.
 * Request 1 asks the target what the module asks libselinux: the running
 * mode from `getenforce` (or /sys/fs/selinux/enforce when getenforce is
 * missing; neither means SELinux is disabled), the running policy type as
 * libselinux reads it (SELINUXTYPE= of /etc/selinux/config, "targeted"
 * without one), whether /etc/selinux/POLICY/policy exists, and, with
 * update_kernel_param, `grubby --info=ALL`. The config file is read as the
 * file-content modules read files (mod_edit_read), its SELINUX= and
 * SELINUXTYPE= lines rewritten on the controller as the module's re.sub
 * rewrites them, and written back atomically (mode and owner kept, as
 * atomic_move). Out of check mode, `setenforce 0|1` (or the enforce file)
 * and `grubby --update-kernel=ALL --args|--remove-args selinux=0` run as
 * the module runs them. Decisions, messages and warnings are the module's.
 */
#include "mod.h"

static const ModParam selinux_params[] = {
    {.name = "policy", .type = MP_STR},
    {.name = "state", .type = MP_STR, .required = true, .choices = "disabled,enforcing,permissive"},
    {.name = "update_kernel_param", .type = MP_BOOL, .def = "false"},
    {.name = "configfile", .type = MP_STR, .def = "/etc/selinux/config", .aliases = "conf,file"},
};
const ModSchema mod_schema_selinux = {
    .name = "selinux",
    .params = selinux_params,
    .nparams = MOD_N(selinux_params),
    .tools = "getenforce,setenforce,grubby",
    .check_mode = true,
    .collection = "ansible.posix",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* line.split('=')[1].strip() of the first line starting with `key=`, or NULL. */
static char *se_config_value(RtValue *lines, const char *key) {
  size_t kl = strlen(key);
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = rt_list_at(lines, i)->u.str.s;
    if (strncmp(l, key, kl) != 0 || l[kl] != '=')
      continue;
    const char *v = l + kl + 1, *end = strchr(v, '=');
    size_t n = end ? (size_t)(end - v) : strlen(v);
    while (n && strchr(" \t\n\r\f\v\x1c\x1d\x1e\x1f", *v)) {
      v++;
      n--;
    }
    while (n && strchr(" \t\n\r\f\v\x1c\x1d\x1e\x1f", v[n - 1]))
      n--;
    return rt_xstrndup(v, n);
  }
  return NULL;
}

/* set_config_state / set_config_policy: each line starting with `key=`
 * replaced by key=value, a newline after each line, key=value appended when
 * no line had the key. Takes `lines`, returns the new lines. */
static RtValue *se_rewrite(RtValue *lines, const char *key, const char *value, RtBuf *text) {
  size_t kl = strlen(key);
  bool found = false;
  text->len = 0;
  rt_buf_add(text, "", 0);
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = rt_list_at(lines, i)->u.str.s;
    if (!strncmp(l, key, kl) && l[kl] == '=') {
      found = true;
      rt_buf_printf(text, "%s=%s\n", key, value);
    } else {
      rt_buf_printf(text, "%s\n", l);
    }
  }
  if (!found)
    rt_buf_printf(text, "%s=%s\n", key, value);
  rt_decref(lines);
  return mod_lines(text->data, text->len);
}

/* get_kernel_enabled: 1 all enabled, 0 all disabled, -1 inconsistent. */
static int se_kernel_enabled(const char *out) {
  bool all_en = true, all_dis = true;
  for (const char *p = out;;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    if (n >= 7 && !strncmp(p, "args=\"", 6) && p[n - 1] == '"') {
      bool zero = false;
      for (const char *a = p + 6, *end = p + n - 1; a <= end;) {
        const char *sp = memchr(a, ' ', (size_t)(end - a));
        size_t al = sp ? (size_t)(sp - a) : (size_t)(end - a);
        zero |= al == 9 && !strncmp(a, "selinux=0", 9);
        if (!sp)
          break;
        a = sp + 1;
      }
      if (zero)
        all_en = false;
      else
        all_dis = false;
    }
    if (!nl)
      break;
    p = nl + 1;
  }
  return all_en == all_dis ? -1 : all_en;
}

static void se_warn(RtValue *warnings, const char *fmt, const char *a) {
  char *w = rt_xasprintf(fmt, a);
  rt_list_push(warnings, rt_str_take(w, strlen(w)));
}

RtValue *mod_selinux(RtHost *h, RtValue *args) {
  char *policy = mod_arg_str(args, "policy"), *state = mod_arg_str(args, "state");
  char *cfg = mod_arg_str(args, "configfile"), *err = NULL, *cpol = NULL, *cstate = NULL;
  bool kparam = mod_arg_bool(args, "update_kernel_param", 0) == 1, ck = h->check_mode, have = false;
  RtValue *r = NULL, *lines = NULL, *warnings = rt_list_new(2);
  RtBuf s = {0}, msgs = {0}, text = {0};
  RtExec ex = {0};
  ModEdit e;
  mod_edit_init(&e, h, args);
  if (!cfg)
    cfg = rt_xstrdup("/etc/selinux/config");
  rt_buf_add(&msgs, "", 0);

  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, "if pc_bin getenforce; then\n"
                  "  case $(\"$pc_v\" 2>/dev/null </dev/null) in Enforcing) rs=enforcing;; Permissive) rs=permissive;; "
                  "*) rs=disabled;; esac\n"
                  "elif [ -r /sys/fs/selinux/enforce ]; then\n"
                  "  case $(cat /sys/fs/selinux/enforce) in 1) rs=enforcing;; *) rs=permissive;; esac\n"
                  "else rs=disabled; fi\n__playc_rec rs $rs\n"
                  "rp=targeted\n"
                  "if [ -r /etc/selinux/config ]; then\n"
                  "  v=$(sed -n 's/^[[:space:]]*SELINUXTYPE=//p' /etc/selinux/config | head -n 1 | "
                  "sed 's/[[:space:]]*$//')\n"
                  "  [ -z \"$v\" ] || rp=$v\nfi\n__playc_rec rp \"$rp\"\n");
  if (kparam)
    rt_buf_puts(&s, "if pc_bin grubby; then __playc_rec grubby \"$pc_v\"; pc_cap gi \"$pc_v\" --info=ALL; fi\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  const char *rstate = mod_rec(&ex, "rs") ? mod_rec(&ex, "rs") : "disabled";
  const char *rpol = mod_rec(&ex, "rp") ? mod_rec(&ex, "rp") : "targeted";
  bool renabled = strcmp(rstate, "disabled") != 0;

  if (mod_edit_read(h, &e, cfg, &r) < 0 || r)
    goto done;
  if (e.kind == MOD_EDIT_ABSENT || e.kind == MOD_EDIT_DIR) {
    r = mod_fail_result("Unable to find file %s", cfg);
    rt_dict_set(r, "details", rt_strz("Please install SELinux-policy package, if this package is not installed "
                                      "previously."));
    goto done;
  }
  lines = mod_lines(e.unreadable || !e.data.data ? "" : e.data.data, e.unreadable ? 0 : e.data.len);
  cpol = se_config_value(lines, "SELINUXTYPE");
  cstate = se_config_value(lines, "SELINUX");
  int kernel = -2; /* not asked */
  if (kparam) {
    ModCap c = {0};
    if (!mod_rec(&ex, "grubby")) {
      r = mod_fail_result("'grubby' command not found on host");
      rt_dict_set(r, "details", rt_strz("In order to update the kernel command lineenabled/disabled setting, the "
                                        "grubby packageneeds to be present on the system."));
      goto done;
    }
    mod_ps_cap(&ex, "gi", &c);
    if (c.rc != 0) {
      mod_ps_cap_free(&c);
      r = mod_fail_result("unable to run grubby");
      goto done;
    }
    kernel = se_kernel_enabled(c.out);
    mod_ps_cap_free(&c);
  }
  if (strcmp(state, "disabled") != 0) {
    if (!policy || !*policy) {
      r = mod_fail_result("Policy is required if state is not 'disabled'");
      goto done;
    }
  } else if (!policy || !*policy) {
    free(policy);
    policy = cpol ? rt_xstrdup(cpol) : NULL;
  }
  bool changed = false, reboot = false, write = false, setenf = false;
  const char *pol_text = policy ? policy : "None";
#define MSG(...)                                                                                   \
  do {                                                                                             \
    if (msgs.len)                                                                                  \
      rt_buf_puts(&msgs, ", ");                                                                    \
    rt_buf_printf(&msgs, __VA_ARGS__);                                                             \
  } while (0)
  if (!policy || strcmp(policy, rpol) != 0) {
    if (ck) {
      r = rt_dict_new(1);
      rt_dict_set(r, "changed", rt_bool(true));
      goto done;
    }
    MSG("Running SELinux policy changed from '%s' to '%s'", rpol, pol_text);
    changed = true;
  }
  if ((policy == NULL) != (cpol == NULL) || (policy && strcmp(policy, cpol) != 0)) {
    if (ck) {
      r = rt_dict_new(1);
      rt_dict_set(r, "changed", rt_bool(true));
      goto done;
    }
    /* the policy's folder, asked of the target */
    RtBuf q = {0};
    RtExec qx = {0};
    char *pd = rt_xasprintf("/etc/selinux/%s/policy", pol_text);
    mod_sh_set(&q, "d", pd);
    free(pd);
    rt_buf_puts(&q, "[ -e \"$d\" ] && __playc_rec pol 1\n:\n");
    int qrc = rt_host_exec(h, q.data, NULL, 0, &qx, &err);
    rt_buf_free(&q);
    if (qrc < 0)
      goto done;
    bool exists = mod_rec(&qx, "pol") != NULL;
    rt_exec_free(&qx);
    if (!exists) {
      r = mod_fail_result("Policy %s does not exist in /etc/selinux/", pol_text);
      goto done;
    }
    lines = se_rewrite(lines, "SELINUXTYPE", pol_text, &text);
    write = true;
    MSG("SELinux policy configuration in '%s' changed from '%s' to '%s'", cfg, cpol ? cpol : "None", pol_text);
    changed = true;
  }
  if (strcmp(state, rstate) != 0) {
    if (renabled) {
      if (!strcmp(state, "disabled")) {
        if (strcmp(rstate, "permissive") != 0) {
          setenf = !ck;
          se_warn(warnings,
                  "SELinux state temporarily changed from '%s' to 'permissive'. State change will take effect "
                  "next reboot.",
                  rstate);
          changed = true;
        } else {
          rt_list_push(warnings, rt_strz("SELinux state change will take effect next reboot"));
        }
        reboot = true;
      } else {
        setenf = !ck;
        MSG("SELinux state changed from '%s' to '%s'", rstate, state);
        changed = true;
      }
    } else {
      se_warn(warnings, "Reboot is required to set SELinux state to '%s'", state);
      reboot = true;
    }
  }
  if (!cstate || strcmp(state, cstate) != 0) {
    if (!ck) {
      lines = se_rewrite(lines, "SELINUX", state, &text);
      write = true;
    }
    MSG("Config SELinux state changed from '%s' to '%s'", cstate ? cstate : "None", state);
    changed = true;
  }
  bool want_kernel = strcmp(state, "disabled") != 0, kchange = false;
  if (kparam && kernel != (int)want_kernel) {
    kchange = !ck;
    const char *from = kernel == -1 ? "<inconsistent>" : want_kernel ? "disabled" : "enabled";
    MSG("Kernel SELinux state changed from '%s' to '%s'", from, want_kernel ? "enabled" : "disabled");
    changed = true;
  }
#undef MSG
  if (setenf) { /* set_state: permissive for disabled, else the state */
    RtBuf q = {0};
    RtExec qx = {0};
    mod_ps_sh_begin(&q);
    rt_buf_printf(&q, "if pc_bin setenforce; then \"$pc_v\" %d >/dev/null 2>&1 </dev/null\n"
                      "elif [ -w /sys/fs/selinux/enforce ]; then echo %d > /sys/fs/selinux/enforce; fi\n:\n",
                  !strcmp(state, "enforcing"), !strcmp(state, "enforcing"));
    int qrc = rt_host_exec(h, q.data, NULL, 0, &qx, &err);
    rt_buf_free(&q);
    if (qrc < 0)
      goto done;
    rt_exec_free(&qx);
  }
  if (write) {
    bool attrs_changed = false;
    char *backup = NULL;
    r = mod_edit_write(h, &e, text.data, text.len, true, false, NULL, &attrs_changed, &backup);
    free(backup);
    if (r || rt_host_lost(h))
      goto done;
  }
  if (kchange) {
    RtBuf q = {0};
    RtExec qx = {0};
    mod_sh_set(&q, "g", mod_rec(&ex, "grubby"));
    rt_buf_printf(&q, "\"$g\" --update-kernel=ALL %s selinux=0 >/dev/null 2>&1 </dev/null; __playc_rec rc $?\n",
                  want_kernel ? "--remove-args" : "--args");
    int qrc = rt_host_exec(h, q.data, NULL, 0, &qx, &err);
    rt_buf_free(&q);
    if (qrc < 0)
      goto done;
    bool bad = !mod_rec_is(&qx, "rc", "0");
    rt_exec_free(&qx);
    if (bad) {
      r = mod_fail_result(want_kernel ? "unable to remove selinux=0 from kernel config"
                                      : "unable to add selinux=0 to kernel config");
      goto done;
    }
  }
  r = rt_dict_new(8);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "msg", rt_str(msgs.data, msgs.len));
  rt_dict_set(r, "configfile", rt_strz(cfg));
  rt_dict_set(r, "policy", policy ? rt_strz(policy) : rt_none());
  rt_dict_set(r, "state", rt_strz(state));
  rt_dict_set(r, "reboot_required", rt_bool(reboot));
done:
  if (r && rt_len(warnings))
    rt_dict_set(r, "warnings", rt_incref(warnings));
  rt_decref(warnings);
  if (lines)
    rt_decref(lines);
  if (have)
    rt_exec_free(&ex);
  mod_edit_free(&e);
  rt_buf_free(&s);
  rt_buf_free(&msgs);
  rt_buf_free(&text);
  free(policy);
  free(state);
  free(cfg);
  free(cpol);
  free(cstate);
  free(err);
  return r;
}

#endif
