#!/usr/bin/python3
"""Runs a command on a new pseudo-terminal (its controlling terminal) and types
at its password prompts, for tests/run_vault.sh:

  tty.py [--interrupt] PASSWORD CMD [ARG...]

Each time the terminal shows a line ending in "password...: ", types PASSWORD
and Enter (with --interrupt, Ctrl-C instead). Prints what the terminal showed
(CR LF as LF), then "rc=N" (the exit status) and "echo=on|off": the terminal's
echo flag after the command ended, which a password prompt must restore.
"""
import fcntl
import os
import re
import select
import subprocess
import sys
import termios
import time

PROMPT = re.compile(rb"[Pp]assword[^\n]*: $")


def main():
    args = sys.argv[1:]
    interrupt = args[0] == "--interrupt"
    if interrupt:
        args = args[1:]
    password, cmd = args[0].encode(), args[1:]
    master, slave = os.openpty()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    shown, answered, deadline = b"", 0, time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            shown += data
            if PROMPT.search(shown) and shown.count(b": ") > answered:
                answered = shown.count(b": ")
                os.write(master, b"\x03" if interrupt else password + b"\n")
        elif proc.poll() is not None:
            break
    rc = proc.wait(timeout=10)
    echo = termios.tcgetattr(slave)[3] & termios.ECHO
    sys.stdout.write(shown.replace(b"\r\n", b"\n").decode(errors="replace"))
    print("\nrc=%d\necho=%s" % (rc, "on" if echo else "off"))


if __name__ == "__main__":
    main()
