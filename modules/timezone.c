/*
 * timezone.c — community.general.timezone on Linux, with the module's two
 * strategies: systemd (`timedatectl` answers: its status is read, and
 * set-timezone / set-local-rtc change it) and the files of a system
 * without it (/etc/timezone or /etc/sysconfig/clock, the hwclock file,
 * /etc/adjtime and the /etc/localtime link, then the family's commands:
 * ln + dpkg-reconfigure on Debian, setup-timezone on Alpine, cp or
 * tzdata-update elsewhere, and `hwclock --systohc`).
 *
 * Request 1 picks the strategy, checks the tools and the zone file, and
 * reads every file (or the status) the module reads; the values are
 * derived on the controller with the module's regular expressions. When a
 * value differs (and not in check mode), request 2 writes the edited files
 * (edited here as the module's _edit_file does: the first matching line
 * replaced, the other matches dropped), runs the commands, and reads
 * everything again for the "after" phase. The result is the module's:
 * changed, diff {before, after} and msg (the commands logged).
 */
#include "mod.h"

static const ModParam timezone_params[] = {
    {.name = "hwclock", .type = MP_STR, .aliases = "rtc", .choices = "local,UTC"},
    {.name = "name", .type = MP_STR},
};
const ModSchema mod_schema_timezone = {
    .name = "timezone",
    .params = timezone_params,
    .nparams = MOD_N(timezone_params),
    .one_of = "hwclock,name",
    .tools = "timedatectl,hwclock",
    .check_mode = true,
    .diff_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Script text: the strategy (st), the family's files and tools, then `rd`,
 * which records what the module reads: f.KEY (a file's text, '.'-ended),
 * f.KEY.err (unreadable), the timedatectl status (cap `status`) and
 * /etc/localtime (lt.link, lt.exists, lt.same). */
static const char read_script[] =
    "st=nosystemd\n"
    "if pc_bin timedatectl; then tdc=$pc_v; \"$tdc\" >/dev/null 2>&1 </dev/null && st=systemd; fi\n"
    "__playc_rec st $st\n"
    "if [ -n \"${n+x}\" ] && [ ! -f \"/usr/share/zoneinfo/$n\" ]; then __playc_rec nozone 1; exit 0; fi\n"
    "if [ $st = nosystemd ]; then\n"
    "  if [ -n \"${n+x}\" ]; then pc_bin cp || pc_nobin cp; cpb=$pc_v; fi\n"
    "  pc_bin hwclock || pc_nobin hwclock; hwb=$pc_v\n"
    "  id=; [ ! -r /etc/os-release ] || id=$(. /etc/os-release; printf %s \"$ID\")\n"
    "  cfn=/etc/timezone\n"
    "  if pc_bin dpkg-reconfigure; then fam=debian; drb=$pc_v; cfh=/etc/default/rcS\n"
    "    if [ -n \"${n+x}\" ]; then pc_bin ln || pc_nobin ln; lnb=$pc_v; fi\n"
    "  elif [ \"$id\" = alpine ] || [ \"$id\" = gentoo ]; then fam=$id; cfh=/etc/conf.d/hwclock\n"
    "    if [ $fam = alpine ] && [ -n \"${n+x}\" ]; then pc_bin setup-timezone || pc_nobin setup-timezone; "
    "stb=$pc_v; fi\n"
    "  else fam=redhat; cfn=/etc/sysconfig/clock; cfh=$cfn\n"
    "    if pc_bin tzdata-update && [ ! -L /etc/localtime ]; then tzu=$pc_v; fi\n"
    "  fi\n"
    "  __playc_rec fam $fam; __playc_rec cfn \"$cfn\"; __playc_rec cfh \"$cfh\"\n"
    "  for v in cpb hwb drb lnb stb tzu; do eval \"__playc_rec b.$v \\\"\\${$v-}\\\"\"; done\n"
    "else __playc_rec b.tdc \"$tdc\"\n"
    "fi\n"
    "rf() {\n"
    "  [ -e \"$2\" ] || [ -L \"$2\" ] || return 0\n"
    "  if c=$(cat -- \"$2\" 2>/dev/null && echo .); then __playc_rec \"f.$1\" \"$c\"; else __playc_rec \"f.$1.err\" 1; fi\n"
    "}\n"
    "rd() {\n"
    "  if [ $st = systemd ]; then pc_cap status \"$tdc\" status || { __playc_rec fail status; exit 0; }; return; fi\n"
    "  rf name \"$cfn\"; rf hw \"$cfh\"; rf adj /etc/adjtime\n"
    "  if [ -L /etc/localtime ]; then __playc_rec lt.link \"$(readlink /etc/localtime)\"\n"
    "    [ ! -e /etc/localtime ] || __playc_rec lt.exists 1\n"
    "  elif [ -n \"${n+x}\" ] && cmp -s /etc/localtime \"/usr/share/zoneinfo/$n\" 2>/dev/null; then __playc_rec lt.same 1\n"
    "  fi\n"
    "}\n";

typedef struct Tz {
  const char *planned[2]; /* hwclock, name (the module's key order); NULL when not given */
  bool systemd;
  const char *fam, *cfn, *cfh;
  bool suse; /* /etc/sysconfig/clock uses TIMEZONE= */
  RtBuf msg;  /* the module's self.msg lines */
  char *abort; /* an abort's message (malloc'd) */
} Tz;
static const char *const tz_keys[2] = {"hwclock", "name"};

/* The first group of `pat` (multiline) in `s`, malloc'd, or NULL. */
static char *re_first(const char *pat, const char *s) {
  char *err = NULL;
  ModRe *re = mod_re_compile(pat, strlen(pat), MOD_RE_MULTILINE, true, &err);
  char *v = NULL;
  ModReMatch m;
  size_t b, e;
  if (re && mod_re_search(re, s, strlen(s), 0, false, &m) && mod_re_group(&m, 1, &b, &e))
    v = rt_xstrndup(s + b, e - b);
  mod_re_free(re);
  free(err);
  return v;
}

/* A file's text from record f.KEY (without the '.' end), or NULL when
 * absent; *unreadable when it could not be read. */
static char *file_text(const RtExec *ex, const char *key, bool *unreadable) {
  char k[32];
  snprintf(k, sizeof k, "f.%s.err", key);
  *unreadable = mod_rec(ex, k) != NULL;
  snprintf(k, sizeof k, "f.%s", key);
  const char *v = mod_rec(ex, k);
  if (!v)
    return NULL;
  size_t n = strlen(v);
  return rt_xstrndup(v, n ? n - 1 : 0);
}

static void tz_abort(Tz *t, const char *fmt, const char *a, const char *b) {
  if (t->abort)
    return;
  RtBuf m = {0};
  rt_buf_puts(&m, "Error message:\n");
  rt_buf_printf(&m, fmt, a, b);
  if (t->msg.len) {
    rt_buf_puts(&m, "\nOther message(s):\n");
    rt_buf_add(&m, t->msg.data, t->msg.len - 1); /* without the last newline */
  }
  t->abort = rt_buf_take(&m);
}

static const char *name_regexp(const Tz *t) {
  if (strcmp(t->fam, "redhat") != 0)
    return "^([^\\s]+)";
  return t->suse ? "^TIMEZONE\\s*=\\s*\"?([^\"\\s]+)\"?" : "^ZONE\\s*=\\s*\"?([^\"\\s]+)\"?";
}

static const char *const hw_regexp = "^UTC\\s*=\\s*([^\\s]+)";

/* Python's boolean() of the module (yes/true/on/1 ...). */
static bool py_true(const char *v) {
  static const char *const yes[] = {"yes", "on", "1", "true", "y", "t", NULL};
  for (int i = 0; yes[i]; i++)
    if (strcasecmp(v, yes[i]) == 0)
      return true;
  return false;
}

/* _get_value_from_config(key, phase) of the files strategy. */
static char *conf_value(Tz *t, const RtExec *ex, const char *key, bool after) {
  bool unreadable;
  const char *rk = strcmp(key, "name") == 0 ? "name" : strcmp(key, "hwclock") == 0 ? "hw" : "adj";
  const char *file = strcmp(key, "name") == 0 ? t->cfn : strcmp(key, "hwclock") == 0 ? t->cfh : "/etc/adjtime";
  char *text = file_text(ex, rk, &unreadable);
  if (unreadable) {
    tz_abort(t, "tried to configure %s using a file \"%s\", but could not read it", key, file);
    return rt_xstrdup("n/a");
  }
  if (!text)
    return rt_xstrdup(strcmp(key, "adjtime") == 0 ? "UTC" : "n/a");
  const char *pat = strcmp(key, "name") == 0 ? name_regexp(t) : strcmp(key, "hwclock") == 0 ? hw_regexp
                                                                                             : "^(UTC|LOCAL)$";
  char *v = re_first(pat, text);
  free(text);
  if (!v) {
    if (strcmp(key, "name") == 0 && after)
      tz_abort(t, "tried to configure %s using a file \"%s\", but could not find a valid value in it", key, file);
    return rt_xstrdup(strcmp(key, "adjtime") == 0 ? "UTC" : "n/a");
  }
  if (strcmp(key, "hwclock") == 0) {
    char *w = rt_xstrdup(py_true(v) ? "UTC" : "local");
    free(v);
    return w;
  }
  if (strcmp(key, "adjtime") == 0 && strcmp(v, "UTC") != 0)
    v[0] = 'l', v[1] = 'o', v[2] = 'c', v[3] = 'a', v[4] = 'l'; /* LOCAL → local */
  return v;
}

/* The zone /etc/localtime links to (the module's regular expression), or NULL. */
static char *link_zone(const char *path) {
  static const char *const dirs[] = {"/usr/share/zoneinfo/", "/etc/zoneinfo/"};
  for (const char *p = path; *p; p++)
    for (int i = 0; i < 2; i++)
      if (strncmp(p, dirs[i], strlen(dirs[i])) == 0) {
        const char *z = p + strlen(dirs[i]);
        return rt_xstrndup(z, strcspn(z, "\n"));
      }
  return NULL;
}

/* get(key, phase): the value the system has. */
static char *tz_get(Tz *t, const RtExec *ex, int k, bool after) {
  const char *planned = t->planned[k];
  if (t->systemd) {
    ModCap c;
    char *v = NULL;
    if (mod_ps_cap(ex, "status", &c)) {
      v = re_first(k == 0 ? "^\\s*RTC in local TZ\\s*:\\s*([^\\s]+)" : "^\\s*Time ?zone\\s*:\\s*([^\\s]+)", c.out);
      mod_ps_cap_free(&c);
    }
    if (!v) {
      tz_abort(t, "could not read %s from `timedatectl status`%s", tz_keys[k], "");
      return rt_xstrdup("n/a");
    }
    if (k == 0) {
      char *w = rt_xstrdup(py_true(v) ? "local" : "UTC");
      free(v);
      return w;
    }
    return v;
  }
  char *v = conf_value(t, ex, tz_keys[k], after);
  if (strcmp(v, planned) != 0)
    return v;
  if (k == 0) {
    free(v);
    return conf_value(t, ex, "adjtime", after);
  }
  const char *link = mod_rec(ex, "lt.link");
  if (link) {
    char *z = mod_rec(ex, "lt.exists") ? link_zone(link) : NULL;
    if (!z || strcmp(z, planned) != 0) {
      free(v);
      v = z ? z : rt_xstrdup("n/a");
    } else {
      free(z);
    }
  } else if (!mod_rec(ex, "lt.same")) {
    free(v);
    v = rt_xstrdup("n/a");
  }
  return v;
}

/* _edit_file: `value` replaces the first line `pat` matches (or goes
 * first), the other matches are dropped. Returns the new text (malloc'd). */
static char *edit_text(Tz *t, const char *text, const char *pat, const char *value, const char *file) {
  char *err = NULL;
  ModRe *re = mod_re_compile(pat, strlen(pat), MOD_RE_MULTILINE, true, &err);
  free(err);
  RtBuf out = {0};
  rt_buf_add(&out, "", 0);
  bool inserted = false;
  int dropped = 0;
  size_t first = 0;
  for (const char *p = text ? text : ""; *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
    ModReMatch m;
    if (re && mod_re_search(re, p, n, 0, false, &m)) {
      if (!inserted) {
        first = out.len;
        inserted = true;
      }
      dropped++;
    } else {
      rt_buf_add(&out, p, n);
    }
    p += n;
  }
  mod_re_free(re);
  RtBuf r = {0};
  rt_buf_add(&r, out.data, first);
  rt_buf_puts(&r, value);
  rt_buf_add(&r, out.data + first, out.len - first);
  rt_buf_free(&out);
  rt_buf_printf(&t->msg, "Added 1 line and deleted %d line(s) on %s\n", dropped, file);
  return rt_buf_take(&r);
}

/* Python's shlex.quote. */
static void py_quote(RtBuf *b, const char *w) {
  bool safe = *w != 0;
  for (const char *p = w; *p; p++)
    if (!(strchr("@%+=:,./-_", *p) || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z')))
      safe = false;
  if (safe) {
    rt_buf_puts(b, w);
    return;
  }
  rt_buf_putc(b, '\'');
  for (const char *p = w; *p; p++)
    if (*p == '\'')
      rt_buf_puts(b, "'\"'\"'");
    else
      rt_buf_putc(b, *p);
  rt_buf_putc(b, '\'');
}

/* Script text: run the command of shell words `words` (the first a
 * variable holding the program's path) as execute() does; `log` adds it
 * to msg. A failure records fail=cmd and ends the script. */
static void run_cmd(RtBuf *s, Tz *t, int n, const char *const *words, const char *const *shown, bool log) {
  RtBuf cmd = {0};
  for (int i = 0; i < n; i++) {
    if (i)
      rt_buf_putc(&cmd, ' ');
    py_quote(&cmd, shown[i]);
  }
  rt_buf_puts(s, "pc_cap run");
  for (int i = 0; i < n; i++) {
    rt_buf_putc(s, ' ');
    if (words[i][0] == '$')
      rt_buf_printf(s, "\"%s\"", words[i]);
    else
      rt_sh_quote(s, words[i]);
  }
  rt_buf_puts(s, " || { __playc_rec fail cmd; __playc_rec cmd ");
  rt_sh_quote(s, cmd.data);
  rt_buf_puts(s, "; exit 0; }\n");
  if (log)
    rt_buf_printf(&t->msg, "executed `%s`\n", cmd.data);
  rt_buf_free(&cmd);
}

/* Script text: the file `file` gets `text`. */
static void write_file(RtBuf *s, const char *file, const char *text) {
  mod_sh_set(s, "wf", file);
  mod_sh_set(s, "wt", text);
  rt_buf_puts(s, "printf %s \"$wt\" > \"$wf\" || { __playc_rec fail write; __playc_rec file \"$wf\"; exit 0; }\n");
}

/* The full path of a program request 1 found (its script variable `var`). */
static const char *bin(const RtExec *ex, const char *var) {
  char k[16];
  snprintf(k, sizeof k, "b.%s", var);
  return mod_rec(ex, k) ? mod_rec(ex, k) : "";
}

static RtValue *values_dict(char *const *v, const Tz *t) {
  RtValue *d = rt_dict_new(2);
  for (int k = 0; k < 2; k++)
    if (t->planned[k])
      rt_dict_set(d, tz_keys[k], rt_strz(v[k]));
  return d;
}

/* Python's str() of a dict of str values, in the module's key order. */
static void py_dict_text(RtBuf *b, const Tz *t, char *const *v) {
  rt_buf_putc(b, '{');
  bool first = true;
  for (int k = 0; k < 2; k++)
    if (t->planned[k]) {
      rt_buf_printf(b, "%s'%s': '%s'", first ? "" : ", ", tz_keys[k], v[k]);
      first = false;
    }
  rt_buf_putc(b, '}');
}

RtValue *mod_timezone(RtHost *h, RtValue *args) {
  Tz t = {0};
  char *hw = mod_arg_str(args, "hwclock"), *name = mod_arg_str(args, "name");
  t.planned[0] = hw;
  t.planned[1] = name;
  RtValue *r = NULL;
  RtBuf s = {0}, s2 = {0};
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  char *err = NULL, *before[2] = {0}, *after[2] = {0};
  char *texts[2] = {0};
  mod_ps_sh_begin(&s);
  if (name)
    mod_sh_set(&s, "n", name);
  rt_buf_puts(&s, read_script);
  rt_buf_puts(&s, "rd\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec(&ex, "nozone")) {
    tz_abort(&t, "given timezone \"%s\" is not available%s", name, "");
    goto done;
  }
  t.systemd = mod_rec_is(&ex, "st", "systemd");
  if (mod_rec_is(&ex, "fail", "status")) {
    ModCap c;
    if (mod_ps_cap(&ex, "status", &c)) {
      r = mod_fail_result("%s", c.err ? c.err : "");
      mod_ps_cap_free(&c);
    } else {
      r = mod_fail_result("timedatectl status failed");
    }
    goto done;
  }
  if (!t.systemd) {
    t.fam = mod_rec(&ex, "fam");
    t.cfn = mod_rec(&ex, "cfn");
    t.cfh = mod_rec(&ex, "cfh");
    if (strcmp(t.fam, "redhat") == 0) {
      bool unreadable;
      char *clock = file_text(&ex, "name", &unreadable);
      if (unreadable) {
        tz_abort(&t, "could not read configuration file \"%s\"%s", t.cfn, "");
        goto done;
      }
      char *m = clock ? re_first("^(TIMEZONE)\\s*=", clock) : NULL;
      t.suse = m != NULL;
      free(m);
      free(clock);
    }
  }
  bool changed = false;
  for (int k = 0; k < 2; k++)
    if (t.planned[k]) {
      before[k] = tz_get(&t, &ex, k, false);
      if (strcmp(before[k], t.planned[k]) != 0)
        changed = true;
    }
  if (t.abort)
    goto done;
  if (changed && !h->check_mode) {
    mod_ps_sh_begin(&s2);
    if (name)
      mod_sh_set(&s2, "n", name);
    rt_buf_puts(&s2, read_script);
    for (int k = 0; k < 2; k++) {
      if (!t.planned[k] || strcmp(before[k], t.planned[k]) == 0)
        continue;
      if (t.systemd) {
        const char *val = k == 0 ? (strcmp(hw, "local") == 0 ? "yes" : "no") : name;
        const char *w[] = {"$tdc", k == 0 ? "set-local-rtc" : "set-timezone", val};
        const char *shown[] = {bin(&ex, "tdc"), w[1], val};
        run_cmd(&s2, &t, 3, w, shown, true);
        continue;
      }
      const char *file = k == 0 ? t.cfh : t.cfn;
      bool same_file = strcmp(t.cfh, t.cfn) == 0;
      bool unreadable;
      char *cur = k == 1 && same_file && texts[0] ? rt_xstrdup(texts[0]) : file_text(&ex, k == 0 ? "hw" : "name",
                                                                                      &unreadable);
      char *line = k == 0 ? rt_xasprintf("UTC=%s\n", strcmp(hw, "local") == 0 ? "no" : "yes")
                          : rt_xasprintf(strcmp(t.fam, "redhat") == 0 ? (t.suse ? "TIMEZONE=\"%s\"\n" : "ZONE=\"%s\"\n")
                                                                      : "%s\n",
                                         name);
      texts[k] = edit_text(&t, cur, k == 0 ? hw_regexp : name_regexp(&t), line, file);
      free(cur);
      free(line);
      write_file(&s2, file, texts[k]);
      if (k == 0) {
        const char *opt = strcmp(hw, "local") == 0 ? "--localtime" : "--utc";
        const char *w[] = {"$hwb", "--systohc", opt};
        const char *shown[] = {bin(&ex, "hwb"), w[1], opt};
        run_cmd(&s2, &t, 3, w, shown, true);
        continue;
      }
      char *tzfile = rt_xasprintf("/usr/share/zoneinfo/%s", name);
      if (strcmp(t.fam, "debian") == 0) {
        const char *w1[] = {"$lnb", "-sf", tzfile, "/etc/localtime"};
        const char *w2[] = {"$drb", "--frontend", "noninteractive", "tzdata"};
        const char *s1[] = {bin(&ex, "lnb"), "-sf", tzfile, "/etc/localtime"};
        const char *sh2[] = {bin(&ex, "drb"), "--frontend", "noninteractive", "tzdata"};
        run_cmd(&s2, &t, 4, w1, s1, false);
        run_cmd(&s2, &t, 4, w2, sh2, false);
      } else if (strcmp(t.fam, "alpine") == 0) {
        const char *w[] = {"$stb", "-z", name};
        const char *sh[] = {bin(&ex, "stb"), "-z", name};
        run_cmd(&s2, &t, 3, w, sh, false);
      } else {
        rt_buf_puts(&s2, "if [ -n \"${tzu-}\" ]; then\n");
        const char *w[] = {"$tzu"};
        const char *sh[] = {bin(&ex, "tzu")};
        run_cmd(&s2, &t, 1, w, sh, false);
        rt_buf_puts(&s2, "else\n");
        const char *w2[] = {"$cpb", "--remove-destination", tzfile, "/etc/localtime"};
        const char *sh2[] = {bin(&ex, "cpb"), "--remove-destination", tzfile, "/etc/localtime"};
        run_cmd(&s2, &t, 4, w2, sh2, false);
        rt_buf_puts(&s2, "fi\n");
      }
      free(tzfile);
    }
    rt_buf_puts(&s2, "rd\n");
    if (rt_host_exec(h, s2.data, NULL, 0, &ex2, &err) < 0)
      goto done;
    have2 = true;
    if ((r = mod_ps_missing(&ex2)) != NULL)
      goto done;
    if (mod_rec_is(&ex2, "fail", "cmd")) {
      ModCap c;
      mod_ps_cap(&ex2, "run", &c);
      size_t n = c.err ? strlen(c.err) : 0;
      while (n && strchr(" \t\n\r\v\f", c.err[n - 1]))
        n--;
      r = mod_fail_result("%.*s", (int)n, c.err ? c.err : "");
      rt_dict_set(r, "cmd", rt_strz(mod_rec(&ex2, "cmd")));
      rt_dict_set(r, "rc", rt_int(c.rc));
      mod_ps_out(r, c.out ? c.out : "", c.err ? c.err : "");
      mod_ps_cap_free(&c);
      goto done;
    }
    if (mod_rec_is(&ex2, "fail", "write")) {
      tz_abort(&t, "tried to configure %s using a file \"%s\", but could not write to it", "name",
               mod_rec(&ex2, "file"));
      goto done;
    }
    bool same = true;
    for (int k = 0; k < 2; k++)
      if (t.planned[k]) {
        after[k] = tz_get(&t, &ex2, k, true);
        same = same && strcmp(after[k], t.planned[k]) == 0;
      }
    if (t.abort)
      goto done;
    if (!same) {
      RtBuf a = {0}, p = {0};
      py_dict_text(&p, &t, (char *const *)t.planned);
      py_dict_text(&a, &t, after);
      tz_abort(&t, "still not desired state, though changes have made - planned: %s, after: %s", p.data, a.data);
      rt_buf_free(&a);
      rt_buf_free(&p);
      goto done;
    }
  } else {
    for (int k = 0; k < 2; k++)
      if (t.planned[k])
        after[k] = rt_xstrdup(t.planned[k]);
  }
  r = rt_dict_new(3);
  RtValue *d = rt_dict_new(2);
  rt_dict_set(d, "before", values_dict(before, &t));
  rt_dict_set(d, "after", values_dict(after, &t));
  bool differs = false;
  for (int k = 0; k < 2; k++)
    differs = differs || (t.planned[k] && strcmp(before[k], after[k]) != 0);
  rt_dict_set(r, "changed", rt_bool(differs));
  rt_dict_set(r, "diff", d);
  if (t.msg.len)
    rt_dict_set(r, "msg", rt_str(t.msg.data, t.msg.len - 1));
done:
  if (!r && t.abort && !rt_host_lost(h))
    r = mod_fail_result("%s", t.abort);
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s);
  rt_buf_free(&s2);
  rt_buf_free(&t.msg);
  for (int k = 0; k < 2; k++) {
    free(before[k]);
    free(after[k]);
    free(texts[k]);
  }
  free(t.abort);
  free(err);
  free(hw);
  free(name);
  return r;
}

#endif
