/*
 * zypper.c — community.general.zypper with the target's zypper. The
 * module's commands (`zypper --quiet --non-interactive --xmlout ...`, under
 * LANG=C, through `transactional-update ... run` on a read-only btrfs root
 * that has it) run on the target; their XML is read here as the module
 * reads it with minidom: the <solvable> elements (name, edition,
 * edition-old, status, the parent's tag), the last <message> for rc 104.
 * The first request runs the refresh (update_cache), then either the
 * `search --installed-only` that present (names without a version) and
 * absent filter on, or, when nothing needs filtering (latest, `*`), the
 * install/update itself; a second request runs the install or remove the
 * search left. rc 103 (zypper upgraded itself) runs the same command
 * again, as the module. The XML parser is small and strict for what
 * zypper writes: elements, attributes, text, comments, CDATA, <?...?>.
 */
#include "mod.h"

static const ModParam zypper_params[] = {
    {.name = "name", .type = MP_LIST, .elements = MP_STR, .required = true, .aliases = "pkg"},
    {.name = "state", .type = MP_STR, .choices = "absent,installed,latest,present,removed,dist-upgrade",
     .def = "present"},
    {.name = "type", .type = MP_STR, .choices = "package,patch,pattern,product,srcpackage,application",
     .def = "package"},
    {.name = "extra_args_precommand", .type = MP_STR},
    {.name = "disable_gpg_check", .type = MP_BOOL, .def = "false"},
    {.name = "disable_recommends", .type = MP_BOOL, .def = "true"},
    {.name = "force", .type = MP_BOOL, .def = "false"},
    {.name = "force_resolution", .type = MP_BOOL, .def = "false"},
    {.name = "update_cache", .type = MP_BOOL, .aliases = "refresh", .def = "false"},
    {.name = "oldpackage", .type = MP_BOOL, .def = "false"},
    {.name = "extra_args", .type = MP_STR},
    {.name = "allow_vendor_change", .type = MP_BOOL, .def = "false"},
    {.name = "replacefiles", .type = MP_BOOL, .def = "false"},
    {.name = "clean_deps", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_zypper = {
    .name = "zypper",
    .params = zypper_params,
    .nparams = MOD_N(zypper_params),
    .tools = "zypper",
    .check_mode = true,
    .diff_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- the XML zypper writes ------------------------------------------------------- */

typedef struct {
  char *name, *version, *oldversion, *group;
  bool installed;
} ZySolv;

typedef struct {
  ZySolv *v;
  size_t n;
  char *message; /* the last <message>'s first text, or NULL */
} ZyPkgs;

static void pkgs_free(ZyPkgs *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->v[i].name);
    free(p->v[i].version);
    free(p->v[i].oldversion);
    free(p->v[i].group);
  }
  free(p->v);
  free(p->message);
  memset(p, 0, sizeof *p);
}

/* Adds (or replaces in place, as a dict keeps its first position) solvable sv. */
static void pkgs_put(ZyPkgs *p, ZySolv *sv) {
  if (!sv->name)
    sv->name = rt_xstrdup("");
  if (!sv->version)
    sv->version = rt_xstrdup("");
  if (!sv->oldversion)
    sv->oldversion = rt_xstrdup("");
  for (size_t i = 0; i < p->n; i++)
    if (!strcmp(p->v[i].name, sv->name)) {
      free(p->v[i].name);
      free(p->v[i].version);
      free(p->v[i].oldversion);
      free(p->v[i].group);
      p->v[i] = *sv;
      return;
    }
  p->v = realloc(p->v, (p->n + 1) * sizeof *p->v);
  if (!p->v)
    abort();
  p->v[p->n++] = *sv;
}

/* Parses zypper's XML output s, adding its solvables to *out and keeping its
 * last <message> text. Returns NULL, or expat's error (malloc'd). */
static char *zy_parse(const char *s, ZyPkgs *out) {
  ModXml x;
  char *err = mod_xml_parse(s, &x);
  for (size_t i = 0; !err && i < x.n; i++) {
    const ModXmlElem *e = &x.v[i];
    if (!strcmp(e->name, "solvable")) {
      const char *n = mod_xml_attr(e, "name"), *v = mod_xml_attr(e, "edition");
      const char *o = mod_xml_attr(e, "edition-old"), *st = mod_xml_attr(e, "status");
      ZySolv sv = {.name = n ? rt_xstrdup(n) : NULL,
                   .version = v ? rt_xstrdup(v) : NULL,
                   .oldversion = o ? rt_xstrdup(o) : NULL,
                   .installed = st && !strcmp(st, "installed"),
                   .group = rt_xstrdup(e->parent == MOD_XML_NONE ? "#document" : x.v[e->parent].name)};
      pkgs_put(out, &sv);
    } else if (!strcmp(e->name, "message")) {
      free(out->message);
      out->message = e->text ? rt_xstrdup(e->text) : NULL;
    }
  }
  mod_xml_free(&x);
  return err;
}

/* ---- the module's commands ------------------------------------------------------- */

typedef struct {
  RtHost *h;
  RtValue *args;
  char *type, *state, *pre, *extra;
  bool oldpackage;
  const char *zypper, *tup; /* full paths, as recorded */
  bool tu;
} Zy;

/* get_cmd(m, subcommand) without the leading zypper (and transactional-update) words. */
static void zy_cmd(const Zy *z, const char *sub, ModArgv *a) {
  bool inst = !strcmp(sub, "install") || !strcmp(sub, "update") || !strcmp(sub, "patch") ||
              !strcmp(sub, "dist-upgrade");
  bool refresh = !strcmp(sub, "refresh");
  mod_argv_add(a, "--quiet");
  mod_argv_add(a, "--non-interactive");
  mod_argv_add(a, "--xmlout");
  if (z->pre) { /* str.split(): runs of white space, no empty words */
    for (const char *p = z->pre; *p;) {
      while (*p && isspace((unsigned char)*p))
        p++;
      const char *b = p;
      while (*p && !isspace((unsigned char)*p))
        p++;
      if (p > b)
        mod_argv_addf(a, "%.*s", (int)(p - b), b);
    }
  }
  if ((inst || refresh) && mod_arg_bool(z->args, "disable_gpg_check", 0) == 1)
    mod_argv_add(a, "--no-gpg-checks");
  if (!strcmp(sub, "search"))
    mod_argv_add(a, "--disable-repositories");
  mod_argv_add(a, sub);
  if (strcmp(sub, "patch") && strcmp(sub, "dist-upgrade") && !refresh) {
    mod_argv_add(a, "--type");
    mod_argv_add(a, z->type);
  }
  if (z->h->check_mode && strcmp(sub, "search"))
    mod_argv_add(a, "--dry-run");
  if (inst) {
    mod_argv_add(a, "--auto-agree-with-licenses");
    static const char *const opts[][2] = {{"disable_recommends", "--no-recommends"}, {"force", "--force"},
                                          {"force_resolution", "--force-resolution"}, {"oldpackage", "--oldpackage"},
                                          {"replacefiles", "--replacefiles"}};
    for (int k = 0; k < 5; k++) {
      bool on = k == 3 ? z->oldpackage : mod_arg_bool(z->args, opts[k][0], k == 0) == 1;
      if (on)
        mod_argv_add(a, opts[k][1]);
    }
  }
  if (!strcmp(sub, "remove") && mod_arg_bool(z->args, "clean_deps", 0) == 1)
    mod_argv_add(a, "--clean-deps");
  if (!strcmp(sub, "dist-upgrade") && mod_arg_bool(z->args, "allow_vendor_change", 0) == 1)
    mod_argv_add(a, "--allow-vendor-change");
  if (z->extra) { /* str.split(' '): empty words kept */
    for (const char *p = z->extra;;) {
      const char *e = strchr(p, ' ');
      mod_argv_addf(a, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
      if (!e)
        break;
      p = e + 1;
    }
  }
}

/* The command as the module reports it: a list, zypper by its full path. */
static RtValue *cmd_list(const Zy *z, const ModArgv *a) {
  ModArgv c = {0};
  if (z->tu) {
    static const char *const w[] = {"--continue", "--drop-if-no-change", "--quiet", "run"};
    mod_argv_add(&c, z->tup);
    for (int k = 0; k < 4; k++)
      mod_argv_add(&c, w[k]);
  }
  mod_argv_add(&c, z->zypper);
  for (size_t i = 0; i < a->n; i++)
    mod_argv_add(&c, a->v[i]);
  RtValue *l = mod_argv_list(&c);
  mod_argv_free(&c);
  return l;
}

/* The target side: Z zypper, TU/TUP transactional-update; zrun KEY ARGS
 * runs zypper as run_command does (LANG=C), a second time on rc 103. */
static void zy_sh_begin(RtBuf *s) {
  mod_ps_sh_begin(s);
  mod_ps_sh_need(s, "Z", "zypper");
  rt_buf_puts(s, "TU=0 TUP=\n"
                 "if [ -e /usr/sbin/transactional-update ]; then\n"
                 "  m=$(awk '$2==\"/\"{print $3\" \"$4; exit}' /proc/mounts 2>/dev/null)\n"
                 "  case $m in \"btrfs \"*) case \",${m#btrfs },\" in *,ro,*) TU=1;; esac;; esac\n"
                 "fi\n"
                 "if [ $TU = 1 ]; then pc_bin transactional-update || pc_nobin transactional-update; TUP=$pc_v; fi\n"
                 "__playc_rec zypper \"$Z\"; __playc_rec tu $TU; __playc_rec tup \"$TUP\"\n"
                 "zc() {\n"
                 "  if [ $TU = 1 ]; then LANG=C LC_ALL=C LC_MESSAGES=C \"$TUP\" --continue --drop-if-no-change --quiet "
                 "run \"$Z\" \"$@\"\n"
                 "  else LANG=C LC_ALL=C LC_MESSAGES=C \"$Z\" \"$@\"; fi\n"
                 "}\n"
                 "zrun() { k=$1; shift; pc_cap \"$k\" zc \"$@\"; r=$?; [ $r != 103 ] || { pc_cap \"${k}x\" zc \"$@\"; "
                 "r=$?; }; return $r; }\n");
}

/* Appends `zrun KEY ARGS...`. */
static void zy_sh_run(RtBuf *s, const char *key, const ModArgv *a) {
  mod_sh_argv(s, a);
  rt_buf_printf(s, "zrun %s \"$@\"\n", key);
}

/* The failure parse_zypper_xml reports: msg, rc, stdout, stderr, cmd. */
static RtValue *step_fail(const Zy *z, const ModArgv *a, const ModCap *c, char *msg) {
  RtValue *r = mod_fail_result("%s", msg);
  free(msg);
  rt_dict_set(r, "rc", rt_int(c->rc));
  mod_ps_out(r, c->out, c->err);
  rt_dict_set(r, "cmd", cmd_list(z, a));
  return r;
}

/* parse_zypper_xml on what zrun recorded under key: the solvables into *p,
 * the last run's capture into *last (caller frees). NULL, or the failure. */
static RtValue *zy_step(const Zy *z, const RtExec *ex, const char *key, const ModArgv *a, bool fail_not_found,
                        ZyPkgs *p, ModCap *last, bool *none) {
  ModCap c;
  *none = false;
  if (!mod_ps_cap(ex, key, &c))
    return mod_fail_result("zypper: no answer from the target");
  char *e = zy_parse(c.out, p);
  RtValue *r = NULL;
  if (e) {
    r = step_fail(z, a, &c, rt_xasprintf("Failed to parse zypper xml output: %s", e));
    free(e);
  } else if (c.rc == 104) {
    if (fail_not_found)
      r = step_fail(z, a, &c, rt_xstrdup(p->message ? p->message : ""));
    else
      *none = true;
  } else if (c.rc == 103 && strchr(key, 'x') == NULL) {
    char *k2 = rt_xasprintf("%sx", key);
    ModCap c2;
    if (mod_ps_cap(ex, k2, &c2)) {
      mod_ps_cap_free(&c2);
      r = zy_step(z, ex, k2, a, fail_not_found, p, last, none);
      free(k2);
      mod_ps_cap_free(&c);
      return r;
    }
    free(k2);
  } else if (c.rc != 0 && c.rc != 102 && c.rc != 106 && c.rc != 103) {
    r = step_fail(z, a, &c, rt_xasprintf("Zypper run command failed with return code %d.", c.rc));
  }
  if (r || *none)
    mod_ps_cap_free(&c);
  else
    *last = c;
  return r;
}

/* A name of the task: prefix ('+', '-' or none), name, version (split_name_version). */
typedef struct {
  char prefix;
  char *name, *version;
  bool url;
} ZyWant;

/* (?:<|>|<=|>=|=)[0-9.-]*$ matches all of s. */
static bool version_tail(const char *s) {
  if (*s != '<' && *s != '>' && *s != '=')
    return false;
  s += (s[0] != '=' && s[1] == '=') ? 2 : 1;
  return strspn(s, "0123456789.-") == strlen(s);
}

static void want_of(const char *n, bool remove, ZyWant *w) {
  memset(w, 0, sizeof *w);
  size_t l = strlen(n);
  if (strstr(n, "://") || (l >= 4 && !strcmp(n + l - 4, ".rpm"))) {
    w->url = true;
    w->name = rt_xstrdup(n);
    w->version = rt_xstrdup("");
    return;
  }
  if (strchr("-~+", n[0])) {
    w->prefix = n[0] == '~' ? '-' : n[0];
    n++;
  }
  size_t p = 0;
  while (n[p] && !version_tail(n + p))
    p++;
  w->name = rt_xstrndup(n, p);
  w->version = rt_xstrdup(n + p);
  if (!w->prefix)
    w->prefix = remove ? '-' : '+';
}

static bool pkgs_has(const ZyPkgs *p, const char *name) {
  for (size_t i = 0; i < p->n; i++)
    if (!strcmp(p->v[i].name, name))
      return true;
  return false;
}

/* set_diff: "installed: a, b\nremoved: ...\nupgraded: x (1 => 2)\n". */
static RtValue *diff_of(const ZyPkgs *p) {
  static const char *const st[] = {"installed", "removed", "upgraded"};
  static const char *const grp[] = {"to-install", "to-remove", "to-upgrade"};
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (int k = 0; k < 3; k++) {
    bool first = true;
    for (size_t i = 0; p && i < p->n; i++) {
      if (strcmp(p->v[i].group, grp[k]))
        continue;
      rt_buf_printf(&b, first ? "%s: " : ", ", st[k]);
      rt_buf_puts(&b, p->v[i].name);
      if (k == 2)
        rt_buf_printf(&b, " (%s => %s)", p->v[i].oldversion, p->v[i].version);
      first = false;
    }
    if (!first)
      rt_buf_putc(&b, '\n');
  }
  RtValue *d = rt_dict_new(1);
  size_t l = b.len;
  rt_dict_set(d, "prepared", rt_str_take(rt_buf_take(&b), l));
  return d;
}

/* The install (present, latest) or remove (absent) command for the names
 * that must change, given the installed ones `pre` (empty when not
 * searched), or none (run->n == 0) when nothing is left to do. */
static void change_cmd(const Zy *z, const ZyWant *w, size_t nw, bool absent, bool latest, const ZyPkgs *pre,
                       ModArgv *run) {
  ModArgv keep = {0};
  bool urls = false;
  for (size_t i = 0; i < nw; i++) {
    urls |= w[i].url;
    if (w[i].url || (!latest && (w[i].prefix == '+') == pkgs_has(pre, w[i].name)))
      continue;
    if (absent)
      mod_argv_addf(&keep, "%s%s", w[i].name, w[i].version);
    else
      mod_argv_addf(&keep, "%c%s%s", w[i].prefix, w[i].name, w[i].version);
  }
  if (keep.n || (urls && !absent)) {
    zy_cmd(z, absent ? "remove" : "install", run);
    if (!absent)
      mod_argv_add(run, "--");
    for (size_t i = 0; i < nw && !absent; i++)
      if (w[i].url)
        mod_argv_add(run, w[i].name);
    for (size_t i = 0; i < keep.n; i++)
      mod_argv_add(run, keep.v[i]);
  }
  mod_argv_free(&keep);
}

/* A request: prelude, then `body`. false when the host was lost. */
static bool zy_exec(Zy *z, RtBuf *body, RtExec *ex, bool *have) {
  char *err = NULL;
  int rc = rt_host_exec(z->h, body->data, NULL, 0, ex, &err);
  free(err);
  if (rc < 0)
    return false;
  *have = true;
  return true;
}

RtValue *mod_zypper(RtHost *h, RtValue *args) {
  Zy z = {.h = h, .args = args};
  char *lerr = NULL;
  RtValue *names = mod_ps_arg_list(args, "name", &lerr), *r = NULL, *nl = NULL;
  RtBuf s = {0}, s2 = {0};
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  ModArgv run = {0}, ref = {0}, srch = {0};
  ZyWant *w = NULL;
  size_t nw = 0;
  ZyPkgs pk = {0}, pre = {0};
  ModCap c = {0};
  if (!names) {
    r = mod_fail_result("%s", lerr ? lerr : "missing required arguments: name");
    goto done;
  }
  z.type = mod_arg_str(args, "type");
  z.state = mod_arg_str(args, "state");
  z.pre = mod_arg_str(args, "extra_args_precommand");
  z.extra = mod_arg_str(args, "extra_args");
  if (!z.type)
    z.type = rt_xstrdup("package");
  if (!z.state)
    z.state = rt_xstrdup("present");
  z.oldpackage = mod_arg_bool(args, "oldpackage", 0) == 1;
  bool upd = mod_arg_bool(args, "update_cache", 0) == 1;
  const char *st = z.state;
  bool absent = !strcmp(st, "absent") || !strcmp(st, "removed"), latest = !strcmp(st, "latest");
  nl = rt_list_new(rt_len(names));
  for (size_t i = 0; i < rt_len(names); i++) /* filter(None, name) */
    if (rt_list_at(names, i)->u.str.len)
      rt_list_push(nl, rt_incref(rt_list_at(names, i)));
  bool all = rt_len(nl) == 1 && !strcmp(rt_list_at(nl, 0)->u.str.s, "*") && (latest || !strcmp(st, "dist-upgrade"));
  const char *fail = NULL;
  bool search = false;
  if (!all && !strcmp(st, "dist-upgrade"))
    fail = "Can not dist-upgrade specific packages.";
  w = calloc(rt_len(nl) + 1, sizeof *w);
  if (!w)
    abort();
  for (size_t i = 0; i < rt_len(nl) && !all && !fail; i++) {
    want_of(rt_list_at(nl, i)->u.str.s, absent, &w[nw++]);
    if (absent && w[nw - 1].prefix == '+' && !w[nw - 1].url)
      fail = "Can not combine '+' prefix with state=remove/absent.";
    if (!absent && w[nw - 1].version[0])
      z.oldpackage = true;
  }
  if (absent && !fail) {
    for (size_t i = 0; i < nw && !fail; i++)
      if (w[i].url)
        fail = "Can not remove via URL.";
    if (!fail && !strcmp(z.type, "patch"))
      fail = "Can not remove patches.";
  }
  if (fail)
    ;
  else if (all)
    zy_cmd(&z, !strcmp(z.type, "patch") ? "patch" : !strcmp(st, "dist-upgrade") ? "dist-upgrade" : "update", &run);
  else {
    /* present searches the names without a version (none for latest) */
    for (size_t i = 0; i < nw; i++)
      search |= absent || (!latest && !w[i].url && !w[i].version[0]);
    if (search) {
      zy_cmd(&z, "search", &srch);
      mod_argv_add(&srch, "--match-exact");
      mod_argv_add(&srch, "--details");
      mod_argv_add(&srch, "--installed-only");
      for (size_t i = 0; i < nw; i++)
        if (absent || (!w[i].url && !w[i].version[0]))
          mod_argv_add(&srch, w[i].name);
    } else {
      change_cmd(&z, w, nw, absent, latest, &pre, &run);
    }
  }
  /* request 1 */
  zy_sh_begin(&s);
  if (upd && !h->check_mode) {
    zy_cmd(&z, "refresh", &ref);
    zy_sh_run(&s, "ref", &ref);
    rt_buf_puts(&s, "[ $r = 0 ] || exit 0\n");
  }
  if (search)
    zy_sh_run(&s, "srch", &srch);
  else if (run.n)
    zy_sh_run(&s, "run", &run);
  if (!zy_exec(&z, &s, &ex, &have))
    goto done;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  z.zypper = mod_rec(&ex, "zypper");
  z.tu = mod_rec_is(&ex, "tu", "1");
  z.tup = mod_rec(&ex, "tup");
  bool none = false;
  if (ref.n) {
    ZyPkgs rp = {0};
    r = zy_step(&z, &ex, "ref", &ref, true, &rp, &c, &none);
    pkgs_free(&rp);
    if (r)
      goto done;
    if (c.rc != 0) {
      r = mod_fail_result("Zypper refresh run failed.");
      rt_dict_set(r, "rc", rt_int(c.rc));
      mod_ps_out(r, c.out, c.err);
      rt_dict_set(r, "cmd", cmd_list(&z, &ref));
      goto done;
    }
    mod_ps_cap_free(&c);
  }
  if (fail) {
    r = mod_fail_result("%s", fail);
    goto done;
  }
  const RtExec *rex = &ex;
  if (search) {
    if ((r = zy_step(&z, &ex, "srch", &srch, false, &pre, &c, &none)) != NULL)
      goto done;
    mod_ps_cap_free(&c);
    change_cmd(&z, w, nw, absent, latest, &pre, &run);
    if (run.n) {
      zy_sh_begin(&s2);
      zy_sh_run(&s2, "run", &run);
      if (!zy_exec(&z, &s2, &ex2, &have2))
        goto done;
      if ((r = mod_ps_missing(&ex2)) != NULL)
        goto done;
      rex = &ex2;
    }
  }
  /* retvals */
  int rc = 0;
  if (run.n) {
    if ((r = zy_step(&z, rex, "run", &run, true, &pk, &c, &none)) != NULL)
      goto done;
    rc = c.rc;
  }
  bool changed = (rc == 0 || rc == 102) && pk.n > 0;
  r = rc == 0 || rc == 102 ? rt_dict_new(8) : mod_fail_result("Zypper run failed.");
  rt_dict_set(r, "rc", rt_int(rc));
  if (run.n)
    rt_dict_set(r, "cmd", cmd_list(&z, &run));
  if (h->diff_mode)
    rt_dict_set(r, "diff", diff_of(&pk));
  if (rc != 0 && rc != 102) {
    mod_ps_out(r, c.out, c.err);
    goto done;
  }
  rt_dict_set(r, "changed", rt_bool(changed));
  if (changed)
    mod_ps_out(r, c.out, c.err);
  rt_dict_set(r, "name", rt_incref(nl));
  rt_dict_set(r, "state", rt_strz(st));
  rt_dict_set(r, "update_cache", rt_bool(upd));
done:
  mod_ps_cap_free(&c);
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  for (size_t i = 0; i < nw; i++) {
    free(w[i].name);
    free(w[i].version);
  }
  free(w);
  pkgs_free(&pk);
  pkgs_free(&pre);
  mod_argv_free(&run);
  mod_argv_free(&ref);
  mod_argv_free(&srch);
  rt_buf_free(&s);
  rt_buf_free(&s2);
  if (names)
    rt_decref(names);
  if (nl)
    rt_decref(nl);
  free(lerr);
  free(z.type);
  free(z.state);
  free(z.pre);
  free(z.extra);
  return r;
}

#endif
