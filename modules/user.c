/*
 * user.c — the user module on Linux (Ansible's generic User class):
 * useradd, usermod, userdel and chage on the target.
 *
 * Request 1 reads the state: the passwd and shadow entries (getent), every
 * group (`getent group`, for group lookups and memberships, parsed here with
 * strict rules: name:password:gid:members), whether the home folder and its
 * parent exist, and whether usermod knows --append. The controller then
 * decides exactly as Ansible's User does (which options differ, which
 * groups are missing, what check mode reports), so a user already in the
 * desired state costs that one request. Otherwise request 2 runs the
 * command built here (an argv, never shell text), creates a missing home
 * folder from the skeleton, applies password ageing with chage, and reads
 * the passwd entry back for the result. The commands' stdout and stderr are
 * the request's streams: they become the result's stdout/stderr as
 * run_command's output does.
 *
 * generate_ssh_key follows the module's ssh_key_gen: request 1 also runs
 * its steps without changing anything (as check mode does), so a key
 * already there costs no second request; request 2 runs them for real
 * after the user and home folder, before password ageing. A passphrase is
 * given to ssh-keygen with -N (the module types it on a pty).
 *
 * Not supported (absent from the schema, so refused at compile time):
 * local (luseradd), seuser, and the options of other platforms (hidden,
 * login_class, profile, authorization, role).
 */
#include "mod.h"

static const ModParam user_params[] = {
    {.name = "state", .type = MP_STR, .choices = "absent,present", .def = "present"},
    {.name = "name", .type = MP_STR, .required = true, .aliases = "user"},
    {.name = "uid", .type = MP_INT},
    {.name = "non_unique", .type = MP_BOOL, .def = "false"},
    {.name = "group", .type = MP_STR},
    {.name = "groups", .type = MP_LIST, .elements = MP_STR},
    {.name = "comment", .type = MP_STR},
    {.name = "home", .type = MP_PATH},
    {.name = "shell", .type = MP_STR},
    {.name = "password", .type = MP_STR, .no_log = true},
    {.name = "password_expire_max", .type = MP_INT},
    {.name = "password_expire_min", .type = MP_INT},
    {.name = "force", .type = MP_BOOL, .def = "false"},
    {.name = "remove", .type = MP_BOOL, .def = "false"},
    {.name = "create_home", .type = MP_BOOL, .def = "true", .aliases = "createhome"},
    {.name = "skeleton", .type = MP_STR},
    {.name = "system", .type = MP_BOOL, .def = "false"},
    {.name = "move_home", .type = MP_BOOL, .def = "false"},
    {.name = "append", .type = MP_BOOL, .def = "false"},
    {.name = "update_password", .type = MP_STR, .choices = "always,on_create", .def = "always"},
    {.name = "expires", .type = MP_RAW},
    {.name = "password_lock", .type = MP_BOOL},
    {.name = "umask", .type = MP_STR},
    {.name = "generate_ssh_key", .type = MP_BOOL},
    {.name = "ssh_key_bits", .type = MP_INT, .def = "0"},
    {.name = "ssh_key_type", .type = MP_STR, .def = "rsa"},
    {.name = "ssh_key_file", .type = MP_PATH},
    {.name = "ssh_key_comment", .type = MP_STR}, /* default: "ansible-generated on " + the target's name */
    {.name = "ssh_key_passphrase", .type = MP_STR, .no_log = true},
};
const ModSchema mod_schema_user = {
    .name = "user",
    .params = user_params,
    .nparams = MOD_N(user_params),
    .tools = "useradd,usermod,userdel,chage,getent",
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct Grp {
  char *name;
  long long gid;
  RtValue *members; /* list of str */
} Grp;

typedef struct User {
  char *name, *state, *group, *comment, *home, *shell, *password, *skeleton, *umask, *update_password;
  RtValue *groups;   /* list of str, or NULL */
  char *groups_text; /* ','.join(groups) */
  long long uid, exp_max, exp_min;
  int has_uid, has_max, has_min;
  bool non_unique, force, remove, create_home, system, move_home, append;
  int password_lock; /* -1 unset */
  bool has_expires;
  double expires;
  /* generate_ssh_key */
  bool genkey;
  long long key_bits;
  char *key_type, *key_file, *key_comment, *key_pass;
  /* state read by request 1 */
  bool exists;
  char *pw[7]; /* name passwd uid gid gecos home shell */
  char *sp_pwd;
  long long sp_min, sp_max, sp_expire;
  Grp *grps;
  size_t ngrps;
  bool has_append;
} User;

/* Splits "a:b:c" into exactly n fields (the last keeps any further colon
 * only when n says so); false when the line has fewer. */
static bool split_fields(const char *line, char **out, int n) {
  const char *p = line;
  for (int i = 0; i < n; i++) {
    const char *e = i == n - 1 ? p + strlen(p) : strchr(p, ':');
    if (!e) {
      for (int k = 0; k < i; k++) {
        free(out[k]);
        out[k] = NULL;
      }
      return false;
    }
    out[i] = rt_xstrndup(p, (size_t)(e - p));
    p = *e ? e + 1 : e;
  }
  return true;
}

static long long field_int(const char *s, long long def) {
  long long v;
  return s && *s && mod_py_int(s, &v) ? v : def;
}

/* `getent group` output: name:passwd:gid:member,member */
static void parse_groups(User *u, const char *text) {
  RtValue *lines = mod_lines(text, strlen(text));
  u->grps = rt_xcalloc(rt_len(lines) + 1, sizeof *u->grps);
  for (size_t i = 0; i < rt_len(lines); i++) {
    char *f[4] = {0};
    if (!split_fields(rt_list_at(lines, i)->u.str.s, f, 4))
      continue;
    Grp *g = &u->grps[u->ngrps++];
    g->name = f[0];
    g->gid = field_int(f[2], -1);
    RtValue *m = rt_list_new(4);
    for (const char *p = f[3]; *p;) {
      const char *e = strchr(p, ',');
      size_t n = e ? (size_t)(e - p) : strlen(p);
      if (n)
        rt_list_push(m, rt_str(p, n));
      p = e ? e + 1 : p + n;
    }
    g->members = m;
    free(f[1]);
    free(f[2]);
    free(f[3]);
  }
  rt_decref(lines);
}

/* grp.getgrgid(int(g)) then grp.getgrnam(g), as group_exists/group_info. */
static const Grp *group_find(const User *u, const char *g) {
  long long id;
  if (mod_py_int(g, &id))
    for (size_t i = 0; i < u->ngrps; i++)
      if (u->grps[i].gid == id)
        return &u->grps[i];
  for (size_t i = 0; i < u->ngrps; i++)
    if (strcmp(u->grps[i].name, g) == 0)
      return &u->grps[i];
  return NULL;
}

static bool member_of(const Grp *g, const char *name) {
  for (size_t k = 0; k < rt_len(g->members); k++)
    if (strcmp(rt_list_at(g->members, k)->u.str.s, name) == 0)
      return true;
  return false;
}

/* The requested groups as a set (stripped, empty ones dropped), in order of
 * first appearance. */
static RtValue *groups_set(const User *u) {
  RtValue *set = rt_list_new(4);
  for (size_t i = 0; u->groups && i < rt_len(u->groups); i++) {
    const char *g = rt_list_at(u->groups, i)->u.str.s;
    while (isspace((unsigned char)*g))
      g++;
    size_t n = strlen(g);
    while (n && isspace((unsigned char)g[n - 1]))
      n--;
    if (!n)
      continue;
    bool dup = false;
    for (size_t k = 0; k < rt_len(set) && !dup; k++)
      dup = rt_len(rt_list_at(set, k)) == n && strncmp(rt_list_at(set, k)->u.str.s, g, n) == 0;
    if (!dup)
      rt_list_push(set, rt_str(g, n));
  }
  return set;
}

static bool in_strlist(const RtValue *l, const char *s) {
  for (size_t i = 0; i < rt_len(l); i++)
    if (strcmp(rt_list_at(l, i)->u.str.s, s) == 0)
      return true;
  return false;
}

static char *join_list(const RtValue *l) {
  RtBuf b = {0};
  rt_buf_add(&b, "", 0);
  for (size_t i = 0; i < rt_len(l); i++) {
    if (i)
      rt_buf_putc(&b, ',');
    rt_buf_puts(&b, rt_list_at(l, i)->u.str.s);
  }
  return rt_buf_take(&b);
}

/* time.strftime('%Y-%m-%d', time.gmtime(expires)) */
static void expires_date(double e, char *buf, size_t cap) {
  time_t t = (time_t)floor(e);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, cap, "%Y-%m-%d", &tm);
}

static void key_script(RtBuf *s, const User *u, bool check);

/* Request 1: the user's state as records. */
static void state_script(RtBuf *s, const User *u) {
  mod_sh_need(s, "getent");
  mod_sh_set(s, "n", u->name);
  rt_buf_puts(s, "if pw=$(getent passwd -- \"$n\"); then __playc_rec pw \"$pw\"; "
                 "sp=$(getent shadow -- \"$n\") && __playc_rec sp \"$sp\"; fi\n"
                 "__playc_rec groups \"$(getent group)\"\n");
  if (u->home) {
    mod_sh_set_path(s, "hd", u->home);
    rt_buf_puts(s, "__playc_rec home \"$hd\"; [ ! -e \"$hd\" ] || __playc_rec home_exists 1\n"
                   "[ ! -d \"$(dirname -- \"$hd\")\" ] || __playc_rec parent_exists 1\n");
  }
  rt_buf_puts(s, "if [ -n \"$pw\" ]; then ph=${pw#*:*:*:*:*:}; ph=${ph%%:*}; "
                 "[ ! -e \"$ph\" ] || __playc_rec pw_home_exists 1; fi\n");
  if (u->append && u->groups)
    rt_buf_puts(s, "if u=$(PATH=$PATH:/usr/sbin:/sbin command -v usermod) && [ -x \"$u\" ]; then "
                   "\"$u\" --help 2>&1 | grep -q '^ *-a, --append' && __playc_rec has_append 1; fi\n");
  if (u->genkey && u->state[0] == 'p') { /* the key step, looked ahead */
    rt_buf_puts(s, "if [ -n \"$pw\" ]; then\n");
    key_script(s, u, true);
    rt_buf_puts(s, "fi\n");
  }
}

static void read_state(User *u, const RtExec *ex) {
  const char *pw = mod_rec(ex, "pw");
  u->exists = pw && split_fields(pw, u->pw, 7);
  const char *sp = mod_rec(ex, "sp");
  char *f[9] = {0};
  u->sp_min = u->sp_max = u->sp_expire = -1;
  if (sp && split_fields(sp, f, 9)) {
    u->sp_pwd = f[1];
    f[1] = NULL;
    u->sp_min = field_int(f[3], -1);
    u->sp_max = field_int(f[4], -1);
    u->sp_expire = field_int(f[7], -1);
    for (int i = 0; i < 9; i++)
      free(f[i]);
  }
  parse_groups(u, mod_rec(ex, "groups") ? mod_rec(ex, "groups") : "");
  u->has_append = mod_rec(ex, "has_append") != NULL;
}

/* info[1] as user_info gives it: the shadow hash when passwd holds x. */
static const char *user_pass(const User *u) {
  const char *p = u->pw[1] ? u->pw[1] : "";
  return strlen(p) <= 1 ? (u->sp_pwd ? u->sp_pwd : "") : p;
}

/* "Group X does not exist" for the first missing group, or NULL. */
static char *missing_group(const User *u) {
  if (u->group && !group_find(u, u->group))
    return rt_xasprintf("Group %s does not exist", u->group);
  RtValue *set = groups_set(u);
  char *msg = NULL;
  for (size_t i = 0; i < rt_len(set) && !msg; i++)
    if (!group_find(u, rt_list_at(set, i)->u.str.s))
      msg = rt_xasprintf("Group %s does not exist", rt_list_at(set, i)->u.str.s);
  rt_decref(set);
  return msg;
}

static void add_password(const User *u, ModArgv *a) {
  mod_argv_add(a, "-p");
  if (u->password_lock == 1)
    mod_argv_addf(a, "!%s", u->password);
  else
    mod_argv_add(a, u->password);
}

/* create_user_useradd's argv. */
static void useradd_argv(const User *u, ModArgv *a) {
  mod_argv_add(a, "useradd");
  if (u->has_uid) {
    mod_argv_add(a, "-u");
    mod_argv_addf(a, "%lld", u->uid);
    if (u->non_unique)
      mod_argv_add(a, "-o");
  }
  if (u->group) {
    mod_argv_add(a, "-g");
    mod_argv_add(a, u->group);
  } else if (group_find(u, u->name)) {
    mod_argv_add(a, "-N");
  }
  RtValue *set = groups_set(u);
  if (u->groups_text && *u->groups_text) {
    char *j = join_list(set);
    mod_argv_add(a, "-G");
    mod_argv_add(a, j);
    free(j);
  }
  rt_decref(set);
  if (u->comment) {
    mod_argv_add(a, "-c");
    mod_argv_add(a, u->comment);
  }
  if (u->home) {
    mod_argv_add(a, "-d");
    mod_argv_add(a, u->home);
  }
  if (u->shell) {
    mod_argv_add(a, "-s");
    mod_argv_add(a, u->shell);
  }
  if (u->has_expires) {
    char d[32] = "";
    if (u->expires >= 0)
      expires_date(u->expires, d, sizeof d);
    mod_argv_add(a, "-e");
    mod_argv_add(a, d);
  }
  if (u->password)
    add_password(u, a);
  if (u->create_home) {
    mod_argv_add(a, "-m");
    if (u->skeleton) {
      mod_argv_add(a, "-k");
      mod_argv_add(a, u->skeleton);
    }
    if (u->umask) {
      mod_argv_add(a, "-K");
      mod_argv_addf(a, "UMASK=%s", u->umask);
    }
  } else {
    mod_argv_add(a, "-M");
  }
  if (u->system)
    mod_argv_add(a, "-r");
  mod_argv_add(a, "--");
  mod_argv_add(a, u->name);
}

/* modify_user_usermod's argv; false when nothing differs. */
static bool usermod_argv(const User *u, ModArgv *a) {
  mod_argv_add(a, "usermod");
  if (u->has_uid && field_int(u->pw[2], -1) != u->uid) {
    mod_argv_add(a, "-u");
    mod_argv_addf(a, "%lld", u->uid);
    if (u->non_unique)
      mod_argv_add(a, "-o");
  }
  if (u->group) {
    const Grp *g = group_find(u, u->group);
    if (g && field_int(u->pw[3], -1) != g->gid) {
      mod_argv_add(a, "-g");
      mod_argv_addf(a, "%lld", g->gid);
    }
  }
  if (u->groups) {
    RtValue *current = rt_list_new(4), *want = groups_set(u), *diff = rt_list_new(4);
    for (size_t i = 0; i < u->ngrps; i++)
      if (member_of(&u->grps[i], u->name) && !in_strlist(current, u->grps[i].name))
        rt_list_push(current, rt_strz(u->grps[i].name));
    bool need = false;
    if (!*u->groups_text) {
      need = rt_len(current) && !u->append;
    } else {
      for (size_t i = 0; i < rt_len(current); i++)
        if (!in_strlist(want, rt_list_at(current, i)->u.str.s))
          rt_list_push(diff, rt_incref(rt_list_at(current, i)));
      for (size_t i = 0; i < rt_len(want); i++)
        if (!in_strlist(current, rt_list_at(want, i)->u.str.s))
          rt_list_push(diff, rt_incref(rt_list_at(want, i)));
      if (rt_len(diff) && u->append) {
        for (size_t i = 0; i < rt_len(want) && !need; i++)
          if (in_strlist(diff, rt_list_at(want, i)->u.str.s)) {
            if (u->has_append)
              mod_argv_add(a, "-a");
            need = true;
          }
      } else if (rt_len(diff)) {
        need = true;
      }
    }
    if (need) {
      char *j = join_list(u->append && !u->has_append ? diff : want);
      mod_argv_add(a, u->append && !u->has_append ? "-A" : "-G");
      mod_argv_add(a, j);
      free(j);
    }
    rt_decref(current);
    rt_decref(want);
    rt_decref(diff);
  }
  if (u->comment && strcmp(u->pw[4], u->comment) != 0) {
    mod_argv_add(a, "-c");
    mod_argv_add(a, u->comment);
  }
  if (u->home && strcmp(u->pw[5], u->home) != 0) {
    mod_argv_add(a, "-d");
    mod_argv_add(a, u->home);
    if (u->move_home)
      mod_argv_add(a, "-m");
  }
  if (u->shell && strcmp(u->pw[6], u->shell) != 0) {
    mod_argv_add(a, "-s");
    mod_argv_add(a, u->shell);
  }
  if (u->has_expires) {
    if (u->expires < 0) {
      if (u->sp_expire >= 0) {
        mod_argv_add(a, "-e");
        mod_argv_add(a, "");
      }
    } else {
      char want[32], cur[32] = "";
      expires_date(u->expires, want, sizeof want);
      if (u->sp_expire >= 0)
        expires_date((double)u->sp_expire * 86400, cur, sizeof cur);
      if (u->sp_expire < 0 || strcmp(cur, want) != 0) {
        mod_argv_add(a, "-e");
        mod_argv_add(a, want);
      }
    }
  }
  const char *cur_pass = user_pass(u);
  bool lock = false, unlock = false;
  if (u->password_lock == 1 && cur_pass[0] != '!')
    lock = true;
  else if (u->password_lock == 0 && cur_pass[0] == '!')
    unlock = true;
  const char *a1 = cur_pass, *b1 = u->password ? u->password : "";
  while (*a1 == '!')
    a1++;
  while (*b1 == '!')
    b1++;
  if (strcmp(u->update_password, "always") == 0 && u->password && strcmp(a1, b1) != 0) {
    add_password(u, a); /* -p replaces -L/-U */
  } else if (lock) {
    mod_argv_add(a, "-L");
  } else if (unlock) {
    mod_argv_add(a, "-U");
  }
  if (a->n == 1)
    return false;
  mod_argv_add(a, "--");
  mod_argv_add(a, u->name);
  return true;
}

/* Shell that creates home "$hd" from the skeleton (create_homedir) and,
 * with `chown`, gives it to the user "$n" (chown_homedir). */
static void homedir_script(RtBuf *s, const User *u, bool chown) {
  mod_sh_set(s, "sk", u->skeleton ? u->skeleton : "/etc/skel");
  rt_buf_puts(s, "if [ ! -e \"$hd\" ]; then\n"
                 "  if [ -e \"$sk\" ]; then mkdir -p -- \"$(dirname -- \"$hd\")\" && cp -RP -- \"$sk\" \"$hd\"; "
                 "else mkdir -p -- \"$hd\"; fi || { __playc_rec homefail 1; exit 0; }\n"
                 "  um=$(sed -n 's/^UMASK[[:space:]]\\{1,\\}\\([0-7]\\{1,\\}\\)$/\\1/p' /etc/login.defs 2>/dev/null "
                 "| tail -n 1)\n"
                 "  [ -z \"$um\" ] || chmod -- \"$(printf %o $((0777 & ~0$um)))\" \"$hd\"\n"
                 "fi\n");
  if (chown)
    rt_buf_puts(s, "pe=$(getent passwd -- \"$n\"); pu=${pe#*:*:}; pu=${pu%%:*}; pg=${pe#*:*:*:}; pg=${pg%%:*}\n"
                   "chown -R -- \"$pu:$pg\" \"$hd\"\n");
}

/* Script: the module's ssh_key_gen, ssh_key_fingerprint and
 * get_ssh_public_key for the user whose passwd entry is in "$pw"; with
 * `check` nothing changes (check mode, and request 1's look ahead).
 * Records: kfail and krc (the module's failure), kgen (a key made, or one
 * would be), kwarn[] (its warnings), kfile, kfp (fingerprint or error
 * text) and kpub (absent when the .pub cannot be read). */
static void key_script(RtBuf *s, const User *u, bool check) {
  rt_buf_printf(s, "kck=%d; kgo=1; kow=0\n", check ? 1 : 0);
  char *def = NULL;
  if (!u->key_file)
    def = rt_xasprintf(".ssh/id_%s", u->key_type);
  mod_sh_set_path(s, "kf0", u->key_file ? u->key_file : def);
  free(def);
  mod_sh_set(s, "kt", u->key_type);
  if (u->key_comment)
    mod_sh_set(s, "kc", u->key_comment);
  else
    rt_buf_puts(s, "kc=\"ansible-generated on $(uname -n)\"\n"); /* socket.gethostname() */
  mod_sh_set(s, "kp", u->key_pass ? u->key_pass : "");
  rt_buf_puts(s, "ku=${pw#*:*:}; ku=${ku%%:*}; kg=${pw#*:*:*:}; kg=${kg%%:*}; kh=${pw#*:*:*:*:*:}; kh=${kh%%:*}\n"
                 "case $kf0 in\n"
                 "  /*) kf=$kf0;;\n"
                 "  *) if [ ! -e \"$kh\" ] && [ $kck = 0 ]; then\n"
                 "       __playc_rec kfail \"User $n home directory does not exist\"; __playc_rec krc 1; exit 0; fi\n"
                 "     case $kh in ''|*/) kf=$kh$kf0;; *) kf=$kh/$kf0;; esac;;\n"
                 "esac\n"
                 "kd=${kf%/*}; [ -n \"$kd\" ] || kd=/\n"
                 "if [ ! -e \"$kd\" ]; then\n"
                 "  if [ $kck = 1 ]; then __playc_rec kgen 1; kgo=0\n"
                 "  elif ! ke=$(mkdir -m 0700 -- \"$kd\" 2>&1); then\n"
                 "    __playc_rec kfail \"Failed to create $kd: ${ke#mkdir: }\"; __playc_rec krc 1; exit 0\n"
                 "  else chown -- \"$ku:$kg\" \"$kd\"; fi\n"
                 "fi\n"
                 "if [ $kgo = 1 ] && [ -e \"$kf\" ]; then\n");
  if (u->force)
    rt_buf_puts(s, "  __playc_rec \"kwarn[]\" \"Overwriting existing ssh key private file \\\"$kf\\\"\"; kow=1\n");
  else
    rt_buf_puts(s, "  __playc_rec \"kwarn[]\" \"Found existing ssh key private file \\\"$kf\\\", no force, so skipping "
                   "ssh-keygen generation\"; kgo=0\n");
  rt_buf_puts(s, "fi\n"
                 "if [ $kgo = 1 ] && [ -e \"$kf.pub\" ]; then\n");
  if (u->force)
    rt_buf_puts(s, "  __playc_rec \"kwarn[]\" \"Overwriting existing ssh key public file \\\"$kf.pub\\\"\"\n"
                   "  [ $kck = 1 ] || rm -f -- \"$kf.pub\"\n");
  else
    rt_buf_puts(s, "  __playc_rec \"kwarn[]\" \"Found existing ssh key public file \\\"$kf.pub\\\", no force, so skipping "
                   "ssh-keygen generation\"; kgo=0\n");
  rt_buf_puts(s, "fi\n"
                 "if [ $kgo = 1 ]; then\n"
                 "  if [ $kck = 1 ]; then __playc_rec kgen 1\n"
                 "  else\n");
  mod_sh_need(s, "ssh-keygen");
  rt_buf_puts(s, "    set -- ssh-keygen -t \"$kt\"\n");
  if (u->key_bits > 0)
    rt_buf_printf(s, "    set -- \"$@\" -b %lld\n", u->key_bits);
  rt_buf_puts(s, "    set -- \"$@\" -C \"$kc\" -f \"$kf\" -N \"$kp\"\n"
                 "    ke=$( { [ $kow = 0 ] || echo y; } | PATH=$__playc_p \"$@\" 2>&1 >/dev/null); kr=$?\n"
                 "    [ $kr = 0 ] || { __playc_rec kfail \"$ke\"; __playc_rec krc $kr; exit 0; }\n"
                 "    chown -- \"$ku:$kg\" \"$kf\" \"$kf.pub\"; __playc_rec kgen 1\n"
                 "  fi\n"
                 "fi\n"
                 "__playc_rec kfile \"$kf\"\n"
                 "if [ -e \"$kf\" ]; then\n");
  mod_sh_need(s, "ssh-keygen");
  rt_buf_puts(s, "  if kfo=$(PATH=$__playc_p ssh-keygen -l -f \"$kf\" 2>/dev/null); then __playc_rec kfp \"$kfo\"\n"
                 "  else __playc_rec kfp \"$(PATH=$__playc_p ssh-keygen -l -f \"$kf\" 2>&1 >/dev/null)\"; fi\n"
                 "else __playc_rec kfp ''; fi\n"
                 "if [ -r \"$kf.pub\" ] && kpo=$(cat -- \"$kf.pub\"); then __playc_rec kpub \"$kpo\"; fi\n");
}

/* Request 2: the command, the home folder, password ageing, then the entry. */
static void apply_script(RtBuf *s, const User *u, const ModArgv *cmd, bool creating) {
  mod_sh_set(s, "n", u->name);
  bool parents = creating && u->home && u->create_home;
  if (cmd) {
    mod_sh_need(s, cmd->v[0]);
    if (parents) { /* useradd cannot create the parents: the home first */
      mod_sh_set_path(s, "hd", u->home);
      rt_buf_puts(s, "np=0; if [ ! -d \"$(dirname -- \"$hd\")\" ]; then np=1\n");
      homedir_script(s, u, false);
      rt_buf_puts(s, "fi\n");
    }
    mod_sh_argv(s, cmd);
    rt_buf_puts(s, "\"$@\"; rc=$?; __playc_rec rc $rc; [ $rc = 0 ] || exit 0\n");
    if (parents) {
      rt_buf_puts(s, "if [ $np = 1 ]; then\n");
      homedir_script(s, u, true);
      rt_buf_puts(s, "fi\n");
    }
  }
  rt_buf_puts(s, "pw=$(getent passwd -- \"$n\") || exit 0; __playc_rec pw \"$pw\"\n");
  if (u->state[0] == 'p') {
    if (u->home)
      mod_sh_set_path(s, "hd", u->home);
    else
      rt_buf_puts(s, "hd=${pw#*:*:*:*:*:}; hd=${hd%%:*}\n");
    if (u->create_home) {
      rt_buf_puts(s, "if [ ! -e \"$hd\" ]; then __playc_rec homemade 1\n");
      homedir_script(s, u, true);
      rt_buf_puts(s, "fi\n");
    }
    if (u->genkey)
      key_script(s, u, false);
    if (u->has_min || u->has_max) {
      mod_sh_need(s, "chage");
      rt_buf_puts(s, "sp=$(getent shadow -- \"$n\"); set -f; IFS=:; set -- $sp; unset IFS; set +f\n"
                     "mn=$4; mx=$5; set -- chage");
      if (u->has_min)
        rt_buf_printf(s, "; [ \"$mn\" = %lld ] || set -- \"$@\" -m %lld", u->exp_min, u->exp_min);
      if (u->has_max)
        rt_buf_printf(s, "; [ \"$mx\" = %lld ] || set -- \"$@\" -M %lld", u->exp_max, u->exp_max);
      rt_buf_puts(s, "\nif [ $# -gt 1 ]; then \"$@\" -- \"$n\"; rc=$?; __playc_rec chage_rc $rc; fi\n");
    }
  }
}

/* The keys every present user's result gets from its passwd entry. */
static void add_info(RtValue *r, const User *u, char **pw) {
  rt_dict_set(r, "uid", rt_int(field_int(pw[2], 0)));
  rt_dict_set(r, "group", rt_int(field_int(pw[3], 0)));
  rt_dict_set(r, "comment", rt_strz(pw[4]));
  rt_dict_set(r, "home", rt_strz(pw[5]));
  rt_dict_set(r, "shell", rt_strz(pw[6]));
  if (u->groups)
    rt_dict_set(r, "groups", rt_strz(u->groups_text));
}

static RtValue *changed_only(void) {
  RtValue *r = rt_dict_new(1);
  rt_dict_set(r, "changed", rt_bool(true));
  return r;
}

static RtValue *cmd_failure(const User *u, const RtExec *ex, long long rc) {
  RtValue *r = mod_fail_result("%s", ex->err.data ? ex->err.data : "");
  rt_dict_set(r, "name", rt_strz(u->name));
  rt_dict_set(r, "rc", rt_int(rc));
  return r;
}

/* What the state says to do; the result when nothing remains to run
 * (unchanged, check mode, failure), else NULL with *cmd set (or not, when
 * only the home folder or password ageing may change). */
static RtValue *decide(User *u, RtHost *h, ModArgv *cmd, bool *run, bool *creating) {
  *run = false;
  *creating = false;
  RtValue *r = NULL;
  bool present = u->state[0] == 'p';
  if (!present) {
    if (!u->exists)
      return NULL;
    if (h->check_mode)
      return changed_only();
    mod_argv_add(cmd, "userdel");
    if (u->force)
      mod_argv_add(cmd, "-f");
    if (u->remove)
      mod_argv_add(cmd, "-r");
    mod_argv_add(cmd, "--");
    mod_argv_add(cmd, u->name);
    *run = true;
    return NULL;
  }
  char *missing = missing_group(u);
  if (!u->exists) {
    if (h->check_mode) {
      free(missing);
      return changed_only();
    }
    if (missing) {
      r = mod_fail_result("%s", missing);
      free(missing);
      return r;
    }
    useradd_argv(u, cmd);
    *run = *creating = true;
    return NULL;
  }
  if (missing) {
    r = mod_fail_result("%s", missing);
    free(missing);
    return r;
  }
  *run = usermod_argv(u, cmd);
  if (!*run)
    mod_argv_free(cmd);
  return NULL;
}

/* Whether request 2 is needed for an existing user that usermod leaves
 * alone: a missing home, or ageing that differs. */
static bool extras_differ(const User *u, const RtExec *st) {
  bool home_exists = u->home ? mod_rec(st, "home_exists") != NULL : mod_rec(st, "pw_home_exists") != NULL;
  if (u->create_home && !home_exists)
    return true;
  return (u->has_min && u->exp_min != u->sp_min) || (u->has_max && u->exp_max != u->sp_max);
}

static void user_free(User *u) {
  char **strs[] = {&u->name,     &u->state,    &u->group,       &u->comment,   &u->home,
                   &u->shell,    &u->password, &u->skeleton,    &u->umask,     &u->update_password,
                   &u->groups_text, &u->sp_pwd, &u->key_type,   &u->key_file,  &u->key_comment,
                   &u->key_pass};
  for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
    free(*strs[i]);
  for (int i = 0; i < 7; i++)
    free(u->pw[i]);
  for (size_t i = 0; i < u->ngrps; i++) {
    free(u->grps[i].name);
    rt_decref(u->grps[i].members);
  }
  free(u->grps);
  rt_decref(u->groups);
}

/* The module's result after request 2 (or without it). */
static RtValue *final_result(User *u, RtHost *h, const RtExec *ex, bool ran, bool creating) {
  bool present = u->state[0] == 'p';
  RtValue *r = rt_dict_new(16);
  rt_dict_set(r, "name", rt_strz(u->name));
  rt_dict_set(r, "state", rt_strz(u->state));
  bool changed = ran;
  if (!present && ran) {
    rt_dict_set(r, "force", rt_bool(u->force));
    rt_dict_set(r, "remove", rt_bool(u->remove));
  } else if (present && creating) {
    rt_dict_set(r, "system", rt_bool(u->system));
    rt_dict_set(r, "create_home", rt_bool(u->create_home));
  } else if (present) {
    rt_dict_set(r, "append", rt_bool(u->append));
    rt_dict_set(r, "move_home", rt_bool(u->move_home));
  }
  if (present && u->password)
    rt_dict_set(r, "password", rt_strz("NOT_LOGGING_PASSWORD"));
  if (ex && ran && !h->check_mode)
    mod_set_output(r, &ex->out, &ex->err);
  if (present) {
    char *pw[7] = {0};
    const char *line = ex && !h->check_mode ? mod_rec(ex, "pw") : NULL;
    bool have = line ? split_fields(line, pw, 7) : false;
    add_info(r, u, have ? pw : u->pw);
    for (int i = 0; i < 7; i++)
      free(pw[i]);
    if (ex && (mod_rec(ex, "homemade") || (h->check_mode && extras_differ(u, ex))))
      changed = true;
    if (ex && mod_rec(ex, "chage_rc")) {
      long long crc = mod_rec_int(ex, "chage_rc", 0);
      if (crc != 0) {
        rt_decref(r);
        return cmd_failure(u, ex, crc);
      }
      changed = true;
    }
  }
  rt_dict_set(r, "changed", rt_bool(changed));
  return r;
}

static bool read_args(User *u, RtValue *args, RtValue **err) {
  u->name = mod_arg_str(args, "name");
  u->state = mod_arg_str(args, "state");
  if (!u->state)
    u->state = rt_xstrdup("present");
  u->group = mod_arg_str(args, "group");
  u->comment = mod_arg_str(args, "comment");
  u->home = mod_arg_str(args, "home");
  u->shell = mod_arg_str(args, "shell");
  u->password = mod_arg_str(args, "password");
  u->skeleton = mod_arg_str(args, "skeleton");
  u->umask = mod_arg_str(args, "umask");
  u->update_password = mod_arg_str(args, "update_password");
  if (!u->update_password)
    u->update_password = rt_xstrdup("always");
  u->groups = mod_arg_list(args, "groups");
  if (u->groups)
    u->groups_text = join_list(u->groups);
  u->non_unique = mod_arg_bool(args, "non_unique", 0) == 1;
  u->force = mod_arg_bool(args, "force", 0) == 1;
  u->remove = mod_arg_bool(args, "remove", 0) == 1;
  u->create_home = mod_arg_bool(args, "create_home", 1) != 0;
  u->system = mod_arg_bool(args, "system", 0) == 1;
  u->move_home = mod_arg_bool(args, "move_home", 0) == 1;
  u->append = mod_arg_bool(args, "append", 0) == 1;
  u->password_lock = mod_arg_bool(args, "password_lock", -1);
  static const char *const ints[] = {"uid", "password_expire_max", "password_expire_min"};
  long long *vals[] = {&u->uid, &u->exp_max, &u->exp_min};
  int *has[] = {&u->has_uid, &u->has_max, &u->has_min};
  for (int i = 0; i < 3; i++) {
    *has[i] = mod_arg_int(args, ints[i], vals[i]);
    if (*has[i] < 0) {
      *err = mod_fail_result("argument '%s' is of type <class 'str'> and we were unable to convert to int: "
                             "invalid literal for int() with base 10",
                             ints[i]);
      return false;
    }
  }
  RtValue *e = rt_dict_get(args, "expires");
  if (e && rt_kind(e) != RT_NONE) {
    char *t = mod_arg_str(args, "expires"), *end;
    u->expires = strtod(t, &end);
    bool okv = *t && !*end;
    free(t);
    if (!okv) {
      *err = mod_fail_result("argument 'expires' is of type <class 'str'> and we were unable to convert to float");
      return false;
    }
    u->has_expires = true;
  }
  u->genkey = mod_arg_bool(args, "generate_ssh_key", 0) == 1;
  u->key_type = mod_arg_str(args, "ssh_key_type");
  if (!u->key_type)
    u->key_type = rt_xstrdup("rsa");
  u->key_file = mod_arg_str(args, "ssh_key_file");
  u->key_comment = mod_arg_str(args, "ssh_key_comment");
  u->key_pass = mod_arg_str(args, "ssh_key_passphrase");
  if (mod_arg_int(args, "ssh_key_bits", &u->key_bits) < 0) {
    *err = mod_fail_result("argument 'ssh_key_bits' is of type <class 'str'> and we were unable to convert to int: "
                           "invalid literal for int() with base 10");
    return false;
  }
  if (u->umask && mod_arg_bool(args, "local", 0) == 1) {
    *err = mod_fail_result("'umask' can not be used with 'local'");
    return false;
  }
  return true;
}

/* The warnings Ansible's User gives for the arguments (a list, or NULL). */
static RtValue *arg_warnings(const User *u) {
  RtValue *w = rt_list_new(2);
  if (!u->groups && u->append)
    rt_list_push(w, rt_strz("'append' is set, but no 'groups' are specified. Use 'groups' for appending new "
                            "groups.This will change to an error in Ansible 2.14."));
  const char *p = u->password;
  if (p && *p && strcmp(p, "*") && strcmp(p, "!") && strcmp(p, "*************")) {
    bool bad = strpbrk(p, ":*!") != NULL || !strchr(p, '$');
    if (!bad) {
      int nf = 1;
      for (const char *q = p; *q; q++)
        nf += *q == '$';
      const char *last = strrchr(p, '$') + 1, *second = strchr(p, '$') + 1;
      size_t ll = strlen(last);
      if (nf < 3)
        bad = true;
      for (const char *q = last; *q && !bad; q++)
        bad = !(isalnum((unsigned char)*q) || *q == '.' || *q == '/' || *q == '=');
      if (!bad && second[0] && second[1] == '$') {
        if ((second[0] == '1' && ll != 22) || (second[0] == '5' && ll != 43) || (second[0] == '6' && ll != 86))
          bad = true;
      }
    }
    if (bad)
      rt_list_push(w, rt_strz("The input password appears not to have been hashed. The 'password' argument "
                              "must be encrypted for this module to work properly."));
  }
  if (!rt_len(w)) {
    rt_decref(w);
    return NULL;
  }
  return w;
}

/* Python's str.strip() of a record (NULL stays NULL). */
static RtValue *stripped(const char *t) {
  if (!t)
    return rt_none();
  while (*t && isspace((unsigned char)*t))
    t++;
  size_t n = strlen(t);
  while (n && isspace((unsigned char)t[n - 1]))
    n--;
  return rt_str(t, n);
}

/* The ssh key step's part of the result (records of key_script in `kx`):
 * the module's failure replaces `r`; else its keys, changed and warnings. */
static RtValue *key_result(const User *u, RtValue *r, const RtExec *kx, RtValue **warn) {
  if (!mod_rec(kx, "kfile") && !mod_rec(kx, "kfail"))
    return r;
  RtValue *kw = rt_dict_get(kx->rec, "kwarn");
  for (size_t i = 0; kw && rt_kind(kw) == RT_LIST && i < rt_len(kw); i++) {
    if (!*warn)
      *warn = rt_list_new(2);
    rt_list_push(*warn, rt_incref(rt_list_at(kw, i)));
  }
  if (mod_rec(kx, "kfail")) {
    rt_decref(r);
    r = mod_fail_result("%s", mod_rec(kx, "kfail"));
    rt_dict_set(r, "name", rt_strz(u->name));
    rt_dict_set(r, "rc", rt_int(mod_rec_int(kx, "krc", 1)));
    return r;
  }
  if (mod_rec(kx, "kgen"))
    rt_dict_set(r, "changed", rt_bool(true));
  rt_dict_set(r, "ssh_fingerprint", stripped(mod_rec(kx, "kfp")));
  rt_dict_set(r, "ssh_key_file", rt_strz(mod_rec(kx, "kfile")));
  rt_dict_set(r, "ssh_public_key", stripped(mod_rec(kx, "kpub")));
  return r;
}

RtValue *mod_user(RtHost *h, RtValue *args) {
  User u = {0};
  RtValue *r = NULL, *warn = NULL;
  RtBuf s = {0};
  ModArgv cmd = {0};
  char *err = NULL;
  RtExec st = {0}, ex = {0};
  bool have_st = false, have_ex = false;
  if (!read_args(&u, args, &r))
    goto done;
  warn = arg_warnings(&u);
  state_script(&s, &u);
  if (rt_host_exec(h, s.data, NULL, 0, &st, &err) < 0)
    goto done;
  have_st = true;
  if ((r = mod_tool_failure(&st)) != NULL)
    goto done;
  read_state(&u, &st);
  bool run, creating;
  if ((r = decide(&u, h, &cmd, &run, &creating)) != NULL)
    goto done;
  bool present = u.state[0] == 'p';
  bool key_todo = u.genkey && present && mod_rec(&st, "kgen") != NULL; /* request 1 looked ahead */
  if (h->check_mode || (!run && (!present || !u.exists || (!extras_differ(&u, &st) && !key_todo)))) {
    r = final_result(&u, h, h->check_mode ? &st : NULL, run, creating);
    if (u.genkey && present && rt_dict_get(r, "failed") == NULL)
      r = key_result(&u, r, &st, &warn);
    goto done;
  }
  rt_buf_free(&s);
  apply_script(&s, &u, run ? &cmd : NULL, creating);
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) < 0)
    goto done;
  have_ex = true;
  if ((r = mod_tool_failure(&ex)) != NULL)
    goto done;
  long long rc = mod_rec_int(&ex, "rc", 0);
  if (rc != 0) {
    r = cmd_failure(&u, &ex, rc);
    goto done;
  }
  if (mod_rec(&ex, "homefail")) {
    r = mod_fail_result("could not create the home folder of %s", u.name);
    goto done;
  }
  r = final_result(&u, h, &ex, run, creating);
  if (u.genkey && present && rt_dict_get(r, "failed") == NULL)
    r = key_result(&u, r, &ex, &warn);
done:
  if (r && warn)
    rt_dict_set(r, "warnings", rt_incref(warn));
  rt_decref(warn);
  if (have_st)
    rt_exec_free(&st);
  if (have_ex)
    rt_exec_free(&ex);
  mod_argv_free(&cmd);
  rt_buf_free(&s);
  free(err);
  user_free(&u);
  return r;
}

#endif
