/*
 * blockinfile.c — the blockinfile module: a block of lines between two
 * marker lines, inserted, replaced or removed, as Ansible's module does it
 * on the file's bytes (insertafter/insertbefore are Python regexps,
 * searched line by line or, when the pattern turns MULTILINE on, over the
 * whole text). Computed on the controller; the file is read in one request
 * and written back atomically, through a symlink, only when it changes
 * (edit.c).
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam blockinfile_params[] = {
    {.name = "path", .type = MP_PATH, .required = true, .aliases = "dest,destfile,name"},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "marker", .type = MP_STR, .def = "# {mark} ANSIBLE MANAGED BLOCK"},
    {.name = "block", .type = MP_STR, .aliases = "content", .def = ""},
    {.name = "insertafter", .type = MP_STR},
    {.name = "insertbefore", .type = MP_STR},
    {.name = "create", .type = MP_BOOL, .def = "no"},
    {.name = "backup", .type = MP_BOOL, .def = "no"},
    {.name = "validate", .type = MP_STR},
    {.name = "marker_begin", .type = MP_STR, .def = "BEGIN"},
    {.name = "marker_end", .type = MP_STR, .def = "END"},
    MOD_FILE_COMMON_PARAMS,
};
const ModSchema mod_schema_blockinfile = {
    .name = "blockinfile",
    .params = blockinfile_params,
    .nparams = MOD_N(blockinfile_params),
    .free_form = true,
    .exclusive = "insertbefore,insertafter",
    .tools = "stat,base64,id,cp,date,mv,chmod,chown,chgrp,mkdir,realpath",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

typedef struct Line {
  const char *s;
  size_t len;
} Line;

typedef struct Lines {
  Line *v;
  size_t n, cap;
} Lines;

static void push(Lines *l, const char *s, size_t len) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->v = rt_xrealloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = (Line){s, len};
}

/* bytes.splitlines(True): \n, \r\n and \r end lines */
static void split_lines(Lines *l, const char *s, size_t len) {
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\n' || s[i] == '\r') {
      size_t end = s[i] == '\r' && i + 1 < len && s[i + 1] == '\n' ? i + 2 : i + 1;
      push(l, s + start, end - start);
      start = end;
      i = end - 1;
    }
  }
  if (start < len)
    push(l, s + start, len - start);
}

static bool eq(const Line *l, const char *s, size_t len) { return l->len == len && memcmp(l->s, s, len) == 0; }

/* re.sub(b'{mark}', mark, marker) + b'\n' (the replacement's escapes apply) */
static char *marker_line(const char *marker, const char *mark, size_t *len, char **err) {
  ModRe *re = mod_re_compile("{mark}", 6, 0, false, err);
  if (!re)
    return NULL;
  long n;
  size_t ml;
  char *m = mod_re_subn(re, marker, strlen(marker), mark, strlen(mark), &ml, &n, err);
  mod_re_free(re);
  if (!m)
    return NULL;
  char *out = rt_xmalloc(ml + 2);
  memcpy(out, m, ml);
  out[ml] = '\n';
  out[ml + 1] = 0;
  free(m);
  *len = ml + 1;
  return out;
}

/* to_native(original).count('\n', 0, end): `end` counts characters of the
 * decoded text (a byte offset used as one, as Ansible does) */
static size_t count_newlines(const char *s, size_t len, size_t end) {
  size_t n = 0, chars = 0;
  for (size_t i = 0; i < len && chars < end; chars++) {
    unsigned char c = (unsigned char)s[i];
    size_t w = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    for (size_t k = 1; k < w; k++)
      if (i + k >= len || ((unsigned char)s[i + k] & 0xC0) != 0x80)
        w = 1; /* not UTF-8: one character per byte (surrogateescape) */
    if (c == '\n')
      n++;
    i += w;
  }
  return n;
}

static RtValue *content_diff(const char *path) {
  RtValue *d = rt_dict_new(4);
  char *h = rt_xasprintf("%s (content)", path);
  rt_dict_set(d, "before", rt_strz(""));
  rt_dict_set(d, "after", rt_strz(""));
  rt_dict_set(d, "before_header", rt_strz(h));
  rt_dict_set(d, "after_header", rt_strz(h));
  free(h);
  return d;
}

RtValue *mod_blockinfile(RtHost *h, RtValue *args) {
  char *path = mod_arg_str(args, "path"), *state = mod_arg_str(args, "state");
  char *marker = mod_arg_str(args, "marker"), *block = mod_arg_str(args, "block");
  char *after = mod_arg_str(args, "insertafter"), *before = mod_arg_str(args, "insertbefore");
  char *mb = mod_arg_str(args, "marker_begin"), *me = mod_arg_str(args, "marker_end");
  bool create = mod_arg_bool(args, "create", 0) == 1;
  bool present = !state || strcmp(state, "present") == 0;
  ModEdit e;
  mod_edit_init(&e, h, args);
  RtValue *r = NULL, *fail = NULL;
  ModRe *insertre = NULL;
  char *err = NULL, *m0 = NULL, *m1 = NULL, *backup = NULL, *result = NULL;
  RtBuf blk = {0};
  Lines lines = {0}, blocklines = {0}, out = {0};
  if (mod_edit_read(h, &e, path, &fail) < 0)
    goto done;
  if (fail) {
    r = fail;
    goto done;
  }
  if (e.kind == MOD_EDIT_DIR) {
    r = mod_fail_result("Path %s is a directory !", e.path);
    rt_dict_set(r, "rc", rt_int(256));
    goto done;
  }
  bool exists = e.kind != MOD_EDIT_ABSENT;
  if (!exists && !create) {
    r = mod_fail_result("Path %s does not exist !", e.path);
    rt_dict_set(r, "rc", rt_int(257));
    goto done;
  }
  if (exists && e.unreadable) {
    RtBuf b = {0};
    rt_buf_puts(&b, "[Errno 13] Permission denied: ");
    mod_py_bytes_repr(&b, e.path);
    r = mod_fail_result("%s", b.data);
    rt_buf_free(&b);
    goto done;
  }
  const char *original = exists ? (e.data.data ? e.data.data : "") : NULL;
  size_t olen = exists ? e.data.len : 0;
  if (exists)
    split_lines(&lines, original, olen);
  RtValue *diff = content_diff(e.path);
  if (e.diff && original && olen)
    rt_dict_set(diff, "before", rt_str(original, olen));
  if (!present && !exists) {
    rt_decref(diff);
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(false));
    char *msg = rt_xasprintf("File %s not present", e.path);
    rt_dict_set(r, "msg", rt_str_take(msg, strlen(msg)));
    goto done;
  }
  if (!before && !after) {
    after = rt_xstrdup("EOF");
  }
  const char *ins = after && strcmp(after, "EOF") ? after : before && strcmp(before, "BOF") ? before : NULL;
  if (ins && !(insertre = mod_re_compile(ins, strlen(ins), 0, false, &err))) {
    rt_decref(diff);
    r = mod_fail_result("%s could not be compiled as a Python regular expression: %s",
                        after ? "insertafter" : "insertbefore", err);
    goto done;
  }
  size_t l0, l1;
  m0 = marker_line(marker ? marker : "# {mark} ANSIBLE MANAGED BLOCK", mb ? mb : "BEGIN", &l0, &err);
  m1 = m0 ? marker_line(marker ? marker : "# {mark} ANSIBLE MANAGED BLOCK", me ? me : "END", &l1, &err) : NULL;
  if (!m1) {
    rt_decref(diff);
    r = mod_fail_result("%s", err);
    goto done;
  }
  if (present && block && *block) {
    rt_buf_puts(&blk, block);
    if (blk.data[blk.len - 1] != '\n')
      rt_buf_putc(&blk, '\n');
    push(&blocklines, m0, l0);
    split_lines(&blocklines, blk.data, blk.len);
    push(&blocklines, m1, l1);
  }
  long n0 = -1, n1 = -1;
  for (size_t i = 0; i < lines.n; i++) {
    if (eq(&lines.v[i], m0, l0))
      n0 = (long)i;
    if (eq(&lines.v[i], m1, l1))
      n1 = (long)i;
  }
  /* the lines, with the old block taken out, and where the new one goes */
  for (size_t i = 0; i < lines.n; i++)
    push(&out, lines.v[i].s, lines.v[i].len);
  long at;
  if (n0 < 0 || n1 < 0) {
    at = -1;
    if (insertre) {
      if (mod_re_flags(insertre) & MOD_RE_MULTILINE) {
        ModReMatch m;
        if (original && mod_re_search(insertre, original, olen, 0, false, &m))
          at = (long)count_newlines(original, olen, after ? m.ov[1] : m.ov[0]);
      } else {
        ModReMatch m;
        for (size_t i = 0; i < lines.n; i++)
          if (mod_re_search(insertre, lines.v[i].s, lines.v[i].len, 0, false, &m))
            at = (long)i;
      }
      if (at < 0)
        at = (long)lines.n;
      else if (after)
        at++;
    } else if (before) {
      at = 0; /* insertbefore=BOF */
    } else {
      at = (long)lines.n; /* insertafter=EOF */
    }
  } else {
    long lo = n0 < n1 ? n0 : n1, hi = n0 < n1 ? n1 : n0;
    memmove(out.v + lo, out.v + hi + 1, (out.n - (size_t)hi - 1) * sizeof *out.v);
    out.n -= (size_t)(hi - lo + 1);
    at = lo;
  }
  /* a line separator before the block */
  RtBuf fixed = {0};
  if (at > 0) {
    Line *prev = &out.v[at - 1];
    if (!prev->len || prev->s[prev->len - 1] != '\n') {
      rt_buf_add(&fixed, prev->s, prev->len);
      rt_buf_putc(&fixed, '\n');
      prev->s = fixed.data;
      prev->len = fixed.len;
    }
  }
  RtBuf res = {0};
  rt_buf_add(&res, "", 0);
  for (long i = 0; i < at; i++)
    rt_buf_add(&res, out.v[i].s, out.v[i].len);
  for (size_t i = 0; i < blocklines.n; i++)
    rt_buf_add(&res, blocklines.v[i].s, blocklines.v[i].len);
  for (size_t i = (size_t)at; i < out.n; i++)
    rt_buf_add(&res, out.v[i].s, out.v[i].len);
  size_t rlen = res.len;
  result = rt_buf_take(&res);
  rt_buf_free(&fixed);
  if (e.diff)
    rt_dict_set(diff, "after", rt_str(result, rlen));
  bool changed = true;
  const char *msg;
  if (original && olen == rlen && memcmp(original, result, rlen) == 0) {
    msg = "";
    changed = false;
  } else if (!original) {
    msg = "File created";
  } else if (!blocklines.n) {
    msg = "Block removed";
  } else {
    msg = "Block inserted";
  }
  if (e.check && !exists) {
    r = rt_dict_new(4);
    rt_dict_set(r, "changed", rt_bool(changed));
    rt_dict_set(r, "msg", rt_strz(msg));
    rt_dict_set(r, "diff", diff);
    goto done;
  }
  RtValue *attr_diff = rt_dict_new(4);
  bool attrs = false;
  fail = mod_edit_write(h, &e, result, rlen, changed, true, attr_diff, &attrs, &backup);
  if (fail || rt_host_lost(h)) {
    rt_decref(diff);
    rt_decref(attr_diff);
    r = fail;
    goto done;
  }
  char *m = attrs ? rt_xasprintf("%s%sownership, perms or SE linux context changed", msg, changed ? " and " : "")
                  : rt_xstrdup(msg);
  changed |= attrs;
  char *hdr = rt_xasprintf("%s (file attributes)", e.path);
  rt_dict_set(attr_diff, "before_header", rt_strz(hdr));
  rt_dict_set(attr_diff, "after_header", rt_strz(hdr));
  free(hdr);
  RtValue *difflist = rt_list_new(2);
  rt_list_push(difflist, diff);
  rt_list_push(difflist, attr_diff);
  r = rt_dict_new(5);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
  rt_dict_set(r, "diff", difflist);
  if (backup)
    rt_dict_set(r, "backup_file", rt_strz(backup));
done:
  mod_re_free(insertre);
  mod_edit_free(&e);
  free(lines.v);
  free(blocklines.v);
  free(out.v);
  rt_buf_free(&blk);
  free(err);
  free(m0);
  free(m1);
  free(backup);
  free(result);
  free(path);
  free(state);
  free(marker);
  free(block);
  free(after);
  free(before);
  free(mb);
  free(me);
  return r;
}

#endif
