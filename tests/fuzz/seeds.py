#!/usr/bin/env python3
"""seeds.py OUT_DIR SOURCE_DIR... — writes the seed corpus of each fuzz target
under OUT_DIR/<target>/ from the YAML files and Jinja templates found in the
source folders (the repository's tests and samples, ../shared/corpus), plus the
hand-written seeds of tests/fuzz/seeds/<target>/. Names are content hashes,
so running it again adds nothing twice."""
import hashlib, os, re, sys

out, sources = sys.argv[1], sys.argv[2:]
here = os.path.dirname(os.path.abspath(__file__))
TARGETS = ["fuzz_yaml", "fuzz_playbook", "fuzz_jinja", "fuzz_inventory", "fuzz_extra_vars"]
MAX = 64 * 1024  # libFuzzer's -max_len in run.sh is smaller; longer seeds are cut by it


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    data = data[:MAX]
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def files(exts):
    for src in sources:
        for root, _, names in os.walk(src):
            for n in sorted(names):
                if n.endswith(exts):
                    yield os.path.join(root, n)


jinja = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
cond = re.compile(r"^\s*(?:-\s+)?(?:when|that|changed_when|failed_when|var):\s*(.+)$", re.M)
for path in files((".yml", ".yaml")):
    text = open(path, "rb").read()
    put("fuzz_yaml", text)
    put("fuzz_playbook", text)
    s = text.decode("utf-8", "replace")
    for m in jinja.findall(s):
        put("fuzz_jinja", m)
        put("fuzz_jinja", m[2:-2])
    for m in cond.findall(s):
        put("fuzz_jinja", m.strip().strip("'\""))
    if "inventor" in os.path.basename(path) or "hosts" in os.path.basename(path):
        put("fuzz_inventory", b"\x01" + text)
for path in files((".j2",)):
    put("fuzz_jinja", open(path, "rb").read())
for path in files((".ini",)):
    put("fuzz_inventory", b"\x00" + open(path, "rb").read())
for t in TARGETS:
    d = os.path.join(here, "seeds", t)
    for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        put(t, open(os.path.join(d, n), "rb").read())
