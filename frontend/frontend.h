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

typedef struct PcCtx {
  PcArenaBlock *arena;
  int nerrors;
  int nwarnings;
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
/* Reads a whole file into the arena and remembers it for diagnostics.
 * Returns NULL (no diagnostic) if it cannot be read. */
const PcSource *pc_read_source(PcCtx *c, const char *path);
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
/* "file:line:col: error: msg", then the source line and a caret. */
void pc_error_at(PcCtx *c, PcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pc_warn_at(PcCtx *c, PcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An error with no location ("playc: error: ..."). */
void pc_error(PcCtx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
};

/* Loads the first document of a YAML file. NULL after a diagnostic. */
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
