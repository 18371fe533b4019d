/*
 * conn_ssh.c — the SSH connection (libssh 0.10): one authenticated session
 * per host for the whole run, one channel running /bin/sh framed by conn.c,
 * and SFTP on the same session for file bodies. Host keys are checked
 * against known_hosts (strict by default; accept-new and off only when asked).
 *
 * Nothing here may wait forever on a target:
 *   - connecting (TCP, banner, key exchange), authenticating and opening the
 *     shell run libssh in nonblocking mode, retried on each 100 ms tick, each
 *     step bounded by the connect timeout (ansible_ssh_timeout) and by an
 *     interrupt;
 *   - while a request runs, silence is measured on libssh's packet counter:
 *     after ServerAliveInterval seconds without a packet a keepalive@openssh.com
 *     global request is sent (the server must answer it, even with a
 *     failure), and after ServerAliveCountMax unanswered probes the host is
 *     unreachable, as OpenSSH's client does; a command that is silent but
 *     whose server answers runs as long as it likes;
 *   - calls that block inside libssh (SFTP, a write waiting for the channel
 *     window) run under a watchdog: a thread shared by all connections shuts
 *     the socket down when one has not returned within the same time, which
 *     makes libssh fail instead of waiting.
 * An interrupt stops the request in flight: a "signal" channel request (sshd
 * runs the session's command after setsid() and kills the process group on
 * it), and for servers that ignore it, `kill` of the shell's process group
 * from a second channel; TERM first (request scripts remove their temp files
 * on it), KILL for what ignores TERM.
 *
 * A session is used by one thread at a time (the scheduler hands a host to
 * one worker), as libssh's threading rules require; ssh_init runs once. The
 * watchdog touches only the socket descriptor (shutdown), never libssh.
 */
#include "conn_shell.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h> /* ssh_send_keepalive: a client may send it too */
#include <libssh/sftp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct SshConn {
  RtShell sh;
  ssh_session s;
  ssh_channel ch;
  sftp_session sftp;
  char *host;
  char *addr;                       /* the address connected to (the ssh config's HostName) */
  int port;
  int fd;                           /* the session's socket once connected, else -1 */
  struct ssh_counter_struct rx, tx; /* bytes and packets in and out (libssh counts) */
  /* liveness */
  int alive_interval, alive_count;  /* seconds, probes (interval 0: never give up) */
  uint64_t seen_packets;            /* rx.in_packets when last checked */
  int64_t seen_ms;                  /* when a packet last arrived (or the request began) */
  int probes;                       /* unanswered probes */
  /* watchdog */
  int64_t deadline_ms;              /* atomic: a blocking call must return by then; 0 none */
  bool watch_fired;                 /* atomic: the watchdog shut the socket down */
  struct SshConn *wnext;            /* in the watchdog's list (under watch_lock) */
  struct SshConn *parent;           /* a become shell: the connection whose session it shares */
  RtConnParams prm;                 /* owned copy: a second session opens with it (MaxSessions) */
  struct SshConn *aux;              /* that second session, for SFTP when the first refuses one */
  /* ProxyJump: this session's bytes travel through a direct-tcpip channel of
   * `jump`'s session, pumped to a socketpair by a thread that alone uses it */
  struct SshConn *jump;
  ssh_channel fwd;
  int pump_fd;                      /* the thread's end of the socketpair, else -1 */
  pthread_t pump;
  bool pumping;
  int pump_stop;                    /* atomic: the thread must end */
} SshConn;

/* The connection that owns the session (and its packet counters). */
static SshConn *owner(SshConn *c) { return c->parent ? c->parent : c; }

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* libssh's own log lines never reach the output: an ssh config's LogLevel
 * (OpenSSH's harness configs say "LogLevel ERROR", which libssh reads as its
 * warning level) would otherwise print them on stderr in every run. libssh
 * 0.10 keeps the log level and callback per thread: each thread that opens a
 * connection installs the callback (quiet_libssh), and the level a parsed
 * config sets is put back to none. */
static void no_libssh_log(int priority, const char *function, const char *buffer, void *userdata) {
  (void)priority;
  (void)function;
  (void)buffer;
  (void)userdata;
}

static void init_libssh(void) { ssh_init(); }

static void quiet_libssh(void) { ssh_set_log_callback(no_libssh_log); }

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* How long a blocking call may take before the host counts as gone. */
static int64_t dead_ms(const SshConn *c) {
  return c->alive_interval > 0 ? (int64_t)c->alive_interval * 1000 * (c->alive_count + 1) : 0;
}

/* ---- the watchdog -------------------------------------------------------------- */

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static SshConn *watched;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

/* Every tick: sockets whose blocking call is overdue are shut down; after an
 * interrupt, no call may take more than 5 s more. */
static void *watch_loop(void *arg) {
  (void)arg;
  for (;;) {
    struct timespec d = {0, RT_SHELL_TICK_MS * 1000000L};
    nanosleep(&d, NULL);
    int64_t now = now_ms();
    pthread_mutex_lock(&watch_lock);
    for (SshConn *c = watched; c; c = c->wnext) {
      int64_t dl = __atomic_load_n(&c->deadline_ms, __ATOMIC_SEQ_CST);
      if (!dl)
        continue;
      if (rt_interrupted() && dl > now + 5000)
        __atomic_store_n(&c->deadline_ms, dl = now + 5000, __ATOMIC_SEQ_CST);
      if (now >= dl) {
        __atomic_store_n(&c->watch_fired, true, __ATOMIC_SEQ_CST);
        __atomic_store_n(&c->deadline_ms, 0, __ATOMIC_SEQ_CST);
        shutdown(c->fd, SHUT_RDWR);
      }
    }
    pthread_mutex_unlock(&watch_lock);
  }
  return NULL;
}

static void watch_start(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, watch_loop, NULL) != 0)
    rt_panic(__FILE__, __LINE__, "pthread_create");
  pthread_detach(t);
}

static void watch_register(SshConn *c) {
  pthread_once(&watch_once, watch_start);
  pthread_mutex_lock(&watch_lock);
  c->wnext = watched;
  watched = c;
  pthread_mutex_unlock(&watch_lock);
}

static void watch_unregister(SshConn *c) {
  pthread_mutex_lock(&watch_lock);
  for (SshConn **p = &watched; *p; p = &(*p)->wnext)
    if (*p == c) {
      *p = c->wnext;
      break;
    }
  pthread_mutex_unlock(&watch_lock);
}

/* Arms the watchdog for a blocking call (again after each bit of progress). */
static void watch_arm(SshConn *c) {
  int64_t d = dead_ms(c);
  __atomic_store_n(&c->deadline_ms, d ? now_ms() + d : 0, __ATOMIC_SEQ_CST);
}

static void watch_disarm(SshConn *c) {
  __atomic_store_n(&c->deadline_ms, 0, __ATOMIC_SEQ_CST);
}

/* The message for a failed libssh call; the connection is lost. */
static char *ssh_failure(SshConn *c) {
  c->sh.base.lost = true;
  if (__atomic_load_n(&c->watch_fired, __ATOMIC_SEQ_CST))
    return rt_xasprintf("Failed to connect to the host via ssh: Timeout, server %s not "
                        "responding.",
                        c->host);
  return rt_xasprintf("Failed to connect to the host via ssh: %s", ssh_get_error(c->s));
}

/* ---- the shell channel ----------------------------------------------------------- */

/* A request begins: silence is measured from now. */
static void alive_reset(SshConn *c) {
  c->seen_packets = owner(c)->rx.in_packets;
  c->seen_ms = now_ms();
  c->probes = 0;
}

static int ssh_write_all(RtShell *sh, const char *buf, size_t len, char **err) {
  SshConn *c = (SshConn *)sh;
  alive_reset(c);
  watch_arm(c);
  while (len > 0) {
    if (rt_interrupted()) {
      *err = rt_xstrdup("interrupted");
      watch_disarm(c);
      return -1;
    }
    int n = ssh_channel_write(c->ch, buf, (uint32_t)len);
    if (n == SSH_ERROR) {
      watch_disarm(c);
      *err = ssh_failure(c);
      return -1;
    }
    if (n > 0) { /* (0: the window stayed shut for the session timeout; go on waiting) */
      buf += n;
      len -= (size_t)n;
      watch_arm(c);
    }
  }
  watch_disarm(c);
  return 0;
}

static long ssh_read_some(RtShell *sh, bool want_out, bool want_err, int *stream, char *buf,
                          size_t cap, char **err) {
  SshConn *c = (SshConn *)sh;
  for (int pass = 0; pass < 2; pass++) {
    for (int is_err = 0; is_err < 2; is_err++) {
      if (is_err ? !want_err : !want_out)
        continue;
      int n = ssh_channel_read_nonblocking(c->ch, buf, (uint32_t)cap, is_err);
      if (n == SSH_ERROR) {
        *err = ssh_failure(c);
        return -1;
      }
      if (n > 0) {
        *stream = is_err;
        return n;
      }
    }
    if (ssh_channel_is_eof(c->ch))
      return 0;
    if (pass == 1)
      break;
    /* wait for data on a stream still wanted (also buffers the other one) */
    int r = ssh_channel_poll_timeout(c->ch, RT_SHELL_TICK_MS, want_out ? 0 : 1);
    if (r == SSH_ERROR) {
      *err = ssh_failure(c);
      return -1;
    }
  }
  return RT_SHELL_IDLE;
}

/* A keepalive@openssh.com global request. libssh keeps one such request
 * pending; a call while a reply is pending only waits for it, and the call
 * after a reply only clears it, so two calls leave exactly one probe out. */
static void send_probe(SshConn *c) {
  ssh_set_blocking(c->s, 0);
  ssh_send_keepalive(c->s);
  ssh_send_keepalive(c->s);
  ssh_set_blocking(c->s, 1);
}

static int ssh_idle(RtShell *sh, char **err) {
  SshConn *c = (SshConn *)sh;
  int64_t now = now_ms();
  if (owner(c)->rx.in_packets != c->seen_packets) { /* the server spoke: it is alive */
    c->seen_packets = owner(c)->rx.in_packets;
    c->seen_ms = now;
    c->probes = 0;
    return 0;
  }
  if (c->alive_interval <= 0 || now - c->seen_ms < (int64_t)c->alive_interval * 1000 * (c->probes + 1))
    return 0;
  if (c->probes >= c->alive_count) {
    c->sh.base.lost = true;
    *err = rt_xasprintf("Failed to connect to the host via ssh: Timeout, server %s not "
                        "responding.",
                        c->host);
    return -1;
  }
  send_probe(c);
  c->probes++;
  return 0;
}

/* Runs `kill -SIG -- -PGID` on a second channel, for servers that ignore the
 * "signal" request; waits at most 2 s for it. */
static void kill_from_channel(SshConn *c, const char *sig) {
  if (c->sh.pid <= 0)
    return;
  ssh_channel k = ssh_channel_new(c->s);
  if (!k)
    return;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "kill -%s -- -%ld 2>/dev/null || kill -%s %ld 2>/dev/null", sig,
           c->sh.pid, sig, c->sh.pid);
  int64_t until = now_ms() + 2000;
  ssh_set_blocking(c->s, 0);
  int rc;
  while ((rc = ssh_channel_open_session(k)) == SSH_AGAIN && now_ms() < until)
    ssh_channel_poll_timeout(k, 20, 0);
  if (rc == SSH_OK) {
    while ((rc = ssh_channel_request_exec(k, cmd)) == SSH_AGAIN && now_ms() < until)
      ssh_channel_poll_timeout(k, 20, 0);
    while (rc == SSH_OK && !ssh_channel_is_eof(k) && now_ms() < until)
      ssh_channel_poll_timeout(k, 20, 0);
  }
  ssh_set_blocking(c->s, 1);
  ssh_channel_free(k);
}

/* Level 0: the "signal" request (sshd kills the session's process group);
 * level 1: the same with kill from a second channel; level 2: KILL both ways. */
static void ssh_stop(RtShell *sh, int level) {
  SshConn *c = (SshConn *)sh;
  if (c->sh.base.lost)
    return;
  const char *sig = level < 2 ? "TERM" : "KILL";
  if (level != 1)
    ssh_channel_request_send_signal(c->ch, sig);
  if (level >= 1)
    kill_from_channel(c, sig);
}

static int ssh_exec(RtConn *conn, const char *script, const char *in, size_t inlen, RtExec *res,
                    char **err) {
  return rt_shell_exec((RtShell *)conn, script, in, inlen, res, err);
}

/* ---- SFTP ---------------------------------------------------------------------------- */

static char *sftp_failure(SshConn *c, const char *what, const char *path);
static SshConn *conn_open(const RtConnParams *p, const char *command, char **err);

static int sftp_ready(SshConn *c, char **err) {
  if (c->sftp)
    return 0;
  watch_arm(c);
  c->sftp = sftp_new(c->s);
  if (!c->sftp && !c->parent && !c->aux && ssh_is_connected(c->s)) {
    /* the server refused the channel (MaxSessions): a second session */
    watch_disarm(c);
    char *why = NULL;
    c->aux = conn_open(&c->prm, NULL, &why);
    if (!c->aux) {
      *err = rt_xasprintf("could not start SFTP for files on %s: %s", c->host, why);
      free(why);
      return -1;
    }
    watch_arm(c);
    c->sftp = sftp_new(c->aux->s);
  }
  int ok = c->sftp && sftp_init(c->sftp) == SSH_OK;
  watch_disarm(c);
  if (!ok) {
    *err = sftp_failure(c, "start SFTP for", "files");
    if (c->sftp)
      sftp_free(c->sftp);
    c->sftp = NULL;
    return -1;
  }
  return 0;
}

/* An SFTP failure: the server's refusal, or the connection lost (watchdog,
 * socket error), which then marks it lost. */
static char *sftp_failure(SshConn *c, const char *what, const char *path) {
  if (__atomic_load_n(&c->watch_fired, __ATOMIC_SEQ_CST) || !ssh_is_connected(c->s)) {
    char *why = ssh_failure(c), *msg = rt_xasprintf("could not %s %s on %s: %s", what, path, c->host, why);
    free(why);
    return msg;
  }
  return rt_xasprintf("could not %s %s on %s: %s", what, path, c->host, ssh_get_error(c->s));
}

static int ssh_put(RtConn *conn, const char *path, const void *data, size_t len, int mode,
                   char **err) {
  SshConn *c = (SshConn *)conn;
  if (sftp_ready(c, err) < 0)
    return -1;
  watch_arm(c);
  sftp_file f = sftp_open(c->sftp, path, O_WRONLY | O_CREAT | O_TRUNC, (mode_t)mode);
  watch_disarm(c);
  if (!f) {
    *err = sftp_failure(c, "write", path);
    return -1;
  }
  const char *p = data;
  while (len > 0) {
    if (rt_interrupted()) {
      *err = rt_xstrdup("interrupted");
      goto error;
    }
    size_t chunk = len > 32768 ? 32768 : len;
    watch_arm(c);
    ssize_t n = sftp_write(f, p, chunk);
    watch_disarm(c);
    if (n < 0) {
      *err = sftp_failure(c, "write", path);
      goto error;
    }
    p += n;
    len -= (size_t)n;
  }
  watch_arm(c);
  int rc = sftp_close(f);
  watch_disarm(c);
  if (rc != SSH_OK) {
    *err = sftp_failure(c, "write", path);
    return -1;
  }
  return 0;
error:
  if (!c->sh.base.lost) {
    watch_arm(c);
    sftp_close(f);
    watch_disarm(c);
  }
  return -1;
}

static int ssh_remove(RtConn *conn, const char *path, char **err) {
  SshConn *c = (SshConn *)conn;
  if (sftp_ready(c, err) < 0)
    return -1;
  watch_arm(c);
  int rc = sftp_unlink(c->sftp, path);
  watch_disarm(c);
  if (rc < 0 && sftp_get_error(c->sftp) != SSH_FX_NO_SUCH_FILE) {
    *err = sftp_failure(c, "remove", path);
    return -1;
  }
  return 0;
}

/* Reads `path` whole over SFTP (the file-content modules' large bodies). */
static int ssh_get(RtConn *conn, const char *path, RtBuf *out, char **err) {
  SshConn *c = (SshConn *)conn;
  if (sftp_ready(c, err) < 0)
    return -1;
  watch_arm(c);
  sftp_file f = sftp_open(c->sftp, path, O_RDONLY, 0);
  watch_disarm(c);
  if (!f) {
    *err = sftp_failure(c, "read", path);
    return -1;
  }
  char buf[32768];
  for (;;) {
    if (rt_interrupted()) {
      *err = rt_xstrdup("interrupted");
      goto error;
    }
    watch_arm(c);
    ssize_t n = sftp_read(f, buf, sizeof buf);
    watch_disarm(c);
    if (n < 0) {
      *err = sftp_failure(c, "read", path);
      goto error;
    }
    if (n == 0)
      break;
    rt_buf_add(out, buf, (size_t)n);
  }
  watch_arm(c);
  sftp_close(f);
  watch_disarm(c);
  if (!out->data)
    rt_buf_add(out, "", 0);
  return 0;
error:
  if (!c->sh.base.lost) {
    watch_arm(c);
    sftp_close(f);
    watch_disarm(c);
  }
  return -1;
}

static void params_free(RtConnParams *p);

static void ssh_close_conn(RtConn *conn) {
  SshConn *c = (SshConn *)conn;
  watch_unregister(c);
  bool lost = c->sh.base.lost || (c->parent && c->parent->sh.base.lost);
  if (c->parent) { /* a become shell: its channel only; the session is its parent's */
    if (c->ch) {
      if (!lost) {
        ssh_channel_send_eof(c->ch);
        ssh_channel_close(c->ch);
      }
      ssh_channel_free(c->ch);
    }
    free(c->host);
    free(c);
    return;
  }
  if (c->sftp)
    sftp_free(c->sftp);
  if (c->ch) {
    if (!lost) {
      ssh_channel_send_eof(c->ch);
      ssh_channel_close(c->ch);
    }
    ssh_channel_free(c->ch);
  }
  if (c->s) {
    ssh_disconnect(c->s);
    ssh_free(c->s);
  }
  if (c->aux) {
    c->aux->sh.base.lost |= lost;
    ssh_close_conn(&c->aux->sh.base);
  }
  if (c->pumping) { /* the session's socket is closed: the pump ends, then the jump closes */
    __atomic_store_n(&c->pump_stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(c->pump, NULL);
  }
  if (c->pump_fd >= 0)
    close(c->pump_fd);
  if (c->fwd)
    ssh_channel_free(c->fwd);
  if (c->jump)
    ssh_close_conn(&c->jump->sh.base);
  params_free(&c->prm);
  free(c->addr);
  free(c->host);
  free(c);
}

/* Reads exactly `n` bytes of channel `ch` before `deadline` (now_ms()'s
 * clock): 0, 1 at EOF, -1 on error, -2 when time ran out. */
static int fwd_read(ssh_channel ch, void *buf, size_t n, int64_t deadline) {
  size_t got = 0;
  while (got < n) {
    int64_t left = deadline - now_ms();
    if (left <= 0)
      return -2;
    int r = ssh_channel_read_timeout(ch, (char *)buf + got, (uint32_t)(n - got), 0, (int)left);
    if (r == SSH_ERROR)
      return -1;
    if (r == 0 && ssh_channel_is_eof(ch))
      return 1;
    got += (size_t)(r > 0 ? r : 0);
  }
  return 0;
}

/* A direct-tcpip channel of the session: the target's sshd makes the
 * connection, so `addr` is reached as the target reaches it. */
static int ssh_tcp(RtConn *conn, const char *addr, int port, const void *msg, size_t len, int timeout, RtBuf *reply,
                   char **err) {
  SshConn *c = owner((SshConn *)conn);
  int rc = -1;
  watch_arm(c);
  ssh_channel ch = ssh_channel_new(c->s);
  int orc = ch ? ssh_channel_open_forward(ch, addr, port, "127.0.0.1", 0) : SSH_ERROR;
  watch_disarm(c);
  if (orc != SSH_OK) {
    if (!ssh_is_connected(c->s)) {
      *err = ssh_failure(c);
    } else { /* the target's sshd could not connect: its reason, as the socket's error */
      const char *why = ssh_get_error(c->s);
      *err = strstr(why, "refused") ? rt_xstrdup("(ConnectionRefusedError): [Errno 111] Connection refused")
                                    : rt_xasprintf("(OSError): %s", why);
    }
    goto out;
  }
  unsigned char hdr[2] = {(unsigned char)(len >> 8), (unsigned char)len};
  watch_arm(c);
  bool sent = ssh_channel_write(ch, hdr, 2) == 2 && ssh_channel_write(ch, msg, (uint32_t)len) == (int)len;
  watch_disarm(c);
  if (!sent) {
    *err = ssh_failure(c);
    goto out;
  }
  int64_t deadline = now_ms() + (int64_t)timeout * 1000;
  int r = fwd_read(ch, hdr, 2, deadline);
  unsigned char *body = NULL;
  size_t want = (size_t)hdr[0] << 8 | hdr[1];
  if (r == 0) {
    body = rt_xmalloc(want ? want : 1);
    r = fwd_read(ch, body, want, deadline);
  }
  if (r == 0)
    rt_buf_add(reply, (const char *)body, want), rc = 0;
  else if (r == 1)
    *err = rt_xstrdup("(EOFError): EOF");
  else if (r == -2)
    *err = rt_xstrdup("(Timeout): The DNS operation timed out.");
  else
    *err = ssh_failure(c);
  free(body);
out:
  if (ch) {
    if (ssh_channel_is_open(ch) && !c->sh.base.lost)
      ssh_channel_close(ch);
    ssh_channel_free(ch);
  }
  return rc;
}

static RtConn *ssh_spawn(RtConn *conn, const char *command, char **err);
static const RtConnOps ssh_ops = {ssh_exec, ssh_put, ssh_remove, ssh_close_conn, ssh_spawn, ssh_get, ssh_tcp};

/* ---- connecting ------------------------------------------------------------------------ */

/* Why a step of connecting did not finish in time. */
static char *connect_timeout(SshConn *c, const char *step, int timeout) {
  int fd = ssh_get_fd(c->s);
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  if (fd < 0 || getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
    return rt_xasprintf("Failed to connect to the host via ssh: ssh: connect to host %s port %d: "
                        "Connection timed out",
                        c->addr ? c->addr : c->host, c->port);
  if (!ssh_get_serverbanner(c->s))
    return rt_xstrdup("Failed to connect to the host via ssh: Connection timed out during "
                      "banner exchange");
  return rt_xasprintf("Failed to connect to the host via ssh: %s:%d did not answer within %d s "
                      "during %s",
                      c->host, c->port, timeout, step);
}

/* Between two tries of a nonblocking step: waits one tick for the socket.
 * -1 with *err when the step is out of time or the run was interrupted. */
static int step_wait(SshConn *c, int64_t deadline, const char *step, int timeout, char **err) {
  if (rt_interrupted()) {
    *err = rt_xstrdup("interrupted");
    return -1;
  }
  if (now_ms() >= deadline) {
    *err = connect_timeout(c, step, timeout);
    return -1;
  }
  int fd = ssh_get_fd(c->s);
  if (fd < 0) {
    struct timespec d = {0, 10 * 1000000L};
    nanosleep(&d, NULL);
    return 0;
  }
  /* writable: while the TCP connect is in progress (libssh then sends its
   * banner at once, not after the server's), and while output is pending */
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  struct pollfd p = {fd, POLLIN, 0};
  if ((ssh_get_poll_flags(c->s) & SSH_WRITE_PENDING) ||
      getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
    p.events |= POLLOUT;
  poll(&p, 1, RT_SHELL_TICK_MS);
  return 0;
}

/* OpenSSH's name of a key type (sshkey_type): "ED25519", "RSA" ... */
static const char *openssh_key_type(enum ssh_keytypes_e t) {
  switch (t) {
  case SSH_KEYTYPE_ED25519: return "ED25519";
  case SSH_KEYTYPE_RSA: return "RSA";
  case SSH_KEYTYPE_DSS: return "DSA";
  case SSH_KEYTYPE_ECDSA_P256:
  case SSH_KEYTYPE_ECDSA_P384:
  case SSH_KEYTYPE_ECDSA_P521: return "ECDSA";
  default: return "unknown";
  }
}

/* The line of known_hosts file `file` holding a key of type `type` (as
 * written: "ssh-ed25519") for `label` ("[host]:port"), or 0. Hashed and
 * wildcard entries are not looked into. */
static int known_hosts_line(const char *file, const char *label, const char *type) {
  FILE *f = file ? fopen(file, "r") : NULL;
  if (!f)
    return 0;
  char line[8192];
  int n = 0, found = 0;
  while (!found && fgets(line, sizeof line, f)) {
    n++;
    char *save = NULL, *hosts = strtok_r(line, " \t\n", &save), *kt = strtok_r(NULL, " \t\n", &save);
    if (!hosts || !kt || hosts[0] == '#' || hosts[0] == '@' || strcmp(kt, type) != 0)
      continue;
    char *s2 = NULL;
    for (char *h = strtok_r(hosts, ",", &s2); h && !found; h = strtok_r(NULL, ",", &s2))
      if (strcmp(h, label) == 0)
        found = n;
  }
  fclose(f);
  return found;
}

/* What OpenSSH's ssh says when strict checking refuses the server's key (a
 * changed one, or none known of its type), which ansible-playbook shows
 * after "Failed to connect to the host via ssh: ". Malloc'd. */
static char *host_key_refused(SshConn *c, const RtConnParams *p, bool changed) {
  char *label = c->port == 22 ? rt_xstrdup(c->addr ? c->addr : p->host)
                              : rt_xasprintf("[%s]:%d", c->addr ? c->addr : p->host, c->port);
  ssh_key key = NULL;
  const char *type = "unknown", *wire = "";
  char *fp = NULL;
  if (ssh_get_server_publickey(c->s, &key) == SSH_OK) {
    type = openssh_key_type(ssh_key_type(key));
    wire = ssh_key_type_to_char(ssh_key_type(key));
    unsigned char *hash = NULL;
    size_t hlen = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0) {
      fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
      ssh_clean_pubkey_hash(&hash);
    }
  }
  RtBuf b = {0};
  rt_buf_puts(&b, "Failed to connect to the host via ssh: ");
  if (changed) {
    char *file = NULL;
    if (ssh_options_get(c->s, SSH_OPTIONS_KNOWNHOSTS, &file) != SSH_OK)
      file = NULL;
    int line = known_hosts_line(file, label, wire ? wire : "");
    const char *at = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n";
    rt_buf_printf(&b,
                  "%s@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n%s"
                  "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n"
                  "Someone could be eavesdropping on you right now (man-in-the-middle attack)!\r\n"
                  "It is also possible that a host key has just been changed.\r\n"
                  "The fingerprint for the %s key sent by the remote host is\n%s.\r\n"
                  "Please contact your system administrator.\r\n"
                  "Add correct host key in %s to get rid of this message.\r\n",
                  at, at, type, fp ? fp : "", file ? file : "known_hosts");
    if (line)
      rt_buf_printf(&b,
                    "Offending %s key in %s:%d\r\n  remove with:\r\n  ssh-keygen -f \"%s\" -R \"%s\"\r\n",
                    type, file, line, file, label);
    rt_buf_printf(&b, "Host key for %s has changed and you have requested strict checking.\r\n", label);
    ssh_string_free_char(file);
  } else {
    rt_buf_printf(&b, "No %s host key is known for %s and you have requested strict checking.\r\n", type,
                  label);
  }
  rt_buf_puts(&b, "Host key verification failed.");
  ssh_string_free_char(fp);
  ssh_key_free(key);
  free(label);
  return rt_buf_take(&b);
}

/* Checks the server's key against known_hosts per the policy. */
static bool check_host_key(SshConn *c, const RtConnParams *p, char **err) {
  enum ssh_known_hosts_e st = ssh_session_is_known_server(c->s);
  switch (st) {
  case SSH_KNOWN_HOSTS_OK:
    return true;
  case SSH_KNOWN_HOSTS_CHANGED:
    if (p->host_key_checking == RT_HKC_OFF)
      return true;
    *err = host_key_refused(c, p, true);
    return false;
  case SSH_KNOWN_HOSTS_OTHER: /* keys of other types only: OpenSSH says none is known of this one */
    if (p->host_key_checking == RT_HKC_OFF)
      return true;
    *err = host_key_refused(c, p, false);
    return false;
  case SSH_KNOWN_HOSTS_NOT_FOUND:
  case SSH_KNOWN_HOSTS_UNKNOWN:
    if (p->host_key_checking == RT_HKC_OFF)
      return true;
    if (p->host_key_checking == RT_HKC_ACCEPT_NEW) {
      if (ssh_session_update_known_hosts(c->s) != SSH_OK) {
        *err = rt_xasprintf("Failed to connect to the host via ssh: could not record the host "
                            "key of %s: %s",
                            p->host, ssh_get_error(c->s));
        return false;
      }
      return true;
    }
    *err = host_key_refused(c, p, false);
    return false;
  case SSH_KNOWN_HOSTS_ERROR:
  default:
    *err = rt_xasprintf("Failed to connect to the host via ssh: %s", ssh_get_error(c->s));
    return false;
  }
}

/* One authentication method, retried while libssh answers SSH_AUTH_AGAIN.
 * Returns its final answer, or SSH_AUTH_ERROR with *err on time-out. */
enum { AUTH_KEY, AUTH_AGENT, AUTH_AUTO, AUTH_PASSWORD };
static int auth_try(SshConn *c, int method, ssh_key key, const char *password, int timeout,
                    char **err) {
  int64_t deadline = now_ms() + (int64_t)timeout * 1000;
  for (;;) {
    int rc = method == AUTH_KEY     ? ssh_userauth_publickey(c->s, NULL, key)
             : method == AUTH_AGENT ? ssh_userauth_agent(c->s, NULL)
             : method == AUTH_AUTO  ? ssh_userauth_publickey_auto(c->s, NULL, NULL)
                                    : ssh_userauth_password(c->s, NULL, password);
    if (rc != SSH_AUTH_AGAIN)
      return rc;
    if (step_wait(c, deadline, "authentication", timeout, err) < 0)
      return SSH_AUTH_ERROR;
  }
}

/* Keyboard-interactive with the password: each prompt that does not echo is
 * answered with it (the server's PAM asking "Password:"), at most 4 rounds. */
static int auth_kbdint(SshConn *c, const char *password, int timeout, char **err) {
  int64_t deadline = now_ms() + (int64_t)timeout * 1000;
  int rounds = 0;
  for (;;) {
    int rc = ssh_userauth_kbdint(c->s, NULL, NULL);
    if (rc == SSH_AUTH_AGAIN) {
      if (step_wait(c, deadline, "authentication", timeout, err) < 0)
        return SSH_AUTH_ERROR;
      continue;
    }
    if (rc != SSH_AUTH_INFO)
      return rc;
    if (++rounds > 4)
      return SSH_AUTH_DENIED;
    int n = ssh_userauth_kbdint_getnprompts(c->s);
    for (int i = 0; i < n; i++) {
      char echo = 0;
      ssh_userauth_kbdint_getprompt(c->s, (unsigned)i, &echo);
      if (ssh_userauth_kbdint_setanswer(c->s, (unsigned)i, echo ? "" : password) < 0)
        return SSH_AUTH_ERROR;
    }
  }
}

/* As OpenSSH: the key file (or the agent for the key when the file is
 * protected by a passphrase), the agent, the default and configured keys,
 * then the password when one is given (keyboard-interactive, then the
 * password method, as OpenSSH's PreferredAuthentications). */
static bool authenticate(SshConn *c, const RtConnParams *p, char **err) {
  int rc = SSH_AUTH_DENIED;
  char *why = NULL;          /* set when a method ran out of time */
  bool key_unreadable = false; /* the key file could not be loaded without a passphrase */
  if (p->key_file) {
    ssh_key key = NULL;
    if (ssh_pki_import_privkey_file(p->key_file, NULL, NULL, NULL, &key) == SSH_OK) {
      rc = auth_try(c, AUTH_KEY, key, NULL, p->timeout, &why);
      ssh_key_free(key);
    } else {
      key_unreadable = true;
    }
  }
  if (rc != SSH_AUTH_SUCCESS && !why && getenv("SSH_AUTH_SOCK"))
    rc = auth_try(c, AUTH_AGENT, NULL, NULL, p->timeout, &why);
  if (rc != SSH_AUTH_SUCCESS && !why && !p->key_file)
    rc = auth_try(c, AUTH_AUTO, NULL, NULL, p->timeout, &why);
  if (rc != SSH_AUTH_SUCCESS && !why && p->password && rc != SSH_AUTH_ERROR) {
    /* the methods the server named when it refused the keys (none tried: both) */
    int offered = ssh_userauth_list(c->s, NULL);
    if (!offered || (offered & SSH_AUTH_METHOD_INTERACTIVE))
      rc = auth_kbdint(c, p->password, p->timeout, &why);
    if (rc != SSH_AUTH_SUCCESS && !why && rc != SSH_AUTH_ERROR &&
        (!offered || (offered & SSH_AUTH_METHOD_PASSWORD)))
      rc = auth_try(c, AUTH_PASSWORD, NULL, p->password, p->timeout, &why);
  }
  if (why) {
    *err = why;
    return false;
  }
  if (rc == SSH_AUTH_SUCCESS)
    return true;
  if (key_unreadable) {
    *err = rt_xasprintf(access(p->key_file, R_OK) == 0
                            ? "Failed to connect to the host via ssh: the private key %s could not "
                              "be loaded: it is protected by a passphrase (add it to ssh-agent) "
                              "or is not a private key"
                            : "Failed to connect to the host via ssh: cannot read private key %s",
                        p->key_file);
    return false;
  }
  int methods = ssh_userauth_list(c->s, NULL);
  RtBuf m = {0};
  if (methods & SSH_AUTH_METHOD_PUBLICKEY)
    rt_buf_puts(&m, "publickey,");
  if (methods & SSH_AUTH_METHOD_PASSWORD)
    rt_buf_puts(&m, "password,");
  if (methods & SSH_AUTH_METHOD_INTERACTIVE)
    rt_buf_puts(&m, "keyboard-interactive,");
  if (m.len)
    m.data[--m.len] = 0;
  *err = rt_xasprintf("Failed to connect to the host via ssh: %s@%s: Permission denied (%s).",
                      p->user ? p->user : "", p->host, m.len ? m.data : "publickey");
  rt_buf_free(&m);
  return false;
}

/* TCP (or the jump's channel), banner and key exchange, then (after the host
 * key check) `command` on a session channel, unless NULL: each nonblocking,
 * each within the connect timeout. */
static bool start_session(SshConn *c, const RtConnParams *p, const char *command, char **err) {
  ssh_set_blocking(c->s, 0);
  int64_t deadline = now_ms() + (int64_t)p->timeout * 1000;
  int rc;
  while ((rc = ssh_connect(c->s)) == SSH_AGAIN)
    if (step_wait(c, deadline, "key exchange", p->timeout, err) < 0)
      return false;
  if (rc != SSH_OK) {
    *err = rt_xasprintf("Failed to connect to the host via ssh: ssh: connect to host %s port %d: %s",
                        c->addr ? c->addr : p->host, c->port, ssh_get_error(c->s));
    return false;
  }
  if (!check_host_key(c, p, err) || !authenticate(c, p, err))
    return false;
  if (command) {
    c->ch = ssh_channel_new(c->s);
    deadline = now_ms() + (int64_t)p->timeout * 1000;
    rc = c->ch ? SSH_AGAIN : SSH_ERROR;
    while (rc == SSH_AGAIN && (rc = ssh_channel_open_session(c->ch)) == SSH_AGAIN)
      if (step_wait(c, deadline, "opening a channel", p->timeout, err) < 0)
        return false;
    if (rc == SSH_OK)
      rc = SSH_AGAIN;
    while (rc == SSH_AGAIN && (rc = ssh_channel_request_exec(c->ch, command)) == SSH_AGAIN)
      if (step_wait(c, deadline, "starting a shell", p->timeout, err) < 0)
        return false;
    if (rc != SSH_OK) {
      *err = rt_xasprintf("Failed to connect to the host via ssh: cannot start a shell on %s: %s",
                          p->host, ssh_get_error(c->s));
      return false;
    }
  }
  ssh_set_blocking(c->s, 1);
  return true;
}

/* A become shell: a second channel of the same session running `command`
 * (the escalation, which then execs /bin/sh), within the connect timeout.
 * A server that refuses the channel (sshd's MaxSessions) gets a second
 * session instead, as OpenSSH's client without a shared master would. */
static RtConn *ssh_spawn(RtConn *conn, const char *command, char **err) {
  SshConn *p = (SshConn *)conn;
  SshConn *c = rt_xcalloc(1, sizeof *c);
  c->sh = p->sh;
  rt_shell_init(&c->sh);
  c->sh.pid = 0;
  c->sh.base.temps = NULL;
  c->sh.base.ntemps = 0;
  c->sh.base.lost = false;
  c->s = p->s;
  c->parent = p;
  c->host = rt_xstrdup(p->host);
  c->port = p->port;
  c->fd = p->fd;
  c->pump_fd = -1;
  c->alive_interval = p->alive_interval;
  c->alive_count = p->alive_count;
  int64_t deadline = now_ms() + 10000;
  ssh_set_blocking(c->s, 0);
  c->ch = ssh_channel_new(c->s);
  int rc = c->ch ? SSH_AGAIN : SSH_ERROR;
  while (rc == SSH_AGAIN && (rc = ssh_channel_open_session(c->ch)) == SSH_AGAIN)
    if (step_wait(c, deadline, "opening a channel", 10, err) < 0)
      goto error;
  if (rc != SSH_OK && ssh_is_connected(c->s)) { /* refused: a session of its own */
    ssh_set_blocking(c->s, 1);
    ssh_channel_free(c->ch);
    free(c->host);
    free(c);
    SshConn *n = conn_open(&p->prm, command, err);
    return n ? &n->sh.base : NULL;
  }
  if (rc == SSH_OK)
    rc = SSH_AGAIN;
  while (rc == SSH_AGAIN && (rc = ssh_channel_request_exec(c->ch, command)) == SSH_AGAIN)
    if (step_wait(c, deadline, "starting a shell", 10, err) < 0)
      goto error;
  ssh_set_blocking(c->s, 1);
  if (rc != SSH_OK) {
    *err = rt_xasprintf("Failed to connect to the host via ssh: cannot start a shell on %s: %s", c->host,
                        ssh_get_error(c->s));
    goto error;
  }
  watch_register(c);
  return &c->sh.base;
error:
  ssh_set_blocking(c->s, 1);
  if (c->ch)
    ssh_channel_free(c->ch);
  free(c->host);
  free(c);
  return NULL;
}

/* ---- parameters ------------------------------------------------------------------------ */

static char *dup_or_null(const char *s) { return s ? rt_xstrdup(s) : NULL; }

static void params_copy(RtConnParams *d, const RtConnParams *p) {
  *d = *p;
  d->host = dup_or_null(p->host);
  d->user = dup_or_null(p->user);
  d->key_file = dup_or_null(p->key_file);
  d->password = dup_or_null(p->password);
  d->ssh_config = dup_or_null(p->ssh_config);
  d->proxy_jump = dup_or_null(p->proxy_jump);
  d->proxy_command = dup_or_null(p->proxy_command);
  d->known_hosts = dup_or_null(p->known_hosts);
}

static void params_free(RtConnParams *p) {
  if (p->password) { /* no copy of a password outlives its connection */
    volatile char *q = (char *)p->password;
    while (*q)
      *q++ = 0;
  }
  free((char *)p->host);
  free((char *)p->user);
  free((char *)p->key_file);
  free((char *)p->password);
  free((char *)p->ssh_config);
  free((char *)p->proxy_jump);
  free((char *)p->proxy_command);
  free((char *)p->known_hosts);
  memset(p, 0, sizeof *p);
}

/* libssh 0.10 turns an ssh config's ProxyJump into the ProxyCommand
 * "ssh [-l USER] [-p PORT] [-J REST] -W '[%h]:%p' HOST"; the jump spec back
 * ("REST,USER@HOST:PORT"), or NULL for a ProxyCommand of another form. */
static char *jump_from_command(const char *cmd) {
  if (strncmp(cmd, "ssh ", 4) != 0 || !strstr(cmd, " -W '[%h]:%p' "))
    return NULL;
  char *user = NULL, *port = NULL, *rest = NULL, *host = NULL;
  char *copy = rt_xstrdup(cmd), *save = NULL;
  for (char *t = strtok_r(copy + 4, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
    if (!strcmp(t, "-l"))
      user = strtok_r(NULL, " ", &save);
    else if (!strcmp(t, "-p"))
      port = strtok_r(NULL, " ", &save);
    else if (!strcmp(t, "-J"))
      rest = strtok_r(NULL, " ", &save);
    else if (!strcmp(t, "-W"))
      strtok_r(NULL, " ", &save);
    else
      host = t;
  }
  char *spec = host ? rt_xasprintf("%s%s%s%s%s%s%s", rest ? rest : "", rest ? "," : "",
                                   user ? user : "", user ? "@" : "", host, port ? ":" : "",
                                   port ? port : "")
                    : NULL;
  free(copy);
  return spec;
}

/* ---- ProxyJump ------------------------------------------------------------------------- */

static int send_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Moves bytes between the socketpair and the jump's channel until either
 * side ends or the connection closes. */
static void *pump_loop(void *arg) {
  SshConn *c = arg;
  quiet_libssh();
  ssh_session js = c->jump->s;
  char buf[32768];
  while (!__atomic_load_n(&c->pump_stop, __ATOMIC_SEQ_CST)) {
    struct pollfd pf[2] = {{c->pump_fd, POLLIN, 0}, {ssh_get_fd(js), POLLIN, 0}};
    poll(pf, 2, RT_SHELL_TICK_MS);
    if (pf[0].revents) {
      ssize_t n = recv(c->pump_fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        break;
      if (n > 0 && ssh_channel_write(c->fwd, buf, (uint32_t)n) != n)
        break;
    }
    int n;
    while ((n = ssh_channel_read_nonblocking(c->fwd, buf, sizeof buf, 0)) > 0)
      if (send_all(c->pump_fd, buf, (size_t)n) < 0)
        goto done;
    if (n == SSH_ERROR || ssh_channel_is_eof(c->fwd) || !ssh_channel_is_open(c->fwd))
      break;
  }
done:
  shutdown(c->pump_fd, SHUT_RDWR);
  return NULL;
}

/* Connects to the last hop of `spec` (through the hops before it) and opens
 * a channel from it to c's host, which c's session then runs over. */
static bool jump_open(SshConn *c, const RtConnParams *p, const char *spec, char **err) {
  char *hops = rt_xstrdup(spec);
  char *last = strrchr(hops, ','), *hop = last ? last + 1 : hops;
  if (last)
    *last = 0;
  RtConnParams jp = *p; /* the jump host: its own ssh config entry, no target's key or password */
  jp.user = NULL;
  jp.port = 0;
  jp.key_file = NULL;
  jp.password = NULL;
  jp.proxy_command = NULL;
  jp.proxy_jump = last ? hops : NULL; /* one hop: its own config's jump, as `ssh -W` takes it */
  char *at = strchr(hop, '@');
  if (at) {
    *at = 0;
    jp.user = hop;
    hop = at + 1;
  }
  char *colon = strrchr(hop, ':');
  if (colon) {
    *colon = 0;
    jp.port = atoi(colon + 1);
  }
  jp.host = hop;
  char *target = NULL;
  unsigned int tport = 22;
  bool ok = false;
  static __thread int depth; /* hops being opened by this thread */
  if (depth >= 8) {
    *err = rt_xasprintf("Failed to connect to the host via ssh: more than 8 jump hosts on the way "
                        "to %s (does a ProxyJump lead back to itself?)",
                        p->host);
    goto out;
  }
  depth++;
  c->jump = conn_open(&jp, NULL, err);
  depth--;
  if (!c->jump)
    goto out;
  if (ssh_options_get(c->s, SSH_OPTIONS_HOST, &target) != SSH_OK ||
      ssh_options_get_port(c->s, &tport) != SSH_OK) {
    *err = rt_xasprintf("Failed to connect to the host via ssh: no address for %s", p->host);
    goto out;
  }
  c->fwd = ssh_channel_new(c->jump->s);
  int64_t deadline = now_ms() + (int64_t)p->timeout * 1000;
  ssh_set_blocking(c->jump->s, 0);
  int rc = c->fwd ? SSH_AGAIN : SSH_ERROR;
  while (rc == SSH_AGAIN &&
         (rc = ssh_channel_open_forward(c->fwd, target, (int)tport, "127.0.0.1", 0)) == SSH_AGAIN)
    if (step_wait(c->jump, deadline, "opening a channel", p->timeout, err) < 0)
      goto out;
  ssh_set_blocking(c->jump->s, 1);
  if (rc != SSH_OK) {
    *err = rt_xasprintf("Failed to connect to the host via ssh: the jump host %s could not reach "
                        "%s port %u: %s",
                        jp.host, target, tport, ssh_get_error(c->jump->s));
    goto out;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    *err = rt_xasprintf("Failed to connect to the host via ssh: socketpair: %s", strerror(errno));
    goto out;
  }
  ssh_options_set(c->s, SSH_OPTIONS_FD, &sv[0]); /* the session closes it */
  c->pump_fd = sv[1];
  if (pthread_create(&c->pump, NULL, pump_loop, c) != 0)
    rt_panic(__FILE__, __LINE__, "pthread_create");
  c->pumping = true;
  ok = true;
out:
  ssh_string_free_char(target);
  free(hops);
  return ok;
}

/* ---- opening ---------------------------------------------------------------------------- */

/* A session to p's host: the ssh config for it, p's explicit values over
 * the config's, a jump host or proxy command, authenticated, with `command`
 * running on a channel (NULL: none). */
static SshConn *conn_open(const RtConnParams *p, const char *command, char **err) {
  pthread_once(&init_once, init_libssh);
  quiet_libssh();
  SshConn *c = rt_xcalloc(1, sizeof *c);
  c->sh.base.ops = &ssh_ops;
  c->sh.write = ssh_write_all;
  c->sh.read = ssh_read_some;
  c->sh.idle = ssh_idle;
  c->sh.stop = ssh_stop;
  c->host = rt_xstrdup(p->host);
  c->fd = -1;
  c->pump_fd = -1;
  c->alive_interval = p->alive_interval;
  c->alive_count = p->alive_count;
  params_copy(&c->prm, p);
  rt_shell_init(&c->sh);
  char *jump = NULL;
  c->s = ssh_new();
  if (!c->s) {
    *err = rt_xstrdup("Failed to connect to the host via ssh: out of memory");
    goto error;
  }
  bool no = false;
  ssh_options_set(c->s, SSH_OPTIONS_PROCESS_CONFIG, &no); /* only the files named here */
  ssh_options_set(c->s, SSH_OPTIONS_HOST, p->host);
  if (p->port > 0) { /* explicit values first: the config's then leave them alone */
    unsigned int port = (unsigned int)p->port;
    ssh_options_set(c->s, SSH_OPTIONS_PORT, &port);
  }
  if (p->user)
    ssh_options_set(c->s, SSH_OPTIONS_USER, p->user);
  if (p->ssh_config && access(p->ssh_config, R_OK) == 0 &&
      ssh_options_parse_config(c->s, p->ssh_config) != 0) {
    *err = rt_xasprintf("Failed to connect to the host via ssh: cannot parse %s", p->ssh_config);
    goto error;
  }
  if (p->system_config && access("/etc/ssh/ssh_config", R_OK) == 0)
    ssh_options_parse_config(c->s, "/etc/ssh/ssh_config");
  int nolog = SSH_LOG_NOLOG; /* a config's LogLevel is OpenSSH's, not ours */
  ssh_options_set(c->s, SSH_OPTIONS_LOG_VERBOSITY, &nolog);
  if (p->port > 0) { /* and again, over a config that sets them anyway */
    unsigned int port = (unsigned int)p->port;
    ssh_options_set(c->s, SSH_OPTIONS_PORT, &port);
  }
  if (p->user)
    ssh_options_set(c->s, SSH_OPTIONS_USER, p->user);
  unsigned int port = 22;
  ssh_options_get_port(c->s, &port);
  c->port = (int)port;
  char *addr = NULL;
  if (ssh_options_get(c->s, SSH_OPTIONS_HOST, &addr) == SSH_OK && addr)
    c->addr = rt_xstrdup(addr);
  ssh_string_free_char(addr);
  if (!c->prm.user) { /* for messages: the user the config or the account gives */
    char *u = NULL;
    if (ssh_options_get(c->s, SSH_OPTIONS_USER, &u) == SSH_OK)
      c->prm.user = rt_xstrdup(u);
    ssh_string_free_char(u);
  }
  /* blocking libssh calls (SFTP, a write waiting for the channel window)
   * wait as long as the watchdog allows, no longer */
  long block_timeout = c->alive_interval > 0 ? (long)(dead_ms(c) / 1000) : 0;
  ssh_options_set(c->s, SSH_OPTIONS_TIMEOUT, &block_timeout);
  if (p->known_hosts)
    ssh_options_set(c->s, SSH_OPTIONS_KNOWNHOSTS, p->known_hosts);
  /* the jump host: given, else the config's (as libssh 0.10 left it) */
  char *pc = NULL;
  if (ssh_options_get(c->s, SSH_OPTIONS_PROXYCOMMAND, &pc) == SSH_OK && pc) {
    jump = jump_from_command(pc);
    if (jump || p->proxy_jump || p->proxy_command) /* ours replaces it */
      ssh_options_set(c->s, SSH_OPTIONS_PROXYCOMMAND, "none");
  }
  ssh_string_free_char(pc);
  if (p->proxy_jump) {
    free(jump);
    jump = rt_xstrdup(p->proxy_jump);
  }
  if (jump && !strcasecmp(jump, "none")) {
    free(jump);
    jump = NULL;
  }
  if (!jump && p->proxy_command && strcasecmp(p->proxy_command, "none"))
    ssh_options_set(c->s, SSH_OPTIONS_PROXYCOMMAND, p->proxy_command);
  ssh_set_counters(c->s, &c->tx, &c->rx);
  if (jump && !jump_open(c, &c->prm, jump, err))
    goto error;
  if (!start_session(c, &c->prm, command, err))
    goto error;
  free(jump);
  c->fd = ssh_get_fd(c->s);
  watch_register(c);
  return c;
error:
  free(jump);
  c->sh.base.lost = true; /* nothing to close gracefully */
  ssh_close_conn(&c->sh.base);
  return NULL;
}

RtConn *rt_conn_ssh_open(const RtConnParams *p, char **err) {
  SshConn *c = conn_open(p, "exec /bin/sh", err);
  return c ? &c->sh.base : NULL;
}
