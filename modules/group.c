/*
 * group.c — the group module: groupadd, groupmod and groupdel (lgroup* with
 * `local`) on the target, in one request: the script looks the group up,
 * decides as Ansible's Group class does (add when missing, change the gid
 * when it differs, delete when asked), runs the one command needed (none in
 * check mode) and records its status and the gid found afterwards. The
 * command's stdout and stderr are the request's own streams, so they become
 * the result's stdout/stderr (and a failure's msg) as run_command's are.
 */
#include "mod.h"

static const ModParam group_params[] = {
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "gid", .type = MP_INT},
    {.name = "system", .type = MP_BOOL, .def = "false"},
    {.name = "local", .type = MP_BOOL, .def = "false"},
    {.name = "non_unique", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_group = {
    .name = "group",
    .params = group_params,
    .nparams = MOD_N(group_params),
    .required_if = "non_unique=True:gid",
    .tools = "groupadd,groupmod,groupdel",
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* Script text: ex=1 when group "$n" exists (in /etc/group with `local`),
 * and its gid in cg. */
static void exists_script(RtBuf *s, bool local) {
  if (local)
    rt_buf_puts(s, "if ent=$(__playc_k=\"$n\" awk -F: '$1 == ENVIRON[\"__playc_k\"] { l = $0 } END { if (l == \"\") "
                   "exit 1; print l }' /etc/group); then ex=1; else ex=0; fi\n");
  else
    rt_buf_puts(s, "if ent=$(__playc_getent group \"$n\"); then ex=1; else ex=0; fi\n");
  rt_buf_puts(s, "cg=${ent#*:*:}; cg=${cg%%:*}\n");
}

/* Runs the argv set up before it, records its status as rc. */
static void run_script(RtBuf *s, const char *tool, const ModArgv *a) {
  mod_sh_need(s, tool);
  mod_sh_argv(s, a);
  rt_buf_puts(s, "\"$@\"; __playc_rec rc $?\n");
}

RtValue *mod_group(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *state = mod_arg_str(args, "state");
  long long gid = 0;
  int has_gid = mod_arg_int(args, "gid", &gid);
  bool local = mod_arg_bool(args, "local", 0) == 1, system = mod_arg_bool(args, "system", 0) == 1;
  bool non_unique = mod_arg_bool(args, "non_unique", 0) == 1;
  bool absent = state && strcmp(state, "absent") == 0;
  RtValue *r = NULL;
  RtBuf s = {0};
  ModArgv add = {0}, mod = {0}, del = {0};
  char *err = NULL;
  if (has_gid < 0) {
    r = mod_fail_result("argument 'gid' is of type %s and we were unable to convert to int", "str");
    goto done;
  }
  mod_sh_set(&s, "n", name);
  rt_buf_printf(&s, "ck=%d\n", h->check_mode ? 1 : 0);
  exists_script(&s, local);
  mod_argv_add(&del, local ? "lgroupdel" : "groupdel");
  mod_argv_add(&add, local ? "lgroupadd" : "groupadd");
  mod_argv_add(&mod, local ? "lgroupmod" : "groupmod");
  if (has_gid) {
    mod_argv_add(&add, "-g");
    mod_argv_addf(&add, "%lld", gid);
    mod_argv_add(&mod, "-g");
    mod_argv_addf(&mod, "%lld", gid);
    if (non_unique) {
      mod_argv_add(&add, "-o");
      mod_argv_add(&mod, "-o");
    }
  }
  if (system)
    mod_argv_add(&add, "-r");
  ModArgv *cmds[] = {&add, &mod, &del};
  for (int i = 0; i < 3; i++) {
    mod_argv_add(cmds[i], "--");
    mod_argv_add(cmds[i], name);
  }
  if (absent) {
    rt_buf_puts(&s, "if [ $ex = 1 ]; then [ $ck = 0 ] || { __playc_rec check 1; exit 0; }\n");
    run_script(&s, del.v[0], &del);
    rt_buf_puts(&s, "fi\n");
  } else {
    rt_buf_puts(&s, "if [ $ex = 0 ]; then [ $ck = 0 ] || { __playc_rec check 1; exit 0; }\n");
    run_script(&s, add.v[0], &add);
    if (has_gid) {
      rt_buf_printf(&s, "elif [ \"$cg\" != %lld ]; then\n  if [ $ck = 1 ]; then __playc_rec rc 0; else\n", gid);
      run_script(&s, mod.v[0], &mod);
      rt_buf_puts(&s, "fi\n");
    }
    rt_buf_puts(&s, "fi\n");
  }
  exists_script(&s, local);
  rt_buf_puts(&s, "[ $ex = 0 ] || __playc_rec gid \"$cg\"\n");
  RtExec ex;
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  if ((r = mod_tool_failure(&ex)) != NULL) {
  } else if (mod_rec(&ex, "check")) {
    r = rt_dict_new(1);
    rt_dict_set(r, "changed", rt_bool(true));
  } else if (mod_rec(&ex, "rc") && mod_rec_int(&ex, "rc", 0) != 0) {
    r = mod_fail_result("%s", ex.err.data ? ex.err.data : "");
    rt_dict_set(r, "name", rt_strz(name));
  } else {
    r = rt_dict_new(8);
    rt_dict_set(r, "name", rt_strz(name));
    rt_dict_set(r, "state", rt_strz(absent ? "absent" : "present"));
    rt_dict_set(r, "changed", rt_bool(mod_rec(&ex, "rc") != NULL));
    mod_set_output(r, &ex.out, &ex.err);
    if (mod_rec(&ex, "gid")) {
      rt_dict_set(r, "system", rt_bool(system));
      rt_dict_set(r, "gid", rt_int(mod_rec_int(&ex, "gid", 0)));
    }
  }
  rt_exec_free(&ex);
done:
  mod_argv_free(&add);
  mod_argv_free(&mod);
  mod_argv_free(&del);
  rt_buf_free(&s);
  free(err);
  free(name);
  free(state);
  return r;
}

#endif
