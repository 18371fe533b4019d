/*
 * structure.c — lowers the playbook's structure: plays into their run order
 * of top-level blocks (pre_tasks, an implicit flush of handlers, the roles
 * with their dependencies and an implicit role_complete each, tasks, a flush,
 * post_tasks, a flush — Ansible's Play.compile), blocks with their regions,
 * handlers (the roles' then the play's), and the includes with every file
 * they can name compiled for the place they are included from.
 *
 * Keywords inherit as Ansible's _get_parent_attribute has them: a task's
 * `when` is its parents' conditions then its own, tags are the union, and the
 * other keywords take the nearest value (task, block, role, play).
 *
 * Variables become frames (IrScope) chained from the task outward: task vars,
 * block vars, include params, the role's params, vars and defaults (with its
 * dependency chain), then the play's frames (vars_files, vars, every role's
 * vars and defaults). Frames carry their precedence level (RtVarLevel), so
 * the chain need not be sorted: the runtime takes the highest level that
 * holds a name, and the first frame at that level.
 */
#include "ir.h"
#include "../frontend/jinja.h"
#include "../modules/modules.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* What a task inherits from the objects around it. */
typedef struct StCtx {
  FeNode *kw[FE_KW_COUNT];   /* nearest value of each keyword */
  PcVec when;                /* FeNode*: conditions, outermost first */
  PcVec tags;                /* const char*: union */
  PcVec env;                 /* FeNode*: environment values, outermost first */
  IrScope *scope;            /* the innermost frame */
  IrRole *role;              /* the role of the tasks, or NULL */
  const char *role_name;
  const char *const *roots;  /* the role dependency chain's paths, own role first (NULL-terminated) */
  bool handler;
} StCtx;

typedef struct St {
  IrLower *l;
  PcCtx *c;
  IrPlay *play;
  FePlay *fp;
  PcVec handlers;   /* IrTask*: this play's handlers (roles', then the play's) */
  PcVec notifies;   /* StNotify*: constant notify names to resolve once handlers are known */
  PcVec play_roles; /* FeRoleUse*: roles of the play (roles:, import_role), for the play-wide frames */
  PcVec public_roles; /* FeTask*: include_role with public: true (their frames count once one ran) */
  PcMap varsets;    /* map node → its StVarSet: lowered var maps, by node */
  PcMap frame_locs; /* "file:line:col" → frames made of vars written there so far */
  PcVec *role_handlers; /* per role instance id: PcVec of IrTask* (NULL until compiled) */
  PcVec include_handlers; /* IrTask*: include_role handlers */
  int include_role_depth; /* include_roles being compiled around the current task */
  const char *const *last_chain, *last_file, *const *last_roots; /* st_task_roots' cache */
} St;

typedef struct StNotify {
  IrTask *task;
  FeNode *names;
  int horizon; /* include_role handler groups loaded when it notifies (-1: set when its include_role ends) */
} StNotify;

typedef struct StVarSet {
  const FeNode *map;
  IrVar *vars;
  int32_t nvars;
} StVarSet;

/* ---- frames --------------------------------------------------------------------- */

static int st_var_cmp(const void *a, const void *b) {
  return strcmp(((const IrVar *)a)->name, ((const IrVar *)b)->name);
}

/* The vars of map `m`, lowered once per node (sorted by name). */
static StVarSet *st_varset_in(St *s, const FeNode *m);

/* Frames outlive the task that makes them (ir/stream.c): their values are
 * lowered into the long-lived arena. */
static StVarSet *st_varset(St *s, const FeNode *m) {
  StVarSet *known = pc_map_get_ptr(&s->varsets, m);
  if (known)
    return known;
  bool on = s->c->task_on;
  s->c->task_on = false;
  StVarSet *vs = st_varset_in(s, m);
  s->c->task_on = on;
  return vs;
}

static StVarSet *st_varset_in(St *s, const FeNode *m) {
  StVarSet *vs = pc_alloc(s->c, sizeof *vs);
  vs->map = m;
  vs->vars = pc_alloc(s->c, sizeof(IrVar) * (size_t)(m->n + 1));
  for (int i = 0; i < m->n; i++) {
    const FeNode *k = m->keys[i], *v = m->vals[i];
    if (k->kind != FE_SCALAR) {
      pc_error_at(s->c, k->loc, "variable names must be strings");
      continue;
    }
    IrVar *iv = &vs->vars[vs->nvars++];
    iv->name = k->text;
    iv->loc = k->loc;
    iv->lazy = ir_has_template(s->l, v);
    const char *src = v->kind == FE_SCALAR && v->stype != FE_T_VAULT ? v->text : NULL;
    iv->value = ir_lower_root(s->l, ir_lower_var_error(s->l, ir_lower_value(s->l, v), src), src);
  }
  qsort(vs->vars, (size_t)vs->nvars, sizeof *vs->vars, st_var_cmp);
  pc_map_put_ptr(s->c, &s->varsets, m, vs);
  return vs;
}

/* Names frame `f` by where its vars are written, and how many frames of
 * those vars came before it (a role used twice): the plan's name for it,
 * which an edit elsewhere does not change (unlike its number). */
static void st_frame_name(St *s, IrScope *f, const FeNode *m) {
  f->loc = m->loc;
  char *key = pc_sprintf(s->c, "%s:%d:%d", m->loc.file ? m->loc.file : "", m->loc.line, m->loc.col);
  intptr_t n = (intptr_t)pc_map_get(&s->frame_locs, key, strlen(key)) + 1;
  pc_map_put(s->c, &s->frame_locs, key, strlen(key), (void *)n);
  f->nth = (int32_t)n;
}

/* A frame for map `m` at `level` in front of `next` (`next` when m is empty). */
static IrScope *st_frame(St *s, int level, const char *what, const FeNode *m, IrScope *next) {
  if (m && m->vault_file) { /* an encrypted vars file: its vars come at run time */
    IrScope *f = pc_alloc(s->c, sizeof *f);
    st_frame_name(s, f, m);
    f->id = s->l->scopes.len;
    f->level = level;
    f->what = what;
    f->next = next;
    f->vault_text = m->text;
    f->vault_len = m->len;
    f->vault_file = m->loc.file;
    pc_vec_push(s->c, &s->l->scopes, f);
    return f;
  }
  if (!m || m->kind != FE_MAP || m->n == 0)
    return next;
  StVarSet *vs = st_varset(s, m);
  IrScope *f = pc_alloc(s->c, sizeof *f);
  st_frame_name(s, f, m);
  f->id = s->l->scopes.len;
  f->level = level;
  f->what = what;
  f->vars = vs->vars;
  f->nvars = vs->nvars;
  f->next = next;
  pc_vec_push(s->c, &s->l->scopes, f);
  return f;
}

/* A role's frames for a use with dependency chain `chain` (root first),
 * pushed in front of `next`: params (own, then parents nearest first), vars
 * (vars/, the entry's vars, then its dependencies', then the parents'),
 * defaults (own, parents, dependencies). Frames of lower levels may sit in
 * front of higher ones: the runtime compares levels. */
static void st_role_deps(St *s, const FeRole *r, PcVec *out);

static IrScope *st_role_frames(St *s, const FeRoleUse *u, FeRoleUse **chain, int nchain, IrScope *next) {
  PcCtx *c = s->c;
  const FeRole *r = u->role;
  PcVec deps = {0};
  st_role_deps(s, r, &deps);
  /* lowest first, each pushed in front: the head is the highest */
  for (int i = 0; i < deps.len; i++) {
    const FeRole *d = deps.items[i];
    next = st_frame(s, RT_LV_ROLE_DEFAULTS, pc_sprintf(c, "role %s defaults", d->name), d->defaults, next);
  }
  for (int i = 0; i < nchain; i++)
    next = st_frame(s, RT_LV_ROLE_DEFAULTS, pc_sprintf(c, "role %s defaults", chain[i]->role->name),
                    chain[i]->role->defaults, next);
  next = st_frame(s, RT_LV_ROLE_DEFAULTS, pc_sprintf(c, "role %s defaults", r->name), r->defaults, next);
  for (int i = 0; i < nchain; i++) {
    next = st_frame(s, RT_LV_ROLE_VARS, pc_sprintf(c, "role %s entry vars", chain[i]->role->name),
                    chain[i]->kw[FE_KW_VARS], next);
    next = st_frame(s, RT_LV_ROLE_VARS, pc_sprintf(c, "role %s vars", chain[i]->role->name), chain[i]->role->vars,
                    next);
  }
  for (int i = 0; i < deps.len; i++) {
    const FeRole *d = deps.items[i];
    next = st_frame(s, RT_LV_ROLE_VARS, pc_sprintf(c, "role %s vars", d->name), d->vars, next);
  }
  next = st_frame(s, RT_LV_ROLE_VARS, pc_sprintf(c, "role %s entry vars", r->name), u->kw[FE_KW_VARS], next);
  next = st_frame(s, RT_LV_ROLE_VARS, pc_sprintf(c, "role %s vars", r->name), r->vars, next);
  for (int i = 0; i < nchain; i++)
    next = st_frame(s, RT_LV_ROLE_PARAMS, pc_sprintf(c, "role %s params", chain[i]->role->name), chain[i]->params,
                    next);
  return st_frame(s, RT_LV_ROLE_PARAMS, pc_sprintf(c, "role %s params", r->name), u->params, next);
}

/* Every dependency of `r`, recursively, in run order (Role.get_all_dependencies). */
static void st_role_deps(St *s, const FeRole *r, PcVec *out) {
  for (int i = 0; i < r->ndeps; i++) {
    st_role_deps(s, r->deps[i]->role, out);
    pc_vec_push(s->c, out, r->deps[i]->role);
  }
}

/* A frame of a role made public by include_role: it counts once such an
 * include has run in the play (IncludeRole.get_block_list appends the role
 * to play.roles then). */
static IrScope *st_gated(St *s, IrScope *f, IrScope *next, const FeRole *r, int gate) {
  if (f != next && gate) {
    f->public_role = r->id + 1;
    f->what = pc_sprintf(s->c, "%s (once a public include_role ran)", f->what);
  }
  return f;
}

/* The role uses whose vars and defaults every task of the play sees:
 * roles:, import_role, then public include_roles. `entry_vars` of an
 * include_role are its task's vars (RoleInclude.vars). */
static int st_play_role_uses(St *s, const FeRoleUse ***uses, FeNode ***entry_vars) {
  int n = s->play_roles.len + s->public_roles.len;
  *uses = pc_alloc(s->c, sizeof(FeRoleUse *) * (size_t)(n + 1));
  *entry_vars = pc_alloc(s->c, sizeof(FeNode *) * (size_t)(n + 1));
  for (int i = 0; i < s->play_roles.len; i++) {
    (*uses)[i] = s->play_roles.items[i];
    (*entry_vars)[i] = (*uses)[i]->kw[FE_KW_VARS];
  }
  for (int i = 0; i < s->public_roles.len; i++) {
    const FeTask *ft = s->public_roles.items[i];
    (*uses)[s->play_roles.len + i] = ft->include->role_use;
    (*entry_vars)[s->play_roles.len + i] = fe_task_kw(ft, FE_KW_VARS);
  }
  return n;
}

/* The play's own frames: every role's defaults, play vars (import_playbook's
 * over them), vars_files, every role's vars. */
static IrScope *st_play_frames(St *s) {
  PcCtx *c = s->c;
  IrScope *f = NULL;
  const FeRoleUse **uses;
  FeNode **entry_vars;
  int nuses = st_play_role_uses(s, &uses, &entry_vars);
  for (int i = 0; i < nuses; i++) {
    const FeRoleUse *u = uses[i];
    int gate = i >= s->play_roles.len;
    PcVec deps = {0};
    st_role_deps(s, u->role, &deps);
    for (int d = 0; d < deps.len; d++)
      f = st_gated(s,
                   st_frame(s, RT_LV_ROLE_DEFAULTS_ALL,
                            pc_sprintf(c, "role %s defaults", ((FeRole *)deps.items[d])->name),
                            ((FeRole *)deps.items[d])->defaults, f),
                   f, u->role, gate);
    f = st_gated(s,
                 st_frame(s, RT_LV_ROLE_DEFAULTS_ALL, pc_sprintf(c, "role %s defaults", u->role->name),
                          u->role->defaults, f),
                 f, u->role, gate);
  }
  f = st_frame(s, RT_LV_PLAY, "play vars", s->fp->kw[FE_KW_VARS], f);
  f = st_frame(s, RT_LV_PLAY, "import_playbook vars", s->fp->import_vars, f);
  for (int i = 0; i < s->fp->nvars_files; i++)
    f = st_frame(s, RT_LV_VARS_FILES, pc_sprintf(c, "vars_files %s", s->fp->vars_files_paths[i]),
                 s->fp->vars_files[i], f);
  for (int i = 0; i < nuses; i++) {
    const FeRoleUse *u = uses[i];
    int gate = i >= s->play_roles.len;
    PcVec deps = {0};
    st_role_deps(s, u->role, &deps);
    for (int d = 0; d < deps.len; d++)
      f = st_gated(s,
                   st_frame(s, RT_LV_ROLE_VARS_ALL, pc_sprintf(c, "role %s vars", ((FeRole *)deps.items[d])->name),
                            ((FeRole *)deps.items[d])->vars, f),
                   f, u->role, gate);
    f = st_gated(s,
                 st_frame(s, RT_LV_ROLE_VARS_ALL, pc_sprintf(c, "role %s entry vars", u->role->name), entry_vars[i], f),
                 f, u->role, gate);
    f = st_gated(s, st_frame(s, RT_LV_ROLE_VARS_ALL, pc_sprintf(c, "role %s vars", u->role->name), u->role->vars, f),
                 f, u->role, gate);
  }
  return f;
}

/* ---- inheritance -------------------------------------------------------------------- */

/* `in` with object `kw` (a block, role, include or task) applied. */
static void st_inherit(St *s, StCtx *out, const StCtx *in, FeNode *const *kw) {
  /* The lists are shared with `in` until `out` adds to one: with no room
   * left (cap = len), pc_vec_push copies first, and what `in` adds later
   * lies past the items `out` sees. Most levels add nothing. */
  *out = *in;
  out->when.cap = out->when.len;
  out->tags.cap = out->tags.len;
  out->env.cap = out->env.len;
  if (!kw)
    return;
  /* Within a task lowered a task at a time (task_on), `out` and its lists
   * (and the split tags they hold) die with the task's IR. */
  pc_task_arena_enter(s->c);
  for (int k = 0; k < FE_KW_COUNT; k++) {
    if (!kw[k] || k == FE_KW_WHEN || k == FE_KW_TAGS || k == FE_KW_VARS || k == FE_KW_NAME || k == FE_KW_BLOCK ||
        k == FE_KW_RESCUE || k == FE_KW_ALWAYS)
      continue;
    out->kw[k] = kw[k];
  }
  if (kw[FE_KW_WHEN])
    pc_vec_push(s->c, &out->when, kw[FE_KW_WHEN]);
  if (kw[FE_KW_ENVIRONMENT])
    pc_vec_push(s->c, &out->env, kw[FE_KW_ENVIRONMENT]);
  FeNode *t = kw[FE_KW_TAGS];
  if (t) {
    int n = t->kind == FE_SEQ ? t->n : 1;
    for (int i = 0; i < n; i++) {
      FeNode *tag = t->kind == FE_SEQ ? t->items[i] : t;
      if (tag->kind != FE_SCALAR) {
        pc_error_at(s->c, tag->loc, "tags must be strings");
        continue;
      }
      /* a string of comma-separated tags is split, as Ansible does */
      char *copy = pc_strdup(s->c, tag->text);
      for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        while (*tok == ' ')
          tok++;
        char *e = tok + strlen(tok);
        while (e > tok && e[-1] == ' ')
          *--e = 0;
        bool dup = false;
        for (int j = 0; j < out->tags.len; j++)
          dup |= strcmp(out->tags.items[j], tok) == 0;
        if (!dup && *tok)
          pc_vec_push(s->c, &out->tags, tok);
      }
    }
  }
  pc_task_arena_leave(s->c);
}

/* st_inherit with the keywords of task `ft`. */
static void st_inherit_task(St *s, StCtx *out, const StCtx *in, const FeTask *ft) {
  FeNode *kw[FE_KW_COUNT];
  fe_task_kws(ft, kw);
  st_inherit(s, out, in, kw);
}

static const char **st_tags(St *s, const StCtx *x) {
  const char **tags = pc_alloc_ir(s->c, sizeof(char *) * (size_t)(x->tags.len + 1)); /* with its task or play */
  for (int i = 0; i < x->tags.len; i++)
    tags[i] = x->tags.items[i];
  return tags;
}

/* The conditions a task inherits plus its own, as one conditional node. */
static FeNode *st_when(St *s, const StCtx *x, FeNode *own, PcLoc loc) {
  int n = 0;
  for (int i = 0; i < x->when.len; i++) {
    FeNode *w = x->when.items[i];
    n += w->kind == FE_SEQ ? w->n : 1;
  }
  if (own)
    n += own->kind == FE_SEQ ? own->n : 1;
  if (n == 0)
    return NULL;
  /* only lowered (never memoised: not shared): with the task's IR */
  FeNode *seq = pc_alloc_ir(s->c, sizeof *seq);
  seq->kind = FE_SEQ;
  seq->loc = own ? own->loc : loc;
  seq->items = pc_alloc_ir(s->c, sizeof(FeNode *) * (size_t)n);
  for (int i = 0; i <= x->when.len; i++) {
    FeNode *w = i < x->when.len ? x->when.items[i] : own;
    if (!w)
      continue;
    int m = w->kind == FE_SEQ ? w->n : 1;
    for (int j = 0; j < m; j++)
      seq->items[seq->n++] = w->kind == FE_SEQ ? w->items[j] : w;
  }
  if (seq->n == 1)
    return seq->items[0];
  return seq;
}

/* ---- keywords of a task -------------------------------------------------------------- */

static IrExpr *st_bool_const(St *s, bool b, PcLoc loc) {
  IrExpr *e = ir_expr_new(s->c, IR_CONST, TY_BOOL, loc);
  e->b = b;
  return e;
}

/* A per-host keyword: its value (templated) as a root; booleans as conditionals. */
static IrExpr *st_kw_root(St *s, FeNode *v, bool cond) {
  if (!v)
    return NULL;
  if (cond && v->kind == FE_SCALAR && v->stype == FE_T_STR && !ir_has_template(s->l, v)) {
    /* a bare string is a conditional only for until; booleans as written */
    int b = -1;
    if (!strcasecmp(v->text, "yes") || !strcasecmp(v->text, "true") || !strcasecmp(v->text, "on") ||
        !strcmp(v->text, "1"))
      b = 1;
    else if (!strcasecmp(v->text, "no") || !strcasecmp(v->text, "false") || !strcasecmp(v->text, "off") ||
             !strcmp(v->text, "0"))
      b = 0;
    if (b >= 0)
      return ir_lower_root(s->l, st_bool_const(s, b, v->loc), v->text);
  }
  return ir_lower_root(s->l, ir_lower_value(s->l, v), v->kind == FE_SCALAR ? v->text : NULL);
}

static bool st_is_false(const FeNode *v) {
  return v->kind == FE_SCALAR && ((v->stype == FE_T_BOOL && !v->b) || v->stype == FE_T_NULL);
}

/* Whether a binary honours keyword `k` with value `v` on a task (or a play,
 * `play`): the table's answer, refined where a value means "as by default"
 * (become: false, strategy: linear, debugger: never, diff: false ...). */
static bool st_kw_runs(int k, const FeNode *v) {
  switch (k) {
  case FE_KW_STRATEGY: {
    const char *s = v->kind == FE_SCALAR ? v->text : "";
    s += strncmp(s, "ansible.builtin.", 16) ? 0 : 16;
    return !strcmp(s, "linear") || !strcmp(s, "free") || !strcmp(s, "host_pinned");
  }
  case FE_KW_DEBUGGER:
    return v->kind == FE_SCALAR && !strcmp(v->text, "never");
  default:
    return fe_keywords[k].runs;
  }
}

/* Every keyword of the task as written (and inherited), for the plan. */
static void st_keywords(St *s, IrTask *t, const StCtx *x, const FeTask *ft) {
  int n = 0;
  IrKeyword kws[FE_KW_COUNT];
  /* shown elsewhere in the plan: the task's own lines, the per-host
   * keywords, or on the play (inherited play keywords are not repeated) */
  static const int shown[] = {FE_KW_NAME, FE_KW_WHEN, FE_KW_TAGS, FE_KW_VARS, FE_KW_LOOP, FE_KW_REGISTER,
                              FE_KW_CHANGED_WHEN, FE_KW_FAILED_WHEN, FE_KW_ACTION, FE_KW_ARGS, FE_KW_UNTIL,
                              FE_KW_NOTIFY, FE_KW_LISTEN, FE_KW_BLOCK, FE_KW_RESCUE, FE_KW_ALWAYS,
                              FE_KW_IGNORE_ERRORS, FE_KW_IGNORE_UNREACHABLE, FE_KW_NO_LOG, FE_KW_RUN_ONCE,
                              FE_KW_ANY_ERRORS_FATAL, FE_KW_CHECK_MODE, FE_KW_RETRIES, FE_KW_DELAY,
                              FE_KW_LOOP_CONTROL, FE_KW_BECOME, FE_KW_BECOME_USER, FE_KW_BECOME_METHOD,
                              FE_KW_BECOME_FLAGS, FE_KW_BECOME_EXE, FE_KW_DIFF, FE_KW_ENVIRONMENT,
                              FE_KW_DELEGATE_TO, FE_KW_LOCAL_ACTION, FE_KW_THROTTLE, FE_KW_TIMEOUT,
                              FE_KW_ASYNC, FE_KW_POLL, FE_KW_CONNECTION, FE_KW_DELEGATE_FACTS};
  static bool is_shown[FE_KW_COUNT], init;
  if (!init) {
    for (size_t i = 0; i < sizeof shown / sizeof *shown; i++)
      is_shown[shown[i]] = true;
    init = true;
  }
  for (int k = 0; k < FE_KW_COUNT; k++) {
    FeNode *v = ft && fe_task_kw(ft, k) ? fe_task_kw(ft, k) : x->kw[k];
    if (!v || is_shown[k] || v == s->fp->kw[k])
      continue;
    kws[n].name = fe_keywords[k].name;
    kws[n].value = ir_lower_value(s->l, v);
    kws[n].loc = v->loc;
    kws[n].runs = st_kw_runs(k, v);
    n++;
  }
  t->kws = n ? pc_alloc(s->c, sizeof(IrKeyword) * (size_t)n) : NULL;
  if (n)
    memcpy(t->kws, kws, sizeof(IrKeyword) * (size_t)n);
  t->nkws = n;
}

/* loop_control := map: loop_var, index_var, label, pause, extended */
static void st_loop_control(St *s, IrTask *t, FeNode *lc) {
  t->loop_var = "item";
  if (!lc)
    return;
  if (lc->kind != FE_MAP) {
    pc_error_at(s->c, lc->loc, "loop_control must be a dictionary");
    return;
  }
  for (int i = 0; i < lc->n; i++) {
    const char *k = lc->keys[i]->text;
    FeNode *v = lc->vals[i];
    if (!strcmp(k, "loop_var") && v->kind == FE_SCALAR)
      t->loop_var = v->text;
    else if (!strcmp(k, "index_var") && v->kind == FE_SCALAR)
      t->index_var = v->text;
    else if (!strcmp(k, "label"))
      ir_task_set_kw(s->c, t, RT_TK_LOOP_LABEL, st_kw_root(s, v, false));
    else if (!strcmp(k, "pause"))
      ir_task_set_kw(s->c, t, RT_TK_LOOP_PAUSE, st_kw_root(s, v, false));
    else if (!strcmp(k, "extended") && v->kind == FE_SCALAR && v->stype == FE_T_BOOL)
      t->loop_extended = v->b;
    else if (!strcmp(k, "extended_allitems") && v->kind == FE_SCALAR && v->stype == FE_T_BOOL)
      ;
    else
      pc_error_at(s->c, lc->keys[i]->loc, "'%s' is not a valid attribute for a LoopControl", k);
  }
}

/* with_file over constant names: the files are read now, and the loop is
 * lookup list(CONTENTS), the same items; NULL when a name is templated or
 * its file is not there (then the loop is planned). */
static IrExpr *st_with_file(St *s, const FeTask *ft, const char *const *roots) {
  const FeNode *n = ft->with_node;
  int count = n->kind == FE_SEQ ? n->n : 1;
  IrExpr *list = ir_expr_new(s->c, IR_LIST, TY_LIST, n->loc);
  for (int i = 0; i < count; i++) {
    const FeNode *it = n->kind == FE_SEQ ? n->items[i] : n;
    if (it->kind != FE_SCALAR || it->stype != FE_T_STR || fe_jinja_is_template(it->text))
      return NULL;
    IrExpr *c = ir_lower_file_text(s->l, roots, it->text, it->loc);
    if (!c)
      return NULL;
    ir_expr_add_kid(s->c, list, c);
  }
  IrExpr *e = ir_expr_new(s->c, IR_LOOKUP, TY_LIST, n->loc);
  e->name = "list";
  ir_expr_add_kid(s->c, e, list);
  return e;
}

/* The loop of a with_<lookup>: the lookup called on the terms. */
static IrExpr *st_with_loop(St *s, const FeTask *ft, const char *const *roots) {
  static const char *const known[] = {
#define X(name, fn) name,
#include "../runtime/lookups.def"
#undef X
      NULL};
  const char *name = ft->with;
  if (strncmp(name, "ansible.builtin.", 16) == 0)
    name += 16;
  else if (strncmp(name, "ansible.legacy.", 15) == 0)
    name += 15;
  bool ok = false;
  for (int i = 0; known[i]; i++)
    ok |= strcmp(known[i], name) == 0;
  IrExpr *file = !strcmp(name, "file") && ft->with_node ? st_with_file(s, ft, roots) : NULL;
  if (file)
    return file;
  const char *unsupported = NULL;
  if (!ok && (fe_ansible_lookup(name) || strchr(name, '.'))) /* Ansible's or a collection's: planned */
    unsupported = pc_sprintf(s->c, "lookup '%s'", ft->with);
  else if (!ok) {
    pc_error_at(s->c, ft->loop_loc, "lookup plugin (%s) not found", ft->with);
    return NULL;
  }
  IrExpr *e = ir_expr_new(s->c, IR_LOOKUP, TY_LIST, ft->with_node->loc);
  e->name = name;
  IR_X_SET(s->c, e, unsupported, unsupported);
  ir_expr_add_kid(s->c, e, ir_lower_value(s->l, ft->with_node));
  return e;
}

static FeNode *st_list_node(St *s, FeNode *v) {
  if (!v || v->kind == FE_SEQ)
    return v;
  FeNode *seq = pc_alloc(s->c, sizeof *seq);
  seq->kind = FE_SEQ;
  seq->loc = v->loc;
  seq->items = pc_alloc(s->c, sizeof(FeNode *));
  seq->items[0] = v;
  seq->n = 1;
  return seq;
}

/* Where a task's controller files (copy src, templates) are looked for, as
 * Task.get_search_path and DataLoader.path_dwim_relative_stack order them:
 * the role chain's paths, the folder of the task's file (unless already
 * there), then the playbook's folder. Consecutive tasks share the array. */
static const char *const *st_task_roots(St *s, const StCtx *x, PcLoc loc) {
  if (s->last_roots && s->last_chain == x->roots && s->last_file == loc.file)
    return s->last_roots;
  const char *dir = loc.file ? fe_dirname(s->c, loc.file) : s->l->pb->dir;
  int n = 0;
  while (x->roots && x->roots[n])
    n++;
  const char **r = pc_alloc(s->c, sizeof(char *) * (size_t)(n + 3));
  bool seen = false;
  for (int i = 0; i < n; i++) {
    r[i] = x->roots[i];
    seen |= strcmp(r[i], dir) == 0;
  }
  if (!seen)
    r[n++] = dir;
  r[n++] = s->l->pb->dir;
  s->last_chain = x->roots;
  s->last_file = loc.file;
  s->last_roots = r;
  return r;
}

static IrTask *st_task_new(St *s, const FeTask *ft, const StCtx *x, PcLoc loc) {
  IrTask *t = pc_alloc_ir(s->c, sizeof *t);
  t->id = s->l->tasks.len;
  pc_vec_push(s->c, &s->l->tasks, t);
  t->loc = loc;
  t->module = -1;
  t->name = ft && ft->name ? ft->name : "";
  t->handler = x->handler;
  t->role = x->role;
  t->role_name = x->role_name;
  t->scope = x->scope;
  t->roots = st_task_roots(s, x, loc);
  t->tags = st_tags(s, x);
  t->loop_var = "item";
  if (ft) {
    t->has_source = true; /* codegen computes the error context; plans never need it */
    if (ft->name && ir_has_template(s->l, fe_task_kw(ft, FE_KW_NAME)))
      ir_task_set_kw(s->c, t, RT_TK_NAME, st_kw_root(s, fe_task_kw(ft, FE_KW_NAME), false));
  }
  return t;
}

/* become and its settings (nearest value): per-host expressions, which the
 * ansible_become* variables override at run time (runtime/become.c). */
static void st_become(St *s, IrExpr **out, FeNode *const *kw) {
  static const struct {
    int kw, tk;
  } b[] = {{FE_KW_BECOME_USER, RT_TK_BECOME_USER},
           {FE_KW_BECOME_METHOD, RT_TK_BECOME_METHOD},
           {FE_KW_BECOME_FLAGS, RT_TK_BECOME_FLAGS},
           {FE_KW_BECOME_EXE, RT_TK_BECOME_EXE}};
  if (kw[FE_KW_BECOME])
    out[RT_TK_BECOME] = st_kw_root(s, kw[FE_KW_BECOME], true);
  for (size_t i = 0; i < sizeof b / sizeof *b; i++)
    if (kw[b[i].kw])
      out[b[i].tk] = st_kw_root(s, kw[b[i].kw], false);
}

/* remote_user, port and connection: the nearest value, which the runtime
 * weighs against the connection variables when it opens the host's
 * connection. */
static void st_conn_kw(St *s, IrExpr **out, FeNode *const *kw) {
  if (kw[FE_KW_REMOTE_USER])
    out[RT_TK_REMOTE_USER] = st_kw_root(s, kw[FE_KW_REMOTE_USER], false);
  if (kw[FE_KW_PORT])
    out[RT_TK_PORT] = st_kw_root(s, kw[FE_KW_PORT], false);
  /* the play's connection as written is the play's (RtPlayDef.connection) */
  FeNode *c = kw[FE_KW_CONNECTION];
  if (c && !(c == s->fp->kw[FE_KW_CONNECTION] && c->kind == FE_SCALAR && !ir_has_template(s->l, c)))
    out[RT_TK_CONNECTION] = st_kw_root(s, c, false);
}

/* environment (Base.environment: a list extended by every level, the
 * parents' values first): one list root holding, first, the repr of the
 * levels as written (for Ansible's warning about a level that is not a
 * dict), then each level's value (a dict, or a template giving one; a level
 * that is a list gives its items), which the runtime merges in order
 * (runtime/env.c). NULL when no level sets it. */
static IrExpr *st_environment(St *s, const PcVec *env) {
  int n = 0;
  for (int i = 0; i < env->len; i++) {
    FeNode *v = env->items[i];
    n += v->kind == FE_SEQ ? v->n : 1;
  }
  if (n == 0)
    return NULL;
  FeNode *first = env->items[0];
  FeNode *seq = pc_alloc(s->c, sizeof *seq);
  seq->kind = FE_SEQ;
  seq->loc = first->loc;
  seq->items = pc_alloc(s->c, sizeof(FeNode *) * (size_t)n);
  for (int i = 0; i < env->len; i++) {
    FeNode *v = env->items[i];
    for (int j = 0; j < (v->kind == FE_SEQ ? v->n : 1); j++)
      seq->items[seq->n++] = v->kind == FE_SEQ ? v->items[j] : v;
  }
  IrExpr *list = ir_expr_new(s->c, IR_LIST, TY_LIST, first->loc);
  IrExpr *repr = ir_expr_new(s->c, IR_CONST, TY_STR, first->loc); /* never templated */
  repr->s = ir_py_repr(s->l, seq);
  repr->slen = strlen(repr->s);
  ir_expr_add_kid(s->c, list, repr);
  for (int i = 0; i < seq->n; i++)
    ir_expr_add_kid(s->c, list, ir_lower_value(s->l, seq->items[i]));
  return ir_lower_root(s->l, list, NULL);
}

/* Setup's arguments from the play's gather_subset, gather_timeout and
 * fact_path: a dict of those given, or NULL. */
static IrExpr *st_gather_args(St *s, FePlay *fp) {
  static const struct {
    int kw;
    const char *arg;
  } a[] = {{FE_KW_GATHER_SUBSET, "gather_subset"}, {FE_KW_GATHER_TIMEOUT, "gather_timeout"},
           {FE_KW_FACT_PATH, "fact_path"}};
  FeNode *m = pc_alloc(s->c, sizeof *m);
  m->kind = FE_MAP;
  m->loc = fp->loc;
  m->keys = pc_alloc(s->c, sizeof(FeNode *) * 3);
  m->vals = pc_alloc(s->c, sizeof(FeNode *) * 3);
  for (size_t i = 0; i < sizeof a / sizeof *a; i++) {
    FeNode *v = fp->kw[a[i].kw];
    if (!v)
      continue;
    FeNode *k = pc_alloc(s->c, sizeof *k);
    k->kind = FE_SCALAR;
    k->stype = FE_T_STR;
    k->text = a[i].arg;
    k->len = strlen(a[i].arg);
    k->loc = v->loc;
    m->keys[m->n] = k;
    m->vals[m->n++] = v;
  }
  return m->n ? ir_lower_root(s->l, ir_lower_value(s->l, m), NULL) : NULL;
}

/* Whether scalar `v` is a serial item pct_to_int accepts: an integer, or
 * an integer string with or without a trailing "%". */
static bool st_serial_item_ok(const FeNode *v) {
  if (v->kind != FE_SCALAR)
    return false;
  if (v->stype == FE_T_INT || v->stype == FE_T_FLOAT)
    return true;
  if (v->stype != FE_T_STR)
    return false;
  const char *p = v->text;
  p += *p == '-' || *p == '+';
  if (!isdigit((unsigned char)*p))
    return false;
  while (isdigit((unsigned char)*p))
    p++;
  p += *p == '%';
  return *p == 0;
}

/* serial := int | "N%" | [int | "N%", ...] (templated): the expression the
 * runtime cuts the play's hosts into batches with; constant items are
 * checked here, templated ones when the play starts. */
static IrExpr *st_serial(St *s, FeNode *v) {
  if (!v || (v->kind == FE_SCALAR && v->stype == FE_T_NULL))
    return NULL;
  FeNode *l = st_list_node(s, v);
  for (int i = 0; i < l->n; i++)
    if (!ir_has_template(s->l, l->items[i]) && !st_serial_item_ok(l->items[i]))
      pc_error_at(s->c, l->items[i]->loc,
                  "serial must be an integer, a percentage (\"30%%\") or a list of them");
  return ir_lower_root(s->l, ir_lower_value(s->l, v), v->kind == FE_SCALAR ? v->text : NULL);
}

/* strategy: linear, free and host_pinned run; debug (interactive) never
 * will, in a compiled playbook; another name is refused by the build check. */
static void st_strategy(St *s, IrPlay *ip, FeNode *v) {
  if (!v || v->kind != FE_SCALAR)
    return;
  ip->strategy = v->text;
  if (!strcmp(v->text, "debug") || !strcmp(v->text, "ansible.builtin.debug"))
    pc_error_at(s->c, v->loc,
                "the debug strategy is an interactive debugger: a compiled playbook cannot run it "
                "(use strategy: linear, or ansible-playbook for debugging)");
}

/* The per-host keywords shared by every kind of task. */
static void st_common(St *s, IrTask *t, const StCtx *x, const FeTask *ft) {
  FeNode *const *kw = x->kw;
  FeNode *w = st_when(s, x, ft ? fe_task_kw(ft, FE_KW_WHEN) : NULL, t->loc);
  if (w)
    t->when = ir_lower_root(s->l, ir_lower_cond(s->l, w), ir_lower_src(s->l, w));
  static const struct {
    int kw, tk;
  } flags[] = {{FE_KW_IGNORE_ERRORS, RT_TK_IGNORE_ERRORS},
               {FE_KW_IGNORE_UNREACHABLE, RT_TK_IGNORE_UNREACHABLE},
               {FE_KW_NO_LOG, RT_TK_NO_LOG},
               {FE_KW_RUN_ONCE, RT_TK_RUN_ONCE},
               {FE_KW_ANY_ERRORS_FATAL, RT_TK_ANY_ERRORS_FATAL},
               {FE_KW_CHECK_MODE, RT_TK_CHECK_MODE},
               {FE_KW_DIFF, RT_TK_DIFF}};
  for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
    if (kw[flags[i].kw])
      ir_task_set_kw(s->c, t, flags[i].tk, st_kw_root(s, kw[flags[i].kw], true));
  IrExpr *tk[RT_TK_COUNT] = {0};
  st_become(s, tk, kw);
  st_conn_kw(s, tk, kw);
  for (int k = 0; k < RT_TK_COUNT; k++)
    if (tk[k])
      ir_task_set_kw(s->c, t, k, tk[k]);
  ir_task_set_kw(s->c, t, RT_TK_ENVIRONMENT, st_environment(s, &x->env));
  if (kw[FE_KW_DELEGATE_TO])
    ir_task_set_kw(s->c, t, RT_TK_DELEGATE_TO, st_kw_root(s, kw[FE_KW_DELEGATE_TO], false));
  if (kw[FE_KW_DELEGATE_FACTS])
    ir_task_set_kw(s->c, t, RT_TK_DELEGATE_FACTS, st_kw_root(s, kw[FE_KW_DELEGATE_FACTS], true));
  if (kw[FE_KW_THROTTLE])
    ir_task_set_kw(s->c, t, RT_TK_THROTTLE, st_kw_root(s, kw[FE_KW_THROTTLE], false));
  if (kw[FE_KW_TIMEOUT])
    ir_task_set_kw(s->c, t, RT_TK_TIMEOUT, st_kw_root(s, kw[FE_KW_TIMEOUT], false));
  st_keywords(s, t, x, NULL);
}

/* Resolves the constant names of `notify` once the play's handlers are known. */
static void st_notify(St *s, IrTask *t, FeNode *v) {
  if (!v || (v->kind == FE_SCALAR && v->stype == FE_T_NULL))
    return;
  FeNode *l = st_list_node(s, v);
  bool templated = false;
  for (int i = 0; i < l->n; i++)
    templated |= ir_has_template(s->l, l->items[i]);
  if (templated) { /* names known at run time only */
    ir_task_set_kw(s->c, t, RT_TK_NOTIFY, ir_lower_root(s->l, ir_lower_value(s->l, l), NULL));
    return;
  }
  StNotify *n = pc_alloc(s->c, sizeof *n);
  n->task = t;
  n->names = l;
  n->horizon = s->include_role_depth ? -1 : s->include_handlers.len;
  pc_vec_push(s->c, &s->notifies, n);
}

/* ---- tasks -------------------------------------------------------------------------- */

static IrList st_list(St *s, const FeList *fl, const StCtx *x);
static IrItem st_item(St *s, const FeTask *ft, const StCtx *x);

static const char *st_meta_actions[] = {"flush_handlers", "noop", "refresh_inventory", "clear_facts",
                                        "clear_host_errors", "end_play", "end_host", "end_batch",
                                        "reset_connection", "role_complete", NULL};

/* meta := meta: ACTION (free-form) */
static void st_meta(St *s, IrTask *t, const FeTask *ft) {
  t->kind = IR_TASK_META;
  const FeNode *a = ft->args;
  if (a && a->kind == FE_MAP)
    a = fe_map_get(a, "_raw_params");
  if (!a || a->kind != FE_SCALAR) {
    pc_error_at(s->c, ft->action_loc, "meta needs an action (flush_handlers, noop, end_play, ...)");
    t->action = "noop";
    return;
  }
  bool ok = false;
  for (int i = 0; st_meta_actions[i]; i++)
    ok |= strcmp(st_meta_actions[i], a->text) == 0;
  if (!ok)
    pc_error_at(s->c, a->loc, "invalid meta action requested: %s", a->text);
  if (ok && !strcmp(a->text, "flush_handlers") && ft->handler)
    pc_error_at(s->c, a->loc, "flush_handlers cannot be used as a handler");
  t->action = a->text;
}

/* module_defaults that apply to module `action`: merged maps (later wins). */
static const FeNode *st_module_defaults(St *s, const StCtx *x, const char *action) {
  FeNode *md = x->kw[FE_KW_MODULE_DEFAULTS];
  if (!md)
    return NULL;
  FeNode *l = st_list_node(s, md);
  const FeNode *out = NULL;
  for (int i = 0; i < l->n; i++) {
    FeNode *m = l->items[i];
    if (m->kind != FE_MAP) {
      pc_error_at(s->c, m->loc, "module_defaults must be a dictionary or a list of dictionaries");
      continue;
    }
    for (int j = 0; j < m->n; j++) {
      const char *k = m->keys[j]->text;
      const char *bare = strncmp(k, "ansible.builtin.", 16) == 0 ? k + 16
                         : strncmp(k, "ansible.legacy.", 15) == 0 ? k + 15
                                                                  : k;
      if (k[0] == 'g' && strncmp(k, "group/", 6) == 0)
        continue; /* action groups: none of playc's modules belongs to one */
      if (strcmp(bare, action) == 0 && m->vals[j]->kind == FE_MAP)
        out = out ? ir_merge_args(s->l, out, m->vals[j]) : m->vals[j];
    }
  }
  return out;
}

/* async / poll: a background job on the target, for the modules that run
 * one command script (command, shell); the modules whose Ansible action
 * refuses async (copy, debug, ...) take it and fail at run time as
 * Ansible's do; with any other module the plan shows it and -o refuses it
 * where the keyword is written ("'async' of module apt is not supported by
 * playc yet"). */
static void st_async(St *s, IrTask *t, const FeTask *ft) {
  FeNode *a = fe_task_kw(ft, FE_KW_ASYNC);
  if (a && !st_is_false(a) && !(a->kind == FE_SCALAR && !strcmp(a->text, "0")) && t->action &&
      strcmp(t->action, "command") && strcmp(t->action, "shell") && !mod_async_refused(t->action)) {
    IrKeyword *k = pc_alloc(s->c, sizeof *k);
    k->name = "'async'";
    k->value = ir_lower_value(s->l, a);
    k->loc = a->loc;
    IrKeyword **u = pc_alloc(s->c, sizeof *u * (size_t)(t->nunsup + 1));
    if (t->nunsup)
      memcpy(u, t->unsup, sizeof *u * (size_t)t->nunsup);
    u[t->nunsup++] = k;
    t->unsup = u;
    return;
  }
  if (a)
    ir_task_set_kw(s->c, t, RT_TK_ASYNC, st_kw_root(s, a, false));
  if (fe_task_kw(ft, FE_KW_POLL))
    ir_task_set_kw(s->c, t, RT_TK_POLL, st_kw_root(s, fe_task_kw(ft, FE_KW_POLL), false));
}

static void st_module_task(St *s, IrTask *t, const FeTask *ft, const StCtx *x) {
  const char *short_action = ft->action;
  if (!strncmp(short_action, "ansible.builtin.", 16))
    short_action += 16;
  else if (!strncmp(short_action, "ansible.legacy.", 15))
    short_action += 15;
  if (!strcmp(short_action, "meta")) {
    st_meta(s, t, ft);
    if (!ft->name)
      t->name = ft->action;
    return;
  }
  t->kind = IR_TASK_MODULE;
  const FeNode *extra = fe_task_kw(ft, FE_KW_ARGS);
  if (extra && extra->kind != FE_MAP) {
    pc_error_at(s->c, extra->loc, "args must be a dictionary");
    extra = NULL;
  }
  const FeNode *md = st_module_defaults(s, x, short_action);
  if (md)
    extra = extra ? ir_merge_args(s->l, md, extra) : md;
  s->l->roots = t->roots;
  ir_lower_module(s->l, t, ft, extra);
  if (ft->include && ft->include->vars) { /* include_vars: every file it can name, as frames */
    const FeInclude *fi = ft->include;
    IrInclude *inc = pc_alloc(s->c, sizeof *inc);
    inc->n = fi->n;
    inc->names = fi->names;
    inc->dirs = fi->dirs;
    inc->ndirs = fi->ndirs;
    inc->frames = pc_alloc(s->c, sizeof(IrScope *) * (size_t)(fi->n + 1));
    for (int i = 0; i < fi->n; i++)
      inc->frames[i] = st_frame(s, RT_LV_INCLUDE_VARS, pc_sprintf(s->c, "include_vars %s", fi->names[i]),
                                fi->vars[i], NULL);
    t->include = inc;
  }
  if (!ft->name)
    t->name = ft->action;
  if (fe_task_kw(ft, FE_KW_LOOP))
    t->loop = ir_lower_root(s->l, ir_lower_value(s->l, fe_task_kw(ft, FE_KW_LOOP)),
                            fe_task_kw(ft, FE_KW_LOOP)->kind == FE_SCALAR ? fe_task_kw(ft, FE_KW_LOOP)->text : NULL);
  else if (ft->with) {
    IrExpr *e = st_with_loop(s, ft, t->roots);
    if (e)
      t->loop = ir_lower_root(s->l, e, NULL);
    t->with = ft->with;
  }
  if (fe_task_kw(ft, FE_KW_CHANGED_WHEN))
    t->changed_when = ir_lower_root(s->l, ir_lower_cond(s->l, fe_task_kw(ft, FE_KW_CHANGED_WHEN)),
                                    ir_lower_src(s->l, fe_task_kw(ft, FE_KW_CHANGED_WHEN)));
  if (fe_task_kw(ft, FE_KW_FAILED_WHEN))
    t->failed_when = ir_lower_root(s->l, ir_lower_cond(s->l, fe_task_kw(ft, FE_KW_FAILED_WHEN)),
                                   ir_lower_src(s->l, fe_task_kw(ft, FE_KW_FAILED_WHEN)));
  if (fe_task_kw(ft, FE_KW_UNTIL)) {
    t->until = ir_lower_root(s->l, ir_lower_cond(s->l, fe_task_kw(ft, FE_KW_UNTIL)), ir_lower_src(s->l, fe_task_kw(ft, FE_KW_UNTIL)));
    ir_task_set_kw(s->c, t, RT_TK_RETRIES, st_kw_root(s, fe_task_kw(ft, FE_KW_RETRIES), false));
    ir_task_set_kw(s->c, t, RT_TK_DELAY, st_kw_root(s, fe_task_kw(ft, FE_KW_DELAY), false));
  } else if (fe_task_kw(ft, FE_KW_RETRIES) || fe_task_kw(ft, FE_KW_DELAY)) {
    ir_task_set_kw(s->c, t, RT_TK_RETRIES, st_kw_root(s, fe_task_kw(ft, FE_KW_RETRIES), false));
    ir_task_set_kw(s->c, t, RT_TK_DELAY, st_kw_root(s, fe_task_kw(ft, FE_KW_DELAY), false));
  }
  if (fe_task_kw(ft, FE_KW_REGISTER)) {
    FeNode *r = fe_task_kw(ft, FE_KW_REGISTER);
    if (r->kind != FE_SCALAR || ir_has_template(s->l, r))
      pc_error_at(s->c, r->loc, "register must be a variable name");
    else
      t->register_var = r->text;
  }
  st_loop_control(s, t, fe_task_kw(ft, FE_KW_LOOP_CONTROL));
  st_notify(s, t, x->kw[FE_KW_NOTIFY]);
  st_async(s, t, ft);
}

/* A task in context `x` (its own keywords already applied to `x`). */
static IrTask *st_task(St *s, const FeTask *ft, const StCtx *x) {
  IrTask *t = st_task_new(s, ft, x, ft->loc);
  StCtx tx;
  st_inherit(s, &tx, x, NULL);
  tx.scope = st_frame(s, RT_LV_TASK, "task vars", fe_task_kw(ft, FE_KW_VARS), x->scope);
  t->scope = tx.scope;
  if (ft->kind == FE_TASK_MODULE && ft->action)
    st_module_task(s, t, ft, &tx);
  else if (!ft->action)
    t->action = "";
  st_common(s, t, &tx, ft);
  if (ft->handler && fe_task_kw(ft, FE_KW_LISTEN)) {
    FeNode *l = st_list_node(s, fe_task_kw(ft, FE_KW_LISTEN));
    t->listen = pc_alloc(s->c, sizeof(char *) * (size_t)(l->n + 1));
    for (int i = 0, n = 0; i < l->n; i++)
      if (l->items[i]->kind == FE_SCALAR)
        t->listen[n++] = l->items[i]->text;
  }
  return t;
}

/* ---- roles ---------------------------------------------------------------------------- */

/* The handler tasks of a handlers list (implicit blocks, imported files). */
static void st_handler_tasks(St *s, IrList l, PcVec *out) {
  for (int i = 0; i < l.n; i++) {
    if (l.items[i].task)
      pc_vec_push(s->c, out, l.items[i].task);
    else if (l.items[i].block)
      st_handler_tasks(s, l.items[i].block->regions[IR_BLOCK], out);
  }
}

/* A role's handlers for the play's list: its dependencies' first
 * (Role.get_handler_blocks), each instance once. */
static void st_role_handlers(St *s, const FeRole *r, bool *added) {
  if (added[r->id])
    return;
  added[r->id] = true;
  for (int i = 0; i < r->ndeps; i++)
    st_role_handlers(s, r->deps[i]->role, added);
  PcVec *hv = &s->role_handlers[r->id];
  for (int i = 0; i < hv->len; i++)
    if (hv->items[i])
      pc_vec_push(s->c, &s->handlers, hv->items[i]);
}

static void st_block_into(St *s, PcVec *out, IrBlock *b) {
  IrItem *it = pc_alloc(s->c, sizeof *it);
  it->block = b;
  pc_vec_push(s->c, out, it);
}

static IrBlock *st_block_new(St *s, PcLoc loc, const char *from) {
  IrBlock *b = pc_alloc(s->c, sizeof *b);
  b->id = s->l->blocks.len;
  b->loc = loc;
  b->from = from;
  pc_vec_push(s->c, &s->l->blocks, b);
  return b;
}

/* An implicit block of one implicit meta task (flush_handlers, role_complete). */
static IrBlock *st_meta_block(St *s, const char *action, const StCtx *x, PcLoc loc) {
  IrBlock *b = st_block_new(s, loc, NULL);
  b->implicit = true;
  IrTask *t = st_task_new(s, NULL, x, loc);
  t->kind = IR_TASK_META;
  t->implicit = true;
  t->action = action;
  t->name = "meta";
  b->regions[IR_BLOCK].items = pc_alloc(s->c, sizeof(IrItem));
  b->regions[IR_BLOCK].items[0].task = t;
  b->regions[IR_BLOCK].n = 1;
  return b;
}

/* The role paths of a dependency chain, the role's own first (Ansible's
 * get_search_path: the dep chain reversed). */
static const char *const *st_roots(St *s, const char *role_path, FeRoleUse **chain, int nchain) {
  const char **r = pc_alloc(s->c, sizeof(char *) * (size_t)(nchain + 2));
  int n = 0;
  if (role_path)
    r[n++] = role_path;
  for (int i = nchain - 1; i >= 0; i--)
    r[n++] = chain[i]->role->path;
  return r;
}

/* A role use compiled (Role.compile): its dependencies' blocks, its task
 * blocks, then the implicit role_complete block; appended to `out`. `chain`
 * is the dependency chain (root first) the use is reached by. */
static void st_role(St *s, FeRoleUse *u, FeRoleUse **chain, int nchain, const StCtx *parent, PcVec *out,
                    PcVec *handlers) {
  PcCtx *c = s->c;
  if (nchain >= FE_MAX_NESTING)
    return;
  FeRole *r = u->role;
  FeRoleUse **sub = pc_alloc(c, sizeof(FeRoleUse *) * (size_t)(nchain + 1));
  if (nchain)
    memcpy(sub, chain, sizeof(FeRoleUse *) * (size_t)nchain);
  sub[nchain] = u;
  for (int i = 0; i < r->ndeps; i++)
    st_role(s, r->deps[i], sub, nchain + 1, parent, out, handlers);
  StCtx x;
  st_inherit(s, &x, parent, u->kw);
  x.role = pc_alloc(c, sizeof *x.role);
  IrRole **slot = NULL;
  for (int i = 0; i < s->l->p->nroles; i++)
    if (s->l->p->roles[i]->id == r->id)
      slot = &s->l->p->roles[i];
  if (slot) {
    x.role = *slot;
  } else {
    x.role->id = r->id;
    x.role->name = r->name;
    x.role->path = r->path;
    x.role->allow_duplicates = r->allow_duplicates;
    PcVec deps = {0};
    st_role_deps(s, r, &deps);
    x.role->dep_names = pc_alloc(c, sizeof(char *) * (size_t)(deps.len + 1));
    for (int i = 0; i < deps.len; i++)
      x.role->dep_names[i] = ((FeRole *)deps.items[i])->name;
    IrProgram *p = s->l->p;
    p->roles = realloc(p->roles, sizeof(IrRole *) * (size_t)(p->nroles + 1));
    PC_ASSERT(p->roles);
    p->roles[p->nroles++] = x.role;
  }
  x.role_name = r->name;
  x.roots = st_roots(s, r->path, chain, nchain);
  x.scope = st_role_frames(s, u, chain, nchain, parent->scope);
  const char *from = pc_sprintf(c, "role %s", r->name);
  IrList tl = st_list(s, &r->tasks, &x);
  for (int i = 0; i < tl.n; i++) {
    if (tl.items[i].block && !tl.items[i].block->from)
      tl.items[i].block->from = from;
    pc_vec_push(c, out, &tl.items[i]);
  }
  StCtx eor = x;
  eor.when = (PcVec){0};
  eor.tags = (PcVec){0};
  pc_vec_push(c, &eor.tags, "always");
  IrBlock *b = st_meta_block(s, "role_complete", &eor, u->loc);
  b->from = from;
  st_block_into(s, out, b);
  if (handlers && !s->role_handlers[r->id].items) { /* once per instance, as Ansible caches them */
    StCtx hx = x;
    hx.handler = true;
    IrList hl = st_list(s, &r->handlers, &hx);
    PcVec *hv = &s->role_handlers[r->id];
    pc_vec_push(c, hv, NULL); /* marks "compiled" even when empty */
    st_handler_tasks(s, hl, hv);
  }
}

/* ---- includes ---------------------------------------------------------------------------- */

/* An include task in context `x` (its own keywords applied), `parent` the
 * context around it. */
static IrTask *st_include(St *s, const FeTask *ft, const StCtx *x, const StCtx *parent) {
  PcCtx *c = s->c;
  IrTask *t = st_task_new(s, ft, x, ft->loc);
  StCtx tx;
  st_inherit(s, &tx, x, NULL);
  tx.scope = st_frame(s, RT_LV_TASK, "task vars", fe_task_kw(ft, FE_KW_VARS), x->scope);
  t->scope = tx.scope;
  t->action = ft->action;
  if (!ft->name)
    t->name = ft->action;
  st_common(s, t, &tx, ft);
  if (fe_task_kw(ft, FE_KW_LOOP))
    t->loop = ir_lower_root(s->l, ir_lower_value(s->l, fe_task_kw(ft, FE_KW_LOOP)),
                            fe_task_kw(ft, FE_KW_LOOP)->kind == FE_SCALAR ? fe_task_kw(ft, FE_KW_LOOP)->text : NULL);
  else if (ft->with) {
    IrExpr *e = st_with_loop(s, ft, t->roots);
    if (e)
      t->loop = ir_lower_root(s->l, e, NULL);
    t->with = ft->with;
  }
  st_loop_control(s, t, fe_task_kw(ft, FE_KW_LOOP_CONTROL));
  FeInclude *fi = ft->include;
  IrInclude *inc = pc_alloc(c, sizeof *inc);
  t->include = inc;
  /* The included tasks inherit nothing from the include task itself (its
   * keywords, tags and condition are the include's: Block._get_parent_attribute
   * skips a parent that is not statically loaded), only from around it and
   * from apply; they see its vars as include params. */
  StCtx ix;
  st_inherit(s, &ix, parent, NULL);
  ix.scope = st_frame(s, RT_LV_INCLUDE_PARAMS, "include params", fe_task_kw(ft, FE_KW_VARS), tx.scope);
  inc->params = ix.scope != tx.scope ? ix.scope : NULL;
  const FeNode *apply = ft->args && ft->args->kind == FE_MAP ? fe_map_get(ft->args, "apply") : NULL;
  if (apply && apply->kind == FE_MAP) {
    FeNode *akw[FE_KW_COUNT] = {0};
    for (int i = 0; i < apply->n; i++) {
      int id = fe_keyword_find(apply->keys[i]->text);
      if (id >= 0 && (fe_keywords[id].where & FE_B))
        akw[id] = apply->vals[i];
      else
        pc_error_at(c, apply->keys[i]->loc, "'%s' is not a valid attribute for a Block", apply->keys[i]->text);
    }
    StCtx ax;
    st_inherit(s, &ax, &ix, akw);
    ax.scope = st_frame(s, RT_LV_TASK, "apply vars", akw[FE_KW_VARS], ix.scope);
    ix = ax;
  }
  t->args_text = ir_args_text(s->l, ft->args, ft->kind == FE_TASK_INCLUDE_TASKS ? "file" : NULL);
  if (ft->kind == FE_TASK_INCLUDE_TASKS) {
    t->kind = IR_TASK_INCLUDE_TASKS;
    if (!fi)
      return t;
    t->unsupported = fi->unbounded;
    inc->file = ir_lower_root(s->l, ir_lower_value(s->l, fi->file), fi->file->text);
    inc->n = fi->n;
    inc->names = fi->names;
    inc->lists = pc_alloc(c, sizeof(IrList) * (size_t)(fi->n + 1));
    for (int i = 0; i < fi->n; i++)
      inc->lists[i] = st_list(s, &fi->lists[i], &ix);
    inc->dirs = fi->dirs;
    inc->ndirs = fi->ndirs;
    return t;
  }
  /* include_role: the role compiled for this place */
  t->kind = IR_TASK_INCLUDE_ROLE;
  FeRoleUse *u = fi ? fi->role_use : NULL;
  t->unsupported = fi ? fi->unbounded : NULL;
  if (!u)
    return t;
  if (!ft->name) /* IncludeRole.get_name */
    t->name = pc_sprintf(c, "%s : %s", ft->action, u->role->name);
  PcVec blocks = {0}, handlers = {0};
  int first_notify = s->notifies.len;
  s->include_role_depth++;
  st_role(s, u, NULL, 0, &ix, &blocks, &handlers);
  s->include_role_depth--;
  inc->n = 1;
  inc->names = pc_alloc(c, sizeof(char *));
  inc->names[0] = u->role->path;
  inc->lists = pc_alloc(c, sizeof(IrList));
  inc->lists[0].n = blocks.len;
  inc->lists[0].items = pc_alloc(c, sizeof(IrItem) * (size_t)(blocks.len + 1));
  for (int i = 0; i < blocks.len; i++)
    inc->lists[0].items[i] = *(IrItem *)blocks.items[i];
  for (int i = 0; i < s->l->p->nroles; i++)
    if (s->l->p->roles[i]->id == u->role->id)
      inc->role = s->l->p->roles[i];
  /* IncludeRole.get_block_list sets the role's allow_duplicates from the
   * include's (default true); include_role instances are never shared with
   * roles: or import_role ones (from_include is part of the cache key) */
  const FeNode *ad = ft->args && ft->args->kind == FE_MAP ? fe_map_get(ft->args, "allow_duplicates") : NULL;
  if (inc->role)
    inc->role->allow_duplicates = !ad || !st_is_false(ad);
  inc->is_public = u->is_public;
  /* include_role's handlers join the play's (role_handlers holds a NULL
   * "compiled" marker: only the tasks are copied) */
  PcVec *hv = &s->role_handlers[u->role->id];
  inc->handlers = pc_alloc(c, sizeof(IrTask *) * (size_t)(hv->len + 1));
  for (int i = 0; i < hv->len; i++)
    if (hv->items[i]) {
      inc->handlers[inc->nhandlers++] = hv->items[i];
      pc_vec_push(c, &s->include_handlers, hv->items[i]);
    }
  /* the role's tasks notify once its handlers are loaded (Ansible appends
   * them to play.handlers when the include runs) */
  for (int i = first_notify; i < s->notifies.len; i++)
    if (((StNotify *)s->notifies.items[i])->horizon < 0)
      ((StNotify *)s->notifies.items[i])->horizon = s->include_handlers.len;
  return t;
}

/* ---- blocks and lists ------------------------------------------------------------------ */

/* A block before its regions are lowered; `bx` gets what its tasks inherit. */
static IrBlock *st_block_open(St *s, const FeTask *ft, const StCtx *x, StCtx *bx) {
  IrBlock *b = st_block_new(s, ft->loc, NULL);
  b->name = ft->name;
  b->implicit = ft->implicit;
  if (ft->implicit)
    st_inherit(s, bx, x, NULL);
  else
    st_inherit_task(s, bx, x, ft);
  bx->scope = st_frame(s, RT_LV_TASK, "block vars", fe_task_kw(ft, FE_KW_VARS), x->scope);
  return b;
}

static IrBlock *st_block(St *s, const FeTask *ft, const StCtx *x) {
  StCtx bx;
  IrBlock *b = st_block_open(s, ft, x, &bx);
  const FeList *regions[3] = {&ft->block, &ft->rescue, &ft->always};
  for (int r = 0; r < 3; r++)
    b->regions[r] = st_list(s, regions[r], &bx);
  return b;
}

/* A static import: its blocks in place, its keywords inherited. */
static void st_import(St *s, const FeTask *ft, const StCtx *x, PcVec *out) {
  StCtx ix;
  st_inherit_task(s, &ix, x, ft);
  ix.scope = st_frame(s, RT_LV_TASK, "import vars", fe_task_kw(ft, FE_KW_VARS), x->scope);
  if (ft->role_use) { /* import_role */
    PcVec blocks = {0};
    st_role(s, ft->role_use, NULL, 0, &ix, &blocks, &s->handlers);
    for (int i = 0; i < blocks.len; i++)
      pc_vec_push(s->c, out, blocks.items[i]);
    return;
  }
  IrList l = st_list(s, &ft->block, &ix);
  for (int i = 0; i < l.n; i++) {
    if (l.items[i].block && !l.items[i].block->from)
      l.items[i].block->from = "import_tasks";
    pc_vec_push(s->c, out, &l.items[i]);
  }
}

/* True (with a located error, once) when the program has more tasks and
 * blocks than PC_MAX_IR_TASKS: each use of a task is compiled apart, so
 * task lists aliased inside each other would grow exponentially. */
static bool st_too_many(St *s, PcLoc loc) {
  if (s->l->tasks.len + s->l->blocks.len <= PC_MAX_IR_TASKS)
    return false;
  if (!s->l->too_many)
    pc_error_at(s->c, loc,
                "the playbook expands to more than %d tasks and blocks (task lists reached through YAML aliases "
                "inside each other?)",
                PC_MAX_IR_TASKS);
  s->l->too_many = true;
  return true;
}

static IrList st_list(St *s, const FeList *fl, const StCtx *x) {
  PcVec out = {0};
  for (int i = 0; i < fl->n; i++) {
    const FeTask *ft = fl->items[i];
    if (st_too_many(s, ft->loc))
      break;
    if (ft->kind == FE_TASK_BLOCK && ft->import) {
      st_import(s, ft, x, &out);
      continue;
    }
    IrItem *it = pc_alloc(s->c, sizeof *it);
    *it = st_item(s, ft, x);
    pc_vec_push(s->c, &out, it);
  }
  IrList l = {pc_alloc(s->c, sizeof(IrItem) * (size_t)(out.len + 1)), out.len};
  for (int i = 0; i < out.len; i++)
    l.items[i] = *(IrItem *)out.items[i];
  return l;
}

/* One task or block of a list under `--plan` a task at a time: lowered into
 * the task arena, pushed on `out`, then printed and dropped (stream.c).
 * Handlers met in it stop the stream (their IR is read after the task). */
static void st_window(St *s, const FeTask *ft, const StCtx *x, PcVec *out, IrStreamWindow w) {
  w.roots_from = s->l->p->nroots;
  w.tasks_from = s->l->tasks.len;
  w.blocks_from = s->l->blocks.len;
  int32_t from = out->len, handlers = s->handlers.len;
  s->c->task_on = true;
  if (ft->kind == FE_TASK_BLOCK && ft->import) {
    st_import(s, ft, x, out);
  } else {
    IrItem *it = pc_alloc(s->c, sizeof *it);
    *it = st_item(s, ft, x);
    pc_vec_push(s->c, out, it);
  }
  s->c->task_on = false;
  if (s->handlers.len != handlers || s->notifies.len || s->include_handlers.len)
    s->l->stream_abort = true;
  else
    ir_stream_items(s->l->stream, s->l, out->items, from, out->len, w);
}

static IrList st_list_of(PcCtx *c, const PcVec *out) {
  IrList l = {pc_alloc(c, sizeof(IrItem) * (size_t)(out->len + 1)), out->len};
  for (int i = 0; i < out->len; i++)
    l.items[i] = *(IrItem *)out->items[i];
  return l;
}

/* An implicit block (a run of bare tasks) of a section, a task at a time:
 * its head and end are printed around its tasks. */
static IrItem st_block_stream(St *s, const FeTask *ft, const StCtx *x, int32_t section) {
  StCtx bx;
  IrBlock *b = st_block_open(s, ft, x, &bx);
  ir_stream_block(s->l->stream, s->l, b, section, true);
  PcVec out = {0};
  for (int i = 0; i < ft->block.n && !s->l->stream_abort; i++) {
    if (st_too_many(s, ft->block.items[i]->loc))
      break;
    st_window(s, ft->block.items[i], &bx, &out, (IrStreamWindow){.section = section, .depth = 2, .first = out.len == 0});
  }
  b->regions[IR_BLOCK] = st_list_of(s->c, &out);
  if (!s->l->stream_abort)
    ir_stream_block(s->l->stream, s->l, b, section, false);
  return (IrItem){.block = b};
}

/* st_list for a play's section under `--plan` a task at a time. */
static IrList st_list_stream(St *s, const FeList *fl, const StCtx *x, int32_t section) {
  PcVec out = {0};
  for (int i = 0; i < fl->n && !s->l->stream_abort; i++) {
    const FeTask *ft = fl->items[i];
    if (st_too_many(s, ft->loc))
      break;
    if (ft->kind == FE_TASK_BLOCK && ft->implicit && !ft->import && !ft->rescue.n && !ft->always.n) {
      IrItem *it = pc_alloc(s->c, sizeof *it);
      *it = st_block_stream(s, ft, x, section);
      pc_vec_push(s->c, &out, it);
      continue;
    }
    st_window(s, ft, x, &out, (IrStreamWindow){.section = section, .depth = 1});
  }
  return st_list_of(s->c, &out);
}

static IrItem st_item(St *s, const FeTask *ft, const StCtx *x) {
  IrItem it = {0};
  StCtx tx;
  switch (ft->kind) {
  case FE_TASK_BLOCK:
    it.block = st_block(s, ft, x);
    break;
  case FE_TASK_MODULE:
    st_inherit_task(s, &tx, x, ft);
    tx.when = x->when; /* the task's own `when` is added by st_common */
    it.task = st_task(s, ft, &tx);
    break;
  case FE_TASK_INCLUDE_TASKS:
  case FE_TASK_INCLUDE_ROLE:
    st_inherit_task(s, &tx, x, ft);
    tx.when = x->when;
    it.task = st_include(s, ft, &tx, x);
    break;
  }
  return it;
}

/* ---- plays -------------------------------------------------------------------------------- */

/* The play's roles: roles: entries first, then import_role uses in load order. */
static void st_collect_roles(St *s, const FeList *l, int depth);

/* The import_role uses of role `r`'s tasks and its dependencies' tasks. */
static void st_collect_role_tasks(St *s, const FeRole *r, int depth) {
  if (depth >= FE_MAX_NESTING)
    return;
  st_collect_roles(s, &r->tasks, depth + 1);
  for (int i = 0; i < r->ndeps; i++)
    st_collect_role_tasks(s, r->deps[i]->role, depth + 1);
}

/* The roles imported (import_role) in a tasks list, at any depth: they join
 * the play's roles, as Ansible adds them when it loads the play. */
static void st_collect_roles(St *s, const FeList *l, int depth) {
  for (int i = 0; i < l->n && depth < FE_MAX_NESTING; i++) {
    const FeTask *t = l->items[i];
    if (t->kind != FE_TASK_BLOCK)
      continue;
    if (t->role_use) {
      pc_vec_push(s->c, &s->play_roles, t->role_use);
      st_collect_role_tasks(s, t->role_use->role, depth + 1);
    }
    st_collect_roles(s, &t->block, depth + 1);
    st_collect_roles(s, &t->rescue, depth + 1);
    st_collect_roles(s, &t->always, depth + 1);
  }
}

/* The public include_roles the play can run: in its sections, blocks,
 * imported roles, included files and included roles (each site once). */
static void st_collect_public(St *s, const FeList *l, int depth) {
  if (depth >= FE_MAX_NESTING)
    return;
  for (int i = 0; i < l->n; i++) {
    const FeTask *t = l->items[i];
    const FeInclude *fi = t->include;
    if (t->kind == FE_TASK_BLOCK) {
      if (t->role_use)
        st_collect_public(s, &t->role_use->role->tasks, depth + 1);
      st_collect_public(s, &t->block, depth + 1);
      st_collect_public(s, &t->rescue, depth + 1);
      st_collect_public(s, &t->always, depth + 1);
    } else if (t->kind == FE_TASK_INCLUDE_TASKS && fi) {
      for (int k = 0; k < fi->n; k++)
        st_collect_public(s, &fi->lists[k], depth + 1);
    } else if (t->kind == FE_TASK_INCLUDE_ROLE && fi && fi->role_use) {
      bool seen = false;
      for (int k = 0; k < s->public_roles.len; k++)
        seen |= s->public_roles.items[k] == t;
      if (fi->role_use->is_public && !seen)
        pc_vec_push(s->c, &s->public_roles, (void *)t);
      st_collect_public(s, &fi->role_use->role->tasks, depth + 1);
    }
  }
}

static const char *st_hosts(St *s, const FeNode *h) {
  if (!h)
    return "";
  if (h->kind == FE_SCALAR)
    return h->text;
  PcBuf b = {0}; /* linear in the list: a hosts list may be long */
  pc_buf_add(s->c, &b, "", 0);
  for (int i = 0; h->kind == FE_SEQ && i < h->n; i++)
    if (h->items[i]->kind == FE_SCALAR) {
      if (i)
        pc_buf_adds(s->c, &b, ",");
      pc_buf_add(s->c, &b, h->items[i]->text, h->items[i]->len);
    }
  return b.s;
}

static bool st_play_bool(St *s, FeNode *v, bool def, const char *what) {
  if (!v)
    return def;
  if (v->kind == FE_SCALAR && v->stype == FE_T_BOOL)
    return v->b;
  pc_error_at(s->c, v->loc, "%s must be a boolean known at compile time", what);
  return def;
}

static void st_flush(St *s, PcVec *out, const StCtx *x, PcLoc loc) {
  st_block_into(s, out, st_meta_block(s, "flush_handlers", x, loc));
}

static void st_append_list(St *s, PcVec *out, IrList l) {
  for (int i = 0; i < l.n; i++)
    pc_vec_push(s->c, out, &l.items[i]);
}

/* force_handlers: each section in a block whose always flushes (Play.compile). */
static void st_forced(St *s, PcVec *out, PcVec *section, const StCtx *x, PcLoc loc) {
  IrBlock *b = st_block_new(s, loc, NULL);
  b->implicit = true;
  if (section->len == 0) {
    IrTask *t = st_task_new(s, NULL, x, loc);
    t->kind = IR_TASK_META;
    t->implicit = true;
    t->action = "noop";
    t->name = "meta";
    IrItem *it = pc_alloc(s->c, sizeof *it);
    it->task = t;
    pc_vec_push(s->c, section, it);
  }
  b->regions[IR_BLOCK].n = section->len;
  b->regions[IR_BLOCK].items = pc_alloc(s->c, sizeof(IrItem) * (size_t)section->len);
  for (int i = 0; i < section->len; i++)
    b->regions[IR_BLOCK].items[i] = *(IrItem *)section->items[i];
  b->regions[IR_ALWAYS].n = 1;
  b->regions[IR_ALWAYS].items = pc_alloc(s->c, sizeof(IrItem));
  b->regions[IR_ALWAYS].items[0].block = st_meta_block(s, "flush_handlers", x, loc);
  st_block_into(s, out, b);
}

static void st_play(St *s, IrPlay *ip, FePlay *fp) {
  PcCtx *c = s->c;
  s->play = ip;
  s->fp = fp;
  s->handlers = (PcVec){0};
  s->notifies = (PcVec){0};
  s->play_roles = (PcVec){0};
  s->include_handlers = (PcVec){0};
  s->role_handlers = pc_alloc(s->c, sizeof(PcVec) * (size_t)(s->l->pb->nroles + 1));
  ip->loc = fp->loc;
  ip->name = fp->name ? fp->name : "";
  ip->hosts = st_hosts(s, fp->kw[FE_KW_HOSTS]);
  ip->gather_facts = st_play_bool(s, fp->kw[FE_KW_GATHER_FACTS], true, "gather_facts");
  ip->gather_facts_set = fp->kw[FE_KW_GATHER_FACTS] != NULL;
  ip->gather_args = st_gather_args(s, fp);
  st_become(s, ip->setup_kw, fp->kw);
  st_conn_kw(s, ip->setup_kw, fp->kw);
  if (fp->kw[FE_KW_ENVIRONMENT]) {
    PcVec env = {0};
    pc_vec_push(s->c, &env, fp->kw[FE_KW_ENVIRONMENT]);
    ip->setup_kw[RT_TK_ENVIRONMENT] = st_environment(s, &env);
  }
  ip->force_handlers = st_play_bool(s, fp->kw[FE_KW_FORCE_HANDLERS], false, "force_handlers");
  ip->any_errors_fatal = st_play_bool(s, fp->kw[FE_KW_ANY_ERRORS_FATAL], false, "any_errors_fatal");
  ip->max_fail_percentage = -1;
  FeNode *mfp = fp->kw[FE_KW_MAX_FAIL_PERCENTAGE];
  if (mfp) {
    if (mfp->kind == FE_SCALAR && (mfp->stype == FE_T_INT || mfp->stype == FE_T_FLOAT))
      ip->max_fail_percentage = mfp->stype == FE_T_INT ? (int32_t)mfp->i : (int32_t)mfp->f;
    else
      pc_error_at(c, mfp->loc, "max_fail_percentage must be a number known at compile time");
  }
  FeNode *conn = fp->kw[FE_KW_CONNECTION];
  if (conn && conn->kind == FE_SCALAR && !ir_has_template(s->l, conn)) /* else a per-host keyword */
    ip->connection = conn->text;
  ip->serial = st_serial(s, fp->kw[FE_KW_SERIAL]);
  st_strategy(s, ip, fp->kw[FE_KW_STRATEGY]);
  FeNode *order = fp->kw[FE_KW_ORDER];
  if (order) {
    static const char *const orders[] = {"inventory", "reverse_inventory", "sorted", "reverse_sorted", "shuffle",
                                         NULL};
    bool ok = false;
    for (int i = 0; order->kind == FE_SCALAR && orders[i]; i++)
      ok |= strcmp(order->text, orders[i]) == 0;
    if (!ok)
      pc_error_at(c, order->loc, "'%s' is not a valid order", order->kind == FE_SCALAR ? order->text : "?");
    else
      ip->order = order->text;
  }
  for (int i = 0; i < fp->nroles; i++) {
    pc_vec_push(c, &s->play_roles, fp->roles[i]);
    st_collect_role_tasks(s, fp->roles[i]->role, 0);
  }
  /* Ansible loads roles, then handlers, pre_tasks, post_tasks, tasks */
  static const int load_order[] = {FE_SEC_PRE_TASKS, FE_SEC_POST_TASKS, FE_SEC_TASKS};
  for (int i = 0; i < 3; i++)
    st_collect_roles(s, &fp->sections[load_order[i]], 0);
  s->public_roles = (PcVec){0};
  for (int i = 0; i < fp->nroles; i++)
    st_collect_public(s, &fp->roles[i]->role->tasks, 0);
  static const int run_order[] = {FE_SEC_PRE_TASKS, FE_SEC_TASKS, FE_SEC_POST_TASKS, FE_SEC_HANDLERS};
  for (int i = 0; i < 4; i++)
    st_collect_public(s, &fp->sections[run_order[i]], 0);
  ip->scope = st_play_frames(s);
  if (fp->nvars_files_dyn) { /* templated vars_files: each entry's candidates as frames, chosen per host */
    ip->vars_files = pc_alloc(c, sizeof(IrInclude *) * (size_t)fp->nvars_files_dyn);
    ip->nvars_files = fp->nvars_files_dyn;
    for (int i = 0; i < fp->nvars_files_dyn; i++) {
      const FeInclude *fi = fp->vars_files_dyn[i];
      IrInclude *inc = pc_alloc(c, sizeof *inc);
      inc->file = ir_lower_root(s->l, ir_lower_value(s->l, fi->file), fi->file->kind == FE_SCALAR ? fi->file->text : NULL);
      inc->n = fi->n;
      inc->names = fi->names;
      inc->dirs = fi->dirs;
      inc->ndirs = fi->ndirs;
      inc->frames = pc_alloc(c, sizeof(IrScope *) * (size_t)(fi->n + 1));
      for (int k = 0; k < fi->n; k++)
        inc->frames[k] = st_frame(s, RT_LV_VARS_FILES, pc_sprintf(c, "vars_files %s", fi->names[k]), fi->vars[k],
                                  NULL);
      ip->vars_files[i] = inc;
    }
  }
  /* VariableManager's play role names: one per play.roles entry (a role
   * listed twice is named twice), and their dependencies */
  ip->role_names = pc_alloc(c, sizeof(char *) * (size_t)(s->play_roles.len + 1));
  PcVec deps = {0};
  for (int i = 0; i < s->play_roles.len; i++) {
    const FeRole *r = ((FeRoleUse *)s->play_roles.items[i])->role;
    ip->role_names[i] = r->name;
    st_role_deps(s, r, &deps);
  }
  ip->dep_role_names = pc_alloc(c, sizeof(char *) * (size_t)(deps.len + 1));
  for (int i = 0; i < deps.len; i++)
    ip->dep_role_names[i] = ((FeRole *)deps.items[i])->name;
  /* the play's keywords every task inherits */
  StCtx x = {0};
  for (int k = 0; k < FE_KW_COUNT; k++)
    if (fe_keywords[k].where & (FE_B | FE_T))
      x.kw[k] = fp->kw[k];
  x.kw[FE_KW_NAME] = x.kw[FE_KW_VARS] = x.kw[FE_KW_TAGS] = NULL;
  if (fp->kw[FE_KW_TAGS]) {
    FeNode *kw[FE_KW_COUNT] = {0};
    kw[FE_KW_TAGS] = fp->kw[FE_KW_TAGS];
    StCtx t;
    st_inherit(s, &t, &x, kw);
    x = t;
  }
  ip->tags = st_tags(s, &x);
  if (fp->kw[FE_KW_ENVIRONMENT])
    pc_vec_push(c, &x.env, fp->kw[FE_KW_ENVIRONMENT]);
  if (fp->import_when)
    pc_vec_push(c, &x.when, fp->import_when);
  x.scope = ip->scope;
  x.roots = st_roots(s, NULL, NULL, 0);
  ip->first_task = s->l->tasks.len;
  PcVec blocks = {0}, pre = {0}, mid = {0}, post = {0};
  IrStream *st = s->l->stream;
  int32_t flush_at[3] = {0};
  if (st) { /* --plan a task at a time: no roles (ir_stream_fits) */
    ir_stream_play_begin(st, s->l, ip->scope);
    static const int secs[3] = {FE_SEC_PRE_TASKS, FE_SEC_TASKS, FE_SEC_POST_TASKS};
    PcVec *outs[3] = {&pre, &mid, &post};
    for (int i = 0; i < 3 && !s->l->stream_abort; i++) {
      st_append_list(s, outs[i], st_list_stream(s, &fp->sections[secs[i]], &x, i));
      flush_at[i] = ir_stream_reserve(st, i);
    }
    if (s->l->stream_abort)
      return;
  } else {
    st_append_list(s, &pre, st_list(s, &fp->sections[FE_SEC_PRE_TASKS], &x));
    for (int i = 0; i < fp->nroles; i++)
      st_role(s, fp->roles[i], NULL, 0, &x, &mid, &s->handlers);
    st_append_list(s, &mid, st_list(s, &fp->sections[FE_SEC_TASKS], &x));
    st_append_list(s, &post, st_list(s, &fp->sections[FE_SEC_POST_TASKS], &x));
  }
  if (ip->force_handlers) {
    st_forced(s, &blocks, &pre, &x, fp->loc);
    st_forced(s, &blocks, &mid, &x, fp->loc);
    st_forced(s, &blocks, &post, &x, fp->loc);
  } else {
    PcVec *secs[3] = {&pre, &mid, &post};
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < secs[i]->len; j++)
        pc_vec_push(c, &blocks, secs[i]->items[j]);
      st_flush(s, &blocks, &x, fp->loc);
      if (st)
        ir_stream_fill(st, s->l, flush_at[i], blocks.items[blocks.len - 1]);
    }
  }
  ip->blocks.n = blocks.len;
  ip->blocks.items = pc_alloc(c, sizeof(IrItem) * (size_t)(blocks.len + 1));
  for (int i = 0; i < blocks.len; i++)
    ip->blocks.items[i] = *(IrItem *)blocks.items[i];
  /* handlers: the play's roles' (compiled with them), the play's, include_role's */
  bool *added = pc_alloc(c, (size_t)s->l->pb->nroles + 1);
  for (int i = 0; i < s->play_roles.len; i++)
    st_role_handlers(s, ((FeRoleUse *)s->play_roles.items[i])->role, added);
  StCtx hx = x;
  hx.handler = true;
  st_handler_tasks(s, st_list(s, &fp->sections[FE_SEC_HANDLERS], &hx), &s->handlers);
  int nstatic = s->handlers.len;
  for (int i = 0; i < s->include_handlers.len; i++)
    pc_vec_push(c, &s->handlers, s->include_handlers.items[i]);
  ip->handlers = (IrTask **)s->handlers.items;
  ip->nhandlers = s->handlers.len;
  /* notify names → handlers: the last handler of that name (or "role : name"),
   * and every handler listening to it, among the handlers loaded when the
   * task runs: the roles' and the play's, and those of the include_roles
   * compiled (run) before it (search_handler_blocks_by_name) */
  for (int i = 0; i < s->notifies.len; i++) {
    StNotify *n = s->notifies.items[i];
    PcVec hits = {0}, missing = {0};
    int limit = nstatic + (n->horizon < 0 ? s->include_handlers.len : n->horizon);
    for (int j = 0; j < n->names->n; j++) {
      FeNode *nm = n->names->items[j];
      if (nm->kind != FE_SCALAR)
        continue;
      bool found = false;
      for (int h = limit - 1; h >= 0 && !found; h--) {
        IrTask *ht = ip->handlers[h];
        if (!ht->name || !*ht->name || ir_task_kw(ht, RT_TK_NAME))
          continue;
        const char *full = ht->role_name ? pc_sprintf(c, "%s : %s", ht->role_name, ht->name) : ht->name;
        if (!strcmp(nm->text, ht->name) || !strcmp(nm->text, full)) {
          pc_vec_push(c, &hits, (void *)(intptr_t)h);
          found = true;
        }
      }
      for (int h = 0; h < limit; h++)
        for (int k = 0; ip->handlers[h]->listen && ip->handlers[h]->listen[k]; k++)
          if (!strcmp(ip->handlers[h]->listen[k], nm->text)) {
            pc_vec_push(c, &hits, (void *)(intptr_t)h);
            found = true;
          }
      if (!found) { /* Ansible looks only when the task changes something, and then stops the run */
        pc_fault_at(c, nm->loc,
                    "The requested handler '%s' was not found in either the main handlers list nor in the "
                    "listening handlers list",
                    nm->text);
        pc_vec_push(c, &missing, nm);
      }
    }
    if (missing.len) { /* looked up at run time, where they are not found either */
      FeNode *seq = pc_alloc(c, sizeof *seq);
      *seq = *n->names;
      seq->items = (FeNode **)missing.items;
      seq->n = missing.len;
      ir_task_set_kw(s->c, n->task, RT_TK_NOTIFY, ir_lower_root(s->l, ir_lower_value(s->l, seq), NULL));
    }
    n->task->notify = pc_alloc(c, sizeof(int32_t) * (size_t)(hits.len + 1));
    for (int j = 0; j < hits.len; j++)
      n->task->notify[j] = (int32_t)(intptr_t)hits.items[j];
    n->task->notify[hits.len] = -1;
  }
  /* vars_prompt */
  FeNode *vp = fp->kw[FE_KW_VARS_PROMPT];
  if (vp && vp->kind == FE_SEQ) {
    ip->prompts = pc_alloc(c, sizeof(IrVar) * (size_t)(vp->n + 1));
    for (int i = 0; i < vp->n; i++) {
      FeNode *e = vp->items[i];
      FeNode *name = e->kind == FE_MAP ? fe_map_get(e, "name") : NULL;
      if (!name || name->kind != FE_SCALAR) {
        pc_error_at(c, e->loc, "Invalid vars_prompt data structure, missing 'name' key");
        continue;
      }
      static const char *const keys[] = {"name", "prompt", "default", "private", "confirm", "encrypt",
                                         "salt_size", "salt", "unsafe", NULL};
      for (int k = 0; k < e->n; k++) {
        bool ok = false;
        for (int j = 0; keys[j]; j++)
          ok |= strcmp(keys[j], e->keys[k]->text) == 0;
        if (!ok)
          pc_error_at(c, e->keys[k]->loc, "Invalid vars_prompt data structure, found unsupported key '%s'",
                      e->keys[k]->text);
      }
      IrVar *v = &ip->prompts[ip->nprompts++];
      v->name = name->text;
      v->loc = name->loc;
      v->value = ir_lower_root(s->l, ir_lower_value(s->l, e), NULL);
    }
  } else if (vp && !(vp->kind == FE_SCALAR && vp->stype == FE_T_NULL)) {
    pc_error_at(c, vp->loc, "vars_prompt must be a list");
  }
  /* the play's keywords, for the plan */
  int n = 0;
  ip->kws = pc_alloc(c, sizeof(IrKeyword) * FE_KW_COUNT);
  for (int k = 0; k < FE_KW_COUNT; k++) {
    static const int shown_elsewhere[] = {FE_KW_NAME, FE_KW_HOSTS, FE_KW_VARS, FE_KW_TASKS, FE_KW_PRE_TASKS,
                                          FE_KW_POST_TASKS, FE_KW_HANDLERS, FE_KW_ROLES, FE_KW_VARS_FILES,
                                          FE_KW_VARS_PROMPT, FE_KW_GATHER_FACTS};
    bool skip = !fp->kw[k];
    for (size_t j = 0; j < sizeof shown_elsewhere / sizeof *shown_elsewhere; j++)
      skip |= k == shown_elsewhere[j];
    if (skip)
      continue;
    ip->kws[n].name = fe_keywords[k].name;
    ip->kws[n].value = ir_lower_value(s->l, fp->kw[k]);
    ip->kws[n].loc = fp->kw[k]->loc;
    ip->kws[n].runs = st_kw_runs(k, fp->kw[k]);
    n++;
  }
  ip->nkws = n;
  ip->ntasks = s->l->tasks.len - ip->first_task;
  if (st)
    ir_stream_play_end(st, s->l, (int32_t)(ip - s->l->p->plays));
}

const FeNode *ir_merge_args(IrLower *l, const FeNode *extra, const FeNode *args) {
  if (!args || args->kind != FE_MAP)
    return args ? args : extra;
  FeNode *m = pc_alloc(l->c, sizeof *m);
  *m = *args;
  m->keys = pc_alloc(l->c, sizeof(FeNode *) * (size_t)(extra->n + args->n));
  m->vals = pc_alloc(l->c, sizeof(FeNode *) * (size_t)(extra->n + args->n));
  m->n = 0;
  for (int i = 0; i < extra->n; i++) {
    if (fe_map_get(args, extra->keys[i]->text))
      continue;
    m->keys[m->n] = extra->keys[i];
    m->vals[m->n++] = extra->vals[i];
  }
  for (int i = 0; i < args->n; i++) {
    m->keys[m->n] = args->keys[i];
    m->vals[m->n++] = args->vals[i];
  }
  return m;
}

static IrProgram *st_lower(PcCtx *c, FePlaybook *pb, IrStream *st) {
  IrLower l = {0};
  l.c = c;
  l.stream = st;
  l.pb = pb;
  l.p = pc_alloc(c, sizeof *l.p);
  l.p->playbook = pb->path;
  l.p->load_fault = pb->load_fault;
  l.p->nplays = pb->nplays;
  l.p->plays = pc_alloc(c, sizeof(IrPlay) * (size_t)(pb->nplays + 1));
  St s = {0};
  s.l = &l;
  s.c = c;
  for (int i = 0; i < pb->nplays && !l.stream_abort; i++)
    st_play(&s, &l.p->plays[i], pb->plays[i]);
  if (l.stream_abort) {
    ir_stream_end(st, &l);
    free(l.p->roles);
    return NULL;
  }
  l.p->ninv_vars = pb->ninv_vars; /* playbook group_vars/host_vars: frames like play vars */
  l.p->inv_vars = pc_alloc(c, sizeof(IrInvVars) * (size_t)(pb->ninv_vars + 1));
  for (int i = 0; i < pb->ninv_vars; i++) {
    const FeInvVars *fv = &pb->inv_vars[i];
    IrInvVars *iv = &l.p->inv_vars[i];
    iv->name = fv->name;
    iv->host = fv->host;
    iv->scope = st_frame(&s, RT_LV_INVENTORY,
                         pc_sprintf(c, "playbook %s %s", fv->host ? "host_vars" : "group_vars", fv->name),
                         fv->vars, NULL);
  }
  l.p->nfiles = l.files.len;
  l.p->files = pc_alloc(c, sizeof(IrFile) * (size_t)(l.files.len + 1));
  for (int i = 0; i < l.files.len; i++)
    l.p->files[i] = *(IrFile *)l.files.items[i];
  l.p->tasks = (IrTask **)l.tasks.items;
  l.p->ntasks = l.tasks.len;
  l.p->blocks = (IrBlock **)l.blocks.items;
  l.p->nblocks = l.blocks.len;
  l.p->scopes = (IrScope **)l.scopes.items;
  l.p->nscopes = l.scopes.len;
  /* role instances by id: ids are the frontend's */
  IrRole **byid = pc_alloc(c, sizeof(IrRole *) * (size_t)(pb->nroles + 1));
  for (int i = 0; i < l.p->nroles; i++)
    byid[l.p->roles[i]->id] = l.p->roles[i];
  free(l.p->roles);
  for (int i = 0; i < pb->nroles; i++)
    if (!byid[i]) { /* loaded but never compiled (an include_role in a dead branch) */
      byid[i] = pc_alloc(c, sizeof(IrRole));
      byid[i]->id = i;
      byid[i]->name = "";
      byid[i]->path = "";
    }
  l.p->roles = byid;
  l.p->nroles = pb->nroles;
  if (st) {
    ir_stream_end(st, &l);
    if (l.stream_abort || ir_stream_aborted(st))
      return NULL;
  }
  return l.p;
}

IrProgram *ir_lower(PcCtx *c, FePlaybook *pb) { return st_lower(c, pb, NULL); }

IrProgram *ir_lower_stream(PcCtx *c, FePlaybook *pb, IrStream *st) { return st_lower(c, pb, st); }
