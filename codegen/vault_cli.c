/*
 * vault_cli.c — `playc vault ACTION`: ansible-vault's encrypt, decrypt, view,
 * rekey and encrypt_string, on the same files, with the same options, the
 * same messages and the same exit codes (0 ok, 1 an error, 5 a bad option,
 * 99 interrupted). The driver dispatches here before its pipeline; the
 * format and the secrets are the vault layer's (runtime/vault.h), shared
 * with compiled programs, so a file this command writes is one they read.
 *
 * Shaped as ansible-vault's VaultCLI: parse (argparse's rules: options
 * anywhere, long options with "=value", mutually exclusive groups), check
 * (post_process_args), load the secrets the action needs, then one function
 * per action over its files. Files are replaced atomically: the new content
 * goes to a temporary file in the destination's folder, then is renamed over
 * it, keeping the destination's mode (a new file is 0600); symlinks are
 * followed, as ansible-vault does, so the link stays and its target changes.
 * Plaintext is read and written with read(2)/write(2) into buffers wiped
 * before they are freed, never through stdio.
 */
#include "codegen.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/rand.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../runtime/textwrap.h"
#include "../runtime/vault.h"
#include "../runtime/config.h"

extern char **environ;

enum { VC_EXIT_OK = 0, VC_EXIT_ERROR = 1, VC_EXIT_OPTIONS = 5, VC_EXIT_INTERRUPTED = 99 };
/* display.error("User interrupted execution"), wrapped: its "\n" became a space. */
#define VC_INTERRUPTED " [ERROR]: User interrupted execution\n"

typedef enum VcAction { VC_ENCRYPT, VC_DECRYPT, VC_VIEW, VC_REKEY, VC_ENCRYPT_STRING, VC_NACTIONS } VcAction;
static const char *const vc_action_names[VC_NACTIONS] = {"encrypt", "decrypt", "view", "rekey",
                                                         "encrypt_string"};

/* ---- options (a table, as argparse's parsers) ------------------------------- */

typedef enum VcKey {
  VO_VAULT_ID, VO_ASK, VO_PWFILE, VO_VERBOSE, VO_OUTPUT, VO_ENCRYPT_ID, VO_NEW_PWFILE, VO_NEW_ID,
  VO_PROMPT, VO_SHOW_INPUT, VO_NAME, VO_STDIN_NAME, VO_HELP
} VcKey;

#define VA(a) (1u << (a))
#define VA_ALL (VA(VC_NACTIONS) - 1)
typedef struct VcOption {
  const char *name;  /* its display name in messages ("--a/--b") is name/alias */
  const char *alias; /* NULL */
  char short_name;   /* 0 */
  bool arg;
  unsigned actions;
  VcKey key;
} VcOption;

static const VcOption vc_options[] = {
    {"--vault-id", NULL, 0, true, VA_ALL, VO_VAULT_ID},
    {"--ask-vault-password", "--ask-vault-pass", 0, false, VA_ALL, VO_ASK},
    {"--vault-password-file", "--vault-pass-file", 0, true, VA_ALL, VO_PWFILE},
    {"--verbose", NULL, 'v', false, VA_ALL, VO_VERBOSE},
    {"--output", NULL, 0, true, VA(VC_ENCRYPT) | VA(VC_DECRYPT) | VA(VC_ENCRYPT_STRING), VO_OUTPUT},
    {"--encrypt-vault-id", NULL, 0, true, VA(VC_ENCRYPT) | VA(VC_ENCRYPT_STRING) | VA(VC_REKEY),
     VO_ENCRYPT_ID},
    {"--new-vault-password-file", NULL, 0, true, VA(VC_REKEY), VO_NEW_PWFILE},
    {"--new-vault-id", NULL, 0, true, VA(VC_REKEY), VO_NEW_ID},
    {"--prompt", NULL, 'p', false, VA(VC_ENCRYPT_STRING), VO_PROMPT},
    {"--show-input", NULL, 0, false, VA(VC_ENCRYPT_STRING), VO_SHOW_INPUT},
    {"--name", NULL, 'n', true, VA(VC_ENCRYPT_STRING), VO_NAME},
    {"--stdin-name", NULL, 0, true, VA(VC_ENCRYPT_STRING), VO_STDIN_NAME},
    {"--help", NULL, 'h', false, VA_ALL, VO_HELP},
};
enum { VC_NOPTIONS = sizeof vc_options / sizeof *vc_options };

typedef struct VcCmd {
  VcAction action;
  RtVaultSources src;          /* the secrets to decrypt (or encrypt) with */
  const char **args;           /* files, or strings for encrypt_string */
  size_t nargs;
  const char *output;          /* --output, NULL: in place (or stdout for stdin) */
  const char *encrypt_vault_id;
  const char *new_password_file, *new_vault_id;
  const char **names;          /* encrypt_string --name, in order */
  size_t nnames;
  const char *stdin_name;
  bool prompt, show_input, read_stdin;
  const VcOption *seen[VC_NOPTIONS]; /* first use of each exclusive option, for messages */
  RtVaultSecrets secrets, new_secrets;
  const RtVaultSecret *encrypt_secret; /* borrowed from secrets or new_secrets */
} VcCmd;

/* ---- output ------------------------------------------------------------------ */

static void vc_usage(FILE *f) {
  fputs("usage: playc vault ACTION [options] [FILE...]\n"
        "\n"
        "Encrypts and decrypts Ansible Vault files and strings, as ansible-vault does.\n"
        "\n"
        "actions:\n"
        "  encrypt         encrypt files in place (or stdin, or --output FILE|-)\n"
        "  decrypt         decrypt files in place (or stdin, or --output FILE|-)\n"
        "  view            print decrypted files (through $PAGER or less on a terminal)\n"
        "  rekey           re-encrypt files with a new password\n"
        "  encrypt_string  print strings as `!vault |` YAML (-n NAME, --stdin-name NAME,\n"
        "                  -p/--prompt [--show-input])\n"
        "\n"
        "options:\n"
        "  --vault-id [LABEL@]SOURCE     a password from a file, an executable or 'prompt'\n"
        "  --vault-password-file FILE    a password file or script (--vault-pass-file)\n"
        "  --ask-vault-pass              ask for the password (--ask-vault-password)\n"
        "  --encrypt-vault-id LABEL      the vault id to encrypt with\n"
        "  --new-vault-password-file F   rekey: the new password\n"
        "  --new-vault-id [LABEL@]SOURCE rekey: the new vault id and password\n"
        "  --output FILE                 encrypt, decrypt, encrypt_string: write here ('-': stdout)\n"
        "  -v, --verbose                 accepted for compatibility\n"
        "  -h, --help                    this help\n",
        f);
}

static void vc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vc_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ERROR! ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* AnsibleOptionsError: the help on stdout, the message, exit 5. */
static int vc_options_error(const char *msg) {
  vc_usage(stdout);
  fflush(stdout);
  vc_error("%s", msg);
  return VC_EXIT_OPTIONS;
}

/* argparse's parser.error. */
static int vc_usage_error(const VcCmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vc_usage_error(const VcCmd *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vc_usage(stderr);
  fprintf(stderr, "playc vault%s%s: error: ", c ? " " : "", c ? vc_action_names[c->action] : "");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return VC_EXIT_OPTIONS;
}

/* Display.columns: the terminal's width less one, at least 79. */
static size_t vc_columns(void) {
  struct winsize ws;
  if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 80)
    return (size_t)ws.ws_col - 1;
  return 79;
}

/* display.warning: "[WARNING]: msg" wrapped as textwrap.wrap does, or,
 * `formatted`, "\n[WARNING]: \nmsg" as given. */
static void vc_warn(void *ctx, const char *msg, bool formatted) {
  (void)ctx;
  if (formatted) {
    fprintf(stderr, "\n[WARNING]: \n%s\n", msg);
    return;
  }
  char *text = rt_vault_xasprintf("[WARNING]: %s", msg);
  char *wrapped = rt_textwrap(text, vc_columns());
  fprintf(stderr, "%s\n", wrapped);
  free(wrapped);
  free(text);
}

/* ---- files ----------------------------------------------------------------------- */

/* os.path.realpath, which resolves what exists of a path that does not. */
static char *vc_realpath(const char *path) {
  char *r = realpath(path, NULL);
  if (r)
    return r;
  char *copy1 = rt_vault_xasprintf("%s", path), *copy2 = rt_vault_xasprintf("%s", path);
  char *dir = realpath(dirname(copy1), NULL);
  char *out = dir ? rt_vault_xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", basename(copy2))
                  : rt_vault_unfrack(path);
  free(dir);
  free(copy1);
  free(copy2);
  return out;
}

/* VaultEditor.read_data: the file's bytes, or stdin's for "-". NULL after
 * Ansible's error. */
static char *vc_read(const char *path, size_t cap, size_t *len) {
  int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
  char *data = NULL;
  int e = fd < 0 ? errno : rt_vault_read_fd(fd, cap, &data, len);
  if (fd > 0)
    close(fd);
  if (e) {
    char *os = rt_vault_oserror(e, strcmp(path, "-") == 0 ? "<stdin>" : path);
    vc_error("Unable to read source file (%s): %s", path, os);
    free(os);
    return NULL;
  }
  return data;
}

static bool vc_write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/* Overwrites the replaced file's old content once with random bytes, when
 * `fd` (opened before the rename) is its last link: what ansible-vault's
 * shred does for the plaintext an encryption replaces. */
static void vc_shred(int fd) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_nlink != 0 || !S_ISREG(st.st_mode))
    return;
  unsigned char buf[65536];
  for (off_t done = 0; done < st.st_size;) {
    size_t n = st.st_size - done < (off_t)sizeof buf ? (size_t)(st.st_size - done) : sizeof buf;
    if (RAND_bytes(buf, (int)n) != 1 || pwrite(fd, buf, n, done) != (ssize_t)n)
      break;
    done += (off_t)n;
  }
  fsync(fd);
}

/* VaultEditor.write_data, atomically: to stdout for "-", else a temporary
 * file beside `dest` (its mode and owner when it exists, else 0600) renamed
 * over it. `shred`: wipe what `dest` held (plaintext being encrypted). */
static bool vc_write(const char *dest, const void *data, size_t len, bool shred) {
  if (strcmp(dest, "-") == 0) {
    if (!vc_write_all(1, data, len)) {
      char *os = rt_vault_oserror(errno, "<stdout>");
      vc_error("Unable to write to temporary vault file: %s", os);
      free(os);
      return false;
    }
    return true;
  }
  char *copy = rt_vault_xasprintf("%s", dest), *copy2 = rt_vault_xasprintf("%s", dest);
  char *tmp = rt_vault_xasprintf("%s/.%s.XXXXXX", dirname(copy), basename(copy2));
  free(copy);
  free(copy2);
  struct stat old;
  bool exists = stat(dest, &old) == 0 && S_ISREG(old.st_mode);
  int fd = mkstemp(tmp);
  bool ok = fd >= 0;
  if (!ok) {
    char *os = rt_vault_oserror(errno, dest);
    vc_error("Problem creating temporary vault file: %s", os);
    free(os);
    free(tmp);
    return false;
  }
  if (exists) {
    fchmod(fd, old.st_mode & 07777);
    if (old.st_uid != geteuid() || old.st_gid != getegid())
      (void)!fchown(fd, old.st_uid, old.st_gid); /* as root; else the file becomes ours */
  }
  int olderr = 0;
  if (!vc_write_all(fd, data, len) || fsync(fd) != 0)
    olderr = errno;
  if (close(fd) != 0 && !olderr)
    olderr = errno;
  int oldfd = exists && shred ? open(dest, O_WRONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
  if (!olderr && rename(tmp, dest) != 0)
    olderr = errno;
  if (olderr) {
    char *os = rt_vault_oserror(olderr, dest);
    vc_error("Unable to write to temporary vault file: %s", os);
    free(os);
    unlink(tmp);
    ok = false;
  } else {
    vc_shred(oldfd);
  }
  if (oldfd >= 0)
    close(oldfd);
  free(tmp);
  return ok;
}

/* CLI.pager: on a terminal through $PAGER or less, else straight out with a
 * final newline added, as display.display does. */
static bool vc_has_less(void) {
  const char *path = getenv("PATH");
  char *copy = rt_vault_xasprintf("%s", path ? path : "/usr/bin:/bin"), *save = NULL;
  bool found = false;
  for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
    char *p = rt_vault_xasprintf("%s/less", *d ? d : ".");
    found = access(p, X_OK) == 0;
    free(p);
  }
  free(copy);
  return found;
}

static void vc_page(const char *text, size_t len) {
  const char *pager = getenv("PAGER");
  if (isatty(1) && (pager || vc_has_less())) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) == 0) {
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
      char *argv[] = {"sh", "-c", (char *)(pager ? pager : "less"), NULL};
      if (!getenv("LESS"))
        setenv("LESS", "FRSX", 1); /* CLI.LESS_OPTS */
      pid_t pid;
      int e = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
      posix_spawn_file_actions_destroy(&fa);
      close(fds[0]);
      if (e == 0) {
        struct sigaction ign = {0}, prev;
        ign.sa_handler = SIG_IGN; /* a pager quit early is not an error (pager_pipe) */
        sigaction(SIGPIPE, &ign, &prev);
        vc_write_all(fds[1], text, len);
        close(fds[1]);
        sigaction(SIGPIPE, &prev, NULL);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
          ;
        return;
      }
      close(fds[1]);
    }
  }
  vc_write_all(1, text, len);
  if (len == 0 || text[len - 1] != '\n')
    vc_write_all(1, "\n", 1);
}

/* ---- parsing ---------------------------------------------------------------------- */

static const VcOption *vc_find_long(VcAction a, const char *arg, size_t n) {
  for (int i = 0; i < VC_NOPTIONS; i++) {
    const VcOption *o = &vc_options[i];
    if (!(o->actions & VA(a)))
      continue;
    if ((strlen(o->name) == n && strncmp(o->name, arg, n) == 0) ||
        (o->alias && strlen(o->alias) == n && strncmp(o->alias, arg, n) == 0))
      return o;
  }
  return NULL;
}

static const VcOption *vc_find_short(VcAction a, char c) {
  for (int i = 0; i < VC_NOPTIONS; i++)
    if (vc_options[i].short_name == c && (vc_options[i].actions & VA(a)))
      return &vc_options[i];
  return NULL;
}

static char *vc_display(const VcOption *o) {
  if (o->alias)
    return rt_vault_xasprintf("%s/%s", o->name, o->alias);
  if (o->short_name)
    return rt_vault_xasprintf("-%c/%s", o->short_name, o->name);
  return rt_vault_xasprintf("%s", o->name);
}

/* argparse's mutually exclusive groups: --ask-vault-pass | --vault-password-file,
 * --new-vault-password-file | --new-vault-id. Returns an exit code or -1. */
static int vc_exclusive(VcCmd *c, const VcOption *o) {
  static const VcKey groups[][2] = {{VO_ASK, VO_PWFILE}, {VO_NEW_PWFILE, VO_NEW_ID}};
  for (size_t g = 0; g < 2; g++)
    for (int side = 0; side < 2; side++) {
      if (o->key != groups[g][side])
        continue;
      const VcOption *other = c->seen[groups[g][!side]];
      if (other) {
        char *a = vc_display(o), *b = vc_display(other);
        int rc = vc_usage_error(c, "argument %s: not allowed with argument %s", a, b);
        free(a);
        free(b);
        return rc;
      }
    }
  c->seen[o->key] = o;
  return -1;
}

static int vc_apply(VcCmd *c, const VcOption *o, const char *val) {
  int rc = vc_exclusive(c, o);
  if (rc >= 0)
    return rc;
  switch (o->key) {
  case VO_VAULT_ID: c->src.ids[c->src.nids++] = val; break;
  case VO_ASK: c->src.ask = true; break;
  case VO_PWFILE: c->src.password_files[c->src.npassword_files++] = val; break;
  case VO_VERBOSE: break;
  case VO_OUTPUT: c->output = val; break;
  case VO_ENCRYPT_ID: c->encrypt_vault_id = val; break;
  case VO_NEW_PWFILE: c->new_password_file = val; break;
  case VO_NEW_ID: c->new_vault_id = val; break;
  case VO_PROMPT: c->prompt = true; break;
  case VO_SHOW_INPUT: c->show_input = true; break;
  case VO_NAME: c->names[c->nnames++] = val; break;
  case VO_STDIN_NAME: c->stdin_name = val; break;
  case VO_HELP: vc_usage(stdout); return VC_EXIT_OK;
  }
  return -1;
}

/* One "-x..." cluster of short options. */
static int vc_parse_short(VcCmd *c, int argc, char **argv, int *i) {
  const char *a = argv[*i];
  for (size_t k = 1; a[k]; k++) {
    const VcOption *o = vc_find_short(c->action, a[k]);
    if (!o)
      return vc_usage_error(c, "unrecognized arguments: %s", a);
    const char *val = NULL;
    if (o->arg) {
      val = a[k + 1] ? a + k + 1 : *i + 1 < argc ? argv[++*i] : NULL;
      if (!val) {
        char *d = vc_display(o);
        int rc = vc_usage_error(c, "argument %s: expected one argument", d);
        free(d);
        return rc;
      }
    }
    int rc = vc_apply(c, o, val);
    if (rc >= 0 || o->arg)
      return rc;
  }
  return -1;
}

static int vc_parse_long(VcCmd *c, int argc, char **argv, int *i) {
  const char *a = argv[*i], *eq = strchr(a, '=');
  const VcOption *o = vc_find_long(c->action, a, eq ? (size_t)(eq - a) : strlen(a));
  if (!o)
    return vc_usage_error(c, "unrecognized arguments: %s", a);
  const char *val = NULL;
  char *d = vc_display(o);
  int rc = -1;
  if (o->arg && eq)
    val = eq + 1;
  else if (o->arg && *i + 1 < argc && (argv[*i + 1][0] != '-' || strcmp(argv[*i + 1], "-") == 0))
    val = argv[++*i];
  else if (o->arg)
    rc = vc_usage_error(c, "argument %s: expected one argument", d);
  else if (eq)
    rc = vc_usage_error(c, "argument %s: ignored explicit argument '%s'", d, eq + 1);
  free(d);
  return rc >= 0 ? rc : vc_apply(c, o, val);
}

/* Returns -1 to go on, else an exit code. */
static int vc_parse(VcCmd *c, int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    vc_usage(argc < 2 ? stderr : stdout);
    if (argc < 2)
      fprintf(stderr, "playc vault: error: the following arguments are required: action\n");
    return argc < 2 ? VC_EXIT_OPTIONS : VC_EXIT_OK;
  }
  int a = 0;
  while (a < VC_NACTIONS && strcmp(argv[1], vc_action_names[a]) != 0)
    a++;
  if (a == VC_NACTIONS)
    return vc_usage_error(NULL, "argument action: invalid choice: '%s' (choose from 'decrypt', "
                          "'view', 'encrypt', 'encrypt_string', 'rekey')", argv[1]);
  c->action = (VcAction)a;
  size_t n = ((size_t)argc + 1) * sizeof(const char *); /* room for every argument */
  c->src.ids = rt_vault_xmalloc(n);
  c->src.password_files = rt_vault_xmalloc(n);
  c->args = rt_vault_xmalloc(n);
  c->names = rt_vault_xmalloc(n);
  bool options_done = false;
  for (int i = 2; i < argc; i++) {
    const char *arg = argv[i];
    int rc = -1;
    if (options_done || arg[0] != '-' || !arg[1] || (arg[1] >= '0' && arg[1] <= '9'))
      c->args[c->nargs++] = arg;
    else if (strcmp(arg, "--") == 0)
      options_done = true;
    else if (arg[1] == '-')
      rc = vc_parse_long(c, argc, argv, &i);
    else
      rc = vc_parse_short(c, argc, argv, &i);
    if (rc >= 0)
      return rc;
  }
  return -1;
}

/* VaultCLI.post_process_args. */
static int vc_check(VcCmd *c) {
  for (size_t i = 0; i < c->src.nids; i++)
    if (strchr(c->src.ids[i], ';')) {
      char *m = rt_vault_xasprintf("'%s' is not a valid vault id. The character ';' is not "
                                   "allowed in vault ids", c->src.ids[i]);
      int rc = vc_options_error(m);
      free(m);
      return rc;
    }
  if (c->output && c->nargs > 1)
    return vc_options_error("At most one input file may be used with the --output option");
  if (c->action == VC_ENCRYPT_STRING) {
    for (size_t i = 0; i < c->nargs; i++)
      c->read_stdin = c->read_stdin || strcmp(c->args[i], "-") == 0;
    c->read_stdin = c->read_stdin || c->nargs == 0 || c->stdin_name;
    if (c->prompt && c->read_stdin)
      return vc_options_error("The --prompt option is not supported if also reading input from "
                              "stdin");
  }
  return -1;
}

/* ---- secrets ----------------------------------------------------------------------- */

static int vc_load(RtVaultSecrets *s, const RtVaultSources *src) {
  char *err = NULL;
  RtVaultStatus st = rt_vault_secrets_load(s, src, &err);
  if (st == RT_VAULT_OK)
    return -1;
  if (st == RT_VAULT_EINTR)
    fputs(VC_INTERRUPTED, stderr);
  else
    vc_error("%s", err);
  free(err);
  return st == RT_VAULT_EINTR ? VC_EXIT_INTERRUPTED : VC_EXIT_ERROR;
}

/* VaultCLI.run: the secrets each action needs. */
static int vc_secrets(VcCmd *c) {
  RtVaultSources src = c->src;
  src.auto_prompt = true;
  src.warn = vc_warn;
  const char *encrypt_id = c->encrypt_vault_id ? c->encrypt_vault_id
                                               : (rt_config_is_set(RT_CFG_VAULT_ENCRYPT_IDENTITY) ? rt_config_str(RT_CFG_VAULT_ENCRYPT_IDENTITY) : NULL);
  if (encrypt_id && !*encrypt_id)
    encrypt_id = NULL;
  bool encrypting = c->action == VC_ENCRYPT || c->action == VC_ENCRYPT_STRING;
  src.new_password = encrypting;
  int rc = vc_load(&c->secrets, &src);
  if (rc >= 0)
    return rc;
  if (encrypting && c->secrets.n > 1 && !encrypt_id) {
    size_t len = 0;
    for (size_t i = 0; i < c->secrets.n; i++)
      len += strlen(c->secrets.items[i].id) + 1;
    char *ids = rt_vault_xmalloc(len + 1), *o = ids;
    for (size_t i = 0; i < c->secrets.n; i++)
      o += sprintf(o, "%s%s", i ? "," : "", c->secrets.items[i].id);
    char *m = rt_vault_xasprintf("The vault-ids %s are available to encrypt. Specify the vault-id "
                                 "to encrypt with --encrypt-vault-id", ids);
    rc = vc_options_error(m);
    free(m);
    free(ids);
    return rc;
  }
  if (c->secrets.n == 0)
    return vc_options_error("A vault password is required to use Ansible's Vault");
  RtVaultSecrets *enc_from = &c->secrets;
  if (c->action == VC_REKEY) {
    RtVaultSources ns = {0};
    ns.ids = &c->new_vault_id;
    ns.nids = c->new_vault_id ? 1 : 0;
    ns.password_files = &c->new_password_file;
    ns.npassword_files = c->new_password_file ? 1 : 0;
    ns.ask = c->src.ask;
    ns.auto_prompt = true;
    ns.new_password = true;
    ns.no_identity_list = !encrypt_id;
    ns.warn = vc_warn;
    if ((rc = vc_load(&c->new_secrets, &ns)) >= 0)
      return rc;
    if (c->new_secrets.n == 0)
      return vc_options_error("A new vault password is required to use Ansible's Vault rekey");
    enc_from = &c->new_secrets;
  } else if (!encrypting) {
    return -1;
  }
  char *err = NULL;
  c->encrypt_secret = rt_vault_secrets_for_encrypt(enc_from, encrypt_id, &err);
  if (!c->encrypt_secret) {
    vc_error("%s", err);
    free(err);
    return VC_EXIT_ERROR;
  }
  return -1;
}

/* ---- actions ------------------------------------------------------------------------ */

/* The encryption of `len` bytes with the command's secret; NULL after the error. */
static char *vc_encrypt(const VcCmd *c, const char *plain, size_t len, size_t *outlen) {
  char *out = NULL, *err = NULL;
  if (rt_vault_encrypt((const unsigned char *)plain, len, c->encrypt_secret, c->encrypt_secret->id,
                       NULL, 0, &out, outlen, &err) != RT_VAULT_OK) {
    vc_error("%s", err);
    free(err);
    return NULL;
  }
  return out;
}

/* Decrypts `data` read from `path`, naming `label` in the messages (NULL: none,
 * as rekey); errors get " for PATH". NULL after the error. */
static unsigned char *vc_decrypt(const VcCmd *c, const char *data, size_t len, const char *label,
                                 const char *path, size_t *outlen) {
  unsigned char *out = NULL;
  char *err = NULL;
  RtVaultStatus st = rt_vault_decrypt(&c->secrets, data, len, label, &out, outlen, NULL, &err);
  if (st == RT_VAULT_OK)
    return out;
  if (st == RT_VAULT_EFORMAT) {
    char *w = rt_vault_xasprintf("There was a vault format error%s%s: %s", label ? " in " : "",
                                 label ? label : "", err);
    vc_warn(NULL, w, true);
    free(w);
  }
  vc_error("%s for %s", err, path);
  free(err);
  return NULL;
}

static int vc_encrypt_files(VcCmd *c) {
  if (c->nargs == 0 && isatty(0))
    fputs("Reading plaintext input from stdin\n", stderr);
  static const char *stdin_only[] = {"-"};
  const char **files = c->nargs ? c->args : stdin_only;
  size_t n = c->nargs ? c->nargs : 1;
  for (size_t i = 0; i < n; i++) {
    char *path = strcmp(files[i], "-") ? vc_realpath(files[i]) : rt_vault_xasprintf("-");
    char *dest = c->output ? (strcmp(c->output, "-") ? vc_realpath(c->output) : rt_vault_xasprintf("-"))
                           : rt_vault_xasprintf("%s", path);
    size_t len = 0, outlen = 0;
    char *plain = vc_read(path, RT_VAULT_MAX_PLAIN, &len);
    char *out = plain ? vc_encrypt(c, plain, len, &outlen) : NULL;
    bool ok = out && vc_write(dest, out, outlen, true);
    rt_vault_bytes_free(plain, len);
    free(out);
    free(path);
    free(dest);
    if (!ok)
      return VC_EXIT_ERROR;
  }
  if (isatty(1))
    fputs("Encryption successful\n", stderr);
  return VC_EXIT_OK;
}

static int vc_decrypt_files(VcCmd *c) {
  if (c->nargs == 0 && isatty(0))
    fputs("Reading ciphertext input from stdin\n", stderr);
  static const char *stdin_only[] = {"-"};
  const char **files = c->nargs ? c->args : stdin_only;
  size_t n = c->nargs ? c->nargs : 1;
  for (size_t i = 0; i < n; i++) {
    char *path = strcmp(files[i], "-") ? vc_realpath(files[i]) : rt_vault_xasprintf("-");
    char *dest = c->output ? (strcmp(c->output, "-") ? vc_realpath(c->output) : rt_vault_xasprintf("-"))
                           : rt_vault_xasprintf("%s", path);
    size_t len = 0, plen = 0;
    char *data = vc_read(path, RT_VAULT_MAX_TEXT, &len);
    unsigned char *plain = data ? vc_decrypt(c, data, len, path, path, &plen) : NULL;
    bool ok = plain && vc_write(dest, plain, plen, false);
    rt_vault_bytes_free(plain, plen);
    free(data);
    free(path);
    free(dest);
    if (!ok)
      return VC_EXIT_ERROR;
  }
  if (isatty(1))
    fputs("Decryption successful\n", stderr);
  return VC_EXIT_OK;
}

static int vc_view(VcCmd *c) {
  for (size_t i = 0; i < c->nargs; i++) {
    size_t len = 0, plen = 0;
    char *data = vc_read(c->args[i], RT_VAULT_MAX_TEXT, &len);
    unsigned char *plain = data ? vc_decrypt(c, data, len, c->args[i], c->args[i], &plen) : NULL;
    free(data);
    if (!plain)
      return VC_EXIT_ERROR;
    vc_page((const char *)plain, plen);
    rt_vault_bytes_free(plain, plen);
  }
  return VC_EXIT_OK;
}

static int vc_rekey(VcCmd *c) {
  for (size_t i = 0; i < c->nargs; i++) {
    char *path = vc_realpath(c->args[i]);
    size_t len = 0, plen = 0, outlen = 0;
    char *data = vc_read(path, RT_VAULT_MAX_TEXT, &len);
    unsigned char *plain = data ? vc_decrypt(c, data, len, NULL, path, &plen) : NULL;
    char *out = plain ? vc_encrypt(c, (const char *)plain, plen, &outlen) : NULL;
    bool ok = out && vc_write(path, out, outlen, false);
    rt_vault_bytes_free(plain, plen);
    free(out);
    free(data);
    free(path);
    if (!ok)
      return VC_EXIT_ERROR;
  }
  fputs("Rekey successful\n", stderr);
  return VC_EXIT_OK;
}

/* One string for encrypt_string: its bytes (wiped on free), where it came
 * from, its variable name. */
typedef struct VcPlain {
  char *text;
  size_t len;
  const char *from;
  char *name; /* owned when it came from the prompt */
  bool owns_name;
} VcPlain;

/* Python's text-mode stdin: "\r\n" and "\r" read as "\n". */
static void vc_universal_newlines(char *s, size_t *len) {
  size_t o = 0;
  for (size_t i = 0; i < *len; i++) {
    if (s[i] == '\r') {
      s[o++] = '\n';
      if (i + 1 < *len && s[i + 1] == '\n')
        i++;
    } else {
      s[o++] = s[i];
    }
  }
  OPENSSL_cleanse(s + o, *len - o);
  *len = o;
}

/* The strings to encrypt, in ansible-vault's order: prompt, stdin, args.
 * Returns -1 with *n filled, or an exit code. */
static int vc_strings(VcCmd *c, VcPlain *p, size_t *n) {
  *n = 0;
  if (c->prompt) {
    char *name = NULL, *text = NULL;
    size_t nl = 0, tl = 0;
    RtVaultStatus st = rt_vault_prompt("Variable name (enter for no name): ", true, &name, &nl);
    if (st == RT_VAULT_OK)
      st = rt_vault_prompt(c->show_input ? "String to encrypt:" : "String to encrypt (hidden): ",
                           c->show_input, &text, &tl);
    if (st != RT_VAULT_OK) {
      rt_vault_bytes_free(name, nl);
      if (st == RT_VAULT_EINTR)
        fputs(VC_INTERRUPTED, stderr);
      else
        vc_error("EOF on the prompt");
      return st == RT_VAULT_EINTR ? VC_EXIT_INTERRUPTED : VC_EXIT_ERROR;
    }
    if (tl == 0) {
      rt_vault_bytes_free(name, nl);
      rt_vault_bytes_free(text, tl);
      return vc_options_error("The plaintext provided from the prompt was empty, not encrypting");
    }
    p[(*n)++] = (VcPlain){text, tl, "the interactive prompt", nl ? name : NULL, nl > 0};
    if (!nl)
      free(name);
  }
  if (c->read_stdin) {
    if (isatty(1))
      fputs("Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does "
            "not already have a newline)\n", stderr);
    size_t len = 0;
    char *text = vc_read("-", RT_VAULT_MAX_PLAIN, &len);
    if (!text)
      return VC_EXIT_ERROR;
    vc_universal_newlines(text, &len);
    if (len == 0) {
      free(text);
      return vc_options_error("stdin was empty, not encrypting");
    }
    if (isatty(1) && text[len - 1] != '\n')
      fputs("\n", stdout);
    p[(*n)++] = (VcPlain){text, len, "stdin", (char *)c->stdin_name, false};
  }
  size_t nargs = 0;
  for (size_t i = 0; i < c->nargs; i++)
    nargs += strcmp(c->args[i], "-") != 0;
  if (c->nnames && nargs > c->nnames) {
    fputs("The number of --name options do not match the number of args.\n", stderr);
    fprintf(stderr, "The last named variable will be \"%s\". The rest will not have names.\n",
            c->names[c->nnames - 1]);
  }
  for (size_t i = 0, k = 0; i < c->nargs; i++) {
    if (strcmp(c->args[i], "-") == 0)
      continue;
    size_t len = strlen(c->args[i]);
    if (len == 0)
      return vc_options_error("The plaintext provided from the command line args was empty, not "
                              "encrypting");
    p[*n] = (VcPlain){rt_vault_xasprintf("%s", c->args[i]), len, "the command line args",
                      k < c->nnames ? (char *)c->names[k] : NULL, false};
    (*n)++;
    k++;
  }
  return -1;
}

/* format_ciphertext_yaml: "[NAME: ]!vault |" then each line indented 10. */
static void vc_yaml_block(char **buf, size_t *len, size_t *cap, const char *name, const char *vt) {
  char *head = name ? rt_vault_xasprintf("%s: !vault |", name) : rt_vault_xasprintf("!vault |");
  size_t lines = 1;
  for (const char *l = vt; *l; l++)
    lines += *l == '\n';
  size_t need = *len + 1 + strlen(head) + strlen(vt) + 11 * lines + 1;
  if (need > *cap) {
    *cap = 2 * need;
    char *d = rt_vault_xmalloc(*cap);
    if (*len)
      memcpy(d, *buf, *len);
    free(*buf);
    *buf = d;
  }
  if (*len)
    (*buf)[(*len)++] = '\n';
  *len += (size_t)sprintf(*buf + *len, "%s", head);
  for (const char *l = vt; *l;) {
    size_t n = strcspn(l, "\n");
    *len += (size_t)sprintf(*buf + *len, "\n%10s%.*s", "", (int)n, l);
    l += n + (l[n] == '\n');
  }
  free(head);
}

static int vc_encrypt_string(VcCmd *c) {
  VcPlain *p = rt_vault_xmalloc((c->nargs + 2) * sizeof *p);
  size_t n = 0;
  int rc = vc_strings(c, p, &n);
  char *out = NULL;
  size_t len = 0, cap = 0;
  for (size_t i = 0; i < n && rc < 0; i++) {
    size_t vl;
    char *vt = vc_encrypt(c, p[i].text, p[i].len, &vl);
    if (!vt) {
      rc = VC_EXIT_ERROR;
      break;
    }
    if (n > 1 && p[i].name)
      fprintf(stderr, "# The encrypted version of variable (\"%s\", the string #%zu from %s).\n",
              p[i].name, i + 1, p[i].from);
    else if (n > 1)
      fprintf(stderr, "# The encrypted version of the string #%zu from %s.)\n", i + 1, p[i].from);
    vc_yaml_block(&out, &len, &cap, p[i].name, vt);
    free(vt);
  }
  if (rc < 0) {
    const char *dest = c->output && strcmp(c->output, "-") ? c->output : "-";
    char *real = strcmp(dest, "-") ? vc_realpath(dest) : rt_vault_xasprintf("-");
    rc = vc_write(real, out ? out : "", len, true) ? VC_EXIT_OK : VC_EXIT_ERROR;
    free(real);
    if (rc == VC_EXIT_OK && isatty(1))
      fputs("Encryption successful\n", stderr);
  }
  for (size_t i = 0; i < n; i++) {
    rt_vault_bytes_free(p[i].text, p[i].len);
    if (p[i].owns_name)
      free(p[i].name);
  }
  free(p);
  free(out);
  return rc;
}

static void vc_free(VcCmd *c) {
  rt_vault_secrets_free(&c->secrets);
  rt_vault_secrets_free(&c->new_secrets);
  free(c->src.ids);
  free(c->src.password_files);
  free(c->args);
  free(c->names);
}

int cg_vault_main(int argc, char **argv) {
  VcCmd c = {0};
  int rc = vc_parse(&c, argc, argv);
  if (rc < 0)
    rc = vc_check(&c);
  if (rc < 0) {
    mode_t old = umask(077);
    rc = vc_secrets(&c);
    if (rc < 0) {
      switch (c.action) {
      case VC_ENCRYPT: rc = vc_encrypt_files(&c); break;
      case VC_DECRYPT: rc = vc_decrypt_files(&c); break;
      case VC_VIEW: rc = vc_view(&c); break;
      case VC_REKEY: rc = vc_rekey(&c); break;
      case VC_ENCRYPT_STRING: rc = vc_encrypt_string(&c); break;
      case VC_NACTIONS: rc = VC_EXIT_ERROR; break;
      }
    }
    umask(old);
  }
  vc_free(&c);
  return rc;
}
