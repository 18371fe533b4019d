/*
 * ir.h — playc's typed intermediate representation, its passes and printers.
 *
 * Glossary
 *   program   the whole compiled playbook: plays, embedded files.
 *   play      hosts pattern, play vars, tasks, play keywords.
 *   task      one module call with its keywords (when, loop, register, ...).
 *   expr      an expression tree: Jinja expressions, templates, and the YAML
 *             data around them (lists, dicts, scalars) all lower to exprs.
 *   root      an expr that codegen turns into a function of its own
 *             (`expr_<id>`): a task's args dict, its when / loop /
 *             changed_when / failed_when, a play var's value, and every
 *             shared expr. Sub-exprs are code inside their root's function.
 *             Roots carry id >= 0.
 *   shared    an expr reached from several places: a YAML alias (or `<<`
 *             merge) of a node, a middle operand of `a < b < c`. It is
 *             lowered once and, unless a leaf (const, var), is a root: a
 *             kid with id >= 0 is a reference to that root, whose function
 *             is called. So the IR is a DAG whose sharing is at roots only,
 *             of the input's size; roots are numbered after the roots they
 *             reference, and every pass walks each root's own tree once,
 *             stopping at kid roots (done before, in id order).
 *   type      a static type from the lattice below. TY_ANY means "known only
 *             at run time"; codegen emits direct code for known types and calls
 *             the runtime's dynamic operations on TY_ANY.
 *   lazy var  a play var whose value holds a template: compiled as a thunk and
 *             evaluated where it is used, as Ansible does.
 *
 * Ops and their properties are one X-macro table (IR_OPS), as in QBE's ops.h.
 * Everything is allocated in the compilation's arena (frontend.h's PcCtx).
 */
#ifndef PLAYC_IR_H
#define PLAYC_IR_H

#include "../frontend/frontend.h"

typedef PcLoc IrLoc;

/* The type lattice: TY_UNDEF < TY_NONE, TY_BOOL, ... < TY_ANY. */
typedef enum IrType {
  TY_UNDEF, /* statically undefined (never assigned) */
  TY_NONE,
  TY_BOOL,
  TY_INT,
  TY_FLOAT,
  TY_STR,
  TY_LIST,
  TY_DICT,
  TY_ANY
} IrType;

/* X(NAME, "printed name", number of fixed kids (-1 = variable)) */
#define IR_OPS(X)                                                                         \
  X(CONST, "const", 0)       /* literal: none/bool/int/float/str, per `type` */         \
  X(LIST, "list", -1)        /* kids = items */                                           \
  X(DICT, "dict", -1)        /* kids = key0 val0 key1 val1 ... */                         \
  X(VAR, "var", 0)           /* variable `name` */                                        \
  X(GETATTR, "getattr", 1)   /* kids[0].name */                                           \
  X(GETITEM, "getitem", 2)   /* kids[0][kids[1]] */                                       \
  X(BINOP, "binop", 2)       /* kids[0] <binop> kids[1]; binop is an RtBinOp */           \
  X(AND, "and", -1)          /* kids: a chain `a and b and ...` (one or more) */          \
  X(OR, "or", -1)            /* kids: a chain `a or b or ...` (one or more) */            \
  X(CONCAT, "concat", -1)    /* kids: `a ~ b ~ ...`, each rendered with str() */          \
  X(NOT, "not", 1)                                                                        \
  X(NEG, "neg", 1)                                                                        \
  X(FILTER, "filter", -1)    /* name; kids[0] base, then positional args, then nkw kwargs */ \
  X(TEST, "test", -1)        /* name; kids[0] base, then args (`x is defined`) */         \
  X(IF, "if", 3)             /* Jinja inline if: kids = cond, then, else */               \
  X(TEMPLATE, "template", -1) /* kids: parts; str CONSTs are text, others rendered */     \
  X(SINGLE, "single", 1)     /* "{{ e }}" alone: kids[0] with Ansible's conversion */     \
  X(COND, "cond", 1)         /* a conditional (when, changed_when): kids[0] → bool */

typedef enum IrOp {
#define X(name, str, nk) IR_##name,
  IR_OPS(X)
#undef X
      IR_NOPS
} IrOp;

extern const char *const ir_op_names[IR_NOPS];
extern const int ir_op_nkids[IR_NOPS];

typedef struct IrExpr IrExpr;
struct IrExpr {
  IrOp op;
  IrType type;
  IrLoc loc;
  int32_t id;       /* root number (function expr_<id>), -1 for sub-exprs */
  int32_t binop;    /* IR_BINOP: an RtBinOp (runtime/playc.h) */
  const char *name; /* IR_VAR, IR_GETATTR, IR_FILTER, IR_TEST */
  /* IR_CONST: the value, per `type` (TY_NONE, TY_BOOL, TY_INT, TY_FLOAT, TY_STR) */
  bool b;
  int64_t i;
  double f;
  const char *s;
  size_t slen;
  /* children */
  IrExpr **kids;
  int32_t nkids;
  /* IR_FILTER: the last nkw kids are keyword args named kwnames[0..nkw-1] */
  const char **kwnames;
  int32_t nkw;
  const char *src; /* for roots: the source text it came from (plans, messages) */
};

typedef struct IrVar {
  const char *name;
  IrExpr *value; /* a root */
  bool lazy;     /* holds a template: thunk, evaluated at each use */
  IrLoc loc;
} IrVar;

typedef struct IrTask {
  int32_t id; /* index over the whole program, in order */
  IrLoc loc;
  const char *name;   /* display name; "" when none */
  const char *action; /* module short name */
  int32_t module;     /* index into mod_schemas[] */
  IrExpr *args;       /* root: an IR_DICT building the module args */
  IrExpr *when;       /* root IR_COND (conditions ANDed), or NULL */
  IrExpr *loop;       /* root, or NULL */
  IrExpr *changed_when; /* root IR_COND, or NULL */
  IrExpr *failed_when;  /* root IR_COND, or NULL */
  const char *register_var; /* or NULL */
  bool ignore_errors;
  const char *error_context; /* fe_error_context of the task, or NULL (not printed) */
} IrTask;

typedef struct IrPlay {
  IrLoc loc;
  const char *name;  /* "" when none */
  const char *hosts; /* pattern, sequences joined with ":" */
  bool gather_facts;
  const char *connection; /* NULL = default */
  IrVar *vars;
  int32_t nvars;
  IrTask *tasks;
  int32_t ntasks;
} IrPlay;

/* A file embedded at compile time (copy src). */
typedef struct IrFile {
  const char *name; /* as written in the playbook */
  const char *path; /* where it was read from */
  const uint8_t *data;
  size_t size;
} IrFile;

typedef struct IrProgram {
  const char *playbook;
  IrPlay *plays;
  int32_t nplays;
  IrFile *files;
  int32_t nfiles;
  int32_t nroots; /* roots are numbered 0..nroots-1 */
  IrExpr **roots; /* by id */
} IrProgram;

/* ---- ir.c: construction helpers ------------------------------------------------ */

IrExpr *ir_expr_new(PcCtx *c, IrOp op, IrType type, IrLoc loc);
void ir_expr_add_kid(PcCtx *c, IrExpr *e, IrExpr *kid);
/* Numbers `e` as a root of `p`. */
void ir_make_root(PcCtx *c, IrProgram *p, IrExpr *e);
const char *ir_type_name(IrType t);

/* ---- lower.c: playbook AST → IR ------------------------------------------------- */

/* Lowers a checked playbook: resolves modules and checks their arguments
 * against the schemas, parses and lowers Jinja, embeds files. NULL (or errors
 * counted in c) after diagnostics. */
IrProgram *ir_lower(PcCtx *c, FePlaybook *pb);

/* ---- passes: types.c, fold.c, verify.c ------------------------------------------ */

/* Infers a static type for every expr (bottom-up, from literals, operators and
 * the filter table). */
void ir_infer_types(PcCtx *c, IrProgram *p);
/* Folds constant sub-expressions (literal arithmetic, comparisons, filters on
 * literals with known results). */
void ir_fold(PcCtx *c, IrProgram *p);
/* Checks structural invariants (internal errors abort) and that codegen can
 * build what is there: whatever the verifier accepts, codegen builds, so
 * `--plan` and `-o` agree; anything else is a located error here. */
void ir_verify(PcCtx *c, IrProgram *p);
/* True when kid `e` of another expr is a reference to a root (a shared expr). */
static inline bool ir_is_ref(const IrExpr *e) { return e->id >= 0; }

/* ---- print.c: the plan (deterministic text and JSON) ----------------------------- */

/* The plan as text (`playc --plan`), arena-allocated. Same input → same bytes. */
char *ir_print_text(PcCtx *c, const IrProgram *p);
/* The plan as JSON (`--plan=json`). */
char *ir_print_json(PcCtx *c, const IrProgram *p);

#endif
