/*
 * mysql_user.c — community.mysql.mysql_user: creates, changes and drops a
 * MariaDB/MySQL account through the target's `mysql` client.
 *
 * One request reads the account (whether it exists, its stored password
 * hash, the server's sql_mode) as one JSON object, followed by its SHOW
 * GRANTS lines when `priv` is given; the controller decides as the
 * collection's user_add/user_mod/user_delete do, and a second request, only
 * when something changes, runs the statements. The password never travels
 * on a command line nor into a result: the controller hashes it
 * (mysql_native_password: '*' + SHA1(SHA1(password)) in upper-case hex) and
 * the statements carry the hash. Privilege names are checked to be words
 * (Ansible pastes them into the statement); names are quoted identifiers.
 */
#include "mod.h"

static const ModParam myuser_params[] = {
    MOD_DB_MY_COMMON_PARAMS,
    {.name = "name", .type = MP_STR, .required = true, .aliases = "user"},
    {.name = "password", .type = MP_STR, .no_log = true},
    {.name = "encrypted", .type = MP_BOOL, .def = "false"},
    {.name = "host", .type = MP_STR, .def = "localhost"},
    {.name = "host_all", .type = MP_BOOL, .def = "false"},
    {.name = "priv", .type = MP_RAW},
    {.name = "append_privs", .type = MP_BOOL, .def = "false"},
    {.name = "subtract_privs", .type = MP_BOOL, .def = "false"},
    {.name = "tls_requires", .type = MP_DICT},
    {.name = "state", .type = MP_STR, .def = "present", .choices = "absent,present"},
    {.name = "check_implicit_admin", .type = MP_BOOL, .def = "false"},
    {.name = "update_password", .type = MP_STR, .def = "always", .choices = "always,on_create,on_new_username"},
    {.name = "sql_log_bin", .type = MP_BOOL, .def = "true"},
    {.name = "plugin", .type = MP_STR},
    {.name = "plugin_hash_string", .type = MP_STR},
    {.name = "plugin_auth_string", .type = MP_STR},
    {.name = "resource_limits", .type = MP_DICT},
    {.name = "session_vars", .type = MP_DICT},
    /* community.mysql 3.8+; playc grants no column privileges, so it has no effect */
    {.name = "column_case_sensitive", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_mysql_user = {
    .name = "mysql_user",
    .params = myuser_params,
    .nparams = MOD_N(myuser_params),
    .tools = "mysql",
    .check_mode = true,
    .collection = "community.mysql",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* '*' + upper-case hex SHA1(SHA1(pw)): mysql_native_password's hash. */
static void native_hash(const char *pw, char out[42]) {
  unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(pw, strlen(pw), a, &n, EVP_sha1(), NULL);
  EVP_Digest(a, n, b, &n, EVP_sha1(), NULL);
  out[0] = '*';
  for (unsigned i = 0; i < 20; i++)
    snprintf(out + 1 + 2 * i, 3, "%02X", b[i]);
}

static bool is_hash(const char *s) {
  if (strlen(s) != 41 || s[0] != '*')
    return false;
  for (s++; *s; s++)
    if (!isxdigit((unsigned char)*s))
      return false;
  return true;
}

static char *trim(const char *s, size_t n) {
  while (n && isspace((unsigned char)*s))
    s++, n--;
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return rt_xstrndup(s, n);
}

/* A privilege as it may be pasted: upper-case words. */
static bool priv_word(const char *p) {
  if (!*p)
    return false;
  for (; *p; p++)
    if (!(isupper((unsigned char)*p) || *p == ' ' || *p == '_'))
      return false;
  return true;
}

/* `db.table` as privileges_unpack writes it: each side but `*` in
 * backticks (doubled inside), FUNCTION/PROCEDURE kept in front. */
static char *db_table_key(const char *s) {
  RtBuf b = {0};
  const char *dot = strrchr(s, '.');
  char *left = rt_xstrndup(s, dot ? (size_t)(dot - s) : strlen(s));
  const char *obj = left;
  if (strncmp(left, "FUNCTION ", 9) == 0 || strncmp(left, "PROCEDURE ", 10) == 0) {
    const char *sp = strchr(left, ' ');
    rt_buf_add(&b, left, (size_t)(sp - left) + 1);
    obj = sp + 1;
  }
  const char *sides[2] = {obj, dot ? dot + 1 : NULL};
  for (int i = 0; i < 2 && sides[i]; i++) {
    if (i)
      rt_buf_putc(&b, '.');
    size_t n = strlen(sides[i]);
    const char *p = sides[i];
    while (n && *p == '`')
      p++, n--;
    while (n && p[n - 1] == '`')
      n--;
    char *t = rt_xstrndup(p, n);
    if (strcmp(t, "*") == 0)
      rt_buf_putc(&b, '*');
    else
      mod_db_my_ident(&b, t);
    free(t);
  }
  free(left);
  return b.data ? b.data : rt_xstrdup("");
}

/* priv ("db.t:P1,P2/db2.*:ALL" or a dict) unpacked into an ordered dict
 * db_table -> list of privileges; NULL with *fail. */
static RtValue *unpack(RtValue *priv, RtValue **fail) {
  RtBuf s = {0};
  if (rt_kind(priv) == RT_DICT) {
    for (size_t i = 0; i < priv->u.dict.len; i++) {
      RtValue *v = priv->u.dict.ents[i].val;
      if (rt_kind(v) != RT_STR) {
        *fail = mod_fail_result("priv: the value for %s must be a string", priv->u.dict.ents[i].key->u.str.s);
        rt_buf_free(&s);
        return NULL;
      }
      rt_buf_printf(&s, "%s%s:%s", i ? "/" : "", priv->u.dict.ents[i].key->u.str.s, v->u.str.s);
    }
  } else if (rt_kind(priv) == RT_STR)
    rt_buf_puts(&s, priv->u.str.s);
  else {
    *fail = mod_fail_result("priv parameter must be str or dict");
    return NULL;
  }
  RtValue *out = rt_dict_new(4);
  char *all = trim(s.data ? s.data : "", s.len);
  rt_buf_free(&s);
  for (char *item = all, *next; item; item = next) {
    next = strchr(item, '/');
    if (next)
      *next++ = 0;
    char *it = trim(item, strlen(item));
    char *colon = strrchr(it, ':');
    if (!colon) {
      *fail = mod_fail_result("priv: no privileges given for %s (expected db.table:PRIV,...)", it);
      free(it);
      free(all);
      rt_decref(out);
      return NULL;
    }
    *colon = 0;
    char *key = db_table_key(it);
    RtValue *l = rt_list_new(2);
    for (char *p = colon + 1, *e; p; p = e) {
      e = strchr(p, ',');
      if (e)
        *e++ = 0;
      char *w = rt_xstrdup(p);
      for (char *c = w; *c; c++)
        *c = (char)toupper((unsigned char)*c);
      if (!priv_word(w)) {
        *fail = mod_fail_result("Error granting privileges, invalid priv string: %s (playc grants whole-table "
                                "privileges named by words)",
                                colon + 1);
        free(w);
        rt_decref(l);
        free(key);
        free(it);
        free(all);
        rt_decref(out);
        return NULL;
      }
      rt_list_push(l, rt_strz(w));
      free(w);
    }
    rt_dict_set(out, key, l);
    free(key);
    free(it);
  }
  free(all);
  if (!rt_dict_get(out, "*.*")) {
    RtValue *u = rt_list_new(1);
    rt_list_push(u, rt_strz("USAGE"));
    rt_dict_set(out, "*.*", u);
  }
  return out;
}

static bool has(RtValue *l, const char *p) {
  for (size_t i = 0; l && i < rt_len(l); i++)
    if (strcmp(rt_list_at(l, i)->u.str.s, p) == 0)
      return true;
  return false;
}

/* SHOW GRANTS lines into db_table -> privileges ("ALL PRIVILEGES" is ALL,
 * WITH GRANT OPTION adds GRANT); role grants (no ON) are left out. */
static RtValue *grants_parse(const char *text) {
  RtValue *out = rt_dict_new(4);
  for (const char *p = text; p && *p;) {
    const char *e = strchr(p, '\n');
    char *line = rt_xstrndup(p, e ? (size_t)(e - p) : strlen(p));
    p = e ? e + 1 : NULL;
    char *to = strncmp(line, "GRANT ", 6) == 0 ? strstr(line, " TO `") : NULL;
    char *on = NULL;
    for (char *q = line + 6; to && (q = strstr(q, " ON ")) != NULL && q < to; q++)
      on = q;
    if (on) {
      char *db = rt_xstrndup(on + 4, (size_t)(to - on - 4));
      RtValue *l = rt_dict_get(out, db);
      if (!l) {
        rt_dict_set(out, db, rt_list_new(2));
        l = rt_dict_get(out, db);
      }
      *on = 0;
      for (char *w = line + 6, *c; w; w = c) {
        c = strchr(w, ',');
        if (c)
          *c++ = 0;
        char *t = trim(w, strlen(w));
        rt_list_push(l, rt_strz(strcmp(t, "ALL PRIVILEGES") == 0 ? "ALL" : t));
        free(t);
      }
      size_t n = strlen(to);
      if (n >= 17 && strcmp(to + n - 17, "WITH GRANT OPTION") == 0)
        rt_list_push(l, rt_strz("GRANT"));
      free(db);
    }
    free(line);
  }
  return out;
}

static void account(RtBuf *b, const char *user, const char *host) {
  mod_db_my_literal(b, user);
  rt_buf_putc(b, '@');
  mod_db_my_literal(b, host);
}

static void join(RtBuf *b, RtValue *l, bool skip_grant) {
  bool first = true;
  for (size_t i = 0; i < rt_len(l); i++) {
    const char *p = rt_list_at(l, i)->u.str.s;
    if (skip_grant && strcmp(p, "GRANT") == 0)
      continue;
    rt_buf_printf(b, "%s%s", first ? "" : ",", p);
    first = false;
  }
}

static void grant_sql(RtBuf *q, const char *user, const char *host, const char *dbt, RtValue *privs) {
  rt_buf_puts(q, "GRANT ");
  join(q, privs, true);
  rt_buf_printf(q, " ON %s TO ", dbt);
  account(q, user, host);
  rt_buf_puts(q, has(privs, "GRANT") ? " WITH GRANT OPTION;\n" : ";\n");
}

static void revoke_sql(RtBuf *q, const char *user, const char *host, const char *dbt, RtValue *privs, bool gopt) {
  if (gopt) {
    rt_buf_printf(q, "REVOKE GRANT OPTION ON %s FROM ", dbt);
    account(q, user, host);
    rt_buf_puts(q, ";\n");
  }
  RtBuf p = {0};
  join(&p, privs, true);
  if (p.len) {
    rt_buf_printf(q, "REVOKE %s ON %s FROM ", p.data, dbt);
    account(q, user, host);
    rt_buf_puts(q, ";\n");
  }
  rt_buf_free(&p);
  rt_buf_puts(q, "FLUSH PRIVILEGES;\n");
}

/* Python's repr of a list of strings (the privileges are words). */
static void py_list(RtBuf *b, RtValue *l) {
  rt_buf_putc(b, '[');
  for (size_t i = 0; i < rt_len(l); i++)
    rt_buf_printf(b, "%s'%s'", i ? ", " : "", rt_list_at(l, i)->u.str.s);
  rt_buf_putc(b, ']');
}

/* a - b, in a's order */
static RtValue *minus(RtValue *a, RtValue *b) {
  RtValue *r = rt_list_new(2);
  for (size_t i = 0; i < rt_len(a); i++)
    if (!has(b, rt_list_at(a, i)->u.str.s) && !has(r, rt_list_at(a, i)->u.str.s))
      rt_list_push(r, rt_incref(rt_list_at(a, i)));
  return r;
}

typedef struct {
  const char *user, *host;
  bool check, append, subtract;
  RtBuf q;      /* the statements to run */
  char *msg;
  bool changed;
} Plan;

static void set_msg(Plan *p, const char *m) {
  free(p->msg);
  p->msg = rt_xstrdup(m);
}

/* user_mod's privilege part; false when check mode stops at the first change */
static bool plan_privs(Plan *p, RtValue *want, RtValue *cur) {
  bool gopt = false;
  if (!p->append && !p->subtract)
    for (size_t i = 0; i < cur->u.dict.len; i++) {
      const char *dbt = cur->u.dict.ents[i].key->u.str.s;
      RtValue *pr = cur->u.dict.ents[i].val;
      if (has(pr, "GRANT"))
        gopt = true;
      if (!rt_dict_get(want, dbt) && strcmp(p->user, "root") != 0 && !has(pr, "PROXY")) {
        set_msg(p, "Privileges updated");
        p->changed = true;
        if (p->check)
          return false;
        revoke_sql(&p->q, p->user, p->host, dbt, pr, gopt);
      }
    }
  if (!p->subtract)
    for (size_t i = 0; i < want->u.dict.len; i++) {
      const char *dbt = want->u.dict.ents[i].key->u.str.s;
      if (!rt_dict_get(cur, dbt)) {
        set_msg(p, "New privileges granted");
        p->changed = true;
        if (p->check)
          return false;
        grant_sql(&p->q, p->user, p->host, dbt, want->u.dict.ents[i].val);
      }
    }
  for (size_t i = 0; i < want->u.dict.len; i++) {
    const char *dbt = want->u.dict.ents[i].key->u.str.s;
    RtValue *w = want->u.dict.ents[i].val, *c = rt_dict_get(cur, dbt);
    if (!c)
      continue;
    RtValue *g = NULL, *r = NULL;
    if (p->append) {
      g = minus(w, c);
      r = rt_list_new(0);
    } else if (p->subtract) {
      g = rt_list_new(0);
      RtValue *x = minus(w, c);
      r = minus(w, x);
      rt_decref(x);
    } else {
      g = minus(w, c);
      r = minus(c, w);
      if (has(g, "ALL") || has(g, "ALL PRIVILEGES")) {
        RtValue *k = rt_list_new(2);
        for (size_t j = 0; j < rt_len(r); j++)
          if (strcmp(rt_list_at(r, j)->u.str.s, "GRANT") == 0 || strcmp(rt_list_at(r, j)->u.str.s, "PROXY") == 0)
            rt_list_push(k, rt_incref(rt_list_at(r, j)));
        rt_decref(r);
        r = k;
      }
      gopt = has(r, "GRANT") && !has(g, "GRANT");
    }
    if (rt_len(g) == 1 && strcmp(rt_list_at(g, 0)->u.str.s, "GRANT") == 0)
      rt_list_push(g, rt_strz("USAGE"));
    bool stop = false;
    if (rt_len(g) + rt_len(r) > 0) {
      RtBuf m = {0};
      rt_buf_puts(&m, "Privileges updated: granted ");
      py_list(&m, g);
      rt_buf_puts(&m, ", revoked ");
      py_list(&m, r);
      set_msg(p, m.data);
      rt_buf_free(&m);
      p->changed = true;
      if (p->check)
        stop = true;
      else {
        if (rt_len(r))
          revoke_sql(&p->q, p->user, p->host, dbt, r, gopt);
        if (rt_len(g))
          grant_sql(&p->q, p->user, p->host, dbt, g);
      }
    }
    rt_decref(g);
    rt_decref(r);
    if (stop)
      return false;
  }
  return true;
}

static RtValue *result(Plan *p, const char *user, RtValue *pwchanged) {
  RtValue *r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(p->changed));
  rt_dict_set(r, "user", rt_strz(user));
  rt_dict_set(r, "msg", rt_strz(p->msg ? p->msg : ""));
  rt_dict_set(r, "password_changed", pwchanged);
  return r;
}

RtValue *mod_mysql_user(RtHost *h, RtValue *args) {
  char *user = mod_arg_str(args, "name"), *host = mod_arg_str(args, "host"), *state = mod_arg_str(args, "state");
  char *pw = mod_arg_str(args, "password"), *upd = mod_arg_str(args, "update_password");
  bool encrypted = mod_arg_bool(args, "encrypted", 0) == 1;
  if (!host)
    host = rt_xstrdup("localhost");
  if (!state)
    state = rt_xstrdup("present");
  if (!upd)
    upd = rt_xstrdup("always");
  if (!user)
    user = rt_xstrdup("");
  RtValue *priv = rt_dict_get(args, "priv"), *want = NULL, *cur = NULL, *r = NULL, *j = NULL;
  RtValue *tls = rt_dict_get(args, "tls_requires");
  Plan p = {.user = user, .host = host, .check = h->check_mode};
  p.append = mod_arg_bool(args, "append_privs", 0) == 1;
  p.subtract = mod_arg_bool(args, "subtract_privs", 0) == 1;
  bool absent = strcmp(state, "absent") == 0;
  RtBuf q = {0}, out = {0};
  for (char *c = host; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  static const char *const unsupported[] = {"plugin", "plugin_hash_string", "plugin_auth_string",
                                            "resource_limits", "session_vars"};
  for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++) {
    RtValue *v = rt_dict_get(args, unsupported[i]);
    if (v && rt_kind(v) != RT_NONE) {
      r = mod_fail_result("mysql_user: %s is not implemented in playc", unsupported[i]);
      goto done;
    }
  }
  if (mod_arg_bool(args, "host_all", 0) == 1 || (tls && rt_kind(tls) == RT_DICT && rt_len(tls) > 0) ||
      mod_arg_bool(args, "check_implicit_admin", 0) == 1 || strcmp(upd, "on_new_username") == 0) {
    r = mod_fail_result("mysql_user: host_all, tls_requires, check_implicit_admin and update_password="
                        "on_new_username are not implemented in playc");
    goto done;
  }
  if (priv && rt_kind(priv) != RT_NONE && !(rt_kind(priv) == RT_STR && !*priv->u.str.s)) {
    if (!(want = unpack(priv, &r)))
      goto done;
    if (p.subtract)
      rt_dict_del(want, "*.*"); /* ensure_usage is off when subtracting */
  }
  if (mod_arg_bool(args, "sql_log_bin", 1) == 0)
    rt_buf_puts(&q, "SET SQL_LOG_BIN=0;\n");
  rt_buf_puts(&q, "SELECT JSON_OBJECT('n', (SELECT COUNT(*) FROM mysql.user WHERE user = ");
  mod_db_my_literal(&q, user);
  rt_buf_puts(&q, " AND host = ");
  mod_db_my_literal(&q, host);
  rt_buf_puts(&q, "), 'hash', (SELECT COALESCE(NULLIF(Password, ''), NULLIF(authentication_string, '')) FROM "
                  "mysql.user WHERE user = ");
  mod_db_my_literal(&q, user);
  rt_buf_puts(&q, " AND host = ");
  mod_db_my_literal(&q, host);
  rt_buf_puts(&q, " LIMIT 1));\n");
  if (want && !absent) {
    rt_buf_puts(&q, "SHOW GRANTS FOR ");
    account(&q, user, host);
    rt_buf_puts(&q, ";\n");
  }
  if (mod_db_run_text(h, MOD_DB_MY, args, q.data, &out, &r) < 0 || r)
    goto done;
  const char *nl = out.data ? strchr(out.data, '\n') : NULL;
  char *perr = NULL;
  j = out.data ? rt_parse_json(out.data, nl ? (size_t)(nl - out.data) : out.len, &perr) : NULL;
  if (!j || rt_kind(j) != RT_DICT) {
    r = mod_fail_result("mysql: unexpected answer: %s", perr ? perr : "");
    free(perr);
    goto done;
  }
  RtValue *n = rt_dict_get(j, "n");
  bool exists = n && rt_kind(n) == RT_INT && n->u.i > 0;
  q.len = 0;
  if (q.data)
    q.data[0] = 0;
  if (mod_arg_bool(args, "sql_log_bin", 1) == 0)
    rt_buf_puts(&p.q, "SET SQL_LOG_BIN=0;\n");
  RtValue *pwchanged = rt_bool(false);
  if (absent) {
    p.changed = exists;
    set_msg(&p, exists ? "User deleted" : "User doesn't exist");
    if (exists) {
      rt_buf_puts(&p.q, "DROP USER IF EXISTS ");
      account(&p.q, user, host);
      rt_buf_puts(&p.q, ";\n");
    }
  } else if (!exists) {
    p.changed = true;
    set_msg(&p, "User added");
    rt_decref(pwchanged);
    pwchanged = p.check ? rt_none() : rt_bool(true);
    rt_buf_puts(&p.q, "CREATE USER ");
    account(&p.q, user, host);
    if (pw && *pw) {
      char hash[42];
      if (!encrypted)
        native_hash(pw, hash);
      rt_buf_puts(&p.q, encrypted ? " IDENTIFIED BY PASSWORD " : " IDENTIFIED WITH mysql_native_password AS ");
      mod_db_my_literal(&p.q, encrypted ? pw : hash);
    }
    rt_buf_puts(&p.q, ";\n");
    for (size_t i = 0; want && i < want->u.dict.len; i++)
      grant_sql(&p.q, user, host, want->u.dict.ents[i].key->u.str.s, want->u.dict.ents[i].val);
  } else {
    set_msg(&p, "User unchanged");
    bool go = true;
    if (pw && *pw && strcmp(upd, "always") == 0) {
      char hash[42];
      if (encrypted && !is_hash(pw)) {
        r = mod_fail_result("encrypted was specified however it does not appear to be a valid hash expecting: "
                            "*SHA1(SHA1(your_password))");
        rt_decref(pwchanged);
        goto done;
      }
      if (!encrypted)
        native_hash(pw, hash);
      const char *curh = mod_db_text(j, "hash");
      const char *wanth = encrypted ? pw : hash;
      if (!curh || strcmp(curh, wanth) != 0) {
        rt_decref(pwchanged);
        pwchanged = rt_bool(true);
        p.changed = true;
        if (p.check) {
          set_msg(&p, "Password updated");
          go = false;
        } else {
          set_msg(&p, "Password updated (new style)");
          rt_buf_puts(&p.q, "ALTER USER ");
          account(&p.q, user, host);
          rt_buf_puts(&p.q, " IDENTIFIED WITH mysql_native_password AS ");
          mod_db_my_literal(&p.q, wanth);
          rt_buf_puts(&p.q, ";\n");
        }
      }
    }
    if (go && want) {
      cur = grants_parse(nl ? nl + 1 : "");
      plan_privs(&p, want, cur);
    }
  }
  if (p.changed && !p.check) {
    RtValue *j2 = NULL;
    int st = mod_db_run(h, MOD_DB_MY, args, NULL, p.q.data, &j2, &r);
    rt_decref(j2);
    if (st < 0 || r) {
      rt_decref(pwchanged);
      goto done;
    }
  }
  r = result(&p, user, pwchanged);
done:
  rt_buf_free(&q);
  rt_buf_free(&out);
  rt_buf_free(&p.q);
  free(p.msg);
  rt_decref(want);
  rt_decref(cur);
  rt_decref(j);
  free(user);
  free(host);
  free(state);
  free(pw);
  free(upd);
  return r;
}

#endif
