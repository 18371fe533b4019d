/*
 * hostname.c — the hostname module on Linux, with Ansible's strategies:
 * systemd (hostnamectl --static/--transient), file (/etc/hostname only,
 * what Debian-family systems without systemd get), alpine (/etc/hostname
 * then `hostname -F`) and redhat (HOSTNAME= in /etc/sysconfig/network).
 * Without `use`, the strategy is picked as Ansible picks it: systemd when
 * the target is systemd-managed, else by the ID and ID_LIKE of
 * /etc/os-release. Request 1 reads the strategy's current and permanent
 * names and the FQDN (`hostname -f`, socket.getfqdn's answer); request 2
 * sets what differs and reads the FQDN again. The result carries Ansible's
 * facts (ansible_hostname, _nodename, _fqdn, _domain) and, when changed,
 * its diff.
 */
#include "mod.h"

static const ModParam hostname_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "use", .type = MP_STR,
     .choices = "alpine,debian,freebsd,generic,macos,macosx,darwin,openbsd,openrc,redhat,sles,solaris,systemd"},
};
const ModSchema mod_schema_hostname = {
    .name = "hostname",
    .params = hostname_params,
    .nparams = MOD_N(hostname_params),
    .tools = "hostname",
    .check_mode = true,
    .diff_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* The detection script: st = systemd, file, alpine, redhat or none (and
 * the distribution's name in ds for the message). */
static const char detect_script[] =
    "ds=; st=none\n"
    "if command -v systemctl >/dev/null 2>&1 && { [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || "
    "[ -e /dev/.systemd/ ]; }; then st=systemd\n"
    "elif [ -r /etc/os-release ]; then\n"
    "  id=$(. /etc/os-release; printf %s \"$ID\"); ds=$(. /etc/os-release; printf %s \"$NAME\")\n"
    "  case $id in\n"
    "  debian|ubuntu|kali|parrot|linuxmint|linaro|devuan|raspbian|uos|deepin|neon|kylin|cumulus-linux|altlinux|"
    "void) st=file;;\n"
    "  alpine) st=alpine;;\n"
    "  rhel|centos|anolis|cloudlinux|alinux|scientific|ol|virtuozzo|amzn) st=redhat;;\n"
    "  esac\n"
    "fi\n";

/* Script text: cur and perm, the names the strategy in $st reads. */
static const char read_script[] =
    "rd() {\n"
    "  case $st in\n"
    "  systemd) cur=$(hostnamectl --transient status 2>&1) || { __playc_rec fail cmd; __playc_rec out \"$cur\"; "
    "exit 0; }\n"
    "    perm=$(hostnamectl --static status 2>&1) || { __playc_rec fail cmd; __playc_rec out \"$perm\"; exit 0; };;\n"
    "  file|alpine) perm=; [ ! -f /etc/hostname ] || perm=$(cat /etc/hostname); cur=$perm;;\n"
    "  redhat) perm=$(sed -n 's/^[[:space:]]*HOSTNAME[^=]*=[[:space:]]*//p' /etc/sysconfig/network 2>/dev/null "
    "| head -n 1)\n"
    "    cur=$perm;;\n"
    "  esac\n"
    "  __playc_rec cur \"$cur\"; __playc_rec perm \"$perm\"\n"
    "}\n";

RtValue *mod_hostname(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *use = mod_arg_str(args, "use");
  RtValue *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0}, wr = {0};
  bool have_ex = false, have_wr = false;
  char *err = NULL;
  static const char *const strat[][2] = {{"alpine", "alpine"}, {"debian", "systemd"}, {"redhat", "redhat"},
                                         {"systemd", "systemd"}, {NULL, NULL}};
  const char *st = NULL;
  for (int i = 0; use && strat[i][0]; i++)
    if (strcmp(use, strat[i][0]) == 0)
      st = strat[i][1];
  if (use && !st) {
    r = mod_fail_result("hostname strategy '%s' is not supported by playc on Linux", use);
    goto done;
  }
  mod_sh_set(&s, "n", name);
  if (st)
    rt_buf_printf(&s, "st=%s\n", st);
  else
    rt_buf_puts(&s, detect_script);
  rt_buf_puts(&s, read_script);
  rt_buf_puts(&s, "[ $st != none ] || { __playc_rec fail platform; __playc_rec distro \"$ds\"; exit 0; }\n"
                  "[ $st != systemd ] || command -v hostnamectl >/dev/null 2>&1 || { __playc_rec fail notool; "
                  "__playc_rec tool hostnamectl; __playc_rec path \"$PATH\"; exit 0; }\n"
                  "__playc_rec st $st; rd\n"
                  "__playc_rec fqdn \"$(hostname -f 2>/dev/null || hostname)\"\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have_ex = true;
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto done;
  if (mod_rec_is(&ex, "fail", "platform")) {
    const char *d = mod_rec(&ex, "distro");
    r = d && *d ? mod_fail_result("hostname module cannot be used on platform Linux (%s)", d)
                : mod_fail_result("hostname module cannot be used on platform Linux");
    goto done;
  }
  if (mod_rec_is(&ex, "fail", "cmd")) {
    r = mod_fail_result("Command failed rc=1, out=, err=%s\n", mod_rec(&ex, "out"));
    goto done;
  }
  const char *cur = mod_rec(&ex, "cur"), *perm = mod_rec(&ex, "perm");
  st = mod_rec(&ex, "st");
  bool set_perm = strcmp(perm, name) != 0, set_cur = strcmp(cur, name) != 0;
  if (strcmp(st, "systemd") != 0) /* the file strategies read the file for both */
    set_cur = false;
  if ((set_perm || set_cur) && strcmp(st, "systemd") == 0 && strlen(name) > 64) {
    r = mod_fail_result("name cannot be longer than 64 characters on systemd servers, try a shorter name");
    goto done;
  }
  bool changed = set_perm || set_cur;
  const RtExec *last = &ex;
  if (changed && !h->check_mode) {
    rt_buf_free(&s);
    mod_sh_set(&s, "n", name);
    if (strcmp(st, "systemd") == 0) {
      if (set_perm)
        rt_buf_puts(&s, "o=$(hostnamectl --pretty --static set-hostname \"$n\" 2>&1) || { __playc_rec fail cmd; "
                        "__playc_rec out \"$o\"; exit 0; }\n");
      rt_buf_puts(&s, "c=$(hostnamectl --transient status 2>/dev/null)\n"
                      "[ \"$c\" = \"$n\" ] || o=$(hostnamectl --transient set-hostname \"$n\" 2>&1) || "
                      "{ __playc_rec fail cmd; __playc_rec out \"$o\"; exit 0; }\n");
    } else if (strcmp(st, "redhat") == 0) {
      rt_buf_puts(&s, "f=/etc/sysconfig/network; t=; [ ! -f \"$f\" ] || t=$(cat -- \"$f\"; echo x)\n"
                      "t=${t%x}; o=$(printf %s \"$t\" | awk -v n=\"$n\" 'BEGIN { f = 0 } "
                      "{ l = $0; sub(/^[ \\t]+/, \"\", l) } l ~ /^HOSTNAME/ { print \"HOSTNAME=\" n; f = 1; next } "
                      "{ print } END { if (!f) print \"HOSTNAME=\" n }'; echo x)\n"
                      "printf %s \"${o%x}\" > \"$f\" || { __playc_rec fail write; exit 0; }\n");
    } else {
      rt_buf_puts(&s, "printf '%s\\n' \"$n\" > /etc/hostname || { __playc_rec fail write; exit 0; }\n");
      if (strcmp(st, "alpine") == 0)
        rt_buf_puts(&s, "o=$(hostname -F /etc/hostname 2>&1) || { __playc_rec fail cmd; __playc_rec out \"$o\"; "
                        "exit 0; }\n");
    }
    rt_buf_puts(&s, "__playc_rec fqdn \"$(hostname -f 2>/dev/null || hostname)\"\n");
    if (rt_host_exec(h, s.data, NULL, 0, &wr, &err) < 0)
      goto done;
    have_wr = true;
    if (mod_rec_is(&wr, "fail", "cmd")) {
      r = mod_fail_result("Command failed rc=1, out=, err=%s\n", mod_rec(&wr, "out"));
      goto done;
    }
    if (mod_rec_is(&wr, "fail", "write")) {
      r = mod_fail_result("failed to update hostname: %s", wr.err.len ? wr.err.data : "");
      goto done;
    }
    last = &wr;
  }
  const char *before = strcmp(name, cur) != 0 ? cur : perm;
  const char *fqdn = mod_rec(last, "fqdn") ? mod_rec(last, "fqdn") : "";
  const char *dot = strchr(fqdn, '.');
  char *short_name = rt_xstrndup(name, strchr(name, '.') ? (size_t)(strchr(name, '.') - name) : strlen(name));
  RtValue *facts = rt_dict_new(4);
  rt_dict_set(facts, "ansible_hostname", rt_str_take(short_name, strlen(short_name)));
  rt_dict_set(facts, "ansible_nodename", rt_strz(name));
  rt_dict_set(facts, "ansible_fqdn", rt_strz(fqdn));
  rt_dict_set(facts, "ansible_domain", rt_strz(dot ? dot + 1 : ""));
  mod_set_facts(h, facts);
  r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "name", rt_strz(name));
  rt_dict_set(r, "ansible_facts", facts);
  if (changed) {
    RtValue *d = rt_dict_new(2);
    char *a = rt_xasprintf("hostname = %s\n", name), *b = rt_xasprintf("hostname = %s\n", before);
    rt_dict_set(d, "after", rt_str_take(a, strlen(a)));
    rt_dict_set(d, "before", rt_str_take(b, strlen(b)));
    rt_dict_set(r, "diff", d);
  }
done:
  if (have_ex)
    rt_exec_free(&ex);
  if (have_wr)
    rt_exec_free(&wr);
  rt_buf_free(&s);
  free(err);
  free(name);
  free(use);
  return r;
}

#endif
