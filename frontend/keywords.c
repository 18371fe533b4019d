/*
 * keywords.c — the tables the playbook loader checks names against: Ansible's
 * playbook keywords (keywords.def) and the module names Ansible knows
 * (ansible_modules.inc, generated from ansible-core), so that a module playc
 * lacks is told apart from a misspelt one. Both are sorted; lookups are binary
 * searches.
 */
#include "frontend.h"

#include <stdlib.h>
#include <string.h>

const FeKwInfo fe_keywords[FE_KW_COUNT] = {
#define FE_KW(id, name, where, runs) {name, where, runs},
#include "keywords.def"
#undef FE_KW
};

static int fe_kw_cmp(const void *key, const void *elem) {
  return strcmp(key, ((const FeKwInfo *)elem)->name);
}

int fe_keyword_find(const char *name) {
  const FeKwInfo *k = bsearch(name, fe_keywords, FE_KW_COUNT, sizeof *fe_keywords, fe_kw_cmp);
  return k ? (int)(k - fe_keywords) : -1;
}

typedef struct FeModName {
  const char *name, *fqcn;
} FeModName;

static const FeModName fe_modnames[] = {
#define FE_MODULE(s, f) {s, f},
#include "ansible_names.inc"
#undef FE_MODULE
};

typedef struct FeOption {
  const char *module, *name, *aliases, *choices;
} FeOption;

static const FeOption fe_options[] = {
#define FE_OPTION(m, n, a, c) {m, n, a, c},
#include "ansible_names.inc"
#undef FE_OPTION
};

static const char *fe_bare(const char *name);

typedef struct FeArgspec {
  const char *module, *supported;
} FeArgspec;

static const FeArgspec fe_argspecs[] = {
#define FE_ARGSPEC(m, s) {m, s},
#include "ansible_names.inc"
#undef FE_ARGSPEC
};

const char *fe_ansible_argspec(const char *module) {
  const char *bare = fe_bare(module);
  for (size_t i = 0; i < sizeof fe_argspecs / sizeof *fe_argspecs; i++)
    if (strcmp(fe_argspecs[i].module, bare) == 0)
      return fe_argspecs[i].supported;
  return NULL;
}

static const char *const fe_filters[] = {
#define FE_FILTER(n) n,
#include "ansible_names.inc"
#undef FE_FILTER
};

static const char *const fe_tests[] = {
#define FE_TEST(n) n,
#include "ansible_names.inc"
#undef FE_TEST
};

static const char *const fe_lookups[] = {
#define FE_LOOKUP(n) n,
#include "ansible_names.inc"
#undef FE_LOOKUP
};

static int fe_mod_cmp(const void *key, const void *elem) {
  return strcmp(key, ((const FeModName *)elem)->name);
}

static int fe_str_cmp(const void *key, const void *elem) { return strcmp(key, *(const char *const *)elem); }

/* The name without ansible.builtin. / ansible.legacy. */
static const char *fe_bare(const char *name) {
  if (strncmp(name, "ansible.builtin.", 16) == 0)
    return name + 16;
  if (strncmp(name, "ansible.legacy.", 15) == 0)
    return name + 15;
  return name;
}

const char *fe_ansible_module(const char *name) {
  bool builtin = strncmp(name, "ansible.builtin.", 16) == 0;
  const char *bare = fe_bare(name);
  const FeModName *m =
      bsearch(bare, fe_modnames, sizeof fe_modnames / sizeof *fe_modnames, sizeof *fe_modnames, fe_mod_cmp);
  if (m && (!builtin || strncmp(m->fqcn, "ansible.builtin.", 16) == 0))
    return m->fqcn;
  if (strchr(bare, '.')) /* a collection's module: known by its form */
    return name;
  return builtin ? name : NULL;
}

static bool fe_in_csv(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0)
      return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

bool fe_ansible_option(const char *module, const char *name, const char **canonical, const char **choices) {
  for (size_t i = 0; i < sizeof fe_options / sizeof *fe_options; i++) {
    const FeOption *o = &fe_options[i];
    if (strcmp(o->module, module) != 0 || (strcmp(o->name, name) != 0 && !fe_in_csv(o->aliases, name)))
      continue;
    if (canonical)
      *canonical = o->name;
    if (choices)
      *choices = o->choices[0] ? o->choices : NULL;
    return true;
  }
  return false;
}

bool fe_ansible_documented(const char *module) {
  for (size_t i = 0; i < sizeof fe_options / sizeof *fe_options; i++)
    if (strcmp(fe_options[i].module, module) == 0)
      return true;
  return false;
}

static bool fe_in_sorted(const char *const *list, size_t n, const char *name) {
  return bsearch(fe_bare(name), list, n, sizeof *list, fe_str_cmp) != NULL;
}

bool fe_ansible_filter(const char *name) {
  return fe_in_sorted(fe_filters, sizeof fe_filters / sizeof *fe_filters, name) || strchr(fe_bare(name), '.');
}

bool fe_ansible_test(const char *name) {
  return fe_in_sorted(fe_tests, sizeof fe_tests / sizeof *fe_tests, name) || strchr(fe_bare(name), '.');
}

bool fe_ansible_lookup(const char *name) {
  return fe_in_sorted(fe_lookups, sizeof fe_lookups / sizeof *fe_lookups, name) || strchr(fe_bare(name), '.');
}
