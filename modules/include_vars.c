/*
 * include_vars.c — the include_vars action over the candidates compiled with the task.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam include_vars_params[] = {
    {.name = "_raw_params", .type = MP_STR},
    {.name = "file", .type = MP_PATH},
    {.name = "name", .type = MP_STR},
};
const ModSchema mod_schema_include_vars = {
    .name = "include_vars",
    .params = include_vars_params,
    .nparams = MOD_N(include_vars_params),
    .free_form = true,
    .controller_only = true,
    .one_of = "_raw_params,file"};

#ifndef MOD_SCHEMA_ONLY

/* include_vars: the file was compiled with the task (every file it can
 * name is a frame of the task's include); its vars join the host's
 * include_vars level, a template kept lazy as Ansible keeps it, or under
 * `name` as one dict. */
RtValue *mod_include_vars(RtHost *h, RtValue *args) {
  const RtIncludeDef *inc = h->task ? h->task->include : NULL;
  char *file = mod_arg_str(args, "file");
  if (!file)
    file = mod_arg_str(args, "_raw_params");
  char *name = mod_arg_str(args, "name");
  int32_t cand = inc && file ? rt_include_candidate(h->run, inc, file) : -1;
  if (cand < 0) {
    RtValue *r = mod_fail_result("Could not find or access '%s'\nSearched in:\n\t%s", file ? file : "",
                                 inc && inc->ndirs ? inc->dirs[0] : "");
    free(file);
    free(name);
    return r;
  }
  const RtScope *f = inc->frames[cand];
  const RtValue *vault_vars = NULL; /* an encrypted file's vars, decrypted now */
  if (f && f->vault_text) {
    const char *err = NULL;
    vault_vars = rt_vault_run_data(h->run, f, &err);
    if (!vault_vars) {
      free(file);
      free(name);
      return mod_fail_result("%s", err ? err : "?");
    }
  }
  RtValue *facts = rt_dict_new(f ? (size_t)f->nvars : 0);
  RtValue *scoped = name ? rt_dict_new(f ? (size_t)f->nvars : 0) : NULL;
  for (int32_t i = 0; f && i < f->nvars; i++) {
    const RtVarDef *d = &f->vars[i];
    RtValue *v = d->value(h);
    rt_dict_set(facts, d->name, rt_incref(v));
    if (scoped)
      rt_dict_set(scoped, d->name, rt_incref(v));
    else
      rt_host_set_var(h, RT_LV_INCLUDE_VARS, d->name, d->lazy ? rt_thunk(d->value, d->name) : rt_incref(v));
    rt_decref(v);
  }
  for (size_t e = 0; vault_vars && e < vault_vars->u.dict.len; e++) {
    const char *k = vault_vars->u.dict.ents[e].key->u.str.s;
    RtValue *v = vault_vars->u.dict.ents[e].val;
    rt_dict_set(facts, k, rt_incref(v));
    if (scoped)
      rt_dict_set(scoped, k, rt_incref(v));
    else
      rt_host_set_var(h, RT_LV_INCLUDE_VARS, k, rt_incref(v));
  }
  if (scoped) {
    rt_host_set_var(h, RT_LV_INCLUDE_VARS, name, scoped);
    RtValue *wrapped = rt_dict_new(1);
    rt_dict_set(wrapped, name, facts);
    facts = wrapped;
  }
  RtValue *r = rt_dict_new(3);
  rt_dict_set(r, "ansible_facts", facts);
  RtValue *files = rt_list_new(1);
  char *abs = rt_abspath(h->run, inc->names[cand]);
  rt_list_push(files, rt_str_take(abs, strlen(abs)));
  rt_dict_set(r, "ansible_included_var_files", files);
  rt_dict_set(r, "changed", rt_bool(false));
  free(file);
  free(name);
  return r;
}

#endif
