/*
 * filters_crypto.c — hashes, encodings and identifiers: hash (hashlib's
 * names on OpenSSL's digests), md5, sha1/checksum, b64encode/b64decode
 * (with Python's codecs for the common encodings and binascii's lenient
 * decoder), to_uuid (uuid5), and password_hash as ansible-core 2.14 does it
 * where passlib is absent: crypt(3) with Ansible's salt string, so the
 * output is the system crypt's, byte for byte what Ansible gets.
 */
#include "filters.h"

#include <crypt.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

/* to_bytes(data): a string's bytes, str() of anything else. */
static RtValue *bytes_of(RtValue *v) { return rt_to_str(v); }

static RtValue *hex_digest(const EVP_MD *md, const char *s, size_t len, size_t outlen) {
  unsigned char d[EVP_MAX_MD_SIZE * 4];
  unsigned int n = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, NULL);
  EVP_DigestUpdate(ctx, s, len);
  if (outlen) { /* an extendable-output function (shake) */
    if (outlen > sizeof d)
      outlen = sizeof d;
    EVP_DigestFinalXOF(ctx, d, outlen);
    n = (unsigned int)outlen;
  } else {
    EVP_DigestFinal_ex(ctx, d, &n);
  }
  EVP_MD_CTX_free(ctx);
  static const char hexd[] = "0123456789abcdef";
  char *out = rt_xmalloc(2 * n + 1);
  for (unsigned i = 0; i < n; i++) {
    out[2 * i] = hexd[d[i] >> 4];
    out[2 * i + 1] = hexd[d[i] & 15];
  }
  out[2 * n] = 0;
  return rt_str_take(out, 2 * n);
}

/* hashlib.new(name): Python's names for OpenSSL's digests. */
static const EVP_MD *digest_named(const char *name, bool *xof) {
  static const struct {
    const char *py, *ssl;
  } names[] = {{"md5", "MD5"},         {"sha1", "SHA1"},         {"sha224", "SHA224"},     {"sha256", "SHA256"},
               {"sha384", "SHA384"},   {"sha512", "SHA512"},     {"sha3_224", "SHA3-224"}, {"sha3_256", "SHA3-256"},
               {"sha3_384", "SHA3-384"}, {"sha3_512", "SHA3-512"}, {"blake2b", "BLAKE2B-512"},
               {"blake2s", "BLAKE2S-256"}, {"shake_128", "SHAKE128"}, {"shake_256", "SHAKE256"},
               {"sha512_224", "SHA512-224"}, {"sha512_256", "SHA512-256"}, {"md5-sha1", "MD5-SHA1"},
               {"sm3", "SM3"}};
  RtBuf low = {0};
  rt_text_lower(&low, name, strlen(name));
  const EVP_MD *md = NULL;
  for (size_t i = 0; i < sizeof names / sizeof *names && !md; i++)
    if (strcmp(names[i].py, low.data) == 0) {
      md = EVP_get_digestbyname(names[i].ssl);
      *xof = strncmp(names[i].py, "shake", 5) == 0;
    }
  rt_buf_free(&low);
  return md;
}

RtValue *rt_f_hash(RtFArgs *a) {
  const char *type = a->p[0] ? rt_arg_str(a->p[0]) : "sha1";
  if (!type)
    return rt_error("new() argument 'name' must be str, not %s", rt_type_name(a->p[0]));
  bool xof = false;
  const EVP_MD *md = digest_named(type, &xof);
  if (!md)
    return rt_error("unsupported hash type %s", type);
  if (xof)
    return rt_type_error("hexdigest() missing required argument 'length' (pos 1)");
  RtValue *s = bytes_of(a->base);
  RtValue *r = hex_digest(md, s->u.str.s, s->u.str.len, 0);
  rt_decref(s);
  return r;
}

RtValue *rt_f_md5(RtFArgs *a) {
  RtValue *s = bytes_of(a->base);
  RtValue *r = hex_digest(EVP_md5(), s->u.str.s, s->u.str.len, 0);
  rt_decref(s);
  return r;
}

RtValue *rt_f_sha1(RtFArgs *a) {
  RtValue *s = bytes_of(a->base);
  RtValue *r = hex_digest(EVP_sha1(), s->u.str.s, s->u.str.len, 0);
  rt_decref(s);
  return r;
}

/* ---- Python codecs, for b64encode/b64decode's encoding ---- */

/* The iconv name of Python codec `name`, and whether Python writes a BOM
 * (utf-16 and utf-32 do, little-endian). NULL when unknown. */
static const char *codec(const char *name, bool *bom, int *width) {
  RtBuf low = {0};
  rt_text_lower(&low, name, strlen(name));
  for (size_t i = 0; i < low.len; i++)
    if (low.data[i] == '_' || low.data[i] == ' ')
      low.data[i] = '-';
  static const struct {
    const char *py, *iconv;
    bool bom;
    int width;
  } codecs[] = {{"utf-8", "UTF-8", false, 1},        {"utf8", "UTF-8", false, 1},
                {"u8", "UTF-8", false, 1},           {"utf-16", "UTF-16LE", true, 2},
                {"utf16", "UTF-16LE", true, 2},      {"utf-16-le", "UTF-16LE", false, 2},
                {"utf-16le", "UTF-16LE", false, 2},  {"utf-16-be", "UTF-16BE", false, 2},
                {"utf-16be", "UTF-16BE", false, 2},  {"utf-32", "UTF-32LE", true, 4},
                {"utf-32-le", "UTF-32LE", false, 4}, {"utf-32le", "UTF-32LE", false, 4},
                {"utf-32-be", "UTF-32BE", false, 4}, {"utf-32be", "UTF-32BE", false, 4},
                {"latin-1", "ISO-8859-1", false, 1}, {"latin1", "ISO-8859-1", false, 1},
                {"iso-8859-1", "ISO-8859-1", false, 1}, {"iso8859-1", "ISO-8859-1", false, 1},
                {"ascii", "ASCII", false, 1},        {"us-ascii", "ASCII", false, 1},
                {"cp1252", "CP1252", false, 1},      {"windows-1252", "CP1252", false, 1}};
  const char *r = NULL;
  for (size_t i = 0; i < sizeof codecs / sizeof *codecs && !r; i++)
    if (strcmp(codecs[i].py, low.data) == 0) {
      r = codecs[i].iconv;
      *bom = codecs[i].bom;
      *width = codecs[i].width;
    }
  rt_buf_free(&low);
  return r;
}

/* iconv `len` bytes from `from` to `to`; false on bytes the codec refuses. */
static bool convert(const char *to, const char *from, const char *s, size_t len, RtBuf *out) {
  iconv_t cd = iconv_open(to, from);
  if (cd == (iconv_t)-1)
    return false;
  char *in = (char *)s;
  size_t left = len;
  bool ok = true;
  while (left) {
    char buf[4096], *o = buf;
    size_t room = sizeof buf;
    size_t rc = iconv(cd, &in, &left, &o, &room);
    rt_buf_add(out, buf, sizeof buf - room);
    if (rc == (size_t)-1 && room == sizeof buf) {
      ok = false;
      break;
    }
  }
  iconv_close(cd);
  return ok;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

RtValue *rt_f_b64encode(RtFArgs *a) {
  const char *enc = a->p[0] ? rt_arg_str(a->p[0]) : "utf-8";
  bool bom = false;
  int width = 1;
  const char *ic = enc ? codec(enc, &bom, &width) : NULL;
  if (!ic)
    return rt_error("unknown encoding: %s", enc ? enc : "?");
  RtValue *s = rt_to_str(a->base);
  RtBuf raw = {0};
  rt_buf_add(&raw, "", 0);
  if (bom)
    rt_buf_add(&raw, width == 2 ? "\xff\xfe" : "\xff\xfe\x00\x00", (size_t)width == 2 ? 2 : 4);
  bool ok = strcmp(ic, "UTF-8") == 0 ? (rt_buf_add(&raw, s->u.str.s, s->u.str.len), true)
                                     : convert(ic, "UTF-8", s->u.str.s, s->u.str.len, &raw);
  rt_decref(s);
  if (!ok) {
    rt_buf_free(&raw);
    return rt_error_exc(RT_EXC_VALUE, "'%s' codec can't encode the text", enc);
  }
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  const unsigned char *d = (const unsigned char *)raw.data;
  for (size_t i = 0; i < raw.len; i += 3) {
    uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < raw.len ? (uint32_t)d[i + 1] << 8 : 0) |
                 (i + 2 < raw.len ? d[i + 2] : 0);
    char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], i + 1 < raw.len ? b64[v >> 6 & 63] : '=',
                 i + 2 < raw.len ? b64[v & 63] : '='};
    rt_buf_add(&b, q, 4);
  }
  rt_buf_free(&raw);
  return rt_buf_value(&b);
}

/* binascii.a2b_base64, not strict: characters outside the alphabet are
 * skipped, a complete pad ends the data. */
static RtValue *a2b_base64(const char *s, size_t len, RtBuf *out) {
  int quad = 0, pads = 0;
  unsigned left = 0;
  size_t nbin = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '=') {
      if (quad >= 2 && quad + ++pads >= 4)
        return NULL;
      continue;
    }
    const char *p = c ? strchr(b64, c) : NULL;
    if (!p)
      continue;
    unsigned v = (unsigned)(p - b64);
    pads = 0;
    switch (quad) {
    case 0: quad = 1; left = v; break;
    case 1: quad = 2; rt_buf_putc(out, (char)(left << 2 | v >> 4)); nbin++; left = v & 15; break;
    case 2: quad = 3; rt_buf_putc(out, (char)(left << 4 | v >> 2)); nbin++; left = v & 3; break;
    default: quad = 0; rt_buf_putc(out, (char)(left << 6 | v)); nbin++; left = 0; break;
    }
  }
  if (quad == 1)
    return rt_error_exc(RT_EXC_BINASCII,
                        "Invalid base64-encoded string: number of data characters (%zu) cannot be 1 more than a "
                        "multiple of 4",
                        nbin / 3 * 4 + 1);
  if (quad != 0)
    return rt_error_exc(RT_EXC_BINASCII, "Incorrect padding");
  return NULL;
}

RtValue *rt_f_b64decode(RtFArgs *a) {
  const char *enc = a->p[0] ? rt_arg_str(a->p[0]) : "utf-8";
  bool bom = false;
  int width = 1;
  const char *ic = enc ? codec(enc, &bom, &width) : NULL;
  if (!ic)
    return rt_error("unknown encoding: %s", enc ? enc : "?");
  RtValue *s = rt_to_str(a->base);
  RtBuf raw = {0};
  rt_buf_add(&raw, "", 0);
  RtValue *e = a2b_base64(s->u.str.s, s->u.str.len, &raw);
  rt_decref(s);
  if (e) {
    rt_buf_free(&raw);
    return e;
  }
  if (strcmp(ic, "UTF-8") == 0)
    return rt_buf_value(&raw); /* invalid UTF-8 stays as its bytes (surrogateescape) */
  const char *d = raw.data;
  size_t n = raw.len;
  const char *from = ic;
  if (bom && n >= (size_t)width) { /* utf-16/32: the BOM says the byte order */
    if (width == 2 && (unsigned char)d[0] == 0xfe && (unsigned char)d[1] == 0xff)
      from = "UTF-16BE", d += 2, n -= 2;
    else if (width == 2 && (unsigned char)d[0] == 0xff && (unsigned char)d[1] == 0xfe)
      d += 2, n -= 2;
    else if (width == 4 && !memcmp(d, "\x00\x00\xfe\xff", 4))
      from = "UTF-32BE", d += 4, n -= 4;
    else if (width == 4 && !memcmp(d, "\xff\xfe\x00\x00", 4))
      d += 4, n -= 4;
  }
  RtBuf out = {0};
  rt_buf_add(&out, "", 0);
  bool ok = convert("UTF-8", from, d, n, &out);
  rt_buf_free(&raw);
  if (!ok) {
    rt_buf_free(&out);
    return rt_error_exc(RT_EXC_UNICODE_DECODE, "'%s' codec can't decode the data", enc);
  }
  return rt_buf_value(&out);
}

/* ---- to_uuid: uuid.uuid5(namespace, name) ---- */

static bool parse_uuid(const char *s, unsigned char out[16]) {
  RtBuf h = {0};
  const char *p = s;
  if (!strncmp(p, "urn:", 4))
    p += 4;
  if (!strncmp(p, "uuid:", 5))
    p += 5;
  size_t len = strlen(p);
  while (len && (*p == '{'))
    p++, len--;
  while (len && p[len - 1] == '}')
    len--;
  for (size_t i = 0; i < len; i++)
    if (p[i] != '-')
      rt_buf_putc(&h, p[i]);
  bool ok = h.len == 32;
  for (size_t i = 0; ok && i < 16; i++) {
    int hi = h.data[2 * i], lo = h.data[2 * i + 1];
    int x = hi >= '0' && hi <= '9' ? hi - '0' : (hi | 32) >= 'a' && (hi | 32) <= 'f' ? (hi | 32) - 'a' + 10 : -1;
    int y = lo >= '0' && lo <= '9' ? lo - '0' : (lo | 32) >= 'a' && (lo | 32) <= 'f' ? (lo | 32) - 'a' + 10 : -1;
    ok = x >= 0 && y >= 0;
    out[i] = (unsigned char)(x << 4 | y);
  }
  rt_buf_free(&h);
  return ok;
}

RtValue *rt_f_to_uuid(RtFArgs *a) {
  unsigned char ns[16];
  const char *nss = "361E6D51-FAEC-444A-9079-341386DA8E2E";
  if (a->p[0]) {
    nss = rt_arg_str(a->p[0]);
    if (!nss) {
      RtValue *s = rt_to_str(a->p[0]);
      RtValue *e = rt_error("Invalid value '%s' for 'namespace': '%s' object has no attribute 'replace'", s->u.str.s,
                            rt_type_name(a->p[0]));
      rt_decref(s);
      return e;
    }
  }
  if (!parse_uuid(nss, ns))
    return rt_error("Invalid value '%s' for 'namespace': badly formed hexadecimal UUID string", nss);
  RtValue *name = rt_to_str(a->base);
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
  EVP_DigestUpdate(ctx, ns, 16);
  EVP_DigestUpdate(ctx, name->u.str.s, name->u.str.len);
  EVP_DigestFinal_ex(ctx, d, &n);
  EVP_MD_CTX_free(ctx);
  rt_decref(name);
  d[6] = (unsigned char)((d[6] & 0x0f) | 0x50);
  d[8] = (unsigned char)((d[8] & 0x3f) | 0x80);
  char *out = rt_xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[0], d[1], d[2],
                           d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
  return rt_str_take(out, strlen(out));
}

/* ---- password_hash: ansible.utils.encrypt's CryptHash ---- */

/* An AnsibleError of encrypt.py re-raised by password_hash as an
 * AnsibleFilterError with itself as orig_exc: its message twice ("X. X"). */
static RtValue *crypt_error(const char *fmt, const char *arg) {
  char *m = rt_xasprintf(fmt, arg);
  RtValue *e = rt_error("%s. %s", m, m);
  free(m);
  return e;
}

RtValue *rt_f_password_hash(RtFArgs *a) {
  static const struct {
    const char *alias, *algo, *id;
    int salt_size;
    int64_t implicit_rounds;
    bool salt_exact;
  } algos[] = {{"md5", "md5_crypt", "1", 8, 0, false},
               {"blowfish", "bcrypt", "2b", 22, 12, true},
               {"sha256", "sha256_crypt", "5", 16, 535000, false},
               {"sha512", "sha512_crypt", "6", 16, 656000, false}};
  const char *type = a->p[0] ? rt_arg_str(a->p[0]) : "sha512";
  if (!type) {
    RtValue *s = rt_to_str(a->p[0]);
    RtValue *e = crypt_error("crypt.crypt does not support '%s' algorithm", s->u.str.s);
    rt_decref(s);
    return e;
  }
  int ai = -1;
  for (int i = 0; i < 4; i++)
    if (!strcmp(type, algos[i].alias) || !strcmp(type, algos[i].algo))
      ai = i;
  if (ai < 0)
    return crypt_error("crypt.crypt does not support '%s' algorithm", type);
  if (rt_kind(a->base) != RT_STR)
    return rt_type_error("crypt() argument 1 must be str, not %s", rt_type_name(a->base));
  /* the salt: given, or random from [./0-9A-Za-z] */
  int64_t salt_size = algos[ai].salt_size;
  if (a->p[2] && rt_pytruth(a->p[2]) && !rt_arg_int(a->p[2], &salt_size))
    return rt_type_error("'%s' object cannot be interpreted as an integer", rt_type_name(a->p[2]));
  char *salt;
  if (a->p[1] && rt_pytruth(a->p[1])) {
    const char *s = rt_arg_str(a->p[1]);
    if (!s)
      return rt_type_error("expected string or bytes-like object");
    salt = rt_xstrdup(s);
  } else {
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./";
    if (salt_size < 0 || salt_size > 4096)
      salt_size = 0;
    salt = rt_xmalloc((size_t)salt_size + 1);
    for (int64_t i = 0; i < salt_size; i++) {
      uint32_t r;
      if (getrandom(&r, sizeof r, 0) != sizeof r)
        rt_panic(__FILE__, __LINE__, "getrandom failed");
      salt[i] = chars[r % 64];
    }
    salt[salt_size] = 0;
  }
  RtValue *err = NULL;
  for (const char *p = salt; *p && !err; p++)
    if (!strchr("./0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", *p))
      err = crypt_error("%s", "invalid characters in salt");
  int64_t sl = (int64_t)strlen(salt);
  if (!err && (algos[ai].salt_exact ? sl != algos[ai].salt_size : sl > salt_size))
    err = crypt_error("%s", "invalid salt size");
  int64_t rounds = 0;
  bool have_rounds = a->p[3] && rt_kind(a->p[3]) != RT_NONE;
  if (!err && have_rounds && !rt_arg_int(a->p[3], &rounds))
    err = rt_type_error("%%d format: a real number is required, not %s", rt_type_name(a->p[3]));
  if (err) {
    free(salt);
    return err;
  }
  if (have_rounds && rounds == algos[ai].implicit_rounds)
    have_rounds = false;
  const char *ident = algos[ai].id;
  RtValue *identv = a->p[4];
  if (identv && rt_pytruth(identv))
    ident = ai == 1 ? rt_arg_str(identv) : NULL;
  RtBuf ss = {0};
  rt_buf_add(&ss, "", 0);
  if (ident)
    rt_buf_printf(&ss, "$%s", ident);
  if (have_rounds && rounds)
    rt_buf_printf(&ss, "$rounds=%lld", (long long)rounds);
  rt_buf_printf(&ss, "$%s", salt);
  free(salt);
  struct crypt_data *cd = rt_xcalloc(1, sizeof *cd);
  const char *h = crypt_r(a->base->u.str.s, ss.data, cd);
  RtValue *r = h ? rt_strz(h) : crypt_error("crypt.crypt does not support '%s' algorithm", algos[ai].algo);
  free(cd);
  rt_buf_free(&ss);
  return r;
}
