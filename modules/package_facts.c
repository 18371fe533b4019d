/*
 * package_facts.c — the package_facts module for apt targets:
 * ansible_facts.packages as Ansible's APT manager builds it from python-apt
 * (each installed package: name, version, arch, category, origin, source),
 * here from one request: dpkg-query for what is installed (as apt counts it:
 * a current version, half-configured ones included), `apt-cache policy` for
 * the package files and their release origins, and `apt-cache policy
 * NAMES...` for the files each installed version comes from (the first one
 * gives its origin, as python-apt's origins[0]). Both outputs are parsed
 * here by their fixed layout.
 *
 * Managers: `auto` tries Ansible's list in its order and takes the first
 * usable one (with strategy `first`); playc reads apt only, and fails
 * naming a manager Ansible would use before apt.
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam package_facts_params[] = {
    /* documented choices: auto rpm apt portage pkg pacman apk pkg_info (the module checks them) */
    {.name = "manager", .type = MP_LIST, .elements = MP_STR, .def = "auto"},
    {.name = "strategy", .type = MP_STR, .choices = "first,all", .def = "first"},
};
const ModSchema mod_schema_package_facts = {
    .name = "package_facts",
    .params = package_facts_params,
    .nparams = MOD_N(package_facts_params),
    .tools = "dpkg-query,apt-cache",
    .check_mode = true,
    .diff_mode = false};

#ifndef MOD_SCHEMA_ONLY

/* get_all_pkg_managers() in its order, with the program each one needs */
static const char *const MANAGERS[][2] = {{"pacman", "pacman"}, {"apk", "apk"},   {"apt", "apt-get"},
                                          {"pkg", "pkg"},       {"pkg_info", "pkg_info"}, {"portage", "qlist"},
                                          {"rpm", "rpm"}};
enum { NMANAGERS = 7 };

static const char SCRIPT[] =
    "for t in pacman apk apt-get pkg pkg_info qlist rpm; do if pc_bin \"$t\"; then __playc_rec \"bin.$t\" 1; fi; done\n"
    "if pc_bin apt-get; then\n"
    "  pc_bin dpkg-query || pc_nobin dpkg-query; dq=$pc_v\n"
    "  pc_bin apt-cache || pc_nobin apt-cache; ac=$pc_v\n"
    "  pc_bin dpkg || pc_nobin dpkg; __playc_rec arch \"$(\"$pc_v\" --print-architecture)\"\n"
    "  \"$dq\" -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\t${Architecture}\\t${Section}\\n' "
    ">\"$__playc_scr/i\" 2>/dev/null\n"
    "  __playc_rec dq \"$(cat \"$__playc_scr/i\")\"\n"
    "  pc_cap files \"$ac\" policy\n"
    /* the installed ones: current state i (installed), F, U, W, t (as apt's CurrentVer) */
    "  set -f; set --; : > \"$__playc_scr/v\"\n"
    "  while IFS='\t' read -r n st v rest; do case $st in ?[iFUWtH]*) set -- \"$@\" \"$n\"; "
    "printf '%s=%s\\n' \"$n\" \"$v\" >> \"$__playc_scr/v\";; esac; done < \"$__playc_scr/i\"; set +f\n"
    "  [ $# = 0 ] || pc_cap pol \"$ac\" policy -- \"$@\"\n"
    /* the sections apt keeps (its first file's, which python-apt reports) */
    "  [ $# = 0 ] || { xargs -r \"$ac\" show -- < \"$__playc_scr/v\" 2>/dev/null | "
    "grep -E '^(Package|Version|Section): ' > \"$__playc_scr/o\"; __playc_rec show \"$(cat \"$__playc_scr/o\")\"; }\n"
    "fi\n";

/* "release ...,o=ORIGIN,..." lines of the package files: source text → origin */
static RtValue *file_origins(const char *out) {
  RtValue *d = rt_dict_new(8), *lines = mod_lines(out, strlen(out));
  const char *cur = NULL;
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = rt_list_at(lines, i)->u.str.s;
    if (l[0] == ' ' && isdigit((unsigned char)l[1 + strspn(l + 1, " ")]) && strncmp(l, "     ", 5) != 0) {
      const char *p = l + strspn(l, " ");
      p += strspn(p, "-0123456789");
      p += strspn(p, " ");
      cur = p;
      rt_dict_set(d, cur, rt_strz(""));
    } else if (cur && strncmp(l, "     release ", 13) == 0) {
      const char *o = strstr(l + 12, "o=");
      while (o && o[-1] != ',' && o[-1] != ' ')
        o = strstr(o + 1, "o=");
      if (o) {
        const char *e = strchr(o, ',');
        rt_dict_set(d, cur, rt_str(o + 2, e ? (size_t)(e - o - 2) : strlen(o + 2)));
      }
    } else if (l[0] != ' ') {
      cur = NULL;
    }
  }
  rt_decref(lines);
  return d;
}

/* NAME → the source text of the first file of its installed version ("***"). */
static RtValue *first_sources(const char *out) {
  RtValue *d = rt_dict_new(64), *lines = mod_lines(out, strlen(out));
  char *name = NULL;
  bool in_installed = false;
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = rt_list_at(lines, i)->u.str.s;
    size_t n = strlen(l);
    if (n > 1 && l[0] != ' ' && l[n - 1] == ':') {
      free(name);
      name = rt_xstrndup(l, n - 1);
      in_installed = false;
    } else if (strncmp(l, " *** ", 5) == 0) {
      in_installed = true;
    } else if (strncmp(l, "     ", 5) == 0 && l[5] != ' ') {
      in_installed = false;
    } else if (in_installed && name && strncmp(l, "        ", 8) == 0) {
      const char *p = l + strspn(l, " ");
      p += strspn(p, "-0123456789");
      p += strspn(p, " ");
      if (!rt_dict_get(d, name))
        rt_dict_set(d, name, rt_strz(p));
      in_installed = false;
    }
  }
  free(name);
  rt_decref(lines);
  return d;
}

/* "NAME VERSION" → Section, from apt-cache show's Package, Version and
 * Section lines (the first record of each version). */
static RtValue *sections(const char *out) {
  RtValue *d = rt_dict_new(512), *lines = mod_lines(out, strlen(out));
  char *pkg = NULL, *ver = NULL, *sec = NULL;
  for (size_t i = 0; i <= rt_len(lines); i++) {
    const char *l = i < rt_len(lines) ? rt_list_at(lines, i)->u.str.s : "Package: ";
    if (strncmp(l, "Package: ", 9) == 0) { /* a record begins: the last one is complete */
      if (pkg && ver && sec) {
        char *k = rt_xasprintf("%s %s", pkg, ver);
        if (!rt_dict_get(d, k))
          rt_dict_set(d, k, rt_strz(sec));
        free(k);
      }
      free(pkg);
      free(ver);
      free(sec);
      pkg = rt_xstrdup(l + 9);
      ver = sec = NULL;
    } else if (strncmp(l, "Version: ", 9) == 0) {
      free(ver);
      ver = rt_xstrdup(l + 9);
    } else if (strncmp(l, "Section: ", 9) == 0) {
      free(sec);
      sec = rt_xstrdup(l + 9);
    }
  }
  free(pkg);
  free(ver);
  free(sec);
  rt_decref(lines);
  return d;
}

static RtValue *apt_packages(const RtExec *ex) {
  const char *arch = mod_rec(ex, "arch") ? mod_rec(ex, "arch") : "";
  ModCap files = {0}, pol = {0};
  mod_ps_cap(ex, "files", &files);
  mod_ps_cap(ex, "pol", &pol);
  RtValue *origins = file_origins(files.out ? files.out : ""), *firsts = first_sources(pol.out ? pol.out : "");
  RtValue *pkgs = rt_dict_new(512), *secs = sections(mod_rec(ex, "show") ? mod_rec(ex, "show") : "");
  const char *dq = mod_rec(ex, "dq") ? mod_rec(ex, "dq") : "";
  RtValue *lines = mod_lines(dq, strlen(dq));
  /* python-apt lists them sorted by name */
  size_t n = rt_len(lines);
  const char **order = rt_xcalloc(n + 1, sizeof *order);
  for (size_t i = 0; i < n; i++)
    order[i] = rt_list_at(lines, i)->u.str.s;
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp(order[j - 1], order[j]) > 0; j--) {
      const char *t = order[j - 1];
      order[j - 1] = order[j];
      order[j] = t;
    }
  for (size_t i = 0; i < n; i++) {
    char *l = rt_xstrdup(order[i]), *f[5] = {0}, *p = l;
    for (int k = 0; k < 5; k++) {
      f[k] = p;
      char *t = p ? strchr(p, '\t') : NULL;
      if (t)
        *t = 0;
      p = t ? t + 1 : NULL;
    }
    if (!f[4] || strlen(f[1]) < 2 || !strchr("iFUWtH", f[1][1])) {
      free(l);
      continue;
    }
    char *key = strcmp(f[3], "all") == 0 || strcmp(f[3], arch) == 0 ? rt_xstrdup(f[0])
                                                                     : rt_xasprintf("%s:%s", f[0], f[3]);
    RtValue *src = rt_dict_get(firsts, key), *org = src ? rt_dict_get(origins, src->u.str.s) : NULL;
    RtValue *e = rt_dict_new(6);
    rt_dict_set(e, "name", rt_strz(key));
    rt_dict_set(e, "version", rt_strz(f[2]));
    rt_dict_set(e, "arch", rt_strz(f[3]));
    char *sk = rt_xasprintf("%s %s", f[0], f[2]);
    RtValue *sec = rt_dict_get(secs, sk);
    free(sk);
    rt_dict_set(e, "category", sec ? rt_incref(sec) : rt_strz(f[4]));
    rt_dict_set(e, "origin", org ? rt_incref(org) : rt_strz(""));
    rt_dict_set(e, "source", rt_strz("apt"));
    RtValue *l2 = rt_dict_get(pkgs, key);
    if (!l2) {
      l2 = rt_list_new(1);
      rt_dict_set(pkgs, key, l2);
    }
    rt_list_push(l2, e);
    free(key);
    free(l);
  }
  free(order);
  rt_decref(lines);
  rt_decref(origins);
  rt_decref(firsts);
  rt_decref(secs);
  mod_ps_cap_free(&files);
  mod_ps_cap_free(&pol);
  return pkgs;
}

RtValue *mod_package_facts(RtHost *h, RtValue *args) {
  char *err = NULL, *strategy = mod_arg_str(args, "strategy");
  RtValue *given = mod_ps_arg_list(args, "manager", &err), *r = NULL, *managers = rt_list_new(8);
  if (err) {
    r = mod_fail_result("%s", err);
    goto done;
  }
  bool first = !strategy || strcmp(strategy, "all") != 0, has_auto = false;
  for (size_t i = 0; given && i < rt_len(given); i++) {
    char *m = rt_xstrdup(rt_list_at(given, i)->u.str.s);
    for (char *p = m; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    if (strcmp(m, "auto") == 0)
      has_auto = true;
    else
      rt_list_push(managers, rt_str_take(m, strlen(m)));
    if (strcmp(m, "auto") == 0)
      free(m);
  }
  if (!given)
    has_auto = true;
  if (has_auto)
    for (int i = 0; i < NMANAGERS; i++)
      rt_list_push(managers, rt_strz(MANAGERS[i][0]));
  for (size_t i = 0; i < rt_len(managers); i++) {
    bool known = false;
    for (int j = 0; j < NMANAGERS; j++)
      known |= !strcmp(rt_list_at(managers, i)->u.str.s, MANAGERS[j][0]);
    if (!known) {
      r = mod_fail_result(has_auto ? "Could not auto detect a usable package manager, check warnings for details."
                                   : "Unsupported package managers requested: %s",
                          rt_list_at(managers, i)->u.str.s);
      goto done;
    }
  }
  RtBuf s = {0};
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, SCRIPT);
  RtExec ex;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  if (rc < 0)
    goto done;
  if ((r = mod_ps_missing(&ex)) != NULL) {
    rt_exec_free(&ex);
    goto done;
  }
  RtValue *packages = NULL, *seen = rt_dict_new(8);
  int found = 0;
  for (size_t i = 0; i < rt_len(managers) && !(found && first); i++) {
    const char *m = rt_list_at(managers, i)->u.str.s;
    if (rt_dict_get(seen, m))
      continue;
    rt_dict_set(seen, m, rt_bool(true));
    const char *prog = NULL;
    for (int j = 0; j < NMANAGERS; j++)
      if (!strcmp(MANAGERS[j][0], m))
        prog = MANAGERS[j][1];
    char k[40];
    snprintf(k, sizeof k, "bin.%s", prog);
    if (!mod_rec(&ex, k) || !strcmp(m, "rpm")) /* rpm needs Python's rpm library: unusable here too */
      continue;
    if (strcmp(m, "apt") != 0) {
      r = mod_fail_result("package_facts cannot list packages with %s yet (playc reads apt)", m);
      break;
    }
    found++;
    packages = apt_packages(&ex);
  }
  rt_decref(seen);
  rt_exec_free(&ex);
  if (r) {
    rt_decref(packages);
    goto done;
  }
  if (!found) {
    RtBuf l = {0};
    rt_buf_puts(&l, "[");
    for (size_t i = 0; i < rt_len(managers); i++)
      rt_buf_printf(&l, "%s'%s'", i ? ", " : "", rt_list_at(managers, i)->u.str.s);
    rt_buf_puts(&l, "]");
    r = mod_fail_result("Could not detect a supported package manager from the following list: %s, or the required "
                        "Python library is not installed. Check warnings for details.",
                        l.data);
    rt_buf_free(&l);
    goto done;
  }
  r = rt_dict_new(2);
  RtValue *facts = rt_dict_new(1);
  rt_dict_set(facts, "packages", packages);
  rt_dict_set(r, "ansible_facts", facts);
  mod_set_facts(h, facts); /* they join the host's facts, as the strategy sets them */
done:
  free(err);
  free(strategy);
  rt_decref(given);
  rt_decref(managers);
  return r;
}

#endif
