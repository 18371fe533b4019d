/*
 * file.c — the file module: state file/directory/absent/touch, mode
 * (octal or symbolic), owner, group. One framed request does everything: a
 * script built with target.c inspects the path (expanded on the target as
 * Ansible's type=path), applies what differs (nothing in check mode) in
 * Ansible's order, and reports records that become Ansible's result keys
 * (path or dest, state, mode "0644", owner, group, uid, gid, size) or its
 * failure (fail_json(path=...) with the path's stat).
 *
 * Uses `stat -c` (GNU coreutils, busybox) on the target.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam file_params[] = {
    {.name = "path", .type = MP_PATH, .required = true, .aliases = "dest,name"},
    {.name = "state", .type = MP_STR, .choices = "absent,directory,file,hard,link,touch", .unimplemented = "hard,link"},
    {.name = "mode", .type = MP_MODE},
    {.name = "owner", .type = MP_STR, .aliases = "user"},
    {.name = "group", .type = MP_STR},
    {.name = "recurse", .type = MP_BOOL},
};
const ModSchema mod_schema_file = {
    .name = "file",
    .params = file_params,
    .nparams = MOD_N(file_params),
    .free_form = true};

#ifndef MOD_SCHEMA_ONLY

/* symbolic_mode = clause ("," clause)* ; clause = [ugoa]* ([-+=] ([rwxXst]* | [ugo]))+ */
static bool symbolic_mode(const char *m) {
  for (;;) {
    while (*m && strchr("ugoa", *m))
      m++;
    if (!*m || !strchr("+-=", *m))
      return false;
    while (*m && strchr("+-=", *m)) {
      m++;
      if (*m && strchr("ugo", *m))
        m++;
      else
        while (*m && strchr("rwxXst", *m))
          m++;
    }
    if (!*m)
      return true;
    if (*m++ != ',')
      return false;
  }
}

/* The script inspects the path, applies what differs (nothing in check
 * mode) and reports as records: path (expanded), prev, state, changed, the
 * path's stat, or fail (and errno for touch). */
static void build_script(RtBuf *s, const char *path, const char *state, const ModAttrs *a,
                         bool check) {
  if (a->symbolic)
    rt_buf_puts(s, "__playc_traps\n");
  mod_sh_set_path(s, "p", path);
  mod_sh_set(s, "st", state ? state : "");
  rt_buf_printf(s, "ck=%d; ch=0\n", check ? 1 : 0);
  mod_sh_attrs_begin(s, a);
  rt_buf_puts(s, "__playc_rec path \"$p\"\n"
                 "if [ -L \"$p\" ]; then cur=link; elif [ -d \"$p\" ]; then cur=directory; "
                 "elif [ -e \"$p\" ]; then cur=file; else cur=absent; fi\n"
                 "[ -n \"$st\" ] || { if [ $cur = absent ]; then st=file; else st=$cur; fi; }\n"
                 "__playc_rec prev $cur; __playc_rec state \"$st\"\n"
                 "case $st in\n"
                 "absent) if [ $cur != absent ]; then ch=1; [ $ck = 1 ] || rm -rf -- \"$p\" || exit 1; fi;;\n"
                 "directory) if [ $cur = absent ]; then ch=1; [ $ck = 1 ] || mkdir -p -- \"$p\" || exit 1;"
                 " elif [ $cur != directory ]; then __playc_stat \"$p\"; __playc_rec fail exists; exit 0; fi;;\n"
                 "file) if [ $cur = absent ] || [ $cur = directory ]; then __playc_stat \"$p\";"
                 " __playc_rec fail notfile; exit 0; fi;;\n"
                 "touch) ch=1; if [ $ck != 1 ]; then touch -- \"$p\" 2>/dev/null || {"
                 " d=$(dirname -- \"$p\"); if [ ! -e \"$d\" ]; then __playc_rec errno 2;"
                 " elif [ ! -d \"$d\" ]; then __playc_rec errno 20; else __playc_rec errno 13; fi; exit 0; }; fi;;\n"
                 "esac\n"
                 "if [ \"$st\" != absent ] && [ -e \"$p\" ]; then\n");
  /* a touch that created the file and then failed removes it, as Ansible */
  mod_sh_attrs_apply(s, "p", a, "[ $st != touch ] || [ $cur != absent ] || rm -f -- \"$p\";");
  rt_buf_puts(s, "  __playc_stat \"$p\"\n"
                 "fi\n"
                 "__playc_rec changed $ch\n");
}

/* Ansible's result for what the script reported. */
static RtValue *file_result(const RtExec *ex, const ModAttrs *a, const char *arg_path) {
  const char *path = mod_rec(ex, "path") ? mod_rec(ex, "path") : arg_path;
  const char *fail = mod_rec(ex, "fail"), *prev = mod_rec(ex, "prev");
  RtValue *r = mod_attrs_failure(ex, a, path);
  if (r)
    return r;
  if (mod_rec(ex, "errno")) { /* os.utime/open failed in Ansible's touch: its OSError, path as bytes */
    long long n = mod_rec_int(ex, "errno", 13);
    RtBuf b = {0};
    rt_buf_printf(&b, "Error, could not touch target: [Errno %lld] %s: ", n,
                  n == 2 ? "No such file or directory" : n == 20 ? "Not a directory"
                                                         : "Permission denied");
    mod_py_bytes_repr(&b, path);
    r = mod_fail_result("%s", b.data);
    rt_dict_set(r, "path", rt_strz(path));
    rt_buf_free(&b);
    return r;
  }
  if (fail && strcmp(fail, "exists") == 0) {
    r = mod_fail_result("%s already exists as a %s", path, prev ? prev : "file");
    rt_dict_set(r, "path", rt_strz(path));
    mod_add_stat(r, ex);
    return r;
  }
  if (fail && strcmp(fail, "notfile") == 0) {
    r = mod_fail_result("file (%s) is %s, cannot continue", path, prev ? prev : "absent");
    rt_dict_set(r, "path", rt_strz(path));
    rt_dict_set(r, "state", rt_strz(prev ? prev : "absent"));
    mod_add_stat(r, ex);
    return r;
  }
  r = rt_dict_new(12);
  rt_dict_set(r, "changed", rt_bool(mod_rec_is(ex, "changed", "1")));
  /* touch answers with dest; every result with the path's stat (add_path_info) */
  rt_dict_set(r, mod_rec_is(ex, "state", "touch") ? "dest" : "path", rt_strz(path));
  rt_dict_set(r, "state", rt_strz(mod_rec_is(ex, "state", "touch") ? "file"
                                  : mod_rec(ex, "state")          ? mod_rec(ex, "state")
                                                                  : "file"));
  mod_add_stat(r, ex);
  return r;
}

RtValue *mod_file(RtHost *h, RtValue *args) {
  char *path = mod_arg_str(args, "path"), *state = mod_arg_str(args, "state");
  char *owner = mod_arg_str(args, "owner"), *group = mod_arg_str(args, "group");
  if (!path) /* aliases, in case the caller did not canonicalise them */
    path = mod_arg_str(args, "dest");
  if (!path)
    path = mod_arg_str(args, "name");
  if (!owner)
    owner = mod_arg_str(args, "user");
  ModAttrs a = {owner, group, mod_arg_mode(args, "mode"), NULL, mod_arg_bool(args, "recurse", 0) == 1};
  RtValue *r = NULL;
  char *err = NULL, *sym = NULL;
  if (!path) {
    r = mod_fail_result("missing required arguments: path");
    goto done;
  }
  if (a.mode == -2) {
    sym = mod_arg_str(args, "mode");
    if (!sym || !symbolic_mode(sym)) {
      r = mod_fail_result("mode must be in octal or symbolic form");
      goto done;
    }
    a.symbolic = sym;
  }
  RtBuf s = {0};
  build_script(&s, path, state, &a, h->check_mode);
  RtExec ex;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  if (rc < 0)
    goto done; /* unreachable or interrupted: no result */
  if (ex.rc != 0) {
    r = mod_fail_result("%s", ex.err.len ? ex.err.data : "file operation failed");
    rt_dict_set(r, "path", rt_strz(mod_rec(&ex, "path") ? mod_rec(&ex, "path") : path));
  } else {
    r = file_result(&ex, &a, path);
  }
  rt_exec_free(&ex);
done:
  free(err);
  free(sym);
  free(path);
  free(state);
  free(owner);
  free(group);
  return r;
}

#endif
