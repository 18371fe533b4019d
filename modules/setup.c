/*
 * setup.c — fact gathering, first slice: one request collects the facts
 * playbooks use most (host names, kernel, architecture, distribution from
 * /etc/os-release, the remote user) as records; /etc/os-release comes back
 * whole and is parsed here, never sourced by the shell.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam setup_params[] = {
    {.name = "gather_subset", .type = MP_LIST},
    {.name = "filter", .type = MP_LIST},
};
const ModSchema mod_schema_setup = {
    .name = "setup",
    .params = setup_params,
    .nparams = MOD_N(setup_params),
    .free_form = true};

#ifndef MOD_SCHEMA_ONLY

static const char SCRIPT[] =
    "n=$(uname -n); __playc_rec hostname \"${n%%.*}\"; __playc_rec nodename \"$n\"\n"
    "__playc_rec fqdn \"$(hostname -f 2>/dev/null || uname -n)\"\n"
    "__playc_rec system \"$(uname -s)\"; __playc_rec kernel \"$(uname -r)\"; "
    "__playc_rec machine \"$(uname -m)\"\n"
    "__playc_rec user_id \"$(id -un)\"; __playc_rec user_uid \"$(id -u)\"; "
    "__playc_rec user_gid \"$(id -g)\"\n"
    "__playc_rec user_dir \"$HOME\"\n"
    "[ ! -r /etc/os-release ] || __playc_rec os_release \"$(cat /etc/os-release)\"\n";

static void fact(RtValue *f, const char *name, const RtExec *ex, const char *key) {
  const char *v = mod_rec(ex, key);
  rt_dict_set(f, name, rt_strz(v ? v : ""));
}

/* The value of KEY in os-release text (KEY=value, the value unquoted as a
 * shell word is), or NULL (malloc'd). The file is read as data, never run. */
static char *os_release_value(const char *text, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = text; p && *p;) {
    const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
    if ((size_t)(end - p) > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
      RtBuf v = {0};
      char q = 0;
      for (const char *c = p + kl + 1; c < end; c++) {
        if (!q && (*c == '"' || *c == '\'')) {
          q = *c;
        } else if (q && *c == q) {
          q = 0;
        } else if (*c == '\\' && q != '\'' && c + 1 < end) {
          rt_buf_putc(&v, *++c);
        } else {
          rt_buf_putc(&v, *c);
        }
      }
      if (!v.data)
        rt_buf_add(&v, "", 0);
      return rt_buf_take(&v);
    }
    p = nl ? nl + 1 : NULL;
  }
  return NULL;
}

/* /etc/os-release ID → Ansible's distribution and os_family names. */
static void distribution(RtValue *f, const RtExec *ex) {
  static const struct { const char *id, *dist, *family; } map[] = {
      {"debian", "Debian", "Debian"},   {"ubuntu", "Ubuntu", "Debian"},
      {"fedora", "Fedora", "RedHat"},   {"centos", "CentOS", "RedHat"},
      {"rhel", "RedHat", "RedHat"},     {"rocky", "Rocky", "RedHat"},
      {"almalinux", "AlmaLinux", "RedHat"}, {"alpine", "Alpine", "Alpine"},
      {"arch", "Archlinux", "Archlinux"}, {"opensuse-leap", "openSUSE Leap", "Suse"},
  };
  const char *osr = mod_rec(ex, "os_release") ? mod_rec(ex, "os_release") : "";
  char *id = os_release_value(osr, "ID"), *ver = os_release_value(osr, "VERSION_ID");
  char *like = os_release_value(osr, "ID_LIKE");
  const char *dist = id ? id : "", *family = NULL;
  size_t n = sizeof map / sizeof map[0];
  for (size_t i = 0; id && i < n; i++)
    if (strcmp(map[i].id, id) == 0) {
      dist = map[i].dist;
      family = map[i].family;
    }
  /* a derivative (ID_LIKE="ubuntu debian") belongs to its parent's family */
  char *save = NULL;
  for (char *w = like ? strtok_r(like, " ", &save) : NULL; w && !family;
       w = strtok_r(NULL, " ", &save))
    for (size_t i = 0; i < n && !family; i++)
      if (strcmp(map[i].id, w) == 0)
        family = map[i].family;
  if (!family)
    family = dist;
  free(like);
  rt_dict_set(f, "ansible_distribution", rt_strz(dist));
  rt_dict_set(f, "ansible_os_family", rt_strz(family));
  rt_dict_set(f, "ansible_distribution_version", rt_strz(ver ? ver : ""));
  char *dot = ver ? strchr(ver, '.') : NULL;
  if (dot)
    *dot = 0;
  rt_dict_set(f, "ansible_distribution_major_version", rt_strz(ver ? ver : ""));
  free(id);
  free(ver);
}

RtValue *mod_setup(RtHost *h, RtValue *args) {
  (void)args;
  RtExec ex;
  char *err = NULL;
  if (rt_host_exec(h, SCRIPT, NULL, 0, &ex, &err) < 0) {
    free(err);
    return NULL;
  }
  RtValue *f = rt_dict_new(16);
  fact(f, "ansible_hostname", &ex, "hostname");
  fact(f, "ansible_nodename", &ex, "nodename");
  fact(f, "ansible_fqdn", &ex, "fqdn");
  fact(f, "ansible_system", &ex, "system");
  fact(f, "ansible_kernel", &ex, "kernel");
  fact(f, "ansible_architecture", &ex, "machine");
  fact(f, "ansible_machine", &ex, "machine");
  fact(f, "ansible_user_id", &ex, "user_id");
  fact(f, "ansible_user_dir", &ex, "user_dir");
  rt_dict_set(f, "ansible_user_uid", rt_int(mod_rec_int(&ex, "user_uid", 0)));
  rt_dict_set(f, "ansible_user_gid", rt_int(mod_rec_int(&ex, "user_gid", 0)));
  distribution(f, &ex);
  rt_exec_free(&ex);
  RtValue *r = rt_dict_new(2);
  rt_dict_set(r, "ansible_facts", f);
  rt_dict_set(r, "changed", rt_bool(false));
  return r;
}

#endif
