/*
 * assert.c — the assert action: every `that` condition (compiled: `that` holds the source
 * texts, `__that` the values), fail_msg / success_msg, quiet.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam assert_params[] = {
    {.name = "that", .type = MP_EXPR_LIST}, /* required: the action says so its way */
    {.name = "fail_msg", .type = MP_RAW, .aliases = "msg"},
    {.name = "success_msg", .type = MP_RAW},
    {.name = "quiet", .type = MP_BOOL},
};
const ModSchema mod_schema_assert = {
    .name = "assert",
    .params = assert_params,
    .nparams = MOD_N(assert_params),
    .controller_only = true};

#ifndef MOD_SCHEMA_ONLY

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
  if (!that)
    return mod_raise(rt_xstrdup("conditional required in \"that\" string"));
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

#endif
