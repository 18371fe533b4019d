/*
 * pkgsvc.c — what the package and service modules (apt, apt_key,
 * apt_repository, debconf, dpkg_selections, package_facts, pip, service,
 * systemd, service_facts, script) share on the target and in C:
 *
 *   - shell functions their scripts define (mod_ps_sh_begin): Ansible's
 *     get_bin_path (the tool's full path, or a failure naming it and the
 *     folders searched), get_best_parsable_locale, and running a tool with
 *     its exit status, stdout and stderr captured into records. Output goes
 *     to files in the request's private scratch folder, never through a
 *     pipe the shell waits on: a daemon a package or an init script starts
 *     keeps its inherited descriptors open for its whole life;
 *   - in C: reading those records back, the failures they stand for, Debian
 *     version comparison (dpkg's algorithm), Python's shlex.quote and
 *     str.splitlines, and fnmatch.
 *
 * These modules run programs that print text (apt-get, dpkg-query, systemctl,
 * gpg). Their output reaches the controller as record values; where a
 * module must read it, it is parsed here in C by fixed rules, and the
 * formats are requested explicitly where the tool allows (dpkg-query -f,
 * LANG of the best parsable locale, as Ansible runs them).
 */
#include "mod.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#ifndef MOD_SCHEMA_ONLY /* runtime helpers only: no schema here */

/* ---- target side ------------------------------------------------------------------ */

static const char PS_FUNCS[] =
    /* pc_bin NAME [DIR...]: get_bin_path. pc_v = the path, or status 1 with
     * pc_v = the folders searched, joined by ':' as Ansible lists them */
    "pc_bin() {\n"
    "  pc_n=$1; shift; pc_l=; pc_f=\n"
    "  for pc_d in \"$@\"; do [ ! -e \"$pc_d\" ] || { pc_l=$pc_l$pc_f$pc_d; pc_f=:; }; done\n"
    "  pc_l=$pc_l$pc_f${PATH-}\n"
    "  for pc_d in /sbin /usr/sbin /usr/local/sbin; do\n"
    "    case :$pc_l: in *:\"$pc_d\":*) ;; *) [ ! -e \"$pc_d\" ] || pc_l=$pc_l:$pc_d;; esac\n"
    "  done\n"
    "  set -f; IFS=:\n"
    "  for pc_d in $pc_l; do\n"
    "    [ -n \"$pc_d\" ] || continue\n"
    "    pc_v=${pc_d%/}/$pc_n\n"
    "    if [ -f \"$pc_v\" ] && [ -x \"$pc_v\" ]; then unset IFS; set +f; return 0; fi\n"
    "  done\n"
    "  unset IFS; set +f; pc_v=$pc_l; return 1\n"
    "}\n"
    /* pc_nobin NAME: the record of a required tool that is missing; ends the script */
    "pc_nobin() { __playc_rec nobin \"$1\"; __playc_rec nobin_paths \"$pc_v\"; exit 0; }\n"
    /* pc_locale: pc_loc = get_best_parsable_locale */
    "pc_locale() {\n"
    "  pc_loc=C\n"
    "  pc_bin locale || return 0\n"
    "  pc_a=$(\"$pc_v\" -a 2>/dev/null) || return 0\n"
    "  for pc_p in C.utf8 C.UTF-8 en_US.utf8 en_US.UTF-8 C POSIX; do\n"
    "    case \"\n$pc_a\n\" in *\"\n$pc_p\n\"*) pc_loc=$pc_p; return 0;; esac\n"
    "  done\n"
    "}\n"
    /* pc_cap KEY CMD...: runs CMD (a full path, stdin /dev/null), records
     * KEY.rc, KEY.out and KEY.err (each ending with '.', which keeps trailing
     * newlines through $(...)); returns its status */
    "pc_cap() {\n"
    "  pc_k=$1; shift\n"
    "  \"$@\" >\"$__playc_scr/o\" 2>\"$__playc_scr/e\" </dev/null; pc_r=$?\n"
    "  pc_put \"$pc_k\"; return $pc_r\n"
    "}\n"
    /* pc_capin KEY DATA CMD...: the same with DATA (no newline added) on stdin */
    "pc_capin() {\n"
    "  pc_k=$1; printf %s \"$2\" >\"$__playc_scr/i\"; shift 2\n"
    "  \"$@\" >\"$__playc_scr/o\" 2>\"$__playc_scr/e\" <\"$__playc_scr/i\"; pc_r=$?\n"
    "  pc_put \"$pc_k\"; return $pc_r\n"
    "}\n"
    /* pc_update KEY APT-GET: `apt-get update`, failed as python-apt's
     * cache.update() fails: when any index could not be fetched */
    "pc_update() {\n"
    "  pc_cap \"$1\" \"$2\" update || return 1\n"
    "  ! grep -qE '^(W|E): (Failed to fetch|Some index files failed to download)' \"$__playc_scr/e\"\n"
    "}\n"
    "pc_put() {\n"
    "  __playc_rec \"$1.rc\" \"$pc_r\"\n"
    "  __playc_rec \"$1.out\" \"$(cat \"$__playc_scr/o\"; echo .)\"\n"
    "  __playc_rec \"$1.err\" \"$(cat \"$__playc_scr/e\"; echo .)\"\n"
    "}\n";

void mod_ps_sh_begin(RtBuf *s) {
  char rnd[25];
  rt_random_hex(rnd, 12);
  rt_buf_puts(s, "__playc_traps\n");
  rt_buf_puts(s, PS_FUNCS);
  rt_buf_printf(s,
                "__playc_scr=${TMPDIR:-/tmp}/.playc-ps-%s\n"
                "(umask 077; mkdir -- \"$__playc_scr\") || { __playc_scr=; __playc_rec fail noscratch; exit 0; }\n",
                rnd);
}

void mod_ps_sh_need(RtBuf *s, const char *var, const char *tool) {
  rt_buf_printf(s, "pc_bin %s || pc_nobin %s; %s=$pc_v\n", tool, tool, var);
}

/* ---- reading records -------------------------------------------------------------- */

RtValue *mod_ps_missing(const RtExec *ex) {
  const char *tool = mod_rec(ex, "nobin");
  if (tool)
    return mod_fail_result("Failed to find required executable \"%s\" in paths: %s", tool,
                           mod_rec(ex, "nobin_paths") ? mod_rec(ex, "nobin_paths") : "");
  if (mod_rec_is(ex, "fail", "noscratch"))
    return mod_fail_result("could not create a private scratch folder in the target's "
                           "temporary folder");
  return NULL;
}

/* A pc_put value without its trailing '.' (malloc'd), or NULL. */
static char *cap_text(const RtExec *ex, const char *key, const char *part) {
  char *k = rt_xasprintf("%s.%s", key, part);
  RtValue *v = ex->rec ? rt_dict_get(ex->rec, k) : NULL;
  free(k);
  if (!v || rt_kind(v) != RT_STR || !v->u.str.len)
    return NULL;
  return rt_xstrndup(v->u.str.s, v->u.str.len - 1);
}

bool mod_ps_cap(const RtExec *ex, const char *key, ModCap *c) {
  char *k = rt_xasprintf("%s.rc", key);
  const char *rc = mod_rec(ex, k);
  free(k);
  c->out = c->err = NULL;
  if (!rc) {
    c->rc = -1;
    return false;
  }
  c->rc = atoi(rc);
  c->out = cap_text(ex, key, "out");
  c->err = cap_text(ex, key, "err");
  if (!c->out)
    c->out = rt_xstrdup("");
  if (!c->err)
    c->err = rt_xstrdup("");
  return true;
}

void mod_ps_cap_free(ModCap *c) {
  free(c->out);
  free(c->err);
  c->out = c->err = NULL;
}


/* ---- arguments ---------------------------------------------------------------------- */

RtValue *mod_ps_arg_list(RtValue *args, const char *name, char **err) {
  RtValue *v = rt_dict_get(args, name);
  *err = NULL;
  if (!v || rt_kind(v) == RT_NONE)
    return NULL;
  RtValue *l = rt_list_new(4);
  if (rt_kind(v) == RT_STR) { /* check_type_list: value.split(",") */
    const char *p = v->u.str.s;
    for (;;) {
      const char *c = strchr(p, ',');
      rt_list_push(l, rt_str(p, c ? (size_t)(c - p) : strlen(p)));
      if (!c)
        break;
      p = c + 1;
    }
    return l;
  }
  if (rt_kind(v) == RT_INT || rt_kind(v) == RT_FLOAT || rt_kind(v) == RT_BOOL) {
    RtBuf b = {0};
    rt_render_str(&b, v);
    rt_list_push(l, rt_str(b.data, b.len));
    rt_buf_free(&b);
    return l;
  }
  if (rt_kind(v) != RT_LIST) {
    rt_decref(l);
    *err = rt_xasprintf("argument '%s' is of type <class '%s'> and we were unable to convert to list: "
                        "<class '%s'> cannot be converted to a list",
                        name, rt_kind(v) == RT_DICT ? "dict" : "str", rt_kind(v) == RT_DICT ? "dict" : "str");
    return NULL;
  }
  for (size_t i = 0; i < rt_len(v); i++) { /* elements='str' */
    RtValue *e = rt_list_at(v, i);
    if (rt_kind(e) == RT_LIST || rt_kind(e) == RT_DICT) {
      rt_decref(l);
      *err = rt_xasprintf("Elements value for option '%s' is of type <class '%s'> and we were unable to "
                          "convert to str: Quote the entire value to ensure it does not change.",
                          name, rt_kind(e) == RT_DICT ? "dict" : "list");
      return NULL;
    }
    if (rt_kind(e) == RT_STR) {
      rt_list_push(l, rt_incref(e));
    } else {
      RtBuf b = {0};
      rt_render_str(&b, e);
      rt_list_push(l, rt_str(b.data ? b.data : "", b.len));
      rt_buf_free(&b);
    }
  }
  return l;
}

bool mod_ps_arg_int(RtValue *args, const char *name, long long def, long long *out, char **err) {
  RtValue *v = rt_dict_get(args, name);
  *err = NULL;
  *out = def;
  if (!v || rt_kind(v) == RT_NONE)
    return true;
  if (rt_kind(v) == RT_INT) {
    *out = v->u.i;
    return true;
  }
  if (rt_kind(v) == RT_BOOL) { /* bool is an int in Python */
    *out = v->u.b;
    return true;
  }
  if (rt_kind(v) == RT_STR && mod_py_int(v->u.str.s, out))
    return true;
  const char *t = rt_kind(v) == RT_STR ? "str" : rt_kind(v) == RT_FLOAT ? "float" : rt_kind(v) == RT_LIST ? "list" : "dict";
  *err = rt_xasprintf("argument '%s' is of type <class '%s'> and we were unable to convert to int: "
                      "<class '%s'> cannot be converted to an int",
                      name, t, t);
  return false;
}

void mod_ps_out(RtValue *r, const char *out, const char *err) {
  rt_dict_set(r, "stdout", rt_strz(out));
  rt_dict_set(r, "stdout_lines", mod_lines(out, strlen(out)));
  rt_dict_set(r, "stderr", rt_strz(err));
  rt_dict_set(r, "stderr_lines", mod_lines(err, strlen(err)));
}

/* shlex.split(s) in POSIX mode (no comments). NULL when a quote is not closed. */
RtValue *mod_py_shlex_split(const char *s) {
  RtValue *l = rt_list_new(8);
  const char *p = s;
  for (;;) {
    while (*p && strchr(" \t\r\n", *p))
      p++;
    if (!*p)
      return l;
    RtBuf w = {0};
    rt_buf_add(&w, "", 0);
    while (*p && !strchr(" \t\r\n", *p)) {
      if (*p == '\'') {
        const char *e = strchr(p + 1, '\'');
        if (!e)
          goto bad;
        rt_buf_add(&w, p + 1, (size_t)(e - p - 1));
        p = e + 1;
      } else if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
          if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
            p++;
          rt_buf_putc(&w, *p);
        }
        if (!*p)
          goto bad;
        p++;
      } else if (*p == '\\') {
        if (!p[1])
          goto bad;
        rt_buf_putc(&w, p[1]);
        p += 2;
      } else {
        rt_buf_putc(&w, *p++);
      }
    }
    rt_list_push(l, rt_str(w.data, w.len));
    rt_buf_free(&w);
    continue;
  bad:
    rt_buf_free(&w);
    rt_decref(l);
    return NULL;
  }
}


/* ---- package and service managers --------------------------------------------------------- */


void mod_ps_sh_pkg_mgr(RtBuf *s) {
  rt_buf_puts(s, "pm=unknown\n");
  for (size_t i = 0; i < mod_npkg_mgrs; i++)
    rt_buf_printf(s, "[ ! -e %s ] || pm=%s\n", mod_pkg_mgrs[i][0], mod_pkg_mgrs[i][1]);
  /* the distribution's family decides between several (Debian: apt; Red
   * Hat: dnf from version 8); apt may be APT-RPM */
  rt_buf_puts(s, "if [ -r /etc/os-release ]; then pm_id=$(. /etc/os-release; echo \" ${ID-} ${ID_LIKE-} \"); "
                 "pm_ver=$(. /etc/os-release; echo \"${VERSION_ID-}\"); fi\n"
                 "case ${pm_id-} in\n"
                 "  *' debian '*|*' ubuntu '*) pm=apt;;\n"
                 "  *' rhel '*|*' fedora '*|*' centos '*) [ -e /run/ostree-booted ] && pm=atomic_container || "
                 "{ case ${pm_ver%%.*} in [1-7]) pm=yum;; *) pm=dnf;; esac; };;\n"
                 "esac\n"
                 "if [ $pm = apt ] && [ -e /usr/bin/rpm ] && /usr/bin/rpm -q --whatprovides /usr/bin/apt-get "
                 ">/dev/null 2>&1; then pm=apt_rpm; fi\n"
                 "__playc_rec pkg_mgr \"$pm\"\n");
}

char *mod_ps_detect_pkg_mgr(RtHost *h, RtValue **fail) {
  RtBuf s = {0};
  mod_ps_sh_begin(&s);
  mod_ps_sh_pkg_mgr(&s);
  RtExec ex;
  char *err = NULL, *m = NULL;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  free(err);
  if (rc < 0)
    return NULL;
  if (!(*fail = mod_ps_missing(&ex)))
    m = rt_xstrdup(mod_rec(&ex, "pkg_mgr") ? mod_rec(&ex, "pkg_mgr") : "auto");
  rt_exec_free(&ex);
  return m;
}

void mod_ps_sh_service_mgr(RtBuf *s) {
  /* Ansible's service_mgr fact on Linux: what /proc/1/comm names (unless it
   * is init or a shell), else systemd by its canaries, upstart, openrc,
   * systemd offline, sysvinit, or the generic service */
  rt_buf_puts(s, "sm=; if [ -r /proc/1/comm ]; then read -r sm < /proc/1/comm || sm=; "
                 "elif [ -L /sbin/init ]; then sm=$(readlink /sbin/init); fi\n"
                 "sm=${sm##*/}\n"
                 "case $sm in init|*sh) sm=;; procd) sm=openwrt_init;; runit-init) sm=runit;; svscan) sm=svc;; "
                 "openrc-init) sm=openrc;; esac\n"
                 "if [ -z \"$sm\" ]; then\n"
                 "  if pc_bin systemctl && { [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || "
                 "[ -e /dev/.systemd/ ]; }; then sm=systemd\n"
                 "  elif pc_bin initctl && [ -e /etc/init/ ]; then sm=upstart\n"
                 "  elif [ -e /sbin/openrc ]; then sm=openrc\n"
                 "  elif pc_bin systemctl && [ -L /sbin/init ] && [ \"$(basename \"$(readlink /sbin/init)\")\" = systemd ]; "
                 "then sm=systemd\n"
                 "  elif [ -e /etc/init.d/ ]; then sm=sysvinit\n"
                 "  else sm=service; fi\n"
                 "fi\n"
                 "__playc_rec service_mgr \"$sm\"\n");
}

const char *mod_ps_fact(RtHost *h, const char *name) {
  RtValue *f = rt_var(h, "ansible_facts", NULL);
  const char *v = NULL;
  if (rt_kind(f) == RT_DICT) {
    RtValue *x = rt_dict_get(f, name);
    if (!x) { /* playc's setup keeps the ansible_ prefix inside ansible_facts */
      char *k = rt_xasprintf("ansible_%s", name);
      x = rt_dict_get(f, k);
      free(k);
    }
    if (x && rt_kind(x) == RT_STR)
      v = x->u.str.s; /* the facts dict lives as long as the host's facts */
  }
  rt_decref(f);
  return v;
}

char *mod_ps_unsupported_params(const ModSchema *m, const char *module, RtValue *args) {
  RtBuf bad = {0}, names = {0}, aliases = {0};
  for (size_t i = 0; i < args->u.dict.len; i++) {
    const char *k = args->u.dict.ents[i].key->u.str.s;
    if (mod_param_find(m, k) < 0)
      rt_buf_printf(&bad, "%s%s", bad.len ? ", " : "", k);
  }
  if (!bad.len)
    return NULL;
  /* sorted names, then sorted aliases, as AnsibleModule lists them */
  const char **n = rt_xcalloc((size_t)m->nparams * 8 + 1, sizeof *n);
  size_t nn = 0, na = 0;
  const char **al = rt_xcalloc((size_t)m->nparams * 8 + 1, sizeof *al);
  char **owned = rt_xcalloc((size_t)m->nparams * 8 + 1, sizeof *owned);
  size_t no = 0;
  for (int32_t i = 0; i < m->nparams; i++) {
    if (m->params[i].name[0] == '_')
      continue;
    n[nn++] = m->params[i].name;
    for (const char *p = m->params[i].aliases; p && *p;) {
      const char *c = strchr(p, ',');
      owned[no] = c ? rt_xstrndup(p, (size_t)(c - p)) : rt_xstrdup(p);
      al[na++] = owned[no++];
      p = c ? c + 1 : NULL;
    }
  }
  for (size_t i = 0; i < nn; i++)
    for (size_t j = i + 1; j < nn; j++)
      if (strcmp(n[j], n[i]) < 0) {
        const char *t = n[i];
        n[i] = n[j];
        n[j] = t;
      }
  for (size_t i = 0; i < na; i++)
    for (size_t j = i + 1; j < na; j++)
      if (strcmp(al[j], al[i]) < 0) {
        const char *t = al[i];
        al[i] = al[j];
        al[j] = t;
      }
  for (size_t i = 0; i < nn; i++)
    rt_buf_printf(&names, "%s%s", i ? ", " : "", n[i]);
  for (size_t i = 0; i < na; i++)
    rt_buf_printf(&aliases, "%s%s", i ? ", " : "", al[i]);
  char *msg = rt_xasprintf("Unsupported parameters for (%s) module: %s. Supported parameters include: %s%s%s%s.",
                           module, bad.data, names.data ? names.data : "", na ? " (" : "",
                           na ? aliases.data : "", na ? ")" : "");
  for (size_t i = 0; i < no; i++)
    free(owned[i]);
  free(owned);
  free(n);
  free(al);
  rt_buf_free(&bad);
  rt_buf_free(&names);
  rt_buf_free(&aliases);
  return msg;
}

/* The args as mod_check_constraints reads them (a dict of the given ones). */
static bool cc_has(void *ctx, const char *name) {
  RtValue *v = rt_dict_get(ctx, name);
  return v && rt_kind(v) != RT_NONE;
}

static const char *cc_text(void *ctx, const char *name) {
  RtValue *v = rt_dict_get(ctx, name);
  if (!v)
    return NULL;
  if (rt_kind(v) == RT_STR)
    return v->u.str.s;
  if (rt_kind(v) == RT_BOOL)
    return v->u.b ? "True" : "False";
  return NULL;
}

RtValue *mod_ps_args_for(const ModSchema *m, const char *module, RtValue *args, const char *drop,
                         RtValue **fail) {
  RtValue *d = rt_dict_new(args->u.dict.len);
  *fail = NULL;
  for (size_t i = 0; i < args->u.dict.len; i++) {
    const char *k = args->u.dict.ents[i].key->u.str.s;
    if (drop && strcmp(k, drop) == 0)
      continue;
    rt_dict_set(d, k, rt_incref(args->u.dict.ents[i].val));
  }
  char *msg = mod_ps_unsupported_params(m, module, d);
  if (!msg) { /* aliases become the parameters' names, then AnsibleModule's checks */
    RtValue *c = rt_dict_new(d->u.dict.len);
    for (size_t i = 0; i < d->u.dict.len; i++) {
      const char *k = d->u.dict.ents[i].key->u.str.s;
      rt_dict_set(c, m->params[mod_param_find(m, k)].name, rt_incref(d->u.dict.ents[i].val));
    }
    rt_decref(d);
    d = c;
    msg = mod_check_constraints(m, cc_has, cc_text, d, true);
  }
  if (msg) {
    *fail = mod_fail_result("%s", msg);
    free(msg);
    rt_decref(d);
    return NULL;
  }
  return d;
}

/* ---- apt's errors ------------------------------------------------------------------------ */

char *mod_ps_apt_errors(const char *err, bool warnings) {
  RtBuf e = {0};
  RtValue *lines = mod_lines(err, strlen(err));
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = rt_list_at(lines, i)->u.str.s;
    if ((l[0] == 'E' || (warnings && l[0] == 'W')) && l[1] == ':')
      rt_buf_printf(&e, "%s%c:%s", e.len ? ", " : "", l[0], l[2] == ' ' ? l + 3 : l + 2);
  }
  rt_decref(lines);
  if (!e.data)
    rt_buf_add(&e, "", 0);
  return rt_buf_take(&e);
}

/* ---- Python's text helpers ---------------------------------------------------------- */

void mod_py_shlex_quote(RtBuf *b, const char *s) {
  if (!*s) {
    rt_buf_puts(b, "''");
    return;
  }
  bool safe = true;
  for (const unsigned char *p = (const unsigned char *)s; *p && safe; p++)
    safe = isalnum(*p) || strchr("_@%+=:,./-", *p); /* re.ASCII: other bytes are unsafe */
  if (safe) {
    rt_buf_puts(b, s);
    return;
  }
  rt_buf_putc(b, '\'');
  for (; *s; s++) {
    if (*s == '\'')
      rt_buf_puts(b, "'\"'\"'");
    else
      rt_buf_putc(b, *s);
  }
  rt_buf_putc(b, '\'');
}

bool mod_fnmatch(const char *pattern, const char *name) {
  /* Python's fnmatch (case-sensitive on POSIX): '*' and '?' match '/' too */
  return fnmatch(pattern, name, 0) == 0;
}

/* ---- Debian versions (deb-version(7), dpkg's verrevcmp) ---------------------------- */

static int order(int c) {
  if (isdigit(c))
    return 0;
  if (isalpha(c))
    return c;
  if (c == '~')
    return -1;
  if (c)
    return c + 256;
  return 0;
}

static int verrevcmp(const char *a, const char *b) {
  while (*a || *b) {
    int first_diff = 0;
    while ((*a && !isdigit((unsigned char)*a)) || (*b && !isdigit((unsigned char)*b))) {
      int ac = order((unsigned char)*a), bc = order((unsigned char)*b);
      if (ac != bc)
        return ac - bc;
      a++;
      b++;
    }
    while (*a == '0')
      a++;
    while (*b == '0')
      b++;
    while (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
      if (!first_diff)
        first_diff = *a - *b;
      a++;
      b++;
    }
    if (isdigit((unsigned char)*a))
      return 1;
    if (isdigit((unsigned char)*b))
      return -1;
    if (first_diff)
      return first_diff;
  }
  return 0;
}

/* Splits "epoch:upstream-revision" into its parts (in buf). */
static void deb_split(const char *v, char *buf, size_t cap, long *epoch, const char **up, const char **rev) {
  snprintf(buf, cap, "%s", v);
  char *colon = strchr(buf, ':'), *u = buf;
  *epoch = 0;
  if (colon) {
    *colon = 0;
    *epoch = strtol(buf, NULL, 10);
    u = colon + 1;
  }
  char *dash = strrchr(u, '-');
  *rev = "";
  if (dash) {
    *dash = 0;
    *rev = dash + 1;
  }
  *up = u;
}

int mod_deb_version_cmp(const char *a, const char *b) {
  char ba[512], bb[512];
  long ea, eb;
  const char *ua, *ub, *ra, *rb;
  deb_split(a, ba, sizeof ba, &ea, &ua, &ra);
  deb_split(b, bb, sizeof bb, &eb, &ub, &rb);
  if (ea != eb)
    return ea < eb ? -1 : 1;
  int r = verrevcmp(ua, ub);
  if (!r)
    r = verrevcmp(ra, rb);
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}

#endif /* MOD_SCHEMA_ONLY */
