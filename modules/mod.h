/*
 * mod.h — the built-in modules' implementations (runtime side). Each is C on
 * the controller plus, for remote modules, minimal POSIX shell on the target.
 * mod_schemas[] (modules.h) and rt_modules[] (registry.c) share modules.def's
 * order. A module file compiled with MOD_SCHEMA_ONLY (into playc) sees only
 * modules.h: its schema is data the compiler checks arguments against.
 */
#ifndef PLAYC_MOD_H
#define PLAYC_MOD_H

#include "modules.h"
/* The parameters every database module shares (db.c), as schema entries. */
#define MOD_DB_PG_COMMON_PARAMS                                                                          \
  {.name = "login_user", .type = MP_STR, .aliases = "login", .def = "postgres"},                          \
      {.name = "login_password", .type = MP_STR, .no_log = true, .def = ""},                              \
      {.name = "login_host", .type = MP_STR, .aliases = "host", .def = ""},                               \
      {.name = "login_unix_socket", .type = MP_STR, .aliases = "unix_socket", .def = ""},                 \
      {.name = "port", .type = MP_INT, .aliases = "login_port", .def = "5432"},                           \
      {.name = "ssl_mode", .type = MP_STR, .def = "prefer",                                               \
       .choices = "allow,disable,prefer,require,verify-ca,verify-full"},                                  \
      {.name = "ca_cert", .type = MP_STR, .aliases = "ssl_rootcert"},                                     \
      {.name = "ssl_cert", .type = MP_PATH}, {.name = "ssl_key", .type = MP_PATH},                        \
      {.name = "connect_params", .type = MP_DICT, .def = "{}"}
#define MOD_DB_MY_COMMON_PARAMS                                                                          \
  {.name = "login_user", .type = MP_STR}, {.name = "login_password", .type = MP_STR, .no_log = true},   \
      {.name = "login_host", .type = MP_STR, .def = "localhost"},                                          \
      {.name = "login_port", .type = MP_INT, .def = "3306"}, {.name = "login_unix_socket", .type = MP_STR}, \
      {.name = "config_file", .type = MP_PATH, .def = "~/.my.cnf"},                                        \
      {.name = "connect_timeout", .type = MP_INT, .def = "30"},                                            \
      {.name = "client_cert", .type = MP_PATH, .aliases = "ssl_cert"},                                     \
      {.name = "client_key", .type = MP_PATH, .aliases = "ssl_key"},                                       \
      {.name = "ca_cert", .type = MP_PATH, .aliases = "ssl_ca"},                                           \
      {.name = "check_hostname", .type = MP_BOOL}

#ifndef MOD_SCHEMA_ONLY
#include "rt.h"

#include <time.h>

#define MOD(n) RtValue *mod_##n(RtHost *h, RtValue *args);
#include "modules.def"
#undef MOD

/* copy.c: the copy action for one body made on the controller (template's
 * rendered text): dest, a folder dest getting `base`, and the file
 * arguments from `args` (borrowed). NULL when the host was lost. */
RtValue *mod_copy_body(RtHost *h, RtValue *args, const void *data, size_t len, const char *base);
/* Renders compiled template file `f` (found for `src`; `dest` NULL for a
 * lookup) with `fn` on `h`, with the vars Ansible's
 * generate_ansible_template_vars adds: the text, or an error value. */
RtValue *mod_template_render(RtHost *h, RtExprFn fn, const RtFileDef *f, const char *src, const char *dest);

/* ---- args.c: argument access and result helpers shared by modules ---------- */

/* The text of arg `name` (str as is; int/float/bool as Python str()), or NULL
 * when absent or None. Returns a malloc'd string. */
char *mod_arg_str(RtValue *args, const char *name);
/* Arg `name` as a bool per Ansible's boolean(); `def` when absent. -1 when not
 * a boolean (the caller fails the task). */
int mod_arg_bool(RtValue *args, const char *name, int def);
/* A file mode arg: int bits, or an octal string. -1 absent, -2 invalid. */
long mod_arg_mode(RtValue *args, const char *name);
/* A failed result {"failed": true, "msg": msg, "changed": false}. */
RtValue *mod_fail_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The result of an error Ansible raises inside the action rather than
 * returning (e.g. assert's conditional cannot be evaluated): {failed, msg}
 * and no "changed". Takes the malloc'd `msg`. */
RtValue *mod_raise(char *msg);
/* Python's repr() of `s` as bytes: b'...' (appends to `b`). */
void mod_py_bytes_repr(RtBuf *b, const char *s);
/* Splits a string into lines as Python's str.splitlines() does. */
RtValue *mod_lines(const char *s, size_t len);
/* Splits a string at runs of whitespace as Python's str.split() does. */
RtValue *mod_words(const char *s);
/* "YYYY-MM-DD HH:MM:SS.ffffff" for a timespec, into buf (>= 32 bytes). */
void mod_time_text(char *buf, size_t cap, const struct timespec *ts);
/* "H:MM:SS.ffffff" for the difference b - a. */
void mod_delta_text(char *buf, size_t cap, const struct timespec *a, const struct timespec *b);

/* ---- target.c: module scripts and their records ------------------------------------
 * Every value reaches a script through these (quoted, used as "$var", after
 * `--`); every result comes back as a record (RtExec.rec). Scripts may rely
 * on rt_target_prelude's functions (__playc_rec KEY VALUE and the others). */

/* var='value' and a newline. */
void mod_sh_set(RtBuf *s, const char *var, const char *value);
/* Runs script s on the host and frees it. < 0 when the host could not be
 * reached (rt_host_exec has recorded why); ex is then not filled. */
int mod_sh_exec(RtHost *h, RtBuf *s, RtExec *ex);
/* var = `path` after Ansible's type=path expansion (os.path.expandvars, then
 * expanduser), done on the target; a plain path is a plain assignment. */
void mod_sh_set_path(RtBuf *s, const char *var, const char *path);
/* Python's int(s) for a str (spaces, sign, digits, '_' between digits). */
bool mod_py_int(const char *s, long long *out);

/* File attributes as Ansible's set_fs_attributes_if_different applies them:
 * owner, then group, then mode. */
typedef struct ModAttrs {
  const char *owner, *group; /* names or numbers, NULL when not asked */
  long mode;                 /* octal bits, or -1 */
  const char *symbolic;      /* a symbolic mode ("u+x,g-w"), or NULL */
  bool recurse;
} ModAttrs;
/* Looks up owner and group on the target, changing nothing: ou, og, and af
 * (the failed lookup, nouser or nogroup, or empty). */
void mod_sh_attrs_begin(RtBuf *s, const ModAttrs *a);
/* Applies the attributes to "$pathvar" where they differ (ch=1; only checked
 * when ck=1). A lookup that failed, or a refused chown/chgrp, records the
 * path's stat and fail=nouser|nogroup|chown|chgrp, runs the shell text
 * `on_fail` (may be NULL) and ends the script. */
void mod_sh_attrs_apply(RtBuf *s, const char *pathvar, const ModAttrs *a, const char *on_fail);
/* The result of such a failure, as Ansible's fail_json(path=...) gives it;
 * NULL when the records hold none. */
RtValue *mod_attrs_failure(const RtExec *ex, const ModAttrs *a, const char *path);

/* A private temp file in directory "$dirvar" (umask 077, noclobber, a random
 * name written into `name`): __playc_tmp holds its path. The script must have
 * called __playc_traps; the EXIT trap removes it unless the script clears
 * __playc_tmp (renamed, or kept for a later request). */
enum { MOD_TEMP_NAME = 40 };
void mod_sh_temp_beside(RtBuf *s, const char *dirvar, char name[MOD_TEMP_NAME]);
/* Runs the argv `words` (a list) as a program, never a function, builtin or
 * option: words expanded as paths when `expand` (Ansible's run_command);
 * fail=nocmd and exit 2 when there is no such program. Ends the script. */
void mod_sh_run(RtBuf *s, RtValue *words, bool expand);

/* A record's value, or NULL. */
const char *mod_rec(const RtExec *ex, const char *key);
bool mod_rec_is(const RtExec *ex, const char *key, const char *value);
long long mod_rec_int(const RtExec *ex, const char *key, long long def);
/* Adds Ansible's add_path_info keys (uid gid owner group mode state size)
 * from the st.* records of __playc_stat; nothing when there are none. */
void mod_add_stat(RtValue *r, const RtExec *ex);

/* ---- pyre.c: Python's `re` on PCRE2 (file-content family) -------------------------
 * Patterns are translated where the dialects differ; `text` false matches
 * bytes with ASCII classes (patterns Ansible compiles from bytes), true
 * matches UTF-8 text with Unicode classes. */
typedef struct ModRe ModRe;
enum { MOD_RE_MULTILINE = 1, MOD_RE_DOTALL = 2, MOD_RE_IGNORECASE = 4, MOD_RE_VERBOSE = 8 };
typedef struct ModReMatch {
  const size_t *ov; /* start, end pairs; (size_t)-1 for a group that did not take part */
  int n;            /* pairs */
} ModReMatch;
/* NULL with *err (malloc'd) when the pattern does not compile. */
ModRe *mod_re_compile(const char *pat, size_t len, int flags, bool text, char **err);
void mod_re_free(ModRe *re);
/* The MOD_RE_* flags: those given and the pattern's leading (?flags). */
int mod_re_flags(const ModRe *re);
int mod_re_groups(const ModRe *re);
/* pattern.search(s, start), or pattern.match when `anchored`. The match
 * stays valid until the next call on `re`. */
bool mod_re_search(ModRe *re, const char *s, size_t len, size_t start, bool anchored, ModReMatch *m);
/* Group g's bounds; false when it did not take part. */
bool mod_re_group(const ModReMatch *m, int g, size_t *b, size_t *e);
/* The bounds of the group called `name`; false when absent or unmatched. */
bool mod_re_named(const ModRe *re, const ModReMatch *m, const char *name, size_t *b, size_t *e);
/* The next match of finditer() from *pos (0 and false to begin). */
bool mod_re_next(ModRe *re, const char *s, size_t len, size_t *pos, bool *after_empty, ModReMatch *m);
/* match.expand(template), appended to `out`; false with *err (Python's words). */
bool mod_re_expand(const ModRe *re, const ModReMatch *m, const char *subject, const char *tmpl, size_t tlen,
                   RtBuf *out, char **err);
/* re.subn(pattern, repl, s): the new text (malloc'd, *outlen bytes) and the
 * count; NULL with *err for a bad template. */
char *mod_re_subn(ModRe *re, const char *s, size_t len, const char *repl, size_t rlen, size_t *outlen, long *count,
                  char **err);

/* ---- xml.c: the XML the target's tools print (zypper --xmlout) -------------------- */
#define MOD_XML_NONE ((size_t)-1)
typedef struct ModXmlElem {
  char *name;
  size_t parent; /* the parent's index, or MOD_XML_NONE for the root */
  size_t nattr;
  char **attr;   /* nattr (name, value) pairs, values decoded */
  char *text;    /* childNodes[0].data: the text before the first child, decoded; or NULL */
} ModXmlElem;
typedef struct ModXml {
  ModXmlElem *v; /* in document order */
  size_t n, cap;
} ModXml;
/* Parses `s` into *out (always freed by mod_xml_free, even on error).
 * Returns NULL, or expat's message for what is not well formed (malloc'd). */
char *mod_xml_parse(const char *s, ModXml *out);
/* The value of attribute `name` (borrowed), or NULL (getAttribute gives ""). */
const char *mod_xml_attr(const ModXmlElem *e, const char *name);
void mod_xml_free(ModXml *x);
/* XML text [s, s+n) with its five entities and character references decoded (malloc'd). */
char *mod_xml_text(const char *s, size_t n);
/* ---- edit.c: reading a file and writing it back (file-content family) -------------
 * The file-content modules read the file in one request, compute on the
 * controller, and write it back atomically only when it changes. */
enum { MOD_EDIT_INLINE = 256 * 1024 }; /* bodies up to this travel inside a request or reply */
enum { MOD_EDIT_ABSENT, MOD_EDIT_FILE, MOD_EDIT_LINK, MOD_EDIT_DIR };
typedef struct ModEdit {
  /* the common file arguments (mod_edit_init) */
  char *owner, *group, *symbolic, *validate;
  long mode; /* octal bits, or -1 */
  bool backup, unsafe_writes, check, diff;
  bool selinux; /* an se* argument was given */
  /* what mod_edit_read found */
  char *path;   /* expanded on the target */
  int kind;     /* MOD_EDIT_* (a link is followed for the content) */
  bool parent_exists, unreadable, selinux_on;
  RtBuf data;   /* the content of a file or link */
  long long uid, gid, size; /* the file's (lstat), or the module's own ids for a new file */
  long cur_mode, umask;
  char *af;     /* "nouser" / "nogroup": owner or group not found on the target */
  RtValue *stat; /* add_path_info's keys for the file (dict), or NULL */
  long long ou, og; /* the ids of owner and group */
  /* what mod_edit_write changes */
  long long set_uid, set_gid;
  long set_mode;
} ModEdit;
/* Reads the file common arguments (owner, group, mode, backup, validate,
 * unsafe_writes, se*) and the task's check and diff modes. */
void mod_edit_init(ModEdit *e, RtHost *h, RtValue *args);
void mod_edit_free(ModEdit *e);
/* One request: expands `path` on the target and reads what it is and holds.
 * -1 when the host was lost (the module returns NULL); else 0, with *fail a
 * failure result (or NULL). */
int mod_edit_read(RtHost *h, ModEdit *e, const char *path, RtValue **fail);
/* Writes `data` when `content_changed` (through the symlink when `follow`,
 * as os.path.realpath), then the attributes asked for, in one request and
 * only when something differs (never in check mode). `attr_diff` (may be
 * NULL) gets Ansible's before/after attribute keys. Returns a failure
 * result, or NULL (success, or the host lost: rt_host_lost). */
RtValue *mod_edit_write(RtHost *h, ModEdit *e, const char *data, size_t len, bool content_changed, bool follow,
                        RtValue *attr_diff, bool *attrs_changed, char **backup_file);
/* Base64 text (lines) back to bytes, appended to `out` (never left NULL).
 * False when it is not base64. */
bool mod_unbase64(const char *s, size_t len, RtBuf *out);
/* `data` as base64 lines of 4096 characters (malloc'd, *outlen bytes): what
 * a script's `base64 -d` reads from a request's body. */
char *mod_base64_lines(const void *data, size_t len, size_t *outlen);
/* fail_json(path=...): the path and the file's stat (add_path_info) into `r`. */
void mod_edit_path_info(const ModEdit *e, RtValue *r);
/* Ansible's _symbolic_mode_to_octal: the mode `sym` gives a file of mode
 * `prev`; -1 when it is not a valid symbolic mode. */
long mod_symbolic_mode(const char *sym, long prev, bool isdir, long umask);
/* ---- pkgsvc.c: shared by the package and service modules (apt, service ...) ---------
 * Their scripts start with mod_ps_sh_begin, which defines (after __playc_traps
 * and a private scratch folder in __playc_scr): pc_bin NAME [DIR...]
 * (Ansible's get_bin_path: pc_v = the full path; status 1 when missing),
 * pc_nobin NAME (records the missing tool, ends the script), pc_locale
 * (pc_loc = get_best_parsable_locale), pc_cap KEY CMD... and pc_capin KEY
 * DATA CMD... (run a program by full path, records KEY.rc, KEY.out,
 * KEY.err; output goes to files, never to a pipe a daemon could hold). */
void mod_ps_sh_begin(RtBuf *s);
/* var=<full path of `tool`> or, when it is missing, the failure naming it. */
void mod_ps_sh_need(RtBuf *s, const char *var, const char *tool);
/* The failure of a missing required tool (get_bin_path's message) or of the
 * scratch folder, or NULL. */
RtValue *mod_ps_missing(const RtExec *ex);
/* What pc_cap recorded under `key`: exit status and output (malloc'd). */
typedef struct ModCap {
  int rc; /* -1 when the command did not run */
  char *out, *err;
} ModCap;
bool mod_ps_cap(const RtExec *ex, const char *key, ModCap *c);
void mod_ps_cap_free(ModCap *c);
/* Arg `name` as Ansible's type='list', elements='str': a list of str
 * values (a string split on ','), or NULL when absent or (with *err set,
 * malloc'd, AnsibleModule's message) not convertible. */
RtValue *mod_ps_arg_list(RtValue *args, const char *name, char **err);
/* Arg `name` as type='int' (`def` when absent); false with *err set. */
bool mod_ps_arg_int(RtValue *args, const char *name, long long def, long long *out, char **err);
/* stdout, stderr and their splitlines(), as _execute_module adds them. */
void mod_ps_out(RtValue *r, const char *out, const char *err);
/* Python's shlex.split(s) (POSIX, no comments): a list of str, or NULL
 * when a quote is not closed. */
RtValue *mod_py_shlex_split(const char *s);
/* Shell that records Ansible's pkg_mgr fact (record pkg_mgr) and its
 * service_mgr fact on Linux (record service_mgr; needs mod_ps_sh_begin). */
void mod_ps_sh_pkg_mgr(RtBuf *s);
/* The host's pkg_mgr found on the target in one request, as the package
 * and yum actions' setup call finds it ("auto" when none); NULL when the
 * host was lost or the request failed (then *fail holds the result). */
char *mod_ps_detect_pkg_mgr(RtHost *h, RtValue **fail);
void mod_ps_sh_service_mgr(RtBuf *s);
/* A string fact of the host (ansible_facts.NAME), borrowed, or NULL. */
const char *mod_ps_fact(RtHost *h, const char *name);
/* AnsibleModule's "Unsupported parameters for (MODULE) module: ..." for the
 * keys of `args` schema `m` lacks (malloc'd), or NULL. */
char *mod_ps_unsupported_params(const ModSchema *m, const char *module, RtValue *args);
/* `args` (without `drop`) for a module an action hands them to (package →
 * apt, service → systemd): aliases resolved to the parameters' names, then
 * checked as AnsibleModule checks them. NULL with *fail on a violation. */
RtValue *mod_ps_args_for(const ModSchema *m, const char *module, RtValue *args, const char *drop, RtValue **fail);
/* apt's messages as python-apt raises them: its "E: x" lines (and "W: x"
 * with `warnings`) as "E:x", joined by ", " (malloc'd, "" when none). */
char *mod_ps_apt_errors(const char *err, bool warnings);
/* Python's shlex.quote(s), appended to b. */
void mod_py_shlex_quote(RtBuf *b, const char *s);
/* Python's fnmatch.fnmatch on POSIX. */
bool mod_fnmatch(const char *pattern, const char *name);
/* dpkg's version comparison: <0, 0, >0. */
int mod_deb_version_cmp(const char *a, const char *b);

/* ---- sysutil.c: helpers of the system family (user, cron, mount, get_url ...) ----
 * Added with that family; usable by any module. */

/* Arg `name` as an integer: an int, a float (truncated, as Python's int()),
 * or a string Python's int() takes. 0 when absent or None, 1 with *out set,
 * -1 when it is not an integer. */
int mod_arg_int(RtValue *args, const char *name, long long *out);
/* Arg `name` as Ansible's type=list of str: a list (each element's str()),
 * or a string split at commas; a scalar becomes a one-element list. NULL
 * when absent or None. New reference. */
RtValue *mod_arg_list(RtValue *args, const char *name);
/* Ansible's PKG_MGRS: {path, name} pairs in its order (facts_linux.c); the
 * pkg_mgr fact and the package module both probe them. */
extern const char *const mod_pkg_mgrs[][2];
extern const size_t mod_npkg_mgrs;
/* AnsibleModule's answer in check mode for a module that does not support
 * it: {"skipped": true, "msg": "remote module (NAME) does not support check
 * mode"}. */
RtValue *mod_check_skip(const char *module);
/* Script text: records fail=notool, tool=NAME and path=$PATH, then exits,
 * unless every program of the comma-separated `tools` is found on $PATH or
 * in the sbin folders (Ansible's get_bin_path); each found one is recorded
 * as bin.NAME. */
void mod_sh_need(RtBuf *s, const char *tools);
/* Ansible's get_bin_path failure when the script found a tool missing
 * ("Failed to find required executable ..."), else NULL. */
RtValue *mod_tool_failure(const RtExec *ex);

/* Sets the facts a module returns (ansible_facts) as Ansible's strategy
 * does for any module: each as a host fact, and merged into the
 * ansible_facts dict. `facts` is borrowed. */
void mod_set_facts(RtHost *h, RtValue *facts);

/* Sets "stdout"/"stderr" to a command's output when it is not empty, with
 * the "stdout_lines"/"stderr_lines" Ansible's action adds beside them. */
void mod_set_output(RtValue *r, const RtBuf *out, const RtBuf *err);

/* An argv built on the controller: a command never goes through a shell. */
typedef struct ModArgv {
  char **v;
  size_t n, cap;
} ModArgv;
void mod_argv_add(ModArgv *a, const char *word);
void mod_argv_addf(ModArgv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mod_argv_free(ModArgv *a);
/* Script text: `set --` with the words quoted, so "$@" runs them. */
void mod_sh_argv(RtBuf *s, const ModArgv *a);
/* The words joined by spaces (Ansible's cmd in messages), malloc'd. */
char *mod_argv_text(const ModArgv *a);
/* A list value of the words. */
RtValue *mod_argv_list(const ModArgv *a);

/* ---- db.c: the database modules (mysql_*, postgresql_*) ----------------------------
 * Values enter SQL only through these quoting functions; the SQL goes to the
 * target's client as the request's stdin. */
enum { MOD_DB_PG, MOD_DB_MY };
/* PostgreSQL: "ident" (" doubled) and 'literal' (' doubled; E'' with \\
 * doubled when it holds a backslash). Appended to b. */
void mod_db_pg_ident(RtBuf *b, const char *s);
void mod_db_pg_literal(RtBuf *b, const char *s);
/* SET ROLE "role"; and a newline (session_role), nothing when role is NULL. */
void mod_db_pg_set_role(RtBuf *b, const char *role);
/* MySQL: `ident` (` doubled) and 'literal' (' and \\ doubled). */
void mod_db_my_ident(RtBuf *b, const char *s);
void mod_db_my_literal(RtBuf *b, const char *s);
/* One request: `sql` run by psql (kind MOD_DB_PG; connection from the
 * postgres_common arguments, database from arg `dbarg`, may be NULL) or
 * mysql (MOD_DB_MY; the mysql_common arguments). Each line printed is
 * parsed as JSON: *json is their list (new reference). *fail gets a failure
 * result with the client's message (a missing client, a refused connection,
 * a failed statement). -1 when the host was lost (the module returns NULL). */
int mod_db_run(RtHost *h, int kind, RtValue *args, const char *dbarg, const char *sql, RtValue **json,
               RtValue **fail);
/* The i-th answer of such a list, or NULL (borrowed). */
/* mod_db_run, with the client's output as printed (SHOW statements) in
 * `out`; a mysql "no such grant" error (1141) ends it without failing. */
/* `s` with each occurrence of the secret `pw` written ******** (Ansible
 * censors no_log values in results), malloc'd. */
char *mod_db_mask(const char *s, const char *pw);
int mod_db_run_text(RtHost *h, int kind, RtValue *args, const char *sql, RtBuf *out, RtValue **fail);
RtValue *mod_db_answer(RtValue *json, size_t i);
/* mysql's result sets as its batch mode prints them: *rows is a list of
 * lines, each a list of str fields (escapes undone; NULL is "NULL"), a
 * header line first in each result set. */
int mod_db_my_table(RtHost *h, RtValue *args, const char *sql, RtValue **rows, RtValue **fail);
/* Key `key` of a JSON answer as text (borrowed) or a flag; NULL / false when
 * absent or of another type. */
const char *mod_db_text(RtValue *j, const char *key);
bool mod_db_flag(RtValue *j, const char *key);
/* {changed, KEY: name, executed_commands} (key and cmds may be NULL; cmds
 * borrowed). */
RtValue *mod_db_result(bool changed, const char *key, const char *name, RtValue *cmds);

/* async_status.c: the async keyword. Starts `script` (a command/shell
 * module's) as a background job limited to h->async_limit seconds; the
 * result Ansible's async wrapper returns (ansible_job_id, results_file ...),
 * or NULL when the host was lost. `cmd` is the module's cmd (borrowed). */
RtValue *mod_async_start(RtHost *h, const char *script, const RtValue *cmd);

#endif /* MOD_SCHEMA_ONLY */
#endif
