/*
 * reconnect.c — the two actions that expect a target to go away and come
 * back: wait_for_connection and reboot. Both run on the controller and use
 * the host's own connection: rt_host_reset closes it (and forgets a failure
 * to reach the host) so each try connects afresh, the way Ansible's actions
 * call connection.reset(); a request that answers is the proof of life
 * (ping's, for wait_for_connection). Waits sleep with rt_sleep, so an
 * interrupt ends them at once.
 *
 * reboot: on the target, the boot id (boot_time_command), then the reboot
 * command (`shutdown -r MIN "MSG"` found in search_paths, or
 * reboot_command); the connection going away during it is expected. Then,
 * with exponential backoff as Ansible's, until reboot_timeout: a new boot
 * id, then test_command succeeding. Commands given as text run through the
 * target's sh, as Ansible's low-level execution does.
 */
#include "mod.h"

static const ModParam wait_for_connection_params[] = {
    {.name = "connect_timeout", .type = MP_INT, .def = "5"},
    {.name = "delay", .type = MP_INT, .def = "0"},
    {.name = "sleep", .type = MP_INT, .def = "1"},
    {.name = "timeout", .type = MP_INT, .def = "600"},
};
const ModSchema mod_schema_wait_for_connection = {
    .name = "wait_for_connection",
    .params = wait_for_connection_params,
    .nparams = MOD_N(wait_for_connection_params),
    .check_mode = true,
};

static const ModParam reboot_params[] = {
    {.name = "boot_time_command", .type = MP_STR, .def = "cat /proc/sys/kernel/random/boot_id"},
    {.name = "connect_timeout", .type = MP_INT},
    {.name = "msg", .type = MP_STR, .def = "Reboot initiated by Ansible"},
    {.name = "post_reboot_delay", .type = MP_INT, .def = "0"},
    {.name = "pre_reboot_delay", .type = MP_INT, .def = "0"},
    {.name = "reboot_command", .type = MP_STR},
    {.name = "reboot_timeout", .type = MP_INT, .def = "600"},
    {.name = "search_paths", .type = MP_LIST, .elements = MP_STR,
     .def = "/sbin,/bin,/usr/sbin,/usr/bin,/usr/local/sbin"},
    {.name = "test_command", .type = MP_STR, .def = "whoami"},
};
const ModSchema mod_schema_reboot = {
    .name = "reboot",
    .params = reboot_params,
    .nparams = MOD_N(reboot_params),
    .tools = "shutdown",
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* connect_timeout: the host's connection timeout for the connections this
 * task opens (a task-level variable, dropped when the task ends). */
static void set_connect_timeout(RtHost *h, RtValue *args) {
  long long ct;
  if (mod_arg_int(args, "connect_timeout", &ct) == 1 && ct > 0)
    rt_host_set_var(h, RT_LV_LOOP, "ansible_ssh_timeout", rt_int(ct));
}

/* One request on a fresh connection; 0 with *ex filled, -1 (the reason in
 * *why) when the host did not answer, -2 when the run was interrupted. */
static int try_exec(RtHost *h, const char *script, RtExec *ex, char **why) {
  rt_host_reset(h);
  char *err = NULL;
  if (rt_host_exec(h, script, NULL, 0, ex, &err) == 0) {
    free(err);
    return 0;
  }
  if (rt_interrupted()) {
    free(err);
    return -2;
  }
  free(*why);
  *why = err ? err : rt_xstrdup("unreachable");
  return -1;
}

RtValue *mod_wait_for_connection(RtHost *h, RtValue *args) {
  long long ct = 5, delay = 0, sl = 1, timeout = 600;
  mod_arg_int(args, "connect_timeout", &ct);
  mod_arg_int(args, "delay", &delay);
  mod_arg_int(args, "sleep", &sl);
  mod_arg_int(args, "timeout", &timeout);
  if (h->check_mode) {
    RtValue *r = rt_dict_new(1);
    rt_dict_set(r, "skipped", rt_bool(true));
    return r;
  }
  set_connect_timeout(h, args);
  double start = now_s(), end;
  if (delay > 0 && !rt_sleep((double)delay))
    return NULL;
  end = now_s() + (double)timeout;
  char *why = NULL;
  bool up = false;
  if (rt_conn_wants_local(h)) /* Ansible's local connection has no reset() */
    rt_out_warning(h->run, "Reset is not implemented for this connection");
  while (now_s() < end) {
    RtExec ex;
    int rc = try_exec(h, ":", &ex, &why);
    if (rc == -2) {
      free(why);
      return NULL;
    }
    if (rc == 0) {
      rt_exec_free(&ex);
      up = true;
      break;
    }
    if (!rt_sleep((double)sl)) {
      free(why);
      return NULL;
    }
  }
  RtValue *r = rt_dict_new(3);
  if (!up) {
    /* the host stays reachable for the strategy: this is a failed task */
    rt_host_reset(h);
    char *m = rt_xasprintf("timed out waiting for ping module test: %s", why ? why : "timed out");
    rt_dict_set(r, "failed", rt_bool(true));
    rt_dict_set(r, "msg", rt_str_take(m, strlen(m)));
  }
  rt_dict_set(r, "elapsed", rt_int((int64_t)(now_s() - start)));
  free(why);
  return r;
}

static RtValue *reboot_fail(bool rebooted, const char *key, const char *msg, double start) {
  RtValue *r = rt_dict_new(5);
  rt_dict_set(r, "failed", rt_bool(true));
  rt_dict_set(r, key, rt_bool(rebooted));
  rt_dict_set(r, "msg", rt_strz(msg));
  if (start > 0)
    rt_dict_set(r, "elapsed", rt_int((int64_t)(now_s() - start)));
  return r;
}

/* Runs `cmd` through sh on the target: 0 with its output in *ex. */
static int run_text(RtHost *h, const char *cmd, RtExec *ex, char **why, bool fresh) {
  RtBuf s = {0};
  mod_sh_set(&s, "c", cmd);
  rt_buf_puts(&s, "/bin/sh -c \"$c\"; __playc_rec rc $?\n");
  int rc;
  if (fresh) {
    rc = try_exec(h, s.data, ex, why);
  } else {
    char *err = NULL;
    rc = rt_host_exec(h, s.data, NULL, 0, ex, &err) == 0 ? 0 : rt_interrupted() ? -2 : -1;
    if (rc == -1) {
      free(*why);
      *why = err;
    } else {
      free(err);
    }
  }
  rt_buf_free(&s);
  return rc;
}

static char *strip_dup(const RtBuf *b) {
  const char *p = b->data ? b->data : "";
  while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
    p++;
  size_t n = strlen(p);
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\n' || p[n - 1] == '\t' || p[n - 1] == '\r'))
    n--;
  return rt_xstrndup(p, n);
}

/* do_until_success_or_timeout over `step`: 0, -1 timed out, -2 interrupted. */
static int until_ok(RtHost *h, double timeout, int (*step)(RtHost *, void *), void *ctx) {
  double end = now_s() + timeout;
  int fails = 0;
  while (now_s() < end) {
    int rc = step(h, ctx);
    if (rc == 0 || rc == -2)
      return rc;
    double sl = (double)(1 << (fails < 4 ? fails : 4)) + (double)(rand() % 1000) / 1000.0;
    if (sl > 12)
      sl = 12 + (double)(rand() % 1000) / 1000.0;
    fails++;
    if (!rt_sleep(sl))
      return -2;
  }
  return -1;
}

typedef struct BootCheck {
  const char *cmd, *previous;
} BootCheck;

static int boot_changed(RtHost *h, void *ctx) {
  BootCheck *b = ctx;
  RtExec ex;
  char *why = NULL;
  int rc = run_text(h, b->cmd, &ex, &why, true);
  free(why);
  if (rc != 0)
    return rc;
  char *cur = strip_dup(&ex.out);
  bool changed = mod_rec_int(&ex, "rc", 1) == 0 && *cur && strcmp(cur, b->previous) != 0;
  free(cur);
  rt_exec_free(&ex);
  return changed ? 0 : -1;
}

static int test_ok(RtHost *h, void *ctx) {
  RtExec ex;
  char *why = NULL;
  int rc = run_text(h, ctx, &ex, &why, false);
  free(why);
  if (rc != 0) {
    if (rc == -1)
      rt_host_reset(h);
    return rc;
  }
  bool ok = mod_rec_int(&ex, "rc", 1) == 0;
  rt_exec_free(&ex);
  return ok ? 0 : -1;
}

/* The reboot command: reboot_command, or shutdown from search_paths. */
static char *reboot_command(RtHost *h, RtValue *args, RtValue **fail) {
  char *given = mod_arg_str(args, "reboot_command");
  if (given)
    return given;
  long long pre = 0;
  mod_arg_int(args, "pre_reboot_delay", &pre);
  char *msg = mod_arg_str(args, "msg");
  RtValue *paths = mod_arg_list(args, "search_paths");
  RtBuf s = {0}, list = {0};
  rt_buf_puts(&s, "for d in");
  rt_buf_puts(&list, "[");
  static const char *const def[] = {"/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"};
  size_t n = paths ? rt_len(paths) : 5;
  for (size_t i = 0; i < n; i++) {
    const char *p = paths ? rt_list_at(paths, i)->u.str.s : def[i];
    rt_buf_putc(&s, ' ');
    rt_sh_quote(&s, p);
    rt_buf_printf(&list, "%s'%s'", i ? ", " : "", p);
  }
  rt_buf_puts(&list, "]");
  rt_buf_puts(&s, "; do [ -x \"$d/shutdown\" ] && { __playc_rec bin \"$d/shutdown\"; break; }; done\n");
  RtExec ex;
  char *err = NULL, *cmd = NULL;
  if (rt_host_exec(h, s.data, NULL, 0, &ex, &err) == 0) {
    if (mod_rec(&ex, "bin"))
      cmd = rt_xasprintf("%s -r %lld \"%s\"", mod_rec(&ex, "bin"), pre / 60,
                         msg ? msg : "Reboot initiated by Ansible");
    else
      *fail = mod_fail_result("Unable to find command \"shutdown\" in search paths: %s", list.data);
    rt_exec_free(&ex);
  }
  free(err);
  free(msg);
  rt_decref(paths);
  rt_buf_free(&s);
  rt_buf_free(&list);
  return cmd;
}

RtValue *mod_reboot(RtHost *h, RtValue *args) {
  if (rt_conn_wants_local(h)) {
    RtValue *r = reboot_fail(false, "rebooted", "Running reboot with local connection would reboot the control node.", 0);
    rt_dict_set(r, "changed", rt_bool(false));
    rt_dict_set(r, "elapsed", rt_int(0));
    return r;
  }
  if (h->check_mode) {
    RtValue *r = rt_dict_new(3);
    rt_dict_set(r, "changed", rt_bool(true));
    rt_dict_set(r, "elapsed", rt_int(0));
    rt_dict_set(r, "rebooted", rt_bool(true));
    return r;
  }
  char *boot_cmd = mod_arg_str(args, "boot_time_command"), *test = mod_arg_str(args, "test_command");
  long long post = 0, timeout = 600;
  mod_arg_int(args, "post_reboot_delay", &post);
  mod_arg_int(args, "reboot_timeout", &timeout);
  RtValue *r = NULL;
  RtExec ex;
  char *why = NULL, *previous = NULL, *cmd = NULL;
  const char *bc = boot_cmd ? boot_cmd : "cat /proc/sys/kernel/random/boot_id";
  if (run_text(h, bc, &ex, &why, false) != 0)
    goto done;
  if (mod_rec_int(&ex, "rc", 1) != 0) {
    char *out = ex.out.data ? ex.out.data : "", *e = ex.err.data ? ex.err.data : "";
    char *m = rt_xasprintf("reboot: failed to get host boot time info, rc: %lld, stdout: %s, stderr: %s",
                           mod_rec_int(&ex, "rc", 1), out, e);
    r = reboot_fail(false, "reboot", m, 0);
    free(m);
    rt_exec_free(&ex);
    goto done;
  }
  previous = strip_dup(&ex.out);
  rt_exec_free(&ex);
  if (!(cmd = reboot_command(h, args, &r)))
    goto done;
  double start = now_s();
  int rc = run_text(h, cmd, &ex, &why, false);
  if (rc == -2)
    goto done;
  if (rc == 0) {
    if (mod_rec_int(&ex, "rc", 0) != 0) {
      char *o = strip_dup(&ex.out), *e = strip_dup(&ex.err);
      char *m = rt_xasprintf("Reboot command failed. Error was: '%s, %s'", o, e);
      r = reboot_fail(false, "rebooted", m, start);
      free(m);
      free(o);
      free(e);
      rt_exec_free(&ex);
      goto done;
    }
    rt_exec_free(&ex);
  }
  /* the connection may have gone with the reboot: that is success */
  rt_host_reset(h);
  set_connect_timeout(h, args);
  if (post > 0 && !rt_sleep((double)post))
    goto done;
  BootCheck bcheck = {bc, previous};
  const char *phase = "last boot time check";
  rc = until_ok(h, (double)timeout, boot_changed, &bcheck);
  if (rc == 0) {
    phase = "post-reboot test command";
    rc = until_ok(h, (double)timeout, test_ok, test ? test : "whoami");
  }
  if (rc == -2)
    goto done;
  if (rc == -1) {
    rt_host_reset(h);
    char *m = rt_xasprintf("Timed out waiting for %s (timeout=%lld)", phase, timeout);
    r = reboot_fail(true, "rebooted", m, start);
    free(m);
    goto done;
  }
  r = rt_dict_new(3);
  rt_dict_set(r, "rebooted", rt_bool(true));
  rt_dict_set(r, "changed", rt_bool(true));
  rt_dict_set(r, "elapsed", rt_int((int64_t)(now_s() - start)));
done:
  free(why);
  free(previous);
  free(cmd);
  free(boot_cmd);
  free(test);
  return r;
}

#endif
