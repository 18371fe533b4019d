#!/usr/bin/env python3
"""outline.py OUTPUT T U [VOLATILE...] — a run's output (ansible-playbook or a
playc binary, both with -v) reduced to what the module tests compare: each
TASK banner, each host line's status with its result (JSON, keys sorted;
timings and the keys named VOLATILE replaced by "<volatile>"), the warnings
and the recap. The run's temp folder T and unique name U are written <T>
and <U>, so fixtures recorded from ansible-playbook hold across runs."""
import json
import os
import re
import sys

path, tmp, uniq = sys.argv[1], sys.argv[2], sys.argv[3]
volatile = set(["delta", "start", "end", "stop", "elapsed", "invocation", "_ansible_no_log",
                "_ansible_verbose_always", "_ansible_item_label", "_ansible_delegated_vars"]
               + sys.argv[4:])


def norm(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k in volatile:
                out[k] = "<volatile>"
            elif k == "ansible_facts" and isinstance(x, dict):
                x = {a: b for a, b in x.items() if a != "discovered_interpreter_python"}
                if x:
                    out[k] = norm(x)
            else:
                out[text(k)] = norm(x)
        return out
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, str):
        return text(v)
    return v


KREL = os.uname().release


# a module's temp copy of a controller file or a download: Ansible's remote
# tmp, root's or an SSH user's (source, or fetch_file's name), playc's own (in
# /tmp or beside a dest under T)
TMPSRC = re.compile(r"/(?:root|home/[^/]+)/\.ansible/tmp/ansible-tmp-[^/]*/[\w.-]+|(?:/tmp|<T>(?:/[\w.-]+)*)/\.playc-tmp-[0-9a-f]+")


# the source tree (a controller file's search path in a message), wherever
# the repository is checked out
SRC = os.environ.get("PLAYC_SRC", "").rstrip("/") or None


def text(s):
    s = s.replace(tmp, "<T>").replace(uniq, "<U>").replace(KREL, "<KREL>")
    if SRC:
        s = s.replace(SRC + "/", "<SRC>/")
    return TMPSRC.sub("<TMPSRC>", s)


lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
out = []
i = 0
status = re.compile(r"^(ok|changed|skipping|fatal|failed|included): \[([^\]]*)\](.*)$")
while i < len(lines):
    line = lines[i]
    i += 1
    if line.startswith("TASK [") or line.startswith("RUNNING HANDLER ["):
        out.append(re.sub(r" \*+$", "", line))
        continue
    if line.startswith("PLAY RECAP"):
        out.append("RECAP")
        while i < len(lines) and lines[i].strip():
            out.append("  " + " ".join(lines[i].split()))
            i += 1
        continue
    if line.startswith("[WARNING]:"):
        w = line
        while i < len(lines) and lines[i].strip() and not status.match(lines[i]) and \
                not re.match(r"(TASK|PLAY|RUNNING|\[|\.\.\.|\{|\}|  )", lines[i]):
            w += " " + lines[i].strip()
            i += 1
        out.append("  " + text(w))
        continue
    m = status.match(line)
    if not m:
        continue
    head, rest = line, ""
    if " => " in line:
        head, rest = line.split(" => ", 1)
        if rest.startswith("(item="):  # loop item: "(item=x) => {...}"
            item, _, rest = rest.partition(" => ")
            head += " " + item
        if rest.strip() == "{":  # indented JSON (debug, verbose_always)
            buf = [rest]
            while i < len(lines):
                buf.append(lines[i])
                i += 1
                if lines[i - 1] == "}":
                    break
            rest = "\n".join(buf)
    head = re.sub(r": (FAILED|UNREACHABLE)!$", "", head)
    out.append("  " + text(head))
    if rest.strip():
        try:
            r = json.loads(rest)
            out.append("    " + json.dumps(norm(r), sort_keys=True))
        except ValueError:
            out.append("    " + text(rest.strip()))
print("\n".join(out))
