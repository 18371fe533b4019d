/*
 * db.c — what the database modules (mysql_*, postgresql_*) share: their
 * connection parameters, SQL quoting, and one request that feeds SQL to the
 * target's own client (`psql` or `mysql`).
 *
 * No value is pasted into shell text: the connection parameters reach the
 * client through single-quoted assignments and the environment (PGHOST,
 * PGUSER ..., never psql's -d, which takes a conninfo string) or --opt="$var"
 * words (mysql), and the SQL travels as the request's stdin. Every value in
 * the SQL is a literal or an identifier quoted here, so no value can change
 * a statement. A module asks for what it needs to know in one SELECT that
 * returns one JSON object (json_build_object / JSON_OBJECT), parsed on the
 * controller; it then sends its changes, if any, in a second request. A task
 * whose target is already in the desired state costs one round trip.
 */
#include "mod.h"

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

void mod_db_pg_ident(RtBuf *b, const char *s) {
  rt_buf_putc(b, '"');
  for (; *s; s++) {
    if (*s == '"')
      rt_buf_putc(b, '"');
    rt_buf_putc(b, *s);
  }
  rt_buf_putc(b, '"');
}

void mod_db_pg_literal(RtBuf *b, const char *s) {
  /* a backslash makes it an E'' string, whose meaning does not depend on
   * standard_conforming_strings */
  bool esc = strchr(s, '\\') != NULL;
  if (esc)
    rt_buf_putc(b, 'E');
  rt_buf_putc(b, '\'');
  for (; *s; s++) {
    if (*s == '\'' || (esc && *s == '\\'))
      rt_buf_putc(b, *s);
    rt_buf_putc(b, *s);
  }
  rt_buf_putc(b, '\'');
}

void mod_db_pg_set_role(RtBuf *b, const char *role) {
  if (!role)
    return;
  rt_buf_puts(b, "SET ROLE ");
  mod_db_pg_ident(b, role);
  rt_buf_puts(b, ";\n");
}

void mod_db_my_ident(RtBuf *b, const char *s) {
  rt_buf_putc(b, '`');
  for (; *s; s++) {
    if (*s == '`')
      rt_buf_putc(b, '`');
    rt_buf_putc(b, *s);
  }
  rt_buf_putc(b, '`');
}

void mod_db_my_literal(RtBuf *b, const char *s) {
  /* escaped as the Python driver's escape_string does it: exact, since the
   * session first drops NO_BACKSLASH_ESCAPES (mod_db_run) */
  rt_buf_putc(b, '\'');
  for (; *s; s++) {
    switch (*s) {
    case '\n': rt_buf_puts(b, "\\n"); break;
    case '\r': rt_buf_puts(b, "\\r"); break;
    case '\032': rt_buf_puts(b, "\\Z"); break;
    case '\'': case '"': case '\\':
      rt_buf_putc(b, '\\');
      rt_buf_putc(b, *s);
      break;
    default: rt_buf_putc(b, *s);
    }
  }
  rt_buf_putc(b, '\'');
}

char *mod_db_mask(const char *s, const char *pw) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  size_t n = pw ? strlen(pw) : 0;
  while (*s) {
    if (n && strncmp(s, pw, n) == 0) {
      rt_buf_puts(&b, "********");
      s += n;
    } else
      rt_buf_putc(&b, *s++);
  }
  return rt_buf_take(&b);
}

/* export NAME='value' when arg `arg` is given and not empty. */
static void env_arg(RtBuf *s, RtValue *args, const char *arg, const char *name) {
  char *v = mod_arg_str(args, arg);
  if (v && *v) {
    mod_sh_set(s, name, v);
    rt_buf_printf(s, "export %s\n", name);
  }
  free(v);
}

/* psql's connection, as the modules' get_conn_params maps the arguments to
 * libpq's: a unix socket folder replaces an empty or "localhost" host. */
static void pg_conn(RtBuf *s, RtValue *args, const char *dbarg) {
  rt_buf_puts(s, "unset PGSERVICE PGDATABASE PGHOST PGUSER PGPASSWORD PGPORT\n");
  char *host = mod_arg_str(args, "login_host"), *sock = mod_arg_str(args, "login_unix_socket");
  if (sock && *sock && (!host || !*host || strcmp(host, "localhost") == 0)) {
    mod_sh_set(s, "PGHOST", sock);
    rt_buf_puts(s, "export PGHOST\n");
  } else
    env_arg(s, args, "login_host", "PGHOST");
  free(host);
  free(sock);
  if (rt_dict_get(args, "login_user"))
    env_arg(s, args, "login_user", "PGUSER");
  else
    rt_buf_puts(s, "PGUSER=postgres; export PGUSER\n");
  env_arg(s, args, "login_password", "PGPASSWORD");
  env_arg(s, args, "port", "PGPORT");
  env_arg(s, args, "ssl_mode", "PGSSLMODE");
  env_arg(s, args, "ca_cert", "PGSSLROOTCERT");
  env_arg(s, args, "ssl_cert", "PGSSLCERT");
  env_arg(s, args, "ssl_key", "PGSSLKEY");
  if (dbarg)
    env_arg(s, args, dbarg, "PGDATABASE");
  rt_buf_puts(s, "PGAPPNAME=playc; export PGAPPNAME\n");
  /* -X: no psqlrc; ON_ERROR_STOP: the first failing statement ends it */
  rt_buf_puts(s, "\"$cl\" -X -q -A -t -v ON_ERROR_STOP=1 -f -");
}

/* mysql's connection: options as --opt="$var" words, the password in
 * MYSQL_PWD (never on a command line), config_file first as the client
 * requires. */
static void my_conn(RtBuf *s, RtValue *args, bool table) {
  char *v;
  rt_buf_puts(s, "set -- \"$cl\"\n");
  v = mod_arg_str(args, "config_file");
  mod_sh_set_path(s, "cf", v ? v : "~/.my.cnf");
  rt_buf_puts(s, "if [ -e \"$cf\" ]; then __playc_rec cfx 1; set -- \"$@\" --defaults-extra-file=\"$cf\"; fi\n");
  free(v);
  static const char *const opt[][2] = {
      {"login_user", "--user"},      {"login_host", "--host"},   {"login_port", "--port"},
      {"login_unix_socket", "--socket"}, {"connect_timeout", "--connect-timeout"},
      {"ca_cert", "--ssl-ca"},       {"client_cert", "--ssl-cert"}, {"client_key", "--ssl-key"},
  };
  for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
    if ((v = mod_arg_str(args, opt[i][0])) && *v) {
      mod_sh_set(s, "ov", v);
      rt_buf_printf(s, "set -- \"$@\" %s=\"$ov\"\n", opt[i][1]);
    }
    free(v);
  }
  rt_buf_puts(s, "unset MYSQL_PWD\n");
  env_arg(s, args, "login_password", "MYSQL_PWD");
  /* a table keeps its header line and the client's escapes (\t \n \\) */
  rt_buf_puts(s, table ? "\"$@\" --batch" : "\"$@\" --batch --raw --skip-column-names");
}

/* The client's message without its own prefixes: "psql:<stdin>:3: ERROR:  x"
 * is "x", "ERROR 1045 (28000) at line 1: x" is "x". */
static char *client_message(bool pg, const char *err) {
  const char *p = err ? err : "";
  if (pg && strncmp(p, "psql:", 5) == 0) {
    const char *c = strstr(p, ": ");
    /* "psql:<stdin>:3: ERROR:  x" keeps its level for the loop below */
    if (c && (strncmp(c + 2, "ERROR:  ", 8) == 0 || strncmp(c + 2, "FATAL:  ", 8) == 0))
      p = c + 2;
    else if (c && (c = strstr(c + 2, ": ")) != NULL)
      p = c + 2;
  }
  const char *lv[] = {"ERROR:  ", "FATAL:  ", "psql: error: "};
  for (size_t i = 0; pg && i < 3; i++)
    if (strncmp(p, lv[i], strlen(lv[i])) == 0)
      p += strlen(lv[i]);
  if (!pg && strncmp(p, "ERROR ", 6) != 0 && strstr(p, "\nERROR ")) /* after the statement's echo */
    p = strstr(p, "\nERROR ") + 1;
  if (!pg && strncmp(p, "ERROR ", 6) == 0) {
    const char *c = strstr(p, ": ");
    if (c)
      p = c + 2;
  }
  size_t n = strlen(p);
  while (n && (p[n - 1] == '\n' || p[n - 1] == ' '))
    n--;
  return rt_xstrndup(p, n);
}

/* Each line the client printed, parsed as JSON: a list. NULL with *fail
 * when a line is not JSON. */
static RtValue *answer_lines(const char *tool, const RtBuf *out, RtValue **fail) {
  RtValue *l = rt_list_new(2);
  const char *p = out->data ? out->data : "", *end = p + out->len;
  while (p < end) {
    const char *e = memchr(p, '\n', (size_t)(end - p));
    size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
    if (n) {
      char *perr = NULL;
      RtValue *v = rt_parse_json(p, n, &perr);
      if (!v) {
        *fail = mod_fail_result("%s: unexpected answer: %s", tool, perr ? perr : "");
        free(perr);
        rt_decref(l);
        return NULL;
      }
      rt_list_push(l, v);
    }
    p += n + 1;
  }
  return l;
}

/* mysql's errors that mean the connection failed: access denied (1045,
 * 1044 and 1698) and the client's own (2xxx). */
static bool my_connect_error(const char *err) {
  static const char *const pre[] = {"ERROR 1045", "ERROR 1044", "ERROR 1698", "ERROR 2"};
  for (size_t i = 0; err && i < 4; i++)
    if (strncmp(err, pre[i], strlen(pre[i])) == 0)
      return true;
  return false;
}

/* mod_db_run, or, with `raw`, the client's output as it printed it (a mysql
 * "no such grant" error, 1141, then ends the output without failing), with
 * `table`, mysql's result sets with their header lines. */
static int db_run(RtHost *h, int kind, RtValue *args, const char *dbarg, const char *sql, RtValue **json,
                  RtBuf *raw, bool table, RtValue **fail) {
  bool pg = kind == MOD_DB_PG;
  const char *tool = pg ? "psql" : "mysql";
  *json = NULL;
  *fail = NULL;
  RtBuf s = {0};
  mod_sh_need(&s, tool);
  rt_buf_printf(&s, "cl=$(PATH=$__playc_p command -v %s)\n", tool);
  if (pg)
    pg_conn(&s, args, dbarg);
  else
    my_conn(&s, args, table);
  rt_buf_puts(&s, "; __playc_rec rc $?\n");
  RtBuf in = {0};
  if (!pg)
    rt_buf_puts(&in, "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '');\n");
  rt_buf_puts(&in, sql);
  RtExec ex;
  char *err = NULL;
  int st = 0;
  if (rt_host_exec(h, s.data, in.data, in.len, &ex, &err) < 0) {
    st = -1;
    goto done;
  }
  if ((*fail = mod_tool_failure(&ex)) == NULL) {
    long long rc = mod_rec_int(&ex, "rc", -1);
    char *msg = client_message(pg, ex.err.data);
    if (rc == 2 && pg) /* psql: the connection failed */
      *fail = mod_fail_result("unable to connect to database: %s", msg);
    else if (rc == 1 && !pg && my_connect_error(ex.err.data)) {
      char *cf = mod_arg_str(args, "config_file");
      if (mod_rec(&ex, "cfx"))
        *fail = mod_fail_result("unable to connect to database, check login_user and login_password are correct "
                                "or %s has the credentials. Exception message: %s",
                                cf ? cf : "~/.my.cnf", msg);
      else
        *fail = mod_fail_result("unable to find %s. Exception message: %s", cf ? cf : "~/.my.cnf", msg);
      free(cf);
    }
    else if (rc != 0 && !(raw && !table && ex.err.data && strncmp(ex.err.data, "ERROR 1141", 10) == 0)) {
      *fail = mod_fail_result("%s", msg);
      int code;
      const char *e = ex.err.data && strncmp(ex.err.data, "ERROR ", 6) != 0 ? strstr(ex.err.data, "\nERROR ") : NULL;
      e = e ? e + 1 : ex.err.data;
      if (!pg && e && sscanf(e, "ERROR %d", &code) == 1) /* the server's error number */
        rt_dict_set(*fail, "errno", rt_int(code));
    }
    free(msg);
    if (!*fail && raw)
      rt_buf_add(raw, ex.out.data ? ex.out.data : "", ex.out.len);
    else if (!*fail)
      *json = answer_lines(tool, &ex.out, fail);
  }
  rt_exec_free(&ex);
done:
  rt_buf_free(&s);
  rt_buf_free(&in);
  free(err);
  return st;
}

int mod_db_run(RtHost *h, int kind, RtValue *args, const char *dbarg, const char *sql, RtValue **json,
               RtValue **fail) {
  return db_run(h, kind, args, dbarg, sql, json, NULL, false, fail);
}

int mod_db_run_text(RtHost *h, int kind, RtValue *args, const char *sql, RtBuf *out, RtValue **fail) {
  RtValue *json = NULL;
  return db_run(h, kind, args, NULL, sql, &json, out, false, fail);
}

/* One field of mysql's batch output, its escapes undone. */
static RtValue *my_field(const char *p, size_t n) {
  RtBuf b = {0};
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c == '\\' && i + 1 < n) {
      c = p[++i];
      c = c == 'n' ? '\n' : c == 't' ? '\t' : c == '0' ? '\0' : c == 'r' ? '\r' : c;
    }
    rt_buf_putc(&b, c);
  }
  RtValue *v = rt_str(b.data ? b.data : "", b.len);
  rt_buf_free(&b);
  return v;
}

int mod_db_my_table(RtHost *h, RtValue *args, const char *sql, RtValue **rows, RtValue **fail) {
  RtBuf out = {0};
  RtValue *json = NULL;
  *rows = NULL;
  int st = db_run(h, MOD_DB_MY, args, NULL, sql, &json, &out, true, fail);
  if (st < 0 || *fail)
    goto done;
  *rows = rt_list_new(4);
  const char *p = out.data ? out.data : "", *end = p + out.len;
  while (p < end) {
    const char *e = memchr(p, '\n', (size_t)(end - p));
    size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
    RtValue *row = rt_list_new(8);
    for (size_t i = 0;;) {
      const char *t = memchr(p + i, '\t', n - i);
      size_t k = t ? (size_t)(t - (p + i)) : n - i;
      rt_list_push(row, my_field(p + i, k));
      if (!t)
        break;
      i += k + 1;
    }
    rt_list_push(*rows, row);
    p += n + 1;
  }
done:
  rt_buf_free(&out);
  return st;
}

RtValue *mod_db_answer(RtValue *json, size_t i) {
  return json && rt_kind(json) == RT_LIST && i < rt_len(json) ? rt_list_at(json, i) : NULL;
}

const char *mod_db_text(RtValue *j, const char *key) {
  RtValue *v = j && rt_kind(j) == RT_DICT ? rt_dict_get(j, key) : NULL;
  return v && rt_kind(v) == RT_STR ? v->u.str.s : NULL;
}

bool mod_db_flag(RtValue *j, const char *key) {
  RtValue *v = j && rt_kind(j) == RT_DICT ? rt_dict_get(j, key) : NULL;
  if (!v)
    return false;
  if (rt_kind(v) == RT_BOOL)
    return v->u.b;
  if (rt_kind(v) == RT_INT)
    return v->u.i != 0;
  return false;
}

RtValue *mod_db_result(bool changed, const char *key, const char *name, RtValue *cmds) {
  RtValue *r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(changed));
  if (key)
    rt_dict_set(r, key, rt_strz(name ? name : ""));
  if (cmds)
    rt_dict_set(r, "executed_commands", rt_incref(cmds));
  return r;
}

#endif
