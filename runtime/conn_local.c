/*
 * conn_local.c — `connection: local`: a persistent local /bin/sh child with
 * three pipes, framed by conn.c exactly like the SSH shell, so both paths run
 * the same module scripts. File bodies are written with plain file IO.
 *
 * The shell leads its own session (setsid), so the terminal's ^C reaches only
 * the controller, which decides: an interrupt kills the shell's process group
 * (TERM, then KILL for what ignores it), which holds every command it runs.
 */
#include "conn_shell.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

typedef struct LocalConn {
  RtShell sh;
  pid_t pid; /* the shell, leader of its session and process group */
  int in, out, err;
} LocalConn;

static int local_write(RtShell *s, const char *buf, size_t len, char **err) {
  LocalConn *c = (LocalConn *)s;
  while (len > 0) {
    ssize_t n = write(c->in, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *err = rt_xasprintf("write to local shell: %s", strerror(errno));
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static long local_read(RtShell *s, bool want_out, bool want_err, int *stream, char *buf,
                       size_t cap, char **err) {
  LocalConn *c = (LocalConn *)s;
  struct pollfd p[2] = {{want_out ? c->out : -1, POLLIN, 0}, {want_err ? c->err : -1, POLLIN, 0}};
  int r = poll(p, 2, RT_SHELL_TICK_MS);
  if (r == 0 || (r < 0 && errno == EINTR))
    return RT_SHELL_IDLE;
  if (r < 0) {
    *err = rt_xasprintf("poll: %s", strerror(errno));
    return -1;
  }
  for (int i = 0; i < 2; i++) {
    if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
      continue;
    ssize_t n = read(p[i].fd, buf, cap);
    if (n < 0 && errno == EINTR)
      return RT_SHELL_IDLE;
    if (n < 0) {
      *err = rt_xasprintf("read from local shell: %s", strerror(errno));
      return -1;
    }
    *stream = i;
    return (long)n;
  }
  return RT_SHELL_IDLE;
}

/* The shell's process group holds every command it runs: TERM at levels 0
 * and 1 (request scripts remove their temp files on it), KILL at level 2. */
static void local_stop(RtShell *s, int level) {
  LocalConn *c = (LocalConn *)s;
  kill(-c->pid, level < 2 ? SIGTERM : SIGKILL);
}

static int local_exec(RtConn *conn, const char *script, const char *in, size_t inlen, RtExec *res,
                      char **err) {
  return rt_shell_exec((RtShell *)conn, script, in, inlen, res, err);
}

/* Writes `path` (the copy module writes a temp name, then renames). */
static int local_put(RtConn *conn, const char *path, const void *data, size_t len, int mode,
                     char **err) {
  (void)conn;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    *err = rt_xasprintf("could not write %s: %s", path, strerror(errno));
    return -1;
  }
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *err = rt_xasprintf("could not write %s: %s", path, strerror(errno));
      close(fd);
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  fchmod(fd, (mode_t)mode);
  if (close(fd) < 0) {
    *err = rt_xasprintf("could not write %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

static int local_remove(RtConn *conn, const char *path, char **err) {
  (void)conn;
  if (unlink(path) < 0 && errno != ENOENT) {
    *err = rt_xasprintf("could not remove %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

/* Reads `path` whole (the file-content modules' large bodies). */
static int local_get(RtConn *conn, const char *path, RtBuf *out, char **err) {
  (void)conn;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = rt_xasprintf("could not read %s: %s", path, strerror(errno));
    return -1;
  }
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *err = rt_xasprintf("could not read %s: %s", path, strerror(errno));
      close(fd);
      return -1;
    }
    if (n == 0)
      break;
    rt_buf_add(out, buf, (size_t)n);
  }
  close(fd);
  if (!out->data)
    rt_buf_add(out, "", 0);
  return 0;
}

static void local_close(RtConn *conn) {
  LocalConn *c = (LocalConn *)conn;
  close(c->in);
  close(c->out);
  close(c->err);
  int st;
  while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR) {
  }
  free(c);
}

static RtConn *local_spawn(RtConn *conn, const char *command, char **err);
/* Milliseconds left before `deadline` (CLOCK_MONOTONIC ms), at least 0. */
static int tcp_left(int64_t deadline) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t left = deadline - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
  return left > 0 ? (int)left : 0;
}

/* Python's socket error for errno `e`: "(ClassName): [Errno N] text". */
static char *tcp_error(int e) {
  const char *cls = e == ECONNREFUSED ? "ConnectionRefusedError" : e == ECONNRESET ? "ConnectionResetError" : "OSError";
  return rt_xasprintf("(%s): [Errno %d] %s", cls, e, strerror(e));
}

/* Waits for `ev` on fd until the deadline: 0, or -1 with *err (dnspython's
 * Timeout). */
static int tcp_wait(int fd, short ev, int64_t deadline, char **err) {
  struct pollfd p = {fd, ev, 0};
  int rc;
  while ((rc = poll(&p, 1, tcp_left(deadline))) < 0 && errno == EINTR)
    ;
  if (rc <= 0) {
    *err = rt_xstrdup("(Timeout): The DNS operation timed out.");
    return -1;
  }
  return 0;
}

/* A socket of this machine: the target's network is the controller's. */
static int local_tcp(RtConn *c, const char *addr, int port, const void *msg, size_t len, int timeout, RtBuf *reply,
                     char **err) {
  (void)c;
  struct sockaddr_storage sa = {0};
  socklen_t salen;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;
  if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET, v4->sin_port = htons((uint16_t)port), salen = sizeof *v4;
  } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6, v6->sin6_port = htons((uint16_t)port), salen = sizeof *v6;
  } else {
    *err = rt_xasprintf("(ValueError): '%s' is not an IP address", addr);
    return -1;
  }
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + (int64_t)timeout * 1000;
  int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *err = tcp_error(errno);
    return -1;
  }
  int rc = -1, e = 0;
  socklen_t elen = sizeof e;
  if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
    if (errno != EINPROGRESS) {
      *err = tcp_error(errno);
      goto out;
    }
    if (tcp_wait(fd, POLLOUT, deadline, err) < 0)
      goto out;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0 || e) {
      *err = tcp_error(e ? e : errno);
      goto out;
    }
  }
  unsigned char *out = rt_xmalloc(len + 2);
  out[0] = (unsigned char)(len >> 8), out[1] = (unsigned char)len;
  memcpy(out + 2, msg, len);
  for (size_t off = 0; off < len + 2;) {
    ssize_t n = send(fd, out + off, len + 2 - off, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (tcp_wait(fd, POLLOUT, deadline, err) < 0) {
        free(out);
        goto out;
      }
      continue;
    }
    if (n < 0) {
      *err = tcp_error(errno);
      free(out);
      goto out;
    }
    off += (size_t)n;
  }
  free(out);
  unsigned char hdr[2];
  size_t want = 2, got = 0;
  unsigned char *body = hdr;
  for (int part = 0; part < 2; part++) {
    while (got < want) {
      ssize_t n = recv(fd, body + got, want - got, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (tcp_wait(fd, POLLIN, deadline, err) < 0)
          goto out;
        continue;
      }
      if (n <= 0) { /* dnspython's EOFError */
        *err = n < 0 ? tcp_error(errno) : rt_xstrdup("(EOFError): EOF");
        goto out;
      }
      got += (size_t)n;
    }
    if (part == 0) {
      want = (size_t)hdr[0] << 8 | hdr[1], got = 0;
      body = rt_xmalloc(want ? want : 1);
    }
  }
  rt_buf_add(reply, (const char *)body, want);
  free(body);
  rc = 0;
out:
  close(fd);
  return rc;
}

static const RtConnOps local_ops = {local_exec, local_put, local_remove, local_close, local_spawn, local_get, local_tcp};

static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;
/* A shell that died must surface as EPIPE (host unreachable), not kill the run. */
static void ignore_sigpipe(void) {
  struct sigaction sa = {0};
  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
    signal(SIGPIPE, SIG_IGN);
}

/* A shell child running `command` with sh -c (NULL: /bin/sh itself). */
static RtConn *local_start(const char *command, char **err) {
  pthread_once(&sigpipe_once, ignore_sigpipe);
  int pin[2], pout[2], perr[2];
  if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
    *err = rt_xasprintf("pipe: %s", strerror(errno));
    return NULL;
  }
  pid_t pid = fork();
  if (pid < 0) {
    *err = rt_xasprintf("fork: %s", strerror(errno));
    return NULL;
  }
  if (pid == 0) { /* only async-signal-safe calls until exec */
    setsid();
    rt_interrupt_child();
    dup2(pin[0], 0);
    dup2(pout[1], 1);
    dup2(perr[1], 2);
    if (command)
      execl("/bin/sh", "sh", "-c", command, (char *)NULL);
    else
      execl("/bin/sh", "sh", (char *)NULL);
    _exit(127);
  }
  close(pin[0]);
  close(pout[1]);
  close(perr[1]);
  LocalConn *c = rt_xcalloc(1, sizeof *c);
  c->sh.base.ops = &local_ops;
  c->sh.write = local_write;
  c->sh.read = local_read;
  c->sh.stop = local_stop;
  rt_shell_init(&c->sh);
  c->pid = pid;
  c->in = pin[1];
  c->out = pout[0];
  c->err = perr[0];
  return &c->sh.base;
}

RtConn *rt_conn_local_open(char **err) { return local_start(NULL, err); }

/* A become shell: another local child running the escalation command. */
static RtConn *local_spawn(RtConn *conn, const char *command, char **err) {
  (void)conn;
  return local_start(command, err);
}
