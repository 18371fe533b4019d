/*
 * file.c — the file module: states absent, directory, file, hard, link and
 * touch, owner, group, mode (octal or symbolic), recurse, follow, force,
 * src, access_time/modification_time and their formats, with the `diff`
 * (before/after path, state, attributes, times) every result carries.
 *
 * Ansible's module is a set of decisions over what it finds on disk, so it
 * is ported as such: one request inspects the path (expanded on the
 * target as type=path), its state as get_state() sees it, its lstat, a
 * link's target and real path, the src, owner/group lookups, the times,
 * and for recurse or a folder to remove, the tree below (GNU find); the
 * controller then runs ensure_absent/directory/file/symlink/hardlink and
 * execute_touch on that, and only when something must change, and never
 * in check mode, a second request applies the operations they chose and
 * reports the stat that add_path_info puts in the result. A path already
 * as asked costs one round trip.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam file_params[] = {
    {.name = "path", .type = MP_PATH, .required = true, .aliases = "dest,name"},
    {.name = "state", .type = MP_STR, .choices = "absent,directory,file,hard,link,touch"},
    {.name = "src", .type = MP_PATH},
    {.name = "recurse", .type = MP_BOOL, .def = "no"},
    {.name = "force", .type = MP_BOOL, .def = "no"},
    {.name = "follow", .type = MP_BOOL, .def = "yes"},
    {.name = "modification_time", .type = MP_STR},
    {.name = "modification_time_format", .type = MP_STR, .def = "%Y%m%d%H%M.%S"},
    {.name = "access_time", .type = MP_STR},
    {.name = "access_time_format", .type = MP_STR, .def = "%Y%m%d%H%M.%S"},
    /* the common file arguments */
    {.name = "mode", .type = MP_MODE},
    {.name = "owner", .type = MP_STR, .aliases = "user"},
    {.name = "group", .type = MP_STR},
    {.name = "seuser", .type = MP_STR},
    {.name = "serole", .type = MP_STR},
    {.name = "setype", .type = MP_STR},
    {.name = "selevel", .type = MP_STR},
    {.name = "unsafe_writes", .type = MP_BOOL, .def = "no"},
};
const ModSchema mod_schema_file = {
    .name = "file",
    .params = file_params,
    .nparams = MOD_N(file_params),
    .free_form = true,
    .tools = "stat,find,realpath,readlink,mkdir,rm,ln,mv,chmod,chown,chgrp,touch,id",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

/* A path's attributes as the inspection found them. */
typedef struct Fst {
  bool exists;
  long long uid, gid, ino, nlink;
  long mode; /* permission bits */
  char type; /* 'd' 'l' 'f' or another find %y letter */
  double atime, mtime;
  long long size;
  char owner[64], group[64]; /* names, "UNKNOWN" when there are none */
} Fst;

typedef struct F {
  RtHost *h;
  bool check, follow, force, recurse;
  char *owner, *group, *sym, *af;
  long mode, umask;
  long long ou, og, my_uid, my_gid;
  const RtExec *ex;  /* the inspection */
  RtBuf ops;         /* shell run by the second request */
  RtBuf post;        /* run after the stat add_path_info reports */
  RtValue *warnings; /* list */
  /* times: 0 preserve, 1 now, 2 the value */
  int mt_kind, at_kind;
  double mt, at;
} F;

/* The records "PREFIX.st" ("uid gid mode ino size owner group", lstat),
 * "PREFIX.L" ("nlink atime mtime", followed) and "PREFIX.kind" as an Fst. */
static Fst stat_of(const RtExec *ex, const char *prefix) {
  Fst s = {0};
  char key[32];
  snprintf(key, sizeof key, "%s.st", prefix);
  const char *st = mod_rec(ex, key);
  snprintf(key, sizeof key, "%s.L", prefix);
  const char *fl = mod_rec(ex, key);
  snprintf(key, sizeof key, "%s.kind", prefix);
  const char *kind = mod_rec(ex, key);
  if (!st || !kind)
    return s;
  char at[48] = "", mt[48] = "";
  sscanf(st, "%lld %lld %lo %lld %lld %63s %63s", &s.uid, &s.gid, &s.mode, &s.ino, &s.size, s.owner, s.group);
  s.nlink = 1;
  if (fl)
    sscanf(fl, "%lld %47s %47s", &s.nlink, at, mt);
  s.atime = strtod(at, NULL);
  s.mtime = strtod(mt, NULL);
  s.exists = true;
  s.type = kind[0];
  return s;
}

/* get_state() from an Fst */
static const char *state_of(const Fst *s) {
  if (!s->exists)
    return "absent";
  if (s->type == 'l')
    return "link";
  if (s->type == 'd')
    return "directory";
  return s->nlink > 1 ? "hard" : "file";
}

static void diff_put(RtValue *diff, const char *side, const char *key, RtValue *v) {
  RtValue *d = rt_dict_get(diff, side);
  rt_dict_set(d, key, v);
}

/* initial_diff */
static RtValue *initial_diff(const char *path, const char *state, const char *prev) {
  RtValue *d = rt_dict_new(2), *b = rt_dict_new(4), *a = rt_dict_new(4);
  rt_dict_set(b, "path", rt_strz(path));
  rt_dict_set(a, "path", rt_strz(path));
  rt_dict_set(d, "before", b);
  rt_dict_set(d, "after", a);
  if (strcmp(state, prev) != 0) {
    rt_dict_set(b, "state", rt_strz(prev));
    rt_dict_set(a, "state", rt_strz(state));
  }
  return d;
}

static void op(F *f, const char *fmt, const char *path) {
  rt_buf_puts(&f->ops, fmt);
  rt_buf_putc(&f->ops, ' ');
  rt_sh_quote(&f->ops, path);
  rt_buf_puts(&f->ops, " || exit 1\n");
}

/* set_fs_attributes_if_different on `path` with attributes `cur`; the
 * changes go to f->ops, their before/after to `diff` (may be NULL).
 * Returns a failure result, or NULL and *changed. */
static RtValue *set_attrs(F *f, const char *path, const Fst *cur, RtValue *diff, bool *changed) {
  if (f->check && !cur->exists) { /* check_file_absent_if_check_mode */
    if (f->owner || f->group || f->mode >= 0 || f->sym)
      *changed = true;
    return NULL;
  }
  if (f->owner) {
    if (f->af && !strcmp(f->af, "nouser")) {
      RtValue *r = mod_fail_result("chown failed: failed to look up user %s", f->owner);
      rt_dict_set(r, "path", rt_strz(path));
      return r;
    }
    if (cur->uid != f->ou) {
      if (diff) {
        diff_put(diff, "before", "owner", rt_int(cur->uid));
        diff_put(diff, "after", "owner", rt_int(f->ou));
      }
      char cmd[64];
      snprintf(cmd, sizeof cmd, "chown -h -- %lld", f->ou);
      op(f, cmd, path);
      *changed = true;
    }
  }
  if (f->group) {
    if (f->af && !strcmp(f->af, "nogroup")) {
      RtValue *r = mod_fail_result("chgrp failed: failed to look up group %s", f->group);
      rt_dict_set(r, "path", rt_strz(path));
      return r;
    }
    if (cur->gid != f->og) {
      if (diff) {
        diff_put(diff, "before", "group", rt_int(cur->gid));
        diff_put(diff, "after", "group", rt_int(f->og));
      }
      char cmd[64];
      snprintf(cmd, sizeof cmd, "chgrp -h -- %lld", f->og);
      op(f, cmd, path);
      *changed = true;
    }
  }
  long want = f->mode;
  if (f->sym) {
    want = mod_symbolic_mode(f->sym, cur->mode, cur->type == 'd', f->umask);
    if (want < 0) {
      RtValue *r = mod_fail_result("mode must be in octal or symbolic form");
      rt_dict_set(r, "path", rt_strz(path));
      return r;
    }
  }
  if (want >= 0 && want != cur->mode) {
    if (diff) {
      char b[32], a[32];
      snprintf(b, sizeof b, "0%03lo", cur->mode);
      snprintf(a, sizeof a, "0%03lo", want);
      diff_put(diff, "before", "mode", rt_strz(b));
      diff_put(diff, "after", "mode", rt_strz(a));
    }
    if (cur->type != 'l') { /* Linux has no lchmod: a link's mode is left alone */
      char cmd[64];
      snprintf(cmd, sizeof cmd, "chmod -- %lo", want);
      op(f, cmd, path);
    }
    *changed = true;
  }
  return NULL;
}

/* update_timestamp_for_file */
static bool set_times(F *f, const char *path, const Fst *cur, RtValue *diff) {
  if (!f->mt_kind && !f->at_kind)
    return false;
  double now = (double)time(NULL);
  double mt = f->mt_kind == 0 ? cur->mtime : f->mt_kind == 1 ? now : f->mt;
  double at = f->at_kind == 0 ? cur->atime : f->at_kind == 1 ? now : f->at;
  if (f->mt_kind == 1 && f->at_kind == 1) {
    op(f, "touch --", path); /* utime(path, None) */
  } else {
    if (mt == cur->mtime && at == cur->atime)
      return false;
    char cmd[96];
    snprintf(cmd, sizeof cmd, "touch -a -d @%.9f --", at);
    op(f, cmd, path);
    snprintf(cmd, sizeof cmd, "touch -m -d @%.9f --", mt);
    op(f, cmd, path);
  }
  if (diff) {
    if (mt != cur->mtime) {
      diff_put(diff, "before", "mtime", rt_float(cur->mtime));
      diff_put(diff, "after", "mtime", rt_float(mt));
    }
    if (at != cur->atime) {
      diff_put(diff, "before", "atime", rt_float(cur->atime));
      diff_put(diff, "after", "atime", rt_float(at));
    }
  }
  return true;
}

/* ---- the inspection -------------------------------------------------------------------- */

/* Shell: records PREFIX.kind, PREFIX.st and PREFIX.L for "$var". */
static void stat_script(RtBuf *s, const char *var, const char *prefix) {
  rt_buf_printf(s,
                "if [ -L \"$%s\" ]; then __playc_rec %s.kind l; elif [ -d \"$%s\" ]; then __playc_rec %s.kind d; "
                "elif [ -e \"$%s\" ]; then __playc_rec %s.kind f; fi\n"
                "if [ -e \"$%s\" ] || [ -L \"$%s\" ]; then\n"
                "  __playc_rec %s.st \"$(stat -c '%%u %%g %%a %%i %%s %%U %%G' -- \"$%s\")\"\n"
                "  __playc_rec %s.L \"$(stat -L -c '%%h %%.9X %%.9Y' -- \"$%s\" 2>/dev/null || "
                "stat -c '%%h %%.9X %%.9Y' -- \"$%s\")\"\nfi\n",
                var, prefix, var, prefix, var, prefix, var, var, prefix, var, prefix, var, var);
}

static void inspect_script(RtBuf *s, F *f, const char *path, const char *src, const char *state, bool walk) {
  mod_sh_set_path(s, "p", path);
  if (src)
    mod_sh_set_path(s, "s", src);
  /* additional_parameter_handling: into the folder, under src's name */
  if (src && (!state || (strcmp(state, "link") && strcmp(state, "absent"))))
    rt_buf_puts(s, "if [ -d \"$p\" ]; then p=${p%/}/${s##*/}; fi\n");
  rt_buf_puts(s, "__playc_rec p \"$p\"\n");
  ModAttrs a = {f->owner, f->group, -1, NULL, false};
  mod_sh_attrs_begin(s, &a);
  rt_buf_puts(s, "__playc_rec af \"$af\"; __playc_rec ou \"${ou-}\"; __playc_rec og \"${og-}\"\n"
                 "__playc_rec umask \"$(umask)\"; __playc_rec ids \"$(id -u) $(id -g)\"\n");
  stat_script(s, "p", "p");
  rt_buf_puts(s, "if [ -L \"$p\" ]; then __playc_rec lt \"$(readlink -- \"$p\")\"; rp=$(realpath -m -- \"$p\"); "
                 "__playc_rec rp \"$rp\"\n");
  stat_script(s, "rp", "rp");
  rt_buf_puts(s, "fi\n"
                 /* the deepest part of the path (or of its real path) that exists */
                 "__playc_anc() { x=$1; while [ ! -e \"$x\" ] && [ \"${x%/*}\" != \"$x\" ]; do x=${x%/*}; done; "
                 "[ -e \"$x\" ] || x=; __playc_rec \"$2\" \"$x\"; }\n"
                 "__playc_anc \"$p\" anc; [ -z \"${rp-}\" ] || __playc_anc \"$rp\" ranc\n"
                 "if [ -d \"$p\" ] && [ ! -L \"$p\" ] && [ -n \"$(ls -A -- \"$p\" 2>/dev/null)\" ]; then "
                 "__playc_rec nonempty 1; fi\n"
                 "case $p in */*) dir=${p%/*}; [ -n \"$dir\" ] || dir=/;; *) dir=.;; esac\n"
                 "__playc_rec dir \"$dir\"\n");
  if (src) {
    /* a link's src is relative to the link's folder (or the path, a real folder) */
    rt_buf_puts(s, "__playc_rec s \"$s\"\n"
                   "if [ ! -L \"$p\" ] && [ -d \"$p\" ]; then rel=$p; else rel=$dir; fi\n"
                   "case $s in /*) as=$s;; *) as=$rel/$s;; esac\n"
                   "[ -e \"$as\" ] && __playc_rec asx 1\n"
                   /* a new link's target: relative to the link's folder */
                   "case $s in /*) t=$s;; *) t=$dir/$s;; esac\n");
    stat_script(s, "s", "s");
    rt_buf_puts(s, "if [ -e \"$t\" ]; then\n");
    stat_script(s, "t", "t");
    rt_buf_puts(s, "fi\n");
  }
  if (walk) /* a folder's tree, for recurse or for the diff of its removal */
    rt_buf_puts(s, "if [ -d \"$p\" ] && [ ! -L \"$p\" ]; then find \"$p\" -mindepth 1 -printf "
                   "'%y\\0%Y\\0%U\\0%G\\0%m\\0%A@\\0%T@\\0%P\\0'; fi\n");
}

/* ---- os.walk over the listing ------------------------------------------------------------- */

typedef struct Ent {
  const char *f[8]; /* %y %Y %U %G %m %A@ %T@ %P */
  int *kids;
  size_t nkids, cap;
} Ent;

typedef struct Tree {
  Ent *e; /* e[0] is the root */
  size_t n;
} Tree;

static const char *key_of(const void *ctx, uint32_t pos, size_t *len) {
  const Ent *e = &((const Ent *)ctx)[pos];
  *len = strlen(e->f[7]);
  return e->f[7];
}

static Tree tree_parse(const char *out, size_t len) {
  Tree t = {0};
  size_t cap = 16;
  t.e = rt_xcalloc(cap, sizeof(Ent));
  t.e[0].f[7] = "";
  t.n = 1;
  const char *p = out, *end = out + len;
  while (p < end) {
    if (t.n == cap) {
      cap *= 2;
      t.e = rt_xrealloc(t.e, cap * sizeof(Ent));
    }
    Ent *e = &t.e[t.n];
    memset(e, 0, sizeof *e);
    for (int k = 0; k < 8; k++) {
      const char *z = memchr(p, 0, (size_t)(end - p));
      e->f[k] = p;
      p = z ? z + 1 : end;
    }
    t.n++;
  }
  RtIndex ix = {0};
  rt_index_add(&ix, 0, key_of, t.e);
  for (size_t i = 1; i < t.n; i++) {
    const char *rel = t.e[i].f[7], *slash = strrchr(rel, '/');
    int64_t parent = slash ? rt_index_find(&ix, rel, (size_t)(slash - rel), key_of, t.e) : 0;
    if (parent >= 0) {
      Ent *pe = &t.e[parent];
      if (pe->nkids == pe->cap) {
        pe->cap = pe->cap ? 2 * pe->cap : 8;
        pe->kids = rt_xrealloc(pe->kids, pe->cap * sizeof *pe->kids);
      }
      pe->kids[pe->nkids++] = (int)i;
    }
    rt_index_add(&ix, (uint32_t)i, key_of, t.e);
  }
  rt_index_free(&ix);
  return t;
}

static void tree_free(Tree *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->e[i].kids);
  free(t->e);
}

/* os.walk(top): per folder its sub-folders (is_dir, links followed) and
 * files; calls `fn` with the folder's index, in walk order. */
typedef void (*WalkFn)(void *ctx, Tree *t, int dir);
static void walk(Tree *t, int dir, WalkFn fn, void *ctx) {
  fn(ctx, t, dir);
  Ent *d = &t->e[dir];
  for (size_t k = 0; k < d->nkids; k++) {
    Ent *e = &t->e[d->kids[k]];
    if (e->f[1][0] == 'd' && e->f[0][0] != 'l')
      walk(t, d->kids[k], fn, ctx);
  }
}

typedef struct WalkList {
  const char *root;
  RtValue *dirs, *files;
} WalkList;

static void walklist_fn(void *ctx, Tree *t, int dir) {
  WalkList *w = ctx;
  Ent *d = &t->e[dir];
  for (int pass = 0; pass < 2; pass++)
    for (size_t k = 0; k < d->nkids; k++) {
      Ent *e = &t->e[d->kids[k]];
      bool isdir = e->f[1][0] == 'd';
      if (isdir != (pass == 0))
        continue;
      char *p = rt_xasprintf("%s/%s", w->root, e->f[7]);
      rt_list_push(isdir ? w->dirs : w->files, rt_str_take(p, strlen(p)));
    }
}

typedef struct Recurse {
  F *f;
  const char *root;
  bool changed;
  RtValue *fail;
} Recurse;

static Fst ent_stat(const Ent *e) {
  Fst s = {0};
  s.exists = true;
  s.type = e->f[0][0];
  s.uid = strtoll(e->f[2], NULL, 10);
  s.gid = strtoll(e->f[3], NULL, 10);
  s.mode = strtol(e->f[4], NULL, 8) & 07777;
  s.atime = strtod(e->f[5], NULL);
  s.mtime = strtod(e->f[6], NULL);
  return s;
}

/* recursive_set_attributes: every entry below, folders then files per folder */
static void recurse_fn(void *ctx, Tree *t, int dir) {
  Recurse *r = ctx;
  Ent *d = &t->e[dir];
  for (int pass = 0; pass < 2 && !r->fail; pass++)
    for (size_t k = 0; k < d->nkids && !r->fail; k++) {
      Ent *e = &t->e[d->kids[k]];
      if ((e->f[1][0] == 'd') != (pass == 0))
        continue;
      char *p = rt_xasprintf("%s/%s", r->root, e->f[7]);
      Fst s = ent_stat(e);
      bool ch = false;
      r->fail = set_attrs(r->f, p, &s, NULL, &ch);
      r->changed |= ch;
      if (!r->fail)
        r->changed |= set_times(r->f, p, &s, NULL);
      free(p);
    }
}

/* ---- the states --------------------------------------------------------------------------- */

/* time.strptime + time.mktime: seconds, or false on a bad time */
static bool parse_time(const char *text, const char *fmt, double *out) {
  struct tm tm = {0};
  const char *end = strptime(text, fmt, &tm);
  if (!end || *end)
    return false;
  tm.tm_isdst = -1;
  *out = (double)mktime(&tm);
  return true;
}

static RtValue *result_with(RtValue *r, const char *key, const char *path) {
  rt_dict_set(r, key, rt_strz(path));
  return r;
}

RtValue *mod_file(RtHost *h, RtValue *args) {
  F f = {0};
  f.h = h;
  f.check = h->check_mode;
  char *path = mod_arg_str(args, "path"), *state = mod_arg_str(args, "state"), *src = mod_arg_str(args, "src");
  char *mtime = mod_arg_str(args, "modification_time"), *atime = mod_arg_str(args, "access_time");
  char *mfmt = mod_arg_str(args, "modification_time_format"), *afmt = mod_arg_str(args, "access_time_format");
  f.owner = mod_arg_str(args, "owner");
  f.group = mod_arg_str(args, "group");
  f.recurse = mod_arg_bool(args, "recurse", 0) == 1;
  f.force = mod_arg_bool(args, "force", 0) == 1;
  f.follow = mod_arg_bool(args, "follow", 1) != 0;
  f.mode = mod_arg_mode(args, "mode");
  f.warnings = rt_list_new(0);
  if (f.mode == -2) {
    f.sym = mod_arg_str(args, "mode");
    f.mode = -1;
  }
  RtValue *r = NULL, *diff = NULL;
  char *err = NULL;
  RtExec ex = {0}, fin = {0};
  bool have_ex = false, have_fin = false;
  Tree tree = {0};
  RtBuf s = {0};
  bool walk_needed = f.recurse || (state && !strcmp(state, "absent"));
  inspect_script(&s, &f, path, src, state, walk_needed);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have_ex = true;
  f.ex = &ex;
  const char *p = mod_rec(&ex, "p") ? mod_rec(&ex, "p") : path;
  f.af = mod_rec(&ex, "af") && *mod_rec(&ex, "af") ? rt_xstrdup(mod_rec(&ex, "af")) : NULL;
  f.ou = mod_rec_int(&ex, "ou", -1);
  f.og = mod_rec_int(&ex, "og", -1);
  f.umask = strtol(mod_rec(&ex, "umask") ? mod_rec(&ex, "umask") : "022", NULL, 8);
  sscanf(mod_rec(&ex, "ids") ? mod_rec(&ex, "ids") : "0 0", "%lld %lld", &f.my_uid, &f.my_gid);
  Fst ps = stat_of(&ex, "p");
  const char *prev = state_of(&ps);
  bool changed = false;
  const char *info_path = p; /* add_path_info's path */
  const char *rp = mod_rec(&ex, "rp");
  Fst rs = stat_of(&ex, "rp");
  /* the state defaults to what is there */
  char *st = state ? rt_xstrdup(state)
             : strcmp(prev, "absent") ? rt_xstrdup(prev)
             : f.recurse ? rt_xstrdup("directory")
                         : rt_xstrdup("file");
  if (f.recurse && strcmp(st, "directory")) {
    r = result_with(mod_fail_result("recurse option requires state to be 'directory'"), "path", p);
    goto apply;
  }
  if (src && strcmp(st, "link") && strcmp(st, "hard")) {
    r = result_with(mod_fail_result("src option requires state to be 'link' or 'hard'"), "path", p);
    goto apply;
  }
  /* timestamps: preserve by default, now for touch */
  const char *mt = mtime ? mtime : !strcmp(st, "touch") ? "now" : "preserve";
  const char *at = atime ? atime : !strcmp(st, "touch") ? "now" : "preserve";
  for (int k = 0; k < 2; k++) {
    const char *v = k ? at : mt, *fmt = k ? (afmt ? afmt : "%Y%m%d%H%M.%S") : (mfmt ? mfmt : "%Y%m%d%H%M.%S");
    int kind = !strcmp(v, "preserve") ? 0 : !strcmp(v, "now") ? 1 : 2;
    double t = 0;
    if (kind == 2 && !parse_time(v, fmt, &t)) {
      r = mod_fail_result("Error while obtaining timestamp for time %s using format %s: time data '%s' does not "
                          "match format '%s'",
                          v, fmt, v, fmt);
      goto apply;
    }
    if (k) {
      f.at_kind = kind;
      f.at = t;
    } else {
      f.mt_kind = kind;
      f.mt = t;
    }
  }
  /* check mode: check_owner_exists / check_group_exists warn */
  if (f.check && strcmp(st, "absent") && f.af) {
    bool user = !strcmp(f.af, "nouser");
    char *w = rt_xasprintf("failed to look up %s %s. Create %s up to this point in real play", user ? "user" : "group",
                           user ? f.owner : f.group, user ? "user" : "group");
    rt_list_push(f.warnings, rt_str_take(w, strlen(w)));
  }
  if (walk_needed)
    tree = tree_parse(ex.out.data ? ex.out.data : "", ex.out.len);
  if (!strcmp(st, "absent")) {
    if (strcmp(prev, "absent")) {
      diff = initial_diff(p, "absent", prev);
      if (!strcmp(prev, "directory")) {
        WalkList w = {p, rt_list_new(4), rt_list_new(4)};
        walk(&tree, 0, walklist_fn, &w);
        RtValue *pc = rt_dict_new(2);
        rt_dict_set(pc, "directories", w.dirs);
        rt_dict_set(pc, "files", w.files);
        diff_put(diff, "before", "path_content", pc);
        op(&f, "rm -rf --", p);
      } else {
        op(&f, "rm -f --", p);
      }
      changed = true;
    }
    r = rt_dict_new(6);
    rt_dict_set(r, "path", rt_strz(p));
    rt_dict_set(r, "changed", rt_bool(changed));
    if (diff)
      rt_dict_set(r, "diff", rt_incref(diff));
    rt_dict_set(r, "state", rt_strz("absent"));
  } else if (!strcmp(st, "touch")) {
    r = rt_dict_new(6);
    rt_dict_set(r, "dest", rt_strz(p));
    if (!strcmp(prev, "absent") && f.check) {
      rt_dict_set(r, "changed", rt_bool(true));
    } else {
      Fst cur = ps;
      if (!strcmp(prev, "absent")) { /* open(path, 'wb').close() */
        rt_buf_puts(&f.ops, "( : >> \"$p\" ) 2>/dev/null || { __playc_rec touchfail 1; exit 0; }\n");
        cur = (Fst){.exists = true, .uid = f.my_uid, .gid = f.my_gid, .nlink = 1, .mode = 0666 & ~f.umask, .type = 'f'};
        changed = true;
      }
      diff = initial_diff(p, "touch", prev);
      RtValue *bad = set_attrs(&f, p, &cur, diff, &changed);
      if (bad) {
        /* fail_json reports the file it made (add_path_info), then the
         * module removes it */
        if (!strcmp(prev, "absent"))
          rt_buf_puts(&f.post, "rm -f -- \"$p\"\n");
        rt_decref(r);
        r = bad;
        goto apply;
      }
      changed |= set_times(&f, p, &cur, diff);
      rt_dict_set(r, "changed", rt_bool(changed));
      rt_dict_set(r, "diff", rt_incref(diff));
    }
  } else if (!strcmp(st, "file")) {
    const char *fp = p;
    Fst cur = ps;
    const char *pv = prev;
    if (strcmp(prev, "file") && f.follow && !strcmp(prev, "link")) {
      fp = rp;
      cur = rs;
      pv = state_of(&rs);
    }
    if (strcmp(pv, "file") && strcmp(pv, "hard")) {
      r = mod_fail_result("file (%s) is %s, cannot continue", fp, pv);
      rt_dict_set(r, "path", rt_strz(fp));
      rt_dict_set(r, "state", rt_strz(pv));
      goto apply;
    }
    diff = initial_diff(fp, "file", pv);
    RtValue *bad = set_attrs(&f, fp, &cur, diff, &changed);
    if (bad) {
      r = bad;
      goto apply;
    }
    changed |= set_times(&f, fp, &cur, diff);
    r = rt_dict_new(6);
    rt_dict_set(r, "path", rt_strz(fp));
    rt_dict_set(r, "changed", rt_bool(changed));
    rt_dict_set(r, "diff", rt_incref(diff));
    info_path = fp;
  } else if (!strcmp(st, "directory")) {
    const char *dp = p;
    Fst cur = ps;
    const char *pv = prev;
    if (f.follow && !strcmp(prev, "link")) {
      dp = rp;
      cur = rs;
      pv = state_of(&rs);
    }
    info_path = dp;
    diff = initial_diff(dp, "directory", pv);
    if (!strcmp(pv, "absent")) {
      if (!f.check) {
        /* every missing component made, and given the attributes */
        rt_buf_puts(&f.ops, "c=\n");
        char *copy = rt_xstrdup(dp), *save = NULL;
        RtBuf cp = {0};
        bool abs = dp[0] == '/';
        const char *anc = mod_rec(&ex, dp == p ? "anc" : "ranc");
        size_t anclen = anc ? strlen(anc) : 0;
        for (char *comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
          if (cp.len || abs)
            rt_buf_putc(&cp, '/');
          rt_buf_puts(&cp, comp);
          /* what exists is left alone: only new folders get the attributes */
          if (anclen && cp.len <= anclen && !strncmp(anc, cp.data, cp.len))
            continue;
          rt_buf_puts(&f.ops, "if [ ! -e ");
          rt_sh_quote(&f.ops, cp.data);
          rt_buf_puts(&f.ops, " ]; then mkdir -- ");
          rt_sh_quote(&f.ops, cp.data);
          rt_buf_puts(&f.ops, " 2>/dev/null || [ -d ");
          rt_sh_quote(&f.ops, cp.data);
          rt_buf_puts(&f.ops, " ] || { __playc_rec mkfail ");
          rt_sh_quote(&f.ops, cp.data);
          rt_buf_puts(&f.ops, "; exit 0; }\n");
          Fst nd = {.exists = true, .uid = f.my_uid, .gid = f.my_gid, .nlink = 2, .mode = 0777 & ~f.umask, .type = 'd'};
          RtBuf sub = f.ops;
          f.ops = (RtBuf){0};
          RtValue *bad = set_attrs(&f, cp.data, &nd, diff, &changed);
          RtBuf attrs = f.ops;
          f.ops = sub;
          if (attrs.len)
            rt_buf_add(&f.ops, attrs.data, attrs.len);
          rt_buf_free(&attrs);
          rt_buf_puts(&f.ops, "fi\n");
          if (bad) { /* the folder is made, then the attributes fail */
            info_path = rt_dict_get(bad, "path") ? rt_dict_get(bad, "path")->u.str.s : dp;
            free(copy);
            rt_buf_free(&cp);
            r = bad;
            goto apply;
          }
        }
        free(copy);
        rt_buf_free(&cp);
      }
      changed = true;
    } else if (strcmp(pv, "directory")) {
      r = mod_fail_result("%s already exists as a %s", dp, pv);
      rt_dict_set(r, "path", rt_strz(dp));
      goto apply;
    } else {
      RtValue *bad = set_attrs(&f, dp, &cur, diff, &changed);
      if (bad) {
        r = bad;
        goto apply;
      }
      changed |= set_times(&f, dp, &cur, diff);
      if (f.recurse) {
        Recurse rc = {&f, dp, false, NULL};
        walk(&tree, 0, recurse_fn, &rc);
        if (rc.fail) {
          r = rc.fail;
          goto apply;
        }
        changed |= rc.changed;
      }
    }
    r = rt_dict_new(6);
    rt_dict_set(r, "path", rt_strz(dp));
    rt_dict_set(r, "changed", rt_bool(changed));
    rt_dict_set(r, "diff", rt_incref(diff));
  } else if (!strcmp(st, "link")) {
    const char *lsrc = src;
    if (!lsrc && f.follow && ps.exists && mod_rec(&ex, "lt")) /* an existing link's own target */
      lsrc = mod_rec(&ex, "lt");
    const char *absrc_ok = mod_rec(&ex, "asx");
    if (!f.force && src && !absrc_ok) {
      const char *dir = mod_rec(&ex, "dir") ? mod_rec(&ex, "dir") : ".";
      const char *rel = ps.exists && ps.type == 'd' ? p : dir;
      char *absrc = src[0] == '/' ? rt_xstrdup(src) : rt_xasprintf("%s/%s", rel, src);
      r = mod_fail_result("src file does not exist, use \"force=yes\" if you really want to create the link: %s",
                          absrc);
      free(absrc);
      rt_dict_set(r, "path", rt_strz(p));
      rt_dict_set(r, "src", rt_strz(src));
      goto apply;
    }
    if (!strcmp(prev, "directory")) {
      if (!f.force) {
        r = result_with(mod_fail_result("refusing to convert from %s to symlink for %s", prev, p), "path", p);
        goto apply;
      }
      if (mod_rec(&ex, "nonempty")) {
        r = result_with(mod_fail_result("the directory %s is not empty, refusing to convert it", p), "path", p);
        goto apply;
      }
    } else if ((!strcmp(prev, "file") || !strcmp(prev, "hard")) && !f.force) {
      r = result_with(mod_fail_result("refusing to convert from %s to symlink for %s", prev, p), "path", p);
      goto apply;
    }
    diff = initial_diff(p, "link", prev);
    if (strcmp(prev, "link")) {
      if (!lsrc) {
        r = mod_fail_result("src is required for creating new symlinks");
        goto apply;
      }
      changed = true;
    } else if (lsrc && strcmp(mod_rec(&ex, "lt") ? mod_rec(&ex, "lt") : "", lsrc) != 0) {
      diff_put(diff, "before", "src", rt_strz(mod_rec(&ex, "lt") ? mod_rec(&ex, "lt") : ""));
      diff_put(diff, "after", "src", rt_strz(lsrc));
      changed = true;
    }
    if (changed) { /* a temp link renamed over the path (rmdir first for a folder) */
      char rnd[17];
      rt_random_hex(rnd, 8);
      if (!strcmp(prev, "directory"))
        op(&f, "rmdir --", p);
      rt_buf_puts(&f.ops, "t=${p%/*}/.playc-link-");
      rt_buf_puts(&f.ops, rnd);
      rt_buf_puts(&f.ops, "; case $p in */*) ;; *) t=.playc-link-");
      rt_buf_puts(&f.ops, rnd);
      rt_buf_puts(&f.ops, ";; esac\nln -s -- ");
      rt_sh_quote(&f.ops, lsrc);
      rt_buf_puts(&f.ops, " \"$t\" && mv -T -f -- \"$t\" \"$p\" || { rm -f -- \"$t\"; __playc_rec linkfail 1; exit 0; }\n");
    }
    r = rt_dict_new(6);
    rt_dict_set(r, "dest", rt_strz(p));
    rt_dict_set(r, "src", lsrc ? rt_strz(lsrc) : rt_none());
    /* after the link exists: attributes on its target when following */
    bool exists_after = ps.exists || (changed && !f.check);
    if (f.check && !ps.exists) {
      rt_dict_set(r, "changed", rt_bool(changed));
      rt_dict_set(r, "diff", rt_incref(diff));
      goto apply;
    }
    (void)exists_after;
    /* the link's target as it will be: relative to the link's folder */
    const char *dir = mod_rec(&ex, "dir") ? mod_rec(&ex, "dir") : ".";
    bool target_exists;
    Fst tgt;
    const char *tpath;
    char *tbuf = NULL;
    if (lsrc && changed) {
      tbuf = lsrc[0] == '/' ? rt_xstrdup(lsrc) : rt_xasprintf("%s/%s", dir, lsrc);
      tpath = tbuf;
      tgt = stat_of(&ex, "t");
      target_exists = tgt.exists;
    } else {
      tpath = rp ? rp : p;
      target_exists = rs.exists;
      tgt = rs;
    }
    if (f.follow && !target_exists) {
      if (f.owner || f.group || f.mode >= 0 || f.sym || f.mt_kind || f.at_kind)
        rt_list_push(f.warnings, rt_strz("Cannot set fs attributes on a non-existent symlink target. follow should "
                                         "be set to False to avoid this."));
      else
        rt_list_push(f.warnings, rt_strz("Cannot set fs attributes on a non-existent symlink target. follow should "
                                         "be set to False to avoid this."));
    } else {
      const char *ap = f.follow ? tpath : p;
      Fst cur = f.follow ? tgt
                         : ps.exists && !changed ? ps
                                                 : (Fst){.exists = true, .uid = f.my_uid, .gid = f.my_gid, .nlink = 1,
                                                         .mode = 0777, .type = 'l'};
      RtValue *bad = set_attrs(&f, ap, &cur, diff, &changed);
      if (bad) {
        free(tbuf);
        rt_decref(r);
        r = bad;
        goto apply;
      }
      changed |= set_times(&f, ap, &cur, diff);
    }
    free(tbuf);
    rt_dict_set(r, "changed", rt_bool(changed));
    rt_dict_set(r, "diff", rt_incref(diff));
  } else { /* hard */
    Fst ss = stat_of(&ex, "s");
    if (strcmp(prev, "hard") && !src) {
      r = mod_fail_result("src is required for creating new hardlinks");
      goto apply;
    }
    if (src && !ss.exists) {
      r = mod_fail_result("src does not exist");
      rt_dict_set(r, "dest", rt_strz(p));
      rt_dict_set(r, "src", rt_strz(src));
      goto apply;
    }
    diff = initial_diff(p, "hard", prev);
    if (!strcmp(prev, "absent")) {
      changed = true;
    } else if (!strcmp(prev, "link")) {
      const char *old = mod_rec(&ex, "lt") ? mod_rec(&ex, "lt") : "";
      if (strcmp(old, src) != 0) {
        diff_put(diff, "before", "src", rt_strz(old));
        diff_put(diff, "after", "src", rt_strz(src));
        changed = true;
      }
    } else if (!strcmp(prev, "hard")) {
      if (src && ps.ino != ss.ino) {
        changed = true;
        if (!f.force) {
          r = mod_fail_result("Cannot link, different hard link exists at destination");
          rt_dict_set(r, "dest", rt_strz(p));
          rt_dict_set(r, "src", rt_strz(src));
          goto apply;
        }
      }
    } else if (!strcmp(prev, "file")) {
      changed = true;
      if (!f.force) {
        r = mod_fail_result("Cannot link, file exists at destination");
        rt_dict_set(r, "dest", rt_strz(p));
        rt_dict_set(r, "src", rt_strz(src));
        goto apply;
      }
    } else { /* directory */
      changed = true;
      if (ps.ino == ss.ino) {
        r = rt_dict_new(2);
        rt_dict_set(r, "path", rt_strz(p));
        rt_dict_set(r, "changed", rt_bool(false));
        goto apply;
      } else if (!f.force) {
        r = mod_fail_result("Cannot link: different hard link exists at destination");
        rt_dict_set(r, "dest", rt_strz(p));
        rt_dict_set(r, "src", rt_strz(src));
        goto apply;
      }
    }
    if (changed) {
      char rnd[17];
      rt_random_hex(rnd, 8);
      rt_buf_puts(&f.ops, "t=${p%/*}/.playc-link-");
      rt_buf_puts(&f.ops, rnd);
      rt_buf_puts(&f.ops, "; case $p in */*) ;; *) t=.playc-link-");
      rt_buf_puts(&f.ops, rnd);
      rt_buf_puts(&f.ops, ";; esac\nln -- \"$s\" \"$t\" && mv -T -f -- \"$t\" \"$p\" || "
                          "{ rm -f -- \"$t\"; __playc_rec linkfail 1; exit 0; }\n");
    }
    r = rt_dict_new(6);
    rt_dict_set(r, "dest", rt_strz(p));
    rt_dict_set(r, "src", src ? rt_strz(src) : rt_none());
    if (f.check && !ps.exists) {
      rt_dict_set(r, "changed", rt_bool(changed));
      rt_dict_set(r, "diff", rt_incref(diff));
      goto apply;
    }
    /* load_file_common_arguments: follow a link to its target */
    Fst cur = changed ? ss : ps;
    const char *ap = p;
    RtValue *bad = set_attrs(&f, ap, &cur, diff, &changed);
    if (bad) {
      rt_decref(r);
      r = bad;
      goto apply;
    }
    changed |= set_times(&f, ap, &cur, diff);
    rt_dict_set(r, "changed", rt_bool(changed));
    rt_dict_set(r, "diff", rt_incref(diff));
  }
apply:
  free(st);
  /* the second request: the operations (never in check mode), then the
   * stat add_path_info reports */
  if (!f.check && f.ops.len) {
    RtBuf s2 = {0};
    rt_buf_puts(&s2, "set -e\n");
    mod_sh_set(&s2, "p", p);
    if (src)
      mod_sh_set(&s2, "s", mod_rec(&ex, "s") ? mod_rec(&ex, "s") : src);
    rt_buf_puts(&s2, "set +e\n");
    rt_buf_add(&s2, f.ops.data, f.ops.len);
    rt_buf_puts(&s2, "ip=");
    const RtValue *rpv = r ? rt_dict_get(r, "path") : NULL;
    if (!rpv && r)
      rpv = rt_dict_get(r, "dest");
    rt_sh_quote(&s2, rpv && rt_kind(rpv) == RT_STR ? rpv->u.str.s : info_path);
    rt_buf_puts(&s2, "\n[ ! -e \"$ip\" ] || __playc_stat \"$ip\"\n");
    rt_buf_add(&s2, f.post.data ? f.post.data : "", f.post.len);
    rt_buf_puts(&s2, "__playc_rec done 1\n");
    int rc = rt_host_exec(h, s2.data, NULL, 0, &fin, &err);
    rt_buf_free(&s2);
    if (rc < 0) {
      rt_decref(r);
      r = NULL;
      goto done;
    }
    have_fin = true;
    if (mod_rec(&fin, "touchfail")) {
      rt_decref(r);
      RtBuf b = {0};
      rt_buf_puts(&b, "Error, could not touch target: [Errno 2] No such file or directory: ");
      mod_py_bytes_repr(&b, p);
      r = mod_fail_result("%s", b.data);
      rt_dict_set(r, "path", rt_strz(p));
      rt_buf_free(&b);
    } else if (mod_rec(&fin, "mkfail")) {
      rt_decref(r);
      r = mod_fail_result("There was an issue creating %s as requested: %s", mod_rec(&fin, "mkfail"),
                          fin.err.len ? fin.err.data : "mkdir failed");
      rt_dict_set(r, "path", rt_strz(p));
    } else if (mod_rec(&fin, "linkfail")) {
      rt_decref(r);
      r = mod_fail_result("Error while linking: %s", fin.err.len ? fin.err.data : "ln failed");
      rt_dict_set(r, "path", rt_strz(p));
    } else if (!mod_rec(&fin, "done") && !(r && rt_dict_get(r, "failed"))) {
      rt_decref(r);
      r = mod_fail_result("%s", fin.err.len ? fin.err.data : "file operation failed");
      rt_dict_set(r, "path", rt_strz(p));
    }
  }
  /* add_path_info (fail_json's too): the stat of the result's path as it
   * is now, when it exists once links are followed */
  const RtValue *rpath = r ? rt_dict_get(r, "path") : NULL;
  if (!rpath && r)
    rpath = rt_dict_get(r, "dest");
  if (rpath && rt_kind(rpath) == RT_STR) {
    if (have_fin) {
      mod_add_stat(r, &fin);
    } else { /* nothing changed on disk: the inspection's stat of that path */
      bool is_p = !strcmp(rpath->u.str.s, p);
      Fst i = is_p ? ps : !strcmp(rpath->u.str.s, rp ? rp : "") ? rs : (Fst){0};
      bool exists = is_p ? (ps.type == 'l' ? rs.exists : ps.exists) : i.exists;
      if (exists) {
        rt_dict_set(r, "uid", rt_int(i.uid));
        rt_dict_set(r, "gid", rt_int(i.gid));
        char *o = strcmp(i.owner, "UNKNOWN") ? rt_xstrdup(i.owner) : rt_xasprintf("%lld", i.uid);
        char *g = strcmp(i.group, "UNKNOWN") ? rt_xstrdup(i.group) : rt_xasprintf("%lld", i.gid);
        rt_dict_set(r, "owner", rt_str_take(o, strlen(o)));
        rt_dict_set(r, "group", rt_str_take(g, strlen(g)));
        char m[32];
        snprintf(m, sizeof m, "0%03lo", i.mode);
        rt_dict_set(r, "mode", rt_strz(m));
        rt_dict_set(r, "state", rt_strz(state_of(&i)));
        rt_dict_set(r, "size", rt_int(i.size));
      }
    }
  }
  if (r && rt_len(f.warnings))
    rt_dict_set(r, "warnings", rt_incref(f.warnings));
done:
  rt_decref(diff);
  if (have_ex)
    rt_exec_free(&ex);
  if (have_fin)
    rt_exec_free(&fin);
  tree_free(&tree);
  rt_buf_free(&s);
  rt_buf_free(&f.ops);
  rt_buf_free(&f.post);
  rt_decref(f.warnings);
  free(err);
  free(path);
  free(state);
  free(src);
  free(mtime);
  free(atime);
  free(mfmt);
  free(afmt);
  free(f.owner);
  free(f.group);
  free(f.sym);
  free(f.af);
  return r;
}

#endif
