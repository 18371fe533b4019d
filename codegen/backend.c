/*
 * backend.c — loads the code generator module (playc-llvm.so: codegen.c and
 * emit.c linked to libLLVM) when a build needs it, so that `--plan` and the
 * checks before code generation never map libLLVM.
 */
#include "codegen.h"

#include <dlfcn.h>
#include <stdlib.h>

const CgBackend *cg_backend(PcCtx *c) {
  static const CgBackend *loaded;
  if (loaded)
    return loaded;
  const char *env = getenv("PLAYC_CODEGEN");
  const char *path = env && *env ? env : cg_lib_path(c, "playc-llvm.so");
  if (!path) {
    pc_error(c, "cannot find the code generator playc-llvm.so (set PLAYC_CODEGEN)");
    return NULL;
  }
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    pc_error(c, "cannot load the code generator: %s", dlerror());
    return NULL;
  }
  const CgBackend *be = dlsym(lib, "playc_cg_backend");
  if (!be || be->version != CG_BACKEND_VERSION) {
    pc_error(c, "%s is not this playc's code generator (%s)", path,
             be ? "another version" : "no playc_cg_backend in it");
    dlclose(lib);
    return NULL;
  }
  return loaded = be;
}
