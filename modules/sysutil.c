/*
 * sysutil.c — what the system family's modules (user, group, cron, mount,
 * get_url, git ...) share beyond args.c and target.c: Ansible's int and
 * list argument types, the answer of a module without check mode, the
 * get_bin_path check for the target programs a module needs, and argvs
 * built on the controller and handed to the target's shell as positional
 * parameters (`set -- 'w0' 'w1' ...; "$@"`), never as shell text.
 */
#include "mod.h"

#ifndef MOD_SCHEMA_ONLY

#include <math.h>
#include <stdlib.h>
#include <string.h>

int mod_arg_int(RtValue *args, const char *name, long long *out) {
  RtValue *v = rt_dict_get(args, name);
  if (!v || rt_kind(v) == RT_NONE)
    return 0;
  switch (rt_kind(v)) {
  case RT_INT: *out = v->u.i; return 1;
  case RT_BOOL: *out = v->u.b; return 1;
  case RT_FLOAT:
    if (!isfinite(v->u.f) || fabs(v->u.f) > 9e18)
      return -1;
    *out = (long long)v->u.f;
    return 1;
  case RT_STR: return mod_py_int(v->u.str.s, out) ? 1 : -1;
  default: return -1;
  }
}

RtValue *mod_arg_list(RtValue *args, const char *name) {
  RtValue *v = rt_dict_get(args, name);
  if (!v || rt_kind(v) == RT_NONE)
    return NULL;
  RtValue *l = rt_list_new(4);
  if (rt_kind(v) == RT_LIST) {
    for (size_t i = 0; i < rt_len(v); i++) {
      RtBuf b = {0};
      rt_render_str(&b, rt_list_at(v, i));
      rt_list_push(l, rt_str(b.data ? b.data : "", b.len));
      rt_buf_free(&b);
    }
  } else if (rt_kind(v) == RT_STR) { /* check_type_list: "a,b" → ["a", "b"] */
    const char *p = v->u.str.s;
    for (;;) {
      const char *e = strchr(p, ',');
      size_t n = e ? (size_t)(e - p) : strlen(p);
      rt_list_push(l, rt_str(p, n));
      if (!e)
        break;
      p = e + 1;
    }
  } else {
    RtBuf b = {0};
    rt_render_str(&b, v);
    rt_list_push(l, rt_str(b.data ? b.data : "", b.len));
    rt_buf_free(&b);
  }
  return l;
}

RtValue *mod_check_skip(const char *module) {
  RtValue *r = rt_dict_new(3);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "skipped", rt_bool(true));
  char *msg = rt_xasprintf("remote module (%s) does not support check mode", module);
  rt_dict_set(r, "msg", rt_str_take(msg, strlen(msg)));
  return r;
}

void mod_sh_need(RtBuf *s, const char *tools) {
  rt_buf_puts(s, "__playc_p=$PATH; for __playc_d in /sbin /usr/sbin /usr/local/sbin; do\n"
                 "  case :$__playc_p: in *:$__playc_d:*) ;; *) __playc_p=$__playc_p:$__playc_d;; esac; done\n");
  for (const char *p = tools; p && *p;) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char *t = rt_xstrndup(p, n);
    rt_buf_puts(s, "if PATH=$__playc_p __playc_which ");
    rt_sh_quote(s, t);
    rt_buf_puts(s, "; then __playc_rec bin.");
    rt_buf_puts(s, t); /* a program name of the module's own table */
    rt_buf_puts(s, " \"$(PATH=$__playc_p command -v ");
    rt_sh_quote(s, t);
    rt_buf_puts(s, ")\"; else __playc_rec fail notool; __playc_rec tool ");
    rt_sh_quote(s, t);
    rt_buf_puts(s, "; __playc_rec path \"$__playc_p\"; exit 0; fi\n");
    free(t);
    p = e ? e + 1 : p + n;
  }
}

RtValue *mod_tool_failure(const RtExec *ex) {
  if (!mod_rec_is(ex, "fail", "notool"))
    return NULL;
  return mod_fail_result("Failed to find required executable \"%s\" in paths: %s", mod_rec(ex, "tool"),
                         mod_rec(ex, "path") ? mod_rec(ex, "path") : "");
}

void mod_set_facts(RtHost *h, RtValue *facts) {
  RtValue *cur = h->dyn[RT_LV_FACTS] ? rt_dict_get(h->dyn[RT_LV_FACTS], "ansible_facts") : NULL;
  RtValue *all = cur && rt_kind(cur) == RT_DICT ? rt_dict_copy(cur) : rt_dict_new(facts->u.dict.len);
  for (size_t i = 0; i < facts->u.dict.len; i++) {
    const char *k = facts->u.dict.ents[i].key->u.str.s;
    rt_host_set_var(h, RT_LV_FACTS, k, rt_incref(facts->u.dict.ents[i].val));
    rt_dict_set(all, k, rt_incref(facts->u.dict.ents[i].val));
  }
  rt_host_set_var(h, RT_LV_FACTS, "ansible_facts", all);
  rt_factcache_save(h);
}

void mod_set_output(RtValue *r, const RtBuf *out, const RtBuf *err) {
  if (out && out->len) {
    rt_dict_set(r, "stdout", rt_str(out->data, out->len));
    rt_dict_set(r, "stdout_lines", mod_lines(out->data, out->len));
  }
  if (err && err->len) {
    rt_dict_set(r, "stderr", rt_str(err->data, err->len));
    rt_dict_set(r, "stderr_lines", mod_lines(err->data, err->len));
  }
}

void mod_argv_add(ModArgv *a, const char *word) {
  if (a->n == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 8;
    a->v = rt_xrealloc(a->v, a->cap * sizeof *a->v);
  }
  a->v[a->n++] = rt_xstrdup(word);
}

void mod_argv_addf(ModArgv *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *w = NULL;
  if (vasprintf(&w, fmt, ap) < 0)
    rt_panic(__FILE__, __LINE__, "out of memory");
  va_end(ap);
  mod_argv_add(a, w);
  free(w);
}

void mod_argv_free(ModArgv *a) {
  for (size_t i = 0; i < a->n; i++)
    free(a->v[i]);
  free(a->v);
  *a = (ModArgv){0};
}

void mod_sh_argv(RtBuf *s, const ModArgv *a) {
  rt_buf_puts(s, "set --");
  for (size_t i = 0; i < a->n; i++) {
    rt_buf_putc(s, ' ');
    rt_sh_quote(s, a->v[i]);
  }
  rt_buf_putc(s, '\n');
}

char *mod_argv_text(const ModArgv *a) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < a->n; i++) {
    if (i)
      rt_buf_putc(&b, ' ');
    rt_buf_puts(&b, a->v[i]);
  }
  return rt_buf_take(&b);
}

RtValue *mod_argv_list(const ModArgv *a) {
  RtValue *l = rt_list_new(a->n);
  for (size_t i = 0; i < a->n; i++)
    rt_list_push(l, rt_strz(a->v[i]));
  return l;
}

#else
typedef int mod_sysutil_schema_only; /* nothing of this file is schema */
#endif
