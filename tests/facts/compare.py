#!/usr/bin/env python3
"""compare.py — facts of one host as ansible-playbook and a playc binary print
them (`debug: var=ansible_facts`, the first such dump in each output),
compared key by key under the rules of fixture.json:

  equal     the same value
  set       a list whose order Ansible does not define (a Python set or dict
            keys): the same items in any order
  shape     values that change between two runs seconds apart (clock, load,
            free memory, ports): the same type and, recursively, the same
            dict keys and list lengths
  shape-env the environment: shape, apart from the variables named in
            "except" (what OpenSSH's client brings that libssh does not)
  absent    Ansible has it, playc does not (the reason says why)

  compare.py check  FIXTURE ANSIBLE_OUT PLAYC_OUT   exit 1 on any mismatch,
                                                   or a key the fixture lacks
  compare.py record FIXTURE ANSIBLE_OUT PLAYC_OUT   rewrite FIXTURE: keys that
        compare equal become "equal"; the others keep their rule and reason
        from KNOWN below (exit 1 on a difference nobody explained)

Both print "facts: N equal, M with a listed difference (R: rule counts)".
"""
import json
import sys

# Known differences and why (record keeps them; new ones must be added here).
KNOWN = {
    "date_time": ("shape", "the clock: two runs are seconds apart"),
    "uptime_seconds": ("shape", "the clock: two runs are seconds apart"),
    "loadavg": ("shape", "changes between runs; and Python's os.getloadavg() reads sysinfo(2) "
                "(1/65536 steps) where a shell reads /proc/loadavg (two decimals)"),
    "memfree_mb": ("shape", "changes between runs"),
    "memory_mb": ("shape", "changes between runs"),
    "mounts": ("shape", "free blocks and inodes change between runs"),
    "env": ("shape-env", "SSH_CLIENT/SSH_CONNECTION carry the client's port; ansible's OpenSSH client asks "
            "for a terminal (SSH_TTY, TERM) and sends LC_* (SendEnv), playc's libssh session neither"),
    "interfaces": ("set", "Ansible's order is a Python set's (hash-randomized per run)"),
    "virtualization_tech_guest": ("set", "a Python set in Ansible"),
    "virtualization_tech_host": ("set", "a Python set in Ansible"),
    "python": ("absent", "no Python on targets: there is no interpreter to describe"),
    "python_version": ("absent", "no Python on targets"),
    "discovered_interpreter_python": ("absent", "no Python on targets: no interpreter discovery"),
    "devices": ("absent", "not gathered yet: /sys/block walk, partitions, holders, links (see docs/facts.md)"),
    "device_links": ("absent", "not gathered yet (see devices)"),
}
ENV_EXCEPT = ["SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "TERM", "LC_CTYPE", "LC_ALL", "LANG", "LANGUAGE",
              "LC_MESSAGES"]


def facts(path):
    text = open(path).read()
    marker = '"ansible_facts": {'
    i = text.index(marker)
    start = text.rindex("=> ", 0, i) + 3
    end = text.index("\n}\n", i) + 2
    return json.loads(text[start:end])["ansible_facts"]


def shape(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(shape(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(shape(x, y) for x, y in zip(a, b))
    return True


def matches(rule, a, p, spec):
    if rule == "equal":
        return a == p
    if rule == "set":
        return isinstance(a, list) and isinstance(p, list) and sorted(map(json.dumps, a)) == sorted(map(json.dumps, p))
    if rule == "shape":
        return shape(a, p)
    if rule == "shape-env":
        skip = set(spec.get("except", []))
        a2 = {k: v for k, v in a.items() if k not in skip}
        p2 = {k: v for k, v in p.items() if k not in skip}
        return shape(a2, p2) and all(a2[k] == p2[k] for k in a2)
    return False


def main():
    mode, fixture_path, ans_path, pc_path = sys.argv[1:5]
    ans, pc = facts(ans_path), facts(pc_path)
    fixture = json.load(open(fixture_path)) if mode == "check" else {}
    bad, counts, out = [], {}, {}
    for k in sorted(set(ans) | set(pc)):
        a, p = ans.get(k), pc.get(k)
        if mode == "record":
            if k in ans and k in pc and a == p:
                spec = {"rule": "equal"}
            elif k in KNOWN:
                rule, reason = KNOWN[k]
                spec = {"rule": rule, "reason": reason}
                if rule == "shape-env":
                    spec["except"] = ENV_EXCEPT
            else:
                spec = {"rule": "UNEXPLAINED", "reason": "ansible %s / playc %s" % (json.dumps(a)[:200], json.dumps(p)[:200])}
            out[k] = spec
        else:
            spec = fixture.get(k)
        if spec is None:
            bad.append("%s: not in the fixture (ansible %s, playc %s)" % (k, json.dumps(a)[:120], json.dumps(p)[:120]))
            continue
        rule = spec["rule"]
        counts[rule] = counts.get(rule, 0) + 1
        if rule == "absent":
            if k in pc or k not in ans:
                bad.append("%s: listed as absent from playc's facts" % k)
        elif k not in ans or k not in pc:
            bad.append("%s: %s" % (k, "missing from playc" if k in ans else "not gathered by ansible"))
        elif not matches(rule, a, p, spec):
            bad.append("%s (%s): ansible %s / playc %s" % (k, rule, json.dumps(a)[:200], json.dumps(p)[:200]))
    if mode == "record":
        with open(fixture_path, "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
            f.write("\n")
    equal = counts.get("equal", 0)
    other = sum(counts.values()) - equal
    print("facts: %d equal, %d with a listed difference (%s)" %
          (equal, other, ", ".join("%s %d" % kv for kv in sorted(counts.items()) if kv[0] != "equal")))
    for b in bad:
        print("MISMATCH " + b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
