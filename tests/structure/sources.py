#!/usr/bin/env python3
"""sources.py — what a fixture was recorded from, so a stale fixture is caught.

  sources.py record STRUCT_DIR PLAYBOOK STRACE_LOG...
      prints the "# source" lines of a fixture: every file under STRUCT_DIR
      that ansible-playbook read while recording (found in the strace logs),
      every .yml/.yaml/.json file it looked for and did not find there (a
      first_found or a per-host include that would pick the file up once it
      exists), every role it touched as a whole (all its files, and a hash of
      the role's file list, so a file added to a role counts), and the
      normaliser itself. Paths are relative to STRUCT_DIR.

  sources.py check STRUCT_DIR FIXTURE...
      recomputes every "# source" line of each fixture; prints one line per
      fixture, "NAME current" or "NAME stale: PATH changed since it was
      recorded" (the first such path); exits 1 if any is stale.

Line forms:  # source SHA1|absent PATH      a file
             # source-dir SHA1 PATH          a role: hash of its sorted file list
"""
import hashlib
import os
import re
import sys

ALWAYS = ("normalize.py",)


def sha1_file(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha1(f.read()).hexdigest()
    except FileNotFoundError:
        return "absent"
    except IsADirectoryError:
        return "dir"


def role_files(struct, role):
    out = []
    for d, dirs, files in os.walk(os.path.join(struct, "roles", role)):
        dirs.sort()
        for f in sorted(files):
            out.append(os.path.relpath(os.path.join(d, f), struct))
    return out


def dir_hash(struct, role):
    return hashlib.sha1("\n".join(role_files(struct, role)).encode()).hexdigest()


def record(struct, playbook, logs):
    struct = os.path.realpath(struct)
    prefix = struct + "/"
    found, missing, roles = set(), set(), set()
    pat = re.compile(r'"(' + re.escape(prefix) + r'[^"]*)"[^\n]*?= (-?\d+)')
    for log in logs:
        for line in open(log, errors="replace"):
            for m in pat.finditer(line):
                rel = os.path.normpath(m.group(1)[len(prefix):])
                if rel.startswith("expected/") or rel == "expected":
                    continue
                parts = rel.split("/")
                if parts[0] == "roles" and len(parts) > 1:
                    roles.add(parts[1])
                    continue
                ok = int(m.group(2)) >= 0
                full = os.path.join(struct, rel)
                if ok and os.path.isfile(full):
                    found.add(rel)
                elif not ok and re.search(r"\.(ya?ml|json)$", rel):
                    missing.add(rel)
    found.add(os.path.relpath(os.path.realpath(playbook), struct))
    found.update(ALWAYS)
    if os.path.basename(playbook).startswith("strategy_"):  # result_text regroups them by host
        found.add("perhost.py")
    for r in sorted(roles):
        if os.path.isdir(os.path.join(struct, "roles", r)):
            found.update(role_files(struct, r))
        else:
            missing.add("roles/" + r)
    lines = []
    for rel in sorted(found | missing):
        lines.append("# source %s %s" % (sha1_file(os.path.join(struct, rel)), rel))
    for r in sorted(roles):
        if os.path.isdir(os.path.join(struct, "roles", r)):
            lines.append("# source-dir %s roles/%s" % (dir_hash(struct, r), r))
    print("\n".join(lines))


def check(struct, fixtures):
    stale = 0
    for fx in fixtures:
        name = os.path.basename(fx)[:-len(".txt")]
        why = None
        for line in open(fx):
            if not line.startswith("# source"):
                continue
            kind, want, rel = line.split()[1:4]
            if kind == "source":
                got = sha1_file(os.path.join(struct, rel))
            else:
                got = dir_hash(struct, rel.split("/", 1)[1])
            if got != want:
                why = rel
                break
        if why:
            print("%s stale: %s changed since it was recorded" % (name, why))
            stale += 1
        else:
            print("%s current" % name)
    return 1 if stale else 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "record":
        record(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
