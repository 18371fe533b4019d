/*
 * template.c — the template action. Its `src` was compiled by playc (every
 * file the src can name, ir/lower.c lw_template_task): here the rendered src
 * picks the compiled file as Ansible's _find_needle('templates', src) finds
 * it, and the file's function renders it (keeping the trailing newlines as
 * preserve_trailing_newlines does) with the template vars Ansible adds
 * (template_host, template_path, template_fullpath, template_destpath,
 * template_uid, template_run_date, template_mtime, ansible_managed) over the
 * task's vars. The text goes through copy's path for a body made on the
 * controller (mod_copy_body: one request when dest is unchanged, atomic
 * replace, mode/owner/group, backup, validate, check and diff mode).
 */
#include "mod.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The schema (compiled into playc too: MOD_SCHEMA_ONLY). */
static const ModParam template_params[] = {
    {.name = "src", .type = MP_PATH}, /* required: the action says so its way */
    {.name = "dest", .type = MP_PATH},
    {.name = "newline_sequence", .type = MP_STR, .def = "\\n"},
    {.name = "block_start_string", .type = MP_STR},
    {.name = "block_end_string", .type = MP_STR},
    {.name = "variable_start_string", .type = MP_STR},
    {.name = "variable_end_string", .type = MP_STR},
    {.name = "comment_start_string", .type = MP_STR},
    {.name = "comment_end_string", .type = MP_STR},
    {.name = "trim_blocks", .type = MP_BOOL, .def = "yes"},
    {.name = "lstrip_blocks", .type = MP_BOOL, .def = "no"},
    {.name = "output_encoding", .type = MP_STR, .def = "utf-8"},
    {.name = "force", .type = MP_BOOL, .def = "yes"},
    {.name = "follow", .type = MP_BOOL, .def = "no"},
    {.name = "backup", .type = MP_BOOL, .def = "no"},
    {.name = "validate", .type = MP_STR},
    MOD_FILE_COMMON_PARAMS,
};
const ModSchema mod_schema_template = {
    .name = "template",
    .params = template_params,
    .nparams = MOD_N(template_params),
    .free_form = true,
    .tools = "stat,sha1sum,base64,mkdir,mv,chmod,chown,chgrp,cp,date",
    .check_mode = true,
    .diff_mode = true};

#ifndef MOD_SCHEMA_ONLY

/* The vars Ansible's generate_ansible_template_vars adds for file `f`
 * (found for `src`, rendered into `dest`), over the loop's. */
static RtValue *template_vars(RtHost *h, const RtFileDef *f, const char *src, const char *dest) {
  RtValue *loop = h->dyn[RT_LV_LOOP];
  RtValue *d = loop ? rt_dict_copy(loop) : rt_dict_new(8);
  struct utsname u;
  rt_dict_set(d, "template_host", rt_strz(uname(&u) == 0 ? u.nodename : ""));
  rt_dict_set(d, "template_path", rt_strz(src));
  char *full = rt_abspath(h->run, f->name);
  struct stat st;
  bool have = stat(full, &st) == 0; /* the controller's file, when the binary runs where it was built */
  struct passwd pwd, *pw = NULL; /* getpwuid_r: hosts render templates on parallel threads */
  char pwbuf[4096];
  if (getpwuid_r(have ? st.st_uid : getuid(), &pwd, pwbuf, sizeof pwbuf, &pw) != 0)
    pw = NULL;
  char uid[32];
  snprintf(uid, sizeof uid, "%lu", (unsigned long)(have ? st.st_uid : getuid()));
  rt_dict_set(d, "template_uid", rt_strz(pw ? pw->pw_name : uid));
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char t[64];
  if (have) {
    mod_time_text(t, sizeof t, &st.st_mtim);
    rt_dict_set(d, "template_mtime", rt_strz(t));
  }
  mod_time_text(t, sizeof t, &now);
  rt_dict_set(d, "template_run_date", rt_strz(t));
  rt_dict_set(d, "template_destpath", dest ? rt_strz(dest) : rt_none());
  rt_dict_set(d, "template_fullpath", rt_str_take(full, strlen(full)));
  rt_dict_set(d, "ansible_managed", rt_strz("Ansible managed")); /* DEFAULT_MANAGED_STR */
  return d;
}

RtValue *mod_template_render(RtHost *h, RtExprFn fn, const RtFileDef *f, const char *src, const char *dest) {
  RtValue *saved = h->dyn[RT_LV_LOOP];
  h->dyn[RT_LV_LOOP] = template_vars(h, f, src, dest);
  RtValue *v = fn(h);
  rt_decref(h->dyn[RT_LV_LOOP]);
  h->dyn[RT_LV_LOOP] = saved;
  return v;
}

/* The failed result of the action's "except Exception as e: raise
 * AnsibleActionFail('%s: %s' % (type(e).__name__, e))", with the exception
 * whose last line the callback prints ("ansible.errors." for Ansible's own). */
static RtValue *render_failure(const RtValue *err, const RtFileDef *f) {
  bool undef = rt_kind(err) == RT_UNDEF || (rt_kind(err) == RT_ERROR && err->u.err.exc == RT_EXC_UNDEFINED);
  const char *why = rt_kind(err) == RT_ERROR ? err->u.err.msg : rt_kind(err) == RT_UNDEF ? err->u.undef.hint : "error";
  const char *cls = rt_kind(err) == RT_ERROR ? rt_exc_name((RtExc)err->u.err.exc) : NULL;
  char *text;
  if (undef)
    text = rt_xasprintf("AnsibleUndefinedVariable: %s. %s", why, why);
  else if (rt_kind(err) == RT_ERROR && err->u.err.exc == RT_EXC_TYPE) /* the templar's words, on the source */
    text = rt_xasprintf("AnsibleError: Unexpected templating type error occurred on (%.*s): %s. %s", (int)f->size,
                        (const char *)f->data, why, why);
  else
    text = rt_xasprintf("%s: %s", cls ? cls : "AnsibleError", why);
  RtValue *r = mod_fail_result("%s", text);
  char *exc = rt_xasprintf("Traceback (most recent call last):\n%s%s", cls ? "" : "ansible.errors.", text);
  rt_dict_set(r, "exception", rt_str_take(exc, strlen(exc)));
  free(text);
  return r;
}

static const char *newline_of(const char *s) {
  static const char *const seq[] = {"\n", "\r", "\r\n", "\\n", "\\r", "\\r\\n"};
  for (int i = 0; i < 6; i++)
    if (!strcmp(s, seq[i]))
      return seq[i % 3];
  return NULL;
}

RtValue *mod_template(RtHost *h, RtValue *args) {
  char *src = mod_arg_str(args, "src"), *dest = mod_arg_str(args, "dest"), *nls = mod_arg_str(args, "newline_sequence");
  const char *nl = newline_of(nls ? nls : "\n");
  RtValue *r = NULL, *cargs = NULL;
  RtBuf text = {0};
  if (rt_dict_get(args, "state"))
    r = mod_fail_result("'state' cannot be specified on a template");
  else if (!src || !dest)
    r = mod_fail_result("src and dest are required");
  else if (!nl)
    r = mod_fail_result("newline_sequence needs to be one of: \n, \r or \r\n");
  if (r)
    goto done;
  const RtFileDef *f = rt_find_file_in(h, "templates", src);
  if (!f) {
    r = rt_file_not_found(h, "templates", src);
    goto done;
  }
  RtExprFn fn = NULL;
  const RtTaskDef *t = h->task;
  for (int i = 0; t && t->tpl_names && t->tpl_names[i] && !fn; i++)
    if (!strcmp(t->tpl_names[i], f->name))
      fn = t->tpl_render[i];
  if (!fn || !S_ISREG(f->mode)) {
    r = mod_fail_result("%s: %s", S_ISDIR(f->mode) ? "IsADirectoryError" : "AnsibleError",
                        S_ISDIR(f->mode) ? "a template src must be a file" : "the template was not compiled");
    goto done;
  }
  RtValue *v = mod_template_render(h, fn, f, src, dest);
  if (rt_is_error(v) || rt_kind(v) != RT_STR) {
    r = render_failure(v, f);
    rt_decref(v);
    goto done;
  }
  rt_buf_add(&text, v->u.str.s, v->u.str.len);
  rt_decref(v);
  /* the copy action's arguments: mode preserve is the template's own mode */
  cargs = rt_dict_copy(args);
  char *mode = mod_arg_str(args, "mode");
  if (mode && !strcmp(mode, "preserve")) {
    char m[16];
    snprintf(m, sizeof m, "0%03o", (unsigned)(f->mode & 07777));
    rt_dict_set(cargs, "mode", rt_strz(m));
  }
  free(mode);
  const char *base = strrchr(f->name, '/') ? strrchr(f->name, '/') + 1 : f->name;
  r = mod_copy_body(h, cargs, text.data ? text.data : "", text.len, base);
done:
  rt_decref(cargs);
  rt_buf_free(&text);
  free(src);
  free(dest);
  free(nls);
  return r;
}

#endif
