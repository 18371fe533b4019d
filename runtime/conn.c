/*
 * conn.c — the framed remote shell shared by every connection type, its
 * result records, and the host-level entry points (rt_host_exec,
 * rt_host_put, rt_host_get, temp files) that open a host's connection on first use.
 *
 * A connection is one persistent /bin/sh on the target. Its first request
 * is preceded by a prelude that defines, once for the connection's life,
 * the record function
 *     __playc_rec() { printf '%s %s\0%s\0' TOKEN "$1" "$2"; }
 * and the helpers of modules/target.c. Each request is then written as
 *     { ( SCRIPT
 *     ) </dev/null; printf 'TOKEN .end\0SEQ %d\0' $?; printf '\nMARK\n' >&2
 *     }
 * with TOKEN 96 random bits (24 hex digits) drawn per connection and MARK =
 * __PLAYC_TOKEN_SEQ: one round trip per request, no new process on the
 * controller, no new SSH channel. The subshell keeps `cd`, `exit`, traps and
 * variables of one request from leaking into the next; command stdin, when
 * given, comes from a quoted here-document instead of /dev/null; the { }
 * group makes a request that arrives cut short a syntax error, never a run.
 *
 * A record on stdout is TOKEN, a space, the key, a NUL, the value, a NUL.
 * Shell values cannot hold a NUL and nothing on the target knows the token,
 * so no value (a path holding newlines and "key=value" lines) and no command
 * output (however it imitates a record) can be read as one. The reader takes
 * the records out of stdout as they stream in: what is left is exactly what
 * the commands printed. Records whose key starts with '.' belong to the
 * framing (.end: request number and exit status; .pid: the shell's pid).
 *
 * Waiting is done in ticks of 100 ms: on each, an interrupt stops the remote
 * request (the connection kills the shell's process group) and an idle
 * connection may be probed for liveness (conn_ssh.c).
 */
#include "config.h"
#include "rt.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "conn_shell.h"

void rt_sh_quote(RtBuf *b, const char *s) {
  rt_buf_putc(b, '\'');
  for (; *s; s++) {
    if (*s == '\'')
      rt_buf_puts(b, "'\\''");
    else
      rt_buf_putc(b, *s);
  }
  rt_buf_putc(b, '\'');
}

void rt_random_hex(char *out, size_t n) {
  unsigned char rnd[64];
  RT_ASSERT(n <= sizeof rnd);
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(rnd + got, n - got, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      rt_panic(__FILE__, __LINE__, "no random bytes from the kernel");
    got += (size_t)r;
  }
  for (size_t i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", rnd[i]);
}

void rt_exec_free(RtExec *e) {
  rt_buf_free(&e->out);
  rt_buf_free(&e->err);
  rt_decref(e->rec);
  e->rec = NULL;
}

void rt_shell_init(RtShell *s) {
  rt_random_hex(s->token, 12);
  s->seq = 0;
  s->pid = 0;
}

/* ---- the request ------------------------------------------------------------- */

/* The prelude: the record function, the modules' helpers, the shell's pid. */
static void put_prelude(RtShell *s, RtBuf *req) {
  rt_buf_printf(req, "__playc_rec() { printf '%%s %%s\\0%%s\\0' %s \"$1\" \"$2\"; }\n", s->token);
  rt_buf_puts(req, rt_target_prelude);
  rt_buf_puts(req, "__playc_rec .pid \"$$\"\n");
}

static void build_request(RtShell *s, RtBuf *req, const char *script, const char *in,
                          size_t inlen, const char *mark) {
  if (s->seq == 1)
    put_prelude(s, req);
  /* In a { } group the shell runs nothing before it has parsed the closing
   * brace: a connection cut inside the here-document (which a shell reading
   * end-of-file takes as delimited, and would run) is a syntax error instead,
   * so a truncated body is never written anywhere. */
  rt_buf_printf(req, "{ ( %s\n)", script);
  if (in)
    rt_buf_printf(req, " <<'%s_IN'", mark);
  else
    rt_buf_puts(req, " </dev/null");
  rt_buf_printf(req, "; printf '%%s .end\\0%%s %%d\\0' %s %lu \"$?\"; printf '\\n%%s\\n' '%s' >&2\n",
                s->token, s->seq, mark);
  if (in) { /* the here-document's body follows the line that opens it */
    rt_buf_add(req, in, inlen);
    rt_buf_printf(req, "%s%s_IN\n", inlen && in[inlen - 1] == '\n' ? "" : "\n", mark);
  }
  rt_buf_puts(req, "}\n");
}

/* ---- the reply: records out of the stdout stream ------------------------------- */

typedef struct RecReader {
  RtShell *s;
  RtBuf pend;   /* stdout bytes not classified yet (a record may be incomplete) */
  RtBuf *out;   /* command output */
  RtValue *rec; /* the records (dict) */
  bool ended;   /* the .end record arrived */
  int rc;
} RecReader;

/* Takes one complete record; -1 when it breaks the framing. */
static int rec_take(RecReader *r, const char *key, size_t klen, const char *val, size_t vlen) {
  if (klen && key[0] == '.') {
    if (klen == 4 && memcmp(key, ".end", 4) == 0) {
      unsigned long seq = 0;
      int rc = 0;
      if (sscanf(val, "%lu %d", &seq, &rc) != 2 || seq != r->s->seq)
        return -1;
      r->ended = true;
      r->rc = rc;
    } else if (klen == 4 && memcmp(key, ".pid", 4) == 0) {
      r->s->pid = atol(val);
    }
    return 0;
  }
  char *k = rt_xstrndup(key, klen);
  if (klen > 2 && strcmp(k + klen - 2, "[]") == 0) {
    k[klen - 2] = 0;
    RtValue *l = rt_dict_get(r->rec, k);
    if (!l) {
      l = rt_list_new(4);
      rt_dict_set(r->rec, k, l);
    }
    rt_list_push(l, rt_str(val, vlen));
  } else {
    rt_dict_set(r->rec, k, rt_str(val, vlen));
  }
  free(k);
  return 0;
}

/* Feeds stdout bytes: output goes to r->out, records to r->rec. Returns 0, or
 * -1 when the token is followed by something that is not a record. */
static int rec_feed(RecReader *r, const char *buf, size_t n) {
  const char *tok = r->s->token;
  size_t toklen = strlen(tok);
  rt_buf_add(&r->pend, buf, n);
  char *d = r->pend.data;
  size_t len = r->pend.len, pos = 0;
  int rc = 0;
  while (!r->ended) {
    const char *p = memmem(d + pos, len - pos, tok, toklen);
    if (!p) { /* keep a tail that may be the start of a token */
      size_t safe = len - pos >= toklen ? len - (toklen - 1) : pos;
      rt_buf_add(r->out, d + pos, safe - pos);
      pos = safe;
      break;
    }
    size_t at = (size_t)(p - d), k = at + toklen;
    rt_buf_add(r->out, d + pos, at - pos);
    pos = at;
    if (k >= len)
      break;
    if (d[k] != ' ') {
      rc = -1;
      break;
    }
    const char *kz = memchr(d + k + 1, 0, len - k - 1);
    const char *vz = kz ? memchr(kz + 1, 0, (size_t)(d + len - kz - 1)) : NULL;
    if (!vz)
      break; /* incomplete: wait for more */
    if (rec_take(r, d + k + 1, (size_t)(kz - d - k - 1), kz + 1, (size_t)(vz - kz - 1)) < 0) {
      rc = -1;
      break;
    }
    pos = (size_t)(vz - d) + 1;
  }
  memmove(d, d + pos, len - pos);
  r->pend.len = len - pos;
  if (r->pend.data)
    r->pend.data[r->pend.len] = 0;
  return rc;
}

/* Finds "\nMARK" in b at or after `from`; returns its offset or -1. */
static long find_mark(const RtBuf *b, const char *mark, size_t from) {
  size_t ml = strlen(mark);
  if (b->len < ml + 1)
    return -1;
  for (size_t i = from; i + ml + 1 <= b->len; i++)
    if (b->data[i] == '\n' && memcmp(b->data + i + 1, mark, ml) == 0)
      return (long)i;
  return -1;
}

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* After an interrupt: when each stop level is sent, and when waiting ends. */
static const int64_t STOP_AT_MS[] = {0, 1000, 3000, 4000};

int rt_shell_exec(RtShell *s, const char *script, const char *in, size_t inlen, RtExec *res,
                  char **err) {
  memset(res, 0, sizeof *res);
  if (rt_interrupted()) {
    *err = rt_xstrdup("interrupted");
    return -1;
  }
  char mark[64];
  s->seq++;
  snprintf(mark, sizeof mark, "__PLAYC_%s_%lu", s->token, s->seq);
  RtBuf req = {0};
  build_request(s, &req, script, in, inlen, mark);
  int rc = s->write(s, req.data, req.len, err);
  rt_buf_free(&req);
  if (rc < 0) { /* an incomplete request never runs: the subshell is not closed */
    if (!rt_interrupted())
      s->base.lost = true;
    return -1;
  }
  RecReader rr = {0};
  rr.s = s;
  rr.out = &res->out;
  rr.rec = res->rec = rt_dict_new(8);
  long err_at = -1;
  size_t err_scan = 0, ml = strlen(mark);
  int level = -1;      /* stop levels sent after an interrupt */
  int64_t stopped = 0; /* when the interrupt was seen */
  /* An interrupt stops the request, but the reply is still read to its end:
   * a request that finished first keeps its result (a temp file it left for
   * the next request is then known, and removed at close). */
  while (!rr.ended || err_at < 0) {
    if (rt_interrupted() && !rr.ended && level < 0) {
      stopped = now_ms();
      s->stop(s, ++level);
    }
    if (level >= 0) {
      int64_t t = now_ms() - stopped;
      if (t >= STOP_AT_MS[3])
        break;
      if (level < 2 && t >= STOP_AT_MS[level + 1])
        s->stop(s, ++level);
    }
    char buf[16384];
    int stream = 0;
    long n = s->read(s, !rr.ended, err_at < 0, &stream, buf, sizeof buf, err);
    if (n == RT_SHELL_IDLE) {
      if (level < 0 && s->idle && s->idle(s, err) < 0)
        goto lost;
      continue;
    }
    if (n <= 0 && level >= 0)
      break; /* the stopped shell is gone */
    if (n < 0)
      goto lost;
    if (n == 0) {
      *err = rt_xstrdup("the remote shell closed the connection");
      goto lost;
    }
    if (stream == 0) {
      if (rec_feed(&rr, buf, (size_t)n) < 0) {
        *err = rt_xstrdup("the remote shell sent a malformed reply");
        goto lost;
      }
    } else {
      rt_buf_add(&res->err, buf, (size_t)n);
      err_at = find_mark(&res->err, mark, err_scan);
      err_scan = res->err.len > ml + 2 ? res->err.len - ml - 2 : 0;
    }
  }
  if (!rr.ended) { /* stopped before it finished */
    free(*err);
    *err = rt_xstrdup("interrupted");
    goto error;
  }
  res->rc = rr.rc;
  if (!res->out.data)
    rt_buf_add(&res->out, "", 0);
  if (err_at >= 0) {
    res->err.len = (size_t)err_at;
    res->err.data[err_at] = 0;
  } else if (!res->err.data) {
    rt_buf_add(&res->err, "", 0);
  }
  rt_buf_free(&rr.pend);
  return 0;
lost:
  s->base.lost = true;
error:
  rt_buf_free(&rr.pend);
  rt_exec_free(res);
  return -1;
}

/* ---- hosts ------------------------------------------------------------------------ */

/* A string var of the host, or NULL (caller frees). */
static char *host_str_var(RtHost *h, const char *name) {
  RtValue *v = h->delegate_vars ? rt_dict_get(h->delegate_vars, name) : NULL; /* a delegate's own */
  v = h->delegate_vars ? (v ? rt_incref(v) : rt_undef(name, NULL)) : rt_var(h, name, NULL);
  char *s = NULL;
  if (rt_kind(v) == RT_STR)
    s = rt_xstrdup(v->u.str.s);
  else if (rt_kind(v) == RT_INT)
    s = rt_xasprintf("%lld", (long long)v->u.i);
  rt_decref(v);
  return s;
}

/* The first of two var names (current, legacy alias) that is set. */
static char *host_var2(RtHost *h, const char *name, const char *alias) {
  char *s = host_str_var(h, name);
  return s ? s : host_str_var(h, alias);
}

/* ---- ssh arguments ------------------------------------------------------------ */

/* What ansible_ssh_args, ansible_ssh_common_args and ansible_ssh_extra_args
 * say, each field first-given-wins as OpenSSH's client takes its -o options
 * (malloc'd strings, NULL or -1 when not given). */
typedef struct SshArgs {
  char *port, *user, *identity, *jump, *proxy_command, *known_hosts, *config;
  int hkc;
  int timeout, alive_interval, alive_count;
} SshArgs;

static void ssh_args_free(SshArgs *a) {
  free(a->port);
  free(a->user);
  free(a->identity);
  free(a->jump);
  free(a->proxy_command);
  free(a->known_hosts);
  free(a->config);
}

/* Splits ssh arguments as a POSIX shell would their words (quotes,
 * backslashes; no expansions). NULL-terminated, malloc'd. */
static char **split_words(const char *s, int *n) {
  char **w = NULL;
  *n = 0;
  const char *p = s;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n')
      p++;
    if (!*p)
      break;
    RtBuf b = {0};
    char q = 0;
    for (; *p && (q || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
      if (q) {
        if (*p == q)
          q = 0;
        else if (q == '"' && *p == '\\' && p[1])
          rt_buf_putc(&b, *++p);
        else
          rt_buf_putc(&b, *p);
      } else if (*p == '\'' || *p == '"') {
        q = *p;
      } else if (*p == '\\' && p[1]) {
        rt_buf_putc(&b, *++p);
      } else {
        rt_buf_putc(&b, *p);
      }
    }
    w = rt_xrealloc(w, sizeof *w * (size_t)(*n + 2));
    w[(*n)++] = b.data ? rt_buf_take(&b) : rt_xstrdup("");
    w[*n] = NULL;
  }
  return w;
}

/* Warns once per run about an ssh argument playc cannot honour. */
static void ssh_arg_unsupported(RtHost *h, const char *what) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static char **seen;
  static int nseen;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < nseen; i++)
    if (!strcasecmp(seen[i], what)) {
      pthread_mutex_unlock(&lock);
      return;
    }
  if (nseen < 64) {
    seen = rt_xrealloc(seen, sizeof *seen * (size_t)(nseen + 1));
    seen[nseen++] = rt_xstrdup(what);
  }
  pthread_mutex_unlock(&lock);
  rt_out_warning(h->run, "the ssh argument %s has no equivalent in playc's SSH connection: it is "
                         "ignored (docs/connections.md)",
                 what);
}

static void set_first(char **field, const char *v) {
  if (!*field)
    *field = rt_xstrdup(v);
}

static void set_first_int(int *field, const char *v) {
  if (*field < 0 && isdigit((unsigned char)*v))
    *field = atoi(v);
}

/* One `-o Key=Value` (or "Key Value"). */
static void ssh_arg_option(RtHost *h, SshArgs *a, const char *opt, bool timeout_ok) {
  size_t kl = strcspn(opt, "= \t");
  char *key = rt_xstrndup(opt, kl);
  const char *v = opt + kl;
  while (*v == ' ' || *v == '\t' || *v == '=')
    v++;
  if (!strcasecmp(key, "Port"))
    set_first(&a->port, v);
  else if (!strcasecmp(key, "User"))
    set_first(&a->user, v);
  else if (!strcasecmp(key, "IdentityFile"))
    set_first(&a->identity, v);
  else if (!strcasecmp(key, "ProxyJump"))
    set_first(&a->jump, v);
  else if (!strcasecmp(key, "ProxyCommand"))
    set_first(&a->proxy_command, v);
  else if (!strcasecmp(key, "UserKnownHostsFile"))
    set_first(&a->known_hosts, v);
  else if (!strcasecmp(key, "StrictHostKeyChecking")) {
    if (a->hkc < 0) {
      if (!strcasecmp(v, "yes") || !strcasecmp(v, "ask"))
        a->hkc = RT_HKC_STRICT;
      else if (!strcasecmp(v, "accept-new"))
        a->hkc = RT_HKC_ACCEPT_NEW;
      else if (!strcasecmp(v, "no") || !strcasecmp(v, "off"))
        a->hkc = RT_HKC_OFF;
    }
  } else if (!strcasecmp(key, "ConnectTimeout")) {
    if (timeout_ok) /* after ansible_ssh_args comes Ansible's own -o ConnectTimeout */
      set_first_int(&a->timeout, v);
  } else if (!strcasecmp(key, "ServerAliveInterval"))
    set_first_int(&a->alive_interval, v);
  else if (!strcasecmp(key, "ServerAliveCountMax"))
    set_first_int(&a->alive_count, v);
  else if (strcasecmp(key, "ControlMaster") && strcasecmp(key, "ControlPersist") &&
           strcasecmp(key, "ControlPath")) { /* playc keeps one session per host already */
    char *what = rt_xasprintf("-o %s", key);
    ssh_arg_unsupported(h, what);
    free(what);
  }
  free(key);
}

/* One variable's ssh arguments into `a`. */
static void ssh_args_parse(RtHost *h, SshArgs *a, const char *text, bool timeout_ok) {
  int n;
  char **w = split_words(text, &n);
  for (int i = 0; i < n; i++) {
    const char *t = w[i];
    if (t[0] != '-' || !t[1]) {
      char *what = rt_xasprintf("'%s'", t);
      ssh_arg_unsupported(h, what);
      free(what);
      continue;
    }
    char f = t[1];
    if (strchr("oJiplF", f)) { /* options with a value: attached or the next word */
      const char *v = t[2] ? t + 2 : i + 1 < n ? w[++i] : "";
      switch (f) {
      case 'o': ssh_arg_option(h, a, v, timeout_ok); break;
      case 'J': set_first(&a->jump, v); break;
      case 'i': set_first(&a->identity, v); break;
      case 'p': set_first(&a->port, v); break;
      case 'l': set_first(&a->user, v); break;
      case 'F': set_first(&a->config, v); break;
      }
    } else if (strcmp(t, "-C") && strcmp(t, "-q") && strcmp(t, "-T")) {
      /* -C compression, -q quiet, -T no tty: nothing to change for libssh's session */
      ssh_arg_unsupported(h, t);
    }
  }
  for (int i = 0; i < n; i++)
    free(w[i]);
  free(w);
}

/* The ssh arguments of host `h`: ansible_ssh_args, _common_args, _extra_args
 * (each else --ssh-common-args / --ssh-extra-args, else ANSIBLE_SSH_*ARGS). */
static void host_ssh_args(RtHost *h, SshArgs *a) {
  memset(a, 0, sizeof *a);
  a->hkc = a->timeout = a->alive_interval = a->alive_count = -1;
  static const char *const vars[] = {"ansible_ssh_args", "ansible_ssh_common_args",
                                     "ansible_ssh_extra_args"};
  const RtOptions *o = &h->run->opt;
  const char *dflt[] = {o->ssh_args, o->ssh_common_args, o->ssh_extra_args};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    char *t = host_str_var(h, vars[i]); /* the variable, else the option or environment */
    if (t || dflt[i])
      ssh_args_parse(h, a, t ? t : dflt[i], i == 0);
    free(t);
  }
}

/* ~/.ssh/config: $HOME's (the home OpenSSH uses is the account's; HOME
 * lets a test or a wrapper point elsewhere), else the account's. */
static char *user_ssh_config(void) {
  const char *home = getenv("HOME");
  struct passwd pwd, *pw = NULL; /* getpwuid_r: hosts connect on parallel threads */
  char pwbuf[4096];
  if ((!home || !*home) && getpwuid_r(getuid(), &pwd, pwbuf, sizeof pwbuf, &pw) == 0 && pw)
    home = pw->pw_dir;
  return home ? rt_xasprintf("%s/.ssh/config", home) : NULL;
}

/* ---- delegate_to ---------------------------------------------------------------- */

typedef struct Delegate {
  char *name;
  RtConn *conn;
  void *become;
} Delegate;

/* Closes the connections to every delegate (the host's own are closed). */
static void delegates_close(RtHost *h) {
  Delegate *d = h->delegates;
  for (int i = 0; i < h->ndelegates; i++) {
    h->conn = d[i].conn;
    h->become = d[i].become;
    rt_become_close(h);
    if (h->conn)
      rt_conn_close(h->conn);
    free(d[i].name);
  }
  free(d);
  h->delegates = NULL;
  h->ndelegates = 0;
  h->conn = NULL;
  h->become = NULL;
}

/* The inventory variables of host `name`, as Ansible's get_host would give
 * them: the implicit localhost runs locally; a name outside the inventory
 * has none (it is its own address). New reference. */
static RtValue *delegate_vars(RtRun *run, const char *name) {
  for (int i = 0; i < run->inv.nhosts; i++)
    if (!strcmp(run->inv.hosts[i].name, name))
      return rt_inventory_host_vars(&run->inv, i);
  RtValue *v = rt_dict_new(1);
  if (!strcmp(name, "localhost"))
    rt_dict_set(v, "ansible_connection", rt_strz("local"));
  return v;
}

RtValue *rt_delegate_begin(RtHost *h, const RtTaskDef *t) {
  RT_ASSERT(!h->delegate);
  free(h->delegate_label);
  h->delegate_label = NULL;
  if (!t->kw[RT_TK_DELEGATE_TO])
    return NULL;
  RtValue *v = t->kw[RT_TK_DELEGATE_TO](h);
  if (rt_is_error(v))
    return v;
  if (rt_kind(v) != RT_STR || !v->u.str.len || rt_is_omit(v) || !strcmp(v->u.str.s, h->name)) {
    /* none, default(omit), or the host itself */
    rt_decref(v);
    return NULL;
  }
  h->delegate = rt_xstrdup(v->u.str.s);
  rt_decref(v);
  h->delegate_vars = delegate_vars(h->run, h->delegate);
  RtValue *ah = rt_dict_get(h->delegate_vars, "ansible_host");
  if (ah && rt_kind(ah) == RT_STR && strcmp(ah->u.str.s, h->delegate)) /* CallbackBase.host_label */
    h->delegate_label = rt_xasprintf("%s(%s)", h->delegate, ah->u.str.s);
  else
    h->delegate_label = rt_xstrdup(h->delegate);
  h->own_conn = h->conn;
  h->own_become = h->become;
  h->conn = NULL;
  h->become = NULL;
  Delegate *d = h->delegates;
  for (int i = 0; i < h->ndelegates; i++)
    if (!strcmp(d[i].name, h->delegate)) {
      h->conn = d[i].conn;
      h->become = d[i].become;
    }
  return NULL;
}

void rt_delegate_end(RtHost *h) {
  if (!h->delegate)
    return;
  Delegate *d = h->delegates;
  int i = 0;
  while (i < h->ndelegates && strcmp(d[i].name, h->delegate))
    i++;
  if (i == h->ndelegates) {
    d = h->delegates = rt_xrealloc(d, sizeof *d * (size_t)(h->ndelegates + 1));
    d[h->ndelegates++] = (Delegate){rt_xstrdup(h->delegate), NULL, NULL};
  }
  d[i].conn = h->conn;
  d[i].become = h->become;
  h->conn = h->own_conn;
  h->become = h->own_become;
  h->own_conn = NULL;
  h->own_become = NULL;
  free(h->delegate);
  h->delegate = NULL;
  rt_decref(h->delegate_vars);
  h->delegate_vars = NULL;
}

/* The task's string keyword k (remote_user, connection) as a new string, or
 * NULL when unset, empty or omitted; and its port keyword or 0. */
static char *kw_str(RtHost *h, int k) {
  const RtTaskDef *t = h->task;
  if (!t || !t->kw[k])
    return NULL;
  RtValue *v = t->kw[k](h);
  char *s = rt_kind(v) == RT_STR && v->u.str.len && !rt_is_omit(v) ? rt_xstrdup(v->u.str.s) : NULL;
  rt_decref(v);
  return s;
}

static int kw_port(RtHost *h) {
  const RtTaskDef *t = h->task;
  if (!t || !t->kw[RT_TK_PORT])
    return 0;
  RtValue *v = t->kw[RT_TK_PORT](h);
  int p = rt_kind(v) == RT_INT && v->u.i > 0 && v->u.i < 65536 ? (int)v->u.i
          : rt_kind(v) == RT_STR                               ? atoi(v->u.str.s)
                                                                : 0;
  rt_decref(v);
  return p > 0 && p < 65536 ? p : 0;
}

/* A connection plugin's name as playc runs it: ssh, paramiko and smart are
 * its one ssh connection; the FQCNs as the short names. */
static const char *conn_norm(const char *t) {
  if (!strncmp(t, "ansible.builtin.", 16) || !strncmp(t, "ansible.legacy.", 15))
    t = strchr(t + 8, '.') + 1;
  return !strcmp(t, "paramiko") || !strcmp(t, "smart") ? "ssh" : t;
}

/* The connection type the running step of `h` asks for, as Ansible 2.14's
 * TaskExecutor._execute picks it: the ansible_connection variable (a
 * delegate's own, when delegated) over the connection keyword (nearest
 * level, templated; a delegated task keeps it) over -c, default ssh.
 * New string. */
static char *conn_wanted(RtHost *h) {
  char *var = host_str_var(h, "ansible_connection");
  if (var)
    return var;
  char *kw = kw_str(h, RT_TK_CONNECTION);
  return kw ? kw : rt_xstrdup(h->conn_type ? h->conn_type : "ssh");
}

bool rt_conn_wants_local(RtHost *h) {
  char *w = conn_wanted(h);
  bool local = !strcmp(conn_norm(w), "local");
  free(w);
  return local;
}

void rt_conn_retarget(RtHost *h) {
  if (h->delegate)
    return;
  char *want = conn_wanted(h);
  const char *w = conn_norm(want);
  if (h->conn && h->conn_kind && strcmp(w, h->conn_kind)) {
    /* the other type: park this one (closing what was parked), unpark
     * the wanted one if it is there */
    RtConn *pc = h->park_conn;
    void *pb = h->park_become;
    const char *pk = h->park_kind;
    h->park_conn = h->conn;
    h->park_become = h->become;
    h->park_kind = h->conn_kind;
    h->conn = NULL;
    h->become = NULL;
    h->conn_kind = NULL;
    if (pc && !strcmp(pk, w)) {
      h->conn = pc;
      h->become = pb;
      h->conn_kind = pk;
    } else if (pc) {
      RtConn *keep = h->conn;
      void *keepb = h->become;
      h->conn = pc;
      h->become = pb;
      rt_become_close(h);
      rt_conn_close(pc);
      h->conn = keep;
      h->become = keepb;
    }
  } else if (!h->conn && h->park_conn && !strcmp(h->park_kind, w)) {
    h->conn = h->park_conn;
    h->become = h->park_become;
    h->conn_kind = h->park_kind;
    h->park_conn = NULL;
    h->park_become = NULL;
    h->park_kind = NULL;
  }
  free(want);
  if (!h->conn || !h->conn_kw_ssh || !h->conn_kind || strcmp(h->conn_kind, "ssh"))
    return;
  char *u = kw_str(h, RT_TK_REMOTE_USER);
  int p = kw_port(h);
  bool same = p == h->conn_kw_port && (u && h->conn_kw_user ? !strcmp(u, h->conn_kw_user) : u == h->conn_kw_user);
  free(u);
  if (same)
    return;
  rt_become_close(h); /* become shells share the base connection's transport */
  rt_conn_close(h->conn);
  h->conn = NULL;
}

/* Opens h->conn by ansible_connection, the connection keyword (the play's,
 * a block's, a task's), -c, default ssh (conn_wanted). */
static int host_open(RtHost *h, char **err) {
  if (h->conn)
    return 0;
  h->requests[RT_REQ_CONNECT]++;
  if (h->unreachable) {
    *err = rt_xstrdup(h->unreachable_msg ? h->unreachable_msg : "unreachable");
    return -1;
  }
  char *type = conn_wanted(h);
  const char *t = conn_norm(type);
  if (!h->delegate)
    h->conn_kind = !strcmp(t, "local") ? "local" : "ssh";
  if (strcmp(t, "local") == 0) {
    h->conn = rt_conn_local_open(err);
  } else if (strcmp(t, "ssh") == 0) {
    RtOptions *o = &h->run->opt;
    char *host = host_var2(h, "ansible_host", "ansible_ssh_host");
    char *port = host_var2(h, "ansible_port", "ansible_ssh_port");
    char *user = host_var2(h, "ansible_user", "ansible_ssh_user");
    /* the remote_user and port keywords: below the variables, above -u and
     * remote_port (PlayContext: variables override keywords, which override
     * the command line and the configuration) */
    char *kuser = kw_str(h, RT_TK_REMOTE_USER);
    int kport = kw_port(h);
    if (!h->delegate) {
      free(h->conn_kw_user);
      h->conn_kw_user = kuser ? rt_xstrdup(kuser) : NULL;
      h->conn_kw_port = kport;
      h->conn_kw_ssh = true;
    }
    char *key = host_var2(h, "ansible_ssh_private_key_file", "ansible_private_key_file");
    char *pass = host_var2(h, "ansible_password", "ansible_ssh_pass");
    char *tmo = host_var2(h, "ansible_ssh_timeout", "ansible_timeout");
    char *retries = host_str_var(h, "ansible_ssh_retries");
    SshArgs a;
    host_ssh_args(h, &a);
    /* as Ansible's ssh plugin builds OpenSSH's command line: its own -o
     * Port/User/IdentityFile/ConnectTimeout come before the common and
     * extra args, whose values OpenSSH then ignores; the ssh config last */
    RtConnParams p = {0};
    p.host = host ? host : h->name;
    /* ansible_port, else remote_port (ANSIBLE_REMOTE_PORT), which Ansible's -o Port puts before the args' */
    p.port = port                              ? atoi(port)
             : kport                             ? kport
             : rt_config_is_set(RT_CFG_SSH_PORT) ? rt_config_int(RT_CFG_SSH_PORT, 22)
             : a.port                            ? atoi(a.port)
                                                 : 0;
    p.user = user ? user : kuser ? kuser : o->user ? o->user : a.user;
    p.key_file = key ? key : o->private_key ? o->private_key : a.identity;
    p.password = pass ? pass : o->conn_pass;
    char *cfg = a.config ? NULL : user_ssh_config();
    p.ssh_config = a.config ? a.config : cfg;
    p.system_config = !a.config;
    p.proxy_jump = a.jump;
    p.proxy_command = a.proxy_command;
    p.known_hosts = o->known_hosts ? o->known_hosts : a.known_hosts;
    p.host_key_checking = o->host_key_checking;
    if (a.hkc >= 0 && o->host_key_checking == RT_HKC_STRICT)
      p.host_key_checking = a.hkc;
    p.timeout = a.timeout > 0                ? a.timeout
                : tmo && atoi(tmo) > 0       ? atoi(tmo)
                : o->timeout > 0             ? o->timeout
                                             : 10;
    p.alive_interval = a.alive_interval >= 0 ? a.alive_interval : 15;
    p.alive_count = a.alive_count >= 0 ? a.alive_count : 3;
    /* ansible_ssh_retries: a connection that failed for want of a host
     * (not a refused login or host key) is tried again, after 0, 1, 3, 7 ...
     * (at most 30) seconds, as Ansible's _ssh_retry */
    int tries = (retries ? (atoi(retries) > 0 ? atoi(retries) : 0) : o->ssh_retries) + 1;
    for (int attempt = 0; attempt < tries; attempt++) {
      h->conn = rt_conn_ssh_open(&p, err);
      if (h->conn || attempt == tries - 1 || rt_interrupted() || strstr(*err, "Permission denied") ||
          strstr(*err, "host key") || strstr(*err, "private key"))
        break;
      int pause = attempt >= 5 ? 30 : (1 << attempt) - 1;
      if (h->run->opt.verbosity >= 2) {
        rt_out_lock(h->run);
        printf("<%s> ssh_retry: attempt: %d, %s, pausing for %d seconds\n", p.host, attempt + 1,
               *err, pause);
        fflush(stdout);
        pthread_mutex_unlock(&h->run->out_lock);
      }
      free(*err);
      *err = NULL;
      if (pause && !rt_sleep(pause))
        break;
    }
    if (!h->conn && !*err)
      *err = rt_xstrdup("interrupted");
    if (pass) { /* the password leaves no copy behind */
      volatile char *q = pass;
      while (*q)
        *q++ = 0;
    }
    ssh_args_free(&a);
    free(cfg);
    free(host);
    free(port);
    free(user);
    free(kuser);
    free(key);
    free(pass);
    free(tmo);
    free(retries);
  } else {
    *err = rt_xasprintf("the connection plugin '%s' was not found", t);
  }
  free(type);
  return h->conn ? 0 : -1;
}

void rt_conn_close(RtConn *c) {
  for (int i = 0; i < c->ntemps; i++) {
    char *err = NULL;
    if (!c->lost) /* best effort: a failed removal has nobody left to tell */
      c->ops->remove(c, c->temps[i], &err);
    free(err);
    free(c->temps[i]);
  }
  free(c->temps);
  c->temps = NULL;
  c->ntemps = 0;
  c->ops->close(c);
}

void rt_host_close(RtHost *h) {
  rt_become_close(h); /* become shells share the base connection's transport */
  if (h->conn)
    rt_conn_close(h->conn);
  h->conn = NULL;
  if (!h->delegate) {
    h->conn_kind = NULL;
    if (h->park_conn) { /* the other type's connection, parked */
      h->conn = h->park_conn;
      h->become = h->park_become;
      rt_become_close(h);
      rt_conn_close(h->conn);
      h->conn = NULL;
      h->park_conn = NULL;
      h->park_become = NULL;
      h->park_kind = NULL;
    }
    delegates_close(h);
  }
}

void rt_host_reset(RtHost *h) {
  rt_host_close(h);
  h->unreachable = false;
  free(h->unreachable_msg);
  h->unreachable_msg = NULL;
}

static void mark_unreachable(RtHost *h, const char *msg) {
  h->unreachable = true;
  free(h->unreachable_msg);
  h->unreachable_msg = rt_xstrdup(msg);
  if (h->conn)
    h->conn->lost = true;
  rt_host_close(h);
}

bool rt_host_lost(const RtHost *h) {
  return h->unreachable || rt_interrupted();
}

int rt_host_exec(RtHost *h, const char *script, const char *in, size_t inlen, RtExec *res,
                 char **err) {
  if (rt_interrupted()) {
    memset(res, 0, sizeof *res);
    *err = rt_xstrdup("interrupted");
    return -1;
  }
  if (host_open(h, err) < 0) {
    if (!rt_interrupted())
      mark_unreachable(h, *err);
    return -1;
  }
  bool fatal = true; /* become.c: the step's shell (a become shell when it escalates) */
  RtConn *c = rt_become_conn(h, h->conn, &fatal, err);
  char *with_env = c && h->env ? rt_xasprintf("%s%s", h->env, script) : NULL; /* env.c */
  h->requests[RT_REQ_EXEC] += c != NULL;
  int rc = c ? c->ops->exec(c, with_env ? with_env : script, in, inlen, res, err) : -1;
  free(with_env);
  if (rc < 0) {
    if (!c && !fatal) { /* escalation failed: the task fails, the host stays */
      memset(res, 0, sizeof *res);
      return -1;
    }
    if (!rt_interrupted())
      mark_unreachable(h, *err);
    return -1;
  }
  return 0;
}

int rt_host_put(RtHost *h, const char *path, const void *data, size_t len, int mode,
                char **err) {
  if (rt_interrupted()) {
    *err = rt_xstrdup("interrupted");
    return -1;
  }
  if (host_open(h, err) < 0) {
    mark_unreachable(h, *err);
    return -1;
  }
  h->requests[RT_REQ_PUT]++;
  int rc = h->conn->ops->put(h->conn, path, data, len, mode, err);
  if (rc < 0 && h->conn->lost && !rt_interrupted())
    mark_unreachable(h, *err);
  return rc;
}

int rt_host_get(RtHost *h, const char *path, RtBuf *out, char **err) {
  if (rt_interrupted()) {
    *err = rt_xstrdup("interrupted");
    return -1;
  }
  if (host_open(h, err) < 0) {
    mark_unreachable(h, *err);
    return -1;
  }
  h->requests[RT_REQ_GET]++;
  int rc = h->conn->ops->get(h->conn, path, out, err);
  if (rc < 0 && h->conn->lost && !rt_interrupted())
    mark_unreachable(h, *err);
  return rc;
}

int rt_host_tcp(RtHost *h, const char *addr, int port, const void *msg, size_t len, int timeout, RtBuf *reply,
                char **err) {
  if (rt_interrupted()) {
    *err = rt_xstrdup("interrupted");
    return -1;
  }
  if (host_open(h, err) < 0) {
    mark_unreachable(h, *err);
    return -1;
  }
  h->requests[RT_REQ_TCP]++;
  int rc = h->conn->ops->tcp(h->conn, addr, port, msg, len, timeout, reply, err);
  if (rc < 0 && h->conn->lost && !rt_interrupted())
    mark_unreachable(h, *err);
  return rc;
}

void rt_host_temp_keep(RtHost *h, const char *path) {
  RtConn *c = h->conn;
  if (!c)
    return;
  c->temps = rt_xrealloc(c->temps, sizeof *c->temps * (size_t)(c->ntemps + 1));
  c->temps[c->ntemps++] = rt_xstrdup(path);
}

void rt_host_temp_forget(RtHost *h, const char *path) {
  RtConn *c = h->conn;
  for (int i = 0; c && i < c->ntemps; i++)
    if (strcmp(c->temps[i], path) == 0) {
      free(c->temps[i]);
      c->temps[i] = c->temps[--c->ntemps];
      return;
    }
}

void rt_host_temp_remove(RtHost *h, const char *path) {
  char *err = NULL;
  if (h->conn && !h->conn->lost) {
    h->requests[RT_REQ_REMOVE]++;
    h->conn->ops->remove(h->conn, path, &err);
  }
  free(err);
  rt_host_temp_forget(h, path);
}
