/*
 * setup.c — fact gathering, first slice: one request collects the facts
 * playbooks use most (host names, kernel, architecture, distribution from
 * /etc/os-release, the remote user) as key=value lines.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

static const char SCRIPT[] =
    "echo \"hostname=$(uname -n | cut -d. -f1)\"; echo \"nodename=$(uname -n)\"\n"
    "echo \"fqdn=$(hostname -f 2>/dev/null || uname -n)\"\n"
    "echo \"system=$(uname -s)\"; echo \"kernel=$(uname -r)\"; echo \"machine=$(uname -m)\"\n"
    "echo \"user_id=$(id -un)\"; echo \"user_uid=$(id -u)\"; echo \"user_gid=$(id -g)\"\n"
    "echo \"user_dir=$HOME\"\n"
    "if [ -r /etc/os-release ]; then . /etc/os-release; echo \"os_id=$ID\"; echo \"os_like=$ID_LIKE\";"
    " echo \"os_name=$NAME\"; echo \"os_version=$VERSION_ID\"; fi\n";

static void fact(RtValue *f, const char *name, const char *out, const char *key) {
  char *v = mod_kv_line(out, key);
  rt_dict_set(f, name, rt_strz(v ? v : ""));
  free(v);
}

/* /etc/os-release ID → Ansible's distribution and os_family names. */
static void distribution(RtValue *f, const char *out) {
  static const struct { const char *id, *dist, *family; } map[] = {
      {"debian", "Debian", "Debian"},   {"ubuntu", "Ubuntu", "Debian"},
      {"fedora", "Fedora", "RedHat"},   {"centos", "CentOS", "RedHat"},
      {"rhel", "RedHat", "RedHat"},     {"rocky", "Rocky", "RedHat"},
      {"almalinux", "AlmaLinux", "RedHat"}, {"alpine", "Alpine", "Alpine"},
      {"arch", "Archlinux", "Archlinux"}, {"opensuse-leap", "openSUSE Leap", "Suse"},
  };
  char *id = mod_kv_line(out, "os_id"), *ver = mod_kv_line(out, "os_version");
  char *like = mod_kv_line(out, "os_like");
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
  const char *out = ex.out.data ? ex.out.data : "";
  RtValue *f = rt_dict_new(16);
  fact(f, "ansible_hostname", out, "hostname");
  fact(f, "ansible_nodename", out, "nodename");
  fact(f, "ansible_fqdn", out, "fqdn");
  fact(f, "ansible_system", out, "system");
  fact(f, "ansible_kernel", out, "kernel");
  fact(f, "ansible_architecture", out, "machine");
  fact(f, "ansible_machine", out, "machine");
  fact(f, "ansible_user_id", out, "user_id");
  fact(f, "ansible_user_dir", out, "user_dir");
  char *uid = mod_kv_line(out, "user_uid"), *gid = mod_kv_line(out, "user_gid");
  rt_dict_set(f, "ansible_user_uid", rt_int(uid ? strtoll(uid, NULL, 10) : 0));
  rt_dict_set(f, "ansible_user_gid", rt_int(gid ? strtoll(gid, NULL, 10) : 0));
  free(uid);
  free(gid);
  distribution(f, out);
  rt_exec_free(&ex);
  RtValue *r = rt_dict_new(2);
  rt_dict_set(r, "ansible_facts", f);
  rt_dict_set(r, "changed", rt_bool(false));
  return r;
}
