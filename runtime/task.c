/*
 * task.c — the task steps that compiled task functions call (playc.h "task
 * steps" and its call protocol). A step is one loop item, or the whole task
 * without a loop; its result is a dict kept in h->result. rt_task_finish
 * aggregates loop results the way Ansible's TaskExecutor does ("results",
 * "changed" if any item changed, "msg": "All items completed" ...), registers
 * the result, counts it for the recap and prints the host's line.
 *
 * Results are built fresh per step (refs == 1), so they are edited in place.
 */
#include "config.h"
#include "rt.h"
#include "modules.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool truthy_key(const RtValue *r, const char *key) {
  const RtValue *v = r ? rt_dict_get(r, key) : NULL;
  return v && rt_truth((RtValue *)v, NULL) == 1;
}

/* The message of an error or undefined value. */
static const char *err_text(const RtValue *err) {
  if (rt_kind(err) == RT_ERROR)
    return err->u.err.msg;
  if (rt_kind(err) == RT_UNDEF)
    return err->u.undef.hint;
  return "unknown error";
}

static bool is_undefined(const RtValue *err) {
  return rt_kind(err) == RT_UNDEF || (rt_kind(err) == RT_ERROR && err->u.err.exc == RT_EXC_UNDEFINED);
}

/* An error's text as Ansible's templar reports it: it wraps jinja2's
 * UndefinedError and prints both, "'x' is undefined. 'x' is undefined". */
static char *error_text(const RtValue *err) {
  const char *why = err_text(err);
  return is_undefined(err) ? rt_xasprintf("%s. %s", why, why) : rt_xstrdup(why);
}

char *rt_cond_error_text(const char *src, const RtValue *err) {
  char *e = error_text(err), *msg;
  if (is_undefined(err))
    msg = rt_xasprintf("The conditional check '%s' failed. The error was: error while "
                       "evaluating conditional (%s): %s",
                       src, src, e);
  else if (rt_kind(err) == RT_ERROR && err->u.err.exc == RT_EXC_TYPE) /* templar's TypeError */
    msg = rt_xasprintf("The conditional check '%s' failed. The error was: Unexpected templating "
                       "type error occurred on ({%% if %s %%} True {%% else %%} False {%% endif "
                       "%%}): %s. %s",
                       src, src, e, e);
  else
    msg = rt_xasprintf("The conditional check '%s' failed. The error was: %s", src, e);
  free(e);
  return msg;
}

static RtValue *failure(const char *msg) {
  RtValue *r = rt_dict_new(4);
  rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, "msg", rt_strz(msg));
  return r;
}

/* The result Ansible's TaskExecutor returns for a Python exception it does
 * not wrap (ZeroDivisionError, OverflowError, ...), raised while templating
 * the arguments (then the result has no message: the callback prints the
 * exception's last line above it) or the loop ("Unexpected failure during
 * module execution"). Its "exception" text is that last line: compiled code
 * has no Python traceback to show. */
static RtValue *bare_exception(const RtValue *err, const char *cls, RtPhase phase) {
  RtValue *r = rt_dict_new(4);
  if (phase == RT_PHASE_LOOP) {
    char *msg = rt_xasprintf("Unexpected failure during module execution: %s", err->u.err.msg);
    rt_dict_set(r, "failed", rt_bool(true));
    rt_dict_set(r, "msg", rt_strz(msg));
    rt_dict_set(r, "stdout", rt_strz(""));
    free(msg);
  } else {
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "failed", rt_bool(true));
  }
  char *exc = rt_xasprintf("%s: %s\n", cls, err->u.err.msg);
  rt_dict_set(r, "exception", rt_strz(exc));
  free(exc);
  return r;
}

static void set_result(RtHost *h, RtValue *r) {
  rt_decref(h->result);
  h->result = r;
}

/* TaskExecutor._run_loop's warning when the loop variable is a variable
 * already (-e item=..., an outer include's loop): the loop's value wins.
 * Ansible runs each host's task in a fresh worker process, whose Display
 * has shown no warning yet: the warning shows for every host that runs the
 * loop, each time it runs it. */
static void loop_var_warning(RtHost *h, const RtTaskDef *t) {
  const char *var = t->loop_var ? t->loop_var : "item";
  RtValue *names = rt_var_names(h);
  bool used = false;
  for (size_t i = 0; i < rt_len(names) && !used; i++)
    used = strcmp(rt_list_at(names, i)->u.str.s, var) == 0;
  rt_decref(names);
  if (!used)
    return;
  const char *name = t->name && t->name[0] ? t->name : t->action;
  if (t->role_name)
    rt_out_warning(h->run,
                   "TASK: %s : %s: The loop variable '%s' is already in use. You should set the `loop_var` value "
                   "in the `loop_control` option for the task to something else to avoid variable collisions and "
                   "unexpected behavior.",
                   t->role_name, name, var);
  else
    rt_out_warning(h->run,
                   "TASK: %s: The loop variable '%s' is already in use. You should set the `loop_var` value in the "
                   "`loop_control` option for the task to something else to avoid variable collisions and "
                   "unexpected behavior.",
                   name, var);
}

int64_t rt_loop_begin(RtHost *h, const RtTaskDef *t, RtValue *items) {
  if (rt_too_deep(items)) {
    rt_step_error(h, t, RT_PHASE_LOOP, rt_too_deep_error());
    return -1;
  }
  if (rt_kind(items) != RT_LIST) {
    RtBuf b = {0};
    rt_buf_puts(&b, "Invalid data passed to 'loop', it requires a list, got this instead: ");
    rt_render_str(&b, items);
    rt_buf_puts(&b, ". Hint: If you passed a list/dict of just one element, try adding "
                    "wantlist=True to your lookup invocation or use q/query instead of lookup.");
    set_result(h, failure(b.data));
    rt_buf_free(&b);
    return -1;
  }
  loop_var_warning(h, t);
  h->loop_items = items;
  rt_decref(h->results);
  h->results = rt_list_new(rt_len(items));
  h->slim_results = !t->register_var && !h->run->report && !t->kw[RT_TK_RUN_ONCE] && !h->rescuable;
  return (int64_t)rt_len(items);
}

/* ansible_loop (loop_control.extended): index, index0, revindex, first, ... */
static RtValue *loop_extended(RtHost *h, int64_t i) {
  RtValue *items = h->loop_items;
  int64_t n = (int64_t)rt_len(items);
  RtValue *d = rt_dict_new(10);
  rt_dict_set(d, "allitems", rt_incref(items));
  rt_dict_set(d, "index", rt_int(i + 1));
  rt_dict_set(d, "index0", rt_int(i));
  rt_dict_set(d, "first", rt_bool(i == 0));
  rt_dict_set(d, "last", rt_bool(i == n - 1));
  rt_dict_set(d, "length", rt_int(n));
  rt_dict_set(d, "revindex", rt_int(n - i));
  rt_dict_set(d, "revindex0", rt_int(n - i - 1));
  if (i > 0)
    rt_dict_set(d, "previtem", rt_incref(rt_list_at(items, (size_t)i - 1)));
  if (i < n - 1)
    rt_dict_set(d, "nextitem", rt_incref(rt_list_at(items, (size_t)i + 1)));
  return d;
}

void rt_loop_bind(RtHost *h, int64_t i) {
  const RtTaskDef *t = h->task;
  const char *var = t && t->loop_var ? t->loop_var : "item";
  h->loop_index = i;
  rt_host_set_var(h, RT_LV_LOOP, var, rt_incref(rt_list_at(h->loop_items, (size_t)i)));
  rt_host_set_var(h, RT_LV_LOOP, "ansible_loop_var", rt_strz(var));
  if (t && t->index_var) {
    rt_host_set_var(h, RT_LV_LOOP, t->index_var, rt_int(i));
    rt_host_set_var(h, RT_LV_LOOP, "ansible_index_var", rt_strz(t->index_var));
  }
  if (t && t->loop_extended)
    rt_host_set_var(h, RT_LV_LOOP, "ansible_loop", loop_extended(h, i));
  if (i > 0 && t && t->kw[RT_TK_LOOP_PAUSE]) { /* loop_control.pause: between items */
    RtValue *p = t->kw[RT_TK_LOOP_PAUSE](h);
    double secs = rt_kind(p) == RT_INT ? (double)p->u.i : rt_kind(p) == RT_FLOAT ? p->u.f : 0;
    rt_decref(p);
    if (secs > 0)
      rt_sleep(secs);
  }
}

void rt_step_skip(RtHost *h, const RtTaskDef *t) {
  (void)t;
  RtValue *r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "skipped", rt_bool(true));
  rt_dict_set(r, "skip_reason", rt_strz("Conditional result was False"));
  set_result(h, r);
}

void rt_step_error(RtHost *h, const RtTaskDef *t, int32_t phase, RtValue *err) {
  if (h->step_error) { /* the step failed already; later steps are moot */
    rt_decref(err);
    return;
  }
  const char *src = phase == RT_PHASE_WHEN           ? t->when_src
                    : phase == RT_PHASE_CHANGED_WHEN ? t->changed_when_src
                    : phase == RT_PHASE_FAILED_WHEN  ? t->failed_when_src
                                                     : NULL;
  const char *cls = rt_kind(err) == RT_ERROR ? rt_exc_name((RtExc)err->u.err.exc) : NULL;
  if (cls && (phase == RT_PHASE_ARGS || phase == RT_PHASE_LOOP)) {
    set_result(h, bare_exception(err, cls, (RtPhase)phase));
    h->step_error = true;
    rt_decref(err);
    return;
  }
  char *msg;
  if (phase == RT_PHASE_WHEN || phase == RT_PHASE_CHANGED_WHEN || phase == RT_PHASE_FAILED_WHEN) {
    msg = rt_cond_error_text(src ? src : "", err);
    if (phase == RT_PHASE_WHEN && t->error_context) { /* raised with the task as its obj */
      char *m = rt_xasprintf("%s\n\n%s", msg, t->error_context);
      free(msg);
      msg = m;
    }
  } else if (phase == RT_PHASE_ARGS && is_undefined(err)) { /* raised with the task as its obj */
    char *e = error_text(err);
    msg = rt_xasprintf("The task includes an option with an undefined variable. "
                       "The error was: %s%s%s", e, t->error_context ? "\n\n" : "",
                       t->error_context ? t->error_context : "");
    free(e);
  } else {
    msg = error_text(err);
  }
  if ((phase == RT_PHASE_CHANGED_WHEN || phase == RT_PHASE_FAILED_WHEN) && h->result_from_module) {
    /* Ansible keeps the module's result and reports the error beside it. */
    rt_dict_set(h->result, phase == RT_PHASE_CHANGED_WHEN ? "changed_when_result"
                                                          : "failed_when_result",
                rt_strz(msg));
    rt_dict_set(h->result, "failed", rt_bool(true));
  } else {
    set_result(h, failure(msg));
  }
  /* _run_loop: an AnsibleError raised templating an item's condition or
   * arguments leaves the loop and fails the task (Python exceptions, above,
   * fail only their item) */
  if (t->has_loop && h->results && (phase == RT_PHASE_WHEN || phase == RT_PHASE_ARGS))
    h->loop_abort = true;
  h->step_error = true;
  free(msg);
  rt_decref(err);
}

/* Args without the keys whose value is `omit`. */
static RtValue *drop_omitted(RtValue *args) {
  bool any = false;
  for (size_t i = 0; rt_kind(args) == RT_DICT && i < args->u.dict.len; i++)
    any |= rt_is_omit(args->u.dict.ents[i].val);
  if (!any)
    return args;
  RtValue *d = rt_dict_new(args->u.dict.len);
  for (size_t i = 0; i < args->u.dict.len; i++)
    if (!rt_is_omit(args->u.dict.ents[i].val))
      rt_dict_set(d, args->u.dict.ents[i].key->u.str.s, rt_incref(args->u.dict.ents[i].val));
  rt_decref(args);
  return d;
}

/* The first error or undefined value inside `v` (borrowed), or NULL. Keys
 * starting with "__" hold compiled expression values that the module itself
 * judges (debug's var, assert's that). */
static RtValue *find_error(RtValue *v) {
  if (rt_is_error(v))
    return v;
  if (rt_kind(v) == RT_LIST)
    for (size_t i = 0; i < rt_len(v); i++) {
      RtValue *e = find_error(rt_list_at(v, i));
      if (e)
        return e;
    }
  if (rt_kind(v) == RT_DICT)
    for (size_t i = 0; i < v->u.dict.len; i++) {
      if (strncmp(v->u.dict.ents[i].key->u.str.s, "__", 2) == 0)
        continue;
      RtValue *e = find_error(v->u.dict.ents[i].val);
      if (e)
        return e;
    }
  return NULL;
}

/* The templated arguments as mod_check_constraints reads them. */
static bool arg_given(void *ctx, const char *name) {
  RtValue *v = rt_dict_get(ctx, name);
  return v && rt_kind(v) != RT_NONE;
}

static const char *arg_text(void *ctx, const char *name) {
  RtValue *v = rt_dict_get(ctx, name);
  if (!v)
    return NULL;
  switch (rt_kind(v)) {
  case RT_STR: return v->u.str.s;
  case RT_BOOL: return v->u.b ? "True" : "False";
  default: return NULL;
  }
}

/* Sets h->env for the step (env.c); false after recording the failure of
 * an environment that does not evaluate, as Task.post_validate raises it. */
static bool step_env(RtHost *h, const RtTaskDef *t) {
  if (rt_env_refused(h, t))
    return true;
  RtValue *bad = rt_env_prefix(h, t, &h->env);
  if (!bad)
    return true;
  if (rt_kind(bad) == RT_DICT) { /* the shell refused a name */
    set_result(h, bad);
    h->result_from_module = true;
    return false;
  }
  char *e = error_text(bad), *msg;
  if (is_undefined(bad))
    msg = rt_xasprintf("The field 'environment' has an invalid value, which includes an undefined variable. "
                       "The error was: %s%s%s",
                       e, t->error_context ? "\n\n" : "", t->error_context ? t->error_context : "");
  else
    msg = rt_xstrdup(e);
  set_result(h, failure(msg));
  h->step_error = true;
  free(msg);
  free(e);
  rt_decref(bad);
  return false;
}

/* An int keyword of the task (timeout, async, poll: Ansible's int
 * attributes), or `def` when absent. */
static int64_t kw_int(RtHost *h, const RtTaskDef *t, int kw, int64_t def) {
  if (!t->kw[kw])
    return def;
  RtValue *v = t->kw[kw](h);
  int64_t n = 0;
  if (rt_kind(v) == RT_INT)
    n = v->u.i;
  else if (rt_kind(v) == RT_FLOAT)
    n = (int64_t)v->u.f;
  else if (rt_kind(v) == RT_STR)
    n = strtoll(v->u.str.s, NULL, 10);
  rt_decref(v);
  return n;
}

/* TaskExecutor._execute's TaskTimeoutError: whatever the module returned
 * (or not, when its request was stopped) gives way to Ansible's message. The
 * stopped request took the shell with it (its process group was killed), so
 * the host's connection is closed, not lost: the next task opens a new one.
 * Takes `r`. */
static RtValue *timed_out_result(RtHost *h, const RtTaskDef *t, RtValue *r, int64_t timeout) {
  rt_decref(r);
  rt_host_close(h); /* delegated: the delegate's connection (rt_delegate_end keeps none) */
  char *msg = rt_xasprintf("The %s action failed to execute in the expected time frame (%lld) and was terminated",
                           t->action, (long long)timeout);
  RtValue *f = rt_dict_new(3);
  rt_dict_set(f, "failed", rt_bool(true));
  rt_dict_set(f, "msg", rt_str_take(msg, strlen(msg)));
  return f;
}

bool rt_step_run(RtHost *h, const RtTaskDef *t, RtValue *args) {
  if (rt_too_deep(args)) { /* before find_error recurses into it */
    rt_step_error(h, t, RT_PHASE_ARGS, rt_too_deep_error());
    rt_decref(args);
    return true;
  }
  RtValue *bad = find_error(args);
  if (bad) {
    rt_step_error(h, t, RT_PHASE_ARGS, rt_incref(bad));
    rt_decref(args);
    return true;
  }
  args = drop_omitted(args);
  char *violation = mod_check_constraints(mod_schemas[t->module], arg_given, arg_text, args, true);
  if (!violation && t->fault) /* unknown names, as the compiler found them: AnsibleModule reports them last */
    violation = rt_xstrdup(t->fault);
  else if (!violation && rt_kind(args) == RT_DICT) { /* the same in templated arguments */
    int32_t n = (int32_t)args->u.dict.len;
    const char **keys = rt_xmalloc(sizeof *keys * (size_t)(n + 1));
    for (int32_t i = 0; i < n; i++)
      keys[i] = args->u.dict.ents[i].key->u.str.s;
    violation = mod_check_unsupported(mod_schemas[t->module], keys, n);
    free(keys);
  }
  if (violation) { /* AnsibleModule's argument checks, on the templated values */
    set_result(h, failure(violation));
    rt_dict_set(h->result, "changed", rt_bool(false));
    free(violation);
    rt_decref(args);
    h->result_from_module = true;
    return true;
  }
  h->check_mode = h->run->opt.check;
  if (t->kw[RT_TK_CHECK_MODE]) {
    RtValue *cm = t->kw[RT_TK_CHECK_MODE](h);
    int b = rt_to_boolean(cm);
    if (b >= 0)
      h->check_mode = b;
    rt_decref(cm);
  }
  h->diff_mode = h->run->opt.diff; /* -D, or the task's diff: keyword */
  if (t->kw[RT_TK_DIFF]) {
    RtValue *dm = t->kw[RT_TK_DIFF](h);
    int b = rt_to_boolean(dm);
    if (b >= 0)
      h->diff_mode = b;
    rt_decref(dm);
  }
  rt_conn_retarget(h); /* before delegation swaps the host's connection out */
  RtValue *bad_delegate = rt_delegate_begin(h, t);
  if (bad_delegate) {
    rt_step_error(h, t, RT_PHASE_ARGS, bad_delegate);
    rt_decref(args);
    return true;
  }
  if (!step_env(h, t)) {
    rt_delegate_end(h);
    rt_decref(args);
    return true;
  }
  int64_t timeout = kw_int(h, t, RT_TK_TIMEOUT, rt_config_int(RT_CFG_TASK_TIMEOUT, 0));
  int64_t async = kw_int(h, t, RT_TK_ASYNC, 0);
  rt_deadline_set(timeout);
  h->async_limit = async > 0 ? async : 0;
  /* delegate_facts: the delegate gets what the module sets at the fact
   * levels; the task host keeps its own */
  char *facts_to = NULL;
  RtValue *facts_saved[RT_FACT_LEVELS];
  if (h->delegate && t->kw[RT_TK_DELEGATE_FACTS]) {
    RtValue *df = t->kw[RT_TK_DELEGATE_FACTS](h);
    if (rt_to_boolean(df) == 1)
      facts_to = rt_xstrdup(h->delegate);
    rt_decref(df);
  }
  h->facts_delegated = facts_to != NULL;
  if (facts_to)
    rt_facts_capture(h, facts_saved);
  RtValue *r;
  if (async > 0 && mod_async_refused(t->action)) { /* ActionBase.run: AnsibleActionFail */
    r = rt_dict_new(4);
    rt_dict_set(r, "failed", rt_bool(true));
    rt_dict_set(r, "msg", rt_strz("async is not supported for this task."));
    rt_dict_set(r, "exception", rt_strz("NoneType: None\n"));
  } else {
    r = rt_modules[t->module](h, args);
  }
  if (facts_to) {
    rt_facts_divert(h, facts_to, facts_saved);
    free(facts_to);
  }
  h->async_limit = 0;
  bool timed_out = rt_deadline_end() && timeout > 0;
  rt_decref(args);
  if (timed_out)
    r = timed_out_result(h, t, r, timeout);
  int64_t poll = async > 0 && r && !h->check_mode ? kw_int(h, t, RT_TK_POLL, rt_config_int(RT_CFG_POLL_INTERVAL, 15)) : 0;
  if (poll > 0 && !truthy_key(r, "failed") && !truthy_key(r, "skipped"))
    r = mod_async_poll(h, r, async, poll); /* TaskExecutor._poll_async_result */
  free(h->env);
  h->env = NULL;
  rt_delegate_end(h);
  if (!r && h->become_error) { /* become.c: escalation failed ("Incorrect sudo password") */
    r = rt_dict_new(2);
    rt_dict_set(r, "msg", rt_str_take(h->become_error, strlen(h->become_error)));
    rt_dict_set(r, "failed", rt_bool(true));
    rt_dict_set(r, RT_RAISED_KEY, rt_bool(true)); /* raised by the connection: no "changed" */
    h->become_error = NULL;
  }
  if (!r && !h->unreachable) { /* interrupted: no result, the run is stopping */
    set_result(h, NULL);
    h->step_interrupted = true;
    return false;
  }
  if (!r) {
    RtValue *u = rt_dict_new(4);
    rt_dict_set(u, "changed", rt_bool(false));
    rt_dict_set(u, "msg", rt_strz(h->unreachable_msg ? h->unreachable_msg : "unreachable"));
    rt_dict_set(u, "unreachable", rt_bool(true));
    set_result(h, u);
    return false;
  }
  if (!rt_sole_ref(r)) { /* ensure we own it alone before editing */
    RtValue *c = rt_dict_copy(r);
    rt_decref(r);
    r = c;
  }
  if (rt_dict_get(r, RT_RAISED_KEY)) /* raised, not returned: no "changed" */
    rt_dict_del(r, RT_RAISED_KEY);
  else if (!rt_dict_get(r, "changed"))
    rt_dict_set(r, "changed", rt_bool(false));
  bool action_exc = rt_dict_get(r, RT_ACTION_EXC_KEY) != NULL;
  if (action_exc)
    rt_dict_del(r, RT_ACTION_EXC_KEY);
  if (!action_exc && !rt_dict_get(r, "failed")) { /* TaskExecutor._execute: "failed" from rc when missing */
    RtValue *rc = rt_dict_get(r, "rc");
    bool zero = rc && ((rt_kind(rc) == RT_INT && rc->u.i == 0) || (rt_kind(rc) == RT_BOOL && !rc->u.b) ||
                       (rt_kind(rc) == RT_FLOAT && rc->u.f == 0) ||
                       (rt_kind(rc) == RT_STR && strcmp(rc->u.str.s, "0") == 0));
    bool bad_rc = rc && !zero; /* rc not in [0, "0"] */
    rt_dict_set(r, "failed", rt_bool(bad_rc));
  }
  set_result(h, r);
  h->result_from_module = true;
  if (t->register_var) /* for changed_when / failed_when / until */
    rt_host_set_var(h, RT_LV_LOOP, t->register_var, rt_incref(r));
  return true;
}

void rt_step_set_changed(RtHost *h, bool changed) {
  if (h->result && !h->step_error)
    rt_dict_set(h->result, "changed", rt_bool(changed));
}

void rt_step_set_failed(RtHost *h, bool failed) {
  if (!h->result || h->step_error)
    return;
  rt_dict_set(h->result, "failed_when_result", rt_bool(failed));
  rt_dict_set(h->result, "failed", rt_bool(failed));
}

static RtStatus status_of(const RtValue *r, bool ignore_errors) {
  if (truthy_key(r, "unreachable"))
    return RT_STATUS_UNREACHABLE;
  if (truthy_key(r, "failed"))
    return ignore_errors ? RT_STATUS_IGNORED : RT_STATUS_FAILED;
  if (truthy_key(r, "skipped"))
    return RT_STATUS_SKIPPED;
  if (truthy_key(r, "changed"))
    return RT_STATUS_CHANGED;
  return RT_STATUS_OK;
}

/* A per-host boolean keyword of the task (ignore_errors, no_log, ...). */
static bool kw_flag(RtHost *h, const RtTaskDef *t, int kw) {
  if (!t->kw[kw])
    return false;
  RtValue *v = t->kw[kw](h);
  int b = rt_to_boolean(v);
  if (b < 0)
    b = rt_truth(v, NULL) == 1;
  rt_decref(v);
  return b == 1;
}

/* What the callbacks show of a no_log result (Ansible's _clean_res censor). */
static RtValue *censored(const RtValue *r) {
  RtValue *c = rt_dict_new(4);
  rt_dict_set(c, "censored", rt_strz("the output has been hidden due to the fact that 'no_log: true' was "
                                     "specified for this result"));
  static const char *const keep[] = {"changed", "failed", "skipped", "unreachable", "attempts", "retries", NULL};
  for (int i = 0; keep[i]; i++) {
    RtValue *v = rt_dict_get(r, keep[i]);
    if (v)
      rt_dict_set(c, keep[i], rt_incref(v));
  }
  return c;
}

/* What aggregate() reads of an item's result, which it consumes: a loop
 * whose results nobody reads keeps no more of each (h->slim_results). */
static RtValue *slim(RtValue *r) {
  static const char *const keep[] = {"changed", "failed", "skipped", NULL};
  RtValue *s = rt_dict_new(3);
  for (int i = 0; keep[i]; i++) {
    RtValue *v = rt_dict_get(r, keep[i]);
    if (v)
      rt_dict_set(s, keep[i], rt_incref(v));
  }
  rt_decref(r);
  return s;
}

bool rt_step_end(RtHost *h, const RtTaskDef *t) {
  h->step_error = false;
  h->result_from_module = false;
  if (h->loop_abort) { /* the error is the task's result: the items so far printed theirs */
    h->loop_abort = false;
    rt_decref(h->results);
    h->results = NULL;
    return false;
  }
  if (!t->has_loop || !h->results || !h->result)
    return true;
  RtValue *r = h->result;
  h->result = NULL;
  RtValue *item = rt_list_at(h->loop_items, (size_t)h->loop_index);
  const char *var = t->loop_var ? t->loop_var : "item";
  rt_dict_set(r, var, rt_incref(item));
  rt_dict_set(r, "ansible_loop_var", rt_strz(var));
  if (t->index_var) {
    rt_dict_set(r, t->index_var, rt_int(h->loop_index));
    rt_dict_set(r, "ansible_index_var", rt_strz(t->index_var));
  }
  /* the label: loop_control.label, else the loop variable (_run_loop's '{{ loop_var }}') */
  RtValue *label = t->kw[RT_TK_LOOP_LABEL] ? t->kw[RT_TK_LOOP_LABEL](h) : rt_incref(item);
  if (!rt_is_error(label))
    rt_dict_set(r, "_ansible_item_label", label);
  else
    rt_decref(label);
  if (h->attempts > 1)
    rt_dict_set(r, "attempts", rt_int(h->attempts));
  h->attempts = 0;
  RtStatus ist = status_of(r, false);
  if ((h->run->opt.diff || h->diff_mode) && !kw_flag(h, t, RT_TK_NO_LOG) &&
      (ist == RT_STATUS_OK || ist == RT_STATUS_CHANGED))
    rt_out_diff(h, r); /* an item's diff, before its line */
  /* the callbacks get TaskResult.clean_copy(): under no_log, the censored
   * result, without its item or label ("(item=None)") */
  RtValue *shown = kw_flag(h, t, RT_TK_NO_LOG) ? censored(r) : rt_incref(r);
  rt_out_result(h, t, shown, ist == RT_STATUS_IGNORED ? RT_STATUS_FAILED : ist, true);
  rt_decref(shown);
  if (h->slim_results)
    r = slim(r);
  rt_list_push(h->results, r);
  return true;
}

/* The loop's overall result, as TaskExecutor.run builds it. */
static RtValue *aggregate(RtValue *results) {
  RtValue *res = rt_dict_new(6);
  size_t n = rt_len(results);
  if (n == 0) {
    rt_dict_set(res, "changed", rt_bool(false));
    rt_dict_set(res, "skipped", rt_bool(true));
    rt_dict_set(res, "skipped_reason", rt_strz("No items in the list"));
    rt_dict_set(res, "results", results);
    return res;
  }
  bool changed = false, skipped = true, failed = false;
  for (size_t i = 0; i < n; i++) {
    RtValue *it = rt_list_at(results, i);
    changed |= truthy_key(it, "changed");
    skipped &= truthy_key(it, "skipped");
    failed |= truthy_key(it, "failed");
  }
  rt_dict_set(res, "results", results);
  rt_dict_set(res, "skipped", rt_bool(skipped));
  if (changed)
    rt_dict_set(res, "changed", rt_bool(true));
  if (failed) {
    rt_dict_set(res, "failed", rt_bool(true));
    rt_dict_set(res, "msg", rt_strz("One or more items failed"));
  } else {
    rt_dict_set(res, "msg", rt_strz(skipped ? "All items skipped" : "All items completed"));
  }
  if (!changed)
    rt_dict_set(res, "changed", rt_bool(false));
  return res;
}

/* TaskExecutor._execute's attempt loop: `retries` more attempts after the
 * first (Task.retries defaults to 3; none when it is 0 or less), `delay`
 * seconds between them; "attempts" counts them, and says `retries` once they
 * are exhausted, as Ansible's does. */
bool rt_step_until(RtHost *h, const RtTaskDef *t, int32_t truth) {
  if (truth < 0 || !h->result)
    return false;
  h->attempts++;
  int64_t retries = 3, delay = 5;
  if (t->kw[RT_TK_RETRIES]) {
    RtValue *v = t->kw[RT_TK_RETRIES](h);
    if (rt_kind(v) == RT_INT)
      retries = v->u.i;
    else if (rt_kind(v) == RT_STR)
      retries = strtoll(v->u.str.s, NULL, 10);
    rt_decref(v);
  }
  if (t->kw[RT_TK_DELAY]) {
    RtValue *v = t->kw[RT_TK_DELAY](h);
    if (rt_kind(v) == RT_INT)
      delay = v->u.i;
    else if (rt_kind(v) == RT_STR)
      delay = strtoll(v->u.str.s, NULL, 10);
    rt_decref(v);
  }
  int64_t total = retries <= 0 ? 1 : retries + 1;
  if (delay < 0)
    delay = 1;
  rt_dict_set(h->result, "attempts", rt_int(h->attempts));
  if (total == 1 || truth == 1) /* with one attempt, until is not even evaluated */
    return false;
  if (h->attempts >= total) {
    rt_dict_set(h->result, "attempts", rt_int(total - 1));
    rt_dict_set(h->result, "failed", rt_bool(true));
    return false;
  }
  rt_out_lock(h->run);
  printf("FAILED - RETRYING: [%s]: %s (%lld retries left).\n", h->name, t->name,
         (long long)(total - h->attempts));
  fflush(stdout);
  pthread_mutex_unlock(&h->run->out_lock);
  if (delay > 0 && !rt_sleep((double)delay))
    return false; /* interrupted while waiting: the step ends with its last attempt */
  rt_dict_set(h->result, "_ansible_retry", rt_bool(true));
  return true;
}

/* The task's end on a host whose step the interrupt cut short: nothing to
 * print, count or register (the recap shows what finished). */
static RtStatus finish_interrupted(RtHost *h) {
  h->step_interrupted = false;
  set_result(h, NULL);
  rt_decref(h->results);
  h->results = NULL;
  rt_host_clear_level(h, RT_LV_LOOP);
  h->loop_items = NULL;
  h->loop_index = -1;
  h->attempts = 0;
  return RT_STATUS_SKIPPED;
}

RtStatus rt_task_finish(RtHost *h, const RtTaskDef *t) {
  RtValue *r;
  h->step_error = false;
  h->result_from_module = false;
  h->loop_abort = false; /* rt_step_end clears it; an interrupted step may not reach it */
  if (h->step_interrupted)
    return finish_interrupted(h);
  bool loop_ran = t->has_loop && h->results && !h->result;
  if (loop_ran) {
    r = aggregate(h->results);
    h->results = NULL;
  } else {
    r = h->result ? h->result : failure("task produced no result");
    h->result = NULL;
    rt_decref(h->results);
    h->results = NULL;
  }
  if (!loop_ran && h->attempts > 0 && !rt_dict_get(r, "attempts"))
    rt_dict_set(r, "attempts", rt_int(h->attempts));
  h->attempts = 0;
  RtStatus st = status_of(r, kw_flag(h, t, RT_TK_IGNORE_ERRORS));
  if (st == RT_STATUS_UNREACHABLE)
    h->unreachable = true;
  /* A loop's own result prints only for a failed debug loop: the callback's
   * _clean_results keeps debug's "msg" alone, and without "results" the
   * failure prints as a task's ("One or more items failed"). */
  bool debug_failed = loop_ran && strcmp(t->action, "debug") == 0 &&
                      (st == RT_STATUS_FAILED || st == RT_STATUS_IGNORED);
  bool no_log = kw_flag(h, t, RT_TK_NO_LOG);
  bool stopped = st == RT_STATUS_CHANGED && !rt_notify_known(h, t); /* nothing more prints */
  /* the strategy's v2_on_file_diff, sent after the notifications and before
   * the ok/changed line (a loop's items sent theirs before their own lines) */
  if (!stopped && (h->run->opt.diff || h->diff_mode) && !no_log && !loop_ran &&
      (st == RT_STATUS_OK || st == RT_STATUS_CHANGED))
    rt_out_diff(h, r);
  if (stopped) {
    /* the run stops: ansible-playbook prints its error, no result */
  } else if (loop_ran && no_log) { /* censored, the result has no "results": it prints as a task's */
    RtValue *c = censored(r);
    rt_out_result(h, t, c, st, false);
    rt_decref(c);
  } else if (loop_ran && st == RT_STATUS_SKIPPED) { /* v2_runner_on_skipped prints the host after its items */
    RtValue *c = rt_dict_copy(r);
    rt_dict_del(c, "results"); /* _process_items */
    rt_out_result(h, t, c, st, false);
    rt_decref(c);
  } else if (!loop_ran || debug_failed) {
    if (no_log) {
      RtValue *c = censored(r);
      rt_out_result(h, t, c, st, false);
      rt_decref(c);
    } else {
      rt_out_result(h, t, r, st, false);
    }
  } else if (st == RT_STATUS_IGNORED) {
    rt_out_skip_line(h->run, "...ignoring");
  }
  if (!stopped)
    rt_out_requests(h);
  if (!stopped && h->run->report) { /* the reports see what the callbacks see */
    RtValue *c = kw_flag(h, t, RT_TK_NO_LOG) ? censored(r) : rt_incref(r);
    rt_report_result(h, t, c, st);
    rt_decref(c);
  }
  rt_host_clear_level(h, RT_LV_LOOP);
  if (t->register_var && st != RT_STATUS_UNREACHABLE)
    rt_host_set_fact(h, t->register_var, rt_unsafe_wrap(r)); /* Ansible's wrap_var: never templated */
  rt_decref(h->last_result);
  h->last_result = r;
  h->loop_items = NULL;
  h->loop_index = -1;
  free(h->delegate_label); /* its results have printed */
  h->delegate_label = NULL;
  return st;
}
