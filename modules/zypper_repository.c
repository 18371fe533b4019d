/*
 * zypper_repository.c — community.general.zypper_repository with the
 * target's zypper. The first request asks `zypper --version` and
 * `zypper --quiet --non-interactive --xmlout repos`; the repository list
 * is read here, compared as the module compares (alias or URL match, then
 * each setting the task gives against the listed one), and a
 * second request, only when something changes, runs the module's
 * removerepo / addrepo --check / refresh --force commands in its order.
 * Not done yet: a `repo` naming a .repo file (the task fails saying so),
 * $releasever / $basearch in URLs are compared as written, and a check
 * run's skip message names the module by its short name however the task
 * spells it.
 */
#include "mod.h"

static const ModParam zr_params[] = {
    {.name = "name", .type = MP_STR},
    {.name = "repo", .type = MP_STR},
    {.name = "state", .type = MP_STR, .choices = "present,absent", .def = "present"},
    {.name = "runrefresh", .type = MP_BOOL, .def = "false"},
    {.name = "description", .type = MP_STR},
    {.name = "disable_gpg_check", .type = MP_BOOL, .def = "false"},
    {.name = "autorefresh", .type = MP_BOOL, .aliases = "refresh", .def = "true"},
    {.name = "priority", .type = MP_INT},
    {.name = "enabled", .type = MP_BOOL, .def = "true"},
    {.name = "overwrite_multiple", .type = MP_BOOL, .def = "false"},
    {.name = "auto_import_keys", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_zypper_repository = {
    .name = "zypper_repository",
    .params = zr_params,
    .nparams = MOD_N(zr_params),
    .tools = "zypper",
    .check_mode = false,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { ZR_ALIAS, ZR_NAME, ZR_PRIO, ZR_ENABLED, ZR_AUTOREF, ZR_GPG, ZR_URL, ZR_N };
static const char *const zr_keys[ZR_N] = {"alias", "name", "priority", "enabled", "autorefresh", "gpgcheck", "url"};

typedef struct {
  char *v[ZR_N];
} ZrRepo;

/* Whether element d of x lies inside element a. */
static bool inside(const ModXml *x, size_t d, size_t a) {
  for (size_t p = x->v[d].parent; p != MOD_XML_NONE; p = x->v[p].parent)
    if (p == a)
      return true;
  return false;
}

/* The <repo> elements of `zypper --xmlout repos` (getAttribute of each
 * setting, the first <url>'s text); NULL, or the parser's error (malloc'd). */
static char *parse_repos(const char *text, ZrRepo **out, size_t *nout) {
  ModXml x;
  size_t n = 0;
  ZrRepo *r = NULL;
  char *err = mod_xml_parse(text, &x);
  for (size_t i = 0; !err && i < x.n; i++) {
    if (strcmp(x.v[i].name, "repo"))
      continue;
    r = rt_xrealloc(r, (n + 1) * sizeof *r);
    for (int k = 0; k < ZR_URL; k++) {
      const char *v = mod_xml_attr(&x.v[i], zr_keys[k]);
      r[n].v[k] = rt_xstrdup(v ? v : "");
    }
    r[n].v[ZR_URL] = NULL;
    for (size_t j = i + 1; j < x.n && inside(&x, j, i) && !r[n].v[ZR_URL]; j++)
      if (!strcmp(x.v[j].name, "url"))
        r[n].v[ZR_URL] = rt_xstrdup(x.v[j].text ? x.v[j].text : "");
    if (!r[n].v[ZR_URL])
      r[n].v[ZR_URL] = rt_xstrdup("");
    n++;
  }
  mod_xml_free(&x);
  *out = r;
  *nout = n;
  return err;
}

static RtValue *repo_dict(const ZrRepo *r) {
  RtValue *d = rt_dict_new(ZR_N);
  for (int k = 0; k < ZR_N; k++)
    rt_dict_set(d, zr_keys[k], rt_strz(r->v[k]));
  return d;
}

/* LooseVersion(a) >= b, numeric parts. */
static bool ver_ge(const char *a, const char *b) {
  while (*a || *b) {
    long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
    if (x != y)
      return x > y;
    while (*a && !isdigit((unsigned char)*a))
      a++;
    while (*b && !isdigit((unsigned char)*b))
      b++;
  }
  return true;
}

static char *rstrip_slash(const char *s) {
  size_t n = strlen(s);
  while (n && s[n - 1] == '/')
    n--;
  char *t = rt_xstrdup(s);
  t[n] = 0;
  return t;
}

/* "cmd" of run_command's check_rc failure */
static char *cmd_text(const ModArgv *a) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < a->n; i++) {
    if (i)
      rt_buf_putc(&b, ' ');
    mod_py_shlex_quote(&b, a->v[i]);
  }
  return rt_buf_take(&b);
}

typedef struct {
  ModArgv a;
  bool check_rc;
} ZrStep;

static void zbase(ZrStep *st, const char *z) {
  memset(st, 0, sizeof *st);
  mod_argv_add(&st->a, z);
  mod_argv_add(&st->a, "--quiet");
  mod_argv_add(&st->a, "--non-interactive");
}

static void refresh_step(ZrStep *st, const char *z, bool keys, const char *shortname) {
  zbase(st, z);
  if (keys)
    mod_argv_add(&st->a, "--gpg-auto-import-keys");
  mod_argv_add(&st->a, "refresh");
  mod_argv_add(&st->a, "--force");
  if (shortname) {
    mod_argv_add(&st->a, "-r");
    mod_argv_add(&st->a, shortname);
  }
  st->check_rc = true;
}

/* Runs the steps in one request; a check_rc step that fails stops them.
 * Returns the failure result, or NULL with *rc the last step's status. */
static RtValue *run_steps(RtHost *h, ZrStep *st, size_t n, long long *rc, ModCap *last, bool *ok) {
  RtBuf s = {0};
  RtExec ex = {0};
  char *err = NULL;
  RtValue *r = NULL;
  *ok = false;
  mod_ps_sh_begin(&s);
  for (size_t i = 0; i < n; i++) {
    mod_sh_argv(&s, &st[i].a);
    rt_buf_printf(&s, "pc_cap s%zu \"$@\"%s\n", i, st[i].check_rc ? " || exit 0" : "");
  }
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0) {
    rt_buf_free(&s);
    free(err);
    return NULL;
  }
  rt_buf_free(&s);
  free(err);
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  for (size_t i = 0; i < n; i++) {
    char k[32];
    snprintf(k, sizeof k, "s%zu", i);
    ModCap c;
    if (!mod_ps_cap(&ex, k, &c))
      break;
    if (c.rc != 0 && st[i].check_rc) {
      size_t l = strlen(c.err);
      while (l && isspace((unsigned char)c.err[l - 1]))
        l--;
      r = mod_fail_result("%.*s", (int)l, c.err);
      char *t = cmd_text(&st[i].a);
      rt_dict_set(r, "cmd", rt_str_take(t, strlen(t)));
      rt_dict_set(r, "rc", rt_int(c.rc));
      mod_ps_out(r, c.out, c.err);
      mod_ps_cap_free(&c);
      goto done;
    }
    *rc = c.rc;
    if (last) {
      mod_ps_cap_free(last);
      *last = c;
    } else {
      mod_ps_cap_free(&c);
    }
  }
  *ok = true;
done:
  rt_exec_free(&ex);
  return r;
}

RtValue *mod_zypper_repository(RtHost *h, RtValue *args) {
  char *repo = mod_arg_str(args, "repo"), *alias = mod_arg_str(args, "name");
  char *state = mod_arg_str(args, "state"), *desc = mod_arg_str(args, "description");
  const char *st = state ? state : "present";
  bool runrefresh = mod_arg_bool(args, "runrefresh", 0) == 1;
  bool keys = mod_arg_bool(args, "auto_import_keys", 0) == 1;
  bool overwrite = mod_arg_bool(args, "overwrite_multiple", 0) == 1;
  long long prio = 0;
  int hp = mod_arg_int(args, "priority", &prio);
  RtValue *r = NULL, *warnings = rt_list_new(2);
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false, ok;
  char *err = NULL, *ver = NULL, *z = NULL;
  ZrRepo *repos = NULL;
  size_t nrepos = 0;
  ZrStep steps[64];
  size_t nsteps = 0;
  ModCap last = {0};
  const char *en = mod_arg_bool(args, "enabled", 1) == 0 ? "0" : "1";
  const char *gpg = mod_arg_bool(args, "disable_gpg_check", 0) == 1 ? "0" : "1";
  const char *ar = mod_arg_bool(args, "autorefresh", 1) == 0 ? "0" : "1";
  RtValue *repodata = rt_dict_new(7);
  rt_dict_set(repodata, "url", repo ? rt_strz(repo) : rt_none());
  rt_dict_set(repodata, "alias", alias ? rt_strz(alias) : rt_none());
  rt_dict_set(repodata, "name", desc ? rt_strz(desc) : rt_none());
  rt_dict_set(repodata, "priority", hp == 1 ? rt_int(prio) : rt_none());
  rt_dict_set(repodata, "enabled", rt_strz(en));
  rt_dict_set(repodata, "gpgcheck", rt_strz(gpg));
  rt_dict_set(repodata, "autorefresh", rt_strz(ar));

  if (h->check_mode) { /* AnsibleModule skips a module without check mode support */
    r = mod_check_skip("zypper_repository");
    goto done;
  }
  bool star = (repo && !strcmp(repo, "*")) || (alias && !strcmp(alias, "*"));
  const char *fail = NULL;
  if (star && !runrefresh)
    fail = "repo=* can only be used with the runrefresh option.";
  else if (star)
    ;
  else if (!strcmp(st, "present") && !(repo && *repo))
    fail = "Module option state=present requires repo";
  else if (!strcmp(st, "absent") && !(repo && *repo) && !(alias && *alias))
    fail = "Alias or repo parameter required when state=absent";
  else if (repo && strlen(repo) >= 5 && !strcmp(repo + strlen(repo) - 5, ".repo"))
    fail = alias && *alias ? "Incompatible option: 'name'. Do not use name when adding .repo files"
                           : "playc: zypper_repository does not read .repo files yet";
  else if (!(alias && *alias) && !strcmp(st, "present"))
    fail = "Name required when adding non-repo files.";

  /* request 1: the version and the list */
  mod_ps_sh_begin(&s);
  mod_ps_sh_need(&s, "Z", "zypper");
  rt_buf_puts(&s, "__playc_rec zypper \"$Z\"\npc_cap ver \"$Z\" --version\n");
  if (star && runrefresh)
    rt_buf_printf(&s, "set -- \"$Z\" --quiet --non-interactive%s refresh --force\npc_cap s0 \"$@\"\n",
                  keys ? " --gpg-auto-import-keys" : "");
  else if (!fail)
    rt_buf_puts(&s, "pc_cap repos \"$Z\" --quiet --non-interactive --xmlout repos\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  z = rt_xstrdup(mod_rec(&ex, "zypper"));
  ModCap c;
  if (mod_ps_cap(&ex, "ver", &c)) {
    if (c.rc == 0 && !strncmp(c.out, "zypper ", 7)) {
      const char *v = c.out + 7;
      while (*v && isspace((unsigned char)*v))
        v++;
      size_t l = strcspn(v, " \t\n\r\f\v");
      ver = rt_xstrdup(v);
      ver[l] = 0;
    }
    mod_ps_cap_free(&c);
  }
  if (!ver)
    ver = rt_xstrdup("1.0");
  if (fail) {
    r = mod_fail_result("%s", fail);
    goto done;
  }
  if (star) {
    if (mod_ps_cap(&ex, "s0", &c)) {
      if (c.rc != 0) {
        ZrStep t;
        refresh_step(&t, z, keys, NULL);
        size_t l = strlen(c.err);
        while (l && isspace((unsigned char)c.err[l - 1]))
          l--;
        r = mod_fail_result("%.*s", (int)l, c.err);
        char *ct = cmd_text(&t.a);
        rt_dict_set(r, "cmd", rt_str_take(ct, strlen(ct)));
        rt_dict_set(r, "rc", rt_int(c.rc));
        mod_ps_out(r, c.out, c.err);
        mod_argv_free(&t.a);
        mod_ps_cap_free(&c);
        goto done;
      }
      mod_ps_cap_free(&c);
    }
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "runrefresh", rt_bool(true));
    goto done;
  }
  if (!mod_ps_cap(&ex, "repos", &c)) {
    r = mod_fail_result("zypper_repository: no answer from the target");
    goto done;
  }
  if (c.rc == 0) {
    char *xe = parse_repos(c.out, &repos, &nrepos);
    if (xe) {
      r = mod_fail_result("playc: zypper's repository list is not well-formed XML: %s", xe);
      free(xe);
      mod_ps_cap_free(&c);
      goto done;
    }
  } else if (c.rc != 6) {
    r = mod_fail_result("Failed to execute \"%s --quiet --non-interactive --xmlout repos\"", z);
    rt_dict_set(r, "rc", rt_int(c.rc));
    mod_ps_out(r, c.out, c.err);
    mod_ps_cap_free(&c);
    goto done;
  }
  mod_ps_cap_free(&c);

  /* repo_exists: matches by alias, then by url, each once */
  size_t match[64], nm = 0;
  const char *want[2] = {alias, repo};
  for (int kw = 0; kw < 2; kw++)
    for (size_t i = 0; i < nrepos && nm < 64; i++) {
      if (!want[kw] || strcmp(want[kw], repos[i].v[kw == 0 ? ZR_ALIAS : ZR_URL]) != 0)
        continue;
      bool seen = false;
      for (size_t j = 0; j < nm; j++) {
        bool same = true;
        for (int k = 0; k < ZR_N; k++)
          same = same && !strcmp(repos[match[j]].v[k], repos[i].v[k]);
        seen = seen || same;
      }
      if (!seen)
        match[nm++] = i;
    }
  bool exists = nm > 0, mod = false;
  if (nm == 1) {
    const ZrRepo *o = &repos[match[0]];
    /* _repo_changes: each setting the task gives (a true value) against the listed one */
    char pbuf[32];
    snprintf(pbuf, sizeof pbuf, "%lld", prio);
    const char *mine[ZR_N] = {alias, desc, hp == 1 && prio ? pbuf : NULL, en, ar, gpg, repo};
    for (int k = 0; k < ZR_N && !mod; k++) {
      if (!mine[k] || !*mine[k])
        continue;
      if (k == ZR_URL) {
        char *x = rstrip_slash(mine[k]), *y = rstrip_slash(o->v[k]);
        mod = strcmp(x, y) != 0;
        free(x);
        free(y);
      } else {
        mod = strcmp(mine[k], o->v[k]) != 0;
      }
    }
  } else if (nm >= 2) {
    if (overwrite) {
      mod = true;
    } else {
      RtValue *l = rt_list_new(nm);
      for (size_t j = 0; j < nm; j++)
        rt_list_push(l, repo_dict(&repos[match[j]]));
      RtBuf m = {0};
      rt_buf_puts(&m, "More than one repo matched \"");
      rt_buf_puts(&m, repo ? repo : "None");
      rt_buf_puts(&m, "\": \"");
      rt_render_repr(&m, l);
      rt_buf_puts(&m, "\". Use overwrite_multiple to allow more than one repo to be overwritten");
      rt_decref(l);
      r = mod_fail_result("%s", m.data);
      rt_buf_free(&m);
      goto done;
    }
  }
  const char *shortname = alias && *alias ? alias : repo;
  bool changed_path = false;
  if (!strcmp(st, "present")) {
    if (exists && !mod) {
      if (runrefresh) {
        refresh_step(&steps[nsteps++], z, keys, shortname);
        long long rc = 0;
        r = run_steps(h, steps, nsteps, &rc, NULL, &ok);
        if (r || !ok)
          goto done;
      }
    } else {
      for (size_t j = 0; j < nm && nsteps < 60; j++) {
        zbase(&steps[nsteps], z);
        mod_argv_add(&steps[nsteps].a, "removerepo");
        mod_argv_add(&steps[nsteps].a, repos[match[j]].v[ZR_URL]);
        steps[nsteps++].check_rc = true;
      }
      ZrStep *a = &steps[nsteps++];
      zbase(a, z);
      mod_argv_add(&a->a, "addrepo");
      mod_argv_add(&a->a, "--check");
      if (desc && *desc) {
        mod_argv_add(&a->a, "--name");
        mod_argv_add(&a->a, desc);
      }
      if (hp == 1 && prio) {
        if (ver_ge(ver, "1.12.25")) {
          mod_argv_add(&a->a, "--priority");
          mod_argv_addf(&a->a, "%lld", prio);
        } else {
          rt_list_push(warnings,
                       rt_strz("Setting priority only available for zypper >= 1.12.25. Ignoring priority argument."));
        }
      }
      if (!strcmp(en, "0"))
        mod_argv_add(&a->a, "--disable");
      if (ver_ge(ver, "1.6.2"))
        mod_argv_add(&a->a, !strcmp(gpg, "1") ? "--gpgcheck" : "--no-gpgcheck");
      else
        rt_list_push(warnings, rt_strz("Enabling/disabling gpgcheck only available for zypper >= 1.6.2. Using "
                                       "zypper default value."));
      if (!strcmp(ar, "1"))
        mod_argv_add(&a->a, "--refresh");
      mod_argv_add(&a->a, repo);
      mod_argv_add(&a->a, alias);
      long long rc = 0;
      r = run_steps(h, steps, nsteps, &rc, &last, &ok);
      if (r || !ok)
        goto done;
      if (rc == 0 && (runrefresh || keys)) {
        ZrStep *f = &steps[nsteps];
        refresh_step(f, z, keys, shortname);
        long long rc2 = 0;
        r = run_steps(h, f, 1, &rc2, NULL, &ok);
        nsteps++;
        if (r || !ok)
          goto done;
      }
      changed_path = true;
      if (rc != 0) {
        r = mod_fail_result("Zypper failed with rc %lld", rc);
        rt_dict_set(r, "rc", rt_int(rc));
        mod_ps_out(r, last.out ? last.out : "", last.err ? last.err : "");
        rt_dict_set(r, "repodata", repodata);
        rt_dict_set(r, "state", rt_strz(st));
        rt_dict_set(r, "warnings", warnings);
        repodata = warnings = NULL;
        goto done;
      }
    }
  } else if (exists) {
    zbase(&steps[nsteps], z);
    mod_argv_add(&steps[nsteps].a, "removerepo");
    mod_argv_add(&steps[nsteps].a, shortname);
    steps[nsteps++].check_rc = true;
    long long rc = 0;
    r = run_steps(h, steps, nsteps, &rc, NULL, &ok);
    if (r || !ok)
      goto done;
    changed_path = true;
  }
  r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(changed_path));
  rt_dict_set(r, "repodata", repodata);
  rt_dict_set(r, "state", rt_strz(st));
  repodata = NULL;
  if (changed_path) {
    rt_dict_set(r, "warnings", warnings);
    warnings = NULL;
  }
done:
  if (have)
    rt_exec_free(&ex);
  for (size_t i = 0; i < nsteps; i++)
    mod_argv_free(&steps[i].a);
  for (size_t i = 0; i < nrepos; i++)
    for (int k = 0; k < ZR_N; k++)
      free(repos[i].v[k]);
  free(repos);
  mod_ps_cap_free(&last);
  if (repodata)
    rt_decref(repodata);
  if (warnings)
    rt_decref(warnings);
  rt_buf_free(&s);
  free(err);
  free(ver);
  free(z);
  free(repo);
  free(alias);
  free(state);
  free(desc);
  return r;
}

#endif
