/*
 * file.c — the file module: state file/directory/absent/touch, mode, owner,
 * group. One framed request does everything: a shell script inspects the
 * path, applies what differs (nothing in check mode), and prints the
 * resulting state as key=value lines, which become Ansible's result keys
 * (path or dest, state, mode "0644", owner, group, uid, gid, size).
 *
 * Uses `stat -c` (GNU coreutils, busybox) on the target.
 */
#include "mod.h"

#include <stdlib.h>
#include <string.h>

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

/* Applies a symbolic mode: its effect is computed on a scratch copy of the
 * current bits, so check mode can tell whether it would change anything. */
static void symbolic_script(RtBuf *s, const char *sym, const char *rflag) {
  rt_buf_puts(s, "  sm=");
  rt_sh_quote(s, sym);
  rt_buf_printf(s, "; m0=$(stat -c %%a \"$p\"); if [ -d \"$p\" ]; then tf=$(mktemp -d); "
                   "else tf=$(mktemp); fi || exit 1\n"
                   "  chmod \"$m0\" \"$tf\" && chmod \"$sm\" \"$tf\"; m1=$(stat -c %%a \"$tf\"); rm -rf -- \"$tf\"\n"
                   "  if [ \"$m0\" != \"$m1\" ]; then ch=1; [ $ck = 1 ] || chmod %s\"$sm\" \"$p\" || exit 1; fi\n",
                rflag);
}

/* The script's input is only quoted words; its output is parsed below. */
static void build_script(RtBuf *s, const char *path, const char *state, long mode,
                         const char *sym, const char *owner, const char *group, bool check,
                         bool recurse) {
  rt_buf_puts(s, "p=");
  rt_sh_quote(s, path);
  rt_buf_printf(s, "; ck=%d; ch=0; st=", check ? 1 : 0);
  rt_sh_quote(s, state ? state : "");
  rt_buf_puts(s, "\n"
                 "if [ -L \"$p\" ]; then cur=link; elif [ -d \"$p\" ]; then cur=directory; "
                 "elif [ -e \"$p\" ]; then cur=file; else cur=absent; fi\n"
                 "[ -z \"$st\" ] && { if [ $cur = absent ]; then st=file; else st=$cur; fi; }\n"
                 "echo \"prev=$cur\"; echo \"state=$st\"\n"
                 "case $st in\n"
                 "absent) if [ $cur != absent ]; then ch=1; [ $ck = 1 ] || rm -rf -- \"$p\" || exit 1; fi;;\n"
                 "directory) if [ $cur = absent ]; then ch=1; [ $ck = 1 ] || mkdir -p -- \"$p\" || exit 1;"
                 " elif [ $cur != directory ]; then echo \"err=$p already exists as a $cur\"; exit 0; fi;;\n"
                 "file) if [ $cur = absent ]; then echo \"err=file ($p) is absent, cannot continue\"; exit 0;"
                 " elif [ $cur = directory ]; then echo \"err=file ($p) is a directory, cannot continue\"; exit 0; fi;;\n"
                 "touch) ch=1; if [ $ck != 1 ]; then touch -- \"$p\" 2>/dev/null || {"
                 " d=$(dirname -- \"$p\"); if [ ! -e \"$d\" ]; then echo errno=2;"
                 " elif [ ! -d \"$d\" ]; then echo errno=20; else echo errno=13; fi; exit 0; }; fi;;\n"
                 "esac\n"
                 "if [ $st != absent ] && [ -e \"$p\" ]; then\n");
  const char *rflag = recurse ? "-R " : "";
  if (mode >= 0)
    rt_buf_printf(s,
                  "  m=$(stat -c %%a \"$p\"); if [ \"$m\" != \"%lo\" ]; then ch=1; "
                  "[ $ck = 1 ] || chmod %s%lo \"$p\" || exit 1; fi\n",
                  mode, rflag, mode);
  if (sym)
    symbolic_script(s, sym, rflag);
  if (owner) {
    rt_buf_puts(s, "  o=");
    rt_sh_quote(s, owner);
    rt_buf_printf(s, "; if [ \"$(stat -c %%U \"$p\")\" != \"$o\" ] && [ \"$(stat -c %%u \"$p\")\" != \"$o\" ]; "
                     "then ch=1; [ $ck = 1 ] || chown %s\"$o\" \"$p\" || exit 1; fi\n",
                  rflag);
  }
  if (group) {
    rt_buf_puts(s, "  g=");
    rt_sh_quote(s, group);
    rt_buf_printf(s, "; if [ \"$(stat -c %%G \"$p\")\" != \"$g\" ] && [ \"$(stat -c %%g \"$p\")\" != \"$g\" ]; "
                     "then ch=1; [ $ck = 1 ] || chgrp %s\"$g\" \"$p\" || exit 1; fi\n",
                  rflag);
  }
  rt_buf_puts(s, "  stat -c 'mode=%a\nuid=%u\ngid=%g\nowner=%U\ngroup=%G\nsize=%s' \"$p\"\n"
                 "fi\n"
                 "echo \"changed=$ch\"\n");
}

/* Value of "key=" line in out, or NULL (malloc'd). */
char *mod_kv_line(const char *out, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = out; p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=')
      return rt_xstrndup(p + kl + 1, len - kl - 1);
    p = nl ? nl + 1 : NULL;
  }
  return NULL;
}

/* Adds mode/owner/group/uid/gid/size from the script's stat lines. */
void mod_add_stat(RtValue *r, const char *out) {
  char *mode = mod_kv_line(out, "mode");
  if (!mode)
    return;
  long m = strtol(mode, NULL, 8);
  char buf[16];
  snprintf(buf, sizeof buf, "%04lo", m);
  static const char *const ints[] = {"uid", "gid", "size"};
  char *owner = mod_kv_line(out, "owner"), *group = mod_kv_line(out, "group");
  rt_dict_set(r, "group", rt_strz(group ? group : ""));
  rt_dict_set(r, "mode", rt_strz(buf));
  rt_dict_set(r, "owner", rt_strz(owner ? owner : ""));
  for (int i = 0; i < 3; i++) {
    char *v = mod_kv_line(out, ints[i]);
    rt_dict_set(r, ints[i], rt_int(v ? strtoll(v, NULL, 10) : 0));
    free(v);
  }
  free(owner);
  free(group);
  free(mode);
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
  long mode = mod_arg_mode(args, "mode");
  int recurse = mod_arg_bool(args, "recurse", 0);
  RtValue *r = NULL;
  char *err = NULL;
  if (!path) {
    r = mod_fail_result("missing required arguments: path");
    goto done;
  }
  char *sym = mode == -2 ? mod_arg_str(args, "mode") : NULL;
  if (mode == -2 && !(sym && symbolic_mode(sym))) {
    free(sym);
    r = mod_fail_result("mode must be in octal or symbolic form");
    goto done;
  }
  RtBuf s = {0};
  build_script(&s, path, state, mode, sym, owner, group, h->check_mode, recurse == 1);
  free(sym);
  RtExec ex;
  int rc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  rt_buf_free(&s);
  if (rc < 0)
    goto done;
  const char *out = ex.out.data ? ex.out.data : "";
  char *e = mod_kv_line(out, "err"), *en = mod_kv_line(out, "errno");
  if (en) { /* os.utime/open failed in Ansible's touch: its OSError, path as bytes */
    int n = atoi(en);
    RtBuf b = {0};
    rt_buf_printf(&b, "Error, could not touch target: [Errno %d] %s: ", n,
                  n == 2 ? "No such file or directory" : n == 20 ? "Not a directory"
                                                         : "Permission denied");
    mod_py_bytes_repr(&b, path);
    r = mod_fail_result("%s", b.data);
    rt_dict_set(r, "path", rt_strz(path));
    rt_buf_free(&b);
    free(en);
    free(e);
    rt_exec_free(&ex);
    goto done;
  }
  if (e || ex.rc != 0) {
    r = mod_fail_result("%s", e ? e : (ex.err.len ? ex.err.data : "file operation failed"));
    rt_dict_set(r, "path", rt_strz(path));
    char *prev = mod_kv_line(out, "prev");
    if (e && prev && strcmp(prev, "absent") == 0) /* "file (p) is absent": Ansible adds state */
      rt_dict_set(r, "state", rt_strz("absent"));
    free(prev);
    free(e);
    rt_exec_free(&ex);
    goto done;
  }
  char *st = mod_kv_line(out, "state"), *ch = mod_kv_line(out, "changed");
  r = rt_dict_new(12);
  bool uses_dest = st && strcmp(st, "touch") == 0;
  rt_dict_set(r, "changed", rt_bool(ch && strcmp(ch, "1") == 0));
  rt_dict_set(r, uses_dest ? "dest" : "path", rt_strz(path));
  mod_add_stat(r, out);
  rt_dict_set(r, "state", rt_strz(st && strcmp(st, "touch") == 0 ? "file" : st ? st : "file"));
  free(st);
  free(ch);
  rt_exec_free(&ex);
done:
  free(err);
  free(path);
  free(state);
  free(owner);
  free(group);
  return r;
}
