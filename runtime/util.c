/*
 * util.c — the runtime's allocation wrapper (one out-of-memory policy: print
 * and abort, as Redis's zmalloc) and RtBuf, the growable NUL-terminated byte
 * buffer every text producer appends to.
 */
#include "rt.h"

#include <stdlib.h>
#include <string.h>

static _Noreturn void oom(size_t n) {
  fprintf(stderr, "playc runtime: out of memory allocating %zu bytes\n", n);
  abort();
}

void *rt_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p)
    oom(n);
  return p;
}

void *rt_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    oom(n * size);
  return p;
}

void *rt_xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p)
    oom(n);
  return p;
}

char *rt_xstrdup(const char *s) {
  return rt_xstrndup(s, strlen(s));
}

char *rt_xstrndup(const char *s, size_t n) {
  char *d = rt_xmalloc(n + 1);
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

char *rt_xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    oom(0);
  va_end(ap);
  return s;
}

static void grow(RtBuf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1)
    cap *= 2;
  b->data = rt_xrealloc(b->data, cap);
  b->cap = cap;
}

void rt_buf_add(RtBuf *b, const char *s, size_t len) {
  grow(b, len);
  if (len)
    memcpy(b->data + b->len, s, len);
  b->len += len;
  b->data[b->len] = 0;
}

void rt_buf_puts(RtBuf *b, const char *s) {
  rt_buf_add(b, s, strlen(s));
}

void rt_buf_putc(RtBuf *b, char c) {
  rt_buf_add(b, &c, 1);
}

void rt_buf_printf(RtBuf *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  grow(b, (size_t)n);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  b->len += (size_t)n;
}

void rt_buf_free(RtBuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *rt_buf_take(RtBuf *b) {
  if (!b->data)
    rt_buf_add(b, "", 0);
  char *d = b->data;
  b->data = NULL;
  b->len = b->cap = 0;
  return d;
}

_Noreturn void rt_panic(const char *file, int line, const char *what) {
  fprintf(stderr, "playc runtime: internal error at %s:%d: %s\n", file, line, what);
  abort();
}

char *rt_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  RtBuf b = {0};
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    rt_buf_add(&b, chunk, n);
  fclose(f);
  rt_buf_add(&b, "", 0);
  *len = b.len;
  return rt_buf_take(&b);
}

struct RtArenaBlock {
  RtArenaBlock *next;
  size_t used, cap;
  max_align_t data[];
};

void *rt_arena_alloc(RtArena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  RtArenaBlock *b = a->head;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > 16384 ? n : 16384;
    b = rt_xcalloc(1, sizeof *b + cap);
    b->cap = cap;
    b->next = a->head;
    a->head = b;
  }
  void *p = (char *)b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

void rt_arena_free(RtArena *a) {
  for (RtArenaBlock *b = a->head, *n; b; b = n) {
    n = b->next;
    free(b);
  }
  a->head = NULL;
}
