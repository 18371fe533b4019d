/*
 * seport.c — community.general.seport without Python's seobject, in one
 * request: whether SELinux runs (`getenforce`, or
 * /sys/fs/selinux/enforce), the ports of the type (`semanage port -l -n`,
 * `-C` for local), each port's current type (its exact "LOW-HIGH" or
 * "PORT" entry in the same listing), and the changes as seobject's
 * portRecords makes them, through the semanage command that wraps it:
 * `semanage port -a|-m -t TYPE -p PROTO PORT` for present, `semanage port
 * -d -p PROTO PORT` for absent, `-N` without reload. semanage reports
 * seobject's refusal as "ValueError: message" and a newline on stderr, the
 * module's fail_json as "%s: %s\n" of the same exception: the same text.
 */
#include "mod.h"

static const ModParam seport_params[] = {
    {.name = "ignore_selinux_state", .type = MP_BOOL, .def = "false"},
    {.name = "ports", .type = MP_LIST, .elements = MP_STR, .required = true},
    {.name = "proto", .type = MP_STR, .required = true, .choices = "tcp,udp"},
    {.name = "setype", .type = MP_STR, .required = true},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "reload", .type = MP_BOOL, .def = "true"},
    {.name = "local", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_seport = {
    .name = "seport",
    .params = seport_params,
    .nparams = MOD_N(seport_params),
    .tools = "getenforce,semanage",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* The target side. inlist FILE TYPE PROTO PORT: PORT is one of the ports
 * listed for TYPE/PROTO in FILE (`semanage port -l -n` lines "TYPE PROTO
 * P1, P2-P3, ..."); typeof PROTO PORT sets t to the type of that exact
 * entry ("" when none). */
static const char SEPORT_FUNCS[] =
    "if pc_bin getenforce; then\n"
    "  case $(\"$pc_v\" 2>/dev/null </dev/null) in Enforcing|Permissive) se=1;; *) se=0;; esac\n"
    "elif [ -r /sys/fs/selinux/enforce ]; then se=1; else se=0; fi\n"
    "inlist() {\n"
    "  while read -r a b c; do\n"
    "    [ \"$a\" = \"$2\" ] && [ \"$b\" = \"$3\" ] || continue\n"
    "    case \", $c,\" in *\", $4,\"*) return 0;; esac\n"
    "  done < \"$1\"; return 1\n"
    "}\n"
    "typeof() {\n"
    "  t=; while read -r a b c; do\n"
    "    [ \"$b\" = \"$1\" ] || continue\n"
    "    case \", $c,\" in *\", $2,\"*) t=$a; return 0;; esac\n"
    "  done < \"$__playc_scr/all\"\n"
    "}\n"
    "fail_() { __playc_rec fail \"$(cat \"$__playc_scr/e\"; echo .)\"; exit 0; }\n";

/* The key seobject builds for a port: "LOW-HIGH" or "PORT" as listed
 * (a single port is listed alone, a range with its dash). */
static char *seport_entry(const char *port) {
  const char *dash = strchr(port, '-');
  if (!dash)
    return rt_xstrdup(port);
  if ((size_t)(dash - port) == strlen(dash + 1) && !strncmp(port, dash + 1, (size_t)(dash - port)))
    return rt_xstrndup(port, (size_t)(dash - port)); /* "80-80" is listed as 80 */
  return rt_xstrdup(port);
}

RtValue *mod_seport(RtHost *h, RtValue *args) {
  char *proto = mod_arg_str(args, "proto"), *setype = mod_arg_str(args, "setype"), *state = mod_arg_str(args, "state");
  char *lerr = NULL, *err = NULL;
  RtValue *ports = mod_ps_arg_list(args, "ports", &lerr), *r = NULL;
  bool ck = h->check_mode, absent = state && !strcmp(state, "absent");
  bool reload = mod_arg_bool(args, "reload", 1) == 1, local = mod_arg_bool(args, "local", 0) == 1;
  RtBuf s = {0};
  RtExec ex = {0};
  if (!ports) {
    r = mod_fail_result("%s", lerr ? lerr : "missing required arguments: ports");
    goto done;
  }
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, SEPORT_FUNCS);
  if (mod_arg_bool(args, "ignore_selinux_state", 0) != 1)
    rt_buf_puts(&s, "[ $se = 1 ] || { __playc_rec disabled 1; exit 0; }\n");
  mod_sh_set(&s, "T", setype ? setype : "");
  mod_sh_set(&s, "P", proto ? proto : "");
  rt_buf_printf(&s,
                "pc_bin semanage || pc_nobin semanage; S=$pc_v\n"
                "\"$S\" port -l -n >\"$__playc_scr/all\" 2>\"$__playc_scr/e\" </dev/null || fail_\n%s"
                "ch=0\n",
                local ? "\"$S\" port -l -n -C >\"$__playc_scr/by\" 2>\"$__playc_scr/e\" </dev/null || fail_\n"
                      : "cp \"$__playc_scr/all\" \"$__playc_scr/by\"\n");
  for (size_t i = 0; i < rt_len(ports); i++) {
    const char *p = rt_list_at(ports, i)->u.str.s;
    char *entry = seport_entry(p);
    mod_sh_set(&s, "p", p);
    mod_sh_set(&s, "k", entry);
    free(entry);
    if (!absent) {
      rt_buf_puts(&s, "if ! inlist \"$__playc_scr/by\" \"$T\" \"$P\" \"$p\"; then ch=1\n");
      if (!ck)
        rt_buf_printf(&s,
                      "  typeof \"$P\" \"$k\"; if [ -z \"$t\" ]; then op=-a; else op=-m; fi\n"
                      "  \"$S\" port %s$op -t \"$T\" -p \"$P\" \"$p\" >/dev/null 2>\"$__playc_scr/e\" </dev/null || fail_\n",
                      reload ? "" : "-N ");
      rt_buf_puts(&s, "fi\n");
    } else {
      rt_buf_puts(&s, "if inlist \"$__playc_scr/by\" \"$T\" \"$P\" \"$p\"; then ch=1\n");
      if (!ck)
        rt_buf_printf(&s,
                      "  \"$S\" port %s-d -p \"$P\" \"$p\" >/dev/null 2>\"$__playc_scr/e\" </dev/null || fail_\n",
                      reload ? "" : "-N ");
      rt_buf_puts(&s, "fi\n");
    }
  }
  rt_buf_puts(&s, "__playc_rec ch $ch\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  if ((r = mod_ps_missing(&ex)) == NULL) {
    const char *f = mod_rec(&ex, "fail");
    if (mod_rec(&ex, "disabled")) {
      r = mod_fail_result("SELinux is disabled on this host.");
    } else if (f) {
      size_t n = strlen(f);
      r = mod_fail_result("%.*s", (int)(n ? n - 1 : 0), f);
    } else {
      r = rt_dict_new(5);
      rt_dict_set(r, "ports", rt_incref(ports));
      rt_dict_set(r, "proto", rt_strz(proto ? proto : ""));
      rt_dict_set(r, "setype", rt_strz(setype ? setype : ""));
      rt_dict_set(r, "state", rt_strz(state ? state : "present"));
      rt_dict_set(r, "changed", rt_bool(mod_rec_is(&ex, "ch", "1")));
    }
  }
  rt_exec_free(&ex);
done:
  if (ports)
    rt_decref(ports);
  rt_buf_free(&s);
  free(proto);
  free(setype);
  free(state);
  free(lerr);
  free(err);
  return r;
}

#endif
