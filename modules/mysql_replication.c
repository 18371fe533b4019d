/*
 * mysql_replication.c — community.mysql.mysql_replication (3.7.2) through
 * the target's `mysql` client: getprimary and getreplica (SHOW MASTER /
 * REPLICA STATUS, whose columns become the result's keys), changeprimary
 * (CHANGE MASTER TO), start, stop and reset of the replica, reset of the
 * primary. One request asks the server's version (the collection says
 * REPLICA from MariaDB 10.5.1 and MySQL 8.0.22, SLAVE before) and, for
 * getprimary, the status too; the other modes send their statement in a
 * second request. The statements are listed in `queries` as Ansible builds
 * them, but the values in the statement run are quoted literals (Ansible
 * pastes them between quotes as they are). The module has no check mode:
 * a check run skips it, as AnsibleModule does.
 */
#include "mod.h"

static const ModParam myrepl_params[] = {
    MOD_DB_MY_COMMON_PARAMS,
    {.name = "mode", .type = MP_STR, .def = "getreplica",
     .choices = "getprimary,getreplica,changeprimary,stopreplica,startreplica,resetprimary,resetreplica,"
                "resetreplicaall"},
    {.name = "primary_auto_position", .type = MP_BOOL, .def = "false", .aliases = "master_auto_position"},
    {.name = "primary_host", .type = MP_STR, .aliases = "master_host"},
    {.name = "primary_user", .type = MP_STR, .aliases = "master_user"},
    {.name = "primary_password", .type = MP_STR, .no_log = true, .aliases = "master_password"},
    {.name = "primary_port", .type = MP_INT, .aliases = "master_port"},
    {.name = "primary_connect_retry", .type = MP_INT, .aliases = "master_connect_retry"},
    {.name = "primary_log_file", .type = MP_STR, .aliases = "master_log_file"},
    {.name = "primary_log_pos", .type = MP_INT, .aliases = "master_log_pos"},
    {.name = "relay_log_file", .type = MP_STR},
    {.name = "relay_log_pos", .type = MP_INT},
    {.name = "primary_ssl", .type = MP_BOOL, .aliases = "master_ssl"},
    {.name = "primary_ssl_ca", .type = MP_STR, .aliases = "master_ssl_ca"},
    {.name = "primary_ssl_capath", .type = MP_STR, .aliases = "master_ssl_capath"},
    {.name = "primary_ssl_cert", .type = MP_STR, .aliases = "master_ssl_cert"},
    {.name = "primary_ssl_key", .type = MP_STR, .aliases = "master_ssl_key"},
    {.name = "primary_ssl_cipher", .type = MP_STR, .aliases = "master_ssl_cipher"},
    {.name = "primary_ssl_verify_server_cert", .type = MP_BOOL, .def = "false"},
    {.name = "primary_use_gtid", .type = MP_STR, .choices = "current_pos,replica_pos,disabled",
     .aliases = "master_use_gtid"},
    {.name = "primary_delay", .type = MP_INT, .aliases = "master_delay"},
    {.name = "connection_name", .type = MP_STR},
    {.name = "channel", .type = MP_STR},
    {.name = "fail_on_error", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_mysql_replication = {
    .name = "mysql_replication",
    .params = myrepl_params,
    .nparams = MOD_N(myrepl_params),
    .exclusive = "connection_name,channel",
    .tools = "mysql",
    .check_mode = false,
    .collection = "community.mysql",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The status columns pymysql returns as numbers (their types are integers
 * in SHOW MASTER STATUS and SHOW REPLICA STATUS, MariaDB and MySQL). */
static const char *const int_cols[] = {
    "Position", "Master_Port", "Connect_Retry", "Read_Master_Log_Pos", "Relay_Log_Pos", "Last_Errno",
    "Skip_Counter", "Exec_Master_Log_Pos", "Relay_Log_Space", "Until_Log_Pos", "Seconds_Behind_Master",
    "Last_IO_Errno", "Last_SQL_Errno", "Master_Server_Id", "SQL_Delay", "SQL_Remaining_Delay",
    "Slave_DDL_Groups", "Slave_Non_Transactional_Groups", "Slave_Transactional_Groups",
    "Source_Port", "Read_Source_Log_Pos", "Exec_Source_Log_Pos", "Seconds_Behind_Source",
    "Source_Server_Id", "Auto_Position", "Master_Retry_Count", "Source_Retry_Count",
};

static bool is_int_col(const char *name) {
  for (size_t i = 0; i < sizeof int_cols / sizeof int_cols[0]; i++)
    if (strcmp(name, int_cols[i]) == 0)
      return true;
  return false;
}

/* A status column's value as the driver gives it: NULL is None, an
 * integer column an int. */
static RtValue *col_value(const char *name, RtValue *text) {
  const char *s = text->u.str.s;
  long long n;
  if (strcmp(s, "NULL") == 0 && is_int_col(name))
    return rt_none();
  if (is_int_col(name) && mod_py_int(s, &n))
    return rt_int(n);
  return rt_incref(text);
}

/* Row `row` of `rows` as a dict keyed by header line `hdr` into r. */
static void add_status(RtValue *r, RtValue *rows, size_t hdr, size_t row) {
  RtValue *names = rt_list_at(rows, hdr), *vals = rt_list_at(rows, row);
  for (size_t i = 0; i < rt_len(names) && i < rt_len(vals); i++) {
    const char *k = rt_list_at(names, i)->u.str.s;
    rt_dict_set(r, k, col_value(k, rt_list_at(vals, i)));
  }
}

/* uses_replica_terminology: MariaDB from 10.5.1, MySQL from 8.0.22. */
static bool replica_term(const char *version) {
  int a = 0, b = 0, c = 0;
  sscanf(version, "%d.%d.%d", &a, &b, &c);
  bool maria = false;
  for (const char *p = version; *p && !maria; p++)
    maria = strncasecmp(p, "mariadb", 7) == 0;
  long v = a * 10000L + b * 100L + c;
  return maria ? v >= 100501 : v >= 80022;
}

/* Python's repr() of a str, into b. */
static void py_str_repr(RtBuf *b, const char *s) {
  bool dq = strchr(s, '\'') && !strchr(s, '"');
  rt_buf_putc(b, dq ? '"' : '\'');
  for (; *s; s++) {
    if (*s == '\n')
      rt_buf_puts(b, "\\n");
    else if (*s == '\t')
      rt_buf_puts(b, "\\t");
    else {
      if (*s == '\\' || (!dq && *s == '\''))
        rt_buf_putc(b, '\\');
      rt_buf_putc(b, *s);
    }
  }
  rt_buf_putc(b, dq ? '"' : '\'');
}

/* pymysql's text of a server error: (code, 'message'). */
static char *driver_error(RtValue *fail) {
  RtValue *m = rt_dict_get(fail, "msg"), *code = rt_dict_get(fail, "errno");
  if (!code || rt_kind(code) != RT_INT)
    return rt_xstrdup(m ? m->u.str.s : "");
  RtBuf b = {0};
  rt_buf_printf(&b, "(%lld, ", (long long)code->u.i);
  py_str_repr(&b, m ? m->u.str.s : "");
  rt_buf_putc(&b, ')');
  return rt_buf_take(&b);
}

/* The statement of a start/stop/reset mode, as Ansible builds it. */
static char *mode_stmt(const char *verb, const char *term, const char *conn, const char *chan, const char *tail) {
  RtBuf b = {0};
  rt_buf_printf(&b, "%s %s", verb, term);
  if (conn && *conn)
    rt_buf_printf(&b, " '%s'", conn);
  if (tail)
    rt_buf_printf(&b, " %s", tail);
  if (chan && *chan)
    rt_buf_printf(&b, " FOR CHANNEL '%s'", chan);
  return rt_buf_take(&b);
}

/* The same statement with its names as quoted literals (run). */
static char *mode_sql(const char *verb, const char *term, const char *conn, const char *chan, const char *tail) {
  RtBuf b = {0};
  rt_buf_printf(&b, "%s %s", verb, term);
  if (conn && *conn) {
    rt_buf_putc(&b, ' ');
    mod_db_my_literal(&b, conn);
  }
  if (tail)
    rt_buf_printf(&b, " %s", tail);
  if (chan && *chan) {
    rt_buf_puts(&b, " FOR CHANNEL ");
    mod_db_my_literal(&b, chan);
  }
  rt_buf_puts(&b, ";\n");
  return rt_buf_take(&b);
}

/* One CHANGE MASTER option: shown as Ansible writes it, run quoted. */
static void change_opt(RtValue *shown, RtBuf *run, const char *opt, const char *val, bool quote) {
  RtBuf b = {0};
  rt_buf_printf(&b, quote ? "%s='%s'" : "%s=%s", opt, val);
  rt_list_push(shown, rt_strz(b.data));
  rt_buf_free(&b);
  rt_buf_printf(run, "%s%s=", run->len ? "," : "", opt);
  if (quote)
    mod_db_my_literal(run, val);
  else
    rt_buf_puts(run, val);
}

static void change_arg(RtValue *shown, RtBuf *run, RtValue *args, const char *arg, const char *opt, bool quote) {
  char *v = mod_arg_str(args, arg);
  if (v)
    change_opt(shown, run, opt, v, quote);
  free(v);
}

/* changeprimary's options, in the collection's order. */
static void change_opts(RtValue *args, bool replica, RtValue *shown, RtBuf *run) {
  change_arg(shown, run, args, "primary_host", "MASTER_HOST", true);
  change_arg(shown, run, args, "primary_user", "MASTER_USER", true);
  change_arg(shown, run, args, "primary_password", "MASTER_PASSWORD", true);
  change_arg(shown, run, args, "primary_port", "MASTER_PORT", false);
  change_arg(shown, run, args, "primary_connect_retry", "MASTER_CONNECT_RETRY", false);
  change_arg(shown, run, args, "primary_log_file", "MASTER_LOG_FILE", true);
  change_arg(shown, run, args, "primary_log_pos", "MASTER_LOG_POS", false);
  change_arg(shown, run, args, "primary_delay", "MASTER_DELAY", false);
  change_arg(shown, run, args, "relay_log_file", "RELAY_LOG_FILE", true);
  change_arg(shown, run, args, "relay_log_pos", "RELAY_LOG_POS", false);
  int ssl = mod_arg_bool(args, "primary_ssl", -1);
  if (ssl >= 0)
    change_opt(shown, run, "MASTER_SSL", ssl ? "1" : "0", false);
  change_arg(shown, run, args, "primary_ssl_ca", "MASTER_SSL_CA", true);
  change_arg(shown, run, args, "primary_ssl_capath", "MASTER_SSL_CAPATH", true);
  change_arg(shown, run, args, "primary_ssl_cert", "MASTER_SSL_CERT", true);
  change_arg(shown, run, args, "primary_ssl_key", "MASTER_SSL_KEY", true);
  change_arg(shown, run, args, "primary_ssl_cipher", "MASTER_SSL_CIPHER", true);
  if (mod_arg_bool(args, "primary_ssl_verify_server_cert", 0) == 1)
    change_opt(shown, run, "SOURCE_SSL_VERIFY_SERVER_CERT", "1", false);
  if (mod_arg_bool(args, "primary_auto_position", 0) == 1)
    change_opt(shown, run, "MASTER_AUTO_POSITION", "1", false);
  char *g = mod_arg_str(args, "primary_use_gtid");
  if (g) {
    const char *v = strcmp(g, "disabled") == 0 ? "no" : !replica && strcmp(g, "replica_pos") == 0 ? "slave_pos" : g;
    change_opt(shown, run, "MASTER_USE_GTID", v, false);
  }
  free(g);
}

/* Python's repr() of a list of str, into b. */
static void py_list_repr(RtBuf *b, RtValue *l) {
  rt_buf_putc(b, '[');
  for (size_t i = 0; i < rt_len(l); i++) {
    rt_buf_puts(b, i ? ", " : "");
    py_str_repr(b, rt_list_at(l, i)->u.str.s);
  }
  rt_buf_putc(b, ']');
}

static RtValue *result(bool changed, const char *msg, RtValue *queries) {
  RtValue *r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(changed));
  if (msg)
    rt_dict_set(r, "msg", rt_strz(msg));
  rt_dict_set(r, "queries", rt_incref(queries));
  return r;
}

typedef struct ModeInfo {
  const char *mode, *verb, *tail, *ok, *no, *fail;
  bool replica; /* takes the replica term, connection_name and channel */
} ModeInfo;

static const ModeInfo modes[] = {
    {"startreplica", "START", NULL, "Replica started ", "Replica already started (Or cannot be started)",
     "START REPLICA failed", true},
    {"stopreplica", "STOP", NULL, "Replica stopped", "Replica already stopped", "STOP REPLICA failed", true},
    {"resetprimary", "RESET", NULL, "Primary reset", "Primary already reset", "RESET MASTER failed", false},
    {"resetreplica", "RESET", NULL, "Replica reset", "Replica already reset", "RESET REPLICA failed", true},
    {"resetreplicaall", "RESET", "ALL", "Replica reset", "Replica already reset", "RESET REPLICA ALL failed", true},
};

RtValue *mod_mysql_replication(RtHost *h, RtValue *args) {
  if (h->check_mode)
    return mod_check_skip("mysql_replication");
  char *mode = mod_arg_str(args, "mode"), *conn = mod_arg_str(args, "connection_name");
  char *chan = mod_arg_str(args, "channel"), *sql = NULL, *stmt = NULL;
  RtValue *rows = NULL, *r = NULL, *queries = rt_list_new(1), *shown = rt_list_new(8);
  RtBuf q = {0}, run = {0};
  if (!mode)
    mode = rt_xstrdup("getreplica");
  bool getp = strcmp(mode, "getprimary") == 0;
  rt_buf_puts(&q, "SELECT VERSION();\n");
  if (getp)
    rt_buf_puts(&q, "SHOW MASTER STATUS;\n");
  if (mod_db_my_table(h, args, q.data, &rows, &r) < 0 || r)
    goto done;
  const char *version = rt_len(rows) > 1 && rt_len(rt_list_at(rows, 1)) ? rt_list_at(rt_list_at(rows, 1), 0)->u.str.s : "";
  bool replica = replica_term(version);
  const char *term = replica ? "REPLICA" : "SLAVE";
  if (getp) {
    r = rt_dict_new(8);
    if (rt_len(rows) > 3) {
      add_status(r, rows, 2, 3);
      rt_dict_set(r, "Is_Primary", rt_bool(true));
    } else {
      rt_dict_set(r, "Is_Primary", rt_bool(false));
      rt_dict_set(r, "msg", rt_strz("Server is not configured as mysql primary"));
    }
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "queries", rt_incref(queries));
    goto done;
  }
  if (strcmp(mode, "getreplica") == 0) {
    sql = mode_sql("SHOW", term, conn, chan, "STATUS");
    rt_decref(rows);
    if (mod_db_my_table(h, args, sql, &rows, &r) < 0 || r)
      goto done;
    r = rt_dict_new(8);
    if (rt_len(rows) > 1) {
      add_status(r, rows, 0, 1);
      rt_dict_set(r, "Is_Replica", rt_bool(true));
    } else {
      rt_dict_set(r, "Is_Replica", rt_bool(false));
      rt_dict_set(r, "msg", rt_strz("Server is not configured as mysql replica"));
    }
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "queries", rt_incref(queries));
    goto done;
  }
  if (strcmp(mode, "changeprimary") == 0) {
    change_opts(args, replica, shown, &run);
    RtBuf b = {0}, x = {0};
    rt_buf_puts(&b, "CHANGE MASTER ");
    rt_buf_puts(&x, "CHANGE MASTER ");
    if (conn && *conn) {
      rt_buf_printf(&b, "'%s' ", conn);
      mod_db_my_literal(&x, conn);
      rt_buf_putc(&x, ' ');
    }
    rt_buf_puts(&b, "TO ");
    rt_buf_puts(&x, "TO ");
    for (size_t i = 0; i < rt_len(shown); i++)
      rt_buf_printf(&b, "%s%s", i ? "," : "", rt_list_at(shown, i)->u.str.s);
    rt_buf_add(&x, run.data ? run.data : "", run.len);
    if (chan && *chan) {
      rt_buf_printf(&b, " FOR CHANNEL '%s'", chan);
      rt_buf_puts(&x, " FOR CHANNEL ");
      mod_db_my_literal(&x, chan);
    }
    rt_buf_puts(&x, ";\n");
    char *pw = mod_arg_str(args, "primary_password"), *shown_q = mod_db_mask(b.data, pw);
    rt_list_push(queries, rt_str_take(shown_q, strlen(shown_q)));
    rt_buf_free(&b);
    RtValue *fail = NULL;
    rt_decref(rows);
    int st = mod_db_my_table(h, args, x.data, &rows, &fail);
    rt_buf_free(&x);
    if (st < 0) {
      free(pw);
      goto done;
    }
    if (fail) {
      char *e = driver_error(fail);
      RtBuf m = {0};
      rt_buf_printf(&m, "%s. Query == CHANGE MASTER TO ", e);
      py_list_repr(&m, shown);
      char *masked = mod_db_mask(m.data, pw);
      r = mod_fail_result("%s", masked);
      free(masked);
      rt_buf_free(&m);
      free(e);
      rt_decref(fail);
    } else
      r = result(true, NULL, queries);
    free(pw);
    goto done;
  }
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    const ModeInfo *m = &modes[i];
    if (strcmp(mode, m->mode) != 0)
      continue;
    const char *t = m->replica ? term : "MASTER";
    stmt = mode_stmt(m->verb, t, m->replica ? conn : NULL, m->replica ? chan : NULL, m->tail);
    sql = mode_sql(m->verb, t, m->replica ? conn : NULL, m->replica ? chan : NULL, m->tail);
    rt_list_push(queries, rt_strz(stmt));
    RtValue *fail = NULL;
    rt_decref(rows);
    if (mod_db_my_table(h, args, sql, &rows, &fail) < 0)
      goto done;
    if (fail && mod_arg_bool(args, "fail_on_error", 0) == 1) {
      char *e = driver_error(fail);
      r = mod_fail_result("%s: %s", m->fail, e);
      free(e);
    } else
      r = result(!fail, fail ? m->no : m->ok, queries);
    rt_decref(fail);
    goto done;
  }
  r = mod_fail_result("playc: mode %s is not supported", mode);
done:
  rt_buf_free(&q);
  rt_buf_free(&run);
  rt_decref(rows);
  rt_decref(queries);
  rt_decref(shown);
  free(mode);
  free(conn);
  free(chan);
  free(sql);
  free(stmt);
  return r;
}

#endif
