/*
 * schema.c — the module argument table. One row per built-in module; the row's
 * index is the module id used by the compiler and the runtime (mod.h's
 * mod_runs[] follows the same order). Parameter sets follow Ansible's module
 * documentation for the options playc implements; options it does not
 * implement are absent, so using one is a compile error rather than silently
 * ignored.
 */
#include "modules.h"

#include <string.h>

#define N(a) ((int32_t)(sizeof(a) / sizeof((a)[0])))

static const ModParam command_params[] = {
    {"_raw_params", MP_STR, false, NULL, NULL},
    {"cmd", MP_STR, false, NULL, NULL},
    {"argv", MP_LIST, false, NULL, NULL},
    {"chdir", MP_PATH, false, NULL, NULL},
    {"creates", MP_PATH, false, NULL, NULL},
    {"removes", MP_PATH, false, NULL, NULL},
    {"stdin", MP_STR, false, NULL, NULL},
    {"stdin_add_newline", MP_BOOL, false, NULL, NULL},
    {"strip_empty_ends", MP_BOOL, false, NULL, NULL},
};

static const ModParam shell_params[] = {
    {"_raw_params", MP_STR, false, NULL, NULL},
    {"cmd", MP_STR, false, NULL, NULL},
    {"chdir", MP_PATH, false, NULL, NULL},
    {"creates", MP_PATH, false, NULL, NULL},
    {"removes", MP_PATH, false, NULL, NULL},
    {"executable", MP_PATH, false, NULL, NULL},
    {"stdin", MP_STR, false, NULL, NULL},
    {"stdin_add_newline", MP_BOOL, false, NULL, NULL},
    {"strip_empty_ends", MP_BOOL, false, NULL, NULL},
};

static const ModParam debug_params[] = {
    {"msg", MP_RAW, false, NULL, NULL},
    {"var", MP_EXPR, false, NULL, NULL},
    {"verbosity", MP_INT, false, NULL, NULL},
};

static const ModParam set_fact_params[] = {
    {"cacheable", MP_BOOL, false, NULL, NULL},
};

static const ModParam assert_params[] = {
    {"that", MP_EXPR_LIST, true, NULL, NULL},
    {"fail_msg", MP_RAW, false, "msg", NULL},
    {"success_msg", MP_RAW, false, NULL, NULL},
    {"quiet", MP_BOOL, false, NULL, NULL},
};

static const ModParam fail_params[] = {
    {"msg", MP_RAW, false, NULL, NULL},
};

static const ModParam file_params[] = {
    {"path", MP_PATH, true, "dest,name", NULL},
    {"state", MP_STR, false, NULL, "absent,directory,file,touch"},
    {"mode", MP_MODE, false, NULL, NULL},
    {"owner", MP_STR, false, "user", NULL},
    {"group", MP_STR, false, NULL, NULL},
    {"recurse", MP_BOOL, false, NULL, NULL},
};

static const ModParam copy_params[] = {
    {"dest", MP_PATH, true, NULL, NULL},
    {"src", MP_PATH, false, NULL, NULL},
    {"content", MP_STR, false, NULL, NULL},
    {"mode", MP_MODE, false, NULL, NULL},
    {"owner", MP_STR, false, NULL, NULL},
    {"group", MP_STR, false, NULL, NULL},
    {"force", MP_BOOL, false, "thirsty", NULL},
    {"backup", MP_BOOL, false, NULL, NULL},
};

static const ModParam setup_params[] = {
    {"gather_subset", MP_LIST, false, NULL, NULL},
    {"filter", MP_LIST, false, NULL, NULL},
};

static const ModParam include_vars_params[] = {
    {"_raw_params", MP_STR, false, NULL, NULL},
    {"file", MP_PATH, false, NULL, NULL},
    {"name", MP_STR, false, NULL, NULL},
};

static const ModParam validate_argument_spec_params[] = {
    {"argument_spec", MP_RAW, true, NULL, NULL},
    {"provided_arguments", MP_RAW, false, NULL, NULL},
    {"validate_args_context", MP_RAW, false, NULL, NULL},
};

/* The order of this table is the module id; append only, and keep mod.h's
 * mod_runs[] in the same order. */
const ModSchema mod_schemas[] = {
    {"command", command_params, N(command_params), true, false, false, NULL, NULL},
    {"shell", shell_params, N(shell_params), true, false, false, NULL, NULL},
    {"debug", debug_params, N(debug_params), false, false, true, NULL, "msg,var"},
    {"set_fact", set_fact_params, N(set_fact_params), true, true, true, NULL, NULL},
    {"assert", assert_params, N(assert_params), false, false, true, NULL, NULL},
    {"fail", fail_params, N(fail_params), false, false, true, NULL, NULL},
    {"file", file_params, N(file_params), true, false, false, NULL, NULL},
    {"copy", copy_params, N(copy_params), true, false, false, "src,content", "src,content"},
    {"setup", setup_params, N(setup_params), true, false, false, NULL, NULL},
    {"include_vars", include_vars_params, N(include_vars_params), true, false, true, "_raw_params,file", NULL},
    {"validate_argument_spec", validate_argument_spec_params, N(validate_argument_spec_params), false, false, true,
     NULL, NULL},
};
const int32_t mod_nschemas = N(mod_schemas);

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
    if (strcmp(mod_schemas[i].name, name) == 0)
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
    h = fnv(h, mod_schemas[i].name);
    for (int32_t j = 0; j < mod_schemas[i].nparams; j++) {
      h = fnv(h, mod_schemas[i].params[j].name);
      h = (h ^ (uint32_t)mod_schemas[i].params[j].type) * 16777619u;
    }
  }
  return h;
}
