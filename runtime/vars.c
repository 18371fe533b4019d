/*
 * vars.c — a host's variables. Each host has one dict per precedence layer
 * (rt.h RtVarLayer, a subset of Ansible's 22 levels); rt_var walks them from
 * the highest (extra vars) down, then falls back to the magic variables that
 * Ansible computes (inventory_hostname, groups, hostvars, ...).
 *
 * Play vars that hold templates are stored as thunks (RT_THUNK) and forced at
 * each use, as Ansible templates them lazily; a thunk that reaches itself
 * again is reported as Ansible's "recursive loop detected".
 *
 * Layer dicts may be shared between hosts (extra vars, play constants), so
 * they are copied before the first write (copy-on-write at refs > 1).
 */
#include "rt.h"

#include <stdlib.h>
#include <string.h>

#define OMIT "__omit_place_holder__3f1a7f3c0e9a5bd2d3e4c5a6b7f8091a2b3c4d5e"

/* hostvars: every host's own layers merged (not forcing other hosts' thunks). */
static RtValue *magic_hostvars(RtRun *run) {
  RtValue *d = rt_dict_new((size_t)run->inv.nhosts);
  for (int i = 0; i < run->inv.nhosts; i++) {
    RtValue *vars = rt_inventory_host_vars(&run->inv, i);
    RtHost *o = run->hosts ? run->hosts[i] : NULL;
    if (o) {
      RtValue *m = rt_dict_copy(vars);
      rt_decref(vars);
      for (int l = RT_VL_PLAY; l < RT_VL_COUNT; l++) {
        RtValue *layer = o->layers[l];
        for (size_t e = 0; layer && e < layer->u.dict.len; e++)
          if (rt_kind(layer->u.dict.ents[e].val) != RT_THUNK)
            rt_dict_set(m, layer->u.dict.ents[e].key->u.str.s,
                        rt_incref(layer->u.dict.ents[e].val));
      }
      vars = m;
    }
    rt_dict_put(d, run->inv.hosts[i].name, strlen(run->inv.hosts[i].name), vars);
  }
  return d;
}

static RtValue *play_hosts(RtHost *h) {
  RtRun *run = h->run;
  RtValue *l = rt_list_new((size_t)run->inv.nhosts);
  for (int i = 0; i < run->inv.nhosts; i++) {
    RtHost *o = run->hosts[i];
    if (o && o->play == h->play && o->play && !o->failed && !o->unreachable)
      rt_list_push(l, rt_strz(o->name));
  }
  return l;
}

static RtValue *magic(RtHost *h, const char *name) {
  RtRun *run = h->run;
  if (strcmp(name, "inventory_hostname") == 0)
    return rt_strz(h->name);
  if (strcmp(name, "inventory_hostname_short") == 0) {
    const char *dot = strchr(h->name, '.');
    return dot ? rt_str(h->name, (size_t)(dot - h->name)) : rt_strz(h->name);
  }
  if (strcmp(name, "group_names") == 0)
    return rt_inventory_group_names(&run->inv, h->index);
  if (strcmp(name, "groups") == 0)
    return rt_inventory_groups(&run->inv);
  if (strcmp(name, "hostvars") == 0)
    return magic_hostvars(run);
  if (strcmp(name, "ansible_play_hosts") == 0 || strcmp(name, "ansible_play_batch") == 0 ||
      strcmp(name, "play_hosts") == 0 || strcmp(name, "ansible_play_hosts_all") == 0)
    return play_hosts(h);
  if (strcmp(name, "playbook_dir") == 0) {
    const char *pb = run->prog->playbook;
    const char *slash = strrchr(pb, '/');
    return slash ? rt_str(pb, (size_t)(slash - pb)) : rt_strz(".");
  }
  if (strcmp(name, "ansible_check_mode") == 0)
    return rt_bool(run->opt.check);
  if (strcmp(name, "ansible_diff_mode") == 0)
    return rt_bool(run->opt.diff);
  if (strcmp(name, "ansible_verbosity") == 0)
    return rt_int(run->opt.verbosity);
  if (strcmp(name, "ansible_forks") == 0)
    return rt_int(run->opt.forks);
  if (strcmp(name, "omit") == 0)
    return rt_strz(OMIT);
  if (strcmp(name, "ansible_facts") == 0)
    return rt_dict_new(0);
  return NULL;
}

/* Forces a thunk: evaluates the var's compiled value for this host. */
static RtValue *force(RtHost *h, RtValue *v, const char *name) {
  if (h->forcing > 64)
    return rt_error("recursive loop detected in template string: %s", name);
  h->forcing++;
  RtValue *r = v->u.thunk.fn(h);
  h->forcing--;
  return r;
}

RtValue *rt_var(RtHost *h, const char *name, const RtLoc *loc) {
  for (int l = RT_VL_COUNT - 1; l >= 0; l--) {
    RtValue *layer = h->layers[l];
    RtValue *v = layer ? rt_dict_get(layer, name) : NULL;
    if (!v)
      continue;
    if (rt_kind(v) == RT_THUNK)
      return force(h, v, name);
    return rt_incref(v);
  }
  RtValue *m = magic(h, name);
  return m ? m : rt_undef_at(name, NULL, loc);
}

bool rt_is_omit(const RtValue *v) {
  return rt_kind(v) == RT_STR && strcmp(v->u.str.s, OMIT) == 0;
}

void rt_host_set_var(RtHost *h, RtVarLayer layer, const char *name, RtValue *val) {
  RtValue *d = h->layers[layer];
  if (!d) {
    d = rt_dict_new(8);
  } else if (d->refs != 1) {
    RtValue *c = rt_dict_copy(d);
    rt_decref(d);
    d = c;
  }
  rt_dict_set(d, name, val);
  h->layers[layer] = d;
}

void rt_host_set_fact(RtHost *h, const char *name, RtValue *val) {
  rt_host_set_var(h, RT_VL_FACTS, name, val);
}
