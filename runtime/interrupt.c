/*
 * interrupt.c — SIGINT, SIGTERM and SIGHUP, handled in one place. The signals
 * are blocked in every thread and taken by one thread that waits for them
 * (sigwait), so no handler ever runs in the middle of libssh, malloc or
 * stdio. The first signal sets the run-wide interrupted flag; everything
 * that waits on a target checks it at least every 100 ms, stops the remote
 * work of the request in flight (conn.c), and the scheduler stops starting
 * new work, so the run ends with its recap, its temp files removed and exit
 * code 99. A second signal ends the process at once, for an operator who will
 * not wait for the clean-up.
 *
 * The task keyword `timeout` reuses the same path for one host thread: while
 * a step's module runs under a deadline (rt_deadline_set), rt_interrupted()
 * answers true on that thread once the deadline has passed, so the request
 * in flight is stopped exactly as an interrupt stops it (its process group
 * killed on the target), and the step learns it timed out from
 * rt_deadline_end(). The deadline is thread-local: other hosts go on.
 */
#include "rt.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int interrupted; /* atomic: 0, or the signal that arrived first */
static _Thread_local int64_t deadline_ms; /* this thread's step deadline (CLOCK_MONOTONIC), 0: none */
static _Thread_local bool deadline_hit;   /* the deadline passed while it was set */

static int64_t mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void interrupt_signals(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
}

static void *wait_signals(void *arg) {
  sigset_t *set = arg;
  for (;;) {
    int sig = 0;
    if (sigwait(set, &sig) != 0)
      continue;
    int none = 0;
    if (!__atomic_compare_exchange_n(&interrupted, &none, sig, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) {
      static const char msg[] = "\n [ERROR]: User interrupted execution (again): exiting now\n";
      if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to do */
      }
      _exit(99);
    }
  }
  return NULL;
}

void rt_interrupt_init(void) {
  static sigset_t set;
  interrupt_signals(&set);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  pthread_t t;
  if (pthread_create(&t, NULL, wait_signals, &set) != 0)
    rt_panic(__FILE__, __LINE__, "pthread_create");
  pthread_detach(t);
}

bool rt_interrupted(void) {
  if (deadline_ms && !deadline_hit && mono_ms() >= deadline_ms)
    deadline_hit = true;
  return deadline_hit || __atomic_load_n(&interrupted, __ATOMIC_SEQ_CST) != 0;
}

void rt_deadline_set(int64_t seconds) {
  deadline_ms = seconds > 0 ? mono_ms() + seconds * 1000 : 0;
  deadline_hit = false;
}

bool rt_deadline_end(void) {
  bool hit = deadline_hit || (deadline_ms && mono_ms() >= deadline_ms);
  deadline_ms = 0;
  deadline_hit = false;
  return hit;
}

void rt_interrupt_raise(void) {
  int none = 0;
  __atomic_compare_exchange_n(&interrupted, &none, SIGINT, false, __ATOMIC_SEQ_CST,
                              __ATOMIC_SEQ_CST);
}

void rt_interrupt_child(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaction(sigs[i], &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

bool rt_sleep(double seconds) {
  while (seconds > 0 && !rt_interrupted()) {
    double step = seconds < 0.1 ? seconds : 0.1;
    struct timespec ts = {(time_t)step, (long)((step - (double)(time_t)step) * 1e9)};
    nanosleep(&ts, NULL);
    seconds -= step;
  }
  return !rt_interrupted();
}
