/*
 * openssl_dhparam.c — community.crypto.openssl_dhparam with the target's
 * `openssl` (the collection's openssl backend, whatever select_crypto_backend
 * says: no Python on the target). Request 1 checks the folder, runs
 * `openssl dhparam -check -text -noout` on the file (unless force), looks at
 * the file attributes without changing them and, for return_content, reads
 * the file; the controller decides as the module does (the size in
 * "Parameters: (N bit)", no WARNING). Request 2, only outside check mode
 * and when something must change: `openssl dhparam -out` into a private
 * temp file beside the path, the backup, the rename (a new file gets 0666 &
 * ~umask, an old one keeps its mode and owner, as atomic_move), then the
 * attributes; or, for state absent, the backup and the removal.
 */
#include "mod.h"

static const ModParam dhparam_params[] = {
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "size", .type = MP_INT, .def = "4096"},
    {.name = "force", .type = MP_BOOL, .def = "no"},
    {.name = "path", .type = MP_PATH, .required = true},
    {.name = "backup", .type = MP_BOOL, .def = "no"},
    {.name = "select_crypto_backend", .type = MP_STR, .choices = "auto,cryptography,openssl", .def = "auto"},
    {.name = "return_content", .type = MP_BOOL, .def = "no"},
    {.name = "attributes", .type = MP_STR, .aliases = "attr"},
    MOD_FILE_COMMON_PARAMS,
};
const ModSchema mod_schema_openssl_dhparam = {
    .name = "openssl_dhparam",
    .params = dhparam_params,
    .nparams = MOD_N(dhparam_params),
    .tools = "openssl",
    .check_mode = true,
    .collection = "community.crypto",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* Script text: the path's folder checked, then (present) openssl found. */
static void sh_begin(RtBuf *s, const char *path, bool present, const char *backend, const ModAttrs *a) {
  mod_ps_sh_begin(s);
  mod_sh_set_path(s, "p", path);
  rt_buf_puts(s, "__playc_rec path \"$p\"\n"
                 "case $p in */*) bd=${p%/*};; *) bd=;; esac\n"
                 "[ -n \"$bd\" ] || bd=.\n"
                 "[ -d \"$bd\" ] || { __playc_rec fail nodir; __playc_rec bd \"$bd\"; exit 0; }\n");
  if (present) { /* the openssl backend asked for: get_bin_path's failure */
    rt_buf_printf(s, "pc_bin openssl || { %s__playc_rec fail noopenssl; exit 0; }\nossl=$pc_v\n",
                  backend && strcmp(backend, "openssl") == 0 ? "pc_nobin openssl; " : "");
  }
  mod_sh_attrs_begin(s, a);
}

/* Script text: record the file's content (exactly, through a record). */
static void sh_content(RtBuf *s) {
  rt_buf_puts(s, "[ ! -f \"$p\" ] || { c=$(cat -- \"$p\" 2>/dev/null; printf x); __playc_rec content \"$c\"; }\n");
}

/* The content record without its guard 'x', or NULL. */
static RtValue *content_value(const RtExec *ex) {
  const char *c = mod_rec(ex, "content");
  if (!c || strlen(c) <= 1)
    return rt_none();
  return rt_str(c, strlen(c) - 1);
}

/* _check_params_valid of the openssl backend, from openssl's output. */
static bool params_valid(const RtExec *ex, long long size) {
  ModCap c = {0};
  bool ok = false;
  if (mod_ps_cap(ex, "c", &c) && c.rc == 0 && c.out) {
    const char *m = strstr(c.out, "Parameters:");
    while (m) {
      const char *q = m + 11;
      while (*q && strchr(" \t\n\r\v\f", *q))
        q++;
      if (q > m + 11 && *q == '(' && q[1] >= '0' && q[1] <= '9') {
        char *end;
        long long bits = strtoll(q + 1, &end, 10);
        if (strncmp(end, " bit)", 5) == 0) {
          ok = bits == size && !strstr(c.out, "WARNING") && !(c.err && strstr(c.err, "WARNING"));
          break;
        }
      }
      m = strstr(m + 1, "Parameters:");
    }
  }
  mod_ps_cap_free(&c);
  return ok;
}

static RtValue *dump(const char *path, long long size, bool changed, const char *backup, bool content,
                     const RtExec *ex) {
  RtValue *r = rt_dict_new(5);
  rt_dict_set(r, "size", rt_int(size));
  rt_dict_set(r, "filename", rt_strz(path));
  rt_dict_set(r, "changed", rt_bool(changed));
  if (backup)
    rt_dict_set(r, "backup_file", rt_strz(backup));
  if (content)
    rt_dict_set(r, "dhparams", content_value(ex));
  return r;
}

RtValue *mod_openssl_dhparam(RtHost *h, RtValue *args) {
  char *path = mod_arg_str(args, "path"), *state = mod_arg_str(args, "state");
  char *owner = mod_arg_str(args, "owner"), *group = mod_arg_str(args, "group");
  char *backend = mod_arg_str(args, "select_crypto_backend"), *sym = NULL;
  long long size = 4096;
  bool present = !state || strcmp(state, "absent") != 0, force = mod_arg_bool(args, "force", 0) == 1;
  bool backup = mod_arg_bool(args, "backup", 0) == 1, content = mod_arg_bool(args, "return_content", 0) == 1;
  long mode = mod_arg_mode(args, "mode");
  if (mode == -2) {
    sym = mod_arg_str(args, "mode");
    mode = -1;
  }
  ModAttrs a = {owner, group, mode, sym, false};
  RtValue *r = NULL;
  RtExec ex, ex2;
  RtBuf s = {0};
  bool have = false, have2 = false;
  if (mod_arg_int(args, "size", &size) < 0) {
    r = mod_fail_result("argument 'size' is of type str and we were unable to convert to int");
    goto done;
  }
  sh_begin(&s, path, present, backend, &a);
  rt_buf_puts(&s, "[ ! -e \"$p\" ] || __playc_rec exists 1\n");
  if (present && !force)
    rt_buf_puts(&s, "[ ! -e \"$p\" ] || pc_cap c \"$ossl\" dhparam -check -text -noout -in \"$p\"\n");
  if (content)
    sh_content(&s);
  if (present) { /* the attributes as set_fs_attributes_if_different would find them */
    rt_buf_puts(&s, "if [ -e \"$p\" ]; then ch=0; ck=1\n");
    mod_sh_attrs_apply(&s, "p", &a, NULL);
    rt_buf_puts(&s, "__playc_rec ch \"$ch\"; fi\n");
  }
  if (mod_sh_exec(h, &s, &ex) < 0)
    goto done;
  have = true;
  const char *xp = mod_rec(&ex, "path") ? mod_rec(&ex, "path") : path;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec_is(&ex, "fail", "nodir")) {
    r = mod_fail_result("The directory '%s' does not exist or the file is not a directory", mod_rec(&ex, "bd"));
    rt_dict_set(r, "name", rt_strz(mod_rec(&ex, "bd")));
    goto done;
  }
  if (mod_rec_is(&ex, "fail", "noopenssl")) {
    r = mod_fail_result("Cannot detect either the required Python library cryptography (>= 2.0) "
                        "or the OpenSSL binary openssl");
    goto done;
  }
  if ((r = mod_attrs_failure(&ex, &a, xp)) != NULL)
    goto done;
  bool exists = mod_rec_is(&ex, "exists", "1");
  bool valid = !force && exists && present && params_valid(&ex, size);
  bool attrs_ok = exists && mod_rec_is(&ex, "ch", "0");
  if (h->check_mode) {
    r = dump(xp, size, present ? force || !(valid && attrs_ok) : exists, NULL, content, &ex);
    goto done;
  }
  bool generate = present && (force || !valid);
  if ((present && !generate && attrs_ok) || (!present && !exists)) {
    r = dump(xp, size, false, NULL, content, &ex);
    goto done;
  }
  rt_buf_free(&s);
  mod_ps_sh_begin(&s);
  mod_sh_set(&s, "p", xp);
  mod_sh_attrs_begin(&s, &a);
  if (present)
    rt_buf_puts(&s, "ch=0; ck=0\n");
  if (generate) {
    char name[MOD_TEMP_NAME];
    rt_buf_puts(&s, "pc_bin openssl || { __playc_rec fail noopenssl; exit 0; }\nossl=$pc_v\n"
                    "case $p in */*) bd=${p%/*};; *) bd=.;; esac\n"
                    "um=$(umask)\n"); /* the temp file's umask 077 is not the module's */
    mod_sh_temp_beside(&s, "bd", name);
    rt_buf_printf(&s, "pc_cap g \"$ossl\" dhparam -out \"$__playc_tmp\" %lld || exit 0\n", size);
    if (backup)
      rt_buf_puts(&s, "if [ -e \"$p\" ]; then bk=\"$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$p\" \"$bk\" || exit 1; "
                      "__playc_rec backup_file \"$bk\"; fi\n");
    rt_buf_puts(&s, "if [ -e \"$p\" ]; then chmod \"$(stat -c %a -- \"$p\")\" \"$__playc_tmp\"; "
                    "chown \"$(stat -c %u:%g -- \"$p\")\" \"$__playc_tmp\" 2>/dev/null\n"
                    "else chmod \"$(printf %o $((0666 & ~$um)))\" \"$__playc_tmp\"; fi\n"
                    "mv -f -- \"$__playc_tmp\" \"$p\" || { __playc_rec fail move; exit 0; }; __playc_tmp=\n");
  }
  if (present) {
    mod_sh_attrs_apply(&s, "p", &a, NULL);
    rt_buf_puts(&s, "__playc_rec ch \"$ch\"\n");
  } else {
    if (backup)
      rt_buf_puts(&s, "bk=\"$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$p\" \"$bk\" || exit 1; "
                      "__playc_rec backup_file \"$bk\"\n");
    rt_buf_puts(&s, "rm -- \"$p\" 2>\"$__playc_scr/e\" || { __playc_rec fail rm; __playc_rec err \"$(cat \"$__playc_scr/e\")\"; "
                    "exit 0; }\n");
  }
  if (content)
    sh_content(&s);
  if (mod_sh_exec(h, &s, &ex2) < 0)
    goto done;
  have2 = true;
  ModCap g = {0};
  if (mod_ps_cap(&ex2, "g", &g) && g.rc != 0) {
    r = mod_fail_result("%s", g.err ? g.err : "");
    mod_ps_cap_free(&g);
    goto done;
  }
  mod_ps_cap_free(&g);
  if ((r = mod_attrs_failure(&ex2, &a, xp)) != NULL)
    goto done;
  if (mod_rec_is(&ex2, "fail", "move")) {
    r = mod_fail_result("Failed to write to file %s", xp);
  } else if (mod_rec_is(&ex2, "fail", "rm")) {
    r = mod_fail_result("%s", mod_rec(&ex2, "err"));
  } else if (ex2.rc != 0) {
    r = mod_fail_result("%s", ex2.err.len ? ex2.err.data : "openssl_dhparam: the request failed");
  } else {
    bool changed = generate || !present || mod_rec_is(&ex2, "ch", "1");
    r = dump(xp, size, changed, mod_rec(&ex2, "backup_file"), content, &ex2);
  }
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s);
  free(path);
  free(state);
  free(owner);
  free(group);
  free(backend);
  free(sym);
  return r;
}

#endif
