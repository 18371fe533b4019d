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
 */
#include "rt.h"

#include <stdlib.h>
#include <string.h>
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
  expect(c, "test -z \"$X\" && pwd", NULL, NULL == NULL ? "" : "", "", 0);
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
  for (int i = 0; i < 200; i++) {
    char script[64], out[32];
    snprintf(script, sizeof script, "echo %d; echo e%d >&2; exit %d", i, i, i % 5);
    snprintf(out, sizeof out, "%d\n", i);
    char err[32];
    snprintf(err, sizeof err, "e%d\n", i);
    expect(c, script, NULL, out, err, i % 5);
  }
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
  RtExec r = {0};
  CHECK(c->ops->exec(c, "mktemp -d", NULL, 0, &r, &e) == 0 && r.rc == 0);
  char *dir = rt_xstrndup(r.out.data ? r.out.data : "/tmp", r.out.len ? r.out.len - 1 : 4);
  rt_exec_free(&r);
  run_all(c, dir);
  RtBuf s = {0};
  rt_buf_puts(&s, "rmdir ");
  rt_sh_quote(&s, dir);
  expect(c, s.data, NULL, "", "", 0);
  rt_buf_free(&s);
  free(dir);
  c->ops->close(c);
  test_host_keys();
  printf("test_conn: ssh part ran against %s:%d\n", p.host, p.port);
}

int main(void) {
  test_quote();
  test_local();
  test_ssh();
  if (failures) {
    fprintf(stderr, "test_conn: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_conn: ok\n");
  return 0;
}
