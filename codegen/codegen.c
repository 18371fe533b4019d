/* placeholder until the codegen lands: keeps the tree linking */
#include "codegen.h"

bool cg_emit_object(PcCtx *c, const IrProgram *p, const CgOptions *o, const char *obj_path) {
  (void)p; (void)o; (void)obj_path;
  pc_error(c, "code generation is not implemented yet");
  return false;
}

char *cg_emit_llvm_text(PcCtx *c, const IrProgram *p, const CgOptions *o) {
  (void)c; (void)p; (void)o;
  return NULL;
}
