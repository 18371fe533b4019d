/* placeholder until the link step lands: keeps the tree linking */
#include "codegen.h"

const char *cg_runtime_path(PcCtx *c) {
  (void)c;
  return NULL;
}

bool cg_link(PcCtx *c, const char *obj_path, const char *out_path) {
  (void)obj_path; (void)out_path;
  pc_error(c, "linking is not implemented yet");
  return false;
}
