/*
 * apk.c — community.general.apk: Alpine packages with the target's `apk`.
 * The module's command lines are built here as the collection builds its
 * strings (apk's path, then --no-cache and each --repository R
 * --repositories-file /dev/null, then the words), split as Python's
 * shlex.split splits them, and run as argv words, never through a shell,
 * with LANG/LC_ALL/LC_MESSAGES/LC_CTYPE=C.
 *
 * Request 1 runs, in the module's order, `update` (update_cache), then
 * either `upgrade [--simulate] [--available]` (upgrade), or the queries of
 * install_packages: `-v info --description NAME` per name; for a virtual
 * package (the output starts "NAME: virtual meta package") `-v info
 * --depends NAME` and, for latest, `version DEP` per dependency; else the
 * world file's words decide whether NAME is top-level, and for latest
 * `version NAME`. Those decisions are exact string tests, made in the
 * shell; the `version` outputs come back and the module's regular
 * expression reads them here (PCRE with Python's semantics). Request 2,
 * only when something is to be added, runs `add [--upgrade] [--simulate]`.
 * Removal is one request: `-v info --installed NAME` per name, `del
 * --purge [--simulate]` of the installed ones, and the module's check that
 * none is still installed (run in check mode too, as the module does).
 */
#include "mod.h"

static const ModParam apk_params[] = {
    {.name = "state", .type = MP_STR, .choices = "present,installed,absent,removed,latest", .def = "present"},
    {.name = "name", .type = MP_LIST, .elements = MP_STR},
    {.name = "no_cache", .type = MP_BOOL, .def = "false"},
    {.name = "repository", .type = MP_LIST, .elements = MP_STR},
    {.name = "update_cache", .type = MP_BOOL, .def = "false"},
    {.name = "upgrade", .type = MP_BOOL, .def = "false"},
    {.name = "available", .type = MP_BOOL, .def = "false"},
    {.name = "world", .type = MP_STR, .def = "/etc/apk/world"},
};
const ModSchema mod_schema_apk = {
    .name = "apk",
    .params = apk_params,
    .nparams = MOD_N(apk_params),
    .one_of = "name,update_cache,upgrade",
    .exclusive = "name,upgrade",
    .tools = "apk",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

typedef struct Apk {
  RtHost *h;
  bool ck, latest;
  char *opts; /* " --no-cache --repository R --repositories-file /dev/null ..." */
  RtValue *names;
  RtBuf s;
} Apk;

/* `pc_cap KEY "$A" WORDS...`: the words of "APK<opts> <rest>" as
 * shlex.split gives them. False when the line does not split (an unclosed
 * quote: the module's run_command raises). */
static bool apk_cap(Apk *a, const char *key, const char *rest) {
  char *line = rt_xasprintf("apk%s %s", a->opts, rest);
  RtValue *w = mod_py_shlex_split(line);
  free(line);
  if (!w)
    return false;
  rt_buf_printf(&a->s, "pc_cap %s \"$A\"", key);
  for (size_t i = 1; i < rt_len(w); i++) {
    rt_buf_putc(&a->s, ' ');
    rt_sh_quote(&a->s, rt_list_at(w, i)->u.str.s);
  }
  rt_buf_putc(&a->s, '\n');
  rt_decref(w);
  return true;
}

static void apk_begin(Apk *a) {
  mod_ps_sh_begin(&a->s);
  mod_ps_sh_need(&a->s, "A", "apk");
  rt_buf_puts(&a->s, "LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C; export LANG LC_ALL LC_MESSAGES LC_CTYPE\n");
}

static int apk_exec(Apk *a, RtExec *ex, RtValue **r) {
  char *err = NULL;
  int rc = rt_host_exec(a->h, a->s.data, NULL, 0, ex, &err);
  free(err);
  rt_buf_free(&a->s);
  a->s = (RtBuf){0};
  if (rc < 0)
    return -1;
  if ((*r = mod_ps_missing(ex)) != NULL) {
    rt_exec_free(ex);
    return -1;
  }
  return 0;
}

/* parse_for_packages: group 1 of ^\(\d+/\d+\)\s+\S+\s+(\S+) on each line. */
static RtValue *apk_packages(const char *out) {
  RtValue *l = rt_list_new(4);
  static const char pat[] = "^\\(\\d+/\\d+\\)\\s+\\S+\\s+(\\S+)";
  char *err = NULL;
  ModRe *re = mod_re_compile(pat, sizeof pat - 1, 0, true, &err);
  free(err);
  for (const char *p = out; re;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p), b, e;
    ModReMatch m;
    if (mod_re_search(re, p, n, 0, false, &m) && mod_re_group(&m, 1, &b, &e))
      rt_list_push(l, rt_str(p + b, e - b));
    if (!nl)
      break;
    p = nl + 1;
  }
  mod_re_free(re);
  return l;
}

/* A result from exit_json / fail_json with the command's output. */
static RtValue *apk_result(bool failed, bool changed, const char *msg, const ModCap *c, bool pkgs) {
  RtValue *r = failed ? mod_fail_result("%s", msg) : rt_dict_new(6);
  if (!failed) {
    rt_dict_set(r, "changed", rt_bool(changed));
    rt_dict_set(r, "msg", rt_str(msg, strlen(msg)));
  }
  mod_ps_out(r, c->out, c->err);
  if (pkgs)
    rt_dict_set(r, "packages", apk_packages(c->out));
  return r;
}

/* re.escape(s), appended. */
static void py_re_escape(RtBuf *b, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 128 && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '_')
      rt_buf_putc(b, '\\');
    rt_buf_putc(b, (char)c);
  }
}

/* query_latest: false when `apk version NAME`'s output says "<". */
static bool apk_is_latest(const char *name, const char *out) {
  RtBuf p = {0};
  rt_buf_puts(&p, "(");
  py_re_escape(&p, name);
  rt_buf_puts(&p, ")-[\\d\\.\\w]+-[\\d\\w]+\\s+(.)\\s+[\\d\\.\\w]+-[\\d\\w]+\\s+");
  char *err = NULL;
  ModRe *re = mod_re_compile(p.data, p.len, 0, true, &err);
  free(err);
  rt_buf_free(&p);
  bool latest = true;
  ModReMatch m;
  size_t b, e;
  if (re && mod_re_search(re, out, strlen(out), 0, false, &m) && mod_re_group(&m, 2, &b, &e))
    latest = !(e - b == 1 && out[b] == '<');
  mod_re_free(re);
  return latest;
}

static RtValue *apk_unsplittable(void) {
  return mod_fail_result("No closing quotation");
}

/* The names' queries (request 1's end): records inst.I (to install), and
 * the version outputs vI (a name) or vI_J (dependency J of a virtual one,
 * its word in dwI_J). */
static bool apk_install_queries(Apk *a, const char *world) {
  mod_sh_set(&a->s, "W", world);
  for (size_t i = 0; i < rt_len(a->names); i++) {
    const char *n = rt_list_at(a->names, i)->u.str.s;
    char *k = rt_xasprintf("d%zu", i), *rest = rt_xasprintf("-v info --description %s", n);
    bool ok = apk_cap(a, k, rest);
    free(rest);
    if (!ok) {
      free(k);
      return false;
    }
    mod_sh_set(&a->s, "n", n);
    rt_buf_printf(&a->s, "case $(cat \"$__playc_scr/o\") in \"$n: virtual meta package\"*)\n");
    rest = rt_xasprintf("-v info --depends %s", n);
    char *kp = rt_xasprintf("p%zu", i);
    ok = apk_cap(a, kp, rest);
    free(rest);
    free(kp);
    if (!ok) {
      free(k);
      return false;
    }
    if (a->latest) {
      /* the dependencies: stdout.split()[1:], each one's `version DEP` */
      char *line = rt_xasprintf("apk%s version", a->opts);
      RtValue *w = mod_py_shlex_split(line);
      free(line);
      if (!w) {
        free(k);
        return false;
      }
      rt_buf_printf(&a->s, "  set -f; j=0; first=1\n  for dep in $(cat \"$__playc_scr/o\"); do\n"
                           "    [ $first = 1 ] && { first=0; continue; }\n"
                           "    __playc_rec dw%zu_$j \"$dep\"\n    pc_cap v%zu_$j \"$A\"",
                    i, i);
      for (size_t j = 1; j < rt_len(w); j++) {
        rt_buf_putc(&a->s, ' ');
        rt_sh_quote(&a->s, rt_list_at(w, j)->u.str.s);
      }
      rt_buf_puts(&a->s, " \"$dep\"; j=$((j+1))\n  done; set +f\n");
      rt_decref(w);
    }
    /* query_toplevel: a world word NAME, or NAME then one of @=<>~ and more */
    rt_buf_printf(&a->s, "  ;;\n*)\n  top=0; set -f\n"
                         "  [ -r \"$W\" ] || { __playc_rec noworld 1; exit 0; }\n"
                         "  pc_world=$(cat \"$W\")\n"
                         "  for w in $pc_world; do case $w in \"$n\"|\"$n\"[@=\\<\\>~]?*) top=1; break;; esac; done\n"
                         "  set +f\n  if [ $top = 0 ]; then __playc_rec inst%zu 1\n",
                  i);
    if (a->latest) {
      char *kv = rt_xasprintf("v%zu", i);
      rest = rt_xasprintf("version %s", n);
      rt_buf_puts(&a->s, "  else ");
      ok = apk_cap(a, kv, rest);
      free(rest);
      free(kv);
      if (!ok) {
        free(k);
        return false;
      }
    }
    rt_buf_puts(&a->s, "  fi;;\nesac\n");
    free(k);
  }
  return true;
}

/* install_packages after its queries: request 2 adds what is missing or old. */
static RtValue *apk_install(Apk *a, const RtExec *ex) {
  RtBuf pk = {0};
  bool upgrade = false;
  rt_buf_add(&pk, "", 0);
  RtValue *up = rt_list_new(4);
  for (size_t i = 0; i < rt_len(a->names); i++) {
    const char *n = rt_list_at(a->names, i)->u.str.s;
    char *k = rt_xasprintf("inst%zu", i);
    if (mod_rec(ex, k)) {
      if (pk.len)
        rt_buf_putc(&pk, ' ');
      rt_buf_puts(&pk, n);
    }
    free(k);
    if (!a->latest)
      continue;
    ModCap c;
    k = rt_xasprintf("v%zu", i);
    if (mod_ps_cap(ex, k, &c) && !apk_is_latest(n, c.out))
      rt_list_push(up, rt_str(n, strlen(n)));
    mod_ps_cap_free(&c);
    free(k);
    for (int j = 0;; j++) {
      char *dk = rt_xasprintf("dw%zu_%d", i, j);
      const char *dep = mod_rec(ex, dk);
      free(dk);
      if (!dep)
        break;
      k = rt_xasprintf("v%zu_%d", i, j);
      if (mod_ps_cap(ex, k, &c) && !apk_is_latest(dep, c.out))
        rt_list_push(up, rt_str(dep, strlen(dep)));
      mod_ps_cap_free(&c);
      free(k);
    }
  }
  for (size_t i = 0; i < rt_len(up); i++) {
    upgrade = true;
    if (pk.len)
      rt_buf_putc(&pk, ' ');
    rt_buf_puts(&pk, rt_list_at(up, i)->u.str.s);
  }
  rt_decref(up);
  RtValue *r = NULL;
  if (!pk.len && !upgrade) {
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "msg", rt_str("package(s) already installed", 28));
    rt_buf_free(&pk);
    return r;
  }
  apk_begin(a);
  char *rest = rt_xasprintf("add%s%s %s", upgrade ? " --upgrade" : "", a->ck ? " --simulate" : "", pk.data);
  bool ok = apk_cap(a, "act", rest);
  free(rest);
  if (!ok) {
    rt_buf_free(&pk);
    return apk_unsplittable();
  }
  RtExec ex2 = {0};
  if (apk_exec(a, &ex2, &r) < 0) {
    rt_buf_free(&pk);
    return r;
  }
  ModCap c;
  mod_ps_cap(&ex2, "act", &c);
  char *msg = c.rc != 0 ? rt_xasprintf("failed to install %s", pk.data)
                        : rt_xasprintf("installed %s package(s)", pk.data);
  r = apk_result(c.rc != 0, true, msg, &c, true);
  free(msg);
  mod_ps_cap_free(&c);
  rt_exec_free(&ex2);
  rt_buf_free(&pk);
  return r;
}

/* remove_packages, in one request: the queries, then `del --purge` of the
 * installed names (their words as the module's joined line splits), then
 * the check that none is still installed. */
static bool apk_remove_script(Apk *a) {
  rt_buf_puts(&a->s, "ni=0\n");
  for (size_t i = 0; i < rt_len(a->names); i++) {
    const char *n = rt_list_at(a->names, i)->u.str.s;
    char *k = rt_xasprintf("q%zu", i), *rest = rt_xasprintf("-v info --installed %s", n);
    bool ok = apk_cap(a, k, rest);
    free(k);
    free(rest);
    if (!ok)
      return false;
    rt_buf_printf(&a->s, "in%zu=; [ $pc_r != 0 ] || { __playc_rec in%zu 1; in%zu=1; ni=$((ni+1)); }\n", i, i, i);
  }
  rt_buf_puts(&a->s, "[ $ni != 0 ] || exit 0\nset --\n");
  for (size_t i = 0; i < rt_len(a->names); i++) {
    RtValue *w = mod_py_shlex_split(rt_list_at(a->names, i)->u.str.s);
    if (!w)
      return false;
    rt_buf_printf(&a->s, "[ -z \"$in%zu\" ] || set -- \"$@\"", i);
    for (size_t j = 0; j < rt_len(w); j++) {
      rt_buf_putc(&a->s, ' ');
      rt_sh_quote(&a->s, rt_list_at(w, j)->u.str.s);
    }
    rt_buf_putc(&a->s, '\n');
    rt_decref(w);
  }
  char *rest = rt_xasprintf("del --purge%s", a->ck ? " --simulate" : "");
  bool ok = apk_cap(a, "act", rest);
  free(rest);
  if (!ok)
    return false;
  a->s.len--; /* the names go last, after apk_cap's fixed words */
  rt_buf_puts(&a->s, " \"$@\"\n");
  for (size_t i = 0; i < rt_len(a->names); i++) {
    char *k = rt_xasprintf("r%zu", i);
    char *rest2 = rt_xasprintf("-v info --installed %s", rt_list_at(a->names, i)->u.str.s);
    rt_buf_printf(&a->s, "if [ -n \"$in%zu\" ]; then\n", i);
    ok = apk_cap(a, k, rest2);
    rt_buf_puts(&a->s, "[ $pc_r != 0 ] || { __playc_rec still 1; exit 0; }\nfi\n");
    free(k);
    free(rest2);
    if (!ok)
      return false;
  }
  return true;
}

RtValue *mod_apk(RtHost *h, RtValue *args) {
  Apk a = {.h = h, .ck = h->check_mode};
  char *state = mod_arg_str(args, "state"), *world = mod_arg_str(args, "world"), *lerr = NULL;
  RtValue *repos = NULL, *r = NULL;
  RtBuf opts = {0};
  RtExec ex = {0};
  bool have = false;
  const char *st = state ? state : "present";
  if (!strcmp(st, "installed"))
    st = "present";
  if (!strcmp(st, "removed"))
    st = "absent";
  a.latest = !strcmp(st, "latest");
  a.names = mod_ps_arg_list(args, "name", &lerr);
  if (!lerr)
    repos = mod_ps_arg_list(args, "repository", &lerr);
  if (lerr) {
    r = mod_fail_result("%s", lerr);
    goto done;
  }
  bool upd = mod_arg_bool(args, "update_cache", 0) == 1, upg = mod_arg_bool(args, "upgrade", 0) == 1;
  rt_buf_add(&opts, "", 0);
  if (mod_arg_bool(args, "no_cache", 0) == 1)
    rt_buf_puts(&opts, " --no-cache");
  for (size_t i = 0; repos && i < rt_len(repos); i++)
    rt_buf_printf(&opts, " --repository %s --repositories-file /dev/null", rt_list_at(repos, i)->u.str.s);
  a.opts = opts.data;

  apk_begin(&a);
  bool named = a.names && rt_len(a.names) > 0;
  if (upd) {
    if (!apk_cap(&a, "upd", "update")) {
      r = apk_unsplittable();
      goto done;
    }
    rt_buf_puts(&a.s, "[ $pc_r = 0 ] || exit 0\n");
    if (!named && !upg)
      rt_buf_puts(&a.s, "exit 0\n");
  }
  bool ok = true;
  if (upg) {
    ok = apk_cap(&a, "up", a.ck ? (mod_arg_bool(args, "available", 0) == 1 ? "upgrade --simulate --available"
                                                                             : "upgrade --simulate")
                                : (mod_arg_bool(args, "available", 0) == 1 ? "upgrade --available" : "upgrade"));
  } else if (!strcmp(st, "absent")) {
    if (!a.names)
      a.names = rt_list_new(0);
    ok = apk_remove_script(&a);
  } else {
    if (!a.names)
      a.names = rt_list_new(0);
    ok = apk_install_queries(&a, world ? world : "/etc/apk/world");
  }
  if (!ok) {
    r = apk_unsplittable();
    goto done;
  }
  if (apk_exec(&a, &ex, &r) < 0)
    goto done;
  have = true;
  ModCap c = {0};
  if (upd && mod_ps_cap(&ex, "upd", &c)) {
    if (c.rc != 0 || (!named && !upg)) {
      r = apk_result(c.rc != 0, true, c.rc != 0 ? "could not update package db" : "updated repository indexes", &c,
                     false);
      mod_ps_cap_free(&c);
      goto done;
    }
  }
  mod_ps_cap_free(&c);
  if (upg) {
    mod_ps_cap(&ex, "up", &c);
    if (c.rc != 0)
      r = apk_result(true, false, "failed to upgrade packages", &c, true);
    else if (!strncmp(c.out, "OK", 2))
      r = apk_result(false, false, "packages already upgraded", &c, true);
    else
      r = apk_result(false, true, "upgraded packages", &c, true);
    mod_ps_cap_free(&c);
    goto done;
  }
  if (!strcmp(st, "absent")) {
    RtBuf inst = {0};
    rt_buf_add(&inst, "", 0);
    for (size_t i = 0; i < rt_len(a.names); i++) {
      char *k = rt_xasprintf("in%zu", i);
      if (mod_rec(&ex, k)) {
        if (inst.len)
          rt_buf_putc(&inst, ' ');
        rt_buf_puts(&inst, rt_list_at(a.names, i)->u.str.s);
      }
      free(k);
    }
    if (!inst.len) {
      r = rt_dict_new(2);
      rt_dict_set(r, "changed", rt_bool(false));
      rt_dict_set(r, "msg", rt_str("package(s) already removed", 26));
    } else {
      mod_ps_cap(&ex, "act", &c);
      bool failed = c.rc != 0 || mod_rec(&ex, "still");
      char *msg = rt_xasprintf(failed ? "failed to remove %s package(s)" : "removed %s package(s)", inst.data);
      r = apk_result(failed, true, msg, &c, true);
      free(msg);
      mod_ps_cap_free(&c);
    }
    rt_buf_free(&inst);
    goto done;
  }
  if (mod_rec(&ex, "noworld")) {
    /* the module's open(world) raises: it fails without a message of its own */
    r = mod_fail_result("MODULE FAILURE\nSee stdout/stderr for the exact error");
    rt_dict_set(r, "rc", rt_int(1));
    char *e = rt_xasprintf("FileNotFoundError: [Errno 2] No such file or directory: '%s'",
                           world ? world : "/etc/apk/world");
    rt_dict_set(r, "module_stderr", rt_str_take(e, strlen(e)));
    goto done;
  }
  r = apk_install(&a, &ex);
done:
  if (have)
    rt_exec_free(&ex);
  if (a.names)
    rt_decref(a.names);
  if (repos)
    rt_decref(repos);
  rt_buf_free(&a.s);
  rt_buf_free(&opts);
  free(state);
  free(world);
  free(lerr);
  return r;
}

#endif
