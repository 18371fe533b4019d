/*
 * patch.c — ansible.posix.patch with the target's `patch`. One request:
 * a controller src (embedded at compile time, the default) travels as the
 * request's stdin into the request's private scratch folder, as the action
 * copies it to its temp folder; the module's checks follow (src readable,
 * dest writable, basedir there), then its two runs of patch: a dry run
 * that asks whether the patch is already in (--reverse for state present),
 * and, when it is not, the real run (--dry-run in check mode, --reverse
 * for state absent, numbered backups). The argv is the module's once its
 * command line is split (its quotes around paths gone), never a shell line.
 */
#include "mod.h"

static const ModParam patch_params[] = {
    {.name = "src", .type = MP_PATH, .aliases = "patchfile"}, /* required: the action says so its way */
    {.name = "dest", .type = MP_PATH, .aliases = "originalfile"},
    {.name = "basedir", .type = MP_PATH},
    {.name = "strip", .type = MP_INT, .def = "0"},
    {.name = "remote_src", .type = MP_BOOL, .def = "no"},
    {.name = "backup", .type = MP_BOOL, .def = "no"},
    {.name = "binary", .type = MP_BOOL, .def = "no"},
    {.name = "ignore_whitespace", .type = MP_BOOL, .def = "no"},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
};
const ModSchema mod_schema_patch = {
    .name = "patch",
    .params = patch_params,
    .nparams = MOD_N(patch_params),
    .one_of = "dest,basedir",
    .tools = "patch,base64",
    .check_mode = true,
    .collection = "ansible.posix",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* Script text: `pc_cap KEY "$pt" ...` with the module's options. */
static void sh_patch(RtBuf *s, const char *key, bool apply, bool dry_run, bool reverse, bool binary, bool ignore_ws,
                     bool dest, bool backup, long long strip) {
  rt_buf_printf(s, "pc_cap %s \"$pt\" --quiet --forward", key);
  if (apply)
    rt_buf_puts(s, " --batch --reject-file=-");
  rt_buf_printf(s, " --strip=%lld \"--directory=$bd\" \"--input=$src\"", strip);
  if (dry_run)
    rt_buf_puts(s, " --dry-run");
  if (binary)
    rt_buf_puts(s, " --binary");
  if (ignore_ws)
    rt_buf_puts(s, " --ignore-whitespace");
  if (dest)
    rt_buf_puts(s, " \"$dest\"");
  if (backup)
    rt_buf_puts(s, " --backup --version-control=numbered");
  if (reverse)
    rt_buf_puts(s, " --reverse");
  rt_buf_puts(s, "\n");
}

static void build_script(RtBuf *s, RtHost *h, const char *src, const char *base, const char *dest,
                         const char *basedir, long long strip, bool remote, bool present, bool backup, bool binary,
                         bool ignore_ws) {
  mod_ps_sh_begin(s);
  if (remote) {
    mod_sh_set_path(s, "src", src);
  } else { /* the action's copy in its temp folder, named as the src */
    mod_sh_need(s, "base64");
    mod_sh_set(s, "base", base);
    rt_buf_puts(s, "src=$__playc_scr/$base\n"
                   "base64 -d > \"$src\" || exit 1\n");
  }
  if (dest)
    mod_sh_set_path(s, "dest", dest);
  if (basedir)
    mod_sh_set_path(s, "bd", basedir);
  rt_buf_puts(s, "__playc_rec src \"$src\"\n"
                 "[ -r \"$src\" ] || { __playc_rec fail src; exit 0; }\n");
  if (dest)
    rt_buf_puts(s, "__playc_rec dest \"$dest\"\n"
                   "[ -w \"$dest\" ] || { __playc_rec fail dest; exit 0; }\n");
  if (basedir)
    rt_buf_puts(s, "__playc_rec bd \"$bd\"\n"
                   "[ -e \"$bd\" ] || { __playc_rec fail basedir; exit 0; }\n");
  else /* os.path.dirname(dest) */
    rt_buf_puts(s, "case $dest in */*) bd=${dest%/*}; [ -n \"$bd\" ] || bd=/;; *) bd=;; esac\n");
  rt_buf_puts(s, "pc_bin patch || { __playc_rec fail nopatch; exit 0; }\n"
                 "pt=$pc_v\n"
                 "case $src in /*) ;; *) src=$PWD/$src;; esac\n");
  /* is_already_applied: a dry run, reversed for state present */
  sh_patch(s, "a", false, true, present, binary, ignore_ws, dest != NULL, false, strip);
  rt_buf_puts(s, "[ \"$pc_r\" != 0 ] || exit 0\n");
  sh_patch(s, "b", true, h->check_mode, !present, binary, ignore_ws, dest != NULL, backup, strip);
  rt_buf_puts(s, "exit 0\n");
}

RtValue *mod_patch(RtHost *h, RtValue *args) {
  char *src = mod_arg_str(args, "src"), *dest = mod_arg_str(args, "dest"), *basedir = mod_arg_str(args, "basedir");
  char *state = mod_arg_str(args, "state"), *err = NULL, *b64 = NULL;
  long long strip = 0;
  bool remote = mod_arg_bool(args, "remote_src", 0) == 1, present = !state || strcmp(state, "absent") != 0;
  RtValue *r = NULL, *plain = NULL;
  RtBuf s = {0};
  size_t b64len = 0;
  if (mod_arg_int(args, "strip", &strip) < 0) {
    r = mod_fail_result("argument 'strip' is of type %s and we were unable to convert to int", "str");
    goto done;
  }
  if (!src) {
    r = mod_fail_result("src is required");
    goto done;
  }
  const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
  if (!remote) {
    const RtFileDef *f = rt_find_file(h, src);
    if (!f) {
      r = rt_file_not_found(h, "files", src);
      goto done;
    }
    plain = rt_file_plain(h, f);
    if (plain && rt_is_error(plain)) {
      r = mod_fail_result("%s", plain->u.err.msg);
      goto done;
    }
    b64 = plain ? mod_base64_lines(plain->u.str.s, plain->u.str.len, &b64len) : mod_base64_lines(f->data, f->size, &b64len);
    base = strrchr(f->name, '/') ? strrchr(f->name, '/') + 1 : f->name;
  }
  build_script(&s, h, src, base, dest && *dest ? dest : NULL, basedir && *basedir ? basedir : NULL, strip, remote,
               present, mod_arg_bool(args, "backup", 0) == 1, mod_arg_bool(args, "binary", 0) == 1,
               mod_arg_bool(args, "ignore_whitespace", 0) == 1);
  RtExec ex;
  if (rt_host_exec(h, s.data, b64, b64len, &ex, &err) < 0)
    goto done;
  if ((r = mod_ps_missing(&ex)) != NULL || (r = mod_tool_failure(&ex)) != NULL) {
  } else if (mod_rec_is(&ex, "fail", "src")) {
    r = mod_fail_result("src %s doesn't exist or not readable", mod_rec(&ex, "src"));
  } else if (mod_rec_is(&ex, "fail", "dest")) {
    r = mod_fail_result("dest %s doesn't exist or not writable", mod_rec(&ex, "dest"));
  } else if (mod_rec_is(&ex, "fail", "basedir")) {
    r = mod_fail_result("basedir %s doesn't exist", mod_rec(&ex, "bd"));
  } else if (mod_rec_is(&ex, "fail", "nopatch")) {
    r = mod_fail_result("patch command not found");
  } else if (ex.rc != 0 || !mod_rec(&ex, "a.rc")) {
    r = mod_fail_result("%s", ex.err.len ? ex.err.data : "the patch request failed");
  } else if (!mod_rec(&ex, "b.rc")) { /* already applied (or already reversed) */
    r = rt_dict_new(1);
    rt_dict_set(r, "changed", rt_bool(false));
  } else {
    ModCap c = {0};
    mod_ps_cap(&ex, "b", &c);
    if (c.rc != 0) { /* PatchError(err or out) */
      r = mod_fail_result("%s", c.err && *c.err ? c.err : c.out ? c.out : "");
    } else {
      r = rt_dict_new(1);
      rt_dict_set(r, "changed", rt_bool(true));
    }
    mod_ps_cap_free(&c);
  }
  rt_exec_free(&ex);
done:
  rt_decref(plain);
  rt_buf_free(&s);
  free(b64);
  free(err);
  free(src);
  free(dest);
  free(basedir);
  free(state);
  return r;
}

#endif
