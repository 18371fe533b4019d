/*
 * ping.c — the ping module: proves the target answers a request (one round
 * trip, no process beyond the connection's shell) and returns `data`
 * ("pong") as "ping". data=crash fails as Ansible's module does when it
 * raises.
 */
#include "mod.h"

static const ModParam ping_params[] = {
    {.name = "data", .type = MP_STR, .def = "pong"},
};
const ModSchema mod_schema_ping = {
    .name = "ping",
    .params = ping_params,
    .nparams = MOD_N(ping_params),
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

RtValue *mod_ping(RtHost *h, RtValue *args) {
  RtExec ex;
  char *err = NULL;
  if (rt_host_exec(h, ":", NULL, 0, &ex, &err) < 0) {
    free(err);
    return NULL;
  }
  rt_exec_free(&ex);
  char *data = mod_arg_str(args, "data");
  RtValue *r;
  if (data && strcmp(data, "crash") == 0) { /* the module raises Exception("boom") */
    r = mod_fail_result("MODULE FAILURE\nSee stdout/stderr for the exact error");
    rt_dict_set(r, "exception", rt_strz("Exception: boom\n"));
  } else {
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "ping", rt_strz(data ? data : "pong"));
  }
  free(data);
  return r;
}

#endif
