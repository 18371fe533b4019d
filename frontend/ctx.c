/*
 * ctx.c — the compilation context: a block arena that owns every allocation of
 * a compilation, small string helpers, and located diagnostics printed in the
 * chibicc style (`file:line:col: error: msg`, the source line, a caret under
 * the column). Errors are counted, never fatal, so one run reports them all.
 */
#include "frontend.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct PcArenaBlock {
  PcArenaBlock *next;
  size_t used, cap;
  max_align_t data[];
};

void pc_ctx_init(PcCtx *c) {
  memset(c, 0, sizeof *c);
  c->diag_out = stderr;
}

void pc_ctx_free(PcCtx *c) {
  for (PcArenaBlock *b = c->arena, *n; b; b = n) {
    n = b->next;
    free(b);
  }
  free(c->sources);
  c->arena = NULL;
  c->sources = NULL;
}

void *pc_alloc(PcCtx *c, size_t n) {
  n = (n + 15) & ~(size_t)15;
  PcArenaBlock *b = c->arena;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    b = calloc(1, sizeof *b + cap);
    if (!b)
      pc_panic(__FILE__, __LINE__, "out of memory");
    b->cap = cap;
    b->next = c->arena;
    c->arena = b;
  }
  void *p = (char *)b->data + b->used;
  b->used += n;
  return p;
}

char *pc_strndup(PcCtx *c, const char *s, size_t n) {
  char *p = pc_alloc(c, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *pc_strdup(PcCtx *c, const char *s) { return pc_strndup(c, s, strlen(s)); }

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
    int32_t cap = v->cap ? v->cap * 2 : 8;
    void **items = pc_alloc(c, sizeof(void *) * (size_t)cap);
    if (v->len)
      memcpy(items, v->items, sizeof(void *) * (size_t)v->len);
    v->items = items;
    v->cap = cap;
  }
  v->items[v->len++] = item;
}

const PcSource *pc_read_source(PcCtx *c, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t k;
  while (buf && (k = fread(buf + len, 1, cap - len, f)) > 0) {
    len += k;
    if (len == cap)
      buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (!buf)
    return NULL;
  char *text = pc_strndup(c, buf, len);
  free(buf);
  if (c->nsources == c->capsources) {
    c->capsources = c->capsources ? c->capsources * 2 : 4;
    c->sources = realloc(c->sources, sizeof(PcSource) * (size_t)c->capsources);
  }
  PcSource *s = &c->sources[c->nsources++];
  *s = (PcSource){0};
  s->path = pc_strdup(c, path);
  s->text = text;
  s->len = len;
  return s;
}

PcSource *pc_find_source(PcCtx *c, const char *path) {
  for (int i = 0; path && i < c->nsources; i++)
    if (strcmp(c->sources[i].path, path) == 0)
      return &c->sources[i];
  return NULL;
}

const char *pc_source_line(PcCtx *c, PcSource *s, int32_t i, size_t *len, int32_t *count) {
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

/* Prints the source line of `loc` and a caret under its column. */
static void pc_print_caret(PcCtx *c, PcLoc loc) {
  const PcSource *s = pc_find_source(c, loc.file);
  if (!s || loc.line <= 0)
    return;
  const char *p = s->text;
  for (int l = 1; l < loc.line && p; l++) {
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  if (!p)
    return;
  const char *e = strchr(p, '\n');
  int n = e ? (int)(e - p) : (int)strlen(p);
  fprintf(c->diag_out, "%.*s\n", n, p);
  int col = loc.col > 0 ? loc.col : 1;
  fprintf(c->diag_out, "%*s^\n", col - 1, "");
}

static void pc_verror_at(PcCtx *c, PcLoc loc, const char *kind, const char *fmt, va_list ap) {
  if (loc.line > 0)
    fprintf(c->diag_out, "%s:%d:%d: %s: ", loc.file, loc.line, loc.col, kind);
  else
    fprintf(c->diag_out, "%s: %s: ", loc.file ? loc.file : "playc", kind);
  vfprintf(c->diag_out, fmt, ap);
  fputc('\n', c->diag_out);
  pc_print_caret(c, loc);
}

void pc_error_at(PcCtx *c, PcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pc_verror_at(c, loc, "error", fmt, ap);
  va_end(ap);
  c->nerrors++;
}

void pc_warn_at(PcCtx *c, PcLoc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pc_verror_at(c, loc, "warning", fmt, ap);
  va_end(ap);
  c->nwarnings++;
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
