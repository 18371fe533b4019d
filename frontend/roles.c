/*
 * roles.c — finds and loads roles as Ansible does (RoleDefinition,
 * Role._load_role_data): the search path (roles/ beside the playbook, the
 * configured roles path, the folder of the role naming a dependency, the
 * playbook's folder, then the name as a path; `ns.collection.role` names in
 * the collections path), the files of a role (defaults, vars — a main file or
 * a main/ folder merged —, meta with dependencies and allow_duplicates,
 * argument specs, tasks and handlers with their `*_from` alternatives), and
 * the role cache: one instance per play, name and params, shared by every use,
 * so that a role listed twice with the same params runs once (Ansible's
 * ROLE_CACHE and has_run). Dependencies are loaded depth first; a role that
 * depends on itself is the recursion error Ansible reports.
 */
#include "frontend.h"
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* ---- a canonical text of a node (the role cache key) ---------------------------- */

enum { FE_KEY_MAX = 1 << 20 };

static void fe_key_node(PcCtx *c, PcVec *out, size_t *len, const FeNode *n, int depth) {
  if (*len > FE_KEY_MAX || depth > 200)
    return;
  const char *s;
  if (!n) {
    s = "~";
  } else if (n->kind == FE_SCALAR) {
    s = pc_sprintf(c, "%d:%zu:%s", (int)n->stype, (size_t)n->len, n->text);
  } else {
    pc_vec_push(c, out, (void *)(n->kind == FE_SEQ ? "[" : "{"));
    for (int i = 0; i < n->n; i++) {
      if (n->kind == FE_MAP) {
        fe_key_node(c, out, len, n->keys[i], depth + 1);
        pc_vec_push(c, out, (void *)"=");
        fe_key_node(c, out, len, n->vals[i], depth + 1);
      } else {
        fe_key_node(c, out, len, n->items[i], depth + 1);
      }
      pc_vec_push(c, out, (void *)",");
    }
    s = n->kind == FE_SEQ ? "]" : "}";
  }
  *len += strlen(s);
  pc_vec_push(c, out, (void *)s);
}

static const char *fe_key_join(PcCtx *c, PcVec *parts) {
  size_t n = 0;
  for (int i = 0; i < parts->len; i++)
    n += strlen(parts->items[i]);
  char *s = pc_alloc(c, n + 1), *p = s;
  for (int i = 0; i < parts->len; i++) {
    size_t k = strlen(parts->items[i]);
    memcpy(p, parts->items[i], k);
    p += k;
  }
  *p = 0;
  return s;
}

/* ---- role files --------------------------------------------------------------------- */

static const char *fe_path(PcCtx *c, const char *a, const char *b) { return fe_join(c, a, b); }

const char *fe_role_file(FeLoad *ld, const FeRole *r, const char *subdir, const char *from) {
  PcCtx *c = ld->c;
  const char *dir = fe_path(c, r->path, subdir);
  static const char *const main_ext[] = {".yml", ".yaml", ".json", "", NULL};
  static const char *const from_ext[] = {"", ".yml", ".yaml", ".json", NULL};
  const char *const *ext = from ? from_ext : main_ext;
  for (int i = 0; ext[i]; i++) {
    const char *p = pc_sprintf(c, "%s/%s%s", dir, from ? from : "main", ext[i]);
    if (fe_is_file(p))
      return p;
  }
  return NULL;
}

static int fe_cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

void fe_dir_files(PcCtx *c, const char *dir, PcVec *out, int depth) {
  DIR *d = opendir(dir);
  if (!d || depth > 16) {
    if (d)
      closedir(d);
    return;
  }
  PcVec names = {0};
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.')
      pc_vec_push(c, &names, pc_strdup(c, e->d_name));
  closedir(d);
  pc_vec_sort(&names, fe_cmp_str);
  for (int i = 0; i < names.len; i++) {
    const char *p = fe_path(c, dir, names.items[i]);
    if (fe_is_dir(p)) {
      fe_dir_files(c, p, out, depth + 1);
      continue;
    }
    const char *dot = strrchr(names.items[i], '.');
    if (!dot || !strcmp(dot, ".yml") || !strcmp(dot, ".yaml") || !strcmp(dot, ".json"))
      pc_vec_push(c, out, (void *)p);
  }
}

FeNode *fe_merge_maps(PcCtx *c, FeNode *into, FeNode *add) {
  if (!into)
    return add;
  if (!add)
    return into;
  if (into->vault_file || add->vault_file) { /* names known only at run time: no merge now */
    pc_error_at(c, (into->vault_file ? into : add)->loc,
                "a vault-encrypted file in a role's vars or defaults folder is not supported by playc yet "
                "(an encrypted main file is)");
    return into;
  }
  FeNode *m = pc_alloc(c, sizeof *m);
  *m = *into;
  m->keys = pc_alloc(c, sizeof(FeNode *) * (size_t)(into->n + add->n));
  m->vals = pc_alloc(c, sizeof(FeNode *) * (size_t)(into->n + add->n));
  m->n = 0;
  for (int i = 0; i < into->n; i++) {
    m->keys[m->n] = into->keys[i];
    m->vals[m->n++] = into->vals[i];
  }
  for (int i = 0; i < add->n; i++) {
    int j = 0;
    while (j < m->n && strcmp(m->keys[j]->text, add->keys[i]->text) != 0)
      j++;
    m->keys[j] = add->keys[i];
    m->vals[j] = add->vals[i];
    if (j == m->n)
      m->n++;
  }
  return m;
}

/* defaults / vars: the main file, or every file of the main/ folder merged in
 * order; `from` names another entry point. A `from` that is missing in an
 * existing folder is Ansible's error. */
static FeNode *fe_role_vars(FeLoad *ld, FeRole *r, const char *subdir, const char *from, PcLoc at) {
  PcCtx *c = ld->c;
  const char *file = fe_role_file(ld, r, subdir, from);
  if (file)
    return fe_load_vars_file(ld, file, at);
  const char *dir = pc_sprintf(c, "%s/%s/%s", r->path, subdir, from ? from : "main");
  if (fe_is_dir(dir)) {
    PcVec files = {0};
    fe_dir_files(c, dir, &files, 0);
    FeNode *m = NULL;
    for (int i = 0; i < files.len; i++)
      m = fe_merge_maps(c, m, fe_load_vars_file(ld, files.items[i], at));
    return m;
  }
  if (from && fe_is_dir(fe_path(c, r->path, subdir)))
    pc_error_at(c, at, "Could not find specified file in role: %s/%s", subdir, from);
  return NULL;
}

static FeList fe_role_tasks(FeLoad *ld, FeRole *r, const char *subdir, const char *from, PcLoc at) {
  FeList empty = {0};
  const char *file = fe_role_file(ld, r, subdir, from);
  if (!file) {
    if (from && fe_is_dir(fe_path(ld->c, r->path, subdir)))
      pc_error_at(ld->c, at, "Could not find specified file in role: %s/%s", subdir, from);
    return empty;
  }
  return fe_load_tasks_file(ld, file, r, strcmp(subdir, "handlers") == 0, at);
}

/* ---- finding a role ------------------------------------------------------------------ */

/* The folder of role `name`, or NULL after the error Ansible reports. */
static const char *fe_role_path(FeLoad *ld, const char *name, const char *base_dir, PcLoc at) {
  PcCtx *c = ld->c;
  PcVec search = {0};
  int dots = 0;
  for (const char *p = name; *p; p++)
    dots += *p == '.';
  if (dots >= 2 && !strchr(name, '/')) { /* namespace.collection.role */
    const char *last = strrchr(name, '.');
    const char *ns_coll = pc_strndup(c, name, (size_t)(last - name));
    char *coll = pc_strdup(c, ns_coll);
    *strchr(coll, '.') = '/';
    /* collections_path of ansible.cfg, ANSIBLE_COLLECTIONS_PATH(S) (runtime/config.c) */
    const char *const *cfg = rt_config_list(RT_CFG_COLLECTIONS_PATH);
    const char *home = getenv("HOME");
    PcVec paths = {0};
    if (cfg) {
      for (; *cfg; cfg++)
        pc_vec_push(c, &paths, (void *)pc_strdup(c, *cfg));
    } else {
      char *s = pc_sprintf(c, "%s/collections:%s/.ansible/collections:/usr/share/ansible/collections", ld->pb->dir,
                           home ? home : "");
      for (char *tok = strtok(s, ":"); tok; tok = strtok(NULL, ":"))
        pc_vec_push(c, &paths, tok);
    }
    for (int i = 0; i < paths.len; i++) {
      const char *tok = paths.items[i];
      if (!*tok)
        continue;
      const char *p = pc_sprintf(c, "%s/ansible_collections/%s/roles/%s", tok, coll, last + 1);
      if (fe_is_dir(p))
        return p;
      pc_vec_push(c, &search, (void *)tok);
    }
  }
  pc_vec_push(c, &search, (void *)fe_path(c, ld->pb->dir, "roles"));
  for (int i = 0; i < c->nroles_path; i++)
    pc_vec_push(c, &search, (void *)c->roles_path[i]);
  if (base_dir)
    pc_vec_push(c, &search, (void *)base_dir);
  pc_vec_push(c, &search, (void *)ld->pb->dir);
  for (int i = 0; i < search.len; i++) {
    const char *p = fe_path(c, search.items[i], name);
    if (fe_is_dir(p))
      return p;
  }
  if (fe_is_dir(name))
    return name;
  const char *list = "";
  for (int i = 0; i < search.len; i++)
    list = pc_sprintf(c, "%s%s%s", list, i ? ":" : "", (const char *)search.items[i]);
  pc_error_at(c, at, "the role '%s' was not found in %s", name, list);
  return NULL;
}

/* ---- loading a role ------------------------------------------------------------------ */

static void fe_role_meta(FeLoad *ld, FeRole *r, PcLoc at) {
  PcCtx *c = ld->c;
  const char *file = fe_role_file(ld, r, "meta", NULL);
  if (!file)
    return;
  bool empty = false;
  FeNode *m = fe_yaml_load_data(c, file, &empty);
  if (!m || m->kind == FE_SCALAR)
    return;
  if (m->kind != FE_MAP) {
    pc_error_at(c, m->loc, "the 'meta/main.yml' for role %s is not a dictionary", r->name);
    return;
  }
  r->metadata = m;
  FeNode *ad = fe_map_get(m, "allow_duplicates");
  if (ad) {
    if (ad->kind == FE_SCALAR && ad->stype == FE_T_BOOL)
      r->allow_duplicates = ad->b;
    else
      pc_error_at(c, ad->loc, "allow_duplicates must be a boolean");
  }
  r->argument_specs = fe_map_get(m, "argument_specs");
  FeNode *deps = fe_map_get(m, "dependencies");
  if (!deps || (deps->kind == FE_SCALAR && deps->stype == FE_T_NULL))
    return;
  if (deps->kind != FE_SEQ) {
    pc_error_at(c, deps->loc, "Expected role dependencies to be a list.");
    return;
  }
  r->deps = pc_alloc(c, sizeof(FeRoleUse *) * (size_t)deps->n);
  (void)at;
  for (int i = 0; i < deps->n; i++) {
    if (ld->depth >= FE_MAX_NESTING) {
      pc_error_at(c, deps->items[i]->loc,
                  "A recursion loop was detected with the roles specified. Make sure child roles do not have "
                  "dependencies on parent roles");
      return;
    }
    ld->depth++;
    FeRoleUse *u = fe_role_use(ld, deps->items[i], fe_dirname(c, r->path), false);
    ld->depth--;
    if (u)
      r->deps[r->ndeps++] = u;
  }
}

static void fe_role_argspecs(FeLoad *ld, FeRole *r) {
  const char *file = fe_role_file(ld, r, "meta", "argument_specs");
  if (!file)
    return;
  bool empty = false;
  FeNode *m = fe_yaml_load_data(ld->c, file, &empty);
  FeNode *specs = m && m->kind == FE_MAP ? fe_map_get(m, "argument_specs") : NULL;
  r->argument_specs = specs && specs->kind == FE_MAP ? specs : NULL;
}

static FeNode *fe_str_node(PcCtx *c, const char *text, PcLoc loc) {
  FeNode *n = pc_alloc(c, sizeof *n);
  n->kind = FE_SCALAR;
  n->stype = FE_T_STR;
  n->quoted = true;
  n->loc = loc;
  n->text = text;
  n->len = strlen(text);
  return n;
}

static FeNode *fe_map_node(PcCtx *c, int cap, PcLoc loc) {
  FeNode *m = pc_alloc(c, sizeof *m);
  m->kind = FE_MAP;
  m->loc = loc;
  m->keys = pc_alloc(c, sizeof(FeNode *) * (size_t)cap);
  m->vals = pc_alloc(c, sizeof(FeNode *) * (size_t)cap);
  return m;
}

static void fe_map_add(PcCtx *c, FeNode *m, const char *key, FeNode *val) {
  m->keys[m->n] = fe_str_node(c, key, m->loc);
  m->vals[m->n++] = val;
}

/* Role._prepend_validation_task: with an argument spec for the entry point,
 * the role's tasks start with validate_argument_spec (tags: always) checking
 * the role's params. */
static void fe_role_validation(FeLoad *ld, FeRole *r, FeRoleUse *u) {
  PcCtx *c = ld->c;
  const char *entry = u->tasks_from ? u->tasks_from : "main";
  FeNode *spec = r->argument_specs ? fe_map_get(r->argument_specs, entry) : NULL;
  if (!spec || spec->kind != FE_MAP)
    return;
  PcLoc loc = spec->loc;
  FeNode *sd = fe_map_get(spec, "short_description");
  FeTask *t = pc_alloc(c, sizeof *t);
  t->kind = FE_TASK_MODULE;
  t->loc = loc;
  t->name = sd && sd->kind == FE_SCALAR
                ? pc_sprintf(c, "Validating arguments against arg spec '%s' - %s", entry, sd->text)
                : pc_sprintf(c, "Validating arguments against arg spec '%s'", entry);
  FeNode *kw[FE_KW_COUNT] = {0};
  kw[FE_KW_NAME] = fe_str_node(c, t->name, loc);
  kw[FE_KW_TAGS] = fe_str_node(c, "always", loc);
  fe_task_set_kws(c, t, kw);
  t->action = "validate_argument_spec";
  t->action_loc = loc;
  FeNode *args = fe_map_node(c, 3, loc), *ctxn = fe_map_node(c, 4, loc);
  FeNode *opts = fe_map_get(spec, "options");
  fe_map_add(c, args, "argument_spec", opts && opts->kind == FE_MAP ? opts : fe_map_node(c, 0, loc));
  fe_map_add(c, args, "provided_arguments", u->params ? u->params : fe_map_node(c, 0, loc));
  fe_map_add(c, ctxn, "argument_spec_name", fe_str_node(c, entry, loc));
  fe_map_add(c, ctxn, "name", fe_str_node(c, r->name, loc));
  fe_map_add(c, ctxn, "path", fe_str_node(c, r->path, loc));
  fe_map_add(c, ctxn, "type", fe_str_node(c, "role", loc));
  fe_map_add(c, args, "validate_args_context", ctxn);
  t->args = args;
  /* a bare task before the others: it joins the first implicit block */
  FeList *l = &r->tasks;
  if (l->n && l->items[0]->implicit) {
    FeList *b = &l->items[0]->block;
    FeTask **items = pc_alloc(c, sizeof *items * (size_t)(b->n + 1));
    items[0] = t;
    memcpy(items + 1, b->items, sizeof *items * (size_t)b->n);
    b->items = items;
    b->n++;
    return;
  }
  FeTask *blk = pc_alloc(c, sizeof *blk);
  blk->kind = FE_TASK_BLOCK;
  blk->implicit = true;
  blk->loc = loc;
  blk->block.items = pc_alloc(c, sizeof(FeTask *));
  blk->block.items[0] = t;
  blk->block.n = 1;
  FeTask **items = pc_alloc(c, sizeof *items * (size_t)(l->n + 1));
  items[0] = blk;
  memcpy(items + 1, l->items, sizeof *items * (size_t)l->n);
  l->items = items;
  l->n++;
}

/* Loads instance `r` (name and path set) for use `u`. */
static void fe_role_data(FeLoad *ld, FeRole *r, FeRoleUse *u) {
  r->vars = fe_role_vars(ld, r, "vars", u->vars_from, u->loc);
  r->defaults = fe_role_vars(ld, r, "defaults", u->defaults_from, u->loc);
  fe_role_meta(ld, r, u->loc);
  fe_role_argspecs(ld, r);
  r->tasks = fe_role_tasks(ld, r, "tasks", u->tasks_from, u->loc);
  fe_role_validation(ld, r, u);
  r->handlers = fe_role_tasks(ld, r, "handlers", u->handlers_from, u->loc);
}

/* ---- role entries ---------------------------------------------------------------------- */

/* A `*_from` argument: a string; Ansible keeps its basename. */
static const char *fe_from(PcCtx *c, FeNode *v, const char *key) {
  if (!v)
    return NULL;
  if (v->kind != FE_SCALAR || v->stype != FE_T_STR) {
    pc_error_at(c, v->loc, "Expected a string for %s but got %s instead", key,
                v->kind == FE_SCALAR ? "a scalar" : v->kind == FE_SEQ ? "a list" : "a dict");
    return NULL;
  }
  if (strstr(v->text, "{{") || strstr(v->text, "{%")) {
    pc_error_at(c, v->loc, "playc loads roles at compile time and cannot template '%s' yet", v->text);
    return NULL;
  }
  const char *slash = strrchr(v->text, '/');
  return slash ? slash + 1 : v->text;
}

FeRoleUse *fe_role_use(FeLoad *ld, FeNode *entry, const char *base_dir, bool include_args) {
  PcCtx *c = ld->c;
  FeRoleUse *u = pc_alloc(c, sizeof *u);
  u->loc = entry->loc;
  u->entry = entry;
  u->is_public = !include_args;
  const char *name = NULL;
  FeNode *name_node = entry;
  if (entry->kind == FE_SCALAR && entry->stype != FE_T_NULL) {
    name = entry->text;
  } else if (entry->kind == FE_MAP) {
    name_node = fe_map_get(entry, "role");
    if (!name_node)
      name_node = fe_map_get(entry, "name");
    if (name_node && name_node->kind == FE_SCALAR && name_node->stype != FE_T_NULL)
      name = name_node->text;
    FeNode *params = NULL;
    for (int i = 0; i < entry->n; i++) {
      FeNode *k = entry->keys[i], *v = entry->vals[i];
      const char *key = k->text;
      if (!strcmp(key, "role") || !strcmp(key, "name"))
        continue;
      if (include_args) {
        if (!strcmp(key, "tasks_from"))
          u->tasks_from = fe_from(c, v, key);
        else if (!strcmp(key, "vars_from"))
          u->vars_from = fe_from(c, v, key);
        else if (!strcmp(key, "defaults_from"))
          u->defaults_from = fe_from(c, v, key);
        else if (!strcmp(key, "handlers_from"))
          u->handlers_from = fe_from(c, v, key);
        else if (!strcmp(key, "public") && v->kind == FE_SCALAR && v->stype == FE_T_BOOL)
          u->is_public = v->b;
        continue; /* apply, allow_duplicates, rolespec_validate: read by lowering from the args */
      }
      int id = fe_keyword_find(key);
      if (id >= 0 && (fe_keywords[id].where & FE_R)) {
        u->kw[id] = v;
        continue;
      }
      if (!params) {
        params = pc_alloc(c, sizeof *params);
        params->kind = FE_MAP;
        params->loc = entry->loc;
        params->keys = pc_alloc(c, sizeof(FeNode *) * (size_t)entry->n);
        params->vals = pc_alloc(c, sizeof(FeNode *) * (size_t)entry->n);
      }
      params->keys[params->n] = k;
      params->vals[params->n++] = v;
    }
    u->params = params;
  }
  if (!name) {
    pc_error_at(c, entry->loc, "role definitions must contain a role name");
    return NULL;
  }
  if (strstr(name, "{{") || strstr(name, "{%")) {
    pc_error_at(c, name_node->loc, "playc loads roles at compile time and cannot template the role name '%s'",
                name);
    return NULL;
  }
  const char *path = fe_role_path(ld, name, base_dir, name_node->loc);
  if (!path)
    return NULL;
  if (!strchr(name, '/') || fe_is_dir(name))
    name = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
  /* the cache key: Ansible hashes the params with when, tags, vars, the
   * *_from files and whether it comes from include_role */
  PcVec parts = {0};
  size_t len = 0;
  pc_vec_push(c, &parts, (void *)path);
  fe_key_node(c, &parts, &len, u->params, 0);
  fe_key_node(c, &parts, &len, u->kw[FE_KW_WHEN], 0);
  fe_key_node(c, &parts, &len, u->kw[FE_KW_TAGS], 0);
  fe_key_node(c, &parts, &len, u->kw[FE_KW_VARS], 0);
  pc_vec_push(c, &parts, (void *)pc_sprintf(c, "|%s|%s|%s|%s|%d", u->tasks_from ? u->tasks_from : "",
                                             u->vars_from ? u->vars_from : "",
                                             u->defaults_from ? u->defaults_from : "",
                                             u->handlers_from ? u->handlers_from : "", include_args));
  if (len > FE_KEY_MAX) {
    pc_error_at(c, entry->loc, "the params of role '%s' are too large", name);
    return NULL;
  }
  const char *key = fe_key_join(c, &parts);
  for (int i = 0; i < ld->role_keys.len; i++)
    if (strcmp(ld->role_keys.items[i], key) == 0) {
      u->role = ld->roles.items[i];
      if (!u->role) { /* still being loaded: it depends on itself */
        pc_error_at(c, entry->loc,
                    "A recursion loop was detected with the roles specified. Make sure child roles do not have "
                    "dependencies on parent roles");
        return NULL;
      }
      return u;
    }
  FeRole *r = pc_alloc(c, sizeof *r);
  pc_vec_push(c, &ld->pb->role_paths, (void *)path);
  r->id = ld->pb->nroles++;
  r->name = name;
  r->path = path;
  int slot = ld->roles.len;
  pc_vec_push(c, &ld->role_keys, (void *)key);
  pc_vec_push(c, &ld->roles, NULL); /* marks "being loaded" */
  fe_role_data(ld, r, u);
  ld->roles.items[slot] = r;
  u->role = r;
  return u;
}

const char *fe_local_plugin(PcCtx *c, const FePlaybook *pb, const char *kind, const char *name) {
  size_t n = strlen(name);
  for (int i = -1; i < pb->role_paths.len; i++) {
    const char *dir = pc_sprintf(c, "%s/%s", i < 0 ? pb->dir : (const char *)pb->role_paths.items[i], kind);
    DIR *d = opendir(dir);
    if (!d)
      continue;
    const char *hit = NULL;
    for (struct dirent *e; !hit && (e = readdir(d));) {
      size_t len = strlen(e->d_name);
      if (len < 4 || strcmp(e->d_name + len - 3, ".py") != 0)
        continue;
      const char *path = pc_sprintf(c, "%s/%s", dir, e->d_name);
      FILE *f = fopen(path, "r");
      if (!f)
        continue;
      char line[4096];
      while (!hit && fgets(line, sizeof line, f))
        for (const char *p = line; !hit && (p = strstr(p, name)); p += n)
          if (p > line && (p[-1] == '\'' || p[-1] == '"') && p[n] == p[-1])
            hit = path;
      fclose(f);
    }
    closedir(d);
    if (hit)
      return hit;
  }
  return NULL;
}
