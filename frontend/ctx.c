/*
 * ctx.c — the compilation context: a block arena that owns every allocation of
 * a compilation, the containers (vector, hash map, string builder), the one
 * bounded file reader, and located diagnostics printed in the chibicc style
 * (`file:line:col: error: msg`, the source line, a caret under the column).
 * Errors are counted, never fatal, so one run reports them all; the same
 * diagnostic twice is printed once.
 */
#include "frontend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PC_ARENA_FIRST ((size_t)65536)
#define PC_ARENA_BLOCK ((size_t)1 << 20)

struct PcArenaBlock {
  PcArenaBlock *next;
  size_t used, cap;
  size_t mapped; /* bytes mmap'ed for the block (0: calloc'ed) */
  max_align_t data[];
};

/* A block of `size` bytes of fresh zero pages straight from mmap, or NULL.
 * calloc would do the same only while glibc's mmap threshold is below the
 * size; that threshold grows when big chunks are freed (the scratch arena
 * frees some), and then calloc clears heap memory with memset, once more
 * for pages the kernel has just zeroed. */
static PcArenaBlock *pc_arena_map(size_t size) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  PcArenaBlock *b = p;
  b->mapped = size;
  return b;
}

static void pc_arena_free(PcArenaBlock *b) {
  if (b->mapped)
    munmap(b, b->mapped);
  else
    free(b);
}

void pc_ctx_init(PcCtx *c) {
  memset(c, 0, sizeof *c);
  c->diag_out = stderr;
}

void pc_ctx_free(PcCtx *c) {
  for (PcArenaBlock *b = c->arena, *n; b; b = n) {
    n = b->next;
    pc_arena_free(b);
  }
  for (PcArenaBlock *b = c->scratch, *n; b; b = n) {
    n = b->next;
    pc_arena_free(b);
  }
  for (PcArenaBlock *b = c->task, *n; b; b = n) {
    n = b->next;
    pc_arena_free(b);
  }
  c->task = NULL;
  for (int i = 0; i < c->nsources; i++)
    if (c->sources[i].heap)
      free((char *)c->sources[i].text);
  free(c->sources);
  c->scratch = NULL;
  c->arena = NULL;
  c->sources = NULL;
}

static void *pc_arena_alloc(PcArenaBlock **arena, size_t n) {
  /* 8-byte alignment: the widest type anything in the arena holds (pointers,
   * int64_t, double); max_align_t's 16 would pad every IrExpr and string */
  n = (n + 7) & ~(size_t)7;
  PcArenaBlock *b = *arena;
  if (!b || b->cap - b->used < n) {
    /* The first block is small (the run-time evaluator makes a context per
     * value it templates); the next ones are 1 MiB of fresh zero pages
     * (pc_arena_map), each costing memory only once it is touched. */
    size_t block = b ? PC_ARENA_BLOCK : PC_ARENA_FIRST;
    size_t cap = n > block ? n : block;
    b = cap >= PC_ARENA_BLOCK ? pc_arena_map(sizeof *b + cap) : NULL;
    if (!b)
      b = calloc(1, sizeof *b + cap);
    if (!b)
      pc_panic(__FILE__, __LINE__, "out of memory");
    b->cap = cap;
    b->next = *arena;
    *arena = b;
  }
  void *p = (char *)b->data + b->used;
  b->used += n;
  return p;
}

void *pc_alloc(PcCtx *c, size_t n) { return pc_arena_alloc(&c->arena, n); }

void *pc_alloc_ast(PcCtx *c, size_t n) { return pc_arena_alloc(c->ast_scratch ? &c->scratch : &c->arena, n); }

void *pc_alloc_ir(PcCtx *c, size_t n) { return pc_arena_alloc(c->task_on ? &c->task : &c->arena, n); }

/* Frees every block of `*arena` but the first (oldest), which is cleared. */
static void pc_arena_reset(PcArenaBlock **arena) {
  PcArenaBlock *b = *arena;
  if (!b)
    return;
  while (b->next) { /* the first (oldest) block stays */
    PcArenaBlock *n = b->next;
    pc_arena_free(b);
    b = n;
  }
  memset(b->data, 0, b->used);
  b->used = 0;
  *arena = b;
}

void pc_scratch_reset(PcCtx *c) { pc_arena_reset(&c->scratch); }

void pc_task_reset(PcCtx *c) { pc_arena_reset(&c->task); }

static void pc_arena_swap(PcCtx *c) {
  PcArenaBlock *a = c->arena;
  c->arena = c->task;
  c->task = a;
  c->arena_is_task = !c->arena_is_task;
}

void pc_task_arena_enter(PcCtx *c) {
  if (c->task_on && !c->arena_is_task)
    pc_arena_swap(c);
}

void pc_task_arena_leave(PcCtx *c) {
  if (c->arena_is_task)
    pc_arena_swap(c);
}

char *pc_strndup(PcCtx *c, const char *s, size_t n) {
  char *p = pc_alloc(c, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *pc_strdup(PcCtx *c, const char *s) { return pc_strndup(c, s, strlen(s)); }

const char *pc_intern(PcCtx *c, const char *s, size_t n) {
  const char *p = pc_map_get(&c->names, s, n);
  if (p)
    return p;
  p = pc_strndup(c, s, n);
  pc_map_put(c, &c->names, p, n, (void *)p);
  return p;
}

char *pc_sprintf(PcCtx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = pc_alloc(c, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void pc_vec_push(PcCtx *c, PcVec *v, void *item) {
  if (v->len == v->cap) {
    int32_t cap = v->cap ? v->cap * 2 : 4;
    void **items = pc_alloc(c, sizeof(void *) * (size_t)cap);
    if (v->len)
      memcpy(items, v->items, sizeof(void *) * (size_t)v->len);
    v->items = items;
    v->cap = cap;
  }
  v->items[v->len++] = item;
}

void pc_vec_sort(PcVec *v, int (*cmp)(const void *, const void *)) {
  if (v->len > 1)
    qsort(v->items, (size_t)v->len, sizeof *v->items, cmp);
}

/* ---- hash map ---------------------------------------------------------------- */

static uint64_t pc_hash(const void *key, size_t len) {
  if (len == PC_MAP_PTR) { /* splitmix64 of the address */
    uint64_t x = (uint64_t)(uintptr_t)key + 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
  }
  uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ ((const unsigned char *)key)[i]) * 0x100000001b3u;
  return h;
}

static bool pc_key_eq(const PcMapEnt *e, const void *key, size_t len) {
  if (e->len != len)
    return false;
  return len == PC_MAP_PTR ? e->key == key : memcmp(e->key, key, len) == 0;
}

/* The slot holding `key`, or the empty slot where it would go. */
static PcMapEnt *pc_map_slot(const PcMap *m, const void *key, size_t len) {
  uint32_t mask = m->cap - 1;
  for (uint32_t i = (uint32_t)pc_hash(key, len) & mask;; i = (i + 1) & mask) {
    PcMapEnt *e = &m->ents[i];
    if (!e->key || pc_key_eq(e, key, len))
      return e;
  }
}

void *pc_map_get(const PcMap *m, const void *key, size_t len) {
  if (!m->cap)
    return NULL;
  PcMapEnt *e = pc_map_slot(m, key, len);
  return e->key ? e->val : NULL;
}

void pc_map_put(PcCtx *c, PcMap *m, const void *key, size_t len, void *val) {
  if (!key)
    key = ""; /* an empty slot is one with no key */
  if ((m->len + 1) * 4 >= m->cap * 3) { /* keep the load under 3/4 */
    PcMap grown = {0};
    grown.cap = m->cap ? m->cap * 2 : 16;
    grown.ents = pc_alloc(c, sizeof(PcMapEnt) * grown.cap);
    for (uint32_t i = 0; i < m->cap; i++)
      if (m->ents[i].key)
        *pc_map_slot(&grown, m->ents[i].key, m->ents[i].len) = m->ents[i];
    grown.len = m->len;
    *m = grown;
  }
  PcMapEnt *e = pc_map_slot(m, key, len);
  if (!e->key)
    m->len++;
  e->key = key;
  e->len = len;
  e->val = val;
}

void *pc_map_get_ptr(const PcMap *m, const void *key) { return pc_map_get(m, key, PC_MAP_PTR); }

void pc_map_put_ptr(PcCtx *c, PcMap *m, const void *key, void *val) {
  PC_ASSERT(key != NULL);
  pc_map_put(c, m, key, PC_MAP_PTR, val);
}

/* ---- string builder ------------------------------------------------------------ */

void pc_buf_add(PcCtx *c, PcBuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *p = pc_alloc(c, cap);
    if (b->len)
      memcpy(p, b->s, b->len);
    b->s = p;
    b->cap = cap;
  }
  if (n)
    memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

void pc_buf_adds(PcCtx *c, PcBuf *b, const char *s) { pc_buf_add(c, b, s, strlen(s)); }

const char *pc_buf_str(const PcBuf *b) { return b->s ? b->s : ""; }

/* ---- files ----------------------------------------------------------------------- */

/* Reads `fd` to its end, refusing more than `max` bytes: *text gets a
 * malloc'ed, NUL-terminated buffer the caller frees. */
static int pc_read_fd(int fd, size_t max, size_t hint, char **text, size_t *len) {
  size_t cap = hint < max ? hint + 1 : max + 1, n = 0;
  if (cap < 4096)
    cap = max + 1 < 4096 ? max + 1 : 4096;
  char *buf = malloc(cap);
  if (!buf)
    return ENOMEM;
  for (;;) {
    if (n == cap) {
      if (cap > max) {
        free(buf);
        return PC_READ_TOO_BIG;
      }
      size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
      char *nb = realloc(buf, ncap);
      if (!nb) {
        free(buf);
        return ENOMEM;
      }
      buf = nb, cap = ncap;
    }
    ssize_t k = read(fd, buf + n, cap - n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0) {
      int err = errno;
      free(buf);
      return err;
    }
    if (k == 0)
      break;
    n += (size_t)k;
  }
  if (n > max) {
    free(buf);
    return PC_READ_TOO_BIG;
  }
  buf[n] = '\0'; /* n < cap: a full buffer grows before the next read */
  *text = buf;
  *len = n;
  return 0;
}

/* pc_read_file into a malloc'ed buffer (*text, the caller frees it);
 * *regular tells whether `path` was a regular file (one that can be read
 * again to the same bytes, unlike a pipe). */
static int pc_read_path(const char *path, size_t max, bool regular_only, char **text, size_t *len,
                        bool *regular) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (regular_only ? O_NONBLOCK : 0));
  if (fd < 0)
    return errno;
  struct stat st;
  int err = 0;
  if (fstat(fd, &st) != 0)
    err = errno;
  else if (S_ISDIR(st.st_mode))
    err = PC_READ_FOLDER;
  else if (regular_only && !S_ISREG(st.st_mode))
    err = PC_READ_NOT_REGULAR;
  else if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
    err = PC_READ_TOO_BIG;
  else
    err = pc_read_fd(fd, max, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, text, len);
  *regular = err == 0 && S_ISREG(st.st_mode);
  close(fd);
  return err;
}

int pc_read_file(PcCtx *c, const char *path, size_t max, bool regular_only, const char **text,
                 size_t *len) {
  char *buf = NULL;
  bool regular = false;
  int err = pc_read_path(path, max, regular_only, &buf, len, &regular);
  if (err)
    return err;
  *text = pc_strndup(c, buf, *len);
  free(buf);
  return 0;
}

const char *pc_read_strerror(PcCtx *c, int err, size_t max) {
  switch (err) {
  case PC_READ_FOLDER: return "is a folder";
  case PC_READ_NOT_REGULAR: return "is not a regular file";
  case PC_READ_CHANGED: return "changed while playc was reading it";
  case PC_READ_TOO_BIG:
    return pc_sprintf(c, "is larger than the %zu MiB playc reads", max >> 20);
  default: return strerror(err);
  }
}

static PcSource *pc_source_new(PcCtx *c, const char *path, const char *text, size_t len) {
  if (c->nsources == c->capsources) {
    c->capsources = c->capsources ? c->capsources * 2 : 4;
    PcSource *s = realloc(c->sources, sizeof(PcSource) * (size_t)c->capsources);
    if (!s)
      pc_panic(__FILE__, __LINE__, "out of memory");
    c->sources = s;
  }
  PcSource *s = &c->sources[c->nsources++];
  *s = (PcSource){0};
  s->path = pc_strdup(c, path);
  s->text = text;
  s->len = len;
  s->pinned = true;
  return s;
}

const PcSource *pc_add_source(PcCtx *c, const char *path, const char *text, size_t len) {
  return pc_source_new(c, path, pc_strndup(c, text, len), len);
}

/* FNV-1a over the bytes: tells a re-read file from the one first read. */
static uint64_t pc_text_hash(const char *s, size_t n) {
  uint64_t h = 14695981039346656037u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211u;
  return h;
}

PcSource *pc_read_source(PcCtx *c, const char *path, int *err) {
  PcSource *known = pc_find_source(c, path);
  if (known) {
    *err = pc_source_text(known) ? 0 : PC_READ_CHANGED;
    return *err ? NULL : known;
  }
  char *text = NULL;
  size_t len = 0;
  bool regular = false;
  *err = pc_read_path(path, PC_MAX_SOURCE_BYTES, false, &text, &len, &regular);
  if (*err)
    return NULL;
  if (!regular) { /* a pipe cannot be read again: its text stays in the arena */
    PcSource *s = pc_source_new(c, path, pc_strndup(c, text, len), len);
    free(text);
    return s;
  }
  PcSource *s = pc_source_new(c, path, text, len);
  s->pinned = false;
  s->heap = true;
  s->hash = pc_text_hash(text, len);
  return s;
}

void pc_source_drop(PcSource *s) {
  if (s->pinned || !s->text)
    return;
  free((char *)s->text);
  s->text = NULL;
}

const char *pc_source_text(PcSource *s) {
  if (s->text)
    return s->text;
  char *text = NULL;
  size_t len = 0;
  bool regular = false;
  if (pc_read_path(s->path, PC_MAX_SOURCE_BYTES, false, &text, &len, &regular) != 0)
    return NULL;
  if (!regular || len != s->len || pc_text_hash(text, len) != s->hash) {
    free(text);
    return NULL;
  }
  s->text = text;
  return text;
}

PcSource *pc_find_source(PcCtx *c, const char *path) {
  for (int i = 0; path && i < c->nsources; i++)
    if (strcmp(c->sources[i].path, path) == 0)
      return &c->sources[i];
  return NULL;
}

const char *pc_source_line(PcCtx *c, PcSource *s, int32_t i, size_t *len, int32_t *count) {
  if (!pc_source_text(s)) { /* dropped, and the file changed since: no lines to show */
    *count = 0;
    return NULL;
  }
  if (!s->line_starts) {
    int32_t n = 0;
    for (size_t k = 0; k < s->len; k++)
      n += s->text[k] == '\n';
    n += s->len > 0 && s->text[s->len - 1] != '\n'; /* a last line without newline */
    s->line_starts = pc_alloc(c, sizeof *s->line_starts * ((size_t)n + 1));
    int32_t l = 0;
    for (size_t k = 0; k < s->len; k++)
      if (k == 0 || s->text[k - 1] == '\n')
        s->line_starts[l++] = k;
    s->line_starts[n] = s->len;
    s->nlines = n;
  }
  *count = s->nlines;
  if (i < 0 || i >= s->nlines)
    return NULL;
  *len = s->line_starts[i + 1] - s->line_starts[i];
  return s->text + s->line_starts[i];
}

/* Prints the source line of `loc` and a caret under its column; a long line
 * is shown as a window around the column, so output stays proportional to
 * the number of diagnostics, not to their lines' length. */
static void pc_print_caret(PcCtx *c, PcLoc loc) {
  enum { WIDTH = 160, BEFORE = 80 };
  PcSource *s = pc_find_source(c, loc.file);
  if (!s || loc.line <= 0)
    return;
  size_t n = 0;
  int32_t count;
  const char *p = pc_source_line(c, s, loc.line - 1, &n, &count);
  if (!p)
    return;
  if (n && p[n - 1] == '\n')
    n--;
  size_t col = loc.col > 0 ? (size_t)loc.col - 1 : 0, from = 0;
  if (n > WIDTH && col > BEFORE)
    from = col - BEFORE < n - WIDTH ? col - BEFORE : n - WIDTH;
  size_t len = n - from > WIDTH ? WIDTH : n - from;
  const char *pre = from ? "..." : "", *post = from + len < n ? "..." : "";
  fprintf(c->diag_out, "%s%.*s%s\n", pre, (int)len, p + from, post);
  fprintf(c->diag_out, "%*s^\n", (int)(col - from + strlen(pre)), "");
}

/* Prints a diagnostic unless the same one was printed before; false if so. */
static bool pc_verror_in(PcCtx *c, PcLoc loc, const char *kind, const char *fmt, va_list ap);

/* A diagnostic's text and its key in c->diags live as long as the context,
 * even when made while pc_alloc uses the task arena. */
static bool pc_verror_at(PcCtx *c, PcLoc loc, const char *kind, const char *fmt, va_list ap) {
  bool swapped = c->arena_is_task;
  if (swapped)
    pc_arena_swap(c);
  bool printed = pc_verror_in(c, loc, kind, fmt, ap);
  if (swapped)
    pc_arena_swap(c);
  return printed;
}

static bool pc_verror_in(PcCtx *c, PcLoc loc, const char *kind, const char *fmt, va_list ap) {
  va_list aq;
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  char *msg = pc_alloc(c, (size_t)(n > 0 ? n : 0) + 1);
  vsnprintf(msg, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
  const char *key = pc_sprintf(c, "%s:%d:%d:%s:%s", loc.file ? loc.file : "", loc.line, loc.col, kind, msg);
  if (pc_map_get(&c->diags, key, strlen(key)))
    return false;
  pc_map_put(c, &c->diags, key, strlen(key), (void *)key);
  if (loc.line > 0)
    fprintf(c->diag_out, "%s:%d:%d: %s: ", loc.file, loc.line, loc.col, kind);
  else
    fprintf(c->diag_out, "%s: %s: ", loc.file ? loc.file : "playc", kind);
  fputs(msg, c->diag_out);
  fputc('\n', c->diag_out);
  pc_print_caret(c, loc);
  return true;
}

void pc_error_at(PcCtx *c, PcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pc_verror_at(c, loc, "error", fmt, ap);
  va_end(ap);
  c->nerrors++; /* counted even when printed before: the compilation fails */
}

void pc_warn_at(PcCtx *c, PcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (pc_verror_at(c, loc, "warning", fmt, ap))
    c->nwarnings++;
  va_end(ap);
}

void pc_fault_at(PcCtx *c, PcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = pc_strdup(c, "");
  va_list cp;
  va_copy(cp, ap);
  int n = vsnprintf(NULL, 0, fmt, cp);
  va_end(cp);
  if (n > 0) {
    msg = pc_alloc(c, (size_t)n + 1);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
  }
  va_end(ap);
  if (c->strict)
    pc_error_at(c, loc, "%s", msg);
  else
    pc_warn_at(c, loc, "%s (reported when the task runs, as Ansible does)", msg);
}

void pc_error(PcCtx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(c->diag_out, "playc: error: ");
  vfprintf(c->diag_out, fmt, ap);
  fputc('\n', c->diag_out);
  va_end(ap);
  c->nerrors++;
}

_Noreturn void pc_panic(const char *file, int line, const char *what) {
  fprintf(stderr, "playc: internal error at %s:%d: %s\n", file, line, what);
  abort();
}
