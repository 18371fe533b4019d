/*
 * facts_linux.c — the fact collectors of ansible.module_utils.facts for
 * Linux targets, ported: each collector is a script fragment that gathers
 * raw data on the target (file contents, the output of `uname`, `ip`, `id`,
 * `date`, `stat -f` ...) as records, and a parser that computes Ansible's
 * facts from them on the controller, with Ansible's names, types and rules
 * (distribution files in Ansible's order, /proc/cpuinfo's socket and core
 * counting, `ip addr` parsing, the virtualization checks in their order).
 *
 * Record keys: "f:PATH" holds a file's content (only when it exists, is
 * readable and reads), "x:PATH" marks a path that exists; other keys are
 * named after the collector. Fragments share the gathering script's helpers
 * (setup.c): __fr PATH (a file's record), __fx PATH (exists), __fc KEY CMD...
 * (a command's stdout, when it exists and succeeds), __fw NAME (status 0
 * when a program is on PATH or in the sbin folders, as get_bin_path finds).
 *
 * Differences that cannot be closed without Python on the target are
 * listed in docs/facts.md (python, python_version, loadavg's precision).
 */
#include "facts.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#ifndef MOD_SCHEMA_ONLY

/* ---- helpers ------------------------------------------------------------------- */

const char *facts_rec(const RtExec *ex, const char *key) { return mod_rec(ex, key); }

static bool py_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* s stripped of `chars` (NULL: whitespace) at both ends; malloc'd. */
static char *strip_chars(const char *s, const char *chars) {
  const char *b = s, *e = s + strlen(s);
  while (b < e && (chars ? strchr(chars, *b) != NULL : py_space(*b)))
    b++;
  while (e > b && (chars ? strchr(chars, e[-1]) != NULL : py_space(e[-1])))
    e--;
  return rt_xstrndup(b, (size_t)(e - b));
}

RtValue *facts_strip(const char *s) {
  char *t = strip_chars(s, NULL);
  return rt_str_take(t, strlen(t));
}

/* get_file_content(path): the stripped content, NULL when absent or empty. */
static char *file_content(const RtExec *ex, const char *path) {
  char key[512];
  snprintf(key, sizeof key, "f:%s", path);
  const char *v = mod_rec(ex, key);
  if (!v)
    return NULL;
  char *t = strip_chars(v, NULL);
  if (!*t) {
    free(t);
    return NULL;
  }
  return t;
}

static bool path_exists(const RtExec *ex, const char *path) {
  char key[512];
  snprintf(key, sizeof key, "x:%s", path);
  return mod_rec(ex, key) != NULL;
}

static void set_str(RtValue *f, const char *k, const char *v) { rt_dict_set(f, k, rt_strz(v)); }
static void set_take(RtValue *f, const char *k, char *v) { rt_dict_set(f, k, rt_str_take(v, strlen(v))); }

/* The string fact `k` of `all` (prefixed), or "". */
static const char *fact_of(const RtValue *all, const char *k) {
  RtValue *v = all ? rt_dict_get(all, k) : NULL;
  return v && rt_kind(v) == RT_STR ? v->u.str.s : "";
}

/* Lines of `s` (splitlines); the caller frees the array and the copy in *buf. */
static char **split_lines(const char *s, int *n, char **buf) {
  *buf = rt_xstrdup(s ? s : "");
  int cap = 8;
  char **l = rt_xmalloc(sizeof *l * (size_t)cap);
  *n = 0;
  char *p = *buf;
  while (*p) {
    char *e = p + strcspn(p, "\n");
    bool more = *e != 0;
    *e = 0;
    if (e > p && e[-1] == '\r')
      e[-1] = 0;
    if (*n == cap)
      l = rt_xrealloc(l, sizeof *l * (size_t)(cap *= 2));
    l[(*n)++] = p;
    p = more ? e + 1 : e;
  }
  return l;
}

/* Whitespace-separated words of `s` (str.split()), in place; returns count. */
static int split_words(char *s, char **w, int max) {
  int n = 0;
  char *save = NULL;
  for (char *t = strtok_r(s, " \t\r\n\v\f", &save); t && n < max; t = strtok_r(NULL, " \t\r\n\v\f", &save))
    w[n++] = t;
  return n;
}

/* The first match's group `g` of `pattern` in `subject` (re.search), or NULL. */
static char *re_group(const char *pattern, const char *subject, int g) {
  int ec;
  PCRE2_SIZE eo;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
  RT_ASSERT(re);
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  char *out = NULL;
  if (pcre2_match(re, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md, NULL) > g) {
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (ov[2 * g] != PCRE2_UNSET)
      out = rt_xstrndup(subject + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
  }
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  return out;
}

static bool re_has(const char *pattern, const char *subject) {
  char *m = re_group(pattern, subject, 0);
  free(m);
  return m != NULL;
}

/* A shell-quoted value of an os-release/lsb-release style KEY=value line. */
static char *kv_value(const char *text, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = text; p && *p;) {
    const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
    if ((size_t)(end - p) > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
      RtBuf v = {0};
      char q = 0;
      for (const char *c = p + kl + 1; c < end; c++) {
        if (!q && (*c == '"' || *c == '\''))
          q = *c;
        else if (q && *c == q)
          q = 0;
        else if (*c == '\\' && q != '\'' && c + 1 < end)
          rt_buf_putc(&v, *++c);
        else
          rt_buf_putc(&v, *c);
      }
      if (!v.data)
        rt_buf_add(&v, "", 0);
      return rt_buf_take(&v);
    }
    p = nl ? nl + 1 : NULL;
  }
  return NULL;
}

static long long to_ll(const char *s) { return s ? strtoll(s, NULL, 10) : 0; }

/* ---- platform ------------------------------------------------------------------------ */

static void platform_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fc p.s uname -s; __fc p.r uname -r; __fc p.v uname -v; __fc p.m uname -m; __fc p.n uname -n\n"
                 "__fc p.bits getconf LONG_BIT\n"
                 /* socket.getfqdn(): the address of the node name, then its names */
                 "__a=$(getent hosts \"$(uname -n)\" 2>/dev/null | head -n 1) && set -f && set -- $__a && set +f &&"
                 " [ -n \"${1-}\" ] && __fc p.fq getent hosts \"$1\"\n"
                 "__fr /var/lib/dbus/machine-id; __fr /etc/machine-id\n");
}

static void platform_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  const char *node = mod_rec(ex, "p.n");
  node = node ? node : "";
  set_str(f, "system", mod_rec(ex, "p.s") ? mod_rec(ex, "p.s") : "");
  set_str(f, "kernel", mod_rec(ex, "p.r") ? mod_rec(ex, "p.r") : "");
  set_str(f, "kernel_version", mod_rec(ex, "p.v") ? mod_rec(ex, "p.v") : "");
  const char *machine = mod_rec(ex, "p.m") ? mod_rec(ex, "p.m") : "";
  set_str(f, "machine", machine);
  /* fqdn: the first of the address's names that holds a dot, else its name */
  char *fqdn = NULL;
  const char *fq = mod_rec(ex, "p.fq");
  if (fq) {
    char *line = rt_xstrdup(fq), *w[64];
    int n = split_words(line, w, 64);
    for (int i = 1; i < n && !fqdn; i++)
      if (strchr(w[i], '.'))
        fqdn = rt_xstrdup(w[i]);
    if (!fqdn && n > 1)
      fqdn = rt_xstrdup(w[1]);
    free(line);
  }
  if (!fqdn)
    fqdn = rt_xstrdup(node);
  char *dot = strchr(fqdn, '.');
  set_str(f, "domain", dot ? dot + 1 : "");
  set_take(f, "fqdn", fqdn);
  set_take(f, "hostname", rt_xstrndup(node, strcspn(node, ".")));
  set_str(f, "nodename", node);
  const char *bits = mod_rec(ex, "p.bits") ? mod_rec(ex, "p.bits") : "64";
  set_str(f, "userspace_bits", bits);
  set_str(f, "architecture", machine);
  if (strcmp(machine, "x86_64") == 0 && (!strcmp(bits, "64") || !strcmp(bits, "32")))
    set_str(f, "userspace_architecture", !strcmp(bits, "64") ? "x86_64" : "i386");
  char *mid = file_content(ex, "/var/lib/dbus/machine-id");
  if (!mid)
    mid = file_content(ex, "/etc/machine-id");
  if (mid) {
    mid[strcspn(mid, "\n")] = 0;
    set_take(f, "machine_id", mid);
  }
}

/* ---- distribution ---------------------------------------------------------------------- */

typedef struct DistFile {
  const char *path, *name;
  bool allow_empty;
} DistFile;

/* DistributionFiles.OSDIST_LIST, in its order. */
static const DistFile osdist[] = {
    {"/etc/altlinux-release", "Altlinux", false},  {"/etc/oracle-release", "OracleLinux", false},
    {"/etc/slackware-version", "Slackware", false}, {"/etc/centos-release", "CentOS", false},
    {"/etc/redhat-release", "RedHat", false},      {"/etc/vmware-release", "VMwareESX", true},
    {"/etc/openwrt_release", "OpenWrt", false},    {"/etc/os-release", "Amazon", false},
    {"/etc/system-release", "Amazon", false},      {"/etc/alpine-release", "Alpine", false},
    {"/etc/arch-release", "Archlinux", true},      {"/etc/os-release", "Archlinux", false},
    {"/etc/os-release", "SUSE", false},            {"/etc/SuSE-release", "SUSE", false},
    {"/etc/gentoo-release", "Gentoo", false},      {"/etc/os-release", "Debian", false},
    {"/etc/lsb-release", "Debian", false},         {"/etc/lsb-release", "Mandriva", false},
    {"/etc/sourcemage-release", "SMGL", false},    {"/usr/lib/os-release", "ClearLinux", false},
    {"/etc/coreos/update.conf", "Coreos", false},  {"/etc/os-release", "Flatcar", false},
    {"/etc/os-release", "NA", false},
};

static void distribution_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  for (size_t i = 0; i < sizeof osdist / sizeof *osdist; i++)
    rt_buf_printf(s, "__fx %s; __fr %s\n", osdist[i].path, osdist[i].path);
  rt_buf_puts(s, "__fr /etc/debian_version\n"
                 "__fw lsb_release && __fc lsb lsb_release -a\n"
                 /* distro's release file candidates: /etc's regular files named
                  * *-release or *_version ..., each one's first line when readable */
                 "for __f in /etc/*[-_]release /etc/*[-_]version; do"
                 " if [ -f \"$__f\" ] && [ -r \"$__f\" ]; then __l=;"
                 " { IFS= read -r __l || :; } < \"$__f\" 2>/dev/null;"
                 " __playc_rec \"dr[]\" \"${__f#/etc/}\"; __playc_rec \"d1:$__f\" \"$__l\"; fi; done\n");
}

/* distro.lsb_release_info() from `lsb_release -a`: lowercased keys. */
static char *lsb_attr(const RtExec *ex, const char *label) {
  const char *out = mod_rec(ex, "lsb");
  if (!out)
    return NULL;
  int n;
  char *buf, **l = split_lines(out, &n, &buf), *v = NULL;
  for (int i = 0; i < n && !v; i++) {
    char *c = strchr(l[i], ':');
    if (c && (size_t)(c - l[i]) == strlen(label) && strncmp(l[i], label, strlen(label)) == 0)
      v = strip_chars(c + 1, NULL);
  }
  free(l);
  free(buf);
  return v;
}

/* distro.id(), version() and codename() as sys_info uses them. */
typedef struct Guess {
  char *id, *like, *version, *codename;
} Guess;

/* distro's _parse_distro_release_content(line): name, version_id and
 * codename of "CentOS Linux release 7.9.2009 (Core)", matched reversed as
 * distro does; each NULL when absent. */
typedef struct DistroRelease {
  char *id, *name, *version_id, *codename;
} DistroRelease;

static void distro_release_free(DistroRelease *r) { free(r->id), free(r->name), free(r->version_id), free(r->codename); }

static char *reversed(const char *s, size_t n) {
  char *r = rt_xmalloc(n + 1);
  for (size_t i = 0; i < n; i++)
    r[i] = s[n - 1 - i];
  r[n] = 0;
  return r;
}

static void parse_release_content(const char *line, DistroRelease *r) {
  char *t = strip_chars(line ? line : "", NULL), *rev = reversed(t, strlen(t));
  char *g[4] = {NULL, NULL, NULL, NULL};
  bool ok = (g[0] = re_group("^(?:[^)]*\\)(.*)\\()? *(?:STL )?([\\d.+\\-a-z]*\\d) *(?:esaeler *)?(.+)", rev, 0)) != NULL;
  if (ok) {
    for (int i = 1; i <= 3; i++) {
      g[i] = re_group("^(?:[^)]*\\)(.*)\\()? *(?:STL )?([\\d.+\\-a-z]*\\d) *(?:esaeler *)?(.+)", rev, i);
      if (g[i]) {
        char *u = reversed(g[i], strlen(g[i]));
        free(g[i]);
        g[i] = u;
      }
    }
    r->name = g[3], r->version_id = g[2], r->codename = g[1];
    if (r->codename && !*r->codename) { /* an empty group is no codename */
      free(r->codename);
      r->codename = NULL;
    }
  } else if (*t) {
    r->name = rt_xstrdup(t);
  }
  free(g[0]);
  free(rev);
  free(t);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* distro's distro_release_info(): the first of /etc's release files, by
 * name, that is not ignored and whose first line names a distribution; its
 * id from the file's name (redhat-release: redhat), cloudlinux by name. */
static void distro_release_info(const RtExec *ex, DistroRelease *r) {
  static const char *const ignore[] = {"debian_version", "lsb-release", "oem-release", "os-release",
                                       "system-release", "plesk-release", "iredmail-release"};
  RtValue *l = ex->rec ? rt_dict_get(ex->rec, "dr") : NULL;
  if (!l || rt_kind(l) != RT_LIST)
    return;
  size_t n = l->u.list.len;
  char **names = rt_xmalloc(sizeof *names * (n + 1));
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (rt_kind(l->u.list.items[i]) == RT_STR)
      names[k++] = l->u.list.items[i]->u.str.s;
  qsort(names, k, sizeof *names, cmp_str);
  for (size_t i = 0; i < k; i++) {
    bool skip = false;
    for (size_t j = 0; j < sizeof ignore / sizeof *ignore; j++)
      skip = skip || !strcmp(names[i], ignore[j]);
    char *id = skip ? NULL : re_group("^(\\w+)[-_](release|version)$", names[i], 1);
    if (!id)
      continue;
    char key[512];
    snprintf(key, sizeof key, "d1:/etc/%s", names[i]);
    DistroRelease c = {0};
    parse_release_content(mod_rec(ex, key), &c);
    if (!c.name) {
      free(id);
      distro_release_free(&c);
      continue;
    }
    char *low = rt_xstrdup(c.name);
    for (char *p = low; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    if (strstr(low, "cloudlinux")) {
      free(id);
      id = rt_xstrdup("cloudlinux");
    }
    free(low);
    c.id = id;
    *r = c;
    break;
  }
  free(names);
}

static void guess_distro(const RtExec *ex, Guess *g) {
  char *osr = file_content(ex, "/etc/os-release");
  if (!osr)
    osr = file_content(ex, "/usr/lib/os-release");
  const char *o = osr ? osr : "";
  DistroRelease dr = {0};
  distro_release_info(ex, &dr);
  /* id(): os-release's ID, else lsb_release's Distributor ID, else the
   * release file's id, each lowercased with spaces as _ and normalized */
  static const char *const norm[][2] = {
      {"ol", "oracle"}, {"opensuse-leap", "opensuse"}, /* NORMALIZED_OS_ID */
      {"enterpriseenterpriseas", "oracle"}, {"enterpriseenterpriseserver", "oracle"},
      {"redhatenterpriseworkstation", "rhel"}, {"redhatenterpriseserver", "rhel"},
      {"redhatenterprisecomputenode", "rhel"}, /* NORMALIZED_LSB_ID */
      {"redhat", "rhel"},                        /* NORMALIZED_DISTRO_ID */
  };
  size_t nfrom = 0, nto = 2; /* the table part of the id's source */
  g->id = kv_value(o, "ID");
  if (!g->id || !*g->id) {
    free(g->id);
    g->id = lsb_attr(ex, "Distributor ID"), nfrom = 2, nto = 7;
  }
  if (!g->id || !*g->id) {
    free(g->id);
    g->id = dr.id ? rt_xstrdup(dr.id) : NULL, nfrom = 7, nto = 8;
  }
  if (!g->id)
    g->id = rt_xstrdup("");
  for (char *p = g->id; *p; p++)
    *p = *p == ' ' ? '_' : (char)tolower((unsigned char)*p);
  for (size_t i = nfrom; i < nto; i++)
    if (!strcmp(g->id, norm[i][0])) {
      free(g->id);
      g->id = rt_xstrdup(norm[i][1]);
      break;
    }
  g->like = kv_value(o, "ID_LIKE");
  /* version(): os-release's VERSION_ID, lsb's Release, the release file's
   * version, the version in os-release's PRETTY_NAME and in lsb's
   * Description (uname gives none on Linux), /etc/debian_version on
   * Debian-likes */
  DistroRelease pretty = {0}, desc = {0};
  char *pn = kv_value(o, "PRETTY_NAME"), *ld = lsb_attr(ex, "Description");
  parse_release_content(pn, &pretty);
  parse_release_content(ld, &desc);
  free(pn), free(ld);
  enum { NV = 6 };
  char *versions[NV] = {kv_value(o, "VERSION_ID"), lsb_attr(ex, "Release"),
                        dr.version_id ? rt_xstrdup(dr.version_id) : NULL,
                        pretty.version_id ? rt_xstrdup(pretty.version_id) : NULL,
                        desc.version_id ? rt_xstrdup(desc.version_id) : NULL, NULL};
  distro_release_free(&pretty);
  distro_release_free(&desc);
  bool debian = !strcmp(g->id, "debian") || (g->like && re_has("(^| )debian( |$)", g->like));
  if (debian)
    versions[5] = file_content(ex, "/etc/debian_version");
  bool best = !strcmp(g->id, "debian") || !strcmp(g->id, "centos");
  const char *v = "";
  for (int i = 0; i < NV; i++) {
    if (!versions[i] || !*versions[i])
      continue;
    if (!best) {
      if (!*v)
        v = versions[i];
      continue;
    }
    int dots = 0, vd = 0;
    for (const char *c = versions[i]; *c; c++)
      dots += *c == '.';
    for (const char *c = v; *c; c++)
      vd += *c == '.';
    if (dots > vd || !*v)
      v = versions[i];
  }
  g->version = rt_xstrdup(v);
  if (!strcmp(g->id, "centos")) { /* the first two parts */
    char *d = strchr(g->version, '.');
    if (d && (d = strchr(d + 1, '.')))
      *d = 0;
  }
  for (int i = 0; i < NV; i++)
    free(versions[i]);
  g->codename = kv_value(o, "VERSION_CODENAME");
  if (!g->codename)
    g->codename = kv_value(o, "UBUNTU_CODENAME");
  if (!g->codename && !strcmp(g->id, "ubuntu"))
    g->codename = lsb_attr(ex, "Codename");
  if (!g->codename) { /* distro.codename(): "VERSION=12 (bookworm)" or "15, Leap" */
    char *ver = kv_value(o, "VERSION");
    if (ver && !(g->codename = re_group("\\((\\D+)\\)|,\\s*(\\D+)", ver, 1)))
      g->codename = re_group("\\((\\D+)\\)|,\\s*(\\D+)", ver, 2);
    if (!g->codename)
      g->codename = lsb_attr(ex, "Codename");
    if (!g->codename && dr.codename)
      g->codename = rt_xstrdup(dr.codename);
    free(ver);
    if (g->codename && !*g->codename) { /* sys_info: distro.codename() "" is none */
      free(g->codename);
      g->codename = NULL;
    }
  } /* an empty VERSION_CODENAME stays "" (Fedora's): distribution_release "" */
  distro_release_free(&dr);
  free(osr);
}

static void put_major(RtValue *d, const char *version) {
  char *m = rt_xstrndup(version, strcspn(version, "."));
  if (!*m) {
    free(m);
    m = rt_xstrdup("NA");
  }
  set_take(d, "distribution_major_version", m);
}

/* The parse_distribution_file_NAME functions; false when the file is not it. */
static bool parse_dist_file(const char *name, const char *data, const char *path, const RtValue *got,
                            const RtExec *ex, const Guess *g, RtValue *d) {
  static const char *const search[][2] = {
      {"OracleLinux", "Oracle Linux"}, {"RedHat", "Red Hat"}, {"Altlinux", "ALT"}, {"SMGL", "Source Mage GNU/Linux"}};
  for (size_t i = 0; i < sizeof search / sizeof *search; i++)
    if (!strcmp(name, search[i][0])) {
      if (strstr(data, search[i][1])) {
        set_str(d, "distribution", name);
        set_str(d, "distribution_file_search_string", search[i][1]);
      } else {
        char *w = rt_xstrdup(data), *words[1];
        if (split_words(w, words, 1) == 1)
          set_str(d, "distribution", words[0]);
        free(w);
      }
      return true;
    }
  if (!strcmp(name, "Archlinux")) { /* OS_RELEASE_ALIAS */
    if (!strstr(data, "Arch Linux"))
      return false;
    set_str(d, "distribution", name);
    return true;
  }
  char *m = NULL;
  if (!strcmp(name, "Slackware")) {
    if (!strstr(data, "Slackware"))
      return false;
    set_str(d, "distribution", name);
    if ((m = re_group("\\w+[.]\\w+\\+?", data, 0)))
      set_take(d, "distribution_version", m);
    return true;
  }
  if (!strcmp(name, "Amazon")) {
    if (!strstr(data, "Amazon"))
      return false;
    set_str(d, "distribution", "Amazon");
    if (!strcmp(path, "/etc/os-release")) {
      if ((m = re_group("VERSION_ID=\"(.*)\"", data, 1))) {
        set_str(d, "distribution_version", m);
        char *dot = strchr(m, '.');
        set_take(d, "distribution_minor_version", rt_xstrdup(dot ? dot + 1 : "NA"));
        if (dot)
          *dot = 0;
        set_take(d, "distribution_major_version", m);
      }
    } else {
      char *w = rt_xstrdup(data), *words[64];
      int n = split_words(w, words, 64);
      const char *v = "NA";
      for (int i = 0; i < n && !strcmp(v, "NA"); i++)
        if (strspn(words[i], "0123456789") == strlen(words[i]))
          v = words[i];
      set_str(d, "distribution_version", v);
      free(w);
    }
    return true;
  }
  if (!strcmp(name, "OpenWrt")) {
    if (!strstr(data, "OpenWrt"))
      return false;
    set_str(d, "distribution", name);
    if ((m = re_group("DISTRIB_RELEASE=\"(.*)\"", data, 1)))
      set_take(d, "distribution_version", m);
    if ((m = re_group("DISTRIB_CODENAME=\"(.*)\"", data, 1)))
      set_take(d, "distribution_release", m);
    return true;
  }
  if (!strcmp(name, "Alpine")) {
    set_str(d, "distribution", "Alpine");
    set_str(d, "distribution_version", data);
    return true;
  }
  if (!strcmp(name, "SUSE")) {
    char *low = rt_xstrdup(data);
    for (char *p = low; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    bool is = strstr(low, "suse") != NULL, open = strstr(low, "open") != NULL,
         ent = strstr(low, "enterprise") != NULL;
    free(low);
    if (!is)
      return false;
    if (!strcmp(path, "/etc/os-release")) {
      int n;
      char *buf, **l = split_lines(data, &n, &buf);
      for (int i = 0; i < n; i++) {
        if ((m = re_group("^NAME=(.*)", l[i], 1)))
          set_take(d, "distribution", strip_chars(m, "\"")), free(m);
        if ((m = re_group("^VERSION_ID=\"?([0-9]+\\.?[0-9]*)\"?", l[i], 1))) {
          set_str(d, "distribution_version", m);
          put_major(d, m);
          free(m);
        }
        if ((open || (ent && strstr(l[i], "VERSION_ID"))) &&
            (m = re_group("^VERSION_ID=\"?[0-9]+\\.?([0-9]*)\"?", l[i], 1))) {
          if (!open && !*m) {
            free(m);
            m = rt_xstrdup("0");
          }
          set_take(d, "distribution_release", m);
        }
      }
      free(l);
      free(buf);
    }
    return true;
  }
  if (!strcmp(name, "Debian")) {
    if (strstr(data, "Debian") || strstr(data, "Raspbian")) {
      set_str(d, "distribution", "Debian");
      if ((m = re_group("PRETTY_NAME=[^(]+ \\(?([^)]+?)\\)", data, 1)))
        set_take(d, "distribution_release", m);
      int n;
      char *dv = file_content(ex, "/etc/debian_version"), *buf, **l = split_lines(dv, &n, &buf);
      for (int i = 0; i < n; i++)
        if ((m = re_group("(\\d+)\\.(\\d+)", l[i], 2)))
          set_take(d, "distribution_minor_version", m);
      free(l), free(buf), free(dv);
    } else if (strstr(data, "Ubuntu")) {
      set_str(d, "distribution", "Ubuntu");
    } else if (strstr(data, "SteamOS")) {
      set_str(d, "distribution", "SteamOS");
    } else if ((!strcmp(path, "/etc/lsb-release") || !strcmp(path, "/etc/os-release")) &&
               (strstr(data, "Kali") || strstr(data, "Parrot"))) {
      set_str(d, "distribution", strstr(data, "Kali") ? "Kali" : "Parrot");
      if ((m = re_group("DISTRIB_RELEASE=(.*)", data, 1)))
        set_take(d, "distribution_release", m);
    } else if (strstr(data, "Devuan")) {
      set_str(d, "distribution", "Devuan");
      if ((m = re_group("PRETTY_NAME=\"?[^(\"]+ \\(?([^) \"]+)\\)?", data, 1)))
        set_take(d, "distribution_release", m);
      if ((m = re_group("VERSION_ID=\"(.*)\"", data, 1))) {
        set_str(d, "distribution_version", m);
        set_take(d, "distribution_major_version", m);
      }
    } else if (strstr(data, "Mint") || strstr(data, "UOS") || strstr(data, "Uos") || strstr(data, "uos") ||
               strstr(data, "Deepin") || strstr(data, "deepin")) {
      bool mint = strstr(data, "Mint") != NULL;
      bool uos = !mint && (strstr(data, "UOS") || strstr(data, "Uos") || strstr(data, "uos"));
      set_str(d, "distribution", mint ? "Linux Mint" : uos ? "Uos" : "Deepin");
      if (!mint && (m = re_group("VERSION_CODENAME=\"?([^\"]+)\"?", data, 1)))
        set_take(d, "distribution_release", m);
      if ((m = re_group("VERSION_ID=\"(.*)\"", data, 1))) {
        set_str(d, "distribution_version", m);
        put_major(d, m);
        free(m);
      }
    } else {
      return false;
    }
    return true;
  }
  if (!strcmp(name, "Mandriva")) {
    if (!strstr(data, "Mandriva"))
      return false;
    set_str(d, "distribution", "Mandriva");
    if ((m = re_group("DISTRIB_RELEASE=\"(.*)\"", data, 1)))
      set_take(d, "distribution_version", m);
    if ((m = re_group("DISTRIB_CODENAME=\"(.*)\"", data, 1)))
      set_take(d, "distribution_release", m);
    return true;
  }
  if (!strcmp(name, "NA")) {
    int n;
    char *buf, **l = split_lines(data, &n, &buf);
    for (int i = 0; i < n; i++) {
      if ((m = re_group("^NAME=(.*)", l[i], 1)))
        set_take(d, "distribution", strip_chars(m, "\"")), free(m);
      if ((m = re_group("^VERSION=(.*)", l[i], 1))) {
        if (!strcmp(fact_of(got, "distribution_version"), "NA"))
          set_take(d, "distribution_version", strip_chars(m, "\""));
        free(m);
      }
    }
    free(l);
    free(buf);
    return true;
  }
  if (!strcmp(name, "CentOS")) {
    if (strstr(data, "CentOS Stream")) {
      set_str(d, "distribution_release", "Stream");
      return true;
    }
    if (strstr(data, "TencentOS Server")) {
      set_str(d, "distribution", "TencentOS");
      return true;
    }
    return false;
  }
  if (!strcmp(name, "ClearLinux")) {
    (void)0; /* "clearlinux" is never in the name "ClearLinux" lowercased: Ansible never parses it */
    return false;
  }
  if (!strcmp(name, "Coreos") || !strcmp(name, "Flatcar")) {
    if (strcmp(g->id, !strcmp(name, "Coreos") ? "coreos" : "flatcar") != 0 || !*data)
      return false;
    if (!strcmp(name, "Coreos")) {
      if ((m = re_group("^GROUP=(.*)", data, 1)))
        set_take(d, "distribution_release", strip_chars(m, "\"")), free(m);
    } else if ((m = re_group("VERSION=(.*)", data, 1))) {
      char *v = strip_chars(m, "\"");
      set_str(d, "distribution_version", v);
      put_major(d, v);
      free(v);
      free(m);
    }
    return true;
  }
  return false; /* Gentoo: Ansible has no parser for it */
}

static const char *os_family_of(const char *dist) {
  static const char *const map[][2] = {
      {"RedHat", "RedHat"}, {"RHEL", "RedHat"}, {"Fedora", "RedHat"}, {"CentOS", "RedHat"}, {"Scientific", "RedHat"},
      {"SLC", "RedHat"}, {"Ascendos", "RedHat"}, {"CloudLinux", "RedHat"}, {"PSBM", "RedHat"},
      {"OracleLinux", "RedHat"}, {"OVS", "RedHat"}, {"OEL", "RedHat"}, {"Amazon", "RedHat"},
      {"Virtuozzo", "RedHat"}, {"XenServer", "RedHat"}, {"Alibaba", "RedHat"}, {"EulerOS", "RedHat"},
      {"openEuler", "RedHat"}, {"AlmaLinux", "RedHat"}, {"Rocky", "RedHat"}, {"TencentOS", "RedHat"},
      {"EuroLinux", "RedHat"}, {"Kylin Linux Advanced Server", "RedHat"}, {"Debian", "Debian"},
      {"Ubuntu", "Debian"}, {"Raspbian", "Debian"}, {"Neon", "Debian"}, {"KDE neon", "Debian"},
      {"Linux Mint", "Debian"}, {"SteamOS", "Debian"}, {"Devuan", "Debian"}, {"Kali", "Debian"},
      {"Cumulus Linux", "Debian"}, {"Pop!_OS", "Debian"}, {"Parrot", "Debian"}, {"Pardus GNU/Linux", "Debian"},
      {"Uos", "Debian"}, {"Deepin", "Debian"}, {"OSMC", "Debian"}, {"SuSE", "Suse"}, {"SLES", "Suse"},
      {"SLED", "Suse"}, {"openSUSE", "Suse"}, {"openSUSE Tumbleweed", "Suse"}, {"SLES_SAP", "Suse"},
      {"SUSE_LINUX", "Suse"}, {"openSUSE Leap", "Suse"}, {"Archlinux", "Archlinux"}, {"Antergos", "Archlinux"},
      {"Manjaro", "Archlinux"}, {"Mandrake", "Mandrake"}, {"Mandriva", "Mandrake"}, {"Slackware", "Slackware"},
      {"Altlinux", "Altlinux"}, {"SGML", "SGML"}, {"Gentoo", "Gentoo"}, {"Funtoo", "Gentoo"},
      {"Alpine", "Alpine"}, {"Clear Linux OS", "ClearLinux"}, {"Clear Linux Mix", "ClearLinux"},
  };
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (!strcmp(map[i][0], dist))
      return map[i][1];
  return dist;
}

static void distribution_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  Guess g = {0};
  guess_distro(ex, &g);
  /* sys_info.get_distribution(): the id capitalized */
  char *dist = rt_xstrdup(g.id);
  for (char *p = dist; *p; p++)
    *p = (char)(p == dist ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
  const char *d0 = !strcmp(dist, "Amzn") ? "Amazon" : !strcmp(dist, "Rhel") ? "Redhat" : *dist ? dist : "OtherLinux";
  RtValue *d = rt_dict_new(12);
  set_str(d, "distribution", d0);
  set_str(d, "distribution_version", *g.version ? g.version : "NA");
  set_str(d, "distribution_release", g.codename ? g.codename : "NA");
  put_major(d, *g.version ? g.version : "NA");
  for (size_t i = 0; i < sizeof osdist / sizeof *osdist; i++) {
    const DistFile *df = &osdist[i];
    if (!path_exists(ex, df->path))
      continue;
    char key[256];
    snprintf(key, sizeof key, "f:%s", df->path);
    const char *raw = mod_rec(ex, key);
    if (!df->allow_empty && (!raw || !*raw))
      continue; /* empty (or unreadable: Ansible reads None and its parsers fail) */
    if (df->allow_empty) {
      set_str(d, "distribution", df->name);
      set_str(d, "distribution_file_path", df->path);
      set_str(d, "distribution_file_variety", df->name);
      break;
    }
    char *content = strip_chars(raw, NULL), *data = strip_chars(content, "'\"\\");
    RtValue *parsed = rt_dict_new(8);
    bool ok = parse_dist_file(df->name, data, df->path, d, ex, &g, parsed);
    free(content);
    free(data);
    if (ok) {
      set_str(d, "distribution", df->name);
      set_str(d, "distribution_file_path", df->path);
      set_str(d, "distribution_file_variety", df->name);
      rt_dict_set(d, "distribution_file_parsed", rt_bool(true));
      for (size_t k = 0; k < parsed->u.dict.len; k++)
        rt_dict_set(d, parsed->u.dict.ents[k].key->u.str.s, rt_incref(parsed->u.dict.ents[k].val));
      rt_decref(parsed);
      break;
    }
    rt_decref(parsed);
  }
  for (size_t k = 0; k < d->u.dict.len; k++)
    rt_dict_set(f, d->u.dict.ents[k].key->u.str.s, rt_incref(d->u.dict.ents[k].val));
  set_str(f, "os_family", os_family_of(fact_of(d, "distribution")));
  rt_decref(d);
  free(dist);
  free(g.id), free(g.like), free(g.version), free(g.codename);
}

/* ---- user, env, date_time ------------------------------------------------------------------ */

static void user_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  /* getpass.getuser(): LOGNAME, USER, LNAME, USERNAME, else the uid's name */
  rt_buf_puts(s, "__u=${LOGNAME:-${USER:-${LNAME:-${USERNAME:-}}}}; [ -n \"$__u\" ] || __u=$(id -un 2>/dev/null)\n"
                 "__playc_rec u.name \"$__u\"\n"
                 "__fc u.pw __playc_getent passwd \"$__u\" || __fc u.pw __playc_getent passwd \"$(id -u)\"\n"
                 "__fc u.ruid id -ru; __fc u.euid id -u; __fc u.rgid id -rg\n");
}

static void user_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  const char *name = mod_rec(ex, "u.name");
  set_str(f, "user_id", name ? name : "");
  const char *pw = mod_rec(ex, "u.pw");
  if (pw) { /* name:pw:uid:gid:gecos:dir:shell */
    char *line = rt_xstrdup(pw), *fld[7] = {0}, *p = line;
    line[strcspn(line, "\n")] = 0;
    for (int i = 0; i < 7 && p; i++) {
      fld[i] = p;
      p = i < 6 ? strchr(p, ':') : NULL;
      if (p)
        *p++ = 0;
    }
    rt_dict_set(f, "user_uid", rt_int(to_ll(fld[2])));
    rt_dict_set(f, "user_gid", rt_int(to_ll(fld[3])));
    set_str(f, "user_gecos", fld[4] ? fld[4] : "");
    set_str(f, "user_dir", fld[5] ? fld[5] : "");
    set_str(f, "user_shell", fld[6] ? fld[6] : "");
    free(line);
  }
  rt_dict_set(f, "real_user_id", rt_int(to_ll(mod_rec(ex, "u.ruid"))));
  rt_dict_set(f, "effective_user_id", rt_int(to_ll(mod_rec(ex, "u.euid"))));
  rt_dict_set(f, "real_group_id", rt_int(to_ll(mod_rec(ex, "u.rgid"))));
  rt_dict_set(f, "effective_group_id", rt_int(to_ll(mod_rec(ex, "u.rgid")))); /* os.getgid(), as Ansible */
}

static void env_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  /* one line per variable, backslashes and newlines escaped */
  rt_buf_puts(s, "__fc env awk 'BEGIN { for (k in ENVIRON) { v = ENVIRON[k]; gsub(/\\\\/, \"\\\\\\\\\", v);"
                 " gsub(/\\n/, \"\\\\n\", v); print k \"=\" v } }'\n");
}

static void env_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  RtValue *env = rt_dict_new(32);
  int n;
  char *buf, **l = split_lines(mod_rec(ex, "env"), &n, &buf);
  for (int i = 0; i < n; i++) {
    char *eq = strchr(l[i], '=');
    if (!eq || eq == l[i])
      continue;
    *eq = 0;
    RtBuf v = {0};
    for (const char *c = eq + 1; *c; c++) {
      if (*c == '\\' && (c[1] == 'n' || c[1] == '\\'))
        rt_buf_putc(&v, *++c == 'n' ? '\n' : '\\');
      else
        rt_buf_putc(&v, *c);
    }
    rt_dict_set(env, l[i], rt_str(v.data ? v.data : "", v.len));
    rt_buf_free(&v);
  }
  free(l);
  free(buf);
  rt_dict_set(f, "env", env);
}

static void date_time_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fc dt date '+%Y %m %A %w %W %d %H %M %S %s %Y%m%dT%H%M%S %Z %z %N'\n"
                 "__fc dt.u date -u '+%Y-%m-%dT%H:%M:%S.%N'\n"
                 "__fc dt.jan date -d \"$(date +%Y)-01-01 12:00\" '+%Z %z'\n"
                 "__fc dt.jul date -d \"$(date +%Y)-07-01 12:00\" '+%Z %z'\n");
}

static void date_time_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  const char *dt = mod_rec(ex, "dt");
  if (!dt)
    return;
  char *line = rt_xstrdup(dt), *w[16];
  int n = split_words(line, w, 16);
  if (n < 14) { /* a date without these formats: nothing trustworthy */
    free(line);
    return;
  }
  RtValue *d = rt_dict_new(24);
  static const char *const keys[] = {"year", "month", "weekday", "weekday_number", "weeknumber",
                                     "day", "hour", "minute", "second", "epoch"};
  for (int i = 0; i < 10; i++)
    set_str(d, keys[i], w[i]);
  set_str(d, "epoch_int", w[9]);
  set_take(d, "date", rt_xasprintf("%s-%s-%s", w[0], w[1], w[5]));
  set_take(d, "time", rt_xasprintf("%s:%s:%s", w[6], w[7], w[8]));
  const char *u = mod_rec(ex, "dt.u");
  if (u) { /* %N is nanoseconds: Python prints microseconds */
    char *t = rt_xstrdup(u), *dot = strrchr(t, '.');
    if (dot && strlen(dot) > 7)
      dot[7] = 0;
    set_take(d, "iso8601_micro", rt_xasprintf("%sZ", t));
    if (dot)
      *dot = 0;
    set_take(d, "iso8601", rt_xasprintf("%sZ", t));
    free(t);
  }
  set_take(d, "iso8601_basic", rt_xasprintf("%s%.6s", w[10], w[13]));
  set_str(d, "iso8601_basic_short", w[10]);
  set_str(d, "tz", w[11]);
  /* time.tzname[1]: the zone's daylight-saving name (its standard one when it has none) */
  const char *jan = mod_rec(ex, "dt.jan"), *jul = mod_rec(ex, "dt.jul");
  char *dst = NULL;
  if (jan && jul) {
    char a[64] = "", b[64] = "";
    long ao = 0, bo = 0;
    sscanf(jan, "%63s %ld", a, &ao);
    sscanf(jul, "%63s %ld", b, &bo);
    dst = rt_xstrdup(bo > ao ? b : ao > bo ? a : b);
  }
  set_take(d, "tz_dst", dst ? dst : rt_xstrdup(w[11]));
  set_str(d, "tz_offset", w[12]);
  rt_dict_set(f, "date_time", d);
  free(line);
}

/* ---- lsb, selinux, apparmor, caps ----------------------------------------------------------- */

static void lsb_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fw lsb_release && __fc lsb lsb_release -a\n__fx /etc/lsb-release; __fr /etc/lsb-release\n");
}

static void lsb_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  RtValue *l = rt_dict_new(6);
  const char *out = mod_rec(ex, "lsb");
  int n;
  char *buf, **lines;
  if (out) {
    static const char *const labels[][2] = {{"LSB Version:", "release"}, {"Distributor ID:", "id"},
                                            {"Description:", "description"}, {"Release:", "release"},
                                            {"Codename:", "codename"}};
    lines = split_lines(out, &n, &buf);
    for (int i = 0; i < n; i++) {
      char *c = strchr(lines[i], ':');
      if (!c)
        continue;
      for (size_t k = 0; k < sizeof labels / sizeof *labels; k++)
        if (strstr(lines[i], labels[k][0])) {
          set_take(l, labels[k][1], strip_chars(c + 1, NULL));
          break;
        }
    }
    free(lines), free(buf);
  }
  if (rt_len(l) == 0 && path_exists(ex, "/etc/lsb-release")) {
    static const char *const keys[][2] = {{"DISTRIB_ID", "id"}, {"DISTRIB_RELEASE", "release"},
                                          {"DISTRIB_DESCRIPTION", "description"}, {"DISTRIB_CODENAME", "codename"}};
    lines = split_lines(mod_rec(ex, "f:/etc/lsb-release"), &n, &buf);
    for (int i = 0; i < n; i++) {
      char *eq = strchr(lines[i], '=');
      if (!eq)
        continue;
      for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        if (strstr(lines[i], keys[k][0])) {
          set_take(l, keys[k][1], strip_chars(eq + 1, NULL));
          break;
        }
    }
    free(lines), free(buf);
  }
  RtValue *rel = rt_dict_get(l, "release");
  if (rel && rt_kind(rel) == RT_STR)
    set_take(l, "major_release", rt_xstrndup(rel->u.str.s, strcspn(rel->u.str.s, ".")));
  for (size_t i = 0; i < l->u.dict.len; i++) {
    RtValue *v = l->u.dict.ents[i].val;
    if (v->u.str.len) {
      char *t = strip_chars(v->u.str.s, "'\"\\");
      rt_decref(v);
      l->u.dict.ents[i].val = rt_str_take(t, strlen(t));
    }
  }
  rt_dict_set(f, "lsb", l);
}

static void selinux_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fr /sys/fs/selinux/enforce; __fr /sys/fs/selinux/policyvers; __fr /etc/selinux/config\n");
}

/* The kernel's own state (what libselinux reads); python-selinux is not needed. */
static void selinux_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  RtValue *s = rt_dict_new(6);
  rt_dict_set(f, "selinux_python_present", rt_bool(true));
  char *enforce = file_content(ex, "/sys/fs/selinux/enforce");
  if (!enforce) {
    set_str(s, "status", "disabled");
  } else {
    set_str(s, "status", "enabled");
    char *pv = file_content(ex, "/sys/fs/selinux/policyvers");
    if (pv)
      rt_dict_set(s, "policyvers", rt_int(to_ll(pv)));
    else
      set_str(s, "policyvers", "unknown");
    free(pv);
    const char *cfg = mod_rec(ex, "f:/etc/selinux/config");
    char *mode = cfg ? kv_value(cfg, "SELINUX") : NULL, *type = cfg ? kv_value(cfg, "SELINUXTYPE") : NULL;
    set_str(s, "config_mode", mode && !strcmp(mode, "enforcing")    ? "enforcing"
                              : mode && !strcmp(mode, "permissive") ? "permissive"
                              : mode && !strcmp(mode, "disabled")   ? "disabled"
                                                                    : "unknown");
    set_str(s, "mode", !strcmp(enforce, "1") ? "enforcing" : !strcmp(enforce, "0") ? "permissive" : "unknown");
    set_str(s, "type", type ? type : "unknown");
    free(mode), free(type);
  }
  free(enforce);
  rt_dict_set(f, "selinux", s);
}

static void apparmor_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fx /sys/kernel/security/apparmor\n");
}

static void apparmor_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  RtValue *a = rt_dict_new(1);
  set_str(a, "status", path_exists(ex, "/sys/kernel/security/apparmor") ? "enabled" : "disabled");
  rt_dict_set(f, "apparmor", a);
}

static void caps_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fw capsh && __fc caps capsh --print\n");
}

static void caps_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  const char *out = mod_rec(ex, "caps");
  if (!out) {
    set_str(f, "system_capabilities_enforced", "N/A");
    set_str(f, "system_capabilities", "N/A");
    return;
  }
  const char *enforced = "NA";
  RtValue *caps = rt_list_new(8);
  int n;
  char *buf, **l = split_lines(out, &n, &buf);
  for (int i = 0; i < n; i++) {
    if (strncmp(l[i], "Current:", 8) != 0)
      continue;
    char *after = rt_xstrndup(l[i] + 8, strcspn(l[i] + 8, ":"));
    char *t = strip_chars(after, NULL);
    free(after);
    if (!strcmp(t, "=ep")) {
      enforced = "False";
    } else {
      enforced = "True";
      rt_decref(caps);
      caps = rt_list_new(8);
      char *eq = strchr(l[i], '=');
      char *rest = eq ? eq + 1 : l[i] + strlen(l[i]);
      char *e2 = strchr(rest, '=');
      char *part = rt_xstrndup(rest, e2 ? (size_t)(e2 - rest) : strlen(rest)); /* split('=')[1] */
      for (char *p = part;;) {
        char *c = strchr(p, ',');
        char *item = rt_xstrndup(p, c ? (size_t)(c - p) : strlen(p));
        rt_list_push(caps, facts_strip(item));
        free(item);
        if (!c)
          break;
        p = c + 1;
      }
      free(part);
    }
    free(t);
  }
  free(l), free(buf);
  set_str(f, "system_capabilities_enforced", enforced);
  rt_dict_set(f, "system_capabilities", caps);
}

/* ---- local facts ------------------------------------------------------------------------------ */

static void local_script(RtBuf *s, const FactsReq *q) {
  mod_sh_set_path(s, "__lp", q->fact_path);
  /* every *.fact in name order: run when executable (rc, stdout, stderr), else read */
  rt_buf_puts(s, "if [ -e \"$__lp\" ]; then __playc_rec lf.dir 1; set +f\n"
                 "  for __f in \"$__lp\"/*.fact; do [ -e \"$__f\" ] || [ -L \"$__f\" ] || continue\n"
                 "    __playc_rec 'lf[]' \"$__f\"\n"
                 "    if [ ! -e \"$__f\" ]; then __playc_rec \"lf:$__f:stat\" 1\n"
                 "    elif [ -x \"$__f\" ] && [ -f \"$__f\" ]; then\n"
                 "      __e=$(mktemp) || continue; __o=$(\"$__f\" 2>\"$__e\"); __rc=$?\n"
                 "      __playc_rec \"lf:$__f:rc\" $__rc; __playc_rec \"lf:$__f:out\" \"$__o\"\n"
                 "      __playc_rec \"lf:$__f:err\" \"$(cat \"$__e\")\"; rm -f \"$__e\"\n"
                 "    else __playc_rec \"lf:$__f:out\" \"$(cat -- \"$__f\" 2>/dev/null)\"; fi\n"
                 "  done; set -f\nfi\n");
}

/* configparser: [section] then `key = value` or `key: value` (keys lowercased,
 * indented lines continue a value); NULL when the text is not INI. */
static RtValue *parse_ini(const char *text) {
  RtValue *d = rt_dict_new(4), *sect = NULL;
  char *lastkey = NULL;
  int n;
  char *buf, **l = split_lines(text, &n, &buf);
  bool ok = true;
  for (int i = 0; i < n && ok; i++) {
    char *line = l[i];
    char *t = strip_chars(line, NULL);
    if (!*t || t[0] == '#' || t[0] == ';') {
      free(t);
      continue;
    }
    if (sect && lastkey && py_space(line[0])) { /* continuation */
      RtValue *old = rt_dict_get(sect, lastkey);
      char *joined = rt_xasprintf("%s\n%s", old->u.str.s, t);
      set_take(sect, lastkey, joined);
      free(t);
      continue;
    }
    if (t[0] == '[' && strchr(t, ']')) {
      char *name = rt_xstrndup(t + 1, (size_t)(strchr(t, ']') - t - 1));
      sect = rt_dict_get(d, name);
      if (!sect) {
        rt_dict_set(d, name, rt_dict_new(4));
        sect = rt_dict_get(d, name);
      }
      free(name);
      free(lastkey);
      lastkey = NULL;
    } else if (!sect) {
      ok = false; /* MissingSectionHeaderError */
    } else {
      size_t k = strcspn(t, "=:");
      if (!t[k]) {
        ok = false;
      } else {
        char *key = rt_xstrndup(t, k), *kk = strip_chars(key, NULL);
        for (char *p = kk; *p; p++)
          *p = (char)tolower((unsigned char)*p);
        set_take(sect, kk, strip_chars(t + k + 1, NULL));
        free(lastkey);
        lastkey = kk;
        free(key);
      }
    }
    free(t);
  }
  free(lastkey);
  free(l), free(buf);
  if (!ok) {
    rt_decref(d);
    return NULL;
  }
  return d;
}

static void local_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all;
  RtValue *local = rt_dict_new(4);
  RtValue *files = ex->rec ? rt_dict_get(ex->rec, "lf") : NULL;
  for (size_t i = 0; files && i < rt_len(files); i++) {
    const char *fn = rt_list_at(files, i)->u.str.s;
    const char *base = strrchr(fn, '/') ? strrchr(fn, '/') + 1 : fn;
    char *name = rt_xstrdup(base), *dotfact = strstr(name, ".fact");
    if (dotfact) /* str.replace('.fact', '') */
      memmove(dotfact, dotfact + 5, strlen(dotfact + 5) + 1);
    char key[1024];
    snprintf(key, sizeof key, "lf:%s:stat", fn);
    if (mod_rec(ex, key)) {
      char *msg = rt_xasprintf("Could not stat fact (%s): [Errno 2] No such file or directory: '%s'", fn, fn);
      rt_out_warning(h->run, "%s", msg);
      set_take(local, name, msg);
      free(name);
      continue;
    }
    snprintf(key, sizeof key, "lf:%s:rc", fn);
    const char *rc = mod_rec(ex, key);
    if (rc && strcmp(rc, "0") != 0) {
      snprintf(key, sizeof key, "lf:%s:err", fn);
      const char *err = mod_rec(ex, key);
      char *msg = rt_xasprintf("Failure executing fact script (%s), rc: %s, err: %s", fn, rc, err ? err : "");
      rt_out_warning(h->run, "%s", msg);
      set_take(local, name, msg);
      free(name);
      continue;
    }
    snprintf(key, sizeof key, "lf:%s:out", fn);
    const char *out = mod_rec(ex, key);
    out = out ? out : "";
    char *jerr = NULL;
    RtValue *fact = rt_parse_json(out, strlen(out), &jerr);
    free(jerr);
    if (!fact)
      fact = parse_ini(out);
    if (!fact) {
      char *msg = rt_xasprintf("error loading facts as JSON or ini - please check content: %s", fn);
      rt_out_warning(h->run, "%s", msg);
      fact = rt_str_take(msg, strlen(msg));
    }
    rt_dict_set(local, name, fact);
    free(name);
  }
  rt_dict_set(f, "local", local);
}

/* ---- dns, cmdline, fips, chroot, loadavg, ssh keys, iscsi, nvme, fc -------------------------------- */

static void dns_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fr /etc/resolv.conf\n");
}

static RtValue *word_list(char **w, int from, int n) {
  RtValue *l = rt_list_new((size_t)(n > from ? n - from : 0));
  for (int i = from; i < n; i++)
    rt_list_push(l, rt_strz(w[i]));
  return l;
}

static void dns_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  RtValue *d = rt_dict_new(4);
  int n;
  char *text = file_content(ex, "/etc/resolv.conf"), *buf, **l = split_lines(text, &n, &buf);
  for (int i = 0; i < n; i++) {
    if (l[i][0] == '#' || l[i][0] == ';')
      continue;
    char *w[256];
    int nw = split_words(l[i], w, 256);
    if (nw == 0)
      continue;
    if (!strcmp(w[0], "nameserver")) {
      RtValue *ns = rt_dict_get(d, "nameservers");
      RtValue *nl = ns ? rt_list_copy(ns) : rt_list_new(4);
      for (int k = 1; k < nw; k++)
        rt_list_push(nl, rt_strz(w[k]));
      rt_dict_set(d, "nameservers", nl);
    } else if (!strcmp(w[0], "domain")) {
      if (nw > 1)
        set_str(d, "domain", w[1]);
    } else if (!strcmp(w[0], "search") || !strcmp(w[0], "sortlist")) {
      rt_dict_set(d, w[0], word_list(w, 1, nw));
    } else if (!strcmp(w[0], "options")) {
      RtValue *o = rt_dict_new(4);
      for (int k = 1; k < nw; k++) {
        char *c = strchr(w[k], ':');
        if (c) {
          *c = 0;
          set_str(o, w[k], c + 1);
        } else {
          rt_dict_set(o, w[k], rt_bool(true));
        }
      }
      rt_dict_set(d, "options", o);
    }
  }
  free(l), free(buf), free(text);
  rt_dict_set(f, "dns", d);
}

static void cmdline_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fr /proc/cmdline\n");
}

/* shlex.split(posix=False): whitespace-separated, quotes kept with their text. */
static int shlex_nonposix(char *s, char **w, int max) {
  int n = 0;
  char *p = s;
  while (*p && n < max) {
    while (py_space(*p))
      p++;
    if (!*p)
      break;
    char *start = p, q = 0;
    while (*p && (q || !py_space(*p))) {
      if (!q && (*p == '"' || *p == '\''))
        q = *p;
      else if (q && *p == q)
        q = 0;
      p++;
    }
    if (q)
      return -1; /* No closing quotation: Ansible gets nothing */
    if (*p)
      *p++ = 0;
    w[n++] = start;
  }
  return n;
}

static void cmdline_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  char *data = file_content(ex, "/proc/cmdline");
  if (!data)
    return;
  RtValue *c1 = rt_dict_new(16), *c2 = rt_dict_new(16);
  char *w[1024];
  int n = shlex_nonposix(data, w, 1024);
  for (int i = 0; i < n; i++) {
    char *eq = strchr(w[i], '=');
    if (!eq) {
      rt_dict_set(c1, w[i], rt_bool(true));
      rt_dict_set(c2, w[i], rt_bool(true));
      continue;
    }
    *eq = 0;
    set_str(c1, w[i], eq + 1);
    RtValue *old = rt_dict_get(c2, w[i]);
    if (old && rt_kind(old) == RT_LIST) {
      RtValue *l = rt_list_copy(old);
      rt_list_push(l, rt_strz(eq + 1));
      rt_dict_set(c2, w[i], l);
    } else if (old && rt_kind(old) == RT_STR) {
      RtValue *l = rt_list_new(2);
      rt_list_push(l, rt_incref(old));
      rt_list_push(l, rt_strz(eq + 1));
      rt_dict_set(c2, w[i], l);
    } else {
      set_str(c2, w[i], eq + 1);
    }
  }
  free(data);
  rt_dict_set(f, "cmdline", c1);
  rt_dict_set(f, "proc_cmdline", c2);
}

static void fips_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fr /proc/sys/crypto/fips_enabled\n");
}

static void fips_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  char *d = file_content(ex, "/proc/sys/crypto/fips_enabled");
  rt_dict_set(f, "fips", rt_bool(d && !strcmp(d, "1")));
  free(d);
}

static void chroot_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "[ -z \"${debian_chroot-}\" ] || __playc_rec ch.env 1\n"
                 "__fc ch.root stat -c '%d %i' /; __fc ch.p1 stat -c '%d %i' /proc/1/root/.\n"
                 "__fc ch.fs stat -f --format=%T /\n");
}

static void chroot_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  bool chroot;
  const char *root = mod_rec(ex, "ch.root"), *p1 = mod_rec(ex, "ch.p1");
  if (mod_rec(ex, "ch.env")) {
    chroot = true;
  } else if (root && p1) {
    chroot = strcmp(root, p1) != 0;
  } else {
    const char *fs = mod_rec(ex, "ch.fs");
    long long ino = fs && strstr(fs, "btrfs") ? 256 : fs && strstr(fs, "xfs") ? 128 : 2;
    const char *sp = root ? strchr(root, ' ') : NULL;
    chroot = !sp || to_ll(sp + 1) != ino;
  }
  rt_dict_set(f, "is_chroot", rt_bool(chroot));
}

static void loadavg_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fr /proc/loadavg\n");
}

static void loadavg_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  char *d = file_content(ex, "/proc/loadavg");
  double a = 0, b = 0, c = 0;
  if (d && sscanf(d, "%lf %lf %lf", &a, &b, &c) == 3) {
    RtValue *l = rt_dict_new(3);
    rt_dict_set(l, "1m", rt_float(a));
    rt_dict_set(l, "5m", rt_float(b));
    rt_dict_set(l, "15m", rt_float(c));
    rt_dict_set(f, "loadavg", l);
  }
  free(d);
}

static const char *const keydirs[] = {"/etc/ssh", "/etc/openssh", "/etc"};
static const char *const algos[] = {"dsa", "rsa", "ecdsa", "ed25519"};

static void ssh_pub_keys_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  for (int d = 0; d < 3; d++)
    for (int a = 0; a < 4; a++)
      rt_buf_printf(s, "__fr %s/ssh_host_%s_key.pub\n", keydirs[d], algos[a]);
}

static void ssh_pub_keys_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  for (int d = 0; d < 3; d++)
    for (int a = 0; a < 4; a++) {
      char fact[64], path[128];
      snprintf(fact, sizeof fact, "ssh_host_key_%s_public", algos[a]);
      if (rt_dict_get(f, fact))
        return;
      snprintf(path, sizeof path, "%s/ssh_host_%s_key.pub", keydirs[d], algos[a]);
      char *data = file_content(ex, path), *w[2];
      if (data && split_words(data, w, 2) == 2) {
        set_str(f, fact, w[1]);
        strncat(fact, "_keytype", sizeof fact - strlen(fact) - 1);
        set_str(f, fact, w[0]);
      }
      free(data);
    }
}

static void iscsi_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fr /etc/iscsi/initiatorname.iscsi\n");
}

static void iscsi_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  char *iqn = rt_xstrdup("");
  int n;
  char *text = file_content(ex, "/etc/iscsi/initiatorname.iscsi"), *buf, **l = split_lines(text, &n, &buf);
  for (int i = 0; i < n; i++) {
    if (strncmp(l[i], "InitiatorName=", 14) != 0)
      continue;
    free(iqn);
    iqn = rt_xstrdup(l[i] + 14); /* line.split('=', 1)[1] */
    break;
  }
  free(l), free(buf), free(text);
  set_take(f, "iscsi_iqn", iqn);
}

static void nvme_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fr /etc/nvme/hostnqn\n");
}

static void nvme_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  char *nqn = rt_xstrdup("");
  int n;
  char *text = file_content(ex, "/etc/nvme/hostnqn"), *buf, **l = split_lines(text, &n, &buf);
  for (int i = 0; i < n; i++)
    if (!strncmp(l[i], "nqn.", 4)) {
      free(nqn);
      nqn = strip_chars(l[i], NULL);
      break;
    }
  free(l), free(buf), free(text);
  set_take(f, "hostnqn", nqn);
}

static void fc_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "set +f; for __f in /sys/class/fc_host/*/port_name; do [ -r \"$__f\" ] &&"
                 " __playc_rec 'fc[]' \"$(cat -- \"$__f\")\"; done; set -f\n");
}

static void fc_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  RtValue *l = rt_list_new(2), *recs = ex->rec ? rt_dict_get(ex->rec, "fc") : NULL;
  for (size_t i = 0; recs && i < rt_len(recs); i++) {
    int n;
    char *buf, **lines = split_lines(rt_list_at(recs, i)->u.str.s, &n, &buf);
    for (int k = 0; k < n; k++) {
      size_t len = strlen(lines[k]);
      while (len && py_space(lines[k][len - 1]))
        lines[k][--len] = 0;
      rt_list_push(l, rt_strz(len >= 2 ? lines[k] + 2 : ""));
    }
    free(lines), free(buf);
  }
  rt_dict_set(f, "fibre_channel_wwn", l);
}

/* ---- pkg_mgr, service_mgr ------------------------------------------------------------------------ */

/* Ansible's PKG_MGRS (the pkg_mgr fact), in its order: the last that exists wins. */
const char *const mod_pkg_mgrs[][2] = {
    {"/usr/bin/rpm-ostree", "atomic_container"}, {"/usr/bin/yum", "yum"}, {"/usr/bin/dnf", "dnf"},
    {"/usr/bin/apt-get", "apt"}, {"/usr/bin/zypper", "zypper"}, {"/usr/sbin/urpmi", "urpmi"},
    {"/usr/bin/pacman", "pacman"}, {"/bin/opkg", "opkg"}, {"/usr/pkg/bin/pkgin", "pkgin"},
    {"/opt/local/bin/pkgin", "pkgin"}, {"/opt/tools/bin/pkgin", "pkgin"}, {"/opt/local/bin/port", "macports"},
    {"/usr/local/bin/brew", "homebrew"}, {"/opt/homebrew/bin/brew", "homebrew"}, {"/sbin/apk", "apk"},
    {"/usr/sbin/pkg", "pkgng"}, {"/usr/sbin/swlist", "swdepot"}, {"/usr/bin/emerge", "portage"},
    {"/usr/sbin/pkgadd", "svr4pkg"}, {"/usr/bin/pkg", "pkg5"}, {"/usr/bin/xbps-install", "xbps"},
    {"/usr/local/sbin/pkg", "pkgng"}, {"/usr/bin/swupd", "swupd"}, {"/usr/sbin/sorcery", "sorcery"},
    {"/usr/bin/installp", "installp"}, {"/QOpenSys/pkgs/bin/yum", "yum"},
};
const size_t mod_npkg_mgrs = sizeof mod_pkg_mgrs / sizeof *mod_pkg_mgrs;

static void pkg_mgr_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  for (size_t i = 0; i < mod_npkg_mgrs; i++)
    rt_buf_printf(s, "__fx %s\n", mod_pkg_mgrs[i][0]);
  rt_buf_puts(s, "__fx /run/ostree-booted\n"
                 "[ ! -e /usr/bin/rpm ] || { /usr/bin/rpm -q --whatprovides /usr/bin/apt-get >/dev/null 2>&1"
                 " && __playc_rec pm.aptrpm 1; }\n");
}

static bool pm_exists(const RtExec *ex, const char *name) {
  for (size_t i = 0; i < mod_npkg_mgrs; i++)
    if (!strcmp(mod_pkg_mgrs[i][1], name) && path_exists(ex, mod_pkg_mgrs[i][0]))
      return true;
  return false;
}

static void pkg_mgr_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)h;
  const char *family = fact_of(all, "ansible_os_family"), *name = "unknown";
  for (size_t i = 0; i < mod_npkg_mgrs; i++) {
    if (!strcmp(family, "Altlinux") && !strcmp(mod_pkg_mgrs[i][0], "/usr/bin/pkg"))
      continue;
    if (path_exists(ex, mod_pkg_mgrs[i][0]))
      name = mod_pkg_mgrs[i][1];
  }
  if (!strcmp(family, "RedHat")) { /* _check_rh_versions */
    const char *dist = fact_of(all, "ansible_distribution");
    long major = atol(fact_of(all, "ansible_distribution_major_version"));
    if (path_exists(ex, "/run/ostree-booted")) {
      name = "atomic_container";
    } else if (!strcmp(dist, "Fedora")) {
      if (major < 23)
        name = pm_exists(ex, "yum") ? "yum" : name;
      else
        name = pm_exists(ex, "dnf") ? "dnf" : name;
    } else if (!strcmp(dist, "Amazon")) {
      name = major < 2022 ? (pm_exists(ex, "yum") ? "yum" : name) : (pm_exists(ex, "dnf") ? "dnf" : name);
    } else {
      name = major < 8 ? (pm_exists(ex, "yum") ? "yum" : name) : (pm_exists(ex, "dnf") ? "dnf" : name);
    }
  } else if (!strcmp(family, "Debian") && strcmp(name, "apt") != 0) {
    name = "apt";
  } else if (!strcmp(family, "Altlinux") && !strcmp(name, "apt")) {
    name = "apt_rpm";
  }
  if (!strcmp(name, "apt") && mod_rec(ex, "pm.aptrpm"))
    name = "apt_rpm";
  set_str(f, "pkg_mgr", name);
}

static void service_mgr_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fr /proc/1/comm\n"
                 "[ -r /proc/1/comm ] || __fc sm.ps sh -c 'ps -p 1 -o comm|tail -n 1'\n"
                 "[ ! -L /sbin/init ] || __fc sm.init readlink /sbin/init\n"
                 "__fw systemctl && __playc_rec sm.systemctl 1\n"
                 "__fw initctl && __playc_rec sm.initctl 1\n"
                 "__fx /run/systemd/system/; __fx /dev/.run/systemd/; __fx /dev/.systemd/\n"
                 "__fx /etc/init/; __fx /sbin/openrc; __fx /etc/init.d/\n");
}

static void service_mgr_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)h;
  char *p1 = NULL;
  const char *comm = mod_rec(ex, "f:/proc/1/comm");
  if (comm) {
    p1 = strip_chars(comm, NULL);
    if (!*p1) { /* get_file_content gives None for empty */
      free(p1);
      p1 = NULL;
    }
  } else if (mod_rec(ex, "sm.ps")) {
    const char *ps = mod_rec(ex, "sm.ps");
    char *t = strip_chars(ps, NULL);
    if (*t && !re_has("^ *[0-9]+ ", ps) && strcmp(ps, "COMMAND") != 0)
      p1 = rt_xstrdup(ps);
    free(t);
  }
  if (!p1 && mod_rec(ex, "sm.init"))
    p1 = rt_xstrdup(mod_rec(ex, "sm.init"));
  if (p1) { /* basename, stripped */
    char *b = strrchr(p1, '/'), *t = strip_chars(b ? b + 1 : p1, NULL);
    free(p1);
    p1 = t;
    size_t n = strlen(p1);
    if (!strcmp(p1, "init") || (n >= 2 && !strcmp(p1 + n - 2, "sh"))) {
      free(p1);
      p1 = NULL;
    }
  }
  static const char *const map[][2] = {
      {"procd", "openwrt_init"}, {"runit-init", "runit"}, {"svscan", "svc"}, {"openrc-init", "openrc"}};
  const char *name = NULL;
  if (p1) {
    name = p1;
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
      if (!strcmp(p1, map[i][0]))
        name = map[i][1];
  } else if (!strcmp(fact_of(all, "ansible_distribution"), "OpenWrt")) {
    name = "openwrt_init";
  } else if (!strcmp(fact_of(all, "ansible_system"), "Linux")) {
    bool systemctl = mod_rec(ex, "sm.systemctl") != NULL;
    if (systemctl && (path_exists(ex, "/run/systemd/system/") || path_exists(ex, "/dev/.run/systemd/") ||
                      path_exists(ex, "/dev/.systemd/")))
      name = "systemd";
    else if (mod_rec(ex, "sm.initctl") && path_exists(ex, "/etc/init/"))
      name = "upstart";
    else if (path_exists(ex, "/sbin/openrc"))
      name = "openrc";
    else if (systemctl && mod_rec(ex, "sm.init") && re_has("(^|/)systemd$", mod_rec(ex, "sm.init")))
      name = "systemd";
    else if (path_exists(ex, "/etc/init.d/"))
      name = "sysvinit";
  }
  set_str(f, "service_mgr", name ? name : "service");
  free(p1);
}

/* ---- virtual ------------------------------------------------------------------------------------- */

#define DMI "/sys/devices/virtual/dmi/id/"

static void virtual_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(s, "__fr /proc/1/cgroup\n"
                 "[ ! -r /proc/1/environ ] || __fc v.env tr '\\000' '\\n' < /proc/1/environ\n"
                 "__fx /proc/1/environ; __fx /proc/vz; __fx /proc/lve; __fx /proc/bc; __fr /run/systemd/container\n"
                 "__fx /.dockerenv; __fx /.dockerinit; __fx /proc/xen; __fr /proc/xen/capabilities\n"
                 "__fr " DMI "product_name; __fr " DMI "sys_vendor; __fr " DMI "product_family; __fr " DMI "bios_vendor\n"
                 "__fc v.vx grep '^VxID:' /proc/self/status\n"
                 "__fr /proc/cpuinfo; __fx /proc/cpuinfo; [ ! -r /proc/modules ] || __fc v.mod cut -d ' ' -f 1 /proc/modules\n"
                 "__fx /rhev/\n"
                 "[ ! -d /rhev/ ] || { set +f; for __c in /proc/[0-9]*/comm; do __x=$(cat \"$__c\" 2>/dev/null) &&"
                 " case $__x in vdsm|vdsmd) __playc_rec v.vdsm 1; break;; esac; done; set -f; }\n"
                 "__fw dmidecode && __fc v.dmi dmidecode -s system-product-name\n"
                 "__fw lscpu && __fc v.lscpu lscpu\n"
                 "__fx /dev/kvm\n");
}

typedef struct Virt {
  RtValue *f;
  RtValue *guest, *host; /* sets: sorted lists of unique names */
  bool found;
} Virt;

static void tech_add(RtValue **set, const char *t) {
  for (size_t i = 0; i < rt_len(*set); i++)
    if (!strcmp(rt_list_at(*set, i)->u.str.s, t))
      return;
  RtValue *n = rt_list_new(rt_len(*set) + 1);
  size_t i = 0;
  for (; i < rt_len(*set) && strcmp(rt_list_at(*set, i)->u.str.s, t) < 0; i++)
    rt_list_push(n, rt_incref(rt_list_at(*set, i)));
  rt_list_push(n, rt_strz(t));
  for (; i < rt_len(*set); i++)
    rt_list_push(n, rt_incref(rt_list_at(*set, i)));
  rt_decref(*set);
  *set = n;
}

/* A guest technology; the type (and role, when given) if none was found yet. */
static void guest(Virt *v, const char *tech, const char *type, const char *role) {
  tech_add(&v->guest, tech);
  if (!v->found) {
    set_str(v->f, "virtualization_type", type);
    if (role)
      set_str(v->f, "virtualization_role", role);
    v->found = true;
  }
}

static void virtual_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  Virt v = {f, rt_list_new(2), rt_list_new(2), false};
  int n;
  char *buf, **l;
  l = split_lines(mod_rec(ex, "f:/proc/1/cgroup"), &n, &buf);
  for (int i = 0; i < n; i++) {
    if (re_has("/docker(/|-[0-9a-f]+\\.scope)", l[i]))
      guest(&v, "docker", "docker", "guest");
    if (re_has("/lxc/", l[i]) || re_has("/machine.slice/machine-lxc", l[i]))
      guest(&v, "lxc", "lxc", "guest");
    if (re_has("/system.slice/containerd.service", l[i]))
      guest(&v, "containerd", "containerd", "guest");
  }
  free(l), free(buf);
  l = split_lines(mod_rec(ex, "v.env"), &n, &buf);
  for (int i = 0; i < n; i++) {
    if (strstr(l[i], "container=lxc"))
      guest(&v, "lxc", "lxc", "guest");
    if (strstr(l[i], "container=podman"))
      guest(&v, "podman", "podman", "guest");
    if (re_has("^container=.", l[i]))
      guest(&v, "container", "container", "guest");
  }
  free(l), free(buf);
  if (path_exists(ex, "/proc/vz") && !path_exists(ex, "/proc/lve")) {
    set_str(f, "virtualization_type", "openvz");
    bool host = path_exists(ex, "/proc/bc");
    tech_add(host ? &v.host : &v.guest, "openvz");
    if (!v.found)
      set_str(f, "virtualization_role", host ? "host" : "guest");
    v.found = true;
  }
  char *sc = file_content(ex, "/run/systemd/container");
  if (sc)
    guest(&v, sc, sc, "guest");
  if (path_exists(ex, "/.dockerenv") || path_exists(ex, "/.dockerinit"))
    guest(&v, "docker", "docker", "guest");
  static const char *const ctech[] = {"docker", "lxc", "podman", "openvz", "containerd"};
  bool container = sc != NULL;
  for (size_t i = 0; i < rt_len(v.guest); i++)
    for (size_t k = 0; k < 5; k++)
      container |= !strcmp(rt_list_at(v.guest, i)->u.str.s, ctech[k]);
  if (container)
    tech_add(&v.guest, "container");
  free(sc);
  if (path_exists(ex, "/proc/xen")) {
    const char *caps = mod_rec(ex, "f:/proc/xen/capabilities");
    bool xhost = caps && strstr(caps, "control_d");
    tech_add(xhost ? &v.host : &v.guest, "xen");
    if (!v.found) {
      set_str(f, "virtualization_type", "xen");
      set_str(f, "virtualization_role", xhost ? "host" : "guest");
    }
    v.found = true;
  }
  if (!v.found)
    set_str(f, "virtualization_role", "guest");
  char *pn = file_content(ex, DMI "product_name"), *sv = file_content(ex, DMI "sys_vendor");
  char *pf = file_content(ex, DMI "product_family"), *bv = file_content(ex, DMI "bios_vendor");
  const char *p = pn ? pn : "\x01", *s = sv ? sv : "\x01", *b = bv ? bv : "\x01";
  if (!strcmp(p, "KVM") || !strcmp(p, "KVM Server") || !strcmp(p, "Bochs") || !strcmp(p, "AHV"))
    guest(&v, "kvm", "kvm", NULL);
  if (!strcmp(s, "oVirt"))
    guest(&v, "oVirt", "oVirt", NULL);
  if (!strcmp(s, "Red Hat")) {
    if (pf && !strcmp(pf, "RHV"))
      guest(&v, "RHV", "RHV", NULL);
    else if (!strcmp(p, "RHEV Hypervisor"))
      guest(&v, "RHEV", "RHEV", NULL);
  }
  if (!strcmp(p, "VMware Virtual Platform") || !strcmp(p, "VMware7,1"))
    guest(&v, "VMware", "VMware", NULL);
  if (!strcmp(p, "OpenStack Compute") || !strcmp(p, "OpenStack Nova"))
    guest(&v, "openstack", "openstack", NULL);
  if (!strcmp(b, "Xen"))
    guest(&v, "xen", "xen", NULL);
  if (!strcmp(b, "innotek GmbH"))
    guest(&v, "virtualbox", "virtualbox", NULL);
  if (!strcmp(b, "Amazon EC2") || !strcmp(b, "DigitalOcean") || !strcmp(b, "Hetzner"))
    guest(&v, "kvm", "kvm", NULL);
  static const char *const kvm_vendors[] = {"QEMU", "Amazon EC2", "DigitalOcean", "Google", "Scaleway", "Nutanix"};
  for (size_t i = 0; i < 6; i++)
    if (!strcmp(s, kvm_vendors[i]))
      guest(&v, "kvm", "kvm", NULL);
  static const char *const vendors[][2] = {{"KubeVirt", "KubeVirt"}, {"Microsoft Corporation", "VirtualPC"},
                                           {"Parallels Software International Inc.", "parallels"},
                                           {"OpenStack Foundation", "openstack"}};
  for (size_t i = 0; i < 4; i++)
    if (!strcmp(s, vendors[i][0]))
      guest(&v, vendors[i][1], vendors[i][1], NULL);
  free(pn), free(sv), free(pf), free(bv);
  if (!v.found)
    rt_dict_del(f, "virtualization_role");
  const char *vx = mod_rec(ex, "v.vx");
  if (vx && re_has("^VxID:\\s+\\d+", vx)) {
    bool host = re_has("^VxID:\\s+0", vx);
    tech_add(host ? &v.host : &v.guest, "linux_vserver");
    if (!v.found) {
      set_str(f, "virtualization_type", "linux_vserver");
      set_str(f, "virtualization_role", host ? "host" : "guest");
    }
    v.found = true;
  }
  l = split_lines(mod_rec(ex, "f:/proc/cpuinfo"), &n, &buf);
  for (int i = 0; i < n; i++) {
    const char *type = NULL;
    if (re_has("^model name.*QEMU Virtual CPU", l[i]))
      type = "kvm";
    else if (re_has("^vendor_id.*User Mode Linux", l[i]) || re_has("^model name.*UML", l[i]))
      type = "uml";
    else if (re_has("^machine.*CHRP IBM pSeries .emulated by qemu.", l[i]))
      type = "kvm";
    else if (re_has("^vendor_id.*PowerVM Lx86", l[i]))
      type = "powervm_lx86";
    else if (re_has("^vendor_id.*IBM/S390", l[i]))
      type = "PR/SM";
    if (!type)
      continue;
    tech_add(&v.guest, type);
    if (!v.found)
      set_str(f, "virtualization_type", type);
    if (!strcmp(type, "PR/SM")) {
      char *hyp = NULL;
      const char *lscpu = mod_rec(ex, "v.lscpu");
      if (lscpu)
        hyp = re_group("(?m)^Hypervisor:\\s*(.*?)\\s*$", lscpu, 1);
      const char *tech = hyp ? hyp : lscpu ? NULL : "ibm_systemz";
      if (tech) {
        tech_add(&v.guest, tech);
        if (!v.found)
          set_str(f, "virtualization_type", tech);
      }
      free(hyp);
    }
    if (!v.found)
      set_str(f, "virtualization_role", !strcmp(fact_of(f, "virtualization_type"), "PR/SM") ? "LPAR" : "guest");
    v.found = true;
  }
  free(l), free(buf);
  const char *mods = mod_rec(ex, "v.mod");
  if (mods) {
    bool kvm = re_has("(?m)^kvm$", mods), vbox = re_has("(?m)^vboxdrv$", mods), virtio = re_has("(?m)^virtio$", mods);
    if (kvm) {
      tech_add(&v.host, "kvm");
      if (!v.found) {
        set_str(f, "virtualization_type", "kvm");
        set_str(f, "virtualization_role", "host");
      }
      if (path_exists(ex, "/rhev/") && mod_rec(ex, "v.vdsm")) {
        tech_add(&v.host, "RHEV");
        if (!v.found)
          set_str(f, "virtualization_type", "RHEV");
      }
      v.found = true;
    }
    if (vbox) {
      tech_add(&v.host, "virtualbox");
      if (!v.found) {
        set_str(f, "virtualization_type", "virtualbox");
        set_str(f, "virtualization_role", "host");
        v.found = true;
      }
    }
    if (virtio) {
      tech_add(&v.host, "kvm");
      if (!v.found) {
        set_str(f, "virtualization_type", "kvm");
        set_str(f, "virtualization_role", "guest");
        v.found = true;
      }
    }
  }
  const char *dmi = mod_rec(ex, "v.dmi");
  if (dmi) {
    if (re_has("^(?:#.*\\n)*\\s*VMware", dmi))
      guest(&v, "VMware", "VMware", "guest");
    if (strstr(dmi, "BHYVE"))
      guest(&v, "bhyve", "bhyve", "guest");
  }
  if (path_exists(ex, "/dev/kvm")) {
    tech_add(&v.host, "kvm");
    if (!v.found) {
      set_str(f, "virtualization_type", "kvm");
      set_str(f, "virtualization_role", "host");
      v.found = true;
    }
  }
  if (!v.found) {
    set_str(f, "virtualization_type", "NA");
    set_str(f, "virtualization_role", "NA");
  }
  rt_dict_set(f, "virtualization_tech_guest", v.guest);
  rt_dict_set(f, "virtualization_tech_host", v.host);
}

/* ---- hardware ------------------------------------------------------------------------------------ */

static const char *const dmi_keys[][3] = {
    {"bios_date", "bios_date", "bios-release-date"}, {"bios_vendor", "bios_vendor", "bios-vendor"},
    {"bios_version", "bios_version", "bios-version"}, {"board_asset_tag", "board_asset_tag", "baseboard-asset-tag"},
    {"board_name", "board_name", "baseboard-product-name"}, {"board_serial", "board_serial", "baseboard-serial-number"},
    {"board_vendor", "board_vendor", "baseboard-manufacturer"}, {"board_version", "board_version", "baseboard-version"},
    {"chassis_asset_tag", "chassis_asset_tag", "chassis-asset-tag"},
    {"chassis_serial", "chassis_serial", "chassis-serial-number"},
    {"chassis_vendor", "chassis_vendor", "chassis-manufacturer"},
    {"chassis_version", "chassis_version", "chassis-version"}, {"form_factor", "chassis_type", "chassis-type"},
    {"product_name", "product_name", "system-product-name"},
    {"product_serial", "product_serial", "system-serial-number"}, {"product_uuid", "product_uuid", "system-uuid"},
    {"product_version", "product_version", "system-version"}, {"system_vendor", "sys_vendor", "system-manufacturer"},
};

static void hardware_script(RtBuf *s, const FactsReq *q) {
  rt_buf_puts(s, "__fr /proc/meminfo; __fr /proc/cpuinfo; __fx /proc/xen; __fr /sys/hypervisor/type\n"
                 "__fc hw.nproc nproc\n__fr /proc/uptime\n__fx " DMI "product_name\n");
  rt_buf_puts(s, "if [ -e " DMI "product_name ]; then\n");
  for (size_t i = 0; i < sizeof dmi_keys / sizeof *dmi_keys; i++)
    rt_buf_printf(s, "  __fr " DMI "%s\n", dmi_keys[i][1]);
  rt_buf_puts(s, "elif __fw dmidecode; then\n");
  for (size_t i = 0; i < sizeof dmi_keys / sizeof *dmi_keys; i++)
    rt_buf_printf(s, "  __playc_rec hw.dmi 1; __fc hw.dmi.%s dmidecode -s %s\n", dmi_keys[i][0], dmi_keys[i][2]);
  rt_buf_puts(s, "fi\n"
                 "if [ \"$(id -u)\" = 0 ] && __fw vgs; then __playc_rec hw.lvm 1\n"
                 "  __fc hw.vgs vgs --noheadings --nosuffix --units g --separator ,\n"
                 "  __fc hw.lvs lvs --noheadings --nosuffix --units g --separator ,\n"
                 "  __fc hw.pvs pvs --noheadings --nosuffix --units g --separator ,\nfi\n"
                 "__fw findmnt && __fc hw.findmnt findmnt --list --noheadings --notruncate\n"
                 "__fw lsblk && __fc hw.lsblk lsblk --list --noheadings --paths --output NAME,UUID --exclude 2\n"
                 "if [ -e /etc/mtab ]; then __mt=/etc/mtab; else __mt=/proc/mounts; fi\n"
                 "__fc hw.mtab cat \"$__mt\"\n");
  /* statvfs of each mount Ansible keeps, each bounded by gather_timeout */
  rt_buf_printf(s,
                "__to=; __fw timeout && __to='timeout %ld'\n"
                "awk '{ if (NF < 4) next; d = $1; if (!(d ~ /^[\\/\\\\]/ || d ~ /:\\//) || $3 == \"none\") next;"
                " m = $2; o = \"\"; while (match(m, /\\\\[0-7][0-7][0-7]/)) { o = o substr(m, 1, RSTART - 1)"
                " sprintf(\"%%c\", (substr(m, RSTART + 1, 1) * 64 + substr(m, RSTART + 2, 1) * 8 +"
                " substr(m, RSTART + 3, 1))); m = substr(m, RSTART + 4) } print o m }' \"$__mt\" |\n"
                "while IFS= read -r __m; do\n"
                "  if __x=$($__to stat -f -c '%%S %%s %%b %%a %%c %%d' -- \"$__m\" 2>/dev/null); then"
                " __playc_rec \"hw.sv:$__m\" \"$__x\"; elif [ $? = 124 ]; then __playc_rec \"hw.to:$__m\" 1; fi\n"
                "done\n",
                q->timeout > 0 ? q->timeout : 10);
  rt_buf_puts(s, "__fw udevadm && __playc_rec hw.udevadm 1\n");
}

static void memory_facts(RtValue *f, const RtExec *ex) {
  const char *mi = mod_rec(ex, "f:/proc/meminfo");
  if (!mi)
    return;
  static const char *const keys[] = {"MemTotal", "SwapTotal", "MemFree", "SwapFree", "Buffers", "Cached", "SwapCached"};
  long long val[7];
  bool have[7] = {0};
  int n;
  char *buf, **l = split_lines(mi, &n, &buf);
  for (int i = 0; i < n; i++) {
    char *c = strchr(l[i], ':');
    if (!c)
      continue;
    *c = 0;
    for (int k = 0; k < 7; k++)
      if (!strcmp(l[i], keys[k])) {
        val[k] = to_ll(c + 1) / 1024;
        have[k] = true;
        if (k < 4) {
          char name[32];
          snprintf(name, sizeof name, "%s_mb", keys[k]);
          for (char *p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
          rt_dict_set(f, name, rt_int(val[k]));
        }
      }
  }
  free(l), free(buf);
#define MV(k) (have[k] ? rt_int(val[k]) : rt_none())
  enum { TOT, STOT, FREE, SFREE, BUF, CACHE, SCACHE };
  RtValue *real = rt_dict_new(3), *noc = rt_dict_new(2), *swap = rt_dict_new(4), *mem = rt_dict_new(3);
  rt_dict_set(real, "total", MV(TOT));
  rt_dict_set(real, "used", have[TOT] && have[FREE] ? rt_int(val[TOT] - val[FREE]) : rt_none());
  rt_dict_set(real, "free", MV(FREE));
  bool nf = have[CACHE] && have[FREE] && have[BUF];
  long long ncfree = nf ? val[CACHE] + val[FREE] + val[BUF] : 0;
  rt_dict_set(noc, "free", nf ? rt_int(ncfree) : rt_none());
  rt_dict_set(noc, "used", nf && have[TOT] ? rt_int(val[TOT] - ncfree) : rt_none());
  rt_dict_set(swap, "total", MV(STOT));
  rt_dict_set(swap, "free", MV(SFREE));
  rt_dict_set(swap, "used", have[STOT] && have[SFREE] ? rt_int(val[STOT] - val[SFREE]) : rt_none());
  rt_dict_set(swap, "cached", MV(SCACHE));
#undef MV
  rt_dict_set(mem, "real", real);
  rt_dict_set(mem, "nocache", noc);
  rt_dict_set(mem, "swap", swap);
  rt_dict_set(f, "memory_mb", mem);
}

/* A small map of str keys to ints, in first-seen order (Python dicts). */
typedef struct Counts {
  char *keys[512];
  long long vals[512];
  int n;
} Counts;

static int counts_find(Counts *c, const char *k) {
  for (int i = 0; i < c->n; i++)
    if (!strcmp(c->keys[i], k))
      return i;
  return -1;
}

static void counts_set(Counts *c, const char *k, long long v) {
  int i = counts_find(c, k);
  if (i < 0 && c->n < 512) {
    i = c->n++;
    c->keys[i] = rt_xstrdup(k);
  }
  if (i >= 0)
    c->vals[i] = v;
}

static void counts_free(Counts *c) {
  for (int i = 0; i < c->n; i++)
    free(c->keys[i]);
}

static void cpu_facts(RtValue *f, const RtExec *ex, const RtValue *all) {
  bool xen = path_exists(ex, "/proc/xen"), paravirt = false;
  char *hv = file_content(ex, "/sys/hypervisor/type");
  if (!xen && hv) {
    char *nl = strchr(hv, '\n');
    if (nl)
      *nl = 0;
    char *t = strip_chars(hv, NULL);
    xen = !strcmp(t, "xen");
    free(t);
  }
  free(hv);
  const char *ci = mod_rec(ex, "f:/proc/cpuinfo");
  if (!ci)
    return;
  RtValue *proc = rt_list_new(16);
  long long i = 0, vendor = 0, model = 0, procs = 0;
  Counts *sockets = rt_xcalloc(1, sizeof *sockets), *cores = rt_xcalloc(1, sizeof *cores);
  char *physid = rt_xstrdup("0"), *coreid = rt_xstrdup("0");
  bool have_cores = false;
  long long ncores = 0;
  int n;
  char *buf, **l = split_lines(ci, &n, &buf);
  for (int k = 0; k < n; k++) {
    char *c = strchr(l[k], ':');
    char *key = c ? rt_xstrndup(l[k], (size_t)(c - l[k])) : rt_xstrdup(l[k]);
    char *kk = strip_chars(key, NULL), *val = strip_chars(c ? c + 1 : "", NULL);
    free(key);
    if (xen && !strcmp(kk, "flags") && !strstr(val, "vme"))
      paravirt = true;
    if (!strcmp(kk, "model name") || !strcmp(kk, "Processor") || !strcmp(kk, "vendor_id") || !strcmp(kk, "cpu") ||
        !strcmp(kk, "Vendor") || !strcmp(kk, "processor")) {
      rt_list_push(proc, rt_strz(val));
      vendor += !strcmp(kk, "vendor_id");
      model += !strcmp(kk, "model name");
      procs += !strcmp(kk, "processor");
      i++;
    } else if (!strcmp(kk, "physical id")) {
      free(physid);
      physid = rt_xstrdup(val);
      if (counts_find(sockets, physid) < 0)
        counts_set(sockets, physid, 1);
    } else if (!strcmp(kk, "core id")) {
      free(coreid);
      coreid = rt_xstrdup(val);
      if (counts_find(sockets, coreid) < 0) /* sic: Ansible tests sockets here */
        counts_set(cores, coreid, 1);
    } else if (!strcmp(kk, "cpu cores")) {
      counts_set(sockets, physid, to_ll(val));
    } else if (!strcmp(kk, "siblings")) {
      counts_set(cores, coreid, to_ll(val));
    } else if (!strcmp(kk, "# processors")) {
      have_cores = true;
      ncores = to_ll(val);
    } else if (!strcmp(kk, "ncpus active")) {
      i = to_ll(val);
    }
    free(kk);
    free(val);
  }
  free(l), free(buf), free(physid), free(coreid);
  rt_dict_set(f, "processor", proc);
  if (have_cores)
    rt_dict_set(f, "processor_cores", rt_int(ncores));
  if (vendor > 0 && vendor == model)
    i = vendor;
  const char *arch = fact_of(all, "ansible_architecture");
  if (!strncmp(arch, "armv", 4) || !strncmp(arch, "aarch", 5) || !strncmp(arch, "ppc", 3))
    i = procs;
  if (strcmp(arch, "s390x") != 0) {
    if (paravirt) {
      rt_dict_set(f, "processor_count", rt_int(i));
      rt_dict_set(f, "processor_cores", rt_int(i));
      rt_dict_set(f, "processor_threads_per_core", rt_int(1));
      rt_dict_set(f, "processor_vcpus", rt_int(i));
    } else {
      long long count = sockets->n ? sockets->n : i;
      long long pc = sockets->n && sockets->vals[0] ? sockets->vals[0] : 1;
      long long tpc = cores->n ? cores->vals[0] / pc : 1 / pc;
      rt_dict_set(f, "processor_count", rt_int(count));
      rt_dict_set(f, "processor_cores", rt_int(pc));
      rt_dict_set(f, "processor_threads_per_core", rt_int(tpc));
      rt_dict_set(f, "processor_vcpus", rt_int(tpc * count * pc));
      const char *np = mod_rec(ex, "hw.nproc"); /* len(os.sched_getaffinity(0)) */
      rt_dict_set(f, "processor_nproc", rt_int(np ? to_ll(np) : procs));
    }
  }
  counts_free(sockets), counts_free(cores);
  free(sockets), free(cores);
}

static void dmi_facts(RtValue *f, const RtExec *ex) {
  static const char *const form[] = {
      "Unknown", "Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box", "Mini Tower", "Tower",
      "Portable", "Laptop", "Notebook", "Hand Held", "Docking Station", "All In One", "Sub Notebook",
      "Space-saving", "Lunch Box", "Main Server Chassis", "Expansion Chassis", "Sub Chassis",
      "Bus Expansion Chassis", "Peripheral Chassis", "RAID Chassis", "Rack Mount Chassis", "Sealed-case PC",
      "Multi-system", "CompactPCI", "AdvancedTCA", "Blade", "Blade Enclosure", "Tablet", "Convertible",
      "Detachable", "IoT Gateway", "Embedded PC", "Mini PC", "Stick PC"};
  bool sys = path_exists(ex, DMI "product_name"), bin = mod_rec(ex, "hw.dmi") != NULL;
  for (size_t i = 0; i < sizeof dmi_keys / sizeof *dmi_keys; i++) {
    const char *k = dmi_keys[i][0];
    if (sys) {
      char path[128];
      snprintf(path, sizeof path, DMI "%s", dmi_keys[i][1]);
      char *data = file_content(ex, path);
      if (!data) {
        set_str(f, k, "NA");
      } else if (!strcmp(k, "form_factor")) {
        long long t = to_ll(data);
        if (t >= 0 && t < (long long)(sizeof form / sizeof *form))
          set_str(f, k, form[t]);
        else
          set_take(f, k, rt_xasprintf("unknown (%s)", data));
      } else {
        set_str(f, k, data);
      }
      free(data);
    } else if (bin) {
      char key[64];
      snprintf(key, sizeof key, "hw.dmi.%s", k);
      const char *out = mod_rec(ex, key);
      if (!out) {
        set_str(f, k, "NA");
        continue;
      }
      RtBuf b = {0};
      int n;
      char *buf, **l = split_lines(out, &n, &buf);
      for (int j = 0; j < n; j++)
        if (l[j][0] != '#')
          rt_buf_puts(&b, l[j]);
      free(l), free(buf);
      rt_dict_set(f, k, rt_str(b.data ? b.data : "", b.len));
      rt_buf_free(&b);
    } else {
      set_str(f, k, "NA");
    }
  }
}

static void lvm_facts(RtValue *f, const RtExec *ex) {
  if (!mod_rec(ex, "hw.lvm")) {
    set_str(f, "lvm", "N/A");
    return;
  }
  RtValue *lvm = rt_dict_new(3);
  static const char *const kinds[] = {"hw.vgs", "hw.lvs", "hw.pvs"};
  static const char *const names[] = {"vgs", "lvs", "pvs"};
  for (int k = 0; k < 3; k++) {
    RtValue *d = rt_dict_new(4);
    int n;
    char *buf, **l = split_lines(mod_rec(ex, kinds[k]), &n, &buf);
    for (int i = 0; i < n; i++) {
      char *t = strip_chars(l[i], NULL), *it[16];
      int ni = 0;
      for (char *p = t; ni < 16;) {
        it[ni++] = p;
        char *c = strchr(p, ',');
        if (!c)
          break;
        *c = 0;
        p = c + 1;
      }
      RtValue *e = rt_dict_new(4);
      if (k == 0 && ni >= 4) {
        set_str(e, "size_g", it[ni - 2]);
        set_str(e, "free_g", it[ni - 1]);
        set_str(e, "num_lvs", it[2]);
        set_str(e, "num_pvs", it[1]);
      } else if (k == 1 && ni >= 4) {
        set_str(e, "size_g", it[3]);
        set_str(e, "vg", it[1]);
      } else if (k == 2 && ni >= 6) {
        set_str(e, "size_g", it[4]);
        set_str(e, "free_g", it[5]);
        set_str(e, "vg", it[1]);
      }
      if (ni >= 2 || k == 0)
        rt_dict_set(d, it[0], e);
      else
        rt_decref(e);
      free(t);
    }
    free(l), free(buf);
    rt_dict_set(lvm, names[k], d);
  }
  rt_dict_set(f, "lvm", lvm);
}

/* The \ooo escapes of /proc/mounts undone. */
static char *unescape_octal(const char *s) {
  RtBuf b = {0};
  for (; *s; s++) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
      rt_buf_putc(&b, (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0')));
      s += 3;
    } else {
      rt_buf_putc(&b, *s);
    }
  }
  if (!b.data)
    rt_buf_add(&b, "", 0);
  return rt_buf_take(&b);
}

static void mount_facts(RtValue *f, const RtExec *ex, RtHost *h) {
  RtValue *mounts = rt_list_new(16);
  int n;
  char *buf, **l;
  /* bind mounts: findmnt's SOURCE ends in ']' */
  RtValue *binds = rt_dict_new(4), *uuids = rt_dict_new(8);
  l = split_lines(mod_rec(ex, "hw.findmnt"), &n, &buf);
  for (int i = 0; i < n; i++) {
    char *w[3];
    if (split_words(l[i], w, 3) >= 2 && re_has("^.*\\]", w[1]))
      rt_dict_set(binds, w[0], rt_bool(true));
  }
  free(l), free(buf);
  l = split_lines(mod_rec(ex, "hw.lsblk"), &n, &buf);
  for (int i = 0; i < n; i++) {
    char *t = strip_chars(l[i], NULL), *sp = t + strlen(t);
    while (sp > t && !py_space(sp[-1]))
      sp--;
    if (sp > t) { /* rsplit(None, 1) */
      char *dev = rt_xstrndup(t, (size_t)(sp - t)), *d = strip_chars(dev, NULL);
      if (!rt_dict_get(uuids, d))
        set_str(uuids, d, sp);
      free(dev), free(d);
    }
    free(t);
  }
  free(l), free(buf);
  bool udevadm = mod_rec(ex, "hw.udevadm") != NULL;
  l = split_lines(mod_rec(ex, "hw.mtab"), &n, &buf);
  for (int i = 0; i < n; i++) {
    char *w[8];
    if (split_words(l[i], w, 8) < 4)
      continue;
    char *dev = unescape_octal(w[0]), *mnt = unescape_octal(w[1]), *fs = unescape_octal(w[2]);
    char *opt = unescape_octal(w[3]);
    if (!((dev[0] == '/' || dev[0] == '\\') || strstr(dev, ":/")) || !strcmp(fs, "none")) {
      free(dev), free(mnt), free(fs), free(opt);
      continue;
    }
    RtValue *m = rt_dict_new(16);
    set_str(m, "mount", mnt);
    set_str(m, "device", dev);
    set_str(m, "fstype", fs);
    if (rt_dict_get(binds, mnt) && !re_has("^.*bind.*\"", opt))
      set_take(m, "options", rt_xasprintf("%s,bind", opt));
    else
      set_str(m, "options", opt);
    char key[4200];
    snprintf(key, sizeof key, "hw.to:%s", mnt);
    if (mod_rec(ex, key)) {
      rt_out_warning(h->run, "Timeout exceeded when getting mount info for %s", mnt);
      set_str(m, "note", "Could not get extra information due to timeout");
    } else {
      snprintf(key, sizeof key, "hw.sv:%s", mnt);
      const char *sv = mod_rec(ex, key);
      long long frsize, bsize, blocks, bavail, files, ffree;
      if (sv && sscanf(sv, "%lld %lld %lld %lld %lld %lld", &frsize, &bsize, &blocks, &bavail, &files, &ffree) == 6) {
        rt_dict_set(m, "size_total", rt_int(frsize * blocks));
        rt_dict_set(m, "size_available", rt_int(frsize * bavail));
        rt_dict_set(m, "block_size", rt_int(bsize));
        rt_dict_set(m, "block_total", rt_int(blocks));
        rt_dict_set(m, "block_available", rt_int(bavail));
        rt_dict_set(m, "block_used", rt_int(blocks - bavail));
        rt_dict_set(m, "inode_total", rt_int(files));
        rt_dict_set(m, "inode_available", rt_int(ffree));
        rt_dict_set(m, "inode_used", rt_int(files - ffree));
      }
      RtValue *u = rt_dict_get(uuids, dev);
      (void)udevadm; /* a device lsblk does not list: udevadm is not asked (one request) */
      rt_dict_set(m, "uuid", u && rt_len(u) ? rt_incref(u) : rt_strz("N/A"));
    }
    rt_list_push(mounts, m);
    free(dev), free(mnt), free(fs), free(opt);
  }
  free(l), free(buf);
  rt_decref(binds);
  rt_decref(uuids);
  rt_dict_set(f, "mounts", mounts);
}

static void hardware_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  cpu_facts(f, ex, all);
  memory_facts(f, ex);
  dmi_facts(f, ex);
  char *up = file_content(ex, "/proc/uptime");
  if (up)
    rt_dict_set(f, "uptime_seconds", rt_int((int64_t)strtod(up, NULL)));
  free(up);
  lvm_facts(f, ex);
  mount_facts(f, ex, h);
}

/* ---- network ------------------------------------------------------------------------------------- */

static void network_script(RtBuf *s, const FactsReq *q) {
  (void)q;
  rt_buf_puts(
      s, "if __fw ip; then __playc_rec n.ip 1\n"
         "  __fc n.r4 ip -4 route get 8.8.8.8; __fc n.r6 ip -6 route get 2404:6800:400a:800::1012\n"
         "  __fw ethtool && __et=1 || __et=\n"
         "  for __d in $(ls -U /sys/class/net); do __p=/sys/class/net/$__d; [ -d \"$__p\" ] || continue\n"
         "    __playc_rec 'n.dev[]' \"$__d\"\n"
         "    for __k in address mtu operstate type speed flags bridge/bridge_id bridge/stp_state bonding/slaves"
         " bonding/mode bonding/miimon bonding/lacp_rate bonding/primary bonding/all_slaves_active"
         " bonding_slave/perm_hwaddr; do\n"
         "      [ -e \"$__p/$__k\" ] || continue; __playc_rec \"n:$__d:x:$__k\" 1\n"
         "      __x=$(cat -- \"$__p/$__k\" 2>/dev/null) && __playc_rec \"n:$__d:$__k\" \"$__x\"; done\n"
         "    for __k in bridge bonding bonding_slave device; do [ -e \"$__p/$__k\" ] && __playc_rec \"n:$__d:x:$__k\" 1; done\n"
         "    [ ! -e \"$__p/device/driver/module\" ] || __fc \"n:$__d:module\" readlink -f \"$__p/device/driver/module\"\n"
         "    [ ! -e \"$__p/device\" ] || __fc \"n:$__d:pciid\" readlink \"$__p/device\"\n"
         "    if [ -e \"$__p/bridge\" ]; then set +f; for __b in \"$__p\"/brif/*; do [ -e \"$__b\" ] &&"
         " __playc_rec \"n:$__d:brif[]\" \"${__b##*/}\"; done; set -f; fi\n"
         "    __fc \"n:$__d:ip\" ip addr show primary dev \"$__d\" || __fc \"n:$__d:ip\" ip addr show dev \"$__d\"\n"
         "    __fc \"n:$__d:ip2\" ip addr show secondary dev \"$__d\"\n"
         "    if [ -n \"$__et\" ]; then __fc \"n:$__d:ek\" ethtool -k \"$__d\"; __fc \"n:$__d:et\" ethtool -T \"$__d\"; fi\n"
         "  done\nfi\n");
}

static const char *dev_rec(const RtExec *ex, const char *dev, const char *what) {
  char key[1100];
  snprintf(key, sizeof key, "n:%s:%s", dev, what);
  return mod_rec(ex, key);
}

/* get_file_content of an interface's file: stripped, NULL when empty. */
static char *dev_file(const RtExec *ex, const char *dev, const char *what) {
  const char *v = dev_rec(ex, dev, what);
  char *t = v ? strip_chars(v, NULL) : NULL;
  if (t && !*t) {
    free(t);
    t = NULL;
  }
  return t;
}

static bool dev_has(const RtExec *ex, const char *dev, const char *what) {
  char key[600];
  snprintf(key, sizeof key, "x:%s", what);
  return dev_rec(ex, dev, key) != NULL;
}

static RtValue *ensure_list(RtValue *parent, const char *k) {
  RtValue *d = rt_dict_get(parent, k);
  if (!d) {
    rt_dict_set(parent, k, rt_list_new(4));
    d = rt_dict_get(parent, k);
  }
  return d;
}

typedef struct NetCtx {
  RtValue *ifaces;        /* name → dict (the final facts, before ':' → '_') */
  RtValue *def4, *def6;
  RtValue *all4, *all6;
} NetCtx;

static RtValue *v4_entry(const char *addr, const char *brd, const char *mask, const char *net, const char *prefix) {
  RtValue *e = rt_dict_new(5);
  set_str(e, "address", addr);
  set_str(e, "broadcast", brd);
  set_str(e, "netmask", mask);
  set_str(e, "network", net);
  set_str(e, "prefix", prefix);
  return e;
}

static void parse_ip_output(NetCtx *nc, const char *dev, const char *out, bool secondary, const char *mac) {
  RtValue *di = rt_dict_get(nc->ifaces, dev);
  int n;
  char *buf, **l = split_lines(out, &n, &buf);
  for (int i = 0; i < n; i++) {
    char *w[64];
    int nw = split_words(l[i], w, 64);
    if (nw == 0)
      continue;
    if (!strcmp(w[0], "inet") && nw >= 2) {
      char addr[64], prefix[8] = "32";
      const char *brd = "";
      char *slash = strchr(w[1], '/');
      if (slash) {
        snprintf(addr, sizeof addr, "%.*s", (int)(slash - w[1]), w[1]);
        snprintf(prefix, sizeof prefix, "%s", slash + 1);
        if (nw > 3 && !strcmp(w[2], "brd"))
          brd = w[3];
      } else {
        snprintf(addr, sizeof addr, "%s", w[1]);
      }
      unsigned a[4] = {0};
      sscanf(addr, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]);
      uint32_t ab = (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3];
      int pl = atoi(prefix);
      uint32_t mb = pl <= 0 ? 0 : pl >= 32 ? 0xffffffffu : ~((1u << (32 - pl)) - 1);
      uint32_t nb = ab & mb;
      char mask[20], net[20];
      snprintf(mask, sizeof mask, "%u.%u.%u.%u", mb >> 24, (mb >> 16) & 255, (mb >> 8) & 255, mb & 255);
      snprintf(net, sizeof net, "%u.%u.%u.%u", nb >> 24, (nb >> 16) & 255, (nb >> 8) & 255, nb & 255);
      const char *iface = w[nw - 1];
      if (strcmp(iface, dev) != 0)
        rt_dict_set(nc->ifaces, iface, rt_dict_new(4));
      RtValue *ii = rt_dict_get(nc->ifaces, iface);
      if (!secondary && !rt_dict_get(ii, "ipv4"))
        rt_dict_set(ii, "ipv4", v4_entry(addr, brd, mask, net, prefix));
      else
        rt_list_push(ensure_list(ii, "ipv4_secondaries"), v4_entry(addr, brd, mask, net, prefix));
      if (secondary) {
        di = rt_dict_get(nc->ifaces, dev);
        RtValue *sl = ensure_list(di, "ipv4_secondaries");
        if (strcmp(dev, iface) != 0)
          rt_list_push(sl, v4_entry(addr, brd, mask, net, prefix));
      }
      di = rt_dict_get(nc->ifaces, dev);
      RtValue *da = rt_dict_get(nc->def4, "address");
      if (da && !strcmp(da->u.str.s, addr)) {
        set_str(nc->def4, "broadcast", brd);
        set_str(nc->def4, "netmask", mask);
        set_str(nc->def4, "network", net);
        set_str(nc->def4, "prefix", prefix);
        set_str(nc->def4, "macaddress", mac);
        RtValue *mtu = rt_dict_get(di, "mtu");
        rt_dict_set(nc->def4, "mtu", mtu ? rt_incref(mtu) : rt_none());
        RtValue *ty = rt_dict_get(di, "type");
        rt_dict_set(nc->def4, "type", ty ? rt_incref(ty) : rt_strz("unknown"));
        set_str(nc->def4, "alias", iface);
      }
      if (strncmp(addr, "127.", 4) != 0)
        rt_list_push(nc->all4, rt_strz(addr));
    } else if (!strcmp(w[0], "inet6") && nw >= 4) {
      char *addr, *prefix;
      const char *scope;
      if (!strcmp(w[2], "peer") && nw >= 6) {
        addr = rt_xstrdup(w[1]);
        char *sl = strchr(w[3], '/');
        prefix = rt_xstrdup(sl ? sl + 1 : "");
        scope = w[5];
      } else {
        char *sl = strchr(w[1], '/');
        addr = rt_xstrndup(w[1], sl ? (size_t)(sl - w[1]) : strlen(w[1]));
        prefix = rt_xstrdup(sl ? sl + 1 : "");
        scope = w[3];
      }
      RtValue *e = rt_dict_new(3);
      set_str(e, "address", addr);
      set_str(e, "prefix", prefix);
      set_str(e, "scope", scope);
      rt_list_push(ensure_list(di, "ipv6"), e);
      RtValue *da = rt_dict_get(nc->def6, "address");
      if (da && !strcmp(da->u.str.s, addr)) {
        set_str(nc->def6, "prefix", prefix);
        set_str(nc->def6, "scope", scope);
        set_str(nc->def6, "macaddress", mac);
        RtValue *mtu = rt_dict_get(di, "mtu");
        rt_dict_set(nc->def6, "mtu", mtu ? rt_incref(mtu) : rt_none());
        RtValue *ty = rt_dict_get(di, "type");
        rt_dict_set(nc->def6, "type", ty ? rt_incref(ty) : rt_strz("unknown"));
      }
      if (strcmp(addr, "::1") != 0)
        rt_list_push(nc->all6, rt_strz(addr));
      free(addr), free(prefix);
    }
  }
  free(l), free(buf);
}

static void default_route(RtValue *d, const char *out, const char *target) {
  if (!out || !*out)
    return;
  char *line = rt_xstrndup(out, strcspn(out, "\n")), *w[64];
  int n = split_words(line, w, 64);
  if (n > 0 && !strcmp(w[0], target))
    for (int i = 0; i < n - 1; i++) {
      if (!strcmp(w[i], "dev"))
        set_str(d, "interface", w[i + 1]);
      else if (!strcmp(w[i], "src"))
        set_str(d, "address", w[i + 1]);
      else if (!strcmp(w[i], "via") && strcmp(w[i + 1], target) != 0)
        set_str(d, "gateway", w[i + 1]);
    }
  free(line);
}

static void ethtool_data(RtValue *di, const RtExec *ex, const char *dev) {
  const char *k = dev_rec(ex, dev, "ek");
  if (k) {
    RtValue *feat = rt_dict_new(32);
    char *t = strip_chars(k, NULL);
    int n;
    char *buf, **l = split_lines(t, &n, &buf);
    for (int i = 0; i < n; i++) {
      size_t len = strlen(l[i]);
      if (!len || l[i][len - 1] == ':')
        continue;
      char *sep = strstr(l[i], ": ");
      if (!sep || !sep[2])
        continue;
      *sep = 0;
      char *key = strip_chars(l[i], NULL);
      for (char *p = key; *p; p++)
        if (*p == '-')
          *p = '_';
      set_take(feat, key, strip_chars(sep + 2, NULL));
      free(key);
    }
    free(l), free(buf), free(t);
    rt_dict_set(di, "features", feat);
  }
  const char *ts = dev_rec(ex, dev, "et");
  if (ts) {
    RtValue *a = rt_list_new(4), *b = rt_list_new(4);
    static const char *const pre[] = {"SOF_TIMESTAMPING_", "HWTSTAMP_FILTER_"};
    for (int k2 = 0; k2 < 2; k2++)
      for (const char *p = strstr(ts, pre[k2]); p; p = strstr(p + 1, pre[k2])) {
        const char *s = p + strlen(pre[k2]), *e = s;
        while (isalnum((unsigned char)*e) || *e == '_')
          e++;
        if (e == s)
          continue;
        char *w = rt_xstrndup(s, (size_t)(e - s));
        for (char *c = w; *c; c++)
          *c = (char)tolower((unsigned char)*c);
        rt_list_push(k2 ? b : a, rt_str_take(w, strlen(w)));
      }
    rt_dict_set(di, "timestamping", a);
    rt_dict_set(di, "hw_timestamp_filters", b);
    char *phc = re_group("PTP Hardware Clock: (\\d+)", ts, 1);
    if (phc)
      rt_dict_set(di, "phc_index", rt_int(to_ll(phc)));
    free(phc);
  }
}

static void network_parse(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h) {
  (void)all, (void)h;
  if (!mod_rec(ex, "n.ip"))
    return;
  NetCtx nc = {rt_dict_new(8), rt_dict_new(10), rt_dict_new(8), rt_list_new(4), rt_list_new(4)};
  default_route(nc.def4, mod_rec(ex, "n.r4"), "8.8.8.8");
  default_route(nc.def6, mod_rec(ex, "n.r6"), "2404:6800:400a:800::1012");
  static const char *const types[][2] = {
      {"1", "ether"}, {"32", "infiniband"}, {"512", "ppp"}, {"772", "loopback"}, {"65534", "tunnel"}};
  RtValue *devs = ex->rec ? rt_dict_get(ex->rec, "n.dev") : NULL;
  for (size_t i = 0; devs && i < rt_len(devs); i++) {
    const char *dev = rt_list_at(devs, i)->u.str.s;
    RtValue *di = rt_dict_new(12);
    set_str(di, "device", dev);
    rt_dict_set(nc.ifaces, dev, di);
    char *mac = dev_has(ex, dev, "address") ? dev_file(ex, dev, "address") : NULL;
    if (mac && strcmp(mac, "00:00:00:00:00:00") != 0)
      set_str(di, "macaddress", mac);
    char *v;
    if (dev_has(ex, dev, "mtu") && (v = dev_file(ex, dev, "mtu")))
      rt_dict_set(di, "mtu", rt_int(to_ll(v))), free(v);
    if (dev_has(ex, dev, "operstate")) {
      v = dev_file(ex, dev, "operstate");
      rt_dict_set(di, "active", rt_bool(!v || strcmp(v, "down") != 0));
      free(v);
    }
    const char *mod = dev_rec(ex, dev, "module");
    if (mod) {
      const char *b = strrchr(mod, '/');
      set_str(di, "module", b ? b + 1 : mod);
    }
    if (dev_has(ex, dev, "type")) {
      v = dev_file(ex, dev, "type");
      const char *t = "unknown";
      for (size_t k = 0; v && k < 5; k++)
        if (!strcmp(v, types[k][0]))
          t = types[k][1];
      set_str(di, "type", t);
      free(v);
    }
    if (dev_has(ex, dev, "bridge")) {
      set_str(di, "type", "bridge");
      RtValue *brif = rt_dict_get(ex->rec, "");
      (void)brif;
      char key[512];
      snprintf(key, sizeof key, "n:%s:brif", dev);
      RtValue *bl = rt_dict_get(ex->rec, key);
      rt_dict_set(di, "interfaces", bl ? rt_list_copy(bl) : rt_list_new(0));
      if (dev_has(ex, dev, "bridge/bridge_id")) {
        v = dev_file(ex, dev, "bridge/bridge_id");
        set_take(di, "id", v ? v : rt_xstrdup(""));
      }
      if (dev_has(ex, dev, "bridge/stp_state")) {
        v = dev_file(ex, dev, "bridge/stp_state");
        rt_dict_set(di, "stp", rt_bool(v && !strcmp(v, "1")));
        free(v);
      }
    }
    if (dev_has(ex, dev, "bonding")) {
      set_str(di, "type", "bonding");
      v = dev_file(ex, dev, "bonding/slaves");
      char *w[64], *vv = v ? v : rt_xstrdup("");
      int nw = split_words(vv, w, 64);
      rt_dict_set(di, "slaves", word_list(w, 0, nw));
      free(vv);
      static const char *const first[] = {"mode", "miimon", "lacp_rate"};
      for (int k = 0; k < 3; k++) {
        char path[64];
        snprintf(path, sizeof path, "bonding/%s", first[k]);
        char *t = dev_file(ex, dev, path), *tw[2];
        if (t && split_words(t, tw, 1) == 1)
          set_str(di, first[k], tw[0]);
        free(t);
      }
      char *primary = dev_file(ex, dev, "bonding/primary");
      if (primary) {
        set_take(di, "primary", primary);
        if (dev_has(ex, dev, "bonding/all_slaves_active")) {
          v = dev_file(ex, dev, "bonding/all_slaves_active");
          rt_dict_set(di, "all_slaves_active", rt_bool(v && !strcmp(v, "1")));
          free(v);
        }
      }
    }
    if (dev_has(ex, dev, "bonding_slave")) {
      v = dev_file(ex, dev, "bonding_slave/perm_hwaddr");
      set_take(di, "perm_macaddress", v ? v : rt_xstrdup(""));
    }
    const char *pci = dev_rec(ex, dev, "pciid");
    if (dev_has(ex, dev, "device") && pci) {
      const char *b = strrchr(pci, '/');
      set_str(di, "pciid", b ? b + 1 : pci);
    }
    if (dev_has(ex, dev, "speed") && (v = dev_file(ex, dev, "speed")))
      rt_dict_set(di, "speed", rt_int(to_ll(v))), free(v);
    if (dev_has(ex, dev, "flags") && (v = dev_file(ex, dev, "flags"))) {
      rt_dict_set(di, "promisc", rt_bool((strtol(v, NULL, 16) & 0x0100) != 0));
      free(v);
    }
    const char *m = mac ? mac : "";
    const char *ip = dev_rec(ex, dev, "ip");
    if (ip)
      parse_ip_output(&nc, dev, ip, false, m);
    const char *ip2 = dev_rec(ex, dev, "ip2");
    if (ip2)
      parse_ip_output(&nc, dev, ip2, true, m);
    ethtool_data(rt_dict_get(nc.ifaces, dev), ex, dev);
    free(mac);
  }
  RtValue *names = rt_list_new(rt_len(nc.ifaces));
  for (size_t i = 0; i < nc.ifaces->u.dict.len; i++) {
    char *name = rt_xstrdup(nc.ifaces->u.dict.ents[i].key->u.str.s);
    for (char *p = name; *p; p++)
      if (*p == ':')
        *p = '_';
    rt_list_push(names, rt_strz(name));
    rt_dict_set(f, name, rt_incref(nc.ifaces->u.dict.ents[i].val));
    free(name);
  }
  rt_dict_set(f, "interfaces", names);
  rt_dict_set(f, "default_ipv4", nc.def4);
  rt_dict_set(f, "default_ipv6", nc.def6);
  rt_dict_set(f, "all_ipv4_addresses", nc.all4);
  rt_dict_set(f, "all_ipv6_addresses", nc.all6);
  rt_decref(nc.ifaces);
}

/* ---- the table ----------------------------------------------------------------------------------- */

enum {
  B_PLATFORM = 1 << 0,
  B_DISTRIBUTION = 1 << 1,
};

static const char *const platform_ids[] = {"system", "kernel", "kernel_version", "machine", "python_version",
                                           "architecture", "machine_id", NULL};
static const char *const distribution_ids[] = {"distribution_version", "distribution_release",
                                               "distribution_major_version", "os_family", NULL};
static const char *const user_ids[] = {"user_id", "user_uid", "user_gid", "user_gecos", "user_dir", "user_shell",
                                       "real_user_id", "effective_user_id", "effective_group_ids", NULL};
static const char *const caps_ids[] = {"system_capabilities", "system_capabilities_enforced", NULL};
static const char *const chroot_ids[] = {"is_chroot", NULL};
static const char *const ssh_ids[] = {"ssh_host_pub_keys", "ssh_host_key_dsa_public", "ssh_host_key_rsa_public",
                                      "ssh_host_key_ecdsa_public", "ssh_host_key_ed25519_public", NULL};
static const char *const virtual_ids[] = {"virtualization_type", "virtualization_role", "virtualization_tech_guest",
                                          "virtualization_tech_host", NULL};
static const char *const hardware_ids[] = {"processor", "processor_cores", "processor_count", "mounts", "devices",
                                           NULL};
static const char *const network_ids[] = {"interfaces", "default_ipv4", "default_ipv6", "all_ipv4_addresses",
                                          "all_ipv6_addresses", NULL};
static const char *const facter_ids[] = {"facter", NULL};

/* Ansible's order with every collector selected (tsort of their requires);
 * the first two are what others require (B_PLATFORM, B_DISTRIBUTION). facter
 * and ohai are Ansible's external tools: they find nothing where those are not
 * installed, and playc does not run them (docs/facts.md). */
const FactCollector facts_collectors[] = {
    {"platform", platform_ids, 0, platform_script, platform_parse},
    {"distribution", distribution_ids, 0, distribution_script, distribution_parse},
    {"facter", facter_ids, 0, NULL, NULL},
    {"ssh_pub_keys", ssh_ids, 0, ssh_pub_keys_script, ssh_pub_keys_parse},
    {"selinux", NULL, 0, selinux_script, selinux_parse},
    {"user", user_ids, 0, user_script, user_parse},
    {"virtual", virtual_ids, 0, virtual_script, virtual_parse},
    {"hardware", hardware_ids, B_PLATFORM, hardware_script, hardware_parse},
    {"local", NULL, 0, local_script, local_parse},
    {"apparmor", NULL, 0, apparmor_script, apparmor_parse},
    {"chroot", chroot_ids, 0, chroot_script, chroot_parse},
    {"loadavg", NULL, 0, loadavg_script, loadavg_parse},
    {"iscsi", NULL, 0, iscsi_script, iscsi_parse},
    {"nvme", NULL, 0, nvme_script, nvme_parse},
    {"caps", caps_ids, 0, caps_script, caps_parse},
    {"cmdline", NULL, 0, cmdline_script, cmdline_parse},
    {"date_time", NULL, 0, date_time_script, date_time_parse},
    {"env", NULL, 0, env_script, env_parse},
    {"python", NULL, 0, NULL, NULL},
    {"lsb", NULL, 0, lsb_script, lsb_parse},
    {"dns", NULL, 0, dns_script, dns_parse},
    {"fips", NULL, 0, fips_script, fips_parse},
    {"fibre_channel_wwn", NULL, 0, fc_script, fc_parse},
    {"ohai", NULL, 0, NULL, NULL},
    {"network", network_ids, B_PLATFORM | B_DISTRIBUTION, network_script, network_parse},
    {"pkg_mgr", NULL, B_DISTRIBUTION, pkg_mgr_script, pkg_mgr_parse},
    {"service_mgr", NULL, B_PLATFORM | B_DISTRIBUTION, service_mgr_script, service_mgr_parse},
};
const int facts_ncollectors = (int)(sizeof facts_collectors / sizeof *facts_collectors);

#else
typedef int facts_linux_schema_only; /* nothing here is the compiler's */
#endif
