/*
 * frontend.h — the compiler's front: the compilation context (arena and
 * diagnostics), the YAML node tree, the playbook AST and the Jinja AST.
 * Sectioned by the file that implements each part.
 *
 * Everything a compilation allocates lives in the context's arena and is freed
 * at once by pc_ctx_free; two contexts can live side by side (no globals).
 * Frontend functions report user errors as located diagnostics (pc_error_at)
 * and keep going where they can, so one run lists every error of a file.
 */
#ifndef PLAYC_FRONTEND_H
#define PLAYC_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- ctx.c: compilation context, arena, diagnostics ----------------------- */

typedef struct PcLoc {
  const char *file; /* path as given (arena) */
  int32_t line;     /* 1-based; 0 = unknown */
  int32_t col;      /* 1-based */
} PcLoc;

typedef struct PcArenaBlock PcArenaBlock;

typedef struct PcSource {
  const char *path;
  /* The whole file, NUL-terminated, for caret lines; NULL while dropped
   * (pc_source_drop: a regular file once its YAML is loaded), read again
   * by pc_source_text when a diagnostic needs it. */
  const char *text;
  size_t len;
  uint64_t hash; /* of the text read first: a re-read must give the same bytes */
  bool pinned;   /* never dropped: not a regular file, text given by a caller, or text a node holds */
  bool heap;     /* text is malloc'ed (dropping frees it), not in the arena */
  size_t *line_starts; /* offsets of each line's start; built by pc_source_line */
  int32_t nlines;
} PcSource;

/* An open-addressing hash map in the arena (chibicc's hashmap.c, without
 * deletion). A map's keys are either byte strings, compared by content and
 * kept by reference (they must live as long as the map), or pointers compared
 * by identity (the _ptr functions); one map uses one kind. Iteration order is
 * never used, so hashing pointers cannot make output depend on addresses. */
typedef struct PcMapEnt {
  const void *key;
  size_t len; /* PC_MAP_PTR for an identity key */
  void *val;
} PcMapEnt;
typedef struct PcMap {
  PcMapEnt *ents;
  uint32_t cap, len;
} PcMap;
#define PC_MAP_PTR ((size_t)-1)

typedef struct PcCtx {
  PcArenaBlock *arena;
  int nerrors;
  int nwarnings;
  PcMap diags; /* diagnostics printed so far: the same one is printed once */
  FILE *diag_out;          /* stderr by default; tests may redirect */
  PcSource *sources;       /* files read so far (for printing source lines) */
  int nsources, capsources;
  const char **roles_path; /* search path for roles */
  int nroles_path;
  const char *playbook_dir;
  bool strict; /* --strict: faults Ansible reports only at run time are errors */
  /* --plan: the IR is printed, never compiled, so lowering leaves out what
   * only code generation reads (a task's junit args text, ir/lower.c). */
  bool plan_only;
  /* Jinja parse errors held rather than printed (ir/lower.c: a playbook
   * string Jinja2 cannot parse fails its task at run time, as Ansible's): the
   * first one's message and place, until the caller takes it. */
  bool jinja_hold;
  const char *jinja_err;
  PcLoc jinja_err_loc;
  /* A second arena for syntax trees that die young (the Jinja AST of a
   * playbook string, dropped once it is lowered): pc_alloc_ast uses it
   * while ast_scratch is set, and pc_scratch_reset empties it for reuse. */
  PcArenaBlock *scratch;
  bool ast_scratch;
  PcMap names; /* pc_intern: each identifier's one copy */
  /* A third arena for the IR of one task while `--plan` lowers, prints and
   * drops a task at a time (ir/stream.c): pc_alloc_ir uses it while task_on
   * is set, and pc_task_reset empties it. What outlives the task (frames,
   * compiled template files) is lowered with task_on cleared. */
  PcArenaBlock *task;
  bool task_on;
  bool arena_is_task; /* pc_task_arena_enter: `arena` and `task` are swapped */
} PcCtx;

void pc_ctx_init(PcCtx *c);
void pc_ctx_free(PcCtx *c);
/* Arena allocation: zeroed, lives until pc_ctx_free. */
void *pc_alloc(PcCtx *c, size_t n);
/* A syntax-tree node: in the scratch arena while c->ast_scratch is set (it
 * lives until pc_scratch_reset), else in the arena. Zeroed. */
void *pc_alloc_ast(PcCtx *c, size_t n);
/* Frees everything pc_alloc_ast put in the scratch arena (its first block
 * is kept, empty, for the next tree). */
void pc_scratch_reset(PcCtx *c);
/* An IR node (ir/ir.c): in the task arena while c->task_on is set (it lives
 * until pc_task_reset), else in the arena. Zeroed. */
void *pc_alloc_ir(PcCtx *c, size_t n);
/* Frees everything pc_alloc_ir put in the task arena (its first block is
 * kept, empty, for the next task). */
void pc_task_reset(PcCtx *c);
/* Between these two, pc_alloc (and the strings, vectors and maps built with
 * it) uses the task arena: frontend work done while a task is lowered whose
 * result only that task's IR reads (its free-form arguments). Diagnostics
 * made meanwhile are still kept in the arena. No-ops unless task_on. */
void pc_task_arena_enter(PcCtx *c);
void pc_task_arena_leave(PcCtx *c);
char *pc_strdup(PcCtx *c, const char *s);
/* The one copy in the arena of the `n` bytes at `s` (NUL-terminated): the
 * same text gives the same pointer, so an identifier written in many places
 * (a Jinja name) is stored once. The result must never be written to. */
const char *pc_intern(PcCtx *c, const char *s, size_t n);
char *pc_strndup(PcCtx *c, const char *s, size_t n);
char *pc_sprintf(PcCtx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* What the compiler reads, bounded: a playbook or other YAML source file, and
 * a file embedded in the executable (copy src). Past these sizes a file is
 * refused with a located error instead of exhausting memory. */
#define PC_MAX_SOURCE_BYTES ((size_t)64 << 20)
#define PC_MAX_EMBED_BYTES ((size_t)256 << 20)
/* Everything the `src` of a playbook's tasks embed, in all (ir/lower.c). */
#define PC_MAX_EMBED_TOTAL ((size_t)512 << 20)
#define PC_MAX_EMBED_FILES 10000
#define PC_MAX_EMBED_DEPTH 32
/* Tasks and blocks in a compiled program (ir/structure.c): every use of a
 * task is compiled apart, so this bounds aliased task lists. */
#define PC_MAX_IR_TASKS 200000
/* A task's arguments as text in the junit report (ir/lower.c): cut there. */
#define PC_MAX_ARGS_TEXT ((size_t)64 << 10)
/* Why pc_read_file refused a file, beside errno values (ENOENT, EACCES, ...). */
enum { PC_READ_FOLDER = -1, PC_READ_TOO_BIG = -2, PC_READ_NOT_REGULAR = -3, PC_READ_CHANGED = -4 };
/* The one function that reads a file for the compiler: the whole of `path`,
 * at most `max` bytes, into the arena, NUL-terminated (*text, *len). With
 * `regular_only`, anything but a regular file is refused without reading it
 * (so a FIFO or a device cannot block or stream forever); otherwise a pipe
 * such as <(cmd) is read up to `max`. A folder is always refused. Returns 0,
 * or an errno value or a PC_READ_* code; pc_read_strerror words it. No
 * diagnostic: the caller knows the location to report it at. */
int pc_read_file(PcCtx *c, const char *path, size_t max, bool regular_only, const char **text,
                 size_t *len);
/* "is a folder", "is larger than 64 MiB", strerror(err), ... for `err` from
 * pc_read_file with limit `max`. */
const char *pc_read_strerror(PcCtx *c, int err, size_t max);
/* Reads a source file (pc_read_file, PC_MAX_SOURCE_BYTES) and remembers it
 * for diagnostics; a path read before is not read again (its text is read
 * again if it was dropped). Returns NULL with *err (as for pc_read_file, or
 * PC_READ_CHANGED) when it cannot be read. */
PcSource *pc_read_source(PcCtx *c, const char *path, int *err);
/* Frees the text of source `s` when it can be read again (a regular file
 * read by pc_read_source, not pinned): the YAML loader drops a file's text
 * once its nodes are built, so a big playbook's text is not held through
 * lowering (nodes copy what they keep). */
void pc_source_drop(PcSource *s);
/* The text of `s`, read again from its file if it was dropped; NULL when
 * that fails or the file no longer has the bytes first read (then the
 * source has no lines to show). */
const char *pc_source_text(PcSource *s);
/* Remembers `len` bytes of `text` as the source `path` (tests and fuzz
 * targets compile text that is not in a file); pc_read_source(path) then
 * returns it. The text is copied. */
const PcSource *pc_add_source(PcCtx *c, const char *path, const char *text, size_t len);
/* A file read so far, by the path it was read with; NULL if none. */
PcSource *pc_find_source(PcCtx *c, const char *path);
/* Line `i` (0-based) of `s` with its newline, as Python's readlines() gives
 * it (length in *len), or NULL past the end; *count gets the number of lines.
 * The first call indexes the lines, so later ones cost O(1). */
const char *pc_source_line(PcCtx *c, PcSource *s, int32_t i, size_t *len, int32_t *count);
/* errctx.c: what ansible-playbook appends to an error raised against the task
 * at `loc` (position, offending lines, YAML hints); NULL if the source is
 * unknown. */
const char *fe_error_context(PcCtx *c, PcLoc loc);
/* "file:line:col: error: msg", then the source line and a caret. A
 * diagnostic identical to one already printed (same kind, location and text:
 * an error inside a YAML anchor reached through many aliases) is counted
 * but printed once. */
void pc_error_at(PcCtx *c, PcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pc_warn_at(PcCtx *c, PcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A fault Ansible reports only when the task runs (an unknown module
 * parameter, a missing handler): a warning that says so, an error with
 * --strict. The compiled task fails at run time as Ansible's does. */
void pc_fault_at(PcCtx *c, PcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An error with no location ("playc: error: ..."). */
void pc_error(PcCtx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Nesting limits of the compiler's parsers. Past a limit, a located "nested
 * too deeply" error at the position where it is crossed stops the parse, so
 * every recursive walk after the parsers (playbook checks, lowering, the IR
 * passes, the plan printer, codegen) is bounded by their sum; the stack a
 * level costs is a few hundred bytes. Ansible accepts less, so nothing it
 * loads is refused: PyYAML's constructor fails with RecursionError past about
 * 490 levels (flow or block, sequences or mappings), Jinja2's parser and code
 * generator past 69 nested parentheses, 76 lists, 199 chained + or filters,
 * 326 unary operators (Python's default recursion limit of 1000). A YAML
 * level counts through aliases: an alias adds the depth of its anchor. */
#define PC_MAX_YAML_DEPTH 1000
#define PC_MAX_JINJA_DEPTH 500
/* `<<` merge keys copy entries (as PyYAML does), so a chain of maps each
 * merging the previous one grows quadratically: a document may copy at most
 * this many entries through merges. */
#define PC_MAX_YAML_MERGED 1000000

/* Internal bugs abort loudly with file:line. */
_Noreturn void pc_panic(const char *file, int line, const char *what);
#define PC_ASSERT(c)                                                                      \
  do {                                                                                    \
    if (!(c))                                                                             \
      pc_panic(__FILE__, __LINE__, #c);                                                   \
  } while (0)
#define PC_UNREACHABLE() pc_panic(__FILE__, __LINE__, "unreachable")

/* A stretchy vector of pointers in the arena. */
typedef struct PcVec {
  void **items;
  int32_t len, cap;
} PcVec;
void pc_vec_push(PcCtx *c, PcVec *v, void *item);
/* Sorts the items with qsort's `cmp`; an empty vector (items NULL) is left
 * alone, as qsort must not be given a null pointer. */
void pc_vec_sort(PcVec *v, int (*cmp)(const void *, const void *));

/* The value stored under byte-string key `key` (`len` bytes), or NULL. */
void *pc_map_get(const PcMap *m, const void *key, size_t len);
/* Stores `val` under `key`, replacing a value already there. */
void pc_map_put(PcCtx *c, PcMap *m, const void *key, size_t len, void *val);
/* The same with a pointer compared by identity as the key. */
void *pc_map_get_ptr(const PcMap *m, const void *key);
void pc_map_put_ptr(PcCtx *c, PcMap *m, const void *key, void *val);

/* A growable byte string in the arena (sds-like): appends are amortised
 * O(length), so text built piece by piece costs linear time. s is always
 * NUL-terminated once anything was added. */
typedef struct PcBuf {
  char *s;
  size_t len, cap;
} PcBuf;
void pc_buf_add(PcCtx *c, PcBuf *b, const char *s, size_t n);
void pc_buf_adds(PcCtx *c, PcBuf *b, const char *s);
/* The text built so far ("" when nothing was added). */
const char *pc_buf_str(const PcBuf *b);

/* ---- yaml.c: YAML (libyaml) → node tree with locations --------------------- */

typedef enum FeNodeKind { FE_SCALAR, FE_SEQ, FE_MAP } FeNodeKind;

/* A scalar's type as PyYAML's YAML 1.1 resolver gives it (plain scalars only;
 * quoted scalars and !!str are always strings). */
typedef enum FeScalarType { FE_T_NULL, FE_T_BOOL, FE_T_INT, FE_T_FLOAT, FE_T_STR, FE_T_VAULT } FeScalarType;

typedef struct FeNode FeNode;
/* Packed (bit-fields, a 32-bit length): a big playbook holds millions. */
struct FeNode {
  FeNodeKind kind : 8;
  /* FE_SCALAR */
  FeScalarType stype : 8;
  bool b : 1;
  bool quoted : 1; /* a single- or double-quoted scalar (its text starts one column in) */
  /* Reached from more than one place (an alias or a `<<` merge): the node
   * graph is a DAG, and walks over it must visit such a node once
   * (memoise on it), never once per path. */
  bool shared : 1;
  bool open : 1; /* yaml.c: a collection still being read (an alias to it is a cycle) */
  /* FE_T_VAULT: `text` is vault text (ciphertext), never decrypted by the
   * compiler: an inline `!vault` value, or (vault_file) a whole data file
   * that is vault-encrypted, whose plaintext is parsed only at run time. */
  bool vault_file : 1;
  /* FE_T_STR tagged `!unsafe` (or inside a collection so tagged): Ansible's
   * AnsibleUnsafeText, a string never templated. */
  bool unsafe : 1;
  uint32_t len; /* of text (a source file is at most PC_MAX_SOURCE_BYTES) */
  int32_t n;
  /* Levels of collections in this node, itself included, through aliases
   * (0 for a scalar): what the depth limit is checked against. */
  int32_t height;
  PcLoc loc;
  const char *text; /* the scalar's text (after YAML unescaping), NUL-terminated; NULL for a collection */
  /* A scalar's value and a collection's arrays share their bytes (a big
   * playbook holds millions of nodes; 56 bytes, where 72 were kept apart):
   * read each only for its kind and type. */
  union {
    struct {                /* FE_SCALAR */
      union {
        int64_t i;          /* FE_T_INT */
        double f;           /* FE_T_FLOAT */
      };
      const char *digits;   /* FE_T_INT past 64 bits: its decimal digits (i: saturated) */
    };
    struct {                /* FE_SEQ, FE_MAP */
      union {
        FeNode **items;     /* FE_SEQ: items[n] */
        FeNode **keys;      /* FE_MAP: keys[n] (scalars), in document order */
      };
      FeNode **vals;        /* FE_MAP: vals[n] */
    };
  };
};

/* Loads the first document of a YAML file. Anchors are shared, never copied
 * (FeNode.shared); nesting is limited to PC_MAX_YAML_DEPTH levels and `<<`
 * merges to PC_MAX_YAML_MERGED copied entries in all, with located errors.
 * NULL after a diagnostic. */
FeNode *fe_yaml_load(PcCtx *c, const char *path);
/* The same for a data file (tasks, vars) that may be empty: NULL with
 * *empty set and no diagnostic for a file with no document. A file that is
 * vault-encrypted as a whole is an FE_T_VAULT scalar with vault_file set
 * (its envelope checked); fe_yaml_load refuses one (a playbook's plaintext
 * would have to be compiled in). */
FeNode *fe_yaml_load_data(PcCtx *c, const char *path, bool *empty);
/* The value of key `key` in map `map`, or NULL. */
FeNode *fe_map_get(const FeNode *map, const char *key);
/* Free-form `k=v ...` text (a scalar node) as a map node, as Ansible's
 * parse_kv reads it; with `raw` (command, shell, raw, script) only their
 * own options are keys and the rest is _raw_params (freeform.c). */
FeNode *fe_free_form(PcCtx *c, const FeNode *n, bool raw);

/* ---- playbook.c, roles.c: node tree → playbook AST ------------------------------ */
/*
 * The AST keeps Ansible's objects: a playbook is a list of plays; a play has
 * sections (pre_tasks, roles, tasks, post_tasks, handlers) of task lists; a
 * task list holds tasks and blocks (block/rescue/always, nested); roles are
 * loaded once per play and name (role instances) and used from `roles:`,
 * `import_role`, `include_role` and role dependencies. Static imports
 * (import_tasks, import_role, import_playbook) are resolved here and appear
 * as blocks marked `import`; dynamic includes (include_tasks, include_role)
 * carry every file they can name, loaded ahead of time. Keyword values stay
 * YAML nodes (FeNode); lowering turns them into IR.
 */

typedef enum FeKw {
#define FE_KW(id, name, where, runs) FE_KW_##id,
#include "keywords.def"
#undef FE_KW
  FE_KW_COUNT
} FeKw;

/* keywords.c: the keyword table. */
typedef struct FeKwInfo {
  const char *name;
  int where; /* FE_P | FE_R | FE_B | FE_T | FE_H */
  bool runs; /* honoured by compiled binaries (else -o refuses it) */
} FeKwInfo;
extern const FeKwInfo fe_keywords[FE_KW_COUNT];
/* The keyword called `name`, or -1. */
int fe_keyword_find(const char *name);
/* The fully qualified name of a module Ansible knows by `name` (a builtin, a
 * short name Ansible routes to a collection, or any collection-qualified
 * name), or NULL for a name Ansible cannot resolve. */
const char *fe_ansible_module(const char *name);
/* True when `name` is an option (or alias) of ansible.builtin's `module`
 * (short name); *canonical gets the option's name, *choices its choices
 * (comma-separated) or NULL. */
bool fe_ansible_option(const char *module, const char *name, const char **canonical, const char **choices);
/* True when playc knows the options of ansible.builtin's `module`. */
bool fe_ansible_documented(const char *module);
/* The parameters AnsibleModule accepts for ansible.builtin module `module`,
 * as its "Supported parameters include: ..." message lists them; NULL for an
 * action without a module spec. */
const char *fe_ansible_argspec(const char *module);
/* True for a filter, test or lookup Ansible 2.14 has (Jinja2's and
 * ansible.builtin's), or any collection-qualified name. */
bool fe_ansible_filter(const char *name);
bool fe_ansible_test(const char *name);
bool fe_ansible_lookup(const char *name);

typedef struct FeRole FeRole;
typedef struct FeTask FeTask;
typedef struct FeList FeList;
typedef struct FeInclude FeInclude;

/* A list of tasks and blocks, as read from one place (a section, a block
 * region, a tasks file). */
struct FeList {
  FeTask **items;
  int32_t n;
};

typedef enum FeTaskKind {
  FE_TASK_MODULE,        /* a module or action call (includes meta, include_vars) */
  FE_TASK_BLOCK,         /* block/rescue/always, or a static import (import != NULL) */
  FE_TASK_INCLUDE_TASKS, /* include_tasks: dynamic, every candidate file loaded */
  FE_TASK_INCLUDE_ROLE   /* include_role: dynamic */
} FeTaskKind;

/* A role use: a `roles:` entry, a dependency, import_role or include_role. */
typedef struct FeRoleUse {
  FeRole *role;
  PcLoc loc;
  FeNode *entry;              /* the map or scalar that names it */
  FeNode *kw[FE_KW_COUNT];    /* its keywords (when, tags, vars, become, ...) */
  FeNode *params;             /* role params: the entry's other keys (map, may be NULL) */
  const char *tasks_from, *vars_from, *defaults_from, *handlers_from; /* NULL: main */
  bool is_public;             /* include_role public: (import_role/roles: always public) */
  bool from_include;          /* include_role */
} FeRoleUse;

struct FeTask {
  FeTaskKind kind;
  PcLoc loc;
  FeNode *node;             /* the task's map */
  /* Its keyword values as written, sparse (a task sets a few of the
   * FE_KW_COUNT keywords, and a big playbook has many tasks): bit k of
   * kwset is set when keyword k is there, kwv holds their values in keyword
   * order. Read with fe_task_kw, written with fe_task_set_kws. */
  uint64_t kwset;
  FeNode **kwv;
  PcLoc loop_loc;           /* the `loop` or `with_<lookup>` key */
  const char *name;         /* NULL when none */
  bool handler;             /* read from a handlers section */
  bool implicit;            /* a block Ansible makes around bare tasks */
  /* FE_TASK_MODULE */
  const char *action;       /* the module name as written (short or FQCN) */
  const char *local_module; /* a module of a library/ folder (a role's, the playbook's): its file, or NULL */
  PcLoc action_loc;
  FeNode *args;             /* map, free-form scalar, or NULL */
  const char *with;         /* the lookup of a with_<lookup> loop, or NULL */
  FeNode *with_node;        /* its terms */
  /* FE_TASK_BLOCK: the three regions; an import has only `block` */
  FeList block, rescue, always;
  const char *import;       /* "import_tasks" / "import_role": the static import it stands for */
  FeRoleUse *role_use;      /* import_role: the role whose blocks this holds */
  /* FE_TASK_INCLUDE_TASKS / FE_TASK_INCLUDE_ROLE */
  FeInclude *include;
};

_Static_assert(sizeof(void *) != 8 || sizeof(FeNode) == 56, "FeNode is 56 bytes on a 64-bit host");
_Static_assert(FE_KW_COUNT <= 64, "FeTask.kwset has a bit per keyword");

/* Keyword `k` of task `t` as written, or NULL. */
static inline FeNode *fe_task_kw(const FeTask *t, int k) {
  uint64_t bit = (uint64_t)1 << k;
  return t->kwset & bit ? t->kwv[__builtin_popcountll(t->kwset & (bit - 1))] : NULL;
}
/* Sets the keywords of `t` from `kw` (FE_KW_COUNT values, NULL when absent). */
void fe_task_set_kws(PcCtx *c, FeTask *t, FeNode *const *kw);
/* The keywords of `t` into `kw` (FE_KW_COUNT values, NULL when absent). */
void fe_task_kws(const FeTask *t, FeNode **kw);

/* The files a dynamic include can name, each loaded ahead of time. */
struct FeInclude {
  FeNode *file;             /* the name as written: a constant or a template */
  const char **names;       /* for each candidate: the name it answers to (path as resolved) */
  const char **paths;       /* the file read */
  FeList *lists;            /* include_tasks: each candidate's tasks */
  FeNode **vars;            /* include_vars: each candidate's vars (a map, or NULL when empty) */
  int32_t n;
  const char **dirs;        /* the folders a relative name is tried in, in order */
  int32_t ndirs;
  FeRoleUse *role_use;      /* include_role: the role (candidates are its tasks_from files) */
  bool may_unbound;         /* include_tasks: a name playc cannot bound is planned (unbounded), not an error */
  const char *unbounded;    /* then why: -o refuses it */
};

/* A role instance: a role loaded once per play and set of params (Ansible's
 * ROLE_CACHE); every use of the same name and params shares it. */
struct FeRole {
  int32_t id;               /* instance number in the program */
  const char *name;         /* role name (folder name, or as written) */
  const char *path;         /* the role's folder */
  FeNode *defaults;         /* map (defaults/main, merged), or NULL */
  FeNode *vars;             /* map (vars/main), or NULL */
  FeList tasks;             /* tasks/main (or tasks_from) */
  FeList handlers;          /* handlers/main */
  FeRoleUse **deps;         /* meta/main dependencies, in order */
  int32_t ndeps;
  bool allow_duplicates;
  FeNode *argument_specs;   /* meta/argument_specs (map of entry points), or NULL */
  FeNode *metadata;         /* meta/main, or NULL */
};

typedef enum FeSection { FE_SEC_PRE_TASKS, FE_SEC_TASKS, FE_SEC_POST_TASKS, FE_SEC_HANDLERS, FE_SEC_COUNT } FeSection;

typedef struct FePlay {
  PcLoc loc;
  FeNode *node;
  const char *name;         /* NULL if none */
  FeNode *kw[FE_KW_COUNT];
  PcLoc kw_loc[FE_KW_COUNT];
  FeList sections[FE_SEC_COUNT];
  FeRoleUse **roles;        /* the roles: section */
  int32_t nroles;
  FeNode **vars_files;      /* loaded vars_files maps, in order (constant names) */
  const char **vars_files_paths;
  int32_t nvars_files;
  /* When an entry is a template: every entry, in order, as an include whose
   * `file` is the entry (a name or a list of names: the first found wins)
   * and whose candidates are the files its names can name; chosen per host
   * at run time, as VariableManager.get_vars templates them. */
  FeInclude **vars_files_dyn;
  int32_t nvars_files_dyn;
  FeNode *import_when;      /* import_playbook's when (list or scalar), or NULL */
  FeNode *import_vars;      /* import_playbook's vars (map), or NULL */
  const char *dir;          /* the folder of the playbook file it came from */
} FePlay;

/* A group_vars/NAME or host_vars/NAME entry beside the playbook: the vars
 * Ansible's host_group_vars plugin reads for a group or host of that name
 * (its files merged in order), compiled like play vars. */
typedef struct FeInvVars {
  const char *name; /* the group or host name it applies to */
  bool host;        /* host_vars (else group_vars) */
  const char *path; /* the file or folder read */
  FeNode *vars;     /* merged map (NULL: every file empty) */
} FeInvVars;

typedef struct FePlaybook {
  const char *path;
  const char *dir; /* directory of the playbook (for files/, roles/) */
  FePlay **plays;
  int32_t nplays;
  int32_t nroles;  /* role instances, numbered 0..nroles-1 */
  const char *load_fault; /* the first error ansible-playbook raises loading the playbook that playc
                             only warns about (without --strict): the program prints it and exits 4
                             before running anything; with its error context. NULL: none */
  PcVec role_paths; /* const char*: the folder of each role loaded (for their plugin folders) */
  FeInvVars *inv_vars; /* group_vars/ then host_vars/ beside the playbook, names sorted */
  int32_t ninv_vars;
} FePlaybook;

/* The file of a Jinja plugin named `name` in a `kind` folder ("filter_plugins",
 * "test_plugins") Ansible adds for the playbook or one of its roles: a .py
 * file there that names it in quotes. NULL if none. */
const char *fe_local_plugin(PcCtx *c, const FePlaybook *pb, const char *kind, const char *name);

/* Loads and checks a playbook (and every role, import and include it names).
 * NULL, or a playbook with c->nerrors > 0, after diagnostics. */
FePlaybook *fe_load_playbook(PcCtx *c, const char *path);

/* The loader's state while one playbook is read (playbook.c, roles.c). */
typedef struct FeLoad {
  PcCtx *c;
  FePlaybook *pb;
  FePlay *play;      /* the play being read: role instances are cached per play */
  PcVec roles;       /* FeRole*: this play's instances */
  PcVec role_keys;   /* const char*: their cache keys (name and params) */
  int depth;         /* nesting of imports, includes and role dependencies */
  PcVec loading;     /* const char*: the tasks files being read, outermost first (normalised paths) */
  PcMap once;        /* what shared nodes built, by FeOnceKey (playbook.c): an alias is built once */
} FeLoad;

/* Deepest nesting of imports, includes and role dependencies. */
enum { FE_MAX_NESTING = 64 };

/* playbook.c, used by roles.c: a tasks file or section as Ansible loads it
 * (load_list_of_blocks: runs of bare tasks grouped in implicit blocks), read
 * from sequence `n` for role `role` (NULL for the playbook's own); relative
 * file names resolve against folder `dir`. */
FeList fe_load_blocks(FeLoad *ld, FeNode *n, FeRole *role, const char *dir, bool handlers);
/* Reads a tasks file as fe_load_blocks does; reports an unreadable file at
 * `at`. An empty file is an empty list. */
FeList fe_load_tasks_file(FeLoad *ld, const char *path, FeRole *role, bool handlers, PcLoc at);
/* A vars file (vars_files, role vars and defaults): its map, or NULL when it
 * is empty (or after a diagnostic). */
FeNode *fe_load_vars_file(FeLoad *ld, const char *path, PcLoc at);
/* Appends the vars files below folder `dir` (recursively, sorted, with
 * Ansible's vars extensions .yml .yaml .json or none) to `out`. */
void fe_dir_files(PcCtx *c, const char *dir, PcVec *out, int depth);
/* Merges map `add` over map `into` (top-level keys, later wins: combine_vars
 * with hash_behaviour=replace), returning a new map node; either may be NULL. */
FeNode *fe_merge_maps(PcCtx *c, FeNode *into, FeNode *add);
/* `dir`/`name` with "./" and "x/../" folded away (os.path.normpath); an
 * absolute `name` stands alone. */
const char *fe_join(PcCtx *c, const char *dir, const char *name);
/* A file-name template as a glob: each {{ }} / {% %} becomes '*'. */
const char *fe_template_glob(PcCtx *c, const char *s);
/* A path's folder (arena), "." for a bare name. */
const char *fe_dirname(PcCtx *c, const char *path);
/* True when `path` names an existing regular file. */
bool fe_is_file(const char *path);
/* True when `path` names an existing folder. */
bool fe_is_dir(const char *path);

/* roles.c */
/* Reads a role entry (a `roles:` item, a dependency, the args of
 * import_role / include_role): a name or a map with role/name, keywords and
 * params; resolves and loads the role (cached per play and params). `base_dir`
 * is the folder of the role that names it as a dependency (NULL otherwise).
 * NULL after a diagnostic. */
FeRoleUse *fe_role_use(FeLoad *ld, FeNode *entry, const char *base_dir, bool include_args);
/* The path of a role's file `subdir/from` (from NULL: main) with Ansible's
 * extensions (.yml .yaml .json, none), or NULL. */
const char *fe_role_file(FeLoad *ld, const FeRole *r, const char *subdir, const char *from);

/* ---- jinja_lex.c, jinja_parse.c: Jinja expressions and templates ------------ */
/* (Jinja AST types are declared in frontend/jinja.h.) */

#endif
