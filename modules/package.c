/*
 * package.c — the package action: it runs the module of the target's
 * package manager with the task's arguments (without `use`). The manager is
 * `use`, else the host's pkg_mgr fact when facts were gathered, else found
 * on the target as Ansible's pkg_mgr fact finds it (one more request). playc
 * implements apt, yum (its yum 3 backend, as the action runs the module
 * itself), dnf and zypper: the arguments are checked against the module's
 * parameters as AnsibleModule checks them (Ansible's messages), then it
 * runs. Any other manager fails the task naming it.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). The action passes
 * every other argument to the manager's module, which checks them: the
 * package module's own `required` name and state are never checked (the
 * action does not run it), so `package: update_cache=true` runs apt. */
static const ModParam package_params[] = {
    {.name = "name", .type = MP_RAW},
    {.name = "state", .type = MP_STR},
    {.name = "use", .type = MP_STR, .def = "auto"},
};
const ModSchema mod_schema_package = {
    .name = "package",
    .params = package_params,
    .nparams = MOD_N(package_params),
    .any_params = true,
    .tools = "apt-get",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

extern const ModSchema mod_schema_apt;
extern const ModSchema mod_schema_yum;
extern const ModSchema mod_schema_zypper;
extern const ModSchema mod_schema_dnf;

/* Ansible's package managers (PKG_MGRS' names): a module Ansible has. */
static bool known_manager(const char *m) {
  static const char *const names[] = {"atomic_container", "yum", "dnf", "apt", "zypper", "urpmi", "pacman", "opkg",
                                      "pkgin", "macports", "homebrew", "apk", "pkgng", "swdepot", "portage",
                                      "svr4pkg", "pkg5", "xbps", "swupd", "sorcery", "installp", "apt_rpm",
                                      "openbsd_pkg", "yum_dnf", NULL};
  for (int i = 0; names[i]; i++)
    if (strcmp(names[i], m) == 0)
      return true;
  return false;
}

RtValue *mod_package(RtHost *h, RtValue *args) {
  char *use = mod_arg_str(args, "use");
  RtValue *r = NULL;
  if (!use || strcmp(use, "auto") == 0) {
    free(use);
    const char *f = mod_ps_fact(h, "pkg_mgr");
    use = f ? rt_xstrdup(f) : mod_ps_detect_pkg_mgr(h, &r);
    if (!use) /* unreachable, interrupted, or a failure in r */
      return r;
  }
  if (strcmp(use, "auto") == 0 || strcmp(use, "unknown") == 0) {
    r = mod_fail_result("Could not detect which package manager to use. Try gathering facts or setting the \"use\" "
                        "option.");
  } else if (strcmp(use, "apt") == 0) {
    RtValue *a = mod_ps_args_for(&mod_schema_apt, "ansible.legacy.apt", args, "use", &r);
    if (a) {
      r = mod_apt(h, a);
      rt_decref(a);
    }
  } else if (strcmp(use, "yum") == 0) { /* the yum module itself: its yum 3 backend */
    RtValue *a = mod_ps_args_for(&mod_schema_yum, "ansible.legacy.yum", args, "use", &r);
    if (a) {
      rt_dict_set(a, "use_backend", rt_strz("yum"));
      r = mod_yum(h, a);
      rt_decref(a);
    }
  } else if (strcmp(use, "dnf") == 0) {
    RtValue *a = mod_ps_args_for(&mod_schema_dnf, "ansible.legacy.dnf", args, "use", &r);
    if (a) {
      r = mod_dnf(h, a);
      rt_decref(a);
    }
  } else if (strcmp(use, "zypper") == 0) {
    RtValue *a = mod_ps_args_for(&mod_schema_zypper, "community.general.zypper", args, "use", &r);
    if (a) {
      r = mod_zypper(h, a);
      rt_decref(a);
    }
  } else if (known_manager(use)) {
    r = mod_fail_result("the package manager '%s' is not supported by playc yet (its package action can use apt)",
                        use);
  } else {
    r = mod_fail_result("Could not find a module for %s.", use);
  }
  free(use);
  return r;
}

#endif
