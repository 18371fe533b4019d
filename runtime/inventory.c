/*
 * inventory.c — run-time inventory: INI files as Ansible's ini plugin reads
 * them ([group], [group:vars], [group:children], `host k=v ...`, host ranges
 * like web[1:3]), YAML inventories (all: hosts/vars/children), and `-i a,b,`
 * host lists; the implicit localhost; host patterns (all, *, groups, hosts,
 * globs, a:b union, a:&b intersection, a:!b exclusion).
 *
 * This is run-time data, so parsing it here is allowed (DESIGN invariant 1).
 * Sizes are small (hundreds of hosts), so lookups are linear scans.
 */
#include "rt.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int find_host(RtInventory *inv, const char *name) {
  for (int i = 0; i < inv->nhosts; i++)
    if (strcmp(inv->hosts[i].name, name) == 0)
      return i;
  return -1;
}

static int find_group(RtInventory *inv, const char *name) {
  for (int i = 0; i < inv->ngroups; i++)
    if (strcmp(inv->groups[i].name, name) == 0)
      return i;
  return -1;
}

static RtInvGroup *get_group(RtInventory *inv, const char *name) {
  int g = find_group(inv, name);
  if (g >= 0)
    return &inv->groups[g];
  inv->groups = rt_xrealloc(inv->groups, sizeof *inv->groups * (size_t)(inv->ngroups + 1));
  RtInvGroup *gr = &inv->groups[inv->ngroups++];
  memset(gr, 0, sizeof *gr);
  gr->name = rt_xstrdup(name);
  gr->vars = rt_dict_new(4);
  return gr;
}

static RtInvHost *get_host(RtInventory *inv, const char *name) {
  int h = find_host(inv, name);
  if (h >= 0)
    return &inv->hosts[h];
  inv->hosts = rt_xrealloc(inv->hosts, sizeof *inv->hosts * (size_t)(inv->nhosts + 1));
  RtInvHost *ho = &inv->hosts[inv->nhosts++];
  memset(ho, 0, sizeof *ho);
  ho->name = rt_xstrdup(name);
  ho->vars = rt_dict_new(4);
  return ho;
}

static void add_name(char ***list, int *n, const char *name) {
  for (int i = 0; i < *n; i++)
    if (strcmp((*list)[i], name) == 0)
      return;
  *list = rt_xrealloc(*list, sizeof **list * (size_t)(*n + 1));
  (*list)[(*n)++] = rt_xstrdup(name);
}

/* An INI value as the ini plugin's _parse_value: a Python literal if it is
 * one (numbers, True/False, quoted strings, lists), else the text. */
static RtValue *ini_value(const char *s) {
  RtValue *v = rt_parse_pyliteral(s, strlen(s));
  return v ? v : rt_strz(s);
}

/* Splits a host line into words, honouring single and double quotes (shlex). */
static int split_words(char *line, char **words, int max) {
  int n = 0;
  char *out = line, *p = line;
  while (*p && n < max) {
    while (isspace((unsigned char)*p))
      p++;
    if (!*p)
      break;
    words[n++] = out;
    char q = 0;
    while (*p && (q || !isspace((unsigned char)*p))) {
      if (!q && (*p == '"' || *p == '\'')) {
        q = *p++;
        *out++ = q; /* keep quotes: values are literal-evaluated afterwards */
        continue;
      }
      if (q && *p == q) {
        *out++ = *p++;
        q = 0;
        continue;
      }
      *out++ = *p++;
    }
    if (*p)
      p++;
    *out++ = 0;
  }
  return n;
}

/* Expands "web[1:3]" / "db[a:c]" / "x[01:10]" into names; returns count. */
static int expand_range(const char *pat, char ***out) {
  const char *lb = strchr(pat, '['), *rb = lb ? strchr(lb, ']') : NULL;
  const char *colon = lb ? strchr(lb, ':') : NULL;
  *out = NULL;
  if (!lb || !rb || !colon || colon > rb) {
    *out = rt_xmalloc(sizeof **out);
    (*out)[0] = rt_xstrdup(pat);
    return 1;
  }
  char *a = rt_xstrndup(lb + 1, (size_t)(colon - lb - 1));
  char *b = rt_xstrndup(colon + 1, (size_t)(rb - colon - 1));
  int n = 0;
  if (isalpha((unsigned char)a[0]) && isalpha((unsigned char)b[0])) {
    for (char c = a[0]; c <= b[0]; c++) {
      *out = rt_xrealloc(*out, sizeof **out * (size_t)(n + 1));
      (*out)[n++] = rt_xasprintf("%.*s%c%s", (int)(lb - pat), pat, c, rb + 1);
    }
  } else {
    long lo = strtol(a, NULL, 10), hi = strtol(b, NULL, 10);
    int width = a[0] == '0' ? (int)strlen(a) : 0;
    for (long i = lo; i <= hi; i++) {
      *out = rt_xrealloc(*out, sizeof **out * (size_t)(n + 1));
      (*out)[n++] = rt_xasprintf("%.*s%0*ld%s", (int)(lb - pat), pat, width, i, rb + 1);
    }
  }
  free(a);
  free(b);
  return n;
}

static void ini_host_line(RtInventory *inv, RtInvGroup *g, char *line) {
  char *words[256];
  int n = split_words(line, words, 256);
  if (n == 0)
    return;
  char **names;
  int nn = expand_range(words[0], &names);
  for (int k = 0; k < nn; k++) {
    RtInvHost *h = get_host(inv, names[k]);
    for (int i = 1; i < n; i++) {
      char *eq = strchr(words[i], '=');
      if (!eq)
        continue;
      *eq = 0;
      rt_dict_set(h->vars, words[i], ini_value(eq + 1));
      *eq = '=';
    }
    if (g)
      add_name(&g->hosts, &g->nhosts, names[k]);
    free(names[k]);
  }
  free(names);
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    *--e = 0;
  return s;
}

static bool load_ini(RtInventory *inv, const char *path, char *text, char **err) {
  enum { HOSTS, VARS, CHILDREN } mode = HOSTS;
  RtInvGroup *g = NULL;
  int lineno = 0;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    lineno++;
    char *s = trim(line);
    if (!*s || *s == '#' || *s == ';')
      continue;
    if (*s == '[') {
      char *end = strchr(s, ']');
      if (!end) {
        *err = rt_xasprintf("%s:%d: Invalid section entry: '%s'", path, lineno, s);
        return false;
      }
      *end = 0;
      char *name = s + 1, *colon = strchr(name, ':');
      mode = HOSTS;
      if (colon) {
        *colon = 0;
        if (strcmp(colon + 1, "vars") == 0)
          mode = VARS;
        else if (strcmp(colon + 1, "children") == 0)
          mode = CHILDREN;
        else {
          *err = rt_xasprintf("%s:%d: Section [%s:%s] has unknown type: %s", path, lineno, name,
                              colon + 1, colon + 1);
          return false;
        }
      }
      g = get_group(inv, name);
      continue;
    }
    if (mode == HOSTS) {
      ini_host_line(inv, g, s);
    } else if (mode == VARS) {
      char *eq = strchr(s, '=');
      if (!eq) {
        *err = rt_xasprintf("%s:%d: Expected key=value, got: %s", path, lineno, s);
        return false;
      }
      *eq = 0;
      rt_dict_set(g->vars, trim(s), ini_value(trim(eq + 1)));
    } else {
      get_group(inv, s);
      g = get_group(inv, g->name); /* get_group may have moved the array */
      add_name(&g->children, &g->nchildren, s);
    }
  }
  return true;
}

/* YAML inventory: {group: {hosts: {h: vars}, vars: {...}, children: {...}}} */
static void load_yaml_group(RtInventory *inv, const char *name, const RtValue *gv) {
  RtInvGroup *g = get_group(inv, name);
  if (!gv || rt_kind(gv) != RT_DICT)
    return;
  const RtValue *hosts = rt_dict_get(gv, "hosts"), *vars = rt_dict_get(gv, "vars"),
                *children = rt_dict_get(gv, "children");
  for (size_t i = 0; hosts && rt_kind(hosts) == RT_DICT && i < hosts->u.dict.len; i++) {
    const char *hn = hosts->u.dict.ents[i].key->u.str.s;
    RtInvHost *h = get_host(inv, hn);
    const RtValue *hv = hosts->u.dict.ents[i].val;
    for (size_t j = 0; hv && rt_kind(hv) == RT_DICT && j < hv->u.dict.len; j++)
      rt_dict_set(h->vars, hv->u.dict.ents[j].key->u.str.s, rt_incref(hv->u.dict.ents[j].val));
    g = get_group(inv, name);
    add_name(&g->hosts, &g->nhosts, hn);
  }
  for (size_t j = 0; vars && rt_kind(vars) == RT_DICT && j < vars->u.dict.len; j++)
    rt_dict_set(get_group(inv, name)->vars, vars->u.dict.ents[j].key->u.str.s,
                rt_incref(vars->u.dict.ents[j].val));
  for (size_t i = 0; children && rt_kind(children) == RT_DICT && i < children->u.dict.len; i++) {
    const char *cn = children->u.dict.ents[i].key->u.str.s;
    load_yaml_group(inv, cn, children->u.dict.ents[i].val);
    g = get_group(inv, name);
    add_name(&g->children, &g->nchildren, cn);
  }
}

static bool looks_yaml(const char *path, const char *text) {
  const char *ext = strrchr(path, '.');
  if (ext && (strcmp(ext, ".yml") == 0 || strcmp(ext, ".yaml") == 0))
    return true;
  while (*text == '#' || isspace((unsigned char)*text)) {
    if (*text == '#')
      text = strchr(text, '\n') ? strchr(text, '\n') : text + strlen(text);
    else
      text++;
  }
  return strncmp(text, "all:", 4) == 0 || strncmp(text, "---", 3) == 0;
}

bool rt_inventory_load(RtInventory *inv, const char *source, char **err) {
  struct stat st;
  get_group(inv, "all");
  get_group(inv, "ungrouped");
  if (stat(source, &st) != 0 && strchr(source, ',')) {
    char *copy = rt_xstrdup(source);
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
      char *name = trim(t);
      if (*name)
        get_host(inv, name);
    }
    free(copy);
    return true;
  }
  size_t len;
  char *text = rt_read_file(source, &len);
  if (!text) {
    *err = rt_xasprintf("Unable to parse %s as an inventory source", source);
    return false;
  }
  bool ok = true;
  if (looks_yaml(source, text)) {
    char *perr = NULL;
    RtValue *doc = rt_parse_yaml(text, len, source, &perr);
    if (!doc) {
      *err = rt_xasprintf("Unable to parse %s as an inventory source: %s", source,
                          perr ? perr : "invalid YAML");
      free(perr);
      ok = false;
    } else {
      for (size_t i = 0; rt_kind(doc) == RT_DICT && i < doc->u.dict.len; i++)
        load_yaml_group(inv, doc->u.dict.ents[i].key->u.str.s, doc->u.dict.ents[i].val);
      rt_decref(doc);
    }
  } else {
    ok = load_ini(inv, source, text, err);
  }
  free(text);
  return ok;
}

RtInvHost *rt_inventory_implicit_localhost(RtInventory *inv) {
  int i = find_host(inv, "localhost");
  if (i >= 0)
    return &inv->hosts[i];
  RtInvHost *h = get_host(inv, "localhost");
  rt_dict_set(h->vars, "ansible_connection", rt_strz("local"));
  h->implicit = true;
  return h;
}

/* Is host `h` a member of group `g` (directly or through children)? */
static bool in_group(RtInventory *inv, int g, const char *h, int depth) {
  if (depth > 64)
    return false;
  RtInvGroup *gr = &inv->groups[g];
  if (strcmp(gr->name, "all") == 0)
    return true;
  if (strcmp(gr->name, "ungrouped") == 0) { /* every host in no other group */
    for (int k = 0; k < inv->ngroups; k++) {
      const char *n = inv->groups[k].name;
      if (strcmp(n, "all") != 0 && strcmp(n, "ungrouped") != 0 && in_group(inv, k, h, depth + 1))
        return false;
    }
    return true;
  }
  for (int k = 0; k < gr->nhosts; k++)
    if (strcmp(gr->hosts[k], h) == 0)
      return true;
  for (int k = 0; k < gr->nchildren; k++) {
    int c = find_group(inv, gr->children[k]);
    if (c >= 0 && in_group(inv, c, h, depth + 1))
      return true;
  }
  return false;
}

/* Hosts matching one pattern term, as a membership bitmap. */
static void match_term(RtInventory *inv, const char *term, bool *hit) {
  if (strcmp(term, "all") == 0 || strcmp(term, "*") == 0) {
    for (int i = 0; i < inv->nhosts; i++)
      hit[i] = !inv->hosts[i].implicit;
    return;
  }
  int g = find_group(inv, term);
  for (int i = 0; i < inv->nhosts; i++) {
    const char *h = inv->hosts[i].name;
    if (g >= 0)
      hit[i] = !inv->hosts[i].implicit && in_group(inv, g, h, 0);
    else
      hit[i] = strcmp(h, term) == 0 || (strpbrk(term, "*?[") && fnmatch(term, h, 0) == 0);
  }
  if (g < 0 && strpbrk(term, "*?[")) /* group globs */
    for (int k = 0; k < inv->ngroups; k++)
      if (fnmatch(term, inv->groups[k].name, 0) == 0)
        for (int i = 0; i < inv->nhosts; i++)
          hit[i] |= !inv->hosts[i].implicit && in_group(inv, k, inv->hosts[i].name, 0);
}

int *rt_inventory_match(RtInventory *inv, const char *pattern, int *count) {
  int n = inv->nhosts;
  bool *sel = rt_xcalloc((size_t)n + 1, 1), *hit = rt_xcalloc((size_t)n + 1, 1);
  char *copy = rt_xstrdup(pattern);
  for (char *save = NULL, *t = strtok_r(copy, ":,", &save); t; t = strtok_r(NULL, ":,", &save)) {
    char *term = trim(t);
    char op = 0;
    if (*term == '&' || *term == '!')
      op = *term++;
    match_term(inv, term, hit);
    for (int i = 0; i < n; i++) {
      if (op == '&')
        sel[i] = sel[i] && hit[i];
      else if (op == '!')
        sel[i] = sel[i] && !hit[i];
      else
        sel[i] = sel[i] || hit[i];
    }
  }
  free(copy);
  int *out = rt_xcalloc((size_t)n + 1, sizeof *out), k = 0;
  for (int i = 0; i < n; i++)
    if (sel[i])
      out[k++] = i;
  free(sel);
  free(hit);
  *count = k;
  return out;
}

/* Depth of group g below "all" (all = 0), for var precedence ordering. */
static int group_depth(RtInventory *inv, int g, int guard) {
  int best = 0;
  if (guard > 64)
    return 0;
  for (int p = 0; p < inv->ngroups; p++)
    for (int k = 0; k < inv->groups[p].nchildren; k++)
      if (strcmp(inv->groups[p].children[k], inv->groups[g].name) == 0) {
        int d = group_depth(inv, p, guard + 1) + 1;
        if (d > best)
          best = d;
      }
  if (best == 0 && strcmp(inv->groups[g].name, "all") != 0)
    best = 1;
  return best;
}

static int cmp_groups(const void *a, const void *b, void *ctx) {
  RtInventory *inv = ctx;
  int ga = *(const int *)a, gb = *(const int *)b;
  int da = group_depth(inv, ga, 0), db = group_depth(inv, gb, 0);
  if (da != db)
    return da - db;
  return strcmp(inv->groups[ga].name, inv->groups[gb].name);
}

static void merge_into(RtValue *dst, const RtValue *src) {
  for (size_t i = 0; src && i < src->u.dict.len; i++)
    rt_dict_set(dst, src->u.dict.ents[i].key->u.str.s, rt_incref(src->u.dict.ents[i].val));
}

RtValue *rt_inventory_host_vars(RtInventory *inv, int i) {
  RtValue *d = rt_dict_new(16);
  const char *h = inv->hosts[i].name;
  int *gs = rt_xcalloc((size_t)inv->ngroups + 1, sizeof *gs), n = 0;
  for (int g = 0; g < inv->ngroups; g++)
    if (!inv->hosts[i].implicit && in_group(inv, g, h, 0))
      gs[n++] = g;
  qsort_r(gs, (size_t)n, sizeof *gs, cmp_groups, inv);
  for (int k = 0; k < n; k++)
    merge_into(d, inv->groups[gs[k]].vars);
  merge_into(d, inv->hosts[i].vars);
  free(gs);
  return d;
}

/* Fills each host's sorted group list (group_names: every group but "all"). */
void rt_inventory_finish(RtInventory *inv) {
  for (int i = 0; i < inv->nhosts; i++) {
    RtInvHost *h = &inv->hosts[i];
    for (int k = 0; k < h->ngroups; k++)
      free(h->groups[k]);
    free(h->groups);
    h->groups = NULL;
    h->ngroups = 0;
    if (h->implicit)
      continue;
    for (int g = 0; g < inv->ngroups; g++)
      if (strcmp(inv->groups[g].name, "all") != 0 && in_group(inv, g, h->name, 0))
        add_name(&h->groups, &h->ngroups, inv->groups[g].name);
    for (int a = 1; a < h->ngroups; a++)
      for (int b = a; b > 0 && strcmp(h->groups[b - 1], h->groups[b]) > 0; b--) {
        char *t = h->groups[b];
        h->groups[b] = h->groups[b - 1];
        h->groups[b - 1] = t;
      }
  }
}

void rt_inventory_free(RtInventory *inv) {
  for (int i = 0; i < inv->nhosts; i++) {
    free(inv->hosts[i].name);
    rt_decref(inv->hosts[i].vars);
    for (int k = 0; k < inv->hosts[i].ngroups; k++)
      free(inv->hosts[i].groups[k]);
    free(inv->hosts[i].groups);
  }
  for (int g = 0; g < inv->ngroups; g++) {
    RtInvGroup *gr = &inv->groups[g];
    free(gr->name);
    rt_decref(gr->vars);
    for (int k = 0; k < gr->nchildren; k++)
      free(gr->children[k]);
    for (int k = 0; k < gr->nhosts; k++)
      free(gr->hosts[k]);
    free(gr->children);
    free(gr->hosts);
  }
  free(inv->hosts);
  free(inv->groups);
  memset(inv, 0, sizeof *inv);
}
