/*
 * fail.c — the fail action: a failed result with `msg`.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam fail_params[] = {
    {.name = "msg", .type = MP_RAW},
};
const ModSchema mod_schema_fail = {
    .name = "fail",
    .params = fail_params,
    .nparams = MOD_N(fail_params),
    .controller_only = true};

#ifndef MOD_SCHEMA_ONLY

RtValue *mod_fail(RtHost *h, RtValue *args) {
  (void)h;
  RtValue *msg = rt_dict_get(args, "msg");
  RtValue *r = rt_dict_new(3);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, "msg", msg ? rt_incref(msg) : rt_strz("Failed as requested from task"));
  return r;
}

#endif
