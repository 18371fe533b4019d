/*
 * run.c — the scheduler: plays in order, the linear strategy (every task runs
 * on every remaining host before the next task starts), `forks` worker
 * threads per task, fact gathering, and the exit code.
 *
 * A host's RtHost (and so its connection) is touched by one worker at a time:
 * workers take host indexes from a shared counter. Hosts persist across plays
 * (facts and registered vars survive), and a host that failed or became
 * unreachable is left out of later tasks and plays, as Ansible does.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

static RtHost *host_get(RtRun *run, int i) {
  if (!run->hosts[i]) {
    RtHost *h = rt_xcalloc(1, sizeof *h);
    h->run = run;
    h->index = i;
    h->name = run->inv.hosts[i].name;
    h->loop_index = -1;
    h->layers[RT_VL_HOST] = rt_inventory_host_vars(&run->inv, i);
    h->layers[RT_VL_EXTRA] = run->extra_vars ? rt_incref(run->extra_vars) : NULL;
    run->hosts[i] = h;
  }
  return run->hosts[i];
}

/* Play vars: eager values built once per host, lazy ones stored as thunks. */
static void host_enter_play(RtHost *h, const RtPlayDef *play) {
  h->play = play;
  h->processed = true;
  h->conn_type = play->connection ? play->connection : h->run->opt.connection;
  rt_decref(h->layers[RT_VL_PLAY]);
  h->layers[RT_VL_PLAY] = NULL;
  for (int32_t v = 0; v < play->nvars; v++) {
    const RtVarDef *vd = &play->vars[v];
    RtValue *val = vd->lazy ? rt_thunk(vd->value, vd->name) : vd->value(h);
    rt_host_set_var(h, RT_VL_PLAY, vd->name, val);
  }
}

typedef struct Work {
  RtRun *run;
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
    if (i >= w->n)
      return NULL;
    w->fn(w->hosts[i], w->arg);
  }
}

/* Runs fn on every host with up to `forks` threads; returns when all are done. */
static void run_parallel(RtRun *run, RtHost **hosts, int n, void (*fn)(RtHost *, void *),
                         void *arg) {
  Work w = {run, hosts, n, 0, fn, arg};
  int nt = run->opt.forks < n ? run->opt.forks : n;
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

static void run_task_on(RtHost *h, void *arg) {
  const RtTaskDef *t = arg;
  t->run(h, t);
}

/* The "Gathering Facts" task: the setup module, facts merged as Ansible
 * injects them (ansible_facts, and each as a top-level ansible_* var). */
static void gather_on(RtHost *h, void *arg) {
  const RtTaskDef *t = arg;
  RtValue *args = rt_dict_new(0);
  if (!rt_step_run(h, t, args)) {
    rt_task_finish(h, t);
    return;
  }
  RtValue *facts = h->result ? rt_dict_get(h->result, "ansible_facts") : NULL;
  if (facts && rt_kind(facts) == RT_DICT) {
    for (size_t i = 0; i < facts->u.dict.len; i++)
      rt_host_set_fact(h, facts->u.dict.ents[i].key->u.str.s, rt_incref(facts->u.dict.ents[i].val));
    rt_host_set_fact(h, "ansible_facts", rt_incref(facts));
  }
  rt_task_finish(h, t);
}

/* Hosts of the play still running: not failed, not unreachable. */
static int active_hosts(RtHost **all, int n, RtHost **out) {
  int k = 0;
  for (int i = 0; i < n; i++)
    if (!all[i]->failed && !all[i]->unreachable)
      out[k++] = all[i];
  return k;
}

/* Returns false when every host of the play failed (later plays do not run). */
static bool run_play(RtRun *run, const RtPlayDef *play) {
  if (strstr(play->hosts, "localhost"))
    rt_inventory_implicit_localhost(&run->inv);
  if (run->inv.nhosts > run->nhosts_alloc) {
    run->hosts = rt_xrealloc(run->hosts, sizeof *run->hosts * (size_t)run->inv.nhosts);
    for (int i = run->nhosts_alloc; i < run->inv.nhosts; i++)
      run->hosts[i] = NULL;
    run->nhosts_alloc = run->inv.nhosts;
  }
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
  RtHost **hosts = rt_xcalloc((size_t)n + 1, sizeof *hosts), **act = rt_xcalloc((size_t)n + 1, sizeof *act);
  int nh = 0;
  for (int i = 0; i < n; i++) {
    RtHost *h = host_get(run, idx[i]);
    if (!h->failed && !h->unreachable)
      hosts[nh++] = h;
  }
  free(idx);
  rt_out_play(run, play);
  if (nh == 0) {
    pthread_mutex_lock(&run->out_lock);
    printf("skipping: no hosts matched\n");
    fflush(stdout);
    pthread_mutex_unlock(&run->out_lock);
    free(hosts);
    free(act);
    return true;
  }
  for (int i = 0; i < nh; i++)
    host_enter_play(hosts[i], play);
  bool alive = true;
  if (play->gather_facts) {
    RtTaskDef gt = {0};
    gt.id = -1;
    gt.name = "Gathering Facts";
    gt.action = "gather_facts";
    gt.module = mod_schema_find("setup");
    gt.loc = play->loc;
    rt_out_task(run, gt.name);
    run_parallel(run, hosts, nh, gather_on, &gt);
  }
  for (int32_t ti = 0; ti < play->ntasks; ti++) {
    const RtTaskDef *t = &play->tasks[ti];
    int na = active_hosts(hosts, nh, act);
    if (na == 0) {
      alive = false;
      break;
    }
    rt_out_task(run, t->name[0] ? t->name : t->action);
    run_parallel(run, act, na, run_task_on, (void *)t);
  }
  /* Every host of the play failed: the playbook stops here. ansible-playbook's
   * linear strategy prints no banner for this (NO MORE HOSTS LEFT belongs to
   * any_errors_fatal and max_fail_percentage). */
  if (active_hosts(hosts, nh, act) == 0)
    alive = false;
  free(hosts);
  free(act);
  return alive;
}

static void close_hosts(RtRun *run) {
  for (int i = 0; i < run->nhosts_alloc; i++) {
    RtHost *h = run->hosts[i];
    if (!h)
      continue;
    if (h->conn)
      h->conn->ops->close(h->conn);
    for (int l = 0; l < RT_VL_COUNT; l++)
      rt_decref(h->layers[l]);
    rt_decref(h->result);
    rt_decref(h->results);
    free(h->unreachable_msg);
    free(h);
  }
  free(run->hosts);
  run->hosts = NULL;
}

int rt_run(RtRun *run) {
  pthread_mutex_init(&run->out_lock, NULL);
  for (int32_t p = 0; p < run->prog->nplays; p++)
    if (!run_play(run, &run->prog->plays[p]))
      break;
  rt_out_recap(run);
  bool failed = false, unreachable = false;
  for (int i = 0; i < run->nhosts_alloc; i++) {
    RtHost *h = run->hosts[i];
    if (h && h->unreachable)
      unreachable = true;
    if (h && h->failed)
      failed = true;
  }
  close_hosts(run);
  return unreachable ? 4 : failed ? 2 : 0;
}
