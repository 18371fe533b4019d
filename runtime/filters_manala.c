/*
 * filters_manala.c — the filter plugins of the manala.roles collection
 * (staten, staten_ignore, json, yaml*, environment*, toml*, the X_config
 * filters, the *_architecture family, users_groups, bind_zone_file) and its
 * templates_exclusive, ansible_galaxy_roles, npm_packages, environment_files,
 * files_attributes, locales_codes, ssh_known_hosts,
 * accounts_users_authorized_keys and apt_*
 * lookups, in C: the collection's roles call them by their
 * FQCN, and a compiled playbook has no Python to run the collection's own
 * plugins. Each does what the collection's Python does for the same
 * values, its messages included (AnsibleFilterError / AnsibleError text as
 * it is; the TypeError, KeyError, IndexError or AttributeError the Python
 * raises on odd input as Python words them).
 *
 * The Python filters pop `exclude` keys from the dict they were given; here
 * the dict is copied first, so the caller's value never changes.
 */
#include "filters.h"
#include "regex.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- shared helpers ---- */

/* An AnsibleFilterError "<prefix> <class 'T'>" naming v's Python type. */
static RtValue *mn_type_error(const char *prefix, const RtValue *v) {
  return rt_error("%s <class '%s'>", prefix, rt_type_name(v));
}

static bool mn_iterable(const RtValue *v) {
  return rt_kind(v) == RT_LIST || rt_kind(v) == RT_DICT || rt_kind(v) == RT_STR;
}

static bool mn_is(const RtValue *v, const char *s) {
  return v && rt_kind(v) == RT_STR && strlen(s) == v->u.str.len && memcmp(v->u.str.s, s, v->u.str.len) == 0;
}

/* Python's str(v) as a malloc'd C string. */
static char *mn_str(const RtValue *v) {
  RtValue *s = rt_to_str(v);
  char *c = rt_xasprintf("%s", s->u.str.s);
  rt_decref(s);
  return c;
}

/* Python's d[key] on a value: borrowed, or NULL with *err set to the
 * KeyError or TypeError Python raises. */
static RtValue *mn_getitem(RtValue *d, const char *key, RtValue **err) {
  if (rt_kind(d) == RT_DICT) {
    RtValue *v = rt_dict_get(d, key);
    if (!v)
      *err = rt_error_exc(RT_EXC_KEY, "'%s'", key);
    return v;
  }
  if (rt_kind(d) == RT_STR)
    *err = rt_type_error("string indices must be integers");
  else if (rt_kind(d) == RT_LIST)
    *err = rt_type_error("%s indices must be integers or slices, not str", rt_is_tuple(d) ? "tuple" : "list");
  else
    *err = rt_type_error("'%s' object is not subscriptable", rt_type_name(d));
  return NULL;
}

/* {'state': 'present'} (then `first` entries when not NULL) updated with
 * dict `upd`'s entries: Python's dict(defaults) + .update(upd), key order
 * included. A new dict. */
static RtValue *mn_defaults_update(RtValue *defaults, RtValue *upd) {
  RtValue *d = rt_dict_copy(defaults);
  for (size_t i = 0; i < rt_len(upd); i++)
    rt_dict_put_key(d, upd->u.dict.ents[i].key, rt_incref(upd->u.dict.ents[i].val));
  return d;
}

/* A copy of dict `params` without the keys `exclude` iterates (a list's
 * items, a dict's keys, a string's characters): the Python's
 * [parameters.pop(key, None) for key in exclude], or with `strict` its
 * parameters.pop(key), a KeyError for a key not there. */
static RtValue *mn_exclude(RtValue *params, RtValue *exclude, bool strict) {
  if (!exclude || !rt_pytruth(exclude))
    return rt_incref(params);
  RtValue *keys = rt_iter_list(exclude);
  if (rt_is_error(keys))
    return keys;
  RtValue *out = rt_dict_copy(params);
  for (size_t i = 0; i < rt_len(keys); i++) {
    RtValue *k = rt_list_at(keys, i), *enc = rt_dict_key_encode(k);
    if (rt_is_error(enc)) {
      rt_decref(keys), rt_decref(out);
      return enc;
    }
    RtValue *rest = rt_dict_new(rt_len(out));
    bool found = false;
    for (size_t j = 0; j < rt_len(out); j++) {
      RtDictEntry *e = &out->u.dict.ents[j];
      if (!found && e->key->u.str.len == enc->u.str.len && memcmp(e->key->u.str.s, enc->u.str.s, enc->u.str.len) == 0)
        found = true;
      else
        rt_dict_put_key(rest, e->key, rt_incref(e->val));
    }
    rt_decref(enc);
    rt_decref(out);
    out = rest;
    if (!found && strict) {
      RtValue *r = rt_to_repr(k), *err = rt_error_exc(RT_EXC_KEY, "%s", r->u.str.s);
      rt_decref(r), rt_decref(keys), rt_decref(out);
      return err;
    }
  }
  rt_decref(keys);
  return out;
}

/* Python's str.lstrip(), rstrip() or strip() of string value `s` (taken). */
static RtValue *mn_strip(RtValue *s, bool left, bool right) {
  if (rt_kind(s) != RT_STR)
    return s;
  size_t from, to;
  rt_text_strip(s->u.str.s, s->u.str.len, NULL, 0, left, right, &from, &to);
  RtValue *r = rt_str(s->u.str.s + from, to - from);
  rt_decref(s);
  return r;
}

/* `prefix` + text with `prefix` after each newline: the Python's
 * '#' + result.replace('\n', '\n#'). Takes `s`. */
static RtValue *mn_comment(RtValue *s, const char *prefix) {
  RtBuf b = {0};
  rt_buf_puts(&b, prefix);
  for (size_t i = 0; i < s->u.str.len; i++) {
    rt_buf_putc(&b, s->u.str.s[i]);
    if (s->u.str.s[i] == '\n')
      rt_buf_puts(&b, prefix);
  }
  rt_decref(s);
  return rt_buf_value(&b);
}

/* ---- staten, staten_ignore (staten.py) ---- */

static RtValue *mn_staten_ignore(RtValue *values) {
  if (!mn_iterable(values))
    return mn_type_error("Expected an iterable but was a", values);
  RtValue *items = rt_iter_list(values), *out = rt_list_new(rt_len(items));
  for (size_t i = 0; i < rt_len(items); i++) {
    RtValue *v = rt_list_at(items, i);
    if (rt_kind(v) == RT_DICT && mn_is(rt_dict_get(v, "state"), "ignore"))
      continue;
    rt_list_push(out, rt_incref(v));
  }
  rt_decref(items);
  return out;
}

RtValue *rt_f_manala_staten_ignore(RtFArgs *a) { return mn_staten_ignore(a->base); }

RtValue *rt_f_manala_staten(RtFArgs *a) {
  if (!mn_iterable(a->base))
    return mn_type_error("Expected an iterable but was a", a->base);
  RtValue *want = a->p[0] && rt_pytruth(a->p[0]) ? a->p[0] : NULL;
  if (want && !mn_is(want, "present") && !mn_is(want, "absent")) {
    char *w = mn_str(want);
    RtValue *e = rt_error("Expected a want of \"present\" or \"absent\" but was \"%s\"", w);
    free(w);
    return e;
  }
  RtValue *values = mn_staten_ignore(a->base), *out = rt_list_new(rt_len(values));
  RtValue *defaults = rt_dict_new(1);
  rt_dict_set(defaults, "state", rt_strz("present"));
  for (size_t i = 0; i < rt_len(values); i++) {
    RtValue *v = rt_list_at(values, i);
    if (rt_kind(v) != RT_DICT) { /* the short syntax: 'present' implied */
      if (!want || mn_is(want, "present"))
        rt_list_push(out, rt_incref(v));
      continue;
    }
    RtValue *item = mn_defaults_update(defaults, v), *state = rt_dict_get(item, "state");
    if (!mn_is(state, "present") && !mn_is(state, "absent")) {
      char *s = mn_str(state);
      RtValue *e = rt_error("Expected a state of \"present\" or \"absent\" but was \"%s\"", s);
      free(s);
      rt_decref(item), rt_decref(out), rt_decref(values), rt_decref(defaults);
      return e;
    }
    if (want && !rt_equal(want, state)) {
      rt_decref(item);
      continue;
    }
    rt_list_push(out, item);
  }
  rt_decref(values), rt_decref(defaults);
  return out;
}

/* ---- json (json.py), yaml* (yaml.py) ---- */

RtValue *rt_f_manala_json(RtFArgs *a) {
  if (rt_kind(a->base) != RT_DICT)
    return mn_type_error("json expects a dict but was given a", a->base);
  RtValue *d = mn_exclude(a->base, a->p[0], false);
  if (rt_is_error(d))
    return d;
  RtFArgs j = {.name = "to_nice_json", .base = d, .loc = a->loc};
  RtValue *r = rt_f_to_nice_json(&j);
  rt_decref(d);
  return r;
}

/* The key, required, comment and default parameters the X_parameter filters
 * share: the value of `key` in `params` (borrowed), or the default
 * (borrowed); NULL with *out set to what the filter returns instead (the
 * comment string, or its error). `what` names the filter for messages. */
static RtValue *mn_parameter(RtFArgs *a, const char *what, RtValue **out) {
  RtValue *params = a->base, *key = a->p[0];
  if (rt_kind(params) != RT_DICT) {
    char *m = rt_xasprintf("%s parameters expects a dict but was given a", what);
    *out = mn_type_error(m, params);
    free(m);
    return NULL;
  }
  if (rt_kind(key) != RT_STR) {
    char *m = rt_xasprintf("%s key expects a string but was given a", what);
    *out = mn_type_error(m, key);
    free(m);
    return NULL;
  }
  RtValue *v = rt_dict_get_n(params, key->u.str.s, key->u.str.len);
  if (v)
    return v;
  if (rt_arg_true(a->p[1], false)) {
    *out = rt_error("%s requires a value for key %s", what, key->u.str.s);
    return NULL;
  }
  if (a->p[2] && rt_kind(a->p[2]) == RT_STR) {
    *out = rt_incref(a->p[2]);
    return NULL;
  }
  RtValue *dflt = a->kw ? rt_dict_get(a->kw, "default") : NULL;
  if (!dflt)
    *out = rt_error("%s missing a default value for key %s", what, key->u.str.s);
  return dflt;
}

/* Whether the parameter is absent from the dict and commented out. */
static bool mn_commented(RtFArgs *a) {
  return !rt_dict_get_n(a->base, a->p[0]->u.str.s, a->p[0]->u.str.len) && rt_arg_true(a->p[2], false);
}

RtValue *rt_f_manala_yaml_parameter(RtFArgs *a) {
  RtValue *out = NULL, *v = mn_parameter(a, "yaml_parameter", &out);
  if (!v)
    return out;
  RtValue *one = rt_dict_new(1);
  rt_dict_put(one, a->p[0]->u.str.s, a->p[0]->u.str.len, rt_incref(v));
  RtFArgs y = {.name = "to_nice_yaml", .base = one, .loc = a->loc};
  RtValue *r = rt_f_to_nice_yaml(&y);
  rt_decref(one);
  if (rt_is_error(r))
    return r;
  r = mn_strip(r, false, true);
  return mn_commented(a) ? mn_comment(r, "#") : r;
}

/* The parameter of each key of dict `a->base` (`exclude`d keys aside) in
 * sorted order, those not empty each after `sep`: the loop of the yaml,
 * environment and X_config filters (and X_config_section). `what` names
 * the filter for its error. */
static RtValue *mn_join_parameters(RtFArgs *a, const char *what, RtFilterFn parameter, const char *sep) {
  if (rt_kind(a->base) != RT_DICT) {
    char *m = rt_xasprintf("%s expects a dict but was given a", what);
    RtValue *e = mn_type_error(m, a->base);
    free(m);
    return e;
  }
  RtValue *d = mn_exclude(a->base, a->p[0], false);
  if (rt_is_error(d))
    return d;
  const RtDictEntry **ents = rt_xcalloc(rt_len(d) + 1, sizeof *ents);
  RtValue *err = rt_dict_sort_entries(d, ents);
  RtBuf b = {0};
  for (size_t i = 0; !err && i < rt_len(d); i++) {
    RtValue *key = rt_dict_key_value(ents[i]->key);
    RtFArgs p = {.name = a->name, .base = d, .p = {key}, .loc = a->loc};
    RtValue *r = parameter(&p);
    rt_decref(key);
    if (rt_is_error(r)) {
      err = r;
      break;
    }
    if (r->u.str.len) {
      rt_buf_puts(&b, sep);
      rt_buf_add(&b, r->u.str.s, r->u.str.len);
    }
    rt_decref(r);
  }
  free(ents);
  rt_decref(d);
  if (err) {
    rt_buf_free(&b);
    return err;
  }
  return rt_buf_value(&b);
}

RtValue *rt_f_manala_yaml(RtFArgs *a) {
  return mn_strip(mn_join_parameters(a, "yaml", rt_f_manala_yaml_parameter, "\n"), true, false);
}

/* yaml_flatten's recursion: the entries of `params` put in `out` under
 * their keys joined to `parent` (when it is not empty) by `sep`. NULL, or
 * the error. */
static RtValue *mn_flatten(RtValue *params, RtValue *parent, RtValue *sep, RtValue *out) {
  for (size_t i = 0; i < rt_len(params); i++) {
    RtValue *k = rt_dict_key_value(params->u.dict.ents[i].key), *v = params->u.dict.ents[i].val;
    if (parent && rt_pytruth(parent)) {
      if (rt_kind(parent) != RT_STR || rt_kind(sep) != RT_STR || rt_kind(k) != RT_STR) {
        const RtValue *bad = rt_kind(parent) != RT_STR ? parent : rt_kind(sep) != RT_STR ? sep : k;
        RtValue *e = rt_type_error("can only concatenate str (not \"%s\") to str", rt_type_name(bad));
        rt_decref(k);
        return e;
      }
      RtBuf b = {0};
      rt_buf_add(&b, parent->u.str.s, parent->u.str.len);
      rt_buf_add(&b, sep->u.str.s, sep->u.str.len);
      rt_buf_add(&b, k->u.str.s, k->u.str.len);
      rt_decref(k);
      k = rt_buf_value(&b);
    }
    RtValue *e = NULL;
    if (rt_kind(v) == RT_DICT) {
      e = mn_flatten(v, k, sep, out);
    } else {
      RtValue *r = rt_dict_put_value(rt_incref(out), k, rt_incref(v));
      if (rt_is_error(r))
        e = r;
      else
        rt_decref(r);
    }
    rt_decref(k);
    if (e)
      return e;
  }
  return NULL;
}

RtValue *rt_f_manala_yaml_flatten(RtFArgs *a) {
  if (rt_kind(a->base) != RT_DICT)
    return mn_type_error("yaml_flatten expects a dict but was given a", a->base);
  RtValue *dot = rt_strz("."), *out = rt_dict_new(rt_len(a->base));
  RtValue *e = mn_flatten(a->base, a->p[0], a->p[1] ? a->p[1] : dot, out);
  rt_decref(dot);
  if (e) {
    rt_decref(out);
    return e;
  }
  return out;
}

/* ---- environment, environment_parameter (environment.py) ---- */

RtValue *rt_f_manala_environment_parameter(RtFArgs *a) {
  RtValue *out = NULL, *v = mn_parameter(a, "environment_parameter", &out);
  if (!v)
    return out;
  RtValue *r;
  const char *key = a->p[0]->u.str.s;
  if (rt_kind(v) == RT_NONE) {
    r = rt_strz("");
  } else if (rt_kind(v) == RT_STR) {
    RtBuf b = {0};
    rt_buf_printf(&b, "%s=\"", key);
    rt_buf_add(&b, v->u.str.s, v->u.str.len);
    rt_buf_putc(&b, '"');
    r = rt_buf_value(&b);
  } else if (rt_kind(v) == RT_INT || rt_kind(v) == RT_FLOAT || rt_kind(v) == RT_BOOL) {
    RtBuf b = {0};
    rt_buf_printf(&b, "%s=", key);
    rt_render_str(&b, v);
    r = rt_buf_value(&b);
  } else {
    return mn_type_error("environment_parameter value of an unknown type", v);
  }
  return mn_commented(a) ? mn_comment(r, "#") : r;
}

RtValue *rt_f_manala_environment(RtFArgs *a) {
  return mn_strip(mn_join_parameters(a, "environment", rt_f_manala_environment_parameter, "\n"), true, false);
}

/* ---- toml, toml_section, toml_parameter (toml.py's encode_toml) ---- */

enum { TOML_NO_TABLE, TOML_TABLE, TOML_TABLE_ARRAY };

static RtValue *toml_encode(RtBuf *b, RtValue *data, bool first, const char *tn, size_t tnlen, int type);

static void toml_header(RtBuf *b, bool first, const char *tn, size_t tnlen, int type) {
  if (!first)
    rt_buf_putc(b, '\n');
  rt_buf_puts(b, type == TOML_TABLE ? "[" : "[[");
  rt_buf_add(b, tn, tnlen);
  rt_buf_puts(b, type == TOML_TABLE ? "]\n" : "]]\n");
}

/* A value written as `key = value`: not a table, nor an array of tables
 * (a list whose first item is a dict). */
static bool toml_elementary(const RtValue *v) {
  if (rt_kind(v) == RT_DICT)
    return false;
  return rt_kind(v) != RT_LIST || rt_len(v) == 0 || rt_kind(rt_list_at(v, 0)) != RT_DICT;
}

/* Whether no item of list `l`, nor of the lists in it, is a dict. */
static bool toml_all_elementary(const RtValue *l) {
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *v = rt_list_at(l, i);
    if (rt_kind(v) == RT_DICT || (rt_kind(v) == RT_LIST && !toml_all_elementary(v)))
      return false;
  }
  return true;
}

/* A quoted string: backslashes and double quotes escaped. */
static void toml_quote(RtBuf *b, const char *s, size_t len) {
  rt_buf_putc(b, '"');
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\\' || s[i] == '"')
      rt_buf_putc(b, '\\');
    rt_buf_putc(b, s[i]);
  }
  rt_buf_putc(b, '"');
}

/* The table name of key `k` below table `tn`: tn.k, k quoted when it holds
 * a dot. NULL with *err for a key that is not a string. */
static char *toml_subtable(const char *tn, size_t tnlen, RtValue *k, size_t *len, RtValue **err) {
  if (rt_kind(k) != RT_STR) {
    *err = rt_type_error("argument of type '%s' is not iterable", rt_type_name(k));
    return NULL;
  }
  RtBuf b = {0};
  if (tnlen) {
    rt_buf_add(&b, tn, tnlen);
    rt_buf_putc(&b, '.');
  }
  if (memchr(k->u.str.s, '.', k->u.str.len))
    toml_quote(&b, k->u.str.s, k->u.str.len);
  else
    rt_buf_add(&b, k->u.str.s, k->u.str.len);
  *len = b.len;
  if (!b.data)
    rt_buf_add(&b, "", 0);
  return rt_buf_take(&b);
}

static RtValue *toml_encode_dict(RtBuf *b, RtValue *data, bool first, const char *table, size_t tablelen,
                                 int type) {
  size_t n = rt_len(data);
  const RtDictEntry **ents = rt_xcalloc(n + 1, sizeof *ents);
  RtValue *err = rt_dict_sort_entries(data, ents);
  const char *tn = table;
  size_t tnlen = tablelen;
  for (size_t i = 0; !err && i < n; i++) { /* keys of elementary values first */
    if (!toml_elementary(ents[i]->val))
      continue;
    if (tnlen)
      toml_header(b, first, tn, tnlen, type);
    RtValue *k = rt_dict_key_value(ents[i]->key);
    rt_render_str(b, k);
    rt_decref(k);
    rt_buf_puts(b, " = ");
    err = toml_encode(b, ents[i]->val, first, NULL, 0, TOML_NO_TABLE);
    rt_buf_putc(b, '\n');
    first = false;
    tnlen = 0;
  }
  if (!err && !n && type != TOML_NO_TABLE)
    toml_header(b, first, tn, tnlen, type);
  for (size_t i = 0; !err && i < n; i++) { /* then tables and arrays of tables */
    RtValue *v = ents[i]->val;
    if (toml_elementary(v))
      continue;
    RtValue *k = rt_dict_key_value(ents[i]->key);
    size_t sublen = 0;
    char *sub = toml_subtable(table, tablelen, k, &sublen, &err);
    rt_decref(k);
    if (!sub)
      break;
    if (rt_kind(v) == RT_DICT) {
      err = toml_encode(b, v, first, sub, sublen, TOML_TABLE);
      first = false;
    }
    for (size_t j = 0; rt_kind(v) == RT_LIST && !err && j < rt_len(v); j++) {
      err = toml_encode(b, rt_list_at(v, j), first, sub, sublen, TOML_TABLE_ARRAY);
      first = false;
    }
    free(sub);
  }
  free(ents);
  return err;
}

/* encode_toml(data, first, table_name, table_type) appended to `b`: NULL,
 * or the error (keys that do not sort, a key that is not a string). */
static RtValue *toml_encode(RtBuf *b, RtValue *data, bool first, const char *tn, size_t tnlen, int type) {
  if (rt_too_deep(data))
    return rt_too_deep_error();
  switch (rt_kind(data)) {
  case RT_DICT: return toml_encode_dict(b, data, first, tn, tnlen, type);
  case RT_LIST:
    if (!toml_all_elementary(data))
      return NULL;
    rt_buf_putc(b, '[');
    for (size_t i = 0; i < rt_len(data); i++) {
      if (i)
        rt_buf_puts(b, ", ");
      RtValue *e = toml_encode(b, rt_list_at(data, i), first, NULL, 0, TOML_NO_TABLE);
      if (e)
        return e;
    }
    rt_buf_putc(b, ']');
    return NULL;
  case RT_INT: case RT_FLOAT: case RT_BOOL: {
    RtBuf s = {0};
    rt_render_str(&s, data);
    rt_text_lower(b, s.data, s.len);
    rt_buf_free(&s);
    return NULL;
  }
  case RT_STR: toml_quote(b, data->u.str.s, data->u.str.len); return NULL;
  default: return NULL; /* None: nothing */
  }
}

/* encode_toml(d) of dict `d`: a string, or the error. */
static RtValue *toml_text(RtValue *d) {
  RtBuf b = {0};
  RtValue *err = toml_encode(&b, d, true, NULL, 0, TOML_NO_TABLE);
  if (err) {
    rt_buf_free(&b);
    return err;
  }
  return rt_buf_value(&b);
}

RtValue *rt_f_manala_toml(RtFArgs *a) {
  if (rt_kind(a->base) != RT_DICT)
    return mn_type_error("toml expects a dict but was given a", a->base);
  RtValue *d = mn_exclude(a->base, a->p[0], true);
  if (rt_is_error(d))
    return d;
  RtValue *r = toml_text(d);
  rt_decref(d);
  return mn_strip(r, false, true);
}

RtValue *rt_f_manala_toml_parameter(RtFArgs *a) {
  RtValue *out = NULL, *v = mn_parameter(a, "toml_parameter", &out);
  if (!v)
    return out;
  RtValue *one = rt_dict_new(1);
  rt_dict_put(one, a->p[0]->u.str.s, a->p[0]->u.str.len, rt_incref(v));
  RtValue *r = toml_text(one);
  rt_decref(one);
  if (rt_is_error(r))
    return r;
  r = mn_strip(r, true, true);
  return mn_commented(a) ? mn_comment(r, "# ") : r;
}

RtValue *rt_f_manala_toml_section(RtFArgs *a) {
  if (rt_kind(a->base) != RT_DICT)
    return mn_type_error("toml_section expects a dict but was given a", a->base);
  RtValue *d = mn_exclude(a->base, a->p[0], true);
  if (rt_is_error(d))
    return d;
  const RtDictEntry **ents = rt_xcalloc(rt_len(d) + 1, sizeof *ents);
  RtValue *err = rt_dict_sort_entries(d, ents);
  RtBuf b = {0};
  for (size_t i = 0; !err && i < rt_len(d); i++) {
    RtValue *key = rt_dict_key_value(ents[i]->key);
    RtFArgs p = {.name = a->name, .base = d, .p = {key}, .loc = a->loc};
    RtValue *r = rt_f_manala_toml_parameter(&p);
    rt_decref(key);
    if (rt_is_error(r)) {
      err = r;
      break;
    }
    rt_buf_puts(&b, "\n  ");
    rt_buf_add(&b, r->u.str.s, r->u.str.len);
    rt_decref(r);
  }
  free(ents);
  rt_decref(d);
  if (err) {
    rt_buf_free(&b);
    return err;
  }
  return rt_buf_value(&b);
}

/* ---- the *_architecture filters (apt_architecture.py ...) ---- */

/* The Debian name of machine architecture `arch` in the map of the
 * collection's filter (`armhf`: whether it knows armv7l). */
static RtValue *mn_architecture(const RtValue *arch, bool armhf) {
  if (rt_kind(arch) == RT_LIST || rt_kind(arch) == RT_DICT)
    return rt_type_error("unhashable type: '%s'", rt_type_name(arch));
  if (mn_is(arch, "x86_64"))
    return rt_strz("amd64");
  if (mn_is(arch, "aarch64"))
    return rt_strz("arm64");
  if (armhf && mn_is(arch, "armv7l"))
    return rt_strz("armhf");
  char *s = mn_str(arch);
  RtValue *e = rt_error("unsupported \"%s\" architecture", s);
  free(s);
  return e;
}

RtValue *rt_f_manala_apt_architecture(RtFArgs *a) { return mn_architecture(a->base, true); }
RtValue *rt_f_manala_architecture(RtFArgs *a) { return mn_architecture(a->base, false); }

/* ---- bind_zone_file (bind_zone.py) ---- */

/* 'db.' + the zone name without its `.in-addr.arpa` (every one). */
RtValue *rt_f_manala_bind_zone_file(RtFArgs *a) {
  const RtValue *v = a->base;
  if (rt_kind(v) != RT_STR)
    return rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'replace'", rt_type_name(v));
  RtBuf b = {0};
  rt_buf_puts(&b, "db.");
  rt_text_replace(&b, v->u.str.s, v->u.str.len, ".in-addr.arpa", 13, "", 0, -1);
  return rt_buf_value(&b);
}

/* ---- users_groups (users_groups.py) ---- */

/* Each user dict given the `stdout` of the first registered result (of a
 * loop over the users) whose item names the same user, skipped ones
 * aside. */
RtValue *rt_f_manala_users_groups(RtFArgs *a) {
  if (!mn_iterable(a->base))
    return mn_type_error("Expected an iterable but was a", a->base);
  RtValue *groups = a->p[0] && rt_pytruth(a->p[0]) ? a->p[0] : NULL;
  if (groups && !mn_iterable(groups))
    return mn_type_error("Expected a groups iterable but was a", groups);
  RtValue *users = rt_iter_list(a->base), *gl = groups ? rt_iter_list(groups) : rt_list_new(0);
  RtValue *out = rt_list_new(rt_len(users)), *err = NULL;
  for (size_t i = 0; !err && i < rt_len(users); i++) {
    RtValue *user = rt_list_at(users, i), *group_name = NULL;
    for (size_t j = 0; !err && j < rt_len(gl); j++) {
      RtValue *g = rt_list_at(gl, j), *skipped = NULL;
      if (rt_kind(g) == RT_STR || rt_kind(g) == RT_LIST || rt_kind(g) == RT_DICT) {
        RtValue *key = rt_strz("skipped"), *in = rt_contains(g, key);
        rt_decref(key);
        if (rt_is_error(in)) {
          err = in;
          break;
        }
        bool has = rt_as_bool(in);
        rt_decref(in);
        if (has && !(skipped = mn_getitem(g, "skipped", &err)))
          break;
      } else {
        err = rt_type_error("argument of type '%s' is not iterable", rt_type_name(g));
        break;
      }
      if (skipped && rt_pytruth(skipped))
        continue;
      RtValue *item = mn_getitem(g, "item", &err), *gu = item ? mn_getitem(item, "user", &err) : NULL;
      RtValue *uu = gu ? mn_getitem(user, "user", &err) : NULL;
      if (!uu)
        break;
      if (rt_equal(gu, uu)) {
        group_name = mn_getitem(g, "stdout", &err);
        break;
      }
    }
    if (err)
      break;
    if (group_name) {
      if (rt_kind(user) != RT_DICT) {
        err = rt_type_error("'%s' object does not support item assignment", rt_type_name(user));
        break;
      }
      RtValue *u = rt_dict_copy(user);
      rt_dict_set(u, "group", rt_incref(group_name));
      rt_list_push(out, u);
    } else {
      rt_list_push(out, rt_incref(user));
    }
  }
  rt_decref(users), rt_decref(gl);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

/* ---- the templates_exclusive lookup (lookup/templates_exclusive.py) ---- */

/* LookupBase._flatten: the items of `v`, those that are lists spliced in
 * (one level). A new list, or the TypeError of a value not iterable. */
static RtValue *mn_flatten1(RtValue *v) {
  RtValue *items = rt_iter_list(v);
  if (rt_is_error(items))
    return items;
  RtValue *out = rt_list_new(rt_len(items));
  for (size_t i = 0; i < rt_len(items); i++) {
    RtValue *it = rt_list_at(items, i);
    for (size_t j = 0; rt_kind(it) == RT_LIST && j < rt_len(it); j++)
      rt_list_push(out, rt_incref(rt_list_at(it, j)));
    if (rt_kind(it) != RT_LIST)
      rt_list_push(out, rt_incref(it));
  }
  rt_decref(items);
  return out;
}

/* The last `c` of the `len` bytes at `s`, or NULL. */
static const char *mn_last(const char *s, size_t len, char c) {
  while (len--)
    if (s[len] == c)
      return s + len;
  return NULL;
}

/* os.path.splitext(os.path.basename(p))[0]: the file name without its
 * last extension (a name of leading dots then no other dot keeps it). */
static RtValue *mn_stem(const RtValue *p) {
  if (rt_kind(p) != RT_STR)
    return rt_type_error("expected str, bytes or os.PathLike object, not %s", rt_type_name(p));
  const char *s = p->u.str.s, *slash = mn_last(s, p->u.str.len, '/');
  const char *base = slash ? slash + 1 : s;
  size_t len = p->u.str.len - (size_t)(base - s);
  const char *dot = mn_last(base, len, '.');
  for (const char *c = base; dot && c < dot; c++)
    if (*c != '.') {
      len = (size_t)(dot - base);
      break;
    }
  return rt_str(base, len);
}

/* os.path.join(dir, file) of two strings. */
static RtValue *mn_path_join(const RtValue *dir, const RtValue *file) {
  const RtValue *bad = rt_kind(dir) != RT_STR ? dir : rt_kind(file) != RT_STR ? file : NULL;
  if (bad)
    return rt_type_error("join() argument must be str, bytes, or os.PathLike object, not '%s'", rt_type_name(bad));
  if ((file->u.str.len && file->u.str.s[0] == '/') || !dir->u.str.len)
    return rt_incref((RtValue *)file);
  RtBuf b = {0};
  rt_buf_add(&b, dir->u.str.s, dir->u.str.len);
  if (dir->u.str.s[dir->u.str.len - 1] != '/')
    rt_buf_putc(&b, '/');
  rt_buf_add(&b, file->u.str.s, file->u.str.len);
  return rt_buf_value(&b);
}

/* One item of the templates term as the plugin curates it: a new dict, NULL
 * for a state of ignore, or the error. */
static RtValue *mn_template_item(RtValue *t, RtValue *defaults, RtValue *dir) {
  if (rt_kind(t) != RT_DICT)
    return mn_type_error("Expected a dict but was a", t);
  RtValue *item = mn_defaults_update(defaults, t);
  if (!rt_dict_get(t, "file")) {
    RtValue *tpl = rt_dict_get(t, "template");
    if (!tpl) {
      rt_decref(item);
      return rt_error("Missing \"file\" key");
    }
    RtValue *stem = mn_stem(tpl);
    if (rt_is_error(stem)) {
      rt_decref(item);
      return stem;
    }
    rt_dict_set(item, "file", stem);
  }
  RtValue *state = rt_dict_get(item, "state");
  if (!mn_is(state, "present") && !mn_is(state, "absent") && !mn_is(state, "ignore")) {
    char *s = mn_str(state);
    RtValue *e = rt_error("Expected a state of \"present\", \"absent\" or \"ignore\" but was \"%s\"", s);
    free(s);
    rt_decref(item);
    return e;
  }
  if (mn_is(state, "ignore")) {
    rt_decref(item);
    return NULL;
  }
  RtValue *path = mn_path_join(dir, rt_dict_get(item, "file"));
  if (rt_is_error(path)) {
    rt_decref(item);
    return path;
  }
  rt_dict_set(item, "file", path);
  return item;
}

/* The exclusive lookups' `wantstate` keyword: *want (borrowed) when given
 * and true; the plugins' error when it is neither present nor absent. */
static RtValue *mn_wantstate(RtValue *kwargs, RtValue **want) {
  RtValue *w = kwargs ? rt_dict_get(kwargs, "wantstate") : NULL;
  *want = w && rt_pytruth(w) ? w : NULL;
  if (*want && !mn_is(w, "present") && !mn_is(w, "absent")) {
    char *t = mn_str(w);
    RtValue *e = rt_error("Expected a wanstate of \"present\" or \"absent\" but was \"%s\"", t);
    free(t);
    return e;
  }
  return NULL;
}

/* The files found in the folder (`exclusives`, each a dict with its path),
 * each appended to `results` as `defaults` with that file and state absent;
 * the KeyError or TypeError of one without a path. */
static RtValue *mn_exclusives_absent(RtValue *exclusives, RtValue *defaults, RtValue *results) {
  for (size_t i = 0; i < rt_len(exclusives); i++) {
    RtValue *err = NULL, *path = mn_getitem(rt_list_at(exclusives, i), "path", &err);
    if (!path)
      return rt_lookup_raise(err->u.err.exc == RT_EXC_KEY ? "KeyError" : "TypeError", err);
    RtValue *item = rt_dict_copy(defaults);
    rt_dict_set(item, "file", rt_incref(path));
    rt_dict_set(item, "state", rt_strz("absent"));
    rt_list_push(results, item);
  }
  return NULL;
}

/* `results` (taken), only the items whose state is `want` when it is given. */
static RtValue *mn_keep_state(RtValue *results, RtValue *want) {
  if (!want)
    return results;
  RtValue *kept = rt_list_new(rt_len(results));
  for (size_t i = 0; i < rt_len(results); i++) {
    RtValue *st = rt_dict_get(rt_list_at(results, i), "state");
    if (st && rt_equal(st, want))
      rt_list_push(kept, rt_incref(rt_list_at(results, i)));
  }
  rt_decref(results);
  return kept;
}

/* query('manala.roles.templates_exclusive', templates, exclusives, dir,
 * template, wantstate=...): the files found in the folder (exclusives,
 * each a dict with its path) marked absent, then each template item with
 * state and template defaulted, its file named after its template when it
 * has none and made a path in dir, replacing an earlier item of the same
 * file; items of state ignore left out; wantstate keeps those of that
 * state. */
RtValue *rt_lk_manala_templates_exclusive(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h;
  RtValue *want = NULL, *werr = mn_wantstate(kwargs, &want);
  if (werr)
    return werr;
  if (rt_kind(terms) != RT_LIST || rt_len(terms) < 4)
    return rt_lookup_raise("IndexError", rt_error_exc(RT_EXC_INDEX, "list index out of range"));
  RtValue *templates = mn_flatten1(rt_list_at(terms, 0));
  if (rt_is_error(templates))
    return rt_lookup_raise("TypeError", templates);
  RtValue *exclusives = mn_flatten1(rt_list_at(terms, 1));
  if (rt_is_error(exclusives)) {
    rt_decref(templates);
    return rt_lookup_raise("TypeError", exclusives);
  }
  RtValue *dir = rt_list_at(terms, 2), *defaults = rt_dict_new(2), *results = rt_list_new(0), *err = NULL;
  rt_dict_set(defaults, "state", rt_strz("present"));
  rt_dict_set(defaults, "template", rt_incref(rt_list_at(terms, 3)));
  err = mn_exclusives_absent(exclusives, defaults, results);
  for (size_t i = 0; !err && i < rt_len(templates); i++) {
    RtValue *item = mn_template_item(rt_list_at(templates, i), defaults, dir);
    if (!item)
      continue;
    if (rt_is_error(item)) {
      err = item->u.err.exc == RT_EXC_TYPE ? rt_lookup_raise("TypeError", item) : item;
      break;
    }
    RtValue *file = rt_dict_get(item, "file");
    size_t j = 0;
    while (j < rt_len(results) && !rt_equal(rt_dict_get(rt_list_at(results, j), "file"), file))
      j++;
    if (j < rt_len(results)) { /* the item of that file replaced */
      RtValue *merged = rt_list_new(rt_len(results));
      for (size_t k = 0; k < rt_len(results); k++)
        rt_list_push(merged, k == j ? item : rt_incref(rt_list_at(results, k)));
      rt_decref(results);
      results = merged;
    } else {
      rt_list_push(results, item);
    }
  }
  rt_decref(templates), rt_decref(exclusives), rt_decref(defaults);
  if (err) {
    rt_decref(results);
    return err;
  }
  return mn_keep_state(results, want);
}

/* ---- the X_config filters (git, logrotate, nginx, proftpd, redis, rsyslog,
 * supervisor, vim, zsh, backup_manager: *_config.py) ----
 * One shape: X_config(params, exclude) joins the X_config_parameter of each
 * key; the sectioned ones (git, logrotate, supervisor) make each key a
 * section whose value X_config_section joins. What differs is how a value
 * is written, and how a commented parameter is marked. */

typedef struct MnConfig MnConfig;
struct MnConfig {
  const char *name; /* "git_config": messages */
  /* The text of `key` (a string) set to `v`, or the error ("" is left out). */
  RtValue *(*value)(const MnConfig *c, const RtValue *key, RtValue *v);
  const char *comment; /* marks a commented parameter */
  bool comment_lines;  /* ... after each newline too */
  const char *indent;  /* before each parameter of a section */
  int sections;        /* 0 none; 1 "[S]PARAMETERS\n\n"; 2 "S {PARAMETERS\n}\n" */
};

static RtValue *mn_unknown_type(const MnConfig *c, const RtValue *v) {
  char *m = rt_xasprintf("%s_parameter value of an unknown type", c->name);
  RtValue *e = mn_type_error(m, v);
  free(m);
  return e;
}

static bool mn_number(const RtValue *v) {
  return rt_kind(v) == RT_INT || rt_kind(v) == RT_FLOAT || rt_kind(v) == RT_BOOL;
}

/* `pre` + KEY + `mid` + str(v) (when not NULL) + `end`. */
static RtValue *mn_pline(const char *pre, const RtValue *key, const char *mid, const RtValue *v, const char *end) {
  RtBuf b = {0};
  rt_buf_puts(&b, pre);
  rt_buf_add(&b, key->u.str.s, key->u.str.len);
  rt_buf_puts(&b, mid);
  if (v)
    rt_render_str(&b, v);
  rt_buf_puts(&b, end);
  return rt_buf_value(&b);
}

static RtValue *mn_line(const RtValue *key, const char *mid, const RtValue *v, const char *end) {
  return mn_pline("", key, mid, v, end);
}

/* Ansible's flatten filter of list `v` (all levels, None and 'None'/'null' left out). */
static RtValue *mn_flattened(RtValue *v) {
  RtFArgs f = {.name = "flatten", .base = v};
  return rt_f_flatten(&f);
}

/* Python's sep.join(list): every item a string, else its TypeError. */
static RtValue *mn_join(const RtValue *l, const char *sep) {
  RtBuf b = {0};
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *v = rt_list_at(l, i);
    if (rt_kind(v) != RT_STR) {
      rt_buf_free(&b);
      return rt_type_error("sequence item %zu: expected str instance, %s found", i, rt_type_name(v));
    }
    if (i)
      rt_buf_puts(&b, sep);
    rt_buf_add(&b, v->u.str.s, v->u.str.len);
  }
  return rt_buf_value(&b);
}

/* nginx and redis: a list is one line per item (flattened), each written
 * as the value alone would be. */
static RtValue *mn_lines(const MnConfig *c, const RtValue *key, RtValue *v) {
  RtValue *l = mn_flattened(v);
  if (rt_is_error(l))
    return l;
  RtBuf b = {0};
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *one = c->value(c, key, rt_list_at(l, i));
    if (rt_is_error(one)) {
      rt_buf_free(&b), rt_decref(l);
      return one;
    }
    if (i)
      rt_buf_putc(&b, '\n');
    rt_buf_add(&b, one->u.str.s, one->u.str.len);
    rt_decref(one);
  }
  rt_decref(l);
  return rt_buf_value(&b);
}

static RtValue *mn_git_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_NONE)
    return rt_strz("");
  if (rt_kind(v) == RT_BOOL)
    return mn_line(key, rt_as_bool(v) ? " = true" : " = false", NULL, "");
  if (rt_kind(v) == RT_STR || mn_number(v))
    return mn_line(key, " = ", v, "");
  return mn_unknown_type(c, v);
}

static RtValue *mn_logrotate_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_BOOL)
    return rt_as_bool(v) ? mn_line(key, "", NULL, "") : rt_strz("");
  if (rt_kind(v) == RT_STR || mn_number(v))
    return mn_line(key, " ", v, "");
  return mn_unknown_type(c, v);
}

static RtValue *mn_nginx_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_BOOL)
    return mn_line(key, rt_as_bool(v) ? " on;" : " off;", NULL, "");
  if (rt_kind(v) == RT_LIST)
    return mn_lines(c, key, v);
  if (rt_kind(v) == RT_STR || mn_number(v))
    return mn_line(key, " ", v, ";");
  return mn_unknown_type(c, v);
}

static RtValue *mn_proftpd_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_NONE)
    return rt_strz("");
  if (rt_kind(v) == RT_BOOL)
    return mn_line(key, rt_as_bool(v) ? " on" : " off", NULL, "");
  if (rt_kind(v) == RT_STR || mn_number(v))
    return mn_line(key, " ", v, "");
  return mn_unknown_type(c, v);
}

static RtValue *mn_redis_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_BOOL)
    return mn_line(key, rt_as_bool(v) ? " yes" : " no", NULL, "");
  if (rt_kind(v) == RT_LIST)
    return mn_lines(c, key, v);
  if (rt_kind(v) == RT_STR || mn_number(v))
    return mn_line(key, " ", v, "");
  return mn_unknown_type(c, v);
}

static RtValue *mn_rsyslog_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_STR || mn_number(v)) /* a bool too: "key True" */
    return mn_line(key, " ", v, "");
  return mn_unknown_type(c, v);
}

static RtValue *mn_supervisor_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_BOOL)
    return mn_line(key, rt_as_bool(v) ? "=true" : "=false", NULL, "");
  if (rt_kind(v) == RT_STR || mn_number(v))
    return mn_line(key, "=", v, "");
  if (rt_kind(v) == RT_DICT) { /* key="v",k2="v2" sorted, up to the last comma */
    const RtDictEntry **ents = rt_xcalloc(rt_len(v) + 1, sizeof *ents);
    RtValue *err = rt_dict_sort_entries(v, ents);
    RtBuf b = {0};
    rt_buf_add(&b, key->u.str.s, key->u.str.len);
    rt_buf_putc(&b, '=');
    for (size_t i = 0; !err && i < rt_len(v); i++) {
      RtValue *k = rt_dict_key_value(ents[i]->key);
      rt_render_str(&b, k);
      rt_decref(k);
      rt_buf_puts(&b, "=\"");
      rt_render_str(&b, ents[i]->val);
      rt_buf_puts(&b, "\",");
    }
    free(ents);
    if (err) {
      rt_buf_free(&b);
      return err;
    }
    while (b.len && b.data[b.len - 1] != ',') /* rsplit(',', 1)[0] */
      b.len--;
    if (!b.len) { /* no comma: the text as it is */
      rt_buf_free(&b);
      return mn_line(key, "=", NULL, "");
    }
    b.data[--b.len] = 0;
    return rt_buf_value(&b);
  }
  if (rt_kind(v) == RT_LIST) {
    RtValue *l = mn_flattened(v), *j = rt_is_error(l) ? rt_incref(l) : mn_join(l, ",");
    rt_decref(l);
    if (rt_is_error(j))
      return j;
    RtValue *r = mn_line(key, "=", j, "");
    rt_decref(j);
    return r;
  }
  return mn_unknown_type(c, v);
}

static RtValue *mn_vim_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_NONE || (rt_kind(v) == RT_BOOL && rt_as_bool(v)))
    return mn_pline("set ", key, "", NULL, "");
  if (rt_kind(v) == RT_STR || mn_number(v)) /* False too: "set key=False" */
    return mn_pline("set ", key, "=", v, "");
  return mn_unknown_type(c, v);
}

static RtValue *mn_zsh_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_NONE)
    return mn_line(key, "=\"\"", NULL, "");
  if (rt_kind(v) == RT_BOOL)
    return mn_line(key, rt_as_bool(v) ? "=\"true\"" : "=\"false\"", NULL, "");
  if (rt_kind(v) == RT_STR)
    return mn_line(key, "=\"", v, "\"");
  if (mn_number(v))
    return mn_line(key, "=", v, "");
  if (rt_kind(v) == RT_LIST) {
    RtValue *l = mn_flattened(v), *j = rt_is_error(l) ? rt_incref(l) : mn_join(l, " ");
    rt_decref(l);
    if (rt_is_error(j))
      return j;
    RtValue *r = mn_line(key, "=(", j, ")");
    rt_decref(j);
    return r;
  }
  return mn_unknown_type(c, v);
}

static RtValue *mn_backup_manager_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_NONE)
    return mn_pline("export ", key, "=\"none\"", NULL, "");
  if (rt_kind(v) == RT_BOOL)
    return mn_pline("export ", key, rt_as_bool(v) ? "=\"true\"" : "=\"false\"", NULL, "");
  if (rt_kind(v) == RT_STR || mn_number(v))
    return mn_pline("export ", key, "=\"", v, "\"");
  if (rt_kind(v) != RT_LIST)
    return mn_unknown_type(c, v);
  RtValue *l = mn_flattened(v);
  if (rt_is_error(l))
    return l;
  bool dicts = rt_len(l) > 0;
  for (size_t i = 0; i < rt_len(l); i++)
    dicts &= rt_kind(rt_list_at(l, i)) == RT_DICT;
  if (!dicts) { /* export key="a b" */
    RtValue *j = mn_join(l, " ");
    rt_decref(l);
    if (rt_is_error(j))
      return j;
    RtValue *r = mn_pline("export ", key, "=\"", j, "\"");
    rt_decref(j);
    return r;
  }
  RtBuf b = {0}; /* key_k[index]="v" for each entry of each dict */
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *d = rt_list_at(l, i);
    for (size_t j = 0; j < rt_len(d); j++) {
      RtValue *k = rt_dict_key_value(d->u.dict.ents[j].key);
      rt_buf_add(&b, key->u.str.s, key->u.str.len);
      rt_buf_putc(&b, '_');
      rt_render_str(&b, k);
      rt_buf_printf(&b, "[%zu]=\"", i);
      rt_render_str(&b, d->u.dict.ents[j].val);
      rt_buf_puts(&b, "\"\n");
      rt_decref(k);
    }
  }
  rt_decref(l);
  return mn_strip(rt_buf_value(&b), false, true);
}

static RtValue *mn_ssh_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_NONE)
    return mn_line(key, " none", NULL, "");
  if (rt_kind(v) == RT_BOOL)
    return mn_line(key, rt_as_bool(v) ? " yes" : " no", NULL, "");
  if (rt_kind(v) == RT_STR || mn_number(v))
    return mn_line(key, " ", v, "");
  if (rt_kind(v) == RT_LIST) { /* one line per item (not flattened: a list in it is lines too) */
    RtBuf b = {0};
    for (size_t i = 0; i < rt_len(v); i++) {
      RtValue *one = mn_ssh_value(c, key, rt_list_at(v, i));
      if (rt_is_error(one)) {
        rt_buf_free(&b);
        return one;
      }
      if (i)
        rt_buf_putc(&b, '\n');
      rt_buf_add(&b, one->u.str.s, one->u.str.len);
      rt_decref(one);
    }
    return rt_buf_value(&b);
  }
  if (rt_kind(v) != RT_DICT)
    return mn_unknown_type(c, v);
  const RtDictEntry **ents = rt_xcalloc(rt_len(v) + 1, sizeof *ents); /* KEY then "    k v" lines, sorted */
  RtValue *err = rt_dict_sort_entries(v, ents);
  RtBuf b = {0};
  rt_buf_add(&b, key->u.str.s, key->u.str.len);
  for (size_t i = 0; !err && i < rt_len(v); i++) {
    RtValue *k = rt_dict_key_value(ents[i]->key);
    RtValue *one = rt_kind(k) == RT_STR ? mn_ssh_value(c, k, ents[i]->val)
                                        : mn_type_error("ssh_config_parameter key expects a string but was given a", k);
    rt_decref(k);
    if (rt_is_error(one)) {
      err = one;
      break;
    }
    rt_buf_puts(&b, "\n    ");
    rt_buf_add(&b, one->u.str.s, one->u.str.len);
    rt_decref(one);
  }
  free(ents);
  if (err) {
    rt_buf_free(&b);
    return err;
  }
  return rt_buf_value(&b);
}

static RtValue *mn_mysql_value(const MnConfig *c, const RtValue *key, RtValue *v) {
  if (rt_kind(v) == RT_BOOL)
    return mn_line(key, rt_as_bool(v) ? " = ON" : " = OFF", NULL, "");
  if (rt_kind(v) == RT_STR || mn_number(v))
    return mn_line(key, " = ", v, "");
  return mn_unknown_type(c, v);
}

static const MnConfig mn_git = {"git_config", mn_git_value, ";", true, "\n    ", 1};
static const MnConfig mn_logrotate = {"logrotate_config", mn_logrotate_value, "#", false, "\n    ", 2};
static const MnConfig mn_mysql = {"mysql_config", mn_mysql_value, "#", false, "\n", 1};
static const MnConfig mn_nginx = {"nginx_config", mn_nginx_value, "#", true, NULL, 0};
static const MnConfig mn_proftpd = {"proftpd_config", mn_proftpd_value, "#", false, NULL, 0};
static const MnConfig mn_redis = {"redis_config", mn_redis_value, "# ", true, NULL, 0};
static const MnConfig mn_rsyslog = {"rsyslog_config", mn_rsyslog_value, "#", false, NULL, 0};
static const MnConfig mn_ssh = {"ssh_config", mn_ssh_value, "#", true, NULL, 0};
static const MnConfig mn_supervisor = {"supervisor_config", mn_supervisor_value, ";", true, "\n", 1};
static const MnConfig mn_vim = {"vim_config", mn_vim_value, ";", true, NULL, 0};
static const MnConfig mn_zsh = {"zsh_config", mn_zsh_value, "# ", true, NULL, 0};
static const MnConfig mn_backup_manager = {"backup_manager_config", mn_backup_manager_value, "#", false, NULL, 0};

/* X_config_parameter(params, key, required, comment, default=). */
static RtValue *mn_config_parameter(RtFArgs *a, const MnConfig *c) {
  char *what = rt_xasprintf("%s_parameter", c->name);
  RtValue *out = NULL, *v = mn_parameter(a, what, &out);
  free(what);
  if (!v)
    return out;
  RtValue *r = c->value(c, a->p[0], v);
  if (rt_is_error(r) || !mn_commented(a))
    return r;
  if (c->comment_lines)
    return mn_comment(r, c->comment);
  RtBuf b = {0}; /* the mark before the first line only */
  rt_buf_puts(&b, c->comment);
  rt_buf_add(&b, r->u.str.s, r->u.str.len);
  rt_decref(r);
  return rt_buf_value(&b);
}

/* X_config_section(params, exclude): each parameter after the indent. */
static RtValue *mn_config_section(RtFArgs *a, const MnConfig *c, RtFilterFn parameter) {
  char *what = rt_xasprintf("%s_section", c->name);
  RtValue *r = mn_join_parameters(a, what, parameter, c->indent);
  free(what);
  return r;
}

/* X_config(params, exclude): the parameters one a line; for the sectioned
 * ones, each key a section of the parameters its dict holds. */
static RtValue *mn_config(RtFArgs *a, const MnConfig *c, RtFilterFn parameter, RtFilterFn section) {
  if (!c->sections)
    return mn_strip(mn_join_parameters(a, c->name, parameter, "\n"), true, false);
  if (rt_kind(a->base) != RT_DICT) {
    char *m = rt_xasprintf("%s expects a dict but was given a", c->name);
    RtValue *e = mn_type_error(m, a->base);
    free(m);
    return e;
  }
  RtValue *d = mn_exclude(a->base, a->p[0], false);
  if (rt_is_error(d))
    return d;
  const RtDictEntry **ents = rt_xcalloc(rt_len(d) + 1, sizeof *ents);
  RtValue *err = rt_dict_sort_entries(d, ents);
  RtBuf b = {0};
  for (size_t i = 0; !err && i < rt_len(d); i++) {
    RtFArgs s = {.name = a->name, .base = ents[i]->val, .loc = a->loc};
    RtValue *text = section(&s);
    if (rt_is_error(text)) {
      err = text;
      break;
    }
    RtValue *k = rt_dict_key_value(ents[i]->key);
    if (c->sections == 1)
      rt_buf_putc(&b, '[');
    rt_render_str(&b, k);
    rt_buf_puts(&b, c->sections == 1 ? "]" : " {");
    rt_buf_add(&b, text->u.str.s, text->u.str.len);
    rt_buf_puts(&b, c->sections == 1 ? "\n\n" : "\n}\n");
    rt_decref(k), rt_decref(text);
  }
  free(ents);
  rt_decref(d);
  if (err) {
    rt_buf_free(&b);
    return err;
  }
  return mn_strip(rt_buf_value(&b), false, true);
}

#define MN_CONFIG_FILTERS(id)                                                                                  \
  RtValue *rt_f_manala_##id##_config_parameter(RtFArgs *a) { return mn_config_parameter(a, &mn_##id); }       \
  RtValue *rt_f_manala_##id##_config(RtFArgs *a) {                                                             \
    return mn_config(a, &mn_##id, rt_f_manala_##id##_config_parameter, NULL);                                  \
  }
#define MN_CONFIG_SECTION_FILTERS(id)                                                                          \
  RtValue *rt_f_manala_##id##_config_parameter(RtFArgs *a) { return mn_config_parameter(a, &mn_##id); }       \
  RtValue *rt_f_manala_##id##_config_section(RtFArgs *a) {                                                     \
    return mn_config_section(a, &mn_##id, rt_f_manala_##id##_config_parameter);                                \
  }                                                                                                            \
  RtValue *rt_f_manala_##id##_config(RtFArgs *a) {                                                             \
    return mn_config(a, &mn_##id, rt_f_manala_##id##_config_parameter, rt_f_manala_##id##_config_section);     \
  }

MN_CONFIG_SECTION_FILTERS(git)
MN_CONFIG_SECTION_FILTERS(logrotate)
MN_CONFIG_SECTION_FILTERS(mysql)
MN_CONFIG_FILTERS(nginx)
MN_CONFIG_FILTERS(proftpd)
MN_CONFIG_FILTERS(redis)
MN_CONFIG_FILTERS(rsyslog)
MN_CONFIG_FILTERS(ssh)
MN_CONFIG_SECTION_FILTERS(supervisor)
MN_CONFIG_FILTERS(vim)
MN_CONFIG_FILTERS(zsh)
MN_CONFIG_FILTERS(backup_manager)

/* ---- the ansible_galaxy_roles and environment_files lookups ---- */

/* The plugins' "merge by index key": `item` (taken) replaces the first
 * result whose `key` equals its own, else is appended. Results (taken)
 * become the returned list; or the KeyError of a result or item without
 * the key. */
static RtValue *mn_merge_by(RtValue *results, RtValue *item, const char *key) {
  RtValue *err = NULL;
  size_t j = 0;
  for (; j < rt_len(results); j++) { /* result[key] == item[key], in that order */
    RtValue *have = mn_getitem(rt_list_at(results, j), key, &err);
    RtValue *want = have ? mn_getitem(item, key, &err) : NULL;
    if (!want || rt_equal(have, want))
      break;
  }
  if (err) {
    rt_decref(results), rt_decref(item);
    return rt_lookup_raise(err->u.err.exc == RT_EXC_KEY ? "KeyError" : "TypeError", err);
  }
  if (j == rt_len(results)) {
    rt_list_push(results, item);
    return results;
  }
  RtValue *merged = rt_list_new(rt_len(results));
  for (size_t k = 0; k < rt_len(results); k++)
    rt_list_push(merged, k == j ? item : rt_incref(rt_list_at(results, k)));
  rt_decref(results);
  return merged;
}

/* The index-keyed lookups: each term a dict holding `key` (a string is
 * {key: it}), a later one of the same key replacing an earlier one. With
 * `dicts_only` anything else is the plugin's "Expected a dict" error; else
 * its `key not in x` test: a list without the key is "Missing", any other
 * value Python's TypeError. */
static RtValue *mn_index_lookup(RtValue *terms, const char *key, bool dicts_only) {
  RtValue *all = mn_flatten1(terms);
  if (rt_is_error(all))
    return rt_lookup_raise("TypeError", all);
  RtValue *results = rt_list_new(rt_len(all));
  for (size_t i = 0; i < rt_len(all); i++) {
    RtValue *t = rt_list_at(all, i), *item, *e = NULL;
    if (rt_kind(t) == RT_STR) {
      item = rt_dict_new(1);
      rt_dict_set(item, key, rt_incref(t));
    } else if (rt_kind(t) == RT_DICT && rt_dict_get(t, key)) {
      item = dicts_only ? rt_incref(t) : rt_dict_copy(t);
    } else {
      if (rt_kind(t) == RT_DICT || (!dicts_only && rt_kind(t) == RT_LIST))
        e = rt_error("Missing \"%s\" key", key);
      else if (dicts_only)
        e = mn_type_error("Expected a dict but was a", t);
      else
        e = rt_lookup_raise("TypeError", rt_type_error("argument of type '%s' is not iterable", rt_type_name(t)));
      rt_decref(all), rt_decref(results);
      return e;
    }
    results = mn_merge_by(results, item, key);
    if (rt_is_error(results))
      break;
  }
  rt_decref(all);
  return results;
}

/* query('manala.roles.ansible_galaxy_roles', roles): index key `src`. */
RtValue *rt_lk_manala_ansible_galaxy_roles(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h, (void)kwargs;
  return mn_index_lookup(terms, "src", true);
}

/* query('manala.roles.npm_packages', packages): index key `package`. */
RtValue *rt_lk_manala_npm_packages(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h, (void)kwargs;
  return mn_index_lookup(terms, "package", false);
}

/* query('manala.roles.environment_files', files, patterns): each file a
 * dict with `file` (a string names one of the patterns, a dict), `export`
 * false unless given, a later one of the same file replacing an earlier
 * one. */
RtValue *rt_lk_manala_environment_files(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h, (void)kwargs;
  if (rt_kind(terms) != RT_LIST || rt_len(terms) < 2)
    return rt_lookup_raise("IndexError", rt_error_exc(RT_EXC_INDEX, "list index out of range"));
  RtValue *files = mn_flatten1(rt_list_at(terms, 0)), *patterns = rt_list_at(terms, 1);
  if (rt_is_error(files))
    return rt_lookup_raise("TypeError", files);
  RtValue *defaults = rt_dict_new(1), *results = rt_list_new(rt_len(files));
  rt_dict_set(defaults, "export", rt_bool(false));
  for (size_t i = 0; i < rt_len(files); i++) {
    RtValue *file = rt_list_at(files, i), *upd = file, *err = NULL;
    if (rt_kind(file) == RT_STR) {
      RtValue *in = rt_kind(patterns) == RT_DICT || rt_kind(patterns) == RT_LIST || rt_kind(patterns) == RT_STR
                        ? rt_contains(patterns, file)
                        : rt_type_error("argument of type '%s' is not iterable", rt_type_name(patterns));
      if (!rt_is_error(in) && !rt_as_bool(in))
        err = rt_error("\"%s\" is not a valid pattern", file->u.str.s);
      else if (rt_is_error(in))
        err = rt_lookup_raise("TypeError", rt_incref(in));
      else if (rt_kind(patterns) != RT_DICT)
        err = rt_lookup_raise("AttributeError", rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'get'",
                                                              rt_type_name(patterns)));
      else if (rt_kind(upd = rt_dict_get_n(patterns, file->u.str.s, file->u.str.len)) != RT_DICT)
        err = rt_lookup_raise("TypeError", rt_type_error("'%s' object is not iterable", rt_type_name(upd)));
      rt_decref(in);
    } else if (rt_kind(file) != RT_DICT) {
      err = mn_type_error("Expected a dict but was a", file);
    } else if (!rt_dict_get(file, "file")) {
      err = rt_error("Missing \"file\" key");
    }
    if (err) {
      rt_decref(results);
      results = err;
      break;
    }
    results = mn_merge_by(results, mn_defaults_update(defaults, upd), "file");
    if (rt_is_error(results))
      break;
  }
  rt_decref(files), rt_decref(defaults);
  return results;
}

/* ---- the locales_codes lookup ---- */

/* The locale_gen module's LOCALE_NORMALIZATION, in its order. */
static const char *const mn_locale_norm[][2] = {
    {".utf8", ".UTF-8"},   {".eucjp", ".EUC-JP"}, {".iso885915", ".ISO-8859-15"}, {".cp1251", ".CP1251"},
    {".koi8r", ".KOI8-R"}, {".armscii8", ".ARMSCII-8"}, {".euckr", ".EUC-KR"}, {".gbk", ".GBK"},
    {".gb18030", ".GB18030"}, {".euctw", ".EUC-TW"}};

/* The plugin's normalize (each short encoding name replaced by its long
 * one) or, `back`, its denormalize. A new string, or the AttributeError of
 * a value that is not one. */
static RtValue *mn_locale(const RtValue *name, bool back) {
  if (rt_kind(name) != RT_STR)
    return rt_lookup_raise("AttributeError",
                           rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'replace'", rt_type_name(name)));
  RtValue *s = rt_incref((RtValue *)name);
  for (size_t i = 0; i < sizeof mn_locale_norm / sizeof *mn_locale_norm; i++) {
    const char *from = mn_locale_norm[i][back], *to = mn_locale_norm[i][!back];
    RtBuf b = {0};
    rt_text_replace(&b, s->u.str.s, s->u.str.len, from, strlen(from), to, strlen(to), -1);
    rt_decref(s);
    s = rt_buf_value(&b);
  }
  return s;
}

/* Whether normalized `code` is among `present` (normalized each). */
static RtValue *mn_locale_present(const RtValue *code, RtValue *present) {
  for (size_t i = 0; i < rt_len(present); i++) {
    RtValue *n = mn_locale(rt_list_at(present, i), false);
    if (rt_is_error(n))
      return n;
    bool same = rt_equal(n, code);
    rt_decref(n);
    if (same)
      return rt_strz("present");
  }
  return rt_strz("absent");
}

/* query('manala.roles.locales_codes', codes, codes_present,
 * wantstatecurrent=, wantcodedenormalized=): each code a dict (a string is
 * {code: it}) of state present unless given, its code normalized; with
 * wantcodedenormalized its code_denormalized when that differs, with
 * wantstatecurrent its state_current (whether the code is among those
 * present); a later one of the same code replacing an earlier one. */
RtValue *rt_lk_manala_locales_codes(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h;
  RtValue *cur = kwargs ? rt_dict_get(kwargs, "wantstatecurrent") : NULL;
  RtValue *den = kwargs ? rt_dict_get(kwargs, "wantcodedenormalized") : NULL;
  if (rt_kind(terms) != RT_LIST || rt_len(terms) < 2)
    return rt_lookup_raise("IndexError", rt_error_exc(RT_EXC_INDEX, "list index out of range"));
  RtValue *codes = mn_flatten1(rt_list_at(terms, 0));
  if (rt_is_error(codes))
    return rt_lookup_raise("TypeError", codes);
  RtValue *present = mn_flatten1(rt_list_at(terms, 1));
  if (rt_is_error(present)) {
    rt_decref(codes);
    return rt_lookup_raise("TypeError", present);
  }
  RtValue *defaults = rt_dict_new(1), *results = rt_list_new(rt_len(codes));
  rt_dict_set(defaults, "state", rt_strz("present"));
  for (size_t i = 0; i < rt_len(codes); i++) {
    RtValue *code = rt_list_at(codes, i), *item, *err = NULL;
    if (rt_kind(code) == RT_STR) {
      item = rt_dict_copy(defaults);
      rt_dict_set(item, "code", rt_incref(code));
    } else if (rt_kind(code) != RT_DICT || !rt_dict_get(code, "code")) {
      err = rt_kind(code) != RT_DICT ? mn_type_error("Expected a dict but was a", code) : rt_error("Missing \"code\" key");
      rt_decref(results);
      results = err;
      break;
    } else {
      item = mn_defaults_update(defaults, code);
    }
    RtValue *norm = mn_locale(rt_dict_get(item, "code"), false);
    RtValue *back = !rt_is_error(norm) && den && rt_pytruth(den) ? mn_locale(norm, true) : NULL;
    RtValue *state = !rt_is_error(norm) && cur && rt_pytruth(cur) ? mn_locale_present(norm, present) : NULL;
    err = rt_is_error(norm) ? norm : back && rt_is_error(back) ? back : state && rt_is_error(state) ? state : NULL;
    if (err) {
      rt_incref(err);
      rt_decref(norm), rt_decref(back), rt_decref(state), rt_decref(item), rt_decref(results);
      results = err;
      break;
    }
    rt_dict_set(item, "code", norm);
    if (back && !rt_equal(back, norm))
      rt_dict_set(item, "code_denormalized", rt_incref(back));
    rt_decref(back);
    if (state)
      rt_dict_set(item, "state_current", state);
    results = mn_merge_by(results, item, "code");
    if (rt_is_error(results))
      break;
  }
  rt_decref(codes), rt_decref(present), rt_decref(defaults);
  return results;
}

/* ---- the ssh_known_hosts lookup ---- */

/* query('manala.roles.ssh_known_hosts', hosts, patterns): each host a dict
 * with `host` (a string names one of the patterns, a dict); one with a
 * `file` loses its `key`, a relative file made a path in the role's
 * folder; a later one of the same host replacing an earlier one. */
RtValue *rt_lk_manala_ssh_known_hosts(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)kwargs;
  if (rt_kind(terms) != RT_LIST || rt_len(terms) < 2)
    return rt_lookup_raise("IndexError", rt_error_exc(RT_EXC_INDEX, "list index out of range"));
  RtValue *hosts = mn_flatten1(rt_list_at(terms, 0)), *patterns = rt_list_at(terms, 1);
  if (rt_is_error(hosts))
    return rt_lookup_raise("TypeError", hosts);
  RtValue *results = rt_list_new(rt_len(hosts)), *empty = rt_dict_new(0);
  for (size_t i = 0; i < rt_len(hosts); i++) {
    RtValue *host = rt_list_at(hosts, i), *upd = host, *err = NULL;
    if (rt_kind(host) == RT_STR) {
      upd = rt_kind(patterns) == RT_DICT ? rt_dict_get_n(patterns, host->u.str.s, host->u.str.len) : NULL;
      if (rt_kind(patterns) != RT_DICT)
        err = rt_lookup_raise("AttributeError", rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'get'",
                                                              rt_type_name(patterns)));
      else if (!upd || rt_kind(upd) != RT_DICT)
        err = rt_lookup_raise("TypeError", rt_type_error("'%s' object is not iterable",
                                                         upd ? rt_type_name(upd) : "NoneType"));
    } else if (rt_kind(host) != RT_DICT) {
      err = mn_type_error("Expected a dict but was a", host);
    } else if (!rt_dict_get(host, "host")) {
      err = rt_error("Missing \"host\" key");
    }
    RtValue *item = err ? NULL : mn_defaults_update(empty, upd), *file = item ? rt_dict_get(item, "file") : NULL;
    if (file && rt_kind(file) != RT_STR) {
      err = rt_lookup_raise("AttributeError", rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'startswith'",
                                                            rt_type_name(file)));
    } else if (file) {
      rt_dict_del(item, "key");
      if (file->u.str.s[0] != '/') {
        RtValue *root = rt_var(h, "role_path", NULL);
        if (rt_kind(root) != RT_STR) {
          err = rt_lookup_raise("KeyError", rt_error_exc(RT_EXC_KEY, "'role_path'"));
        } else {
          RtBuf b = {0};
          rt_buf_add(&b, root->u.str.s, root->u.str.len);
          rt_buf_putc(&b, '/');
          rt_buf_add(&b, file->u.str.s, file->u.str.len);
          rt_dict_set(item, "file", rt_buf_value(&b));
        }
        rt_decref(root);
      }
    }
    if (err) {
      rt_decref(item), rt_decref(results);
      results = err;
      break;
    }
    results = mn_merge_by(results, item, "host");
    if (rt_is_error(results))
      break;
  }
  rt_decref(hosts), rt_decref(empty);
  return results;
}

/* ---- the accounts_users_authorized_keys lookup ---- */

/* Python's os.path.expanduser of a path starting with "~", on the machine
 * that runs the lookup (the controller): ~NAME/... by NAME's home in the
 * password database, unchanged for an unknown NAME; ~/... by $HOME. */
static RtValue *mn_expanduser(const char *path, size_t len) {
  const char *slash = memchr(path + 1, '/', len - 1);
  size_t i = slash ? (size_t)(slash - path) : len;
  const char *home = NULL;
  if (i == 1) {
    home = getenv("HOME");
    struct passwd *pw = home ? NULL : getpwuid(getuid());
    home = home ? home : pw ? pw->pw_dir : NULL;
  } else {
    char *name = rt_xasprintf("%.*s", (int)(i - 1), path + 1);
    struct passwd *pw = getpwnam(name);
    free(name);
    home = pw ? pw->pw_dir : NULL;
  }
  if (!home)
    return rt_str(path, len);
  size_t hl = strlen(home);
  while (hl && home[hl - 1] == '/')
    hl--;
  RtBuf b = {0};
  rt_buf_add(&b, home, hl);
  rt_buf_add(&b, path + i, len - i);
  if (!b.len)
    rt_buf_putc(&b, '/');
  return rt_buf_value(&b);
}

/* The item of one user that has authorized_keys: a new dict, or the error. */
static RtValue *mn_authorized_keys_item(RtValue *user) {
  RtValue *keys = rt_iter_list(rt_dict_get(user, "authorized_keys"));
  if (rt_is_error(keys)) {
    rt_decref(keys);
    return rt_lookup_raise("TypeError", rt_type_error("can only join an iterable"));
  }
  RtValue *joined = mn_join(keys, "\n");
  rt_decref(keys);
  if (rt_is_error(joined))
    return rt_lookup_raise("TypeError", joined);
  RtValue *empty = rt_dict_new(0), *item = mn_defaults_update(empty, user);
  rt_decref(empty);
  rt_dict_set(item, "authorized_keys", joined);
  RtValue *file = rt_dict_get(user, "authorized_keys_file");
  if (!file)
    return item;
  if (!rt_pytruth(file) || rt_is_omit(file)) {
    rt_dict_del(item, "authorized_keys_file");
  } else if (rt_kind(file) == RT_STR && file->u.str.s[0] != '/') {
    RtValue *name = rt_dict_get(user, "user");
    if (rt_kind(name) != RT_STR) {
      rt_decref(item);
      return rt_lookup_raise("TypeError",
                             rt_type_error("can only concatenate str (not \"%s\") to str", rt_type_name(name)));
    }
    char *path = rt_xasprintf("~%s/.ssh/%s", name->u.str.s, file->u.str.s);
    rt_dict_set(item, "authorized_keys_file", mn_expanduser(path, strlen(path)));
    free(path);
  }
  return item;
}

/* query('manala.roles.accounts_users_authorized_keys', users): each user
 * dict with `authorized_keys` (others are left out), its keys joined by
 * newlines and its authorized_keys_file made a path in its ~/.ssh (an
 * empty or omitted one dropped); a later one of the same user replacing an
 * earlier one. */
RtValue *rt_lk_manala_accounts_users_authorized_keys(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h, (void)kwargs;
  RtValue *users = mn_flatten1(terms);
  if (rt_is_error(users))
    return rt_lookup_raise("TypeError", users);
  RtValue *results = rt_list_new(rt_len(users));
  for (size_t i = 0; i < rt_len(users); i++) {
    RtValue *user = rt_list_at(users, i);
    if (rt_kind(user) != RT_DICT)
      continue;
    if (!rt_dict_get(user, "user")) {
      rt_decref(results);
      results = rt_error("Missing \"user\" key");
      break;
    }
    if (!rt_dict_get(user, "authorized_keys"))
      continue;
    RtValue *item = mn_authorized_keys_item(user);
    if (rt_is_error(item)) {
      rt_decref(results);
      results = item;
      break;
    }
    results = mn_merge_by(results, item, "user");
    if (rt_is_error(results))
      break;
  }
  rt_decref(users);
  return results;
}

/* ---- the apt_holds and apt_packages lookups ---- */

/* A package item: `defaults` updated with `p` (a string is {package: it});
 * NULL for a state of ignore, or the error. */
static RtValue *mn_package_item(RtValue *p, RtValue *defaults) {
  RtValue *item;
  if (rt_kind(p) == RT_STR) {
    item = rt_dict_copy(defaults);
    rt_dict_set(item, "package", rt_incref(p));
    return item;
  }
  if (rt_kind(p) != RT_DICT)
    return mn_type_error("Expected a dict but was a", p);
  if (!rt_dict_get(p, "package"))
    return rt_error("Missing \"package\" key");
  item = mn_defaults_update(defaults, p);
  RtValue *state = rt_dict_get(item, "state");
  if (!mn_is(state, "present") && !mn_is(state, "absent") && !mn_is(state, "ignore")) {
    char *st = mn_str(state);
    RtValue *e = rt_error("Expected a state of \"present\", \"absent\" or \"ignore\" but was \"%s\"", st);
    free(st);
    rt_decref(item);
    return e;
  }
  if (mn_is(state, "ignore")) {
    rt_decref(item);
    return NULL;
  }
  return item;
}

/* query('manala.roles.apt_holds', holds, exclusives): the exclusives
 * (package names) unheld (state absent), then each hold (a string is
 * {package: it}) of state present unless given, ignore left out, a later
 * one of the same package replacing an earlier one. */
RtValue *rt_lk_manala_apt_holds(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h, (void)kwargs;
  if (rt_kind(terms) != RT_LIST || rt_len(terms) < 2)
    return rt_lookup_raise("IndexError", rt_error_exc(RT_EXC_INDEX, "list index out of range"));
  RtValue *holds = mn_flatten1(rt_list_at(terms, 0));
  if (rt_is_error(holds))
    return rt_lookup_raise("TypeError", holds);
  RtValue *exclusives = mn_flatten1(rt_list_at(terms, 1));
  if (rt_is_error(exclusives)) {
    rt_decref(holds);
    return rt_lookup_raise("TypeError", exclusives);
  }
  RtValue *defaults = rt_dict_new(1), *results = rt_list_new(rt_len(exclusives) + rt_len(holds));
  rt_dict_set(defaults, "state", rt_strz("present"));
  for (size_t i = 0; i < rt_len(exclusives); i++) {
    RtValue *item = rt_dict_copy(defaults);
    rt_dict_set(item, "package", rt_incref(rt_list_at(exclusives, i)));
    rt_dict_set(item, "state", rt_strz("absent"));
    rt_list_push(results, item);
  }
  for (size_t i = 0; i < rt_len(holds); i++) {
    RtValue *item = mn_package_item(rt_list_at(holds, i), defaults);
    if (!item)
      continue;
    if (rt_is_error(item)) {
      rt_decref(results);
      results = item;
      break;
    }
    results = mn_merge_by(results, item, "package");
    if (rt_is_error(results))
      break;
  }
  rt_decref(holds), rt_decref(exclusives), rt_decref(defaults);
  return results;
}

/* query('manala.roles.apt_packages', packages): each package (a string is
 * {package: it}) of state present and deb false unless given (true for a
 * .deb file), ignore left out, a later one of the same package replacing
 * an earlier one; then consecutive packages of one state that are not
 * .deb files grouped into one item whose package is their list. */
RtValue *rt_lk_manala_apt_packages(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h, (void)kwargs;
  if (rt_kind(terms) != RT_LIST || rt_len(terms) < 1)
    return rt_lookup_raise("IndexError", rt_error_exc(RT_EXC_INDEX, "list index out of range"));
  RtValue *packages = mn_flatten1(rt_list_at(terms, 0));
  if (rt_is_error(packages))
    return rt_lookup_raise("TypeError", packages);
  RtValue *defaults = rt_dict_new(2), *groups = rt_list_new(rt_len(packages));
  rt_dict_set(defaults, "state", rt_strz("present"));
  rt_dict_set(defaults, "deb", rt_bool(false));
  for (size_t i = 0; i < rt_len(packages); i++) {
    RtValue *item = mn_package_item(rt_list_at(packages, i), defaults);
    if (!item)
      continue;
    RtValue *p = rt_is_error(item) ? NULL : rt_dict_get(item, "package");
    if (p && rt_kind(p) != RT_STR) {
      rt_decref(item);
      item = rt_lookup_raise("AttributeError", rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'endswith'",
                                                             rt_type_name(p)));
    }
    if (rt_is_error(item)) {
      rt_decref(groups);
      groups = item;
      break;
    }
    if (p->u.str.len >= 4 && memcmp(p->u.str.s + p->u.str.len - 4, ".deb", 4) == 0)
      rt_dict_set(item, "deb", rt_bool(true));
    groups = mn_merge_by(groups, item, "package");
    if (rt_is_error(groups))
      break;
  }
  rt_decref(packages), rt_decref(defaults);
  if (rt_is_error(groups))
    return groups;
  RtValue *results = rt_list_new(rt_len(groups)), *last = NULL, *names = NULL;
  for (size_t i = 0; i < rt_len(groups); i++) {
    RtValue *g = rt_list_at(groups, i);
    bool deb = rt_pytruth(rt_dict_get(g, "deb"));
    if (!deb && last && rt_equal(rt_dict_get(g, "state"), rt_dict_get(last, "state"))) {
      rt_list_push(names, rt_incref(rt_dict_get(g, "package")));
      continue;
    }
    if (last) {
      rt_dict_set(last, "package", names);
      rt_list_push(results, last);
      last = names = NULL;
    }
    if (deb) {
      rt_list_push(results, rt_incref(g));
      continue;
    }
    last = rt_dict_copy(g);
    names = rt_list_new(1);
    rt_list_push(names, rt_incref(rt_dict_get(g, "package")));
  }
  if (last) {
    rt_dict_set(last, "package", names);
    rt_list_push(results, last);
  }
  rt_decref(groups);
  return results;
}

/* ---- the apt_preferences lookup ---- */

/* Python's s.split(sep)[i] of string `s` (i 0 or 1), as a new string; NULL
 * when there is no part i. */
static RtValue *mn_split_part(const RtValue *s, char sep, int i) {
  const char *p = s->u.str.s, *at = memchr(p, sep, s->u.str.len);
  if (i == 0)
    return rt_str(p, at ? (size_t)(at - p) : s->u.str.len);
  if (!at)
    return NULL;
  const char *rest = at + 1, *end = memchr(rest, sep, s->u.str.len - (size_t)(rest - p));
  return rt_str(rest, end ? (size_t)(end - rest) : s->u.str.len - (size_t)(rest - p));
}

/* The pin of repository pattern `rp` (a dict): its `pin`, else "origin "
 * and the host name of its `uris`. */
static RtValue *mn_repository_pin(RtValue *rp) {
  RtValue *uris = rt_dict_get(rp, "uris"), *host = NULL;
  if (uris && rt_kind(uris) == RT_STR) {
    RtValue *what = rt_strz("hostname");
    RtFArgs u = {.name = "urlsplit", .base = uris, .p = {what}};
    host = rt_f_urlsplit(&u);
    rt_decref(what);
  }
  RtValue *pin = rt_dict_get(rp, "pin");
  if (pin) { /* the default was computed all the same */
    rt_decref(host);
    return rt_incref(pin);
  }
  if (!host || rt_kind(host) != RT_STR) {
    RtValue *e = host && rt_is_error(host) ? rt_incref(host)
                                          : rt_type_error("can only concatenate str (not \"%s\") to str",
                                                          host ? rt_type_name(host) : "NoneType");
    rt_decref(host);
    return rt_lookup_raise("TypeError", e);
  }
  char *s = rt_xasprintf("origin %s", host->u.str.s);
  rt_decref(host);
  return rt_str_take(s, strlen(s));
}

/* The file, package, pin, repository and priority a `preference` pattern
 * (PACKAGE[@REPOSITORY][:PRIORITY]) gives item `item` where it has none.
 * NULL, or the error. */
static RtValue *mn_preference_pattern(RtValue *item, RtValue *pattern, RtValue *prefs, RtValue *repos) {
  if (rt_kind(pattern) != RT_STR)
    return rt_lookup_raise("AttributeError",
                           rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'split'", rt_type_name(pattern)));
  RtValue *pref = mn_split_part(pattern, '@', 0), *name = mn_split_part(pref, ':', 0), *err = NULL;
  RtValue *at = mn_split_part(pattern, '@', 1);
  if (!rt_dict_get(item, "file")) {
    RtBuf b = {0};
    rt_text_replace(&b, name->u.str.s, name->u.str.len, ".", 1, "_", 1, -1);
    rt_dict_set(item, "file", rt_buf_value(&b));
  }
  if (!rt_dict_get(item, "package")) {
    RtValue *p = rt_kind(prefs) == RT_DICT ? rt_dict_get_n(prefs, name->u.str.s, name->u.str.len) : NULL;
    if (rt_kind(prefs) != RT_DICT)
      err = rt_lookup_raise("AttributeError", rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'get'",
                                                            rt_type_name(prefs)));
    else
      rt_dict_set(item, "package", p ? rt_incref(p) : at ? rt_incref(name) : rt_strz("*"));
  }
  if (!err && !rt_dict_get(item, "pin")) {
    RtValue *repo = mn_split_part(at ? at : pattern, ':', 0);
    RtValue *rp = rt_kind(repos) == RT_DICT ? rt_dict_get_n(repos, repo->u.str.s, repo->u.str.len) : NULL;
    if (!rp) {
      err = rt_error("unable to find \"%s\" repository pattern", repo->u.str.s);
    } else if (rt_kind(rp) != RT_DICT) {
      err = rt_lookup_raise("AttributeError", rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'get'",
                                                            rt_type_name(rp)));
    } else {
      RtValue *pin = mn_repository_pin(rp);
      if (rt_is_error(pin)) {
        err = pin;
      } else {
        rt_dict_set(item, "pin", pin);
        rt_dict_set(item, "repository", rt_incref(repo));
      }
    }
    rt_decref(repo);
  }
  if (!err && !rt_dict_get(item, "priority")) {
    RtValue *prio = mn_split_part(pattern, ':', 1);
    int64_t n = 1000;
    if (prio) {
      char *end = NULL;
      size_t from, to;
      rt_text_strip(prio->u.str.s, prio->u.str.len, NULL, 0, true, true, &from, &to);
      const char *digits = prio->u.str.s + from;
      n = from < to ? strtoll(digits, &end, 10) : 0;
      if (from == to || end != prio->u.str.s + to) {
        RtValue *r = rt_to_repr(prio);
        err = rt_lookup_raise("ValueError",
                              rt_error_exc(RT_EXC_VALUE, "invalid literal for int() with base 10: %s", r->u.str.s));
        rt_decref(r);
      }
      rt_decref(prio);
    }
    if (!err)
      rt_dict_set(item, "priority", rt_int(n));
  }
  rt_decref(pref), rt_decref(name), rt_decref(at);
  return err;
}

/* query('manala.roles.apt_preferences', preferences, preferences_patterns,
 * repositories_patterns, exclusives, dir, template, wantstate=): as
 * templates_exclusive, each preference (a string is {preference: it})
 * completed from its pattern and its file made a path in dir. */
RtValue *rt_lk_manala_apt_preferences(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h;
  RtValue *want = NULL, *werr = mn_wantstate(kwargs, &want);
  if (werr)
    return werr;
  if (rt_kind(terms) != RT_LIST || rt_len(terms) < 6)
    return rt_lookup_raise("IndexError", rt_error_exc(RT_EXC_INDEX, "list index out of range"));
  RtValue *prefs = mn_flatten1(rt_list_at(terms, 0));
  if (rt_is_error(prefs))
    return rt_lookup_raise("TypeError", prefs);
  RtValue *exclusives = mn_flatten1(rt_list_at(terms, 3));
  if (rt_is_error(exclusives)) {
    rt_decref(prefs);
    return rt_lookup_raise("TypeError", exclusives);
  }
  RtValue *dir = rt_list_at(terms, 4), *defaults = rt_dict_new(2), *results = rt_list_new(0), *err = NULL;
  rt_dict_set(defaults, "state", rt_strz("present"));
  rt_dict_set(defaults, "template", rt_incref(rt_list_at(terms, 5)));
  err = mn_exclusives_absent(exclusives, defaults, results);
  for (size_t i = 0; !err && i < rt_len(prefs); i++) {
    RtValue *p = rt_list_at(prefs, i), *item;
    if (rt_kind(p) == RT_STR) {
      item = rt_dict_copy(defaults);
      rt_dict_set(item, "preference", rt_incref(p));
    } else if (rt_kind(p) != RT_DICT) {
      err = mn_type_error("Expected a dict but was a", p);
      break;
    } else {
      item = mn_defaults_update(defaults, p);
      RtValue *state = rt_dict_get(item, "state");
      if (!mn_is(state, "present") && !mn_is(state, "absent") && !mn_is(state, "ignore")) {
        char *st = mn_str(state);
        err = rt_error("Expected a state of \"present\", \"absent\" or \"ignore\" but was \"%s\"", st);
        free(st);
        rt_decref(item);
        break;
      }
      if (mn_is(state, "ignore")) {
        rt_decref(item);
        continue;
      }
    }
    RtValue *pattern = rt_dict_get(item, "preference");
    if (pattern)
      err = mn_preference_pattern(item, pattern, rt_list_at(terms, 1), rt_list_at(terms, 2));
    RtValue *file = err ? NULL : rt_dict_get(item, "file");
    if (!err && !file)
      err = rt_error("Missing \"file\" key");
    RtValue *path = err ? NULL : mn_path_join(dir, file);
    if (path && rt_is_error(path))
      err = rt_lookup_raise("TypeError", path);
    if (err) {
      rt_decref(item);
      break;
    }
    rt_dict_set(item, "file", path);
    results = mn_merge_by(results, item, "file");
    if (rt_is_error(results)) {
      err = results;
      results = NULL;
    }
  }
  rt_decref(prefs), rt_decref(exclusives), rt_decref(defaults);
  if (err) {
    rt_decref(results);
    return err;
  }
  return mn_keep_state(results, want);
}

/* ---- the apt_repositories lookup ---- */

/* Whether result `r` (a dict) holds the repository named `name`: a file
 * DIR/NAME.sources (NAME with '-' for each '_' of `name`), else a `name`
 * equal to it. */
static bool mn_repository_same(RtValue *r, RtValue *name) {
  RtValue *file = rt_dict_get(r, "file");
  if (!file)
    return rt_dict_get(r, "name") && rt_equal(rt_dict_get(r, "name"), name);
  if (rt_kind(file) != RT_STR || rt_kind(name) != RT_STR)
    return false;
  const char *slash = mn_last(file->u.str.s, file->u.str.len, '/');
  const char *base = slash ? slash + 1 : file->u.str.s;
  size_t len = file->u.str.len - (size_t)(base - file->u.str.s);
  if (len < 8 || memcmp(base + len - 8, ".sources", 8) != 0 || len - 8 != name->u.str.len)
    return false;
  bool dotless = true; /* "..sources" keeps its dots: splitext finds no extension */
  for (size_t i = 0; i < len - 8; i++)
    dotless &= base[i] == '.';
  for (size_t i = 0; !dotless && i < len - 8; i++)
    if (base[i] != (name->u.str.s[i] == '_' ? '-' : name->u.str.s[i]))
      return false;
  return !dotless;
}

/* The final pass: a result whose file is DIR/NAME.sources with no '_' in
 * NAME becomes {state: absent, name: NAME}. A new reference. */
static RtValue *mn_repository_sources(RtValue *r) {
  RtValue *file = rt_dict_get(r, "file");
  if (!file || rt_kind(file) != RT_STR)
    return rt_incref(r);
  const char *slash = mn_last(file->u.str.s, file->u.str.len, '/');
  const char *base = slash ? slash + 1 : file->u.str.s;
  size_t len = file->u.str.len - (size_t)(base - file->u.str.s), nlen = len - 8;
  if (len < 8 || memcmp(base + nlen, ".sources", 8) != 0 || memchr(base, '_', nlen))
    return rt_incref(r);
  bool dotless = true;
  for (size_t i = 0; i < nlen; i++)
    dotless &= base[i] == '.';
  if (dotless)
    return rt_incref(r);
  RtValue *item = rt_dict_new(2);
  rt_dict_set(item, "state", rt_strz("absent"));
  rt_dict_set(item, "name", rt_str(base, nlen));
  return item;
}

/* One repository item completed from its patterns (NULL for a state of
 * ignore), or the error. */
static RtValue *mn_repository_item(RtValue *r, RtValue *repos, RtValue *keys) {
  RtValue *item = rt_dict_new(2);
  rt_dict_set(item, "state", rt_strz("present"));
  if (rt_kind(r) == RT_STR) {
    rt_dict_set(item, "repository", rt_incref(r));
  } else if (rt_kind(r) != RT_DICT) {
    rt_decref(item);
    return mn_type_error("Expected a dict but was a", r);
  } else {
    RtValue *u = mn_defaults_update(item, r), *state = rt_dict_get(u, "state");
    rt_decref(item);
    item = u;
    if (!mn_is(state, "present") && !mn_is(state, "absent") && !mn_is(state, "ignore")) {
      char *st = mn_str(state);
      RtValue *e = rt_error("Expected a state of \"present\", \"absent\" or \"ignore\" but was \"%s\"", st);
      free(st);
      rt_decref(item);
      return e;
    }
    if (mn_is(state, "ignore")) {
      rt_decref(item);
      return NULL;
    }
  }
  RtValue *pat = rt_dict_get(item, "repository");
  if (pat) { /* {'name': repository, **pattern, **item} */
    RtValue *rp = rt_kind(repos) == RT_DICT ? rt_dict_get_value(repos, pat) : NULL;
    if (!rp || rt_kind(rp) != RT_DICT) {
      char *p = mn_str(pat);
      RtValue *e = rp ? rt_lookup_raise("TypeError", rt_type_error("'%s' object is not a mapping", rt_type_name(rp)))
                      : rt_error("unable to find \"%s\" repository pattern", p);
      free(p), rt_decref(item);
      return e;
    }
    RtValue *base = rt_dict_new(1);
    rt_dict_set(base, "name", rt_incref(pat));
    RtValue *with = mn_defaults_update(base, rp), *all = mn_defaults_update(with, item);
    rt_decref(base), rt_decref(with), rt_decref(item);
    item = all;
  }
  static const char *const need[] = {"name", "uris", "suites"};
  const char *msg = rt_dict_get(item, "source") ? "Using a \"source\" repository key is deprecated, please use deb822 "
                                                  "notation. See manala.roles.apt README.md"
                                                : NULL;
  for (int i = 0; !msg && i < 3; i++)
    if (!rt_dict_get(item, need[i]))
      msg = i == 0 ? "Missing \"name\" key" : i == 1 ? "Missing \"uris\" key" : "Missing \"suites\" key";
  RtValue *suites = rt_dict_get(item, "suites");
  if (!msg && !rt_dict_get(item, "components")) {
    if (rt_kind(suites) != RT_STR) {
      rt_decref(item);
      return rt_lookup_raise("AttributeError", rt_error_exc(RT_EXC_ATTRIBUTE, "'%s' object has no attribute 'endswith'",
                                                             rt_type_name(suites)));
    }
    if (!suites->u.str.len || suites->u.str.s[suites->u.str.len - 1] != '/')
      msg = "If \"components\" key not present, \"suites\" key must end with a \"/\"";
  }
  if (msg) {
    rt_decref(item);
    return rt_error("%s", msg);
  }
  RtValue *key = rt_dict_get(item, "key");
  if (key && rt_kind(key) == RT_STR) { /* {**key pattern, **item} */
    RtValue *kp = rt_kind(keys) == RT_DICT ? rt_dict_get_n(keys, key->u.str.s, key->u.str.len) : NULL;
    if (!kp || rt_kind(kp) != RT_DICT) {
      RtValue *e = kp ? rt_lookup_raise("TypeError", rt_type_error("'%s' object is not a mapping", rt_type_name(kp)))
                      : rt_error("unable to find \"%s\" key pattern", key->u.str.s);
      rt_decref(item);
      return e;
    }
    RtValue *all = mn_defaults_update(kp, item);
    rt_decref(item);
    item = all;
  }
  return item;
}

/* query('manala.roles.apt_repositories', repositories, repositories_patterns,
 * keys_patterns, preferences, exclusives, dir, wanttype=): the files found
 * (exclusives) absent, then each repository (those the preferences name
 * first; a string is {repository: it}) completed from its repository and
 * key patterns, replacing the result of the same name (or its NAME.sources
 * file); a NAME.sources file left is the repository NAME absent; wanttype
 * keeps the results that have that key. */
RtValue *rt_lk_manala_apt_repositories(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h;
  RtValue *want = kwargs ? rt_dict_get(kwargs, "wanttype") : NULL;
  if (want && !rt_pytruth(want))
    want = NULL;
  if (want && !mn_is(want, "name") && !mn_is(want, "file")) {
    char *w = mn_str(want);
    RtValue *e = rt_error("Expected a wanttype of \"name\" or \"file\" but was \"%s\"", w);
    free(w);
    return e;
  }
  if (rt_kind(terms) != RT_LIST || rt_len(terms) < 6)
    return rt_lookup_raise("IndexError", rt_error_exc(RT_EXC_INDEX, "list index out of range"));
  RtValue *given = mn_flatten1(rt_list_at(terms, 0));
  if (rt_is_error(given))
    return rt_lookup_raise("TypeError", given);
  RtValue *exclusives = mn_flatten1(rt_list_at(terms, 4));
  if (rt_is_error(exclusives)) {
    rt_decref(given);
    return rt_lookup_raise("TypeError", exclusives);
  }
  RtValue *prefs = rt_list_at(terms, 3), *dir = rt_list_at(terms, 5), *err = NULL;
  RtValue *repos = rt_list_new(rt_len(given) + 1), *results = rt_list_new(0);
  if (rt_kind(prefs) != RT_LIST)
    err = rt_lookup_raise("TypeError", rt_type_error("'%s' object is not subscriptable", rt_type_name(prefs)));
  for (size_t i = 0; !err && i < rt_len(prefs); i++) { /* the preferences' repositories first, in their order */
    RtValue *p = rt_list_at(prefs, i), *r;
    if (rt_kind(p) == RT_DICT && (r = rt_dict_get(p, "repository")))
      rt_list_push(repos, rt_incref(r));
  }
  for (size_t i = 0; i < rt_len(given); i++)
    rt_list_push(repos, rt_incref(rt_list_at(given, i)));
  for (size_t i = 0; !err && i < rt_len(exclusives); i++) {
    RtValue *path = mn_getitem(rt_list_at(exclusives, i), "path", &err);
    if (!path) {
      rt_lookup_raise(err->u.err.exc == RT_EXC_KEY ? "KeyError" : "TypeError", err);
      break;
    }
    RtValue *item = rt_dict_new(2);
    rt_dict_set(item, "state", rt_strz("absent"));
    rt_dict_set(item, "file", rt_incref(path));
    rt_list_push(results, item);
  }
  for (size_t i = 0; !err && i < rt_len(repos); i++) {
    RtValue *item = mn_repository_item(rt_list_at(repos, i), rt_list_at(terms, 1), rt_list_at(terms, 2));
    if (!item)
      continue;
    if (rt_is_error(item)) {
      err = item;
      break;
    }
    RtValue *legacy = rt_dict_get(item, "legacy_file");
    if (legacy) {
      RtValue *path = mn_path_join(dir, legacy);
      if (rt_is_error(path)) {
        err = rt_lookup_raise("TypeError", path);
        rt_decref(item);
        break;
      }
      RtValue *l = rt_dict_new(2);
      rt_dict_set(l, "state", rt_strz("absent"));
      rt_dict_set(l, "file", path);
      rt_list_push(results, l);
    }
    RtValue *name = rt_dict_get(item, "name");
    size_t j = 0;
    while (j < rt_len(results) && !mn_repository_same(rt_list_at(results, j), name))
      j++;
    RtValue *merged = rt_list_new(rt_len(results) + 1);
    for (size_t k = 0; k < rt_len(results); k++)
      rt_list_push(merged, k == j ? rt_incref(item) : rt_incref(rt_list_at(results, k)));
    if (j == rt_len(results))
      rt_list_push(merged, rt_incref(item));
    rt_decref(item), rt_decref(results);
    results = merged;
  }
  rt_decref(given), rt_decref(exclusives), rt_decref(repos);
  if (err) {
    rt_decref(results);
    return err;
  }
  RtValue *out = rt_list_new(rt_len(results));
  for (size_t i = 0; i < rt_len(results); i++) {
    RtValue *r = mn_repository_sources(rt_list_at(results, i));
    if (want && !rt_dict_get(r, want->u.str.s))
      rt_decref(r);
    else
      rt_list_push(out, r);
  }
  rt_decref(results);
  return out;
}

/* ---- the files_attributes lookup ---- */

/* re.search(pattern, subject) for the plugin's defaults: 1 found, 0 not, or
 * the TypeError / re.error Python raises (*err, a new error value). */
static int mn_re_search(RtValue *pattern, RtValue *subject, RtValue **err) {
  if (rt_kind(pattern) != RT_STR) {
    *err = rt_lookup_raise("TypeError", rt_type_error("first argument must be string or compiled pattern"));
    return -1;
  }
  if (rt_kind(subject) != RT_STR) {
    *err = rt_lookup_raise("TypeError", rt_type_error("expected string or bytes-like object, got '%s'", rt_type_name(subject)));
    return -1;
  }
  RtValue *e = NULL;
  RtRegex *re = rt_re_compile(pattern->u.str.s, pattern->u.str.len, 0, &e);
  if (!re) {
    *err = rt_lookup_raise("re.error", e);
    return -1;
  }
  RtReMatch m;
  int r = rt_re_exec(re, subject->u.str.s, subject->u.str.len, 0, false, false, &m);
  rt_re_free(re);
  if (r < 0)
    *err = rt_error_exc(RT_EXC_RE, "matching failed");
  return r;
}

/* The plugin's _default: every dict of `defaults` without a `path`, or
 * whose `path` (a regular expression) is found in `path`, merged in order.
 * A new dict, or the error Python raises. */
static RtValue *mn_files_default(RtValue *defaults, RtValue *path) {
  RtValue *result = rt_dict_new(4);
  for (size_t i = 0; i < rt_len(defaults); i++) {
    RtValue *d = rt_list_at(defaults, i), *err = NULL;
    if (rt_kind(d) != RT_DICT) {
      err = rt_lookup_raise("TypeError", rt_type_error("'%s' object is not iterable", rt_type_name(d)));
    } else {
      RtValue *pat = rt_dict_get(d, "path");
      int hit = pat ? mn_re_search(pat, path, &err) : 1;
      if (hit > 0)
        for (size_t k = 0; k < rt_len(d); k++)
          rt_dict_put_key(result, d->u.dict.ents[k].key, rt_incref(d->u.dict.ents[k].val));
    }
    if (err) {
      rt_decref(result);
      return err;
    }
  }
  return result;
}

/* One result item: the defaults matching `path`, then `attribute`'s
 * entries. A new dict, or an error. */
static RtValue *mn_files_item(RtValue *defaults, RtValue *path, RtValue *attribute) {
  RtValue *item = mn_files_default(defaults, path);
  if (rt_is_error(item))
    return item;
  for (size_t k = 0; k < rt_len(attribute); k++)
    rt_dict_put_key(item, attribute->u.dict.ents[k].key, rt_incref(attribute->u.dict.ents[k].val));
  return item;
}

/* query('manala.roles.files_attributes', attributes, defaults): each
 * attribute a dict with a `path`, state `ignore` left out, given over the
 * defaults whose `path` pattern is found in its path; a link_directory or
 * link_file also yields the directory or file at its `src` (the defaults
 * matching src, state directory or file) and becomes a link; a later item
 * of the same path replacing an earlier one. The plugin sets the caller's
 * attribute's state to `link` in place; here the attribute is copied. */
RtValue *rt_lk_manala_files_attributes(RtHost *h, RtValue *terms, RtValue *kwargs) {
  (void)h, (void)kwargs;
  if (rt_kind(terms) != RT_LIST || rt_len(terms) < 2)
    return rt_lookup_raise("IndexError", rt_error_exc(RT_EXC_INDEX, "list index out of range"));
  RtValue *attributes = mn_flatten1(rt_list_at(terms, 0));
  if (rt_is_error(attributes))
    return rt_lookup_raise("TypeError", attributes);
  RtValue *defaults = mn_flatten1(rt_list_at(terms, 1));
  if (rt_is_error(defaults)) {
    rt_decref(attributes);
    return rt_lookup_raise("TypeError", defaults);
  }
  RtValue *results = rt_list_new(rt_len(attributes)), *err = NULL;
  for (size_t i = 0; !err && i < rt_len(attributes); i++) {
    RtValue *attribute = rt_list_at(attributes, i);
    if (rt_kind(attribute) != RT_DICT) {
      err = mn_type_error("Expected a dict but was a", attribute);
      break;
    }
    if (!rt_dict_get(attribute, "path")) {
      err = rt_error("Missing \"path\" key");
      break;
    }
    RtValue *state = rt_dict_get(attribute, "state");
    if (mn_is(state, "ignore"))
      continue;
    RtValue *items[2] = {NULL, NULL};
    size_t n = 0;
    attribute = rt_dict_copy(attribute);
    if (mn_is(state, "link_directory") || mn_is(state, "link_file")) {
      RtValue *src = rt_dict_get(attribute, "src");
      if (!src) {
        err = rt_error("Missing \"src\" key");
        rt_decref(attribute);
        break;
      }
      RtValue *item = mn_files_item(defaults, src, attribute);
      if (rt_is_error(item)) {
        err = item;
        rt_decref(attribute);
        break;
      }
      RtValue *path = rt_incref(rt_dict_get(item, "src"));
      rt_dict_del(item, "src");
      rt_dict_set(item, "path", path);
      rt_dict_set(item, "state", rt_strz(mn_is(state, "link_file") ? "file" : "directory"));
      items[n++] = item;
      rt_dict_set(attribute, "state", rt_strz("link"));
    }
    RtValue *item = mn_files_item(defaults, rt_dict_get(attribute, "path"), attribute);
    rt_decref(attribute);
    if (rt_is_error(item)) {
      err = item;
      rt_decref(items[0]);
      break;
    }
    items[n++] = item;
    for (size_t k = 0; k < n; k++) {
      results = mn_merge_by(results, items[k], "path");
      if (rt_is_error(results)) {
        err = results;
        results = NULL;
        for (size_t j = k + 1; j < n; j++)
          rt_decref(items[j]);
        break;
      }
    }
  }
  rt_decref(attributes), rt_decref(defaults);
  if (err) {
    rt_decref(results);
    return err;
  }
  return results;
}
