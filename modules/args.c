/*
 * args.c — what every module needs from its (already templated) argument
 * dict: typed access with Ansible's conversions, a failure result, and the
 * text forms of times and line lists that results carry.
 */
#include "mod.h"

#include <stdlib.h>
#include <ctype.h>
#include <string.h>

char *mod_arg_str(RtValue *args, const char *name) {
  RtValue *v = rt_dict_get(args, name);
  if (!v || rt_kind(v) == RT_NONE)
    return NULL;
  if (rt_kind(v) == RT_STR)
    return rt_xstrdup(v->u.str.s);
  RtBuf b = {0};
  rt_render_str(&b, v);
  return rt_buf_take(&b);
}

int mod_arg_bool(RtValue *args, const char *name, int def) {
  RtValue *v = rt_dict_get(args, name);
  if (!v || rt_kind(v) == RT_NONE)
    return def;
  return rt_to_boolean(v);
}

long mod_arg_mode(RtValue *args, const char *name) {
  RtValue *v = rt_dict_get(args, name);
  if (!v || rt_kind(v) == RT_NONE)
    return -1;
  if (rt_kind(v) == RT_INT)
    return v->u.i >= 0 && v->u.i <= 07777 ? (long)v->u.i : -2;
  if (rt_kind(v) != RT_STR || !v->u.str.len)
    return -2;
  char *end;
  long m = strtol(v->u.str.s, &end, 8);
  return *end || m < 0 || m > 07777 ? -2 : m;
}

void mod_py_bytes_repr(RtBuf *b, const char *s) {
  char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
  rt_buf_printf(b, "b%c", q);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '\\' || *p == (unsigned char)q)
      rt_buf_printf(b, "\\%c", *p);
    else if (*p == '\t')
      rt_buf_puts(b, "\\t");
    else if (*p == '\n')
      rt_buf_puts(b, "\\n");
    else if (*p == '\r')
      rt_buf_puts(b, "\\r");
    else if (*p < 0x20 || *p >= 0x7f)
      rt_buf_printf(b, "\\x%02x", *p);
    else
      rt_buf_add(b, (const char *)p, 1);
  }
  rt_buf_printf(b, "%c", q);
}

RtValue *mod_raise(char *msg) {
  RtValue *r = rt_dict_new(3);
  rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, "msg", rt_str_take(msg, strlen(msg)));
  rt_dict_set(r, RT_RAISED_KEY, rt_bool(true));
  return r;
}

RtValue *mod_fail_result(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    rt_panic(__FILE__, __LINE__, "out of memory");
  va_end(ap);
  RtValue *r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, "msg", rt_strz(msg));
  free(msg);
  return r;
}

RtValue *mod_words(const char *s) {
  RtValue *l = rt_list_new(4);
  for (const char *p = s;;) {
    while (*p && isspace((unsigned char)*p))
      p++;
    if (!*p)
      break;
    const char *e = p;
    while (*e && !isspace((unsigned char)*e))
      e++;
    rt_list_push(l, rt_str(p, (size_t)(e - p)));
    p = e;
  }
  return l;
}

RtValue *mod_lines(const char *s, size_t len) {
  RtValue *l = rt_list_new(8);
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\n' || s[i] == '\r') {
      rt_list_push(l, rt_str(s + start, i - start));
      if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
        i++;
      start = i + 1;
    }
  }
  if (start < len)
    rt_list_push(l, rt_str(s + start, len - start));
  return l;
}

void mod_time_text(char *buf, size_t cap, const struct timespec *ts) {
  struct tm tm;
  localtime_r(&ts->tv_sec, &tm);
  size_t n = strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
  snprintf(buf + n, cap - n, ".%06ld", ts->tv_nsec / 1000);
}

void mod_delta_text(char *buf, size_t cap, const struct timespec *a, const struct timespec *b) {
  long long us = (long long)(b->tv_sec - a->tv_sec) * 1000000 + (b->tv_nsec - a->tv_nsec) / 1000;
  if (us < 0)
    us = 0;
  long long s = us / 1000000;
  snprintf(buf, cap, "%lld:%02lld:%02lld.%06lld", s / 3600, s / 60 % 60, s % 60, us % 1000000);
}
