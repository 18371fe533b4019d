/*
 * pip.c — the pip module: pip itself runs on the target (pip needs its
 * Python; playc needs none of its own). Which pip, as Ansible picks it:
 * `executable`, else the virtualenv's bin/pip3 or bin/pip (the virtualenv
 * made first with `virtualenv_command` when it has no bin/activate), else
 * `PYTHON -m pip.__main__` with the host's Python (ansible_python_interpreter,
 * else /usr/bin/python3, Ansible's choice on Debian) when it has pip, else
 * pip3 from the PATH.
 *
 * Names are read as Ansible reads them (split on commas, version
 * specifiers joined back, each one a requirement normalised as
 * pkg_resources prints it: extras and specifiers sorted); the command line
 * is Ansible's. One request runs the install or uninstall (with `pip list
 * --format=freeze` before and after where Ansible compares them); check
 * mode lists the installed distributions and decides with PEP 440 version
 * matching done here. Results: changed, cmd, name, version, state,
 * requirements, virtualenv, stdout, stderr; failures as Ansible's _fail.
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam pip_params[] = {
    {.name = "state", .type = MP_STR, .def = "present", .choices = "present,absent,latest,forcereinstall"},
    {.name = "name", .type = MP_LIST, .elements = MP_STR},
    {.name = "version", .type = MP_STR},
    {.name = "requirements", .type = MP_STR},
    {.name = "virtualenv", .type = MP_PATH},
    {.name = "virtualenv_site_packages", .type = MP_BOOL, .def = "no"},
    {.name = "virtualenv_command", .type = MP_PATH, .def = "virtualenv"},
    {.name = "virtualenv_python", .type = MP_STR},
    {.name = "extra_args", .type = MP_STR},
    {.name = "editable", .type = MP_BOOL, .def = "no"},
    {.name = "chdir", .type = MP_PATH},
    {.name = "executable", .type = MP_PATH},
    {.name = "umask", .type = MP_STR},
};
const ModSchema mod_schema_pip = {
    .name = "pip",
    .params = pip_params,
    .nparams = MOD_N(pip_params),
    .one_of = "name,requirements",
    .exclusive = "name,requirements;executable,virtualenv",
    .tools = "python3,pip3",
    .check_mode = true,
    .diff_mode = false};

#ifndef MOD_SCHEMA_ONLY

/* ---- requirements (pkg_resources' Requirement, enough of it) --------------------------- */

typedef struct Req {
  bool plain;       /* parsed */
  char *name;       /* canonical (PEP 503) */
  char *text;       /* str(Requirement), or the raw string */
  char **ops, **vers;
  int nspecs;
} Req;

static void req_free(Req *r) {
  free(r->name);
  free(r->text);
  for (int i = 0; i < r->nspecs; i++) {
    free(r->ops[i]);
    free(r->vers[i]);
  }
  free(r->ops);
  free(r->vers);
}

static char *canonical(const char *n) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (const char *p = n; *p;) {
    if (*p == '-' || *p == '_' || *p == '.') {
      while (*p == '-' || *p == '_' || *p == '.')
        p++;
      rt_buf_putc(&b, '-');
      continue;
    }
    rt_buf_putc(&b, (char)tolower((unsigned char)*p++));
  }
  return rt_buf_take(&b);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* name [extras] [specifiers] [; marker] */
static void req_parse(const char *s, Req *r) {
  memset(r, 0, sizeof *r);
  const char *p = s;
  while (isspace((unsigned char)*p))
    p++;
  const char *n0 = p;
  if (!isalnum((unsigned char)*p))
    goto raw;
  while (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-')
    p++;
  if (!isalnum((unsigned char)p[-1]))
    goto raw;
  char *name = rt_xstrndup(n0, (size_t)(p - n0));
  RtBuf text = {0};
  rt_buf_puts(&text, name);
  while (isspace((unsigned char)*p))
    p++;
  if (*p == '[') { /* extras, printed sorted */
    const char *e = strchr(p, ']');
    if (!e) {
      free(name);
      rt_buf_free(&text);
      goto raw;
    }
    char *ex = rt_xstrndup(p + 1, (size_t)(e - p - 1)), *save = NULL, *items[64];
    int ni = 0;
    for (char *t = strtok_r(ex, ", \t", &save); t && ni < 64; t = strtok_r(NULL, ", \t", &save))
      items[ni++] = t;
    qsort(items, (size_t)ni, sizeof *items, cmp_str);
    rt_buf_putc(&text, '[');
    for (int i = 0; i < ni; i++)
      rt_buf_printf(&text, "%s%s", i ? "," : "", items[i]);
    rt_buf_putc(&text, ']');
    free(ex);
    p = e + 1;
  }
  while (isspace((unsigned char)*p))
    p++;
  bool paren = *p == '(';
  if (paren)
    p++;
  char *specs[64];
  int ns = 0;
  for (;;) {
    while (isspace((unsigned char)*p))
      p++;
    static const char *const ops[] = {"===", "~=", "==", "!=", "<=", ">=", "<", ">", NULL};
    const char *op = NULL;
    for (int i = 0; ops[i]; i++)
      if (!strncmp(p, ops[i], strlen(ops[i]))) {
        op = ops[i];
        break;
      }
    if (!op)
      break;
    p += strlen(op);
    while (isspace((unsigned char)*p))
      p++;
    const char *v0 = p;
    while (*p && (isalnum((unsigned char)*p) || strchr("._+*!-", *p)))
      p++;
    if (p == v0 || ns >= 64)
      break;
    r->ops = rt_xrealloc(r->ops, sizeof *r->ops * (size_t)(r->nspecs + 1));
    r->vers = rt_xrealloc(r->vers, sizeof *r->vers * (size_t)(r->nspecs + 1));
    r->ops[r->nspecs] = rt_xstrdup(op);
    r->vers[r->nspecs] = rt_xstrndup(v0, (size_t)(p - v0));
    specs[ns++] = rt_xasprintf("%s%s", op, r->vers[r->nspecs]);
    r->nspecs++;
    while (isspace((unsigned char)*p))
      p++;
    if (*p != ',')
      break;
    p++;
  }
  if (paren && *p == ')')
    p++;
  qsort(specs, (size_t)ns, sizeof *specs, cmp_str);
  for (int i = 0; i < ns; i++) {
    rt_buf_printf(&text, "%s%s", i ? "," : "", specs[i]);
    free(specs[i]);
  }
  while (isspace((unsigned char)*p))
    p++;
  if (*p == ';') { /* a marker, kept as written */
    p++;
    while (isspace((unsigned char)*p))
      p++;
    rt_buf_printf(&text, "; %s", p);
    p += strlen(p);
  }
  if (*p) {
    free(name);
    rt_buf_free(&text);
    for (int i = 0; i < r->nspecs; i++) {
      free(r->ops[i]);
      free(r->vers[i]);
    }
    free(r->ops);
    free(r->vers);
    r->ops = r->vers = NULL;
    r->nspecs = 0;
    goto raw;
  }
  r->plain = true;
  r->name = canonical(name);
  r->text = rt_buf_take(&text);
  free(name);
  return;
raw:
  r->plain = false;
  r->name = rt_xstrdup(s);
  r->text = rt_xstrdup(s);
}

/* ---- PEP 440 versions -------------------------------------------------------------------- */

typedef struct Ver {
  long epoch;
  long rel[16];
  int nrel;
  int pre_kind; /* -1 none, 0 a, 1 b, 2 rc */
  long pre, post, dev;
  bool has_post, has_dev;
} Ver;

static void ver_parse(const char *s, Ver *v) {
  memset(v, 0, sizeof *v);
  v->pre_kind = -1;
  const char *p = s;
  if (*p == 'v' || *p == 'V')
    p++;
  const char *bang = strchr(p, '!');
  if (bang) {
    v->epoch = strtol(p, NULL, 10);
    p = bang + 1;
  }
  while (isdigit((unsigned char)*p) && v->nrel < 16) {
    v->rel[v->nrel++] = strtol(p, (char **)&p, 10);
    if (*p == '.' && isdigit((unsigned char)p[1]))
      p++;
    else
      break;
  }
  while (*p && *p != '+') {
    while (*p == '.' || *p == '-' || *p == '_')
      p++;
    char w[8] = {0};
    int n = 0;
    while (isalpha((unsigned char)*p) && n < 7)
      w[n++] = (char)tolower((unsigned char)*p++);
    while (*p == '.' || *p == '-' || *p == '_')
      p++;
    long num = isdigit((unsigned char)*p) ? strtol(p, (char **)&p, 10) : 0;
    if (!strcmp(w, "a") || !strcmp(w, "alpha")) {
      v->pre_kind = 0;
      v->pre = num;
    } else if (!strcmp(w, "b") || !strcmp(w, "beta")) {
      v->pre_kind = 1;
      v->pre = num;
    } else if (!strcmp(w, "rc") || !strcmp(w, "c") || !strcmp(w, "pre") || !strcmp(w, "preview")) {
      v->pre_kind = 2;
      v->pre = num;
    } else if (!strcmp(w, "post") || !strcmp(w, "r") || !strcmp(w, "rev") || !n) {
      v->has_post = true;
      v->post = num;
    } else if (!strcmp(w, "dev")) {
      v->has_dev = true;
      v->dev = num;
    } else {
      break;
    }
  }
}

static int ver_cmp(const Ver *a, const Ver *b) {
  if (a->epoch != b->epoch)
    return a->epoch < b->epoch ? -1 : 1;
  int n = a->nrel > b->nrel ? a->nrel : b->nrel;
  for (int i = 0; i < n; i++) {
    long x = i < a->nrel ? a->rel[i] : 0, y = i < b->nrel ? b->rel[i] : 0;
    if (x != y)
      return x < y ? -1 : 1;
  }
  /* dev-only releases sort before pre-releases, which sort before the release */
  int ka = a->pre_kind >= 0 ? a->pre_kind : (a->has_dev && !a->has_post ? -2 : 3);
  int kb = b->pre_kind >= 0 ? b->pre_kind : (b->has_dev && !b->has_post ? -2 : 3);
  if (ka != kb)
    return ka < kb ? -1 : 1;
  if (a->pre_kind >= 0 && a->pre != b->pre)
    return a->pre < b->pre ? -1 : 1;
  long pa = a->has_post ? a->post : -1, pb = b->has_post ? b->post : -1;
  if (pa != pb)
    return pa < pb ? -1 : 1;
  long da = a->has_dev ? a->dev : 1L << 62, db = b->has_dev ? b->dev : 1L << 62;
  return da < db ? -1 : da > db ? 1 : 0;
}

/* One specifier's contains(version, prereleases=True). */
static bool spec_ok(const char *op, const char *want, const char *have) {
  Ver h, w;
  ver_parse(have, &h);
  size_t wl = strlen(want);
  if (!strcmp(op, "===") )
    return !strcmp(want, have);
  if ((!strcmp(op, "==") || !strcmp(op, "!=")) && wl >= 2 && !strcmp(want + wl - 2, ".*")) {
    char *prefix = rt_xstrndup(want, wl - 2);
    ver_parse(prefix, &w);
    bool match = true;
    for (int i = 0; i < w.nrel && match; i++)
      match = (i < h.nrel ? h.rel[i] : 0) == w.rel[i];
    match = match && h.epoch == w.epoch;
    free(prefix);
    return !strcmp(op, "==") ? match : !match;
  }
  ver_parse(want, &w);
  int c = ver_cmp(&h, &w);
  if (!strcmp(op, "=="))
    return c == 0;
  if (!strcmp(op, "!="))
    return c != 0;
  if (!strcmp(op, "<="))
    return c <= 0;
  if (!strcmp(op, ">="))
    return c >= 0;
  if (!strcmp(op, "<"))
    return c < 0;
  if (!strcmp(op, ">"))
    return c > 0;
  if (!strcmp(op, "~=")) { /* >= want and == its prefix without the last release part */
    if (c < 0)
      return false;
    Ver pfx = w;
    if (pfx.nrel > 1)
      pfx.nrel--;
    for (int i = 0; i < pfx.nrel; i++)
      if ((i < h.nrel ? h.rel[i] : 0) != pfx.rel[i])
        return false;
    return true;
  }
  return false;
}

static bool satisfied(const Req *r, const char *version) {
  if (!r->plain)
    return false;
  for (int i = 0; i < r->nspecs; i++)
    if (!spec_ok(r->ops[i], r->vers[i], version))
      return false;
  return true;
}

/* ---- names as Ansible reads them ---------------------------------------------------------- */

static bool is_package_name(const char *n) {
  while (isspace((unsigned char)*n))
    n++;
  static const char *const ops[] = {">=", "<=", ">", "<", "==", "!=", "~=", NULL};
  for (int i = 0; ops[i]; i++)
    if (!strncmp(n, ops[i], strlen(ops[i])))
      return false;
  return true;
}

/* _recover_package_name */
static RtValue *recover_names(RtValue *names) {
  RtValue *flat = rt_list_new(8), *out = rt_list_new(8);
  for (size_t i = 0; i < rt_len(names); i++) {
    const char *p = rt_list_at(names, i)->u.str.s;
    for (;;) {
      const char *c = strchr(p, ',');
      rt_list_push(flat, rt_str(p, c ? (size_t)(c - p) : strlen(p)));
      if (!c)
        break;
      p = c + 1;
    }
  }
  RtBuf part = {0};
  bool in_brackets = false, any = false;
  for (size_t i = 0; i < rt_len(flat); i++) {
    const char *n = rt_list_at(flat, i)->u.str.s;
    if (is_package_name(n) && !in_brackets) {
      if (any)
        rt_list_push(out, rt_str(part.data ? part.data : "", part.len));
      rt_buf_free(&part);
      any = false;
    }
    if (strchr(n, '['))
      in_brackets = true;
    if (in_brackets && strchr(n, ']'))
      in_brackets = false;
    rt_buf_printf(&part, "%s%s", any ? "," : "", n);
    any = true;
  }
  rt_list_push(out, rt_str(part.data ? part.data : "", part.len));
  rt_buf_free(&part);
  rt_decref(flat);
  return out;
}

/* ---- the module ----------------------------------------------------------------------------- */

typedef struct Pip {
  RtHost *h;
  char *state, *version, *requirements, *env, *venv_cmd, *venv_python, *extra_args, *chdir, *executable, *umask;
  RtValue *names;
  bool site_packages, editable;
} Pip;

static const char *state_words(const char *state) {
  return !strcmp(state, "absent") ? "uninstall -y"
         : !strcmp(state, "latest") ? "install -U"
         : !strcmp(state, "forcereinstall") ? "install -U --force-reinstall"
                                            : "install";
}

/* The pip command's first words, chosen on the target as Ansible's
 * _get_pip: p1 [p2 p3], recorded as pip[]; pip_run KEY ARGS runs them. */
static void pip_script(RtBuf *s, const Pip *p, const char *python) {
  rt_buf_puts(s, "p1=; p2=; p3=\n");
  if (p->executable) {
    mod_sh_set(s, "ex", p->executable);
    rt_buf_puts(s, "case $ex in /*) p1=$ex;; *) pc_bin \"$ex\" || { __playc_rec fail nopip; __playc_rec pipnames \"$ex\"; "
                   "exit 0; }; p1=$pc_v;; esac\n");
  } else if (p->env) {
    rt_buf_puts(s, "if [ -f \"$env/bin/pip3\" ] && [ -x \"$env/bin/pip3\" ]; then p1=$env/bin/pip3\n"
                   "elif [ -f \"$env/bin/pip\" ] && [ -x \"$env/bin/pip\" ]; then p1=$env/bin/pip\n"
                   "else __playc_rec fail nopipvenv; exit 0; fi\n");
  } else {
    mod_sh_set(s, "py", python);
    rt_buf_puts(s, "if [ -x \"$py\" ] && \"$py\" -c 'import pip' >/dev/null 2>&1; then p1=$py; p2=-m; p3=pip.__main__\n"
                   "elif pc_bin pip3; then p1=$pc_v\n"
                   "else __playc_rec fail nopip; __playc_rec pipnames pip3; exit 0; fi\n");
  }
  rt_buf_puts(s, "for w in \"$p1\" $p2 $p3; do __playc_rec 'pip[]' \"$w\"; done\n"
                 "pip_run() { k=$1; shift; if [ -n \"$p2\" ]; then pc_cap \"$k\" \"$p1\" \"$p2\" \"$p3\" \"$@\"; "
                 "else pc_cap \"$k\" \"$p1\" \"$@\"; fi; }\n"
                 /* _get_packages: pip list --format=freeze, else pip freeze */
                 "pip_list() { k=$1; LANG=$pc_loc LC_ALL=$pc_loc LC_MESSAGES=$pc_loc pip_run \"$k\" list --format=freeze "
                 "&& { __playc_rec \"$k.how\" list; return 0; }; __playc_rec \"$k.how\" freeze; pip_run \"$k\" freeze; }\n");
}

/* _fail: msg "stdout: OUT\n:stderr: ERR", cmd */
static RtValue *pip_fail(RtValue *cmd, const char *out, const char *err) {
  RtBuf m = {0};
  rt_buf_add(&m, "", 0);
  if (*out)
    rt_buf_printf(&m, "stdout: %s", out);
  if (*err)
    rt_buf_printf(&m, "\n:stderr: %s", err);
  RtValue *r = mod_fail_result("%s", m.data);
  rt_dict_set(r, "cmd", cmd);
  rt_buf_free(&m);
  return r;
}

/* The installed distributions of a list: "name==version" lines */
static bool is_present(const Req *r, const char *list) {
  RtValue *lines = mod_lines(list, strlen(list));
  bool found = false;
  for (size_t i = 0; i < rt_len(lines) && !found; i++) {
    const char *l = rt_list_at(lines, i)->u.str.s, *eq = strstr(l, "==");
    if (!eq || strstr(eq + 2, "=="))
      continue;
    char *n = rt_xstrndup(l, (size_t)(eq - l)), *c = canonical(n);
    found = !strcmp(c, r->name) && satisfied(r, eq + 2);
    free(n);
    free(c);
  }
  rt_decref(lines);
  return found;
}

static RtValue *list_of(const RtExec *ex, const char *key) {
  RtValue *v = ex->rec ? rt_dict_get(ex->rec, key) : NULL;
  return v ? rt_incref(v) : rt_list_new(0);
}

static RtValue *pip_run(Pip *p) {
  RtHost *h = p->h;
  RtValue *r = NULL, *packages = NULL, *extra_words = NULL, *pyv = NULL;
  RtBuf s = {0}, extra = {0};
  Req *reqs = NULL;
  size_t nreqs = 0;
  long um = -1;
  RtExec ex;
  bool have_ex = false;
  const char *late_fail = NULL;
  if (p->umask) {
    char *end;
    um = strtol(p->umask, &end, 8);
    if (!*p->umask || *end)
      return mod_fail_result("umask must be an octal integer");
  }
  if (!strcmp(p->state, "latest") && p->version)
    return mod_fail_result("version is incompatible with state=latest");
  bool has_vcs = false;
  if (p->names) {
    for (size_t i = 0; i < rt_len(p->names); i++) {
      const char *n = rt_list_at(p->names, i)->u.str.s;
      has_vcs |= !strncmp(n, "svn+", 4) || !strncmp(n, "git+", 4) || !strncmp(n, "bzr+", 4) || !strncmp(n, "hg+", 3);
    }
    packages = recover_names(p->names);
    nreqs = rt_len(packages);
    reqs = rt_xcalloc(nreqs, sizeof *reqs);
    for (size_t i = 0; i < nreqs; i++)
      req_parse(rt_list_at(packages, i)->u.str.s, &reqs[i]);
    if (p->version) { /* Ansible finds these after the virtualenv is made */
      if (nreqs > 1) {
        late_fail = "'version' argument is ambiguous when installing multiple package distributions. "
                    "Please specify version restrictions next to each package in 'name' argument.";
      } else if (reqs[0].plain && reqs[0].nspecs) {
        late_fail = "The 'version' argument conflicts with any version specifier provided along with a "
                    "package name. Please keep the version specifier, but remove the 'version' argument.";
      }
    }
    if (p->version && !late_fail) {
      const char *v = p->version;
      while (isspace((unsigned char)*v))
        v++;
      char *joined = rt_xasprintf("%s%s%s", reqs[0].text, isdigit((unsigned char)*v) ? "==" : " ", v);
      req_free(&reqs[0]);
      req_parse(joined, &reqs[0]);
      free(joined);
    }
  }
  if (p->extra_args)
    rt_buf_puts(&extra, p->extra_args);
  if (p->editable) { /* -e unless extra_args.split(' ') has it */
    bool has_e = false;
    char *copy = rt_xstrdup(extra.data ? extra.data : "");
    for (char *q = copy, *sp; q; q = sp ? sp + 1 : NULL) {
      sp = strchr(q, ' ');
      if (sp)
        *sp = 0;
      has_e |= !strcmp(q, "-e");
    }
    free(copy);
    if (!has_e)
      rt_buf_printf(&extra, "%s-e", extra.len ? " " : "");
  }
  extra_words = extra.len ? mod_py_shlex_split(extra.data) : rt_list_new(0);
  if (!extra_words) {
    r = mod_fail_result("No closing quotation");
    goto done;
  }
  bool check = h->check_mode;
  pyv = rt_var(h, "ansible_python_interpreter", NULL);
  const char *python = rt_kind(pyv) == RT_STR && strncmp(pyv->u.str.s, "auto", 4) ? pyv->u.str.s : "/usr/bin/python3";
  /* the request: umask, chdir, the virtualenv, pip, then what the state asks */
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, "pc_locale\n");
  if (um >= 0)
    rt_buf_printf(&s, "umask %lo\n", um);
  if (p->chdir)
    mod_sh_set_path(&s, "wd", p->chdir);
  else
    rt_buf_puts(&s, "wd=${TMPDIR:-/tmp}\n");
  rt_buf_puts(&s, "cd -- \"$wd\" || { __playc_rec fail nochdir; __playc_rec wd \"$wd\"; exit 0; }\n");
  if (p->env) {
    mod_sh_set_path(&s, "env", p->env);
    if (p->chdir)
      rt_buf_puts(&s, "case $env in /*) ;; *) env=$wd/$env;; esac\n");
    rt_buf_puts(&s, "__playc_rec env \"$env\"\n"
                    "if [ ! -e \"$env/bin/activate\" ]; then __playc_rec venv 1\n");
    if (check) {
      rt_buf_puts(&s, "  exit 0\n");
    } else {
      RtValue *vc = mod_py_shlex_split(p->venv_cmd);
      rt_buf_puts(&s, "  set --");
      for (size_t i = 0; vc && i < rt_len(vc); i++) {
        rt_buf_putc(&s, ' ');
        rt_sh_quote(&s, rt_list_at(vc, i)->u.str.s);
      }
      rt_buf_puts(&s, "\n  case $1 in */*) ;; *) v1=$1; shift; pc_bin \"$v1\" || pc_nobin \"$v1\"; "
                      "set -- \"$pc_v\" \"$@\";; esac\n");
      if (p->site_packages)
        rt_buf_puts(&s, "  set -- \"$@\" --system-site-packages\n");
      else
        rt_buf_puts(&s, "  __playc_rec v1 \"$1\"; pc_cap vhelp \"$1\" --help || exit 0\n"
                        "  if grep -q -- --no-site-packages \"$__playc_scr/o\"; then set -- \"$@\" --no-site-packages; fi\n");
      bool is_venv = strstr(p->venv_cmd, "pyvenv") || strstr(p->venv_cmd, "-m venv");
      if (!is_venv) {
        mod_sh_set(&s, "vp", p->venv_python ? p->venv_python : python);
        rt_buf_puts(&s, "  set -- \"$@\" \"-p$vp\"\n");
      } else if (p->venv_python) {
        rt_buf_puts(&s, "  __playc_rec fail venvpython; exit 0\n");
      }
      rt_buf_puts(&s, "  set -- \"$@\" \"$env\"\n"
                      "  for w in \"$@\"; do __playc_rec 'vcmd[]' \"$w\"; done\n"
                      "  pc_cap venv \"$@\" || exit 0\n");
      rt_decref(vc);
    }
    rt_buf_puts(&s, "fi\n");
  }
  if (late_fail)
    rt_buf_puts(&s, "exit 0\n");
  pip_script(&s, p, python);
  /* the command: the state's words, extra args, the packages (cmd[]) */
  rt_buf_printf(&s, "set -- %s", state_words(p->state));
  for (size_t i = 0; i < rt_len(extra_words); i++) {
    rt_buf_putc(&s, ' ');
    rt_sh_quote(&s, rt_list_at(extra_words, i)->u.str.s);
  }
  if (p->names) {
    for (size_t i = 0; i < nreqs; i++) {
      rt_buf_putc(&s, ' ');
      rt_sh_quote(&s, reqs[i].text);
    }
  } else if (p->requirements) {
    rt_buf_puts(&s, " -r ");
    rt_sh_quote(&s, p->requirements);
  }
  rt_buf_puts(&s, "\nfor w in \"$@\"; do __playc_rec 'cmd[]' \"$w\"; done\n");
  bool early_check = check && (p->extra_args || p->requirements || !strcmp(p->state, "latest") || !p->names);
  if (!p->names && !p->requirements) {
    rt_buf_puts(&s, "exit 0\n");
  } else if (early_check) {
    rt_buf_puts(&s, "exit 0\n");
  } else if (check) {
    rt_buf_puts(&s, "pip_list list\n");
  } else {
    if (p->requirements || has_vcs)
      rt_buf_puts(&s, "pip_list before || exit 0\n");
    if (p->env)
      rt_buf_puts(&s, "opath=$PATH; PATH=$env/bin:$PATH; pip_run act \"$@\"; PATH=$opath\n");
    else
      rt_buf_puts(&s, "pip_run act \"$@\"\n");
    if ((p->requirements || has_vcs) && strcmp(p->state, "absent") != 0)
      rt_buf_puts(&s, "[ \"$pc_r\" != 0 ] || pip_list after\n");
  }
  char *err = NULL;
  int xrc = rt_host_exec(h, s.data, NULL, 0, &ex, &err);
  free(err);
  if (xrc < 0)
    goto done;
  have_ex = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  const char *fail = mod_rec(&ex, "fail");
  RtValue *pipw = list_of(&ex, "pip"), *cmdw = list_of(&ex, "cmd"), *cmd = rt_list_new(8);
  for (size_t i = 0; i < rt_len(pipw); i++)
    rt_list_push(cmd, rt_incref(rt_list_at(pipw, i)));
  for (size_t i = 0; i < rt_len(cmdw); i++)
    rt_list_push(cmd, rt_incref(rt_list_at(cmdw, i)));
  rt_decref(cmdw);
  ModCap c = {0}, v = {0};
  RtBuf out = {0}, errs = {0};
  rt_buf_add(&out, "", 0);
  rt_buf_add(&errs, "", 0);
  bool venv_created = mod_ps_cap(&ex, "venv", &v);
  if (venv_created) {
    rt_buf_puts(&out, v.out);
    rt_buf_puts(&errs, v.err);
  }
  if (fail && !strcmp(fail, "nochdir")) {
    r = mod_fail_result("[Errno 2] No such file or directory: '%s'", mod_rec(&ex, "wd"));
  } else if (fail && !strcmp(fail, "venvpython")) {
    r = mod_fail_result("virtualenv_python should not be used when using the venv module or pyvenv as "
                        "virtualenv_command");
  } else if (fail && !strcmp(fail, "nopip")) {
    r = mod_fail_result("Unable to find any of %s to use.  pip needs to be installed.", mod_rec(&ex, "pipnames"));
  } else if (fail && !strcmp(fail, "nopipvenv")) {
    r = mod_fail_result("Unable to find pip in the virtualenv, %s, under any of these names: pip3, pip. Make sure pip "
                        "is present in the virtualenv.",
                        mod_rec(&ex, "env"));
  } else if (mod_ps_cap(&ex, "vhelp", &c) && c.rc != 0) {
    r = mod_fail_result("Could not get output from %s --help: %s%s", mod_rec(&ex, "v1") ? mod_rec(&ex, "v1") : "",
                        c.out, c.err);
  } else if (venv_created && v.rc != 0) {
    r = pip_fail(list_of(&ex, "vcmd"), out.data, errs.data);
  } else if (mod_rec(&ex, "venv") && check) {
    r = rt_dict_new(1);
    rt_dict_set(r, "changed", rt_bool(true));
  } else if (late_fail) {
    r = mod_fail_result("%s", late_fail);
  } else if (!p->names && !p->requirements) {
    r = rt_dict_new(2);
    rt_dict_set(r, "changed", rt_bool(false));
    RtValue *w = rt_list_new(1);
    rt_list_push(w, rt_strz("No valid name or requirements file found."));
    rt_dict_set(r, "warnings", w);
  } else if (early_check) {
    r = rt_dict_new(1);
    rt_dict_set(r, "changed", rt_bool(true));
  } else if (check) {
    ModCap l = {0};
    mod_ps_cap(&ex, "list", &l);
    const char *how = mod_rec(&ex, "list.how");
    RtBuf pc = {0};
    for (size_t i = 0; i < rt_len(pipw); i++)
      rt_buf_printf(&pc, "%s ", rt_list_at(pipw, i)->u.str.s);
    rt_buf_puts(&pc, how && !strcmp(how, "freeze") ? "freeze" : "list --format=freeze");
    if (l.rc != 0) {
      RtValue *fc = mod_py_shlex_split(pc.data);
      r = pip_fail(fc ? fc : rt_list_new(0), l.out, l.err);
    } else {
      rt_buf_puts(&out, l.out);
      rt_buf_puts(&errs, l.err);
      bool changed = false;
      for (size_t i = 0; i < nreqs && !changed; i++) {
        bool present = is_present(&reqs[i], out.data);
        changed = (!strcmp(p->state, "present") && !present) || (!strcmp(p->state, "absent") && present);
      }
      r = rt_dict_new(5);
      rt_dict_set(r, "changed", rt_bool(changed));
      rt_dict_set(r, "cmd", rt_strz(pc.data));
      mod_ps_out(r, out.data, errs.data);
    }
    rt_buf_free(&pc);
    mod_ps_cap_free(&l);
  } else {
    ModCap a = {0}, b = {0}, af = {0};
    mod_ps_cap(&ex, "act", &a);
    bool has_before = mod_ps_cap(&ex, "before", &b), has_after = mod_ps_cap(&ex, "after", &af);
    if (has_before && b.rc != 0) {
      r = pip_fail(rt_incref(cmd), b.out, b.err);
    } else {
      rt_buf_puts(&out, a.out ? a.out : "");
      rt_buf_puts(&errs, a.err ? a.err : "");
      bool absent = !strcmp(p->state, "absent");
      if (a.rc != 0 && !(a.rc == 1 && absent && (strstr(a.out, "not installed") || strstr(a.err, "not installed")))) {
        r = pip_fail(rt_incref(cmd), out.data, errs.data);
      } else {
        bool changed;
        if (absent)
          changed = strstr(a.out, "Successfully uninstalled") != NULL;
        else if (!has_before)
          changed = strstr(a.out, "Successfully installed") != NULL;
        else
          changed = !has_after || strcmp(b.out, af.out) != 0;
        r = rt_dict_new(10);
        rt_dict_set(r, "changed", rt_bool(changed || venv_created));
        rt_dict_set(r, "cmd", rt_incref(cmd));
        rt_dict_set(r, "name", p->names ? rt_incref(p->names) : rt_none());
        rt_dict_set(r, "version", p->version ? rt_strz(p->version) : rt_none());
        rt_dict_set(r, "state", rt_strz(p->state));
        rt_dict_set(r, "requirements", p->requirements ? rt_strz(p->requirements) : rt_none());
        rt_dict_set(r, "virtualenv", mod_rec(&ex, "env") ? rt_strz(mod_rec(&ex, "env")) : rt_none());
        mod_ps_out(r, out.data, errs.data);
      }
    }
    mod_ps_cap_free(&a);
    mod_ps_cap_free(&b);
    mod_ps_cap_free(&af);
  }
  mod_ps_cap_free(&c);
  mod_ps_cap_free(&v);
  rt_buf_free(&out);
  rt_buf_free(&errs);
  rt_decref(pipw);
  rt_decref(cmd);
done:
  if (have_ex)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  rt_buf_free(&extra);
  for (size_t i = 0; i < nreqs; i++)
    req_free(&reqs[i]);
  free(reqs);
  rt_decref(packages);
  rt_decref(extra_words);
  rt_decref(pyv);
  return r;
}

RtValue *mod_pip(RtHost *h, RtValue *args) {
  Pip p = {0};
  p.h = h;
  char *err = NULL;
  p.state = mod_arg_str(args, "state");
  if (!p.state)
    p.state = rt_xstrdup("present");
  p.version = mod_arg_str(args, "version");
  p.requirements = mod_arg_str(args, "requirements");
  p.env = mod_arg_str(args, "virtualenv");
  p.venv_cmd = mod_arg_str(args, "virtualenv_command");
  if (!p.venv_cmd)
    p.venv_cmd = rt_xstrdup("virtualenv");
  p.venv_python = mod_arg_str(args, "virtualenv_python");
  p.extra_args = mod_arg_str(args, "extra_args");
  p.chdir = mod_arg_str(args, "chdir");
  p.executable = mod_arg_str(args, "executable");
  p.umask = mod_arg_str(args, "umask");
  p.site_packages = mod_arg_bool(args, "virtualenv_site_packages", 0) == 1;
  p.editable = mod_arg_bool(args, "editable", 0) == 1;
  p.names = mod_ps_arg_list(args, "name", &err);
  RtValue *r = err ? mod_fail_result("%s", err) : pip_run(&p);
  free(err);
  free(p.state);
  free(p.version);
  free(p.requirements);
  free(p.env);
  free(p.venv_cmd);
  free(p.venv_python);
  free(p.extra_args);
  free(p.chdir);
  free(p.executable);
  free(p.umask);
  rt_decref(p.names);
  return r;
}

#endif
