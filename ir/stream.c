/*
 * stream.c — `playc --plan` a task at a time. The lowering (structure.c)
 * hands each top-level task or block of a play's pre_tasks, tasks and
 * post_tasks here once it is lowered; it is typed, folded, verified and
 * printed at once, then its IR (the task arena, PcCtx.task) is dropped. So
 * the plan of a big playbook holds one task's IR at a time, plus what
 * outlives tasks: frames, compiled template files, names.
 *
 * The plan must be the bytes the whole-program printer gives, so:
 *  - The plan goes to an unlinked temporary file in parts, and reaches the
 *    output only when no error was counted (a later task's error leaves no
 *    partial plan). Parts are written in lowering order and copied out in
 *    plan order: a play's head (its keywords are lowered after its tasks)
 *    and each section's flush_handlers block are places kept for later.
 *  - The diagnostics of the passes are held apart (one buffer per pass)
 *    and written after the lowering's, as the whole-program passes run
 *    after the whole lowering; a pass is skipped where the whole program's
 *    would not run (after lowering errors, fold and verify after type
 *    errors).
 *  - What cannot be planned part by part stops the stream (ir_stream_aborted)
 *    and the caller plans the whole program instead: a YAML node shared by
 *    tasks (its IR would outlive its task), handlers or notify met in a task,
 *    or a root the printer reaches from two parts (its shared-expression
 *    naming counts references over the whole program).
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct StreamSeg {
  long off, len; /* in the temporary file; off -1: a place not filled yet */
} StreamSeg;

struct IrStream {
  PcCtx *c;
  bool json;
  FILE *spill;
  IrPrinter *pr;
  StreamSeg *segs;
  int32_t nsegs, capsegs;
  bool merge; /* the last part is items the next items can extend */
  FILE *diag_err;   /* c->diag_out when the stream began */
  FILE *diag[3];    /* lowering, types, fold and verify */
  char *dbuf[3];
  size_t dlen[3];
  int errs[3];      /* errors counted in each */
  int32_t passed;   /* roots [0, passed) went through the passes */
  bool aborted;
  int32_t play_head;   /* the place of the current play's head */
  int32_t pre_items;   /* items of the current play's pre_tasks */
  int32_t flush_pre;   /* the place of pre_tasks' flush_handlers */
};

static void stream_room(IrStream *st) {
  if (st->nsegs < st->capsegs)
    return;
  st->capsegs = st->capsegs ? st->capsegs * 2 : 64;
  st->segs = realloc(st->segs, sizeof *st->segs * (size_t)st->capsegs);
  PC_ASSERT(st->segs);
}

/* Notes bytes [off, pos) of the file as the next part; `items` may be
 * extended by the next items written right after them. */
static void stream_part(IrStream *st, long off, bool items) {
  long len = ir_printer_pos(st->pr) - off;
  StreamSeg *last = st->nsegs ? &st->segs[st->nsegs - 1] : NULL;
  if (items && st->merge && last && last->off + last->len == off) {
    last->len += len;
    return;
  }
  stream_room(st);
  st->segs[st->nsegs++] = (StreamSeg){off, len};
  st->merge = items;
}

int32_t ir_stream_reserve(IrStream *st, int32_t section) {
  stream_room(st);
  st->segs[st->nsegs] = (StreamSeg){-1, 0};
  st->merge = false;
  if (section == 0)
    st->flush_pre = st->nsegs;
  return st->nsegs++;
}

static void stream_fill_at(IrStream *st, int32_t at, long off) {
  st->segs[at] = (StreamSeg){off, ir_printer_pos(st->pr) - off};
  st->merge = false;
}

IrStream *ir_stream_new(PcCtx *c, bool json) {
  IrStream *st = calloc(1, sizeof *st);
  PC_ASSERT(st);
  st->c = c;
  st->json = json;
  st->spill = tmpfile();
  for (int i = 0; i < 3; i++)
    st->diag[i] = open_memstream(&st->dbuf[i], &st->dlen[i]);
  if (!st->spill || !st->diag[0] || !st->diag[1] || !st->diag[2]) {
    ir_stream_free(st);
    return NULL;
  }
  st->pr = ir_printer_new(c, json, st->spill);
  st->diag_err = c->diag_out;
  c->diag_out = st->diag[0];
  ir_stream_reserve(st, -1); /* the program's head, printed at the end */
  return st;
}

void ir_stream_free(IrStream *st) {
  if (!st)
    return;
  if (st->diag_err)
    st->c->diag_out = st->diag_err;
  for (int i = 0; i < 3; i++) {
    if (st->diag[i])
      fclose(st->diag[i]);
    free(st->dbuf[i]);
  }
  if (st->spill)
    fclose(st->spill);
  ir_printer_free(st->pr);
  free(st->segs);
  free(st);
}

bool ir_stream_aborted(const IrStream *st) { return st->aborted; }

bool ir_stream_fits(const FePlaybook *pb) {
  for (int i = 0; i < pb->nplays; i++)
    if (pb->plays[i]->nroles || pb->plays[i]->kw[FE_KW_FORCE_HANDLERS])
      return false;
  return true;
}

/* The passes over the roots made since the last call, as the whole
 * program's would run them: types after a lowering without errors, fold
 * and verify after types without errors. */
static void stream_passes(IrStream *st, IrLower *l) {
  PcCtx *c = st->c;
  IrProgram *p = l->p;
  int32_t from = st->passed, to = p->nroots;
  st->passed = to;
  int lowering = c->nerrors - st->errs[1] - st->errs[2];
  if (lowering || from == to)
    return;
  int before = c->nerrors;
  c->diag_out = st->diag[1];
  ir_infer_types_range(c, p, from, to);
  st->errs[1] += c->nerrors - before;
  if (!st->errs[1]) {
    before = c->nerrors;
    c->diag_out = st->diag[2];
    ir_fold_range(c, p, from, to);
    ir_verify_range(c, p, (int32_t[2]){from, to}, (int32_t[2]){0, 0}, (int32_t[2]){0, 0});
    st->errs[2] += c->nerrors - before;
  }
  c->diag_out = st->diag[0];
}

void ir_stream_play_begin(IrStream *st, IrLower *l, const IrScope *scope) {
  (void)l;
  ir_printer_play_frame(st->pr, scope);
  st->play_head = ir_stream_reserve(st, -1);
  st->pre_items = 0;
}

/* Whether the next `n` items of a play's list come first in it (JSON's
 * comma): only pre_tasks' can, as a flush_handlers block ends each section. */
static bool stream_first(IrStream *st, int32_t section, int32_t n) {
  bool first = section == 0 && st->pre_items == 0;
  if (section == 0)
    st->pre_items += n;
  return first;
}

void ir_stream_block(IrStream *st, IrLower *l, const IrBlock *b, int32_t section, bool open) {
  stream_passes(st, l); /* the block's frame, made before its tasks */
  bool first = open && stream_first(st, section, 1);
  long off = ir_printer_pos(st->pr);
  ir_printer_block(st->pr, l->p, b, first, open);
  stream_part(st, off, true);
  if (ir_printer_mixed(st->pr))
    l->stream_abort = true;
}

void ir_stream_items(IrStream *st, IrLower *l, void *const *items, int32_t from, int32_t n, IrStreamWindow w) {
  PcCtx *c = st->c;
  IrProgram *p = l->p;
  p->tasks = (IrTask **)l->tasks.items;
  p->ntasks = l->tasks.len;
  p->blocks = (IrBlock **)l->blocks.items;
  p->nblocks = l->blocks.len;
  stream_passes(st, l);
  if (!c->nerrors) /* the structure of the window's tasks and blocks */
    ir_verify_range(c, p, (int32_t[2]){0, 0}, (int32_t[2]){w.tasks_from, p->ntasks},
                    (int32_t[2]){w.blocks_from, p->nblocks});
  bool first = w.depth == 1 ? stream_first(st, w.section, n - from) : w.first;
  long off = ir_printer_pos(st->pr);
  ir_printer_items(st->pr, p, items + from, n - from, first, w.depth);
  stream_part(st, off, true);
  if (ir_printer_mixed(st->pr))
    l->stream_abort = true;
  for (int32_t i = w.tasks_from; i < l->tasks.len; i++) /* dropped below: never read again */
    l->tasks.items[i] = NULL;
  pc_task_reset(c);
}

void ir_stream_fill(IrStream *st, IrLower *l, int32_t at, const IrItem *it) {
  long off = ir_printer_pos(st->pr);
  void *item = (void *)it;
  ir_printer_items(st->pr, l->p, &item, 1, at == st->flush_pre && st->pre_items == 0, 1);
  stream_fill_at(st, at, off);
}

void ir_stream_play_end(IrStream *st, IrLower *l, int32_t play) {
  stream_passes(st, l);
  long off = ir_printer_pos(st->pr);
  ir_printer_play_head(st->pr, l->p, play);
  stream_fill_at(st, st->play_head, off);
  off = ir_printer_pos(st->pr);
  ir_printer_play_tail(st->pr, l->p, play);
  stream_part(st, off, false);
  if (ir_printer_mixed(st->pr))
    l->stream_abort = true;
}

void ir_stream_end(IrStream *st, IrLower *l) {
  if (l->stream_abort) {
    st->aborted = true;
    return;
  }
  stream_passes(st, l);
  if (!st->c->nerrors)
    ir_verify_frames(st->c, l->p);
  long off = ir_printer_pos(st->pr);
  ir_printer_head(st->pr, l->p);
  stream_fill_at(st, 0, off);
  off = ir_printer_pos(st->pr);
  ir_printer_tail(st->pr, l->p);
  stream_part(st, off, false);
  st->aborted = ir_printer_mixed(st->pr);
}

/* Copies the parts, in plan order, to `to`. */
static bool stream_copy(IrStream *st, FILE *to) {
  if (!ir_printer_flush(st->pr))
    return false;
  int fd = fileno(st->spill);
  char buf[65536];
  for (int32_t i = 0; i < st->nsegs; i++) {
    const StreamSeg *g = &st->segs[i];
    PC_ASSERT(g->off >= 0);
    for (long done = 0; done < g->len;) {
      size_t want = (size_t)(g->len - done) < sizeof buf ? (size_t)(g->len - done) : sizeof buf;
      ssize_t got = pread(fd, buf, want, (off_t)(g->off + done));
      if (got <= 0 || fwrite(buf, 1, (size_t)got, to) != (size_t)got)
        return false;
      done += got;
    }
  }
  return true;
}

int ir_stream_finish(IrStream *st, IrProgram *p, FILE *diag, FILE *to, bool *write_ok) {
  (void)p;
  PcCtx *c = st->c;
  *write_ok = true;
  c->diag_out = st->diag_err;
  for (int i = 0; i < 3; i++)
    fflush(st->diag[i]);
  int lowering = c->nerrors - st->errs[1] - st->errs[2];
  fwrite(st->dbuf[0], 1, st->dlen[0], diag);
  if (lowering)
    return 4;
  fwrite(st->dbuf[1], 1, st->dlen[1], diag);
  if (st->errs[1])
    return 4;
  fwrite(st->dbuf[2], 1, st->dlen[2], diag);
  *write_ok = stream_copy(st, to) && fflush(to) == 0;
  return *write_ok ? 0 : 4;
}
