/*
 * codegen.h — IR → LLVM module → object file (codegen.c, emit.c), and the
 * link step that turns the object and libplaycrt.a into an executable
 * (link.c). The driver (driver.c) runs the pipeline.
 */
#ifndef PLAYC_CODEGEN_H
#define PLAYC_CODEGEN_H

#include "../ir/ir.h"

typedef struct CgOptions {
  int opt_level;          /* 0 or 2 */
  const char *plan_text;  /* embedded for ./site --plan */
  const char *plan_json;  /* embedded for ./site --plan=json */
  bool emit_llvm;         /* also write the textual LLVM IR next to the object (.ll) */
  const char *base_dir;   /* the absolute folder relative paths of the program start from (not in the plan) */
} CgOptions;

/* ---- codegen.c + emit.c ------------------------------------------------------ */

/* Emits `p` as an object file at `obj_path`. false after a diagnostic. */
bool cg_emit_object(PcCtx *c, const IrProgram *p, const CgOptions *o, const char *obj_path);
/* Emits `p` as textual LLVM IR (for docs and tests). Returns malloc'd text. */
char *cg_emit_llvm_text(PcCtx *c, const IrProgram *p, const CgOptions *o);

/* ---- the backend module ---------------------------------------------------------
 * codegen.c and emit.c, the only code that calls LLVM, are built as a module
 * (playc-llvm.so) that the driver loads for -o and --emit-llvm only: `--plan`
 * and every check before code generation never load libLLVM (47 MB of
 * resident memory and 17 ms a run). The module calls back into the frontend
 * and IR of the executable, which exports them. */
enum { CG_BACKEND_VERSION = 1 }; /* bumped when CgBackend or what it is given changes */
typedef struct CgBackend {
  int version; /* CG_BACKEND_VERSION of the module */
  bool (*emit_object)(PcCtx *c, const IrProgram *p, const CgOptions *o, const char *obj_path);
  char *(*emit_llvm_text)(PcCtx *c, const IrProgram *p, const CgOptions *o);
} CgBackend;
/* The backend of emit.c, which the module exports. */
extern const CgBackend playc_cg_backend;

/* ---- backend.c (the executable) ------------------------------------------------- */

/* The loaded backend module: $PLAYC_CODEGEN, else playc-llvm.so beside the
 * playc executable (build tree), else ../lib/playc/ from it (installed).
 * NULL after a diagnostic. */
const CgBackend *cg_backend(PcCtx *c);

/* ---- codegen.c (used by emit.c) ---------------------------------------------- */

/* LLVM's opaque handles (llvm-c/Types.h), so this header needs no LLVM include. */
struct LLVMOpaqueContext;
struct LLVMOpaqueModule;
struct LLVMOpaqueTargetData;
/* Builds the (unverified, unoptimised) LLVM module for `p` in `ctx`, laid out
 * for target data `td` and triple `triple`. The caller owns the module. NULL
 * after a diagnostic. */
struct LLVMOpaqueModule *cg_module_build(PcCtx *c, const IrProgram *p, const CgOptions *o,
                                         struct LLVMOpaqueContext *ctx,
                                         struct LLVMOpaqueTargetData *td, const char *triple);

/* ---- link.c -------------------------------------------------------------------- */

/* Path of libplaycrt.a: $PLAYC_RUNTIME, else beside the playc executable (build
 * tree), else ../lib/playc/ from it (installed). NULL if not found. */
const char *cg_runtime_path(PcCtx *c);
/* Path of `name` beside the playc executable, else in ../lib/playc/ from it.
 * NULL if neither is readable. */
const char *cg_lib_path(PcCtx *c, const char *name);
/* Links `obj_path` with the runtime into `out_path` with the system cc,
 * writing to a temporary name first and renaming, so a failed link leaves no
 * half-written output. false after a diagnostic. */
bool cg_link(PcCtx *c, const char *obj_path, const char *out_path);

/* ---- vault_cli.c ---------------------------------------------------------------- */

/* `playc vault ACTION ...` (argv[0] is "vault"): ansible-vault's encrypt,
 * decrypt, view, rekey and encrypt_string. Returns the exit code. */
int cg_vault_main(int argc, char **argv);

#endif
