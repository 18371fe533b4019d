#!/usr/bin/python3
"""pkgsvc_results.py OUTPUT: what a -v run of ansible-playbook or of a playc
binary printed, as comparable lines; pkgsvc_results.py --text FILE: the
file with the same run-specific names replaced (for end states).

One line per host result: the task name, the outcome (ok, changed, skipping,
fatal, failed, with "ignored" after "...ignoring"), and the result's JSON
with sorted keys, after normalisation: keys that only time things or that
only Python fills (invocation, start/end/delta, the interpreter discovery)
are dropped, and values that change from run to run (cache times, apt's
download statistics, temporary folder names) are replaced by a placeholder.
Multi-line results (debug var=..., and everything -vvv prints) are read
whole. [WARNING] lines are kept in place; PLAY RECAP rows close the listing.

The names a test run makes up (PKGSVC_SUBST: "value=placeholder" lines, the
longest first) are replaced everywhere, so results recorded on one run
(fixtures) compare with another's.
"""
import json
import os
import re
import sys

DROP = {"invocation", "start", "end", "delta", "_ansible_no_log"}

SUBS = [
    # apt's transfer statistics and timings, sizes of the packages built
    (re.compile(r"Fetched [0-9.,]+ [kMG]?B in [^\n]*"), "Fetched <stats>"),
    (re.compile(r"\b[0-9.,]+ [kMG]?B\b"), "<n> B"),
    (re.compile(r"\(Reading database \.\.\. [0-9]+ files"), "(Reading database ... <n> files"),
    # dpkg shortens the .deb's path to a width (the tag's length varies)
    (re.compile(r"Preparing to unpack [^ ]*/(playc-<tag>)"), r"Preparing to unpack .../\1"),
    (re.compile(r"\([0-9.,]+ [kMG]?B/s\)"), "(<rate>)"),
    # temporary folders the run made
    (re.compile(r"/tmp/playc-test\.[A-Za-z0-9]+"), "<work>"),
    # the same, as pip prints it relative to its working folder (/tmp)
    (re.compile(r"\./playc-test\.[A-Za-z0-9]+"), "<work>"),
    # the same in a sources file name apt_repository makes from a file: URI
    (re.compile(r"_tmp_playc_test_[A-Za-z0-9]+_"), "_<work>_"),
    (re.compile(r"\.playc-[a-z]+-[0-9a-f]{24}"), "<scratch>"),
    (re.compile(r"/(?:root/)?\.ansible/tmp/ansible-tmp-[0-9.-]+"), "<scratch>"),
    # a pip progress line
    (re.compile(r"\s*\d+% \|[^\n]*"), ""),
]

TIMES = {"cache_update_time"}

NAMES = []
for line in os.environ.get("PKGSVC_SUBST", "").split("\n"):
    if "=" in line:
        NAMES.append(tuple(line.split("=", 1)))
NAMES.sort(key=lambda p: -len(p[0]))


def subst(v):
    for old, new in NAMES:
        v = v.replace(old, new)
    return v


def norm(v, key=None):
    if isinstance(v, dict):
        d = {}
        for k, x in v.items():
            k = subst(k)
            if k in DROP:
                continue
            if k == "ansible_facts" and isinstance(x, dict):
                x = {a: b for a, b in x.items() if a != "discovered_interpreter_python"}
                if not x:
                    continue
            d[k] = norm(x, k)
        return d
    if isinstance(v, list):
        l = [norm(x, key) for x in v]
        if key == "diff" and all(isinstance(x, dict) for x in l):  # apt_repository: a set's order
            l.sort(key=lambda x: (x.get("after_header", ""), x.get("before_header", "")))
        return l
    if key in TIMES and isinstance(v, int):
        return "<time>" if v else 0
    if isinstance(v, str):
        v = subst(v)
        for rx, rep in SUBS:
            v = rx.sub(rep, v)
    return v


RESULT = re.compile(r"^(ok|changed|skipping|fatal|failed): \[([^\]]+)\](.*)$")


def main(path):
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    task = None
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(TASK|RUNNING HANDLER) \[(.*)\] \*+$", line)
        if m:
            task = m.group(2)
        elif line.startswith("[WARNING]: "):
            text = line
            while i + 1 < len(lines) and lines[i + 1].startswith(" ") and not RESULT.match(lines[i + 1]):
                i += 1
                text += " " + lines[i].strip()
            out.append("  " + norm(text))
        elif line.startswith("PLAY RECAP"):
            out.extend(re.sub(r"\s+", " ", l) for l in lines[i + 1:] if l.strip())
            break
        else:
            m = RESULT.match(line)
            if m:
                status, host, rest = m.groups()
                body = None
                at = rest.find("=> {")
                if at >= 0:
                    text = rest[at + 3:]
                    if text == "{":  # indented: read up to the closing brace
                        buf = ["{"]
                        while i + 1 < len(lines) and lines[i + 1] != "}":
                            i += 1
                            buf.append(lines[i])
                        i += 1
                        buf.append("}")
                        text = "\n".join(buf)
                    body = json.loads(text)
                    rest = rest[:at]
                if i + 1 < len(lines) and lines[i + 1] == "...ignoring":
                    status += " ignored"
                item = re.search(r"\(item=(.*)\)", rest)
                label = " (item=%s)" % item.group(1) if item else ""
                out.append("%s | %s%s | %s" % (norm(task), status, norm(label),
                                              json.dumps(norm(body), sort_keys=True)))
        i += 1
    print("\n".join(out))


if __name__ == "__main__":
    if sys.argv[1] == "--text":
        print(norm(open(sys.argv[2], encoding="utf-8", errors="replace").read()).rstrip("\n"))
    else:
        main(sys.argv[1])
