#!/usr/bin/env python3
"""mutate.py — the compiler against hostile input: generates mutated playbooks
from the repository's test playbooks and ../shared/corpus (byte flips,
deletions, duplications, splices, deep nesting, alias bombs, huge numbers,
odd unicode, long chains) and runs each through `playc --plan` and `playc -o`
under a memory limit and a timeout. A crash (a signal, a sanitizer report, an
"internal error"), a hang (the timeout) or an exit code other than 0 or 4 is
a failure: its input is kept in OUT/failures/ with what happened, and the
exit status is 1.

    tests/hostile/mutate.py --playc build-asan/playc -n 5000 -j 2 --out /tmp/mut

The same seed gives the same playbooks. With an ASan build the memory limit
is ASan's hard_rss_limit_mb (an address-space limit would stop ASan itself);
otherwise RLIMIT_AS."""
import argparse, concurrent.futures, os, random, re, resource, shutil, signal
import subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))


def pool_files(extra):
    """(name, text) of the playbooks to mutate; role task lists become plays."""
    out = []
    roots = [os.path.join(SRC, "tests"), os.path.join(SRC, "samples")] + extra
    for root in roots:
        for d, _, names in sorted(os.walk(root)):
            for n in sorted(names):
                if not n.endswith((".yml", ".yaml")) or "/fuzz/" in d + "/":
                    continue
                p = os.path.join(d, n)
                try:
                    t = open(p, "rb").read()
                except OSError:
                    continue
                if len(t) > 200000:
                    continue
                if b"hosts:" not in t and ("/tasks" in d or "/handlers" in d):
                    body = b"".join(b"    " + l + b"\n" for l in t.splitlines() if l != b"---")
                    t = b"- hosts: all\n  gather_facts: false\n  tasks:\n" + body
                out.append((os.path.relpath(p, SRC if p.startswith(SRC) else root), t))
    return out


# ---- mutations: each takes (rng, text, pool) and returns new bytes ----------

def flip(r, t, pool):
    b = bytearray(t or b"-")
    for _ in range(r.randint(1, 8)):
        i = r.randrange(len(b))
        b[i] = r.choice([b[i] ^ (1 << r.randrange(8)), r.randrange(256), ord(r.choice(":-[]{}&*!|>'\"#%\n\t "))])
    return bytes(b)


def delete(r, t, pool):
    if len(t) < 2:
        return t
    i = r.randrange(len(t))
    return t[:i] + t[i + r.randint(1, min(200, len(t) - i)):]


def duplicate(r, t, pool):
    if not t:
        return t
    i = r.randrange(len(t))
    span = t[i:i + r.randint(1, 400)]
    return t[:i] + span * r.choice([2, 3, 10, 100, 1000]) + t[i:]


def splice(r, t, pool):
    o = r.choice(pool)[1] or b"x"
    i, j = r.randrange(len(t) + 1), r.randrange(len(o))
    return t[:i] + o[j:j + r.randint(1, 2000)] + t[i:]


def lines_splice(r, t, pool):
    a, b = t.splitlines(True), r.choice(pool)[1].splitlines(True)
    if not a or not b:
        return t
    i, j = r.randrange(len(a)), r.randrange(len(b))
    return b"".join(a[:i] + b[j:j + r.randint(1, 30)] + a[i + r.randint(0, 5):])


def deep(r, t, pool):
    n = r.choice([50, 300, 499, 500, 501, 999, 1000, 1001, 5000, 60000])
    kind = r.randrange(9)
    if kind == 0:
        v = "[" * n + "1" + "]" * n
    elif kind == 1:
        v = "{a: " * n + "1" + "}" * n
    elif kind == 2:
        v = '"{{ ' + "(" * n + "x" + ")" * n + ' }}"'
    elif kind == 3:
        v = '"{{ ' + "[" * n + "]" * n + ' }}"'
    elif kind == 4:
        v = '"{{ ' + "not " * n + "x" + ' }}"'
    elif kind == 5:
        v = '"{{ ' + "-" * n + "1" + ' }}"'
    elif kind == 6:  # chains: flat ones build in time linear in n, 20,000 is plenty
        v = '"{{ x' + r.choice([" ~ x", " + 1", " and y", " or z", " | lower", ".a", "[0]", " < 2"]) * min(n, 20000) + ' }}"'
    elif kind == 7:
        v = '"{{ ' + "{'a': " * n + "1" + "}" * n + ' }}"'
    else:  # block-style nesting, indentation grows with depth
        n = min(n, 3000)
        block = "".join("  " * (i + 3) + "-\n" for i in range(n)) + "  " * (n + 3) + "1\n"
        return insert_var(r, t, "\n" + block.rstrip("\n"))
    return insert_var(r, t, v)


def insert_var(r, t, value):
    """Puts `value` as a play var and uses it in a task (or just appends it)."""
    name = "v%d" % r.randrange(1000)
    use = r.choice([
        "    - debug:\n        msg: \"{{ %s }}\"\n" % name,
        "    - debug:\n        msg: %s\n" % value.replace("\n", " ") if "\n" not in value else "    - debug: var=%s\n" % name,
        "    - debug: msg=hi\n      when: %s\n" % (value if "\n" not in value else name),
        "    - assert:\n        that: %s\n" % (value if "\n" not in value else name),
    ])
    head = "- hosts: all\n  gather_facts: false\n  vars:\n    %s: %s\n  tasks:\n%s" % (name, value, use)
    if r.random() < 0.5 or b"tasks:" not in t:
        return head.encode()
    return t.replace(b"tasks:\n", b"vars:\n    %s: %s\n  tasks:\n%s" % (name.encode(), value.encode(), use.encode()), 1) \
        if b"  vars:" not in t else t + b"\n" + head.encode()


def alias_bomb(r, t, pool):
    leaf = r.choice(['"lol"', '"{{ x }}"', '"{{ ( }}"', "1", '"x is defined"', "{k: v}", "[]", "null"])
    width, levels = r.choice([(9, 9), (10, 10), (3, 30), (2, 60), (50, 5)])
    lines = ["    l0: &l0 [%s]" % ", ".join([leaf] * width)]
    for i in range(1, levels):
        lines.append("    l%d: &l%d [%s]" % (i, i, ", ".join(["*l%d" % (i - 1)] * width)))
    top = "l%d" % (levels - 1)
    if r.random() < 0.3:  # merge keys chained instead of lists
        lines = ["    m0: &m0 {%s}" % ", ".join("k%d: %s" % (k, leaf) for k in range(width))]
        for i in range(1, levels):
            lines.append("    m%d: &m%d {<<: [%s], n%d: 1}" % (i, i, ", ".join(["*m%d" % (i - 1)] * 2), i))
        top = "m%d" % (levels - 1)
    use = r.choice([
        "    - debug: var=%s\n" % top,
        "    - debug:\n        msg: *%s\n" % top,
        "    - debug: msg=hi\n      when: *%s\n" % top,
        "    - assert:\n        that: *%s\n" % top,
        "    - debug:\n        msg: \"{{ item }}\"\n      loop: *%s\n" % top,
        "    - copy:\n        content: *%s\n        dest: /tmp/x\n" % top,
    ]) * r.choice([1, 1, 5])
    return ("- hosts: all\n  gather_facts: false\n  vars:\n    x: 1\n%s\n  tasks:\n%s" % ("\n".join(lines), use)).encode()


NUMS = [b"99999999999999999999999", b"9223372036854775807", b"9223372036854775808", b"-9223372036854775808",
        b"-9223372036854775809", b"0x1ffffffffffffffff", b"0o7777777777777777777777777", b"1e999", b"-1e999",
        b".inf", b".nan", b"1_000_000", b"0b" + b"1" * 70, b"1:2:3:4:5:6:7:8:9:10:11:12:13:14", b"1" * 400,
        b"0.000000000000000000000000000000001", b"1e-999"]


def huge_number(r, t, pool):
    nums = list(re.finditer(rb"\b\d+\b", t))
    big = r.choice(NUMS)
    if nums and r.random() < 0.6:
        m = r.choice(nums)
        return t[:m.start()] + big + t[m.end():]
    expr = r.choice([b"%s", b"%s + 1", b"%s * %s", b"%s // -1", b"-%s", b"%s ** 64", b"'a' * %s", b"2 ** %s"])
    expr = expr.replace(b"%s", big)
    return insert_var(r, t, '"{{ %s }}"' % expr.decode()) if r.random() < 0.5 else insert_var(r, t, big.decode())


ODD = ["\ufeff", "\x00", "\ufffe", "\u2028", "\u2029", "\x85", "\u202e", "\u0301" * 50, "\U0001f4a9", "\t",
       "\r", "\r\n", "\x1b[31m", "\xa0", "\uffff"]
RAW = [b"\xed\xa0\x80", b"\xc0\x80", b"\xff\xfe", b"\xf4\x90\x80\x80", b"\x80", b"\xe2\x82", b"\xf0\x9f\x92"]


def odd_unicode(r, t, pool):
    b = bytearray(t)
    for _ in range(r.randint(1, 5)):
        i = r.randrange(len(b) + 1)
        s = r.choice(RAW) if r.random() < 0.3 else r.choice(ODD).encode("utf-8", "surrogatepass")
        b[i:i] = s * r.choice([1, 1, 3, 1000])
    return bytes(b)


KEYWORDS = [b"when", b"loop", b"register", b"vars", b"tasks", b"hosts", b"name", b"block", b"notify",
            b"changed_when", b"failed_when", b"ignore_errors", b"debug", b"copy", b"command", b"shell",
            b"assert", b"set_fact", b"file", b"action", b"args", b"<<", b"gather_facts", b"src", b"msg"]


def keyword(r, t, pool):
    keys = list(re.finditer(rb"([A-Za-z_]+):", t))
    if not keys:
        return t
    m = r.choice(keys)
    return t[:m.start(1)] + r.choice(KEYWORDS) + t[m.end(1):]


def many_tasks(r, t, pool):
    task = r.choice([b"    - debug: msg=hi\n", b"    - debug:\n        msg: \"{{ x | default(1) + 1 }}\"\n",
                     b"    - command: echo hi\n      when: x is defined\n"])
    return b"- hosts: all\n  gather_facts: false\n  tasks:\n" + task * r.choice([100, 1000, 3000])


MUTATIONS = [(flip, 14), (delete, 10), (duplicate, 8), (splice, 8), (lines_splice, 8), (deep, 12),
             (alias_bomb, 10), (huge_number, 10), (odd_unicode, 10), (keyword, 8), (many_tasks, 2)]


def mutate(r, pool):
    name, t = r.choice(pool)
    ops = []
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        f = r.choices([m for m, _ in MUTATIONS], [w for _, w in MUTATIONS])[0]
        t = f(r, t, pool)
        ops.append(f.__name__)
    return name, "+".join(ops), t[:4 << 20]


# ---- running --------------------------------------------------------------------

SAN = re.compile(rb"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|internal error|SUMMARY: ")


def run_one(args, asan, work, argv):
    env = dict(os.environ)
    if asan:
        env["ASAN_OPTIONS"] = "hard_rss_limit_mb=%d:detect_leaks=1:abort_on_error=0:exitcode=77" % args.mem_mb
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1:exitcode=77"

    def limit():
        os.setsid()
        if not asan:
            lim = args.mem_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (lim, lim))

    start = time.time()
    p = subprocess.Popen(argv, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=limit)
    try:
        _, err = p.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return "hang", None, time.time() - start, b""
    rc = p.returncode
    dt = time.time() - start
    err = err[-20000:]
    if rc < 0 or rc >= 128 or rc == 77 or SAN.search(err):
        oom = asan and b"hard rss limit" in err or (not asan and b"out of memory" in err.lower())
        return ("oom" if oom else "crash"), rc, dt, err
    if rc not in (0, 4):
        return "exit%d" % rc, rc, dt, err
    return ("ok" if rc == 0 else "diag"), rc, dt, err


def job(args, asan, pool, i):
    r = random.Random("%d-%d" % (args.seed, i))
    name, ops, text = mutate(r, pool)
    work = tempfile.mkdtemp(prefix="mut%05d." % i, dir=args.tmp)
    try:
        os.makedirs(os.path.join(work, "files"))
        with open(os.path.join(work, "files", "motd.txt"), "w") as f:
            f.write("hello\n")
        with open(os.path.join(work, "pb.yml"), "wb") as f:
            f.write(text)
        res = []
        for mode, argv in (("plan", [args.playc, "--plan", "pb.yml"]),
                           ("build", [args.playc, "pb.yml", "-o", "out.bin"] + args.build_flags)):
            if mode == "build" and args.plan_only:
                continue
            res.append((mode,) + run_one(args, asan, work, argv))
        return i, name, ops, text, res
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--playc", default=os.path.join(SRC, "build-asan", "playc"))
    ap.add_argument("-n", type=int, default=5000, help="mutated playbooks (default 5000)")
    ap.add_argument("-j", type=int, default=2, help="parallel runs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=300, help="seconds per playc run (a hang)")
    ap.add_argument("--mem-mb", type=int, default=3072, help="memory limit per playc run")
    ap.add_argument("--out", default=None, help="where failures are kept (default: a temp folder)")
    ap.add_argument("--corpus", default=os.path.join(SRC, "..", "shared", "corpus"))
    ap.add_argument("--plan-only", action="store_true", help="skip playc -o")
    ap.add_argument("--build-flags", default="", help="extra flags for playc -o (e.g. -O0)")
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="stop starting new playbooks after this long and report those done (0: no limit)")
    args = ap.parse_args()
    args.playc = os.path.abspath(args.playc)
    args.build_flags = args.build_flags.split()
    out = args.out or tempfile.mkdtemp(prefix="playc-mutate.")
    os.makedirs(os.path.join(out, "failures"), exist_ok=True)
    args.tmp = tempfile.mkdtemp(prefix="work.", dir=out)
    asan = b"libasan" in subprocess.run(["ldd", args.playc], capture_output=True).stdout
    pool = pool_files([args.corpus] if os.path.isdir(args.corpus) else [])
    print("mutate: %d source playbooks, %d mutations, seed %d, %s build, limit %d MB / %g s, %d jobs"
          % (len(pool), args.n, args.seed, "ASan/UBSan" if asan else "plain", args.mem_mb, args.timeout, args.j),
          flush=True)
    counts, failures, slowest, start = {}, [], [], time.time()
    done = 0
    with concurrent.futures.ThreadPoolExecutor(args.j) as ex:
        futs = [ex.submit(job, args, asan, pool, i) for i in range(args.n)]
        for k, fut in enumerate(concurrent.futures.as_completed(futs)):
            if fut.cancelled():
                continue
            i, name, ops, text, res = fut.result()
            done += 1
            if args.max_seconds and time.time() - start > args.max_seconds:
                for f in futs:  # the runs under way finish; no new one starts
                    f.cancel()
            for mode, outcome, rc, dt, err in res:
                counts[(mode, outcome)] = counts.get((mode, outcome), 0) + 1
                slowest.append((dt, i, mode, ops))
                if outcome in ("ok", "diag"):
                    continue
                failures.append((i, mode, outcome, rc, name, ops))
                base = os.path.join(out, "failures", "%05d-%s-%s" % (i, mode, outcome))
                with open(base + ".yml", "wb") as f:
                    f.write(text)
                with open(base + ".txt", "wb") as f:
                    f.write(("from %s by %s: %s, exit %s, %.1f s\n" % (name, ops, outcome, rc, dt)).encode() + err)
            if (k + 1) % 500 == 0:
                print("  %d/%d done, %d failures, %.0f s" % (k + 1, args.n, len(failures), time.time() - start),
                      flush=True)
    shutil.rmtree(args.tmp, ignore_errors=True)
    print("outcomes (mode, outcome: count):")
    for key in sorted(counts):
        print("  %-6s %-8s %6d" % (key[0], key[1], counts[key]))
    print("slowest runs:")
    for dt, i, mode, ops in sorted(slowest, reverse=True)[:5]:
        print("  %6.1f s  #%d %s (%s)" % (dt, i, mode, ops))
    bad = [f for f in failures if f[2] != "oom"]
    print("%d mutated playbooks in %.0f s: %d crashes, %d hangs, %d other exits, %d over the memory limit; "
          "failures kept in %s" % (done, time.time() - start, sum(f[2] == "crash" for f in failures),
                                   sum(f[2] == "hang" for f in failures),
                                   sum(f[2].startswith("exit") for f in failures),
                                   sum(f[2] == "oom" for f in failures), os.path.join(out, "failures")))
    for f in failures[:30]:
        print("  #%d %s: %s (exit %s) from %s by %s" % f)
    if not args.out and not failures:
        shutil.rmtree(out, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
