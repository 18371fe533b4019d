/*
 * postgresql_user.c — community.postgresql.postgresql_user: creates,
 * alters and drops a role through the target's `psql`. One request reads
 * the role (pg_roles' attributes as JSON, then, if this login may, its
 * pg_authid password hash on a line of its own); the controller decides as
 * Ansible's user_add / user_alter / user_delete do, checking a SCRAM or md5
 * hash against the password itself (OpenSSL), and a second request runs the
 * statement only when something changes. `queries` lists the statements as
 * Ansible does, with %(password)s and %(expires)s as placeholders: the
 * password never appears in a result.
 */
#include "mod.h"

static const ModParam pguser_params[] = {
    MOD_DB_PG_COMMON_PARAMS,
    {.name = "user", .type = MP_STR, .required = true, .aliases = "name"},
    {.name = "password", .type = MP_STR, .no_log = true},
    {.name = "state", .type = MP_STR, .def = "present", .choices = "absent,present"},
    {.name = "db", .type = MP_STR, .def = "", .aliases = "login_db"},
    {.name = "fail_on_user", .type = MP_BOOL, .def = "true", .aliases = "fail_on_role"},
    {.name = "role_attr_flags", .type = MP_STR, .def = ""},
    {.name = "encrypted", .type = MP_BOOL, .def = "true"},
    {.name = "no_password_changes", .type = MP_BOOL, .def = "false"},
    {.name = "expires", .type = MP_STR},
    {.name = "conn_limit", .type = MP_INT},
    {.name = "session_role", .type = MP_STR},
    {.name = "trust_input", .type = MP_BOOL, .def = "true"},
};
const ModSchema mod_schema_postgresql_user = {
    .name = "postgresql_user",
    .params = pguser_params,
    .nparams = MOD_N(pguser_params),
    .tools = "psql",
    .check_mode = true,
    .collection = "community.postgresql",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

/* Role attribute flags and their pg_roles columns. */
static const char *const flag_cols[][2] = {
    {"SUPERUSER", "rolsuper"}, {"CREATEROLE", "rolcreaterole"}, {"CREATEDB", "rolcreatedb"},
    {"INHERIT", "rolinherit"}, {"LOGIN", "rolcanlogin"},        {"REPLICATION", "rolreplication"},
    {"BYPASSRLS", "rolbypassrls"},
};
enum { NFLAGS = sizeof flag_cols / sizeof flag_cols[0] };

static int flag_index(const char *f) {
  for (int i = 0; i < NFLAGS; i++)
    if (strcmp(f, flag_cols[i][0]) == 0)
      return i;
  return -1;
}

/* parse_role_attrs: the flags upper-cased, each once, joined by spaces
 * (into out); the invalid ones into bad. */
static void parse_flags(const char *s, RtBuf *out, RtBuf *bad) {
  RtValue *seen = rt_dict_new(8);
  while (*s) {
    size_t n = strcspn(s, ",");
    char *f = rt_xstrndup(s, n);
    for (char *p = f; *p; p++)
      *p = (char)toupper((unsigned char)*p);
    if (*f && !rt_dict_get(seen, f)) {
      rt_dict_set(seen, f, rt_bool(true));
      const char *base = strncmp(f, "NO", 2) == 0 && flag_index(f + 2) >= 0 ? f + 2 : f;
      RtBuf *b = flag_index(base) >= 0 ? out : bad;
      rt_buf_printf(b, "%s%s", b->len ? " " : "", f);
    }
    free(f);
    s += n + (s[n] == ',');
  }
  rt_decref(seen);
}

static bool b64(const char *s, unsigned char *out, int cap, int *len) {
  int n = (int)strlen(s);
  if (n % 4 || n / 4 * 3 > cap)
    return false;
  int r = EVP_DecodeBlock(out, (const unsigned char *)s, n);
  if (r < 0)
    return false;
  while (n && s[n - 1] == '=')
    n--, r--;
  *len = r;
  return true;
}

/* Whether `stored` (SCRAM-SHA-256$iter:salt$StoredKey:ServerKey) is the
 * hash of `pw`: its ServerKey, HMAC(PBKDF2(pw, salt, iter), "Server Key"). */
static bool scram_matches(const char *stored, const char *pw) {
  char *copy = rt_xstrdup(stored + strlen("SCRAM-SHA-256$"));
  char *colon = strchr(copy, ':'), *dollar = colon ? strchr(colon, '$') : NULL;
  char *colon2 = dollar ? strchr(dollar, ':') : NULL;
  bool ok = false;
  unsigned char salt[256], key[64], salted[32], mac[32];
  int slen, klen;
  unsigned mlen = 0;
  if (colon2) {
    *colon = *dollar = *colon2 = 0;
    long it = strtol(copy, NULL, 10);
    ok = it > 0 && b64(colon + 1, salt, sizeof salt, &slen) && b64(colon2 + 1, key, sizeof key, &klen) &&
         PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, slen, (int)it, EVP_sha256(), 32, salted) == 1 &&
         HMAC(EVP_sha256(), salted, 32, (const unsigned char *)"Server Key", 10, mac, &mlen) &&
         klen == 32 && mlen == 32 && memcmp(mac, key, 32) == 0;
  }
  free(copy);
  return ok;
}

static bool is_scram(const char *s) {
  return strncmp(s, "SCRAM-SHA-256$", 14) == 0 && strchr(s, ':') && strchr(s + 14, '$');
}

/* user_should_we_change_password. `cur` is the stored hash (NULL: none),
 * `known` false when pg_authid could not be read. */
static bool password_changes(bool known, const char *cur, const char *user, const char *pw, bool encrypted) {
  if (!known)
    return true;
  if (!pw)
    return false;
  if (!*pw)
    return cur != NULL;
  if (is_scram(pw))
    return !cur || strcmp(pw, cur) != 0;
  if (cur && is_scram(cur))
    return !scram_matches(cur, pw);
  if ((strncmp(pw, "md5", 3) == 0 && strlen(pw) == 35) || !encrypted)
    return !cur || strcmp(pw, cur) != 0;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  char *both = rt_xasprintf("%s%s", pw, user), hex[3 + 2 * EVP_MAX_MD_SIZE + 1] = "md5";
  EVP_Digest(both, strlen(both), md, &mdlen, EVP_md5(), NULL);
  free(both);
  for (unsigned i = 0; i < mdlen; i++)
    snprintf(hex + 3 + 2 * i, 3, "%02x", md[i]);
  return !cur || strcmp(hex, cur) != 0;
}

typedef struct PgUser {
  char *user, *pw, *state, *flags_arg, *expires, *role;
  bool encrypted, no_pw_changes, fail_on_user, has_limit;
  long long limit;
  RtBuf flags; /* parsed */
} PgUser;

static void read_sql(RtBuf *q, const PgUser *u) {
  mod_db_pg_set_role(q, u->role);
  rt_buf_puts(q, "SELECT json_build_object('exists', r.rolname IS NOT NULL, 'version', "
                 "current_setting('server_version_num')::int, 'rolconnlimit', r.rolconnlimit");
  for (int i = 0; i < NFLAGS; i++)
    rt_buf_printf(q, ", '%s', r.%s", flag_cols[i][1], flag_cols[i][1]);
  if (u->expires) {
    rt_buf_puts(q, ", 'expires_same', r.rolvaliduntil IS NOT DISTINCT FROM ");
    mod_db_pg_literal(q, u->expires);
    rt_buf_puts(q, "::timestamptz");
  }
  rt_buf_puts(q, ") FROM (SELECT 1) AS one LEFT JOIN pg_roles r ON r.rolname = ");
  mod_db_pg_literal(q, u->user);
  /* pg_authid needs a superuser: its failure leaves the line out */
  rt_buf_puts(q, ";\n\\set ON_ERROR_STOP 0\nSELECT json_build_object('rolpassword', rolpassword) FROM pg_authid "
                 "WHERE rolname = ");
  mod_db_pg_literal(q, u->user);
  rt_buf_puts(q, ";\n");
}

/* The flags of role_attr_flags that differ from the role's. */
static bool flags_change(const PgUser *u, RtValue *j) {
  bool ch = false;
  char *copy = rt_xstrdup(u->flags.data ? u->flags.data : "");
  char *save = NULL; /* strtok_r: hosts run modules on parallel threads */
  for (char *f = strtok_r(copy, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
    bool want = true;
    int i = flag_index(f);
    if (i < 0 && strncmp(f, "NO", 2) == 0)
      i = flag_index(f + 2), want = false;
    if (i >= 0 && mod_db_flag(j, flag_cols[i][1]) != want)
      ch = true;
  }
  free(copy);
  return ch;
}

/* The statement Ansible would run (into `shown`, with placeholders) and
 * the one run (into `run`); false when nothing changes. */
static bool plan_present(const PgUser *u, RtValue *j, RtValue *auth, RtBuf *shown) {
  const char *flags = u->flags.data ? u->flags.data : "";
  if (!mod_db_flag(j, "exists")) {
    rt_buf_puts(shown, "CREATE USER ");
    mod_db_pg_ident(shown, u->user);
    if (u->pw && *u->pw)
      rt_buf_printf(shown, " WITH %s PASSWORD %%(password)s", u->encrypted ? "ENCRYPTED" : "UNENCRYPTED");
    if (u->expires)
      rt_buf_puts(shown, " VALID UNTIL %(expires)s");
    if (u->has_limit)
      rt_buf_printf(shown, " CONNECTION LIMIT %lld", u->limit);
    rt_buf_printf(shown, " %s", flags);
    return true;
  }
  if (u->no_pw_changes) {
    if (!*flags || !flags_change(u, j))
      return false;
    rt_buf_puts(shown, "ALTER USER ");
    mod_db_pg_ident(shown, u->user);
    rt_buf_printf(shown, " WITH %s", flags);
    return true;
  }
  if (!u->pw && !*flags && !u->expires && !u->has_limit)
    return false;
  const char *cur = mod_db_text(auth, "rolpassword");
  bool pwch = password_changes(auth != NULL, cur, u->user, u->pw, u->encrypted);
  bool flch = *flags && flags_change(u, j);
  bool exch = u->expires && !mod_db_flag(j, "expires_same");
  RtValue *cl = rt_dict_get(j, "rolconnlimit");
  bool clch = u->has_limit && !(cl && rt_kind(cl) == RT_INT && cl->u.i == u->limit);
  if (!pwch && !flch && !exch && !clch)
    return false;
  rt_buf_puts(shown, "ALTER USER ");
  mod_db_pg_ident(shown, u->user);
  if (pwch) {
    if (u->pw && *u->pw)
      rt_buf_printf(shown, " WITH %s PASSWORD %%(password)s", u->encrypted ? "ENCRYPTED" : "UNENCRYPTED");
    else
      rt_buf_puts(shown, " WITH PASSWORD NULL");
    rt_buf_printf(shown, " %s", flags);
  } else if (*flags)
    rt_buf_printf(shown, " WITH %s", flags);
  if (u->expires)
    rt_buf_puts(shown, " VALID UNTIL %(expires)s");
  if (u->has_limit)
    rt_buf_printf(shown, " CONNECTION LIMIT %lld", u->limit);
  return true;
}

/* The statement with its placeholders replaced by quoted literals. */
static char *bind(const PgUser *u, const char *shown) {
  RtBuf b = {0};
  for (const char *p = shown; *p;) {
    if (strncmp(p, "%(password)s", 12) == 0) {
      mod_db_pg_literal(&b, u->pw ? u->pw : "");
      p += 12;
    } else if (strncmp(p, "%(expires)s", 11) == 0) {
      mod_db_pg_literal(&b, u->expires ? u->expires : "");
      p += 11;
    } else
      rt_buf_putc(&b, *p++);
  }
  return rt_buf_take(&b);
}

static void pguser_free(PgUser *u) {
  free(u->user);
  free(u->pw);
  free(u->state);
  free(u->flags_arg);
  free(u->expires);
  free(u->role);
  rt_buf_free(&u->flags);
}

/* Runs `stmt` (after SET ROLE): NULL, or the failure result. -1 in *lost. */
static RtValue *run_stmt(RtHost *h, RtValue *args, const PgUser *u, const char *stmt, int *lost) {
  RtBuf q = {0};
  mod_db_pg_set_role(&q, u->role);
  rt_buf_printf(&q, "%s;\n", stmt);
  RtValue *j = NULL, *fail = NULL;
  *lost = mod_db_run(h, MOD_DB_PG, args, "db", q.data, &j, &fail);
  rt_buf_free(&q);
  rt_decref(j);
  return fail;
}

RtValue *mod_postgresql_user(RtHost *h, RtValue *args) {
  PgUser u = {
      .user = mod_arg_str(args, "user"), .pw = mod_arg_str(args, "password"), .state = mod_arg_str(args, "state"),
      .flags_arg = mod_arg_str(args, "role_attr_flags"), .expires = mod_arg_str(args, "expires"),
      .role = mod_arg_str(args, "session_role"),
      .encrypted = mod_arg_bool(args, "encrypted", 1) == 1,
      .no_pw_changes = mod_arg_bool(args, "no_password_changes", 0) == 1,
      .fail_on_user = mod_arg_bool(args, "fail_on_user", 1) == 1,
  };
  if (!u.user)
    u.user = rt_xstrdup("");
  u.has_limit = mod_arg_int(args, "conn_limit", &u.limit) == 1;
  bool absent = u.state && strcmp(u.state, "absent") == 0;
  RtValue *r = NULL, *j = NULL, *queries = rt_list_new(1);
  RtBuf q = {0}, bad = {0}, shown = {0};
  RtValue *cp = rt_dict_get(args, "connect_params");
  if (cp && rt_kind(cp) == RT_DICT && cp->u.dict.len) {
    r = mod_fail_result("playc: connect_params is not supported");
    goto done;
  }
  read_sql(&q, &u);
  if (mod_db_run(h, MOD_DB_PG, args, "db", q.data, &j, &r) < 0 || r)
    goto done;
  RtValue *role = mod_db_answer(j, 0), *auth = mod_db_answer(j, 1);
  parse_flags(u.flags_arg ? u.flags_arg : "", &u.flags, &bad);
  if (bad.len) {
    r = mod_fail_result("Invalid role_attr_flags specified: %s", bad.data);
    goto done;
  }
  bool exists = mod_db_flag(role, "exists"), changed = false, removed = false;
  if (absent) {
    if (exists) {
      rt_buf_puts(&shown, "DROP USER ");
      mod_db_pg_ident(&shown, u.user);
      changed = removed = true;
      if (!h->check_mode) {
        rt_list_push(queries, rt_strz(shown.data));
        int lost;
        RtValue *fail = run_stmt(h, args, &u, shown.data, &lost);
        if (lost < 0)
          goto done;
        if (fail) {
          rt_decref(fail);
          changed = removed = false;
          if (u.fail_on_user) {
            r = mod_fail_result("Unable to remove user");
            goto done;
          }
        }
      }
    }
  } else if (plan_present(&u, role, auth, &shown)) {
    changed = true;
    rt_list_push(queries, rt_strz(shown.data));
    if (!h->check_mode) {
      char *stmt = bind(&u, shown.data);
      int lost;
      RtValue *fail = run_stmt(h, args, &u, stmt, &lost);
      free(stmt);
      if (lost < 0)
        goto done;
      if (fail) {
        RtValue *m = rt_dict_get(fail, "msg");
        r = exists ? mod_fail_result("%s", m ? m->u.str.s : "")
                   : mod_fail_result("Unable to add user with given requirement due to : %s", m ? m->u.str.s : "");
        rt_decref(fail);
        goto done;
      }
    }
  }
  r = rt_dict_new(4);
  rt_dict_set(r, "user", rt_strz(u.user));
  if (absent && exists)
    rt_dict_set(r, "user_removed", rt_bool(removed));
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "queries", rt_incref(queries));
done:
  rt_buf_free(&q);
  rt_buf_free(&bad);
  rt_buf_free(&shown);
  rt_decref(j);
  rt_decref(queries);
  pguser_free(&u);
  return r;
}

#endif
