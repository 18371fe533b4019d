/*
 * modules.h — module argument schemas: data shared by the compiler (playc
 * checks task arguments against them at compile time: unknown, missing,
 * mistyped parameters are located errors) and the runtime (which dispatches on
 * the same table index and converts argument types the same way).
 *
 * This header is free of runtime and compiler types on purpose: it is included
 * by both sides. The module implementations (runtime side) are declared in
 * modules/mod.h.
 */
#ifndef PLAYC_MODULES_H
#define PLAYC_MODULES_H

#include <stdbool.h>
#include <stdint.h>

typedef enum ModParamType {
  MP_STR,       /* string (numbers and bools are converted to text, as Ansible) */
  MP_BOOL,      /* bool, or a string Ansible's boolean() accepts: yes/no/true/... */
  MP_INT,       /* int, or a string of digits */
  MP_PATH,      /* string, a path on the target */
  MP_RAW,       /* any value, passed through */
  MP_LIST,      /* list; a comma-separated string is split, as Ansible */
  MP_DICT,      /* dict */
  MP_MODE,      /* file mode: int (octal as written in YAML) or string ("0644", "u+x") */
  MP_EXPR,      /* a bare Jinja expression (assert that, debug var): compiled, not templated */
  MP_EXPR_LIST  /* a list of bare Jinja expressions (or one string) */
} ModParamType;

typedef struct ModParam ModParam;
struct ModParam {
  const char *name;
  ModParamType type;
  bool required;
  const char *aliases; /* comma-separated, or NULL */
  const char *choices; /* comma-separated, or NULL: Ansible's whole list */
  const char *unimplemented; /* the choices playc does not run yet (comma-separated, or NULL):
                                planned, refused by -o; a templated one fails the task */
  const char *def;     /* the default as Ansible documents it (the module applies it), or NULL */
  ModParamType elements; /* MP_LIST: the elements' type (MP_STR is 0: set MP_RAW for any) */
  bool no_log;         /* a secret: censored in every output */
  const ModParam *options; /* MP_DICT / list of dicts: the suboptions, or NULL */
  int32_t noptions;
};

/* Constraints between parameters, as AnsibleModule's: groups are
 * comma-separated names, several groups separated by ';'. */
typedef struct ModSchema {
  const char *name;        /* short name: "command" (also ansible.builtin.X, ansible.legacy.X) */
  const ModParam *params;
  int32_t nparams;
  bool free_form;          /* a string argument (`command: ls -l`, k=v pairs) is allowed */
  bool any_params;         /* any parameter name is accepted (set_fact) */
  bool controller_only;    /* runs on the controller, needs no connection (debug, set_fact...) */
  const char *one_of;      /* required_one_of: in each group, at least one must be given */
  const char *exclusive;   /* mutually_exclusive: in each group, at most one may be given */
  const char *together;    /* required_together: in each group, all or none */
  const char *required_if; /* "key=value:a,b;key2=v:c|any": when key is value, all (or any) of
                              those must be given */
  const char *tools;       /* the programs it needs on the target, comma-separated, or NULL */
  bool check_mode;         /* supports check mode (else a check run skips it, as Ansible) */
  bool diff_mode;          /* returns a diff */
  const char *collection;  /* the collection whose name for it resolves here too
                              ("community.general": community.general.ini_file), or NULL */
} ModSchema;

extern const ModSchema *const mod_schemas[]; /* by module id (modules.def) */
extern const int32_t mod_nschemas;

/* Index of the module called `name` (short, ansible.builtin.NAME,
 * ansible.legacy.NAME, or COLLECTION.NAME for a schema's collection), or -1. */
int32_t mod_schema_lookup(const char *name);

/* True when module `name` (short name) is one whose Ansible 2.14 action
 * plugin refuses `async` (ActionBase: _supports_async false): the task
 * fails at run time with "async is not supported for this task." */
bool mod_async_refused(const char *name);

/* Index of parameter `name` (or one of its aliases) in schema `m`, or -1. */
int32_t mod_param_find(const ModSchema *m, const char *name);

/* Ansible's AnsibleModule checks of `args` against schema `m` (mutually
 * exclusive, required, choices, required one of / together / if), on the
 * names as given (aliases resolved). `has(ctx, name)` says whether a
 * parameter is given, `text(ctx, name)` its value as text (NULL when not a
 * scalar). Returns the first failure's message (malloc'd), or NULL. Shared by
 * the compiler (constant arguments; it checks choices itself, `choices`
 * false) and the runtime (templated ones). */
char *mod_check_constraints(const ModSchema *m, bool (*has)(void *ctx, const char *name),
                            const char *(*text)(void *ctx, const char *name), void *ctx, bool choices);

/* The names among `keys` that are neither parameters nor aliases of `m`
 * (playc's own "__" names aside), as AnsibleModule reports them:
 * "Unsupported parameters for (ansible.legacy.M) module: a, b. Supported
 * parameters include: ... (aliases)." (malloc'd), or NULL. */
char *mod_check_unsupported(const ModSchema *m, const char *const *keys, int32_t n);

/* A hash of the whole table, stored in compiled programs and checked by the
 * runtime, so a binary never runs against a runtime with a different table. */
uint32_t mod_schema_hash(void);

/* The number of elements of a static array (module schemas' parameter lists). */
#define MOD_N(a) ((int32_t)(sizeof(a) / sizeof((a)[0])))

/* The file module's common arguments, as the modules that write a file take
 * them (file itself adds the alias user for owner). */
#define MOD_FILE_COMMON_PARAMS                                                                     \
  {.name = "mode", .type = MP_MODE}, {.name = "owner", .type = MP_STR},                           \
      {.name = "group", .type = MP_STR}, {.name = "seuser", .type = MP_STR},                      \
      {.name = "serole", .type = MP_STR}, {.name = "setype", .type = MP_STR},                     \
      {.name = "selevel", .type = MP_STR}, {.name = "unsafe_writes", .type = MP_BOOL, .def = "no"}

#endif
