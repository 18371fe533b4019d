/*
 * fetch.c — the fetch action: a file of the target copied to the
 * controller, under dest/HOST/PATH (or at dest with `flat`), only when its
 * SHA-1 differs from the local copy's, as Ansible's action does. The local
 * destination and its checksum are known before anything is asked, so one
 * request does it all: the source's ~ expanded (only ~, as
 * _remote_expand_user), its stat and SHA-1 and, when the checksums differ
 * and it is small, its body (base64); a larger body comes over SFTP. The
 * local file is written beside its final name and renamed into place.
 */
#include "mod.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam fetch_params[] = {
    {.name = "src", .type = MP_STR, .required = true},
    {.name = "dest", .type = MP_STR, .required = true},
    {.name = "fail_on_missing", .type = MP_BOOL, .def = "yes"},
    {.name = "validate_checksum", .type = MP_BOOL, .def = "yes"},
    {.name = "flat", .type = MP_BOOL, .def = "no"},
};
const ModSchema mod_schema_fetch = {
    .name = "fetch",
    .params = fetch_params,
    .nparams = MOD_N(fetch_params),
    .tools = "sha1sum,base64"};

#ifndef MOD_SCHEMA_ONLY

static void digest(const EVP_MD *md, const void *data, size_t len, char *out) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data, len, d, &n, md, NULL);
  for (unsigned int i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The local file's bytes (NULL when it is missing or not a file). */
static char *read_local(const char *path, size_t *len) {
  struct stat st;
  if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
    return NULL;
  return rt_read_file(path, len);
}

/* makedirs_safe(dirname(path)) */
static bool make_dirs(const char *path) {
  char *d = rt_xstrdup(path);
  for (char *p = d + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = 0;
    if (mkdir(d, 0777) < 0 && errno != EEXIST) {
      free(d);
      return false;
    }
    *p = '/';
  }
  free(d);
  return true;
}

/* The body written beside `dest`, then renamed over it. */
static bool write_local(const char *dest, const void *data, size_t len, char **err) {
  char rnd[17];
  rt_random_hex(rnd, 8);
  if (!make_dirs(dest)) {
    *err = rt_xasprintf("Failed to fetch the file: could not create the folders of %s: %s", dest, strerror(errno));
    return false;
  }
  const char *slash = strrchr(dest, '/');
  char *tmp = rt_xasprintf("%.*s.playc-fetch-%s", slash ? (int)(slash - dest + 1) : 0, dest, rnd);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  bool ok = fd >= 0;
  for (const char *p = data; ok && len > 0;) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0;
    p += n > 0 ? n : 0;
    len -= n > 0 ? (size_t)n : 0;
  }
  if (fd >= 0 && close(fd) < 0)
    ok = false;
  if (ok && rename(tmp, dest) < 0)
    ok = false;
  if (!ok) {
    *err = rt_xasprintf("Failed to fetch the file: %s", strerror(errno));
    unlink(tmp);
  }
  free(tmp);
  return ok;
}

/* posixpath.normpath, enough for the destination (no leading //) */
static char *normpath(const char *path) {
  RtBuf b = {0};
  char *copy = rt_xstrdup(path), *save = NULL;
  char **comps = rt_xcalloc(strlen(path) + 1, sizeof *comps);
  size_t n = 0;
  bool abs = path[0] == '/';
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (!strcmp(c, "."))
      continue;
    if (!strcmp(c, "..") && n && strcmp(comps[n - 1], ".."))
      n--;
    else if (!strcmp(c, "..") && abs)
      continue;
    else
      comps[n++] = c;
  }
  if (abs)
    rt_buf_putc(&b, '/');
  for (size_t i = 0; i < n; i++) {
    if (i)
      rt_buf_putc(&b, '/');
    rt_buf_puts(&b, comps[i]);
  }
  if (!b.len)
    rt_buf_putc(&b, '.');
  free(comps);
  free(copy);
  return rt_buf_take(&b);
}

RtValue *mod_fetch(RtHost *h, RtValue *args) {
  char *src = mod_arg_str(args, "src"), *dest_arg = mod_arg_str(args, "dest");
  bool flat = mod_arg_bool(args, "flat", 0) == 1;
  bool fail_on_missing = mod_arg_bool(args, "fail_on_missing", 1) != 0;
  bool validate = mod_arg_bool(args, "validate_checksum", 1) != 0;
  RtValue *r = NULL;
  char *err = NULL, *dest = NULL, *local = NULL, *source = NULL;
  RtBuf body = {0}, s = {0};
  RtExec ex = {0};
  bool have_ex = false;
  if (h->check_mode) { /* AnsibleActionSkip */
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "msg", rt_strz("check mode not (yet) supported for this module"));
    rt_dict_set(r, "skipped", rt_bool(true));
    rt_dict_set(r, RT_ACTION_EXC_KEY, rt_bool(true));
    goto done;
  }
  if (flat) {
    struct stat st;
    size_t dl = strlen(dest_arg);
    if (stat(dest_arg, &st) == 0 && S_ISDIR(st.st_mode) && (!dl || dest_arg[dl - 1] != '/')) {
      r = mod_fail_result("dest is an existing directory, use a trailing slash if you want to fetch src into that "
                          "directory");
      /* AnsibleActionFail: its result carries traceback.format_exc() of no exception */
      rt_dict_set(r, "exception", rt_strz("NoneType: None\n"));
      goto done;
    }
  }
  /* the source: only a leading ~ is expanded (_remote_expand_user) */
  if (src[0] == '~') {
    rt_buf_puts(&s, "__playc_v=");
    rt_sh_quote(&s, src);
    rt_buf_puts(&s, "\n__playc_user; p=$__playc_v\n");
  } else {
    mod_sh_set(&s, "p", src);
  }
  rt_buf_puts(&s, "__playc_rec src \"$p\"\n");
  /* the destination, once the source is known: computed on the controller */
  RtExec first;
  if (src[0] == '~') {
    if (rt_host_exec(h, s.data, NULL, 0, &first, &err) < 0)
      goto done;
    source = rt_xstrdup(mod_rec(&first, "src") ? mod_rec(&first, "src") : src);
    rt_exec_free(&first);
  } else {
    source = rt_xstrdup(src);
  }
  if (flat) {
    size_t dl = strlen(dest_arg);
    const char *base = strrchr(source, '/') ? strrchr(source, '/') + 1 : source;
    char *d = dl && dest_arg[dl - 1] == '/' ? rt_xasprintf("%s%s", dest_arg, base) : rt_xstrdup(dest_arg);
    char *abs = d[0] == '/' ? rt_xstrdup(d) : rt_abspath(h->run, d);
    dest = normpath(abs);
    free(d);
    free(abs);
  } else {
    char *base = dest_arg[0] == '/' ? rt_xstrdup(dest_arg) : rt_abspath(h->run, dest_arg);
    char *d = rt_xasprintf("%s/%s/%s", base, h->name, source);
    dest = normpath(d);
    free(base);
    free(d);
  }
  size_t llen = 0;
  local = read_local(dest, &llen);
  char lsum[EVP_MAX_MD_SIZE * 2 + 1] = "";
  if (local)
    digest(EVP_sha1(), local, llen, lsum);
  rt_buf_printf(&s, "if [ ! -e \"$p\" ]; then __playc_rec state absent\n"
                    "elif [ -d \"$p\" ]; then __playc_rec state directory\n"
                    "elif [ ! -r \"$p\" ]; then __playc_rec state unreadable\n"
                    "else set -- $(sha1sum < \"$p\") || exit 1; __playc_rec sha1 \"$1\"\n"
                    "  if [ \"$1\" != '%s' ]; then sz=$(stat -L -c %%s -- \"$p\")\n"
                    "    if [ \"$sz\" -le %d ]; then base64 < \"$p\"; else __playc_rec large 1; fi\n"
                    "  fi\nfi\n",
                lsum, MOD_EDIT_INLINE);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have_ex = true;
  const char *state = mod_rec(&ex, "state"), *rsum = mod_rec(&ex, "sha1");
  if (state && (!strcmp(state, "absent") || !strcmp(state, "unreadable"))) {
    bool absent = !strcmp(state, "absent");
    /* slurp's failure, its message replaced by the action's */
    r = rt_dict_new(4);
    if (fail_on_missing)
      rt_dict_set(r, "failed", rt_bool(true));
    else
      rt_dict_set(r, "file", rt_strz(source));
    rt_dict_set(r, "changed", rt_bool(false));
    char *m = absent ? rt_xstrdup("the remote file does not exist, not transferring, ignored")
                     : rt_xasprintf("file is not readable: %s", source);
    rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
    goto done;
  }
  if (state && !strcmp(state, "directory")) {
    r = rt_dict_new(3);
    if (fail_on_missing) {
      rt_dict_set(r, "failed", rt_bool(true));
      rt_dict_set(r, "changed", rt_bool(false));
      rt_dict_set(r, "msg", rt_strz("remote file is a directory, fetch cannot work on directories"));
    } else {
      rt_dict_set(r, "msg", rt_strz("remote file is a directory, fetch cannot work on directories, not "
                                    "transferring, ignored"));
    }
    goto done;
  }
  if (ex.rc != 0 || !rsum) {
    r = mod_fail_result("%s", ex.err.len ? ex.err.data : "could not read the remote file");
    goto done;
  }
  char md5[EVP_MAX_MD_SIZE * 2 + 1] = "";
  r = rt_dict_new(8);
  if (local && !strcmp(lsum, rsum)) {
    digest(EVP_md5(), local, llen, md5);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "md5sum", rt_strz(md5));
    rt_dict_set(r, "file", rt_strz(source));
    rt_dict_set(r, "dest", rt_strz(dest));
    rt_dict_set(r, "checksum", rt_strz(lsum));
    goto done;
  }
  if (mod_rec(&ex, "large")) {
    if (rt_host_get(h, source, &body, &err) < 0) {
      rt_decref(r);
      r = rt_host_lost(h) ? NULL : mod_fail_result("%s", err);
      goto done;
    }
  } else {
    EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
    EVP_DecodeInit(ctx);
    unsigned char *buf = rt_xmalloc(ex.out.len / 4 * 3 + 4);
    int n = 0, m = 0;
    EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)(ex.out.data ? ex.out.data : ""), (int)ex.out.len);
    EVP_DecodeFinal(ctx, buf + n, &m);
    rt_buf_add(&body, (const char *)buf, (size_t)(n + m));
    free(buf);
    EVP_ENCODE_CTX_free(ctx);
  }
  if (!body.data)
    rt_buf_add(&body, "", 0);
  if (!write_local(dest, body.data, body.len, &err)) {
    rt_decref(r);
    r = mod_fail_result("%s", err);
    goto done;
  }
  char nsum[EVP_MAX_MD_SIZE * 2 + 1];
  digest(EVP_sha1(), body.data, body.len, nsum);
  digest(EVP_md5(), body.data, body.len, md5);
  if (validate && strcmp(nsum, rsum) != 0) {
    rt_dict_set(r, "failed", rt_bool(true));
    rt_dict_set(r, "md5sum", rt_strz(md5));
    rt_dict_set(r, "msg", rt_strz("checksum mismatch"));
    rt_dict_set(r, "file", rt_strz(source));
    rt_dict_set(r, "dest", rt_strz(dest));
    rt_dict_set(r, "remote_md5sum", rt_none());
    rt_dict_set(r, "checksum", rt_strz(nsum));
    rt_dict_set(r, "remote_checksum", rt_strz(rsum));
  } else {
    rt_dict_set(r, "changed", rt_bool(true));
    rt_dict_set(r, "md5sum", rt_strz(md5));
    rt_dict_set(r, "dest", rt_strz(dest));
    rt_dict_set(r, "remote_md5sum", rt_none());
    rt_dict_set(r, "checksum", rt_strz(nsum));
    rt_dict_set(r, "remote_checksum", rt_strz(rsum));
  }
done:
  if (have_ex)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  rt_buf_free(&body);
  free(err);
  free(dest);
  free(local);
  free(source);
  free(src);
  free(dest_arg);
  return r;
}

#endif
