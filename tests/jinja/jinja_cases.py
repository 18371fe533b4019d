#!/usr/bin/env python3
"""Differential cases for Jinja filters, tests and lookups.

A cases file (tests/jinja/filters.yml) holds `vars` (and `vars_yaml`, more
play vars as YAML text, for what JSON cannot say: int keys) and `cases`: each case is
an expression string (rendered as "{{ EXPR }}") or a mapping with `expr` or
`tpl` (a whole template) and optional `known` (a difference from Ansible
playc keeps for now, with its reason: reported, not counted as a failure).
`collections` maps a collection Ansible needs for the cases (manala.roles)
to the environment variable that holds its folder: `regen` makes it
visible to ansible-playbook through a temporary ANSIBLE_COLLECTIONS_PATH
(the collection itself is never part of this repository).

  jinja_cases.py playbook CASES OUT.yml   the playbook: one debug task a case
  jinja_cases.py parse LOG                per case, its outcome from a run's
                                          output (ansible-playbook or playc's)
  jinja_cases.py regen CASES FIXTURE      runs the real ansible-playbook
                                          (Debian's /usr/bin/python3) and
                                          writes the fixture
  jinja_cases.py compare CASES FIXTURE LOG  playc's run against the fixture
  jinja_cases.py errors CASES FIXTURE PLAYC  cases Ansible fails on as
                                          template syntax errors: each must
                                          fail to compile with a located error
  jinja_cases.py jmespath CASES FIXTURE PLAYC  json_query's constant queries
                                          Ansible fails on as JMESPath syntax
                                          errors: each located at compile time
Only the standard library is used, except by `regen` (ansible, PyYAML)."""
import json
import os
import re
import subprocess
import sys
import tempfile


def load_doc(path):
    # The cases file is YAML; PyYAML may be missing from the test's python,
    # so a JSON copy is read when it is present (regen writes it).
    try:
        import yaml
        with open(path) as f:
            doc = yaml.safe_load(f)  # JSON is YAML too
    except ImportError:
        with open(path if path.endswith(".json") else path + ".json") as f:
            doc = json.load(f)
    return doc


def write_files(cases_path, folder):
    """The cases file's `files` (name: text), templates its cases include,
    import or extend: written beside the playbook, the folder Ansible's
    templar looks them up in."""
    for name, text in load_doc(cases_path).get("files", {}).items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def load_cases(path):
    doc = load_doc(path)
    cases = []
    for i, c in enumerate(doc["cases"]):
        if isinstance(c, str):
            c = {"expr": c}
        c["id"] = "c%03d" % i
        c["tpl"] = c.get("tpl", "{{ %s }}" % c.get("expr", "item"))
        if "with" in c:  # the fixture's key names the loop too
            c["tpl"] += " with " + json.dumps(c["with"], sort_keys=True, ensure_ascii=False)
        cases.append(c)
    return doc.get("vars", {}), cases


def playbook(cases_path, out):
    write_files(cases_path, os.path.dirname(os.path.abspath(out)))
    vars_, cases = load_cases(cases_path)
    lines = ["- hosts: localhost", "  connection: local", "  gather_facts: false",
             "  vars: " + json.dumps(vars_, sort_keys=True, ensure_ascii=False)]
    vars_yaml = load_doc(cases_path).get("vars_yaml")
    if vars_yaml:  # YAML JSON cannot say (int keys): the play's vars written as YAML
        lines[-1] = "  vars:"
        lines += ["    %s: %s" % (json.dumps(k), json.dumps(v, ensure_ascii=False))
                  for k, v in sorted(vars_.items())]
        lines += ["    " + line for line in vars_yaml.splitlines()]
    lines.append("  tasks:")
    for c in cases:
        lines.append("    - name: %s" % c["id"])
        lines.append("      debug:")
        lines.append("        msg: " + json.dumps(c["tpl"].split(" with ")[0] if "with" in c else c["tpl"],
                                                ensure_ascii=False))
        for name, terms in c.get("with", {}).items():  # a with_<lookup> loop
            lines.append("      with_%s: %s" % (name, json.dumps(terms, ensure_ascii=False)))
        lines.append("      ignore_errors: true")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def _outcome(status, result, exc):
    # The excerpt of the playbook an error points at names the generated
    # file and its lines: not what these cases compare.
    msg = result.get("msg")
    if isinstance(msg, str):
        result["msg"] = re.sub(r"\n\nThe error appears to be in .*", "", msg, flags=re.S)
    out = [status, result]
    if exc:
        out.append(exc)
    return out


def parse(log):
    """{case id: [status, result, exception line]} from a run's output."""
    out, cur, buf, exc, item = {}, None, None, None, None
    for line in open(log, encoding="utf-8", errors="surrogateescape"):
        line = line.rstrip("\n")
        m = re.match(r"TASK \[(c\d+)\]", line)
        if m:
            cur, exc = m.group(1), None
            continue
        if cur is None:
            continue
        if buf is not None:
            buf.append(line)
            if line == "}":
                if item is not None:  # one item of a loop
                    out.setdefault(cur, ["items", []])[1].append([item, json.loads("\n".join(buf))])
                else:
                    out[cur] = _outcome("ok", json.loads("\n".join(buf)), exc)
                buf = None
            continue
        m = re.match(r"ok: \[localhost\] => \(item=(.*)\) => \{$", line)
        if m:
            item, buf = m.group(1), ["{"]
            continue
        item = None
        if line.startswith("ok: [localhost] => {"):
            buf = ["{"]
            if line.endswith("}"):
                out[cur] = _outcome("ok", json.loads(line.split(" => ", 1)[1]), exc)
                buf = None
        elif line.startswith("fatal: [localhost]: FAILED! => "):
            r = _outcome("failed", json.loads(line.split(" => ", 1)[1]), exc)
            if cur in out and out[cur][0] == "items":  # a loop that failed
                r.append(out[cur][1])
            out[cur] = r
        elif line.startswith("An exception occurred during task execution."):
            exc = line
    return out


def regen(cases_path, fixture):
    import yaml
    with open(cases_path) as f:
        doc = yaml.safe_load(f)
    with open(cases_path + ".json", "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    with tempfile.TemporaryDirectory() as d:
        pb = os.path.join(d, "cases.yml")
        playbook(cases_path, pb)
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0")
        # community.general's filters (json_query) come from Debian's
        # collections, unpacked by scripts/deps.sh
        colls = "/opt/playc/ansible-collections"
        if os.path.isdir(colls) and "ANSIBLE_COLLECTIONS_PATH" not in env:
            env["ANSIBLE_COLLECTIONS_PATH"] = colls
        for fqcn, var in sorted(doc.get("collections", {}).items()):
            src = os.environ.get(var)
            if not src or not os.path.isdir(src):
                sys.exit("regen: %s needs %s=<the folder of collection %s>" % (cases_path, var, fqcn))
            ns, name = fqcn.split(".")
            link = os.path.join(d, "collections", "ansible_collections", ns, name)
            os.makedirs(os.path.dirname(link), exist_ok=True)
            os.symlink(os.path.abspath(src), link)
            env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(
                [os.path.join(d, "collections")] + [p for p in [env.get("ANSIBLE_COLLECTIONS_PATH")] if p])
        r = subprocess.run(["/usr/bin/python3", "/usr/bin/ansible-playbook", pb], cwd=d, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        log = os.path.join(d, "log")
        with open(log, "wb") as f:
            f.write(r.stdout)
        res = parse(log)
    _, cases = load_cases(cases_path)
    fix = {}
    for c in cases:
        fix[c["tpl"]] = res.get(c["id"])
    with open(fixture, "w") as f:
        json.dump(fix, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def compare(cases_path, fixture, log):
    _, cases = load_cases(cases_path)
    with open(fixture) as f:
        fix = json.load(f)
    got = parse(log)
    ok = bad = known = 0
    for c in cases:
        if c["tpl"] not in fix:
            print("STALE fixture for %s %s: run regen" % (c["id"], c["tpl"]))
            bad += 1
            continue
        have = got.get(c["id"])
        want = fix[c["tpl"]]
        if have == want:
            ok += 1
            if c.get("known"):
                print("NOTE %s %s now matches; drop its `known`" % (c["id"], c["tpl"]))
            continue
        if c.get("known"):
            known += 1
            continue
        bad += 1
        print("FAIL %s %s\n  ansible: %s\n  playc:   %s" % (
            c["id"], c["tpl"], json.dumps(want, ensure_ascii=False),
            json.dumps(have, ensure_ascii=False)))
    print("%d cases: %d match, %d known differences, %d fail" % (len(cases), ok, known, bad))
    return 1 if bad else 0


def errors(cases_path, fixture, playc):
    """Every case is a template syntax error in the fixture (Ansible's
    "template error while templating string"), or, for a case marked
    `always: true`, an error Ansible raises whatever the values (a call's
    arity: playc's diagnostic must then carry Ansible's words); compiled
    alone, each must be refused by playc with a `file:line:col: error:`
    diagnostic."""
    _, cases = load_cases(cases_path)
    with open(fixture) as f:
        fix = json.load(f)
    bad = same = 0
    for c in cases:
        want = fix.get(c["tpl"])
        msg = want[1].get("msg", "") if want and want[0] == "failed" else ""
        words = re.sub(r"^.*?\): (.*?)\. .*$", r"\1", msg) if c.get("always") else None
        if not msg or (not words and "template error while templating string" not in msg):
            print("FAIL %s %s: not a syntax error in Ansible's fixture: %s" % (c["id"], c["tpl"], json.dumps(want)))
            bad += 1
            continue
        with tempfile.TemporaryDirectory() as d:
            one = dict(c)
            one.pop("id")
            with open(os.path.join(d, "one.json"), "w") as f:
                json.dump({"vars": {}, "cases": [one], "files": load_doc(cases_path).get("files", {})}, f)
            playbook(os.path.join(d, "one.json"), os.path.join(d, "cases.yml"))
            r = subprocess.run([playc, "--strict", "--plan", "cases.yml"], cwd=d, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            err = r.stderr.decode("utf-8", "replace")
            if r.returncode == 0 or not re.search(r"^cases\.yml:\d+:\d+: error: " + re.escape(words or ""), err, re.M):
                print("FAIL %s %s: playc --strict did not refuse it with a located error (exit %d)\n%s" % (
                    c["id"], c["tpl"], r.returncode, err))
                bad += 1
                continue
            if c.get("always"):
                continue
            # without --strict: a located warning, and the string compiles to
            # the error Ansible's templar raises when it templates it
            r = subprocess.run([playc, "--plan=json", "cases.yml"], cwd=d, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            err = r.stderr.decode("utf-8", "replace")
            found = re.findall(r'"op": "error"[^}]*?"message": ("(?:[^"\\]|\\.)*")', r.stdout.decode())
            got = [json.loads(m) for m in found]
            if r.returncode != 0 or not re.search(r"^cases\.yml:\d+:\d+: warning: ", err, re.M) or not got:
                print("FAIL %s %s: playc did not compile it to its error with a located warning (exit %d)\n%s" % (
                    c["id"], c["tpl"], r.returncode, err))
                bad += 1
            elif not got[0].startswith("template error while templating string: ") or \
                    ("String: " + c["tpl"] + ".") not in got[0]:
                print("FAIL %s %s: compiled to %r" % (c["id"], c["tpl"], got[0]))
                bad += 1
            else:
                same += got[0] == msg
    print("%d syntax error cases: %d refused with a located error under --strict and compiled to their "
          "error without it (%d in Ansible's very words), %d fail" % (len(cases), len(cases) - bad, same, bad))
    return 1 if bad else 0


JMESPATH_SYNTAX = ("Bad jmespath expression: ", "Invalid jmespath expression: ", "Invalid JMESPath expression: ",
                   "Expecting: ", ": Parse error at column ")


def jmespath_check(cases_path, fixture, playc):
    """json_query's constant queries are parsed at compile time: compiled
    together (without --strict), the cases whose query is a string literal
    and that Ansible fails with a JMESPath syntax error must each get one
    located warning carrying Ansible's message, and no other case any."""
    _, cases = load_cases(cases_path)
    with open(fixture) as f:
        fix = json.load(f)
    with tempfile.TemporaryDirectory() as d:
        pb = os.path.join(d, "cases.yml")
        playbook(cases_path, pb)
        starts = [(i + 1, m.group(1)) for i, line in enumerate(open(pb, encoding="utf-8"))
                  for m in [re.match(r"    - name: (c\d+)$", line)] if m]
        r = subprocess.run([playc, "--plan", "cases.yml"], cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = r.stderr.decode("utf-8", "replace")
    got = {}
    for m in re.finditer(r"^cases\.yml:(\d+):\d+: warning: JMESPathError in json_query filter plugin:\n(.*?)"
                         r" \(reported when the task runs, as Ansible does\)$", err, re.S | re.M):
        line = int(m.group(1))
        case = [cid for start, cid in starts if start <= line][-1]
        got[case] = "JMESPathError in json_query filter plugin:\n" + m.group(2)
    bad = checked = 0
    for c in cases:
        want = fix.get(c["tpl"])
        msg = want[1].get("msg", "") if want and want[0] == "failed" else ""
        body = msg.split("\n", 1)[1] if msg.startswith("JMESPathError in json_query filter plugin:\n") else ""
        syntax = any(k in body for k in JMESPATH_SYNTAX)
        literal = re.search(r"json_query\((expr=)?['\"]", c["tpl"]) is not None
        if syntax and literal:
            checked += 1
            if got.get(c["id"]) != msg:
                print("FAIL %s %s: compile-time diagnostic\n  ansible: %s\n  playc:   %s" % (
                    c["id"], c["tpl"], json.dumps(msg), json.dumps(got.get(c["id"]))))
                bad += 1
        elif c["id"] in got:
            print("FAIL %s %s: refused at compile time, not a syntax error in Ansible: %s" % (
                c["id"], c["tpl"], json.dumps(got[c["id"]])))
            bad += 1
    if r.returncode != 0:
        print("FAIL playc --plan exited %d\n%s" % (r.returncode, err))
        bad += 1
    print("%d constant queries with a syntax error: %d located at compile time with Ansible's message, "
          "%d fail" % (checked, checked - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "playbook":
        playbook(sys.argv[2], sys.argv[3])
    elif cmd == "parse":
        json.dump(parse(sys.argv[2]), sys.stdout, indent=1, ensure_ascii=False)
    elif cmd == "regen":
        regen(sys.argv[2], sys.argv[3])
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif cmd == "errors":
        sys.exit(errors(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif cmd == "jmespath":
        sys.exit(jmespath_check(sys.argv[2], sys.argv[3], sys.argv[4]))
