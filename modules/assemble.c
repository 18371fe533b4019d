/*
 * assemble.c — ansible.builtin.assemble: one file made of the fragments of
 * a folder, in name order, with a delimiter between them.
 *
 * remote_src (the default) is the module's way: request 1 lists the folder
 * on the target and returns every entry's name, kind and (for a file, a
 * link to one followed) body in base64 records; the controller keeps those
 * the regexp and ignore_hidden let through, joins them as the module does
 * (a newline after a fragment that lacks one, the delimiter with Python's
 * escapes undone between fragments) and hands the text to edit.c, which
 * reads the destination (request 2) and writes it back with backup,
 * validate and the file attributes only when something differs (request 3).
 * remote_src: false is the action's way: the folder is embedded at compile
 * time, assembled on the controller and written by copy's path
 * (mod_copy_body), as the action hands its temp file to the copy module.
 * Check mode skips the task, as the action (which does not support it) does.
 */
#include "mod.h"

static const ModParam assemble_params[] = {
    {.name = "src", .type = MP_PATH}, /* required: the action says so its way */
    {.name = "dest", .type = MP_PATH},
    {.name = "delimiter", .type = MP_STR},
    {.name = "backup", .type = MP_BOOL, .def = "no"},
    {.name = "remote_src", .type = MP_BOOL, .def = "yes"},
    {.name = "regexp", .type = MP_STR},
    {.name = "ignore_hidden", .type = MP_BOOL, .def = "no"},
    {.name = "validate", .type = MP_STR},
    {.name = "decrypt", .type = MP_BOOL, .def = "yes"},
    {.name = "follow", .type = MP_BOOL, .def = "no"},
    MOD_FILE_COMMON_PARAMS,
};
const ModSchema mod_schema_assemble = {
    .name = "assemble",
    .params = assemble_params,
    .nparams = MOD_N(assemble_params),
    .tools = "base64",
    .check_mode = true, /* the module skips the task itself, with the action's message */
    .diff_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One fragment: its name and body (borrowed). */
typedef struct Frag {
  const char *name;
  const char *data;
  size_t len;
} Frag;

/* codecs.escape_decode of `s` (len bytes) into `out`: Python's bytes
 * escapes undone; an unknown escape keeps its backslash. */
static void escape_decode(const char *s, size_t len, RtBuf *out) {
  static const char plain[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
  for (size_t i = 0; i < len; i++) {
    if (s[i] != '\\' || i + 1 == len) {
      rt_buf_putc(out, s[i]);
      continue;
    }
    char c = s[++i];
    const char *p = NULL;
    for (size_t k = 0; k + 1 < sizeof plain; k += 2)
      if (plain[k] == c)
        p = &plain[k + 1];
    if (p) {
      rt_buf_putc(out, *p);
    } else if (c == '\n') { /* a line continuation: nothing */
    } else if (c >= '0' && c <= '7') {
      int v = c - '0';
      for (int n = 1; n < 3 && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '7'; n++)
        v = v * 8 + (s[++i] - '0');
      rt_buf_putc(out, (char)(v & 0xff));
    } else if (c == 'x' && i + 2 < len && strchr("0123456789abcdefABCDEF", s[i + 1]) && s[i + 1] &&
               strchr("0123456789abcdefABCDEF", s[i + 2]) && s[i + 2]) {
      char hex[3] = {s[i + 1], s[i + 2], 0};
      rt_buf_putc(out, (char)strtol(hex, NULL, 16));
      i += 2;
    } else {
      rt_buf_putc(out, '\\');
      rt_buf_putc(out, c);
    }
  }
}

/* The assembled text of `frags` (in order) into `out`, as
 * assemble_from_fragments writes it. The delimiter is decoded again before
 * each use, as the module reassigns it; `always_nl` is the action's test
 * (bytes[-1] != b'\n', always true on Python 3). */
static void join_frags(const Frag *frags, size_t n, const char *delimiter, bool always_nl, RtBuf *out) {
  RtBuf delim = {0};
  if (delimiter)
    rt_buf_add(&delim, delimiter, strlen(delimiter));
  bool add_newline = false;
  for (size_t i = 0; i < n; i++) {
    if (add_newline)
      rt_buf_putc(out, '\n');
    if (i > 0 && delimiter && *delimiter) {
      RtBuf d = {0};
      escape_decode(delim.data ? delim.data : "", delim.len, &d);
      rt_buf_free(&delim);
      delim = d;
      rt_buf_add(out, delim.data ? delim.data : "", delim.len);
      if (always_nl || !delim.len || delim.data[delim.len - 1] != '\n')
        rt_buf_putc(out, '\n');
    }
    rt_buf_add(out, frags[i].data, frags[i].len);
    add_newline = !(frags[i].len && frags[i].data[frags[i].len - 1] == '\n');
  }
  if (!out->data)
    rt_buf_add(out, "", 0);
  rt_buf_free(&delim);
}

static int frag_cmp(const void *a, const void *b) {
  return strcmp(((const Frag *)a)->name, ((const Frag *)b)->name);
}

/* Hex digest of `data` with `md` into `hex` (>= 2 * EVP_MAX_MD_SIZE + 1). */
static void digest_hex(const EVP_MD *md, const char *data, size_t len, char *hex) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data, len, d, &n, md, NULL);
  for (unsigned int i = 0; i < n; i++)
    sprintf(hex + 2 * i, "%02x", d[i]);
  hex[2 * n] = 0;
}

/* Does fragment `name` pass the regexp (search) and ignore_hidden? */
static bool frag_wanted(ModRe *re, const char *name, bool ignore_hidden) {
  ModReMatch m;
  if (re && !mod_re_search(re, name, strlen(name), 0, false, &m))
    return false;
  return !(ignore_hidden && name[0] == '.');
}

static RtValue *skipped(const char *msg) {
  RtValue *r = rt_dict_new(3);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "skipped", rt_bool(true));
  rt_dict_set(r, "msg", rt_strz(msg));
  return r;
}

/* ---- remote_src: false (the action) ---------------------------------------------- */

/* mod_copy_body answers an unchanged file as copy's action does (the file
 * module's keys); assemble's action always runs the copy module, which
 * answers with dest, src (the body's temp file: playc sent none, so the
 * name of one beside dest) and md5sum. */
static void copy_module_keys(RtValue *r, const RtBuf *text) {
  RtValue *pv = rt_dict_get(r, "path");
  const char *path = pv && rt_kind(pv) == RT_STR ? pv->u.str.s : "";
  const char *slash = strrchr(path, '/');
  char rnd[25], md5[2 * EVP_MAX_MD_SIZE + 1];
  rt_random_hex(rnd, 12);
  char *tmp = slash ? rt_xasprintf("%.*s/.playc-tmp-%s", (int)(slash - path), path, rnd)
                    : rt_xasprintf(".playc-tmp-%s", rnd);
  rt_dict_set(r, "src", rt_str_take(tmp, strlen(tmp)));
  digest_hex(EVP_md5(), text->data, text->len, md5);
  rt_dict_set(r, "md5sum", rt_strz(md5));
  rt_dict_del(r, "path");
}

/* The embedded file a link entry stands for (os.path.isfile follows it), or
 * the entry itself; NULL when it is not a file in the end. */
static const RtFileDef *as_file(RtHost *h, const RtFileDef *f) {
  if (S_ISLNK(f->mode)) {
    const char *real = (const char *)f->data + strlen((const char *)f->data) + 1;
    const RtProgram *p = h->run->prog;
    for (int32_t k = 0; k < p->nfiles; k++)
      if (!strcmp(p->files[k].name, real))
        return S_ISREG(p->files[k].mode) ? &p->files[k] : NULL;
    return NULL;
  }
  return S_ISREG(f->mode) ? f : NULL;
}

static RtValue *assemble_local(RtHost *h, RtValue *args, const char *src, const char *delimiter, ModRe *re,
                               bool ignore_hidden) {
  const RtFileDef *top = rt_find_file(h, src);
  if (!top)
    return rt_file_not_found(h, "files", src);
  if (!S_ISDIR(top->mode)) {
    char *abs = rt_abspath(h->run, top->name);
    RtValue *r = mod_fail_result("Source (%s) is not a directory", abs);
    free(abs);
    return r;
  }
  const RtProgram *p = h->run->prog;
  size_t tl = strlen(top->name), n = 0;
  Frag *frags = rt_xmalloc(sizeof *frags * (size_t)(p->nfiles + 1));
  RtValue *plains = rt_list_new(4), *r = NULL;
  bool decrypt = mod_arg_bool(args, "decrypt", 1) != 0;
  for (int32_t i = 0; i < p->nfiles && !r; i++) {
    const char *name = p->files[i].name;
    if (strncmp(name, top->name, tl) != 0 || name[tl] != '/' || strchr(name + tl + 1, '/'))
      continue; /* not directly in the folder */
    const RtFileDef *f = as_file(h, &p->files[i]);
    if (!f || !frag_wanted(re, name + tl + 1, ignore_hidden))
      continue;
    RtValue *plain = decrypt ? rt_file_plain(h, f) : NULL;
    if (plain && rt_is_error(plain)) {
      r = mod_fail_result("%s", plain->u.err.msg);
      rt_decref(plain);
      break;
    }
    frags[n].name = name + tl + 1;
    frags[n].data = plain ? plain->u.str.s : (const char *)f->data;
    frags[n].len = plain ? plain->u.str.len : (size_t)f->size;
    n++;
    if (plain)
      rt_list_push(plains, plain);
  }
  if (!r) {
    qsort(frags, n, sizeof *frags, frag_cmp);
    RtBuf text = {0};
    join_frags(frags, n, delimiter, true, &text);
    /* the copy module's arguments: the task's, less the assemble ones */
    RtValue *cargs = rt_dict_new(args->u.dict.len);
    static const char *const drop[] = {"remote_src", "regexp", "delimiter", "ignore_hidden", "decrypt", "src"};
    for (size_t i = 0; i < args->u.dict.len; i++) {
      const char *k = args->u.dict.ents[i].key->u.str.s;
      bool keep = true;
      for (size_t d = 0; d < sizeof drop / sizeof *drop; d++)
        keep &= strcmp(k, drop[d]) != 0;
      if (keep)
        rt_dict_set(cargs, k, rt_incref(args->u.dict.ents[i].val));
    }
    r = mod_copy_body(h, cargs, text.data, text.len, "src");
    rt_decref(cargs);
    if (r && !rt_dict_get(r, "failed") && rt_dict_get(r, "path"))
      copy_module_keys(r, &text);
    rt_buf_free(&text);
  }
  rt_decref(plains);
  free(frags);
  return r;
}

/* ---- remote_src: true (the module) ------------------------------------------------- */

/* Request 1: src expanded, checked, and its entries with their bodies. */
static void list_script(RtBuf *s, const char *src) {
  mod_sh_set_path(s, "src", src);
  rt_buf_puts(s, "__playc_rec src \"$src\"\n"
                 "[ -e \"$src\" ] || { __playc_rec fail nosrc; exit 0; }\n"
                 "[ -d \"$src\" ] || { __playc_rec fail notdir; exit 0; }\n"
                 "for f in \"$src\"/* \"$src\"/.*; do\n"
                 "  case ${f##*/} in .|..) continue;; esac\n"
                 "  [ -e \"$f\" ] || [ -L \"$f\" ] || continue\n"
                 "  __playc_rec 'n[]' \"${f##*/}\"\n"
                 "  if [ ! -f \"$f\" ]; then __playc_rec 'k[]' o; __playc_rec 'b[]' ''\n"
                 "  elif b=$(base64 < \"$f\"); then __playc_rec 'k[]' f; __playc_rec 'b[]' \"$b\"\n"
                 "  else __playc_rec 'k[]' u; __playc_rec 'b[]' ''; fi\n"
                 "done\n");
}

static const char *list_at(RtValue *l, size_t i) {
  RtValue *v = l && rt_kind(l) == RT_LIST && i < rt_len(l) ? rt_list_at(l, i) : NULL;
  return v && rt_kind(v) == RT_STR ? v->u.str.s : "";
}

/* The fragments request 1 found, filtered and decoded into `bodies` (one
 * RtBuf each), sorted; NULL with *fail when one cannot be read. */
static Frag *remote_frags(const RtExec *ex, ModRe *re, bool ignore_hidden, RtBuf **bodies, size_t *n,
                          RtValue **fail) {
  RtValue *names = rt_dict_get(ex->rec, "n"), *kinds = rt_dict_get(ex->rec, "k"),
          *b64 = rt_dict_get(ex->rec, "b");
  size_t cnt = names && rt_kind(names) == RT_LIST ? rt_len(names) : 0;
  Frag *frags = rt_xmalloc(sizeof *frags * (cnt + 1));
  *bodies = rt_xmalloc(sizeof **bodies * (cnt + 1));
  memset(*bodies, 0, sizeof **bodies * (cnt + 1));
  *n = 0;
  for (size_t i = 0; i < cnt; i++) {
    const char *name = list_at(names, i), *kind = list_at(kinds, i), *body = list_at(b64, i);
    if (strcmp(kind, "o") == 0 || !frag_wanted(re, name, ignore_hidden))
      continue;
    RtBuf *b = &(*bodies)[*n];
    if (strcmp(kind, "f") != 0 || !mod_unbase64(body, strlen(body), b)) {
      *fail = mod_fail_result("[Errno 13] Permission denied: '%s/%s'", mod_rec(ex, "src"), name);
      break;
    }
    frags[*n].name = name;
    frags[*n].data = b->data;
    frags[*n].len = b->len;
    (*n)++;
  }
  qsort(frags, *n, sizeof *frags, frag_cmp);
  return frags;
}

static RtValue *assemble_remote(RtHost *h, RtValue *args, const char *src, const char *dest, const char *delimiter,
                                const char *regexp, bool ignore_hidden) {
  RtBuf s = {0};
  mod_sh_need(&s, "base64");
  list_script(&s, src);
  RtExec ex;
  if (mod_sh_exec(h, &s, &ex) < 0)
    return NULL;
  RtValue *r = mod_tool_failure(&ex);
  ModRe *re = NULL;
  Frag *frags = NULL;
  RtBuf *bodies = NULL, text = {0};
  size_t n = 0;
  char *validate = mod_arg_str(args, "validate"), *rerr = NULL;
  const char *xsrc = mod_rec(&ex, "src") ? mod_rec(&ex, "src") : src;
  ModEdit e;
  mod_edit_init(&e, h, args);
  if (r)
    goto done;
  if (mod_rec_is(&ex, "fail", "nosrc") || mod_rec_is(&ex, "fail", "notdir")) {
    r = mod_fail_result(mod_rec_is(&ex, "fail", "nosrc") ? "Source (%s) does not exist"
                                                          : "Source (%s) is not a directory",
                        xsrc);
    goto done;
  }
  if (ex.rc != 0) {
    r = mod_fail_result("%s", ex.err.len ? ex.err.data : "could not read the fragments");
    goto done;
  }
  if (regexp && !(re = mod_re_compile(regexp, strlen(regexp), 0, true, &rerr))) {
    r = mod_fail_result("Invalid Regexp (%s) in \"%s\"", rerr, regexp);
    goto done;
  }
  if (validate && *validate && !strstr(validate, "%s")) {
    r = mod_fail_result("validate must contain %%s: %s", validate);
    goto done;
  }
  frags = remote_frags(&ex, re, ignore_hidden, &bodies, &n, &r);
  if (r)
    goto done;
  join_frags(frags, n, delimiter, false, &text);
  if (mod_edit_read(h, &e, dest, &r) < 0 || r)
    goto done;
  if (e.kind == MOD_EDIT_DIR) {
    r = mod_fail_result("attempted to take checksum of directory: %s", e.path);
    goto done;
  }
  bool exists = e.kind != MOD_EDIT_ABSENT;
  bool content_changed = !exists || e.unreadable || e.data.len != text.len ||
                         memcmp(e.data.data ? e.data.data : "", text.data, text.len) != 0;
  bool attrs_changed = false;
  char *backup_file = NULL;
  r = mod_edit_write(h, &e, text.data, text.len, content_changed, false, NULL, &attrs_changed, &backup_file);
  if (r || rt_host_lost(h)) {
    free(backup_file);
    goto done;
  }
  char sha1[2 * EVP_MAX_MD_SIZE + 1], md5[2 * EVP_MAX_MD_SIZE + 1];
  digest_hex(EVP_sha1(), text.data, text.len, sha1);
  digest_hex(EVP_md5(), text.data, text.len, md5);
  r = rt_dict_new(16);
  rt_dict_set(r, "src", rt_strz(xsrc));
  rt_dict_set(r, "dest", rt_strz(e.path));
  rt_dict_set(r, "checksum", rt_strz(sha1));
  rt_dict_set(r, "md5sum", rt_strz(md5));
  if (content_changed && validate && *validate) { /* the validator's output is not kept */
    RtValue *v = rt_dict_new(3);
    rt_dict_set(v, "rc", rt_int(0));
    rt_dict_set(v, "stdout", rt_strz(""));
    rt_dict_set(v, "stderr", rt_strz(""));
    rt_dict_set(r, "validation", v);
  }
  if (backup_file)
    rt_dict_set(r, "backup_file", rt_str_take(backup_file, strlen(backup_file)));
  rt_dict_set(r, "changed", rt_bool(content_changed || attrs_changed));
  rt_dict_set(r, "msg", rt_strz("OK"));
  for (size_t i = 0; e.stat && i < e.stat->u.dict.len; i++)
    rt_dict_set(r, e.stat->u.dict.ents[i].key->u.str.s, rt_incref(e.stat->u.dict.ents[i].val));
done:
  for (size_t i = 0; bodies && i < n + 1; i++)
    rt_buf_free(&bodies[i]);
  free(bodies);
  free(frags);
  rt_buf_free(&text);
  mod_re_free(re);
  free(rerr);
  free(validate);
  mod_edit_free(&e);
  rt_exec_free(&ex);
  return r;
}

RtValue *mod_assemble(RtHost *h, RtValue *args) {
  if (h->check_mode)
    return skipped("check mode is not supported for this task.");
  char *src = mod_arg_str(args, "src"), *dest = mod_arg_str(args, "dest");
  char *delimiter = mod_arg_str(args, "delimiter"), *regexp = mod_arg_str(args, "regexp");
  bool ignore_hidden = mod_arg_bool(args, "ignore_hidden", 0) == 1;
  RtValue *r = NULL;
  if (!src || !dest) {
    r = mod_fail_result("src and dest are required");
  } else if (mod_arg_bool(args, "remote_src", 1) != 0) {
    r = assemble_remote(h, args, src, dest, delimiter, regexp, ignore_hidden);
  } else {
    char *err = NULL;
    ModRe *re = regexp ? mod_re_compile(regexp, strlen(regexp), 0, true, &err) : NULL;
    if (regexp && !re)
      r = mod_fail_result("%s", err);
    else
      r = assemble_local(h, args, src, delimiter, re, ignore_hidden);
    mod_re_free(re);
    free(err);
  }
  free(src);
  free(dest);
  free(delimiter);
  free(regexp);
  return r;
}

#endif
