/*
 * filters_ipaddr.c — the ansible.utils ipaddr family: ipaddr, ipv4, ipv6
 * and ipwrap, as ansible.utils' plugin_utils/base/ipaddr_utils.py computes
 * them over python3-netaddr 0.8.0's IPNetwork. An address or network is an
 * IpNet (a 128-bit value, a prefix length, the version); parsing follows
 * netaddr's parse_ip_network (the C library's inet_pton, which Python's
 * socket.inet_pton also calls, then netaddr's partial IPv4 expansion,
 * integer prefixes read as Python's int() reads them, netmask and hostmask
 * prefixes) and the filter's own fallbacks (a bare integer is an address,
 * "INT/PREFIX" a network). Each query is a row of one table, with the
 * plugin's quirks kept: addresses computed by arithmetic are printed as
 * netaddr.IPAddress(int) prints them (IPv4 when the value fits 32 bits),
 * results that are false drop out of lists, and AnsibleFilterError
 * messages keep the plugin's words. The collection's other address filters
 * (ipmath, nthhost, next/previous_nth_usable, network_in_usable/network,
 * reduce_on_network, ipsubnet, cidr_merge, ip4_hex, hwaddr/macaddr) follow,
 * built on the same parser and queries as their plugins build on ipaddr.
 * Arguments are checked as each plugin's argument spec checks them.
 */
#include "filters.h"

#include "arith.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 U128;

typedef struct IpNet {
  U128 value; /* the address as given (host bits kept) */
  int prefix;
  int version; /* 4 or 6 */
} IpNet;

typedef enum { VT_ADDRESS, VT_NETWORK } IpType;

static int ip_width(int version) { return version == 4 ? 32 : 128; }

/* The low `bits` bits set. */
static U128 low_mask(int bits) { return bits >= 128 ? ~(U128)0 : (((U128)1 << bits) - 1); }

static U128 ip_max(int version) { return low_mask(ip_width(version)); }
static U128 host_mask(const IpNet *n) { return low_mask(ip_width(n->version) - n->prefix); }
static U128 net_mask(const IpNet *n) { return ip_max(n->version) & ~host_mask(n); }
static U128 net_first(const IpNet *n) { return n->value & net_mask(n); }
static U128 net_last(const IpNet *n) { return net_first(n) | host_mask(n); }
/* The number of addresses, 2 ** (width - prefix) (the caller minds 2 ** 128). */
static bool size_is(const IpNet *n, U128 k) {
  int bits = ip_width(n->version) - n->prefix;
  return bits < 128 && ((U128)1 << bits) == k;
}
static bool size_gt(const IpNet *n, U128 k) {
  int bits = ip_width(n->version) - n->prefix;
  return bits >= 128 || ((U128)1 << bits) > k;
}

/* ---- text ---------------------------------------------------------------- */

static void put_addr(RtBuf *b, U128 x, int version) {
  char out[INET6_ADDRSTRLEN];
  if (version == 4) {
    rt_buf_printf(b, "%u.%u.%u.%u", (unsigned)(x >> 24) & 255, (unsigned)(x >> 16) & 255,
                  (unsigned)(x >> 8) & 255, (unsigned)x & 255);
    return;
  }
  unsigned char raw[16];
  for (int i = 15; i >= 0; i--, x >>= 8)
    raw[i] = (unsigned char)x;
  inet_ntop(AF_INET6, raw, out, sizeof out);
  rt_buf_puts(b, out);
}

static void put_u128(RtBuf *b, U128 x) {
  char d[48];
  int n = 0;
  do
    d[n++] = (char)('0' + (int)(x % 10));
  while ((x /= 10) != 0);
  while (n)
    rt_buf_putc(b, d[--n]);
}

static RtValue *addr_value(U128 x, int version) {
  RtBuf b = {0};
  put_addr(&b, x, version);
  return rt_buf_value(&b);
}

/* str(netaddr.IPAddress(x)) for an int x: IPv4 when it fits 32 bits. */
static RtValue *auto_addr_value(U128 x) { return addr_value(x, x <= 0xffffffffu ? 4 : 6); }

static RtValue *int_value(U128 x) {
  if (x <= (U128)INT64_MAX)
    return rt_int((int64_t)x);
  RtBuf b = {0};
  put_u128(&b, x);
  RtValue *v = rt_int_text(b.data, b.len);
  rt_buf_free(&b);
  return v;
}

/* "ADDR/PREFIX" or "ADDR SEP MASK" style results. */
static RtValue *addr_pair(U128 x, int version, const char *sep, U128 y, int yversion) {
  RtBuf b = {0};
  put_addr(&b, x, version);
  rt_buf_puts(&b, sep);
  put_addr(&b, y, yversion);
  return rt_buf_value(&b);
}

static RtValue *addr_prefix(U128 x, int version, int prefix) {
  RtBuf b = {0};
  put_addr(&b, x, version);
  rt_buf_printf(&b, "/%d", prefix);
  return rt_buf_value(&b);
}

/* ---- Python's int() and str.isdigit() of ASCII text ------------------------ */

static bool py_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == '\x1c' || c == '\x1d' || c == '\x1e' || c == '\x1f'; }

/* int(s) of s[0..n): whitespace, a sign, decimal digits with single
 * underscores between them. False when Python raises ValueError, or (with
 * *big set) when the value passes 128 bits. */
static bool py_int(const char *s, size_t n, bool *neg, U128 *out, bool *big) {
  size_t i = 0;
  *neg = false;
  *big = false;
  while (n && py_space(s[n - 1]))
    n--;
  while (i < n && py_space(s[i]))
    i++;
  if (i < n && (s[i] == '+' || s[i] == '-'))
    *neg = s[i++] == '-';
  if (i >= n || s[i] < '0' || s[i] > '9')
    return false;
  U128 v = 0;
  for (; i < n; i++) {
    if (s[i] == '_' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9' && s[i - 1] != '_')
      continue;
    if (s[i] < '0' || s[i] > '9')
      return false;
    if (v > ~(U128)0 / 10 || v * 10 > ~(U128)0 - (U128)(s[i] - '0'))
      *big = true;
    else
      v = v * 10 + (U128)(s[i] - '0');
  }
  *out = v;
  return !*big;
}

static bool py_isdigit(const char *s, size_t n) {
  if (!n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

/* ---- netaddr.IPNetwork(text) ---------------------------------------------- */

static bool pton(int version, const char *s, size_t n, U128 *out) {
  if (memchr(s, 0, n) || n >= 64)
    return false;
  char buf[64];
  memcpy(buf, s, n);
  buf[n] = 0;
  unsigned char raw[16];
  if (inet_pton(version == 4 ? AF_INET : AF_INET6, buf, raw) != 1)
    return false;
  U128 v = 0;
  for (int i = 0; i < (version == 4 ? 4 : 16); i++)
    v = v << 8 | raw[i];
  *out = v;
  return true;
}

/* netaddr's expand_partial_address then inet_pton: "10" is 10.0.0.0,
 * "10.1" 10.1.0.0, each part as int() reads it. */
static bool partial_v4(const char *s, size_t n, U128 *out) {
  if (memchr(s, ':', n))
    return false;
  U128 v = 0;
  int parts = 0;
  size_t i = 0;
  for (;;) {
    const char *dot = memchr(s + i, '.', n - i);
    size_t end = dot ? (size_t)(dot - s) : n;
    bool neg, big;
    U128 o;
    if (!py_int(s + i, end - i, &neg, &o, &big) || o > 255 || (neg && o) || ++parts > 4)
      return false;
    v = v << 8 | o;
    if (!dot)
      break;
    i = end + 1;
  }
  *out = v << (8 * (4 - parts));
  return true;
}

/* netaddr's is_netmask and is_hostmask: ones then zeros, zeros then ones
 * (the IPv6 all-ones sum wraps to 0, as 2**128 & (2**128 - 1) is 0). */
static bool is_netmask_addr(U128 x, int version) {
  U128 inv = (x ^ ip_max(version)) + 1;
  return (inv & (inv - 1)) == 0;
}

static bool is_hostmask_addr(U128 x) {
  U128 h = x + 1;
  return (h & (h - 1)) == 0;
}

static int popcount128(U128 x) {
  return __builtin_popcountll((unsigned long long)x) + __builtin_popcountll((unsigned long long)(x >> 64));
}

/* parse_ip_network for one version. */
static bool parse_version(const char *s, size_t n, int version, IpNet *out) {
  const char *slash = memchr(s, '/', n);
  size_t n1 = slash ? (size_t)(slash - s) : n;
  U128 v;
  if (!pton(version, s, n1, &v) && (version == 6 || !partial_v4(s, n1, &v)))
    return false;
  int width = ip_width(version), prefix = width;
  if (slash) {
    const char *p = slash + 1;
    size_t pn = n - n1 - 1;
    bool neg, big;
    U128 k, m;
    if (py_int(p, pn, &neg, &k, &big) || big) {
      if (big || (neg && k) || k > (U128)width)
        return false;
      prefix = (int)k;
    } else {
      if (!pton(version, p, pn, &m))
        return false;
      if (is_netmask_addr(m, version))
        prefix = popcount128(m);
      else if (is_hostmask_addr(m))
        prefix = width - popcount128(m);
      else
        return false;
    }
  }
  out->value = v;
  out->prefix = prefix;
  out->version = version;
  return true;
}

static bool ip_parse(const char *s, size_t n, IpNet *out) {
  return parse_version(s, n, 4, out) || parse_version(s, n, 6, out);
}

/* ---- the filter ----------------------------------------------------------- */

/* What the query functions see: the parsed value, its type and the
 * `value` variable of the plugin (the input, or str(v) after the integer
 * fallbacks), and the network a CIDR query names. */
typedef struct IpCtx {
  IpNet v;
  IpType vtype;
  RtValue *value; /* borrowed */
  IpNet lookup;
} IpCtx;

typedef RtValue *(*IpQueryFn)(IpCtx *c);

static bool contains(const IpNet *outer, const IpNet *inner) {
  return outer->version == inner->version && net_first(inner) >= net_first(outer) &&
         net_last(inner) <= net_last(outer);
}

static bool in_range(const IpNet *n, U128 lo, U128 hi) { return net_first(n) >= lo && net_last(n) <= hi; }

static IpNet net_of(U128 value, int prefix, int version) {
  IpNet n = {value, prefix, version};
  return n;
}

static IpNet addr_of(const IpNet *n) { return net_of(n->value, ip_width(n->version), n->version); }

static bool is_multicast(const IpNet *n) {
  if (n->version == 4)
    return in_range(n, 0xe0000000u, 0xefffffffu);
  IpNet m = net_of((U128)0xff << 120, 8, 6);
  return contains(&m, n);
}

static bool is_link_local(const IpNet *n) {
  IpNet ll = n->version == 4 ? net_of(0xa9fe0000u, 16, 4) : net_of((U128)0xfe80 << 112, 10, 6);
  return contains(&ll, n);
}

/* netaddr's is_private (IPV4_PRIVATE, IPV6_PRIVATE, then link-local). */
static bool is_private(const IpNet *n) {
  static const struct {
    uint32_t net;
    int prefix;
  } v4[] = {{0x0a000000u, 8}, {0x64400000u, 10}, {0xac100000u, 12}, {0xc0000000u, 24},
            {0xc0a80000u, 16}, {0xc6120000u, 15}};
  if (n->version == 4) {
    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
      IpNet p = net_of(v4[i].net, v4[i].prefix, 4);
      if (contains(&p, n))
        return true;
    }
    if (in_range(n, 0xef000000u, 0xefffffffu))
      return true;
  } else {
    IpNet ula = net_of((U128)0xfc00 << 112, 7, 6), site = net_of((U128)0xfec0 << 112, 10, 6);
    if (contains(&ula, n) || contains(&site, n))
      return true;
  }
  return is_link_local(n);
}

static bool is_loopback_addr(U128 x, int version) {
  return version == 4 ? (x >> 24) == 127 : x == 1;
}


/* Broadcast: None (false) for IPv4 networks of one or two addresses. */
static bool has_broadcast(const IpNet *n) { return !(n->version == 4 && 32 - n->prefix <= 1); }

static RtValue *str_ip(const IpNet *n) { return addr_value(n->value, n->version); }
static RtValue *str_net(const IpNet *n) { return addr_prefix(n->value, n->version, n->prefix); }
static RtValue *keep(IpCtx *c) { return rt_incref(c->value); }
/* netaddr.IPAddress(int) of a negative int. */
static RtValue *negative_addr(U128 below) {
  RtBuf b = {0};
  rt_buf_puts(&b, "-");
  put_u128(&b, below);
  RtValue *e = rt_error_exc(RT_EXC_ADDR_FORMAT, "failed to detect a valid IP address from %s", b.data);
  rt_buf_free(&b);
  return e;
}

static RtValue *not_network(void) { return rt_error("Not a network address"); }

static RtValue *q_empty(IpCtx *c) { return c->vtype == VT_ADDRESS ? str_ip(&c->v) : str_net(&c->v); }

static RtValue *q_6to4(IpCtx *c) {
  IpNet *v = &c->v;
  if (v->version == 4) {
    if (size_gt(v, 1) && v->value == net_first(v))
      return rt_bool(false);
    IpNet a = addr_of(v);
    U128 x = a.value;
    bool pub = !is_multicast(&a) && !is_private(&a) && !is_loopback_addr(x, 4) && !is_netmask_addr(x, 4) &&
               !is_hostmask_addr(x);
    if (!pub && !is_private(&a))
      return rt_bool(false);
    RtBuf b = {0};
    rt_buf_printf(&b, "2002:%02x%02x:%02x%02x::1/48", (unsigned)(x >> 24) & 255, (unsigned)(x >> 16) & 255,
                  (unsigned)(x >> 8) & 255, (unsigned)x & 255);
    return rt_buf_value(&b);
  }
  IpNet p = net_of((U128)0x2002 << 112, 16, 6);
  if (c->vtype == VT_ADDRESS) {
    if (contains(&p, v))
      return keep(c);
  } else if (v->value != net_first(v)) {
    IpNet a = addr_of(v);
    if (contains(&p, &a))
      return keep(c);
  }
  return rt_bool(false);
}

static RtValue *q_ip(IpCtx *c) {
  IpNet *v = &c->v;
  if (!size_gt(v, 1) || v->value != net_first(v) || !has_broadcast(v) || v->version == 6)
    return str_ip(v);
  return rt_none();
}

static RtValue *q_address_prefix(IpCtx *c) {
  IpNet *v = &c->v;
  if (size_gt(v, 2) && (v->value == net_first(v) || v->value == net_last(v)))
    return rt_bool(false);
  return str_net(v);
}

static RtValue *q_bool(IpCtx *c) {
  (void)c;
  return rt_bool(true);
}

static RtValue *q_broadcast(IpCtx *c) {
  return size_gt(&c->v, 2) ? addr_value(net_last(&c->v), c->v.version) : rt_none();
}

static RtValue *q_cidr(IpCtx *c) { return str_net(&c->v); }

static RtValue *q_cidr_lookup(IpCtx *c) { return contains(&c->lookup, &c->v) ? keep(c) : rt_none(); }

/* _first_last: the usable bounds of a network of more than one address. */
static void first_last(const IpNet *v, U128 *first, U128 *last) {
  *first = net_first(v);
  *last = net_last(v);
  if (!size_is(v, 2)) {
    *first += 1;
    *last -= 1;
  }
}

static RtValue *q_first_usable(IpCtx *c) {
  if (c->vtype == VT_ADDRESS)
    return not_network();
  IpNet *v = &c->v;
  if (size_is(v, 2))
    return auto_addr_value(net_first(v));
  return size_gt(v, 1) ? auto_addr_value(net_first(v) + 1) : rt_none();
}

static RtValue *q_last_usable(IpCtx *c) {
  if (c->vtype == VT_ADDRESS)
    return not_network();
  U128 f, l;
  if (!size_gt(&c->v, 1))
    return rt_none();
  first_last(&c->v, &f, &l);
  return auto_addr_value(l);
}

static RtValue *q_next_usable(IpCtx *c) {
  if (c->vtype == VT_ADDRESS)
    return not_network();
  U128 f, l, x = c->v.value + 1;
  if (!size_gt(&c->v, 1))
    return rt_none();
  first_last(&c->v, &f, &l);
  return x >= f && x <= l && x != 0 ? auto_addr_value(x) : rt_none();
}

static RtValue *q_previous_usable(IpCtx *c) {
  if (c->vtype == VT_ADDRESS)
    return not_network();
  U128 f, l;
  if (!size_gt(&c->v, 1))
    return rt_none();
  if (c->v.value == 0)
    return negative_addr(1);
  U128 x = c->v.value - 1;
  first_last(&c->v, &f, &l);
  return x >= f && x <= l ? auto_addr_value(x) : rt_none();
}

static RtValue *q_range_usable(IpCtx *c) {
  if (c->vtype == VT_ADDRESS)
    return not_network();
  U128 f, l;
  if (!size_gt(&c->v, 1))
    return rt_none();
  first_last(&c->v, &f, &l);
  return addr_pair(f, f <= 0xffffffffu ? 4 : 6, "-", l, l <= 0xffffffffu ? 4 : 6);
}

static RtValue *q_peer(IpCtx *c) {
  if (c->vtype == VT_ADDRESS)
    return not_network();
  IpNet *v = &c->v;
  if (size_is(v, 2))
    return auto_addr_value(v->value ^ 1);
  if (size_is(v, 4)) {
    if (v->value % 4 == 0)
      return rt_error("Network address of /30 has no peer");
    if (v->value % 4 == 3)
      return rt_error("Broadcast address of /30 has no peer");
    return auto_addr_value(v->value ^ 3);
  }
  return rt_error("Not a point-to-point network");
}

static RtValue *q_host(IpCtx *c) {
  IpNet *v = &c->v;
  if (!size_gt(v, 1) || v->value != net_first(v) || !has_broadcast(v))
    return str_net(v);
  return rt_none();
}

static RtValue *q_hostmask(IpCtx *c) { return addr_value(host_mask(&c->v), c->v.version); }

static RtValue *q_int(IpCtx *c) {
  if (c->vtype == VT_ADDRESS)
    return int_value(c->v.value);
  RtBuf b = {0};
  put_u128(&b, c->v.value);
  rt_buf_printf(&b, "/%d", c->v.prefix);
  return rt_buf_value(&b);
}

static RtValue *q_ip_prefix(IpCtx *c) {
  IpNet *v = &c->v;
  if (size_is(v, 2) || (size_gt(v, 1) && v->value != net_first(v)))
    return str_net(v);
  return rt_none();
}

static RtValue *q_ip_netmask(IpCtx *c) {
  IpNet *v = &c->v;
  if (size_is(v, 2) || (size_gt(v, 1) && v->value != net_first(v)))
    return addr_pair(v->value, v->version, " ", net_mask(v), v->version);
  return rt_none();
}

static RtValue *q_ipv4(IpCtx *c) {
  IpNet *v = &c->v;
  if (v->version == 4)
    return keep(c);
  U128 x = v->value;
  if (x > 0xffffffffu) {
    if (x > (U128)0xffffffffffffull || x < (U128)0xffff00000000ull)
      return rt_bool(false);
    x -= 0xffff00000000ull;
  }
  if (v->prefix < 96)
    return rt_bool(false);
  return addr_prefix(x, 4, v->prefix - 96);
}

static RtValue *q_ipv6(IpCtx *c) {
  IpNet *v = &c->v;
  if (v->version == 6)
    return keep(c);
  return addr_prefix((U128)0xffff00000000ull + v->value, 6, v->prefix + 96);
}

/* "v4" and "v6" map to the same functions as "ipv4" and "ipv6" but lack
 * their row in query_func_extra_args: Python calls them without `value`. */
static RtValue *q_v4(IpCtx *c) {
  (void)c;
  return rt_type_error("_ipv4_query() missing 1 required positional argument: 'value'");
}

static RtValue *q_v6(IpCtx *c) {
  (void)c;
  return rt_type_error("_ipv6_query() missing 1 required positional argument: 'value'");
}

static RtValue *q_link_local(IpCtx *c) {
  IpNet a = addr_of(&c->v);
  return is_link_local(&a) ? keep(c) : rt_none();
}

static RtValue *q_loopback(IpCtx *c) {
  return is_loopback_addr(c->v.value, c->v.version) ? keep(c) : rt_none();
}

static RtValue *q_multicast(IpCtx *c) { return is_multicast(&c->v) ? keep(c) : rt_none(); }

static RtValue *q_net(IpCtx *c) {
  IpNet *v = &c->v;
  if (size_gt(v, 1) && v->value == net_first(v))
    return addr_prefix(net_first(v), v->version, v->prefix);
  return rt_none();
}

static RtValue *q_netmask(IpCtx *c) { return addr_value(net_mask(&c->v), c->v.version); }
static RtValue *q_network(IpCtx *c) { return addr_value(net_first(&c->v), c->v.version); }

static RtValue *q_network_netmask(IpCtx *c) {
  return addr_pair(net_first(&c->v), c->v.version, " ", net_mask(&c->v), c->v.version);
}

static RtValue *q_network_wildcard(IpCtx *c) {
  return addr_pair(net_first(&c->v), c->v.version, " ", host_mask(&c->v), c->v.version);
}

static RtValue *q_prefix(IpCtx *c) { return rt_int(c->v.prefix); }

static RtValue *q_private(IpCtx *c) { return is_private(&c->v) ? keep(c) : rt_none(); }

static RtValue *q_public(IpCtx *c) {
  IpNet a = addr_of(&c->v);
  U128 x = a.value;
  int ver = a.version;
  bool pub = !is_multicast(&a) && !is_private(&a) && !is_loopback_addr(x, ver) && !is_netmask_addr(x, ver) &&
             !is_hostmask_addr(x);
  return pub ? keep(c) : rt_none();
}

static RtValue *q_revdns(IpCtx *c) {
  U128 x = c->v.value;
  RtBuf b = {0};
  if (c->v.version == 4) {
    rt_buf_printf(&b, "%u.%u.%u.%u.in-addr.arpa.", (unsigned)x & 255, (unsigned)(x >> 8) & 255,
                  (unsigned)(x >> 16) & 255, (unsigned)(x >> 24) & 255);
  } else {
    for (int i = 0; i < 32; i++, x >>= 4)
      rt_buf_printf(&b, "%x.", (unsigned)(x & 15));
    rt_buf_puts(&b, "ip6.arpa.");
  }
  return rt_buf_value(&b);
}

static RtValue *q_size(IpCtx *c) {
  int bits = ip_width(c->v.version) - c->v.prefix;
  if (bits >= 128)
    return rt_int_text("340282366920938463463374607431768211456", 39);
  return int_value((U128)1 << bits);
}

static RtValue *q_size_usable(IpCtx *c) {
  int bits = ip_width(c->v.version) - c->v.prefix;
  if (bits == 0)
    return rt_int(0);
  if (bits == 1)
    return rt_int(2);
  if (bits >= 128)
    return rt_int_text("340282366920938463463374607431768211454", 39);
  return int_value(((U128)1 << bits) - 2);
}

static RtValue *q_subnet(IpCtx *c) { return addr_prefix(net_first(&c->v), c->v.version, c->v.prefix); }

static RtValue *q_type(IpCtx *c) {
  IpNet *v = &c->v;
  return rt_strz(!size_gt(v, 1) || v->value != net_first(v) ? "address" : "network");
}

static RtValue *q_unicast(IpCtx *c) { return !is_multicast(&c->v) ? keep(c) : rt_none(); }
static RtValue *q_version(IpCtx *c) { return rt_int(c->v.version); }

static RtValue *q_wrap(IpCtx *c) {
  IpNet *v = &c->v;
  if (v->version == 4)
    return keep(c);
  RtBuf b = {0};
  rt_buf_putc(&b, '[');
  put_addr(&b, v->value, 6);
  rt_buf_putc(&b, ']');
  if (c->vtype == VT_NETWORK)
    rt_buf_printf(&b, "/%d", v->prefix);
  return rt_buf_value(&b);
}

/* ipaddr_utils.ipaddr's query_func_map. */
static const struct {
  const char *name;
  IpQueryFn fn;
} ip_queries[] = {
    {"", q_empty},
    {"6to4", q_6to4},
    {"address", q_ip},
    {"address/prefix", q_address_prefix},
    {"bool", q_bool},
    {"broadcast", q_broadcast},
    {"cidr", q_cidr},
    {"cidr_lookup", q_cidr_lookup},
    {"first_usable", q_first_usable},
    {"gateway", q_address_prefix},
    {"gw", q_address_prefix},
    {"host", q_host},
    {"host/prefix", q_address_prefix},
    {"hostmask", q_hostmask},
    {"hostnet", q_address_prefix},
    {"int", q_int},
    {"ip", q_ip},
    {"ip/prefix", q_ip_prefix},
    {"ip_netmask", q_ip_netmask},
    {"ipv4", q_ipv4},
    {"ipv6", q_ipv6},
    {"last_usable", q_last_usable},
    {"link-local", q_link_local},
    {"lo", q_loopback},
    {"loopback", q_loopback},
    {"multicast", q_multicast},
    {"net", q_net},
    {"next_usable", q_next_usable},
    {"netmask", q_netmask},
    {"network", q_network},
    {"network_id", q_network},
    {"network/prefix", q_subnet},
    {"network_netmask", q_network_netmask},
    {"network_wildcard", q_network_wildcard},
    {"peer", q_peer},
    {"prefix", q_prefix},
    {"previous_usable", q_previous_usable},
    {"private", q_private},
    {"public", q_public},
    {"range_usable", q_range_usable},
    {"revdns", q_revdns},
    {"router", q_address_prefix},
    {"size", q_size},
    {"size_usable", q_size_usable},
    {"subnet", q_subnet},
    {"type", q_type},
    {"unicast", q_unicast},
    {"v4", q_v4},
    {"v6", q_v6},
    {"version", q_version},
    {"wildcard", q_hostmask},
    {"wrap", q_wrap},
};

static IpQueryFn find_query(const char *q) {
  for (size_t i = 0; i < sizeof ip_queries / sizeof ip_queries[0]; i++)
    if (strcmp(ip_queries[i].name, q) == 0)
      return ip_queries[i].fn;
  return NULL;
}

/* The digits of a non-negative int or of a string of ASCII digits: false
 * past 128 bits. */
static bool digits_value(const char *s, size_t n, U128 *out) {
  U128 v = 0;
  for (size_t i = 0; i < n; i++) {
    if (v > ~(U128)0 / 10 || v * 10 > ~(U128)0 - (U128)(s[i] - '0'))
      return false;
    v = v * 10 + (U128)(s[i] - '0');
  }
  *out = v;
  return true;
}

/* Parses `value` as the plugin does into c (c->value may be replaced by a
 * new string, returned in *owned). False when it is no address. */
static bool ip_read(RtValue *value, int version, IpCtx *c, RtValue **owned) {
  RtValue *text = rt_kind(value) == RT_STR ? rt_incref(value) : rt_kind(value) == RT_INT ? rt_to_str(value) : NULL;
  bool ok = false;
  if (!text)
    return false;
  const char *s = text->u.str.s;
  size_t n = text->u.str.len;
  c->value = value;
  if (py_isdigit(s, n)) {
    U128 x;
    if (!digits_value(s, n, &x))
      goto done;
    if (version != 6 && x <= 0xffffffffu)
      c->v = net_of(x, 32, 4);
    else
      c->v = net_of(x, 128, 6);
    c->vtype = VT_ADDRESS;
    *owned = str_net(&c->v);
    c->value = *owned;
    ok = true;
  } else if (rt_kind(value) == RT_STR && ip_parse(s, n, &c->v)) {
    const char *slash = memchr(s, '/', n);
    c->vtype = slash && !memchr(slash + 1, '/', n - (size_t)(slash - s) - 1) ? VT_NETWORK : VT_ADDRESS;
    ok = true;
  } else if (rt_kind(value) == RT_STR) {
    const char *slash = memchr(s, '/', n);
    bool an, pn, big;
    U128 a, p;
    if (!slash || memchr(slash + 1, '/', n - (size_t)(slash - s) - 1) || !py_int(s, (size_t)(slash - s), &an, &a, &big) ||
        !py_int(slash + 1, n - (size_t)(slash - s) - 1, &pn, &p, &big) || (an && a) || (pn && p))
      goto done;
    if (a <= 0xffffffffu && p <= 32)
      c->v = net_of(a, (int)p, 4);
    else if (p <= 128)
      c->v = net_of(a, (int)p, 6);
    else
      goto done;
    c->vtype = VT_NETWORK;
    *owned = str_net(&c->v);
    c->value = *owned;
    ok = true;
  }
done:
  rt_decref(text);
  return ok;
}

static RtValue *ipaddr(RtValue *value, const char *query, int version, const char *alias);

static RtValue *ipaddr_list(RtValue *value, const char *query, int version) {
  RtValue *out = rt_list_new(rt_len(value));
  for (size_t i = 0; i < rt_len(value); i++) {
    RtValue *r = ipaddr(rt_list_at(value, i), query, version, "ipaddr");
    if (rt_kind(r) == RT_ERROR) {
      rt_decref(out);
      return r;
    }
    if (rt_pytruth(r))
      rt_list_push(out, r);
    else
      rt_decref(r);
  }
  return out;
}

/* ipaddr_utils.ipaddr(value, query, version, alias). */
static RtValue *ipaddr(RtValue *value, const char *query, int version, const char *alias) {
  if (rt_kind(value) == RT_LIST)
    return ipaddr_list(value, query, version);
  if (!rt_pytruth(value) || rt_kind(value) == RT_BOOL) { /* `not value or value is True` */
    RtValue *s = rt_to_str(value);
    rt_out_warning(NULL,
                   "The value '%s' is not a valid IP address or network, passing this value to ipaddr filter "
                   "might result in breaking change in future.",
                   s->u.str.s);
    rt_decref(s);
    return rt_bool(false);
  }
  IpCtx c = {0};
  RtValue *owned = NULL, *r;
  if (!ip_read(value, version, &c, &owned))
    return rt_bool(false);
  IpQueryFn fn = find_query(query);
  if (query[0] && (!fn || !strcmp(query, "cidr_lookup")) && !py_isdigit(query, strlen(query)) &&
      ip_parse(query, strlen(query), &c.lookup)) {
    fn = q_cidr_lookup;
    query = "cidr_lookup";
  } else if (fn == q_cidr_lookup) {
    r = rt_error_exc(RT_EXC_KEY, "'iplist'");
    goto out;
  }
  if (version && c.v.version != version) {
    r = rt_bool(false);
    goto out;
  }
  if (fn) {
    r = fn(&c);
    goto out;
  }
  double f;
  char msg[128];
  if (rt_arith_parse_float(query, strlen(query), &f, msg, sizeof msg) != RT_ARITH_OK) {
    if (alias) /* the ipaddr filter passes alias=None when not given: `alias + ...` fails */
      r = rt_error("%s: unknown filter type: %s", alias, query);
    else
      r = rt_type_error("unsupported operand type(s) for +: 'NoneType' and 'str'");
  } else if (!size_gt(&c.v, 1)) {
    r = q_empty(&c);
  } else {
    bool neg, big;
    U128 k;
    U128 size_m1 = host_mask(&c.v);
    bool got = py_int(query, strlen(query), &neg, &k, &big);
    neg = neg && k;
    if (!got || (neg ? k - 1 > size_m1 : k > size_m1))
      r = rt_bool(false);
    else
      r = addr_prefix(neg ? net_last(&c.v) - k + 1 : net_first(&c.v) + k, c.v.version, c.v.prefix);
  }
out:
  if (owned)
    rt_decref(owned);
  return r;
}

/* An argument of type str in the plugin's argument spec: str(v). */
static RtValue *arg_text(RtValue *v) { return rt_kind(v) == RT_STR ? rt_incref(v) : rt_to_str(v); }

/* An argument of type int, validated by the plugin's argument spec before
 * anything else: ints as they are, strings int() reads; None when not
 * given (*given false). False with *err (the validator's list of errors as
 * AnsibleFilterError prints it) otherwise. */
static bool arg_int(RtValue *v, const char *name, int64_t *out, bool *given, RtValue **err) {
  char msg[64];
  *given = v && rt_kind(v) != RT_NONE;
  if (!*given)
    return true;
  if (rt_kind(v) == RT_STR && rt_arith_parse_int(v->u.str.s, v->u.str.len, 10, out, msg, sizeof msg) == RT_ARITH_OK)
    return true;
  if (rt_kind(v) != RT_STR && rt_arg_int(v, out))
    return true;
  const char *t = rt_type_name(v);
  *err = rt_error("[\"argument '%s' is of type <class '%s'> and we were unable to convert to int: <class '%s'> "
                  "cannot be converted to an int\"]",
                  name, t, t);
  return false;
}

/* The filter's value check (the plugin's wrapper): ipaddr, ipv4 and ipv6
 * take strings, lists and ints, ipwrap strings, lists and bools. */
static RtValue *check_value(RtValue *v, const char *alias, bool wrap) {
  RtKind k = rt_kind(v);
  if (k == RT_STR || k == RT_LIST || k == RT_BOOL || (k == RT_INT && !wrap))
    return NULL;
  return rt_error("Unrecognized type <<class '%s'>> for %s filter <value>", rt_type_name(v), alias);
}

/* The query argument as the plugin's argument spec (type str) converts it
 * (str(v)): a new C string. */
static char *query_text(RtValue *q) {
  if (!q)
    return strdup("");
  if (rt_kind(q) == RT_STR)
    return strdup(q->u.str.s);
  RtValue *s = rt_to_str(q);
  char *out = strdup(s->u.str.s);
  rt_decref(s);
  return out;
}

/* Keyword arguments the plugin's argument spec does not know (`known`,
 * sorted, with `value`): its error, or NULL. */
static RtValue *check_kwargs(RtFArgs *a, const char *known) {
  if (!a->kw || !rt_len(a->kw))
    return NULL;
  RtBuf b = {0};
  for (size_t k = 0; k < rt_len(a->kw); k++) {
    RtValue *key = rt_dict_key_value(a->kw->u.dict.ents[k].key), *s = rt_to_str(key);
    rt_buf_printf(&b, "%s%s", k ? ", " : "", s->u.str.s);
    rt_decref(s);
    rt_decref(key);
  }
  RtValue *e = rt_error("['%s. Supported parameters include: %s.']", b.data, known);
  rt_buf_free(&b);
  return e;
}

static RtValue *ip_filter(RtFArgs *a, int version, const char *alias) {
  RtValue *e = check_value(a->base, alias ? alias : "ipaddr", false);
  if (e)
    return e;
  if ((e = check_kwargs(a, version ? "query, value" : "alias, query, value, version")))
    return e;
  char *q = query_text(a->p[0]);
  RtValue *r = ipaddr(a->base, q, version, alias);
  free(q);
  return r;
}

RtValue *rt_f_ipaddr(RtFArgs *a) {
  int64_t version = 0;
  bool given;
  RtValue *e = check_value(a->base, "ipaddr", false);
  if (e || (e = check_kwargs(a, "alias, query, value, version")) || !arg_int(a->p[1], "version", &version, &given, &e))
    return e;
  RtValue *alias = a->p[2] && rt_kind(a->p[2]) != RT_NONE ? arg_text(a->p[2]) : NULL;
  RtValue *r = ip_filter(a, (int)version, alias ? alias->u.str.s : NULL);
  if (alias)
    rt_decref(alias);
  return r;
}

RtValue *rt_f_ipv4(RtFArgs *a) { return ip_filter(a, 4, "ipv4"); }
RtValue *rt_f_ipv6(RtFArgs *a) { return ip_filter(a, 6, "ipv6"); }

/* ipwrap: IPv6 addresses and networks in brackets, anything else as it is. */
RtValue *rt_f_ipwrap(RtFArgs *a) {
  RtValue *e = check_value(a->base, "ipwrap", true), *v = a->base;
  if (e || (e = check_kwargs(a, "value")))
    return e;
  if (rt_kind(v) != RT_LIST) {
    RtValue *r = ipaddr(v, "", 0, "ipwrap");
    if (rt_kind(r) == RT_ERROR || !rt_pytruth(r)) {
      rt_decref(r);
      return rt_incref(v);
    }
    RtValue *w = ipaddr(r, "wrap", 0, "ipaddr");
    rt_decref(r);
    if (rt_kind(w) == RT_ERROR) {
      rt_decref(w);
      return rt_incref(v);
    }
    return w;
  }
  RtValue *out = rt_list_new(rt_len(v));
  for (size_t i = 0; i < rt_len(v); i++) {
    RtValue *el = rt_list_at(v, i), *r = ipaddr(el, "", 0, "ipwrap");
    bool ok = rt_kind(r) != RT_ERROR && rt_pytruth(r);
    bool failed = rt_kind(r) == RT_ERROR;
    rt_decref(r);
    if (ok) {
      r = ipaddr(el, "wrap", 0, "ipaddr");
      failed = rt_kind(r) == RT_ERROR;
    } else {
      r = rt_incref(el);
    }
    if (failed) {
      rt_decref(r);
      rt_decref(out);
      return rt_incref(v);
    }
    rt_list_push(out, r);
  }
  return out;
}

/* ---- the filters built on ipaddr: ipmath, nthhost, next_nth_usable,
 * previous_nth_usable, network_in_usable, network_in_network ---- */



/* The network nthhost and next_nth_usable read: ipaddr(value, 'cidr') of an
 * address, ipaddr(value, 'subnet') of a network, parsed again. */
static bool typed_net(RtValue *value, IpNet *out) {
  RtValue *t = ipaddr(value, "type", 0, "ipaddr");
  bool ok = false;
  if (rt_kind(t) == RT_STR) {
    RtValue *s = ipaddr(value, strcmp(t->u.str.s, "address") == 0 ? "cidr" : "subnet", 0, "ipaddr");
    ok = rt_kind(s) == RT_STR && ip_parse(s->u.str.s, s->u.str.len, out);
    rt_decref(s);
  }
  rt_decref(t);
  return ok;
}

RtValue *rt_f_ipmath(RtFArgs *a) {
  RtValue *err = NULL;
  int64_t amount = 0;
  bool given;
  if (!arg_int(a->p[0], "amount", &amount, &given, &err))
    return err;
  RtValue *s = arg_text(a->base);
  const char *text = s->u.str.s;
  size_t n = s->u.str.len;
  IpNet net;
  U128 x = 0;
  int version = 4;
  bool ok;
  if (memchr(text, '/', n)) {
    ok = ip_parse(text, n, &net);
    x = net.value, version = net.version;
  } else {
    struct in_addr in;
    ok = !memchr(text, 0, n) && n && inet_aton(text, &in) == 1; /* netaddr.IPAddress(text): inet_aton */
    if (ok)
      x = ntohl(in.s_addr);
    else if ((ok = pton(6, text, n, &x)))
      version = 6;
  }
  if (!ok) {
    err = rt_error("You must pass a valid IP address; %s is invalid", text);
    rt_decref(s);
    return err;
  }
  rt_decref(s);
  if (!given)
    return rt_error("You must pass an integer for arithmetic; None is not a valid integer");
  U128 y = amount < 0 ? x - (U128)(-(amount + 1)) - 1 : x + (U128)amount;
  if ((amount < 0 && y > x) || (amount > 0 && y < x) || y > ip_max(version))
    return rt_error_exc(RT_EXC_INDEX, "result outside valid IP address boundary!");
  return addr_value(y, version);
}

RtValue *rt_f_nthhost(RtFArgs *a) {
  RtValue *v = arg_text(a->base);
  IpNet net;
  bool ok = typed_net(v, &net);
  rt_decref(v);
  if (!ok || !a->p[0])
    return rt_bool(false);
  RtValue *q = arg_text(a->p[0]);
  bool neg, big;
  U128 k;
  ok = q->u.str.len && py_int(q->u.str.s, q->u.str.len, &neg, &k, &big);
  rt_decref(q);
  if (!ok)
    return rt_bool(false);
  neg = neg && k;
  if (neg) {
    if (k - 1 > host_mask(&net))
      return rt_error_exc(RT_EXC_INDEX, "index out range for address range size!");
    return addr_value(net_last(&net) - k + 1, net.version);
  }
  return k <= host_mask(&net) ? addr_value(net_first(&net) + k, net.version) : rt_bool(false);
}

static RtValue *nth_usable(RtFArgs *a, bool next) {
  RtValue *err = NULL;
  int64_t off = 0;
  bool given;
  if (!arg_int(a->p[0], "offset", &off, &given, &err))
    return err;
  RtValue *v = arg_text(a->base);
  IpNet net;
  bool ok = typed_net(v, &net);
  rt_decref(v);
  if (!ok)
    return rt_bool(false);
  if (!given)
    return rt_error("Must pass in an integer");
  if (!size_gt(&net, 1))
    return rt_none();
  if (!next)
    off = off == INT64_MIN ? INT64_MAX : -off;
  U128 f, l, y = off < 0 ? net.value - (U128)(-(off + 1)) - 1 : net.value + (U128)off;
  if (off < 0 && y > net.value)
    return negative_addr(~y + 1);
  if (off > 0 && y < net.value)
    return rt_error_exc(RT_EXC_ADDR_FORMAT, "failed to detect a valid IP address past 2 ** 128");
  first_last(&net, &f, &l);
  return y >= f && y <= l ? auto_addr_value(y) : rt_none();
}

RtValue *rt_f_next_nth_usable(RtFArgs *a) { return nth_usable(a, true); }
RtValue *rt_f_previous_nth_usable(RtFArgs *a) { return nth_usable(a, false); }

/* An int result of ipaddr(…, 'int') as a number; False (and None) are 0. */
static U128 int_of(RtValue *r) {
  if (rt_kind(r) != RT_INT)
    return 0;
  RtValue *s = rt_to_str(r);
  U128 x = 0;
  digits_value(s->u.str.s, s->u.str.len, &x);
  rt_decref(s);
  return x;
}

/* ipaddr(ipaddr(v, q) or ipaddr(v, 'address'), 'int'). */
static U128 bound(RtValue *v, const char *q) {
  RtValue *r = ipaddr(v, q, 0, "ipaddr");
  if (rt_kind(r) == RT_ERROR || !rt_pytruth(r)) {
    rt_decref(r);
    r = ipaddr(v, "address", 0, "ipaddr");
  }
  RtValue *i = rt_kind(r) == RT_ERROR ? rt_bool(false) : ipaddr(r, "int", 0, "ipaddr");
  rt_decref(r);
  U128 x = int_of(i);
  rt_decref(i);
  return x;
}

/* _address_normalizer: ipaddr(value, 'subnet') of an address or network, else False. */
static RtValue *normalized(RtValue *value) {
  RtValue *s = arg_text(value), *t = ipaddr(s, "type", 0, "ipaddr"), *r;
  if (rt_kind(t) == RT_STR)
    r = ipaddr(s, "subnet", 0, "ipaddr");
  else
    r = rt_bool(false);
  rt_decref(t);
  rt_decref(s);
  return r;
}

static RtValue *network_in(RtFArgs *a, bool usable) {
  if (!a->p[0])
    return rt_type_error("%s() missing 1 required positional argument: 'test'",
                         usable ? "network_in_usable" : "network_in_network");
  RtValue *v = normalized(a->base), *w = normalized(a->p[0]);
  U128 vf = bound(v, usable ? "first_usable" : "network"), vl = bound(v, usable ? "last_usable" : "broadcast");
  U128 wf = bound(w, "network"), wl = bound(w, "broadcast");
  rt_decref(v);
  rt_decref(w);
  return rt_bool(vf <= wf && wf <= vl && vf <= wl && wl <= vl);
}

RtValue *rt_f_network_in_usable(RtFArgs *a) { return network_in(a, true); }
RtValue *rt_f_network_in_network(RtFArgs *a) { return network_in(a, false); }

/* ---- hwaddr and macaddr: netaddr.EUI(text) and its mac_* dialects ---- */

static int hex_digit(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One of netaddr's RE_MAC_FORMATS / RE_EUI64_FORMATS: `words` groups of
 * `lo`..`hi` hex digits joined by `sep` (0: one group), each group worth
 * `bits` bits. Python's `$` also matches before a final newline. */
static bool eui_form(const char *s, size_t n, int words, char sep, int lo, int hi, int bits, U128 *out) {
  if (n && s[n - 1] == '\n')
    n--;
  U128 v = 0;
  size_t i = 0;
  for (int w = 0; w < words; w++) {
    if (w && (i >= n || s[i++] != sep))
      return false;
    int len = 0;
    uint64_t word = 0;
    while (i < n && hex_digit(s[i]) >= 0 && len < hi)
      word = word << 4 | (uint64_t)hex_digit(s[i++]), len++;
    if (len < lo)
      return false;
    v = v << bits | word;
  }
  if (i != n)
    return false;
  *out = v;
  return true;
}

/* netaddr.EUI(text): EUI-48 forms, then EUI-64 ones, each falling back to
 * int(text) within the version's range. *version gets 48 or 64. */
static bool eui_parse(const char *s, size_t n, U128 *out, int *version) {
  static const char seps48[] = {':', '-'};
  bool neg, big;
  U128 k;
  bool isint = py_int(s, n, &neg, &k, &big) && (!neg || !k);
  for (int i = 0; i < 2; i++)
    if (eui_form(s, n, 6, seps48[i], 1, 2, 8, out) || eui_form(s, n, 3, seps48[i], 1, 4, 16, out) ||
        eui_form(s, n, 2, seps48[i], 5, 6, 24, out))
      goto eui48;
  if (eui_form(s, n, 3, '.', 1, 4, 16, out) || eui_form(s, n, 1, 0, 12, 12, 48, out) ||
      eui_form(s, n, 1, 0, 11, 11, 48, out))
    goto eui48;
  if (isint && k <= 0xffffffffffffull) {
    *out = k;
    goto eui48;
  }
  for (int i = 0; i < 2; i++)
    if (eui_form(s, n, 8, seps48[i], 1, 2, 8, out) || eui_form(s, n, 4, seps48[i], 1, 4, 16, out))
      goto eui64;
  if (eui_form(s, n, 4, '.', 1, 4, 16, out) || eui_form(s, n, 1, 0, 16, 16, 64, out))
    goto eui64;
  if (isint && k <= 0xffffffffffffffffull) {
    *out = k;
    goto eui64;
  }
  return false;
eui48:
  *version = 48;
  return true;
eui64:
  *version = 64;
  return true;
}

/* str(EUI) in a mac_* dialect: `size` bits a word, `sep`, printf `fmt`. */
static RtValue *eui_text(U128 v, int version, int size, const char *sep, const char *fmt) {
  if (version != 48) {
    char hex[40];
    snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)v);
    return rt_error_exc(RT_EXC_INDEX, "integer out of bounds: '%s'!", hex);
  }
  RtBuf b = {0};
  for (int w = 48 / size - 1; w >= 0; w--) {
    rt_buf_printf(&b, fmt, (unsigned long long)((v >> (w * size)) & low_mask(size)));
    if (w)
      rt_buf_puts(&b, sep);
  }
  return rt_buf_value(&b);
}

static RtValue *hwaddr(RtFArgs *a, const char *alias) {
  RtValue *s = arg_text(a->base), *q = a->p[0] ? arg_text(a->p[0]) : rt_strz(""), *r;
  U128 v = 0;
  int version = 0;
  const char *query = q->u.str.s;
  bool ok = eui_parse(s->u.str.s, s->u.str.len, &v, &version);
  if (!ok && query[0] && strcmp(query, "bool") != 0) {
    r = rt_error("%s: not a hardware address: %s", alias, s->u.str.s);
  } else if (!query[0]) {
    r = ok ? rt_incref(s) : rt_none();
  } else if (!strcmp(query, "bool")) {
    r = ok ? rt_bool(true) : rt_none();
  } else if (!strcmp(query, "int")) {
    r = int_value(v);
  } else if (!strcmp(query, "bare")) {
    r = eui_text(v, version, 48, "", "%012llX");
  } else if (!strcmp(query, "cisco")) {
    r = eui_text(v, version, 16, ".", "%04llx");
  } else if (!strcmp(query, "eui48") || !strcmp(query, "win")) {
    r = eui_text(v, version, 8, "-", "%02llX");
  } else if (!strcmp(query, "linux")) {
    r = eui_text(v, version, 8, ":", "%02llx");
  } else if (!strcmp(query, "pgsql") || !strcmp(query, "postgresql") || !strcmp(query, "psql")) {
    r = eui_text(v, version, 24, ":", "%06llx");
  } else if (!strcmp(query, "unix")) {
    r = eui_text(v, version, 8, ":", "%llx");
  } else {
    r = rt_error("%s: unknown filter type: %s", alias, query);
  }
  rt_decref(s);
  rt_decref(q);
  return r;
}

RtValue *rt_f_hwaddr(RtFArgs *a) { return hwaddr(a, "hwaddr"); }
RtValue *rt_f_macaddr(RtFArgs *a) { return hwaddr(a, "macaddr"); }

/* ---- ipsubnet ---- */

static RtValue *net_text(U128 value, int version, int prefix) { return addr_prefix(value, version, prefix); }

/* str(IPNetwork(str(IPAddress(x)) + "/" + prefix)): IPAddress(int) picks
 * IPv4 for values that fit 32 bits, and the prefix must then fit it. */
static RtValue *auto_net_text(U128 x, int prefix) {
  int version = x <= 0xffffffffu ? 4 : 6;
  if (prefix > ip_width(version)) {
    RtBuf b = {0};
    put_addr(&b, x, version);
    RtValue *e = rt_error_exc(RT_EXC_ADDR_FORMAT, "invalid IPNetwork %s/%d", b.data, prefix);
    rt_buf_free(&b);
    return e;
  }
  return net_text(x, version, prefix);
}

/* ipsubnet(value, query='', index=None) of ansible.utils' plugin. */
static RtValue *ipsubnet(RtValue *value, const char *query, bool has_index, int64_t index) {
  IpNet net;
  if (!typed_net(value, &net))
    return rt_bool(false);
  int width = ip_width(net.version);
  net.value = net_first(&net); /* IPNetwork(v).cidr */
  bool address = net.prefix == width;
  if (!query[0])
    return net_text(net.value, net.version, net.prefix);
  if (py_isdigit(query, strlen(query))) {
    U128 q128;
    if (!digits_value(query, strlen(query), &q128) || q128 > (U128)width)
      return rt_bool(false);
    int q = (int)q128;
    if (address) { /* value.supernet(q): the /q, /q+1 ... /width-1 networks holding it */
      int64_t count = width - q;
      if (!has_index)
        index = 0;
      else if (index > width + 1 - index || index < q - width)
        return rt_bool(false);
      if (index < 0)
        index += count;
      if (index < 0 || index >= count)
        return rt_error_exc(RT_EXC_INDEX, "list index out of range");
      IpNet s = net_of(net.value, q + (int)index, net.version);
      return net_text(net_first(&s), net.version, s.prefix);
    }
    if (!has_index) {
      if (q < net.prefix)
        return rt_error("Requested subnet size of %d is invalid", q);
      if (q - net.prefix >= 128)
        return rt_strz("340282366920938463463374607431768211456");
      RtBuf b = {0};
      put_u128(&b, (U128)1 << (q - net.prefix));
      return rt_buf_value(&b);
    }
    if (q < net.prefix) /* 2 ** negative is a float below 1: only index 0 is in range */
      return index == 0 ? auto_net_text(net.value, q) : rt_bool(false);
    int bits = q - net.prefix;
    U128 subnets = bits >= 128 ? 0 : (U128)1 << bits; /* 0 stands for 2 ** 128 */
    U128 k;
    if (index < 0) {
      U128 back = (U128)(-(index + 1)) + 1;
      if (subnets && back > subnets)
        return rt_bool(false);
      k = subnets - back;
    } else {
      k = (U128)index;
      if (subnets && k >= subnets)
        return rt_bool(false);
    }
    return auto_net_text(net.value + (width - q >= 128 ? 0 : k << (width - q)), q);
  }
  RtValue *qv = rt_strz(query);
  IpNet qn;
  bool ok = typed_net(qv, &qn);
  rt_decref(qv);
  if (!ok)
    return rt_error("You must pass a valid subnet or IP address; %s is invalid", query);
  int shift = width - qn.prefix;
  if (shift < 0)
    return rt_error_exc(RT_EXC_VALUE, "negative shift count");
  U128 a = shift >= 128 ? 0 : net.value >> shift, b = shift >= 128 ? 0 : qn.value >> shift;
  if (a == b && net.prefix < qn.prefix) /* 2 ** negative is a float */
    return rt_type_error("unsupported operand type(s) for <<: 'float' and 'int'");
  if (a == b) {
    int hb = width - net.prefix;
    U128 m = low_mask(net.prefix - qn.prefix);
    U128 x = hb >= 128 ? 0 : ((net.value & (m << hb)) >> hb);
    RtBuf t = {0};
    put_u128(&t, x + 1);
    return rt_buf_value(&t);
  }
  RtBuf t = {0};
  put_addr(&t, net.value, net.version);
  rt_buf_printf(&t, "/%d is not in the subnet ", net.prefix);
  put_addr(&t, net_first(&qn), qn.version);
  rt_buf_printf(&t, "/%d", qn.prefix);
  RtValue *e = rt_error("%s", t.data);
  rt_buf_free(&t);
  return e;
}

RtValue *rt_f_ipsubnet(RtFArgs *a) {
  RtValue *err = NULL;
  int64_t index = 0;
  bool has_index;
  if ((err = check_kwargs(a, "index, query, value")) || !arg_int(a->p[1], "index", &index, &has_index, &err))
    return err;
  RtValue *v = arg_text(a->base), *q = a->p[0] && rt_kind(a->p[0]) != RT_NONE ? arg_text(a->p[0]) : rt_strz("");
  RtValue *r = ipsubnet(v, q->u.str.s, has_index, index);
  rt_decref(v);
  rt_decref(q);
  return r;
}

/* ---- cidr_merge ---- */

typedef struct IpRange {
  int version;
  U128 last, first;
  IpNet orig; /* the network as given, while the range is one element's */
  bool merged;
} IpRange;

/* Python's sort of (version, last, first, net) tuples; net by its sort_key
 * (version, first, prefixlen - 1, host bits). */
static int range_cmp(const void *pa, const void *pb) {
  const IpRange *a = pa, *b = pb;
  if (a->version != b->version)
    return a->version < b->version ? -1 : 1;
  if (a->last != b->last)
    return a->last < b->last ? -1 : 1;
  if (a->first != b->first)
    return a->first < b->first ? -1 : 1;
  if (a->orig.prefix != b->orig.prefix)
    return a->orig.prefix < b->orig.prefix ? -1 : 1;
  U128 ha = a->orig.value - a->first, hb = b->orig.value - b->first;
  return ha < hb ? -1 : ha > hb;
}

/* netaddr's iprange_to_cidrs: the fewest CIDRs covering [first, last]. */
static void range_cidrs(RtValue *out, int version, U128 first, U128 last) {
  int width = ip_width(version);
  for (;;) {
    int bits = 0; /* the largest aligned block at `first` that stays within `last` */
    while (bits < width && (first & low_mask(bits + 1)) == 0 && (first | low_mask(bits + 1)) <= last)
      bits++;
    rt_list_push(out, net_text(first, version, width - bits));
    U128 end = first | low_mask(bits);
    if (end >= last)
      return;
    first = end + 1;
  }
}

/* A list argument (type list, elements str): a list's items as str(), a
 * string split at commas, a number as its text. NULL (with *err) else. */
static RtValue *arg_str_list(RtValue *v, RtValue **err) {
  RtValue *items;
  if (rt_kind(v) == RT_LIST) {
    items = rt_incref(v);
  } else if (rt_kind(v) == RT_STR) {
    items = rt_list_new(1);
    const char *s = v->u.str.s, *e = s + v->u.str.len;
    for (;;) {
      const char *c = memchr(s, ',', (size_t)(e - s));
      rt_list_push(items, rt_str(s, (size_t)((c ? c : e) - s)));
      if (!c)
        break;
      s = c + 1;
    }
  } else if (rt_kind(v) == RT_INT || rt_kind(v) == RT_FLOAT) {
    items = rt_list_new(1);
    rt_list_push(items, rt_to_str(v));
  } else {
    *err = rt_error("[\"argument 'value' is of type <class '%s'> and we were unable to convert to list: <class '%s'> "
                    "cannot be converted to a list\"]",
                    rt_type_name(v), rt_type_name(v));
    return NULL;
  }
  RtValue *out = rt_list_new(rt_len(items));
  for (size_t i = 0; i < rt_len(items); i++)
    rt_list_push(out, arg_text(rt_list_at(items, i)));
  rt_decref(items);
  return out;
}

static RtValue *netaddr_error(const char *text) {
  return rt_error("cidr_merge: error in netaddr:\ninvalid IPNetwork %s", text);
}

static RtValue *cidr_merge(RtValue *list) {
  size_t n = rt_len(list);
  IpRange *r = calloc(n ? n : 1, sizeof *r);
  for (size_t i = 0; i < n; i++) {
    RtValue *s = rt_list_at(list, i);
    if (!ip_parse(s->u.str.s, s->u.str.len, &r[i].orig)) {
      free(r);
      return netaddr_error(s->u.str.s);
    }
    r[i].version = r[i].orig.version;
    r[i].first = net_first(&r[i].orig);
    r[i].last = net_last(&r[i].orig);
  }
  qsort(r, n, sizeof *r, range_cmp);
  for (size_t i = n ? n - 1 : 0; i > 0; i--) {
    if (r[i].version == r[i - 1].version && r[i].first - 1 <= r[i - 1].last && r[i].first != 0) {
      r[i - 1].first = r[i - 1].first < r[i].first ? r[i - 1].first : r[i].first;
      r[i - 1].last = r[i].last;
      r[i - 1].merged = true;
      memmove(&r[i], &r[i + 1], (n - i - 1) * sizeof *r);
      n--;
    } else if (r[i].version == r[i - 1].version && r[i].first == 0) { /* 0 - 1 is -1 in Python */
      r[i - 1].first = 0;
      r[i - 1].last = r[i].last;
      r[i - 1].merged = true;
      memmove(&r[i], &r[i + 1], (n - i - 1) * sizeof *r);
      n--;
    }
  }
  RtValue *out = rt_list_new(n);
  for (size_t i = 0; i < n; i++) {
    if (r[i].merged)
      range_cidrs(out, r[i].version, r[i].first, r[i].last);
    else
      rt_list_push(out, str_net(&r[i].orig));
  }
  free(r);
  return out;
}

/* netaddr's spanning_cidr. */
static RtValue *spanning_cidr(RtValue *list) {
  IpNet lo = {0}, hi = {0};
  for (size_t i = 0; i < rt_len(list); i++) {
    RtValue *s = rt_list_at(list, i);
    IpNet n;
    if (!ip_parse(s->u.str.s, s->u.str.len, &n))
      return netaddr_error(s->u.str.s);
    /* IPNetwork ordering: (version, first, prefixlen - 1, host bits) */
#define NET_LESS(a, b)                                                                                          \
  ((a).version != (b).version       ? (a).version < (b).version                                                \
   : net_first(&(a)) != net_first(&(b)) ? net_first(&(a)) < net_first(&(b))                                     \
   : (a).prefix != (b).prefix       ? (a).prefix < (b).prefix                                                  \
                                    : (a).value - net_first(&(a)) < (b).value - net_first(&(b)))
    if (i == 0) {
      lo = hi = n;
    } else if (i == 1) {
      if (NET_LESS(hi, n))
        hi = n;
      else
        lo = n;
    } else {
      if (NET_LESS(n, lo))
        lo = n;
      if (NET_LESS(hi, n))
        hi = n;
    }
#undef NET_LESS
  }
  if (lo.version != hi.version)
    return rt_error("cidr_merge: error in netaddr:\nIP sequence cannot contain both IPv4 and IPv6!");
  int width = ip_width(hi.version), prefix = hi.prefix;
  U128 ipnum = net_last(&hi), lowest = net_first(&lo);
  while (prefix > 0 && ipnum > lowest) {
    prefix--;
    ipnum &= ~low_mask(width - prefix);
  }
  return net_text(ipnum, hi.version, prefix);
}

RtValue *rt_f_cidr_merge(RtFArgs *a) {
  RtValue *err = NULL, *list, *r;
  if ((err = check_kwargs(a, "action, value")))
    return err;
  if (rt_kind(a->base) == RT_NONE) /* the argument spec lets None through */
    return rt_error("cidr_merge: expected iterable, got None");
  if (!(list = arg_str_list(a->base, &err)))
    return err;
  RtValue *act = a->p[0] && rt_kind(a->p[0]) != RT_NONE ? arg_text(a->p[0]) : rt_strz("merge");
  if (!strcmp(act->u.str.s, "merge")) {
    r = cidr_merge(list);
  } else if (!strcmp(act->u.str.s, "span")) {
    if (rt_len(list) == 0) {
      r = rt_none();
    } else if (rt_len(list) == 1) {
      RtValue *s = rt_list_at(list, 0);
      IpNet n;
      r = ip_parse(s->u.str.s, s->u.str.len, &n) ? str_net(&n) : netaddr_error(s->u.str.s);
    } else {
      r = spanning_cidr(list);
    }
  } else {
    r = rt_error("cidr_merge: invalid action '%s'", act->u.str.s);
  }
  rt_decref(act);
  rt_decref(list);
  return r;
}

/* reduce_on_network: the addresses of a list that lie in a network, compared
 * as the plugin compares them (network or address, broadcast or address,
 * as ints; False counts as 0). */
RtValue *rt_f_reduce_on_network(RtFArgs *a) {
  RtValue *err = NULL, *list;
  if ((err = check_kwargs(a, "network, value")))
    return err;
  if (rt_kind(a->base) == RT_NONE) /* the argument spec lets None through */
    return rt_type_error("'NoneType' object is not iterable");
  if (!(list = arg_str_list(a->base, &err)))
    return err;
  RtValue *none = rt_none(), *n = normalized(a->p[0] ? a->p[0] : none);
  rt_decref(none);
  U128 nf = bound(n, "network"), nl = bound(n, "broadcast");
  rt_decref(n);
  RtValue *out = rt_list_new(rt_len(list));
  for (size_t i = 0; i < rt_len(list); i++) {
    RtValue *el = rt_list_at(list, i), *v = normalized(el);
    U128 f = bound(v, "network"), l = bound(v, "broadcast");
    rt_decref(v);
    if (nf <= f && f <= nl && nf <= l && l <= nl)
      rt_list_push(out, rt_incref(el));
  }
  rt_decref(list);
  return out;
}

/* ip4_hex: the dot-separated parts of a text as int() reads them, the first
 * four in two-digit hex ('{0:02x}'), joined by `delimiter`. */
RtValue *rt_f_ip4_hex(RtFArgs *a) {
  RtValue *err = NULL;
  if ((err = check_kwargs(a, "arg, delimiter")))
    return err;
  RtValue *s = arg_text(a->base), *d = a->p[0] && rt_kind(a->p[0]) != RT_NONE ? arg_text(a->p[0]) : rt_strz("");
  RtBuf b = {0};
  const char *p = s->u.str.s, *e = p + s->u.str.len;
  int parts = 0;
  for (;;) {
    const char *dot = memchr(p, '.', (size_t)(e - p)), *end = dot ? dot : e;
    bool neg, big;
    U128 k;
    if (!py_int(p, (size_t)(end - p), &neg, &k, &big)) {
      err = rt_error_exc(RT_EXC_VALUE, "invalid literal for int() with base 10: '%.*s'", (int)(end - p), p);
      break;
    }
    if (parts < 4) {
      if (parts)
        rt_buf_puts(&b, d->u.str.s);
      bool minus = neg && k;
      if (minus)
        rt_buf_putc(&b, '-');
      char hex[40];
      int n = 0;
      do
        hex[n++] = "0123456789abcdef"[(int)(k & 15)];
      while ((k >>= 4) != 0);
      if (n < 2 && !minus) /* the sign counts in the width of 2 */
        hex[n++] = '0';
      while (n)
        rt_buf_putc(&b, hex[--n]);
    }
    parts++;
    if (!dot)
      break;
    p = dot + 1;
  }
  if (!err && parts < 4)
    err = rt_error_exc(RT_EXC_INDEX, "Replacement index %d out of range for positional args tuple", parts);
  rt_decref(s);
  rt_decref(d);
  if (err) {
    rt_buf_free(&b);
    return err;
  }
  return rt_buf_value(&b);
}

/* slaac: the IPv6 address a MAC address forms in a network (RFC 4291's
 * modified EUI-64 added to the network's first address). */
RtValue *rt_f_slaac(RtFArgs *a) {
  RtValue *err = NULL;
  if ((err = check_kwargs(a, "query, value")))
    return err;
  RtValue *v = arg_text(a->base);
  IpNet net;
  bool ok = typed_net(v, &net) && net.version == 6;
  rt_decref(v);
  if (!ok || !a->p[0] || rt_kind(a->p[0]) == RT_NONE)
    return rt_bool(false);
  RtValue *q = arg_text(a->p[0]);
  U128 mac;
  int version;
  ok = q->u.str.len && eui_parse(q->u.str.s, q->u.str.len, &mac, &version);
  rt_decref(q);
  if (!ok)
    return rt_bool(false);
  if (version == 48)
    mac = (mac >> 24) << 40 | (U128)0xfffe000000ull | (mac & 0xffffff);
  mac ^= (U128)1 << 57;
  U128 x = net_first(&net) + mac;
  if (x < mac)
    return rt_error_exc(RT_EXC_ADDR_FORMAT, "value out of bounds for an IPv6 address!");
  return addr_value(x, 6);
}
