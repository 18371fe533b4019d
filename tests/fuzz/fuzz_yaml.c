/*
 * fuzz_yaml.c — the YAML loader (frontend/yaml.c): any bytes as a source
 * file through fe_yaml_load, which must give a node tree or diagnostics.
 */
#include "fuzz.h"

#include "../../frontend/frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  PcCtx c;
  pc_ctx_init(&c);
  c.diag_out = fuzz_null();
  pc_add_source(&c, "fuzz.yml", (const char *)data, size);
  fe_yaml_load(&c, "fuzz.yml");
  pc_ctx_free(&c);
  return 0;
}
