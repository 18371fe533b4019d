/*
 * openssh_keypair.c — community.crypto.openssh_keypair with the target's
 * `ssh-keygen` (the collection's opensshbin backend; passphrase and
 * private_key_format need its cryptography backend: no Python on the
 * target). Request 1 checks the folder and the path, reads the private
 * key's `ssh-keygen -l` and `-y` answers, the public key file, and the
 * attributes of both files without changing them; the controller decides
 * as KeypairBackend does (regenerate by `regenerate`/force, else restore a
 * public key that does not match, or remove for state absent). Request 2,
 * only when something changes and never in check mode: the new pair made
 * in the request's private scratch folder and moved into place (an
 * existing file keeps its mode and owner, a new one the generated file's),
 * the public key rewritten (then `ssh-keygen -c` for a comment), or the
 * files removed; then the attributes of both files and the keys read again
 * for the result.
 */
#include "mod.h"

static const ModParam keypair_params[] = {
    {.name = "state", .type = MP_STR, .choices = "present,absent", .def = "present"},
    {.name = "size", .type = MP_INT},
    {.name = "type", .type = MP_STR, .choices = "rsa,dsa,rsa1,ecdsa,ed25519", .def = "rsa"},
    {.name = "force", .type = MP_BOOL, .def = "no"},
    {.name = "path", .type = MP_PATH, .required = true},
    {.name = "comment", .type = MP_STR},
    {.name = "regenerate", .type = MP_STR, .choices = "never,fail,partial_idempotence,full_idempotence,always",
     .def = "partial_idempotence"},
    {.name = "passphrase", .type = MP_STR, .no_log = true},
    {.name = "private_key_format", .type = MP_STR, .choices = "auto,pkcs1,pkcs8,ssh", .def = "auto"},
    {.name = "backend", .type = MP_STR, .choices = "auto,cryptography,opensshbin", .def = "auto"},
    {.name = "attributes", .type = MP_STR, .aliases = "attr"},
    MOD_FILE_COMMON_PARAMS,
};
const ModSchema mod_schema_openssh_keypair = {
    .name = "openssh_keypair",
    .params = keypair_params,
    .nparams = MOD_N(keypair_params),
    .tools = "ssh-keygen",
    .check_mode = true,
    .diff_mode = true,
    .collection = "community.crypto",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* PrivateKey.from_string of `ssh-keygen -l` (NULL fields when it fails). */
typedef struct PrivKey {
  bool ok;
  long long size;
  char *type, *fingerprint;
} PrivKey;

/* PublicKey.load: "type data comment" of the .pub file. */
typedef struct PubKey {
  bool ok;
  char *type, *data, *comment;
} PubKey;

static void priv_parse(const RtExec *ex, const char *key, PrivKey *k) {
  memset(k, 0, sizeof *k);
  ModCap c = {0};
  if (!mod_ps_cap(ex, key, &c) || !c.out) {
    mod_ps_cap_free(&c);
    return;
  }
  RtValue *w = mod_words(c.out);
  long long n;
  if (rt_len(w) >= 2 && mod_py_int(rt_list_at(w, 0)->u.str.s, &n)) {
    const char *last = rt_list_at(w, rt_len(w) - 1)->u.str.s;
    size_t ll = strlen(last);
    k->ok = true;
    k->size = n;
    k->fingerprint = rt_xstrdup(rt_list_at(w, 1)->u.str.s);
    k->type = ll >= 2 ? rt_xstrndup(last + 1, ll - 2) : rt_xstrdup("");
    for (char *p = k->type; *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
  }
  rt_decref(w);
  mod_ps_cap_free(&c);
}

/* The record `key` (file text, 'x' guarded) split as PublicKey.load does. */
static void pub_parse(const RtExec *ex, const char *key, PubKey *k) {
  memset(k, 0, sizeof *k);
  const char *c = mod_rec(ex, key);
  if (!c || !*c)
    return;
  size_t n = strlen(c) - 1, b = 0; /* without the guard */
  while (b < n && (c[b] == ' ' || c[b] == '\n'))
    b++;
  while (n > b && (c[n - 1] == ' ' || c[n - 1] == '\n'))
    n--;
  char *t = rt_xstrndup(c + b, n - b);
  char *sp1 = strchr(t, ' ');
  if (sp1) {
    *sp1 = 0;
    char *sp2 = strchr(sp1 + 1, ' ');
    if (sp2)
      *sp2 = 0;
    k->ok = true;
    k->type = rt_xstrdup(t);
    k->data = rt_xstrdup(sp1 + 1);
    k->comment = rt_xstrdup(sp2 ? sp2 + 1 : "");
  }
  free(t);
}

/* PublicKey.from_string of `ssh-keygen -y`: split(' ', 2) of the line. */
static void pub_from_cap(const RtExec *ex, const char *key, PubKey *k) {
  memset(k, 0, sizeof *k);
  ModCap c = {0};
  if (mod_ps_cap(ex, key, &c) && c.out) {
    size_t n = strlen(c.out);
    while (n && c.out[n - 1] == '\n')
      n--;
    char *t = rt_xstrndup(c.out, n), *sp1 = strchr(t, ' ');
    if (sp1) {
      *sp1 = 0;
      char *sp2 = strchr(sp1 + 1, ' ');
      if (sp2)
        *sp2 = 0;
      k->ok = true;
      k->type = rt_xstrdup(t);
      k->data = rt_xstrdup(sp1 + 1);
      k->comment = rt_xstrdup(sp2 ? sp2 + 1 : "");
    }
    free(t);
  }
  mod_ps_cap_free(&c);
}

static void priv_free(PrivKey *k) {
  free(k->type);
  free(k->fingerprint);
}

static void pub_free(PubKey *k) {
  free(k->type);
  free(k->data);
  free(k->comment);
}

/* Script text: the keys' answers and the .pub file, under key suffix `sfx`. */
static void sh_read(RtBuf *s, const char *sfx) {
  rt_buf_printf(s,
                "if [ -e \"$p\" ]; then __playc_rec pe%s 1; pc_cap l%s \"$kg\" -l -f \"$p\"; "
                "pc_cap y%s \"$kg\" -P '' -y -f \"$p\"; fi\n"
                "if [ -e \"$p.pub\" ]; then __playc_rec ue%s 1; c=$(cat -- \"$p.pub\" 2>/dev/null; printf x); "
                "__playc_rec pub%s \"$c\"; fi\n",
                sfx, sfx, sfx, sfx, sfx);
}

/* Script text: set_fs_attributes_if_different on "$p" and "$p.pub" (ck: only look). */
static void sh_attrs(RtBuf *s, const ModAttrs *a, bool ck) {
  rt_buf_printf(s, "ch=0; ck=%d; pp=$p.pub\n", ck ? 1 : 0);
  rt_buf_puts(s, "if [ -e \"$p\" ]; then\n");
  mod_sh_attrs_apply(s, "p", a, NULL);
  rt_buf_puts(s, "else ch=1; fi\nif [ -e \"$pp\" ]; then\n");
  mod_sh_attrs_apply(s, "pp", a, NULL);
  rt_buf_puts(s, "else ch=1; fi\n__playc_rec ch \"$ch\"\n");
}

static RtValue *key_dict(const PrivKey *k, const PubKey *u) {
  RtValue *d = rt_dict_new(6);
  if (k->ok) {
    rt_dict_set(d, "size", rt_int(k->size));
    rt_dict_set(d, "type", rt_strz(k->type));
    rt_dict_set(d, "fingerprint", rt_strz(k->fingerprint));
    rt_dict_set(d, "format", rt_strz(""));
  }
  if (u->ok) {
    rt_dict_set(d, "comment", rt_strz(u->comment));
    rt_dict_set(d, "public_key", rt_strz(u->data));
  }
  return d;
}

/* _get_size: the size for the type, or NULL with the module's failure. */
static RtValue *key_size(const char *type, bool given, long long size, long long *out) {
  if (!strcmp(type, "rsa") || !strcmp(type, "rsa1")) {
    *out = given ? size : 4096;
    if (*out < 1024)
      return mod_fail_result("For RSA keys, the minimum size is 1024 bits and the default is 4096 bits. "
                             "Attempting to use bit lengths under 1024 will cause the module to fail.");
  } else if (!strcmp(type, "dsa")) {
    *out = given ? size : 1024;
    if (*out != 1024)
      return mod_fail_result("DSA keys must be exactly 1024 bits as specified by FIPS 186-2.");
  } else if (!strcmp(type, "ecdsa")) {
    *out = given ? size : 256;
    if (*out != 256 && *out != 384 && *out != 521)
      return mod_fail_result("For ECDSA keys, size determines the key length by selecting from one of three "
                             "elliptic curve sizes: 256, 384 or 521 bits. Attempting to use bit lengths other "
                             "than these three values for ECDSA keys will cause this module to fail.");
  } else {
    *out = 256;
  }
  return NULL;
}

typedef struct Kp {
  char *path, *state, *type, *comment, *regenerate, *backend, *passphrase, *format, *owner, *group, *sym;
  long long size;
  bool force;
  ModAttrs a;
} Kp;

static void kp_free(Kp *k) {
  free(k->path);
  free(k->state);
  free(k->type);
  free(k->comment);
  free(k->regenerate);
  free(k->backend);
  free(k->passphrase);
  free(k->format);
  free(k->owner);
  free(k->group);
  free(k->sym);
}

/* Request 2's action: the new pair, the public key rewritten, or removal. */
static void sh_action(RtBuf *s, const Kp *k, bool generate, bool restore, bool remove, const PubKey *valid_pub) {
  if (generate) {
    const char *base = strrchr(k->path, '/') ? strrchr(k->path, '/') + 1 : k->path;
    mod_sh_set(s, "base", base);
    mod_sh_set(s, "cm", k->comment ? k->comment : "");
    rt_buf_printf(s, "t=$__playc_scr/$base\n"
                     "pc_cap g \"$kg\" -q -N '' -b %lld -t %s -f \"$t\" -C \"$cm\"\n"
                     "[ -e \"$t\" ] && [ -e \"$t.pub\" ] || { __playc_rec fail gen; exit 0; }\n",
                  k->size, k->type);
    rt_buf_puts(s, "for d in \"$p\" \"$p.pub\"; do\n"
                   "  case $d in *.pub) f=$t.pub;; *) f=$t;; esac\n"
                   "  if [ -e \"$d\" ]; then chmod \"$(stat -c %a -- \"$d\")\" \"$f\"; "
                   "chown \"$(stat -c %u:%g -- \"$d\")\" \"$f\" 2>/dev/null; "
                   "mv -f -- \"$f\" \"$d\" 2>/dev/null || cp -p -- \"$f\" \"$d\" || { __playc_rec fail move; exit 0; }\n"
                   "  else cp -p -- \"$f\" \"$d\" || { __playc_rec fail move; exit 0; }; fi\n"
                   "done\n");
  } else if (restore) {
    char *line = rt_xasprintf("%s %s\n", valid_pub->type, valid_pub->data);
    mod_sh_set(s, "line", line);
    free(line);
    rt_buf_puts(s, "d=$p.pub; f=$__playc_scr/pub\n"
                   "printf %s \"$line\" > \"$f\" || exit 1\n"
                   "if [ -e \"$d\" ]; then chmod \"$(stat -c %a -- \"$d\")\" \"$f\"; "
                   "chown \"$(stat -c %u:%g -- \"$d\")\" \"$f\" 2>/dev/null; mv -f -- \"$f\" \"$d\" 2>/dev/null || "
                   "cp -p -- \"$f\" \"$d\" || { __playc_rec fail restore; exit 0; }\n"
                   "else chmod 644 \"$f\"; cp -p -- \"$f\" \"$d\" || { __playc_rec fail restore; exit 0; }; fi\n");
    if (k->comment && *k->comment) {
      mod_sh_set(s, "cm", k->comment);
      rt_buf_puts(s, "[ -w \"$p\" ] || chmod 600 \"$p\"\n"
                     "pc_cap c \"$kg\" -q -o -c -C \"$cm\" -f \"$p\"\n");
    }
  } else if (remove) {
    rt_buf_puts(s, "for d in \"$p\" \"$p.pub\"; do [ ! -e \"$d\" ] || rm -f -- \"$d\" 2>\"$__playc_scr/e\" || "
                   "{ __playc_rec fail rm; __playc_rec err \"$(cat \"$__playc_scr/e\")\"; exit 0; }; done\n");
  }
}

static RtValue *read_args(RtValue *args, Kp *k) {
  memset(k, 0, sizeof *k);
  k->path = mod_arg_str(args, "path");
  k->state = mod_arg_str(args, "state");
  k->type = mod_arg_str(args, "type");
  k->comment = mod_arg_str(args, "comment");
  k->regenerate = mod_arg_str(args, "regenerate");
  k->backend = mod_arg_str(args, "backend");
  k->passphrase = mod_arg_str(args, "passphrase");
  k->format = mod_arg_str(args, "private_key_format");
  k->owner = mod_arg_str(args, "owner");
  k->group = mod_arg_str(args, "group");
  if (!k->type)
    k->type = rt_xstrdup("rsa");
  if (!k->state)
    k->state = rt_xstrdup("present");
  k->force = mod_arg_bool(args, "force", 0) == 1;
  if (!k->regenerate || k->force) {
    free(k->regenerate);
    k->regenerate = rt_xstrdup(k->force ? "always" : "partial_idempotence");
  }
  long mode = mod_arg_mode(args, "mode");
  if (mode == -2) {
    k->sym = mod_arg_str(args, "mode");
    mode = -1;
  }
  k->a = (ModAttrs){k->owner, k->group, mode, k->sym, false};
  long long size = 0;
  int given = mod_arg_int(args, "size", &size);
  if (given < 0)
    return mod_fail_result("argument 'size' is of type str and we were unable to convert to int");
  if ((k->passphrase && *k->passphrase) || (k->backend && !strcmp(k->backend, "cryptography")))
    return mod_fail_result("playc runs the opensshbin backend only (ssh-keygen on the target): passphrase and "
                           "backend=cryptography need the Python cryptography library on the target");
  return key_size(k->type, given == 1, size, &k->size);
}

RtValue *mod_openssh_keypair(RtHost *h, RtValue *args) {
  Kp k;
  RtValue *r = read_args(args, &k);
  RtExec ex, ex2;
  bool have = false, have2 = false;
  PrivKey op = {0}, np = {0};
  PubKey ou = {0}, nu = {0}, vu = {0};
  RtBuf s = {0};
  if (r)
    goto done;
  bool present = strcmp(k.state, "absent") != 0;
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, "pc_bin ssh-keygen || { __playc_rec fail nokeygen; exit 0; }\nkg=$pc_v\n");
  mod_sh_set_path(&s, "p", k.path);
  rt_buf_puts(&s, "__playc_rec path \"$p\"\n"
                  "case $p in */*) bd=${p%/*};; *) bd=;; esac\n"
                  "[ -n \"$bd\" ] || bd=.\n"
                  "[ -d \"$bd\" ] || { __playc_rec fail nodir; __playc_rec bd \"$bd\"; exit 0; }\n"
                  "[ ! -d \"$p\" ] || { __playc_rec fail isdir; exit 0; }\n");
  mod_sh_attrs_begin(&s, &k.a);
  sh_read(&s, "1");
  if (present)
    sh_attrs(&s, &k.a, true);
  if (mod_sh_exec(h, &s, &ex) < 0)
    goto done;
  have = true;
  const char *xp = mod_rec(&ex, "path") ? mod_rec(&ex, "path") : k.path;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec_is(&ex, "fail", "nokeygen")) {
    r = mod_fail_result(k.backend && !strcmp(k.backend, "opensshbin")
                            ? "Cannot find the OpenSSH binary in the PATH"
                            : "Cannot find either the OpenSSH binary in the PATH or cryptography >= 2.6 installed "
                              "on this system");
    goto done;
  }
  if (k.format && strcmp(k.format, "auto") != 0) {
    r = mod_fail_result("'auto' is the only valid option for 'private_key_format' when 'backend' is not "
                        "'cryptography'");
    goto done;
  }
  if (mod_rec_is(&ex, "fail", "nodir")) {
    r = mod_fail_result("The directory %s does not exist or the file is not a directory", mod_rec(&ex, "bd"));
    rt_dict_set(r, "name", rt_strz(mod_rec(&ex, "bd")));
    goto done;
  }
  if (mod_rec_is(&ex, "fail", "isdir")) {
    r = mod_fail_result("%s is a directory. Please specify a path to a file.", xp);
    goto done;
  }
  if ((r = mod_attrs_failure(&ex, &k.a, xp)) != NULL)
    goto done;
  bool priv_exists = mod_rec_is(&ex, "pe1", "1"), pub_exists = mod_rec_is(&ex, "ue1", "1");
  if (priv_exists)
    priv_parse(&ex, "l1", &op);
  pub_parse(&ex, "pub1", &ou);
  bool generate = false, restore = false, remove = false;
  if (present) {
    const char *rg = k.regenerate;
    ModCap y = {0};
    bool readable = false;
    if (priv_exists && mod_ps_cap(&ex, "y1", &y))
      readable = !(y.rc == 255 || (y.err && (strstr(y.err, "is not a public key file") ||
                                             strstr(y.err, "incorrect passphrase") || strstr(y.err, "load failed"))));
    mod_ps_cap_free(&y);
    if (priv_exists && (!strcmp(rg, "never") || !strcmp(rg, "fail") || !strcmp(rg, "partial_idempotence")) &&
        (!op.ok || !readable)) {
      r = mod_fail_result("Unable to read the key. The key is protected with a passphrase or broken. Will not "
                          "proceed. To force regeneration, call the module with `generate` set to "
                          "`full_idempotence` or `always`, or with `force=true`.");
      goto done;
    }
    bool valid = op.ok && op.size == k.size && !strcmp(op.type, k.type);
    if (!op.ok)
      generate = true;
    else if (!strcmp(rg, "never"))
      generate = false;
    else if (!strcmp(rg, "fail")) {
      if (!valid) {
        r = mod_fail_result("Key has wrong type and/or size. Will not proceed. To force regeneration, call the "
                            "module with `generate` set to `partial_idempotence`, `full_idempotence` or "
                            "`always`, or with `force=true`.");
        goto done;
      }
    } else if (!strcmp(rg, "partial_idempotence") || !strcmp(rg, "full_idempotence"))
      generate = !valid;
    else
      generate = true;
    if (!generate) { /* _public_key_valid */
      pub_from_cap(&ex, "y1", &vu);
      bool pv = ou.ok && vu.ok && !strcmp(ou.type, vu.type) && !strcmp(ou.data, vu.data) &&
                (!k.comment || !strcmp(ou.comment, k.comment));
      restore = !pv;
      if (restore && !vu.ok) {
        r = mod_fail_result("unexpected error occurred: list index out of range");
        goto done;
      }
    }
  } else {
    remove = priv_exists || pub_exists;
  }
  bool changed = generate || restore || remove;
  bool attrs_same = present && mod_rec_is(&ex, "ch", "0");
  const RtExec *fin = &ex;
  if (!h->check_mode && (changed || (present && !attrs_same))) {
    mod_ps_sh_begin(&s);
    rt_buf_puts(&s, "pc_bin ssh-keygen || exit 1\nkg=$pc_v\n");
    mod_sh_set(&s, "p", xp);
    mod_sh_attrs_begin(&s, &k.a);
    sh_action(&s, &k, generate, restore, remove, &vu);
    if (present)
      sh_attrs(&s, &k.a, false);
    sh_read(&s, "2");
    if (mod_sh_exec(h, &s, &ex2) < 0)
      goto done;
    have2 = true;
    if ((r = mod_attrs_failure(&ex2, &k.a, xp)) != NULL)
      goto done;
    ModCap g = {0};
    if (mod_rec_is(&ex2, "fail", "gen")) {
      mod_ps_cap(&ex2, "g", &g);
      r = mod_fail_result("%s", g.err && *g.err ? g.err : "ssh-keygen made no key");
    } else if (mod_rec(&ex2, "fail")) {
      const char *why = mod_rec(&ex2, "fail");
      r = !strcmp(why, "restore") ? mod_fail_result("The public key is missing or does not match the private key. "
                                                    "Unable to regenerate the public key.")
          : !strcmp(why, "rm")    ? mod_fail_result("%s", mod_rec(&ex2, "err") ? mod_rec(&ex2, "err") : "")
                                  : mod_fail_result("could not move the new key into %s", xp);
    } else if (ex2.rc != 0) {
      r = mod_fail_result("%s", ex2.err.len ? ex2.err.data : "openssh_keypair: the request failed");
    }
    mod_ps_cap_free(&g);
    if (r)
      goto done;
    fin = &ex2;
    changed |= present && mod_rec_is(&ex2, "ch", "1");
  } else if (present && !attrs_same) {
    changed = true; /* check mode: an attribute differs, or a file is missing */
  }
  if (present && fin == &ex2) {
    priv_parse(&ex2, "l2", &np);
    pub_parse(&ex2, "pub2", &nu);
  } else if (present) { /* _load_private_key again: the files as they are */
    priv_parse(&ex, "l1", &np);
    pub_parse(&ex, "pub1", &nu);
  }
  const PrivKey *pk = np.ok ? &np : &op;
  const PubKey *uk = nu.ok ? &nu : &ou;
  r = rt_dict_new(8);
  rt_dict_set(r, "size", rt_int(k.size));
  rt_dict_set(r, "type", rt_strz(k.type));
  rt_dict_set(r, "filename", rt_strz(xp));
  rt_dict_set(r, "fingerprint", rt_strz(pk->ok ? pk->fingerprint : ""));
  rt_dict_set(r, "public_key", uk->ok ? rt_str_take(rt_xasprintf("%s %s", uk->type, uk->data),
                                                    strlen(uk->type) + strlen(uk->data) + 1)
                                      : rt_strz(""));
  rt_dict_set(r, "comment", rt_strz(uk->ok ? uk->comment : ""));
  rt_dict_set(r, "changed", rt_bool(changed));
  if (h->diff_mode) {
    RtValue *d = rt_dict_new(2);
    RtValue *before = key_dict(&op, &ou), *after = key_dict(&np, &nu);
    rt_dict_set(d, "before", before);
    rt_dict_set(d, "after", after);
    rt_dict_set(r, "diff", d);
  }
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_buf_free(&s);
  priv_free(&op);
  priv_free(&np);
  pub_free(&ou);
  pub_free(&nu);
  pub_free(&vu);
  kp_free(&k);
  return r;
}

#endif
