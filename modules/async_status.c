/*
 * async_status.c — async_status against the job files of Ansible's async
 * wrapper (~/.ansible_async/JID on the target, a JSON result, empty or
 * partial while the job runs). playc's runtime has no `async:`/`poll:`
 * keyword yet (frontend/keywords.def: planned, refused by -o), so the
 * files this reads are the ones that support will write, in this format;
 * today they come from ansible-playbook runs or from the playbook itself.
 * One request reads the file (or removes it, mode=cleanup); the controller
 * parses the JSON and answers as the action and module together do.
 */
#include "mod.h"

static const ModParam async_status_params[] = {
    {.name = "jid", .type = MP_STR, .required = true},
    {.name = "mode", .type = MP_STR, .choices = "status,cleanup", .def = "status"},
};
const ModSchema mod_schema_async_status = {
    .name = "async_status",
    .params = async_status_params,
    .nparams = MOD_N(async_status_params),
    .check_mode = false,
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

#define ASYNC_DIR "~/.ansible_async"

/* The action's part of the result (before the module's is merged in). */
static RtValue *action_result(const char *jid, bool cleanup) {
  RtValue *r = rt_dict_new(12);
  rt_dict_set(r, "started", rt_int(cleanup ? 0 : 1));
  rt_dict_set(r, "finished", rt_int(0));
  rt_dict_set(r, "stdout", rt_strz(""));
  rt_dict_set(r, "stderr", rt_strz(""));
  rt_dict_set(r, "stdout_lines", rt_list_new(0));
  rt_dict_set(r, "stderr_lines", rt_list_new(0));
  rt_dict_set(r, "ansible_job_id", rt_strz(jid));
  char *p = rt_xasprintf(ASYNC_DIR "/%s", jid);
  rt_dict_set(r, cleanup ? "erased" : "results_file", rt_str_take(p, strlen(p)));
  return r;
}

/* merge_hash(action, module): the module's keys win. Takes `mod`. */
static RtValue *merge(RtValue *r, RtValue *mod) {
  for (size_t i = 0; i < mod->u.dict.len; i++)
    rt_dict_set(r, mod->u.dict.ents[i].key->u.str.s, rt_incref(mod->u.dict.ents[i].val));
  rt_decref(mod);
  return r;
}

RtValue *mod_async_status(RtHost *h, RtValue *args) {
  char *jid = mod_arg_str(args, "jid"), *mode = mod_arg_str(args, "mode");
  bool cleanup = mode && strcmp(mode, "cleanup") == 0;
  RtValue *r = action_result(jid ? jid : "", cleanup), *m = NULL;
  RtBuf s = {0};
  rt_buf_puts(&s, "__playc_v=" ASYNC_DIR "; __playc_user; d=$__playc_v\n");
  mod_sh_set(&s, "j", jid ? jid : "");
  rt_buf_printf(&s, "f=$d/$j; __playc_rec path \"$f\"\n"
                    "[ %d = 0 ] || exit 0\n"
                    "[ -e \"$f\" ] || { __playc_rec missing 1; exit 0; }\n"
                    "%s\n",
                h->check_mode ? 1 : 0, cleanup ? "rm -f -- \"$f\"" : "t=$(cat -- \"$f\" 2>/dev/null; echo x); __playc_rec text \"${t%x}\"");
  RtExec ex;
  char *err = NULL;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  free(err);
  if (rc < 0) {
    rt_decref(r);
    r = NULL;
    goto out;
  }
  const char *path = mod_rec(&ex, "path") ? mod_rec(&ex, "path") : "";
  rt_dict_set(r, cleanup ? "erased" : "results_file", rt_strz(path)); /* the action's, expanded */
  m = rt_dict_new(6);
  if (h->check_mode) { /* the module is skipped; the action still answers */
    rt_decref(m);
    m = mod_check_skip("ansible.legacy.async_status");
  } else if (mod_rec(&ex, "missing")) {
    rt_dict_set(m, "failed", rt_bool(true));
    rt_dict_set(m, "msg", rt_strz("could not find job"));
    rt_dict_set(m, "ansible_job_id", rt_strz(jid));
    rt_dict_set(m, "started", rt_int(1));
    rt_dict_set(m, "finished", rt_int(1));
  } else if (cleanup) {
    rt_dict_set(m, "ansible_job_id", rt_strz(jid));
    rt_dict_set(m, "erased", rt_strz(path));
  } else {
    const char *text = mod_rec(&ex, "text") ? mod_rec(&ex, "text") : "";
    char *perr = NULL;
    RtValue *data = *text ? rt_parse_json(text, strlen(text), &perr) : NULL;
    free(perr);
    if (!data || rt_kind(data) != RT_DICT) {
      if (data && rt_kind(data) != RT_DICT) { /* parsed, but not a result: Ansible fails */
        RtBuf b = {0};
        rt_render_str(&b, data);
        char *msg = rt_xasprintf("Could not parse job output: %s", b.data ? b.data : "");
        rt_dict_set(m, "failed", rt_bool(true));
        rt_dict_set(m, "msg", rt_str_take(msg, strlen(msg)));
        rt_dict_set(m, "finished", rt_int(1));
        rt_buf_free(&b);
      } else {
        rt_dict_set(m, "finished", rt_int(0));
      }
      rt_dict_set(m, "results_file", rt_strz(path));
      rt_dict_set(m, "ansible_job_id", rt_strz(jid));
      rt_dict_set(m, "started", rt_int(1));
    } else {
      rt_decref(m);
      m = rt_dict_copy(data);
      if (!rt_dict_get(m, "started")) {
        rt_dict_set(m, "finished", rt_int(1));
        rt_dict_set(m, "ansible_job_id", rt_strz(jid));
      } else if (!rt_dict_get(m, "finished")) {
        rt_dict_set(m, "finished", rt_int(0));
      }
    }
    rt_decref(data);
  }
  rt_exec_free(&ex);
  /* _execute_module adds the lines of the module's own stdout/stderr */
  static const char *const streams[] = {"stdout", "stderr"};
  for (int i = 0; i < 2; i++) {
    RtValue *v = rt_dict_get(m, streams[i]);
    char key[16];
    snprintf(key, sizeof key, "%s_lines", streams[i]);
    if (v && rt_kind(v) == RT_STR && !rt_dict_get(m, key))
      rt_dict_set(m, key, mod_lines(v->u.str.s, v->u.str.len));
  }
  r = merge(r, m);
out:
  free(jid);
  free(mode);
  return r;
}

#endif
