/*
 * conn.c — the framed remote shell shared by every connection type, and the
 * host-level entry points (rt_host_exec, rt_host_put) that open a host's
 * connection on first use.
 *
 * A connection is one persistent /bin/sh on the target. Each request is
 * written to its stdin as
 *     ( SCRIPT
 *     ) </dev/null; printf '\n%s %d\n' MARK $?; printf '\n%s\n' MARK >&2
 * with MARK = __PLAYC_<random token>_<request number>, and its stdout and
 * stderr are read up to their markers: one round trip per request, no new
 * process on the controller, no new SSH channel. The subshell keeps `cd`,
 * `exit` and variables of one request from leaking into the next. Command
 * stdin, when given, comes from a quoted here-document instead of /dev/null.
 */
#include "rt.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
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

void rt_exec_free(RtExec *e) {
  rt_buf_free(&e->out);
  rt_buf_free(&e->err);
}

void rt_shell_init(RtShell *s) {
  unsigned char rnd[12] = {0};
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, rnd, sizeof rnd) != (ssize_t)sizeof rnd)
    for (size_t i = 0; i < sizeof rnd; i++)
      rnd[i] = (unsigned char)(rand() ^ getpid());
  if (fd >= 0)
    close(fd);
  for (size_t i = 0; i < sizeof rnd; i++)
    snprintf(s->token + 2 * i, 3, "%02x", rnd[i]);
  s->seq = 0;
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

int rt_shell_exec(RtShell *s, const char *script, const char *in, size_t inlen, RtExec *res,
                  char **err) {
  char mark[64];
  snprintf(mark, sizeof mark, "__PLAYC_%s_%lu", s->token, ++s->seq);
  RtBuf req = {0};
  rt_buf_printf(&req, "( %s\n)", script);
  if (in)
    rt_buf_printf(&req, " <<'%s_IN'", mark);
  else
    rt_buf_puts(&req, " </dev/null");
  rt_buf_printf(&req, "; printf '\\n%%s %%d\\n' '%s' $?; printf '\\n%%s\\n' '%s' >&2\n", mark, mark);
  if (in) { /* the here-document's body follows the line that opens it */
    rt_buf_add(&req, in, inlen);
    rt_buf_printf(&req, "%s%s_IN\n", inlen && in[inlen - 1] == '\n' ? "" : "\n", mark);
  }
  int rc = s->write(s, req.data, req.len, err);
  rt_buf_free(&req);
  if (rc < 0)
    return -1;
  memset(res, 0, sizeof *res);
  long out_at = -1, err_at = -1;
  size_t out_scan = 0, err_scan = 0;
  while (out_at < 0 || err_at < 0) {
    char buf[16384];
    int stream = 0;
    long n = s->read(s, out_at < 0, err_at < 0, &stream, buf, sizeof buf, err);
    if (n < 0)
      goto error;
    if (n == 0) {
      *err = rt_xstrdup("the remote shell closed the connection");
      goto error;
    }
    RtBuf *b = stream ? &res->err : &res->out;
    rt_buf_add(b, buf, (size_t)n);
    if (!stream && out_at < 0) {
      out_at = find_mark(b, mark, out_scan);
      out_scan = b->len > strlen(mark) + 2 ? b->len - strlen(mark) - 2 : 0;
      /* the rc line must be complete: else look again from the mark */
      if (out_at >= 0 && !memchr(b->data + out_at + 1, '\n', b->len - (size_t)out_at - 1)) {
        out_scan = (size_t)out_at;
        out_at = -1;
      }
    } else if (stream && err_at < 0) {
      err_at = find_mark(b, mark, err_scan);
      err_scan = b->len > strlen(mark) + 2 ? b->len - strlen(mark) - 2 : 0;
    }
  }
  res->rc = atoi(res->out.data + out_at + 1 + strlen(mark));
  res->out.len = (size_t)out_at;
  res->out.data[out_at] = 0;
  res->err.len = (size_t)err_at;
  res->err.data[err_at] = 0;
  return 0;
error:
  rt_exec_free(res);
  return -1;
}

/* A string var of the host, or NULL (caller frees). */
static char *host_str_var(RtHost *h, const char *name) {
  RtValue *v = rt_var(h, name, NULL);
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

/* Opens h->conn by ansible_connection, play connection, -c, default ssh. */
static int host_open(RtHost *h, char **err) {
  if (h->conn)
    return 0;
  if (h->unreachable) {
    *err = rt_xstrdup(h->unreachable_msg ? h->unreachable_msg : "unreachable");
    return -1;
  }
  char *type = host_str_var(h, "ansible_connection");
  const char *t = type ? type : h->conn_type ? h->conn_type : "ssh";
  if (strcmp(t, "local") == 0) {
    h->conn = rt_conn_local_open(err);
  } else if (strcmp(t, "ssh") == 0 || strcmp(t, "paramiko") == 0 || strcmp(t, "smart") == 0) {
    RtOptions *o = &h->run->opt;
    char *host = host_var2(h, "ansible_host", "ansible_ssh_host");
    char *port = host_var2(h, "ansible_port", "ansible_ssh_port");
    char *user = host_var2(h, "ansible_user", "ansible_ssh_user");
    char *key = host_var2(h, "ansible_ssh_private_key_file", "ansible_private_key_file");
    RtConnParams p = {0};
    p.host = host ? host : h->name;
    p.port = port ? atoi(port) : 22;
    struct passwd *pw = getpwuid(getuid());
    p.user = user ? user : o->user ? o->user : pw ? pw->pw_name : "root";
    p.key_file = key ? key : o->private_key;
    p.known_hosts = o->known_hosts;
    p.host_key_checking = o->host_key_checking;
    p.timeout = 10;
    h->conn = rt_conn_ssh_open(&p, err);
    free(host);
    free(port);
    free(user);
    free(key);
  } else {
    *err = rt_xasprintf("the connection plugin '%s' was not found", t);
  }
  free(type);
  return h->conn ? 0 : -1;
}

static void mark_unreachable(RtHost *h, const char *msg) {
  h->unreachable = true;
  free(h->unreachable_msg);
  h->unreachable_msg = rt_xstrdup(msg);
  if (h->conn) {
    h->conn->ops->close(h->conn);
    h->conn = NULL;
  }
}

int rt_host_exec(RtHost *h, const char *script, const char *in, size_t inlen, RtExec *res,
                 char **err) {
  if (host_open(h, err) < 0 || h->conn->ops->exec(h->conn, script, in, inlen, res, err) < 0) {
    mark_unreachable(h, *err);
    return -1;
  }
  return 0;
}

int rt_host_put(RtHost *h, const char *path, const void *data, size_t len, int mode,
                char **err) {
  if (host_open(h, err) < 0) {
    mark_unreachable(h, *err);
    return -1;
  }
  return h->conn->ops->put(h->conn, path, data, len, mode, err);
}
