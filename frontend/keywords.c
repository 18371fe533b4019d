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
#include "ansible_modules.inc"
};

static int fe_mod_cmp(const void *key, const void *elem) {
  return strcmp(key, ((const FeModName *)elem)->name);
}

const char *fe_ansible_module(const char *name) {
  static const char *const pre[] = {"ansible.builtin.", "ansible.legacy.", NULL};
  for (int i = 0; pre[i]; i++)
    if (strncmp(name, pre[i], strlen(pre[i])) == 0) {
      const FeModName *m = bsearch(name + strlen(pre[i]), fe_modnames,
                                   sizeof fe_modnames / sizeof *fe_modnames, sizeof *fe_modnames, fe_mod_cmp);
      return m && strncmp(m->fqcn, "ansible.builtin.", 16) == 0 ? m->fqcn : NULL;
    }
  if (strchr(name, '.')) /* a collection's module: known by its form */
    return name;
  const FeModName *m =
      bsearch(name, fe_modnames, sizeof fe_modnames / sizeof *fe_modnames, sizeof *fe_modnames, fe_mod_cmp);
  return m ? m->fqcn : NULL;
}
