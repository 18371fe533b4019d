/*
 * fuzz_extra_vars.c — the `-e` parser (rt_extra_vars_parse, runtime/main.c):
 * the input as one -e argument (k=v pairs, or a YAML/JSON dict); an input
 * starting with '@' is given as "@FILE" with the rest as the file's text.
 */
#include "fuzz.h"

#include "../../runtime/rt.h"

#include <stdlib.h>
#include <string.h>

/* "@path" of a file holding `data`. */
static char *fuzz_at_file(const uint8_t *data, size_t size) {
  const char *path = fuzz_write("extra_vars.yml", data, size);
  char *arg = malloc(strlen(path) + 2);
  if (!arg)
    abort();
  arg[0] = '@';
  strcpy(arg + 1, path);
  return arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *arg;
  if (size && data[0] == '@') {
    arg = fuzz_at_file(data + 1, size - 1);
  } else {
    arg = malloc(size + 1);
    if (!arg)
      return 0;
    memcpy(arg, data, size);
    arg[size] = 0;
  }
  char *err = NULL;
  int rc = 0;
  RtValue *v = rt_extra_vars_parse(arg, &err, &rc);
  rt_decref(v);
  free(err);
  free(arg);
  return 0;
}
