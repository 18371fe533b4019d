/*
 * playbook.c — turns YAML node trees into the playbook AST (frontend.h) the
 * way Ansible's loaders read them: plays and their keywords and sections,
 * task lists grouped into blocks (load_list_of_blocks: a run of bare tasks
 * becomes one implicit block), blocks with rescue/always, tasks with their
 * keywords and exactly one action (ModuleArgsParser), and the imports and
 * includes: import_playbook and import_tasks are read here and inlined;
 * include_tasks carries every file it can name, each loaded now, so the
 * compiled binary never reads a playbook file. Roles are read by roles.c.
 *
 * Every keyword is checked against keywords.def: valid for the object (play,
 * block, task, handler) or an error in Ansible's words; values stay nodes for
 * lowering. Errors are located and do not stop the loader.
 *
 * A task or a task list reached through a YAML alias (FeNode.shared) is
 * built once per context (fe_once) and is the same FeTask/FeList wherever it
 * is used: its checks run once, and a chain of aliased block lists costs the
 * loader the size of the document, not of its expansion.
 */
#include "frontend.h"
#include "../modules/modules.h"

#include <dirent.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- paths ------------------------------------------------------------------ */

bool fe_is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool fe_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *fe_dirname(PcCtx *c, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return ".";
  return slash == path ? "/" : pc_strndup(c, path, (size_t)(slash - path));
}

/* `dir`/`name` with "./" and "x/../" folded away, as os.path.normpath does
 * (a name starting with '/' stands alone). */
const char *fe_join(PcCtx *c, const char *dir, const char *name) {
  const char *s = name[0] == '/' || !dir ? name : pc_sprintf(c, "%s/%s", dir, name);
  char *out = pc_alloc(c, strlen(s) + 2);
  size_t n = 0;
  bool abs = s[0] == '/';
  if (abs)
    out[n++] = '/';
  for (const char *p = s; *p;) {
    while (*p == '/')
      p++;
    const char *e = strchr(p, '/');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == 0)
      break;
    if (len == 1 && p[0] == '.') {
    } else if (len == 2 && p[0] == '.' && p[1] == '.' && n > (abs ? 1u : 0u) &&
               !(n >= 2 && out[n - 1] == '.' && out[n - 2] == '.' && (n == 2 || out[n - 3] == '/'))) {
      while (n > (abs ? 1u : 0u) && out[n - 1] != '/')
        n--;
      if (n > (abs ? 1u : 0u))
        n--;
    } else {
      if (n > (abs ? 1u : 0u))
        out[n++] = '/';
      memcpy(out + n, p, len);
      n += len;
    }
    p += len;
  }
  if (n == 0)
    out[n++] = '.';
  out[n] = 0;
  return out;
}

/* ---- nodes ------------------------------------------------------------------ */

static bool fe_null(const FeNode *n) { return n && n->kind == FE_SCALAR && n->stype == FE_T_NULL; }

static const char *fe_str(PcCtx *c, FeNode *n, const char *what) {
  if (!n || fe_null(n))
    return NULL;
  if (n->kind != FE_SCALAR) {
    pc_error_at(c, n->loc, "'%s' must be a string", what);
    return NULL;
  }
  return n->text;
}

static bool fe_is_template(const FeNode *n) {
  return n && n->kind == FE_SCALAR && n->stype == FE_T_STR && (strstr(n->text, "{{") || strstr(n->text, "{%"));
}

/* ---- keywords --------------------------------------------------------------- */

static const char *const fe_objname[] = {"", "Play", "RoleInclude", "", "Block", "", "", "", "Task",
                                         "", "", "", "", "", "", "", "Handler"};

/* Takes key `k` of an object of kind `where` (FE_P ...) when it is a keyword:
 * stores it in kw[]; a keyword of another object is an error in Ansible's
 * words. Returns false when `k` is no keyword at all. */
static bool fe_keyword(FeLoad *ld, int where, FeNode *k, FeNode *v, FeNode **kw, PcLoc *kwloc) {
  int id = fe_keyword_find(k->text);
  if (id < 0)
    return false;
  int ok = fe_keywords[id].where & where;
  if (where == FE_H && (fe_keywords[id].where & FE_T))
    ok = 1;
  if (!ok) {
    pc_error_at(ld->c, k->loc, "'%s' is not a valid attribute for a %s", k->text, fe_objname[where]);
    return true;
  }
  if (kw[id])
    pc_warn_at(ld->c, k->loc, "found a duplicate dict key (%s); using last defined value only", k->text);
  kw[id] = v;
  if (kwloc)
    kwloc[id] = k->loc;
  return true;
}

/* ---- actions ------------------------------------------------------------------ */

/* The name of an action without ansible.builtin. / ansible.legacy. */
static const char *fe_short(const char *action) {
  if (strncmp(action, "ansible.builtin.", 16) == 0)
    return action + 16;
  if (strncmp(action, "ansible.legacy.", 15) == 0)
    return action + 15;
  return action;
}

static bool fe_is_action(const char *action, const char *name) { return strcmp(fe_short(action), name) == 0; }

/* `action: NAME args...` or `action: {module: NAME, ...}`: the module name
 * and its arguments (free-form text or the map without `module`). */
static void fe_action_value(FeLoad *ld, FeTask *t, FeNode *v) {
  PcCtx *c = ld->c;
  if (v->kind == FE_MAP) {
    FeNode *m = fe_map_get(v, "module");
    if (!m || m->kind != FE_SCALAR) {
      pc_error_at(c, v->loc, "no module/action detected in task.");
      return;
    }
    t->action = m->text;
    t->action_loc = m->loc;
    FeNode *a = pc_alloc(c, sizeof *a);
    *a = *v;
    a->keys = pc_alloc(c, sizeof(FeNode *) * (size_t)v->n);
    a->vals = pc_alloc(c, sizeof(FeNode *) * (size_t)v->n);
    a->n = 0;
    for (int i = 0; i < v->n; i++)
      if (strcmp(v->keys[i]->text, "module") != 0) {
        a->keys[a->n] = v->keys[i];
        a->vals[a->n++] = v->vals[i];
      }
    t->args = a;
    return;
  }
  if (v->kind != FE_SCALAR || fe_null(v)) {
    pc_error_at(c, v->loc, "no module/action detected in task.");
    return;
  }
  const char *sp = strpbrk(v->text, " \t\n");
  t->action = sp ? pc_strndup(c, v->text, (size_t)(sp - v->text)) : v->text;
  t->action_loc = v->loc;
  if (sp) {
    while (*sp == ' ' || *sp == '\t' || *sp == '\n')
      sp++;
    FeNode *a = pc_alloc(c, sizeof *a);
    *a = *v;
    a->text = sp;
    a->len = strlen(sp);
    a->stype = FE_T_STR;
    a->loc.col += (int32_t)(sp - v->text);
    t->args = a;
  }
}

/* ---- includes and imports ------------------------------------------------------------ */

/* An error ansible-playbook raises while it loads the playbook, before
 * anything runs, which playc can compile around: a warning (an error with
 * --strict); the compiled program stops with it, exit 4, as Ansible does. */
static void fe_load_fault(FeLoad *ld, PcLoc loc, const char *msg) {
  PcCtx *c = ld->c;
  if (c->strict) {
    pc_error_at(c, loc, "%s", msg);
    return;
  }
  pc_warn_at(c, loc, "%s (the program stops with this error before it runs anything, as ansible-playbook does)",
             msg);
  if (!ld->pb->load_fault) {
    const char *ctx = fe_error_context(c, loc);
    ld->pb->load_fault = ctx ? pc_sprintf(c, "%s\n\n%s", msg, ctx) : msg;
  }
}

/* The keys parse_kv finds in free-form text (check_raw off, as for
 * include_tasks and import_tasks): each token (split on whitespace outside
 * quotes and Jinja blocks) with an unescaped '=' past its first character
 * is key=value. */
static PcVec fe_kv_keys(PcCtx *c, const char *s) {
  PcVec keys = {0};
  size_t i = 0;
  while (s[i]) {
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')
      i++;
    size_t st = i, eq = 0;
    char q = 0;
    int depth = 0;
    while (s[i] && (q || depth || (s[i] != ' ' && s[i] != '\t' && s[i] != '\n'))) {
      if (!eq && i > st && s[i] == '=' && s[i - 1] != '\\')
        eq = i;
      if (q) {
        if (s[i] == q)
          q = 0;
      } else if (s[i] == '"' || s[i] == '\'') {
        q = s[i];
      } else if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')) {
        depth++, i++;
      } else if (depth && (s[i] == '}' || s[i] == '%' || s[i] == '#') && s[i + 1] == '}') {
        depth--, i++;
      }
      i++;
    }
    if (!eq)
      continue;
    size_t a = st, b = eq; /* k.strip() */
    while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\n'))
      a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\n'))
      b--;
    pc_vec_push(c, &keys, pc_strndup(c, s + a, b - a));
  }
  return keys;
}

void fe_task_set_kws(PcCtx *c, FeTask *t, FeNode *const *kw) {
  int n = 0;
  t->kwset = 0;
  for (int k = 0; k < FE_KW_COUNT; k++)
    if (kw[k]) {
      t->kwset |= (uint64_t)1 << k;
      n++;
    }
  t->kwv = n ? pc_alloc(c, sizeof(FeNode *) * (size_t)n) : NULL;
  n = 0;
  for (int k = 0; k < FE_KW_COUNT; k++)
    if (kw[k])
      t->kwv[n++] = kw[k];
}

void fe_task_kws(const FeTask *t, FeNode **kw) {
  for (int k = 0; k < FE_KW_COUNT; k++)
    kw[k] = fe_task_kw(t, k);
}

/* TaskInclude.preprocess_data: include_tasks and include_role take only
 * the keywords that make sense for the include itself (the others belong
 * in `apply`); Ansible refuses the playbook otherwise. */
static void fe_include_keywords(FeLoad *ld, FeTask *t, const char *cls) {
  static const int valid[] = {FE_KW_ACTION,   FE_KW_ARGS,     FE_KW_COLLECTIONS, FE_KW_DEBUGGER, FE_KW_IGNORE_ERRORS,
                              FE_KW_LOOP,     FE_KW_LOOP_CONTROL, FE_KW_NAME,    FE_KW_NO_LOG,   FE_KW_REGISTER,
                              FE_KW_RUN_ONCE, FE_KW_TAGS,     FE_KW_TIMEOUT,     FE_KW_VARS,     FE_KW_WHEN};
  for (int k = 0; k < FE_KW_COUNT; k++) {
    bool ok = !fe_task_kw(t, k) || (k == FE_KW_LISTEN && !strcmp(cls, "HandlerTaskInclude"));
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++)
      ok |= k == valid[i];
    if (!ok) {
      fe_load_fault(ld, t->loc, pc_sprintf(ld->c, "'%s' is not a valid attribute for a %s", fe_keywords[k].name, cls));
      return;
    }
  }
}

/* The file named by an include/import task: its free-form text, or the
 * `file` argument. */
static FeNode *fe_include_file(FeLoad *ld, FeTask *t) {
  FeNode *a = t->args;
  if (a && a->kind == FE_SCALAR && !fe_null(a)) {
    /* free-form text goes through parse_kv: a key=value token is an option,
     * and only file and apply are (TaskInclude.check_options) */
    PcVec keys = fe_kv_keys(ld->c, a->text);
    const char *bad = NULL;
    for (int i = 0; i < keys.len; i++) {
      const char *k = keys.items[i];
      if (strcmp(k, "file") && strcmp(k, "apply"))
        bad = bad ? pc_sprintf(ld->c, "%s,%s", bad, k) : k;
    }
    if (bad) {
      fe_load_fault(ld, t->loc, pc_sprintf(ld->c, "Invalid options for %s: %s", fe_short(t->action), bad));
      return NULL;
    }
    return a;
  }
  FeNode *f = a && a->kind == FE_MAP ? fe_map_get(a, "file") : NULL;
  if (!f)
    f = a && a->kind == FE_MAP ? fe_map_get(a, "_raw_params") : NULL;
  if (!f || f->kind != FE_SCALAR || fe_null(f)) {
    pc_error_at(ld->c, t->loc, "No file specified for %s", fe_short(t->action));
    return NULL;
  }
  return f;
}

/* Checks an include/import's arguments against the names Ansible allows. */
static void fe_include_args(FeLoad *ld, FeTask *t, const char *const *valid) {
  FeNode *a = t->args;
  if (!a || a->kind != FE_MAP)
    return;
  for (int i = 0; i < a->n; i++) {
    bool ok = false;
    for (int j = 0; valid[j]; j++)
      ok |= strcmp(a->keys[i]->text, valid[j]) == 0;
    if (!ok)
      pc_error_at(ld->c, a->keys[i]->loc, "Invalid options for %s: %s", fe_short(t->action), a->keys[i]->text);
  }
}

/* The folders a tasks file named from `dir` (in role `role`) is looked for
 * in, in Ansible's order (DataLoader.path_dwim_relative). */
static int fe_search_dirs(FeLoad *ld, FeRole *role, const char *dir, bool handlers, const char **out) {
  int n = 0;
  if (role) {
    out[n++] = fe_join(ld->c, role->path, handlers ? "handlers" : "tasks");
    if (dir && strcmp(dir, out[0]) != 0)
      out[n++] = dir;
    out[n++] = role->path;
  } else {
    out[n++] = dir;
  }
  if (strcmp(out[n - 1], ld->pb->dir) != 0)
    out[n++] = ld->pb->dir;
  return n;
}

static int fe_strcmp_p(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static bool fe_has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* fe_glob's walk: the files below `dir` matching the '/'-separated parts
 * of `pattern` one by one (fnmatch each, '*' not crossing '/'). */
static void fe_glob_walk(FeLoad *ld, const char *dir, const char *pattern, PcVec *found, int depth) {
  const char *slash = strchr(pattern, '/');
  const char *part = slash ? pc_strndup(ld->c, pattern, (size_t)(slash - pattern)) : pattern;
  const char *rest = slash ? slash + 1 : NULL;
  if (depth > 32)
    return;
  if (!*part || !strcmp(part, ".") || !strcmp(part, "..") || !fe_has_glob(part)) {
    const char *p = *part ? (dir ? pc_sprintf(ld->c, "%s/%s", dir, part) : part) : (dir ? dir : "/");
    if (rest)
      fe_glob_walk(ld, p, rest, found, depth + 1);
    else if (fe_is_file(p))
      pc_vec_push(ld->c, found, (void *)fe_join(ld->c, NULL, p));
    return;
  }
  DIR *d = opendir(!dir ? "." : *dir ? dir : "/");
  if (!d)
    return;
  PcVec names = {0};
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.' && fnmatch(part, e->d_name, 0) == 0)
      pc_vec_push(ld->c, &names, pc_strdup(ld->c, e->d_name));
  closedir(d);
  pc_vec_sort(&names, fe_strcmp_p);
  for (int i = 0; i < names.len; i++) {
    const char *p = dir ? pc_sprintf(ld->c, "%s/%s", dir, (const char *)names.items[i]) : names.items[i];
    if (rest)
      fe_glob_walk(ld, p, rest, found, depth + 1);
    else if (fe_is_file(p))
      pc_vec_push(ld->c, found, (void *)fe_join(ld->c, NULL, p));
  }
}

/* Appends to `paths` every file whose path relative to `dir` (NULL: the
 * current folder, or an absolute pattern) matches `pattern`, each part of it
 * a fnmatch pattern ('*' does not cross '/'). Sorted, so the result does not
 * depend on the file system's order; no path twice. */
static void fe_glob(FeLoad *ld, const char *dir, const char *pattern, PcVec *paths) {
  PcVec found = {0};
  fe_glob_walk(ld, pattern[0] == '/' ? "" : dir, pattern[0] == '/' ? pattern + 1 : pattern, &found, 0);
  for (int i = 0; i < found.len; i++) {
    bool dup = false;
    for (int j = 0; j < paths->len; j++)
      dup |= strcmp(paths->items[j], found.items[i]) == 0;
    if (!dup)
      pc_vec_push(ld->c, paths, found.items[i]);
  }
}

/* A file-name template as a glob: every {{ }} / {% %} becomes '*'. */
const char *fe_template_glob(PcCtx *c, const char *s) {
  char *out = pc_alloc(c, strlen(s) + 1);
  size_t n = 0;
  while (*s) {
    if (s[0] == '{' && (s[1] == '{' || s[1] == '%')) {
      const char *end = strstr(s + 2, s[1] == '{' ? "}}" : "%}");
      if (!end)
        break;
      if (n == 0 || out[n - 1] != '*')
        out[n++] = '*';
      s = end + 2;
    } else {
      out[n++] = *s++;
    }
  }
  out[n] = 0;
  return out;
}

/* An include's name as a glob: `{{ role_path }}` (in a role) and
 * `{{ playbook_dir }}` become the folders they name, whose paths playc knows
 * (at run time they are the same folders, absolute); any other template
 * becomes '*'. *rooted: the name starts with such a folder, so it is not
 * looked for in the include's search folders. */
static const char *fe_include_glob(FeLoad *ld, const char *s, const FeRole *role, bool *rooted) {
  PcCtx *c = ld->c;
  const char *out = "";
  *rooted = false;
  while (*s) {
    const char *open = strstr(s, "{{"), *st = strstr(s, "{%");
    if (st && (!open || st < open))
      open = st;
    if (!open) {
      out = pc_sprintf(c, "%s%s", out, s);
      break;
    }
    out = pc_sprintf(c, "%s%.*s", out, (int)(open - s), s);
    const char *end = strstr(open + 2, open[1] == '{' ? "}}" : "%}");
    if (!end)
      break;
    const char *b = open + 2, *e = end;
    while (b < e && (*b == ' ' || *b == '-'))
      b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '-'))
      e--;
    const char *dir = NULL;
    if (open[1] == '{' && role && (size_t)(e - b) == 9 && strncmp(b, "role_path", 9) == 0)
      dir = role->path;
    else if (open[1] == '{' && (size_t)(e - b) == 12 && strncmp(b, "playbook_dir", 12) == 0)
      dir = ld->pb->dir;
    if (dir) {
      if (!*out)
        *rooted = true;
      out = pc_sprintf(c, "%s%s", out, dir);
    } else if (!*out || out[strlen(out) - 1] != '*') {
      out = pc_sprintf(c, "%s*", out);
    }
    s = end + 2;
  }
  return out;
}

/* The string literals inside the templates of `s` ("{{ hook | default('x.yml') }}"
 * gives x.yml): the names a fully templated include can name playc knows of. */
static PcVec fe_template_literals(PcCtx *c, const char *s) {
  PcVec v = {0};
  for (const char *open; (open = strstr(s, "{{"));) {
    const char *end = strstr(open + 2, "}}");
    if (!end)
      break;
    for (const char *p = open + 2; p < end; p++) {
      if (*p != '\'' && *p != '"')
        continue;
      const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
      if (!q)
        break;
      if (q > p + 1)
        pc_vec_push(c, &v, pc_strndup(c, p + 1, (size_t)(q - p - 1)));
      p = q;
    }
    s = end + 2;
  }
  return v;
}

/* include_tasks: the files it can name. A constant name resolves as
 * Ansible resolves it; a template is bounded by the files its constant parts
 * allow in the folders it searches. Each candidate is loaded now. */
static bool fe_candidates(FeLoad *ld, FeInclude *inc, FeNode *file, const char **dirs, int nd, bool any_in_first,
                          const FeRole *role);

static FeInclude *fe_include_tasks(FeLoad *ld, FeTask *t, FeNode *file, FeRole *role, const char *dir) {
  PcCtx *c = ld->c;
  FeInclude *inc = pc_alloc(c, sizeof *inc);
  inc->file = file;
  const char **dirs = pc_alloc(c, sizeof(char *) * 4);
  int nd = fe_search_dirs(ld, role, dir, t->handler, dirs);
  inc->dirs = dirs;
  inc->ndirs = nd;
  inc->may_unbound = true;
  if (!fe_candidates(ld, inc, file, dirs, nd, false, role))
    return inc;
  inc->lists = pc_alloc(c, sizeof(FeList) * (size_t)inc->n);
  if (ld->depth >= FE_MAX_NESTING) {
    pc_error_at(c, t->loc, "includes and imports nested more than %d deep (a file that includes itself?)",
                FE_MAX_NESTING);
    return inc;
  }
  ld->depth++;
  for (int i = 0; i < inc->n; i++)
    inc->lists[i] = fe_load_tasks_file(ld, inc->paths[i], role, t->handler, file->loc);
  ld->depth--;
  return inc;
}

/* include_vars: the vars files it can name (a role's vars/ folder first),
 * each read now. A name that is all template (`{{ item }}` fed by
 * with_first_found) can name any file of that first folder. */
static FeInclude *fe_include_vars(FeLoad *ld, FeTask *t, FeNode *file, FeRole *role, const char *dir) {
  PcCtx *c = ld->c;
  FeInclude *inc = pc_alloc(c, sizeof *inc);
  inc->file = file;
  /* ActionBase._find_needle('vars', name): the role's folder, the including
   * file's, then the playbook's; each as FOLDER/vars/NAME then FOLDER/NAME */
  const char **dirs = pc_alloc(c, sizeof(char *) * 6);
  int nd = 0;
  const char *bases[3] = {role ? role->path : NULL, dir, ld->pb->dir};
  for (int i = 0; i < 3; i++) {
    bool seen = !bases[i];
    for (int k = 1; k < nd && !seen; k += 2)
      seen = strcmp(dirs[k], bases[i]) == 0;
    if (seen)
      continue;
    dirs[nd++] = fe_join(c, bases[i], "vars");
    dirs[nd++] = bases[i];
  }
  inc->dirs = dirs;
  inc->ndirs = nd;
  (void)t;
  if (!fe_candidates(ld, inc, file, dirs, nd, true, role))
    return inc;
  inc->vars = pc_alloc(c, sizeof(FeNode *) * (size_t)inc->n);
  for (int i = 0; i < inc->n; i++)
    inc->vars[i] = fe_load_vars_file(ld, inc->paths[i], file->loc);
  return inc;
}

/* The files name `file` can resolve to in `dirs`: a constant name as Ansible
 * resolves it (the first folder that has it); a template bounded by its
 * constant parts (role_path and playbook_dir are known); a name that is all
 * template by the string literals it holds (a default), or with
 * `any_in_first` by every file of the first folder. False after a diagnostic. */
static bool fe_candidates(FeLoad *ld, FeInclude *inc, FeNode *file, const char **dirs, int nd, bool any_in_first,
                          const FeRole *role) {
  PcCtx *c = ld->c;
  PcVec paths = {0};
  bool rooted = false;
  const char *glob = fe_is_template(file) ? fe_include_glob(ld, file->text, role, &rooted) : file->text;
  if (!fe_has_glob(glob) || rooted) { /* a name known now, or under a known folder */
    for (int i = rooted || glob[0] == '/' ? nd - 1 : 0; i < nd && !paths.len; i++)
      fe_glob(ld, rooted || glob[0] == '/' ? NULL : dirs[i], glob, &paths);
    if (!paths.len && !fe_has_glob(glob)) {
      pc_error_at(c, file->loc, "Could not find or access '%s' (searched %s)", file->text, dirs[0]);
      return false;
    }
  } else if (strcmp(glob, "*") == 0) {
    PcVec lits = fe_template_literals(c, file->text);
    for (int k = 0; k < lits.len; k++) /* each as a constant name */
      for (int i = 0; i < nd; i++) {
        const char *p = fe_join(c, dirs[i], lits.items[k]);
        if (fe_is_file(p)) {
          fe_glob(ld, NULL, p, &paths);
          break;
        }
      }
    if (any_in_first) {
      PcVec all = {0};
      fe_dir_files(c, dirs[0], &all, 0);
      for (int i = 0; i < all.len; i++)
        fe_glob(ld, NULL, all.items[i], &paths);
    } else if (!paths.len && inc->may_unbound) {
      /* include_tasks of a file a user names (a hook): planned, refused by -o */
      inc->unbounded = pc_sprintf(c,
                                  "an include_tasks of files playc cannot bound ('%s': the whole name is a "
                                  "template; give its constant part, a folder, a prefix or an extension, or "
                                  "a default file name)",
                                  file->text);
      inc->n = 0;
      return false;
    } else if (!paths.len) {
      pc_error_at(c, file->loc,
                  "playc cannot bound the files '%s' may name: the whole name is a template; "
                  "give its constant part (a folder, a prefix or an extension) or a default file name",
                  file->text);
      return false;
    }
  } else { /* the first folder with a match: Ansible's search stops there for names it has */
    for (int i = 0; i < nd && !paths.len; i++)
      fe_glob(ld, dirs[i], glob, &paths);
  }
  if (fe_has_glob(glob)) /* a file being read names itself only through a loop no run takes */
    for (int i = 0; i < paths.len;) {
      bool loading = false;
      for (int k = 0; k < ld->loading.len && !loading; k++)
        loading = strcmp(ld->loading.items[k], paths.items[i]) == 0;
      if (loading)
        paths.items[i] = paths.items[--paths.len];
      else
        i++;
    }
  if (!paths.len) {
    pc_error_at(c, file->loc, "no file matches '%s' (as '%s' in %s)", file->text, glob, rooted ? "/" : dirs[0]);
    return false;
  }
  pc_vec_sort(&paths, fe_strcmp_p);
  inc->n = paths.len;
  inc->paths = (const char **)paths.items;
  inc->names = inc->paths;
  return true;
}

/* import_tasks: the file is read now and its blocks become the import's. */
static void fe_import_tasks(FeLoad *ld, FeTask *t, FeNode *file, FeRole *role, const char *dir) {
  PcCtx *c = ld->c;
  if (fe_is_template(file)) {
    pc_error_at(c, file->loc,
                "playc resolves import_tasks at compile time and cannot template '%s'; use include_tasks",
                file->text);
    return;
  }
  const char *dirs[4];
  int nd = fe_search_dirs(ld, role, dir, t->handler, dirs);
  const char *path = NULL;
  for (int i = 0; i < nd && !path; i++) {
    const char *p = fe_join(c, dirs[i], file->text);
    if (fe_is_file(p))
      path = p;
  }
  if (!path) {
    pc_error_at(c, file->loc, "Could not find or access '%s' (searched %s)", file->text, dirs[0]);
    return;
  }
  if (ld->depth >= FE_MAX_NESTING) {
    pc_error_at(c, t->loc, "includes and imports nested more than %d deep (a file that imports itself?)",
                FE_MAX_NESTING);
    return;
  }
  ld->depth++;
  t->block = fe_load_tasks_file(ld, path, role, t->handler, file->loc);
  ld->depth--;
}

static const char *const fe_include_tasks_args[] = {"file", "_raw_params", "apply", NULL};
static const char *const fe_import_tasks_args[] = {"file", "_raw_params", NULL};
static const char *const fe_include_role_args[] = {"name", "role", "tasks_from", "vars_from", "defaults_from",
                                                   "handlers_from", "apply", "public", "allow_duplicates",
                                                   "rolespec_validate", NULL};

/* include_role / import_role: the role named by the args. */
static void fe_role_task(FeLoad *ld, FeTask *t, FeRole *role, bool import) {
  PcCtx *c = ld->c;
  if (t->args && t->args->kind == FE_SCALAR && !fe_null(t->args)) /* `name=r tasks_from=t` */
    t->args = fe_free_form(c, t->args, false);
  fe_include_args(ld, t, fe_include_role_args);
  FeNode *a = t->args;
  if (!a || a->kind != FE_MAP || (!fe_map_get(a, "name") && !fe_map_get(a, "role"))) {
    pc_error_at(c, t->loc, "'name' is a required field for %s.", fe_short(t->action));
    return;
  }
  if (import && fe_map_get(a, "public"))
    pc_error_at(c, fe_map_get(a, "public")->loc, "Invalid options for %s: public", fe_short(t->action));
  if (import && fe_map_get(a, "apply"))
    pc_error_at(c, fe_map_get(a, "apply")->loc, "Invalid options for %s: apply", fe_short(t->action));
  if (ld->depth >= FE_MAX_NESTING) {
    pc_error_at(c, t->loc, "roles nested more than %d deep", FE_MAX_NESTING);
    return;
  }
  FeNode *nm = fe_map_get(a, "name") ? fe_map_get(a, "name") : fe_map_get(a, "role");
  if (!import && nm->kind == FE_SCALAR && fe_is_template(nm)) { /* a role the user names: planned, refused by -o */
    t->kind = FE_TASK_INCLUDE_ROLE;
    t->include = pc_alloc(c, sizeof *t->include);
    t->include->unbounded = pc_sprintf(c, "an include_role of a role named by a template ('%s')", nm->text);
    return;
  }
  ld->depth++;
  FeRoleUse *u = fe_role_use(ld, a, role ? fe_dirname(c, role->path) : NULL, true);
  ld->depth--;
  if (!u)
    return;
  u->loc = t->loc;
  u->from_include = !import;
  if (import) {
    t->kind = FE_TASK_BLOCK;
    t->import = "import_role";
    t->role_use = u;
  } else {
    t->kind = FE_TASK_INCLUDE_ROLE;
    t->include = pc_alloc(c, sizeof *t->include);
    t->include->role_use = u;
  }
}

/* ---- tasks and blocks ------------------------------------------------------------------ */

static FeList fe_load_list(FeLoad *ld, FeNode *n, FeRole *role, const char *dir, bool handlers, bool blocks);
static FeList fe_load_list_new(FeLoad *ld, FeNode *n, FeRole *role, const char *dir, bool handlers, bool blocks);
static FeTask *fe_task_once(FeLoad *ld, FeNode *n, FeRole *role, const char *dir, bool handlers);

static bool fe_is_block(const FeNode *n) {
  return n->kind == FE_MAP && (fe_map_get(n, "block") || fe_map_get(n, "rescue") || fe_map_get(n, "always"));
}

/* block := map with block / rescue / always (lists of tasks) and block keywords */
static FeTask *fe_block(FeLoad *ld, FeNode *n, FeRole *role, const char *dir, bool handler) {
  FeTask *t = pc_alloc(ld->c, sizeof *t);
  t->kind = FE_TASK_BLOCK;
  t->loc = n->loc;
  t->node = n;
  t->handler = handler;
  if (handler)
    pc_error_at(ld->c, n->loc, "Using a block as a handler is not supported.");
  FeNode *kw[FE_KW_COUNT] = {0};
  for (int i = 0; i < n->n; i++)
    if (!fe_keyword(ld, FE_B, n->keys[i], n->vals[i], kw, NULL))
      pc_error_at(ld->c, n->keys[i]->loc, "'%s' is not a valid attribute for a Block", n->keys[i]->text);
  fe_task_set_kws(ld->c, t, kw);
  t->name = fe_str(ld->c, kw[FE_KW_NAME], "name");
  FeNode *regions[3] = {kw[FE_KW_BLOCK], kw[FE_KW_RESCUE], kw[FE_KW_ALWAYS]};
  FeList *lists[3] = {&t->block, &t->rescue, &t->always};
  for (int r = 0; r < 3; r++) {
    FeNode *v = regions[r];
    if (!v || fe_null(v))
      continue;
    if (v->kind != FE_SEQ) {
      pc_error_at(ld->c, v->loc, "A malformed block was encountered while loading a block");
      continue;
    }
    *lists[r] = fe_load_list(ld, v, role, dir, handler, false);
  }
  return t;
}

/* task := map: keywords, with_<lookup>, and exactly one action (module) key */
static const char *fe_local_module(FeLoad *ld, const FeRole *role, const char *a);

static FeTask *fe_task(FeLoad *ld, FeNode *n, FeRole *role, const char *dir, bool handler) {
  PcCtx *c = ld->c;
  if (n->kind != FE_MAP) {
    pc_error_at(c, n->loc, "a task must be a mapping");
    return NULL;
  }
  if (fe_is_block(n))
    return fe_block(ld, n, role, dir, handler);
  FeTask *t = pc_alloc(c, sizeof *t);
  t->kind = FE_TASK_MODULE;
  t->loc = n->loc;
  t->node = n;
  t->handler = handler;
  FeNode *kw[FE_KW_COUNT] = {0};
  for (int i = 0; i < n->n; i++) {
    FeNode *k = n->keys[i], *v = n->vals[i];
    if (k->kind != FE_SCALAR) {
      pc_error_at(c, k->loc, "a task's keys must be strings");
      continue;
    }
    if (fe_keyword(ld, handler ? FE_H : FE_T, k, v, kw, NULL)) {
      if (strcmp(k->text, "loop") == 0)
        t->loop_loc = k->loc;
      continue;
    }
    if (strncmp(k->text, "with_", 5) == 0 && k->text[5]) {
      if (t->with)
        pc_error_at(c, k->loc, "duplicate loop in task: %s", k->text + 5);
      t->with = k->text + 5;
      t->with_node = v;
      t->loop_loc = k->loc;
      continue;
    }
    if (t->action) {
      pc_error_at(c, k->loc, "conflicting action statements: %s, %s", t->action, k->text);
      continue;
    }
    t->action = k->text;
    t->action_loc = k->loc;
    t->args = fe_null(v) ? NULL : v;
  }
  FeNode *act = kw[FE_KW_ACTION] ? kw[FE_KW_ACTION] : kw[FE_KW_LOCAL_ACTION];
  if (act) {
    if (t->action)
      pc_error_at(c, t->action_loc, "conflicting action statements: %s, %s", t->action,
                  kw[FE_KW_ACTION] ? "action" : "local_action");
    else
      fe_action_value(ld, t, act);
  }
  if (kw[FE_KW_LOCAL_ACTION] && !kw[FE_KW_ACTION]) { /* ModuleArgsParser: delegate_to = 'localhost' */
    FeNode *d = pc_alloc(c, sizeof *d);
    d->kind = FE_SCALAR;
    d->stype = FE_T_STR;
    d->loc = kw[FE_KW_LOCAL_ACTION]->loc;
    d->text = "localhost";
    d->len = 9;
    kw[FE_KW_DELEGATE_TO] = d;
  }
  fe_task_set_kws(c, t, kw);
  t->name = fe_str(c, kw[FE_KW_NAME], "name");
  if (kw[FE_KW_LOOP] && t->with)
    pc_error_at(c, t->loop_loc, "duplicate loop in task: %s", t->with);
  if (!t->action) {
    if (!act)
      pc_error_at(c, n->loc, "no module/action detected in task.");
    return t;
  }
  const char *a = t->action;
  if (fe_is_action(a, "include_tasks") || fe_is_action(a, "include_role"))
    fe_include_keywords(ld, t, fe_is_action(a, "include_role") ? "IncludeRole"
                               : handler                        ? "HandlerTaskInclude"
                                                                : "TaskInclude");
  if (fe_is_action(a, "include_tasks") || fe_is_action(a, "include")) {
    fe_include_args(ld, t, fe_include_tasks_args);
    FeNode *file = fe_include_file(ld, t);
    t->kind = FE_TASK_INCLUDE_TASKS;
    if (file)
      t->include = fe_include_tasks(ld, t, file, role, dir);
  } else if (fe_is_action(a, "import_tasks")) {
    fe_include_args(ld, t, fe_import_tasks_args);
    if (fe_task_kw(t, FE_KW_LOOP) || t->with)
      pc_error_at(c, t->loop_loc,
                  "You cannot use loops on 'import_tasks' statements. You should use 'include_tasks' instead.");
    FeNode *file = fe_include_file(ld, t);
    t->kind = FE_TASK_BLOCK;
    t->import = "import_tasks";
    if (file)
      fe_import_tasks(ld, t, file, role, dir);
  } else if (fe_is_action(a, "include_role") || fe_is_action(a, "import_role")) {
    bool import = fe_is_action(a, "import_role");
    if (handler)
      pc_error_at(c, t->action_loc, "Using '%s' as a handler is not supported.", a);
    if (import && (fe_task_kw(t, FE_KW_LOOP) || t->with))
      pc_error_at(c, t->loop_loc,
                  "You cannot use loops on 'import_role' statements. You should use 'include_role' instead.");
    fe_role_task(ld, t, role, import);
  } else if (fe_is_action(a, "include_vars")) {
    /* free-form: the file name alone (k=v forms name it with file=) */
    FeNode *file = t->args && t->args->kind == FE_SCALAR && !strchr(t->args->text, '=') ? t->args
                   : t->args && t->args->kind == FE_MAP ? fe_map_get(t->args, "file") : NULL;
    if (!file && t->args && t->args->kind == FE_MAP)
      file = fe_map_get(t->args, "_raw_params");
    if (file && file->kind == FE_SCALAR && !fe_null(file))
      t->include = fe_include_vars(ld, t, file, role, dir);
  } else if (fe_is_action(a, "import_playbook")) {
    pc_error_at(c, t->action_loc, "'import_playbook' is not a valid attribute for a Task: it imports plays, "
                                  "at the level of plays");
  } else if (mod_schema_lookup(a) < 0 && !fe_ansible_module(a) && !(t->local_module = fe_local_module(ld, role, a))) {
    pc_error_at(c, t->action_loc,
                "couldn't resolve module/action '%s'. This often indicates a misspelling, missing collection, "
                "or incorrect module path.",
                a);
  }
  return t;
}

/* A module named `a` in a library/ folder Ansible adds to its module path:
 * the playbook's, the current role's, then any role of the play's. */
static const char *fe_local_module(FeLoad *ld, const FeRole *role, const char *a) {
  PcCtx *c = ld->c;
  PcVec dirs = {0};
  pc_vec_push(c, &dirs, (void *)ld->pb->dir);
  if (role)
    pc_vec_push(c, &dirs, (void *)role->path);
  for (int i = 0; i < ld->roles.len; i++)
    if (ld->roles.items[i])
      pc_vec_push(c, &dirs, (void *)((FeRole *)ld->roles.items[i])->path);
  static const char *const exts[] = {"", ".py", ".sh", ".ps1", NULL};
  for (int i = 0; i < dirs.len; i++)
    for (int k = 0; exts[k]; k++) {
      const char *p = pc_sprintf(c, "%s/library/%s%s", (const char *)dirs.items[i], a, exts[k]);
      if (fe_is_file(p))
        return p;
    }
  return NULL;
}

/* An implicit block around a run of bare tasks. */
static FeTask *fe_implicit_block(FeLoad *ld, PcVec *run, bool handler) {
  FeTask *b = pc_alloc(ld->c, sizeof *b);
  b->kind = FE_TASK_BLOCK;
  b->implicit = true;
  b->handler = handler;
  b->loc = ((FeTask *)run->items[0])->loc;
  b->block.items = (FeTask **)run->items;
  b->block.n = run->len;
  *run = (PcVec){0};
  return b;
}

/* list := [task | block, ...]; with `blocks`, runs of bare tasks are grouped
 * into implicit blocks (load_list_of_blocks); handlers are never grouped
 * around a block (blocks are not allowed there). */
static FeList fe_load_list_new(FeLoad *ld, FeNode *n, FeRole *role, const char *dir, bool handlers, bool blocks) {
  PcVec out = {0}, run = {0};
  for (int i = 0; i < n->n; i++) {
    FeNode *item = n->items[i];
    if (fe_null(item))
      continue;
    FeTask *t = fe_task_once(ld, item, role, dir, handlers);
    if (!t)
      continue;
    bool explicit_block = t->kind == FE_TASK_BLOCK && !t->import;
    if (!blocks) {
      pc_vec_push(ld->c, &out, t);
    } else if (explicit_block) {
      if (run.len)
        pc_vec_push(ld->c, &out, fe_implicit_block(ld, &run, handlers));
      pc_vec_push(ld->c, &out, t);
    } else {
      pc_vec_push(ld->c, &run, t);
    }
  }
  if (run.len)
    pc_vec_push(ld->c, &out, fe_implicit_block(ld, &run, handlers));
  FeList l = {(FeTask **)out.items, out.len};
  return l;
}

/* The memo key of what shared node `n` builds in a context. */
typedef struct FeOnceKey {
  const void *node, *role;
  const char *dir;
  int what; /* 1 task, 2 list, 3 list of blocks; +4 for handlers */
} FeOnceKey;

static FeOnceKey fe_once_key(const FeNode *n, const FeRole *role, const char *dir, int what, bool handlers) {
  FeOnceKey k;
  memset(&k, 0, sizeof k); /* padding too: the key is compared as bytes */
  k.node = n, k.role = role, k.dir = dir, k.what = what + (handlers ? 4 : 0);
  return k;
}

static FeTask *fe_task_once(FeLoad *ld, FeNode *n, FeRole *role, const char *dir, bool handlers) {
  if (!n->shared)
    return fe_task(ld, n, role, dir, handlers);
  FeOnceKey k = fe_once_key(n, role, dir, 1, handlers);
  FeTask *t = pc_map_get(&ld->once, &k, sizeof k);
  if (!t && (t = fe_task(ld, n, role, dir, handlers)))
    pc_map_put(ld->c, &ld->once, &k, sizeof k, t);
  return t;
}

static FeList fe_load_list(FeLoad *ld, FeNode *n, FeRole *role, const char *dir, bool handlers, bool blocks) {
  if (!n->shared)
    return fe_load_list_new(ld, n, role, dir, handlers, blocks);
  FeOnceKey k = fe_once_key(n, role, dir, blocks ? 3 : 2, handlers);
  FeList *l = pc_map_get(&ld->once, &k, sizeof k);
  if (!l) {
    l = pc_alloc(ld->c, sizeof *l);
    *l = fe_load_list_new(ld, n, role, dir, handlers, blocks);
    pc_map_put(ld->c, &ld->once, &k, sizeof k, l);
  }
  return *l;
}

FeList fe_load_blocks(FeLoad *ld, FeNode *n, FeRole *role, const char *dir, bool handlers) {
  FeList empty = {0};
  if (!n || fe_null(n))
    return empty;
  if (n->kind != FE_SEQ) {
    pc_error_at(ld->c, n->loc, "A malformed block was encountered while loading tasks: expected a list");
    return empty;
  }
  return fe_load_list(ld, n, role, dir, handlers, true);
}

static FeList fe_load_tasks_file_1(FeLoad *ld, const char *path, FeRole *role, bool handlers, PcLoc at);

FeList fe_load_tasks_file(FeLoad *ld, const char *path, FeRole *role, bool handlers, PcLoc at) {
  pc_vec_push(ld->c, &ld->loading, (void *)fe_join(ld->c, NULL, path));
  FeList l = fe_load_tasks_file_1(ld, path, role, handlers, at);
  ld->loading.len--;
  return l;
}

static FeList fe_load_tasks_file_1(FeLoad *ld, const char *path, FeRole *role, bool handlers, PcLoc at) {
  FeList empty = {0};
  bool is_empty = false;
  FeNode *root = fe_yaml_load_data(ld->c, path, &is_empty);
  if (!root) {
    if (!is_empty)
      pc_error_at(ld->c, at, "could not load '%s'", path);
    return empty;
  }
  if (fe_null(root)) /* comments only: Ansible loads None, no tasks */
    return empty;
  if (root->vault_file) {
    pc_error_at(ld->c, at, "'%s' is vault-encrypted: an encrypted tasks file cannot be compiled (its plaintext "
                           "would be in the program); encrypt its values or vars files instead", path);
    return empty;
  }
  if (root->kind != FE_SEQ) {
    pc_error_at(ld->c, root->loc, "included task files must contain a list of tasks");
    return empty;
  }
  return fe_load_blocks(ld, root, role, fe_dirname(ld->c, path), handlers);
}

/* ---- plays ------------------------------------------------------------------------- */

/* A vars file (vars_files, role vars/defaults): a map, or NULL when empty. */
FeNode *fe_load_vars_file(FeLoad *ld, const char *path, PcLoc at) {
  bool is_empty = false;
  FeNode *root = fe_yaml_load_data(ld->c, path, &is_empty);
  if (!root) {
    if (!is_empty)
      pc_error_at(ld->c, at, "could not load '%s'", path);
    return NULL;
  }
  if (fe_null(root))
    return NULL;
  if (root->vault_file) /* decrypted and parsed at run time (a frame of its own) */
    return root;
  if (root->kind != FE_MAP) {
    pc_error_at(ld->c, root->loc, "%s must be stored as a dictionary/hash", path);
    return NULL;
  }
  return root;
}

/* vars_files := name | [name | [name, ...] (first found), ...]. Constant
 * names are read now into maps; when a name is a template, every entry
 * becomes an include (vars_files_dyn) with the files its names can name,
 * looked for as play.get_search_path does: DIR/vars/NAME, DIR/NAME. */
static void fe_vars_files(FeLoad *ld, FePlay *p, FeNode *v, const char *dir) {
  PcCtx *c = ld->c;
  if (fe_null(v))
    return;
  int n = v->kind == FE_SEQ ? v->n : 1;
  bool templated = false;
  for (int i = 0; i < n; i++) {
    FeNode *item = v->kind == FE_SEQ ? v->items[i] : v;
    for (int j = 0; j < (item->kind == FE_SEQ ? item->n : 1); j++) {
      FeNode *name = item->kind == FE_SEQ ? item->items[j] : item;
      if (name->kind != FE_SCALAR || fe_null(name)) {
        pc_error_at(c, name->loc, "Invalid vars_files entry: vars_files entries should be either a string type or "
                                  "a list of string types");
        return;
      }
      templated |= fe_is_template(name);
    }
  }
  const char **dirs = pc_alloc(c, sizeof(char *) * 2);
  dirs[0] = fe_join(c, dir, "vars");
  dirs[1] = dir;
  PcVec maps = {0}, paths = {0}, dyn = {0};
  for (int i = 0; i < n; i++) {
    FeNode *item = v->kind == FE_SEQ ? v->items[i] : v;
    int m = item->kind == FE_SEQ ? item->n : 1;
    FeInclude *inc = templated ? pc_alloc(c, sizeof *inc) : NULL;
    PcVec cpaths = {0}, cvars = {0};
    const char *found = NULL;
    for (int j = 0; j < m && (templated || !found); j++) {
      FeNode *name = item->kind == FE_SEQ ? item->items[j] : item;
      FeInclude one = {0};
      if (fe_is_template(name)) {
        if (!fe_candidates(ld, &one, name, dirs, 2, false, NULL))
          return;
      } else {
        for (int k = 0; k < 2 && !one.n; k++)
          if (fe_is_file(fe_join(c, dirs[k], name->text))) {
            one.paths = pc_alloc(c, sizeof(char *));
            one.paths[0] = fe_join(c, dirs[k], name->text);
            one.n = 1;
          }
      }
      for (int k = 0; k < one.n; k++) {
        bool dup = false;
        for (int q = 0; q < cpaths.len; q++)
          dup |= strcmp(cpaths.items[q], one.paths[k]) == 0;
        if (dup)
          continue;
        pc_vec_push(c, &cpaths, (void *)one.paths[k]);
        pc_vec_push(c, &cvars, fe_load_vars_file(ld, one.paths[k], name->loc));
        if (!templated) {
          found = one.paths[k];
          pc_vec_push(c, &paths, (void *)found);
          pc_vec_push(c, &maps, cvars.items[cvars.len - 1]);
        }
      }
    }
    if (!templated && !found && !c->nerrors)
      pc_error_at(c, item->loc, "vars file %s was not found", item->kind == FE_SCALAR ? item->text : "(list)");
    if (inc) {
      inc->file = item;
      inc->n = cpaths.len;
      inc->paths = inc->names = (const char **)cpaths.items;
      inc->vars = (FeNode **)cvars.items;
      inc->dirs = dirs;
      inc->ndirs = 2;
      pc_vec_push(c, &dyn, inc);
    }
  }
  p->vars_files = (FeNode **)maps.items;
  p->vars_files_paths = (const char **)paths.items;
  p->nvars_files = maps.len;
  p->vars_files_dyn = (FeInclude **)dyn.items;
  p->nvars_files_dyn = dyn.len;
}

static const char *const fe_section_kw[FE_SEC_COUNT] = {"pre_tasks", "tasks", "post_tasks", "handlers"};

/* play := map of play keywords */
static FePlay *fe_play(FeLoad *ld, FeNode *n, const char *dir) {
  PcCtx *c = ld->c;
  FePlay *p = pc_alloc(c, sizeof *p);
  p->loc = n->loc;
  p->node = n;
  p->dir = dir;
  ld->play = p;
  ld->roles = (PcVec){0};
  ld->role_keys = (PcVec){0};
  for (int i = 0; i < n->n; i++) {
    FeNode *k = n->keys[i];
    if (k->kind != FE_SCALAR || !fe_keyword(ld, FE_P, k, n->vals[i], p->kw, p->kw_loc)) {
      if (k->kind == FE_SCALAR && strcmp(k->text, "user") == 0)
        p->kw[FE_KW_REMOTE_USER] = n->vals[i], p->kw_loc[FE_KW_REMOTE_USER] = k->loc;
      else
        pc_error_at(c, k->loc, "'%s' is not a valid attribute for a Play", k->kind == FE_SCALAR ? k->text : "?");
    }
  }
  p->name = fe_str(c, p->kw[FE_KW_NAME], "name");
  if (!p->kw[FE_KW_HOSTS])
    pc_error_at(c, n->loc, "the field 'hosts' is required but was not set");
  else if (fe_null(p->kw[FE_KW_HOSTS]))
    pc_error_at(c, p->kw[FE_KW_HOSTS]->loc, "Hosts list cannot be empty. Please check your playbook");
  FeNode *vars = p->kw[FE_KW_VARS];
  if (vars && vars->kind != FE_MAP && !fe_null(vars))
    pc_error_at(c, vars->loc, "Vars in a Play must be specified as a dictionary");
  if (p->kw[FE_KW_VARS_FILES])
    fe_vars_files(ld, p, p->kw[FE_KW_VARS_FILES], dir);
  FeNode *roles = p->kw[FE_KW_ROLES];
  if (roles && !fe_null(roles)) {
    if (roles->kind != FE_SEQ) {
      pc_error_at(c, roles->loc, "A malformed role declaration was encountered.");
    } else {
      p->roles = pc_alloc(c, sizeof(FeRoleUse *) * (size_t)roles->n);
      for (int i = 0; i < roles->n; i++) {
        FeRoleUse *u = fe_role_use(ld, roles->items[i], NULL, false);
        if (u)
          p->roles[p->nroles++] = u;
      }
    }
  }
  for (int s = 0; s < FE_SEC_COUNT; s++) {
    int id = fe_keyword_find(fe_section_kw[s]);
    FeNode *v = p->kw[id];
    if (v && v->kind != FE_SEQ && !fe_null(v))
      pc_error_at(c, v->loc, "A malformed block was encountered while loading %s", fe_section_kw[s]);
    else
      p->sections[s] = fe_load_blocks(ld, v, NULL, dir, s == FE_SEC_HANDLERS);
  }
  return p;
}

/* import_playbook := map: import_playbook NAME, when, vars, tags */
static void fe_import_playbook(FeLoad *ld, FeNode *n, const char *dir, PcVec *plays);

static void fe_plays(FeLoad *ld, FeNode *root, const char *dir, PcVec *plays) {
  PcCtx *c = ld->c;
  if (root->kind != FE_SEQ) {
    pc_error_at(c, root->loc, "A playbook must be a list of plays, got a %s instead",
                root->kind == FE_MAP ? "dict" : "scalar");
    return;
  }
  for (int i = 0; i < root->n; i++) {
    FeNode *n = root->items[i];
    if (n->kind != FE_MAP) {
      pc_error_at(c, n->loc, "playbook entries must be either valid plays or 'import_playbook' statements");
      continue;
    }
    bool imp = false;
    for (int j = 0; j < n->n; j++)
      imp |= n->keys[j]->kind == FE_SCALAR && fe_is_action(n->keys[j]->text, "import_playbook");
    if (imp)
      fe_import_playbook(ld, n, dir, plays);
    else
      pc_vec_push(c, plays, fe_play(ld, n, dir));
  }
}

static void fe_import_playbook(FeLoad *ld, FeNode *n, const char *dir, PcVec *plays) {
  PcCtx *c = ld->c;
  FeNode *file = NULL, *when = NULL, *vars = NULL, *tags = NULL;
  for (int j = 0; j < n->n; j++) {
    const char *k = n->keys[j]->text;
    if (fe_is_action(k, "import_playbook"))
      file = n->vals[j];
    else if (strcmp(k, "when") == 0)
      when = n->vals[j];
    else if (strcmp(k, "vars") == 0)
      vars = n->vals[j];
    else if (strcmp(k, "tags") == 0)
      tags = n->vals[j];
    else if (strcmp(k, "name") != 0)
      pc_error_at(c, n->keys[j]->loc, "'%s' is not a valid attribute for a PlaybookInclude", k);
  }
  if (!file || file->kind != FE_SCALAR || fe_null(file)) {
    pc_error_at(c, n->loc, "playbook import parameter is missing");
    return;
  }
  if (vars && vars->kind != FE_MAP) {
    pc_error_at(c, vars->loc, "vars for import_playbook statements must be specified as a dictionary");
    vars = NULL;
  }
  if (tags)
    pc_error_at(c, tags->loc, "'tags' on import_playbook is not supported by playc yet");
  if (fe_is_template(file)) {
    pc_error_at(c, file->loc, "playc resolves import_playbook at compile time and cannot template '%s'",
                file->text);
    return;
  }
  const char *path = fe_join(c, dir, file->text);
  if (ld->depth >= FE_MAX_NESTING) {
    pc_error_at(c, file->loc, "import_playbook nested more than %d deep (a playbook that imports itself?)",
                FE_MAX_NESTING);
    return;
  }
  if (!fe_is_file(path)) {
    pc_error_at(c, file->loc, "Unable to retrieve file contents: could not find or access '%s'", path);
    return;
  }
  FeNode *root = fe_yaml_load(c, path);
  if (!root)
    return;
  int first = plays->len;
  ld->depth++;
  fe_plays(ld, root, fe_dirname(c, path), plays);
  ld->depth--;
  for (int i = first; i < plays->len; i++) {
    FePlay *p = plays->items[i];
    if (when && !p->import_when)
      p->import_when = when;
    if (vars && !p->import_vars)
      p->import_vars = vars;
  }
}

static int fe_cmp_inv_vars(const void *a, const void *b) {
  const FeInvVars *x = a, *y = b;
  if (x->host != y->host)
    return x->host ? 1 : -1;
  return strcmp(x->name, y->name);
}

/* group_vars/ and host_vars/ beside the playbook (PLAYBOOK_VARS_ROOT=top:
 * the top playbook's folder). Ansible looks up each group's and host's name
 * at run time (find_vars_files: NAME, NAME.yml, NAME.yaml, NAME.json, the
 * first that exists; a folder read recursively, sorted); every name an
 * entry of the folder can answer is read now, so the program knows them
 * all. */
static void fe_inv_vars(FeLoad *ld, FePlaybook *pb) {
  static const char *const subs[] = {"group_vars", "host_vars"};
  static const char *const exts[] = {"", ".yml", ".yaml", ".json"};
  PcCtx *c = ld->c;
  PcVec out = {0};
  for (int s = 0; s < 2; s++) {
    const char *dir = fe_join(c, pb->dir, subs[s]);
    if (!fe_is_dir(dir))
      continue;
    DIR *d = opendir(dir);
    if (!d)
      continue;
    PcVec names = {0};
    for (struct dirent *e; (e = readdir(d));) {
      if (e->d_name[0] == '.')
        continue;
      const char *nm = pc_strdup(c, e->d_name), *dot = strrchr(nm, '.');
      if (dot && dot != nm && (!strcmp(dot, ".yml") || !strcmp(dot, ".yaml") || !strcmp(dot, ".json")))
        nm = pc_strndup(c, nm, (size_t)(dot - nm));
      bool seen = false;
      for (int i = 0; i < names.len && !seen; i++)
        seen = !strcmp(names.items[i], nm);
      if (!seen)
        pc_vec_push(c, &names, (void *)nm);
    }
    closedir(d);
    for (int i = 0; i < names.len; i++) {
      const char *found = NULL;
      for (size_t k = 0; k < sizeof exts / sizeof *exts && !found; k++) {
        const char *p = fe_join(c, dir, pc_sprintf(c, "%s%s", (const char *)names.items[i], exts[k]));
        if (fe_is_dir(p) || fe_is_file(p))
          found = p;
      }
      if (!found)
        continue;
      PcVec files = {0};
      if (fe_is_dir(found))
        fe_dir_files(c, found, &files, 0);
      else
        pc_vec_push(c, &files, (void *)found);
      FeNode *vars = NULL;
      PcLoc at = {0};
      at.file = found;
      for (int f = 0; f < files.len; f++)
        vars = fe_merge_maps(c, vars, fe_load_vars_file(ld, files.items[f], at));
      FeInvVars *iv = pc_alloc(c, sizeof *iv);
      iv->name = names.items[i];
      iv->host = s == 1;
      iv->path = found;
      iv->vars = vars;
      pc_vec_push(c, &out, iv);
    }
  }
  pb->ninv_vars = out.len;
  pb->inv_vars = pc_alloc(c, sizeof(FeInvVars) * (size_t)(out.len + 1));
  for (int i = 0; i < out.len; i++)
    pb->inv_vars[i] = *(FeInvVars *)out.items[i];
  qsort(pb->inv_vars, (size_t)pb->ninv_vars, sizeof *pb->inv_vars, fe_cmp_inv_vars);
}

FePlaybook *fe_load_playbook(PcCtx *c, const char *path) {
  FeNode *root = fe_yaml_load(c, path);
  if (!root)
    return NULL;
  FePlaybook *pb = pc_alloc(c, sizeof *pb);
  pb->path = path;
  pb->dir = fe_dirname(c, path);
  FeLoad ld = {0};
  ld.c = c;
  ld.pb = pb;
  PcVec plays = {0};
  fe_plays(&ld, root, pb->dir, &plays);
  pb->plays = (FePlay **)plays.items;
  pb->nplays = plays.len;
  fe_inv_vars(&ld, pb);
  return pb;
}
