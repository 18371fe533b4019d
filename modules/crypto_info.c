/*
 * crypto_info.c — community.crypto.openssl_privatekey_info and
 * community.crypto.x509_certificate_info, with the target's `openssl` (no
 * Python there, so no cryptography backend: select_crypto_backend is
 * accepted and does not change anything).
 *
 * The private key never leaves the target: one request runs `openssl pkey`
 * on it for the public key (PEM), and, when asked, for its text form (the
 * private numbers of return_private_key_data) and `-check`
 * (check_consistency); whether the file is PEM and encrypted is looked at
 * there too, for the module's passphrase errors. A certificate is public:
 * the request sends the file's bytes back (`openssl base64`). The
 * controller then decodes the public key and the certificate with
 * libcrypto, the library the openssl tool is made of, and builds the
 * module's result: fingerprints of the DER bytes with every hash of
 * Python's hashlib.algorithms_guaranteed, names and extensions by OpenSSL's
 * object table (the names the collection prints are those of OpenSSL's
 * objects.txt), validity in ASN.1 form, valid_at against the controller's
 * clock.
 */
#include "mod.h"

static const ModParam pki_params[] = {
    {.name = "path", .type = MP_PATH},
    {.name = "content", .type = MP_STR, .no_log = true},
    {.name = "passphrase", .type = MP_STR, .no_log = true},
    {.name = "return_private_key_data", .type = MP_BOOL, .def = "no"},
    {.name = "check_consistency", .type = MP_BOOL, .def = "no"},
    {.name = "select_crypto_backend", .type = MP_STR, .choices = "auto,cryptography", .def = "auto"},
};
const ModSchema mod_schema_openssl_privatekey_info = {
    .name = "openssl_privatekey_info",
    .params = pki_params,
    .nparams = MOD_N(pki_params),
    .one_of = "path,content",
    .exclusive = "path,content",
    .tools = "openssl",
    .check_mode = true,
    .collection = "community.crypto",
};

static const ModParam certi_params[] = {
    {.name = "path", .type = MP_PATH},
    {.name = "content", .type = MP_STR},
    {.name = "valid_at", .type = MP_DICT},
    {.name = "name_encoding", .type = MP_STR, .choices = "ignore,idna,unicode", .def = "ignore"},
    {.name = "select_crypto_backend", .type = MP_STR, .choices = "auto,cryptography", .def = "auto"},
};
const ModSchema mod_schema_x509_certificate_info = {
    .name = "x509_certificate_info",
    .params = certi_params,
    .nparams = MOD_N(certi_params),
    .one_of = "path,content",
    .exclusive = "path,content",
    .tools = "openssl",
    .check_mode = true,
    .collection = "community.crypto",
};

#ifndef MOD_SCHEMA_ONLY

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ---- shared: the target's file, fingerprints, public keys ----------------------------- */

/* Script text: openssl found; the input as "$k" (the path, or `content`
 * written to the scratch folder), or rerr=ERRNO when open() would fail. */
static void sh_input(RtBuf *s, const char *path, const char *content) {
  mod_ps_sh_begin(s);
  rt_buf_puts(s, "pc_bin openssl || pc_nobin openssl\no=$pc_v\n");
  if (content) {
    mod_sh_set(s, "c", content);
    rt_buf_puts(s, "k=$__playc_scr/in; printf %s \"$c\" > \"$k\"\n");
    return;
  }
  mod_sh_set_path(s, "k", path ? path : "");
  rt_buf_puts(s, "__playc_rec path \"$k\"\n"
                 "if [ ! -e \"$k\" ]; then __playc_rec rerr 2; exit 0; fi\n"
                 "if [ -d \"$k\" ]; then __playc_rec rerr 21; exit 0; fi\n"
                 "if [ ! -r \"$k\" ]; then __playc_rec rerr 13; exit 0; fi\n");
}

/* open()'s OSError as Python words it: "[Errno 2] No such file or directory: '/p'". */
static char *read_error(const RtExec *ex, const char *path) {
  long long e = mod_rec_int(ex, "rerr", 2);
  const char *what = e == 21 ? "Is a directory" : e == 13 ? "Permission denied" : "No such file or directory";
  RtBuf b = {0};
  mod_py_bytes_repr(&b, mod_rec(ex, "path") ? mod_rec(ex, "path") : path ? path : "");
  char *m = rt_xasprintf("[Errno %lld] %s: %s", e, what, b.data ? b.data + 1 : "''");
  rt_buf_free(&b);
  return m;
}

/* hashlib.algorithms_guaranteed, with libcrypto's names; shake's
 * hexdigest(32). */
static const char *const fp_algos[][2] = {
    {"blake2b", "BLAKE2B-512"}, {"blake2s", "BLAKE2S-256"}, {"md5", "MD5"},           {"sha1", "SHA1"},
    {"sha224", "SHA224"},       {"sha256", "SHA256"},       {"sha384", "SHA384"},     {"sha3_224", "SHA3-224"},
    {"sha3_256", "SHA3-256"},   {"sha3_384", "SHA3-384"},   {"sha3_512", "SHA3-512"}, {"sha512", "SHA512"},
    {"shake_128", "SHAKE-128"}, {"shake_256", "SHAKE-256"},
};

/* Bytes as "aa:bb:...". */
static RtValue *hex_colons(const unsigned char *p, size_t n) {
  RtBuf b = {0};
  for (size_t i = 0; i < n; i++)
    rt_buf_printf(&b, "%s%02x", i ? ":" : "", p[i]);
  size_t len = b.len;
  return len ? rt_str_take(rt_buf_take(&b), len) : rt_strz("");
}

/* get_fingerprint_of_bytes: every algorithm's digest of `der`. */
static RtValue *fingerprints(const unsigned char *der, size_t n) {
  RtValue *d = rt_dict_new(14);
  for (size_t i = 0; i < sizeof fp_algos / sizeof fp_algos[0]; i++) {
    EVP_MD *md = EVP_MD_fetch(NULL, fp_algos[i][1], NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int olen = 0;
    bool xof = strncmp(fp_algos[i][0], "shake", 5) == 0;
    bool ok = md && ctx && EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, der, n) &&
              (xof ? EVP_DigestFinalXOF(ctx, out, 32) : EVP_DigestFinal_ex(ctx, out, &olen));
    if (xof)
      olen = 32;
    if (ok)
      rt_dict_set(d, fp_algos[i][0], hex_colons(out, olen));
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
  return d;
}

/* A BIGNUM as a Python int value. */
static RtValue *bn_value(const BIGNUM *bn) {
  if (!bn)
    return rt_none();
  char *dec = BN_bn2dec(bn);
  RtValue *v;
  if (BN_num_bits(bn) < 63)
    v = rt_int(strtoll(dec, NULL, 10));
  else
    v = rt_bigint_parse(dec, strlen(dec), 10);
  OPENSSL_free(dec);
  return v;
}

/* An integer parameter of `pk` as a value. */
static RtValue *pkey_int(const EVP_PKEY *pk, const char *name) {
  BIGNUM *bn = NULL;
  if (!EVP_PKEY_get_bn_param(pk, name, &bn))
    return rt_none();
  RtValue *v = bn_value(bn);
  BN_free(bn);
  return v;
}

/* cryptography's curve names: SEC 2 names where OpenSSL has X9.62 ones. */
static const char *curve_name(const char *ossl) {
  static const char *const alias[][2] = {{"prime256v1", "secp256r1"}, {"prime192v1", "secp192r1"}};
  for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
    if (strcmp(ossl, alias[i][0]) == 0)
      return alias[i][1];
  return ossl;
}

/* _get_cryptography_public_key_info: the type and public_data of `pk`. */
static const char *pubkey_info(const EVP_PKEY *pk, RtValue **data) {
  RtValue *d = rt_dict_new(4);
  *data = d;
  switch (EVP_PKEY_get_base_id(pk)) {
  case EVP_PKEY_RSA:
    rt_dict_set(d, "size", rt_int(EVP_PKEY_get_bits(pk)));
    rt_dict_set(d, "modulus", pkey_int(pk, OSSL_PKEY_PARAM_RSA_N));
    rt_dict_set(d, "exponent", pkey_int(pk, OSSL_PKEY_PARAM_RSA_E));
    return "RSA";
  case EVP_PKEY_DSA:
    rt_dict_set(d, "size", rt_int(EVP_PKEY_get_bits(pk)));
    rt_dict_set(d, "p", pkey_int(pk, OSSL_PKEY_PARAM_FFC_P));
    rt_dict_set(d, "q", pkey_int(pk, OSSL_PKEY_PARAM_FFC_Q));
    rt_dict_set(d, "g", pkey_int(pk, OSSL_PKEY_PARAM_FFC_G));
    rt_dict_set(d, "y", pkey_int(pk, OSSL_PKEY_PARAM_PUB_KEY));
    return "DSA";
  case EVP_PKEY_X25519:
    return "X25519";
  case EVP_PKEY_X448:
    return "X448";
  case EVP_PKEY_ED25519:
    return "Ed25519";
  case EVP_PKEY_ED448:
    return "Ed448";
  case EVP_PKEY_EC: {
    char group[80] = "";
    size_t glen = 0;
    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen);
    rt_dict_set(d, "curve", rt_strz(curve_name(group)));
    rt_dict_set(d, "x", pkey_int(pk, OSSL_PKEY_PARAM_EC_PUB_X));
    rt_dict_set(d, "y", pkey_int(pk, OSSL_PKEY_PARAM_EC_PUB_Y));
    rt_dict_set(d, "exponent_size", rt_int(EVP_PKEY_get_bits(pk)));
    return "ECC";
  }
  default:
    return "unknown";
  }
}

/* public_key (PEM), its fingerprints (of the DER SubjectPublicKeyInfo),
 * type and public data, under the given keys. */
static void pubkey_result(RtValue *r, EVP_PKEY *pk, const char *kpem, const char *kfp, const char *ktype,
                          const char *kdata) {
  BIO *bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pk);
  char *pem;
  long plen = BIO_get_mem_data(bio, &pem);
  rt_dict_set(r, kpem, rt_str(pem, (size_t)plen));
  BIO_free(bio);
  unsigned char *der = NULL;
  int dlen = i2d_PUBKEY(pk, &der);
  rt_dict_set(r, kfp, dlen > 0 ? fingerprints(der, (size_t)dlen) : rt_dict_new(0));
  OPENSSL_free(der);
  RtValue *data;
  const char *type = pubkey_info(pk, &data);
  rt_dict_set(r, ktype, rt_strz(type));
  rt_dict_set(r, kdata, data);
}

/* ---- openssl_privatekey_info -------------------------------------------------------- */

/* The number after "\nNAME:\n" in `openssl pkey -text` output (hex bytes
 * separated by ':' on indented lines), or None. */
static RtValue *text_number(const char *text, const char *name) {
  char *key = rt_xasprintf("\n%s:\n", name);
  const char *p = text ? strstr(text, key) : NULL;
  free(key);
  if (!p)
    return rt_none();
  p = strchr(p + 1, '\n') + 1;
  RtBuf hex = {0};
  while (*p == ' ') {
    for (; *p && *p != '\n'; p++)
      if (isxdigit((unsigned char)*p))
        rt_buf_putc(&hex, *p);
    if (*p)
      p++;
  }
  BIGNUM *bn = NULL;
  RtValue *v = hex.data && BN_hex2bn(&bn, hex.data) ? bn_value(bn) : rt_none();
  BN_free(bn);
  rt_buf_free(&hex);
  return v;
}

/* _get_cryptography_private_key_info's private data, from the text form. */
static RtValue *private_data(const char *type, const char *text) {
  RtValue *d = rt_dict_new(3);
  if (strcmp(type, "RSA") == 0) {
    rt_dict_set(d, "p", text_number(text, "prime1"));
    rt_dict_set(d, "q", text_number(text, "prime2"));
    rt_dict_set(d, "exponent", text_number(text, "privateExponent"));
  } else if (strcmp(type, "DSA") == 0) {
    rt_dict_set(d, "x", text_number(text, "priv"));
  } else if (strcmp(type, "ECC") == 0) {
    rt_dict_set(d, "multiplier", text_number(text, "priv"));
  }
  return d;
}

/* A failure carrying the result so far, as the module's fail_json(**result). */
static RtValue *pki_fail(RtValue *r, const char *msg) {
  rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, "msg", rt_strz(msg));
  return r;
}

RtValue *mod_openssl_privatekey_info(RtHost *h, RtValue *args) {
  char *path = mod_arg_str(args, "path"), *content = mod_arg_str(args, "content");
  char *pass = mod_arg_str(args, "passphrase");
  bool want_priv = mod_arg_bool(args, "return_private_key_data", 0) == 1;
  bool check = mod_arg_bool(args, "check_consistency", 0) == 1;
  RtValue *r = rt_dict_new(10);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "can_load_key", rt_bool(false));
  rt_dict_set(r, "can_parse_key", rt_bool(false));
  rt_dict_set(r, "key_is_consistent", rt_none());
  RtBuf s = {0};
  RtExec ex;
  bool have = false;
  ModCap pub = {0}, txt = {0}, chk = {0};
  EVP_PKEY *pk = NULL;
  sh_input(&s, path, content);
  /* the passphrase reaches openssl through its environment, never argv */
  mod_sh_set(&s, "PLAYC_PASS", pass ? pass : "");
  rt_buf_puts(&s, "export PLAYC_PASS\n"
                  "grep -q -e '-----BEGIN' \"$k\" && __playc_rec pem 1\n"
                  "grep -q -e ENCRYPTED \"$k\" && __playc_rec enc 1\n"
                  "pc_cap pub \"$o\" pkey -in \"$k\" -passin env:PLAYC_PASS -pubout || exit 0\n");
  if (want_priv || check)
    rt_buf_puts(&s, "pc_cap txt \"$o\" pkey -in \"$k\" -passin env:PLAYC_PASS -text -noout\n");
  if (check)
    rt_buf_puts(&s, "pc_cap chk \"$o\" pkey -in \"$k\" -passin env:PLAYC_PASS -check -noout\n");
  if (mod_sh_exec(h, &s, &ex) < 0) {
    rt_decref(r);
    r = NULL;
    goto done;
  }
  have = true;
  RtValue *miss = mod_ps_missing(&ex);
  if (miss) {
    rt_decref(r);
    r = miss;
    goto done;
  }
  if (mod_rec(&ex, "rerr")) {
    char *e = read_error(&ex, path);
    char *m = rt_xasprintf("Error while reading private key file from disk: %s", e);
    r = pki_fail(r, m);
    free(e);
    free(m);
    goto done;
  }
  rt_dict_set(r, "can_load_key", rt_bool(true));
  bool enc = mod_rec(&ex, "enc") != NULL, pem = mod_rec(&ex, "pem") != NULL;
  if (pem && (pass != NULL) != enc) { /* load_pem_private_key's TypeError */
    r = pki_fail(r, "Wrong or empty passphrase provided for private key");
    goto done;
  }
  if (pem && mod_ps_cap(&ex, "pub", &pub) && pub.rc == 0 && pub.out) {
    BIO *bio = BIO_new_mem_buf(pub.out, -1);
    pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
  }
  if (!pk) { /* its ValueError */
    r = pki_fail(r, "Wrong passphrase provided for private key");
    goto done;
  }
  rt_dict_set(r, "can_parse_key", rt_bool(true));
  pubkey_result(r, pk, "public_key", "public_key_fingerprints", "type", "public_data");
  RtValue *tv = rt_dict_get(r, "type");
  const char *type = tv ? tv->u.str.s : "";
  if (want_priv || check)
    mod_ps_cap(&ex, "txt", &txt);
  if (want_priv)
    rt_dict_set(r, "private_data", private_data(type, txt.out));
  if (check) {
    bool known = !strcmp(type, "RSA") || !strcmp(type, "DSA") || !strcmp(type, "ECC") || !strcmp(type, "Ed25519") ||
                 !strcmp(type, "Ed448");
    bool ok = mod_ps_cap(&ex, "chk", &chk) && chk.rc == 0;
    rt_dict_set(r, "key_is_consistent", known ? rt_bool(ok) : rt_none());
    if (known && !ok) {
      r = pki_fail(r, "Private key is not consistent! (See "
                      "https://blog.hboeck.de/archives/888-How-I-tricked-Symantec-with-a-Fake-Private-Key.html)");
      goto done;
    }
  }
done:
  EVP_PKEY_free(pk);
  if (have)
    rt_exec_free(&ex);
  mod_ps_cap_free(&pub);
  mod_ps_cap_free(&txt);
  mod_ps_cap_free(&chk);
  free(path);
  free(content);
  free(pass);
  return r;
}

/* ---- x509_certificate_info ---------------------------------------------------------- */

/* cryptography_oid_to_name: OpenSSL's long name of the object, else its dotted form. */
static RtValue *oid_name(const ASN1_OBJECT *o) {
  char buf[256];
  int nid = OBJ_obj2nid(o);
  if (nid != NID_undef && OBJ_nid2ln(nid))
    return rt_strz(OBJ_nid2ln(nid));
  OBJ_obj2txt(buf, sizeof buf, o, 1);
  return rt_strz(buf);
}

/* A name's attributes as [[name, value], ...] (ordered) and {name: value}. */
static void name_result(RtValue *r, const X509_NAME *n, const char *key, const char *okey) {
  int cnt = X509_NAME_entry_count(n);
  RtValue *ordered = rt_list_new((size_t)cnt), *map = rt_dict_new((size_t)cnt);
  for (int i = 0; i < cnt; i++) {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
    unsigned char *u = NULL;
    int ulen = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
    RtValue *k = oid_name(X509_NAME_ENTRY_get_object(e));
    RtValue *v = ulen >= 0 ? rt_str((const char *)u, (size_t)ulen) : rt_strz("");
    OPENSSL_free(u);
    RtValue *pair = rt_list_new(2);
    rt_list_push(pair, rt_incref(k));
    rt_list_push(pair, rt_incref(v));
    rt_list_push(ordered, pair);
    rt_dict_set(map, k->u.str.s, v);
    rt_decref(k);
  }
  rt_dict_set(r, key, map);
  rt_dict_set(r, okey, ordered);
}

/* _dn_escape_value of a name attribute's value, appended to b. */
static void dn_escape(RtBuf *b, const char *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char ch = v[i];
    if (ch == '\\' || strchr(",+<>;\"", ch) != NULL || (ch && i == 0 && (ch == ' ' || ch == '#')) ||
        (ch == ' ' && i == n - 1))
      rt_buf_putc(b, '\\');
    if (!ch)
      rt_buf_puts(b, "\\00");
    else
      rt_buf_putc(b, ch);
  }
}

/* "dirName:" and the name's attributes in reverse order as SN=value, joined by ','. */
static RtValue *dir_name(const X509_NAME *n) {
  RtBuf b = {0};
  rt_buf_puts(&b, "dirName:");
  for (int i = X509_NAME_entry_count(n) - 1; i >= 0; i--) {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
    const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(e);
    int nid = OBJ_obj2nid(o);
    char oid[128];
    if (nid != NID_undef && OBJ_nid2sn(nid))
      snprintf(oid, sizeof oid, "%s", OBJ_nid2sn(nid));
    else
      OBJ_obj2txt(oid, sizeof oid, o, 1);
    unsigned char *u = NULL;
    int ulen = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
    rt_buf_printf(&b, "%s%s=", i == X509_NAME_entry_count(n) - 1 ? "" : ",", oid);
    dn_escape(&b, (const char *)u, ulen > 0 ? (size_t)ulen : 0);
    OPENSSL_free(u);
  }
  size_t len = b.len;
  return rt_str_take(rt_buf_take(&b), len);
}

/* cryptography_decode_name for the general names cryptography decodes. */
static RtValue *general_name(const GENERAL_NAME *g) {
  int type;
  void *v = GENERAL_NAME_get0_value(g, &type);
  const ASN1_STRING *s = v;
  char buf[256];
  switch (type) {
  case GEN_DNS:
  case GEN_EMAIL:
  case GEN_URI: {
    const char *pre = type == GEN_DNS ? "DNS:" : type == GEN_EMAIL ? "email:" : "URI:";
    char *t = rt_xasprintf("%s%.*s", pre, ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
    return rt_str_take(t, strlen(t));
  }
  case GEN_IPADD: {
    const unsigned char *p = ASN1_STRING_get0_data(s);
    int n = ASN1_STRING_length(s);
    char ip[64] = "";
    if (n == 4)
      snprintf(ip, sizeof ip, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
    else if (n == 16)
      inet_ntop(AF_INET6, p, ip, sizeof ip);
    char *t = rt_xasprintf("IP:%s", ip);
    return rt_str_take(t, strlen(t));
  }
  case GEN_DIRNAME:
    return dir_name(v);
  case GEN_OTHERNAME: { /* the type's OID; the DER of the value, in hex */
    const OTHERNAME *on = v;
    unsigned char *der = NULL;
    int dlen = i2d_ASN1_TYPE(on->value, &der);
    OBJ_obj2txt(buf, sizeof buf, on->type_id, 1);
    RtValue *hex = hex_colons(der, dlen > 0 ? (size_t)dlen : 0);
    char *t = rt_xasprintf("otherName:%s;%s", buf, hex->u.str.s);
    rt_decref(hex);
    OPENSSL_free(der);
    return rt_str_take(t, strlen(t));
  }
  case GEN_RID:
    OBJ_obj2txt(buf, sizeof buf, v, 1);
    return rt_str_take(rt_xasprintf("RID:%s", buf), strlen(buf) + 4);
  default:
    return NULL;
  }
}

/* A list of the general names, or NULL when one is of a kind not decoded here. */
static RtValue *general_names(const GENERAL_NAMES *gs) {
  RtValue *l = rt_list_new(4);
  for (int i = 0; i < sk_GENERAL_NAME_num(gs); i++) {
    RtValue *v = general_name(sk_GENERAL_NAME_value(gs, i));
    if (!v) {
      rt_decref(l);
      return NULL;
    }
    rt_list_push(l, v);
  }
  return l;
}

/* Sorts a list of str values in place (Python's sorted on ASCII text). */
static int cmp_str(const void *a, const void *b) {
  const RtValue *x = *(RtValue *const *)a, *y = *(RtValue *const *)b;
  return strcmp(x->u.str.s, y->u.str.s);
}
static RtValue *sorted(RtValue *l) {
  qsort(l->u.list.items, l->u.list.len, sizeof *l->u.list.items, cmp_str);
  return l;
}

/* The extension with NID `nid`: its decoded value (freed by the caller
 * with `free_fn`) and criticality; NULL when absent. */
static void *ext_get(X509 *x, int nid, bool *crit) {
  int c = 0;
  void *v = X509_get_ext_d2i(x, nid, &c, NULL);
  *crit = c == 1;
  return v;
}

static void key_usage(RtValue *r, X509 *x) {
  bool crit;
  ASN1_BIT_STRING *ku = ext_get(x, NID_key_usage, &crit);
  if (!ku) {
    rt_dict_set(r, "key_usage", rt_none());
    rt_dict_set(r, "key_usage_critical", rt_bool(false));
    return;
  }
  static const char *const names[] = {"Digital Signature", "Non Repudiation", "Key Encipherment",
                                      "Data Encipherment", "Key Agreement",   "Certificate Sign",
                                      "CRL Sign",          "Encipher Only",   "Decipher Only"};
  RtValue *l = rt_list_new(9);
  bool agreement = ASN1_BIT_STRING_get_bit(ku, 4);
  for (int i = 0; i < 9; i++)
    if (ASN1_BIT_STRING_get_bit(ku, i) && (i < 7 || agreement))
      rt_list_push(l, rt_strz(names[i]));
  rt_dict_set(r, "key_usage", sorted(l));
  rt_dict_set(r, "key_usage_critical", rt_bool(crit));
  ASN1_BIT_STRING_free(ku);
}

static void ext_key_usage(RtValue *r, X509 *x) {
  bool crit;
  EXTENDED_KEY_USAGE *eku = ext_get(x, NID_ext_key_usage, &crit);
  RtValue *l = NULL;
  if (eku) {
    l = rt_list_new(4);
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
      rt_list_push(l, oid_name(sk_ASN1_OBJECT_value(eku, i)));
    sorted(l);
    EXTENDED_KEY_USAGE_free(eku);
  }
  rt_dict_set(r, "extended_key_usage", l ? l : rt_none());
  rt_dict_set(r, "extended_key_usage_critical", rt_bool(eku && crit));
}

static void basic_constraints(RtValue *r, X509 *x) {
  bool crit;
  BASIC_CONSTRAINTS *bc = ext_get(x, NID_basic_constraints, &crit);
  RtValue *l = NULL;
  if (bc) {
    l = rt_list_new(2);
    rt_list_push(l, rt_strz(bc->ca ? "CA:TRUE" : "CA:FALSE"));
    if (bc->pathlen) {
      char *t = rt_xasprintf("pathlen:%ld", ASN1_INTEGER_get(bc->pathlen));
      rt_list_push(l, rt_str_take(t, strlen(t)));
    }
    sorted(l);
    BASIC_CONSTRAINTS_free(bc);
  }
  rt_dict_set(r, "basic_constraints", l ? l : rt_none());
  rt_dict_set(r, "basic_constraints_critical", rt_bool(bc && crit));
}

/* The TLS feature extension (1.3.6.1.5.5.7.1.24): status_request (5) in it. */
static void ocsp_must_staple(RtValue *r, X509 *x) {
  int at = X509_get_ext_by_NID(x, NID_tlsfeature, -1);
  if (at < 0) {
    rt_dict_set(r, "ocsp_must_staple", rt_none());
    rt_dict_set(r, "ocsp_must_staple_critical", rt_bool(false));
    return;
  }
  X509_EXTENSION *e = X509_get_ext(x, at);
  bool crit = X509_EXTENSION_get_critical(e) == 1;
  STACK_OF(ASN1_INTEGER) *feats = X509V3_EXT_d2i(e);
  bool staple = false;
  for (int i = 0; feats && i < sk_ASN1_INTEGER_num(feats); i++)
    staple |= ASN1_INTEGER_get(sk_ASN1_INTEGER_value(feats, i)) == 5;
  sk_ASN1_INTEGER_pop_free(feats, ASN1_INTEGER_free);
  rt_dict_set(r, "ocsp_must_staple", rt_bool(staple));
  rt_dict_set(r, "ocsp_must_staple_critical", rt_bool(crit));
}

/* subject_alt_name; false when a name is of a kind not decoded here. */
static bool subject_alt_name(RtValue *r, X509 *x) {
  bool crit;
  GENERAL_NAMES *gs = ext_get(x, NID_subject_alt_name, &crit);
  RtValue *l = gs ? general_names(gs) : NULL;
  GENERAL_NAMES_free(gs);
  if (gs && !l)
    return false;
  rt_dict_set(r, "subject_alt_name", l ? l : rt_none());
  rt_dict_set(r, "subject_alt_name_critical", rt_bool(gs && crit));
  return true;
}

/* authority_key_identifier, authority_cert_issuer, authority_cert_serial_number. */
static bool authority_key(RtValue *r, X509 *x) {
  bool crit;
  AUTHORITY_KEYID *ak = ext_get(x, NID_authority_key_identifier, &crit);
  RtValue *id = rt_none(), *iss = rt_none(), *serial = rt_none();
  bool ok = true;
  if (ak) {
    if (ak->keyid) {
      rt_decref(id);
      id = hex_colons(ASN1_STRING_get0_data(ak->keyid), (size_t)ASN1_STRING_length(ak->keyid));
    }
    if (ak->issuer) {
      rt_decref(iss);
      iss = general_names(ak->issuer);
      ok = iss != NULL;
      if (!iss)
        iss = rt_none();
    }
    if (ak->serial) {
      BIGNUM *bn = ASN1_INTEGER_to_BN(ak->serial, NULL);
      rt_decref(serial);
      serial = bn_value(bn);
      BN_free(bn);
    }
    AUTHORITY_KEYID_free(ak);
  }
  rt_dict_set(r, "authority_key_identifier", id);
  rt_dict_set(r, "authority_cert_issuer", iss);
  rt_dict_set(r, "authority_cert_serial_number", serial);
  return ok;
}

/* ocsp_uri and issuer_uri: the first URI of the access method in the AIA. */
static void access_uris(RtValue *r, X509 *x) {
  bool crit;
  AUTHORITY_INFO_ACCESS *aia = ext_get(x, NID_info_access, &crit);
  RtValue *ocsp = NULL, *issuer = NULL;
  for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
    ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
    int nid = OBJ_obj2nid(ad->method);
    RtValue **slot = nid == NID_ad_OCSP ? &ocsp : nid == NID_ad_ca_issuers ? &issuer : NULL;
    if (slot && !*slot && ad->location->type == GEN_URI) {
      const ASN1_STRING *s = ad->location->d.uniformResourceIdentifier;
      *slot = rt_str((const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
    }
  }
  AUTHORITY_INFO_ACCESS_free(aia);
  rt_dict_set(r, "ocsp_uri", ocsp ? ocsp : rt_none());
  rt_dict_set(r, "issuer_uri", issuer ? issuer : rt_none());
}

/* extensions_by_oid: {dotted OID: {critical, value: base64 of the DER value}}. */
static void all_extensions(RtValue *r, X509 *x) {
  RtValue *d = rt_dict_new(8);
  for (int i = 0; i < X509_get_ext_count(x); i++) {
    X509_EXTENSION *e = X509_get_ext(x, i);
    char oid[128];
    OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(e), 1);
    const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(e);
    int n = ASN1_STRING_length(v);
    char *b64 = rt_xmalloc((size_t)(4 * ((n + 2) / 3) + 1));
    int blen = EVP_EncodeBlock((unsigned char *)b64, ASN1_STRING_get0_data(v), n);
    RtValue *ent = rt_dict_new(2);
    rt_dict_set(ent, "critical", rt_bool(X509_EXTENSION_get_critical(e) == 1));
    rt_dict_set(ent, "value", rt_str_take(b64, (size_t)blen));
    rt_dict_set(d, oid, ent);
  }
  rt_dict_set(r, "extensions_by_oid", d);
}

/* subject_key_identifier as hex with colons, or None. */
static void subject_key_id(RtValue *r, X509 *x) {
  bool crit;
  ASN1_OCTET_STRING *ski = ext_get(x, NID_subject_key_identifier, &crit);
  rt_dict_set(r, "subject_key_identifier",
              ski ? hex_colons(ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski)) : rt_none());
  ASN1_OCTET_STRING_free(ski);
}

/* An ASN1_TIME as seconds since the epoch (UTC) and as "%Y%m%d%H%M%SZ". */
static time_t asn1_time(const ASN1_TIME *t, char out[16]) {
  struct tm tm = {0};
  ASN1_TIME_to_tm(t, &tm);
  strftime(out, 16, "%Y%m%d%H%M%SZ", &tm);
  return timegm(&tm);
}

/* get_relative_time_option: "+1w2d", "-3h", or "%Y%m%d%H%M%SZ" /
 * "%Y%m%d%H%MZ" (UTC); false when it is none of them. */
static bool time_spec(const char *s, time_t now, time_t *out) {
  if (*s == '+' || *s == '-') {
    const char *p = s + 1;
    static const char units[] = "wdhms";
    static const long secs[] = {604800, 86400, 3600, 60, 1};
    long long off = 0;
    int u = 0;
    if (!*p)
      return false;
    while (*p) {
      if (!isdigit((unsigned char)*p))
        return false;
      long long v = strtoll(p, (char **)&p, 10);
      int k = u;
      while (k < 5 && tolower((unsigned char)*p) != units[k])
        k++;
      if (k == 5) { /* a bare number is seconds, and only at the end */
        if (*p)
          return false;
        off += v;
        break;
      }
      off += v * secs[k];
      u = k + 1;
      p++;
    }
    *out = *s == '+' ? now + off : now - off;
    return true;
  }
  struct tm tm = {0};
  const char *end = strptime(s, "%Y%m%d%H%M%SZ", &tm);
  if (!end || *end) {
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y%m%d%H%MZ", &tm);
  }
  if (!end || *end)
    return false;
  *out = timegm(&tm);
  return true;
}

/* identify_pem_format: the first line is "-----BEGIN X-----". */
static bool pem_format(const RtBuf *bytes) {
  size_t n = 0;
  while (n < bytes->len && !strchr("\n\r\v\f\x1c\x1d\x1e", bytes->data[n]) && bytes->data[n])
    n++;
  return n > 16 && strncmp(bytes->data, "-----BEGIN ", 11) == 0 && strncmp(bytes->data + n - 5, "-----", 5) == 0;
}

/* The certificate of the file's bytes (load_certificate): PEM when its
 * first line is a PEM header, else DER when read from a path. */
static X509 *load_cert(const RtBuf *bytes, bool der_ok) {
  if (pem_format(bytes) || !der_ok) {
    BIO *bio = BIO_new_mem_buf(bytes->data ? bytes->data : "", (int)bytes->len);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return x;
  }
  const unsigned char *p = (const unsigned char *)bytes->data;
  return d2i_X509(NULL, &p, (long)bytes->len);
}

/* CertificateInfoRetrieval.get_info and the module's valid_at. */
static RtValue *cert_result(X509 *x, RtValue *valid_at, time_t now) {
  RtValue *r = rt_dict_new(40);
  rt_dict_set(r, "changed", rt_bool(false));
  int nid = X509_get_signature_nid(x);
  rt_dict_set(r, "signature_algorithm", oid_name(OBJ_nid2obj(nid)));
  name_result(r, X509_get_subject_name(x), "subject", "subject_ordered");
  name_result(r, X509_get_issuer_name(x), "issuer", "issuer_ordered");
  long ver = X509_get_version(x);
  rt_dict_set(r, "version", ver == 0 ? rt_int(1) : ver == 2 ? rt_int(3) : rt_strz("unknown"));
  key_usage(r, x);
  ext_key_usage(r, x);
  basic_constraints(r, x);
  ocsp_must_staple(r, x);
  if (!subject_alt_name(r, x) || !authority_key(r, x)) {
    rt_decref(r);
    return mod_fail_result("Cannot decode name: a general name of a kind playc does not decode");
  }
  char nb[16], na[16];
  time_t tb = asn1_time(X509_get0_notBefore(x), nb), ta = asn1_time(X509_get0_notAfter(x), na);
  rt_dict_set(r, "not_before", rt_strz(nb));
  rt_dict_set(r, "not_after", rt_strz(na));
  rt_dict_set(r, "expired", rt_bool(ta < now));
  EVP_PKEY *pk = X509_get0_pubkey(x);
  if (pk)
    pubkey_result(r, pk, "public_key", "public_key_fingerprints", "public_key_type", "public_key_data");
  unsigned char *der = NULL;
  int dlen = i2d_X509(x, &der);
  rt_dict_set(r, "fingerprints", fingerprints(der, dlen > 0 ? (size_t)dlen : 0));
  OPENSSL_free(der);
  subject_key_id(r, x);
  BIGNUM *sn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
  rt_dict_set(r, "serial_number", bn_value(sn));
  BN_free(sn);
  all_extensions(r, x);
  access_uris(r, x);
  RtValue *va = rt_dict_new(4);
  for (size_t i = 0; valid_at && rt_kind(valid_at) == RT_DICT && i < valid_at->u.dict.len; i++) {
    const char *k = valid_at->u.dict.ents[i].key->u.str.s;
    RtValue *v = valid_at->u.dict.ents[i].val;
    time_t t;
    if (rt_kind(v) != RT_STR) {
      rt_decref(va);
      rt_decref(r);
      return mod_fail_result("The value for valid_at.%s must be of type string (got <class '%s'>)", k,
                             rt_kind(v) == RT_INT    ? "int"
                             : rt_kind(v) == RT_BOOL ? "bool"
                             : rt_kind(v) == RT_FLOAT ? "float"
                             : rt_kind(v) == RT_LIST ? "list"
                             : rt_kind(v) == RT_NONE ? "NoneType"
                                                     : "dict");
    }
    if (!time_spec(v->u.str.s, now, &t)) {
      rt_decref(va);
      rt_decref(r);
      return mod_fail_result("The time spec \"%s\" for valid_at.%s is invalid", v->u.str.s, k);
    }
    rt_dict_set(va, k, rt_bool(tb <= t && t <= ta));
  }
  rt_dict_set(r, "valid_at", va);
  return r;
}

RtValue *mod_x509_certificate_info(RtHost *h, RtValue *args) {
  char *path = mod_arg_str(args, "path"), *content = mod_arg_str(args, "content");
  RtBuf s = {0}, bytes = {0};
  RtExec ex;
  bool have = false;
  RtValue *r = NULL;
  ModCap c = {0};
  X509 *x = NULL;
  sh_input(&s, path, content);
  rt_buf_puts(&s, "pc_cap c \"$o\" base64 -A -in \"$k\"\n");
  if (mod_sh_exec(h, &s, &ex) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec(&ex, "rerr")) {
    char *e = read_error(&ex, path);
    r = mod_fail_result("Error while reading certificate file from disk: %s", e);
    free(e);
    goto done;
  }
  if (!mod_ps_cap(&ex, "c", &c) || c.rc != 0 || !mod_unbase64(c.out ? c.out : "", c.out ? strlen(c.out) : 0, &bytes)) {
    r = mod_fail_result("openssl could not read the certificate file: %s", c.err ? c.err : "");
    goto done;
  }
  x = load_cert(&bytes, content == NULL);
  if (!x) {
    r = mod_fail_result(content || pem_format(&bytes)
                            ? "Unable to load PEM file: no certificate in it"
                            : "Cannot parse DER certificate: not a certificate");
    goto done;
  }
  r = cert_result(x, rt_dict_get(args, "valid_at"), time(NULL));
done:
  X509_free(x);
  if (have)
    rt_exec_free(&ex);
  mod_ps_cap_free(&c);
  rt_buf_free(&bytes);
  free(path);
  free(content);
  return r;
}

#endif
