/*
 * vars.c — a host's variables at Ansible's precedence levels (playc.h
 * RtVarLevel). Static levels are the compiled frames of the running task
 * (RtScope chains: task and block vars, role params, vars and defaults, play
 * vars and vars_files); dynamic levels are dicts of the host (inventory,
 * facts, include_vars, set_fact and register, the loop variable) and of the
 * run (-e). rt_var takes the highest level that holds a name: the loop
 * variable, then the magic variables Ansible computes (inventory_hostname,
 * role_name, hostvars, ...), then the best static frame and the dynamic
 * dicts above it.
 *
 * A var whose value holds a template is evaluated at each use, as Ansible
 * templates lazily; one that reaches itself again is Ansible's "recursive
 * loop detected". A plain-data var is built once per run (its frame's cache
 * slot) and shared by every host.
 *
 * Dynamic dicts may be shared between hosts (extra vars), so they are copied
 * before the first write (copy-on-write at refs > 1).
 *
 * Cross-host reads are safe by design, without a global lock: a host's
 * layers are written only by the thread that runs it, and `hostvars` reads
 * another host's layers only through the immutable snapshot that host last
 * published (rt_host_publish, at task boundaries). The snapshot holds a
 * reference to each layer dict, so the owner's next write copies the dict
 * rather than changing what readers hold.
 */
#include "config.h"
#include "rt.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define OMIT "__omit_place_holder__3f1a7f3c0e9a5bd2d3e4c5a6b7f8091a2b3c4d5e"

/* The distinct tags of `tags` (NULL-terminated; the CLI makes a set of them,
 * first-seen order stands for its order). */
static RtValue *tag_list(const char *const *tags) {
  RtValue *l = rt_list_new(4);
  for (int i = 0; tags && tags[i]; i++) {
    bool seen = false;
    for (int j = 0; j < i && !seen; j++)
      seen = strcmp(tags[i], tags[j]) == 0;
    if (!seen)
      rt_list_push(l, rt_strz(tags[i]));
  }
  return l;
}

/* The distinct strings of lists `a` and `b` (Python's list(set(a + b));
 * first-seen order stands for the set's). */
static RtValue *distinct(const RtValue *a, const RtValue *b) {
  RtValue *out = rt_list_new(rt_len(a) + (b ? rt_len(b) : 0));
  const RtValue *ls[2] = {a, b};
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; ls[k] && i < rt_len(ls[k]); i++) {
      RtValue *s = rt_list_at(ls[k], i);
      bool seen = false;
      for (size_t j = 0; j < rt_len(out) && !seen; j++)
        seen = rt_equal(rt_list_at(out, j), s);
      if (!seen)
        rt_list_push(out, rt_incref(s));
    }
  return out;
}

RtValue *rt_merge_hash(const RtValue *x, const RtValue *y) {
  if (x->u.dict.len == 0 || rt_equal(x, y)) /* merge_hash's shortcut: y's copy, y's order */
    return rt_dict_copy(y);
  RtValue *out = rt_dict_copy(x);
  for (size_t i = 0; i < y->u.dict.len; i++)
    rt_combine_set(out, y->u.dict.ents[i].key->u.str.s, rt_incref(y->u.dict.ents[i].val), true);
  return out;
}

void rt_combine_set(RtValue *d, const char *k, RtValue *v, bool merge) {
  RtValue *old = merge && rt_kind(v) == RT_DICT ? rt_dict_get(d, k) : NULL;
  if (old && rt_kind(old) == RT_DICT) {
    RtValue *m = rt_merge_hash(old, v);
    rt_decref(v);
    v = m;
  }
  rt_dict_set(d, k, v);
}

/* The levels hostvars shows of a host, in the order of its snapshot list
 * (rt_host_publish), lowest first. */
static const int hv_levels[] = {RT_LV_INVENTORY, RT_LV_FACTS, RT_LV_INCLUDE_VARS, RT_LV_SET_FACT};
enum { HV_NLEVELS = sizeof hv_levels / sizeof *hv_levels };

/* Level k of hostvars snapshot `snap` (borrowed), or NULL when it is empty. */
static RtValue *hv_layer(const RtValue *snap, int k) {
  RtValue *l = rt_list_at(snap, (size_t)k);
  return rt_kind(l) == RT_DICT ? l : NULL;
}

/* A snapshot list of h's live layers (new reference). */
static RtValue *hv_snapshot(RtHost *h) {
  RtValue *snap = rt_list_new(HV_NLEVELS);
  for (int k = 0; k < HV_NLEVELS; k++)
    rt_list_push(snap, h->dyn[hv_levels[k]] ? rt_incref(h->dyn[hv_levels[k]]) : rt_none());
  return snap;
}

void rt_host_init_publish(RtHost *h) {
  pthread_mutex_init(&h->pub_lock, NULL);
  h->pub = NULL;
  rt_host_publish(h);
}

void rt_host_drop_publish(RtHost *h) {
  rt_decref(h->pub);
  h->pub = NULL;
  pthread_mutex_destroy(&h->pub_lock);
}

void rt_host_publish(RtHost *h) {
  pthread_mutex_lock(&h->pub_lock);
  RtValue *old = h->pub;
  bool same = old != NULL;
  for (int k = 0; same && k < HV_NLEVELS; k++)
    same = hv_layer(old, k) == h->dyn[hv_levels[k]];
  if (!same)
    h->pub = hv_snapshot(h);
  pthread_mutex_unlock(&h->pub_lock);
  if (!same)
    rt_decref(old);
}

/* What `h` may read of host `o`'s layers (new reference, or NULL when o
 * never published): its own live layers, another host's published snapshot. */
static RtValue *hv_layers_of(RtHost *h, RtHost *o) {
  if (o == h)
    return hv_snapshot(h);
  pthread_mutex_lock(&o->pub_lock);
  RtValue *snap = rt_incref(o->pub);
  pthread_mutex_unlock(&o->pub_lock);
  return snap;
}

static RtValue *force(RtHost *h, RtExprFn fn, const char *name);

/* hostvars being templated on this thread: a template reading hostvars then
 * sees the raw values (no blow-up of hostvars inside hostvars). */
static _Thread_local int hostvars_depth;

/* Host `index`'s vars `m` (owned, not shared) as Ansible's HostVarsVars gives
 * them: run-time data holding templates templated in that host's own context
 * (its layers `snap`, or its inventory vars `m` alone when snap is NULL; no
 * play or task), a value whose templating fails left as it is
 * (fail_on_undefined=False). The context is a fresh host built from those
 * layers, so the evaluation never reads or writes the other host's thread
 * state. */
static void hostvars_templated(RtHost *h, int index, const RtValue *snap, RtValue *m) {
  RtHost ctx = {0};
  ctx.run = h->run;
  ctx.index = index;
  ctx.name = h->run->inv.hosts[index].name;
  ctx.loop_index = -1;
  ctx.play_index = -1;
  ctx.forcing = h->forcing + 1;
  if (snap)
    for (int k = 0; k < HV_NLEVELS; k++)
      ctx.dyn[hv_levels[k]] = hv_layer(snap, k);
  else
    ctx.dyn[RT_LV_INVENTORY] = m;
  RtValue *facts = ctx.dyn[RT_LV_FACTS];
  hostvars_depth++;
  for (size_t e = 0; e < m->u.dict.len; e++) {
    RtValue *val = m->u.dict.ents[e].val;
    const char *key = m->u.dict.ents[e].key->u.str.s;
    RtValue *t;
    if (rt_kind(val) == RT_THUNK) {
      /* a compiled template (playbook group_vars/host_vars): evaluated for
       * that host; when it fails, reading it fails (Ansible shows its text,
       * which the program does not hold) */
      t = force(&ctx, val->u.thunk.fn, key);
    } else {
      if (!rt_data_has_template(val))
        continue;
      if (facts && rt_dict_get(facts, key) == val)
        continue; /* a fact: used as it is */
      t = rt_eval_data(&ctx, val, key);
      if (rt_is_error(t)) {
        rt_decref(t);
        continue;
      }
    }
    rt_decref(val);
    m->u.dict.ents[e].val = t;
  }
  hostvars_depth--;
}

/* ansible_version as CLI.version_info gives it, for the ansible-core release
 * playc follows (RT_ANSIBLE_VERSION). */
static RtValue *ansible_version(void) {
  RtValue *d = rt_dict_new(5);
  rt_dict_set(d, "full", rt_strz(RT_ANSIBLE_VERSION));
  rt_dict_set(d, "major", rt_int(RT_ANSIBLE_MAJOR));
  rt_dict_set(d, "minor", rt_int(RT_ANSIBLE_MINOR));
  rt_dict_set(d, "revision", rt_int(RT_ANSIBLE_REVISION));
  rt_dict_set(d, "string", rt_strz(RT_ANSIBLE_VERSION));
  return d;
}

/* ansible_inventory_sources: the -i arguments as the CLI keeps them (a path
 * made absolute and normalised, a host list as given). */
static RtValue *inventory_sources(const RtRun *run) {
  RtValue *l = rt_list_new((size_t)run->opt.ninventories);
  for (int i = 0; i < run->opt.ninventories; i++) {
    const char *src = run->opt.inventories[i];
    if (strchr(src, ',')) {
      rt_list_push(l, rt_strz(src));
    } else {
      char *abs = rt_path_abspath(src);
      rt_list_push(l, rt_str_take(abs, strlen(abs)));
    }
  }
  return l;
}

/* The magic variables of host `index` that Ansible keeps with the host
 * (Host.get_magic_vars): also in hostvars[host]. NULL when `name` is none.
 * Index -1 is the implicit localhost of hostvars (in no group). */
static RtValue *host_magic(RtRun *run, int index, const char *hn, const char *name) {
  if (index >= run->inv.nhosts) /* a host the inventory does not hold (tests' hosts) */
    index = -1;
  if (strcmp(name, "inventory_hostname") == 0)
    return rt_strz(hn);
  if (strcmp(name, "inventory_hostname_short") == 0) {
    const char *dot = strchr(hn, '.');
    return dot ? rt_str(hn, (size_t)(dot - hn)) : rt_strz(hn);
  }
  if (strcmp(name, "group_names") == 0)
    return index >= 0 ? rt_inventory_group_names(&run->inv, index) : rt_list_new(0);
  return NULL;
}

/* inventory_file and inventory_dir: host variables InventoryData.add_host
 * sets from the source that named the host first; its folder is
 * utils.path.basedir's (the text "None" for a host list, as Ansible's
 * to_text(None) gives). Undefined for the implicit localhost. */
static RtValue *host_source_var(RtRun *run, int index, const char *name) {
  const char *src = index >= 0 && index < run->inv.nhosts ? run->inv.hosts[index].source : NULL;
  if (!src)
    return NULL;
  if (strcmp(name, "inventory_file") == 0)
    return rt_strz(src);
  if (strcmp(name, "inventory_dir") != 0)
    return NULL;
  struct stat st;
  if (stat(src, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
    return rt_strz("None");
  if (S_ISDIR(st.st_mode))
    return rt_strz(src);
  const char *slash = strrchr(src, '/');
  return slash == src ? rt_strz("/") : rt_str(src, (size_t)(slash - src));
}

/* The magic variables of the run, with or without a play (Ansible's
 * _get_magic_variables without play and task, and load_options_vars): also
 * in every hostvars[host]. */
static RtValue *run_magic(RtRun *run, const char *name) {
  if (strcmp(name, "groups") == 0)
    return rt_inventory_groups(&run->inv);
  if (strcmp(name, "playbook_dir") == 0) { /* absolute, as Ansible's */
    const char *pb = run->prog->playbook;
    const char *slash = strrchr(pb, '/');
    char *dir = slash ? rt_xstrndup(pb, (size_t)(slash - pb)) : rt_xstrdup(".");
    char *abs = rt_abspath(run, dir);
    free(dir);
    return rt_str_take(abs, strlen(abs));
  }
  if (strcmp(name, "ansible_config_file") == 0) { /* C.CONFIG_FILE */
    const char *f = rt_config_file();
    return f ? rt_strz(f) : rt_none();
  }
  if (strcmp(name, "ansible_version") == 0)
    return ansible_version();
  if (strcmp(name, "ansible_inventory_sources") == 0)
    return inventory_sources(run);
  if (strcmp(name, "ansible_check_mode") == 0)
    return rt_bool(run->opt.check);
  if (strcmp(name, "ansible_diff_mode") == 0)
    return rt_bool(run->opt.diff);
  if (strcmp(name, "ansible_verbosity") == 0)
    return rt_int(run->opt.verbosity);
  if (strcmp(name, "ansible_forks") == 0)
    return rt_int(run->opt.forks);
  if (strcmp(name, "ansible_run_tags") == 0) /* load_options_vars; the CLI's default is ['all'] */
    return tag_list(run->opt.tags ? run->opt.tags : (const char *const[]){"all", NULL});
  if (strcmp(name, "ansible_skip_tags") == 0)
    return tag_list(run->opt.skip_tags);
  if (strcmp(name, "ansible_limit") == 0 && run->opt.limit)
    return rt_strz(run->opt.limit);
  if (strcmp(name, "omit") == 0)
    return rt_strz(OMIT);
  return NULL;
}

/* The names run_magic and host_magic answer, as hostvars[host] holds them. */
static const char *const hv_magic_names[] = {
    "inventory_hostname", "inventory_hostname_short", "group_names", "groups", "playbook_dir",
    "ansible_config_file", "ansible_version", "ansible_inventory_sources", "ansible_check_mode",
    "ansible_diff_mode", "ansible_verbosity", "ansible_forks", "ansible_run_tags", "ansible_skip_tags",
    "ansible_limit", "omit", NULL};

/* The magic variables hostvars[host] holds besides the host's own (Ansible's
 * get_vars without play and task): inventory_file/_dir under the host's own
 * vars, the others over them. */
static void hostvars_magic(RtRun *run, int index, RtValue *m) {
  static const char *const source_names[] = {"inventory_file", "inventory_dir"};
  for (int k = 0; k < 2; k++) {
    RtValue *v = rt_dict_get(m, source_names[k]) ? NULL : host_source_var(run, index, source_names[k]);
    if (v)
      rt_dict_set(m, source_names[k], v);
  }
  for (int k = 0; hv_magic_names[k]; k++) {
    RtValue *v = host_magic(run, index, index >= 0 ? run->inv.hosts[index].name : "localhost", hv_magic_names[k]);
    if (!v)
      v = run_magic(run, hv_magic_names[k]);
    if (v)
      rt_dict_set(m, hv_magic_names[k], v);
  }
}

/* -e over a host's vars in hostvars (get_vars' extra vars level). */
static void hostvars_extra(RtRun *run, RtValue *m) {
  const RtValue *x = run->extra_vars;
  for (size_t e = 0; x && e < x->u.dict.len; e++)
    rt_combine_set(m, x->u.dict.ents[e].key->u.str.s, rt_incref(x->u.dict.ents[e].val), run->inv.hash_merge);
}

/* hostvars: every host's own layers and -e merged, its templates (run-time data and
 * the playbook's group_vars/host_vars) evaluated in its own context; another
 * host's as it last published them (rt_host_publish). Ansible's HostVars
 * also holds the implicit localhost when no inventory host has that name
 * (InventoryManager.localhost creates it on first use): its inventory vars
 * come last, not templated (no host of that index runs them). */
/* hostvars[NAME] of inventory host `i` as `h` sees it (new reference). */
static RtValue *hostvars_host(RtHost *h, RtRun *run, int i) {
  /* its inventory level as it sees it (the playbook's group_vars and
   * host_vars included), or as it would for a host not met yet */
  RtHost *o = run->hosts ? run->hosts[i] : NULL;
  RtValue *snap = o ? hv_layers_of(h, o) : NULL;
  RtValue *inv = snap ? hv_layer(snap, 0) : NULL;
  RtValue *m = inv ? rt_dict_copy(inv) : rt_inventory_host_vars_with(&run->inv, i, rt_playbook_inv_vars, h);
  for (int k = 1; snap && k < HV_NLEVELS; k++) { /* above the inventory */
    RtValue *layer = hv_layer(snap, k);
    for (size_t e = 0; layer && e < layer->u.dict.len; e++)
      if (rt_kind(layer->u.dict.ents[e].val) != RT_THUNK)
        rt_combine_set(m, layer->u.dict.ents[e].key->u.str.s, rt_incref(layer->u.dict.ents[e].val),
                       run->inv.hash_merge);
  }
  hostvars_extra(run, m);
  if (!hostvars_depth)
    hostvars_templated(h, i, snap, m);
  hostvars_magic(run, i, m);
  rt_decref(snap);
  return m;
}

static RtValue *magic_hostvars(RtHost *h, RtRun *run) {
  RtValue *d = rt_dict_new((size_t)run->inv.nhosts);
  for (int i = 0; i < run->inv.nhosts; i++)
    rt_dict_put(d, run->inv.hosts[i].name, strlen(run->inv.hosts[i].name), hostvars_host(h, run, i));
  RtValue *lh = rt_inventory_localhost_vars(&run->inv);
  if (lh) {
    hostvars_extra(run, lh);
    hostvars_magic(run, -1, lh);
    rt_dict_put(d, "localhost", strlen("localhost"), lh);
  }
  return d;
}

RtValue *rt_hostvars_item(RtHost *h, RtValue *key, const RtLoc *loc) {
  RtRun *run = h->run;
  if (rt_kind(key) == RT_STR && strlen(key->u.str.s) == key->u.str.len) {
    int i = rt_inventory_find_host(&run->inv, key->u.str.s);
    if (i >= 0)
      return hostvars_host(h, run, i);
  }
  /* the implicit localhost, a name no host has, a key of another type: as
   * the whole of hostvars answers */
  RtValue *all = magic_hostvars(h, run);
  RtValue *r = rt_getitem(all, key, loc);
  rt_decref(all);
  return r;
}

/* The play's hosts `idx` as names, without its removed hosts (failed,
 * unreachable, ended by end_host) unless `all`: VariableManager's
 * _get_magic_variables (ansible_play_hosts_all, _hosts, _batch). */
static RtValue *play_hosts(RtRun *run, const int *idx, int n, bool all) {
  RtValue *l = rt_list_new((size_t)n);
  for (int i = 0; i < n; i++)
    if (all || !run->play_removed[idx[i]])
      rt_list_push(l, rt_strz(run->inv.hosts[idx[i]].name));
  return l;
}

/* ansible_parent_role_names (or _paths): the roles the include_roles around
 * the task were written in, innermost first (IncludeRole.get_include_params);
 * NULL (undefined) when none was in a role. */
static RtValue *parent_roles(RtHost *h, bool paths) {
  RtValue *l = NULL;
  for (const RtIncInst *i = h->inc; i; i = i->parent) {
    const RtTaskDef *site = i->site;
    if (site->kind != RT_TASK_INCLUDE_ROLE || !site->role)
      continue;
    if (!l)
      l = rt_list_new(2);
    if (paths) {
      char *abs = rt_abspath(h->run, site->role->path);
      rt_list_push(l, rt_str_take(abs, strlen(abs)));
    } else {
      rt_list_push(l, rt_strz(site->role->name));
    }
  }
  return l;
}

/* ansible_search_path: Task.get_search_path (the role chain's folders, the
 * task file's folder) and the playbook's folder when not in it yet, as
 * TaskExecutor sets it; the task's roots are that list. */
static RtValue *search_path(RtRun *run, const RtTaskDef *t) {
  RtValue *l = rt_list_new(4);
  for (int i = 0; t->roots[i]; i++) {
    char *abs = rt_abspath(run, t->roots[i]);
    RtValue *p = rt_str_take(abs, strlen(abs));
    bool seen = false;
    for (size_t j = 0; j < rt_len(l) && !seen; j++)
      seen = rt_equal(rt_list_at(l, j), p);
    if (seen)
      rt_decref(p);
    else
      rt_list_push(l, p);
  }
  return l;
}

static RtValue *magic(RtHost *h, const char *name) {
  RtRun *run = h->run;
  RtValue *v = host_magic(run, h->index, h->name, name);
  if (v)
    return v;
  if (strcmp(name, "hostvars") == 0)
    return magic_hostvars(h, run);
  if (h->play && run->play_removed) {
    if (strcmp(name, "ansible_play_hosts_all") == 0)
      return play_hosts(run, run->play_all, run->nplay_all, true);
    if (strcmp(name, "ansible_play_hosts") == 0)
      return play_hosts(run, run->play_all, run->nplay_all, false);
    if (strcmp(name, "ansible_play_batch") == 0 || strcmp(name, "play_hosts") == 0)
      return play_hosts(run, run->play_batch, run->nplay_batch, false);
  }
  if ((v = run_magic(run, name)))
    return v;
  const RtPlayDef *play = h->play;
  if (play && run->play_role_names) { /* copies: the scheduler appends to them between rounds */
    if (strcmp(name, "ansible_play_role_names") == 0 || strcmp(name, "role_names") == 0)
      return rt_list_copy(run->play_role_names);
    if (strcmp(name, "ansible_dependent_role_names") == 0)
      return distinct(run->play_dep_names, NULL);
    if (strcmp(name, "ansible_role_names") == 0)
      return distinct(run->play_dep_names, run->play_role_names);
  }
  if (play && strcmp(name, "ansible_play_name") == 0)
    return rt_strz(play->name[0] ? play->name : play->hosts);
  if (strcmp(name, "ansible_parent_role_names") == 0 || strcmp(name, "ansible_parent_role_paths") == 0)
    return parent_roles(h, strcmp(name, "ansible_parent_role_paths") == 0);
  const RtTaskDef *t = h->task;
  if (t && t->roots && strcmp(name, "ansible_search_path") == 0)
    return search_path(run, t);
  if (t && t->role) {
    if (strcmp(name, "role_name") == 0 || strcmp(name, "ansible_role_name") == 0)
      return rt_strz(t->role->name);
    if (strcmp(name, "role_path") == 0) {
      char *abs = rt_abspath(run, t->role->path);
      return rt_str_take(abs, strlen(abs));
    }
  }
  return NULL;
}

/* Forces a thunk: evaluates the var's compiled value for this host. */
static RtValue *force(RtHost *h, RtExprFn fn, const char *name) {
  if (h->forcing > 64)
    return rt_error("recursive loop detected in template string: %s", name);
  h->forcing++;
  RtValue *r = fn(h);
  h->forcing--;
  return r;
}

/* The value of a compiled var: a lazy one evaluated now, an eager one built
 * once (the first thread to build it publishes it; a racing one drops its
 * copy). */
static RtValue *var_value(RtHost *h, const RtVarDef *d) {
  if (d->lazy || !d->cache)
    return force(h, d->value, d->name);
  RtValue *v = __atomic_load_n(d->cache, __ATOMIC_ACQUIRE);
  if (v)
    return rt_incref(v);
  v = force(h, d->value, d->name);
  if (rt_is_error(v))
    return v;
  RtValue *expected = NULL;
  if (!__atomic_compare_exchange_n(d->cache, &expected, v, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    rt_decref(v);
    v = expected;
  }
  return rt_incref(v);
}

static const RtVarDef *frame_find(const RtScope *f, const char *name) {
  int32_t lo = 0, hi = f->nvars - 1;
  while (lo <= hi) {
    int32_t mid = (lo + hi) / 2;
    int c = strcmp(name, f->vars[mid].name);
    if (c == 0)
      return &f->vars[mid];
    if (c < 0)
      hi = mid - 1;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* A dynamic level's value of `name`, borrowed, or NULL. */
static RtValue *dyn_find(RtHost *h, int level, const char *name) {
  RtValue *d = NULL;
  if (level == RT_LV_EXTRA)
    d = h->run->extra_vars;
  else if (level == RT_LV_VARS_PROMPT)
    d = h->run->prompts;
  else if (level == RT_LV_INCLUDE_PARAMS) {
    for (RtIncInst *i = h->inc; i; i = i->parent) {
      RtValue *v = i->params ? rt_dict_get(i->params, name) : NULL;
      if (v)
        return v;
    }
    return NULL;
  } else
    d = h->dyn[level];
  return d ? rt_dict_get(d, name) : NULL;
}

/* A dynamic level's value as the task sees it: a thunk forced; run-time data
 * (inventory, -e, set_fact values ...) holding template text templated now
 * (eval.c), as Ansible's AnsibleJ2Vars templates every variable it resolves.
 * Facts and the loop level hold what modules and loops made: used as they are. */
static RtValue *dyn_value(RtHost *h, RtValue *v, const char *name, int level) {
  if (rt_kind(v) == RT_THUNK)
    return force(h, v->u.thunk.fn, name);
  if (level != RT_LV_FACTS && level != RT_LV_LOOP && rt_data_has_template(v))
    return rt_eval_data(h, v, name);
  return rt_incref(v);
}

static const int dynamic[] = {RT_LV_EXTRA,      RT_LV_INCLUDE_PARAMS, RT_LV_SET_FACT, RT_LV_INCLUDE_VARS,
                              RT_LV_VARS_FILES, RT_LV_VARS_PROMPT,    RT_LV_FACTS,    RT_LV_INVENTORY};
enum { NDYNAMIC = sizeof dynamic / sizeof *dynamic };

/* One level's definition of a name (hash_behaviour=merge): a compiled var,
 * a value of an encrypted vars file (dyn false), or a dynamic level's. */
typedef struct VarDef {
  int level;
  const RtVarDef *def;
  RtValue *data; /* borrowed */
  bool dyn;
} VarDef;

static const RtScope *scope_top(const RtHost *h) {
  return h->task ? h->task->scope : h->play ? h->play->scope : NULL;
}

/* A public role's frame counts only once that role has run. */
static bool frame_visible(const RtHost *h, const RtScope *f) {
  return !f->public_role || (h->run->public_roles && h->run->public_roles[f->public_role - 1]);
}

/* Frame f's definition of `name`, into *out: a compiled definition, or a
 * value of an encrypted vars file (borrowed). */
static bool frame_def(RtHost *h, const RtScope *f, const char *name, VarDef *out) {
  if (!frame_visible(h, f))
    return false;
  if (f->vault_text) {
    const char *err = NULL;
    const RtValue *vars = rt_vault_run_data(h->run, f, &err);
    RtValue *dv = vars ? rt_dict_get(vars, name) : NULL;
    *out = (VarDef){f->level, NULL, dv, false};
    return dv != NULL;
  }
  const RtVarDef *d = frame_find(f, name);
  *out = (VarDef){f->level, d, NULL, false};
  return d != NULL;
}

static RtValue *var_def_value(RtHost *h, const VarDef *d, const char *name) {
  if (d->def)
    return var_value(h, d->def);
  return d->dyn ? dyn_value(h, d->data, name, d->level) : rt_incref(d->data);
}

enum { MAX_MERGED = 64 };

/* `name` under hash_behaviour=merge: every level defining it, highest first
 * (frames in chain order within a level), and while they are dicts the
 * lower ones merged under the higher ones, as get_vars' combine_vars of each
 * level does. NULL when no level defines it. */
static RtValue *var_merged(RtHost *h, const char *name) {
  VarDef defs[MAX_MERGED];
  int n = 0;
  for (const RtScope *f = scope_top(h); f && n < MAX_MERGED - NDYNAMIC; f = f->next) {
    VarDef d;
    if (!frame_def(h, f, name, &d))
      continue;
    if (d.def && f->level == RT_LV_TASK && n && defs[n - 1].level == RT_LV_TASK)
      continue; /* Task.get_vars: block and task vars replace one another */
    defs[n++] = d;
  }
  for (int i = 0; i < NDYNAMIC; i++) {
    RtValue *dv = dyn_find(h, dynamic[i], name);
    if (dv)
      defs[n++] = (VarDef){dynamic[i], NULL, dv, true};
  }
  if (!n)
    return NULL;
  for (int i = 1; i < n; i++) { /* by level, highest first; stable (chain order) */
    VarDef d = defs[i];
    int j = i;
    for (; j > 0 && defs[j - 1].level < d.level; j--)
      defs[j] = defs[j - 1];
    defs[j] = d;
  }
  RtValue *vals[MAX_MERGED];
  vals[0] = var_def_value(h, &defs[0], name);
  if (rt_kind(vals[0]) != RT_DICT)
    return vals[0];
  int k = 1;
  for (; k < n; k++) { /* below a dict, a value that is not one ends the merge */
    RtValue *v = var_def_value(h, &defs[k], name);
    if (rt_kind(v) != RT_DICT) {
      rt_decref(v);
      break;
    }
    vals[k] = v;
  }
  RtValue *r = vals[k - 1];
  for (int i = k - 2; i >= 0; i--) {
    RtValue *m = rt_merge_hash(r, vals[i]);
    rt_decref(r);
    rt_decref(vals[i]);
    r = m;
  }
  return r;
}

static RtValue *var_lookup(RtHost *h, const char *name, const RtLoc *loc);

RtValue *rt_var(RtHost *h, const char *name, const RtLoc *loc) {
  RtValue *v = var_lookup(h, name, loc);
  return h->tpl_moved ? rt_tpl_moved(h, v) : v; /* `{% set x = xs %}{{ x.append(1) }}{{ xs }}` */
}

static RtValue *var_lookup(RtHost *h, const char *name, const RtLoc *loc) {
  RtValue *v = h->dyn[RT_LV_LOOP] ? rt_dict_get(h->dyn[RT_LV_LOOP], name) : NULL;
  if (v)
    return dyn_value(h, v, name, RT_LV_LOOP);
  RtValue *m = magic(h, name);
  if (m)
    return m;
  if (h->run->inv.hash_merge && (m = var_merged(h, name)))
    return m;
  VarDef best = {-1, NULL, NULL, false}, d;
  for (const RtScope *f = scope_top(h); f; f = f->next)
    if (f->level > best.level && frame_def(h, f, name, &d))
      best = d;
  for (size_t i = 0; i < NDYNAMIC && dynamic[i] > best.level; i++) {
    RtValue *dv = dyn_find(h, dynamic[i], name);
    if (dv)
      return dyn_value(h, dv, name, dynamic[i]);
  }
  if (best.level >= 0)
    return var_def_value(h, &best, name);
  if (strcmp(name, "ansible_facts") == 0)
    return rt_dict_new(0);
  RtValue *src = host_source_var(h->run, h->index, name); /* host vars: any level above wins */
  if (src)
    return src;
  return rt_undef_at(name, NULL, loc);
}

RtValue *rt_var_undefined(const char *name, const RtLoc *loc) { return rt_undef_at(name, NULL, loc); }

static void names_add(RtValue *out, RtValue *seen, const char *name) {
  if (rt_dict_get(seen, name))
    return;
  rt_dict_set(seen, name, rt_none());
  rt_list_push(out, rt_strz(name));
}

static void names_of_dict(RtValue *out, RtValue *seen, const RtValue *d) {
  for (size_t i = 0; d && i < d->u.dict.len; i++)
    names_add(out, seen, d->u.dict.ents[i].key->u.str.s);
}

RtValue *rt_var_names(RtHost *h) {
  RtValue *out = rt_list_new(16), *seen = rt_dict_new(16);
  names_of_dict(out, seen, h->dyn[RT_LV_LOOP]);
  for (const RtScope *f = scope_top(h); f; f = f->next) {
    if (!frame_visible(h, f))
      continue;
    for (int32_t i = 0; i < f->nvars; i++)
      names_add(out, seen, f->vars[i].name);
    const char *err = NULL;
    if (f->vault_text)
      names_of_dict(out, seen, rt_vault_run_data(h->run, f, &err));
  }
  names_of_dict(out, seen, h->run->extra_vars);
  names_of_dict(out, seen, h->run->prompts);
  for (RtIncInst *i = h->inc; i; i = i->parent)
    names_of_dict(out, seen, i->params);
  for (int lv = 0; lv < RT_LV_COUNT; lv++)
    if (lv != RT_LV_LOOP)
      names_of_dict(out, seen, h->dyn[lv]);
  rt_decref(seen);
  return out;
}

bool rt_is_omit(const RtValue *v) {
  return rt_kind(v) == RT_STR && strcmp(v->u.str.s, OMIT) == 0;
}

void rt_host_set_var(RtHost *h, int level, const char *name, RtValue *val) {
  if (level == RT_LV_FACTS) { /* facts are unsafe (TaskExecutor's wrap_var): never templated */
    RtValue *w = rt_unsafe_wrap(val);
    rt_decref(val);
    val = w;
  }
  RtValue *d = h->dyn[level];
  if (!d) {
    d = rt_dict_new(8);
  } else if (!rt_sole_ref(d)) { /* shared, or published */
    RtValue *c = rt_dict_copy(d);
    rt_decref(d);
    d = c;
  }
  /* set_host_variable combines include_vars' dicts (hash_behaviour=merge) */
  rt_combine_set(d, name, val, level == RT_LV_INCLUDE_VARS && h->run->inv.hash_merge);
  h->dyn[level] = d;
}

void rt_host_clear_level(RtHost *h, int level) {
  rt_decref(h->dyn[level]);
  h->dyn[level] = NULL;
}

void rt_host_set_fact(RtHost *h, const char *name, RtValue *val) {
  rt_host_set_var(h, RT_LV_SET_FACT, name, val);
}

/* ---- delegate_facts ---------------------------------------------------------------- */

/* The levels a module sets facts at: setup and the *_facts modules (and
 * set_fact's cacheable) facts, set_fact's non-persistent facts,
 * include_vars' host variables, as Ansible's strategy stores a delegated
 * result's ansible_facts on the delegate (set_host_facts,
 * set_nonpersistent_facts, set_host_variable). */
static const int fact_levels[RT_FACT_LEVELS] = {RT_LV_FACTS, RT_LV_SET_FACT, RT_LV_INCLUDE_VARS};

void rt_facts_capture(RtHost *h, RtValue **saved) {
  for (int k = 0; k < RT_FACT_LEVELS; k++)
    saved[k] = h->dyn[fact_levels[k]] ? rt_incref(h->dyn[fact_levels[k]]) : NULL;
}

/* The entries of dict `now` that `old` (or NULL) lacks or holds another
 * value for (a module's writes replace values, never edit them: the
 * references in `old` kept it from being written in place). New dict. */
static RtValue *dict_delta(const RtValue *old, const RtValue *now) {
  RtValue *d = rt_dict_new(4);
  for (size_t e = 0; now && e < now->u.dict.len; e++) {
    const char *k = now->u.dict.ents[e].key->u.str.s;
    RtValue *v = now->u.dict.ents[e].val;
    RtValue *ov = old ? rt_dict_get(old, k) : NULL;
    if (ov == v)
      continue;
    if (ov && !strcmp(k, "ansible_facts") && rt_kind(ov) == RT_DICT && rt_kind(v) == RT_DICT)
      rt_dict_set(d, k, dict_delta(ov, v)); /* the namespace: only what the module added */
    else
      rt_dict_set(d, k, rt_incref(v));
  }
  return d;
}

void rt_facts_divert(RtHost *h, const char *to, RtValue **saved) {
  for (int k = 0; k < RT_FACT_LEVELS; k++) {
    int lv = fact_levels[k];
    RtValue *now = h->dyn[lv];
    if (now == saved[k]) {
      rt_decref(saved[k]);
      continue;
    }
    RtValue *delta = dict_delta(saved[k], now);
    rt_decref(now);
    h->dyn[lv] = saved[k]; /* the task host's own, as before the module */
    if (lv == RT_LV_FACTS)
      rt_factcache_save(h); /* the module saved the facts it gave away */
    if (!rt_len(delta)) {
      rt_decref(delta);
      continue;
    }
    RtValue *entry = rt_list_new(3);
    rt_list_push(entry, rt_strz(to));
    rt_list_push(entry, rt_int(lv));
    rt_list_push(entry, delta);
    RtRun *run = h->run;
    pthread_mutex_lock(&run->inbox_lock);
    if (!run->inbox)
      run->inbox = rt_list_new(4);
    rt_list_push(run->inbox, entry);
    pthread_mutex_unlock(&run->inbox_lock);
  }
}

void rt_host_take_facts(RtHost *o, const RtValue *entry) {
  int lv = (int)rt_list_at(entry, 1)->u.i;
  const RtValue *delta = rt_list_at(entry, 2);
  for (size_t e = 0; e < delta->u.dict.len; e++) {
    const char *k = delta->u.dict.ents[e].key->u.str.s;
    RtValue *v = delta->u.dict.ents[e].val;
    if (lv == RT_LV_FACTS && !strcmp(k, "ansible_facts") && rt_kind(v) == RT_DICT) {
      RtValue *cur = o->dyn[RT_LV_FACTS] ? rt_dict_get(o->dyn[RT_LV_FACTS], "ansible_facts") : NULL;
      RtValue *ns = cur && rt_kind(cur) == RT_DICT ? rt_dict_copy(cur) : rt_dict_new(v->u.dict.len);
      for (size_t i = 0; i < v->u.dict.len; i++)
        rt_dict_set(ns, v->u.dict.ents[i].key->u.str.s, rt_incref(v->u.dict.ents[i].val));
      rt_host_set_var(o, lv, k, ns);
    } else {
      rt_host_set_var(o, lv, k, rt_incref(v));
    }
  }
  if (lv == RT_LV_FACTS)
    rt_factcache_save(o);
}

/* The candidate entry `inc` names for `h` now: the first of its names (one,
 * or a list) that is a candidate; -1 when a name is undefined (Ansible skips
 * the entry then); -2 when no name is found. */
static int32_t vars_file_choice(RtHost *h, const RtIncludeDef *inc, char **missing) {
  RtValue *v = inc->file(h);
  if (rt_is_error(v)) {
    rt_decref(v);
    return -1;
  }
  int32_t cand = -2;
  size_t n = rt_kind(v) == RT_LIST ? rt_len(v) : 1;
  for (size_t i = 0; i < n && cand < 0; i++) {
    RtValue *name = rt_kind(v) == RT_LIST ? rt_list_at(v, i) : v;
    RtBuf b = {0};
    rt_render_str(&b, name);
    cand = rt_include_candidate(h->run, inc, b.data ? b.data : "");
    if (cand < 0 && !*missing)
      *missing = rt_xstrdup(b.data ? b.data : "");
    rt_buf_free(&b);
  }
  rt_decref(v);
  if (cand < 0)
    cand = -2;
  return cand;
}

void rt_vars_files_refresh(RtHost *h) {
  const RtPlayDef *play = h->play;
  if (!play || !play->nvars_files)
    return;
  int32_t n = play->nvars_files;
  int32_t *choice = rt_xcalloc((size_t)n, sizeof *choice);
  char *missing = NULL;
  for (int32_t i = 0; i < n; i++) {
    choice[i] = vars_file_choice(h, play->vars_files[i], &missing);
    if (choice[i] == -2) { /* AnsibleFileNotFound from get_vars: the run stops */
      rt_out_lock(h->run);
      if (!h->run->abort_msg)
        h->run->abort_msg = rt_xasprintf("vars file %s was not found", missing ? missing : "");
      pthread_mutex_unlock(&h->run->out_lock);
      choice[i] = -1;
    }
    free(missing);
    missing = NULL;
  }
  if (h->vars_files && memcmp(h->vars_files, choice, sizeof *choice * (size_t)n) == 0) {
    free(choice);
    return;
  }
  free(h->vars_files);
  h->vars_files = choice;
  RtValue *d = rt_dict_new(8);
  for (int32_t i = 0; i < n; i++) {
    const RtScope *f = choice[i] >= 0 ? play->vars_files[i]->frames[choice[i]] : NULL;
    for (int32_t k = 0; f && k < f->nvars; k++) { /* each file combined (hash_behaviour) */
      const RtVarDef *vd = &f->vars[k];
      if (vd->lazy)
        rt_dict_set(d, vd->name, rt_thunk(vd->value, vd->name));
      else
        rt_combine_set(d, vd->name, vd->value(h), h->run->inv.hash_merge);
    }
    const char *err = NULL;
    const RtValue *vars = f && f->vault_text ? rt_vault_run_data(h->run, f, &err) : NULL;
    if (err) { /* a load error of the file: the run stops, as Ansible's get_vars does */
      rt_out_lock(h->run);
      if (!h->run->abort_msg)
        h->run->abort_msg = rt_xstrdup(err);
      pthread_mutex_unlock(&h->run->out_lock);
    }
    for (size_t e = 0; vars && e < vars->u.dict.len; e++)
      rt_combine_set(d, vars->u.dict.ents[e].key->u.str.s, rt_incref(vars->u.dict.ents[e].val), h->run->inv.hash_merge);
  }
  rt_decref(h->dyn[RT_LV_VARS_FILES]);
  h->dyn[RT_LV_VARS_FILES] = d;
}
