/*
 * nsupdate.c — community.general.nsupdate: DNS records added, changed and
 * deleted by RFC 2136 UPDATE messages, signed with TSIG (RFC 8945) when a
 * key is given. The module runs on the target and talks to `server` from
 * there; here the controller writes the messages (the wire format below),
 * signs them with libcrypto's HMAC, and each exchange travels over TCP from
 * the target's side (rt_host_tcp: a direct-tcpip channel of the host's SSH
 * session, a socket for a local connection), so the target needs nothing.
 *
 * The steps are the module's: an UPDATE whose only prerequisite is "the
 * RRset exists" (rcode 0: it does), then the same with the values as
 * prerequisites (rcode 0: all there; then a query compares the TTL), then
 * an UPDATE adding the values (after deleting the RRset when it changes;
 * an NS RRset loses only the entries not wanted, after the adds, as the
 * module does since BIND ignores deleting a zone's apex NS RRset), or
 * deleting the RRset for absent. Results, dns_rc and messages as the
 * module gives them; without a zone, the module's SOA queries find it.
 * Only TCP (the module's default protocol); value types A AAAA CNAME NS
 * PTR DNAME MX SRV TXT.
 */
#include "mod.h"

static const ModParam nsupdate_params[] = {
    {.name = "state", .type = MP_STR, .choices = "present,absent", .def = "present"},
    {.name = "server", .type = MP_STR, .required = true},
    {.name = "port", .type = MP_INT, .def = "53"},
    {.name = "key_name", .type = MP_STR},
    {.name = "key_secret", .type = MP_STR, .no_log = true},
    {.name = "key_algorithm", .type = MP_STR, .def = "hmac-md5",
     .choices = "HMAC-MD5.SIG-ALG.REG.INT,hmac-md5,hmac-sha1,hmac-sha224,hmac-sha256,hmac-sha384,hmac-sha512"},
    {.name = "zone", .type = MP_STR},
    {.name = "record", .type = MP_STR, .required = true},
    {.name = "type", .type = MP_STR, .def = "A"},
    {.name = "ttl", .type = MP_INT, .def = "3600"},
    {.name = "value", .type = MP_LIST, .elements = MP_STR},
    {.name = "protocol", .type = MP_STR, .choices = "tcp,udp", .unimplemented = "udp", .def = "tcp"},
};
const ModSchema mod_schema_nsupdate = {
    .name = "nsupdate",
    .params = nsupdate_params,
    .nparams = MOD_N(nsupdate_params),
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { NS_SOA = 6, NS_TSIG = 250, NS_ANY = 255, NS_IN = 1, NS_NONE = 254 };
enum { NS_TIMEOUT = 10 };

typedef struct NsCtx {
  RtHost *h;
  char *server, *zone, *record, *type;
  long long port, ttl;
  int rdtype;
  RtValue *value; /* list of str (TXT entries quoted), or NULL */
  /* TSIG: key and algorithm, or no key */
  bool tsig;
  unsigned char key[256];
  size_t keylen;
  const EVP_MD *md;
  const char *alg; /* the algorithm's domain name */
  char *keyname;
  int dns_rc;
  RtValue *fail; /* the module's fail_json, once failed */
  bool lost;
} NsCtx;

/* ---- names and the wire ---- */

/* Appends domain name `text` (relative names completed with `origin`,
 * NULL: the root) in wire form. False when a label is empty or too long. */
static bool ns_name(RtBuf *w, const char *text, const char *origin) {
  size_t n = strlen(text);
  if (n == 1 && text[0] == '.') {
    rt_buf_add(w, "", 1);
    return true;
  }
  if (n == 1 && text[0] == '@')
    return origin ? ns_name(w, origin, NULL) : (rt_buf_add(w, "", 1), true);
  char label[64];
  size_t ll = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)text[i];
    if (ch == '\\' && i + 1 < n) {
      if (i + 3 < n && isdigit((unsigned char)text[i + 1]) && isdigit((unsigned char)text[i + 2]) &&
          isdigit((unsigned char)text[i + 3])) {
        ch = (unsigned char)((text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0'));
        i += 3;
      } else {
        ch = (unsigned char)text[++i];
      }
    } else if (ch == '.') {
      if (ll == 0)
        return false;
      unsigned char l = (unsigned char)ll;
      rt_buf_add(w, (const char *)&l, 1);
      rt_buf_add(w, label, ll);
      ll = 0;
      if (i + 1 == n) {
        rt_buf_add(w, "", 1);
        return true;
      }
      continue;
    }
    if (ll == 63)
      return false;
    label[ll++] = (char)ch;
  }
  if (ll) {
    unsigned char l = (unsigned char)ll;
    rt_buf_add(w, (const char *)&l, 1);
    rt_buf_add(w, label, ll);
  }
  if (origin)
    return ns_name(w, origin, NULL);
  rt_buf_add(w, "", 1);
  return true;
}

static void ns_u16(RtBuf *w, unsigned v) {
  unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};
  rt_buf_add(w, (const char *)b, 2);
}

static void ns_u32(RtBuf *w, unsigned long v) {
  ns_u16(w, (unsigned)(v >> 16) & 0xffff);
  ns_u16(w, (unsigned)v & 0xffff);
}

/* The type's number for the mnemonics playc writes values of (and SOA,
 * ANY); 0 for others. */
static int ns_type(const char *t) {
  static const struct {
    const char *name;
    int n;
  } types[] = {{"A", 1},   {"NS", 2},    {"CNAME", 5}, {"SOA", 6}, {"PTR", 12}, {"MX", 15},
               {"TXT", 16}, {"AAAA", 28}, {"SRV", 33},  {"DNAME", 39}, {"ANY", 255}};
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    if (strcasecmp(types[i].name, t) == 0)
      return types[i].n;
  return 0;
}

/* The next whitespace-separated word of *s (malloc'd), or NULL. */
static char *ns_word(const char **s) {
  while (isspace((unsigned char)**s))
    (*s)++;
  if (!**s)
    return NULL;
  const char *b = *s;
  while (**s && !isspace((unsigned char)**s))
    (*s)++;
  return rt_xasprintf("%.*s", (int)(*s - b), b);
}

/* A 16-bit number word into w; false when it is not one. */
static bool ns_num16(RtBuf *w, const char **s) {
  char *word = ns_word(s), *end = NULL;
  long v = word ? strtol(word, &end, 10) : -1;
  bool ok = word && *word && !*end && v >= 0 && v <= 65535;
  free(word);
  if (ok)
    ns_u16(w, (unsigned)v);
  return ok;
}

/* A name word (relative to the zone) into w. */
static bool ns_name_word(RtBuf *w, const char **s, const char *zone) {
  char *word = ns_word(s);
  bool ok = word && ns_name(w, word, zone);
  free(word);
  return ok;
}

/* TXT's character strings: quoted (escapes \" \\ \DDD) or bare words. */
static bool ns_txt(RtBuf *w, const char *s) {
  bool any = false;
  for (;;) {
    while (isspace((unsigned char)*s))
      s++;
    if (!*s)
      return any;
    char buf[256];
    size_t n = 0;
    bool quoted = *s == '"';
    if (quoted)
      s++;
    while (*s && (quoted ? *s != '"' : !isspace((unsigned char)*s))) {
      unsigned char ch = (unsigned char)*s++;
      if (ch == '\\' && *s) {
        if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2])) {
          ch = (unsigned char)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
          s += 3;
        } else {
          ch = (unsigned char)*s++;
        }
      }
      if (n == 255)
        return false;
      buf[n++] = (char)ch;
    }
    if (quoted) {
      if (*s != '"')
        return false;
      s++;
    }
    unsigned char l = (unsigned char)n;
    rt_buf_add(w, (const char *)&l, 1);
    rt_buf_add(w, buf, n);
    any = true;
  }
}

/* The rdata of value `text` for the context's type into w; false when it
 * is malformed (dnspython's SyntaxError). */
static bool ns_rdata(const NsCtx *c, RtBuf *w, const char *text) {
  const char *s = text;
  switch (c->rdtype) {
  case 1:
  case 28: {
    unsigned char a[16];
    char *word = ns_word(&s);
    bool ok = word && inet_pton(c->rdtype == 1 ? AF_INET : AF_INET6, word, a) == 1;
    free(word);
    if (ok)
      rt_buf_add(w, (const char *)a, c->rdtype == 1 ? 4 : 16);
    return ok && !ns_word(&s);
  }
  case 2:
  case 5:
  case 12:
  case 39: return ns_name_word(w, &s, c->zone);
  case 15: return ns_num16(w, &s) && ns_name_word(w, &s, c->zone);
  case 33: return ns_num16(w, &s) && ns_num16(w, &s) && ns_num16(w, &s) && ns_name_word(w, &s, c->zone);
  case 16: return ns_txt(w, s);
  default: return false;
  }
}

/* One RR: owner name `name` (relative to the zone), type, class, ttl, and
 * the rdata bytes (NULL, 0: none). */
static void ns_rr(RtBuf *w, const char *name, const char *origin, int type, int cls, unsigned long ttl,
                  const char *rd, size_t rdlen) {
  ns_name(w, name, origin);
  ns_u16(w, (unsigned)type);
  ns_u16(w, (unsigned)cls);
  ns_u32(w, ttl);
  ns_u16(w, (unsigned)rdlen);
  if (rdlen)
    rt_buf_add(w, rd, rdlen);
}

/* A message under construction: its sections' RRs and counts. */
typedef struct NsMsg {
  unsigned id, flags;
  RtBuf question; /* the zone or question section */
  RtBuf sec[2];   /* prerequisite/answer, update/authority */
  unsigned count[2];
} NsMsg;

static void ns_msg_free(NsMsg *m) {
  rt_buf_free(&m->question);
  rt_buf_free(&m->sec[0]);
  rt_buf_free(&m->sec[1]);
}

/* An UPDATE of the context's zone. */
static void ns_update_init(const NsCtx *c, NsMsg *m) {
  *m = (NsMsg){0};
  unsigned char r[2];
  RAND_bytes(r, 2);
  m->id = (unsigned)r[0] << 8 | r[1];
  m->flags = 5 << 11; /* opcode UPDATE */
  ns_name(&m->question, c->zone, NULL);
  ns_u16(&m->question, NS_SOA);
  ns_u16(&m->question, NS_IN);
}

/* A query (recursion desired, as dnspython's make_query) for name, type. */
static void ns_query_init(NsMsg *m, const char *name, int type) {
  *m = (NsMsg){0};
  unsigned char r[2];
  RAND_bytes(r, 2);
  m->id = (unsigned)r[0] << 8 | r[1];
  m->flags = 0x0100;
  ns_name(&m->question, name, NULL);
  ns_u16(&m->question, (unsigned)type);
  ns_u16(&m->question, NS_IN);
}

/* The message's wire form, without TSIG (arcount `ar`). */
static void ns_wire(const NsMsg *m, RtBuf *w, unsigned ar) {
  ns_u16(w, m->id);
  ns_u16(w, m->flags);
  ns_u16(w, 1);
  ns_u16(w, m->count[0]);
  ns_u16(w, m->count[1]);
  ns_u16(w, ar);
  rt_buf_add(w, m->question.data ? m->question.data : "", m->question.len);
  for (int i = 0; i < 2; i++)
    rt_buf_add(w, m->sec[i].data ? m->sec[i].data : "", m->sec[i].len);
}

/* The TSIG variables after the message in the digest (RFC 8945 4.3.3). */
static void ns_tsig_vars(const NsCtx *c, RtBuf *d, unsigned long long when, unsigned error, bool timers_only) {
  if (!timers_only) {
    ns_name(d, c->keyname, NULL);
    ns_u16(d, NS_ANY);
    ns_u32(d, 0);
    ns_name(d, c->alg, NULL);
  }
  ns_u16(d, (unsigned)(when >> 32) & 0xffff);
  ns_u32(d, (unsigned long)(when & 0xffffffffu));
  ns_u16(d, 300);
  if (!timers_only) {
    ns_u16(d, error);
    ns_u16(d, 0);
  }
}

/* HMAC of `data` with the context's key into mac (*maclen bytes). */
static void ns_hmac(const NsCtx *c, const RtBuf *data, unsigned char *mac, unsigned *maclen) {
  HMAC(c->md, c->key, (int)c->keylen, (const unsigned char *)(data->data ? data->data : ""), data->len, mac, maclen);
}

/* ASCII-lowercased copy of a domain name (the canonical form TSIG signs). */
static char *ns_lower(const char *s) {
  char *o = rt_xstrdup(s);
  for (char *p = o; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return o;
}

/* ---- reading replies ---- */

/* Skips (or reads, into `out` when not NULL, as text with a final dot) the
 * name at *off of reply r. False when it runs off the end. */
static bool ns_read_name(const RtBuf *r, size_t *off, RtBuf *out) {
  const unsigned char *p = (const unsigned char *)r->data;
  size_t o = *off, jumps = 0;
  bool jumped = false;
  for (;;) {
    if (o >= r->len)
      return false;
    unsigned l = p[o];
    if ((l & 0xc0) == 0xc0) {
      if (o + 1 >= r->len || ++jumps > 64)
        return false;
      if (!jumped)
        *off = o + 2;
      jumped = true;
      o = (l & 0x3f) << 8 | p[o + 1];
      continue;
    }
    if (l == 0) {
      if (!jumped)
        *off = o + 1;
      if (out && !out->len)
        rt_buf_add(out, ".", 1);
      return true;
    }
    if (o + 1 + l > r->len)
      return false;
    if (out) {
      rt_buf_add(out, (const char *)p + o + 1, l);
      rt_buf_add(out, ".", 1);
    }
    o += 1 + l;
  }
}

typedef struct NsRr {
  char *name; /* text, a final dot */
  unsigned type, cls;
  unsigned long ttl;
  size_t rd, rdlen; /* rdata's offset and length in the reply */
} NsRr;

typedef struct NsReply {
  RtBuf raw;
  unsigned id, rcode, counts[4];
  NsRr *rr; /* answer, authority, additional in order */
  size_t nrr;
} NsReply;

static void ns_reply_free(NsReply *y) {
  for (size_t i = 0; i < y->nrr; i++)
    free(y->rr[i].name);
  free(y->rr);
  rt_buf_free(&y->raw);
}

static bool ns_parse(NsReply *y) {
  const unsigned char *p = (const unsigned char *)y->raw.data;
  if (y->raw.len < 12)
    return false;
  y->id = (unsigned)p[0] << 8 | p[1];
  y->rcode = p[3] & 0x0f;
  for (int i = 0; i < 4; i++)
    y->counts[i] = (unsigned)p[4 + 2 * i] << 8 | p[5 + 2 * i];
  size_t off = 12;
  for (unsigned i = 0; i < y->counts[0]; i++) {
    if (!ns_read_name(&y->raw, &off, NULL) || off + 4 > y->raw.len)
      return false;
    off += 4;
  }
  size_t n = (size_t)y->counts[1] + y->counts[2] + y->counts[3];
  y->rr = rt_xmalloc(sizeof *y->rr * (n ? n : 1));
  for (size_t i = 0; i < n; i++) {
    RtBuf name = {0};
    if (!ns_read_name(&y->raw, &off, &name) || off + 10 > y->raw.len) {
      rt_buf_free(&name);
      return false;
    }
    NsRr *rr = &y->rr[y->nrr++];
    rr->name = rt_buf_take(&name);
    rr->type = (unsigned)p[off] << 8 | p[off + 1];
    rr->cls = (unsigned)p[off + 2] << 8 | p[off + 3];
    rr->ttl = (unsigned long)p[off + 4] << 24 | (unsigned long)p[off + 5] << 16 | (unsigned long)p[off + 6] << 8 |
              p[off + 7];
    rr->rdlen = (size_t)p[off + 8] << 8 | p[off + 9];
    rr->rd = off + 10;
    off += 10 + rr->rdlen;
    if (off > y->raw.len)
      return false;
  }
  return true;
}

/* dns.rcode.to_text */
static const char *ns_rcode_text(int rc) {
  static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                      "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  return rc >= 0 && rc < (int)(sizeof names / sizeof *names) ? names[rc] : "BADVERS";
}

/* Sends message m (signed when the context has a key) and reads the reply
 * into y. False when the module failed (c->fail) or the host was lost. */
static bool ns_exchange(NsCtx *c, const NsMsg *m, NsReply *y) {
  RtBuf w = {0};
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned maclen = 0;
  unsigned long long when = (unsigned long long)time(NULL);
  ns_wire(m, &w, c->tsig ? 1 : 0);
  if (c->tsig) {
    RtBuf d = {0};
    ns_wire(m, &d, 0);
    ns_tsig_vars(c, &d, when, 0, false);
    ns_hmac(c, &d, mac, &maclen);
    rt_buf_free(&d);
    RtBuf rd = {0};
    ns_name(&rd, c->alg, NULL);
    ns_u16(&rd, (unsigned)(when >> 32) & 0xffff);
    ns_u32(&rd, (unsigned long)(when & 0xffffffffu));
    ns_u16(&rd, 300);
    ns_u16(&rd, maclen);
    rt_buf_add(&rd, (const char *)mac, maclen);
    ns_u16(&rd, m->id);
    ns_u16(&rd, 0);
    ns_u16(&rd, 0);
    ns_rr(&w, c->keyname, NULL, NS_TSIG, NS_ANY, 0, rd.data, rd.len);
    rt_buf_free(&rd);
  }
  char *err = NULL;
  *y = (NsReply){0};
  int rc = rt_host_tcp(c->h, c->server, (int)c->port, w.data, w.len, NS_TIMEOUT, &y->raw, &err);
  rt_buf_free(&w);
  if (rc < 0) {
    if (c->h->conn && c->h->conn->lost)
      c->lost = true;
    else
      c->fail = mod_fail_result("DNS server error: %s", err);
    free(err);
    return false;
  }
  if (!ns_parse(y) || y->id != m->id) {
    c->fail = mod_fail_result("DNS server error: (FormError): the reply is not a DNS message for the request");
    return false;
  }
  if (!c->tsig)
    return true;
  const NsRr *t = y->nrr ? &y->rr[y->nrr - 1] : NULL;
  if (!t || t->type != NS_TSIG || !y->counts[3]) { /* dnspython: a signed request wants a signed reply */
    c->fail = mod_fail_result("TSIG update error: the reply of %s is not signed", c->server);
    return false;
  }
  /* the TSIG rdata: algorithm, time(6), fudge, mac size, mac, original id, error, other */
  RtBuf *r = &y->raw;
  size_t off = t->rd;
  const unsigned char *p = (const unsigned char *)r->data;
  size_t rmaclen = 0, emac = 0;
  if (ns_read_name(r, &off, NULL) && off + 10 <= r->len) {
    rmaclen = (size_t)p[off + 8] << 8 | p[off + 9];
    emac = off + 10;
  }
  if (!emac || emac + rmaclen + 6 > r->len) {
    c->fail = mod_fail_result("DNS server error: (FormError): the reply's TSIG record is malformed");
    return false;
  }
  unsigned error = (unsigned)p[emac + rmaclen + 2] << 8 | p[emac + rmaclen + 3];
  if (error == 16 || error == 17) {
    c->fail = mod_fail_result("TSIG update error (%s): %s", error == 17 ? "PeerBadKey" : "PeerBadSignature",
                              error == 17 ? "The peer didn't know the key we used"
                                          : "The peer didn't like the signature we sent");
    return false;
  }
  /* the reply's MAC: request MAC, the reply without its TSIG (ARCOUNT one
   * less, the original id), its TSIG variables */
  size_t tsig_start; /* where the TSIG RR begins: after every other RR */
  {
    size_t o = 12, i;
    for (i = 0; i < y->counts[0]; i++) {
      ns_read_name(r, &o, NULL);
      o += 4;
    }
    for (i = 0; i + 1 < y->nrr; i++) {
      ns_read_name(r, &o, NULL);
      o += 10 + y->rr[i].rdlen;
    }
    tsig_start = o;
  }
  RtBuf d = {0};
  ns_u16(&d, maclen);
  rt_buf_add(&d, (const char *)mac, maclen);
  unsigned char hdr[12];
  memcpy(hdr, p, 12);
  unsigned ar = y->counts[3] - 1;
  hdr[10] = (unsigned char)(ar >> 8), hdr[11] = (unsigned char)ar;
  rt_buf_add(&d, (const char *)hdr, 12);
  rt_buf_add(&d, r->data + 12, tsig_start - 12);
  unsigned long long rwhen = (unsigned long long)p[off] << 40 | (unsigned long long)p[off + 1] << 32 |
                             (unsigned long long)p[off + 2] << 24 | (unsigned long long)p[off + 3] << 16 |
                             (unsigned long long)p[off + 4] << 8 | p[off + 5];
  ns_tsig_vars(c, &d, rwhen, error, false);
  unsigned char want[EVP_MAX_MD_SIZE];
  unsigned wantlen = 0;
  ns_hmac(c, &d, want, &wantlen);
  rt_buf_free(&d);
  if (wantlen != rmaclen || CRYPTO_memcmp(want, p + emac, wantlen) != 0) {
    c->fail = mod_fail_result("TSIG update error (BadSignature): The TSIG signature fails to verify.");
    return false;
  }
  return true;
}

/* Sends m and returns the reply's rcode (also c->dns_rc when `keep`); -1
 * when the module failed or the host was lost. */
static int ns_send(NsCtx *c, const NsMsg *m) {
  NsReply y;
  bool ok = ns_exchange(c, m, &y);
  int rc = ok ? (int)y.rcode : -1;
  ns_reply_free(&y);
  return rc;
}

/* Adds to section `sec` of m: the values (or the RRset) of the record. */
static bool ns_add_values(NsCtx *c, NsMsg *m, int sec, int cls, unsigned long ttl) {
  if (!c->value) { /* the module's loop over None raises TypeError */
    c->fail = mod_fail_result("value needed when state=present");
    return false;
  }
  RtBuf seen = {0}; /* dnspython's rdataset is a set: a repeated value once */
  for (size_t i = 0; i < rt_len(c->value); i++) {
    RtBuf rd = {0};
    if (!ns_rdata(c, &rd, rt_list_at(c->value, i)->u.str.s)) {
      rt_buf_free(&rd), rt_buf_free(&seen);
      c->fail = mod_fail_result("Invalid/malformed value");
      return false;
    }
    bool dup = false;
    for (size_t o = 0; o + 2 <= seen.len && !dup;) {
      size_t l = (size_t)(unsigned char)seen.data[o] << 8 | (unsigned char)seen.data[o + 1];
      dup = l == rd.len && memcmp(seen.data + o + 2, rd.data ? rd.data : "", l) == 0;
      o += 2 + l;
    }
    if (!dup) {
      ns_u16(&seen, (unsigned)rd.len);
      rt_buf_add(&seen, rd.data ? rd.data : "", rd.len);
      ns_rr(&m->sec[sec], c->record, c->zone, c->rdtype, cls, ttl, rd.data, rd.len);
      m->count[sec]++;
    }
    rt_buf_free(&rd);
  }
  rt_buf_free(&seen);
  return true;
}

/* ttl_changed: a query for the record; its first RRset's TTL against ttl.
 * 1 changed, 0 not, -1 failed. */
static int ns_ttl_changed(NsCtx *c) {
  NsMsg q;
  char *fqdn = c->record[strlen(c->record) - 1] == '.' ? rt_xstrdup(c->record)
                                                       : rt_xasprintf("%s.%s", c->record, c->zone);
  ns_query_init(&q, fqdn, c->rdtype);
  free(fqdn);
  NsReply y;
  bool ok = ns_exchange(c, &q, &y);
  ns_msg_free(&q);
  int out = -1;
  if (ok && y.rcode != 0) {
    c->fail = mod_fail_result("Failed to lookup TTL of existing matching record.");
  } else if (ok) {
    size_t first = y.counts[1] ? 0 : (c->rdtype == 2 && y.counts[2] ? y.counts[1] : (size_t)-1);
    if (first == (size_t)-1) {
      c->fail = mod_fail_result("Failed to lookup TTL of existing matching record.");
    } else {
      unsigned long ttl = y.rr[first].ttl; /* the RRset's TTL: its smallest */
      size_t end = first ? first + y.counts[2] : y.counts[1];
      for (size_t i = first; i < end; i++)
        if (strcasecmp(y.rr[i].name, y.rr[first].name) == 0 && y.rr[i].type == y.rr[first].type &&
            y.rr[i].ttl < ttl)
          ttl = y.rr[i].ttl;
      out = (long long)ttl != c->ttl;
    }
  }
  ns_reply_free(&y);
  return out;
}

/* record_exists: 0 no, 1 yes (as wanted), 2 yes but different; -1 failed. */
static int ns_exists(NsCtx *c, bool absent) {
  NsMsg m;
  ns_update_init(c, &m);
  ns_rr(&m.sec[0], c->record, c->zone, c->rdtype, NS_ANY, 0, NULL, 0);
  m.count[0]++;
  int rc = ns_send(c, &m), out = -1;
  if (rc < 0)
    goto done;
  c->dns_rc = rc;
  if (rc != 0) {
    out = 0;
    goto done;
  }
  if (absent) {
    out = 1;
    goto done;
  }
  if (!ns_add_values(c, &m, 0, NS_IN, 0))
    goto done;
  rc = ns_send(c, &m);
  if (rc < 0)
    goto done;
  c->dns_rc = rc;
  if (rc != 0) {
    out = 2;
    goto done;
  }
  int t = ns_ttl_changed(c);
  out = t < 0 ? -1 : t ? 2 : 1;
done:
  ns_msg_free(&m);
  return out;
}

/* Whether name `a` is a proper subdomain of `b` (text, final dots). */
static bool ns_subdomain(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (strcmp(b, ".") == 0)
    return strcmp(a, ".") != 0;
  return la > lb && a[la - lb - 1] == '.' && strcasecmp(a + la - lb, b) == 0;
}

/* lookup_zone: SOA queries for the record's name and each parent until an
 * answer's SOA owns that name or an authority SOA is above it. The zone
 * (malloc'd), or NULL with c->fail / c->lost. */
static char *ns_lookup_zone(NsCtx *c) {
  char *name = rt_xstrdup(c->record), *zone = NULL;
  while (!zone && !c->fail && !c->lost) {
    NsMsg q;
    ns_query_init(&q, name, NS_SOA);
    NsReply y;
    bool ok = ns_exchange(c, &q, &y);
    ns_msg_free(&q);
    if (ok && (y.rcode == 2 || y.rcode == 5))
      c->fail = mod_fail_result("Zone lookup failure: '%s' will not respond to queries regarding '%s'.", c->server,
                                c->record);
    for (size_t i = 0; ok && !c->fail && !zone && i < y.counts[1]; i++)
      if (y.rr[i].type == NS_SOA && strcasecmp(y.rr[i].name, name) == 0)
        zone = rt_xstrdup(y.rr[i].name);
    for (size_t i = y.counts[1]; ok && !c->fail && !zone && i < (size_t)y.counts[1] + y.counts[2]; i++)
      if (y.rr[i].type == NS_SOA && ns_subdomain(name, y.rr[i].name))
        zone = rt_xstrdup(y.rr[i].name);
    ns_reply_free(&y);
    if (!ok || zone || c->fail)
      break;
    if (strcmp(name, ".") == 0) {
      c->fail = mod_fail_result("Zone lookup of '%s' failed for unknown reason.", c->record);
      break;
    }
    const char *dot = name;
    while (*dot && !(*dot == '.' && (dot == name || dot[-1] != '\\')))
      dot++;
    char *parent = rt_xstrdup(*dot && dot[1] ? dot + 1 : ".");
    free(name);
    name = parent;
  }
  free(name);
  return zone;
}

/* The module's RecordManager set up from args; false with c->fail. */
static bool ns_setup(NsCtx *c, RtValue *args) {
  c->server = mod_arg_str(args, "server");
  c->record = mod_arg_str(args, "record");
  c->type = mod_arg_str(args, "type");
  if (!c->type)
    c->type = rt_xstrdup("A");
  char *zone = mod_arg_str(args, "zone");
  char *alg = mod_arg_str(args, "key_algorithm");
  char *keyname = mod_arg_str(args, "key_name"), *secret = mod_arg_str(args, "key_secret");
  c->port = 53, c->ttl = 3600;
  if (mod_arg_int(args, "port", &c->port) < 0 || mod_arg_int(args, "ttl", &c->ttl) < 0)
    c->fail = mod_fail_result("argument 'port' and 'ttl' must be integers");
  else if (!c->record || !*c->record)
    c->fail = mod_fail_result("record cannot be empty.");
  if (!c->fail && keyname) {
    RtBuf k = {0};
    if (!secret)
      c->fail = mod_fail_result("Missing key_secret");
    else if (!mod_unbase64(secret, strlen(secret), &k) || k.len > sizeof c->key)
      c->fail = mod_fail_result("TSIG key error: Incorrect padding");
    else
      memcpy(c->key, k.data ? k.data : "", k.len), c->keylen = k.len, c->tsig = true;
    rt_buf_free(&k);
    size_t kl = strlen(keyname);
    char *abs = kl && keyname[kl - 1] == '.' ? rt_xstrdup(keyname) : rt_xasprintf("%s.", keyname);
    c->keyname = ns_lower(abs);
    free(abs);
  }
  const char *a = alg ? alg : "hmac-md5";
  static const struct {
    const char *arg, *name;
    const char *md;
  } algs[] = {{"hmac-md5", "hmac-md5.sig-alg.reg.int.", "MD5"},
              {"HMAC-MD5.SIG-ALG.REG.INT", "hmac-md5.sig-alg.reg.int.", "MD5"},
              {"hmac-sha1", "hmac-sha1.", "SHA1"},
              {"hmac-sha224", "hmac-sha224.", "SHA224"},
              {"hmac-sha256", "hmac-sha256.", "SHA256"},
              {"hmac-sha384", "hmac-sha384.", "SHA384"},
              {"hmac-sha512", "hmac-sha512.", "SHA512"}};
  for (size_t i = 0; i < sizeof algs / sizeof *algs; i++)
    if (strcmp(algs[i].arg, a) == 0)
      c->alg = algs[i].name, c->md = EVP_get_digestbyname(algs[i].md);
  if (!c->fail && c->tsig && !c->md)
    c->fail = mod_fail_result("TSIG key error: the algorithm %s is not available", a);
  if (!c->fail && !zone) {
    if (c->record[strlen(c->record) - 1] != '.')
      c->fail = mod_fail_result("record must be absolute when omitting zone parameter");
    else
      c->zone = ns_lookup_zone(c);
  }
  if (!c->fail && !c->lost) {
    size_t zl = zone ? strlen(zone) : 0;
    if (zone)
      c->zone = zl && zone[zl - 1] == '.' ? rt_xstrdup(zone) : rt_xasprintf("%s.", zone);
    c->value = mod_arg_list(args, "value");
    if (c->value && strcasecmp(c->type, "txt") == 0) { /* txt_helper: each entry quoted */
      RtValue *q = rt_list_new(rt_len(c->value));
      for (size_t i = 0; i < rt_len(c->value); i++) {
        const RtValue *e = rt_list_at(c->value, i);
        bool quoted = e->u.str.len >= 1 && e->u.str.s[0] == '"' && e->u.str.s[e->u.str.len - 1] == '"';
        char *t = quoted ? NULL : rt_xasprintf("\"%s\"", e->u.str.s);
        rt_list_push(q, quoted ? rt_incref((RtValue *)e) : rt_strz(t));
        free(t);
      }
      rt_decref(c->value);
      c->value = q;
    }
    c->rdtype = ns_type(c->type);
    if (!c->rdtype || c->rdtype == NS_SOA || c->rdtype == NS_ANY)
      c->fail = mod_fail_result("playc: nsupdate does not write %s records (A AAAA CNAME NS PTR DNAME MX SRV TXT)",
                                c->type);
  }
  free(zone), free(alg), free(keyname), free(secret);
  return !c->fail && !c->lost;
}

static void ns_free(NsCtx *c) {
  free(c->server), free(c->zone), free(c->record), free(c->type), free(c->keyname);
  rt_decref(c->value);
  OPENSSL_cleanse(c->key, sizeof c->key);
}

/* modify_record's NS case: a query for the record (its name as given,
 * made absolute from the root as make_query does) and the names of the
 * first answer RRset that are not among the values, as text. A new list,
 * or NULL with c->fail / c->lost (an empty answer: the module's
 * IndexError, as a failure). */
static RtValue *ns_ns_unwanted(NsCtx *c) {
  size_t n = strlen(c->record);
  char *qname = c->record[n - 1] == '.' ? rt_xstrdup(c->record) : rt_xasprintf("%s.", c->record);
  NsMsg q;
  ns_query_init(&q, qname, 2);
  free(qname);
  NsReply y;
  bool ok = ns_exchange(c, &q, &y);
  ns_msg_free(&q);
  RtValue *out = NULL;
  if (ok && !y.counts[1]) {
    c->fail = mod_fail_result("IndexError: list index out of range (no NS records answer for %s)", c->record);
  } else if (ok) {
    out = rt_list_new(y.counts[1]);
    for (size_t i = 0; i < y.counts[1]; i++) {
      const NsRr *rr = &y.rr[i];
      if (rr->type != y.rr[0].type || strcasecmp(rr->name, y.rr[0].name) != 0 || rr->type != 2)
        continue;
      size_t off = rr->rd;
      RtBuf t = {0};
      if (!ns_read_name(&y.raw, &off, &t)) {
        rt_buf_free(&t);
        continue;
      }
      char *tx = rt_buf_take(&t);
      RtValue *txt = rt_strz(tx);
      free(tx);
      bool wanted = false;
      for (size_t k = 0; k < rt_len(c->value) && !wanted; k++)
        wanted = strcmp(rt_list_at(c->value, k)->u.str.s, txt->u.str.s) == 0;
      if (wanted)
        rt_decref(txt);
      else
        rt_list_push(out, txt);
    }
  }
  ns_reply_free(&y);
  return out;
}

/* create_or_update_record, remove_record: {changed, failed, msg?} (only
 * {changed} and *checked when check mode stops it), or NULL with c->fail /
 * c->lost. */
static RtValue *ns_apply(NsCtx *c, bool absent, bool *checked) {
  int exists = ns_exists(c, absent);
  if (exists < 0)
    return NULL;
  RtValue *r = rt_dict_new(6);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "failed", rt_bool(false));
  if (absent ? exists == 0 : exists == 1)
    return r;
  if (c->h->check_mode) { /* exit_json(changed=True) */
    rt_decref(r);
    r = rt_dict_new(1);
    rt_dict_set(r, "changed", rt_bool(true));
    *checked = true;
    return r;
  }
  if (!absent && !c->value) {
    rt_decref(r);
    c->fail = mod_fail_result("value needed when state=present");
    return NULL;
  }
  NsMsg m;
  ns_update_init(c, &m);
  RtValue *drop = NULL; /* NS: the entries to delete after the adds */
  if (!absent && exists == 2 && c->rdtype == 2 && !(drop = ns_ns_unwanted(c))) {
    ns_msg_free(&m);
    rt_decref(r);
    return NULL;
  }
  if ((absent || exists == 2) && !drop) { /* delete the RRset */
    ns_rr(&m.sec[1], c->record, c->zone, c->rdtype, NS_ANY, 0, NULL, 0);
    m.count[1]++;
  }
  if (!absent && !ns_add_values(c, &m, 1, NS_IN, (unsigned long)c->ttl)) {
    ns_msg_free(&m);
    rt_decref(r), rt_decref(drop);
    return NULL;
  }
  for (size_t i = 0; drop && i < rt_len(drop); i++) { /* update.delete(record, 'NS', entry): class NONE */
    RtBuf rd = {0};
    ns_name(&rd, rt_list_at(drop, i)->u.str.s, c->zone);
    ns_rr(&m.sec[1], c->record, c->zone, c->rdtype, NS_NONE, 0, rd.data, rd.len);
    m.count[1]++;
    rt_buf_free(&rd);
  }
  rt_decref(drop);
  int rc = ns_send(c, &m);
  ns_msg_free(&m);
  if (rc < 0) {
    rt_decref(r);
    return NULL;
  }
  c->dns_rc = rc;
  if (rc != 0) {
    const char *what = absent ? "Failed to delete record" : exists == 0 ? "Failed to create DNS record"
                                                                        : "Failed to update DNS record";
    char *msg = rt_xasprintf("%s (rc: %d)", what, rc);
    rt_dict_set(r, "msg", rt_strz(msg));
    free(msg);
    rt_dict_set(r, "failed", rt_bool(true));
  } else {
    rt_dict_set(r, "changed", rt_bool(true));
  }
  return r;
}

RtValue *mod_nsupdate(RtHost *h, RtValue *args) {
  NsCtx c = {.h = h};
  char *state = mod_arg_str(args, "state");
  bool absent = state && strcmp(state, "absent") == 0;
  free(state);
  RtValue *r = NULL;
  bool checked = false;
  if (!ns_setup(&c, args) || !(r = ns_apply(&c, absent, &checked))) {
    r = c.fail;
    c.fail = NULL;
    goto done;
  }
  if (checked)
    goto done;
  rt_dict_set(r, "dns_rc", rt_int(c.dns_rc));
  rt_dict_set(r, "dns_rc_str", rt_strz(ns_rcode_text(c.dns_rc)));
  RtValue *failed = rt_dict_get(r, "failed");
  if (failed && failed->u.b)
    goto done;
  RtValue *rec = rt_dict_new(5);
  rt_dict_set(rec, "zone", rt_strz(c.zone));
  rt_dict_set(rec, "record", rt_strz(c.record));
  rt_dict_set(rec, "type", rt_strz(c.type));
  rt_dict_set(rec, "ttl", rt_int(c.ttl));
  rt_dict_set(rec, "value", c.value ? rt_incref(c.value) : rt_none());
  rt_dict_set(r, "record", rec);
done:
  rt_decref(c.fail);
  ns_free(&c);
  return r; /* NULL: the host was lost */
}

#endif
