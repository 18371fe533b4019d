/*
 * known_hosts.c — the known_hosts module. Request 1 runs what Ansible's
 * module runs on the target: ssh-keygen -F on a private temp file holding
 * the key (the sanity check: the host must match the key's host field) and
 * on the known_hosts file, and reads that file whole. The controller parses
 * ssh-keygen's answer (the "# Host ... found: line N" comments and the
 * matching lines), compares keys as normalize_known_hosts_key does (options
 * marker, host, type, key; an already hashed host is kept), hashes the host
 * itself for hash_host (HMAC-SHA1 with a random key, OpenSSL), and computes
 * the diff and the new text. Request 2 writes the text through a temp file
 * beside the file and a rename (the old file's mode and owner kept, 0644 for
 * a new one), or runs ssh-keygen -R when a host is removed without a key.
 */
#include "mod.h"

static const ModParam known_hosts_params[] = {
    {.name = "name", .type = MP_STR, .required = true, .aliases = "host"},
    {.name = "key", .type = MP_STR},
    {.name = "path", .type = MP_PATH, .def = "~/.ssh/known_hosts"},
    {.name = "hash_host", .type = MP_BOOL, .def = "false"},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
};
const ModSchema mod_schema_known_hosts = {
    .name = "known_hosts",
    .params = known_hosts_params,
    .nparams = MOD_N(known_hosts_params),
    .tools = "ssh-keygen",
    .check_mode = true,
    .diff_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* normalize_known_hosts_key: options, host, type, key (NULL when absent). */
typedef struct HostKey {
  char *options, *host, *type, *key;
} HostKey;


static bool normalize(const char *line, HostKey *k) {
  memset(k, 0, sizeof *k);
  RtValue *w = mod_words(line);
  size_t n = rt_len(w), at = n && rt_list_at(w, 0)->u.str.s[0] == '@' ? 1 : 0;
  bool ok = n >= at + 3;
  if (ok) {
    if (at)
      k->options = rt_xstrdup(rt_list_at(w, 0)->u.str.s);
    k->host = rt_xstrdup(rt_list_at(w, at)->u.str.s);
    k->type = rt_xstrdup(rt_list_at(w, at + 1)->u.str.s);
    k->key = rt_xstrdup(rt_list_at(w, at + 2)->u.str.s);
  }
  rt_decref(w);
  return ok;
}

static void hk_free(HostKey *k) {
  free(k->options);
  free(k->host);
  free(k->type);
  free(k->key);
}

static bool str_eq(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

/* hash_host_key: the host field replaced by |1|salt|HMAC-SHA1(salt, host). */
static char *hash_host_key(const char *host, const char *key) {
  unsigned char salt[20], mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  size_t got = 0;
  while (got < sizeof salt) {
    ssize_t r = getrandom(salt + got, sizeof salt - got, 0);
    if (r > 0)
      got += (size_t)r;
  }
  HMAC(EVP_sha1(), salt, sizeof salt, (const unsigned char *)host, strlen(host), mac, &maclen);
  unsigned char b1[64], b2[64];
  EVP_EncodeBlock(b1, salt, sizeof salt);
  EVP_EncodeBlock(b2, mac, (int)maclen);
  RtValue *w = mod_words(key);
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  size_t at = rt_len(w) && rt_list_at(w, 0)->u.str.s[0] == '@' ? 1 : 0;
  for (size_t i = 0; i < rt_len(w); i++) {
    if (i)
      rt_buf_putc(&b, ' ');
    if (i == at)
      rt_buf_printf(&b, "|1|%s|%s", b1, b2);
    else
      rt_buf_puts(&b, rt_list_at(w, i)->u.str.s);
  }
  rt_decref(w);
  return rt_buf_take(&b);
}

/* Request 1: the sanity check, the search, the file's text. */
static void read_script(RtBuf *s, const char *host, const char *key, const char *path) {
  rt_buf_puts(s, "__playc_traps\n");
  mod_sh_need(s, "ssh-keygen");
  mod_sh_set(s, "h", host);
  mod_sh_set_path(s, "p", path);
  rt_buf_puts(s, "__playc_rec path \"$p\"\n");
  if (key) {
    char name[MOD_TEMP_NAME];
    mod_sh_set(s, "k", key);
    rt_buf_puts(s, "td=${TMPDIR:-/tmp}\n");
    mod_sh_temp_beside(s, "td", name);
    rt_buf_puts(s, "printf %s \"$k\" > \"$__playc_tmp\"\n"
                   "o=$(ssh-keygen -F \"$h\" -f \"$__playc_tmp\" 2>/dev/null; echo x); __playc_rec sane \"${o%x}\"\n"
                   "rm -f -- \"$__playc_tmp\"; __playc_tmp=\n");
  }
  rt_buf_puts(s, "if [ -e \"$p\" ]; then __playc_rec exists 1\n"
                 "  o=$(ssh-keygen -F \"$h\" -f \"$p\"; r=$?; echo x; exit $r); __playc_rec rc $?; "
                 "__playc_rec out \"${o%x}\"\n"
                 "  t=$(cat -- \"$p\" 2>/dev/null; echo x) && __playc_rec text \"${t%x}\"\n"
                 "  __playc_stat \"$p\"\n"
                 "fi\n");
}

/* search_for_host_key: found, replace_or_add, found_line (0: None);
 * false with *fail when ssh-keygen failed. */
static bool search(const RtExec *ex, const char *key, bool *found, bool *replace, long *line, RtValue **fail) {
  *found = *replace = false;
  *line = 0;
  if (!mod_rec(ex, "exists"))
    return true;
  const char *out = mod_rec(ex, "out") ? mod_rec(ex, "out") : "";
  long long rc = mod_rec_int(ex, "rc", 0);
  if (!*out && !ex->err.len && (rc == 0 || rc == 1))
    return true;
  if (rc != 0) {
    *fail = mod_fail_result("ssh-keygen failed (rc=%lld, stdout='%s',stderr='%s')", rc, out,
                            ex->err.data ? ex->err.data : "");
    return false;
  }
  *found = true;
  if (!key)
    return true;
  HostKey want;
  normalize(key, &want);
  for (const char *p = out; *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char *l = rt_xstrndup(p, n);
    p += n + (e != NULL);
    if (!*l) {
      free(l);
      continue;
    }
    if (l[0] == '#') {
      const char *f = strstr(l, "found: line ");
      if (f)
        *line = strtol(f + 12, NULL, 10);
      free(l);
      continue;
    }
    HostKey got;
    bool ok = normalize(l, &got);
    free(l);
    if (!ok)
      continue;
    if (strncmp(want.host, "|1|", 3) == 0 && strncmp(got.host, "|1|", 3) == 0) {
      free(want.host);
      want.host = rt_xstrdup(got.host);
    }
    bool same = str_eq(want.options, got.options) && str_eq(want.host, got.host) && str_eq(want.type, got.type) &&
                str_eq(want.key, got.key);
    bool same_type = str_eq(want.type, got.type);
    hk_free(&got);
    if (same || same_type) {
      *replace = !same;
      hk_free(&want);
      return true;
    }
  }
  hk_free(&want);
  *replace = true;
  *line = 0;
  return true;
}

/* compute_diff's "after", and the text written: the found line dropped when
 * replaced or removed, the key appended when present. */
static char *new_text(const char *before, long line, bool drop, const char *key) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  long n = 1;
  for (const char *p = before; *p; n++) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
    if (!(drop && n == line))
      rt_buf_add(&b, p, len);
    p += len;
  }
  if (key)
    rt_buf_puts(&b, key);
  return rt_buf_take(&b);
}

RtValue *mod_known_hosts(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *key = mod_arg_str(args, "key"), *path = mod_arg_str(args, "path");
  char *state = mod_arg_str(args, "state");
  bool hash = mod_arg_bool(args, "hash_host", 0) == 1, present = !state || strcmp(state, "present") == 0;
  char *host = rt_xstrdup(name ? name : "");
  for (char *p = host; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  RtValue *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0}, wr = {0};
  bool have_ex = false, have_wr = false;
  char *err = NULL, *after = NULL;
  if (!key && present) {
    r = mod_fail_result("No key specified when adding a host");
    goto done;
  }
  if (key && !*key) { /* an empty key is no key */
    free(key);
    key = NULL;
  }
  char *k = NULL;
  if (key) {
    k = hash ? hash_host_key(host, key) : rt_xstrdup(key);
    size_t kl = strlen(k);
    if (!kl || k[kl - 1] != '\n') {
      char *t = rt_xasprintf("%s\n", k);
      free(k);
      k = t;
    }
    /* re.search(r'\S+(\s+)?,(\s+)?', host) */
    const char *comma = strchr(host, ',');
    bool before = false;
    for (const char *q = host; comma && q < comma; q++)
      before |= !isspace((unsigned char)*q);
    if (comma && before) {
      r = mod_fail_result("Comma separated list of names is not supported. Please pass a single name to lookup in "
                          "the known_hosts file.");
      free(k);
      goto done;
    }
  }
  read_script(&s, host, k, path ? path : "~/.ssh/known_hosts");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0) {
    free(k);
    goto done;
  }
  have_ex = true;
  if ((r = mod_tool_failure(&ex)) != NULL) {
    free(k);
    goto done;
  }
  if (k && mod_rec(&ex, "sane") && !*mod_rec(&ex, "sane")) {
    r = mod_fail_result("Host parameter does not match hashed host field in supplied key");
    free(k);
    goto done;
  }
  bool found, replace;
  long line;
  if (!search(&ex, k, &found, &replace, &line, &r)) {
    free(k);
    goto done;
  }
  const char *fpath = mod_rec(&ex, "path") ? mod_rec(&ex, "path") : "";
  const char *before = mod_rec(&ex, "text") ? mod_rec(&ex, "text") : "";
  bool exists = mod_rec(&ex, "exists") != NULL;
  long nlines = 0;
  for (const char *p = before; *p; nlines++) {
    const char *e = strchr(p, '\n');
    p = e ? e + 1 : p + strlen(p);
  }
  bool drop = (replace || !present) && line >= 1 && line <= nlines;
  after = new_text(before, line, drop, present && (replace || line == 0) ? k : NULL);
  RtValue *diff = rt_dict_new(4);
  rt_dict_set(diff, "before_header", rt_strz(exists ? fpath : "/dev/null"));
  rt_dict_set(diff, "after_header", rt_strz(fpath));
  rt_dict_set(diff, "before", rt_strz(before));
  rt_dict_set(diff, "after", rt_strz(after));
  r = rt_dict_new(8);
  bool changed = false, full = true;
  if (!present && !line && k) {
  } else if (h->check_mode) {
    full = false;
    rt_decref(r);
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(replace || present != found));
    rt_dict_set(r, "diff", diff);
    diff = NULL;
  } else if (found && !k && !present) { /* ssh-keygen -R; nothing else to rewrite */
    rt_buf_free(&s);
    mod_sh_set(&s, "h", host);
    mod_sh_set(&s, "p", fpath);
    rt_buf_puts(&s, "ssh-keygen -R \"$h\" -f \"$p\" >/dev/null 2>&1; __playc_rec rc $?; __playc_stat \"$p\"\n");
    if (rt_host_exec(h, s.data, NULL, 0, &wr, &err) < 0) {
      rt_decref(r);
      r = NULL;
      rt_decref(diff);
      free(k);
      goto done;
    }
    have_wr = true;
    changed = true;
  } else if (replace || found != present) {
    rt_buf_free(&s);
    rt_buf_puts(&s, "__playc_traps\n");
    mod_sh_set(&s, "p", fpath);
    rt_buf_puts(&s, "dir=$(dirname -- \"$p\"); um=$(umask)\n");
    char tname[MOD_TEMP_NAME];
    mod_sh_temp_beside(&s, "dir", tname);
    rt_buf_puts(&s, "cat > \"$__playc_tmp\" || exit 1\n"
                    "if [ -e \"$p\" ]; then chmod \"$(stat -c %a -- \"$p\")\" \"$__playc_tmp\"; "
                    "chown \"$(stat -c %u:%g -- \"$p\")\" \"$__playc_tmp\" 2>/dev/null; "
                    "else chmod \"$(printf %o $((0666 & ~0$um)))\" \"$__playc_tmp\"; fi\n"
                    "mv -f -- \"$__playc_tmp\" \"$p\" || exit 1; __playc_tmp=; __playc_rec written 1; __playc_stat \"$p\"\n");
    if (rt_host_exec(h, s.data, after, strlen(after), &wr, &err) < 0) {
      rt_decref(r);
      r = NULL;
      rt_decref(diff);
      free(k);
      goto done;
    }
    have_wr = true;
    if (!mod_rec(&wr, "written")) {
      rt_decref(r);
      r = mod_fail_result("Failed to write to file %s: %s", fpath, wr.err.len ? wr.err.data : "");
      rt_decref(diff);
      free(k);
      goto done;
    }
    changed = true;
  }
  if (full) {
    rt_dict_set(r, "name", rt_strz(name));
    rt_dict_set(r, "key", key ? rt_strz(key) : rt_none());
    rt_dict_set(r, "path", rt_strz(fpath));
    rt_dict_set(r, "hash_host", rt_bool(hash));
    rt_dict_set(r, "state", rt_strz(present ? "present" : "absent"));
    rt_dict_set(r, "diff", diff);
    rt_dict_set(r, "changed", rt_bool(changed));
    mod_add_stat(r, have_wr ? &wr : &ex); /* add_path_info: the result names a path */
  }
  free(k);
done:
  if (have_ex)
    rt_exec_free(&ex);
  if (have_wr)
    rt_exec_free(&wr);
  rt_buf_free(&s);
  free(err);
  free(after);
  free(name);
  free(key);
  free(path);
  free(state);
  free(host);
  return r;
}

#endif
