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

#include "playc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

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
void rt_buf_add(RtBuf *b, const char *s, size_t len);
void rt_buf_puts(RtBuf *b, const char *s);
void rt_buf_putc(RtBuf *b, char c);
void rt_buf_printf(RtBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_buf_free(RtBuf *b);
/* Returns the bytes (caller frees) and resets the buffer to empty. */
char *rt_buf_take(RtBuf *b);

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
  RT_EXC_OTHER,     /* ValueError, ZeroDivisionError, ...: the message says it */
  RT_EXC_UNDEFINED, /* jinja2's UndefinedError */
  RT_EXC_TYPE       /* TypeError */
} RtExc;

typedef struct RtDictEntry {
  RtValue *key; /* always RT_STR for now; keys are strings in YAML/JSON data */
  RtValue *val;
} RtDictEntry;

struct RtValue {
  uint32_t refs; /* atomic; UINT32_MAX marks immortal singletons (none, true, false) */
  uint8_t kind;  /* RtKind */
  union {
    bool b;
    int64_t i;
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
      uint32_t *index;    /* open-addressing index into ents (size index_cap), 0 = empty, else pos+1 */
      size_t index_cap;
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

/* Constructors beyond playc.h's. */
RtValue *rt_strz(const char *s);                      /* from a C string */
RtValue *rt_str_take(char *s, size_t len);            /* takes malloc'd `s` */
RtValue *rt_undef(const char *name, const char *hint); /* hint NULL → "'name' is undefined" */
/* The same, remembering where the name was used (`loc` may be NULL). */
RtValue *rt_undef_at(const char *name, const char *hint, const RtLoc *loc);
/* The error to propagate for `v`, an error or an undefined value (rt_is_error):
 * an error itself (new reference); for an undefined, an error holding its
 * hint as the message, exc RT_EXC_UNDEFINED and the name's location. */
RtValue *rt_error_of(RtValue *v);
RtValue *rt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
RtValue *rt_type_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
RtValue *rt_thunk(RtExprFn fn, const char *name);

/* Lists and dicts: accessors return BORROWED references. */
size_t rt_len(const RtValue *v); /* list/dict/str length */
RtValue *rt_list_at(const RtValue *list, size_t i);
RtValue *rt_dict_get(const RtValue *dict, const char *key); /* NULL if absent */
/* Dict mutation for values the caller owns alone (refs == 1) — e.g. a module
 * building its result. Takes `val`. */
void rt_dict_set(RtValue *dict, const char *key, RtValue *val);
void rt_dict_del(RtValue *dict, const char *key);
/* A shallow copy with refs == 1 (for copy-on-write of shared dicts). */
RtValue *rt_dict_copy(const RtValue *dict);
RtValue *rt_list_copy(const RtValue *list);

/* Python equality (1 == 1.0 == True, list/dict deep). */
bool rt_equal(const RtValue *a, const RtValue *b);

/* ---- render.c: text forms of values --------------------------------------- */

/* Python str(v): what Jinja prints for {{ v }}. Appends to `b`. */
void rt_render_str(RtBuf *b, const RtValue *v);
/* Python repr(v). */
void rt_render_repr(RtBuf *b, const RtValue *v);
/* Python json.dumps(v, sort_keys, indent=indent or None when indent < 0,
 * ensure_ascii=False) as Ansible's callbacks print results. */
void rt_render_json(RtBuf *b, const RtValue *v, int indent, bool sort_keys);
/* Parses a Python literal (ast.literal_eval subset: str, int, float, True,
 * False, None, list, tuple→list, dict). NULL when `s` is not one. */
RtValue *rt_parse_pyliteral(const char *s, size_t len);
/* Parses JSON text (jansson); NULL with *err set (malloc'd) on bad input. */
RtValue *rt_parse_json(const char *s, size_t len, char **err);
/* Parses YAML text (libyaml, YAML 1.1 scalars as PyYAML); run-time data only
 * (inventories, -e @file.yml). NULL with *err set on bad input. */
RtValue *rt_parse_yaml(const char *s, size_t len, const char *file, char **err);
/* Ansible's boolean(): true/false/yes/no/on/off/1/0/y/n (case-insensitive).
 * Returns 1, 0, or -1 if `v` is not one of those. */
int rt_to_boolean(const RtValue *v);

/* ---- vars.c: per-host variables ------------------------------------------- */

/* Layers from lowest to highest precedence (Ansible's list, the levels this
 * slice has). Lookup walks from RT_VL_EXTRA down to RT_VL_GROUP_ALL. */
typedef enum RtVarLayer {
  RT_VL_GROUP_ALL,  /* inventory group_vars for "all" */
  RT_VL_GROUP,      /* inventory group vars, children over parents (merged) */
  RT_VL_HOST,       /* inventory host vars */
  RT_VL_PLAY,       /* play vars (may hold thunks) */
  RT_VL_FACTS,      /* set_fact and registered vars (and gathered facts) */
  RT_VL_TASK,       /* loop item and loop_control vars of the running task */
  RT_VL_EXTRA,      /* -e extra vars */
  RT_VL_COUNT
} RtVarLayer;

/* Sets `name` in a layer of host `h` (takes `val`). */
void rt_host_set_var(RtHost *h, RtVarLayer layer, const char *name, RtValue *val);
/* A module result holding this key reports an error Ansible raises rather
 * than returns: rt_step_run removes the key and adds no "changed". */
#define RT_RAISED_KEY "_playc_raised"

/* task.c: Ansible's message for an error (or undefined) met while evaluating
 * the conditional `src` (when, changed_when, failed_when, assert's that).
 * Returns a malloc'd string. */
char *rt_cond_error_text(const char *src, const RtValue *err);

/* True for the value of `omit` (module args holding it are dropped). */
bool rt_is_omit(const RtValue *v);
/* set_fact / register: sets a host fact (takes `val`). */
void rt_host_set_fact(RtHost *h, const char *name, RtValue *val);

/* ---- main.c ------------------------------------------------------------------ */

/* One -e argument (`k=v ...`, a YAML/JSON dict, or @FILE) → a dict (new
 * reference), or NULL with *err (malloc'd) on bad input. Separate from the
 * command line so that the fuzz target (tests/fuzz) can call it. */
RtValue *rt_extra_vars_parse(const char *arg, char **err);

/* ---- inventory.c ----------------------------------------------------------- */

typedef struct RtInvHost {
  char *name;
  RtValue *vars;    /* dict: host vars from the inventory */
  char **groups;    /* group names the host belongs to (direct and inherited, sorted; no "all") */
  int ngroups;
  bool implicit;    /* the implicit localhost: matches "localhost", never "all" */
} RtInvHost;

typedef struct RtInvGroup {
  char *name;
  RtValue *vars;     /* dict */
  char **children;
  int nchildren;
  char **hosts;      /* direct members */
  int nhosts;
} RtInvGroup;

typedef struct RtInventory {
  RtInvHost *hosts; /* in order of first appearance */
  int nhosts;
  RtInvGroup *groups;
  int ngroups;
} RtInventory;

/* Loads each -i source (file path: INI or YAML; "a,b," host list) into `inv`.
 * Returns false with *err (malloc'd) on a bad or missing source. */
bool rt_inventory_load(RtInventory *inv, const char *source, char **err);
/* Adds the implicit localhost when a pattern names it and the inventory has not. */
RtInvHost *rt_inventory_implicit_localhost(RtInventory *inv);
/* Hosts matching an Ansible pattern ("all", "web", "a:b", "a:&b", "a:!b",
 * "host*"), in inventory order. Returns a malloc'd array of indexes. */
int *rt_inventory_match(RtInventory *inv, const char *pattern, int *count);
/* Variables of host `i`, merged: all group, groups (parents first), host. */
RtValue *rt_inventory_host_vars(RtInventory *inv, int i);
/* Computes every host's group list once all sources are loaded. */
void rt_inventory_finish(RtInventory *inv);
void rt_inventory_free(RtInventory *inv);

/* ---- conn.c, conn_local.c, conn_ssh.c: connections ------------------------ */

/* The result of one remote command. */
typedef struct RtExec {
  int rc;
  RtBuf out;
  RtBuf err;
} RtExec;

typedef struct RtConn RtConn;
typedef struct RtConnOps {
  /* Runs `script` with /bin/sh on the target, stdin from `in` (may be NULL).
   * Returns 0, or -1 when the host is unreachable (message in *err, malloc'd). */
  int (*exec)(RtConn *c, const char *script, const char *in, size_t inlen, RtExec *res,
              char **err);
  /* Writes `len` bytes to `path` on the target (creating or truncating, mode
   * `mode`). Returns 0, or -1 with *err. */
  int (*put)(RtConn *c, const char *path, const void *data, size_t len, int mode, char **err);
  void (*close)(RtConn *c);
} RtConnOps;

struct RtConn {
  const RtConnOps *ops;
};

/* Connection parameters, resolved from host vars and options. */
typedef struct RtConnParams {
  const char *host;     /* ansible_host or inventory name */
  int port;             /* ansible_port or 22 */
  const char *user;     /* ansible_user or $USER */
  const char *key_file; /* ansible_ssh_private_key_file or NULL (agent, default keys) */
  const char *known_hosts; /* NULL: ~/.ssh/known_hosts */
  int host_key_checking;   /* RT_HKC_* */
  int timeout;             /* seconds */
} RtConnParams;
enum { RT_HKC_STRICT, RT_HKC_ACCEPT_NEW, RT_HKC_OFF };

RtConn *rt_conn_local_open(char **err);
RtConn *rt_conn_ssh_open(const RtConnParams *p, char **err);
void rt_exec_free(RtExec *e);

/* Runs `script` on host `h`'s connection, opening it on first use. Returns 0,
 * or -1 when unreachable (the host is marked unreachable, message in *err). */
int rt_host_exec(RtHost *h, const char *script, const char *in, size_t inlen, RtExec *res,
                 char **err);
int rt_host_put(RtHost *h, const char *path, const void *data, size_t len, int mode,
                char **err);
/* Quotes `s` for /bin/sh (single quotes), appending to `b`. */
void rt_sh_quote(RtBuf *b, const char *s);

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
  const char *user;        /* -u */
  const char *private_key; /* --private-key */
  const char *connection;  /* -c */
  int host_key_checking;   /* RT_HKC_* (--ssh-host-key-checking=strict|accept-new|off) */
  const char *known_hosts; /* --known-hosts FILE */
  bool plan;               /* --plan */
  bool plan_json;          /* --plan=json */
} RtOptions;

typedef struct RtRun {
  const RtProgram *prog;
  RtOptions opt;
  RtInventory inv;
  RtValue *extra_vars;  /* dict */
  struct RtHost **hosts; /* one per inventory host, created lazily */
  int nhosts_alloc;      /* length of hosts[] */
  pthread_mutex_t out_lock; /* serialises output */
} RtRun;

typedef struct RtCounts {
  int ok, changed, unreachable, failed, skipped, rescued, ignored;
} RtCounts;

struct RtHost {
  RtRun *run;
  int index;            /* in run->inv.hosts */
  const char *name;     /* inventory_hostname */
  RtValue *layers[RT_VL_COUNT]; /* dicts (NULL = empty) */
  RtConn *conn;         /* NULL until first use */
  const char *conn_type; /* "ssh" or "local" */
  bool failed;          /* failed in this play: no further tasks */
  bool unreachable;
  bool processed;       /* took part in a play: listed in the recap */
  char *unreachable_msg; /* why, once unreachable */
  const RtPlayDef *play; /* the running play */
  int64_t loop_index;   /* current loop item index, -1 without a loop */
  int32_t forcing;      /* depth of thunk evaluation (recursion guard) */
  RtCounts counts;
  /* state of the running task */
  RtValue *loop_items;  /* borrowed from the task function */
  RtValue *results;     /* list of per-item results */
  RtValue *result;      /* current step's result dict */
  bool any_changed, any_failed, all_skipped;
  bool step_error;      /* the step failed before its module ran (args, when) */
  bool result_from_module; /* h->result came from the module of this step */
};

/* Runs every play of `run`; returns the exit code. */
int rt_run(RtRun *run);

/* ---- output.c: the default callback's layout ------------------------------- */

void rt_out_banner(RtRun *run, const char *msg); /* "\nMSG ****" to the width */
void rt_out_play(RtRun *run, const RtPlayDef *play);
void rt_out_task(RtRun *run, const char *name);
/* Prints one host's result line(s) for a finished task (or one loop item when
 * `item` is non-NULL). */
void rt_out_result(RtHost *h, const RtTaskDef *t, RtValue *result, RtStatus st, bool item);
void rt_out_recap(RtRun *run);
/* Warnings and errors as ansible-playbook prints them ("[WARNING]: ...", "ERROR! ..."). */
void rt_out_warning(RtRun *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- modules (modules/mod.h) ------------------------------------------------ */

/* A module implementation: runs with templated `args` (a dict, borrowed) on
 * host `h`; returns the result dict (new reference): "changed", "failed",
 * "msg", ... as the Ansible module returns them. Returns NULL only when the
 * host became unreachable (h->unreachable set, message in the host's state). */
typedef RtValue *(*RtModuleFn)(RtHost *h, RtValue *args);
extern const RtModuleFn rt_modules[]; /* same order as mod_schemas[] */

#endif
