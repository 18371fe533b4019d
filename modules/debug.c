/*
 * debug.c — the debug action: msg, or var (compiled: `var` holds the source text, `__var`
 * its value), verbosity; the result as Ansible's debug action prints it.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam debug_params[] = {
    {.name = "msg", .type = MP_RAW},
    {.name = "var", .type = MP_EXPR},
    {.name = "verbosity", .type = MP_INT},
};
const ModSchema mod_schema_debug = {
    .name = "debug",
    .params = debug_params,
    .nparams = MOD_N(debug_params),
    .controller_only = true,
    .exclusive = "msg,var"};

#ifndef MOD_SCHEMA_ONLY

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
    if (val && rt_kind(val) == RT_ERROR && val->u.err.exc == RT_EXC_OTHER) { /* an AnsibleError (a vault
                                                 value that does not open...): only undefined is caught */
      rt_buf_free(&key);
      rt_decref(r);
      return mod_fail_result("%s", val->u.err.msg);
    }
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

#endif
