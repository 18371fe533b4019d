/*
 * copy.c — the copy module: `content`, or `src` embedded in the binary at
 * compile time, to `dest`, in one request when the body is small: the
 * script compares the target's SHA-1 with the one computed here and, when
 * equal, only fixes mode/owner/group; otherwise it writes the body (sent
 * base64-encoded on the request's stdin) to a private temp file beside dest
 * (mktemp, 0600), checks its SHA-1, sets its attributes and renames it into
 * place (atomic replacement, as Ansible's atomic_move). A body over
 * INLINE_MAX is not sent before the comparison says it is needed: that
 * request only creates the temp file, the body goes over SFTP (or locally),
 * and a second request finishes the replacement. Check mode stops after the
 * comparison.
 */
#include "mod.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bodies up to this size travel with the first request (base64: 4/3 of it). */
enum { INLINE_MAX = 256 * 1024 };

static void digest_hex(const EVP_MD *md, const void *data, size_t len, char *out) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data, len, d, &n, md, NULL);
  for (unsigned int i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", d[i]);
}

/* Appends shell that fixes mode/owner/group of "$d" (ch=1 when it did). */
static void attr_script(RtBuf *s, long mode, const char *owner, const char *group) {
  if (mode >= 0)
    rt_buf_printf(s, "[ \"$(stat -c %%a \"$d\")\" = \"%lo\" ] || { ch=1; [ $ck = 1 ] || chmod %lo \"$d\"; }\n",
                  mode, mode);
  if (owner) {
    rt_buf_puts(s, "o=");
    rt_sh_quote(s, owner);
    rt_buf_puts(s, "; [ \"$(stat -c %U \"$d\")\" = \"$o\" ] || [ \"$(stat -c %u \"$d\")\" = \"$o\" ] || "
                   "{ ch=1; [ $ck = 1 ] || chown \"$o\" \"$d\"; }\n");
  }
  if (group) {
    rt_buf_puts(s, "g=");
    rt_sh_quote(s, group);
    rt_buf_puts(s, "; [ \"$(stat -c %G \"$d\")\" = \"$g\" ] || [ \"$(stat -c %g \"$d\")\" = \"$g\" ] || "
                   "{ ch=1; [ $ck = 1 ] || chgrp \"$g\" \"$d\"; }\n");
  }
}

/* Best effort: removes the temp file a failed transfer left behind. */
static void remove_temp(RtHost *h, const char *tmp) {
  RtBuf s = {0};
  RtExec ex;
  char *err = NULL;
  rt_buf_puts(&s, "rm -f -- ");
  rt_sh_quote(&s, tmp);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) == 0)
    rt_exec_free(&ex);
  free(err);
  rt_buf_free(&s);
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

/* Appends shell that moves the written temp file "$t" into place as "$d":
 * mode $m (set before), backup when asked, owner/group, then the stat lines. */
static void replace_script(RtBuf *s, bool backup, const char *owner, const char *group) {
  if (backup) /* Ansible's backup_local name: dest.PID.TIMESTAMP~ */
    rt_buf_puts(s, "if [ -n \"$om\" ]; then bk=\"$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; "
                   "cp -p -- \"$d\" \"$bk\" || exit 1; echo \"backup_file=$bk\"; fi\n");
  rt_buf_puts(s, "chmod \"$m\" \"$t\" && mv -f -- \"$t\" \"$d\" || { rm -f -- \"$t\"; exit 1; }\n");
  attr_script(s, -1, owner, group);
}

static const char STAT_LINES[] =
    "stat -c 'mode=%a\nuid=%u\ngid=%g\nowner=%U\ngroup=%G\nsize=%s' \"$d\"; echo \"changed=$ch\"\n";

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

/* The result of a replacement, from the script's output. */
static RtValue *replaced_result(const char *out, const char *sha, const char *md5,
                                const char *final, const char *tmp) {
  RtValue *r = rt_dict_new(14);
  rt_dict_set(r, "changed", rt_bool(true));
  rt_dict_set(r, "checksum", rt_strz(sha));
  rt_dict_set(r, "dest", rt_strz(final));
  mod_add_stat(r, out);
  rt_dict_set(r, "md5sum", rt_strz(md5));
  rt_dict_set(r, "src", rt_strz(tmp ? tmp : ""));
  char *bk = mod_kv_line(out, "backup_file");
  if (bk)
    rt_dict_set(r, "backup_file", rt_strz(bk));
  free(bk);
  rt_dict_set(r, "state", rt_strz("file"));
  return r;
}

RtValue *mod_copy(RtHost *h, RtValue *args) {
  char *dest = mod_arg_str(args, "dest"), *src = mod_arg_str(args, "src");
  size_t content_len = 0;
  char *content = content_arg(args, &content_len);
  char *owner = mod_arg_str(args, "owner"), *group = mod_arg_str(args, "group");
  long mode = mod_arg_mode(args, "mode");
  int backup = mod_arg_bool(args, "backup", 0);
  int force = mod_arg_bool(args, "force", mod_arg_bool(args, "thirsty", 1));
  bool check = h->check_mode;
  RtValue *r = NULL;
  char *err = NULL, *final = NULL, *tmp_name = NULL;
  RtBuf s = {0};
  const void *data;
  size_t len;
  if (mode == -2) {
    r = mod_fail_result("mode must be in octal or symbolic form");
    goto done;
  }
  if (content) {
    data = content;
    len = content_len;
  } else {
    const RtFileDef *f = src ? rt_find_file(h, src) : NULL;
    if (!f) {
      r = mod_fail_result("Could not find or access '%s' (it was not embedded at compile time)",
                          src ? src : "");
      goto done;
    }
    data = f->data;
    len = (size_t)f->size;
  }
  char sha[EVP_MAX_MD_SIZE * 2 + 1], md5[EVP_MAX_MD_SIZE * 2 + 1];
  digest_hex(EVP_sha1(), data, len, sha);
  const char *base = src ? (strrchr(src, '/') ? strrchr(src, '/') + 1 : src) : "";
  /* request 1: resolve dest, compare, fix attributes when content is equal */
  rt_buf_puts(&s, "d=");
  rt_sh_quote(&s, dest);
  rt_buf_printf(&s, "; ck=%d; ch=0; om=; b=", check ? 1 : 0);
  rt_sh_quote(&s, base);
  rt_buf_printf(&s,
                "\ncase \"$d\" in */) d=\"$d$b\";; esac\n"
                "if [ -d \"$d\" ]; then [ -n \"$b\" ] || { echo 'err=can not use content with a dir as dest'; exit 0; }; d=\"$d/$b\"; fi\n"
                "dir=$(dirname -- \"$d\"); [ -d \"$dir\" ] || { echo \"err=Destination directory $dir does not exist\"; exit 0; }\n"
                "echo \"dest=$d\"\n"
                "if [ -f \"$d\" ]; then echo exists=1; [ %d = 1 ] || { echo same=1; %s exit 0; }\n"
                "  if [ \"$(sha1sum < \"$d\" | cut -d' ' -f1)\" = %s ]; then echo same=1\n",
                force == 0 ? 0 : 1, "", sha);
  /* (force: no → an existing file is left alone) */
  attr_script(&s, mode, owner, group);
  rt_buf_puts(&s, STAT_LINES);
  rt_buf_puts(&s, "  exit 0\n  else om=$(stat -c %a \"$d\"); echo \"oldmode=$om\"; fi\nfi\n"
                 "[ $ck = 1 ] || { t=$(mktemp \"$dir/.playc-tmp-XXXXXXXX\") || exit 1; echo \"tmp=$t\"; }\n");
  bool inline_body = !check && len <= INLINE_MAX;
  char *b64 = NULL;
  size_t b64len = 0;
  if (inline_body) { /* the rest of the replacement, in the same request */
    b64 = base64_lines(data, len, &b64len);
    rt_buf_printf(&s, "base64 -d > \"$t\" && [ \"$(sha1sum < \"$t\" | cut -d' ' -f1)\" = %s ] || "
                      "{ rm -f -- \"$t\"; echo 'err=the body arrived damaged'; exit 0; }\n",
                  sha);
    if (mode >= 0)
      rt_buf_printf(&s, "m=%lo\n", mode);
    else /* the old file's mode, or a new file's default, as Ansible's atomic_move */
      rt_buf_puts(&s, "m=${om:-$(printf %o $((0666 & ~$(umask))))}\n");
    replace_script(&s, backup == 1, owner, group);
    rt_buf_puts(&s, "ch=1; echo written=1\n");
    rt_buf_puts(&s, STAT_LINES);
  }
  RtExec ex;
  int xrc = rt_host_exec(h, s.data, b64, b64len, &ex, &err);
  free(b64);
  if (xrc < 0)
    goto done;
  rt_buf_free(&s);
  const char *out = ex.out.data ? ex.out.data : "";
  char *e = mod_kv_line(out, "err");
  if (e || ex.rc != 0) {
    r = mod_fail_result("%s", e ? e : ex.err.len ? ex.err.data : "copy failed");
    free(e);
    rt_exec_free(&ex);
    goto done;
  }
  final = mod_kv_line(out, "dest");
  char *same = mod_kv_line(out, "same");
  if (same) {
    char *ch = mod_kv_line(out, "changed");
    r = rt_dict_new(12);
    rt_dict_set(r, "changed", rt_bool(ch && strcmp(ch, "1") == 0));
    rt_dict_set(r, "checksum", rt_strz(sha));
    rt_dict_set(r, "dest", rt_strz(final));
    mod_add_stat(r, out);
    rt_dict_set(r, "path", rt_strz(final));
    rt_dict_set(r, "state", rt_strz("file"));
    free(ch);
    free(same);
    rt_exec_free(&ex);
    goto done;
  }
  char *oldmode = mod_kv_line(out, "oldmode");
  tmp_name = mod_kv_line(out, "tmp");
  digest_hex(EVP_md5(), data, len, md5);
  char *written = mod_kv_line(out, "written");
  if (written) {
    r = replaced_result(out, sha, md5, final, tmp_name);
    free(written);
    free(oldmode);
    rt_exec_free(&ex);
    goto done;
  }
  rt_exec_free(&ex);
  if (check) { /* Ansible's copy action answers before transferring anything */
    r = rt_dict_new(1);
    rt_dict_set(r, "changed", rt_bool(true));
    free(oldmode);
    goto done;
  }
  /* write the body to a private temp name beside dest, then rename */
  char *tmp = tmp_name;
  tmp_name = NULL;
  if (!tmp) {
    r = mod_fail_result("could not create a temporary file beside %s", final);
    free(oldmode);
    goto done;
  }
  if (rt_host_put(h, tmp, data, len, 0600, &err) < 0) {
    r = h->unreachable ? NULL : mod_fail_result("%s", err);
    if (!h->unreachable)
      remove_temp(h, tmp);
    free(tmp);
    free(oldmode);
    goto done;
  }
  rt_buf_puts(&s, "t=");
  rt_sh_quote(&s, tmp);
  rt_buf_puts(&s, "; d=");
  rt_sh_quote(&s, final);
  rt_buf_puts(&s, "; om=");
  rt_sh_quote(&s, oldmode ? oldmode : "");
  if (mode >= 0)
    rt_buf_printf(&s, "; m=%lo", mode);
  else /* the old file's mode, or a new file's default, as Ansible's atomic_move */
    rt_buf_puts(&s, "; m=${om:-$(printf %o $((0666 & ~$(umask))))}");
  rt_buf_puts(&s, "; ck=0; ch=1\n");
  replace_script(&s, backup == 1, owner, group);
  rt_buf_puts(&s, STAT_LINES);
  free(oldmode);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0) {
    free(tmp);
    goto done;
  }
  out = ex.out.data ? ex.out.data : "";
  if (ex.rc != 0)
    r = mod_fail_result("could not replace %s: %s", final, ex.err.len ? ex.err.data : "");
  else
    r = replaced_result(out, sha, md5, final, tmp);
  rt_exec_free(&ex);
  free(tmp);
done:
  rt_buf_free(&s);
  free(err);
  free(final);
  free(tmp_name);
  free(dest);
  free(src);
  free(content);
  free(owner);
  free(group);
  return r;
}
