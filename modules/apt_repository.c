/*
 * apt_repository.c — the apt_repository module: APT's one-line sources
 * (sources.list and the *.list files of sources.list.d, where `apt-config` says they
 * are) read in one request, edited here in C exactly as Ansible's
 * SourcesList does (lines parsed into valid/enabled/source/comment and
 * written back normalised, a new source in the file named after its URI or
 * `filename`, a present source re-enabled, a removed one dropped, a file
 * left empty deleted), and, when that changes anything (and this is no
 * check run), written in a second request: each file whose text changes
 * replaced atomically (a private temp file beside it, the old file's mode
 * and owner, then rename; new files get the umask's mode, then `mode`),
 * then `apt-get update` with Ansible's retries; if the update fails the
 * files are put back as they were. Results: changed, repo, state, diff
 * (one entry per file, Ansible's headers).
 *
 * ppa: sources need Launchpad over the network for their key and are not
 * implemented: one that is already present is reported unchanged, any
 * other fails naming the missing support.
 */
#include "mod.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam apt_repository_params[] = {
    {.name = "repo", .type = MP_STR, .required = true},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "mode", .type = MP_RAW},
    {.name = "update_cache", .type = MP_BOOL, .def = "yes", .aliases = "update-cache"},
    {.name = "update_cache_retries", .type = MP_INT, .def = "5"},
    {.name = "update_cache_retry_max_delay", .type = MP_INT, .def = "12"},
    {.name = "filename", .type = MP_STR},
    /* only for python-apt, which playc does not need on the target */
    {.name = "install_python_apt", .type = MP_BOOL, .def = "yes"},
    /* only for Launchpad (ppa:), which playc does not fetch */
    {.name = "validate_certs", .type = MP_BOOL, .def = "yes"},
    {.name = "codename", .type = MP_STR},
};
const ModSchema mod_schema_apt_repository = {
    .name = "apt_repository",
    .params = apt_repository_params,
    .nparams = MOD_N(apt_repository_params),
    .tools = "apt-config,apt-get",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

typedef struct Line {
  int n; /* its number in the file as read */
  bool valid, enabled;
  char *source, *comment;
} Line;

typedef struct SrcFile {
  char *path;
  char *text; /* as read, or NULL for a new file */
  Line *lines;
  int nlines;
  bool is_new; /* not on the target yet */
  bool added;  /* a source was added to it (Ansible's new_repos: `mode` applies) */
} SrcFile;

typedef struct Sources {
  SrcFile *files;
  int nfiles;
  char *default_file, *parts;
} Sources;

static char *py_strip(const char *s, size_t n) {
  while (n && isspace((unsigned char)*s)) {
    s++;
    n--;
  }
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return rt_xstrndup(s, n);
}

/* SourcesList._parse; *invalid_text gets the line Ansible's InvalidSource
 * names. */
static void parse_line(const char *text, Line *l, char **invalid_text) {
  char *line = py_strip(text, strlen(text)), *p = line;
  l->valid = false;
  l->enabled = true;
  l->comment = rt_xstrdup("");
  if (*p == '#') {
    l->enabled = false;
    p++;
  }
  char *hash = strchr(p, '#');
  if (hash && hash > p) {
    free(l->comment);
    l->comment = py_strip(hash + 1, strlen(hash + 1));
    *hash = 0;
  }
  if (invalid_text)
    *invalid_text = rt_xstrdup(p);
  char *src = py_strip(p, strlen(p));
  l->source = src;
  if (*src) {
    /* chunks = source.split(); valid when chunks[0] is deb or deb-src */
    RtBuf b = {0};
    const char *q = src;
    bool first = true, valid = false;
    while (*q) {
      while (*q && isspace((unsigned char)*q))
        q++;
      if (!*q)
        break;
      const char *e = q;
      while (*e && !isspace((unsigned char)*e))
        e++;
      if (first)
        valid = (e - q == 3 && !strncmp(q, "deb", 3)) || (e - q == 7 && !strncmp(q, "deb-src", 7));
      rt_buf_printf(&b, "%s%.*s", first ? "" : " ", (int)(e - q), q);
      first = false;
      q = e;
    }
    if (valid) {
      l->valid = true;
      free(l->source);
      l->source = rt_buf_take(&b);
    }
    rt_buf_free(&b);
  }
  free(line);
}

static void load(SrcFile *f, const char *text) {
  const char *p = text;
  int n = 0;
  while (*p) { /* `for n, line in enumerate(f)`: lines end with \n */
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p + 1) : strlen(p);
    char *t = rt_xstrndup(p, len);
    f->lines = rt_xrealloc(f->lines, sizeof *f->lines * (size_t)(f->nlines + 1));
    Line *l = &f->lines[f->nlines++];
    l->n = n++;
    parse_line(t, l, NULL);
    free(t);
    p += len;
  }
}

/* dump(): a file's normalised text, NULL when it has no lines. */
static char *dump(const SrcFile *f) {
  if (!f->nlines)
    return NULL;
  RtBuf b = {0};
  for (int i = 0; i < f->nlines; i++) {
    const Line *l = &f->lines[i];
    rt_buf_printf(&b, "%s%s", l->enabled ? "" : "# ", l->source);
    if (*l->comment)
      rt_buf_printf(&b, " # %s", l->comment);
    rt_buf_putc(&b, '\n');
  }
  return rt_buf_take(&b);
}

static void sources_free(Sources *s) {
  for (int i = 0; i < s->nfiles; i++) {
    for (int j = 0; j < s->files[i].nlines; j++) {
      free(s->files[i].lines[j].source);
      free(s->files[i].lines[j].comment);
    }
    free(s->files[i].lines);
    free(s->files[i].path);
    free(s->files[i].text);
  }
  free(s->files);
  free(s->default_file);
  free(s->parts);
}

static SrcFile *file_get(Sources *s, const char *path, bool create) {
  for (int i = 0; i < s->nfiles; i++)
    if (!strcmp(s->files[i].path, path))
      return &s->files[i];
  if (!create)
    return NULL;
  s->files = rt_xrealloc(s->files, sizeof *s->files * (size_t)(s->nfiles + 1));
  SrcFile *f = &s->files[s->nfiles++];
  memset(f, 0, sizeof *f);
  f->path = rt_xstrdup(path);
  f->is_new = true;
  return f;
}

/* _suggest_filename(line) with `filename` */
static char *suggest_filename(const char *line, const char *filename) {
  if (filename)
    return rt_xasprintf("%s.list", filename);
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  /* drop [options] and scheme:// */
  for (const char *p = line; *p;) {
    if (*p == '[') {
      const char *e = strchr(p + 1, ']');
      if (e && e > p + 1) {
        p = e + 1;
        continue;
      }
    }
    if (isalnum((unsigned char)*p) || *p == '_') {
      const char *q = p;
      while (isalnum((unsigned char)*q) || *q == '_')
        q++;
      if (!strncmp(q, "://", 3)) {
        p = q + 3;
        continue;
      }
      rt_buf_add(&b, p, (size_t)(q - p));
      p = q;
      continue;
    }
    rt_buf_putc(&b, *p++);
  }
  /* the first word that is not deb/deb-src, without user:password@ */
  char *first = NULL, *save = NULL;
  for (char *w = strtok_r(b.data, " \t\n\r\f\v", &save); w; w = strtok_r(NULL, " \t\n\r\f\v", &save))
    if (strcmp(w, "deb") && strcmp(w, "deb-src")) {
      first = w;
      break;
    }
  RtBuf out = {0};
  rt_buf_add(&out, "", 0);
  if (first) {
    char *at = strchr(first, '@');
    if (at)
      first = at + 1;
    bool sep = false;
    for (const char *p = first; *p; p++) { /* '_'.join(re.sub('[^a-zA-Z0-9]', ' ', s).split()) */
      if (isalnum((unsigned char)*p) && !((unsigned char)*p & 0x80)) {
        if (sep && out.len)
          rt_buf_putc(&out, '_');
        rt_buf_putc(&out, *p);
        sep = false;
      } else {
        sep = true;
      }
    }
  }
  rt_buf_free(&b);
  char *r = rt_xasprintf("%s.list", out.data);
  rt_buf_free(&out);
  return r;
}

/* _expand_path */
static char *expand_path(const Sources *s, const char *file) {
  if (strchr(file, '/'))
    return rt_xstrdup(file);
  return rt_xasprintf("%s/%s", s->parts, file);
}

static void add_source(Sources *s, const char *source, const char *file) {
  bool found = false;
  for (int i = 0; i < s->nfiles; i++)
    for (int j = 0; j < s->files[i].nlines; j++) {
      Line *l = &s->files[i].lines[j];
      if (l->valid && !strcmp(l->source, source)) {
        l->enabled = true;
        found = true;
      }
    }
  if (found)
    return;
  char *path = file ? expand_path(s, file) : rt_xstrdup(s->default_file);
  SrcFile *f = file_get(s, path, true);
  free(path);
  f->lines = rt_xrealloc(f->lines, sizeof *f->lines * (size_t)(f->nlines + 1));
  Line *l = &f->lines[f->nlines];
  l->n = f->nlines++;
  l->valid = l->enabled = true;
  l->source = rt_xstrdup(source);
  l->comment = rt_xstrdup("");
  f->added = true;
}

/* _remove_valid_source, with Python's list-while-iterating behaviour: the
 * line at position i is tested, a match pops the line numbered n (its
 * number as read), and the walk goes on at i + 1. */
static bool remove_source(Sources *s, const char *source) {
  for (int i = 0; i < s->nfiles; i++) {
    SrcFile *f = &s->files[i];
    for (int pos = 0; pos < f->nlines; pos++) {
      Line *l = &f->lines[pos];
      if (!l->valid || !l->enabled || strcmp(l->source, source) != 0)
        continue;
      int n = l->n;
      if (n < 0 || n >= f->nlines)
        return false; /* pop index out of range */
      free(f->lines[n].source);
      free(f->lines[n].comment);
      memmove(&f->lines[n], &f->lines[n + 1], sizeof *f->lines * (size_t)(f->nlines - n - 1));
      f->nlines--;
    }
  }
  return true;
}

/* ---- the target side -------------------------------------------------------------------- */

static const char READ_SCRIPT[] =
    "pc_bin apt-config || pc_nobin apt-config; cf=$pc_v\n"
    "eval \"$(\"$cf\" shell sl Dir::Etc::sourcelist/f sp Dir::Etc::sourceparts/d)\" || exit 0\n"
    "sp=${sp%/}; __playc_rec sl \"$sl\"; __playc_rec sp \"$sp\"\n"
    "if [ -f \"$sl\" ]; then __playc_rec \"file[]\" \"$sl\"; __playc_rec \"text[]\" \"$(cat -- \"$sl\"; echo .)\"; fi\n"
    "set +f; for f in \"$sp\"/*.list; do [ -e \"$f\" ] || continue\n"
    "  __playc_rec \"file[]\" \"$f\"; __playc_rec \"text[]\" \"$(cat -- \"$f\"; echo .)\"; done\n"
    "if ! pc_bin apt-key && ! pc_bin gpg; then __playc_rec nokeytool 1; fi\n"
    "[ ! -r /etc/os-release ] || __playc_rec codename \"$(. /etc/os-release; echo \"${VERSION_CODENAME-}\")\"\n";

/* The mode argument: octal bits, or a symbolic string for chmod. */
static char *mode_text(RtValue *m) {
  if (!m || rt_kind(m) == RT_NONE)
    return NULL;
  if (rt_kind(m) == RT_INT)
    return rt_xasprintf("%o", (unsigned)m->u.i);
  RtBuf b = {0};
  rt_render_str(&b, m);
  return rt_buf_take(&b);
}

/* Request 2: the files, then the update; the old files back on failure. */
static void write_script(RtBuf *s, Sources *src, const char *mode, bool update, long long retries,
                         long long max_delay) {
  mod_ps_sh_begin(s);
  rt_buf_puts(s, "pc_undo() { while IFS= read -r u; do case $u in N*) rm -f -- \"${u#?}\";; "
                 "O*) cp -p -- \"$__playc_scr/b.${u#?}\" \"$(cat \"$__playc_scr/p.${u#?}\")\";; esac; done "
                 "< \"$__playc_scr/undo\"; }\n"
                 ": > \"$__playc_scr/undo\"\n");
  char rnd[25];
  for (int i = 0; i < src->nfiles; i++) {
    SrcFile *f = &src->files[i];
    char *text = dump(f);
    bool had = f->text != NULL;
    if (had && text && !strcmp(text, f->text) && !(f->added && mode)) {
      free(text);
      continue;
    }
    if (!had && !text) {
      free(text);
      continue;
    }
    mod_sh_set(s, "f", f->path);
    if (!text) { /* no lines left: the file goes */
      rt_buf_printf(s, "cp -p -- \"$f\" \"$__playc_scr/b.%d\" && printf '%%s' \"$f\" > \"$__playc_scr/p.%d\" && "
                       "echo O%d >> \"$__playc_scr/undo\"\n"
                       "rm -f -- \"$f\" || { __playc_rec fail \"$f\"; pc_undo; exit 0; }\n",
                    i, i, i);
      continue;
    }
    if (had && !strcmp(text, f->text)) { /* unchanged text: only a new source's mode */
      if (f->added && mode) {
        mod_sh_set(s, "m", mode);
        rt_buf_puts(s, "chmod -- \"$m\" \"$f\" || { __playc_rec fail \"$f\"; pc_undo; exit 0; }\n");
      }
      free(text);
      continue;
    }
    rt_random_hex(rnd, 12);
    mod_sh_set(s, "t", text);
    rt_buf_printf(s,
                  "d=${f%%/*}; [ -n \"$d\" ] || d=/\n"
                  "[ -d \"$d\" ] || mkdir -p -- \"$d\" || { __playc_rec fail \"$d\"; pc_undo; exit 0; }\n"
                  "tf=$d/.playc-tmp-%s\n"
                  "(umask 077; set -C; printf '%%s' \"$t\" > \"$tf\") || { __playc_rec fail \"$tf\"; pc_undo; exit 0; }\n"
                  "if [ -e \"$f\" ]; then chmod \"$(stat -c %%a -- \"$f\")\" \"$tf\"; "
                  "chown \"$(stat -c %%u:%%g -- \"$f\")\" \"$tf\" 2>/dev/null\n"
                  "  cp -p -- \"$f\" \"$__playc_scr/b.%d\" && printf '%%s' \"$f\" > \"$__playc_scr/p.%d\" && "
                  "echo O%d >> \"$__playc_scr/undo\"\n"
                  "else chmod \"$(printf %%o $((0666 & ~$(umask))))\" \"$tf\"; echo \"N$f\" >> \"$__playc_scr/undo\"; fi\n"
                  "mv -f -- \"$tf\" \"$f\" || { rm -f -- \"$tf\"; __playc_rec fail \"$f\"; pc_undo; exit 0; }\n",
                  rnd, i, i, i);
    if (f->added && mode) {
      mod_sh_set(s, "m", mode);
      rt_buf_puts(s, "chmod -- \"$m\" \"$f\" || { __playc_rec fail \"$f\"; pc_undo; exit 0; }\n");
    }
    free(text);
  }
  if (update) {
    char rr[9];
    rt_random_hex(rr, 4);
    double randomize = (double)(strtoul(rr, NULL, 16) % 1001) / 1000.0;
    rt_buf_puts(s, "pc_bin apt-get || { pc_undo; pc_nobin apt-get; }; ag=$pc_v\nok=0; for d in");
    for (long long i = 0; i < retries && i < 64; i++) {
      double delay = (double)(1LL << (i < 62 ? i : 62)) + randomize;
      if (delay > (double)max_delay)
        delay = (double)max_delay + randomize;
      rt_buf_printf(s, " %.3f", delay);
    }
    rt_buf_puts(s, "; do if pc_update up \"$ag\"; then ok=1; break; fi; sleep \"$d\"; done\n"
                   "[ $ok = 1 ] || { pc_undo; __playc_rec updfail 1; }\n");
  }
}

/* ---- the module ----------------------------------------------------------------------------- */

static bool exec_req(RtHost *h, RtBuf *s, RtExec *ex) {
  char *err = NULL;
  int rc = rt_host_exec(h, s->data, NULL, 0, ex, &err);
  free(err);
  rt_buf_free(s);
  return rc == 0;
}

/* {path: normalised text} of every file with lines */
static RtValue *dump_all(Sources *s) {
  RtValue *d = rt_dict_new(8);
  for (int i = 0; i < s->nfiles; i++) {
    char *t = dump(&s->files[i]);
    if (t)
      rt_dict_set(d, s->files[i].path, rt_str_take(t, strlen(t)));
  }
  return d;
}

/* Ansible's diff: one entry per file of either dump, sorted by name here
 * (Ansible's order is a set's). */
static RtValue *diff_list(RtValue *before, RtValue *after) {
  RtValue *names = rt_list_new(8), *seen = rt_dict_new(8);
  RtValue *both[2] = {before, after};
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; i < both[k]->u.dict.len; i++) {
      const char *n = both[k]->u.dict.ents[i].key->u.str.s;
      if (!rt_dict_get(seen, n)) {
        rt_dict_set(seen, n, rt_bool(true));
        rt_list_push(names, rt_strz(n));
      }
    }
  size_t nn = rt_len(names);
  for (size_t i = 1; i < nn; i++)
    for (size_t j = i; j > 0 && strcmp(names->u.list.items[j - 1]->u.str.s, names->u.list.items[j]->u.str.s) > 0;
         j--) {
      RtValue *t = names->u.list.items[j - 1];
      names->u.list.items[j - 1] = names->u.list.items[j];
      names->u.list.items[j] = t;
    }
  RtValue *l = rt_list_new(nn);
  for (size_t i = 0; i < nn; i++) {
    const char *n = rt_list_at(names, i)->u.str.s;
    RtValue *b = rt_dict_get(before, n), *a = rt_dict_get(after, n), *e = rt_dict_new(4);
    rt_dict_set(e, "before", b ? rt_incref(b) : rt_strz(""));
    rt_dict_set(e, "after", a ? rt_incref(a) : rt_strz(""));
    rt_dict_set(e, "before_header", rt_strz(b ? n : "/dev/null"));
    rt_dict_set(e, "after_header", rt_strz(a ? n : "/dev/null"));
    rt_list_push(l, e);
  }
  rt_decref(names);
  rt_decref(seen);
  return l;
}

RtValue *mod_apt_repository(RtHost *h, RtValue *args) {
  char *repo = mod_arg_str(args, "repo"), *state = mod_arg_str(args, "state");
  char *filename = mod_arg_str(args, "filename"), *mode = mode_text(rt_dict_get(args, "mode")), *err = NULL;
  int update = mod_arg_bool(args, "update_cache", 1);
  long long retries = 5, max_delay = 12;
  RtValue *r = NULL, *before = NULL, *after = NULL;
  Sources src = {0};
  RtBuf s = {0};
  RtExec ex;
  bool have_ex = false;
  if (!mod_ps_arg_int(args, "update_cache_retries", 5, &retries, &err) ||
      !mod_ps_arg_int(args, "update_cache_retry_max_delay", 12, &max_delay, &err)) {
    r = mod_fail_result("%s", err);
    goto done;
  }
  if (!repo || !*repo) {
    r = mod_fail_result("Please set argument 'repo' to a non-empty value");
    goto done;
  }
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, READ_SCRIPT);
  if (!exec_req(h, &s, &ex))
    goto done;
  have_ex = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec(&ex, "nokeytool")) {
    r = mod_fail_result("Either apt-key or gpg binary is required, but neither could be found");
    goto done;
  }
  src.default_file = rt_xstrdup(mod_rec(&ex, "sl") ? mod_rec(&ex, "sl") : "/etc/apt/sources.list");
  src.parts = rt_xstrdup(mod_rec(&ex, "sp") ? mod_rec(&ex, "sp") : "/etc/apt/sources.list.d");
  RtValue *files = rt_dict_get(ex.rec, "file"), *texts = rt_dict_get(ex.rec, "text");
  for (size_t i = 0; files && texts && i < rt_len(files) && i < rt_len(texts); i++) {
    SrcFile *f = file_get(&src, rt_list_at(files, i)->u.str.s, true);
    const RtValue *t = rt_list_at(texts, i);
    f->is_new = false;
    f->text = rt_xstrndup(t->u.str.s, t->u.str.len ? t->u.str.len - 1 : 0);
    load(f, f->text);
  }
  before = dump_all(&src);
  bool present = !state || strcmp(state, "absent") != 0;
  if (!strncmp(repo, "ppa:", 4)) {
    /* _expand_ppa: the source it stands for */
    const char *ppa = repo + 4, *slash = strchr(ppa, '/');
    char *owner = slash ? rt_xstrndup(ppa, (size_t)(slash - ppa)) : rt_xstrdup(ppa);
    char *name = slash ? rt_xstrdup(slash + 1) : rt_xstrdup("ppa");
    char *codename = mod_arg_str(args, "codename");
    if (!codename)
      codename = rt_xstrdup(mod_rec(&ex, "codename") ? mod_rec(&ex, "codename") : "");
    char *line = rt_xasprintf("deb http://ppa.launchpad.net/%s/%s/ubuntu %s main", owner, name, codename);
    bool exists = false;
    for (int i = 0; i < src.nfiles; i++)
      for (int j = 0; j < src.files[i].nlines; j++)
        exists |= src.files[i].lines[j].valid && src.files[i].lines[j].enabled &&
                  !strcmp(src.files[i].lines[j].source, line);
    if (present && !exists)
      r = mod_fail_result("ppa: repositories need Launchpad (their signing key), which playc does not fetch yet: %s",
                          repo);
    else if (!present)
      remove_source(&src, line);
    free(owner);
    free(name);
    free(codename);
    free(line);
    if (r)
      goto done;
  } else {
    Line l = {0};
    char *inv = NULL;
    parse_line(repo, &l, &inv);
    if (!l.valid || !l.enabled) {
      r = mod_fail_result("Invalid repository string: %s", inv);
    } else if (present) {
      char *file = suggest_filename(l.source, filename);
      add_source(&src, l.source, file);
      free(file);
    } else if (!remove_source(&src, l.source)) {
      r = mod_fail_result("pop index out of range");
    }
    free(l.source);
    free(l.comment);
    free(inv);
    if (r)
      goto done;
  }
  after = dump_all(&src);
  bool changed = !rt_equal(before, after);
  RtValue *diff = changed && h->run->opt.diff ? diff_list(before, after) : rt_dict_new(0);
  if (changed && !h->check_mode) {
    RtExec ex2;
    write_script(&s, &src, mode, update == 1, retries, max_delay);
    if (!exec_req(h, &s, &ex2)) {
      rt_decref(diff);
      goto done;
    }
    if ((r = mod_ps_missing(&ex2)) == NULL && mod_rec(&ex2, "fail"))
      r = mod_fail_result("[Errno 13] Permission denied: '%s'", mod_rec(&ex2, "fail"));
    if (!r && mod_rec(&ex2, "updfail")) { /* FetchFailedException: apt's errors, if any */
      ModCap c = {0};
      char *e = mod_ps_cap(&ex2, "up", &c) ? mod_ps_apt_errors(c.err, false) : rt_xstrdup("");
      r = mod_fail_result("Failed to update apt cache: %s", *e ? e : "unknown reason");
      free(e);
      mod_ps_cap_free(&c);
    }
    rt_exec_free(&ex2);
    if (r) {
      rt_decref(diff);
      goto done;
    }
  }
  r = rt_dict_new(5);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "repo", rt_strz(repo));
  rt_dict_set(r, "state", rt_strz(state ? state : "present"));
  rt_dict_set(r, "diff", diff);
done:
  if (have_ex)
    rt_exec_free(&ex);
  rt_buf_free(&s);
  rt_decref(before);
  rt_decref(after);
  sources_free(&src);
  free(repo);
  free(state);
  free(filename);
  free(mode);
  free(err);
  return r;
}

#endif
