/*
 * util.c — the runtime's allocation wrapper (one out-of-memory policy: print
 * and abort, as Redis's zmalloc), RtBuf, the growable NUL-terminated byte
 * buffer every text producer appends to, and RtIndex, the one hash map: an
 * open-addressing index of positions over an array the caller owns (dict
 * entries, inventory hosts and groups, anchors), so keys are stored once.
 */
#include "rt.h"

#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

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

void rt_buf_grow(RtBuf *b, size_t extra) {
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1)
    cap *= 2;
  b->data = rt_xrealloc(b->data, cap);
  b->cap = cap;
}

void rt_buf_puts(RtBuf *b, const char *s) {
  rt_buf_add(b, s, strlen(s));
}

void rt_buf_putc(RtBuf *b, char c) {
  if (b->len + 2 > b->cap)
    rt_buf_grow(b, 1);
  b->data[b->len++] = c;
  b->data[b->len] = 0;
}

void rt_buf_int(RtBuf *b, int64_t i) {
  static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                              "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                              "8081828384858687888990919293949596979899";
  uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
  size_t n = u < 10 ? 1 : u < 100 ? 2 : u < 1000 ? 3 : u < 10000 ? 4 : 5; /* digits, counted first: */
  for (uint64_t x = u / 100000; x; x /= 10)                               /* written in place, last first */
    n++;
  size_t len = n + (i < 0);
  if (b->len + len + 1 > b->cap)
    rt_buf_grow(b, len);
  char *p = b->data + b->len + len;
  *p = 0;
  while (u >= 100) { /* two digits a division */
    p -= 2;
    memcpy(p, pairs + 2 * (u % 100), 2);
    u /= 100;
  }
  if (u >= 10) {
    p -= 2;
    memcpy(p, pairs + 2 * u, 2);
  } else {
    *--p = (char)('0' + u);
  }
  if (i < 0)
    *--p = '-';
  b->len += len;
}

void rt_buf_printf(RtBuf *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  if (b->len + (size_t)n + 1 > b->cap)
    rt_buf_grow(b, (size_t)n);
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

/* ---- RtIndex ---- */

/* FNV-1a from a per-process basis, then murmur3's finalizer: the low bits
 * that pick a slot depend on every bit of the key, and keys cannot be chosen
 * in advance to collide (an inventory of crafted host names would otherwise
 * make every lookup a scan). AT_RANDOM is 16 bytes the kernel gives each
 * process; the basis is read once and is the same for every thread. */
uint32_t rt_hash(const char *s, size_t n) {
  static uint32_t basis;
  uint32_t h = __atomic_load_n(&basis, __ATOMIC_RELAXED);
  if (!h) {
    const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
    h = 2166136261u ^ (r ? (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16 |
                               (uint32_t)r[3] << 24
                         : 0);
    h |= 1; /* never 0, the "not read yet" mark */
    __atomic_store_n(&basis, h, __ATOMIC_RELAXED);
  }
  for (size_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)s[i]) * 16777619u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* The slot holding `key`, or the empty slot where it would go. */
static size_t ix_slot(const RtIndex *ix, const char *key, size_t len, RtIndexKeyFn kf,
                      const void *ctx) {
  size_t mask = ix->cap - 1;
  for (size_t i = rt_hash(key, len) & mask;; i = (i + 1) & mask) {
    uint32_t e = ix->slots[i];
    if (e == 0)
      return i;
    size_t klen;
    const char *k = kf(ctx, e - 1, &klen);
    if (klen == len && memcmp(k, key, len) == 0)
      return i;
  }
}

int64_t rt_index_find(const RtIndex *ix, const char *key, size_t len, RtIndexKeyFn kf,
                      const void *ctx) {
  if (ix->cap == 0)
    return -1;
  uint32_t e = ix->slots[ix_slot(ix, key, len, kf, ctx)];
  return e ? (int64_t)e - 1 : -1;
}

static void ix_place(RtIndex *ix, uint32_t pos, RtIndexKeyFn kf, const void *ctx) {
  size_t len;
  const char *k = kf(ctx, pos, &len);
  ix->slots[ix_slot(ix, k, len, kf, ctx)] = pos + 1;
}

void rt_index_add(RtIndex *ix, uint32_t pos, RtIndexKeyFn kf, const void *ctx) {
  RT_ASSERT(pos < UINT32_MAX - 1);
  if ((size_t)(ix->n + 1) * 2 > ix->cap) { /* keep the load under 1/2 */
    RtIndex old = *ix;
    ix->cap = old.cap ? old.cap * 2 : 8;
    ix->slots = rt_xcalloc(ix->cap, sizeof *ix->slots);
    for (size_t i = 0; i < old.cap; i++)
      if (old.slots[i])
        ix_place(ix, old.slots[i] - 1, kf, ctx);
    free(old.slots);
  }
  ix_place(ix, pos, kf, ctx);
  ix->n++;
}

void rt_index_rebuild(RtIndex *ix, uint32_t n, RtIndexKeyFn kf, const void *ctx) {
  rt_index_free(ix);
  for (uint32_t i = 0; i < n; i++)
    rt_index_add(ix, i, kf, ctx);
}

void rt_index_remove(RtIndex *ix, uint32_t pos, RtIndexKeyFn kf, const void *ctx) {
  if (ix->cap == 0)
    return;
  size_t len, mask = ix->cap - 1;
  const char *k = kf(ctx, pos, &len);
  size_t i = ix_slot(ix, k, len, kf, ctx);
  if (ix->slots[i] != pos + 1)
    return;
  ix->slots[i] = 0;
  ix->n--;
  /* backward shift: an entry after the hole moves into it unless its home
   * slot lies cyclically in (hole, entry], so every probe chain stays whole */
  for (size_t j = (i + 1) & mask; ix->slots[j]; j = (j + 1) & mask) {
    const char *kj = kf(ctx, ix->slots[j] - 1, &len);
    size_t home = rt_hash(kj, len) & mask;
    if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
      continue;
    ix->slots[i] = ix->slots[j];
    ix->slots[j] = 0;
    i = j;
  }
}

void rt_index_free(RtIndex *ix) {
  free(ix->slots);
  memset(ix, 0, sizeof *ix);
}
