/*
 * apache2_module.c — community.general.apache2_module with the target's
 * apache2ctl (or apachectl) and a2enmod / a2dismod. Request 1 finds the
 * tools, asks `-V` for the cgi module's threaded check, and lists the
 * loaded modules (`-M`); the controller looks for " IDENTIFIER" in that
 * list as the module does. Request 2, only when the state changes outside
 * check mode, runs a2enmod / a2dismod and lists the modules again.
 */
#include "mod.h"

static const ModParam a2m_params[] = {
    {.name = "name", .type = MP_STR, .required = true},
    {.name = "identifier", .type = MP_STR},
    {.name = "force", .type = MP_BOOL, .def = "no"},
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "ignore_configcheck", .type = MP_BOOL, .def = "no"},
    {.name = "warn_mpm_absent", .type = MP_BOOL, .def = "yes"},
};
const ModSchema mod_schema_apache2_module = {
    .name = "apache2_module",
    .params = a2m_params,
    .nparams = MOD_N(a2m_params),
    .tools = "apache2ctl,a2enmod,a2dismod",
    .check_mode = true,
    .collection = "community.general",
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>

/* create_apache_identifier: NAME_module, or the module's exceptions. */
static char *identifier_of(const char *name) {
  static const char *const text[][2] = {{"shib", "mod_shib"}, {"shib2", "mod_shib"}, {"evasive", "evasive20_module"}};
  for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
    if (strstr(name, text[i][0]))
      return rt_xstrdup(text[i][1]);
  /* ^(php\d)\. */
  if (strstr(name, "php") && strncmp(name, "php", 3) == 0 && name[3] >= '0' && name[3] <= '9' && name[4] == '.')
    return rt_xasprintf("%.4s_module", name);
  return rt_xasprintf("%s_module", name);
}

typedef struct A2m {
  const char *name, *identifier, *ctl;
  bool ignore_configcheck, warn_mpm_absent;
  RtValue *warnings;
} A2m;

/* _module_is_enabled from a `-M` capture: 1, 0, or -1 with *fail set. */
static int is_enabled(A2m *a, const ModCap *c, RtValue **fail) {
  if (c->rc != 0) {
    char *msg = rt_xasprintf("Error executing %s: %s", a->ctl, c->err ? c->err : "");
    if (!a->ignore_configcheck) {
      *fail = mod_fail_result("%s", msg);
      free(msg);
      return -1;
    }
    if (c->err && strstr(c->err, "AH00534") && strstr(a->name, "mpm_")) {
      if (a->warn_mpm_absent)
        rt_list_push(a->warnings, rt_strz("No MPM module loaded! apache2 reload AND other module actions"
                                          " will fail if no MPM module is loaded immediately."));
    } else {
      rt_list_push(a->warnings, rt_strz(msg));
    }
    free(msg);
    return 0;
  }
  char *needle = rt_xasprintf(" %s", a->identifier);
  bool on = c->out && strstr(c->out, needle);
  free(needle);
  return on;
}

static RtValue *a2m_result(bool changed, const char *msg, RtValue *warnings) {
  RtValue *r = rt_dict_new(3);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "result", rt_strz(msg));
  rt_dict_set(r, "warnings", rt_incref(warnings));
  return r;
}

/* Script text: ctl = apache2ctl or apachectl (get_bin_path), or the record nctl. */
static const char find_ctl[] = "if pc_bin apache2ctl || pc_bin apachectl; then ctl=$pc_v; __playc_rec ctl \"$ctl\"\n"
                               "else __playc_rec nctl 1; exit 0; fi\n";

RtValue *mod_apache2_module(RtHost *h, RtValue *args) {
  char *name = mod_arg_str(args, "name"), *ident = mod_arg_str(args, "identifier");
  char *state = mod_arg_str(args, "state");
  if (!ident || !*ident) {
    free(ident);
    ident = identifier_of(name);
  }
  bool want = !state || strcmp(state, "present") == 0, force = mod_arg_bool(args, "force", 0) == 1;
  const char *tool = want ? "a2enmod" : "a2dismod";
  A2m a = {.name = name, .identifier = ident, .warnings = rt_list_new(2)};
  a.ignore_configcheck = mod_arg_bool(args, "ignore_configcheck", 0) == 1;
  a.warn_mpm_absent = mod_arg_bool(args, "warn_mpm_absent", 1) == 1;
  bool cgi = strcmp(name, "cgi") == 0;
  RtBuf s = {0};
  RtExec ex = {0}, ex2 = {0};
  bool have = false, have2 = false;
  char *err = NULL, *success = rt_xasprintf("Module %s %s", name, want ? "enabled" : "disabled");
  RtValue *r = NULL;
  mod_ps_sh_begin(&s);
  rt_buf_puts(&s, find_ctl);
  if (cgi)
    rt_buf_puts(&s, "pc_cap V \"$ctl\" -V\n");
  rt_buf_puts(&s, "pc_cap M \"$ctl\" -M\n");
  rt_buf_printf(&s, "! pc_bin %s || __playc_rec a2 \"$pc_v\"\n", tool);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have = true;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto done;
  if (mod_rec(&ex, "nctl")) {
    r = mod_fail_result("Neither of apache2ctl nor apachctl found. At least one apache control binary is necessary.");
    goto done;
  }
  a.ctl = mod_rec(&ex, "ctl");
  ModCap c = {0};
  if (cgi) {
    mod_ps_cap(&ex, "V", &c);
    bool threaded = false;
    for (const char *p = c.out ? strstr(c.out, "threaded:") : NULL; p && !threaded; p = strstr(p + 1, "threaded:")) {
      const char *q = p + 9;
      while (*q == ' ')
        q++;
      threaded = strncmp(q, "yes", 3) == 0;
    }
    mod_ps_cap_free(&c);
    if (threaded) {
      r = mod_fail_result("Your MPM seems to be threaded. No automatic actions on module cgi possible.");
      goto done;
    }
  }
  mod_ps_cap(&ex, "M", &c);
  int on = is_enabled(&a, &c, &r);
  mod_ps_cap_free(&c);
  if (on < 0)
    goto done;
  if ((on == 1) == want) {
    r = a2m_result(false, success, a.warnings);
    goto done;
  }
  if (h->check_mode) {
    r = a2m_result(true, success, a.warnings);
    goto done;
  }
  const char *a2 = mod_rec(&ex, "a2");
  if (!a2) {
    r = mod_fail_result("%s not found. Perhaps this system does not use %s to manage apache", tool, tool);
    goto done;
  }
  rt_buf_free(&s);
  mod_ps_sh_begin(&s);
  mod_sh_set(&s, "a2", a2);
  mod_sh_set(&s, "ctl", a.ctl);
  mod_sh_set(&s, "n", name);
  rt_buf_printf(&s, "pc_cap R \"$a2\" %s\"$n\"\npc_cap M \"$ctl\" -M\n", !want && force ? "-f " : "");
  if (rt_host_exec(h, s.data, NULL, 0, &ex2, &err) < 0)
    goto done;
  have2 = true;
  if ((r = mod_ps_missing(&ex2)) != NULL)
    goto done;
  ModCap run = {0};
  mod_ps_cap(&ex2, "R", &run);
  mod_ps_cap(&ex2, "M", &c);
  on = is_enabled(&a, &c, &r);
  mod_ps_cap_free(&c);
  if (on >= 0 && (on == 1) == want) {
    r = a2m_result(true, success, a.warnings);
  } else if (on >= 0) {
    r = mod_fail_result("Failed to set module %s to %s:\n%s\nMaybe the module identifier (%s) was guessed "
                        "incorrectly.Consider setting the \"identifier\" option.",
                        name, want ? "enabled" : "disabled", run.out ? run.out : "", ident);
    rt_dict_set(r, "rc", rt_int(run.rc));
    mod_ps_out(r, run.out ? run.out : "", run.err ? run.err : "");
  }
  mod_ps_cap_free(&run);
done:
  if (have)
    rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
  rt_decref(a.warnings);
  rt_buf_free(&s);
  free(err);
  free(success);
  free(name);
  free(ident);
  free(state);
  return r;
}

#endif
