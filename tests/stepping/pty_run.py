#!/usr/bin/python3
"""pty_run.py ANSWERS COMMAND...: runs COMMAND on a new pseudo-terminal (as
an operator's shell would), answers each --step question in turn with the
next of ANSWERS (comma-separated; "n" once they run out), and prints what
the terminal showed, CR LF as LF and readline's bracketed-paste switches
dropped. Exits with the command's status."""
import os
import pty
import re
import select
import sys
import time

answers = [a for a in sys.argv[1].split(",") if a]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out = b""
asked = 0
deadline = time.time() + 120
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if not ready:
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
    if out.endswith(b"(N)o/(y)es/(c)ontinue: "):
        answer = answers[asked] if asked < len(answers) else "n"
        asked += 1
        os.write(fd, answer.encode() + b"\r")
_, status = os.waitpid(pid, 0)
text = out.decode("utf-8", "replace").replace("\r\n", "\n")
text = re.sub(r"\x1b\[\?(2004|1034)[hl]", "", text)
sys.stdout.write(text)
sys.exit(os.waitstatus_to_exitcode(status))
