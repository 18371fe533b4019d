/*
 * copy.c — the copy module: `content`, or `src` embedded in the binary at
 * compile time, to `dest`, in one request when the body is small: the
 * script (target.c) expands dest on the target, compares the target's SHA-1
 * with the one computed here and, when equal, only fixes owner/group/mode;
 * otherwise it writes the body (sent base64-encoded on the request's stdin)
 * to a private temp file beside dest, checks its SHA-1, sets its mode and
 * renames it into place (atomic replacement, as Ansible's atomic_move), then
 * sets owner and group. A body over INLINE_MAX is not sent before the
 * comparison says it is needed: that request leaves the temp file in place,
 * the controller remembers it (rt_host_temp_keep: removed if the run is
 * interrupted or the host lost), the body goes over SFTP (or locally), and a
 * second request finishes the replacement. Check mode stops after the
 * comparison. Everything the script learns comes back as records.
 */
#include "mod.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam copy_params[] = {
    {.name = "dest", .type = MP_PATH}, /* required: the action says so its way */
    {.name = "src", .type = MP_PATH},
    {.name = "content", .type = MP_STR},
    {.name = "mode", .type = MP_MODE},
    {.name = "owner", .type = MP_STR},
    {.name = "group", .type = MP_STR},
    {.name = "force", .type = MP_BOOL, .aliases = "thirsty"},
    {.name = "backup", .type = MP_BOOL},
};
const ModSchema mod_schema_copy = {
    .name = "copy",
    .params = copy_params,
    .nparams = MOD_N(copy_params),
    .free_form = true};

#ifndef MOD_SCHEMA_ONLY

/* Bodies up to this size travel with the first request (base64: 4/3 of it). */
enum { INLINE_MAX = 256 * 1024 };

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

typedef struct Copy {
  const void *data;
  size_t len;
  char sha[EVP_MAX_MD_SIZE * 2 + 1], md5[EVP_MAX_MD_SIZE * 2 + 1];
  ModAttrs attrs;
  bool backup, force, check;
  char temp[MOD_TEMP_NAME]; /* the temp file's name (in dest's directory) */
} Copy;

/* Shell that moves the written temp file into place as "$d" with mode $m
 * (the backup first when asked), then sets owner and group. */
static void replace_script(RtBuf *s, const Copy *c) {
  if (c->backup) /* Ansible's backup_local name: dest.PID.TIMESTAMP~ */
    rt_buf_puts(s, "if [ -n \"$om\" ]; then bk=\"$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; "
                   "cp -p -- \"$d\" \"$bk\" || exit 1; __playc_rec backup_file \"$bk\"; fi\n");
  rt_buf_puts(s, "chmod -- \"$m\" \"$__playc_tmp\" && mv -f -- \"$__playc_tmp\" \"$d\" || exit 1\n"
                 "__playc_tmp=; ch=1; __playc_rec written 1\n");
  ModAttrs ids = c->attrs;
  ids.mode = -1; /* set on the temp file already */
  mod_sh_attrs_apply(s, "d", &ids, NULL);
  rt_buf_puts(s, "__playc_stat \"$d\"; __playc_rec changed $ch\n");
}

/* $m: the requested mode, unless an owner or group lookup failed (Ansible
 * then fails before setting it); else the old file's mode or a new file's
 * default, as atomic_move. Before the temp file's umask 077. */
static void mode_script(RtBuf *s, const Copy *c) {
  rt_buf_puts(s, "m=${om:-$(printf %o $((0666 & ~$(umask))))}\n");
  if (c->attrs.mode >= 0)
    rt_buf_printf(s, "[ -n \"$af\" ] || m=%lo\n", c->attrs.mode);
}

/* Request 1: resolve dest, compare, fix attributes when the content is equal;
 * otherwise make the temp file and, with `b64`, write the body and finish. */
static void first_script(RtBuf *s, Copy *c, const char *dest, const char *base, bool inline_body) {
  rt_buf_puts(s, "__playc_traps\n");
  mod_sh_set_path(s, "d", dest);
  mod_sh_set(s, "b", base);
  rt_buf_printf(s, "ck=%d; ch=0; om=\n", c->check ? 1 : 0);
  mod_sh_attrs_begin(s, &c->attrs);
  rt_buf_printf(s,
                "case $d in */) d=$d$b;; esac\n"
                "if [ -d \"$d\" ]; then [ -n \"$b\" ] || { __playc_rec fail contentdir; exit 0; }; d=$d/$b; fi\n"
                "case $d in */*) dir=${d%%/*}; [ -n \"$dir\" ] || dir=/;; *) dir=.;; esac\n"
                "[ -d \"$dir\" ] || { __playc_rec fail nodir; __playc_rec dir \"$dir\"; exit 0; }\n"
                "__playc_rec dest \"$d\"\n"
                "if [ -f \"$d\" ]; then\n"
                "  [ %d = 1 ] || { __playc_rec same 1; exit 0; }\n"
                "  set -- $(sha1sum < \"$d\")\n"
                "  if [ \"$1\" = %s ]; then __playc_rec same 1\n",
                c->force ? 1 : 0, c->sha);
  mod_sh_attrs_apply(s, "d", &c->attrs, NULL);
  rt_buf_puts(s, "    __playc_stat \"$d\"; __playc_rec changed $ch; exit 0\n"
                 "  fi\n"
                 "  om=$(stat -c %a -- \"$d\")\n"
                 "fi\n"
                 "[ $ck = 0 ] || exit 0\n");
  mode_script(s, c);
  mod_sh_temp_beside(s, "dir", c->temp);
  if (inline_body) { /* the rest of the replacement, in the same request */
    rt_buf_printf(s, "base64 -d > \"$__playc_tmp\" && set -- $(sha1sum < \"$__playc_tmp\") && "
                     "[ \"$1\" = %s ] || { __playc_rec fail damaged; exit 0; }\n",
                  c->sha);
    replace_script(s, c);
  } else { /* the body follows over SFTP: the temp file outlives this request */
    rt_buf_puts(s, "__playc_rec tmp \"$__playc_tmp\"; __playc_rec newmode \"$m\"; "
                   "__playc_rec oldmode \"$om\"; __playc_tmp=\n");
  }
}

/* Request 2: the body is in the temp file; finish the replacement. */
static void second_script(RtBuf *s, const Copy *c, const RtExec *first) {
  rt_buf_puts(s, "__playc_traps\n");
  mod_sh_set(s, "__playc_tmp", mod_rec(first, "tmp"));
  mod_sh_set(s, "d", mod_rec(first, "dest"));
  mod_sh_set(s, "om", mod_rec(first, "oldmode") ? mod_rec(first, "oldmode") : "");
  mod_sh_set(s, "m", mod_rec(first, "newmode") ? mod_rec(first, "newmode") : "644");
  rt_buf_puts(s, "ck=0; ch=1\n");
  mod_sh_attrs_begin(s, &c->attrs);
  replace_script(s, c);
}

/* Ansible's result for a reply; NULL when the body must still be sent. */
static RtValue *copy_result(const Copy *c, const RtExec *ex, const char *dest_arg) {
  const char *dest = mod_rec(ex, "dest") ? mod_rec(ex, "dest") : dest_arg;
  const char *fail = mod_rec(ex, "fail");
  RtValue *r = mod_attrs_failure(ex, &c->attrs, dest);
  if (r) {
    rt_dict_set(r, "checksum", rt_strz(c->sha)); /* the action adds its own */
    return r;
  }
  if (ex->rc != 0)
    return mod_fail_result("%s", ex->err.len ? ex->err.data : "copy failed");
  if (fail && strcmp(fail, "contentdir") == 0)
    return mod_fail_result("can not use content with a dir as dest");
  if (fail && strcmp(fail, "nodir") == 0)
    return mod_fail_result("Destination directory %s does not exist", mod_rec(ex, "dir"));
  if (fail && strcmp(fail, "damaged") == 0)
    return mod_fail_result("the body of %s arrived damaged", dest);
  if (fail)
    return mod_fail_result("could not create a temporary file beside %s: %s", dest,
                           ex->err.len ? ex->err.data : fail);
  if (mod_rec(ex, "same")) {
    r = rt_dict_new(12);
    rt_dict_set(r, "changed", rt_bool(mod_rec_is(ex, "changed", "1")));
    rt_dict_set(r, "checksum", rt_strz(c->sha));
    rt_dict_set(r, "dest", rt_strz(dest));
    mod_add_stat(r, ex);
    rt_dict_set(r, "path", rt_strz(dest));
    rt_dict_set(r, "state", rt_strz("file"));
    return r;
  }
  if (mod_rec(ex, "written")) {
    r = rt_dict_new(14);
    rt_dict_set(r, "changed", rt_bool(true));
    rt_dict_set(r, "checksum", rt_strz(c->sha));
    rt_dict_set(r, "dest", rt_strz(dest));
    mod_add_stat(r, ex);
    rt_dict_set(r, "md5sum", rt_strz(c->md5));
    rt_dict_set(r, "src", rt_strz(mod_rec(ex, "tmp") ? mod_rec(ex, "tmp") : ""));
    if (mod_rec(ex, "backup_file"))
      rt_dict_set(r, "backup_file", rt_strz(mod_rec(ex, "backup_file")));
    rt_dict_set(r, "state", rt_strz("file"));
    return r;
  }
  if (c->check) { /* Ansible's copy action answers before transferring anything */
    r = rt_dict_new(1);
    rt_dict_set(r, "changed", rt_bool(true));
    return r;
  }
  return NULL;
}

/* The body over SFTP into the temp file the first request made, then the
 * second request. NULL when the host was lost or the run interrupted. */
static RtValue *copy_large(RtHost *h, const Copy *c, RtExec *first) {
  const char *tmp = mod_rec(first, "tmp"), *dest = mod_rec(first, "dest");
  size_t tl = tmp ? strlen(tmp) : 0, nl = strlen(c->temp);
  /* the path must be the temp file this run named */
  if (!tmp || !dest || tl <= nl || strcmp(tmp + tl - nl, c->temp) != 0 || tmp[tl - nl - 1] != '/')
    return mod_fail_result("could not create a temporary file beside %s", dest ? dest : "dest");
  char *err = NULL;
  RtValue *r = NULL;
  rt_host_temp_keep(h, tmp);
  if (rt_host_put(h, tmp, c->data, c->len, 0600, &err) < 0) {
    if (!rt_host_lost(h)) {
      r = mod_fail_result("%s", err);
      rt_host_temp_remove(h, tmp);
    }
    free(err);
    return r;
  }
  RtBuf s = {0};
  second_script(&s, c, first);
  RtExec ex;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  if (rc < 0) {
    free(err);
    return NULL;
  }
  rt_host_temp_forget(h, tmp); /* renamed, or removed by the request's trap */
  rt_dict_set(ex.rec, "tmp", rt_strz(tmp));
  r = copy_result(c, &ex, dest);
  if (!r)
    r = mod_fail_result("could not replace %s", dest);
  rt_exec_free(&ex);
  return r;
}

RtValue *mod_copy(RtHost *h, RtValue *args) {
  char *dest = mod_arg_str(args, "dest"), *src = mod_arg_str(args, "src");
  size_t content_len = 0;
  char *content = content_arg(args, &content_len);
  char *owner = mod_arg_str(args, "owner"), *group = mod_arg_str(args, "group");
  Copy c = {0};
  c.attrs.owner = owner;
  c.attrs.group = group;
  c.attrs.mode = mod_arg_mode(args, "mode");
  c.backup = mod_arg_bool(args, "backup", 0) == 1;
  c.force = mod_arg_bool(args, "force", mod_arg_bool(args, "thirsty", 1)) != 0;
  c.check = h->check_mode;
  RtValue *r = NULL;
  char *err = NULL, *b64 = NULL;
  size_t b64len = 0;
  RtBuf s = {0};
  /* the copy action's own checks, in its order and words */
  if ((!src || !*src) && !content) {
    r = mod_fail_result("src (or content) is required");
    goto done;
  } else if (!dest || !*dest) {
    r = mod_fail_result("dest is required");
    goto done;
  } else if (src && *src && content) {
    r = mod_fail_result("src and content are mutually exclusive");
    goto done;
  } else if (content && dest[0] && dest[strlen(dest) - 1] == '/') {
    r = mod_fail_result("can not use content with a dir as dest");
    goto done;
  }
  if (c.attrs.mode == -2) {
    r = mod_fail_result("mode must be in octal or symbolic form");
    goto done;
  }
  if (content) {
    c.data = content;
    c.len = content_len;
  } else {
    const RtFileDef *f = src ? rt_find_file(h, src) : NULL;
    if (!f) {
      r = rt_file_not_found(h, "files", src);
      goto done;
    }
    if (!f->data && (f->mode & 0170000) == 0040000) {
      r = mod_fail_result("copy of the folder '%s': playc copies single files only so far", src);
      goto done;
    }
    c.data = f->data;
    c.len = (size_t)f->size;
  }
  digest_hex(EVP_sha1(), c.data, c.len, c.sha);
  digest_hex(EVP_md5(), c.data, c.len, c.md5);
  const char *base = src ? (strrchr(src, '/') ? strrchr(src, '/') + 1 : src) : "";
  bool inline_body = !c.check && c.len <= INLINE_MAX;
  first_script(&s, &c, dest ? dest : "", base, inline_body);
  if (inline_body)
    b64 = base64_lines(c.data, c.len, &b64len);
  RtExec ex;
  int xrc = rt_host_exec(h, s.data, b64, b64len, &ex, &err);
  if (xrc < 0)
    goto done; /* unreachable or interrupted: no result */
  r = copy_result(&c, &ex, dest);
  if (!r)
    r = copy_large(h, &c, &ex);
  rt_exec_free(&ex);
done:
  rt_buf_free(&s);
  free(b64);
  free(err);
  free(dest);
  free(src);
  free(content);
  free(owner);
  free(group);
  return r;
}

#endif
