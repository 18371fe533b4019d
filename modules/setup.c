/*
 * setup.c — the setup module (and the play's Gathering Facts): Ansible's
 * gather_subset selection (aliases, '!' exclusions, 'min', dependencies
 * between collectors), one request that runs every selected collector's
 * fragment (facts_linux.c) on the target, the collectors' parsers in
 * Ansible's order, `filter`, and the facts stored on the host as Ansible's
 * variable manager injects them.
 *
 * One round trip per gathering: the script only reads files and runs the
 * target's tools; local facts (fact_path) that are executable run inside the
 * same request. Values come back as records and are parsed here.
 */
#include "facts.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam setup_params[] = {
    {.name = "gather_subset", .type = MP_LIST, .def = "all"},
    {.name = "gather_timeout", .type = MP_INT, .def = "10"},
    {.name = "filter", .type = MP_LIST},
    {.name = "fact_path", .type = MP_PATH, .def = "/etc/ansible/facts.d"},
};
const ModSchema mod_schema_setup = {.name = "setup",
                                    .params = setup_params,
                                    .nparams = MOD_N(setup_params),
                                    .free_form = true,
                                    .check_mode = true};

#ifndef MOD_SCHEMA_ONLY

/* setup's minimal_gather_subset */
static const char *const minimal[] = {"apparmor", "caps", "cmdline", "date_time", "distribution", "dns",
                                      "env", "fips", "local", "lsb", "pkg_mgr", "platform", "python",
                                      "selinux", "service_mgr", "ssh_pub_keys", "user", NULL};

/* The collector that has `id` as its name or one of its fact ids, or -1. */
static int collector_of(const char *id) {
  for (int i = 0; i < facts_ncollectors; i++) {
    const FactCollector *c = &facts_collectors[i];
    if (!strcmp(c->name, id))
      return i;
    for (int k = 0; c->ids && c->ids[k]; k++)
      if (!strcmp(c->ids[k], id))
        return i;
  }
  return -1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every valid subset name, sorted and joined (for the error). */
static char *valid_subsets(void) {
  const char *names[256];
  int n = 0;
  for (int i = 0; i < facts_ncollectors; i++) {
    names[n++] = facts_collectors[i].name;
    for (int k = 0; facts_collectors[i].ids && facts_collectors[i].ids[k]; k++)
      names[n++] = facts_collectors[i].ids[k];
  }
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  RtBuf b = {0};
  for (int i = 0; i < n; i++)
    if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
      rt_buf_printf(&b, "%s%s", b.len ? ", " : "", names[i]);
  return rt_buf_take(&b);
}

/* collector.get_collector_names, then _solve_deps: sel[i] set for each
 * collector to run. NULL, or the error message (malloc'd). */
static char *select_collectors(RtValue *subsets, bool *sel) {
  bool add[64] = {0}, excl[64] = {0}, explicit_[64] = {0}, any = false;
  for (int i = 0; minimal[i]; i++)
    add[collector_of(minimal[i])] = any = true;
  for (size_t s = 0; s < rt_len(subsets); s++) {
    RtBuf t = {0};
    rt_render_str(&t, rt_list_at(subsets, s));
    const char *id = t.data ? t.data : "";
    if (!strcmp(id, "all") || !strcmp(id, "min")) {
      for (int i = 0; i < facts_ncollectors; i++)
        if (!strcmp(id, "all"))
          add[i] = any = true;
    } else if (id[0] == '!') {
      const char *x = id + 1;
      if (!strcmp(x, "min")) {
        for (int i = 0; minimal[i]; i++)
          excl[collector_of(minimal[i])] = true;
      } else if (!strcmp(x, "all")) {
        for (int i = 0; i < facts_ncollectors; i++) {
          bool min = false;
          for (int k = 0; minimal[k]; k++)
            min |= !strcmp(minimal[k], facts_collectors[i].name);
          excl[i] |= !min;
        }
      } else if (collector_of(x) >= 0) {
        excl[collector_of(x)] = true; /* the name and its aliases: one collector */
      }
    } else {
      int c = collector_of(id);
      if (c < 0) {
        char *valid = valid_subsets();
        char *msg = rt_xasprintf("Bad subset '%s' given to Ansible. gather_subset options allowed: all, %s", id, valid);
        free(valid);
        rt_buf_free(&t);
        return msg;
      }
      add[c] = explicit_[c] = any = true;
    }
    rt_buf_free(&t);
  }
  for (int i = 0; i < facts_ncollectors; i++) {
    if (!any)
      add[i] = true;
    sel[i] = add[i] && !(excl[i] && !explicit_[i]);
  }
  for (int i = 0; i < facts_ncollectors; i++) /* requires: platform (bit 0), distribution (bit 1) */
    for (int b = 0; b < 2; b++)
      if (sel[i] && (facts_collectors[i].requires & (1u << b)))
        sel[b] = true;
  return NULL;
}

/* The gathering script: helpers, the environment as the module sees it,
 * then each collector's fragment. */
static char *build_script(const bool *sel, const FactsReq *q) {
  RtBuf s = {0};
  rt_buf_puts(&s, "exec 2>/dev/null; set -f\n"
                  "__fr() { [ -r \"$1\" ] && __x=$(cat -- \"$1\" 2>/dev/null) && __playc_rec \"f:$1\" \"$__x\"; }\n"
                  "__fx() { if [ -e \"$1\" ] || [ -L \"$1\" ]; then __playc_rec \"x:$1\" 1; fi; }\n"
                  "__fc() { __k=$1; shift; __x=$(\"$@\" 2>/dev/null) && __playc_rec \"$__k\" \"$__x\"; }\n"
                  "__fw() { command -v \"$1\" >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin:/usr/local/sbin"
                  " command -v \"$1\" >/dev/null 2>&1; }\n");
  int env = -1;
  for (int i = 0; i < facts_ncollectors; i++)
    if (!strcmp(facts_collectors[i].name, "env"))
      env = i;
  if (sel[env]) /* before PATH gets the sbin folders (get_bin_path searches them) */
    facts_collectors[env].script(&s, q);
  rt_buf_puts(&s, "PATH=$PATH:/sbin:/usr/sbin:/usr/local/sbin\n");
  for (int i = 0; i < facts_ncollectors; i++)
    if (sel[i] && i != env && facts_collectors[i].script)
      facts_collectors[i].script(&s, q);
  return rt_buf_take(&s);
}

/* AnsibleFactCollector._filter for one collector's facts (prefixed names). */
static void filter_into(RtValue *out, const RtValue *facts, RtValue *filters) {
  size_t nf = filters ? rt_len(filters) : 0;
  bool star = nf == 1 && rt_kind(rt_list_at(filters, 0)) == RT_STR && !strcmp(rt_list_at(filters, 0)->u.str.s, "*");
  for (size_t i = 0; i < facts->u.dict.len; i++) {
    const char *k = facts->u.dict.ents[i].key->u.str.s;
    bool keep = nf == 0 || star;
    for (size_t j = 0; j < nf && !keep; j++) {
      RtBuf fb = {0};
      rt_render_str(&fb, rt_list_at(filters, j));
      const char *f = fb.data ? fb.data : "";
      if (!*f || fnmatch(f, k, 0) == 0) {
        keep = true;
      } else if (strncmp(f, "ansible_", 8) && strncmp(f, "facter", 6) && strncmp(f, "ohai", 4)) {
        char *g = rt_xasprintf("ansible_%s", f);
        keep = fnmatch(g, k, 0) == 0;
        free(g);
      }
      rt_buf_free(&fb);
    }
    if (keep)
      rt_dict_set(out, k, rt_incref(facts->u.dict.ents[i].val));
  }
}

/* A list argument: a list as is, a string split on commas, else [default]. */
static RtValue *list_arg(RtValue *args, const char *name, const char *def) {
  RtValue *v = rt_dict_get(args, name);
  if (v && rt_kind(v) == RT_LIST)
    return rt_incref(v);
  RtValue *l = rt_list_new(2);
  if (v && rt_kind(v) == RT_STR) {
    char *copy = rt_xstrdup(v->u.str.s), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
      rt_list_push(l, facts_strip(t));
    free(copy);
  } else if (def) {
    rt_list_push(l, rt_strz(def));
  }
  return l;
}

RtValue *mod_setup(RtHost *h, RtValue *args) {
  RtValue *subsets = list_arg(args, "gather_subset", "all");
  RtValue *filters = list_arg(args, "filter", NULL);
  bool sel[64] = {0};
  char *bad = select_collectors(subsets, sel);
  if (bad) {
    rt_decref(subsets);
    rt_decref(filters);
    RtValue *r = mod_fail_result("%s", bad);
    free(bad);
    return r;
  }
  char *fact_path = mod_arg_str(args, "fact_path"), *tmo = mod_arg_str(args, "gather_timeout");
  FactsReq q = {tmo ? atol(tmo) : 10, fact_path ? fact_path : "/etc/ansible/facts.d"};
  char *script = build_script(sel, &q);
  RtExec ex;
  char *err = NULL;
  int rc = rt_host_exec(h, script, NULL, 0, &ex, &err);
  free(script);
  free(tmo);
  if (rc < 0) {
    free(err);
    free(fact_path);
    rt_decref(subsets);
    rt_decref(filters);
    return NULL;
  }
  RtValue *all = rt_dict_new(128), *facts = rt_dict_new(128);
  for (int i = 0; i < facts_ncollectors; i++) {
    if (!sel[i] || !facts_collectors[i].parse)
      continue;
    RtValue *mine = rt_dict_new(32), *pre = rt_dict_new(32);
    facts_collectors[i].parse(mine, &ex, all, h);
    for (size_t k = 0; k < mine->u.dict.len; k++) { /* PrefixFactNamespace: ansible_, '-' → '_' */
      char *name = rt_xasprintf("ansible_%s", mine->u.dict.ents[k].key->u.str.s);
      for (char *p = name; *p; p++)
        if (*p == '-')
          *p = '_';
      rt_dict_set(pre, name, rt_incref(mine->u.dict.ents[k].val));
      free(name);
    }
    for (size_t k = 0; k < pre->u.dict.len; k++)
      rt_dict_set(all, pre->u.dict.ents[k].key->u.str.s, rt_incref(pre->u.dict.ents[k].val));
    filter_into(facts, pre, filters);
    rt_decref(mine);
    rt_decref(pre);
  }
  RtValue *meta = rt_dict_new(2); /* CollectorMetaDataCollector: no namespace */
  rt_dict_set(meta, "gather_subset", rt_incref(subsets));
  rt_dict_set(meta, "module_setup", rt_bool(true));
  filter_into(facts, meta, filters);
  rt_decref(meta);
  rt_exec_free(&ex);
  rt_decref(all);
  rt_decref(subsets);
  rt_decref(filters);
  free(fact_path);
  mod_facts_store(h, facts);
  RtValue *r = rt_dict_new(2);
  rt_dict_set(r, "ansible_facts", facts);
  rt_dict_set(r, "changed", rt_bool(false));
  return r;
}

/* ---- storing facts ----------------------------------------------------------------- */

/* clean_facts: names that would override connection settings or internals. */
static bool restricted(const char *k) {
  static const char *const exact[] = {
      "ansible_connection", "ansible_host", "ansible_ssh_host", "ansible_port", "ansible_ssh_port", "ansible_user",
      "ansible_ssh_user", "ansible_password", "ansible_ssh_pass", "ansible_shell_type", "ansible_shell_executable",
      "ansible_module_compression", "ansible_pipelining", "ansible_timeout", "ansible_private_key_file",
      "ansible_ssh_private_key_file", "ansible_become", "ansible_become_user", "ansible_become_pass",
      "ansible_become_password", "ansible_become_method", "ansible_become_exe", "ansible_become_flags",
      "ansible_sudo_pass", "ansible_su_pass", "ansible_remote_tmp", "ansible_ssh_executable",
      "ansible_ssh_common_args", "ansible_ssh_extra_args", "ansible_sftp_extra_args", "ansible_scp_extra_args",
      "ansible_rsync_path", "ansible_delegated_vars", "_ansible_no_log", "ansible_facts", NULL};
  for (int i = 0; exact[i]; i++)
    if (!strcmp(k, exact[i]))
      return true;
  static const char *const conn_prefixes[] = {"ansible_ssh_", "ansible_paramiko_", "ansible_local_",
                                              "ansible_psrp_", "ansible_winrm_", NULL};
  for (int i = 0; conn_prefixes[i]; i++)
    if (!strncmp(k, conn_prefixes[i], strlen(conn_prefixes[i])) && strncmp(k, "ansible_ssh_host_key_", 21)) {
      size_t n = strlen(k);
      if (!(n > 7 && !strcmp(k + n - 7, "_bridge")) && !(n > 9 && !strcmp(k + n - 9, "_gwbridge")))
        return true;
    }
  size_t n = strlen(k); /* ^ansible_.*_interpreter$ */
  return !strncmp(k, "ansible_", 8) && n > 20 && !strcmp(k + n - 12, "_interpreter");
}

/* Merges `facts` into the host's: namespaced into ansible_facts, and each
 * injected as a variable unless restricted (warned about when `warn`) or
 * internal (_ansible_*, as clean_facts drops them). */
static void facts_merge(RtHost *h, const RtValue *facts, bool warn) {
  RtValue *cur = h->dyn[RT_LV_FACTS] ? rt_dict_get(h->dyn[RT_LV_FACTS], "ansible_facts") : NULL;
  RtValue *ns = cur && rt_kind(cur) == RT_DICT ? rt_dict_copy(cur) : rt_dict_new(facts->u.dict.len);
  for (size_t i = 0; i < facts->u.dict.len; i++) {
    const char *k = facts->u.dict.ents[i].key->u.str.s;
    RtValue *v = facts->u.dict.ents[i].val;
    /* namespace_facts: ansible_facts without the prefix (ansible_local keeps it) */
    bool strip = !strncmp(k, "ansible_", 8) && strcmp(k, "ansible_local") != 0;
    rt_dict_set(ns, strip ? k + 8 : k, rt_incref(v));
    if (restricted(k)) {
      if (strncmp(k, "ansible_ssh_host_key_", 21) != 0) {
        if (warn)
          rt_out_warning(h->run, "Removed restricted key from module data: %s", k);
        continue;
      }
    }
    if (strncmp(k, "_ansible", 8) != 0)
      rt_host_set_var(h, RT_LV_FACTS, k, rt_incref(v));
  }
  rt_host_set_var(h, RT_LV_FACTS, "ansible_facts", ns);
}

void mod_facts_store(RtHost *h, const RtValue *facts) {
  facts_merge(h, facts, true);
  rt_factcache_save(h);
}

void mod_facts_load(RtHost *h, const RtValue *facts) { facts_merge(h, facts, false); }

void mod_facts_mark_gathered(RtHost *h) {
  RtValue *mark = rt_dict_new(1);
  rt_dict_set(mark, "_ansible_facts_gathered", rt_bool(true));
  mod_facts_store(h, mark);
  rt_decref(mark);
}

#endif
