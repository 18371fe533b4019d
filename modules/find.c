/*
 * find.c — the find module. One request lists every path's tree with GNU
 * find(1) (-printf: names NUL-separated, the lstat of each entry and
 * whether it is a folder once links are followed, the target's clock); the
 * controller then walks it as Ansible's os.walk does (per folder, the
 * files then the folders, in readdir order; symlinked folders entered only
 * with `follow`; `depth` counted from the path) and applies the module's
 * filters: fnmatch or Python-regexp patterns and excludes, hidden, age,
 * size, file type. `contains` and `get_checksum` need the candidates'
 * bodies or digests: a second request brings them (base64, sha1sum) for
 * the candidates alone, and the content is matched here with Python's
 * regexps (line by line with re.match, or re.search on the whole file).
 */
#include "mod.h"

#include <ctype.h>
#include <fnmatch.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam find_params[] = {
    {.name = "paths", .type = MP_LIST, .elements = MP_STR, .required = true, .aliases = "name,path"},
    {.name = "patterns", .type = MP_LIST, .elements = MP_STR, .aliases = "pattern", .def = "[]"},
    {.name = "excludes", .type = MP_LIST, .elements = MP_STR, .aliases = "exclude"},
    {.name = "contains", .type = MP_STR},
    {.name = "read_whole_file", .type = MP_BOOL, .def = "no"},
    {.name = "file_type", .type = MP_STR, .choices = "any,directory,file,link", .def = "file"},
    {.name = "age", .type = MP_STR},
    {.name = "age_stamp", .type = MP_STR, .choices = "atime,ctime,mtime", .def = "mtime"},
    {.name = "size", .type = MP_STR},
    {.name = "recurse", .type = MP_BOOL, .def = "no"},
    {.name = "hidden", .type = MP_BOOL, .def = "no"},
    {.name = "follow", .type = MP_BOOL, .def = "no"},
    {.name = "get_checksum", .type = MP_BOOL, .def = "no"},
    {.name = "use_regex", .type = MP_BOOL, .def = "no"},
    {.name = "depth", .type = MP_INT},
};
const ModSchema mod_schema_find = {
    .name = "find",
    .params = find_params,
    .nparams = MOD_N(find_params),
    .tools = "find,date,base64,sha1sum",
    .check_mode = true};

#ifndef MOD_SCHEMA_ONLY

enum { F_REL, F_LTYPE, F_FTYPE, F_MODE, F_UID, F_GID, F_SIZE, F_INO, F_DEV, F_NLINK, F_AT, F_MT, F_CT, F_USER,
       F_GROUP, F_COUNT };
#define FIND_FORMAT "%P\\0%y\\0%Y\\0%m\\0%U\\0%G\\0%s\\0%i\\0%D\\0%n\\0%A@\\0%T@\\0%C@\\0%u\\0%g\\0"

typedef struct Ent {
  const char *f[F_COUNT];
  int *kids;
  size_t nkids, capkids;
} Ent;

typedef struct Tree {
  char *root; /* the path as expanded on the target, or NULL when it is not a folder */
  Ent *e;     /* e[0]: the root itself */
  size_t n, cap;
} Tree;

typedef struct Find {
  RtValue *patterns, *excludes; /* lists of str */
  ModRe **pre, **ere;           /* compiled when use_regex */
  const char *file_type, *age_stamp;
  bool use_regex, hidden, recurse, follow, checksum, has_age, has_size, contains;
  long long age, size, depth;
  double now;
  RtValue *files;   /* result dicts */
  RtValue *cands;   /* per result: the full path of a file still to check, or None */
  long examined;
} Find;

/* ---- arguments ----------------------------------------------------------------------- */

/* "^(-?\d+)(s|m|h|d|w)?$" and the like, on the lowered text */
static bool unit_value(const char *s, const char *units, const long long *mult, long long *out) {
  char *low = rt_xstrdup(s);
  for (char *p = low; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  const char *p = low;
  if (*p == '-')
    p++;
  bool ok = isdigit((unsigned char)*p);
  while (isdigit((unsigned char)*p))
    p++;
  long long m = 1;
  if (ok && *p) {
    const char *u = strchr(units, *p);
    ok = u && p[1] == 0;
    if (ok)
      m = mult[u - units];
  }
  if (ok)
    *out = strtoll(low, NULL, 10) * m;
  free(low);
  return ok;
}

/* ---- the listing ----------------------------------------------------------------------- */

static void script(RtBuf *s, RtValue *paths, const Find *f) {
  rt_buf_puts(s, "__playc_rec now \"$(date +%s.%N)\"\n");
  for (size_t i = 0; i < rt_len(paths); i++) {
    mod_sh_set_path(s, "p", rt_list_at(paths, i)->u.str.s);
    rt_buf_puts(s, "if [ -d \"$p\" ]; then printf 'R\\0%s\\0' \"$p\"; ");
    if (f->follow)
      rt_buf_puts(s, "find -L \"$p\" ");
    else
      rt_buf_puts(s, "find \"$p\" ");
    if (!f->recurse)
      rt_buf_puts(s, "-maxdepth 1 ");
    else if (f->depth > 0)
      rt_buf_printf(s, "-maxdepth %lld ", f->depth + 1);
    rt_buf_puts(s, "-printf '" FIND_FORMAT "' 2>/dev/null; printf 'E\\0'\n"
                   "else printf 'N\\0%s\\0' \"$p\"; fi\n");
  }
}

/* The next NUL-terminated field of the listing. */
static const char *next_field(const char **p, const char *end) {
  const char *s = *p, *z = memchr(s, 0, (size_t)(end - s));
  *p = z ? z + 1 : end;
  return s;
}

/* Splits stdout into trees. */
static Tree *parse(const char *out, size_t len, size_t *ntrees) {
  Tree *t = NULL;
  size_t n = 0;
  const char *p = out, *end = out + len;
  while (p < end) {
    const char *tag = next_field(&p, end);
    t = rt_xrealloc(t, (n + 1) * sizeof *t);
    memset(&t[n], 0, sizeof t[n]);
    if (tag[0] == 'N') {
      t[n].e = rt_xcalloc(1, sizeof(Ent));
      t[n].e[0].f[F_REL] = next_field(&p, end);
      t[n].n = 1;
      n++;
      continue;
    }
    t[n].root = (char *)next_field(&p, end);
    for (;;) {
      if (p >= end || (p[0] == 'E' && p + 1 < end && p[1] == 0)) {
        p += 2;
        break;
      }
      if (t[n].n == t[n].cap) {
        t[n].cap = t[n].cap ? 2 * t[n].cap : 64;
        t[n].e = rt_xrealloc(t[n].e, t[n].cap * sizeof(Ent));
      }
      Ent *e = &t[n].e[t[n].n++];
      memset(e, 0, sizeof *e);
      for (int k = 0; k < F_COUNT; k++)
        e->f[k] = next_field(&p, end);
    }
    n++;
  }
  *ntrees = n;
  return t;
}

static const char *rel_key(const void *ctx, uint32_t pos, size_t *len) {
  const Ent *e = &((const Ent *)ctx)[pos];
  *len = strlen(e->f[F_REL]);
  return e->f[F_REL];
}

static void add_kid(Ent *parent, int kid) {
  if (parent->nkids == parent->capkids) {
    parent->capkids = parent->capkids ? 2 * parent->capkids : 8;
    parent->kids = rt_xrealloc(parent->kids, parent->capkids * sizeof *parent->kids);
  }
  parent->kids[parent->nkids++] = kid;
}

/* Each entry under its folder, in the order find listed them. find lists
 * the root first (%P empty), then every entry after its folder. */
static void link_tree(Tree *t) {
  RtIndex ix = {0};
  for (size_t i = 0; i < t->n; i++) {
    const char *rel = t->e[i].f[F_REL];
    if (i > 0) {
      const char *slash = strrchr(rel, '/');
      size_t plen = slash ? (size_t)(slash - rel) : 0;
      int64_t parent = slash ? rt_index_find(&ix, rel, plen, rel_key, t->e) : 0;
      if (parent >= 0)
        add_kid(&t->e[parent], (int)i);
    }
    if (rt_index_find(&ix, rel, strlen(rel), rel_key, t->e) < 0)
      rt_index_add(&ix, (uint32_t)i, rel_key, t->e);
  }
  rt_index_free(&ix);
}

/* posixpath.normpath */
static char *normpath(const char *path) {
  if (!*path)
    return rt_xstrdup(".");
  int initial = path[0] == '/' ? (path[1] == '/' && path[2] != '/' ? 2 : 1) : 0;
  char **comps = rt_xcalloc(strlen(path) + 1, sizeof *comps);
  size_t nc = 0;
  char *copy = rt_xstrdup(path), *save = NULL;
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (!strcmp(c, "."))
      continue;
    if (!strcmp(c, "..") && ((!initial && nc == 0) || (nc && !strcmp(comps[nc - 1], "..")))) {
      comps[nc++] = c;
    } else if (!strcmp(c, "..")) {
      if (nc)
        nc--;
    } else {
      comps[nc++] = c;
    }
  }
  RtBuf b = {0};
  for (int i = 0; i < initial; i++)
    rt_buf_putc(&b, '/');
  for (size_t i = 0; i < nc; i++) {
    if (i)
      rt_buf_putc(&b, '/');
    rt_buf_puts(&b, comps[i]);
  }
  free(comps);
  free(copy);
  if (!b.len)
    rt_buf_putc(&b, '.');
  return rt_buf_take(&b);
}

/* ---- the filters ------------------------------------------------------------------------ */

static bool matches(Find *f, ModRe **res, RtValue *pats, size_t i, const char *name) {
  if (f->use_regex) {
    ModReMatch m;
    return res[i] && mod_re_search(res[i], name, strlen(name), 0, true, &m);
  }
  return fnmatch(rt_list_at(pats, i)->u.str.s, name, FNM_NOESCAPE) == 0;
}

/* pfilter */
static bool pfilter(Find *f, const char *name) {
  size_t np = f->patterns ? rt_len(f->patterns) : 0, ne = f->excludes ? rt_len(f->excludes) : 0;
  if (!np && !ne)
    return true;
  if (np && !ne) {
    for (size_t i = 0; i < np; i++)
      if (matches(f, f->pre, f->patterns, i, name))
        return true;
  } else if (np && ne) {
    for (size_t i = 0; i < np; i++)
      if (matches(f, f->pre, f->patterns, i, name)) {
        for (size_t k = 0; k < ne; k++)
          if (matches(f, f->ere, f->excludes, k, name))
            return false;
        return true;
      }
  }
  return false;
}

static double stamp(const char *s) {
  long long sec = strtoll(s, NULL, 10);
  const char *dot = strchr(s, '.');
  long long ns = 0;
  if (dot) { /* find prints ten decimals: nanoseconds and a zero */
    char buf[10] = {0};
    strncpy(buf, dot + 1, 9);
    for (size_t k = strlen(buf); k < 9; k++)
      buf[k] = '0';
    ns = strtoll(buf, NULL, 10);
  }
  return (double)sec + (double)ns * 1e-9;
}

static bool agefilter(const Find *f, const Ent *e) {
  if (!f->has_age)
    return true;
  int k = !strcmp(f->age_stamp, "atime") ? F_AT : !strcmp(f->age_stamp, "ctime") ? F_CT : F_MT;
  double d = f->now - stamp(e->f[k]);
  double a = (double)(f->age < 0 ? -f->age : f->age);
  return f->age >= 0 ? d >= a : d <= a;
}

static bool sizefilter(const Find *f, const Ent *e) {
  if (!f->has_size)
    return true;
  long long sz = strtoll(e->f[F_SIZE], NULL, 10), a = f->size < 0 ? -f->size : f->size;
  return f->size >= 0 ? sz >= a : sz <= a;
}

static mode_t type_bits(char t) {
  switch (t) {
  case 'd': return S_IFDIR;
  case 'l': return S_IFLNK;
  case 'c': return S_IFCHR;
  case 'b': return S_IFBLK;
  case 'p': return S_IFIFO;
  case 's': return S_IFSOCK;
  default: return S_IFREG;
  }
}

/* statinfo(st) */
static RtValue *statinfo(const Ent *e, const char *path) {
  unsigned long perm = strtoul(e->f[F_MODE], NULL, 8);
  mode_t mode = type_bits(e->f[F_LTYPE][0]) | (mode_t)perm;
  RtValue *d = rt_dict_new(32);
  rt_dict_set(d, "path", rt_strz(path));
  char m[16];
  snprintf(m, sizeof m, "%04lo", perm & 07777);
  rt_dict_set(d, "mode", rt_strz(m));
  rt_dict_set(d, "isdir", rt_bool(S_ISDIR(mode)));
  rt_dict_set(d, "ischr", rt_bool(S_ISCHR(mode)));
  rt_dict_set(d, "isblk", rt_bool(S_ISBLK(mode)));
  rt_dict_set(d, "isreg", rt_bool(S_ISREG(mode)));
  rt_dict_set(d, "isfifo", rt_bool(S_ISFIFO(mode)));
  rt_dict_set(d, "islnk", rt_bool(S_ISLNK(mode)));
  rt_dict_set(d, "issock", rt_bool(S_ISSOCK(mode)));
  rt_dict_set(d, "uid", rt_int(strtoll(e->f[F_UID], NULL, 10)));
  rt_dict_set(d, "gid", rt_int(strtoll(e->f[F_GID], NULL, 10)));
  rt_dict_set(d, "size", rt_int(strtoll(e->f[F_SIZE], NULL, 10)));
  rt_dict_set(d, "inode", rt_int(strtoll(e->f[F_INO], NULL, 10)));
  rt_dict_set(d, "dev", rt_int(strtoll(e->f[F_DEV], NULL, 10)));
  rt_dict_set(d, "nlink", rt_int(strtoll(e->f[F_NLINK], NULL, 10)));
  rt_dict_set(d, "atime", rt_float(stamp(e->f[F_AT])));
  rt_dict_set(d, "mtime", rt_float(stamp(e->f[F_MT])));
  rt_dict_set(d, "ctime", rt_float(stamp(e->f[F_CT])));
  /* find prints the number when the name is unknown; pwd.getpwuid then fails: "" */
  bool ug = strcmp(e->f[F_USER], e->f[F_UID]) != 0, gg = strcmp(e->f[F_GROUP], e->f[F_GID]) != 0;
  rt_dict_set(d, "gr_name", rt_strz(gg ? e->f[F_GROUP] : ""));
  rt_dict_set(d, "pw_name", rt_strz(ug ? e->f[F_USER] : ""));
  static const struct {
    const char *k;
    mode_t bit;
  } bits[] = {{"wusr", S_IWUSR}, {"rusr", S_IRUSR}, {"xusr", S_IXUSR}, {"wgrp", S_IWGRP}, {"rgrp", S_IRGRP},
              {"xgrp", S_IXGRP}, {"woth", S_IWOTH}, {"roth", S_IROTH}, {"xoth", S_IXOTH}, {"isuid", S_ISUID},
              {"isgid", S_ISGID}};
  for (size_t i = 0; i < sizeof bits / sizeof *bits; i++)
    rt_dict_set(d, bits[i].k, rt_bool(mode & bits[i].bit));
  return d;
}

/* A result, and what the second request must tell about its file: "C" +
 * path (contains, and the checksum when asked), "S" + path (the checksum). */
static void keep(Find *f, RtValue *info, const char *path, bool content) {
  rt_list_push(f->files, info);
  if (path && (content || f->checksum)) {
    char *c = rt_xasprintf("%c%s", content ? 'C' : 'S', path);
    rt_list_push(f->cands, rt_str_take(c, strlen(c)));
  } else {
    rt_list_push(f->cands, rt_none());
  }
}

/* One folder as os.walk yields it: the files, then the folders. */
static void walk(Find *f, Tree *t, int dir, const char *npath, const char *wpath, bool *stop) {
  Ent *d = &t->e[dir];
  f->examined += (long)d->nkids;
  int nslash_w = 0;
  for (const char *c = wpath; *c; c++)
    nslash_w += *c == '/';
  bool cut = false; /* `del dirs[:]`: no folder below this one */
  for (int pass = 0; pass < 2; pass++)
    for (size_t k = 0; k < d->nkids; k++) {
      Ent *e = &t->e[d->kids[k]];
      bool isdir = e->f[F_FTYPE][0] == 'd';
      if (isdir != (pass == 1))
        continue;
      char *joined = rt_xasprintf("%s/%s", npath, e->f[F_REL]);
      char *fsname = normpath(joined);
      free(joined);
      const char *base = strrchr(e->f[F_REL], '/') ? strrchr(e->f[F_REL], '/') + 1 : e->f[F_REL];
      if (f->depth) {
        int ns = 0;
        for (const char *c = fsname; *c; c++)
          ns += *c == '/';
        if (ns - nslash_w + 1 > f->depth) {
          cut = true;
          free(fsname);
          continue;
        }
      }
      if (base[0] == '.' && !f->hidden) {
        free(fsname);
        continue;
      }
      char lt = e->f[F_LTYPE][0];
      if (!strcmp(f->file_type, "any")) {
        if (pfilter(f, base) && agefilter(f, e)) {
          bool reg = lt == 'f';
          if (!reg || sizefilter(f, e))
            keep(f, statinfo(e, fsname), reg ? fsname : NULL, false);
        }
      } else if (lt == 'd' && !strcmp(f->file_type, "directory")) {
        if (pfilter(f, base) && agefilter(f, e))
          keep(f, statinfo(e, fsname), NULL, false);
      } else if (lt == 'f' && !strcmp(f->file_type, "file")) {
        if (pfilter(f, base) && agefilter(f, e) && sizefilter(f, e))
          keep(f, statinfo(e, fsname), fsname, f->contains);
      } else if (lt == 'l' && !strcmp(f->file_type, "link")) {
        if (pfilter(f, base) && agefilter(f, e))
          keep(f, statinfo(e, fsname), NULL, false);
      }
      free(fsname);
    }
  if (!f->recurse || cut) {
    *stop = !f->recurse;
    return;
  }
  for (size_t k = 0; k < d->nkids && !*stop; k++) {
    Ent *e = &t->e[d->kids[k]];
    if (e->f[F_FTYPE][0] != 'd' || (e->f[F_LTYPE][0] == 'l' && !f->follow))
      continue;
    walk(f, t, d->kids[k], npath, wpath, stop);
  }
}

/* ---- contains and checksums --------------------------------------------------------------- */

/* open(fsname) in text mode: UTF-8, universal newlines; NULL when it does not decode */
static char *text_of(const char *s, size_t len, size_t *out) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    size_t w = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!w || i + w > len) {
      rt_buf_free(&b);
      return NULL;
    }
    for (size_t k = 1; k < w; k++)
      if (((unsigned char)s[i + k] & 0xC0) != 0x80) {
        rt_buf_free(&b);
        return NULL;
      }
    if (c == '\r') {
      rt_buf_putc(&b, '\n');
      if (i + 1 < len && s[i + 1] == '\n')
        i++;
      continue;
    }
    rt_buf_add(&b, s + i, w);
    i += w - 1;
  }
  *out = b.len;
  return rt_buf_take(&b);
}

static bool contentfilter(ModRe *re, const char *data, size_t len, bool whole) {
  size_t tl;
  char *t = text_of(data, len, &tl);
  if (!t)
    return false;
  bool hit = false;
  ModReMatch m;
  if (whole) {
    hit = mod_re_search(re, t, tl, 0, false, &m);
  } else {
    for (size_t start = 0; start < tl && !hit;) {
      const char *nl = memchr(t + start, '\n', tl - start);
      size_t end = nl ? (size_t)(nl - t) + 1 : tl;
      hit = mod_re_search(re, t + start, end - start, 0, true, &m);
      start = end;
    }
  }
  free(t);
  return hit;
}

/* The second request: per candidate, its body (contains) and sha1. */
static int fetch_bodies(RtHost *h, Find *f, bool bodies, RtExec *ex, char **err) {
  RtBuf s = {0};
  rt_buf_puts(&s, "set -- \n");
  for (size_t i = 0; i < rt_len(f->cands); i++) {
    RtValue *c = rt_list_at(f->cands, i);
    if (rt_kind(c) != RT_STR)
      continue;
    rt_buf_printf(&s, "p=");
    rt_sh_quote(&s, c->u.str.s + 1);
    rt_buf_printf(&s, "\nif [ -r \"$p\" ]; then\n");
    if (f->checksum)
      rt_buf_printf(&s, "  set -- $(sha1sum < \"$p\") && __playc_rec sha1.%zu \"$1\"\n", i);
    if (bodies && c->u.str.s[0] == 'C')
      rt_buf_printf(&s, "  printf 'B%zu\\0'; base64 -w0 < \"$p\"; printf '\\0'\n", i);
    rt_buf_puts(&s, "  :\n");
    rt_buf_puts(&s, "fi\n");
  }
  int rc = rt_host_exec(h, s.data, NULL, 0, ex, err);
  rt_buf_free(&s);
  return rc;
}

static void second_pass(RtHost *h, Find *f, ModRe *contains, bool whole, bool *lost) {
  RtExec ex;
  char *err = NULL;
  if (fetch_bodies(h, f, contains != NULL, &ex, &err) < 0) {
    free(err);
    *lost = true;
    return;
  }
  RtValue *kept = rt_list_new(rt_len(f->files));
  const char *p = ex.out.data ? ex.out.data : "", *end = p + ex.out.len;
  for (size_t i = 0; i < rt_len(f->files); i++) {
    RtValue *info = rt_list_at(f->files, i), *c = rt_list_at(f->cands, i);
    bool ok = true;
    if (rt_kind(c) == RT_STR && c->u.str.s[0] == 'C' && contains) {
      ok = false;
      char tag[32];
      int tl = snprintf(tag, sizeof tag, "B%zu", i);
      const char *at = p;
      if (at < end && end - at > tl && !memcmp(at, tag, (size_t)tl) && at[tl] == 0) {
        const char *b = at + tl + 1, *z = memchr(b, 0, (size_t)(end - b));
        if (z) {
          unsigned char *raw = rt_xmalloc((size_t)(z - b) / 4 * 3 + 4);
          int n = EVP_DecodeBlock(raw, (const unsigned char *)b, (int)(z - b));
          if (n >= 0) {
            int pad = (z - b >= 1 && z[-1] == '=') + (z - b >= 2 && z[-2] == '=');
            ok = contentfilter(contains, (const char *)raw, (size_t)(n - pad), whole);
          }
          free(raw);
          p = z + 1;
        }
      }
    }
    if (!ok)
      continue;
    RtValue *d = rt_dict_copy(info);
    char key[32];
    snprintf(key, sizeof key, "sha1.%zu", i);
    if (f->checksum && rt_kind(c) == RT_STR && mod_rec(&ex, key))
      rt_dict_set(d, "checksum", rt_strz(mod_rec(&ex, key)));
    rt_list_push(kept, d);
  }
  rt_exec_free(&ex);
  rt_decref(f->files);
  f->files = kept;
}

/* ---- the module ------------------------------------------------------------------------------ */

RtValue *mod_find(RtHost *h, RtValue *args) {
  Find f = {0};
  RtValue *paths = mod_arg_list(args, "paths"), *r = NULL;
  f.patterns = mod_arg_list(args, "patterns");
  f.excludes = mod_arg_list(args, "excludes");
  char *contains = mod_arg_str(args, "contains"), *age = mod_arg_str(args, "age"), *size = mod_arg_str(args, "size");
  char *ftype = mod_arg_str(args, "file_type"), *astamp = mod_arg_str(args, "age_stamp"), *err = NULL;
  f.file_type = ftype ? ftype : "file";
  f.age_stamp = astamp ? astamp : "mtime";
  f.use_regex = mod_arg_bool(args, "use_regex", 0) == 1;
  f.hidden = mod_arg_bool(args, "hidden", 0) == 1;
  f.recurse = mod_arg_bool(args, "recurse", 0) == 1;
  f.follow = mod_arg_bool(args, "follow", 0) == 1;
  f.checksum = mod_arg_bool(args, "get_checksum", 0) == 1;
  bool whole = mod_arg_bool(args, "read_whole_file", 0) == 1;
  RtValue *dv = rt_dict_get(args, "depth");
  if (dv && rt_kind(dv) == RT_INT)
    f.depth = dv->u.i;
  else if (dv && rt_kind(dv) == RT_STR)
    f.depth = strtoll(dv->u.str.s, NULL, 10);
  ModRe *content_re = NULL;
  Tree *trees = NULL;
  size_t ntrees = 0;
  RtExec ex = {0};
  bool have_ex = false;
  if (!f.patterns || !rt_len(f.patterns)) {
    rt_decref(f.patterns);
    f.patterns = rt_list_new(1);
    rt_list_push(f.patterns, rt_strz(f.use_regex ? ".*" : "*"));
  }
  static const long long secs[] = {1, 60, 3600, 86400, 604800};
  static const long long bytes[] = {1, 1024, 1024LL * 1024, 1024LL * 1024 * 1024, 1024LL * 1024 * 1024 * 1024};
  if (age && !(f.has_age = unit_value(age, "smhdw", secs, &f.age))) {
    r = mod_fail_result("failed to process age");
    rt_dict_set(r, "age", rt_strz(age));
    goto done;
  }
  if (size && !(f.has_size = unit_value(size, "bkmgt", bytes, &f.size))) {
    r = mod_fail_result("failed to process size");
    rt_dict_set(r, "size", rt_strz(size));
    goto done;
  }
  if (f.use_regex) {
    size_t np = rt_len(f.patterns), ne = f.excludes ? rt_len(f.excludes) : 0;
    f.pre = rt_xcalloc(np + 1, sizeof *f.pre);
    f.ere = rt_xcalloc(ne + 1, sizeof *f.ere);
    for (size_t i = 0; i < np + ne; i++) {
      RtValue *p = i < np ? rt_list_at(f.patterns, i) : rt_list_at(f.excludes, i - np);
      ModRe *re = mod_re_compile(p->u.str.s, p->u.str.len, 0, true, &err);
      if (!re) {
        r = mod_fail_result("%s", err);
        goto done;
      }
      if (i < np)
        f.pre[i] = re;
      else
        f.ere[i - np] = re;
    }
  }
  f.contains = contains != NULL;
  if (contains && !(content_re = mod_re_compile(contains, strlen(contains), 0, true, &err))) {
    r = mod_fail_result("%s", err);
    goto done;
  }
  RtBuf s = {0};
  script(&s, paths ? paths : rt_list_new(0), &f);
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  if (rc < 0)
    goto done;
  have_ex = true;
  f.now = stamp(mod_rec(&ex, "now") ? mod_rec(&ex, "now") : "0");
  trees = parse(ex.out.data ? ex.out.data : "", ex.out.len, &ntrees);
  f.files = rt_list_new(8);
  f.cands = rt_list_new(8);
  RtValue *skipped = rt_dict_new(2), *warnings = rt_list_new(0);
  for (size_t i = 0; i < ntrees; i++) {
    Tree *t = &trees[i];
    if (!t->root) { /* "'%s' is not a directory" */
      const char *np = t->e[0].f[F_REL];
      char *why = rt_xasprintf("'%s' is not a directory", np);
      char *w = rt_xasprintf("Skipped '%s' path due to this access issue: %s\n", np, why);
      rt_dict_set(skipped, np, rt_str_take(why, strlen(why)));
      rt_list_push(warnings, rt_str_take(w, strlen(w)));
      continue;
    }
    if (!t->n)
      continue;
    link_tree(t);
    /* wpath = npath.rstrip(os.path.sep) + os.path.sep */
    size_t rl = strlen(t->root);
    while (rl > 0 && t->root[rl - 1] == '/')
      rl--;
    char *wpath = rt_xasprintf("%.*s/", (int)rl, t->root);
    bool stop = false;
    walk(&f, t, 0, t->root, wpath, &stop);
    free(wpath);
  }
  /* only contains and checksums need the files themselves */
  bool need = false;
  for (size_t i = 0; i < rt_len(f.cands) && !need; i++)
    need = rt_kind(rt_list_at(f.cands, i)) == RT_STR && (content_re || f.checksum);
  if (!content_re && !f.checksum) {
    /* nothing more to learn */
  } else if (need) {
    bool lost = false;
    second_pass(h, &f, content_re, whole, &lost);
    if (lost) {
      rt_decref(skipped);
      rt_decref(warnings);
      goto done;
    }
  }
  r = rt_dict_new(8);
  rt_dict_set(r, "files", rt_incref(f.files));
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "msg", rt_strz(rt_len(warnings) ? "Not all paths examined, check warnings for details"
                                                 : "All paths examined"));
  rt_dict_set(r, "matched", rt_int((int64_t)rt_len(f.files)));
  rt_dict_set(r, "examined", rt_int(f.examined));
  rt_dict_set(r, "skipped_paths", skipped);
  if (rt_len(warnings))
    rt_dict_set(r, "warnings", warnings);
  else
    rt_decref(warnings);
done:
  for (size_t i = 0; i < ntrees; i++) {
    for (size_t k = 0; k < trees[i].n; k++)
      free(trees[i].e[k].kids);
    free(trees[i].e);
  }
  free(trees);
  if (have_ex)
    rt_exec_free(&ex);
  for (size_t i = 0; f.pre && i < rt_len(f.patterns); i++)
    mod_re_free(f.pre[i]);
  for (size_t i = 0; f.ere && f.excludes && i < rt_len(f.excludes); i++)
    mod_re_free(f.ere[i]);
  free(f.pre);
  free(f.ere);
  mod_re_free(content_re);
  rt_decref(f.files);
  rt_decref(f.cands);
  rt_decref(f.patterns);
  rt_decref(f.excludes);
  rt_decref(paths);
  free(contains);
  free(age);
  free(size);
  free(ftype);
  free(astamp);
  free(err);
  return r;
}

#endif
