/*
 * edit.c — how the file-content modules (lineinfile, blockinfile, replace,
 * ini_file) read a file on the target and write it back, so that each of
 * them is only its text logic in C:
 *
 *   1. one request reads: the path expanded on the target (Ansible's
 *      type=path), what it is, its stat, the owner/group lookups the
 *      attributes need, the target's umask and ids, and the body itself,
 *      base64-encoded on stdout when it is at most MOD_EDIT_INLINE bytes
 *      (records cannot hold NUL bytes; base64 output cannot hold the
 *      token); a larger body is read over SFTP (rt_host_get);
 *   2. the module computes the new text on the controller; the attributes
 *      (owner, group, mode) are compared here, as Ansible's
 *      set_fs_attributes_if_different would see them after the write;
 *   3. only when something differs, and never in check mode, one request
 *      writes: the backup (Ansible's name, cp -p), the body into a private
 *      temp file beside the destination, the validate command on it, the
 *      old file's mode and owner (or a new file's defaults) on it, the
 *      rename over the destination (atomic: a cut connection leaves the old
 *      or the new file), then the attributes asked for.
 * A file whose content and attributes are as asked costs one round trip.
 */
#include "mod.h"

#ifndef MOD_SCHEMA_ONLY /* runtime only: playc compiles module files for their schemas */

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the common file arguments -------------------------------------------------- */

void mod_edit_init(ModEdit *e, RtHost *h, RtValue *args) {
  memset(e, 0, sizeof *e);
  e->check = h->check_mode;
  e->diff = h->diff_mode;
  e->owner = mod_arg_str(args, "owner");
  e->group = mod_arg_str(args, "group");
  e->mode = mod_arg_mode(args, "mode");
  if (e->mode == -2) {
    e->symbolic = mod_arg_str(args, "mode");
    e->mode = -1;
  }
  e->backup = mod_arg_bool(args, "backup", 0) == 1;
  e->validate = mod_arg_str(args, "validate");
  e->unsafe_writes = mod_arg_bool(args, "unsafe_writes", 0) == 1;
  for (const char *const *se = (const char *const[]){"seuser", "serole", "setype", "selevel", NULL}; *se; se++) {
    RtValue *v = rt_dict_get(args, *se);
    if (v && rt_kind(v) != RT_NONE)
      e->selinux = true;
  }
}

void mod_edit_free(ModEdit *e) {
  free(e->owner);
  free(e->group);
  free(e->symbolic);
  free(e->validate);
  free(e->path);
  free(e->af);
  rt_decref(e->stat);
  rt_buf_free(&e->data);
}

/* ---- reading ------------------------------------------------------------------------ */

static void read_script(RtBuf *s, const ModEdit *e, const char *path) {
  mod_sh_set_path(s, "p", path);
  rt_buf_puts(s, "__playc_rec path \"$p\"\n");
  ModAttrs a = {e->owner, e->group, -1, NULL, false};
  mod_sh_attrs_begin(s, &a);
  rt_buf_puts(s, "__playc_rec af \"$af\"; __playc_rec ou \"${ou-}\"; __playc_rec og \"${og-}\"\n"
                 "__playc_rec umask \"$(umask)\"\n");
  if (e->selinux) /* Ansible ignores the SELinux arguments where SELinux is off */
    rt_buf_puts(s, "[ ! -e /sys/fs/selinux/enforce ] || __playc_rec selinux 1\n");
  rt_buf_printf(s,
                "case $p in */*) dir=${p%%/*}; [ -n \"$dir\" ] || dir=/;; *) dir=.;; esac\n"
                "[ -d \"$dir\" ] && __playc_rec pdir 1\n"
                "if [ -d \"$p\" ]; then __playc_rec kind directory; exit 0; fi\n"
                "if [ ! -e \"$p\" ]; then __playc_rec kind absent; __playc_rec ids \"$(id -u) $(id -g)\"; exit 0; fi\n"
                "__playc_rec st \"$(stat -c '%%u %%g %%a %%s' -- \"$p\")\" || exit 1\n"
                "__playc_stat \"$p\"\n"
                "if [ -L \"$p\" ]; then __playc_rec kind link; sz=$(stat -L -c %%s -- \"$p\"); "
                "else __playc_rec kind file; sz=${sz:-$(stat -c %%s -- \"$p\")}; fi\n"
                "[ -r \"$p\" ] || { __playc_rec unreadable 1; exit 0; }\n"
                "if [ \"$sz\" -le %d ]; then base64 < \"$p\" || exit 1; else __playc_rec large 1; fi\n",
                MOD_EDIT_INLINE);
}

char *mod_base64_lines(const void *data, size_t len, size_t *outlen) {
  RtBuf b = {0};
  enum { IN_LINE = 3072 };
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

bool mod_unbase64(const char *s, size_t len, RtBuf *out) {
  EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
  EVP_DecodeInit(ctx);
  size_t cap = len / 4 * 3 + 4;
  unsigned char *buf = rt_xmalloc(cap);
  int n = 0, m = 0;
  bool ok = EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)s, (int)len) >= 0 &&
            EVP_DecodeFinal(ctx, buf + n, &m) >= 0;
  if (ok)
    rt_buf_add(out, (const char *)buf, (size_t)(n + m));
  if (!out->data)
    rt_buf_add(out, "", 0);
  free(buf);
  EVP_ENCODE_CTX_free(ctx);
  return ok;
}

int mod_edit_read(RtHost *h, ModEdit *e, const char *path, RtValue **fail) {
  RtBuf s = {0};
  char *err = NULL;
  read_script(&s, e, path);
  RtExec ex;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  if (rc < 0) {
    free(err);
    return -1;
  }
  *fail = NULL;
  e->path = rt_xstrdup(mod_rec(&ex, "path") ? mod_rec(&ex, "path") : path);
  const char *kind = mod_rec(&ex, "kind");
  e->kind = !kind                          ? MOD_EDIT_ABSENT
            : !strcmp(kind, "directory")   ? MOD_EDIT_DIR
            : !strcmp(kind, "link")        ? MOD_EDIT_LINK
            : !strcmp(kind, "file")        ? MOD_EDIT_FILE
                                           : MOD_EDIT_ABSENT;
  e->parent_exists = mod_rec_is(&ex, "pdir", "1");
  e->umask = strtol(mod_rec(&ex, "umask") ? mod_rec(&ex, "umask") : "022", NULL, 8);
  e->af = mod_rec(&ex, "af") && *mod_rec(&ex, "af") ? rt_xstrdup(mod_rec(&ex, "af")) : NULL;
  e->ou = mod_rec_int(&ex, "ou", -1);
  e->og = mod_rec_int(&ex, "og", -1);
  e->selinux_on = mod_rec_is(&ex, "selinux", "1");
  const char *ids = mod_rec(&ex, "ids"), *st = mod_rec(&ex, "st");
  if (ids)
    sscanf(ids, "%lld %lld", &e->uid, &e->gid);
  if (st) {
    long mode = 0;
    sscanf(st, "%lld %lld %lo %lld", &e->uid, &e->gid, &mode, &e->size);
    e->cur_mode = mode;
  }
  if (mod_rec(&ex, "st.mode")) { /* the stat fail_json(path=...) adds */
    e->stat = rt_dict_new(8);
    mod_add_stat(e->stat, &ex);
  }
  if (ex.rc != 0) {
    *fail = mod_fail_result("%s", ex.err.len ? ex.err.data : "could not read the file");
  } else if (mod_rec(&ex, "unreadable")) {
    e->unreadable = true;
  } else if (e->kind == MOD_EDIT_FILE || e->kind == MOD_EDIT_LINK) {
    if (mod_rec(&ex, "large")) {
      rt_exec_free(&ex);
      char *abs = e->path[0] == '/' ? rt_xstrdup(e->path) : NULL;
      if (!abs) { /* SFTP starts in the login directory, as the shell does */
        abs = rt_xstrdup(e->path);
      }
      rc = rt_host_get(h, abs, &e->data, &err);
      free(abs);
      if (rc < 0) {
        if (!rt_host_lost(h))
          *fail = mod_fail_result("%s", err);
        free(err);
        return rt_host_lost(h) ? -1 : 0;
      }
      return 0;
    }
    if (!mod_unbase64(ex.out.data, ex.out.len, &e->data))
      *fail = mod_fail_result("the body of %s arrived damaged", e->path);
  }
  rt_exec_free(&ex);
  return 0;
}

/* ---- attributes ---------------------------------------------------------------------- */

/* Ansible's _symbolic_mode_to_octal for a file of mode `prev` (a directory
 * when `isdir`) and the target's umask; -1 when the mode is not valid. */
long mod_symbolic_mode(const char *sym, long prev, bool isdir, long umask) {
  long mode = prev, rev_umask = umask ^ 07777;
  bool apply_x = isdir || (prev & 0111);
  const char *p = sym;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    size_t u = strcspn(p, "+-=");
    if (u >= n)
      return -1; /* no operator */
    char users[8] = "";
    bool use_umask = u == 0;
    if (u == 0 || (u == 1 && p[0] == 'a'))
      strcpy(users, "ugo");
    else if (u < sizeof users && strspn(p, "ugo") >= u)
      snprintf(users, sizeof users, "%.*s", (int)u, p);
    else
      return -1;
    for (size_t i = u; i < n;) {
      char op = p[i++];
      size_t pl = strcspn(p + i, "+-=");
      if (pl > n - i)
        pl = n - i;
      if (strspn(p + i, "rwxXstugo") < pl)
        return -1;
      for (const char *w = users; *w; w++) {
        long apply = 0;
        int sh = *w == 'u' ? 6 : *w == 'g' ? 3 : 0;
        for (size_t k = 0; k < pl; k++) {
          char c = p[i + k];
          long bit = c == 'r' ? 4 : c == 'w' ? 2 : c == 'x' ? 1 : 0;
          if (bit)
            apply |= use_umask ? (rev_umask & (bit << sh)) : (bit << sh);
          else if (c == 'X')
            apply |= apply_x ? (1L << sh) : 0;
          else if (c == 's')
            apply |= *w == 'u' ? S_ISUID : *w == 'g' ? S_ISGID : 0;
          else if (c == 't')
            apply |= *w == 'o' ? S_ISVTX : 0;
          else { /* u, g, o: that class's bits of the previous mode */
            int from = c == 'u' ? 6 : c == 'g' ? 3 : 0;
            apply |= ((prev >> from) & 7) << sh;
          }
        }
        if (op == '=') {
          long mask = *w == 'u' ? (0700 | S_ISUID) : *w == 'g' ? (070 | S_ISGID) : (07 | S_ISVTX);
          mode = (mode & (mask ^ 07777)) | apply;
        } else if (op == '+') {
          mode |= apply;
        } else {
          mode -= mode & apply;
        }
      }
      i += pl;
    }
    if (!end)
      break;
    p = end + 1;
  }
  return mode;
}

/* The file's attributes once the new content is in place: the old file's,
 * or a new file's (the module's ids, 0666 & ~umask). */
static void after_write_state(const ModEdit *e, bool created, long long *uid, long long *gid, long *mode) {
  if (created) {
    *uid = e->uid;
    *gid = e->gid;
    *mode = 0666 & ~e->umask;
  } else {
    *uid = e->uid;
    *gid = e->gid;
    *mode = e->cur_mode;
  }
}

static void diff_set(RtValue *diff, const char *side, const char *key, RtValue *v) {
  RtValue *d = rt_dict_get(diff, side);
  if (!d) {
    d = rt_dict_new(4);
    rt_dict_set(diff, side, d);
  }
  rt_dict_set(d, key, v);
}

/* What set_fs_attributes_if_different would change: sets e->set_* and,
 * when `diff` is given, its before/after keys. Returns a failure result
 * (mode not valid) or NULL. */
static RtValue *compare_attrs(ModEdit *e, bool created, RtValue *diff) {
  long long uid, gid;
  long mode;
  after_write_state(e, created, &uid, &gid, &mode);
  /* a failed lookup stops there: an unknown user before anything, an
   * unknown group after the owner */
  bool owner_ok = !e->af || strcmp(e->af, "nouser") != 0;
  if (e->owner && owner_ok && e->ou != uid) {
    e->set_uid = e->ou;
    if (diff) {
      diff_set(diff, "before", "owner", rt_int(uid));
      diff_set(diff, "after", "owner", rt_int(e->ou));
    }
  }
  if (e->group && !e->af && e->og != gid) {
    e->set_gid = e->og;
    if (diff) {
      diff_set(diff, "before", "group", rt_int(gid));
      diff_set(diff, "after", "group", rt_int(e->og));
    }
  }
  long want = e->mode;
  if (e->symbolic && !e->af) {
    want = mod_symbolic_mode(e->symbolic, mode, false, e->umask);
    if (want < 0) {
      RtValue *r = mod_fail_result("mode must be in octal or symbolic form");
      rt_dict_set(r, "path", rt_strz(e->path));
      return r;
    }
  }
  if (want >= 0 && !e->af && want != mode) {
    e->set_mode = want;
    if (diff) {
      char b[32], a[32];
      snprintf(b, sizeof b, "0%03lo", mode);
      snprintf(a, sizeof a, "0%03lo", want);
      diff_set(diff, "before", "mode", rt_strz(b));
      diff_set(diff, "after", "mode", rt_strz(a));
    }
  }
  return NULL;
}

/* set_owner/group_if_different's failure when the name is unknown. */
static RtValue *lookup_failure(const ModEdit *e) {
  RtValue *r = !strcmp(e->af, "nouser") ? mod_fail_result("chown failed: failed to look up user %s", e->owner)
                                        : mod_fail_result("chgrp failed: failed to look up group %s", e->group);
  mod_edit_path_info(e, r);
  return r;
}

void mod_edit_path_info(const ModEdit *e, RtValue *r) {
  rt_dict_set(r, "path", rt_strz(e->path));
  for (size_t i = 0; e->stat && i < e->stat->u.dict.len; i++)
    rt_dict_set(r, e->stat->u.dict.ents[i].key->u.str.s, rt_incref(e->stat->u.dict.ents[i].val));
}

/* ---- writing --------------------------------------------------------------------------- */

/* shlex.split of the validate command after Python's `validate % tmp`:
 * each word as shell text assigning aN, "%s" standing for "$__playc_tmp". */
static int validate_words(RtBuf *s, const char *cmd) {
  int n = 0;
  const char *p = cmd;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
      p++;
    if (!*p)
      break;
    RtBuf w = {0};
    rt_buf_printf(s, "a%d=", n);
    while (*p && !strchr(" \t\n\r\f\v", *p)) {
      char q = *p;
      if (q == '\'' || q == '"') {
        p++;
        while (*p && *p != q) {
          if (q == '"' && *p == '\\' && strchr("\"\\$`", p[1]))
            p++;
          rt_buf_putc(&w, *p++);
        }
        if (*p)
          p++;
      } else if (q == '\\' && p[1]) {
        rt_buf_putc(&w, p[1]);
        p += 2;
      } else {
        rt_buf_putc(&w, *p++);
      }
    }
    /* "%s" → the temp file, "%%" → "%" */
    const char *t = w.data ? w.data : "", *lit = t;
    RtBuf piece = {0};
    for (; *t; t++) {
      if (t[0] == '%' && (t[1] == 's' || t[1] == '%')) {
        rt_buf_add(&piece, lit, (size_t)(t - lit));
        if (t[1] == '%')
          rt_buf_putc(&piece, '%');
        else {
          rt_sh_quote(s, piece.data ? piece.data : "");
          rt_buf_puts(s, "\"$__playc_tmp\"");
          rt_buf_free(&piece);
        }
        t++;
        lit = t + 1;
      }
    }
    rt_buf_add(&piece, lit, strlen(lit));
    rt_sh_quote(s, piece.data ? piece.data : "");
    rt_buf_putc(s, '\n');
    rt_buf_free(&piece);
    rt_buf_free(&w);
    n++;
  }
  return n;
}

/* Shell that applies the resolved attributes to "$p" (lchown as Ansible). */
static void attrs_script(RtBuf *s, const ModEdit *e) {
  if (e->set_uid >= 0)
    rt_buf_printf(s, "chown -h -- %lld \"$p\" 2>/dev/null || { __playc_rec fail chown; exit 0; }\n", e->set_uid);
  if (e->set_gid >= 0)
    rt_buf_printf(s, "chgrp -h -- %lld \"$p\" 2>/dev/null || { __playc_rec fail chgrp; exit 0; }\n", e->set_gid);
  if (e->set_mode >= 0)
    rt_buf_printf(s, "[ -L \"$p\" ] || chmod -- %lo \"$p\" || exit 1\n", e->set_mode);
}

static void write_script(RtBuf *s, const ModEdit *e, bool content, bool inline_body, const char *large_tmp,
                         bool follow) {
  rt_buf_puts(s, "__playc_traps\n");
  mod_sh_set(s, "p", e->path);
  if (!content) {
    attrs_script(s, e);
    rt_buf_puts(s, "__playc_stat \"$p\"; __playc_rec done 1\n");
    return;
  }
  if (!e->parent_exists) /* os.makedirs of the missing folders */
    rt_buf_puts(s, "case $p in */*) mkdir -p -- \"${p%/*}\" 2>/dev/null;; esac\n");
  if (follow && (e->kind == MOD_EDIT_LINK))
    rt_buf_puts(s, "rp=$(realpath -m -- \"$p\") || exit 1\n");
  else
    rt_buf_puts(s, "rp=$p\n");
  rt_buf_puts(s, "case $rp in */*) dir=${rp%/*}; [ -n \"$dir\" ] || dir=/;; *) dir=.;; esac\n");
  if (e->backup && e->kind != MOD_EDIT_ABSENT) /* backup_local: dest.PID.YYYY-MM-DD@HH:MM:SS~ */
    rt_buf_puts(s, "bk=\"$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$p\" \"$bk\" || exit 1; "
                   "__playc_rec backup_file \"$bk\"\n");
  if (large_tmp) {
    mod_sh_set(s, "__playc_tmp", large_tmp);
  } else {
    char name[MOD_TEMP_NAME];
    mod_sh_temp_beside(s, "dir", name);
    if (inline_body)
      rt_buf_puts(s, "base64 -d > \"$__playc_tmp\" || exit 1\n");
  }
  if (e->validate) {
    int n = validate_words(s, e->validate);
    rt_buf_puts(s, "case $a0 in -*) __playc_rec fail nocmd; exit 0;; esac\n"
                   "__playc_which \"$a0\" || { __playc_rec fail nocmd; __playc_rec cmd \"$a0\"; exit 0; }\n"
                   "( exec");
    for (int i = 0; i < n; i++)
      rt_buf_printf(s, " \"$a%d\"", i);
    rt_buf_puts(s, " ) </dev/null; vrc=$?\n"
                   "[ $vrc = 0 ] || { __playc_rec vrc $vrc; exit 0; }\n");
  }
  long long uid, gid;
  long mode;
  after_write_state(e, e->kind == MOD_EDIT_ABSENT, &uid, &gid, &mode);
  /* atomic_move: the old file's mode and owner (a new file's defaults) */
  rt_buf_printf(s, "chmod %lo \"$__playc_tmp\" || exit 1\n", mode);
  if (e->kind != MOD_EDIT_ABSENT)
    rt_buf_printf(s, "chown %lld:%lld \"$__playc_tmp\" 2>/dev/null\n", uid, gid);
  rt_buf_puts(s, "if mv -f -- \"$__playc_tmp\" \"$rp\" 2>/dev/null; then __playc_tmp=\n");
  if (e->unsafe_writes) /* _unsafe_writes: the content copied in place */
    rt_buf_puts(s, "elif cat -- \"$__playc_tmp\" > \"$rp\"; then :\n");
  rt_buf_puts(s, "else __playc_rec fail move; exit 0; fi\n"
                 "__playc_rec written 1\n");
  attrs_script(s, e);
  rt_buf_puts(s, "__playc_stat \"$p\"; __playc_rec done 1\n");
}

/* The temp file a large body goes to: beside the real destination. */
static char *large_temp_path(const ModEdit *e) {
  char rnd[25];
  rt_random_hex(rnd, 12);
  const char *slash = strrchr(e->path, '/');
  if (!slash)
    return rt_xasprintf(".playc-tmp-%s", rnd);
  return rt_xasprintf("%.*s/.playc-tmp-%s", (int)(slash - e->path), e->path, rnd);
}

RtValue *mod_edit_write(RtHost *h, ModEdit *e, const char *data, size_t len, bool content_changed, bool follow,
                        RtValue *attr_diff, bool *attrs_changed, char **backup_file) {
  *attrs_changed = false;
  *backup_file = NULL;
  e->set_uid = e->set_gid = -1;
  e->set_mode = -1;
  if (e->selinux && e->selinux_on)
    return mod_fail_result("playc does not manage SELinux contexts (seuser, serole, setype, selevel), and "
                           "SELinux is enabled on this host");
  bool created = e->kind == MOD_EDIT_ABSENT;
  if (e->check && created) /* check_file_absent_if_check_mode: nothing to compare */
    return NULL;
  RtValue *bad = compare_attrs(e, created, attr_diff);
  if (bad)
    return bad;
  *attrs_changed = e->set_uid >= 0 || e->set_gid >= 0 || e->set_mode >= 0;
  bool lookup_failed = e->af != NULL;
  if (e->check || (!content_changed && !*attrs_changed && !lookup_failed))
    return lookup_failed ? lookup_failure(e) : NULL;
  bool inline_body = content_changed && len <= MOD_EDIT_INLINE;
  char *large = NULL, *err = NULL, *b64 = NULL;
  RtValue *r = NULL;
  if (content_changed && !inline_body) {
    large = large_temp_path(e);
    rt_host_temp_keep(h, large);
    if (rt_host_put(h, large, data, len, 0600, &err) < 0) {
      if (!rt_host_lost(h)) {
        r = mod_fail_result("%s", err);
        rt_host_temp_remove(h, large);
      }
      goto done;
    }
  }
  RtBuf s = {0};
  write_script(&s, e, content_changed, inline_body, large, follow);
  size_t b64len = 0;
  if (inline_body) {
    b64 = mod_base64_lines(data, len, &b64len);
  }
  RtExec ex;
  int rc = rt_host_exec(h, s.data, b64, b64len, &ex, &err);
  rt_buf_free(&s);
  if (rc < 0)
    goto done;
  if (large)
    rt_host_temp_forget(h, large); /* renamed, or removed by the request's trap */
  const char *fail = mod_rec(&ex, "fail");
  if (mod_rec(&ex, "st.mode")) { /* the file as the write left it */
    rt_decref(e->stat);
    e->stat = rt_dict_new(8);
    mod_add_stat(e->stat, &ex);
  }
  if (mod_rec(&ex, "backup_file"))
    *backup_file = rt_xstrdup(mod_rec(&ex, "backup_file"));
  if (mod_rec(&ex, "vrc")) {
    /* lineinfile's 'failed to validate: rc:%s error:%s' */
    r = mod_fail_result("failed to validate: rc:%s error:%s", mod_rec(&ex, "vrc"), ex.err.data ? ex.err.data : "");
  } else if (fail && !strcmp(fail, "nocmd")) {
    const char *cmd = mod_rec(&ex, "cmd") ? mod_rec(&ex, "cmd") : "";
    RtBuf m = {0};
    rt_buf_puts(&m, "[Errno 2] No such file or directory: ");
    mod_py_bytes_repr(&m, cmd);
    r = mod_fail_result("%s", m.data);
    rt_dict_set(r, "rc", rt_int(2));
    rt_buf_free(&m);
  } else if (fail && !strcmp(fail, "notmp")) {
    r = mod_fail_result("Unable to create a temporary file beside %s: %s", e->path,
                        ex.err.len ? ex.err.data : "permission denied");
  } else if (fail && !strcmp(fail, "move")) {
    r = mod_fail_result("Unable to make %s into to %s, failed final rename from the temporary file", e->path,
                        e->path);
  } else if (fail && !strcmp(fail, "chown")) {
    RtBuf m = {0};
    rt_buf_puts(&m, "chown failed: [Errno 1] Operation not permitted: ");
    mod_py_bytes_repr(&m, e->path);
    r = mod_fail_result("%s", m.data);
    mod_edit_path_info(e, r);
    rt_buf_free(&m);
  } else if (fail && !strcmp(fail, "chgrp")) {
    r = mod_fail_result("chgrp failed");
    mod_edit_path_info(e, r);
  } else if (ex.rc != 0 || !mod_rec(&ex, "done")) {
    r = mod_fail_result("%s", ex.err.len ? ex.err.data : "could not write the file");
  } else if (lookup_failed) { /* the content is written; the attributes fail, as Ansible's */
    r = lookup_failure(e);
  }
  rt_exec_free(&ex);
done:
  free(err);
  free(b64);
  free(large);
  return r;
}

#endif
