/*
 * postgresql_db.c — community.postgresql.postgresql_db: creates, drops and
 * renames a database through the target's `psql`, connected to
 * maintenance_db. One request reads what the database is (a JSON row); a
 * second one, only when something must change, runs the statements Ansible
 * runs, in its order, and they are the result's executed_commands.
 * Identifiers are quoted with " doubled (Ansible pastes them between quotes
 * as they are); dump and restore are not implemented.
 */
#include "mod.h"

static const ModParam pgdb_params[] = {
    MOD_DB_PG_COMMON_PARAMS,
    {.name = "db", .type = MP_STR, .required = true, .aliases = "name"},
    {.name = "owner", .type = MP_STR, .def = ""},
    {.name = "template", .type = MP_STR, .def = ""},
    {.name = "encoding", .type = MP_STR, .def = ""},
    {.name = "lc_collate", .type = MP_STR, .def = ""},
    {.name = "lc_ctype", .type = MP_STR, .def = ""},
    {.name = "state", .type = MP_STR, .def = "present", .choices = "absent,dump,present,rename,restore",
     .unimplemented = "dump,restore"},
    {.name = "target", .type = MP_PATH, .def = ""},
    {.name = "target_opts", .type = MP_STR, .def = ""},
    {.name = "maintenance_db", .type = MP_STR, .def = "postgres"},
    {.name = "session_role", .type = MP_STR},
    {.name = "conn_limit", .type = MP_STR, .def = ""},
    {.name = "tablespace", .type = MP_PATH, .def = ""},
    {.name = "dump_extra_args", .type = MP_STR},
    {.name = "trust_input", .type = MP_BOOL, .def = "true"},
    {.name = "force", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_postgresql_db = {
    .name = "postgresql_db",
    .params = pgdb_params,
    .nparams = MOD_N(pgdb_params),
    .tools = "psql",
    .check_mode = true,
    .collection = "community.postgresql",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

typedef struct PgDb {
  char *db, *owner, *template, *encoding, *collate, *ctype, *state, *target, *maint, *role, *limit, *space;
  bool force;
} PgDb;

static char *arg_or_empty(RtValue *args, const char *name) {
  char *v = mod_arg_str(args, name);
  return v ? v : rt_xstrdup("");
}

/* The request that reads the database (and rename's target): one JSON row. */
static void read_sql(RtBuf *q, const PgDb *d) {
  mod_db_pg_set_role(q, d->role);
  rt_buf_puts(q, "SELECT json_build_object('exists', d.datname IS NOT NULL, 'owner', r.rolname, "
                 "'encoding', pg_encoding_to_char(d.encoding), 'encoding_id', d.encoding, "
                 "'want_encoding_id', pg_char_to_encoding(");
  mod_db_pg_literal(q, d->encoding);
  rt_buf_puts(q, "), 'lc_collate', d.datcollate, 'lc_ctype', d.datctype, 'conn_limit', d.datconnlimit::text, "
                 "'tablespace', t.spcname, 'target_exists', EXISTS (SELECT 1 FROM pg_database WHERE datname = ");
  mod_db_pg_literal(q, d->target);
  rt_buf_puts(q, "), 'version', current_setting('server_version_num')::int) FROM (SELECT 1) AS one "
                 "LEFT JOIN pg_database d ON d.datname = ");
  mod_db_pg_literal(q, d->db);
  rt_buf_puts(q, " LEFT JOIN pg_roles r ON r.oid = d.datdba LEFT JOIN pg_tablespace t ON t.oid = d.dattablespace;\n");
}

static void push_cmd(RtValue *cmds, RtBuf *b) {
  rt_list_push(cmds, rt_strz(b->data));
  b->len = 0;
  if (b->data)
    b->data[0] = 0;
}

/* ALTER DATABASE "db" WHAT "value" (quoted as an identifier when `ident`). */
static void alter(RtValue *cmds, const PgDb *d, const char *what, const char *value, bool ident) {
  RtBuf b = {0};
  rt_buf_puts(&b, "ALTER DATABASE ");
  mod_db_pg_ident(&b, d->db);
  rt_buf_printf(&b, " %s ", what);
  if (ident)
    mod_db_pg_ident(&b, value);
  else
    rt_buf_puts(&b, value);
  push_cmd(cmds, &b);
  rt_buf_free(&b);
}

static void create_sql(RtValue *cmds, const PgDb *d) {
  RtBuf b = {0};
  rt_buf_puts(&b, "CREATE DATABASE ");
  mod_db_pg_ident(&b, d->db);
  const char *id[][2] = {{"OWNER", d->owner}, {"TEMPLATE", d->template}};
  for (int i = 0; i < 2; i++)
    if (*id[i][1]) {
      rt_buf_printf(&b, " %s ", id[i][0]);
      mod_db_pg_ident(&b, id[i][1]);
    }
  const char *lit[][2] = {{"ENCODING", d->encoding}, {"LC_COLLATE", d->collate}, {"LC_CTYPE", d->ctype}};
  for (int i = 0; i < 3; i++)
    if (*lit[i][1]) {
      rt_buf_printf(&b, " %s ", lit[i][0]);
      mod_db_pg_literal(&b, lit[i][1]);
    }
  if (*d->space) {
    rt_buf_puts(&b, " TABLESPACE ");
    mod_db_pg_ident(&b, d->space);
  }
  if (*d->limit)
    rt_buf_printf(&b, " CONNECTION LIMIT %s", d->limit);
  push_cmd(cmds, &b);
  rt_buf_free(&b);
}

/* db_create's comparison when the database exists: a failure message for
 * what cannot change, else the ALTERs (into cmds). */
static char *present_sql(RtValue *cmds, const PgDb *d, RtValue *j) {
  const char *cur;
  RtValue *want = rt_dict_get(j, "want_encoding_id"), *have = rt_dict_get(j, "encoding_id");
  if (*d->encoding && !(want && have && rt_kind(want) == RT_INT && rt_kind(have) == RT_INT && want->u.i == have->u.i))
    return rt_xasprintf("Changing database encoding is not supported. Current encoding: %s",
                        (cur = mod_db_text(j, "encoding")) ? cur : "None");
  if (*d->collate && !((cur = mod_db_text(j, "lc_collate")) && strcmp(cur, d->collate) == 0))
    return rt_xasprintf("Changing LC_COLLATE is not supported. Current LC_COLLATE: %s", cur ? cur : "None");
  if (*d->ctype && !((cur = mod_db_text(j, "lc_ctype")) && strcmp(cur, d->ctype) == 0))
    return rt_xasprintf("Changing LC_CTYPE is not supported.Current LC_CTYPE: %s", cur ? cur : "None");
  if (*d->owner && !((cur = mod_db_text(j, "owner")) && strcmp(cur, d->owner) == 0))
    alter(cmds, d, "OWNER TO", d->owner, true);
  if (*d->limit && !((cur = mod_db_text(j, "conn_limit")) && strcmp(cur, d->limit) == 0))
    alter(cmds, d, "CONNECTION LIMIT", d->limit, false);
  if (*d->space && !((cur = mod_db_text(j, "tablespace")) && strcmp(cur, d->space) == 0))
    alter(cmds, d, "SET TABLESPACE", d->space, true);
  return NULL;
}

/* The statements state asks for, given what the database is; or a failure
 * message (malloc'd). */
static char *plan(RtValue *cmds, const PgDb *d, RtValue *j) {
  bool exists = mod_db_flag(j, "exists");
  if (strcmp(d->state, "absent") == 0) {
    if (exists) {
      RtBuf b = {0};
      rt_buf_puts(&b, "DROP DATABASE ");
      mod_db_pg_ident(&b, d->db);
      if (d->force) {
        RtValue *v = rt_dict_get(j, "version");
        if (v && rt_kind(v) == RT_INT && v->u.i < 130000)
          return rt_xstrdup("playc: force needs PostgreSQL 13 or later");
        rt_buf_puts(&b, " WITH (FORCE)");
      }
      push_cmd(cmds, &b);
      rt_buf_free(&b);
    }
    return NULL;
  }
  if (strcmp(d->state, "rename") == 0) {
    bool texists = mod_db_flag(j, "target_exists");
    if (exists && texists)
      return rt_xstrdup("Both the source and the target databases exist.");
    if (!exists && !texists)
      return rt_xstrdup("The source and the target databases do not exist.");
    if (exists)
      alter(cmds, d, "RENAME TO", d->target, true);
    return NULL;
  }
  if (!exists) {
    create_sql(cmds, d);
    return NULL;
  }
  return present_sql(cmds, d, j);
}

/* Checks Ansible makes before connecting; a message or NULL. */
static char *validate(const PgDb *d, RtValue *args) {
  if (strcmp(d->state, "rename") == 0) {
    if (!*d->target)
      return rt_xstrdup("The \"target\" option must be defined when the \"rename\" option is used.");
    if (strcmp(d->db, d->target) == 0)
      return rt_xstrdup("The \"name/db\" option and the \"target\" option cannot be the same.");
    if (strcmp(d->maint, d->db) == 0)
      return rt_xstrdup("The \"maintenance_db\" option and the \"name/db\" option cannot be the same.");
  }
  long long n;
  if (*d->limit && !mod_py_int(d->limit, &n))
    return rt_xasprintf("playc: conn_limit must be an integer, not '%s'", d->limit);
  RtValue *cp = rt_dict_get(args, "connect_params");
  if (cp && rt_kind(cp) == RT_DICT && cp->u.dict.len)
    return rt_xstrdup("playc: connect_params is not supported");
  return NULL;
}

static void pgdb_free(PgDb *d) {
  char **f[] = {&d->db, &d->owner, &d->template, &d->encoding, &d->collate, &d->ctype,
                &d->state, &d->target, &d->maint, &d->role, &d->limit, &d->space};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
    free(*f[i]);
}

RtValue *mod_postgresql_db(RtHost *h, RtValue *args) {
  PgDb d = {
      .db = arg_or_empty(args, "db"), .owner = arg_or_empty(args, "owner"),
      .template = arg_or_empty(args, "template"), .encoding = arg_or_empty(args, "encoding"),
      .collate = arg_or_empty(args, "lc_collate"), .ctype = arg_or_empty(args, "lc_ctype"),
      .state = arg_or_empty(args, "state"), .target = arg_or_empty(args, "target"),
      .maint = arg_or_empty(args, "maintenance_db"), .role = mod_arg_str(args, "session_role"),
      .limit = arg_or_empty(args, "conn_limit"), .space = arg_or_empty(args, "tablespace"),
      .force = mod_arg_bool(args, "force", 0) == 1,
  };
  if (!*d.state) {
    free(d.state);
    d.state = rt_xstrdup("present");
  }
  if (!*d.maint) {
    free(d.maint);
    d.maint = rt_xstrdup("postgres");
  }
  RtValue *r = NULL, *j = NULL, *cmds = rt_list_new(2), *conn = NULL;
  RtBuf q = {0};
  char *msg = validate(&d, args);
  if (msg)
    goto failed;
  conn = rt_dict_copy(args); /* the connection goes to maintenance_db */
  rt_dict_set(conn, "db", rt_strz(d.maint));
  read_sql(&q, &d);
  int st = mod_db_run(h, MOD_DB_PG, conn, "db", q.data, &j, &r);
  rt_buf_free(&q);
  if (st < 0 || r)
    goto done;
  if ((msg = plan(cmds, &d, mod_db_answer(j, 0))) != NULL)
    goto failed;
  bool changed = rt_len(cmds) > 0;
  if (changed && !h->check_mode) {
    mod_db_pg_set_role(&q, d.role);
    for (size_t i = 0; i < rt_len(cmds); i++)
      rt_buf_printf(&q, "%s;\n", rt_list_at(cmds, i)->u.str.s);
    RtValue *j2 = NULL;
    st = mod_db_run(h, MOD_DB_PG, conn, "db", q.data, &j2, &r);
    rt_buf_free(&q);
    rt_decref(j2);
    if (st < 0)
      goto done;
    if (r) {
      RtValue *m = rt_dict_get(r, "msg");
      msg = rt_xasprintf("Database query failed: %s", m ? m->u.str.s : "");
      rt_decref(r);
      r = NULL;
      goto failed;
    }
  }
  if (h->check_mode) { /* Ansible reports what it would do, and runs nothing */
    rt_decref(cmds);
    cmds = rt_list_new(0);
  }
  r = mod_db_result(changed, "db", d.db, cmds);
  goto done;
failed:
  r = mod_fail_result("%s", msg);
  free(msg);
done:
  rt_decref(conn);
  rt_decref(j);
  rt_decref(cmds);
  pgdb_free(&d);
  return r;
}

#endif
