/*
 * conn_ssh.c — the SSH connection (libssh 0.10): one authenticated session
 * per host for the whole run, one channel running /bin/sh framed by conn.c,
 * and SFTP on the same session for file bodies. Host keys are checked
 * against known_hosts (strict by default; accept-new and off only when asked).
 *
 * A session is used by one thread at a time (the scheduler hands a host to
 * one worker), as libssh's threading rules require; ssh_init runs once.
 */
#include "conn_shell.h"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <stdlib.h>
#include <string.h>

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

static int ssh_write_all(RtShell *sh, const char *buf, size_t len, char **err) {
  SshConn *c = (SshConn *)sh;
  while (len > 0) {
    int n = ssh_channel_write(c->ch, buf, (uint32_t)len);
    if (n == SSH_ERROR) {
      *err = rt_xasprintf("Failed to connect to the host via ssh: %s", ssh_get_error(c->s));
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static long ssh_read_some(RtShell *sh, bool want_out, bool want_err, int *stream, char *buf,
                          size_t cap, char **err) {
  SshConn *c = (SshConn *)sh;
  for (;;) {
    for (int is_err = 0; is_err < 2; is_err++) {
      if (is_err ? !want_err : !want_out)
        continue;
      int n = ssh_channel_read_nonblocking(c->ch, buf, (uint32_t)cap, is_err);
      if (n == SSH_ERROR) {
        *err = rt_xasprintf("Failed to connect to the host via ssh: %s", ssh_get_error(c->s));
        return -1;
      }
      if (n > 0) {
        *stream = is_err;
        return n;
      }
    }
    if (ssh_channel_is_eof(c->ch))
      return 0;
    /* wait for data on a stream still wanted (also buffers the other one) */
    int r = ssh_channel_poll_timeout(c->ch, 100, want_out ? 0 : 1);
    if (r == SSH_ERROR) {
      *err = rt_xasprintf("Failed to connect to the host via ssh: %s", ssh_get_error(c->s));
      return -1;
    }
  }
}

static int ssh_exec(RtConn *conn, const char *script, const char *in, size_t inlen, RtExec *res,
                    char **err) {
  return rt_shell_exec((RtShell *)conn, script, in, inlen, res, err);
}

static int ssh_put(RtConn *conn, const char *path, const void *data, size_t len, int mode,
                   char **err) {
  SshConn *c = (SshConn *)conn;
  if (!c->sftp) {
    c->sftp = sftp_new(c->s);
    if (!c->sftp || sftp_init(c->sftp) != SSH_OK) {
      *err = rt_xasprintf("SFTP on %s: %s", c->host, ssh_get_error(c->s));
      if (c->sftp)
        sftp_free(c->sftp);
      c->sftp = NULL;
      return -1;
    }
  }
  sftp_file f = sftp_open(c->sftp, path, O_WRONLY | O_CREAT | O_TRUNC, (mode_t)mode);
  if (!f) {
    *err = rt_xasprintf("could not write %s on %s: %s", path, c->host, ssh_get_error(c->s));
    return -1;
  }
  const char *p = data;
  while (len > 0) {
    size_t chunk = len > 32768 ? 32768 : len;
    ssize_t n = sftp_write(f, p, chunk);
    if (n < 0) {
      *err = rt_xasprintf("could not write %s on %s: %s", path, c->host, ssh_get_error(c->s));
      sftp_close(f);
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  sftp_close(f);
  return 0;
}

static void ssh_close_conn(RtConn *conn) {
  SshConn *c = (SshConn *)conn;
  if (c->sftp)
    sftp_free(c->sftp);
  if (c->ch) {
    ssh_channel_send_eof(c->ch);
    ssh_channel_close(c->ch);
    ssh_channel_free(c->ch);
  }
  if (c->s) {
    ssh_disconnect(c->s);
    ssh_free(c->s);
  }
  free(c->host);
  free(c);
}

static const RtConnOps ssh_ops = {ssh_exec, ssh_put, ssh_close_conn};

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
  ssh_close_conn(&c->sh.base);
  return NULL;
}
