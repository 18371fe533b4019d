/*
 * config.h — Ansible's settings for playc: ansible.cfg found in Ansible's
 * search order, the ANSIBLE_* environment variables, and Ansible's defaults,
 * with Ansible's precedence (command line > environment > ansible.cfg >
 * default; the command line is the caller's). Shared by the compiler (roles
 * and collections paths) and the runtime (everything else), so it knows
 * nothing of RtValue or of the compilation context: it uses libc only.
 *
 * The settings are loaded once per process (rt_config_load, or the first
 * accessor) and stay until exit; the table (runtime/config.def) names what
 * playc implements, runtime/ansible_settings.inc everything Ansible knows.
 */
#ifndef PLAYC_CONFIG_H
#define PLAYC_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

typedef enum RtCfgId {
#define CFG(id, name, dflt, use) id,
#include "config.def"
#undef CFG
  RT_CFG__COUNT
} RtCfgId;

/* Reads ansible.cfg and the environment (once; later calls do nothing).
 * Returns false when a value has the wrong type for its setting, with the
 * error in *err (malloc'd, worded as Ansible's), as ansible-playbook refuses
 * to start then. */
bool rt_config_load(char **err);

/* Forgets what rt_config_load read, so that the next access reads the
 * environment and ansible.cfg again: for unit tests that change the
 * environment. Every value borrowed before is freed. */
void rt_config_reset(void);

/* The ansible.cfg read, or NULL. */
const char *rt_config_file(void);

/* Whether the setting came from the environment or ansible.cfg. */
bool rt_config_is_set(RtCfgId id);

/* The value as given (environment or file), else the table's default ("" for
 * none): borrowed, lives until exit. */
const char *rt_config_str(RtCfgId id);

/* An integer setting; `dflt` when it is unset and has no default. */
int rt_config_int(RtCfgId id, int dflt);

/* A boolean setting, as Ansible's boolean(). */
bool rt_config_bool(RtCfgId id);

/* A list, path, pathlist or pathspec setting, converted as Ansible converts
 * it (items stripped; paths expanded and made absolute against the file's
 * directory when they came from ansible.cfg): a NULL-terminated array,
 * borrowed; NULL when unset and without default. */
const char *const *rt_config_list(RtCfgId id);

/* posixpath.expandvars: $NAME and ${NAME} of set environment variables
 * replaced, the rest kept as it is. malloc'd. */
char *rt_config_expandvars(const char *p);

/* Ansible's boolean() of a string (1, true, yes, on, y, t; any case). */
bool rt_config_boolean(const char *s);

/* The warnings Ansible's configuration gives (ansible.cfg ignored in a
 * world-writable directory) and one per setting playc does not implement,
 * each once: calls `warn` for each (runtime settings only when `runtime`). */
void rt_config_warnings(bool runtime, void (*warn)(const char *msg));

/* `ansible-config dump --only-changed`: every base setting given in the
 * environment or ansible.cfg, sorted, as `NAME(ORIGIN) = VALUE`. */
void rt_config_dump(FILE *f);

#endif
