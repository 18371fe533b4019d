/*
 * yum.c — ansible.builtin.yum: the action picks the backend (use_backend,
 * else the pkg_mgr fact, else found on the target as the action's setup
 * call finds it) and runs the yum 3 backend here with the target's rpm,
 * repoquery and yum. Without yum's Python API, the module's repoquery path
 * is the one taken (the path it takes itself under rhnplugin): installed
 * packages with `rpm -q --qf %{epoch}:%{name}-%{version}-%{release}.%{arch}`
 * (then --whatprovides), providers and availability with `repoquery`,
 * updates with `yum check-update`, in the module's order, all in the first
 * request; the second runs `yum -d 2 -y ... install|remove|update`. The
 * messages and results are the module's; the dnf (yum4) backend is dnf.c.
 * Not done: list=, local .rpm files and URLs, allow_downgrade, groups are never
 * found installed (yum decides: "Nothing to do"), the lock file wait.
 */
#include "mod.h"

static const ModParam yum_params[] = {
    {.name = "name", .type = MP_LIST, .elements = MP_STR, .aliases = "pkg"},
    {.name = "state", .type = MP_STR, .choices = "absent,installed,latest,present,removed"},
    {.name = "allow_downgrade", .type = MP_BOOL, .def = "false"},
    {.name = "autoremove", .type = MP_BOOL, .def = "false"},
    {.name = "bugfix", .type = MP_BOOL, .def = "false"},
    {.name = "cacheonly", .type = MP_BOOL, .def = "false"},
    {.name = "conf_file", .type = MP_STR},
    {.name = "disable_excludes", .type = MP_STR},
    {.name = "disable_gpg_check", .type = MP_BOOL, .def = "false"},
    {.name = "disable_plugin", .type = MP_LIST, .elements = MP_STR},
    {.name = "disablerepo", .type = MP_LIST, .elements = MP_STR},
    {.name = "download_only", .type = MP_BOOL, .def = "false"},
    {.name = "download_dir", .type = MP_STR},
    {.name = "enable_plugin", .type = MP_LIST, .elements = MP_STR},
    {.name = "enablerepo", .type = MP_LIST, .elements = MP_STR},
    {.name = "exclude", .type = MP_LIST, .elements = MP_STR},
    {.name = "installroot", .type = MP_STR, .def = "/"},
    {.name = "install_repoquery", .type = MP_BOOL, .def = "true"},
    {.name = "install_weak_deps", .type = MP_BOOL, .def = "true"},
    {.name = "list", .type = MP_STR},
    {.name = "releasever", .type = MP_STR},
    {.name = "security", .type = MP_BOOL, .def = "false"},
    {.name = "skip_broken", .type = MP_BOOL, .def = "false"},
    {.name = "update_cache", .type = MP_BOOL, .aliases = "expire-cache", .def = "false"},
    {.name = "update_only", .type = MP_BOOL, .def = "false"},
    {.name = "validate_certs", .type = MP_BOOL, .def = "true"},
    {.name = "sslverify", .type = MP_BOOL, .def = "true"},
    {.name = "lock_timeout", .type = MP_INT, .def = "30"},
    {.name = "use_backend", .type = MP_STR, .choices = "auto,yum,yum4,dnf", .def = "auto"},
    {.name = "use", .type = MP_STR},
};
const ModSchema mod_schema_yum = {
    .name = "yum",
    .params = yum_params,
    .nparams = MOD_N(yum_params),
    /* required_one_of name/list/update_cache never fires: name's default [] counts */
    .exclusive = "name,list",
    .tools = "rpm,yum",
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The target side. yb1 is yum_basecmd as ensure() builds it, yb2 with the
 * state's options (--nogpgcheck ...); lrun runs under the best parsable
 * locale; isq SPEC QF PKG is is_installed (FL = its first package, L its
 * list); wp SPEC is what_provides (the providers in file P); rqr runs
 * repoquery with the module's words. An error the module fails with is
 * recorded (err, its text and the command's words) and ends the script. */
static const char YUM_FUNCS[] =
    "QF='%{epoch}:%{name}-%{version}-%{release}.%{arch}\n'\n"
    "DQF='%{epoch}:%{name}-%{version}-%{release}.%{arch}'\n"
    "O=$__playc_scr/o E=$__playc_scr/e L=$__playc_scr/L P=$__playc_scr/P\n"
    "lrun() ( export LANG=\"$pc_loc\" LC_ALL=\"$pc_loc\" LC_MESSAGES=\"$pc_loc\"; \"$@\" )\n"
    "werr() {\n"
    "  __playc_rec err \"$1\"; __playc_rec errt \"$2.\"; shift 2; __playc_rec errn $#; j=0\n"
    "  for w in \"$@\"; do __playc_rec \"errw$j\" \"$w\"; j=$((j+1)); done; exit 0\n"
    "}\n"
    "lines() { sed 's/(none)/0/g' \"$O\" | grep '[^[:space:]]' > \"$L\"; FL=$(head -n 1 \"$L\"); }\n"
    "isq() {\n"
    "  qs=$1 qq=$2 qp=$3\n"
    "  set -- \"$RPM\" -q --qf \"$qq\" \"$qs\"\n"
    "  case $qs in *'*'*) set -- \"$@\" -a;; esac\n"
    "  [ -z \"$ROOT\" ] || set -- \"$@\" --root \"$ROOT\"\n"
    "  lrun \"$@\" >\"$O\" 2>\"$E\" </dev/null; r=$?; e1=$(cat \"$E\"; echo .); e1=${e1%.}\n"
    "  if grep -q 'is not installed' \"$O\"; then : >\"$O\"; elif [ $r != 0 ]; then werr rpm \"$e1\" \"$@\"; fi\n"
    "  lines\n"
    "  if [ -z \"$FL\" ] && [ \"$qp\" = 0 ]; then\n"
    "    set -- \"$RPM\" -q --qf \"$qq\" --whatprovides \"$qs\"; [ -z \"$ROOT\" ] || set -- \"$@\" --root \"$ROOT\"\n"
    "    lrun \"$@\" >\"$O\" 2>\"$E\" </dev/null; r=$?\n"
    "    if grep -q 'no package provides' \"$O\"; then : >\"$O\"\n"
    "    elif [ $r != 0 ]; then werr rpm \"$e1$(cat \"$E\")\" \"$@\"; fi\n"
    "    lines\n"
    "  fi\n"
    "  [ -n \"$FL\" ]\n"
    "}\n"
    "wp() {\n"
    "  rqr 0 --qf \"$DQF\" --whatprovides \"$1\"; r1=$?; cat \"$O\" >\"$P.1\"; cp \"$E\" \"$E.1\"\n"
    "  rqr 2 --qf \"$DQF\" \"$1\"\n"
    "  cat \"$O\" >>\"$P.1\"; grep '[^[:space:]]' \"$P.1\" | sort -u >\"$P\"\n"
    "  [ -s \"$P\" ] || { isq \"$1\" \"$DQF\" 0; cp \"$L\" \"$P\"; }\n"
    "}\n"
    "avail() { rqr 1 --qf \"$DQF\" \"$1\"; grep -q '[^[:space:]]' \"$O\"; }\n";

typedef struct {
  RtHost *h;
  RtValue *args;
  char *state, *root, *conf, *relver;
  RtValue *names;
  ModArgv b1, b2; /* yum_basecmd's options after -d 2 -y (and -c CONF) */
} Yum;

/* Appends `WORD` quoted, with a leading space. */
static void sh_word(RtBuf *s, const char *w) {
  rt_buf_putc(s, ' ');
  rt_sh_quote(s, w);
}

/* Arg `name` as type=list, elements=str, each comma-split again (listify_comma_sep_strings_in_list). */
static RtValue *list_arg(RtValue *args, const char *name, bool strip) {
  RtValue *v = mod_arg_list(args, name), *l = rt_list_new(4);
  for (size_t i = 0; v && i < rt_len(v); i++) {
    RtValue *e = rt_list_at(v, i);
    const char *s = rt_kind(e) == RT_STR ? e->u.str.s : "";
    char *t = NULL;
    if (strip) {
      while (isspace((unsigned char)*s))
        s++;
      size_t n = strlen(s);
      while (n && isspace((unsigned char)s[n - 1]))
        n--;
      t = rt_xstrndup(s, n);
      s = t;
    }
    if (strchr(s, ',')) {
      for (const char *p = s;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        while (n && isspace((unsigned char)*p))
          p++, n--;
        while (n && isspace((unsigned char)p[n - 1]))
          n--;
        if (n)
          rt_list_push(l, rt_str(p, n));
        if (!c)
          break;
        p = c + 1;
      }
    } else if (*s) {
      rt_list_push(l, rt_strz(s));
    }
    free(t);
  }
  if (v)
    rt_decref(v);
  return l;
}

static char *joined(RtValue *l) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < rt_len(l); i++)
    rt_buf_printf(&b, "%s%s", i ? "," : "", rt_list_at(l, i)->u.str.s);
  return rt_buf_take(&b);
}

/* ensure()'s yum_basecmd options (without -c, which the shell adds when the file exists). */
static void base_options(Yum *y) {
  ModArgv *a = &y->b1;
  static const char *const lists[][2] = {{"disablerepo", "--disablerepo=%s"}, {"enablerepo", "--enablerepo=%s"}};
  if (mod_arg_bool(y->args, "skip_broken", 0) == 1)
    mod_argv_add(a, "--skip-broken");
  for (int k = 0; k < 2; k++) {
    RtValue *l = list_arg(y->args, lists[k][0], false);
    if (rt_len(l)) {
      char *j = joined(l);
      mod_argv_addf(a, lists[k][1], j);
      free(j);
    }
    rt_decref(l);
  }
  static const char *const plug[][2] = {{"enable_plugin", "--enableplugin"}, {"disable_plugin", "--disableplugin"}};
  for (int k = 0; k < 2; k++) {
    RtValue *l = list_arg(y->args, plug[k][0], false);
    if (rt_len(l)) {
      char *j = joined(l);
      mod_argv_add(a, plug[k][1]);
      mod_argv_add(a, j);
      free(j);
    }
    rt_decref(l);
  }
  RtValue *ex = list_arg(y->args, "exclude", false);
  if (rt_len(ex)) {
    char *j = joined(ex);
    mod_argv_addf(a, "--exclude=%s", j);
    free(j);
  }
  rt_decref(ex);
  char *de = mod_arg_str(y->args, "disable_excludes"), *dd = mod_arg_str(y->args, "download_dir");
  if (de && *de)
    mod_argv_addf(a, "--disableexcludes=%s", de);
  if (mod_arg_bool(y->args, "cacheonly", 0) == 1)
    mod_argv_add(a, "--cacheonly");
  if (mod_arg_bool(y->args, "download_only", 0) == 1) {
    mod_argv_add(a, "--downloadonly");
    if (dd && *dd)
      mod_argv_addf(a, "--downloaddir=%s", dd);
  }
  if (y->relver)
    mod_argv_addf(a, "--releasever=%s", y->relver);
  if (strcmp(y->root, "/") != 0)
    mod_argv_addf(a, "--installroot=%s", y->root);
  free(de);
  free(dd);
  for (size_t i = 0; i < a->n; i++)
    mod_argv_add(&y->b2, a->v[i]);
  if (mod_arg_bool(y->args, "disable_gpg_check", 0) == 1)
    mod_argv_add(&y->b2, "--nogpgcheck");
  if (!strcmp(y->state, "latest") || mod_arg_bool(y->args, "update_only", 0) == 1) {
    if (mod_arg_bool(y->args, "security", 0) == 1)
      mod_argv_add(&y->b2, "--security");
    if (mod_arg_bool(y->args, "bugfix", 0) == 1)
      mod_argv_add(&y->b2, "--bugfix");
  }
}

/* The shell's prelude: tools, the locale, yb1/yb2 and rqr. */
static void yum_sh_begin(Yum *y, RtBuf *s) {
  mod_ps_sh_begin(s);
  rt_buf_puts(s, "if pc_bin yum-deprecated; then YUM=$pc_v; else pc_bin yum || pc_nobin yum; YUM=$pc_v; fi\n"
                 "pc_bin rpm || pc_nobin rpm; RPM=$pc_v\n"
                 "RQ=; ! pc_bin repoquery || RQ=$pc_v\n"
                 "pc_locale\n");
  mod_sh_set(s, "CONF", y->conf ? y->conf : "");
  mod_sh_set(s, "ROOT", strcmp(y->root, "/") ? y->root : "");
  rt_buf_puts(s, "HC=0; [ -z \"$CONF\" ] || [ ! -e \"$CONF\" ] || HC=1\n");
  rt_buf_puts(s, YUM_FUNCS);
  for (int k = 1; k <= 2; k++) {
    const ModArgv *a = k == 1 ? &y->b1 : &y->b2;
    rt_buf_printf(s, "yb%d() {\n  set --", k);
    for (size_t i = 0; i < a->n; i++)
      sh_word(s, a->v[i]);
    rt_buf_puts(s, " \"$@\"\n  [ $HC = 0 ] || set -- -c \"$CONF\" \"$@\"\n  \"$YUM\" -d 2 -y \"$@\"\n}\n");
  }
  /* repoquery = [bin, --show-duplicates, --plugins, --quiet] (+ --installroot, -c) + disable/enable (+ releasever) */
  RtValue *dis = list_arg(y->args, "disablerepo", false), *en = list_arg(y->args, "enablerepo", false);
  char *dj = joined(dis), *ej = joined(en);
  rt_buf_puts(s, "rqr() {\n  chk=$1; shift\n  set -- --disablerepo");
  sh_word(s, dj);
  rt_buf_puts(s, " --enablerepo");
  sh_word(s, ej);
  for (const char *c = y->relver ? "--releasever=" : ""; *c; c++) { /* list.extend(str): one word per character */
    char w[2] = {*c, 0};
    sh_word(s, w);
  }
  for (const char *c = y->relver ? y->relver : ""; *c; c++) {
    char w[2] = {*c, 0};
    sh_word(s, w);
  }
  rt_buf_puts(s, " \"$@\"\n  [ $HC = 0 ] || set -- -c \"$CONF\" \"$@\"\n"
                 "  [ -z \"$ROOT\" ] || set -- --installroot \"$ROOT\" \"$@\"\n"
                 "  set -- \"$RQ\" --show-duplicates --plugins --quiet \"$@\"\n"
                 "  \"$@\" >\"$O\" 2>\"$E\" </dev/null; rr=$?\n"
                 "  if [ $chk = 1 ]; then [ $rr = 0 ] || werr repoquery \"$(cat \"$E\")\" \"$@\"; fi\n"
                 "  if [ $chk = 2 ] && { [ $r1 != 0 ] || [ $rr != 0 ]; }; then "
                 "werr repoquery \"$(cat \"$E.1\")$(cat \"$E\")\" \"$@\"; fi\n"
                 "  return $rr\n}\n");
  free(dj);
  free(ej);
  rt_decref(dis);
  rt_decref(en);
}

/* Python's repr() of a str (ASCII): quotes and escapes as Python chooses. */
static void py_repr(RtBuf *b, const char *s) {
  char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
  rt_buf_putc(b, q);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '\\' || c == (unsigned char)q)
      rt_buf_printf(b, "\\%c", c);
    else if (c == '\n')
      rt_buf_puts(b, "\\n");
    else if (c == '\t')
      rt_buf_puts(b, "\\t");
    else if (c == '\r')
      rt_buf_puts(b, "\\r");
    else if (c < 0x20 || c == 0x7f)
      rt_buf_printf(b, "\\x%02x", c);
    else
      rt_buf_putc(b, (char)c);
  }
  rt_buf_putc(b, q);
}

/* The recorded error: "Error from rpm|repoquery: [cmd]: err". */
static RtValue *rec_error(const RtExec *ex) {
  RtBuf b = {0};
  rt_buf_printf(&b, "Error from %s: [", mod_rec(ex, "err"));
  long long n = mod_rec_int(ex, "errn", 0);
  for (long long i = 0; i < n; i++) {
    char k[32];
    snprintf(k, sizeof k, "errw%lld", i);
    if (i)
      rt_buf_puts(&b, ", ");
    py_repr(&b, mod_rec(ex, k) ? mod_rec(ex, k) : "");
  }
  const char *t = mod_rec(ex, "errt");
  size_t tl = t ? strlen(t) : 0;
  rt_buf_printf(&b, "]: %.*s", (int)(tl ? tl - 1 : 0), t ? t : "");
  RtValue *r = mod_fail_result("%s", b.data);
  rt_buf_free(&b);
  return r;
}

static RtValue *strs(const ModArgv *a) { return mod_argv_list(a); }

/* The text of a str value (borrowed; "" for anything else). */
static const char *cstr(const RtValue *v) { return v && rt_kind(v) == RT_STR ? v->u.str.s : ""; }

/* The module's res dict: results, msg, rc, changed. */
static RtValue *res_new(RtValue *results, const char *msg, int rc, bool changed) {
  RtValue *r = rt_dict_new(6);
  rt_dict_set(r, "results", rt_incref(results));
  rt_dict_set(r, "msg", rt_strz(msg));
  rt_dict_set(r, "rc", rt_int(rc));
  rt_dict_set(r, "changed", rt_bool(changed));
  return r;
}

static void push_f(RtValue *l, const char *fmt, const char *a, const char *b) {
  char *t = rt_xasprintf(fmt, a, b);
  rt_list_push(l, rt_str_take(t, strlen(t)));
}

/* A request; false when the host was lost (r unset) or a tool is missing (*r). */
static bool run(Yum *y, RtBuf *s, RtExec *ex, bool *have, RtValue **r) {
  char *err = NULL;
  int rc = rt_host_exec(y->h, s->data, NULL, 0, ex, &err);
  free(err);
  if (rc < 0)
    return false;
  *have = true;
  if ((*r = mod_ps_missing(ex)) != NULL)
    return false;
  if (mod_rec(ex, "err")) {
    *r = rec_error(ex);
    return false;
  }
  if (mod_rec(ex, "norq")) {
    *r = mod_fail_result("playc: yum asks the repositories with repoquery (yum-utils), missing on the target");
    return false;
  }
  return true;
}

static bool spec_is_file(const char *s) {
  size_t n = strlen(s);
  return strstr(s, "://") || (n >= 4 && !strcmp(s + n - 4, ".rpm"));
}

/* Command text ending "out.strip().lower() endswith X". */
static bool ends_ci(const char *out, const char *tail) {
  size_t n = strlen(out), t = strlen(tail);
  while (n && isspace((unsigned char)out[n - 1]))
    n--;
  return n >= t && !strncasecmp(out + n - t, tail, t);
}

/* The module's `changes` of install() and remove(): {KEY: the packages}. */
static RtValue *changes_of(const char *key, const ModArgv *pkgs) {
  RtValue *ch = rt_dict_new(1);
  rt_dict_set(ch, key, strs(pkgs));
  return ch;
}

/* Their check-mode exit: changed, the results so far, `changes` (taken). */
static RtValue *check_result(RtValue *results, RtValue *changes) {
  RtValue *r = rt_dict_new(3);
  rt_dict_set(r, "changed", rt_bool(true));
  rt_dict_set(r, "results", rt_incref(results));
  rt_dict_set(r, "changes", changes);
  return r;
}

/* install(): the queries of request 1, the verdicts, then the install. */
static RtValue *yum_install(Yum *y, RtBuf *s) {
  size_t n = rt_len(y->names);
  RtValue *r = NULL, *results = rt_list_new(n + 1);
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  ModArgv pkgs = {0};
  RtBuf s2 = {0};
  for (size_t i = 0; i < n; i++) {
    const char *spec = rt_list_at(y->names, i)->u.str.s;
    mod_sh_set(s, "s", spec);
    if (spec[0] == '@') {
      rt_buf_printf(s, "__playc_rec v%zu group\n", i);
      continue;
    }
    if (!strpbrk(spec, "*?"))
      rt_buf_printf(s, "if isq \"$s\" \"$QF\" 1; then __playc_rec v%zu inst; __playc_rec l%zu \"$FL\"; else\n", i, i);
    else
      rt_buf_puts(s, "if false; then :; else\n");
    rt_buf_printf(s, "  wp \"$s\"\n"
                     "  if [ ! -s \"$P\" ]; then __playc_rec v%zu missing; exit 0; fi\n"
                     "  v=install\n"
                     "  while IFS= read -r t; do if isq \"$t\" \"$QF\" 1; then v=prov; __playc_rec l%zu \"$t\"; break; fi; "
                     "done <\"$P\"\n"
                     "  [ $v != install ] || ! isq \"$s\" \"$QF\" 0 || v=pkgprov\n"
                     "  __playc_rec v%zu $v\nfi\n",
                  i, i, i);
  }
  if (!run(y, s, &ex, &have, &r))
    goto done;
  for (size_t i = 0; i < n; i++) {
    const char *spec = rt_list_at(y->names, i)->u.str.s;
    char k[32];
    snprintf(k, sizeof k, "v%zu", i);
    const char *v = mod_rec(&ex, k);
    snprintf(k, sizeof k, "l%zu", i);
    if (!v)
      break;
    if (!strcmp(v, "inst") || !strcmp(v, "prov")) {
      push_f(results, "%s providing %s is already installed", mod_rec(&ex, k), spec);
    } else if (!strcmp(v, "pkgprov")) {
      push_f(results, "package providing %s is already installed%s", spec, "");
    } else if (!strcmp(v, "missing")) {
      char *m = rt_xasprintf("No package matching '%s' found available, installed or updated", spec);
      rt_list_push(results, rt_strz(m));
      r = res_new(results, m, 126, false);
      rt_dict_set(r, "failed", rt_bool(true));
      free(m);
      goto done;
    } else {
      mod_argv_add(&pkgs, spec);
    }
  }
  if (!pkgs.n) {
    r = res_new(results, "", 0, false);
    goto done;
  }
  RtValue *ch = changes_of("installed", &pkgs);
  if (y->h->check_mode) {
    r = check_result(results, ch);
    goto done;
  }
  yum_sh_begin(y, &s2);
  ModArgv c = {0};
  mod_argv_add(&c, "install");
  for (size_t i = 0; i < pkgs.n; i++)
    mod_argv_add(&c, pkgs.v[i]);
  if (y->relver)
    mod_argv_addf(&c, "--releasever=%s", y->relver);
  if (mod_arg_bool(y->args, "sslverify", 1) == 0) {
    mod_argv_add(&c, "--setopt");
    mod_argv_add(&c, "sslverify=0");
  }
  mod_sh_argv(&s2, &c);
  mod_argv_free(&c);
  rt_buf_puts(&s2, "pc_cap run lrun yb2 \"$@\"\n");
  if (!run(y, &s2, &ex2, &have2, &r)) {
    rt_decref(ch);
    goto done;
  }
  ModCap cp;
  mod_ps_cap(&ex2, "run", &cp);
  rt_list_push(results, rt_strz(cp.out));
  bool changed = !((strstr(cp.out, "Nothing to do") && cp.rc == 0) || strstr(cp.err, "does not have any packages"));
  if (cp.rc != 0)
    changed = false;
  r = res_new(results, cp.err, cp.rc, changed);
  rt_dict_set(r, "changes", ch);
  if (cp.rc != 0) {
    rt_dict_set(r, "failed", rt_bool(true));
  } else if (strstr(cp.out[0] ? cp.out : cp.err, "No space left on device")) {
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "msg", rt_strz("No space left on device"));
    rt_dict_set(r, "failed", rt_bool(true));
  }
  mod_ps_cap_free(&cp);
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s2);
  mod_argv_free(&pkgs);
  rt_decref(results);
  return r;
}

/* remove(): is_installed per name, then remove|autoremove and the check that they are gone. */
static RtValue *yum_remove(Yum *y, RtBuf *s) {
  size_t n = rt_len(y->names);
  RtValue *r = NULL, *results = rt_list_new(n + 1);
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false, autorm = mod_arg_bool(y->args, "autoremove", 0) == 1;
  ModArgv pkgs = {0};
  RtBuf s2 = {0};
  for (size_t i = 0; i < n; i++) {
    const char *spec = rt_list_at(y->names, i)->u.str.s;
    if (spec[0] == '@')
      continue;
    mod_sh_set(s, "s", spec);
    rt_buf_printf(s, "! isq \"$s\" \"$QF\" 0 || __playc_rec v%zu 1\n", i);
  }
  if (!run(y, s, &ex, &have, &r))
    goto done;
  for (size_t i = 0; i < n; i++) {
    const char *spec = rt_list_at(y->names, i)->u.str.s;
    char k[32];
    snprintf(k, sizeof k, "v%zu", i);
    if (mod_rec(&ex, k))
      mod_argv_add(&pkgs, spec);
    else
      push_f(results, "%s is not installed%s", spec, "");
  }
  if (!pkgs.n) {
    r = res_new(results, "", 0, false);
    goto done;
  }
  RtValue *ch = changes_of("removed", &pkgs);
  if (y->h->check_mode) {
    r = check_result(results, ch);
    goto done;
  }
  yum_sh_begin(y, &s2);
  ModArgv c = {0};
  mod_argv_add(&c, autorm ? "autoremove" : "remove");
  for (size_t i = 0; i < pkgs.n; i++)
    mod_argv_add(&c, pkgs.v[i]);
  mod_sh_argv(&s2, &c);
  mod_argv_free(&c);
  rt_buf_puts(&s2, "pc_cap run yb1 \"$@\" || exit 0\n");
  for (size_t i = 0; i < pkgs.n; i++) {
    if (pkgs.v[i][0] == '@')
      continue;
    mod_sh_set(&s2, "s", pkgs.v[i]);
    rt_buf_puts(&s2, "if isq \"$s\" \"$QF\" 1; then __playc_rec stuck \"$s\"; exit 0; fi\n");
  }
  if (!run(y, &s2, &ex2, &have2, &r)) {
    rt_decref(ch);
    goto done;
  }
  ModCap cp;
  mod_ps_cap(&ex2, "run", &cp);
  rt_list_push(results, rt_strz(cp.out));
  r = res_new(results, cp.err, cp.rc, cp.rc == 0 && !mod_rec(&ex2, "stuck"));
  rt_dict_set(r, "changes", ch);
  if (cp.rc != 0 && autorm && strstr(cp.out, "No such command")) {
    rt_decref(r);
    r = mod_fail_result("Version of YUM too old for autoremove: Requires yum 3.4.3 (RHEL/CentOS 7+)");
  } else if (cp.rc != 0) {
    rt_dict_set(r, "failed", rt_bool(true));
  } else if (mod_rec(&ex2, "stuck")) {
    char *m = rt_xasprintf("Package '%s' couldn't be removed!", mod_rec(&ex2, "stuck"));
    rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
    rt_dict_set(r, "failed", rt_bool(true));
  }
  mod_ps_cap_free(&cp);
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s2);
  mod_argv_free(&pkgs);
  rt_decref(results);
  return r;
}

/* parse_check_update: name → list of {version, dist, repo}; obsoletes alike. */
static void parse_check_update(const char *out, RtValue *updates, RtValue *obsoletes) {
  RtBuf j = {0};
  rt_buf_add(&j, "", 0);
  for (const char *p = out; *p;) { /* non-empty lines; continuation lines (\n\W+) joined */
    const char *e = strchr(p, '\n');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l) {
      size_t k = 0;
      while (k < l && !(isalnum((unsigned char)p[k]) || p[k] == '_'))
        k++;
      if (j.len && k > 0)
        rt_buf_printf(&j, " %.*s", (int)(l - k), p + k);
      else
        rt_buf_printf(&j, "%s%.*s", j.len ? "\n" : "", (int)l, p);
    }
    p += l + (e ? 1 : 0);
  }
  for (char *line = j.data; line && *line;) {
    char *e = strchr(line, '\n');
    if (e)
      *e = 0;
    RtValue *w = mod_words(line);
    size_t n = rt_len(w);
    bool star = false;
    for (size_t i = 0; i < n; i++)
      star |= !strcmp(rt_list_at(w, i)->u.str.s, "*");
    if (!star && (n == 3 || n == 6) && strchr(rt_list_at(w, 0)->u.str.s, '.')) {
      for (size_t g = 0; g < n; g += 3) {
        RtValue *dst = g ? obsoletes : updates;
        const char *pkg = rt_list_at(w, g)->u.str.s, *dot = strrchr(pkg, '.');
        if (!dot) /* an obsolete's name without an arch: rsplit fails in the module */
          break;
        char *name = rt_xstrndup(pkg, (size_t)(dot - pkg));
        RtValue *l = rt_dict_get(dst, name);
        if (!l) {
          l = rt_list_new(1);
          rt_dict_set(dst, name, l);
        }
        RtValue *d = rt_dict_new(3);
        rt_dict_set(d, "version", rt_incref(rt_list_at(w, g + 1)));
        rt_dict_set(d, "dist", rt_strz(dot + 1));
        rt_dict_set(d, "repo", rt_incref(rt_list_at(w, g + 2)));
        rt_list_push(l, d);
        free(name);
      }
    }
    rt_decref(w);
    line = e ? e + 1 : NULL;
  }
  rt_buf_free(&j);
}

/* splitFilename's name: what precedes the version (and follows an epoch). */
static char *split_name(const char *f) {
  size_t n = strlen(f);
  if (n >= 4 && !strcmp(f + n - 4, ".rpm"))
    n -= 4;
  const char *arch = f + n;
  while (arch > f && arch[-1] != '.')
    arch--;
  size_t ai = arch > f ? (size_t)(arch - f - 1) : (size_t)-1;
  if (ai == (size_t)-1)
    ai = n - 1; /* rfind() == -1: Python's [:-1] */
  size_t ri = ai, vi;
  while (ri > 0 && f[ri - 1] != '-')
    ri--;
  ri = ri ? ri - 1 : (size_t)-1;
  vi = ri == (size_t)-1 ? n - 1 : ri;
  while (vi > 0 && f[vi - 1] != '-')
    vi--;
  vi = vi ? vi - 1 : (size_t)-1;
  const char *colon = strchr(f, ':');
  size_t start = colon ? (size_t)(colon - f) + 1 : 0;
  size_t end = vi == (size_t)-1 ? n - 1 : vi;
  return end > start ? rt_xstrndup(f + start, end - start) : rt_xstrdup("");
}

/* latest(): check-update, the queries per name, then install or update. */
static RtValue *yum_latest(Yum *y, RtBuf *s) {
  size_t n = rt_len(y->names);
  RtValue *r = NULL, *results = rt_list_new(n + 1), *updates = rt_dict_new(4), *obsoletes = rt_dict_new(1);
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false, all = false, uo = mod_arg_bool(y->args, "update_only", 0) == 1;
  ModArgv inst = {0}, upd = {0}, will = {0}, other_of = {0}, other_pkg = {0};
  RtBuf s2 = {0};
  RtBuf msg = {0};
  rt_buf_add(&msg, "", 0);
  for (size_t i = 0; i < n; i++)
    all |= !strcmp(rt_list_at(y->names, i)->u.str.s, "*");
  rt_buf_puts(s, "set -- check-update\n");
  if (y->relver) {
    char *w = rt_xasprintf("--releasever=%s", y->relver);
    rt_buf_puts(s, "set -- \"$@\"");
    sh_word(s, w);
    rt_buf_putc(s, '\n');
    free(w);
  }
  rt_buf_puts(s, "pc_cap cu yb2 \"$@\"; cu=$?\n");
  if (all)
    rt_buf_puts(s, "exit 0\n");
  else
    rt_buf_puts(s, "[ $cu != 1 ] || exit 0\n");
  for (size_t i = 0; i < n && !all; i++) {
    const char *spec = rt_list_at(y->names, i)->u.str.s;
    if (spec[0] == '@')
      continue;
    mod_sh_set(s, "s", spec);
    rt_buf_printf(s, "if isq \"$s\" \"$QF\" 0; then __playc_rec i%zu 1; in=1; else in=0; fi\n"
                     "wp \"$s\"\n"
                     "[ -s \"$P\" ] || { __playc_rec v%zu missing; exit 0; }\n"
                     "__playc_rec p%zu \"$(cat \"$P\")\"\n"
                     "if [ $in = 0 ]; then while IFS= read -r t; do if avail \"$t\"; then __playc_rec a%zu 1; break; fi; "
                     "done <\"$P\"; fi\n"
                     "! isq \"$s\" \"$QF\" 0 || __playc_rec j%zu 1\n",
                  i, i, i, i, i);
  }
  if (!run(y, s, &ex, &have, &r))
    goto done;
  ModCap cu;
  mod_ps_cap(&ex, "cu", &cu);
  if (cu.rc == 0 && all) {
    rt_list_push(results, rt_strz("Nothing to do here, all packages are up to date"));
    r = res_new(results, "", 0, false);
    mod_ps_cap_free(&cu);
    goto done;
  } else if (cu.rc == 100) {
    parse_check_update(cu.out, updates, obsoletes);
  } else if (cu.rc == 1) {
    r = res_new(results, cu.err, 1, false);
    rt_dict_set(r, "failed", rt_bool(true));
    mod_ps_cap_free(&cu);
    goto done;
  }
  mod_ps_cap_free(&cu);
  if (all) {
    for (size_t i = 0; i < rt_len(updates); i++)
      mod_argv_add(&will, cstr(updates->u.dict.ents[i].key));
  }
  for (size_t i = 0; i < n && !all; i++) {
    const char *spec = rt_list_at(y->names, i)->u.str.s;
    char k[32];
    if (spec[0] == '@') {
      mod_argv_add(&upd, spec);
      mod_argv_add(&will, spec);
      continue;
    }
    snprintf(k, sizeof k, "i%zu", i);
    bool installed = mod_rec(&ex, k) != NULL;
    mod_argv_add(installed ? &upd : &inst, spec);
    snprintf(k, sizeof k, "v%zu", i);
    if (mod_rec(&ex, k)) {
      char *m = rt_xasprintf("No package matching '%s' found available, installed or updated", spec);
      rt_buf_puts(&msg, m);
      rt_list_push(results, rt_strz(m));
      r = res_new(results, msg.data, 126, false);
      rt_dict_set(r, "failed", rt_bool(true));
      free(m);
      goto done;
    }
    bool nothing = true;
    snprintf(k, sizeof k, "a%zu", i);
    if (!installed && mod_rec(&ex, k))
      nothing = false;
    snprintf(k, sizeof k, "p%zu", i);
    const char *pl = mod_rec(&ex, k);
    for (const char *p = pl; installed && p && *p;) {
      const char *e = strchr(p, '\n');
      char *pkg = rt_xstrndup(p, e ? (size_t)(e - p) : strlen(p)), *pn = split_name(pkg);
      bool hit = rt_dict_get(updates, pn) != NULL;
      if (hit) {
        nothing = false;
        bool seen = false;
        for (size_t w = 0; w < will.n; w++)
          seen |= !strcmp(will.v[w], spec);
        if (!seen)
          mod_argv_add(&will, spec);
        if (strcmp(spec, pn)) {
          mod_argv_add(&other_of, spec);
          mod_argv_add(&other_pkg, pn);
        }
      }
      free(pkg);
      free(pn);
      if (hit)
        break;
      p = e ? e + 1 : NULL;
    }
    snprintf(k, sizeof k, "j%zu", i);
    if (!mod_rec(&ex, k) && uo) {
      push_f(results, "Packages providing %s not installed due to update_only specified%s", spec, "");
      continue;
    }
    if (nothing)
      push_f(results, "All packages providing %s are up to date%s", spec, "");
  }
  /* changes */
  RtValue *to_update = rt_list_new(will.n);
  for (size_t i = 0; i < will.n; i++) {
    const char *w = will.v[i];
    RtValue *ul = rt_dict_get(updates, w);
    if (w[0] == '@' || !ul) {
      RtValue *t = rt_list_new(2);
      rt_list_push(t, rt_strz(w));
      if (w[0] == '@') {
        rt_list_push(t, rt_none());
      } else {
        const char *op = "";
        for (size_t k = 0; k < other_of.n; k++)
          if (!strcmp(other_of.v[k], w))
            op = other_pkg.v[k];
        RtValue *u0 = rt_dict_get(updates, op) ? rt_list_at(rt_dict_get(updates, op), 0) : NULL;
        char *m = rt_xasprintf("because of (at least) %s-%s.%s from %s", op,
                               u0 ? cstr(rt_dict_get(u0, "version")) : "",
                               u0 ? cstr(rt_dict_get(u0, "dist")) : "",
                               u0 ? cstr(rt_dict_get(u0, "repo")) : "");
        rt_list_push(t, rt_str_take(m, strlen(m)));
      }
      rt_list_push(to_update, t);
      continue;
    }
    for (size_t k = 0; k < rt_len(ul); k++) {
      RtValue *u = rt_list_at(ul, k), *t = rt_list_new(2);
      char *m = rt_xasprintf("%s.%s from %s", cstr(rt_dict_get(u, "version")),
                             cstr(rt_dict_get(u, "dist")), cstr(rt_dict_get(u, "repo")));
      rt_list_push(t, rt_strz(w));
      rt_list_push(t, rt_str_take(m, strlen(m)));
      rt_list_push(to_update, t);
    }
  }
  RtValue *ch = rt_dict_new(2);
  ModArgv none = {0};
  rt_dict_set(ch, "installed", strs(uo ? &none : &inst));
  rt_dict_set(ch, "updated", to_update);
  r = res_new(results, msg.data, 0, false);
  rt_dict_set(r, "changes", ch);
  if (rt_len(obsoletes))
    rt_dict_set(r, "obsoletes", rt_incref(obsoletes));
  if (y->h->check_mode) {
    rt_dict_set(r, "changed", rt_bool(will.n || inst.n));
    goto done;
  }
  ModArgv c = {0};
  bool go = true, lang = true, always = false;
  if (all) {
    mod_argv_add(&c, "update");
    lang = false;
    always = true;
  } else if (uo) {
    go = upd.n > 0;
    mod_argv_add(&c, "update");
    for (size_t i = 0; i < upd.n; i++)
      mod_argv_add(&c, upd.v[i]);
  } else if (inst.n || will.n) {
    mod_argv_add(&c, "install");
    for (size_t i = 0; i < inst.n; i++)
      mod_argv_add(&c, inst.v[i]);
    for (size_t i = 0; i < upd.n; i++)
      mod_argv_add(&c, upd.v[i]);
  } else {
    go = false;
  }
  if (y->relver)
    mod_argv_addf(&c, "--releasever=%s", y->relver);
  ModCap cp = {.rc = 0};
  if (go) {
    yum_sh_begin(y, &s2);
    mod_sh_argv(&s2, &c);
    rt_buf_printf(&s2, "pc_cap run %syb2 \"$@\"\n", lang ? "lrun " : "");
    RtValue *f = NULL;
    if (!run(y, &s2, &ex2, &have2, &f)) {
      rt_decref(r);
      r = f;
      mod_argv_free(&c);
      goto done;
    }
    mod_ps_cap(&ex2, "run", &cp);
    bool changed = always || (!ends_ci(cp.out, "no packages marked for update") && !ends_ci(cp.out, "nothing to do"));
    rt_dict_set(r, "changed", rt_bool(changed));
  }
  mod_argv_free(&c);
  rt_dict_set(r, "rc", rt_int(cp.rc));
  rt_buf_puts(&msg, cp.err ? cp.err : "");
  rt_dict_set(r, "msg", rt_strz(msg.data));
  rt_list_push(results, rt_strz(cp.out ? cp.out : ""));
  if (cp.rc)
    rt_dict_set(r, "failed", rt_bool(true));
  mod_ps_cap_free(&cp);
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s2);
  rt_buf_free(&msg);
  mod_argv_free(&inst);
  mod_argv_free(&upd);
  mod_argv_free(&will);
  mod_argv_free(&other_of);
  mod_argv_free(&other_pkg);
  rt_decref(results);
  rt_decref(updates);
  rt_decref(obsoletes);
  return r;
}

/* The yum 3 backend (YumModule.run). */
static RtValue *yum_backend(RtHost *h, RtValue *args) {
  Yum y = {.h = h, .args = args};
  RtValue *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false;
  char *list = mod_arg_str(args, "list");
  y.names = list_arg(args, "name", true);
  y.state = mod_arg_str(args, "state");
  y.root = mod_arg_str(args, "installroot");
  y.conf = mod_arg_str(args, "conf_file");
  y.relver = mod_arg_str(args, "releasever");
  if (!y.root)
    y.root = rt_xstrdup("/");
  bool autorm = mod_arg_bool(args, "autoremove", 0) == 1, upc = mod_arg_bool(args, "update_cache", 0) == 1;
  for (size_t i = 0; i < rt_len(y.names); i++) {
    const char *nm = rt_list_at(y.names, i)->u.str.s;
    if (strchr(nm, ' ') && !strpbrk(nm, "@><=")) {
      r = mod_fail_result("It appears that a space separated string of packages was passed in as an argument. To "
                          "operate on several packages, pass a comma separated string of packages or a list of "
                          "packages.");
      goto done;
    }
  }
  if (!y.state)
    y.state = rt_xstrdup(autorm ? "absent" : "present");
  if (autorm && strcmp(y.state, "absent")) {
    r = mod_fail_result("Autoremove should be used alone or with state=absent");
    rt_dict_set(r, "results", rt_list_new(0));
    goto done;
  }
  const char *refuse = NULL;
  if (list)
    refuse = "playc: yum list= is not supported yet";
  else if (mod_arg_bool(args, "allow_downgrade", 0) == 1)
    refuse = "playc: yum allow_downgrade is not supported yet";
  for (size_t i = 0; i < rt_len(y.names) && !refuse; i++)
    if (spec_is_file(rt_list_at(y.names, i)->u.str.s))
      refuse = "playc: yum does not install local .rpm files or URLs yet (install the file with the command "
               "module)";
  if (refuse) {
    r = mod_fail_result("%s", refuse);
    goto done;
  }
  base_options(&y);
  yum_sh_begin(&y, &s);
  if (upc && !rt_len(y.names)) {
    /* yum_basecmd before ensure(): no options */
    rt_buf_puts(&s, "pc_cap cc \"$YUM\" -d 2 -y clean expire-cache\n");
    if (!run(&y, &s, &ex, &have, &r))
      goto done;
    ModCap c;
    mod_ps_cap(&ex, "cc", &c);
    r = rt_dict_new(4);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "msg", rt_strz(c.rc == 0 ? "Cache updated" : "Failed to update cache"));
    rt_dict_set(r, "rc", rt_int(c.rc));
    RtValue *l = rt_list_new(1);
    if (c.rc != 0)
      rt_list_push(l, rt_strz(c.err));
    rt_dict_set(r, "results", l);
    mod_ps_cap_free(&c);
    goto done;
  }
  if (mod_arg_bool(args, "install_repoquery", 1) == 1 && !h->check_mode)
    rt_buf_puts(&s, "if [ -z \"$RQ\" ] && pc_bin yum; then \"$pc_v\" -y install yum-utils >/dev/null 2>&1 </dev/null; "
                    "! pc_bin repoquery || RQ=$pc_v; fi\n");
  rt_buf_puts(&s, "[ -n \"$RQ\" ] || { __playc_rec norq 1; exit 0; }\n");
  bool present = strcmp(y.state, "absent") && strcmp(y.state, "removed");
  if (present && upc)
    rt_buf_puts(&s, "yb1 clean expire-cache >/dev/null 2>&1 </dev/null\n");
  /* the checks run first: a missing repoquery stops before any query */
  if (!strcmp(y.state, "latest") || mod_arg_bool(args, "update_only", 0) == 1)
    r = yum_latest(&y, &s);
  else if (present)
    r = yum_install(&y, &s);
  else
    r = yum_remove(&y, &s);
done:
  if (have)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  mod_argv_free(&y.b1);
  mod_argv_free(&y.b2);
  rt_decref(y.names);
  free(list);
  free(y.state);
  free(y.root);
  free(y.conf);
  free(y.relver);
  return r;
}

RtValue *mod_yum(RtHost *h, RtValue *args) {
  char *use = mod_arg_str(args, "use"), *ub = mod_arg_str(args, "use_backend"), *m;
  RtValue *r = NULL, *facts = NULL;
  if (use && rt_dict_get(args, "use_backend")) {
    free(use);
    free(ub);
    return mod_fail_result("parameters are mutually exclusive: ('use', 'use_backend')");
  }
  m = use ? use : ub ? ub : rt_xstrdup("auto");
  if (use)
    free(ub);
  if (!strcmp(m, "auto")) {
    const char *f = mod_ps_fact(h, "pkg_mgr");
    if (f) {
      free(m);
      m = rt_xstrdup(f);
    }
  }
  if (strcmp(m, "yum") && strcmp(m, "yum4") && strcmp(m, "dnf")) {
    free(m);
    m = mod_ps_detect_pkg_mgr(h, &r);
    if (!m)
      return r;
    if (strcmp(m, "auto")) {
      facts = rt_dict_new(1);
      rt_dict_set(facts, "pkg_mgr", rt_strz(m));
    }
  }
  if (strcmp(m, "yum") && strcmp(m, "yum4") && strcmp(m, "dnf")) {
    r = rt_dict_new(3);
    rt_dict_set(r, "failed", rt_bool(true));
    RtValue *msg = rt_list_new(2);
    rt_list_push(msg, rt_strz("Could not detect which major revision of yum is in use, which is required to "
                              "determine module backend."));
    rt_list_push(msg, rt_strz("You should manually specify use_backend to tell the module whether to use the yum "
                              "(yum3) or dnf (yum4) backend})"));
    rt_dict_set(r, "msg", msg);
    rt_dict_set(r, "changed", rt_bool(false));
  } else if (strcmp(m, "yum")) { /* the action runs ansible.legacy.dnf with the same arguments */
    RtValue *a = rt_dict_new(rt_len(args));
    for (size_t i = 0; i < rt_len(args); i++) {
      const char *k = args->u.dict.ents[i].key->u.str.s;
      if (strcmp(k, "use") && strcmp(k, "use_backend"))
        rt_dict_set(a, k, rt_incref(args->u.dict.ents[i].val));
    }
    r = mod_dnf(h, a);
    rt_decref(a);
  } else {
    r = yum_backend(h, args);
  }
  if (r && facts)
    rt_dict_set(r, "ansible_facts", rt_incref(facts));
  if (facts)
    rt_decref(facts);
  free(m);
  return r;
}

#endif
