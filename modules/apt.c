/*
 * apt.c — the apt module, on the target's own tools instead of python-apt:
 * dpkg-query for what is installed, `apt-cache policy` for candidates (the
 * target's pins and default release included), `apt-get` for every change,
 * `apt-mark` to mark requested packages manual, `dpkg` for .deb files.
 *
 * Request 1 does everything that needs no decision from the controller:
 * the tools' paths, `apt-get clean`, the cache age (Ansible's stamp file or
 * lists folder) and the cache update with its retries, an `upgrade` or a
 * cleanup (autoremove, autoclean) when that is the whole task, and the
 * state of the named packages (status, versions and candidates, files,
 * auto marks). Ansible's decision (install/package_status, remove) is then
 * made here, in C, and request 2 runs the one apt-get command Ansible would
 * run, built as Ansible's command line and split as run_command splits it,
 * with `--` before the packages. A task whose packages are already as asked
 * costs one request. Wildcards (fnmatch over `apt-cache pkgnames`), virtual
 * packages (`apt-cache showpkg`) and .deb files (their control fields, then
 * their dependencies) take one more request each to learn what they need.
 *
 * Everything runs with Ansible's environment for apt (DEBIAN_FRONTEND,
 * DEBIAN_PRIORITY, the best parsable locale); results carry Ansible's keys
 * and messages (cache_updated, cache_update_time, stdout, stderr, diff, the
 * failed command line), and check mode runs apt-get --simulate as Ansible.
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam apt_params[] = {
    /* Ansible's argument_spec names it package (the documentation: name) */
    {.name = "package", .type = MP_LIST, .aliases = "pkg,name", .elements = MP_STR},
    {.name = "state", .type = MP_STR, .choices = "absent,build-dep,fixed,latest,present", .def = "present"},
    {.name = "update_cache", .type = MP_BOOL, .aliases = "update-cache"},
    {.name = "update_cache_retries", .type = MP_INT, .def = "5"},
    {.name = "update_cache_retry_max_delay", .type = MP_INT, .def = "12"},
    {.name = "cache_valid_time", .type = MP_INT, .def = "0"},
    {.name = "purge", .type = MP_BOOL, .def = "no"},
    {.name = "default_release", .type = MP_STR, .aliases = "default-release"},
    {.name = "install_recommends", .type = MP_BOOL, .aliases = "install-recommends"},
    {.name = "force", .type = MP_BOOL, .def = "no"},
    {.name = "clean", .type = MP_BOOL, .def = "no"},
    {.name = "allow_unauthenticated", .type = MP_BOOL, .def = "no", .aliases = "allow-unauthenticated"},
    {.name = "allow_downgrade", .type = MP_BOOL, .def = "no",
     .aliases = "allow-downgrade,allow_downgrades,allow-downgrades"},
    {.name = "allow_change_held_packages", .type = MP_BOOL, .def = "no"},
    {.name = "upgrade", .type = MP_STR, .choices = "dist,full,no,safe,yes", .def = "no"},
    {.name = "dpkg_options", .type = MP_STR, .def = "force-confdef,force-confold"},
    {.name = "deb", .type = MP_PATH},
    {.name = "autoremove", .type = MP_BOOL, .def = "no"},
    {.name = "autoclean", .type = MP_BOOL, .def = "no"},
    {.name = "policy_rc_d", .type = MP_INT},
    {.name = "only_upgrade", .type = MP_BOOL, .def = "no"},
    {.name = "fail_on_autoremove", .type = MP_BOOL, .def = "no"},
    {.name = "force_apt_get", .type = MP_BOOL, .def = "no"},
    {.name = "lock_timeout", .type = MP_INT, .def = "60"},
};
const ModSchema mod_schema_apt = {
    .name = "apt",
    .params = apt_params,
    .nparams = MOD_N(apt_params),
    .exclusive = "deb,package,upgrade",
    .one_of = "autoremove,deb,package,update_cache,upgrade",
    .tools = "apt-get,apt-cache,apt-mark,dpkg,dpkg-query",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

#define DPKG_OPTIONS "force-confdef,force-confold"
#define APT_GET_ZERO "\n0 upgraded, 0 newly installed"
#define APTITUDE_ZERO "\n0 packages upgraded, 0 newly installed"

typedef struct Apt {
  RtHost *h;
  /* parameters */
  RtValue *names;                /* list of str, or NULL */
  char *state, *default_release, *upgrade, *dpkg_options, *deb;
  int update_cache;              /* -1: not given */
  long long retries, max_delay, valid_time, policy_rc_d, lock_timeout;
  bool purge, force, clean, allow_unauth, allow_downgrade, allow_held, autoremove, autoclean;
  bool only_upgrade, fail_on_autoremove, force_apt_get, has_policy_rc_d;
  int install_recommends;        /* -1: the OS default */
  bool check, diff;
  /* learned on the target */
  char *apt_get, *aptitude, *apt_mark;
  long long cache_time;
  bool cache_updated;
  bool exited; /* the result is a fail_json of its own (no cache keys added) */
} Apt;

/* A policy entry: what `apt-cache policy` says of one package. */
typedef struct Pol {
  char *name, *installed, *candidate; /* "(none)" as NULL */
  char **versions;                    /* the version table, highest first */
  int nversions;
  bool present;                       /* listed at all */
} Pol;

/* What request 1 (or a follow-up) learned of the named packages. */
typedef struct Known {
  Pol *pol;
  int npol;
  RtValue *dq;    /* dict name → [status word, version] from dpkg-query */
  RtValue *files; /* dict name → true for packages with a file list */
  RtValue *autos; /* dict name → true for auto-installed packages */
} Known;

/* ---- small text helpers ------------------------------------------------------------- */

static char *xstrdup0(const char *s) { return s ? rt_xstrdup(s) : NULL; }

static const char *list_str(RtValue *l, size_t i) { return rt_list_at(l, i)->u.str.s; }

/* Python's str.strip() */
static char *py_strip(const char *s) {
  while (*s && isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return rt_xstrndup(s, n);
}

/* package_split: re.split(r'(>?=)', spec, 1) */
static void package_split(const char *spec, char **name, const char **cmp, char **version) {
  const char *eq = strchr(spec, '=');
  if (!eq) {
    *name = rt_xstrdup(spec);
    *cmp = NULL;
    *version = NULL;
    return;
  }
  bool ge = eq > spec && eq[-1] == '>';
  *name = rt_xstrndup(spec, (size_t)(eq - spec - (ge ? 1 : 0)));
  *cmp = ge ? ">=" : "=";
  *version = rt_xstrdup(eq + 1);
}

static bool has_wildcard(const char *s) { return strpbrk(s, "*?[]!") != NULL; }

/* expand_dpkg_options: -o "Dpkg::Options::=--X" for each option */
static char *expand_dpkg_options(const char *opts) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  const char *p = opts;
  for (;;) {
    const char *c = strchr(p, ',');
    size_t n = c ? (size_t)(c - p) : strlen(p);
    rt_buf_printf(&b, "%s-o \"Dpkg::Options::=--%.*s\"", b.len ? " " : "", (int)n, p);
    if (!c)
      break;
    p = c + 1;
  }
  return rt_buf_take(&b);
}

/* ---- parsing the tools' output ---------------------------------------------------------- */

static void pol_free(Known *k) {
  for (int i = 0; i < k->npol; i++) {
    free(k->pol[i].name);
    free(k->pol[i].installed);
    free(k->pol[i].candidate);
    for (int j = 0; j < k->pol[i].nversions; j++)
      free(k->pol[i].versions[j]);
    free(k->pol[i].versions);
  }
  free(k->pol);
  k->pol = NULL;
  k->npol = 0;
  rt_decref(k->dq);
  rt_decref(k->files);
  rt_decref(k->autos);
  k->dq = k->files = k->autos = NULL;
}

/* `apt-cache policy` (LANG of the parsable locale): a package is "NAME:" at
 * column 0, then "  Installed: V", "  Candidate: V", "  Version table:", then
 * version lines " *** V PRIO" or "     V PRIO", each followed by its sources
 * (eight spaces, a priority, a source). */
static void parse_policy(Known *k, const char *text) {
  RtValue *lines = mod_lines(text, strlen(text));
  Pol *cur = NULL;
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = list_str(lines, i);
    size_t n = strlen(l);
    if (n > 1 && l[0] != ' ' && l[n - 1] == ':') {
      k->pol = rt_xrealloc(k->pol, sizeof *k->pol * (size_t)(k->npol + 1));
      cur = &k->pol[k->npol++];
      memset(cur, 0, sizeof *cur);
      cur->name = rt_xstrndup(l, n - 1);
      cur->present = true;
    } else if (cur && strncmp(l, "  Installed: ", 13) == 0) {
      cur->installed = strcmp(l + 13, "(none)") ? rt_xstrdup(l + 13) : NULL;
    } else if (cur && strncmp(l, "  Candidate: ", 13) == 0) {
      cur->candidate = strcmp(l + 13, "(none)") ? rt_xstrdup(l + 13) : NULL;
    } else if (cur && (strncmp(l, " *** ", 5) == 0 || (strncmp(l, "     ", 5) == 0 && l[5] != ' '))) {
      const char *v = l + 5, *sp = strchr(v, ' ');
      if (!sp)
        continue;
      cur->versions = rt_xrealloc(cur->versions, sizeof *cur->versions * (size_t)(cur->nversions + 1));
      cur->versions[cur->nversions++] = rt_xstrndup(v, (size_t)(sp - v));
    }
  }
  rt_decref(lines);
}

static Pol *pol_find(Known *k, const char *name) {
  for (int i = 0; i < k->npol; i++)
    if (strcmp(k->pol[i].name, name) == 0)
      return &k->pol[i];
  return NULL;
}

/* dpkg-query -f '${Package}\t${Status}\t${Version}\n': name → [state, version] */
static RtValue *parse_dq(const char *text) {
  RtValue *d = rt_dict_new(8);
  RtValue *lines = mod_lines(text, strlen(text));
  for (size_t i = 0; i < rt_len(lines); i++) {
    char *l = rt_xstrdup(list_str(lines, i));
    char *t1 = strchr(l, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    if (t2 && !rt_dict_get(d, (*t1 = 0, l))) {
      *t2 = 0;
      const char *st = strrchr(t1 + 1, ' ');
      RtValue *e = rt_list_new(2);
      rt_list_push(e, rt_strz(st ? st + 1 : t1 + 1));
      rt_list_push(e, rt_strz(t2 + 1));
      rt_dict_set(d, l, e);
    }
    free(l);
  }
  rt_decref(lines);
  return d;
}

/* A set (dict name → true) of the record list `key`. */
static RtValue *rec_set(const RtExec *ex, const char *key) {
  RtValue *d = rt_dict_new(4), *l = ex->rec ? rt_dict_get(ex->rec, key) : NULL;
  for (size_t i = 0; l && i < rt_len(l); i++)
    rt_dict_set(d, list_str(l, i), rt_bool(true));
  return d;
}

/* apt-mark showauto: one name per line */
static RtValue *parse_lines_set(const char *text) {
  RtValue *d = rt_dict_new(4), *lines = mod_lines(text ? text : "", text ? strlen(text) : 0);
  for (size_t i = 0; i < rt_len(lines); i++)
    if (*list_str(lines, i))
      rt_dict_set(d, list_str(lines, i), rt_bool(true));
  rt_decref(lines);
  return d;
}

/* ---- the target side -------------------------------------------------------------------- */

/* Ansible's environment for apt commands, and the tools. */
static void env_script(RtBuf *s) {
  mod_ps_sh_begin(s);
  rt_buf_puts(s, "DEBIAN_FRONTEND=noninteractive; DEBIAN_PRIORITY=critical; export DEBIAN_FRONTEND DEBIAN_PRIORITY\n"
                 "pc_locale; LANG=$pc_loc; LC_ALL=$pc_loc; LC_MESSAGES=$pc_loc; LC_CTYPE=$pc_loc\n"
                 "export LANG LC_ALL LC_MESSAGES LC_CTYPE\n");
  mod_ps_sh_need(s, "ag", "apt-get");
  rt_buf_puts(s, "__playc_rec ag \"$ag\"\n"
                 "if pc_bin aptitude; then __playc_rec aptitude \"$pc_v\"; fi\n"
                 "if pc_bin apt-mark; then __playc_rec am \"$pc_v\"; fi\n");
}

/* `set -- NAME...` for the names of a list of str. */
static void set_args(RtBuf *s, RtValue *names) {
  rt_buf_puts(s, "set --");
  for (size_t i = 0; names && i < rt_len(names); i++) {
    rt_buf_putc(s, ' ');
    rt_sh_quote(s, list_str(names, i));
  }
  rt_buf_putc(s, '\n');
}

/* What is known of "$@": dpkg-query, apt-cache policy, file lists, auto marks. */
static void query_script(RtBuf *s, const Apt *a, RtValue *names) {
  mod_ps_sh_need(s, "dq", "dpkg-query");
  mod_ps_sh_need(s, "ac", "apt-cache");
  set_args(s, names);
  rt_buf_puts(s, "\"$dq\" -W -f='${Package}\\t${Status}\\t${Version}\\n' -- \"$@\" >\"$__playc_scr/o\" 2>/dev/null\n"
                 "__playc_rec dq \"$(cat \"$__playc_scr/o\")\"\n");
  if (a->default_release) {
    mod_sh_set(s, "rel", a->default_release);
    rt_buf_puts(s, "pc_cap pol \"$ac\" -o APT::Default-Release=\"$rel\" policy -- \"$@\"\n");
  } else {
    rt_buf_puts(s, "pc_cap pol \"$ac\" policy -- \"$@\"\n");
  }
  rt_buf_puts(s, ""
                 "for n in \"$@\"; do for f in /var/lib/dpkg/info/\"$n\".list /var/lib/dpkg/info/\"$n\":*.list; do\n"
                 "  if [ -e \"$f\" ]; then __playc_rec 'files[]' \"$n\"; break; fi; done; done\n"
                 "if [ -n \"${am-}\" ]; then \"$am\" showauto -- \"$@\" >\"$__playc_scr/o\" 2>/dev/null; "
                 "__playc_rec auto \"$(cat \"$__playc_scr/o\")\"; fi\n");
}

static void am_var(RtBuf *s) { rt_buf_puts(s, "am=; if pc_bin apt-mark; then am=$pc_v; fi\n"); }

/* Learns what is known of `names` from the records of a query; a failure
 * when apt-cache could not open the cache (python-apt raises there). */
static RtValue *known_from(Known *k, const RtExec *ex) {
  pol_free(k);
  ModCap pc = {0};
  if (mod_ps_cap(ex, "pol", &pc) && pc.rc != 0) {
    char *e = mod_ps_apt_errors(pc.err, true);
    RtValue *r = mod_fail_result("%s", e);
    free(e);
    mod_ps_cap_free(&pc);
    return r;
  }
  parse_policy(k, pc.out ? pc.out : "");
  mod_ps_cap_free(&pc);
  k->dq = parse_dq(mod_rec(ex, "dq") ? mod_rec(ex, "dq") : "");
  k->files = rec_set(ex, "files");
  k->autos = parse_lines_set(mod_rec(ex, "auto"));
  return NULL;
}

/* Runs one request; false when the host was lost (no result). */
static bool run(Apt *a, RtBuf *s, RtExec *ex) {
  char *err = NULL;
  int rc = rt_host_exec(a->h, s->data, NULL, 0, ex, &err);
  free(err);
  rt_buf_free(s);
  return rc == 0;
}

/* A follow-up query of `names` (wildcard matches, providers, deb deps). */
static RtValue *query(Apt *a, RtValue *names, Known *k, bool *lost) {
  RtBuf s = {0};
  RtExec ex;
  env_script(&s);
  am_var(&s);
  query_script(&s, a, names);
  if (!run(a, &s, &ex)) {
    *lost = true;
    return NULL;
  }
  RtValue *fail = mod_ps_missing(&ex);
  if (!fail)
    fail = known_from(k, &ex);
  rt_exec_free(&ex);
  return fail;
}

/* ---- results ----------------------------------------------------------------------------- */

static void add_cache_keys(Apt *a, RtValue *r) {
  rt_dict_set(r, "cache_updated", rt_bool(a->cache_updated));
  rt_dict_set(r, "cache_update_time", rt_int(a->cache_time));
}

/* parse_diff: apt's plan, from after "Reading state information..." to the
 * "N upgraded" line. */
static RtValue *parse_diff(const char *out) {
  RtValue *lines = mod_lines(out, strlen(out));
  size_t n = rt_len(lines);
  long start = -1, end = (long)n;
  for (size_t i = 0; i < n && start < 0; i++)
    if (strcmp(list_str(lines, i), "Resolving dependencies...") == 0)
      start = (long)i;
  for (size_t i = 0; i < n && start < 0; i++)
    if (strcmp(list_str(lines, i), "Reading state information...") == 0)
      start = (long)i;
  for (size_t i = 0; i < n; i++) {
    const char *l = list_str(lines, i);
    if (!isdigit((unsigned char)*l))
      continue;
    while (isdigit((unsigned char)*l))
      l++;
    if (strncmp(l, " upgraded", 9) == 0 || strncmp(l, " packages upgraded", 18) == 0) {
      end = (long)i;
      break;
    }
  }
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (long i = start + 1; i < end + 1 && i < (long)n; i++) {
    if (i > start + 1)
      rt_buf_putc(&b, '\n');
    rt_buf_puts(&b, list_str(lines, (size_t)i));
  }
  rt_decref(lines);
  RtValue *d = rt_dict_new(1);
  rt_dict_set(d, "prepared", rt_str_take(rt_buf_take(&b), strlen(b.data ? b.data : "")));
  return d;
}

static RtValue *diff_of(Apt *a, const char *out) { return a->diff ? parse_diff(out) : rt_dict_new(0); }

/* ---- one apt-get (or aptitude, dpkg) command, as Ansible builds it ---------------------- */

/* A command: Ansible's text (for messages), the argv actually run (its
 * shlex.split, options first and `--` before the operands). */
typedef struct Cmd {
  RtBuf text;
  RtValue *opts, *operands;
} Cmd;

static void cmd_free(Cmd *c) {
  rt_buf_free(&c->text);
  rt_decref(c->opts);
  rt_decref(c->operands);
}

/* Splits the Ansible text `opts` into argv options (plus operands). */
static bool cmd_split(Cmd *c, const char *opts_text, RtValue *operands) {
  c->opts = mod_py_shlex_split(opts_text);
  c->operands = operands ? rt_incref(operands) : rt_list_new(0);
  return c->opts != NULL;
}

/* Request 2: the command with output captured as "act", then apt-mark. */
static void action_script(RtBuf *s, const Apt *a, const Cmd *c, RtValue *mark) {
  env_script(s);
  am_var(s);
  if (a->has_policy_rc_d) { /* PolicyRcD: the file for the command's time only */
    rt_buf_printf(s,
                  "pc_prc() { if [ -n \"${pc_bk-}\" ]; then mv -f -- \"$pc_bk\" /usr/sbin/policy-rc.d; else "
                  "rm -f /usr/sbin/policy-rc.d; fi; }\n"
                  "pc_bk=; if [ -e /usr/sbin/policy-rc.d ]; then pc_bk=$__playc_scr/policy-rc.d; "
                  "mv -f /usr/sbin/policy-rc.d \"$pc_bk\" || { __playc_rec fail prc_move; exit 0; }; fi\n"
                  "trap 'pc_prc; __playc_clean' EXIT\n"
                  "printf '#!/bin/sh\\nexit %%d\\n' %lld > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d "
                  "|| { __playc_rec fail prc_write; exit 0; }\n",
                  a->policy_rc_d);
  }
  rt_buf_puts(s, "set --");
  for (size_t i = 0; i < rt_len(c->opts); i++) {
    rt_buf_putc(s, ' ');
    rt_sh_quote(s, list_str(c->opts, i));
  }
  if (rt_len(c->operands))
    rt_buf_puts(s, " --");
  for (size_t i = 0; i < rt_len(c->operands); i++) {
    rt_buf_putc(s, ' ');
    rt_sh_quote(s, list_str(c->operands, i));
  }
  rt_buf_puts(s, "\npc_cap act \"$@\"\n");
  if (mark && rt_len(mark)) { /* mark_installed_manually, unmarkauto for old apt-mark */
    set_args(s, mark);
    rt_buf_puts(s, "if [ -n \"$am\" ]; then __playc_rec amark \"$am\"\n"
                   "  pc_cap mark \"$am\" manual -- \"$@\"\n"
                   "  case $(cat \"$__playc_scr/e\") in *'Invalid operation'*|*'Usage: apt-mark [options] {markauto|unmarkauto} packages'*)\n"
                   "    __playc_rec markop unmarkauto; pc_cap mark \"$am\" unmarkauto -- \"$@\";; esac\n"
                   "else __playc_rec nomark 1; fi\n");
  }
}

/* Runs request 2; fills `cap` with the command's outcome. NULL result and
 * *lost when the host was lost; a failure result for a missing tool. */
static RtValue *run_action(Apt *a, const Cmd *c, RtValue *mark, ModCap *cap, RtValue **markr, bool *lost) {
  RtBuf s = {0};
  RtExec ex;
  action_script(&s, a, c, mark);
  if (!run(a, &s, &ex)) {
    *lost = true;
    return NULL;
  }
  RtValue *fail = mod_ps_missing(&ex);
  if (!fail && mod_rec(&ex, "fail"))
    fail = mod_fail_result(mod_rec_is(&ex, "fail", "prc_move")
                               ? "Fail to move /usr/sbin/policy-rc.d to a backup folder"
                               : "Failed to create or chmod /usr/sbin/policy-rc.d");
  if (!fail && !mod_ps_cap(&ex, "act", cap))
    fail = mod_fail_result("apt-get did not run: %s", ex.err.data);
  if (!fail && mark && rt_len(mark)) {
    ModCap m = {0};
    if (mod_rec(&ex, "nomark")) {
      RtValue *w = rt_list_new(1);
      rt_list_push(w, rt_strz("Could not find apt-mark binary, not marking package(s) as manually installed."));
      *markr = rt_dict_new(1);
      rt_dict_set(*markr, "warnings", w);
    } else if (mod_ps_cap(&ex, "mark", &m) && m.rc != 0) {
      RtBuf t = {0};
      rt_buf_printf(&t, "%s %s", mod_rec(&ex, "amark"), mod_rec(&ex, "markop") ? "unmarkauto" : "manual");
      for (size_t i = 0; i < rt_len(mark); i++)
        rt_buf_printf(&t, " %s", list_str(mark, i));
      *markr = mod_fail_result("'%s' failed: %s", t.data, m.err);
      mod_ps_out(*markr, m.out, m.err);
      rt_dict_set(*markr, "rc", rt_int(m.rc));
      rt_buf_free(&t);
    }
    mod_ps_cap_free(&m);
  }
  rt_exec_free(&ex);
  return fail;
}

/* ---- package_status ------------------------------------------------------------------- */

typedef struct Status {
  bool installed, installed_version, has_files;
  char *installable; /* a version, "" for True (virtual: let apt decide), NULL for None */
} Status;

/* package_best_match: the candidate, or with "=" the highest version of the
 * table matching the pattern (the 1001 pin Ansible sets); NULL for none. */
static const char *best_match(const Pol *p, const char *cmp, const char *version) {
  if (cmp && strcmp(cmp, "=") == 0) {
    for (int i = 0; i < p->nversions; i++)
      if (mod_fnmatch(version, p->versions[i]))
        return p->versions[i];
    return NULL;
  }
  return p->candidate;
}

/* -1: the package is not in the cache (no versions); 0 otherwise. */
static int package_status(Known *k, const char *name, const char *cmp, const char *version, Status *st) {
  memset(st, 0, sizeof *st);
  Pol *p = pol_find(k, name);
  if (!p || !p->nversions)
    return -1;
  RtValue *dq = rt_dict_get(k->dq, name);
  st->has_files = rt_dict_get(k->files, name) != NULL;
  st->installed = dq && strcmp(rt_list_at(dq, 0)->u.str.s, "installed") == 0;
  const char *best = best_match(p, cmp, version);
  if (st->installed) {
    const char *iv = rt_list_at(dq, 1)->u.str.s;
    if (cmp && strcmp(cmp, "=") == 0) {
      st->installed_version = mod_fnmatch(version, iv);
      if (best && strcmp(iv, best) != 0 && mod_fnmatch(version, best))
        st->installable = rt_xstrdup(best);
    } else if (cmp) {
      st->installed_version = mod_deb_version_cmp(iv, version) >= 0;
      if (best && strcmp(iv, best) != 0 && mod_deb_version_cmp(best, version) >= 0)
        st->installable = rt_xstrdup(best);
    } else {
      st->installed_version = true;
      if (best && strcmp(iv, best) != 0)
        st->installable = rt_xstrdup(best);
    }
  } else {
    st->installable = xstrdup0(best);
  }
  return 0;
}

/* ---- the flow of Ansible's main() -------------------------------------------------------- */

static RtValue *arg_error(char *msg) {
  RtValue *r = mod_fail_result("%s", msg);
  free(msg);
  return r;
}

static void apt_free(Apt *a) {
  rt_decref(a->names);
  free(a->state);
  free(a->default_release);
  free(a->upgrade);
  free(a->dpkg_options);
  free(a->deb);
  free(a->apt_get);
  free(a->aptitude);
  free(a->apt_mark);
}

/* Reads the arguments; a failure result when one cannot be converted. */
static RtValue *apt_args(Apt *a, RtValue *args) {
  char *err = NULL;
  a->names = mod_ps_arg_list(args, "package", &err);
  if (err)
    return arg_error(err);
  struct { const char *name; long long def, *out; } ints[] = {
      {"update_cache_retries", 5, &a->retries},   {"update_cache_retry_max_delay", 12, &a->max_delay},
      {"cache_valid_time", 0, &a->valid_time},    {"lock_timeout", 60, &a->lock_timeout},
      {"policy_rc_d", 0, &a->policy_rc_d}};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    if (!mod_ps_arg_int(args, ints[i].name, ints[i].def, ints[i].out, &err))
      return arg_error(err);
  RtValue *prc = rt_dict_get(args, "policy_rc_d");
  a->has_policy_rc_d = prc && rt_kind(prc) != RT_NONE;
  a->state = mod_arg_str(args, "state");
  if (!a->state)
    a->state = rt_xstrdup("present");
  a->default_release = mod_arg_str(args, "default_release");
  a->upgrade = mod_arg_str(args, "upgrade");
  a->dpkg_options = mod_arg_str(args, "dpkg_options");
  if (!a->dpkg_options)
    a->dpkg_options = rt_xstrdup(DPKG_OPTIONS);
  a->deb = mod_arg_str(args, "deb");
  a->update_cache = mod_arg_bool(args, "update_cache", -1);
  a->purge = mod_arg_bool(args, "purge", 0) == 1;
  a->force = mod_arg_bool(args, "force", 0) == 1;
  a->clean = mod_arg_bool(args, "clean", 0) == 1;
  a->allow_unauth = mod_arg_bool(args, "allow_unauthenticated", 0) == 1;
  a->allow_downgrade = mod_arg_bool(args, "allow_downgrade", 0) == 1;
  a->allow_held = mod_arg_bool(args, "allow_change_held_packages", 0) == 1;
  a->autoremove = mod_arg_bool(args, "autoremove", 0) == 1;
  a->autoclean = mod_arg_bool(args, "autoclean", 0) == 1;
  a->only_upgrade = mod_arg_bool(args, "only_upgrade", 0) == 1;
  a->fail_on_autoremove = mod_arg_bool(args, "fail_on_autoremove", 0) == 1;
  a->force_apt_get = mod_arg_bool(args, "force_apt_get", 0) == 1;
  a->install_recommends = mod_arg_bool(args, "install_recommends", -1);
  if (a->upgrade && strcmp(a->upgrade, "no") == 0) {
    free(a->upgrade);
    a->upgrade = NULL;
  }
  return NULL;
}

/* The packages as main() filters them: stripped, without '*'. */
static RtValue *filtered_packages(Apt *a, bool *all_installed) {
  RtValue *l = rt_list_new(4);
  *all_installed = false;
  for (size_t i = 0; a->names && i < rt_len(a->names); i++) {
    const char *p = list_str(a->names, i);
    if (strcmp(p, "*") == 0) {
      *all_installed = true;
      continue;
    }
    char *s = py_strip(p);
    rt_list_push(l, rt_str_take(s, strlen(s)));
  }
  return l;
}

/* ---- upgrade and cleanup (run in request 1) ---------------------------------------------- */

/* upgrade(): the command line Ansible runs for `mode`, with `aptitude` when
 * that is the tool (the first word is the tool's path: TOOL here, put in
 * place on the target). *ucmd gets the upgrade command words. */
static char *upgrade_cmd(Apt *a, const char *mode, bool aptitude, char **ucmd) {
  const char *ar = a->autoremove ? "--auto-remove" : "";
  bool use_apt_get = !aptitude;
  if (strcmp(mode, "dist") == 0 || (strcmp(mode, "full") == 0 && use_apt_get)) {
    *ucmd = rt_xasprintf("dist-upgrade %s", ar);
    aptitude = false;
  } else if (strcmp(mode, "full") == 0) {
    *ucmd = rt_xstrdup("full-upgrade");
  } else if (use_apt_get) {
    *ucmd = rt_xasprintf("upgrade --with-new-pkgs %s", ar);
  } else {
    *ucmd = rt_xstrdup("safe-upgrade");
  }
  char *opts = expand_dpkg_options(a->dpkg_options);
  char *t = rt_xasprintf("TOOL -y %s %s %s %s %s %s %s", opts,
                         a->force ? (aptitude ? "--assume-yes --allow-untrusted" : "--force-yes") : "",
                         a->fail_on_autoremove ? "--no-remove" : "", a->allow_unauth ? "--allow-unauthenticated" : "",
                         a->allow_downgrade ? "--allow-downgrades" : "", a->check ? "--simulate" : "", *ucmd);
  free(opts);
  if (a->default_release) {
    char *t2 = rt_xasprintf("%s -t '%s'", t, a->default_release);
    free(t);
    t = t2;
  }
  return t;
}

/* `set -- "$tool" ARGS...` for a command line whose first word is the tool. */
static void set_tool_argv(RtBuf *s, const char *text) {
  RtValue *argv = mod_py_shlex_split(text);
  rt_buf_puts(s, "set -- \"$tool\"");
  for (size_t i = 1; argv && i < rt_len(argv); i++) {
    rt_buf_putc(s, ' ');
    rt_sh_quote(s, list_str(argv, i));
  }
  rt_buf_putc(s, '\n');
  rt_decref(argv);
}

/* Request 1's upgrade: aptitude where the target has it (unless
 * force_apt_get), else apt-get, as Ansible picks; the tool is recorded. */
static void upgrade_script(RtBuf *s, Apt *a) {
  const char *mode = a->upgrade ? a->upgrade : "yes";
  char *u1, *u2, *with_at = upgrade_cmd(a, mode, true, &u1), *with_ag = upgrade_cmd(a, mode, false, &u2);
  bool at_used = strcmp(mode, "dist") != 0; /* dist-upgrade is always apt-get's */
  rt_buf_printf(s, "tool=; %s\n", a->force_apt_get || !at_used ? "" : "if pc_bin aptitude; then tool=$pc_v; fi");
  rt_buf_puts(s, "if [ -n \"$tool\" ]; then\n");
  set_tool_argv(s, with_at);
  rt_buf_puts(s, "else tool=$ag\n");
  set_tool_argv(s, with_ag);
  rt_buf_puts(s, "fi\n__playc_rec tool \"$tool\"\npc_cap act \"$@\"\n");
  free(u1);
  free(u2);
  free(with_at);
  free(with_ag);
}

/* cleanup(): apt-get autoremove or autoclean */
static char *cleanup_cmd(Apt *a, const char *op) {
  char *opts = expand_dpkg_options(a->dpkg_options);
  char *t = rt_xasprintf("TOOL -y %s %s %s %s %s", opts, a->purge ? "--purge" : "",
                         a->force ? "--force-yes" : "", op, a->check ? "--simulate" : "");
  free(opts);
  return t;
}

/* ---- request 1 ----------------------------------------------------------------------------- */

typedef enum Step { STEP_NONE, STEP_UPGRADE, STEP_CLEANUP, STEP_DEB, STEP_PACKAGES } Step;

/* The update with Ansible's retries: exponential delays plus one random
 * fraction, capped; a held lists lock is waited for until lock_timeout. */
static void update_script(RtBuf *s, Apt *a) {
  char rnd[9];
  rt_random_hex(rnd, 4);
  double randomize = (double)(strtoul(rnd, NULL, 16) % 1001) / 1000.0;
  rt_buf_printf(s, "now=$(date +%%s); __playc_rec now \"$now\"\n"
                   "if [ $((mt + %lld)) -lt \"$now\" ]; then __playc_rec upd 1\n",
                a->valid_time);
  if (!a->check) {
    rt_buf_puts(s, "  ok=0; for d in");
    for (long long i = 0; i < a->retries && i < 64; i++) {
      double delay = (double)(1LL << (i < 62 ? i : 62)) + randomize;
      if (delay > (double)a->max_delay)
        delay = (double)a->max_delay + randomize;
      rt_buf_printf(s, " %.3f", delay);
    }
    rt_buf_printf(s, "; do\n"
                     "    dl=$(($(date +%%s) + %lld))\n"
                     "    while :; do\n"
                     "      if pc_update up \"$ag\"; then ok=1; break 2; fi\n"
                     "      grep -q 'Could not get lock' \"$__playc_scr/e\" && [ \"$(date +%%s)\" -lt \"$dl\" ] || break\n"
                     "      sleep 1\n"
                     "    done\n"
                     "    sleep \"$d\"\n"
                     "  done\n"
                     "  [ $ok = 1 ] || { __playc_rec updfail 1; exit 0; }\n"
                     "  __playc_rec mt2 \"$(pc_mt)\"\n",
                  a->lock_timeout);
  }
  rt_buf_puts(s, "fi\n");
}

static void probe_script(RtBuf *s, Apt *a, Step step, RtValue *pkgs) {
  env_script(s);
  if (a->clean) {
    rt_buf_puts(s, "pc_cap clean \"$ag\" clean || exit 0\n"
                   "[ ! -s \"$__playc_scr/e\" ] || exit 0\n");
    if (step == STEP_NONE && !a->update_cache && !a->valid_time && !(a->names && rt_len(a->names)))
      rt_buf_puts(s, "exit 0\n");
  }
  rt_buf_puts(s, "pc_mt() { if [ -e /var/lib/apt/periodic/update-success-stamp ]; then "
                 "stat -c %Y /var/lib/apt/periodic/update-success-stamp; elif [ -e /var/lib/apt/lists ]; then "
                 "stat -c %Y /var/lib/apt/lists; else echo 0; fi; }\n"
                 "mt=$(pc_mt); __playc_rec mt \"$mt\"\n");
  if (a->update_cache == 1 || a->valid_time) {
    update_script(s, a);
    if (!(a->names && rt_len(a->names)) && !a->upgrade && !a->deb)
      rt_buf_puts(s, "exit 0\n");
  }
  if (step == STEP_UPGRADE || step == STEP_CLEANUP) { /* no decision to wait for */
    rt_buf_puts(s, "__playc_rec ran 1\n");
    return; /* the command is appended by the caller */
  }
  if (step == STEP_DEB) {
    mod_ps_sh_need(s, "dp", "dpkg");
    rt_buf_puts(s, "__playc_rec dpkg \"$dp\"\n"
                   "__playc_rec arch \"$(\"$dp\" --print-architecture)\"\n"
                   "__playc_rec farch \"$(\"$dp\" --print-foreign-architectures)\"\n");
    for (size_t i = 0; i < rt_len(pkgs); i++) {
      mod_sh_set(s, "f", list_str(pkgs, i));
      rt_buf_printf(s, "pc_cap deb%zu \"$dp\" --field \"$f\" Package Version Architecture Depends Pre-Depends\n", i);
    }
    return;
  }
  if (step == STEP_PACKAGES) {
    bool wild = false;
    for (size_t i = 0; i < rt_len(pkgs); i++)
      wild |= has_wildcard(list_str(pkgs, i));
    if (wild) { /* the names are known after the expansion */
      mod_ps_sh_need(s, "ac", "apt-cache");
      rt_buf_puts(s, "\"$ac\" pkgnames >\"$__playc_scr/o\" 2>/dev/null; __playc_rec names \"$(cat \"$__playc_scr/o\")\"\n");
      return;
    }
    RtValue *names = rt_list_new(rt_len(pkgs));
    for (size_t i = 0; i < rt_len(pkgs); i++) {
      char *n, *v;
      const char *c;
      package_split(list_str(pkgs, i), &n, &c, &v);
      rt_list_push(names, rt_str_take(n, strlen(n)));
      free(v);
    }
    am_var(s);
    query_script(s, a, names);
    rt_decref(names);
  }
}

/* ---- install(), remove(), install_deb() ---------------------------------------------------- */

/* expand_pkgspec_from_fnmatches over the cache's names (`apt-cache
 * pkgnames`, which lists the packages that have versions). */
static RtValue *expand_fnmatches(RtValue *pkgs, const char *allnames, RtValue **fail) {
  RtValue *out = rt_list_new(rt_len(pkgs)), *all = NULL;
  for (size_t i = 0; i < rt_len(pkgs); i++) {
    const char *spec = list_str(pkgs, i);
    char *name, *ver;
    const char *cmp;
    package_split(spec, &name, &cmp, &ver);
    if (!has_wildcard(name)) {
      rt_list_push(out, rt_strz(spec));
    } else {
      if (!all)
        all = mod_lines(allnames ? allnames : "", allnames ? strlen(allnames) : 0);
      bool multiarch = strchr(name, ':') != NULL;
      size_t before = rt_len(out);
      for (size_t j = 0; j < rt_len(all); j++) {
        const char *n = list_str(all, j);
        if ((multiarch || !strchr(n, ':')) && mod_fnmatch(name, n))
          rt_list_push(out, rt_strz(n));
      }
      if (rt_len(out) == before) {
        *fail = mod_fail_result("No package(s) matching '%s' available", name);
        free(name);
        free(ver);
        rt_decref(out);
        rt_decref(all);
        return NULL;
      }
    }
    free(name);
    free(ver);
  }
  rt_decref(all);
  return out;
}

/* The names of `specs` (without versions). */
static RtValue *spec_names(RtValue *specs) {
  RtValue *names = rt_list_new(rt_len(specs));
  for (size_t i = 0; i < rt_len(specs); i++) {
    char *n, *v;
    const char *c;
    package_split(list_str(specs, i), &n, &c, &v);
    rt_list_push(names, rt_str_take(n, strlen(n)));
    free(v);
  }
  return names;
}

/* Virtual packages (install only): the providers `apt-cache showpkg` lists
 * under "Reverse Provides:". */
static RtValue *providers(Apt *a, const char *name, bool *lost, RtValue **fail) {
  RtBuf s = {0};
  RtExec ex;
  env_script(&s);
  mod_ps_sh_need(&s, "ac", "apt-cache");
  mod_sh_set(&s, "n", name);
  rt_buf_puts(&s, "\"$ac\" showpkg -- \"$n\" >\"$__playc_scr/o\" 2>/dev/null; __playc_rec sp \"$(cat \"$__playc_scr/o\")\"\n");
  if (!run(a, &s, &ex)) {
    *lost = true;
    return NULL;
  }
  if ((*fail = mod_ps_missing(&ex)) != NULL) {
    rt_exec_free(&ex);
    return NULL;
  }
  const char *sp = mod_rec(&ex, "sp") ? mod_rec(&ex, "sp") : "";
  RtValue *lines = mod_lines(sp, strlen(sp)), *l = rt_list_new(2), *seen = rt_dict_new(2);
  bool in = false;
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *t = list_str(lines, i);
    if (strncmp(t, "Reverse Provides:", 17) == 0) {
      in = true;
      continue;
    }
    if (!in || !*t)
      continue;
    const char *sp1 = strchr(t, ' ');
    char *n = sp1 ? rt_xstrndup(t, (size_t)(sp1 - t)) : rt_xstrdup(t);
    if (!rt_dict_get(seen, n)) {
      rt_dict_set(seen, n, rt_bool(true));
      rt_list_push(l, rt_strz(n));
    }
    free(n);
  }
  rt_decref(lines);
  rt_decref(seen);
  rt_exec_free(&ex);
  return l;
}

/* The installation command of install() for `pkg_list` (already quoted). */
static void install_cmd(Apt *a, Cmd *c, const char *pkg_text, bool build_dep, bool fixed) {
  char *opts = expand_dpkg_options(a->dpkg_options);
  const char *force_yes = a->force ? "--force-yes" : "", *check = a->check ? "--simulate" : "";
  const char *only = a->only_upgrade ? "--only-upgrade" : "", *fix = fixed ? "--fix-broken" : "";
  const char *noremove = a->fail_on_autoremove ? "--no-remove" : "";
  RtBuf extra = {0};
  rt_buf_add(&extra, "", 0);
  if (build_dep) {
    rt_buf_printf(&c->text, "%s -y %s %s %s %s %s %s build-dep %s", a->apt_get, opts, only, fix, force_yes, noremove,
                  check, pkg_text);
  } else {
    rt_buf_printf(&c->text, "%s -y %s %s %s %s %s %s %s install %s", a->apt_get, opts, only, fix, force_yes,
                  a->autoremove ? "--auto-remove" : "", noremove, check, pkg_text);
  }
  if (a->default_release) {
    rt_buf_printf(&c->text, " -t '%s'", a->default_release);
    rt_buf_printf(&extra, " -t '%s'", a->default_release);
  }
  if (a->install_recommends == 0) {
    rt_buf_puts(&c->text, " -o APT::Install-Recommends=no");
    rt_buf_puts(&extra, " -o APT::Install-Recommends=no");
  } else if (a->install_recommends == 1) {
    rt_buf_puts(&c->text, " -o APT::Install-Recommends=yes");
    rt_buf_puts(&extra, " -o APT::Install-Recommends=yes");
  }
  const char *flags[3] = {a->allow_unauth ? " --allow-unauthenticated" : NULL,
                          a->allow_downgrade ? " --allow-downgrades" : NULL,
                          a->allow_held ? " --allow-change-held-packages" : NULL};
  for (int i = 0; i < 3; i++)
    if (flags[i]) {
      rt_buf_puts(&c->text, flags[i]);
      rt_buf_puts(&extra, flags[i]);
    }
  /* argv: the options (those after the packages too), then -- and the packages */
  char *optext = build_dep ? rt_xasprintf("%s -y %s %s %s %s %s %s build-dep%s", a->apt_get, opts, only, fix,
                                          force_yes, noremove, check, extra.data)
                           : rt_xasprintf("%s -y %s %s %s %s %s %s %s install%s", a->apt_get, opts, only, fix,
                                          force_yes, a->autoremove ? "--auto-remove" : "", noremove, check,
                                          extra.data);
  RtValue *operands = mod_py_shlex_split(pkg_text);
  cmd_split(c, optext, operands ? operands : rt_list_new(0));
  rt_decref(operands);
  free(optext);
  free(opts);
  rt_buf_free(&extra);
}

/* install(): returns the result (success or failure), or NULL when the host
 * was lost. `upgrade` is state=latest. */
static RtValue *install(Apt *a, RtValue *specs, Known *k, bool upgrade, bool build_dep, bool fixed, bool *lost) {
  RtBuf pkgs = {0};
  RtValue *names = rt_list_new(4), *r = NULL;
  rt_buf_add(&pkgs, "", 0);
  for (size_t i = 0; i < rt_len(specs); i++) {
    const char *spec = list_str(specs, i);
    if (build_dep) {
      rt_buf_printf(&pkgs, "%s'%s'", pkgs.len ? " " : "", spec);
      continue;
    }
    char *name, *version;
    const char *cmp;
    package_split(spec, &name, &cmp, &version);
    rt_list_push(names, rt_strz(name));
    Status st;
    if (package_status(k, name, cmp, version, &st) < 0) { /* not in the cache */
      RtValue *fail = NULL, *prov = providers(a, name, lost, &fail);
      if (*lost || fail) {
        free(name);
        free(version);
        rt_decref(names);
        rt_buf_free(&pkgs);
        return fail;
      }
      if (!rt_len(prov)) {
        r = mod_fail_result("No package matching '%s' is available", name);
        a->exited = true;
        rt_decref(prov);
        free(name);
        free(version);
        goto out;
      }
      bool done = false;
      if (rt_len(prov) == 1) { /* a virtual package one installed package provides */
        Known pk = {0};
        const char *p0 = list_str(prov, 0);
        RtValue *one = rt_list_new(1);
        rt_list_push(one, rt_strz(p0));
        fail = query(a, one, &pk, lost);
        rt_decref(one);
        if (*lost || fail) {
          pol_free(&pk);
          rt_decref(prov);
          free(name);
          free(version);
          rt_decref(names);
          rt_buf_free(&pkgs);
          return fail;
        }
        if (package_status(&pk, p0, cmp, version, &st) == 0 && st.installed)
          done = true; /* its status stands for the virtual name's */
        else
          free(st.installable);
        pol_free(&pk);
      }
      if (!done) {
        memset(&st, 0, sizeof st);
        st.installable = rt_xstrdup(""); /* True: apt sorts it out */
      }
      rt_decref(prov);
    }
    if (!st.installed && a->only_upgrade) {
      free(st.installable);
      free(name);
      free(version);
      continue;
    }
    if (!st.installed_version && !st.installable) {
      r = mod_fail_result("no available installation candidate for %s", spec);
      free(name);
      free(version);
      goto out;
    }
    if (st.installable && ((!st.installed && !a->only_upgrade) || upgrade || !st.installed_version)) {
      if (*st.installable)
        rt_buf_printf(&pkgs, "%s'%s=%s'", pkgs.len ? " " : "", name, st.installable);
      else if (version)
        rt_buf_printf(&pkgs, "%s'%s=%s'", pkgs.len ? " " : "", name, version);
      else
        rt_buf_printf(&pkgs, "%s'%s'", pkgs.len ? " " : "", name);
    } else if (st.installed_version && st.installable && cmp && strcmp(cmp, "=") == 0) {
      rt_buf_printf(&pkgs, "%s'%s=%s'", pkgs.len ? " " : "", name, version);
    }
    free(st.installable);
    free(name);
    free(version);
  }
  /* mark_installed_manually: needed only where a package is auto-installed
   * or not installed yet (apt-mark changes nothing else) */
  RtValue *mark = NULL;
  if (!build_dep && !a->check) {
    bool need = pkgs.len > 0;
    for (size_t i = 0; i < rt_len(names) && !need; i++) {
      RtValue *dq = rt_dict_get(k->dq, list_str(names, i));
      need = rt_dict_get(k->autos, list_str(names, i)) || !dq ||
             strcmp(rt_list_at(dq, 0)->u.str.s, "installed") != 0;
    }
    if (need)
      mark = rt_incref(names);
  }
  if (!pkgs.len && !mark) {
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
    goto out;
  }
  Cmd c = {0};
  ModCap cap = {0};
  RtValue *markr = NULL, *fail = NULL;
  if (pkgs.len) {
    install_cmd(a, &c, pkgs.data, build_dep, fixed);
  } else { /* nothing to install: only the marks */
    c.opts = rt_list_new(2);
    rt_list_push(c.opts, rt_strz("true"));
    c.operands = rt_list_new(0);
  }
  fail = run_action(a, &c, mark, &cap, &markr, lost);
  rt_decref(mark);
  if (*lost || fail) {
    cmd_free(&c);
    mod_ps_cap_free(&cap);
    rt_decref(markr);
    rt_decref(names);
    rt_buf_free(&pkgs);
    return fail;
  }
  if (markr && rt_dict_get(markr, "failed")) {
    r = markr;
    markr = NULL;
    a->exited = true;
  } else if (!pkgs.len) {
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
  } else if (cap.rc != 0) {
    r = mod_fail_result("'%s' failed: %s", c.text.data, cap.err);
    mod_ps_out(r, cap.out, cap.err);
    rt_dict_set(r, "rc", rt_int(cap.rc));
  } else {
    r = rt_dict_new(8);
    rt_dict_set(r, "changed", rt_bool(build_dep ? strstr(cap.out, APT_GET_ZERO) == NULL : true));
    mod_ps_out(r, cap.out, cap.err);
    rt_dict_set(r, "diff", diff_of(a, cap.out));
  }
  if (markr && rt_dict_get(markr, "warnings") && r)
    rt_dict_set(r, "warnings", rt_incref(rt_dict_get(markr, "warnings")));
  rt_decref(markr);
  cmd_free(&c);
  mod_ps_cap_free(&cap);
out:
  rt_decref(names);
  rt_buf_free(&pkgs);
  return r;
}

static RtValue *remove_pkgs(Apt *a, RtValue *specs, Known *k, bool *lost) {
  RtBuf pkgs = {0};
  rt_buf_add(&pkgs, "", 0);
  for (size_t i = 0; i < rt_len(specs); i++) {
    const char *spec = list_str(specs, i);
    char *name, *version;
    const char *cmp;
    package_split(spec, &name, &cmp, &version);
    Status st;
    if (package_status(k, name, cmp, version, &st) == 0) {
      if (st.installed_version || (st.has_files && a->purge))
        rt_buf_printf(&pkgs, "%s'%s'", pkgs.len ? " " : "", spec);
      free(st.installable);
    }
    free(name);
    free(version);
  }
  RtValue *r;
  if (!pkgs.len) {
    r = rt_dict_new(1);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_buf_free(&pkgs);
    return r;
  }
  char *opts = expand_dpkg_options(a->dpkg_options);
  char *optext = rt_xasprintf("%s -q -y %s %s %s %s %s remove", a->apt_get, opts, a->purge ? "--purge" : "",
                              a->force ? "--force-yes" : "", a->autoremove ? "--auto-remove" : "",
                              a->check ? "--simulate" : "");
  Cmd c = {0};
  RtValue *operands = mod_py_shlex_split(pkgs.data);
  cmd_split(&c, optext, operands ? operands : rt_list_new(0));
  rt_decref(operands);
  ModCap cap = {0};
  RtValue *markr = NULL, *fail = run_action(a, &c, NULL, &cap, &markr, lost);
  if (*lost || fail) {
    r = fail;
  } else if (cap.rc != 0) {
    r = mod_fail_result("'apt-get remove %s' failed: %s", pkgs.data, cap.err);
    mod_ps_out(r, cap.out, cap.err);
    rt_dict_set(r, "rc", rt_int(cap.rc));
  } else {
    r = rt_dict_new(8);
    rt_dict_set(r, "changed", rt_bool(true));
    mod_ps_out(r, cap.out, cap.err);
    rt_dict_set(r, "diff", diff_of(a, cap.out));
  }
  rt_decref(markr);
  mod_ps_cap_free(&cap);
  cmd_free(&c);
  free(optext);
  free(opts);
  rt_buf_free(&pkgs);
  return r;
}

/* ---- .deb files ------------------------------------------------------------------------------ */

/* One field of `dpkg --field` output ("Name: value" lines, continuation lines
 * starting with a space), or NULL. */
static char *deb_field(const char *fields, const char *name) {
  size_t n = strlen(name);
  for (const char *p = fields; p && *p;) {
    const char *nl = strchr(p, '\n');
    if (strncmp(p, name, n) == 0 && p[n] == ':') {
      const char *v = p + n + 1;
      while (*v == ' ')
        v++;
      RtBuf b = {0};
      rt_buf_add(&b, v, nl ? (size_t)(nl - v) : strlen(v));
      while (nl && nl[1] == ' ') { /* folded */
        const char *q = nl + 1, *e = strchr(q, '\n');
        rt_buf_add(&b, q, e ? (size_t)(e - q) : strlen(q));
        nl = e;
      }
      return rt_buf_take(&b);
    }
    p = nl ? nl + 1 : NULL;
  }
  return NULL;
}

/* apt_pkg.check_dep(have, op, want) */
static bool check_dep(const char *have, const char *op, const char *want) {
  if (!op || !*op)
    return true;
  int c = mod_deb_version_cmp(have, want);
  if (!strcmp(op, "<<") || !strcmp(op, "<"))
    return c < 0;
  if (!strcmp(op, "<="))
    return c <= 0;
  if (!strcmp(op, "="))
    return c == 0;
  if (!strcmp(op, ">="))
    return c >= 0;
  if (!strcmp(op, ">>") || !strcmp(op, ">"))
    return c > 0;
  return false;
}

/* One alternative of a dependency: "name [:arch] [(op version)]". */
typedef struct Dep {
  char *name, *op, *ver;
} Dep;

static void dep_parse(const char *text, Dep *d) {
  char *t = py_strip(text), *paren = strchr(t, '(');
  d->op = d->ver = NULL;
  if (paren) {
    char *close = strchr(paren, ')');
    if (close)
      *close = 0;
    char *p = paren + 1;
    while (*p == ' ')
      p++;
    size_t ol = strspn(p, "<>=");
    d->op = rt_xstrndup(p, ol);
    d->ver = py_strip(p + ol);
    *paren = 0;
  }
  char *n = py_strip(t), *colon = strchr(n, ':');
  if (colon && (strcmp(colon, ":any") == 0 || strcmp(colon, ":native") == 0))
    *colon = 0;
  char *bracket = strchr(n, '[');
  if (bracket)
    *bracket = 0;
  d->name = py_strip(n);
  free(n);
  free(t);
}

static void dep_free(Dep *d) {
  free(d->name);
  free(d->op);
  free(d->ver);
}

/* The dependency groups of Depends and Pre-Depends: a list of lists of
 * alternative texts. */
static RtValue *dep_groups(const char *pre, const char *dep) {
  RtValue *groups = rt_list_new(4);
  const char *fields[2] = {pre, dep};
  for (int f = 0; f < 2; f++) {
    if (!fields[f])
      continue;
    char *copy = rt_xstrdup(fields[f]), *save = NULL;
    for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
      RtValue *alts = rt_list_new(2);
      char *save2 = NULL;
      for (char *alt = strtok_r(g, "|", &save2); alt; alt = strtok_r(NULL, "|", &save2)) {
        char *s = py_strip(alt);
        if (*s)
          rt_list_push(alts, rt_str_take(s, strlen(s)));
        else
          free(s);
      }
      rt_list_push(groups, alts);
    }
    free(copy);
  }
  return groups;
}

/* DebPackage.check()'s dependency part: each group satisfied by an
 * installed package, or the first alternative whose candidate satisfies it
 * is a missing dependency; else "Dependency is not satisfiable". */
static bool deb_deps(RtValue *groups, Known *k, RtValue *missing, RtBuf *failure) {
  for (size_t g = 0; g < rt_len(groups); g++) {
    RtValue *alts = rt_list_at(groups, g);
    bool ok = false;
    for (size_t i = 0; i < rt_len(alts) && !ok; i++) {
      Dep d;
      dep_parse(list_str(alts, i), &d);
      RtValue *dq = rt_dict_get(k->dq, d.name);
      if (dq && strcmp(rt_list_at(dq, 0)->u.str.s, "installed") == 0 &&
          check_dep(rt_list_at(dq, 1)->u.str.s, d.op, d.ver))
        ok = true;
      dep_free(&d);
    }
    if (ok)
      continue;
    Dep last = {0};
    for (size_t i = 0; i < rt_len(alts) && !ok; i++) {
      Dep d;
      dep_parse(list_str(alts, i), &d);
      Pol *p = pol_find(k, d.name);
      if (p && p->candidate && check_dep(p->candidate, d.op, d.ver)) {
        rt_list_push(missing, rt_strz(d.name));
        ok = true;
      }
      dep_free(&last);
      last = d;
    }
    if (!ok) { /* the or-string as python-apt builds it (the last ver/op decide) */
      RtBuf or_str = {0};
      for (size_t i = 0; i < rt_len(alts); i++) {
        Dep d;
        dep_parse(list_str(alts, i), &d);
        rt_buf_puts(&or_str, d.name);
        if (last.ver && *last.ver && last.op && *last.op)
          rt_buf_printf(&or_str, " (%s %s)", d.op ? d.op : "", d.ver ? d.ver : "");
        if (i + 1 < rt_len(alts))
          rt_buf_putc(&or_str, '|');
        dep_free(&d);
      }
      rt_buf_printf(failure, "Dependency is not satisfiable: %s\n", or_str.data ? or_str.data : "");
      rt_buf_free(&or_str);
    }
    dep_free(&last);
    if (!ok)
      return false;
  }
  return true;
}

static RtValue *install_deb(Apt *a, RtValue *debs, const RtExec *probe, bool *lost) {
  const char *dpkg = mod_rec(probe, "dpkg"), *arch = mod_rec(probe, "arch"), *farch = mod_rec(probe, "farch");
  RtValue *to_install = rt_list_new(2), *deps = rt_list_new(2), *r = NULL;
  RtValue *fields = rt_list_new(rt_len(debs));
  /* the packages' names, then what is known of them and their dependencies */
  RtValue *ask = rt_list_new(4);
  for (size_t i = 0; i < rt_len(debs); i++) {
    char key[32];
    snprintf(key, sizeof key, "deb%zu", i);
    ModCap c = {0};
    if (!mod_ps_cap(probe, key, &c) || c.rc != 0) {
      r = mod_fail_result("Unable to install package: %s", c.err && *c.err ? c.err : "cannot read the package");
      mod_ps_cap_free(&c);
      goto done;
    }
    rt_list_push(fields, rt_strz(c.out));
    char *pkg = deb_field(c.out, "Package"), *pre = deb_field(c.out, "Pre-Depends"), *dep = deb_field(c.out, "Depends");
    if (pkg)
      rt_list_push(ask, rt_str_take(pkg, strlen(pkg)));
    RtValue *groups = dep_groups(pre, dep);
    for (size_t g = 0; g < rt_len(groups); g++)
      for (size_t j = 0; j < rt_len(rt_list_at(groups, g)); j++) {
        Dep d;
        dep_parse(list_str(rt_list_at(groups, g), j), &d);
        rt_list_push(ask, rt_str_take(d.name, strlen(d.name)));
        d.name = NULL;
        dep_free(&d);
      }
    rt_decref(groups);
    free(pre);
    free(dep);
    mod_ps_cap_free(&c);
  }
  Known k = {0};
  RtValue *fail = rt_len(ask) ? query(a, ask, &k, lost) : NULL;
  if (*lost || fail) {
    r = fail;
    pol_free(&k);
    goto done;
  }
  for (size_t i = 0; i < rt_len(debs); i++) {
    const char *f = list_str(fields, i);
    char *pkg = deb_field(f, "Package"), *ver = deb_field(f, "Version"), *parch = deb_field(f, "Architecture");
    char *pre = deb_field(f, "Pre-Depends"), *dep = deb_field(f, "Depends");
    RtValue *dq = pkg ? rt_dict_get(k.dq, pkg) : NULL;
    const char *iv = dq && strcmp(rt_list_at(dq, 0)->u.str.s, "installed") == 0 ? rt_list_at(dq, 1)->u.str.s : NULL;
    bool skip = iv && ver && mod_deb_version_cmp(ver, iv) == 0;
    RtBuf failure = {0};
    bool ok = true;
    if (!skip) {
      if (!parch) {
        rt_buf_puts(&failure, "No Architecture field in the package");
        ok = false;
      } else if (strcmp(parch, "all") != 0 && strcmp(parch, arch ? arch : "") != 0 &&
                 !(farch && strstr(farch, parch))) {
        rt_buf_printf(&failure, "Wrong architecture '%s' -- Run dpkg --add-architecture to add it and update afterwards",
                      parch);
        ok = false;
      } else if (iv && ver && mod_deb_version_cmp(iv, ver) > 0) {
        rt_buf_puts(&failure, "A later version is already installed");
        ok = false;
      } else {
        RtValue *groups = dep_groups(pre, dep);
        ok = deb_deps(groups, &k, deps, &failure);
        rt_decref(groups);
      }
      if (!ok && !(a->force || (failure.data && strstr(failure.data, "later version") && a->allow_downgrade))) {
        r = mod_fail_result("%s", failure.data ? failure.data : "");
        rt_buf_free(&failure);
        free(pkg);
        free(ver);
        free(parch);
        free(pre);
        free(dep);
        pol_free(&k);
        goto done;
      }
      rt_list_push(to_install, rt_strz(list_str(debs, i)));
    }
    rt_buf_free(&failure);
    free(pkg);
    free(ver);
    free(parch);
    free(pre);
    free(dep);
  }
  RtValue *ret = NULL;
  if (rt_len(deps)) { /* install(pkgspec=deps), with the deb's options */
    char *saved = a->dpkg_options;
    long long saved_ar = a->autoremove;
    a->autoremove = false;
    ret = install(a, deps, &k, false, false, false, lost);
    a->autoremove = saved_ar;
    a->dpkg_options = saved;
    if (*lost || !ret) {
      pol_free(&k);
      r = ret;
      goto done;
    }
    if (rt_dict_get(ret, "failed")) {
      pol_free(&k);
      r = ret;
      goto done;
    }
  }
  pol_free(&k);
  if (!rt_len(to_install)) {
    RtValue *rs = ret ? rt_dict_get(ret, "stdout") : NULL, *re = ret ? rt_dict_get(ret, "stderr") : NULL;
    RtValue *rd = ret ? rt_dict_get(ret, "diff") : NULL, *rc = ret ? rt_dict_get(ret, "changed") : NULL;
    r = rt_dict_new(6);
    rt_dict_set(r, "changed", rc ? rt_incref(rc) : rt_bool(false));
    mod_ps_out(r, rs ? rs->u.str.s : "", re ? re->u.str.s : "");
    rt_dict_set(r, "diff", rd ? rt_incref(rd) : rt_strz(""));
    rt_decref(ret);
    goto done;
  }
  /* dpkg --OPTION... [--simulate] [--force-all] -i FILES */
  RtBuf opts = {0};
  rt_buf_add(&opts, "", 0);
  const char *p = a->dpkg_options;
  for (;;) {
    const char *c = strchr(p, ',');
    rt_buf_printf(&opts, "%s--%.*s", opts.len ? " " : "", (int)(c ? (size_t)(c - p) : strlen(p)), p);
    if (!c)
      break;
    p = c + 1;
  }
  if (a->check)
    rt_buf_puts(&opts, " --simulate");
  if (a->force)
    rt_buf_puts(&opts, " --force-all");
  Cmd c = {0};
  rt_buf_printf(&c.text, "dpkg %s -i", opts.data);
  for (size_t i = 0; i < rt_len(to_install); i++)
    rt_buf_printf(&c.text, " %s", list_str(to_install, i));
  char *optext = rt_xasprintf("%s %s -i", dpkg ? dpkg : "dpkg", opts.data);
  cmd_split(&c, optext, to_install);
  free(optext);
  rt_buf_free(&opts);
  ModCap cap = {0};
  RtValue *markr = NULL;
  fail = run_action(a, &c, NULL, &cap, &markr, lost);
  if (*lost || fail) {
    r = fail;
  } else {
    RtValue *rs = ret ? rt_dict_get(ret, "stdout") : NULL, *re = ret ? rt_dict_get(ret, "stderr") : NULL;
    RtValue *rd = ret ? rt_dict_get(ret, "diff") : NULL;
    char *out = rt_xasprintf("%s%s", rs ? rs->u.str.s : "", cap.out);
    char *err = rt_xasprintf("%s%s", re ? re->u.str.s : "", cap.err);
    RtValue *diff;
    if (rd && rt_kind(rd) == RT_DICT) {
      diff = rt_dict_copy(rd);
      RtValue *prep = rt_dict_get(rd, "prepared");
      if (prep) {
        char *t = rt_xasprintf("%s\n\n%s", prep->u.str.s, cap.out);
        rt_dict_set(diff, "prepared", rt_str_take(t, strlen(t)));
      }
    } else {
      diff = parse_diff(cap.out);
    }
    if (cap.rc == 0) {
      r = rt_dict_new(8);
      rt_dict_set(r, "changed", rt_bool(true));
      mod_ps_out(r, out, err);
      rt_dict_set(r, "diff", diff);
    } else {
      r = mod_fail_result("%s failed", c.text.data);
      mod_ps_out(r, out, err);
      rt_decref(diff);
    }
    free(out);
    free(err);
  }
  rt_decref(ret);
  rt_decref(markr);
  mod_ps_cap_free(&cap);
  cmd_free(&c);
done:
  rt_decref(to_install);
  rt_decref(deps);
  rt_decref(fields);
  rt_decref(ask);
  return r;
}

/* ---- main() ---------------------------------------------------------------------------------- */

/* What request 1 reports about the cache update: a failure or NULL; sets
 * cache_time and cache_updated. */
static RtValue *cache_outcome(Apt *a, const RtExec *ex) {
  a->cache_time = mod_rec_int(ex, "mt", 0);
  if (mod_rec(ex, "updfail")) { /* FetchFailedException: apt's errors, if any */
    ModCap c = {0};
    char *e = mod_ps_cap(ex, "up", &c) ? mod_ps_apt_errors(c.err, false) : rt_xstrdup("");
    RtValue *r = mod_fail_result("Failed to update apt cache: %s", *e ? e : "unknown reason");
    free(e);
    mod_ps_cap_free(&c);
    return r;
  }
  if (mod_rec(ex, "upd")) {
    long long after = mod_rec(ex, "mt2") ? mod_rec_int(ex, "mt2", 0) : a->cache_time;
    a->cache_updated = a->check || after != a->cache_time;
    a->cache_time = after;
  }
  return NULL;
}

/* The result of a command request 1 ran (upgrade or cleanup). */
static RtValue *direct_result(Apt *a, const RtExec *ex, Step step, const char *tool, const char *ucmd,
                              const char *op) {
  ModCap c = {0};
  if (!mod_ps_cap(ex, "act", &c))
    return mod_fail_result("the command did not run: %s", ex->err.data);
  RtValue *r;
  if (step == STEP_UPGRADE) {
    bool is_apt_get = strcmp(tool, a->apt_get) == 0;
    if (c.rc) {
      r = mod_fail_result("'%s %s' failed: %s", tool, ucmd, c.err);
      rt_dict_set(r, "stdout", rt_strz(c.out));
      rt_dict_set(r, "stdout_lines", mod_lines(c.out, strlen(c.out)));
      rt_dict_set(r, "rc", rt_int(c.rc));
    } else {
      bool zero = strstr(c.out, is_apt_get ? APT_GET_ZERO : APTITUDE_ZERO) != NULL;
      r = rt_dict_new(8);
      rt_dict_set(r, "changed", rt_bool(!zero));
      rt_dict_set(r, "msg", rt_strz(c.out));
      mod_ps_out(r, c.out, c.err);
      if (!zero)
        rt_dict_set(r, "diff", diff_of(a, c.out));
    }
  } else {
    if (c.rc) {
      r = mod_fail_result("'apt-get %s' failed: %s", op, c.err);
      mod_ps_out(r, c.out, c.err);
      rt_dict_set(r, "rc", rt_int(c.rc));
    } else {
      r = rt_dict_new(8);
      const char *marker = strcmp(op, "autoremove") == 0 ? "The following packages will be REMOVED" : "Del ";
      rt_dict_set(r, "changed", rt_bool(strstr(c.out, marker) != NULL));
      mod_ps_out(r, c.out, c.err);
      rt_dict_set(r, "diff", diff_of(a, c.out));
    }
  }
  mod_ps_cap_free(&c);
  return r;
}

RtValue *mod_apt(RtHost *h, RtValue *args) {
  Apt a = {0};
  a.h = h;
  a.check = h->check_mode;
  a.diff = h->run->opt.diff;
  RtValue *r = apt_args(&a, args), *pkgs = NULL, *debs = NULL, *expanded = NULL, *names = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  bool have_ex = false, lost = false, all_installed = false;
  const char *op = NULL;
  if (r)
    goto done;
  pkgs = filtered_packages(&a, &all_installed);
  bool latest = strcmp(a.state, "latest") == 0;
  /* what request 1 can run alone: an upgrade, a cleanup */
  Step step = STEP_NONE;
  if (a.upgrade || (latest && all_installed)) {
    if (latest && all_installed && !a.upgrade && rt_len(pkgs)) {
      r = mod_fail_result("unable to install additional packages when upgrading all installed packages");
      goto done;
    }
    step = STEP_UPGRADE;
  } else if (a.deb) {
    if (strcmp(a.state, "present") != 0) {
      r = mod_fail_result("deb only supports state=present");
      goto done;
    }
    step = STEP_DEB;
  } else {
    for (size_t i = 0; i < rt_len(pkgs); i++) {
      const char *p = list_str(pkgs, i);
      int eqs = 0;
      for (const char *q = p; *q; q++)
        eqs += *q == '=';
      if (eqs > 1) {
        r = mod_fail_result("invalid package spec: %s", p);
        goto done;
      }
    }
    if (!rt_len(pkgs) && (a.autoclean || a.autoremove)) {
      step = STEP_CLEANUP;
      op = a.autoclean ? "autoclean" : "autoremove";
    } else {
      step = STEP_PACKAGES;
    }
  }
  if (step == STEP_DEB) {
    debs = rt_list_new(2);
    const char *p = a.deb;
    for (;;) {
      const char *c = strchr(p, ',');
      rt_list_push(debs, rt_str(p, c ? (size_t)(c - p) : strlen(p)));
      if (!c)
        break;
      p = c + 1;
    }
    for (size_t i = 0; i < rt_len(debs); i++)
      if (strstr(list_str(debs, i), "://")) {
        r = mod_fail_result("deb: a URL (%s) is not supported by playc yet: copy the file to the host first",
                            list_str(debs, i));
        goto done;
      }
  }
  probe_script(&s, &a, step, step == STEP_DEB ? debs : pkgs);
  if (step == STEP_UPGRADE) {
    upgrade_script(&s, &a);
  } else if (step == STEP_CLEANUP) {
    char *t = cleanup_cmd(&a, op);
    rt_buf_puts(&s, "tool=$ag\n");
    set_tool_argv(&s, t);
    rt_buf_puts(&s, "pc_cap act \"$@\"\n");
    free(t);
  }
  char *err = NULL;
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0) {
    free(err);
    goto done;
  }
  free(err);
  have_ex = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  a.apt_get = xstrdup0(mod_rec(&ex, "ag"));
  a.aptitude = xstrdup0(mod_rec(&ex, "aptitude"));
  a.apt_mark = xstrdup0(mod_rec(&ex, "am"));
  if (a.clean) {
    ModCap c = {0};
    mod_ps_cap(&ex, "clean", &c);
    if (c.rc) {
      r = mod_fail_result("apt-get clean failed");
      rt_dict_set(r, "stdout", rt_strz(c.out));
      rt_dict_set(r, "stdout_lines", mod_lines(c.out, strlen(c.out)));
      rt_dict_set(r, "rc", rt_int(c.rc));
    } else if (*c.err) {
      r = mod_fail_result("apt-get clean failed: %s", c.err);
      rt_dict_set(r, "stdout", rt_strz(c.out));
      rt_dict_set(r, "stdout_lines", mod_lines(c.out, strlen(c.out)));
      rt_dict_set(r, "rc", rt_int(c.rc));
    } else if (!rt_len(pkgs) && !a.upgrade && !a.deb && !all_installed) {
      r = rt_dict_new(6);
      rt_dict_set(r, "changed", rt_bool(true));
      rt_dict_set(r, "msg", rt_strz(c.out));
      mod_ps_out(r, c.out, c.err);
    }
    mod_ps_cap_free(&c);
    if (r)
      goto done;
  }
  if ((r = cache_outcome(&a, &ex)) != NULL)
    goto done;
  if ((a.update_cache == 1 || a.valid_time) && !(a.names && rt_len(a.names)) && !a.upgrade && !a.deb) {
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(a.cache_updated));
    rt_dict_set(r, "cache_updated", rt_bool(a.cache_updated));
    rt_dict_set(r, "cache_update_time", rt_int(a.cache_time));
    goto done;
  }
  if (step == STEP_UPGRADE || step == STEP_CLEANUP) {
    const char *tool = mod_rec(&ex, "tool") ? mod_rec(&ex, "tool") : a.apt_get;
    char *ucmd = NULL, *t = upgrade_cmd(&a, a.upgrade ? a.upgrade : "yes", strcmp(tool, a.apt_get) != 0, &ucmd);
    r = direct_result(&a, &ex, step, tool, ucmd, op);
    free(t);
    free(ucmd);
    goto done;
  }
  if (step == STEP_DEB) {
    r = install_deb(&a, debs, &ex, &lost);
    goto done;
  }
  /* packages: install or remove */
  Known k = {0};
  const char *allnames = mod_rec(&ex, "names");
  if (allnames) {
    if (!(expanded = expand_fnmatches(pkgs, allnames, &r)))
      goto done;
    names = spec_names(expanded);
    if ((r = query(&a, names, &k, &lost)) != NULL || lost) {
      pol_free(&k);
      goto done;
    }
  } else {
    expanded = rt_incref(pkgs);
    if ((r = known_from(&k, &ex)) != NULL) {
      pol_free(&k);
      goto done;
    }
  }
  if (strcmp(a.state, "absent") == 0) {
    r = remove_pkgs(&a, expanded, &k, &lost);
  } else {
    r = install(&a, expanded, &k, latest, strcmp(a.state, "build-dep") == 0, strcmp(a.state, "fixed") == 0, &lost);
    if (r && !a.exited)
      add_cache_keys(&a, r);
  }
  pol_free(&k);
done:
  if (have_ex)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  rt_decref(pkgs);
  rt_decref(debs);
  rt_decref(expanded);
  rt_decref(names);
  apt_free(&a);
  return r;
}

#endif
