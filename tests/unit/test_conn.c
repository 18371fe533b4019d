/*
 * test_conn.c — the framed persistent shell over both connection types.
 *
 * The local connection always runs: stdout/stderr/rc framing (output without a
 * trailing newline, output that looks like a marker, stdin data, failing
 * commands, `exit` and `cd` not leaking between requests, 200 requests on one
 * shell) and put + read back. When the loopback sshd of tests/harness/sshd.sh
 * is described by PLAYC_TEST_SSH_PORT / _USER / _KEY / PLAYC_TEST_KNOWN_HOSTS
 * (optionally PLAYC_TEST_SSH_HOST, default 127.0.0.2), the same checks run
 * over one libssh session, plus the host key policy (unknown key refused in
 * strict mode, accepted with accept-new).
 *
 * The built-in modules then run on a host whose connection is the local
 * shell, with argument dicts as the compiled code passes them, and their
 * results are checked key by key against what Ansible's modules return.
 */
#include "conn_shell.h"
#include "mod.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define CHECK(c)                                                                          \
  do {                                                                                    \
    if (!(c)) {                                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);               \
      failures++;                                                                         \
    }                                                                                     \
  } while (0)

/* Runs `script` (stdin `in`) and checks stdout, stderr and rc exactly. */
static void expect(RtConn *c, const char *script, const char *in, const char *out,
                   const char *err, int rc) {
  RtExec r = {0};
  char *e = NULL;
  int st = c->ops->exec(c, script, in, in ? strlen(in) : 0, &r, &e);
  CHECK(st == 0);
  if (st != 0) {
    fprintf(stderr, "  exec %s: %s\n", script, e ? e : "?");
    free(e);
    return;
  }
  const char *ro = r.out.data ? r.out.data : "", *re = r.err.data ? r.err.data : "";
  if (strcmp(ro, out) != 0 || strcmp(re, err) != 0 || r.rc != rc) {
    fprintf(stderr, "  script: %s\n  stdout [%s] want [%s]\n  stderr [%s] want [%s]\n"
                    "  rc %d want %d\n",
            script, ro, out, re, err, r.rc, rc);
    failures++;
  }
  rt_exec_free(&r);
}

static void test_framing(RtConn *c) {
  expect(c, "echo hello", NULL, "hello\n", "", 0);
  expect(c, "printf 'no newline'", NULL, "no newline", "", 0);
  expect(c, "printf ''", NULL, "", "", 0);
  expect(c, "echo oops >&2; exit 3", NULL, "", "oops\n", 3);
  expect(c, "false", NULL, "", "", 1);
  expect(c, "printf '\\n__PLAYC_x_1 0\\n__PLAYC_'", NULL, "\n__PLAYC_x_1 0\n__PLAYC_", "", 0);
  expect(c, "printf 'a\\n\\n'; printf 'b' >&2", NULL, "a\n\n", "b", 0);
  expect(c, "cat", "line1\nit's $HOME `x`\n", "line1\nit's $HOME `x`\n", "", 0);
  expect(c, "cat", NULL, "", "", 0);
  expect(c, "wc -c", "abc", "4\n", "", 0); /* the here-document adds a newline */
  expect(c, "cd /; X=1; exit 0", NULL, "", "", 0);
  expect(c, "test -z \"$X\"", NULL, "", "", 0);
}

static void test_no_leak(RtConn *c) {
  RtExec r0 = {0}, r1 = {0};
  char *e = NULL;
  CHECK(c->ops->exec(c, "pwd", NULL, 0, &r0, &e) == 0);
  CHECK(c->ops->exec(c, "cd / && Y=2 && exit 7", NULL, 0, &r1, &e) == 0);
  CHECK(r1.rc == 7);
  rt_exec_free(&r1);
  CHECK(c->ops->exec(c, "pwd; echo \"[$Y]\"", NULL, 0, &r1, &e) == 0);
  RtBuf want = {0};
  rt_buf_printf(&want, "%s[]\n", r0.out.data ? r0.out.data : "");
  CHECK(r1.out.data && strcmp(r1.out.data, want.data) == 0);
  rt_buf_free(&want);
  rt_exec_free(&r0);
  rt_exec_free(&r1);
}

static void test_many(RtConn *c) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < 200; i++) {
    char script[64], out[32];
    snprintf(script, sizeof script, "echo %d; echo e%d >&2; exit %d", i, i, i % 5);
    snprintf(out, sizeof out, "%d\n", i);
    char err[32];
    snprintf(err, sizeof err, "e%d\n", i);
    expect(c, script, NULL, out, err, i % 5);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (getenv("PLAYC_TEST_VERBOSE"))
    printf("200 requests: %.3f ms each\n",
           ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / 200);
  /* a large output (bigger than any pipe or channel window) */
  RtExec r = {0};
  char *e = NULL;
  CHECK(c->ops->exec(c, "i=0; while [ $i -lt 20000 ]; do echo line$i; i=$((i+1)); done", NULL,
                     0, &r, &e) == 0);
  CHECK(r.out.len > 20000 * 5 && strncmp(r.out.data, "line0\nline1\n", 12) == 0);
  CHECK(r.out.len > 10 && strcmp(r.out.data + r.out.len - 10, "line19999\n") == 0);
  rt_exec_free(&r);
}

static void test_put(RtConn *c, const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/put-test", dir);
  const char data[] = "first\nsecond\0binary\n";
  char *e = NULL;
  CHECK(c->ops->put(c, path, data, sizeof data - 1, 0640, &e) == 0);
  RtBuf s = {0};
  rt_buf_puts(&s, "od -An -c ");
  rt_sh_quote(&s, path);
  rt_buf_puts(&s, " | tr -s ' \\n' ' '; stat -c ' %a %s' ");
  rt_sh_quote(&s, path);
  expect(c, s.data, NULL, " f i r s t \\n s e c o n d \\0 b i n a r y \\n  640 20\n", "", 0);
  rt_buf_free(&s);
  /* a replacement truncates */
  CHECK(c->ops->put(c, path, "x", 1, 0600, &e) == 0);
  rt_buf_puts(&s, "cat ");
  rt_sh_quote(&s, path);
  rt_buf_puts(&s, "; rm -f ");
  rt_sh_quote(&s, path);
  expect(c, s.data, NULL, "x", "", 0);
  rt_buf_free(&s);
}

/* A fake shell that answers with canned streams, one byte per read, so
 * markers and rc lines arrive split at every possible point. */
typedef struct FakeShell {
  RtShell sh;
  const char *out, *err;
  size_t outlen, io, ie;
  size_t interrupt_at; /* raise the interrupt once stdout reached this byte (0: never) */
  int stops;           /* stop levels asked for */
} FakeShell;

static void fake_stop(RtShell *s, int level) {
  ((FakeShell *)s)->stops |= 1 << level;
}

static int fake_write(RtShell *s, const char *buf, size_t len, char **err) {
  (void)s, (void)buf, (void)len, (void)err;
  return 0;
}

static long fake_read(RtShell *s, bool want_out, bool want_err, int *stream, char *buf,
                      size_t cap, char **err) {
  FakeShell *f = (FakeShell *)s;
  (void)cap, (void)err;
  bool out_left = f->io < f->outlen, err_left = f->err[f->ie] != 0;
  if (want_err && err_left && (!want_out || !out_left || f->ie <= f->io)) {
    *stream = 1;
    buf[0] = f->err[f->ie++];
    return 1;
  }
  if (want_out && out_left) {
    *stream = 0;
    buf[0] = f->out[f->io++];
    if (f->interrupt_at && f->io == f->interrupt_at)
      rt_interrupt_raise();
    return 1;
  }
  return 0;
}

#define TOK "0123456789abcdef01234567"

/* Runs one request on the fake shell: stdout `out` (`outlen` bytes, NULs
 * allowed), stderr `err`. Returns rt_shell_exec's status. */
static int fake_exec(FakeShell *f, const char *out, size_t outlen, const char *err, RtExec *r,
                     char **e) {
  f->out = out;
  f->outlen = outlen;
  f->err = err;
  f->io = f->ie = 0;
  return rt_shell_exec(&f->sh, "x", NULL, 0, r, e);
}
#define FAKE(f, lit, err, r, e) fake_exec(f, lit, sizeof lit - 1, err, r, e)

/* Records arrive split at every byte; output that imitates records, ends or
 * old key=value results stays output; a broken frame is an error, not a
 * guess. */
static void test_split_reads(void) {
  FakeShell f = {0};
  f.sh.write = fake_write;
  f.sh.read = fake_read;
  strcpy(f.sh.token, TOK);
  RtExec r = {0};
  char *e = NULL;
  CHECK(FAKE(&f, "a\n" TOK " k\0v1\ntmp=x\0" "b" TOK " l[]\0x\0" TOK " l[]\0\0c" TOK " .end\0" "1 42\0",
             "e\n__PLAYC_" TOK "_1\n", &r, &e) == 0);
  CHECK(r.rc == 42);
  CHECK(r.out.len == 4 && memcmp(r.out.data, "a\nbc", 4) == 0);
  CHECK(r.err.data && strcmp(r.err.data, "e") == 0);
  RtValue *k = rt_dict_get(r.rec, "k"), *l = rt_dict_get(r.rec, "l");
  CHECK(k && rt_kind(k) == RT_STR && strcmp(k->u.str.s, "v1\ntmp=x") == 0);
  CHECK(l && rt_kind(l) == RT_LIST && rt_len(l) == 2 && rt_len(rt_list_at(l, 1)) == 0);
  CHECK(rt_len(r.rec) == 2 && !rt_dict_get(r.rec, "tmp"));
  rt_exec_free(&r);
  /* what a command may print (it cannot know the token): old markers and
   * key=value lines, another token's records and end, a prefix of the token
   * just before the real end, NUL bytes — all output */
  static const char spoof[] = "__PLAYC_SKIP_CREATES\ntmp=victim\nsame=1\n"
                              "fedcba9876543210fedcba98 k\0v\0" "0123456789abcdef0123456 x\0"
                              "\n__PLAYC_fedcba9876543210fedcba98_2 0\n" "0123456789abcdef0123";
  RtBuf want = {0};
  rt_buf_add(&want, spoof, sizeof spoof - 1);
  RtBuf all = {0};
  rt_buf_add(&all, spoof, sizeof spoof - 1);
  static const char end2[] = TOK " .end\0" "2 0\0";
  rt_buf_add(&all, end2, sizeof end2 - 1);
  CHECK(fake_exec(&f, all.data, all.len, "\n__PLAYC_" TOK "_2\n", &r, &e) == 0);
  CHECK(r.rc == 0 && r.out.len == want.len && memcmp(r.out.data, want.data, want.len) == 0);
  CHECK(r.rec && rt_len(r.rec) == 0);
  rt_exec_free(&r);
  rt_buf_free(&all);
  rt_buf_free(&want);
  /* the token followed by anything but a record is a broken frame */
  CHECK(FAKE(&f, TOK "X k\0v\0", "", &r, &e) == -1 && e);
  free(e);
  e = NULL;
  /* an end that is not this request's */
  CHECK(FAKE(&f, TOK " .end\0" "3 0\0", "\n__PLAYC_" TOK "_5\n", &r, &e) == -1 && e);
  free(e);
  e = NULL;
  /* the shell going away mid-request is an error, not a hang */
  CHECK(FAKE(&f, "partial" TOK " k\0v", "", &r, &e) == -1 && e);
  free(e);
}

/* An interrupt during a request stops it (level 0 first) but the reply is
 * read to its end: a request that finished anyway keeps its result. After
 * that no request starts. Runs last: the interrupt cannot be taken back. */
static void test_interrupt(void) {
  FakeShell f = {0};
  f.sh.write = fake_write;
  f.sh.read = fake_read;
  f.sh.stop = fake_stop;
  strcpy(f.sh.token, TOK);
  f.interrupt_at = 3;
  RtExec r = {0};
  char *e = NULL;
  CHECK(FAKE(&f, "out" TOK " tmp\0/x/.playc-tmp-1\0" TOK " .end\0" "1 0\0", "\n__PLAYC_" TOK "_1\n",
             &r, &e) == 0);
  CHECK(rt_interrupted() && f.stops == 1);
  CHECK(r.rec && rt_dict_get(r.rec, "tmp") && r.out.len == 3);
  rt_exec_free(&r);
  CHECK(FAKE(&f, TOK " .end\0" "2 0\0", "\n__PLAYC_" TOK "_2\n", &r, &e) == -1 && e &&
        strcmp(e, "interrupted") == 0 && f.io == 0);
  free(e);
}

static void test_quote(void) {
  RtBuf b = {0};
  rt_sh_quote(&b, "it's");
  CHECK(strcmp(b.data, "'it'\\''s'") == 0);
  rt_buf_free(&b);
  rt_sh_quote(&b, "");
  CHECK(strcmp(b.data, "''") == 0);
  rt_buf_free(&b);
}

static void run_all(RtConn *c, const char *dir) {
  test_framing(c);
  test_no_leak(c);
  test_many(c);
  test_put(c, dir);
}

static void test_modules(RtConn *c);
static char *remote_tmpdir(RtConn *c);
static void remote_rmdir(RtConn *c, const char *dir);

static void test_local(void) {
  char *e = NULL;
  RtConn *c = rt_conn_local_open(&e);
  CHECK(c != NULL);
  if (!c)
    return;
  char dir[] = "/tmp/playc-test-conn-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  run_all(c, dir);
  rmdir(dir);
  test_modules(c);
  c->ops->close(c);
}

static RtConnParams ssh_params(const char *known_hosts, int hkc) {
  RtConnParams p = {0};
  p.host = getenv("PLAYC_TEST_SSH_HOST") ? getenv("PLAYC_TEST_SSH_HOST") : "127.0.0.2";
  p.port = atoi(getenv("PLAYC_TEST_SSH_PORT"));
  p.user = getenv("PLAYC_TEST_SSH_USER");
  p.key_file = getenv("PLAYC_TEST_SSH_KEY");
  p.known_hosts = known_hosts;
  p.host_key_checking = hkc;
  p.timeout = 10;
  return p;
}

/* A closed port: unreachable with Ansible's message, no crash, no hang. */
static void test_refused(void) {
  RtConnParams p = ssh_params(NULL, RT_HKC_STRICT);
  p.port = 1;
  char *e = NULL;
  RtConn *c = rt_conn_ssh_open(&p, &e);
  CHECK(c == NULL && e &&
        strncmp(e, "Failed to connect to the host via ssh: ssh: connect to host", 59) == 0);
  if (getenv("PLAYC_TEST_VERBOSE"))
    printf("refused: %s\n", e ? e : "");
  free(e);
}

static void test_host_keys(void) {
  char kh[] = "/tmp/playc-test-kh-XXXXXX";
  int fd = mkstemp(kh);
  CHECK(fd >= 0);
  close(fd);
  char *e = NULL;
  RtConnParams p = ssh_params(kh, RT_HKC_STRICT);
  RtConn *c = rt_conn_ssh_open(&p, &e);
  CHECK(c == NULL && e && strstr(e, "Failed to connect to the host via ssh"));
  free(e);
  e = NULL;
  p.host_key_checking = RT_HKC_ACCEPT_NEW;
  c = rt_conn_ssh_open(&p, &e);
  CHECK(c != NULL);
  if (c)
    c->ops->close(c);
  p.host_key_checking = RT_HKC_STRICT; /* now recorded */
  c = rt_conn_ssh_open(&p, &e);
  CHECK(c != NULL);
  if (c)
    c->ops->close(c);
  /* another key recorded for the host (the client key plays the impostor) */
  char *pub = rt_xasprintf("%s.pub", p.key_file);
  FILE *in = fopen(pub, "r"), *out = fopen(kh, "w");
  char line[1024] = {0};
  CHECK(in && out && fgets(line, sizeof line, in));
  char *sp = strchr(line, ' ');
  sp = sp ? strchr(sp + 1, ' ') : NULL;
  if (sp)
    *sp = 0;
  if (out)
    fprintf(out, "[%s]:%d %s\n", p.host, p.port, line);
  if (in)
    fclose(in);
  if (out)
    fclose(out);
  free(pub);
  c = rt_conn_ssh_open(&p, &e);
  CHECK(c == NULL && e && strstr(e, "REMOTE HOST IDENTIFICATION HAS CHANGED"));
  free(e);
  e = NULL;
  p.host_key_checking = RT_HKC_ACCEPT_NEW; /* accept-new never replaces a changed key */
  c = rt_conn_ssh_open(&p, &e);
  CHECK(c == NULL && e && strstr(e, "REMOTE HOST IDENTIFICATION HAS CHANGED"));
  free(e);
  unlink(kh);
}

static void test_ssh(void) {
  if (!getenv("PLAYC_TEST_SSH_PORT") || !getenv("PLAYC_TEST_SSH_USER") ||
      !getenv("PLAYC_TEST_SSH_KEY") || !getenv("PLAYC_TEST_KNOWN_HOSTS")) {
    printf("test_conn: ssh part skipped (PLAYC_TEST_SSH_* not set)\n");
    return;
  }
  char *e = NULL;
  RtConnParams p = ssh_params(getenv("PLAYC_TEST_KNOWN_HOSTS"), RT_HKC_STRICT);
  RtConn *c = rt_conn_ssh_open(&p, &e);
  CHECK(c != NULL);
  if (!c) {
    fprintf(stderr, "  ssh: %s\n", e ? e : "?");
    free(e);
    return;
  }
  char *dir = remote_tmpdir(c);
  run_all(c, dir);
  remote_rmdir(c, dir);
  free(dir);
  test_modules(c);
  c->ops->close(c);
  test_host_keys();
  test_refused();
  printf("test_conn: ssh part ran against %s:%d\n", p.host, p.port);
}


/* ---- modules over the local connection ------------------------------------ */

static RtValue *args_of(const char *k1, RtValue *v1, const char *k2, RtValue *v2,
                        const char *k3, RtValue *v3) {
  RtValue *a = rt_dict_new(4);
  if (k1)
    rt_dict_set(a, k1, v1);
  if (k2)
    rt_dict_set(a, k2, v2);
  if (k3)
    rt_dict_set(a, k3, v3);
  return a;
}

/* Checks that result key `key` renders (Python str) as `want`. */
static void expect_key(RtValue *r, const char *key, const char *want, int line) {
  RtValue *v = r ? rt_dict_get(r, key) : NULL;
  RtBuf b = {0};
  if (v)
    rt_render_str(&b, v);
  if (!v || strcmp(b.data ? b.data : "", want) != 0) {
    RtBuf j = {0};
    if (r)
      rt_render_json(&j, r, -1, true);
    fprintf(stderr, "%s:%d: result[%s] = [%s], want [%s]\n  %s\n", __FILE__, line, key,
            v ? (b.data ? b.data : "") : "<absent>", want, j.data ? j.data : "NULL");
    rt_buf_free(&j);
    failures++;
  }
  rt_buf_free(&b);
}
#define KEY(r, k, w) expect_key(r, k, w, __LINE__)

static RtValue *run(RtModuleFn fn, RtHost *h, RtValue *args) {
  RtValue *r = fn(h, args);
  rt_decref(args);
  return r;
}

static void test_command_modules(RtHost *h, const char *dir) {
  RtValue *r = run(mod_command, h, args_of("_raw_params", rt_strz("echo 'hi  there' \"x\"y"), 0, 0, 0, 0));
  KEY(r, "stdout", "hi  there xy");
  KEY(r, "rc", "0");
  KEY(r, "changed", "True");
  KEY(r, "msg", "");
  KEY(r, "cmd", "['echo', 'hi  there', 'xy']");
  KEY(r, "stdout_lines", "['hi  there xy']");
  rt_decref(r);
  r = run(mod_command, h, args_of("_raw_params", rt_strz("playc-no-such-command a"), 0, 0, 0, 0));
  KEY(r, "failed", "True");
  KEY(r, "rc", "2");
  KEY(r, "msg", "[Errno 2] No such file or directory: b'playc-no-such-command'");
  rt_decref(r);
  r = run(mod_command, h, args_of("_raw_params", rt_strz("cat"), "stdin", rt_strz("abc"), 0, 0));
  KEY(r, "stdout", "abc");
  rt_decref(r);
  r = run(mod_command, h, args_of("_raw_params", rt_strz("pwd"), "chdir", rt_strz(dir),
                                  "creates", rt_strz("/nonexistent/*")));
  KEY(r, "stdout", dir);
  rt_decref(r);
  r = run(mod_command, h, args_of("_raw_params", rt_strz("true"), "chdir", rt_strz("/nonexistent"), 0, 0));
  KEY(r, "failed", "True");
  KEY(r, "msg", "Unable to change directory before execution: [Errno 2] No such file or directory: "
                "b'/nonexistent'");
  rt_decref(r);
  r = run(mod_shell, h, args_of("_raw_params", rt_strz("  "), 0, 0, 0, 0));
  KEY(r, "msg", "no command given");
  KEY(r, "rc", "256");
  rt_decref(r);
  r = run(mod_command, h, args_of("_raw_params", rt_strz("false"), "creates", rt_strz("/"), 0, 0));
  KEY(r, "changed", "False");
  KEY(r, "stdout", "skipped, since / exists");
  KEY(r, "rc", "0");
  rt_decref(r);
  r = run(mod_shell, h, args_of("_raw_params", rt_strz("echo a; echo b >&2; exit 3"), 0, 0, 0, 0));
  KEY(r, "rc", "3");
  KEY(r, "failed", "True");
  KEY(r, "msg", "non-zero return code");
  KEY(r, "stdout_lines", "['a']");
  KEY(r, "stderr", "b");
  KEY(r, "cmd", "echo a; echo b >&2; exit 3");
  rt_decref(r);
}

static void test_file_module(RtHost *h, const char *dir) {
  char *d = rt_xasprintf("%s/sub", dir), *f = rt_xasprintf("%s/sub/f", dir);
  RtValue *r = run(mod_file, h, args_of("path", rt_strz(d), "state", rt_strz("directory"),
                                        "mode", rt_int(0750)));
  KEY(r, "changed", "True");
  KEY(r, "state", "directory");
  KEY(r, "mode", "0750");
  KEY(r, "path", d);
  rt_decref(r);
  r = run(mod_file, h, args_of("path", rt_strz(d), "state", rt_strz("directory"),
                               "mode", rt_strz("0750")));
  KEY(r, "changed", "False");
  rt_decref(r);
  r = run(mod_file, h, args_of("path", rt_strz(f), 0, 0, 0, 0));
  KEY(r, "failed", "True");
  char *msg = rt_xasprintf("file (%s) is absent, cannot continue", f);
  KEY(r, "msg", msg);
  free(msg);
  rt_decref(r);
  r = run(mod_file, h, args_of("path", rt_strz(f), "state", rt_strz("touch"), "mode", rt_strz("600")));
  KEY(r, "changed", "True");
  KEY(r, "dest", f);
  KEY(r, "state", "file");
  KEY(r, "mode", "0600");
  KEY(r, "size", "0");
  rt_decref(r);
  /* Ansible's _symbolic_mode_to_octal reads u and X from the mode before the
   * change (chmod(1) would give 0750) */
  r = run(mod_file, h, args_of("path", rt_strz(f), "mode", rt_strz("u+x,g=u-w"), 0, 0));
  KEY(r, "changed", "True");
  KEY(r, "mode", "0740");
  KEY(r, "path", f);
  rt_decref(r);
  r = run(mod_file, h, args_of("path", rt_strz(f), "mode", rt_strz("u+x"), 0, 0));
  KEY(r, "changed", "False");
  rt_decref(r);
  r = run(mod_file, h, args_of("path", rt_strz(f), "mode", rt_strz("bogus"), 0, 0));
  KEY(r, "msg", "mode must be in octal or symbolic form");
  rt_decref(r);
  r = run(mod_file, h, args_of("path", rt_strz(d), "state", rt_strz("absent"), 0, 0));
  KEY(r, "changed", "True");
  KEY(r, "state", "absent");
  rt_decref(r);
  r = run(mod_file, h, args_of("path", rt_strz(d), "state", rt_strz("absent"), 0, 0));
  KEY(r, "changed", "False");
  rt_decref(r);
  free(d);
  free(f);
}

static void test_copy_module(RtHost *h, const char *dir) {
  char *f = rt_xasprintf("%s/copied", dir);
  for (int round = 0; round < 2; round++) {
    RtValue *r = run(mod_copy, h, args_of("content", rt_strz("hello\n"), "dest", rt_strz(f),
                                          "mode", rt_int(0640)));
    KEY(r, "changed", round == 0 ? "True" : "False");
    KEY(r, "checksum", "f572d396fae9206628714fb2ce00f72e94f2258f");
    KEY(r, "dest", f);
    KEY(r, "mode", "0640");
    KEY(r, "size", "6");
    KEY(r, "state", "file");
    rt_decref(r);
  }
  RtValue *r = run(mod_copy, h, args_of("content", rt_strz("other"), "dest", rt_strz(f),
                                        "backup", rt_bool(true)));
  KEY(r, "changed", "True");
  KEY(r, "mode", "0640"); /* an existing file keeps its mode */
  RtValue *bk = rt_dict_get(r, "backup_file");
  CHECK(bk && rt_kind(bk) == RT_STR && strncmp(bk->u.str.s, f, strlen(f)) == 0);
  if (bk && rt_kind(bk) == RT_STR) {
    RtBuf b = {0};
    rt_buf_puts(&b, "cat ");
    rt_sh_quote(&b, bk->u.str.s);
    rt_buf_puts(&b, " && rm ");
    rt_sh_quote(&b, bk->u.str.s);
    expect(h->conn, b.data, NULL, "hello\n", "", 0);
    rt_buf_free(&b);
  }
  rt_decref(r);
  /* an embedded file into a directory: dest/basename(src) */
  static const uint8_t motd[] = "welcome\n";
  static const RtFileDef files[] = {{"/pb/files/motd.txt", motd, sizeof motd - 1, 0100644, NULL}};
  static const char *const roots[] = {"/pb", NULL};
  RtProgram prog = {0};
  prog.files = files;
  prog.nfiles = 1;
  h->run->prog = &prog;
  RtTaskDef task = {0};
  task.roots = roots;
  h->task = &task; /* a relative src is looked for in the task's roots */
  char *dslash = rt_xasprintf("%s/", dir), *m = rt_xasprintf("%s/motd.txt", dir);
  r = run(mod_copy, h, args_of("src", rt_strz("motd.txt"), "dest", rt_strz(dslash), 0, 0));
  KEY(r, "changed", "True");
  KEY(r, "dest", m);
  KEY(r, "size", "8");
  rt_decref(r);
  r = run(mod_copy, h, args_of("src", rt_strz("motd.txt"), "dest", rt_strz(dir), 0, 0));
  KEY(r, "changed", "False");
  KEY(r, "dest", m);
  rt_decref(r);
  r = run(mod_copy, h, args_of("src", rt_strz("nope.txt"), "dest", rt_strz(dir), 0, 0));
  KEY(r, "failed", "True");
  rt_decref(r);
  h->run->prog = NULL;
  h->task = NULL;
  RtBuf rm = {0};
  rt_buf_puts(&rm, "rm ");
  rt_sh_quote(&rm, m);
  expect(h->conn, rm.data, NULL, "", "", 0);
  rt_buf_free(&rm);
  free(dslash);
  free(m);
  RtBuf s = {0};
  rt_buf_puts(&s, "cat ");
  rt_sh_quote(&s, f);
  rt_buf_puts(&s, "; ls -a ");
  rt_sh_quote(&s, dir);
  rt_buf_puts(&s, " | grep -c playc-tmp; rm -f ");
  rt_sh_quote(&s, f);
  expect(h->conn, s.data, NULL, "other0\n", "", 0);
  rt_buf_free(&s);
  free(f);
}

static void test_setup_module(RtHost *h) {
  RtValue *r = run(mod_setup, h, rt_dict_new(0));
  RtValue *f = r ? rt_dict_get(r, "ansible_facts") : NULL;
  CHECK(f != NULL);
  if (f) {
    KEY(f, "ansible_system", "Linux");
    RtValue *os = rt_dict_get(f, "ansible_os_family");
    CHECK(os && rt_kind(os) == RT_STR && os->u.str.len > 0);
    RtValue *host = rt_dict_get(f, "ansible_hostname");
    CHECK(host && rt_kind(host) == RT_STR && host->u.str.len > 0);
    CHECK(rt_dict_get(f, "ansible_user_uid") != NULL);
  }
  KEY(r, "changed", "False");
  rt_decref(r);
}

static void test_controller_modules(RtHost *h) {
  RtValue *r = run(mod_debug, h, args_of("msg", rt_strz("hi"), 0, 0, 0, 0));
  KEY(r, "msg", "hi");
  KEY(r, "changed", "False");
  KEY(r, "_ansible_verbose_always", "True");
  rt_decref(r);
  r = run(mod_debug, h, args_of("var", rt_strz("nope"), "__var", rt_undef("nope", NULL), 0, 0));
  KEY(r, "nope", "VARIABLE IS NOT DEFINED!");
  rt_decref(r);
  r = run(mod_fail, h, rt_dict_new(0));
  KEY(r, "failed", "True");
  KEY(r, "msg", "Failed as requested from task");
  rt_decref(r);
  r = run(mod_set_fact, h, args_of("good_name", rt_int(1), "cacheable", rt_bool(false), 0, 0));
  KEY(r, "ansible_facts", "{'good_name': 1}");
  KEY(r, "changed", "False");
  rt_decref(r);
  r = run(mod_set_fact, h, args_of("bad-name", rt_int(1), 0, 0, 0, 0));
  KEY(r, "failed", "True");
  rt_decref(r);
  RtValue *that = rt_list_new(2), *vals = rt_list_new(2);
  rt_list_push(that, rt_strz("1 == 1"));
  rt_list_push(that, rt_strz("x"));
  rt_list_push(vals, rt_bool(true));
  rt_list_push(vals, rt_bool(false));
  r = run(mod_assert, h, args_of("that", that, "__that", vals, 0, 0));
  KEY(r, "failed", "True");
  KEY(r, "assertion", "x");
  KEY(r, "evaluated_to", "False");
  KEY(r, "msg", "Assertion failed");
  rt_decref(r);
}

/* -C: nothing changes on the target, results say what would. */
static void test_check_mode(RtHost *h, const char *dir) {
  h->run->opt.check = true;
  h->check_mode = true;
  char *d = rt_xasprintf("%s/would", dir);
  RtValue *r = run(mod_command, h, args_of("_raw_params", rt_strz("touch x"), 0, 0, 0, 0));
  KEY(r, "skipped", "True");
  KEY(r, "changed", "False");
  KEY(r, "msg", "Command would have run if not in check mode");
  rt_decref(r);
  r = run(mod_file, h, args_of("path", rt_strz(d), "state", rt_strz("directory"), 0, 0));
  KEY(r, "changed", "True");
  rt_decref(r);
  r = run(mod_copy, h, args_of("content", rt_strz("x"), "dest", rt_strz(d), 0, 0));
  KEY(r, "changed", "True");
  rt_decref(r);
  RtBuf s = {0};
  rt_buf_puts(&s, "ls -A ");
  rt_sh_quote(&s, dir);
  expect(h->conn, s.data, NULL, "", "", 0);
  rt_buf_free(&s);
  free(d);
  h->run->opt.check = false;
  h->check_mode = false;
}

/* A fresh private directory on the target (mktemp -d), malloc'd. */
static char *remote_tmpdir(RtConn *c) {
  RtExec r = {0};
  char *e = NULL;
  CHECK(c->ops->exec(c, "mktemp -d", NULL, 0, &r, &e) == 0 && r.rc == 0 && r.out.len > 1);
  char *dir = rt_xstrndup(r.out.len > 1 ? r.out.data : "/tmp\n", r.out.len > 1 ? r.out.len - 1 : 4);
  rt_exec_free(&r);
  free(e);
  return dir;
}

static void remote_rmdir(RtConn *c, const char *dir) {
  RtBuf s = {0};
  rt_buf_puts(&s, "rmdir ");
  rt_sh_quote(&s, dir);
  expect(c, s.data, NULL, "", "", 0);
  rt_buf_free(&s);
}

/* Runs the module checks on a host whose connection is `c` (kept open). */
static void test_modules(RtConn *c) {
  RtRun run_ = {0};
  RtHost h = {0};
  h.run = &run_;
  h.name = "localhost";
  h.loop_index = -1;
  h.conn = c;
  char *dir = remote_tmpdir(c);
  test_command_modules(&h, dir);
  test_file_module(&h, dir);
  test_copy_module(&h, dir);
  test_controller_modules(&h);
  test_setup_module(&h);
  test_check_mode(&h, dir);
  remote_rmdir(c, dir);
  free(dir);
  for (int i = 0; i < RT_LV_COUNT; i++)
    rt_decref(h.dyn[i]);
  rt_decref(h.last_result);
}

int main(void) {
  test_quote();
  test_split_reads();
  test_local();
  test_ssh();
  test_interrupt();
  if (failures) {
    fprintf(stderr, "test_conn: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_conn: ok\n");
  return 0;
}
