/*
 * schema.c — the module argument table: each module's schema (defined in the
 * module's own file, modules.def's order is the module id used by the
 * compiler and the runtime), lookups by name, and a hash of the whole table.
 * Parameter sets follow Ansible's module documentation for the options playc
 * implements; an option it does not implement is absent, so using one is
 * planned as unsupported and refused by -o rather than silently ignored.
 */
#include "modules.h"

#include <string.h>

/* Every module's schema, in id order (modules.def). */
#define MOD(n) extern const ModSchema mod_schema_##n;
#include "modules.def"
#undef MOD

const ModSchema *const mod_schemas[] = {
#define MOD(n) &mod_schema_##n,
#include "modules.def"
#undef MOD
};
const int32_t mod_nschemas = (int32_t)(sizeof mod_schemas / sizeof *mod_schemas);

int32_t mod_schema_find(const char *name) {
  static const char *const prefixes[] = {"ansible.builtin.", "ansible.legacy."};
  for (int p = 0; p < 2; p++) {
    size_t n = strlen(prefixes[p]);
    if (strncmp(name, prefixes[p], n) == 0) {
      name += n;
      break;
    }
  }
  for (int32_t i = 0; i < mod_nschemas; i++)
    if (strcmp(mod_schemas[i]->name, name) == 0)
      return i;
  return -1;
}

/* True when `name` is one of the comma-separated words of `list`. */
static bool in_list(const char *list, const char *name) {
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

int32_t mod_param_find(const ModSchema *m, const char *name) {
  for (int32_t i = 0; i < m->nparams; i++)
    if (strcmp(m->params[i].name, name) == 0 || in_list(m->params[i].aliases, name))
      return i;
  return -1;
}

/* FNV-1a over every name and type in the table. */
static uint32_t fnv(uint32_t h, const char *s) {
  for (; s && *s; s++)
    h = (h ^ (uint8_t)*s) * 16777619u;
  return (h ^ 0xff) * 16777619u;
}

uint32_t mod_schema_hash(void) {
  uint32_t h = 2166136261u;
  for (int32_t i = 0; i < mod_nschemas; i++) {
    h = fnv(h, mod_schemas[i]->name);
    for (int32_t j = 0; j < mod_schemas[i]->nparams; j++) {
      h = fnv(h, mod_schemas[i]->params[j].name);
      h = (h ^ (uint32_t)mod_schemas[i]->params[j].type) * 16777619u;
    }
  }
  return h;
}
