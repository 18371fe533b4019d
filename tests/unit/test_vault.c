/*
 * test_vault.c — unit tests of the vault layer against Ansible's own answers:
 *   test_vault FIXTURES_DIR
 * FIXTURES_DIR is tests/vault/fixtures, written by tests/vault/gen_fixtures.py
 * with the real ansible-vault and Ansible's VaultLib: every case is decrypted
 * and must give Ansible's plaintext, or Ansible's error class and message;
 * every fixed-salt encryption must give Ansible's bytes. Then what fixtures
 * cannot hold: huge inputs, size limits, messages naming a file, the secret
 * sources (files, scripts, client scripts, an encrypted password file), and
 * the run-time value cache (rt_vault_value).
 *   test_vault --wrap WIDTH   wraps each NUL-terminated text of stdin with
 *                             rt_textwrap and prints it NUL-terminated
 *                             (tests/unit/textwrap_oracle.py compares with
 *                             Python's textwrap.wrap)
 */
#include "config.h"
#include "rt.h"
#include "textwrap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures, checks;

#define CHECK(c)                                                                          \
  do {                                                                                    \
    checks++;                                                                             \
    if (!(c)) {                                                                           \
      failures++;                                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);               \
    }                                                                                     \
  } while (0)

static const char *dir;

static char *slurp(const char *name, size_t *len) {
  char *path = rt_xasprintf("%s/%s", dir, name);
  char *s = rt_read_file(path, len);
  if (!s) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  free(path);
  return s;
}

static unsigned char *unhex(const char *h, size_t *n) {
  size_t l = strlen(h);
  unsigned char *o = rt_xmalloc(l / 2 + 1);
  for (size_t i = 0; i + 1 < l; i += 2) {
    unsigned v;
    sscanf(h + i, "%2x", &v);
    o[i / 2] = (unsigned char)v;
  }
  *n = l / 2;
  return o;
}

/* "label:hexpw,label:hexpw" or "-" */
static void parse_secrets(RtVaultSecrets *s, char *field) {
  if (strcmp(field, "-") == 0)
    return;
  for (char *save = NULL, *tok = strtok_r(field, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(tok, ':');
    *colon = 0;
    size_t n;
    unsigned char *pw = unhex(colon + 1, &n);
    rt_vault_secrets_add(s, tok, pw, n);
    free(pw);
  }
}

/* Ansible's exception class for each status. */
static const char *class_of(RtVaultStatus st, const char *msg) {
  switch (st) {
  case RT_VAULT_OK: return "ok";
  case RT_VAULT_ENOTVAULT: return "AnsibleError";
  case RT_VAULT_EENVELOPE: return "AnsibleVaultFormatError";
  case RT_VAULT_ECIPHER: return "AnsibleError";
  case RT_VAULT_ENOSECRETS: return "AnsibleVaultError";
  case RT_VAULT_EFORMAT:
    return strcmp(msg, "Invalid padding bytes.") == 0 ? "ValueError" : "AnsibleVaultFormatError";
  case RT_VAULT_EDECRYPT: return "AnsibleVaultError";
  default: return "?";
  }
}

static void test_cases(void) {
  size_t len;
  char *tsv = slurp("cases.tsv", &len);
  int n = 0;
  for (char *save = NULL, *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (line[0] == '#')
      continue;
    char *f[4];
    char *p = line;
    for (int i = 0; i < 4; i++) {
      f[i] = p;
      p = strchr(p, '\t');
      if (p)
        *p++ = 0;
    }
    RtVaultSecrets s = {0};
    parse_secrets(&s, f[1]);
    s.id_match = strcmp(f[2], "1") == 0;
    char *vname = rt_xasprintf("%s.vault", f[0]), *oname = rt_xasprintf("%s.out", f[0]);
    size_t vlen, olen;
    char *text = slurp(vname, &vlen), *want = slurp(oname, &olen);
    unsigned char *out = NULL;
    size_t outlen = 0;
    char *err = NULL;
    RtVaultStatus st = rt_vault_decrypt(&s, text, vlen, NULL, &out, &outlen, NULL, &err);
    const char *cls = class_of(st, err ? err : "");
    bool ok = strcmp(cls, f[3]) == 0 &&
              (st == RT_VAULT_OK ? outlen == olen && memcmp(out, want, olen) == 0
                                 : strcmp(err, want) == 0);
    CHECK(ok);
    if (!ok)
      fprintf(stderr, "  case %s: got %s \"%s\", want %s \"%s\"\n", f[0], cls,
              st == RT_VAULT_OK ? "(plaintext)" : err, f[3], st == RT_VAULT_OK ? "" : want);
    /* without secrets, parsing alone reports the same format errors */
    RtVaultEnvelope env;
    char *perr = NULL;
    RtVaultStatus pst = rt_vault_parse(text, vlen, NULL, &env, &perr);
    if (strcmp(f[3], "AnsibleVaultFormatError") == 0 || st == RT_VAULT_ENOTVAULT ||
        st == RT_VAULT_ECIPHER) {
      CHECK(pst != RT_VAULT_OK && strcmp(perr, want) == 0);
    } else if (st == RT_VAULT_OK) {
      CHECK(pst == RT_VAULT_OK && env.hmac_len == 32 && env.salt_len > 0);
    }
    if (pst == RT_VAULT_OK)
      rt_vault_envelope_free(&env);
    free(perr);
    rt_vault_bytes_free(out, outlen);
    free(err);
    free(text);
    free(want);
    free(vname);
    free(oname);
    rt_vault_secrets_free(&s);
    n++;
  }
  CHECK(n > 100);
  free(tsv);
}

static void test_encrypt_vectors(void) {
  size_t len;
  char *tsv = slurp("enc.tsv", &len);
  int n = 0;
  for (char *save = NULL, *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (line[0] == '#')
      continue;
    char *name = strtok(line, "\t"), *secret = strtok(NULL, "\t"), *vid = strtok(NULL, "\t"),
         *salt_hex = strtok(NULL, "\t");
    RtVaultSecrets s = {0};
    parse_secrets(&s, secret);
    size_t salt_len, plen, vlen, outlen;
    unsigned char *salt = unhex(salt_hex, &salt_len);
    char *pn = rt_xasprintf("%s.plain", name), *vn = rt_xasprintf("%s.vault", name);
    char *plain = slurp(pn, &plen), *want = slurp(vn, &vlen), *out = NULL, *err = NULL;
    RtVaultStatus st = rt_vault_encrypt((unsigned char *)plain, plen, &s.items[0],
                                        strcmp(vid, "-") ? vid : NULL, salt, salt_len, &out,
                                        &outlen, &err);
    CHECK(st == RT_VAULT_OK && outlen == vlen && memcmp(out, want, vlen) == 0);
    if (st != RT_VAULT_OK || outlen != vlen || memcmp(out, want, vlen) != 0)
      fprintf(stderr, "  enc %s: got\n%s\nwant\n%s\n", name, out ? out : err, want);
    free(out);
    free(err);
    free(salt);
    free(plain);
    free(want);
    free(pn);
    free(vn);
    rt_vault_secrets_free(&s);
    n++;
  }
  CHECK(n >= 5);
  free(tsv);
}

static RtVaultSecrets one(const char *id, const char *pw) {
  RtVaultSecrets s = {0};
  rt_vault_secrets_add(&s, id, (const unsigned char *)pw, strlen(pw));
  return s;
}

static void test_roundtrip(void) {
  RtVaultSecrets s = one("dev", "pw");
  char *a = NULL, *b = NULL, *err = NULL;
  size_t al, bl, pl;
  const char *msg = "some: secret\n";
  CHECK(rt_vault_encrypt((const unsigned char *)msg, strlen(msg), &s.items[0], "dev", NULL, 0, &a,
                         &al, &err) == RT_VAULT_OK);
  CHECK(rt_vault_encrypt((const unsigned char *)msg, strlen(msg), &s.items[0], "dev", NULL, 0, &b,
                         &bl, &err) == RT_VAULT_OK);
  CHECK(strncmp(a, "$ANSIBLE_VAULT;1.2;AES256;dev\n", 30) == 0 && a[al - 1] == '\n');
  CHECK(al == bl && strcmp(a, b) != 0); /* random salts */
  unsigned char *p = NULL;
  const char *used = NULL;
  CHECK(rt_vault_decrypt(&s, a, al, NULL, &p, &pl, &used, &err) == RT_VAULT_OK);
  CHECK(pl == strlen(msg) && memcmp(p, msg, pl) == 0 && strcmp(used, "dev") == 0);
  rt_vault_bytes_free(p, pl);
  /* every line of the body is 80 columns but the last */
  for (char *l = strchr(a, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
    size_t ll = (size_t)(strchr(l, '\n') - l);
    CHECK(ll == 80 || strchr(l, '\n')[1] == 0);
  }
  /* already encrypted input, bad vault ids */
  CHECK(rt_vault_encrypt((const unsigned char *)a, al, &s.items[0], NULL, NULL, 0, &b, &bl, &err) ==
        RT_VAULT_EINPUT);
  CHECK(strcmp(err, "input is already encrypted") == 0);
  free(err);
  err = NULL;
  CHECK(rt_vault_encrypt((const unsigned char *)"x", 1, &s.items[0], "a;b", NULL, 0, &b, &bl, &err) ==
        RT_VAULT_EINPUT);
  free(err);
  free(a);
  free(b);
  rt_vault_secrets_free(&s);
}

/* Inputs too big for fixtures: a valid envelope on one 4 MB line, 8 MB of
 * garbage hex, a length past the limit (must be refused before any read). */
static void test_huge(void) {
  RtVaultSecrets s = one("default", "pw");
  size_t n = 1 << 20, vl, pl;
  unsigned char *big = rt_xmalloc(n);
  for (size_t i = 0; i < n; i++)
    big[i] = (unsigned char)(i * 7);
  char *v = NULL, *err = NULL;
  CHECK(rt_vault_encrypt(big, n, &s.items[0], NULL, NULL, 0, &v, &vl, &err) == RT_VAULT_OK);
  char *one_line = rt_xmalloc(vl + 1);
  size_t ol = 0;
  char *nl = strchr(v, '\n');
  memcpy(one_line, v, (size_t)(nl - v) + 1);
  ol = (size_t)(nl - v) + 1;
  for (char *c = nl + 1; *c; c++)
    if (*c != '\n')
      one_line[ol++] = *c;
  unsigned char *p = NULL;
  CHECK(rt_vault_decrypt(&s, one_line, ol, NULL, &p, &pl, NULL, &err) == RT_VAULT_OK);
  CHECK(pl == n && memcmp(p, big, n) == 0);
  rt_vault_bytes_free(p, pl);
  size_t gl = 8u << 20;
  char *garbage = rt_xmalloc(gl);
  memcpy(garbage, "$ANSIBLE_VAULT;1.1;AES256\n", 26);
  memset(garbage + 26, 'z', gl - 26);
  CHECK(rt_vault_decrypt(&s, garbage, gl, NULL, &p, &pl, NULL, &err) == RT_VAULT_EFORMAT);
  CHECK(strcmp(err, "Vault format unhexlify error: Non-hexadecimal digit found") == 0);
  free(err);
  err = NULL;
  CHECK(rt_vault_decrypt(&s, garbage, RT_VAULT_MAX_TEXT + 1, NULL, &p, &pl, NULL, &err) ==
        RT_VAULT_ETOOBIG);
  free(err);
  err = NULL;
  CHECK(rt_vault_encrypt(big, RT_VAULT_MAX_PLAIN + 1, &s.items[0], NULL, NULL, 0, &v, &vl, &err) ==
        RT_VAULT_ETOOBIG);
  free(err);
  free(garbage);
  free(one_line);
  free(v);
  free(big);
  rt_vault_secrets_free(&s);
}

static void test_messages(void) {
  RtVaultSecrets s = one("default", "pw");
  unsigned char *p;
  size_t pl;
  char *err = NULL;
  CHECK(rt_vault_decrypt(&s, "plain", 5, "f.yml", &p, &pl, NULL, &err) == RT_VAULT_ENOTVAULT);
  CHECK(strcmp(err, "input is not vault encrypted data. f.yml is not a vault encrypted file") == 0);
  free(err);
  CHECK(rt_vault_decrypt(&s, "$ANSIBLE_VAULT", 14, "f.yml", &p, &pl, NULL, &err) ==
        RT_VAULT_EENVELOPE);
  CHECK(strcmp(err, "Vault envelope format error in f.yml: list index out of range") == 0);
  free(err);
  const char *t = "$ANSIBLE_VAULT;1.1;AES256\n"
                  "3132330a3435360a3738390a\n";
  CHECK(rt_vault_decrypt(&s, t, strlen(t), "f.yml", &p, &pl, NULL, &err) == RT_VAULT_EFORMAT);
  free(err);
  t = "$ANSIBLE_VAULT;1.1;AES256\n"
      "30300a30300a3030\n";
  CHECK(rt_vault_decrypt(&s, t, strlen(t), "f.yml", &p, &pl, NULL, &err) == RT_VAULT_EDECRYPT);
  CHECK(strcmp(err, "Decryption failed (no vault secrets were found that could decrypt) on f.yml") ==
        0);
  free(err);
  CHECK(!rt_vault_is_encrypted(NULL, 0) && !rt_vault_is_encrypted("$ANSIBLE_VAUL", 13));
  CHECK(rt_vault_is_encrypted("$ANSIBLE_VAULT", 14));
  CHECK(!rt_vault_is_encrypted("$ANSIBLE_VAULT\x80", 15));
  rt_vault_secrets_free(&s);
  char *r = rt_vault_pyrepr("it's\n\x01", 6, false);
  CHECK(strcmp(r, "\"it's\\n\\x01\"") == 0);
  free(r);
  r = rt_vault_pyrepr("no\xc3\xa9", 4, true);
  CHECK(strcmp(r, "b'no\\xc3\\xa9'") == 0);
  free(r);
  r = rt_vault_oserror(ENOENT, "/x/y");
  CHECK(strcmp(r, "[Errno 2] No such file or directory: '/x/y'") == 0);
  free(r);
  setenv("PLAYC_TEST_DIR", "/opt/d", 1);
  r = rt_vault_unfrack("$PLAYC_TEST_DIR/./a/../b//c/");
  CHECK(strcmp(r, "/opt/d/b/c") == 0);
  free(r);
  r = rt_vault_unfrack("/../..//x/${PLAYC_TEST_DIR}$NOPE_NOT_SET");
  CHECK(strcmp(r, "/x/opt/d$NOPE_NOT_SET") == 0);
  free(r);
}

/* ---- secret sources ---------------------------------------------------------- */

static char tmp[64];

static char *put(const char *name, const char *content, int mode) {
  char *path = rt_xasprintf("%s/%s", tmp, name);
  FILE *f = fopen(path, "w");
  fputs(content, f);
  fclose(f);
  chmod(path, (mode_t)mode);
  return path;
}

static RtBuf warnings;
static void collect(void *ctx, const char *msg, bool formatted) {
  (void)ctx;
  (void)formatted;
  rt_buf_printf(&warnings, "%s\n", msg);
}

static RtVaultStatus load(RtVaultSecrets *s, const char **ids, size_t nids, const char **files,
                          size_t nfiles, char **err) {
  RtVaultSources src = {0};
  src.ids = ids;
  src.nids = nids;
  src.password_files = files;
  src.npassword_files = nfiles;
  src.warn = collect;
  rt_buf_free(&warnings);
  *err = NULL;
  return rt_vault_secrets_load(s, &src, err);
}

static bool secret_is(const RtVaultSecrets *s, size_t i, const char *id, const char *pw) {
  return i < s->n && strcmp(s->items[i].id, id) == 0 && s->items[i].len == strlen(pw) &&
         memcmp(s->items[i].bytes, pw, strlen(pw)) == 0;
}

static void test_sources(void) {
  snprintf(tmp, sizeof tmp, "/tmp/playc-vault-test.XXXXXX");
  CHECK(mkdtemp(tmp) != NULL);
  char *file = put("pw", " \t pass word \n\n", 0600);
  char *multi = put("pw-multi", "first\nsecond\n", 0600);
  char *script = put("pw.sh", "#!/bin/sh\nprintf 'from script \\r\\n\\n'\n", 0700);
  char *client = put("get-client.sh",
                     "#!/bin/sh\n[ \"$1 $2\" = \"--vault-id dev\" ] || exit 2\necho client-pw\n", 0700);
  char *failing = put("fail.sh", "#!/bin/sh\nexit 3\n", 0700);
  char *empty = put("empty", " \n", 0600);
  char *missing = rt_xasprintf("%s/missing", tmp);
  RtVaultSecrets s = {0};
  char *err;
  /* --vault-id values come first, then password files, as Ansible orders them */
  const char *files[] = {file, multi};
  char *id_client = rt_xasprintf("dev@%s", client), *id_script = rt_xasprintf("%s", script);
  const char *ids[] = {id_client, id_script};
  CHECK(load(&s, ids, 2, files, 2, &err) == RT_VAULT_OK);
  CHECK(s.n == 4 && secret_is(&s, 0, "dev", "client-pw") &&
        secret_is(&s, 1, "default", "from script ") && secret_is(&s, 2, "default", "pass word") &&
        secret_is(&s, 3, "default", "first\nsecond"));
  CHECK(warnings.len == 0);
  rt_vault_secrets_free(&s);
  /* a failing source warns while another works; alone, it is the error */
  const char *bad[] = {missing, file};
  CHECK(load(&s, NULL, 0, bad, 2, &err) == RT_VAULT_OK && s.n == 1);
  char *want = rt_xasprintf("Error getting vault password file (default): The vault password file "
                            "%s was not found\n", missing);
  CHECK(warnings.data && strcmp(warnings.data, want) == 0);
  free(want);
  rt_vault_secrets_free(&s);
  CHECK(load(&s, NULL, 0, bad, 1, &err) == RT_VAULT_EINPUT && s.n == 0);
  want = rt_xasprintf("The vault password file %s was not found", missing);
  CHECK(err && strcmp(err, want) == 0);
  free(want);
  free(err);
  char *id_fail = rt_xasprintf("lab@%s", failing);
  const char *ids_fail[] = {id_fail};
  CHECK(load(&s, ids_fail, 1, NULL, 0, &err) == RT_VAULT_EINPUT);
  want = rt_xasprintf("Vault password script %s returned non-zero (3): None", failing);
  CHECK(err && strcmp(err, want) == 0);
  free(want);
  free(err);
  char *id_noid_client = rt_xasprintf("%s", client); /* no label: no --vault-id, rc 2 */
  const char *ids_nc[] = {id_noid_client};
  CHECK(load(&s, ids_nc, 1, NULL, 0, &err) == RT_VAULT_EINPUT);
  want = rt_xasprintf("Vault password client script %s did not find a secret for vault-id=None: b''",
                      client);
  CHECK(err && strcmp(err, want) == 0);
  free(want);
  free(err);
  const char *empties[] = {empty};
  CHECK(load(&s, NULL, 0, empties, 1, &err) == RT_VAULT_EINPUT);
  want = rt_xasprintf("Invalid vault password was provided from file (%s)", empty);
  CHECK(err && strcmp(err, want) == 0);
  free(want);
  free(err);
  /* a password file that is itself vault text opens with the secrets before it */
  RtVaultSecrets k = one("default", "pass word");
  char *enc = NULL;
  size_t el;
  CHECK(rt_vault_encrypt((const unsigned char *)"inner\n", 6, &k.items[0], NULL, NULL, 0, &enc, &el,
                         &err) == RT_VAULT_OK);
  char *encfile = put("pw-encrypted", enc, 0600);
  const char *chain[] = {file, encfile};
  CHECK(load(&s, NULL, 0, chain, 2, &err) == RT_VAULT_OK && secret_is(&s, 1, "default", "inner"));
  rt_vault_secrets_free(&s);
  const char *chain_alone[] = {encfile};
  CHECK(load(&s, NULL, 0, chain_alone, 1, &err) == RT_VAULT_EINPUT);
  CHECK(err && strcmp(err, "Attempting to decrypt but no vault secrets found") == 0);
  free(err);
  /* ANSIBLE_VAULT_IDENTITY_LIST comes first; ANSIBLE_VAULT_PASSWORD_FILE last */
  char *envlist = rt_xasprintf(" env@%s , ", file);
  setenv("ANSIBLE_VAULT_IDENTITY_LIST", envlist, 1);
  setenv("ANSIBLE_VAULT_PASSWORD_FILE", multi, 1);
  setenv("ANSIBLE_VAULT_ID_MATCH", "yes", 1);
  rt_config_reset(); /* the settings are read once per process: read them again */
  const char *ids_one[] = {id_script};
  CHECK(load(&s, ids_one, 1, NULL, 0, &err) == RT_VAULT_OK && s.n == 3 && s.id_match);
  CHECK(secret_is(&s, 0, "env", "pass word") && secret_is(&s, 1, "default", "from script ") &&
        secret_is(&s, 2, "default", "first\nsecond"));
  unsetenv("ANSIBLE_VAULT_IDENTITY_LIST");
  unsetenv("ANSIBLE_VAULT_PASSWORD_FILE");
  unsetenv("ANSIBLE_VAULT_ID_MATCH");
  rt_config_reset();
  rt_vault_secrets_free(&s);
  /* encrypt secret choice */
  RtVaultSecrets two = {0};
  rt_vault_secrets_add(&two, "a", (const unsigned char *)"1", 1);
  rt_vault_secrets_add(&two, "b", (const unsigned char *)"2", 1);
  CHECK(rt_vault_secrets_for_encrypt(&two, NULL, &err) == &two.items[0]);
  CHECK(rt_vault_secrets_for_encrypt(&two, "b", &err) == &two.items[1]);
  CHECK(!rt_vault_secrets_for_encrypt(&two, "c", &err));
  CHECK(strcmp(err, "Did not find a match for --encrypt-vault-id=c in the known vault-ids ['a', 'b']") ==
        0);
  free(err);
  rt_vault_secrets_free(&two);
  rt_vault_secrets_free(&k);
  rt_buf_free(&warnings);
  free(enc);
  free(envlist);
  free(id_client);
  free(id_script);
  free(id_fail);
  free(id_noid_client);
  char *paths[] = {file, multi, script, client, failing, empty, encfile};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    unlink(paths[i]);
    free(paths[i]);
  }
  free(missing);
  rmdir(tmp);
}

/* ---- the run's values ------------------------------------------------------- */

typedef struct ThreadArg {
  RtHost *h;
  const char *text;
  size_t len;
  RtValue *got;
} ThreadArg;

static void *use_value(void *p) {
  ThreadArg *a = p;
  a->got = rt_vault_value(a->h, a->text, a->len);
  return NULL;
}

static void test_run_values(void) {
  snprintf(tmp, sizeof tmp, "/tmp/playc-vault-test.XXXXXX");
  CHECK(mkdtemp(tmp) != NULL);
  char *pwfile = put("pw", "run-pw\n", 0600);
  RtVaultSecrets k = one("default", "run-pw"), other = one("default", "other");
  char *good = NULL, *bad = NULL, *err = NULL;
  size_t gl, bl;
  CHECK(rt_vault_encrypt((const unsigned char *)"s3cret", 6, &k.items[0], NULL, NULL, 0, &good, &gl,
                         &err) == RT_VAULT_OK);
  CHECK(rt_vault_encrypt((const unsigned char *)"x", 1, &other.items[0], NULL, NULL, 0, &bad, &bl,
                         &err) == RT_VAULT_OK);
  RtRun run = {0};
  pthread_mutex_init(&run.out_lock, NULL);
  const char *files[] = {pwfile};
  run.opt.vault.password_files = files;
  run.opt.vault.npassword_files = 1;
  CHECK(rt_vault_run_open(&run) == -1);
  CHECK(rt_vault_run_secrets(&run)->n == 1);
  RtHost h = {0};
  h.run = &run;
  enum { N = 8 };
  pthread_t th[N];
  ThreadArg args[N];
  for (int i = 0; i < N; i++) {
    args[i] = (ThreadArg){&h, good, gl, NULL};
    pthread_create(&th[i], NULL, use_value, &args[i]);
  }
  for (int i = 0; i < N; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < N; i++) {
    CHECK(args[i].got == args[0].got); /* decrypted once, shared */
    CHECK(rt_kind(args[i].got) == RT_STR && strcmp(args[i].got->u.str.s, "s3cret") == 0);
  }
  for (int i = 0; i < N; i++)
    rt_decref(args[i].got);
  RtValue *e = rt_vault_value(&h, bad, bl);
  CHECK(rt_kind(e) == RT_ERROR &&
        strcmp(e->u.err.msg, "Decryption failed (no vault secrets were found that could decrypt)") == 0);
  RtValue *e2 = rt_vault_value(&h, bad, bl);
  CHECK(e2 == e); /* failures are cached too */
  rt_decref(e);
  rt_decref(e2);
  rt_vault_run_close(&run);
  CHECK(run.vault == NULL);
  /* a run without secrets gives Ansible's message */
  RtRun bare = {0};
  pthread_mutex_init(&bare.out_lock, NULL);
  CHECK(rt_vault_run_open(&bare) == -1);
  h.run = &bare;
  e = rt_vault_value(&h, good, gl);
  CHECK(rt_kind(e) == RT_ERROR &&
        strcmp(e->u.err.msg, "Attempting to decrypt but no vault secrets found") == 0);
  rt_decref(e);
  rt_vault_run_close(&bare);
  /* a missing password file is the run's error: exit code 1 */
  RtRun missing = {0};
  pthread_mutex_init(&missing.out_lock, NULL);
  char *nofile = rt_xasprintf("%s/none", tmp);
  const char *nofiles[] = {nofile};
  missing.opt.vault.password_files = nofiles;
  missing.opt.vault.npassword_files = 1;
  CHECK(rt_vault_run_open(&missing) == 1);
  rt_vault_run_close(&missing);
  free(nofile);
  free(good);
  free(bad);
  rt_vault_secrets_free(&k);
  rt_vault_secrets_free(&other);
  unlink(pwfile);
  free(pwfile);
  rmdir(tmp);
}

static int wrap_stdin(size_t width) {
  char *in = NULL;
  size_t len = 0;
  if (rt_vault_read_fd(0, (size_t)1 << 26, &in, &len) != 0)
    return 2;
  for (size_t at = 0; at < len;) {
    char *w = rt_textwrap(in + at, width);
    fwrite(w, 1, strlen(w) + 1, stdout);
    free(w);
    at += strlen(in + at) + 1;
  }
  free(in);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--wrap") == 0)
    return wrap_stdin((size_t)atoi(argv[2]));
  dir = argc > 1 ? argv[1] : "tests/vault/fixtures";
  test_cases();
  test_encrypt_vectors();
  test_roundtrip();
  test_huge();
  test_messages();
  test_sources();
  test_run_values();
  printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
