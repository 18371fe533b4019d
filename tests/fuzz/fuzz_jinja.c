/*
 * fuzz_jinja.c — the Jinja lexer and parser (frontend/jinja_*.c): the input
 * as a bare expression (when:) and as a template text, as lowering parses a
 * YAML scalar. The text is NUL-terminated, as a scalar's is.
 */
#include "fuzz.h"

#include "../../frontend/jinja.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *src = malloc(size + 1);
  if (!src)
    return 0;
  memcpy(src, data, size);
  src[size] = 0;
  PcCtx c;
  pc_ctx_init(&c);
  c.diag_out = fuzz_null();
  PcLoc loc = {"fuzz.yml", 1, 1};
  fe_jinja_parse_expr(&c, src, loc);
  fe_jinja_parse_template(&c, src, loc);
  pc_ctx_free(&c);
  free(src);
  return 0;
}
