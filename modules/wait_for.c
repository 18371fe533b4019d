/*
 * wait_for.c — the wait_for module, its whole wait in one request: the
 * target's shell loops (delay, then every `sleep` seconds until `timeout`)
 * over the condition, so the controller waits on one reply however long
 * the wait, and an interrupt stops it like any request. Ports are tried
 * with bash's /dev/tcp under `timeout` (connect_timeout); a search_regex
 * on a port reads what the service sends and matches it line by line with
 * grep -P; on a file, grep -Pz matches the whole file with (?m), as
 * Python's re.MULTILINE search does, and the file's text comes back so
 * the controller (PCRE2) gives match_groups and match_groupdict. `drained`
 * counts the port's connections in /proc/net/tcp and tcp6 in the active
 * states. Results and messages are the module's, with add_path_info's stat
 * for a path.
 */
#include "mod.h"

static const ModParam wait_for_params[] = {
    {.name = "host", .type = MP_STR, .def = "127.0.0.1"},
    {.name = "timeout", .type = MP_INT, .def = "300"},
    {.name = "connect_timeout", .type = MP_INT, .def = "5"},
    {.name = "delay", .type = MP_INT, .def = "0"},
    {.name = "port", .type = MP_INT},
    {.name = "active_connection_states", .type = MP_LIST, .elements = MP_STR,
     .def = "ESTABLISHED,FIN_WAIT1,FIN_WAIT2,SYN_RECV,SYN_SENT,TIME_WAIT"},
    {.name = "path", .type = MP_PATH},
    {.name = "search_regex", .type = MP_STR},
    {.name = "state", .type = MP_STR, .choices = "absent,drained,present,started,stopped", .def = "started"},
    {.name = "exclude_hosts", .type = MP_LIST, .elements = MP_STR},
    {.name = "sleep", .type = MP_INT, .def = "1"},
    {.name = "msg", .type = MP_STR},
};
const ModSchema mod_schema_wait_for = {
    .name = "wait_for",
    .params = wait_for_params,
    .nparams = MOD_N(wait_for_params),
    .tools = "bash,timeout,grep",
    .check_mode = false,
};

#ifndef MOD_SCHEMA_ONLY

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

static const char *const conn_states[][2] = {
    {"ESTABLISHED", "01"}, {"SYN_SENT", "02"}, {"SYN_RECV", "03"},   {"FIN_WAIT1", "04"},
    {"FIN_WAIT2", "05"},   {"TIME_WAIT", "06"}, {"CLOSE", "07"},     {"CLOSE_WAIT", "08"},
    {"LAST_ACK", "09"},    {"LISTEN", "0A"},    {"CLOSING", "0B"},   {NULL, NULL}};

/* Script text: the condition functions. up: the port accepts a connection
 * (reading it until the regex matches, with one); there: the path exists
 * (holding the regex, with one). */
static const char funcs[] =
    "up() {\n"
    "  t=$((end - $(date +%s))); [ $t -gt 0 ] || t=1; [ $t -lt $ct ] || t=$ct\n"
    "  if [ -n \"$re\" ]; then\n"
    "    r=$((end - $(date +%s))); [ $r -gt 0 ] || r=1\n"
    "    timeout $t bash -c 'exec 3<>\"/dev/tcp/$0/$1\"' \"$h\" \"$port\" 2>/dev/null || return 1\n"
    "    timeout $r bash -c 'exec 3<>\"/dev/tcp/$0/$1\" && cat <&3' \"$h\" \"$port\" 2>/dev/null "
    "| grep -qP -- \"$re\"\n"
    "  else timeout $t bash -c 'exec 3<>\"/dev/tcp/$0/$1\"' \"$h\" \"$port\" 2>/dev/null; fi\n"
    "}\n"
    "there() {\n"
    "  [ -e \"$p\" ] || return 1\n"
    "  [ -z \"$re\" ] || grep -qPz -- \"(?m)$re\" \"$p\" 2>/dev/null\n"
    "}\n"
    "active() {\n"
    "  hp=$(printf %04X \"$port\")\n"
    "  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v hp=\"$hp\" -v sts=\"$sts\" -v ex=\"$ex\" '\n"
    "    NR > 0 && $2 ~ /:/ { split($2, l, \":\"); split($3, r, \":\"); if (l[2] != hp) next;\n"
    "      if (index(\" \" sts \" \", \" \" $4 \" \") == 0) next; if (ex != \"\" && index(\" \" ex \" \", \" \" r[1] \" \")) "
    "next; n++ }\n"
    "    END { print n + 0 }'\n"
    "}\n";

/* An IPv4 address as /proc/net/tcp writes it (little-endian hex), or NULL. */
static char *proc_ip(const char *ip) {
  unsigned a, b, c, d;
  char tail;
  if (sscanf(ip, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 || c > 255 || d > 255)
    return NULL;
  return rt_xasprintf("%02X%02X%02X%02X", d, c, b, a);
}

/* match_groups and match_groupdict of `re` (Python syntax, MULTILINE) in
 * `text`; false when it does not compile (*why set). */
static bool regex_groups(const char *re, const char *text, RtValue **groups, RtValue **dict, char **why) {
  int ec;
  PCRE2_SIZE eo;
  pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE, &ec, &eo, NULL);
  *groups = rt_list_new(0);
  *dict = rt_dict_new(0);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(ec, buf, sizeof buf);
    *why = rt_xasprintf("%s at position %zu", (char *)buf, (size_t)eo);
    return false;
  }
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
  int rc = pcre2_match(code, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL);
  uint32_t n = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &n);
  if (rc > 0 && n > 0) {
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    RtValue *l = rt_list_new(n);
    for (uint32_t i = 1; i <= n; i++) {
      if ((int)i < rc && ov[2 * i] != PCRE2_UNSET)
        rt_list_push(l, rt_str(text + ov[2 * i], ov[2 * i + 1] - ov[2 * i]));
      else
        rt_list_push(l, rt_none());
    }
    uint32_t nn = 0, es = 0;
    PCRE2_SPTR table;
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &nn);
    pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &es);
    pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < nn; i++) {
      const unsigned char *e = table + i * es;
      uint32_t g = (uint32_t)(e[0] << 8 | e[1]);
      rt_dict_set(*dict, (const char *)e + 2, rt_incref(rt_list_at(l, g - 1)));
    }
    rt_decref(*groups);
    *groups = l;
  }
  pcre2_match_data_free(md);
  pcre2_code_free(code);
  return true;
}

typedef struct WaitArgs {
  char *host, *path, *re, *state, *msg;
  long long timeout, ct, delay, port, sleep;
  int has_port;
  RtValue *states, *exclude;
} WaitArgs;

static RtValue *fail_elapsed(const char *msg, long long elapsed) {
  RtValue *r = mod_fail_result("%s", msg);
  rt_dict_set(r, "elapsed", rt_int(elapsed));
  return r;
}

/* The argument checks main() makes before waiting; NULL when fine. */
static RtValue *check_args(const WaitArgs *a, RtBuf *codes) {
  if (a->has_port && a->port && a->path)
    return fail_elapsed("port and path parameter can not both be passed to wait_for", 0);
  if (a->path && strcmp(a->state, "stopped") == 0)
    return fail_elapsed("state=stopped should only be used for checking a port in the wait_for module", 0);
  if (a->path && strcmp(a->state, "drained") == 0)
    return fail_elapsed("state=drained should only be used for checking a port in the wait_for module", 0);
  if (a->exclude && strcmp(a->state, "drained") != 0)
    return fail_elapsed("exclude_hosts should only be with state=drained", 0);
  for (size_t i = 0; i < rt_len(a->states); i++) {
    const char *s = rt_list_at(a->states, i)->u.str.s, *code = NULL;
    for (int k = 0; conn_states[k][0] && !code; k++)
      if (strcmp(conn_states[k][0], s) == 0)
        code = conn_states[k][1];
    if (!code) {
      char *m = rt_xasprintf("unknown active_connection_state (%s) defined", s);
      RtValue *r = fail_elapsed(m, 0);
      free(m);
      return r;
    }
    rt_buf_printf(codes, "%s%s", i ? " " : "", code);
  }
  return NULL;
}

/* The loop for the state: records ok=1 when the condition was met. */
static void loop_script(RtBuf *s, const WaitArgs *a) {
  bool port = a->has_port && a->port;
  const char *st = a->state;
  rt_buf_puts(s, "st=$(date +%s); end=$((st + to)); ok=0\n"
                 "[ \"$dl\" -le 0 ] || sleep \"$dl\"\n");
  if (!port && !a->path && strcmp(st, "drained") != 0) {
    rt_buf_puts(s, "sleep \"$to\"; ok=1\n");
  } else if (!strcmp(st, "absent") || !strcmp(st, "stopped")) {
    rt_buf_printf(s, "while [ \"$(date +%%s)\" -lt $end ]; do %s || { ok=1; break; }; sleep \"$sl\"; done\n",
                  a->path ? "[ -e \"$p\" ]" : "up");
  } else if (!strcmp(st, "started") || !strcmp(st, "present")) {
    rt_buf_printf(s, "while [ \"$(date +%%s)\" -lt $end ]; do if %s; then ok=1; break; fi; sleep \"$sl\"; done\n",
                  a->path ? "there" : "up");
  } else {
    rt_buf_puts(s, "while [ \"$(date +%s)\" -lt $end ]; do [ \"$(active)\" != 0 ] || { ok=1; break; }; "
                   "sleep \"$sl\"; done\n");
  }
  rt_buf_puts(s, "__playc_rec ok $ok; __playc_rec elapsed $(($(date +%s) - st))\n");
  if (a->path && a->re)
    rt_buf_puts(s, "if [ $ok = 1 ]; then t=$(cat -- \"$p\"; echo x); __playc_rec text \"${t%x}\"; fi\n");
  if (a->path)
    rt_buf_puts(s, "[ ! -e \"$p\" ] || __playc_stat \"$p\"\n");
}

/* The module's timeout message for the state. */
static char *timeout_msg(const WaitArgs *a, const char *path) {
  bool port = a->has_port && a->port;
  if (a->msg)
    return rt_xstrdup(a->msg);
  if (!strcmp(a->state, "absent") || !strcmp(a->state, "stopped"))
    return port ? rt_xasprintf("Timeout when waiting for %s:%lld to stop.", a->host, a->port)
                : rt_xasprintf("Timeout when waiting for %s to be absent.", path);
  if (!strcmp(a->state, "drained"))
    return a->has_port ? rt_xasprintf("Timeout when waiting for %s:%lld to drain", a->host, a->port)
                       : rt_xasprintf("Timeout when waiting for %s:None to drain", a->host);
  if (port)
    return a->re ? rt_xasprintf("Timeout when waiting for search string %s in %s:%lld", a->re, a->host, a->port)
                 : rt_xasprintf("Timeout when waiting for %s:%lld", a->host, a->port);
  return a->re ? rt_xasprintf("Timeout when waiting for search string %s in %s", a->re, path)
               : rt_xasprintf("Timeout when waiting for file %s", path);
}

RtValue *mod_wait_for(RtHost *h, RtValue *args) {
  if (h->check_mode)
    return mod_check_skip("wait_for");
  WaitArgs a = {0};
  a.host = mod_arg_str(args, "host");
  if (!a.host)
    a.host = rt_xstrdup("127.0.0.1");
  a.path = mod_arg_str(args, "path");
  a.re = mod_arg_str(args, "search_regex");
  a.state = mod_arg_str(args, "state");
  if (!a.state)
    a.state = rt_xstrdup("started");
  a.msg = mod_arg_str(args, "msg");
  a.timeout = 300, a.ct = 5, a.sleep = 1;
  mod_arg_int(args, "timeout", &a.timeout);
  mod_arg_int(args, "connect_timeout", &a.ct);
  mod_arg_int(args, "delay", &a.delay);
  mod_arg_int(args, "sleep", &a.sleep);
  a.has_port = mod_arg_int(args, "port", &a.port);
  a.states = mod_arg_list(args, "active_connection_states");
  if (!a.states) {
    a.states = rt_list_new(6);
    static const char *const d[] = {"ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "SYN_RECV", "SYN_SENT", "TIME_WAIT"};
    for (int i = 0; i < 6; i++)
      rt_list_push(a.states, rt_strz(d[i]));
  }
  a.exclude = mod_arg_list(args, "exclude_hosts");
  RtValue *r = NULL, *groups = NULL, *gdict = NULL;
  RtBuf s = {0}, codes = {0}, ex_ips = {0};
  RtExec ex = {0};
  bool have_ex = false;
  char *err = NULL, *why = NULL;
  if (a.re && !regex_groups(a.re, "", &groups, &gdict, &why)) {
    r = mod_fail_result("Invalid regular expression: %s", why);
    goto done;
  }
  rt_decref(groups);
  rt_decref(gdict);
  groups = gdict = NULL;
  if ((r = check_args(&a, &codes)) != NULL)
    goto done;
  for (size_t i = 0; a.exclude && i < rt_len(a.exclude); i++) {
    char *ip = proc_ip(rt_list_at(a.exclude, i)->u.str.s);
    if (ip)
      rt_buf_printf(&ex_ips, "%s%s", ex_ips.len ? " " : "", ip);
    free(ip);
  }
  if (a.has_port && a.port && strcmp(a.state, "drained") != 0)
    mod_sh_need(&s, "bash,timeout");
  if (a.re)
    mod_sh_need(&s, "grep");
  mod_sh_set(&s, "h", a.host);
  if (a.path)
    mod_sh_set_path(&s, "p", a.path);
  mod_sh_set(&s, "re", a.re ? a.re : "");
  mod_sh_set(&s, "sts", codes.data ? codes.data : "");
  mod_sh_set(&s, "ex", ex_ips.data ? ex_ips.data : "");
  rt_buf_printf(&s, "port=%lld; to=%lld; ct=%lld; dl=%lld; sl=%lld\n", a.port, a.timeout, a.ct, a.delay, a.sleep);
  if (a.path)
    rt_buf_puts(&s, "__playc_rec path \"$p\"\n");
  rt_buf_puts(&s, funcs);
  loop_script(&s, &a);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have_ex = true;
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto done;
  long long elapsed = mod_rec_int(&ex, "elapsed", 0);
  const char *path = mod_rec(&ex, "path") ? mod_rec(&ex, "path") : a.path;
  if (!mod_rec_is(&ex, "ok", "1")) {
    char *m = timeout_msg(&a, path);
    r = fail_elapsed(m, elapsed);
    free(m);
    goto done;
  }
  if (a.path && a.re)
    regex_groups(a.re, mod_rec(&ex, "text") ? mod_rec(&ex, "text") : "", &groups, &gdict, &why);
  r = rt_dict_new(12);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "state", rt_strz(a.state));
  rt_dict_set(r, "port", a.has_port ? rt_int(a.port) : rt_none());
  rt_dict_set(r, "search_regex", a.re ? rt_strz(a.re) : rt_none());
  rt_dict_set(r, "match_groups", groups ? rt_incref(groups) : rt_list_new(0));
  rt_dict_set(r, "match_groupdict", gdict ? rt_incref(gdict) : rt_dict_new(0));
  rt_dict_set(r, "path", path ? rt_strz(path) : rt_none());
  rt_dict_set(r, "elapsed", rt_int(elapsed));
  mod_add_stat(r, &ex); /* add_path_info, when the path exists */
done:
  if (have_ex)
    rt_exec_free(&ex);
  rt_decref(groups);
  rt_decref(gdict);
  rt_decref(a.states);
  rt_decref(a.exclude);
  rt_buf_free(&s);
  rt_buf_free(&codes);
  rt_buf_free(&ex_ips);
  free(err);
  free(why);
  free(a.host);
  free(a.path);
  free(a.re);
  free(a.state);
  free(a.msg);
  return r;
}

#endif
