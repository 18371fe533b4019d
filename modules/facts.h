/*
 * facts.h — fact gathering shared by setup.c (the module: subsets, the one
 * request, filter, storing facts as Ansible injects them) and facts_linux.c
 * (each collector's script fragment and the parser that turns its records
 * into facts, ported from ansible.module_utils.facts for Linux targets).
 *
 * A collector's fragment only reads files and runs the target's own tools,
 * writing what it found as records (modules/target.c: __playc_rec KEY VALUE);
 * nothing a target prints is parsed as protocol, and every value is parsed
 * here, on the controller.
 */
#ifndef PLAYC_FACTS_H
#define PLAYC_FACTS_H

#include "mod.h"
#ifndef MOD_SCHEMA_ONLY

/* What a gathering was asked for (setup's parameters). */
typedef struct FactsReq {
  long timeout;          /* gather_timeout, seconds */
  const char *fact_path; /* local facts folder */
} FactsReq;

/* One collector (Ansible's BaseFactCollector subclasses for Linux). */
typedef struct FactCollector {
  const char *name;
  const char *const *ids; /* its other fact ids, NULL-terminated (may be NULL) */
  unsigned requires;      /* bits of the collectors it needs (required_facts) */
  /* Appends its script fragment (may be NULL: nothing to read on the target). */
  void (*script)(RtBuf *s, const FactsReq *q);
  /* Adds its facts (unprefixed names) to `f` from the records; `all` holds
   * what earlier collectors found (prefixed, as Ansible's collected_facts). */
  void (*parse)(RtValue *f, const RtExec *ex, const RtValue *all, RtHost *h);
} FactCollector;

/* Every collector for Linux, in the order Ansible's tsort puts them when all
 * are selected; facts_ncollectors of them. */
extern const FactCollector facts_collectors[];
extern const int facts_ncollectors;

/* ---- facts_linux.c helpers setup.c uses too ---- */

/* A record's text, or NULL. */
const char *facts_rec(const RtExec *ex, const char *key);
/* Python's str.strip() of s (whitespace) into a new string value. */
RtValue *facts_strip(const char *s);

/* ---- setup.c ---- */

/* Stores module facts on host `h` as Ansible's strategy and variable manager
 * do: merged into the host's fact cache (injected as top-level vars after
 * clean_facts drops restricted keys, with a warning) and into `ansible_facts`
 * without the ansible_ prefix (namespace_facts). Borrows `facts`. */
void mod_facts_store(RtHost *h, const RtValue *facts);
/* The same for facts read from the fact cache: no warning, nothing written
 * back. Borrows `facts`. */
void mod_facts_load(RtHost *h, const RtValue *facts);
/* The gather_facts action's mark (_ansible_facts_gathered: true in
 * ansible_facts, which `gathering = smart` reads). */
void mod_facts_mark_gathered(RtHost *h);

#endif /* MOD_SCHEMA_ONLY */
#endif
