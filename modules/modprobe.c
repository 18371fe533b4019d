/*
 * modprobe.c — community.general.modprobe: request 1 finds whether the
 * module is loaded (/proc/modules, then the kernel's modules.builtin), and
 * reads every file of /etc/modules-load.d and /etc/modprobe.d (for
 * `persistent`); the controller matches their lines as the module's
 * regular expressions do (the name taken literally) and decides. Request 2
 * runs modprobe (-r to unload, -n in check mode), checks the module is
 * loaded afterwards (else `modprobe -n --first-time` and its stderr as a
 * warning), and writes the persistence files. Unlike the module, check
 * mode writes no persistence file.
 */
#include "mod.h"

static const ModParam modprobe_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "params", .type = MP_STR, .def = ""},
    {.name = "persistent", .type = MP_STR, .choices = "disabled,present,absent", .def = "disabled"},
};
const ModSchema mod_schema_modprobe = {
    .name = "modprobe",
    .params = modprobe_params,
    .nparams = MOD_N(modprobe_params),
    .tools = "modprobe",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Script text: lo=1 when "$n" is loaded; a missing file records fail=io. */
static const char loaded_script[] =
    "lo=0; mn=$(printf %s \"$n\" | tr - _)\n"
    "[ -r /proc/modules ] || { __playc_rec fail io; __playc_rec file /proc/modules; exit 0; }\n"
    "while IFS= read -r l; do case $l in \"$mn \"*) lo=1;; esac; done < /proc/modules\n"
    "if [ $lo = 0 ]; then b=/lib/modules/$(uname -r)/modules.builtin\n"
    "  [ -r \"$b\" ] || { __playc_rec fail io; __playc_rec file \"$b\"; exit 0; }\n"
    "  while IFS= read -r l; do case $l in *\"/$n.ko\") lo=1;; esac; done < \"$b\"\n"
    "fi\n";

/* `^ *NAME *(?:[#;].*)?\n?\Z` (find_module), or with `options`,
 * `^options NAME (\w+=\S+) *(?:[#;].*)?\n?\Z` (its param in *param). */
static bool match_line(const char *l, const char *name, bool options, char **param) {
  size_t n = strlen(name);
  if (options) {
    if (strncmp(l, "options ", 8) != 0 || strncmp(l + 8, name, n) != 0 || l[8 + n] != ' ')
      return false;
    const char *p = l + 9 + n, *st = p;
    while (isalnum((unsigned char)*p) || *p == '_')
      p++;
    if (p == st || *p != '=')
      return false;
    p++;
    const char *vs = p;
    while (*p && !isspace((unsigned char)*p))
      p++;
    if (p == vs)
      return false;
    size_t plen = (size_t)(p - st);
    while (*p == ' ')
      p++;
    if (*p == '#' || *p == ';')
      p += strcspn(p, "\n");
    if (*p == '\n')
      p++;
    if (*p)
      return false;
    if (param)
      *param = rt_xstrndup(st, plen);
    return true;
  }
  while (*l == ' ')
    l++;
  if (strncmp(l, name, n) != 0)
    return false;
  l += n;
  while (*l == ' ')
    l++;
  if (*l == '#' || *l == ';')
    l += strcspn(l, "\n");
  if (*l == '\n')
    l++;
  return *l == 0;
}

/* The lines of `text` with their ends (readlines). */
static RtValue *readlines(const char *text) {
  RtValue *l = rt_list_new(8);
  for (const char *p = text; *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
    rt_list_push(l, rt_str(p, n));
    p += n;
  }
  return l;
}

/* Comments out matching lines; the new text ('\n'.join of the lines, as
 * the module writes it) or NULL when none matched. */
static char *disable_lines(const char *text, const char *name, bool options) {
  RtValue *lines = readlines(text);
  bool any = false;
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = rt_list_at(lines, i)->u.str.s;
    if (i)
      rt_buf_putc(&b, '\n');
    if (match_line(l, name, options, NULL)) {
      rt_buf_putc(&b, '#');
      any = true;
    }
    rt_buf_puts(&b, l);
  }
  rt_decref(lines);
  if (!any) {
    rt_buf_free(&b);
    return NULL;
  }
  return rt_buf_take(&b);
}

static bool any_match(const RtValue *texts, const char *name, bool options, RtValue *params) {
  bool found = false;
  for (size_t i = 0; texts && i < rt_len(texts); i++) {
    RtValue *lines = readlines(rt_list_at(texts, i)->u.str.s);
    for (size_t k = 0; k < rt_len(lines); k++) {
      char *p = NULL;
      if (match_line(rt_list_at(lines, k)->u.str.s, name, options, params ? &p : NULL)) {
        found = true;
        if (p && params) {
          bool dup = false;
          for (size_t j = 0; j < rt_len(params) && !dup; j++)
            dup = strcmp(rt_list_at(params, j)->u.str.s, p) == 0;
          if (!dup)
            rt_list_push(params, rt_strz(p));
        }
      }
      free(p);
    }
    rt_decref(lines);
  }
  return found;
}

/* set(params.split()) */
static RtValue *word_set(const char *s) {
  RtValue *words = mod_words(s), *l = rt_list_new(rt_len(words));
  for (size_t i = 0; i < rt_len(words); i++) {
    RtValue *w = rt_list_at(words, i);
    bool dup = false;
    for (size_t j = 0; j < rt_len(l) && !dup; j++)
      dup = rt_equal(rt_list_at(l, j), w);
    if (!dup)
      rt_list_push(l, rt_incref(w));
  }
  rt_decref(words);
  return l;
}

static bool same_set(const RtValue *a, const RtValue *b) {
  if (rt_len(a) != rt_len(b))
    return false;
  for (size_t i = 0; i < rt_len(a); i++) {
    bool in = false;
    for (size_t j = 0; j < rt_len(b) && !in; j++)
      in = strcmp(rt_list_at(a, i)->u.str.s, rt_list_at(b, j)->u.str.s) == 0;
    if (!in)
      return false;
  }
  return true;
}

static RtValue *base_result(bool changed, const char *name, const char *params, const char *state) {
  RtValue *r = rt_dict_new(8);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "name", rt_strz(name));
  rt_dict_set(r, "params", rt_strz(params));
  rt_dict_set(r, "state", rt_strz(state));
  return r;
}

/* Script text writing "$c" to file F (quoted). */
static void write_file(RtBuf *s, const char *path, const char *text) {
  mod_sh_set(s, "wf", path);
  mod_sh_set(s, "wc", text);
  rt_buf_puts(s, "printf %s \"$wc\" > \"$wf\" || exit 1\n");
}

RtValue *mod_modprobe(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *state = mod_arg_str(args, "state");
  char *params = mod_arg_str(args, "params"), *persistent = mod_arg_str(args, "persistent");
  if (!state)
    state = rt_xstrdup("present");
  if (!params)
    params = rt_xstrdup("");
  if (!persistent)
    persistent = rt_xstrdup("disabled");
  RtValue *r = NULL, *want = word_set(params), *perm = rt_list_new(4), *warn = NULL;
  RtBuf s = {0};
  RtExec ex = {0}, wr = {0};
  bool have_ex = false, have_wr = false;
  char *err = NULL;
  mod_sh_need(&s, "modprobe");
  mod_sh_set(&s, "n", name);
  rt_buf_puts(&s, loaded_script);
  rt_buf_puts(&s, "__playc_rec loaded $lo\n"
                  "for f in /etc/modules-load.d/* /etc/modprobe.d/*; do [ -f \"$f\" ] || continue\n"
                  "  t=$(cat -- \"$f\"; echo x); case $f in /etc/modules-load.d/*) k=ml;; *) k=mp;; esac\n"
                  "  __playc_rec \"$k.f[]\" \"$f\"; __playc_rec \"$k.t[]\" \"${t%x}\"; done\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have_ex = true;
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto done;
  if (mod_rec_is(&ex, "fail", "io")) {
    r = base_result(false, name, params, state);
    rt_dict_set(r, "failed", rt_bool(true));
    char *m = rt_xasprintf("[Errno 2] No such file or directory: '%s'", mod_rec(&ex, "file"));
    rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
    goto done;
  }
  bool loaded = mod_rec_is(&ex, "loaded", "1"), changed = false;
  RtValue *mlf = rt_dict_get(ex.rec, "ml.f"), *mlt = rt_dict_get(ex.rec, "ml.t");
  RtValue *mpf = rt_dict_get(ex.rec, "mp.f"), *mpt = rt_dict_get(ex.rec, "mp.t");
  bool persisted = any_match(mlt, name, false, NULL);
  any_match(mpt, name, true, perm);
  bool params_set = same_set(want, perm);
  bool load = strcmp(state, "present") == 0 && !loaded, unload = strcmp(state, "absent") == 0 && loaded;
  bool p_load = strcmp(persistent, "present") == 0 && !(persisted && params_set);
  bool p_unload = strcmp(persistent, "absent") == 0 && (persisted || rt_len(perm));
  rt_buf_free(&s);
  rt_buf_puts(&s, "set -e\n");
  mod_sh_set(&s, "n", name);
  ModArgv cmd = {0};
  mod_argv_add(&cmd, "modprobe");
  if (load || unload) {
    if (unload)
      mod_argv_add(&cmd, "-r");
    if (h->check_mode)
      mod_argv_add(&cmd, "-n");
    mod_argv_add(&cmd, "--");
    mod_argv_add(&cmd, name);
    RtValue *words = load ? mod_words(params) : NULL; /* shlex.split(params): words */
    for (size_t i = 0; words && i < rt_len(words); i++)
      mod_argv_add(&cmd, rt_list_at(words, i)->u.str.s);
    rt_decref(words);
    mod_sh_argv(&s, &cmd);
    rt_buf_puts(&s, "set +e; \"$@\"; rc=$?; __playc_rec rc $rc; [ $rc = 0 ] || exit 0; set -e\n");
    if (load && !h->check_mode) {
      rt_buf_puts(&s, loaded_script);
      rt_buf_puts(&s, "if [ $lo = 1 ]; then __playc_rec nowloaded 1; else shift\n" /* "$@": -- NAME PARAMS */
                      "  w=$(modprobe -n --first-time \"$@\" 2>&1 >/dev/null) || __playc_rec warn \"$w\"; fi\n");
    }
  }
  if (!h->check_mode && p_load) {
    if (!persisted) {
      char *f = rt_xasprintf("/etc/modules-load.d/%s.conf", name), *t = rt_xasprintf("%s\n", name);
      write_file(&s, f, t);
      free(f);
      free(t);
    }
    if (!params_set) {
      for (size_t i = 0; mpf && i < rt_len(mpf); i++) {
        char *t = disable_lines(rt_list_at(mpt, i)->u.str.s, name, true);
        if (t)
          write_file(&s, rt_list_at(mpf, i)->u.str.s, t);
        free(t);
      }
      RtBuf c = {0};
      rt_buf_add(&c, "", 0);
      for (size_t i = 0; i < rt_len(want); i++)
        rt_buf_printf(&c, "%soptions %s %s", i ? "\n" : "", name, rt_list_at(want, i)->u.str.s);
      rt_buf_putc(&c, '\n');
      char *f = rt_xasprintf("/etc/modprobe.d/%s.conf", name);
      write_file(&s, f, c.data);
      free(f);
      rt_buf_free(&c);
    }
  }
  if (!h->check_mode && p_unload) {
    for (size_t i = 0; persisted && mlf && i < rt_len(mlf); i++) {
      char *t = disable_lines(rt_list_at(mlt, i)->u.str.s, name, false);
      if (t)
        write_file(&s, rt_list_at(mlf, i)->u.str.s, t);
      free(t);
    }
    for (size_t i = 0; rt_len(perm) && mpf && i < rt_len(mpf); i++) {
      char *t = disable_lines(rt_list_at(mpt, i)->u.str.s, name, true);
      if (t)
        write_file(&s, rt_list_at(mpf, i)->u.str.s, t);
      free(t);
    }
  }
  bool need = load || unload || (!h->check_mode && (p_load || p_unload));
  if (need) {
    if (rt_host_exec(h, s.data, NULL, 0, &wr, &err) < 0) {
      mod_argv_free(&cmd);
      goto done;
    }
    have_wr = true;
    long long rc = mod_rec_int(&wr, "rc", 0);
    if (rc != 0) {
      r = base_result(false, name, params, state);
      rt_dict_set(r, "failed", rt_bool(true));
      rt_dict_set(r, "msg", rt_str(wr.err.data ? wr.err.data : "", wr.err.len));
      rt_dict_set(r, "rc", rt_int(rc));
      rt_dict_set(r, "stdout", rt_str(wr.out.data ? wr.out.data : "", wr.out.len));
      rt_dict_set(r, "stderr", rt_str(wr.err.data ? wr.err.data : "", wr.err.len));
      mod_argv_free(&cmd);
      goto done;
    }
    if (unload || (load && (h->check_mode || mod_rec(&wr, "nowloaded"))))
      changed = true;
    if (mod_rec(&wr, "warn")) {
      warn = rt_list_new(1);
      rt_list_push(warn, rt_strz(mod_rec(&wr, "warn")));
    }
  }
  mod_argv_free(&cmd);
  if (p_load || p_unload)
    changed = true;
  r = base_result(changed, name, params, state);
  if (warn)
    rt_dict_set(r, "warnings", rt_incref(warn));
done:
  if (have_ex)
    rt_exec_free(&ex);
  if (have_wr)
    rt_exec_free(&wr);
  rt_decref(want);
  rt_decref(perm);
  rt_decref(warn);
  rt_buf_free(&s);
  free(err);
  free(name);
  free(state);
  free(params);
  free(persistent);
  return r;
}

#endif
