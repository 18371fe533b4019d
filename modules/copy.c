/*
 * copy.c — the copy action and module. A file's body comes from `content`
 * or from `src` embedded in the binary at compile time (a folder is
 * embedded whole: "src: dir/" copies what it holds, "src: dir" the folder
 * itself, as Ansible's _walk_dirs); with `remote_src` it is a file of the
 * target.
 *
 * One file costs one request when it is small: the script (target.c)
 * expands dest, creates the missing folders of a folder copy (with
 * directory_mode), compares the target's SHA-1 with the one computed here
 * and, when equal, applies owner/group/mode as the file module would (the
 * before/after of each goes into the result's diff); otherwise it writes
 * the body (base64 on the request's stdin) to a private temp file beside
 * dest, runs `validate` on it, gives it the old file's mode and owner (or
 * the asked mode) and renames it into place (atomic: a cut connection
 * leaves the old or the new file). A body over INLINE_MAX goes over SFTP
 * into the temp file the first request made and a second request finishes.
 * Check mode stops after the comparison. A folder copies file by file
 * (each as above), then makes its folders and links through the file
 * module, as the action plugin calls it; the result is Ansible's: the last
 * module's for a single file, else {dest, src, changed}.
 */
#include "mod.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam copy_params[] = {
    {.name = "dest", .type = MP_PATH}, /* required: the action says so its way */
    {.name = "src", .type = MP_PATH},
    {.name = "content", .type = MP_STR, .no_log = true},
    {.name = "remote_src", .type = MP_BOOL, .def = "no"},
    {.name = "local_follow", .type = MP_BOOL, .def = "yes"},
    {.name = "decrypt", .type = MP_BOOL, .def = "yes"},
    {.name = "follow", .type = MP_BOOL, .def = "no"},
    {.name = "force", .type = MP_BOOL, .aliases = "thirsty", .def = "yes"},
    {.name = "backup", .type = MP_BOOL, .def = "no"},
    {.name = "validate", .type = MP_STR},
    {.name = "checksum", .type = MP_STR},
    {.name = "directory_mode", .type = MP_RAW},
    MOD_FILE_COMMON_PARAMS,
};
const ModSchema mod_schema_copy = {
    .name = "copy",
    .params = copy_params,
    .nparams = MOD_N(copy_params),
    .free_form = true,
    .tools = "stat,sha1sum,base64,mkdir,mv,chmod,chown,chgrp,cp,date",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

/* Bodies up to this size travel with the first request (base64: 4/3 of it). */
enum { INLINE_MAX = 256 * 1024, MAX_DIFF = 104448 };

static void digest_hex(const EVP_MD *md, const void *data, size_t len, char *out) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data, len, d, &n, md, NULL);
  for (unsigned int i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Base64 of data in lines of 4096 characters (base64 -d reads them all). */
static char *base64_lines(const void *data, size_t len, size_t *outlen) {
  enum { IN_LINE = 3072 }; /* → 4096 characters */
  RtBuf b = {0};
  unsigned char line[4 * IN_LINE / 3 + 1];
  for (size_t off = 0; off < len; off += IN_LINE) {
    size_t n = len - off < IN_LINE ? len - off : IN_LINE;
    int m = EVP_EncodeBlock(line, (const unsigned char *)data + off, (int)n);
    rt_buf_add(&b, (const char *)line, (size_t)m);
    rt_buf_putc(&b, '\n');
  }
  if (!b.data)
    rt_buf_add(&b, "", 0);
  *outlen = b.len;
  return rt_buf_take(&b);
}

static bool unbase64(const char *s, size_t len, RtBuf *out) {
  EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
  EVP_DecodeInit(ctx);
  unsigned char *buf = rt_xmalloc(len / 4 * 3 + 4);
  int n = 0, m = 0;
  bool ok = EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)s, (int)len) >= 0 &&
            EVP_DecodeFinal(ctx, buf + n, &m) >= 0;
  if (ok)
    rt_buf_add(out, (const char *)buf, (size_t)(n + m));
  free(buf);
  EVP_ENCODE_CTX_free(ctx);
  return ok;
}

/* `content` as the bytes Ansible's copy action writes: a string as is (NUL
 * bytes included), a list or dict as JSON, anything else as Python's str(). */
static char *content_arg(RtValue *args, size_t *len) {
  RtValue *v = rt_dict_get(args, "content");
  if (!v || rt_kind(v) == RT_NONE)
    return NULL;
  RtBuf b = {0};
  if (rt_kind(v) == RT_STR)
    rt_buf_add(&b, v->u.str.s, v->u.str.len);
  else if (rt_kind(v) == RT_LIST || rt_kind(v) == RT_DICT)
    rt_render_json(&b, v, -1, false);
  else
    rt_render_str(&b, v);
  if (!b.data)
    rt_buf_add(&b, "", 0);
  *len = b.len;
  return rt_buf_take(&b);
}

/* What every file of one task shares. */
typedef struct Copy {
  RtHost *h;
  RtValue *args;
  char *owner, *group, *sym, *validate, *checksum_arg, *dirmode_text;
  long mode;       /* octal, -1 none */
  long dirmode;    /* directory_mode octal, -1 none */
  bool preserve;   /* mode: preserve */
  bool backup, force, check, diff, follow, unsafe_writes;
  bool decrypt; /* a vault-encrypted src is copied as its plaintext */
} Copy;

/* One file to copy. */
typedef struct One {
  const void *data;
  size_t len;
  long src_mode;           /* the source's permission bits (mode: preserve), -1 unknown */
  const char *dest;        /* as given */
  const char *rel;         /* a folder copy's relative path (dest ends with /), or NULL */
  const char *base;        /* the basename of src, for a dest that is a folder */
  const char *after_header; /* the diff's source name, or NULL */
  bool is_content;
  char sha[EVP_MAX_MD_SIZE * 2 + 1], md5[EVP_MAX_MD_SIZE * 2 + 1];
  char temp[MOD_TEMP_NAME];
} One;

static void diff_put(RtValue *diff, const char *side, const char *key, RtValue *v) {
  RtValue *d = rt_dict_get(diff, side);
  if (!d) {
    d = rt_dict_new(4);
    rt_dict_set(diff, side, d);
  }
  rt_dict_set(d, key, v);
}

/* ---- the scripts --------------------------------------------------------------------- */

/* Request 1: dest resolved, missing folders of a folder copy made, the
 * comparison; for a file whose content is the same, its attributes as
 * found (the controller decides the rest); otherwise the temp file and,
 * inline, the body and the replacement. */
static void first_script(RtBuf *s, const Copy *c, One *o, bool inline_body, long mode) {
  rt_buf_puts(s, "__playc_traps\n");
  mod_sh_set_path(s, "d", o->dest);
  mod_sh_set(s, "b", o->base ? o->base : "");
  rt_buf_printf(s, "ck=%d; om=; oo=\n", c->check ? 1 : 0);
  ModAttrs a = {c->owner, c->group, -1, NULL, false};
  mod_sh_attrs_begin(s, &a);
  rt_buf_puts(s, "__playc_rec af \"$af\"; __playc_rec ou \"${ou-}\"; __playc_rec og \"${og-}\"; "
                 "__playc_rec umask \"$(umask)\"\n");
  if (o->rel) { /* a folder copy: dest/rel, its missing folders made with directory_mode */
    mod_sh_set(s, "rel", o->rel);
    rt_buf_puts(s, "d=${d%/}/$rel\n"
                   "case $d in */*) dir=${d%/*}; [ -n \"$dir\" ] || dir=/;; *) dir=.;; esac\n"
                   "if [ ! -d \"$dir\" ]; then\n"
                   "  [ $ck = 0 ] || { __playc_rec wouldmk \"$dir\"; exit 0; }\n"
                   "  x=$dir; new=\n"
                   "  while [ ! -e \"$x\" ]; do new=\"$x\n$new\"; y=${x%/*}; [ \"$y\" != \"$x\" ] || break; x=$y; done\n"
                   "  mkdir -p -- \"$dir\" || exit 1\n"
                   "  printf %s \"$new\" | while IFS= read -r n; do [ -n \"$n\" ] || continue\n");
    if (c->owner)
      rt_buf_puts(s, "    [ -n \"$af\" ] || chown -- \"$ou\" \"$n\" 2>/dev/null\n");
    if (c->group)
      rt_buf_puts(s, "    [ -n \"$af\" ] || chgrp -- \"$og\" \"$n\" 2>/dev/null\n");
    if (c->dirmode >= 0)
      rt_buf_printf(s, "    chmod %lo \"$n\"\n", c->dirmode);
    rt_buf_puts(s, "  done\nfi\n");
  } else {
    rt_buf_puts(s, "case $d in */) d=$d$b;; esac\n"
                   "if [ -d \"$d\" ]; then [ -n \"$b\" ] || { __playc_rec fail contentdir; exit 0; }; d=$d/$b; fi\n"
                   "case $d in */*) dir=${d%/*}; [ -n \"$dir\" ] || dir=/;; *) dir=.;; esac\n"
                   /* check mode: the action answers "changed" before the module looks */
                   "[ -d \"$dir\" ] || [ $ck = 0 ] || { __playc_rec dest \"$d\"; __playc_rec check 1; exit 0; }\n"
                   "[ -d \"$dir\" ] || { __playc_rec fail nodir; __playc_rec dir \"$dir\"; exit 0; }\n");
  }
  if (c->follow) /* follow: a link's target is the destination */
    rt_buf_puts(s, "[ ! -L \"$d\" ] || d=$(realpath -m -- \"$d\")\n");
  rt_buf_printf(s,
                "__playc_rec dest \"$d\"\n"
                "if [ -e \"$d\" ] && [ %d = 0 ]; then __playc_rec noforce 1; __playc_stat \"$d\"; exit 0; fi\n"
                "if [ -f \"$d\" ] && [ ! -L \"$d\" ]; then\n"
                "  set -- $(sha1sum < \"$d\")\n"
                "  if [ \"$1\" = %s ]; then __playc_rec same 1; __playc_rec st \"$(stat -c '%%u %%g %%a' -- \"$d\")\"\n"
                "    __playc_stat \"$d\"; exit 0\n"
                "  fi\n"
                "  set -- $(stat -c '%%a %%u %%g' -- \"$d\"); om=$1; oo=$2:$3\n",
                c->force ? 1 : 0, o->sha);
  rt_buf_puts(s, "elif [ -e \"$d\" ] || [ -L \"$d\" ]; then __playc_rec other 1; fi\n");
  if (c->diff) /* the old content for the diff (through a link, as slurp reads it): text (no
                * NUL in its first 8192 bytes), not too large */
    rt_buf_printf(s, "if [ -f \"$d\" ]; then __playc_rec old 1\n"
                     "  if [ \"$(stat -L -c %%s -- \"$d\")\" -gt %d ]; then __playc_rec dst_larger 1; "
                     "elif [ \"$(head -c 8192 -- \"$d\" | tr -dc '\\000' | wc -c)\" -gt 0 ]; then "
                     "__playc_rec dst_binary 1; else base64 < \"$d\"; fi\nfi\n",
                  MAX_DIFF);
  rt_buf_puts(s, "[ $ck = 0 ] || { __playc_rec check 1; exit 0; }\n");
  /* the mode of the new file: the asked one (set after the rename), else the
   * old file's, else a new file's default, as atomic_move */
  rt_buf_puts(s, "m=${om:-$(printf %o $((0666 & ~$(umask))))}\n");
  (void)mode;
  mod_sh_temp_beside(s, "dir", o->temp);
  if (inline_body) {
    rt_buf_printf(s, "base64 -d > \"$__playc_tmp\" && set -- $(sha1sum < \"$__playc_tmp\") && "
                     "[ \"$1\" = %s ] || { __playc_rec fail damaged; exit 0; }\n",
                  o->sha);
  } else {
    rt_buf_puts(s, "__playc_rec tmp \"$__playc_tmp\"; __playc_rec newmode \"$m\"; "
                   "__playc_rec oldmode \"$om\"; __playc_rec oldowner \"$oo\"; __playc_tmp=; exit 0\n");
  }
}

/* The rest of a replacement, once the body is in "$__playc_tmp": validate,
 * backup, mode and owner, rename, then the asked owner/group/mode. */
static void replace_script(RtBuf *s, const Copy *c, long mode) {
  if (c->validate) { /* the temp file gets the asked attributes first */
    if (mode >= 0)
      rt_buf_printf(s, "chmod %lo \"$__playc_tmp\"\n", mode);
    if (c->owner)
      rt_buf_puts(s, "[ -n \"$af\" ] || chown -- \"$ou\" \"$__playc_tmp\" 2>/dev/null\n");
    if (c->group)
      rt_buf_puts(s, "[ -n \"$af\" ] || chgrp -- \"$og\" \"$__playc_tmp\" 2>/dev/null\n");
    /* validate % src, split as run_command splits it; %s is the temp file */
    RtBuf w = {0};
    int n = 0;
    const char *p = c->validate;
    for (;;) {
      while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
      if (!*p)
        break;
      RtBuf word = {0};
      while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
        if (*p == '\'' || *p == '"') {
          char q = *p++;
          while (*p && *p != q)
            rt_buf_putc(&word, *p++);
          if (*p)
            p++;
        } else if (*p == '\\' && p[1]) {
          rt_buf_putc(&word, p[1]);
          p += 2;
        } else {
          rt_buf_putc(&word, *p++);
        }
      }
      rt_buf_printf(&w, "a%d=", n);
      const char *t = word.data ? word.data : "", *lit = t;
      for (; *t; t++)
        if (t[0] == '%' && (t[1] == 's' || t[1] == '%')) {
          char *piece = rt_xasprintf("%.*s%s", (int)(t - lit), lit, t[1] == '%' ? "%" : "");
          rt_sh_quote(&w, piece);
          free(piece);
          if (t[1] == 's')
            rt_buf_puts(&w, "\"$__playc_tmp\"");
          t++;
          lit = t + 1;
        }
      rt_sh_quote(&w, lit);
      rt_buf_putc(&w, '\n');
      rt_buf_free(&word);
      n++;
    }
    rt_buf_add(s, w.data ? w.data : "", w.len);
    rt_buf_free(&w);
    rt_buf_puts(s, "__playc_which \"$a0\" || { __playc_rec fail nocmd; __playc_rec cmd \"$a0\"; exit 0; }\n"
                   "vo=$( ( exec");
    for (int i = 0; i < n; i++)
      rt_buf_printf(s, " \"$a%d\"", i);
    rt_buf_puts(s, " ) </dev/null 2>&1 >/dev/null ); vrc=$?\n"
                   "[ $vrc = 0 ] || { __playc_rec vrc $vrc; __playc_rec verr \"$vo\"; exit 0; }\n");
  }
  if (c->backup) /* Ansible's backup_local name: dest.PID.TIMESTAMP~ */
    rt_buf_puts(s, "if [ -n \"$om\" ]; then bk=\"$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; "
                   "cp -p -- \"$d\" \"$bk\" || exit 1; __playc_rec backup_file \"$bk\"; fi\n");
  /* atomic_move keeps the old file's mode, owner and group */
  rt_buf_puts(s, "[ -z \"$oo\" ] || chown -- \"$oo\" \"$__playc_tmp\" 2>/dev/null\n"
                 "chmod -- \"$m\" \"$__playc_tmp\" || exit 1\n"
                 "[ ! -d \"$d\" ] || rmdir -- \"$d\" 2>/dev/null\n"
                 "__playc_rec tmp \"$__playc_tmp\"\n"
                 "if mv -f -- \"$__playc_tmp\" \"$d\"; then __playc_tmp=\n");
  if (c->unsafe_writes)
    rt_buf_puts(s, "elif cat -- \"$__playc_tmp\" > \"$d\"; then :\n");
  rt_buf_puts(s, "else exit 1; fi\n"
                 "__playc_rec written 1\n");
  ModAttrs attrs = {c->owner, c->group, mode, c->sym, false};
  mod_sh_attrs_apply(s, "d", &attrs, NULL);
  rt_buf_puts(s, "__playc_stat \"$d\"\n");
}

/* Request 2 of a large body: it is in the temp file; finish. */
static void second_script(RtBuf *s, const Copy *c, const RtExec *first, long mode) {
  rt_buf_puts(s, "__playc_traps\n");
  mod_sh_set(s, "__playc_tmp", mod_rec(first, "tmp"));
  mod_sh_set(s, "d", mod_rec(first, "dest"));
  mod_sh_set(s, "om", mod_rec(first, "oldmode") ? mod_rec(first, "oldmode") : "");
  mod_sh_set(s, "oo", mod_rec(first, "oldowner") ? mod_rec(first, "oldowner") : "");
  mod_sh_set(s, "m", mod_rec(first, "newmode") ? mod_rec(first, "newmode") : "644");
  rt_buf_puts(s, "ck=0\n");
  ModAttrs a = {c->owner, c->group, -1, NULL, false};
  mod_sh_attrs_begin(s, &a);
  replace_script(s, c, mode);
}

/* ---- one file ---------------------------------------------------------------------------- */

/* The diff of a file that will change (_get_diff_data). */
static RtValue *file_diff(const One *o, const RtExec *ex, const char *dest) {
  RtValue *d = rt_dict_new(4);
  if (mod_rec(ex, "dst_larger")) {
    rt_dict_set(d, "dst_larger", rt_int(MAX_DIFF));
  } else if (mod_rec(ex, "dst_binary")) {
    rt_dict_set(d, "dst_binary", rt_int(1));
  } else if (!mod_rec(ex, "old")) {
    rt_dict_set(d, "before", rt_strz(""));
  } else {
    RtBuf before = {0};
    unbase64(ex->out.data ? ex->out.data : "", ex->out.len, &before);
    rt_dict_set(d, "before_header", rt_strz(dest));
    rt_dict_set(d, "before", rt_str(before.data ? before.data : "", before.len));
    rt_buf_free(&before);
  }
  if (o->len > MAX_DIFF) {
    rt_dict_set(d, "src_larger", rt_int(MAX_DIFF));
  } else if (memchr(o->data, 0, o->len)) {
    rt_dict_set(d, "src_binary", rt_int(1));
  } else {
    if (o->after_header)
      rt_dict_set(d, "after_header", rt_strz(o->after_header));
    rt_dict_set(d, "after", rt_str(o->data, o->len));
  }
  return d;
}

/* The file module's result for a file whose content is already right:
 * its diff and its attributes applied (a second request when they differ). */
static RtValue *same_result(Copy *c, const One *o, const RtExec *ex, const char *dest, long mode) {
  long long uid = 0, gid = 0, ou = mod_rec_int(ex, "ou", -1), og = mod_rec_int(ex, "og", -1);
  long cur = 0, um = strtol(mod_rec(ex, "umask") ? mod_rec(ex, "umask") : "022", NULL, 8);
  sscanf(mod_rec(ex, "st") ? mod_rec(ex, "st") : "0 0 0", "%lld %lld %lo", &uid, &gid, &cur);
  const char *af = mod_rec(ex, "af");
  RtValue *diff = rt_dict_new(2), *b = rt_dict_new(4), *a = rt_dict_new(4);
  rt_dict_set(b, "path", rt_strz(dest));
  rt_dict_set(a, "path", rt_strz(dest));
  rt_dict_set(diff, "before", b);
  rt_dict_set(diff, "after", a);
  if (mod_rec_int(ex, "st.nlink", 1) > 1) { /* initial_diff(path, 'file', 'hard') */
    diff_put(diff, "before", "state", rt_strz("hard"));
    diff_put(diff, "after", "state", rt_strz("file"));
  }
  RtBuf ops = {0};
  RtValue *fail = NULL;
  if (c->owner && af && !strcmp(af, "nouser")) {
    fail = mod_fail_result("chown failed: failed to look up user %s", c->owner);
  } else if (c->owner && uid != ou) {
    diff_put(diff, "before", "owner", rt_int(uid));
    diff_put(diff, "after", "owner", rt_int(ou));
    rt_buf_printf(&ops, "chown -h -- %lld \"$d\" || exit 1\n", ou);
  }
  if (!fail && c->group && af && !strcmp(af, "nogroup")) {
    fail = mod_fail_result("chgrp failed: failed to look up group %s", c->group);
  } else if (!fail && c->group && gid != og) {
    diff_put(diff, "before", "group", rt_int(gid));
    diff_put(diff, "after", "group", rt_int(og));
    rt_buf_printf(&ops, "chgrp -h -- %lld \"$d\" || exit 1\n", og);
  }
  long want = mode;
  if (!fail && c->sym && !o->rel && mode < 0)
    want = mod_symbolic_mode(c->sym, cur, false, um);
  if (!fail && c->sym && want < 0 && mode < 0 && !c->preserve) {
    fail = mod_fail_result("mode must be in octal or symbolic form");
  } else if (!fail && want >= 0 && want != cur) {
    char bm[32], am[32];
    snprintf(bm, sizeof bm, "0%03lo", cur);
    snprintf(am, sizeof am, "0%03lo", want);
    diff_put(diff, "before", "mode", rt_strz(bm));
    diff_put(diff, "after", "mode", rt_strz(am));
    rt_buf_printf(&ops, "chmod -- %lo \"$d\" || exit 1\n", want);
  }
  RtValue *r;
  if (fail) {
    rt_dict_set(fail, "path", rt_strz(dest));
    mod_add_stat(fail, ex);
    rt_dict_set(fail, "checksum", rt_strz(o->sha));
    rt_decref(diff);
    rt_buf_free(&ops);
    return fail;
  }
  bool changed = ops.len > 0;
  r = rt_dict_new(14);
  rt_dict_set(r, "path", rt_strz(dest));
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "diff", diff);
  if (changed && !c->check) {
    RtBuf s = {0};
    mod_sh_set(&s, "d", dest);
    rt_buf_add(&s, ops.data, ops.len);
    rt_buf_puts(&s, "__playc_stat \"$d\"\n");
    RtExec ex2;
    char *err = NULL;
    int rc = rt_host_exec(c->h, s.data, NULL, 0, &ex2, &err);
    rt_buf_free(&s);
    free(err);
    if (rc < 0) {
      rt_decref(r);
      rt_buf_free(&ops);
      return NULL;
    }
    mod_add_stat(r, &ex2);
    rt_exec_free(&ex2);
  } else {
    mod_add_stat(r, ex);
  }
  rt_buf_free(&ops);
  rt_dict_set(r, "dest", rt_strz(dest));
  rt_dict_set(r, "checksum", rt_strz(o->sha));
  return r;
}

/* The failures a reply may report; NULL when there is none. */
static RtValue *reply_failure(Copy *c, const One *o, const RtExec *ex, const char *dest) {
  const char *fail = mod_rec(ex, "fail");
  ModAttrs a = {c->owner, c->group, -1, NULL, false};
  RtValue *r = mod_attrs_failure(ex, &a, dest);
  if (r) {
    rt_dict_set(r, "checksum", rt_strz(o->sha));
    return r;
  }
  if (mod_rec(ex, "vrc")) {
    r = mod_fail_result("failed to validate");
    rt_dict_set(r, "exit_status", rt_int(mod_rec_int(ex, "vrc", 1)));
    rt_dict_set(r, "stdout", rt_strz(""));
    rt_dict_set(r, "stderr", rt_strz(mod_rec(ex, "verr") ? mod_rec(ex, "verr") : ""));
    return r;
  }
  if (ex->rc != 0)
    return mod_fail_result("%s", ex->err.len ? ex->err.data : "copy failed");
  if (!fail)
    return NULL;
  if (!strcmp(fail, "contentdir"))
    return mod_fail_result("can not use content with a dir as dest");
  if (!strcmp(fail, "nodir"))
    return mod_fail_result("Destination directory %s does not exist", mod_rec(ex, "dir"));
  if (!strcmp(fail, "damaged"))
    return mod_fail_result("the body of %s arrived damaged", dest);
  if (!strcmp(fail, "nocmd")) {
    RtBuf m = {0};
    rt_buf_puts(&m, "[Errno 2] No such file or directory: ");
    mod_py_bytes_repr(&m, mod_rec(ex, "cmd") ? mod_rec(ex, "cmd") : "");
    r = mod_fail_result("%s", m.data);
    rt_buf_free(&m);
    return r;
  }
  return mod_fail_result("could not create a temporary file beside %s: %s", dest, ex->err.len ? ex->err.data : fail);
}

/* The copy module's result for a written file. */
static RtValue *written_result(const One *o, const RtExec *ex, const char *dest, RtValue *diffs) {
  RtValue *r = rt_dict_new(16);
  rt_dict_set(r, "changed", rt_bool(true));
  rt_dict_set(r, "checksum", rt_strz(o->sha));
  rt_dict_set(r, "dest", rt_strz(dest));
  mod_add_stat(r, ex);
  rt_dict_set(r, "md5sum", rt_strz(o->md5));
  rt_dict_set(r, "src", rt_strz(mod_rec(ex, "tmp") ? mod_rec(ex, "tmp") : ""));
  if (mod_rec(ex, "backup_file"))
    rt_dict_set(r, "backup_file", rt_strz(mod_rec(ex, "backup_file")));
  rt_dict_set(r, "diff", diffs ? rt_incref(diffs) : rt_list_new(0));
  return r;
}

/* _copy_file for one body: NULL when the host was lost or, with *skip,
 * when dest exists and force is off. */
static RtValue *copy_one(Copy *c, One *o, bool *skip) {
  *skip = false;
  digest_hex(EVP_sha1(), o->data, o->len, o->sha);
  digest_hex(EVP_md5(), o->data, o->len, o->md5);
  long mode = c->preserve ? o->src_mode : c->mode;
  if (c->checksum_arg && strcmp(c->checksum_arg, o->sha) != 0) {
    RtValue *r = mod_fail_result("Copied file does not match the expected checksum. Transfer failed.");
    rt_dict_set(r, "checksum", rt_strz(o->sha));
    rt_dict_set(r, "expected_checksum", rt_strz(c->checksum_arg));
    return r;
  }
  bool inline_body = !c->check && o->len <= INLINE_MAX;
  RtBuf s = {0};
  first_script(&s, c, o, inline_body, mode);
  if (inline_body) {
    replace_script(&s, c, mode);
  }
  char *err = NULL, *b64 = NULL;
  size_t b64len = 0;
  if (inline_body)
    b64 = base64_lines(o->data, o->len, &b64len);
  RtExec ex;
  int xrc = rt_host_exec(c->h, s.data, b64, b64len, &ex, &err);
  rt_buf_free(&s);
  free(b64);
  free(err);
  if (xrc < 0)
    return NULL;
  const char *dest = mod_rec(&ex, "dest") ? mod_rec(&ex, "dest") : o->dest;
  RtValue *r = reply_failure(c, o, &ex, dest), *diffs = NULL;
  if (r && !mod_rec_is(&ex, "fail", "contentdir")) { /* the module's failure, as the action completes it */
    rt_dict_set(r, "checksum", rt_strz(o->sha));
    RtValue *dl = rt_list_new(1);
    if (c->diff)
      rt_list_push(dl, file_diff(o, &ex, dest));
    rt_dict_set(r, "diff", dl);
  }
  if (r && mod_rec(&ex, "vrc")) { /* run_command's output, split by _execute_module */
    const char *ve = mod_rec(&ex, "verr") ? mod_rec(&ex, "verr") : "";
    rt_dict_set(r, "stdout_lines", rt_list_new(0));
    rt_dict_set(r, "stderr_lines", mod_lines(ve, strlen(ve)));
  }
  if (r)
    goto out;
  if (mod_rec(&ex, "wouldmk")) { /* the module's check-mode answer for a missing folder */
    r = rt_dict_new(3);
    char *m = rt_xasprintf("dest directory %s would be created", mod_rec(&ex, "wouldmk"));
    rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
    rt_dict_set(r, "changed", rt_bool(true));
    goto out;
  }
  if (mod_rec(&ex, "noforce")) {
    *skip = true;
    goto out;
  }
  if (mod_rec(&ex, "same")) {
    r = same_result(c, o, &ex, dest, mode);
    goto out;
  }
  diffs = rt_list_new(1);
  if (c->diff)
    rt_list_push(diffs, file_diff(o, &ex, dest));
  if (mod_rec(&ex, "check")) { /* the action answers before transferring anything */
    r = rt_dict_new(2);
    rt_dict_set(r, "diff", rt_incref(diffs));
    rt_dict_set(r, "changed", rt_bool(true));
    goto out;
  }
  if (mod_rec(&ex, "written")) {
    r = written_result(o, &ex, dest, diffs);
    goto out;
  }
  /* a large body: over SFTP into the temp file, then the second request */
  const char *tmp = mod_rec(&ex, "tmp");
  size_t tl = tmp ? strlen(tmp) : 0, nl = strlen(o->temp);
  if (!tmp || tl <= nl || strcmp(tmp + tl - nl, o->temp) != 0 || tmp[tl - nl - 1] != '/') {
    r = mod_fail_result("could not create a temporary file beside %s", dest);
    goto out;
  }
  rt_host_temp_keep(c->h, tmp);
  if (rt_host_put(c->h, tmp, o->data, o->len, 0600, &err) < 0) {
    if (!rt_host_lost(c->h)) {
      r = mod_fail_result("%s", err);
      rt_host_temp_remove(c->h, tmp);
    }
    free(err);
    goto out;
  }
  RtBuf s2 = {0};
  second_script(&s2, c, &ex, mode);
  RtExec ex2;
  int rc = rt_host_exec(c->h, s2.data, NULL, 0, &ex2, &err);
  rt_buf_free(&s2);
  if (rc < 0) {
    free(err);
    goto out;
  }
  rt_host_temp_forget(c->h, tmp); /* renamed, or removed by the request's trap */
  rt_dict_set(ex2.rec, "tmp", rt_strz(tmp));
  r = reply_failure(c, o, &ex2, dest);
  if (!r)
    r = mod_rec(&ex2, "written") ? written_result(o, &ex2, dest, diffs) : mod_fail_result("could not replace %s", dest);
  rt_exec_free(&ex2);
out:
  rt_decref(diffs);
  rt_exec_free(&ex);
  return r;
}

/* ---- folders: the file module for folders and links ------------------------------------ */

/* The file module with the task's file arguments and `extra` (takes it). */
static RtValue *file_module(Copy *c, RtValue *extra) {
  RtValue *a = rt_dict_new(12);
  static const char *const keep[] = {"owner", "group", "mode", "seuser", "serole", "setype", "selevel",
                                     "unsafe_writes", "force", NULL};
  for (int i = 0; keep[i]; i++) {
    RtValue *v = rt_dict_get(c->args, keep[i]);
    if (v && rt_kind(v) != RT_NONE)
      rt_dict_set(a, keep[i], rt_incref(v));
  }
  for (size_t i = 0; i < extra->u.dict.len; i++) {
    RtValue *v = extra->u.dict.ents[i].val;
    if (rt_kind(v) == RT_NONE)
      rt_dict_del(a, extra->u.dict.ents[i].key->u.str.s);
    else
      rt_dict_set(a, extra->u.dict.ents[i].key->u.str.s, rt_incref(v));
  }
  rt_decref(extra);
  RtValue *r = mod_file(c->h, a);
  rt_decref(a);
  return r;
}

static const char *after_prefix(const char *name, const char *prefix) {
  size_t n = strlen(prefix);
  return strncmp(name, prefix, n) == 0 && name[n] == '/' ? name + n + 1 : NULL;
}

/* A folder source: its files (each copied), then its folders and links. */
static RtValue *copy_tree(Copy *c, const RtFileDef *top, bool slash, const char *dest_arg, const char *src_arg,
                          bool local_follow) {
  const RtProgram *p = c->h->run->prog;
  /* the part of each path the destination keeps: what is below the folder
   * (src: dir/), or the folder's own name and what is below (src: dir) */
  const char *name = top->name, *slashp = strrchr(name, '/');
  char *strip = slash ? rt_xstrdup(name) : slashp ? rt_xstrndup(name, (size_t)(slashp - name)) : rt_xstrdup("");
  char *dest = dest_arg[strlen(dest_arg) - 1] == '/' ? rt_xstrdup(dest_arg) : rt_xasprintf("%s/", dest_arg);
  RtValue *last = NULL, *r = NULL;
  bool changed = false;
  size_t nfiles = 0, ndirs = 0;
  for (int pass = 0; pass < 3 && !r; pass++)
    for (int32_t i = 0; i < p->nfiles && !r; i++) {
      const RtFileDef *f = &p->files[i];
      const char *below = after_prefix(f->name, name);
      if (!below)
        continue;
      const char *rel = *strip ? after_prefix(f->name, strip) : f->name;
      bool link = S_ISLNK(f->mode), dir = S_ISDIR(f->mode);
      const char *target = link ? (const char *)f->data : NULL;
      const char *real = link ? target + strlen(target) + 1 : NULL;
      const RtFileDef *rf = NULL;
      for (int32_t k = 0; real && k < p->nfiles && !rf; k++)
        if (!strcmp(p->files[k].name, real))
          rf = &p->files[k];
      /* local_follow: a link to a file copies the file */
      bool as_file = (!link && !dir) || (link && local_follow && rf && S_ISREG(rf->mode));
      if (pass == 0 && as_file) {
        const RtFileDef *body = link ? rf : f;
        RtValue *plain = c->decrypt ? rt_file_plain(c->h, body) : NULL; /* an encrypted file: its plaintext */
        if (plain && rt_is_error(plain)) {
          r = mod_fail_result("%s", plain->u.err.msg);
          rt_decref(plain);
          break;
        }
        One o = {0};
        o.data = plain ? (const uint8_t *)plain->u.str.s : body->data;
        o.len = plain ? plain->u.str.len : (size_t)body->size;
        o.src_mode = (long)(body->mode & 07777);
        o.dest = dest;
        o.rel = rel;
        o.after_header = body->name;
        bool skip;
        RtValue *one = copy_one(c, &o, &skip);
        rt_decref(plain);
        if (!one && !skip) {
          r = NULL;
          free(strip);
          free(dest);
          rt_decref(last);
          return NULL;
        }
        nfiles++;
        if (one && rt_dict_get(one, "failed")) {
          r = one;
          break;
        }
        if (one) {
          rt_decref(last);
          last = one;
          RtValue *ch = rt_dict_get(one, "changed");
          changed |= ch && rt_kind(ch) == RT_BOOL && ch->u.b;
        }
      } else if (pass == 1 && dir) {
        RtValue *x = rt_dict_new(4);
        char *path = rt_xasprintf("%s%s", dest, rel);
        rt_dict_set(x, "path", rt_str_take(path, strlen(path)));
        rt_dict_set(x, "state", rt_strz("directory"));
        RtValue *dm = rt_dict_get(c->args, "directory_mode");
        rt_dict_set(x, "mode", dm ? rt_incref(dm) : rt_none());
        rt_dict_set(x, "recurse", rt_bool(false));
        RtValue *one = file_module(c, x);
        if (!one)
          goto lost;
        ndirs++;
        if (rt_dict_get(one, "failed")) {
          r = one;
          break;
        }
        RtValue *ch = rt_dict_get(one, "changed");
        changed |= ch && rt_kind(ch) == RT_BOOL && ch->u.b;
        rt_decref(last);
        last = one;
      } else if (pass == 2 && link && !as_file) {
        RtValue *x = rt_dict_new(6);
        char *path = rt_xasprintf("%s%s", dest, rel);
        rt_dict_set(x, "path", rt_str_take(path, strlen(path)));
        rt_dict_set(x, "src", rt_strz(target));
        rt_dict_set(x, "state", rt_strz("link"));
        rt_dict_set(x, "force", rt_bool(true));
        rt_dict_set(x, "follow", rt_bool(false));
        if (c->preserve)
          rt_dict_set(x, "mode", rt_none());
        RtValue *one = file_module(c, x);
        if (!one)
          goto lost;
        if (rt_dict_get(one, "failed")) {
          r = one;
          break;
        }
        RtValue *ch = rt_dict_get(one, "changed");
        changed |= ch && rt_kind(ch) == RT_BOOL && ch->u.b;
        rt_decref(last);
        last = one;
      }
    }
  if (!r && nfiles == 1 && last) { /* the last module's result, with dest */
    r = rt_dict_copy(last);
    if (rt_dict_get(r, "path") && !rt_dict_get(r, "dest"))
      rt_dict_set(r, "dest", rt_incref(rt_dict_get(r, "path")));
  } else if (!r) {
    r = rt_dict_new(3);
    rt_dict_set(r, "dest", rt_strz(dest));
    /* the folder as the action found it, its trailing slash kept */
    char *found = rt_xasprintf("%s%s", top->name, slash ? "/" : "");
    rt_dict_set(r, "src", rt_str_take(found, strlen(found)));
    rt_dict_set(r, "changed", rt_bool(changed));
    (void)src_arg;
  }
  (void)ndirs;
  rt_decref(last);
  free(strip);
  free(dest);
  return r;
lost:
  rt_decref(last);
  free(strip);
  free(dest);
  return NULL;
}

/* ---- remote_src ------------------------------------------------------------------------- */

/* The copy module with a source on the target (a file). */
static RtValue *copy_remote(Copy *c, const char *src, const char *dest_arg) {
  RtBuf s = {0};
  rt_buf_puts(&s, "__playc_traps\n");
  mod_sh_set_path(&s, "s", src);
  mod_sh_set_path(&s, "d", dest_arg);
  rt_buf_printf(&s, "ck=%d; ch=0; om=; oo=\n", c->check ? 1 : 0);
  ModAttrs a = {c->owner, c->group, -1, NULL, false};
  mod_sh_attrs_begin(&s, &a);
  rt_buf_puts(&s, "__playc_rec src \"$s\"\n"
                  "[ -e \"$s\" ] || { __playc_rec fail nosrc; exit 0; }\n"
                  "[ -r \"$s\" ] || { __playc_rec fail unreadable; exit 0; }\n"
                  "[ ! -d \"$s\" ] || { __playc_rec fail srcdir; exit 0; }\n"
                  "[ -f \"$s\" ] || { __playc_rec fail notfile; exit 0; }\n"
                  "set -- $(sha1sum < \"$s\"); cs=$1; __playc_rec checksum \"$cs\"\n"
                  "set -- $(md5sum < \"$s\"); __playc_rec md5sum \"$1\"\n"
                  "case $d in */*) ;; *) d=./$d;; esac\n"
                  "[ ! -d \"$d\" ] || d=${d%/}/${s##*/}\n");
  if (c->follow)
    rt_buf_puts(&s, "[ ! -L \"$d\" ] || d=$(realpath -m -- \"$d\")\n");
  rt_buf_printf(&s, "__playc_rec dest \"$d\"\n"
                    "if [ -e \"$d\" ] && [ %d = 0 ]; then __playc_rec noforce 1; exit 0; fi\n"
                    "dir=${d%%/*}; [ -n \"$dir\" ] || dir=/\n"
                    "[ -d \"$dir\" ] || { __playc_rec fail nodir; __playc_rec dir \"$dir\"; exit 0; }\n"
                    "cd_=; if [ -f \"$d\" ] && [ ! -L \"$d\" ]; then set -- $(sha1sum < \"$d\"); cd_=$1; fi\n"
                    "if [ \"$cs\" != \"$cd_\" ] || [ -L \"$d\" ]; then ch=1\n"
                    "  if [ $ck = 0 ]; then\n",
                c->force ? 1 : 0);
  char name[MOD_TEMP_NAME];
  mod_sh_temp_beside(&s, "dir", name);
  /* shutil.copyfile + copystat, then atomic_move */
  rt_buf_puts(&s, "    cp -p -- \"$s\" \"$__playc_tmp\" || exit 1\n"
                  "    if [ -e \"$d\" ] && [ ! -L \"$d\" ]; then set -- $(stat -c '%a %u %g' -- \"$d\"); "
                  "chmod \"$1\" \"$__playc_tmp\"; chown \"$2:$3\" \"$__playc_tmp\" 2>/dev/null; fi\n");
  if (c->backup)
    rt_buf_puts(&s, "    if [ -e \"$d\" ]; then bk=\"$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$d\" \"$bk\" "
                    "|| exit 1; __playc_rec backup_file \"$bk\"; fi\n");
  rt_buf_puts(&s, "    [ ! -L \"$d\" ] || rm -f -- \"$d\"\n"
                  "    mv -f -- \"$__playc_tmp\" \"$d\" || exit 1; __playc_tmp=\n"
                  "  fi\nfi\n");
  ModAttrs attrs = {c->owner, c->group, c->mode, c->sym, false};
  rt_buf_puts(&s, "if [ -e \"$d\" ]; then\n");
  mod_sh_attrs_apply(&s, "d", &attrs, NULL);
  rt_buf_puts(&s, "__playc_stat \"$d\"; fi\n__playc_rec changed $ch\n");
  RtExec ex;
  char *err = NULL;
  int rc = rt_host_exec(c->h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  free(err);
  if (rc < 0)
    return NULL;
  const char *fail = mod_rec(&ex, "fail"), *srcx = mod_rec(&ex, "src") ? mod_rec(&ex, "src") : src;
  const char *dest = mod_rec(&ex, "dest") ? mod_rec(&ex, "dest") : dest_arg;
  RtValue *r = mod_attrs_failure(&ex, &attrs, dest);
  if (r) {
  } else if (fail && !strcmp(fail, "nosrc")) {
    r = mod_fail_result("Source %s not found", srcx);
  } else if (fail && !strcmp(fail, "unreadable")) {
    r = mod_fail_result("Source %s not readable", srcx);
  } else if (fail && (!strcmp(fail, "srcdir") || !strcmp(fail, "notfile"))) {
    r = !strcmp(fail, "srcdir") ? mod_fail_result("playc does not copy folders with remote_src yet: %s", srcx)
                                : mod_fail_result("Cannot copy invalid source '%s': not a file", srcx);
  } else if (fail && !strcmp(fail, "nodir")) {
    r = mod_fail_result("Destination directory %s does not exist", mod_rec(&ex, "dir"));
  } else if (ex.rc != 0) {
    r = mod_fail_result("failed to copy: %s to %s", srcx, dest);
  } else if (mod_rec(&ex, "noforce")) {
    r = rt_dict_new(4);
    rt_dict_set(r, "msg", rt_strz("file already exists"));
    rt_dict_set(r, "src", rt_strz(srcx));
    rt_dict_set(r, "dest", rt_strz(dest));
    rt_dict_set(r, "changed", rt_bool(false));
  } else {
    r = rt_dict_new(14);
    rt_dict_set(r, "dest", rt_strz(dest));
    rt_dict_set(r, "src", rt_strz(srcx));
    rt_dict_set(r, "md5sum", rt_strz(mod_rec(&ex, "md5sum") ? mod_rec(&ex, "md5sum") : ""));
    rt_dict_set(r, "checksum", rt_strz(mod_rec(&ex, "checksum") ? mod_rec(&ex, "checksum") : ""));
    rt_dict_set(r, "changed", rt_bool(mod_rec_is(&ex, "changed", "1")));
    if (mod_rec(&ex, "backup_file"))
      rt_dict_set(r, "backup_file", rt_strz(mod_rec(&ex, "backup_file")));
    mod_add_stat(r, &ex);
  }
  rt_exec_free(&ex);
  return r;
}

/* ---- the action ----------------------------------------------------------------------------- */

/* The task's file arguments, as every file of it uses them. */
static void copy_init(Copy *c, RtHost *h, RtValue *args) {
  memset(c, 0, sizeof *c);
  c->h = h;
  c->args = args;
  c->owner = mod_arg_str(args, "owner");
  c->group = mod_arg_str(args, "group");
  c->validate = mod_arg_str(args, "validate");
  c->checksum_arg = mod_arg_str(args, "checksum");
  c->mode = mod_arg_mode(args, "mode");
  c->backup = mod_arg_bool(args, "backup", 0) == 1;
  c->force = mod_arg_bool(args, "force", mod_arg_bool(args, "thirsty", 1)) != 0;
  c->follow = mod_arg_bool(args, "follow", 0) == 1;
  c->unsafe_writes = mod_arg_bool(args, "unsafe_writes", 0) == 1;
  c->decrypt = mod_arg_bool(args, "decrypt", 1) != 0;
  c->check = h->check_mode;
  c->diff = h->diff_mode;
  c->dirmode = mod_arg_mode(args, "directory_mode");
  c->dirmode_text = c->dirmode != -1 ? mod_arg_str(args, "directory_mode") : NULL;
  if (c->mode == -2) {
    char *m = mod_arg_str(args, "mode");
    if (m && !strcmp(m, "preserve")) {
      c->preserve = true;
      free(m);
    } else {
      c->sym = m;
    }
    c->mode = -1;
  }
}

static void copy_fini(Copy *c) {
  free(c->owner);
  free(c->group);
  free(c->sym);
  free(c->validate);
  free(c->checksum_arg);
  free(c->dirmode_text);
}

RtValue *mod_copy_body(RtHost *h, RtValue *args, const void *data, size_t len, const char *base) {
  Copy c;
  copy_init(&c, h, args);
  char *dest = mod_arg_str(args, "dest");
  One o = {0};
  o.data = data;
  o.len = len;
  o.dest = dest ? dest : "";
  o.base = base;
  o.src_mode = -1;
  o.after_header = "(content)"; /* Ansible names the controller's temp file holding it */
  bool skip;
  RtValue *r = copy_one(&c, &o, &skip);
  if (skip) { /* dest exists, force off: nothing done; src names the controller's temp file */
    r = rt_dict_new(3);
    rt_dict_set(r, "dest", rt_strz(o.dest));
    rt_dict_set(r, "src", rt_strz("(content)"));
    rt_dict_set(r, "changed", rt_bool(false));
  }
  free(dest);
  copy_fini(&c);
  return r;
}

RtValue *mod_copy(RtHost *h, RtValue *args) {
  char *dest = mod_arg_str(args, "dest"), *src = mod_arg_str(args, "src");
  size_t content_len = 0;
  char *content = content_arg(args, &content_len);
  Copy c;
  copy_init(&c, h, args);
  bool remote = mod_arg_bool(args, "remote_src", 0) == 1, local_follow = mod_arg_bool(args, "local_follow", 1) != 0;
  RtValue *r = NULL;
  /* the action's own checks, in its order */
  if ((!src || !*src) && !content)
    r = mod_fail_result("src (or content) is required");
  else if (!dest || !*dest)
    r = mod_fail_result("dest is required");
  else if (src && *src && content)
    r = mod_fail_result("src and content are mutually exclusive");
  else if (content && dest[strlen(dest) - 1] == '/')
    r = mod_fail_result("can not use content with a dir as dest");
  if (r)
    goto done;
  if (content) {
    One o = {0};
    o.data = content;
    o.len = content_len;
    o.dest = dest;
    o.base = "";
    o.src_mode = -1;
    o.is_content = true;
    o.after_header = "(content)"; /* Ansible names the controller's temp file holding it */
    bool skip;
    r = copy_one(&c, &o, &skip);
    if (skip) { /* dest exists, force off: nothing done; src names the content's temp file */
      r = rt_dict_new(3);
      rt_dict_set(r, "changed", rt_bool(false));
      rt_dict_set(r, "dest", rt_strz(dest));
      rt_dict_set(r, "src", rt_strz("(content)"));
    }
    goto done;
  }
  if (remote) {
    r = copy_remote(&c, src, dest);
    goto done;
  }
  /* src: the embedded file or folder */
  size_t sl = strlen(src);
  bool slash = sl > 1 && src[sl - 1] == '/';
  char *bare = rt_xstrdup(src);
  while (strlen(bare) > 1 && bare[strlen(bare) - 1] == '/')
    bare[strlen(bare) - 1] = 0;
  const RtFileDef *f = rt_find_file(h, bare);
  free(bare);
  if (!f) {
    r = rt_file_not_found(h, "files", src);
    goto done;
  }
  if (S_ISDIR(f->mode)) {
    r = copy_tree(&c, f, slash, dest, src, local_follow);
    goto done;
  }
  const RtFileDef *body = f;
  if (S_ISLNK(f->mode)) { /* a link given as src: what it points to */
    const char *real = (const char *)f->data + strlen((const char *)f->data) + 1;
    for (int32_t k = 0; k < h->run->prog->nfiles; k++)
      if (!strcmp(h->run->prog->files[k].name, real))
        body = &h->run->prog->files[k];
  }
  RtValue *plain = c.decrypt ? rt_file_plain(h, body) : NULL; /* an encrypted file: its plaintext */
  if (plain && rt_is_error(plain)) {
    r = mod_fail_result("%s", plain->u.err.msg);
    rt_decref(plain);
    goto done;
  }
  One o = {0};
  o.data = plain ? (const uint8_t *)plain->u.str.s : body->data;
  o.len = plain ? plain->u.str.len : (size_t)body->size;
  o.src_mode = (long)(body->mode & 07777);
  o.dest = dest;
  o.base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
  o.after_header = f->name;
  bool skip;
  r = copy_one(&c, &o, &skip);
  rt_decref(plain);
  if (skip)
    r = NULL; /* the action's loop skips it: an empty result */
  if (!r && skip) {
    r = rt_dict_new(3);
    rt_dict_set(r, "dest", rt_strz(dest));
    char *abs = rt_abspath(h->run, f->name);
    rt_dict_set(r, "src", rt_str_take(abs, strlen(abs)));
    rt_dict_set(r, "changed", rt_bool(false));
  }
done:
  free(dest);
  free(src);
  free(content);
  copy_fini(&c);
  return r;
}

#endif
