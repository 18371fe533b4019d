/*
 * conn_shell.h — the framed persistent shell (conn.c) that the local and SSH
 * connections embed: a connection supplies a byte writer for the shell's
 * stdin and a reader for its stdout/stderr; conn.c does the framing.
 */
#ifndef PLAYC_CONN_SHELL_H
#define PLAYC_CONN_SHELL_H

#include "rt.h"

typedef struct RtShell RtShell;
struct RtShell {
  RtConn base;
  char token[32];
  unsigned long seq;
  /* Writes all of buf to the shell's stdin; 0 or -1 with *err. */
  int (*write)(RtShell *s, const char *buf, size_t len, char **err);
  /* Blocks until some output arrives on a stream still wanted (want_out:
   * stdout, want_err: stderr); stores 0 (stdout) or 1 (stderr) in *stream.
   * Returns the byte count, 0 at end of stream, -1 with *err. */
  long (*read)(RtShell *s, bool want_out, bool want_err, int *stream, char *buf, size_t cap,
               char **err);
};

/* Sets a fresh random token (markers cannot be guessed by command output). */
void rt_shell_init(RtShell *s);
/* One framed request: runs `script`, fills res. 0, or -1 with *err. */
int rt_shell_exec(RtShell *s, const char *script, const char *in, size_t inlen, RtExec *res,
                  char **err);

#endif
