/*
 * mysql_db.c — community.mysql.mysql_db: creates and drops databases
 * through the target's `mysql` client. One request reads which of the named
 * databases exist (a JSON object from information_schema); a second one,
 * only when something must change, runs Ansible's statements (CREATE
 * DATABASE with CHARACTER SET and COLLATE as literals, DROP DATABASE), which
 * are the result's executed_commands. dump and import run the target's
 * mysqldump and mysql as the collection does: one shell command line, built
 * as its db_dump/db_import build it (values shlex-quoted), which is what the
 * result's executed_commands shows; the password reaches the client through
 * MYSQL_PWD, never the command line, and shows as ******** as Ansible
 * censors it.
 */
#include "mod.h"

static const ModParam mydb_params[] = {
    MOD_DB_MY_COMMON_PARAMS,
    {.name = "name", .type = MP_LIST, .required = true, .aliases = "db"},
    {.name = "encoding", .type = MP_STR, .def = ""},
    {.name = "collation", .type = MP_STR, .def = ""},
    {.name = "target", .type = MP_PATH},
    {.name = "state", .type = MP_STR, .def = "present", .choices = "absent,dump,import,present"},
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
    {.name = "pipefail", .type = MP_BOOL, .def = "false"},
    {.name = "sql_log_bin", .type = MP_BOOL, .def = "true"},
};
const ModSchema mod_schema_mysql_db = {
    .name = "mysql_db",
    .params = mydb_params,
    .nparams = MOD_N(mydb_params),
    .tools = "mysql,mysqldump",
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

/* Runs the statements `sql`: < 0 when the host was lost; *r is the
 * failure ("error WHAT database: ...") when the client failed. */
static int run_changes(RtHost *h, RtValue *args, const char *sql, const char *what, RtValue **r) {
  RtValue *j = NULL;
  int st = mod_db_run(h, MOD_DB_MY, args, NULL, sql, &j, r);
  rt_decref(j);
  if (st >= 0 && *r) {
    RtValue *m = rt_dict_get(*r, "msg");
    char *msg = rt_xasprintf("error %s database: %s", what, m ? m->u.str.s : "");
    rt_decref(*r);
    *r = mod_fail_result("%s", msg);
    free(msg);
  }
  return st;
}

/* The compression program a target's extension names (os.path.splitext). */
static const char *compressor(const char *target) {
  const char *base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
  while (*base == '.')
    base++;
  const char *dot = strrchr(base, '.');
  static const char *const ext[][2] = {{".gz", "gzip"}, {".bz2", "bzip2"}, {".xz", "xz"}};
  for (size_t i = 0; dot && i < 3; i++)
    if (strcmp(dot, ext[i][0]) == 0)
      return ext[i][1];
  return NULL;
}

/* " --opt=VALUE" with the value shlex-quoted, when arg `arg` is given. */
static void opt_q(RtBuf *b, RtValue *args, const char *arg, const char *opt) {
  char *v = mod_arg_str(args, arg);
  if (v) {
    rt_buf_printf(b, " %s=", opt);
    mod_py_shlex_quote(b, v);
  }
  free(v);
}

/* The client's options after its config file, as db_dump (dump) or
 * db_import builds them: `shown` with the password, `run` without it. */
static void client_opts(RtBuf *shown, RtBuf *run, RtValue *args, bool dump) {
  char *user = mod_arg_str(args, "login_user"), *pw = mod_arg_str(args, "login_password");
  RtBuf *both[2] = {shown, run};
  for (int k = 0; k < 2; k++) {
    RtBuf *b = both[k];
    if (mod_arg_bool(args, "check_implicit_admin", 0) == 1)
      rt_buf_puts(b, k ? " --user=root" : " --user=root --password=''");
    else {
      if (user && (dump || *user)) {
        rt_buf_puts(b, " --user=");
        mod_py_shlex_quote(b, user);
      }
      if (pw && (dump || *pw) && !k) {
        rt_buf_puts(b, " --password=");
        if (mod_arg_bool(args, "unsafe_login_password", 0) == 1)
          rt_buf_puts(b, pw);
        else
          mod_py_shlex_quote(b, pw);
      }
    }
    opt_q(b, args, "client_cert", "--ssl-cert");
    opt_q(b, args, "client_key", "--ssl-key");
    opt_q(b, args, "ca_cert", "--ssl-ca");
    if (mod_arg_bool(args, "force", 0) == 1)
      rt_buf_puts(b, dump ? " --force" : " -f");
    char *sock = mod_arg_str(args, "login_unix_socket");
    if (sock)
      opt_q(b, args, "login_unix_socket", "--socket");
    else {
      char *host = mod_arg_str(args, "login_host");
      long long port = 3306;
      mod_arg_int(args, "login_port", &port);
      rt_buf_puts(b, " --host=");
      mod_py_shlex_quote(b, host ? host : "localhost");
      rt_buf_printf(b, " --port=%lld", port);
      free(host);
    }
    free(sock);
  }
  free(user);
  free(pw);
}

/* Appends `tail` to both lines and empties it. */
static void both_flush(RtBuf *tail, RtBuf *shown, RtBuf *run) {
  rt_buf_add(shown, tail->data ? tail->data : "", tail->len);
  rt_buf_add(run, tail->data ? tail->data : "", tail->len);
  tail->len = 0;
}

/* `prefix` and a value the collection pastes unquoted into its shell line
 * (a --databases name, an ignored table): shown as it pastes it, run
 * shlex-quoted, so no value is read as shell text on the target. */
static void unquoted(RtBuf *tail, RtBuf *shown, RtBuf *run, const char *prefix, const char *v) {
  both_flush(tail, shown, run);
  rt_buf_printf(shown, "%s%s", prefix, v);
  rt_buf_puts(run, prefix);
  mod_py_shlex_quote(run, v);
}

/* state=dump or import: the command line, run on the target, `cmds` gets
 * it as Ansible's executed_commands shows it. The result, or NULL when the
 * host was lost. */
static RtValue *dump_or_import(RtHost *h, RtValue *args, RtValue *names, bool all, bool dump, RtValue *cmds) {
  char *target = mod_arg_str(args, "target"), *cf = mod_arg_str(args, "config_file");
  char *enc = mod_arg_str(args, "encoding"), *extra = mod_arg_str(args, "dump_extra_args");
  char *chdir = mod_arg_str(args, "chdir");
  const char *zip = compressor(target), *tool = dump ? "mysqldump" : "mysql";
  bool pipefail = dump && mod_arg_bool(args, "pipefail", 0) == 1;
  bool restrict_cf = mod_arg_bool(args, "restrict_config_file", 0) == 1;
  RtBuf shown = {0}, run = {0}, s = {0}, tail = {0};
  RtValue *r = NULL;
  char *pw = NULL;
  client_opts(&shown, &run, args, dump);
  if (dump) {
    if (all)
      rt_buf_puts(&tail, " --all-databases");
    else if (rt_len(names) > 1) {
      rt_buf_puts(&tail, " --databases");
      for (size_t i = 0; i < rt_len(names); i++)
        unquoted(&tail, &shown, &run, " ", rt_list_at(names, i)->u.str.s);
    } else {
      rt_buf_putc(&tail, ' ');
      mod_py_shlex_quote(&tail, rt_list_at(names, 0)->u.str.s);
    }
    if (mod_arg_bool(args, "skip_lock_tables", 0) == 1)
      rt_buf_puts(&tail, " --skip-lock-tables");
    if (enc && *enc)
      opt_q(&tail, args, "encoding", "--default-character-set");
    if (mod_arg_bool(args, "single_transaction", 0) == 1)
      rt_buf_puts(&tail, " --single-transaction=true");
    if (mod_arg_bool(args, "quick", 1) == 1)
      rt_buf_puts(&tail, " --quick");
    RtValue *ign = mod_arg_list(args, "ignore_tables");
    for (size_t i = 0; ign && i < rt_len(ign); i++)
      unquoted(&tail, &shown, &run, " --ignore-table=", rt_list_at(ign, i)->u.str.s);
    rt_decref(ign);
    if (mod_arg_bool(args, "hex_blob", 0) == 1)
      rt_buf_puts(&tail, " --hex-blob");
    long long md = 0;
    if (mod_arg_int(args, "master_data", &md) == 1 && md)
      rt_buf_printf(&tail, " --master-data=%lld", md);
    if (extra) { /* its words, each quoted, where the collection pastes shell text */
      RtValue *w = mod_py_shlex_split(extra);
      if (!w) {
        r = mod_fail_result("dump_extra_args: No closing quotation");
        goto done;
      }
      both_flush(&tail, &shown, &run);
      rt_buf_printf(&shown, " %s", extra);
      for (size_t i = 0; i < rt_len(w); i++) {
        rt_buf_putc(&run, ' ');
        mod_py_shlex_quote(&run, rt_list_at(w, i)->u.str.s);
      }
      rt_decref(w);
    }
  } else {
    if (enc && *enc)
      opt_q(&tail, args, "encoding", "--default-character-set");
    if (!all) {
      rt_buf_puts(&tail, " --one-database ");
      RtBuf joined = {0};
      rt_buf_add(&joined, "", 0);
      for (size_t i = 0; i < rt_len(names); i++)
        rt_buf_puts(&joined, rt_list_at(names, i)->u.str.s);
      mod_py_shlex_quote(&tail, joined.data);
      rt_buf_free(&joined);
    }
  }
  both_flush(&tail, &shown, &run);
  /* on the target: the programs' paths and the config file, then the line */
  rt_buf_printf(&s, "%s", "");
  {
    RtBuf need = {0};
    rt_buf_printf(&need, "%s%s%s", tool, zip ? "," : "", zip ? zip : "");
    if (pipefail)
      rt_buf_puts(&need, ",bash");
    mod_sh_need(&s, need.data);
    rt_buf_free(&need);
  }
  rt_buf_puts(&s, "__q() { case $1 in '') printf \"''\" ;; *[!A-Za-z0-9_@%+=:,./-]*) printf \"'%s'\" \"$(printf '%s' "
                  "\"$1\" | sed \"s/'/'\\\"'\\\"'/g\")\" ;; *) printf '%s' \"$1\" ;; esac; }\n");
  rt_buf_printf(&s, "bin=$(PATH=$__playc_p command -v %s)\n", tool);
  if (zip)
    rt_buf_printf(&s, "zip=$(PATH=$__playc_p command -v %s)\n", zip);
  if (chdir) {
    mod_sh_set_path(&s, "wd", chdir);
    rt_buf_puts(&s, "cd -- \"$wd\" 2>/dev/null || { __playc_rec fail nochdir; __playc_rec path \"$wd\"; exit 2; }\n");
  }
  mod_sh_set_path(&s, "cf", cf ? cf : "~/.my.cnf");
  mod_sh_set_path(&s, "tg", target);
  rt_buf_printf(&s, "pre=$bin; [ -e \"$cf\" ] && pre=\"$pre --defaults-%sfile=$(__q \"$cf\")\"\n", restrict_cf ? "" : "extra-");
  mod_sh_set(&s, "shown", shown.data);
  mod_sh_set(&s, "run", run.data);
  if (!dump)
    rt_buf_puts(&s, "[ -e \"$tg\" ] || { __playc_rec fail notarget; __playc_rec path \"$tg\"; exit 2; }\n");
  if (dump && zip)
    rt_buf_printf(&s, "post=\" | $zip > $(__q \"$tg\")\"; %s\n",
                  pipefail ? "pf='set -o pipefail && '" : "pf=");
  else if (dump)
    rt_buf_puts(&s, "post=\" > $(__q \"$tg\")\"; pf=\n");
  if (dump)
    rt_buf_puts(&s, "__playc_rec cmd \"$pf$pre$shown$post\"; cmd=\"$pf$pre$run$post\"\n");
  else if (zip) /* the collection shows the client's argv as a Python list */
    rt_buf_puts(&s, "__playc_rec zip \"$zip\"; __playc_rec pre \"$pre\"; __playc_rec tg \"$tg\"; "
                    "cmd=\"$zip -dc $(__q \"$tg\") | $pre$run\"\n");
  else
    rt_buf_puts(&s, "__playc_rec cmd \"$pre$shown < $(__q \"$tg\")\"; cmd=\"$pre$run < $(__q \"$tg\")\"\n");
  rt_buf_puts(&s, "unset MYSQL_PWD\n");
  pw = mod_arg_str(args, "login_password");
  if (pw && *pw && mod_arg_bool(args, "check_implicit_admin", 0) != 1) {
    mod_sh_set(&s, "MYSQL_PWD", pw);
    rt_buf_puts(&s, "export MYSQL_PWD\n");
  }
  rt_buf_printf(&s, "%s -c \"$cmd\"; __playc_rec rc $?\n", pipefail ? "\"$(PATH=$__playc_p command -v bash)\"" : "/bin/sh");
  RtExec ex;
  if (mod_sh_exec(h, &s, &ex) < 0)
    goto done;
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto out;
  if (mod_rec_is(&ex, "fail", "nochdir")) {
    r = mod_fail_result("Cannot change the current directory to %s: [Errno 2] No such file or directory: '%s'", chdir,
                        mod_rec(&ex, "path"));
    goto out;
  }
  if (mod_rec_is(&ex, "fail", "notarget")) {
    r = mod_fail_result("target %s does not exist on the host", target);
    goto out;
  }
  RtBuf text = {0};
  if (mod_rec(&ex, "cmd"))
    rt_buf_puts(&text, mod_rec(&ex, "cmd"));
  else { /* '%s -dc %s | %s' % (zip, target, cmd) with cmd a list */
    RtValue *argv = rt_list_new(8);
    const char *pre = mod_rec(&ex, "pre"), *sp = strchr(pre, ' ');
    rt_list_push(argv, sp ? rt_str(pre, (size_t)(sp - pre)) : rt_strz(pre));
    if (sp)
      rt_list_push(argv, rt_strz(sp + 1));
    RtValue *words = mod_words(shown.data);
    for (size_t i = 0; i < rt_len(words); i++)
      rt_list_push(argv, rt_incref(rt_list_at(words, i)));
    rt_decref(words);
    rt_buf_printf(&text, "%s -dc %s | ", mod_rec(&ex, "zip"), mod_rec(&ex, "tg"));
    rt_render_repr(&text, argv);
    rt_decref(argv);
  }
  char *masked = mod_db_mask(text.data ? text.data : "", pw);
  rt_list_push(cmds, rt_strz(masked));
  free(masked);
  rt_buf_free(&text);
  if (mod_rec_int(&ex, "rc", -1) != 0) {
    r = mod_fail_result("%s", ex.err.data ? ex.err.data : "");
    goto out;
  }
  r = rt_dict_new(5);
  rt_dict_set(r, "msg", rt_str(ex.out.data ? ex.out.data : "", ex.out.len));
out:
  rt_exec_free(&ex);
done:
  rt_buf_free(&shown);
  rt_buf_free(&run);
  rt_buf_free(&tail);
  free(pw);
  free(target);
  free(cf);
  free(enc);
  free(extra);
  free(chdir);
  return r;
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
  bool dump = state && strcmp(state, "dump") == 0, import = state && strcmp(state, "import") == 0;
  bool all = rt_len(names) == 1 && strcmp(rt_list_at(names, 0)->u.str.s, "all") == 0;
  long long port = 3306;
  if (mod_arg_int(args, "login_port", &port) == 1 && (port < 0 || port > 65535)) {
    r = mod_fail_result("login_port must be a valid unix port number (0-65535)");
    goto done;
  }
  RtValue *ign = mod_arg_list(args, "ignore_tables");
  for (size_t i = 0; ign && i < rt_len(ign) && !r; i++)
    if (!*rt_list_at(ign, i)->u.str.s)
      r = mod_fail_result("Name of ignored table cannot be empty");
  rt_decref(ign);
  if (r)
    goto done;
  if (rt_len(names) > 1 && import) {
    r = mod_fail_result("Multiple databases are not supported with state=import");
    goto done;
  }
  if ((dump || import) && !rt_dict_get(args, "target")) {
    r = mod_fail_result("with state=%s target is required", state);
    goto done;
  }
  if (all && !dump && !import) {
    r = mod_fail_result("name is not allowed to equal 'all' unless state equals import, or dump.");
    goto done;
  }
  if (all) { /* only the connection is checked */
    RtValue *none = rt_list_new(0);
    read_sql(&q, none);
    rt_decref(none);
  } else
    read_sql(&q, names);
  if (mod_db_run(h, MOD_DB_MY, args, NULL, q.data, &j, &r) < 0 || r)
    goto done;
  q.len = 0;
  if (dump || import) {
    RtBuf missing = {0};
    for (size_t i = 0; !all && i < rt_len(names); i++)
      if (!exists_at(mod_db_answer(j, 0), i)) {
        if (import) {
          RtBuf b = {0};
          create_sql(&b, rt_list_at(names, i)->u.str.s, enc ? enc : "", coll ? coll : "");
          rt_buf_printf(&q, "%s;\n", b.data);
          rt_list_push(cmds, rt_strz(b.data));
          rt_buf_free(&b);
        }
        rt_buf_printf(&missing, "%s%s", missing.len ? ", " : "", rt_list_at(names, i)->u.str.s);
      }
    if (dump && missing.len) {
      RtBuf m = {0};
      RtValue *ms = rt_str(missing.data, missing.len);
      rt_buf_puts(&m, "Cannot dump database(s) ");
      rt_render_repr(&m, ms);
      rt_buf_puts(&m, " - not found");
      rt_decref(ms);
      r = mod_fail_result("%s", m.data);
      rt_buf_free(&m);
      rt_buf_free(&missing);
      goto done;
    }
    rt_buf_free(&missing);
    if (!h->check_mode && q.len && (run_changes(h, args, q.data, "creating", &r) < 0 || r))
      goto done;
    if (!h->check_mode && (r = dump_or_import(h, args, names, all, dump, cmds)) == NULL)
      goto done;
    if (r && rt_dict_get(r, "failed"))
      goto done;
    if (!r)
      r = rt_dict_new(4);
    rt_dict_set(r, "changed", rt_bool(true));
    rt_dict_set(r, "db", rt_strz(name.data ? name.data : ""));
    rt_dict_set(r, "db_list", rt_incref(names));
    if (!h->check_mode)
      rt_dict_set(r, "executed_commands", rt_incref(cmds));
    goto done;
  }
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
  if (changed && !h->check_mode && (run_changes(h, args, q.data, absent ? "deleting" : "creating", &r) < 0 || r))
    goto done;
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
