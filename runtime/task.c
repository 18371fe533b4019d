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
#include "rt.h"

#include <stdlib.h>
#include <string.h>

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
  h->loop_items = items;
  rt_decref(h->results);
  h->results = rt_list_new(rt_len(items));
  return (int64_t)rt_len(items);
}

void rt_loop_bind(RtHost *h, int64_t i) {
  h->loop_index = i;
  rt_host_set_var(h, RT_VL_TASK, "item", rt_incref(rt_list_at(h->loop_items, (size_t)i)));
  rt_host_set_var(h, RT_VL_TASK, "ansible_loop_var", rt_strz("item"));
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
  RtValue *r = rt_modules[t->module](h, args);
  rt_decref(args);
  if (!r) {
    RtValue *u = rt_dict_new(4);
    rt_dict_set(u, "changed", rt_bool(false));
    rt_dict_set(u, "msg", rt_strz(h->unreachable_msg ? h->unreachable_msg : "unreachable"));
    rt_dict_set(u, "unreachable", rt_bool(true));
    set_result(h, u);
    return false;
  }
  if (r->refs != 1) { /* ensure we own it alone before editing */
    RtValue *c = rt_dict_copy(r);
    rt_decref(r);
    r = c;
  }
  if (rt_dict_get(r, RT_RAISED_KEY)) /* raised, not returned: no "changed" */
    rt_dict_del(r, RT_RAISED_KEY);
  else if (!rt_dict_get(r, "changed"))
    rt_dict_set(r, "changed", rt_bool(false));
  set_result(h, r);
  h->result_from_module = true;
  if (t->register_var)
    rt_host_set_var(h, RT_VL_TASK, t->register_var, rt_incref(r));
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

void rt_step_end(RtHost *h, const RtTaskDef *t) {
  h->step_error = false;
  h->result_from_module = false;
  if (!t->has_loop || !h->results || !h->result)
    return;
  RtValue *r = h->result;
  h->result = NULL;
  RtValue *item = rt_list_at(h->loop_items, (size_t)h->loop_index);
  rt_dict_set(r, "item", rt_incref(item));
  rt_dict_set(r, "ansible_loop_var", rt_strz("item"));
  rt_out_result(h, t, r, status_of(r, false) == RT_STATUS_IGNORED ? RT_STATUS_FAILED
                                                                   : status_of(r, false),
                true);
  rt_list_push(h->results, r);
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

static void count(RtHost *h, RtStatus st, const RtValue *r) {
  RtCounts *c = &h->counts;
  switch (st) {
  case RT_STATUS_OK:
    c->ok++;
    break;
  case RT_STATUS_CHANGED:
    c->ok++;
    c->changed++;
    break;
  case RT_STATUS_SKIPPED:
    c->skipped++;
    break;
  case RT_STATUS_FAILED:
    c->failed++;
    h->failed = true;
    break;
  case RT_STATUS_IGNORED:
    c->ok++;
    c->ignored++;
    if (truthy_key(r, "changed"))
      c->changed++;
    break;
  case RT_STATUS_UNREACHABLE:
    c->unreachable++;
    h->unreachable = true;
    break;
  }
}

RtStatus rt_task_finish(RtHost *h, const RtTaskDef *t) {
  RtValue *r;
  h->step_error = false;
  h->result_from_module = false;
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
  RtStatus st = status_of(r, t->ignore_errors);
  count(h, st, r);
  /* A loop's own result prints only for a failed debug loop: the callback's
   * _clean_results keeps debug's "msg" alone, and without "results" the
   * failure prints as a task's ("One or more items failed"). */
  bool debug_failed = loop_ran && strcmp(t->action, "debug") == 0 &&
                      (st == RT_STATUS_FAILED || st == RT_STATUS_IGNORED);
  if (!loop_ran || debug_failed)
    rt_out_result(h, t, r, st, false);
  else if (st == RT_STATUS_IGNORED) {
    pthread_mutex_lock(&h->run->out_lock);
    fputs("...ignoring\n", stdout);
    fflush(stdout);
    pthread_mutex_unlock(&h->run->out_lock);
  }
  rt_decref(h->layers[RT_VL_TASK]);
  h->layers[RT_VL_TASK] = NULL;
  if (t->register_var && st != RT_STATUS_UNREACHABLE)
    rt_host_set_fact(h, t->register_var, r);
  else
    rt_decref(r);
  h->loop_items = NULL;
  h->loop_index = -1;
  return st;
}
