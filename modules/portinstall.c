/*
 * portinstall.c — community.general.portinstall: FreeBSD ports with the
 * target's portinstall (portupgrade), in one request. The module's steps
 * run in its order: per package its query (with pkg_info: `pkg_info -e`
 * of what `pkg_glob NAME` prints; else `pkg info NAME`; then the same with
 * the name's digits removed when that differs), `ports_glob NAME` (and
 * without digits) counting the lines it prints, `portinstall --batch
 * [--use-packages] NAME` for exactly one match and the query again; for
 * absent, pkg_delete (or `pkg delete -y`) of what `pkg_glob` prints, then
 * again without digits, each followed by the query. A missing portinstall
 * is installed first with `pkg install -y portupgrade`, as the module does.
 * The module's command lines are split as shlex.split splits them; where
 * it runs a shell line with a `pkg_glob` substitution, the substitution's
 * output is split into words here too (without its pathname expansion).
 * The module has no check mode.
 */
#include "mod.h"

static const ModParam portinstall_params[] = {
    {.name = "name", .type = MP_STR, .required = true, .aliases = "pkg"},
    {.name = "state", .type = MP_STR, .choices = "present,absent", .def = "present"},
    {.name = "use_packages", .type = MP_BOOL, .def = "true"},
};
const ModSchema mod_schema_portinstall = {
    .name = "portinstall",
    .params = portinstall_params,
    .nparams = MOD_N(portinstall_params),
    .tools = "portinstall,pkg,pkg_glob,ports_glob",
    .check_mode = false,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

static const char PORTINSTALL_FUNCS[] =
    "o=$__playc_scr/o; e=$__playc_scr/e\n"
    "pr() { \"$@\" >\"$o\" 2>\"$e\" </dev/null; pc_r=$?; }\n"
    "lines() { m=$(tr -cd '\\n' <\"$o\" | wc -c); m=$((m)); }\n"
    "keep() { cat \"$o\" >\"$__playc_scr/$1\"; }\n";

/* The words of `name` as shlex.split splits "X NAME" (appended, each
 * quoted, with a leading space); false when it does not split. */
static bool pi_words(RtBuf *s, const char *name) {
  char *line = rt_xasprintf("X %s", name);
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

/* re.sub('[0-9]', '', name), malloc'd. */
static char *pi_nodigits(const char *name) {
  char *d = rt_xstrdup(name), *w = d;
  for (const char *p = name; *p; p++)
    if (*p < '0' || *p > '9')
      *w++ = *p;
  *w = 0;
  return d;
}

/* query_package: f=1 when found. */
static bool pi_query(RtBuf *s, const char *name) {
  char *nd = pi_nodigits(name);
  bool digits = strcmp(nd, name) != 0, ok = true;
  rt_buf_puts(s, "if pc_bin pkg_info; then QI=$pc_v; pc_bin pkg_glob || pc_nobin pkg_glob\n  g=$(env pkg_glob ");
  mod_py_shlex_quote(s, name);
  rt_buf_puts(s, " 2>/dev/null </dev/null); set -f; pr \"$QI\" -e $g; set +f\n");
  if (digits) {
    rt_buf_puts(s, "  [ $pc_r = 0 ] || pr \"$QI\"");
    ok = ok && pi_words(s, nd);
    rt_buf_putc(s, '\n');
  }
  rt_buf_puts(s, "else pc_bin pkg || pc_nobin pkg; QI=$pc_v\n  pr \"$QI\" info");
  ok = ok && pi_words(s, name);
  rt_buf_putc(s, '\n');
  if (digits) {
    rt_buf_puts(s, "  [ $pc_r = 0 ] || pr \"$QI\" info");
    ok = ok && pi_words(s, nd);
    rt_buf_putc(s, '\n');
  }
  rt_buf_puts(s, "fi\nf=0; [ $pc_r != 0 ] || f=1\n");
  free(nd);
  return ok;
}

static bool pi_install(RtBuf *s, RtValue *names, bool use_packages) {
  bool ok = true;
  rt_buf_puts(s, "if pc_bin portinstall; then PT=$pc_v; else\n"
                 "  if pc_bin pkg; then pr env pkg install -y portupgrade; fi\n"
                 "  pc_bin portinstall || pc_nobin portinstall; PT=$pc_v\nfi\ncnt=0\n");
  for (size_t i = 0; ok && i < rt_len(names); i++) {
    const char *n = rt_list_at(names, i)->u.str.s;
    char *nd = pi_nodigits(n);
    ok = pi_query(s, n);
    rt_buf_puts(s, "if [ $f = 0 ]; then\npc_bin ports_glob || pc_nobin ports_glob\npr \"$pc_v\"");
    ok = ok && pi_words(s, n);
    rt_buf_puts(s, "; lines\n");
    if (strcmp(nd, n) != 0) {
      rt_buf_puts(s, "[ $m != 0 ] || { pr \"$pc_v\"");
      ok = ok && pi_words(s, nd);
      rt_buf_puts(s, "; lines; }\n");
    }
    rt_buf_printf(s, "case $m in\n1) pr \"$PT\" --batch%s", use_packages ? " --use-packages" : "");
    ok = ok && pi_words(s, n);
    rt_buf_puts(s, "; keep io\n");
    ok = ok && pi_query(s, n);
    rt_buf_printf(s, "  [ $f = 1 ] || { __playc_rec bad %zu; __playc_rec out \"$(cat \"$__playc_scr/io\"; echo .)\"; "
                     "exit 0; };;\n"
                     "0) __playc_rec nomatch %zu; exit 0;;\n*) __playc_rec many %zu; __playc_rec m $m; exit 0;;\n"
                     "esac\ncnt=$((cnt+1))\nfi\n",
                  i, i, i);
    free(nd);
  }
  rt_buf_puts(s, "__playc_rec cnt $cnt\n");
  return ok;
}

static bool pi_remove(RtBuf *s, RtValue *names) {
  bool ok = true;
  rt_buf_puts(s, "pc_bin pkg_glob || pc_nobin pkg_glob; PG=$pc_v\n"
                 "if pc_bin pkg_delete; then PD=$pc_v; pd=1; else pc_bin pkg || pc_nobin pkg; PD=$pc_v; pd=0; fi\n"
                 "del_() { if [ $pd = 1 ]; then pr \"$PD\" \"$@\"; else pr \"$PD\" delete -y \"$@\"; fi; keep do; }\n"
                 "cnt=0\n");
  for (size_t i = 0; ok && i < rt_len(names); i++) {
    const char *n = rt_list_at(names, i)->u.str.s;
    char *nd = pi_nodigits(n);
    ok = pi_query(s, n);
    rt_buf_puts(s, "if [ $f = 1 ]; then\ng=$(\"$PG\" ");
    mod_py_shlex_quote(s, n);
    rt_buf_puts(s, " 2>/dev/null </dev/null); set -f; del_ $g; set +f\n");
    ok = ok && pi_query(s, n);
    rt_buf_puts(s, "if [ $f = 1 ]; then\ng=$(\"$PG\" ");
    mod_py_shlex_quote(s, nd);
    rt_buf_puts(s, " 2>/dev/null </dev/null); set -f; del_ $g; set +f\n");
    ok = ok && pi_query(s, n);
    rt_buf_printf(s, "[ $f = 0 ] || { __playc_rec bad %zu; __playc_rec out \"$(cat \"$__playc_scr/do\"; echo .)\"; "
                     "exit 0; }\nfi\ncnt=$((cnt+1))\nfi\n",
                  i);
    free(nd);
  }
  rt_buf_puts(s, "__playc_rec cnt $cnt\n");
  return ok;
}

static RtValue *pi_done(bool changed, char *msg) {
  RtValue *r = rt_dict_new(2);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "msg", rt_str(msg, strlen(msg)));
  free(msg);
  return r;
}

RtValue *mod_portinstall(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *state = mod_arg_str(args, "state"), *err = NULL;
  RtValue *names = rt_list_new(2), *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  bool absent = state && !strcmp(state, "absent");
  if (h->check_mode) {
    r = mod_check_skip("portinstall");
    goto done;
  }
  for (const char *p = name ? name : "";;) { /* name.split(",") */
    const char *c = strchr(p, ',');
    rt_list_push(names, rt_str(p, c ? (size_t)(c - p) : strlen(p)));
    if (!c)
      break;
    p = c + 1;
  }
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, PORTINSTALL_FUNCS);
  bool ok = absent ? pi_remove(&s, names) : pi_install(&s, names, mod_arg_bool(args, "use_packages", 1) == 1);
  if (!ok) {
    r = mod_fail_result("No closing quotation");
    goto done;
  }
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  if ((r = mod_ps_missing(&ex)) == NULL) {
    const char *out = mod_rec(&ex, "out");
    size_t ol = out && *out ? strlen(out) - 1 : 0;
    long long cnt = mod_rec_int(&ex, "cnt", 0);
    if (mod_rec(&ex, "bad"))
      r = mod_fail_result("failed to %s %s: %.*s", absent ? "remove" : "install",
                          rt_list_at(names, (size_t)mod_rec_int(&ex, "bad", 0))->u.str.s, (int)ol, out);
    else if (mod_rec(&ex, "nomatch"))
      r = mod_fail_result("no matches for package %s",
                          rt_list_at(names, (size_t)mod_rec_int(&ex, "nomatch", 0))->u.str.s);
    else if (mod_rec(&ex, "many"))
      r = mod_fail_result("%lld matches found for package name %s", mod_rec_int(&ex, "m", 0),
                          rt_list_at(names, (size_t)mod_rec_int(&ex, "many", 0))->u.str.s);
    else if (cnt > 0)
      r = pi_done(true, rt_xasprintf(absent ? "removed %lld package(s)" : "present %lld package(s)", cnt));
    else
      r = pi_done(false, rt_xstrdup(absent ? "package(s) already absent" : "package(s) already present"));
  }
  rt_exec_free(&ex);
done:
  rt_decref(names);
  rt_buf_free(&s);
  free(name);
  free(state);
  free(err);
  return r;
}

#endif
