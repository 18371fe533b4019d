/*
 * fuzz_inventory.c — the run-time inventory loader (runtime/inventory.c,
 * rt_inventory_load reads a path). The first byte picks how the rest is
 * given: as a file without extension (INI, or YAML when it looks like it),
 * as a .yml file, or as a "a,b," host list string. Then the inventory is
 * finished, matched against a few patterns and each host's variables are
 * merged, as a run does.
 */
#include "fuzz.h"

#include "../../runtime/rt.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  int mode = data[0] % 3;
  data++, size--;
  char *text = NULL;
  const char *source;
  if (mode == 2) { /* a host list: only when it names no file */
    text = malloc(size + 1);
    if (!text)
      return 0;
    memcpy(text, data, size);
    text[size] = 0;
    struct stat st;
    if (!strchr(text, ',') || stat(text, &st) == 0) {
      free(text);
      return 0;
    }
    source = text;
  } else {
    source = fuzz_write(mode ? "inventory.yml" : "inventory", data, size);
  }
  RtInventory inv = {0};
  inv.no_scripts = true; /* an input starting with "#!" must not run */
  inv.max_hosts = 20000; /* a short line can name a million hosts: linear, but slow under sanitizers */
  char *err = NULL;
  if (rt_inventory_load(&inv, source, &err)) {
    rt_inventory_finish(&inv);
    static const char *const patterns[] = {"all", "ungrouped", "web:&db", "all:!web", "h*", "localhost"};
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++) {
      int n = 0;
      free(rt_inventory_match(&inv, patterns[i], &n));
    }
    for (int i = 0; i < inv.nhosts && i < 64; i++)
      rt_decref(rt_inventory_host_vars(&inv, i));
  }
  free(err);
  rt_inventory_free(&inv);
  free(text);
  return 0;
}
