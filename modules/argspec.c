/*
 * argspec.c — validate_argument_spec, the task Ansible puts first in a role
 * whose meta/argument_specs.yml describes its entry point: the role's params
 * (over the variables of the same names) are checked against the spec as
 * ArgumentSpecValidator does for roles — required arguments, types with
 * Ansible's conversions (str, int, float, bool, list, dict, path, raw),
 * list elements, choices, and nested options (where unknown keys are errors
 * too) — and every error is reported, in Ansible's order and words.
 */
#include "mod.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam validate_argument_spec_params[] = {
    {.name = "argument_spec", .type = MP_RAW, .required = true},
    {.name = "provided_arguments", .type = MP_RAW},
    {.name = "validate_args_context", .type = MP_RAW},
};
const ModSchema mod_schema_validate_argument_spec = {
    .name = "validate_argument_spec",
    .params = validate_argument_spec_params,
    .nparams = MOD_N(validate_argument_spec_params),
    .controller_only = true};

#ifndef MOD_SCHEMA_ONLY

/* Python's type() of a value as the YAML loader gives it. */
static const char *py_type(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_STR: return "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>";
  case RT_INT: return "<class 'int'>";
  case RT_FLOAT: return "<class 'float'>";
  case RT_BOOL: return "<class 'bool'>";
  case RT_LIST: return "<class 'ansible.parsing.yaml.objects.AnsibleSequence'>";
  case RT_DICT: return "<class 'ansible.parsing.yaml.objects.AnsibleMapping'>";
  case RT_NONE: return "<class 'NoneType'>";
  default: return "<class 'object'>";
  }
}

static const char *type_article(const char *type) {
  return !strcmp(type, "int") ? "an int" : !strcmp(type, "float") ? "a float" : !strcmp(type, "bool") ? "a bool"
         : !strcmp(type, "list") ? "a list" : !strcmp(type, "dict") ? "a dict" : "a str";
}

/* check_type_*: the converted value (new reference), or NULL when the value
 * cannot be converted. */
static RtValue *convert(RtValue *v, const char *type) {
  if (!type || !strcmp(type, "raw"))
    return rt_incref(v);
  if (!strcmp(type, "str") || !strcmp(type, "path")) {
    if (rt_kind(v) == RT_STR)
      return rt_incref(v);
    RtBuf b = {0};
    rt_render_str(&b, v);
    RtValue *s = rt_str(b.data ? b.data : "", b.len);
    rt_buf_free(&b);
    return s;
  }
  if (!strcmp(type, "int")) {
    if (rt_kind(v) == RT_INT)
      return rt_incref(v);
    if (rt_kind(v) == RT_STR) {
      char *end;
      errno = 0;
      long long i = strtoll(v->u.str.s, &end, 10);
      if (*v->u.str.s && !*end && errno == 0)
        return rt_int(i);
    }
    return NULL;
  }
  if (!strcmp(type, "float")) {
    if (rt_kind(v) == RT_FLOAT)
      return rt_incref(v);
    if (rt_kind(v) == RT_INT)
      return rt_float((double)v->u.i);
    if (rt_kind(v) == RT_STR) {
      char *end;
      double d = strtod(v->u.str.s, &end);
      if (*v->u.str.s && !*end)
        return rt_float(d);
    }
    return NULL;
  }
  if (!strcmp(type, "bool")) {
    if (rt_kind(v) == RT_BOOL)
      return rt_incref(v);
    int b = rt_kind(v) == RT_STR || rt_kind(v) == RT_INT || rt_kind(v) == RT_FLOAT ? rt_to_boolean(v) : -1;
    return b < 0 ? NULL : rt_bool(b);
  }
  if (!strcmp(type, "list")) {
    if (rt_kind(v) == RT_LIST)
      return rt_incref(v);
    if (rt_kind(v) == RT_STR) {
      RtValue *l = rt_list_new(2);
      const char *p = v->u.str.s;
      for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        rt_list_push(l, rt_str(p, n));
        if (!comma)
          break;
        p = comma + 1;
      }
      return l;
    }
    if (rt_kind(v) == RT_INT || rt_kind(v) == RT_FLOAT) {
      RtValue *l = rt_list_new(1);
      rt_list_push(l, convert(v, "str"));
      return l;
    }
    return NULL;
  }
  if (!strcmp(type, "dict"))
    return rt_kind(v) == RT_DICT ? rt_incref(v) : NULL;
  return rt_incref(v);
}

static RtValue *spec_str(const RtValue *spec, const char *key) {
  RtValue *v = rt_kind(spec) == RT_DICT ? rt_dict_get(spec, key) : NULL;
  return v && rt_kind(v) == RT_STR ? v : NULL;
}

static void add_error(RtValue *errors, const char *fmt, const char *a, const char *b, const char *c, const char *d) {
  char *msg = rt_xasprintf(fmt, a, b, c, d);
  rt_list_push(errors, rt_str_take(msg, strlen(msg)));
}

static void validate(RtValue *spec, RtValue *params, const char *where, RtValue *errors, bool top);

/* " found in X" for errors inside options */
static char *found_in(const char *where) { return where ? rt_xasprintf(" found in %s", where) : rt_xstrdup(""); }

static void validate(RtValue *spec, RtValue *params, const char *where, RtValue *errors, bool top) {
  char *suffix = found_in(where);
  /* required */
  RtBuf missing = {0};
  char **req = rt_xcalloc(spec->u.dict.len + 1, sizeof *req);
  size_t nreq = 0;
  for (size_t i = 0; i < spec->u.dict.len; i++) {
    RtValue *s = spec->u.dict.ents[i].val;
    RtValue *r = rt_kind(s) == RT_DICT ? rt_dict_get(s, "required") : NULL;
    const char *k = spec->u.dict.ents[i].key->u.str.s;
    if (r && rt_to_boolean(r) == 1 && !rt_dict_get(params, k))
      req[nreq++] = (char *)k;
  }
  qsort(req, nreq, sizeof *req, (int (*)(const void *, const void *))strcmp);
  for (size_t i = 0; i < nreq; i++)
    rt_buf_printf(&missing, "%s%s", i ? ", " : "", req[i]);
  free(req);
  if (missing.len)
    add_error(errors, "missing required arguments: %s%s", missing.data, suffix, NULL, NULL);
  rt_buf_free(&missing);
  /* unknown keys inside options (after the required ones, as Ansible) */
  if (!top) {
    RtBuf bad = {0};
    for (size_t i = 0; i < params->u.dict.len; i++) {
      const char *k = params->u.dict.ents[i].key->u.str.s;
      if (!rt_dict_get(spec, k))
        rt_buf_printf(&bad, "%s%s.%s", bad.len ? ", " : "", where ? where : "", k);
    }
    if (bad.len) {
      RtBuf legal = {0};
      char **names = rt_xcalloc(spec->u.dict.len + 1, sizeof *names);
      for (size_t i = 0; i < spec->u.dict.len; i++)
        names[i] = spec->u.dict.ents[i].key->u.str.s;
      qsort(names, spec->u.dict.len, sizeof *names, (int (*)(const void *, const void *))strcmp);
      for (size_t i = 0; i < spec->u.dict.len; i++)
        rt_buf_printf(&legal, "%s%s", i ? ", " : "", names[i]);
      free(names);
      add_error(errors, "%s. Supported parameters include: %s.", bad.data, legal.data ? legal.data : "", NULL, NULL);
      rt_buf_free(&legal);
    }
    rt_buf_free(&bad);
  }
  /* types, then choices, then nested options (ArgumentSpecValidator's order) */
  for (size_t i = 0; i < spec->u.dict.len; i++) {
    const char *k = spec->u.dict.ents[i].key->u.str.s;
    RtValue *s = spec->u.dict.ents[i].val, *v = rt_dict_get(params, k);
    RtValue *type = spec_str(s, "type");
    if (!v || rt_kind(v) == RT_NONE)
      continue;
    const char *tn = type ? type->u.str.s : "str";
    RtValue *cv = convert(v, tn);
    if (!cv) {
      char *why = rt_xasprintf("%s cannot be converted to %s", py_type(v), type_article(tn));
      add_error(errors, "argument '%s' is of type %s and we were unable to convert to %s: %s", k, py_type(v), tn, why);
      free(why);
      continue;
    }
    RtValue *el = spec_str(s, "elements");
    if (el && rt_kind(cv) == RT_LIST) {
      RtValue *l = rt_list_new(rt_len(cv));
      for (size_t j = 0; j < rt_len(cv); j++) {
        RtValue *e = rt_list_at(cv, j), *ce = convert(e, el->u.str.s);
        if (!ce) {
          char *why = rt_xasprintf("%s cannot be converted to %s", py_type(e), type_article(el->u.str.s));
          add_error(errors, "Elements value for option '%s' is of type %s and we were unable to convert to %s: %s", k,
                    py_type(e), el->u.str.s, why);
          free(why);
          ce = rt_incref(e);
        }
        rt_list_push(l, ce);
      }
      rt_decref(cv);
      cv = l;
    }
    rt_dict_set(params, k, cv);
  }
  for (size_t i = 0; i < spec->u.dict.len; i++) {
    const char *k = spec->u.dict.ents[i].key->u.str.s;
    RtValue *s = spec->u.dict.ents[i].val, *v = rt_dict_get(params, k);
    RtValue *choices = rt_kind(s) == RT_DICT ? rt_dict_get(s, "choices") : NULL;
    if (!v || !choices || rt_kind(choices) != RT_LIST)
      continue;
    bool ok = false;
    for (size_t j = 0; j < rt_len(choices) && !ok; j++)
      ok = rt_equal(rt_list_at(choices, j), v);
    if (!ok) {
      RtBuf list = {0}, got = {0};
      for (size_t j = 0; j < rt_len(choices); j++) {
        if (j)
          rt_buf_puts(&list, ", ");
        rt_render_str(&list, rt_list_at(choices, j));
      }
      rt_render_str(&got, v);
      add_error(errors, "value of %s must be one of: %s, got: %s%s", k, list.data, got.data ? got.data : "", suffix);
      rt_buf_free(&list);
      rt_buf_free(&got);
    }
  }
  for (size_t i = 0; i < spec->u.dict.len; i++) {
    const char *k = spec->u.dict.ents[i].key->u.str.s;
    RtValue *s = spec->u.dict.ents[i].val, *v = rt_dict_get(params, k);
    RtValue *opts = rt_kind(s) == RT_DICT ? rt_dict_get(s, "options") : NULL;
    if (!v || !opts || rt_kind(opts) != RT_DICT || rt_kind(v) != RT_DICT)
      continue;
    char *sub = where ? rt_xasprintf("%s.%s", where, k) : rt_xstrdup(k);
    RtValue *copy = rt_dict_copy(v);
    validate(opts, copy, sub, errors, false);
    rt_decref(copy);
    free(sub);
  }
  free(suffix);
}

RtValue *mod_validate_argument_spec(RtHost *h, RtValue *args) {
  RtValue *spec = rt_dict_get(args, "argument_spec");
  RtValue *given = rt_dict_get(args, "provided_arguments");
  RtValue *ctx = rt_dict_get(args, "validate_args_context");
  if (!spec || rt_kind(spec) != RT_DICT)
    return mod_fail_result("Incorrect type for argument_spec, expected dict and got %s",
                           spec ? py_type(spec) : "<class 'NoneType'>");
  /* the variables named like the arguments, under the params */
  RtValue *params = rt_dict_new(spec->u.dict.len);
  for (size_t i = 0; i < spec->u.dict.len; i++) {
    const char *k = spec->u.dict.ents[i].key->u.str.s;
    RtValue *v = rt_var(h, k, NULL);
    if (!rt_is_error(v))
      rt_dict_set(params, k, v);
    else
      rt_decref(v);
  }
  for (size_t i = 0; given && rt_kind(given) == RT_DICT && i < given->u.dict.len; i++)
    rt_dict_set(params, given->u.dict.ents[i].key->u.str.s, rt_incref(given->u.dict.ents[i].val));
  RtValue *errors = rt_list_new(0);
  validate(spec, params, NULL, errors, true);
  rt_decref(params);
  RtValue *path = ctx && rt_kind(ctx) == RT_DICT ? rt_dict_get(ctx, "path") : NULL;
  if (path && rt_kind(path) == RT_STR) { /* the role's path as Ansible shows it: absolute */
    ctx = rt_dict_copy(ctx);
    char *abs = rt_abspath(h->run, path->u.str.s);
    rt_dict_set(ctx, "path", rt_str_take(abs, strlen(abs)));
  } else if (ctx) {
    rt_incref(ctx);
  }
  RtValue *r = rt_dict_new(6);
  if (rt_len(errors)) {
    RtBuf msg = {0};
    rt_buf_puts(&msg, "Validation of arguments failed:");
    for (size_t i = 0; i < rt_len(errors); i++)
      rt_buf_printf(&msg, "\n%s", rt_list_at(errors, i)->u.str.s);
    rt_dict_set(r, "failed", rt_bool(true));
    size_t len = msg.len;
    rt_dict_set(r, "msg", rt_str_take(rt_buf_take(&msg), len));
    rt_dict_set(r, "argument_spec_data", rt_incref(spec));
    rt_dict_set(r, "argument_errors", errors);
    if (ctx)
      rt_dict_set(r, "validate_args_context", ctx);
    rt_dict_set(r, "changed", rt_bool(false));
    return r;
  }
  rt_decref(errors);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "msg", rt_strz("The arg spec validation passed"));
  if (ctx)
    rt_dict_set(r, "validate_args_context", ctx);
  return r;
}

#endif
