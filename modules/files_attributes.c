/*
 * files_attributes.c — the manala.roles collection's files_attributes
 * action (its files role runs it for each item of the files_attributes
 * lookup). It has no module of its own: the collection's action plugin runs
 * ansible.builtin's file, copy, template, get_url, unarchive and stat with
 * arguments it builds from the task's, and so does this one, calling
 * playc's modules of those names on the same host:
 *
 *   state absent with template/content/copy   file absent; its result
 *   parents (template/content, link or file)  file directory on dirname(path)
 *   template / content                        template / copy to path
 *   copy                                      copy src to path; its result
 *   url                                       get_url, then unarchive in it
 *   state link / directory / file             force: file absent first when
 *                                             something else is there; then
 *                                             file (copy of '' first for file)
 *   any other state                           file with the task's arguments
 *
 * The first failed step's result is the task's. Results keep the plugin's
 * quirks: its `diff` is a list that a step's diff dict extends by its keys
 * ("before", "after"), a parents or force step's dict is appended whole,
 * url's unarchive changes nothing in `changed`.
 */
#include "mod.h"

static const ModParam fa_params[] = {
    {.name = "path", .type = MP_RAW},     {.name = "state", .type = MP_RAW},
    {.name = "parents", .type = MP_RAW},  {.name = "template", .type = MP_RAW},
    {.name = "content", .type = MP_RAW},  {.name = "copy", .type = MP_RAW},
    {.name = "url", .type = MP_RAW},      {.name = "validate_certs", .type = MP_RAW},
    {.name = "unarchive", .type = MP_RAW}, {.name = "creates", .type = MP_RAW},
    {.name = "src", .type = MP_RAW},      {.name = "force", .type = MP_RAW},
    {.name = "follow", .type = MP_RAW},   {.name = "recurse", .type = MP_RAW},
    {.name = "owner", .type = MP_RAW},    {.name = "group", .type = MP_RAW},
    {.name = "mode", .type = MP_RAW},
};
/* The plugin reads only these; like any action plugin it ignores others. */
const ModSchema mod_schema_files_attributes = {
    .name = "files_attributes",
    .params = fa_params,
    .nparams = MOD_N(fa_params),
    .any_params = true,
    .check_mode = true,
    .diff_mode = true,
    .collection = "manala.roles",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

typedef RtValue *(*FaModule)(RtHost *h, RtValue *args);

/* The plugin's _run_module: `base` (taken) with each of the task's
 * arguments named in `keys` (NULL-terminated, may be NULL) that it has,
 * run by `fn`. The module's result (new); NULL when the host was lost. */
static RtValue *fa_run(RtHost *h, FaModule fn, RtValue *base, RtValue *args, const char *const *keys) {
  for (int i = 0; keys && keys[i]; i++) {
    RtValue *v = rt_dict_get(args, keys[i]);
    if (v)
      rt_dict_set(base, keys[i], rt_incref(v));
  }
  RtValue *r = fn(h, base);
  rt_decref(base);
  return r;
}

/* Python's bool(v) of a task argument or result value. */
static bool fa_truthy(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_BOOL: return v->u.b;
  case RT_INT: return v->u.i != 0;
  case RT_FLOAT: return v->u.f != 0;
  case RT_STR:
  case RT_LIST:
  case RT_DICT: return rt_len(v) > 0;
  default: return false;
  }
}

/* Whether a step's result failed (result.get('failed') is truthy). */
static bool fa_failed(const RtValue *r) {
  RtValue *f = rt_kind(r) == RT_DICT ? rt_dict_get(r, "failed") : NULL;
  return f && fa_truthy(f);
}

/* result['changed'] |= step['changed'] */
static void fa_changed(RtValue *result, RtValue *step) {
  RtValue *c = rt_dict_get(step, "changed");
  if (c && fa_truthy(c))
    rt_dict_set(result, "changed", rt_bool(true));
}

/* result['diff'] += step['diff'] (`whole`: += [step['diff']]): a list
 * extends it, a dict adds its keys. */
static void fa_diff(RtValue *result, RtValue *step, bool whole) {
  RtValue *list = rt_dict_get(result, "diff"), *d = rt_dict_get(step, "diff");
  if (whole) {
    rt_list_push(list, d ? rt_incref(d) : rt_none());
    return;
  }
  if (rt_kind(d) == RT_LIST)
    for (size_t i = 0; i < rt_len(d); i++)
      rt_list_push(list, rt_incref(rt_list_at(d, i)));
  else if (rt_kind(d) == RT_DICT)
    for (size_t i = 0; i < rt_len(d); i++)
      rt_list_push(list, rt_incref(d->u.dict.ents[i].key));
}

/* {'path': path, 'state': state} as a new dict. */
static RtValue *fa_file_args(RtValue *path, const char *state) {
  RtValue *a = rt_dict_new(3);
  rt_dict_set(a, "path", path ? rt_incref(path) : rt_none());
  if (state)
    rt_dict_set(a, "state", rt_strz(state));
  return a;
}

/* os.path.dirname(path) of a string (None and others as they are). */
static RtValue *fa_dirname(RtValue *path) {
  if (rt_kind(path) != RT_STR)
    return path ? rt_incref(path) : rt_none();
  const char *s = path->u.str.s;
  size_t n = path->u.str.len;
  while (n && s[n - 1] != '/')
    n--;
  size_t keep = n; /* the head keeps its slashes only when it is all slashes */
  while (keep && s[keep - 1] == '/')
    keep--;
  return rt_str(s, keep ? keep : n);
}

static const char *const fa_attrs[] = {"owner", "group", "mode", NULL};

/* The force step of link, directory and file: when something is at path
 * (followed unless a link) and `keep` says it is not the wanted kind, file
 * absent (its changed and whole diff into result). NULL when done, else
 * the task's result (a failure, or NULL in *lost when the host was lost). */
static RtValue *fa_force(RtHost *h, RtValue *args, RtValue *result, bool follow, const char *keep, bool *lost) {
  RtValue *path = rt_dict_get(args, "path");
  RtValue *sa = rt_dict_new(3);
  rt_dict_set(sa, "path", path ? rt_incref(path) : rt_none());
  rt_dict_set(sa, "follow", rt_bool(follow));
  rt_dict_set(sa, "get_checksum", rt_bool(false));
  RtValue *st = fa_run(h, mod_stat, sa, args, NULL);
  if (!st) {
    *lost = true;
    return NULL;
  }
  if (fa_failed(st)) { /* ActionBase._execute_remote_stat's AnsibleError */
    char *p = path ? mod_arg_str(args, "path") : NULL, *m = mod_arg_str(st, "msg");
    rt_decref(st);
    RtValue *f = mod_fail_result("Failed to get information on remote file (%s): %s", p ? p : "None", m ? m : "");
    free(p), free(m);
    return f;
  }
  RtValue *s = rt_dict_get(st, "stat"), *ex = s ? rt_dict_get(s, "exists") : NULL, *kind = s ? rt_dict_get(s, keep) : NULL;
  bool other = ex && fa_truthy(ex) && !(kind && fa_truthy(kind));
  rt_decref(st);
  if (!other)
    return NULL;
  RtValue *r = fa_run(h, mod_file, fa_file_args(path, "absent"), args, NULL);
  if (!r || fa_failed(r)) {
    *lost = !r;
    return r;
  }
  fa_changed(result, r);
  fa_diff(result, r, true);
  rt_decref(r);
  return NULL;
}

/* Runs one step into result: its changed, and its diff unless `diff` < 0
 * (0: extended by it, 1: appended whole). NULL when done, else the task's
 * result (the failure), or NULL with *lost. */
static RtValue *fa_step(RtHost *h, FaModule fn, RtValue *base, RtValue *args, const char *const *keys, RtValue *result,
                        int diff, bool *lost) {
  RtValue *r = fa_run(h, fn, base, args, keys);
  if (!r || fa_failed(r)) {
    *lost = !r;
    return r;
  }
  fa_changed(result, r);
  if (diff >= 0)
    fa_diff(result, r, diff == 1);
  rt_decref(r);
  return NULL;
}

static bool fa_has(RtValue *args, const char *k) { return rt_dict_get(args, k) != NULL; }

static bool fa_is(RtValue *v, const char *s) { return rt_kind(v) == RT_STR && strcmp(v->u.str.s, s) == 0; }

/* The branches after parents, as the plugin's if/elif chain. */
static RtValue *fa_main(RtHost *h, RtValue *args, RtValue *result, RtValue *state, bool *lost) {
  static const char *const put[] = {"force", "owner", "group", "mode", NULL};
  RtValue *path = rt_dict_get(args, "path"), *fail = NULL;
  if (fa_has(args, "template")) {
    RtValue *a = rt_dict_new(6);
    rt_dict_set(a, "dest", path ? rt_incref(path) : rt_none());
    rt_dict_set(a, "src", rt_incref(rt_dict_get(args, "template")));
    return fa_step(h, mod_template, a, args, put, result, 0, lost);
  }
  if (fa_has(args, "content")) {
    RtValue *a = rt_dict_new(6);
    rt_dict_set(a, "dest", path ? rt_incref(path) : rt_none());
    rt_dict_set(a, "content", rt_incref(rt_dict_get(args, "content")));
    return fa_step(h, mod_copy, a, args, put, result, 0, lost);
  }
  if (fa_has(args, "url")) {
    static const char *const get[] = {"validate_certs", "force", "owner", "group", "mode", NULL};
    static const char *const creates[] = {"creates", NULL};
    RtValue *a = rt_dict_new(7);
    rt_dict_set(a, "dest", path ? rt_incref(path) : rt_none());
    rt_dict_set(a, "url", rt_incref(rt_dict_get(args, "url")));
    if ((fail = fa_step(h, mod_get_url, a, args, get, result, -1, lost)) || *lost)
      return fail;
    RtValue *un = rt_dict_get(args, "unarchive");
    if (!un || !fa_truthy(un) || h->check_mode)
      return NULL;
    a = rt_dict_new(4);
    rt_dict_set(a, "src", path ? rt_incref(path) : rt_none());
    rt_dict_set(a, "dest", fa_dirname(path));
    rt_dict_set(a, "remote_src", rt_bool(true));
    RtValue *r = fa_run(h, mod_unarchive, a, args, creates); /* its changed is not counted */
    if (!r || fa_failed(r)) {
      *lost = !r;
      return r;
    }
    rt_decref(r);
    return NULL;
  }
  bool force = fa_has(args, "force") && fa_truthy(rt_dict_get(args, "force"));
  if (fa_is(state, "link")) {
    static const char *const link[] = {"owner", "group", NULL};
    if (force && ((fail = fa_force(h, args, result, false, "islnk", lost)) || *lost))
      return fail;
    RtValue *a = fa_file_args(path, NULL);
    rt_dict_set(a, "src", fa_has(args, "src") ? rt_incref(rt_dict_get(args, "src")) : rt_none());
    rt_dict_set(a, "state", rt_strz("link"));
    return fa_step(h, mod_file, a, args, link, result, 0, lost);
  }
  if (fa_is(state, "directory")) {
    if (force && ((fail = fa_force(h, args, result, true, "isdir", lost)) || *lost))
      return fail;
    return fa_step(h, mod_file, fa_file_args(path, "directory"), args, fa_attrs, result, 0, lost);
  }
  /* state file */
  if (force && ((fail = fa_force(h, args, result, true, "isreg", lost)) || *lost))
    return fail;
  RtValue *a = rt_dict_new(5);
  rt_dict_set(a, "dest", path ? rt_incref(path) : rt_none());
  rt_dict_set(a, "content", rt_strz(""));
  rt_dict_set(a, "force", rt_bool(false));
  if ((fail = fa_step(h, mod_copy, a, args, fa_attrs, result, -1, lost)) || *lost)
    return fail;
  return fa_step(h, mod_file, fa_file_args(path, "file"), args, fa_attrs, result, 0, lost);
}

RtValue *mod_files_attributes(RtHost *h, RtValue *args) {
  static const char *const other[] = {"state", "follow", "recurse", "src", "force", "owner", "group", "mode", NULL};
  RtValue *path = rt_dict_get(args, "path"), *state = rt_dict_get(args, "state");
  RtValue *dflt = rt_strz("file");
  if (!state)
    state = dflt;
  bool content = fa_has(args, "template") || fa_has(args, "content");
  RtValue *out = NULL;
  if (fa_is(state, "absent") && (content || fa_has(args, "copy"))) {
    out = fa_run(h, mod_file, fa_file_args(path, "absent"), args, NULL);
    goto done;
  }
  bool chain = content || fa_has(args, "copy") || fa_has(args, "url") || fa_is(state, "link") ||
              fa_is(state, "directory") || fa_is(state, "file");
  if (fa_has(args, "copy")) { /* parents aside, the copy module's result is the task's */
  } else if (!chain) {
    out = fa_run(h, mod_file, fa_file_args(path, NULL), args, other);
    goto done;
  }
  RtValue *result = rt_dict_new(3);
  rt_dict_set(result, "changed", rt_bool(false));
  rt_dict_set(result, "diff", rt_list_new(0));
  bool lost = false;
  RtValue *parents = rt_dict_get(args, "parents");
  if (parents && fa_truthy(parents) && (content || fa_is(state, "link") || fa_is(state, "file"))) {
    RtValue *dir = rt_dict_new(3);
    rt_dict_set(dir, "path", fa_dirname(path));
    rt_dict_set(dir, "state", rt_strz("directory"));
    out = fa_step(h, mod_file, dir, args, fa_attrs, result, 1, &lost);
    if (out || lost)
      goto stop;
  }
  if (fa_has(args, "copy") && !content) {
    static const char *const put[] = {"force", "owner", "group", "mode", NULL};
    RtValue *a = rt_dict_new(6);
    rt_dict_set(a, "dest", path ? rt_incref(path) : rt_none());
    rt_dict_set(a, "src", rt_incref(rt_dict_get(args, "copy")));
    out = fa_run(h, mod_copy, a, args, put);
    goto stop;
  }
  out = fa_main(h, args, result, state, &lost);
stop:
  if (!out && !lost)
    out = rt_incref(result);
  rt_decref(result);
done:
  rt_decref(dflt);
  return out;
}

#endif
