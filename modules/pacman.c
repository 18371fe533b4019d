/*
 * pacman.c — community.general.pacman: Arch Linux packages with the
 * target's `pacman`, under LC_ALL=C as the module runs it. One request
 * reads the module's inventory (pacman -Q, -Qg, -Sl, -Sgg, -Qu, -Qe, -Qd);
 * the controller resolves the names as the module does (a group to its
 * members, a known package to itself, else `pacman -S --print-format %n`,
 * then `-U`, one request each), and when something is to change, one more
 * request lists the packages with --print-format and, out of check mode,
 * installs (-S --needed, -U for files) or removes them (-R). Every operand
 * follows a "--". Result keys, messages and the diff are the module's.
 * Not supported yet (unsupported parameters: a compile-time warning, the
 * task fails when it runs): upgrade,
 * update_cache and their extra args, reason, reason_for.
 */
#include "mod.h"

#include <stdio.h>

static const ModParam pacman_params[] = {
    {.name = "name", .type = MP_LIST, .elements = MP_STR, .aliases = "package,pkg", .required = true},
    {.name = "state", .type = MP_STR, .choices = "absent,installed,latest,present,removed", .def = "present"},
    {.name = "force", .type = MP_BOOL, .def = "false"},
    {.name = "remove_nosave", .type = MP_BOOL, .def = "false"},
    {.name = "executable", .type = MP_STR, .def = "pacman"},
    {.name = "extra_args", .type = MP_STR, .def = ""},
};
const ModSchema mod_schema_pacman = {
    .name = "pacman",
    .params = pacman_params,
    .nparams = MOD_N(pacman_params),
    .tools = "pacman",
    .check_mode = true,
    .diff_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* The inventory: each command's output as a list of word lists. */
enum { Q, QG, SL, SGG, QU, QE, QD, NINV };
static const char *const inv_key[NINV] = {"q", "qg", "sl", "sgg", "qu", "qe", "qd"};
static const char *const inv_args[NINV] = {"--query", "--query --groups", "--sync --list",
                                           "--sync --groups --groups", "--query --upgrades",
                                           "--query --explicit", "--query --deps"};

typedef struct Pm {
  RtHost *h;
  const char *pm; /* full path */
  RtValue *inv[NINV];
  ModArgv extra;
  bool force, nosave;
} Pm;

static RtValue *table(const char *text) {
  RtValue *lines = mod_lines(text ? text : "", text ? strlen(text) : 0), *t = rt_list_new(rt_len(lines));
  for (size_t i = 0; i < rt_len(lines); i++) {
    RtValue *w = mod_words(rt_list_at(lines, i)->u.str.s);
    if (rt_len(w))
      rt_list_push(t, w);
    else
      rt_decref(w);
  }
  rt_decref(lines);
  return t;
}

/* Column `vcol` of the first row whose column `kcol` is `key`, or NULL. */
static const char *lookup(RtValue *t, size_t kcol, const char *key, size_t vcol) {
  for (size_t i = 0; i < rt_len(t); i++) {
    RtValue *row = rt_list_at(t, i);
    if (rt_len(row) > kcol && rt_len(row) > vcol && !strcmp(rt_list_at(row, kcol)->u.str.s, key))
      return rt_list_at(row, vcol)->u.str.s;
  }
  return NULL;
}

static const char *installed(Pm *p, const char *n) { return lookup(p->inv[Q], 0, n, 1); }
static const char *reason(Pm *p, const char *n) {
  return lookup(p->inv[QD], 0, n, 0) ? "dependency" : lookup(p->inv[QE], 0, n, 0) ? "explicit" : NULL;
}

static RtValue *argv_list_of(const char *pm, const char *args, const ModArgv *tail) {
  ModArgv a = {0};
  mod_argv_add(&a, pm);
  RtValue *w = mod_words(args);
  for (size_t i = 0; i < rt_len(w); i++)
    mod_argv_add(&a, rt_list_at(w, i)->u.str.s);
  rt_decref(w);
  for (size_t i = 0; tail && i < tail->n; i++)
    mod_argv_add(&a, tail->v[i]);
  RtValue *l = mod_argv_list(&a);
  mod_argv_free(&a);
  return l;
}

/* r[key] = t and r[key_lines] = its splitlines(), as _execute_module adds them. */
static void set_text(RtValue *r, const char *key, const char *t, size_t n) {
  char k[16];
  rt_dict_set(r, key, rt_str(t, n));
  snprintf(k, sizeof k, "%s_lines", key);
  rt_dict_set(r, k, mod_lines(t, n));
}

/* fail(msg, stdout, stderr, cmd=..., [rc=...]) of the module; takes cmd. */
static RtValue *pm_fail(const char *msg, RtValue *cmd, const ModCap *c, bool with_rc) {
  RtValue *r = mod_fail_result("%s", msg);
  if (c->out && *c->out)
    set_text(r, "stdout", c->out, strlen(c->out));
  if (c->err && *c->err)
    set_text(r, "stderr", c->err, strlen(c->err));
  if (cmd)
    rt_dict_set(r, "cmd", cmd);
  if (with_rc)
    rt_dict_set(r, "rc", rt_int(c->rc));
  return r;
}

/* run_command(check_rc=True)'s failure. */
static RtValue *rc_fail(RtValue *cmd, const ModCap *c) {
  size_t n = c->err ? strlen(c->err) : 0;
  while (n && strchr(" \t\n\r\v\f", c->err[n - 1]))
    n--;
  char *m = rt_xasprintf("%.*s", (int)n, c->err ? c->err : "");
  RtValue *r = pm_fail(m, cmd, c, true);
  set_text(r, "stdout", c->out ? c->out : "", c->out ? strlen(c->out) : 0);
  set_text(r, "stderr", c->err ? c->err : "", c->err ? strlen(c->err) : 0);
  free(m);
  return r;
}

static void sh_start(Pm *p, RtBuf *s) {
  mod_ps_sh_begin(s);
  rt_buf_puts(s, "export LC_ALL=C\n");
  mod_sh_set(s, "pm", p->pm);
}

/* get_bin_path(executable, required=True), then the inventory; *pm: the
 * full path (malloc'd). */
static RtValue *inventory(Pm *p, const char *exe, char **pm) {
  RtBuf s = {0};
  RtExec ex = {0};
  char *err = NULL;
  RtValue *r = NULL;
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, "export LC_ALL=C\n");
  mod_sh_set(&s, "x", exe);
  rt_buf_puts(&s, "pc_bin \"$x\" || pc_nobin \"$x\"; pm=$pc_v; __playc_rec pm \"$pm\"\n");
  for (int i = 0; i < NINV; i++)
    rt_buf_printf(&s, "pc_cap %s \"$pm\" %s%s\n", inv_key[i], inv_args[i], i == QU ? "" : " || exit 0");
  if (rt_host_exec(p->h, s.data, NULL, 0, &ex, &err) < 0) {
    r = mod_fail_result("%s", err ? err : "connection failed");
    goto out;
  }
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  *pm = rt_xasprintf("%s", mod_rec(&ex, "pm") ? mod_rec(&ex, "pm") : exe);
  p->pm = *pm;
  for (int i = 0; i < NINV && !r; i++) {
    ModCap c;
    if (!mod_ps_cap(&ex, inv_key[i], &c)) {
      r = mod_fail_result("pacman did not run");
      break;
    }
    if (i == QU && c.rc == 1 && (!c.out || !*c.out)) {
      p->inv[i] = rt_list_new(0);
    } else if (i == QU && c.rc != 0) {
      r = pm_fail("Couldn't get list of packages available for upgrade", NULL, &c, true);
    } else if (i == QU) {
      RtValue *lines = mod_lines(c.out ? c.out : "", c.out ? strlen(c.out) : 0);
      for (size_t j = 0; j < rt_len(lines) && !r; j++) {
        const char *l = rt_list_at(lines, j)->u.str.s;
        RtValue *w = mod_words(l);
        if (rt_len(w) && !strstr(l, "[ignored]") && rt_len(w) != 4) {
          size_t b = strspn(l, " \t\r\v\f"), e = strlen(l);
          while (e > b && strchr(" \t\r\v\f", l[e - 1]))
            e--;
          r = mod_fail_result("Invalid line: %.*s", (int)(e - b), l + b);
        }
        rt_decref(w);
      }
      rt_decref(lines);
      p->inv[i] = table(c.out);
    } else if (c.rc != 0) {
      r = rc_fail(argv_list_of(p->pm, inv_args[i], NULL), &c);
    } else {
      p->inv[i] = table(c.out);
    }
    mod_ps_cap_free(&c);
  }
done:
  rt_exec_free(&ex);
out:
  rt_buf_free(&s);
  free(err);
  return r;
}

typedef struct Pkgs {
  ModArgv name, src, url; /* url: "1" when the source is a file or URL (pacman -U) */
} Pkgs;

static void pkgs_add(Pkgs *k, const char *name, const char *src, bool url) {
  mod_argv_add(&k->name, name);
  mod_argv_add(&k->src, src);
  mod_argv_add(&k->url, url ? "1" : "0");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static void sort_argv(ModArgv *a) {
  if (a->n)
    qsort(a->v, a->n, sizeof *a->v, cmp_str);
}

static bool argv_has(const ModArgv *a, const char *s) {
  for (size_t i = 0; i < a->n; i++)
    if (!strcmp(a->v[i], s))
      return true;
  return false;
}

/* The module's package_list(): NULL, or the failure. */
static RtValue *resolve(Pm *p, RtValue *names, bool absent, Pkgs *k) {
  for (size_t i = 0; i < rt_len(names); i++) {
    const char *n = rt_list_at(names, i)->u.str.s;
    if (!*n)
      continue;
    ModArgv members = {0};
    for (size_t j = 0; j < rt_len(p->inv[SGG]); j++) {
      RtValue *row = rt_list_at(p->inv[SGG], j);
      if (rt_len(row) >= 2 && !strcmp(rt_list_at(row, 0)->u.str.s, n) &&
          !argv_has(&members, rt_list_at(row, 1)->u.str.s))
        mod_argv_add(&members, rt_list_at(row, 1)->u.str.s);
    }
    if (members.n) { /* a set in the module: its order is Python's; sorted here */
      sort_argv(&members);
      for (size_t j = 0; j < members.n; j++)
        pkgs_add(k, members.v[j], members.v[j], false);
      mod_argv_free(&members);
      continue;
    }
    if (lookup(p->inv[SL], 1, n, 1) || installed(p, n)) {
      pkgs_add(k, n, n, false);
      continue;
    }
    RtBuf s = {0};
    RtExec ex = {0};
    char *err = NULL;
    RtValue *r = NULL;
    sh_start(p, &s);
    mod_sh_set(&s, "p", n);
    rt_buf_puts(&s, "pc_cap s \"$pm\" --sync --print-format %n -- \"$p\" ||"
                    " pc_cap u \"$pm\" --upgrade --print-format %n -- \"$p\"\n");
    if (rt_host_exec(p->h, s.data, NULL, 0, &ex, &err) < 0) {
      r = mod_fail_result("%s", err ? err : "connection failed");
    } else {
      ModCap c = {0}, u = {0};
      bool hs = mod_ps_cap(&ex, "s", &c), hu = mod_ps_cap(&ex, "u", &u);
      if (!hs) {
        r = mod_fail_result("pacman did not run");
      } else if (c.rc == 0 || (hu && u.rc == 0)) {
        RtValue *lines = mod_lines(c.rc == 0 ? c.out : u.out, strlen(c.rc == 0 ? c.out : u.out));
        const char *l = rt_len(lines) ? rt_list_at(lines, c.rc == 0 ? 0 : rt_len(lines) - 1)->u.str.s : "";
        /* stdout.strip(), or (-U) stdout.splitlines()[-1].strip() */
        char *nm = rt_xasprintf("%s", c.rc == 0 ? c.out : l);
        size_t b = strspn(nm, " \t\n\r\v\f"), e = strlen(nm);
        while (e > b && strchr(" \t\n\r\v\f", nm[e - 1]))
          e--;
        nm[e] = 0;
        pkgs_add(k, nm + b, n, c.rc != 0);
        free(nm);
        rt_decref(lines);
      } else if (!absent) {
        char *m = rt_xasprintf("Failed to list package %s", n);
        ModArgv t = {0};
        mod_argv_add(&t, "--");
        mod_argv_add(&t, n);
        r = pm_fail(m, argv_list_of(p->pm, "--upgrade --print-format %n", &t), &u, true);
        mod_argv_free(&t);
        free(m);
      }
      mod_ps_cap_free(&c);
      mod_ps_cap_free(&u);
      rt_exec_free(&ex);
    }
    rt_buf_free(&s);
    free(err);
    if (r)
      return r;
  }
  return NULL;
}

static RtValue *list_of(const ModArgv *a) {
  RtValue *l = rt_list_new(a->n);
  for (size_t i = 0; i < a->n; i++)
    rt_list_push(l, rt_strz(a->v[i]));
  return l;
}

static RtValue *diff_of(ModArgv *before, ModArgv *after) {
  RtValue *d = rt_dict_new(2);
  ModArgv *sides[2] = {before, after};
  for (int i = 0; i < 2; i++) {
    RtBuf b = {0};
    rt_buf_add(&b, "", 0);
    for (size_t j = 0; j < sides[i]->n; j++)
      rt_buf_printf(&b, "%s\n", sides[i]->v[j]);
    rt_dict_set(d, i ? "after" : "before", rt_str(b.data, b.len));
    rt_buf_free(&b);
  }
  return d;
}

/* stdout/stderr of the successful commands, joined by "\n" as the module's
 * add_exit_infos keeps them (empty ones left out). */
static void add_out(RtBuf *o, const char *t) {
  if (!t || !*t)
    return;
  if (o->len)
    rt_buf_putc(o, '\n');
  rt_buf_puts(o, t);
}
static void set_outs(RtValue *r, RtBuf *o, RtBuf *e) {
  if (o->len)
    set_text(r, "stdout", o->data, o->len);
  if (e->len)
    set_text(r, "stderr", e->data, e->len);
}

static RtValue *done_result(bool changed, const char *msg, RtValue *pkgs) {
  RtValue *r = rt_dict_new(4);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "msg", rt_strz(msg));
  rt_dict_set(r, "packages", pkgs);
  return r;
}

static void argv_cat(ModArgv *a, const ModArgv *b) {
  for (size_t i = 0; i < b->n; i++)
    mod_argv_add(a, b->v[i]);
}

static void sh_words(RtBuf *s, const ModArgv *a) {
  for (size_t i = 0; i < a->n; i++) {
    rt_buf_putc(s, ' ');
    rt_sh_quote(s, a->v[i]);
  }
}

static RtValue *cmd_of(const ModArgv *base, const char *mid, const ModArgv *ops) {
  ModArgv a = {0};
  argv_cat(&a, base);
  RtValue *w = mod_words(mid);
  for (size_t i = 0; i < rt_len(w); i++)
    mod_argv_add(&a, rt_list_at(w, i)->u.str.s);
  rt_decref(w);
  if (!strcmp(mid, "--sync --print-format") || !strcmp(mid, "--upgrade --print-format"))
    mod_argv_add(&a, "%n %v");
  mod_argv_add(&a, "--");
  argv_cat(&a, ops);
  RtValue *l = mod_argv_list(&a);
  mod_argv_free(&a);
  return l;
}

/* fail() after earlier commands: their output and this one's, joined. */
static RtValue *fail_acc(const char *msg, RtValue *cmd, RtBuf *o, RtBuf *e, const ModCap *c) {
  add_out(o, c->out);
  add_out(e, c->err);
  RtValue *r = mod_fail_result("%s", msg);
  set_outs(r, o, e);
  rt_dict_set(r, "cmd", cmd);
  return r;
}

/* Runs the script `s`: NULL (with *have set), or the failure of the
 * connection or of a missing tool. */
static RtValue *pm_exec(RtHost *h, const RtBuf *s, RtExec *ex, bool *have) {
  char *err = NULL;
  RtValue *r;
  if (rt_host_exec(h, s->data, NULL, 0, ex, &err) < 0) {
    r = mod_fail_result("%s", err ? err : "connection failed");
  } else {
    *have = true;
    r = mod_ps_missing(ex);
  }
  free(err);
  return r;
}

static RtValue *install(Pm *p, Pkgs *k, bool latest) {
  ModArgv ti = {0}, tu = {0}, base = {0}, got = {0}, before = {0}, after = {0};
  RtBuf s = {0}, o = {0}, e = {0};
  RtExec ex = {0};
  RtValue *r = NULL;
  bool have = false;
  for (size_t i = 0; i < k->name.n; i++) {
    if (!strcmp(k->url.v[i], "1"))
      mod_argv_add(&tu, k->src.v[i]);
    else if (!installed(p, k->name.v[i]) || (latest && lookup(p->inv[QU], 0, k->name.v[i], 0)))
      mod_argv_add(&ti, k->src.v[i]);
  }
  if (!ti.n && !tu.n) {
    r = done_result(false, "package(s) already installed", rt_list_new(0));
    goto out;
  }
  mod_argv_add(&base, p->pm);
  mod_argv_add(&base, "--noconfirm");
  mod_argv_add(&base, "--noprogressbar");
  mod_argv_add(&base, "--needed");
  argv_cat(&base, &p->extra);
  sh_start(p, &s);
  rt_buf_puts(&s, "set --");
  sh_words(&s, &base);
  rt_buf_puts(&s, "\n: >\"$__playc_scr/ls\"; : >\"$__playc_scr/lu\"\n");
  const char *verb[2] = {"--sync", "--upgrade"}, *lk[2] = {"ls", "lu"}, *ik[2] = {"is", "iu"};
  ModArgv *ops[2] = {&ti, &tu};
  for (int v = 0; v < 2; v++) {
    if (!ops[v]->n)
      continue;
    rt_buf_printf(&s, "pc_cap %s \"$@\" %s --print-format '%%n %%v' --", lk[v], verb[v]);
    sh_words(&s, ops[v]);
    rt_buf_printf(&s, " || exit 0\ncp \"$__playc_scr/o\" \"$__playc_scr/%s\"\n", lk[v]);
  }
  rt_buf_puts(&s, "cat \"$__playc_scr/ls\" \"$__playc_scr/lu\" | grep -v -e 'loading packages' -e 'there is nothing to do'"
                  " | grep -q '[^[:space:]]' || exit 0\n");
  if (p->h->check_mode)
    rt_buf_puts(&s, "exit 0\n");
  for (int v = 0; v < 2; v++) {
    if (!ops[v]->n)
      continue;
    rt_buf_printf(&s, "pc_cap %s \"$@\" %s --", ik[v], verb[v]);
    sh_words(&s, ops[v]);
    rt_buf_puts(&s, " || exit 0\n");
  }
  if ((r = pm_exec(p->h, &s, &ex, &have)) != NULL)
    goto out;
  for (int v = 0; v < 2 && !r; v++) {
    ModCap c;
    if (!ops[v]->n || !mod_ps_cap(&ex, lk[v], &c))
      continue;
    if (c.rc != 0) {
      r = pm_fail("Failed to list package(s) to install", cmd_of(&base, v ? "--upgrade --print-format" : "--sync --print-format", ops[v]),
                  &c, false);
    } else {
      RtValue *lines = mod_lines(c.out, strlen(c.out));
      for (size_t i = 0; i < rt_len(lines); i++) {
        const char *l = rt_list_at(lines, i)->u.str.s;
        RtValue *w = mod_words(l);
        if (!strstr(l, "loading packages") && !strstr(l, "there is nothing to do") && rt_len(w) >= 2) {
          const char *n = rt_list_at(w, 0)->u.str.s, *ver = rt_list_at(w, 1)->u.str.s, *iv = installed(p, n),
                     *rs = reason(p, n);
          if (iv)
            mod_argv_addf(&before, "%s-%s-%s", n, iv, rs ? rs : "");
          if (rs)
            mod_argv_addf(&after, "%s-%s-%s", n, ver, rs);
          else
            mod_argv_addf(&after, "%s-%s", n, ver);
          mod_argv_add(&got, n);
        }
        rt_decref(w);
      }
      rt_decref(lines);
    }
    mod_ps_cap_free(&c);
  }
  if (r)
    goto out;
  if (!got.n) {
    r = done_result(false, "package(s) already installed", rt_list_new(0));
    goto out;
  }
  sort_argv(&before);
  sort_argv(&after);
  sort_argv(&got);
  RtValue *diff = diff_of(&before, &after);
  if (p->h->check_mode) {
    char *m = rt_xasprintf("Would have installed %zu packages", got.n);
    r = done_result(true, m, list_of(&got));
    free(m);
    rt_dict_set(r, "diff", diff);
    goto out;
  }
  for (int v = 0; v < 2 && !r; v++) {
    ModCap c;
    if (!ops[v]->n)
      continue;
    if (!mod_ps_cap(&ex, ik[v], &c)) {
      r = mod_fail_result("pacman did not run");
      break;
    }
    if (c.rc != 0) {
      r = fail_acc("Failed to install package(s)", cmd_of(&base, verb[v], ops[v]), &o, &e, &c);
      rt_dict_set(r, "diff", rt_incref(diff));
    } else {
      add_out(&o, c.out);
      add_out(&e, c.err);
    }
    mod_ps_cap_free(&c);
  }
  if (!r) {
    char *m = rt_xasprintf("Installed %zu package(s)", got.n);
    r = done_result(true, m, list_of(&got));
    free(m);
    set_outs(r, &o, &e);
    rt_dict_set(r, "diff", rt_incref(diff));
  }
  rt_decref(diff);
out:
  if (have)
    rt_exec_free(&ex);
  mod_argv_free(&ti);
  mod_argv_free(&tu);
  mod_argv_free(&base);
  mod_argv_free(&got);
  mod_argv_free(&before);
  mod_argv_free(&after);
  rt_buf_free(&s);
  rt_buf_free(&o);
  rt_buf_free(&e);
  return r;
}

static RtValue *remove_pkgs(Pm *p, Pkgs *k) {
  ModArgv names = {0}, base = {0}, gone = {0}, empty = {0};
  RtBuf s = {0}, o = {0}, e = {0};
  RtExec ex = {0};
  RtValue *r = NULL;
  bool have = false;
  for (size_t i = 0; i < k->name.n; i++)
    if (installed(p, k->name.v[i]))
      mod_argv_add(&names, k->name.v[i]);
  if (!names.n) {
    r = done_result(false, "package(s) already absent", rt_list_new(0));
    goto out;
  }
  mod_argv_add(&base, p->pm);
  mod_argv_add(&base, "--remove");
  mod_argv_add(&base, "--noconfirm");
  mod_argv_add(&base, "--noprogressbar");
  argv_cat(&base, &p->extra);
  if (p->force) {
    mod_argv_add(&base, "--nodeps");
    mod_argv_add(&base, "--nodeps");
  }
  sh_start(p, &s);
  rt_buf_puts(&s, "set --");
  sh_words(&s, &base);
  rt_buf_puts(&s, "\npc_cap lr \"$@\" --print-format %n-%v --");
  sh_words(&s, &names);
  rt_buf_puts(&s, " || exit 0\n");
  if (!p->h->check_mode) {
    rt_buf_printf(&s, "pc_cap rm \"$@\"%s --", p->nosave ? " --nosave" : "");
    sh_words(&s, &names);
    rt_buf_puts(&s, "\n");
  }
  if ((r = pm_exec(p->h, &s, &ex, &have)) != NULL)
    goto out;
  ModCap c;
  if (!mod_ps_cap(&ex, "lr", &c)) {
    r = mod_fail_result("pacman did not run");
    goto out;
  }
  if (c.rc != 0) {
    mod_argv_add(&empty, "--print-format");
    mod_argv_add(&empty, "%n-%v");
    mod_argv_add(&empty, "--");
    argv_cat(&empty, &names);
    r = pm_fail("failed to list package(s) to remove", cmd_of(&base, "", &empty), &c, false);
    mod_ps_cap_free(&c);
    goto out;
  }
  RtValue *w = mod_words(c.out);
  for (size_t i = 0; i < rt_len(w); i++)
    mod_argv_add(&gone, rt_list_at(w, i)->u.str.s);
  rt_decref(w);
  mod_ps_cap_free(&c);
  RtValue *diff = rt_dict_new(2);
  {
    RtBuf b = {0};
    rt_buf_add(&b, "", 0);
    for (size_t i = 0; i < gone.n; i++)
      rt_buf_printf(&b, i ? "\n%s" : "%s", gone.v[i]);
    rt_buf_putc(&b, '\n');
    rt_dict_set(diff, "before", rt_str(b.data, b.len));
    rt_dict_set(diff, "after", rt_strz(""));
    rt_buf_free(&b);
  }
  if (p->h->check_mode) {
    char *m = rt_xasprintf("Would have removed %zu packages", gone.n);
    r = done_result(true, m, list_of(&gone));
    free(m);
  } else if (!mod_ps_cap(&ex, "rm", &c)) {
    r = mod_fail_result("pacman did not run");
  } else {
    if (p->nosave)
      mod_argv_add(&empty, "--nosave");
    mod_argv_add(&empty, "--");
    argv_cat(&empty, &names);
    if (c.rc != 0) {
      r = fail_acc("failed to remove package(s)", cmd_of(&base, "", &empty), &o, &e, &c);
      rt_dict_set(r, "packages", list_of(&gone));
    } else {
      char *m = rt_xasprintf("Removed %zu package(s)", gone.n);
      r = done_result(true, m, list_of(&gone));
      free(m);
      add_out(&o, c.out);
      add_out(&e, c.err);
      set_outs(r, &o, &e);
    }
    mod_ps_cap_free(&c);
  }
  rt_dict_set(r, "diff", diff);
out:
  if (have)
    rt_exec_free(&ex);
  mod_argv_free(&names);
  mod_argv_free(&base);
  mod_argv_free(&gone);
  mod_argv_free(&empty);
  rt_buf_free(&s);
  rt_buf_free(&o);
  rt_buf_free(&e);
  return r;
}

RtValue *mod_pacman(RtHost *h, RtValue *args) {
  char *state = mod_arg_str(args, "state"), *exe = mod_arg_str(args, "executable"),
       *extra = mod_arg_str(args, "extra_args"), *lerr = NULL, *pm = NULL;
  RtValue *names = mod_ps_arg_list(args, "name", &lerr), *r = NULL, *words = NULL;
  Pm p = {.h = h, .force = mod_arg_bool(args, "force", 0) == 1, .nosave = mod_arg_bool(args, "remove_nosave", 0) == 1};
  Pkgs k = {0};
  if (!names) {
    r = mod_fail_result("%s", lerr ? lerr : "missing required arguments: name");
    goto done;
  }
  words = mod_py_shlex_split(extra ? extra : "");
  if (!words) {
    r = mod_fail_result("No closing quotation");
    goto done;
  }
  for (size_t i = 0; i < rt_len(words); i++)
    mod_argv_add(&p.extra, rt_list_at(words, i)->u.str.s);
  const char *st = state ? state : "present";
  bool absent = !strcmp(st, "absent") || !strcmp(st, "removed");
  if ((r = inventory(&p, exe ? exe : "pacman", &pm)) || (r = resolve(&p, names, absent, &k)))
    goto done;
  r = absent ? remove_pkgs(&p, &k) : install(&p, &k, !strcmp(st, "latest"));
done:
  for (int i = 0; i < NINV; i++)
    if (p.inv[i])
      rt_decref(p.inv[i]);
  mod_argv_free(&p.extra);
  mod_argv_free(&k.name);
  mod_argv_free(&k.src);
  mod_argv_free(&k.url);
  if (names)
    rt_decref(names);
  if (words)
    rt_decref(words);
  free(state);
  free(exe);
  free(extra);
  free(lerr);
  free(pm);
  return r;
}

#endif
