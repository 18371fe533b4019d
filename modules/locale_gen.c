/*
 * locale_gen.c — community.general.locale_gen: a locale generated or
 * removed with the target's locale-gen. Request 1 finds the layout
 * (/var/lib/locales/supported.d/ is Ubuntu's, else /etc/locale.gen) and
 * reads the file of available locales and `locale -a`; the controller
 * decides as the module does (the module's regular expressions, its case
 * folding of encodings). Request 2, when the state differs and not in check
 * mode, writes /etc/locale.gen with the locale's line (un)commented (edited
 * here, line by line, as the module's re.sub) and runs `locale-gen`; on
 * Ubuntu `locale-gen NAME`, or the locale dropped from
 * supported.d/local and `locale-gen --purge`.
 */
#include "mod.h"

static const ModParam locale_gen_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
};
const ModSchema mod_schema_locale_gen = {
    .name = "locale_gen",
    .params = locale_gen_params,
    .nparams = MOD_N(locale_gen_params),
    .tools = "locale,locale-gen",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

static const char read_script[] =
    "if [ -d /var/lib/locales/supported.d/ ]; then m=ubuntu; av=/usr/share/i18n/SUPPORTED\n"
    "elif [ -e /etc/locale.gen ]; then m=debian; av=/etc/locale.gen\n"
    "else __playc_rec fail nofiles; exit 0; fi\n"
    "__playc_rec mode $m\n"
    "c=$(cat -- \"$av\" && echo .) || { __playc_rec fail read; __playc_rec file \"$av\"; exit 0; }\n"
    "__playc_rec avail \"$c\"\n"
    "if [ $m = ubuntu ] && [ -e /var/lib/locales/supported.d/local ]; then\n"
    "  c=$(cat /var/lib/locales/supported.d/local && echo .) && __playc_rec local \"$c\"; fi\n"
    "pc_bin locale || pc_nobin locale\n"
    "pc_cap la \"$pc_v\" -a\n";

/* fix_case: the module's spellings of encodings (malloc'd). */
static char *fix_case(const char *name, size_t n) {
  static const char *const norm[][2] = {
      {".utf8", ".UTF-8"},   {".eucjp", ".EUC-JP"},       {".iso885915", ".ISO-8859-15"}, {".cp1251", ".CP1251"},
      {".koi8r", ".KOI8-R"}, {".armscii8", ".ARMSCII-8"}, {".euckr", ".EUC-KR"},           {".gbk", ".GBK"},
      {".gb18030", ".GB18030"}, {".euctw", ".EUC-TW"}};
  char *s = rt_xstrndup(name, n);
  for (size_t i = 0; i < sizeof norm / sizeof *norm; i++) {
    RtBuf b = {0};
    rt_buf_add(&b, "", 0);
    const char *p = s, *q;
    while ((q = strstr(p, norm[i][0])) != NULL) {
      rt_buf_add(&b, p, (size_t)(q - p));
      rt_buf_puts(&b, norm[i][1]);
      p = q + strlen(norm[i][0]);
    }
    rt_buf_puts(&b, p);
    free(s);
    s = rt_buf_take(&b);
  }
  return s;
}

/* The text of a '.'-ended record (malloc'd), "" when absent. */
static char *rec_text(const RtExec *ex, const char *key) {
  const char *v = mod_rec(ex, key);
  size_t n = v ? strlen(v) : 0;
  return rt_xstrndup(v ? v : "", n ? n - 1 : 0);
}

/* Calls f(line, len, ctx) for each line of `text` (the newline kept, as
 * Python's file iteration). */
static void each_line(const char *text, void (*f)(const char *, size_t, void *), void *ctx) {
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
    f(p, n, ctx);
    p += n;
  }
}

typedef struct Avail {
  ModRe *re;
  const char *name;
  bool found;
} Avail;

static void avail_line(const char *l, size_t n, void *ctx) {
  Avail *a = ctx;
  ModReMatch m;
  size_t b, e;
  if (!a->found && mod_re_search(a->re, l, n, 0, true, &m) && mod_re_named(a->re, &m, "locale", &b, &e) &&
      e - b == strlen(a->name) && memcmp(l + b, a->name, e - b) == 0)
    a->found = true;
}

typedef struct Subst {
  ModRe *re;
  const char *repl;
  RtBuf out;
} Subst;

static void subst_line(const char *l, size_t n, void *ctx) {
  Subst *s = ctx;
  size_t on = 0;
  long count = 0;
  char *err = NULL;
  char *o = s->re ? mod_re_subn(s->re, l, n, s->repl, strlen(s->repl), &on, &count, &err) : NULL;
  if (o)
    rt_buf_add(&s->out, o, on);
  else
    rt_buf_add(&s->out, l, n);
  free(o);
  free(err);
}

typedef struct Keep {
  const char *name;
  RtBuf out;
} Keep;

/* supported.d/local: the lines whose first word is not the locale. */
static void keep_line(const char *l, size_t n, void *ctx) {
  Keep *k = ctx;
  const char *sp = memchr(l, ' ', n);
  size_t w = sp ? (size_t)(sp - l) : n;
  if (!(w == strlen(k->name) && memcmp(l, k->name, w) == 0))
    rt_buf_add(&k->out, l, n);
}

RtValue *mod_locale_gen(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *state = mod_arg_str(args, "state");
  bool present = !state || strcmp(state, "present") == 0;
  RtValue *r = NULL;
  RtBuf s = {0}, s2 = {0};
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  char *err = NULL, *avail = NULL, *want = NULL;
  ModCap la = {0};
  bool have_la = false;
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, read_script);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec_is(&ex, "fail", "nofiles")) {
    r = mod_fail_result("/etc/locale.gen and /var/lib/locales/supported.d/local are missing. Is the package "
                        "\"locales\" installed?");
    goto done;
  }
  if (mod_rec_is(&ex, "fail", "read")) {
    r = mod_fail_result("could not read %s", mod_rec(&ex, "file"));
    goto done;
  }
  bool ubuntu = mod_rec_is(&ex, "mode", "ubuntu");
  avail = rec_text(&ex, "avail");
  const char *pat = ubuntu ? "^(?P<locale>\\S+_\\S+) (?P<charset>\\S+)\\s*$"
                           : "^#{0,1}\\s*(?P<locale>\\S+_\\S+) (?P<charset>\\S+)\\s*$";
  Avail a = {mod_re_compile(pat, strlen(pat), 0, true, &err), name, false};
  free(err);
  err = NULL;
  if (a.re)
    each_line(avail, avail_line, &a);
  mod_re_free(a.re);
  if (!a.found) {
    r = mod_fail_result("The locale you've entered is not available on your system.");
    goto done;
  }
  have_la = mod_ps_cap(&ex, "la", &la);
  want = fix_case(name, strlen(name));
  bool is_present = false;
  for (const char *p = have_la && la.out ? la.out : ""; *p && !is_present;) {
    size_t n = strcspn(p, "\n");
    char *l = fix_case(p, n);
    is_present = strcmp(l, want) == 0;
    free(l);
    p += n + (p[n] == '\n');
  }
  bool changed = is_present != present;
  if (h->check_mode) {
    r = rt_dict_new(1);
    rt_dict_set(r, "changed", rt_bool(changed));
    goto done;
  }
  if (changed) {
    mod_ps_sh_begin(&s2);
    rt_buf_puts(&s2, "pc_bin locale-gen || pc_nobin locale-gen\nlg=$pc_v\n");
    if (!ubuntu) {
      char *search = rt_xasprintf("#{0,1}\\s*%s (?P<charset>.+)", name);
      char *repl = rt_xasprintf("%s%s \\g<charset>", present ? "" : "# ", name);
      Subst sb = {mod_re_compile(search, strlen(search), 0, true, &err), repl, {0}};
      free(err);
      err = NULL;
      rt_buf_add(&sb.out, "", 0);
      each_line(avail, subst_line, &sb);
      mod_re_free(sb.re);
      mod_sh_set(&s2, "t", sb.out.data);
      rt_buf_free(&sb.out);
      free(search);
      free(repl);
      rt_buf_puts(&s2, "printf %s \"$t\" > /etc/locale.gen || { __playc_rec fail write; exit 0; }\n"
                       "\"$lg\" >/dev/null 2>&1 </dev/null; __playc_rec rc $?\n");
    } else if (present) {
      mod_sh_set(&s2, "n", name);
      rt_buf_puts(&s2, "\"$lg\" \"$n\" >/dev/null 2>&1 </dev/null; __playc_rec rc $?\n");
    } else {
      char *local = rec_text(&ex, "local");
      Keep k = {name, {0}};
      rt_buf_add(&k.out, "", 0);
      each_line(local, keep_line, &k);
      mod_sh_set(&s2, "t", k.out.data);
      rt_buf_free(&k.out);
      free(local);
      rt_buf_puts(&s2, "printf %s \"$t\" > /var/lib/locales/supported.d/local || { __playc_rec fail write; exit 0; }\n"
                       "\"$lg\" --purge >/dev/null 2>&1 </dev/null; __playc_rec rc $?\n");
    }
    if (rt_host_exec(h, s2.data, NULL, 0, &ex2, &err) < 0)
      goto done;
    have2 = true;
    if ((r = mod_ps_missing(&ex2)) != NULL)
      goto done;
    if (mod_rec_is(&ex2, "fail", "write")) {
      r = mod_fail_result("[Errno 13] Permission denied: '%s'",
                          ubuntu ? "/var/lib/locales/supported.d/local" : "/etc/locale.gen");
      goto done;
    }
    long long rc = mod_rec_int(&ex2, "rc", 1);
    if (rc != 0) {
      r = mod_fail_result("[Errno %lld] locale.gen failed to execute, it returned %lld", rc, rc);
      rt_dict_set(r, "exitValue", rt_int(rc));
      goto done;
    }
  }
  r = rt_dict_new(3);
  rt_dict_set(r, "name", rt_strz(name));
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "msg", rt_strz("OK"));
done:
  if (have_la)
    mod_ps_cap_free(&la);
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s);
  rt_buf_free(&s2);
  free(avail);
  free(want);
  free(err);
  free(name);
  free(state);
  return r;
}

#endif
