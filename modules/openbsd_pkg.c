/*
 * openbsd_pkg.c — community.general.openbsd_pkg with the target's
 * pkg_info, pkg_add and pkg_delete. The names are parsed here as the
 * module's parse_package_name does (stem-version-flavor, stem--flavor,
 * stem, each with an optional %branch); one request then runs what the
 * module runs, in its order: `pkg_info -Iq inst:NAME` for every name (any
 * stderr ends it: the module fails), then per name `pkg_add -Im[n]` (not
 * installed), `pkg_delete -I[n][c][q]` (installed), `pkg_add -um[n][c][q]`
 * (latest, installed; the others installed after them), or, for the name
 * '*', `pkg_add -Im[n]u`; -Dsnap with snapshot, TERM=dumb. The commands'
 * output comes back as records and is judged here as the module judges it
 * ("NAME: ok" and "OLD->NEW: ok" lines, stderr, exit status).
 * build=true (ports through sqlports) is not implemented: the task fails
 * saying so.
 */
#include "mod.h"

static const ModParam obsd_params[] = {
    {.name = "name", .type = MP_LIST, .elements = MP_STR, .required = true},
    {.name = "state", .type = MP_STR, .def = "present", .choices = "absent,installed,latest,present,removed"},
    {.name = "build", .type = MP_BOOL, .def = "false"},
    {.name = "snapshot", .type = MP_BOOL, .def = "false"},
    {.name = "ports_dir", .type = MP_PATH, .def = "/usr/ports"},
    {.name = "quick", .type = MP_BOOL, .def = "false"},
    {.name = "clean", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_openbsd_pkg = {
    .name = "openbsd_pkg",
    .params = obsd_params,
    .nparams = MOD_N(obsd_params),
    .exclusive = "snapshot,build",
    .tools = "pkg_info,pkg_add,pkg_delete",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct Spec {
  char *name, *stem;
  bool version, branch;
  char *flavor;
} Spec;

/* parse_package_name for one name; NULL or the failure. */
static RtValue *parse_name(const char *name, Spec *s) {
  s->name = rt_xstrdup(name);
  bool vm = false;
  for (const char *p = name; *p && !vm; p++)
    vm = p[0] == '-' && isdigit((unsigned char)p[1]);
  bool vl = strstr(name, "--") != NULL;
  if (vm && vl)
    return mod_fail_result("package name both has a version and is version-less: %s", name);
  size_t stemlen = strcspn(name, "%");
  const char *pct = name[stemlen] == '%' ? name + stemlen : NULL;
  if (vm) {
    /* ^(stem[^%]+)-(version[0-9][^-]*)(-)?(flavor[a-z].*)?(%branch)?$ : the
     * stem is greedy, so it ends at the last '-' followed by a digit
     * before any '%' that leaves a parse */
    const char *end = pct ? pct : name + strlen(name), *dash = NULL;
    for (const char *p = name + 1; p < end; p++)
      if (p[0] == '-' && isdigit((unsigned char)p[1])) {
        const char *v = p + 1, *ve = v + strcspn(v, "-%");
        if (ve > end)
          ve = end;
        if (ve == end || (ve[0] == '-' && ve + 1 < end && islower((unsigned char)ve[1])))
          dash = p;
      }
    if (!dash)
      return mod_fail_result("unable to parse package name at version_match: %s", name);
    s->stem = rt_xstrndup(name, (size_t)(dash - name));
    s->version = true;
    const char *ve = dash + 1 + strcspn(dash + 1, "-%");
    if (ve < end && *ve == '-')
      s->flavor = rt_xstrndup(ve + 1, (size_t)(end - ve - 1));
  } else if (vl) {
    const char *dd = strstr(name, "--");
    if (dd == name || (pct && dd > pct) || (dd[2] && dd[2] != '%' && !islower((unsigned char)dd[2])))
      return mod_fail_result("unable to parse package name at versionless_match: %s", name);
    s->stem = rt_xstrndup(name, (size_t)(dd - name));
    const char *fe = pct ? pct : name + strlen(name);
    if (fe > dd + 2)
      s->flavor = rt_xstrndup(dd + 2, (size_t)(fe - dd - 2));
  } else {
    if (stemlen == 0)
      return mod_fail_result("unable to parse package name at else: %s", name);
    s->stem = rt_xstrndup(name, stemlen);
  }
  s->branch = pct && pct[1];
  if (pct && !pct[1])
    return mod_fail_result("unable to parse package name at %s: %s",
                           vm ? "version_match" : vl ? "versionless_match" : "else", name);
  if (s->flavor && *s->flavor && s->flavor[strlen(s->flavor) - 1] == '-')
    return mod_fail_result("trailing dash in flavor: %s", s->flavor);
  return NULL;
}

static void spec_free(Spec *s) {
  free(s->name);
  free(s->stem);
  free(s->flavor);
}

/* Python's re.search(r"\W<lit>...: ok\W") for the literal `lit` followed by
 * `mid` (a pattern). */
static bool ok_line(const char *out, const char *lit, const char *mid) {
  RtBuf p = {0};
  rt_buf_puts(&p, "\\W");
  for (const char *c = lit; *c; c++) {
    if (!isalnum((unsigned char)*c) && *c != '_' && (unsigned char)*c < 0x80)
      rt_buf_putc(&p, '\\');
    rt_buf_putc(&p, *c);
  }
  rt_buf_printf(&p, "%s: ok\\W", mid);
  char *err = NULL;
  ModRe *re = mod_re_compile(p.data, p.len, 0, true, &err);
  bool hit = false;
  if (re) {
    ModReMatch m;
    hit = mod_re_search(re, out, strlen(out), 0, false, &m);
    mod_re_free(re);
  }
  free(err);
  rt_buf_free(&p);
  return hit;
}

/* The per-name outcome. */
typedef struct Outcome {
  int rc;
  bool changed;
  char *out, *err;
} Outcome;

static void cap(const RtExec *ex, const char *key, Outcome *o) {
  ModCap c = {0};
  if (mod_ps_cap(ex, key, &c)) {
    o->rc = c.rc;
    o->out = c.out ? c.out : rt_xstrdup("");
    o->err = c.err ? c.err : rt_xstrdup("");
  } else {
    o->out = rt_xstrdup("");
    o->err = rt_xstrdup("");
  }
}

/* The flags of a command: base, then n c q as the module adds them. */
static void flags(RtBuf *b, const char *base, bool n, bool c, bool q) {
  rt_buf_puts(b, base);
  if (n)
    rt_buf_putc(b, 'n');
  if (c)
    rt_buf_putc(b, 'c');
  if (q)
    rt_buf_putc(b, 'q');
}

RtValue *mod_openbsd_pkg(RtHost *h, RtValue *args) {
  RtValue *names = mod_arg_list(args, "name"), *r = NULL;
  char *state = mod_arg_str(args, "state"), *err = NULL;
  bool build = mod_arg_bool(args, "build", 0) == 1, snap = mod_arg_bool(args, "snapshot", 0) == 1;
  bool quick = mod_arg_bool(args, "quick", 0) == 1, clean = mod_arg_bool(args, "clean", 0) == 1;
  bool ck = h->check_mode;
  size_t n = names ? rt_len(names) : 0;
  Spec *sp = calloc(n ? n : 1, sizeof *sp);
  Outcome *oc = calloc(n ? n : 1, sizeof *oc);
  RtBuf s = {0}, f = {0};
  RtExec ex;
  bool ran = false, star = false;
  if (!state)
    state = rt_xstrdup("present");
  bool present = strcmp(state, "present") == 0 || strcmp(state, "installed") == 0;
  bool absent = strcmp(state, "absent") == 0 || strcmp(state, "removed") == 0;
  bool latest = strcmp(state, "latest") == 0;
  if (build) {
    r = mod_fail_result("playc: openbsd_pkg build=true (ports) is not supported");
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    if (strcmp(rt_list_at(names, i)->u.str.s, "*") == 0) {
      if (n != 1) {
        r = mod_fail_result("the package name '*' can not be mixed with other names");
        goto done;
      }
      star = true;
    }
  if (star && !latest) {
    r = mod_fail_result("the package name '*' is only valid when using state=latest");
    goto done;
  }
  for (size_t i = 0; !star && i < n; i++)
    if ((r = parse_name(rt_list_at(names, i)->u.str.s, &sp[i])) != NULL)
      goto done;
  const char *snapflag = snap ? " \"-Dsnap\"" : "";
  /* request 1: the states (or the upgrade of everything) */
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, "TERM=dumb; export TERM\n");
  if (star) {
    mod_ps_sh_need(&s, "pa", "pkg_add");
    rt_buf_printf(&s, "pc_cap star \"$pa\" %s%s\n", ck ? "-Imnu" : "-Imu", snapflag);
  } else {
    mod_ps_sh_need(&s, "pi", "pkg_info");
    for (size_t i = 0; i < n; i++) {
      mod_sh_set(&s, "nm", sp[i].name);
      rt_buf_printf(&s, "pc_cap i%zu \"$pi\" -Iq \"inst:$nm\"\n", i);
    }
  }
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  ran = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  RtValue *res = rt_dict_new(5);
  rt_dict_set(res, "name", rt_incref(names));
  rt_dict_set(res, "state", rt_strz(state));
  rt_dict_set(res, "build", rt_bool(build));
  if (star) {
    Outcome o = {0};
    cap(&ex, "star", &o);
    bool changed = false;
    char *e2 = NULL;
    ModRe *re = mod_re_compile("\\W\\w.+->.+: ok\\W", strlen("\\W\\w.+->.+: ok\\W"), 0, true, &e2);
    ModReMatch m;
    if (re) {
      changed = mod_re_search(re, o.out, strlen(o.out), 0, false, &m);
      mod_re_free(re);
    }
    free(e2);
    if (*o.err) {
      rt_dict_set(res, "failed", rt_bool(true));
      rt_dict_set(res, "msg", rt_strz(o.err));
      rt_dict_set(res, "changed", rt_bool(false));
    } else
      rt_dict_set(res, "changed", rt_bool(changed));
    free(o.out);
    free(o.err);
    r = res;
    goto done;
  }
  bool *inst = calloc(n ? n : 1, sizeof *inst);
  RtValue **inames = calloc(n ? n : 1, sizeof *inames);
  for (size_t i = 0; i < n; i++) {
    char key[32];
    Outcome o = {0};
    snprintf(key, sizeof key, "i%zu", i);
    cap(&ex, key, &o);
    if (*o.err && !r) {
      rt_decref(res);
      res = NULL;
      r = mod_fail_result("failed in get_package_state(): %s", o.err);
    }
    inst[i] = *o.out != 0;
    inames[i] = mod_lines(o.out, strlen(o.out));
    free(o.out);
    free(o.err);
  }
  rt_exec_free(&ex);
  ran = false;
  if (r)
    goto free_inst;
  /* the actions, in the module's order */
  rt_buf_free(&s);
  s = (RtBuf){0};
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, "TERM=dumb; export TERM\n");
  bool any = false;
  if (absent || latest)
    mod_ps_sh_need(&s, absent ? "pd" : "pa", absent ? "pkg_delete" : "pkg_add");
  if (present || latest)
    mod_ps_sh_need(&s, "pa", "pkg_add");
  for (size_t i = 0; i < n; i++) {
    f.len = 0;
    if (absent && inst[i])
      flags(&f, "-I", ck, clean, quick);
    else if (latest && inst[i])
      flags(&f, "-um", ck, clean, quick);
    else
      continue;
    any = true;
    mod_sh_set(&s, "nm", sp[i].name);
    rt_buf_printf(&s, "pc_cap a%zu \"$%s\" %s%s \"$nm\"\n", i, absent ? "pd" : "pa", f.data,
                  latest ? snapflag : "");
  }
  for (size_t i = 0; (present || latest) && i < n; i++) {
    if (inst[i])
      continue;
    any = true;
    mod_sh_set(&s, "nm", sp[i].name);
    rt_buf_printf(&s, "pc_cap a%zu \"$pa\" %s%s \"$nm\"\n", i, ck ? "-Imn" : "-Im", snapflag);
  }
  if (any) {
    if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0) {
      rt_decref(res);
      res = NULL;
      goto free_inst;
    }
    ran = true;
    if ((r = mod_ps_missing(&ex)) != NULL) {
      rt_decref(res);
      res = NULL;
      goto free_inst;
    }
  }
  for (size_t i = 0; i < n; i++) {
    Outcome *o = &oc[i];
    char key[32];
    snprintf(key, sizeof key, "a%zu", i);
    if (!any || (!inst[i] && absent) || (inst[i] && present)) {
      o->out = rt_xstrdup("");
      o->err = rt_xstrdup("");
      continue;
    }
    cap(&ex, key, o);
    if (latest && inst[i]) {
      for (size_t k = 0; k < rt_len(inames[i]) && !o->changed; k++)
        o->changed = ok_line(o->out, rt_list_at(inames[i], k)->u.str.s, "->.+");
      if (!o->changed && *o->err)
        o->rc = 1;
    } else if (absent)
      o->changed = o->rc == 0;
    else { /* package_present */
      if (sp[i].version) {
        if (o->rc)
          o->changed = false;
      } else if (*o->err) {
        if (ok_line(o->out, sp[i].stem, "-[^:]+"))
          o->changed = true;
        else {
          o->rc = 1;
          o->changed = false;
        }
      }
      if (o->rc == 0)
        o->changed = true;
    }
  }
  {
    bool failed = false, changed = false;
    RtBuf msg = {0};
    rt_buf_add(&msg, "", 0);
    for (size_t i = 0; i < n; i++) {
      if (oc[i].rc != 0) {
        failed = true;
        const char *t = *oc[i].err ? oc[i].err : oc[i].out;
        rt_buf_printf(&msg, "%s%s", msg.len ? ", " : "", t);
      }
      changed |= oc[i].changed;
    }
    if (failed) {
      rt_dict_set(res, "failed", rt_bool(true));
      rt_dict_set(res, "msg", rt_strz(msg.data));
      rt_dict_set(res, "changed", rt_bool(false));
    } else
      rt_dict_set(res, "changed", rt_bool(changed));
    rt_buf_free(&msg);
    r = res;
  }
free_inst:
  for (size_t i = 0; i < n; i++)
    rt_decref(inames[i]);
  free(inames);
  free(inst);
done:
  if (ran)
    rt_exec_free(&ex);
  for (size_t i = 0; i < n; i++) {
    spec_free(&sp[i]);
    free(oc[i].out);
    free(oc[i].err);
  }
  free(sp);
  free(oc);
  rt_buf_free(&s);
  rt_buf_free(&f);
  rt_decref(names);
  free(state);
  free(err);
  return r;
}

#endif
