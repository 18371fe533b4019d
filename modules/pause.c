/*
 * pause.c — the pause action, on the controller: waits `seconds` or
 * `minutes` (an interrupt ends the wait and the run), or, with neither,
 * waits for Enter at a prompt. Its lines print as Ansible's display prints
 * them ("Pausing for N seconds", the Ctrl+C hint, the prompt). Without a
 * terminal on stdin there is nobody to answer: as Ansible, a prompt
 * without a timeout warns "Not waiting for response to prompt as stdin is
 * not interactive" and goes on, and a timed pause just waits. With a
 * terminal, the input is read in raw mode as Ansible reads it: Enter ends
 * it, backspace edits, echo off hides it, Ctrl+C then C continues or A
 * aborts ("user requested abort!").
 */
#include "mod.h"

static const ModParam pause_params[] = {
    {.name = "minutes", .type = MP_RAW},
    {.name = "seconds", .type = MP_RAW},
    {.name = "prompt", .type = MP_STR},
    {.name = "echo", .type = MP_BOOL, .def = "true"},
};
const ModSchema mod_schema_pause = {
    .name = "pause",
    .params = pause_params,
    .nparams = MOD_N(pause_params),
    .controller_only = true,
    .exclusive = "minutes,seconds",
    .check_mode = true,
};

#ifndef MOD_SCHEMA_ONLY

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static double mono(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void say(RtHost *h, const char *text) {
  rt_out_lock(h->run);
  fputs(text, stdout);
  fputc('\n', stdout);
  fflush(stdout);
  pthread_mutex_unlock(&h->run->out_lock);
}

/* Python's repr(round(x, 2)) for the values a pause gives. */
static void round2(char *buf, size_t cap, double x) {
  snprintf(buf, cap, "%.2f", round(x * 100) / 100);
  size_t n = strlen(buf);
  while (n > 0 && buf[n - 1] == '0' && n >= 2 && buf[n - 2] != '.')
    buf[--n] = 0;
}

/* int(v) for the action's `int` argument type; -1 when invalid, -2 absent. */
static long long int_arg(RtValue *args, const char *name, char **why) {
  RtValue *v = rt_dict_get(args, name);
  if (!v || rt_kind(v) == RT_NONE)
    return -2;
  long long n;
  if (mod_arg_int(args, name, &n) == 1)
    return n;
  RtBuf b = {0};
  rt_render_str(&b, v);
  *why = rt_xasprintf("argument '%s' is of type <class 'str'> and we were unable to convert to int: invalid "
                      "literal for int() with base 10: '%s'",
                      name, b.data ? b.data : "");
  rt_buf_free(&b);
  return -1;
}

/* The foreground terminal on stdin (Ansible's is_interactive). */
static bool interactive(void) {
  return isatty(0) && tcgetpgrp(0) == getpgrp();
}

/* Reads keys in raw mode until Enter (or the deadline when > 0). Returns 0,
 * or -1 when the user aborted. The input goes to `input`. */
static int read_keys(RtHost *h, double deadline, bool echo, RtBuf *input) {
  struct termios old, raw;
  tcgetattr(0, &old);
  raw = old;
  cfmakeraw(&raw);
  if (deadline <= 0 && echo)
    raw.c_lflag |= ECHO;
  tcsetattr(0, TCSANOW, &raw);
  tcflush(0, TCIFLUSH);
  int rc = 0;
  for (;;) {
    if (rt_interrupted())
      break;
    double left = deadline > 0 ? deadline - mono() : 0.1;
    if (deadline > 0 && left <= 0)
      break;
    struct pollfd p = {0, POLLIN, 0};
    int n = poll(&p, 1, (int)(left > 0.1 ? 100 : left * 1000 + 1));
    if (n <= 0)
      continue;
    char c;
    if (read(0, &c, 1) != 1)
      break;
    if (c == old.c_cc[VINTR]) { /* Ctrl+C: continue or abort */
      say(h, "Press 'C' to continue the play or 'A' to abort \r");
      char k = 0;
      while (read(0, &k, 1) == 1 && k != 'c' && k != 'C' && k != 'a' && k != 'A') {
      }
      rc = k == 'a' || k == 'A' ? -1 : 0;
      break;
    }
    if (deadline > 0)
      continue;
    if (c == '\r' || c == '\n')
      break;
    if (c == old.c_cc[VERASE] || c == 0x7f || c == 0x08) {
      if (input->len)
        input->data[--input->len] = 0;
      continue;
    }
    rt_buf_add(input, &c, 1);
  }
  tcsetattr(0, TCSADRAIN, &old);
  return rc;
}

RtValue *mod_pause(RtHost *h, RtValue *args) {
  char *why = NULL, *prompt = mod_arg_str(args, "prompt");
  long long minutes = int_arg(args, "minutes", &why), seconds = minutes == -1 ? 0 : int_arg(args, "seconds", &why);
  int echo = mod_arg_bool(args, "echo", 1);
  RtValue *r = NULL;
  if (why) {
    r = mod_fail_result("%s", why);
    goto out;
  }
  const char *unit = minutes >= 0 ? "minutes" : "seconds";
  long long secs = minutes >= 0 ? minutes * 60 : seconds >= 0 ? seconds : -1;
  const char *hidden = echo ? "" : " (output is hidden)";
  const char *name = h->task && h->task->name[0] ? h->task->name : "pause";
  char *full_prompt = rt_xasprintf("[%s]\n%s%s:", name, prompt ? prompt : "Press enter to continue, Ctrl+C to interrupt",
                                   hidden);
  struct timespec t0, t1;
  clock_gettime(CLOCK_REALTIME, &t0);
  double start = mono();
  RtBuf input = {0};
  rt_buf_add(&input, "", 0);
  bool tty = interactive(), aborted = false;
  if (secs >= 0) {
    if (secs < 1)
      secs = 1;
    char *line = rt_xasprintf("Pausing for %lld seconds%s", secs, hidden);
    say(h, line);
    free(line);
    say(h, "(ctrl+C then 'C' = continue early, ctrl+C then 'A' = abort)\r");
    if (prompt)
      say(h, full_prompt);
    if (tty)
      aborted = read_keys(h, start + (double)secs, echo == 1, &input) < 0;
    else
      rt_sleep((double)secs);
  } else {
    say(h, full_prompt);
    if (tty)
      aborted = read_keys(h, 0, echo == 1, &input) < 0;
    else
      rt_out_warning(h->run, "Not waiting for response to prompt as stdin is not interactive");
  }
  free(full_prompt);
  if (rt_interrupted()) {
    rt_buf_free(&input);
    goto out;
  }
  if (aborted) {
    r = mod_raise(rt_xstrdup("user requested abort!"));
    rt_buf_free(&input);
    goto out;
  }
  clock_gettime(CLOCK_REALTIME, &t1);
  double d = mono() - start;
  char ts0[40], ts1[40], num[32];
  mod_time_text(ts0, sizeof ts0, &t0);
  mod_time_text(ts1, sizeof ts1, &t1);
  round2(num, sizeof num, minutes >= 0 ? d / 60.0 : d);
  char *out = rt_xasprintf("Paused for %s %s", num, unit);
  r = rt_dict_new(10);
  rt_dict_set(r, "changed", rt_bool(false));
  rt_dict_set(r, "rc", rt_int(0));
  rt_dict_set(r, "stderr", rt_strz(""));
  rt_dict_set(r, "stdout", rt_str_take(out, strlen(out)));
  rt_dict_set(r, "start", rt_strz(ts0));
  rt_dict_set(r, "stop", rt_strz(ts1));
  rt_dict_set(r, "delta", rt_int((int64_t)d));
  rt_dict_set(r, "echo", rt_bool(echo != 0));
  rt_dict_set(r, "user_input", rt_str(input.data, input.len));
  rt_buf_free(&input);
out:
  free(why);
  free(prompt);
  return r;
}

#endif
