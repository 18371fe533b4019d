/*
 * rt.h — the runtime's internal header, shared by runtime/ and modules/. The
 * generated code never sees it (it sees playc.h only). Sectioned by the file
 * that implements each part.
 *
 * Ownership conventions are the ones of playc.h: returned RtValue * are new
 * references, arguments are borrowed unless a comment says "takes".
 */
#ifndef PLAYC_RT_H
#define PLAYC_RT_H

#include "arith.h"
#include "playc.h"
#include "vault.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- util.c: allocation (one OOM policy: abort with a message), buffers ---- */

void *rt_xmalloc(size_t n);
void *rt_xcalloc(size_t n, size_t size);
void *rt_xrealloc(void *p, size_t n);
char *rt_xstrdup(const char *s);
char *rt_xstrndup(const char *s, size_t n);
char *rt_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated (sds-like). {0} is empty. */
typedef struct RtBuf {
  char *data;
  size_t len;
  size_t cap;
} RtBuf;
/* Makes room for `extra` more bytes and the NUL (the slow path: callers
 * check the room they have first). */
void rt_buf_grow(RtBuf *b, size_t extra);
/* n (at most 16) bytes from s to d: fixed-size copies that compile to a
 * few moves (two that may overlap), where a call to memcpy costs more than
 * the short pieces of text templates append. */
static inline void rt_copy_short(char *d, const char *s, size_t n) {
  if (n >= 8) {
    uint64_t a, z;
    memcpy(&a, s, 8), memcpy(&z, s + n - 8, 8);
    memcpy(d, &a, 8), memcpy(d + n - 8, &z, 8);
  } else if (n >= 4) {
    uint32_t a, z;
    memcpy(&a, s, 4), memcpy(&z, s + n - 4, 4);
    memcpy(d, &a, 4), memcpy(d + n - 4, &z, 4);
  } else if (n) {
    d[0] = s[0], d[n / 2] = s[n / 2], d[n - 1] = s[n - 1];
  }
}
/* Whether the n bytes at a and b are equal, for short n (at most 16: dict
 * keys, attribute names) by fixed-size loads, two that may overlap, as
 * rt_copy_short copies; memcmp past that. */
static inline bool rt_eq_short(const char *a, const char *b, size_t n) {
  if (n > 16)
    return memcmp(a, b, n) == 0;
  if (n >= 8) {
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a, 8), memcpy(&a1, a + n - 8, 8), memcpy(&b0, b, 8), memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4) {
    uint32_t a0, a1, b0, b1;
    memcpy(&a0, a, 4), memcpy(&a1, a + n - 4, 4), memcpy(&b0, b, 4), memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}
/* Appends len bytes (inline: templates append often and little). */
static inline void rt_buf_add(RtBuf *b, const char *s, size_t len) {
  if (b->len + len + 1 > b->cap)
    rt_buf_grow(b, len);
  if (len <= 16)
    rt_copy_short(b->data + b->len, s, len);
  else
    memcpy(b->data + b->len, s, len);
  b->len += len;
  b->data[b->len] = 0;
}
void rt_buf_puts(RtBuf *b, const char *s);
void rt_buf_putc(RtBuf *b, char c);
/* The decimal digits of i, as "%lld" writes them (no printf on hot paths). */
void rt_buf_int(RtBuf *b, int64_t i);
void rt_buf_printf(RtBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_buf_free(RtBuf *b);
/* Returns the bytes (caller frees) and resets the buffer to empty. */
char *rt_buf_take(RtBuf *b);

/* An arena: many small allocations freed at once (one play's iterator). */
typedef struct RtArenaBlock RtArenaBlock;
typedef struct RtArena {
  RtArenaBlock *head;
} RtArena;
/* Zeroed memory that lives until rt_arena_free. */
void *rt_arena_alloc(RtArena *a, size_t n);
void rt_arena_free(RtArena *a);
/* RtIndex: the runtime's hash map, an open-addressing index of positions
 * into an array its user owns; keys live in that array and `kf` reads the
 * key of position `pos` from it (`ctx` is the user's). {0} is empty. Keys
 * must be unique: find before add. Lookup and insertion are O(1) expected;
 * the hash is seeded per process, so crafted keys cannot make them slow. */
typedef struct RtIndex {
  uint32_t *slots; /* 0 = empty, else position + 1 */
  uint32_t cap;    /* a power of two, or 0 before the first add */
  uint32_t n;
} RtIndex;
typedef const char *(*RtIndexKeyFn)(const void *ctx, uint32_t pos, size_t *len);
uint32_t rt_hash(const char *s, size_t len);
/* The position of `key`, or -1. */
int64_t rt_index_find(const RtIndex *ix, const char *key, size_t len, RtIndexKeyFn kf,
                      const void *ctx);
/* Indexes position `pos`, whose key is not indexed yet. */
void rt_index_add(RtIndex *ix, uint32_t pos, RtIndexKeyFn kf, const void *ctx);
/* Indexes positions 0..n-1 afresh (after entries moved or were removed). */
void rt_index_rebuild(RtIndex *ix, uint32_t n, RtIndexKeyFn kf, const void *ctx);
/* Forgets position `pos` (its key still readable through `kf`); the
 * positions of other keys are unchanged (the caller renumbers if needed). */
void rt_index_remove(RtIndex *ix, uint32_t pos, RtIndexKeyFn kf, const void *ctx);
void rt_index_free(RtIndex *ix);

/* A whole file, NUL-terminated (caller frees); NULL if it cannot be read. */
char *rt_read_file(const char *path, size_t *len);

/* Internal bugs: abort loudly with file:line. */
#define RT_ASSERT(c)                                                                      \
  do {                                                                                    \
    if (!(c))                                                                             \
      rt_panic(__FILE__, __LINE__, #c);                                                   \
  } while (0)
#define RT_UNREACHABLE() rt_panic(__FILE__, __LINE__, "unreachable")
_Noreturn void rt_panic(const char *file, int line, const char *what);

/* ---- value.c: the value representation ------------------------------------- */

typedef enum RtKind {
  RT_UNDEF, /* undefined variable/attribute: carries its name and hint */
  RT_NONE,
  RT_BOOL,
  RT_INT,
  RT_FLOAT,
  RT_STR,
  RT_LIST,
  RT_DICT,
  RT_THUNK, /* a lazy play var: compiled function, evaluated at each use */
  RT_ERROR  /* a failed operation: carries the message */
} RtKind;

/* The Python exception class an error value stands for. */
typedef enum RtExc {
  RT_EXC_OTHER,     /* an AnsibleError: the message says it all */
  RT_EXC_UNDEFINED, /* jinja2's UndefinedError */
  RT_EXC_TYPE,      /* TypeError */
  /* Python exceptions Ansible does not wrap: it reports them as "An exception
   * occurred during task execution ... The error was: ZeroDivisionError: ..." */
  RT_EXC_ZERO_DIVISION, /* ZeroDivisionError */
  RT_EXC_OVERFLOW,      /* OverflowError */
  RT_EXC_VALUE,         /* ValueError */
  RT_EXC_MEMORY,        /* MemoryError */
  RT_EXC_RECURSION,     /* RecursionError: a value nested past RT_MAX_DEPTH */
  /* more of Python's exceptions filters raise (runtime/filters*.c) */
  RT_EXC_KEY,           /* KeyError */
  RT_EXC_INDEX,         /* IndexError */
  RT_EXC_RE,            /* re.error: a bad regular expression */
  RT_EXC_BINASCII,      /* binascii.Error: bad base64 */
  RT_EXC_UNICODE_DECODE,/* UnicodeDecodeError */
  RT_EXC_JSON,          /* json.decoder.JSONDecodeError */
  RT_EXC_ATTRIBUTE,     /* AttributeError */
  RT_EXC_YAML_SCANNER,  /* yaml.scanner.ScannerError (from_yaml) */
  RT_EXC_YAML_PARSER,   /* yaml.parser.ParserError */
  RT_EXC_YAML_COMPOSER, /* yaml.composer.ComposerError */
  RT_EXC_FILTER_ARG,    /* jinja2.exceptions.FilterArgumentError (round's method ...) */
  RT_EXC_ADDR_FORMAT    /* netaddr.core.AddrFormatError (filters_ipaddr.c) */
} RtExc;
/* Python's name of a bare exception class ("ZeroDivisionError"), NULL for
 * OTHER, UNDEFINED and TYPE (Ansible words those itself). */
const char *rt_exc_name(RtExc exc);

typedef struct RtDictEntry {
  RtValue *key; /* an RT_STR; a key of another kind is encoded (dictkey.c) */
  RtValue *val;
} RtDictEntry;

/* How deep values may nest. Loaders (JSON, YAML, inventories) refuse deeper
 * data, and a value built deeper at run time is refused where it is used
 * (rt_too_deep: operands, filters, templates, module arguments, loops), so
 * the recursive operations (render, equality, ordering, copies) never go
 * further than this plus one expression's own nesting. Python's default
 * recursion limit, where Ansible itself gives up on such data. */
#define RT_MAX_DEPTH 1000

/* The ansible-core release whose behaviour playc follows and reports as
 * `ansible_version` (docs/inventory.md, "Magic variables"). */
#define RT_ANSIBLE_VERSION "2.14.18"
#define RT_ANSIBLE_MAJOR 2
#define RT_ANSIBLE_MINOR 14
#define RT_ANSIBLE_REVISION 18

struct RtValue {
  uint32_t refs;  /* atomic; UINT32_MAX marks immortal singletons (none, true, false) */
  uint8_t kind;   /* RtKind */
  uint8_t flags;  /* RT_VF_*: set once by the value's maker, before it is shared */
  uint16_t depth; /* nesting: 0 for scalars, else 1 + the deepest item's (saturates) */
  union {
    bool b;
    int64_t i;
    struct {
      int64_t sat;          /* aliases i: the value saturated to int64 (bigint.c) */
      struct bignum_st *bn; /* OpenSSL's BIGNUM: the exact value, past 64 bits */
    } big;                  /* an RT_INT flagged RT_VF_BIG */
    double f;
    struct {
      size_t len;
      char *s; /* NUL-terminated, immutable */
    } str;
    struct {
      size_t len, cap;
      RtValue **items;
    } list;
    struct {
      size_t len, cap;    /* entries in insertion order */
      RtDictEntry *ents;
      RtIndex index;      /* key → position in ents */
    } dict;
    struct {
      char *name; /* the undefined name ("x", or "x.y" for attributes) */
      char *hint; /* Ansible's message, e.g. "'x' is undefined" */
      RtLoc loc;  /* where the name was used (file NULL when unknown) */
    } undef;
    struct {
      RtExprFn fn;
      const char *name;
    } thunk;
    struct {
      char *msg;
      uint8_t exc; /* RtExc: the Python exception it stands for (Ansible words them apart) */
      RtLoc loc;   /* the undefined name's use, when exc is RT_EXC_UNDEFINED */
    } err;
  } u;
};

static inline RtKind rt_kind(const RtValue *v) { return (RtKind)v->kind; }
/* Whether `v` has one reference only (its holder may edit it in place; a
 * count of 1 cannot rise behind the holder's back). Read atomically: other
 * threads may be changing the count of a shared value. */
static inline bool rt_sole_ref(const RtValue *v) { return __atomic_load_n(&v->refs, __ATOMIC_ACQUIRE) == 1; }
/* rt_incref inline, and rt_decref without the call for what holds no
 * count: NULL, and the immortal values (none, true, false, once-per-run
 * constants), whose count never changes (a relaxed load reads it). For hot
 * loops of the runtime. */
static inline RtValue *rt_retain(RtValue *v) {
  if (v && __atomic_load_n(&v->refs, __ATOMIC_RELAXED) != UINT32_MAX)
    __atomic_fetch_add(&v->refs, 1, __ATOMIC_RELAXED);
  return v;
}
static inline void rt_release(RtValue *v) {
  if (v && __atomic_load_n(&v->refs, __ATOMIC_RELAXED) != UINT32_MAX)
    rt_decref(v);
}

/* RtValue.flags. RT_VF_NATIVE_TEXT: a string made by one of Ansible's
 * STRING_TYPE_FILTERS (to_json, to_yaml, string ...), its NativeJinjaText:
 * a template whose whole result it is keeps it as text (rt_tpl_single),
 * never turning "[1, 2]" back into a list. Any new string drops the mark. */
enum { RT_VF_NATIVE_TEXT = 1, RT_VF_MARKUP = 2 /* markupsafe's Markup (escape, safe): not escaped again */,
       RT_VF_NAMESPACE = 4 /* a dict made by namespace(): `{% set ns.x = v %}` may assign to it */,
       RT_VF_UNSAFE = 8 /* a string Ansible marks unsafe (AnsibleUnsafeText: registered results,
                           facts, lookup results): never templated (eval.c) */,
       RT_VF_TUPLE = 16 /* a list that is Python's tuple: printed (a, b), never equal to a list */,
       RT_VF_KEY = 32 /* an encoded dict key holding its key's repr past its bytes (dictkey.c) */,
       RT_VF_BIG = 64 /* an RT_INT past 64 bits: u.big holds a BIGNUM (bigint.c) */ };

/* Whether int `v` is past 64 bits (its exact value is u.big.bn; u.i holds
 * it saturated, so size and index readers refuse it as too large). */
static inline bool rt_is_big(const RtValue *v) { return v->kind == RT_INT && (v->flags & RT_VF_BIG); }

/* Tuples are lists flagged RT_VF_TUPLE (rt_tuple_new or playc.h's
 * rt_list_tuple): every list operation reads them, and what tells them
 * apart is where Python does (str/repr, ==, +, type names). */
static inline bool rt_is_tuple(const RtValue *v) { return v->kind == RT_LIST && (v->flags & RT_VF_TUPLE); }
RtValue *rt_tuple_new(size_t cap);

/* Constructors beyond playc.h's. */
RtValue *rt_strz(const char *s);                      /* from a C string */
RtValue *rt_str_take(char *s, size_t len);            /* takes malloc'd `s` */
RtValue *rt_undef(const char *name, const char *hint); /* hint NULL → "'name' is undefined" */
/* The same, remembering where the name was used (`loc` may be NULL). */
RtValue *rt_undef_at(const char *name, const char *hint, const RtLoc *loc);
/* rt_undef_at taking name and hint (both malloc'd, owned by the value from now on). */
RtValue *rt_undef_take(char *name, char *hint, const RtLoc *loc);
/* The error to propagate for `v`, an error or an undefined value (rt_is_error):
 * an error itself (new reference); for an undefined, an error holding its
 * hint as the message, exc RT_EXC_UNDEFINED and the name's location. */
RtValue *rt_error_of(RtValue *v);
RtValue *rt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
RtValue *rt_type_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error of class `exc` (rt_error is RT_EXC_OTHER, rt_type_error RT_EXC_TYPE). */
RtValue *rt_error_exc(RtExc exc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
RtValue *rt_thunk(RtExprFn fn, const char *name);

/* True when `v` nests deeper than RT_MAX_DEPTH; rt_too_deep_error is the
 * error its users return instead of recursing into it. */
static inline bool rt_too_deep(const RtValue *v) { return v->depth > RT_MAX_DEPTH; }
RtValue *rt_too_deep_error(void);

/* Lists and dicts: accessors return BORROWED references. */
size_t rt_len(const RtValue *v); /* list/dict/str length */
RtValue *rt_list_at(const RtValue *list, size_t i);
RtValue *rt_dict_get(const RtValue *dict, const char *key); /* NULL if absent */
/* Dict mutation for values the caller owns alone (refs == 1) — e.g. a module
 * building its result. Takes `val`. */
void rt_dict_set(RtValue *dict, const char *key, RtValue *val);
void rt_dict_del(RtValue *dict, const char *key);
/* The value under the key of bytes `key` (`len` of them), borrowed; NULL if absent. */
RtValue *rt_dict_get_n(const RtValue *dict, const char *key, size_t len);
/* rt_dict_get_n of the dict d where one site of compiled code looks the
 * same key up in dicts of one shape (a loop's items): *hint (the site's own
 * word, shared by host threads: read and written atomically, a hint only)
 * is the position tried first, and where the key was found last. */
RtValue *rt_dict_get_at(const RtValue *d, const char *key, size_t len, int32_t *hint);
/* Keys of any hashable kind (dictkey.c). A dict's entry keys are strings;
 * a key that is an int, float, bool, None or tuple is stored encoded: a
 * string of 0xff then a form equal for keys Python finds equal (1, 1.0,
 * True), which no text has. rt_dict_key_encode gives the entry key for
 * `k` (new reference: `k` itself for a string; a TypeError "unhashable
 * type" for a list or dict, `k`'s error for an error);
 * rt_dict_key_value the key as programs see it (new reference: an int for
 * an encoded 1). rt_dict_put_key puts under entry key `key` (borrowed; a
 * new entry keeps it, an existing one its first key) and takes `val`. */
bool rt_dict_key_encoded(const RtValue *key);
RtValue *rt_dict_key_encode(RtValue *k);
RtValue *rt_dict_key_value(RtValue *key);
void rt_dict_put_key(RtValue *dict, RtValue *key, RtValue *val);
/* The value under key `k` of any kind (borrowed), NULL if absent or unhashable. */
RtValue *rt_dict_get_value(const RtValue *dict, RtValue *k);
/* Appends the text json.dumps makes of entry key `key`: the string, or
 * 1, 2.5, true, null for an encoded one. */
void rt_dict_key_json(RtBuf *b, RtValue *key);
/* The entries of dict `d` in the order Python's sorted() gives its keys
 * (json.dumps(sort_keys=True), dictsort): out[d's length] is filled. A
 * TypeError value when the keys do not order ('<' not supported between
 * instances of 'str' and 'int'); out is then filled in some order. */
RtValue *rt_dict_sort_entries(const RtValue *d, const RtDictEntry **out);
/* Appends an entry whose key (a string value, taken: an immortal one costs
 * no allocation) the dict does not hold yet. Takes key and val. */
void rt_dict_push_key(RtValue *dict, RtValue *key, RtValue *val);
/* Removes the last entry (a dict's owner editing it in place: no reindexing). */
void rt_dict_pop(RtValue *dict);
/* A shallow copy with refs == 1 (for copy-on-write of shared dicts); a
 * tuple's copy is a list. */
RtValue *rt_dict_copy(const RtValue *dict);
RtValue *rt_list_copy(const RtValue *list);

/* Python equality (1 == 1.0 == True, list/dict deep). */
bool rt_equal(const RtValue *a, const RtValue *b);

/* ---- ops.c: numbers --------------------------------------------------------- */

/* The number a bool, int or float value holds (arith.h). */
RtNum rt_num_of(const RtValue *v);
/* The error value for a failed arith.h operation and its message. */
RtValue *rt_arith_error(RtArithErr e, const char *msg);

/* ---- tplstmt.c: a variable read inside a template that changed a copy of
 * its value (rt_local_method) reads the copy: takes `v`, returns it or the
 * copy (new reference). */
RtValue *rt_tpl_moved(RtHost *h, RtValue *v);

/* ---- bigint.c: ints past 64 bits (OpenSSL BIGNUM) ---------------------------
 * Operands are ints (RT_INT big or not, RT_BOOL) unless said; results are
 * new references, demoted to plain ints when they fit. */

/* `a op b` (+ - * / // % **), a and b ints or floats, at least one of them
 * big or the int64 result overflowing; Python's semantics and messages. */
RtValue *rt_bigint_binop(int32_t op, const RtValue *a, const RtValue *b);
RtValue *rt_bigint_neg(const RtValue *a);
RtValue *rt_bigint_abs(const RtValue *a);
/* Python ordering of numbers a, b (one of them big; the other an int, bool
 * or float), exact: -1, 0, 1, or 2 when a NaN makes them unordered. */
int rt_bigint_cmp(const RtValue *a, const RtValue *b);
/* float(v), correctly rounded; false when it does not fit in a double. */
bool rt_bigint_to_double(const RtValue *v, double *out);
/* float(v) as a value, or Python's "int too large to convert to float". */
RtValue *rt_bigint_float(const RtValue *v);
/* int(f) of a finite double past int64 (truncated). */
RtValue *rt_bigint_from_double(double f);
/* The exact decimal digits of the finite, integral double `f` (dict keys). */
void rt_bigint_canon_double(RtBuf *b, double f);
/* The decimal digits of int `v`, big or not. */
void rt_buf_intval(RtBuf *b, const RtValue *v);
/* Python 3.11's ValueError for str() of an int past 4300 digits, else NULL. */
RtValue *rt_bigint_str_error(const RtValue *v);
/* int(text, base) of text rt_arith_parse_int accepted but found past
 * 64 bits; Python's 4300-digit ValueError for long decimal text. */
RtValue *rt_bigint_parse(const char *s, size_t len, int base);
/* The digits of |big| for a format conversion: 'd' (or 'i', 'u') decimal,
 * 'x'/'X' hex, 'o' octal, 'b' binary; no sign, no prefix. */
void rt_bigint_magnitude(RtBuf *b, const RtValue *big, char conv);
/* math.log (or log10 when `ten`) of big `v`, as CPython's loghelper
 * computes it for ints past a double; false for a negative one. */
bool rt_bigint_log(const RtValue *big, bool ten, double *out);
/* Releases the BIGNUM of a big int being freed (value.c). */
void rt_bigint_free(RtValue *v);

/* ---- render.c: text forms of values --------------------------------------- */

/* Python str(v): what Jinja prints for {{ v }}. Appends to `b`. */
void rt_render_str(RtBuf *b, const RtValue *v);
/* Python repr(v). */
void rt_render_repr(RtBuf *b, const RtValue *v);
/* Python json.dumps(v, sort_keys, indent=indent or None when indent < 0,
 * ensure_ascii=False) as Ansible's callbacks print results. */
void rt_render_json(RtBuf *b, const RtValue *v, int indent, bool sort_keys);
/* yaml.dump as the yaml stdout callback calls it (block style, width 1000,
 * sorted keys, multi-line strings as cleaned literal blocks): a string
 * value, or an error value (new reference either way). */
RtValue *rt_yaml_dump_callback(const RtValue *v);
/* Parses a Python literal (ast.literal_eval subset: str, int, float, True,
 * False, None, list, tuple, dict). NULL when `s` is not one. */
RtValue *rt_parse_pyliteral(const char *s, size_t len);
/* The same as Ansible's ansible_eval_concat converts a template's text:
 * its Json2Python makes the names true, false and null constants too, so
 * the JSON text of a filter outside STRING_TYPE_FILTERS becomes data. */
RtValue *rt_parse_template_literal(const char *s, size_t len);
/* Parses JSON text (jansson); NULL with *err set (malloc'd) on bad input. */
RtValue *rt_parse_json(const char *s, size_t len, char **err);
/* Parses YAML text (libyaml, YAML 1.1 scalars as PyYAML); run-time data only
 * (inventories, -e @file.yml). NULL with *err set on bad input. */
RtValue *rt_parse_yaml(const char *s, size_t len, const char *file, char **err);
/* Every document of run-time YAML text, as PyYAML's CSafeLoader reads them
 * (the from_yaml and from_yaml_all filters): a new list of values. On bad
 * input, NULL with *err (malloc'd) in PyYAML's words ("while parsing ...\n
 * in "<unicode string>", line 1, column 1") and *kind 1 when libyaml's
 * scanner refused the text, 2 when its parser did, 0 otherwise. *marks (may
 * be NULL) gets a list with, per document, [line, column] of its start
 * and of its root node's (1-based), for PyYAML's messages. */
RtValue *rt_parse_yaml_all(const char *s, size_t len, RtValue **marks, char **err, int *kind);
/* Ansible's boolean(): true/false/yes/no/on/off/1/0/y/n (case-insensitive).
 * Returns 1, 0, or -1 if `v` is not one of those. */
int rt_to_boolean(const RtValue *v);

/* ---- vars.c: per-host variables ------------------------------------------- */

/* Sets `name` at dynamic level `level` (RT_LV_INVENTORY, RT_LV_FACTS,
 * RT_LV_INCLUDE_VARS, RT_LV_SET_FACT, RT_LV_LOOP) of host `h` (takes `val`). */
void rt_host_set_var(RtHost *h, int level, const char *name, RtValue *val);
/* Drops every variable of dynamic level `level` of host `h`. */
void rt_host_clear_level(RtHost *h, int level);
/* Cross-host reads (hostvars) never touch another host's live layers: each
 * host publishes a snapshot of the layers hostvars shows (inventory, facts,
 * include_vars, set_fact and register), and other hosts' threads read only
 * that. The layer dicts are copy-on-write at refs > 1, so a published dict
 * is immutable: the snapshot's reference makes the next write copy it.
 * rt_host_publish republishes `h` when a layer changed since; call it on
 * the thread that owns `h` (the scheduler, between its steps), at task
 * boundaries. rt_host_init_publish / rt_host_drop_publish set up and free
 * the publication (host creation, run end). */
void rt_host_publish(RtHost *h);
void rt_host_init_publish(RtHost *h);
void rt_host_drop_publish(RtHost *h);
/* A module result holding this key reports an error Ansible raises rather
 * than returns: rt_step_run removes the key and adds no "changed". */
#define RT_RAISED_KEY "_playc_raised"
/* A module result holding this key is what an action's AnsibleActionSkip or
 * AnsibleActionFail carries: rt_step_run removes the key, adds "changed"
 * but no default "failed" (TaskExecutor returns it before that step). */
#define RT_ACTION_EXC_KEY "_playc_action_exc"

/* task.c: Ansible's message for an error (or undefined) met while evaluating
 * the conditional `src` (when, changed_when, failed_when, assert's that).
 * Returns a malloc'd string. */
char *rt_cond_error_text(const char *src, const RtValue *err);

/* True for the value of `omit` (module args holding it are dropped). */
bool rt_is_omit(const RtValue *v);
/* The names of the variables host `h` sees (loop, frames, -e, prompts,
 * include params, the dynamic levels), each once: a new list of strings. */
RtValue *rt_var_names(RtHost *h);
/* set_fact / register: sets a host variable at the set_fact level (takes `val`). */
void rt_host_set_fact(RtHost *h, const char *name, RtValue *val);
/* delegate_facts. A host's layers are written only by the thread that runs
 * it, so a delegated step cannot write its delegate's: rt_facts_capture
 * takes references to h's fact levels (facts, set_fact, include_vars)
 * before the module runs (`saved`: RT_FACT_LEVELS slots); rt_facts_divert,
 * after it, gives h back those layers and posts what the module changed in
 * them to run->inbox for host `to`. rt_host_take_facts merges one posted
 * [name, level, dict] entry into `o` (its owner calls it: the scheduler at
 * a task boundary, when no thread runs `o`). Posting takes run->inbox_lock
 * only. */
enum { RT_FACT_LEVELS = 3 };
void rt_facts_capture(RtHost *h, RtValue **saved);
void rt_facts_divert(RtHost *h, const char *to, RtValue **saved);
void rt_host_take_facts(RtHost *o, const RtValue *entry);

/* ---- eval.c: the run-time evaluator ------------------------------------------ */

/* Run-time data (inventory, -e, set_fact values ...) templated where it is
 * used, as Ansible's Templar does: a string holding template syntax is
 * parsed by the frontend's Jinja parser and evaluated with the runtime's own
 * operations, filters, tests, methods and lookups for host `h`; lists and
 * dicts are templated item by item (keys as they are); unsafe strings
 * (RT_VF_UNSAFE) and anything else come back as they are. `name` is the
 * variable's, for messages. Borrows `v`, returns a new reference (an error,
 * or an undefined value carrying Ansible's hint, when templating fails). */
RtValue *rt_eval_data(RtHost *h, RtValue *v, const char *name);
/* True if `v` holds a safe string with template syntax anywhere in it. */
bool rt_data_has_template(const RtValue *v);
/* Ansible's merge_hash(x, y) (hash_behaviour=merge): a new dict of x's
 * entries then y's, a key in both holding dicts merged recursively, any
 * other value of y winning. Borrows both; new reference. */
RtValue *rt_merge_hash(const RtValue *x, const RtValue *y);
/* combine_vars(a, {k: v}) into dict `d` (owned by the caller, not shared):
 * v merged into d's dict of that name when `merge` and both are dicts, else
 * set. Takes `v`. */
void rt_combine_set(RtValue *d, const char *k, RtValue *v, bool merge);

/* `v` with every string marked unsafe (Ansible's wrap_var): strings are
 * copied unless already unsafe, containers rebuilt. Borrows `v`. */
RtValue *rt_unsafe_wrap(RtValue *v);
/* True if `v` is an unsafe string, or a container holding one (Ansible's
 * AnsibleContext._is_unsafe). */
bool rt_value_unsafe(const RtValue *v);
/* A filter's or method's result `r` (taken) computed from `base`, `args`,
 * `kwargs` (borrowed, may be NULL): unsafe when any of them is, as Ansible's
 * template result is unsafe once it read an unsafe value. */
RtValue *rt_unsafe_taint(RtValue *r, const RtValue *base, const RtValue *args, const RtValue *kwargs);

/* ---- main.c ------------------------------------------------------------------ */

/* One -e argument (`k=v ...`, a YAML/JSON dict, or @FILE) → a dict (new
 * reference), or NULL with *err (malloc'd) and *rc set to ansible-playbook's
 * exit code for it (1 unreadable file, 4 unparsable data, 5 not a dict).
 * Separate from the command line so that the fuzz target (tests/fuzz) can
 * call it. */
RtValue *rt_extra_vars_parse(const char *arg, char **err, int *rc);

/* ---- inventory.c ----------------------------------------------------------- */

/* Limits on what one inventory may ask for, each an error naming it: hosts
 * one pattern (web[1:1000000], several ranges multiply) may produce, hosts
 * in all, host-group memberships (each host times the groups it belongs to,
 * directly or through children: what group_names and `groups` hold), and
 * group nesting (Ansible itself fails past Python's recursion limit). */
#define RT_INV_MAX_RANGE 1000000
#define RT_INV_MAX_HOSTS (1 << 22)
#define RT_INV_MAX_MEMBERSHIPS (1 << 24)
#define RT_INV_MAX_DEPTH RT_MAX_DEPTH

typedef struct RtInvHost {
  char *name;
  RtValue *vars;    /* dict: the host's own vars, NULL when it has none */
  int *direct;      /* groups it was added to, in order (indexes) */
  int ndirect, capdirect;
  int *groups;      /* after rt_inventory_finish: its groups, direct and inherited,
                     * without "all", sorted by name (Ansible's group_names) */
  int ngroups;
  bool implicit;    /* the implicit localhost: matches "localhost", never "all" */
  char *source;     /* the source that named it first (Ansible's inventory_file): an
                     * absolute path, or a host list as given; NULL when implicit */
  RtValue *file_vars; /* host_vars/NAME beside the sources (rt_inventory_load_vars), or NULL */
  bool file_vars_done;
} RtInvHost;

typedef struct RtInvGroup {
  char *name;
  RtValue *vars;    /* dict, NULL when it has none */
  int *children;    /* child groups in the order added (indexes) */
  int nchildren, capchildren;
  int *parents;
  int nparents, capparents;
  int *hosts;       /* direct members in the order added (indexes) */
  int nhosts, caphosts;
  int depth;        /* after rt_inventory_finish: Ansible's Group.depth (all = 0) */
  int priority;     /* ansible_group_priority (a setting, not a var); 1 unless set */
  bool priority_set;
  RtValue *file_vars; /* group_vars/NAME beside the sources (rt_inventory_load_vars), or NULL */
  bool file_vars_done;
} RtInvGroup;

typedef struct RtInvPair {
  int a, b;
} RtInvPair;

/* Hosts and groups in order of creation, each found by name in O(1); edges
 * and memberships are kept once each (an RtIndex over the pairs). Entries
 * are addressed by index, never by pointer, since the arrays grow. */
typedef struct RtInventory {
  RtInvHost *hosts;
  int nhosts, caphosts;
  RtInvGroup *groups;
  int ngroups, capgroups;
  RtIndex host_index, group_index;
  RtInvPair *edges;   /* (parent, child), in order added */
  int nedges, capedges;
  RtIndex edge_index;
  RtInvPair *members; /* (group, host), in order added */
  int nmembers, capmembers;
  RtIndex member_index;
  bool dirty;            /* changed since rt_inventory_finish */
  RtValue *groups_value; /* the `groups` magic var, built once (atomic) */
  int max_hosts;         /* hosts one load may name; 0: RT_INV_MAX_HOSTS (a
                            smaller bound keeps fuzzing's work per input small) */
  bool hash_merge;       /* hash_behaviour=merge: dicts of a name combine recursively
                            (combine_vars) wherever vars meet, here and in rt_var */
  bool no_scripts;       /* never run an executable source (fuzzing: an input
                            starting with "#!" would run) */
  char **vars_dirs;      /* where group_vars/ and host_vars/ are looked for: each
                            source's folder (the source itself when it is one) */
  int nvars_dirs;
  struct RtRun *vault_run; /* the run whose vault secrets open an encrypted source
                              and its `!vault` values (rt_vault_load_data); NULL: none */
  RtValue *localhost_file_vars; /* host_vars/localhost while no host has that name (the
                                   implicit localhost's, for hostvars), or NULL */
  bool localhost_file_vars_done;
} RtInventory;

/* Loads one -i source (a file: INI, YAML or an executable inventory script;
 * a folder: each of its files, as InventoryManager.parse_source walks it;
 * "a,b," a host list) into `inv`. A file loads whole or not at all: on a bad
 * source, returns false with *err (malloc'd, Ansible's words) and leaves
 * `inv` as it was. The files of a folder that fail are warned about here
 * (rt_inventory_warn_failed); the folder fails when none of them loaded. */
bool rt_inventory_load(RtInventory *inv, const char *source, char **err);
/* Prints the warnings ansible-playbook prints for a source that failed (`err`
 * as rt_inventory_load set it: one message per plugin that tried, 0x1f
 * between them). */
void rt_inventory_warn_failed(const char *source, const char *err);
/* Reads group_vars/NAME and host_vars/NAME beside every source for the
 * groups and hosts that have not read them yet (host_group_vars: NAME,
 * NAME.yml, .yaml, .json, or a folder NAME/ read recursively in sorted
 * order). False with *err (malloc'd) on a bad file. */
bool rt_inventory_load_vars(RtInventory *inv, char **err);
/* `ansible-inventory --list` of the inventory: JSON, keys sorted, into `b`. */
void rt_inventory_dump(RtInventory *inv, RtBuf *b);
/* Warns about names that are both a host and a group, as reconcile_inventory
 * does once the sources are in. */
void rt_inventory_warn_conflicts(const RtInventory *inv);
/* Adds the implicit localhost when a pattern names it and the inventory has
 * not; returns its index. */
int rt_inventory_implicit_localhost(RtInventory *inv);
/* Reconciles the inventory as Ansible does once its sources are loaded
 * (top-level groups become children of "all", hosts in no group join
 * "ungrouped"), then computes group depths and each host's groups. Cheap
 * when nothing changed since the last call. */
void rt_inventory_finish(RtInventory *inv);
/* Hosts matching an Ansible pattern ("all", "web", "a:b", "a,b", "a:&b",
 * "a:!b", "web*", "~re", "web[0:2]"), in Ansible's order: patterns in the
 * order given with intersections and exclusions applied after, a group's
 * hosts its own first, then its children's level by level. Returns a
 * malloc'd array of host indexes. Needs rt_inventory_finish. */
int *rt_inventory_match(RtInventory *inv, const char *pattern, int *count);
/* Variables of host `i`, merged as VariableManager does: "all"'s inventory
 * vars, then its group_vars files, then the other groups' inventory vars by
 * (depth, ansible_group_priority, name), their group_vars files in that
 * order, then the host's inventory vars and its host_vars files. New
 * reference. */
RtValue *rt_inventory_host_vars(RtInventory *inv, int i);
/* The same with the playbook's group_vars/host_vars: `pb` merges the vars of
 * group or host `name` into `vars` after the inventory's own at each tier
 * ("all", the other groups in the order above, the host). */
typedef void (*RtInvVarsFn)(void *ctx, RtValue *vars, const char *name, bool host);
RtValue *rt_inventory_host_vars_with(RtInventory *inv, int i, RtInvVarsFn pb, void *ctx);
/* The variables of the implicit localhost when the inventory has no host
 * named "localhost" (Ansible's HostVars shows it all the same): "all"'s
 * inventory vars and group_vars files, ansible_connection=local, and its
 * host_vars files as rt_inventory_load_vars read them. NULL when a host has
 * that name. New reference. */
RtValue *rt_inventory_localhost_vars(RtInventory *inv);
/* group_names of host `i`: a new list of strings. */
RtValue *rt_inventory_group_names(RtInventory *inv, int i);
/* The `groups` magic var: {group: [host names]} for every group, built once
 * after rt_inventory_finish (shared: a new reference to the same dict). */
RtValue *rt_inventory_groups(RtInventory *inv);
/* The index of host `name`, or -1. */
int rt_inventory_find_host(const RtInventory *inv, const char *name);
void rt_inventory_free(RtInventory *inv);

/* ---- interrupt.c: SIGINT, SIGTERM, SIGHUP ----------------------------------- */

/* Blocks the three signals in the calling thread (and so in every thread it
 * creates later) and starts the thread that waits for them: the first sets
 * the interrupted flag, a second ends the process (exit 99). Call once,
 * before any other thread exists. */
void rt_interrupt_init(void);
/* True once an interrupt arrived. Whatever waits on a target checks it at
 * least every 100 ms. */
bool rt_interrupted(void);
/* Starts this thread's step deadline `seconds` from now (0: none): past it,
 * rt_interrupted() is true on this thread only (the `timeout` keyword). */
void rt_deadline_set(int64_t seconds);
/* Clears this thread's deadline; true when it had passed. */
bool rt_deadline_end(void);
/* Sleeps `seconds`, waking early when an interrupt arrives; false then. */
bool rt_sleep(double seconds);
/* Sets the flag as a signal would (for tests). */
void rt_interrupt_raise(void);
/* In a child between fork and exec (async-signal-safe): default dispositions
 * and an empty signal mask, so the child's commands can be interrupted. */
void rt_interrupt_child(void);

/* ---- conn.c, conn_local.c, conn_ssh.c: connections ------------------------ */

/* The result of one request. Module scripts report what they found and did
 * as records (modules/target.c writes them, conn.c reads them back under the
 * connection's random token), so no byte a target prints is ever protocol. */
typedef struct RtExec {
  int rc;       /* the script's exit status */
  RtBuf out;    /* its stdout with the records taken out: what commands printed */
  RtBuf err;    /* its stderr */
  RtValue *rec; /* dict of the records: key → str; keys written "k[]" gather a list */
} RtExec;

typedef struct RtConn RtConn;
typedef struct RtConnOps {
  /* Runs `script` with /bin/sh on the target, stdin from `in` (may be NULL).
   * Returns 0, or -1 when the host is unreachable or the run was interrupted
   * (message in *err, malloc'd). */
  int (*exec)(RtConn *c, const char *script, const char *in, size_t inlen, RtExec *res,
              char **err);
  /* Writes `len` bytes to `path` on the target (creating or truncating, mode
   * `mode`). Returns 0, or -1 with *err (and c->lost set when the connection
   * itself failed). */
  int (*put)(RtConn *c, const char *path, const void *data, size_t len, int mode, char **err);
  /* Removes the file `path` without the shell (which an interrupt may have
   * stopped): SFTP or unlink. 0, or -1 with *err. */
  int (*remove)(RtConn *c, const char *path, char **err);
  void (*close)(RtConn *c);
  /* become.c: starts another shell on the same transport (a second channel
   * of the SSH session, another local child) running `command`, unframed:
   * the caller negotiates it (RtShell read/write) before framing starts.
   * Close it before `c`. NULL with *err on failure. */
  RtConn *(*spawn)(RtConn *c, const char *command, char **err);
  /* Reads the whole file `path` on the target into `out` (SFTP, or plain
   * file IO locally): the file-content modules read bodies too large to
   * travel in a reply this way. 0, or -1 with *err (and c->lost set when
   * the connection itself failed). */
  int (*get)(RtConn *c, const char *path, RtBuf *out, char **err);
  /* One DNS-over-TCP exchange from the target's side of the network (an SSH
   * direct-tcpip channel opened by the target's sshd, or a socket here for
   * a local connection): connects to `addr` (an IP address) port `port`,
   * sends `len` bytes of `msg` with their 2-byte length, reads one reply
   * the same way into `reply`, within `timeout` seconds. 0, or -1 with
   * *err as Python words the socket error: "(ExceptionClass): text"
   * (c->lost set when the connection itself failed). */
  int (*tcp)(RtConn *c, const char *addr, int port, const void *msg, size_t len, int timeout, RtBuf *reply,
             char **err);
} RtConnOps;

struct RtConn {
  const RtConnOps *ops;
  bool lost;    /* the transport failed or stopped answering: nothing more to send */
  char **temps; /* temp files on the target that outlive a request (malloc'd paths) */
  int ntemps;
};

/* Connection parameters, resolved from host vars and options (docs/connections.md).
 * Values the inventory leaves unset (port 0, user NULL, ...) come from the ssh
 * arguments' -o options, then from the ssh config, as OpenSSH takes them. */
typedef struct RtConnParams {
  const char *host;     /* ansible_host or inventory name: what the ssh config's Host matches */
  int port;             /* ansible_port, -o Port, or 0: the ssh config's, else 22 */
  const char *user;     /* ansible_user, -u, -o User, or NULL: the ssh config's, else the local user */
  const char *key_file; /* ansible_ssh_private_key_file or NULL (agent, default keys) */
  const char *password; /* ansible_password / -k, or NULL: never in argv or output */
  const char *ssh_config;  /* the user's ssh config file (~/.ssh/config, -F), or NULL: none */
  bool system_config;      /* also /etc/ssh/ssh_config (not with -F) */
  const char *proxy_jump;  /* -J / -o ProxyJump: [user@]host[:port][,...], "none", or NULL */
  const char *proxy_command; /* -o ProxyCommand (run by /bin/sh), "none", or NULL */
  const char *known_hosts; /* NULL: the ssh config's UserKnownHostsFile, else ~/.ssh/known_hosts */
  int host_key_checking;   /* RT_HKC_* */
  int timeout;             /* seconds for each step of connecting (TCP, key exchange, auth) */
  int alive_interval;      /* seconds of silence before a liveness probe (0: never) */
  int alive_count;         /* unanswered probes before the host is unreachable */
} RtConnParams;
enum { RT_HKC_STRICT, RT_HKC_ACCEPT_NEW, RT_HKC_OFF };

RtConn *rt_conn_local_open(char **err);
RtConn *rt_conn_ssh_open(const RtConnParams *p, char **err);
/* Removes the connection's remaining temp files (unless it is lost), then
 * closes it. Takes `c`. */
void rt_conn_close(RtConn *c);
void rt_exec_free(RtExec *e);

/* Runs `script` on host `h`'s connection, opening it on first use. Returns 0,
 * or -1 when unreachable (the host is marked unreachable, message in *err)
 * or interrupted (rt_interrupted(); the host is not marked). */
int rt_host_exec(RtHost *h, const char *script, const char *in, size_t inlen, RtExec *res,
                 char **err);
/* Writes a file body on the target (as RtConnOps.put). -1 with *err: a lost
 * connection marks the host unreachable; other errors are the module's. */
int rt_host_put(RtHost *h, const char *path, const void *data, size_t len, int mode,
                char **err);
/* Reads a file body from the target (as RtConnOps.get) into `out`. -1 with
 * *err: a lost connection marks the host unreachable; other errors are the
 * module's. */
int rt_host_get(RtHost *h, const char *path, RtBuf *out, char **err);
/* One TCP exchange from the target's side (as RtConnOps.tcp). -1 with
 * *err: a lost connection marks the host unreachable; other errors (the
 * peer refused, timed out) are the module's. */
int rt_host_tcp(RtHost *h, const char *addr, int port, const void *msg, size_t len, int timeout, RtBuf *reply,
                char **err);
/* Remembers a temp file that outlives the request that made it: removed when
 * the connection closes (interrupt, error) unless forgotten first. */
void rt_host_temp_keep(RtHost *h, const char *path);
void rt_host_temp_forget(RtHost *h, const char *path);
/* Removes a kept temp file now (best effort) and forgets it. */
void rt_host_temp_remove(RtHost *h, const char *path);
/* True when a module must give up without a result: the host is unreachable
 * or the run was interrupted (the module returns NULL). */
bool rt_host_lost(const RtHost *h);
/* Closes the host's connection (rt_conn_close). */
void rt_host_close(RtHost *h);
/* (system family: wait_for_connection, reboot) Closes the host's connection
 * and forgets that it was found unreachable, so the next request connects
 * afresh: a module that expects the target to go away and come back tries
 * again instead of ending the host's play. */
void rt_host_reset(RtHost *h);
/* Before a step of `h` (not delegated): swaps the host's own connection for
 * the parked one of the other type when the step asks for another type
 * (local or ssh: the connection keyword), and closes the ssh connection
 * when the task's remote_user or port keyword differs from what it was
 * opened with (the next request reopens it). */
void rt_conn_retarget(RtHost *h);
/* Whether the running step of `h` asks for a local connection (the
 * ansible_connection variable, the connection keyword, -c). */
bool rt_conn_wants_local(RtHost *h);
/* Quotes `s` for /bin/sh (single quotes), appending to `b`. */
void rt_sh_quote(RtBuf *b, const char *s);
/* `n` random bytes (from the kernel) as 2n hex digits into out (2n + 1 bytes). */
void rt_random_hex(char *out, size_t n);
/* Shell functions every connection defines once, before its first request,
 * for the module scripts (modules/target.c). */
extern const char rt_target_prelude[];

typedef struct RtRun RtRun;

/* ---- iterator.c: where each host stands in a play (Ansible's PlayIterator) ---- */

/* An included file's instance (Ansible's IncludedFile): hosts that include
 * the same candidate with the same loop variables share it. */
typedef struct RtIncInst RtIncInst;
struct RtIncInst {
  const RtTaskDef *site;  /* the include task */
  int32_t candidate;
  RtValue *params;        /* dict: the loop variable, index var, ansible_loop; or NULL */
  RtIncInst *parent;      /* the include the site came from */
};

typedef struct RtBlk RtBlk;
/* A block or task as the iterator hands it out: compiled data in the
 * context of an include instance. A task item's address is its identity. */
typedef struct RtItem {
  const RtTaskDef *task;  /* a task, or NULL for a block */
  RtBlk *blk;             /* a nested block */
  RtIncInst *inc;
  uint8_t *notified;      /* handlers: per host, notified */
} RtItem;

struct RtBlk {
  const RtBlockDef *def;
  RtItem **items[3];      /* block, rescue, always */
  int32_t n[3];
  RtIncInst *inc;
};

typedef struct RtItemVec {
  RtItem **items;
  size_t len, cap;
} RtItemVec;
void rt_itemvec_push(RtItemVec *v, RtItem *x);

enum { RT_IS_SETUP, RT_IS_TASKS, RT_IS_RESCUE, RT_IS_ALWAYS, RT_IS_HANDLERS, RT_IS_COMPLETE };
enum { RT_FS_NONE = 0, RT_FS_SETUP = 1, RT_FS_TASKS = 2, RT_FS_RESCUE = 4, RT_FS_ALWAYS = 8, RT_FS_HANDLERS = 16 };

/* A host's state (Ansible's HostState). States are copied, never edited in
 * place once stored, so a peek costs a copy (like Ansible's). */
typedef struct RtHState RtHState;
struct RtHState {
  RtBlk **blocks;
  int32_t nblocks;
  int32_t cur_block, cur_regular, cur_rescue, cur_always, cur_handlers;
  int run_state, fail_state, pre_flushing_run_state;
  bool update_handlers, pending_setup, did_rescue, did_start_at_task;
  RtHState *tasks_child, *rescue_child, *always_child;
  RtItem **handlers;
  int32_t nhandlers;
};

typedef struct RtIter {
  const RtPlayDef *play;
  RtArena arena;
  RtHState **states;      /* per play host */
  int nhosts;
  bool gather;            /* the play gathers facts */
  uint8_t *skip_gather;   /* per play host: gathering = smart found its facts (NULL: none skip) */
  RtTaskDef setup_def;    /* Gathering Facts */
  RtItem *setup;
  RtItemVec all_tasks;    /* every task in play order, included ones spliced in */
  size_t cur_task;        /* the linear strategy's cursor in all_tasks */
  RtItemVec handlers;     /* the play's handlers, included ones appended */
  const char *const *only_tags; /* --tags (["all"] by default) */
  const char *const *skip_tags; /* --skip-tags, or NULL */
} RtIter;

/* Builds the play's iterator for `nhosts` hosts; tasks whose tags the run's
 * --tags / --skip-tags exclude are left out (Block.filter_tagged_tasks). */
void rt_iter_init(RtIter *it, const RtRun *run, const RtPlayDef *play, int nhosts, bool gather);
void rt_iter_free(RtIter *it);
/* The next task item of play host `host` (NULL when it is done); with
 * `peek`, the host's state is left as it was. *state (may be NULL) gets the
 * state after the step. */
RtItem *rt_iter_next(RtIter *it, int host, bool peek, RtHState **state);
void rt_iter_mark_failed(RtIter *it, int host);
bool rt_iter_is_failed(RtIter *it, int host);
bool rt_iter_check_failed(const RtHState *s);
void rt_iter_set_failed(RtIter *it, RtHState *s);
void rt_iter_clear_errors(RtIter *it, int host);
/* --start-at-task (PlayIterator.__init__): moves each host's state to just
 * before the first task whose name, or whose name with its role ("role :
 * name", the action when unnamed), is `pattern` or matches it as a shell
 * pattern; the state restarts in SETUP, so facts are gathered first. Hosts
 * where nothing matches are left complete. True when a task matched. */
bool rt_iter_start_at(RtIter *it, const char *pattern);
/* Task.get_name(): the name as written (untemplated), the action when
 * unnamed, after "role : " for a role's task. Malloc'd. */
char *rt_task_get_name(const RtTaskDef *t);
/* The innermost state (a nested block's). */
RtHState *rt_iter_active(RtHState *s);
/* True when the current block, or a nested one, has a rescue. */
bool rt_iter_rescuing(const RtHState *s);
/* A block item instantiated from compiled block `def` for include `inc`. */
RtItem *rt_iter_include_blocks(RtIter *it, const RtBlockDef *def, RtIncInst *inc);
/* Splices block items into the host's current region (add_tasks). */
void rt_iter_add_tasks(RtIter *it, int host, RtItem **blocks, int32_t n);
/* Adds the tasks of block items to all_tasks at the cursor. */
void rt_iter_all_tasks_insert(RtIter *it, RtItem **blocks, int32_t n);
/* run.c: true when handler item `x` is notified for play host `host`. */
bool rt_handler_notified(const RtItem *x, int host);
/* run.c: the RtInvVarsFn of the playbook's compiled group_vars/host_vars
 * (ctx: an RtHost, which builds eager values; lazy ones are thunks). */
void rt_playbook_inv_vars(void *ctx, RtValue *vars, const char *name, bool host);

/* ---- run.c: a run over the program (scheduler, options, host state) -------- */

typedef struct RtOptions {
  const char **inventories;
  int ninventories;
  const char **extra_vars; /* raw -e arguments, in order */
  int nextra_vars;
  int forks;               /* -f, default 5 */
  int verbosity;           /* -v count */
  bool check;              /* -C */
  bool diff;               /* -D */
  const char *limit;       /* -l */
  const char **tags;       /* --tags, NULL-terminated (NULL: all) */
  int ntags;
  const char **skip_tags;  /* --skip-tags, NULL-terminated */
  int nskip_tags;
  const char *user;        /* -u */
  const char *private_key; /* --private-key */
  bool ask_pass;           /* -k: the connection password from the terminal */
  const char *conn_password_file; /* --connection-password-file */
  char *conn_pass;         /* read at start (-k or the file); wiped at exit */
  const char *ssh_args;    /* ANSIBLE_SSH_ARGS (under ansible_ssh_args) */
  const char *ssh_common_args; /* --ssh-common-args, else ANSIBLE_SSH_COMMON_ARGS */
  const char *ssh_extra_args;  /* --ssh-extra-args, else ANSIBLE_SSH_EXTRA_ARGS */
  int timeout;             /* -T/--timeout, else ANSIBLE_TIMEOUT/ANSIBLE_SSH_TIMEOUT; 0: 10 s */
  int ssh_retries;         /* ANSIBLE_SSH_RETRIES (under ansible_ssh_retries); 0 */
  const char *connection;  /* -c */
  int host_key_checking;   /* RT_HKC_* (--ssh-host-key-checking=strict|accept-new|off) */
  const char *known_hosts; /* --known-hosts FILE */
  bool plan;               /* --plan */
  bool plan_json;          /* --plan=json */
  RtVaultSources vault;    /* --vault-id, --vault-password-file, --ask-vault-pass */
  bool become;             /* -b: become by default */
  const char *become_user; /* --become-user */
  const char *become_method; /* --become-method */
  bool ask_become_pass;    /* -K */
  const char *become_password_file; /* --become-password-file */
  char *become_pass;       /* read at start (-K or the file); wiped at exit */
  const char *out_json;    /* --output json=FILE ("-": stdout), or NULL */
  const char *out_junit;   /* --output junit=FILE, or NULL */
  bool profile;            /* --profile (callbacks_enabled = profile_tasks) */
  bool yaml_callback;      /* stdout_callback = yaml: results dumped as YAML */
  int timer;               /* callbacks_enabled = timer: 0 off, 1 after profile_tasks, 2 before it */
  bool list_hosts, list_tasks, list_tags; /* --list-hosts, --list-tasks, --list-tags */
  bool inventory_dump;     /* --inventory-dump: ansible-inventory --list of the inventory */
  bool config_dump;        /* --config-dump: ansible-config dump --only-changed */
  bool flush_cache;        /* --flush-cache: the fact cache of the inventory's hosts is emptied first */
  const char *start_at_task; /* --start-at-task NAME, or NULL */
  bool step;               /* --step: ask before each task (standard input is a terminal) */
} RtOptions;

struct RtRun {
  const RtProgram *prog;
  char *abort_msg;       /* an error that stops the run as an AnsibleError stops ansible-playbook, or NULL */
  int abort_rc;          /* the exit status abort_msg gives (0: 1) */
  char *vars_error;      /* a group_vars/host_vars file that did not load: reported when the first
                            play starts, after its banner, as Ansible's on-demand loading does (exit 4) */
  struct PlayRun *play;  /* the play running (run.c's) */
  RtOptions opt;
  RtInventory inv;
  RtValue *extra_vars;  /* dict */
  char *fact_cache_dir;          /* fact_caching = jsonfile: its folder, else NULL */
  const char *fact_cache_prefix; /* fact_caching_prefix ("" when unset) */
  int fact_cache_timeout;        /* fact_caching_timeout, seconds (0: never expires) */
  struct RtHost **hosts; /* one per inventory host, created lazily */
  int nhosts_alloc;      /* length of hosts[] */
  pthread_mutex_t out_lock; /* serialises output */
  /* delegate_facts: what delegated steps set at the fact levels, for other
   * hosts (vars.c rt_facts_divert): a list of [host name, level, dict],
   * delivered by the scheduler at task boundaries (run.c); inbox_lock
   * guards only the list */
  pthread_mutex_t inbox_lock;
  RtValue *inbox;
  RtValue *prompts;      /* vars_prompt answers of the running play (dict), or NULL */
  bool prompt_warned;    /* "Not prompting ..." shown: Display.warning shows a text once */
  bool end_play;         /* meta: end_play ran in the current play */
  /* The running play's hosts as VariableManager's magic variables read them
   * (written by the scheduler's thread between rounds only): */
  int *play_all;         /* inventory indexes: the play's pattern without --limit */
  int nplay_all;
  int *play_batch;       /* inventory indexes: the play's hosts in its order, --limit applied */
  int nplay_batch;
  int *play_removed;     /* per inventory host: its entries in the play's _removed_hosts */
  uint8_t *public_roles; /* per role instance: a public include_role of it ran in the play */
  RtValue *play_role_names; /* list: the play's roles (play.roles), public include_roles appended */
  RtValue *play_dep_names;  /* list: their dependencies */
  bool failed_prompt;    /* a vars_prompt could not be answered: exit 1 */
  struct RtVaultRun *vault;  /* vault_value.c: secrets and decrypted values */
  struct RtReport *report;   /* report.c: --output and --profile, or NULL */
  /* the free strategy: a result's TASK banner is printed before it when its
   * task is not the last one announced (output.c, under out_lock) */
  bool lazy_banners;
  const void *last_banner;
  unsigned free_warned; /* the free strategy's warnings given (Display shows each once) */
  int batch_index;      /* the running play's serial batch, 0 for the first */
  bool start_at_done;   /* --start-at-task matched in a play (batch) run before */
  struct RtProgress *progress; /* output.c: the live progress line (a terminal), or NULL */
};

typedef struct RtCounts {
  int ok, changed, unreachable, failed, skipped, rescued, ignored;
} RtCounts;

/* What a host's connection was asked to do (conn.c counts, task.c shows
 * each task's share at -vvv): the connection opened, framed shell requests,
 * file bodies written, read and temp files removed over SFTP, TCP
 * exchanges from the target's side (nsupdate's DNS messages). */
enum { RT_REQ_CONNECT, RT_REQ_EXEC, RT_REQ_PUT, RT_REQ_GET, RT_REQ_REMOVE, RT_REQ_TCP, RT_REQ_COUNT };

struct RtHost {
  RtRun *run;
  int index;            /* in run->inv.hosts */
  const char *name;     /* inventory_hostname */
  RtValue *dyn[RT_LV_COUNT]; /* dynamic levels: dicts (NULL = empty); static levels stay NULL */
  const RtTaskDef *task; /* the task being run: its frames are the static levels */
  RtIncInst *inc;        /* the include instance it came from */
  int play_index;        /* index among the play's hosts, -1 outside a play */
  RtConn *conn;         /* NULL until first use */
  const char *conn_type; /* "ssh" or "local" */
  /* the remote_user and port keywords the host's own ssh connection was
   * opened with (conn_kw_ssh): a task asking for others reopens it */
  bool conn_kw_ssh;
  char *conn_kw_user;
  int conn_kw_port;
  /* the type the host's own connection was opened as ("local", "ssh"); a
   * step asking for the other type (the connection keyword) parks it in
   * park_conn (with its become shells) and opens or unparks the other, so
   * alternating local and ssh tasks never reconnect (conn.c) */
  const char *conn_kind;
  RtConn *park_conn;
  void *park_become;
  const char *park_kind;
  bool facts_delegated; /* the last step gave its facts to its delegate (delegate_facts) */
  bool failed;          /* failed in this play: no further tasks */
  bool unreachable;
  bool processed;       /* took part in a play: listed in the recap */
  char *unreachable_msg; /* why, once unreachable */
  const RtPlayDef *play; /* the running play */
  int64_t loop_index;   /* current loop item index, -1 without a loop */
  int32_t forcing;      /* depth of thunk evaluation (recursion guard) */
  RtValue **locals;     /* the running template's local slots (tplstmt.c), or NULL */
  int32_t nlocals;
  RtValue *spare_loop;  /* a finished loop's `loop` object, reused by the next loop (tplstmt.c) */
  struct RtFor *spare_for; /* a finished loop's state, reused by the next loop (tplstmt.c) */
  RtValue *tpl_moved;   /* pairs old, new: values a template's method copied before changing
                           them, so its names of old read new (tplstmt.c); NULL out of templates */
  RtCounts counts;
  int64_t requests[RT_REQ_COUNT];      /* since the run began */
  int64_t requests_shown[RT_REQ_COUNT]; /* as of the last task's end */
  int64_t busy_since;      /* atomic: monotonic ms when its running task began, 0 when idle */
  const RtTaskDef *busy_task; /* atomic: that task (the progress line reads both) */
  const void *banner_item; /* the free strategy: the item the host runs, and its banner */
  char *banner_text;
  /* state of the running task */
  RtValue *loop_items;  /* borrowed from the task function */
  RtValue *results;     /* list of per-item results */
  /* the loop's items keep only the flags the loop's result is aggregated
   * from (changed, failed, skipped): nothing can read its "results" (no
   * register, no --output report, no run_once, no rescue to hand it to as
   * ansible_failed_result), so an item's result is freed once printed */
  bool slim_results;
  bool rescuable;       /* the running task's failure would be rescued (run.c) */
  RtValue *result;      /* current step's result dict */
  bool any_changed, any_failed, all_skipped;
  bool step_error;      /* the step failed before its module ran (args, when) */
  bool loop_abort;      /* ... with an Ansible error in a loop: the task fails as a whole */
  bool step_interrupted; /* the run was interrupted during the step: no result */
  bool result_from_module; /* h->result came from the module of this step */
  int32_t attempts;     /* until: attempts made of the current step */
  bool check_mode;      /* the running task runs in check mode (-C or check_mode:) */
  int64_t async_limit;  /* async: while the step starts a background job, its seconds (0: none) */
  bool diff_mode;       /* the running task returns diffs (-D or diff:) */
  /* the last finished task, for the scheduler */
  RtStatus last_status;
  RtValue *last_result; /* its result (for ansible_failed_result), or NULL */
  void *incl;           /* run.c: the files an include named on this host */
  int nincl;
  void *become;         /* become.c: the host's become shells, by (method, user, flags, exe) */
  char *become_error;   /* become.c: why escalation failed for the running step (the task
                         * fails with it: "Incorrect sudo password"), or NULL */
  char *env;            /* env.c: the running step's `export ...` line, or NULL (owned) */
  /* delegate_to (conn.c): while a step is delegated, conn and become are
   * the delegate's (the host's own wait in own_conn, own_become) */
  char *delegate;          /* the delegate's name, or NULL */
  char *delegate_label;    /* "name(ansible_host)", shown as [h -> X] until the task's result prints */
  RtValue *delegate_vars;  /* its inventory variables: the connection settings */
  RtConn *own_conn;
  void *own_become;
  void *delegates;         /* conn.c: per delegate, its connection and become shells */
  int ndelegates;
  int32_t *vars_files;  /* templated vars_files: the candidate each entry chose (-1: none), or NULL */
  /* what other hosts read of this one (vars.c rt_host_publish): a list of
   * the hostvars layers (dicts or none), immutable once published, or NULL
   * before the first publication; pub_lock guards only the pointer (its swap
   * and a reader's incref), one lock per host */
  pthread_mutex_t pub_lock;
  RtValue *pub;
};

/* The embedded file a task's relative `src` names: files/NAME, then NAME, in
 * each of the task's roots (its role, the playbook's folder), as Ansible's
 * actions search; an absolute name as it is. NULL when it was not embedded. */
const RtFileDef *rt_find_file(RtHost *h, const char *src);
/* The plaintext of embedded file `f` when it is vault text (Ansible's copy
 * decrypts an encrypted src): a string, or an error value with Ansible's
 * message; NULL when `f` is not vault text (use its data). New reference;
 * decrypted once per run. */
RtValue *rt_file_plain(RtHost *h, const RtFileDef *f);
/* False, with the run stopped (run->abort_msg), when task `t`, changed on
 * `h`, notifies a name no handler of the play has or listens to: Ansible
 * raises while processing the result, before it prints. */
bool rt_notify_known(RtHost *h, const RtTaskDef *t);
/* Templated vars_files: chooses each entry's file for `h` as its vars are
 * now (VariableManager.get_vars templates them for every task, so facts
 * count) and rebuilds the RT_LV_VARS_FILES level when a choice changed.
 * Call with h->task set, before the task runs; h->vars_files is reset
 * (freed, NULL) when a play starts. */
void rt_vars_files_refresh(RtHost *h);
/* The same in the folder `sub` of each root ("files", "templates"). */
const RtFileDef *rt_find_file_in(RtHost *h, const char *sub, const char *src);
/* The failed result of an action whose controller file `src` is not there:
 * AnsibleFileNotFound's message, listing the paths searched in the task's
 * roots as path_dwim_relative_stack lists them, with its exception. */
RtValue *rt_file_not_found(RtHost *h, const char *sub, const char *src);

/* `path` as an absolute path (a relative one from the program's base_dir, as
 * Ansible shows paths); malloc'd. */
char *rt_abspath(const RtRun *run, const char *path);

/* filters_path.c: posixpath.normpath; posixpath.expanduser of `len` bytes
 * (NULL when there is nothing to expand). Both malloc'd. */
char *rt_path_normpath(const char *p);
/* posixpath.abspath: `p` from the working folder, normalised; malloc'd. */
char *rt_path_abspath(const char *p);
char *rt_path_expanduser(const char *s, size_t len);

/* The candidate of include `inc` that `name` resolves to, tried in the
 * include's folders in order as Ansible tries them; -1 when none. */
int32_t rt_include_candidate(const RtRun *run, const RtIncludeDef *inc, const char *name);

/* Runs every play of `run`; returns the exit code. */
int rt_run(RtRun *run);
/* The inventory indexes of the hosts play `play` targets (its pattern, then
 * --limit), in play order; the implicit localhost added when named. */
int *rt_play_hosts(RtRun *run, const RtPlayDef *play, int *count);
/* Taggable.evaluate_tags: does a task with `tags` run under `only` (--tags,
 * NULL or {"all"} for all) and `skip` (--skip-tags)? NULL-terminated lists. */
bool rt_tags_run(const char *const *only, const char *const *skip, const char *const *tags);

/* ---- listing.c: --list-hosts, --list-tasks, --list-tags ------------------- */

/* Prints what ansible-playbook's listing options print; returns the exit code. */
int rt_list(RtRun *run);

/* ---- vault_value.c: the run's vault secrets and the values they open ------- */

typedef struct RtVaultRun RtVaultRun;

/* Loads the run's secrets from run->opt.vault and Ansible's environment
 * variables (vault.h: rt_vault_secrets_load), as ansible-playbook does
 * before it reads the inventory; a prompt (--ask-vault-pass) reads the
 * terminal. Returns -1 when loaded, else the exit code after printing
 * Ansible's error (1, or 99 when the prompt was interrupted). */
int rt_vault_run_open(RtRun *run);
/* Wipes and frees the secrets and every cached plaintext the run still owns. */
void rt_vault_run_close(RtRun *run);
/* The run's secrets (borrowed; NULL before rt_vault_run_open). */
const RtVaultSecrets *rt_vault_run_secrets(RtRun *run);
/* The plaintext of vault text `text` (`len` bytes, static: its address is
 * the cache key) as a string value, or an error value holding Ansible's
 * message ("Decryption failed (no vault secrets were found that could
 * decrypt)", "Attempting to decrypt but no vault secrets found", format
 * errors, which also print Ansible's warning). Decrypted once per run and
 * shared by every host thread; `filename` (may be NULL) names the source in
 * messages ("... on FILE"). New reference. For encrypted files (copy src,
 * vars files) the string holds the file's bytes. */
RtValue *rt_vault_run_decrypt(RtRun *run, const char *text, size_t len, const char *filename);
/* rt_vault_run_decrypt without the cache, for vault text that is not static
 * (`!vault` values of run-time data, decrypted while it is read). */
RtValue *rt_vault_run_decrypt_once(RtRun *run, const char *text, size_t len, const char *filename);
/* `path` made absolute against the working directory (malloc'd): how
 * Ansible names a run-time data file in vault messages. */
char *rt_vault_cwd_path(const char *path);
/* A vault-encrypted data file (vars file, inventory, -e @file, group_vars)
 * as values: `text` (`len` bytes) decrypted with the run's secrets when it is
 * vault text, then parsed as YAML (JSON is YAML), `!vault` values inside it
 * decrypted at load (one that does not open is an error value, which fails
 * whatever uses it). Returns a new reference, or NULL with *err (malloc'd)
 * holding Ansible's message ("Decryption failed (no vault secrets were
 * found that could decrypt) on FILE"). Not cached: for run-time data read
 * once. `filename` names the file in messages (made absolute against the
 * working directory when relative). */
RtValue *rt_vault_load_data(RtRun *run, const char *text, size_t len, const char *filename, char **err);
/* The vars of encrypted frame `f` (static vault text): decrypted and parsed
 * once per run and cached by the text's address; a dict (borrowed, lives
 * until the run ends), or NULL with *err (borrowed) holding the message. */
const RtValue *rt_vault_run_data(RtRun *run, const RtScope *f, const char **err);
/* For every encrypted frame of `play` (its scope chains, its tasks'): the
 * first that does not open, as Ansible's load error ("Attempting to decrypt
 * ..." / "Decryption failed ... on FILE"), malloc'd; NULL when all open.
 * Ansible loads vars files and role vars when the play starts: a failure
 * ends the run before it (exit 1). */
char *rt_vault_play_check(RtRun *run, const RtPlayDef *play);
/* rt_parse_yaml for run-time data of the run: `!vault` scalars decrypted
 * with its secrets (an error value when they do not open) (data.c). */
RtValue *rt_parse_yaml_vault(RtRun *run, const char *s, size_t len, const char *file, char **err);

/* ---- become.c: privilege escalation (sudo, su) ------------------------------ */

/* The connection the running step of `h` uses: the host's base shell, or
 * its become shell for the task's effective become settings (keywords, the
 * ansible_become* variables over them, then -b/--become-user/--become-method),
 * opened and negotiated on first use (one per host and become user, method,
 * flags and exe: a become task costs one round trip as any other). Returns
 * the connection; NULL with *err when the transport failed (*fatal true) or
 * escalation failed (*fatal false: h->become_error holds Ansible's message). */
RtConn *rt_become_conn(RtHost *h, RtConn *base, bool *fatal, char **err);
/* Closes the host's become shells (before its base connection). */
void rt_become_close(RtHost *h);
/* Reads the become password for -K (a prompt) or --become-password-file.
 * Returns -1 when done, else an exit code after printing the error. */
int rt_become_password_load(RtRun *run);
/* The connection password of -k (from the terminal, without echo; an error
 * without one) or --connection-password-file: -1 to go on, or an exit code. */
int rt_conn_password_load(RtRun *run);

/* ---- conn.c: delegate_to ------------------------------------------------------ */

/* Starts a step of task `t` on `h` delegated where its delegate_to names
 * (nothing when it has none): the step's requests go to the delegate's
 * connection (opened with the delegate's inventory variables, as Ansible's
 * ansible_delegated_vars; one per host and delegate, reused), with the
 * task host's variables. Returns NULL, or the keyword's error (new ref). */
RtValue *rt_delegate_begin(RtHost *h, const RtTaskDef *t);
/* Ends the delegated step: the host's own connection is back. */
void rt_delegate_end(RtHost *h);

/* ---- env.c: the environment keyword ---------------------------------------- */

/* Evaluates task `t`'s environment on `h`: *prefix (owned, NULL when there
 * is none) is the `export 'NAME=value' ...` line its requests start with.
 * Returns NULL on success; else (a new reference) the expression's error
 * value, or the failed result of a name the shell would refuse. */
RtValue *rt_env_prefix(RtHost *h, const RtTaskDef *t, char **prefix);
/* True (after Ansible's warning, once per run) when `t` is raw with an
 * environment: raw runs without it. */
bool rt_env_refused(RtHost *h, const RtTaskDef *t);

/* ---- output.c: the default callback's layout ------------------------------- */

void rt_out_banner(RtRun *run, const char *msg); /* "\nMSG ****" to the width */
void rt_out_play(RtRun *run, const RtPlayDef *play);
/* "TASK [name]", or "RUNNING HANDLER [name]" for task `t` a handler. */
void rt_out_task(RtRun *run, const RtTaskDef *t, const char *name);
/* Prints one host's result line(s) for a finished task (or one loop item when
 * `item` is non-NULL). */
void rt_out_result(RtHost *h, const RtTaskDef *t, RtValue *result, RtStatus st, bool item);
void rt_out_recap(RtRun *run);
/* v2_on_file_diff: the `diff` of a changed result (or loop item) as --diff
 * shows it, before the result's own line. */
void rt_out_diff(RtHost *h, const RtValue *result);
/* One line in the colour of skipped results (C.COLOR_SKIP), as the callback
 * shows "included: ...", "skipping: no hosts matched" and "...ignoring". */
void rt_out_skip_line(RtRun *run, const char *text);
/* "TASK [name]" ("RUNNING HANDLER [name]"), the name stripped of white
 * space as the default callback's banner. Malloc'd. */
char *rt_out_task_banner(const RtTaskDef *t, const char *name);
/* The requests the host's connection served since the last call (the task
 * that ends), as "<h1> requests: 2 (exec 1, put 1) connect: 1" at -vvv;
 * below -vvv only takes them off the count. */
void rt_out_requests(RtHost *h);
/* Display.error: " [ERROR]: msg" on stderr, wrapped to the display's width. */
void rt_out_error_wrapped(RtRun *run, const char *msg);
/* Takes run->out_lock to print, first erasing the progress line if it shows
 * (release with pthread_mutex_unlock). */
void rt_out_lock(RtRun *run);
/* The live progress line: on a terminal only (stdout a tty, not --step),
 * "[progress] PLAY [x]: 1/3 hosts done, 12 tasks done, slowest: h2 (5 s in
 * TASK [y])", drawn once a second from the run's 2nd second while nothing
 * else prints, erased before anything else prints and at the end. */
void rt_progress_start(RtRun *run);
void rt_progress_stop(RtRun *run);
/* The play (its name) and its hosts (borrowed until the next call or stop). */
void rt_progress_play(RtRun *run, const char *play, RtHost **hosts, int n);
/* Hosts of the play with nothing left to run. */
void rt_progress_hosts_done(RtRun *run, int done);
/* A task begins or ends on host `h` (the scheduler's worker). */
void rt_progress_task(RtHost *h, const RtTaskDef *t, bool begins);
/* Warnings and errors as ansible-playbook prints them ("[WARNING]: ...", "ERROR! ..."). */
void rt_out_warning(RtRun *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- difflib.c: the text of a module's `diff`, as the callbacks print it ---- */

/* CallbackBase._get_diff of `diff` (a dict or a list of dicts): headers,
 * difflib.unified_diff hunks, "diff skipped" notes, `prepared` text. */
void rt_diff_text(RtBuf *out, const RtValue *diff);
/* ---- factcache.c: fact_caching = jsonfile ---------------------------------- */

/* Opens the fact cache ansible.cfg configures (CACHE_PLUGIN...) and, with
 * --flush-cache, empties it for every inventory host. False after the error
 * Ansible gives for an unusable folder. */
bool rt_factcache_open(RtRun *run);
/* Reads host h's cached facts (unless expired) into its facts. */
void rt_factcache_load(RtHost *h);
/* Writes host h's facts to the cache (after every change, as FactCache). */
void rt_factcache_save(RtHost *h);
/* Removes host h's cache entry (meta: clear_facts). */
void rt_factcache_clear(RtHost *h);
/* Whether h's facts were gathered (_ansible_facts_gathered), for `gathering = smart`. */
bool rt_factcache_gathered(const RtHost *h);

/* ---- report.c: --output json=FILE, --output junit=FILE, --profile ---------- */

typedef struct RtReport RtReport;
/* Sets up the reports the options ask for (run->report, NULL when none);
 * false after an error message when a report file cannot be written. With
 * json to "-", stdout is silenced until rt_report_free. */
bool rt_report_open(RtRun *run);
/* The callback events, called by output.c, task.c and run.c; no-ops without reports. */
void rt_report_play(RtRun *run, const RtPlayDef *play);
void rt_report_task(RtRun *run, const RtTaskDef *t, const char *name);
/* A task's final result on a host (censored already when no_log). */
void rt_report_result(RtHost *h, const RtTaskDef *t, const RtValue *result, RtStatus st);
/* An include_tasks file loaded: str(IncludedFile) for the junit report. */
void rt_report_included(RtRun *run, const RtTaskDef *t, const char *text);
/* At the recap: writes the reports (and profile_tasks' summary). */
void rt_report_finish(RtRun *run);
void rt_report_free(RtRun *run);

/* ---- modules (modules/mod.h) ------------------------------------------------ */

/* A module implementation: runs with templated `args` (a dict, borrowed) on
 * host `h`; returns the result dict (new reference): "changed", "failed",
 * "msg", ... as the Ansible module returns them. Returns NULL only when the
 * host became unreachable (h->unreachable set, message in the host's state). */
typedef RtValue *(*RtModuleFn)(RtHost *h, RtValue *args);
extern const RtModuleFn rt_modules[]; /* same order as mod_schemas[] */
/* modules/async_status.c: waits for the async job `started` describes (the
 * task's started result; taken), checking every `poll` seconds for `limit`
 * seconds as TaskExecutor._poll_async_result does, printing the default
 * callback's ASYNC POLL / OK / FAILED lines; the task's result, or NULL when
 * the host was lost or the run interrupted. */
RtValue *mod_async_poll(RtHost *h, RtValue *started, int64_t limit, int64_t poll);

#endif
