/*
 * sysctl.c — ansible.posix.sysctl on Linux: request 1 reads the running
 * value (`sysctl -e -n NAME`) and the sysctl file; the controller decides
 * as the module's SysctlModule does (the file's lines rewritten key=value,
 * the key's line replaced, dropped or appended, values compared word by
 * word) and, only when something must change outside check mode, request 2
 * sets the value (`sysctl -w`), writes the file through a temp file beside
 * it and a rename, and reloads it (`sysctl -p FILE`), with LANG=C as the
 * module runs them. The result is {"changed"} alone, as the module's.
 */
#include "mod.h"

static const ModParam sysctl_params[] = {
    {.name = "name", .type = MP_STR, .required = true, .aliases = "key"},
    {.name = "value", .type = MP_STR, .aliases = "val"},
    {.name = "state", .type = MP_STR, .choices = "present,absent", .def = "present"},
    {.name = "reload", .type = MP_BOOL, .def = "true"},
    {.name = "sysctl_set", .type = MP_BOOL, .def = "false"},
    {.name = "ignoreerrors", .type = MP_BOOL, .def = "false"},
    {.name = "sysctl_file", .type = MP_PATH, .def = "/etc/sysctl.conf"},
};
const ModSchema mod_schema_sysctl = {
    .name = "sysctl",
    .params = sysctl_params,
    .nparams = MOD_N(sysctl_params),
    .required_if = "state=present:value",
    .tools = "sysctl",
    .check_mode = true,
    .collection = "ansible.posix",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *strip(const char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return rt_xstrndup(s, n);
}

/* _parse_value: booleans as 1/0, other text stripped. */
static char *parse_value(RtValue *v) {
  if (!v || rt_kind(v) == RT_NONE)
    return rt_xstrdup("");
  if (rt_kind(v) == RT_BOOL)
    return rt_xstrdup(v->u.b ? "1" : "0");
  RtBuf b = {0};
  rt_render_str(&b, v);
  char *t = b.data ? b.data : rt_xstrdup("");
  static const char *const yes[] = {"y", "yes", "on", "1", "true", "t", NULL};
  static const char *const no[] = {"n", "no", "off", "0", "false", "f", NULL};
  for (int i = 0; yes[i]; i++)
    if (strcasecmp(t, yes[i]) == 0) {
      free(t);
      return rt_xstrdup("1");
    }
  for (int i = 0; no[i]; i++)
    if (strcasecmp(t, no[i]) == 0) {
      free(t);
      return rt_xstrdup("0");
    }
  char *s = strip(t);
  free(t);
  return s;
}

/* _values_is_equal: the same words in the same order. */
static bool words_equal(const char *a, const char *b) {
  for (;;) {
    while (isspace((unsigned char)*a))
      a++;
    while (isspace((unsigned char)*b))
      b++;
    if (!*a || !*b)
      return !*a && !*b;
    size_t na = 0, nb = 0;
    while (a[na] && !isspace((unsigned char)a[na]))
      na++;
    while (b[nb] && !isspace((unsigned char)b[nb]))
      nb++;
    if (na != nb || strncmp(a, b, na) != 0)
      return false;
    a += na;
    b += nb;
  }
}

/* "k = v" → k and v stripped; false for blanks, comments, lines without '='. */
static bool kv_line(const char *line, char **k, char **v) {
  if (!*line || line[0] == '#' || line[0] == ';' || !strchr(line, '='))
    return false;
  const char *eq = strchr(line, '=');
  char *kk = rt_xstrndup(line, (size_t)(eq - line));
  *k = strip(kk);
  free(kk);
  *v = strip(eq + 1);
  return true;
}

RtValue *mod_sysctl(RtHost *h, RtValue *args) {
  char *raw = mod_arg_str(args, "name"), *state = mod_arg_str(args, "state");
  char *file = mod_arg_str(args, "sysctl_file");
  char *name = strip(raw ? raw : ""), *value = NULL;
  bool present = !state || strcmp(state, "present") == 0;
  bool reload = mod_arg_bool(args, "reload", 1) != 0, set = mod_arg_bool(args, "sysctl_set", 0) == 1;
  bool ignore = mod_arg_bool(args, "ignoreerrors", 0) == 1;
  RtValue *r = NULL, *vv = rt_dict_get(args, "value");
  RtBuf s = {0}, fixed = {0};
  RtExec ex = {0}, wr = {0};
  bool have_ex = false, have_wr = false;
  char *err = NULL;
  if (!*raw) {
    r = mod_fail_result("name cannot be blank");
    goto done;
  }
  if (present && vv && rt_kind(vv) == RT_STR && !vv->u.str.len) {
    r = mod_fail_result("value cannot be blank");
    goto done;
  }
  value = parse_value(vv);
  mod_sh_need(&s, "sysctl");
  mod_sh_set(&s, "n", name);
  mod_sh_set_path(&s, "f", file ? file : "/etc/sysctl.conf");
  rt_buf_puts(&s, "export LANG=C LC_ALL=C LC_MESSAGES=C\n"
                  "__playc_rec file \"$f\"\n"
                  "if v=$(sysctl -e -n \"$n\"; r=$?; echo x; exit $r); then __playc_rec proc \"${v%x}\"; fi\n"
                  "if [ -f \"$f\" ]; then t=$(cat -- \"$f\"; echo x) || exit 1; __playc_rec text \"${t%x}\"; fi\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have_ex = true;
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto done;
  const char *proc = mod_rec(&ex, "proc"), *text = mod_rec(&ex, "text") ? mod_rec(&ex, "text") : "";
  /* read_sysctl_file and fix_lines */
  /* checked: the keys seen so far, a dict for its hash index (a long file
   * would make a list quadratic) */
  RtValue *lines = mod_lines(text, strlen(text)), *checked = rt_dict_new(8);
  char *file_value = NULL;
  rt_buf_add(&fixed, "", 0);
  for (size_t i = 0; i < rt_len(lines); i++) {
    char *line = strip(rt_list_at(lines, i)->u.str.s), *k, *v;
    if (!kv_line(line, &k, &v)) {
      rt_buf_printf(&fixed, "%s\n", line);
      free(line);
      continue;
    }
    if (strcmp(k, name) == 0) {
      free(file_value);
      file_value = rt_xstrdup(v);
    }
    if (!rt_dict_get(checked, k)) {
      rt_dict_set(checked, k, rt_none());
      if (strcmp(k, name) != 0)
        rt_buf_printf(&fixed, "%s=%s\n", k, v);
      else if (present)
        rt_buf_printf(&fixed, "%s=%s\n", k, value);
    }
    free(k);
    free(v);
    free(line);
  }
  if (!rt_dict_get(checked, name) && present)
    rt_buf_printf(&fixed, "%s=%s\n", name, value);
  rt_decref(lines);
  rt_decref(checked);
  bool changed = false, write_file = false, set_proc = false;
  if (!file_value && present) {
    changed = write_file = true;
  } else if (!file_value) {
  } else if (*file_value && !present) {
    changed = write_file = true;
  } else if (strcmp(file_value, value) != 0) {
    changed = write_file = true;
  } else if (reload) {
    if (!proc || !words_equal(proc, value))
      changed = true;
  }
  free(file_value);
  if (set && present) {
    if (!proc) {
      changed = true;
    } else if (!words_equal(proc, value)) {
      changed = set_proc = true;
    }
  }
  if (!h->check_mode && (set_proc || write_file || (changed && reload))) {
    rt_buf_free(&s);
    rt_buf_puts(&s, "__playc_traps\nexport LANG=C LC_ALL=C LC_MESSAGES=C\n");
    mod_sh_set(&s, "n", name);
    mod_sh_set(&s, "v", value);
    mod_sh_set(&s, "f", mod_rec(&ex, "file"));
    /* _stderr_failed: sysctl's own words for a refused setting */
    static const char bad[] = "grep -Eq '^sysctl: setting key \"[^\"]+\": (Invalid argument|Read-only file system)$'";
    if (set_proc)
      rt_buf_printf(&s, "o=$(sysctl%s -w \"$n=$v\" 2>&1; r=$?; echo x; exit $r); r=$?; o=${o%%x}\n"
                        "if [ $r != 0 ] || printf '%%s\\n' \"$o\" | %s; then __playc_rec fail set; "
                        "__playc_rec out \"$o\"; exit 0; fi\n",
                    ignore ? " -e" : "", bad);
    if (write_file) {
      char tname[MOD_TEMP_NAME];
      rt_buf_puts(&s, "dir=$(dirname -- \"$f\"); um=$(umask)\n");
      mod_sh_temp_beside(&s, "dir", tname);
      rt_buf_puts(&s, "cat > \"$__playc_tmp\" || exit 1\n"
                      "if [ -e \"$f\" ]; then chmod \"$(stat -c %a -- \"$f\")\" \"$__playc_tmp\"; "
                      "chown \"$(stat -c %u:%g -- \"$f\")\" \"$__playc_tmp\" 2>/dev/null; "
                      "else chmod \"$(printf %o $((0666 & ~0$um)))\" \"$__playc_tmp\"; fi\n"
                      "mv -f -- \"$__playc_tmp\" \"$f\" || exit 1; __playc_tmp=\n");
    }
    if (changed && reload)
      rt_buf_printf(&s, "o=$(sysctl%s -p \"$f\" 2>&1; r=$?; echo x; exit $r); r=$?; o=${o%%x}\n"
                        "if [ $r != 0 ] || printf '%%s\\n' \"$o\" | %s; then __playc_rec fail reload; "
                        "__playc_rec out \"$o\"; exit 0; fi\n",
                    ignore ? " -e" : "", bad);
    if (rt_host_exec(h, s.data, write_file && fixed.len ? fixed.data : NULL, write_file ? fixed.len : 0, &wr, &err) < 0)
      goto done;
    have_wr = true;
    if (mod_rec_is(&wr, "fail", "set")) {
      r = mod_fail_result("setting %s failed: %s", name, mod_rec(&wr, "out"));
      goto done;
    }
    if (mod_rec_is(&wr, "fail", "reload")) {
      r = mod_fail_result("Failed to reload sysctl: %s", mod_rec(&wr, "out"));
      goto done;
    }
    if (wr.rc != 0 || mod_rec(&wr, "fail")) {
      r = mod_fail_result("Failed to write to file %s: %s", mod_rec(&ex, "file"), wr.err.len ? wr.err.data : "");
      goto done;
    }
  }
  r = rt_dict_new(1);
  rt_dict_set(r, "changed", rt_bool(changed));
done:
  if (have_ex)
    rt_exec_free(&ex);
  if (have_wr)
    rt_exec_free(&wr);
  rt_buf_free(&s);
  rt_buf_free(&fixed);
  free(err);
  free(raw);
  free(state);
  free(file);
  free(name);
  free(value);
  return r;
}

#endif
