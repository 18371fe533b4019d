/*
 * set_fact.c — the set_fact action: each key a host variable at the set_fact level,
 * checked to be a valid identifier as Ansible checks it. With cacheable, they
 * are facts too (ansible_facts.NAME, and kept by meta: clear_facts's level),
 * as Ansible's strategy stores them with set_host_facts.
 */
#include "facts.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam set_fact_params[] = {
    {.name = "cacheable", .type = MP_BOOL},
};
const ModSchema mod_schema_set_fact = {
    .name = "set_fact",
    .params = set_fact_params,
    .nparams = MOD_N(set_fact_params),
    .free_form = true,
    .any_params = true,
    .controller_only = true};

#ifndef MOD_SCHEMA_ONLY

static bool valid_identifier(const char *s) {
  if (!(isalpha((unsigned char)*s) || *s == '_'))
    return false;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_'))
      return false;
  return true;
}

RtValue *mod_set_fact(RtHost *h, RtValue *args) {
  RtValue *facts = rt_dict_new(rt_len(args));
  for (size_t i = 0; i < args->u.dict.len; i++) {
    const char *k = args->u.dict.ents[i].key->u.str.s;
    if (strcmp(k, "cacheable") == 0)
      continue;
    if (!valid_identifier(k)) {
      rt_decref(facts);
      return mod_fail_result("The variable name '%s' is not valid. Variables must start with a "
                             "letter or underscore character, and contain only letters, numbers "
                             "and underscores.",
                             k);
    }
    rt_dict_set(facts, k, rt_incref(args->u.dict.ents[i].val));
  }
  if (rt_len(facts) == 0) {
    rt_decref(facts);
    return mod_fail_result("No key/value pairs provided, at least one is required for this action "
                           "to succeed");
  }
  int cacheable = mod_arg_bool(args, "cacheable", 0);
  if (cacheable == 1)
    mod_facts_store(h, facts);
  for (size_t i = 0; i < facts->u.dict.len; i++)
    rt_host_set_fact(h, facts->u.dict.ents[i].key->u.str.s, rt_incref(facts->u.dict.ents[i].val));
  RtValue *r = rt_dict_new(2);
  rt_dict_set(r, "ansible_facts", facts);
  rt_dict_set(r, "changed", rt_bool(false));
  return r;
}

#endif
