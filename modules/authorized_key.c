/*
 * authorized_key.c — ansible.posix.authorized_key: request 1 finds the key
 * file (the user's ~/.ssh/authorized_keys from getent, or `path`, resolved
 * with readlink -f when `follow`), reads it whole and, for a key given as a
 * URL, fetches it with curl. The controller parses both as the module does
 * (key type found among the known ones, options before it split at commas
 * outside quotes, the comment after it; unparsable lines kept as they are),
 * adds, replaces or removes keys, and renders the file in the original
 * order. Only when the text differs does request 2 create ~/.ssh (0700) and
 * write the file through a temp file beside it (0600, owned by the user)
 * and a rename.
 */
#include "mod.h"

static const ModParam authorized_key_params[] = {
    {.name = "user", .type = MP_STR, .required = true},
    {.name = "key", .type = MP_STR, .required = true},
    {.name = "path", .type = MP_PATH},
    {.name = "manage_dir", .type = MP_BOOL, .def = "true"},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "key_options", .type = MP_STR},
    {.name = "exclusive", .type = MP_BOOL, .def = "false"},
    {.name = "comment", .type = MP_STR},
    {.name = "validate_certs", .type = MP_BOOL, .def = "true"},
    {.name = "follow", .type = MP_BOOL, .def = "false"},
};
const ModSchema mod_schema_authorized_key = {
    .name = "authorized_key",
    .params = authorized_key_params,
    .nparams = MOD_N(authorized_key_params),
    .tools = "getent",
    .check_mode = true,
    .diff_mode = true,
    .collection = "ansible.posix",
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const key_types[] = {
    "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com", "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "ssh-dss",
    "ssh-rsa", "ssh-xmss@openssh.com", "ssh-xmss-cert-v01@openssh.com", "rsa-sha2-256", "rsa-sha2-512",
    "ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com", NULL};

/* A parsed line: a key (type, blob, options, comment) or a line kept as is
 * (type "skipped", blob = the whole line). */
typedef struct Key {
  char *blob, *type, *comment;
  RtValue *opts; /* list of [name, value-or-None] pairs, in order */
  long rank;
} Key;

typedef struct Keys {
  Key *v;
  size_t n, cap;
} Keys;

static void key_free(Key *k) {
  free(k->blob);
  free(k->type);
  free(k->comment);
  rt_decref(k->opts);
}

/* parseoptions: parts of ((?:[^,"']|"[^"]*"|'[^']*')+), "k=v" or "k". */
static RtValue *parse_options(const char *o) {
  RtValue *l = rt_list_new(4);
  const char *p = o;
  while (p && *p) {
    const char *st = p;
    while (*p && *p != ',') {
      if (*p == '"' || *p == '\'') {
        const char *e = strchr(p + 1, *p);
        if (!e) /* an unclosed quote matches nothing: the part ends before it */
          break;
        p = e + 1;
      } else {
        p++;
      }
    }
    if (p > st) {
      char *part = rt_xstrndup(st, (size_t)(p - st));
      RtValue *pair = rt_list_new(2);
      char *eq = strchr(part, '=');
      if (eq) {
        rt_list_push(pair, rt_str(part, (size_t)(eq - part)));
        rt_list_push(pair, rt_strz(eq + 1));
      } else {
        rt_list_push(pair, rt_strz(part));
        rt_list_push(pair, rt_none());
      }
      rt_list_push(l, pair);
      free(part);
    }
    if (*p == ',')
      p++;
    else if (*p) /* an unclosed quote: the rest is not an option */
      break;
  }
  return l;
}

/* The options as the dict comparison sees them: name → values in order. */
static bool options_equal(const RtValue *a, const RtValue *b) {
  if (rt_len(a) != rt_len(b))
    return false;
  for (size_t i = 0; i < rt_len(a); i++) {
    const char *name = rt_list_at(rt_list_at(a, i), 0)->u.str.s;
    RtValue *va = rt_list_new(2), *vb = rt_list_new(2);
    for (size_t k = 0; k < rt_len(a); k++)
      if (strcmp(rt_list_at(rt_list_at(a, k), 0)->u.str.s, name) == 0)
        rt_list_push(va, rt_incref(rt_list_at(rt_list_at(a, k), 1)));
    for (size_t k = 0; k < rt_len(b); k++)
      if (strcmp(rt_list_at(rt_list_at(b, k), 0)->u.str.s, name) == 0)
        rt_list_push(vb, rt_incref(rt_list_at(rt_list_at(b, k), 1)));
    bool eq = rt_equal(va, vb);
    rt_decref(va);
    rt_decref(vb);
    if (!eq)
      return false;
  }
  return true;
}

static RtValue *split_ws(const char *s) {
  RtValue *l = rt_list_new(4);
  for (const char *p = s;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      p++;
    if (!*p)
      break;
    const char *e = p;
    while (*e && *e != ' ' && *e != '\t' && *e != '\r' && *e != '\n')
      e++;
    rt_list_push(l, rt_str(p, (size_t)(e - p)));
    p = e;
  }
  return l;
}

static char *join_range(const RtValue *l, size_t from, size_t to) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = from; i < to; i++) {
    if (i > from)
      rt_buf_putc(&b, ' ');
    rt_buf_puts(&b, rt_list_at(l, i)->u.str.s);
  }
  return rt_buf_take(&b);
}

/* parsekey: false when the line holds no key type (or no blob after it). */
static bool parse_key(const char *raw, long rank, Key *k) {
  memset(k, 0, sizeof *k);
  k->rank = rank;
  RtBuf t = {0};
  rt_buf_add(&t, "", 0);
  for (const char *p = raw; *p; p++) { /* raw_key.replace(r'\#', '#') */
    if (p[0] == '\\' && p[1] == '#')
      p++;
    rt_buf_putc(&t, *p);
  }
  RtValue *parts = split_ws(t.data);
  bool ok = false;
  if (rt_len(parts) && strcmp(rt_list_at(parts, 0)->u.str.s, "#") == 0) {
    k->blob = rt_buf_take(&t);
    k->type = rt_xstrdup("skipped");
    ok = true;
    goto out;
  }
  for (size_t i = 0; i < rt_len(parts) && !ok; i++)
    for (int j = 0; key_types[j]; j++)
      if (strcmp(rt_list_at(parts, i)->u.str.s, key_types[j]) == 0 && i + 1 < rt_len(parts)) {
        char *opts = i ? join_range(parts, 0, i) : NULL;
        k->opts = parse_options(opts);
        free(opts);
        k->type = rt_xstrdup(key_types[j]);
        k->blob = rt_xstrdup(rt_list_at(parts, i + 1)->u.str.s);
        k->comment = join_range(parts, i + 2 < rt_len(parts) ? i + 2 : rt_len(parts), rt_len(parts));
        ok = true;
        break;
      }
out:
  rt_buf_free(&t);
  rt_decref(parts);
  return ok;
}

static Key *keys_find(Keys *ks, const char *blob) {
  for (size_t i = 0; i < ks->n; i++)
    if (strcmp(ks->v[i].blob, blob) == 0)
      return &ks->v[i];
  return NULL;
}

/* keys[k[0]] = k: a later entry with the same blob replaces the earlier one
 * (its rank too). Takes `k`. */
static void keys_put(Keys *ks, Key *k) {
  Key *old = keys_find(ks, k->blob);
  if (old) {
    key_free(old);
    *old = *k;
    return;
  }
  if (ks->n == ks->cap) {
    ks->cap = ks->cap ? ks->cap * 2 : 8;
    ks->v = rt_xrealloc(ks->v, ks->cap * sizeof *ks->v);
  }
  ks->v[ks->n++] = *k;
}

static void keys_del(Keys *ks, const char *blob) {
  Key *k = keys_find(ks, blob);
  if (!k)
    return;
  key_free(k);
  *k = ks->v[--ks->n];
}

/* parsekeys: every line (with its end) a key or a kept line, by rank. */
static void parse_keys(Keys *ks, const char *text) {
  long rank = 0;
  for (const char *p = text; *p; rank++) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
    char *line = rt_xstrndup(p, n);
    Key k;
    if (!parse_key(line, rank, &k)) {
      memset(&k, 0, sizeof k);
      k.blob = rt_xstrdup(line);
      k.type = rt_xstrdup("skipped");
      k.rank = rank;
    }
    keys_put(ks, &k);
    free(line);
    p += n;
  }
}

static int by_rank(const void *a, const void *b) {
  long x = ((const Key *)a)->rank, y = ((const Key *)b)->rank;
  return (x > y) - (x < y);
}

/* serialize: by rank (a stable sort, as Python's sorted). */
static char *serialize(Keys *ks) {
  Key *sorted = rt_xmalloc((ks->n + 1) * sizeof *sorted);
  memcpy(sorted, ks->v, ks->n * sizeof *sorted);
  for (size_t i = 1; i < ks->n; i++) /* insertion sort: stable */
    for (size_t j = i; j > 0 && by_rank(&sorted[j - 1], &sorted[j]) > 0; j--) {
      Key t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < ks->n; i++) {
    Key *k = &sorted[i];
    if (strcmp(k->type, "skipped") == 0) {
      rt_buf_puts(&b, k->blob);
      continue;
    }
    for (size_t o = 0; k->opts && o < rt_len(k->opts); o++) {
      RtValue *pair = rt_list_at(k->opts, o);
      if (o)
        rt_buf_putc(&b, ',');
      rt_buf_puts(&b, rt_list_at(pair, 0)->u.str.s);
      if (rt_kind(rt_list_at(pair, 1)) == RT_STR)
        rt_buf_printf(&b, "=%s", rt_list_at(pair, 1)->u.str.s);
    }
    if (k->opts && rt_len(k->opts))
      rt_buf_putc(&b, ' ');
    rt_buf_printf(&b, "%s %s %s\n", k->type, k->blob, k->comment ? k->comment : "None");
  }
  free(sorted);
  return rt_buf_take(&b);
}

static bool in_list(const RtValue *l, const char *s) {
  for (size_t k = 0; k < rt_len(l); k++)
    if (strcmp(rt_list_at(l, k)->u.str.s, s) == 0)
      return true;
  return false;
}

typedef struct AkArgs {
  char *user, *key, *path, *state, *key_options, *comment;
  bool manage_dir, exclusive, validate_certs, follow;
} AkArgs;

/* Request 1: the key file's path, its text, a URL key's text. */
static void read_script(RtBuf *s, const AkArgs *a, bool check) {
  mod_sh_set(s, "u", a->user);
  bool url = strncmp(a->key, "http", 4) == 0;
  if (url) {
    mod_sh_need(s, "curl");
    mod_sh_set(s, "url", a->key);
    /* the status is the last line, the body the lines before it */
    rt_buf_printf(s, "k=$(curl -sSL%s -w '\\n%%{http_code}' -- \"$url\" 2>/dev/null)\nnl='\n'\n"
                     "__playc_rec keycode \"${k##*$nl}\"; __playc_rec keytext \"${k%%$nl*}\"\n",
                  a->validate_certs ? "" : "k");
  }
  if (a->path && check) {
    mod_sh_set_path(s, "f", a->path);
  } else {
    mod_sh_need(s, "getent");
    rt_buf_puts(s, "pw=$(getent passwd -- \"$u\") || { __playc_rec fail nouser; exit 0; }\n"
                   "hd=${pw#*:*:*:*:*:}; hd=${hd%%:*}; id=${pw#*:*:}; uid=${id%%:*}; gid=${id#*:}; gid=${gid%%:*}\n"
                   "__playc_rec uid \"$uid\"; __playc_rec gid \"$gid\"\n");
    if (a->path)
      mod_sh_set_path(s, "f", a->path);
    else
      rt_buf_puts(s, "f=$hd/.ssh/authorized_keys\n");
  }
  rt_buf_puts(s, "__playc_rec keyfile \"$f\"\n");
  if (a->follow)
    rt_buf_puts(s, "r=$(readlink -m -- \"$f\") && __playc_rec realfile \"$r\"\n");
  rt_buf_puts(s, "if [ -f \"$f\" ]; then t=$(cat -- \"$f\"; echo x) || exit 1; __playc_rec text \"${t%x}\"; fi\n");
  if (a->path) /* add_path_info: the result names a path */
    rt_buf_puts(s, "[ ! -e \"$f\" ] || __playc_stat \"$f\"\n");
}

/* Request 2: ~/.ssh made (manage_dir), the text written atomically. */
static void write_script(RtBuf *s, const AkArgs *a, const RtExec *st, const char *file) {
  rt_buf_puts(s, "__playc_traps\n");
  mod_sh_set(s, "f", file);
  mod_sh_set(s, "uid", mod_rec(st, "uid") ? mod_rec(st, "uid") : "");
  mod_sh_set(s, "gid", mod_rec(st, "gid") ? mod_rec(st, "gid") : "");
  if (a->manage_dir) {
    if (a->path)
      rt_buf_puts(s, "sd=$(dirname -- \"$f\")\n");
    else
      rt_buf_puts(s, "sd=${f%/*}\n");
    rt_buf_puts(s, "if [ ! -e \"$sd\" ]; then mkdir -m 700 -- \"$sd\" || { __playc_rec fail mkdir; "
                   "__playc_rec dir \"$sd\"; exit 0; }; fi\n"
                   "chown -- \"$uid:$gid\" \"$sd\"; chmod 700 -- \"$sd\"\n");
  }
  rt_buf_puts(s, "dir=$(dirname -- \"$f\"); mkdir -p -- \"$dir\" || exit 1\n");
  char name[MOD_TEMP_NAME];
  mod_sh_temp_beside(s, "dir", name);
  rt_buf_puts(s, "cat > \"$__playc_tmp\" || exit 1\n"
                 "chown -- \"$uid:$gid\" \"$__playc_tmp\" 2>/dev/null; chmod 600 \"$__playc_tmp\"\n"
                 "mv -f -- \"$__playc_tmp\" \"$f\" || exit 1; __playc_tmp=; __playc_rec written 1\n");
  if (a->path)
    mod_sh_set_path(s, "ap", a->path);
  if (a->path)
    rt_buf_puts(s, "__playc_stat \"$ap\"\n");
}

static RtValue *result_of(const AkArgs *a, RtValue *args, const char *keyfile) {
  RtValue *r = rt_dict_new(14);
  static const char *const names[] = {"user", "key", "path", "manage_dir", "state", "key_options",
                                      "exclusive", "comment", "validate_certs", "follow"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    RtValue *v = rt_dict_get(args, names[i]);
    if (strcmp(names[i], "state") == 0)
      rt_dict_set(r, "state", rt_strz(a->state));
    else if (v && rt_kind(v) != RT_NONE && (i == 3 || i == 6 || i == 8 || i == 9))
      rt_dict_set(r, names[i], rt_bool(rt_to_boolean(v) == 1));
    else if (i == 3)
      rt_dict_set(r, names[i], rt_bool(a->manage_dir));
    else if (i == 6 || i == 8 || i == 9)
      rt_dict_set(r, names[i], rt_bool(i == 8));
    else if (strcmp(names[i], "path") == 0)
      rt_dict_set(r, "path", a->path ? rt_strz(a->path) : rt_none());
    else if (strcmp(names[i], "key") == 0)
      rt_dict_set(r, "key", rt_strz(a->key));
    else
      rt_dict_set(r, names[i], v && rt_kind(v) != RT_NONE ? rt_incref(v) : rt_none());
  }
  rt_dict_set(r, "keyfile", rt_strz(keyfile));
  return r;
}

RtValue *mod_authorized_key(RtHost *h, RtValue *args) {
  AkArgs a = {0};
  a.user = mod_arg_str(args, "user");
  a.key = mod_arg_str(args, "key");
  a.path = mod_arg_str(args, "path");
  a.state = mod_arg_str(args, "state");
  if (!a.state)
    a.state = rt_xstrdup("present");
  a.key_options = mod_arg_str(args, "key_options");
  a.comment = mod_arg_str(args, "comment");
  a.manage_dir = mod_arg_bool(args, "manage_dir", 1) != 0;
  a.exclusive = mod_arg_bool(args, "exclusive", 0) == 1;
  a.validate_certs = mod_arg_bool(args, "validate_certs", 1) != 0;
  a.follow = mod_arg_bool(args, "follow", 0) == 1;
  bool present = strcmp(a.state, "present") == 0;
  RtValue *r = NULL;
  RtBuf s = {0};
  RtExec st = {0}, wr = {0};
  bool have_st = false, have_wr = false;
  char *err = NULL, *text = NULL;
  Keys ks = {0};
  read_script(&s, &a, h->check_mode);
  if (rt_host_exec(h, s.data, NULL, 0, &st, &err) < 0)
    goto done;
  have_st = true;
  if ((r = mod_tool_failure(&st)) != NULL)
    goto done;
  if (mod_rec(&st, "keycode")) {
    if (strcmp(mod_rec(&st, "keycode"), "200") != 0) {
      r = mod_fail_result("Error getting key from: %s", a.key);
      goto done;
    }
    free(a.key);
    a.key = rt_xstrdup(mod_rec(&st, "keytext") ? mod_rec(&st, "keytext") : "");
  }
  if (mod_rec_is(&st, "fail", "nouser")) {
    if (h->check_mode && !a.path)
      r = mod_fail_result("Either user must exist or you must provide full path to key file in check mode");
    else
      r = mod_fail_result("Failed to lookup user %s: \"getpwnam(): name not found: '%s'\"", a.user, a.user);
    goto done;
  }
  const char *keyfile = mod_rec(&st, "keyfile") ? mod_rec(&st, "keyfile") : "";
  const char *existing = mod_rec(&st, "text") ? mod_rec(&st, "text") : "";
  parse_keys(&ks, existing);
  long max_rank = (long)ks.n;
  RtValue *wanted = rt_list_new(4);
  bool do_write = false;
  RtValue *lines = mod_lines(a.key, strlen(a.key));
  for (size_t i = 0, ri = 0; i < rt_len(lines); i++) {
    const char *line = rt_list_at(lines, i)->u.str.s;
    if (!*line || line[0] == '#')
      continue;
    Key nk;
    if (!parse_key(line, (long)ri++, &nk) || strcmp(nk.type, "skipped") == 0) {
      if (nk.type)
        key_free(&nk);
      r = mod_fail_result("invalid key specified: %s", line);
      rt_decref(lines);
      rt_decref(wanted);
      goto done;
    }
    if (a.key_options) {
      rt_decref(nk.opts);
      nk.opts = parse_options(a.key_options);
    }
    if (a.comment) {
      free(nk.comment);
      nk.comment = rt_xstrdup(a.comment);
    }
    Key *old = keys_find(&ks, nk.blob);
    bool matched = false, mismatch = false;
    if (old) {
      RtValue *none = rt_list_new(0);
      bool same = strcmp(old->type, nk.type) == 0 &&
                  options_equal(old->opts ? old->opts : none, nk.opts ? nk.opts : none) &&
                  strcmp(old->comment ? old->comment : "", nk.comment ? nk.comment : "") == 0;
      rt_decref(none);
      if (!same && present)
        mismatch = true;
      else
        matched = true;
    }
    if (present) {
      rt_list_push(wanted, rt_strz(nk.blob));
      if (mismatch) {
        keys_del(&ks, nk.blob);
        do_write = true;
      }
      if (!matched) {
        nk.rank += max_rank;
        keys_put(&ks, &nk);
        do_write = true;
        continue;
      }
    } else if (matched) {
      keys_del(&ks, nk.blob);
      do_write = true;
    }
    key_free(&nk);
  }
  rt_decref(lines);
  for (size_t i = 0; present && a.exclusive && i < ks.n;) {
    if (!in_list(wanted, ks.v[i].blob)) {
      keys_del(&ks, ks.v[i].blob);
      do_write = true;
    } else {
      i++;
    }
  }
  rt_decref(wanted);
  r = result_of(&a, args, keyfile);
  if (do_write) {
    const char *file = a.follow && mod_rec(&st, "realfile") ? mod_rec(&st, "realfile") : keyfile;
    text = serialize(&ks);
    if (h->run->opt.diff) {
      RtValue *d = rt_dict_new(4);
      rt_dict_set(d, "before_header", rt_strz(keyfile));
      rt_dict_set(d, "after_header", rt_strz(file));
      rt_dict_set(d, "before", rt_strz(existing));
      rt_dict_set(d, "after", rt_strz(text));
      rt_dict_set(r, "diff", d);
    }
    if (!h->check_mode) {
      rt_buf_free(&s);
      write_script(&s, &a, &st, file);
      if (rt_host_exec(h, s.data, text, strlen(text), &wr, &err) < 0) {
        rt_decref(r);
        r = NULL;
        goto done;
      }
      have_wr = true;
      if (mod_rec_is(&wr, "fail", "mkdir")) {
        rt_decref(r);
        r = mod_fail_result("Failed to create directory %s : [Errno 13] Permission denied: '%s'", mod_rec(&wr, "dir"),
                            mod_rec(&wr, "dir"));
        goto done;
      }
      if (!mod_rec(&wr, "written")) {
        rt_decref(r);
        r = mod_fail_result("Failed to write to file %s: %s", file, wr.err.len ? wr.err.data : "");
        goto done;
      }
    }
    rt_dict_set(r, "changed", rt_bool(true));
  }
  if (a.path)
    mod_add_stat(r, have_wr ? &wr : &st);
done:
  for (size_t i = 0; i < ks.n; i++)
    key_free(&ks.v[i]);
  free(ks.v);
  if (have_st)
    rt_exec_free(&st);
  if (have_wr)
    rt_exec_free(&wr);
  rt_buf_free(&s);
  free(err);
  free(text);
  free(a.user);
  free(a.key);
  free(a.path);
  free(a.state);
  free(a.key_options);
  free(a.comment);
  return r;
}

#endif
