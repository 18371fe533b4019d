/*
 * rpm_key.c — the rpm_key module: a GPG key in or out of the target's rpm
 * database, with the target's rpm and gpg (gpg2 when gpg is missing).
 * Request 1 classifies the key as the module does (a URL, fetched with
 * curl into a private temp file; a key id; a file on the target), reads
 * the key's id and fingerprint with gpg, and the imported keys (`rpm -q
 * gpg-pubkey`, their descriptions through gpg); the controller decides
 * with the module's rules (a key id matches as a substring of field 5).
 * Request 2, only for a change outside check mode, runs `rpm --import
 * FILE` or `rpm --erase --allmatches gpg-pubkey-ID`.
 */
#include "mod.h"

static const ModParam rpm_key_params[] = {
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "key", .type = MP_STR, .required = true},
    {.name = "fingerprint", .type = MP_STR},
    {.name = "validate_certs", .type = MP_BOOL, .def = "true"},
};
const ModSchema mod_schema_rpm_key = {
    .name = "rpm_key",
    .params = rpm_key_params,
    .nparams = MOD_N(rpm_key_params),
    .tools = "rpm,gpg,curl",
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Script text: the key file in $kf (URL fetched, or the path), its gpg
 * listings (caps id, fpr), and the imported keys (caps q, qd). */
static const char read_script[] =
    "pc_bin rpm || pc_nobin rpm; rpm=$pc_v\n"
    "if pc_bin gpg; then gpg=$pc_v; else pc_bin gpg2 || pc_nobin gpg2; gpg=$pc_v; fi\n"
    "kf=\n"
    "if [ $kind = url ]; then\n"
    "  pc_bin curl || pc_nobin curl\n"
    "  kf=$__playc_scr/key\n"
    "  st=$(\"$pc_v\" -s -S -L $insecure -o \"$kf\" -w '%{http_code}' -- \"$k\" 2>\"$__playc_scr/ce\") || "
    "{ __playc_rec fetch \"$(cat \"$__playc_scr/ce\")\"; exit 0; }\n"
    "  [ \"$st\" = 200 ] || { __playc_rec fetch \"HTTP Error $st\"; exit 0; }\n"
    "  c=$(cat -- \"$kf\"; echo .); __playc_rec body \"$c\"\n"
    "elif [ $kind = path ]; then\n"
    "  [ -f \"$k\" ] || { __playc_rec invalid 1; exit 0; }\n"
    "  kf=$k\n"
    "fi\n"
    "if [ -n \"$kf\" ]; then\n"
    "  pc_cap id \"$gpg\" --no-tty --batch --with-colons --fixed-list-mode \"$kf\"\n"
    "  [ -z \"$fp\" ] || pc_cap fpr \"$gpg\" --no-tty --batch --with-colons --fixed-list-mode --with-fingerprint "
    "\"$kf\"\n"
    "fi\n"
    "if pc_cap q \"$rpm\" -q gpg-pubkey; then\n"
    "  \"$rpm\" -q gpg-pubkey --qf '%{description}' </dev/null 2>/dev/null | \"$gpg\" --no-tty --batch --with-colons "
    "--fixed-list-mode - >\"$__playc_scr/o\" 2>\"$__playc_scr/e\"; pc_r=$?; pc_put qd\n"
    "fi\n";

/* Field `n` (0-based) of the first line of `out` starting with `prefix`
 * (lines stripped), malloc'd, or NULL. */
static char *colon_field(const char *out, const char *prefix, int n) {
  for (const char *p = out ? out : ""; *p;) {
    size_t len = strcspn(p, "\n");
    const char *b = p, *e = p + len;
    while (b < e && isspace((unsigned char)*b))
      b++;
    while (e > b && isspace((unsigned char)e[-1]))
      e--;
    if ((size_t)(e - b) >= strlen(prefix) && strncmp(b, prefix, strlen(prefix)) == 0) {
      const char *f = b;
      for (int i = 0; i < n && f; i++) {
        f = memchr(f, ':', (size_t)(e - f));
        f = f ? f + 1 : NULL;
      }
      if (!f)
        return rt_xstrdup(""); /* IndexError in the module */
      const char *fe = memchr(f, ':', (size_t)(e - f));
      return rt_xstrndup(f, fe ? (size_t)(fe - f) : (size_t)(e - f));
    }
    p += len + (p[len] == '\n');
  }
  return NULL;
}

/* re.match('(0x)?[0-9a-f]{8}', key, re.I) */
static bool is_keyid(const char *k) {
  if ((k[0] == '0' && (k[1] | 32) == 'x') && strlen(k) >= 10) {
    bool hex = true;
    for (int i = 2; i < 10; i++)
      hex = hex && isxdigit((unsigned char)k[i]);
    if (hex)
      return true;
  }
  for (int i = 0; i < 8; i++)
    if (!isxdigit((unsigned char)k[i]))
      return false;
  return true;
}

/* A command's failure: the module's fail_json(msg=stderr). */
static RtValue *cmd_failure(const RtExec *ex, const char *key) {
  ModCap c;
  if (!mod_ps_cap(ex, key, &c))
    return NULL;
  RtValue *r = c.rc != 0 ? mod_fail_result("%s", c.err ? c.err : "") : NULL;
  mod_ps_cap_free(&c);
  return r;
}

RtValue *mod_rpm_key(RtHost *h, RtValue *args) {
  char *state = mod_arg_str(args, "state"), *key = mod_arg_str(args, "key");
  char *fp = mod_arg_str(args, "fingerprint");
  bool present = !state || strcmp(state, "present") == 0;
  RtValue *r = NULL;
  RtBuf s = {0}, s2 = {0};
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  char *err = NULL, *keyid = NULL;
  if (fp) { /* replace(' ', '').upper() */
    char *w = fp;
    for (char *p = fp; *p; p++)
      if (*p != ' ')
        *w++ = (char)toupper((unsigned char)*p);
    *w = 0;
  }
  const char *kind = strstr(key, "://") ? "url" : is_keyid(key) ? "id" : "path";
  mod_ps_sh_begin(&s);
  mod_sh_set(&s, "k", key);
  mod_sh_set(&s, "kind", kind);
  mod_sh_set(&s, "fp", fp ? fp : "");
  mod_sh_set(&s, "insecure", mod_arg_bool(args, "validate_certs", 1) == 0 ? "-k" : "");
  rt_buf_puts(&s, read_script);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec(&ex, "invalid")) {
    r = mod_fail_result("Not a valid key %s", key);
    goto done;
  }
  if (mod_rec(&ex, "fetch")) {
    r = mod_fail_result("failed to fetch key at %s , error was: %s", key, mod_rec(&ex, "fetch"));
    goto done;
  }
  if (mod_rec(&ex, "body")) {
    const char *b = mod_rec(&ex, "body"), *beg = strstr(b, "-----BEGIN PGP PUBLIC KEY BLOCK-----");
    if (!beg || !strstr(beg, "-----END PGP PUBLIC KEY BLOCK-----")) {
      r = mod_fail_result("Not a public key: %s", key);
      goto done;
    }
  }
  bool has_file = strcmp(kind, "id") != 0;
  if (has_file) {
    if ((r = cmd_failure(&ex, "id")) != NULL)
      goto done;
    ModCap c;
    if (mod_ps_cap(&ex, "id", &c)) {
      keyid = colon_field(c.out, "pub:", 4);
      mod_ps_cap_free(&c);
    }
    if (!keyid) {
      r = mod_fail_result("Unexpected gpg output");
      goto done;
    }
  } else {
    keyid = rt_xstrdup(key);
  }
  { /* normalize_keyid: strip, upper, no 0X */
    char *b = keyid, *e = keyid + strlen(keyid);
    while (b < e && isspace((unsigned char)*b))
      b++;
    while (e > b && isspace((unsigned char)e[-1]))
      e--;
    for (char *p = b; p < e; p++)
      *p = (char)toupper((unsigned char)*p);
    if (e - b >= 2 && b[0] == '0' && b[1] == 'X')
      b += 2;
    memmove(keyid, b, (size_t)(e - b));
    keyid[e - b] = 0;
  }
  bool imported = false;
  ModCap q;
  if (mod_ps_cap(&ex, "q", &q)) {
    if (q.rc == 0) {
      if ((r = cmd_failure(&ex, "qd")) != NULL) {
        mod_ps_cap_free(&q);
        goto done;
      }
      ModCap d;
      if (mod_ps_cap(&ex, "qd", &d)) {
        for (const char *p = d.out ? d.out : ""; *p && !imported;) {
          size_t len = strcspn(p, "\n");
          char *line = rt_xstrndup(p, len);
          char *f = colon_field(line, "", 4);
          imported = f && strstr(f, keyid) != NULL;
          free(f);
          free(line);
          p += len + (p[len] == '\n');
        }
        mod_ps_cap_free(&d);
      }
    }
    mod_ps_cap_free(&q);
  }
  bool changed = false;
  if (present && !imported) {
    if (!has_file) {
      r = mod_fail_result("When importing a key, a valid file must be given");
      goto done;
    }
    if (fp) {
      if ((r = cmd_failure(&ex, "fpr")) != NULL)
        goto done;
      ModCap c;
      char *has = NULL;
      if (mod_ps_cap(&ex, "fpr", &c)) {
        has = colon_field(c.out, "fpr:", 9);
        mod_ps_cap_free(&c);
      }
      if (!has) {
        r = mod_fail_result("Unexpected gpg output");
        goto done;
      }
      if (strcmp(has, fp) != 0) {
        r = mod_fail_result("The specified fingerprint, '%s', does not match the key fingerprint '%s'", fp, has);
        free(has);
        goto done;
      }
      free(has);
    }
    changed = true;
  } else if (!present && imported) {
    changed = true;
  }
  if (changed && !h->check_mode) {
    mod_ps_sh_begin(&s2);
    rt_buf_puts(&s2, "pc_bin rpm || pc_nobin rpm; rpm=$pc_v\n");
    if (present) {
      mod_sh_set(&s2, "k", key);
      mod_sh_set(&s2, "kind", kind);
      mod_sh_set(&s2, "insecure", mod_arg_bool(args, "validate_certs", 1) == 0 ? "-k" : "");
      rt_buf_puts(&s2, "kf=$k\n"
                       "if [ $kind = url ]; then pc_bin curl || pc_nobin curl; kf=$__playc_scr/key\n"
                       "  \"$pc_v\" -s -S -L $insecure -o \"$kf\" -- \"$k\" 2>/dev/null; fi\n"
                       "pc_cap run \"$rpm\" --import \"$kf\"\n");
    } else {
      size_t n = strlen(keyid);
      char *pkg = rt_xasprintf("gpg-pubkey-%s", keyid + (n > 8 ? n - 8 : 0));
      for (char *p = pkg; *p; p++)
        *p = (char)tolower((unsigned char)*p);
      mod_sh_set(&s2, "p", pkg);
      free(pkg);
      rt_buf_puts(&s2, "pc_cap run \"$rpm\" --erase --allmatches \"$p\"\n");
    }
    if (rt_host_exec(h, s2.data, NULL, 0, &ex2, &err) < 0)
      goto done;
    have2 = true;
    if ((r = mod_ps_missing(&ex2)) != NULL || (r = cmd_failure(&ex2, "run")) != NULL)
      goto done;
  }
  r = rt_dict_new(1);
  rt_dict_set(r, "changed", rt_bool(changed));
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s);
  rt_buf_free(&s2);
  free(keyid);
  free(err);
  free(state);
  free(key);
  free(fp);
  return r;
}

#endif
