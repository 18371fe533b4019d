/*
 * config.c — ansible.cfg and the ANSIBLE_* environment, as Ansible's
 * ConfigManager reads them (see config.h).
 *
 * Every setting Ansible knows (ansible_settings.inc, generated from
 * ansible-core) is resolved the same way: its environment variables in
 * order (a later one wins), else its ini entries in order (a later one
 * wins), else its default; the value is then converted by the setting's type
 * as Ansible's ensure_type does. The settings playc implements (config.def)
 * are read from that one table, so a setting is known under every name
 * Ansible accepts; the others, when given, are warned about by name.
 *
 * The ini file is parsed as Python's configparser does for Ansible
 * (`key = value` or `key: value`, `#` and `;` comment lines, ` ;` inline
 * comments, indented continuation lines, keys lower-cased, `%%` for `%`).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- Ansible's settings table ---------------------------------------------- */

typedef struct AnSetting {
  const char *name, *type, *dflt;
} AnSetting;
typedef struct AnIni {
  const char *name, *section, *key;
} AnIni;
typedef struct AnEnv {
  const char *name, *var;
} AnEnv;

static const AnSetting an_settings[] = {
#define AN_SETTING(n, t, d) {n, t, d},
#define AN_INI(n, s, k)
#define AN_ENV(n, v)
#include "ansible_settings.inc"
#undef AN_SETTING
#undef AN_INI
#undef AN_ENV
};
static const AnIni an_inis[] = {
#define AN_SETTING(n, t, d)
#define AN_INI(n, s, k) {n, s, k},
#define AN_ENV(n, v)
#include "ansible_settings.inc"
#undef AN_SETTING
#undef AN_INI
#undef AN_ENV
};
static const AnEnv an_envs[] = {
#define AN_SETTING(n, t, d)
#define AN_INI(n, s, k)
#define AN_ENV(n, v) {n, v},
#include "ansible_settings.inc"
#undef AN_SETTING
#undef AN_INI
#undef AN_ENV
};
#define N_AN (sizeof an_settings / sizeof an_settings[0])
#define N_INI (sizeof an_inis / sizeof an_inis[0])
#define N_ENV (sizeof an_envs / sizeof an_envs[0])

enum { CFG_USE_RUN, CFG_USE_COMPILE, CFG_USE_NOOP };
typedef struct CfgDef {
  const char *name, *dflt;
  int use;
} CfgDef;
static const CfgDef cfg_defs[RT_CFG__COUNT] = {
#define CFG(id, name, dflt, use) [id] = {name, dflt, use},
#include "config.def"
#undef CFG
};

/* ---- state -------------------------------------------------------------------- */

typedef struct IniEnt {
  char *section, *key, *value;
  bool used; /* read by some setting Ansible knows */
} IniEnt;

/* One resolved setting of an_settings[]. */
typedef struct Resolved {
  const char *raw;    /* borrowed from the environment or an IniEnt, or unquoted; NULL: default */
  char *unquoted;     /* a str value without its quotes (owns what raw points to) */
  char *origin;       /* "env: NAME" or the file's path; NULL: default */
  const char *env;    /* the variable it came from, or NULL */
  const AnIni *ini;   /* else the ini entry it came from, or NULL */
  char **list;        /* converted list (list/path types), NULL-terminated */
  char *shown;        /* the value as ansible-config prints it */
} Resolved;

static struct {
  bool loaded;
  char *file, *file_dir;
  char *cwd_warning;
  IniEnt *ini;
  size_t nini;
  Resolved res[N_AN];
  int index[RT_CFG__COUNT]; /* cfg_defs → an_settings */
} cfg;

static void *cfg_xalloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p) {
    fputs("playc: out of memory\n", stderr);
    abort();
  }
  return p;
}

static char *cfg_printf(const char *fmt, ...) {
  va_list ap, aq;
  va_start(ap, fmt);
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = cfg_xalloc((size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, aq);
  va_end(aq);
  return s;
}

static char *cfg_strndup(const char *s, size_t n) {
  char *d = cfg_xalloc(n + 1);
  memcpy(d, s, n);
  return d;
}

/* ---- paths ------------------------------------------------------------------------ */

static bool cfg_exists(const char *p) { return access(p, R_OK) == 0; }

char *rt_config_expandvars(const char *p) {
  size_t cap = strlen(p) + 1, len = 0;
  char *x = cfg_xalloc(cap);
  for (const char *q = p; *q;) {
    if (*q == '$') {
      bool brace = q[1] == '{';
      const char *n = q + 1 + brace, *e = n;
      if (brace)
        e = strchr(n, '}');
      else
        while (isalnum((unsigned char)*e) || *e == '_')
          e++;
      if (e && e > n) {
        char *name = cfg_strndup(n, (size_t)(e - n));
        const char *v = getenv(name);
        free(name);
        if (v) {
          size_t vl = strlen(v);
          cap += vl;
          x = realloc(x, cap);
          if (!x)
            abort();
          memcpy(x + len, v, vl);
          len += vl;
          q = e + brace;
          continue;
        }
      }
    }
    x[len++] = *q++;
  }
  x[len] = 0;
  return x;
}

/* Ansible's unfrackpath/resolve_path: ~ and $VARS expanded, made absolute
 * against `base` (the cwd when NULL) and normalised (no symlinks followed). */
static char *cfg_resolve_path(const char *p, const char *base) {
  char *tilde = NULL;
  if (p[0] == '~' && (p[1] == '/' || !p[1])) {
    const char *home = getenv("HOME");
    if (!home) {
      struct passwd *pw = getpwuid(getuid());
      home = pw ? pw->pw_dir : "";
    }
    tilde = cfg_printf("%s%s", home, p + 1);
    p = tilde;
  }
  char *x = rt_config_expandvars(p);
  free(tilde);
  char cwd[PATH_MAX];
  char *abs = x[0] == '/' ? cfg_printf("%s", x)
                          : cfg_printf("%s/%s", base ? base : (getcwd(cwd, sizeof cwd) ? cwd : "."), x);
  free(x);
  /* normpath: drop "." and empty parts, fold ".." */
  char **parts = cfg_xalloc(sizeof *parts * (strlen(abs) + 1));
  size_t np = 0;
  for (char *save = NULL, *t = strtok_r(abs, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
    if (!strcmp(t, "."))
      continue;
    if (!strcmp(t, "..")) {
      if (np)
        np--;
      continue;
    }
    parts[np++] = t;
  }
  size_t total = 2;
  for (size_t i = 0; i < np; i++)
    total += strlen(parts[i]) + 1;
  char *out = cfg_xalloc(total);
  for (size_t i = 0; i < np; i++) {
    strcat(out, "/");
    strcat(out, parts[i]);
  }
  if (!np)
    strcpy(out, "/");
  free(parts);
  free(abs);
  return out;
}

/* ---- the file ----------------------------------------------------------------- */

/* find_ini_config_file: ANSIBLE_CONFIG (a directory means its ansible.cfg),
 * ./ansible.cfg unless the cwd is world-writable, ~/.ansible.cfg,
 * /etc/ansible/ansible.cfg: the first that exists and can be read. */
static char *cfg_find(void) {
  char *cands[4] = {0};
  int n = 0;
  const char *env = getenv("ANSIBLE_CONFIG");
  char *from_env = NULL;
  if (env) {
    from_env = cfg_resolve_path(env, NULL);
    struct stat st;
    if (stat(from_env, &st) == 0 && S_ISDIR(st.st_mode)) {
      char *p = cfg_printf("%s/ansible.cfg", from_env);
      free(from_env);
      from_env = p;
    }
    cands[n++] = cfg_printf("%s", from_env);
  }
  char cwd[PATH_MAX];
  bool warn_public = false;
  struct stat st;
  if (getcwd(cwd, sizeof cwd) && stat(cwd, &st) == 0) {
    char *here = cfg_printf("%s/ansible.cfg", cwd);
    if (st.st_mode & S_IWOTH) {
      warn_public = access(here, F_OK) == 0;
      free(here);
    } else {
      cands[n++] = here;
    }
  }
  cands[n++] = cfg_resolve_path("~/.ansible.cfg", NULL);
  cands[n++] = cfg_printf("/etc/ansible/ansible.cfg");
  char *found = NULL;
  for (int i = 0; i < n; i++) {
    if (!found && cfg_exists(cands[i]))
      found = cands[i];
    else
      free(cands[i]);
  }
  if (warn_public && !(from_env && found && !strcmp(from_env, found)))
    cfg.cwd_warning = cfg_printf("Ansible is being run in a world writable directory (%s), ignoring it as an "
                                 "ansible.cfg source. For more information see "
                                 "https://docs.ansible.com/ansible/devel/reference_appendices/config.html"
                                 "#cfg-in-world-writable-dir",
                                 cwd);
  free(from_env);
  return found;
}

static char *cfg_strip(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = 0;
  return s;
}

/* configparser's inline comments (inline_comment_prefixes=(';',)): a ';'
 * after whitespace ends the value. */
static void cfg_inline_comment(char *v) {
  for (char *p = v; *p; p++)
    if (*p == ';' && p > v && isspace((unsigned char)p[-1])) {
      *p = 0;
      return;
    }
}

/* `%%` is a literal `%` (BasicInterpolation). */
static void cfg_unpercent(char *v) {
  char *w = v;
  for (char *r = v; *r; r++) {
    if (r[0] == '%' && r[1] == '%')
      r++;
    *w++ = *r;
  }
  *w = 0;
}

static void cfg_add(const char *section, const char *key, const char *value) {
  for (size_t i = 0; i < cfg.nini; i++) /* a repeated key: the last one (strict=False) */
    if (!strcmp(cfg.ini[i].section, section) && !strcmp(cfg.ini[i].key, key)) {
      free(cfg.ini[i].value);
      cfg.ini[i].value = cfg_printf("%s", value);
      return;
    }
  cfg.ini = realloc(cfg.ini, sizeof *cfg.ini * (cfg.nini + 1));
  if (!cfg.ini)
    abort();
  cfg.ini[cfg.nini++] = (IniEnt){cfg_printf("%s", section), cfg_printf("%s", key), cfg_printf("%s", value), false};
}

/* ini = { section | option | continuation | comment | blank } */
static void cfg_parse(const char *text) {
  char *copy = cfg_printf("%s", text), *save = NULL, *section = cfg_printf("%s", "");
  bool last = false;
  size_t last_i = 0;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r')
      line[--n] = 0;
    char *s = cfg_strip(line);
    if (!*s || *s == '#' || *s == ';')
      continue;
    if (isspace((unsigned char)line[0]) && last) { /* continuation */
      IniEnt *prev = &cfg.ini[last_i];
      cfg_inline_comment(s);
      char *v = cfg_printf("%s\n%s", prev->value, cfg_strip(s));
      free(prev->value);
      prev->value = v;
      continue;
    }
    if (*s == '[') {
      char *e = strchr(s, ']');
      if (e) {
        free(section);
        section = cfg_strndup(s + 1, (size_t)(e - s - 1));
        last = false;
      }
      continue;
    }
    size_t k = strcspn(s, "=:");
    if (!s[k])
      continue; /* configparser rejects it; Ansible then fails to read the file */
    char *val = s + k + 1;
    s[k] = 0;
    char *key = cfg_strip(s);
    for (char *p = key; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    cfg_inline_comment(val);
    val = cfg_strip(val);
    cfg_unpercent(val);
    cfg_add(section, key, val);
    last = true;
    for (size_t i = 0; i < cfg.nini; i++)
      if (!strcmp(cfg.ini[i].section, section) && !strcmp(cfg.ini[i].key, key))
        last_i = i;
  }
  free(section);
  free(copy);
}

static char *cfg_slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  size_t cap = 4096, len = 0;
  char *s = cfg_xalloc(cap);
  size_t r;
  while ((r = fread(s + len, 1, cap - len - 1, f)) > 0) {
    len += r;
    if (cap - len < 2) {
      cap *= 2;
      s = realloc(s, cap);
      if (!s)
        abort();
    }
  }
  s[len] = 0;
  fclose(f);
  return s;
}

/* ---- conversion ----------------------------------------------------------------- */

bool rt_config_boolean(const char *s) {
  static const char *const yes[] = {"1", "true", "yes", "on", "y", "t", "1.0", NULL};
  for (int i = 0; s && yes[i]; i++)
    if (!strcasecmp(s, yes[i]))
      return true;
  return false;
}

static bool type_is(const AnSetting *a, const char *t) { return !strcmp(a->type, t); }
static bool type_listish(const AnSetting *a) {
  return type_is(a, "list") || type_is(a, "pathlist") || type_is(a, "pathspec");
}
static bool type_path(const AnSetting *a) {
  return type_is(a, "path") || type_is(a, "pathlist") || type_is(a, "pathspec") || type_is(a, "tmppath") ||
         type_is(a, "tmp");
}

/* Python's repr of a str */
static void repr_str(char **out, const char *s) {
  const char *q = strchr(s, '\'') && !strchr(s, '"') ? "\"" : "'";
  char *r = cfg_printf("%s%s", *out, q);
  free(*out);
  *out = r;
  for (const char *p = s; *p; p++) {
    const char *esc = *p == '\\' ? "\\\\" : *p == '\n' ? "\\n" : (*p == *q) ? (*q == '\'' ? "\\'" : "\\\"") : NULL;
    r = esc ? cfg_printf("%s%s", *out, esc) : cfg_printf("%s%c", *out, *p);
    free(*out);
    *out = r;
  }
  r = cfg_printf("%s%s", *out, q);
  free(*out);
  *out = r;
}

/* Converts r->raw by the setting's type; false with *err on a bad value. */
static bool cfg_convert(const AnSetting *a, Resolved *r, char **err) {
  const char *v = r->raw;
  if (type_is(a, "integer") || type_is(a, "int")) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    while (isspace((unsigned char)*end))
      end++;
    if (!*v || *end || errno) {
      *err = cfg_printf("Invalid type for configuration option setting: %s (from %s): invalid literal for int() "
                        "with base 10: '%s'",
                        a->name, r->origin, v);
      return false;
    }
    r->shown = cfg_printf("%ld", n);
  } else if (type_is(a, "boolean") || type_is(a, "bool")) {
    r->shown = cfg_printf("%s", rt_config_boolean(v) ? "True" : "False");
  } else if (type_listish(a)) {
    const char *sep = type_is(a, "pathspec") ? ":" : ",";
    size_t n = 0;
    char *copy = cfg_printf("%s", v);
    r->list = cfg_xalloc(sizeof *r->list * (strlen(v) + 2));
    /* Python's str.split keeps empty items; Ansible strips each item */
    for (char *p = copy;; ) {
      char *e = strstr(p, sep);
      if (e)
        *e = 0;
      char *item = cfg_strip(p);
      r->list[n++] = type_path(a) ? cfg_resolve_path(item, r->origin && r->origin[0] == '/' ? cfg.file_dir : NULL)
                                  : cfg_printf("%s", item);
      if (!e)
        break;
      p = e + 1;
    }
    free(copy);
    r->shown = cfg_printf("[");
    for (size_t i = 0; i < n; i++) {
      if (i) {
        char *t = cfg_printf("%s, ", r->shown);
        free(r->shown);
        r->shown = t;
      }
      repr_str(&r->shown, r->list[i]);
    }
    char *t = cfg_printf("%s]", r->shown);
    free(r->shown);
    r->shown = t;
  } else if (type_path(a)) {
    r->list = cfg_xalloc(sizeof *r->list * 2);
    r->list[0] = cfg_resolve_path(v, r->origin && r->origin[0] == '/' ? cfg.file_dir : NULL);
    r->shown = cfg_printf("%s", r->list[0]);
  } else { /* str, string, untyped: unquote()d */
    size_t n = strlen(v);
    if (n > 1 && v[0] == v[n - 1] && (v[0] == '"' || v[0] == '\'') && v[n - 2] != '\\')
      r->raw = r->unquoted = cfg_strndup(v + 1, n - 2);
    r->shown = cfg_printf("%s", r->raw);
  }
  return true;
}

/* ---- loading -------------------------------------------------------------------- */

static void cfg_resolve(size_t i) {
  const AnSetting *a = &an_settings[i];
  Resolved *r = &cfg.res[i];
  for (size_t e = 0; e < N_ENV; e++) /* environment: the last one set wins */
    if (!strcmp(an_envs[e].name, a->name)) {
      const char *v = getenv(an_envs[e].var);
      if (v) {
        r->raw = v;
        free(r->origin);
        r->origin = cfg_printf("env: %s", an_envs[e].var);
        r->env = an_envs[e].var;
      }
    }
  bool from_env = r->raw != NULL;
  for (size_t k = 0; k < N_INI; k++) /* ini: the last entry present wins */
    if (!strcmp(an_inis[k].name, a->name))
      for (size_t j = 0; j < cfg.nini; j++)
        if (!strcmp(cfg.ini[j].section, an_inis[k].section) && !strcmp(cfg.ini[j].key, an_inis[k].key)) {
          cfg.ini[j].used = true;
          if (!from_env) {
            r->raw = cfg.ini[j].value;
            free(r->origin);
            r->origin = cfg_printf("%s", cfg.file);
            r->ini = &an_inis[k];
          }
        }
}

static int an_find(const char *name) {
  for (size_t i = 0; i < N_AN; i++)
    if (!strcmp(an_settings[i].name, name))
      return (int)i;
  return -1;
}

bool rt_config_load(char **err) {
  if (cfg.loaded)
    return true;
  cfg.loaded = true;
  for (int i = 0; i < RT_CFG__COUNT; i++) {
    cfg.index[i] = an_find(cfg_defs[i].name);
    if (cfg.index[i] < 0) {
      fprintf(stderr, "%s:%d: config.def names '%s', which Ansible does not know\n", __FILE__, __LINE__,
              cfg_defs[i].name);
      abort();
    }
  }
  cfg.file = cfg_find();
  if (cfg.file) {
    char *text = cfg_slurp(cfg.file);
    if (text)
      cfg_parse(text);
    free(text);
    char *slash = strrchr(cfg.file, '/');
    cfg.file_dir = slash ? cfg_strndup(cfg.file, (size_t)(slash - cfg.file)) : NULL;
  }
  char *first = NULL;
  for (size_t i = 0; i < N_AN; i++) {
    cfg_resolve(i);
    char *e = NULL;
    if (cfg.res[i].raw && !cfg_convert(&an_settings[i], &cfg.res[i], &e)) {
      if (!first)
        first = e;
      else
        free(e);
      cfg.res[i].raw = NULL;
    }
  }
  if (first) {
    if (err)
      *err = first;
    else
      free(first);
    return false;
  }
  return true;
}

void rt_config_reset(void) {
  for (size_t i = 0; i < N_AN; i++) {
    Resolved *r = &cfg.res[i];
    for (size_t k = 0; r->list && r->list[k]; k++)
      free(r->list[k]);
    free(r->list);
    free(r->unquoted);
    free(r->origin);
    free(r->shown);
  }
  for (size_t i = 0; i < cfg.nini; i++) {
    free(cfg.ini[i].section);
    free(cfg.ini[i].key);
    free(cfg.ini[i].value);
  }
  free(cfg.ini);
  free(cfg.file);
  free(cfg.file_dir);
  free(cfg.cwd_warning);
  memset(&cfg, 0, sizeof cfg);
}

static void cfg_ensure(void) {
  if (!cfg.loaded)
    rt_config_load(NULL);
}

const char *rt_config_file(void) {
  cfg_ensure();
  return cfg.file;
}

bool rt_config_is_set(RtCfgId id) {
  cfg_ensure();
  return cfg.res[cfg.index[id]].raw != NULL;
}

const char *rt_config_str(RtCfgId id) {
  cfg_ensure();
  const char *v = cfg.res[cfg.index[id]].raw;
  return v ? v : cfg_defs[id].dflt;
}

int rt_config_int(RtCfgId id, int dflt) {
  const char *v = rt_config_str(id);
  return *v ? atoi(v) : dflt;
}

bool rt_config_bool(RtCfgId id) { return rt_config_boolean(rt_config_str(id)); }

const char *const *rt_config_list(RtCfgId id) {
  cfg_ensure();
  return (const char *const *)cfg.res[cfg.index[id]].list;
}

/* ---- warnings and the dump --------------------------------------------------------- */

static bool implemented(size_t an) {
  for (int i = 0; i < RT_CFG__COUNT; i++)
    if (cfg.index[i] == (int)an)
      return true;
  return false;
}

/* Whether the source that set setting `an` also sets one playc implements
 * (e.g. [defaults] timeout is DEFAULT_TIMEOUT and the ssh plugin's timeout). */
static bool source_implemented(size_t an) {
  const Resolved *r = &cfg.res[an];
  for (int i = 0; i < RT_CFG__COUNT; i++) {
    const char *name = an_settings[cfg.index[i]].name;
    for (size_t e = 0; r->env && e < N_ENV; e++)
      if (!strcmp(an_envs[e].name, name) && !strcmp(an_envs[e].var, r->env))
        return true;
    for (size_t k = 0; r->ini && k < N_INI; k++)
      if (!strcmp(an_inis[k].name, name) && !strcmp(an_inis[k].section, r->ini->section) &&
          !strcmp(an_inis[k].key, r->ini->key))
        return true;
  }
  return false;
}

/* Whether the value is Ansible's default anyway (nothing to implement). */
static bool is_default(size_t an) {
  const AnSetting *a = &an_settings[an];
  const char *shown = cfg.res[an].shown;
  return shown && !strcmp(shown, a->dflt);
}

void rt_config_warnings(bool runtime, void (*warn)(const char *msg)) {
  cfg_ensure();
  if (cfg.cwd_warning)
    warn(cfg.cwd_warning);
  if (!runtime)
    return;
  for (size_t i = 0; i < N_AN; i++) {
    Resolved *r = &cfg.res[i];
    if (!r->raw || implemented(i) || source_implemented(i) || is_default(i))
      continue;
    char *m = r->env ? cfg_printf("playc does not implement the Ansible setting %s (%s in the environment): ignored",
                                  an_settings[i].name, r->env)
                     : cfg_printf("playc does not implement the Ansible setting %s ([%s] %s in %s): ignored",
                                  an_settings[i].name, r->ini->section, r->ini->key, r->origin);
    warn(m);
    free(m);
  }
  for (size_t j = 0; j < cfg.nini; j++) {
    if (cfg.ini[j].used)
      continue;
    char *m = cfg_printf("%s: [%s] %s is not a setting playc knows (nor one of Ansible's base, ssh or "
                         "become settings): ignored",
                         cfg.file, cfg.ini[j].section, cfg.ini[j].key);
    warn(m);
    free(m);
  }
}

void rt_config_dump(FILE *f) {
  cfg_ensure();
  bool file_shown = false;
  for (size_t i = 0; i < N_AN; i++) { /* the table is sorted by name, as the dump is */
    const AnSetting *a = &an_settings[i];
    if (strchr(a->name, ':'))
      continue;
    if (!file_shown && strcmp(a->name, "CONFIG_FILE") > 0) {
      fprintf(f, "CONFIG_FILE() = %s\n", cfg.file ? cfg.file : "None");
      file_shown = true;
    }
    if (cfg.res[i].raw)
      fprintf(f, "%s(%s) = %s\n", a->name, cfg.res[i].origin, cfg.res[i].shown);
  }
  if (!file_shown)
    fprintf(f, "CONFIG_FILE() = %s\n", cfg.file ? cfg.file : "None");
}
