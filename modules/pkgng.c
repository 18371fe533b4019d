/*
 * pkgng.c — community.general.pkgng: FreeBSD packages with the target's
 * `pkg`, in one request. The module's steps run in order on the target:
 * `pkg -v` (a pkg older than 1.1.4 takes `pkgsite` as PACKAGESITE, a newer
 * one as --repository=), `upgrade -n|-y` for name=* with state=latest,
 * `update` (unless cached or in check mode), `info -g -e NAME` per package
 * (and `upgrade -g -n NAME` for latest: rc 1 means an upgrade exists), one
 * `install|upgrade -g -U -y NAMES` per action then the same queries to
 * verify, or `delete -y NAME` per installed package for absent, then
 * `autoremove -n|-y`. Every pkg runs with BATCH=yes, every argument quoted.
 * The shell records the counts and the output; the messages are made here.
 */
#include "mod.h"

static const ModParam pkgng_params[] = {
    {.name = "name", .type = MP_LIST, .elements = MP_STR, .required = true, .aliases = "pkg"},
    {.name = "state", .type = MP_STR, .choices = "present,latest,absent", .def = "present"},
    {.name = "cached", .type = MP_BOOL, .def = "false"},
    {.name = "pkgsite", .type = MP_STR},
    {.name = "chroot", .type = MP_PATH},
    {.name = "jail", .type = MP_STR},
    {.name = "autoremove", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_pkgng = {
    .name = "pkgng",
    .params = pkgng_params,
    .nparams = MOD_N(pkgng_params),
    .exclusive = "chroot,jail",
    .tools = "pkg",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* The target side: P is pkg's path, HD/D the dir argument, HR/R pkgsite,
 * CK check mode. q ACTION ARGS runs pkg as run_pkgng does (output in o, e);
 * a appends them to the phase's output (PO, PE). */
static const char PKGNG_FUNCS[] =
    "o=$__playc_scr/o; e=$__playc_scr/e; PO=$__playc_scr/PO; PE=$__playc_scr/PE\n"
    ": >\"$PO\"; : >\"$PE\"\n"
    "q() {\n"
    "  pc_a=$1; shift; pc_s=\n"
    "  case $pc_a in update|install|upgrade)\n"
    "    if [ $HR = 1 ]; then if [ $OLD = 1 ]; then pc_s=1; else set -- \"--repository=$R\" \"$@\"; fi; fi;;\n"
    "  esac\n"
    "  set -- \"$pc_a\" \"$@\"; [ $HD = 0 ] || set -- \"$D\" \"$@\"\n"
    "  if [ -n \"$pc_s\" ]; then PACKAGESITE=$R BATCH=yes \"$P\" \"$@\" >\"$o\" 2>\"$e\" </dev/null\n"
    "  else BATCH=yes \"$P\" \"$@\" >\"$o\" 2>\"$e\" </dev/null; fi\n"
    "}\n"
    "a() { cat \"$o\" >>\"$PO\"; cat \"$e\" >>\"$PE\"; }\n"
    "phase() { cat \"$PO\" >>\"$__playc_scr/O\"; cat \"$PE\" >>\"$__playc_scr/E\"; : >\"$PO\"; : >\"$PE\"; }\n"
    "txt() { __playc_rec \"$1\" \"$(cat \"$2\"; echo .)\"; }\n"
    "done_() { txt pout \"$PO\"; txt perr \"$PE\"; exit 0; }\n"
    "inst() { q info -g -e \"$1\"; }\n"
    "newer() { q upgrade -g -n \"$1\"; [ $? = 1 ]; }\n"
    ": >\"$__playc_scr/O\"; : >\"$__playc_scr/E\"\n"
    "pv=$(\"$P\" -v 2>/dev/null </dev/null); OLD=0\n"
    "case $pv in 0|0[._]*|1[._]0|1[._]0[._]*|1[._]1[._][0-3]|1[._]1[._][0-3][._]*) OLD=1;; esac\n"
    "__playc_rec pkg \"$P\"; __playc_rec old $OLD\n";

/* The text of a recorded output ('.'-terminated), malloc'd. */
static char *rec_text(const RtExec *ex, const char *key) {
  const char *t = mod_rec(ex, key);
  size_t n = t ? strlen(t) : 0;
  if (n)
    n--;
  char *s = malloc(n + 1);
  if (!s)
    abort();
  memcpy(s, t ? t : "", n);
  s[n] = 0;
  return s;
}

static void set_out(RtValue *r, const RtExec *ex, const char *o, const char *e) {
  char *so = rec_text(ex, o), *se = rec_text(ex, e);
  mod_ps_out(r, so, se); /* with stdout_lines / stderr_lines, as AnsibleModule adds them */
  free(so);
  free(se);
}

RtValue *mod_pkgng(RtHost *h, RtValue *args) {
  char *state = mod_arg_str(args, "state"), *site = mod_arg_str(args, "pkgsite");
  char *chroot = mod_arg_str(args, "chroot"), *jail = mod_arg_str(args, "jail"), *lerr = NULL;
  RtValue *names = mod_ps_arg_list(args, "name", &lerr), *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false;
  char *err = NULL;
  ModArgv pk = {0};
  if (!names) {
    r = mod_fail_result("%s", lerr ? lerr : "missing required arguments: name");
    goto done;
  }
  const char *st = state ? state : "present";
  bool ck = h->check_mode, all = false;
  /* one name is split at each ',' or white space, as the module does */
  if (rt_len(names) == 1) {
    const char *n = rt_list_at(names, 0)->u.str.s, *b = n;
    for (const char *c = n;; c++) {
      if (!*c || strchr(", \t\n\r\f\v", *c)) {
        mod_argv_addf(&pk, "%.*s", (int)(c - b), b);
        b = c + 1;
        if (!*c)
          break;
      }
    }
  } else {
    for (size_t i = 0; i < rt_len(names); i++)
      mod_argv_add(&pk, rt_list_at(names, i)->u.str.s);
  }
  all = rt_len(names) == 1 && !strcmp(rt_list_at(names, 0)->u.str.s, "*") && !strcmp(st, "latest");
  size_t named = 0;
  for (size_t i = 0; i < pk.n; i++)
    named += strcmp(pk.v[i], "*") != 0;

  mod_ps_sh_begin(&s);
  mod_ps_sh_need(&s, "P", "pkg");
  rt_buf_printf(&s, "CK=%d HR=%d HD=%d\n", ck, site != NULL, chroot || jail);
  mod_sh_set(&s, "R", site ? site : "");
  if (chroot || jail) {
    char *d = rt_xasprintf(jail ? "--jail=%s" : "--chroot=%s", jail ? jail : chroot);
    mod_sh_set(&s, "D", d);
    free(d);
  } else {
    rt_buf_puts(&s, "D=\n");
  }
  rt_buf_puts(&s, PKGNG_FUNCS);
  if (all) { /* upgrade_packages: check_rc outside check mode */
    rt_buf_printf(&s, "q upgrade %s; r=$?; a\n", ck ? "-n" : "-y");
    if (!ck)
      rt_buf_puts(&s, "if [ $r != 0 ]; then __playc_rec allrc $r; txt aout \"$o\"; txt aerr \"$e\"; exit 0; fi\n");
    rt_buf_puts(&s, "c=0; for x in $(sed -n -e 's/^Number of packages to be upgraded: \\([0-9][0-9]*\\).*/\\1/p' "
                    "-e 's/^Number of packages to be reinstalled: \\([0-9][0-9]*\\).*/\\1/p' \"$o\"); do c=$((c+x)); done\n"
                    "__playc_rec allc $c; phase\n");
  }
  if (named && strcmp(st, "absent") != 0) {
    if (!ck && mod_arg_bool(args, "cached", 0) != 1)
      rt_buf_puts(&s, "q update; r=$?; a\n"
                      "if [ $r != 0 ]; then __playc_rec updrc $r; txt uout \"$o\"; txt uerr \"$e\"; done_; fi\n");
    rt_buf_puts(&s, "first=; ni=0; nu=0\n");
    for (size_t i = 0; i < pk.n; i++) {
      if (!strcmp(pk.v[i], "*"))
        continue;
      mod_sh_set(&s, "p", pk.v[i]);
      rt_buf_printf(&s, "d_%zu=\nif inst \"$p\"; then\n", i);
      if (!strcmp(st, "latest"))
        rt_buf_printf(&s, "  if newer \"$p\"; then d_%zu=upgrade; nu=$((nu+1)); fi\n", i);
      else
        rt_buf_puts(&s, "  :\n");
      rt_buf_printf(&s, "else d_%zu=install; ni=$((ni+1)); fi\n[ -n \"$first\" ] || first=$d_%zu\n", i, i);
    }
    rt_buf_puts(&s, "__playc_rec first \"$first\"; __playc_rec ni $ni; __playc_rec nu $nu\n");
    if (!ck) {
      /* the actions in the order they were first queued */
      rt_buf_puts(&s, "if [ \"$first\" = upgrade ]; then acts='upgrade install'; else acts='install upgrade'; fi\n"
                      "for act in $acts; do\nset --\n");
      for (size_t i = 0; i < pk.n; i++) {
        if (!strcmp(pk.v[i], "*"))
          continue;
        mod_sh_set(&s, "p", pk.v[i]);
        rt_buf_printf(&s, "[ \"$d_%zu\" != \"$act\" ] || set -- \"$@\" \"$p\"\n", i);
      }
      rt_buf_puts(&s, "[ $# = 0 ] && continue\nq \"$act\" -g -U -y \"$@\"; a\n"
                      "for p in \"$@\"; do\n"
                      "  if [ $act = install ]; then inst \"$p\"; else ! newer \"$p\"; fi || "
                      "{ __playc_rec actfail \"$act\"; __playc_rec actpkg \"$p\"; done_; }\n"
                      "done\ndone\n");
    }
    rt_buf_puts(&s, "phase\n");
  } else if (named) {
    rt_buf_puts(&s, "nr=0\n");
    for (size_t i = 0; i < pk.n; i++) {
      if (!strcmp(pk.v[i], "*"))
        continue;
      mod_sh_set(&s, "p", pk.v[i]);
      rt_buf_puts(&s, "if inst \"$p\"; then\n");
      if (!ck)
        rt_buf_puts(&s, "  q delete -y \"$p\"; a; cp \"$o\" \"$__playc_scr/d\"\n"
                        "  if inst \"$p\"; then __playc_rec rmpkg \"$p\"; txt rmout \"$__playc_scr/d\"; done_; fi\n");
      rt_buf_puts(&s, "  nr=$((nr+1))\nfi\n");
    }
    rt_buf_puts(&s, "__playc_rec nr $nr; phase\n");
  }
  if (mod_arg_bool(args, "autoremove", 0) == 1) {
    rt_buf_puts(&s, "q autoremove -n\n"
                    "c=$(sed -n 's/^Deinstallation has been requested for the following \\([0-9][0-9]*\\) packages.*/\\1/p' "
                    "\"$o\" | head -n 1); c=${c:-0}; __playc_rec arc $c\n");
    if (!ck)
      rt_buf_puts(&s, "[ $c = 0 ] || { q autoremove -y; a; }\n");
    rt_buf_puts(&s, "phase\n");
  }
  rt_buf_puts(&s, "txt stdout \"$__playc_scr/O\"; txt stderr \"$__playc_scr/E\"\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec(&ex, "allrc")) { /* run_command's check_rc */
    char *e = rec_text(&ex, "aerr");
    size_t n = strlen(e);
    while (n && strchr(" \t\n\r\f\v", e[n - 1]))
      n--;
    r = mod_fail_result("%.*s", (int)n, e);
    free(e);
    ModArgv c = {0};
    RtBuf cb = {0};
    mod_argv_add(&c, mod_rec(&ex, "pkg"));
    if (chroot || jail)
      mod_argv_addf(&c, jail ? "--jail=%s" : "--chroot=%s", jail ? jail : chroot);
    mod_argv_add(&c, "upgrade");
    if (site && mod_rec_is(&ex, "old", "0"))
      mod_argv_addf(&c, "--repository=%s", site);
    mod_argv_add(&c, "-y");
    rt_buf_add(&cb, "", 0);
    for (size_t i = 0; i < c.n; i++) {
      if (i)
        rt_buf_putc(&cb, ' ');
      mod_py_shlex_quote(&cb, c.v[i]);
    }
    size_t cl = cb.len;
    rt_dict_set(r, "cmd", rt_str_take(rt_buf_take(&cb), cl));
    mod_argv_free(&c);
    rt_dict_set(r, "rc", rt_int(mod_rec_int(&ex, "allrc", 1)));
    set_out(r, &ex, "aout", "aerr");
    goto done;
  }
  if (mod_rec(&ex, "updrc")) {
    char *o = rec_text(&ex, "uout"), *e = rec_text(&ex, "uerr");
    r = mod_fail_result("Could not update catalogue [%lld]: %s %s", mod_rec_int(&ex, "updrc", 1), o, e);
    free(o);
    free(e);
    set_out(r, &ex, "pout", "perr");
    goto done;
  }
  if (mod_rec(&ex, "actfail")) {
    r = mod_fail_result("failed to %s %s", mod_rec(&ex, "actfail"), mod_rec(&ex, "actpkg"));
    set_out(r, &ex, "pout", "perr");
    goto done;
  }
  if (mod_rec(&ex, "rmpkg")) {
    char *o = rec_text(&ex, "rmout");
    r = mod_fail_result("failed to remove %s: %s", mod_rec(&ex, "rmpkg"), o);
    free(o);
    set_out(r, &ex, "pout", "perr");
    goto done;
  }
  RtBuf msg = {0};
  bool changed = false;
  rt_buf_add(&msg, "", 0);
#define SEP()                                                                                      \
  do {                                                                                             \
    if (msg.len)                                                                                   \
      rt_buf_puts(&msg, ", ");                                                                     \
  } while (0)
  if (all) {
    long long c = mod_rec_int(&ex, "allc", 0);
    SEP();
    if (c > 0)
      rt_buf_printf(&msg, "updated %lld package(s)", c);
    else
      rt_buf_puts(&msg, "no packages need upgrades");
    changed |= c > 0;
  }
  if (named && strcmp(st, "absent") != 0) {
    long long ni = mod_rec_int(&ex, "ni", 0), nu = mod_rec_int(&ex, "nu", 0);
    bool up1 = mod_rec_is(&ex, "first", "upgrade");
    SEP();
    if (ni + nu > 0) {
      for (int k = 0; k < 2; k++) {
        bool up = (k == 0) == up1;
        long long c = up ? nu : ni;
        if (!c)
          continue;
        if (k && (up1 ? nu : ni))
          rt_buf_puts(&msg, "; ");
        rt_buf_printf(&msg, "%s %lld package%s", up ? "upgraded" : "installed", c, c != 1 ? "s" : "");
      }
      changed = true;
    } else {
      rt_buf_printf(&msg, "package(s) already %s", st);
    }
  } else if (named) {
    long long c = mod_rec_int(&ex, "nr", 0);
    SEP();
    if (c > 0)
      rt_buf_printf(&msg, "removed %lld package(s)", c);
    else
      rt_buf_puts(&msg, "package(s) already absent");
    changed |= c > 0;
  }
  if (mod_arg_bool(args, "autoremove", 0) == 1) {
    long long c = mod_rec_int(&ex, "arc", 0);
    SEP();
    if (c > 0)
      rt_buf_printf(&msg, "autoremoved %lld package(s)", c);
    else
      rt_buf_puts(&msg, "no package(s) to autoremove");
    changed |= c > 0;
  }
#undef SEP
  r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(changed));
  size_t ml = msg.len;
  rt_dict_set(r, "msg", rt_str_take(rt_buf_take(&msg), ml));
  set_out(r, &ex, "stdout", "stderr");
done:
  if (have)
    rt_exec_free(&ex);
  if (names)
    rt_decref(names);
  mod_argv_free(&pk);
  rt_buf_free(&s);
  free(err);
  free(lerr);
  free(state);
  free(site);
  free(chroot);
  free(jail);
  return r;
}

#endif
