/*
 * seboolean.c — ansible.posix.seboolean without Python's selinux and
 * semanage bindings, in one request. What the module asks libselinux and
 * libsemanage is asked of the target's tools: whether SELinux runs
 * (`getenforce`, or /sys/fs/selinux/enforce), the boolean's new name from
 * /etc/selinux/POLICY/booleans.subs_dist (selinux_boolean_sub), the
 * boolean names and running values (`getsebool -a`, `getsebool NAME`), the
 * persistent value (the default column of `semanage boolean -l -n`; its
 * "policy is not managed" refusal is the module's unmanaged policy), and
 * the change: `setsebool NAME 1|0`, or `setsebool -P NAME on|off` (what
 * the module's semanage calls do, as setsebool.c does). The shell makes
 * the module's decisions (string tests); its messages are made here.
 */
#include "mod.h"

static const ModParam seboolean_params[] = {
    {.name = "ignore_selinux_state", .type = MP_BOOL, .def = "false"},
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "persistent", .type = MP_BOOL, .def = "false"},
    {.name = "state", .type = MP_BOOL, .required = true},
};
const ModSchema mod_schema_seboolean = {
    .name = "seboolean",
    .params = seboolean_params,
    .nparams = MOD_N(seboolean_params),
    .tools = "getenforce,getsebool,setsebool,semanage",
    .check_mode = true,
    .collection = "ansible.posix",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* Whether SELinux runs (is_selinux_enabled), and the policy type (rp). */
static const char SE_RUNTIME[] =
    "if pc_bin getenforce; then\n"
    "  case $(\"$pc_v\" 2>/dev/null </dev/null) in Enforcing|Permissive) se=1;; *) se=0;; esac\n"
    "elif [ -r /sys/fs/selinux/enforce ]; then se=1; else se=0; fi\n"
    "rp=targeted\n"
    "if [ -r /etc/selinux/config ]; then\n"
    "  v=$(sed -n 's/^[[:space:]]*SELINUXTYPE=//p' /etc/selinux/config | head -n 1 | sed 's/[[:space:]]*$//')\n"
    "  [ -z \"$v\" ] || rp=$v\nfi\n";

RtValue *mod_seboolean(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *err = NULL;
  int state = mod_arg_bool(args, "state", 0), persistent = mod_arg_bool(args, "persistent", 0);
  bool ck = h->check_mode;
  RtValue *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, SE_RUNTIME);
  if (mod_arg_bool(args, "ignore_selinux_state", 0) != 1)
    rt_buf_puts(&s, "[ $se = 1 ] || { __playc_rec fail disabled; exit 0; }\n");
  mod_sh_set(&s, "n", name ? name : "");
  rt_buf_puts(&s,
              /* selinux_boolean_sub */
              "f=/etc/selinux/$rp/booleans.subs_dist\n"
              "if [ -r \"$f\" ]; then\n"
              "  while read -r a b c; do case $a in ''|'#'*) continue;; esac\n"
              "    [ \"$a\" = \"$n\" ] && [ -n \"$b\" ] && { n=$b; break; }; done < \"$f\"\nfi\n"
              "__playc_rec sub \"$n\"\n"
              /* has_boolean_value */
              "pc_bin getsebool || { __playc_rec fail names; exit 0; }; G=$pc_v\n"
              "\"$G\" -a >\"$__playc_scr/o\" 2>/dev/null </dev/null || { __playc_rec fail names; exit 0; }\n"
              "has=0; while read -r a b; do [ \"$a\" = \"$n\" ] && has=1; done < \"$__playc_scr/o\"\n"
              "[ $has = 1 ] || { __playc_rec fail nobool; exit 0; }\n");
  if (persistent == 1) {
    rt_buf_printf(&s,
                  "pc_bin semanage || { __playc_rec fail managed; exit 0; }; S=$pc_v\n"
                  "\"$S\" boolean -l -n >\"$__playc_scr/o\" 2>\"$__playc_scr/e\" </dev/null || {\n"
                  "  if grep -q 'policy is not managed' \"$__playc_scr/e\"; then __playc_rec fail unmanaged; "
                  "__playc_rec uid \"$(id -u)\"; exit 0; fi\n"
                  "  __playc_rec fail semanage; __playc_rec err \"$(cat \"$__playc_scr/e\")\"; exit 0; }\n"
                  "cur=\n"
                  "while read -r a b; do [ \"$a\" = \"$n\" ] || continue\n"
                  "  d=${b#*,}; d=${d%%%%)*}; d=$(echo $d); cur=$d; break\n"
                  "done < \"$__playc_scr/o\"\n"
                  "[ -n \"$cur\" ] || { __playc_rec fail nopersist; exit 0; }\n"
                  "[ \"$cur\" = %s ] && exit 0\n__playc_rec changed 1\n",
                  state == 1 ? "on" : "off");
    if (!ck)
      rt_buf_printf(&s,
                    "pc_bin setsebool || { __playc_rec fail commit; exit 0; }\n"
                    "\"$pc_v\" -P \"$n\" %s >/dev/null 2>&1 </dev/null || __playc_rec fail commit\n",
                    state == 1 ? "on" : "off");
  } else {
    rt_buf_printf(&s,
                  "v=$(\"$G\" \"$n\" 2>/dev/null </dev/null) || { __playc_rec fail active; exit 0; }\n"
                  "case $v in *' --> on'*) cur=on;; *) cur=off;; esac\n"
                  "[ \"$cur\" = %s ] && exit 0\n__playc_rec changed 1\n",
                  state == 1 ? "on" : "off");
    if (!ck)
      rt_buf_printf(&s,
                    "pc_bin setsebool || { __playc_rec fail set; exit 0; }\n"
                    "\"$pc_v\" \"$n\" %d >/dev/null 2>&1 </dev/null || __playc_rec fail set\n",
                    state == 1);
  }
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  if ((r = mod_ps_missing(&ex)) != NULL) {
    rt_exec_free(&ex);
    goto done;
  }
  const char *sub = mod_rec(&ex, "sub") ? mod_rec(&ex, "sub") : (name ? name : "");
  const char *fail = mod_rec(&ex, "fail");
  if (fail) {
    if (!strcmp(fail, "disabled"))
      r = mod_fail_result("SELinux is disabled on this host.");
    else if (!strcmp(fail, "names"))
      r = mod_fail_result("Failed to get list of boolean names");
    else if (!strcmp(fail, "nobool"))
      r = mod_fail_result("SELinux boolean %s does not exist.", sub);
    else if (!strcmp(fail, "managed") || (!strcmp(fail, "unmanaged") && mod_rec_is(&ex, "uid", "0")))
      r = mod_fail_result("Cannot set persistent booleans without managed policy");
    else if (!strcmp(fail, "unmanaged"))
      r = mod_fail_result("Cannot set persistent booleans; please try as root");
    else if (!strcmp(fail, "semanage"))
      r = mod_fail_result("Failed to manage policy for boolean %s: %s", sub, mod_rec(&ex, "err") ? mod_rec(&ex, "err") : "");
    else if (!strcmp(fail, "nopersist"))
      r = mod_fail_result("SELinux boolean %s is not defined in persistent policy", sub);
    else if (!strcmp(fail, "commit"))
      r = mod_fail_result("Failed to commit changes to semanage");
    else if (!strcmp(fail, "active"))
      r = mod_fail_result("Failed to determine current state for boolean %s", sub);
    else
      r = mod_fail_result("Failed to set boolean %s to %d", sub, state == 1);
  } else {
    r = rt_dict_new(4);
    rt_dict_set(r, "name", rt_strz(name ? name : ""));
    rt_dict_set(r, "persistent", rt_bool(persistent == 1));
    rt_dict_set(r, "state", rt_bool(state == 1));
    rt_dict_set(r, "changed", rt_bool(mod_rec(&ex, "changed") != NULL));
  }
  rt_exec_free(&ex);
done:
  rt_buf_free(&s);
  free(name);
  free(err);
  return r;
}

#endif
