/*
 * factcache.c — Ansible's fact cache with its jsonfile plugin
 * (fact_caching = jsonfile): one file per host, <fact_caching_connection>/
 * <fact_caching_prefix><inventory_hostname>, holding the host's facts as
 * Ansible's FactCache keeps them (the keys the modules returned, not
 * namespaced) in json.dumps(sort_keys=True, indent=4) with ASCII escapes,
 * written through a temp file and a rename whenever the facts change. The
 * file is the same Ansible reads and writes, so the two share a cache.
 *
 * A cached file older than fact_caching_timeout seconds (0: never) is not
 * read. Facts read from the cache are the host's facts before the play runs
 * (VariableManager merges them in the same way), and `gathering = smart`
 * skips Gathering Facts for a host whose facts say they were gathered
 * (_ansible_facts_gathered, which the gathering step sets). --flush-cache
 * removes every inventory host's file first; meta: clear_facts removes the
 * host's.
 */
#include "config.h"
#include "facts.h"
#include "mod.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- where the files are -------------------------------------------------------- */

static char *cache_file(const RtRun *run, const char *host) {
  return rt_xasprintf("%s/%s%s", run->fact_cache_dir, run->fact_cache_prefix, host);
}

static int mkdir_p(const char *dir) {
  char *p = rt_xstrdup(dir);
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        free(p);
        return -1;
      }
      *s = '/';
    }
  int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
  free(p);
  return rc;
}

bool rt_factcache_open(RtRun *run) {
  const char *plugin = rt_config_str(RT_CFG_CACHE_PLUGIN);
  if (!strcmp(plugin, "memory") || !strcmp(plugin, "ansible.builtin.memory"))
    return true;
  if (strcmp(plugin, "jsonfile") && strcmp(plugin, "ansible.builtin.jsonfile")) {
    rt_out_warning(NULL, "playc does not implement the fact cache plugin '%s' (CACHE_PLUGIN): facts are "
                         "kept in memory for the run only",
                   plugin);
    return true;
  }
  const char *conn = rt_config_str(RT_CFG_CACHE_CONNECTION); /* expanduser, then as given: relative to the cwd */
  if (!*conn) {
    rt_out_error("error, 'jsonfile' cache plugin requires the 'fact_caching_connection' config option to be "
                 "set (to a writeable directory path)");
    return false;
  }
  const char *home = getenv("HOME");
  char *dir = conn[0] == '~' && (conn[1] == '/' || !conn[1]) && home ? rt_xasprintf("%s%s", home, conn + 1)
                                                                    : rt_xstrdup(conn);
  run->fact_cache_dir = dir; /* owned by the run (free_run) */
  if (access(dir, F_OK) != 0) {
    if (mkdir_p(dir) != 0) {
      rt_out_error("error in 'jsonfile' cache plugin while trying to create cache dir %s : %s", dir,
                   strerror(errno));
      return false;
    }
  } else if (access(dir, R_OK | W_OK | X_OK) != 0) {
    rt_out_error("error in 'jsonfile' cache, configured path (%s) does not have necessary permissions (rwx), "
                 "disabling plugin",
                 dir);
    return false;
  }
  run->fact_cache_prefix = rt_config_is_set(RT_CFG_CACHE_PREFIX) ? rt_config_str(RT_CFG_CACHE_PREFIX) : "";
  run->fact_cache_timeout = rt_config_int(RT_CFG_CACHE_TIMEOUT, 86400);
  if (run->opt.flush_cache) /* PlaybookCLI._flush_cache: every inventory host */
    for (int i = 0; i < run->inv.nhosts; i++) {
      char *f = cache_file(run, run->inv.hosts[i].name);
      unlink(f);
      free(f);
    }
  return true;
}

/* ---- reading ------------------------------------------------------------------------ */

void rt_factcache_load(RtHost *h) {
  const RtRun *run = h->run;
  if (!run->fact_cache_dir)
    return;
  char *path = cache_file(run, h->name);
  struct stat st;
  if (stat(path, &st) != 0 || (run->fact_cache_timeout > 0 &&
                               difftime(time(NULL), st.st_mtime) > (double)run->fact_cache_timeout)) {
    free(path); /* absent, or expired (has_expired) */
    return;
  }
  size_t len;
  char *text = rt_read_file(path, &len), *err = NULL;
  RtValue *facts = text ? rt_parse_json(text, len, &err) : NULL;
  free(text);
  if (!facts || rt_kind(facts) != RT_DICT) {
    rt_out_warning(h->run, "error in 'jsonfile' cache plugin while trying to read %s : %s", path,
                   err ? err : "not a dictionary");
    free(err);
    rt_decref(facts);
    free(path);
    return;
  }
  free(path);
  mod_facts_load(h, facts);
  rt_decref(facts);
}

bool rt_factcache_gathered(const RtHost *h) {
  RtValue *ns = h->dyn[RT_LV_FACTS] ? rt_dict_get(h->dyn[RT_LV_FACTS], "ansible_facts") : NULL;
  RtValue *g = ns && rt_kind(ns) == RT_DICT ? rt_dict_get(ns, "_ansible_facts_gathered") : NULL;
  return g && rt_to_boolean(g) == 1;
}

/* ---- writing ------------------------------------------------------------------------ */

/* json.dumps' ensure_ascii: every non-ASCII character as \uXXXX (a
 * surrogate pair past U+FFFF). Only strings hold such bytes. */
static void ascii_escape(RtBuf *out, const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      rt_buf_putc(out, (char)c);
      i++;
      continue;
    }
    int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
    unsigned cp = c & (extra == 3 ? 0x07 : extra == 2 ? 0x0f : 0x1f);
    for (int k = 1; k <= extra && i + (size_t)k < n; k++)
      cp = (cp << 6) | ((unsigned char)s[i + (size_t)k] & 0x3f);
    i += (size_t)extra + 1;
    char esc[16];
    if (cp >= 0x10000) {
      cp -= 0x10000;
      snprintf(esc, sizeof esc, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      snprintf(esc, sizeof esc, "\\u%04x", cp);
    }
    rt_buf_puts(out, esc);
  }
}

/* The host's facts as Ansible's FactCache holds them: the key each fact was
 * returned under (setup's "ansible_" ones are injected under that name too),
 * from the ansible_facts namespace, which has every fact. */
static RtValue *raw_facts(const RtHost *h) {
  const RtValue *lv = h->dyn[RT_LV_FACTS];
  RtValue *ns = lv ? rt_dict_get(lv, "ansible_facts") : NULL;
  RtValue *raw = rt_dict_new(ns && rt_kind(ns) == RT_DICT ? ns->u.dict.len : 0);
  for (size_t i = 0; ns && rt_kind(ns) == RT_DICT && i < ns->u.dict.len; i++) {
    const char *k = ns->u.dict.ents[i].key->u.str.s;
    char *prefixed = rt_xasprintf("ansible_%s", k);
    bool injected = strncmp(k, "ansible_", 8) != 0 && rt_dict_get(lv, prefixed);
    rt_dict_set(raw, injected ? prefixed : k, rt_incref(ns->u.dict.ents[i].val));
    free(prefixed);
  }
  return raw;
}

void rt_factcache_save(RtHost *h) {
  const RtRun *run = h->run;
  if (!run->fact_cache_dir)
    return;
  RtValue *raw = raw_facts(h);
  RtBuf json = {0}, text = {0};
  rt_render_json(&json, raw, 4, true);
  rt_decref(raw);
  ascii_escape(&text, json.data ? json.data : "{}", json.len);
  rt_buf_free(&json);
  char *path = cache_file(run, h->name);
  char *tmp = rt_xasprintf("%s/.playc-XXXXXX", run->fact_cache_dir);
  int fd = mkstemp(tmp); /* 0600, as tempfile.mkstemp */
  bool ok = fd >= 0 && write(fd, text.data, text.len) == (ssize_t)text.len;
  if (fd >= 0 && close(fd) != 0)
    ok = false;
  if (!ok || rename(tmp, path) != 0)
    rt_out_warning(h->run, "error in 'jsonfile' cache plugin while trying to write to '%s' : %s", path,
                   strerror(errno));
  if (fd >= 0)
    unlink(tmp); /* after a rename: nothing there */
  free(tmp);
  free(path);
  rt_buf_free(&text);
}

void rt_factcache_clear(RtHost *h) {
  if (!h->run->fact_cache_dir)
    return;
  char *path = cache_file(h->run, h->name);
  unlink(path);
  free(path);
}
