/*
 * mod.h — the built-in modules' implementations (runtime side). Each is C on
 * the controller plus, for remote modules, minimal POSIX shell on the target.
 * mod_schemas[] (modules.h) and rt_modules[] (registry.c) share one order.
 */
#ifndef PLAYC_MOD_H
#define PLAYC_MOD_H

#include "modules.h"
#include "rt.h"

#include <time.h>

RtValue *mod_command(RtHost *h, RtValue *args);
RtValue *mod_shell(RtHost *h, RtValue *args);
RtValue *mod_debug(RtHost *h, RtValue *args);
RtValue *mod_set_fact(RtHost *h, RtValue *args);
RtValue *mod_assert(RtHost *h, RtValue *args);
RtValue *mod_fail(RtHost *h, RtValue *args);
RtValue *mod_file(RtHost *h, RtValue *args);
RtValue *mod_copy(RtHost *h, RtValue *args);
RtValue *mod_setup(RtHost *h, RtValue *args);
RtValue *mod_include_vars(RtHost *h, RtValue *args);
RtValue *mod_validate_argument_spec(RtHost *h, RtValue *args);

/* ---- args.c: argument access and result helpers shared by modules ---------- */

/* The text of arg `name` (str as is; int/float/bool as Python str()), or NULL
 * when absent or None. Returns a malloc'd string. */
char *mod_arg_str(RtValue *args, const char *name);
/* Arg `name` as a bool per Ansible's boolean(); `def` when absent. -1 when not
 * a boolean (the caller fails the task). */
int mod_arg_bool(RtValue *args, const char *name, int def);
/* A file mode arg: int bits, or an octal string. -1 absent, -2 invalid. */
long mod_arg_mode(RtValue *args, const char *name);
/* A failed result {"failed": true, "msg": msg, "changed": false}. */
RtValue *mod_fail_result(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The result of an error Ansible raises inside the action rather than
 * returning (e.g. assert's conditional cannot be evaluated): {failed, msg}
 * and no "changed". Takes the malloc'd `msg`. */
RtValue *mod_raise(char *msg);
/* Python's repr() of `s` as bytes: b'...' (appends to `b`). */
void mod_py_bytes_repr(RtBuf *b, const char *s);
/* Splits a string into lines as Python's str.splitlines() does. */
RtValue *mod_lines(const char *s, size_t len);
/* The value of a "key=value" line in script output, or NULL (malloc'd). */
char *mod_kv_line(const char *out, const char *key);
/* Adds mode ("0644"), owner, group, uid, gid, size from `stat -c` lines
 * (mode=, uid=, gid=, owner=, group=, size=) of script output (file.c). */
void mod_add_stat(RtValue *r, const char *out);
/* "YYYY-MM-DD HH:MM:SS.ffffff" for a timespec, into buf (>= 32 bytes). */
void mod_time_text(char *buf, size_t cap, const struct timespec *ts);
/* "H:MM:SS.ffffff" for the difference b - a. */
void mod_delta_text(char *buf, size_t cap, const struct timespec *a, const struct timespec *b);

#endif
