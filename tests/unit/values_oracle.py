#!/usr/bin/env python3
"""values_oracle.py — differential test of the runtime's numbers and data
against Python itself: every arithmetic operator and comparison over a grid
of edge values (0, -1, INT64_MIN, INT64_MAX, 2**53+1, -0.0, inf, nan, ...),
unary minus, Jinja's own `int` filter (jinja2.filters.do_int) and Python's
float() on awkward strings, string and list repetition, and YAML documents
loaded by PyYAML's SafeLoader (merge keys: the order of the keys, too).

The runtime must give Python's answer, ints past 64 bits included
(runtime/bigint.c), or — where Python answers with a value playc cannot hold
(a complex number, a result past playc's size limits) — the error arith.h and
bigint.c document for it, never another value.

usage: values_oracle.py PATH/TO/test_values
"""
import ast
import json
import math
import operator
import os
import shutil
import subprocess
import sys

# Python and Jinja2 as Ansible runs them (Jinja2 3.1.2's int filter lets an
# OverflowError through, later versions swallow it): re-run under the
# interpreter of ansible-playbook's #! line when it is another one.
_ansible = shutil.which("ansible-playbook")
if _ansible and not os.environ.get("VALUES_ORACLE_PYTHON"):
    with open(_ansible, "rb") as f:
        _py = f.readline().decode().strip().lstrip("#!").strip().split()[0]
    if os.path.realpath(_py) != os.path.realpath(sys.executable):
        os.environ["VALUES_ORACLE_PYTHON"] = _py
        os.execv(_py, [_py] + sys.argv)

import yaml
from jinja2.filters import do_int

INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
MAX_STR, MAX_ITEMS = 1 << 28, 1 << 24  # runtime/arith.h

INTS = [0, 1, -1, 2, -2, 3, -3, 7, -7, 10, 63, 64, -63, 2**31, 2**53, 2**53 + 1,
        -(2**53 + 1), 2**62, -2**62, 10**18, 3037000499, 3037000500, INT64_MAX,
        INT64_MAX - 1, INT64_MIN, INT64_MIN + 1,
        # past 64 bits: Python's ints of any size
        2**63, -2**63 - 1, 2**64, -2**64, 2**64 + 1, 2**100 + 1, -(2**100) - 7, 10**30,
        3**90]
FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.0, 7.0, -7.0, 0.1, 1e16, 1e308,
          -1e308, 5e-324, math.inf, -math.inf, math.nan, 2.0**63, -2.0**63, 2.0**53,
          1.5, 1e-300, 9.2e18]
BOOLS = [True, False]
NUMBERS = INTS + FLOATS + BOOLS

BINOPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
          "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le}

STRINGS = [" 42 ", "4.7", "nope", "", "99999999999999999999", "-9223372036854775808",
           "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1_000",
           "_1", "1__0", "1_", "0x1A", "0X1a", "0o17", "0b101", "010", "00", "0_0", "1e3",
           "1e400", "-1e400", "inf", "-inf", "nan", "-nan", "Infinity", "iNfInItY", "1.5e10",
           "9.3e18", "9.3e19", "+5", "- 5", "\t7\n", "1e", ".5", "5.", ".", "0x", "1_0.5",
           "1e5_0", "1_e5", "0x1p3", "1e+5", "  .5e-3  ", "nan(1)", "12abc", "0x_1f",
           "0b_", "-0", "+0.0", "1\x1f", "e5", "1.2.3"]
INT_BASES = [None, 16, 8, 2, 0, 1, 37]


def encode(v):
    if isinstance(v, bool):
        return "b:%d" % v
    if isinstance(v, int):
        return "i:%d" % v
    if isinstance(v, float):
        return "f:" + v.hex()
    if isinstance(v, str):
        return "s:" + json.dumps(v)
    return "l:" + json.dumps(v)


def expected(thunk):
    """What the runtime must print for Python's thunk()."""
    try:
        r = thunk()
    except (ArithmeticError, ValueError, TypeError, MemoryError) as e:
        return ("e", type(e).__name__, str(e))
    if isinstance(r, bool):
        return ("b", int(r))
    if isinstance(r, int):
        return ("i", r)
    if isinstance(r, float):
        return ("f", r)
    if isinstance(r, complex):
        return ("complex",)
    return ("s", r) if isinstance(r, str) else ("j", r)


MAX_BITS = 1 << 20  # runtime/bigint.c's RT_BIGINT_MAX_BITS


def pow_too_big(a, b):
    """a ** b for ints past bigint.c's limit: a MemoryError in playc at once
    (Python would compute it)."""
    return (not isinstance(a, float) and not isinstance(b, float) and b > 0
            and abs(a) > 1 and (abs(a).bit_length() - 1) * b > MAX_BITS)


def cases():
    for op, fn in BINOPS.items():
        for a in NUMBERS:
            for b in NUMBERS:
                if op == "**" and pow_too_big(a, b):
                    yield (op, a, b), ("e", "MemoryError", None)
                else:
                    yield (op, a, b), expected(lambda: fn(a, b))
    for a in NUMBERS:
        yield ("neg", a), expected(lambda: -a)
    for s in STRINGS:
        for base in INT_BASES:
            if base is None:
                yield ("int", s), expected(lambda: do_int(s))
            else:
                yield ("int", s, base), expected(lambda: do_int(s, 0, base))
        yield ("float", s), expected(lambda: float(s))
    for f in FLOATS + [1e20, -1e20, 3.9, -3.9]:
        yield ("int", f), expected(lambda: do_int(f))
    for seq, limit in (("ab", MAX_STR), ([1, "x"], MAX_ITEMS), ("", MAX_STR), ([], MAX_ITEMS)):
        for n in (-1, 0, 3, 600, 10**10, 2**62, INT64_MAX):
            size = len(seq) * max(n, 0)
            if size > limit:
                want = ("e", "MemoryError", None)
            elif size > 1000:
                want = ("n", size)
            else:
                want = expected(lambda: seq * n)
            yield ("*", seq, n), want
            yield ("*", n, seq), want
    for text in LITERALS:
        yield ("literal", text), literal(text)
    for doc in YAML_DOCS:
        yield ("yaml", doc), ("s", json.dumps(yaml.safe_load(doc), ensure_ascii=False))


LITERALS = ["1", "-5", "+5", "- 5", "010", "0x10", "0o17", "0b101", "1_000", "1e3", "1.5", ".5",
            "5.", "1j", "true", "True", "False", "None", "null", "'a'", '"b"', "'it\\'s'",
            "[1, 'two', None]", "(1, 2)", "{'k': [1, {'x': True}]}", "{1, 2}", "b'x'",
            "99999999999999999999", "-9223372036854775808", "9223372036854775807", "1.5e400",
            "[true]", "x", "a b", "'unterminated", "[1,", "1 2", "0_0", "00", "-0", "-0.0", "[]",
            "{}", "[1, [2, [3]]]", "{'a': 1, 'a': 2}", "-inf", "inf", "1_e5", "0x_1f",
            "-99999999999999999999", "- 99999999999999999999", "[18446744073709551616, -1]",
            "0x1ffffffffffffffff", "0o7777777777777777777777", "-9223372036854775809"]


def literal(text):
    """ast.literal_eval(text) as the runtime must give it: a value, or "not a
    literal" — also for literals playc cannot hold (complex, sets, bytes),
    which stay text."""
    try:
        v = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ("e", "ValueError", "not a literal")
    def plain(x):
        if isinstance(x, (list, tuple)):
            return [plain(i) for i in x]
        if isinstance(x, dict):
            return {k: plain(i) for k, i in x.items()}
        if isinstance(x, (complex, set, bytes)):
            raise TypeError
        return x
    try:
        v = plain(v)
    except TypeError:
        return ("e", "ValueError", "not a literal")
    if isinstance(v, (list, dict)):
        return ("j", v)
    return expected(lambda: v)


YAML_DOCS = [
    "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",
    "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nm:\n  <<: [*a, *b]\n  w: 0\n",
    "a: &a {x: 1, y: 1}\nm:\n  y: 5\n  <<: *a\n  z: 6\n",
    "a: &a {x: 1}\nb: &b {y: 2}\nm:\n  <<: *a\n  k: 0\n  <<: *b\n",
    "a: &a {x: 1, <<: {q: 0, x: 9}}\nm: {<<: *a, x: 2}\n",
    "m: {'<<': {x: 1}, y: 2}\n",
    "d: {k: 1, j: 2, k: 3}\n",
    "a: yes\nb: 0755\nc: '0755'\nd: 1.5\ne: ~\nf: [1, two]\ng: .inf\nh: 1_000\n",
]


def same(got, want):
    kind, _, rest = got.partition(":")
    if want[0] == "complex":
        return got.startswith("e:ValueError:negative number cannot be raised")
    if want[0] == "e":
        cls, _, msg = rest.partition(":")
        return kind == "e" and cls == want[1] and (want[2] is None or msg == want[2])
    if want[0] == "f":
        if kind != "f":
            return False
        g = float.fromhex(rest)
        return (math.isnan(g) and math.isnan(want[1])) or g.hex() == want[1].hex()
    if want[0] == "b":
        return got == "b:%d" % want[1]
    if want[0] == "i":
        return got == "i:%d" % want[1]
    if want[0] == "n":
        return got == "n:%d" % want[1]
    if want[0] == "s":
        return kind == "s" and json.loads(rest) == want[1]
    if want[0] == "j":
        return kind in ("l", "j") and json.loads(rest) == want[1]
    return False


def main():
    all_cases = list(cases())
    text = "".join("\t".join([c[0]] + [encode(v) for v in c[1:]]) + "\n" for c, _ in all_cases)
    out = subprocess.run([sys.argv[1], "--oracle"], input=text.encode(), stdout=subprocess.PIPE,
                         check=True).stdout.decode().split("\n")
    failed = 0
    for i, (case, want) in enumerate(all_cases):
        got = out[i] if i < len(out) else "<missing>"
        if not same(got, want):
            failed += 1
            if failed <= 40:
                print("%r:\n  playc:  %s\n  python: %r" % (case, got, want))
    print("%d passed, %d failed" % (len(all_cases) - failed, failed))
    sys.exit(1 if failed else 0)


main()
