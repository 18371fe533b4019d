#!/usr/bin/python3
"""Differential test of runtime/textwrap.c against Python's textwrap.wrap, the
function Ansible's display wraps warnings with.

  textwrap_oracle.py TEST_VAULT

Builds texts shaped like Ansible's warnings (paths with hyphens, vault ids,
em-dashes, long words, tabs, non-ASCII) plus random ones, wraps each with
`TEST_VAULT --wrap WIDTH` and with textwrap.wrap(text, WIDTH), and compares.
"""
import random
import subprocess
import sys
import textwrap

WORDS = ["vault-id=other:", "/tmp/playc-test.AbC123/p/vault-client", "a--b", "x -- y",
         "pre-built", "e-mail", "a-b-c-d", "--vault-id", "re-re-re-read", "-flag", "well-",
         "b'no secret for other\\n'", "(default):", "très-élevé", "naïve", "x" * 100,
         "long-" * 30, "---", "a---b", "word", "it's", "\"q\"--z", "9-9", "ab-9c", "_x-_y"]


def texts(rng):
    yield "[WARNING]: Error in vault password file loading (other): Vault password client " \
          "script /tmp/playc-test.AbC123/p/vault-client did not find a secret for " \
          "vault-id=other: b'no secret for other\\n'"
    yield "[WARNING]: Error getting vault password file (default): The vault password file " \
          "/tmp/playc-test.jcaBDF/a/nopw was not found"
    yield ""
    yield "   leading and trailing   "
    yield "tabs\tand\tnewlines\nand\r\x0bthe rest"
    for _ in range(3000):
        n = rng.randint(1, 30)
        parts = []
        for _ in range(n):
            parts.append(rng.choice(WORDS) if rng.random() < 0.6 else
                         "".join(rng.choice("ab-_ .,!9é\t") for _ in range(rng.randint(1, 12))))
            parts.append(rng.choice([" ", " ", "  ", "\t", "\n"]))
        yield "".join(parts)


def main():
    rng = random.Random(7)
    cases = list(texts(rng))
    failures = 0
    for width in (79, 20, 7, 1):
        data = "\0".join(cases).encode() + b"\0"
        out = subprocess.run([sys.argv[1], "--wrap", str(width)], input=data,
                             stdout=subprocess.PIPE, check=True).stdout
        got = out.decode().split("\0")[:-1]
        for text, g in zip(cases, got):
            want = "\n".join(textwrap.wrap(text, width))
            if g != want:
                failures += 1
                if failures <= 5:
                    print("width %d: %r\n  got  %r\n  want %r" % (width, text, g, want))
        if len(got) != len(cases):
            failures += 1
            print("width %d: %d results for %d texts" % (width, len(got), len(cases)))
    print("%d texts x 4 widths, %d differ" % (len(cases), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
