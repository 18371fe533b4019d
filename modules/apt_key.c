/*
 * apt_key.c — the apt_key module on the target's apt-key and gpg: the key's
 * id from `gpg --with-colons` (a file on the target, `data`, or `url`
 * fetched with curl or wget there), the keyring's keys from `apt-key adv
 * --list-public-keys --keyid-format=long`, both read here by Ansible's
 * rules (parse_output_for_keys), in one request; a second request adds
 * (apt-key add FILE or -, or adv --recv from `keyserver`, with Ansible's
 * five tries) or deletes (apt-key del SHORTID) and lists the keys again to
 * check the change took. Results: changed, id, short_id, fp, key_id,
 * before, after; failures carry Ansible's messages and command lines.
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam apt_key_params[] = {
    {.name = "id", .type = MP_STR},
    {.name = "url", .type = MP_STR},
    {.name = "data", .type = MP_STR},
    {.name = "file", .type = MP_PATH},
    {.name = "keyring", .type = MP_PATH},
    {.name = "validate_certs", .type = MP_BOOL, .def = "yes"},
    {.name = "keyserver", .type = MP_STR},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
};
const ModSchema mod_schema_apt_key = {
    .name = "apt_key",
    .params = apt_key_params,
    .nparams = MOD_N(apt_key_params),
    .exclusive = "data,file,keyserver,url",
    .tools = "apt-key,gpg",
    .check_mode = true,
    .diff_mode = false};

#ifndef MOD_SCHEMA_ONLY

typedef struct Key {
  RtHost *h;
  char *id, *url, *data, *file, *keyring, *keyserver, *state;
  bool validate_certs;
} Key;

/* parse_output_for_keys */
static RtValue *parse_keys(const char *out, bool short_format) {
  RtValue *found = rt_list_new(8);
  char *copy = rt_xstrdup(out);
  for (char *line = copy, *next; line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = 0;
    if ((strncmp(line, "pub", 3) && strncmp(line, "sub", 3)) || strstr(line, "expired"))
      continue;
    /* apt-key's format: the second word is LEN/CODE */
    char *code = NULL;
    const char *p = line;
    while (*p && !isspace((unsigned char)*p))
      p++;
    while (*p && isspace((unsigned char)*p))
      p++;
    const char *e = p;
    while (*e && !isspace((unsigned char)*e))
      e++;
    char *tok = *p ? rt_xstrndup(p, (size_t)(e - p)) : NULL, *slash = tok ? strchr(tok, '/') : NULL;
    if (slash && !strchr(slash + 1, '/')) {
      code = rt_xstrdup(slash + 1);
    } else { /* gpg's colon format: the fifth field */
      const char *f = line;
      int n = 0;
      while (f && n < 4) {
        f = strchr(f, ':');
        if (f)
          f++;
        n++;
      }
      if (f) {
        const char *c = strchr(f, ':');
        code = c ? rt_xstrndup(f, (size_t)(c - f)) : rt_xstrdup(f);
      }
    }
    free(tok);
    if (!code)
      continue;
    if (short_format && strlen(code) > 8) {
      char *s = rt_xstrdup(code + strlen(code) - 8);
      free(code);
      code = s;
    }
    rt_list_push(found, rt_str_take(code, strlen(code)));
  }
  free(copy);
  return found;
}

static bool list_has(RtValue *l, const char *s) {
  for (size_t i = 0; i < rt_len(l); i++)
    if (!strcmp(rt_list_at(l, i)->u.str.s, s))
      return true;
  return false;
}

/* `set -- "$ak" [--keyring K]` then the words of an apt-key command */
static void ak_args(RtBuf *s, const Key *k) {
  rt_buf_puts(s, "set -- \"$ak\"");
  if (k->keyring)
    rt_buf_puts(s, " --keyring \"$kr\"");
}

/* The text of an apt-key command line as Ansible builds it. */
static char *ak_text(const char *ak, const Key *k, const char *rest) {
  return k->keyring ? rt_xasprintf("%s --keyring %s %s", ak, k->keyring, rest) : rt_xasprintf("%s %s", ak, rest);
}

static void begin(RtBuf *s, const Key *k) {
  mod_ps_sh_begin(s);
  rt_buf_puts(s, "pc_locale\n");
  mod_ps_sh_need(s, "ak", "apt-key");
  mod_ps_sh_need(s, "gp", "gpg");
  rt_buf_puts(s, "__playc_rec ak \"$ak\"; __playc_rec gp \"$gp\"; __playc_rec loc \"$pc_loc\"\n");
  if (k->keyring)
    mod_sh_set_path(s, "kr", k->keyring);
}

/* A download of `url` into "$__playc_scr/key" (fetch_url's part). */
static void fetch_script(RtBuf *s, const Key *k) {
  mod_sh_set(s, "url", k->url);
  rt_buf_printf(s, "if pc_bin curl; then pc_cap dl \"$pc_v\" -sSL %s-o \"$__playc_scr/key\" -- \"$url\"\n"
                   "elif pc_bin wget; then pc_cap dl \"$pc_v\" -q %s-O \"$__playc_scr/key\" -- \"$url\"\n"
                   "else pc_nobin curl; fi\n"
                   "[ \"$pc_r\" = 0 ] || exit 0\n",
                k->validate_certs ? "" : "-k ", k->validate_certs ? "" : "--no-check-certificate ");
}

static void list_script(RtBuf *s, const Key *k, const char *key) {
  ak_args(s, k);
  rt_buf_printf(s, " adv --list-public-keys --keyid-format=long\npc_cap %s \"$@\"\n", key);
}

/* parse_key_id: NULL with a failure, else the three forms. */
static bool parse_key_id(const char *id, char **short_id, char **fp, char **key_id) {
  const char *p = id;
  while (isspace((unsigned char)*p))
    p++;
  const char *digits = p;
  if (*digits == '+' || *digits == '-')
    digits++;
  if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
    digits += 2;
  /* int(key_id, 16) */
  size_t n = 0;
  for (const char *q = digits; *q && !isspace((unsigned char)*q); q++, n++)
    if (!isxdigit((unsigned char)*q) && *q != '_')
      return false;
  if (!n)
    return false;
  char *k = rt_xstrdup(id);
  for (char *q = k; *q; q++)
    *q = (char)toupper((unsigned char)*q);
  if (k[0] == '0' && k[1] == 'X')
    memmove(k, k + 2, strlen(k) - 1);
  size_t len = strlen(k);
  if (len != 8 && len != 16 && len <= 16) {
    free(k);
    return false;
  }
  *short_id = rt_xstrdup(k + len - 8);
  *fp = rt_xstrdup(len > 16 ? k + len - 16 : k);
  *key_id = k;
  return true;
}

static RtValue *fail_with(RtValue *r, const char *msg) {
  RtValue *f = mod_fail_result("%s", msg);
  for (size_t i = 0; r && i < r->u.dict.len; i++)
    if (strcmp(r->u.dict.ents[i].key->u.str.s, "changed") != 0)
      rt_dict_set(f, r->u.dict.ents[i].key->u.str.s, rt_incref(r->u.dict.ents[i].val));
  return f;
}

static RtValue *cmd_failure(const char *msg, const char *cmd, const ModCap *c) {
  RtValue *f = mod_fail_result("%s", msg);
  rt_dict_set(f, "cmd", rt_strz(cmd));
  rt_dict_set(f, "rc", rt_int(c->rc));
  mod_ps_out(f, c->out, c->err);
  return f;
}

static RtValue *key_run(Key *k) {
  RtHost *h = k->h;
  RtBuf s = {0};
  RtExec ex, ex2;
  bool have1 = false, have2 = false;
  RtValue *r = NULL, *before = NULL, *after = NULL;
  char *short_id = NULL, *fp = NULL, *key_id = NULL, *id = k->id ? rt_xstrdup(k->id) : NULL, *text = NULL;
  ModCap c = {0};
  if (!id && k->keyserver) {
    r = mod_fail_result("Missing key_id, required with keyserver.");
    goto done;
  }
  /* request 1: the tools, the key's id when not given, the keys */
  begin(&s, k);
  if (!id && (k->url || k->file || k->data)) {
    if (k->url)
      fetch_script(&s, k);
    if (k->file) {
      mod_sh_set_path(&s, "kf", k->file);
      rt_buf_puts(&s, "LANG=$pc_loc LC_ALL=$pc_loc LC_MESSAGES=$pc_loc pc_cap kid \"$gp\" --with-colons \"$kf\"\n");
    } else {
      if (k->data)
        mod_sh_set(&s, "kd", k->data);
      else
        rt_buf_puts(&s, "kd=$(cat \"$__playc_scr/key\"; echo .); kd=${kd%.}\n");
      rt_buf_puts(&s, "LANG=$pc_loc LC_ALL=$pc_loc LC_MESSAGES=$pc_loc pc_capin kid \"$kd\" \"$gp\" --with-colons -\n");
    }
  }
  list_script(&s, k, "keys");
  char *err = NULL;
  int xrc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  free(err);
  rt_buf_free(&s);
  if (xrc < 0)
    goto done;
  have1 = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  const char *ak = mod_rec(&ex, "ak");
  if (mod_ps_cap(&ex, "dl", &c) && c.rc != 0) {
    r = mod_fail_result("error getting key id from url: %s", k->url);
    goto done;
  }
  mod_ps_cap_free(&c);
  if (mod_ps_cap(&ex, "kid", &c)) {
    if (c.rc != 0) {
      char *m = rt_xasprintf("Unable to extract key from '%s'", k->file ? k->file : "inline data");
      r = mod_fail_result("%s", m);
      free(m);
      mod_ps_out(r, c.out, c.err);
      goto done;
    }
    RtValue *ids = parse_keys(c.out, false);
    if (rt_len(ids))
      id = rt_xstrdup(rt_list_at(ids, 0)->u.str.s);
    rt_decref(ids);
  }
  mod_ps_cap_free(&c);
  r = rt_dict_new(8);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "id", id ? rt_strz(id) : rt_none());
  if (!id || !parse_key_id(id, &short_id, &fp, &key_id)) {
    RtValue *f = fail_with(r, "Invalid key_id");
    rt_decref(r);
    r = f;
    goto done;
  }
  rt_dict_set(r, "short_id", rt_strz(short_id));
  rt_dict_set(r, "fp", rt_strz(fp));
  rt_dict_set(r, "key_id", rt_strz(key_id));
  bool short_format = strlen(key_id) == 8;
  mod_ps_cap(&ex, "keys", &c);
  if (c.rc != 0) {
    char *t = ak_text(ak, k, "adv --list-public-keys --keyid-format=long");
    RtValue *f = cmd_failure("Unable to list public keys", t, &c);
    free(t);
    rt_decref(r);
    r = f;
    goto done;
  }
  before = parse_keys(c.out, short_format);
  mod_ps_cap_free(&c);
  rt_dict_set(r, "before", rt_incref(before));
  bool present = strcmp(k->state, "absent") != 0;
  bool has = short_format ? list_has(before, short_id) : list_has(before, fp);
  const char *action = NULL;
  if (present && !has) {
    rt_dict_set(r, "changed", rt_bool(true));
    action = "add";
  } else if (!present && list_has(before, fp)) {
    rt_dict_set(r, "changed", rt_bool(true));
    action = "del";
  }
  if (!action || h->check_mode)
    goto done;
  /* request 2: the change, then the keys again */
  begin(&s, k);
  if (!strcmp(action, "add")) {
    if (k->file) {
      mod_sh_set_path(&s, "kf", k->file);
      ak_args(&s, k);
      rt_buf_puts(&s, " add \"$kf\"\npc_cap add \"$@\" || exit 0\n");
    } else if (k->keyserver) {
      mod_sh_set(&s, "ks", k->keyserver);
      mod_sh_set(&s, "kid", key_id);
      rt_buf_puts(&s, "px=; for v in HTTPS_PROXY https_proxy HTTP_PROXY http_proxy; do eval \"px=\\${$v-}\"; "
                      "[ -z \"$px\" ] || break; done\n");
      ak_args(&s, k);
      rt_buf_puts(&s, " adv --no-tty --keyserver \"$ks\"\n"
                      "[ -z \"$px\" ] || set -- \"$@\" --keyserver-options \"http-proxy=$px\"\n"
                      "__playc_rec px \"$px\"\n"
                      "for i in 1 2 3 4 5; do LANG=$pc_loc LC_ALL=$pc_loc LC_MESSAGES=$pc_loc pc_cap add \"$@\" --recv "
                      "\"$kid\" && break; done\n"
                      "[ \"$pc_r\" = 0 ] || exit 0\n");
    } else {
      if (k->data) {
        mod_sh_set(&s, "kd", k->data);
      } else {
        fetch_script(&s, k);
        rt_buf_puts(&s, "kd=$(cat \"$__playc_scr/key\"; echo .); kd=${kd%.}\n");
      }
      ak_args(&s, k);
      rt_buf_puts(&s, " add -\npc_capin add \"$kd\" \"$@\" || exit 0\n");
    }
  } else {
    mod_sh_set(&s, "sid", short_id);
    ak_args(&s, k);
    rt_buf_puts(&s, " del \"$sid\"\npc_cap add \"$@\" || exit 0\n");
  }
  list_script(&s, k, "after");
  err = NULL;
  xrc = rt_host_exec(h, s.data, NULL, 0, &ex2, &err);
  free(err);
  rt_buf_free(&s);
  if (xrc < 0) {
    rt_decref(r);
    r = NULL;
    goto done;
  }
  have2 = true;
  RtValue *f = mod_ps_missing(&ex2);
  if (!f && mod_ps_cap(&ex2, "dl", &c) && c.rc != 0)
    f = mod_fail_result("error getting key id from url: %s", k->url);
  mod_ps_cap_free(&c);
  if (!f && mod_ps_cap(&ex2, "add", &c) && c.rc != 0) {
    if (!strcmp(action, "del")) {
      char *rest = rt_xasprintf("del %s", short_id), *t = ak_text(ak, k, rest);
      char *m = rt_xasprintf("Unable to remove a key with id %s", short_id);
      f = cmd_failure(m, t, &c);
      rt_dict_set(f, "key_id", rt_strz(short_id));
      free(m);
      free(rest);
      free(t);
    } else if (k->keyserver) {
      char *rest = rt_xasprintf("adv --no-tty --keyserver %s%s%s --recv %s", k->keyserver,
                                mod_rec(&ex2, "px") && *mod_rec(&ex2, "px") ? " --keyserver-options http-proxy=" : "",
                                mod_rec(&ex2, "px") ? mod_rec(&ex2, "px") : "", key_id);
      char *t = ak_text(ak, k, rest);
      if (c.rc == 2 && strstr(c.out, "not found on keyserver")) {
        char *m = rt_xasprintf("Key %s not found on keyserver %s", key_id, k->keyserver);
        f = mod_fail_result("%s", m);
        free(m);
        rt_dict_set(f, "cmd", rt_strz(t));
      } else {
        char *m = rt_xasprintf("Error fetching key %s from keyserver: %s", key_id, k->keyserver);
        f = cmd_failure(m, t, &c);
        free(m);
      }
      RtValue *env = rt_dict_new(3);
      const char *loc = mod_rec(&ex2, "loc") ? mod_rec(&ex2, "loc") : "C";
      rt_dict_set(env, "LANG", rt_strz(loc));
      rt_dict_set(env, "LC_ALL", rt_strz(loc));
      rt_dict_set(env, "LC_MESSAGES", rt_strz(loc));
      rt_dict_set(f, "forced_environment", env);
      free(rest);
      free(t);
    } else if (k->file) {
      char *rest = rt_xasprintf("add %s", k->file), *t = ak_text(ak, k, rest);
      char *m = rt_xasprintf("Unable to add a key from file %s", k->file);
      f = cmd_failure(m, t, &c);
      rt_dict_set(f, "keyfile", rt_strz(k->file));
      free(m);
      free(rest);
      free(t);
    } else {
      char *t = ak_text(ak, k, "add -");
      f = cmd_failure("Unable to add a key from binary data", t, &c);
      free(t);
    }
  }
  mod_ps_cap_free(&c);
  if (!f) {
    mod_ps_cap(&ex2, "after", &c);
    if (c.rc != 0) {
      char *t = ak_text(ak, k, "adv --list-public-keys --keyid-format=long");
      f = cmd_failure("Unable to list public keys", t, &c);
      free(t);
    } else {
      after = parse_keys(c.out, short_format);
      rt_dict_set(r, "after", rt_incref(after));
      bool now = short_format ? list_has(after, short_id) : list_has(after, fp);
      if (!strcmp(action, "add") && !now)
        f = fail_with(r, "apt-key did not return an error, but failed to add the key (check that the id is correct "
                         "and *not* a subkey)");
      else if (!strcmp(action, "del") && list_has(after, fp))
        f = fail_with(r, "apt-key did not return an error, but the key was not removed (check that the id is "
                         "correct and *not* a subkey)");
    }
    mod_ps_cap_free(&c);
  }
  if (f) {
    rt_decref(r);
    r = f;
  }
done:
  mod_ps_cap_free(&c);
  if (have1)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_decref(before);
  rt_decref(after);
  free(short_id);
  free(fp);
  free(key_id);
  free(id);
  free(text);
  return r;
}

RtValue *mod_apt_key(RtHost *h, RtValue *args) {
  Key k = {0};
  k.h = h;
  k.id = mod_arg_str(args, "id");
  k.url = mod_arg_str(args, "url");
  k.data = mod_arg_str(args, "data");
  k.file = mod_arg_str(args, "file");
  k.keyring = mod_arg_str(args, "keyring");
  k.keyserver = mod_arg_str(args, "keyserver");
  k.state = mod_arg_str(args, "state");
  if (!k.state)
    k.state = rt_xstrdup("present");
  k.validate_certs = mod_arg_bool(args, "validate_certs", 1) != 0;
  RtValue *r = key_run(&k);
  free(k.id);
  free(k.url);
  free(k.data);
  free(k.file);
  free(k.keyring);
  free(k.keyserver);
  free(k.state);
  return r;
}

#endif
