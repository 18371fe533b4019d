/*
 * vault_secrets.c — where vault passwords come from, as Ansible's
 * setup_vault_secrets gathers them for ansible-playbook and ansible-vault:
 * --vault-id label@source (a file, an executable, or "prompt"),
 * --vault-password-file, --ask-vault-pass, and the environment variables
 * that stand for them. Each source is tried in Ansible's order; one that
 * fails is a warning worded as Ansible's while another works, and the last
 * failure is the error when none does.
 *
 * A password is read only into buffers this file owns (read(2), never
 * stdio, whose buffers would keep a copy) and every one is wiped before it
 * is freed. It never goes on a command line or into an environment: a
 * password script receives at most `--vault-id LABEL`. The terminal prompt
 * turns echo off and restores it even when Ctrl-C interrupts it.
 */
#include "vault.h"
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

/* ---- Python's texts ------------------------------------------------------ */

char *rt_vault_pyrepr(const char *s, size_t len, bool bytes) {
  bool sq = memchr(s, '\'', len) != NULL, dq = memchr(s, '"', len) != NULL;
  char q = sq && !dq ? '"' : '\'';
  char *out = rt_vault_xmalloc(4 * len + 4), *o = out;
  if (bytes)
    *o++ = 'b';
  *o++ = q;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == (unsigned char)q || c == '\\') {
      *o++ = '\\';
      *o++ = (char)c;
    } else if (c == '\n' || c == '\r' || c == '\t') {
      *o++ = '\\';
      *o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
    } else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
      o += sprintf(o, "\\x%02x", c);
    } else {
      *o++ = (char)c; /* str repr keeps printable non-ASCII as it is */
    }
  }
  *o++ = q;
  *o = 0;
  return out;
}

char *rt_vault_oserror(int errnum, const char *path) {
  char *r = rt_vault_pyrepr(path, strlen(path), false);
  char *m = rt_vault_xasprintf("[Errno %d] %s: %s", errnum, strerror(errnum), r);
  free(r);
  return m;
}

/* ---- paths ----------------------------------------------------------------- */

/* A growable string for paths and messages (never for secrets). */
typedef struct VsStr {
  char *s;
  size_t len, cap;
} VsStr;

static void vs_add(VsStr *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *d = rt_vault_xmalloc(cap);
    if (b->len)
      memcpy(d, b->s, b->len);
    free(b->s);
    b->s = d;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

/* posixpath.expanduser: a leading ~ or ~user. */
static char *vs_expanduser(const char *p) {
  if (p[0] != '~')
    return rt_vault_xasprintf("%s", p);
  const char *slash = strchr(p, '/');
  size_t n = slash ? (size_t)(slash - p) : strlen(p);
  const char *home = NULL;
  if (n == 1) {
    home = getenv("HOME");
    if (!home) {
      struct passwd *pw = getpwuid(getuid());
      home = pw ? pw->pw_dir : NULL;
    }
  } else {
    char *user = rt_vault_xasprintf("%.*s", (int)(n - 1), p + 1);
    struct passwd *pw = getpwnam(user);
    free(user);
    home = pw ? pw->pw_dir : NULL;
  }
  if (!home)
    return rt_vault_xasprintf("%s", p);
  size_t hl = strlen(home);
  while (hl > 1 && home[hl - 1] == '/')
    hl--;
  return rt_vault_xasprintf("%.*s%s", (int)hl, home, p + n);
}

/* posixpath.normpath of an absolute path. */
static char *vs_normpath(const char *p) {
  size_t n = strlen(p);
  char *out = rt_vault_xmalloc(n + 2);
  size_t *starts = rt_vault_xmalloc((n + 1) * sizeof *starts);
  size_t depth = 0, len = 0;
  bool two = p[0] == '/' && p[1] == '/' && p[2] != '/';
  out[len++] = '/';
  if (two)
    out[len++] = '/';
  size_t root = len;
  for (const char *c = p; *c;) {
    while (*c == '/')
      c++;
    const char *e = c;
    while (*e && *e != '/')
      e++;
    size_t cl = (size_t)(e - c);
    if (cl == 0 || (cl == 1 && c[0] == '.')) {
      /* skip */
    } else if (cl == 2 && c[0] == '.' && c[1] == '.') {
      if (depth)
        len = starts[--depth];
    } else {
      starts[depth++] = len;
      if (len > root)
        out[len++] = '/';
      memcpy(out + len, c, cl);
      len += cl;
    }
    c = e;
  }
  out[len] = 0;
  free(starts);
  return out;
}

char *rt_vault_unfrack(const char *path) {
  char *x = rt_config_expandvars(path);
  char *u = vs_expanduser(x);
  free(x);
  if (u[0] != '/') {
    char *cwd = getcwd(NULL, 0);
    char *abs = rt_vault_xasprintf("%s/%s", cwd ? cwd : "", u);
    free(cwd);
    free(u);
    u = abs;
  }
  char *n = vs_normpath(u);
  free(u);
  return n;
}

/* ---- reading ---------------------------------------------------------------- */

int rt_vault_read_fd(int fd, size_t cap, char **out, size_t *outlen) {
  size_t len = 0, size = 256;
  char *buf = rt_vault_xmalloc(size);
  for (;;) {
    if (len + 1 == size) {
      if (size > cap + 1) {
        rt_vault_bytes_free(buf, size);
        return EFBIG;
      }
      char *bigger = rt_vault_xmalloc(2 * size);
      memcpy(bigger, buf, len);
      rt_vault_bytes_free(buf, size);
      buf = bigger;
      size *= 2;
    }
    ssize_t n = read(fd, buf + len, size - len - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      rt_vault_bytes_free(buf, size);
      return e;
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  if (len > cap) {
    rt_vault_bytes_free(buf, size);
    return EFBIG;
  }
  buf[len] = 0;
  *out = buf;
  *outlen = len;
  return 0;
}

/* bytes.strip(): all ASCII whitespace; strip(b'\r\n'): CR and LF only. */
static void vs_strip(const char **s, size_t *n, const char *set) {
  while (*n && strchr(set, **s) && **s)
    (*s)++, (*n)--;
  while (*n && strchr(set, (*s)[*n - 1]) && (*s)[*n - 1])
    (*n)--;
}
#define VS_WHITESPACE " \t\n\r\v\f"
#define VS_CRLF "\r\n"

/* ---- warnings and errors ------------------------------------------------------ */

static void vs_warn(const RtVaultSources *src, bool formatted, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void vs_warn(const RtVaultSources *src, bool formatted, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (!msg)
    return;
  if (src->warn)
    src->warn(src->warn_ctx, msg, formatted);
  else
    fprintf(stderr, formatted ? "\n[WARNING]: \n%s\n" : "[WARNING]: %s\n", msg);
  free(msg);
}

/* ---- the terminal ----------------------------------------------------------- */

static volatile sig_atomic_t vs_interrupted;
static void vs_on_sigint(int sig) {
  (void)sig;
  vs_interrupted = 1;
}

static void vs_write(int fd, const char *s) {
  size_t n = strlen(s);
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    s += w;
    n -= (size_t)w;
  }
}

/* How reading a line ended. */
typedef enum VsLine { VS_LINE, VS_EOF, VS_INTERRUPTED } VsLine;

/* Reads bytes of `in` up to "\n" into (*buf, *size, *len), one at a time so
 * nothing past the line is consumed. SIGINT is blocked by the caller and only
 * let through while waiting in ppoll, so a Ctrl-C at any moment ends the wait
 * (a plain read() could start just after the signal and block for good). */
static VsLine vs_read_line(int in, const sigset_t *wait_mask, char **buf, size_t *size,
                           size_t *len) {
  for (;;) {
    if (vs_interrupted)
      return VS_INTERRUPTED;
    struct pollfd pfd = {in, POLLIN, 0};
    if (ppoll(&pfd, 1, NULL, wait_mask) < 0) {
      if (errno == EINTR)
        continue;
      return VS_EOF;
    }
    char c;
    ssize_t n = read(in, &c, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0)
      return VS_EOF;
    if (c == '\n')
      return VS_LINE;
    if (*len + 1 >= *size) {
      if (*size > RT_VAULT_MAX_SECRET)
        continue; /* keep reading to the line's end, drop the excess */
      char *bigger = rt_vault_xmalloc(2 * *size);
      memcpy(bigger, *buf, *len);
      rt_vault_bytes_free(*buf, *size);
      *buf = bigger;
      *size *= 2;
    }
    (*buf)[(*len)++] = c;
  }
}

RtVaultStatus rt_vault_prompt(const char *prompt, bool echo, char **out, size_t *outlen) {
  int tty = echo ? -1 : open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  struct termios old, quiet;
  if (tty >= 0 && tcgetattr(tty, &old) != 0) {
    close(tty);
    tty = -1;
  }
  int in = tty >= 0 ? tty : 0, promptfd = tty >= 0 ? tty : echo ? 1 : 2;
  sigset_t intr, mask;
  sigemptyset(&intr);
  sigaddset(&intr, SIGINT);
  pthread_sigmask(SIG_BLOCK, &intr, &mask);
  struct sigaction sa = {0}, prev;
  sa.sa_handler = vs_on_sigint;
  sigemptyset(&sa.sa_mask);
  vs_interrupted = 0;
  sigaction(SIGINT, &sa, &prev);
  if (prev.sa_handler == SIG_IGN) /* Ctrl-C ignored (a background job): keep it so */
    sigaction(SIGINT, &prev, NULL);
  if (tty >= 0) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(tty, TCSAFLUSH, &quiet);
  } else if (!echo) {
    vs_write(2, "Warning: Password input may be echoed.\n");
  }
  vs_write(promptfd, prompt);
  size_t size = 128, len = 0;
  char *buf = rt_vault_xmalloc(size);
  VsLine end = vs_read_line(in, &mask, &buf, &size, &len);
  if (tty >= 0)
    tcsetattr(tty, TCSAFLUSH, &old);
  pthread_sigmask(SIG_SETMASK, &mask, NULL); /* a Ctrl-C still pending lands in vs_on_sigint */
  sigaction(SIGINT, &prev, NULL);
  if (vs_interrupted)
    end = VS_INTERRUPTED;
  if (!echo && (end == VS_LINE || (end == VS_EOF && len)))
    vs_write(promptfd, "\n"); /* getpass ends the prompt's line once it has one */
  if (tty >= 0)
    close(tty);
  if (end == VS_INTERRUPTED || (end == VS_EOF && len == 0)) {
    rt_vault_bytes_free(buf, size);
    return end == VS_INTERRUPTED ? RT_VAULT_EINTR : RT_VAULT_EINPUT;
  }
  buf[len] = 0;
  *out = buf;
  *outlen = len;
  return RT_VAULT_OK;
}

/* ---- password scripts ---------------------------------------------------------- */

/* What a script printed and how it ended. */
typedef struct VsRun {
  char *out; /* stdout (a secret: wiped on free) */
  size_t out_len;
  char *err; /* stderr, when captured */
  size_t err_len;
  int rc;    /* exit status, or -signal as Python's returncode */
  bool too_big;
} VsRun;

/* Appends what `fd` has to (*buf, *len, *size); false at EOF. Past the cap the
 * bytes are read and dropped, and *too_big is set. */
static bool vs_drain(int fd, char **buf, size_t *len, size_t *size, bool *too_big) {
  char chunk[4096];
  ssize_t n = read(fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  if (*len + (size_t)n > RT_VAULT_MAX_SECRET) {
    *too_big = true;
  } else {
    if (*len + (size_t)n + 1 > *size) {
      size_t sz = *size ? *size : 256;
      while (sz < *len + (size_t)n + 1)
        sz *= 2;
      char *bigger = rt_vault_xmalloc(sz);
      if (*len)
        memcpy(bigger, *buf, *len);
      rt_vault_bytes_free(*buf, *size);
      *buf = bigger;
      *size = sz;
    }
    memcpy(*buf + *len, chunk, (size_t)n);
    *len += (size_t)n;
    (*buf)[*len] = 0;
  }
  OPENSSL_cleanse(chunk, sizeof chunk);
  return true;
}

/* Runs argv[0] (an absolute path) with stdout piped, and stderr too when
 * `capture_err`; stdin is inherited so a script may prompt. Returns 0, or the
 * errno of the failed start. */
static int vs_run(char *const argv[], bool capture_err, VsRun *r) {
  memset(r, 0, sizeof *r);
  int po[2] = {-1, -1}, pe[2] = {-1, -1};
  if (pipe2(po, O_CLOEXEC) != 0 || (capture_err && pipe2(pe, O_CLOEXEC) != 0)) {
    int e = errno;
    for (int i = 0; i < 2; i++) {
      if (po[i] >= 0)
        close(po[i]);
      if (pe[i] >= 0)
        close(pe[i]);
    }
    return e;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, po[1], 1);
  if (capture_err)
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
  pid_t pid;
  int e = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(po[1]);
  if (capture_err)
    close(pe[1]);
  if (e) {
    close(po[0]);
    if (capture_err)
      close(pe[0]);
    return e;
  }
  size_t out_size = 0, err_size = 0;
  struct pollfd fds[2] = {{po[0], POLLIN, 0}, {capture_err ? pe[0] : -1, POLLIN, 0}};
  int open_fds = capture_err ? 2 : 1;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !fds[i].revents)
        continue;
      bool more = i == 0 ? vs_drain(fds[i].fd, &r->out, &r->out_len, &out_size, &r->too_big)
                         : vs_drain(fds[i].fd, &r->err, &r->err_len, &err_size, &r->too_big);
      if (!more) {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_fds--;
      }
    }
  }
  for (int i = 0; i < 2; i++)
    if (fds[i].fd >= 0)
      close(fds[i].fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  r->rc = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
  return 0;
}

static void vs_run_free(VsRun *r) {
  rt_vault_bytes_free(r->out, r->out_len);
  free(r->err);
  memset(r, 0, sizeof *r);
}

/* posixpath.splitext(name)[0] ends in "-client": the script takes --vault-id. */
static bool vs_is_client(const char *name) {
  const char *base = strrchr(name, '/');
  base = base ? base + 1 : name;
  const char *b = base;
  while (*b == '.')
    b++;
  const char *dot = strrchr(b, '.');
  size_t n = dot ? (size_t)(dot - name) : strlen(name);
  return n >= 7 && memcmp(name + n - 7, "-client", 7) == 0;
}

/* ---- one source ------------------------------------------------------------------ */

/* A password in (*pw, *len) (malloc'd, wiped by the caller), or an error in *err. */
typedef struct VsSecret {
  char *pw;
  size_t len;
  char *err;
} VsSecret;

static void vs_take(VsSecret *out, const char *s, size_t n) {
  out->pw = rt_vault_xmalloc(n + 1);
  if (n)
    memcpy(out->pw, s, n);
  out->pw[n] = 0;
  out->len = n;
}

/* ScriptVaultSecret / ClientScriptVaultSecret. `label` is the vault id name
 * given with the source (NULL when none). */
static void vs_from_script(const char *path, const char *given, const char *label, VsSecret *out) {
  bool client = vs_is_client(given);
  char *argv[4] = {(char *)path, NULL, NULL, NULL};
  if (client && label && *label) {
    argv[1] = "--vault-id";
    argv[2] = (char *)label;
  }
  VsRun r;
  int e = vs_run(argv, client, &r);
  const char *kind = client ? "client script" : "script";
  if (e) {
    char *os = rt_vault_oserror(e, path);
    out->err = rt_vault_xasprintf("Problem running vault password %s %s (%s). If this is not a "
                                  "script, remove the executable bit from the file.",
                                  kind, path, os);
    free(os);
    return;
  }
  char *stderr_repr = client ? rt_vault_pyrepr(r.err ? r.err : "", r.err_len, true)
                             : rt_vault_xasprintf("None");
  const char *id = label ? label : "None";
  if (client && r.rc == 2)
    out->err = rt_vault_xasprintf("Vault password client script %s did not find a secret for "
                                  "vault-id=%s: %s", path, id, stderr_repr);
  else if (client && r.rc != 0)
    out->err = rt_vault_xasprintf("Vault password client script %s returned non-zero (%d) when "
                                  "getting secret for vault-id=%s: %s", path, r.rc, id, stderr_repr);
  else if (r.rc != 0)
    out->err = rt_vault_xasprintf("Vault password script %s returned non-zero (%d): %s", path,
                                  r.rc, stderr_repr);
  else if (r.too_big)
    out->err = rt_vault_xasprintf("Vault password %s %s printed more than %zu bytes", kind, path,
                                  RT_VAULT_MAX_SECRET);
  free(stderr_repr);
  if (!out->err) {
    const char *s = r.out ? r.out : "";
    size_t n = r.out_len;
    vs_strip(&s, &n, VS_CRLF);
    if (n == 0)
      out->err = rt_vault_xasprintf("Invalid vault password was provided from script (%s)", path);
    else
      vs_take(out, s, n);
  }
  vs_run_free(&r);
}

/* FileVaultSecret: the whole file stripped, decrypted with the secrets known
 * so far when it is itself vault text. */
static void vs_from_file(const char *path, const RtVaultSecrets *known, const RtVaultSources *src,
                         VsSecret *out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  char *data = NULL;
  size_t len = 0;
  int e = fd < 0 ? errno : rt_vault_read_fd(fd, RT_VAULT_MAX_TEXT, &data, &len);
  if (fd >= 0)
    close(fd);
  if (e) {
    char *os = rt_vault_oserror(e, path);
    out->err = rt_vault_xasprintf("Could not read vault password file %s: %s", path, os);
    free(os);
    return;
  }
  const char *s = data;
  size_t n = len;
  vs_strip(&s, &n, VS_WHITESPACE);
  unsigned char *plain = NULL;
  size_t plain_len = 0;
  if (rt_vault_is_encrypted(s, n)) {
    char *err = NULL;
    RtVaultStatus st = rt_vault_decrypt(known, s, n, path, &plain, &plain_len, NULL, &err);
    if (st != RT_VAULT_OK) {
      if (st == RT_VAULT_EFORMAT)
        vs_warn(src, true, "There was a vault format error in %s: %s", path, err);
      out->err = err;
      rt_vault_bytes_free(data, len);
      return;
    }
    s = (const char *)plain;
    n = plain_len;
  }
  vs_strip(&s, &n, VS_CRLF);
  if (n == 0)
    out->err = rt_vault_xasprintf("Invalid vault password was provided from file (%s)", path);
  else
    vs_take(out, s, n);
  rt_vault_bytes_free(plain, plain_len);
  rt_vault_bytes_free(data, len);
}

/* PromptVaultSecret: one prompt, or two that must match for a new password. */
static RtVaultStatus vs_from_prompt(const RtVaultSources *src, const char *label, bool ask_form,
                                    VsSecret *out) {
  const char *id = label && *label ? label : RT_VAULT_DEFAULT_ID;
  char *prompts[2] = {NULL, NULL};
  if (ask_form && src->new_password) {
    prompts[0] = rt_vault_xasprintf("New Vault password: ");
    prompts[1] = rt_vault_xasprintf("Confirm New Vault password: ");
  } else if (ask_form) {
    prompts[0] = rt_vault_xasprintf("Vault password: ");
  } else if (src->new_password) {
    prompts[0] = rt_vault_xasprintf("New vault password (%s): ", id);
    prompts[1] = rt_vault_xasprintf("Confirm new vault password (%s): ", id);
  } else {
    prompts[0] = rt_vault_xasprintf("Vault password (%s): ", id);
  }
  RtVaultStatus st = RT_VAULT_OK;
  for (int i = 0; i < 2 && prompts[i] && st == RT_VAULT_OK; i++) {
    char *line = NULL;
    size_t n = 0;
    st = rt_vault_prompt(prompts[i], false, &line, &n);
    if (st == RT_VAULT_EINPUT)
      out->err = rt_vault_xasprintf("EOFError (ctrl-d) on prompt for (%s)", id);
    if (st != RT_VAULT_OK)
      break;
    const char *s = line;
    size_t sl = n;
    if (n == 0) {
      out->err = rt_vault_xasprintf("Invalid vault password was provided");
      st = RT_VAULT_EINPUT;
    } else {
      vs_strip(&s, &sl, VS_WHITESPACE);
      if (i == 0)
        vs_take(out, s, sl);
      else if (sl != out->len || (sl && memcmp(s, out->pw, sl) != 0)) {
        out->err = rt_vault_xasprintf("Passwords do not match");
        st = RT_VAULT_EINPUT;
      }
    }
    rt_vault_bytes_free(line, n);
  }
  free(prompts[0]);
  free(prompts[1]);
  return st;
}

/* ---- the set ---------------------------------------------------------------------- */

/* One "label@source" (label NULL when the value has no '@'), as split_vault_id. */
typedef struct VsSlug {
  char *label;
  char *source;
  bool from_password_file; /* source already unfracked, label "default" */
} VsSlug;

static void vs_slug_push(VsSlug **v, size_t *n, size_t *cap, const char *value, bool pwfile) {
  if (*n == *cap) {
    size_t c = *cap ? 2 * *cap : 8;
    VsSlug *d = rt_vault_xmalloc(c * sizeof *d);
    if (*n)
      memcpy(d, *v, *n * sizeof *d);
    free(*v);
    *v = d;
    *cap = c;
  }
  VsSlug *s = &(*v)[(*n)++];
  s->from_password_file = pwfile;
  if (pwfile) {
    s->label = rt_vault_xasprintf("%s", RT_VAULT_DEFAULT_ID);
    s->source = rt_vault_unfrack(value);
    return;
  }
  const char *at = strchr(value, '@');
  s->label = at ? rt_vault_xasprintf("%.*s", (int)(at - value), value) : NULL;
  s->source = rt_vault_xasprintf("%s", at ? at + 1 : value);
}


/* CLI.build_vault_ids: identity list, --vault-id, password files, prompt. */
static VsSlug *vs_slugs(const RtVaultSources *src, size_t *count) {
  VsSlug *v = NULL;
  size_t n = 0, cap = 0;
  const char *list = src->no_identity_list ? NULL : rt_config_is_set(RT_CFG_VAULT_IDENTITY_LIST)
                                                    ? rt_config_str(RT_CFG_VAULT_IDENTITY_LIST) /* vault_identity_list */
                                                    : NULL;
  for (const char *p = list; p && *p;) {
    const char *e = strchr(p, ',');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    const char *s = p;
    vs_strip(&s, &l, VS_WHITESPACE);
    if (l) {
      char *item = rt_vault_xasprintf("%.*s", (int)l, s);
      vs_slug_push(&v, &n, &cap, item, false);
      free(item);
    }
    p = e ? e + 1 : NULL;
  }
  for (size_t i = 0; i < src->nids; i++)
    vs_slug_push(&v, &n, &cap, src->ids[i], false);
  for (size_t i = 0; i < src->npassword_files; i++)
    vs_slug_push(&v, &n, &cap, src->password_files[i], true);
  const char *const *cfgfile = rt_config_list(RT_CFG_VAULT_PASSWORD_FILE); /* vault_password_file */
  const char *envfile = cfgfile && rt_config_str(RT_CFG_VAULT_PASSWORD_FILE)[0] ? cfgfile[0] : NULL;
  if (envfile)
    vs_slug_push(&v, &n, &cap, envfile, true);
  if (src->ask || rt_config_bool(RT_CFG_ASK_VAULT_PASS) || (n == 0 && src->auto_prompt))
    vs_slug_push(&v, &n, &cap, RT_VAULT_DEFAULT_ID "@prompt_ask_vault_pass", false);
  *count = n;
  return v;
}

/* A file or script source: the password, or a warning and *err. */
static void vs_from_path(const VsSlug *slug, const RtVaultSecrets *known,
                         const RtVaultSources *src, VsSecret *out) {
  char *path = slug->from_password_file ? rt_vault_xasprintf("%s", slug->source)
                                        : rt_vault_unfrack(slug->source);
  const char *name = slug->label ? slug->label : "None";
  struct stat st;
  if (stat(path, &st) != 0) {
    out->err = rt_vault_xasprintf("The vault password file %s was not found", path);
    vs_warn(src, false, "Error getting vault password file (%s): %s", name, out->err);
  } else {
    if (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))
      vs_from_script(path, slug->source, slug->label, out);
    else
      vs_from_file(path, known, src, out);
    if (out->err)
      vs_warn(src, false, "Error in vault password file loading (%s): %s", name, out->err);
  }
  free(path);
}

RtVaultStatus rt_vault_secrets_load(RtVaultSecrets *s, const RtVaultSources *src, char **err) {
  s->id_match = s->id_match || rt_config_bool(RT_CFG_VAULT_ID_MATCH);
  size_t n;
  VsSlug *slugs = vs_slugs(src, &n);
  char *last_err = NULL;
  bool found = false;
  RtVaultStatus st = RT_VAULT_OK;
  for (size_t i = 0; i < n && st == RT_VAULT_OK; i++) {
    VsSlug *sl = &slugs[i];
    VsSecret sec = {0};
    bool ask_form = strcmp(sl->source, "prompt_ask_vault_pass") == 0;
    if (ask_form || strcmp(sl->source, "prompt") == 0) {
      st = vs_from_prompt(src, sl->label, ask_form, &sec);
      if (st != RT_VAULT_OK) {
        if (st != RT_VAULT_EINTR)
          vs_warn(src, false, "Error in vault password prompt (%s): %s", sl->label ? sl->label : "None",
                  sec.err);
        free(last_err);
        last_err = sec.err ? sec.err : rt_vault_xasprintf("User interrupted execution");
        sec.err = NULL;
      }
    } else {
      vs_from_path(sl, s, src, &sec);
      if (sec.err) {
        free(last_err);
        last_err = sec.err;
        sec.err = NULL;
      }
    }
    if (sec.pw) {
      found = true;
      rt_vault_secrets_add(s, sl->label && *sl->label ? sl->label : RT_VAULT_DEFAULT_ID,
                           (const unsigned char *)sec.pw, sec.len);
      rt_vault_bytes_free(sec.pw, sec.len);
    }
  }
  if (st == RT_VAULT_OK && last_err && !found)
    st = RT_VAULT_EINPUT;
  if (st != RT_VAULT_OK)
    *err = last_err;
  else
    free(last_err);
  for (size_t i = 0; i < n; i++) {
    free(slugs[i].label);
    free(slugs[i].source);
  }
  free(slugs);
  return st;
}

const RtVaultSecret *rt_vault_secrets_for_encrypt(const RtVaultSecrets *s, const char *encrypt_id,
                                                  char **err) {
  for (size_t i = 0; i < s->n; i++)
    if (!encrypt_id || strcmp(s->items[i].id, encrypt_id) == 0)
      return &s->items[i];
  if (!encrypt_id) {
    *err = rt_vault_xasprintf("A vault password must be specified to encrypt data");
    return NULL;
  }
  VsStr ids = {0};
  vs_add(&ids, "[", 1);
  for (size_t i = 0; i < s->n; i++) {
    char *r = rt_vault_pyrepr(s->items[i].id, strlen(s->items[i].id), false);
    if (i)
      vs_add(&ids, ", ", 2);
    vs_add(&ids, r, strlen(r));
    free(r);
  }
  vs_add(&ids, "]", 1);
  *err = rt_vault_xasprintf("Did not find a match for --encrypt-vault-id=%s in the known vault-ids %s",
                            encrypt_id, ids.s);
  free(ids.s);
  return NULL;
}
