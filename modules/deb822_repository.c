/*
 * deb822_repository.c — ansible.builtin.deb822_repository (ansible-core
 * 2.15): APT sources in deb822 form, /etc/apt/sources.list.d/SLUG.sources,
 * SLUG being the name lower-cased, runs of '_' and spaces made '-', and
 * everything but [a-z0-9-] dropped.
 *
 * The controller writes the file's text as the module's Deb822 dump does:
 * the parameters in the order of their names, each as a field (X-Repolib-
 * Name, URIs, the others Title-Cased with '-'), booleans yes/no, lists
 * joined by spaces, a value of several lines on lines of its own indented
 * by four spaces (an empty line a '.'). One request on the target does the
 * rest: signed_by naming an existing file is used as a path; a URL is
 * downloaded (curl, else wget) into /etc/apt/keyrings/SLUG.asc (an
 * ASCII-armored key) or SLUG.gpg, mode 0644, so the text the controller sent
 * for that extension is the one used; any other signed_by (key text,
 * fingerprints) is written into the file as it is. The file is replaced
 * (a private temp file beside it, then rename) only when its text differs,
 * then given `mode`. state=absent removes the file and the SLUG.asc /
 * SLUG.gpg keys. Check mode changes nothing and says what would change.
 */
#include "mod.h"

static const ModParam deb822_params[] = {
    {.name = "allow_downgrade_to_insecure", .type = MP_BOOL},
    {.name = "allow_insecure", .type = MP_BOOL},
    {.name = "allow_weak", .type = MP_BOOL},
    {.name = "architectures", .type = MP_LIST, .elements = MP_STR},
    {.name = "by_hash", .type = MP_BOOL},
    {.name = "check_date", .type = MP_BOOL},
    {.name = "check_valid_until", .type = MP_BOOL},
    {.name = "components", .type = MP_LIST, .elements = MP_STR},
    {.name = "date_max_future", .type = MP_INT},
    {.name = "enabled", .type = MP_BOOL},
    {.name = "inrelease_path", .type = MP_STR},
    {.name = "languages", .type = MP_LIST, .elements = MP_STR},
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "pdiffs", .type = MP_BOOL},
    {.name = "signed_by", .type = MP_STR},
    {.name = "suites", .type = MP_LIST, .elements = MP_STR},
    {.name = "targets", .type = MP_LIST, .elements = MP_STR},
    {.name = "trusted", .type = MP_BOOL},
    {.name = "types", .type = MP_LIST, .elements = MP_STR, .def = "[\"deb\"]", .choices = "deb,deb-src"},
    {.name = "uris", .type = MP_LIST, .elements = MP_STR},
    {.name = "mode", .type = MP_RAW, .def = "0644"},
    {.name = "state", .type = MP_STR, .def = "present", .choices = "absent,present"},
};
const ModSchema mod_schema_deb822_repository = {
    .name = "deb822_repository",
    .params = deb822_params,
    .nparams = MOD_N(deb822_params),
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The file name's slug (make_sources_filename). */
static char *slug_of(const char *name) {
  RtBuf b = {0};
  bool run = false;
  for (const char *p = name; *p; p++) {
    unsigned char c = (unsigned char)tolower((unsigned char)*p);
    if (c == '_' || isspace(c)) {
      if (!run)
        rt_buf_putc(&b, '-');
      run = true;
      continue;
    }
    run = false;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
      rt_buf_putc(&b, (char)c);
  }
  rt_buf_add(&b, "", 0);
  return rt_buf_take(&b);
}

/* format_field_name */
static void field_name(RtBuf *b, const char *p) {
  if (strcmp(p, "name") == 0) {
    rt_buf_puts(b, "X-Repolib-Name");
    return;
  }
  if (strcmp(p, "uris") == 0) {
    rt_buf_puts(b, "URIs");
    return;
  }
  bool start = true;
  for (; *p; p++) {
    char c = *p == '_' ? '-' : *p;
    rt_buf_putc(b, (char)(start ? toupper((unsigned char)c) : tolower((unsigned char)c)));
    start = !isalpha((unsigned char)c);
  }
}

/* One field as Deb822.dump writes it; a value of several lines as
 * format_multiline makes it. */
static void field(RtBuf *b, const char *param, const char *value) {
  field_name(b, param);
  rt_buf_putc(b, ':');
  if (!strchr(value, '\n')) {
    if (*value)
      rt_buf_printf(b, " %s", value);
    rt_buf_putc(b, '\n');
    return;
  }
  /* value.strip().splitlines(), each line stripped or '.' */
  size_t n = strlen(value);
  const char *s = value;
  while (n && isspace((unsigned char)*s))
    s++, n--;
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  RtValue *lines = mod_lines(s, n);
  for (size_t i = 0; i < rt_len(lines); i++) {
    const char *l = rt_list_at(lines, i)->u.str.s;
    size_t k = strlen(l);
    while (k && isspace((unsigned char)*l))
      l++, k--;
    while (k && isspace((unsigned char)l[k - 1]))
      k--;
    rt_buf_puts(b, "\n    ");
    if (k)
      rt_buf_add(b, l, k);
    else
      rt_buf_putc(b, '.');
  }
  rt_decref(lines);
  rt_buf_putc(b, '\n');
}

/* The file's text, with `sb` as the Signed-By value (NULL: none). */
static char *repo_text(RtValue *args, const char *sb) {
  RtBuf b = {0};
  for (int i = 0; i < MOD_N(deb822_params); i++) {
    const ModParam *p = &deb822_params[i];
    if (strcmp(p->name, "mode") == 0 || strcmp(p->name, "state") == 0)
      continue;
    if (strcmp(p->name, "signed_by") == 0) {
      if (sb)
        field(&b, p->name, sb);
      continue;
    }
    RtValue *v = rt_dict_get(args, p->name);
    if (!v && strcmp(p->name, "types") == 0) {
      field(&b, p->name, "deb");
      continue;
    }
    if (!v || rt_kind(v) == RT_NONE)
      continue;
    if (p->type == MP_BOOL) {
      int t = mod_arg_bool(args, p->name, 0);
      field(&b, p->name, t == 1 ? "yes" : "no");
    } else if (p->type == MP_LIST) {
      RtValue *l = mod_arg_list(args, p->name);
      RtBuf j = {0};
      rt_buf_add(&j, "", 0);
      for (size_t k = 0; l && k < rt_len(l); k++)
        rt_buf_printf(&j, "%s%s", k ? " " : "", rt_list_at(l, k)->u.str.s);
      field(&b, p->name, j.data);
      rt_buf_free(&j);
      rt_decref(l);
    } else {
      char *s = mod_arg_str(args, p->name);
      field(&b, p->name, s ? s : "");
      free(s);
    }
  }
  rt_buf_add(&b, "", 0);
  return rt_buf_take(&b);
}

/* urlparse(v).scheme is not empty: letters, digits, + - . before a ':'. */
static bool has_scheme(const char *v) {
  if (!isalpha((unsigned char)*v))
    return false;
  const char *p = v;
  while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
    p++;
  return *p == ':';
}

/* The script's shell: `ck` 1 in check mode; records ch (changed), kf (the
 * key file), rf (the text used: p plain, a / g for a key file), fail. */
static const char present_sh[] =
    "sf=/etc/apt/sources.list.d/$slug.sources; kd=/etc/apt/keyrings; use=p\n"
    "if [ -n \"$sb\" ] && [ -f \"$sb\" ]; then __playc_rec kf \"$sb\"\n"
    "elif [ \"$url\" = 1 ]; then\n"
    "  k=$__playc_scr/key\n"
    "  if pc_bin curl; then \"$pc_v\" -fsSL --url \"$sb\" -o \"$k\" 2>\"$__playc_scr/err\"\n"
    "  elif pc_bin wget; then \"$pc_v\" -q -O \"$k\" -- \"$sb\" 2>\"$__playc_scr/err\"\n"
    "  else echo 'no curl or wget on the target' > \"$__playc_scr/err\"; false; fi\n"
    "  if [ $? != 0 ]; then __playc_rec fail fetch; __playc_rec err \"$(cat \"$__playc_scr/err\")\"; exit 0; fi\n"
    "  if [ ! -s \"$k\" ]; then __playc_rec kf \"$sb\"\n"
    "  else\n"
    "    if grep -q -e '-----BEGIN PGP PUBLIC KEY BLOCK-----' \"$k\"; then use=a; kf=$kd/$slug.asc; else use=g; kf=$kd/$slug.gpg; fi\n"
    "    __playc_rec kf \"$kf\"\n"
    "    if ! cmp -s \"$k\" \"$kf\"; then ch=1\n"
    "      if [ ! -d \"$kd\" ]; then [ $ck = 1 ] || mkdir -m 0755 -- \"$kd\" || { __playc_rec fail \"$kd\"; exit 0; }; fi\n"
    "      if [ -d \"$kd\" ] && [ \"$(stat -c '%u:%g:%a' -- \"$kd\")\" != 0:0:755 ]; then\n"
    "        [ $ck = 1 ] || { chown 0:0 -- \"$kd\" && chmod 0755 -- \"$kd\"; } || { __playc_rec fail \"$kd\"; exit 0; }; fi\n"
    "      if [ $ck = 0 ]; then\n"
    "        cp -- \"$k\" \"$kd/.$slug.playc-new\" && mv -f -- \"$kd/.$slug.playc-new\" \"$kf\" || { __playc_rec fail \"$kf\"; exit 0; }\n"
    "      fi\n"
    "    fi\n"
    "    if [ -e \"$kf\" ] && [ \"$(stat -c %a -- \"$kf\")\" != 644 ]; then ch=1; [ $ck = 1 ] || chmod 0644 -- \"$kf\"; fi\n"
    "  fi\n"
    "fi\n"
    "case $use in a) t=$ta;; g) t=$tg;; *) t=$tp;; esac\n"
    "__playc_rec rf $use\n"
    "printf '%s' \"$t\" > \"$__playc_scr/new\"\n"
    "if ! cmp -s \"$__playc_scr/new\" \"$sf\"; then ch=1\n"
    "  if [ $ck = 0 ]; then\n"
    "    d=/etc/apt/sources.list.d; [ -d \"$d\" ] || { __playc_rec fail \"$d\"; exit 0; }\n";

static const char present_tail_sh[] =
    "    cat -- \"$__playc_scr/new\" > \"$__playc_tmp\" && chmod \"$(printf %o $((0666 & ~$um)))\" \"$__playc_tmp\" &&\n"
    "      mv -f -- \"$__playc_tmp\" \"$sf\" || { __playc_rec fail \"$sf\"; exit 0; }\n"
    "    __playc_tmp=\n"
    "  fi\n"
    "fi\n"
    "if [ -e \"$sf\" ]; then\n"
    "  if [ -n \"$sm\" ]; then [ \"$(stat -c %a -- \"$sf\")\" = \"$sm\" ] || { ch=1; [ $ck = 1 ] || chmod \"$sm\" -- \"$sf\"; }\n"
    "  else b=$(stat -c %a -- \"$sf\"); [ $ck = 1 ] || chmod -- \"$sym\" \"$sf\"; [ \"$(stat -c %a -- \"$sf\")\" = \"$b\" ] || ch=1; fi\n"
    "fi\n"
    "__playc_rec ch $ch\n";

static RtValue *absent(RtHost *h, const char *slug) {
  RtBuf s = {0};
  RtExec ex;
  char *err = NULL;
  RtValue *r = NULL;
  mod_sh_set(&s, "slug", slug);
  rt_buf_printf(&s, "ck=%d; ch=0\n", h->check_mode ? 1 : 0);
  rt_buf_puts(&s, "for f in \"/etc/apt/sources.list.d/$slug.sources\" \"/etc/apt/keyrings/$slug.asc\" "
                  "\"/etc/apt/keyrings/$slug.gpg\"; do\n"
                  "  if [ -e \"$f\" ] || [ -L \"$f\" ]; then ch=1; [ $ck = 1 ] || rm -f -- \"$f\" || "
                  "{ __playc_rec fail \"$f\"; exit 0; }; fi\n"
                  "done\n__playc_rec ch $ch\n");
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  if (mod_rec(&ex, "fail"))
    r = mod_fail_result("[Errno 13] Permission denied: '%s'", mod_rec(&ex, "fail"));
  else {
    r = rt_dict_new(5);
    rt_dict_set(r, "changed", rt_bool(mod_rec_is(&ex, "ch", "1")));
    rt_dict_set(r, "repo", rt_none());
    char *d = rt_xasprintf("/etc/apt/sources.list.d/%s.sources", slug);
    rt_dict_set(r, "dest", rt_str_take(d, strlen(d)));
    char *k = rt_xasprintf("/etc/apt/keyrings/%s.gpg", slug); /* the loop's last name, as Ansible returns it */
    rt_dict_set(r, "key_filename", rt_str_take(k, strlen(k)));
  }
  rt_exec_free(&ex);
done:
  rt_buf_free(&s);
  free(err);
  return r;
}

RtValue *mod_deb822_repository(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *state = mod_arg_str(args, "state"), *sb = mod_arg_str(args, "signed_by");
  char *slug = slug_of(name ? name : ""), *tp = NULL, *ta = NULL, *tg = NULL, *err = NULL;
  RtValue *r = NULL;
  RtBuf s = {0};
  RtExec ex;
  bool ran = false;
  if (state && strcmp(state, "absent") == 0) {
    r = absent(h, slug);
    goto done;
  }
  long mode = mod_arg_mode(args, "mode");
  char *sym = NULL;
  if (mode == -1)
    mode = 0644;
  if (mode == -2) {
    sym = mod_arg_str(args, "mode");
    if (!sym || mod_symbolic_mode(sym, 0644, false, 022) < 0) {
      r = mod_fail_result("bad symbolic permission for mode: %s", sym ? sym : "");
      free(sym);
      goto done;
    }
  }
  bool url = sb && *sb && has_scheme(sb);
  tp = repo_text(args, sb);
  char *kf = rt_xasprintf("/etc/apt/keyrings/%s.asc", slug);
  ta = repo_text(args, kf);
  memcpy(kf + strlen(kf) - 3, "gpg", 3);
  tg = repo_text(args, kf);
  free(kf);
  mod_ps_sh_begin(&s);
  mod_sh_set(&s, "slug", slug);
  mod_sh_set(&s, "sb", sb ? sb : "");
  mod_sh_set(&s, "tp", tp);
  mod_sh_set(&s, "ta", ta);
  mod_sh_set(&s, "tg", tg);
  if (sym) {
    rt_buf_puts(&s, "sm=\n");
    mod_sh_set(&s, "sym", sym);
  } else
    rt_buf_printf(&s, "sm=%lo\n", mode);
  free(sym);
  rt_buf_printf(&s, "ck=%d; ch=0; url=%d; um=$(umask)\n", h->check_mode ? 1 : 0, url ? 1 : 0);
  rt_buf_puts(&s, present_sh);
  char tmpname[MOD_TEMP_NAME];
  mod_sh_temp_beside(&s, "d", tmpname);
  rt_buf_puts(&s, present_tail_sh);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  ran = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  const char *fail = mod_rec(&ex, "fail");
  if (fail && strcmp(fail, "fetch") == 0) {
    const char *e = mod_rec(&ex, "err");
    r = mod_fail_result("Could not fetch signed_by key: %s", e && *e ? e : "download failed");
    goto done;
  }
  if (fail) {
    r = mod_fail_result("[Errno 13] Permission denied: '%s'", fail);
    goto done;
  }
  const char *use = mod_rec(&ex, "rf");
  r = rt_dict_new(5);
  rt_dict_set(r, "changed", rt_bool(mod_rec_is(&ex, "ch", "1")));
  rt_dict_set(r, "repo", rt_strz(use && *use == 'a' ? ta : use && *use == 'g' ? tg : tp));
  char *d = rt_xasprintf("/etc/apt/sources.list.d/%s.sources", slug);
  rt_dict_set(r, "dest", rt_str_take(d, strlen(d)));
  const char *k = mod_rec(&ex, "kf");
  rt_dict_set(r, "key_filename", k ? rt_strz(k) : rt_none());
done:
  if (ran)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  free(name);
  free(state);
  free(sb);
  free(slug);
  free(tp);
  free(ta);
  free(tg);
  free(err);
  return r;
}

#endif
