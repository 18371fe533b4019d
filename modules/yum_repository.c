/*
 * yum_repository.c — ansible.builtin.yum_repository: one section of
 * REPOSDIR/FILE.repo, added (replacing the section, its keys in the sorted
 * order of the module's parameters) or removed, as the module does it with
 * Python's RawConfigParser: the file is read as that parser reads it (keys
 * lower-cased, comments dropped, indented continuation lines), written as it
 * writes ("key = value", continuation lines after a tab, a blank line after
 * each section, DEFAULT first), and deleted when no section is left. The
 * diff compares the module's dump (sections and keys sorted) before and
 * after; the file is written atomically, and only when that changes (edit.c).
 */
#include "mod.h"

static const ModParam yum_repository_params[] = {
    {.name = "async", .type = MP_BOOL},
    {.name = "bandwidth", .type = MP_STR},
    {.name = "baseurl", .type = MP_LIST, .elements = MP_STR},
    {.name = "cost", .type = MP_STR},
    {.name = "deltarpm_metadata_percentage", .type = MP_STR},
    {.name = "deltarpm_percentage", .type = MP_STR},
    {.name = "description", .type = MP_STR},
    {.name = "enabled", .type = MP_BOOL},
    {.name = "enablegroups", .type = MP_BOOL},
    {.name = "exclude", .type = MP_LIST, .elements = MP_STR},
    {.name = "failovermethod", .type = MP_STR, .choices = "roundrobin,priority"},
    {.name = "file", .type = MP_STR},
    {.name = "gpgcakey", .type = MP_STR},
    {.name = "gpgcheck", .type = MP_BOOL},
    {.name = "gpgkey", .type = MP_LIST, .elements = MP_STR},
    {.name = "module_hotfixes", .type = MP_BOOL},
    {.name = "http_caching", .type = MP_STR, .choices = "all,packages,none"},
    {.name = "include", .type = MP_STR},
    {.name = "includepkgs", .type = MP_LIST, .elements = MP_STR},
    {.name = "ip_resolve", .type = MP_STR, .choices = "4,6,IPv4,IPv6,whatever"},
    {.name = "keepalive", .type = MP_BOOL},
    {.name = "keepcache", .type = MP_STR, .choices = "0,1"},
    {.name = "metadata_expire", .type = MP_STR},
    {.name = "metadata_expire_filter", .type = MP_STR,
     .choices = "never,read-only:past,read-only:present,read-only:future"},
    {.name = "metalink", .type = MP_STR},
    {.name = "mirrorlist", .type = MP_STR},
    {.name = "mirrorlist_expire", .type = MP_STR},
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "params", .type = MP_DICT},
    {.name = "password", .type = MP_STR, .no_log = true},
    {.name = "priority", .type = MP_STR},
    {.name = "protect", .type = MP_BOOL},
    {.name = "proxy", .type = MP_STR},
    {.name = "proxy_password", .type = MP_STR, .no_log = true},
    {.name = "proxy_username", .type = MP_STR},
    {.name = "repo_gpgcheck", .type = MP_BOOL},
    {.name = "reposdir", .type = MP_PATH, .def = "/etc/yum.repos.d"},
    {.name = "retries", .type = MP_STR},
    {.name = "s3_enabled", .type = MP_BOOL},
    {.name = "skip_if_unavailable", .type = MP_BOOL},
    {.name = "sslcacert", .type = MP_STR, .aliases = "ca_cert"},
    {.name = "ssl_check_cert_permissions", .type = MP_BOOL},
    {.name = "sslclientcert", .type = MP_STR, .aliases = "client_cert"},
    {.name = "sslclientkey", .type = MP_STR, .aliases = "client_key"},
    {.name = "sslverify", .type = MP_BOOL, .aliases = "validate_certs"},
    {.name = "state", .type = MP_STR, .choices = "present,absent", .def = "present"},
    {.name = "throttle", .type = MP_STR},
    {.name = "timeout", .type = MP_STR},
    {.name = "ui_repoid_vars", .type = MP_STR},
    {.name = "username", .type = MP_STR},
    MOD_FILE_COMMON_PARAMS,
};
const ModSchema mod_schema_yum_repository = {
    .name = "yum_repository",
    .params = yum_repository_params,
    .nparams = MOD_N(yum_repository_params),
    .tools = "stat,base64,id,cp,date,mv,chmod,chown,chgrp,rm",
    .check_mode = true,
    .diff_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* YumRepo.allowed_params, in sorted() order (the order add() sets them). */
static const char *const ALLOWED[] = {
    "async", "bandwidth", "baseurl", "cost", "deltarpm_metadata_percentage", "deltarpm_percentage", "enabled",
    "enablegroups", "exclude", "failovermethod", "gpgcakey", "gpgcheck", "gpgkey", "http_caching", "include",
    "includepkgs", "ip_resolve", "keepalive", "keepcache", "metadata_expire", "metadata_expire_filter", "metalink",
    "mirrorlist", "mirrorlist_expire", "module_hotfixes", "name", "password", "priority", "protect", "proxy",
    "proxy_password", "proxy_username", "repo_gpgcheck", "retries", "s3_enabled", "skip_if_unavailable",
    "ssl_check_cert_permissions", "sslcacert", "sslclientcert", "sslclientkey", "sslverify", "throttle", "timeout",
    "ui_repoid_vars", "username", NULL};

/* A section: keys in insertion order, their values (owned). */
typedef struct {
  char *name;
  size_t n, cap;
  char **keys, **vals;
} Sect;

typedef struct {
  Sect def; /* DEFAULT */
  Sect *v;
  size_t n, cap;
  RtValue *index; /* section name → its position in v (a long file stays linear) */
} Repo;

static void sect_set(Sect *s, const char *k, char *v) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->keys[i], k)) {
      free(s->vals[i]);
      s->vals[i] = v;
      return;
    }
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 8;
    s->keys = rt_xrealloc(s->keys, s->cap * sizeof *s->keys);
    s->vals = rt_xrealloc(s->vals, s->cap * sizeof *s->vals);
  }
  s->keys[s->n] = rt_xstrdup(k);
  s->vals[s->n++] = v;
}

static void sect_free(Sect *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->keys[i]);
    free(s->vals[i]);
  }
  free(s->keys);
  free(s->vals);
  free(s->name);
}

static Sect *repo_find(Repo *r, const char *name) {
  RtValue *i = r->index ? rt_dict_get(r->index, name) : NULL;
  return i ? &r->v[rt_as_int(i)] : NULL;
}

static Sect *repo_add(Repo *r, const char *name) {
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 4;
    r->v = rt_xrealloc(r->v, r->cap * sizeof *r->v);
  }
  Sect *s = &r->v[r->n++];
  memset(s, 0, sizeof *s);
  s->name = rt_xstrdup(name);
  if (!r->index)
    r->index = rt_dict_new(16);
  rt_dict_set(r->index, name, rt_int((int64_t)r->n - 1));
  return s;
}

static void repo_remove(Repo *r, const char *name) {
  Sect *s = repo_find(r, name);
  if (!s)
    return;
  size_t i = (size_t)(s - r->v);
  sect_free(s);
  memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof *r->v);
  r->n--;
  rt_decref(r->index);
  r->index = rt_dict_new(r->n + 1);
  for (size_t k = 0; k < r->n; k++)
    rt_dict_set(r->index, r->v[k].name, rt_int((int64_t)k));
}

static void repo_free(Repo *r) {
  for (size_t i = 0; i < r->n; i++)
    sect_free(&r->v[i]);
  free(r->v);
  sect_free(&r->def);
  rt_decref(r->index);
}

/* The value being read: its lines, joined at the end as the parser does. */
typedef struct {
  Sect *sect;
  char *key;
  RtBuf val;
} Cur;

static void cur_flush(Cur *c) {
  if (c->sect && c->key) {
    size_t n = c->val.len;
    while (n && isspace((unsigned char)c->val.data[n - 1])) /* '\n'.join(val).rstrip() */
      n--;
    sect_set(c->sect, c->key, rt_xstrndup(c->val.data ? c->val.data : "", n));
  }
  free(c->key);
  c->key = NULL;
  rt_buf_free(&c->val);
}

/* RawConfigParser._read, for what a .repo file holds; an error message (static) or NULL. */
static const char *repo_parse(Repo *r, const char *text, size_t len) {
  Cur c = {0};
  Sect *cur = NULL;
  size_t indent = (size_t)-1;
  for (size_t p = 0; p < len;) {
    size_t e = p;
    while (e < len && text[e] != '\n')
      e++;
    char *line = rt_xstrndup(text + p, e - p);
    p = e + 1;
    size_t ll = strlen(line);
    if (ll && line[ll - 1] == '\r')
      line[--ll] = 0;
    const char *v = line;
    while (isspace((unsigned char)*v))
      v++;
    size_t vl = strlen(v);
    while (vl && isspace((unsigned char)v[vl - 1]))
      vl--;
    bool comment = *v == '#' || *v == ';';
    if (comment || !vl) {
      if (!comment && c.key) /* an empty line inside a value */
        rt_buf_putc(&c.val, '\n');
      free(line);
      continue;
    }
    size_t ind = (size_t)(v - line);
    if (cur && c.key && indent != (size_t)-1 && ind > indent) {
      rt_buf_printf(&c.val, "\n%.*s", (int)vl, v);
      free(line);
      continue;
    }
    indent = ind;
    if (*v == '[' && vl > 2 && memchr(v + 2, ']', vl - 2)) { /* \[(?P<header>.+)\] */
      const char *close = v + vl;
      while (close[-1] != ']')
        close--;
      char *name = rt_xstrndup(v + 1, (size_t)(close - 1 - (v + 1)));
      cur_flush(&c);
      if (!strcmp(name, "DEFAULT"))
        cur = &r->def;
      else if (repo_find(r, name)) {
        free(name);
        free(line);
        return "While reading the repo file: a section appears twice";
      } else
        cur = repo_add(r, name);
      free(name);
      free(line);
      continue;
    }
    if (!cur) {
      free(line);
      cur_flush(&c);
      return "File contains no section headers.";
    }
    const char *d = v;
    while (d < v + vl && *d != '=' && *d != ':')
      d++;
    if (d == v + vl) {
      free(line);
      cur_flush(&c);
      return "Source contains parsing errors";
    }
    cur_flush(&c);
    size_t kl = (size_t)(d - v);
    while (kl && isspace((unsigned char)v[kl - 1]))
      kl--;
    c.key = rt_xstrndup(v, kl);
    for (char *k = c.key; *k; k++)
      *k = (char)tolower((unsigned char)*k);
    const char *val = d + 1;
    while (val < v + vl && isspace((unsigned char)*val))
      val++;
    c.sect = cur;
    rt_buf_add(&c.val, val, (size_t)(v + vl - val));
    free(line);
  }
  cur_flush(&c);
  return NULL;
}

static int cmp_sect(const void *a, const void *b) {
  return strcmp((*(const Sect *const *)a)->name, (*(const Sect *const *)b)->name);
}

/* YumRepo.dump(): sections sorted, each with its items (defaults merged) sorted. */
static char *repo_dump(const Repo *r) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  const Sect **sorted = rt_xcalloc(r->n + 1, sizeof *sorted);
  for (size_t i = 0; i < r->n; i++)
    sorted[i] = &r->v[i];
  qsort(sorted, r->n, sizeof *sorted, cmp_sect);
  for (size_t i = 0; i < r->n; i++) {
    Sect merged = {0};
    const Sect *s = sorted[i];
    for (size_t k = 0; k < r->def.n; k++)
      sect_set(&merged, r->def.keys[k], rt_xstrdup(r->def.vals[k]));
    for (size_t k = 0; k < s->n; k++)
      sect_set(&merged, s->keys[k], rt_xstrdup(s->vals[k]));
    size_t *ord = rt_xcalloc(merged.n + 1, sizeof *ord);
    for (size_t k = 0; k < merged.n; k++) /* sorted (key, value) pairs: keys are unique */
      ord[k] = k;
    for (size_t x = 1; x < merged.n; x++)
      for (size_t y = x; y > 0 && strcmp(merged.keys[ord[y - 1]], merged.keys[ord[y]]) > 0; y--) {
        size_t t = ord[y];
        ord[y] = ord[y - 1];
        ord[y - 1] = t;
      }
    rt_buf_printf(&b, "[%s]\n", s->name);
    for (size_t k = 0; k < merged.n; k++)
      rt_buf_printf(&b, "%s = %s\n", merged.keys[ord[k]], merged.vals[ord[k]]);
    rt_buf_putc(&b, '\n');
    free(ord);
    sect_free(&merged);
  }
  free(sorted);
  return rt_buf_take(&b);
}

static void write_sect(RtBuf *b, const Sect *s, const char *name) {
  rt_buf_printf(b, "[%s]\n", name);
  for (size_t k = 0; k < s->n; k++) {
    rt_buf_printf(b, "%s = ", s->keys[k]);
    for (const char *p = s->vals[k]; *p; p++) {
      rt_buf_putc(b, *p);
      if (*p == '\n')
        rt_buf_putc(b, '\t');
    }
    rt_buf_putc(b, '\n');
  }
  rt_buf_putc(b, '\n');
}

/* RawConfigParser.write(). */
static char *repo_write(const Repo *r) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  if (r->def.n)
    write_sect(&b, &r->def, "DEFAULT");
  for (size_t i = 0; i < r->n; i++)
    write_sect(&b, &r->v[i], r->v[i].name);
  return rt_buf_take(&b);
}

/* The value add() sets for parameter `key` (malloc'd), or NULL when it is None. */
static char *param_value(RtValue *args, const char *key) {
  const char *arg = !strcmp(key, "name") ? "description" : key;
  RtValue *v = rt_dict_get(args, arg);
  if (!v || rt_kind(v) == RT_NONE)
    return NULL;
  if (rt_kind(v) == RT_BOOL)
    return rt_xstrdup(v->u.b ? "1" : "0");
  if (rt_kind(v) == RT_LIST) {
    const char *sep = !strcmp(key, "baseurl") || !strcmp(key, "gpgkey") ? "\n" : " ";
    RtBuf b = {0};
    rt_buf_add(&b, "", 0);
    for (size_t i = 0; i < rt_len(v); i++) {
      if (i)
        rt_buf_puts(&b, sep);
      rt_render_str(&b, rt_list_at(v, i));
    }
    return rt_buf_take(&b);
  }
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  rt_render_str(&b, v);
  return rt_buf_take(&b);
}

static bool given(RtValue *args, const char *k) {
  RtValue *v = rt_dict_get(args, k);
  return v && rt_kind(v) != RT_NONE;
}

/* Deletes the file the last section left (os.remove). */
static RtValue *remove_file(RtHost *h, const char *path) {
  RtBuf s = {0};
  RtExec ex = {0};
  char *err = NULL;
  mod_sh_set(&s, "p", path);
  rt_buf_puts(&s, "e=$(rm -- \"$p\" 2>&1) || __playc_rec err \"$e\"\n");
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  free(err);
  if (rc < 0)
    return NULL;
  RtValue *r = NULL;
  if (mod_rec(&ex, "err")) {
    r = mod_fail_result("Cannot remove empty repo file %s.", path);
    rt_dict_set(r, "details", rt_strz(mod_rec(&ex, "err")));
  }
  rt_exec_free(&ex);
  return r;
}

RtValue *mod_yum_repository(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *state = mod_arg_str(args, "state");
  char *file = mod_arg_str(args, "file"), *dir = mod_arg_str(args, "reposdir");
  char *dest = NULL, *before = NULL, *after = NULL, *data = NULL, *backup = NULL;
  bool present = !state || !strcmp(state, "present");
  RtValue *r = NULL, *fail = NULL, *pv = rt_dict_get(args, "params");
  Repo repo = {0};
  ModEdit e;
  mod_edit_init(&e, h, args);
  if (pv && rt_kind(pv) == RT_DICT && rt_len(pv)) {
    r = mod_fail_result("The params option to yum_repository was removed in Ansible 2.5 since it circumvents "
                        "Ansible's option handling");
    goto done;
  }
  if (present && !given(args, "baseurl") && !given(args, "metalink") && !given(args, "mirrorlist")) {
    r = mod_fail_result("Parameter 'baseurl', 'metalink' or 'mirrorlist' is required.");
    goto done;
  }
  if (present && !given(args, "description")) {
    r = mod_fail_result("Parameter 'description' is required.");
    goto done;
  }
  const char *rd = dir ? dir : "/etc/yum.repos.d";
  size_t rl = strlen(rd);
  bool slash = rl && rd[rl - 1] == '/'; /* os.path.join */
  dest = rt_xasprintf("%s%s%s.repo", rd, slash ? "" : "/", file ? file : name);
  if (mod_edit_read(h, &e, dest, &fail) < 0)
    goto done;
  if (fail) {
    r = fail;
    goto done;
  }
  free(dest); /* the path as the target expanded it (type='path') */
  dest = rt_xstrdup(e.path);
  if (!e.parent_exists) {
    size_t tail = strlen(file ? file : name) + 5 + (slash ? 0 : 1); /* "/FILE.repo" */
    size_t dl = strlen(dest) > tail ? strlen(dest) - tail : 0;
    r = mod_fail_result("Repo directory '%.*s' does not exist.", (int)dl, dest);
    goto done;
  }
  if (e.kind == MOD_EDIT_FILE || e.kind == MOD_EDIT_LINK) {
    const char *perr = repo_parse(&repo, e.data.data ? e.data.data : "", e.data.len);
    if (perr) {
      r = mod_fail_result("%s: %s", dest, perr);
      goto done;
    }
  }
  before = repo_dump(&repo);
  repo_remove(&repo, name);
  if (present) {
    Sect *s = repo_add(&repo, name);
    for (int i = 0; ALLOWED[i]; i++) {
      char *v = param_value(args, ALLOWED[i]);
      if (v)
        sect_set(s, ALLOWED[i], v);
    }
  }
  after = repo_dump(&repo);
  bool changed = strcmp(before, after) != 0, isfile = e.kind == MOD_EDIT_FILE || e.kind == MOD_EDIT_LINK;
  bool attrs = false;
  if (changed && !repo.n) { /* save() removes the file no section is left in */
    if (!e.check && isfile) {
      r = remove_file(h, e.path);
      if (r || rt_host_lost(h))
        goto done;
    }
  } else {
    data = repo_write(&repo);
    if (!isfile && !changed) {
      free(e.owner);
      free(e.group);
      free(e.symbolic);
      free(e.af);
      e.owner = e.group = e.symbolic = e.af = NULL;
      e.mode = -1;
    }
    fail = mod_edit_write(h, &e, data, strlen(data), changed, true, NULL, &attrs, &backup);
    if (fail || rt_host_lost(h)) {
      r = fail;
      goto done;
    }
  }
  RtValue *diff = rt_dict_new(4);
  rt_dict_set(diff, "before_header", rt_strz(dest));
  rt_dict_set(diff, "before", rt_strz(before));
  rt_dict_set(diff, "after_header", rt_strz(dest));
  rt_dict_set(diff, "after", rt_strz(after));
  r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(changed || attrs));
  rt_dict_set(r, "repo", rt_strz(name));
  rt_dict_set(r, "state", rt_strz(state ? state : "present"));
  rt_dict_set(r, "diff", diff);
done:
  repo_free(&repo);
  mod_edit_free(&e);
  free(name);
  free(state);
  free(file);
  free(dir);
  free(dest);
  free(before);
  free(after);
  free(data);
  free(backup);
  return r;
}

#endif
