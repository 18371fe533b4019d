/*
 * link.c — finds the runtime archive and links a compiled playbook with the
 * system C compiler: `cc -o OUT.tmpXXXXXX OBJ libplaycrt.a <libs> <san flags>`,
 * then renames the result onto OUT, so a failed link never leaves a
 * half-written executable. cc runs through posix_spawnp (no shell, so paths
 * need no quoting) and its diagnostics go straight to our stderr.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codegen.h"

#ifndef PLAYC_RT_LIBS
#define PLAYC_RT_LIBS "-lssh -ljansson -lyaml -lpcre2-8 -lcrypto -lpthread -lm"
#endif
#ifndef PLAYC_SAN_FLAGS
#define PLAYC_SAN_FLAGS ""
#endif

extern char **environ;

/* dir/rel if it is readable, arena-allocated; else NULL. */
static const char *cg_readable(PcCtx *c, const char *dir, const char *rel) {
  char *path = pc_sprintf(c, "%s/%s", dir, rel);
  return access(path, R_OK) == 0 ? path : NULL;
}

const char *cg_lib_path(PcCtx *c, const char *name) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return NULL;
  exe[n] = '\0';
  const char *dir = dirname(exe);
  const char *p = cg_readable(c, dir, name);
  return p ? p : cg_readable(c, dir, pc_sprintf(c, "../lib/playc/%s", name));
}

const char *cg_runtime_path(PcCtx *c) {
  const char *env = getenv("PLAYC_RUNTIME");
  if (env && *env)
    return pc_strdup(c, env);
  return cg_lib_path(c, "libplaycrt.a");
}

/* Appends the space-separated words of `s` (copied into the arena) to argv. */
static void cg_split(PcCtx *c, PcVec *argv, const char *s) {
  char *copy = pc_strdup(c, s), *save = NULL;
  for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
    pc_vec_push(c, argv, w);
}

/* Runs argv and waits; true when it exited with status 0. */
static bool cg_run(PcCtx *c, char **argv) {
  pid_t pid;
  int err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
  if (err) {
    pc_error(c, "cannot run %s: %s", argv[0], strerror(err));
    return false;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A fresh temporary name beside `out_path` (reserved, then released for cc). */
static char *cg_temp_name(PcCtx *c, const char *out_path) {
  char *tmp = pc_sprintf(c, "%s.tmpXXXXXX", out_path);
  int fd = mkstemp(tmp);
  if (fd < 0)
    return NULL;
  close(fd);
  unlink(tmp);
  return tmp;
}

bool cg_link(PcCtx *c, const char *obj_path, const char *out_path) {
  const char *rt = cg_runtime_path(c);
  if (!rt) {
    pc_error(c, "cannot find the runtime libplaycrt.a (set PLAYC_RUNTIME)");
    return false;
  }
  char *tmp = cg_temp_name(c, out_path);
  if (!tmp) {
    pc_error(c, "cannot create a file beside %s: %s", out_path, strerror(errno));
    return false;
  }
  PcVec argv = {0};
  const char *fixed[] = {"cc", "-o", tmp, obj_path, rt};
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
    pc_vec_push(c, &argv, (void *)fixed[i]);
  cg_split(c, &argv, PLAYC_RT_LIBS);
  cg_split(c, &argv, PLAYC_SAN_FLAGS);
  pc_vec_push(c, &argv, NULL);
  if (!cg_run(c, (char **)argv.items)) {
    unlink(tmp);
    pc_error(c, "link failed");
    return false;
  }
  if (rename(tmp, out_path) != 0) {
    pc_error(c, "cannot write %s: %s", out_path, strerror(errno));
    unlink(tmp);
    return false;
  }
  return true;
}
