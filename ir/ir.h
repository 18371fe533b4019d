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
#include "../runtime/playc.h"

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
  X(VAULT, "vault", 0)       /* an inline `!vault` value: s/slen its vault text (never the \
                                plaintext); a str decrypted at run time */               \
  X(ERROR, "error", 0)       /* fails where evaluated: s/slen the message (a fault Ansible reports at run time) */ \
  X(UNSAFE, "unsafe", 0)     /* a `!unsafe` string: s/slen, never templated (marked unsafe \
                                at run time, as Ansible's AnsibleUnsafeText) */          \
  X(LIST, "list", -1)        /* kids = items (b: a tuple) */                              \
  X(DICT, "dict", -1)        /* kids = key0 val0 key1 val1 ... */                         \
  X(VAR, "var", 0)           /* variable `name` */                                        \
  X(GETATTR, "getattr", 1)   /* kids[0].name */                                           \
  X(GETITEM, "getitem", 2)   /* kids[0][kids[1]] */                                       \
  X(SLICE, "slice", 4)       /* kids[0][kids[1]:kids[2]:kids[3]] (none CONST: not written) */ \
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
  X(RENDER, "render", -1)    /* a template file: kids as template's, the text (no conversion), then i newlines (s) kept */ \
  X(SINGLE, "single", 1)     /* "{{ e }}" alone: kids[0] with Ansible's conversion */     \
  X(COND, "cond", 1)         /* a conditional (when, changed_when): kids[0] → bool */ \
  X(LOOKUP, "lookup", -1)    /* lookup `name`: kids = terms, then nkw kwargs (with_<lookup>); \
                                b: called as lookup()/query() (kids: its arguments) */ \
  X(METHOD, "method", -1)    /* `kids[0].name(args...)` (runtime/methods.def), then nkw kwargs;   \
                                b: a method changing kids[0], a LOCAL (rt_local_method) */        \
  X(CALL, "call", -1)        /* kids[0] called with args, then nkw kwargs (range(), dict()...: \
                                not compiled yet) */ \
  /* template statements: kids of a TEMPLATE or SEQ, written into its buffer */             \
  X(SEQ, "seq", -1)          /* a statement's body: parts, as a TEMPLATE's kids */          \
  X(STMT_IF, "if-stmt", 3)   /* {% if %}: kids = cond, then SEQ, else SEQ */                \
  X(FOR, "for", -1)          /* kids = iterable, inline-if (const true: none), body SEQ, else SEQ, \
                                targets (LOCALs; b: a tuple, unpacked); slot: `loop`, \
                                [slot_first, slot_end): the body's slots */                  \
  X(SET, "set", -1)          /* kids = value, targets (LOCALs; b: a tuple, unpacked) */     \
  X(SETATTR, "setattr", 2)   /* `set ns.name = v`: kids = ns (a LOCAL), value */            \
  X(CAPTURE, "capture", 1)   /* kids[0] (a SEQ) rendered into a str of its own */           \
  X(LOCAL, "local", 1)       /* template local `name` in `slot`; kids[0]: what the name means \
                                while the slot is unset (an outer LOCAL or a VAR) */         \
  X(NAMESPACE, "namespace", 1) /* namespace(k=v ...): kids[0] the DICT of its arguments */ \
  X(LOOP_CALL, "loop-call", 1) /* `loop(kids[0])` in a recursive FOR (the innermost one whose \
                                  `loop` is in slot): its body over those items, one level \
                                  deeper, rendered into a str */                             \
  X(LOOP_CHANGED, "loop-changed", 1) /* loop.changed(*args): kids[0] the LIST of args; slot: \
                                        the FOR's slot_aux */

typedef enum IrOp {
#define X(name, str, nk) IR_##name,
  IR_OPS(X)
#undef X
      IR_NOPS
} IrOp;

extern const char *const ir_op_names[IR_NOPS];
extern const int ir_op_nkids[IR_NOPS];

typedef struct IrExpr IrExpr;
typedef struct IrExprX IrExprX;
/* Ordered and packed for size: a 100,000-task playbook holds a few million
 * of these (the plan's memory is mostly exprs). */
struct IrExpr {
  IrOp op : 8;
  IrType type : 8;
  unsigned binop : 8;      /* IR_BINOP: an RtBinOp (runtime/playc.h) */
  bool b : 1;              /* IR_CONST TY_BOOL: the value; IR_VAR: out of sight, always undefined;
                              IR_LIST: a tuple; ... (per op, see IR_OPS) */
  bool recursive : 1;      /* FOR: `recursive` (its body is a function loop() calls) */
  bool loop_unread : 1;    /* FOR: nothing reads `loop`: no loop object is built */
  bool loop_adjacent : 1;  /* FOR: `loop` may be read for previtem/nextitem (or read whole) */
  uint32_t slen;           /* IR_CONST TY_STR, IR_VAULT: the length of s (bounded by the input
                              limits of frontend.h, far below 4 GiB) */
  int32_t id;              /* root number (function expr_<id>), -1 for sub-exprs */
  int32_t nkids;
  IrLoc loc;
  const char *name;        /* IR_VAR, IR_GETATTR, IR_FILTER, IR_TEST */
  /* IR_CONST: the value, per `type` (TY_NONE, TY_BOOL, TY_INT, TY_FLOAT, TY_STR);
   * i and f share their bytes: f is a TY_FLOAT constant's, i anything else's;
   * an int past 64 bits has its decimal digits in s/slen (i: INT64_MAX), boxed at run time.
   * FOR: i = the fields of `loop` its body reads, bit k for field k of
   * runtime/playc.h's RT_FOR_FIELD list; -1: the body may read any (or all) */
  union {
    int64_t i;
    double f;
  };
  const char *s;
  /* children */
  IrExpr **kids;
  const char *src; /* for roots: the source text it came from (plans, messages) */
  const char *tpl_src; /* SINGLE/TEMPLATE of a playbook string: its text, for the message of a
                          TypeError Ansible's templar wraps ("... occurred on (<text>)"), never run */
  IrExprX *x; /* what few expressions have, or NULL (read with ir_xr, set with IR_X_SET) */
};

/* The fields of an expression that few expressions need (template statements,
 * keyword arguments, what playc cannot compile), apart: a big playbook has
 * millions of expressions, and most need none of them. */
struct IrExprX {
  /* template statements: LOCAL's slot; FOR's `loop` slot and its body's slots
   * [slot_first, slot_end); TEMPLATE: slot_end = its frame's size (0: no statements) */
  int32_t slot, slot_first, slot_end;
  int32_t slot_aux;        /* FOR: loop.changed's last value (-1: not used), a slot before slot_first */
  int32_t keep_nl;         /* TEMPLATE with statements: the newlines its source ends with */
  int32_t nkw; /* IR_FILTER ...: the last nkw kids are keyword args */
  /* IR_FILTER: the last nkw kids are keyword args named kwnames[0..nkw-1] */
  const char **kwnames;
  const char *unsupported; /* what playc cannot compile yet ("filter 'x'"), or NULL; -o refuses it */
};

/* The rare fields of `e`: all zero (NULL) when it has none. */
static inline const IrExprX *ir_xr(const IrExpr *e) {
  static const IrExprX none;
  return e->x ? e->x : &none;
}
/* The rare fields of `e` to write, made on first use. */
IrExprX *ir_x(PcCtx *c, IrExpr *e);
/* Sets rare field `field` of `e` to `v` (evaluated once); a zero value
 * makes nothing where nothing is set. */
#define IR_X_SET(c, e, field, v)                                                          \
  do {                                                                                    \
    __typeof__(v) ir_x_v_ = (v);                                                          \
    if (ir_x_v_ || (e)->x)                                                                \
      ir_x((c), (e))->field = ir_x_v_;                                                    \
  } while (0)

typedef struct IrVar {
  const char *name;
  IrExpr *value; /* a root */
  bool lazy;     /* holds a template: thunk, evaluated at each use */
  IrLoc loc;
} IrVar;

/* A frame of variables at one precedence level (RtVarLevel), chained
 * outward; chains are sorted by level, highest first. Frames are shared:
 * every task of a block points at the same chain. */
typedef struct IrScope IrScope;
struct IrScope {
  int32_t id;       /* number in the program: codegen's scope_<id> */
  /* The plan's name for it, frame@FILE:LINE:COL[#NTH]: where its vars are
   * written, and the how-manyth frame of those vars it is (a role used
   * twice); stable when the program changes elsewhere, unlike `id`. */
  IrLoc loc;
  int32_t nth;
  int32_t level;    /* RtVarLevel */
  const char *what; /* for the plan: "play vars", "role x defaults", ... */
  IrVar *vars;      /* sorted by name */
  int32_t nvars;
  IrScope *next;
  int32_t public_role; /* 1 + the role instance whose public include_role must have run in the
                          play for the frame to count; 0: always counts */
  /* A vault-encrypted vars file: no vars known now; its vault text, decrypted
   * and parsed at run time, gives them (vault_file: the file, for messages). */
  const char *vault_text;
  size_t vault_len;
  const char *vault_file;
};

/* A role instance (a cached Ansible Role). */
typedef struct IrRole {
  int32_t id;
  const char *name;
  const char *path;
  bool allow_duplicates;
  const char **dep_names; /* its dependencies, all levels, in run order (NULL-terminated) */
} IrRole;

typedef enum IrTaskKind {
  IR_TASK_MODULE,        /* a module call */
  IR_TASK_META,          /* meta: `meta` names the action */
  IR_TASK_INCLUDE_TASKS, /* include_tasks: `include` holds the candidates */
  IR_TASK_INCLUDE_ROLE   /* include_role */
} IrTaskKind;

typedef struct IrBlock IrBlock;
typedef struct IrInclude IrInclude;

/* A keyword as written, kept for the plan (every keyword shows). */
typedef struct IrKeyword {
  const char *name;
  IrExpr *value; /* a root, or a sub-expr shown in place */
  IrLoc loc;
  bool runs;     /* honoured by compiled binaries */
} IrKeyword;

typedef struct IrTask {
  int32_t id; /* index over the whole program, in order */
  IrTaskKind kind;
  IrLoc loc;
  const char *name;   /* display name; "" when none */
  const char *action; /* module short name; meta: its action */
  int32_t module;     /* index into mod_schemas[]; -1: none (meta, includes) or unsupported */
  const char *unsupported; /* a module playc lacks: its fully qualified name */
  const char *args_text;   /* its arguments as the junit report names them ("k=v, ..."
                              in Python's str), or NULL (always under --plan,
                              which does not print it: PcCtx.plan_only) */
  const char *fault;       /* the message the task fails with when it runs (unknown
                              parameters, as AnsibleModule words it), or NULL */
  bool implicit;      /* made by Ansible: flush_handlers, role_complete */
  bool handler;
  IrExpr *args;       /* root: an IR_DICT building the module args */
  IrExpr *when;       /* root IR_COND (conditions ANDed), or NULL */
  IrExpr *loop;       /* root, or NULL */
  const char *with;   /* with_<lookup>: the lookup, or NULL */
  IrExpr *changed_when; /* root IR_COND, or NULL */
  IrExpr *failed_when;  /* root IR_COND, or NULL */
  IrExpr *until;        /* root IR_COND, or NULL */
  /* Per-host keywords (roots) by RT_TK_*, NULL when absent: RT_TK_COUNT of
   * them, or NULL when none is set (most tasks: a big playbook has many).
   * Read with ir_task_kw, set with ir_task_set_kw. */
  IrExpr **kw;
  const char *register_var; /* or NULL */
  bool has_source;    /* written in a file: codegen adds Ansible's error context (fe_error_context) */
  IrScope *scope;     /* the innermost frame it sees */
  IrRole *role;       /* its role instance, or NULL */
  const char *role_name; /* "role : name" display */
  const char **tags;  /* its tags, inherited included; NULL-terminated */
  const char **listen; /* handler topics, NULL-terminated, or NULL */
  int32_t *notify;    /* handlers notified (constant names), -1-terminated, or NULL */
  const char *loop_var, *index_var;
  bool loop_extended;
  IrInclude *include; /* include_tasks, include_role, include_vars */
  const char *const *roots; /* where `src` files are looked for (role, playbook), NULL-terminated */
  IrKeyword *kws;     /* every keyword, for the plan */
  int32_t nkws;
  IrKeyword **unsup;  /* module parameters and choices Ansible has and playc not yet */
  int32_t nunsup;
  const char **tpl_names; /* template: the files src can name (embedded names), NULL-terminated */
  IrExpr **tpl_render;    /* template: each one compiled (an IR_RENDER root) */
} IrTask;

/* An item of a block region: a task or a nested block. */
typedef struct IrItem {
  IrTask *task;
  IrBlock *block;
} IrItem;

typedef struct IrList {
  IrItem *items;
  int32_t n;
} IrList;

typedef enum IrRegion { IR_BLOCK, IR_RESCUE, IR_ALWAYS } IrRegion;

/* A block: block/rescue/always regions, explicit or implicit (Ansible's
 * grouping of bare tasks). */
struct IrBlock {
  int32_t id;
  IrLoc loc;
  const char *name; /* or NULL */
  bool implicit;
  const char *from; /* what made it: "role x", "import_tasks f.yml", ... or NULL */
  IrList regions[3];
};

/* The files a dynamic include can name (include_tasks, include_role,
 * include_vars), each compiled ahead of time. */
struct IrInclude {
  IrExpr *file;         /* root: the file name, or NULL (include_role) */
  const char **dirs;    /* search folders, in order */
  int32_t ndirs;
  const char **names;   /* candidate paths */
  int32_t n;
  IrList *lists;        /* per candidate: its top-level blocks (tasks, include_role) */
  IrScope **frames;     /* per candidate: its vars (include_vars) */
  IrScope *params;      /* the include's vars (include params), or NULL */
  IrTask **handlers;    /* include_role: the role's handlers */
  int32_t nhandlers;
  IrRole *role;         /* include_role */
  bool is_public;       /* include_role public: its role's vars join the play's once it ran */
};

typedef struct IrPlay {
  IrLoc loc;
  const char *name;  /* "" when none */
  const char *hosts; /* pattern, sequences joined with ":" */
  bool gather_facts;      /* the keyword, true when unset */
  bool gather_facts_set;  /* the keyword was given (`gathering = explicit` gathers only then) */
  bool force_handlers;
  bool any_errors_fatal;
  int32_t max_fail_percentage; /* -1: unset */
  const char *connection; /* NULL = default */
  const char *order;      /* NULL = inventory */
  IrScope *scope;    /* the play's own frames (vars, vars_files, roles' vars and defaults) */
  IrList blocks;     /* top-level blocks in run order */
  IrTask **handlers; /* role handlers then the play's */
  int32_t nhandlers;
  const char **role_names; /* the play's roles, one per roles: entry or import_role (NULL-terminated) */
  const char **dep_role_names; /* those roles' dependencies, all levels (NULL-terminated) */
  const char **tags;       /* the play's own tags, NULL-terminated */
  IrVar *prompts;    /* vars_prompt: name and the spec dict */
  int32_t nprompts;
  IrInclude **vars_files; /* templated vars_files: every entry, chosen per host (else in `scope`) */
  int32_t nvars_files;
  IrKeyword *kws;    /* every keyword, for the plan */
  int32_t nkws;
  int32_t first_task, ntasks; /* its tasks in the program's table */
  IrExpr *gather_args;        /* setup's arguments for Gathering Facts (a dict), or NULL */
  IrExpr *setup_kw[RT_TK_COUNT]; /* Gathering Facts' per-host keywords (become*) */
  IrExpr *serial;               /* serial: an int, "N%" or a list of them (templated), or NULL */
  const char *strategy;         /* the strategy keyword as written (only linear runs), or NULL */
} IrPlay;

/* A file embedded at compile time (copy src). */
typedef struct IrFile {
  const char *name; /* as written in the playbook */
  const char *path; /* where it was read from */
  const uint8_t *data; /* NULL for a folder */
  size_t size;
  uint32_t mode;       /* st_mode on the controller: the type and permission bits (a symlink:
                          data "target\0realpath") */
  IrExpr *render;      /* lookup('template') can name it: its `render` root (the lookup's options), or NULL */
} IrFile;

/* group_vars/NAME or host_vars/NAME beside the playbook (FeInvVars): a
 * frame at the inventory level the runtime merges for the groups and hosts
 * of that name. */
typedef struct IrInvVars {
  const char *name;
  bool host;
  IrScope *scope; /* NULL when it holds no vars */
} IrInvVars;

typedef struct IrProgram {
  const char *playbook;
  IrPlay *plays;
  int32_t nplays;
  IrTask **tasks;    /* every task by id (plays, handlers, include candidates) */
  int32_t ntasks;
  IrBlock **blocks;  /* every block by id */
  int32_t nblocks;
  IrScope **scopes;  /* every frame by id */
  int32_t nscopes;
  IrRole **roles;    /* role instances by id */
  int32_t nroles;
  IrFile *files;
  int32_t nfiles;
  int32_t nroots; /* roots are numbered 0..nroots-1 */
  IrExpr **roots; /* by id */
  const char *load_fault; /* FePlaybook.load_fault: the program stops with it */
  IrInvVars *inv_vars;    /* playbook group_vars then host_vars, names sorted */
  int32_t ninv_vars;
} IrProgram;

/* ---- ir.c: construction helpers ------------------------------------------------ */

IrExpr *ir_expr_new(PcCtx *c, IrOp op, IrType type, IrLoc loc);
/* Per-host keyword `k` (RT_TK_*) of task `t`, or NULL. */
static inline IrExpr *ir_task_kw(const IrTask *t, int k) { return t->kw ? t->kw[k] : NULL; }
/* Sets it (`e` NULL: unset); the task's keyword array is made on the first
 * keyword set. */
void ir_task_set_kw(PcCtx *c, IrTask *t, int k, IrExpr *e);
void ir_expr_add_kid(PcCtx *c, IrExpr *e, IrExpr *kid);
/* Numbers `e` as a root of `p`. */
void ir_make_root(PcCtx *c, IrProgram *p, IrExpr *e);
const char *ir_type_name(IrType t);

/* ---- jmespath_check.c: json_query's constant queries ---------------------------- */

/* NULL when `q` (`len` bytes) is a JMESPath query jmespath parses, else
 * jmespath's message for its syntax error (in c's arena). */
const char *ir_jmespath_check(PcCtx *c, const char *q, size_t len);

/* ---- lower.c, structure.c: playbook AST → IR ------------------------------------ */

/* The lowering's state. structure.c lowers plays, blocks, roles, handlers and
 * includes; lower.c lowers expressions, templates and module arguments. */
enum { IR_LOWER_MODES = 6 };

typedef struct IrStream IrStream;

typedef struct IrLower {
  PcCtx *c;
  IrProgram *p;
  FePlaybook *pb;
  PcVec files;  /* IrFile*: embedded files */
  PcVec tasks;  /* IrTask*, by id */
  PcVec blocks; /* IrBlock*, by id */
  PcVec scopes; /* IrScope*, by id */
  const char *const *roots; /* folders a relative `src` is looked for in (role, playbook), NULL-terminated */
  const IrRole *role;        /* the role of the task being lowered (its path is `{{ role_path }}`), or NULL */
  PcVec *unsup; /* IrKeyword*: the current module's unsupported parameters */
  PcVec unknown; /* const char*: the current module's parameters unknown to Ansible too */
  /* YAML aliases are shared, never copied (lower.c): */
  PcMap memo[IR_LOWER_MODES]; /* shared node → its IrExpr, per way of lowering it */
  PcMap memo_scratch; /* shared JExpr of the scratch arena → its IrExpr (lower.c: lw_ast_end) */
  int32_t ast_depth;  /* lowerings of playbook strings under way (lower.c: lw_ast_begin) */
  PcMap has_tpl;  /* shared FeNode → (void *)1 no template, 2 template */
  PcMap text;     /* shared FeNode → const char *: ir_lower_src, hosts patterns */
  /* Embedded files (lower.c), within the limits of frontend.h: */
  PcMap embedded; /* path → IrFile*: each embedded once */
  PcMap templates; /* options + path → IR_RENDER root: each template file compiled once per options */
  int64_t embed_files;
  size_t embed_bytes;
  bool embed_over; /* a limit or a walk error was reported: embed nothing more */
  bool too_many;   /* past PC_MAX_IR_TASKS (structure.c): reported once */
  /* The template being lowered (lower.c): its locals, innermost last
   * (IrLocalName), the slots given, the body of a `{% filter %}` block. */
  PcVec tlocals;
  int32_t tscope; /* where the innermost scope's names start in tlocals */
  int32_t macro_depth; /* macro calls being inlined */
  int32_t nslots;
  IrExpr *filter_body;
  int32_t tbarrier; /* locals below it are out of sight (a macro imported without context) */
  bool no_ctx;      /* the template's variables are out of sight too (Jinja2: undefined) */
  bool attr_read;   /* the name being lowered is read for one attribute other than
                       previtem/nextitem (`loop.index`): not a read of the whole */
  const char *attr_name; /* that attribute (NULL: none, a binding) */
  /* Templates named by include/import/extends (lower.c), parsed as the
   * template being lowered was: its folder (NULL: a playbook string) and
   * its environment's options; the extends chain (JTemplate*, the most
   * derived first) and the block being rendered (for super()). */
  const char *tpl_dir;
  bool tpl_trim, tpl_lstrip, tpl_keep_nl;
  PcVec tpl_chain;
  const char *block_name;
  int32_t block_level;
  /* Lowering a playbook string (lower.c lw_string, lw_bare): its text (set
   * while one is lowered; Ansible's error quotes it, a bare condition
   * wrapped in its {% if %} template), and the first fault found in it (an
   * unknown filter or test), which makes the whole string fail at run time. */
  const char *fault_src;
  const char *fault_why;  /* Ansible's words, in the task's error */
  const char *fault_diag; /* playc's, in the warning (an error with --strict) */
  PcLoc fault_at;
  int32_t tpl_depth; /* includes, imports and extends being inlined */
  int64_t tpl_inlined; /* templates inlined in all (a budget: each is compiled where it is included) */
  PcMap tpl_parsed;  /* options + path → JTemplate* */
  /* `--plan` a task at a time (stream.c): the printer each top-level task
   * or block goes to once lowered, or NULL (the whole program is lowered);
   * set when the plan cannot be made that way (a YAML node shared between
   * tasks, handlers or notify in a task, a root printed from two parts):
   * the caller then lowers the whole program. */
  IrStream *stream;
  bool stream_abort;
} IrLower;

/* Lowers a checked playbook: resolves modules and checks their arguments
 * against the schemas, parses and lowers Jinja, embeds files, builds the
 * blocks, variable frames, handlers and include candidates. NULL (or errors
 * counted in c) after diagnostics. */
IrProgram *ir_lower(PcCtx *c, FePlaybook *pb);

/* The same, lowering, checking and printing one top-level task or block at
 * a time into `st` and dropping its IR (stream.c). The program returned
 * holds the plays' frames and keywords, not their tasks; NULL with
 * ir_stream_aborted(st) when the program cannot be planned so. */
IrProgram *ir_lower_stream(PcCtx *c, FePlaybook *pb, IrStream *st);

/* lower.c, for structure.c */
/* Any YAML value → IR: scalars by their YAML type, strings as templates. */
IrExpr *ir_lower_value(IrLower *l, const FeNode *n);
/* A var whose value is a template Jinja2 cannot compile (IR_ERROR) fails
 * where another template reads it, worded as AnsibleJ2Vars words it with
 * the var's text `src`; any other value is returned as it is. */
IrExpr *ir_lower_var_error(IrLower *l, IrExpr *e, const char *src);
/* A conditional (when, changed_when, ...): a bare expression or a list of
 * them ANDed, wrapped in IR_COND. */
IrExpr *ir_lower_cond(IrLower *l, const FeNode *n);
/* One bare expression (a constant node as its value). */
IrExpr *ir_lower_bare(IrLower *l, const FeNode *n);
/* The source text of a conditional, for messages. */
const char *ir_lower_src(IrLower *l, const FeNode *n);
/* Makes `e` a root (its own function) with source text `src`. */
IrExpr *ir_lower_root(IrLower *l, IrExpr *e, const char *src);
/* True when a node holds template syntax anywhere (once per shared node). */
bool ir_has_template(IrLower *l, const FeNode *n);
/* A task's arguments as the junit report names them: "k=v, ..." in Python's
 * str, the value of `raw_key` (or free-form text) last as _raw_params; NULL
 * when there are none. */
const char *ir_args_text(IrLower *l, const FeNode *args, const char *raw_key);
/* Python's repr() of `n` as loaded, before templating (an arena string). */
const char *ir_py_repr(IrLower *l, const FeNode *n);
/* Lowers the module call of `ft` into `t` (action, module, args checked
 * against the schema; a module playc lacks becomes `unsupported`). `extra`
 * (a map, or NULL) holds arguments that inline ones override (`args:`,
 * module_defaults). */
void ir_lower_module(IrLower *l, IrTask *t, const FeTask *ft, const FeNode *extra);
/* lower.c, for structure.c: the text of file `name` a `file` lookup reads,
 * looked for as Ansible's find_file_in_search_path does (files/NAME, then
 * NAME, in each of `roots`: the role, then the playbook's folder; an
 * absolute name as it is), right-stripped as the lookup's default rstrip;
 * a str CONST, or NULL when no file is there. */
IrExpr *ir_lower_file_text(IrLower *l, const char *const *roots, const char *name, PcLoc loc);
/* structure.c, for lower.c: `extra` with `args` on top (a new map node). */
const FeNode *ir_merge_args(IrLower *l, const FeNode *extra, const FeNode *args);

/* ---- stream.c: `--plan` a task at a time ----------------------------------------- */

/* A plan made while the program is lowered: text (json false) or JSON, held
 * in an unlinked temporary file until ir_stream_finish. NULL if no temporary
 * file can be made. The diagnostics of the passes are held apart, as
 * `playc --plan` of the whole program would print them (stderr is c's
 * diag_out, which the stream redirects while it runs). */
IrStream *ir_stream_new(PcCtx *c, bool json);
void ir_stream_free(IrStream *st);
/* True when the program could not be planned a task at a time. */
bool ir_stream_aborted(const IrStream *st);
/* Ends the plan of `p` (from ir_lower_stream): writes the diagnostics held
 * to `diag` in the order the whole-program passes give them; when none of
 * them is an error (and no lowering error was counted), writes the plan to
 * `to`. Returns the exit status of --plan: 0, or 4 after errors; *write_ok
 * false when writing the plan failed. */
int ir_stream_finish(IrStream *st, IrProgram *p, FILE *diag, FILE *to, bool *write_ok);

/* structure.c, for stream.c */
typedef struct IrStreamWindow {
  int32_t roots_from, tasks_from, blocks_from; /* what the window made: ids from these on */
  int32_t section; /* 0 pre_tasks, 1 tasks, 2 post_tasks */
  int32_t depth;   /* 1: items of the section; 2: of an implicit block in it (ir_stream_block) */
  bool first;      /* depth 2: the block's first items */
} IrStreamWindow;
/* True when a play can be planned a task at a time: no roles: section, no
 * force_handlers (their tasks are not lowered in list order). */
bool ir_stream_fits(const FePlaybook *pb);
void ir_stream_play_begin(IrStream *st, IrLower *l, const IrScope *scope);
/* Items [from, n) of `items` (IrItem*) were lowered in window `w`: check,
 * print and drop them (or set l->stream_abort). */
void ir_stream_items(IrStream *st, IrLower *l, void *const *items, int32_t from, int32_t n, IrStreamWindow w);
/* The head (`open`) or the end of an implicit block of a section, whose
 * tasks come as windows of depth 2 in between. */
void ir_stream_block(IrStream *st, IrLower *l, const IrBlock *b, int32_t section, bool open);
/* A place in the plan for a section's flush_handlers, lowered after the
 * play's last section. */
int32_t ir_stream_reserve(IrStream *st, int32_t section);
void ir_stream_fill(IrStream *st, IrLower *l, int32_t at, const IrItem *it);
void ir_stream_play_end(IrStream *st, IrLower *l, int32_t play);
/* After the last play: the frames and files, or the abort noted. */
void ir_stream_end(IrStream *st, IrLower *l);

/* ---- print.c, for stream.c: the plan in parts ---------------------------------- */

typedef struct IrPrinter IrPrinter;
IrPrinter *ir_printer_new(PcCtx *c, bool json, FILE *to);
/* Bytes written so far (flushed or not): where the next part starts. */
long ir_printer_pos(const IrPrinter *w);
/* False when a write failed; flushes. */
bool ir_printer_flush(IrPrinter *w);
void ir_printer_free(IrPrinter *w);
/* True once a root was reached from two parts: the parts printed alone are
 * not the whole program's plan. */
bool ir_printer_mixed(const IrPrinter *w);
void ir_printer_head(IrPrinter *w, const IrProgram *p);
void ir_printer_play_head(IrPrinter *w, const IrProgram *p, int32_t play);
/* A play's tasks start after its head, which shows its frame `scope`. */
void ir_printer_play_frame(IrPrinter *w, const IrScope *scope);
/* Items (IrItem*) of a play's top-level list (depth 1) or of a block in it
 * (depth 2); `first`: no item before them in that list (JSON's comma). */
void ir_printer_items(IrPrinter *w, const IrProgram *p, void *const *items, int32_t n, bool first, int depth);
/* A top-level block without rescue or always, before its items (`open`) or after. */
void ir_printer_block(IrPrinter *w, const IrProgram *p, const IrBlock *b, bool first, bool open);
void ir_printer_play_tail(IrPrinter *w, const IrProgram *p, int32_t play);
void ir_printer_tail(IrPrinter *w, const IrProgram *p);

/* ---- passes: types.c, fold.c, verify.c ------------------------------------------ */

/* Infers a static type for every expr (bottom-up, from literals, operators and
 * the filter and method tables); a method called on a receiver whose known
 * type lacks it is a located error. */
void ir_infer_types(PcCtx *c, IrProgram *p);
/* The same over roots [from, to) (a task at a time, stream.c). */
void ir_infer_types_range(PcCtx *c, IrProgram *p, int32_t from, int32_t to);
/* Folds constant sub-expressions (literal arithmetic, comparisons, filters on
 * literals with known results). */
void ir_fold(PcCtx *c, IrProgram *p);
void ir_fold_range(PcCtx *c, IrProgram *p, int32_t from, int32_t to);
/* Checks structural invariants (internal errors abort) and that codegen can
 * build what is there: whatever the verifier accepts, codegen builds, so
 * `--plan` and `-o` agree; anything else is a located error here. */
void ir_verify(PcCtx *c, IrProgram *p);
/* Roots [r0, r1), tasks [t0, t1), blocks [b0, b1) (stream.c); frames apart. */
void ir_verify_range(PcCtx *c, IrProgram *p, const int32_t r[2], const int32_t t[2], const int32_t b[2]);
void ir_verify_frames(PcCtx *c, IrProgram *p);
/* True when kid `e` of another expr is a reference to a root (a shared expr). */
static inline bool ir_is_ref(const IrExpr *e) { return e->id >= 0; }
/* The diagnostics `playc -o` stops on that `--plan` does not: modules and
 * keywords playc does not run yet, each listed once with its location.
 * Returns true when there are none. */
bool ir_check_build(PcCtx *c, const IrProgram *p);

/* ---- print.c: the plan (deterministic text and JSON) ----------------------------- */

/* The plan as text (`playc --plan`), arena-allocated. Same input → same bytes. */
char *ir_print_text(PcCtx *c, const IrProgram *p);
/* The plan as JSON (`--plan=json`). */
char *ir_print_json(PcCtx *c, const IrProgram *p);
/* The same written to `to` as it is made (buffered, never held whole):
 * false when a write failed. */
bool ir_print_text_to(PcCtx *c, const IrProgram *p, FILE *to);
bool ir_print_json_to(PcCtx *c, const IrProgram *p, FILE *to);

#endif
