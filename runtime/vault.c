/*
 * vault.c — Ansible Vault's envelope and its AES256 cipher, byte for byte as
 * ansible-vault writes and reads it (format 1.1, and 1.2 with a vault id):
 *
 *   $ANSIBLE_VAULT;1.2;AES256;dev            header (vault id only in 1.2)
 *   6162...                                  hex(hex(salt) "\n" hex(hmac) "\n"
 *   ...                                          hex(ciphertext)), 80 columns
 *
 * PBKDF2-HMAC-SHA256 (10000 iterations) of the password and salt gives 80
 * bytes: AES-256 key, HMAC-SHA256 key, initial counter block. The ciphertext
 * is AES-256-CTR of the PKCS#7-padded plaintext; the HMAC covers the
 * ciphertext and is checked in constant time before decrypting. All crypto
 * is OpenSSL's libcrypto.
 *
 * Parsing follows Ansible's parse_vaulttext_envelope/parse_vaulttext step by
 * step, because its order decides which error a malformed text gets: the
 * header is the first line (split on ";", fields stripped; the version is
 * not checked), the body is every later line joined without its line ends,
 * unhexlified, split in three at the first two "\n", and the salt and
 * ciphertext unhexlified; the HMAC's hex is read only once a key is derived.
 * Input is hostile: every length is explicit (no NUL termination assumed),
 * sizes are capped, and every buffer that held a key or plaintext is wiped.
 */
#include "vault.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  VK_KEY = 32,         /* AES-256 key and HMAC key length */
  VK_IV = 16,          /* AES block: counter block and PKCS#7 block */
  VK_DERIVED = 2 * VK_KEY + VK_IV,
  VK_ITERATIONS = 10000,
  VK_SALT = 32,        /* ansible-vault's os.urandom(32) */
  VK_WRAP = 80
};

/* ---- allocation and small helpers --------------------------------------- */

void *rt_vault_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "playc: out of memory allocating %zu bytes\n", n);
    abort();
  }
  return p;
}

char *rt_vault_xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n < 0) {
    fprintf(stderr, "playc: out of memory formatting a message\n");
    abort();
  }
  return s;
}

static char *vx_strndup(const char *s, size_t n) {
  char *d = rt_vault_xmalloc(n + 1);
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

void rt_vault_bytes_free(void *p, size_t len) {
  if (!p)
    return;
  OPENSSL_cleanse(p, len);
  free(p);
}

/* Python's bytes.isspace() set, what bytes.strip() removes. */
static bool vx_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* [*s, *s + *n) stripped in place. */
static void vx_strip(const char **s, size_t *n) {
  while (*n && vx_space(**s)) {
    (*s)++;
    (*n)--;
  }
  while (*n && vx_space((*s)[*n - 1]))
    (*n)--;
}

/* ---- hex ------------------------------------------------------------------ */

static int vx_hexval(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* binascii.unhexlify: NULL with *err set to its message on bad input. */
static unsigned char *vx_unhex(const char *s, size_t n, size_t *outlen, char **err) {
  if (n % 2) {
    *err = rt_vault_xasprintf("Vault format unhexlify error: Odd-length string");
    return NULL;
  }
  unsigned char *out = rt_vault_xmalloc(n / 2);
  for (size_t i = 0; i < n; i += 2) {
    int hi = vx_hexval((unsigned char)s[i]), lo = vx_hexval((unsigned char)s[i + 1]);
    if (hi < 0 || lo < 0) {
      rt_vault_bytes_free(out, n / 2);
      *err = rt_vault_xasprintf("Vault format unhexlify error: Non-hexadecimal digit found");
      return NULL;
    }
    out[i / 2] = (unsigned char)(hi << 4 | lo);
  }
  *outlen = n / 2;
  return out;
}

/* Appends hexlify(p[0..n)) at dst; returns the end. */
static char *vx_hex(char *dst, const unsigned char *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    *dst++ = digits[p[i] >> 4];
    *dst++ = digits[p[i] & 15];
  }
  return dst;
}

/* ---- envelope ---------------------------------------------------------- */

bool rt_vault_is_encrypted(const char *text, size_t len) {
  static const char hdr[] = RT_VAULT_HEADER;
  if (!text || len < sizeof hdr - 1 || memcmp(text, hdr, sizeof hdr - 1) != 0)
    return false;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)text[i] >= 0x80)
      return false;
  return true;
}

void rt_vault_envelope_free(RtVaultEnvelope *env) {
  free(env->version);
  free(env->cipher);
  free(env->vault_id);
  free(env->salt);
  free(env->hmac);
  free(env->ciphertext);
  memset(env, 0, sizeof *env);
}

/* The body of an envelope: its lines after the first, without line ends. */
typedef struct VxBody {
  char *hex;
  size_t len;
} VxBody;

/* Header fields as Ansible's _parse_vaulttext_envelope reads them (bytes
 * splitlines: "\n", "\r\n" or "\r" end a line). false: fewer than 3 fields. */
static bool vx_header(const char *text, size_t len, RtVaultEnvelope *env, size_t *body_at) {
  size_t eol = 0;
  while (eol < len && text[eol] != '\n' && text[eol] != '\r')
    eol++;
  *body_at = eol < len ? eol + (text[eol] == '\r' && eol + 1 < len && text[eol + 1] == '\n' ? 2 : 1)
                       : len;
  const char *line = text;
  size_t n = eol;
  vx_strip(&line, &n);
  const char *field[4] = {0};
  size_t flen[4] = {0};
  int nfields = 0;
  for (size_t start = 0;; nfields++) {
    size_t end = start;
    while (end < n && line[end] != ';')
      end++;
    if (nfields < 4) {
      field[nfields] = line + start;
      flen[nfields] = end - start;
      vx_strip(&field[nfields], &flen[nfields]);
    }
    if (end >= n) {
      nfields++;
      break;
    }
    start = end + 1;
  }
  if (nfields < 3)
    return false;
  env->version = vx_strndup(field[1], flen[1]);
  env->cipher = vx_strndup(field[2], flen[2]);
  if (nfields >= 4)
    env->vault_id = vx_strndup(field[3], flen[3]);
  return true;
}

static VxBody vx_body(const char *text, size_t len, size_t at) {
  VxBody b = {rt_vault_xmalloc(len - at + 1), 0};
  for (size_t i = at; i < len; i++)
    if (text[i] != '\n' && text[i] != '\r')
      b.hex[b.len++] = text[i];
  b.hex[b.len] = 0;
  return b;
}

/* Ansible's parse_vaulttext: body hex → salt, HMAC (kept as hex in *hmac_hex
 * until a key is derived), ciphertext. false with *err (an AnsibleVaultFormatError). */
static bool vx_parse_body(const VxBody *body, RtVaultEnvelope *env, char **hmac_hex,
                          size_t *hmac_hex_len, char **err) {
  size_t n;
  char *inner = (char *)vx_unhex(body->hex, body->len, &n, err);
  if (!inner)
    return false;
  char *nl1 = memchr(inner, '\n', n);
  char *nl2 = nl1 ? memchr(nl1 + 1, '\n', n - (size_t)(nl1 + 1 - inner)) : NULL;
  if (!nl2) {
    *err = rt_vault_xasprintf(
        "Vault vaulttext format error: not enough values to unpack (expected 3, got %d)",
        nl1 ? 2 : 1);
    free(inner);
    return false;
  }
  bool ok = false;
  env->salt = vx_unhex(inner, (size_t)(nl1 - inner), &env->salt_len, err);
  if (env->salt) {
    env->ciphertext = vx_unhex(nl2 + 1, n - (size_t)(nl2 + 1 - inner), &env->ciphertext_len, err);
    if (env->ciphertext) {
      *hmac_hex_len = (size_t)(nl2 - nl1 - 1);
      *hmac_hex = vx_strndup(nl1 + 1, *hmac_hex_len);
      ok = true;
    }
  }
  free(inner);
  return ok;
}

/* The steps shared by rt_vault_parse and rt_vault_decrypt, up to the cipher. */
static RtVaultStatus vx_open_envelope(const char *text, size_t len, const char *filename,
                                      RtVaultEnvelope *env, VxBody *body, char **err) {
  memset(env, 0, sizeof *env);
  memset(body, 0, sizeof *body);
  if (len > RT_VAULT_MAX_TEXT) {
    *err = rt_vault_xasprintf("vault text of %zu bytes is larger than playc's limit of %zu bytes",
                              len, RT_VAULT_MAX_TEXT);
    return RT_VAULT_ETOOBIG;
  }
  if (!rt_vault_is_encrypted(text, len)) {
    *err = filename ? rt_vault_xasprintf("input is not vault encrypted data. %s is not a vault "
                                         "encrypted file", filename)
                    : rt_vault_xasprintf("input is not vault encrypted data. ");
    return RT_VAULT_ENOTVAULT;
  }
  size_t body_at;
  if (!vx_header(text, len, env, &body_at)) {
    rt_vault_envelope_free(env);
    *err = rt_vault_xasprintf("Vault envelope format error%s%s: list index out of range",
                              filename ? " in " : "", filename ? filename : "");
    return RT_VAULT_EENVELOPE;
  }
  if (strcmp(env->cipher, "AES256") != 0) {
    *err = rt_vault_xasprintf("%s cipher could not be found", env->cipher);
    rt_vault_envelope_free(env);
    return RT_VAULT_ECIPHER;
  }
  *body = vx_body(text, len, body_at);
  return RT_VAULT_OK;
}

RtVaultStatus rt_vault_parse(const char *text, size_t len, const char *filename,
                             RtVaultEnvelope *env, char **err) {
  VxBody body;
  RtVaultStatus st = vx_open_envelope(text, len, filename, env, &body, err);
  if (st != RT_VAULT_OK)
    return st;
  char *hmac_hex = NULL;
  size_t hmac_hex_len = 0;
  if (!vx_parse_body(&body, env, &hmac_hex, &hmac_hex_len, err))
    st = RT_VAULT_EFORMAT;
  else if (!(env->hmac = vx_unhex(hmac_hex, hmac_hex_len, &env->hmac_len, err)))
    st = RT_VAULT_EFORMAT;
  free(hmac_hex);
  free(body.hex);
  if (st != RT_VAULT_OK)
    rt_vault_envelope_free(env);
  return st;
}

/* ---- the AES256 cipher -------------------------------------------------- */

/* PBKDF2-HMAC-SHA256 → key1 | key2 | iv (80 bytes in `out`). */
static bool vx_derive(const RtVaultSecret *secret, const unsigned char *salt, size_t salt_len,
                      unsigned char out[VK_DERIVED]) {
  if (secret->len > RT_VAULT_MAX_SECRET || salt_len > RT_VAULT_MAX_TEXT)
    return false;
  static const char empty[1] = "";
  return PKCS5_PBKDF2_HMAC(secret->len ? (const char *)secret->bytes : empty, (int)secret->len,
                           salt_len ? salt : (const unsigned char *)empty, (int)salt_len,
                           VK_ITERATIONS, EVP_sha256(), VK_DERIVED, out) == 1;
}

/* AES-256-CTR of n bytes (encryption and decryption are the same). */
static bool vx_ctr(const unsigned char *key, const unsigned char *iv, const unsigned char *in,
                   size_t n, unsigned char *out) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int l1 = 0, l2 = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, key, iv) == 1 &&
            EVP_EncryptUpdate(ctx, out, &l1, in, (int)n) == 1 &&
            EVP_EncryptFinal_ex(ctx, out + l1, &l2) == 1 && (size_t)(l1 + l2) == n;
  EVP_CIPHER_CTX_free(ctx); /* wipes the key schedule */
  return ok;
}

static bool vx_hmac(const unsigned char *key, const unsigned char *data, size_t n,
                    unsigned char mac[32]) {
  unsigned int maclen = 0;
  static const unsigned char empty[1] = {0};
  return HMAC(EVP_sha256(), key, VK_KEY, n ? data : empty, n, mac, &maclen) && maclen == 32;
}

/* PKCS#7 as cryptography's unpadder checks it: whole blocks, last byte 1..16,
 * that many bytes all equal to it. */
static bool vx_unpad(const unsigned char *p, size_t n, size_t *pad) {
  if (n == 0 || n % VK_IV || p[n - 1] < 1 || p[n - 1] > VK_IV)
    return false;
  for (size_t i = 1; i <= p[n - 1]; i++)
    if (p[n - i] != p[n - 1])
      return false;
  *pad = p[n - 1];
  return true;
}

/* One secret against the envelope: RT_VAULT_OK with the plaintext,
 * RT_VAULT_EDECRYPT when the HMAC does not match, RT_VAULT_EFORMAT with *err
 * for a malformed HMAC or padding. */
static RtVaultStatus vx_try(const RtVaultSecret *secret, const RtVaultEnvelope *env,
                            const char *hmac_hex, size_t hmac_hex_len, unsigned char **out,
                            size_t *outlen, char **err) {
  unsigned char k[VK_DERIVED], mac[32];
  if (!vx_derive(secret, env->salt, env->salt_len, k)) {
    OPENSSL_cleanse(k, sizeof k);
    return RT_VAULT_EDECRYPT;
  }
  size_t want_len;
  unsigned char *want = vx_unhex(hmac_hex, hmac_hex_len, &want_len, err);
  RtVaultStatus st = RT_VAULT_EDECRYPT;
  if (!want) {
    st = RT_VAULT_EFORMAT;
  } else if (vx_hmac(k + VK_KEY, env->ciphertext, env->ciphertext_len, mac) && want_len == 32 &&
             CRYPTO_memcmp(mac, want, 32) == 0) {
    size_t n = env->ciphertext_len, pad = 0;
    unsigned char *plain = rt_vault_xmalloc(n + 1);
    if (!vx_ctr(k, k + 2 * VK_KEY, env->ciphertext, n, plain) || !vx_unpad(plain, n, &pad)) {
      rt_vault_bytes_free(plain, n + 1);
      *err = rt_vault_xasprintf("Invalid padding bytes.");
      st = RT_VAULT_EFORMAT;
    } else {
      plain[n - pad] = 0;
      *out = plain;
      *outlen = n - pad;
      st = RT_VAULT_OK;
    }
  }
  free(want);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(mac, sizeof mac);
  return st;
}

/* Ansible's secret choice: all secrets in order, unless id_match restricts
 * them to the envelope's id (1.1: "default"). */
static bool vx_candidate(const RtVaultSecrets *s, const RtVaultSecret *secret,
                         const RtVaultEnvelope *env) {
  if (!s->id_match)
    return true;
  const char *id = env->vault_id ? env->vault_id : RT_VAULT_DEFAULT_ID;
  return *id && strcmp(secret->id, id) == 0;
}

RtVaultStatus rt_vault_decrypt(const RtVaultSecrets *s, const char *text, size_t len,
                               const char *filename, unsigned char **out, size_t *outlen,
                               const char **id_used, char **err) {
  RtVaultEnvelope env;
  VxBody body;
  RtVaultStatus st = vx_open_envelope(text, len, filename, &env, &body, err);
  if (st != RT_VAULT_OK)
    return st;
  char *hmac_hex = NULL;
  size_t hmac_hex_len = 0;
  size_t ncand = 0;
  for (size_t i = 0; s && i < s->n; i++)
    ncand += vx_candidate(s, &s->items[i], &env);
  if (!s || s->n == 0) {
    *err = rt_vault_xasprintf("Attempting to decrypt but no vault secrets found");
    st = RT_VAULT_ENOSECRETS;
  } else if (ncand && !vx_parse_body(&body, &env, &hmac_hex, &hmac_hex_len, err)) {
    st = RT_VAULT_EFORMAT; /* Ansible parses the body inside its loop over secrets */
  } else {
    st = RT_VAULT_EDECRYPT;
    for (size_t i = 0; i < s->n && st == RT_VAULT_EDECRYPT; i++) {
      if (!vx_candidate(s, &s->items[i], &env))
        continue;
      st = vx_try(&s->items[i], &env, hmac_hex, hmac_hex_len, out, outlen, err);
      if (st == RT_VAULT_OK && id_used)
        *id_used = s->items[i].id;
    }
    if (st == RT_VAULT_EDECRYPT)
      *err = rt_vault_xasprintf("Decryption failed (no vault secrets were found that could "
                                "decrypt)%s%s", filename ? " on " : "", filename ? filename : "");
  }
  free(hmac_hex);
  free(body.hex);
  rt_vault_envelope_free(&env);
  return st;
}

static bool vx_valid_id(const char *id) {
  return !strpbrk(id, ";\n\r");
}

/* format_vaulttext_envelope: header line, body hex in lines of 80, final "\n". */
static char *vx_format(const char *vault_id, const unsigned char *salt, size_t salt_len,
                       const unsigned char *mac, const unsigned char *ct, size_t ct_len,
                       size_t *outlen) {
  size_t inner_len = 2 * salt_len + 1 + 64 + 1 + 2 * ct_len;
  char *inner = rt_vault_xmalloc(inner_len);
  char *p = vx_hex(inner, salt, salt_len);
  *p++ = '\n';
  p = vx_hex(p, mac, 32);
  *p++ = '\n';
  vx_hex(p, ct, ct_len);
  bool v12 = vault_id && strcmp(vault_id, RT_VAULT_DEFAULT_ID) != 0 && *vault_id;
  char *header = v12 ? rt_vault_xasprintf("%s;1.2;AES256;%s", RT_VAULT_HEADER, vault_id)
                     : rt_vault_xasprintf("%s;1.1;AES256", RT_VAULT_HEADER);
  size_t hlen = strlen(header), body_len = 2 * inner_len;
  size_t total = hlen + 1 + body_len + (body_len + VK_WRAP - 1) / VK_WRAP;
  char *out = rt_vault_xmalloc(total + 1);
  memcpy(out, header, hlen);
  char *o = out + hlen;
  *o++ = '\n';
  for (size_t done = 0; done < inner_len;) {
    size_t chunk = inner_len - done < VK_WRAP / 2 ? inner_len - done : VK_WRAP / 2;
    o = vx_hex(o, (const unsigned char *)inner + done, chunk);
    *o++ = '\n';
    done += chunk;
  }
  *o = 0;
  *outlen = (size_t)(o - out);
  free(inner);
  free(header);
  return out;
}

RtVaultStatus rt_vault_encrypt(const unsigned char *plain, size_t len, const RtVaultSecret *secret,
                               const char *vault_id, const unsigned char *salt, size_t salt_len,
                               char **out, size_t *outlen, char **err) {
  if (len > RT_VAULT_MAX_PLAIN) {
    *err = rt_vault_xasprintf("input of %zu bytes is larger than playc's limit of %zu bytes", len,
                              RT_VAULT_MAX_PLAIN);
    return RT_VAULT_ETOOBIG;
  }
  if (rt_vault_is_encrypted((const char *)plain, len)) {
    *err = rt_vault_xasprintf("input is already encrypted");
    return RT_VAULT_EINPUT;
  }
  if (vault_id && !vx_valid_id(vault_id)) {
    *err = rt_vault_xasprintf("'%s' is not a valid vault id. The character ';' is not allowed in "
                              "vault ids", vault_id);
    return RT_VAULT_EINPUT;
  }
  unsigned char rnd[VK_SALT];
  if (!salt) {
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
      *err = rt_vault_xasprintf("cannot draw a random salt");
      return RT_VAULT_EINPUT;
    }
    salt = rnd;
    salt_len = sizeof rnd;
  } else if (salt_len == 0) {
    *err = rt_vault_xasprintf("Empty or invalid salt passed to encrypt()");
    return RT_VAULT_EINPUT;
  }
  unsigned char k[VK_DERIVED], mac[32];
  size_t padded = (len / VK_IV + 1) * VK_IV;
  unsigned char *buf = rt_vault_xmalloc(padded), *ct = rt_vault_xmalloc(padded);
  if (len)
    memcpy(buf, plain, len);
  memset(buf + len, (int)(padded - len), padded - len);
  bool ok = vx_derive(secret, salt, salt_len, k) && vx_ctr(k, k + 2 * VK_KEY, buf, padded, ct) &&
            vx_hmac(k + VK_KEY, ct, padded, mac);
  rt_vault_bytes_free(buf, padded);
  OPENSSL_cleanse(k, sizeof k);
  if (ok)
    *out = vx_format(vault_id, salt, salt_len, mac, ct, padded, outlen);
  else
    *err = rt_vault_xasprintf("encryption failed (libcrypto)");
  free(ct);
  return ok ? RT_VAULT_OK : RT_VAULT_EINPUT;
}

/* ---- secrets -------------------------------------------------------------- */

void rt_vault_secrets_add(RtVaultSecrets *s, const char *id, const unsigned char *pw, size_t len) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 4;
    RtVaultSecret *items = rt_vault_xmalloc(cap * sizeof *items);
    if (s->n)
      memcpy(items, s->items, s->n * sizeof *items);
    free(s->items);
    s->items = items;
    s->cap = cap;
  }
  RtVaultSecret *e = &s->items[s->n++];
  e->id = vx_strndup(id, strlen(id));
  e->bytes = rt_vault_xmalloc(len + 1);
  if (len)
    memcpy(e->bytes, pw, len);
  e->bytes[len] = 0;
  e->len = len;
}

void rt_vault_secrets_free(RtVaultSecrets *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->items[i].id);
    rt_vault_bytes_free(s->items[i].bytes, s->items[i].len + 1);
  }
  free(s->items);
  s->items = NULL;
  s->n = s->cap = 0;
}
