/*
 * mysql_db.c — community.mysql.mysql_db: creates and drops databases
 * through the target's `mysql` client. One request reads which of the named
 * databases exist (a JSON object from information_schema); a second one,
 * only when something must change, runs Ansible's statements (CREATE
 * DATABASE with CHARACTER SET and COLLATE as literals, DROP DATABASE), which
 * are the result's executed_commands. dump and import are not implemented.
 */
#include "mod.h"

static const ModParam mydb_params[] = {
    MOD_DB_MY_COMMON_PARAMS,
    {.name = "name", .type = MP_LIST, .required = true, .aliases = "db"},
    {.name = "encoding", .type = MP_STR, .def = ""},
    {.name = "collation", .type = MP_STR, .def = ""},
    {.name = "target", .type = MP_PATH},
    {.name = "state", .type = MP_STR, .def = "present", .choices = "absent,dump,import,present",
     .unimplemented = "dump,import"},
    {.name = "single_transaction", .type = MP_BOOL, .def = "false"},
    {.name = "quick", .type = MP_BOOL, .def = "true"},
    {.name = "ignore_tables", .type = MP_LIST, .def = "[]"},
    {.name = "hex_blob", .type = MP_BOOL, .def = "false"},
    {.name = "force", .type = MP_BOOL, .def = "false"},
    {.name = "master_data", .type = MP_INT, .def = "0", .choices = "0,1,2"},
    {.name = "skip_lock_tables", .type = MP_BOOL, .def = "false"},
    {.name = "dump_extra_args", .type = MP_STR},
    {.name = "use_shell", .type = MP_BOOL, .def = "false"},
    {.name = "unsafe_login_password", .type = MP_BOOL, .def = "false", .no_log = true},
    {.name = "restrict_config_file", .type = MP_BOOL, .def = "false"},
    {.name = "check_implicit_admin", .type = MP_BOOL, .def = "false"},
    {.name = "config_overrides_defaults", .type = MP_BOOL, .def = "false"},
    {.name = "chdir", .type = MP_PATH},
    {.name = "pipefail", .type = MP_BOOL, .def = "true"},
    {.name = "sql_log_bin", .type = MP_BOOL, .def = "true"},
};
const ModSchema mod_schema_mysql_db = {
    .name = "mysql_db",
    .params = mydb_params,
    .nparams = MOD_N(mydb_params),
    .tools = "mysql",
    .check_mode = true,
    .collection = "community.mysql",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The names, each stripped as Ansible strips them. */
static RtValue *db_names(RtValue *args) {
  RtValue *l = mod_arg_list(args, "name"), *out = rt_list_new(l ? rt_len(l) : 0);
  for (size_t i = 0; l && i < rt_len(l); i++) {
    const char *s = rt_list_at(l, i)->u.str.s;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
      n--;
    while (n && isspace((unsigned char)*s))
      s++, n--;
    rt_list_push(out, rt_str(s, n));
  }
  rt_decref(l);
  return out;
}

/* SELECT JSON_OBJECT('0', EXISTS(...), '1', ...): which names exist. */
static void read_sql(RtBuf *q, RtValue *names) {
  rt_buf_puts(q, "SELECT JSON_OBJECT(");
  for (size_t i = 0; i < rt_len(names); i++) {
    rt_buf_printf(q, "%s'%zu', EXISTS(SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ", i ? ", " : "",
                  i);
    mod_db_my_literal(q, rt_list_at(names, i)->u.str.s);
    rt_buf_puts(q, ")");
  }
  rt_buf_puts(q, ");\n");
}

static bool exists_at(RtValue *j, size_t i) {
  char k[24];
  snprintf(k, sizeof k, "%zu", i);
  return mod_db_flag(j, k);
}

static void create_sql(RtBuf *b, const char *db, const char *enc, const char *coll) {
  rt_buf_puts(b, "CREATE DATABASE ");
  mod_db_my_ident(b, db);
  if (*enc) {
    rt_buf_puts(b, " CHARACTER SET ");
    mod_db_my_literal(b, enc);
  }
  if (*coll) {
    rt_buf_puts(b, " COLLATE ");
    mod_db_my_literal(b, coll);
  }
}

RtValue *mod_mysql_db(RtHost *h, RtValue *args) {
  RtValue *names = db_names(args), *j = NULL, *r = NULL, *cmds = rt_list_new(2);
  char *state = mod_arg_str(args, "state"), *enc = mod_arg_str(args, "encoding");
  char *coll = mod_arg_str(args, "collation");
  bool absent = state && strcmp(state, "absent") == 0;
  RtBuf q = {0}, name = {0};
  for (size_t i = 0; i < rt_len(names); i++)
    rt_buf_printf(&name, "%s%s", i ? " " : "", rt_list_at(names, i)->u.str.s);
  if (rt_len(names) == 0) {
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "db", rt_list_new(0));
    rt_dict_set(r, "db_list", rt_list_new(0));
    goto done;
  }
  if (rt_len(names) == 1 && strcmp(rt_list_at(names, 0)->u.str.s, "all") == 0) {
    r = mod_fail_result("name is not allowed to equal 'all' unless state equals import, or dump.");
    goto done;
  }
  read_sql(&q, names);
  if (mod_db_run(h, MOD_DB_MY, args, NULL, q.data, &j, &r) < 0 || r)
    goto done;
  q.len = 0;
  for (size_t i = 0; i < rt_len(names); i++) {
    if (exists_at(mod_db_answer(j, 0), i) != absent)
      continue;
    RtBuf b = {0};
    const char *db = rt_list_at(names, i)->u.str.s;
    if (absent) {
      rt_buf_puts(&b, "DROP DATABASE ");
      mod_db_my_ident(&b, db);
    } else
      create_sql(&b, db, enc ? enc : "", coll ? coll : "");
    rt_buf_printf(&q, "%s;\n", b.data);
    rt_list_push(cmds, rt_strz(b.data));
    rt_buf_free(&b);
  }
  bool changed = rt_len(cmds) > 0;
  if (changed && !h->check_mode) {
    RtValue *j2 = NULL;
    int st = mod_db_run(h, MOD_DB_MY, args, NULL, q.data, &j2, &r);
    rt_decref(j2);
    if (st < 0)
      goto done;
    if (r) {
      RtValue *m = rt_dict_get(r, "msg");
      char *msg = rt_xasprintf("error %s database: %s", absent ? "deleting" : "creating", m ? m->u.str.s : "");
      rt_decref(r);
      r = mod_fail_result("%s", msg);
      free(msg);
      goto done;
    }
  }
  r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "db", rt_strz(name.data ? name.data : ""));
  rt_dict_set(r, "db_list", rt_incref(names));
  if (!h->check_mode) /* Ansible's check mode answers without them */
    rt_dict_set(r, "executed_commands", rt_incref(cmds));
done:
  rt_buf_free(&q);
  rt_buf_free(&name);
  rt_decref(names);
  rt_decref(j);
  rt_decref(cmds);
  free(state);
  free(enc);
  free(coll);
  return r;
}

#endif
