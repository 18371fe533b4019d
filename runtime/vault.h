/*
 * vault.h — Ansible Vault for playc: the envelope format and its cipher
 * (vault.c) and the secrets that open it (vault_secrets.c). Shared by the
 * compiler (`playc vault`; later, compile-time checks of `!vault` text and of
 * encrypted vars files) and the runtime (decryption at run time, see
 * vault_value.c in rt.h), so it knows nothing of RtValue or of the
 * compilation context: bytes in, malloc'd bytes out, errors as malloc'd
 * strings worded as Ansible words them.
 *
 * Secrets never stay in memory this layer frees: every buffer that held a
 * password, a derived key or plaintext is wiped (OPENSSL_cleanse) before it
 * is freed. Plaintext handed to a caller must be released with
 * rt_vault_bytes_free, which wipes it too.
 *
 * Names: a "vault id" is the label of a secret ("default" for password files
 * and --ask-vault-pass) and the optional fourth field of a 1.2 header; the
 * "envelope" is the whole vault text (header line + hex body).
 */
#ifndef PLAYC_VAULT_H
#define PLAYC_VAULT_H

#include <stdbool.h>
#include <stddef.h>

#define RT_VAULT_HEADER "$ANSIBLE_VAULT"
#define RT_VAULT_DEFAULT_ID "default" /* Ansible's DEFAULT_VAULT_IDENTITY */
/* Largest envelope accepted (Ansible has no limit; 1 GiB of text is far past
 * any real vault and keeps every length inside OpenSSL's int). */
#define RT_VAULT_MAX_TEXT ((size_t)1 << 30)
/* Largest plaintext encrypted: its envelope is a little over 4 times bigger. */
#define RT_VAULT_MAX_PLAIN ((size_t)1 << 28)
/* Largest password read from a file, a script or the terminal. */
#define RT_VAULT_MAX_SECRET ((size_t)1 << 20)

/* What a vault operation ended with. The message that goes with an error is
 * Ansible's; the kind tells the caller what Ansible does around it. */
typedef enum RtVaultStatus {
  RT_VAULT_OK = 0,
  RT_VAULT_ENOTVAULT,  /* not vault text: "input is not vault encrypted data. ..." */
  RT_VAULT_EENVELOPE,  /* header unusable: "Vault envelope format error: ..." */
  RT_VAULT_ECIPHER,    /* "FOO cipher could not be found" */
  RT_VAULT_ENOSECRETS, /* "Attempting to decrypt but no vault secrets found" */
  RT_VAULT_EFORMAT,    /* body malformed (bad hex, missing lines, bad padding);
                        * Ansible also warns "There was a vault format error: MSG" */
  RT_VAULT_EDECRYPT,   /* "Decryption failed (no vault secrets were found that could decrypt)" */
  RT_VAULT_ETOOBIG,    /* past RT_VAULT_MAX_TEXT / RT_VAULT_MAX_PLAIN */
  RT_VAULT_EINPUT,     /* other bad input (plaintext already encrypted, bad vault id, ...) */
  RT_VAULT_EINTR       /* a password prompt was interrupted (Ctrl-C): exit 99 */
} RtVaultStatus;

/* ---- vault.c: the format ----------------------------------------------------- */

/* True when `len` bytes at `text` are vault text as Ansible's is_encrypted()
 * decides: all ASCII and starting with "$ANSIBLE_VAULT". Never reads past len. */
bool rt_vault_is_encrypted(const char *text, size_t len);

/* A parsed envelope. All fields malloc'd; release with rt_vault_envelope_free. */
typedef struct RtVaultEnvelope {
  char *version;                /* header field 2, stripped ("1.1", "1.2"); Ansible does not check it */
  char *cipher;                 /* header field 3 ("AES256") */
  char *vault_id;               /* header field 4 of a 1.2 header, NULL without one */
  unsigned char *salt;          /* the PBKDF2 salt (32 bytes from Ansible, any length accepted) */
  size_t salt_len;
  unsigned char *hmac;          /* HMAC-SHA256 of the ciphertext (32 bytes when well formed) */
  size_t hmac_len;
  unsigned char *ciphertext;    /* AES-256-CTR of the PKCS#7-padded plaintext */
  size_t ciphertext_len;
} RtVaultEnvelope;

/* Parses and checks vault text without any secret: header, cipher, the hex
 * body and its three lines (salt, HMAC, ciphertext). This is what the compiler
 * calls to validate `!vault` text and encrypted files at compile time.
 * `filename` (may be NULL) only goes into messages, as Ansible's does.
 * Returns RT_VAULT_OK and fills *env, or an error status with *err
 * (malloc'd) and *env zeroed. Errors come in Ansible's order: not vault,
 * envelope, cipher, body, HMAC. */
RtVaultStatus rt_vault_parse(const char *text, size_t len, const char *filename,
                             RtVaultEnvelope *env, char **err);
void rt_vault_envelope_free(RtVaultEnvelope *env);

/* A password and the vault id it is registered under. */
typedef struct RtVaultSecret {
  char *id;             /* malloc'd label, e.g. "default", "dev" */
  unsigned char *bytes; /* malloc'd password, wiped on free */
  size_t len;
} RtVaultSecret;

/* An ordered set of secrets (a run's, or one `playc vault` command's).
 * {0} is empty. Secrets are tried in this order. */
typedef struct RtVaultSecrets {
  RtVaultSecret *items;
  size_t n, cap;
  bool id_match; /* Ansible's DEFAULT_VAULT_ID_MATCH (off by default): when on, only
                    the secrets whose id is the envelope's ("default" for 1.1) are tried */
} RtVaultSecrets;

/* Appends a copy of `len` bytes at `pw` under label `id`. */
void rt_vault_secrets_add(RtVaultSecrets *s, const char *id, const unsigned char *pw, size_t len);
/* Wipes and frees every secret; the set is empty afterwards. */
void rt_vault_secrets_free(RtVaultSecrets *s);

/* Decrypts vault text with the first secret that opens it, as Ansible's
 * VaultLib.decrypt: every secret in order (only those of the envelope's vault
 * id when s->id_match), each checked by HMAC-SHA256 in constant time before
 * anything is decrypted. `filename` (may be NULL) goes into messages.
 * Returns RT_VAULT_OK with the plaintext in *out (malloc'd, NUL-terminated
 * past *outlen; release with rt_vault_bytes_free) and, when `id_used` is not
 * NULL, the label of the secret that opened it in *id_used (borrowed from
 * `s`). Else an error status with *err (malloc'd) in Ansible's words. */
RtVaultStatus rt_vault_decrypt(const RtVaultSecrets *s, const char *text, size_t len,
                               const char *filename, unsigned char **out, size_t *outlen,
                               const char **id_used, char **err);

/* Encrypts `len` bytes with `secret`, as ansible-vault does: a 1.1 header when
 * `vault_id` is NULL or "default", else a 1.2 header naming it; PBKDF2-HMAC-
 * SHA256 (10000 iterations) of the password and the salt gives the AES-256-CTR
 * key, the HMAC key and the counter block; the body is the hex of "hex(salt)\n
 * hex(hmac)\nhex(ciphertext)" wrapped at 80 columns; the text ends in "\n".
 * `salt` NULL draws 32 random bytes (tests pass Ansible's to compare bytes).
 * Returns RT_VAULT_OK with *out (malloc'd, NUL-terminated) and *outlen, or an
 * error with *err ("input is already encrypted", too big, bad vault id). */
RtVaultStatus rt_vault_encrypt(const unsigned char *plain, size_t len, const RtVaultSecret *secret,
                               const char *vault_id, const unsigned char *salt, size_t salt_len,
                               char **out, size_t *outlen, char **err);

/* Wipes `len` bytes at `p` and frees them (NULL is fine). */
void rt_vault_bytes_free(void *p, size_t len);

/* ---- vault_secrets.c: where secrets come from ------------------------------- */

/* The password options of a command (ansible-playbook's and ansible-vault's). */
typedef struct RtVaultSources {
  const char **ids;            /* --vault-id values in order: "label@source" or "source";
                                  source is a file, an executable, or "prompt" */
  size_t nids;
  const char **password_files; /* --vault-password-file values in order */
  size_t npassword_files;
  bool ask;                    /* --ask-vault-pass */
  bool auto_prompt;            /* prompt when nothing else is given (ansible-vault does,
                                  ansible-playbook does not) */
  bool new_password;           /* prompts ask for a new password twice (encrypt, rekey) */
  bool no_identity_list;       /* ignore ANSIBLE_VAULT_IDENTITY_LIST (rekey's new secrets) */
  /* Where Ansible's warnings go ("Error getting vault password file (x): ...").
   * `formatted` is Ansible's display.warning(formatted=True): printed as
   * "\n[WARNING]: \nMSG" rather than wrapped. NULL: to stderr, unwrapped. */
  void (*warn)(void *ctx, const char *msg, bool formatted);
  void *warn_ctx;
} RtVaultSources;

/* Loads secrets into `s` as Ansible's setup_vault_secrets does, in its order:
 * ANSIBLE_VAULT_IDENTITY_LIST, the --vault-id values, the password files
 * (then ANSIBLE_VAULT_PASSWORD_FILE) under "default", then the prompt
 * (--ask-vault-pass, ANSIBLE_ASK_VAULT_PASS, or auto_prompt with nothing
 * else). ANSIBLE_VAULT_ID_MATCH sets s->id_match. A file secret is the whole
 * file stripped of surrounding whitespace (decrypted first when it is itself
 * vault text, with the secrets loaded before it); an executable is run (a
 * "-client" script with `--vault-id LABEL`) and its stdout stripped of CR/LF;
 * "prompt" reads the terminal without echo. A source that fails is a warning
 * while another succeeds; when none does, the last failure is the error.
 * Passwords never go on a command line or into the environment.
 * Returns RT_VAULT_OK, or an error with *err (RT_VAULT_EINTR when a prompt
 * was interrupted). */
RtVaultStatus rt_vault_secrets_load(RtVaultSecrets *s, const RtVaultSources *src, char **err);

/* The secret to encrypt with (Ansible's match_encrypt_secret): the first one
 * labelled `encrypt_id`, or the first of all when `encrypt_id` is NULL.
 * NULL with *err when there is none ("Did not find a match for
 * --encrypt-vault-id=..."). Borrowed from `s`. */
const RtVaultSecret *rt_vault_secrets_for_encrypt(const RtVaultSecrets *s, const char *encrypt_id,
                                                  char **err);

/* Reads one line from the terminal without echo (prompt on the terminal),
 * or, with no terminal, from stdin after Python's "Warning: Password input
 * may be echoed." (prompt on stderr), as getpass does; with `echo`, as
 * input() does (prompt on stdout, line from stdin). Returns RT_VAULT_OK
 * with *out (malloc'd, wipe with rt_vault_bytes_free) and *outlen, or
 * RT_VAULT_EINPUT on end of input, RT_VAULT_EINTR on Ctrl-C (the terminal
 * is restored either way). Call it before starting threads: SIGINT is
 * waited for in this thread. */
RtVaultStatus rt_vault_prompt(const char *prompt, bool echo, char **out, size_t *outlen);

/* Reads `fd` to its end into *out (malloc'd, NUL-terminated past *outlen;
 * release with rt_vault_bytes_free): every buffer it outgrows is wiped, so
 * a password or plaintext read here leaves no copy behind. Returns 0, or an
 * errno (EFBIG past `cap` bytes). */
int rt_vault_read_fd(int fd, size_t cap, char **out, size_t *outlen);

/* Python's str(OSError): "[Errno N] strerror: 'path'" (malloc'd). */
char *rt_vault_oserror(int errnum, const char *path);
/* Python's repr() of `len` bytes as str (bytes=false) or bytes (b'...'). */
char *rt_vault_pyrepr(const char *s, size_t len, bool bytes);
/* Ansible's unfrackpath without following symlinks: $VAR and ~ expanded,
 * made absolute against the working directory, "." and ".." folded. */
char *rt_vault_unfrack(const char *path);

/* Allocation for this layer (abort with a message when memory runs out, the
 * runtime's policy). */
void *rt_vault_xmalloc(size_t n);
char *rt_vault_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
