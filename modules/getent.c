/*
 * getent.c — the getent module: the target's `getent` (one request) lists a
 * database or looks keys up; its stdout (the command's own output, framed
 * apart from the records) is split on the controller as Ansible's module
 * splits it (`split`, else ':' for passwd, shadow, group and gshadow, else
 * Python's whitespace split) into ansible_facts.getent_DATABASE, repeated
 * keys gathering lists. Exit statuses 1, 2 and 3 give Ansible's messages.
 */
#include "mod.h"

static const ModParam getent_params[] = {
    {.name = "database", .type = MP_STR, .required = true},
    {.name = "key", .type = MP_STR},
    {.name = "service", .type = MP_STR},
    {.name = "split", .type = MP_STR},
    {.name = "fail_key", .type = MP_BOOL, .def = "true"},
};
const ModSchema mod_schema_getent = {
    .name = "getent",
    .params = getent_params,
    .nparams = MOD_N(getent_params),
    .tools = "getent",
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Python's line.split(sep): sep NULL splits on runs of whitespace. */
static RtValue *py_split(const char *line, const char *sep) {
  if (!sep)
    return mod_words(line);
  RtValue *l = rt_list_new(8);
  size_t sl = strlen(sep);
  const char *p = line;
  for (;;) {
    const char *e = sl ? strstr(p, sep) : NULL;
    if (!e) {
      rt_list_push(l, rt_strz(p));
      break;
    }
    rt_list_push(l, rt_str(p, (size_t)(e - p)));
    p = e + sl;
  }
  return l;
}

/* The records of the output: {first field: rest}, repeated keys as lists. */
static RtValue *parse_db(const RtBuf *out, const char *sep) {
  RtValue *tree = rt_dict_new(16), *lines = mod_lines(out->data ? out->data : "", out->len);
  RtValue *seen = rt_dict_new(16);
  for (size_t i = 0; i < rt_len(lines); i++) {
    RtValue *rec = py_split(rt_list_at(lines, i)->u.str.s, sep);
    if (rt_len(rec) == 0) { /* "".split() is []: record[0] raises in Ansible; skip */
      rt_decref(rec);
      continue;
    }
    const char *k = rt_list_at(rec, 0)->u.str.s;
    RtValue *rest = rt_list_new(rt_len(rec));
    for (size_t j = 1; j < rt_len(rec); j++)
      rt_list_push(rest, rt_incref(rt_list_at(rec, j)));
    RtValue *n = rt_dict_get(seen, k);
    if (!n) {
      rt_dict_set(tree, k, rest);
      rt_dict_set(seen, k, rt_int(1));
    } else {
      if (n->u.i == 1) {
        RtValue *l = rt_list_new(2);
        rt_list_push(l, rt_incref(rt_dict_get(tree, k)));
        rt_dict_set(tree, k, l);
      }
      rt_list_push(rt_dict_get(tree, k), rest);
      rt_dict_set(seen, k, rt_int(n->u.i + 1));
    }
    rt_decref(rec);
  }
  rt_decref(lines);
  rt_decref(seen);
  return tree;
}

RtValue *mod_getent(RtHost *h, RtValue *args) {
  char *db = mod_arg_str(args, "database"), *key = mod_arg_str(args, "key");
  char *service = mod_arg_str(args, "service"), *split = mod_arg_str(args, "split");
  int fail_key = mod_arg_bool(args, "fail_key", 1);
  RtBuf s = {0};
  mod_sh_need(&s, "getent");
  ModArgv a = {0};
  mod_argv_add(&a, "getent");
  if (service) {
    mod_argv_add(&a, "-s");
    mod_argv_add(&a, service);
  }
  mod_argv_add(&a, "--");
  mod_argv_add(&a, db ? db : "");
  if (key)
    mod_argv_add(&a, key);
  mod_sh_argv(&s, &a);
  rt_buf_puts(&s, "\"$@\"; __playc_rec rc $?\n");
  RtExec ex;
  char *err = NULL;
  RtValue *r = NULL;
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  if ((r = mod_tool_failure(&ex)) != NULL) {
    rt_exec_free(&ex);
    goto done;
  }
  long long rc = mod_rec_int(&ex, "rc", -1);
  static const char *const colon[] = {"passwd", "shadow", "group", "gshadow"};
  const char *sep = split;
  for (int i = 0; !sep && db && i < 4; i++)
    if (strcmp(db, colon[i]) == 0)
      sep = ":";
  char *tree_name = rt_xasprintf("getent_%s", db ? db : "");
  if (rc == 0 || (rc == 2 && fail_key == 0)) {
    RtValue *tree = rc == 0 ? parse_db(&ex.out, sep) : rt_dict_new(1);
    if (rc == 2)
      rt_dict_set(tree, key ? key : "None", rt_none());
    RtValue *facts = rt_dict_new(1);
    rt_dict_set(facts, tree_name, tree);
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
    mod_set_facts(h, facts);
    rt_dict_set(r, "ansible_facts", facts);
    if (rc == 2)
      rt_dict_set(r, "msg", rt_strz("One or more supplied key could not be found in the database."));
  } else {
    r = mod_fail_result("%s", rc == 1   ? "Missing arguments, or database unknown."
                              : rc == 2 ? "One or more supplied key could not be found in the database."
                              : rc == 3 ? "Enumeration not supported on this database."
                                        : "Unexpected failure!");
  }
  free(tree_name);
  rt_exec_free(&ex);
done:
  mod_argv_free(&a);
  rt_buf_free(&s);
  free(err);
  free(db);
  free(key);
  free(service);
  free(split);
  return r;
}

#endif
