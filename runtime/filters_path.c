/*
 * filters_path.c — Ansible's path filters, as Python's posixpath and ntpath
 * compute them: basename dirname splitext expanduser expandvars realpath
 * relpath path_join win_basename win_dirname win_splitdrive, and fileglob.
 * They run where Ansible runs them: on the controller, when the template is
 * rendered (realpath, expanduser and fileglob look at its file system and
 * environment then).
 */
#include "filters.h"

#include <glob.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* os.fspath: only strings are paths here. */
static RtValue *path_of(const RtValue *v, const char **s, size_t *len) {
  if (rt_kind(v) != RT_STR)
    return rt_type_error("expected str, bytes or os.PathLike object, not %s", rt_type_name(v));
  *s = v->u.str.s;
  *len = v->u.str.len;
  return NULL;
}

RtValue *rt_f_basename(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  const char *slash = NULL;
  for (size_t i = len; i-- > 0;)
    if (s[i] == '/') {
      slash = s + i;
      break;
    }
  return slash ? rt_str(slash + 1, len - (size_t)(slash + 1 - s)) : rt_str(s, len);
}

/* posixpath.dirname: the head, trailing slashes removed unless it is all slashes. */
RtValue *rt_f_dirname(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  size_t i = len;
  while (i > 0 && s[i - 1] != '/')
    i--;
  size_t h = i;
  bool all = true;
  for (size_t k = 0; k < h; k++)
    all &= s[k] == '/';
  if (h && !all)
    while (h > 0 && s[h - 1] == '/')
      h--;
  return rt_str(s, h);
}

/* genericpath._splitext with '/' and '.'. */
static void splitext(const char *s, size_t len, const char *seps, size_t *cut) {
  size_t sep = 0;
  bool have_sep = false;
  for (size_t i = len; i-- > 0;)
    if (strchr(seps, s[i]) && s[i]) {
      sep = i;
      have_sep = true;
      break;
    }
  size_t dot = 0;
  bool have_dot = false;
  for (size_t i = len; i-- > 0;)
    if (s[i] == '.') {
      dot = i;
      have_dot = true;
      break;
    }
  *cut = len;
  if (have_dot && (!have_sep || dot > sep)) {
    size_t fi = have_sep ? sep + 1 : 0;
    for (; fi < dot; fi++)
      if (s[fi] != '.') {
        *cut = dot;
        return;
      }
  }
}

RtValue *rt_f_splitext(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0, cut;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  splitext(s, len, "/", &cut);
  RtValue *t = rt_tuple_new(2);
  rt_list_push(t, rt_str(s, cut));
  rt_list_push(t, rt_str(s + cut, len - cut));
  return t;
}

/* posixpath.expanduser of `s` (`len` bytes): ~ is $HOME (or the passwd
 * entry), ~user that user's; NULL when `s` is left as it is. malloc'd. */
char *rt_path_expanduser(const char *s, size_t len) {
  if (!len || s[0] != '~')
    return NULL;
  const char *slash = memchr(s + 1, '/', len - 1);
  size_t i = slash ? (size_t)(slash - s) : len;
  char *home = NULL;
  if (i == 1) {
    const char *h = getenv("HOME");
    if (h) {
      home = rt_xstrdup(h);
    } else {
      struct passwd pw, *res = NULL;
      char buf[4096];
      if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) != 0 || !res)
        return NULL;
      home = rt_xstrdup(pw.pw_dir);
    }
  } else {
    char *name = rt_xstrndup(s + 1, i - 1);
    struct passwd pw, *res = NULL;
    char buf[4096];
    int rc = getpwnam_r(name, &pw, buf, sizeof buf, &res);
    free(name);
    if (rc != 0 || !res)
      return NULL;
    home = rt_xstrdup(pw.pw_dir);
  }
  size_t hl = strlen(home);
  while (hl > 0 && home[hl - 1] == '/')
    hl--;
  RtBuf b = {0};
  rt_buf_add(&b, home, hl);
  rt_buf_add(&b, s + i, len - i);
  free(home);
  if (!b.len)
    rt_buf_putc(&b, '/');
  return rt_buf_take(&b);
}

RtValue *rt_f_expanduser(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  char *x = rt_path_expanduser(s, len);
  return x ? rt_str_take(x, strlen(x)) : rt_incref(a->base);
}

/* posixpath.expandvars: $name and ${name} of set variables (ASCII \w names). */
RtValue *rt_f_expandvars(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  if (!memchr(s, '$', len))
    return rt_incref(a->base);
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < len;) {
    if (s[i] != '$') {
      rt_buf_putc(&b, s[i++]);
      continue;
    }
    size_t st = i + 1, en;
    bool brace = st < len && s[st] == '{';
    if (brace) {
      const char *close = memchr(s + st, '}', len - st);
      if (!close) {
        rt_buf_putc(&b, s[i++]);
        continue;
      }
      en = (size_t)(close - s) + 1;
    } else {
      en = st;
      while (en < len && ((s[en] >= 'a' && s[en] <= 'z') || (s[en] >= 'A' && s[en] <= 'Z') ||
                          (s[en] >= '0' && s[en] <= '9') || s[en] == '_'))
        en++;
      if (en == st) {
        rt_buf_putc(&b, s[i++]);
        continue;
      }
    }
    char *name = brace ? rt_xstrndup(s + st + 1, en - st - 2) : rt_xstrndup(s + st, en - st);
    const char *val = getenv(name);
    free(name);
    if (val)
      rt_buf_puts(&b, val);
    else
      rt_buf_add(&b, s + i, en - i);
    i = en;
  }
  return rt_buf_value(&b);
}

/* posixpath.normpath. */
char *rt_path_normpath(const char *p) {
  if (!*p)
    return rt_xstrdup(".");
  size_t initial = p[0] == '/' ? (p[1] == '/' && p[2] != '/' ? 2 : 1) : 0;
  char *copy = rt_xstrdup(p);
  char **comps = rt_xcalloc(strlen(p) + 1, sizeof *comps);
  size_t n = 0;
  for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (!strcmp(c, "."))
      continue;
    if (strcmp(c, "..") != 0 || (!initial && !n) || (n && !strcmp(comps[n - 1], "..")))
      comps[n++] = c;
    else if (n)
      n--;
  }
  RtBuf b = {0};
  for (size_t i = 0; i < initial; i++)
    rt_buf_putc(&b, '/');
  for (size_t i = 0; i < n; i++) {
    if (i)
      rt_buf_putc(&b, '/');
    rt_buf_puts(&b, comps[i]);
  }
  free(comps);
  free(copy);
  if (!b.len)
    rt_buf_putc(&b, '.');
  return rt_buf_take(&b);
}

char *rt_path_abspath(const char *p) {
  if (p[0] == '/')
    return rt_path_normpath(p);
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd))
    return rt_path_normpath(p);
  char *j = rt_xasprintf("%s/%s", cwd, p);
  char *r = rt_path_normpath(j);
  free(j);
  return r;
}

RtValue *rt_f_relpath(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  if (!len)
    return rt_error_exc(RT_EXC_VALUE, "no path specified");
  const char *start = ".";
  if (a->p[0] && rt_kind(a->p[0]) != RT_NONE) {
    size_t sl;
    if ((e = path_of(a->p[0], &start, &sl)))
      return e;
  }
  char *ap = rt_path_abspath(s), *as = rt_path_abspath(start);
  RtValue *pl = rt_text_split(ap, strlen(ap), "/", 1, -1), *sl = rt_text_split(as, strlen(as), "/", 1, -1);
  RtValue *pc = rt_list_new(8), *sc = rt_list_new(8);
  for (size_t i = 0; i < rt_len(pl); i++)
    if (rt_len(rt_list_at(pl, i)))
      rt_list_push(pc, rt_incref(rt_list_at(pl, i)));
  for (size_t i = 0; i < rt_len(sl); i++)
    if (rt_len(rt_list_at(sl, i)))
      rt_list_push(sc, rt_incref(rt_list_at(sl, i)));
  size_t common = 0;
  while (common < rt_len(pc) && common < rt_len(sc) && rt_equal(rt_list_at(pc, common), rt_list_at(sc, common)))
    common++;
  RtBuf b = {0};
  for (size_t i = common; i < rt_len(sc); i++) {
    if (b.len)
      rt_buf_putc(&b, '/');
    rt_buf_puts(&b, "..");
  }
  for (size_t i = common; i < rt_len(pc); i++) {
    if (b.len)
      rt_buf_putc(&b, '/');
    rt_buf_add(&b, rt_list_at(pc, i)->u.str.s, rt_list_at(pc, i)->u.str.len);
  }
  if (!b.len)
    rt_buf_putc(&b, '.');
  free(ap);
  free(as);
  rt_decref(pl);
  rt_decref(sl);
  rt_decref(pc);
  rt_decref(sc);
  return rt_buf_value(&b);
}

/* posixpath._joinrealpath, non-strict: symlinks resolved, missing parts kept. */
static char *join_real(const char *path, const char *rest, RtValue *seen, int depth, bool *ok) {
  char *cur = rt_xstrdup(path);
  if (rest[0] == '/') {
    rest++;
    free(cur);
    cur = rt_xstrdup("/");
  }
  while (*rest) {
    const char *slash = strchr(rest, '/');
    size_t nl = slash ? (size_t)(slash - rest) : strlen(rest);
    char *name = rt_xstrndup(rest, nl);
    rest = slash ? slash + 1 : rest + nl;
    if (!*name || !strcmp(name, ".")) {
      free(name);
      continue;
    }
    if (!strcmp(name, "..")) {
      free(name);
      if (*cur) {
        char *sl = strrchr(cur, '/');
        char *last = sl ? sl + 1 : cur;
        if (!strcmp(last, "..")) {
          char *j = rt_xasprintf("%s/../..", cur);
          free(cur);
          cur = j;
        } else {
          if (sl == cur)
            cur[1] = 0;
          else if (sl)
            *sl = 0;
          else
            cur[0] = 0;
        }
      } else {
        free(cur);
        cur = rt_xstrdup("..");
      }
      continue;
    }
    char *np = !*cur ? rt_xstrdup(name) : cur[strlen(cur) - 1] == '/' ? rt_xasprintf("%s%s", cur, name)
                                                                       : rt_xasprintf("%s/%s", cur, name);
    free(name);
    struct stat st;
    if (lstat(np, &st) != 0 || !S_ISLNK(st.st_mode)) {
      free(cur);
      cur = np;
      continue;
    }
    RtValue *known = rt_dict_get(seen, np);
    if (known) {
      if (rt_kind(known) == RT_STR) {
        free(cur);
        cur = rt_xstrdup(known->u.str.s);
        free(np);
        continue;
      }
      char *r = *rest ? rt_xasprintf("%s/%s", np, rest) : rt_xstrdup(np);
      free(np);
      free(cur);
      *ok = false;
      return r;
    }
    rt_dict_set(seen, np, rt_none());
    char target[4096];
    ssize_t tl = readlink(np, target, sizeof target - 1);
    target[tl > 0 ? tl : 0] = 0;
    bool sub_ok = true;
    char *resolved = depth < 64 ? join_real(cur, target, seen, depth + 1, &sub_ok) : rt_xstrdup(np);
    free(cur);
    cur = resolved;
    if (!sub_ok) {
      char *r = *rest ? rt_xasprintf("%s/%s", cur, rest) : rt_xstrdup(cur);
      free(cur);
      free(np);
      *ok = false;
      return r;
    }
    rt_dict_set(seen, np, rt_strz(cur));
    free(np);
  }
  *ok = true;
  return cur;
}

RtValue *rt_f_realpath(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  if (a->p[0] && rt_pytruth(a->p[0]))
    return rt_error("realpath(strict=True) is not supported by playc yet");
  RtValue *seen = rt_dict_new(4);
  bool ok;
  char *r = join_real("", s, seen, 0, &ok);
  rt_decref(seen);
  char *abs = rt_path_abspath(r);
  free(r);
  return rt_str_take(abs, strlen(abs));
}

/* os.path.join of a string or a sequence of strings. */
RtValue *rt_f_path_join(RtFArgs *a) {
  RtValue *v = a->base;
  if (rt_kind(v) == RT_STR)
    return rt_incref(v);
  if (rt_kind(v) != RT_LIST)
    return rt_type_error("|path_join expects string or sequence, got <class '%s'> instead.", rt_type_name(v));
  if (!rt_len(v))
    return rt_type_error("join() missing 1 required positional argument: 'a'");
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < rt_len(v); i++) {
    RtValue *p = rt_list_at(v, i);
    if (rt_kind(p) != RT_STR) {
      rt_buf_free(&b);
      return rt_type_error("join() argument must be str, bytes, or os.PathLike object, not '%s'", rt_type_name(p));
    }
    if (p->u.str.len && p->u.str.s[0] == '/') {
      rt_buf_free(&b);
      rt_buf_add(&b, p->u.str.s, p->u.str.len);
    } else {
      if (i && b.len && b.data[b.len - 1] != '/')
        rt_buf_putc(&b, '/');
      rt_buf_add(&b, p->u.str.s, p->u.str.len);
    }
  }
  return rt_buf_value(&b);
}

/* ---- ntpath ---- */

/* ntpath.splitdrive: "C:" or the UNC "\\server\share" prefix. */
static size_t nt_drive(const char *s, size_t len) {
  if (len < 2)
    return 0;
  char *n = rt_xstrndup(s, len);
  for (size_t i = 0; i < len; i++)
    if (n[i] == '/')
      n[i] = '\\';
  size_t r = 0;
  if (n[0] == '\\' && n[1] == '\\') {
    size_t start = len >= 8 && strncasecmp(n, "\\\\?\\UNC\\", 8) == 0 ? 8 : 2;
    char *i1 = start <= len ? memchr(n + start, '\\', len - start) : NULL;
    char *i2 = i1 ? memchr(i1 + 1, '\\', len - (size_t)(i1 + 1 - n)) : NULL;
    r = i1 ? (i2 ? (size_t)(i2 - n) : len) : 0;
    if (i1 && !i2)
      r = 0; /* p, p[:0]: no drive */
  } else if (n[1] == ':') {
    r = 2;
  }
  free(n);
  return r;
}

/* ntpath.split: (drive + head without trailing separators, tail). */
static void nt_split(const char *s, size_t len, size_t *head_end, size_t *tail_start) {
  size_t d = nt_drive(s, len), i = len;
  while (i > d && s[i - 1] != '/' && s[i - 1] != '\\')
    i--;
  *tail_start = i;
  size_t h = i;
  while (h > d && (s[h - 1] == '/' || s[h - 1] == '\\'))
    h--;
  *head_end = h > d ? h : i; /* head.rstrip(seps) or head */
}

RtValue *rt_f_win_basename(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0, he, ts;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  nt_split(s, len, &he, &ts);
  return rt_str(s + ts, len - ts);
}

RtValue *rt_f_win_dirname(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0, he, ts;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  nt_split(s, len, &he, &ts);
  return rt_str(s, he);
}

RtValue *rt_f_win_splitdrive(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  size_t d = nt_drive(s, len);
  RtValue *t = rt_tuple_new(2);
  rt_list_push(t, rt_str(s, d));
  rt_list_push(t, rt_str(s + d, len - d));
  return t;
}

/* The regular files glob.glob(pathname) names, in the directory's order. */
RtValue *rt_f_fileglob(RtFArgs *a) {
  const char *s = NULL;
  size_t len = 0;
  RtValue *e = path_of(a->base, &s, &len);
  if (e)
    return e;
  RtValue *out = rt_list_new(4);
  glob_t g;
  if (glob(s, GLOB_NOSORT, NULL, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; i++) {
      struct stat st;
      if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
        rt_list_push(out, rt_strz(g.gl_pathv[i]));
    }
    globfree(&g);
  }
  return out;
}
