/*
 * playbook.c — turns the YAML node tree into the playbook AST: a list of plays,
 * each with its keywords and tasks. Checks the shape Ansible checks (a play is
 * a map, keywords are known, a task names exactly one module) with located
 * errors in Ansible's wording. Ansible keywords playc does not implement yet
 * are rejected by name rather than silently ignored. A play or task reached
 * through a YAML alias is checked once (its errors reported once) and is the
 * same FePlay/FeTask wherever it is used; the playbook's depth is the YAML
 * tree's, bounded by the loader.
 */
#include "frontend.h"
#include "../modules/modules.h"

#include <string.h>

static const char *const fe_unsupported[] = {
    "handlers", "roles", "pre_tasks", "post_tasks", "become", "become_user", "become_method",
    "tags", "block", "rescue", "always", "notify", "loop_control", "delegate_to", "run_once",
    "serial", "strategy", "environment", "vars_files", "vars_prompt", "check_mode", "diff",
    "any_errors_fatal", "max_fail_percentage", "until", "retries", "delay", "with_items",
    "with_dict", "with_fileglob", "with_together", "with_nested", "with_sequence", "import_tasks",
    "include_tasks", "import_playbook", "include_role", "import_role", "listen", "no_log",
    "async", "poll", "collections", "module_defaults", "order", "throttle", "timeout",
    "debugger", "remote_user", "port", "local_action", "args", "delegate_facts",
    "ignore_unreachable", "force_handlers", "fact_path", "gather_subset", "gather_timeout", NULL};

/* Task keywords that are also play keywords (handled on plays, not tasks yet). */
static const char *const fe_task_unsupported[] = {"vars", "connection", "hosts", "gather_facts", NULL};

static bool fe_in(const char *s, const char *const *list) {
  for (; *list; list++)
    if (strcmp(s, *list) == 0)
      return true;
  return false;
}

static const char *fe_str(PcCtx *c, FeNode *n, const char *what) {
  if (!n)
    return NULL;
  if (n->kind != FE_SCALAR) {
    pc_error_at(c, n->loc, "'%s' must be a string", what);
    return NULL;
  }
  return n->text;
}

/* Plays and tasks already built from shared nodes (FeNode → FePlay/FeTask). */
typedef struct FeLoad {
  PcCtx *c;
  PcMap built;
} FeLoad;

/* task := map of keywords and exactly one module key */
static FeTask *fe_task(PcCtx *c, FeNode *n) {
  if (n->kind != FE_MAP) {
    pc_error_at(c, n->loc, "a task must be a mapping");
    return NULL;
  }
  FeTask *t = pc_alloc(c, sizeof *t);
  t->loc = n->loc;
  bool unsupported = false; /* already reported: no "no module" on top */
  for (int i = 0; i < n->n; i++) {
    const char *k = n->keys[i]->text;
    FeNode *v = n->vals[i];
    if (strcmp(k, "name") == 0)
      t->name = fe_str(c, v, k);
    else if (strcmp(k, "when") == 0)
      t->when = v;
    else if (strcmp(k, "loop") == 0)
      t->loop = v;
    else if (strcmp(k, "changed_when") == 0)
      t->changed_when = v;
    else if (strcmp(k, "failed_when") == 0)
      t->failed_when = v;
    else if (strcmp(k, "ignore_errors") == 0)
      t->ignore_errors = v;
    else if (strcmp(k, "register") == 0)
      t->register_var = fe_str(c, v, k);
    else if (strcmp(k, "action") == 0 && v->kind == FE_SCALAR) {
      if (t->action) {
        pc_error_at(c, n->keys[i]->loc, "conflicting action statements: %s, action", t->action);
        continue;
      }
      const char *sp = strpbrk(v->text, " \t\n");
      t->action = sp ? pc_strndup(c, v->text, (size_t)(sp - v->text)) : v->text;
      t->action_loc = v->loc;
      if (sp) {
        FeNode *a = pc_alloc(c, sizeof *a);
        *a = *v;
        while (*sp == ' ' || *sp == '\t' || *sp == '\n')
          sp++;
        a->text = sp;
        a->len = strlen(sp);
        a->stype = FE_T_STR;
        a->loc.col += (int32_t)(sp - v->text);
        t->args = a;
      }
    } else if (fe_in(k, fe_unsupported) || fe_in(k, fe_task_unsupported) || strncmp(k, "with_", 5) == 0) {
      pc_error_at(c, n->keys[i]->loc, "'%s' is not supported by playc yet", k);
      unsupported = true;
    } else if (mod_schema_find(k) >= 0 || strchr(k, '.')) {
      if (t->action) {
        pc_error_at(c, n->keys[i]->loc, "conflicting action statements: %s, %s", t->action, k);
        continue;
      }
      if (mod_schema_find(k) < 0)
        pc_error_at(c, n->keys[i]->loc, "couldn't resolve module/action '%s'", k);
      t->action = k;
      t->action_loc = n->keys[i]->loc;
      t->args = (v->kind == FE_SCALAR && v->stype == FE_T_NULL) ? NULL : v;
    } else {
      pc_error_at(c, n->keys[i]->loc, "couldn't resolve module/action '%s'", k);
      t->action = k;
    }
  }
  if (!t->action && !unsupported)
    pc_error_at(c, n->loc, "no module/action detected in task.");
  return t;
}

/* A shared node's play or task is built once. */
static void *fe_once(FeLoad *fl, FeNode *n, void *(*build)(FeLoad *, FeNode *)) {
  void *known = n->shared ? pc_map_get_ptr(&fl->built, n) : NULL;
  if (known)
    return known;
  void *r = build(fl, n);
  if (n->shared && r)
    pc_map_put_ptr(fl->c, &fl->built, n, r);
  return r;
}

static void *fe_task_once(FeLoad *fl, FeNode *n) { return fe_task(fl->c, n); }

/* play := map: name, hosts, vars, gather_facts, connection, tasks */
static void *fe_play(FeLoad *fl, FeNode *n) {
  PcCtx *c = fl->c;
  if (n->kind != FE_MAP) {
    pc_error_at(c, n->loc, "a play must be a mapping (got a %s)", n->kind == FE_SEQ ? "list" : "scalar");
    return NULL;
  }
  FePlay *p = pc_alloc(c, sizeof *p);
  p->loc = n->loc;
  PcVec tasks = {0};
  for (int i = 0; i < n->n; i++) {
    const char *k = n->keys[i]->text;
    FeNode *v = n->vals[i];
    if (strcmp(k, "name") == 0)
      p->name = fe_str(c, v, k);
    else if (strcmp(k, "hosts") == 0)
      p->hosts = v;
    else if (strcmp(k, "vars") == 0) {
      if (v->kind == FE_MAP)
        p->vars = v;
      else if (!(v->kind == FE_SCALAR && v->stype == FE_T_NULL))
        pc_error_at(c, v->loc, "vars must be a mapping");
    } else if (strcmp(k, "gather_facts") == 0)
      p->gather_facts = v;
    else if (strcmp(k, "connection") == 0)
      p->connection = v;
    else if (strcmp(k, "tasks") == 0) {
      if (v->kind == FE_SEQ) {
        for (int j = 0; j < v->n; j++) {
          FeTask *t = fe_once(fl, v->items[j], fe_task_once);
          if (t)
            pc_vec_push(c, &tasks, t);
        }
      } else if (!(v->kind == FE_SCALAR && v->stype == FE_T_NULL))
        pc_error_at(c, v->loc, "tasks must be a list");
    } else if (fe_in(k, fe_unsupported))
      pc_error_at(c, n->keys[i]->loc, "'%s' is not supported by playc yet", k);
    else
      pc_error_at(c, n->keys[i]->loc, "'%s' is not a valid attribute for a Play", k);
  }
  if (!p->hosts)
    pc_error_at(c, n->loc, "the field 'hosts' is required but was not set");
  p->tasks = (FeTask **)tasks.items;
  p->ntasks = tasks.len;
  return p;
}

FePlaybook *fe_load_playbook(PcCtx *c, const char *path) {
  FeNode *root = fe_yaml_load(c, path);
  if (!root)
    return NULL;
  FePlaybook *pb = pc_alloc(c, sizeof *pb);
  pb->path = path;
  const char *slash = strrchr(path, '/');
  pb->dir = slash ? pc_strndup(c, path, (size_t)(slash - path)) : ".";
  if (root->kind != FE_SEQ) {
    pc_error_at(c, root->loc, "a playbook must be a list of plays");
    return pb;
  }
  PcVec plays = {0};
  FeLoad fl = {c, {0}};
  for (int i = 0; i < root->n; i++) {
    FePlay *p = fe_once(&fl, root->items[i], fe_play);
    if (p)
      pc_vec_push(c, &plays, p);
  }
  pb->plays = (FePlay **)plays.items;
  pb->nplays = plays.len;
  return pb;
}
