/*
 * conn_shell.h — the framed persistent shell (conn.c) that the local and SSH
 * connections embed: a connection supplies a byte writer for the shell's
 * stdin, a reader for its stdout/stderr that waits at most one tick, a
 * liveness check for idle ticks, and a way to stop the request in flight;
 * conn.c does the framing, the records and the interrupt policy.
 */
#ifndef PLAYC_CONN_SHELL_H
#define PLAYC_CONN_SHELL_H

#include "rt.h"

/* What RtShell.read returns when nothing arrived within one tick (100 ms). */
enum { RT_SHELL_IDLE = -2, RT_SHELL_TICK_MS = 100 };

typedef struct RtShell RtShell;
struct RtShell {
  RtConn base;
  char token[32];    /* 24 hex digits, 96 random bits: marks records and ends */
  unsigned long seq; /* requests sent */
  long pid;          /* the shell's pid (its process group), from the prelude; 0 unknown */
  /* Writes all of buf to the shell's stdin; 0 or -1 with *err. */
  int (*write)(RtShell *s, const char *buf, size_t len, char **err);
  /* Waits up to one tick for output on a stream still wanted (want_out:
   * stdout, want_err: stderr); stores 0 (stdout) or 1 (stderr) in *stream.
   * Returns the byte count, 0 at end of stream, RT_SHELL_IDLE when nothing
   * came, -1 with *err. */
  long (*read)(RtShell *s, bool want_out, bool want_err, int *stream, char *buf, size_t cap,
               char **err);
  /* Called on idle ticks: probes the connection when it has been silent too
   * long; 0, or -1 with *err once the host stopped answering. May be NULL. */
  int (*idle)(RtShell *s, char **err);
  /* Stops the request in flight and every process it started (the run was
   * interrupted), without waiting: level 0 asks (TERM, which lets request
   * scripts remove their temp files), level 1 asks again another way, level
   * 2 kills (KILL). The shell is gone afterwards. */
  void (*stop)(RtShell *s, int level);
};

/* Sets a fresh random token (records cannot be forged by command output). */
void rt_shell_init(RtShell *s);
/* One framed request: runs `script`, fills res. 0, or -1 with *err (the
 * connection is then lost, or the run interrupted and the request stopped). */
int rt_shell_exec(RtShell *s, const char *script, const char *in, size_t inlen, RtExec *res,
                  char **err);
#endif
