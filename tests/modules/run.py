#!/usr/bin/python3
"""Differential tests of the file-content modules against ansible-playbook.

Every tests/modules/NAME.yml is a playbook for `localhost` (connection local,
as root) working under the folder given as `base` (/tmp/playc-modtest/NAME,
the same for both sides, so every path in a result compares as is). It runs
three times, from a fresh folder each time except the second:

    run1    with -D: results, and the diffs Ansible prints
    run2    again on run1's state: idempotence
    check   -C -D from a fresh folder: check mode and its diffs

For each run the comparison covers the exit code, the printed output (task
banners, ok/changed/failed/skipping lines, each `debug: var=r` dump: the
registered result, diffs, the recap) and the end state of the folder (every
path's type, mode, owner, size, content hash, link target). Volatile text
(backup names, timestamps, inode numbers) is normalised on both sides.

Ansible's side costs seconds per task, so it is recorded: `run.py --record`
runs ansible-playbook and writes tests/modules/fixtures/NAME.json, and the
default mode compares the compiled binary against those fixtures, plus a
live ansible-playbook run of the playbooks named in LIVE (all of them with
PLAYC_MODULES_LIVE=all), so that the fixtures are checked against the real
thing on every run too.

    run.py [--record] [NAME...]      (PLAYC, PLAYC_SRC from ctest)
"""
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

SRC = os.environ.get("PLAYC_SRC") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYC = os.environ.get("PLAYC") or os.path.join(SRC, "build", "playc")
HERE = os.path.join(SRC, "tests", "modules")
FIXTURES = os.path.join(HERE, "fixtures")
ROOT = "/tmp/playc-modtest"
LIVE = ["lineinfile"]
ANSIBLE = "/usr/bin/ansible-playbook"
RUNS = [("run1", ["-D"], True), ("run2", [], False), ("check", ["-C", "-D"], True)]

VOLATILE_KEYS = ("atime", "mtime", "ctime", "inode", "dev", "birthtime")


def normalise(text, base):
    text = re.sub(r"\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~", ".PID.DATE~", text)
    text = re.sub(r'("(?:%s)": )[0-9.e+-]+' % "|".join(VOLATILE_KEYS), r'\1"N"', text)
    text = re.sub(r'("version": )"\d+"', r'\1"N"', text)  # lsattr's inode generation
    text = re.sub(r'("(?:delta|start|end)": )"[^"]*"', r'\1"T"', text)  # command timings
    text = text.replace(HERE, "HERE")  # the sources' folder (copy's src)
    # where each side keeps a transferred body before the rename
    text = re.sub(r'"[^"]*/\.ansible/tmp/ansible-tmp-[^"]*/source"', '"TRANSFER"', text)
    text = re.sub(r'"[^"]*/\.playc-tmp-[0-9a-f]{24}"', '"TRANSFER"', text)
    # copy's diff names the controller's temp file holding `content`
    text = re.sub(r'(\+\+\+ after: |"after_header": "|"src": ")(?:[^"\n]*ansible-local-[^"\n]*|\(content\))',
                  r'\1CONTENT', text)
    text = re.sub(r"(ansible\.|tmp|pre\.)[A-Za-z0-9_]{8}(?=[^A-Za-z0-9_]|$)", r"\1RANDOM", text)
    return text


def output_lines(out, base):
    """The printed lines that must match: everything but warnings."""
    lines = []
    for line in normalise(out, base).splitlines():
        if line.startswith("[WARNING]") or line.startswith("[DEPRECATION"):
            continue
        if line.lstrip().startswith('"exception": '):  # a Python traceback: Python-only
            continue
        lines.append(line.rstrip())
    return lines


def tree(base):
    """Every path under base: type, mode, owner, size, sha1 / link target."""
    rows = []
    for root, dirs, files in os.walk(base):
        dirs.sort()
        for name in sorted(dirs + files):
            p = os.path.join(root, name)
            st = os.lstat(p)
            rel = normalise(os.path.relpath(p, base), base)
            kind = ("l" if stat.S_ISLNK(st.st_mode) else "d" if stat.S_ISDIR(st.st_mode)
                    else "f" if stat.S_ISREG(st.st_mode) else "o")
            row = "%s %s %04o %d:%d" % (rel, kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
            if kind == "f":
                with open(p, "rb") as f:
                    row += " %d %s" % (st.st_size, hashlib.sha1(f.read()).hexdigest())
            elif kind == "l":
                row += " -> " + os.readlink(p)
            rows.append(row)
    return sorted(rows)


def fresh(base):
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    os.chmod(base, 0o755)


def run(cmd, base):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCAL_TEMP=os.path.join(ROOT, ".ansible-local"), ANSIBLE_DEPRECATION_WARNINGS="0",
               LC_ALL="C.UTF-8")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=HERE, timeout=600)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def common_args(base):
    return ["-i", "localhost,", "-c", "local", "-e", "base=" + base,
            "-e", "ansible_python_interpreter=/usr/bin/python3"]


def side(name, runner):
    """Runs the three runs with `runner(extra_args)`; returns their records."""
    base = os.path.join(ROOT, name)
    records = {}
    for run_name, extra, reset in RUNS:
        if reset:
            fresh(base)
        rc, out, err = runner(extra, base)
        records[run_name] = {"rc": rc, "out": output_lines(out, base), "tree": tree(base), "stderr": err}
    shutil.rmtree(base, ignore_errors=True)
    return records


def ansible_side(name):
    pb = os.path.join(HERE, name + ".yml")
    return side(name, lambda extra, base: run([ANSIBLE] + common_args(base) + extra + [pb], base))


def playc_side(name, work):
    pb = os.path.join(HERE, name + ".yml")
    binary = os.path.join(work, name + ".bin")
    rc, out, err = run([PLAYC, pb, "-o", binary], "")
    if rc != 0:
        return None, "compile failed:\n" + out + err
    return side(name, lambda extra, base: run([binary] + common_args(base) + extra, base)), None


def compare(name, want, got, label):
    failures = 0
    for run_name, _, _ in RUNS:
        w, g = want[run_name], got[run_name]
        for key in ("rc", "out", "tree"):
            if w[key] != g[key]:
                failures += 1
                print("FAIL: %s %s %s (%s)" % (name, run_name, key, label))
                if key == "rc":
                    print("  ansible %s, playc %s" % (w[key], g[key]))
                else:
                    import difflib
                    for line in list(difflib.unified_diff(w[key], g[key], "ansible", "playc", lineterm=""))[:60]:
                        print("  " + line)
                if key == "rc" and g.get("stderr"):
                    print("  playc stderr: " + g["stderr"][:2000])
            else:
                print("ok: %s %s %s (%s)" % (name, run_name, key, label))
    return failures


def main():
    args = sys.argv[1:]
    record = "--record" in args
    names = [a for a in args if not a.startswith("--")]
    if not names:
        names = sorted(f[:-4] for f in os.listdir(HERE) if f.endswith(".yml"))
    os.makedirs(ROOT, exist_ok=True)
    os.makedirs(FIXTURES, exist_ok=True)
    if record:
        for name in names:
            rec = ansible_side(name)
            for r in rec.values():
                r.pop("stderr", None)
            with open(os.path.join(FIXTURES, name + ".json"), "w") as f:
                json.dump(rec, f, indent=1, sort_keys=True)
                f.write("\n")
            print("recorded %s" % name)
        return 0
    live = names if os.environ.get("PLAYC_MODULES_LIVE") == "all" else [n for n in names if n in LIVE]
    failures = passes = 0
    work = tempfile.mkdtemp(prefix="playc-modules.")
    try:
        for name in names:
            got, err = playc_side(name, work)
            if got is None:
                print("FAIL: %s: %s" % (name, err))
                failures += 1
                continue
            fx = os.path.join(FIXTURES, name + ".json")
            if os.path.exists(fx):
                with open(fx) as f:
                    n = compare(name, json.load(f), got, "fixture")
                failures += n
                passes += 9 - n
            elif name not in live:
                print("FAIL: %s: no fixture (run tests/modules/run.py --record %s)" % (name, name))
                failures += 1
            if name in live and os.path.exists(ANSIBLE):
                n = compare(name, ansible_side(name), got, "live")
                failures += n
                passes += 9 - n
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passes, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
