/*
 * dpkg_selections.c — the dpkg_selections module: one request reads the
 * package's selection (`dpkg --get-selections -- NAME`, its second word as
 * Ansible reads it) and, when it differs and this is no check run, sets the
 * new one (`dpkg --set-selections`, "NAME SELECTION" on its stdin). Results
 * as Ansible's: changed, before ("not present" when dpkg lists nothing),
 * after; a failing dpkg fails the task as run_command(check_rc=True) does.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam dpkg_selections_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "selection", .type = MP_STR, .required = true, .choices = "install,hold,deinstall,purge"},
};
const ModSchema mod_schema_dpkg_selections = {
    .name = "dpkg_selections",
    .params = dpkg_selections_params,
    .nparams = MOD_N(dpkg_selections_params),
    .tools = "dpkg",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

/* run_command(check_rc=True)'s failure: the command as a line, its output. */
static RtValue *check_rc_failure(const char *cmd, const ModCap *c) {
  size_t n = strlen(c->err);
  while (n && (c->err[n - 1] == ' ' || c->err[n - 1] == '\n' || c->err[n - 1] == '\t' || c->err[n - 1] == '\r'))
    n--;
  RtValue *r = mod_fail_result("%.*s", (int)n, c->err);
  rt_dict_set(r, "cmd", rt_strz(cmd));
  rt_dict_set(r, "rc", rt_int(c->rc));
  rt_dict_set(r, "stdout", rt_strz(c->out));
  rt_dict_set(r, "stderr", rt_strz(c->err));
  return r;
}

RtValue *mod_dpkg_selections(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *sel = mod_arg_str(args, "selection");
  RtBuf s = {0}, cmd = {0};
  mod_ps_sh_begin(&s);
  mod_ps_sh_need(&s, "d", "dpkg");
  mod_sh_set(&s, "n", name ? name : "");
  mod_sh_set(&s, "sel", sel ? sel : "");
  rt_buf_printf(&s, "ck=%d\n", h->check_mode ? 1 : 0);
  rt_buf_puts(&s, "__playc_rec dpkg \"$d\"\n"
                  "pc_cap get \"$d\" --get-selections -- \"$n\" || exit 0\n"
                  "set -f; set -- $(cat \"$__playc_scr/o\") not-present not-present; set +f\n"
                  "[ -s \"$__playc_scr/o\" ] && cur=$2 || cur='not present'\n"
                  "[ \"$cur\" != \"$sel\" ] && [ $ck = 0 ] || exit 0\n"
                  "pc_capin set \"$n $sel\n\" \"$d\" --set-selections\n");
  RtExec ex;
  char *err = NULL;
  RtValue *r = NULL;
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  ModCap get = {0}, set = {0};
  const char *dpkg = mod_rec(&ex, "dpkg") ? mod_rec(&ex, "dpkg") : "dpkg";
  if ((r = mod_ps_missing(&ex)) != NULL) {
  } else if (!mod_ps_cap(&ex, "get", &get)) {
    r = mod_fail_result("dpkg --get-selections did not run: %s", ex.err.data);
  } else if (get.rc != 0) {
    mod_py_shlex_quote(&cmd, dpkg);
    rt_buf_puts(&cmd, " --get-selections ");
    mod_py_shlex_quote(&cmd, name);
    r = check_rc_failure(cmd.data, &get);
  } else if (mod_ps_cap(&ex, "set", &set) && set.rc != 0) {
    mod_py_shlex_quote(&cmd, dpkg);
    rt_buf_puts(&cmd, " --set-selections");
    r = check_rc_failure(cmd.data, &set);
  } else {
    /* out.split()[1], or "not present" when dpkg printed nothing */
    char *cur = NULL;
    if (get.out[0]) {
      char *save = NULL, *tok = strtok_r(get.out, " \t\n\r\f\v", &save);
      tok = tok ? strtok_r(NULL, " \t\n\r\f\v", &save) : NULL;
      cur = rt_xstrdup(tok ? tok : "");
    } else {
      cur = rt_xstrdup("not present");
    }
    r = rt_dict_new(4);
    rt_dict_set(r, "changed", rt_bool(strcmp(cur, sel) != 0));
    rt_dict_set(r, "before", rt_str_take(cur, strlen(cur)));
    rt_dict_set(r, "after", rt_strz(sel));
  }
  mod_ps_cap_free(&get);
  mod_ps_cap_free(&set);
  rt_exec_free(&ex);
done:
  rt_buf_free(&s);
  rt_buf_free(&cmd);
  free(err);
  free(name);
  free(sel);
  return r;
}

#endif
