/*
 * env.c — the `environment` keyword: the variables a task's remote commands
 * see, as Task._post_validate_environment and ActionBase's
 * _compute_environment_string build them.
 *
 * The task's RT_TK_ENVIRONMENT root gives a list: the repr of the levels as
 * written (the warning shows it), then every level's value, outermost
 * (play) first; a dict's values are templated one by one, a
 * template must give a dict (else Ansible's "could not parse environment
 * value" warning, and that level is skipped); later keys override earlier
 * ones. Each value travels as Python's str() of it ("True", "[1, 'a']").
 *
 * The result is one line of the framed request, inside its subshell:
 *     export 'NAME=value' 'NAME2=value2'
 * every word quoted, so no value can change the command, and every name
 * checked to be a shell name first: a name the shell would not take fails
 * the task as the shell makes Ansible's module fail ("not found", rc 127),
 * before anything runs. The export sits after `become` escalation (the
 * request runs in the become shell), as Ansible puts its prefix after sudo.
 */
#include "rt.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A name `export` accepts: [A-Za-z_][A-Za-z0-9_]*. */
static bool env_name_ok(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9'))
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
      return false;
  return true;
}

/* Merges dict `d` into `env` (inner levels replace outer values). */
static void env_merge(RtValue *env, const RtValue *d) {
  for (size_t i = 0; i < d->u.dict.len; i++)
    rt_dict_set(env, d->u.dict.ents[i].key->u.str.s, rt_incref(d->u.dict.ents[i].val));
}

/* The error (or undefined value) of a level or of one of its values
 * (borrowed), or NULL. */
static RtValue *env_error(RtValue *d) {
  if (rt_is_error(d))
    return d;
  for (size_t i = 0; rt_kind(d) == RT_DICT && i < d->u.dict.len; i++)
    if (rt_is_error(d->u.dict.ents[i].val))
      return d->u.dict.ents[i].val;
  return NULL;
}

/* The MODULE FAILURE result of a command line the shell rejects. */
static RtValue *env_bad_name(const char *name, const RtValue *v) {
  RtBuf b = {0};
  rt_buf_printf(&b, "/bin/sh: 1: %s=", name);
  rt_render_str(&b, v);
  rt_buf_puts(&b, ": not found\n");
  RtValue *r = rt_dict_new(6);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "failed", rt_bool(true));
  size_t n = b.len;
  rt_dict_set(r, "module_stderr", rt_str_take(rt_buf_take(&b), n));
  rt_dict_set(r, "module_stdout", rt_strz(""));
  rt_dict_set(r, "msg", rt_strz("MODULE FAILURE\nSee stdout/stderr for the exact error"));
  rt_dict_set(r, "rc", rt_int(127));
  return r;
}

RtValue *rt_env_prefix(RtHost *h, const RtTaskDef *t, char **prefix) {
  *prefix = NULL;
  RtExprFn fn = t->kw[RT_TK_ENVIRONMENT];
  if (!fn)
    return NULL;
  RtValue *levels = fn(h);
  if (rt_is_error(levels))
    return levels;
  RtValue *env = rt_dict_new(4);
  bool warned = false;
  for (size_t i = 1; rt_kind(levels) == RT_LIST && i < rt_len(levels); i++) {
    RtValue *d = rt_list_at(levels, i), *bad = env_error(d);
    if (bad) {
      bad = rt_incref(bad);
      rt_decref(levels);
      rt_decref(env);
      return bad;
    }
    if (rt_kind(d) == RT_DICT)
      env_merge(env, d);
    else if (!warned && rt_kind(d) != RT_NONE) {
      RtValue *raw = rt_list_at(levels, 0);
      rt_out_warning(h->run, "could not parse environment value, skipping: %s", raw->u.str.s);
      warned = true;
    }
  }
  rt_decref(levels);
  RtValue *fault = NULL;
  RtBuf line = {0};
  for (size_t i = 0; i < env->u.dict.len && !fault; i++) {
    const char *name = env->u.dict.ents[i].key->u.str.s;
    const RtValue *v = env->u.dict.ents[i].val;
    if (!env_name_ok(name)) {
      fault = env_bad_name(name, v);
      break;
    }
    RtBuf word = {0};
    rt_buf_printf(&word, "%s=", name);
    rt_render_str(&word, v);
    rt_buf_puts(&line, i ? " " : "export ");
    rt_sh_quote(&line, word.data);
    rt_buf_free(&word);
  }
  rt_decref(env);
  if (fault) {
    rt_buf_free(&line);
    return fault;
  }
  if (line.data) {
    rt_buf_putc(&line, '\n');
    *prefix = rt_buf_take(&line);
  }
  return NULL;
}

bool rt_env_refused(RtHost *h, const RtTaskDef *t) {
  static atomic_bool warned; /* Display.warning shows a message once per run */
  if (!t->kw[RT_TK_ENVIRONMENT] || strcmp(t->action, "raw") != 0)
    return false;
  if (!atomic_exchange(&warned, true))
    rt_out_warning(h->run, "raw module does not support the environment keyword");
  return true;
}
