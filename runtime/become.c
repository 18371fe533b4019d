/*
 * become.c — privilege escalation as Ansible's become plugins (sudo, su) and
 * its ssh connection's prompt handling do it, on a persistent shell: each
 * host keeps one become shell per (method, user, flags, exe), a second
 * channel of its SSH session (another child for `connection: local`) whose
 * command escalates and then execs /bin/sh; conn.c frames it like the base
 * shell, so a become task costs one round trip like any other.
 *
 * Settings, as PlayContext resolves them: the task's keywords (the nearest
 * of task, block, role, play), the ansible_become* variables over them, and
 * -b / --become-user / --become-method as their defaults.
 *
 * The password travels only on the channel, written once in answer to the
 * escalation's own prompt: never in a command line (so never in a process
 * list), never logged, never in the compiled program. Ansible's words for
 * failures: "Incorrect sudo password", "Missing sudo password", the su
 * equivalents, "Timeout (Ns) waiting for privilege escalation prompt: ".
 */
#include "conn_shell.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

typedef struct BecomeShell {
  char *key; /* method NUL user NUL flags NUL exe, joined by \x01 */
  RtConn *conn;
} BecomeShell;

typedef struct HostBecome {
  BecomeShell *v;
  int n;
} HostBecome;

typedef struct Become {
  char *user, *method, *flags, *exe, *pass;
} Become;

/* Overwrites a secret before freeing it. */
static void wipe_free(char *s) {
  if (!s)
    return;
  volatile char *p = s;
  while (*p)
    *p++ = 0;
  free(s);
}

/* A variable's text when it is defined (a string or a number), else NULL. */
static char *var_text(RtHost *h, const char *name) {
  RtValue *v = rt_var(h, name, NULL);
  char *s = NULL;
  if (!rt_is_error(v) && rt_kind(v) != RT_UNDEF && rt_kind(v) != RT_NONE) {
    RtBuf b = {0};
    rt_render_str(&b, v);
    s = b.data ? rt_buf_take(&b) : rt_xstrdup("");
  }
  rt_decref(v);
  return s;
}

/* A keyword's text for the running task, or NULL. */
static char *kw_text(RtHost *h, int tk) {
  if (!h->task || !h->task->kw[tk])
    return NULL;
  RtValue *v = h->task->kw[tk](h);
  char *s = NULL;
  if (!rt_is_error(v) && rt_kind(v) != RT_NONE && rt_kind(v) != RT_UNDEF) {
    RtBuf b = {0};
    rt_render_str(&b, v);
    s = b.data ? rt_buf_take(&b) : rt_xstrdup("");
  }
  rt_decref(v);
  return s;
}

/* The first of: variable `var`, keyword `tk`, `def`. malloc'd or NULL. */
static char *setting(RtHost *h, const char *var, int tk, const char *def) {
  char *s = var ? var_text(h, var) : NULL;
  if (!s)
    s = kw_text(h, tk);
  if (!s && def)
    s = rt_xstrdup(def);
  return s;
}

/* Whether the running step escalates: ansible_become, else the keyword, else -b. */
static bool become_on(RtHost *h) {
  RtValue *v = rt_var(h, "ansible_become", NULL);
  int b = -1;
  if (!rt_is_error(v) && rt_kind(v) != RT_UNDEF)
    b = rt_to_boolean(v) >= 0 ? rt_to_boolean(v) : rt_truth(v, NULL) == 1;
  rt_decref(v);
  if (b < 0 && h->task && h->task->kw[RT_TK_BECOME]) {
    RtValue *k = h->task->kw[RT_TK_BECOME](h);
    if (!rt_is_error(k))
      b = rt_to_boolean(k) >= 0 ? rt_to_boolean(k) : rt_truth(k, NULL) == 1;
    rt_decref(k);
  }
  return b < 0 ? h->run->opt.become : b == 1;
}

static void become_free(Become *b) {
  free(b->user), free(b->method), free(b->flags), free(b->exe);
  wipe_free(b->pass);
}

static void resolve(RtHost *h, Become *b) {
  const RtOptions *o = &h->run->opt;
  b->method = setting(h, "ansible_become_method", RT_TK_BECOME_METHOD, o->become_method ? o->become_method : "sudo");
  b->user = setting(h, "ansible_become_user", RT_TK_BECOME_USER, o->become_user ? o->become_user : "root");
  bool su = !strcmp(b->method, "su");
  b->flags = setting(h, "ansible_become_flags", RT_TK_BECOME_FLAGS, su ? "" : "-H -S -n");
  b->exe = setting(h, "ansible_become_exe", RT_TK_BECOME_EXE, b->method);
  b->pass = var_text(h, "ansible_become_password");
  if (!b->pass)
    b->pass = var_text(h, "ansible_become_pass");
  if (!b->pass)
    b->pass = var_text(h, su ? "ansible_su_pass" : "ansible_sudo_pass");
  if (!b->pass && o->become_pass)
    b->pass = rt_xstrdup(o->become_pass);
}

/* sudo's flags with a password: -n dropped (also inside combined short flags). */
static void sudo_flags(RtBuf *cmd, const char *flags, bool pass) {
  char *copy = rt_xstrdup(flags), *save = NULL;
  for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
    if (pass && (!strcmp(w, "-n") || !strcmp(w, "--non-interactive")))
      continue;
    if (pass && w[0] == '-' && w[1] != '-') { /* re.sub(r'^(-\w*)n(\w*.*)', r'\1\2', flag) */
      char *n = w + 1;
      while (*n && (isalnum((unsigned char)*n) || *n == '_') && *n != 'n')
        n++;
      if (*n == 'n')
        memmove(n, n + 1, strlen(n));
    }
    rt_buf_printf(cmd, " %s", w);
  }
  free(copy);
}

/* The escalation command (no secret in it): the plugin's command line around
 * `echo SUCCESS; exec /bin/sh`. */
static char *build_command(const Become *b, const char *id, const char *prompt) {
  char *inner = rt_xasprintf("echo BECOME-SUCCESS-%s; exec /bin/sh", id);
  RtBuf cmd = {0};
  if (!strcmp(b->method, "su")) { /* exe flags user -c '/bin/sh -c '\''...'\''' */
    RtBuf sh = {0};
    rt_buf_puts(&sh, "/bin/sh -c ");
    rt_sh_quote(&sh, inner);
    rt_buf_printf(&cmd, "%s %s ", b->exe, b->flags);
    rt_sh_quote(&cmd, b->user);
    rt_buf_puts(&cmd, " -c ");
    rt_sh_quote(&cmd, sh.data);
    rt_buf_free(&sh);
  } else { /* exe flags -p "prompt" -u user /bin/sh -c '...' */
    rt_buf_puts(&cmd, b->exe);
    sudo_flags(&cmd, b->flags, b->pass != NULL);
    if (b->pass) {
      rt_buf_puts(&cmd, " -p ");
      rt_sh_quote(&cmd, prompt);
    }
    rt_buf_puts(&cmd, " -u ");
    rt_sh_quote(&cmd, b->user);
    rt_buf_puts(&cmd, " /bin/sh -c ");
    rt_sh_quote(&cmd, inner);
  }
  free(inner);
  return rt_buf_take(&cmd);
}

/* su's prompt (its localizations, as Ansible's su plugin matches them) at
 * the start of `out`. */
static bool su_prompt(const char *out) {
  static const char *const words[] = {
      "Password", "암호", "パスワード", "Adgangskode", "Contraseña", "Contrasenya", "Hasło", "Heslo", "Jelszó",
      "Lösenord", "Mật khẩu", "Mot de passe", "Parola", "Parool", "Pasahitza", "Passord", "Passwort", "Salasana",
      "Sandi", "Senha", "Wachtwoord", "ססמה", "Лозинка", "Парола", "Пароль", "गुप्तशब्द", "शब्दकूट",
      "సంకేతపదము", "හස්පදය", "密码", "密碼", "口令"};
  const char *p = out;
  while (*p && *p != ':' && *p != '\n' && strncasecmp(p, "'s ", 3) != 0)
    p++;
  const char *start = !strncasecmp(p, "'s ", 3) ? p + 3 : out;
  for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
    size_t n = strlen(words[i]);
    if (!strncasecmp(start, words[i], n)) {
      const char *q = start + n;
      if (*q == ' ')
        q++;
      if (*q == ':' || !strncmp(q, "：", strlen("：")))
        return true;
    }
  }
  return false;
}

static bool line_has(const RtBuf *b, const char *s) { return b->data && strstr(b->data, s); }

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The escalation's dialogue, as Ansible's ssh connection holds it: wait for
 * the prompt or success; answer a prompt with the password once; then wait
 * for success or a failure. 0 when the shell is ready; -1 with *err and
 * *fatal (false: an escalation failure in Ansible's words). */
static int negotiate(RtShell *s, const Become *b, const char *id, const char *prompt, bool *fatal, char **err) {
  bool su = !strcmp(b->method, "su");
  char success[64];
  snprintf(success, sizeof success, "BECOME-SUCCESS-%s", id);
  RtBuf out = {0}, errb = {0};
  bool sent = false;
  int rc = -1;
  int64_t deadline = now_ms() + 12000; /* Ansible: the connection timeout (10 s) + 2 */
  *fatal = false;
  for (;;) {
    if (rt_interrupted()) {
      *err = rt_xstrdup("interrupted");
      *fatal = true;
      break;
    }
    if (now_ms() > deadline) {
      *err = rt_xasprintf("Timeout (12s) waiting for privilege escalation prompt: %s", out.data ? out.data : "");
      break;
    }
    char buf[4096];
    int stream = 0;
    long n = s->read(s, true, true, &stream, buf, sizeof buf, err);
    if (n == RT_SHELL_IDLE)
      continue;
    if (n < 0) {
      *fatal = true;
      break;
    }
    if (n == 0) { /* the escalation ended without a shell */
      if (line_has(&errb, su ? "Authentication failure" : "Sorry, try again."))
        *err = rt_xasprintf("Incorrect %s password", b->method);
      else if (line_has(&errb, "a password is required") || line_has(&out, "a password is required"))
        *err = rt_xasprintf("Missing %s password", b->method);
      else
        *err = rt_xasprintf("privilege escalation with %s failed: %s", b->method,
                            errb.data ? errb.data : out.data ? out.data : "");
      break;
    }
    rt_buf_add(stream ? &errb : &out, buf, (size_t)n);
    if (line_has(&out, success)) { /* the shell runs: what follows is framed */
      rc = 0;
      break;
    }
    const RtBuf *both[2] = {&out, &errb};
    bool prompted = false;
    for (int i = 0; i < 2; i++)
      if (both[i]->data)
        prompted |= su ? su_prompt(both[i]->data) : strstr(both[i]->data, prompt) != NULL;
    bool failed = line_has(&errb, su ? "Authentication failure" : "Sorry, try again.") ||
                  line_has(&out, su ? "Authentication failure" : "Sorry, try again.");
    if (sent && (failed || prompted)) {
      *err = rt_xasprintf("Incorrect %s password", b->method);
      break;
    }
    if (line_has(&errb, "a password is required")) {
      *err = rt_xasprintf("Missing %s password", b->method);
      break;
    }
    if (prompted && !sent) {
      if (!b->pass) {
        *err = rt_xasprintf("Missing %s password", b->method);
        break;
      }
      size_t pl = strlen(b->pass);
      char *line = rt_xmalloc(pl + 2);
      memcpy(line, b->pass, pl);
      line[pl] = '\n';
      line[pl + 1] = 0;
      int w = s->write(s, line, pl + 1, err);
      wipe_free(line);
      if (w < 0) {
        *fatal = true;
        break;
      }
      sent = true;
      rt_buf_free(&out); /* what follows answers the password */
      rt_buf_free(&errb);
    }
  }
  rt_buf_free(&out);
  rt_buf_free(&errb);
  return rc;
}

static char *shell_key(const Become *b) {
  return rt_xasprintf("%s\x01%s\x01%s\x01%s", b->method, b->user, b->flags, b->exe);
}

RtConn *rt_become_conn(RtHost *h, RtConn *base, bool *fatal, char **err) {
  *fatal = true;
  if (!become_on(h))
    return base;
  Become b = {0};
  resolve(h, &b);
  if (strcmp(b.method, "sudo") != 0 && strcmp(b.method, "su") != 0) {
    *err = rt_xasprintf("Invalid become method specified, could not find matching plugin: '%s'", b.method);
    free(h->become_error);
    h->become_error = rt_xstrdup(*err);
    *fatal = false;
    become_free(&b);
    return NULL;
  }
  HostBecome *hb = h->become;
  if (!hb)
    hb = h->become = rt_xcalloc(1, sizeof *hb);
  char *key = shell_key(&b);
  for (int i = 0; i < hb->n; i++)
    if (!strcmp(hb->v[i].key, key) && !hb->v[i].conn->lost) {
      free(key);
      become_free(&b);
      return hb->v[i].conn;
    }
  if (!base->ops->spawn) {
    *err = rt_xstrdup("this connection cannot become another user");
    free(key);
    become_free(&b);
    return NULL;
  }
  char id[33], prompt[96];
  rt_random_hex(id, 16);
  snprintf(prompt, sizeof prompt, "[sudo via playc, key=%s] password:", id);
  char *cmd = build_command(&b, id, prompt);
  RtConn *c = base->ops->spawn(base, cmd, err);
  free(cmd);
  if (!c) {
    free(key);
    become_free(&b);
    return NULL;
  }
  bool f = true;
  if (negotiate((RtShell *)c, &b, id, prompt, &f, err) < 0) {
    c->lost = true; /* the escalation is not a shell: never framed, never reused */
    c->ops->close(c);
    *fatal = f;
    if (!f) {
      free(h->become_error);
      h->become_error = rt_xstrdup(*err);
    }
    free(key);
    become_free(&b);
    return NULL;
  }
  hb->v = rt_xrealloc(hb->v, sizeof *hb->v * (size_t)(hb->n + 1));
  hb->v[hb->n++] = (BecomeShell){key, c};
  become_free(&b);
  return c;
}

void rt_become_close(RtHost *h) {
  HostBecome *hb = h->become;
  if (!hb)
    return;
  for (int i = 0; i < hb->n; i++) {
    if (h->conn && h->conn->lost)
      hb->v[i].conn->lost = true;
    rt_conn_close(hb->v[i].conn);
    free(hb->v[i].key);
  }
  free(hb->v);
  free(hb);
  h->become = NULL;
  free(h->become_error);
  h->become_error = NULL;
}

/* ---- the password ----------------------------------------------------------------- */

/* A line from the terminal without echo (getpass's way); NULL at end of input. */
static char *prompt_secret(const char *prompt) {
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  int in = fd >= 0 ? fd : 0;
  struct termios old, quiet;
  bool restore = false;
  if (tcgetattr(in, &old) == 0) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    restore = tcsetattr(in, TCSAFLUSH, &quiet) == 0;
  }
  if (write(fd >= 0 ? fd : 2, prompt, strlen(prompt)) < 0) {
  }
  RtBuf b = {0};
  char c;
  ssize_t r;
  bool any = false;
  while ((r = read(in, &c, 1)) == 1 && c != '\n') {
    rt_buf_putc(&b, c);
    any = true;
  }
  if (restore)
    tcsetattr(in, TCSAFLUSH, &old);
  if (write(fd >= 0 ? fd : 2, "\n", 1) < 0) {
  }
  if (fd >= 0)
    close(fd);
  if (r != 1 && !any) {
    wipe_free(b.data);
    return NULL;
  }
  return b.data ? rt_buf_take(&b) : rt_xstrdup("");
}

int rt_conn_password_load(RtRun *run) {
  RtOptions *o = &run->opt;
  if (o->conn_password_file) {
    size_t len;
    char *text = rt_read_file(o->conn_password_file, &len);
    if (!text) {
      rt_out_error("The password file %s was not found", o->conn_password_file);
      return 1;
    }
    text[strcspn(text, "\r\n")] = 0; /* the first line, as Ansible strips it */
    o->conn_pass = text;
  } else if (o->ask_pass) {
    int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty < 0 || !isatty(tty)) {
      if (tty >= 0)
        close(tty);
      rt_out_error("-k/--ask-pass reads the SSH password from a terminal and there is none: "
                   "use --connection-password-file or ansible_password");
      return 1;
    }
    close(tty);
    o->conn_pass = prompt_secret("SSH password: ");
    if (!o->conn_pass) {
      rt_out_error("no SSH password could be read");
      return 1;
    }
  }
  return -1;
}

int rt_become_password_load(RtRun *run) {
  RtOptions *o = &run->opt;
  if (o->become_password_file) {
    size_t len;
    char *text = rt_read_file(o->become_password_file, &len);
    if (!text) {
      rt_out_error("The password file %s was not found", o->become_password_file);
      return 1;
    }
    len = strcspn(text, "\r\n"); /* the first line, as Ansible strips it */
    text[len] = 0;
    o->become_pass = text;
  } else if (o->ask_become_pass) {
    o->become_pass = prompt_secret("BECOME password: ");
    if (!o->become_pass) {
      rt_out_error("no BECOME password could be read");
      return 1;
    }
  }
  return -1;
}
