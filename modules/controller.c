/*
 * controller.c — the modules that run on the controller and never touch the
 * target: debug, set_fact, assert, fail. Their results match Ansible's
 * action plugins of the same names. Bare-expression parameters (debug var,
 * assert that) arrive compiled: `var`/`that` hold the source text, `__var` /
 * `__that` the values the compiled expressions produced.
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The verbosity arg as int (an int, or a string of digits), 0 when absent. */
static long debug_verbosity(RtValue *args) {
  RtValue *v = rt_dict_get(args, "verbosity");
  if (v && rt_kind(v) == RT_INT)
    return (long)v->u.i;
  if (v && rt_kind(v) == RT_STR)
    return strtol(v->u.str.s, NULL, 10);
  return 0;
}

RtValue *mod_debug(RtHost *h, RtValue *args) {
  if (rt_dict_get(args, "msg") && rt_dict_get(args, "var"))
    return mod_fail_result("'msg' and 'var' are incompatible options");
  RtValue *r = rt_dict_new(4);
  if (h->run->opt.verbosity < debug_verbosity(args)) {
    rt_dict_set(r, "skipped_reason", rt_strz("Verbosity threshold not met."));
    rt_dict_set(r, "skipped", rt_bool(true));
    rt_dict_set(r, "changed", rt_bool(false));
    return r;
  }
  RtValue *var = rt_dict_get(args, "var");
  if (var) {
    RtValue *val = rt_dict_get(args, "__var");
    RtBuf key = {0};
    rt_render_str(&key, var);
    if (!val || rt_kind(val) == RT_UNDEF || rt_kind(val) == RT_ERROR) {
      const char *why = !val ? NULL : rt_kind(val) == RT_UNDEF ? val->u.undef.hint : val->u.err.msg;
      if (h->run->opt.verbosity > 0 && why) /* -v adds the reason, as Ansible */
        rt_dict_set(r, key.data, rt_str_take(rt_xasprintf("VARIABLE IS NOT DEFINED!: %s", why),
                                            strlen("VARIABLE IS NOT DEFINED!: ") + strlen(why)));
      else
        rt_dict_set(r, key.data, rt_strz("VARIABLE IS NOT DEFINED!"));
    }
    else
      rt_dict_set(r, key.data, rt_incref(val));
    rt_buf_free(&key);
  } else {
    RtValue *msg = rt_dict_get(args, "msg");
    rt_dict_set(r, "msg", msg ? rt_incref(msg) : rt_strz("Hello world!"));
  }
  rt_dict_set(r, "_ansible_verbose_always", rt_bool(true));
  rt_dict_set(r, "changed", rt_bool(false));
  return r;
}

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
  for (size_t i = 0; i < facts->u.dict.len; i++)
    rt_host_set_fact(h, facts->u.dict.ents[i].key->u.str.s, rt_incref(facts->u.dict.ents[i].val));
  RtValue *r = rt_dict_new(2);
  rt_dict_set(r, "ansible_facts", facts);
  rt_dict_set(r, "changed", rt_bool(false));
  return r;
}

/* The i-th element of a str-or-list arg. */
static RtValue *nth(RtValue *v, size_t i) {
  if (!v)
    return NULL;
  if (rt_kind(v) == RT_LIST)
    return i < rt_len(v) ? rt_list_at(v, i) : NULL;
  return i == 0 ? v : NULL;
}

RtValue *mod_assert(RtHost *h, RtValue *args) {
  (void)h;
  RtValue *that = rt_dict_get(args, "that"), *vals = rt_dict_get(args, "__that");
  RtValue *fail_msg = rt_dict_get(args, "fail_msg"), *success_msg = rt_dict_get(args, "success_msg");
  if (!fail_msg) /* alias */
    fail_msg = rt_dict_get(args, "msg");
  int quiet = mod_arg_bool(args, "quiet", 0);
  size_t n = vals && rt_kind(vals) == RT_LIST ? rt_len(vals) : 0;
  for (size_t i = 0; i < n; i++) {
    RtValue *err = NULL;
    int ok = rt_cond(rt_list_at(vals, i), &err);
    RtValue *src = nth(that, i);
    if (ok < 0) {
      RtBuf b = {0};
      rt_render_str(&b, src);
      RtValue *r = mod_raise(rt_cond_error_text(b.data ? b.data : "", err));
      rt_buf_free(&b);
      rt_decref(err);
      return r;
    }
    if (!ok) {
      RtValue *r = rt_dict_new(6);
      rt_dict_set(r, "assertion", src ? rt_incref(src) : rt_none());
      rt_dict_set(r, "changed", rt_bool(false));
      rt_dict_set(r, "evaluated_to", rt_bool(false));
      rt_dict_set(r, "failed", rt_bool(true));
      rt_dict_set(r, "msg", fail_msg ? rt_incref(fail_msg) : rt_strz("Assertion failed"));
      return r;
    }
  }
  RtValue *r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "msg", success_msg ? rt_incref(success_msg) : rt_strz("All assertions passed"));
  if (quiet != 1)
    rt_dict_set(r, "_ansible_verbose_always", rt_bool(true));
  return r;
}

RtValue *mod_fail(RtHost *h, RtValue *args) {
  (void)h;
  RtValue *msg = rt_dict_get(args, "msg");
  RtValue *r = rt_dict_new(3);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, "msg", msg ? rt_incref(msg) : rt_strz("Failed as requested from task"));
  return r;
}

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
