/*
 * lookups.c — lookup plugins run on the controller: the ones with_<lookup>
 * loops and lookup()/query() use (items, list, dict, indexed_items, together,
 * nested, subelements, sequence, flattened, random_choice, env,
 * inventory_hostnames, pipe, lines, vars, varnames, password, first_found,
 * file, fileglob, ini, template), with Ansible's results for the same terms;
 * rt_lookup_fn adds what Templar's _lookup does around a plugin (wantlist,
 * errors=, joining the result, the message naming the class a plugin
 * raised). Terms
 * are made a list first as listify_lookup_plugin_terms does (a string or a
 * dict is one term).
 */
#include "filters.h" /* rt_text_strip, rt_text_splitlines */
#include "mod.h"     /* mod_template_render */
#include "regex.h"
#include "rt.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static RtValue *lk_err(const char *fmt, const char *name) { return rt_error(fmt, name); }

/* listify_lookup_plugin_terms: a list as is, anything else a one-term list. */
static RtValue *listify(RtValue *terms) {
  if (rt_kind(terms) == RT_LIST)
    return rt_incref(terms);
  RtValue *l = rt_list_new(1);
  rt_list_push(l, rt_incref(terms));
  return l;
}

static void flatten_into(RtValue *out, RtValue *v, int levels) {
  if (rt_kind(v) == RT_LIST && levels != 0) {
    for (size_t i = 0; i < rt_len(v); i++)
      flatten_into(out, rt_list_at(v, i), levels - 1);
  } else {
    rt_list_push(out, rt_incref(v));
  }
}

/* items: the terms flattened one level. */
static RtValue *lk_items(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)h, (void)kw;
  RtValue *l = listify(terms), *out = rt_list_new(rt_len(l));
  for (size_t i = 0; i < rt_len(l); i++)
    flatten_into(out, rt_list_at(l, i), 1);
  rt_decref(l);
  return out;
}

static RtValue *lk_list(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)h, (void)kw;
  return listify(terms);
}

static RtValue *lk_flattened(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)h, (void)kw;
  RtValue *l = listify(terms), *out = rt_list_new(rt_len(l));
  for (size_t i = 0; i < rt_len(l); i++)
    flatten_into(out, rt_list_at(l, i), -1);
  rt_decref(l);
  return out;
}

/* dict: each dict's entries as {key, value}. */
static RtValue *lk_dict(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)h, (void)kw;
  RtValue *l = listify(terms), *out = rt_list_new(0);
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *d = rt_list_at(l, i);
    if (rt_kind(d) != RT_DICT) {
      rt_decref(l);
      rt_decref(out);
      return rt_error("with_dict expects a dict");
    }
    for (size_t e = 0; e < d->u.dict.len; e++) {
      RtValue *kv = rt_dict_new(2);
      rt_dict_set(kv, "key", rt_dict_key_value(d->u.dict.ents[e].key));
      rt_dict_set(kv, "value", rt_incref(d->u.dict.ents[e].val));
      rt_list_push(out, kv);
    }
  }
  rt_decref(l);
  return out;
}

static RtValue *pair(RtValue *a, RtValue *b) {
  RtValue *p = rt_list_new(2);
  rt_list_push(p, a);
  rt_list_push(p, b);
  return p;
}

static RtValue *lk_indexed_items(RtHost *h, RtValue *terms, RtValue *kw) {
  RtValue *items = lk_items(h, terms, kw), *out = rt_list_new(rt_len(items));
  for (size_t i = 0; i < rt_len(items); i++)
    rt_list_push(out, pair(rt_int((int64_t)i), rt_incref(rt_list_at(items, i))));
  rt_decref(items);
  return out;
}

/* together: zip_longest of the lists, None for the missing. */
static RtValue *lk_together(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)h, (void)kw;
  RtValue *l = listify(terms);
  size_t n = 0;
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *x = rt_list_at(l, i);
    size_t len = rt_kind(x) == RT_LIST ? rt_len(x) : 1;
    n = len > n ? len : n;
  }
  RtValue *out = rt_list_new(n);
  for (size_t j = 0; j < n; j++) {
    RtValue *row = rt_list_new(rt_len(l));
    for (size_t i = 0; i < rt_len(l); i++) {
      RtValue *x = rt_list_at(l, i);
      if (rt_kind(x) != RT_LIST)
        rt_list_push(row, j == 0 ? rt_incref(x) : rt_none());
      else
        rt_list_push(row, j < rt_len(x) ? rt_incref(rt_list_at(x, j)) : rt_none());
    }
    rt_list_push(out, row);
  }
  rt_decref(l);
  return out;
}

/* nested: the product of the lists, each combination a list. */
static RtValue *lk_nested(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)h, (void)kw;
  RtValue *l = listify(terms);
  RtValue *acc = rt_list_new(1);
  rt_list_push(acc, rt_list_new(0));
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *x = listify(rt_list_at(l, i));
    if (rt_len(acc) * rt_len(x) > 1000000) {
      rt_decref(x);
      rt_decref(acc);
      rt_decref(l);
      return rt_error("with_nested: the product of the lists is too large");
    }
    RtValue *next = rt_list_new(rt_len(acc) * rt_len(x));
    for (size_t a = 0; a < rt_len(acc); a++)
      for (size_t b = 0; b < rt_len(x); b++) {
        RtValue *row = rt_list_copy(rt_list_at(acc, a));
        rt_list_push(row, rt_incref(rt_list_at(x, b)));
        rt_list_push(next, row);
      }
    rt_decref(x);
    rt_decref(acc);
    acc = next;
  }
  rt_decref(l);
  return acc;
}

/* A copy of dict `e` without the last key of `parts` (the dicts on the way
 * copied too): what subelements' subvalue.pop(subkey) leaves of its item. */
static RtValue *without_path(RtValue *e, char **parts, int n) {
  RtValue *c = rt_dict_copy(e);
  if (n == 1) {
    rt_dict_del(c, parts[0]);
  } else {
    RtValue *inner = rt_dict_get(e, parts[0]);
    rt_dict_set(c, parts[0], without_path(inner, parts + 1, n - 1));
  }
  return c;
}

static bool skipped_item(const RtValue *v) {
  RtValue *s = rt_dict_get(v, "skipped");
  return s && !(rt_kind(s) == RT_BOOL && !s->u.b);
}

/* The error `fmt` (one %s: `a`, then the value shown as Python shows it, or
 * `v` alone when `a` is NULL), the lookup's values released. */
static RtValue *sub_error(RtValue *out, RtValue *elems, RtValue *l, char *path, const char *fmt, const char *a,
                          const RtValue *v) {
  RtBuf b = {0};
  rt_render_str(&b, v);
  RtValue *e = a ? rt_error(fmt, a, b.data ? b.data : "") : rt_error(fmt, b.data ? b.data : "");
  rt_buf_free(&b);
  rt_decref(out);
  rt_decref(elems);
  rt_decref(l);
  free(path);
  return e;
}

/* subelements: [list or dict of dicts, "key.sub", {skip_missing}] →
 * [[element, subvalue], ...], the element without its subelement key (the
 * lookup pops it), skipped elements left out (Ansible's subelements.run). */
static RtValue *lk_subelements(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)h;
  RtValue *l = listify(terms);
  if (rt_len(l) < 2 || rt_len(l) > 3 || rt_kind(rt_list_at(l, 1)) != RT_STR) {
    rt_decref(l);
    return rt_error("subelements lookup expects a list of two or three items");
  }
  RtValue *src = rt_list_at(l, 0), *key = rt_list_at(l, 1);
  bool skip = false;
  RtValue *flags = rt_len(l) == 3 ? rt_list_at(l, 2) : kw;
  if (flags && rt_kind(flags) == RT_DICT) {
    RtValue *s = rt_dict_get(flags, "skip_missing");
    skip = s && rt_to_boolean(s) == 1;
  }
  RtValue *elems = src;
  if (rt_kind(src) == RT_DICT) {
    if (skipped_item(src)) { /* the registered result was completely skipped */
      rt_decref(l);
      return rt_list_new(0);
    }
    elems = rt_list_new(src->u.dict.len);
    for (size_t i = 0; i < src->u.dict.len; i++)
      rt_list_push(elems, rt_incref(src->u.dict.ents[i].val));
  } else if (rt_kind(src) == RT_LIST) {
    rt_incref(elems);
  } else {
    rt_decref(l);
    return rt_error("subelements lookup expects a list of two or three items, first a dict or a list, second a "
                    "string pointing to the subkey");
  }
  RtValue *out = rt_list_new(0);
  char *path = rt_xstrdup(key->u.str.s);
  char *parts[64];
  int nparts = 0;
  for (char *save = NULL, *p = strtok_r(path, ".", &save); p && nparts < 64; p = strtok_r(NULL, ".", &save))
    parts[nparts++] = p;
  for (size_t i = 0; i < rt_len(elems); i++) {
    RtValue *e = rt_list_at(elems, i);
    if (rt_kind(e) != RT_DICT)
      return sub_error(out, elems, l, path, "subelements lookup expects a dictionary, got '%s'", NULL, e);
    if (skipped_item(e))
      continue;
    RtValue *sub = e, *sublist = NULL;
    for (int k = 0; k < nparts; k++) {
      RtValue *v = rt_dict_get(sub, parts[k]);
      if (!v) {
        if (skip)
          continue;
        return sub_error(out, elems, l, path, "could not find '%s' key in iterated item '%s'", parts[k], sub);
      }
      if (k < nparts - 1) {
        if (rt_kind(v) != RT_DICT) {
          if (skip)
            continue;
          return sub_error(out, elems, l, path, "the key %s should point to a dictionary, got '%s'", parts[k], v);
        }
        sub = v;
      } else if (rt_kind(v) != RT_LIST) {
        return sub_error(out, elems, l, path, "the key %s should point to a list, got '%s'", parts[k], v);
      } else {
        sublist = v;
      }
    }
    if (!sublist || rt_len(sublist) == 0)
      continue;
    RtValue *popped = without_path(e, parts, nparts);
    for (size_t j = 0; j < rt_len(sublist); j++)
      rt_list_push(out, pair(rt_incref(popped), rt_incref(rt_list_at(sublist, j))));
    rt_decref(popped);
  }
  free(path);
  rt_decref(elems);
  rt_decref(l);
  return out;
}

/* sequence: "start=1 end=10 stride=1 format=%d" or "count=N", or the short
 * form "[start-]end[/stride][:format]". */
static RtValue *lk_sequence(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)h, (void)kw;
  RtValue *l = listify(terms), *out = rt_list_new(0);
  for (size_t t = 0; t < rt_len(l); t++) {
    RtValue *term = rt_list_at(l, t);
    if (rt_kind(term) != RT_STR) {
      rt_decref(out);
      rt_decref(l);
      return rt_error("can't parse arg sequence");
    }
    long long start = 1, end = 0, stride = 1, count = -1;
    bool have_end = false;
    char fmt[64] = "%d";
    char *s = rt_xstrdup(term->u.str.s);
    bool bad = false;
    char *save = NULL; /* strtok_r: hosts run this on parallel threads */
    for (char *tok = strtok_r(s, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
      char *eq = strchr(tok, '=');
      if (!eq) { /* short form */
        char *colon = strchr(tok, ':');
        if (colon) {
          snprintf(fmt, sizeof fmt, "%s", colon + 1);
          *colon = 0;
        }
        char *slash = strchr(tok, '/');
        if (slash) {
          stride = strtoll(slash + 1, NULL, 0);
          *slash = 0;
        }
        char *dash = strchr(tok + 1, '-');
        if (dash) {
          *dash = 0;
          start = strtoll(tok, NULL, 0);
          end = strtoll(dash + 1, NULL, 0);
        } else {
          end = strtoll(tok, NULL, 0);
        }
        have_end = true;
        continue;
      }
      *eq = 0;
      const char *v = eq + 1;
      if (!strcmp(tok, "start"))
        start = strtoll(v, NULL, 0);
      else if (!strcmp(tok, "end"))
        end = strtoll(v, NULL, 0), have_end = true;
      else if (!strcmp(tok, "stride"))
        stride = strtoll(v, NULL, 0);
      else if (!strcmp(tok, "count"))
        count = strtoll(v, NULL, 0);
      else if (!strcmp(tok, "format"))
        snprintf(fmt, sizeof fmt, "%s", v);
      else
        bad = true;
    }
    free(s);
    /* sequence.py's sanity_check, in its order and words */
    const char *why = NULL;
    if (bad)
      why = "can't parse arg sequence";
    else if (count < 0 && !have_end)
      why = "must specify count or end in with_sequence";
    else if (count >= 0 && have_end)
      why = "can't specify both count and end in with_sequence";
    if (!why && count >= 0) {
      if (count != 0)
        end = start + count * stride - 1;
      else
        start = end = stride = 0;
      have_end = true;
    }
    if (!why && stride > 0 && end < start)
      why = "to count backwards make stride negative";
    else if (!why && stride < 0 && end > start)
      why = "to count forward don't make stride negative";
    int npct = 0;
    for (const char *p = fmt; *p; p++)
      npct += *p == '%';
    if (why || npct != 1) {
      rt_decref(out);
      rt_decref(l);
      return why ? rt_error("%s", why) : rt_error("bad formatting string: %s", fmt);
    }
    if (stride == 0) /* count=0: nothing */
      continue;
    if ((end - start) / stride > 100000) {
      rt_decref(out);
      rt_decref(l);
      return rt_error("sequence: too many items");
    }
    /* only integer conversions of the format are honoured */
    char *conv = strchr(fmt, '%');
    size_t cl = strspn(conv + 1, "-+ #0123456789");
    char c = conv[1 + cl];
    if (!c || !strchr("dixXo", c)) {
      rt_decref(out);
      rt_decref(l);
      return rt_error("bad formatting string: %s", fmt);
    }
    char cfmt[80];
    snprintf(cfmt, sizeof cfmt, "%.*sll%s", (int)(conv + 1 + cl - fmt), fmt, conv + 1 + cl);
    for (long long i = start; stride > 0 ? i <= end : i >= end; i += stride) {
      char *text = rt_xasprintf(cfmt, i);
      rt_list_push(out, rt_str_take(text, strlen(text)));
    }
  }
  rt_decref(l);
  return out;
}

static RtValue *lk_random_choice(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)h, (void)kw;
  RtValue *l = listify(terms);
  RtValue *out = rt_list_new(1);
  if (rt_len(l))
    rt_list_push(out, rt_incref(rt_list_at(l, (size_t)rand() % rt_len(l))));
  rt_decref(l);
  return out;
}

/* env: each variable's value, or the `default` option ('' unless given). */
static RtValue *lk_env(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)h;
  RtValue *l = listify(terms), *out = rt_list_new(rt_len(l));
  RtValue *dflt = kw ? rt_dict_get(kw, "default") : NULL;
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *n = rt_list_at(l, i);
    const char *v = rt_kind(n) == RT_STR ? getenv(n->u.str.s) : NULL;
    rt_list_push(out, v ? rt_strz(v) : dflt ? rt_incref(dflt) : rt_strz(""));
  }
  rt_decref(l);
  return out;
}

/* The loader's basedir a command of pipe/lines runs in: the playbook's
 * folder (absolute), as `playbook_dir`. */
static char *lk_basedir(const RtRun *run) {
  const char *pb = run->prog->playbook;
  const char *slash = strrchr(pb, '/');
  char *dir = slash ? rt_xstrndup(pb, (size_t)(slash - pb)) : rt_xstrdup(".");
  char *abs = rt_abspath(run, dir);
  free(dir);
  return abs;
}

/* subprocess.Popen(term, shell=True, cwd=basedir, stdout=PIPE): the
 * command's stdout (stderr is the controller's), its exit status in *rc. */
static bool lk_shell(const char *cwd, const char *cmd, RtBuf *out, int *rc) {
  int fd[2];
  if (pipe(fd) != 0)
    return false;
  pid_t pid = fork();
  if (pid < 0) {
    close(fd[0]);
    close(fd[1]);
    return false;
  }
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    if (chdir(cwd) != 0)
      _exit(127);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  close(fd[1]);
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    rt_buf_add(out, chunk, (size_t)n);
  }
  close(fd[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st); /* Popen's returncode */
  return true;
}

/* pipe: each term's output, trailing whitespace stripped; lines: each
 * term's output lines (str.splitlines). A failing command is Ansible's
 * "lookup_plugin.pipe(TERM) returned RC". */
static RtValue *lk_command(RtHost *h, RtValue *terms, bool lines) {
  RtValue *l = listify(terms), *out = rt_list_new(rt_len(l));
  char *cwd = lk_basedir(h->run);
  RtValue *err = NULL;
  for (size_t i = 0; i < rt_len(l) && !err; i++) {
    RtValue *t = rt_list_at(l, i);
    if (rt_kind(t) != RT_STR) {
      err = rt_error("expected str, bytes or os.PathLike object, not %s",
                     rt_kind(t) == RT_LIST ? "list" : rt_kind(t) == RT_DICT ? "dict" : "int");
      break;
    }
    RtBuf b = {0};
    int rc = 0;
    if (!lk_shell(cwd, t->u.str.s, &b, &rc)) {
      err = rt_error("lookup_plugin.%s(%s) could not run", lines ? "lines" : "pipe", t->u.str.s);
    } else if (rc != 0) {
      err = rt_error("lookup_plugin.%s(%s) returned %d", lines ? "lines" : "pipe", t->u.str.s, rc);
    } else if (lines) {
      RtValue *ls = rt_text_splitlines(b.data ? b.data : "", b.len);
      for (size_t k = 0; k < rt_len(ls); k++)
        rt_list_push(out, rt_incref(rt_list_at(ls, k)));
      rt_decref(ls);
    } else {
      size_t st = 0, en = 0;
      rt_text_strip(b.data ? b.data : "", b.len, NULL, 0, false, true, &st, &en);
      rt_list_push(out, rt_str(b.data ? b.data : "", en));
    }
    rt_buf_free(&b);
  }
  free(cwd);
  rt_decref(l);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

static RtValue *lk_pipe(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)kw;
  return lk_command(h, terms, false);
}

/* template: each term's file (searched as the template module searches,
 * among the files the compiler embedded) rendered by the function the
 * compiler made of it (RtFileDef.render) with the current vars and the
 * template vars; its text, not converted. */
static RtValue *lk_template(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)kw;
  RtValue *l = listify(terms), *out = rt_list_new(rt_len(l)), *err = NULL;
  for (size_t i = 0; i < rt_len(l) && !err; i++) {
    RtValue *t = rt_list_at(l, i);
    if (rt_kind(t) != RT_STR) {
      err = rt_error("'%s' object has no attribute 'startswith'", rt_type_name(t));
      break;
    }
    const RtFileDef *f = rt_find_file_in(h, "templates", t->u.str.s);
    if (!f || !S_ISREG(f->mode)) {
      rt_out_warning(h->run, "Unable to find '%s' in expected paths (use -vvvvv to see paths)", t->u.str.s);
      err = rt_error("the template file %s could not be found for the lookup", t->u.str.s);
      break;
    }
    if (!f->render) { /* embedded for another use (copy src): never compiled as a template */
      err = rt_error("the template file %s was not compiled for the lookup", t->u.str.s);
      break;
    }
    RtValue *v = mod_template_render(h, f->render, f, t->u.str.s, NULL);
    if (rt_is_error(v) || rt_kind(v) != RT_STR) {
      err = v;
      break;
    }
    rt_list_push(out, v);
  }
  rt_decref(l);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

static RtValue *lk_lines(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)kw;
  return lk_command(h, terms, true);
}

static RtValue *lk_inventory_hostnames(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)kw;
  RtValue *l = listify(terms), *out = rt_list_new(0);
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *p = rt_list_at(l, i);
    if (rt_kind(p) != RT_STR)
      continue;
    int n = 0;
    int *idx = rt_inventory_match(&h->run->inv, p->u.str.s, &n);
    for (int k = 0; k < n; k++)
      rt_list_push(out, rt_strz(h->run->inv.hosts[idx[k]].name));
    free(idx);
  }
  rt_decref(l);
  return out;
}

/* Splits `v` (a string, or a list of them at any depth) on each of `seps`
 * into `out`, empty pieces kept (first_found's _split_on). */
static void split_on(RtValue *out, RtValue *v, const char *seps) {
  if (rt_kind(v) == RT_LIST) {
    for (size_t i = 0; i < rt_len(v); i++)
      split_on(out, rt_list_at(v, i), seps);
    return;
  }
  if (rt_kind(v) != RT_STR)
    return;
  const char *p = v->u.str.s, *end = p + v->u.str.len;
  for (const char *q = p;; q++)
    if (q == end || strchr(seps, *q)) {
      rt_list_push(out, rt_str(p, (size_t)(q - p)));
      if (q == end)
        break;
      p = q + 1;
    }
}

static char *lk_find_file(RtHost *h, const char *sub, const char *needle, bool quiet, bool embedded);

/* The folder first_found looks in below each root: "files", unless a
 * with_first_found loop runs it, where TaskExecutor names it after the
 * task's action (template → templates, *var* → vars, else files). Set by
 * rt_lookup_fn (a lookup()/query() call) around the plugin's run. */
static _Thread_local bool lk_called;

static const char *lk_loop_subdir(const RtHost *h) {
  const char *a = h->task && h->task->action ? h->task->action : "";
  if (lk_called)
    return "files";
  if (strstr(a, "template"))
    return "templates";
  if (strstr(a, "var"))
    return "vars";
  return "files";
}

/* first_found's _process_terms: the names to try, in order, into *search
 * (a new list; a term that sets files without paths replaces what came
 * before it, as Ansible's does), and the last skip option. An error value,
 * or NULL. */
static RtValue *ff_terms(RtValue *terms, RtValue *kw, RtValue **search, bool *skip) {
  for (size_t i = 0; i < rt_len(terms); i++) {
    RtValue *t = rt_list_at(terms, i);
    if (rt_kind(t) == RT_LIST) {
      RtValue *part = rt_list_new(0), *e = ff_terms(t, kw, &part, skip);
      for (size_t k = 0; !e && k < rt_len(part); k++)
        rt_list_push(*search, rt_incref(rt_list_at(part, k)));
      rt_decref(part);
      if (e)
        return e;
      continue;
    }
    if (rt_is_error(t) || rt_kind(t) == RT_UNDEF) /* with_first_found drops undefined terms */
      continue;
    if (rt_kind(t) != RT_DICT && rt_kind(t) != RT_STR) {
      RtBuf b = {0};
      rt_render_repr(&b, t);
      RtValue *r = rt_buf_value(&b);
      RtValue *e = rt_error("Invalid term supplied, can handle string, mapping or list of strings but got: <class "
                            "'%s'> for %s",
                            rt_type_name(t), r->u.str.s);
      rt_decref(r);
      return e;
    }
    RtValue *opts = rt_kind(t) == RT_DICT ? t : kw;
    RtValue *f = opts ? rt_dict_get(opts, "files") : NULL, *p = opts ? rt_dict_get(opts, "paths") : NULL;
    RtValue *sk = opts ? rt_dict_get(opts, "skip") : NULL;
    RtValue *files = rt_list_new(0), *paths = rt_list_new(0);
    if (f)
      split_on(files, f, ",;");
    if (p)
      split_on(paths, p, ",:;");
    *skip = sk && rt_to_boolean(sk) == 1;
    if (rt_len(paths)) {
      for (size_t a = 0; a < rt_len(paths); a++)
        for (size_t b = 0; b < rt_len(files); b++) { /* os.path.join */
          const char *dir = rt_list_at(paths, a)->u.str.s, *fn = rt_list_at(files, b)->u.str.s;
          size_t dl = strlen(dir);
          char *joined = fn[0] == '/' || !dl ? rt_xstrdup(fn)
                         : rt_xasprintf("%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", fn);
          rt_list_push(*search, rt_str_take(joined, strlen(joined)));
        }
    } else if (rt_len(files)) {
      rt_decref(*search);
      *search = rt_incref(files);
    } else {
      rt_list_push(*search, rt_incref(t));
    }
    rt_decref(files);
    rt_decref(paths);
  }
  return NULL;
}

/* first_found: the first of the terms (names, or {files, paths, skip}) that
 * names a file. The files an include can find were compiled with it (its
 * candidates), so its search never touches the disk; any other task's
 * search is LookupBase.find_file_in_search_path on the controller, at run
 * time, as Ansible's is (the file it finds feeds a template/copy src,
 * which matches it against the files embedded for that src). */
/* True when `v` holds an undefined value (or an error) at any depth. */
static bool ff_undefined(const RtValue *v) {
  if (rt_is_error(v) || rt_kind(v) == RT_UNDEF)
    return true;
  for (size_t i = 0; rt_kind(v) == RT_LIST && i < rt_len(v); i++)
    if (ff_undefined(rt_list_at(v, i)))
      return true;
  for (size_t i = 0; rt_kind(v) == RT_DICT && i < v->u.dict.len; i++)
    if (ff_undefined(v->u.dict.ents[i].val))
      return true;
  return false;
}

static RtValue *lk_first_found(RtHost *h, RtValue *terms, RtValue *kw) {
  RtValue *l = listify(terms), *search = rt_list_new(0);
  bool skip = false;
  if (!lk_called) { /* with_first_found drops each term that is still a template (an undefined name in it) */
    RtValue *kept = rt_list_new(rt_len(l));
    for (size_t i = 0; i < rt_len(l); i++)
      if (!ff_undefined(rt_list_at(l, i)))
        rt_list_push(kept, rt_incref(rt_list_at(l, i)));
    rt_decref(l);
    l = kept;
  }
  RtValue *err = ff_terms(l, kw, &search, &skip);
  rt_decref(l);
  if (err) {
    rt_decref(search);
    return err;
  }
  const RtIncludeDef *inc = h->task ? h->task->include : NULL;
  for (size_t i = 0; !inc && i < rt_len(search); i++) {
    RtValue *fn = rt_list_at(search, i);
    char *path = rt_kind(fn) == RT_STR ? lk_find_file(h, lk_loop_subdir(h), fn->u.str.s, true, true) : NULL;
    if (path) {
      RtValue *out = rt_list_new(1);
      rt_list_push(out, rt_str_take(path, strlen(path)));
      rt_decref(search);
      return out;
    }
  }
  for (size_t i = 0; inc && i < rt_len(search); i++) {
    RtValue *fn = rt_list_at(search, i);
    if (rt_kind(fn) != RT_STR) /* an undefined term is passed over */
      continue;
    int32_t c = rt_include_candidate(h->run, inc, fn->u.str.s);
    if (c >= 0) {
      RtValue *out = rt_list_new(1);
      char *abs = rt_abspath(h->run, inc->names[c]);
      rt_list_push(out, rt_str_take(abs, strlen(abs)));
      rt_decref(search);
      return out;
    }
  }
  rt_decref(search);
  if (skip)
    return rt_list_new(0);
  return rt_error("No file was found when using first_found.");
}

/* ---- the controller's files: file, fileglob -------------------------------------- */

/* An absolute, normalised path of the controller (unfrackpath, follow=False). */
static char *lk_unfrack(const RtRun *run, const char *p) {
  char *x = rt_path_expanduser(p, strlen(p));
  char *a = rt_abspath(run, x ? x : p);
  char *n = rt_path_normpath(a);
  free(x), free(a);
  return n;
}

static bool lk_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* LookupBase.find_file_in_search_path: `needle` in the task's search path
 * (Task.get_search_path, as the compiler recorded it in the task's roots;
 * the playbook's folder outside a task) as DataLoader.path_dwim_relative_stack
 * tries it: ROOT/SUB/NEEDLE, ROOT/NEEDLE for each root, then the same in
 * the playbook's folder; an absolute or ~ path as it is. With `embedded`, a
 * path also exists when a file embedded in the program has that name (the
 * binary run away from the sources finds what it carries). NULL, after
 * Ansible's warning unless `quiet`, when none exists. malloc'd. */
static char *lk_find_file(RtHost *h, const char *sub, const char *needle, bool quiet, bool embedded) {
  char *found = NULL;
  if (needle[0] == '/' || needle[0] == '~') {
    char *p = lk_unfrack(h->run, needle);
    if (lk_exists(p) || (embedded && rt_find_file_in(h, sub, p)))
      found = p;
    else
      free(p);
  } else {
    const char *const *roots = h->task ? h->task->roots : NULL;
    char *base = lk_basedir(h->run);
    size_t sl = strlen(sub);
    bool has_sub = strncmp(needle, sub, sl) == 0 && (needle[sl] == '/' || needle[sl] == 0);
    int n = 0;
    while (roots && roots[n])
      n++;
    for (int i = 0; !found && i <= n; i++) { /* the roots, then the playbook's folder */
      char *root = lk_unfrack(h->run, i < n ? roots[i] : base);
      for (int k = has_sub; k < 2 && !found; k++) {
        char *p = k == 0 ? rt_xasprintf("%s/%s/%s", root, sub, needle) : rt_xasprintf("%s/%s", root, needle);
        if (lk_exists(p) || (embedded && rt_find_file_in(h, sub, p)))
          found = p;
        else
          free(p);
      }
      free(root);
    }
    free(base);
  }
  if (!found && !quiet)
    rt_out_warning(h->run, "Unable to find '%s' in expected paths (use -vvvvv to see paths)", needle);
  return found;
}

/* file: each file's text, stripped on the right (rstrip, on by default)
 * and on the left with lstrip. */
static RtValue *lk_file(RtHost *h, RtValue *terms, RtValue *kw) {
  RtValue *l = listify(terms), *out = rt_list_new(rt_len(l)), *err = NULL;
  RtValue *ls = kw ? rt_dict_get(kw, "lstrip") : NULL, *rs = kw ? rt_dict_get(kw, "rstrip") : NULL;
  bool lstrip = ls && rt_pytruth(ls), rstrip = !rs || rt_pytruth(rs);
  for (size_t i = 0; i < rt_len(l) && !err; i++) {
    RtValue *t = rt_list_at(l, i);
    if (rt_kind(t) != RT_STR) {
      err = rt_error("'%s' object has no attribute 'startswith'", rt_type_name(t));
      break;
    }
    char *path = lk_find_file(h, "files", t->u.str.s, false, false);
    size_t len = 0;
    char *text = path ? rt_read_file(path, &len) : NULL;
    free(path);
    if (!text) {
      err = rt_error("could not locate file in lookup: %s", t->u.str.s);
      break;
    }
    size_t st = 0, en = len;
    if (lstrip || rstrip)
      rt_text_strip(text, len, NULL, 0, lstrip, rstrip, &st, &en);
    rt_list_push(out, rt_str(text + st, en - st));
    free(text);
  }
  rt_decref(l);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

/* Regular files `pattern` names in folder `dir`, in the folder's order
 * (glob.glob), pushed to `out`; their count. */
static size_t lk_glob_into(RtValue *out, const char *dir, const char *pattern) {
  char *pat = rt_xasprintf("%s/%s", dir, pattern);
  glob_t g;
  size_t n = 0;
  if (glob(pat, GLOB_NOSORT, NULL, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; i++) {
      struct stat st;
      if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode)) {
        rt_list_push(out, rt_strz(g.gl_pathv[i]));
        n++;
      }
    }
    globfree(&g);
  }
  free(pat);
  return n;
}

/* fileglob: a pattern with a folder globs in the first place that folder
 * is found (as file's search); a bare pattern in ROOT/files then ROOT for
 * each root of the search path, the first that matches. */
static RtValue *lk_fileglob(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)kw;
  RtValue *l = listify(terms), *out = rt_list_new(4);
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *t = rt_list_at(l, i);
    if (rt_kind(t) != RT_STR)
      continue;
    const char *term = t->u.str.s, *slash = strrchr(term, '/');
    if (slash) {
      char *dir = slash == term ? rt_xstrdup("/") : rt_xstrndup(term, (size_t)(slash - term));
      char *found = lk_find_file(h, "files", dir, false, false);
      if (found)
        lk_glob_into(out, found, slash + 1);
      free(found), free(dir);
      continue;
    }
    const char *const *roots = h->task ? h->task->roots : NULL;
    char *base = lk_basedir(h->run);
    bool done = false;
    for (int r = 0; !done && (r == 0 || (roots && roots[r])); r++) {
      char *root = lk_unfrack(h->run, roots && roots[r] ? roots[r] : base);
      char *files = rt_xasprintf("%s/files", root);
      done = lk_glob_into(out, files, term) || lk_glob_into(out, root, term);
      free(files), free(root);
    }
    free(base);
  }
  rt_decref(l);
  return out;
}

/* vars: each named variable's value (templated as a use of it would be),
 * or the `default` option; a name without either is undefined. */
static RtValue *lk_vars(RtHost *h, RtValue *terms, RtValue *kw) {
  RtValue *l = listify(terms), *out = rt_list_new(rt_len(l));
  RtValue *dflt = kw ? rt_dict_get(kw, "default") : NULL;
  for (size_t i = 0; i < rt_len(l); i++) {
    RtValue *n = rt_list_at(l, i), *v;
    if (rt_kind(n) != RT_STR) {
      RtValue *r = rt_to_repr(n);
      v = rt_error("Invalid setting identifier, \"%s\" is not a string, its a %s", r->u.str.s, rt_type_name(n));
      rt_decref(r);
    } else {
      v = rt_var(h, n->u.str.s, NULL);
      if (rt_kind(v) == RT_UNDEF) {
        rt_decref(v);
        v = dflt ? rt_incref(dflt)
                 : rt_error_exc(RT_EXC_UNDEFINED, "No variable found with this name: %s", n->u.str.s);
      }
    }
    if (rt_is_error(v)) {
      rt_decref(l);
      rt_decref(out);
      return v;
    }
    rt_list_push(out, v);
  }
  rt_decref(l);
  return out;
}

/* varnames: the names of the host's variables a Python regex (re.search)
 * finds, in the order rt_var_names gives them. */
static RtValue *lk_varnames(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)kw;
  RtValue *l = listify(terms), *out = rt_list_new(0), *names = rt_var_names(h), *err = NULL;
  for (size_t i = 0; i < rt_len(l) && !err; i++) {
    RtValue *t = rt_list_at(l, i);
    if (rt_kind(t) != RT_STR) {
      err = rt_error("Invalid setting identifier, \"%s\" is not a string, it is a %s", "?", rt_type_name(t));
      break;
    }
    RtRegex *re = rt_re_compile(t->u.str.s, t->u.str.len, 0, &err);
    if (!re) {
      RtValue *e = rt_error("Unable to use \"%s\" as a search parameter: %s", t->u.str.s, err->u.err.msg);
      rt_decref(err);
      err = e;
      break;
    }
    for (size_t k = 0; k < rt_len(names); k++) {
      RtValue *n = rt_list_at(names, k);
      RtReMatch m;
      if (rt_re_exec(re, n->u.str.s, n->u.str.len, 0, false, false, &m) == 1)
        rt_list_push(out, rt_incref(n));
    }
    rt_re_free(re);
  }
  rt_decref(l);
  rt_decref(names);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

/* The characters a `chars` spec of the password lookup names: the
 * attributes of Python's `string` module by name, anything else as written. */
static void pw_chars(RtBuf *out, const char *spec, size_t n) {
  static const struct {
    const char *name, *chars;
  } sets[] = {
      {"ascii_letters", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
      {"ascii_lowercase", "abcdefghijklmnopqrstuvwxyz"},
      {"ascii_uppercase", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
      {"digits", "0123456789"},
      {"hexdigits", "0123456789abcdefABCDEF"},
      {"octdigits", "01234567"},
      {"punctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"},
      {"whitespace", " \t\n\r\x0b\x0c"},
      {"printable", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ "
                    "\t\n\r\x0b\x0c"},
  };
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
    if (strlen(sets[i].name) == n && memcmp(sets[i].name, spec, n) == 0) {
      rt_buf_puts(out, sets[i].chars);
      return;
    }
  rt_buf_add(out, spec, n);
}

/* The term's parameters (`path k=v ...`, as _parse_parameters reads it):
 * the path in *path (malloc'd), the candidate characters in `chars`. */
static RtValue *pw_params(const char *term, char **path, int64_t *length, RtBuf *chars, RtValue **seed) {
  const char *sp = strchr(term, ' ');
  RtBuf p = {0}, spec = {0};
  rt_buf_add(&p, term, sp ? (size_t)(sp - term) : strlen(term));
  bool seen_kv = false;
  RtValue *err = NULL;
  *length = 20;
  *seed = NULL;
  rt_buf_puts(&spec, "ascii_letters,digits,.,:-_");
  for (const char *t = sp; t && *t && !err;) {
    while (*t == ' ')
      t++;
    size_t n = strcspn(t, " ");
    if (!n)
      break;
    const char *eq = memchr(t, '=', n);
    if (!eq && seen_kv) {
      err = rt_error("Unrecognized value after key=value parameters given to password lookup");
    } else if (!eq) { /* a path with spaces */
      rt_buf_putc(&p, ' ');
      rt_buf_add(&p, t, n);
    } else {
      seen_kv = true;
      size_t kl = (size_t)(eq - t), vl = n - kl - 1;
      char *v = rt_xstrndup(eq + 1, vl);
      if (kl == 6 && !memcmp(t, "length", 6)) {
        char *end;
        *length = strtoll(v, &end, 10);
        if (!vl || *end)
          err = rt_error_exc(RT_EXC_VALUE, "invalid literal for int() with base 10: '%s'", v);
      } else if (kl == 5 && !memcmp(t, "chars", 5)) {
        spec.len = 0;
        rt_buf_puts(&spec, v);
      } else if (kl == 4 && !memcmp(t, "seed", 4)) {
        rt_decref(*seed);
        *seed = rt_strz(v);
      } else if ((kl == 7 && !memcmp(t, "encrypt", 7)) || (kl == 5 && !memcmp(t, "ident", 5))) {
        err = rt_error("the password lookup's encrypt and ident are not supported by playc yet");
      } else {
        err = rt_error("Unrecognized parameter(s) given to password lookup: %.*s", (int)kl, t);
      }
      free(v);
    }
    t += n;
  }
  /* chars: ',,' is a comma; the specs are separated by ',' */
  const char *s = spec.data ? spec.data : "";
  if (strstr(s, ",,"))
    rt_buf_putc(chars, ',');
  RtBuf norm = {0};
  rt_text_replace(&norm, s, strlen(s), ",,", 2, ",", 1, -1);
  for (const char *q = norm.data ? norm.data : ""; *q;) {
    size_t n = strcspn(q, ",");
    if (n)
      pw_chars(chars, q, n);
    q += n + (q[n] == ',');
  }
  rt_buf_free(&norm);
  rt_buf_free(&spec);
  rt_buf_add(chars, "", 0);
  size_t w = 0; /* quotes are dropped */
  for (size_t i = 0; i < chars->len; i++)
    if (chars->data[i] != '"' && chars->data[i] != '\'')
      chars->data[w++] = chars->data[i];
  chars->len = w;
  *path = rt_buf_take(&p);
  return err;
}

/* Creates the folders above `path` (0700) as makedirs_safe does. */
static void pw_mkdirs(const char *path) {
  char *d = rt_xstrdup(path);
  for (char *s = d + 1; (s = strchr(s, '/')); s++) {
    *s = 0;
    mkdir(d, 0700);
    *s = '/';
  }
  free(d);
}

/* password: the file's password (before ' salt='), or a new random one
 * written to it (0600, folders 0700) — /dev/null is never read or written.
 * Relative paths are the playbook folder's, as the loader's path_dwim. */
static RtValue *lk_password(RtHost *h, RtValue *terms, RtValue *kw) {
  (void)kw;
  RtValue *l = listify(terms), *out = rt_list_new(rt_len(l)), *err = NULL;
  for (size_t i = 0; i < rt_len(l) && !err; i++) {
    RtValue *t = rt_list_at(l, i), *seed = NULL;
    if (rt_kind(t) != RT_STR) {
      err = rt_error("password lookup terms must be strings");
      break;
    }
    char *rel = NULL;
    int64_t length;
    RtBuf chars = {0};
    err = pw_params(t->u.str.s, &rel, &length, &chars, &seed);
    char *base = lk_basedir(h->run);
    char *path = rel[0] == '/' ? rt_xstrdup(rel) : rt_xasprintf("%s/%s", base, rel);
    free(base);
    size_t len = 0;
    char *content = err || !strcmp(path, "/dev/null") ? NULL : rt_read_file(path, &len);
    if (!err && content) {
      while (len && (content[len - 1] == ' ' || (content[len - 1] >= '\t' && content[len - 1] <= '\r')))
        len--;
      content[len] = 0;
      char *salt = strstr(content, " salt="), *last = salt;
      while (last && (last = strstr(last + 1, " salt=")))
        salt = last;
      rt_list_push(out, rt_str(content, salt ? (size_t)(salt - content) : len));
    } else if (!err) {
      RtValue *pw = rt_random_choices(chars.data, chars.len, length, seed);
      if (!pw) {
        err = rt_error("the password lookup's seed is not supported by playc yet");
      } else if (rt_is_error(pw)) {
        err = pw;
      } else {
        if (strcmp(path, "/dev/null") != 0) {
          pw_mkdirs(path);
          FILE *f = fopen(path, "wb");
          if (f) {
            fchmod(fileno(f), 0600);
            fprintf(f, "%s\n", pw->u.str.s);
            fclose(f);
          } else {
            err = rt_error("%s: %s", path, strerror(errno));
          }
        }
        if (!err)
          rt_list_push(out, pw);
        else
          rt_decref(pw);
      }
    }
    free(content);
    free(path);
    free(rel);
    rt_buf_free(&chars);
    rt_decref(seed);
  }
  rt_decref(l);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

/* ---- ini: an INI or Java properties file of the controller ------------------ *
 * Ansible's ini lookup reads the file with Python's configparser.ConfigParser
 * (strict, "#"/";" comment lines, indented continuation lines, a DEFAULT
 * section seen by every section, %(name)s interpolation on each value it
 * gets); this is that parser's _read and BasicInterpolation, its messages
 * included. One parser serves all the terms of a call, as Ansible's does. */

/* The class of the error a lookup returned, for lookup()'s message:
 * "AnsibleLookupError" (reported as it is), "AnsibleOptionsError" (as it
 * is, even with errors=ignore), another Python class (an unhandled
 * exception), or NULL (lk_own_error decides). Reset by lookup_fn. */
static _Thread_local const char *lk_raised;

static RtValue *lk_raise(const char *cls, RtValue *err) {
  lk_raised = cls;
  return err;
}

RtValue *rt_lookup_raise(const char *cls, RtValue *err) { return lk_raise(cls, err); }

/* Python's repr of `n` bytes of text. malloc'd. */
static char *lk_repr(const char *s, size_t n) {
  RtValue *v = rt_str(s, n);
  RtBuf b = {0};
  rt_render_repr(&b, v);
  rt_decref(v);
  return rt_buf_take(&b);
}

typedef struct IniCp {
  RtValue *defaults; /* option → value: a list of lines while reading, then str, or None */
  RtValue *sections; /* name → such a dict, in the file's order */
  bool case_sensitive, allow_no_value;
} IniCp;

/* optionxform: str.lower(), or the name as it is (case_sensitive). */
static RtValue *ini_xform(const IniCp *cp, const char *s, size_t n) {
  if (cp->case_sensitive)
    return rt_str(s, n);
  RtBuf b = {0};
  rt_text_lower(&b, s, n);
  return rt_buf_value(&b);
}

/* '\n'.join(lines).rstrip() for every value read (_join_multiline_values). */
static void ini_join(RtValue *opts) {
  for (size_t i = 0; i < opts->u.dict.len; i++) {
    RtValue *v = opts->u.dict.ents[i].val;
    if (rt_kind(v) != RT_LIST)
      continue;
    RtBuf b = {0};
    for (size_t k = 0; k < rt_len(v); k++) {
      if (k)
        rt_buf_putc(&b, '\n');
      rt_buf_add(&b, rt_list_at(v, k)->u.str.s, rt_list_at(v, k)->u.str.len);
    }
    size_t st = 0, en = b.len;
    rt_text_strip(b.data ? b.data : "", b.len, NULL, 0, false, true, &st, &en);
    rt_dict_set(opts, opts->u.dict.ents[i].key->u.str.s, rt_str(b.data ? b.data : "", en));
    rt_buf_free(&b);
  }
}

/* RawConfigParser._read of `text` (fpname '<???>': a StringIO). NULL, or
 * the error (lk_raised set). */
static RtValue *ini_read(IniCp *cp, const char *text, size_t len) {
  RtValue *cursect = NULL, *added = rt_dict_new(0), *err = NULL;
  char *sectname = NULL, *optname = NULL;
  size_t indent = 0, lineno = 0;
  RtBuf perr = {0}; /* ParsingError's text, once a line did not parse */
  for (const char *p = text, *end = text + len; p < end && !err;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p;
    size_t ll = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p), st = 0, en = 0;
    p += ll;
    lineno++;
    rt_text_strip(line, ll, NULL, 0, true, true, &st, &en);
    bool comment = en > st && (line[st] == '#' || line[st] == ';');
    if (comment || en == st) { /* a blank line inside a value is part of it */
      RtValue *v = !comment && cursect && optname ? rt_dict_get(cursect, optname) : NULL;
      if (v && rt_kind(v) == RT_LIST)
        rt_list_push(v, rt_str("", 0));
      continue;
    }
    const char *value = line + st;
    size_t vlen = en - st;
    if (cursect && optname && st > indent) { /* a continuation line */
      RtValue *v = rt_dict_get(cursect, optname);
      if (rt_kind(v) != RT_LIST)
        err = lk_raise("AttributeError", rt_error("'NoneType' object has no attribute 'append'"));
      else
        rt_list_push(v, rt_str(value, vlen));
      continue;
    }
    indent = st;
    size_t close = vlen;
    while (close > 0 && value[close - 1] != ']')
      close--;
    if (value[0] == '[' && close >= 3) { /* \[(?P<header>.+)\] */
      free(sectname), free(optname);
      sectname = rt_xstrndup(value + 1, close - 2);
      optname = NULL;
      char *key = rt_xasprintf("s%s", sectname);
      if (rt_dict_get(cp->sections, sectname)) {
        if (rt_dict_get(added, key)) {
          char *r = lk_repr(sectname, strlen(sectname));
          err = lk_raise("configparser.DuplicateSectionError",
                         rt_error("While reading from '<\?\?\?>' [line %2zu]: section %s already exists", lineno, r));
          free(r);
        }
        cursect = rt_dict_get(cp->sections, sectname);
        rt_dict_set(added, key, rt_none());
      } else if (strcmp(sectname, "DEFAULT") == 0) {
        cursect = cp->defaults;
      } else {
        rt_dict_set(cp->sections, sectname, rt_dict_new(0));
        cursect = rt_dict_get(cp->sections, sectname);
        rt_dict_set(added, key, rt_none());
      }
      free(key);
      continue;
    }
    if (!cursect) {
      char *r = lk_repr(line, ll);
      err = lk_raise("configparser.MissingSectionHeaderError",
                     rt_error("File contains no section headers.\nfile: '<\?\?\?>', line: %zu\n%s", lineno, r));
      free(r);
      break;
    }
    size_t vi = 0; /* the option's = or :, as OPTCRE (OPTCRE_NV) finds it */
    while (vi < vlen && value[vi] != '=' && value[vi] != ':')
      vi++;
    if (vi == vlen && !cp->allow_no_value) {
      if (!perr.len)
        rt_buf_puts(&perr, "Source contains parsing errors: '<\?\?\?>'");
      char *r = lk_repr(line, ll);
      rt_buf_printf(&perr, "\n\t[line %2zu]: %s", lineno, r);
      free(r);
      continue;
    }
    size_t ost = 0, oen = vi;
    rt_text_strip(value, vi, NULL, 0, false, true, &ost, &oen);
    if (oen == 0) { /* an empty name: an error, and the option is still read */
      if (!perr.len)
        rt_buf_puts(&perr, "Source contains parsing errors: '<\?\?\?>'");
      char *r = lk_repr(line, ll);
      rt_buf_printf(&perr, "\n\t[line %2zu]: %s", lineno, r);
      free(r);
    }
    RtValue *name = ini_xform(cp, value, oen);
    free(optname);
    optname = rt_xstrdup(name->u.str.s);
    rt_decref(name);
    char *key = rt_xasprintf("o%s%c%s", sectname, 1, optname);
    if (rt_dict_get(added, key)) {
      char *ro = lk_repr(optname, strlen(optname)), *rs = lk_repr(sectname, strlen(sectname));
      err = lk_raise("configparser.DuplicateOptionError",
                     rt_error("While reading from '<\?\?\?>' [line %2zu]: option %s in section %s already exists",
                              lineno, ro, rs));
      free(ro), free(rs);
    }
    rt_dict_set(added, key, rt_none());
    free(key);
    if (vi == vlen) {
      rt_dict_set(cursect, optname, rt_none());
    } else {
      size_t a = 0, b = vlen - vi - 1;
      rt_text_strip(value + vi + 1, vlen - vi - 1, NULL, 0, true, true, &a, &b);
      RtValue *lines = rt_list_new(1);
      rt_list_push(lines, rt_str(value + vi + 1 + a, b - a));
      rt_dict_set(cursect, optname, lines);
    }
  }
  ini_join(cp->defaults);
  for (size_t i = 0; i < cp->sections->u.dict.len; i++)
    ini_join(cp->sections->u.dict.ents[i].val);
  if (!err && perr.len)
    err = lk_raise("configparser.ParsingError", rt_error("%s", perr.data));
  rt_buf_free(&perr);
  free(sectname), free(optname);
  rt_decref(added);
  return err;
}

/* A name's value in `sect` (may be NULL), then in DEFAULT; borrowed, NULL if neither. */
static RtValue *ini_lookup(const IniCp *cp, const RtValue *sect, const char *name) {
  RtValue *v = sect ? rt_dict_get(sect, name) : NULL;
  return v ? v : rt_dict_get(cp->defaults, name);
}

#define INI_MAX_DEPTH 10 /* configparser's MAX_INTERPOLATION_DEPTH */

/* BasicInterpolation._interpolate_some: `rest` with %% and %(name)s
 * replaced, appended to `acc`. NULL, or the error. */
static RtValue *ini_interp(const IniCp *cp, const char *section, const RtValue *sect, const char *option, RtBuf *acc,
                           const char *rest, int depth) {
  if (depth > INI_MAX_DEPTH) {
    RtValue *raw = ini_lookup(cp, sect, option);
    char *ro = lk_repr(option, strlen(option)), *rs = lk_repr(section, strlen(section));
    char *rv = raw && rt_kind(raw) == RT_STR ? lk_repr(raw->u.str.s, raw->u.str.len) : rt_xstrdup("None");
    RtValue *e = lk_raise("configparser.InterpolationDepthError",
                          rt_error("Recursion limit exceeded in value substitution: option %s in section %s contains an "
                                   "interpolation key which cannot be substituted in %d steps. Raw value: %s",
                                   ro, rs, INI_MAX_DEPTH, rv));
    free(ro), free(rs), free(rv);
    return e;
  }
  while (*rest) {
    const char *pct = strchr(rest, '%');
    if (!pct) {
      rt_buf_puts(acc, rest);
      return NULL;
    }
    rt_buf_add(acc, rest, (size_t)(pct - rest));
    rest = pct;
    if (rest[1] == '%') {
      rt_buf_putc(acc, '%');
      rest += 2;
      continue;
    }
    char *ro = lk_repr(option, strlen(option)), *rs = lk_repr(section, strlen(section));
    char *rr = lk_repr(rest, strlen(rest));
    RtValue *e = NULL;
    const char *close = rest[1] == '(' ? strchr(rest + 2, ')') : NULL;
    if (rest[1] != '(')
      e = rt_error("'%%' must be followed by '%%' or '(', found: %s", rr);
    else if (!close || close == rest + 2 || close[1] != 's') /* %\(([^)]+)\)s */
      e = rt_error("bad interpolation variable reference %s", rr);
    free(rr);
    if (e) {
      free(ro), free(rs);
      return lk_raise("configparser.InterpolationSyntaxError", e);
    }
    RtValue *var = ini_xform(cp, rest + 2, (size_t)(close - rest - 2));
    rest = close + 2;
    RtValue *v = ini_lookup(cp, sect, var->u.str.s);
    if (!v) {
      RtValue *raw = ini_lookup(cp, sect, option);
      char *rv = raw && rt_kind(raw) == RT_STR ? lk_repr(raw->u.str.s, raw->u.str.len) : rt_xstrdup("None");
      char *rk = lk_repr(var->u.str.s, var->u.str.len);
      e = lk_raise("configparser.InterpolationMissingOptionError",
                   rt_error("Bad value substitution: option %s in section %s contains an interpolation key %s which "
                            "is not a valid option name. Raw value: %s",
                            ro, rs, rk, rv));
      free(rv), free(rk);
    } else if (rt_kind(v) != RT_STR) {
      e = lk_raise("TypeError", rt_type_error("argument of type 'NoneType' is not iterable"));
    } else if (strchr(v->u.str.s, '%')) {
      e = ini_interp(cp, section, sect, option, acc, v->u.str.s, depth + 1);
    } else {
      rt_buf_add(acc, v->u.str.s, v->u.str.len);
    }
    free(ro), free(rs);
    rt_decref(var);
    if (e)
      return e;
  }
  return NULL;
}

/* before_get of a string value read: the string interpolated, or the error. */
static RtValue *ini_value(const IniCp *cp, const char *section, const RtValue *sect, const char *option, RtValue *v) {
  if (rt_kind(v) != RT_STR)
    return rt_none();
  RtBuf b = {0};
  RtValue *e = ini_interp(cp, section, sect, option, &b, v->u.str.s, 1);
  if (e) {
    rt_buf_free(&b);
    return e;
  }
  return rt_buf_value(&b);
}

/* The ini plugin's options, defaults first (get_options' order). */
static const char *const ini_opts[] = {"_terms", "type",    "file",           "section",        "re",
                                       "encoding", "default", "case_sensitive", "allow_no_value", NULL};

/* _parse_params: the term's words grouped by the option each starts
 * ("file=a b" is one value), in the order the groups began. */
static RtValue *ini_parse_params(const char *term) {
  RtValue *groups = rt_dict_new(4); /* option name → its words */
  const char *thiskey = "key";
  char *copy = rt_xstrdup(term), *save = NULL;
  int idp = 0;
  for (char *w = strtok_r(copy, " \t\n\r\f\v", &save); w; w = strtok_r(NULL, " \t\n\r\f\v", &save), idp++) {
    if (strchr(w, '='))
      for (int k = 0; ini_opts[k]; k++) {
        char *kk = rt_xasprintf("%s=", ini_opts[k]);
        if (strstr(w, kk))
          thiskey = ini_opts[k];
        free(kk);
      }
    RtValue *cur = rt_dict_get(groups, thiskey);
    if (idp == 0 || !cur || !rt_len(cur)) {
      rt_dict_set(groups, thiskey, rt_strz(w));
    } else {
      char *joined = rt_xasprintf("%s %s", cur->u.str.s, w);
      rt_dict_set(groups, thiskey, rt_str_take(joined, strlen(joined)));
    }
  }
  free(copy);
  RtValue *out = rt_list_new(groups->u.dict.len);
  for (size_t i = 0; i < groups->u.dict.len; i++)
    rt_list_push(out, rt_incref(groups->u.dict.ents[i].val));
  rt_decref(groups);
  return out;
}

/* A term's inline options ("key section=s file=f") into `pv`; the key in
 * *key (new). NULL, or the error. */
static RtValue *ini_inline(RtValue *pv, const char *term, RtValue **key) {
  RtValue *params = ini_parse_params(term);
  bool updated = false;
  RtValue *err = NULL;
  for (size_t i = 0; i < rt_len(params) && !err; i++) {
    const char *param = rt_list_at(params, i)->u.str.s, *eq = strchr(param, '=');
    if (!eq) {
      if (!updated) {
        rt_decref(*key);
        *key = rt_strz(param);
        updated = true;
      }
      continue;
    }
    if (strchr(eq + 1, '=')) { /* name, value = param.split('=') */
      RtBuf b = {0};
      rt_render_repr(&b, params);
      err = lk_raise("AnsibleLookupError", /* orig_exc=e: its text follows */
                     rt_error("Could not use '%s' from '%s': too many values to unpack (expected 2). too many values "
                              "to unpack (expected 2)",
                              param, b.data));
      rt_buf_free(&b);
      break;
    }
    char *name = rt_xstrndup(param, (size_t)(eq - param));
    if (!rt_dict_get(pv, name))
      err = lk_raise("AnsibleLookupError", rt_error("%s is not a valid option.", name));
    else
      rt_dict_set(pv, name, rt_strz(eq + 1));
    free(name);
  }
  rt_decref(params);
  if (!err && !updated)
    err = lk_raise("AnsibleOptionsError",
                   rt_error("No key to lookup was provided as first term with in string inline options: %s", term));
  return err;
}

/* The value(s) of `key` in `section` (get_value), pushed to `out`; NULL or the error. */
static RtValue *ini_get(IniCp *cp, RtValue *out, const char *key, RtValue *pv) {
  RtValue *sv = rt_dict_get(pv, "section"), *file = rt_dict_get(pv, "file");
  RtBuf sb = {0};
  if (rt_kind(sv) == RT_STR)
    rt_buf_add(&sb, sv->u.str.s, sv->u.str.len);
  else
    rt_render_str(&sb, sv);
  char *section = rt_buf_take(&sb);
  RtValue *sect = rt_dict_get(cp->sections, section), *err = NULL;
  if (!sect && strcmp(section, "DEFAULT") != 0) {
    RtBuf fb = {0};
    rt_render_str(&fb, file);
    err = lk_raise("AnsibleLookupError", rt_error("No section '%s' in %s", section, fb.data ? fb.data : ""));
    rt_buf_free(&fb);
  } else if (rt_pytruth(rt_dict_get(pv, "re"))) { /* items(): every value interpolated, then the keys matched */
    RtValue *all = rt_dict_copy(cp->defaults);
    for (size_t i = 0; sect && i < sect->u.dict.len; i++)
      rt_dict_set(all, sect->u.dict.ents[i].key->u.str.s, rt_incref(sect->u.dict.ents[i].val));
    RtValue *vals = rt_list_new(all->u.dict.len);
    for (size_t i = 0; i < all->u.dict.len && !err; i++) {
      RtValue *v = all->u.dict.ents[i].val;
      v = rt_kind(v) == RT_STR ? ini_value(cp, section, sect, all->u.dict.ents[i].key->u.str.s, v) : rt_strz("");
      if (rt_is_error(v))
        err = v;
      else
        rt_list_push(vals, v);
    }
    RtRegex *re = err ? NULL : rt_re_compile(key, strlen(key), 0, &err);
    if (!re && err && !lk_raised)
      lk_raised = "re.error";
    RtReMatch m;
    for (size_t i = 0; re && i < all->u.dict.len; i++) {
      RtValue *k = all->u.dict.ents[i].key;
      if (rt_re_exec(re, k->u.str.s, k->u.str.len, 0, true, false, &m) > 0)
        rt_list_push(out, rt_incref(rt_list_at(vals, i)));
    }
    if (re)
      rt_re_free(re);
    rt_decref(vals);
    rt_decref(all);
  } else {
    RtValue *name = ini_xform(cp, key, strlen(key));
    RtValue *v = ini_lookup(cp, sect, name->u.str.s);
    if (!v)
      rt_list_push(out, rt_incref(rt_dict_get(pv, "default")));
    else if (rt_kind(v) == RT_STR) {
      v = ini_value(cp, section, sect, name->u.str.s, v);
      if (rt_is_error(v))
        err = v;
      else
        rt_list_push(out, v);
    }
    rt_decref(name);
  }
  free(section);
  return err;
}

/* Python's name for a text encoding playc reads: utf-8 only. */
static bool ini_utf8(const RtValue *enc) {
  if (rt_kind(enc) != RT_STR)
    return false;
  const char *e = enc->u.str.s;
  return !strcasecmp(e, "utf-8") || !strcasecmp(e, "utf8") || !strcasecmp(e, "utf_8") || !strcasecmp(e, "u8");
}

/* ini: each term's value in the file, the terms' inline options kept for
 * the next (paramvals is shared, as Ansible's). */
static RtValue *lk_ini(RtHost *h, RtValue *terms, RtValue *kw) {
  static const char *const defaults[] = {"type", "ini", "file", "ansible.ini", "section", "global",
                                         "encoding", "utf-8", "default", "", NULL};
  RtValue *pv = rt_dict_new(10), *l = listify(terms), *out = rt_list_new(1), *err = NULL;
  rt_dict_set(pv, "_terms", rt_none());
  for (int i = 0; defaults[i]; i += 2)
    rt_dict_set(pv, defaults[i], rt_strz(defaults[i + 1]));
  rt_dict_set(pv, "re", rt_bool(false));
  rt_dict_set(pv, "case_sensitive", rt_bool(false));
  rt_dict_set(pv, "allow_no_value", rt_bool(false));
  for (size_t i = 0; kw && i < kw->u.dict.len; i++) {
    const char *k = kw->u.dict.ents[i].key->u.str.s;
    RtValue *v = kw->u.dict.ents[i].val;
    if (!strcmp(k, "allow_none"))
      k = "allow_no_value";
    if (!rt_dict_get(pv, k) || !strcmp(k, "_terms"))
      continue;
    if (!strcmp(k, "re") || !strcmp(k, "allow_no_value")) { /* type: boolean */
      v = rt_bool(rt_to_boolean(v) == 1); /* boolean(strict=False): anything else is False */
    } else {
      v = rt_incref(v);
    }
    rt_dict_set(pv, k, v);
  }
  RtValue *ty = rt_dict_get(pv, "type");
  if (!err && !(rt_kind(ty) == RT_STR && (!strcmp(ty->u.str.s, "ini") || !strcmp(ty->u.str.s, "properties")))) {
    RtBuf b = {0};
    rt_render_str(&b, ty);
    err = lk_raise("AnsibleOptionsError", rt_error("Invalid value \"%s\" for configuration option \"plugin_type: lookup plugin: "
                                                   "ini setting: type \", valid values are: ini, properties",
                                                   b.data ? b.data : ""));
    rt_buf_free(&b);
  }
  IniCp cp = {rt_dict_new(4), rt_dict_new(4), rt_pytruth(rt_dict_get(pv, "case_sensitive")),
              rt_pytruth(rt_dict_get(pv, "allow_no_value"))};
  for (size_t i = 0; i < rt_len(l) && !err; i++) {
    RtValue *t = rt_list_at(l, i);
    if (rt_kind(t) == RT_LIST || rt_kind(t) == RT_DICT) { /* '=' in term, then term.strip() */
      err = lk_raise("AttributeError", rt_error("'%s' object has no attribute 'strip'", rt_type_name(t)));
      break;
    }
    if (rt_kind(t) != RT_STR) {
      err = lk_raise("TypeError", rt_type_error("argument of type '%s' is not iterable", rt_type_name(t)));
      break;
    }
    RtValue *key = rt_incref(t);
    size_t st = 0, en = 0;
    rt_text_strip(t->u.str.s, t->u.str.len, NULL, 0, true, true, &st, &en);
    bool inline_opts = strchr(t->u.str.s, '=');
    for (size_t k = st; k < en && !inline_opts; k++)
      inline_opts = isspace((unsigned char)t->u.str.s[k]);
    if (inline_opts && (err = ini_inline(pv, t->u.str.s, &key))) {
      rt_decref(key);
      break;
    }
    RtValue *file = rt_dict_get(pv, "file");
    char *path = rt_kind(file) == RT_STR ? lk_find_file(h, "files", file->u.str.s, false, false) : NULL;
    size_t len = 0;
    struct stat st_;
    bool dir = path && stat(path, &st_) == 0 && S_ISDIR(st_.st_mode);
    errno = 0;
    char *text = path && !dir ? rt_read_file(path, &len) : NULL;
    int e = dir ? EISDIR : errno ? errno : EIO;
    if (!path)
      err = lk_raise("ansible.errors.AnsibleParserError", rt_error("Invalid filename: 'None'"));
    else if (!text) /* DataLoader._get_file_contents: AnsibleParserError(orig_exc=the OSError) */
      err = lk_raise("ansible.errors.AnsibleParserError",
                     rt_error("an error occurred while trying to read the file '%s': [Errno %d] %s: b'%s'. [Errno "
                              "%d] %s: b'%s'",
                              path, e, strerror(e), path, e, strerror(e), path));
    else if (!ini_utf8(rt_dict_get(pv, "encoding")))
      err = rt_error("playc reads the ini lookup's files as utf-8 only");
    if (!err) {
      bool props = rt_kind(rt_dict_get(pv, "type")) == RT_STR && !strcmp(rt_dict_get(pv, "type")->u.str.s, "properties");
      if (props) {
        char *t2 = rt_xasprintf("[java_properties]\n%.*s", (int)len, text);
        free(text);
        text = t2;
        len += 18;
        rt_dict_set(pv, "section", rt_strz("java_properties"));
      }
      err = ini_read(&cp, text, len);
      if (err && lk_raised && !strcmp(lk_raised, "configparser.DuplicateOptionError")) {
        RtValue *e2 = lk_raise("AnsibleLookupError",
                               rt_error("Duplicate option in '%s': %s", file->u.str.s, err->u.err.msg));
        rt_decref(err);
        err = e2;
      }
      if (!err)
        err = ini_get(&cp, out, key->u.str.s, pv);
    }
    free(text);
    free(path);
    rt_decref(key);
  }
  rt_decref(cp.defaults);
  rt_decref(cp.sections);
  rt_decref(pv);
  rt_decref(l);
  if (err) {
    rt_decref(out);
    return err;
  }
  return out;
}

typedef struct RtLookup {
  const char *name;
  RtValue *(*fn)(RtHost *h, RtValue *terms, RtValue *kwargs);
} RtLookup;

static const RtLookup lookups[] = {
#define X(name, fn) {name, fn},
#include "lookups.def"
#undef X
    {NULL, NULL},
};

/* Ansible's lookup-plugin errors its lookup() reports as they are
 * (AnsibleLookupError); the others are "unhandled exceptions". */
static bool lk_own_error(const char *name, const RtValue *e) {
  return e->u.err.exc == RT_EXC_UNDEFINED || strcmp(name, "first_found") == 0;
}

static RtValue *lookup_fn(RtHost *h, const char *name, RtValue *args, RtValue *kwargs, const RtLoc *loc);

/* allow_unsafe given and not False (Templar._lookup tests `allow_unsafe is False`). */
static bool lookup_allow_unsafe(const RtValue *kwargs) {
  RtValue *au = kwargs ? rt_dict_get(kwargs, "allow_unsafe") : NULL;
  return au && !(rt_kind(au) == RT_BOOL && !rt_as_bool(au));
}

/* What lookup()/query() return is unsafe unless allow_unsafe=True (Templar._lookup's
 * wrap_var): set_fact of it, or a template rendering it, is never templated again. */
RtValue *rt_lookup_fn(RtHost *h, const char *name, RtValue *args, RtValue *kwargs, const RtLoc *loc) {
  RtValue *r = lookup_fn(h, name, args, kwargs, loc);
  if (rt_is_error(r) || lookup_allow_unsafe(kwargs))
    return r;
  RtValue *w = rt_unsafe_wrap(r);
  rt_decref(r);
  return w;
}

static RtValue *lookup_fn(RtHost *h, const char *name, RtValue *args, RtValue *kwargs, const RtLoc *loc) {
  RtValue *kw = kwargs ? rt_dict_copy(kwargs) : NULL, *wl = NULL, *er = NULL;
  for (size_t i = 0; kw && i < kw->u.dict.len; i++) /* arguments are evaluated first */
    if (rt_is_error(kw->u.dict.ents[i].val) || rt_kind(kw->u.dict.ents[i].val) == RT_UNDEF) {
      RtValue *e = rt_error_of(kw->u.dict.ents[i].val);
      rt_decref(kw);
      return e;
    }
  if (kw && (wl = rt_dict_get(kw, "wantlist")))
    wl = rt_incref(wl), rt_dict_del(kw, "wantlist");
  if (kw && (er = rt_dict_get(kw, "errors")))
    er = rt_incref(er), rt_dict_del(kw, "errors");
  if (kw && rt_dict_get(kw, "allow_unsafe"))
    rt_dict_del(kw, "allow_unsafe");
  bool wantlist = wl && rt_pytruth(wl);
  const char *errors = er && rt_kind(er) == RT_STR ? er->u.str.s : "strict";
  for (size_t i = 0; i < rt_len(args); i++)
    if (rt_is_error(rt_list_at(args, i)) || rt_kind(rt_list_at(args, i)) == RT_UNDEF) {
      RtValue *e = rt_error_of(rt_list_at(args, i));
      rt_decref(kw), rt_decref(wl), rt_decref(er);
      return e;
    }
  bool was_called = lk_called;
  lk_called = true;
  lk_raised = NULL;
  RtValue *ran = rt_lookup(h, name, args, kw && rt_len(kw) ? kw : NULL, loc);
  const char *cls = lk_raised;
  lk_raised = NULL;
  lk_called = was_called;
  if (rt_is_error(ran) && cls && !strcmp(cls, "AnsibleOptionsError")) { /* Templar._lookup re-raises it */
    rt_decref(kw), rt_decref(wl), rt_decref(er);
    return ran;
  }
  if (rt_is_error(ran) && ran->u.err.exc != RT_EXC_UNDEFINED) {
    bool own = cls ? !strcmp(cls, "AnsibleLookupError") : lk_own_error(name, ran);
    char *msg = own ? rt_xasprintf("Lookup failed but the error is being ignored: %s", ran->u.err.msg)
                    : rt_xasprintf("An unhandled exception occurred while running the lookup plugin '%s'. Error was "
                                   "a <class '%s'>, original message: %s",
                                   name, cls ? cls : "ansible.errors.AnsibleError", ran->u.err.msg);
    if (strcmp(errors, "warn") != 0 && strcmp(errors, "ignore") != 0 && !own) {
      /* AnsibleError(msg, orig_exc=e): its text ends with the original's */
      char *full = rt_xasprintf("%s. %s", msg, ran->u.err.msg);
      free(msg);
      msg = full;
    }
    if (strcmp(errors, "warn") == 0 || strcmp(errors, "ignore") == 0) {
      if (strcmp(errors, "warn") == 0)
        rt_out_warning(h->run, "%s", msg);
      rt_decref(ran);
      ran = wantlist ? rt_list_new(0) : rt_none();
    } else if (!own) {
      rt_decref(ran);
      ran = rt_error("%s", msg);
    }
    free(msg);
  }
  rt_decref(kw), rt_decref(wl), rt_decref(er);
  if (rt_is_error(ran) || wantlist || rt_kind(ran) != RT_LIST || !rt_len(ran) || lookup_allow_unsafe(kwargs))
    return ran; /* allow_unsafe: the plugin's list as it is, not joined */
  RtBuf b = {0};
  for (size_t i = 0; i < rt_len(ran); i++) {
    RtValue *it = rt_list_at(ran, i);
    if (rt_kind(it) != RT_STR) { /* not text: the one item, or the list */
      rt_buf_free(&b);
      if (rt_len(ran) != 1)
        return ran;
      RtValue *one = rt_incref(it);
      rt_decref(ran);
      return one;
    }
    if (i)
      rt_buf_putc(&b, ',');
    rt_buf_add(&b, it->u.str.s, it->u.str.len);
  }
  rt_decref(ran);
  return rt_buf_value(&b);
}

RtValue *rt_lookup(RtHost *h, const char *name, RtValue *terms, RtValue *kwargs, const RtLoc *loc) {
  (void)loc;
  if (rt_is_error(terms))
    return rt_error_of(terms);
  if (strncmp(name, "ansible.builtin.", 16) == 0)
    name += 16;
  else if (strncmp(name, "ansible.legacy.", 15) == 0)
    name += 15;
  for (const RtLookup *l = lookups; l->name; l++)
    if (strcmp(l->name, name) == 0)
      return l->fn(h, terms, kwargs);
  return lk_err("lookup plugin (%s) not found", name);
}
