/*
 * pkgin.c — community.general.pkgin: pkgsrc packages with the target's
 * `pkgin` (found on PATH, the sbin folders or /opt/local/bin), in one
 * request. The module's steps run in its order: `update`, `upgrade`,
 * `full-upgrade` or `clean` (each ending the task where the module exits),
 * then per package its query — `pkgin -p -v` (does -p work?), then
 * `pkgin [-p] search ^NAME$`, read as the module reads it: each line split
 * at ';' (or ' ' without -p), the name before its first "-DIGIT" or the
 * whole first field equal to NAME, the state '<', '=' or '>' or none —
 * then `pkgin -y [-F] install|remove NAME` (`-n` in check mode) and, out
 * of check mode, the query again. Command lines are built as the module's
 * strings and split as shlex.split splits them; everything runs under
 * LANG/LC_ALL/LC_MESSAGES/LC_CTYPE=C. The search parse is exact string
 * work in the shell; the `update` output's "is up-to-date" test is the
 * module's regular expression, applied here.
 */
#include "mod.h"

static const ModParam pkgin_params[] = {
    {.name = "state", .type = MP_STR, .choices = "present,absent", .def = "present"},
    {.name = "name", .type = MP_LIST, .elements = MP_STR, .aliases = "pkg"},
    {.name = "update_cache", .type = MP_BOOL, .def = "false"},
    {.name = "upgrade", .type = MP_BOOL, .def = "false"},
    {.name = "full_upgrade", .type = MP_BOOL, .def = "false"},
    {.name = "clean", .type = MP_BOOL, .def = "false"},
    {.name = "force", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_pkgin = {
    .name = "pkgin",
    .params = pkgin_params,
    .nparams = MOD_N(pkgin_params),
    .one_of = "name,update_cache,upgrade,full_upgrade,clean",
    .tools = "pkgin",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* The target side. P is pkgin's path. pr CMD... runs a command, output in
 * o and e; pq NAME sets st to the module's PackageState (1 present, 2 not
 * installed, 4 outdated, 8 not found) or "crash" where the module's
 * unpacking of a line raises. */
static const char PKGIN_FUNCS[] =
    "LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C; export LANG LC_ALL LC_MESSAGES LC_CTYPE\n"
    "o=$__playc_scr/o; e=$__playc_scr/e; nl='\n'\n"
    "pr() { \"$@\" >\"$o\" 2>\"$e\" </dev/null; pc_r=$?; }\n"
    "pline() {\n"
    "  case $1 in *\"$sc\"*) ;; *) st=crash; return 0;; esac\n"
    "  f1=${1%%\"$sc\"*}; f2=${1#*\"$sc\"}; f2=${f2%%\"$sc\"*}\n"
    "  case $f1 in *-[0-9]*) ;; *) return 1;; esac\n"
    "  [ \"$n\" = \"$f1\" ] || [ \"$n\" = \"${f1%%-[0-9]*}\" ] || return 1\n"
    "  case $f2 in '<') st=4;; '='|'>') st=1;; *) st=2;; esac\n"
    "}\n"
    "pq() {\n"
    "  pr \"$P\" -p -v; if [ $pc_r = 0 ]; then sc=';'; pr \"$P\" -p search \"$@\"; else sc=' '; pr \"$P\" search \"$@\"; fi\n"
    "  st=8; [ $pc_r = 0 ] || return 0\n"
    "  c=$(cat \"$o\"; echo .); c=${c%.}\n"
    "  while :; do\n"
    "    case $c in *\"$nl\"*) l=${c%%\"$nl\"*}; c=${c#*\"$nl\"}; m=1;; *) l=$c; m=0;; esac\n"
    "    pline \"$l\" && return 0\n"
    "    [ $m = 1 ] || break\n"
    "  done\n"
    "  st=8\n"
    "}\n"
    "crash() { [ \"$st\" != crash ] || { __playc_rec crash 1; exit 0; }; }\n";

/* The words after the tool of "pkgin REST" as shlex.split gives them,
 * quoted for the shell (appended); false when the line does not split. */
static bool pkgin_words(RtBuf *s, const char *rest) {
  char *line = rt_xasprintf("pkgin %s", rest);
  RtValue *w = mod_py_shlex_split(line);
  free(line);
  if (!w)
    return false;
  for (size_t i = 1; i < rt_len(w); i++) {
    rt_buf_putc(s, ' ');
    rt_sh_quote(s, rt_list_at(w, i)->u.str.s);
  }
  rt_decref(w);
  return true;
}

/* format_pkgin_command's words, appended after `pr "$P"`. */
static bool pkgin_cmd(RtBuf *s, bool ck, bool force, const char *command, const char *package) {
  char *rest = ck ? rt_xasprintf("-n %s %s", command, package ? package : "")
                  : rt_xasprintf("-y %s %s %s", force ? "-F" : "", command, package ? package : "");
  rt_buf_puts(s, "pr \"$P\"");
  bool ok = pkgin_words(s, rest);
  rt_buf_putc(s, '\n');
  free(rest);
  return ok;
}

static RtValue *pkgin_done(bool changed, const char *msg) {
  RtValue *r = rt_dict_new(2);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "msg", rt_str(msg, strlen(msg)));
  return r;
}

/* format_action_message */
static char *pkgin_action_msg(bool ck, const char *action, long long count) {
  return rt_xasprintf("%s%s %lld package%s", ck ? "would have " : "", action, count, count == 1 ? "" : "s");
}

static bool pkgin_packages(RtBuf *s, RtValue *names, bool ck, bool force, bool absent) {
  rt_buf_puts(s, "cnt=0\n");
  for (size_t i = 0; i < rt_len(names); i++) {
    const char *n = rt_list_at(names, i)->u.str.s;
    char *q = rt_xasprintf("\"^%s$\"", n);
    mod_sh_set(s, "n", n);
    rt_buf_puts(s, "set --");
    bool ok = pkgin_words(s, q);
    free(q);
    if (!ok)
      return false;
    rt_buf_puts(s, "\npq \"$@\"; crash\n");
    if (absent)
      rt_buf_puts(s, "case $st in 2|8) ;; *)\n");
    else
      rt_buf_printf(s, "case $st in 1|4) ;; 8) __playc_rec nf %zu; exit 0;; *)\n", i);
    if (!pkgin_cmd(s, ck, force, absent ? "remove" : "install", n))
      return false;
    rt_buf_puts(s, "pc_put act\n");
    if (!ck)
      rt_buf_printf(s, "pq \"$@\"; crash\ncase $st in %s) __playc_rec bad %zu; exit 0;; esac\n", absent ? "1|4" : "2|8",
                    i);
    rt_buf_puts(s, "cnt=$((cnt+1));;\nesac\n");
  }
  rt_buf_puts(s, "__playc_rec cnt $cnt\n");
  return true;
}

RtValue *mod_pkgin(RtHost *h, RtValue *args) {
  char *state = mod_arg_str(args, "state"), *lerr = NULL, *err = NULL;
  RtValue *names = mod_ps_arg_list(args, "name", &lerr), *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false, ck = h->check_mode;
  if (lerr) {
    r = mod_fail_result("%s", lerr);
    goto done;
  }
  bool absent = state && !strcmp(state, "absent"), force = mod_arg_bool(args, "force", 0) == 1;
  bool upd = mod_arg_bool(args, "update_cache", 0) == 1, upg = mod_arg_bool(args, "upgrade", 0) == 1;
  bool full = mod_arg_bool(args, "full_upgrade", 0) == 1, clean = mod_arg_bool(args, "clean", 0) == 1;
  bool named = names && rt_len(names) > 0, ok = true;
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, "pc_bin pkgin /opt/local/bin || pc_nobin pkgin; P=$pc_v\n");
  rt_buf_puts(&s, PKGIN_FUNCS);
  if (upd) {
    ok = ok && pkgin_cmd(&s, ck, force, "update", NULL);
    rt_buf_printf(&s, "pc_put upd; [ $pc_r = 0 ] || exit 0\n%s", named || upg || full ? "" : "exit 0\n");
  }
  /* do_upgrade_packages: "nothing to do." and a newline (or two) is all */
  for (int k = 0; k < 2; k++) {
    if (!(k ? full : upg))
      continue;
    const char *key = k ? "full" : "up";
    ok = ok && pkgin_cmd(&s, ck, force, k ? "full-upgrade" : "upgrade", NULL);
    rt_buf_printf(&s,
                  "pc_put %s; [ $pc_r = 0 ] || exit 0\n"
                  "c=$(cat \"$o\"; echo .)\n"
                  "case $c in 'nothing to do'?*) r=${c#nothing to do}; r1=${r#?}\n"
                  "  if [ \"${r%%\"$r1\"}\" != \"$nl\" ] && { [ \"$r1\" = \"$nl.\" ] || [ \"$r1\" = \"$nl$nl.\" ]; }; then "
                  "__playc_rec ntd %s; exit 0; fi;;\nesac\n%s",
                  key, key, named ? "" : "exit 0\n");
  }
  if (clean) {
    ok = ok && pkgin_cmd(&s, ck, force, "clean", NULL);
    rt_buf_puts(&s, "pc_put clean; exit 0\n");
  }
  if (names)
    ok = ok && pkgin_packages(&s, names, ck, force, absent);
  if (!ok) {
    r = mod_fail_result("No closing quotation");
    goto done;
  }
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  ModCap c = {0};
  if (upd && mod_ps_cap(&ex, "upd", &c)) {
    bool fresh = false;
    if (c.rc == 0) {
      static const char pat[] = "database for.*is up-to-date\n$";
      char *rerr = NULL;
      ModRe *re = mod_re_compile(pat, sizeof pat - 1, 0, true, &rerr);
      ModReMatch m;
      fresh = re && mod_re_search(re, c.out, strlen(c.out), 0, false, &m);
      mod_re_free(re);
      free(rerr);
    }
    if (c.rc != 0) {
      r = mod_fail_result("could not update package db");
      mod_ps_out(r, c.out, c.err);
    } else if (!(named || upg || full)) {
      r = pkgin_done(!fresh, fresh ? "database is up-to-date" : "updated repository database");
    }
    mod_ps_cap_free(&c);
    if (r)
      goto done;
  }
  for (int k = 0; k < 2; k++) {
    const char *key = k ? "full" : "up";
    if (!(k ? full : upg) || !mod_ps_cap(&ex, key, &c))
      continue;
    if (c.rc != 0) {
      r = mod_fail_result("could not %s packages", k ? "full-upgrade" : "upgrade");
      mod_ps_out(r, c.out, c.err);
    } else if (mod_rec_is(&ex, "ntd", key)) {
      r = pkgin_done(false, "nothing left to upgrade");
    } else if (!named) {
      r = pkgin_done(true, k ? "upgraded all packages" : "upgraded packages");
    }
    mod_ps_cap_free(&c);
    if (r)
      goto done;
  }
  if (clean && mod_ps_cap(&ex, "clean", &c)) {
    if (c.rc != 0) {
      r = mod_fail_result("could not clean package cache");
      mod_ps_out(r, c.out, c.err);
    } else {
      r = pkgin_done(true, "cleaned caches");
    }
    mod_ps_cap_free(&c);
    goto done;
  }
  if (mod_rec(&ex, "crash")) { /* the module's ValueError: not enough values to unpack */
    r = mod_fail_result("MODULE FAILURE\nSee stdout/stderr for the exact error");
    goto done;
  }
  if (mod_rec(&ex, "nf")) {
    r = mod_fail_result("failed to find package %s for installation",
                        rt_list_at(names, (size_t)mod_rec_int(&ex, "nf", 0))->u.str.s);
    goto done;
  }
  mod_ps_cap(&ex, "act", &c);
  if (mod_rec(&ex, "bad")) {
    r = mod_fail_result("failed to %s %s: %s", absent ? "remove" : "install",
                        rt_list_at(names, (size_t)mod_rec_int(&ex, "bad", 0))->u.str.s, c.out);
    mod_ps_out(r, c.out, c.err);
    mod_ps_cap_free(&c);
    goto done;
  }
  long long cnt = mod_rec_int(&ex, "cnt", 0);
  if (cnt > 0) {
    char *msg = pkgin_action_msg(ck, absent ? "removed" : "installed", cnt);
    r = pkgin_done(true, msg);
    free(msg);
    if (!absent)
      mod_ps_out(r, c.out, c.err);
  } else {
    r = pkgin_done(false, absent ? "package(s) already absent" : "package(s) already present");
  }
  mod_ps_cap_free(&c);
done:
  if (have)
    rt_exec_free(&ex);
  if (names)
    rt_decref(names);
  rt_buf_free(&s);
  free(state);
  free(lerr);
  free(err);
  return r;
}

#endif
