/*
 * iptables.c — ansible.builtin.iptables: one rule, a chain's policy, a
 * flush or a user chain of the target's iptables (ip6tables for ipv6).
 * The rule's words are built on the controller as the module builds them
 * (construct_rule), each one quoted into the script. One request finds the
 * tool, reads its version (`wait` only from 1.6.0 on, as the module) and,
 * as the module decides, probes (-C, -L) and changes (-N, -A/-I, -D, -F, -X)
 * in the same script; a policy takes a second request when it changes
 * (-P after -L's header). A command that fails ends the script and fails
 * the task as run_command(check_rc=True) does.
 */
#include "mod.h"

static const ModParam ipt_tcp_flags[] = {
    {.name = "flags", .type = MP_LIST},
    {.name = "flags_set", .type = MP_LIST},
};
static const ModParam ipt_params[] = {
    {.name = "table", .type = MP_STR, .def = "filter", .choices = "filter,nat,mangle,raw,security"},
    {.name = "state", .type = MP_STR, .def = "present", .choices = "absent,present"},
    {.name = "action", .type = MP_STR, .def = "append", .choices = "append,insert"},
    {.name = "ip_version", .type = MP_STR, .def = "ipv4", .choices = "ipv4,ipv6"},
    {.name = "chain", .type = MP_STR},
    {.name = "rule_num", .type = MP_STR},
    {.name = "protocol", .type = MP_STR},
    {.name = "wait", .type = MP_STR},
    {.name = "source", .type = MP_STR},
    {.name = "to_source", .type = MP_STR},
    {.name = "destination", .type = MP_STR},
    {.name = "to_destination", .type = MP_STR},
    {.name = "match", .type = MP_LIST, .def = "[]"},
    {.name = "tcp_flags", .type = MP_DICT, .options = ipt_tcp_flags, .noptions = MOD_N(ipt_tcp_flags)},
    {.name = "jump", .type = MP_STR},
    {.name = "gateway", .type = MP_STR},
    {.name = "log_prefix", .type = MP_STR},
    {.name = "log_level", .type = MP_STR,
     .choices = "0,1,2,3,4,5,6,7,emerg,alert,crit,error,warning,notice,info,debug"},
    {.name = "goto", .type = MP_STR},
    {.name = "in_interface", .type = MP_STR},
    {.name = "out_interface", .type = MP_STR},
    {.name = "fragment", .type = MP_STR},
    {.name = "set_counters", .type = MP_STR},
    {.name = "source_port", .type = MP_STR},
    {.name = "destination_port", .type = MP_STR},
    {.name = "destination_ports", .type = MP_LIST, .def = "[]"},
    {.name = "to_ports", .type = MP_STR},
    {.name = "set_dscp_mark", .type = MP_STR},
    {.name = "set_dscp_mark_class", .type = MP_STR},
    {.name = "comment", .type = MP_STR},
    {.name = "ctstate", .type = MP_LIST, .def = "[]"},
    {.name = "src_range", .type = MP_STR},
    {.name = "dst_range", .type = MP_STR},
    {.name = "match_set", .type = MP_STR},
    {.name = "match_set_flags", .type = MP_STR}, /* choices src, dst, src,dst, dst,src: checked by the module */
    {.name = "limit", .type = MP_STR},
    {.name = "limit_burst", .type = MP_STR},
    {.name = "uid_owner", .type = MP_STR},
    {.name = "gid_owner", .type = MP_STR},
    {.name = "reject_with", .type = MP_STR},
    {.name = "icmp_type", .type = MP_STR},
    {.name = "syn", .type = MP_STR, .def = "ignore", .choices = "ignore,match,negate"},
    {.name = "flush", .type = MP_BOOL, .def = "no"},
    {.name = "policy", .type = MP_STR, .choices = "ACCEPT,DROP,QUEUE,RETURN"},
    {.name = "chain_management", .type = MP_BOOL, .def = "no"},
};
const ModSchema mod_schema_iptables = {
    .name = "iptables",
    .params = ipt_params,
    .nparams = MOD_N(ipt_params),
    .exclusive = "set_dscp_mark,set_dscp_mark_class;flush,policy",
    .required_if = "jump=TEE:gateway;jump=tee:gateway",
    .tools = "iptables",
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The arguments as the module reads them (NULL: None). */
typedef struct Ipt {
  RtValue *args;
  const char *jump; /* after the LOG rule: may differ from args' jump */
  bool v6;
} Ipt;

static const char *str_arg(const Ipt *p, const char *name) {
  RtValue *v = rt_dict_get(p->args, name);
  return v && rt_kind(v) == RT_STR ? v->u.str.s : NULL;
}

static bool in_list(const RtValue *l, const char *s) {
  for (size_t i = 0; l && i < rt_len(l); i++)
    if (strcmp(rt_list_at(l, i)->u.str.s, s) == 0)
      return true;
  return false;
}

/* append_param: FLAG VALUE, or ! FLAG VALUE for a value starting with '!' */
static void add_param(ModArgv *r, const char *v, const char *flag) {
  if (!v)
    return;
  if (v[0] == '!') {
    mod_argv_add(r, "!");
    mod_argv_add(r, flag);
    mod_argv_add(r, v + 1);
  } else {
    mod_argv_add(r, flag);
    mod_argv_add(r, v);
  }
}

/* append_csv: FLAG a,b,c when the list is not empty */
static void add_csv(ModArgv *r, const RtValue *l, const char *flag) {
  if (!l || !rt_len(l))
    return;
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < rt_len(l); i++) {
    if (i)
      rt_buf_putc(&b, ',');
    RtValue *e = rt_list_at(l, i);
    if (rt_kind(e) == RT_STR)
      rt_buf_puts(&b, e->u.str.s);
    else
      rt_render_str(&b, e);
  }
  mod_argv_add(r, flag);
  mod_argv_add(r, b.data);
  rt_buf_free(&b);
}

static void add_match(ModArgv *r, bool cond, const char *match) {
  if (cond) {
    mod_argv_add(r, "-m");
    mod_argv_add(r, match);
  }
}

/* append_match_flag: FLAG for "match", ! FLAG for "negate" when negatable */
static void add_match_flag(ModArgv *r, const char *v, const char *flag, bool negatable) {
  if (v && strcmp(v, "match") == 0) {
    mod_argv_add(r, flag);
  } else if (v && negatable && strcmp(v, "negate") == 0) {
    mod_argv_add(r, "!");
    mod_argv_add(r, flag);
  }
}

/* construct_rule: the rule's words, `wait` first when `with_wait`. */
static void build_rule(const Ipt *p, ModArgv *r, bool with_wait) {
  const char *w = str_arg(p, "wait");
  if (with_wait && w && *w) {
    mod_argv_add(r, "-w");
    mod_argv_add(r, w);
  }
  RtValue *match = mod_arg_list(p->args, "match"), *ports = mod_arg_list(p->args, "destination_ports");
  RtValue *ct = mod_arg_list(p->args, "ctstate");
  add_param(r, str_arg(p, "protocol"), "-p");
  add_param(r, str_arg(p, "source"), "-s");
  add_param(r, str_arg(p, "destination"), "-d");
  for (size_t i = 0; match && i < rt_len(match); i++)
    add_param(r, rt_list_at(match, i)->u.str.s, "-m");
  RtValue *tf = rt_dict_get(p->args, "tcp_flags");
  if (tf && rt_kind(tf) == RT_DICT && rt_len(tf)) {
    RtValue *f = mod_arg_list(tf, "flags"), *fs = mod_arg_list(tf, "flags_set");
    if (f && fs) {
      mod_argv_add(r, "--tcp-flags");
      for (int k = 0; k < 2; k++) {
        RtBuf b = {0};
        rt_buf_add(&b, "", 0);
        const RtValue *l = k ? fs : f;
        for (size_t i = 0; i < rt_len(l); i++)
          rt_buf_printf(&b, "%s%s", i ? "," : "", rt_list_at(l, i)->u.str.s);
        mod_argv_add(r, b.data);
        rt_buf_free(&b);
      }
    }
    rt_decref(f);
    rt_decref(fs);
  }
  const char *jump = p->jump;
  add_param(r, jump, "-j");
  if (jump && strcasecmp(jump, "tee") == 0)
    add_param(r, str_arg(p, "gateway"), "--gateway");
  add_param(r, str_arg(p, "log_prefix"), "--log-prefix");
  add_param(r, str_arg(p, "log_level"), "--log-level");
  add_param(r, str_arg(p, "to_destination"), "--to-destination");
  add_match(r, ports && rt_len(ports), "multiport");
  add_csv(r, ports, "--dports");
  add_param(r, str_arg(p, "to_source"), "--to-source");
  add_param(r, str_arg(p, "goto"), "-g");
  add_param(r, str_arg(p, "in_interface"), "-i");
  add_param(r, str_arg(p, "out_interface"), "-o");
  add_param(r, str_arg(p, "fragment"), "-f");
  add_param(r, str_arg(p, "set_counters"), "-c");
  add_param(r, str_arg(p, "source_port"), "--source-port");
  add_param(r, str_arg(p, "destination_port"), "--destination-port");
  add_param(r, str_arg(p, "to_ports"), "--to-ports");
  add_param(r, str_arg(p, "set_dscp_mark"), "--set-dscp");
  add_param(r, str_arg(p, "set_dscp_mark_class"), "--set-dscp-class");
  add_match_flag(r, str_arg(p, "syn"), "--syn", true);
  if (in_list(match, "conntrack")) {
    add_csv(r, ct, "--ctstate");
  } else if (in_list(match, "state")) {
    add_csv(r, ct, "--state");
  } else if (ct && rt_len(ct)) {
    add_match(r, true, "conntrack");
    add_csv(r, ct, "--ctstate");
  }
  const char *srr = str_arg(p, "src_range"), *drr = str_arg(p, "dst_range");
  if (in_list(match, "iprange") || (srr && *srr) || (drr && *drr)) {
    add_match(r, !in_list(match, "iprange"), "iprange");
    add_param(r, srr, "--src-range");
    add_param(r, drr, "--dst-range");
  }
  const char *ms = str_arg(p, "match_set"), *msf = str_arg(p, "match_set_flags");
  if (in_list(match, "set") || (ms && *ms)) {
    add_match(r, !in_list(match, "set"), "set");
    add_param(r, ms, "--match-set");
    if (msf) /* append_match_flag(rule, 'match', flags): the flags as a word */
      mod_argv_add(r, msf);
  }
  const char *lim = str_arg(p, "limit"), *lb = str_arg(p, "limit_burst");
  add_match(r, (lim && *lim) || (lb && *lb), "limit");
  add_param(r, lim, "--limit");
  add_param(r, lb, "--limit-burst");
  const char *owners[][2] = {{"uid_owner", "--uid-owner"}, {"gid_owner", "--gid-owner"}};
  for (int i = 0; i < 2; i++) {
    const char *o = str_arg(p, owners[i][0]);
    add_match(r, o && *o, "owner");
    add_match_flag(r, o, owners[i][1], true);
    add_param(r, o, owners[i][1]);
  }
  const char *rw = str_arg(p, "reject_with");
  if (!jump && rw && *rw) {
    mod_argv_add(r, "-j");
    mod_argv_add(r, "REJECT");
  }
  add_param(r, rw, "--reject-with");
  add_param(r, str_arg(p, "icmp_type"), p->v6 ? "--icmpv6-type" : "--icmp-type");
  const char *cm = str_arg(p, "comment");
  add_match(r, cm && *cm, "comment");
  add_param(r, cm, "--comment");
  rt_decref(match);
  rt_decref(ports);
  rt_decref(ct);
}

/* push_arguments's command after the tool: -t TABLE ACTION [CHAIN] [NUM]
 * [RULE]. Appends the quoted words to `sh` (with the wait words as script
 * text when `rule`) or, for cmd in messages, the words to `text`. */
static void push_args(const Ipt *p, const char *action, const ModArgv *rule, bool waits, RtBuf *sh, ModArgv *text) {
  const char *chain = str_arg(p, "chain"), *num = str_arg(p, "rule_num"), *w = str_arg(p, "wait");
  ModArgv a = {0};
  mod_argv_add(&a, "-t");
  mod_argv_add(&a, str_arg(p, "table") ? str_arg(p, "table") : "filter");
  mod_argv_add(&a, action);
  if (chain)
    mod_argv_add(&a, chain);
  if (strcmp(action, "-I") == 0 && num && *num)
    mod_argv_add(&a, num);
  if (strcmp(action, "-P") == 0) /* set_chain_policy: the policy last */
    mod_argv_add(&a, str_arg(p, "policy"));
  for (size_t i = 0; i < a.n; i++) {
    if (sh) {
      rt_buf_putc(sh, ' ');
      mod_py_shlex_quote(sh, a.v[i]);
    } else {
      mod_argv_add(text, a.v[i]);
    }
  }
  mod_argv_free(&a);
  if (!rule)
    return;
  if (sh)
    rt_buf_puts(sh, " ${wv:+-w} ${wv:+\"$wv\"}");
  else if (waits && w && *w) {
    mod_argv_add(text, "-w");
    mod_argv_add(text, w);
  }
  for (size_t i = 0; i < rule->n; i++) {
    if (sh) {
      rt_buf_putc(sh, ' ');
      mod_py_shlex_quote(sh, rule->v[i]);
    } else {
      mod_argv_add(text, rule->v[i]);
    }
  }
}

/* Script text: `pc_cap KEY "$ipt" ARGS`, then, when `check`, the end of the
 * script on failure (run_command's check_rc). */
static void sh_cmd(RtBuf *s, const Ipt *p, const char *key, const char *action, const ModArgv *rule, bool check) {
  rt_buf_printf(s, "pc_cap %s \"$ipt\"", key);
  push_args(p, action, rule, false, s, NULL);
  if (check)
    rt_buf_printf(s, " || { __playc_rec failed %s; exit 0; }", key);
  rt_buf_putc(s, '\n');
}

/* The failure of command KEY, as run_command(check_rc=True) gives it. */
static RtValue *rc_failure(const RtExec *ex, const Ipt *p, const char *key, const char *action, const ModArgv *rule) {
  ModCap c = {0};
  mod_ps_cap(ex, key, &c);
  ModArgv words = {0};
  mod_argv_add(&words, mod_rec(ex, "ipt") ? mod_rec(ex, "ipt") : "iptables");
  if (strcmp(key, "ver") == 0)
    mod_argv_add(&words, "--version");
  else
    push_args(p, action, rule, mod_rec_is(ex, "wok", "1"), NULL, &words);
  RtBuf cmd = {0};
  rt_buf_add(&cmd, "", 0);
  for (size_t i = 0; i < words.n; i++) {
    if (i)
      rt_buf_putc(&cmd, ' ');
    mod_py_shlex_quote(&cmd, words.v[i]);
  }
  const char *err = c.err ? c.err : "";
  size_t n = strlen(err);
  while (n && strchr(" \t\n\r\v\f", err[n - 1]))
    n--;
  RtValue *r = mod_fail_result("%.*s", (int)n, err);
  rt_dict_set(r, "cmd", rt_strz(cmd.data));
  rt_dict_set(r, "rc", rt_int(c.rc));
  mod_ps_out(r, c.out ? c.out : "", err);
  rt_buf_free(&cmd);
  mod_argv_free(&words);
  mod_ps_cap_free(&c);
  return r;
}

/* The version check: wv (the wait words' value) kept only from 1.6.0 on,
 * as LooseVersion compares `iptables --version`'s text after its 'v'. */
static const char version_script[] =
    "pc_cap ver \"$ipt\" --version || { __playc_rec failed ver; exit 0; }\n"
    "vv=$(sed -n '1{s/^[^v]*v//;s/v.*//;p;}' \"$__playc_scr/o\")\n"
    "vm=${vv%%.*}; vr=${vv#*.}; vn=${vr%%.*}; vr=${vr#*.}; vp=${vr%%[!0-9]*}\n"
    "case $vm$vn in *[!0-9]*|'') vm=0 vn=0;; esac\n"
    "vk=$(( vm * 1000000 + vn * 1000 + ${vp:-0} ))\n"
    "[ $vk -ge 1006000 ] || wv=\n"
    "[ -z \"$wv\" ] || __playc_rec wok 1\n";

/* The arguments with the scalars of str parameters as text (a YAML 5 is
 * "5", as AnsibleModule converts it). New reference. */
static RtValue *text_args(RtValue *args) {
  RtValue *a = rt_dict_new(16);
  for (int32_t i = 0; i < mod_schema_iptables.nparams; i++) {
    const ModParam *mp = &mod_schema_iptables.params[i];
    RtValue *v = rt_dict_get(args, mp->name);
    if (!v)
      continue;
    if (mp->type == MP_STR && rt_kind(v) != RT_STR && rt_kind(v) != RT_NONE) {
      char *t = mod_arg_str(args, mp->name);
      rt_dict_set(a, mp->name, rt_str_take(t, strlen(t)));
    } else {
      rt_dict_set(a, mp->name, rt_incref(v));
    }
  }
  return a;
}

RtValue *mod_iptables(RtHost *h, RtValue *args_in) {
  RtValue *args = text_args(args_in);
  Ipt p = {.args = args};
  const char *ipv = str_arg(&p, "ip_version");
  p.v6 = ipv && strcmp(ipv, "ipv6") == 0;
  p.jump = str_arg(&p, "jump");
  const char *chain = str_arg(&p, "chain"), *policy = str_arg(&p, "policy");
  const char *lp = str_arg(&p, "log_prefix"), *ll = str_arg(&p, "log_level");
  const char *state = str_arg(&p, "state") ? str_arg(&p, "state") : "present";
  bool flush = mod_arg_bool(args, "flush", 0) == 1, cm = mod_arg_bool(args, "chain_management", 0) == 1;
  bool insert = str_arg(&p, "action") && strcmp(str_arg(&p, "action"), "insert") == 0;
  bool present = strcmp(state, "present") == 0;

  ModArgv shown = {0}, rule = {0};
  build_rule(&p, &shown, true); /* the rule key: the arguments as given */
  RtBuf rtext = {0};
  rt_buf_add(&rtext, "", 0);
  for (size_t i = 0; i < shown.n; i++)
    rt_buf_printf(&rtext, "%s%s", i ? " " : "", shown.v[i]);

  const char *fail = NULL, *msf = str_arg(&p, "match_set_flags");
  if (msf && strcmp(msf, "src") != 0 && strcmp(msf, "dst") != 0 && strcmp(msf, "src,dst") != 0 &&
      strcmp(msf, "dst,src") != 0) { /* AnsibleModule's choices check, before anything runs */
    rt_buf_free(&rtext);
    mod_argv_free(&shown);
    rt_decref(args);
    return mod_fail_result("value of match_set_flags must be one of: src, dst, src,dst, dst,src, got: %s", msf);
  }
  if (!flush && !chain)
    fail = "Either chain or flush parameter must be specified.";
  else if (((lp && *lp) || (ll && *ll)) && p.jump && strcmp(p.jump, "LOG") != 0)
    fail = "Logging options can only be used with the LOG jump target.";
  if (((lp && *lp) || (ll && *ll)) && !p.jump)
    p.jump = "LOG";
  build_rule(&p, &rule, false);

  RtBuf s = {0};
  mod_ps_sh_begin(&s);
  mod_ps_sh_need(&s, "ipt", p.v6 ? "ip6tables" : "iptables");
  rt_buf_puts(&s, "__playc_rec ipt \"$ipt\"\n");
  const char *w = str_arg(&p, "wait");
  mod_sh_set(&s, "wv", w ? w : "");
  bool ck = h->check_mode;
  const char *mode = flush ? "flush" : policy ? "policy" : (!present && !shown.n) ? "chain" : "rule";
  if (!fail) {
    rt_buf_puts(&s, version_script);
    if (strcmp(mode, "flush") == 0) {
      if (!ck)
        sh_cmd(&s, &p, "F", "-F", NULL, true);
    } else if (strcmp(mode, "policy") == 0) {
      sh_cmd(&s, &p, "L", "-L", NULL, true);
    } else if (strcmp(mode, "chain") == 0) {
      sh_cmd(&s, &p, "L", "-L", NULL, false);
      rt_buf_puts(&s, "[ $pc_r = 0 ] && __playc_rec chain 1 || exit 0\n");
      if (cm && !ck)
        sh_cmd(&s, &p, "X", "-X", NULL, true);
    } else {
      rt_buf_printf(&s, "want=%d\n", present ? 1 : 0);
      sh_cmd(&s, &p, "C", "-C", &rule, false);
      rt_buf_puts(&s, "[ $pc_r = 0 ] && has=1 || has=0\n"
                      "[ $has = 1 ] || { ");
      sh_cmd(&s, &p, "L", "-L", NULL, false);
      rt_buf_puts(&s, "}; [ $has = 1 ] || [ $pc_r = 0 ] && chain=1 || chain=0\n"
                      "__playc_rec has $has\n"
                      "[ $has != $want ] || exit 0\n");
      if (!ck) {
        if (present) {
          if (cm) {
            rt_buf_puts(&s, "[ $chain = 1 ] || ");
            sh_cmd(&s, &p, "N", "-N", NULL, true);
          }
          sh_cmd(&s, &p, "R", insert ? "-I" : "-A", &rule, true);
        } else {
          sh_cmd(&s, &p, "R", "-D", &rule, true);
        }
      }
    }
  }
  RtExec ex = {0}, ex2 = {0};
  bool have2 = false;
  char *err = NULL;
  RtValue *r = NULL;
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  if ((r = mod_ps_missing(&ex)) != NULL)
    goto out;
  if (fail) {
    r = mod_fail_result("%s", fail);
    goto out;
  }
  const char *failed = mod_rec(&ex, "failed");
  if (failed) {
    const char *act = strcmp(failed, "R") == 0 ? (present ? (insert ? "-I" : "-A") : "-D") : NULL;
    if (!act) {
      static const char *const acts[][2] = {{"F", "-F"}, {"L", "-L"}, {"X", "-X"}, {"N", "-N"}, {"ver", ""}};
      for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (strcmp(failed, acts[i][0]) == 0)
          act = acts[i][1];
    }
    r = rc_failure(&ex, &p, failed, act ? act : "", strcmp(failed, "R") == 0 ? &rule : NULL);
    goto out;
  }
  bool changed = false;
  if (strcmp(mode, "flush") == 0) {
    changed = true;
  } else if (strcmp(mode, "policy") == 0) {
    ModCap c = {0};
    mod_ps_cap(&ex, "L", &c);
    const char *out = c.out ? c.out : "";
    size_t n = strcspn(out, "\n");
    char *line = rt_xstrndup(out, n), *cur = NULL;
    const char *q = strstr(line, "(policy ");
    while (q && !cur) { /* re.search(r'\(policy ([A-Z]+)\)', header) */
      const char *e = q + 8;
      while (*e >= 'A' && *e <= 'Z')
        e++;
      if (e > q + 8 && *e == ')')
        cur = rt_xstrndup(q + 8, (size_t)(e - q - 8));
      else
        q = strstr(q + 1, "(policy ");
    }
    free(line);
    mod_ps_cap_free(&c);
    if (!cur) {
      r = mod_fail_result("Can't detect current policy");
      goto out;
    }
    changed = strcmp(cur, policy) != 0;
    free(cur);
    if (changed && !ck) {
      RtBuf s2 = {0};
      mod_ps_sh_begin(&s2);
      mod_sh_set(&s2, "ipt", mod_rec(&ex, "ipt"));
      rt_buf_puts(&s2, "__playc_rec ipt \"$ipt\"\n");
      rt_buf_printf(&s2, "pc_cap P \"$ipt\"");
      push_args(&p, "-P", NULL, false, &s2, NULL);
      rt_buf_puts(&s2, " || __playc_rec failed P\n");
      int rc = rt_host_exec(h, s2.data, NULL, 0, &ex2, &err);
      rt_buf_free(&s2);
      if (rc < 0)
        goto out;
      have2 = true;
      if ((r = mod_ps_missing(&ex2)) != NULL)
        goto out;
      if (mod_rec(&ex2, "failed")) {
        r = rc_failure(&ex2, &p, "P", "-P", NULL);
        goto out;
      }
    }
  } else if (strcmp(mode, "chain") == 0) {
    changed = mod_rec_is(&ex, "chain", "1");
  } else {
    changed = mod_rec_is(&ex, "has", "1") != present;
  }
  r = rt_dict_new(10);
  rt_dict_set(r, "changed", rt_bool(changed));
  rt_dict_set(r, "failed", rt_bool(false));
  rt_dict_set(r, "ip_version", rt_strz(p.v6 ? "ipv6" : "ipv4"));
  rt_dict_set(r, "table", rt_strz(str_arg(&p, "table") ? str_arg(&p, "table") : "filter"));
  rt_dict_set(r, "chain", chain ? rt_strz(chain) : rt_none());
  rt_dict_set(r, "flush", rt_bool(flush));
  rt_dict_set(r, "rule", rt_str(rtext.data, rtext.len));
  rt_dict_set(r, "state", rt_strz(state));
  rt_dict_set(r, "chain_management", rt_bool(cm));
out:
  rt_exec_free(&ex);
  if (have2)
    rt_exec_free(&ex2);
done:
  rt_buf_free(&s);
  rt_buf_free(&rtext);
  mod_argv_free(&shown);
  mod_argv_free(&rule);
  rt_decref(args);
  free(err);
  return r;
}

#endif
