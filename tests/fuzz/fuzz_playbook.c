/*
 * fuzz_playbook.c — the whole compiler up to codegen: any bytes as a
 * playbook through the loader, the playbook checks, lowering, the IR passes
 * (types, fold, verify), both plan printers, as `playc --plan` runs them,
 * and the checks `playc -o` makes before codegen (ir_check_build).
 * `copy src` names are resolved beside the playbook's directory "." of the
 * fuzzer's working directory, so run it in an empty one (run.sh does).
 */
#include "fuzz.h"

#include "../../ir/ir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  PcCtx c;
  pc_ctx_init(&c);
  c.diag_out = fuzz_null();
  pc_add_source(&c, "fuzz.yml", (const char *)data, size);
  FePlaybook *pb = fe_load_playbook(&c, "fuzz.yml");
  IrProgram *p = pb ? ir_lower(&c, pb) : NULL;
  if (p && c.nerrors == 0) {
    ir_infer_types(&c, p);
    ir_fold(&c, p);
    ir_verify(&c, p);
    if (c.nerrors == 0) {
      ir_print_text(&c, p);
      ir_print_json(&c, p);
      ir_check_build(&c, p);
    }
  }
  pc_ctx_free(&c);
  return 0;
}
