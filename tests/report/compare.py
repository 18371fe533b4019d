"""compare.py KIND OURS THEIRS: the json or junit report of a playc binary
against the ansible-playbook callback's, with times, ids, durations and the
module arguments Ansible echoes ("invocation", which playc does not return)
taken out. Prints the differences; exit status 1 when there are any."""
import json
import re
import sys

kind, ours, theirs = sys.argv[1:4]


def norm_json(path):
    d = json.load(open(path))
    for p in d["plays"]:
        p["play"]["duration"] = p["play"]["id"] = "X"
        for t in p["tasks"]:
            t["task"]["duration"] = t["task"]["id"] = "X"
            for r in t["hosts"].values():
                for k in ("invocation", "delta", "start", "end"):
                    r.pop(k, None)
    return json.dumps(d, indent=1, sort_keys=True).splitlines()


def norm_junit(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r'time="[-0-9.e]+"', 'time="T"', text)
    text = re.sub(r"(&quot;(delta|start|end)&quot;: &quot;)[^&]*&quot;", r"\1X&quot;", text)
    # hosts finish a task in any order: an include line's hosts sorted, and a
    # task's test cases sorted by host
    text = re.sub(r"(\): \[)([^\]\n]*)(\])", lambda m: m.group(1) + ", ".join(sorted(m.group(2).split(", "))) + m.group(3), text)

    parts = re.split(r"(?=\t\t<testcase )|(?<=</testcase>\n)", text)
    out, run, key = [], [], None
    for p in parts + [""]:
        m = re.match(r'\t\t<testcase classname="([^"]*)" name="\[[^\]]*\] ([^"]*)"', p)
        k = (m.group(1), m.group(2)) if m else None
        if run and k != key:
            out += sorted(run)
            run = []
        if m:
            run.append(p)
            key = k
        else:
            out.append(p)
            key = None
    return "".join(out).splitlines()


f = norm_json if kind == "json" else norm_junit
a, b = f(ours), f(theirs)
if a != b:
    import difflib
    sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(b, a, "ansible", "playc", lineterm=""))
    sys.exit(1)
