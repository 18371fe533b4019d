/*
 * postgresql_privs.c — community.postgresql.postgresql_privs: grants and
 * revokes privileges (tables, sequences, functions, procedures, databases,
 * schemas, languages, tablespaces, foreign data wrappers and servers,
 * types), group memberships and default privileges through the target's
 * `psql`.
 *
 * As the collection does, the module decides `changed` by running its
 * statement between two reads of the objects' access control lists: one
 * request reads what the statement needs (the server version, which roles
 * exist, the objects of a schema for ALL_IN_SCHEMA); a second one runs, in
 * one transaction, the ACLs before, the statement, the ACLs after, and
 * COMMIT (ROLLBACK in check mode). A grant to PUBLIC is always changed. The
 * statement is listed in `queries` as Ansible builds it; names in it are
 * quoted identifiers (quotes doubled) where Ansible pastes them between
 * quotes as they are, and privileges keep the order given (Ansible's come
 * from a frozenset, in hash order).
 */
#include "mod.h"

static const ModParam pgprivs_params[] = {
    MOD_DB_PG_COMMON_PARAMS,
    {.name = "database", .type = MP_STR, .required = true, .aliases = "db,login_db"},
    {.name = "state", .type = MP_STR, .def = "present", .choices = "present,absent"},
    {.name = "privs", .type = MP_STR, .aliases = "priv"},
    {.name = "type", .type = MP_STR, .def = "table",
     .choices = "table,sequence,function,procedure,database,schema,language,tablespace,group,default_privs,"
                "foreign_data_wrapper,foreign_server,type"},
    {.name = "objs", .type = MP_STR, .aliases = "obj"},
    {.name = "schema", .type = MP_STR},
    {.name = "roles", .type = MP_STR, .required = true, .aliases = "role"},
    {.name = "session_role", .type = MP_STR},
    {.name = "target_roles", .type = MP_STR},
    {.name = "grant_option", .type = MP_BOOL, .aliases = "admin_option"},
    {.name = "password", .type = MP_STR, .def = "", .no_log = true},
    {.name = "fail_on_role", .type = MP_BOOL, .def = "true"},
    {.name = "trust_input", .type = MP_BOOL, .def = "true"},
    {.name = "usage_on_types", .type = MP_BOOL, .def = "true"},
};
const ModSchema mod_schema_postgresql_privs = {
    .name = "postgresql_privs",
    .params = pgprivs_params,
    .nparams = MOD_N(pgprivs_params),
    .tools = "psql",
    .check_mode = true,
    .collection = "community.postgresql",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const valid_privs[] = {"SELECT",  "INSERT",  "UPDATE",    "DELETE", "TRUNCATE",
                                          "REFERENCES", "TRIGGER", "CREATE", "CONNECT", "TEMPORARY",
                                          "TEMP",    "EXECUTE", "USAGE",     "ALL"};
/* VALID_DEFAULT_OBJS: an object class and the privileges it takes */
static const char *const default_objs[][2] = {
    {"TABLES", ",ALL,SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER,"},
    {"SEQUENCES", ",ALL,SELECT,UPDATE,USAGE,"},
    {"FUNCTIONS", ",ALL,EXECUTE,"},
    {"TYPES", ",ALL,USAGE,"},
    {"SCHEMAS", ",CREATE,USAGE,"},
};
enum { NDEFAULT = sizeof default_objs / sizeof default_objs[0] };

typedef struct Privs {
  char *type, *schema, *objs_arg, *privs_arg, *roles_arg, *targets_arg, *role, *state;
  int grant_option; /* -1: not given */
  bool fail_on_role, usage_on_types, absent;
  RtValue *privs;   /* upper-cased, each once; NULL for group */
  RtValue *objs;    /* names (function signatures with ',') */
  RtValue *roles;   /* NULL for PUBLIC */
  RtValue *warnings;
} Privs;

static bool is_type(const Privs *p, const char *t) { return strcmp(p->type, t) == 0; }

/* s split at commas (Python's str.split(',')). */
static RtValue *split_commas(const char *s, bool upper) {
  RtValue *l = rt_list_new(4);
  for (;;) {
    size_t n = strcspn(s, ",");
    char *w = rt_xstrndup(s, n);
    for (char *c = w; upper && *c; c++)
      *c = (char)toupper((unsigned char)*c);
    rt_list_push(l, rt_str_take(w, n));
    if (!s[n])
      break;
    s += n + 1;
  }
  return l;
}

/* The list without repeats (a frozenset's members, in the order given). */
static RtValue *uniq(RtValue *l) {
  RtValue *out = rt_list_new(rt_len(l));
  for (size_t i = 0; i < rt_len(l); i++) {
    bool seen = false;
    for (size_t j = 0; j < rt_len(out) && !seen; j++)
      seen = rt_equal(rt_list_at(out, j), rt_list_at(l, i));
    if (!seen)
      rt_list_push(out, rt_incref(rt_list_at(l, i)));
  }
  rt_decref(l);
  return out;
}

static bool in_list(const char *const *l, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(l[i], s) == 0)
      return true;
  return false;
}

/* Python's repr of a frozenset of str: frozenset({'A', 'B'}). */
static void frozenset_repr(RtBuf *b, RtValue *l) {
  rt_buf_puts(b, rt_len(l) ? "frozenset({" : "frozenset(");
  for (size_t i = 0; i < rt_len(l); i++)
    rt_buf_printf(b, "%s'%s'", i ? ", " : "", rt_list_at(l, i)->u.str.s);
  rt_buf_puts(b, rt_len(l) ? "})" : ")");
}

static int default_index(const char *obj) {
  for (int i = 0; i < NDEFAULT; i++)
    if (strcmp(default_objs[i][0], obj) == 0)
      return i;
  return -1;
}

static bool default_takes(int i, RtValue *privs) {
  for (size_t k = 0; k < rt_len(privs); k++) {
    char *w = rt_xasprintf(",%s,", rt_list_at(privs, k)->u.str.s);
    bool ok = strstr(default_objs[i][1], w) != NULL;
    free(w);
    if (!ok)
      return false;
  }
  return true;
}

/* main()'s checks before the connection; NULL or the failure. */
static RtValue *check_args(Privs *p) {
  static const char *const schema_types[] = {"table", "sequence", "function", "procedure", "type", "default_privs"};
  if (in_list(schema_types, 6, p->type)) {
    if ((p->objs_arg && strcmp(p->objs_arg, "schemas") == 0) || (p->schema && strcmp(p->schema, "not-specified") == 0)) {
      free(p->schema);
      p->schema = NULL;
    } else if (!p->schema || !*p->schema) {
      free(p->schema);
      p->schema = rt_xstrdup("public");
    }
  } else if (p->schema && *p->schema)
    return mod_fail_result("Argument \"schema\" is not allowed for type \"%s\".", p->type);
  static const char *const all_types[] = {"table", "sequence", "function", "procedure"};
  if (p->objs_arg && strcmp(p->objs_arg, "ALL_IN_SCHEMA") == 0 && !in_list(all_types, 4, p->type))
    return mod_fail_result("Argument \"objs\": ALL_IN_SCHEMA can be used only for type: table, sequence, function or "
                           "procedure, %s was passed.",
                           p->type);
  if (is_type(p, "database")) {
    if (!p->objs_arg || !*p->objs_arg) {
      free(p->objs_arg);
      p->objs_arg = NULL;
    }
  } else if (!p->objs_arg || !*p->objs_arg)
    return mod_fail_result("Argument \"objs\" is required for type \"%s\".", p->type);
  if (is_type(p, "group")) {
    if (p->privs_arg && *p->privs_arg)
      return mod_fail_result("Argument \"privs\" is not allowed for type \"group\".");
  } else if (!p->privs_arg || !*p->privs_arg)
    return mod_fail_result("Argument \"privs\" is required for type \"%s\".", p->type);
  return NULL;
}

/* The privileges and objects as main() makes them; NULL or the failure
 * (ALL_IN_SCHEMA's objects come later, from the server). */
static RtValue *parse_lists(Privs *p) {
  if (p->privs_arg && *p->privs_arg) {
    p->privs = uniq(split_commas(p->privs_arg, true));
    RtValue *bad = rt_list_new(1);
    for (size_t i = 0; i < rt_len(p->privs); i++)
      if (!in_list(valid_privs, sizeof valid_privs / sizeof valid_privs[0], rt_list_at(p->privs, i)->u.str.s))
        rt_list_push(bad, rt_incref(rt_list_at(p->privs, i)));
    if (rt_len(bad)) {
      RtBuf b = {0};
      frozenset_repr(&b, bad);
      RtValue *r = mod_fail_result("Invalid privileges specified: %s", b.data);
      rt_buf_free(&b);
      rt_decref(bad);
      return r;
    }
    rt_decref(bad);
  }
  if (strcmp(p->objs_arg, "ALL_IN_SCHEMA") == 0)
    return NULL;
  if (is_type(p, "default_privs")) {
    if (strcmp(p->objs_arg, "ALL_DEFAULT") == 0) {
      p->objs = rt_list_new(4);
      for (int i = 0; i < NDEFAULT - 1; i++)
        rt_list_push(p->objs, rt_strz(default_objs[i][0]));
    } else {
      p->objs = uniq(split_commas(p->objs_arg, true));
      RtValue *bad = rt_list_new(1);
      for (size_t i = 0; i < rt_len(p->objs); i++)
        if (default_index(rt_list_at(p->objs, i)->u.str.s) < 0)
          rt_list_push(bad, rt_incref(rt_list_at(p->objs, i)));
      if (rt_len(bad)) {
        RtBuf b = {0};
        frozenset_repr(&b, bad);
        RtValue *r = mod_fail_result("Invalid Object set specified: %s", b.data);
        rt_buf_free(&b);
        rt_decref(bad);
        return r;
      }
      rt_decref(bad);
    }
    RtValue *valid = rt_list_new(4);
    for (size_t i = 0; i < rt_len(p->objs); i++)
      if (default_takes(default_index(rt_list_at(p->objs, i)->u.str.s), p->privs))
        rt_list_push(valid, rt_incref(rt_list_at(p->objs, i)));
    if (rt_len(valid) != rt_len(p->objs)) {
      RtBuf b = {0};
      rt_buf_puts(&b, "Invalid priv specified. Valid object for priv: ");
      frozenset_repr(&b, valid);
      rt_buf_puts(&b, ". Objects: ");
      frozenset_repr(&b, p->objs);
      RtValue *r = mod_fail_result("%s", b.data);
      rt_buf_free(&b);
      rt_decref(valid);
      return r;
    }
    rt_decref(valid);
    return NULL;
  }
  p->objs = split_commas(p->objs_arg, false);
  if (is_type(p, "function") || is_type(p, "procedure"))
    for (size_t i = 0; i < rt_len(p->objs); i++) {
      RtValue *o = rt_list_at(p->objs, i);
      for (char *c = o->u.str.s; *c; c++)
        if (*c == ':')
          *c = ',';
    }
  return NULL;
}

/* ---- SQL ----------------------------------------------------------------- */

static void literal_array(RtBuf *q, RtValue *l) {
  rt_buf_puts(q, "ARRAY[");
  for (size_t i = 0; i < rt_len(l); i++) {
    rt_buf_puts(q, i ? "," : "");
    mod_db_pg_literal(q, rt_list_at(l, i)->u.str.s);
  }
  rt_buf_puts(q, "]::text[]");
}

/* The function names of signatures "f(args)". */
static RtValue *func_names(RtValue *objs) {
  RtValue *l = rt_list_new(rt_len(objs));
  for (size_t i = 0; i < rt_len(objs); i++) {
    const char *s = rt_list_at(objs, i)->u.str.s;
    rt_list_push(l, rt_str(s, strcspn(s, "(")));
  }
  return l;
}

/* WHERE nspname = schema AND, or nothing without a schema. */
static void in_schema(RtBuf *q, const Privs *p, const char *col) {
  if (p->schema) {
    rt_buf_printf(q, " AND %s = ", col);
    mod_db_pg_literal(q, p->schema);
  }
}

/* The objects' ACLs as a sorted JSON array of text (get_status). */
static void status_sql(RtBuf *q, const Privs *p) {
  rt_buf_puts(q, "SELECT json_build_object('s', (SELECT coalesce(json_agg(x ORDER BY x), '[]') FROM (");
  const char *t = p->type;
  RtValue *names = p->objs;
  if (strcmp(t, "table") == 0 || strcmp(t, "sequence") == 0) {
    rt_buf_printf(q, "SELECT c.relacl::text AS x FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
                     "c.relnamespace WHERE relkind IN (%s)",
                  strcmp(t, "table") == 0 ? "'r','p','v','m'" : "'S'");
    in_schema(q, p, "nspname");
    rt_buf_puts(q, " AND relname = ANY (");
    literal_array(q, names);
    rt_buf_puts(q, ")");
  } else if (strcmp(t, "function") == 0 || strcmp(t, "procedure") == 0) {
    RtValue *f = func_names(names);
    rt_buf_puts(q, "SELECT p.proacl::text AS x FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = "
                   "p.pronamespace WHERE true");
    in_schema(q, p, "nspname");
    rt_buf_puts(q, " AND proname = ANY (");
    literal_array(q, f);
    rt_buf_puts(q, ")");
    rt_decref(f);
  } else if (strcmp(t, "group") == 0) {
    rt_buf_puts(q, "SELECT (am.roleid, am.grantor, am.member, am.admin_option)::text AS x FROM "
                   "pg_catalog.pg_auth_members am JOIN pg_catalog.pg_roles r ON r.oid = am.roleid WHERE r.rolname = "
                   "ANY (");
    literal_array(q, names);
    rt_buf_puts(q, ")");
  } else if (strcmp(t, "default_privs") == 0) {
    rt_buf_puts(q, "SELECT a.defaclacl::text AS x FROM pg_default_acl a JOIN pg_namespace b ON a.defaclnamespace = "
                   "b.oid WHERE true");
    in_schema(q, p, "b.nspname");
  } else if (strcmp(t, "type") == 0) {
    rt_buf_puts(q, "SELECT t.typacl::text AS x FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = "
                   "t.typnamespace WHERE true");
    in_schema(q, p, "n.nspname");
    rt_buf_puts(q, " AND t.typname = ANY (");
    literal_array(q, names);
    rt_buf_puts(q, ")");
  } else {
    static const char *const cat[][3] = {
        {"schema", "nspacl", "pg_namespace WHERE nspname"},     {"language", "lanacl", "pg_language WHERE lanname"},
        {"tablespace", "spcacl", "pg_tablespace WHERE spcname"}, {"database", "datacl", "pg_database WHERE datname"},
        {"foreign_data_wrapper", "fdwacl", "pg_foreign_data_wrapper WHERE fdwname"},
        {"foreign_server", "srvacl", "pg_foreign_server WHERE srvname"},
    };
    for (size_t i = 0; i < sizeof cat / sizeof cat[0]; i++)
      if (strcmp(t, cat[i][0]) == 0) {
        rt_buf_printf(q, "SELECT %s::text AS x FROM pg_catalog.%s = ANY (", cat[i][1], cat[i][2]);
        literal_array(q, names);
        rt_buf_puts(q, ")");
      }
  }
  rt_buf_puts(q, ") s));\n");
}

/* The first request: the version, whether each role exists, and the
 * objects of ALL_IN_SCHEMA. */
static void read_sql(RtBuf *q, const Privs *p, bool all) {
  mod_db_pg_set_role(q, p->role);
  rt_buf_puts(q, "SELECT json_build_object('version', current_setting('server_version_num')::int, 'roles', "
                 "json_build_array(");
  for (size_t i = 0; p->roles && i < rt_len(p->roles); i++) {
    rt_buf_puts(q, i ? ", " : "");
    rt_buf_puts(q, "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ");
    mod_db_pg_literal(q, rt_list_at(p->roles, i)->u.str.s);
    rt_buf_puts(q, ")");
  }
  rt_buf_puts(q, ")");
  if (all) {
    rt_buf_puts(q, ", 'schema', ");
    if (p->schema) {
      rt_buf_puts(q, "EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ");
      mod_db_pg_literal(q, p->schema);
      rt_buf_puts(q, ")");
    } else
      rt_buf_puts(q, "true");
    rt_buf_puts(q, ", 'objs', (SELECT coalesce(json_agg(o), '[]') FROM (");
    if (is_type(p, "table") || is_type(p, "sequence"))
      rt_buf_printf(q, "SELECT relname AS o FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
                       "c.relnamespace WHERE relkind IN (%s)",
                    is_type(p, "table") ? "'r','v','m','p'" : "'S'");
    else
      rt_buf_printf(q, "SELECT p.proname || '(' || oidvectortypes(p.proargtypes) || ')' AS o FROM "
                       "pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE "
                       "(current_setting('server_version_num')::int < 110000 OR p.prokind = '%c')",
                    is_type(p, "function") ? 'f' : 'p');
    in_schema(q, p, "nspname");
    rt_buf_puts(q, ") s)");
  }
  rt_buf_puts(q, ");\n");
}

/* An object's identifier as manipulate_privs writes it. */
static void obj_id(RtBuf *b, const Privs *p, const char *o, RtValue **fail) {
  if (is_type(p, "function") || is_type(p, "procedure")) {
    const char *par = strchr(o, '(');
    if (!par) {
      *fail = mod_fail_result("Illegal function / procedure signature: \"%s\".", o);
      return;
    }
    /* the argument types are SQL text: nothing that could end it */
    if (strpbrk(par, ";'\\") || strstr(par, "--") || strstr(par, "/*")) {
      *fail = mod_fail_result("playc: a function signature holding ; ' -- or /* is refused: \"%s\".", o);
      return;
    }
    if (p->schema)
      mod_db_pg_ident(b, p->schema);
    else
      rt_buf_puts(b, "None");
    rt_buf_putc(b, '.');
    char *f = rt_xstrndup(o, (size_t)(par - o));
    mod_db_pg_ident(b, f);
    free(f);
    rt_buf_puts(b, par);
    return;
  }
  if (is_type(p, "table") || is_type(p, "sequence") || is_type(p, "type")) {
    if (p->schema)
      mod_db_pg_ident(b, p->schema);
    else
      rt_buf_puts(b, "None");
    rt_buf_putc(b, '.');
  }
  mod_db_pg_ident(b, o);
}

static void join_privs(RtBuf *b, RtValue *privs) {
  for (size_t i = 0; i < rt_len(privs); i++)
    rt_buf_printf(b, "%s%s", i ? "," : "", rt_list_at(privs, i)->u.str.s);
}

/* QueryBuilder's add_grant_option on the last statement. */
static void grant_option(RtBuf *q, const Privs *p, const char *what, const char *whom) {
  bool group = is_type(p, "group");
  if (p->grant_option == 1)
    rt_buf_puts(q, group ? " WITH ADMIN OPTION;" : " WITH GRANT OPTION;");
  else if (p->grant_option == 0) {
    rt_buf_putc(q, ';');
    if (group)
      rt_buf_printf(q, "\nREVOKE ADMIN OPTION FOR %s FROM %s;", what, whom);
    else if (!is_type(p, "default_privs"))
      rt_buf_printf(q, "\nREVOKE GRANT OPTION FOR %s FROM %s;", what, whom);
  } else
    rt_buf_putc(q, ';');
}

/* ALTER DEFAULT PRIVILEGES [FOR ROLE as][ IN SCHEMA s] */
static void default_head(RtBuf *q, const char *as, const char *schema) {
  rt_buf_puts(q, "ALTER DEFAULT PRIVILEGES");
  if (as)
    rt_buf_printf(q, " FOR ROLE %s", as);
  if (schema)
    rt_buf_printf(q, " IN SCHEMA %s", schema);
}

/* QueryBuilder.build: the statements, one a line. */
static void build_query(RtBuf *q, const Privs *p, const char *what, const char *whom, const char *as,
                        const char *qschema) {
  if (is_type(p, "default_privs")) {
    if (p->absent) {
      static const char *const all[] = {"TABLES", "SEQUENCES", "TYPES"};
      for (int i = 0; i < 3; i++) {
        rt_buf_puts(q, i ? "\n" : "");
        default_head(q, as, qschema);
        rt_buf_printf(q, " REVOKE ALL ON %s FROM %s;", all[i], whom);
      }
      return;
    }
    for (size_t i = 0; i < rt_len(p->objs); i++) {
      rt_buf_puts(q, q->len ? "\n" : "");
      default_head(q, as, qschema);
      rt_buf_printf(q, " REVOKE ALL ON %s FROM %s;", rt_list_at(p->objs, i)->u.str.s, whom);
    }
    for (size_t i = 0; i < rt_len(p->objs); i++) {
      rt_buf_puts(q, q->len ? "\n" : "");
      default_head(q, as, qschema);
      rt_buf_printf(q, " GRANT %s ON %s TO %s", what, rt_list_at(p->objs, i)->u.str.s, whom);
      grant_option(q, p, what, whom);
    }
    if (p->usage_on_types) {
      rt_buf_puts(q, q->len ? "\n" : "");
      default_head(q, as, qschema);
      rt_buf_printf(q, " GRANT USAGE ON TYPES TO %s", whom);
    }
    grant_option(q, p, what, whom);
    return;
  }
  if (p->absent)
    rt_buf_printf(q, "REVOKE %s FROM %s;", what, whom);
  else {
    rt_buf_printf(q, "GRANT %s TO %s", what, whom);
    grant_option(q, p, what, whom);
  }
}

static void privs_free(Privs *p) {
  free(p->type);
  free(p->schema);
  free(p->objs_arg);
  free(p->privs_arg);
  free(p->roles_arg);
  free(p->targets_arg);
  free(p->role);
  free(p->state);
  rt_decref(p->privs);
  rt_decref(p->objs);
  rt_decref(p->roles);
  rt_decref(p->warnings);
}

static RtValue *result(const Privs *p, bool changed, RtValue *queries) {
  RtValue *r = rt_dict_new(3);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "queries", rt_incref(queries));
  if (rt_len(p->warnings))
    rt_dict_set(r, "warnings", rt_incref(p->warnings));
  return r;
}

/* Whether the i-th role exists (the first request's answer). */
static bool role_ok(RtValue *exists, size_t i) {
  RtValue *e = exists && rt_kind(exists) == RT_LIST && i < rt_len(exists) ? rt_list_at(exists, i) : NULL;
  return e && rt_kind(e) == RT_BOOL && e->u.b;
}

static void warn(Privs *p, const char *fmt, const char *arg) {
  char *w = rt_xasprintf(fmt, arg);
  rt_list_push(p->warnings, rt_str_take(w, strlen(w)));
}

/* A failure of the SQL run: Ansible's message for the phase it is in. */
static RtValue *sql_failure(RtValue *fail, const char *fmt, const char *arg) {
  RtValue *m = rt_dict_get(fail, "msg");
  const char *msg = m && rt_kind(m) == RT_STR ? m->u.str.s : "";
  RtValue *r = strncmp(msg, "unable to connect", 17) == 0 ? rt_incref(fail)
               : arg                                      ? mod_fail_result(fmt, arg, msg)
                                                          : mod_fail_result(fmt, msg);
  rt_decref(fail);
  return r;
}

RtValue *mod_postgresql_privs(RtHost *h, RtValue *args) {
  Privs p = {
      .type = mod_arg_str(args, "type"), .schema = mod_arg_str(args, "schema"),
      .objs_arg = mod_arg_str(args, "objs"), .privs_arg = mod_arg_str(args, "privs"),
      .roles_arg = mod_arg_str(args, "roles"), .targets_arg = mod_arg_str(args, "target_roles"),
      .role = mod_arg_str(args, "session_role"), .state = mod_arg_str(args, "state"),
      .grant_option = mod_arg_bool(args, "grant_option", -1),
      .fail_on_role = mod_arg_bool(args, "fail_on_role", 1) == 1,
      .usage_on_types = mod_arg_bool(args, "usage_on_types", 1) == 1,
      .warnings = rt_list_new(0),
  };
  if (!p.type)
    p.type = rt_xstrdup("table");
  if (!p.roles_arg)
    p.roles_arg = rt_xstrdup("");
  p.absent = p.state && strcmp(p.state, "absent") == 0;
  RtValue *r = NULL, *j = NULL, *queries = rt_list_new(1), *dbargs = NULL;
  RtBuf q = {0}, what = {0}, whom = {0}, as = {0}, qschema = {0}, stmt = {0};
  char *pw = mod_arg_str(args, "password"), *lpw = mod_arg_str(args, "login_password");
  if ((r = check_args(&p)) != NULL)
    goto done;
  if (!p.objs_arg)
    p.objs_arg = mod_arg_str(args, "database");
  dbargs = rt_incref(args);
  if (pw && *pw) {
    if (lpw && *lpw) {
      r = mod_fail_result("Use the \"password\" or \"login_password\" option but not both to pass a password to log in "
                          "with.");
      goto done;
    }
    rt_decref(dbargs);
    dbargs = rt_dict_copy(args);
    rt_dict_set(dbargs, "login_password", rt_strz(pw));
  }
  RtValue *cp = rt_dict_get(args, "connect_params");
  if (cp && rt_kind(cp) == RT_DICT && cp->u.dict.len) {
    r = mod_fail_result("playc: connect_params is not supported");
    goto done;
  }
  bool public_ = strcasecmp(p.roles_arg, "PUBLIC") == 0;
  if (!public_)
    p.roles = split_commas(p.roles_arg, false);
  bool all = strcmp(p.objs_arg, "ALL_IN_SCHEMA") == 0;
  /* request 1: what the statement needs */
  read_sql(&q, &p, all);
  if (mod_db_run(h, MOD_DB_PG, dbargs, "database", q.data, &j, &r) < 0)
    goto done;
  if (r) {
    RtValue *m = rt_dict_get(r, "msg");
    if (m && strncmp(m->u.str.s, "unable to connect to database: ", 31) == 0) {
      RtValue *f = mod_fail_result("Could not connect to database: %s\n", m->u.str.s + 31);
      rt_decref(r);
      r = f;
    } else if (p.role)
      r = sql_failure(r, "Could not switch to role %s: %s\n", p.role);
    goto done;
  }
  RtValue *info = mod_db_answer(j, 0);
  if ((r = parse_lists(&p)) != NULL)
    goto done;
  if (all) {
    if (!mod_db_flag(info, "schema")) {
      r = mod_fail_result("Schema \"%s\" does not exist.", p.schema);
      goto done;
    }
    RtValue *o = rt_dict_get(info, "objs");
    p.objs = o && rt_kind(o) == RT_LIST ? rt_incref(o) : rt_list_new(0);
  }
  RtValue *exists = rt_dict_get(info, "roles");
  if (p.roles && rt_len(p.roles) == 1 && !role_ok(exists, 0)) {
    char *s = rt_xstrdup(rt_list_at(p.roles, 0)->u.str.s);
    size_t b = 0, e = strlen(s);
    while (b < e && isspace((unsigned char)s[b]))
      b++;
    while (e > b && isspace((unsigned char)s[e - 1]))
      e--;
    s[e] = 0;
    if (p.fail_on_role)
      r = mod_fail_result("Role '%s' does not exist", s + b);
    else {
      warn(&p, "Role '%s' does not exist, nothing to do", s + b);
      r = result(&p, false, queries);
    }
    free(s);
    goto done;
  }
  if (p.targets_arg && *p.targets_arg && !is_type(&p, "default_privs"))
    rt_list_push(p.warnings, rt_strz("\"target_roles\" will be ignored Argument \"type: default_privs\" is required "
                                     "for usage of \"target_roles\"."));
  if (!p.objs || !rt_len(p.objs)) {
    r = result(&p, false, queries);
    goto done;
  }
  if (p.schema)
    mod_db_pg_ident(&qschema, p.schema);
  /* set_what */
  if (is_type(&p, "group")) {
    for (size_t i = 0; i < rt_len(p.objs); i++) {
      rt_buf_puts(&what, i ? "," : "");
      mod_db_pg_ident(&what, rt_list_at(p.objs, i)->u.str.s);
    }
  } else if (is_type(&p, "default_privs"))
    join_privs(&what, p.privs);
  else {
    join_privs(&what, p.privs);
    if (all)
      rt_buf_printf(&what, " ON ALL %sS IN SCHEMA %s", is_type(&p, "table") ? "TABLE" : is_type(&p, "sequence") ? "SEQUENCE"
                                                      : is_type(&p, "function") ? "FUNCTION" : "PROCEDURE",
                    qschema.data ? qschema.data : "None");
    else {
      rt_buf_puts(&what, " ON ");
      for (const char *c = p.type; *c; c++)
        rt_buf_putc(&what, *c == '_' ? ' ' : *c);
      rt_buf_putc(&what, ' ');
      for (size_t i = 0; i < rt_len(p.objs); i++) {
        rt_buf_puts(&what, i ? "," : "");
        obj_id(&what, &p, rt_list_at(p.objs, i)->u.str.s, &r);
        if (r)
          goto done;
      }
    }
  }
  /* for_whom */
  if (public_)
    rt_buf_puts(&whom, "PUBLIC");
  else {
    for (size_t i = 0; i < rt_len(p.roles); i++) {
      const char *role = rt_list_at(p.roles, i)->u.str.s;
      if (!role_ok(exists, i)) {
        if (p.fail_on_role) {
          r = mod_fail_result("Role '%s' does not exist", role);
          goto done;
        }
        warn(&p, "Role '%s' does not exist, pass it", role);
        continue;
      }
      rt_buf_puts(&whom, whom.len ? "," : "");
      mod_db_pg_ident(&whom, role);
    }
    if (!whom.len) {
      r = result(&p, false, queries);
      goto done;
    }
  }
  if (p.targets_arg && *p.targets_arg) {
    RtValue *t = split_commas(p.targets_arg, false);
    for (size_t i = 0; i < rt_len(t); i++) {
      rt_buf_puts(&as, i ? "," : "");
      mod_db_pg_ident(&as, rt_list_at(t, i)->u.str.s);
    }
    rt_decref(t);
  }
  build_query(&stmt, &p, what.data ? what.data : "", whom.data, as.len ? as.data : NULL,
              qschema.len ? qschema.data : NULL);
  rt_list_push(queries, rt_strz(stmt.data ? stmt.data : ""));
  /* request 2: the ACLs, the statement, the ACLs, in one transaction */
  q.len = 0;
  rt_buf_puts(&q, "BEGIN;\n");
  mod_db_pg_set_role(&q, p.role);
  status_sql(&q, &p);
  rt_buf_printf(&q, "%s\n", stmt.data ? stmt.data : "");
  status_sql(&q, &p);
  rt_buf_puts(&q, h->check_mode ? "ROLLBACK;\n" : "COMMIT;\n");
  rt_decref(j);
  j = NULL;
  if (mod_db_run(h, MOD_DB_PG, dbargs, "database", q.data, &j, &r) < 0)
    goto done;
  if (r) {
    r = sql_failure(r, "%s\n", NULL);
    goto done;
  }
  bool changed = public_ || !rt_equal(mod_db_answer(j, 0), mod_db_answer(j, 1));
  r = result(&p, changed, queries);
done:
  rt_buf_free(&q);
  rt_buf_free(&what);
  rt_buf_free(&whom);
  rt_buf_free(&as);
  rt_buf_free(&qschema);
  rt_buf_free(&stmt);
  rt_decref(j);
  rt_decref(queries);
  rt_decref(dbargs);
  free(pw);
  free(lpw);
  privs_free(&p);
  return r;
}

#endif
