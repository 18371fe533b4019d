/*
 * inventory.c — the run-time inventory, built as Ansible's plugins build it:
 * INI files (the ini plugin: [group], [group:vars], [group:children] naming
 * groups declared before or after, host lines split like shlex with k=v
 * vars, host:port, ranges web[01:20], db-[a:f], x[1:10:2]), YAML inventories
 * (the yaml plugin), `-i a,b,` host lists; then the reconciliation Ansible
 * runs once all sources are in (top-level groups under "all", hosts of no
 * group in "ungrouped"), host patterns with Ansible's operators and order,
 * and variable precedence between groups.
 *
 * Shape: hosts and groups live in arrays addressed by index and found by
 * name through an RtIndex; edges and memberships are pairs recorded once
 * each. Nothing holds a pointer into an array across a call that may grow
 * it. A source is parsed into an inventory of its own, checked against the
 * one it joins — cycles, nesting depth, host and membership counts, in time
 * linear in their sizes — and merged only then, so a bad source leaves
 * nothing behind. Graph walks use explicit worklists, never recursion.
 *
 * This is run-time data, so parsing it here is allowed (DESIGN invariant 1).
 */
#include "rt.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <fnmatch.h>
#include <limits.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* n + 1 zeroed ints (never a zero-size allocation). */
static int *ints(size_t n) {
  return rt_xcalloc(n + 1, sizeof(int));
}

static void push_int(int **a, int *n, int *cap, int v) {
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 4;
    *a = rt_xrealloc(*a, sizeof **a * (size_t)*cap);
  }
  (*a)[(*n)++] = v;
}

/* ---- hosts, groups, edges, memberships ---- */

static const char *host_key(const void *ctx, uint32_t pos, size_t *len) {
  const char *n = ((const RtInventory *)ctx)->hosts[pos].name;
  *len = strlen(n);
  return n;
}

static const char *group_key(const void *ctx, uint32_t pos, size_t *len) {
  const char *n = ((const RtInventory *)ctx)->groups[pos].name;
  *len = strlen(n);
  return n;
}

static const char *edge_key(const void *ctx, uint32_t pos, size_t *len) {
  *len = sizeof(RtInvPair);
  return (const char *)&((const RtInventory *)ctx)->edges[pos];
}

static const char *member_key(const void *ctx, uint32_t pos, size_t *len) {
  *len = sizeof(RtInvPair);
  return (const char *)&((const RtInventory *)ctx)->members[pos];
}

static int find_host(const RtInventory *inv, const char *name) {
  return (int)rt_index_find(&inv->host_index, name, strlen(name), host_key, inv);
}

static int find_group(const RtInventory *inv, const char *name) {
  return (int)rt_index_find(&inv->group_index, name, strlen(name), group_key, inv);
}

int rt_inventory_find_host(const RtInventory *inv, const char *name) { return find_host(inv, name); }

/* The index of host `name`, created if new. */
static int add_host(RtInventory *inv, const char *name) {
  int h = find_host(inv, name);
  if (h >= 0)
    return h;
  if (inv->nhosts == inv->caphosts) {
    inv->caphosts = inv->caphosts ? inv->caphosts * 2 : 16;
    inv->hosts = rt_xrealloc(inv->hosts, sizeof *inv->hosts * (size_t)inv->caphosts);
  }
  RtInvHost *ho = &inv->hosts[inv->nhosts];
  memset(ho, 0, sizeof *ho);
  ho->name = rt_xstrdup(name);
  rt_index_add(&inv->host_index, (uint32_t)inv->nhosts, host_key, inv);
  inv->dirty = true;
  return inv->nhosts++;
}

/* The index of group `name`, created if new. */
static int add_group(RtInventory *inv, const char *name) {
  int g = find_group(inv, name);
  if (g >= 0)
    return g;
  if (inv->ngroups == inv->capgroups) {
    inv->capgroups = inv->capgroups ? inv->capgroups * 2 : 16;
    inv->groups = rt_xrealloc(inv->groups, sizeof *inv->groups * (size_t)inv->capgroups);
  }
  RtInvGroup *gr = &inv->groups[inv->ngroups];
  memset(gr, 0, sizeof *gr);
  gr->name = rt_xstrdup(name);
  gr->priority = 1;
  rt_index_add(&inv->group_index, (uint32_t)inv->ngroups, group_key, inv);
  inv->dirty = true;
  return inv->ngroups++;
}

/* Appends `p` to a pair list unless it is there; true when added. */
static bool add_pair(RtInventory *inv, RtInvPair **a, int *n, int *cap, RtIndex *ix,
                     RtIndexKeyFn kf, RtInvPair p) {
  if (rt_index_find(ix, (const char *)&p, sizeof p, kf, inv) >= 0)
    return false;
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 16;
    *a = rt_xrealloc(*a, sizeof **a * (size_t)*cap);
  }
  (*a)[*n] = p;
  rt_index_add(ix, (uint32_t)(*n)++, kf, inv);
  inv->dirty = true;
  return true;
}

/* parent → child, once (the caller has refused child == parent). */
static void add_edge(RtInventory *inv, int parent, int child) {
  RtInvPair p = {parent, child};
  if (!add_pair(inv, &inv->edges, &inv->nedges, &inv->capedges, &inv->edge_index, edge_key, p))
    return;
  RtInvGroup *pg = &inv->groups[parent];
  push_int(&pg->children, &pg->nchildren, &pg->capchildren, child);
  RtInvGroup *cg = &inv->groups[child];
  push_int(&cg->parents, &cg->nparents, &cg->capparents, parent);
}

/* Host `h` into group `g`, once. */
static void add_member(RtInventory *inv, int g, int h) {
  RtInvPair p = {g, h};
  if (!add_pair(inv, &inv->members, &inv->nmembers, &inv->capmembers, &inv->member_index,
                member_key, p))
    return;
  RtInvGroup *gr = &inv->groups[g];
  push_int(&gr->hosts, &gr->nhosts, &gr->caphosts, h);
  RtInvHost *ho = &inv->hosts[h];
  push_int(&ho->direct, &ho->ndirect, &ho->capdirect, g);
}

static bool is_member(const RtInventory *inv, int g, int h) {
  RtInvPair p = {g, h};
  return rt_index_find(&inv->member_index, (const char *)&p, sizeof p, member_key, inv) >= 0;
}

/* Sets a var in a host's or group's own dict (takes `v`). The dicts are
 * shared copy-on-write: the hosts of one range line share their vars. */
static void own_vars(RtValue **vars) {
  if (!*vars) {
    *vars = rt_dict_new(4);
  } else if (!rt_sole_ref(*vars)) {
    RtValue *c = rt_dict_copy(*vars);
    rt_decref(*vars);
    *vars = c;
  }
}

static void set_var(RtValue **vars, const char *k, RtValue *v) {
  own_vars(vars);
  rt_dict_set(*vars, k, v);
}

/* Group.set_variable: ansible_group_priority sets the group's priority
 * instead of a var (takes `v`). */
static void set_group_var(RtInventory *inv, int g, const char *k, RtValue *v) {
  RtInvGroup *gr = &inv->groups[g];
  if (strcmp(k, "ansible_group_priority") != 0) {
    set_var(&gr->vars, k, v);
    return;
  }
  int64_t p = 1;
  if (rt_kind(v) == RT_INT || rt_kind(v) == RT_BOOL)
    p = rt_as_int(v);
  else if (rt_kind(v) == RT_FLOAT)
    rt_arith_float_to_int(v->u.f, &p, NULL, 0);
  else if (rt_kind(v) == RT_STR)
    rt_arith_parse_int(v->u.str.s, v->u.str.len, 10, &p, NULL, 0);
  gr->priority = (int)p;
  gr->priority_set = true;
  rt_decref(v);
}

/* src's vars over *dst's, combined as combine_vars does (`merge`:
 * hash_behaviour=merge). */
static void merge_vars(RtValue **dst, const RtValue *src, bool merge) {
  if (!*dst && src && src->u.dict.len) {
    *dst = rt_incref((RtValue *)src);
    return;
  }
  if (!src || !src->u.dict.len)
    return;
  own_vars(dst);
  for (size_t i = 0; i < src->u.dict.len; i++)
    rt_combine_set(*dst, src->u.dict.ents[i].key->u.str.s, rt_incref(src->u.dict.ents[i].val), merge);
}

/* ---- parsing a source ---- */

/* One source being parsed into an inventory of its own. */
typedef struct Src {
  RtInventory inv;
  const char *path;
  int lineno; /* INI: the line being read, for messages */
  char *err;
} Src;

/* The most hosts one load may name, and the memberships that allows. */
static int most_hosts(const RtInventory *inv) {
  return inv->max_hosts > 0 && inv->max_hosts < RT_INV_MAX_HOSTS ? inv->max_hosts
                                                                  : RT_INV_MAX_HOSTS;
}

static int64_t most_memberships(const RtInventory *inv) {
  return most_hosts(inv) == RT_INV_MAX_HOSTS ? RT_INV_MAX_MEMBERSHIPS
                                             : (int64_t)most_hosts(inv) * 16;
}

static bool src_fail(Src *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool src_fail(Src *s, const char *fmt, ...) {
  if (s->err)
    return false;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&s->err, fmt, ap) < 0)
    rt_panic(__FILE__, __LINE__, "out of memory");
  va_end(ap);
  return false;
}

/* Group.add_child_group's own refusal; cycles are found when the source is
 * checked as a whole (check_union). */
static bool src_child(Src *s, int parent, int child) {
  if (parent == child)
    return src_fail(s, "can't add group to itself");
  add_edge(&s->inv, parent, child);
  return true;
}

static bool is_word(unsigned char c) { /* Python's \w, any non-ASCII byte counting as a letter */
  return isalnum(c) || c == '_' || c >= 0x80;
}

/* An [a:z] or [0:9](:step) range of a host name, at s (Ansible's
 * alphanumeric_range); its length, or 0. */
static size_t name_range(const char *s) {
  const char *p = s;
  if (*p++ != '[')
    return 0;
  if (isalpha((unsigned char)p[0]) && p[1] == ':' && isalpha((unsigned char)p[2])) {
    p += 3;
  } else {
    const char *d = p;
    while (isdigit((unsigned char)*p))
      p++;
    if (p == d || *p++ != ':')
      return 0;
    d = p;
    while (isdigit((unsigned char)*p))
      p++;
    if (p == d)
      return 0;
  }
  if (*p == ':') {
    const char *d = ++p;
    while (isdigit((unsigned char)*p))
      p++;
    if (p == d)
      return 0;
  }
  return *p == ']' ? (size_t)(p + 1 - s) : 0;
}

/* parse_address's "hostname" pattern: dot-separated labels of word chars,
 * '-' and ranges, a label not ending in '_' or '-'. */
static bool valid_hostname(const char *s) {
  for (;;) {
    bool any = false;
    char last = 0;
    for (;;) {
      size_t r = name_range(s);
      if (r) {
        s += r, any = true, last = ']';
      } else if (is_word((unsigned char)*s) || (any && *s == '-')) {
        last = *s++, any = true;
      } else {
        break;
      }
    }
    if (!any || last == '_' || last == '-')
      return false;
    if (*s != '.')
      return *s == 0;
    s++;
  }
}

/* parse_address's "ipv6" pattern, loosely: hex digits, colons (two at least),
 * dots, and bracketed ranges. */
static bool valid_ipv6(const char *s) {
  int colons = 0;
  for (; *s; s++) {
    if (*s == '[') {
      const char *e = strchr(s, ']');
      if (!e)
        return false;
      s = e;
    } else if (*s == ':') {
      colons++;
    } else if (!isxdigit((unsigned char)*s) && *s != '.') {
      return false;
    }
  }
  return colons >= 2;
}

/* "x:port" with the ':' outside brackets (parse_address's hostport): the
 * length of x, or -1. */
static long hostport_split(const char *s) {
  const char *p = s;
  while (*p && *p != ':' && *p != ']') {
    if (*p == '[') {
      const char *e = strchr(p, ']');
      if (!e)
        return -1;
      p = e + 1;
    } else {
      p++;
    }
  }
  if (*p != ':' || !p[1])
    return -1;
  for (const char *d = p + 1; *d; d++)
    if (!isdigit((unsigned char)*d))
      return -1;
  return p - s;
}

/* Ansible's parse_address: the host part of `pat` (malloc'd) and its port
 * (-1 without). When the host part is not a host name or address the whole
 * pattern is the name, without port, as _expand_hostpattern does. */
static char *split_address(const char *pat, bool allow_ranges, long *port) {
  char *addr = rt_xstrdup(pat);
  *port = -1;
  long cut;
  char *rb = addr[0] == '[' ? strrchr(addr, ']') : NULL;
  if (rb && rb > addr + 1 && rb[1] == ':' && rb[2]) { /* bracketed_hostport: "[v6]:port" */
    bool digits = true;
    for (const char *d = rb + 2; *d; d++)
      digits &= isdigit((unsigned char)*d) != 0;
    if (digits) {
      *port = strtol(rb + 2, NULL, 10);
      *rb = 0;
      memmove(addr, addr + 1, strlen(addr));
    }
  }
  if ((cut = hostport_split(addr)) >= 0) { /* hostport: "name:port" */
    *port = strtol(addr + cut + 1, NULL, 10);
    addr[cut] = 0;
  }
  bool ok = valid_hostname(addr) || valid_ipv6(addr);
  if (ok && !allow_ranges && strchr(addr, '['))
    ok = false;
  if (!ok) {
    free(addr);
    *port = -1;
    return rt_xstrdup(pat);
  }
  return addr;
}

/* One [begin:end(:step)] of a host pattern, as expand_hostname_range reads it. */
typedef struct Range {
  bool alpha;
  int64_t beg, step, count;
  int width; /* zero padding: the begin's length when it starts with 0 */
} Range;

static const char LETTERS[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static bool parse_int64(Src *s, const char *t, int64_t *out) {
  char msg[256];
  if (rt_arith_parse_int(t, strlen(t), 10, out, msg, sizeof msg) != RT_ARITH_OK)
    return src_fail(s, "%s", msg);
  return true;
}

static bool parse_range(Src *s, char *spec, Range *r) {
  char *b[4];
  int n = 0;
  for (char *p = spec;; p++) {
    if (n < 4)
      b[n] = p;
    n++;
    p = strchr(p, ':');
    if (!p)
      break;
    *p = 0;
  }
  if (n != 2 && n != 3)
    return src_fail(s, "host range must be begin:end or begin:end:step");
  const char *beg = *b[0] ? b[0] : "0", *end = b[1];
  if (!*end)
    return src_fail(s, "host range must specify end value");
  r->width = 0;
  if (beg[0] == '0' && beg[1]) {
    r->width = (int)strlen(beg);
    if (strlen(end) != strlen(beg))
      return src_fail(s, "host range must specify equal-length begin and end formats");
  }
  r->step = 1;
  bool step_ok = n != 3 || rt_arith_parse_int(b[2], strlen(b[2]), 10, &r->step, NULL, 0) == 0;
  const char *ib = strstr(LETTERS, beg), *ie = strstr(LETTERS, end);
  if (ib && ie && step_ok && r->step != 0) { /* ascii_letters.index(): a substring's position */
    if (ib > ie)
      return src_fail(s, "host range must have begin <= end");
    int64_t i0 = ib - LETTERS, i1 = ie - LETTERS + 1, len = r->step > 0 ? i1 - i0 : 0;
    r->alpha = true, r->beg = i0;
    r->count = r->step > 0 ? (len + r->step - 1) / r->step : 0;
    return true; /* a negative step slices nothing here: [i0:i1:-k] with i0 < i1 */
  }
  int64_t lo, hi;
  if (!parse_int64(s, beg, &lo) || !parse_int64(s, end, &hi) ||
      (n == 3 && !parse_int64(s, b[2], &r->step)))
    return false;
  if (r->step == 0)
    return src_fail(s, "range() arg 3 must not be zero");
  r->alpha = false, r->beg = lo;
  __int128 span = r->step > 0 ? (__int128)hi + 1 - lo : (__int128)lo - ((__int128)hi + 1);
  __int128 st = r->step > 0 ? r->step : -(__int128)r->step, c = span > 0 ? (span + st - 1) / st : 0;
  r->count = c > RT_INV_MAX_RANGE ? RT_INV_MAX_RANGE + 1 : (int64_t)c;
  return true;
}

/* Appends element k of range r to b, padded as str(x).zfill(width). */
static void range_item(RtBuf *b, const Range *r, int64_t k) {
  if (r->alpha) {
    rt_buf_putc(b, LETTERS[r->beg + k * r->step]);
    return;
  }
  int64_t v = r->beg + k * r->step;
  char num[32];
  int len = snprintf(num, sizeof num, "%lld", (long long)v);
  const char *digits = num + (v < 0);
  if (v < 0)
    rt_buf_putc(b, '-');
  for (int i = len; i < r->width; i++)
    rt_buf_putc(b, '0');
  rt_buf_puts(b, digits);
}

typedef bool (*HostFn)(Src *s, const char *name, void *arg);

/* expand_hostname_range: every name `pat` stands for, each given to fn, in
 * Ansible's order (the first range varies slowest). The text is split at
 * its first '[' and first ']', again and again on what follows; the count
 * is known before the first name is made and is bounded by
 * RT_INV_MAX_RANGE. With fn NULL, only checks the pattern. */
static bool expand_hosts(Src *s, const char *pat, HostFn fn, void *arg) {
  if (!strchr(pat, '['))
    return fn ? fn(s, pat, arg) : true;
  char *text = rt_xstrdup(pat), *rest = text;
  char *lits[64];
  Range rs[64];
  int n = 0;
  bool ok = true;
  int64_t total = 1;
  while (ok && strchr(rest, '[')) {
    char *lb = strchr(rest, '['), *rb = strchr(rest, ']');
    if (!rb) {
      ok = src_fail(s, "not enough values to unpack (expected 3, got 2)");
      break;
    }
    if (n == 64) {
      ok = src_fail(s, "host pattern '%s' has more than 64 ranges", pat);
      break;
    }
    char *lo = lb < rb ? lb : rb, *hi = lb < rb ? rb : lb;
    *lo = *hi = 0;
    lits[n] = rest;
    ok = parse_range(s, lo + 1, &rs[n]);
    if (ok && (total *= rs[n].count) > RT_INV_MAX_RANGE)
      total = RT_INV_MAX_RANGE + 1;
    n++;
    rest = hi + 1;
  }
  int most = most_hosts(&s->inv) < RT_INV_MAX_RANGE ? most_hosts(&s->inv) : RT_INV_MAX_RANGE;
  if (ok && total > most)
    ok = src_fail(s, "host pattern '%s' names more than %d hosts", pat, most);
  int64_t k[64] = {0};
  RtBuf b = {0};
  for (int64_t done = 0; ok && fn && done < total; done++) {
    b.len = 0;
    for (int i = 0; i < n; i++) {
      rt_buf_puts(&b, lits[i]);
      range_item(&b, &rs[i], k[i]);
    }
    rt_buf_puts(&b, rest);
    ok = fn(s, b.data, arg);
    for (int i = n - 1; i >= 0 && ++k[i] == rs[i].count; i--) /* odometer */
      k[i] = 0;
  }
  rt_buf_free(&b);
  free(text);
  return ok;
}

/* What a pattern's hosts get: a group, a port, vars (dict, borrowed). */
typedef struct HostAdd {
  int group; /* -1: none */
  long port;
  const RtValue *vars;
} HostAdd;

/* _populate_host_vars: the host, created with its port if new, into the
 * group, then its vars. */
static bool add_one_host(Src *s, const char *name, void *arg) {
  const HostAdd *a = arg;
  if (!*name)
    return src_fail(s, "Invalid empty host name provided: %s", name);
  bool fresh = find_host(&s->inv, name) < 0;
  if (fresh && s->inv.nhosts >= most_hosts(&s->inv))
    return src_fail(s, "the inventory names more than %d hosts", most_hosts(&s->inv));
  int h = add_host(&s->inv, name);
  if (fresh && a->port > 0)
    set_var(&s->inv.hosts[h].vars, "ansible_port", rt_int(a->port));
  if (a->group >= 0)
    add_member(&s->inv, a->group, h);
  merge_vars(&s->inv.hosts[h].vars, a->vars, s->inv.hash_merge);
  return true;
}

/* A host pattern with its port and ranges (_expand_hostpattern); with
 * `check`, only its errors, adding nothing. */
static bool add_hosts(Src *s, const char *pattern, int group, const RtValue *vars, bool ini,
                      bool check) {
  HostAdd a = {group, -1, vars};
  char *name = split_address(pattern, true, &a.port);
  bool ok = true;
  size_t n = strlen(pattern);
  if (ini && a.port < 0 && n && pattern[n - 1] == ':')
    ok = src_fail(s, "Invalid host pattern '%s' supplied, ending in ':' is not allowed, this "
                     "character is reserved to provide a port.",
                  pattern);
  if (ini && ok && strcmp(name, "---") == 0)
    ok = src_fail(s, "Invalid host pattern '%s' supplied, '---' is normally a sign this is a "
                     "YAML file.",
                  pattern);
  if (ok)
    ok = expand_hosts(s, name, check ? NULL : add_one_host, &a);
  free(name);
  return ok;
}

/* ---- INI ---- */

/* Python's shlex.split(line, comments=True): words split at whitespace,
 * quotes joining ("a b"c is one word), backslash escaping outside single
 * quotes (inside double quotes only before '"' and '\'), '#' starting a
 * comment outside quotes. Appends the words to `out` (a list). */
static bool shlex_split(Src *s, const char *line, RtValue *out) {
  RtBuf w = {0};
  bool in_word = false;
  const char *p = line;
  for (;;) {
    char c = *p;
    if (!c || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '#') {
      if (in_word)
        rt_list_push(out, rt_str(w.data ? w.data : "", w.len));
      w.len = 0;
      in_word = false;
      if (!c || c == '#')
        break;
      p++;
      continue;
    }
    in_word = true;
    p++;
    if (c == '\\') {
      if (!*p) {
        rt_buf_free(&w);
        return src_fail(s, "%s:%d: Error parsing host definition '%s': No escaped character",
                        s->path, s->lineno, line);
      }
      rt_buf_putc(&w, *p++);
    } else if (c == '\'' || c == '"') {
      while (*p && *p != c) {
        if (c == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
          p++;
        rt_buf_putc(&w, *p++);
      }
      if (!*p) {
        rt_buf_free(&w);
        return src_fail(s, "%s:%d: Error parsing host definition '%s': No closing quotation",
                        s->path, s->lineno, line);
      }
      p++;
      rt_buf_add(&w, "", 0);
    } else {
      rt_buf_putc(&w, c);
    }
  }
  rt_buf_free(&w);
  return true;
}

/* The ini plugin's _parse_value: a Python literal if the text is one, else
 * the text. */
static RtValue *ini_value(const char *v) {
  RtValue *lit = rt_parse_pyliteral(v, strlen(v));
  return lit ? lit : rt_strz(v);
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    *--e = 0;
  return s;
}

/* A group name at `s` ([^:\]\s]+) followed by nothing but spaces and an
 * optional #comment; the name is cut out in place. */
static char *ini_group_name(char *s) {
  size_t n = strcspn(s, ":] \t\r\n\v\f");
  if (n == 0)
    return NULL;
  char *rest = s + n;
  while (isspace((unsigned char)*rest))
    rest++;
  if (*rest && *rest != '#')
    return NULL;
  s[n] = 0;
  return s;
}

/* "[name]" or "[name:tag]" with an optional #comment after it; only a
 * line that is one is cut up in place. */
static bool ini_section(char *line, char **name, char **tag) {
  if (line[0] != '[')
    return false;
  char *p = line + 1, *colon = NULL;
  size_t n = strcspn(p, ":] \t\r\n\v\f");
  if (n == 0)
    return false;
  p += n;
  if (*p == ':') {
    colon = p++;
    const char *t = p;
    while (is_word((unsigned char)*p) && !((unsigned char)*p & 0x80))
      p++;
    if (p == t)
      return false;
  }
  char *rb = p;
  if (*p++ != ']')
    return false;
  while (isspace((unsigned char)*p))
    p++;
  if (*p && *p != '#')
    return false;
  *name = line + 1;
  *tag = colon ? colon + 1 : NULL;
  if (colon)
    *colon = 0;
  *rb = 0;
  return true;
}

/* A group named before it is declared: in [x:children] (then its parents
 * are kept until it is), or by [x:vars]. */
typedef struct Pending {
  char *name;
  int line;
  bool children; /* else vars */
  bool done;
  int *parents;
  int nparents, cap;
} Pending;

typedef struct Ini {
  Src *s;
  Pending *pend;
  int npend, cap;
  RtIndex pend_index;
} Ini;

static const char *pend_key(const void *ctx, uint32_t pos, size_t *len) {
  const char *n = ((const Ini *)ctx)->pend[pos].name;
  *len = strlen(n);
  return n;
}

static Pending *pending(Ini *ini, const char *name) {
  int64_t i = rt_index_find(&ini->pend_index, name, strlen(name), pend_key, ini);
  return i >= 0 && !ini->pend[i].done ? &ini->pend[i] : NULL;
}

static void add_pending(Ini *ini, const char *name, bool children, int parent) {
  Pending *p = pending(ini, name);
  if (!p) {
    if (ini->npend == ini->cap) {
      ini->cap = ini->cap ? ini->cap * 2 : 8;
      ini->pend = rt_xrealloc(ini->pend, sizeof *ini->pend * (size_t)ini->cap);
    }
    p = &ini->pend[ini->npend];
    memset(p, 0, sizeof *p);
    p->name = rt_xstrdup(name);
    p->line = ini->s->lineno;
    p->children = children;
    rt_index_add(&ini->pend_index, (uint32_t)ini->npend++, pend_key, ini);
  }
  if (parent >= 0)
    push_int(&p->parents, &p->nparents, &p->cap, parent);
}

static bool ini_section_line(Ini *ini, char *name, const char *state, int *group) {
  Src *s = ini->s;
  if (strcmp(state, "hosts") != 0 && strcmp(state, "children") != 0 && strcmp(state, "vars") != 0)
    return src_fail(s, "%s:%d: Section [%s:%s] has unknown type: %s", s->path, s->lineno, name,
                    state, state);
  bool vars = strcmp(state, "vars") == 0;
  if (find_group(&s->inv, name) < 0) {
    if (vars && !pending(ini, name))
      add_pending(ini, name, false, -1);
    add_group(&s->inv, name);
  }
  *group = find_group(&s->inv, name);
  Pending *p = pending(ini, name);
  if (p && !vars) { /* declared at last: _add_pending_children */
    for (int i = 0; p->children && i < p->nparents; i++)
      if (!src_child(s, p->parents[i], *group))
        return false;
    p->done = true;
  }
  return true;
}

static bool ini_host_line(Src *s, char *line, int group) {
  RtValue *words = rt_list_new(4), *vars = rt_dict_new(4);
  bool ok = shlex_split(s, line, words); /* then the pattern's errors, then the vars' */
  if (ok && rt_len(words) > 0)
    ok = add_hosts(s, rt_list_at(words, 0)->u.str.s, group, NULL, true, true);
  for (size_t i = 1; ok && i < rt_len(words); i++) {
    char *t = rt_list_at(words, i)->u.str.s, *eq = strchr(t, '=');
    if (!eq) {
      ok = src_fail(s, "%s:%d: Expected key=value host variable assignment, got: %s", s->path,
                    s->lineno, t);
      break;
    }
    *eq = 0;
    rt_dict_set(vars, t, ini_value(eq + 1));
    *eq = '=';
  }
  if (ok && rt_len(words) > 0)
    ok = add_hosts(s, rt_list_at(words, 0)->u.str.s, group, vars, true, false);
  rt_decref(words);
  rt_decref(vars);
  return ok;
}

static bool ini_line(Ini *ini, char *line, const char *state, int group) {
  Src *s = ini->s;
  if (strcmp(state, "hosts") == 0)
    return ini_host_line(s, line, group);
  if (strcmp(state, "vars") == 0) {
    char *eq = strchr(line, '=');
    if (!eq)
      return src_fail(s, "%s:%d: Expected key=value, got: %s", s->path, s->lineno, line);
    *eq = 0;
    set_group_var(&s->inv, group, trim(line), ini_value(trim(eq + 1)));
    return true;
  }
  char *child = ini_group_name(line);
  if (!child)
    return src_fail(s, "%s:%d: Expected group name, got: %s", s->path, s->lineno, line);
  int c = find_group(&s->inv, child);
  if (c < 0) {
    add_pending(ini, child, true, group);
    return true;
  }
  return src_child(s, group, c);
}

/* The ini plugin's _parse: one pass, hosts before any section in
 * "ungrouped", then the first group still pending is an error. */
static bool load_ini(Src *s, char *text) {
  Ini ini = {s, NULL, 0, 0, {0}};
  int group = find_group(&s->inv, "ungrouped");
  char state[64] = "hosts";
  bool ok = true;
  s->lineno = 0;
  for (char *line = text, *next; ok && line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = 0;
    s->lineno++;
    char *t = trim(line), *name, *tag;
    if (!*t || *t == '#' || *t == ';')
      continue;
    size_t n = strlen(t);
    if (ini_section(t, &name, &tag)) {
      snprintf(state, sizeof state, "%s", tag ? tag : "hosts");
      ok = ini_section_line(&ini, name, tag ? tag : "hosts", &group);
    } else if (t[0] == '[' && t[n - 1] == ']') {
      ok = src_fail(s, "%s:%d: Invalid section entry: '%s'. Please make sure that there are no "
                       "spaces in the section entry, and that there are no other invalid "
                       "characters",
                    s->path, s->lineno, t);
    } else {
      ok = ini_line(&ini, t, state, group);
    }
  }
  for (int i = 0; ok && i < ini.npend; i++) {
    const Pending *p = &ini.pend[i];
    if (p->done)
      continue;
    if (p->children)
      ok = src_fail(s, "%s:%d: Section [%s:children] includes undefined group: %s", s->path,
                    p->line, s->inv.groups[p->parents[p->nparents - 1]].name, p->name);
    else
      ok = src_fail(s, "%s:%d: Section [%s:vars] not valid for undefined group: %s", s->path,
                    p->line, p->name, p->name);
  }
  for (int i = 0; i < ini.npend; i++) {
    free(ini.pend[i].name);
    free(ini.pend[i].parents);
  }
  free(ini.pend);
  rt_index_free(&ini.pend_index);
  return ok;
}

/* ---- YAML ---- */

/* type() of a value Ansible's YAML loader made, as its messages print it. */
static const char *py_type(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_STR: return "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>";
  case RT_INT: return "<class 'int'>";
  case RT_FLOAT: return "<class 'float'>";
  case RT_BOOL: return "<class 'bool'>";
  case RT_LIST: return "<class 'ansible.parsing.yaml.objects.AnsibleSequence'>";
  case RT_DICT: return "<class 'ansible.parsing.yaml.objects.AnsibleMapping'>";
  default: return "<class 'NoneType'>";
  }
}

/* InventoryData.add_child: a group, or else a host, becomes a member. */
static bool yaml_child(Src *s, int g, const char *name) {
  int c = find_group(&s->inv, name), h;
  if (c >= 0)
    return src_child(s, g, c);
  if ((h = find_host(&s->inv, name)) >= 0) {
    add_member(&s->inv, g, h);
    return true;
  }
  return src_fail(s, "%s is not a known host nor group", name);
}

/* The yaml plugin's _parse_group: {hosts: {pattern: vars}, vars: {..},
 * children: {name: group}} with its keys in their order; a section may be a
 * single name. Recursion follows the document's nesting, which the loader
 * bounded. */
static bool yaml_group(Src *s, const char *name, const RtValue *gv) {
  if (gv && rt_kind(gv) != RT_DICT && rt_kind(gv) != RT_NONE)
    return true; /* "Skipping '%s' as this is not a valid group definition" */
  int g = add_group(&s->inv, name);
  for (size_t i = 0; gv && rt_kind(gv) == RT_DICT && i < gv->u.dict.len; i++) {
    const char *key = gv->u.dict.ents[i].key->u.str.s;
    const RtValue *sec = gv->u.dict.ents[i].val;
    bool known = !strcmp(key, "hosts") || !strcmp(key, "vars") || !strcmp(key, "children");
    RtValue *one = NULL;
    if (known && rt_kind(sec) == RT_STR) { /* a section naming one entry */
      one = rt_dict_new(1);
      rt_dict_set(one, sec->u.str.s, rt_none());
      sec = one;
    }
    bool ok = true;
    if (known && rt_kind(sec) != RT_DICT && rt_kind(sec) != RT_NONE)
      ok = src_fail(s, "Invalid \"%s\" entry for \"%s\" group, requires a dictionary, found \"%s\" "
                       "instead.",
                    key, name, py_type(sec));
    for (size_t j = 0; ok && rt_kind(sec) == RT_DICT && j < sec->u.dict.len; j++) {
      const char *k = sec->u.dict.ents[j].key->u.str.s;
      const RtValue *v = sec->u.dict.ents[j].val;
      if (!strcmp(key, "vars")) {
        set_group_var(&s->inv, g, k, rt_incref((RtValue *)v));
      } else if (!strcmp(key, "children")) {
        ok = yaml_group(s, k, v) && yaml_child(s, g, k);
      } else if (!strcmp(key, "hosts")) {
        if (rt_kind(v) != RT_DICT && rt_kind(v) != RT_NONE) {
          RtBuf t = {0};
          rt_render_str(&t, v);
          ok = src_fail(s, "Invalid data from file, expected dictionary and got:\n\n%s", t.data);
          rt_buf_free(&t);
        } else {
          ok = add_hosts(s, k, g, rt_kind(v) == RT_DICT ? v : NULL, false, false);
        }
      }
    }
    rt_decref(one);
    if (!ok)
      return false;
  }
  return true;
}

static bool load_yaml(Src *s, const RtValue *doc) {
  if (rt_kind(doc) == RT_NONE || (rt_kind(doc) == RT_DICT && rt_len(doc) == 0))
    return src_fail(s, "Parsed empty YAML file");
  if (rt_kind(doc) != RT_DICT)
    return src_fail(s, "YAML inventory has invalid structure, it should be a dictionary, got: %s",
                    py_type(doc));
  if (rt_dict_get(doc, "plugin"))
    return src_fail(s, "Plugin configuration YAML file, not YAML inventory");
  for (size_t i = 0; i < doc->u.dict.len; i++)
    if (!yaml_group(s, doc->u.dict.ents[i].key->u.str.s, doc->u.dict.ents[i].val))
      return false;
  return true;
}

/* ---- checking a source against the inventory it joins ---- */

/* The group graph and memberships `inv` would have with `src` merged in:
 * inv's numbering, then src's new groups and hosts. Adjacency in CSR form. */
typedef struct Union {
  const RtInventory *inv, *src;
  int ng, nh, all;
  int *gmap, *hmap; /* src index → union index */
  int *gsrc;        /* union index past inv's → src index */
  int *pstart, *par, *pseq; /* parents of each group, and each edge's order */
  int *cstart, *chi;        /* children of each group */
  int *dstart, *dir;        /* direct groups of each host */
} Union;

static const char *u_name(const Union *u, int g) {
  return g < u->inv->ngroups ? u->inv->groups[g].name : u->src->groups[u->gsrc[g]].name;
}

/* Builds CSR lists from (key, value, seq) triples. */
static void csr(int n, int m, const int *key, const int *val, const int *seq, int **start,
                int **out, int **oseq) {
  *start = rt_xcalloc((size_t)n + 1, sizeof **start);
  *out = rt_xcalloc((size_t)m + 1, sizeof **out);
  if (oseq)
    *oseq = rt_xcalloc((size_t)m + 1, sizeof **oseq);
  for (int i = 0; i < m; i++)
    (*start)[key[i] + 1]++;
  for (int i = 0; i < n; i++)
    (*start)[i + 1] += (*start)[i];
  int *fill = ints(n);
  for (int i = 0; i < m; i++) {
    int at = (*start)[key[i]] + fill[key[i]]++;
    (*out)[at] = val[i];
    if (oseq)
      (*oseq)[at] = seq[i];
  }
  free(fill);
}

static void union_build(Union *u, const RtInventory *inv, const RtInventory *src) {
  memset(u, 0, sizeof *u);
  u->inv = inv, u->src = src;
  u->ng = inv->ngroups, u->nh = inv->nhosts;
  u->gmap = rt_xcalloc((size_t)src->ngroups + 1, sizeof *u->gmap);
  u->gsrc = rt_xcalloc((size_t)inv->ngroups + (size_t)src->ngroups + 1, sizeof *u->gsrc);
  for (int g = 0; g < src->ngroups; g++) {
    int m = find_group(inv, src->groups[g].name);
    if (m < 0) {
      u->gsrc[u->ng] = g;
      m = u->ng++;
    }
    u->gmap[g] = m;
  }
  u->hmap = rt_xcalloc((size_t)src->nhosts + 1, sizeof *u->hmap);
  for (int h = 0; h < src->nhosts; h++) {
    int m = find_host(inv, src->hosts[h].name);
    u->hmap[h] = m >= 0 ? m : u->nh++;
  }
  u->all = find_group(inv, "all");
  /* edges: inv's, src's, then all → every group without parents */
  int *hasp = ints(u->ng);
  int m = inv->nedges + src->nedges;
  int *a = ints(m + (size_t)u->ng), *b = ints(m + (size_t)u->ng),
      *seq = ints(m + (size_t)u->ng);
  int k = 0;
  for (int i = 0; i < inv->nedges; i++, k++)
    a[k] = inv->edges[i].a, b[k] = inv->edges[i].b;
  for (int i = 0; i < src->nedges; i++, k++)
    a[k] = u->gmap[src->edges[i].a], b[k] = u->gmap[src->edges[i].b];
  for (int i = 0; i < k; i++)
    hasp[b[i]] = 1, seq[i] = i;
  for (int g = 0; g < u->ng; g++)
    if (g != u->all && !hasp[g])
      a[k] = u->all, b[k] = g, seq[k] = k, k++;
  csr(u->ng, k, b, a, seq, &u->pstart, &u->par, &u->pseq);
  csr(u->ng, k, a, b, NULL, &u->cstart, &u->chi, NULL);
  free(a), free(b), free(seq), free(hasp);
  /* memberships */
  m = inv->nmembers + src->nmembers;
  int *mh = ints(m), *mg = ints(m);
  for (int i = 0; i < inv->nmembers; i++)
    mh[i] = inv->members[i].b, mg[i] = inv->members[i].a;
  for (int i = 0; i < src->nmembers; i++)
    mh[inv->nmembers + i] = u->hmap[src->members[i].b],
    mg[inv->nmembers + i] = u->gmap[src->members[i].a];
  csr(u->nh, m, mh, mg, NULL, &u->dstart, &u->dir, NULL);
  free(mh), free(mg);
}

static void union_free(Union *u) {
  free(u->gmap), free(u->hmap), free(u->gsrc);
  free(u->pstart), free(u->par), free(u->pseq);
  free(u->cstart), free(u->chi), free(u->dstart), free(u->dir);
}

/* Kahn's walk from the roots: depth (longest path from "all") of each
 * group, or a cycle. The cycle reported is closed by its latest edge, the
 * one whose addition Ansible refuses. */
static bool union_graph(Union *u, char **err) {
  int *indeg = ints(u->ng), *depth = ints(u->ng);
  int *queue = ints(u->ng), qh = 0, qt = 0;
  for (int g = 0; g < u->ng; g++) {
    indeg[g] = u->pstart[g + 1] - u->pstart[g];
    if (!indeg[g])
      queue[qt++] = g;
  }
  bool ok = true;
  while (qh < qt && ok) {
    int g = queue[qh++];
    for (int e = u->cstart[g]; e < u->cstart[g + 1]; e++) {
      int c = u->chi[e];
      if (depth[g] + 1 > depth[c])
        depth[c] = depth[g] + 1;
      if (depth[c] > RT_INV_MAX_DEPTH) {
        *err = rt_xasprintf("group '%s' is nested more than %d levels deep", u_name(u, c),
                            RT_INV_MAX_DEPTH);
        ok = false;
        break;
      }
      if (--indeg[c] == 0)
        queue[qt++] = c;
    }
  }
  if (ok && qt < u->ng) { /* groups left over sit on or below a cycle: walk up one */
    int *seen = ints(u->ng), v = -1, step = 0;
    for (int g = 0; g < u->ng && v < 0; g++)
      if (indeg[g] > 0)
        v = g;
    int *via = ints(u->ng); /* edge index into par[] taken from v */
    while (!seen[v]) {
      seen[v] = ++step;
      int e = u->pstart[v];
      while (indeg[u->par[e]] == 0) /* a parent still on the cycle's side */
        e++;
      via[v] = e;
      v = u->par[e];
    }
    int best = via[v], start = v;
    for (int w = u->par[via[v]]; w != start; w = u->par[via[w]])
      if (u->pseq[via[w]] > u->pseq[best])
        best = via[w];
    int child = -1;
    for (int g = 0; g < u->ng && child < 0; g++)
      if (seen[g] && via[g] == best)
        child = g;
    *err = rt_xasprintf("Adding group '%s' as child to '%s' creates a recursive dependency loop.",
                        u_name(u, child), u_name(u, u->par[best]));
    ok = false;
    free(seen), free(via);
  }
  free(indeg), free(depth), free(queue);
  return ok;
}

/* Each host's groups, direct and inherited, counted against `most`
 * memberships: the walk stops at the limit, so checking costs at most the
 * limit. */
static bool union_memberships(Union *u, int most_h, int64_t most, char **err) {
  if (u->nh > most_h) {
    *err = rt_xasprintf("the inventory names more than %d hosts", most_h);
    return false;
  }
  int *mark = ints(u->ng), *stack = ints(u->ng);
  int64_t total = 0;
  for (int h = 0; h < u->nh && total <= most; h++) {
    int sp = 0, n = 0;
    for (int e = u->dstart[h]; e < u->dstart[h + 1]; e++)
      if (mark[u->dir[e]] != h + 1)
        mark[u->dir[e]] = h + 1, stack[sp++] = u->dir[e];
    while (sp) {
      int g = stack[--sp];
      n++;
      for (int e = u->pstart[g]; e < u->pstart[g + 1]; e++)
        if (mark[u->par[e]] != h + 1)
          mark[u->par[e]] = h + 1, stack[sp++] = u->par[e];
    }
    total += n > 1 ? n - 1 : 1; /* without "all"; a host of no group joins "ungrouped" */
  }
  free(mark), free(stack);
  if (total > most) {
    *err = rt_xasprintf("the inventory has more than %lld host-group memberships (hosts times "
                        "the groups each belongs to)",
                        (long long)most);
    return false;
  }
  return true;
}

/* Merges a checked source into `inv`, in the source's order. */
/* Merges source `src` into `inv`; a host new to `inv` records `origin` as
 * its source (InventoryData.add_host's current_source). */
static void merge_source(RtInventory *inv, const RtInventory *src, const char *origin) {
  int *gmap = ints(src->ngroups), *hmap = ints(src->nhosts);
  for (int g = 0; g < src->ngroups; g++) {
    gmap[g] = add_group(inv, src->groups[g].name);
    merge_vars(&inv->groups[gmap[g]].vars, src->groups[g].vars, inv->hash_merge);
    if (src->groups[g].priority_set) {
      inv->groups[gmap[g]].priority = src->groups[g].priority;
      inv->groups[gmap[g]].priority_set = true;
    }
  }
  for (int h = 0; h < src->nhosts; h++) {
    int before = inv->nhosts;
    hmap[h] = add_host(inv, src->hosts[h].name);
    if (inv->nhosts > before)
      inv->hosts[hmap[h]].source = rt_xstrdup(origin);
    merge_vars(&inv->hosts[hmap[h]].vars, src->hosts[h].vars, inv->hash_merge);
  }
  for (int e = 0; e < src->nedges; e++)
    add_edge(inv, gmap[src->edges[e].a], gmap[src->edges[e].b]);
  for (int m = 0; m < src->nmembers; m++)
    add_member(inv, gmap[src->members[m].a], hmap[src->members[m].b]);
  free(gmap);
  free(hmap);
}

/* ---- loading ---- */

static bool looks_yaml_name(const char *path) {
  const char *ext = strrchr(path, '.');
  return ext && (!strcmp(ext, ".yml") || !strcmp(ext, ".yaml") || !strcmp(ext, ".json"));
}

/* A file: YAML when it is named so, or when it reads as a YAML mapping
 * (Ansible tries the yaml plugin before the ini plugin); INI otherwise. */
static bool load_file(Src *s, const char **plugin) {
  size_t len;
  char *text = rt_read_file(s->path, &len);
  if (!text) {
    *plugin = NULL;
    return src_fail(s, "Unable to parse %s as an inventory source", s->path);
  }
  char *perr = NULL;
  if (s->inv.vault_run && rt_vault_is_encrypted(text, len)) { /* Ansible's loader decrypts any source */
    char *abs = rt_vault_cwd_path(s->path);
    RtValue *plain = rt_vault_run_decrypt_once(s->inv.vault_run, text, len, abs);
    free(abs);
    free(text);
    if (rt_is_error(plain)) {
      *plugin = NULL;
      bool r = src_fail(s, "%s", plain->u.err.msg);
      rt_decref(plain);
      return r;
    }
    text = rt_xstrndup(plain->u.str.s, plain->u.str.len);
    len = plain->u.str.len;
    rt_decref(plain);
  }
  bool named = looks_yaml_name(s->path), ok;
  RtValue *doc = s->inv.vault_run ? rt_parse_yaml_vault(s->inv.vault_run, text, len, s->path, &perr)
                                  : rt_parse_yaml(text, len, s->path, &perr);
  if (named || (doc && rt_kind(doc) == RT_DICT)) {
    *plugin = "yaml";
    ok = doc ? load_yaml(s, doc) : src_fail(s, "%s", perr);
  } else {
    *plugin = "ini";
    ok = load_ini(s, text);
  }
  rt_decref(doc);
  free(perr);
  free(text);
  return ok;
}

/* The host_list plugin: "a,b:2222," — no ranges, each host in "ungrouped". */
static bool load_host_list(Src *s, const char *source) {
  char *copy = rt_xstrdup(source);
  bool ok = true;
  int ung = find_group(&s->inv, "ungrouped");
  for (char *save = NULL, *t = strtok_r(copy, ",", &save); ok && t;
       t = strtok_r(NULL, ",", &save)) {
    char *name = trim(t);
    if (!*name || find_host(&s->inv, name) >= 0)
      continue;
    HostAdd a = {ung, -1, NULL};
    char *host = split_address(name, false, &a.port);
    if (find_host(&s->inv, host) < 0)
      ok = add_one_host(s, host, &a);
    free(host);
  }
  free(copy);
  return ok;
}

/* InventoryData's start: "all", and "ungrouped" as its first child. */
static void inventory_init(RtInventory *inv) {
  int all = add_group(inv, "all"), ung = add_group(inv, "ungrouped");
  add_edge(inv, all, ung);
}

/* ---- executable inventory scripts (the script plugin) ---- */

/* The script plugin's verify_file: executable, or starting with "#!". */
static bool is_script(const char *path) {
  if (access(path, X_OK) == 0)
    return true;
  char head[2] = {0};
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  size_t n = fread(head, 1, 2, f);
  fclose(f);
  return n == 2 && head[0] == '#' && head[1] == '!';
}

/* Runs `path arg [arg2]` (no shell), its stdout into `out`, its stderr into
 * `errb`; the exit status in *rc (Popen's returncode). False with *err when it
 * could not start. */
static bool run_script(const char *path, const char *arg, const char *arg2, RtBuf *out,
                       RtBuf *errb, int *rc, char **err) {
  int po[2];
  FILE *ef = tmpfile();
  if (!ef || pipe(po) != 0) {
    if (ef)
      fclose(ef);
    *err = rt_xasprintf("problem running %s %s (%s)", path, arg, strerror(errno));
    return false;
  }
  int ex[2]; /* the child reports a failed exec through a close-on-exec pipe */
  if (pipe2(ex, O_CLOEXEC) != 0) {
    close(po[0]), close(po[1]), fclose(ef);
    *err = rt_xasprintf("problem running %s %s (%s)", path, arg, strerror(errno));
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(po[1], 1);
    dup2(fileno(ef), 2);
    close(po[0]), close(po[1]), close(ex[0]);
    char *argv[] = {(char *)path, (char *)arg, (char *)arg2, NULL};
    execv(path, argv);
    int e = errno;
    if (write(ex[1], &e, sizeof e) < 0)
      _exit(127);
    _exit(127);
  }
  close(po[1]), close(ex[1]);
  if (pid < 0) {
    close(po[0]), close(ex[0]), fclose(ef);
    *err = rt_xasprintf("problem running %s %s (%s)", path, arg, strerror(errno));
    return false;
  }
  char chunk[4096];
  for (;;) {
    ssize_t n = read(po[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    rt_buf_add(out, chunk, (size_t)n);
  }
  close(po[0]);
  int st = 0, e = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  bool started = read(ex[0], &e, sizeof e) != (ssize_t)sizeof e;
  close(ex[0]);
  rewind(ef);
  for (size_t n; (n = fread(chunk, 1, sizeof chunk, ef)) > 0;)
    rt_buf_add(errb, chunk, n);
  fclose(ef);
  if (!started) { /* OSError from Popen, as Python words it */
    *err = rt_xasprintf("problem running %s %s%s%s ([Errno %d] %s: '%s')", path, arg,
                        arg2 ? " " : "", arg2 ? arg2 : "", e, strerror(e), path);
    return false;
  }
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
  return true;
}

/* InventoryData.set_variable for a group (ansible_group_priority is a
 * setting) or a host. */
static void script_vars(Src *s, int g, int h, const RtValue *vars) {
  for (size_t i = 0; vars && i < vars->u.dict.len; i++) {
    const char *k = vars->u.dict.ents[i].key->u.str.s;
    RtValue *v = rt_incref(vars->u.dict.ents[i].val);
    if (g >= 0)
      set_group_var(&s->inv, g, k, v);
    else
      set_var(&s->inv.hosts[h].vars, k, v);
  }
}

/* The script plugin's _parse_group: a list of hosts, or {hosts: [..],
 * vars: {..}, children: [..]}, or a dict of none of those keys (the group's
 * vars, the group holding a host of its name). */
static bool script_group(Src *s, const char *name, const RtValue *data) {
  int g = add_group(&s->inv, name);
  RtValue *hosts = NULL, *vars = NULL, *children = NULL;
  if (rt_kind(data) != RT_DICT) {
    hosts = (RtValue *)data;
  } else if (!rt_dict_get(data, "hosts") && !rt_dict_get(data, "vars") &&
             !rt_dict_get(data, "children")) {
    int h = add_host(&s->inv, name);
    add_member(&s->inv, g, h);
    vars = (RtValue *)data;
  } else {
    hosts = rt_dict_get(data, "hosts");
    vars = rt_dict_get(data, "vars");
    children = rt_dict_get(data, "children");
  }
  if (hosts || (rt_kind(data) == RT_DICT && rt_dict_get(data, "hosts"))) {
    if (rt_kind(hosts) != RT_LIST) {
      RtBuf t = {0};
      rt_render_str(&t, data);
      src_fail(s, "You defined a group '%s' with bad data for the host list:\n %s", name,
               t.data ? t.data : "");
      rt_buf_free(&t);
      return false;
    }
    for (size_t i = 0; i < rt_len(hosts); i++) {
      RtBuf t = {0};
      rt_render_str(&t, rt_list_at(hosts, i));
      int h = add_host(&s->inv, t.data ? t.data : "");
      add_member(&s->inv, g, h);
      rt_buf_free(&t);
    }
  }
  if (vars) {
    if (rt_kind(vars) != RT_DICT) {
      RtBuf t = {0};
      rt_render_str(&t, data);
      src_fail(s, "You defined a group '%s' with bad data for variables:\n %s", name,
               t.data ? t.data : "");
      rt_buf_free(&t);
      return false;
    }
    script_vars(s, g, -1, vars);
  }
  if (children) {
    size_t n = rt_kind(children) == RT_LIST || rt_kind(children) == RT_DICT ? rt_len(children) : 0;
    for (size_t i = 0; i < n; i++) {
      RtBuf t = {0};
      if (rt_kind(children) == RT_LIST)
        rt_render_str(&t, rt_list_at(children, i));
      else
        rt_buf_puts(&t, children->u.dict.ents[i].key->u.str.s);
      int c = add_group(&s->inv, t.data ? t.data : "");
      rt_buf_free(&t);
      if (!src_child(s, g, c))
        return false;
    }
  }
  return true;
}

/* The script plugin: `path --list` gives the groups (JSON), `_meta.hostvars`
 * the hosts' vars, or else `path --host H` for each host. */
static bool load_script(Src *s) {
  RtBuf out = {0}, eb = {0};
  int rc = 0;
  char *err = NULL;
  bool ok = false;
  RtValue *doc = NULL;
  if (!run_script(s->path, "--list", NULL, &out, &eb, &rc, &err)) {
    src_fail(s, "%s", err);
    goto done;
  }
  if (eb.len && eb.data[eb.len - 1] != '\n')
    rt_buf_putc(&eb, '\n');
  const char *etext = eb.data ? eb.data : "";
  if (rc != 0) {
    src_fail(s, "Inventory script (%s) had an execution error: %s ", s->path, etext);
    goto done;
  }
  char *perr = NULL;
  doc = rt_parse_json(out.data ? out.data : "", out.len, &perr);
  if (!doc) {
    src_fail(s, "failed to parse executable inventory script results from %s: %s\n%s", s->path,
             perr ? perr : "", etext);
    free(perr);
    goto done;
  }
  if (rt_kind(doc) != RT_DICT) {
    src_fail(s, "failed to parse executable inventory script results from %s: needs to be a "
                "json dict\n%s",
             s->path, etext);
    goto done;
  }
  const RtValue *meta = NULL;
  int nbefore = s->inv.nhosts;
  for (size_t i = 0; i < doc->u.dict.len; i++) {
    const char *g = doc->u.dict.ents[i].key->u.str.s;
    const RtValue *gd = doc->u.dict.ents[i].val;
    if (!strcmp(g, "_meta")) {
      if (rt_kind(gd) == RT_DICT && rt_dict_get(gd, "hostvars"))
        meta = rt_dict_get(gd, "hostvars");
    } else if (!script_group(s, g, gd)) {
      goto done;
    }
  }
  for (int h = nbefore; h < s->inv.nhosts; h++) {
    const char *name = s->inv.hosts[h].name;
    RtValue *got = NULL;
    if (meta) {
      if (rt_kind(meta) != RT_DICT) {
        src_fail(s, "Improperly formatted host information for %s: 'list' object has no "
                    "attribute 'get'",
                 name);
        goto done;
      }
      got = rt_incref(rt_dict_get(meta, name));
    } else {
      RtBuf ho = {0}, he = {0};
      int hrc = 0;
      if (!run_script(s->path, "--host", name, &ho, &he, &hrc, &err)) {
        src_fail(s, "%s", err);
        rt_buf_free(&ho), rt_buf_free(&he);
        goto done;
      }
      /* out.strip() == '' compares bytes with str in 2.14: never true, so
       * empty output is read too (as None) */
      char *herr = NULL;
      got = rt_parse_yaml(ho.data ? ho.data : "", ho.len, s->path, &herr);
      if (!got)
        src_fail(s, "could not parse post variable response: ['%s', '--host', '%s'], %s",
                 s->path, name, ho.data ? ho.data : "");
      free(herr);
      rt_buf_free(&ho), rt_buf_free(&he);
      if (s->err)
        goto done;
    }
    if (!got && meta) { /* data_from_meta.get(host, {}) */
    } else if (rt_kind(got) != RT_DICT) { /* _populate_host_vars */
      RtBuf t = {0};
      rt_render_str(&t, got);
      src_fail(s, "Invalid data from file, expected dictionary and got:\n\n%s", t.data ? t.data : "");
      rt_buf_free(&t);
      rt_decref(got);
      goto done;
    } else {
      script_vars(s, -1, h, got);
    }
    rt_decref(got);
  }
  ok = true;
done:
  rt_decref(doc);
  free(err);
  rt_buf_free(&out);
  rt_buf_free(&eb);
  return ok;
}

/* ---- sources ---- */

/* One file or host list: parsed into a source of its own, checked, merged. */
static bool load_source(RtInventory *inv, const char *source, char **err) {
  Src s = {{0}, source, 0, NULL};
  s.inv.max_hosts = inv->max_hosts;
  s.inv.vault_run = inv->vault_run;
  s.inv.hash_merge = inv->hash_merge;
  inventory_init(&s.inv);
  struct stat st;
  const char *plugin = "host_list";
  bool ok;
  char *script_err = NULL;
  if (stat(source, &st) != 0 && strchr(source, ',')) {
    ok = load_host_list(&s, source);
  } else if (stat(source, &st) == 0 && S_ISREG(st.st_mode) && !inv->no_scripts &&
             is_script(source)) {
    plugin = "script";
    ok = load_script(&s);
    if (!ok) { /* the plugins after it may still take the file */
      script_err = s.err;
      rt_inventory_free(&s.inv);
      memset(&s, 0, sizeof s);
      s.path = source;
      s.inv.max_hosts = inv->max_hosts;
      s.inv.hash_merge = inv->hash_merge;
      inventory_init(&s.inv);
      ok = load_file(&s, &plugin);
    }
  } else {
    ok = load_file(&s, &plugin);
  }
  Union u;
  if (ok) {
    union_build(&u, inv, &s.inv);
    ok = union_graph(&u, &s.err) &&
         union_memberships(&u, most_hosts(inv), most_memberships(inv), &s.err);
    union_free(&u);
  }
  if (ok) { /* a path source as Ansible's CLI unfracks it, a host list as given */
    char *origin = plugin && strcmp(plugin, "host_list") == 0 ? rt_xstrdup(source) : rt_path_abspath(source);
    merge_source(inv, &s.inv, origin);
    free(origin);
  }
  else if (script_err && plugin)
    *err = rt_xasprintf("Failed to parse %s with script plugin: %s\x1f"
                        "Failed to parse %s with %s plugin: %s",
                        source, script_err, source, plugin, s.err);
  else if (script_err)
    *err = rt_xasprintf("Failed to parse %s with script plugin: %s", source, script_err);
  else if (plugin)
    *err = rt_xasprintf("Failed to parse %s with %s plugin: %s", source, plugin, s.err);
  else
    *err = rt_xstrdup(s.err);
  free(script_err);
  free(s.err);
  rt_inventory_free(&s.inv);
  return ok;
}

void rt_inventory_warn_failed(const char *source, const char *err) {
  if (strncmp(err, "Failed to parse ", 16) == 0) { /* as InventoryManager.parse_source words it */
    for (const char *p = err, *e; p; p = e ? e + 1 : NULL) { /* one per plugin that tried */
      e = strchr(p, '\x1f');
      rt_out_warning(NULL, " * %.*s", e ? (int)(e - p) : (int)strlen(p), p);
    }
    rt_out_warning(NULL, "Unable to parse %s as an inventory source", source);
  } else {
    rt_out_warning(NULL, "%s", err);
  }
}

/* INVENTORY_IGNORE_EXTS (REJECT_EXTS and .orig .ini .cfg .retry) and the
 * names a folder source always skips. */
static bool ignored_entry(const char *name) {
  static const char *const exts[] = {".pyc", ".pyo", ".swp", ".bak", "~",    ".rpm", ".md",
                                     ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry"};
  if (name[0] == '.' || !strcmp(name, "host_vars") || !strcmp(name, "group_vars") ||
      !strcmp(name, "vars_plugins"))
    return true;
  size_t n = strlen(name);
  for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
    size_t k = strlen(exts[i]);
    if (n >= k && !strcmp(name + n - k, exts[i]))
      return true;
  }
  return false;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of folder `dir` in sorted order (Python's sorted(os.listdir)),
 * without "." and ".."; NULL when it cannot be read. */
static char **list_dir(const char *dir, int *n) {
  DIR *d = opendir(dir);
  *n = 0;
  if (!d)
    return NULL;
  char **names = NULL;
  int cap = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      names = rt_xrealloc(names, sizeof *names * (size_t)cap);
    }
    names[(*n)++] = rt_xstrdup(e->d_name);
  }
  closedir(d);
  if (*n)
    qsort(names, (size_t)*n, sizeof *names, cmp_names);
  return names;
}

static void free_names(char **names, int n) {
  for (int i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* parse_source: a folder is each of its entries, sorted, recursively; the
 * entries that fail are warned about; true when any of them loaded. */
static bool load_path(RtInventory *inv, const char *source, int depth, char **err) {
  struct stat st;
  if (stat(source, &st) != 0 || !S_ISDIR(st.st_mode))
    return load_source(inv, source, err);
  int n = 0;
  char **names = depth < RT_MAX_DEPTH ? list_dir(source, &n) : NULL;
  bool any = false;
  for (int i = 0; i < n; i++) {
    if (ignored_entry(names[i]))
      continue;
    char *path = rt_xasprintf("%s/%s", source, names[i]);
    char *e = NULL;
    if (load_path(inv, path, depth + 1, &e))
      any = true;
    else if (e)
      rt_inventory_warn_failed(path, e);
    free(e);
    free(path);
  }
  free_names(names, n);
  if (!any)
    *err = rt_xasprintf("Unable to parse %s as an inventory source", source);
  return any;
}

/* get_vars_from_inventory_sources: the folder of each source that is not a
 * host list (the source itself when it is a folder). */
static void add_vars_dir(RtInventory *inv, const char *source) {
  struct stat st;
  bool exists = stat(source, &st) == 0;
  if (!exists && strchr(source, ','))
    return;
  char *dir;
  if (exists && S_ISDIR(st.st_mode)) {
    dir = rt_xstrdup(source);
  } else {
    const char *slash = strrchr(source, '/');
    dir = slash == source ? rt_xstrdup("/") : slash ? rt_xstrndup(source, (size_t)(slash - source))
                                                    : rt_xstrdup("");
  }
  inv->vars_dirs = rt_xrealloc(inv->vars_dirs, sizeof *inv->vars_dirs * (size_t)(inv->nvars_dirs + 1));
  inv->vars_dirs[inv->nvars_dirs++] = dir;
}

bool rt_inventory_load(RtInventory *inv, const char *source, char **err) {
  inventory_init(inv);
  add_vars_dir(inv, source);
  return load_path(inv, source, 0, err);
}

void rt_inventory_warn_conflicts(const RtInventory *inv) {
  for (int h = 0; h < inv->nhosts; h++) /* reconcile_inventory's (set order: host order here) */
    if (find_group(inv, inv->hosts[h].name) >= 0)
      rt_out_warning(NULL, "Found both group and host with same name: %s", inv->hosts[h].name);
}

int rt_inventory_implicit_localhost(RtInventory *inv) {
  int i = find_host(inv, "localhost");
  if (i >= 0)
    return i;
  i = add_host(inv, "localhost");
  set_var(&inv->hosts[i].vars, "ansible_connection", rt_strz("local"));
  inv->hosts[i].implicit = true;
  return i;
}

/* ---- reconciling ---- */

static int cmp_group_names(const void *a, const void *b, void *ctx) {
  const RtInventory *inv = ctx;
  return strcmp(inv->groups[*(const int *)a].name, inv->groups[*(const int *)b].name);
}

/* Host h's groups, direct and inherited, into out[] (returns how many);
 * mark[] must not hold h + 1 yet. */
static int closure(const RtInventory *inv, int h, int *mark, int *stack, int *out) {
  int sp = 0, n = 0;
  const RtInvHost *ho = &inv->hosts[h];
  for (int i = 0; i < ho->ndirect; i++)
    if (mark[ho->direct[i]] != h + 1)
      mark[ho->direct[i]] = h + 1, stack[sp++] = ho->direct[i];
  while (sp) {
    int g = stack[--sp];
    out[n++] = g;
    const RtInvGroup *gr = &inv->groups[g];
    for (int i = 0; i < gr->nparents; i++)
      if (mark[gr->parents[i]] != h + 1)
        mark[gr->parents[i]] = h + 1, stack[sp++] = gr->parents[i];
  }
  return n;
}

/* Drops the memberships of "ungrouped" that `drop` marks. */
static void drop_ungrouped(RtInventory *inv, int ung, const bool *drop) {
  int k = 0;
  for (int i = 0; i < inv->nmembers; i++)
    if (!(inv->members[i].a == ung && drop[inv->members[i].b]))
      inv->members[k++] = inv->members[i];
  inv->nmembers = k;
  rt_index_rebuild(&inv->member_index, (uint32_t)k, member_key, inv);
  RtInvGroup *g = &inv->groups[ung];
  k = 0;
  for (int i = 0; i < g->nhosts; i++)
    if (!drop[g->hosts[i]])
      g->hosts[k++] = g->hosts[i];
  g->nhosts = k;
  for (int h = 0; h < inv->nhosts; h++) {
    if (!drop[h])
      continue;
    RtInvHost *ho = &inv->hosts[h];
    k = 0;
    for (int i = 0; i < ho->ndirect; i++)
      if (ho->direct[i] != ung)
        ho->direct[k++] = ho->direct[i];
    ho->ndirect = k;
  }
}

/* Group.depth: the longest path from "all", by Kahn's walk. */
static void compute_depths(RtInventory *inv) {
  int *indeg = ints(inv->ngroups);
  int *queue = ints(inv->ngroups), qh = 0, qt = 0;
  for (int g = 0; g < inv->ngroups; g++) {
    inv->groups[g].depth = 0;
    indeg[g] = inv->groups[g].nparents;
    if (!indeg[g])
      queue[qt++] = g;
  }
  while (qh < qt) {
    const RtInvGroup *gr = &inv->groups[queue[qh++]];
    for (int i = 0; i < gr->nchildren; i++) {
      RtInvGroup *c = &inv->groups[gr->children[i]];
      if (gr->depth + 1 > c->depth)
        c->depth = gr->depth + 1;
      if (--indeg[gr->children[i]] == 0)
        queue[qt++] = gr->children[i];
    }
  }
  free(indeg);
  free(queue);
}

void rt_inventory_finish(RtInventory *inv) {
  inventory_init(inv);
  int all = find_group(inv, "all"), ung = find_group(inv, "ungrouped");
  if (!inv->dirty)
    return;
  for (int g = 0; g < inv->ngroups; g++) /* reconcile_inventory: top-level groups under all */
    if (g != all && inv->groups[g].nparents == 0)
      add_edge(inv, all, g);
  int *mark = ints(inv->ngroups);
  int *stack = ints(inv->ngroups);
  int *gs = ints(inv->ngroups);
  bool *drop = rt_xcalloc((size_t)inv->nhosts + 1, sizeof *drop), any_drop = false;
  for (int h = 0; h < inv->nhosts; h++) { /* hosts of no group join "ungrouped"; others leave it */
    if (inv->hosts[h].implicit)
      continue;
    int n = closure(inv, h, mark, stack, gs);
    bool other = false;
    for (int i = 0; i < n; i++)
      other |= gs[i] != all && gs[i] != ung;
    bool in_ung = is_member(inv, ung, h);
    if (in_ung && other)
      drop[h] = any_drop = true;
    else if (!in_ung && !other)
      add_member(inv, ung, h);
  }
  if (any_drop)
    drop_ungrouped(inv, ung, drop);
  compute_depths(inv);
  memset(mark, 0, sizeof *mark * (size_t)inv->ngroups);
  for (int h = 0; h < inv->nhosts; h++) { /* group_names */
    RtInvHost *ho = &inv->hosts[h];
    free(ho->groups);
    ho->groups = NULL;
    ho->ngroups = 0;
    if (ho->implicit)
      continue;
    int n = closure(inv, h, mark, stack, gs), k = 0;
    ho->groups = rt_xcalloc((size_t)n + 1, sizeof *ho->groups);
    for (int i = 0; i < n; i++)
      if (gs[i] != all)
        ho->groups[k++] = gs[i];
    ho->ngroups = k;
    qsort_r(ho->groups, (size_t)k, sizeof *ho->groups, cmp_group_names, inv);
  }
  free(mark), free(stack), free(gs), free(drop);
  rt_decref(inv->groups_value);
  inv->groups_value = NULL;
  inv->dirty = false;
}

/* ---- patterns ---- */

/* Scratch for walks over one inventory: marks stamped per walk. */
typedef struct Walk {
  const RtInventory *inv;
  unsigned *gmark, *hmark, stamp;
  int *queue;
} Walk;

static void walk_init(Walk *w, const RtInventory *inv) {
  w->inv = inv;
  w->gmark = rt_xcalloc((size_t)inv->ngroups + 1, sizeof *w->gmark);
  w->hmark = rt_xcalloc((size_t)inv->nhosts + 1, sizeof *w->hmark);
  w->queue = rt_xcalloc((size_t)inv->ngroups + 1, sizeof *w->queue);
  w->stamp = 0;
}

static void walk_free(Walk *w) {
  free(w->gmark), free(w->hmark), free(w->queue);
}

/* Group.get_hosts: the group's hosts, then its children's level by level,
 * each once; "all" leaves out the implicit localhost. Appended to out. */
static void group_hosts(Walk *w, int g, int **out, int *n, int *cap) {
  const RtInventory *inv = w->inv;
  unsigned st = ++w->stamp;
  int qh = 0, qt = 0;
  w->queue[qt++] = g;
  w->gmark[g] = st;
  bool all = strcmp(inv->groups[g].name, "all") == 0;
  while (qh < qt) {
    const RtInvGroup *gr = &inv->groups[w->queue[qh++]];
    for (int i = 0; i < gr->nhosts; i++) {
      int h = gr->hosts[i];
      if (w->hmark[h] != st && !(all && inv->hosts[h].implicit)) {
        w->hmark[h] = st;
        push_int(out, n, cap, h);
      }
    }
    for (int i = 0; i < gr->nchildren; i++)
      if (w->gmark[gr->children[i]] != st)
        w->gmark[gr->children[i]] = st, w->queue[qt++] = gr->children[i];
  }
}

/* _match_list: a glob (fnmatch.translate, case-sensitive) or a ~regex,
 * both matched from the start of the name (re.match). */
static bool name_matches(const char *pattern, pcre2_code *re, const char *name) {
  if (!re)
    return fnmatch(pattern, name, FNM_NOESCAPE) == 0;
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  int rc = pcre2_match(re, (PCRE2_SPTR)name, strlen(name), 0, PCRE2_ANCHORED, md, NULL);
  pcre2_match_data_free(md);
  return rc >= 0;
}

/* A pattern's [i] or [i:j] subscript, cut off in place (_split_subscript). */
static bool split_subscript(char *p, long *start, long *end) {
  size_t n = strlen(p);
  if (n < 4 || p[n - 1] != ']' || p[0] == '~')
    return false;
  char *lb = strrchr(p, '[');
  if (!lb || lb == p)
    return false;
  char *s = lb + 1, *e;
  long a = strtol(s, &e, 10);
  if (e == s || (*s == '+'))
    return false;
  if (*e == ']' && e == p + n - 1) {
    *start = a, *end = LONG_MIN; /* a single index */
  } else if ((*e == ':' || *e == '-') && *s != '-') {
    char *f = e + 1, *g;
    long b = strtol(f, &g, 10);
    if (g == f)
      b = -1; /* x: runs to the end */
    else if (*f == '-' || *f == '+')
      return false;
    if (*g != ']' || g != p + n - 1)
      return false;
    *start = a, *end = b;
  } else {
    return false;
  }
  *lb = 0;
  return true;
}

/* _apply_subscript: [i] one host (Python indexing), [i:j] the slice i..j. */
static void apply_subscript(int *hosts, int *n, long start, long end) {
  if (end == LONG_MIN || end == 0) { /* Ansible tests `if end:`, so [i:0] is [i] */
    long i = start < 0 ? start + *n : start;
    if (i < 0 || i >= *n) {
      *n = 0;
      return;
    }
    hosts[0] = hosts[i];
    *n = 1;
    return;
  }
  if (end == -1)
    end = *n - 1;
  long lo = start < *n ? start : *n, hi = end + 1 < *n ? end + 1 : *n;
  int k = 0;
  for (long i = lo; i < hi; i++)
    hosts[k++] = hosts[i];
  *n = k;
}

/* _match_one_pattern: the groups a pattern names (all their hosts), hosts
 * it names, or for no match at all a localhost name's implicit host. */
static void match_one(Walk *w, char *pat, int **out, int *n, int *cap) {
  const RtInventory *inv = w->inv;
  long start = 0, end = 0;
  bool sub = split_subscript(pat, &start, &end);
  pcre2_code *re = NULL;
  if (pat[0] == '~') {
    int ec;
    PCRE2_SIZE eo;
    re = pcre2_compile((PCRE2_SPTR)(pat + 1), PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
    if (!re)
      return; /* not a regular expression: it matches nothing */
  }
  bool special = re || strpbrk(pat, ".?*[") != NULL, groups = false;
  for (int g = 0; g < inv->ngroups; g++)
    if (re || special ? name_matches(pat, re, inv->groups[g].name)
                      : strcmp(pat, inv->groups[g].name) == 0) {
      group_hosts(w, g, out, n, cap);
      groups = true;
    }
  if (!groups || special) {
    if (!re && !special) {
      int h = find_host(inv, pat);
      if (h >= 0 && !inv->hosts[h].implicit)
        push_int(out, n, cap, h);
    } else {
      for (int h = 0; h < inv->nhosts; h++)
        if (!inv->hosts[h].implicit && name_matches(pat, re, inv->hosts[h].name))
          push_int(out, n, cap, h);
    }
  }
  if (*n == 0 && (!strcmp(pat, "localhost") || !strcmp(pat, "127.0.0.1") || !strcmp(pat, "::1"))) {
    int h = find_host(inv, pat);
    if (h >= 0)
      push_int(out, n, cap, h);
  }
  if (re)
    pcre2_code_free(re);
  if (sub)
    apply_subscript(*out, n, start, end);
}

/* split_host_pattern: at commas when there are any, else at colons outside
 * brackets unless the whole reads as one address (IPv6, host:port). */
static int split_patterns(char *text, char **parts, int max) {
  int n = 0;
  if (strchr(text, ',')) {
    for (char *p = text, *c; p && n < max; p = c) {
      c = strchr(p, ',');
      if (c)
        *c++ = 0;
      parts[n++] = p;
    }
  } else {
    long port;
    char *addr = split_address(text, true, &port);
    bool single = port >= 0 || valid_ipv6(addr);
    free(addr);
    if (single) {
      parts[n++] = text;
    } else {
      for (char *p = text; *p && n < max;) {
        while (*p == ':' || isspace((unsigned char)*p))
          *p++ = 0;
        if (!*p)
          break;
        parts[n++] = p;
        while (*p && *p != ':' && !isspace((unsigned char)*p)) {
          if (*p == '[' && strchr(p, ']'))
            p = strchr(p, ']');
          p++;
        }
      }
    }
  }
  int k = 0;
  for (int i = 0; i < n; i++)
    if (*(parts[i] = trim(parts[i])))
      parts[k++] = parts[i];
  return k;
}

int *rt_inventory_match(RtInventory *inv, const char *pattern, int *count) {
  char *text = rt_xstrdup(pattern);
  size_t max = strlen(text) + 2;
  char **parts = rt_xcalloc(max, sizeof *parts), **order = rt_xcalloc(max + 1, sizeof *order);
  int np = split_patterns(text, parts, (int)max), no = 0;
  for (int pass = 0; pass < 3; pass++) /* order_patterns: plain, then &, then ! */
    for (int i = 0; i < np; i++)
      if ((pass == 0 && parts[i][0] != '&' && parts[i][0] != '!') ||
          (pass == 1 && parts[i][0] == '&') || (pass == 2 && parts[i][0] == '!'))
        order[no++] = parts[i];
  char all[] = "all";
  if (no && (order[0][0] == '&' || order[0][0] == '!')) {
    memmove(order + 1, order, sizeof *order * (size_t)no++);
    order[0] = all;
  }
  Walk w;
  walk_init(&w, inv);
  bool *in = rt_xcalloc((size_t)inv->nhosts + 1, sizeof *in);
  bool *that_in = rt_xcalloc((size_t)inv->nhosts + 1, sizeof *that_in);
  int *res = NULL, nres = 0, capres = 0, *that = NULL, nthat = 0, capthat = 0;
  for (int i = 0; i < no; i++) {
    char *p = order[i];
    nthat = 0;
    int h = find_host(inv, p);
    if (h >= 0) {
      push_int(&that, &nthat, &capthat, h);
    } else {
      match_one(&w, p + (p[0] == '&' || p[0] == '!'), &that, &nthat, &capthat);
    }
    if (h < 0 && (p[0] == '&' || p[0] == '!')) {
      for (int k = 0; k < nthat; k++)
        that_in[that[k]] = true;
      int k = 0;
      for (int j = 0; j < nres; j++) {
        bool keep = p[0] == '&' ? that_in[res[j]] : !that_in[res[j]];
        if (keep)
          res[k++] = res[j];
        else
          in[res[j]] = false;
      }
      nres = k;
      for (int j = 0; j < nthat; j++)
        that_in[that[j]] = false;
    } else {
      for (int k = 0; k < nthat; k++)
        if (!in[that[k]]) {
          in[that[k]] = true;
          push_int(&res, &nres, &capres, that[k]);
        }
    }
  }
  walk_free(&w);
  free(in), free(that_in), free(that), free(parts), free(order), free(text);
  *count = nres;
  if (!res)
    res = rt_xcalloc(1, sizeof *res);
  return res;
}

/* ---- variables ---- */

/* sort_groups: by (depth, priority, name). */
static int cmp_groups(const void *a, const void *b, void *ctx) {
  const RtInventory *inv = ctx;
  const RtInvGroup *x = &inv->groups[*(const int *)a], *y = &inv->groups[*(const int *)b];
  if (x->depth != y->depth)
    return x->depth - y->depth;
  if (x->priority != y->priority)
    return x->priority < y->priority ? -1 : 1;
  return strcmp(x->name, y->name);
}

static void merge_into(const RtInventory *inv, RtValue *dst, const RtValue *src) {
  for (size_t i = 0; src && i < src->u.dict.len; i++)
    rt_combine_set(dst, src->u.dict.ents[i].key->u.str.s, rt_incref(src->u.dict.ents[i].val), inv->hash_merge);
}

/* ---- group_vars/ and host_vars/ beside the sources (host_group_vars) ---- */

/* Appends the files of folder `path` to `out`, sorted, recursively
 * (_get_dir_vars_files: hidden and backup files skipped; files with no
 * extension or a YAML one; folders without an extension). */
static void dir_vars_files(const char *path, int depth, char ***out, int *n, int *cap) {
  int k = 0;
  char **names = depth < RT_MAX_DEPTH ? list_dir(path, &k) : NULL;
  for (int i = 0; i < k; i++) {
    const char *nm = names[i];
    size_t len = strlen(nm);
    if (nm[0] == '.' || nm[len - 1] == '~')
      continue;
    const char *dot = strrchr(nm, '.'); /* os.path.splitext: a leading dot is no extension */
    const char *ext = dot && dot != nm ? dot : "";
    char *full = rt_xasprintf("%s/%s", path, nm);
    struct stat st;
    if (stat(full, &st) == 0 && S_ISDIR(st.st_mode) && !*ext) {
      dir_vars_files(full, depth + 1, out, n, cap);
    } else if (stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
               (!*ext || !strcmp(ext, ".yml") || !strcmp(ext, ".yaml") || !strcmp(ext, ".json"))) {
      if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *out = rt_xrealloc(*out, sizeof **out * (size_t)*cap);
      }
      (*out)[(*n)++] = full;
      full = NULL;
    }
    free(full);
  }
  free_names(names, k);
}

/* Python's bool() of loaded data: `if new_data:` skips empty files. */
static bool py_truthy(const RtValue *v) {
  switch (rt_kind(v)) {
  case RT_NONE: return false;
  case RT_BOOL: return rt_as_bool(v);
  case RT_INT: return rt_as_int(v) != 0;
  case RT_FLOAT: return v->u.f != 0;
  case RT_STR: case RT_LIST: case RT_DICT: return rt_len(v) != 0;
  default: return true;
  }
}

/* One vars file, read as the loader reads it (vault text opened first).
 * NULL with *err on a bad file. */
static RtValue *load_vars_file(RtInventory *inv, const char *file, char **err) {
  size_t len;
  char *text = rt_read_file(file, &len);
  if (!text) {
    *err = rt_xasprintf("Unable to read %s", file);
    return NULL;
  }
  RtValue *plain = NULL;
  if (rt_vault_is_encrypted(text, len)) { /* opened with the run's vault secrets */
    if (!inv->vault_run) {
      *err = rt_xasprintf("%s is vault encrypted and no vault secrets were given", file);
      free(text);
      return NULL;
    }
    char *abs = rt_vault_cwd_path(file);
    plain = rt_vault_run_decrypt_once(inv->vault_run, text, len, abs);
    free(abs);
    free(text);
    text = NULL;
    if (rt_is_error(plain)) {
      *err = rt_xstrdup(plain->u.err.msg);
      rt_decref(plain);
      return NULL;
    }
  }
  char *perr = NULL;
  const char *src = plain ? plain->u.str.s : text;
  size_t srclen = plain ? plain->u.str.len : len;
  RtValue *v = inv->vault_run ? rt_parse_yaml_vault(inv->vault_run, src, srclen, file, &perr)
                              : rt_parse_yaml(src, srclen, file, &perr);
  if (!v) {
    *err = rt_xasprintf("Syntax Error while loading YAML in %s: %s", file, perr ? perr : "");
    free(perr);
  }
  rt_decref(plain);
  free(text);
  return v;
}

/* host_group_vars.get_vars for one entity over every source folder:
 * its files merged (combine_vars, replace), empty files ignored; NULL when
 * there are none. */
static bool entity_vars(RtInventory *inv, const char *sub, const char *name, RtValue **out,
                        char **err) {
  *out = NULL;
  if (name[0] == '/') /* 'chroot' type names */
    return true;
  for (int d = 0; d < inv->nvars_dirs; d++) {
    const char *base = inv->vars_dirs[d];
    char *opath = rt_xasprintf("%s%s%s", base, *base && base[strlen(base) - 1] != '/' ? "/" : "", sub);
    struct stat st;
    int nf = 0, cap = 0;
    char **files = NULL;
    if (stat(opath, &st) == 0 && S_ISDIR(st.st_mode)) {
      static const char *const exts[] = {"", ".yml", ".yaml", ".json"};
      for (size_t e = 0; e < sizeof exts / sizeof *exts; e++) {
        char *full = rt_xasprintf("%s/%s%s", opath, name, exts[e]);
        if (stat(full, &st) != 0) { /* find_vars_files: the first that exists */
          free(full);
          continue;
        }
        if (S_ISDIR(st.st_mode)) {
          dir_vars_files(full, 0, &files, &nf, &cap);
          free(full);
        } else {
          files = rt_xrealloc(files, sizeof *files);
          files[nf++] = full;
        }
        break;
      }
    }
    free(opath);
    bool ok = true;
    for (int f = 0; f < nf; f++) {
      RtValue *v = ok ? load_vars_file(inv, files[f], err) : NULL;
      if (ok && !v) {
        ok = false;
      } else if (ok && py_truthy(v)) {
        if (rt_kind(v) != RT_DICT) {
          *err = rt_xasprintf("failed to combine variables, expected dicts but got a 'dict' and "
                              "a '%s' in %s",
                              rt_kind(v) == RT_LIST ? "list" : rt_kind(v) == RT_STR ? "str" : "int",
                              files[f]);
          ok = false;
        } else {
          merge_vars(out, v, inv->hash_merge);
        }
      }
      rt_decref(v);
      free(files[f]);
    }
    free(files);
    if (!ok) {
      rt_decref(*out);
      *out = NULL;
      return false;
    }
  }
  return true;
}

bool rt_inventory_load_vars(RtInventory *inv, char **err) {
  for (int g = 0; g < inv->ngroups; g++) {
    RtInvGroup *gr = &inv->groups[g];
    if (gr->file_vars_done)
      continue;
    gr->file_vars_done = true;
    if (!entity_vars(inv, "group_vars", gr->name, &gr->file_vars, err))
      return false;
  }
  for (int h = 0; h < inv->nhosts; h++) {
    RtInvHost *ho = &inv->hosts[h];
    if (ho->file_vars_done)
      continue;
    ho->file_vars_done = true;
    if (!entity_vars(inv, "host_vars", ho->name, &ho->file_vars, err))
      return false;
  }
  if (!inv->localhost_file_vars_done && find_host(inv, "localhost") < 0) {
    inv->localhost_file_vars_done = true; /* hostvars shows the implicit localhost */
    if (!entity_vars(inv, "host_vars", "localhost", &inv->localhost_file_vars, err))
      return false;
  }
  return true;
}

/* ---- variables ---- */

RtValue *rt_inventory_host_vars_with(RtInventory *inv, int i, RtInvVarsFn pb, void *ctx) {
  RtValue *d = rt_dict_new(16);
  const RtInvHost *h = &inv->hosts[i];
  int all = find_group(inv, "all");
  /* VARIABLE_PRECEDENCE's default order: all_inventory, groups_inventory,
   * all_plugins_inventory, all_plugins_play, groups_plugins_inventory,
   * groups_plugins_play: every group's inventory file vars come before any
   * group_vars/ file, even group_vars/all */
  int *gs = rt_xcalloc((size_t)h->ngroups + 1, sizeof *gs), n = 0;
  if (!h->implicit) { /* reconcile_inventory: the implicit localhost takes all's vars only */
    for (int k = 0; k < h->ngroups; k++)
      gs[n++] = h->groups[k];
    qsort_r(gs, (size_t)n, sizeof *gs, cmp_groups, inv);
  }
  if (all >= 0)
    merge_into(inv, d, inv->groups[all].vars);
  for (int k = 0; k < n; k++)
    merge_into(inv, d, inv->groups[gs[k]].vars);
  if (all >= 0) {
    merge_into(inv, d, inv->groups[all].file_vars);
    if (pb)
      pb(ctx, d, "all", false);
  }
  for (int k = 0; k < n; k++)
    merge_into(inv, d, inv->groups[gs[k]].file_vars);
  for (int k = 0; k < n && pb; k++)
    pb(ctx, d, inv->groups[gs[k]].name, false);
  free(gs);
  merge_into(inv, d, h->vars);
  merge_into(inv, d, h->file_vars);
  if (pb)
    pb(ctx, d, h->name, true);
  return d;
}

RtValue *rt_inventory_host_vars(RtInventory *inv, int i) {
  return rt_inventory_host_vars_with(inv, i, NULL, NULL);
}

RtValue *rt_inventory_localhost_vars(RtInventory *inv) {
  if (find_host(inv, "localhost") >= 0)
    return NULL;
  RtValue *d = rt_dict_new(4);
  int all = find_group(inv, "all");
  if (all >= 0) { /* as rt_inventory_implicit_localhost's host would have them */
    merge_into(inv, d, inv->groups[all].vars);
    merge_into(inv, d, inv->groups[all].file_vars);
  }
  rt_dict_set(d, "ansible_connection", rt_strz("local"));
  merge_into(inv, d, inv->localhost_file_vars);
  return d;
}

RtValue *rt_inventory_group_names(RtInventory *inv, int i) {
  const RtInvHost *h = &inv->hosts[i];
  RtValue *l = rt_list_new((size_t)h->ngroups);
  for (int k = 0; k < h->ngroups; k++)
    rt_list_push(l, rt_strz(inv->groups[h->groups[k]].name));
  return l;
}

RtValue *rt_inventory_groups(RtInventory *inv) {
  RtValue *v = __atomic_load_n(&inv->groups_value, __ATOMIC_ACQUIRE);
  if (v)
    return rt_incref(v);
  Walk w;
  walk_init(&w, inv);
  RtValue *d = rt_dict_new((size_t)inv->ngroups);
  int *hs = NULL, n = 0, cap = 0;
  for (int g = 0; g < inv->ngroups; g++) {
    n = 0;
    group_hosts(&w, g, &hs, &n, &cap);
    RtValue *l = rt_list_new((size_t)n);
    for (int k = 0; k < n; k++)
      rt_list_push(l, rt_strz(inv->hosts[hs[k]].name));
    rt_dict_set(d, inv->groups[g].name, l);
  }
  free(hs);
  walk_free(&w);
  RtValue *expected = NULL; /* another thread may have built it meanwhile: keep theirs */
  if (!__atomic_compare_exchange_n(&inv->groups_value, &expected, d, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE)) {
    rt_decref(d);
    return rt_incref(expected);
  }
  return rt_incref(d);
}

void rt_inventory_free(RtInventory *inv) {
  for (int i = 0; i < inv->nhosts; i++) {
    free(inv->hosts[i].name);
    free(inv->hosts[i].source);
    rt_decref(inv->hosts[i].vars);
    rt_decref(inv->hosts[i].file_vars);
    free(inv->hosts[i].direct);
    free(inv->hosts[i].groups);
  }
  for (int g = 0; g < inv->ngroups; g++) {
    RtInvGroup *gr = &inv->groups[g];
    free(gr->name);
    rt_decref(gr->vars);
    rt_decref(gr->file_vars);
    free(gr->children);
    free(gr->parents);
    free(gr->hosts);
  }
  free(inv->hosts);
  free(inv->groups);
  free(inv->edges);
  free(inv->members);
  rt_index_free(&inv->host_index);
  rt_index_free(&inv->group_index);
  rt_index_free(&inv->edge_index);
  rt_index_free(&inv->member_index);
  rt_decref(inv->groups_value);
  rt_decref(inv->localhost_file_vars);
  for (int i = 0; i < inv->nvars_dirs; i++)
    free(inv->vars_dirs[i]);
  free(inv->vars_dirs);
  memset(inv, 0, sizeof *inv);
}

/* ---- ansible-inventory --list ---- */

void rt_inventory_dump(RtInventory *inv, RtBuf *b) {
  rt_inventory_finish(inv);
  RtValue *res = rt_dict_new((size_t)inv->ngroups + 1);
  int all = find_group(inv, "all");
  bool *seen = rt_xcalloc((size_t)inv->ngroups + 1, sizeof *seen);
  int *work = ints(inv->ngroups), nw = 0;
  work[nw++] = all; /* format_group from "all": each group reached once */
  seen[all] = true;
  while (nw) {
    const RtInvGroup *gr = &inv->groups[work[--nw]];
    RtValue *gd = rt_dict_new(2);
    if (gr != &inv->groups[all] && gr->nhosts) {
      RtValue *hl = rt_list_new((size_t)gr->nhosts);
      for (int k = 0; k < gr->nhosts; k++)
        rt_list_push(hl, rt_strz(inv->hosts[gr->hosts[k]].name));
      rt_dict_set(gd, "hosts", hl);
    }
    if (gr->nchildren) {
      RtValue *cl = rt_list_new((size_t)gr->nchildren);
      for (int k = 0; k < gr->nchildren; k++) {
        int c = gr->children[k];
        rt_list_push(cl, rt_strz(inv->groups[c].name));
        if (!seen[c])
          seen[c] = true, work[nw++] = c;
      }
      rt_dict_set(gd, "children", cl);
    }
    if (rt_len(gd))
      rt_dict_set(res, gr->name, gd);
    else
      rt_decref(gd);
  }
  free(seen);
  free(work);
  RtValue *hv = rt_dict_new((size_t)inv->nhosts);
  int n = 0;
  int *hs = rt_inventory_match(inv, "all", &n);
  for (int k = 0; k < n; k++) {
    RtValue *v = rt_inventory_host_vars(inv, hs[k]);
    if (rt_len(v))
      rt_dict_set(hv, inv->hosts[hs[k]].name, v);
    else
      rt_decref(v);
  }
  free(hs);
  RtValue *meta = rt_dict_new(1);
  rt_dict_set(meta, "hostvars", hv);
  rt_dict_set(res, "_meta", meta);
  rt_render_json(b, res, 4, true);
  rt_buf_putc(b, '\n');
  rt_decref(res);
}
