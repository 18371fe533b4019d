/*
 * target.c — the target side of every module: how a module script is built
 * and how its results are read back. Modules never paste a value into shell
 * text and never parse what a target prints:
 *
 *   - a value from a playbook, an inventory or an earlier reply enters a
 *     script only as a single-quoted assignment (mod_sh_set) or through a
 *     helper here, and the script uses it only as "$var", after `--` where
 *     the command takes options;
 *   - paths get Ansible's type=path treatment on the target (os.path's
 *     expandvars then expanduser: $VAR from the environment, ~ and ~user);
 *   - results travel as records (conn.c: token, key, NUL, value, NUL) written
 *     by __playc_rec, and come back as the dict RtExec.rec, read with mod_rec;
 *   - temp files are named by the controller (random, never guessed), made
 *     with noclobber under umask 077, and removed by the request's own EXIT
 *     trap, which INT, TERM and HUP also reach.
 *
 * rt_target_prelude holds the shell functions the scripts share; every
 * connection defines them once, before its first request, so a request
 * carries only its own logic. Functions and variables of the prelude are
 * named __playc_*; module scripts use short lowercase names of their own.
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char rt_target_prelude[] =
    /* __playc_getent DB KEY: the passwd or group entry named KEY (getent, or
     * the file where there is no getent) */
    "__playc_getent() {\n"
    "  if command -v getent >/dev/null 2>&1; then getent \"$1\" -- \"$2\"\n"
    "  else __playc_k=$2 awk -F: '$1 == ENVIRON[\"__playc_k\"] { print; f = 1; exit }"
    " END { exit !f }' \"/etc/$1\"; fi\n"
    "}\n"
    /* __playc_id DB NAME: its uid or gid in __playc_v; status 1 when unknown */
    "__playc_id() {\n"
    "  __playc_v=$(__playc_getent \"$1\" \"$2\") || return 1\n"
    "  __playc_v=${__playc_v#*:*:}; __playc_v=${__playc_v%%:*}\n"
    "}\n"
    /* __playc_env NAME TEXT: appends $NAME of the environment to __playc_v, or
     * TEXT when unset (NAME is an identifier, checked by the controller) */
    "__playc_env() {\n"
    "  if __playc_x=$(printenv \"$1\"); then __playc_v=$__playc_v$__playc_x; "
    "else __playc_v=$__playc_v$2; fi\n"
    "}\n"
    /* __playc_user: os.path.expanduser of __playc_v */
    "__playc_user() {\n"
    "  case $__playc_v in \"~\"*) ;; *) return 0;; esac\n"
    "  __playc_n=${__playc_v#?}; __playc_r=/${__playc_n#*/}; __playc_n=${__playc_n%%/*}\n"
    "  case $__playc_v in */*) ;; *) __playc_r=;; esac\n"
    "  if [ -z \"$__playc_n\" ] && [ -n \"${HOME+x}\" ]; then __playc_h=$HOME\n"
    "  else\n"
    "    [ -n \"$__playc_n\" ] || __playc_n=$(id -un) || return 0\n"
    "    __playc_h=$(__playc_getent passwd \"$__playc_n\") || return 0\n"
    "    __playc_h=${__playc_h#*:*:*:*:*:}; __playc_h=${__playc_h%%:*}\n"
    "  fi\n"
    "  __playc_h=${__playc_h%\"${__playc_h##*[!/]}\"}\n"
    "  __playc_v=$__playc_h$__playc_r; [ -n \"$__playc_v\" ] || __playc_v=/\n"
    "}\n"
    /* __playc_glob: status 0 when the pattern in __playc_v names something */
    "__playc_glob() {\n"
    "  __playc_m=1; set +f; IFS=\n"
    "  for __playc_f in $__playc_v; do\n"
    "    if [ -e \"$__playc_f\" ] || [ -L \"$__playc_f\" ]; then __playc_m=0; fi\n"
    "  done\n"
    "  unset IFS; return $__playc_m\n"
    "}\n"
    /* __playc_which NAME: status 0 when NAME is an executable file (as execvp
     * finds it: NAME itself when it holds a slash, else along $PATH) */
    "__playc_which() {\n"
    "  case $1 in */*) [ -f \"$1\" ] && [ -x \"$1\" ]; return;; esac\n"
    "  set -f; IFS=:\n"
    "  for __playc_d in ${PATH:-/usr/bin:/bin}; do\n"
    "    if [ -f \"${__playc_d:-.}/$1\" ] && [ -x \"${__playc_d:-.}/$1\" ]; then"
    " unset IFS; set +f; return 0; fi\n"
    "  done\n"
    "  unset IFS; set +f; return 1\n"
    "}\n"
    /* __playc_stat PATH: its stat as records st.* (lstat, as Ansible's
     * add_path_info) */
    "__playc_stat() {\n"
    "  __playc_s=$(stat -c '%a %u %g %s %h %U %G' -- \"$1\") || return 1\n"
    "  set -f; set -- \"$1\" $__playc_s; set +f\n"
    "  __playc_rec st.mode \"$2\"; __playc_rec st.uid \"$3\"; __playc_rec st.gid \"$4\"\n"
    "  __playc_rec st.size \"$5\"; __playc_rec st.nlink \"$6\"\n"
    "  __playc_rec st.owner \"$7\"; __playc_rec st.group \"$8\"\n"
    "  if [ -L \"$1\" ]; then __playc_rec st.kind link; elif [ -d \"$1\" ]; then"
    " __playc_rec st.kind directory; else __playc_rec st.kind file; fi\n"
    "}\n"
    /* temp files: the EXIT trap removes them; signals exit through it
     * (PIPE too: a request whose connection was cut stops at its next
     * output and removes its temp file instead of being killed past it) */
    "__playc_clean() {\n"
    "  [ -z \"${__playc_tmp-}\" ] || rm -f -- \"$__playc_tmp\"\n"
    "  [ -z \"${__playc_scr-}\" ] || rm -rf -- \"$__playc_scr\"\n"
    "}\n"
    "__playc_traps() {\n"
    "  trap __playc_clean EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 141' PIPE\n"
    "}\n";

/* ---- building scripts ------------------------------------------------------------ */

void mod_sh_set(RtBuf *s, const char *var, const char *value) {
  rt_buf_printf(s, "%s=", var);
  rt_sh_quote(s, value);
  rt_buf_putc(s, '\n');
}

int mod_sh_exec(RtHost *h, RtBuf *s, RtExec *ex) {
  char *err = NULL;
  int rc = rt_host_exec(h, s->data, NULL, 0, ex, &err);
  rt_buf_free(s);
  free(err);
  return rc;
}

/* Appends literal text to __playc_v. */
static void append_literal(RtBuf *s, const char *text, size_t len) {
  if (!len)
    return;
  char *t = rt_xstrndup(text, len);
  rt_buf_puts(s, "__playc_v=$__playc_v");
  rt_sh_quote(s, t);
  rt_buf_putc(s, '\n');
  free(t);
}

/* A shell name: what printenv may be asked for and the shell can hold. */
static bool is_identifier(const char *s, size_t len) {
  if (!len || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
    return false;
  for (size_t i = 1; i < len; i++)
    if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
      return false;
  return true;
}

/* Python's expandvars: $NAME or ${TEXT}, NAME = [A-Za-z0-9_]+, replaced when
 * the environment has it, else kept as written. */
static void expand_vars(RtBuf *s, const char *path) {
  const char *p = path, *lit = path;
  while ((p = strchr(p, '$')) != NULL) {
    const char *name = p + 1, *end;
    size_t nlen;
    if (*name == '{') {
      end = strchr(name, '}');
      if (!end) {
        p++;
        continue;
      }
      name++;
      nlen = (size_t)(end - name);
      end++;
    } else {
      for (end = name; isalnum((unsigned char)*end) || *end == '_'; end++) {
      }
      nlen = (size_t)(end - name);
      if (!nlen) {
        p++;
        continue;
      }
    }
    if (!is_identifier(name, nlen)) { /* never in the environment the shell sees */
      p = end;
      continue;
    }
    append_literal(s, lit, (size_t)(p - lit));
    char *n = rt_xstrndup(name, nlen), *as_written = rt_xstrndup(p, (size_t)(end - p));
    rt_buf_printf(s, "__playc_env %s ", n);
    rt_sh_quote(s, as_written);
    rt_buf_putc(s, '\n');
    free(n);
    free(as_written);
    lit = p = end;
  }
  append_literal(s, lit, strlen(lit));
}

void mod_sh_set_path(RtBuf *s, const char *var, const char *path) {
  if (path[0] != '~' && !strchr(path, '$')) {
    mod_sh_set(s, var, path);
    return;
  }
  rt_buf_puts(s, "__playc_v=\n");
  expand_vars(s, path);
  rt_buf_printf(s, "__playc_user; %s=$__playc_v\n", var);
}

bool mod_py_int(const char *s, long long *out) {
  while (isspace((unsigned char)*s))
    s++;
  bool neg = *s == '-';
  if (*s == '+' || *s == '-')
    s++;
  if (!isdigit((unsigned char)*s))
    return false;
  long long v = 0;
  for (; *s; s++) {
    if (*s == '_' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[-1]))
      continue;
    if (!isdigit((unsigned char)*s))
      break;
    if (v > (INT64_MAX - (*s - '0')) / 10)
      return false;
    v = v * 10 + (*s - '0');
  }
  while (isspace((unsigned char)*s))
    s++;
  if (*s)
    return false;
  *out = neg ? -v : v;
  return true;
}

/* ou/og: the uid/gid of owner/group, looked up on the target unless numeric
 * (Python's int()); af: the first lookup that failed (nouser, nogroup). */
static void lookup_ids(RtBuf *s, const char *owner, const char *group) {
  rt_buf_puts(s, "af=\n");
  long long id;
  if (owner && mod_py_int(owner, &id)) {
    rt_buf_printf(s, "ou=%lld\n", id);
  } else if (owner) {
    rt_buf_puts(s, "if __playc_id passwd ");
    rt_sh_quote(s, owner);
    rt_buf_puts(s, "; then ou=$__playc_v; else af=nouser; fi\n");
  }
  if (group && mod_py_int(group, &id)) {
    rt_buf_printf(s, "og=%lld\n", id);
  } else if (group) {
    rt_buf_puts(s, "[ -n \"$af\" ] || if __playc_id group ");
    rt_sh_quote(s, group);
    rt_buf_puts(s, "; then og=$__playc_v; else af=nogroup; fi\n");
  }
}

void mod_sh_attrs_begin(RtBuf *s, const ModAttrs *a) {
  lookup_ids(s, a->owner, a->group);
}

/* symbolic modes are applied to a scratch copy first, so check mode can
 * tell whether they change anything */
static void symbolic_mode_script(RtBuf *s, const char *pathvar, const char *sym, const char *rflag) {
  char rnd[25];
  rt_random_hex(rnd, 12);
  rt_buf_puts(s, "sm=");
  rt_sh_quote(s, sym);
  rt_buf_printf(s,
                "; m0=$(stat -c %%a -- \"$%s\") || exit 1\n"
                "__playc_scr=${TMPDIR:-/tmp}/.playc-scratch-%s; mkdir -m 700 -- \"$__playc_scr\" || "
                "{ __playc_scr=; exit 1; }\n"
                "if [ -d \"$%s\" ]; then tf=$__playc_scr/d; mkdir -- \"$tf\"; else tf=$__playc_scr/f; "
                "true > \"$tf\"; fi || exit 1\n"
                "chmod -- \"$m0\" \"$tf\" && chmod -- \"$sm\" \"$tf\"; m1=$(stat -c %%a -- \"$tf\")\n"
                "rm -rf -- \"$__playc_scr\"; __playc_scr=\n"
                "if [ \"$m0\" != \"$m1\" ]; then ch=1; [ $ck = 1 ] || chmod %s-- \"$sm\" \"$%s\" || exit 1; fi\n",
                pathvar, rnd, pathvar, rflag, pathvar);
}

void mod_sh_attrs_apply(RtBuf *s, const char *pathvar, const ModAttrs *a, const char *on_fail) {
  const char *rflag = a->recurse ? "-R " : "";
  rt_buf_printf(s, "if [ -n \"$af\" ]; then __playc_stat \"$%s\"; __playc_rec fail \"$af\"; %s exit 0; fi\n",
                pathvar, on_fail ? on_fail : "");
  if (a->owner)
    rt_buf_printf(s,
                  "if [ \"$(stat -c %%u -- \"$%s\")\" != \"$ou\" ]; then ch=1; [ $ck = 1 ] || "
                  "chown %s-- \"$ou\" \"$%s\" 2>/dev/null || { __playc_stat \"$%s\"; "
                  "__playc_rec fail chown; %s exit 0; }; fi\n",
                  pathvar, rflag, pathvar, pathvar, on_fail ? on_fail : "");
  if (a->group)
    rt_buf_printf(s,
                  "if [ \"$(stat -c %%g -- \"$%s\")\" != \"$og\" ]; then ch=1; [ $ck = 1 ] || "
                  "chgrp %s-- \"$og\" \"$%s\" 2>/dev/null || { __playc_stat \"$%s\"; "
                  "__playc_rec fail chgrp; %s exit 0; }; fi\n",
                  pathvar, rflag, pathvar, pathvar, on_fail ? on_fail : "");
  if (a->mode >= 0)
    rt_buf_printf(s,
                  "if [ \"$(stat -c %%a -- \"$%s\")\" != \"%lo\" ]; then ch=1; [ $ck = 1 ] || "
                  "chmod %s-- %lo \"$%s\" || exit 1; fi\n",
                  pathvar, a->mode, rflag, a->mode, pathvar);
  if (a->symbolic)
    symbolic_mode_script(s, pathvar, a->symbolic, rflag);
}

void mod_sh_temp_beside(RtBuf *s, const char *dirvar, char name[MOD_TEMP_NAME]) {
  char rnd[25];
  rt_random_hex(rnd, 12);
  snprintf(name, MOD_TEMP_NAME, ".playc-tmp-%s", rnd);
  rt_buf_printf(s,
                "umask 077; __playc_tmp=$%s/%s\n"
                "set -C; true > \"$__playc_tmp\" || { __playc_tmp=; __playc_rec fail notmp; exit 0; }; set +C\n",
                dirvar, name);
}

void mod_sh_run(RtBuf *s, RtValue *words, bool expand) {
  size_t n = rt_len(words);
  for (size_t i = 0; i < n; i++) {
    RtBuf w = {0};
    rt_render_str(&w, rt_list_at(words, i));
    char var[32];
    snprintf(var, sizeof var, "a%zu", i);
    if (expand)
      mod_sh_set_path(s, var, w.data ? w.data : "");
    else
      mod_sh_set(s, var, w.data ? w.data : "");
    rt_buf_free(&w);
  }
  /* exec runs a program, never a function or builtin; a name that exec would
   * take for an option is no program either */
  rt_buf_puts(s, "case $a0 in -*) __playc_rec fail nocmd; exit 2;; esac\n"
                 "__playc_which \"$a0\" || { __playc_rec fail nocmd; exit 2; }\n"
                 "exec");
  for (size_t i = 0; i < n; i++)
    rt_buf_printf(s, " \"$a%zu\"", i);
  rt_buf_putc(s, '\n');
}

/* ---- reading results ---------------------------------------------------------------- */

const char *mod_rec(const RtExec *ex, const char *key) {
  RtValue *v = ex->rec ? rt_dict_get(ex->rec, key) : NULL;
  return v && rt_kind(v) == RT_STR ? v->u.str.s : NULL;
}

bool mod_rec_is(const RtExec *ex, const char *key, const char *value) {
  const char *v = mod_rec(ex, key);
  return v && strcmp(v, value) == 0;
}

long long mod_rec_int(const RtExec *ex, const char *key, long long def) {
  const char *v = mod_rec(ex, key);
  return v && *v ? strtoll(v, NULL, 10) : def;
}

void mod_add_stat(RtValue *r, const RtExec *ex) {
  const char *mode = mod_rec(ex, "st.mode");
  if (!mode)
    return;
  char buf[24];
  snprintf(buf, sizeof buf, "0%03lo", strtol(mode, NULL, 8)); /* '0%03o' % mode */
  long long uid = mod_rec_int(ex, "st.uid", 0), gid = mod_rec_int(ex, "st.gid", 0);
  const char *owner = mod_rec(ex, "st.owner"), *group = mod_rec(ex, "st.group");
  const char *kind = mod_rec(ex, "st.kind");
  /* pwd/grp lookups that fail give str(uid), where stat prints UNKNOWN */
  if (!owner || strcmp(owner, "UNKNOWN") == 0) {
    char *u = rt_xasprintf("%lld", uid);
    rt_dict_set(r, "owner", rt_str_take(u, strlen(u)));
  } else {
    rt_dict_set(r, "owner", rt_strz(owner));
  }
  if (!group || strcmp(group, "UNKNOWN") == 0) {
    char *g = rt_xasprintf("%lld", gid);
    rt_dict_set(r, "group", rt_str_take(g, strlen(g)));
  } else {
    rt_dict_set(r, "group", rt_strz(group));
  }
  rt_dict_set(r, "mode", rt_strz(buf));
  rt_dict_set(r, "uid", rt_int(uid));
  rt_dict_set(r, "gid", rt_int(gid));
  rt_dict_set(r, "size", rt_int(mod_rec_int(ex, "st.size", 0)));
  const char *state = kind && strcmp(kind, "link") == 0        ? "link"
                      : kind && strcmp(kind, "directory") == 0 ? "directory"
                      : mod_rec_int(ex, "st.nlink", 1) > 1     ? "hard"
                                                               : "file";
  rt_dict_set(r, "state", rt_strz(state));
}

RtValue *mod_attrs_failure(const RtExec *ex, const ModAttrs *a, const char *path) {
  const char *why = mod_rec(ex, "fail");
  RtValue *r;
  RtBuf b = {0};
  if (why && strcmp(why, "nouser") == 0) {
    r = mod_fail_result("chown failed: failed to look up user %s", a->owner);
  } else if (why && strcmp(why, "nogroup") == 0) {
    r = mod_fail_result("chgrp failed: failed to look up group %s", a->group);
  } else if (why && strcmp(why, "chown") == 0) { /* os.lchown's OSError */
    rt_buf_puts(&b, "chown failed: [Errno 1] Operation not permitted: ");
    mod_py_bytes_repr(&b, path);
    r = mod_fail_result("%s", b.data);
  } else if (why && strcmp(why, "chgrp") == 0) {
    r = mod_fail_result("chgrp failed");
  } else {
    return NULL;
  }
  rt_buf_free(&b);
  rt_dict_set(r, "path", rt_strz(path));
  mod_add_stat(r, ex);
  return r;
}
