/*
 * lxc_container.c — community.general.lxc_container with the target's lxc-*
 * programs instead of the python3-lxc bindings the module uses.
 *
 * The module's state methods are short chains of "read the state, act,
 * read again" (with 60-try start and destroy loops), so they run on the
 * target as one shell script per task: shell functions stand for the
 * binding's calls (lx_st for _get_state, lx_up for _container_startup,
 * lxc-stop -k for stop(), lxc-attach for attach_wait ...), the script
 * records what the module's state_change would be, the container's data
 * (lxc-info, /proc/PID/net/dev) and which failure ended it. Only
 * container_config needs the controller in between: its edit of the config
 * file (the module's regular expression per key) is decided in C, so a task
 * with container_config reads the file in a first request (after creating
 * the container when it is missing) and acts in a second.
 *
 * As in the module, lxc_path only places the container at creation and in
 * the existence check (list_containers); every other call goes to the
 * container of that name in LXC's default lxcpath (the module binds
 * lxc.Container(name) without it).
 */
#include "mod.h"

static const ModParam lxc_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "template", .type = MP_STR, .def = "ubuntu"},
    {.name = "backing_store", .type = MP_STR, .choices = "dir,lvm,loop,btrfs,overlayfs,zfs", .def = "dir"},
    {.name = "template_options", .type = MP_STR},
    {.name = "config", .type = MP_PATH},
    {.name = "vg_name", .type = MP_STR, .def = "lxc"},
    {.name = "thinpool", .type = MP_STR},
    {.name = "fs_type", .type = MP_STR, .def = "ext4"},
    {.name = "fs_size", .type = MP_STR, .def = "5G"},
    {.name = "directory", .type = MP_PATH},
    {.name = "zfs_root", .type = MP_STR},
    {.name = "lv_name", .type = MP_STR},
    {.name = "lxc_path", .type = MP_PATH},
    {.name = "state",
     .type = MP_STR,
     .choices = "started,stopped,restarted,absent,frozen,clone",
     .unimplemented = "clone",
     .def = "started"},
    {.name = "container_command", .type = MP_STR},
    {.name = "container_config", .type = MP_LIST, .elements = MP_STR},
    {.name = "container_log", .type = MP_BOOL, .def = "false"},
    {.name = "container_log_level",
     .type = MP_STR,
     .choices = "Info,info,INFO,Error,error,ERROR,Debug,debug,DEBUG",
     .def = "INFO"},
    {.name = "clone_name", .type = MP_STR},
    {.name = "clone_snapshot", .type = MP_BOOL, .def = "false"},
    {.name = "archive", .type = MP_BOOL, .def = "false"},
    {.name = "archive_path", .type = MP_PATH},
    {.name = "archive_compression", .type = MP_STR, .choices = "gzip,bzip2,none", .def = "gzip"},
};
const ModSchema mod_schema_lxc_container = {
    .name = "lxc_container",
    .params = lxc_params,
    .nparams = MOD_N(lxc_params),
    .required_if = "archive=True:archive_path",
    .tools = "lxc-create,lxc-ls,lxc-info,lxc-start,lxc-stop,lxc-freeze,lxc-unfreeze,lxc-destroy,lxc-attach,lxc-config",
    .check_mode = false,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

static RtValue *str_take(char *s) { return rt_str_take(s, strlen(s)); }

/* The binding's calls as shell functions (after mod_ps_sh_begin and the
 * variables n = name, lp = lxc_path or empty). ch is state_change. */
static const char LXC_FUNCS[] =
    "ch=0\n"
    "for lx_t in ls info start stop freeze unfreeze destroy attach config; do\n"
    "  pc_bin lxc-$lx_t || { __playc_rec nolxc 1; exit 0; }\n"
    "  eval \"L_$lx_t=\\$pc_v\"\n"
    "done\n"
    /* _container_exists: list_containers(config_path=lxc_path) */
    "lx_ex() {\n"
    "  if [ -n \"$lp\" ]; then \"$L_ls\" -1 -P \"$lp\" 2>/dev/null; else \"$L_ls\" -1 2>/dev/null; fi "
    "| grep -qxF -e \"$n\"\n"
    "}\n"
    /* _get_state: lx_s = absent, or the container's state in lower case */
    "lx_st() {\n"
    "  if lx_ex; then\n"
    "    lx_s=$(\"$L_info\" -n \"$n\" -sH 2>/dev/null) || lx_s=STOPPED\n"
    "    case $lx_s in RUNNING) lx_s=running;; STOPPED) lx_s=stopped;; FROZEN) lx_s=frozen;;\n"
    "      *) lx_s=$(printf %s \"$lx_s\" | tr '[:upper:]' '[:lower:]');; esac\n"
    "  else lx_s=absent; fi\n"
    "}\n"
    /* the container's data, the changed flag, and the end of the script */
    "lx_end() {\n"
    "  __playc_rec changed $ch\n"
    "  lx_st; __playc_rec state \"$lx_s\"\n"
    "  lx_p=$(\"$L_info\" -n \"$n\" -pH 2>/dev/null) || lx_p=\n"
    "  if [ -n \"$lx_p\" ]; then\n"
    "    __playc_rec pid \"$lx_p\"\n"
    "    __playc_rec ips \"$(\"$L_info\" -n \"$n\" -iH 2>/dev/null; echo .)\"\n"
    "    __playc_rec ifs \"$(cat \"/proc/$lx_p/net/dev\" 2>/dev/null; echo .)\"\n"
    "  fi\n"
    "  exit 0\n"
    "}\n"
    "lx_fail() { __playc_rec fail \"$1\"; lx_end; }\n"
    "lx_stop() { \"$L_stop\" -n \"$n\" -k </dev/null >/dev/null 2>&1; }\n"
    "lx_frz() { \"$L_freeze\" -n \"$n\" </dev/null >/dev/null 2>&1; }\n"
    "lx_unf() { ! \"$L_unfreeze\" -n \"$n\" </dev/null >/dev/null 2>&1 || ch=1; }\n"
    /* _container_startup: 60 tries, a second apart */
    "lx_up() {\n"
    "  lx_i=0\n"
    "  while [ $lx_i -lt 60 ]; do\n"
    "    lx_st; [ \"$lx_s\" != running ] || return 0\n"
    "    \"$L_start\" -n \"$n\" -d </dev/null >/dev/null 2>&1; ch=1; sleep 1; lx_i=$((lx_i + 1))\n"
    "  done\n"
    "  lx_fail start\n"
    "}\n";

/* attach_wait(create_script, command) in the container: the script written
 * to a private temp file, run with its output appended to two more temp
 * files, which stay (as the module leaves them), the script removed. $1 is
 * the script's text. */
static const char LXC_ATTACH[] = "t=${TMPDIR:-/tmp}\n"
                                 "f=$(mktemp \"$t/lxc-attach-scriptXXXXXXXX\") || exit 1\n"
                                 "printf %s \"$1\" >\"$f\"; chmod 0700 \"$f\"\n"
                                 "o=$(mktemp \"$t/lxc-attach-script-logXXXXXXXX\")\n"
                                 "e=$(mktemp \"$t/lxc-attach-script-errXXXXXXXX\")\n"
                                 "\"$f\" >>\"$o\" 2>>\"$e\"\n"
                                 "rm -f \"$f\"\n";

static const char ATTACH_TEMPLATE[] = "#!/usr/bin/env bash\n"
                                      "pushd \"$(getent passwd $(whoami)|cut -f6 -d':')\"\n"
                                      "    if [[ -f \".bashrc\" ]];then\n"
                                      "        source .bashrc\n"
                                      "        unset HOSTNAME\n"
                                      "    fi\n"
                                      "popd\n"
                                      "\n"
                                      "# User defined command\n";

/* _get_vars: false_values = BOOLEANS_FALSE | {None, ''} (strings here) */
static bool py_falsy(const char *v) {
  static const char *const f[] = {"", "n", "no", "off", "0", "false", "f"};
  if (!v)
    return true;
  for (size_t i = 0; i < sizeof f / sizeof *f; i++)
    if (strcmp(v, f[i]) == 0)
      return true;
  return false;
}

/* LXC_BACKING_STORE: is `param` dropped for backing store `bs`? */
static bool bs_drops(const char *bs, const char *param) {
  static const char *const drops[][2] = {
      {"dir", "lv_name,vg_name,fs_type,fs_size,thinpool"},
      {"lvm", "zfs_root"},
      {"btrfs", "lv_name,vg_name,thinpool,zfs_root,fs_type,fs_size"},
      {"loop", "lv_name,vg_name,thinpool,zfs_root"},
      {"overlayfs", "lv_name,vg_name,fs_type,fs_size,thinpool,zfs_root"},
      {"zfs", "lv_name,vg_name,fs_type,fs_size,thinpool"},
  };
  for (size_t i = 0; i < sizeof drops / sizeof *drops; i++) {
    if (strcmp(bs, drops[i][0]) != 0)
      continue;
    size_t n = strlen(param);
    for (const char *p = drops[i][1]; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
      if (strncmp(p, param, n) == 0 && (p[n] == ',' || !p[n]))
        return true;
  }
  return false;
}

/* AnsibleModule's "given" for required_if: present and not None. */
static bool arg_given(RtValue *args, const char *name) {
  RtValue *v = rt_dict_get(args, name);
  return v && rt_kind(v) != RT_NONE;
}

/* Arg `name`, or its default when it is not given (malloc'd; NULL for None
 * and for a parameter without a default). */
static char *arg_or_default(RtValue *args, const char *name) {
  if (rt_dict_get(args, name))
    return mod_arg_str(args, name);
  for (size_t i = 0; i < MOD_N(lxc_params); i++)
    if (strcmp(lxc_params[i].name, name) == 0 && lxc_params[i].def)
      return rt_xstrdup(lxc_params[i].def);
  return NULL;
}

/* _create's command, built in the script (path arguments expand there):
 * lxc-create --name N --quiet, LXC_COMMAND_MAP's options in its order, the
 * log options, then -- and the template options as shlex splits them. */
static void sh_create(RtBuf *s, RtValue *args, const char *name, RtValue *topts) {
  static const char *const vars[][2] = {
      {"config", "--config"}, {"template", "--template"},  {"backing_store", "--bdev"}, {"lxc_path", "--lxcpath"},
      {"lv_name", "--lvname"}, {"vg_name", "--vgname"},    {"thinpool", "--thinpool"},  {"fs_type", "--fstype"},
      {"fs_size", "--fssize"}, {"directory", "--dir"},     {"zfs_root", "--zfsroot"},
  };
  char *bs = arg_or_default(args, "backing_store");
  rt_buf_puts(s, "lx_create() {\n"
                 "  pc_bin lxc-create || pc_nobin lxc-create\n"
                 "  set -- \"$pc_v\" --name \"$n\" --quiet\n");
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
    if (bs_drops(bs ? bs : "dir", vars[i][0]))
      continue;
    char *v = arg_or_default(args, vars[i][0]);
    if (strcmp(vars[i][0], "lv_name") == 0 && (!v || !*v)) { /* main(): `not lv_name` → the name */
      free(v);
      v = rt_xstrdup(name);
    }
    if (!py_falsy(v)) {
      const char *p = vars[i][0];
      if (!strcmp(p, "config") || !strcmp(p, "lxc_path") || !strcmp(p, "directory"))
        mod_sh_set_path(s, "lx_a", v);
      else
        mod_sh_set(s, "lx_a", v);
      rt_buf_printf(s, "  set -- \"$@\" %s \"$lx_a\"\n", vars[i][1]);
    }
    free(v);
  }
  if (mod_arg_bool(args, "container_log", 0) == 1) {
    char *lvl = mod_arg_str(args, "container_log_level");
    char *up = rt_xstrdup(lvl ? lvl : "INFO"); /* .upper() of one of the choices */
    for (char *p = up; *p; p++)
      if (*p >= 'a' && *p <= 'z')
        *p = (char)(*p - 'a' + 'A');
    /* root logs to /var/log/lxc/, anyone else (or when it cannot be made) to $HOME */
    rt_buf_puts(s, "  if [ \"$(id -u)\" != 0 ]; then lx_lg=${HOME-}\n"
                   "  elif [ -d /var/log/lxc/ ] || mkdir -p /var/log/lxc/ 2>/dev/null; then lx_lg=/var/log/lxc/\n"
                   "  else lx_lg=${HOME-}; fi\n"
                   "  case $lx_lg in ''|*/) ;; *) lx_lg=$lx_lg/;; esac\n");
    mod_sh_set(s, "lx_a", up);
    rt_buf_puts(s, "  set -- \"$@\" --logfile \"${lx_lg}lxc-$n.log\" --logpriority \"$lx_a\"\n");
    free(up);
    free(lvl);
  }
  if (topts && rt_len(topts)) {
    rt_buf_puts(s, "  set -- \"$@\" --\n");
    for (size_t i = 0; i < rt_len(topts); i++) {
      mod_sh_set(s, "lx_a", rt_list_at(topts, i)->u.str.s);
      rt_buf_puts(s, "  set -- \"$@\" \"$lx_a\"\n");
    }
  }
  rt_buf_puts(s, "  lx_c=$*\n" /* ' '.join(build_command): IFS is the default here */
                 "  pc_cap create \"$@\"\n"
                 "  __playc_rec create.cmd \"$lx_c\"\n"
                 "  [ \"$pc_r\" = 0 ] || { __playc_rec fail create; exit 0; }\n"
                 "  ch=1\n"
                 "}\n"
                 /* the state method's recursion: two creates, then check_count fails */
                 "lx_k=0\n"
                 "while ! lx_ex; do\n"
                 "  [ $lx_k -lt 2 ] || lx_fail count\n"
                 "  lx_create; lx_k=$((lx_k + 1))\n"
                 "done\n");
  free(bs);
}

/* Python's str.strip() (ASCII whitespace), malloc'd. */
static char *py_strip(const char *s, size_t n) {
  while (n && strchr(" \t\n\r\v\f", *s))
    s++, n--;
  while (n && strchr(" \t\n\r\v\f", s[n - 1]))
    n--;
  return rt_xstrndup(s, n);
}

/* ' '.join(s.split()), malloc'd. */
static char *py_norm_ws(const char *s) {
  RtValue *w = mod_words(s);
  RtBuf b = {0};
  for (size_t i = 0; i < rt_len(w); i++) {
    if (i)
      rt_buf_putc(&b, ' ');
    rt_buf_puts(&b, rt_list_at(w, i)->u.str.s);
  }
  rt_decref(w);
  return b.data ? rt_buf_take(&b) : rt_xstrdup("");
}

/* _config's edit of the config file text `cfg`: the new text (malloc'd) when
 * an option changes it, else NULL; *err (malloc'd) when a key is no regular
 * expression or an option has no '='. */
static char *config_edit(const char *cfg, RtValue *opts, char **err) {
  RtValue *lines = rt_list_new(16);
  for (const char *p = cfg; *p;) { /* splitlines(True) for \n, \r\n and \r */
    const char *e = p + strcspn(p, "\r\n");
    if (*e == '\r' && e[1] == '\n')
      e += 2;
    else if (*e)
      e++;
    rt_list_push(lines, rt_str(p, (size_t)(e - p)));
    p = e;
  }
  bool change = false;
  for (size_t i = 0; i < rt_len(opts) && !*err; i++) {
    const char *o = rt_list_at(opts, i)->u.str.s, *eq = strchr(o, '=');
    if (!eq) {
      *err = rt_xstrdup("not enough values to unpack (expected 2, got 1)");
      break;
    }
    char *key = py_strip(o, (size_t)(eq - o)), *value = py_strip(eq + 1, strlen(eq + 1));
    char *entry = rt_xasprintf("%s = %s\n", key, value), *pat = rt_xasprintf("%s(\\s+)?=", key);
    ModRe *re = mod_re_compile(pat, strlen(pat), 0, true, err);
    if (re) {
      size_t j = 0;
      for (; j < rt_len(lines); j++) {
        RtValue *l = rt_list_at(lines, j);
        ModReMatch m;
        if (!mod_re_search(re, l->u.str.s, l->u.str.len, 0, true, &m))
          continue;
        const char *eq2 = strchr(l->u.str.s, '=');
        char *cv = py_norm_ws(eq2 ? eq2 + 1 : "");
        if (strcmp(value, cv) != 0) {
          bool have = false;
          for (size_t k = 0; k < rt_len(lines) && !have; k++)
            have = strcmp(rt_list_at(lines, k)->u.str.s, entry) == 0;
          if (!have) {
            change = true;
            RtValue *nl = rt_list_new(rt_len(lines) + 1);
            for (size_t k = 0; k < rt_len(lines); k++) {
              rt_list_push(nl, rt_incref(rt_list_at(lines, k)));
              if (k == j)
                rt_list_push(nl, rt_strz(entry));
            }
            rt_decref(lines);
            lines = nl;
          }
        }
        free(cv);
        break;
      }
      if (j == rt_len(lines) && re) {
        change = true;
        rt_list_push(lines, rt_strz(entry));
      }
      mod_re_free(re);
    }
    free(key);
    free(value);
    free(entry);
    free(pat);
  }
  RtBuf b = {0};
  if (change && !*err)
    for (size_t k = 0; k < rt_len(lines); k++)
      rt_buf_add(&b, rt_list_at(lines, k)->u.str.s, rt_list_at(lines, k)->u.str.len);
  rt_decref(lines);
  return change && !*err ? (b.data ? rt_buf_take(&b) : rt_xstrdup("")) : NULL;
}

/* A record's text without pc_put's trailing '.' (malloc'd), or NULL. */
static char *rec_text(const RtExec *ex, const char *key) {
  const char *v = mod_rec(ex, key);
  if (!v)
    return NULL;
  size_t n = strlen(v);
  return rt_xstrndup(v, n && v[n - 1] == '.' ? n - 1 : n);
}

/* _container_data() from the script's records. */
static RtValue *container_data(const RtExec *ex, const char *name) {
  RtValue *d = rt_dict_new(5), *ifs = rt_list_new(2), *ips = rt_list_new(2);
  char *it = rec_text(ex, "ifs"), *ip = rec_text(ex, "ips");
  if (it) { /* /proc/PID/net/dev: two header lines, then "  name: counters" */
    RtValue *ls = mod_lines(it, strlen(it));
    for (size_t i = 2; i < rt_len(ls); i++) {
      const char *l = rt_list_at(ls, i)->u.str.s, *c = strchr(l, ':');
      if (c)
        rt_list_push(ifs, str_take(py_strip(l, (size_t)(c - l))));
    }
    rt_decref(ls);
  }
  if (ip) {
    RtValue *ls = mod_words(ip);
    for (size_t i = 0; i < rt_len(ls); i++)
      rt_list_push(ips, rt_incref(rt_list_at(ls, i)));
    rt_decref(ls);
  }
  rt_dict_set(d, "interfaces", ifs);
  rt_dict_set(d, "ips", ips);
  rt_dict_set(d, "state", rt_strz(mod_rec(ex, "state") ? mod_rec(ex, "state") : "absent"));
  rt_dict_set(d, "init_pid", rt_int(mod_rec_int(ex, "pid", -1)));
  rt_dict_set(d, "name", rt_strz(name));
  free(it);
  free(ip);
  return d;
}

/* The script's start: the tools, the functions, the name and lxc_path. */
static void sh_begin(RtBuf *s, const char *name, const char *lxc_path) {
  mod_ps_sh_begin(s);
  mod_sh_set(s, "n", name);
  if (lxc_path && *lxc_path)
    mod_sh_set_path(s, "lp", lxc_path);
  else
    rt_buf_puts(s, "lp=\n");
  rt_buf_puts(s, LXC_FUNCS);
}

/* _execute_command: a frozen container unfrozen, a stopped one started, then
 * the command run in it. */
static void sh_command(RtBuf *s, const char *cmd) {
  char *script = rt_xasprintf("%s%s\n", ATTACH_TEMPLATE, cmd);
  mod_sh_set(s, "lx_cc", script);
  mod_sh_set(s, "lx_in", LXC_ATTACH);
  rt_buf_puts(s, "lx_st; case $lx_s in frozen) lx_unf;; stopped) lx_up;; esac\n"
                 "(cd / && \"$L_attach\" -n \"$n\" -- /bin/sh -c \"$lx_in\" sh \"$lx_cc\") </dev/null >/dev/null 2>&1\n"
                 "ch=1\n");
  free(script);
}

/* _config's write: the container stopped unless it is, the file replaced
 * (its attributes kept), the state it had restored. */
static void sh_config(RtBuf *s, const char *text) {
  mod_sh_set(s, "lx_nc", text);
  rt_buf_puts(s, "lx_st; lx_s0=$lx_s\n"
                 "[ \"$lx_s0\" = stopped ] || lx_stop\n"
                 "lx_tf=$cf.playc$$\n"
                 "cp -p \"$cf\" \"$lx_tf\" && printf %s \"$lx_nc\" >\"$lx_tf\" && mv -f \"$lx_tf\" \"$cf\" "
                 "|| { rm -f \"$lx_tf\"; __playc_rec fail write; exit 0; }\n"
                 "ch=1\n"
                 "case $lx_s0 in running) lx_up;; frozen) lx_up; lx_frz;; esac\n");
}

/* The config file's path: the default lxcpath's NAME/config. */
static const char SH_CFG_PATH[] = "cf=$(\"$L_config\" lxc.lxcpath 2>/dev/null)/$n/config\n";

RtValue *mod_lxc_container(RtHost *h, RtValue *args) {
  if (mod_arg_bool(args, "archive", 0) == 1 && !arg_given(args, "archive_path")) /* required_if, checked first */
    return mod_fail_result("archive is True but all of the following are missing: archive_path");
  if (h->check_mode)
    return mod_check_skip("community.general.lxc_container");
  char *name = mod_arg_str(args, "name"), *state = mod_arg_str(args, "state");
  char *lxc_path = mod_arg_str(args, "lxc_path"), *cmd = mod_arg_str(args, "container_command");
  char *topts_s = mod_arg_str(args, "template_options"), *clone = mod_arg_str(args, "clone_name");
  char *err = NULL, *newcfg = NULL;
  if (!state)
    state = rt_xstrdup("started");
  RtValue *opts = mod_arg_list(args, "container_config"), *topts = NULL, *r = NULL;
  RtBuf s = {0};
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false, absent = strcmp(state, "absent") == 0;
  ModCap c = {0};
  if (mod_arg_bool(args, "archive", 0) == 1 || (clone && *clone) || strcmp(state, "clone") == 0) {
    r = mod_fail_result("playc: lxc_container does not archive or clone containers yet (archive, clone_name, "
                        "state=clone)");
    goto done;
  }
  if (topts_s && *topts_s && !(topts = mod_py_shlex_split(topts_s))) {
    r = mod_fail_result("No closing quotation");
    goto done;
  }
  bool two = !absent && opts && rt_len(opts); /* the config file is read first */
  sh_begin(&s, name, lxc_path);
  if (!absent)
    sh_create(&s, args, name, topts);
  if (two) {
    rt_buf_puts(&s, SH_CFG_PATH);
    rt_buf_puts(&s, "__playc_rec cfgpath \"$cf\"\n"
                    "[ ! -f \"$cf\" ] || __playc_rec cfg \"$(cat \"$cf\"; echo .)\"\n"
                    "__playc_rec changed $ch\n"
                    "exit 0\n");
    if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
      goto done;
    have = true;
    if ((r = mod_ps_missing(&ex)) != NULL)
      goto done;
    if (!mod_rec(&ex, "fail") && !mod_rec(&ex, "nolxc")) {
      char *cfg = rec_text(&ex, "cfg"), *eerr = NULL;
      if (!cfg) {
        r = mod_fail_result("[Errno 2] No such file or directory: '%s'",
                            mod_rec(&ex, "cfgpath") ? mod_rec(&ex, "cfgpath") : "");
        goto done;
      }
      newcfg = config_edit(cfg, opts, &eerr);
      free(cfg);
      if (eerr) {
        r = mod_fail_result("%s", eerr);
        free(eerr);
        goto done;
      }
      /* the second request: the created container's state method */
      rt_buf_free(&s);
      sh_begin(&s, name, lxc_path);
      if (mod_rec_is(&ex, "changed", "1"))
        rt_buf_puts(&s, "ch=1\n");
      rt_buf_puts(&s, "lx_ex || lx_fail count\n"); /* gone in between: as a third missing check */
    }
  }
  if (!have || (!mod_rec(&ex, "fail") && !mod_rec(&ex, "nolxc"))) {
    if (newcfg)
      rt_buf_puts(&s, SH_CFG_PATH);
    if (absent) {
      rt_buf_puts(&s, "lx_i=0; lx_g=\n"
                      "while [ $lx_i -lt 60 ]; do\n"
                      "  lx_ex || { lx_g=1; break; }\n"
                      "  lx_st; [ \"$lx_s\" = stopped ] || { ch=1; lx_stop; }\n"
                      "  ! \"$L_destroy\" -n \"$n\" </dev/null >/dev/null 2>&1 || ch=1\n"
                      "  sleep 1; lx_i=$((lx_i + 1))\n"
                      "done\n"
                      "[ -n \"$lx_g\" ] || lx_fail destroy\n");
    } else if (strcmp(state, "started") == 0) {
      rt_buf_puts(&s, "lx_st; case $lx_s in running) ;; frozen) lx_unf;; *) lx_up;; esac\n");
      if (cmd && *cmd)
        sh_command(&s, cmd);
      if (newcfg)
        sh_config(&s, newcfg);
    } else {
      if (cmd && *cmd)
        sh_command(&s, cmd);
      if (newcfg)
        sh_config(&s, newcfg);
      if (strcmp(state, "frozen") == 0)
        rt_buf_puts(&s, "lx_st; case $lx_s in frozen) ;; running) lx_frz; ch=1;; *) lx_up; lx_frz; ch=1;; esac\n");
      else /* stopped, restarted */
        rt_buf_puts(&s, "lx_st; [ \"$lx_s\" = stopped ] || { lx_stop; ch=1; }\n");
      if (strcmp(state, "restarted") == 0)
        rt_buf_puts(&s, "lx_up\n");
    }
    rt_buf_puts(&s, "lx_end\n");
    RtExec *e2 = have ? &ex2 : &ex;
    if (rt_host_exec(h, s.data, NULL, 0, e2, &err) < 0)
      goto done;
    if (have)
      have2 = true;
    else
      have = true;
  }
  RtExec *last = have2 ? &ex2 : &ex;
  if ((r = mod_ps_missing(last)) != NULL)
    goto done;
  const char *fail = mod_rec(last, "fail");
  if (mod_rec(last, "nolxc")) {
    r = mod_fail_result("The `lxc` module is not importable. Check the requirements.");
  } else if (fail && strcmp(fail, "create") == 0) {
    mod_ps_cap(last, "create", &c);
    r = mod_fail_result("Failed executing lxc-create.");
    rt_dict_set(r, "err", rt_strz(c.err ? c.err : ""));
    rt_dict_set(r, "rc", rt_int(c.rc));
    rt_dict_set(r, "command", rt_strz(mod_rec(last, "create.cmd") ? mod_rec(last, "create.cmd") : ""));
  } else if (fail && strcmp(fail, "count") == 0) {
    const char *m = !strcmp(state, "started") ? "start" : !strcmp(state, "stopped") ? "stop"
                    : !strcmp(state, "restarted") ? "restart" : "frozen";
    r = mod_fail_result("The container [ %s ] failed to %s. Check to lxc is available and that the container is in "
                        "a functional state.",
                        name, m);
    rt_dict_set(r, "error", str_take(rt_xasprintf("Failed to %s container", m)));
    rt_dict_set(r, "rc", rt_int(1));
  } else if (fail && strcmp(fail, "write") == 0) {
    r = mod_fail_result("could not write the container's config file");
  } else if (fail) {
    bool start = strcmp(fail, "start") == 0;
    r = start ? mod_fail_result("The container [ %s ] failed to start. Check to lxc is available and that the "
                                "container is in a functional state.",
                                name)
              : mod_fail_result("The container [ %s ] failed to be destroyed. Check that lxc is available and "
                                "that the container is in a functional state.",
                                name);
    rt_dict_set(r, "error", str_take(rt_xasprintf("Failed to %s container [ %s ]", start ? "start" : "destroy", name)));
    rt_dict_set(r, "rc", rt_int(1));
    rt_dict_set(r, "lxc_container", container_data(last, name));
  } else {
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(mod_rec_is(last, "changed", "1")));
    rt_dict_set(r, "lxc_container", container_data(last, name));
  }
done: /* NULL when the host was lost */
  mod_ps_cap_free(&c);
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s);
  rt_decref(opts);
  rt_decref(topts);
  free(newcfg);
  free(err);
  free(name);
  free(state);
  free(lxc_path);
  free(cmd);
  free(topts_s);
  free(clone);
  return r;
}

#endif
