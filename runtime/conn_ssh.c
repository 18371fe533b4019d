/*
 * conn_ssh.c — the SSH connection (libssh 0.10): one authenticated session
 * per host for the whole run, one channel running /bin/sh framed by conn.c,
 * and SFTP on the same session for file bodies. Host keys are checked
 * against known_hosts (strict by default; accept-new and off only when asked).
 *
 * An interrupt stops the request in flight: a "signal" channel request (sshd
 * runs the session's command after setsid() and kills the process group on
 * it), and for servers that ignore it, `kill` of the shell's process group
 * from a second channel; TERM first (request scripts remove their temp files
 * on it), KILL for what ignores TERM.
 *
 * A session is used by one thread at a time (the scheduler hands a host to
 * one worker), as libssh's threading rules require; ssh_init runs once.
 */
#include "conn_shell.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct SshConn {
  RtShell sh;
  ssh_session s;
  ssh_channel ch;
  sftp_session sftp;
  char *host;
} SshConn;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void init_libssh(void) {
  ssh_init();
}

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The message for a failed libssh call; the connection is lost. */
static char *ssh_failure(SshConn *c) {
  c->sh.base.lost = true;
  return rt_xasprintf("Failed to connect to the host via ssh: %s", ssh_get_error(c->s));
}

/* ---- the shell channel ----------------------------------------------------------- */

static int ssh_write_all(RtShell *sh, const char *buf, size_t len, char **err) {
  SshConn *c = (SshConn *)sh;
  while (len > 0) {
    if (rt_interrupted()) {
      *err = rt_xstrdup("interrupted");
      return -1;
    }
    int n = ssh_channel_write(c->ch, buf, (uint32_t)len);
    if (n == SSH_ERROR) {
      *err = ssh_failure(c);
      return -1;
    }
    if (n > 0) { /* (0: the window stayed shut for the session timeout; go on waiting) */
      buf += n;
      len -= (size_t)n;
    }
  }
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

static int sftp_ready(SshConn *c, char **err) {
  if (c->sftp)
    return 0;
  c->sftp = sftp_new(c->s);
  int ok = c->sftp && sftp_init(c->sftp) == SSH_OK;
  if (!ok) {
    *err = sftp_failure(c, "start SFTP for", "files");
    if (c->sftp)
      sftp_free(c->sftp);
    c->sftp = NULL;
    return -1;
  }
  return 0;
}

/* An SFTP failure: the server's refusal, or the connection lost (socket
 * error), which then marks it lost. */
static char *sftp_failure(SshConn *c, const char *what, const char *path) {
  if (!ssh_is_connected(c->s)) {
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
  sftp_file f = sftp_open(c->sftp, path, O_WRONLY | O_CREAT | O_TRUNC, (mode_t)mode);
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
    ssize_t n = sftp_write(f, p, chunk);
    if (n < 0) {
      *err = sftp_failure(c, "write", path);
      goto error;
    }
    p += n;
    len -= (size_t)n;
  }
  int rc = sftp_close(f);
  if (rc != SSH_OK) {
    *err = sftp_failure(c, "write", path);
    return -1;
  }
  return 0;
error:
  if (!c->sh.base.lost) {
    sftp_close(f);
  }
  return -1;
}

static int ssh_remove(RtConn *conn, const char *path, char **err) {
  SshConn *c = (SshConn *)conn;
  if (sftp_ready(c, err) < 0)
    return -1;
  int rc = sftp_unlink(c->sftp, path);
  if (rc < 0 && sftp_get_error(c->sftp) != SSH_FX_NO_SUCH_FILE) {
    *err = sftp_failure(c, "remove", path);
    return -1;
  }
  return 0;
}

static void ssh_close_conn(RtConn *conn) {
  SshConn *c = (SshConn *)conn;
  bool lost = c->sh.base.lost;
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
  free(c->host);
  free(c);
}

static const RtConnOps ssh_ops = {ssh_exec, ssh_put, ssh_remove, ssh_close_conn};

/* ---- connecting ------------------------------------------------------------------------ */

/* Checks the server's key against known_hosts per the policy. */
static bool check_host_key(SshConn *c, const RtConnParams *p, char **err) {
  enum ssh_known_hosts_e st = ssh_session_is_known_server(c->s);
  switch (st) {
  case SSH_KNOWN_HOSTS_OK:
    return true;
  case SSH_KNOWN_HOSTS_CHANGED:
  case SSH_KNOWN_HOSTS_OTHER:
    if (p->host_key_checking == RT_HKC_OFF)
      return true;
    *err = rt_xasprintf("Failed to connect to the host via ssh: host key verification failed: "
                        "the host key for %s (port %d) has CHANGED; this may be a "
                        "man-in-the-middle attack. Remove the old key from known_hosts if the "
                        "change is expected.",
                        p->host, p->port);
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
    *err = rt_xasprintf("Failed to connect to the host via ssh: host key verification failed: "
                        "%s (port %d) is not in known_hosts. Add its key, or run with "
                        "--host-key-checking=accept-new to record it on first use.",
                        p->host, p->port);
    return false;
  case SSH_KNOWN_HOSTS_ERROR:
  default:
    *err = rt_xasprintf("Failed to connect to the host via ssh: %s", ssh_get_error(c->s));
    return false;
  }
}

static bool authenticate(SshConn *c, const RtConnParams *p, char **err) {
  int rc = SSH_AUTH_DENIED;
  if (p->key_file) {
    ssh_key key = NULL;
    if (ssh_pki_import_privkey_file(p->key_file, NULL, NULL, NULL, &key) != SSH_OK) {
      *err = rt_xasprintf("Failed to connect to the host via ssh: cannot read private key %s",
                          p->key_file);
      return false;
    }
    rc = ssh_userauth_publickey(c->s, NULL, key);
    ssh_key_free(key);
  }
  if (rc != SSH_AUTH_SUCCESS && getenv("SSH_AUTH_SOCK"))
    rc = ssh_userauth_agent(c->s, NULL);
  if (rc != SSH_AUTH_SUCCESS && !p->key_file)
    rc = ssh_userauth_publickey_auto(c->s, NULL, NULL);
  if (rc != SSH_AUTH_SUCCESS) {
    *err = rt_xasprintf("Failed to connect to the host via ssh: %s@%s: Permission denied "
                        "(publickey).",
                        p->user, p->host);
    return false;
  }
  return true;
}

RtConn *rt_conn_ssh_open(const RtConnParams *p, char **err) {
  pthread_once(&init_once, init_libssh);
  SshConn *c = rt_xcalloc(1, sizeof *c);
  c->sh.base.ops = &ssh_ops;
  c->sh.write = ssh_write_all;
  c->sh.read = ssh_read_some;
  c->sh.stop = ssh_stop;
  c->host = rt_xstrdup(p->host);
  rt_shell_init(&c->sh);
  c->s = ssh_new();
  if (!c->s) {
    *err = rt_xstrdup("Failed to connect to the host via ssh: out of memory");
    goto error;
  }
  unsigned int port = (unsigned int)p->port;
  long timeout = p->timeout;
  ssh_options_set(c->s, SSH_OPTIONS_HOST, p->host);
  ssh_options_set(c->s, SSH_OPTIONS_PORT, &port);
  ssh_options_set(c->s, SSH_OPTIONS_USER, p->user);
  ssh_options_set(c->s, SSH_OPTIONS_TIMEOUT, &timeout);
  if (p->known_hosts)
    ssh_options_set(c->s, SSH_OPTIONS_KNOWNHOSTS, p->known_hosts);
  if (ssh_connect(c->s) != SSH_OK) {
    *err = rt_xasprintf("Failed to connect to the host via ssh: ssh: connect to host %s port %d: %s",
                        p->host, p->port, ssh_get_error(c->s));
    goto error;
  }
  if (!check_host_key(c, p, err) || !authenticate(c, p, err))
    goto error;
  c->ch = ssh_channel_new(c->s);
  if (!c->ch || ssh_channel_open_session(c->ch) != SSH_OK ||
      ssh_channel_request_exec(c->ch, "exec /bin/sh") != SSH_OK) {
    *err = rt_xasprintf("Failed to connect to the host via ssh: cannot start a shell on %s: %s",
                        p->host, ssh_get_error(c->s));
    goto error;
  }
  return &c->sh.base;
error:
  c->sh.base.lost = true; /* nothing to close gracefully */
  ssh_close_conn(&c->sh.base);
  return NULL;
}
