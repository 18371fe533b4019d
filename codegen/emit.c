/*
 * emit.c — from IR to an object file: one LLVM context and one target machine
 * per compilation (host triple, generic CPU so the artifact runs on any
 * x86-64 of the same OS, PIC for PIE executables), the module built by
 * codegen.c, verified (always: it is cheap and an invalid module is an internal
 * bug), optimised with the new pass manager, then written as an object or
 * printed as text. Levels:
 *   -O0  no IR passes; the fast instruction selector (FastISel) and register
 *        allocator
 *   -O1  (the default) a short function pipeline — SROA, early CSE,
 *        instcombine, simplifycfg — then the same fast code generator. The
 *        generated code is calls into the runtime; the full pipeline and the
 *        SelectionDAG selector cost ~8x the compile time for no measurable
 *        gain at run time (docs/BENCHMARKS.md, "Compile speed and memory")
 *   -O2  "default<O2>" and the default code generator
 */
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"

/* One compilation's LLVM objects. */
typedef struct CgBuild {
  LLVMContextRef ctx;
  LLVMTargetMachineRef tm;
  LLVMTargetDataRef td;
  char *triple;
  LLVMModuleRef mod;
} CgBuild;

static void cg_targets_init(void) {
  static bool done;
  if (done)
    return;
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
  done = true;
}

static bool cg_target_machine(PcCtx *c, CgBuild *cb, int opt_level) {
  LLVMTargetRef target;
  char *err = NULL;
  cb->triple = LLVMGetDefaultTargetTriple();
  if (LLVMGetTargetFromTriple(cb->triple, &target, &err)) {
    pc_error(c, "no LLVM target for %s: %s", cb->triple, err);
    LLVMDisposeMessage(err);
    return false;
  }
  cb->tm = LLVMCreateTargetMachine(target, cb->triple, "generic", "",
                                   opt_level > 1 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelNone,
                                   LLVMRelocPIC, LLVMCodeModelDefault);
  cb->td = LLVMCreateTargetDataLayout(cb->tm);
  return true;
}

static bool cg_verify(PcCtx *c, LLVMModuleRef mod) {
  char *msg = NULL;
  bool bad = LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg);
  if (bad)
    pc_error(c, "internal error: invalid LLVM module: %s", msg ? msg : "");
  LLVMDisposeMessage(msg);
  return !bad;
}

static bool cg_optimize(PcCtx *c, CgBuild *cb, int opt_level) {
  if (opt_level <= 0)
    return true;
  LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
  const char *passes = opt_level > 1 ? "default<O2>" : "function(sroa,early-cse,instcombine,simplifycfg)";
  LLVMErrorRef e = LLVMRunPasses(cb->mod, passes, cb->tm, po);
  LLVMDisposePassBuilderOptions(po);
  if (!e)
    return true;
  char *msg = LLVMGetErrorMessage(e);
  pc_error(c, "internal error: LLVM passes: %s", msg);
  LLVMDisposeErrorMessage(msg);
  return false;
}

static void cg_build_free(CgBuild *cb) {
  if (cb->mod)
    LLVMDisposeModule(cb->mod);
  if (cb->td)
    LLVMDisposeTargetData(cb->td);
  if (cb->tm)
    LLVMDisposeTargetMachine(cb->tm);
  if (cb->triple)
    LLVMDisposeMessage(cb->triple);
  if (cb->ctx)
    LLVMContextDispose(cb->ctx);
}

/* Context, target machine, module; verified and optimised. */
static bool cg_build(PcCtx *c, const IrProgram *p, const CgOptions *o, CgBuild *cb) {
  cg_targets_init();
  cb->ctx = LLVMContextCreate();
  if (!cg_target_machine(c, cb, o->opt_level))
    return false;
  cb->mod = cg_module_build(c, p, o, cb->ctx, cb->td, cb->triple);
  return cb->mod && cg_verify(c, cb->mod) && cg_optimize(c, cb, o->opt_level);
}

/* `obj_path` with its extension replaced by ".ll" (malloc'd). */
static char *cg_ll_path(const char *obj_path) {
  size_t n = strlen(obj_path);
  if (n > 2 && strcmp(obj_path + n - 2, ".o") == 0)
    n -= 2;
  char *s = malloc(n + 4);
  if (!s)
    abort();
  memcpy(s, obj_path, n);
  memcpy(s + n, ".ll", 4);
  return s;
}

static bool cg_write_ll(PcCtx *c, LLVMModuleRef mod, const char *obj_path) {
  char *path = cg_ll_path(obj_path), *err = NULL;
  bool bad = LLVMPrintModuleToFile(mod, path, &err);
  if (bad)
    pc_error(c, "cannot write %s: %s", path, err ? err : "");
  LLVMDisposeMessage(err);
  free(path);
  return !bad;
}

bool cg_emit_object(PcCtx *c, const IrProgram *p, const CgOptions *o, const char *obj_path) {
  CgBuild cb = {0};
  bool ok = cg_build(c, p, o, &cb);
  if (ok && o->emit_llvm)
    ok = cg_write_ll(c, cb.mod, obj_path);
  if (ok) {
    char *err = NULL, *path = strdup(obj_path);
    if (!path)
      abort();
    if (LLVMTargetMachineEmitToFile(cb.tm, cb.mod, path, LLVMObjectFile, &err)) {
      pc_error(c, "cannot write object %s: %s", obj_path, err ? err : "");
      ok = false;
    }
    LLVMDisposeMessage(err);
    free(path);
  }
  cg_build_free(&cb);
  return ok;
}

char *cg_emit_llvm_text(PcCtx *c, const IrProgram *p, const CgOptions *o) {
  CgBuild cb = {0};
  char *text = NULL;
  if (cg_build(c, p, o, &cb)) {
    char *s = LLVMPrintModuleToString(cb.mod);
    text = strdup(s);
    LLVMDisposeMessage(s);
  }
  cg_build_free(&cb);
  return text;
}

const CgBackend playc_cg_backend = {CG_BACKEND_VERSION, cg_emit_object, cg_emit_llvm_text};
