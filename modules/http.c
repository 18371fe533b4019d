/*
 * http.c — get_url and uri: HTTP(S) from the target, with its curl. Each
 * task is one request: the script builds curl's argv from the options
 * (never shell text: the URL goes with --url, headers with -H, the body on
 * stdin), keeps the response headers (-D) and body in private temp files,
 * and reports the status, the final URL, the headers (as a record; parsed
 * here: the last response's status line and fields) and, where the result
 * needs it, the body base64-encoded so any byte survives.
 *
 * get_url decides on the target what Ansible's module decides after its
 * download: the checksum of an existing dest (no download when it
 * matches, unless force), If-Modified-Since from dest's mtime (a 304 is
 * "unchanged"), the file name from Content-Disposition or the URL when
 * dest is a folder, SHA-1 comparison with dest, the move into place
 * through a temp file beside dest (atomic), the checksum check after it,
 * then owner/group/mode. Check mode sends HEAD, as Ansible's does.
 *
 * uri builds the body from body_format (json: Python's json.dumps;
 * form-urlencoded: urlencode), follows redirects as follow_redirects says,
 * compares the status with status_code, and builds Ansible's result: every
 * response header as a lowercase key with '_' for '-', msg, status, url,
 * redirected, cookies, json (for a JSON body), content (return_content),
 * and dest written like get_url's when given.
 */
#include "mod.h"

static const ModParam get_url_params[] = {
    {.name = "url", .type = MP_STR, .required = true},
    {.name = "dest", .type = MP_PATH, .required = true},
    {.name = "backup", .type = MP_BOOL, .def = "false"},
    {.name = "checksum", .type = MP_STR, .def = ""},
    {.name = "timeout", .type = MP_INT, .def = "10"},
    {.name = "headers", .type = MP_DICT},
    {.name = "tmp_dest", .type = MP_PATH},
    {.name = "decompress", .type = MP_BOOL, .def = "true"},
    {.name = "ciphers", .type = MP_LIST, .elements = MP_STR},
    {.name = "use_netrc", .type = MP_BOOL, .def = "true"},
    {.name = "force", .type = MP_BOOL, .def = "false"},
    {.name = "http_agent", .type = MP_STR, .def = "ansible-httpget"},
    {.name = "use_proxy", .type = MP_BOOL, .def = "true"},
    {.name = "validate_certs", .type = MP_BOOL, .def = "true"},
    {.name = "url_username", .type = MP_STR, .aliases = "username"},
    {.name = "url_password", .type = MP_STR, .aliases = "password", .no_log = true},
    {.name = "force_basic_auth", .type = MP_BOOL, .def = "false"},
    {.name = "client_cert", .type = MP_PATH},
    {.name = "client_key", .type = MP_PATH},
    {.name = "mode", .type = MP_MODE},
    {.name = "owner", .type = MP_STR},
    {.name = "group", .type = MP_STR},
};
const ModSchema mod_schema_get_url = {
    .name = "get_url",
    .params = get_url_params,
    .nparams = MOD_N(get_url_params),
    .tools = "curl",
    .check_mode = true,
};

static const ModParam uri_params[] = {
    {.name = "url", .type = MP_STR, .required = true},
    {.name = "dest", .type = MP_PATH},
    {.name = "body", .type = MP_RAW},
    {.name = "body_format", .type = MP_STR, .choices = "form-urlencoded,json,raw,form-multipart", .def = "raw"},
    {.name = "method", .type = MP_STR, .def = "GET"},
    {.name = "return_content", .type = MP_BOOL, .def = "false"},
    {.name = "follow_redirects", .type = MP_STR, .choices = "all,no,none,safe,urllib2,yes", .def = "safe"},
    {.name = "creates", .type = MP_PATH},
    {.name = "removes", .type = MP_PATH},
    {.name = "status_code", .type = MP_LIST, .elements = MP_INT, .def = "200"},
    {.name = "timeout", .type = MP_INT, .def = "30"},
    {.name = "headers", .type = MP_DICT},
    {.name = "decompress", .type = MP_BOOL, .def = "true"},
    {.name = "ciphers", .type = MP_LIST, .elements = MP_STR},
    {.name = "use_netrc", .type = MP_BOOL, .def = "true"},
    {.name = "ca_path", .type = MP_PATH},
    {.name = "force", .type = MP_BOOL, .def = "false"},
    {.name = "http_agent", .type = MP_STR, .def = "ansible-httpget"},
    {.name = "use_proxy", .type = MP_BOOL, .def = "true"},
    {.name = "validate_certs", .type = MP_BOOL, .def = "true"},
    {.name = "url_username", .type = MP_STR, .aliases = "user"},
    {.name = "url_password", .type = MP_STR, .aliases = "password", .no_log = true},
    {.name = "force_basic_auth", .type = MP_BOOL, .def = "false"},
    {.name = "client_cert", .type = MP_PATH},
    {.name = "client_key", .type = MP_PATH},
    {.name = "unix_socket", .type = MP_PATH},
    {.name = "mode", .type = MP_MODE},
    {.name = "owner", .type = MP_STR},
    {.name = "group", .type = MP_STR},
};
const ModSchema mod_schema_uri = {
    .name = "uri",
    .params = uri_params,
    .nparams = MOD_N(uri_params),
    .tools = "curl",
    .check_mode = false,
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- curl's argv ------------------------------------------------------------ */

/* The options both modules share, into `a` (after "curl"). */
static void common_opts(ModArgv *a, RtValue *args, long long timeout) {
  mod_argv_add(a, "-sS");
  mod_argv_add(a, "--connect-timeout");
  mod_argv_addf(a, "%lld", timeout);
  mod_argv_add(a, "--speed-limit"); /* a socket timeout: no byte for `timeout` seconds */
  mod_argv_add(a, "1");
  mod_argv_add(a, "--speed-time");
  mod_argv_addf(a, "%lld", timeout);
  char *agent = mod_arg_str(args, "http_agent");
  mod_argv_add(a, "-A");
  mod_argv_add(a, agent ? agent : "ansible-httpget");
  free(agent);
  if (mod_arg_bool(args, "validate_certs", 1) == 0)
    mod_argv_add(a, "-k");
  if (mod_arg_bool(args, "use_proxy", 1) == 0) {
    mod_argv_add(a, "--noproxy");
    mod_argv_add(a, "*");
  }
  if (mod_arg_bool(args, "use_netrc", 1) != 0)
    mod_argv_add(a, "--netrc-optional");
  /* decompress: a gzip body the server sends is decoded. The request asks
   * for identity (as Python's http.client does) unless the task's headers
   * name Accept-Encoding themselves, below. */
  if (mod_arg_bool(args, "decompress", 1) != 0)
    mod_argv_add(a, "--compressed");
  char *user = mod_arg_str(args, "url_username"), *pass = mod_arg_str(args, "url_password");
  if (user) {
    mod_argv_add(a, "-u");
    mod_argv_addf(a, "%s:%s", user, pass ? pass : "");
  }
  free(user);
  free(pass);
  static const char *const files[][2] = {
      {"client_cert", "--cert"}, {"client_key", "--key"}, {"ca_path", "--cacert"}, {"unix_socket", "--unix-socket"}};
  for (int i = 0; i < 4; i++) {
    char *v = mod_arg_str(args, files[i][0]);
    if (v) {
      mod_argv_add(a, files[i][1]);
      mod_argv_add(a, v);
    }
    free(v);
  }
  RtValue *ciphers = mod_arg_list(args, "ciphers");
  if (ciphers && rt_len(ciphers)) {
    RtBuf b = {0};
    for (size_t i = 0; i < rt_len(ciphers); i++)
      rt_buf_printf(&b, "%s%s", i ? ":" : "", rt_list_at(ciphers, i)->u.str.s);
    mod_argv_add(a, "--ciphers");
    mod_argv_add(a, b.data);
    rt_buf_free(&b);
  }
  rt_decref(ciphers);
  if (mod_arg_bool(args, "force", 0) == 1) {
    mod_argv_add(a, "-H");
    mod_argv_add(a, "Cache-Control: no-cache");
  }
  RtValue *headers = rt_dict_get(args, "headers");
  bool own_encoding = false;
  for (size_t i = 0; headers && rt_kind(headers) == RT_DICT && i < headers->u.dict.len; i++) {
    RtBuf v = {0};
    rt_render_str(&v, headers->u.dict.ents[i].val);
    mod_argv_add(a, "-H");
    mod_argv_addf(a, "%s: %s", headers->u.dict.ents[i].key->u.str.s, v.data ? v.data : "");
    rt_buf_free(&v);
    if (strcasecmp(headers->u.dict.ents[i].key->u.str.s, "accept-encoding") == 0)
      own_encoding = true;
  }
  if (!own_encoding) {
    mod_argv_add(a, "-H");
    mod_argv_add(a, "Accept-Encoding: identity");
  }
}

/* Script text: the shell function `fetch` runs the curl argv in "$@" with
 * -D "$hd" -o "$bd", records code, eff (the final URL), hdrs, and crc/cerr
 * when curl itself failed. */
static const char fetch_func[] =
    "fetch() {\n"
    "  w=$(\"$@\" -D \"$hd\" -o \"$bd\" -w '%{http_code} %{url_effective}' 2>\"$bd.err\"); crc=$?\n"
    "  __playc_rec crc $crc; __playc_rec cerr \"$(cat -- \"$bd.err\" 2>/dev/null)\"; rm -f -- \"$bd.err\"\n"
    "  __playc_rec code \"${w%% *}\"; __playc_rec eff \"${w#* }\"\n"
    "  h=$(cat -- \"$hd\" 2>/dev/null; echo x); __playc_rec hdrs \"${h%x}\"\n"
    "}\n";

/* Temp files for the headers and body in "$td" (removed by the traps). */
static void temps_script(RtBuf *s) {
  char n1[MOD_TEMP_NAME], n2[MOD_TEMP_NAME];
  rt_buf_puts(s, "um=$(umask)\n");
  mod_sh_temp_beside(s, "td", n1);
  rt_buf_puts(s, "hd=$__playc_tmp; __playc_tmp=\n");
  mod_sh_temp_beside(s, "td", n2);
  rt_buf_puts(s, "bd=$__playc_tmp; __playc_tmp=\n"
                 "trap 'rm -f -- \"$hd\" \"$bd\" \"$bd.err\"; __playc_clean' EXIT\n");
}

/* ---- the response ----------------------------------------------------------- */

typedef struct Resp {
  long code;
  char *reason;    /* the last status line's phrase */
  RtValue *fields; /* dict: lowercased name → value (repeats joined by ", ") */
} Resp;

/* The last response's status line and fields from curl's -D dump. */
static void parse_headers(Resp *r, const char *text) {
  r->fields = rt_dict_new(8);
  r->code = 0;
  r->reason = rt_xstrdup("");
  RtValue *lines = mod_lines(text, strlen(text));
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = rt_list_at(lines, i)->u.str.s;
    if (strncmp(l, "HTTP/", 5) == 0) { /* a new response: forget the previous one's fields */
      rt_decref(r->fields);
      r->fields = rt_dict_new(8);
      const char *sp = strchr(l, ' ');
      r->code = sp ? strtol(sp + 1, NULL, 10) : 0;
      const char *ph = sp ? strchr(sp + 1, ' ') : NULL;
      free(r->reason);
      r->reason = rt_xstrdup(ph ? ph + 1 : "");
      continue;
    }
    const char *colon = strchr(l, ':');
    if (!colon || colon == l)
      continue;
    char *name = rt_xstrndup(l, (size_t)(colon - l));
    for (char *p = name; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
      v++;
    RtValue *old = rt_dict_get(r->fields, name);
    if (old) {
      char *j = rt_xasprintf("%s, %s", old->u.str.s, v);
      rt_dict_set(r->fields, name, rt_str_take(j, strlen(j)));
    } else {
      rt_dict_set(r->fields, name, rt_strz(v));
    }
    free(name);
  }
  rt_decref(lines);
}

static void resp_free(Resp *r) {
  free(r->reason);
  rt_decref(r->fields);
}

/* urllib's message for a failed transfer (curl's exit status). */
static char *curl_failure(const RtExec *ex) {
  long long crc = mod_rec_int(ex, "crc", 0);
  const char *e = mod_rec(ex, "cerr") ? mod_rec(ex, "cerr") : "";
  if (crc == 7)
    return rt_xstrdup("Request failed: <urlopen error [Errno 111] Connection refused>");
  if (crc == 6)
    return rt_xstrdup("Request failed: <urlopen error [Errno -2] Name or service not known>");
  if (crc == 28)
    return rt_xstrdup("Request failed: <urlopen error timed out>");
  if (crc == 3)
    return rt_xasprintf("Request failed: <urlopen error unknown url type: %s>", e);
  return rt_xasprintf("Request failed: <urlopen error %s>", e);
}

/* info['msg'] for a response: "OK (N bytes)", or urllib's HTTPError text. */
static char *ok_msg(const Resp *r) {
  RtValue *len = rt_dict_get(r->fields, "content-length");
  return rt_xasprintf("OK (%s bytes)", len ? len->u.str.s : "unknown");
}

static char *decode64(const char *b64, size_t *len) {
  size_t n = strlen(b64);
  unsigned char *out = rt_xmalloc(n / 4 * 3 + 4);
  int m = n ? EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n) : 0;
  if (m < 0)
    m = 0;
  while (n && b64[n - 1] == '=' && m > 0) /* EVP_DecodeBlock counts the padding */
    n--, m--;
  out[m] = 0;
  *len = (size_t)m;
  return (char *)out;
}

/* ---- get_url ------------------------------------------------------------------- */

static const char *const algos[] = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", NULL};

/* Script text: move "$src" into place as "$d" through a temp file beside it
 * (atomic_move: an existing file keeps its mode and owner, a new one gets
 * 0666 & ~umask), the backup first when asked. */
static void move_script(RtBuf *s, bool backup) {
  char name[MOD_TEMP_NAME];
  if (backup)
    rt_buf_puts(s, "if [ -e \"$d\" ]; then b=\"$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$d\" \"$b\" && "
                   "__playc_rec backup_file \"$b\"; fi\n");
  rt_buf_puts(s, "case $d in */*) dd=${d%/*}; [ -n \"$dd\" ] || dd=/;; *) dd=.;; esac\n");
  mod_sh_temp_beside(s, "dd", name);
  rt_buf_puts(s, "cat -- \"$src\" > \"$__playc_tmp\" || { __playc_rec fail move; exit 0; }\n"
                 "if [ -e \"$d\" ]; then chmod \"$(stat -c %a -- \"$d\")\" \"$__playc_tmp\"; "
                 "chown \"$(stat -c %u:%g -- \"$d\")\" \"$__playc_tmp\" 2>/dev/null; "
                 "else chmod \"$(printf %o $((0666 & ~0$um)))\" \"$__playc_tmp\"; fi\n"
                 "mv -f -- \"$__playc_tmp\" \"$d\" || { __playc_rec fail move; exit 0; }; __playc_tmp=\n");
}

typedef struct GetUrl {
  char *url, *dest, *algo, *want, *tmp_dest;
  bool force, backup;
  ModAttrs attrs;
} GetUrl;

/* The whole get_url request. */
static void get_url_script(RtBuf *s, const GetUrl *g, RtValue *args, bool check, long long timeout) {
  rt_buf_puts(s, "__playc_traps\n");
  mod_sh_need(s, "curl");
  mod_sh_set(s, "u", g->url);
  mod_sh_set_path(s, "d", g->dest);
  mod_sh_set(s, "want", g->want ? g->want : "");
  mod_sh_set(s, "alg", g->algo ? g->algo : "sha1");
  if (g->tmp_dest) {
    mod_sh_set_path(s, "td", g->tmp_dest);
    rt_buf_puts(s, "if [ ! -d \"$td\" ]; then if [ -e \"$td\" ]; then __playc_rec fail tmpfile; else "
                   "__playc_rec fail tmpdir; fi; __playc_rec td \"$td\"; exit 0; fi\n");
  } else {
    rt_buf_puts(s, "td=${TMPDIR:-/tmp}\n");
  }
  rt_buf_printf(s, "ck=%d; ch=0; fo=%d\n", check ? 1 : 0, g->force ? 1 : 0);
  mod_sh_attrs_begin(s, &g->attrs);
  rt_buf_puts(s, "__playc_rec dest \"$d\"; isdir=0; [ ! -d \"$d\" ] || isdir=1\n"
                 "z=\n"
                 "if [ $isdir = 0 ] && [ -e \"$d\" ]; then\n"
                 "  if [ $fo = 0 ] && [ -n \"$want\" ]; then got=$(\"${alg}sum\" < \"$d\"); got=${got%% *}\n"
                 "    if [ \"$got\" = \"$want\" ]; then __playc_rec already 1\n");
  mod_sh_attrs_apply(s, "d", &g->attrs, NULL);
  rt_buf_puts(s, "      __playc_rec changed $ch; __playc_stat \"$d\"; exit 0; fi\n"
                 "    fo=1; fi\n"
                 "  [ $fo = 1 ] || z=1\n"
                 "fi\n");
  temps_script(s);
  ModArgv a = {0};
  mod_argv_add(&a, "curl");
  common_opts(&a, args, timeout);
  mod_argv_add(&a, "-L");
  if (check)
    mod_argv_add(&a, "-I");
  mod_sh_argv(s, &a);
  mod_argv_free(&a);
  rt_buf_puts(s, "[ -z \"$z\" ] || set -- \"$@\" -z \"$d\"\n"
                 "set -- \"$@\" --url \"$u\"\n");
  rt_buf_puts(s, fetch_func);
  rt_buf_puts(s, "fetch \"$@\"; code=${w%% *}\n"
                 "[ $crc = 0 ] && [ \"$code\" = 200 ] || { [ ! -e \"$d\" ] || __playc_stat \"$d\"; exit 0; }\n"
                 "[ $ck = 0 ] || : > \"$bd\"\n" /* HEAD: no body (curl -I writes the headers there) */
                 "if [ $isdir = 1 ]; then\n"
                 "  fn=$(sed -n 's/^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Dd][Ii][Ss][Pp][Oo][Ss][Ii][Tt][Ii][Oo][Nn]: *//p' "
                 "\"$hd\" | tr -d '\\r' | tail -n 1 | sed -n 's/^attachment; \\{0,1\\}filename=\"\\{0,1\\}\\([^\"]*\\).*/\\1/p')\n"
                 "  fn=${fn##*/}\n"
                 "  if [ -z \"$fn\" ]; then e=${w#* }; e=${e#*://}; case $e in */*) e=/${e#*/};; *) e=;; esac\n"
                 "    e=${e%%\\#*}; e=${e%%\\?*}; fn=${e##*/}; [ -n \"$fn\" ] || fn=index.html; fi\n"
                 "  d=${d%/}/$fn; __playc_rec dest \"$d\"\n"
                 "fi\n"
                 "src=$bd; __playc_rec src \"$bd\"\n"
                 "cs=$(sha1sum < \"$bd\"); cs=${cs%% *}; __playc_rec checksum_src \"$cs\"\n"
                 "if [ -e \"$d\" ]; then cd_=$(sha1sum < \"$d\"); cd_=${cd_%% *}; __playc_rec checksum_dest \"$cd_\"\n"
                 "else cd_=; dn=$(dirname -- \"$d\"); [ -d \"$dn\" ] || { __playc_rec fail nodir; __playc_rec dir \"$dn\"; "
                 "exit 0; }; fi\n"
                 "[ $ck = 0 ] || exit 0\n"
                 "if [ \"$cs\" != \"$cd_\" ]; then\n");
  move_script(s, g->backup);
  rt_buf_puts(s, "  ch=1\nfi\n"
                 "if [ -n \"$want\" ]; then got=$(\"${alg}sum\" < \"$d\"); got=${got%% *}\n"
                 "  [ \"$got\" = \"$want\" ] || { rm -f -- \"$d\"; __playc_rec fail checksum; __playc_rec got \"$got\"; "
                 "__playc_rec changed $ch; exit 0; }; fi\n");
  mod_sh_attrs_apply(s, "d", &g->attrs, NULL);
  rt_buf_puts(s, "m5=$(md5sum < \"$d\"); __playc_rec md5sum \"${m5%% *}\"\n"
                 "__playc_rec changed $ch; __playc_rec done 1; __playc_stat \"$d\"\n");
}

static RtValue *get_url_base(const char *url, const char *dest) {
  RtValue *r = rt_dict_new(16);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "checksum_dest", rt_none());
  rt_dict_set(r, "checksum_src", rt_none());
  rt_dict_set(r, "dest", rt_strz(dest));
  rt_dict_set(r, "elapsed", rt_int(0));
  rt_dict_set(r, "url", rt_strz(url));
  return r;
}

static RtValue *fail_into(RtValue *r, const char *msg) {
  rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, "msg", rt_strz(msg));
  return r;
}

/* The checksum argument: algorithm and hex digest; a failure otherwise. */
static RtValue *parse_checksum(GetUrl *g, const char *arg, const char *url, const char *dest) {
  if (!arg || !*arg)
    return NULL;
  const char *colon = strchr(arg, ':');
  if (!colon)
    return fail_into(get_url_base(url, dest), "The checksum parameter has to be in format <algorithm>:<checksum>");
  g->algo = rt_xstrndup(arg, (size_t)(colon - arg));
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (const char *p = colon + 1; *p; p++) /* re.sub(r'\W+', '', checksum).lower() */
    if (isalnum((unsigned char)*p) || *p == '_')
      rt_buf_putc(&b, (char)tolower((unsigned char)*p));
  g->want = rt_buf_take(&b);
  if (strncmp(colon + 1, "http", 4) == 0 || strncmp(colon + 1, "ftp", 3) == 0 || strncmp(colon + 1, "file:", 5) == 0)
    return fail_into(get_url_base(url, dest), "a checksum given as a URL is not supported by playc yet");
  bool hex = *g->want != 0;
  for (const char *p = g->want; *p && hex; p++)
    hex = isxdigit((unsigned char)*p);
  if (!hex)
    return fail_into(get_url_base(url, dest), "The checksum format is invalid");
  bool known = false;
  for (int i = 0; algos[i] && !known; i++)
    known = strcmp(algos[i], g->algo) == 0;
  if (!known) {
    char *m = rt_xasprintf("Could not hash file '%s' with algorithm '%s'. Available algorithms: %s", dest, g->algo,
                           "blake2b, blake2s, md5, sha1, sha224, sha256, sha384, sha3_224, sha3_256, sha3_384, "
                           "sha3_512, sha512, shake_128, shake_256");
    RtValue *r = fail_into(get_url_base(url, dest), m);
    free(m);
    return r;
  }
  return NULL;
}

RtValue *mod_get_url(RtHost *h, RtValue *args) {
  GetUrl g = {0};
  g.url = mod_arg_str(args, "url");
  g.dest = mod_arg_str(args, "dest");
  g.tmp_dest = mod_arg_str(args, "tmp_dest");
  g.force = mod_arg_bool(args, "force", 0) == 1;
  g.backup = mod_arg_bool(args, "backup", 0) == 1;
  char *owner = mod_arg_str(args, "owner"), *group = mod_arg_str(args, "group"), *cks = mod_arg_str(args, "checksum");
  g.attrs = (ModAttrs){owner, group, mod_arg_mode(args, "mode"), NULL, false};
  long long timeout = 10;
  mod_arg_int(args, "timeout", &timeout);
  RtValue *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false;
  char *err = NULL;
  Resp resp = {0};
  if (g.attrs.mode == -2) {
    r = mod_fail_result("mode must be in octal or symbolic form");
    goto done;
  }
  if ((r = parse_checksum(&g, cks, g.url, g.dest)) != NULL)
    goto done;
  get_url_script(&s, &g, args, h->check_mode, timeout);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto done;
  const char *dest = mod_rec(&ex, "dest") ? mod_rec(&ex, "dest") : g.dest;
  if (mod_rec_is(&ex, "fail", "tmpfile") || mod_rec_is(&ex, "fail", "tmpdir")) {
    char *m = rt_xasprintf(mod_rec_is(&ex, "fail", "tmpfile") ? "%s is a file but should be a directory."
                                                              : "%s directory does not exist.",
                           mod_rec(&ex, "td"));
    r = mod_fail_result("%s", m);
    rt_dict_set(r, "elapsed", rt_int(0));
    free(m);
    goto done;
  }
  if ((r = mod_attrs_failure(&ex, &g.attrs, dest)) != NULL)
    goto done;
  r = get_url_base(g.url, dest);
  if (mod_rec(&ex, "already")) {
    bool ch = mod_rec_is(&ex, "changed", "1");
    rt_dict_set(r, "changed", rt_bool(ch));
    rt_dict_set(r, "msg", rt_strz(ch ? "file already exists but file attributes changed" : "file already exists"));
    mod_add_stat(r, &ex);
    goto done;
  }
  parse_headers(&resp, mod_rec(&ex, "hdrs") ? mod_rec(&ex, "hdrs") : "");
  if (mod_rec_int(&ex, "crc", 0) != 0) {
    char *m = curl_failure(&ex);
    rt_decref(r);
    r = mod_fail_result("%s", m);
    rt_dict_set(r, "url", rt_strz(g.url));
    rt_dict_set(r, "dest", rt_strz(g.dest));
    rt_dict_set(r, "elapsed", rt_int(0));
    free(m);
    goto done;
  }
  long code = strtol(mod_rec(&ex, "code") ? mod_rec(&ex, "code") : "0", NULL, 10);
  if (code == 304) {
    rt_decref(r);
    r = rt_dict_new(8);
    rt_dict_set(r, "url", rt_strz(g.url));
    rt_dict_set(r, "dest", rt_strz(g.dest));
    rt_dict_set(r, "changed", rt_bool(false));
    char *m = rt_xasprintf("HTTP Error 304: %s", resp.reason);
    rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
    rt_dict_set(r, "status_code", rt_int(304));
    rt_dict_set(r, "elapsed", rt_int(0));
    goto stat;
  }
  if (code != 200) {
    rt_decref(r);
    r = mod_fail_result("Request failed");
    rt_dict_set(r, "status_code", rt_int(code));
    char *m = rt_xasprintf("HTTP Error %ld: %s", code, resp.reason);
    rt_dict_set(r, "response", rt_str_take(m, strlen(m)));
    rt_dict_set(r, "url", rt_strz(g.url));
    rt_dict_set(r, "dest", rt_strz(g.dest));
    rt_dict_set(r, "elapsed", rt_int(0));
    goto stat;
  }
  rt_dict_set(r, "src", rt_strz(mod_rec(&ex, "src") ? mod_rec(&ex, "src") : ""));
  rt_dict_set(r, "checksum_src", rt_strz(mod_rec(&ex, "checksum_src") ? mod_rec(&ex, "checksum_src") : ""));
  if (mod_rec(&ex, "checksum_dest"))
    rt_dict_set(r, "checksum_dest", rt_strz(mod_rec(&ex, "checksum_dest")));
  const char *why = mod_rec(&ex, "fail");
  if (why && !strcmp(why, "nodir")) {
    char *m = rt_xasprintf("Destination %s does not exist", mod_rec(&ex, "dir"));
    fail_into(r, m);
    free(m);
    goto done;
  }
  if (why && !strcmp(why, "checksum")) {
    rt_dict_set(r, "changed", rt_bool(mod_rec_is(&ex, "changed", "1")));
    char *m = rt_xasprintf("The checksum for %s did not match %s; it was %s.", dest, g.want, mod_rec(&ex, "got"));
    fail_into(r, m);
    free(m);
    goto done;
  }
  if (why) {
    fail_into(r, ex.err.len ? ex.err.data : "could not move the download into place");
    goto done;
  }
  char *msg = ok_msg(&resp);
  if (h->check_mode) {
    const char *a = mod_rec(&ex, "checksum_src"), *b = mod_rec(&ex, "checksum_dest");
    rt_dict_set(r, "changed", rt_bool(!b || !a || strcmp(a, b) != 0));
    rt_dict_set(r, "msg", rt_str_take(msg, strlen(msg)));
    goto stat;
  }
  rt_dict_set(r, "changed", rt_bool(mod_rec_is(&ex, "changed", "1")));
  rt_dict_set(r, "md5sum", rt_strz(mod_rec(&ex, "md5sum") ? mod_rec(&ex, "md5sum") : ""));
  if (mod_rec(&ex, "backup_file"))
    rt_dict_set(r, "backup_file", rt_strz(mod_rec(&ex, "backup_file")));
  rt_dict_set(r, "msg", rt_str_take(msg, strlen(msg)));
  rt_dict_set(r, "status_code", rt_int(code));
stat:
  mod_add_stat(r, &ex); /* add_path_info: dest */
done:
  if (resp.fields)
    resp_free(&resp);
  if (have)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  free(err);
  free(g.url);
  free(g.dest);
  free(g.algo);
  free(g.want);
  free(g.tmp_dest);
  free(owner);
  free(group);
  free(cks);
  return r;
}

/* ---- uri ------------------------------------------------------------------------- */

/* urllib.parse.quote_plus */
static void quote_plus(RtBuf *b, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (isalnum(*p) || strchr("_.-~", *p))
      rt_buf_putc(b, (char)*p);
    else if (*p == ' ')
      rt_buf_putc(b, '+');
    else
      rt_buf_printf(b, "%%%02X", *p);
  }
}

/* The body as text for body_format; NULL without a body. *err for a body
 * the format cannot take. */
static char *make_body(RtValue *body, const char *fmt, char **err) {
  if (!body || rt_kind(body) == RT_NONE)
    return NULL;
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  if (rt_kind(body) == RT_STR) {
    rt_buf_add(&b, body->u.str.s, body->u.str.len);
  } else if (!strcmp(fmt, "json")) {
    rt_render_json(&b, body, -1, false);
  } else if (!strcmp(fmt, "form-urlencoded")) {
    if (rt_kind(body) != RT_DICT && rt_kind(body) != RT_LIST) {
      *err = rt_xstrdup("failed to parse body as form_urlencoded: not a valid non-string sequence or mapping object");
      rt_buf_free(&b);
      return NULL;
    }
    for (size_t i = 0; rt_kind(body) == RT_DICT && i < body->u.dict.len; i++) {
      RtBuf v = {0};
      rt_render_str(&v, body->u.dict.ents[i].val);
      if (i)
        rt_buf_putc(&b, '&');
      quote_plus(&b, body->u.dict.ents[i].key->u.str.s);
      rt_buf_putc(&b, '=');
      quote_plus(&b, v.data ? v.data : "");
      rt_buf_free(&v);
    }
  } else {
    rt_render_str(&b, body);
  }
  return rt_buf_take(&b);
}

static bool status_ok(const RtValue *codes, long code) {
  for (size_t i = 0; i < rt_len(codes); i++) {
    long long c;
    RtValue *v = rt_list_at(codes, i);
    if ((rt_kind(v) == RT_INT && v->u.i == code) ||
        (rt_kind(v) == RT_STR && mod_py_int(v->u.str.s, &c) && c == code))
      return true;
  }
  return false;
}

static bool json_type(const char *ct) {
  /* main/sub type, a +suffix counts: application/json, text/json, x+json ... */
  if (!ct)
    return false;
  const char *slash = strchr(ct, '/');
  if (!slash)
    return false;
  const char *sub = slash + 1, *end = sub + strcspn(sub, ";");
  const char *plus = memchr(sub, '+', (size_t)(end - sub));
  if (plus)
    sub = plus + 1;
  size_t n = (size_t)(end - sub);
  while (n && isspace((unsigned char)sub[n - 1]))
    n--;
  static const char *const cands[] = {"json", "javascript", NULL};
  for (int i = 0; cands[i]; i++)
    if (strlen(cands[i]) == n && strncasecmp(sub, cands[i], n) == 0)
      return true;
  return false;
}

typedef struct Uri {
  char *url, *dest, *method, *fmt, *follow, *creates, *removes;
  bool return_content;
  RtValue *codes;
  ModAttrs attrs;
} Uri;

static void uri_script(RtBuf *s, const Uri *u, RtValue *args, const char *body, long long timeout) {
  rt_buf_puts(s, "__playc_traps\n");
  if (u->creates) {
    mod_sh_set_path(s, "cr", u->creates);
    rt_buf_puts(s, "[ ! -e \"$cr\" ] || { __playc_rec skip creates; __playc_rec path \"$cr\"; exit 0; }\n");
  }
  if (u->removes) {
    mod_sh_set_path(s, "rm", u->removes);
    rt_buf_puts(s, "[ -e \"$rm\" ] || { __playc_rec skip removes; __playc_rec path \"$rm\"; exit 0; }\n");
  }
  mod_sh_need(s, "curl");
  mod_sh_set(s, "u", u->url);
  rt_buf_puts(s, "td=${TMPDIR:-/tmp}; ck=0; ch=0\n");
  mod_sh_attrs_begin(s, &u->attrs);
  temps_script(s);
  ModArgv a = {0};
  mod_argv_add(&a, "curl");
  common_opts(&a, args, timeout);
  bool head = !strcmp(u->method, "HEAD"), safe = head || !strcmp(u->method, "GET");
  const char *f = u->follow;
  if (!strcmp(f, "all") || !strcmp(f, "yes") || (!strcmp(f, "safe") && safe) || (!strcmp(f, "urllib2") && safe))
    mod_argv_add(&a, "-L");
  if (head) {
    mod_argv_add(&a, "-I");
  } else {
    mod_argv_add(&a, "-X");
    mod_argv_add(&a, u->method);
  }
  if (body) {
    mod_argv_add(&a, "--data-binary");
    mod_argv_add(&a, "@-");
    const char *ct = !strcmp(u->fmt, "json") ? "application/json"
                     : !strcmp(u->fmt, "form-urlencoded") ? "application/x-www-form-urlencoded"
                                                          : NULL;
    RtValue *hs = rt_dict_get(args, "headers");
    bool has_ct = false;
    for (size_t i = 0; hs && rt_kind(hs) == RT_DICT && i < hs->u.dict.len; i++)
      has_ct |= strcasecmp(hs->u.dict.ents[i].key->u.str.s, "content-type") == 0;
    if (ct && !has_ct) {
      mod_argv_add(&a, "-H");
      mod_argv_addf(&a, "Content-Type: %s", ct);
    } else if (!has_ct) { /* urllib sends form data's type for a raw body too */
      mod_argv_add(&a, "-H");
      mod_argv_add(&a, "Content-Type: application/x-www-form-urlencoded");
    }
  }
  mod_sh_argv(s, &a);
  mod_argv_free(&a);
  if (u->dest) {
    mod_sh_set_path(s, "d", u->dest);
    rt_buf_puts(s, "[ ! -f \"$d\" ] || set -- \"$@\" -z \"$d\"\n");
  }
  rt_buf_puts(s, "set -- \"$@\" --url \"$u\"\n");
  rt_buf_puts(s, fetch_func);
  if (body) {
    mod_sh_set(s, "body", body);
    rt_buf_puts(s, "printf %s \"$body\" | fetch \"$@\"\n");
    /* fetch ran in the pipeline's subshell: its records are out, its
     * variables are not; the code comes back from the records */
  } else {
    rt_buf_puts(s, "fetch \"$@\"\n");
  }
  rt_buf_puts(s, "__playc_rec body64 \"$(base64 -w0 < \"$bd\" 2>/dev/null)\"\n");
  if (u->dest) {
    RtBuf sc = {0};
    for (size_t i = 0; i < rt_len(u->codes); i++) {
      RtBuf v = {0};
      rt_render_str(&v, rt_list_at(u->codes, i));
      rt_buf_printf(&sc, " %s", v.data ? v.data : "");
      rt_buf_free(&v);
    }
    rt_buf_putc(&sc, ' ');
    mod_sh_set(s, "sc", sc.data);
    rt_buf_free(&sc);
    rt_buf_puts(s, "code=$(sed -n 's/^HTTP\\/[^ ]* \\([0-9]*\\).*/\\1/p' \"$hd\" | tail -n 1)\n"
                   "if [ -n \"$code\" ] && [ \"$code\" != 304 ]; then case $sc in *\" $code \"*)\n"
                   "  if [ -d \"$d\" ]; then fn=$(sed -n 's/^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Dd][Ii][Ss][Pp][Oo][Ss][Ii]"
                   "[Tt][Ii][Oo][Nn]: *//p' \"$hd\" | tr -d '\\r' | tail -n 1 | sed -n 's/.*filename=\"\\{0,1\\}"
                   "\\([^\";]*\\).*/\\1/p'); fn=${fn##*/}; d=$d/${fn:-index.html}; fi\n"
                   "  src=$bd\n");
    move_script(s, false);
    rt_buf_puts(s, "  ch=1; __playc_rec written 1\n");
    mod_sh_attrs_apply(s, "d", &u->attrs, NULL);
    rt_buf_puts(s, ";; esac; fi\n"
                   "__playc_rec path \"$d\"; __playc_rec changed $ch; [ ! -e \"$d\" ] || __playc_stat \"$d\"\n");
  }
}

/* The absolute form of a Location header (absolute_location). */
static char *absolute(const char *url, const char *loc) {
  if (strstr(loc, "://"))
    return rt_xstrdup(loc);
  const char *scheme = strstr(url, "://");
  if (!scheme)
    return rt_xstrdup(loc);
  const char *host_end = strchr(scheme + 3, '/');
  size_t base = host_end ? (size_t)(host_end - url) : strlen(url);
  if (loc[0] == '/')
    return rt_xasprintf("%.*s%s", (int)base, url, loc);
  const char *last = strrchr(url + base, '/');
  return last ? rt_xasprintf("%.*s%s", (int)(last - url + 1), url, loc) : rt_xasprintf("%.*s/%s", (int)base, url, loc);
}

static RtValue *uri_result(const Uri *u, const RtExec *ex, RtHost *h) {
  (void)h;
  Resp resp = {0};
  parse_headers(&resp, mod_rec(ex, "hdrs") ? mod_rec(ex, "hdrs") : "");
  RtValue *r = rt_dict_new(24);
  const char *eff = mod_rec(ex, "eff") && *mod_rec(ex, "eff") ? mod_rec(ex, "eff") : u->url;
  long code = strtol(mod_rec(ex, "code") ? mod_rec(ex, "code") : "0", NULL, 10);
  bool failed_transfer = mod_rec_int(ex, "crc", 0) != 0 && code == 0;
  size_t blen = 0;
  char *body = decode64(mod_rec(ex, "body64") ? mod_rec(ex, "body64") : "", &blen);
  rt_dict_set(r, "redirected", rt_bool(strcmp(eff, u->url) != 0));
  rt_dict_set(r, "url", rt_strz(failed_transfer ? u->url : eff));
  if (failed_transfer) {
    char *m = curl_failure(ex);
    rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
    rt_dict_set(r, "status", rt_int(-1));
    code = -1;
  } else {
    for (size_t i = 0; i < resp.fields->u.dict.len; i++) {
      char *k = rt_xstrdup(resp.fields->u.dict.ents[i].key->u.str.s);
      for (char *p = k; *p; p++)
        if (*p == '-')
          *p = '_';
      rt_dict_set(r, k, rt_incref(resp.fields->u.dict.ents[i].val));
      free(k);
    }
    if (code >= 200 && code < 300) {
      rt_dict_set(r, "cookies_string", rt_strz(""));
      rt_dict_set(r, "cookies", rt_dict_new(0));
      char *m = ok_msg(&resp);
      rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
    } else {
      char *m = rt_xasprintf("HTTP Error %ld: %s", code, resp.reason);
      rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
    }
    rt_dict_set(r, "status", rt_int(code));
    RtValue *loc = rt_dict_get(r, "location");
    if (loc) {
      char *abs = absolute(u->url, loc->u.str.s);
      rt_dict_set(r, "location", rt_str_take(abs, strlen(abs)));
    }
  }
  rt_dict_set(r, "elapsed", rt_int(0));
  rt_dict_set(r, "changed", rt_bool(mod_rec_is(ex, "changed", "1")));
  if (u->dest && !failed_transfer) {
    rt_dict_set(r, "path", rt_strz(mod_rec(ex, "path") ? mod_rec(ex, "path") : u->dest));
    mod_add_stat(r, ex);
  }
  RtValue *ctv = rt_dict_get(resp.fields, "content-type");
  bool maybe_json = ctv && json_type(ctv->u.str.s);
  bool ok = status_ok(u->codes, code);
  if (!(code >= 200 && code < 300) && !failed_transfer && !(maybe_json || u->return_content || !ok))
    rt_dict_set(r, "body", rt_str(body, blen)); /* HTTPError's info['body'], left in the result */
  if (maybe_json || u->return_content || !ok) {
    if (maybe_json) {
      char *perr = NULL;
      RtValue *js = rt_parse_json(body, blen, &perr);
      free(perr);
      if (js)
        rt_dict_set(r, "json", js);
    }
  }
  if (!ok) {
    RtValue *m = rt_dict_get(r, "msg");
    RtBuf codes = {0};
    rt_buf_putc(&codes, '[');
    for (size_t i = 0; i < rt_len(u->codes); i++) {
      RtBuf v = {0};
      rt_render_str(&v, rt_list_at(u->codes, i));
      rt_buf_printf(&codes, "%s%s", i ? ", " : "", v.data ? v.data : "");
      rt_buf_free(&v);
    }
    rt_buf_putc(&codes, ']');
    char *msg = rt_xasprintf("Status code was %ld and not %s: %s", code, codes.data, m ? m->u.str.s : "");
    rt_dict_set(r, "msg", rt_str_take(msg, strlen(msg)));
    rt_dict_set(r, "failed", rt_bool(true));
    rt_buf_free(&codes);
  }
  if (u->return_content)
    rt_dict_set(r, "content", rt_str(body, blen));
  free(body);
  resp_free(&resp);
  return r;
}

RtValue *mod_uri(RtHost *h, RtValue *args) {
  if (h->check_mode)
    return mod_check_skip("ansible.legacy.uri"); /* its action runs it under that name */
  Uri u = {0};
  u.url = mod_arg_str(args, "url");
  u.dest = mod_arg_str(args, "dest");
  u.method = mod_arg_str(args, "method");
  u.fmt = mod_arg_str(args, "body_format");
  u.follow = mod_arg_str(args, "follow_redirects");
  u.creates = mod_arg_str(args, "creates");
  u.removes = mod_arg_str(args, "removes");
  u.return_content = mod_arg_bool(args, "return_content", 0) == 1;
  u.codes = mod_arg_list(args, "status_code");
  if (!u.codes) {
    u.codes = rt_list_new(1);
    rt_list_push(u.codes, rt_int(200));
  }
  char *owner = mod_arg_str(args, "owner"), *group = mod_arg_str(args, "group");
  u.attrs = (ModAttrs){owner, group, mod_arg_mode(args, "mode"), NULL, false};
  if (!u.method)
    u.method = rt_xstrdup("GET");
  for (char *p = u.method; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  if (!u.fmt)
    u.fmt = rt_xstrdup("raw");
  if (!u.follow)
    u.follow = rt_xstrdup("safe");
  long long timeout = 30;
  mod_arg_int(args, "timeout", &timeout);
  RtValue *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false;
  char *err = NULL, *berr = NULL, *body = NULL;
  bool word = *u.method != 0;
  for (const char *p = u.method; *p && word; p++)
    word = *p >= 'A' && *p <= 'Z';
  if (!word) {
    r = mod_fail_result("Parameter 'method' needs to be a single word in uppercase, like GET or POST.");
    goto done;
  }
  if (!strcmp(u.fmt, "form-multipart")) {
    r = mod_fail_result("body_format=form-multipart is not supported by playc yet");
    goto done;
  }
  body = make_body(rt_dict_get(args, "body"), u.fmt, &berr);
  if (berr) {
    r = mod_fail_result("%s", berr);
    rt_dict_set(r, "elapsed", rt_int(0));
    goto done;
  }
  uri_script(&s, &u, args, body, timeout);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if (mod_rec(&ex, "skip")) {
    r = rt_dict_new(2);
    char *m = rt_xasprintf(mod_rec_is(&ex, "skip", "creates") ? "skipped, since '%s' exists"
                                                              : "skipped, since '%s' does not exist",
                           mod_rec(&ex, "path"));
    rt_dict_set(r, "stdout", rt_str_take(m, strlen(m)));
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "stdout_lines", mod_lines(m, strlen(m)));
    goto done;
  }
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto done;
  if ((r = mod_attrs_failure(&ex, &u.attrs, mod_rec(&ex, "path") ? mod_rec(&ex, "path") : "")) != NULL)
    goto done;
  r = uri_result(&u, &ex, h);
done:
  if (have)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  rt_decref(u.codes);
  free(err);
  free(berr);
  free(body);
  free(u.url);
  free(u.dest);
  free(u.method);
  free(u.fmt);
  free(u.follow);
  free(u.creates);
  free(u.removes);
  free(owner);
  free(group);
  return r;
}

#endif
