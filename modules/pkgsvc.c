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
