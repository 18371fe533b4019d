/*
 * schema.c — the module argument table: each module's schema (defined in the
 * module's own file, modules.def's order is the module id used by the
 * compiler and the runtime), lookups by name, and a hash of the whole table.
 * Parameter sets follow Ansible's module documentation for the options playc
 * implements; an option it does not implement is absent, so using one is
 * planned as unsupported and refused by -o rather than silently ignored.
 */
#include "modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every module's schema, in id order (modules.def). */
#define MOD(n) extern const ModSchema mod_schema_##n;
#include "modules.def"
#undef MOD

const ModSchema *const mod_schemas[] = {
#define MOD(n) &mod_schema_##n,
#include "modules.def"
#undef MOD
};
const int32_t mod_nschemas = (int32_t)(sizeof mod_schemas / sizeof *mod_schemas);

int32_t mod_schema_lookup(const char *name) {
  static const char *const prefixes[] = {"ansible.builtin.", "ansible.legacy."};
  for (int p = 0; p < 2; p++) {
    size_t n = strlen(prefixes[p]);
    if (strncmp(name, prefixes[p], n) == 0) {
      name += n;
      break;
    }
  }
  for (int32_t i = 0; i < mod_nschemas; i++)
    if (strcmp(mod_schemas[i]->name, name) == 0)
      return i;
  for (int32_t i = 0; i < mod_nschemas; i++) { /* community.general.ini_file ... */
    const char *c = mod_schemas[i]->collection;
    size_t n = c ? strlen(c) : 0;
    if (c && strncmp(name, c, n) == 0 && name[n] == '.' && strcmp(name + n + 1, mod_schemas[i]->name) == 0)
      return i;
  }
  return -1;
}

bool mod_async_refused(const char *name) {
  /* the action plugins of ansible/plugins/action without _supports_async = True, among playc's
   * modules (command, shell, package, service, uri, yum, reboot and the
   * modules run by the normal action accept it); pause too, but it runs
   * once for all hosts (BYPASS_HOST_LOOP), which playc's refusal would
   * not: it stays refused by -o */
  static const char *const refused[] = {"assert", "copy", "debug", "fail", "fetch", "include_vars",
                                        "raw", "script", "set_fact", "template", "unarchive",
                                        "validate_argument_spec", "wait_for_connection"};
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
    if (!strcmp(name, refused[i]))
      return true;
  return false;
}

/* True when `name` is one of the comma-separated words of `list`. */
static bool in_list(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0)
      return true;
    p = end ? end + 1 : NULL;
  }
  return false;
}

int32_t mod_param_find(const ModSchema *m, const char *name) {
  for (int32_t i = 0; i < m->nparams; i++)
    if (strcmp(m->params[i].name, name) == 0 || in_list(m->params[i].aliases, name))
      return i;
  return -1;
}

/* FNV-1a over every name and type in the table. */
static uint32_t fnv(uint32_t h, const char *s) {
  for (; s && *s; s++)
    h = (h ^ (uint8_t)*s) * 16777619u;
  return (h ^ 0xff) * 16777619u;
}

uint32_t mod_schema_hash(void) {
  uint32_t h = 2166136261u;
  for (int32_t i = 0; i < mod_nschemas; i++) {
    h = fnv(h, mod_schemas[i]->name);
    for (int32_t j = 0; j < mod_schemas[i]->nparams; j++) {
      h = fnv(h, mod_schemas[i]->params[j].name);
      h = (h ^ (uint32_t)mod_schemas[i]->params[j].type) * 16777619u;
    }
  }
  return h;
}

/* Each ';'-separated group of `groups`, as a NUL-terminated copy in buf. */
static const char *next_group(const char *groups, char *buf, size_t cap) {
  if (!groups || !*groups)
    return NULL;
  const char *end = strchr(groups, ';');
  size_t n = end ? (size_t)(end - groups) : strlen(groups);
  snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1), groups);
  return end ? end + 1 : groups + n;
}

/* Calls `f` for each comma-separated name of `group`; counts the given ones. */
static int count_given(const char *group, bool (*has)(void *, const char *), void *ctx) {
  int n = 0;
  char name[128];
  for (const char *p = group; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    snprintf(name, sizeof name, "%.*s", (int)len, p);
    n += has(ctx, name);
    p = end ? end + 1 : p + len;
  }
  return n;
}

/* "a, b" from "a,b" (Ansible joins lists with ", "), or the names of `group`
 * that are (`given`) or are not given, joined by `sep`. */
static char *join_names(const char *group, const char *sep, int given, bool (*has)(void *, const char *),
                        void *ctx) {
  size_t cap = strlen(group) * 2 + 2;
  char *out = malloc(cap), name[128];
  if (!out)
    return NULL;
  out[0] = 0;
  for (const char *p = group; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    snprintf(name, sizeof name, "%.*s", (int)len, p);
    if (given < 0 || has(ctx, name) == (bool)given) {
      if (out[0])
        strcat(out, sep);
      strcat(out, name);
    }
    p = end ? end + 1 : p + len;
  }
  return out;
}

static char *fmt_msg(const char *fmt, const char *a, const char *b, const char *c, const char *d) {
  size_t n = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + (c ? strlen(c) : 0) + (d ? strlen(d) : 0) + 1;
  char *m = malloc(n);
  if (m)
    snprintf(m, n, fmt, a, b, c, d);
  return m;
}

char *mod_check_constraints(const ModSchema *m, bool (*has)(void *ctx, const char *name),
                            const char *(*text)(void *ctx, const char *name), void *ctx, bool choices) {
  char g[512];
  /* check_mutually_exclusive */
  for (const char *p = m->exclusive; (p = next_group(p, g, sizeof g));)
    if (count_given(g, has, ctx) > 1) {
      char *names = join_names(g, "|", -1, has, ctx), *msg = fmt_msg("parameters are mutually exclusive: %s", names,
                                                                      NULL, NULL, NULL);
      free(names);
      return msg;
    }
  /* check_required_arguments */
  char *missing = NULL;
  for (int32_t i = 0; i < m->nparams; i++)
    if (m->params[i].required && !has(ctx, m->params[i].name)) {
      size_t n = (missing ? strlen(missing) + 2 : 0) + strlen(m->params[i].name) + 1;
      char *mm = malloc(n);
      if (!mm)
        break;
      snprintf(mm, n, "%s%s%s", missing ? missing : "", missing ? ", " : "", m->params[i].name);
      free(missing);
      missing = mm;
    }
  if (missing) {
    char *msg = fmt_msg("missing required arguments: %s", missing, NULL, NULL, NULL);
    free(missing);
    return msg;
  }
  /* _validate_argument_values: choices */
  for (int32_t i = 0; i < m->nparams; i++) {
    const ModParam *mp = &m->params[i];
    const char *v = choices && mp->choices && has(ctx, mp->name) ? text(ctx, mp->name) : NULL;
    if (!v)
      continue;
    bool ok = false;
    for (const char *p = mp->choices; *p && !ok;) {
      const char *end = strchr(p, ',');
      size_t len = end ? (size_t)(end - p) : strlen(p);
      ok = strlen(v) == len && strncmp(v, p, len) == 0;
      p = end ? end + 1 : p + len;
    }
    if (!ok) {
      char *list = join_names(mp->choices, ", ", -1, has, ctx);
      char *msg = fmt_msg("value of %s must be one of: %s, got: %s", mp->name, list, v, NULL);
      free(list);
      return msg;
    }
    if (in_list(mp->unimplemented, v))
      return fmt_msg("%s=%s of module %s: playc does not run it yet", mp->name, v, m->name, NULL);
  }
  /* required_together, required_one_of, required_if */
  for (const char *p = m->together; (p = next_group(p, g, sizeof g));) {
    int n = count_given(g, has, ctx), total = 1;
    for (const char *q = g; *q; q++)
      total += *q == ',';
    if (n > 0 && n < total) {
      char *names = join_names(g, ", ", -1, has, ctx), *msg = fmt_msg("parameters are required together: %s",
                                                                       names, NULL, NULL, NULL);
      free(names);
      return msg;
    }
  }
  for (const char *p = m->one_of; (p = next_group(p, g, sizeof g));)
    if (count_given(g, has, ctx) == 0) {
      char *names = join_names(g, ", ", -1, has, ctx), *msg = fmt_msg("one of the following is required: %s", names,
                                                                       NULL, NULL, NULL);
      free(names);
      return msg;
    }
  for (const char *p = m->required_if; (p = next_group(p, g, sizeof g));) {
    char *eq = strchr(g, '='), *colon = eq ? strchr(eq, ':') : NULL;
    if (!eq || !colon)
      continue;
    *eq = 0;
    *colon = 0;
    char *reqs = colon + 1, *bar = strchr(reqs, '|');
    bool any = bar && !strcmp(bar + 1, "any");
    if (bar)
      *bar = 0;
    const char *v = has(ctx, g) ? text(ctx, g) : NULL;
    if (!v || strcmp(v, eq + 1) != 0)
      continue;
    int n = count_given(reqs, has, ctx), total = 1;
    for (const char *q = reqs; *q; q++)
      total += *q == ',';
    if ((any && n == 0) || (!any && n < total)) {
      char *names = join_names(reqs, ", ", any ? -1 : 0, has, ctx);
      char *msg = fmt_msg("%s is %s but %s of the following are missing: %s", g, eq + 1, any ? "any" : "all", names);
      free(names);
      return msg;
    }
  }
  return NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Appends the n strings of `v`, sorted, joined by ", ". */
static void append_sorted(char **out, size_t *len, const char **v, int32_t n) {
  qsort(v, (size_t)n, sizeof *v, cmp_str);
  for (int32_t i = 0; i < n; i++) {
    size_t add = strlen(v[i]) + 2;
    char *o = realloc(*out, *len + add + 1);
    if (!o)
      return;
    *out = o;
    *len += (size_t)snprintf(o + *len, add + 1, "%s%s", i ? ", " : "", v[i]);
  }
}

char *mod_check_unsupported(const ModSchema *m, const char *const *keys, int32_t n) {
  if (m->any_params)
    return NULL;
  const char **bad = malloc(sizeof *bad * (size_t)(n + 1));
  int32_t nbad = 0;
  for (int32_t i = 0; bad && i < n; i++)
    if (strncmp(keys[i], "__", 2) != 0 && mod_param_find(m, keys[i]) < 0)
      bad[nbad++] = keys[i];
  if (!nbad) {
    free(bad);
    return NULL;
  }
  /* "{unsupported}. Supported parameters include: {names} ({aliases})." */
  int32_t nal = 0;
  for (int32_t i = 0; i < m->nparams; i++)
    for (const char *p = m->params[i].aliases; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : "")
      nal++;
  const char **names = malloc(sizeof *names * (size_t)(m->nparams + nal + 1));
  char *al = NULL, *out = NULL;
  size_t len = 0;
  if (!names)
    goto done;
  int32_t k = 0;
  for (int32_t i = 0; i < m->nparams; i++)
    names[k++] = m->params[i].name;
  out = malloc(64 + strlen(m->name));
  if (!out)
    goto done;
  len = (size_t)sprintf(out, "Unsupported parameters for (ansible.legacy.%s) module: ", m->name);
  append_sorted(&out, &len, bad, nbad);
  char *o = realloc(out, len + 40);
  if (!o)
    goto done;
  out = o;
  len += (size_t)sprintf(out + len, ". Supported parameters include: ");
  append_sorted(&out, &len, names, k);
  k = 0;
  size_t alen = 0;
  for (int32_t i = 0; i < m->nparams; i++)
    for (const char *p = m->params[i].aliases; p && *p;) {
      const char *end = strchr(p, ',');
      size_t l = end ? (size_t)(end - p) : strlen(p);
      char *a = realloc(al, alen + l + 1);
      if (!a)
        goto done;
      al = a;
      memcpy(al + alen, p, l);
      al[alen + l] = 0;
      alen += l + 1;
      p = end ? end + 1 : p + l;
    }
  for (size_t off = 0; off < alen; off += strlen(al + off) + 1)
    names[k++] = al + off;
  if (k) {
    o = realloc(out, len + 3);
    if (!o)
      goto done;
    out = o;
    len += (size_t)sprintf(out + len, " (");
    append_sorted(&out, &len, names, k);
    o = realloc(out, len + 2);
    if (!o)
      goto done;
    out = o;
    len += (size_t)sprintf(out + len, ")");
  }
  o = realloc(out, len + 2);
  if (o) {
    out = o;
    sprintf(out + len, ".");
  }
done:
  free(bad);
  free(names);
  free(al);
  return out;
}
