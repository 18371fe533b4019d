/*
 * codegen.c — lowers the typed IR to one LLVM module (LLVM-C, opaque pointers).
 *
 * Every root expr becomes `ptr @expr_<id>(ptr %host)` and every task becomes
 * `i32 @task_<id>(ptr %host, ptr %taskdef)`; the static tables of
 * runtime/playc.h (RtLoc, RtVarDef, RtTaskDef, RtPlayDef, RtFileDef and the
 * global `playc_program`) are constant globals, and `main` hands them to
 * rt_main. runtime/playc.h is the only interface the generated code uses: each
 * entry point it calls is listed once in CG_RT_FUNCS with its C signature.
 *
 * Values: a sub-expr is "boxed" (an owned RtValue reference, released with
 * rt_decref exactly once) unless its static type is bool/int/float and it is a
 * constant or an operation that cannot fail on such operands: then it stays in
 * an LLVM register (i1/i64/double) and is boxed only where a boxed value is
 * needed. Jinja's and/or/if are branches (short-circuit, `a and b` yields a or
 * b); an rt_truth of -1 makes the branch yield the error. emit.c owns the target
 * machine, the optimisation pipeline and the object file.
 */
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../modules/modules.h"
#include "../runtime/playc.h"
#include "codegen.h"

/* The runtime entry points generated code calls: X(name, signature). The
 * signature is the return kind then the parameter kinds: v void, p pointer,
 * b C bool (i8, zero-extended), i int32_t/int/enum, l int64_t/size_t, d double. */
#define CG_RT_FUNCS(X)                                                                    \
  X(rt_main, "iipp")                                                                      \
  X(rt_none, "p")                                                                         \
  X(rt_bool, "pb")                                                                        \
  X(rt_int, "pl")                                                                         \
  X(rt_int_text, "ppl")                                                                   \
  X(rt_float, "pd")                                                                       \
  X(rt_str, "ppl")                                                                        \
  X(rt_list_new, "pl")                                                                    \
  X(rt_list_push, "vpp")                                                                  \
  X(rt_list_tuple, "pp")                                                                  \
  X(rt_dict_new, "pl")                                                                    \
  X(rt_dict_put, "vpplp")                                                                 \
  X(rt_decref, "vp")                                                                      \
  X(rt_is_error, "bp")                                                                    \
  X(rt_var, "pppp")                                                                       \
  X(rt_var_undefined, "ppp")                                                              \
  X(rt_binop, "pippp")                                                                    \
  X(rt_neg, "ppp")                                                                        \
  X(rt_not, "ppp")                                                                        \
  X(rt_getattr, "pppp")                                                                   \
  X(rt_getitem, "pppp")                                                                   \
  X(rt_slice, "pppppp")                                                                   \
  X(rt_truth, "ipp")                                                                      \
  X(rt_filter, "pppppp")                                                                  \
  X(rt_test, "ppppp")                                                                     \
  X(rt_test_kw, "pppppp")   /* tests with keyword arguments (filters.def signatures) */   \
  X(rt_filter_length, "pppp")                                                             \
  X(rt_local_attr_peek, "ppiplp")                                                         \
  X(rt_test_divisibleby, "pplp")                                                          \
  X(rt_tpl_begin, "p")                                                                    \
  X(rt_tpl_text, "vppl")                                                                  \
  X(rt_tpl_value, "vpp")                                                                  \
  X(rt_tpl_int, "vpl")                                                                    \
  X(rt_for_len, "lp")                                                                     \
  X(rt_for_next_bind, "ppii")                                                             \
  X(rt_tpl_filter, "vpippppp")                                                             \
  X(rt_tpl_end, "pp")                                                                     \
  X(rt_tpl_single, "pp")                                                                  \
  X(rt_tpl_str, "vpp")                                                                    \
  X(rt_tpl_end_str, "pp")                                                                 \
  X(rt_tpl_end_file, "pplpl")                                                             \
  X(rt_dict_put_value, "pppp")                                                            \
  X(rt_tpl_type_error, "ppp")                                                             \
  X(rt_lookup, "pppppp")                                                                  \
  X(rt_lookup_fn, "pppppp")                                                               \
  X(rt_method, "pppppp")                                                                  \
  X(rt_incref, "pp")                                                                      \
  X(rt_once_get, "pp")                                                                    \
  X(rt_once_put, "ppp")                                                                   \
  X(rt_step_until, "bppi")                                                                \
  X(rt_cond, "ipp")                                                                       \
  X(rt_loop_begin, "lppp")                                                                \
  X(rt_loop_bind, "vpl")                                                                  \
  X(rt_step_skip, "vpp")                                                                  \
  X(rt_step_error, "vppip")                                                                \
  X(rt_step_run, "bppp")                                                                  \
  X(rt_step_set_changed, "vpb")                                                           \
  X(rt_step_set_failed, "vpb")                                                            \
  X(rt_step_end, "bpp")                                                                   \
  X(rt_task_finish, "ipp")                                                                 \
  X(rt_tpl_newlines, "vpi")                                                               \
  X(rt_locals_enter, "ppi")                                                               \
  X(rt_locals_leave, "vpp")                                                               \
  X(rt_local, "ppi")                                                                      \
  X(rt_local_attr, "ppiplpp")                                                             \
  X(rt_tpl_local_attr, "bppiplpp")                                                        \
  X(rt_tpl_local_attr_default, "bppiplpppp")                                              \
  X(rt_local_set, "vpip")                                                                 \
  X(rt_local_unpack, "ppplp")                                                              \
  X(rt_local_set_item, "vpipl")                                                           \
  X(rt_local_method, "ppipppp")                                                           \
  X(rt_local_setattr, "vppippp")                                                          \
  X(rt_namespace, "pp")                                                                   \
  X(rt_for_begin, "ppppiiip")                                                              \
  X(rt_for_next, "ppi")                                                                   \
  X(rt_for_keep, "vp")                                                                    \
  X(rt_for_filtered, "vp")                                                                \
  X(rt_for_end, "bp")                                                                     \
  X(rt_for_recurse, "ppppiiiip")                                                          \
  X(rt_for_buf, "pp")                                                                     \
  X(rt_loop_changed, "ppip")                                                              \
  X(rt_vault_value, "pppl")                                                               \
  X(rt_error_value, "pp")                                                                \
  X(rt_hostvars_item, "pppp")                                                             \
  X(rt_unsafe_str, "ppl")

typedef enum CgRtId {
#define X(n, sig) CG_##n,
  CG_RT_FUNCS(X)
#undef X
      CG_RT_COUNT
} CgRtId;

static const struct {
  const char *name;
  const char *sig;
} cg_rt_table[CG_RT_COUNT] = {
#define X(n, sig) {#n, sig},
    CG_RT_FUNCS(X)
#undef X
};

/* Compile-time check that the table matches playc.h's prototypes. */
#define CG_SIG_CHECK(fn, type) _Static_assert(__builtin_types_compatible_p(__typeof__(&fn), type), #fn)
CG_SIG_CHECK(rt_main, int (*)(int, char **, const RtProgram *));
CG_SIG_CHECK(rt_str, RtValue *(*)(const char *, size_t));
CG_SIG_CHECK(rt_dict_put, void (*)(RtValue *, const char *, size_t, RtValue *));
CG_SIG_CHECK(rt_binop, RtValue *(*)(int32_t, RtValue *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_filter, RtValue *(*)(const char *, RtValue *, RtValue *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_test, RtValue *(*)(const char *, RtValue *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_test_kw, RtValue *(*)(const char *, RtValue *, RtValue *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_filter_length, RtValue *(*)(const char *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_test_divisibleby, RtValue *(*)(RtValue *, int64_t, const RtLoc *));
CG_SIG_CHECK(rt_local_attr_peek, RtValue *(*)(RtHost *, int32_t, const char *, int64_t, int32_t *));
CG_SIG_CHECK(rt_truth, int32_t (*)(RtValue *, RtValue **));
CG_SIG_CHECK(rt_loop_begin, int64_t (*)(RtHost *, const RtTaskDef *, RtValue *));
CG_SIG_CHECK(rt_step_run, bool (*)(RtHost *, const RtTaskDef *, RtValue *));
CG_SIG_CHECK(rt_step_error, void (*)(RtHost *, const RtTaskDef *, int32_t, RtValue *));
CG_SIG_CHECK(rt_task_finish, RtStatus (*)(RtHost *, const RtTaskDef *));
CG_SIG_CHECK(rt_tpl_str, void (*)(RtTpl *, RtValue *));
CG_SIG_CHECK(rt_dict_put_value, RtValue *(*)(RtValue *, RtValue *, RtValue *));
CG_SIG_CHECK(rt_lookup, RtValue *(*)(RtHost *, const char *, RtValue *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_lookup_fn, RtValue *(*)(RtHost *, const char *, RtValue *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_method, RtValue *(*)(const char *, RtValue *, RtValue *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_slice, RtValue *(*)(RtValue *, RtValue *, RtValue *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_step_until, bool (*)(RtHost *, const RtTaskDef *, int32_t));
CG_SIG_CHECK(rt_local_setattr, void (*)(RtHost *, RtTpl *, int32_t, const char *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_for_begin, RtFor *(*)(RtHost *, RtTpl *, RtValue *, int32_t, int32_t, int32_t, const RtLoc *));
CG_SIG_CHECK(rt_for_next, RtValue *(*)(RtFor *, int32_t));
CG_SIG_CHECK(rt_for_len, int64_t (*)(RtFor *));
CG_SIG_CHECK(rt_for_next_bind, RtValue *(*)(RtFor *, int32_t, int32_t));
CG_SIG_CHECK(rt_tpl_int, void (*)(RtTpl *, int64_t));
CG_SIG_CHECK(rt_local_attr, RtValue *(*)(RtHost *, int32_t, const char *, int64_t, int32_t *, const RtLoc *));
CG_SIG_CHECK(rt_tpl_local_attr,
             bool (*)(RtTpl *, RtHost *, int32_t, const char *, int64_t, int32_t *, const RtLoc *));
CG_SIG_CHECK(rt_tpl_local_attr_default, bool (*)(RtTpl *, RtHost *, int32_t, const char *, int64_t, int32_t *,
                                                 const char *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_tpl_filter, void (*)(RtTpl *, int32_t, const char *, RtValue *, RtValue *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_for_end, bool (*)(RtFor *));
CG_SIG_CHECK(rt_local_set_item, void (*)(RtHost *, int32_t, RtValue *, int64_t));
CG_SIG_CHECK(rt_local_unpack, RtValue *(*)(RtTpl *, RtValue *, int64_t, const RtLoc *));
CG_SIG_CHECK(rt_vault_value, RtValue *(*)(RtHost *, const char *, uint64_t));
CG_SIG_CHECK(rt_error_value, RtValue *(*)(const char *));
CG_SIG_CHECK(rt_hostvars_item, RtValue *(*)(RtHost *, RtValue *, const RtLoc *));
CG_SIG_CHECK(rt_unsafe_str, RtValue *(*)(const char *, uint64_t));
_Static_assert(sizeof(RtStatus) == 4 && sizeof(bool) == 1 && sizeof(size_t) == 8, "ABI");

typedef struct CgRtFn {
  LLVMTypeRef type;
  LLVMValueRef fn; /* NULL until first call */
} CgRtFn;

/* A value being computed: boxed (an owned RtValue *) or unboxed in a register. */
typedef enum CgKind { CG_BOXED, CG_BOOL, CG_INT, CG_FLOAT } CgKind;
typedef struct CgVal {
  CgKind kind;
  LLVMValueRef v;
} CgVal;

/* How deep `for` bodies nest and still get `loop`'s fields unboxed. */
enum { CG_MAX_LOOPS = 8 };

typedef struct Cg {
  PcCtx *pc;
  const IrProgram *p;
  const CgOptions *o;
  const char *const *last_roots; /* cg_roots' cache */
  LLVMValueRef last_roots_v;
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTargetDataRef td;
  LLVMTypeRef t_void, t_i1, t_i8, t_i32, t_i64, t_f64, t_ptr;
  LLVMTypeRef t_loc, t_vardef, t_scope, t_kws, t_taskdef, t_itemdef, t_blockdef, t_incdef, t_roledef;
  LLVMTypeRef t_playdef, t_filedef, t_invvarsdef, t_program;
  LLVMTypeRef t_expr_fn, t_task_fn, t_part_fn;
  CgRtFn rt[CG_RT_COUNT];
  LLVMValueRef *expr_fns; /* by root id */
  LLVMValueRef *scope_gvs, *block_gvs, *role_gvs; /* by id */
  LLVMValueRef tasks_gv;  /* the array of every RtTaskDef */
  struct {
    const IrVar *vars;
    LLVMValueRef gv;
  } *varsets;             /* RtVarDef arrays emitted, by the IrVar array they come from */
  int nvarsets;
  const IrExpr *cur_root; /* the root whose function is being generated */
  PcMap task_fns;         /* args root → task function (tasks sharing a body) */
  PcMap weights;          /* IrExpr → IR nodes in its tree (cg_weight) */
  PcMap strings;          /* bytes → their constant global (cg_bytes) */
  int32_t nparts;         /* part functions of the current root */
  PcVec rec_fors, rec_fns; /* recursive FORs being generated (innermost last), their body functions */
  LLVMValueRef once_str_fn; /* playc.once_str (cg_once), made at first use */
  /* the `for` bodies being generated that read `loop` as unboxed fields
   * (cg_for_unboxed), innermost last: its slot, the item's index (i64),
   * the number of items (i64) */
  struct {
    int32_t slot;
    LLVMValueRef i, n;
  } loops[CG_MAX_LOOPS];
  int32_t nloops;
  /* the function being generated */
  LLVMValueRef fn, host, taskdef, err_slot;
  /* the last RtLoc file string, reused by the next RtLoc of the same file */
  const char *loc_file;
  LLVMValueRef loc_file_str;
  bool failed;
} Cg;

/* ---- types ------------------------------------------------------------------- */

static LLVMTypeRef cg_struct(Cg *g, const char *name, LLVMTypeRef *fields, unsigned n) {
  LLVMTypeRef t = LLVMStructCreateNamed(g->ctx, name);
  LLVMStructSetBody(t, fields, n, false);
  return t;
}

/* A struct type whose fields must sit where the C compiler puts them: each
 * field is given with its C offset, checked against LLVM's layout. */
typedef struct CgField {
  LLVMTypeRef type;
  size_t offset;
} CgField;

static LLVMTypeRef cg_struct_checked(Cg *g, const char *name, const CgField *f, unsigned n, size_t size) {
  LLVMTypeRef types[48];
  PC_ASSERT(n <= 48);
  for (unsigned i = 0; i < n; i++)
    types[i] = f[i].type;
  LLVMTypeRef t = cg_struct(g, name, types, n);
  for (unsigned i = 0; i < n; i++)
    PC_ASSERT(LLVMOffsetOfElement(g->td, t, i) == f[i].offset);
  PC_ASSERT(LLVMABISizeOfType(g->td, t) == size);
  return t;
}

#define CG_F(T, C, field) {T, offsetof(C, field)}

static void cg_types_init(Cg *g) {
  g->t_void = LLVMVoidTypeInContext(g->ctx);
  g->t_i1 = LLVMInt1TypeInContext(g->ctx);
  g->t_i8 = LLVMInt8TypeInContext(g->ctx);
  g->t_i32 = LLVMInt32TypeInContext(g->ctx);
  g->t_i64 = LLVMInt64TypeInContext(g->ctx);
  g->t_f64 = LLVMDoubleTypeInContext(g->ctx);
  g->t_ptr = LLVMPointerTypeInContext(g->ctx, 0);
  LLVMTypeRef P = g->t_ptr, I32 = g->t_i32, I8 = g->t_i8, I64 = g->t_i64;
  g->t_loc = cg_struct_checked(g, "RtLoc",
                               (CgField[]){CG_F(P, RtLoc, file), CG_F(I32, RtLoc, line), CG_F(I32, RtLoc, col)}, 3,
                               sizeof(RtLoc));
  g->t_vardef = cg_struct_checked(g, "RtVarDef",
                                  (CgField[]){CG_F(P, RtVarDef, name), CG_F(P, RtVarDef, value),
                                              CG_F(I8, RtVarDef, lazy), CG_F(P, RtVarDef, cache)},
                                  4, sizeof(RtVarDef));
  g->t_scope = cg_struct_checked(g, "RtScope",
                                 (CgField[]){CG_F(I32, RtScope, level), CG_F(P, RtScope, vars),
                                             CG_F(I32, RtScope, nvars), CG_F(P, RtScope, next),
                                             CG_F(I32, RtScope, public_role), CG_F(P, RtScope, vault_text),
                                             CG_F(I64, RtScope, vault_len), CG_F(P, RtScope, vault_file)},
                                 8, sizeof(RtScope));
  g->t_kws = LLVMArrayType2(P, RT_TK_COUNT);
  g->t_taskdef = cg_struct_checked(
      g, "RtTaskDef",
      (CgField[]){CG_F(I32, RtTaskDef, id),           CG_F(I32, RtTaskDef, kind),
                  CG_F(P, RtTaskDef, name),           CG_F(P, RtTaskDef, action),
                  CG_F(I32, RtTaskDef, module),       CG_F(P, RtTaskDef, register_var),
                  CG_F(I8, RtTaskDef, has_loop),      CG_F(I8, RtTaskDef, implicit),
                  CG_F(I8, RtTaskDef, handler),       CG_F(g->t_loc, RtTaskDef, loc),
                  CG_F(P, RtTaskDef, when_src),       CG_F(P, RtTaskDef, changed_when_src),
                  CG_F(P, RtTaskDef, failed_when_src), CG_F(P, RtTaskDef, until_src),
                  CG_F(P, RtTaskDef, run),            CG_F(P, RtTaskDef, when),
                  CG_F(P, RtTaskDef, loop),           CG_F(P, RtTaskDef, error_context),
                  CG_F(P, RtTaskDef, scope),          CG_F(P, RtTaskDef, role),
                  CG_F(P, RtTaskDef, role_name),      CG_F(P, RtTaskDef, tags),
                  CG_F(P, RtTaskDef, listen),         CG_F(P, RtTaskDef, notify),
                  CG_F(P, RtTaskDef, loop_var),       CG_F(P, RtTaskDef, index_var),
                  CG_F(I8, RtTaskDef, loop_extended), CG_F(P, RtTaskDef, include),
                  CG_F(P, RtTaskDef, roots),          CG_F(P, RtTaskDef, fault),
                  CG_F(P, RtTaskDef, args_text),      CG_F(g->t_kws, RtTaskDef, kw),
                  CG_F(P, RtTaskDef, tpl_names),      CG_F(P, RtTaskDef, tpl_render)},
      34, sizeof(RtTaskDef));
  g->t_itemdef = cg_struct_checked(g, "RtItemDef", (CgField[]){CG_F(P, RtItemDef, task), CG_F(P, RtItemDef, block)},
                                   2, sizeof(RtItemDef));
  g->t_blockdef = cg_struct_checked(g, "RtBlockDef",
                                    (CgField[]){CG_F(I32, RtBlockDef, id),
                                                CG_F(LLVMArrayType2(P, 3), RtBlockDef, items),
                                                CG_F(LLVMArrayType2(I32, 3), RtBlockDef, nitems)},
                                    3, sizeof(RtBlockDef));
  g->t_incdef = cg_struct_checked(
      g, "RtIncludeDef",
      (CgField[]){CG_F(P, RtIncludeDef, file),    CG_F(P, RtIncludeDef, dirs),      CG_F(I32, RtIncludeDef, ndirs),
                  CG_F(P, RtIncludeDef, names),   CG_F(I32, RtIncludeDef, n),       CG_F(P, RtIncludeDef, blocks),
                  CG_F(P, RtIncludeDef, nblocks), CG_F(P, RtIncludeDef, frames),    CG_F(P, RtIncludeDef, params),
                  CG_F(P, RtIncludeDef, handlers), CG_F(I32, RtIncludeDef, nhandlers), CG_F(P, RtIncludeDef, role),
                  CG_F(I8, RtIncludeDef, is_public)},
      13, sizeof(RtIncludeDef));
  g->t_roledef = cg_struct_checked(g, "RtRoleDef",
                                   (CgField[]){CG_F(I32, RtRoleDef, id), CG_F(P, RtRoleDef, name),
                                               CG_F(P, RtRoleDef, path), CG_F(I8, RtRoleDef, allow_duplicates),
                                               CG_F(P, RtRoleDef, dep_names)},
                                   5, sizeof(RtRoleDef));
  g->t_playdef = cg_struct_checked(
      g, "RtPlayDef",
      (CgField[]){CG_F(P, RtPlayDef, name),          CG_F(P, RtPlayDef, hosts),
                  CG_F(I8, RtPlayDef, gather_facts), CG_F(I8, RtPlayDef, force_handlers),
                  CG_F(I8, RtPlayDef, any_errors_fatal), CG_F(I32, RtPlayDef, max_fail_percentage),
                  CG_F(P, RtPlayDef, connection),    CG_F(P, RtPlayDef, order),
                  CG_F(P, RtPlayDef, scope),         CG_F(P, RtPlayDef, blocks),
                  CG_F(I32, RtPlayDef, nblocks),     CG_F(P, RtPlayDef, handlers),
                  CG_F(I32, RtPlayDef, nhandlers),   CG_F(P, RtPlayDef, tasks),
                  CG_F(I32, RtPlayDef, ntasks),      CG_F(P, RtPlayDef, role_names),
                  CG_F(P, RtPlayDef, dep_role_names),
                  CG_F(P, RtPlayDef, prompts),       CG_F(I32, RtPlayDef, nprompts),
                  CG_F(g->t_loc, RtPlayDef, loc),   CG_F(P, RtPlayDef, gather_args),
                  CG_F(g->t_kws, RtPlayDef, setup_kw), CG_F(P, RtPlayDef, vars_files),
                  CG_F(I32, RtPlayDef, nvars_files), CG_F(P, RtPlayDef, tags),
                  CG_F(P, RtPlayDef, serial),        CG_F(P, RtPlayDef, strategy)},
      27, sizeof(RtPlayDef));
  g->t_filedef = cg_struct_checked(g, "RtFileDef",
                                   (CgField[]){CG_F(P, RtFileDef, name), CG_F(P, RtFileDef, data),
                                               CG_F(I64, RtFileDef, size), CG_F(I32, RtFileDef, mode),
                                               CG_F(P, RtFileDef, render)},
                                   5, sizeof(RtFileDef));
  g->t_invvarsdef = cg_struct_checked(g, "RtInvVarsDef",
                                      (CgField[]){CG_F(P, RtInvVarsDef, name), CG_F(I32, RtInvVarsDef, host),
                                                  CG_F(P, RtInvVarsDef, scope)},
                                      3, sizeof(RtInvVarsDef));
  g->t_program = cg_struct_checked(
      g, "RtProgram",
      (CgField[]){CG_F(I32, RtProgram, abi_version), CG_F(I32, RtProgram, modules_hash),
                  CG_F(P, RtProgram, playbook),      CG_F(P, RtProgram, plan_text),
                  CG_F(P, RtProgram, plan_json),     CG_F(P, RtProgram, plays),
                  CG_F(I32, RtProgram, nplays),      CG_F(P, RtProgram, files),
                  CG_F(I32, RtProgram, nfiles),      CG_F(I32, RtProgram, nroles),
                  CG_F(P, RtProgram, base_dir),      CG_F(P, RtProgram, load_fault),
                  CG_F(P, RtProgram, inv_vars),      CG_F(I32, RtProgram, ninv_vars)},
      14, sizeof(RtProgram));
  g->t_expr_fn = LLVMFunctionType(P, (LLVMTypeRef[]){P}, 1, false);
  g->t_task_fn = LLVMFunctionType(I32, (LLVMTypeRef[]){P, P}, 2, false);
  g->t_part_fn = LLVMFunctionType(P, (LLVMTypeRef[]){P, P}, 2, false);
}

/* ---- constants and runtime calls --------------------------------------------------- */

static LLVMValueRef cg_i32(Cg *g, int64_t v) { return LLVMConstInt(g->t_i32, (unsigned long long)v, true); }
static LLVMValueRef cg_i64(Cg *g, int64_t v) { return LLVMConstInt(g->t_i64, (unsigned long long)v, true); }
static LLVMValueRef cg_i8(Cg *g, bool v) { return LLVMConstInt(g->t_i8, v, false); }
static LLVMValueRef cg_null(Cg *g) { return LLVMConstPointerNull(g->t_ptr); }

static LLVMTypeRef cg_sig_type(Cg *g, char k) {
  switch (k) {
  case 'v': return g->t_void;
  case 'p': return g->t_ptr;
  case 'b': return g->t_i8;
  case 'i': return g->t_i32;
  case 'l': return g->t_i64;
  case 'd': return g->t_f64;
  }
  PC_UNREACHABLE();
}

static void cg_add_zext(Cg *g, LLVMValueRef fn_or_call, unsigned idx, bool call) {
  unsigned kind = LLVMGetEnumAttributeKindForName("zeroext", 7);
  LLVMAttributeRef a = LLVMCreateEnumAttribute(g->ctx, kind, 0);
  if (call)
    LLVMAddCallSiteAttribute(fn_or_call, idx, a);
  else
    LLVMAddAttributeAtIndex(fn_or_call, idx, a);
}

/* Gets or declares runtime function `id` with its playc.h type. */
static CgRtFn *cg_rt(Cg *g, CgRtId id) {
  CgRtFn *f = &g->rt[id];
  if (f->fn)
    return f;
  const char *sig = cg_rt_table[id].sig;
  unsigned n = (unsigned)strlen(sig) - 1;
  LLVMTypeRef params[12];
  PC_ASSERT(n <= 12);
  for (unsigned i = 0; i < n; i++)
    params[i] = cg_sig_type(g, sig[i + 1]);
  f->type = LLVMFunctionType(cg_sig_type(g, sig[0]), params, n, false);
  f->fn = LLVMGetNamedFunction(g->mod, cg_rt_table[id].name);
  if (!f->fn)
    f->fn = LLVMAddFunction(g->mod, cg_rt_table[id].name, f->type);
  for (unsigned i = 0; i < n; i++)
    if (sig[i + 1] == 'b')
      cg_add_zext(g, f->fn, i + 1, false);
  return f;
}

/* Calls runtime function `id`. A C bool parameter is given as i1 (widened here)
 * and a C bool result comes back as i1. */
static LLVMValueRef cg_call(Cg *g, CgRtId id, LLVMValueRef *args, unsigned n) {
  CgRtFn *f = cg_rt(g, id);
  const char *sig = cg_rt_table[id].sig;
  PC_ASSERT(n == strlen(sig) - 1);
  for (unsigned i = 0; i < n; i++)
    if (sig[i + 1] == 'b')
      args[i] = LLVMBuildZExt(g->b, args[i], g->t_i8, "");
  LLVMValueRef r = LLVMBuildCall2(g->b, f->type, f->fn, args, n, "");
  for (unsigned i = 0; i < n; i++)
    if (sig[i + 1] == 'b')
      cg_add_zext(g, r, i + 1, true);
  if (sig[0] == 'b')
    r = LLVMBuildICmp(g->b, LLVMIntNE, r, cg_i8(g, 0), "");
  return r;
}

#define CG_CALL(g, id, ...)                                                               \
  cg_call(g, id, (LLVMValueRef[]){__VA_ARGS__},                                            \
          sizeof((LLVMValueRef[]){__VA_ARGS__}) / sizeof(LLVMValueRef))

static LLVMValueRef cg_call0(Cg *g, CgRtId id) { return cg_call(g, id, NULL, 0); }

/* Whether v is an immortal value, whose count never changes: what rt_none
 * and rt_bool return, and a once-per-run constant (rt_once_put makes the
 * value it publishes immortal: the string or argument list cg_once_in
 * builds is its maker's alone), or a phi of such (`'on' if b else 'off'`). */
static bool cg_is_immortal(Cg *g, LLVMValueRef v, int depth) {
  if (LLVMIsACallInst(v)) {
    LLVMValueRef fn = LLVMGetCalledValue(v);
    if (g->once_str_fn && fn == g->once_str_fn)
      return true;
    static const CgRtId ids[] = {CG_rt_none, CG_rt_bool, CG_rt_once_get, CG_rt_once_put};
    for (size_t k = 0; k < sizeof ids / sizeof *ids; k++)
      if (g->rt[ids[k]].fn && fn == g->rt[ids[k]].fn)
        return true;
    return false;
  }
  if (!LLVMIsAPHINode(v) || depth > 3)
    return false;
  for (unsigned k = 0; k < LLVMCountIncoming(v); k++)
    if (!cg_is_immortal(g, LLVMGetIncomingValue(v, k), depth + 1))
      return false;
  return true;
}

/* rt_decref(v), left out when v is immortal (a call that would do nothing). */
static void cg_decref(Cg *g, LLVMValueRef v) {
  if (!cg_is_immortal(g, v, 0))
    CG_CALL(g, CG_rt_decref, v);
}

static LLVMValueRef cg_load(Cg *g, LLVMTypeRef t, LLVMValueRef ptr) {
  return LLVMBuildLoad2(g->b, t, ptr, "");
}

/* A private constant global holding `init`. */
static LLVMValueRef cg_global(Cg *g, LLVMValueRef init, const char *name) {
  LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, true);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  return gv;
}

/* `len` bytes at `s`, NUL-terminated, as a private constant: its address.
 * Each distinct string is emitted once (a name used a thousand times is one
 * global, not a thousand for the optimiser to merge). */
static LLVMValueRef cg_bytes(Cg *g, const char *s, size_t len) {
  if (!s)
    s = "", len = 0;
  LLVMValueRef gv = pc_map_get(&g->strings, s, len);
  if (gv)
    return gv;
  LLVMValueRef init = LLVMConstStringInContext2(g->ctx, s, len, false);
  gv = cg_global(g, init, ".str");
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  LLVMSetAlignment(gv, 1);
  pc_map_put(g->pc, &g->strings, pc_strndup(g->pc, s, len), len, gv);
  return gv;
}

static LLVMValueRef cg_cstr(Cg *g, const char *s) { return cg_bytes(g, s, s ? strlen(s) : 0); }
static LLVMValueRef cg_cstr_or_null(Cg *g, const char *s) { return s ? cg_cstr(g, s) : cg_null(g); }

/* An RtLoc as a constant struct value. */
static LLVMValueRef cg_loc_value(Cg *g, IrLoc loc) {
  const char *file = loc.file ? loc.file : "";
  if (!g->loc_file || strcmp(g->loc_file, file) != 0) {
    g->loc_file = file;
    g->loc_file_str = cg_cstr(g, file);
  }
  LLVMValueRef f[3] = {g->loc_file_str, cg_i32(g, loc.line), cg_i32(g, loc.col)};
  return LLVMConstNamedStruct(g->t_loc, f, 3);
}

/* The address of a static RtLoc for `loc`. */
static LLVMValueRef cg_loc(Cg *g, IrLoc loc) { return cg_global(g, cg_loc_value(g, loc), "loc"); }

/* ---- functions and blocks ---------------------------------------------------------- */

static LLVMBasicBlockRef cg_block(Cg *g, const char *name) {
  return LLVMAppendBasicBlockInContext(g->ctx, g->fn, name);
}

/* Continues generating in `bb`, moved last so blocks read in the order filled. */
static void cg_at(Cg *g, LLVMBasicBlockRef bb) {
  LLVMBasicBlockRef last = LLVMGetLastBasicBlock(g->fn);
  if (last != bb)
    LLVMMoveBasicBlockAfter(bb, last);
  LLVMPositionBuilderAtEnd(g->b, bb);
}

static LLVMBasicBlockRef cg_here(Cg *g) { return LLVMGetInsertBlock(g->b); }

/* Starts generating `fn`: entry block, the error slot rt_truth/rt_cond write. */
static void cg_begin_fn(Cg *g, LLVMValueRef fn) {
  g->fn = fn;
  g->host = LLVMGetParam(fn, 0);
  g->taskdef = LLVMCountParams(fn) > 1 ? LLVMGetParam(fn, 1) : NULL;
  cg_at(g, cg_block(g, "entry"));
  g->err_slot = LLVMBuildAlloca(g->b, g->t_ptr, "err");
}

static LLVMValueRef cg_phi(Cg *g, LLVMTypeRef t, LLVMValueRef *vals, LLVMBasicBlockRef *bbs,
                           unsigned n) {
  LLVMValueRef phi = LLVMBuildPhi(g->b, t, "");
  LLVMAddIncoming(phi, vals, bbs, n);
  return phi;
}

static LLVMValueRef cg_fn_name(Cg *g, const char *prefix, int32_t id, LLVMTypeRef t) {
  char name[48];
  snprintf(name, sizeof name, "%s_%d", prefix, (int)id);
  return LLVMAddFunction(g->mod, name, t);
}

/* ---- unboxed (typed) expressions ----------------------------------------------------- */

static bool cg_scalar_type(IrType t) { return t == TY_BOOL || t == TY_INT || t == TY_FLOAT; }
static bool cg_unboxable(const Cg *g, const IrExpr *e);

static bool cg_binop_unboxable(const Cg *g, const IrExpr *e) {
  IrType a = e->kids[0]->type, b = e->kids[1]->type;
  if (!cg_unboxable(g, e->kids[0]) || !cg_unboxable(g, e->kids[1]))
    return false;
  switch (e->binop) {
  case RT_OP_ADD: case RT_OP_SUB: case RT_OP_MUL:
    /* int arithmetic can overflow: fold computed what succeeds, the rest is
     * runtime/arith.c's error at run time (rt_binop) */
    return e->type == TY_FLOAT && (a == TY_FLOAT || b == TY_FLOAT);
  case RT_OP_EQ: case RT_OP_NE: case RT_OP_LT: case RT_OP_LE: case RT_OP_GT: case RT_OP_GE:
    /* int against float compares exactly in the runtime, not through a double */
    return e->type == TY_BOOL && (a == TY_FLOAT) == (b == TY_FLOAT);
  default:
    return false;
  }
}

/* True when `e` is a call to the function of another root (ir.h's shared
 * exprs); a constant is cheaper inline. */
static bool cg_is_call(const Cg *g, const IrExpr *e) {
  return ir_is_ref(e) && e != g->cur_root && e->op != IR_CONST;
}

/* True when every kid from `from` on is unboxable and of type `t`. */
static bool cg_kids_unboxable(const Cg *g, const IrExpr *e, IrType t) {
  for (int32_t i = 0; i < e->nkids; i++)
    if (e->kids[i]->type != t || !cg_unboxable(g, e->kids[i]))
      return false;
  return true;
}

/* True when `e` is computed in a register: a bool/int/float constant, or an
 * operation on such values that cannot fail. */
static bool cg_unboxable(const Cg *g, const IrExpr *e) {
  if (!cg_scalar_type(e->type) || cg_is_call(g, e))
    return false;
  switch (e->op) {
  case IR_CONST:
    return !(e->type == TY_INT && e->s); /* an int past 64 bits is boxed */
  case IR_NOT:
    return e->type == TY_BOOL && cg_unboxable(g, e->kids[0]);
  case IR_NEG: /* -INT64_MIN overflows: only floats negate in registers */
    return e->type == TY_FLOAT && e->kids[0]->type == TY_FLOAT && cg_unboxable(g, e->kids[0]);
  case IR_AND:
  case IR_OR:
    return e->type == TY_BOOL && cg_kids_unboxable(g, e, TY_BOOL);
  case IR_BINOP:
    return cg_binop_unboxable(g, e);
  default:
    return false;
  }
}

static LLVMValueRef cg_to_i64(Cg *g, CgVal v) {
  return v.kind == CG_BOOL ? LLVMBuildZExt(g->b, v.v, g->t_i64, "") : v.v;
}

static LLVMValueRef cg_to_f64(Cg *g, CgVal v) {
  if (v.kind == CG_FLOAT)
    return v.v;
  if (v.kind == CG_BOOL)
    return LLVMBuildUIToFP(g->b, v.v, g->t_f64, "");
  return LLVMBuildSIToFP(g->b, v.v, g->t_f64, "");
}

/* Python truthiness of an unboxed value, as i1. */
static LLVMValueRef cg_scalar_truth(Cg *g, CgVal v) {
  if (v.kind == CG_BOOL)
    return v.v;
  if (v.kind == CG_INT)
    return LLVMBuildICmp(g->b, LLVMIntNE, v.v, cg_i64(g, 0), "");
  return LLVMBuildFCmp(g->b, LLVMRealUNE, v.v, LLVMConstReal(g->t_f64, 0.0), "");
}

static CgVal cg_scalar(Cg *g, const IrExpr *e);

static CgVal cg_scalar_arith(Cg *g, const IrExpr *e, CgVal a, CgVal b) {
  bool fl = e->type == TY_FLOAT;
  LLVMValueRef x = fl ? cg_to_f64(g, a) : cg_to_i64(g, a);
  LLVMValueRef y = fl ? cg_to_f64(g, b) : cg_to_i64(g, b);
  LLVMValueRef r;
  switch (e->binop) {
  case RT_OP_ADD: r = fl ? LLVMBuildFAdd(g->b, x, y, "") : LLVMBuildAdd(g->b, x, y, ""); break;
  case RT_OP_SUB: r = fl ? LLVMBuildFSub(g->b, x, y, "") : LLVMBuildSub(g->b, x, y, ""); break;
  default: r = fl ? LLVMBuildFMul(g->b, x, y, "") : LLVMBuildMul(g->b, x, y, ""); break;
  }
  return (CgVal){fl ? CG_FLOAT : CG_INT, r};
}

static CgVal cg_scalar_compare(Cg *g, const IrExpr *e, CgVal a, CgVal b) {
  static const LLVMIntPredicate ip[] = {LLVMIntEQ, LLVMIntNE, LLVMIntSLT, LLVMIntSLE, LLVMIntSGT, LLVMIntSGE};
  static const LLVMRealPredicate fp[] = {LLVMRealOEQ, LLVMRealUNE, LLVMRealOLT, LLVMRealOLE, LLVMRealOGT, LLVMRealOGE};
  int k = e->binop - RT_OP_EQ;
  LLVMValueRef r;
  if (a.kind == CG_FLOAT || b.kind == CG_FLOAT)
    r = LLVMBuildFCmp(g->b, fp[k], cg_to_f64(g, a), cg_to_f64(g, b), "");
  else
    r = LLVMBuildICmp(g->b, ip[k], cg_to_i64(g, a), cg_to_i64(g, b), "");
  return (CgVal){CG_BOOL, r};
}

static CgVal cg_scalar_const(Cg *g, const IrExpr *e) {
  if (e->type == TY_BOOL)
    return (CgVal){CG_BOOL, LLVMConstInt(g->t_i1, e->b, false)};
  if (e->type == TY_INT)
    return (CgVal){CG_INT, cg_i64(g, e->i)};
  return (CgVal){CG_FLOAT, LLVMConstReal(g->t_f64, e->f)};
}

/* Computes an unboxable expr (cg_unboxable) in registers. */
static CgVal cg_scalar(Cg *g, const IrExpr *e) {
  if (e->op == IR_CONST)
    return cg_scalar_const(g, e);
  CgVal a = cg_scalar(g, e->kids[0]);
  switch (e->op) {
  case IR_NOT:
    return (CgVal){CG_BOOL, LLVMBuildNot(g->b, cg_scalar_truth(g, a), "")};
  case IR_NEG:
    return (CgVal){a.kind, a.kind == CG_FLOAT ? LLVMBuildFNeg(g->b, a.v, "") : LLVMBuildNeg(g->b, a.v, "")};
  default:
    break;
  }
  if (e->op == IR_AND || e->op == IR_OR) { /* bools that cannot fail: no need to branch */
    for (int32_t i = 1; i < e->nkids; i++) {
      CgVal k = cg_scalar(g, e->kids[i]);
      a.v = e->op == IR_AND ? LLVMBuildAnd(g->b, a.v, k.v, "") : LLVMBuildOr(g->b, a.v, k.v, "");
    }
    return a;
  }
  CgVal b = cg_scalar(g, e->kids[1]);
  if (e->binop >= RT_OP_EQ)
    return cg_scalar_compare(g, e, a, b);
  return cg_scalar_arith(g, e, a, b);
}

/* Boxes an unboxed value: a new reference. */
static LLVMValueRef cg_box(Cg *g, CgVal v) {
  switch (v.kind) {
  case CG_BOOL: return CG_CALL(g, CG_rt_bool, v.v);
  case CG_INT: return CG_CALL(g, CG_rt_int, v.v);
  case CG_FLOAT: return CG_CALL(g, CG_rt_float, v.v);
  case CG_BOXED: return v.v;
  }
  PC_UNREACHABLE();
}

/* ---- boxed (dynamic) expressions ------------------------------------------------------ */

static LLVMValueRef cg_expr(Cg *g, const IrExpr *e);

/* ---- big expressions: part functions ---------------------------------------------------- *
 * LLVM's backend slows down more than linearly with a function's size, so no
 * function grows much past CG_PART_WEIGHT IR nodes: a sub-expression heavier
 * than that is outlined into a part function `ptr part(ptr host, ptr)` that
 * returns its value, and the kids of a wide expression (list, dict, `~`,
 * template, and/or) go in runs, each run in a part function that threads an
 * accumulator (the list, dict or text buffer being built). */
enum { CG_PART_WEIGHT = 1000 };

/* IR nodes in `e`'s tree, calls to other roots counting one. */
static int64_t cg_weight(Cg *g, const IrExpr *e) {
  if (e->nkids == 0 || cg_is_call(g, e))
    return 1;
  intptr_t known = (intptr_t)pc_map_get_ptr(&g->weights, e);
  if (known)
    return known;
  int64_t w = 1;
  for (int32_t i = 0; i < e->nkids; i++)
    w += cg_weight(g, e->kids[i]);
  if (w > INT32_MAX)
    w = INT32_MAX;
  pc_map_put_ptr(g->pc, &g->weights, e, (void *)(intptr_t)w);
  return w;
}

/* What `e` adds to the function it is generated in: 1 once outlined. */
static int64_t cg_inline_weight(Cg *g, const IrExpr *e) {
  int64_t w = cg_weight(g, e);
  return w > CG_PART_WEIGHT ? 1 : w;
}

/* The function being generated, saved while a part function is. */
typedef struct CgFnState {
  LLVMValueRef fn, host, taskdef, err_slot;
  LLVMBasicBlockRef bb;
} CgFnState;

static void cg_begin_fn(Cg *g, LLVMValueRef fn);

/* Starts part function number g->nparts of the current root; returns the
 * caller's state and sets *acc to the part's second parameter. */
static CgFnState cg_part_begin(Cg *g, LLVMValueRef *fn, LLVMValueRef *acc) {
  PC_ASSERT(g->nloops == 0); /* cg_for_unboxed keeps such bodies in one function */
  CgFnState st = {g->fn, g->host, g->taskdef, g->err_slot, cg_here(g)};
  char name[64];
  snprintf(name, sizeof name, "expr_%d.part%d", (int)g->cur_root->id, (int)g->nparts++);
  *fn = LLVMAddFunction(g->mod, name, g->t_part_fn);
  LLVMSetLinkage(*fn, LLVMInternalLinkage);
  /* Straight-line calls building data gain nothing from optimisation, and
   * the O0 code generator is linear: optnone (which needs noinline). */
  static const char *const attrs[] = {"noinline", "optnone"};
  for (int i = 0; i < 2; i++) {
    unsigned kind = LLVMGetEnumAttributeKindForName(attrs[i], strlen(attrs[i]));
    LLVMAddAttributeAtIndex(*fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(g->ctx, kind, 0));
  }
  cg_begin_fn(g, *fn);
  g->taskdef = NULL;
  *acc = LLVMGetParam(*fn, 1);
  return st;
}

/* Returns `ret` from the part function and goes back to the caller. */
static void cg_part_finish(Cg *g, CgFnState st, LLVMValueRef ret) {
  LLVMBuildRet(g->b, ret);
  g->fn = st.fn, g->host = st.host, g->taskdef = st.taskdef, g->err_slot = st.err_slot;
  LLVMPositionBuilderAtEnd(g->b, st.bb);
}

/* cg_part_finish, then the call part(host, acc) in the caller. */
static LLVMValueRef cg_part_end(Cg *g, CgFnState st, LLVMValueRef fn, LLVMValueRef ret, LLVMValueRef acc) {
  cg_part_finish(g, st, ret);
  return LLVMBuildCall2(g->b, g->t_part_fn, fn, (LLVMValueRef[]){g->host, acc ? acc : cg_null(g)}, 2, "");
}

static LLVMValueRef cg_expr_here(Cg *g, const IrExpr *e);

/* A sub-expression too heavy to stay inline: its own part function. */
static LLVMValueRef cg_outline(Cg *g, const IrExpr *e) {
  LLVMValueRef fn, acc;
  CgFnState st = cg_part_begin(g, &fn, &acc);
  return cg_part_end(g, st, fn, cg_expr_here(g, e), NULL);
}

/* Emits kid `i` of `e` into accumulator `acc`; returns the accumulator. */
typedef LLVMValueRef (*CgKidFn)(Cg *g, const IrExpr *e, int32_t i, LLVMValueRef acc);

/* The inline weight of kids [from, to), capped just past `cap`. */
static int64_t cg_range_weight(Cg *g, const IrExpr *e, int32_t from, int32_t to, int64_t cap) {
  int64_t w = 0;
  for (int32_t i = from; i < to && w <= cap; i++)
    w += cg_inline_weight(g, e->kids[i]);
  return w;
}

/* Splits kids [from, to) into at most CG_FANOUT runs of about equal weight:
 * run k is [cuts[k], cuts[k + 1]); returns the number of runs. */
enum { CG_FANOUT = 16 };
static int32_t cg_cut(Cg *g, const IrExpr *e, int32_t from, int32_t to, int32_t *cuts) {
  int64_t total = cg_range_weight(g, e, from, to, INT64_MAX), per = total / CG_FANOUT + 1, w = 0;
  int32_t n = 0;
  cuts[n++] = from;
  for (int32_t i = from; i < to; i++) {
    w += cg_inline_weight(g, e->kids[i]);
    if (w >= per && i + 1 < to && n < CG_FANOUT) {
      cuts[n++] = i + 1;
      w = 0;
    }
  }
  if (n == 1 && to - from > 1) { /* one heavy kid at the end, or many light ones: by count */
    int32_t per_kids = (to - from + CG_FANOUT - 1) / CG_FANOUT;
    for (int32_t i = from + per_kids; i < to; i += per_kids)
      cuts[n++] = i;
  }
  cuts[n] = to;
  return n; /* every run is shorter than [from, to) when it has two kids or more */
}

/* emit(kid i) for kids [from, to) of `e` in order, threading `acc`: inline
 * when they are light enough, else each of at most CG_FANOUT runs in a part
 * function of its own, split again inside when still too heavy. So every
 * function holds at most CG_PART_WEIGHT nodes or CG_FANOUT calls. */
static LLVMValueRef cg_kids_range(Cg *g, const IrExpr *e, int32_t from, int32_t to, LLVMValueRef acc,
                                  CgKidFn emit) {
  if (to - from <= 1 || cg_range_weight(g, e, from, to, CG_PART_WEIGHT) <= CG_PART_WEIGHT) {
    for (int32_t i = from; i < to; i++)
      acc = emit(g, e, i, acc);
    return acc;
  }
  int32_t cuts[CG_FANOUT + 1];
  int32_t n = cg_cut(g, e, from, to, cuts);
  for (int32_t k = 0; k < n; k++) {
    LLVMValueRef fn, a;
    CgFnState st = cg_part_begin(g, &fn, &a);
    a = cg_kids_range(g, e, cuts[k], cuts[k + 1], a, emit);
    acc = cg_part_end(g, st, fn, a, acc);
  }
  return acc;
}

static LLVMValueRef cg_kids(Cg *g, const IrExpr *e, int32_t from, LLVMValueRef acc, CgKidFn emit) {
  return cg_kids_range(g, e, from, e->nkids, acc, emit);
}

/* A value that is the same at every evaluation (a constant string, a
 * filter's constant arguments), built once per run: a private global holds
 * it (one reference, for the whole run; values are immutable once shared)
 * and each evaluation takes a new reference to it. The first builder to
 * publish it wins (an atomic compare-and-swap: host threads may race); a
 * loser drops its copy. Saves an allocation and a free per use in loops.
 * Each constant string is one call (playc.once_str): a program has
 * thousands of constants, and compile time counts. */
static LLVMValueRef cg_once_global(Cg *g) {
  LLVMValueRef gv = LLVMAddGlobal(g->mod, g->t_ptr, "once");
  LLVMSetInitializer(gv, cg_null(g));
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetAlignment(gv, 8);
  return gv;
}

/* Starts generating the module's helper `name` (returns ptr), saving the
 * builder and function being generated in *saved. */
static LLVMValueRef cg_helper_begin(Cg *g, const char *name, LLVMTypeRef *params, unsigned n, void *saved[2]) {
  LLVMValueRef fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->t_ptr, params, n, false));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  saved[0] = g->b;
  saved[1] = g->fn;
  g->b = LLVMCreateBuilderInContext(g->ctx);
  g->fn = fn;
  cg_at(g, cg_block(g, "entry"));
  return fn;
}

static void cg_helper_end(Cg *g, void *saved[2]) {
  LLVMDisposeBuilder(g->b);
  g->b = saved[0];
  g->fn = saved[1];
}

static LLVMValueRef cg_call_helper(Cg *g, LLVMValueRef fn, LLVMValueRef *args, unsigned n) {
  return LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, args, n, "");
}

/* gv's value (a new reference), built by `build` the first time and
 * published by rt_once_put (the atomics are the runtime's: see rt_once_get). */
static LLVMValueRef cg_once_in(Cg *g, LLVMValueRef gv, LLVMValueRef (*build)(Cg *, const IrExpr *, int32_t, int32_t),
                               const IrExpr *e, int32_t from, int32_t to) {
  LLVMValueRef r1 = CG_CALL(g, CG_rt_once_get, gv);
  LLVMBasicBlockRef hit = cg_here(g), make = cg_block(g, "once.make"), join = cg_block(g, "once.join");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, r1, ""), make, join);
  cg_at(g, make);
  LLVMValueRef r2 = CG_CALL(g, CG_rt_once_put, gv, build(g, e, from, to));
  LLVMBasicBlockRef made = cg_here(g);
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
  return cg_phi(g, g->t_ptr, (LLVMValueRef[]){r1, r2}, (LLVMBasicBlockRef[]){hit, made}, 2);
}

static LLVMValueRef cg_once(Cg *g, LLVMValueRef (*build)(Cg *, const IrExpr *, int32_t, int32_t),
                            const IrExpr *e, int32_t from, int32_t to) {
  return cg_once_in(g, cg_once_global(g), build, e, from, to);
}

/* rt_str of playc.once_str's own parameters (bytes, length). */
static LLVMValueRef cg_str_of_params(Cg *g, const IrExpr *e, int32_t from, int32_t to) {
  (void)e, (void)from, (void)to;
  return CG_CALL(g, CG_rt_str, LLVMGetParam(g->fn, 1), LLVMGetParam(g->fn, 2));
}

/* playc.once_str(gv, bytes, len): the constant string in gv (cg_once_in). */
static LLVMValueRef cg_once_str_fn(Cg *g) {
  if (g->once_str_fn)
    return g->once_str_fn;
  void *saved[2];
  LLVMValueRef fn = cg_helper_begin(g, "playc.once_str", (LLVMTypeRef[]){g->t_ptr, g->t_ptr, g->t_i64}, 3, saved);
  LLVMBuildRet(g->b, cg_once_in(g, LLVMGetParam(fn, 0), cg_str_of_params, NULL, 0, 0));
  cg_helper_end(g, saved);
  return g->once_str_fn = fn;
}

static LLVMValueRef cg_const(Cg *g, const IrExpr *e) {
  if (e->type == TY_STR) {
    LLVMValueRef fn = cg_once_str_fn(g);
    LLVMValueRef args[] = {cg_once_global(g), cg_bytes(g, e->s, e->slen), cg_i64(g, e->s ? (int64_t)e->slen : 0)};
    return cg_call_helper(g, fn, args, 3);
  }
  if (e->type == TY_INT) /* past 64 bits: the digits, read at run time */
    return CG_CALL(g, CG_rt_int_text, cg_bytes(g, e->s, e->slen), cg_i64(g, (int64_t)e->slen));
  return cg_call0(g, CG_rt_none);
}

static LLVMValueRef cg_list_item(Cg *g, const IrExpr *e, int32_t i, LLVMValueRef l) {
  CG_CALL(g, CG_rt_list_push, l, cg_expr(g, e->kids[i]));
  return l;
}

static LLVMValueRef cg_list(Cg *g, const IrExpr *e) {
  LLVMValueRef l = cg_kids(g, e, 0, CG_CALL(g, CG_rt_list_new, cg_i64(g, e->nkids)), cg_list_item);
  return e->b ? CG_CALL(g, CG_rt_list_tuple, l) : l; /* (a, b) */
}

/* A dict key put as bytes (rt_dict_put) is a string constant; keys of
 * other kinds (`{1: 'a'}` keeps an int key, as Python's dict) go through
 * rt_dict_put_value. */
static bool cg_dict_key(const IrExpr *k, char *buf, size_t cap, const char **s, size_t *len) {
  (void)buf, (void)cap;
  if (k->op == IR_CONST && k->type == TY_STR) {
    *s = k->s ? k->s : "";
    *len = k->s ? k->slen : 0;
    return true;
  }
  return false;
}

/* One entry k: v of a dict whose keys are all constants. */
static LLVMValueRef cg_dict_entry(Cg *g, const IrExpr *e, int32_t i, LLVMValueRef d) {
  char buf[32];
  const char *key;
  size_t len;
  if (i % 2)
    return d; /* values go with their keys */
  PC_ASSERT(cg_dict_key(e->kids[i], buf, sizeof buf, &key, &len));
  LLVMValueRef v = cg_expr(g, e->kids[i + 1]);
  CG_CALL(g, CG_rt_dict_put, d, cg_bytes(g, key, len), cg_i64(g, (int64_t)len), v);
  return d;
}

/* One entry of a dict with a key computed at run time: every entry goes
 * through rt_dict_put_value, which turns the dict into the first error (the
 * key's own, or an unhashable list or dict key) and keeps it. */
static LLVMValueRef cg_dict_entry_value(Cg *g, const IrExpr *e, int32_t i, LLVMValueRef d) {
  if (i % 2)
    return d;
  LLVMValueRef k = cg_expr(g, e->kids[i]);
  LLVMValueRef v = cg_expr(g, e->kids[i + 1]);
  d = CG_CALL(g, CG_rt_dict_put_value, d, k, v);
  cg_decref(g, k);
  return d;
}

/* {k: v, ...}: constant keys are put as bytes; with any key computed at run
 * time (`{x: 1}`, `{[1]: 2}`), every key is evaluated and put as a value. */
static LLVMValueRef cg_dict(Cg *g, const IrExpr *e) {
  bool constant = true;
  for (int32_t i = 0; i + 1 < e->nkids; i += 2) {
    char buf[32];
    const char *key;
    size_t len;
    constant &= cg_dict_key(e->kids[i], buf, sizeof buf, &key, &len);
  }
  LLVMValueRef d = CG_CALL(g, CG_rt_dict_new, cg_i64(g, e->nkids / 2));
  return cg_kids(g, e, 0, d, constant ? cg_dict_entry : cg_dict_entry_value);
}

static LLVMValueRef cg_var(Cg *g, const IrExpr *e) {
  if (e->b) /* no variable in sight (lower.c) */
    return CG_CALL(g, CG_rt_var_undefined, cg_cstr(g, e->name), cg_loc(g, e->loc));
  return CG_CALL(g, CG_rt_var, g->host, cg_cstr(g, e->name), cg_loc(g, e->loc));
}

/* A private i32 global, 0 at start: one site's position hint for
 * rt_dict_get_at (rt_local_attr and the like). */
static LLVMValueRef cg_attr_hint(Cg *g) {
  LLVMValueRef gv = LLVMAddGlobal(g->mod, g->t_i32, "attr.hint");
  LLVMSetInitializer(gv, LLVMConstInt(g->t_i32, 0, false));
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetAlignment(gv, 4);
  return gv;
}

/* name's length, a constant (attribute names hold no NUL). */
static LLVMValueRef cg_name_len(Cg *g, const char *name) {
  return cg_i64(g, name ? (int64_t)strlen(name) : 0);
}

/* The index of `loop`'s field `name` in runtime/playc.h's RT_FOR_FIELD
 * list (index ... last), or -1. */
static int32_t cg_loop_field(const char *name) {
  static const char *const fields[] = {"index", "index0", "revindex", "revindex0", "length",
                                       "depth", "depth0", "first", "last"};
  for (int32_t k = 0; name && k < (int32_t)(sizeof fields / sizeof *fields); k++)
    if (!strcmp(name, fields[k]))
      return k;
  return -1;
}

/* Whether `e` is loop.FIELD of an enclosing for whose fields are unboxed
 * (cg_for_unboxed); *k gets the loop's place in g->loops, *field the field. */
static bool cg_is_loop_field(const Cg *g, const IrExpr *e, int32_t *k, int32_t *field) {
  if (e->op != IR_GETATTR || e->kids[0]->op != IR_LOCAL || (*field = cg_loop_field(e->name)) < 0)
    return false;
  for (*k = g->nloops - 1; *k >= 0; (*k)--)
    if (g->loops[*k].slot == ir_xr(e->kids[0])->slot)
      return true;
  return false;
}

/* Field `field` of the unboxed loop k: an i64 (the ints) or an i1 (first, last). */
static LLVMValueRef cg_loop_field_raw(Cg *g, int32_t k, int32_t field) {
  LLVMValueRef i = g->loops[k].i, n = g->loops[k].n, one = cg_i64(g, 1);
  switch (field) {
  case 0: return LLVMBuildAdd(g->b, i, one, "");                                  /* index */
  case 1: return i;                                                               /* index0 */
  case 2: return LLVMBuildSub(g->b, n, i, "");                                    /* revindex */
  case 3: return LLVMBuildSub(g->b, LLVMBuildSub(g->b, n, i, ""), one, "");       /* revindex0 */
  case 4: return n;                                                               /* length */
  case 5: return one;                                                             /* depth (not recursive) */
  case 6: return cg_i64(g, 0);                                                    /* depth0 */
  case 7: return LLVMBuildICmp(g->b, LLVMIntEQ, i, cg_i64(g, 0), "");             /* first */
  default: return LLVMBuildICmp(g->b, LLVMIntEQ, LLVMBuildAdd(g->b, i, one, ""), n, ""); /* last */
  }
}

/* The same as a value (new reference). */
static LLVMValueRef cg_loop_field_value(Cg *g, int32_t k, int32_t field) {
  LLVMValueRef x = cg_loop_field_raw(g, k, field);
  return field >= 7 ? CG_CALL(g, CG_rt_bool, x) : CG_CALL(g, CG_rt_int, x);
}

/* local.name: rt_local_attr reads the slot without a reference of its
 * own; while the slot is unset, getattr of what the name means outside. */
static LLVMValueRef cg_local_attr(Cg *g, const IrExpr *e) {
  const IrExpr *local = e->kids[0];
  int32_t k, field;
  if (cg_is_loop_field(g, e, &k, &field))
    return cg_loop_field_value(g, k, field);
  LLVMValueRef loc = cg_loc(g, e->loc), name = cg_cstr(g, e->name);
  LLVMValueRef v = CG_CALL(g, CG_rt_local_attr, g->host, cg_i32(g, ir_xr(local)->slot), name, cg_name_len(g, e->name),
                           cg_attr_hint(g), loc);
  LLVMBasicBlockRef set = cg_here(g), unset = cg_block(g, "lattr.unset"), join = cg_block(g, "lattr.join");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, v, ""), unset, join);
  cg_at(g, unset);
  LLVMValueRef outer = cg_expr(g, local->kids[0]);
  LLVMValueRef r = CG_CALL(g, CG_rt_getattr, outer, name, loc);
  cg_decref(g, outer);
  LLVMBasicBlockRef unset_end = cg_here(g);
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
  return cg_phi(g, g->t_ptr, (LLVMValueRef[]){v, r}, (LLVMBasicBlockRef[]){set, unset_end}, 2);
}

/* An operand that may be borrowed: `owned` an i1, true when v is the
 * operand's own reference (to drop), false when v is borrowed; NULL when v
 * is always owned. */
typedef struct CgBorrow {
  LLVMValueRef v, owned;
} CgBorrow;

/* Whether e's operand `k` may be borrowed (cg_operand): every other
 * operand is a constant, so nothing evaluated between the read and e's
 * use of it can change a local. */
static bool cg_others_const(const IrExpr *e, int32_t k) {
  for (int32_t i = 0; i < e->nkids; i++)
    if (i != k && e->kids[i]->op != IR_CONST)
      return false;
  return true;
}

/* `e`, borrowed when it is x.name of a local dict holding the key
 * (rt_local_attr_peek: no reference taken or dropped), else as cg_expr
 * makes it. Only for operands a runtime call reads and does not keep,
 * with nothing evaluated between (cg_others_const). */
static CgBorrow cg_operand(Cg *g, const IrExpr *e) {
  int32_t k, field;
  if (!(e->op == IR_GETATTR && e->kids[0]->op == IR_LOCAL) || cg_is_call(g, e) || cg_is_loop_field(g, e, &k, &field))
    return (CgBorrow){cg_expr(g, e), NULL};
  LLVMValueRef p = CG_CALL(g, CG_rt_local_attr_peek, g->host, cg_i32(g, ir_xr(e->kids[0])->slot), cg_cstr(g, e->name),
                           cg_name_len(g, e->name), cg_attr_hint(g));
  LLVMBasicBlockRef hit = cg_here(g), miss = cg_block(g, "peek.miss"), join = cg_block(g, "peek.join");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, p, ""), miss, join);
  cg_at(g, miss);
  LLVMValueRef v = cg_local_attr(g, e);
  LLVMBasicBlockRef miss_end = cg_here(g);
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
  LLVMValueRef r = cg_phi(g, g->t_ptr, (LLVMValueRef[]){p, v}, (LLVMBasicBlockRef[]){hit, miss_end}, 2);
  LLVMValueRef owned = cg_phi(g, LLVMInt1TypeInContext(g->ctx), (LLVMValueRef[]){LLVMConstInt(LLVMInt1TypeInContext(g->ctx), 0, false), LLVMConstInt(LLVMInt1TypeInContext(g->ctx), 1, false)},
                              (LLVMBasicBlockRef[]){hit, miss_end}, 2);
  return (CgBorrow){r, owned};
}

/* Drops the operand's reference if it has one. */
static void cg_operand_done(Cg *g, CgBorrow o) {
  if (!o.owned) {
    cg_decref(g, o.v);
    return;
  }
  LLVMBasicBlockRef drop = cg_block(g, "own.drop"), join = cg_block(g, "own.join");
  LLVMBuildCondBr(g->b, o.owned, drop, join);
  cg_at(g, drop);
  CG_CALL(g, CG_rt_decref, o.v);
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
}

/* getattr, neg, not: one operand. */
static LLVMValueRef cg_unary(Cg *g, const IrExpr *e) {
  if (e->op == IR_GETATTR && e->kids[0]->op == IR_LOCAL)
    return cg_local_attr(g, e);
  LLVMValueRef a = cg_expr(g, e->kids[0]), r;
  LLVMValueRef loc = cg_loc(g, e->loc);
  if (e->op == IR_GETATTR)
    r = CG_CALL(g, CG_rt_getattr, a, cg_cstr(g, e->name), loc);
  else
    r = CG_CALL(g, e->op == IR_NEG ? CG_rt_neg : CG_rt_not, a, loc);
  cg_decref(g, a);
  return r;
}

/* getitem, binop: two operands. */
/* `hostvars[key]`: the runtime builds that one host's vars (rt_hostvars_item). */
static bool cg_is_hostvars_item(const IrExpr *e) {
  const IrExpr *v = e->kids[0];
  return e->op == IR_GETITEM && v->op == IR_VAR && !v->b && !strcmp(v->name, "hostvars");
}

static LLVMValueRef cg_binary(Cg *g, const IrExpr *e) {
  if (cg_is_hostvars_item(e)) {
    LLVMValueRef key = cg_expr(g, e->kids[1]);
    LLVMValueRef r = CG_CALL(g, CG_rt_hostvars_item, g->host, key, cg_loc(g, e->loc));
    cg_decref(g, key);
    return r;
  }
  CgBorrow a = cg_others_const(e, 0) ? cg_operand(g, e->kids[0]) : (CgBorrow){cg_expr(g, e->kids[0]), NULL};
  LLVMValueRef b = cg_expr(g, e->kids[1]), r;
  LLVMValueRef loc = cg_loc(g, e->loc);
  if (e->op == IR_GETITEM)
    r = CG_CALL(g, CG_rt_getitem, a.v, b, loc);
  else
    r = CG_CALL(g, CG_rt_binop, cg_i32(g, e->binop), a.v, b, loc);
  cg_operand_done(g, a);
  cg_decref(g, b);
  return r;
}

/* base[start:stop:step]: four operands, evaluated in order. */
static LLVMValueRef cg_slice(Cg *g, const IrExpr *e) {
  LLVMValueRef v[4];
  for (int i = 0; i < 4; i++)
    v[i] = cg_expr(g, e->kids[i]);
  LLVMValueRef r = CG_CALL(g, CG_rt_slice, v[0], v[1], v[2], v[3], cg_loc(g, e->loc));
  for (int i = 0; i < 4; i++)
    cg_decref(g, v[i]);
  return r;
}

static LLVMValueRef cg_arg_list_new(Cg *g, const IrExpr *e, int32_t from, int32_t to) {
  LLVMValueRef l = CG_CALL(g, CG_rt_list_new, cg_i64(g, to - from));
  for (int32_t i = from; i < to; i++)
    CG_CALL(g, CG_rt_list_push, l, cg_expr(g, e->kids[i]));
  return l;
}

/* kids[from..to) as a new list (built once when every one is a constant:
 * `default('/bin/sh')`, `join(' ')`), or NULL (a constant null pointer) when empty. */
static LLVMValueRef cg_arg_list(Cg *g, const IrExpr *e, int32_t from, int32_t to) {
  if (from >= to)
    return NULL;
  bool constant = true;
  for (int32_t i = from; i < to; i++)
    constant = constant && e->kids[i]->op == IR_CONST;
  return constant ? cg_once(g, cg_arg_list_new, e, from, to) : cg_arg_list_new(g, e, from, to);
}

static LLVMValueRef cg_kwargs(Cg *g, const IrExpr *e) {
  if (ir_xr(e)->nkw <= 0)
    return NULL;
  LLVMValueRef d = CG_CALL(g, CG_rt_dict_new, cg_i64(g, ir_xr(e)->nkw));
  for (int32_t i = 0; i < ir_xr(e)->nkw; i++) {
    const char *k = ir_xr(e)->kwnames[i];
    LLVMValueRef v = cg_expr(g, e->kids[e->nkids - ir_xr(e)->nkw + i]);
    CG_CALL(g, CG_rt_dict_put, d, cg_cstr(g, k), cg_i64(g, (int64_t)strlen(k)), v);
  }
  return d;
}

static void cg_decref_opt(Cg *g, LLVMValueRef v) {
  if (v)
    cg_decref(g, v);
}

/* filter, test and method calls: base, then positional args (a list), then keyword
 * args (a dict; a test with keywords calls rt_test_kw). */
static LLVMValueRef cg_call_filter(Cg *g, const IrExpr *e) {
  if (e->op == IR_METHOD && e->b) { /* x.append(1): changes the local x */
    LLVMValueRef args = cg_arg_list(g, e, 1, e->nkids - ir_xr(e)->nkw), kw = cg_kwargs(g, e);
    LLVMValueRef r = CG_CALL(g, CG_rt_local_method, g->host, cg_i32(g, ir_xr(e->kids[0])->slot), cg_cstr(g, e->name),
                             args ? args : cg_null(g), kw ? kw : cg_null(g), cg_loc(g, e->loc));
    cg_decref_opt(g, args);
    cg_decref_opt(g, kw);
    return r;
  }
  bool no_kw = ir_xr(e)->nkw <= 0;
  if (e->op == IR_FILTER && no_kw && e->nkids == 1 && (!strcmp(e->name, "length") || !strcmp(e->name, "count"))) {
    CgBorrow base = cg_operand(g, e->kids[0]); /* no filter table, no argument binding */
    LLVMValueRef r = CG_CALL(g, CG_rt_filter_length, cg_cstr(g, e->name), base.v, cg_loc(g, e->loc));
    cg_operand_done(g, base);
    return r;
  }
  if (e->op == IR_TEST && no_kw && e->nkids == 2 && !strcmp(e->name, "divisibleby") &&
      e->kids[1]->op == IR_CONST && e->kids[1]->type == TY_INT && cg_unboxable(g, e->kids[1])) {
    CgBorrow base = cg_operand(g, e->kids[0]); /* a machine int divisor: no argument list */
    LLVMValueRef r = CG_CALL(g, CG_rt_test_divisibleby, base.v, cg_to_i64(g, cg_scalar(g, e->kids[1])), cg_loc(g, e->loc));
    cg_operand_done(g, base);
    return r;
  }
  bool borrow = (e->op == IR_FILTER || e->op == IR_TEST) && cg_others_const(e, 0);
  CgBorrow base = borrow ? cg_operand(g, e->kids[0]) : (CgBorrow){cg_expr(g, e->kids[0]), NULL};
  LLVMValueRef args = cg_arg_list(g, e, 1, e->nkids - ir_xr(e)->nkw);
  LLVMValueRef kw = cg_kwargs(g, e);
  LLVMValueRef name = cg_cstr(g, e->name), loc = cg_loc(g, e->loc), r;
  if (e->op == IR_METHOD)
    r = CG_CALL(g, CG_rt_method, name, base.v, args ? args : cg_null(g), kw ? kw : cg_null(g), loc);
  else if (e->op == IR_FILTER || e->op == IR_CALL) /* a global (range): its first argument is the base */
    r = CG_CALL(g, CG_rt_filter, name, base.v, args ? args : cg_null(g), kw ? kw : cg_null(g), loc);
  else if (kw)
    r = CG_CALL(g, CG_rt_test_kw, name, base.v, args ? args : cg_null(g), kw, loc);
  else
    r = CG_CALL(g, CG_rt_test, name, base.v, args ? args : cg_null(g), loc);
  cg_operand_done(g, base);
  cg_decref_opt(g, args);
  cg_decref_opt(g, kw);
  return r;
}

/* rt_truth(v) as i32 (1, 0, or -1 with the error in the error slot). */
static LLVMValueRef cg_truth(Cg *g, LLVMValueRef v) {
  return CG_CALL(g, CG_rt_truth, v, g->err_slot);
}

/* Operand `k` of an and/or chain being generated. */
typedef LLVMValueRef (*CgOperand)(Cg *g, const IrExpr *e, int32_t k, void *ctx);

/* Jinja `a and b and ...` / `a or b or ...` over `n` operands: yields the
 * operand that decides (not a bool), short-circuit. For each but the last:
 *   t = truth(a); switch t { -1: decref a; err; short: a to join; else: decref a }
 * and the last operand goes to the join as it is. */
static LLVMValueRef cg_andor_chain(Cg *g, bool is_and, int32_t n, CgOperand operand, const IrExpr *e, void *ctx) {
  LLVMBasicBlockRef join = cg_block(g, "andor.join");
  PcVec vals = {0}, bbs = {0};
  for (int32_t i = 0; i + 1 < n; i++) {
    LLVMValueRef a = operand(g, e, i, ctx);
    LLVMValueRef t = cg_truth(g, a);
    LLVMBasicBlockRef err = cg_block(g, "andor.err"), keep = cg_block(g, "andor.keep"),
                      other = cg_block(g, "andor.other"), ok = cg_block(g, "andor.ok");
    /* two branches rather than a switch: the O0 instruction selector
     * (FastISel) takes them, and part functions are compiled at O0 */
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, t, cg_i32(g, 0), ""), err, ok);
    cg_at(g, ok);
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, t, cg_i32(g, is_and ? 0 : 1), ""), keep, other);
    cg_at(g, err);
    cg_decref(g, a);
    pc_vec_push(g->pc, &vals, cg_load(g, g->t_ptr, g->err_slot));
    pc_vec_push(g->pc, &bbs, cg_here(g));
    LLVMBuildBr(g->b, join);
    cg_at(g, keep);
    pc_vec_push(g->pc, &vals, a);
    pc_vec_push(g->pc, &bbs, keep);
    LLVMBuildBr(g->b, join);
    cg_at(g, other);
    cg_decref(g, a);
  }
  pc_vec_push(g->pc, &vals, operand(g, e, n - 1, ctx));
  pc_vec_push(g->pc, &bbs, cg_here(g));
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
  return cg_phi(g, g->t_ptr, (LLVMValueRef *)vals.items, (LLVMBasicBlockRef *)bbs.items, (unsigned)vals.len);
}

/* Operand k: kid from + k (ctx points at from). */
static LLVMValueRef cg_andor_kid(Cg *g, const IrExpr *e, int32_t k, void *ctx) {
  return cg_expr(g, e->kids[*(int32_t *)ctx + k]);
}

/* Operand k: a call to part function k (ctx is the array of them). */
static LLVMValueRef cg_andor_part(Cg *g, const IrExpr *e, int32_t k, void *ctx) {
  (void)e;
  LLVMValueRef fn = ((LLVMValueRef *)ctx)[k];
  return LLVMBuildCall2(g->b, g->t_part_fn, fn, (LLVMValueRef[]){g->host, cg_null(g)}, 2, "");
}

/* An operand costs a switch, three blocks and two phi entries: a chain
 * stays in one function up to this many operands. */
enum { CG_ANDOR_INLINE = 64 };

/* The chain over kids [from, to). Python's and/or are associative (`a and b
 * and c and d` is `(a and b) and (c and d)`), so a long or heavy chain is a
 * chain of at most CG_FANOUT runs, each run's own chain in a part function. */
static LLVMValueRef cg_andor_range(Cg *g, const IrExpr *e, int32_t from, int32_t to) {
  bool is_and = e->op == IR_AND;
  if (to - from <= 1 ||
      (to - from <= CG_ANDOR_INLINE && cg_range_weight(g, e, from, to, CG_PART_WEIGHT) <= CG_PART_WEIGHT))
    return cg_andor_chain(g, is_and, to - from, cg_andor_kid, e, &from);
  int32_t cuts[CG_FANOUT + 1];
  int32_t n = cg_cut(g, e, from, to, cuts);
  if (n == 1) { /* light operands, too many for one function: by count */
    int32_t per = (to - from + CG_FANOUT - 1) / CG_FANOUT;
    for (int32_t i = from + per; i < to; i += per)
      cuts[n++] = i;
    cuts[n] = to;
  }
  LLVMValueRef parts[CG_FANOUT];
  for (int32_t k = 0; k < n; k++) {
    LLVMValueRef unused;
    CgFnState st = cg_part_begin(g, &parts[k], &unused);
    cg_part_finish(g, st, cg_andor_range(g, e, cuts[k], cuts[k + 1]));
  }
  return cg_andor_chain(g, is_and, n, cg_andor_part, e, parts);
}

static LLVMValueRef cg_andor(Cg *g, const IrExpr *e) { return cg_andor_range(g, e, 0, e->nkids); }

/* The condition of an inline if as an i32 truth value (1, 0, -1 = error in the
 * error slot); typed conditions need no runtime call. */
static LLVMValueRef cg_if_truth(Cg *g, const IrExpr *c) {
  if (cg_unboxable(g, c))
    return LLVMBuildZExt(g->b, cg_scalar_truth(g, cg_scalar(g, c)), g->t_i32, "");
  LLVMValueRef v = cg_expr(g, c);
  LLVMValueRef t = cg_truth(g, v);
  cg_decref(g, v);
  return t;
}

/* Jinja `b if c else d`. */
static LLVMValueRef cg_if(Cg *g, const IrExpr *e) {
  LLVMValueRef t = cg_if_truth(g, e->kids[0]);
  LLVMBasicBlockRef err = cg_block(g, "if.err"), yes = cg_block(g, "if.then"),
                    no = cg_block(g, "if.else"), join = cg_block(g, "if.join");
  LLVMValueRef sw = LLVMBuildSwitch(g->b, t, err, 2);
  LLVMAddCase(sw, cg_i32(g, 1), yes);
  LLVMAddCase(sw, cg_i32(g, 0), no);
  LLVMValueRef vals[3];
  LLVMBasicBlockRef bbs[3];
  cg_at(g, err);
  vals[0] = cg_load(g, g->t_ptr, g->err_slot);
  bbs[0] = err;
  LLVMBuildBr(g->b, join);
  for (int i = 1; i <= 2; i++) {
    cg_at(g, i == 1 ? yes : no);
    vals[i] = cg_expr(g, e->kids[i]);
    bbs[i] = cg_here(g);
    LLVMBuildBr(g->b, join);
  }
  cg_at(g, join);
  return cg_phi(g, g->t_ptr, vals, bbs, 3);
}

static void cg_stmt(Cg *g, const IrExpr *e, LLVMValueRef buf);

/* Template statements: written into the buffer, no value. */
static bool cg_is_stmt(const IrExpr *e) {
  return e->op == IR_SEQ || e->op == IR_STMT_IF || e->op == IR_FOR || e->op == IR_SET || e->op == IR_SETATTR;
}

/* The filters rt_tpl_filter prints straight into the text, with the
 * positional arguments each takes there (none by keyword). */
static const struct {
  const char *name;
  int32_t which, min, max;
} cg_tpl_filters[] = {{"upper", RT_TPLF_UPPER, 0, 0},     {"lower", RT_TPLF_LOWER, 0, 0},
                      {"join", RT_TPLF_JOIN, 0, 1},       {"replace", RT_TPLF_REPLACE, 2, 2},
                      {"default", RT_TPLF_DEFAULT, 1, 1}, {"d", RT_TPLF_DEFAULT, 1, 1}};

/* {{ u.name | default('c') }} of a local u and a constant: the default
 * printed by rt_tpl_local_attr_default, no undefined value built for a
 * missing key; while u is unset, as any filter (the code after). */
static bool cg_tpl_local_attr_default(Cg *g, const IrExpr *k, int32_t which, LLVMValueRef buf) {
  const IrExpr *a = k->kids[0];
  if (which != RT_TPLF_DEFAULT || k->nkids != 2 || k->kids[1]->op != IR_CONST || a->op != IR_GETATTR ||
      a->kids[0]->op != IR_LOCAL || cg_unboxable(g, a))
    return false;
  LLVMValueRef dflt = cg_expr(g, k->kids[1]);
  LLVMValueRef done = CG_CALL(g, CG_rt_tpl_local_attr_default, buf, g->host, cg_i32(g, ir_xr(a->kids[0])->slot),
                              cg_cstr(g, a->name), cg_name_len(g, a->name), cg_attr_hint(g), cg_cstr(g, k->name),
                              dflt, cg_loc(g, k->loc));
  LLVMBasicBlockRef slow = cg_block(g, "dattr.unset"), join = cg_block(g, "dattr.join");
  LLVMBuildCondBr(g->b, done, join, slow);
  cg_at(g, slow);
  LLVMValueRef v = cg_expr(g, a);
  CG_CALL(g, CG_rt_tpl_filter, buf, cg_i32(g, which), cg_cstr(g, k->name), v, dflt, cg_null(g),
          cg_loc(g, k->loc));
  cg_decref(g, v);
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
  cg_decref(g, dflt);
  return true;
}

/* {{ x | upper }} and the like printed: rt_tpl_filter, no result string
 * between (its fast paths); false when `k` is not such a filter call. */
static bool cg_tpl_filter(Cg *g, const IrExpr *k, LLVMValueRef buf) {
  if (k->op != IR_FILTER || ir_xr(k)->nkw != 0 || ir_xr(k)->unsupported)
    return false;
  int32_t npos = k->nkids - 1;
  for (size_t i = 0; i < sizeof cg_tpl_filters / sizeof *cg_tpl_filters; i++) {
    if (strcmp(k->name, cg_tpl_filters[i].name) != 0)
      continue;
    if (npos < cg_tpl_filters[i].min || npos > cg_tpl_filters[i].max)
      return false;
    if (cg_tpl_local_attr_default(g, k, cg_tpl_filters[i].which, buf))
      return true;
    LLVMValueRef v[3] = {NULL, NULL, NULL};
    CgBorrow base = cg_others_const(k, 0) ? cg_operand(g, k->kids[0]) : (CgBorrow){cg_expr(g, k->kids[0]), NULL};
    v[0] = base.v;
    for (int32_t j = 1; j <= npos; j++)
      v[j] = cg_expr(g, k->kids[j]);
    CG_CALL(g, CG_rt_tpl_filter, buf, cg_i32(g, cg_tpl_filters[i].which), cg_cstr(g, k->name), v[0],
            v[1] ? v[1] : cg_null(g), v[2] ? v[2] : cg_null(g), cg_loc(g, k->loc));
    cg_operand_done(g, base);
    for (int32_t j = 1; j <= npos; j++)
      cg_decref(g, v[j]);
    return true;
  }
  return false;
}

/* A byte pointer `off` bytes past p. */
static LLVMValueRef cg_byte_at(Cg *g, LLVMValueRef p, LLVMValueRef off) {
  return LLVMBuildGEP2(g->b, g->t_i8, p, &off, 1, "");
}

/* rt_tpl_text(buf, s, n) of a constant text, in place while it fits: the
 * buffer's RtTplText head (playc.h) is read, the bytes and the NUL stored,
 * len advanced; the call only when the text must grow. */
static void cg_tpl_text(Cg *g, LLVMValueRef buf, const char *s, size_t n) {
  LLVMValueRef bytes = cg_bytes(g, s, n), size = cg_i64(g, (int64_t)n);
  if (n == 0) {
    CG_CALL(g, CG_rt_tpl_text, buf, bytes, size);
    return;
  }
  LLVMValueRef lenp = cg_byte_at(g, buf, cg_i64(g, (int64_t)offsetof(RtTplText, len)));
  LLVMValueRef capp = cg_byte_at(g, buf, cg_i64(g, (int64_t)offsetof(RtTplText, cap)));
  LLVMValueRef len = cg_load(g, g->t_i64, lenp), cap = cg_load(g, g->t_i64, capp);
  LLVMValueRef end = LLVMBuildAdd(g->b, len, size, "");
  LLVMBasicBlockRef fast = cg_block(g, "text.fits"), slow = cg_block(g, "text.grow"), join = cg_block(g, "text.join");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntULT, end, cap, ""), fast, slow); /* end + 1 <= cap */
  cg_at(g, fast);
  LLVMValueRef data = cg_load(g, g->t_ptr, cg_byte_at(g, buf, cg_i64(g, (int64_t)offsetof(RtTplText, data))));
  LLVMBuildMemCpy(g->b, cg_byte_at(g, data, len), 1, bytes, 1, size);
  LLVMBuildStore(g->b, cg_i8(g, 0), cg_byte_at(g, data, end));
  LLVMBuildStore(g->b, end, lenp);
  LLVMBuildBr(g->b, join);
  cg_at(g, slow);
  CG_CALL(g, CG_rt_tpl_text, buf, bytes, size);
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
}

/* One part of a template: text as it is, a value rendered (None as ""), a statement. */
static LLVMValueRef cg_template_part(Cg *g, const IrExpr *e, int32_t i, LLVMValueRef buf) {
  const IrExpr *k = e->kids[i];
  if (k->op == IR_CONST && k->type == TY_STR && !ir_is_ref(k)) {
    cg_tpl_text(g, buf, k->s, k->s ? k->slen : 0);
    return buf;
  }
  if (cg_is_stmt(k)) {
    cg_stmt(g, k, buf);
    return buf;
  }
  if (k->op == IR_CONCAT && e->op != IR_CONCAT && !cg_is_call(g, k)) {
    /* {{ a ~ b }}: the operands written here with str(), no string between
     * (an operand's error is the template's first error either way) */
    cg_kids(g, k, 0, buf, cg_template_part); /* as cg_concat's parts */
    return buf;
  }
  if (k->op == IR_CAPTURE && e->op != IR_CONCAT) { /* {{ macro(...) }}: its body writes here, no string between */
    cg_stmt(g, k->kids[0], buf);
    return buf;
  }
  if (e->op != IR_CONCAT && cg_tpl_filter(g, k, buf))
    return buf;
  int32_t lk, field;
  if (e->op != IR_CONCAT && cg_is_loop_field(g, k, &lk, &field)) { /* {{ loop.index }}: no value made */
    if (field < 7) {
      CG_CALL(g, CG_rt_tpl_int, buf, cg_loop_field_raw(g, lk, field));
    } else {
      LLVMValueRef v = cg_loop_field_value(g, lk, field);
      CG_CALL(g, CG_rt_tpl_value, buf, v);
      cg_decref(g, v);
    }
    return buf;
  }
  if (e->op != IR_CONCAT && k->op == IR_GETATTR && k->kids[0]->op == IR_LOCAL && !cg_unboxable(g, k)) {
    /* {{ u.name }}: printed from the slot's value, no reference taken; unset: as below */
    LLVMValueRef done = CG_CALL(g, CG_rt_tpl_local_attr, buf, g->host, cg_i32(g, ir_xr(k->kids[0])->slot),
                                cg_cstr(g, k->name), cg_name_len(g, k->name), cg_attr_hint(g), cg_loc(g, k->loc));
    LLVMBasicBlockRef slow = cg_block(g, "pattr.unset"), join = cg_block(g, "pattr.join");
    LLVMBuildCondBr(g->b, done, join, slow);
    cg_at(g, slow);
    LLVMValueRef v = cg_expr(g, k);
    CG_CALL(g, CG_rt_tpl_value, buf, v);
    cg_decref(g, v);
    LLVMBuildBr(g->b, join);
    cg_at(g, join);
    return buf;
  }
  LLVMValueRef v = cg_expr(g, k);
  CG_CALL(g, e->op == IR_CONCAT ? CG_rt_tpl_str : CG_rt_tpl_value, buf, v);
  cg_decref(g, v);
  return buf;
}

/* A template; one with statements runs in a frame of its locals. */
static LLVMValueRef cg_template(Cg *g, const IrExpr *e) {
  LLVMValueRef saved = ir_xr(e)->slot_end ? CG_CALL(g, CG_rt_locals_enter, g->host, cg_i32(g, ir_xr(e)->slot_end)) : NULL;
  LLVMValueRef buf = cg_kids(g, e, 0, cg_call0(g, CG_rt_tpl_begin), cg_template_part);
  if (ir_xr(e)->keep_nl)
    CG_CALL(g, CG_rt_tpl_newlines, buf, cg_i32(g, ir_xr(e)->keep_nl));
  LLVMValueRef r = e->op == IR_RENDER ? CG_CALL(g, CG_rt_tpl_end_file, buf, cg_i64(g, e->i), cg_bytes(g, e->s, e->slen),
                                                 cg_i64(g, (int64_t)e->slen))
                                       : CG_CALL(g, CG_rt_tpl_end, buf);
  if (saved)
    CG_CALL(g, CG_rt_locals_leave, g->host, saved);
  return r;
}

/* The error a truth test left in the error slot, recorded in the buffer. */
static void cg_record_error(Cg *g, LLVMValueRef buf) {
  LLVMValueRef err = cg_load(g, g->t_ptr, g->err_slot);
  CG_CALL(g, CG_rt_tpl_value, buf, err);
  cg_decref(g, err);
}

/* {% if c %}a{% else %}b{% endif %}: an error evaluating c is the template's. */
static void cg_stmt_if(Cg *g, const IrExpr *e, LLVMValueRef buf) {
  LLVMValueRef t = cg_if_truth(g, e->kids[0]);
  LLVMBasicBlockRef err = cg_block(g, "sif.err"), yes = cg_block(g, "sif.then"), no = cg_block(g, "sif.else"),
                    join = cg_block(g, "sif.join");
  LLVMValueRef sw = LLVMBuildSwitch(g->b, t, err, 2);
  LLVMAddCase(sw, cg_i32(g, 1), yes);
  LLVMAddCase(sw, cg_i32(g, 0), no);
  cg_at(g, err);
  cg_record_error(g, buf);
  LLVMBuildBr(g->b, join);
  cg_at(g, yes);
  cg_stmt(g, e->kids[1], buf);
  LLVMBuildBr(g->b, join);
  cg_at(g, no);
  cg_stmt(g, e->kids[2], buf);
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
}

/* Binds targets kids[from..] to `v` (borrowed): one name takes it, several
 * unpack it (an error unpacking is the template's). */
static void cg_bind(Cg *g, const IrExpr *e, int32_t from, LLVMValueRef v, LLVMValueRef buf) {
  int32_t n = e->nkids - from;
  if (n == 1 && !e->b) { /* b: the targets are a tuple (lower.c) */
    CG_CALL(g, CG_rt_local_set, g->host, cg_i32(g, ir_xr(e->kids[from])->slot), CG_CALL(g, CG_rt_incref, v));
    return;
  }
  LLVMValueRef items = CG_CALL(g, CG_rt_local_unpack, buf, v, cg_i64(g, n), cg_loc(g, e->loc));
  for (int32_t k = 0; k < n; k++)
    CG_CALL(g, CG_rt_local_set_item, g->host, cg_i32(g, ir_xr(e->kids[from + k])->slot), items, cg_i64(g, k));
  cg_decref(g, items);
}

enum { CG_FOR_TARGETS = 4 }; /* IR_FOR: iterable, inline if, body, else, then the targets */

/* The head of a pass over the items: at `head`, the next item or `done`;
 * leaves the builder in the step, the item bound to the targets. */
static void cg_for_head(Cg *g, const IrExpr *e, LLVMValueRef f, int32_t loop, LLVMBasicBlockRef head,
                        LLVMBasicBlockRef done, LLVMValueRef buf, LLVMValueRef *count) {
  LLVMBasicBlockRef step = cg_block(g, "for.step"), before = cg_here(g);
  LLVMBuildBr(g->b, head);
  cg_at(g, head);
  if (count) { /* the item's index: 0, then one more each time round (cg_for_passes adds the edges back) */
    *count = LLVMBuildPhi(g->b, g->t_i64, "for.i");
    LLVMValueRef zero = cg_i64(g, 0);
    LLVMAddIncoming(*count, &zero, &before, 1);
  }
  bool one = e->nkids - CG_FOR_TARGETS == 1 && !e->b; /* one target: bound by the runtime */
  LLVMValueRef x = one ? CG_CALL(g, CG_rt_for_next_bind, f, cg_i32(g, loop), cg_i32(g, ir_xr(e->kids[CG_FOR_TARGETS])->slot))
                       : CG_CALL(g, CG_rt_for_next, f, cg_i32(g, loop));
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, x, ""), done, step);
  cg_at(g, step);
  if (!one)
    cg_bind(g, e, CG_FOR_TARGETS, x, buf);
}

/* The inline if's pass: binds each item, keeps those whose condition holds. */
static void cg_for_filter(Cg *g, const IrExpr *e, LLVMValueRef f, LLVMValueRef buf) {
  LLVMBasicBlockRef head = cg_block(g, "ffor.head"), keep = cg_block(g, "ffor.keep"), err = cg_block(g, "ffor.err"),
                    done = cg_block(g, "ffor.done");
  cg_for_head(g, e, f, RT_FOR_ITEM, head, done, buf, NULL);
  LLVMValueRef t = cg_if_truth(g, e->kids[1]);
  LLVMValueRef sw = LLVMBuildSwitch(g->b, t, err, 2);
  LLVMAddCase(sw, cg_i32(g, 1), keep);
  LLVMAddCase(sw, cg_i32(g, 0), head);
  cg_at(g, keep);
  CG_CALL(g, CG_rt_for_keep, f);
  LLVMBuildBr(g->b, head);
  cg_at(g, err);
  cg_record_error(g, buf);
  LLVMBuildBr(g->b, head);
  cg_at(g, done);
  CG_CALL(g, CG_rt_for_filtered, f);
}

/* rt_for_next's flags for the body's pass: what of `loop` it reads (lower.c). */
static int32_t cg_for_loop_flags(const IrExpr *e) {
  int32_t flags = RT_FOR_LOOP | (e->loop_adjacent ? RT_FOR_ADJACENT : 0);
  return flags | (e->i < 0 ? RT_FOR_ALL_FIELDS : (int32_t)(e->i << RT_FOR_FIELDS_SHIFT));
}

/* Whether `e` reads the local in `slot` only as loop.FIELD (no loop object
 * needed: cg_for_unboxed), and is generated in the function it is in: no
 * recursive for (a function of its own) and no and/or chain long enough
 * for part functions (the fields are values of the loop's function).
 * `bound` holds the loop slots of the fors `e` is in the body of, inside
 * `slot`'s: such a slot is set for as long as the body runs (a loop object
 * each item, or unread when the inner for is unboxed), so its LOCAL never
 * reads what the name means outside (its kids[0]: for `loop`, the outer
 * loop's LOCAL, which is not a read of the outer loop object). */
static bool cg_fields_only(const IrExpr *e, int32_t slot, const int32_t *bound, int nbound) {
  if (e->op == IR_GETATTR && e->kids[0]->op == IR_LOCAL && ir_xr(e->kids[0])->slot == slot)
    return cg_loop_field(e->name) >= 0;
  if ((e->op == IR_LOCAL || e->op == IR_LOOP_CALL) && ir_xr(e)->slot == slot)
    return false;
  if ((e->op == IR_FOR && e->recursive) || ((e->op == IR_AND || e->op == IR_OR) && e->nkids > CG_ANDOR_INLINE))
    return false;
  if (e->op == IR_LOCAL)
    for (int k = 0; k < nbound; k++)
      if (ir_xr(e)->slot == bound[k])
        return true;
  for (int32_t k = 0; k < e->nkids; k++) {
    int32_t inner[8];
    int n = nbound;
    for (int b = 0; b < nbound; b++)
      inner[b] = bound[b];
    if (e->op == IR_FOR && k == 2 && n < 8 && !e->loop_unread) /* the body, with the for's loop slot set */
      inner[n++] = ir_xr(e)->slot;
    if (!cg_fields_only(e->kids[k], slot, inner, n))
      return false;
  }
  return true;
}

static bool cg_reads_loop_fields_only(const IrExpr *e, int32_t slot) { return cg_fields_only(e, slot, NULL, 0); }

/* Whether the for's body gets `loop`'s fields unboxed, from its own count
 * of items and rt_for_len, instead of a loop object in the slot: a plain
 * (not recursive) for whose body reads `loop` only as index ... last, and
 * light enough to be generated in one function (no part function: cg_expr,
 * cg_kids_range split only what weighs more than CG_PART_WEIGHT). */
static bool cg_for_unboxed(Cg *g, const IrExpr *e) {
  return !e->recursive && !e->loop_unread && !e->loop_adjacent && e->i >= 0 && g->nloops < CG_MAX_LOOPS &&
         cg_weight(g, e->kids[2]) <= CG_PART_WEIGHT && cg_reads_loop_fields_only(e->kids[2], ir_xr(e)->slot);
}

/* The passes of a for over f (from rt_for_begin or rt_for_recurse): the
 * inline if's, the body's, then the else body if the body never ran. */
static void cg_for_passes(Cg *g, const IrExpr *e, LLVMValueRef f, LLVMValueRef buf) {
  const IrExpr *c = e->kids[1];
  if (!(c->op == IR_CONST && c->type == TY_BOOL && c->b))
    cg_for_filter(g, e, f, buf);
  LLVMBasicBlockRef head = cg_block(g, "for.head"), done = cg_block(g, "for.done"), other = cg_block(g, "for.else"),
                    join = cg_block(g, "for.join");
  if (cg_for_unboxed(g, e)) {
    LLVMValueRef n = CG_CALL(g, CG_rt_for_len, f), i;
    cg_for_head(g, e, f, RT_FOR_LOOP, head, done, buf, &i);
    g->loops[g->nloops].slot = ir_xr(e)->slot, g->loops[g->nloops].i = i, g->loops[g->nloops].n = n;
    g->nloops++;
    cg_stmt(g, e->kids[2], buf);
    g->nloops--;
    LLVMValueRef next = LLVMBuildAdd(g->b, i, cg_i64(g, 1), "");
    LLVMBasicBlockRef latch = cg_here(g);
    LLVMAddIncoming(i, &next, &latch, 1);
  } else {
    cg_for_head(g, e, f, cg_for_loop_flags(e), head, done, buf, NULL);
    cg_stmt(g, e->kids[2], buf);
  }
  LLVMBuildBr(g->b, head);
  cg_at(g, done);
  LLVMValueRef ran = CG_CALL(g, CG_rt_for_end, f);
  LLVMBuildCondBr(g->b, ran, join, other); /* cg_call gives C bools as i1 */
  cg_at(g, other);
  cg_stmt(g, e->kids[3], buf);
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
}

/* A recursive for's passes as a function of (host, f), which loop(...) in
 * its body calls again one level deeper (cg_loop_call). */
static LLVMValueRef cg_for_fn(Cg *g, const IrExpr *e) {
  CgFnState st = {g->fn, g->host, g->taskdef, g->err_slot, cg_here(g)};
  LLVMValueRef fn = LLVMAddFunction(g->mod, "tpl_for_recursive", g->t_part_fn);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  cg_begin_fn(g, fn);
  g->taskdef = NULL;
  LLVMValueRef f = LLVMGetParam(fn, 1);
  pc_vec_push(g->pc, &g->rec_fors, (void *)e);
  pc_vec_push(g->pc, &g->rec_fns, fn);
  cg_for_passes(g, e, f, CG_CALL(g, CG_rt_for_buf, f));
  g->rec_fors.len--;
  g->rec_fns.len--;
  cg_part_finish(g, st, cg_null(g));
  return fn;
}

/* {% for t in items if c %}body{% else %}other{% endfor %} (runtime/playc.h's protocol). */
static void cg_for(Cg *g, const IrExpr *e, LLVMValueRef buf) {
  CgBorrow items = cg_operand(g, e->kids[0]); /* rt_for_begin takes its own reference */
  if (ir_xr(e)->slot_aux >= 0) /* loop.changed starts afresh */
    CG_CALL(g, CG_rt_local_set, g->host, cg_i32(g, ir_xr(e)->slot_aux), cg_null(g));
  LLVMValueRef f = CG_CALL(g, CG_rt_for_begin, g->host, buf, items.v, cg_i32(g, ir_xr(e)->slot_first),
                           cg_i32(g, ir_xr(e)->slot_end), cg_i32(g, e->loop_unread || cg_for_unboxed(g, e) ? -1 : ir_xr(e)->slot),
                           cg_loc(g, e->loc));
  cg_operand_done(g, items);
  if (!e->recursive) {
    cg_for_passes(g, e, f, buf);
    return;
  }
  LLVMValueRef fn = cg_for_fn(g, e);
  LLVMBuildCall2(g->b, g->t_part_fn, fn, (LLVMValueRef[]){g->host, f}, 2, "");
}

/* loop(items) in a recursive for's body: its function over them, one level
 * deeper, its own slots saved around the call; the text it writes. */
static LLVMValueRef cg_loop_call(Cg *g, const IrExpr *e) {
  int32_t k = g->rec_fors.len - 1;
  while (k >= 0 && ir_xr(((const IrExpr *)g->rec_fors.items[k]))->slot != ir_xr(e)->slot)
    k--;
  PC_ASSERT(k >= 0);
  const IrExpr *fe = g->rec_fors.items[k];
  LLVMValueRef items = cg_expr(g, e->kids[0]);
  LLVMValueRef buf = cg_call0(g, CG_rt_tpl_begin);
  LLVMValueRef f = CG_CALL(g, CG_rt_for_recurse, g->host, buf, items,
                           cg_i32(g, ir_xr(fe)->slot_aux >= 0 ? ir_xr(fe)->slot_aux : ir_xr(fe)->slot_first), cg_i32(g, ir_xr(fe)->slot_first),
                           cg_i32(g, ir_xr(fe)->slot_end), cg_i32(g, ir_xr(fe)->slot), cg_loc(g, e->loc));
  cg_decref(g, items);
  LLVMBuildCall2(g->b, g->t_part_fn, g->rec_fns.items[k], (LLVMValueRef[]){g->host, f}, 2, "");
  return CG_CALL(g, CG_rt_tpl_end_str, buf);
}

static void cg_stmt(Cg *g, const IrExpr *e, LLVMValueRef buf) {
  switch (e->op) {
  case IR_SEQ: cg_kids(g, e, 0, buf, cg_template_part); return;
  case IR_STMT_IF: cg_stmt_if(g, e, buf); return;
  case IR_FOR: cg_for(g, e, buf); return;
  case IR_SET: {
    LLVMValueRef v = cg_expr(g, e->kids[0]);
    cg_bind(g, e, 1, v, buf);
    cg_decref(g, v);
    return;
  }
  case IR_SETATTR: {
    const IrExpr *ns = e->kids[0];
    LLVMValueRef v = cg_expr(g, e->kids[1]);
    CG_CALL(g, CG_rt_local_setattr, g->host, buf, cg_i32(g, ns->op == IR_LOCAL ? ir_xr(ns)->slot : -1),
            cg_cstr(g, e->name), v, cg_loc(g, e->loc));
    return;
  }
  default: PC_UNREACHABLE();
  }
}

/* A local: its slot's value, or what the name means outside while unset. */
static LLVMValueRef cg_local(Cg *g, const IrExpr *e) {
  LLVMValueRef v = CG_CALL(g, CG_rt_local, g->host, cg_i32(g, ir_xr(e)->slot));
  LLVMBasicBlockRef set = cg_here(g), unset = cg_block(g, "local.unset"), join = cg_block(g, "local.join");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, v, ""), unset, join);
  cg_at(g, unset);
  LLVMValueRef outer = cg_expr(g, e->kids[0]);
  LLVMBasicBlockRef unset_end = cg_here(g);
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
  return cg_phi(g, g->t_ptr, (LLVMValueRef[]){v, outer}, (LLVMBasicBlockRef[]){set, unset_end}, 2);
}

/* A body rendered into a string of its own ({% set x %}, {% filter %}). */
static LLVMValueRef cg_capture(Cg *g, const IrExpr *e) {
  LLVMValueRef buf = cg_call0(g, CG_rt_tpl_begin);
  cg_stmt(g, e->kids[0], buf);
  return CG_CALL(g, CG_rt_tpl_end_str, buf);
}

/* a ~ b ~ c: one buffer, each operand rendered with str(). */
static LLVMValueRef cg_concat(Cg *g, const IrExpr *e) {
  LLVMValueRef buf = cg_kids(g, e, 0, cg_call0(g, CG_rt_tpl_begin), cg_template_part);
  return CG_CALL(g, CG_rt_tpl_end_str, buf);
}

/* "{{ e }}" alone. Ansible returns a bare variable's value as it is ("{{ n }}"
 * with n: 5 is the int 5: Templar's single-variable fast path); any other
 * expression goes through the text conversion ("{{ n + 1 }}" is "6"). */
static LLVMValueRef cg_single(Cg *g, const IrExpr *e) {
  if (e->kids[0]->op == IR_VAR)
    return cg_expr(g, e->kids[0]);
  LLVMValueRef v = cg_expr(g, e->kids[0]);
  LLVMValueRef r = CG_CALL(g, CG_rt_tpl_single, v);
  cg_decref(g, v);
  return r;
}

/* A conditional: a bool value, or the error evaluating it. */
static LLVMValueRef cg_cond(Cg *g, const IrExpr *e) {
  const IrExpr *k = e->kids[0];
  if (cg_unboxable(g, k))
    return CG_CALL(g, CG_rt_bool, cg_scalar_truth(g, cg_scalar(g, k)));
  LLVMValueRef v = cg_expr(g, k);
  LLVMValueRef t = CG_CALL(g, CG_rt_cond, v, g->err_slot);
  cg_decref(g, v);
  LLVMBasicBlockRef err = cg_block(g, "cond.err"), ok = cg_block(g, "cond.ok"),
                    join = cg_block(g, "cond.join");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, t, cg_i32(g, 0), ""), err, ok);
  LLVMValueRef vals[2];
  LLVMBasicBlockRef bbs[2] = {err, ok};
  cg_at(g, err);
  vals[0] = cg_load(g, g->t_ptr, g->err_slot);
  LLVMBuildBr(g->b, join);
  cg_at(g, ok);
  vals[1] = CG_CALL(g, CG_rt_bool, LLVMBuildICmp(g->b, LLVMIntNE, t, cg_i32(g, 0), ""));
  LLVMBuildBr(g->b, join);
  cg_at(g, join);
  return cg_phi(g, g->t_ptr, vals, bbs, 2);
}

/* lookup NAME(terms..., kwargs): a with_<lookup>'s terms are one value; the
 * terms of lookup()/query() (e->b) are the list of its arguments. */
static LLVMValueRef cg_lookup(Cg *g, const IrExpr *e) {
  int32_t npos = e->nkids - ir_xr(e)->nkw;
  LLVMValueRef terms = npos == 1 && !e->b ? cg_expr(g, e->kids[0]) : cg_arg_list(g, e, 0, npos);
  if (!terms)
    terms = CG_CALL(g, CG_rt_list_new, cg_i64(g, 0));
  LLVMValueRef kw = cg_kwargs(g, e);
  LLVMValueRef r = CG_CALL(g, e->b ? CG_rt_lookup_fn : CG_rt_lookup, g->host, cg_cstr(g, e->name), terms, kw ? kw : cg_null(g),
                           cg_loc(g, e->loc));
  cg_decref(g, terms);
  cg_decref_opt(g, kw);
  return r;
}

static LLVMValueRef cg_call_root(Cg *g, const IrExpr *root);

/* Generates `e` as a boxed value: a new reference (maybe an error value);
 * a reference to another root is a call, a heavy sub-expression a part. */
/* A playbook string's template: a TypeError in it becomes the error Ansible's
 * templar raises, which names the template's text (a constant). */
static LLVMValueRef cg_tpl_src(Cg *g, const IrExpr *e, LLVMValueRef v) {
  return e->tpl_src ? CG_CALL(g, CG_rt_tpl_type_error, v, cg_cstr(g, e->tpl_src)) : v;
}

static LLVMValueRef cg_expr(Cg *g, const IrExpr *e) {
  if (cg_is_call(g, e))
    return cg_call_root(g, e);
  if (e != g->cur_root && cg_weight(g, e) > CG_PART_WEIGHT && !cg_unboxable(g, e))
    return cg_outline(g, e);
  return cg_expr_here(g, e);
}

/* Generates `e` in the current function. */
static LLVMValueRef cg_expr_here(Cg *g, const IrExpr *e) {
  if (cg_unboxable(g, e))
    return cg_box(g, cg_scalar(g, e));
  switch (e->op) {
  case IR_CONCAT: return cg_concat(g, e);
  case IR_CONST: return cg_const(g, e);
  case IR_ERROR: return CG_CALL(g, CG_rt_error_value, cg_cstr(g, e->s));
  case IR_VAULT: /* the vault text is static data; the plaintext exists only at run time */
    return CG_CALL(g, CG_rt_vault_value, g->host, cg_bytes(g, e->s, e->slen), cg_i64(g, (int64_t)e->slen));
  case IR_UNSAFE: /* a `!unsafe` string: marked so that nothing templates it */
    return CG_CALL(g, CG_rt_unsafe_str, cg_bytes(g, e->s, e->slen), cg_i64(g, (int64_t)e->slen));
  case IR_LIST: return cg_list(g, e);
  case IR_DICT: return cg_dict(g, e);
  case IR_VAR: return cg_var(g, e);
  case IR_GETATTR: case IR_NEG: case IR_NOT: return cg_unary(g, e);
  case IR_GETITEM: case IR_BINOP: return cg_binary(g, e);
  case IR_SLICE: return cg_slice(g, e);
  case IR_AND: case IR_OR: return cg_andor(g, e);
  case IR_FILTER: case IR_TEST: case IR_METHOD: return cg_call_filter(g, e);
  case IR_IF: return cg_if(g, e);
  case IR_TEMPLATE: case IR_RENDER: return cg_tpl_src(g, e, cg_template(g, e));
  case IR_SINGLE: return cg_tpl_src(g, e, cg_single(g, e));
  case IR_COND: return cg_cond(g, e);
  case IR_LOOKUP: return cg_lookup(g, e);
  case IR_LOCAL: return cg_local(g, e);
  case IR_CAPTURE: return cg_capture(g, e);
  case IR_LOOP_CALL: return cg_loop_call(g, e);
  case IR_LOOP_CHANGED: return CG_CALL(g, CG_rt_loop_changed, g->host, cg_i32(g, ir_xr(e)->slot), cg_expr(g, e->kids[0]));
  case IR_NAMESPACE: return CG_CALL(g, CG_rt_namespace, cg_expr(g, e->kids[0]));
  case IR_SEQ: case IR_STMT_IF: case IR_FOR: case IR_SET: case IR_SETATTR: break; /* cg_stmt */
  case IR_CALL: /* a global function of filters.def; -o refuses other calls (ir_check_build) */
    if (e->name)
      return cg_call_filter(g, e);
    break;
  case IR_NOPS: break;
  }
  PC_UNREACHABLE();
}

static void cg_define_expr_fn(Cg *g, const IrExpr *root) {
  cg_begin_fn(g, g->expr_fns[root->id]);
  g->cur_root = root;
  g->nparts = 0;
  LLVMBuildRet(g->b, cg_expr(g, root));
  g->cur_root = NULL;
}

/* ---- tasks --------------------------------------------------------------------------- */

static LLVMValueRef cg_call_root(Cg *g, const IrExpr *root) {
  LLVMValueRef host = g->host;
  return LLVMBuildCall2(g->b, g->t_expr_fn, g->expr_fns[root->id], &host, 1, "");
}

/* Evaluates condition root `c` as i32 truth (1, 0, or -1: error in the slot). */
static LLVMValueRef cg_step_cond(Cg *g, const IrExpr *c) {
  LLVMValueRef v = cg_call_root(g, c);
  LLVMValueRef t = cg_truth(g, v);
  cg_decref(g, v);
  return t;
}

/* Branches to `done` (after rt_step_error with the error slot) when truth `t`
 * is -1; continues in a new block otherwise. */
static void cg_step_check(Cg *g, LLVMValueRef t, RtPhase phase, LLVMBasicBlockRef done) {
  LLVMBasicBlockRef err = cg_block(g, "step.cond_err"), ok = cg_block(g, "step.cond_ok");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, t, cg_i32(g, 0), ""), err, ok);
  cg_at(g, err);
  CG_CALL(g, CG_rt_step_error, g->host, g->taskdef, cg_i32(g, phase),
          cg_load(g, g->t_ptr, g->err_slot));
  LLVMBuildBr(g->b, done);
  cg_at(g, ok);
}

/* when: false → rt_step_skip and `done`; error → rt_step_error and `done`. */
static void cg_step_when(Cg *g, const IrExpr *when, LLVMBasicBlockRef done) {
  LLVMValueRef t = cg_step_cond(g, when);
  cg_step_check(g, t, RT_PHASE_WHEN, done);
  LLVMBasicBlockRef skip = cg_block(g, "step.skip"), go = cg_block(g, "step.go");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, t, cg_i32(g, 0), ""), skip, go);
  cg_at(g, skip);
  CG_CALL(g, CG_rt_step_skip, g->host, g->taskdef);
  LLVMBuildBr(g->b, done);
  cg_at(g, go);
}

/* changed_when / failed_when: rt_step_set_changed/failed(truth), or the error. */
static void cg_step_flag(Cg *g, const IrExpr *c, CgRtId set, LLVMBasicBlockRef done) {
  LLVMValueRef t = cg_step_cond(g, c);
  cg_step_check(g, t, set == CG_rt_step_set_changed ? RT_PHASE_CHANGED_WHEN : RT_PHASE_FAILED_WHEN,
                done);
  CG_CALL(g, set, g->host, LLVMBuildICmp(g->b, LLVMIntNE, t, cg_i32(g, 0), ""));
}

/* One step (the task, or one loop item): when, args, then the attempts: run,
 * changed_when, failed_when, and with `until` the condition that decides
 * whether to run again (rt_step_until sleeps and counts). Every recorded
 * step is closed by rt_step_end, then `next`. */
static void cg_task_step(Cg *g, const IrTask *t, LLVMBasicBlockRef next, LLVMBasicBlockRef abort) {
  LLVMBasicBlockRef done = cg_block(g, "step.end");
  if (t->when)
    cg_step_when(g, t->when, done);
  LLVMValueRef args = t->args ? cg_call_root(g, t->args) : CG_CALL(g, CG_rt_dict_new, cg_i64(g, 0));
  LLVMBasicBlockRef err = cg_block(g, "args.err"), attempt = cg_block(g, "step.attempt"),
                    ran = cg_block(g, "step.ran"), out = cg_block(g, "step.out"),
                    lost = cg_block(g, "step.lost");
  LLVMBuildCondBr(g->b, CG_CALL(g, CG_rt_is_error, args), err, attempt);
  cg_at(g, err);
  CG_CALL(g, CG_rt_step_error, g->host, g->taskdef, cg_i32(g, RT_PHASE_ARGS), args);
  LLVMBuildBr(g->b, done);
  cg_at(g, attempt);
  LLVMBuildCondBr(g->b, CG_CALL(g, CG_rt_step_run, g->host, g->taskdef, CG_CALL(g, CG_rt_incref, args)), ran,
                  lost);
  cg_at(g, lost);
  cg_decref(g, args);
  LLVMBuildBr(g->b, abort);
  cg_at(g, ran);
  if (t->changed_when)
    cg_step_flag(g, t->changed_when, CG_rt_step_set_changed, out);
  if (t->failed_when)
    cg_step_flag(g, t->failed_when, CG_rt_step_set_failed, out);
  if (t->until) {
    LLVMValueRef u = cg_step_cond(g, t->until);
    LLVMBuildCondBr(g->b, CG_CALL(g, CG_rt_step_until, g->host, g->taskdef, u), attempt, out);
  } else {
    LLVMBuildBr(g->b, out);
  }
  cg_at(g, out);
  cg_decref(g, args);
  LLVMBuildBr(g->b, done);
  cg_at(g, done);
  LLVMBuildCondBr(g->b, CG_CALL(g, CG_rt_step_end, g->host, g->taskdef), next, abort);
}

/* items = expr_loop(h); n = rt_loop_begin; for (i = 0; i < n; i++) { bind; step } */
static void cg_task_loop(Cg *g, const IrTask *t, LLVMBasicBlockRef finish) {
  LLVMValueRef items = cg_call_root(g, t->loop);
  LLVMBasicBlockRef err = cg_block(g, "loop.err"), begin = cg_block(g, "loop.begin"),
                    head = cg_block(g, "loop.head"), body = cg_block(g, "loop.body"),
                    latch = cg_block(g, "loop.next"), out = cg_block(g, "loop.done");
  LLVMBuildCondBr(g->b, CG_CALL(g, CG_rt_is_error, items), err, begin);
  cg_at(g, err);
  CG_CALL(g, CG_rt_step_error, g->host, g->taskdef, cg_i32(g, RT_PHASE_LOOP), items);
  LLVMBuildBr(g->b, finish);
  cg_at(g, begin);
  LLVMValueRef n = CG_CALL(g, CG_rt_loop_begin, g->host, g->taskdef, items);
  LLVMBuildBr(g->b, head);
  cg_at(g, head);
  LLVMValueRef i = LLVMBuildPhi(g->b, g->t_i64, "i");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, i, n, ""), body, out);
  cg_at(g, body);
  CG_CALL(g, CG_rt_loop_bind, g->host, i);
  cg_task_step(g, t, latch, out);
  cg_at(g, latch);
  LLVMValueRef i1 = LLVMBuildAdd(g->b, i, cg_i64(g, 1), "");
  LLVMBuildBr(g->b, head);
  LLVMAddIncoming(i, (LLVMValueRef[]){cg_i64(g, 0), i1}, (LLVMBasicBlockRef[]){begin, latch}, 2);
  cg_at(g, out);
  cg_decref(g, items);
  LLVMBuildBr(g->b, finish);
}

/* i32 task_<id>(ptr host, ptr taskdef): see playc.h's "task steps". The
 * function depends only on the task's roots, so the copies of a task reached
 * through aliases (same args root) share the first one's. */
static LLVMValueRef cg_define_task(Cg *g, const IrTask *t) {
  LLVMValueRef known = pc_map_get_ptr(&g->task_fns, t->args);
  if (known)
    return known;
  LLVMValueRef fn = cg_fn_name(g, "task", t->id, g->t_task_fn);
  pc_map_put_ptr(g->pc, &g->task_fns, t->args, fn);
  cg_begin_fn(g, fn);
  LLVMBasicBlockRef finish = cg_block(g, "finish");
  if (t->loop)
    cg_task_loop(g, t, finish);
  else
    cg_task_step(g, t, finish, finish);
  cg_at(g, finish);
  LLVMBuildRet(g->b, CG_CALL(g, CG_rt_task_finish, g->host, g->taskdef));
  return fn;
}

/* ---- static data: the program tables ---------------------------------------------------- */

static LLVMValueRef cg_src(Cg *g, const IrExpr *root) {
  return root && root->src ? cg_cstr(g, root->src) : cg_null(g);
}

static LLVMValueRef cg_fnref(Cg *g, const IrExpr *root) { return root ? g->expr_fns[root->id] : cg_null(g); }

/* A private constant array of `n` elements of type `t`, or null when empty. */
static LLVMValueRef cg_table(Cg *g, LLVMTypeRef t, LLVMValueRef *elems, int32_t n, const char *name) {
  if (n == 0)
    return cg_null(g);
  return cg_global(g, LLVMConstArray2(t, elems, (uint64_t)n), name);
}

/* A NULL-terminated array of strings, or null for NULL. */
static LLVMValueRef cg_strs(Cg *g, const char *const *l) {
  if (!l)
    return cg_null(g);
  int n = 0;
  while (l[n])
    n++;
  LLVMValueRef *e = calloc((size_t)n + 1, sizeof *e);
  PC_ASSERT(e);
  for (int i = 0; i < n; i++)
    e[i] = cg_cstr(g, l[i]);
  e[n] = cg_null(g);
  LLVMValueRef r = cg_global(g, LLVMConstArray2(g->t_ptr, e, (uint64_t)n + 1), "strs");
  free(e);
  return r;
}

/* A task's file search roots: consecutive tasks share one array. */
static LLVMValueRef cg_roots(Cg *g, const char *const *roots) {
  if (roots != g->last_roots || !g->last_roots_v) {
    g->last_roots = roots;
    g->last_roots_v = cg_strs(g, roots);
  }
  return g->last_roots_v;
}

/* The globals of every task, block, frame and include are declared first and
 * defined after, since they point at each other. */
static LLVMValueRef cg_decl(Cg *g, LLVMTypeRef t, const char *prefix, int32_t id) {
  char name[48];
  snprintf(name, sizeof name, "%s.%d", prefix, (int)id);
  LLVMValueRef gv = LLVMAddGlobal(g->mod, t, name);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetGlobalConstant(gv, true);
  return gv;
}

/* The RtVarDef array of a frame's vars (shared by frames with the same
 * vars), each eager var with a mutable cache slot. */
static LLVMValueRef cg_vardefs(Cg *g, const IrVar *vars, int32_t n) {
  if (n == 0)
    return cg_null(g);
  for (int i = 0; i < g->nvarsets; i++)
    if (g->varsets[i].vars == vars)
      return g->varsets[i].gv;
  LLVMValueRef *defs = calloc((size_t)n, sizeof *defs);
  PC_ASSERT(defs);
  for (int32_t i = 0; i < n; i++) {
    const IrVar *v = &vars[i];
    LLVMValueRef cache = cg_null(g);
    if (!v->lazy) {
      cache = LLVMAddGlobal(g->mod, g->t_ptr, "varcache");
      LLVMSetInitializer(cache, cg_null(g));
      LLVMSetLinkage(cache, LLVMPrivateLinkage);
    }
    LLVMValueRef f[4] = {cg_cstr(g, v->name), g->expr_fns[v->value->id], cg_i8(g, v->lazy), cache};
    defs[i] = LLVMConstNamedStruct(g->t_vardef, f, 4);
  }
  LLVMValueRef gv = cg_table(g, g->t_vardef, defs, n, "vars");
  free(defs);
  g->varsets = realloc(g->varsets, sizeof *g->varsets * (size_t)(g->nvarsets + 1));
  PC_ASSERT(g->varsets);
  g->varsets[g->nvarsets].vars = vars;
  g->varsets[g->nvarsets++].gv = gv;
  return gv;
}

static LLVMValueRef cg_scope_ref(Cg *g, const IrScope *sc) { return sc ? g->scope_gvs[sc->id] : cg_null(g); }

static void cg_scopes(Cg *g) {
  const IrProgram *p = g->p;
  for (int32_t i = 0; i < p->nscopes; i++)
    g->scope_gvs[i] = cg_decl(g, g->t_scope, "scope", i);
  for (int32_t i = 0; i < p->nscopes; i++) {
    const IrScope *sc = p->scopes[i];
    bool vault = sc->vault_text != NULL; /* an encrypted vars file: its vault text, as it is */
    LLVMValueRef f[8] = {cg_i32(g, sc->level),
                         cg_vardefs(g, sc->vars, sc->nvars),
                         cg_i32(g, sc->nvars),
                         cg_scope_ref(g, sc->next),
                         cg_i32(g, sc->public_role),
                         vault ? cg_bytes(g, sc->vault_text, sc->vault_len) : cg_null(g),
                         cg_i64(g, vault ? (int64_t)sc->vault_len : 0),
                         cg_cstr_or_null(g, sc->vault_file)};
    LLVMSetInitializer(g->scope_gvs[i], LLVMConstNamedStruct(g->t_scope, f, 8));
  }
}

static LLVMValueRef cg_task_ref(Cg *g, const IrTask *t) {
  return LLVMConstGEP2(g->t_taskdef, g->tasks_gv, (LLVMValueRef[]){cg_i32(g, t->id)}, 1);
}

/* An array of pointers to tasks. */
static LLVMValueRef cg_task_ptrs(Cg *g, IrTask *const *l, int32_t n) {
  if (n == 0)
    return cg_null(g);
  LLVMValueRef *e = calloc((size_t)n, sizeof *e);
  PC_ASSERT(e);
  for (int32_t i = 0; i < n; i++)
    e[i] = cg_task_ref(g, l[i]);
  LLVMValueRef r = cg_table(g, g->t_ptr, e, n, "taskptrs");
  free(e);
  return r;
}

static LLVMValueRef cg_items(Cg *g, const IrList *l) {
  if (l->n == 0)
    return cg_null(g);
  LLVMValueRef *e = calloc((size_t)l->n, sizeof *e);
  PC_ASSERT(e);
  for (int32_t i = 0; i < l->n; i++) {
    LLVMValueRef f[2] = {l->items[i].task ? cg_task_ref(g, l->items[i].task) : cg_null(g),
                         l->items[i].block ? g->block_gvs[l->items[i].block->id] : cg_null(g)};
    e[i] = LLVMConstNamedStruct(g->t_itemdef, f, 2);
  }
  LLVMValueRef r = cg_table(g, g->t_itemdef, e, l->n, "items");
  free(e);
  return r;
}

/* An array of pointers to the top-level blocks of a list. */
static LLVMValueRef cg_block_ptrs(Cg *g, const IrList *l) {
  if (l->n == 0)
    return cg_null(g);
  LLVMValueRef *e = calloc((size_t)l->n, sizeof *e);
  PC_ASSERT(e);
  for (int32_t i = 0; i < l->n; i++) {
    PC_ASSERT(l->items[i].block);
    e[i] = g->block_gvs[l->items[i].block->id];
  }
  LLVMValueRef r = cg_table(g, g->t_ptr, e, l->n, "blockptrs");
  free(e);
  return r;
}

static void cg_blocks(Cg *g) {
  const IrProgram *p = g->p;
  for (int32_t i = 0; i < p->nblocks; i++)
    g->block_gvs[i] = cg_decl(g, g->t_blockdef, "block", i);
  for (int32_t i = 0; i < p->nblocks; i++) {
    const IrBlock *b = p->blocks[i];
    LLVMValueRef items[3], counts[3];
    for (int r = 0; r < 3; r++) {
      items[r] = cg_items(g, &b->regions[r]);
      counts[r] = cg_i32(g, b->regions[r].n);
    }
    LLVMValueRef f[3] = {cg_i32(g, b->id), LLVMConstArray2(g->t_ptr, items, 3), LLVMConstArray2(g->t_i32, counts, 3)};
    LLVMSetInitializer(g->block_gvs[i], LLVMConstNamedStruct(g->t_blockdef, f, 3));
  }
}

static LLVMValueRef cg_role_ref(Cg *g, const IrRole *r) { return r ? g->role_gvs[r->id] : cg_null(g); }

static void cg_roles(Cg *g) {
  const IrProgram *p = g->p;
  for (int32_t i = 0; i < p->nroles; i++) {
    const IrRole *r = p->roles[i];
    LLVMValueRef f[5] = {cg_i32(g, r->id), cg_cstr(g, r->name), cg_cstr(g, r->path), cg_i8(g, r->allow_duplicates),
                         r->dep_names ? cg_strs(g, r->dep_names) : cg_null(g)};
    g->role_gvs[i] = cg_global(g, LLVMConstNamedStruct(g->t_roledef, f, 5), "role");
  }
}

static LLVMValueRef cg_include(Cg *g, const IrInclude *in) {
  if (!in)
    return cg_null(g);
  LLVMValueRef *blocks = calloc((size_t)in->n + 1, sizeof *blocks);
  LLVMValueRef *nblocks = calloc((size_t)in->n + 1, sizeof *nblocks);
  LLVMValueRef *frames = calloc((size_t)in->n + 1, sizeof *frames);
  PC_ASSERT(blocks && nblocks && frames);
  for (int32_t i = 0; i < in->n; i++) {
    blocks[i] = in->lists ? cg_block_ptrs(g, &in->lists[i]) : cg_null(g);
    nblocks[i] = cg_i32(g, in->lists ? in->lists[i].n : 0);
    frames[i] = in->frames ? cg_scope_ref(g, in->frames[i]) : cg_null(g);
  }
  const char **names = calloc((size_t)in->n + 1, sizeof *names);
  PC_ASSERT(names);
  for (int32_t i = 0; i < in->n; i++)
    names[i] = in->names[i];
  const char **dirs = calloc((size_t)in->ndirs + 1, sizeof *dirs);
  PC_ASSERT(dirs);
  for (int32_t i = 0; i < in->ndirs; i++)
    dirs[i] = in->dirs[i];
  LLVMValueRef f[13] = {cg_fnref(g, in->file),
                        cg_strs(g, dirs),
                        cg_i32(g, in->ndirs),
                        cg_strs(g, names),
                        cg_i32(g, in->n),
                        in->lists ? cg_table(g, g->t_ptr, blocks, in->n, "incblocks") : cg_null(g),
                        in->lists ? cg_table(g, g->t_i32, nblocks, in->n, "incnblocks") : cg_null(g),
                        in->frames ? cg_table(g, g->t_ptr, frames, in->n, "incframes") : cg_null(g),
                        cg_scope_ref(g, in->params),
                        cg_task_ptrs(g, in->handlers, in->nhandlers),
                        cg_i32(g, in->nhandlers),
                        cg_role_ref(g, in->role),
                        cg_i8(g, in->is_public)};
  free(blocks);
  free(nblocks);
  free(frames);
  free(names);
  free(dirs);
  return cg_global(g, LLVMConstNamedStruct(g->t_incdef, f, 13), "include");
}

static LLVMValueRef cg_notify(Cg *g, const int32_t *notify) {
  if (!notify)
    return cg_null(g);
  int n = 0;
  while (notify[n] >= 0)
    n++;
  LLVMValueRef *e = calloc((size_t)n + 1, sizeof *e);
  PC_ASSERT(e);
  for (int i = 0; i <= n; i++)
    e[i] = cg_i32(g, notify[i]);
  LLVMValueRef r = cg_global(g, LLVMConstArray2(g->t_i32, e, (uint64_t)n + 1), "notify");
  free(e);
  return r;
}

/* The junit report names a task with its arguments unless no_log is set to
 * anything but a constant false (the callback reads the keyword unevaluated). */
static const char *cg_args_text(const IrTask *t) {
  const IrExpr *nl = ir_task_kw(t, RT_TK_NO_LOG);
  if (nl && !(nl->op == IR_CONST && nl->type == TY_BOOL && !nl->b))
    return NULL;
  return t->args_text;
}

/* A template task's compiled files: their render functions, in tpl_names'
 * order; NULL for other tasks. */
static LLVMValueRef cg_tpl_render(Cg *g, const IrTask *t) {
  if (!t->tpl_names)
    return cg_null(g);
  int n = 0;
  while (t->tpl_names[n])
    n++;
  LLVMValueRef *e = calloc((size_t)n + 1, sizeof *e);
  PC_ASSERT(e);
  for (int i = 0; i < n; i++)
    e[i] = cg_fnref(g, t->tpl_render[i]);
  e[n] = cg_null(g);
  LLVMValueRef r = cg_global(g, LLVMConstArray2(g->t_ptr, e, (uint64_t)n + 1), "tpl_render");
  free(e);
  return r;
}

static LLVMValueRef cg_taskdef(Cg *g, const IrTask *t) {
  LLVMValueRef kws[RT_TK_COUNT];
  for (int k = 0; k < RT_TK_COUNT; k++)
    kws[k] = cg_fnref(g, ir_task_kw(t, k));
  LLVMValueRef run = t->kind == IR_TASK_MODULE && t->module >= 0 ? cg_define_task(g, t) : cg_null(g);
  LLVMValueRef f[34] = {cg_i32(g, t->id),
                        cg_i32(g, (int32_t)t->kind),
                        cg_cstr(g, t->name ? t->name : ""),
                        cg_cstr(g, t->action ? t->action : ""),
                        cg_i32(g, t->module),
                        cg_cstr_or_null(g, t->register_var),
                        cg_i8(g, t->loop != NULL),
                        cg_i8(g, t->implicit),
                        cg_i8(g, t->handler),
                        cg_loc_value(g, t->loc),
                        cg_src(g, t->when),
                        cg_src(g, t->changed_when),
                        cg_src(g, t->failed_when),
                        cg_src(g, t->until),
                        run,
                        cg_fnref(g, t->when),
                        cg_fnref(g, t->loop),
                        cg_cstr_or_null(g, t->has_source ? fe_error_context(g->pc, t->loc) : NULL),
                        cg_scope_ref(g, t->scope),
                        cg_role_ref(g, t->role),
                        cg_cstr_or_null(g, t->role_name),
                        cg_strs(g, t->tags),
                        cg_strs(g, t->listen),
                        cg_notify(g, t->notify),
                        cg_cstr(g, t->loop_var ? t->loop_var : "item"),
                        cg_cstr_or_null(g, t->index_var),
                        cg_i8(g, t->loop_extended),
                        cg_include(g, t->include),
                        cg_roots(g, t->roots),
                        cg_cstr_or_null(g, t->fault),
                        cg_cstr_or_null(g, cg_args_text(t)),
                        LLVMConstArray2(g->t_ptr, kws, RT_TK_COUNT),
                        t->tpl_names ? cg_strs(g, t->tpl_names) : cg_null(g),
                        cg_tpl_render(g, t)};
  return LLVMConstNamedStruct(g->t_taskdef, f, 34);
}

/* Every task of the program in one array, by id: declared first (blocks
 * point into it), defined once the blocks exist. */
static void cg_tasks_decl(Cg *g) {
  LLVMTypeRef at = LLVMArrayType2(g->t_taskdef, (uint64_t)g->p->ntasks);
  g->tasks_gv = LLVMAddGlobal(g->mod, at, "tasks");
  LLVMSetLinkage(g->tasks_gv, LLVMPrivateLinkage);
  LLVMSetGlobalConstant(g->tasks_gv, true);
}

static void cg_tasks(Cg *g) {
  const IrProgram *p = g->p;
  LLVMValueRef *defs = calloc((size_t)p->ntasks + 1, sizeof *defs);
  PC_ASSERT(defs);
  for (int32_t i = 0; i < p->ntasks; i++)
    defs[i] = cg_taskdef(g, p->tasks[i]);
  LLVMSetInitializer(g->tasks_gv, LLVMConstArray2(g->t_taskdef, defs, (uint64_t)p->ntasks));
  free(defs);
}

static LLVMValueRef cg_prompts(Cg *g, const IrPlay *pl) {
  if (pl->nprompts == 0)
    return cg_null(g);
  LLVMValueRef *defs = calloc((size_t)pl->nprompts, sizeof *defs);
  PC_ASSERT(defs);
  for (int32_t i = 0; i < pl->nprompts; i++) {
    LLVMValueRef f[4] = {cg_cstr(g, pl->prompts[i].name), g->expr_fns[pl->prompts[i].value->id], cg_i8(g, true),
                         cg_null(g)};
    defs[i] = LLVMConstNamedStruct(g->t_vardef, f, 4);
  }
  LLVMValueRef r = cg_table(g, g->t_vardef, defs, pl->nprompts, "prompts");
  free(defs);
  return r;
}

static LLVMValueRef cg_playdef(Cg *g, const IrPlay *pl) {
  LLVMValueRef tasks = pl->ntasks
                           ? LLVMConstGEP2(g->t_taskdef, g->tasks_gv, (LLVMValueRef[]){cg_i32(g, pl->first_task)}, 1)
                           : cg_null(g);
  LLVMValueRef skws[RT_TK_COUNT];
  for (int k = 0; k < RT_TK_COUNT; k++)
    skws[k] = cg_fnref(g, pl->setup_kw[k]);
  LLVMValueRef *vf = calloc((size_t)pl->nvars_files + 1, sizeof *vf);
  PC_ASSERT(vf);
  for (int32_t i = 0; i < pl->nvars_files; i++)
    vf[i] = cg_include(g, pl->vars_files[i]);
  LLVMValueRef vfiles = pl->nvars_files ? cg_table(g, g->t_ptr, vf, pl->nvars_files, "varsfiles") : cg_null(g);
  free(vf);
  LLVMValueRef f[27] = {cg_cstr(g, pl->name ? pl->name : ""),
                        cg_cstr(g, pl->hosts ? pl->hosts : ""),
                        LLVMConstInt(g->t_i8, pl->gather_facts_set ? pl->gather_facts : RT_GATHER_UNSET, false),
                        cg_i8(g, pl->force_handlers),
                        cg_i8(g, pl->any_errors_fatal),
                        cg_i32(g, pl->max_fail_percentage),
                        cg_cstr_or_null(g, pl->connection),
                        cg_cstr_or_null(g, pl->order),
                        cg_scope_ref(g, pl->scope),
                        cg_block_ptrs(g, &pl->blocks),
                        cg_i32(g, pl->blocks.n),
                        cg_task_ptrs(g, pl->handlers, pl->nhandlers),
                        cg_i32(g, pl->nhandlers),
                        tasks,
                        cg_i32(g, pl->ntasks),
                        cg_strs(g, pl->role_names),
                        cg_strs(g, pl->dep_role_names),
                        cg_prompts(g, pl),
                        cg_i32(g, pl->nprompts),
                        cg_loc_value(g, pl->loc),
                        cg_fnref(g, pl->gather_args),
                        LLVMConstArray2(g->t_ptr, skws, RT_TK_COUNT),
                        vfiles,
                        cg_i32(g, pl->nvars_files),
                        cg_strs(g, pl->tags),
                        cg_fnref(g, pl->serial),
                        cg_cstr_or_null(g, pl->strategy)};
  return LLVMConstNamedStruct(g->t_playdef, f, 27);
}

static LLVMValueRef cg_filedef(Cg *g, const IrFile *file) {
  LLVMValueRef bytes = LLVMConstStringInContext2(g->ctx, (const char *)file->data,
                                                 file->data ? file->size : 0, true);
  LLVMValueRef data = cg_global(g, bytes, "file.data");
  LLVMSetAlignment(data, 1);
  LLVMValueRef f[5] = {cg_cstr(g, file->name), data, cg_i64(g, (int64_t)file->size), cg_i32(g, (int32_t)file->mode),
                       file->render ? cg_fnref(g, file->render) : cg_null(g)};
  return LLVMConstNamedStruct(g->t_filedef, f, 5);
}

static LLVMValueRef cg_plays(Cg *g) {
  const IrProgram *p = g->p;
  LLVMValueRef *defs = calloc((size_t)p->nplays + 1, sizeof *defs);
  PC_ASSERT(defs);
  for (int32_t i = 0; i < p->nplays; i++)
    defs[i] = cg_playdef(g, &p->plays[i]);
  LLVMValueRef r = cg_table(g, g->t_playdef, defs, p->nplays, "plays");
  free(defs);
  return r;
}

static LLVMValueRef cg_files(Cg *g) {
  const IrProgram *p = g->p;
  LLVMValueRef *defs = calloc((size_t)p->nfiles + 1, sizeof *defs);
  PC_ASSERT(defs);
  for (int32_t i = 0; i < p->nfiles; i++)
    defs[i] = cg_filedef(g, &p->files[i]);
  LLVMValueRef r = cg_table(g, g->t_filedef, defs, p->nfiles, "files");
  free(defs);
  return r;
}

/* The table of playbook group_vars/host_vars frames (RtInvVarsDef). */
static LLVMValueRef cg_inv_vars(Cg *g) {
  const IrProgram *p = g->p;
  LLVMValueRef *defs = calloc((size_t)p->ninv_vars + 1, sizeof *defs);
  PC_ASSERT(defs);
  for (int32_t i = 0; i < p->ninv_vars; i++) {
    const IrInvVars *iv = &p->inv_vars[i];
    LLVMValueRef f[3] = {cg_cstr(g, iv->name), cg_i32(g, iv->host), cg_scope_ref(g, iv->scope)};
    defs[i] = LLVMConstNamedStruct(g->t_invvarsdef, f, 3);
  }
  LLVMValueRef r = p->ninv_vars ? cg_table(g, g->t_invvarsdef, defs, p->ninv_vars, "invvars") : cg_null(g);
  free(defs);
  return r;
}

/* The global `playc_program` (RtProgram). */
static LLVMValueRef cg_program(Cg *g) {
  const IrProgram *p = g->p;
  g->scope_gvs = calloc((size_t)p->nscopes + 1, sizeof *g->scope_gvs);
  g->block_gvs = calloc((size_t)p->nblocks + 1, sizeof *g->block_gvs);
  g->role_gvs = calloc((size_t)p->nroles + 1, sizeof *g->role_gvs);
  PC_ASSERT(g->scope_gvs && g->block_gvs && g->role_gvs);
  cg_roles(g);
  cg_scopes(g);
  cg_tasks_decl(g);
  cg_blocks(g);
  cg_tasks(g);
  LLVMValueRef plays = cg_plays(g);
  LLVMValueRef files = cg_files(g);
  LLVMValueRef inv_vars = cg_inv_vars(g);
  LLVMValueRef f[14] = {cg_i32(g, PLAYC_ABI_VERSION),
                        LLVMConstInt(g->t_i32, mod_schema_hash(), false),
                        cg_cstr(g, p->playbook ? p->playbook : ""),
                        cg_cstr(g, g->o->plan_text ? g->o->plan_text : ""),
                        cg_cstr(g, g->o->plan_json ? g->o->plan_json : ""),
                        plays,
                        cg_i32(g, p->nplays),
                        files,
                        cg_i32(g, p->nfiles),
                        cg_i32(g, p->nroles),
                        cg_cstr(g, g->o->base_dir ? g->o->base_dir : ""),
                        cg_cstr_or_null(g, p->load_fault),
                        inv_vars,
                        cg_i32(g, p->ninv_vars)};
  LLVMValueRef gv = LLVMAddGlobal(g->mod, g->t_program, "playc_program");
  LLVMSetInitializer(gv, LLVMConstNamedStruct(g->t_program, f, 14));
  LLVMSetGlobalConstant(gv, true);
  free(g->scope_gvs);
  free(g->block_gvs);
  free(g->role_gvs);
  free(g->varsets);
  return gv;
}

/* int main(int argc, char **argv) { return rt_main(argc, argv, &playc_program); } */
static void cg_main(Cg *g, LLVMValueRef prog) {
  LLVMTypeRef t = LLVMFunctionType(g->t_i32, (LLVMTypeRef[]){g->t_i32, g->t_ptr}, 2, false);
  LLVMValueRef fn = LLVMAddFunction(g->mod, "main", t);
  g->fn = fn;
  cg_at(g, cg_block(g, "entry"));
  LLVMValueRef r = CG_CALL(g, CG_rt_main, LLVMGetParam(fn, 0), LLVMGetParam(fn, 1), prog);
  LLVMBuildRet(g->b, r);
}

/* ---- the module ----------------------------------------------------------------------- */

static void cg_exprs(Cg *g) {
  const IrProgram *p = g->p;
  g->expr_fns = calloc((size_t)p->nroots + 1, sizeof *g->expr_fns);
  PC_ASSERT(g->expr_fns);
  for (int32_t i = 0; i < p->nroots; i++)
    if (p->roots[i])
      g->expr_fns[i] = cg_fn_name(g, "expr", i, g->t_expr_fn);
  for (int32_t i = 0; i < p->nroots; i++)
    if (p->roots[i]) {
      PC_ASSERT(p->roots[i]->id == i);
      cg_define_expr_fn(g, p->roots[i]);
    }
}

struct LLVMOpaqueModule *cg_module_build(PcCtx *c, const IrProgram *p, const CgOptions *o,
                                         struct LLVMOpaqueContext *ctx,
                                         struct LLVMOpaqueTargetData *td, const char *triple) {
  Cg g = {0};
  g.pc = c;
  g.p = p;
  g.o = o;
  g.ctx = ctx;
  g.td = td;
  g.mod = LLVMModuleCreateWithNameInContext(p->playbook ? p->playbook : "playbook", ctx);
  LLVMSetTarget(g.mod, triple);
  LLVMSetModuleDataLayout(g.mod, td);
  g.b = LLVMCreateBuilderInContext(ctx);
  cg_types_init(&g);
  cg_exprs(&g);
  cg_main(&g, cg_program(&g));
  LLVMDisposeBuilder(g.b);
  free(g.expr_fns);
  if (g.failed) {
    LLVMDisposeModule(g.mod);
    return NULL;
  }
  return g.mod;
}
