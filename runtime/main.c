/*
 * main.c — rt_main, the compiled program's command line: ansible-playbook's
 * options that apply to a compiled playbook (-i -e -f -v -C -D -l -u -c
 * --private-key, the vault passwords), the plan (--plan), host key policy, and exit codes (0 ok,
 * 2 failed hosts, 4 unreachable hosts, 5 bad options, 99 interrupted, 1 other
 * errors).
 */
#include "config.h"
#include "mod.h"

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void usage(FILE *f, const char *argv0) {
  fprintf(f,
          "usage: %s [-i INVENTORY]... [-e EXTRA_VARS]... [-f FORKS] [-l SUBSET] [-u USER]\n"
          "          [-t TAGS] [--skip-tags TAGS]\n"
          "          [-c CONNECTION] [--private-key FILE] [-k] [--connection-password-file FILE]\n"
          "          [-T TIMEOUT] [--ssh-common-args ARGS] [--ssh-extra-args ARGS]\n"
          "          [-C] [-D] [-v...]\n"
          "          [--host-key-checking=yes|accept-new|no] [--known-hosts FILE]\n"
          "          [--vault-id [LABEL@]SOURCE]... [--vault-password-file FILE]...\n"
          "          [--ask-vault-pass] [--output json=FILE|-] [--output junit=FILE] [--profile]\n"
          "          [--list-hosts] [--list-tasks] [--list-tags] [--syntax-check]\n"
          "          [--inventory-dump] [--config-dump] [--flush-cache]\n"
          "          [--start-at-task NAME] [--step]\n"
          "          [-b] [--become-user USER] [--become-method sudo|su] [-K]\n"
          "          [--become-password-file FILE]\n"
          "          [--plan[=text|json]] [--version] [-h]\n"
          "\nRuns the playbook compiled into this program (by playc).\n",
          argv0);
}

/* Splits "k=v k2='v 2'" (Ansible's parse_kv) into a dict of strings. */
static RtValue *parse_kv(const char *s, char **err) {
  RtValue *d = rt_dict_new(4);
  const char *p = s;
  while (*p) {
    while (isspace((unsigned char)*p))
      p++;
    if (!*p)
      break;
    RtBuf key = {0}, val = {0};
    RtBuf *cur = &key;
    char q = 0;
    int jinja = 0; /* inside {{ }}, {% %} or {# #}: spaces do not split, quotes are kept (split_args) */
    for (; *p && (q || jinja || !isspace((unsigned char)*p)); p++) {
      if (!q && *p == '{' && (p[1] == '{' || p[1] == '%' || p[1] == '#')) {
        jinja++;
        rt_buf_putc(cur, *p++);
        rt_buf_putc(cur, *p);
        continue;
      }
      if (jinja && (*p == '}' || *p == '%' || *p == '#') && p[1] == '}') {
        jinja--;
        rt_buf_putc(cur, *p++);
        rt_buf_putc(cur, *p);
        continue;
      }
      if (jinja) {
        rt_buf_putc(cur, *p);
        continue;
      }
      if (!q && (*p == '"' || *p == '\'')) {
        q = *p;
        continue;
      }
      if (q && *p == q) {
        q = 0;
        continue;
      }
      if (q && *p == '\\' && p[1] == q) {
        rt_buf_putc(cur, *++p);
        continue;
      }
      if (!q && *p == '=' && cur == &key) {
        cur = &val;
        continue;
      }
      rt_buf_putc(cur, *p);
    }
    if (cur != &val || !key.len) {
      *err = rt_xasprintf("Invalid extra vars data supplied. '%s' could not be made into a dictionary",
                          s);
      rt_buf_free(&key);
      rt_buf_free(&val);
      rt_decref(d);
      return NULL;
    }
    rt_dict_set(d, key.data, val.data ? rt_str(val.data, val.len) : rt_strz(""));
    rt_buf_free(&key);
    rt_buf_free(&val);
  }
  return d;
}

/* One -e argument → a dict (new reference), or NULL with *err and *rc set
 * to ansible-playbook's exit code for it: 1 for a file it cannot read, 4
 * for data it cannot parse (bad YAML or JSON, nested past RT_MAX_DEPTH),
 * 5 for data that is not a dictionary. */
static RtValue *extra_vars_parse(RtRun *run, const char *arg, char **err, int *rc);

RtValue *rt_extra_vars_parse(const char *arg, char **err, int *rc) { return extra_vars_parse(NULL, arg, err, rc); }

/* With `run`, a file (-e @FILE) may be vault-encrypted and its YAML hold
 * `!vault` values: both opened with the run's secrets. */
static RtValue *extra_vars_parse(RtRun *run, const char *arg, char **err, int *rc) {
  const char *p = arg, *name = "<extra vars>";
  char *text = NULL;
  size_t len;
  if (arg[0] == '@') {
    name = arg + 1;
    if (!(text = rt_read_file(name, &len))) {
      *err = rt_xasprintf("the file_name '%s' does not exist, or is not readable", name);
      *rc = 1;
      return NULL;
    }
    p = text;
    if (run && rt_vault_is_encrypted(text, len)) {
      RtValue *v = rt_vault_load_data(run, text, len, name, err);
      free(text);
      if (!v) {
        *rc = 1;
        return NULL;
      }
      if (rt_kind(v) != RT_DICT) {
        rt_decref(v);
        *err = rt_xasprintf("Invalid extra vars data supplied. '%s' could not be made into a dictionary", arg);
        *rc = 5;
        return NULL;
      }
      return v;
    }
  } else {
    while (isspace((unsigned char)*p))
      p++;
    if (*p != '{' && *p != '[') {
      *rc = 5;
      return parse_kv(arg, err);
    }
    len = strlen(p);
  }
  char *perr = NULL;
  RtValue *v = run ? rt_parse_yaml_vault(run, p, len, name, &perr) : rt_parse_yaml(p, len, name, &perr);
  free(text);
  if (!v) {
    *err = rt_xasprintf("Unable to parse extra vars '%s': %s", arg, perr);
    free(perr);
    *rc = 4;
    return NULL;
  }
  if (rt_kind(v) != RT_DICT) {
    rt_decref(v);
    *err = rt_xasprintf("Invalid extra vars data supplied. '%s' could not be made into a dictionary",
                        arg);
    *rc = 5;
    return NULL;
  }
  return v;
}

/* Returns -1 when every -e argument loaded, else the exit code (message in *err). */
static int load_extra_vars(RtRun *run, char **err) {
  RtValue *all = rt_dict_new(4);
  for (int i = 0; i < run->opt.nextra_vars; i++) {
    int rc = 1;
    RtValue *v = extra_vars_parse(run, run->opt.extra_vars[i], err, &rc);
    if (!v) {
      rt_decref(all);
      return rc;
    }
    for (size_t k = 0; k < v->u.dict.len; k++) /* load_extra_vars: combine_vars */
      rt_combine_set(all, v->u.dict.ents[k].key->u.str.s, rt_incref(v->u.dict.ents[k].val), run->inv.hash_merge);
    rt_decref(v);
  }
  run->extra_vars = all;
  return -1;
}

static int parse_hkc(const char *s) {
  if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "strict"))
    return RT_HKC_STRICT;
  if (!strcasecmp(s, "accept-new"))
    return RT_HKC_ACCEPT_NEW;
  if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "off"))
    return RT_HKC_OFF;
  return -1;
}

enum { OPT_PLAN = 256, OPT_KEY, OPT_HKC, OPT_KNOWN, OPT_VERSION, OPT_SKIP_TAGS, OPT_VAULT_ID,
       OPT_VAULT_FILE, OPT_ASK_VAULT, OPT_BECOME_USER, OPT_BECOME_METHOD, OPT_BECOME_FILE, OPT_OUTPUT, OPT_PROFILE,
       OPT_LIST_HOSTS, OPT_LIST_TASKS, OPT_LIST_TAGS, OPT_SYNTAX, OPT_STEP,
       OPT_INVENTORY_DUMP, OPT_CONN_FILE, OPT_SSH_COMMON, OPT_SSH_EXTRA, OPT_CONFIG_DUMP, OPT_FLUSH_CACHE,
       OPT_START_AT_TASK };

/* --tags a,b / --skip-tags a,b (repeatable): appended to a NULL-terminated list. */
static void add_tags(const char ***list, int *n, const char *arg) {
  char *copy = rt_xstrdup(arg), *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ')
      tok++;
    *list = rt_xrealloc(*list, sizeof **list * (size_t)(*n + 2));
    (*list)[(*n)++] = rt_xstrdup(tok);
    (*list)[*n] = NULL;
  }
  free(copy);
}

/* The options' defaults from ansible.cfg and the environment (config.c),
 * which the command line then overrides. */
static void config_defaults(RtOptions *o) {
  o->forks = rt_config_int(RT_CFG_FORKS, 5);
  if (o->forks < 1)
    o->forks = 1;
  o->host_key_checking = rt_config_bool(RT_CFG_SSH_HOST_KEY_CHECKING) ? RT_HKC_STRICT : RT_HKC_OFF;
  /* the ssh connection's settings, under options and host vars */
  if (rt_config_is_set(RT_CFG_SSH_ARGS))
    o->ssh_args = rt_config_str(RT_CFG_SSH_ARGS);
  if (rt_config_is_set(RT_CFG_SSH_COMMON_ARGS))
    o->ssh_common_args = rt_config_str(RT_CFG_SSH_COMMON_ARGS);
  if (rt_config_is_set(RT_CFG_SSH_EXTRA_ARGS))
    o->ssh_extra_args = rt_config_str(RT_CFG_SSH_EXTRA_ARGS);
  if (rt_config_is_set(RT_CFG_SSH_TIMEOUT)) /* timeout, [ssh_connection] timeout, ANSIBLE_(SSH_)TIMEOUT */
    o->timeout = rt_config_int(RT_CFG_SSH_TIMEOUT, 0) > 0 ? rt_config_int(RT_CFG_SSH_TIMEOUT, 0) : 0;
  if (rt_config_is_set(RT_CFG_SSH_RETRIES)) /* [ssh_connection] retries, ANSIBLE_SSH_RETRIES */
    o->ssh_retries = rt_config_int(RT_CFG_SSH_RETRIES, 0) > 0 ? rt_config_int(RT_CFG_SSH_RETRIES, 0) : 0;
  if (rt_config_is_set(RT_CFG_SSH_REMOTE_USER) && *rt_config_str(RT_CFG_SSH_REMOTE_USER))
    o->user = rt_config_str(RT_CFG_SSH_REMOTE_USER);
  const char *const *key = rt_config_list(RT_CFG_SSH_PRIVATE_KEY_FILE);
  if (key && *key[0])
    o->private_key = key[0];
  const char *transport = rt_config_str(RT_CFG_TRANSPORT);
  if (rt_config_is_set(RT_CFG_TRANSPORT) && strcmp(transport, "smart"))
    o->connection = transport;
  o->become = rt_config_bool(RT_CFG_BECOME);
  if (rt_config_is_set(RT_CFG_BECOME_METHOD))
    o->become_method = rt_config_str(RT_CFG_BECOME_METHOD);
  if (rt_config_is_set(RT_CFG_BECOME_USER))
    o->become_user = rt_config_str(RT_CFG_BECOME_USER);
}

/* The callbacks of CALLBACKS_ENABLED playc has: profile_tasks is --profile. */
static bool callback_enable(RtOptions *o, const char *name) {
  if (!strcmp(name, "profile_tasks") || !strcmp(name, "ansible.posix.profile_tasks")) {
    o->profile = true;
    return true;
  }
  if (!strcmp(name, "timer") || !strcmp(name, "ansible.posix.timer")) {
    o->timer = o->profile ? 1 : 2; /* callbacks print in the order they are enabled */
    return true;
  }
  return false;
}

static void config_warn(const char *msg) { rt_out_warning(NULL, "%s", msg); }

/* The output settings: the stdout callback and the enabled callbacks
 * playc has are turned on, the others named in a warning. */
static void config_output(RtOptions *o) {
  const char *cb = rt_config_str(RT_CFG_STDOUT_CALLBACK);
  if (!strcmp(cb, "yaml") || !strcmp(cb, "community.general.yaml"))
    o->yaml_callback = true;
  else if (strcmp(cb, "default") && strcmp(cb, "ansible.builtin.default"))
    rt_out_warning(NULL, "playc does not implement the stdout callback '%s' (DEFAULT_STDOUT_CALLBACK): "
                         "using the default one",
                   cb);
  const char *const *cbs = rt_config_list(RT_CFG_CALLBACKS_ENABLED);
  for (; cbs && *cbs; cbs++)
    if (**cbs && !callback_enable(o, *cbs))
      rt_out_warning(NULL, "playc does not implement the callback '%s' (CALLBACKS_ENABLED): ignored", *cbs);
  if (rt_config_bool(RT_CFG_RETRY_FILES))
    rt_out_warning(NULL, "playc does not write retry files (RETRY_FILES_ENABLED): ignored");
}

/* Fills run->opt from argv. Returns -1 to go on, or an exit code. */
static int parse_args(RtRun *run, int argc, char **argv) {
  static const struct option longs[] = {
      {"inventory", required_argument, 0, 'i'}, {"extra-vars", required_argument, 0, 'e'},
      {"forks", required_argument, 0, 'f'},     {"verbose", no_argument, 0, 'v'},
      {"check", no_argument, 0, 'C'},           {"diff", no_argument, 0, 'D'},
      {"limit", required_argument, 0, 'l'},     {"user", required_argument, 0, 'u'},
      {"connection", required_argument, 0, 'c'}, {"private-key", required_argument, 0, OPT_KEY},
      {"key-file", required_argument, 0, OPT_KEY}, {"plan", optional_argument, 0, OPT_PLAN},
      {"host-key-checking", required_argument, 0, OPT_HKC},
      {"known-hosts", required_argument, 0, OPT_KNOWN}, {"version", no_argument, 0, OPT_VERSION},
      {"tags", required_argument, 0, 't'},       {"skip-tags", required_argument, 0, OPT_SKIP_TAGS},
      {"vault-id", required_argument, 0, OPT_VAULT_ID},
      {"vault-password-file", required_argument, 0, OPT_VAULT_FILE},
      {"vault-pass-file", required_argument, 0, OPT_VAULT_FILE},
      {"ask-vault-pass", no_argument, 0, OPT_ASK_VAULT},
      {"ask-vault-password", no_argument, 0, OPT_ASK_VAULT},
      /* become (runtime/become.c) */
      {"become", no_argument, 0, 'b'},          {"become-user", required_argument, 0, OPT_BECOME_USER},
      {"become-method", required_argument, 0, OPT_BECOME_METHOD},
      {"ask-become-pass", no_argument, 0, 'K'},
      {"ask-pass", no_argument, 0, 'k'},
      {"connection-password-file", required_argument, 0, OPT_CONN_FILE},
      {"conn-pass-file", required_argument, 0, OPT_CONN_FILE},
      {"timeout", required_argument, 0, 'T'},
      {"ssh-common-args", required_argument, 0, OPT_SSH_COMMON},
      {"ssh-extra-args", required_argument, 0, OPT_SSH_EXTRA},
      {"become-password-file", required_argument, 0, OPT_BECOME_FILE},
      {"become-pass-file", required_argument, 0, OPT_BECOME_FILE},
      {"output", required_argument, 0, OPT_OUTPUT}, {"profile", no_argument, 0, OPT_PROFILE},
      {"list-hosts", no_argument, 0, OPT_LIST_HOSTS}, {"list-tasks", no_argument, 0, OPT_LIST_TASKS},
      {"list-tags", no_argument, 0, OPT_LIST_TAGS}, {"syntax-check", no_argument, 0, OPT_SYNTAX},
      {"step", no_argument, 0, OPT_STEP},       {"start-at-task", required_argument, 0, OPT_START_AT_TASK},
      {"inventory-dump", no_argument, 0, OPT_INVENTORY_DUMP},
      {"config-dump", no_argument, 0, OPT_CONFIG_DUMP}, {"flush-cache", no_argument, 0, OPT_FLUSH_CACHE},
      {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
  RtOptions *o = &run->opt;
  config_defaults(o);
  o->inventories = rt_xcalloc((size_t)argc + 1, sizeof *o->inventories);
  o->extra_vars = rt_xcalloc((size_t)argc + 1, sizeof *o->extra_vars);
  o->vault.ids = rt_xcalloc((size_t)argc + 1, sizeof *o->vault.ids);
  o->vault.password_files = rt_xcalloc((size_t)argc + 1, sizeof *o->vault.password_files);
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":i:e:f:vCDl:u:c:t:hbKkT:", longs, NULL)) != -1) {
    char *end = NULL;
    switch (c) {
    case 'i': o->inventories[o->ninventories++] = optarg; break;
    case 'e': o->extra_vars[o->nextra_vars++] = optarg; break;
    case 'f':
      o->forks = (int)strtol(optarg, &end, 10);
      if (!*optarg || *end || o->forks < 1) {
        rt_out_error("invalid value for -f/--forks: '%s'", optarg);
        return 5;
      }
      break;
    case 'v': o->verbosity++; break;
    case 'C': o->check = true; break;
    case 'D': o->diff = true; break;
    case 'l': o->limit = optarg; break;
    case 't': add_tags(&o->tags, &o->ntags, optarg); break;
    case OPT_SKIP_TAGS: add_tags(&o->skip_tags, &o->nskip_tags, optarg); break;
    case 'u': o->user = optarg; break;
    case 'c': o->connection = optarg; break;
    case OPT_KEY: o->private_key = optarg; break;
    case OPT_PLAN:
      o->plan = true;
      if (optarg && strcmp(optarg, "json") == 0)
        o->plan_json = true;
      else if (optarg && strcmp(optarg, "text") != 0) {
        rt_out_error("invalid value for --plan: '%s' (text or json)", optarg);
        return 5;
      }
      break;
    case OPT_HKC:
      o->host_key_checking = parse_hkc(optarg);
      if (o->host_key_checking < 0) {
        rt_out_error("invalid value for --host-key-checking: '%s' (yes, accept-new or no)", optarg);
        return 5;
      }
      break;
    case OPT_KNOWN: o->known_hosts = optarg; break;
    case OPT_VAULT_ID: o->vault.ids[o->vault.nids++] = optarg; break;
    case OPT_VAULT_FILE: o->vault.password_files[o->vault.npassword_files++] = optarg; break;
    case OPT_ASK_VAULT: o->vault.ask = true; break;
    case 'b': o->become = true; break;
    case OPT_BECOME_USER: o->become_user = optarg; break;
    case OPT_BECOME_METHOD: o->become_method = optarg; break;
    case 'K': o->ask_become_pass = true; break;
    case 'k': o->ask_pass = true; break;
    case OPT_CONN_FILE: o->conn_password_file = optarg; break;
    case OPT_SSH_COMMON: o->ssh_common_args = optarg; break;
    case OPT_SSH_EXTRA: o->ssh_extra_args = optarg; break;
    case 'T':
      o->timeout = (int)strtol(optarg, &end, 10);
      if (!*optarg || *end || o->timeout < 1) {
        rt_out_error("invalid value for -T/--timeout: '%s'", optarg);
        return 5;
      }
      break;
    case OPT_BECOME_FILE: o->become_password_file = optarg; break;
    case OPT_OUTPUT:
      if (!strncmp(optarg, "json=", 5) && optarg[5]) {
        o->out_json = optarg + 5;
      } else if (!strncmp(optarg, "junit=", 6) && optarg[6] && strcmp(optarg + 6, "-")) {
        o->out_junit = optarg + 6;
      } else {
        usage(stderr, argv[0]);
        rt_out_error("invalid value for --output: '%s' (json=FILE, json=- for stdout, or junit=FILE)", optarg);
        return 5;
      }
      break;
    case OPT_PROFILE: o->profile = true; break;
    case OPT_LIST_HOSTS: o->list_hosts = true; break;
    case OPT_INVENTORY_DUMP: o->inventory_dump = true; break;
    case OPT_CONFIG_DUMP: o->config_dump = true; break;
    case OPT_FLUSH_CACHE: o->flush_cache = true; break;
    case OPT_LIST_TASKS: o->list_tasks = true; break;
    case OPT_LIST_TAGS: o->list_tags = true; break;
    case OPT_SYNTAX: /* checked when it was compiled: what ansible-playbook prints for a good one */
      printf("\nplaybook: %s\n", run->prog->playbook);
      return 0;
    case OPT_STEP:
      if (!isatty(0)) {
        rt_out_error("--step asks before each task and needs a terminal: standard input is not one");
        return 5;
      }
      o->step = true;
      break;
    case OPT_START_AT_TASK: o->start_at_task = optarg; break;
    case OPT_VERSION:
      printf("%s (playc-compiled playbook %s, abi %d)\n", argv[0], run->prog->playbook,
             PLAYC_ABI_VERSION);
      return 0;
    case 'h': usage(stdout, argv[0]); return 0;
    case ':':
      usage(stderr, argv[0]);
      rt_out_error("option %s requires an argument", argv[optind - 1]);
      return 5;
    default:
      usage(stderr, argv[0]);
      rt_out_error("unrecognized arguments: %s", argv[optind - 1]);
      return 5;
    }
  }
  if (optind < argc) {
    usage(stderr, argv[0]);
    rt_out_error("unrecognized arguments: %s", argv[optind]);
    return 5;
  }
  /* -i replaces the configured list; Ansible's default, /etc/ansible/hosts, when it is there */
  const char *const *inv = rt_config_list(RT_CFG_INVENTORY);
  static const char *const etc_hosts[] = {"/etc/ansible/hosts", NULL};
  if (!rt_config_is_set(RT_CFG_INVENTORY) && access(etc_hosts[0], F_OK) == 0)
    inv = etc_hosts;
  if (!o->ninventories && inv)
    for (; inv && *inv; inv++)
      if (**inv) {
        o->inventories = rt_xrealloc(o->inventories, sizeof *o->inventories * (size_t)(o->ninventories + 2));
        o->inventories[o->ninventories++] = *inv;
      }
  if (o->ask_become_pass && o->become_password_file) {
    usage(stderr, argv[0]);
    rt_out_error("argument --become-password-file/--become-pass-file: not allowed with argument "
                 "-K/--ask-become-pass");
    return 5;
  }
  if (o->ask_pass && o->conn_password_file) {
    usage(stderr, argv[0]);
    rt_out_error("argument --connection-password-file/--conn-pass-file: not allowed with argument "
                 "-k/--ask-pass");
    return 5;
  }
  if (o->vault.ask && o->vault.npassword_files) {
    usage(stderr, argv[0]);
    rt_out_error("argument --vault-password-file/--vault-pass-file: not allowed with argument "
                 "--ask-vault-password/--ask-vault-pass");
    return 5;
  }
  if (!o->become_password_file) /* become_ask_pass is -K's default (ask_vault_pass: vault_secrets.c) */
    o->ask_become_pass = o->ask_become_pass || rt_config_bool(RT_CFG_BECOME_ASK_PASS);
  return -1;
}

static void free_run(RtRun *run) {
  free(run->fact_cache_dir);
  free(run->vars_error);
  rt_report_free(run);
  for (int i = 0; i < run->opt.ntags; i++)
    free((char *)run->opt.tags[i]);
  for (int i = 0; i < run->opt.nskip_tags; i++)
    free((char *)run->opt.skip_tags[i]);
  free(run->opt.tags);
  free(run->opt.skip_tags);
  rt_vault_run_close(run);
  if (run->opt.become_pass) { /* the become password: wiped, never left in memory */
    volatile char *p = run->opt.become_pass;
    while (*p)
      *p++ = 0;
    free(run->opt.become_pass);
  }
  if (run->opt.conn_pass) { /* likewise the connection password */
    volatile char *p = run->opt.conn_pass;
    while (*p)
      *p++ = 0;
    free(run->opt.conn_pass);
  }
  rt_inventory_free(&run->inv);
  rt_decref(run->extra_vars);
  free(run->opt.inventories);
  free(run->opt.extra_vars);
  free(run->opt.vault.ids);
  free(run->opt.vault.password_files);
}

int rt_main(int argc, char **argv, const RtProgram *prog) {
  if (prog->abi_version != PLAYC_ABI_VERSION || prog->modules_hash != mod_schema_hash()) {
    rt_out_error("this program was compiled against a different playc runtime "
                 "(abi %d, modules %08x; runtime abi %d, modules %08x): recompile it",
                 prog->abi_version, prog->modules_hash, PLAYC_ABI_VERSION, mod_schema_hash());
    return 1;
  }
  RtRun run = {0};
  run.prog = prog;
  char *err = NULL;
  if (!rt_config_load(&err)) { /* a setting of the wrong type: as ansible-playbook, nothing starts */
    fprintf(stderr, "ERROR: %s\n", err); /* ansible's config errors are "ERROR:", not "ERROR!" */
    free(err);
    return 5;
  }
  int rc = parse_args(&run, argc, argv);
  if (rc >= 0) {
    free_run(&run);
    return rc;
  }
  if (run.opt.plan) {
    fputs(run.opt.plan_json ? prog->plan_json : prog->plan_text, stdout);
    free_run(&run);
    return 0;
  }
  if (run.opt.config_dump) { /* ansible-config dump --only-changed */
    rt_config_dump(stdout);
    free_run(&run);
    return 0;
  }
  rt_config_warnings(true, config_warn);
  config_output(&run.opt);
  if (run.opt.verbosity >= 1 && !run.opt.inventory_dump) { /* CLI.run's first -v line */
    const char *cfg_file = rt_config_file();
    if (cfg_file)
      printf("Using %s as config file\n", cfg_file);
    else
      printf("No config file found; using defaults\n");
  }
  signal(SIGPIPE, SIG_IGN);
  /* the vault prompt takes Ctrl-C itself (exit 99), so secrets come first */
  if ((rc = rt_vault_run_open(&run)) >= 0) { /* before -e: a vars file may be vault text */
    free_run(&run);
    return rc;
  }
  if ((rc = rt_conn_password_load(&run)) >= 0 || /* -k and -K ask before anything runs */
      (rc = rt_become_password_load(&run)) >= 0) {
    free_run(&run);
    return rc;
  }
  rt_interrupt_init(); /* before any thread: they all inherit the blocked signals */
  run.inv.hash_merge = strcmp(rt_config_str(RT_CFG_HASH_BEHAVIOUR), "merge") == 0;
  if ((rc = load_extra_vars(&run, &err)) >= 0) {
    rt_out_error("%s", err);
    free(err);
    free_run(&run);
    return rc;
  }
  int parsed = 0;
  run.inv.vault_run = &run; /* encrypted sources and !vault values open with the run's secrets */
  for (int i = 0; i < run.opt.ninventories; i++) {
    if (rt_inventory_load(&run.inv, run.opt.inventories[i], &err)) {
      parsed++;
    } else {
      rt_inventory_warn_failed(run.opt.inventories[i], err);
      free(err);
      err = NULL;
    }
  }
  if (parsed)
    rt_inventory_warn_conflicts(&run.inv);
  if (parsed == 0 && rt_config_bool(RT_CFG_INVENTORY_UNPARSED_WARNING)) /* as ansible-playbook without one */
    rt_out_warning(NULL, "No inventory was parsed, only implicit localhost is available");
  if (run.inv.nhosts == 0 && !run.opt.inventory_dump && rt_config_bool(RT_CFG_LOCALHOST_WARNING))
    rt_out_warning(NULL, "provided hosts list is empty, only localhost is available. Note that "
                         "the implicit localhost does not match 'all'");
  if (!rt_inventory_load_vars(&run.inv, &err)) { /* host_group_vars, as AnsibleParserError */
    if (!run.opt.inventory_dump && !run.opt.list_hosts && !run.opt.list_tasks && !run.opt.list_tags) {
      run.vars_error = err; /* when the first play starts */
    } else {
      rt_out_error("%s", err);
      free(err);
      free_run(&run);
      return 4;
    }
  }
  if (run.opt.inventory_dump) { /* ansible-inventory --list, to diff against it */
    RtBuf b = {0};
    rt_inventory_dump(&run.inv, &b);
    fwrite(b.data, 1, b.len, stdout);
    rt_buf_free(&b);
    free_run(&run);
    return 0;
  }
  if (prog->load_fault) { /* ansible-playbook fails loading the playbook: nothing runs */
    rt_out_error("%s", prog->load_fault);
    free_run(&run);
    return 4;
  }
  if (run.opt.list_hosts || run.opt.list_tasks || run.opt.list_tags) {
    rc = rt_list(&run);
    free_run(&run);
    return rc;
  }
  if (!rt_factcache_open(&run)) {
    free_run(&run);
    return 1;
  }
  if (!rt_report_open(&run)) {
    free_run(&run);
    return 5;
  }
  rc = rt_run(&run);
  free_run(&run);
  return rc;
}
