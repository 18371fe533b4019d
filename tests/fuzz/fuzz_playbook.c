/*
 * fuzz_playbook.c — the whole compiler up to codegen: any bytes as a
 * playbook through the loader, the playbook checks, lowering, the IR passes
 * (types, fold, verify), both plan printers, as `playc --plan` runs them,
 * and the checks `playc -o` makes before codegen (ir_check_build); then
 * `--plan` a task at a time (ir/stream.c), whose plan, when it makes one,
 * must be the whole program's byte for byte.
 * `copy src` names are resolved beside the playbook's directory "." of the
 * fuzzer's working directory, so run it in an empty one (run.sh does).
 */
#include "fuzz.h"

#include "../../ir/ir.h"

#include <stdlib.h>
#include <string.h>

/* The text plan made a task at a time (malloc'ed), or NULL when the stream
 * does not apply, falls back, or counts an error (*rc 4). */
static char *fz_stream(const uint8_t *data, size_t size, int *rc) {
  PcCtx c;
  pc_ctx_init(&c);
  c.diag_out = fuzz_null();
  c.plan_only = true;
  pc_add_source(&c, "fuzz.yml", (const char *)data, size);
  FePlaybook *pb = fe_load_playbook(&c, "fuzz.yml");
  char *out = NULL;
  size_t len = 0;
  *rc = -1;
  if (pb && !c.nerrors && ir_stream_fits(pb)) {
    IrStream *st = ir_stream_new(&c, false);
    IrProgram *p = st ? ir_lower_stream(&c, pb, st) : NULL;
    if (p) {
      FILE *m = open_memstream(&out, &len);
      bool ok = true;
      *rc = ir_stream_finish(st, p, fuzz_null(), m, &ok);
      fclose(m);
      if (*rc != 0) {
        free(out);
        out = NULL;
      }
    }
    ir_stream_free(st);
  }
  pc_ctx_free(&c);
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  PcCtx c;
  pc_ctx_init(&c);
  c.diag_out = fuzz_null();
  pc_add_source(&c, "fuzz.yml", (const char *)data, size);
  FePlaybook *pb = fe_load_playbook(&c, "fuzz.yml");
  IrProgram *p = pb ? ir_lower(&c, pb) : NULL;
  char *whole = NULL;
  if (p && c.nerrors == 0) {
    ir_infer_types(&c, p);
    ir_fold(&c, p);
    ir_verify(&c, p);
    if (c.nerrors == 0) {
      whole = strdup(ir_print_text(&c, p));
      ir_print_json(&c, p);
      ir_check_build(&c, p);
    }
  }
  pc_ctx_free(&c);
  int rc;
  char *streamed = fz_stream(data, size, &rc);
  if (streamed && (!whole || strcmp(whole, streamed) != 0))
    abort(); /* a plan made a task at a time differs from the whole program's */
  free(streamed);
  free(whole);
  return 0;
}
