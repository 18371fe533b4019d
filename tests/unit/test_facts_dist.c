/*
 * test_facts_dist.c — the distribution collector's parser (modules/facts_linux.c)
 * on a distribution's files laid out under a folder: test_facts_dist ROOT
 * prints, as JSON with sorted keys, the distribution facts it computes when
 * ROOT/etc/... and ROOT/usr/lib/... are the target's /etc and /usr/lib.
 * tests/unit/dist_oracle.py runs it on RHEL-likes, Alpine, SUSE, Arch,
 * Ubuntu ... and compares with Ansible's DistributionFactCollector on the
 * same files (the live harness test covers the target's side of the script).
 *
 * The records are the ones the collector's script writes: "x:PATH" for a
 * path that exists, "f:PATH" for a readable file's content (trailing newlines
 * dropped, as $(cat) does), "dr" the /etc files named *-release, *_version
 * ... that are regular files, and "d1:PATH" each one's first line. No
 * lsb_release on these targets (no "lsb" record).
 */
#define _XOPEN_SOURCE 700
#include "facts.h"

#include <fnmatch.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static RtValue *rec;
static size_t rootlen;

static char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  RtBuf b = {0};
  char chunk[4096];
  size_t k;
  while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
    rt_buf_add(&b, chunk, k);
  fclose(f);
  if (!b.data)
    rt_buf_add(&b, "", 0);
  *n = b.len;
  return rt_buf_take(&b);
}

static void put(const char *prefix, const char *path, const char *val, size_t n) {
  char key[1024];
  snprintf(key, sizeof key, "%s%s", prefix, path);
  rt_dict_set(rec, key, rt_str(val, n));
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st, (void)ftw;
  const char *rel = path + rootlen;
  if (!*rel)
    return 0;
  put("x:", rel, "1", 1);
  if (type != FTW_F)
    return 0;
  size_t n;
  char *data = slurp(path, &n);
  if (!data)
    return 0;
  size_t all = n;
  while (n && data[n - 1] == '\n')
    n--;
  put("f:", rel, data, n);
  const char *base = strrchr(rel, '/') + 1;
  if ((size_t)(base - rel) == 5 && strncmp(rel, "/etc/", 5) == 0 &&
      (!fnmatch("*[-_]release", base, 0) || !fnmatch("*[-_]version", base, 0))) {
    RtValue *l = rt_dict_get(rec, "dr");
    if (!l) {
      l = rt_list_new(4);
      rt_dict_set(rec, "dr", l);
    }
    rt_list_push(l, rt_strz(base));
    put("d1:", rel, data, strcspn(data, "\n") < all ? strcspn(data, "\n") : all);
  }
  free(data);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_facts_dist ROOT\n");
    return 2;
  }
  rootlen = strlen(argv[1]);
  while (rootlen > 1 && argv[1][rootlen - 1] == '/')
    rootlen--;
  rec = rt_dict_new(16);
  if (nftw(argv[1], visit, 16, FTW_PHYS) != 0) {
    perror(argv[1]);
    return 2;
  }
  RtExec ex = {0};
  ex.rec = rec;
  const FactCollector *c = NULL;
  for (int i = 0; i < facts_ncollectors; i++)
    if (!strcmp(facts_collectors[i].name, "distribution"))
      c = &facts_collectors[i];
  if (!c) {
    fprintf(stderr, "no distribution collector\n");
    return 2;
  }
  RtValue *f = rt_dict_new(16), *all = rt_dict_new(0);
  c->parse(f, &ex, all, NULL);
  RtBuf b = {0};
  rt_render_json(&b, f, -1, true);
  printf("%.*s\n", (int)b.len, b.data);
  rt_buf_free(&b);
  rt_decref(f);
  rt_decref(all);
  rt_exec_free(&ex);
  return 0;
}
