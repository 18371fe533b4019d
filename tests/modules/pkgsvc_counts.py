#!/usr/bin/python3
"""pkgsvc_counts.py STRACE...: per task of a playc run traced with
`strace -f -e trace=write,execve -s 2000000 -o FILE` (connection local), the
framed requests the controller sent and the processes started on the
target (successful execve calls outside the controller's process), as
"task<TAB>requests<TAB>processes" lines.

A request is the framing's trailer (the `.end` record's printf, written once
at the end of every request); tasks are told apart by the "TASK [name]"
banners the controller writes to stdout. The connection's own /bin/sh is
counted with the first task that opens it.
"""
import re
import sys

LINE = re.compile(r"^(\d+)\s+(.*)$")
TASK = re.compile(r'^write\(1, ".*?TASK \[(.*?)\] \*')
END = re.compile(r"\.end\\\\0")


def main(path):
    rows, cur, ctrl = [], None, None
    for raw in open(path, encoding="utf-8", errors="replace"):
        m = LINE.match(raw)
        if not m:
            continue
        pid, call = m.group(1), m.group(2)
        if ctrl is None:
            ctrl = pid
        t = TASK.match(call) if pid == ctrl else None
        if t:
            cur = [t.group(1), 0, 0]
            rows.append(cur)
            continue
        if cur is None:
            continue
        if pid == ctrl and call.startswith("write(") and END.search(call):
            cur[1] += 1
        elif pid != ctrl and (call.startswith("execve(") or call.startswith("<... execve resumed>")) \
                and call.rstrip().endswith("= 0"):
            cur[2] += 1
    for name, req, procs in rows:
        print("%s\t%d\t%d" % (name, req, procs))


if __name__ == "__main__":
    for p in sys.argv[1:]:
        main(p)
