/*
 * archives.c — unarchive and community.general.archive, with the target's
 * tar (GNU), gzip/bzip2/xz/zstd, unzip and zip, one request each.
 *
 * unarchive: a `src` from the controller is embedded in the program at
 * compile time and travels base64-encoded on the request's stdin (or over
 * SFTP first when large); remote_src (or the deprecated `copy: false`,
 * its inverse, which the action maps to it) names a file on the target. The
 * handler is picked as Ansible's pick_handler does (zip, then tar with -z,
 * none, -j, -J, zstd); for tar, `tar --diff` decides whether the archive is
 * already unpacked (the module's regular expressions over its lines), then
 * `tar --extract`, then owner/group/mode on every file listed and the top
 * folders. Check mode with tar answers as the module does (skipped: GNU tar
 * cannot be checked). For zip, "unpacked" means every entry exists with
 * its size (Ansible also compares modes, times and CRCs).
 *
 * archive: the paths expanded on the target (globs, exclude_path), the
 * archive built into a temp file beside dest (tar with --no-recursion over
 * the list os.walk would give: the trees' contents, not their top folders;
 * zip from the same list) and moved into place; changed when the members
 * differ (names with tar's header fields, or names with CRCs for zip; the
 * uncompressed bytes for a single compressed file), as the module compares
 * checksums. A single file is compressed alone unless force_archive.
 */
#include "mod.h"

static const ModParam unarchive_params[] = {
    {.name = "src", .type = MP_PATH, .required = true},
    {.name = "dest", .type = MP_PATH, .required = true},
    {.name = "remote_src", .type = MP_BOOL, .def = "false"},
    {.name = "copy", .type = MP_BOOL}, /* deprecated: remote_src's inverse (the action's) */
    {.name = "creates", .type = MP_PATH},
    {.name = "list_files", .type = MP_BOOL, .def = "false"},
    {.name = "keep_newer", .type = MP_BOOL, .def = "false"},
    {.name = "exclude", .type = MP_LIST, .elements = MP_STR},
    {.name = "include", .type = MP_LIST, .elements = MP_STR},
    {.name = "extra_opts", .type = MP_LIST, .elements = MP_STR},
    {.name = "mode", .type = MP_MODE},
    {.name = "owner", .type = MP_STR},
    {.name = "group", .type = MP_STR},
    {.name = "validate_certs", .type = MP_BOOL, .def = "true"},
    {.name = "io_buffer_size", .type = MP_INT, .def = "65536"}, /* Python's read size: no effect here */
};
const ModSchema mod_schema_unarchive = {
    .name = "unarchive",
    .params = unarchive_params,
    .nparams = MOD_N(unarchive_params),
    .exclusive = "include,exclude",
    .tools = "tar,unzip",
    .check_mode = true,
};

static const ModParam archive_params[] = {
    {.name = "path", .type = MP_LIST, .elements = MP_PATH, .required = true},
    {.name = "format", .type = MP_STR, .choices = "bz2,gz,tar,xz,zip", .def = "gz"},
    {.name = "dest", .type = MP_PATH},
    {.name = "exclude_path", .type = MP_LIST, .elements = MP_PATH},
    {.name = "exclusion_patterns", .type = MP_LIST, .elements = MP_PATH},
    {.name = "force_archive", .type = MP_BOOL, .def = "false"},
    {.name = "remove", .type = MP_BOOL, .def = "false"},
    {.name = "mode", .type = MP_MODE},
    {.name = "owner", .type = MP_STR},
    {.name = "group", .type = MP_STR},
};
const ModSchema mod_schema_archive = {
    .name = "archive",
    .params = archive_params,
    .nparams = MOD_N(archive_params),
    .tools = "tar,gzip,bzip2,xz,zip",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

enum { INLINE_ARCHIVE_MAX = 4 * 1024 * 1024 };

static char *base64_lines(const void *data, size_t len) {
  enum { IN_LINE = 3072 };
  RtBuf b = {0};
  unsigned char line[4 * IN_LINE / 3 + 4];
  for (size_t off = 0; off < len; off += IN_LINE) {
    size_t n = len - off < IN_LINE ? len - off : IN_LINE;
    int m = EVP_EncodeBlock(line, (const unsigned char *)data + off, (int)n);
    rt_buf_add(&b, (const char *)line, (size_t)m);
    rt_buf_putc(&b, '\n');
  }
  if (!b.data)
    rt_buf_add(&b, "", 0);
  return rt_buf_take(&b);
}

/* Script text: the words of a list argument as positional parameters
 * appended with a prefix ("--exclude=" ...). */
static void append_words(RtBuf *s, RtValue *list, const char *prefix) {
  for (size_t i = 0; list && i < rt_len(list); i++) {
    rt_buf_puts(s, "set -- \"$@\" ");
    char *w = rt_xasprintf("%s%s", prefix, rt_list_at(list, i)->u.str.s);
    rt_sh_quote(s, w);
    free(w);
    rt_buf_putc(s, '\n');
  }
}

/* ---- unarchive ----------------------------------------------------------------- */

typedef struct Unarc {
  char *src, *dest, *creates;
  bool remote, list, keep_newer;
  bool url, insecure; /* remote_src with a URL: fetched with curl first */
  RtValue *exclude, *include, *extra;
  ModAttrs attrs;
} Unarc;

/* Script: the tar argv for `op` (--list, --diff, --extract) in "$@". */
static void tar_args(RtBuf *s, const Unarc *u, const char *op, bool attrs) {
  rt_buf_printf(s, "set -- \"$tar\" %s -C \"$d\"\n", op);
  rt_buf_puts(s, "[ -z \"$zf\" ] || set -- \"$@\" \"$zf\"\n");
  if (u->extra && rt_len(u->extra)) {
    rt_buf_puts(s, "set -- \"$@\" --show-transformed-names\n");
    append_words(s, u->extra, "");
  }
  if (attrs && u->attrs.owner) {
    rt_buf_puts(s, "set -- \"$@\" ");
    char *w = rt_xasprintf("--owner=%s", u->attrs.owner);
    rt_sh_quote(s, w);
    free(w);
    rt_buf_putc(s, '\n');
  }
  if (attrs && u->attrs.group) {
    rt_buf_puts(s, "set -- \"$@\" ");
    char *w = rt_xasprintf("--group=%s", u->attrs.group);
    rt_sh_quote(s, w);
    free(w);
    rt_buf_putc(s, '\n');
  }
  if (attrs && u->keep_newer)
    rt_buf_puts(s, "set -- \"$@\" --keep-newer-files\n");
  RtValue *ex = rt_list_new(4);
  for (size_t i = 0; u->exclude && i < rt_len(u->exclude); i++) { /* path.rstrip('/') */
    const char *p = rt_list_at(u->exclude, i)->u.str.s;
    size_t n = strlen(p);
    while (n && p[n - 1] == '/')
      n--;
    rt_list_push(ex, rt_str(p, n));
  }
  append_words(s, ex, "--exclude=");
  rt_decref(ex);
  rt_buf_puts(s, "set -- \"$@\" -f \"$src\"\n");
  append_words(s, u->include, "");
}

/* Script: a zip's member list in "$l" narrowed to the members the module
 * counts: with include, each member once per pattern it matches; with
 * exclude, the members no pattern matches (fnmatch patterns, which a
 * `case` pattern matches alike: `*` crosses '/'). */
static void zip_filter_script(RtBuf *s, const Unarc *u) {
  bool inc = u->include && rt_len(u->include), exc = u->exclude && rt_len(u->exclude);
  if (!inc && !exc)
    return;
  RtValue *pats = inc ? u->include : u->exclude;
  rt_buf_puts(s, "if [ $h = zip ]; then set --\n");
  append_words(s, pats, "");
  rt_buf_puts(s, "  nl='\n'; rest=$l$nl; l=\n"
                 "  while [ -n \"$rest\" ]; do m=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}; x=0\n"
                 "    for p in \"$@\"; do case $m in $p) x=1;");
  rt_buf_puts(s, inc ? " l=$l$m$nl;; esac; done\n" : " break;; esac; done\n    [ $x = 1 ] || l=$l$m$nl\n");
  rt_buf_puts(s, "  done\n  l=${l%\"$nl\"}\nfi\n");
}

static void unarchive_script(RtBuf *s, const Unarc *u, bool check, bool inline_body) {
  rt_buf_puts(s, "__playc_traps\nexport LANG=C LC_ALL=C LC_MESSAGES=C LANGUAGE=C\n");
  if (u->creates) {
    mod_sh_set_path(s, "cr", u->creates);
    rt_buf_puts(s, "[ ! -e \"$cr\" ] || { __playc_rec skip \"$cr\"; exit 0; }\n");
  }
  mod_sh_set_path(s, "d", u->dest);
  rt_buf_puts(s, "[ -d \"$d\" ] || { __playc_rec fail notdir; __playc_rec d \"$d\"; exit 0; }\n"
                 "__playc_rec dest \"$d\"\n");
  rt_buf_printf(s, "ck=%d; ch=0\n", check ? 1 : 0);
  mod_sh_attrs_begin(s, &u->attrs);
  if (inline_body) {
    char name[MOD_TEMP_NAME];
    /* the temp file's umask 077 must not reach the extraction: folders
     * unzip creates for a member's parents take the target's umask */
    rt_buf_puts(s, "td=${TMPDIR:-/tmp}; um=$(umask)\n");
    mod_sh_temp_beside(s, "td", name);
    rt_buf_puts(s, "base64 -d > \"$__playc_tmp\" || exit 1; src=$__playc_tmp; umask \"$um\"\n");
  } else if (u->url) { /* fetch_file: the URL's bytes into a temp file (an HTTP error's body is not kept) */
    char name[MOD_TEMP_NAME];
    mod_sh_need(s, "curl");
    mod_sh_set(s, "url", u->src);
    rt_buf_puts(s, "td=${TMPDIR:-/tmp}; um=$(umask)\n");
    mod_sh_temp_beside(s, "td", name);
    rt_buf_puts(s, "umask \"$um\"; src=$__playc_tmp\n"
                   "set -- curl -sS -L -A ansible-httpget --connect-timeout 10 --speed-limit 1 --speed-time 10\n");
    if (u->insecure)
      rt_buf_puts(s, "set -- \"$@\" -k\n");
    rt_buf_puts(s, "nl='\n'; w=$(PATH=$__playc_p \"$@\" -o \"$src\" -w '\n%{http_code}' --url \"$url\" 2>&1); crc=$?\n"
                   "if [ $crc != 0 ]; then __playc_rec fail dl; __playc_rec crc $crc; __playc_rec cerr \"${w%\"$nl\"*}\"; "
                   "exit 0; fi\n"
                   "[ \"${w##*\"$nl\"}\" -lt 400 ] || : > \"$src\"\n");
  } else {
    mod_sh_set_path(s, "src", u->src);
  }
  rt_buf_puts(s, "__playc_rec src \"$src\"\n");
  if (u->remote)
    rt_buf_puts(s, "[ -e \"$src\" ] || { __playc_rec fail nosrc; exit 0; }\n");
  rt_buf_puts(s, "[ -s \"$src\" ] || { __playc_rec fail empty; exit 0; }\n"
                 "h=; zf=; tar=\n"
                 "if command -v unzip >/dev/null 2>&1 && l=$(unzip -Z1 \"$src\" 2>/dev/null) && [ -n \"$l\" ]; then h=zip\n"
                 "else\n"
                 "  tar=$(command -v gtar || command -v tar) || { __playc_rec fail nohandler; __playc_rec why "
                 "\"Unable to find required 'gtar' or 'tar' binary in the path\"; exit 0; }\n"
                 "  case $(\"$tar\" --version 2>/dev/null) in tar*GNU*) ;; *) __playc_rec fail nohandler; __playc_rec why "
                 "\"Command \\\"$tar\\\" detected as tar type None. GNU tar required.\"; exit 0;; esac\n"
                 "  for z in -z '' -j -J --use-compress-program=zstd; do zf=$z\n");
  tar_args(s, u, "--list", false);
  rt_buf_puts(s, "    if l=$(cd \"$d\" && \"$@\" 2>/dev/null) && [ -n \"$l\" ]; then h=tar; break; fi\n"
                 "  done\n"
                 "fi\n"
                 "[ -n \"$h\" ] || { __playc_rec fail nohandler; __playc_rec why unreadable; exit 0; }\n"
                 "__playc_rec handler \"$h$zf\"\n");
  zip_filter_script(s, u);
  rt_buf_puts(s, "__playc_rec files \"$l\"\n"
                 "if [ $h = tar ]; then\n"
                 "  [ $ck = 0 ] || { __playc_rec checkskip 1; exit 0; }\n");
  tar_args(s, u, "--diff", true);
  rt_buf_puts(s, "  o=$(cd \"$d\" && \"$@\" 2>&1); __playc_rec diff \"$o\"\n"
                 "  un=1; nl='\n'; rest=$o$nl\n"
                 "  while [ -n \"$rest\" ]; do line=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}\n"
                 "    case $line in *': : Warning: Cannot stat: No such file or directory') continue;; esac\n"
                 "    case $line in\n");
  rt_buf_printf(s, "      *': Uid differs') [ \"$(id -u)\" != 0 ] || [ %d = 1 ] || un=0;;\n"
                   "      *': Gid differs') [ \"$(id -u)\" != 0 ] || [ %d = 1 ] || un=0;;\n"
                   "      *': Mode differs') [ %d = 1 ] || un=0;;\n",
                u->attrs.owner ? 1 : 0, u->attrs.group ? 1 : 0, u->attrs.mode >= 0 ? 1 : 0);
  rt_buf_puts(s, "      *': Mod time differs'|*': Warning: Cannot stat: No such file or directory'|*': Invalid owner'*|"
                 "*': Invalid group'*) un=0;;\n"
                 "    esac\n"
                 "  done\n"
                 "  if [ $un = 0 ]; then\n");
  tar_args(s, u, "--extract", true);
  rt_buf_puts(s, "    __playc_rec cmd \"$*\"; for w in \"$@\"; do __playc_rec \"cmdv[]\" \"$w\"; done\n"
                 "    eo=$( (cd \"$d\" && \"$@\") 2>\"$d/.playc-unarchive-err.$$\"; r=$?; echo x; exit $r); er=$?\n"
                 "    __playc_rec xrc $er; __playc_rec xout \"${eo%x}\"; ee=$(cat -- \"$d/.playc-unarchive-err.$$\"; echo x)\n"
                 "    rm -f -- \"$d/.playc-unarchive-err.$$\"; __playc_rec xerr \"${ee%x}\"; [ $er = 0 ] || exit 0; ch=1\n"
                 "  fi\n"
                 "else\n" /* zip: every entry there with its size */
                 "  un=1; nl='\n'; rest=$l$nl\n"
                 "  while [ -n \"$rest\" ]; do e=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}\n"
                 "    [ -e \"$d/$e\" ] || { un=0; break; }; done\n"
                 "  if [ $un = 1 ]; then\n"
                 "    unzip -Zl \"$src\" | awk 'NF >= 10 && $1 ~ /^[-dl]/ { s = $4; $1=$2=$3=$4=$5=$6=$7=$8=$9=\"\"; "
                 "sub(/^ +/, \"\"); print s \" \" $0 }' > /dev/null\n"
                 "  fi\n"
                 "  if [ $un = 0 ] && [ $ck = 0 ]; then\n"
                 "    set -- \"$(command -v unzip)\" -o\n");
  /* the module's argv: unzip -o EXTRA SRC [-x EXCLUDE...] [INCLUDE...] -d DEST */
  append_words(s, u->extra, "");
  rt_buf_puts(s, "set -- \"$@\" \"$src\"\n");
  if (u->exclude && rt_len(u->exclude)) {
    rt_buf_puts(s, "set -- \"$@\" -x\n");
    append_words(s, u->exclude, "");
  }
  append_words(s, u->include, "");
  rt_buf_puts(s, "set -- \"$@\" -d \"$d\"\n");
  rt_buf_puts(s, "    __playc_rec cmd \"$*\"; for w in \"$@\"; do __playc_rec \"cmdv[]\" \"$w\"; done\n"
                 "    eo=$(\"$@\" 2>&1; r=$?; echo x; exit $r); er=$?; __playc_rec xrc $er; __playc_rec xout \"${eo%x}\"\n"
                 "    __playc_rec xerr ''; [ $er = 0 ] || exit 0; ch=1\n"
                 "  fi\n"
                 "  [ $un = 1 ] || __playc_rec notunpacked 1\n"
                 "fi\n"
                 "if [ $ck = 0 ]; then\n"
                 /* owner/group/mode on every file listed, then the top folders */
                 "  nl='\n'; rest=$l$nl; tops=\n"
                 "  while [ -n \"$rest\" ]; do f=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}; f=${f#/}; [ -n \"$f\" ] || continue\n"
                 "    p=$d/$f\n");
  mod_sh_attrs_apply(s, "p", &u->attrs, NULL);
  rt_buf_puts(s, "    case $f in */*) t=${f%%/*}; case \"$nl$tops\" in *\"$nl$t$nl\"*) ;; *) tops=$tops$t$nl;; esac;; esac\n"
                 "  done\n"
                 "  rest=$tops; while [ -n \"$rest\" ]; do f=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}; p=$d/$f\n");
  mod_sh_attrs_apply(s, "p", &u->attrs, NULL);
  rt_buf_puts(s, "  done\n"
                 "fi\n"
                 "__playc_rec changed $ch; __playc_stat \"$d\"\n");
}

static const char *handler_name(const char *h) {
  if (!strcmp(h, "zip"))
    return "ZipArchive";
  if (!strcmp(h, "tar-z"))
    return "TgzArchive";
  if (!strcmp(h, "tar"))
    return "TarArchive";
  if (!strcmp(h, "tar-j"))
    return "TarBzipArchive";
  if (!strcmp(h, "tar-J"))
    return "TarXzArchive";
  return "TarZstdArchive";
}

RtValue *mod_unarchive(RtHost *h, RtValue *args) {
  Unarc u = {0};
  u.src = mod_arg_str(args, "src");
  u.dest = mod_arg_str(args, "dest");
  u.creates = mod_arg_str(args, "creates");
  u.remote = mod_arg_bool(args, "remote_src", 0) == 1;
  bool has_copy = rt_dict_get(args, "copy") != NULL;
  if (has_copy) /* the action: remote_src = not boolean(copy, strict=False) */
    u.remote = mod_arg_bool(args, "copy", 0) != 1;
  u.list = mod_arg_bool(args, "list_files", 0) == 1;
  u.keep_newer = mod_arg_bool(args, "keep_newer", 0) == 1;
  u.exclude = mod_arg_list(args, "exclude");
  u.include = mod_arg_list(args, "include");
  u.extra = mod_arg_list(args, "extra_opts");
  char *owner = mod_arg_str(args, "owner"), *group = mod_arg_str(args, "group");
  u.attrs = (ModAttrs){owner, group, mod_arg_mode(args, "mode"), NULL, false};
  RtValue *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false;
  char *err = NULL, *b64 = NULL;
  const RtFileDef *f = NULL;
  if (has_copy && rt_dict_get(args, "remote_src")) {
    r = mod_fail_result("parameters are mutually exclusive: ('copy', 'remote_src')");
    goto done;
  }
  if (u.attrs.mode == -2) {
    r = mod_fail_result("mode must be in octal or symbolic form");
    goto done;
  }
  if (!u.remote) {
    if (strstr(u.src, "://")) {
      r = mod_fail_result("Could not find or access '%s' on the Ansible Controller.", u.src);
      goto done;
    }
    f = rt_find_file(h, u.src);
    if (!f) {
      r = rt_file_not_found(h, "files", u.src); /* the action's AnsibleFileNotFound */
      goto done;
    }
  } else if (strstr(u.src, "://")) {
    u.url = true;
    u.insecure = mod_arg_bool(args, "validate_certs", 1) == 0;
  }
  char tmp[80] = "";
  bool inline_body = f && f->size <= INLINE_ARCHIVE_MAX;
  if (f && !inline_body) { /* large: over SFTP (or locally) first */
    char rnd[25];
    rt_random_hex(rnd, 12);
    snprintf(tmp, sizeof tmp, "/tmp/.playc-unarchive-%s", rnd);
    if (rt_host_put(h, tmp, f->data, (size_t)f->size, 0600, &err) < 0) {
      if (!rt_host_lost(h))
        r = mod_fail_result("Source '%s' failed to transfer: %s", u.src, err);
      goto done;
    }
    rt_host_temp_keep(h, tmp);
    free(u.src);
    u.src = rt_xstrdup(tmp);
  }
  unarchive_script(&s, &u, h->check_mode, inline_body);
  if (inline_body)
    b64 = base64_lines(f->data, (size_t)f->size);
  int rc = rt_host_exec(h, s.data, b64, b64 ? strlen(b64) : 0, &ex, &err);
  if (*tmp)
    rt_host_temp_remove(h, tmp);
  if (rc < 0)
    goto done;
  have = true;
  const char *src = mod_rec(&ex, "src") ? mod_rec(&ex, "src") : u.src, *dest = mod_rec(&ex, "dest");
  if (mod_rec(&ex, "skip")) {
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "skipped", rt_bool(true));
    char *m = rt_xasprintf("skipped, since %s exists", mod_rec(&ex, "skip"));
    rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
    goto done;
  }
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto done;
  const char *why = mod_rec(&ex, "fail");
  if (why && !strcmp(why, "dl")) { /* fetch_file's failure, urllib's words for curl's common errors */
    long long crc = mod_rec_int(&ex, "crc", 0);
    const char *cerr = mod_rec(&ex, "cerr") ? mod_rec(&ex, "cerr") : "";
    if (crc == 7)
      cerr = "<urlopen error [Errno 111] Connection refused>";
    else if (crc == 6)
      cerr = "<urlopen error [Errno -2] Name or service not known>";
    else if (crc == 28)
      cerr = "The read operation timed out";
    r = mod_fail_result("Failure downloading %s, Request failed: %s", u.src, cerr);
    goto done;
  }
  if (why && !strcmp(why, "notdir")) {
    r = mod_fail_result("dest '%s' must be an existing dir", mod_rec(&ex, "d"));
    goto done;
  }
  if (why && !strcmp(why, "nosrc")) {
    r = mod_fail_result("Source '%s' does not exist", src);
    goto done;
  }
  if (why && !strcmp(why, "empty")) {
    r = mod_fail_result("Invalid archive '%s', the file is 0 bytes", src);
    goto done;
  }
  if (why && !strcmp(why, "nohandler")) {
    r = mod_fail_result("Failed to find handler for \"%s\". Make sure the required command to extract the file is "
                        "installed.\n%s",
                        src, mod_rec(&ex, "why"));
    goto done;
  }
  if ((r = mod_attrs_failure(&ex, &u.attrs, dest)) != NULL)
    goto done;
  if (ex.rc != 0) {
    r = mod_fail_result("%s", ex.err.len ? ex.err.data : "unarchive failed");
    goto done;
  }
  if (mod_rec(&ex, "checkskip")) {
    r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "skipped", rt_bool(true));
    rt_dict_set(r, "msg", rt_strz("remote module (ansible.legacy.unarchive) does not support check mode when using "
                                  "gtar"));
    goto done;
  }
  r = rt_dict_new(16);
  rt_dict_set(r, "handler", rt_strz(handler_name(mod_rec(&ex, "handler"))));
  rt_dict_set(r, "dest", rt_strz(dest));
  rt_dict_set(r, "src", rt_strz(src));
  if (mod_rec(&ex, "xrc")) {
    RtValue *x = rt_dict_new(4);
    RtValue *cmdv = rt_dict_get(ex.rec, "cmdv");
    rt_dict_set(x, "cmd", cmdv ? rt_incref(cmdv) : rt_list_new(0));
    rt_dict_set(x, "rc", rt_int(mod_rec_int(&ex, "xrc", 0)));
    rt_dict_set(x, "out", rt_strz(mod_rec(&ex, "xout") ? mod_rec(&ex, "xout") : ""));
    rt_dict_set(x, "err", rt_strz(mod_rec(&ex, "xerr") ? mod_rec(&ex, "xerr") : ""));
    rt_dict_set(r, "extract_results", x);
    if (mod_rec_int(&ex, "xrc", 0) != 0) {
      char *m = rt_xasprintf("failed to unpack %s to %s", src, dest);
      rt_dict_set(r, "failed", rt_bool(true));
      rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
      rt_dict_set(r, "changed", rt_bool(false));
      goto stat;
    }
  }
  rt_dict_set(r, "changed", rt_bool(h->check_mode ? mod_rec(&ex, "notunpacked") != NULL
                                                  : mod_rec_is(&ex, "changed", "1")));
  if (u.list) {
    const char *files = mod_rec(&ex, "files") ? mod_rec(&ex, "files") : "";
    RtValue *l = mod_lines(files, strlen(files)), *out = rt_list_new(rt_len(l));
    for (size_t i = 0; i < rt_len(l); i++) {
      const char *n = rt_list_at(l, i)->u.str.s;
      rt_list_push(out, rt_strz(n[0] == '/' ? n + 1 : n));
    }
    rt_decref(l);
    rt_dict_set(r, "files", out);
  }
stat:
  mod_add_stat(r, &ex); /* add_path_info: dest */
done:
  if (have)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  free(err);
  free(b64);
  free(u.src);
  free(u.dest);
  free(u.creates);
  rt_decref(u.exclude);
  rt_decref(u.include);
  rt_decref(u.extra);
  free(owner);
  free(group);
  return r;
}

/* ---- archive ------------------------------------------------------------------- */

static void archive_script(RtBuf *s, RtValue *paths, RtValue *excl, RtValue *pats, const char *dest,
                           const char *format, bool force, bool remove, const ModAttrs *attrs, bool check) {
  rt_buf_puts(s, "__playc_traps\nexport LANG=C LC_ALL=C\nnl='\n'\n");
  rt_buf_printf(s, "ck=%d; ch=0; fmt=%s; fa=%d; rmv=%d\n", check ? 1 : 0, format, force ? 1 : 0, remove ? 1 : 0);
  mod_sh_attrs_begin(s, attrs);
  /* expand_paths: globs for words holding * or ? */
  rt_buf_puts(s, "exp() { for w in \"$@\"; do case $w in *[*?]*) gl=1; set +f; for m in $w; do [ -e \"$m\" ] || [ -L \"$m\" ] "
                 "&& printf '%s\\n' \"$m\"; done; set -f;; *) printf '%s\\n' \"$w\";; esac; done; }\n"
                 "set -f; gl=0\n");
  rt_buf_puts(s, "set --\n");
  for (size_t i = 0; i < rt_len(paths); i++) {
    mod_sh_set_path(s, "w", rt_list_at(paths, i)->u.str.s);
    rt_buf_puts(s, "set -- \"$@\" \"$w\"\n");
  }
  rt_buf_puts(s, "case \"$*\" in *[*?]*) gl=1;; esac\n"
                 "ep=$(exp \"$@\")\nset --\n");
  for (size_t i = 0; excl && i < rt_len(excl); i++) {
    mod_sh_set_path(s, "w", rt_list_at(excl, i)->u.str.s);
    rt_buf_puts(s, "set -- \"$@\" \"$w\"\n");
  }
  rt_buf_puts(s, "ex=$(exp \"$@\"); set +f\n"
                 "__playc_rec expanded \"$ep\"; __playc_rec excluded \"$ex\"\n"
                 /* self.paths: sorted(set(expanded) - set(excluded)) */
                 "ps=$(printf '%s\\n' \"$ep\" | grep -vxF -e \"${ex:-/nonexistent/\\/}\" | LC_ALL=C sort -u)\n"
                 "[ -n \"$ps\" ] || { __playc_rec fail nopaths; exit 0; }\n"
                 "__playc_rec paths \"$ps\"\n"
                 "first=${ps%%\"$nl\"*}\n"
                 /* common_path: dirname(commonprefix of each path's dirname + '/') + '/' */
                 "root=; rest=$ps$nl; while [ -n \"$rest\" ]; do p=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}\n"
                 "  q=$(dirname -- \"$p\")/; [ \"$q\" != // ] || q=/\n"
                 "  if [ -z \"$root\" ]; then root=$q; else while [ \"${q#\"$root\"}\" = \"$q\" ] && [ -n \"$root\" ]; do "
                 "root=${root%?}; done; fi\n"
                 "done\n"
                 "root=$(dirname -- \"${root}x\")/; [ \"$root\" != // ] || root=/\n"
                 "case $ps in *\"$nl\"*) fa=1;; esac; [ $gl = 0 ] || fa=1; [ ! -d \"$first\" ] || fa=1\n"
                 "__playc_rec arcroot \"$root\"\n");
  if (dest)
    mod_sh_set_path(s, "d", dest);
  else
    rt_buf_puts(s, "d=\n");
  rt_buf_puts(s, "if [ -z \"$d\" ]; then [ $fa = 1 ] && { __playc_rec fail nodest; exit 0; }; d=$first.$fmt; fi\n"
                 "__playc_rec dest \"$d\"\n");
  if (remove)
    rt_buf_puts(s, "rest=$ps$nl; while [ -n \"$rest\" ]; do p=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}\n"
                   "  if [ -d \"$p\" ]; then case $d in \"${p%/}/\"*) __playc_rec fail unsafe; exit 0;; esac; fi; done\n");
  rt_buf_puts(s, "tg=; nf=; rest=$ps$nl; while [ -n \"$rest\" ]; do p=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}\n"
                 "  if [ -e \"$p\" ] || [ -L \"$p\" ]; then tg=$tg$p$nl; else nf=$nf$p$nl; __playc_rec \"missing[]\" \"$p\"; fi\n"
                 "done\n"
                 /* the members' signature: tar header fields, zip CRCs, or a compressed file's bytes */
                 "sig() { [ -e \"$1\" ] || return 0\n"
                 "  case $fmt in zip) unzip -Zv \"$1\" 2>/dev/null | grep -E '^(Central directory entry|  file system or "
                 "operating|  32-bit CRC value|  minimum software)' ;;\n"
                 "    *) if [ $fa = 1 ]; then tar -tv --full-time --numeric-owner -f \"$1\" 2>/dev/null | LC_ALL=C sort; "
                 "else case $fmt in gz) gzip -dc;; bz2) bzip2 -dc;; xz) xz -dc;; *) cat;; esac < \"$1\" 2>/dev/null | "
                 "cksum; fi;; esac\n"
                 "}\n"
                 /* os.walk's order: a folder's subfolders, then its files (readdir
                  * order, as scandir), then each subfolder in turn; not the top */
                 "walk() { set -- \"$1\" \"$(ls -fA -- \"$1\")\"; wd=$1; sub=\n"
                 "  rest=$2$nl; while [ -n \"$rest\" ]; do e=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}; [ -n \"$e\" ] || continue\n"
                 "    if [ -d \"$wd/$e\" ] && [ ! -L \"$wd/$e\" ]; then printf '%s\\n' \"$wd/$e\"; sub=$sub$wd/$e$nl; fi; done\n"
                 "  rest=$2$nl; while [ -n \"$rest\" ]; do e=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}; [ -n \"$e\" ] || continue\n"
                 "    { [ -d \"$wd/$e\" ] && [ ! -L \"$wd/$e\" ]; } || printf '%s\\n' \"$wd/$e\"; done\n"
                 "  rest=$sub; while [ -n \"$rest\" ]; do e=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}; (walk \"$e\"); done\n"
                 "}\n"
                 "ds=archive; if [ -z \"$tg\" ]; then\n"
                 "  if [ -e \"$d\" ]; then case $d in *.tar|*.tar.gz|*.tar.bz2|*.tar.xz|*.tgz|*.tbz2|*.zip|*.TAR|*.ZIP) "
                 "ds=archive;; *) ds=compress;; esac; else ds=absent; fi\n"
                 "elif [ $ck = 1 ]; then\n"
                 "  if [ $fa = 1 ] || [ ! -e \"$d\" ]; then ch=1; fi\n"
                 "  [ -e \"$d\" ] || ds=absent\n"
                 "  [ $fa = 1 ] || [ -e \"$d\" ] || ds=absent\n"
                 "  [ -e \"$d\" ] && { case $d in *.tar|*.tar.gz|*.tar.bz2|*.tar.xz|*.tgz|*.tbz2|*.zip) ds=archive;; *) "
                 "ds=archive;; esac; }\n"
                 "else\n"
                 "  old=$(sig \"$d\"); um=$(umask)\n"
                 "  case $d in */*) dd=${d%/*}; [ -n \"$dd\" ] || dd=/;; *) dd=.;; esac\n");
  char name[MOD_TEMP_NAME];
  mod_sh_temp_beside(s, "dd", name);
  rt_buf_puts(s, "  lst=$__playc_tmp.list\n"
                 "  if [ $fa = 1 ]; then\n"
                 /* the list os.walk gives: each target's contents (or the target when a file) */
                 "    : > \"$lst\"; rest=$tg; while [ -n \"$rest\" ]; do p=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}\n"
                 "      if [ -d \"$p\" ]; then walk \"$p\"; else printf '%s\\n' \"$p\"; fi\n"
                 "    done > \"$lst.abs\"\n"
                 "    : > \"$lst\"; while IFS= read -r p; do __playc_rec \"archived[]\" \"$p\"; "
                 "printf '%s\\n' \"${p#\"$root\"}\" >> \"$lst\"; done < \"$lst.abs\"; rm -f -- \"$lst.abs\"\n");
  for (size_t i = 0; pats && i < rt_len(pats); i++) {
    rt_buf_puts(s, "    pt=");
    rt_sh_quote(s, rt_list_at(pats, i)->u.str.s);
    rt_buf_puts(s, "; grep -v \"$(printf %s \"$pt\" | sed 's/[.[\\\\^$]/\\\\&/g; s/\\*/.*/g; s/?/./g; s/^/^/; s/$/$/')\" "
                   "\"$lst\" > \"$lst.x\"; mv -f -- \"$lst.x\" \"$lst\"\n");
  }
  rt_buf_puts(s, "    case $fmt in\n"
                 "    zip) (cd \"$root\" && zip -q -@ - < \"$lst\") > \"$__playc_tmp\" 2>/dev/null;;\n"
                 "    tar) tar -C \"$root\" --no-recursion -cf \"$__playc_tmp\" -T \"$lst\";;\n"
                 "    gz) tar -C \"$root\" --no-recursion -czf \"$__playc_tmp\" -T \"$lst\";;\n"
                 "    bz2) tar -C \"$root\" --no-recursion -cjf \"$__playc_tmp\" -T \"$lst\";;\n"
                 "    xz) tar -C \"$root\" --no-recursion -cJf \"$__playc_tmp\" -T \"$lst\";;\n"
                 "    esac || { rm -f -- \"$lst\"; __playc_rec fail write; exit 0; }\n"
                 "    rm -f -- \"$lst\"; ds=archive; [ -z \"$nf\" ] || ds=incomplete\n"
                 "  else\n"
                 "    __playc_rec \"archived[]\" \"$first\"\n"
                 "    case $fmt in\n"
                 "    zip) (cd \"$root\" && zip -q - \"${first#\"$root\"}\") > \"$__playc_tmp\"; ds=archive;;\n"
                 "    tar) tar -C \"$root\" -cf \"$__playc_tmp\" \"${first#\"$root\"}\"; ds=archive;;\n"
                 "    gz) gzip -c < \"$first\" > \"$__playc_tmp\"; ds=compress;;\n"
                 "    bz2) bzip2 -c < \"$first\" > \"$__playc_tmp\"; ds=compress;;\n"
                 "    xz) xz -c < \"$first\" > \"$__playc_tmp\"; ds=compress;;\n"
                 "    esac || { __playc_rec fail write; exit 0; }\n"
                 "  fi\n"
                 "  if [ -e \"$d\" ]; then chmod \"$(stat -c %a -- \"$d\")\" \"$__playc_tmp\"; else chmod \"$(printf %o $((0666 & ~0$um)))\" "
                 "\"$__playc_tmp\"; fi\n"
                 "  mv -f -- \"$__playc_tmp\" \"$d\" || exit 1; __playc_tmp=\n"
                 "  [ \"$old\" = \"$(sig \"$d\")\" ] || ch=1\n"
                 "  if [ $rmv = 1 ]; then rest=$tg; while [ -n \"$rest\" ]; do p=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}\n"
                 "    rm -rf -- \"$p\"; [ $fa = 1 ] || break; done; fi\n"
                 "fi\n"
                 "__playc_rec dest_state $ds\n"
                 "if [ -e \"$d\" ]; then\n");
  mod_sh_attrs_apply(s, "d", attrs, NULL);
  rt_buf_puts(s, "  __playc_stat \"$d\"\nfi\n"
                 "__playc_rec changed $ch\n");
}

static RtValue *rec_list(const RtExec *ex, const char *key) {
  RtValue *v = rt_dict_get(ex->rec, key);
  return v ? rt_incref(v) : rt_list_new(0);
}

static RtValue *text_list(const RtExec *ex, const char *key) {
  const char *t = mod_rec(ex, key) ? mod_rec(ex, key) : "";
  return mod_lines(t, strlen(t));
}

RtValue *mod_archive(RtHost *h, RtValue *args) {
  RtValue *paths = mod_arg_list(args, "path"), *excl = mod_arg_list(args, "exclude_path");
  RtValue *pats = mod_arg_list(args, "exclusion_patterns");
  char *dest = mod_arg_str(args, "dest"), *format = mod_arg_str(args, "format");
  char *owner = mod_arg_str(args, "owner"), *group = mod_arg_str(args, "group");
  ModAttrs attrs = {owner, group, mod_arg_mode(args, "mode"), NULL, false};
  RtValue *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false;
  char *err = NULL;
  if (attrs.mode == -2) {
    r = mod_fail_result("mode must be in octal or symbolic form");
    goto done;
  }
  archive_script(&s, paths, excl, pats, dest, format ? format : "gz", mod_arg_bool(args, "force_archive", 0) == 1,
                 mod_arg_bool(args, "remove", 0) == 1, &attrs, h->check_mode);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  const char *why = mod_rec(&ex, "fail");
  if (why && !strcmp(why, "nopaths")) {
    RtBuf p = {0};
    for (size_t i = 0; i < rt_len(paths); i++)
      rt_buf_printf(&p, "%s%s", i ? ", " : "", rt_list_at(paths, i)->u.str.s);
    r = mod_fail_result("Error, no source paths were found");
    rt_dict_set(r, "path", rt_strz(p.data ? p.data : ""));
    RtValue *e = text_list(&ex, "expanded"), *x = text_list(&ex, "excluded");
    RtBuf a = {0}, b = {0};
    for (size_t i = 0; i < rt_len(e); i++)
      rt_buf_printf(&a, "%s%s", i ? ", " : "", rt_list_at(e, i)->u.str.s);
    for (size_t i = 0; i < rt_len(x); i++)
      rt_buf_printf(&b, "%s%s", i ? ", " : "", rt_list_at(x, i)->u.str.s);
    rt_dict_set(r, "expanded_paths", rt_strz(a.data ? a.data : ""));
    rt_dict_set(r, "expanded_exclude_paths", rt_strz(b.data ? b.data : ""));
    rt_decref(e);
    rt_decref(x);
    rt_buf_free(&a);
    rt_buf_free(&b);
    rt_buf_free(&p);
    goto done;
  }
  if (why && !strcmp(why, "nodest")) {
    RtBuf p = {0};
    for (size_t i = 0; i < rt_len(paths); i++)
      rt_buf_printf(&p, "%s%s", i ? ", " : "", rt_list_at(paths, i)->u.str.s);
    r = mod_fail_result("Error, must specify \"dest\" when archiving multiple files or trees");
    rt_dict_set(r, "dest", rt_strz("None")); /* _to_native(None) */
    rt_dict_set(r, "path", rt_strz(p.data ? p.data : ""));
    rt_buf_free(&p);
    goto done;
  }
  if (why && !strcmp(why, "unsafe")) {
    r = mod_fail_result("Error, created archive can not be contained in source paths when remove=true");
    goto done;
  }
  if ((r = mod_attrs_failure(&ex, &attrs, mod_rec(&ex, "dest") ? mod_rec(&ex, "dest") : "")) != NULL)
    goto done;
  if (why || ex.rc != 0) {
    r = mod_fail_result("Errors when writing archive at %s: %s", mod_rec(&ex, "dest") ? mod_rec(&ex, "dest") : "",
                        ex.err.len ? ex.err.data : "");
    goto done;
  }
  r = rt_dict_new(12);
  rt_dict_set(r, "archived", rec_list(&ex, "archived"));
  rt_dict_set(r, "dest", rt_strz(mod_rec(&ex, "dest")));
  rt_dict_set(r, "dest_state", rt_strz(mod_rec(&ex, "dest_state")));
  rt_dict_set(r, "changed", rt_bool(mod_rec_is(&ex, "changed", "1")));
  rt_dict_set(r, "arcroot", rt_strz(mod_rec(&ex, "arcroot")));
  rt_dict_set(r, "missing", rec_list(&ex, "missing"));
  rt_dict_set(r, "expanded_paths", text_list(&ex, "expanded"));
  rt_dict_set(r, "expanded_exclude_paths", text_list(&ex, "excluded"));
  mod_add_stat(r, &ex); /* add_path_info: dest */
done:
  if (have)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  free(err);
  rt_decref(paths);
  rt_decref(excl);
  rt_decref(pats);
  free(dest);
  free(format);
  free(owner);
  free(group);
  return r;
}

#endif
