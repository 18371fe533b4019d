/*
 * fuzz.h — what the libFuzzer targets of tests/fuzz share: each target is a
 * LLVMFuzzerTestOneInput over one parser or loader of playc, built with
 * clang -fsanitize=fuzzer,address,undefined (tests/fuzz/CMakeLists.txt, run
 * by tests/fuzz/run.sh). A target must never crash, hang or leak on any
 * input; diagnostics go to /dev/null.
 */
#ifndef PLAYC_FUZZ_H
#define PLAYC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A stream that discards what is written (diagnostics of the compiler). */
static inline FILE *fuzz_null(void) {
  static FILE *f;
  if (!f)
    f = fopen("/dev/null", "w");
  return f;
}

/* A folder for the files a target writes: $TMPDIR, else /dev/shm (tmpfs,
 * fast), else /tmp; created once, removed at exit with what is in it. */
static char fuzz_dir_path[256];

static void fuzz_dir_remove(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_path);
  if (system(cmd) != 0) {
    /* nothing more to do at exit */
  }
}

static inline const char *fuzz_dir(void) {
  if (!fuzz_dir_path[0]) {
    const char *t = getenv("TMPDIR");
    if (!t || !*t)
      t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/playc-fuzz.XXXXXX", t);
    if (!mkdtemp(fuzz_dir_path))
      abort();
    atexit(fuzz_dir_remove);
  }
  return fuzz_dir_path;
}

/* Writes `data` to file `name` in fuzz_dir(); returns its path (static). */
static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t size) {
  static char path[300];
  snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
    abort();
  return path;
}

#endif
