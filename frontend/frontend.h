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
  const char *text; /* whole file, NUL-terminated, for caret lines */
  size_t len;
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
} PcCtx;

void pc_ctx_init(PcCtx *c);
void pc_ctx_free(PcCtx *c);
/* Arena allocation: zeroed, lives until pc_ctx_free. */
void *pc_alloc(PcCtx *c, size_t n);
char *pc_strdup(PcCtx *c, const char *s);
char *pc_strndup(PcCtx *c, const char *s, size_t n);
char *pc_sprintf(PcCtx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* What the compiler reads, bounded: a playbook or other YAML source file, and
 * a file embedded in the executable (copy src). Past these sizes a file is
 * refused with a located error instead of exhausting memory. */
#define PC_MAX_SOURCE_BYTES ((size_t)64 << 20)
#define PC_MAX_EMBED_BYTES ((size_t)256 << 20)
/* Why pc_read_file refused a file, beside errno values (ENOENT, EACCES, ...). */
enum { PC_READ_FOLDER = -1, PC_READ_TOO_BIG = -2, PC_READ_NOT_REGULAR = -3 };
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
/* Reads a source file (pc_read_file, PC_MAX_SOURCE_BYTES) into the arena and
 * remembers it for diagnostics; a path read before is not read again.
 * Returns NULL with *err (as for pc_read_file) when it cannot be read. */
const PcSource *pc_read_source(PcCtx *c, const char *path, int *err);
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
typedef enum FeScalarType { FE_T_NULL, FE_T_BOOL, FE_T_INT, FE_T_FLOAT, FE_T_STR } FeScalarType;

typedef struct FeNode FeNode;
struct FeNode {
  FeNodeKind kind;
  PcLoc loc;
  /* FE_SCALAR */
  FeScalarType stype;
  bool quoted; /* a single- or double-quoted scalar (its text starts one column in) */
  const char *text; /* the scalar's text (after YAML unescaping), NUL-terminated */
  size_t len;
  bool b;
  int64_t i;
  double f;
  /* FE_SEQ: items[n]; FE_MAP: keys[n] (scalars) and vals[n], in document order */
  FeNode **items;
  FeNode **keys;
  FeNode **vals;
  int32_t n;
  /* Levels of collections in this node, itself included, through aliases
   * (0 for a scalar): what the depth limit is checked against. */
  int32_t height;
  /* Reached from more than one place (an alias or a `<<` merge): the node
   * graph is a DAG, and walks over it must visit such a node once
   * (memoise on it), never once per path. */
  bool shared;
  bool open; /* yaml.c: a collection still being read (an alias to it is a cycle) */
};

/* Loads the first document of a YAML file. Anchors are shared, never copied
 * (FeNode.shared); nesting is limited to PC_MAX_YAML_DEPTH levels and `<<`
 * merges to PC_MAX_YAML_MERGED copied entries in all, with located errors.
 * NULL after a diagnostic. */
FeNode *fe_yaml_load(PcCtx *c, const char *path);
/* The value of key `key` in map `map`, or NULL. */
FeNode *fe_map_get(const FeNode *map, const char *key);

/* ---- playbook.c: node tree → playbook AST ------------------------------------ */

typedef struct FeTask {
  PcLoc loc;
  const char *name;        /* NULL if none */
  const char *action;      /* module name as written (short or FQCN) */
  PcLoc action_loc;
  FeNode *args;            /* map (dict args), scalar (free-form "k=v ..."), or NULL */
  FeNode *when;            /* scalar or sequence of scalars, or NULL */
  FeNode *loop;            /* any node, or NULL */
  FeNode *changed_when;    /* scalar, sequence, or bool scalar, or NULL */
  FeNode *failed_when;
  FeNode *ignore_errors;   /* bool scalar (or template string), or NULL */
  const char *register_var;
} FeTask;

typedef struct FePlay {
  PcLoc loc;
  const char *name;     /* NULL if none */
  FeNode *hosts;        /* scalar or sequence */
  FeNode *vars;         /* map or NULL */
  FeNode *gather_facts; /* bool scalar or NULL (default true) */
  FeNode *connection;   /* scalar or NULL */
  FeTask **tasks;
  int32_t ntasks;
} FePlay;

typedef struct FePlaybook {
  const char *path;
  const char *dir; /* directory of the playbook (for files/, roles/) */
  FePlay **plays;
  int32_t nplays;
} FePlaybook;

/* Loads and checks a playbook. NULL, or a playbook with c->nerrors > 0, after
 * diagnostics. */
FePlaybook *fe_load_playbook(PcCtx *c, const char *path);

/* ---- jinja_lex.c, jinja_parse.c: Jinja expressions and templates ------------ */
/* (Jinja AST types are declared in frontend/jinja.h.) */

#endif
