/*
 * difflib.c — the text `--diff` prints: Ansible's CallbackBase._get_diff over
 * a module's `diff` (a dict or a list of them), with Python's
 * difflib.unified_diff computed as difflib computes it (SequenceMatcher with
 * autojunk: the longest matching block first, elements more frequent than 1%
 * of a 200+ line "after" left out of the index but matched when extending),
 * so that the hunks are the ones ansible-playbook -D prints, byte for byte.
 * Lines are split as Python's str.splitlines(True) splits them.
 */
#include "rt.h"

#include <stdlib.h>
#include <string.h>

typedef struct Line {
  const char *s;
  size_t len;
} Line;

typedef struct Lines {
  Line *v;
  size_t n, cap;
} Lines;

static void lines_push(Lines *l, const char *s, size_t len) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->v = rt_xrealloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = (Line){s, len};
}

/* str.splitlines(True) on UTF-8 text: \n \r \r\n \v \f \x1c \x1d \x1e U+0085
 * U+2028 U+2029 end lines. */
static void split_lines(Lines *l, const char *s, size_t len) {
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    size_t end = 0;
    if (c == '\n' || c == '\v' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e)
      end = i + 1;
    else if (c == '\r')
      end = i + 1 < len && s[i + 1] == '\n' ? i + 2 : i + 1;
    else if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] == 0x85)
      end = i + 2;
    else if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
             ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9))
      end = i + 3;
    if (end) {
      lines_push(l, s + start, end - start);
      start = end;
      i = end - 1;
    }
  }
  if (start < len)
    lines_push(l, s + start, len - start);
}

static bool line_eq(const Line *a, const Line *b) {
  return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

/* ---- SequenceMatcher ------------------------------------------------------------ */

typedef struct Matcher {
  const Lines *a, *b;
  int *bid;        /* per b line: its element id */
  int *aid;        /* per a line: the id of an equal b line, or -1 */
  int **b2j;       /* per id: b indexes (ascending), NULL for popular ids */
  size_t *nb2j;
  size_t nids;
  size_t *j2len[2], *stamp[2];
} Matcher;

typedef struct Match {
  size_t a, b, size;
} Match;

static const char *line_key(const void *ctx, uint32_t pos, size_t *len) {
  const Line *l = &((const Line *)ctx)[pos];
  *len = l->len;
  return l->s;
}

static void matcher_init(Matcher *m, const Lines *a, const Lines *b) {
  memset(m, 0, sizeof *m);
  m->a = a;
  m->b = b;
  /* distinct b lines get ids, in order of first appearance */
  Line *firsts = rt_xcalloc(b->n + 1, sizeof *firsts);
  RtIndex ix = {0};
  m->bid = rt_xcalloc(b->n + 1, sizeof *m->bid);
  for (size_t j = 0; j < b->n; j++) {
    int64_t id = rt_index_find(&ix, b->v[j].s, b->v[j].len, line_key, firsts);
    if (id < 0) {
      id = (int64_t)m->nids++;
      firsts[id] = b->v[j];
      rt_index_add(&ix, (uint32_t)id, line_key, firsts);
    }
    m->bid[j] = (int)id;
  }
  m->b2j = rt_xcalloc(m->nids + 1, sizeof *m->b2j);
  m->nb2j = rt_xcalloc(m->nids + 1, sizeof *m->nb2j);
  for (size_t j = 0; j < b->n; j++)
    m->nb2j[m->bid[j]]++;
  for (size_t id = 0; id < m->nids; id++)
    m->b2j[id] = rt_xcalloc(m->nb2j[id] + 1, sizeof **m->b2j);
  size_t *fill = rt_xcalloc(m->nids + 1, sizeof *fill);
  for (size_t j = 0; j < b->n; j++)
    m->b2j[m->bid[j]][fill[m->bid[j]]++] = (int)j;
  free(fill);
  if (b->n >= 200) { /* autojunk: popular elements leave the index */
    size_t ntest = b->n / 100 + 1;
    for (size_t id = 0; id < m->nids; id++)
      if (m->nb2j[id] > ntest) {
        free(m->b2j[id]);
        m->b2j[id] = NULL;
        m->nb2j[id] = 0;
      }
  }
  m->aid = rt_xcalloc(a->n + 1, sizeof *m->aid);
  for (size_t i = 0; i < a->n; i++) {
    int64_t id = rt_index_find(&ix, a->v[i].s, a->v[i].len, line_key, firsts);
    m->aid[i] = (int)id;
  }
  rt_index_free(&ix);
  free(firsts);
  for (int k = 0; k < 2; k++) {
    m->j2len[k] = rt_xcalloc(b->n + 1, sizeof(size_t));
    m->stamp[k] = rt_xcalloc(b->n + 1, sizeof(size_t));
  }
}

static void matcher_free(Matcher *m) {
  for (size_t id = 0; id < m->nids; id++)
    free(m->b2j[id]);
  free(m->b2j);
  free(m->nb2j);
  free(m->bid);
  free(m->aid);
  for (int k = 0; k < 2; k++) {
    free(m->j2len[k]);
    free(m->stamp[k]);
  }
}

/* find_longest_match(alo, ahi, blo, bhi) */
static Match longest(Matcher *m, size_t alo, size_t ahi, size_t blo, size_t bhi) {
  size_t besti = alo, bestj = blo, bestsize = 0;
  /* j2len of row i lives in buffer i % 2, valid where stamp == i + 1 */
  for (size_t i = alo; i < ahi; i++) {
    int cur = (int)(i & 1), prev = cur ^ 1;
    int id = m->aid[i];
    if (id < 0 || !m->b2j[id])
      continue;
    for (size_t t = 0; t < m->nb2j[id]; t++) {
      size_t j = (size_t)m->b2j[id][t];
      if (j < blo)
        continue;
      if (j >= bhi)
        break;
      size_t k = 1;
      if (j > 0 && i > alo && m->stamp[prev][j - 1] == i) /* row i - 1 had j - 1 */
        k = m->j2len[prev][j - 1] + 1;
      m->j2len[cur][j] = k;
      m->stamp[cur][j] = i + 1;
      if (k > bestsize) {
        besti = i - k + 1;
        bestj = j - k + 1;
        bestsize = k;
      }
    }
  }
  const Line *a = m->a->v, *b = m->b->v;
  while (besti > alo && bestj > blo && line_eq(&a[besti - 1], &b[bestj - 1])) {
    besti--;
    bestj--;
    bestsize++;
  }
  while (besti + bestsize < ahi && bestj + bestsize < bhi && line_eq(&a[besti + bestsize], &b[bestj + bestsize]))
    bestsize++;
  /* stamps of this call must not leak into the next one */
  for (int k = 0; k < 2; k++)
    memset(m->stamp[k], 0, (m->b->n + 1) * sizeof(size_t));
  return (Match){besti, bestj, bestsize};
}

static int cmp_match(const void *x, const void *y) {
  const Match *p = x, *q = y;
  if (p->a != q->a)
    return p->a < q->a ? -1 : 1;
  if (p->b != q->b)
    return p->b < q->b ? -1 : 1;
  return p->size < q->size ? -1 : p->size > q->size;
}

/* get_matching_blocks(), ending with (la, lb, 0). */
static Match *matching_blocks(Matcher *m, size_t *count) {
  size_t la = m->a->n, lb = m->b->n;
  typedef struct Range {
    size_t alo, ahi, blo, bhi;
  } Range;
  Range *queue = rt_xmalloc(sizeof *queue * 2 * (la + lb + 2));
  size_t nq = 0, nm = 0;
  Match *blocks = rt_xmalloc(sizeof *blocks * (la + lb + 2));
  queue[nq++] = (Range){0, la, 0, lb};
  while (nq) {
    Range r = queue[--nq];
    Match x = longest(m, r.alo, r.ahi, r.blo, r.bhi);
    if (x.size) {
      blocks[nm++] = x;
      if (r.alo < x.a && r.blo < x.b)
        queue[nq++] = (Range){r.alo, x.a, r.blo, x.b};
      if (x.a + x.size < r.ahi && x.b + x.size < r.bhi)
        queue[nq++] = (Range){x.a + x.size, r.ahi, x.b + x.size, r.bhi};
    }
  }
  free(queue);
  qsort(blocks, nm, sizeof *blocks, cmp_match);
  Match *out = rt_xmalloc(sizeof *out * (nm + 2));
  size_t no = 0;
  Match cur = {0, 0, 0};
  for (size_t t = 0; t < nm; t++) {
    if (cur.a + cur.size == blocks[t].a && cur.b + cur.size == blocks[t].b) {
      cur.size += blocks[t].size;
    } else {
      if (cur.size)
        out[no++] = cur;
      cur = blocks[t];
    }
  }
  if (cur.size)
    out[no++] = cur;
  out[no++] = (Match){la, lb, 0};
  free(blocks);
  *count = no;
  return out;
}

typedef struct Op {
  char tag; /* 'e'qual, 'r'eplace, 'd'elete, 'i'nsert */
  size_t i1, i2, j1, j2;
} Op;

static Op *opcodes(Matcher *m, size_t *count) {
  size_t nb;
  Match *mb = matching_blocks(m, &nb);
  Op *ops = rt_xmalloc(sizeof *ops * (2 * nb + 2));
  size_t n = 0, i = 0, j = 0;
  for (size_t t = 0; t < nb; t++) {
    char tag = 0;
    if (i < mb[t].a && j < mb[t].b)
      tag = 'r';
    else if (i < mb[t].a)
      tag = 'd';
    else if (j < mb[t].b)
      tag = 'i';
    if (tag)
      ops[n++] = (Op){tag, i, mb[t].a, j, mb[t].b};
    i = mb[t].a + mb[t].size;
    j = mb[t].b + mb[t].size;
    if (mb[t].size)
      ops[n++] = (Op){'e', mb[t].a, i, mb[t].b, j};
  }
  free(mb);
  *count = n;
  return ops;
}

/* _format_range_unified */
static void range(RtBuf *out, size_t start, size_t stop) {
  size_t beginning = start + 1, length = stop - start;
  if (length == 1) {
    rt_buf_printf(out, "%zu", beginning);
    return;
  }
  if (!length)
    beginning--;
  rt_buf_printf(out, "%zu,%zu", beginning, length);
}

static void put_lines(RtBuf *out, char prefix, const Lines *l, size_t from, size_t to) {
  for (size_t k = from; k < to; k++) {
    rt_buf_putc(out, prefix);
    rt_buf_add(out, l->v[k].s, l->v[k].len);
  }
}

static void emit_group(RtBuf *out, const Lines *a, const Lines *b, const Op *g, size_t ng) {
  rt_buf_puts(out, "@@ -");
  range(out, g[0].i1, g[ng - 1].i2);
  rt_buf_puts(out, " +");
  range(out, g[0].j1, g[ng - 1].j2);
  rt_buf_puts(out, " @@\n");
  for (size_t t = 0; t < ng; t++) {
    if (g[t].tag == 'e') {
      put_lines(out, ' ', a, g[t].i1, g[t].i2);
      continue;
    }
    if (g[t].tag == 'r' || g[t].tag == 'd')
      put_lines(out, '-', a, g[t].i1, g[t].i2);
    if (g[t].tag == 'r' || g[t].tag == 'i')
      put_lines(out, '+', b, g[t].j1, g[t].j2);
  }
}

/* difflib.unified_diff(a, b, fromfile, tofile, n=n); true when it wrote any line. */
static bool unified_diff(RtBuf *out, const Lines *a, const Lines *b, const char *from, const char *to, size_t n) {
  Matcher m;
  matcher_init(&m, a, b);
  size_t nops;
  Op *ops = opcodes(&m, &nops);
  matcher_free(&m);
  if (!nops) {
    ops[0] = (Op){'e', 0, 1, 0, 1};
    nops = 1;
  }
  if (ops[0].tag == 'e') {
    Op *o = &ops[0];
    o->i1 = o->i2 > o->i1 + n ? o->i2 - n : o->i1;
    o->j1 = o->j2 > o->j1 + n ? o->j2 - n : o->j1;
  }
  if (ops[nops - 1].tag == 'e') {
    Op *o = &ops[nops - 1];
    o->i2 = o->i2 < o->i1 + n ? o->i2 : o->i1 + n;
    o->j2 = o->j2 < o->j1 + n ? o->j2 : o->j1 + n;
  }
  Op *group = rt_xmalloc(sizeof *group * (nops + 1));
  size_t ng = 0;
  bool started = false;
  for (size_t t = 0; t < nops; t++) {
    Op o = ops[t];
    if (o.tag == 'e' && o.i2 - o.i1 > 2 * n) {
      group[ng++] = (Op){'e', o.i1, o.i2 < o.i1 + n ? o.i2 : o.i1 + n, o.j1, o.j2 < o.j1 + n ? o.j2 : o.j1 + n};
      if (!started) {
        rt_buf_printf(out, "--- %s\n+++ %s\n", from, to);
        started = true;
      }
      emit_group(out, a, b, group, ng);
      ng = 0;
      o.i1 = o.i2 > o.i1 + n ? o.i2 - n : o.i1;
      o.j1 = o.j2 > o.j1 + n ? o.j2 - n : o.j1;
    }
    group[ng++] = o;
  }
  if (ng && !(ng == 1 && group[0].tag == 'e')) {
    if (!started) {
      rt_buf_printf(out, "--- %s\n+++ %s\n", from, to);
      started = true;
    }
    emit_group(out, a, b, group, ng);
  }
  free(group);
  free(ops);
  return started;
}

/* ---- the callback's text --------------------------------------------------------- */

/* diff[side] as text: a dict serialised as _serialize_diff does, None as "" */
static char *side_text(const RtValue *v, size_t *len) {
  RtBuf b = {0};
  if (!v || rt_kind(v) == RT_NONE) {
    rt_buf_add(&b, "", 0);
  } else if (rt_kind(v) == RT_DICT) {
    rt_render_json(&b, v, 4, true);
    rt_buf_putc(&b, '\n');
  } else if (rt_kind(v) == RT_STR) {
    rt_buf_add(&b, v->u.str.s, v->u.str.len);
  } else {
    rt_render_str(&b, v);
  }
  if (!b.data)
    rt_buf_add(&b, "", 0);
  *len = b.len;
  return rt_buf_take(&b);
}

/* One diff dict, as _get_diff renders it. */
static void one_diff(RtBuf *out, const RtValue *d) {
  if (rt_kind(d) != RT_DICT)
    return;
  if (rt_dict_get(d, "dst_binary"))
    rt_buf_puts(out, "diff skipped: destination file appears to be binary\n");
  if (rt_dict_get(d, "src_binary"))
    rt_buf_puts(out, "diff skipped: source file appears to be binary\n");
  static const char *const larger[] = {"dst_larger", "destination", "src_larger", "source"};
  for (int k = 0; k < 4; k += 2) {
    const RtValue *v = rt_dict_get(d, larger[k]);
    if (v) {
      rt_buf_printf(out, "diff skipped: %s file size is greater than ", larger[k + 1]);
      rt_render_str(out, v);
      rt_buf_putc(out, '\n');
    }
  }
  const RtValue *before = rt_dict_get(d, "before"), *after = rt_dict_get(d, "after");
  if (before && after) {
    const RtValue *bh = rt_dict_get(d, "before_header"), *ah = rt_dict_get(d, "after_header");
    RtBuf from = {0}, to = {0};
    rt_buf_puts(&from, "before");
    if (bh) {
      rt_buf_puts(&from, ": ");
      rt_render_str(&from, bh);
    }
    rt_buf_puts(&to, "after");
    if (ah) {
      rt_buf_puts(&to, ": ");
      rt_render_str(&to, ah);
    }
    size_t blen, alen;
    char *bt = side_text(before, &blen), *at = side_text(after, &alen);
    /* a last line without a newline gets difflib's marker */
    RtBuf bx = {0}, ax = {0};
    rt_buf_add(&bx, bt, blen);
    rt_buf_add(&ax, at, alen);
    Lines a = {0}, b = {0};
    split_lines(&a, bx.data, bx.len);
    split_lines(&b, ax.data, ax.len);
    RtBuf fixa = {0}, fixb = {0};
    if (a.n && a.v[a.n - 1].s[a.v[a.n - 1].len - 1] != '\n') {
      rt_buf_add(&fixa, a.v[a.n - 1].s, a.v[a.n - 1].len);
      rt_buf_puts(&fixa, "\n\\ No newline at end of file\n");
      a.v[a.n - 1] = (Line){fixa.data, fixa.len};
    }
    if (b.n && b.v[b.n - 1].s[b.v[b.n - 1].len - 1] != '\n') {
      rt_buf_add(&fixb, b.v[b.n - 1].s, b.v[b.n - 1].len);
      rt_buf_puts(&fixb, "\n\\ No newline at end of file\n");
      b.v[b.n - 1] = (Line){fixb.data, fixb.len};
    }
    if (unified_diff(out, &a, &b, from.data, to.data, 3))
      rt_buf_putc(out, '\n');
    free(a.v);
    free(b.v);
    rt_buf_free(&fixa);
    rt_buf_free(&fixb);
    rt_buf_free(&bx);
    rt_buf_free(&ax);
    free(bt);
    free(at);
    rt_buf_free(&from);
    rt_buf_free(&to);
  }
  const RtValue *prepared = rt_dict_get(d, "prepared");
  if (prepared)
    rt_render_str(out, prepared);
}

void rt_diff_text(RtBuf *out, const RtValue *diff) {
  if (rt_kind(diff) == RT_LIST) {
    for (size_t i = 0; i < rt_len(diff); i++)
      one_diff(out, rt_list_at(diff, i));
  } else {
    one_diff(out, diff);
  }
}
