#!/usr/bin/env python3
"""perhost.py < NORMALISED > PER_HOST — a normalised run (normalize.py's
output) regrouped by host, for the playbooks that run the free and
host_pinned strategies (tests/structure/strategy_*.yml).

Under those strategies every host goes through its tasks on its own, so
the order in which results arrive, and the TASK banners the default
callback prints between them (one whenever a result's task is not the last
one announced), depend on timing. What does not: each host's own sequence
of tasks and outcomes within a play. So each play becomes, for every host
in name order, "HOST [name]" and that host's banners and records as they
came; records of no host (included: lines, other lines such as a warning's
wrapped tail) follow, sorted, without the banner they happened to follow;
NO MORE HOSTS LEFT closes its play. Everything else is kept as it was.
"""
import re
import sys

HOST = re.compile(r"^  (?:\w+|FAILED - RETRYING): \[([^\]]+)\]")


def regroup(lines):
    out = []
    play = None  # {host: [lines]}, last banner per host, trailing markers

    def flush():
        nonlocal play
        if play is None:
            return
        for host in sorted(play["hosts"]):
            out.append("HOST [%s]" % host)
            out.extend(play["hosts"][host])
        out.extend(sorted(play["loose"]))
        out.extend(play["end"])
        play = None

    banner = None
    host = None
    for line in lines:
        if line.startswith("PLAY RECAP"):
            flush()
            out.append(line)
            banner = None
            continue
        if line.startswith("PLAY ["):
            flush()
            out.append(line)
            play = {"hosts": {}, "last": {}, "loose": [], "end": []}
            banner = None
            continue
        if play is None:
            out.append(line)
            continue
        if line == "NO MORE HOSTS LEFT":
            play["end"].append(line)
            continue
        if re.match(r"^(TASK|RUNNING HANDLER) \[", line):
            banner = line
            host = None
            continue
        m = HOST.match(line)
        if m:
            host = m.group(1)
            recs = play["hosts"].setdefault(host, [])
            if banner and play["last"].get(host) != banner:
                recs.append(banner)
                play["last"][host] = banner
            recs.append(line)
        elif line.startswith("  included: ") or line.startswith("  ? "):
            host = None
            play["loose"].append(line)  # under whichever banner came last: timing
        elif host is not None:
            play["hosts"][host].append(line)  # a record's body, ...ignoring
        else:
            play["loose"].append(line)
    flush()
    return out


if __name__ == "__main__":
    text = sys.stdin.read().split("\n")
    if text and text[-1] == "":
        text.pop()
    sys.stdout.write("\n".join(regroup(text)) + "\n")
