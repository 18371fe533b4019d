/*
 * git.c — the git module with the target's git, in one request: the script
 * is a port of the module's flow (clone when dest holds no repository;
 * otherwise local modifications checked, the remote URL set, fetch, then
 * the version checked out: HEAD follows the remote's default branch, a
 * branch is tracked and reset to its remote, a tag or SHA-1 checked out)
 * with the same git commands, and records before, after,
 * remote_url_changed and any failure with the module's message. Check mode
 * resolves the remote revision with `git ls-remote` as the module's
 * get_remote_head does and changes nothing. Key files and ssh_opts reach
 * git through GIT_SSH_COMMAND.
 *
 * Not supported (absent from the schema, refused by the compiler):
 * verify_commit, gpg_whitelist, track_submodules, archive, archive_prefix,
 * separate_git_dir. Submodules (recursive) are updated but their changes
 * do not count in `changed`; no diff is returned for --diff.
 */
#include "mod.h"

static const ModParam git_params[] = {
    {.name = "dest", .type = MP_PATH},
    {.name = "repo", .type = MP_STR, .required = true, .aliases = "name"},
    {.name = "version", .type = MP_STR, .def = "HEAD"},
    {.name = "remote", .type = MP_STR, .def = "origin"},
    {.name = "refspec", .type = MP_STR},
    {.name = "reference", .type = MP_STR},
    {.name = "force", .type = MP_BOOL, .def = "no"},
    {.name = "depth", .type = MP_INT},
    {.name = "clone", .type = MP_BOOL, .def = "yes"},
    {.name = "update", .type = MP_BOOL, .def = "yes"},
    {.name = "accept_hostkey", .type = MP_BOOL, .def = "no"},
    {.name = "accept_newhostkey", .type = MP_BOOL, .def = "no"},
    {.name = "key_file", .type = MP_PATH},
    {.name = "ssh_opts", .type = MP_STR},
    {.name = "executable", .type = MP_PATH},
    {.name = "bare", .type = MP_BOOL, .def = "no"},
    {.name = "recursive", .type = MP_BOOL, .def = "yes"},
    {.name = "single_branch", .type = MP_BOOL, .def = "false"},
    {.name = "umask", .type = MP_RAW},
};
const ModSchema mod_schema_git = {
    .name = "git",
    .params = git_params,
    .nparams = MOD_N(git_params),
    .exclusive = "accept_hostkey,accept_newhostkey",
    .tools = "git",
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* The module's helpers, as shell functions over $git (the program), $dest,
 * $repo, $remote, $version, $depth. Each failure records fail and exits. */
static const char git_funcs[] =
    "g() { \"$git\" \"$@\"; }\n"
    "die() { __playc_rec fail \"$1\"; shift; __playc_rec out \"$1\"; __playc_rec err \"$2\"; "
    "__playc_rec rc \"$3\"; exit 0; }\n"
    /* run_command(check_rc=True): the output in $o, or the failure recorded
     * with the command as the module words it */
    "chk() { o=$(g \"$@\" 2>\"$__playc_tmp\"; r=$?; echo x; exit $r); r=$?; o=${o%x}; [ $r = 0 ] && return 0\n"
    "  __playc_rec fail cmd; __playc_rec cmd \"$(command -v \"$git\" || printf %s \"$git\") $*\"; __playc_rec rc $r\n"
    "  __playc_rec out \"$o\"; e=$(cat -- \"$__playc_tmp\"; echo x); __playc_rec err \"${e%x}\"; exit 0; }\n"
    /* is_remote_branch / is_remote_tag REMOTE VERSION (from $PWD) */
    "isbranch() { chk ls-remote \"$1\" -h \"refs/heads/$2\"; case $o in *\"$2\"*) return 0;; esac; return 1; }\n"
    "istag() { chk ls-remote \"$1\" -t \"refs/tags/$2\"; case $o in *\"$2\"*) return 0;; esac; return 1; }\n"
    /* get_head_branch: the branch .git/HEAD (or the remote's HEAD) names */
    "headbranch() {\n"
    "  rp=$dest/.git; [ \"$bare\" = 0 ] || rp=$dest\n"
    "  hf=$rp/HEAD\n"
    "  if ! (cd \"$dest\" && g symbolic-ref -q HEAD >/dev/null 2>&1); then hf=$rp/refs/remotes/$remote/HEAD; fi\n"
    "  b=$(cat -- \"$hf\" 2>/dev/null); b=${b#ref: }; b=${b#refs/heads/}; b=${b#refs/remotes/$remote/}; "
    "printf %s \"$b\"\n"
    "}\n"
    /* get_remote_head VERSION REMOTE CLONING */
    "remotehead() {\n"
    "  tag=0\n"
    "  if [ \"$1\" = HEAD ]; then\n"
    "    if [ \"$3\" = 1 ]; then o=$(g ls-remote \"$2\" -h HEAD 2>&1) || die lsremote \"$o\" '' 128\n"
    "    else hb=$(headbranch); o=$(cd \"$dest\" && g ls-remote \"$2\" -h \"refs/heads/$hb\" 2>&1) || die lsremote \"$o\" '' 128; fi\n"
    "  elif isbranch \"$2\" \"$1\"; then o=$(g ls-remote \"$2\" -h \"refs/heads/$1\")\n"
    "  elif istag \"$2\" \"$1\"; then tag=1; o=$(g ls-remote \"$2\" -t \"refs/tags/$1*\")\n"
    "  else printf %s \"$1\"; return; fi\n"
    "  [ -n \"$o\" ] || { __playc_rec fail norev; exit 0; }\n"
    "  if [ $tag = 1 ]; then t=; nl='\n'; rest=$o$nl\n"
    "    while [ -n \"$rest\" ]; do l=${rest%%\"$nl\"*}; rest=${rest#*\"$nl\"}\n"
    "      case $l in *\"$1^{}\") t=$l; break;; *\"$1\") t=$l;; esac; done\n"
    "    [ -z \"$t\" ] || o=$t; fi\n"
    "  set -f; set -- $o; set +f; printf %s \"$1\"\n"
    "}\n"
    "version() { (cd \"$dest\" && g rev-parse HEAD 2>/dev/null); }\n";

typedef struct GitArgs {
  char *dest, *repo, *version, *remote, *refspec, *reference, *key, *ssh_opts, *exe, *umask;
  long long depth;
  int has_depth;
  bool force, clone, update, bare, recursive, single, accept, accept_new;
} GitArgs;

static void clone_script(RtBuf *s, const GitArgs *a) {
  rt_buf_puts(s, "mkdir -p -- \"$(dirname -- \"$dest\")\" 2>/dev/null\n"
                 "set -- clone\n");
  rt_buf_puts(s, a->bare ? "set -- \"$@\" --bare\n" : "set -- \"$@\" --origin \"$remote\"\n");
  rt_buf_puts(s, "bt=0; if isbranch \"$repo\" \"$version\" || istag \"$repo\" \"$version\"; then bt=1; fi\n");
  if (a->has_depth && a->depth)
    rt_buf_puts(s, "if [ \"$version\" = HEAD ] || [ -n \"$refspec\" ]; then set -- \"$@\" --depth \"$depth\"\n"
                   "elif [ $bt = 1 ]; then set -- \"$@\" --depth \"$depth\" --branch \"$version\"\n"
                   "else __playc_rec \"warn[]\" 'Ignoring depth argument. Shallow clones are only available for "
                   "HEAD, branches, tags or in combination with refspec.'; fi\n");
  if (a->reference)
    rt_buf_puts(s, "set -- \"$@\" --reference \"$reference\"\n");
  if (a->single)
    rt_buf_puts(s, "set -- \"$@\" --single-branch; [ $bt = 0 ] || set -- \"$@\" --branch \"$version\"\n");
  rt_buf_puts(s, "o=$(g \"$@\" -- \"$repo\" \"$dest\" 2>&1) || die clone \"\" \"$o\" 128\n");
  if (a->bare)
    rt_buf_puts(s, "[ \"$remote\" = origin ] || (cd \"$dest\" && g remote add \"$remote\" \"$repo\")\n");
  if (a->refspec)
    rt_buf_printf(s, "o=$(cd \"$dest\" && g fetch %s \"$remote\" \"$refspec\" 2>&1) || die fetchrefspec \"\" \"$o\" 128\n",
                  a->has_depth && a->depth ? "--depth \"$depth\"" : "");
}

static void fetch_script(RtBuf *s, const GitArgs *a) {
  rt_buf_puts(s, "set -- fetch; rs=\n");
  if (a->has_depth && a->depth)
    rt_buf_puts(s, "ch_=$(headbranch)\n"
                   "if [ -n \"$refspec\" ]; then rs=$refspec\n"
                   "elif [ \"$version\" = HEAD ]; then rs=$ch_\n"
                   "elif (cd \"$dest\" && isbranch \"$repo\" \"$version\"); then\n"
                   "  [ \"$ch_\" = \"$version\" ] || rs=\"+refs/heads/$version:refs/heads/$version\"\n"
                   "  rs=\"$rs +refs/heads/$version:refs/remotes/$remote/$version\"\n"
                   "elif (cd \"$dest\" && istag \"$repo\" \"$version\"); then rs=\"+refs/tags/$version:refs/tags/$version\"; fi\n"
                   "[ -z \"$rs\" ] || set -- \"$@\" --depth \"$depth\"\n");
  rt_buf_printf(s, "if [ -z \"$rs\" ]; then %s; [ -z \"$refspec\" ] || rs=\"$rs $refspec\"; fi\n",
                a->bare ? "rs='+refs/heads/*:refs/heads/* +refs/tags/*:refs/tags/*'" : "set -- \"$@\" --tags");
  if (a->force)
    rt_buf_puts(s, "set -- \"$@\" --force\n");
  rt_buf_puts(s, "set -- \"$@\" \"$remote\"; set -f; set -- \"$@\" $rs; set +f\n"
                 "o=$(cd \"$dest\" && g \"$@\" 2>&1) || die fetch \"\" \"$o\" 1\n");
}

static void switch_script(RtBuf *s) {
  rt_buf_puts(s, "if [ \"$version\" = HEAD ]; then b=$(headbranch)\n"
                 "  o=$(cd \"$dest\" && g checkout --force \"$b\" 2>&1) || die checkoutbranch \"$b\" \"$o\" 1\n"
                 "  o=$(cd \"$dest\" && g reset --hard \"$remote/$b\" -- 2>&1) || die checkoutbranch \"$b\" \"$o\" 1\n"
                 "elif (cd \"$dest\" && isbranch \"$remote\" \"$version\"); then\n"
                 "  if (cd \"$dest\" && g show-ref --verify --quiet \"refs/heads/$version\"); then\n"
                 "    o=$(cd \"$dest\" && g checkout --force \"$version\" 2>&1) || die checkoutbranch \"$version\" \"$o\" 1\n"
                 "    o=$(cd \"$dest\" && g reset --hard \"$remote/$version\" 2>&1) || die checkout \"$version\" \"$o\" 1\n"
                 "  else o=$(cd \"$dest\" && g checkout --track -b \"$version\" \"$remote/$version\" 2>&1) || "
                 "die checkout \"$version\" \"$o\" 1; fi\n"
                 "else o=$(cd \"$dest\" && g checkout --force \"$version\" 2>&1) || die checkout \"$version\" \"$o\" 1; fi\n");
}

/* The whole request. */
static void git_script(RtBuf *s, const GitArgs *a, bool check) {
  char tname[MOD_TEMP_NAME];
  rt_buf_puts(s, "__playc_traps\nexport LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C\ntd=${TMPDIR:-/tmp}\n");
  mod_sh_temp_beside(s, "td", tname); /* the stderr of chk's commands */
  if (a->exe) {
    mod_sh_set_path(s, "git", a->exe);
  } else {
    mod_sh_need(s, "git");
    rt_buf_puts(s, "git=git\n");
  }
  if (a->umask)
    rt_buf_printf(s, "umask %s\n", a->umask); /* digits, checked by the controller */
  mod_sh_set_path(s, "repo", a->repo);
  rt_buf_puts(s, "case $repo in /*) repo=file://$repo;; *) repo=$(printf %s ");
  rt_sh_quote(s, a->repo);
  rt_buf_puts(s, ");; esac\n");
  if (a->dest) {
    mod_sh_set_path(s, "dest", a->dest);
    rt_buf_puts(s, "case $dest in /*) ;; *) dest=$PWD/$dest;; esac\n");
  } else {
    rt_buf_puts(s, "dest=\n");
  }
  mod_sh_set(s, "version", a->version);
  mod_sh_set(s, "remote", a->remote);
  mod_sh_set(s, "refspec", a->refspec ? a->refspec : "");
  mod_sh_set(s, "reference", a->reference ? a->reference : "");
  rt_buf_printf(s, "depth=%lld; bare=%d; ck=%d\n", a->depth, a->bare ? 1 : 0, check ? 1 : 0);
  if (a->key || a->ssh_opts) {
    RtBuf c = {0};
    rt_buf_puts(&c, "ssh");
    if (a->key) {
      rt_buf_puts(&c, " -i ");
      rt_sh_quote(&c, a->key);
      rt_buf_puts(&c, " -o IdentitiesOnly=yes");
    }
    if (a->ssh_opts)
      rt_buf_printf(&c, " %s", a->ssh_opts);
    mod_sh_set(s, "GIT_SSH_COMMAND", c.data);
    rt_buf_puts(s, "export GIT_SSH_COMMAND\n");
    rt_buf_free(&c);
  }
  rt_buf_puts(s, git_funcs);
  rt_buf_puts(s, "cfg=$dest/.git/config; [ \"$bare\" = 0 ] || cfg=$dest/config\n");
  rt_buf_printf(s, "if { [ -n \"$dest\" ] && [ ! -e \"$cfg\" ]; } || { [ -z \"$dest\" ] && [ %d = 0 ]; }; then\n",
                a->clone ? 1 : 0);
  rt_buf_printf(s, "  if [ $ck = 1 ] || [ %d = 0 ]; then __playc_rec after \"$(remotehead \"$version\" \"$repo\" 1)\"; "
                   "__playc_rec changed 1; exit 0; fi\n",
                a->clone ? 1 : 0);
  clone_script(s, a);
  rt_buf_puts(s, "  __playc_rec cloned 1\n");
  if (!a->update) {
    rt_buf_puts(s, "else b=$(version); __playc_rec before \"$b\"; __playc_rec after \"$b\"; exit 0\n");
  } else {
    rt_buf_puts(s, "else\n"
                   "  lm=0\n");
    if (!a->bare)
      rt_buf_puts(s, "  if (cd \"$dest\" && g status --porcelain 2>/dev/null) | grep -qv '^?\?'; then lm=1; fi\n");
    rt_buf_puts(s, "  __playc_rec before \"$(version)\"\n"
                   "  if [ $lm = 1 ]; then\n");
    if (!a->force)
      rt_buf_puts(s, "    __playc_rec fail localmods; exit 0\n");
    else
      rt_buf_puts(s, "    [ $ck = 1 ] || { o=$(cd \"$dest\" && g reset --hard HEAD 2>&1) || die reset \"\" \"$o\" 1; }\n"
                     "    __playc_rec localmods 1\n");
    rt_buf_puts(s, "  fi\n"
                   "  ru=$(cd \"$dest\" && g config --get \"remote.$remote.url\" 2>/dev/null)\n"
                   "  un() { u=${1%/}; u=${u%.git}; printf %s \"${u#file://}\"; }\n"
                   "  ruc=0; if [ \"$ru\" != \"$repo\" ] && [ \"$(un \"$ru\")\" != \"$(un \"$repo\")\" ]; then\n"
                   "    [ $ck = 1 ] || (cd \"$dest\" && g remote set-url \"$remote\" \"$repo\") || die seturl \"\" '' 1\n"
                   "    [ -z \"$ru\" ] || ruc=1; fi\n"
                   "  __playc_rec remote_url_changed $ruc\n"
                   "  if [ $ck = 1 ]; then __playc_rec after \"$(remotehead \"$version\" \"$remote\" 0)\"; exit 0; fi\n");
    fetch_script(s, a);
    rt_buf_puts(s, "fi\n");
  }
  if (!a->update)
    rt_buf_puts(s, "fi\n");
  if (!a->bare) {
    switch_script(s);
    if (a->recursive)
      rt_buf_puts(s, "if [ -f \"$dest/.gitmodules\" ]; then o=$(cd \"$dest\" && g submodule update --init --recursive "
                     "2>&1) || die submodule \"\" \"$o\" 1; fi\n");
  }
  rt_buf_puts(s, "__playc_rec after \"$(version)\"\n");
}

static void read_args(GitArgs *a, RtValue *args) {
  a->dest = mod_arg_str(args, "dest");
  a->repo = mod_arg_str(args, "repo");
  a->version = mod_arg_str(args, "version");
  if (!a->version)
    a->version = rt_xstrdup("HEAD");
  a->remote = mod_arg_str(args, "remote");
  if (!a->remote)
    a->remote = rt_xstrdup("origin");
  a->refspec = mod_arg_str(args, "refspec");
  a->reference = mod_arg_str(args, "reference");
  a->key = mod_arg_str(args, "key_file");
  a->ssh_opts = mod_arg_str(args, "ssh_opts");
  a->exe = mod_arg_str(args, "executable");
  a->has_depth = mod_arg_int(args, "depth", &a->depth);
  a->force = mod_arg_bool(args, "force", 0) == 1;
  a->clone = mod_arg_bool(args, "clone", 1) != 0;
  a->update = mod_arg_bool(args, "update", 1) != 0;
  a->bare = mod_arg_bool(args, "bare", 0) == 1;
  a->recursive = mod_arg_bool(args, "recursive", 1) != 0;
  a->single = mod_arg_bool(args, "single_branch", 0) == 1;
  a->accept = mod_arg_bool(args, "accept_hostkey", 0) == 1;
  a->accept_new = mod_arg_bool(args, "accept_newhostkey", 0) == 1;
  const char *opt = a->accept ? "-o StrictHostKeyChecking=no" : a->accept_new ? "-o StrictHostKeyChecking=accept-new" : NULL;
  if (opt && (!a->ssh_opts || (!strstr(a->ssh_opts, "-o StrictHostKeyChecking=no") &&
                               !strstr(a->ssh_opts, "-o StrictHostKeyChecking=accept-new")))) {
    char *o = a->ssh_opts ? rt_xasprintf("%s %s", a->ssh_opts, opt) : rt_xstrdup(opt);
    free(a->ssh_opts);
    a->ssh_opts = o;
  }
}

static void args_free(GitArgs *a) {
  char **all[] = {&a->dest, &a->repo, &a->version, &a->remote, &a->refspec, &a->reference,
                  &a->key, &a->ssh_opts, &a->exe, &a->umask};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++)
    free(*all[i]);
}

/* The module's failure for what the script recorded. */
static RtValue *git_failure(const RtExec *ex, const GitArgs *a, RtValue *base) {
  const char *why = mod_rec(ex, "fail"), *out = mod_rec(ex, "out") ? mod_rec(ex, "out") : "";
  const char *err = mod_rec(ex, "err") ? mod_rec(ex, "err") : "";
  char *msg;
  if (!strcmp(why, "localmods"))
    msg = rt_xasprintf("Local modifications exist in the destination: %s (force=no).", a->dest);
  else if (!strcmp(why, "norev"))
    msg = rt_xasprintf("Could not determine remote revision for %s", a->version);
  else if (!strcmp(why, "checkoutbranch"))
    msg = rt_xasprintf("Failed to checkout branch %s", out);
  else if (!strcmp(why, "checkout"))
    msg = rt_xasprintf("Failed to checkout %s", out);
  else if (!strcmp(why, "fetch"))
    msg = rt_xasprintf("Failed to download remote objects and refs:  %s", err);
  else if (!strcmp(why, "cmd")) { /* run_command's own failure: no result of the module's */
    rt_decref(base);
    RtValue *r = mod_fail_result("%s", "");
    size_t n = strlen(err);
    while (n && (err[n - 1] == '\n' || err[n - 1] == ' ' || err[n - 1] == '\t'))
      n--;
    rt_dict_set(r, "msg", rt_str(err, n));
    rt_dict_set(r, "cmd", rt_strz(mod_rec(ex, "cmd")));
    rt_dict_set(r, "rc", rt_int(mod_rec_int(ex, "rc", 1)));
    rt_dict_set(r, "stdout", rt_strz(out));
    rt_dict_set(r, "stderr", rt_strz(err));
    rt_dict_set(r, "stdout_lines", mod_lines(out, strlen(out)));
    rt_dict_set(r, "stderr_lines", mod_lines(err, strlen(err)));
    return r;
  } else if (!strcmp(why, "seturl"))
    msg = rt_xasprintf("Failed to set a new url %s for %s:  ", a->repo, a->remote);
  else
    msg = rt_xstrdup(err);
  RtValue *r = base ? base : rt_dict_new(4);
  rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "msg", rt_str_take(msg, strlen(msg)));
  if (strcmp(why, "localmods") != 0 && strcmp(why, "norev") != 0) {
    rt_dict_set(r, "rc", rt_int(mod_rec_int(ex, "rc", 1)));
    rt_dict_set(r, "stderr", rt_strz(err));
  }
  return r;
}

RtValue *mod_git(RtHost *h, RtValue *args) {
  GitArgs a = {0};
  read_args(&a, args);
  RtValue *r = NULL, *um = rt_dict_get(args, "umask");
  RtBuf s = {0};
  RtExec ex = {0};
  bool have = false;
  char *err = NULL;
  if (um && rt_kind(um) != RT_NONE) {
    if (rt_kind(um) != RT_STR) {
      r = mod_fail_result("umask must be defined as a quoted octal integer");
      goto done;
    }
    bool oct = um->u.str.len > 0;
    for (const char *p = um->u.str.s; *p && oct; p++)
      oct = *p >= '0' && *p <= '7';
    if (!oct) {
      r = mod_fail_result("umask must be an octal integer");
      goto done;
    }
    a.umask = rt_xstrdup(um->u.str.s);
  }
  if (!a.dest && a.clone) {
    r = mod_fail_result("the destination directory must be specified unless clone=no");
    goto done;
  }
  git_script(&s, &a, h->check_mode);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto done;
  RtValue *warnings = rt_dict_get(ex.rec, "warn");
  r = rt_dict_new(8);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "warnings", warnings ? rt_incref(warnings) : rt_list_new(0));
  rt_dict_set(r, "before", mod_rec(&ex, "before") ? rt_strz(mod_rec(&ex, "before")) : rt_none());
  if (mod_rec(&ex, "fail")) {
    r = git_failure(&ex, &a, r);
    goto done;
  }
  const char *before = mod_rec(&ex, "before"), *after = mod_rec(&ex, "after");
  if (mod_rec(&ex, "remote_url_changed"))
    rt_dict_set(r, "remote_url_changed", rt_bool(mod_rec_is(&ex, "remote_url_changed", "1")));
  if (after)
    rt_dict_set(r, "after", rt_strz(after));
  bool url = mod_rec_is(&ex, "remote_url_changed", "1"), lm = mod_rec(&ex, "localmods") != NULL;
  bool changed = mod_rec_is(&ex, "changed", "1") || mod_rec(&ex, "cloned") ||
                 (after && (!before || strcmp(before, after) != 0)) || url || (lm && !h->check_mode);
  if (!a.update && !mod_rec(&ex, "cloned") && !mod_rec(&ex, "changed"))
    changed = false;
  if (lm && !h->check_mode) {
    char *m = rt_xasprintf("Local modifications exist in the destination: %s", a.dest);
    rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
  }
  rt_dict_set(r, "changed", rt_bool(changed));
done:
  if (have)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  free(err);
  args_free(&a);
  return r;
}

#endif
