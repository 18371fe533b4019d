/*
 * filters.h — what the implementations of filters.def share: the bound
 * arguments of a call, the helpers every filter file uses, and the
 * declaration of each filter and test function (generated from filters.def).
 * Sectioned by the file that implements each part. Internal to the runtime.
 *
 * Ownership: a filter returns a new reference (a value or an error value);
 * everything in RtFArgs is borrowed.
 */
#ifndef PLAYC_FILTERS_H
#define PLAYC_FILTERS_H

#include "filtersig.h"
#include "rt.h"

/* A call's arguments bound to the filter's or test's parameters. */
typedef struct RtFArgs {
  const char *name;         /* the filter's or test's name (for messages) */
  RtValue *base;            /* the filtered or tested value */
  RtValue *p[RT_SIG_MAX];   /* parameter i, NULL when not given */
  RtValue *rest;            /* extra positional arguments (`*`): a list, or NULL */
  RtValue *kw;              /* extra keyword arguments (`**`): a dict, or NULL */
  const RtLoc *loc;
} RtFArgs;

typedef RtValue *(*RtFilterFn)(RtFArgs *a);

#define PLAYC_FILTER(name, fn, type, req, sig, flags) RtValue *fn(RtFArgs *a);
#define PLAYC_TEST(name, fn, req, sig, flags) RtValue *fn(RtFArgs *a);
#include "filters.def"
#define PLAYC_METHOD(recv, name, fn, type, req, sig, flags) RtValue *fn(RtFArgs *a);
#include "methods.def"
#undef PLAYC_METHOD

/* ---- filters.c: dispatch and shared helpers ---- */

/* Calls filter or test `name` (canonical, as filters.def spells it) on
 * `base` with positional `args` (list or NULL) and `kwargs` (dict or NULL):
 * what map(), select() and the run-time evaluator use. */
RtValue *rt_filter_call(const char *name, RtValue *base, RtValue *args, RtValue *kwargs, const RtLoc *loc);
RtValue *rt_test_call(const char *name, RtValue *base, RtValue *args, RtValue *kwargs, const RtLoc *loc);
/* Binds positional `args` (list or NULL) and `kwargs` (dict or NULL) to the
 * parameters of signature `s` (`req` of them required; `flags` RT_FF_*) in
 * `a`, as Python would: NULL, or the error value (Python's TypeError) when
 * they do not fit. `name` is the callable's, for messages. */
RtValue *rt_sig_bind(const char *name, const RtSig *s, int req, int flags, RtFArgs *a, RtValue *args,
                     RtValue *kwargs);
/* True when `name` is a filter (test) filters.def knows. */
bool rt_filter_known(const char *name);
bool rt_test_known(const char *name);

/* Python's type name of `v` ("str", "int", "list", "dict", "NoneType" ...). */
const char *rt_type_name(const RtValue *v);
/* Python's str(v) as a new string value; repr(v) likewise. */
RtValue *rt_to_str(const RtValue *v);
RtValue *rt_to_repr(const RtValue *v);
/* A string value from a buffer (takes its bytes; an empty buffer is ""). */
RtValue *rt_buf_value(RtBuf *b);
/* Python truthiness of a non-error value (bool(v)). */
bool rt_pytruth(const RtValue *v);
/* Python ordering of two values for sorted()/min()/max(): -1, 0, 1, or 2 when
 * the types cannot be ordered (then *err gets Python's TypeError). */
int rt_order(const RtValue *a, const RtValue *b, RtValue **err);
/* Python's `x in seq` (list items, dict keys, substrings). */
RtValue *rt_contains(RtValue *seq, RtValue *x);
/* Items of an iterable as Python iterates it: a list itself, a dict's keys,
 * a string's characters (code points). A new list, or a TypeError
 * "'int' object is not iterable". */
RtValue *rt_iter_list(RtValue *v);
/* A string value marked as Ansible's NativeJinjaText (RT_FF_TEXT filters). */
RtValue *rt_native_text(RtValue *s);
/* Jinja's environment.getitem(obj, key) (item, then attribute) and
 * getattr(obj, name) (attribute, then item) on values. */
RtValue *rt_jinja_getitem(RtValue *obj, RtValue *key);
/* Jinja's make_attrgetter: "a.b.0" looks up each dotted part (integers as
 * indexes); `dflt` (may be NULL) replaces an undefined result. */
RtValue *rt_attr_path(RtValue *item, RtValue *attribute, RtValue *dflt);
/* Integer value of an argument, Python's index rules (bools are ints). False
 * when `v` is not an int or bool. */
bool rt_arg_int(const RtValue *v, int64_t *out);
/* Python truthiness of an optional argument (`dflt` when it is NULL). */
bool rt_arg_true(const RtValue *v, bool dflt);
/* An argument that must be a string: its bytes, or NULL. */
const char *rt_arg_str(const RtValue *v);

/* ---- filters_core.c ---- */

/* Ansible's random_password: `count` picks of Python's Random(seed).choice
 * (SystemRandom when `seed` is NULL or None) over the code points of
 * `chars`, as a string. NULL for a seed playc cannot reproduce (a float). */
RtValue *rt_random_choices(const char *chars, size_t len, int64_t count, const RtValue *seed);

/* ---- filters_text.c ---- */

/* Python's `fmt % args`: args a tuple (list) of values, a dict (mapping
 * keys), or one value. A string, or Python's TypeError/ValueError. */
RtValue *rt_py_format(const char *fmt, size_t len, RtValue *args);

/* ---- filters_manala.c ---- */

/* The manala.roles collection's lookups (lookups.def). */
RtValue *rt_lk_manala_accounts_users_authorized_keys(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_apt_holds(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_apt_packages(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_apt_preferences(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_apt_repositories(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_ansible_galaxy_roles(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_npm_packages(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_environment_files(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_files_attributes(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_locales_codes(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_ssh_known_hosts(RtHost *h, RtValue *terms, RtValue *kwargs);
RtValue *rt_lk_manala_templates_exclusive(RtHost *h, RtValue *terms, RtValue *kwargs);

/* ---- lookups.c ---- */

/* Returns `err` (taken), an error a lookup plugin returns, recording the
 * Python class the plugin raised it as ("KeyError", "IndexError" ...) for
 * lookup()'s "An unhandled exception occurred ..." message. */
RtValue *rt_lookup_raise(const char *cls, RtValue *err);

/* ---- text.c: strings as Python sees them (code points of UTF-8 text) ---- */

/* The code point at s[*i] (advancing *i); a byte that is not UTF-8 stands
 * for itself (U+DC80.. as Python's surrogateescape would, but as one byte). */
uint32_t rt_utf8_next(const char *s, size_t len, size_t *i);
void rt_utf8_put(RtBuf *b, uint32_t cp);
/* Code points in `len` bytes. */
size_t rt_utf8_count(const char *s, size_t len);
/* Python's str.isspace / isalnum / isalpha / isdigit / isupper / islower of
 * one code point, and its upper/lower/title mapping (full mappings where
 * Python's differ from the simple ones: 'ß'.upper() is 'SS'). */
bool rt_cp_isspace(uint32_t cp);
bool rt_cp_isalnum(uint32_t cp);
bool rt_cp_isalpha(uint32_t cp);
bool rt_cp_isdigit(uint32_t cp);
bool rt_cp_isupper(uint32_t cp);
bool rt_cp_islower(uint32_t cp);
bool rt_cp_iscased(uint32_t cp);
void rt_cp_upper(RtBuf *b, uint32_t cp);
void rt_cp_lower(RtBuf *b, uint32_t cp);
void rt_cp_title(RtBuf *b, uint32_t cp);
/* Python's str.lower()/upper() of `len` bytes, appended to `b`. */
void rt_text_lower(RtBuf *b, const char *s, size_t len);
void rt_text_upper(RtBuf *b, const char *s, size_t len);
/* Python's str.strip(chars): chars NULL strips whitespace. */
void rt_text_strip(const char *s, size_t len, const char *chars, size_t clen, bool left, bool right,
                   size_t *start, size_t *end);
/* Python's str.split(sep, maxsplit) (sep NULL: runs of whitespace) into a
 * new list of strings. */
RtValue *rt_text_split(const char *s, size_t len, const char *sep, size_t seplen, int64_t maxsplit);
/* Python's str.splitlines() (keepends false) into a new list. */
RtValue *rt_text_splitlines(const char *s, size_t len);
/* Python's str.replace(old, new, count) (count < 0: all). */
void rt_text_replace(RtBuf *b, const char *s, size_t len, const char *old, size_t olen, const char *rep,
                     size_t rlen, int64_t count);
/* The substring of code points [from, to) of s, clamped. */
RtValue *rt_text_slice(const char *s, size_t len, int64_t from, int64_t to);

#endif
