#!/usr/bin/env python3
"""render_oracle.py — differential test of the runtime's text forms against
real Python: builds values, writes them as JSON, runs `test_runtime --render`
on them and compares with Python's str(), repr() and json.dumps(sort_keys,
ensure_ascii=False) compact and indent=4 (what Ansible prints).

usage: render_oracle.py PATH/TO/test_runtime
"""
import json
import subprocess
import sys
import tempfile

values = [
    0, -7, 2**62, 1.0, 0.1, 0.30000000000000004, 1e16, 1.5e16, 1e-5, 0.0001, 123456.789,
    -2.5, 1e300, 3.141592653589793, 100.0, 1e15, 12345678901234567.0,
    True, False, None, "", "plain", "it's", 'say "hi"', "both ' and \"", "tab\tnew\nline",
    "back\\slash", "ctl\x01\x1f", "utf-8 é ü ✓", "del\x7f",
    [], {}, [1, "a", None, True, 2.5], {"b": 1, "a": [1, {"z": None}], "c": {}},
    {"nested": {"list": [[], [1, [2, [3]]], {"k": "v"}]}}, ["x" * 3, {"q": "it's"}],
]

exe = sys.argv[1]
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    json.dump(values, f)
got = subprocess.run([exe, "--render", f.name], stdout=subprocess.PIPE, check=True).stdout.decode()
want = "".join("%s\n--\n%r\n--\n%s\n--\n%s\n==\n" % (
    str(v), v, json.dumps(v, sort_keys=True, ensure_ascii=False),
    json.dumps(v, sort_keys=True, ensure_ascii=False, indent=4)) for v in values)
g, w = got.split("\n==\n"), want.split("\n==\n")
failed = 0
for i, (a, b) in enumerate(zip(g, w)):
    if a != b:
        failed += 1
        print("value %d (%r):\n  playc:  %r\n  python: %r" % (i, values[i] if i < len(values) else None, a, b))
if len(g) != len(w):
    failed += 1
    print("record count differs: %d vs %d" % (len(g), len(w)))
print("%d passed, %d failed" % (len(values) - failed, failed))
sys.exit(1 if failed else 0)
