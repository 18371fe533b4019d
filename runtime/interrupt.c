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
 */
#include "rt.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int interrupted; /* atomic: 0, or the signal that arrived first */

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
  return __atomic_load_n(&interrupted, __ATOMIC_SEQ_CST) != 0;
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
