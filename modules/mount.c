/*
 * mount.c — ansible.posix.mount on Linux. Request 1 reads the fstab (made
 * empty first when missing, as the module does even in check mode),
 * /proc/self/mountinfo, and whether the path exists and is a mount point
 * (os.path.ismount: another device than its parent, or the same inode).
 * The controller edits the fstab lines as the module's _set_mount_save_old
 * and unset_mount do (fields escaped \040 \046 \134, a changed entry
 * rewritten, a missing one appended), finds bind mounts from mountinfo as
 * get_linux_mounts does, and builds request 2 for what must change: the
 * folders to create, the new fstab (and its backup), mount / umount /
 * `mount -o remount` (falling back to umount then mount), rmdir; a failed
 * mount puts the old fstab back and removes the folders it made. Results
 * carry the module's keys (name, src, fstype, opts, dump, passno, fstab,
 * boot, backup_file) and its warnings.
 */
#include "mod.h"

static const ModParam mount_params[] = {
    {.name = "boot", .type = MP_BOOL, .def = "true"},
    {.name = "dump", .type = MP_STR, .def = "0"},
    {.name = "fstab", .type = MP_STR},
    {.name = "fstype", .type = MP_STR},
    {.name = "path", .type = MP_PATH, .required = true, .aliases = "name"},
    {.name = "opts", .type = MP_STR},
    {.name = "passno", .type = MP_STR, .def = "0"},
    {.name = "src", .type = MP_PATH},
    {.name = "backup", .type = MP_BOOL, .def = "false"},
    {.name = "state", .type = MP_STR, .required = true,
     .choices = "absent,absent_from_fstab,mounted,present,unmounted,remounted,ephemeral"},
};
const ModSchema mod_schema_mount = {
    .name = "mount",
    .params = mount_params,
    .nparams = MOD_N(mount_params),
    .required_if = "state=mounted:src,fstype;state=present:src,fstype;state=ephemeral:src,fstype",
    .tools = "mount,umount",
    .check_mode = true,
    .collection = "ansible.posix",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct Mnt {
  char *name, *src, *fstype, *opts, *dump, *passno, *fstab, *boot, *state;
  bool backup;
  RtValue *warnings;
} Mnt;

static char *escape_fstab(const char *v) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (const char *p = v ? v : ""; *p; p++) {
    if (*p == '\\')
      rt_buf_puts(&b, "\\134");
    else if (*p == ' ')
      rt_buf_puts(&b, "\\040");
    else if (*p == '&')
      rt_buf_puts(&b, "\\046");
    else
      rt_buf_putc(&b, *p);
  }
  return rt_buf_take(&b);
}


static bool blank_or_comment(const char *line) {
  while (*line && isspace((unsigned char)*line))
    line++;
  return !*line || *line == '#';
}

static const char *word(const RtValue *w, size_t i) { return rt_list_at(w, i)->u.str.s; }

/* The line's entry is the one the task names (by mount point; a swap line
 * of another source does not count). */
static bool names_entry(const RtValue *w, const char *ename, const Mnt *m) {
  const char *fstype = rt_len(w) > 2 ? word(w, 2) : "";
  if (strcmp(word(w, 1), ename) != 0)
    return false;
  return !(m->src && strcmp(word(w, 1), "none") == 0 && strcmp(fstype, "swap") == 0 &&
           strcmp(word(w, 0), m->src) != 0);
}

/* _set_mount_save_old: the new fstab text; *changed. */
static char *set_mount(const Mnt *m, const char *text, bool *changed) {
  static const char *const labels[] = {"src", "name", "fstype", "opts", "dump", "passno"};
  char *esc[6];
  const char *vals[6] = {m->src, m->name, m->fstype, m->opts, m->dump, m->passno};
  for (int i = 0; i < 6; i++)
    esc[i] = escape_fstab(vals[i]);
  RtBuf out = {0};
  rt_buf_add(&out, "", 0);
  bool exists = false;
  *changed = false;
  for (const char *p = text; *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char *line = rt_xstrndup(p, n); /* its '\n' is added back: line += '\n' */
    p += n + (e != NULL);
    RtValue *w = mod_words(line);
    if (blank_or_comment(line) || rt_len(w) < 4 || rt_len(w) > 6 || !names_entry(w, esc[1], m)) {
      rt_buf_printf(&out, "%s\n", line);
      rt_decref(w);
      free(line);
      continue;
    }
    exists = true;
    const char *ld[6] = {NULL, NULL, NULL, NULL, "0", "0"};
    for (size_t i = 0; i < rt_len(w); i++)
      ld[i] = word(w, i);
    bool diff = false;
    for (int i = 0; i < 6; i++) {
      if (i == 1)
        continue;
      if (strcmp(ld[i], esc[i]) != 0) {
        ld[i] = esc[i];
        diff = true;
      }
    }
    (void)labels;
    if (diff)
      *changed = true;
    if (*changed) /* once anything changed, later entries of the same name are rewritten too */
      rt_buf_printf(&out, "%s %s %s %s %s %s\n", ld[0], ld[1], ld[2], ld[3], ld[4], ld[5]);
    else
      rt_buf_printf(&out, "%s\n", line);
    rt_decref(w);
    free(line);
  }
  if (!exists) {
    rt_buf_printf(&out, "%s %s %s %s %s %s\n", esc[0], esc[1], esc[2], esc[3], esc[4], esc[5]);
    *changed = true;
  }
  for (int i = 0; i < 6; i++)
    free(esc[i]);
  return rt_buf_take(&out);
}

/* unset_mount: the fstab without the entry; *changed. */
static char *unset_mount(const Mnt *m, const char *text, bool *changed) {
  char *ename = escape_fstab(m->name);
  RtBuf out = {0};
  rt_buf_add(&out, "", 0);
  *changed = false;
  for (const char *p = text; *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
    char *line = rt_xstrndup(p, n);
    p += n;
    RtValue *w = mod_words(line);
    if (blank_or_comment(line) || rt_len(w) != 6 || !names_entry(w, ename, m))
      rt_buf_puts(&out, line);
    else
      *changed = true;
    rt_decref(w);
    free(line);
  }
  free(ename);
  return rt_buf_take(&out);
}

/* get_linux_mounts: dst → source (the bind source for bind mounts). */
static RtValue *linux_mounts(const char *info) {
  RtValue *recs = rt_list_new(32);
  for (const char *p = info; *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char *line = rt_xstrndup(p, n);
    p += n + (e != NULL);
    RtValue *w = mod_words(line);
    free(line);
    if (rt_len(w) < 7) {
      rt_decref(w);
      continue;
    }
    rt_list_push(recs, w);
  }
  RtValue *mounts = rt_dict_new(32);
  for (size_t i = 0; i < rt_len(recs); i++) {
    RtValue *w = rt_list_at(recs, i);
    long long parent = strtoll(word(w, 1), NULL, 10);
    RtValue *pm = NULL;
    for (size_t k = 0; k < rt_len(recs) && parent != 1; k++)
      if (strtoll(word(rt_list_at(recs, k), 0), NULL, 10) == parent)
        pm = rt_list_at(recs, k);
    char *src;
    if (pm) {
      const char *root = word(w, 3), *proot = word(pm, 3), *pdst = word(pm, 4);
      size_t pl = strlen(proot);
      if (pl > 1 && strncmp(root, proot, pl) == 0 && root[pl] == '/')
        root += pl;
      src = strcmp(pdst, "/") != 0 ? rt_xasprintf("%s%s", pdst, root) : rt_xstrdup(root);
    } else {
      src = rt_xstrdup(word(w, rt_len(w) - 2));
    }
    rt_dict_set(mounts, word(w, 4), rt_str_take(src, strlen(src)));
  }
  rt_decref(recs);
  return mounts;
}

/* A line of `mount -v` output mounting `src` on `dst`. */
static bool same_mount_src(const char *out, const char *src, const char *dst) {
  RtValue *lines = mod_lines(out ? out : "", out ? strlen(out) : 0);
  bool same = false;
  for (size_t i = 0; i < rt_len(lines) && !same; i++) {
    RtValue *w = mod_words(rt_list_at(lines, i)->u.str.s);
    same = rt_len(w) > 2 && strcmp(word(w, 0), src) == 0 && strcmp(word(w, 2), dst) == 0;
    rt_decref(w);
  }
  rt_decref(lines);
  return same;
}

/* Script text: "$@" set to the mount command for this task (mount(); with
 * `remount`, remount()'s first try). */
static void mount_cmd(RtBuf *s, const Mnt *m, bool remount) {
  ModArgv a = {0};
  mod_argv_add(&a, "mount");
  bool eph = strcmp(m->state, "ephemeral") == 0;
  if (remount) {
    mod_argv_add(&a, "-o");
    if (strcmp(m->state, "remounted") == 0 && strcmp(m->opts, "defaults") != 0)
      mod_argv_addf(&a, "remount,%s", m->opts);
    else
      mod_argv_add(&a, "remount");
  }
  if (!eph && strcmp(m->fstab, "/etc/fstab") != 0) {
    mod_argv_add(&a, "-T");
    mod_argv_add(&a, m->fstab);
  }
  if (eph) {
    mod_argv_add(&a, "-t");
    mod_argv_add(&a, m->fstype);
    if (strcmp(m->opts, "defaults") != 0) {
      mod_argv_add(&a, "-o");
      mod_argv_add(&a, m->opts);
    }
    mod_argv_add(&a, "--");
    mod_argv_add(&a, m->src);
  } else {
    mod_argv_add(&a, "--");
  }
  mod_argv_add(&a, m->name);
  mod_sh_argv(s, &a);
  mod_argv_free(&a);
}

/* Shell functions of request 2: do_mount, do_umount, do_remount set rc and
 * msg (stdout and stderr, as out + err). */
static void helpers(RtBuf *s, const Mnt *m) {
  rt_buf_puts(s, "do_umount() { msg=$(umount -- \"$n\" 2>&1; r=$?; echo x; exit $r); rc=$?; msg=${msg%x}; }\n"
                 "do_mount() {\n");
  mount_cmd(s, m, false);
  rt_buf_puts(s, "  msg=$(\"$@\" 2>&1; r=$?; echo x; exit $r); rc=$?; msg=${msg%x}\n}\n"
                 "do_remount() {\n");
  mount_cmd(s, m, true);
  rt_buf_puts(s, "  msg=$(\"$@\" 2>&1; r=$?; echo x; exit $r); rc=$?; msg=${msg%x}; [ $rc != 0 ] || return 0\n");
  if (strcmp(m->state, "remounted") == 0 && strcmp(m->opts, "defaults") != 0)
    rt_buf_puts(s, "  __playc_rec fail remountopts; exit 0\n");
  rt_buf_puts(s, "  do_umount; [ $rc != 0 ] || do_mount\n}\n");
}

static void write_fstab(RtBuf *s, const char *var) {
  rt_buf_printf(s, "if [ \"$bk\" = 1 ]; then b=\"$fs.$$.$(date +%%Y-%%m-%%d@%%H:%%M:%%S)~\"; cp -p -- \"$fs\" \"$b\" && "
                   "__playc_rec backup_file \"$b\"; fi\n"
                   "printf %%s \"$%s\" > \"$fs\" || { __playc_rec fail fstab; exit 0; }\n",
                var);
}

static RtValue *result_of(const Mnt *m, bool changed, const RtExec *ex) {
  RtValue *r = rt_dict_new(12);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "name", rt_strz(m->name));
  rt_dict_set(r, "opts", rt_strz(m->opts));
  rt_dict_set(r, "dump", rt_strz(m->dump));
  rt_dict_set(r, "passno", rt_strz(m->passno));
  rt_dict_set(r, "fstab", rt_strz(m->fstab));
  rt_dict_set(r, "boot", rt_strz(m->boot));
  rt_dict_set(r, "backup_file", rt_strz(ex && mod_rec(ex, "backup_file") ? mod_rec(ex, "backup_file") : ""));
  if (m->src)
    rt_dict_set(r, "src", rt_strz(m->src));
  if (m->fstype)
    rt_dict_set(r, "fstype", rt_strz(m->fstype));
  if (rt_len(m->warnings))
    rt_dict_set(r, "warnings", rt_incref(m->warnings));
  return r;
}

static void read_args(Mnt *m, RtValue *args) {
  m->state = mod_arg_str(args, "state");
  m->src = mod_arg_str(args, "src");
  m->fstype = mod_arg_str(args, "fstype");
  m->fstab = mod_arg_str(args, "fstab");
  if (!m->fstab)
    m->fstab = rt_xstrdup("/etc/fstab");
  m->opts = mod_arg_str(args, "opts");
  if (!m->opts)
    m->opts = rt_xstrdup("defaults");
  m->dump = mod_arg_str(args, "dump");
  if (!m->dump)
    m->dump = rt_xstrdup("0");
  m->passno = mod_arg_str(args, "passno");
  if (!m->passno)
    m->passno = rt_xstrdup("0");
  m->boot = rt_xstrdup("yes");
  m->backup = mod_arg_bool(args, "backup", 0) == 1;
  m->warnings = rt_list_new(2);
  /* 'boot' and the opts: noauto, or defaults */
  bool noauto = false, defaults = false;
  for (const char *p = m->opts;;) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    noauto |= n == 6 && strncmp(p, "noauto", 6) == 0;
    defaults |= n == 8 && strncmp(p, "defaults", 8) == 0;
    if (!e)
      break;
    p = e + 1;
  }
  if (noauto) {
    rt_list_push(m->warnings, rt_strz("Ignore the 'boot' due to 'opts' contains 'noauto'."));
  } else if (mod_arg_bool(args, "boot", 1) == 0) {
    free(m->boot);
    m->boot = rt_xstrdup("no");
    if (defaults) {
      rt_list_push(m->warnings, rt_strz("Ignore the 'boot' due to 'opts' contains 'defaults'."));
    } else {
      char *o = rt_xasprintf("%s,noauto", m->opts);
      free(m->opts);
      m->opts = o;
    }
  }
}

static void mnt_free(Mnt *m) {
  char **all[] = {&m->name, &m->src, &m->fstype, &m->opts, &m->dump, &m->passno, &m->fstab, &m->boot, &m->state};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    free(*all[i]);
  rt_decref(m->warnings);
}

RtValue *mod_mount(RtHost *h, RtValue *args) {
  Mnt m = {0};
  read_args(&m, args);
  char *path = mod_arg_str(args, "path");
  RtValue *r = NULL, *mounts = NULL;
  RtBuf s = {0};
  RtExec ex = {0}, wr = {0};
  bool have_ex = false, have_wr = false, eph = strcmp(m.state, "ephemeral") == 0;
  char *err = NULL, *newtab = NULL;
  mod_sh_need(&s, "mount");
  mod_sh_set_path(&s, "n", path);
  mod_sh_set(&s, "fs", m.fstab);
  rt_buf_puts(&s, "__playc_rec name \"$n\"\n");
  if (!eph)
    rt_buf_puts(&s, "if [ ! -e \"$fs\" ]; then d=$(dirname -- \"$fs\"); [ -e \"$d\" ] || mkdir -p -- \"$d\"\n"
                    "  : >> \"$fs\" 2>/dev/null || { __playc_rec fail open; exit 0; }; fi\n"
                    "t=$(cat -- \"$fs\"; echo x) || { __playc_rec fail open; exit 0; }; __playc_rec fstab \"${t%x}\"\n");
  rt_buf_puts(&s, "if t=$(cat /proc/self/mountinfo; echo x); then __playc_rec mountinfo \"${t%x}\"; fi\n"
                  "if [ -e \"$n\" ]; then __playc_rec exists 1\n"
                  "  if [ \"$(stat -c %d -- \"$n\")\" != \"$(stat -c %d -- \"$n/..\")\" ] || "
                  "[ \"$(stat -c %i -- \"$n\")\" = \"$(stat -c %i -- \"$n/..\")\" ]; then __playc_rec ismount 1; fi\n"
                  "fi\n");
  if (eph) /* _is_same_mount_src reads `mount -v` */
    rt_buf_puts(&s, "__playc_rec mountv \"$(mount -v 2>/dev/null)\"\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have_ex = true;
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto done;
  m.name = rt_xstrdup(mod_rec(&ex, "name"));
  if (mod_rec_is(&ex, "fail", "open")) {
    r = mod_fail_result("Failed to open %s due to permission issue", m.fstab);
    goto done;
  }
  if (!mod_rec(&ex, "mountinfo"))
    rt_list_push(m.warnings, rt_strz("Cannot open file /proc/self/mountinfo. Bind mounts might be misinterpreted."));
  mounts = linux_mounts(mod_rec(&ex, "mountinfo") ? mod_rec(&ex, "mountinfo") : "");
  const char *tab = mod_rec(&ex, "fstab") ? mod_rec(&ex, "fstab") : "";
  RtValue *bound = rt_dict_get(mounts, m.name);
  bool ismount = mod_rec(&ex, "ismount") != NULL, exists = mod_rec(&ex, "exists") != NULL;
  bool mounted_any = ismount || bound;
  bool changed = false, check = h->check_mode;
  rt_buf_free(&s);
  rt_buf_puts(&s, "__playc_traps\n");
  mod_sh_set(&s, "n", m.name);
  mod_sh_set(&s, "fs", m.fstab);
  mod_sh_set(&s, "old", tab);
  rt_buf_printf(&s, "bk=%d\n", m.backup ? 1 : 0);
  helpers(&s, &m);
  bool run = false;
  const char *st = m.state;
  if (!strcmp(st, "absent_from_fstab") || !strcmp(st, "absent")) {
    newtab = unset_mount(&m, tab, &changed);
    if (changed && !check) {
      mod_sh_set(&s, "new", newtab);
      rt_buf_puts(&s, "bk=0\n"); /* unset_mount writes without its backup */
      write_fstab(&s, "new");
      if (!strcmp(st, "absent")) {
        if (mounted_any)
          rt_buf_puts(&s, "do_umount; [ $rc = 0 ] || { __playc_rec fail umount; __playc_rec msg \"$msg\"; exit 0; }\n");
        rt_buf_puts(&s, "if [ -e \"$n\" ]; then msg=$(rmdir -- \"$n\" 2>&1) || { __playc_rec fail rmdir; "
                        "__playc_rec msg \"$msg\"; exit 0; }; fi\n");
      }
      run = true;
    }
  } else if (!strcmp(st, "unmounted")) {
    if (mounted_any) {
      if (!check) {
        rt_buf_puts(&s, "do_umount; [ $rc = 0 ] || { __playc_rec fail umount; __playc_rec msg \"$msg\"; exit 0; }\n");
        run = true;
      }
      changed = true;
    }
  } else if (!strcmp(st, "mounted") || eph) {
    if (!exists && !check) /* each missing folder made, remembered for the undo */
      rt_buf_puts(&s, "mk=; c=; case $n in /*) ;; *) c=.;; esac\n"
                      "IFS=/; set -f; for d in $n; do unset IFS; set +f; [ -n \"$d\" ] || continue; c=$c/$d\n"
                      "  [ -e \"$c\" ] || { msg=$(mkdir -- \"$c\" 2>&1) || { __playc_rec fail mkdir; __playc_rec msg "
                      "\"$msg\"; exit 0; }; mk=\"$c\n$mk\"; }; done; unset IFS; set +f\n");
    else
      rt_buf_puts(&s, "mk=\n");
    if (!eph) {
      newtab = set_mount(&m, tab, &changed);
      if (changed && !check) {
        mod_sh_set(&s, "new", newtab);
        write_fstab(&s, "new");
      }
    }
    bool same_src = bound && m.src && strcmp(bound->u.str.s, m.src) == 0;
    if (eph && !same_src && mounted_any) /* `mount -v`: "SRC on DST type ..." */
      same_src = same_mount_src(mod_rec(&ex, "mountv"), m.src, m.name);
    rt_buf_puts(&s, "rc=0\n");
    if (ismount || (bound && m.src && strcmp(bound->u.str.s, m.src) == 0)) {
      if (changed && !check)
        rt_buf_puts(&s, "do_remount\n");
      if (eph) {
        if (!same_src) {
          r = mod_fail_result("Ephemeral mount point is already mounted with a different source than the specified "
                              "one. Failing in order to prevent an unwanted unmount or override operation. Try "
                              "replacing this command with a \"state: unmounted\" followed by a \"state: "
                              "ephemeral\", or use a different destination path.");
          goto done;
        }
        changed = true;
        if (!check)
          rt_buf_puts(&s, "do_remount\n");
      }
    } else {
      changed = true;
      if (!check)
        rt_buf_puts(&s, "do_mount\n");
    }
    if (!check) {
      rt_buf_printf(&s, "if [ $rc != 0 ]; then %s\n"
                        "  printf %%s \"$mk\" | while IFS= read -r d; do [ -z \"$d\" ] || rmdir -- \"$d\" 2>/dev/null; "
                        "done\n"
                        "  __playc_rec fail mount; __playc_rec msg \"$msg\"; exit 0; fi\n",
                    eph ? "" : "printf %s \"$old\" > \"$fs\" 2>/dev/null;");
      run = changed || !exists; /* mounted as asked already: no second request */
    }
  } else if (!strcmp(st, "present")) {
    newtab = set_mount(&m, tab, &changed);
    if (changed && !check) {
      mod_sh_set(&s, "new", newtab);
      write_fstab(&s, "new");
      run = true;
    }
  } else if (!strcmp(st, "remounted")) {
    if (!check) {
      rt_buf_puts(&s, "do_remount; [ $rc = 0 ] || { __playc_rec fail remount; __playc_rec msg \"$msg\"; exit 0; }\n");
      run = true;
    }
    changed = true;
  }
  if (run) {
    if (rt_host_exec(h, s.data, NULL, 0, &wr, &err) < 0)
      goto done;
    have_wr = true;
    const char *why = mod_rec(&wr, "fail"), *msg = mod_rec(&wr, "msg") ? mod_rec(&wr, "msg") : "";
    if (why) {
      if (!strcmp(why, "umount"))
        r = mod_fail_result("Error unmounting %s: %s", m.name, msg);
      else if (!strcmp(why, "rmdir"))
        r = mod_fail_result("Error rmdir %s: %s", m.name, msg);
      else if (!strcmp(why, "mkdir"))
        r = mod_fail_result("Error making dir %s: %s", m.name, msg);
      else if (!strcmp(why, "mount"))
        r = mod_fail_result("Error mounting %s: %s", m.name, msg);
      else if (!strcmp(why, "remount"))
        r = mod_fail_result("Error remounting %s: %s", m.name, msg);
      else if (!strcmp(why, "remountopts"))
        r = mod_fail_result("Options were specified with remounted, but the remount command failed. Failing in "
                            "order to prevent an unexpected mount result. Try replacing this command with a "
                            "\"state: unmounted\" followed by a \"state: mounted\" using the full desired mount "
                            "options instead.");
      else
        r = mod_fail_result("could not write %s", m.fstab);
      if (rt_len(m.warnings))
        rt_dict_set(r, "warnings", rt_incref(m.warnings));
      goto done;
    }
  }
  r = result_of(&m, changed, have_wr ? &wr : NULL);
done:
  if (have_ex)
    rt_exec_free(&ex);
  if (have_wr)
    rt_exec_free(&wr);
  rt_decref(mounts);
  rt_buf_free(&s);
  free(err);
  free(newtab);
  free(path);
  mnt_free(&m);
  return r;
}

#endif
