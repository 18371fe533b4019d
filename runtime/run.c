/*
 * run.c — the scheduler: plays in order, each run by the linear strategy as
 * Ansible's (strategy/linear.py and StrategyBase): every round picks the next
 * task in the play's order that some host is at (the lockstep cursor over
 * all_tasks, or the lowest handler while handlers flush), runs it on the
 * hosts at that task with up to `forks` threads, then processes the results
 * in one place: stats, failures (to rescue, or out of the play), handler
 * notifications, role completion, included files spliced into the hosts
 * that included them, any_errors_fatal and max_fail_percentage.
 *
 * An interrupt (interrupt.c) stops the scheduler from starting anything new:
 * the steps in flight end without a result, and the run prints its recap,
 * closes every connection (which removes leftover temp files) and returns 99.
 *
 * Meta tasks run on the scheduler's thread, as Ansible runs them in the
 * strategy. Includes are evaluated per host (condition, loop, file name) on
 * the worker threads; the files they name were compiled ahead of time and
 * are only instantiated here.
 *
 * A host's RtHost (and so its connection) is touched by one worker at a time.
 * Hosts persist across plays (facts and registered vars survive); a host that
 * failed or became unreachable is left out of later plays, as Ansible does.
 */
#include "config.h"
#include "facts.h"
#include "mod.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <termios.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* RtInvVarsFn: the playbook's group_vars/host_vars frame for `name` (the
 * table is sorted: groups, then hosts, by name), as play vars: a lazy var a
 * thunk, an eager one its value. `ctx` is an RtHost. */
void rt_playbook_inv_vars(void *ctx, RtValue *vars, const char *name, bool host) {
  RtHost *h = ctx;
  const RtProgram *prog = h->run->prog;
  int32_t lo = 0, hi = prog->ninv_vars - 1;
  while (lo <= hi) {
    int32_t mid = (lo + hi) / 2;
    const RtInvVarsDef *d = &prog->inv_vars[mid];
    int c = d->host != host ? (host ? 1 : -1) : strcmp(name, d->name);
    if (c < 0) {
      hi = mid - 1;
    } else if (c > 0) {
      lo = mid + 1;
    } else {
      for (int32_t k = 0; d->scope && k < d->scope->nvars; k++) {
        const RtVarDef *vd = &d->scope->vars[k];
        if (vd->lazy) /* a template: over what is below it, even with hash_behaviour=merge */
          rt_dict_set(vars, vd->name, rt_thunk(vd->value, vd->name));
        else
          rt_combine_set(vars, vd->name, vd->value(h), h->run->inv.hash_merge);
      }
      return;
    }
  }
}

static RtHost *host_get(RtRun *run, int i) {
  if (!run->hosts[i]) {
    RtHost *h = rt_xcalloc(1, sizeof *h);
    h->run = run;
    h->index = i;
    h->name = run->inv.hosts[i].name;
    h->loop_index = -1;
    h->play_index = -1;
    h->dyn[RT_LV_INVENTORY] = rt_inventory_host_vars_with(&run->inv, i, rt_playbook_inv_vars, h);
    rt_host_init_publish(h);
    run->hosts[i] = h;
    rt_factcache_load(h); /* the facts ansible.cfg's fact cache holds for it */
  }
  return run->hosts[i];
}

/* The run's hosts array as long as the inventory. */
static void hosts_grow(RtRun *run) {
  if (run->inv.nhosts > run->nhosts_alloc) {
    run->hosts = rt_xrealloc(run->hosts, sizeof *run->hosts * (size_t)run->inv.nhosts);
    for (int i = run->nhosts_alloc; i < run->inv.nhosts; i++)
      run->hosts[i] = NULL;
    run->nhosts_alloc = run->inv.nhosts;
  }
}

/* The implicit localhost (InventoryData.get_host's), with its
 * host_vars/localhost beside the sources: its index. Only while no host
 * thread runs (it grows the inventory hostvars readers walk). */
static int implicit_localhost(RtRun *run) {
  int i = rt_inventory_implicit_localhost(&run->inv);
  char *err = NULL;
  if (!rt_inventory_load_vars(&run->inv, &err))
    rt_out_warning(run, "%s", err);
  free(err);
  hosts_grow(run);
  return i;
}

/* `dir`/`name` with "./" and "x/../" folded, as the compiler folds paths. */
static char *fold_path(const char *dir, const char *name) {
  char *path = dir && name[0] != '/' ? rt_xasprintf("%s/%s", dir, name) : rt_xstrdup(name);
  RtBuf b = {0};
  const char *p = path;
  bool abs = *p == '/';
  while (*p) {
    while (*p == '/')
      p++;
    const char *e = strchr(p, '/');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == 0)
      break;
    if (len == 1 && *p == '.') {
    } else if (len == 2 && p[0] == '.' && p[1] == '.' && b.len > 0 &&
               !(b.len >= 2 && b.data[b.len - 1] == '.' && b.data[b.len - 2] == '.')) {
      char *slash = strrchr(b.data, '/');
      b.len = slash ? (size_t)(slash - b.data) : 0;
      b.data[b.len] = 0;
    } else {
      if (b.len > 0 || abs)
        rt_buf_putc(&b, '/');
      rt_buf_add(&b, p, len);
    }
    p += len;
  }
  free(path);
  if (!b.data)
    rt_buf_puts(&b, ".");
  return rt_buf_take(&b);
}

char *rt_abspath(const RtRun *run, const char *path) {
  const char *base = run->prog->base_dir;
  return fold_path(path[0] == '/' || !base || !*base ? NULL : base, path);
}

/* The embedded file named `path`. Names are embedded as found ("./x",
 * "files/./x", relative to the folder playc ran in): they are compared
 * folded, and with an absolute `path` (`{{ role_path }}/templates/x`) as
 * the absolute paths they name. */
static const RtFileDef *file_named(const RtRun *run, const char *path) {
  const RtProgram *p = run->prog;
  for (int32_t i = 0; i < p->nfiles; i++) {
    const char *name = p->files[i].name;
    char *n = path[0] == '/' && name[0] != '/' ? rt_abspath(run, name) : fold_path(NULL, name);
    bool hit = strcmp(n, path) == 0;
    free(n);
    if (hit)
      return &p->files[i];
  }
  return NULL;
}

const RtFileDef *rt_find_file(RtHost *h, const char *src) { return rt_find_file_in(h, "files", src); }

RtValue *rt_file_plain(RtHost *h, const RtFileDef *f) {
  if (!f->data || !S_ISREG(f->mode) || !rt_vault_is_encrypted((const char *)f->data, (size_t)f->size))
    return NULL;
  char *abs = rt_abspath(h->run, f->name);
  RtValue *v = rt_vault_run_decrypt(h->run, (const char *)f->data, (size_t)f->size, abs);
  free(abs);
  return v;
}

const RtFileDef *rt_find_file_in(RtHost *h, const char *sub, const char *src) {
  if (src[0] == '/') {
    char *abs = fold_path(NULL, src);
    const RtFileDef *f = file_named(h->run, abs);
    free(abs);
    return f;
  }
  const char *const *roots = h->task ? h->task->roots : NULL;
  for (int i = 0; roots && roots[i]; i++) {
    char *files = rt_xasprintf("%s/%s", roots[i], sub);
    const char *dirs[2] = {files, roots[i]};
    for (int k = 0; k < 2; k++) {
      char *path = fold_path(dirs[k], src);
      const RtFileDef *f = file_named(h->run, path);
      free(path);
      if (f) {
        free(files);
        return f;
      }
    }
    free(files);
  }
  return NULL;
}

RtValue *rt_file_not_found(RtHost *h, const char *sub, const char *src) {
  RtBuf b = {0};
  rt_buf_printf(&b, "Could not find or access '%s'", src);
  const char *const *roots = h->task ? h->task->roots : NULL;
  if (src[0] != '/' && roots && roots[0]) {
    rt_buf_printf(&b, "\nSearched in:");
    for (int i = 0; roots[i]; i++) {
      char *root = rt_abspath(h->run, roots[i]), *a = rt_xasprintf("%s/%s", root, sub);
      char *p1 = fold_path(a, src), *p2 = fold_path(root, src);
      rt_buf_printf(&b, "\n\t%s\n\t%s", p1, p2);
      free(root), free(a), free(p1), free(p2);
    }
  }
  rt_buf_printf(&b, " on the Ansible Controller.\nIf you are using a module and expect the file to exist on the "
                    "remote, see the remote_src option");
  /* a file added after the compile is there but was not compiled in */
  for (int i = 0; src[0] != '/' && roots && roots[i]; i++) {
    char *root = rt_abspath(h->run, roots[i]), *a = rt_xasprintf("%s/%s", root, sub);
    char *p[2] = {fold_path(a, src), fold_path(root, src)};
    bool there = false;
    for (int k = 0; k < 2 && !there; k++)
      if (access(p[k], R_OK) == 0) {
        rt_buf_printf(&b, "\n(%s is on the controller now but was not compiled into this program: compile it again)",
                      p[k]);
        there = true;
      }
    free(root), free(a), free(p[0]), free(p[1]);
    if (there)
      break;
  }
  RtValue *r = rt_dict_new(4);
  rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, "changed", rt_bool(false));
  char *exc = rt_xasprintf("Traceback (most recent call last):\nansible.errors.AnsibleFileNotFound: %s", b.data);
  rt_dict_set(r, "msg", rt_str_take(b.data, b.len));
  rt_dict_set(r, "exception", rt_str_take(exc, strlen(exc)));
  return r;
}

/* ---- worker threads ------------------------------------------------------------ */

typedef struct Work {
  RtHost **hosts;
  int n;
  int next; /* atomic */
  void (*fn)(RtHost *h, void *arg);
  void *arg;
} Work;

static void *worker(void *p) {
  Work *w = p;
  for (;;) {
    int i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);
    if (i >= w->n || rt_interrupted()) /* interrupted: start nothing new */
      return NULL;
    w->fn(w->hosts[i], w->arg);
  }
}

/* Runs fn on every host with up to `forks` threads (fewer when `throttle`
 * is positive and lower); returns when all are done. */
static void run_parallel(RtRun *run, RtHost **hosts, int n, int throttle, void (*fn)(RtHost *, void *),
                         void *arg) {
  Work w = {hosts, n, 0, fn, arg};
  int nt = run->opt.forks < n ? run->opt.forks : n;
  if (throttle > 0 && throttle < nt)
    nt = throttle;
  if (nt <= 1) {
    worker(&w);
    return;
  }
  pthread_t *ts = rt_xcalloc((size_t)nt, sizeof *ts);
  for (int i = 0; i < nt; i++)
    if (pthread_create(&ts[i], NULL, worker, &w) != 0)
      rt_panic(__FILE__, __LINE__, "pthread_create");
  for (int i = 0; i < nt; i++)
    pthread_join(ts[i], NULL);
  free(ts);
}

/* ---- a play's run ------------------------------------------------------------------ */

typedef struct PlayRun {
  RtRun *run;
  const RtPlayDef *play;
  RtHost **hosts; /* the play's hosts, by play index */
  int n;
  int batch_size;     /* the batch's hosts, with those that failed before (iterator.batch_size) */
  RtIter it;
  bool in_handlers;
  uint8_t *role_ran;  /* [host * nroles + role]: a task of the role ran (ok or failed) */
  uint8_t *role_done; /* [host * nroles + role]: role_complete ran after a task ran */
  int nroles;
  bool break_play;    /* any_errors_fatal / max_fail_percentage stopped the play */
  bool free;          /* the free or host_pinned strategy: run_once runs on every host */
  bool step;          /* --step, until answered "continue" (the strategy's _step: per play batch) */
  RtValue **params;   /* include instances' loop variables, released with the play */
  size_t nparams;
} PlayRun;

bool rt_handler_notified(const RtItem *x, int host) { return x->notified && x->notified[host]; }

static void handler_notify(PlayRun *pr, RtItem *x, int host) {
  if (!x->notified)
    x->notified = rt_arena_alloc(&pr->it.arena, (size_t)pr->n + 1);
  x->notified[host] = 1;
}

/* The handler items notified by `name` (Ansible's search_handler_blocks_by_name,
 * the last handler of that name, then every listener); host -1: whether there
 * is one, notifying nothing. */
static bool notify_by_name(PlayRun *pr, const char *name, int host) {
  bool found = false;
  RtItemVec *hs = &pr->it.handlers;
  for (size_t i = hs->len; i-- > 0 && !found;) {
    const RtTaskDef *t = hs->items[i]->task;
    if (!t->name[0])
      continue;
    char *full = t->role_name ? rt_xasprintf("%s : %s", t->role_name, t->name) : NULL;
    if (strcmp(name, t->name) == 0 || (full && strcmp(name, full) == 0)) {
      if (host >= 0)
        handler_notify(pr, hs->items[i], host);
      found = true;
    }
    free(full);
  }
  for (size_t i = 0; i < hs->len; i++)
    for (int k = 0; hs->items[i]->task->listen && hs->items[i]->task->listen[k]; k++)
      if (strcmp(hs->items[i]->task->listen[k], name) == 0) {
        if (host >= 0)
          handler_notify(pr, hs->items[i], host);
        found = true;
      }
  return found;
}

bool rt_notify_known(RtHost *h, const RtTaskDef *t) {
  PlayRun *pr = h->run->play;
  if (!t->kw[RT_TK_NOTIFY] || !pr)
    return true;
  RtValue *names = t->kw[RT_TK_NOTIFY](h);
  bool known = true;
  for (size_t i = 0; known && rt_kind(names) == RT_LIST && i < rt_len(names); i++) {
    RtValue *n = rt_list_at(names, i);
    if (rt_kind(n) != RT_STR || notify_by_name(pr, n->u.str.s, -1))
      continue;
    known = false;
    rt_out_lock(h->run);
    if (!h->run->abort_msg)
      h->run->abort_msg = rt_xasprintf("The requested handler '%s' was not found in either the main handlers list "
                                       "nor in the listening handlers list",
                                       n->u.str.s);
    pthread_mutex_unlock(&h->run->out_lock);
  }
  rt_decref(names);
  return known;
}

/* Notifies the handlers of task item `x` for `host`: its constant names were
 * resolved at compile time (indexes into the play's handlers); templated
 * ones are rendered now. */
static void notify(PlayRun *pr, RtHost *h, const RtItem *x) {
  const RtTaskDef *t = x->task;
  for (int i = 0; t->notify && t->notify[i] >= 0; i++)
    handler_notify(pr, pr->it.handlers.items[t->notify[i]], h->play_index);
  if (t->kw[RT_TK_NOTIFY]) {
    h->task = t;
    h->inc = x->inc;
    RtValue *names = t->kw[RT_TK_NOTIFY](h);
    for (size_t i = 0; rt_kind(names) == RT_LIST && i < rt_len(names); i++) {
      RtValue *n = rt_list_at(names, i);
      if (rt_kind(n) == RT_STR)
        notify_by_name(pr, n->u.str.s, h->play_index); /* rt_notify_known stopped the run on a missing one */
    }
    rt_decref(names);
  }
}

/* ---- per-host task kinds ------------------------------------------------------------- */

/* The display name of a task (with its role, as Task.get_name), templated
 * with the first host's vars when it is a template (undefined parts kept). */
static char *task_name(RtHost *h, const RtItem *x) {
  const RtTaskDef *t = x->task;
  char *name = NULL;
  if (t->kw[RT_TK_NAME]) {
    h->task = t;
    h->inc = x->inc;
    RtValue *v = t->kw[RT_TK_NAME](h);
    if (!rt_is_error(v)) {
      RtBuf b = {0};
      rt_render_str(&b, v);
      name = rt_buf_take(&b);
    }
    rt_decref(v);
  }
  if (!name)
    name = rt_xstrdup(t->name);
  if (t->role_name && !t->implicit && t->kind != RT_TASK_INCLUDE_ROLE) { /* IncludeRole.get_name */
    char *full = rt_xasprintf("%s : %s", t->role_name, name);
    free(name);
    name = full;
  }
  return name;
}

/* The "Gathering Facts" task: the setup module with the play's
 * gather_subset, gather_timeout and fact_path, else those of ansible.cfg
 * (gather_subset, gather_timeout); the module stores the facts as Ansible
 * injects them (modules/setup.c, mod_facts_store), and the gather_facts
 * action marks them gathered. */
static void gather(RtHost *h, const RtTaskDef *t) {
  RtTaskDef gt = *t;
  gt.module = mod_schema_lookup("setup");
  RtValue *args = h->play && h->play->gather_args ? h->play->gather_args(h) : rt_dict_new(0);
  if (rt_is_error(args)) {
    rt_step_error(h, &gt, RT_PHASE_ARGS, args);
    h->last_status = rt_task_finish(h, &gt);
    return;
  }
  const char *const *subset = rt_config_list(RT_CFG_GATHER_SUBSET);
  if (subset && !rt_dict_get(args, "gather_subset")) {
    RtValue *l = rt_list_new(2);
    for (; *subset; subset++)
      rt_list_push(l, rt_strz(*subset));
    rt_dict_set(args, "gather_subset", l);
  }
  if (rt_config_is_set(RT_CFG_GATHER_TIMEOUT) && !rt_dict_get(args, "gather_timeout"))
    rt_dict_set(args, "gather_timeout", rt_int(rt_config_int(RT_CFG_GATHER_TIMEOUT, 10)));
  rt_step_run(h, &gt, args);
  h->last_status = rt_task_finish(h, &gt);
  if (h->last_status == RT_STATUS_OK || h->last_status == RT_STATUS_CHANGED)
    mod_facts_mark_gathered(h);
}

/* A condition of a task run by the scheduler (includes): 1, 0, or -1 after
 * recording the failure. */
static int task_when(RtHost *h, const RtTaskDef *t) {
  if (!t->when)
    return 1;
  RtValue *v = t->when(h), *err = NULL;
  int c = rt_cond(v, &err);
  rt_decref(v);
  if (c < 0)
    rt_step_error(h, t, RT_PHASE_WHEN, err);
  return c;
}

int32_t rt_include_candidate(const RtRun *run, const RtIncludeDef *inc, const char *name) {
  for (int32_t d = name[0] == '/' ? inc->ndirs : 0; d <= inc->ndirs; d++) {
    char *path = fold_path(d < inc->ndirs ? inc->dirs[d] : NULL, name);
    for (int32_t i = 0; i < inc->n; i++) {
      bool hit = strcmp(inc->names[i], path) == 0;
      if (!hit && path[0] == '/' && inc->names[i][0] != '/') { /* an absolute name from first_found */
        char *abs = rt_abspath(run, inc->names[i]);
        hit = strcmp(abs, path) == 0;
        free(abs);
      }
      if (hit) {
        free(path);
        return i;
      }
    }
    free(path);
  }
  return -1;
}

/* An include's outcome on one host: the candidates it named, with the loop
 * variables of each. */
typedef struct IncludeHit {
  int32_t candidate;
  RtValue *params; /* dict or NULL */
  char *label;     /* the loop item's label, or NULL */
  RtValue *result; /* the item's part of the include's result (as TaskExecutor's) */
} IncludeHit;

static void include_record(RtHost *h, const RtTaskDef *t, int32_t cand, RtValue *params, char *label,
                           const char *name) {
  h->incl = rt_xrealloc(h->incl, sizeof(IncludeHit) * (size_t)(h->nincl + 1));
  IncludeHit *hit = &((IncludeHit *)h->incl)[h->nincl++];
  hit->candidate = cand;
  hit->params = params;
  hit->label = label;
  /* {"include": name, "include_args": {...}} and, in a loop, the item's keys */
  RtValue *r = rt_dict_new(6), *args = rt_dict_new(1);
  if (name)
    rt_dict_set(r, "include", rt_strz(name));
  if (t->kind == RT_TASK_INCLUDE_ROLE && t->include->role)
    rt_dict_set(args, "name", rt_strz(t->include->role->name));
  rt_dict_set(r, "include_args", args);
  RtValue *item = params ? rt_dict_get(params, t->loop_var) : NULL;
  if (item) {
    rt_dict_set(r, t->loop_var, rt_incref(item));
    rt_dict_set(r, "ansible_loop_var", rt_strz(t->loop_var));
    rt_dict_set(r, "_ansible_item_label", rt_incref(item));
  }
  hit->result = r;
}

/* Resolves the include's file for the current loop item; false after
 * recording a failure. */
static bool include_one(RtHost *h, const RtTaskDef *t, RtValue *params, char *label) {
  const RtIncludeDef *inc = t->include;
  int32_t cand = 0;
  if (t->kind == RT_TASK_INCLUDE_TASKS) {
    RtValue *f = inc->file(h);
    if (rt_is_error(f)) {
      rt_step_error(h, t, RT_PHASE_ARGS, f);
      return false;
    }
    RtBuf b = {0};
    rt_render_str(&b, f);
    rt_decref(f);
    cand = rt_include_candidate(h->run, inc, b.data ? b.data : "");
    if (cand < 0) {
      RtValue *r = rt_dict_new(2);
      rt_dict_set(r, "failed", rt_bool(true));
      char *why = rt_xasprintf("Could not find or access '%s' on the Ansible Controller.", b.data ? b.data : "");
      rt_dict_set(r, "reason", rt_str_take(why, strlen(why)));
      rt_decref(h->result);
      h->result = r;
      rt_buf_free(&b);
      return false;
    }
    include_record(h, t, cand, params, label, b.data ? b.data : "");
    rt_buf_free(&b);
    return true;
  }
  include_record(h, t, cand, params, label, NULL);
  return true;
}

/* The label of the current loop item: loop_control.label, else the loop
 * variable's value (TaskExecutor._run_loop); malloc'd. */
static char *item_label(RtHost *h, const RtTaskDef *t, RtValue *item) {
  RtBuf b = {0};
  RtValue *label = t->kw[RT_TK_LOOP_LABEL] ? t->kw[RT_TK_LOOP_LABEL](h) : NULL;
  rt_render_str(&b, label && !rt_is_error(label) ? label : item);
  rt_decref(label);
  return rt_buf_take(&b);
}

/* A loop item the include's condition skips: "skipping: [h] => (item=x)". */
static void include_item_skipped(RtHost *h, const RtTaskDef *t, RtValue *item, const char *label) {
  RtValue *r = rt_dict_new(6);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "skipped", rt_bool(true));
  rt_dict_set(r, "skip_reason", rt_strz("Conditional result was False"));
  rt_dict_set(r, t->loop_var, rt_incref(item));
  rt_dict_set(r, "ansible_loop_var", rt_strz(t->loop_var));
  rt_dict_set(r, "_ansible_item_label", rt_strz(label));
  rt_out_result(h, t, r, RT_STATUS_SKIPPED, true);
  rt_decref(r);
}

/* The include's loop on one host, as TaskExecutor._run_loop runs it: per
 * item, the loop variables bound, the condition, then the file. Returns
 * false after recording a failure; *included counts the items included. */
static bool include_loop(RtHost *h, const RtTaskDef *t, RtValue *items, size_t *included) {
  bool ok = true;
  rt_loop_begin(h, t, items);
  for (size_t i = 0; ok && i < rt_len(items); i++) {
    RtValue *item = rt_list_at(items, i);
    rt_loop_bind(h, (int64_t)i);
    char *label = item_label(h, t, item);
    int c = task_when(h, t);
    if (c <= 0) {
      if (c == 0)
        include_item_skipped(h, t, item, label);
      free(label);
      ok = c == 0;
      continue;
    }
    /* IncludedFile's special vars: the loop variables its tasks see */
    RtValue *params = rt_dict_new(6);
    rt_dict_set(params, t->loop_var, rt_incref(item));
    rt_dict_set(params, "ansible_loop_var", rt_strz(t->loop_var));
    if (t->index_var) {
      rt_dict_set(params, t->index_var, rt_int((int64_t)i));
      rt_dict_set(params, "ansible_index_var", rt_strz(t->index_var));
    }
    RtValue *ext = h->dyn[RT_LV_LOOP] ? rt_dict_get(h->dyn[RT_LV_LOOP], "ansible_loop") : NULL;
    if (ext)
      rt_dict_set(params, "ansible_loop", rt_incref(ext));
    ok = include_one(h, t, params, label);
    *included += ok;
  }
  rt_host_clear_level(h, RT_LV_LOOP);
  h->loop_items = NULL;
  h->loop_index = -1;
  rt_decref(h->results);
  h->results = NULL;
  return ok;
}

/* include_tasks / include_role on one host: condition (per item with a
 * loop), loop, file names. */
static void include_on(RtHost *h, const RtItem *x) {
  const RtTaskDef *t = x->task;
  h->nincl = 0;
  bool ok = true;
  if (t->loop) {
    RtValue *items = t->loop(h);
    if (rt_is_error(items)) {
      rt_step_error(h, t, RT_PHASE_LOOP, items);
      h->last_status = rt_task_finish(h, t);
      return;
    }
    if (rt_kind(items) != RT_LIST) {
      rt_loop_begin(h, t, items);
      rt_decref(items);
      h->last_status = rt_task_finish(h, t);
      return;
    }
    size_t included = 0;
    ok = include_loop(h, t, items, &included);
    rt_decref(items);
    if (ok && included == 0) { /* every item skipped, or none: the task is skipped */
      RtValue *r = rt_dict_new(4);
      rt_dict_set(r, "changed", rt_bool(false));
      rt_dict_set(r, "skipped", rt_bool(true));
      rt_decref(h->result);
      h->result = r;
      h->last_status = rt_task_finish(h, t);
      return;
    }
  } else {
    int c = task_when(h, t);
    if (c == 0)
      rt_step_skip(h, t);
    if (c <= 0) {
      h->last_status = rt_task_finish(h, t);
      return;
    }
    ok = include_one(h, t, NULL, NULL);
  }
  if (ok) { /* an include's own result: ok, never printed (the included: line is) */
    rt_decref(h->result);
    IncludeHit *hits = h->incl;
    if (t->loop) {
      h->result = rt_dict_new(3);
      RtValue *results = rt_list_new((size_t)h->nincl);
      for (int k = 0; k < h->nincl; k++)
        rt_list_push(results, rt_incref(hits[k].result));
      rt_dict_set(h->result, "msg", rt_strz("All items completed"));
      rt_dict_set(h->result, "results", results);
    } else {
      h->result = h->nincl ? rt_dict_copy(hits[0].result) : rt_dict_new(1);
    }
    rt_dict_set(h->result, "changed", rt_bool(false));
    rt_report_result(h, t, h->result, RT_STATUS_OK);
    h->last_status = RT_STATUS_OK;
    rt_decref(h->last_result);
    h->last_result = h->result;
    h->result = NULL;
    return;
  }
  h->last_status = rt_task_finish(h, t);
}

typedef struct Round {
  PlayRun *pr;
  RtItem *item;
} Round;

/* Whether the host's next task would be rescued (a looped task keeps its
 * items' results for ansible_failed_result then): read by the scheduling
 * thread before the host's task starts, as the iterator's states change
 * under it (process_includes copies every host's state) while other hosts'
 * tasks run. */
static void set_rescuable(PlayRun *pr, RtHost *h) {
  h->rescuable = rt_iter_rescuing(pr->it.states[h->play_index]);
}

static void run_item_on(RtHost *h, void *arg) {
  Round *r = arg;
  const RtItem *x = r->item;
  const RtTaskDef *t = x->task;
  h->task = t;
  h->inc = x->inc;
  rt_decref(h->last_result);
  h->last_result = NULL;
  rt_vars_files_refresh(h);
  rt_progress_task(h, t, true);
  if (x == r->pr->it.setup)
    gather(h, t);
  else if (t->kind == RT_TASK_INCLUDE_TASKS || t->kind == RT_TASK_INCLUDE_ROLE)
    include_on(h, x);
  else
    h->last_status = t->run(h, t);
  rt_progress_task(h, t, false);
}

/* PlayIterator.mark_host_failed: the host's state fails, and the host joins
 * the play's _removed_hosts (ansible_play_hosts leaves it out). */
static void mark_failed(PlayRun *pr, int i) {
  rt_iter_mark_failed(&pr->it, i);
  pr->run->play_removed[pr->hosts[i]->index]++;
}

/* ---- meta ----------------------------------------------------------------------------- */

static void meta_skip_line(PlayRun *pr, RtHost *h, const RtTaskDef *t) {
  if (t->implicit)
    return;
  char *line = rt_xasprintf("skipping: [%s]", h->name);
  rt_out_skip_line(pr->run, line);
  free(line);
}

/* _execute_meta on one host. Returns true when the action applies to every
 * host at once (Ansible runs it once: run_once). */
static bool meta_on(PlayRun *pr, RtHost *h, const RtItem *x) {
  const RtTaskDef *t = x->task;
  const char *a = t->action;
  h->task = t;
  h->inc = x->inc;
  rt_vars_files_refresh(h);
  int c = 1;
  bool conditional = strcmp(a, "noop") && strcmp(a, "refresh_inventory") && strcmp(a, "reset_connection") &&
                     strcmp(a, "role_complete");
  if (conditional && t->when) {
    RtValue *v = t->when(h), *err = NULL;
    c = rt_cond(v, &err);
    rt_decref(v);
    if (c < 0) {
      RtBuf b = {0};
      rt_render_str(&b, err);
      rt_out_error("%s", b.data ? b.data : "error in meta condition");
      rt_buf_free(&b);
      rt_decref(err);
      c = 0;
    }
  }
  if (!strcmp(a, "flush_handlers")) {
    if (c && !h->unreachable) {
      RtHState *s = pr->it.states[h->play_index];
      s->pre_flushing_run_state = s->run_state;
      s->run_state = RT_IS_HANDLERS;
    } else if (!c) {
      meta_skip_line(pr, h, t);
    }
    return false;
  }
  if (!strcmp(a, "role_complete")) {
    int k = h->play_index * pr->nroles + t->role->id;
    if (t->role && pr->role_ran[k])
      pr->role_done[k] = 1;
    return false;
  }
  if (!c) {
    meta_skip_line(pr, h, t);
    return strcmp(a, "end_host") && strcmp(a, "noop");
  }
  if (!strcmp(a, "end_host")) {
    pr->it.states[h->play_index]->run_state = RT_IS_COMPLETE;
    pr->run->play_removed[h->index]++;
    return false;
  }
  if (!strcmp(a, "end_play") || !strcmp(a, "end_batch")) {
    for (int i = 0; i < pr->n; i++)
      if (!pr->hosts[i]->unreachable)
        pr->it.states[i]->run_state = RT_IS_COMPLETE;
    if (!strcmp(a, "end_play"))
      pr->run->end_play = true;
    return true;
  }
  if (!strcmp(a, "clear_host_errors")) {
    for (int i = 0; i < pr->n; i++) {
      pr->hosts[i]->failed = false;
      pr->hosts[i]->unreachable = false;
      rt_iter_clear_errors(&pr->it, i);
    }
    return true;
  }
  if (!strcmp(a, "clear_facts")) {
    for (int i = 0; i < pr->n; i++) {
      rt_host_clear_level(pr->hosts[i], RT_LV_FACTS);
      rt_factcache_clear(pr->hosts[i]);
    }
    return true;
  }
  return strcmp(a, "noop") && strcmp(a, "reset_connection");
}

/* ---- results ---------------------------------------------------------------------------- */

static bool task_flag(RtHost *h, const RtItem *x, int kw) {
  const RtTaskDef *t = x->task;
  if (!t->kw[kw])
    return false;
  h->task = t;
  h->inc = x->inc;
  RtValue *v = t->kw[kw](h);
  int b = rt_to_boolean(v);
  if (b < 0)
    b = rt_truth(v, NULL) == 1;
  rt_decref(v);
  return b == 1;
}

/* The task's throttle for host `h` (templated with its vars; 0: none);
 * false after setting the run's abort message when it is no integer. */
static bool task_throttle(RtHost *h, const RtItem *x, int *out) {
  const RtTaskDef *t = x->task;
  *out = 0;
  if (!t->kw[RT_TK_THROTTLE])
    return true;
  h->task = t;
  h->inc = x->inc;
  RtValue *v = t->kw[RT_TK_THROTTLE](h);
  bool ok = true;
  if (rt_kind(v) == RT_INT || rt_kind(v) == RT_BOOL) {
    *out = rt_kind(v) == RT_BOOL ? v->u.b : v->u.i > INT32_MAX ? INT32_MAX : v->u.i < 0 ? 0 : (int)v->u.i;
  } else if (rt_kind(v) == RT_FLOAT) {
    *out = v->u.f > INT32_MAX ? INT32_MAX : v->u.f < 0 ? 0 : (int)v->u.f;
  } else {
    char *end = NULL;
    long n = rt_kind(v) == RT_STR ? strtol(v->u.str.s, &end, 10) : 0;
    ok = rt_kind(v) == RT_STR && end != v->u.str.s && *end == 0;
    *out = n < 0 ? 0 : n > INT32_MAX ? INT32_MAX : (int)n;
  }
  rt_decref(v);
  if (!ok) {
    rt_out_lock(h->run);
    if (!h->run->abort_msg)
      h->run->abort_msg = rt_xstrdup("Failed to convert the throttle value to an integer.");
    pthread_mutex_unlock(&h->run->out_lock);
  }
  return ok;
}

static bool result_changed(const RtValue *r) {
  const RtValue *c = r ? rt_dict_get(r, "changed") : NULL;
  return c && rt_truth((RtValue *)c, NULL) == 1;
}

/* run_once: the facts of a result (each item's, for a loop) are given to
 * every other host of the play (get_task_hosts), at the level the action
 * sets them on its own host: include_vars' as host variables, set_fact's as
 * non-persistent facts, the others' as facts. */
static void share_facts(PlayRun *pr, RtHost *h, const RtTaskDef *t, const RtValue *result) {
  RtValue *items = rt_dict_get(result, "results");
  size_t n = t->has_loop && items && rt_kind(items) == RT_LIST ? rt_len(items) : 1;
  for (size_t k = 0; k < n; k++) {
    const RtValue *r = t->has_loop && items ? rt_list_at(items, k) : result;
    RtValue *facts = rt_kind(r) == RT_DICT ? rt_dict_get(r, "ansible_facts") : NULL;
    if (!facts || rt_kind(facts) != RT_DICT)
      continue;
    for (int i = 0; i < pr->n; i++) {
      RtHost *o = pr->hosts[i];
      if (o == h || o->unreachable)
        continue;
      for (size_t e = 0; e < facts->u.dict.len; e++) {
        const char *name = facts->u.dict.ents[e].key->u.str.s;
        RtValue *v = facts->u.dict.ents[e].val;
        if (!strcmp(t->action, "include_vars"))
          rt_host_set_var(o, RT_LV_INCLUDE_VARS, name, rt_incref(v));
        else if (!strcmp(t->action, "set_fact"))
          rt_host_set_fact(o, name, rt_incref(v));
        else
          rt_host_set_var(o, RT_LV_FACTS, name, rt_incref(v));
      }
    }
  }
}

/* _process_pending_results for one host's result of item `x`. */
static void process_result(PlayRun *pr, RtHost *h, const RtItem *x) {
  const RtTaskDef *t = x->task;
  RtCounts *c = &h->counts;
  int hi = h->play_index;
  bool role_ran = false;
  bool is_include = t->kind == RT_TASK_INCLUDE_TASKS || t->kind == RT_TASK_INCLUDE_ROLE;
  switch (h->last_status) {
  case RT_STATUS_FAILED: {
    role_ran = true;
    RtHState *before = pr->it.states[hi];
    if (!pr->free && task_flag(h, x, RT_TK_RUN_ONCE)) {
      for (int i = 0; i < pr->n; i++)
        if (!pr->hosts[i]->unreachable)
          mark_failed(pr, i);
    } else {
      mark_failed(pr, hi);
    }
    RtHState *after = NULL;
    rt_iter_next(&pr->it, hi, true, &after);
    if (rt_iter_is_failed(&pr->it, hi) && after->run_state == RT_IS_COMPLETE)
      h->failed = true;
    if (rt_iter_rescuing(before)) {
      c->rescued++;
      pr->run->play_removed[h->index]--;
      RtValue *ft = rt_dict_new(2);
      rt_dict_set(ft, "name", rt_strz(t->name));
      rt_dict_set(ft, "action", rt_strz(t->action));
      rt_host_set_fact(h, "ansible_failed_task", ft);
      rt_host_set_fact(h, "ansible_failed_result", h->last_result ? rt_unsafe_wrap(h->last_result) : rt_dict_new(0));
    } else {
      c->failed++;
    }
    break;
  }
  case RT_STATUS_IGNORED:
    role_ran = true;
    c->ok++;
    c->ignored++;
    if (result_changed(h->last_result))
      c->changed++;
    break;
  case RT_STATUS_UNREACHABLE:
    if (task_flag(h, x, RT_TK_IGNORE_UNREACHABLE)) {
      h->unreachable = false;
      c->ok++;
      c->ignored++;
    } else {
      c->unreachable++;
      pr->run->play_removed[h->index]++;
    }
    break;
  case RT_STATUS_SKIPPED:
    c->skipped++;
    break;
  case RT_STATUS_OK:
  case RT_STATUS_CHANGED:
    role_ran = true;
    if (h->last_status == RT_STATUS_CHANGED)
      notify(pr, h, x);
    if (h->last_result && !pr->free && task_flag(h, x, RT_TK_RUN_ONCE) && !h->facts_delegated)
      share_facts(pr, h, t, h->last_result);
    if (!is_include) {
      c->ok++;
      if (h->last_status == RT_STATUS_CHANGED)
        c->changed++;
    }
    break;
  }
  if (t->role && role_ran)
    pr->role_ran[hi * pr->nroles + t->role->id] = 1;
  if (t->register_var && h->last_result && h->last_status != RT_STATUS_UNREACHABLE &&
      !pr->free && task_flag(h, x, RT_TK_RUN_ONCE)) /* run_once: every host of the play gets the result */
    for (int i = 0; i < pr->n; i++)
      if (pr->hosts[i] != h && !pr->hosts[i]->unreachable)
        rt_host_set_fact(pr->hosts[i], t->register_var, rt_unsafe_wrap(h->last_result));
  if (t->handler) /* a handler that ran is no longer notified */
    for (size_t i = 0; i < pr->it.handlers.len; i++)
      if (pr->it.handlers.items[i] == x && x->notified)
        pr->it.handlers.items[i]->notified[hi] = 0;
}

/* ---- includes ---------------------------------------------------------------------------- */

typedef struct Included {
  const RtItem *site;
  int32_t candidate;
  RtValue *params;
  char *label;
  bool *hosts; /* per play host */
  RtIncInst *inst;
} Included;

static bool same_params(const RtValue *a, const RtValue *b) {
  if (!a || !b)
    return a == b;
  return rt_equal(a, b);
}

/* IncludedFile.process_include_results: hosts that included the same
 * candidate with the same loop variables share one instance; each instance
 * is shown ("included: FILE for HOSTS") and its blocks are spliced into the
 * states of its hosts, in the order the hosts named them. */
static void process_includes(PlayRun *pr, RtItem *x, RtHost **hosts, int n) {
  const RtTaskDef *t = x->task;
  Included *incs = NULL;
  int ninc = 0;
  for (int i = 0; i < n; i++) {
    RtHost *h = hosts[i];
    IncludeHit *hits = h->incl;
    for (int k = 0; h->last_status == RT_STATUS_OK && k < h->nincl; k++) {
      int j = 0;
      while (j < ninc && !(incs[j].candidate == hits[k].candidate && same_params(incs[j].params, hits[k].params)))
        j++;
      if (j == ninc) {
        incs = rt_xrealloc(incs, sizeof *incs * (size_t)(ninc + 1));
        incs[ninc] = (Included){x, hits[k].candidate, hits[k].params, hits[k].label,
                                rt_xcalloc((size_t)pr->n + 1, sizeof(bool)), NULL};
        hits[k].params = NULL;
        hits[k].label = NULL;
        ninc++;
      }
      incs[j].hosts[h->play_index] = true;
    }
    for (int k = 0; k < h->nincl; k++) {
      rt_decref(hits[k].params);
      rt_decref(hits[k].result);
      free(hits[k].label);
    }
    h->nincl = 0;
  }
  /* IncludeRole.get_block_list: a public role joins play.roles (every host
   * sees its vars from now on) */
  if (ninc > 0 && t->include->is_public && t->include->role) {
    const RtRoleDef *role = t->include->role;
    pr->run->public_roles[role->id] = 1;
    rt_list_push(pr->run->play_role_names, rt_strz(role->name));
    for (int i = 0; role->dep_names && role->dep_names[i]; i++)
      rt_list_push(pr->run->play_dep_names, rt_strz(role->dep_names[i]));
  }
  RtItemVec *per_host = rt_xcalloc((size_t)pr->n + 1, sizeof *per_host);
  RtItemVec all = {0};
  for (int j = 0; j < ninc; j++) {
    Included *in = &incs[j];
    const RtIncludeDef *def = t->include;
    RtIncInst *inst = rt_arena_alloc(&pr->it.arena, sizeof *inst);
    inst->site = t;
    inst->candidate = in->candidate;
    inst->params = in->params; /* owned by the play's iterator from now on */
    inst->parent = x->inc;
    if (in->params) {
      pr->params = rt_xrealloc(pr->params, sizeof *pr->params * (pr->nparams + 1));
      pr->params[pr->nparams++] = in->params;
    }
    RtBuf msg = {0};
    char *shown = rt_abspath(pr->run, t->kind == RT_TASK_INCLUDE_TASKS ? def->names[in->candidate]
                                      : def->role ? def->role->path : "");
    rt_buf_printf(&msg, "included: %s for ", shown);
    free(shown);
    bool first = true;
    for (int i = 0; i < pr->n; i++)
      if (in->hosts[i]) {
        rt_buf_printf(&msg, "%s%s", first ? "" : ", ", pr->hosts[i]->name);
        first = false;
      }
    if (in->label)
      rt_buf_printf(&msg, " => (item=%s)", in->label);
    if (t->kind == RT_TASK_INCLUDE_TASKS && pr->run->report) { /* str(IncludedFile) for junit */
      RtBuf inc = {0};
      char *file = rt_abspath(pr->run, def->names[in->candidate]);
      rt_buf_printf(&inc, "%s (args={} vars={", file);
      free(file);
      RtValue *item = in->params ? rt_dict_get(in->params, t->loop_var) : NULL;
      if (item) {
        RtValue *key = rt_strz(t->loop_var);
        rt_render_repr(&inc, key);
        rt_decref(key);
        rt_buf_puts(&inc, ": ");
        rt_render_repr(&inc, item);
        rt_buf_puts(&inc, ", '_ansible_item_label': ");
        rt_render_repr(&inc, item);
      }
      rt_buf_puts(&inc, "}): [");
      bool first_host = true;
      for (int i = 0; i < pr->n; i++)
        if (in->hosts[i]) {
          rt_buf_printf(&inc, "%s%s", first_host ? "" : ", ", pr->hosts[i]->name);
          first_host = false;
        }
      rt_buf_puts(&inc, "]");
      rt_report_included(pr->run, t, inc.data);
      rt_buf_free(&inc);
    }
    if (t->kind == RT_TASK_INCLUDE_TASKS) { /* a loaded file counts ok on each of its hosts */
      for (int i = 0; i < pr->n; i++)
        if (in->hosts[i])
          pr->hosts[i]->counts.ok++;
      rt_out_skip_line(pr->run, msg.data);
    }
    rt_buf_free(&msg);
    int32_t nb = def->nblocks ? def->nblocks[in->candidate] : 0;
    for (int32_t b = 0; b < nb; b++) {
      RtItem *blk = rt_iter_include_blocks(&pr->it, def->blocks[in->candidate][b], inst);
      rt_itemvec_push(&all, blk);
      for (int i = 0; i < pr->n; i++)
        if (in->hosts[i]) {
          rt_itemvec_push(&per_host[i], blk);
          /* a handler's included tasks are notified for the hosts that
           * included them (the strategy sets their notified_hosts) */
          for (int32_t k = 0; t->handler && k < blk->blk->n[0]; k++)
            if (blk->blk->items[0][k]->task)
              handler_notify(pr, blk->blk->items[0][k], i);
        }
    }
    free(in->label);
    free(in->hosts);
  }
  for (int i = 0; i < pr->n; i++) {
    rt_iter_add_tasks(&pr->it, i, per_host[i].items, (int32_t)per_host[i].len);
    free(per_host[i].items);
  }
  if (!t->handler) /* handlers' tasks are not in the lockstep list */
    rt_iter_all_tasks_insert(&pr->it, all.items, (int32_t)all.len);
  free(all.items);
  free(per_host);
  free(incs);
}

/* ---- the linear strategy ---------------------------------------------------------------- */

/* _get_next_task_lockstep: the item of this round and the hosts at it. */
static RtItem *lockstep(PlayRun *pr, bool *selected) {
  RtItem **next = rt_xcalloc((size_t)pr->n + 1, sizeof *next);
  RtHState **states = rt_xcalloc((size_t)pr->n + 1, sizeof *states);
  bool any = false, handlers = false;
  for (int i = 0; i < pr->n; i++) {
    selected[i] = false;
    if (pr->hosts[i]->unreachable)
      continue;
    next[i] = rt_iter_next(&pr->it, i, true, &states[i]);
    any |= next[i] != NULL;
    handlers |= next[i] && states[i]->run_state == RT_IS_HANDLERS;
  }
  RtItem *cur = NULL;
  if (any) {
    if (pr->in_handlers && !handlers)
      pr->in_handlers = false;
    if (pr->in_handlers) {
      int32_t low = INT32_MAX;
      for (int i = 0; i < pr->n; i++)
        if (next[i] && states[i]->run_state == RT_IS_HANDLERS && states[i]->cur_handlers < low)
          low = states[i]->cur_handlers;
      for (int i = 0; i < pr->n; i++)
        if (next[i] && states[i]->run_state == RT_IS_HANDLERS && states[i]->cur_handlers == low) {
          pr->it.states[i] = states[i];
          selected[i] = true;
          cur = next[i];
        }
    } else {
      for (int loops = 0; loops <= 1 && !cur;) {
        if (pr->it.cur_task >= pr->it.all_tasks.len) {
          pr->it.cur_task = 0;
          loops++;
          continue;
        }
        RtItem *c = pr->it.all_tasks.items[pr->it.cur_task++];
        for (int i = 0; i < pr->n; i++)
          if (next[i] == c)
            cur = c;
      }
      RT_ASSERT(cur); /* Ansible: "a mismatch between tasks in PlayIterator and HostStates" */
      for (int i = 0; i < pr->n; i++)
        if (next[i] == cur) {
          pr->it.states[i] = states[i];
          selected[i] = true;
        }
      if (cur->task->kind == RT_TASK_META && !strcmp(cur->task->action, "flush_handlers"))
        pr->in_handlers = true;
    }
  }
  free(next);
  free(states);
  return cur;
}

static int percent_failed(PlayRun *pr) {
  int failed = 0;
  for (int i = 0; i < pr->n; i++)
    failed += pr->hosts[i]->failed;
  return failed;
}

/* delegate_facts: the facts delegated steps posted (vars.c
 * rt_facts_divert) go into their hosts here, at a task boundary, by the
 * scheduler's thread, which owns every host no thread runs now: a host of
 * the play that is busy (the free strategies), or one not created yet while
 * any is busy (creating it would race with hostvars readers), gets them at
 * a later boundary. Under linear every boundary has no host busy: the
 * delegate sees the facts from the next task on, as Ansible's strategy
 * stores them while it processes the task's results. `localhost` outside
 * the inventory becomes the implicit localhost then, as Ansible's
 * get_host makes it; another name outside the inventory has no host to
 * read them from: dropped. Then each receiving
 * host outside the play republishes (the play's hosts do in publish_hosts). */
static void deliver_facts(PlayRun *pr, const bool *busy) {
  RtRun *run = pr->run;
  pthread_mutex_lock(&run->inbox_lock);
  RtValue *in = run->inbox;
  run->inbox = NULL;
  pthread_mutex_unlock(&run->inbox_lock);
  if (!in)
    return;
  bool any_busy = false;
  for (int i = 0; busy && i < pr->n; i++)
    any_busy |= busy[i];
  RtValue *later = NULL;
  for (size_t e = 0; e < rt_len(in); e++) {
    RtValue *entry = rt_list_at(in, e);
    const char *name = rt_list_at(entry, 0)->u.str.s;
    int i = rt_inventory_find_host(&run->inv, name);
    if (i < 0 && !strcmp(name, "localhost") && !any_busy) {
      i = implicit_localhost(run); /* hostvars['localhost'] shows them, as in Ansible */
      rt_inventory_finish(&run->inv);
    }
    if (i < 0 || i >= run->nhosts_alloc)
      continue;
    RtHost *o = run->hosts[i];
    bool in_play = o && o->play_index >= 0 && o->play_index < pr->n && pr->hosts[o->play_index] == o;
    if (o ? in_play && busy && busy[o->play_index] : any_busy) {
      if (!later)
        later = rt_list_new(2);
      rt_list_push(later, rt_incref(entry));
      continue;
    }
    o = host_get(run, i);
    rt_host_take_facts(o, entry);
    if (!in_play)
      rt_host_publish(o);
  }
  rt_decref(in);
  if (later) { /* before anything posted since */
    pthread_mutex_lock(&run->inbox_lock);
    for (size_t e = 0; run->inbox && e < rt_len(run->inbox); e++)
      rt_list_push(later, rt_incref(rt_list_at(run->inbox, e)));
    rt_decref(run->inbox);
    run->inbox = later;
    pthread_mutex_unlock(&run->inbox_lock);
  }
}

/* One play with the linear strategy. */
/* Task boundary: every host of the play that no thread runs now (busy NULL:
 * none runs) publishes what other hosts' hostvars see of it. The scheduler's
 * thread owns those hosts here, so the changes of the results it processed
 * (set_fact, register, run_once's shared facts, meta) become visible at once,
 * and a round's readers all see the state of before the round. */
static void publish_hosts(PlayRun *pr, const bool *busy) {
  deliver_facts(pr, busy);
  for (int i = 0; i < pr->n; i++)
    if (!busy || !busy[i])
      rt_host_publish(pr->hosts[i]);
}

static bool take_step(PlayRun *pr, const RtTaskDef *t, const char *host);

/* The progress line's count of the play's hosts with nothing left to run
 * (a peek at each host's next task: only when the line is on). */
static void progress_count(PlayRun *pr, const bool *busy) {
  if (!pr->run->progress)
    return;
  int done = 0;
  for (int i = 0; i < pr->n; i++)
    done += !(busy && busy[i]) && (pr->hosts[i]->unreachable || !rt_iter_next(&pr->it, i, true, NULL));
  rt_progress_hosts_done(pr->run, done);
}

static void linear(PlayRun *pr) {
  RtRun *run = pr->run;
  bool *selected = rt_xcalloc((size_t)pr->n + 1, sizeof *selected);
  RtHost **batch = rt_xcalloc((size_t)pr->n + 1, sizeof *batch);
  for (;;) {
    publish_hosts(pr, NULL);
    progress_count(pr, NULL);
    if (rt_interrupted())
      break;
    RtItem *x = lockstep(pr, selected);
    if (!x)
      break;
    const RtTaskDef *t = x->task;
    int nb = 0;
    bool any_errors_fatal = pr->play->any_errors_fatal;
    bool banner = false, asked = false;
    for (int i = 0; i < pr->n; i++) {
      if (!selected[i])
        continue;
      RtHost *h = pr->hosts[i];
      if (!t->handler && t->role && !t->role->allow_duplicates &&
          pr->role_done[i * pr->nroles + t->role->id] && t->kind != RT_TASK_META)
        continue; /* the role already ran on this host */
      if (t->kind == RT_TASK_META) {
        /* _execute_meta sends the task start per host (the callback drops
         * implicit tasks'); an action for every host runs once */
        if (!t->implicit) {
          char *name = task_name(h, x);
          rt_out_task(run, t, name);
          free(name);
        }
        if (meta_on(pr, h, x))
          break;
        continue;
      }
      if (pr->step && !asked) { /* once per task, for every host */
        asked = true;
        if (!take_step(pr, t, NULL)) {
          nb = 0;
          break;
        }
      }
      if (!banner) {
        char *name = task_name(h, x);
        rt_out_task(run, t, name);
        free(name);
        banner = true;
      }
      batch[nb++] = h;
      if (task_flag(h, x, RT_TK_ANY_ERRORS_FATAL))
        any_errors_fatal = true;
      if (task_flag(h, x, RT_TK_RUN_ONCE))
        break;
    }
    if (nb == 0)
      continue;
    int throttle = 0;
    if (!task_flag(batch[0], x, RT_TK_RUN_ONCE) && !task_throttle(batch[0], x, &throttle))
      break;
    for (int i = 0; i < nb; i++)
      set_rescuable(pr, batch[i]);
    Round r = {pr, x};
    run_parallel(run, batch, nb, throttle, run_item_on, &r);
    if (rt_interrupted()) /* the steps in flight ended without a result */
      break;
    bool failed_now = false;
    for (int i = 0; i < nb && !run->abort_msg; i++) {
      process_result(pr, batch[i], x);
      failed_now |= batch[i]->last_status == RT_STATUS_FAILED && rt_iter_is_failed(&pr->it, batch[i]->play_index);
      failed_now |= batch[i]->last_status == RT_STATUS_UNREACHABLE && batch[i]->unreachable;
    }
    if (run->abort_msg)
      break;
    if (t->kind == RT_TASK_INCLUDE_TASKS || t->kind == RT_TASK_INCLUDE_ROLE)
      process_includes(pr, x, batch, nb);
    bool brk = false;
    if (any_errors_fatal && failed_now) {
      for (int i = 0; i < pr->n; i++) {
        if (pr->hosts[i]->unreachable)
          continue;
        RtHState *s = NULL;
        rt_iter_next(&pr->it, i, true, &s);
        s = rt_iter_active(s);
        if ((s->run_state != RT_IS_RESCUE && s->run_state != RT_IS_ALWAYS) ||
            (s->run_state == RT_IS_RESCUE && (s->fail_state & RT_FS_RESCUE))) {
          pr->hosts[i]->failed = true;
          brk = true;
        }
      }
    }
    if (pr->play->max_fail_percentage >= 0 &&
        percent_failed(pr) * 100 > pr->play->max_fail_percentage * pr->batch_size) {
      for (int i = 0; i < pr->n; i++)
        if (!pr->hosts[i]->failed) {
          pr->hosts[i]->failed = true;
          mark_failed(pr, i);
        }
      rt_out_banner(run, "NO MORE HOSTS LEFT");
      brk = true;
    }
    if (brk) {
      pr->break_play = true;
      int left = 0, failed = 0;
      for (int i = 0; i < pr->n; i++) {
        left += !pr->hosts[i]->unreachable;
        failed += pr->hosts[i]->failed && !pr->hosts[i]->unreachable;
      }
      if (failed >= left) {
        rt_out_banner(run, "NO MORE HOSTS LEFT");
        break;
      }
    }
  }
  publish_hosts(pr, NULL);
  free(selected);
  free(batch);
}

/* ---- the free strategy ------------------------------------------------------------------ */

enum { STRATEGY_LINEAR, STRATEGY_FREE, STRATEGY_HOST_PINNED, STRATEGY_OTHER };

static int strategy_named(const char *s) {
  if (!s || !*s)
    return STRATEGY_LINEAR;
  if (!strncmp(s, "ansible.builtin.", 16))
    s += 16;
  return !strcmp(s, "linear") ? STRATEGY_LINEAR
         : !strcmp(s, "free") ? STRATEGY_FREE
         : !strcmp(s, "host_pinned") ? STRATEGY_HOST_PINNED
                                     : STRATEGY_OTHER;
}

/* The play's strategy: its keyword, else DEFAULT_STRATEGY (ansible.cfg,
 * ANSIBLE_STRATEGY), else linear. */
static int play_strategy(const RtPlayDef *play) {
  return strategy_named(play->strategy ? play->strategy : rt_config_str(RT_CFG_STRATEGY));
}

/* The free strategy's workers: one thread per (host, task) in flight, at
 * most `forks` of them (throttle: fewer for that task); each reports its
 * host on the done list when its task ends. */
typedef struct FreePool {
  PlayRun *pr;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int *done; /* play indexes whose task ended, not yet processed */
  int ndone;
  int running;
} FreePool;

typedef struct FreeJob {
  FreePool *pool;
  RtHost *h;
  RtItem *x;
} FreeJob;

static void *free_worker(void *p) {
  FreeJob *j = p;
  Round r = {j->pool->pr, j->x};
  if (!rt_interrupted())
    run_item_on(j->h, &r);
  pthread_mutex_lock(&j->pool->mu);
  j->pool->done[j->pool->ndone++] = j->h->play_index;
  pthread_cond_signal(&j->pool->cv);
  pthread_mutex_unlock(&j->pool->mu);
  return NULL;
}

/* Whether a task stopped the run (abort_msg): under the free strategy the
 * scheduler asks while hosts' threads may set it (under out_lock). */
static bool run_aborted(RtRun *run) {
  rt_out_lock(run);
  bool a = run->abort_msg != NULL;
  pthread_mutex_unlock(&run->out_lock);
  return a;
}

/* A warning of the free strategy, once a run (Display shows each once). */
static void free_warn(RtRun *run, unsigned bit, const char *msg) {
  if (run->free_warned & bit)
    return;
  run->free_warned |= bit;
  rt_out_warning(run, "%s", msg);
}

/* One play with the free strategy (strategy/free.py): each host goes
 * through its own tasks as fast as it can; the scheduler's thread walks
 * the hosts round-robin from where it stopped, starts the next task of
 * every host that is not busy (up to `forks` at once, a task's throttle
 * counting the hosts running that same task), then processes the results
 * that came in. Meta tasks run on the scheduler's thread. run_once runs on
 * every host and any_errors_fatal and max_fail_percentage do nothing, with
 * Ansible's warnings. Results print as they come, each after a TASK banner
 * when its task is not the last one announced (the default callback's
 * _last_task_banner). */
static void free_play(PlayRun *pr, bool pinned) {
  RtRun *run = pr->run;
  int n = pr->n, last = 0;
  FreePool pool = {0};
  pool.pr = pr;
  pool.done = rt_xcalloc((size_t)n + 1, sizeof *pool.done);
  pthread_mutex_init(&pool.mu, NULL);
  pthread_cond_init(&pool.cv, NULL);
  FreeJob *jobs = rt_xcalloc((size_t)n + 1, sizeof *jobs);
  pthread_t *threads = rt_xcalloc((size_t)n + 1, sizeof *threads);
  bool *busy = rt_xcalloc((size_t)n + 1, sizeof *busy);
  if (pr->play->max_fail_percentage >= 0)
    free_warn(run, 4, "Using max_fail_percentage with the free strategy is not supported, as tasks are executed "
                      "independently on each host");
  run->lazy_banners = true;
  run->last_banner = NULL;
  for (;;) {
    publish_hosts(pr, busy);
    progress_count(pr, busy);
    int left = 0;
    for (int i = 0; i < n; i++)
      left += !pr->hosts[i]->unreachable;
    if (left == 0) {
      rt_out_banner(run, "NO MORE HOSTS LEFT");
      break;
    }
    bool work = false, started = false;
    int start = last;
    while (!rt_interrupted() && !run_aborted(run)) {
      RtHost *h = pr->hosts[last];
      bool advance = true;
      if (!h->unreachable && busy[last]) {
        work = true;
      } else if (!h->unreachable) {
        RtHState *st = NULL;
        RtItem *x = rt_iter_next(&pr->it, last, true, &st);
        if (x) {
          work = true;
          int throttle = 0;
          if (!task_throttle(h, x, &throttle))
            break;
          int same = 0;
          for (int i = 0; i < n; i++)
            same += busy[i] && jobs[i].x == x;
          if (throttle > 0 && same >= throttle)
            break;
          if (pool.running >= run->opt.forks) { /* host_pinned: the scan starts again where it began */
            if (pinned)
              last = start;
            break;
          }
          pr->it.states[last] = st;
          const RtTaskDef *t = x->task;
          if (!t->handler && t->role && !t->role->allow_duplicates &&
              pr->role_done[last * pr->nroles + t->role->id] && t->kind != RT_TASK_META) {
            advance = false; /* the role already ran here: look at this host's next task */
          } else if (t->kind == RT_TASK_META) {
            meta_on(pr, h, x);
          } else if (pr->step && !take_step(pr, t, h->name)) {
            /* --step: not on this host (its state has moved past the task) */
          } else {
            if (task_flag(h, x, RT_TK_RUN_ONCE))
              free_warn(run, 1, "Using run_once with the free strategy is not currently supported. This task "
                                  "will still be executed for every host in the inventory list.");
            if (task_flag(h, x, RT_TK_ANY_ERRORS_FATAL))
              free_warn(run, 2, "Using any_errors_fatal with the free strategy is not supported, as tasks are "
                                  "executed independently on each host");
            char *name = task_name(h, x);
            free(h->banner_text);
            h->banner_text = rt_out_task_banner(t, name);
            rt_report_task(run, t, name); /* v2_playbook_on_task_start: per host under free */
            free(name);
            h->banner_item = x;
            busy[last] = true;
            jobs[last] = (FreeJob){&pool, h, x};
            set_rescuable(pr, h);
            pthread_mutex_lock(&pool.mu);
            pool.running++;
            pthread_mutex_unlock(&pool.mu);
            if (pthread_create(&threads[last], NULL, free_worker, &jobs[last]) != 0)
              rt_panic(__FILE__, __LINE__, "pthread_create");
            started = true;
          }
        }
      }
      if (!advance)
        continue;
      last = (last + 1) % n;
      if (last == start)
        break;
    }
    /* the results that came in: wait for one when nothing else can start */
    pthread_mutex_lock(&pool.mu);
    while (pool.ndone == 0 && pool.running > 0 && (!started || pool.running >= run->opt.forks))
      pthread_cond_wait(&pool.cv, &pool.mu);
    int nd = pool.ndone;
    int *done = rt_xcalloc((size_t)nd + 1, sizeof *done);
    memcpy(done, pool.done, sizeof *done * (size_t)nd);
    pool.ndone = 0;
    pool.running -= nd;
    pthread_mutex_unlock(&pool.mu);
    for (int k = 0; k < nd; k++) {
      int i = done[k];
      RtHost *h = pr->hosts[i];
      pthread_join(threads[i], NULL);
      busy[i] = false;
      if (rt_interrupted() || run_aborted(run))
        continue;
      RtItem *x = jobs[i].x;
      process_result(pr, h, x);
      if (x->task->kind == RT_TASK_INCLUDE_TASKS || x->task->kind == RT_TASK_INCLUDE_ROLE)
        process_includes(pr, x, &h, 1);
    }
    free(done);
    if (rt_interrupted() || run_aborted(run) || (!work && pool.running == 0))
      break;
  }
  /* an interrupt or an error: the tasks in flight end without a result */
  for (int i = 0; i < n; i++)
    if (busy[i])
      pthread_join(threads[i], NULL);
  publish_hosts(pr, NULL);
  run->lazy_banners = false;
  pthread_mutex_destroy(&pool.mu);
  pthread_cond_destroy(&pool.cv);
  free(pool.done);
  free(jobs);
  free(threads);
  free(busy);
}

/* ---- plays ---------------------------------------------------------------------------------- */

static int cmp_name(const void *a, const void *b) {
  return strcmp((*(RtHost *const *)a)->name, (*(RtHost *const *)b)->name);
}

/* The play's hosts in its `order`. */
static void play_order(const RtPlayDef *play, RtHost **hosts, int n) {
  const char *o = play->order ? play->order : "inventory";
  if (!strcmp(o, "sorted") || !strcmp(o, "reverse_sorted"))
    qsort(hosts, (size_t)n, sizeof *hosts, cmp_name);
  if (!strcmp(o, "reverse_inventory") || !strcmp(o, "reverse_sorted"))
    for (int i = 0; i < n / 2; i++) {
      RtHost *t = hosts[i];
      hosts[i] = hosts[n - 1 - i];
      hosts[n - 1 - i] = t;
    }
  if (!strcmp(o, "shuffle"))
    for (int i = n - 1; i > 0; i--) {
      int j = rand() % (i + 1);
      RtHost *t = hosts[i];
      hosts[i] = hosts[j];
      hosts[j] = t;
    }
}

/* Reads one line from stdin (a terminal), without echo when `private` (the
 * answer is malloc'd; NULL at end of input). */
static char *read_answer(const char *prompt, bool private) {
  struct termios old, quiet;
  bool restore = false;
  if (private && tcgetattr(0, &old) == 0) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    restore = tcsetattr(0, TCSAFLUSH, &quiet) == 0;
  }
  fputs(prompt, stdout);
  fflush(stdout);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (restore) {
    tcsetattr(0, TCSAFLUSH, &old);
    fputc('\n', stdout);
  }
  if (n < 0) {
    free(line);
    return NULL;
  }
  if (n > 0 && line[n - 1] == '\n')
    line[n - 1] = 0;
  return line;
}

/* --step (StrategyBase._take_step): asks whether to run task `t`; "c"
 * answers yes and turns step mode off for the rest of the play's batch (a
 * new strategy object asks again). The question is then repeated as a
 * banner, as Ansible's. End of input answers no. */
static bool take_step(PlayRun *pr, const RtTaskDef *t, const char *host) {
  RtRun *run = pr->run;
  char *name = rt_task_get_name(t);
  char *msg = host ? rt_xasprintf("Perform task: TASK: %s on %s (N)o/(y)es/(c)ontinue:", name, host)
                   : rt_xasprintf("Perform task: TASK: %s (N)o/(y)es/(c)ontinue:", name);
  free(name);
  rt_out_lock(run);
  char *prompt = rt_xasprintf("%s ", msg);
  char *answer = read_answer(prompt, false);
  free(prompt);
  bool yes = false;
  if (answer && (!strcasecmp(answer, "y") || !strcasecmp(answer, "yes"))) {
    yes = true;
  } else if (answer && (!strcasecmp(answer, "c") || !strcasecmp(answer, "continue"))) {
    yes = true;
    pr->step = false;
  }
  free(answer);
  pthread_mutex_unlock(&run->out_lock);
  rt_out_banner(run, msg);
  free(msg);
  return yes;
}

/* vars_prompt: each answer (or its default) for the play; a name given with
 * -e is not asked. False after an error (no terminal and no default). */
static bool prompts(RtRun *run, const RtPlayDef *play, RtHost *first) {
  rt_decref(run->prompts);
  run->prompts = NULL;
  for (int32_t i = 0; i < play->nprompts; i++) {
    const RtVarDef *d = &play->prompts[i];
    if (run->extra_vars && rt_dict_get(run->extra_vars, d->name))
      continue;
    first->task = NULL;
    RtValue *spec = d->value(first);
    RtValue *pv = rt_kind(spec) == RT_DICT ? rt_dict_get(spec, "prompt") : NULL;
    RtValue *dv = rt_kind(spec) == RT_DICT ? rt_dict_get(spec, "default") : NULL;
    RtValue *priv = rt_kind(spec) == RT_DICT ? rt_dict_get(spec, "private") : NULL;
    RtBuf prompt = {0}, def = {0};
    if (pv)
      rt_render_str(&prompt, pv);
    else
      rt_buf_puts(&prompt, d->name);
    if (dv && rt_kind(dv) != RT_NONE)
      rt_render_str(&def, dv);
    if (def.data && pv)
      rt_buf_printf(&prompt, " [%s]", def.data);
    rt_buf_puts(&prompt, ": ");
    if (!pv) {
      rt_buf_free(&prompt);
      rt_buf_printf(&prompt, "input for %s: ", d->name);
    }
    char *answer = NULL;
    if (isatty(0))
      answer = read_answer(prompt.data, !priv || rt_to_boolean(priv) != 0);
    else if (!run->prompt_warned) /* Display.warning shows the same text once per process */
      rt_out_warning(run, "Not prompting as we are not in interactive mode");
    run->prompt_warned |= !isatty(0);
    rt_decref(spec);
    if (!answer && !def.data) { /* Ansible would go on with None: playc stops, saying why */
      rt_out_error("vars_prompt: no terminal to ask for '%s' and no default (give it with -e %s=...)", d->name,
                   d->name);
      rt_buf_free(&prompt);
      return false;
    }
    if (!answer || (!*answer && def.data)) {
      free(answer);
      answer = rt_xstrdup(def.data ? def.data : "");
    }
    if (!run->prompts)
      run->prompts = rt_dict_new(4);
    rt_dict_set(run->prompts, d->name, rt_str_take(answer, strlen(answer)));
    rt_buf_free(&prompt);
    rt_buf_free(&def);
  }
  return true;
}

/* Returns false when the playbook must stop (every host of the play failed,
 * or any_errors_fatal / max_fail_percentage broke it, or end_play... no:
 * end_play ends this play only). */
int *rt_play_hosts(RtRun *run, const RtPlayDef *play, int *count) {
  if (strstr(play->hosts, "localhost"))
    implicit_localhost(run);
  hosts_grow(run);
  rt_inventory_finish(&run->inv);
  int n = 0;
  int *idx = rt_inventory_match(&run->inv, play->hosts, &n);
  if (run->opt.limit) { /* keep the play's order, in linear time */
    int nl = 0, k = 0;
    int *lim = rt_inventory_match(&run->inv, run->opt.limit, &nl);
    bool *in = rt_xcalloc((size_t)run->inv.nhosts + 1, sizeof *in);
    for (int j = 0; j < nl; j++)
      in[lim[j]] = true;
    for (int i = 0; i < n; i++)
      if (in[idx[i]])
        idx[k++] = idx[i];
    n = k;
    free(in);
    free(lim);
  }
  *count = n;
  return idx;
}

/* pct_to_int: a serial item as a number of hosts out of `n` ("30%" of n,
 * at least 1); false after setting the run's abort message when the item
 * is no integer (Python's int() refuses it). */
static bool serial_item(RtRun *run, const RtValue *v, int n, int *out) {
  switch (rt_kind(v)) {
  case RT_BOOL:
    *out = v->u.b;
    return true;
  case RT_INT:
    *out = v->u.i > INT32_MAX ? INT32_MAX : v->u.i < INT32_MIN ? INT32_MIN : (int)v->u.i;
    return true;
  case RT_FLOAT:
    *out = v->u.f >= INT32_MAX ? INT32_MAX : v->u.f <= INT32_MIN ? INT32_MIN : (int)v->u.f;
    return true;
  case RT_STR: {
    const char *str = v->u.str.s;
    size_t len = v->u.str.len;
    bool pct = len > 0 && str[len - 1] == '%';
    char *end = NULL;
    long x = strtol(str, &end, 10);
    while (end && (*end == ' ' || *end == '\t'))
      end++;
    if (end != str && end == str + len - pct && x > INT32_MIN && x < INT32_MAX) {
      int k = pct ? (int)((double)x / 100.0 * n) : (int)x;
      *out = pct && k == 0 ? 1 : k;
      return true;
    }
    if (!run->abort_msg)
      run->abort_msg = rt_xasprintf("Unexpected Exception, this is probably a bug: invalid literal for int() "
                                    "with base 10: '%.*s'",
                                    (int)(len - pct), str);
    return false;
  }
  default:
    if (!run->abort_msg)
      run->abort_msg = rt_xasprintf("Unexpected Exception, this is probably a bug: int() argument must be a "
                                    "string, a bytes-like object or a real number, not '%s'",
                                    rt_kind(v) == RT_DICT ? "dict" : rt_kind(v) == RT_LIST ? "list" : "NoneType");
    return false;
  }
}

/* _get_serialized_batches: the sizes of the play's batches over its `n`
 * hosts (serial templated with the play's vars through host `first`; each
 * item in turn, the last one repeating; an item <= 0 takes every host
 * left). Returns the sizes (malloc'd) and their count in *nb, or NULL after
 * an error (the run's abort message). */
static int *serial_batches(RtRun *run, const RtPlayDef *play, RtHost *first, int n, int *nb) {
  int *sizes = rt_xcalloc((size_t)n + 1, sizeof *sizes);
  *nb = 0;
  int nitems = 0, *items = NULL;
  if (play->serial && first) {
    first->task = NULL;
    first->inc = NULL;
    RtValue *v = play->serial(first);
    if (rt_is_error(v)) {
      RtBuf b = {0};
      rt_render_str(&b, v);
      if (!run->abort_msg)
        run->abort_msg = rt_xasprintf("serial: %s", b.data ? b.data : "error");
      rt_buf_free(&b);
      rt_decref(v);
      free(sizes);
      return NULL;
    }
    bool list = rt_kind(v) == RT_LIST;
    size_t len = list ? rt_len(v) : rt_kind(v) == RT_NONE ? 0 : 1;
    items = rt_xcalloc(len + 1, sizeof *items);
    for (size_t i = 0; i < len; i++)
      if (!serial_item(run, list ? rt_list_at(v, i) : v, n, &items[nitems++])) {
        rt_decref(v);
        free(items);
        free(sizes);
        return NULL;
      }
    rt_decref(v);
  }
  int left = n, cur = 0;
  while (left > 0) {
    int size = nitems ? items[cur] : -1;
    if (size <= 0) {
      sizes[(*nb)++] = left;
      break;
    }
    size = size < left ? size : left;
    sizes[(*nb)++] = size;
    left -= size;
    if (cur < nitems - 1)
      cur++;
  }
  free(items);
  return sizes;
}

/* The playbook-level outcome of one batch (PlaybookExecutor.run). */
typedef enum BatchEnd {
  BATCH_NEXT,     /* go on with the next batch */
  BATCH_END_PLAY, /* meta: end_play: no more batches, the next play runs */
  BATCH_BREAK,    /* the batch's hosts all failed: the playbook stops */
} BatchEnd;

/* One batch of a play (TaskQueueManager.run): the play banner, then the
 * play's sections on the batch's hosts `bh` (the hosts that failed before
 * stay in the batch but do not run). Sets *brk when any_errors_fatal or
 * max_fail_percentage broke the play (RUN_FAILED_BREAK_PLAY). */
static BatchEnd run_batch(RtRun *run, const RtPlayDef *play, RtHost **bh, int bn, bool *brk) {
  PlayRun pr = {0};
  pr.run = run;
  pr.play = play;
  pr.batch_size = bn;
  pr.hosts = rt_xcalloc((size_t)bn + 1, sizeof *pr.hosts);
  /* the batch keeps the hosts that failed before: TQM.run marks them
   * failed (they are in the play's _removed_hosts) and they do not run */
  memset(run->play_removed, 0, sizeof *run->play_removed * (size_t)run->inv.nhosts);
  for (int i = 0; i < run->nhosts_alloc; i++)
    if (run->hosts[i] && (run->hosts[i]->failed || run->hosts[i]->unreachable))
      run->play_removed[i] = 1;
  free(run->play_batch);
  run->play_batch = rt_xcalloc((size_t)bn + 1, sizeof *run->play_batch);
  run->nplay_batch = bn;
  for (int i = 0; i < bn; i++) {
    run->play_batch[i] = bh[i]->index;
    if (!bh[i]->failed && !bh[i]->unreachable)
      pr.hosts[pr.n++] = bh[i];
  }
  rt_out_play(run, play);
  if (pr.n == 0) { /* every host failed before: the banner alone */
    free(pr.hosts);
    return BATCH_NEXT;
  }
  pr.nroles = run->prog->nroles > 0 ? run->prog->nroles : 1;
  pr.role_ran = rt_xcalloc((size_t)pr.n * (size_t)pr.nroles + 1, 1);
  pr.role_done = rt_xcalloc((size_t)pr.n * (size_t)pr.nroles + 1, 1);
  for (int i = 0; i < pr.n; i++) {
    RtHost *h = pr.hosts[i];
    h->play_index = i;
    h->processed = true;
    h->task = NULL;
    h->inc = NULL;
  }
  /* DEFAULT_GATHERING (PlayIterator): implicit gathers unless told not to,
   * explicit only when told to, smart as implicit for hosts whose facts
   * were not gathered yet */
  const char *gathering = rt_config_str(RT_CFG_GATHERING);
  bool gather = play->gather_facts == RT_GATHER_UNSET ? strcmp(gathering, "explicit") != 0 : play->gather_facts == 1;
  rt_iter_init(&pr.it, run, play, pr.n, gather);
  if (!strcmp(gathering, "smart")) { /* facts gathered before (this run or cached): not again */
    pr.it.skip_gather = rt_arena_alloc(&pr.it.arena, (size_t)pr.n + 1);
    for (int i = 0; i < pr.n; i++)
      pr.it.skip_gather[i] = rt_factcache_gathered(pr.hosts[i]);
  }
  if (run->opt.start_at_task && !run->start_at_done) {
    if (rt_iter_start_at(&pr.it, run->opt.start_at_task))
      run->start_at_done = true; /* later plays and batches start at their beginning */
    else
      for (int i = 0; i < pr.n; i++) /* nothing runs: not in the recap (no play before ran either) */
        pr.hosts[i]->processed = false;
  }
  pr.step = run->opt.step;
  run->end_play = false;
  run->play = &pr;
  pr.free = play_strategy(play) != STRATEGY_LINEAR;
  rt_progress_play(run, play->name[0] ? play->name : play->hosts, pr.hosts, pr.n);
  if (pr.free)
    free_play(&pr, play_strategy(play) == STRATEGY_HOST_PINNED);
  else
    linear(&pr);
  rt_progress_play(run, NULL, NULL, 0);
  /* TaskQueueManager.run re-saves iterator.get_failed_hosts() after the play:
   * a host that failed in a block whose always ran (or in a force_handlers
   * play) is failed though its state completed after the failure */
  for (int i = 0; i < pr.n && !rt_interrupted(); i++) {
    if (!pr.hosts[i]->unreachable) /* StrategyBase.run: one more pass, to the final state */
      rt_iter_next(&pr.it, i, false, NULL);
    if (rt_iter_is_failed(&pr.it, i))
      pr.hosts[i]->failed = true;
  }
  run->play = NULL;
  /* "if len(batch) == failed_hosts_count": the batch counts the hosts that
   * failed before, the count only this batch's failures and unreachables */
  int failed_now = 0;
  for (int i = 0; i < pr.n; i++)
    failed_now += pr.hosts[i]->failed + pr.hosts[i]->unreachable;
  for (int i = 0; i < pr.n; i++) {
    pr.hosts[i]->task = NULL;
    pr.hosts[i]->inc = NULL;
    pr.hosts[i]->play_index = -1;
  }
  *brk |= pr.break_play;
  for (size_t i = 0; i < pr.nparams; i++)
    rt_decref(pr.params[i]);
  free(pr.params);
  rt_iter_free(&pr.it);
  free(pr.hosts);
  free(pr.role_ran);
  free(pr.role_done);
  if (run->end_play)
    return BATCH_END_PLAY;
  return failed_now == bn ? BATCH_BREAK : BATCH_NEXT;
}

/* One play: its hosts in its order, cut into serial batches, each run as
 * a play of its own (PlaybookExecutor.run). Returns false when the
 * playbook must stop: a batch whose hosts all failed, any_errors_fatal or
 * max_fail_percentage, a failed prompt or an error. */
static bool run_play(RtRun *run, const RtPlayDef *play) {
  char *vault_err = rt_vault_play_check(run, play); /* encrypted vars files load when the play starts */
  if (vault_err) {
    run->abort_msg = vault_err;
    return false;
  }
  if (run->vars_error) { /* the hosts' group_vars/host_vars load once the play has started */
    rt_out_play(run, play);
    run->abort_msg = run->vars_error;
    run->vars_error = NULL;
    run->abort_rc = 4;
    return false;
  }
  int n = 0;
  int *idx = rt_play_hosts(run, play, &n);
  RtHost **hosts = rt_xcalloc((size_t)n + 1, sizeof *hosts);
  for (int i = 0; i < n; i++)
    hosts[i] = host_get(run, idx[i]);
  free(idx);
  play_order(play, hosts, n);
  RtHost *first = NULL; /* the first host that runs: prompts and serial are templated with it */
  for (int i = 0; i < n && !first; i++)
    if (!hosts[i]->failed && !hosts[i]->unreachable)
      first = hosts[i];
  free(run->play_removed);
  run->play_removed = rt_xcalloc((size_t)run->inv.nhosts + 1, sizeof *run->play_removed);
  free(run->play_all);
  run->play_all = rt_inventory_match(&run->inv, play->hosts, &run->nplay_all);
  free(run->public_roles);
  run->public_roles = rt_xcalloc((size_t)run->prog->nroles + 1, 1);
  rt_decref(run->play_role_names);
  rt_decref(run->play_dep_names);
  run->play_role_names = rt_list_new(4);
  run->play_dep_names = rt_list_new(4);
  for (int i = 0; play->role_names && play->role_names[i]; i++)
    rt_list_push(run->play_role_names, rt_strz(play->role_names[i]));
  for (int i = 0; play->dep_role_names && play->dep_role_names[i]; i++)
    rt_list_push(run->play_dep_names, rt_strz(play->dep_role_names[i]));
  if (first && !prompts(run, play, first)) {
    free(hosts);
    run->failed_prompt = true;
    return false;
  }
  if (n == 0) {
    rt_out_play(run, play);
    rt_out_skip_line(run, "skipping: no hosts matched");
    free(hosts);
    return true;
  }
  for (int i = 0; i < n; i++) {
    RtHost *h = hosts[i];
    if (h->failed || h->unreachable)
      continue;
    h->play = play;
    free(h->vars_files); /* a new play: its vars_files are chosen afresh */
    h->vars_files = NULL;
    rt_host_clear_level(h, RT_LV_VARS_FILES);
    h->conn_type = play->connection ? play->connection : run->opt.connection;
    h->task = NULL;
    h->inc = NULL;
  }
  int nb = 0;
  int *sizes = serial_batches(run, play, first, n, &nb);
  bool brk = false, stop = !sizes;
  for (int b = 0, off = 0; sizes && b < nb && !rt_interrupted() && !run->abort_msg; off += sizes[b++]) {
    run->batch_index = b;
    BatchEnd e = run_batch(run, play, hosts + off, sizes[b], &brk);
    if (e == BATCH_END_PLAY)
      break;
    if (e == BATCH_BREAK) {
      stop = true;
      break;
    }
  }
  free(sizes);
  free(hosts);
  return !stop && !brk;
}

static void close_hosts(RtRun *run) {
  for (int i = 0; i < run->nhosts_alloc; i++) {
    RtHost *h = run->hosts[i];
    if (!h)
      continue;
    rt_host_close(h); /* removes the temp files a stopped request left */
    for (int l = 0; l < RT_LV_COUNT; l++)
      rt_decref(h->dyn[l]);
    rt_host_drop_publish(h);
    rt_decref(h->result);
    rt_decref(h->results);
    rt_decref(h->last_result);
    free(h->incl);
    free(h->vars_files);
    free(h->unreachable_msg);
    free(h->conn_kw_user);
    free(h->delegate_label); /* set when a run stopped inside a delegated task */
    free(h->banner_text);
    free(h->env);
    free(h);
  }
  free(run->hosts);
  run->hosts = NULL;
  free(run->play_all);
  free(run->play_batch);
  free(run->play_removed);
  free(run->public_roles);
  run->play_all = run->play_batch = run->play_removed = NULL;
  run->public_roles = NULL;
  rt_decref(run->play_role_names);
  rt_decref(run->play_dep_names);
  run->play_role_names = run->play_dep_names = NULL;
}

/* DEFAULT_STRATEGY: the strategy of the plays that name none; one playc
 * lacks stops the run before it starts (exit 1, as ansible-playbook's
 * errors) rather than running the plays differently. */
static bool strategy_env_ok(RtRun *run) {
  const char *env = rt_config_str(RT_CFG_STRATEGY);
  if (strategy_named(env) != STRATEGY_OTHER)
    return true;
  for (int32_t p = 0; p < run->prog->nplays; p++)
    if (!run->prog->plays[p].strategy) {
      run->abort_msg = rt_xasprintf("Invalid play strategy specified: %s (playc runs linear, free and "
                                    "host_pinned)",
                                    env);
      return false;
    }
  return true;
}

int rt_run(RtRun *run) {
  pthread_mutex_init(&run->out_lock, NULL);
  pthread_mutex_init(&run->inbox_lock, NULL);
  strategy_env_ok(run);
  rt_progress_start(run);
  for (int32_t p = 0; p < run->prog->nplays && !rt_interrupted() && !run->abort_msg; p++)
    if (!run_play(run, &run->prog->plays[p]))
      break;
  rt_progress_stop(run);
  if (run->abort_msg) { /* an error that stops ansible-playbook: no recap, exit 1 */
    fflush(stdout);
    rt_out_error("%s", run->abort_msg);
    free(run->abort_msg);
    run->abort_msg = NULL;
    close_hosts(run);
    rt_decref(run->prompts);
    run->prompts = NULL;
    return run->abort_rc ? run->abort_rc : 1;
  }
  if (rt_interrupted()) { /* ansible-playbook's words; then the recap of what finished */
    fflush(stdout);
    fputs("\n [ERROR]: User interrupted execution\n", stderr);
    fflush(stderr);
    rt_out_recap(run);
    close_hosts(run);
    rt_decref(run->prompts);
    run->prompts = NULL;
    return 99;
  }
  rt_out_recap(run);
  if (run->opt.start_at_task && !run->start_at_done) {
    char *msg = rt_xasprintf("No matching task \"%s\" found. Note: --start-at-task can only follow static "
                             "includes.", run->opt.start_at_task);
    rt_out_error_wrapped(run, msg);
    free(msg);
  }
  bool failed = false, unreachable = false;
  for (int i = 0; i < run->nhosts_alloc; i++) {
    RtHost *h = run->hosts[i];
    if (h && h->unreachable)
      unreachable = true;
    if (h && h->failed)
      failed = true;
  }
  close_hosts(run);
  rt_decref(run->prompts);
  run->prompts = NULL;
  if (run->failed_prompt)
    return 1;
  return unreachable ? 4 : failed ? 2 : 0;
}
