#!/usr/bin/env python3
"""facts.py — fact gathering, playc against ansible-playbook, on one harness
host (this machine's loopback sshd).

Gathering cost = time of a play that gathers facts and runs one task, minus
the same play without gathering (so connecting is not counted); each the
fastest of N runs (other load on a shared machine only adds time). Measured
directly and through bench/delayproxy.py adding DELAY ms each way; round
trips per host = (cost with delay - cost without) / round-trip time.

usage: bench/facts.py [--runs N] [--delay MS]    (build/playc must exist)
Prints a table; nothing is asserted.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYC = os.path.join(ROOT, "build", "playc")

PLAY = """- hosts: all
  gather_facts: %s
  tasks:
    - command: "true"
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def timed(cmd, env=None):
    t = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr.decode()[-2000:]))
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--delay", type=int, default=25, help="ms added each way by the proxy")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="playc-bench-facts.")
    os.chmod(work, 0o755)
    h = os.path.join(work, "h")
    subprocess.run(["bash", os.path.join(ROOT, "tests/harness/sshd.sh"), "start", h, "1"], check=True,
                   stdout=subprocess.DEVNULL)
    proxy = None
    try:
        env = dict(line.split("=", 1) for line in open(os.path.join(h, "env")).read().split("\n") if "=" in line)
        port, user, key = env["PLAYC_TEST_SSH_PORT"], env["PLAYC_TEST_SSH_USER"], env["PLAYC_TEST_SSH_KEY"]
        pport = free_port()
        proxy = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "delayproxy.py"), "127.0.0.1",
                                  str(pport), "127.0.0.2", port, str(a.delay)])
        time.sleep(0.5)
        invs = {}
        for name, host, p in (("direct", "127.0.0.2", port), ("delayed", "127.0.0.1", str(pport))):
            inv = os.path.join(work, name + ".ini")
            with open(inv, "w") as f:
                f.write("h1 ansible_host=%s ansible_port=%s ansible_user=%s ansible_ssh_private_key_file=%s\n" %
                        (host, p, user, key))
            invs[name] = inv
        cfg = os.path.join(work, "ansible.cfg")
        with open(cfg, "w") as f:
            f.write("[defaults]\nhost_key_checking = False\nretry_files_enabled = False\n"
                    "[ssh_connection]\npipelining = True\nssh_args = -o ControlMaster=auto -o ControlPersist=60s "
                    "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o ControlPath=%s/cm-%%%%h-%%%%p\n"
                    % work)
        bins = {}
        for g in ("true", "false"):
            pb = os.path.join(work, "g-%s.yml" % g)
            with open(pb, "w") as f:
                f.write(PLAY % g)
            subprocess.run([PLAYC, pb, "-o", pb[:-4]], check=True, cwd=work)
            bins[g] = pb
        aenv = dict(os.environ, ANSIBLE_CONFIG=cfg)
        res = {}
        for tool in ("playc", "ansible"):
            for name in ("direct", "delayed"):
                for g in ("true", "false"):
                    pb = bins[g]
                    if tool == "playc":
                        cmd = [pb[:-4], "-i", invs[name], "--host-key-checking=no"]
                        e = None
                    else:
                        cmd = ["ansible-playbook", "-i", invs[name], pb]
                        e = aenv
                    ts = [timed(cmd, e) for _ in range(a.runs)]
                    # the fastest run: on a shared machine other load only adds time
                    res[(tool, name, g)] = min(ts)
        rtt = 2 * a.delay / 1000.0
        print("fact gathering on one host (fastest of %d runs; proxy adds %d ms each way)" % (a.runs, a.delay))
        print("%-8s %14s %14s %12s" % ("", "gather (ms)", "with delay", "round trips"))
        for tool in ("playc", "ansible"):
            d = res[(tool, "direct", "true")] - res[(tool, "direct", "false")]
            l = res[(tool, "delayed", "true")] - res[(tool, "delayed", "false")]
            print("%-8s %14.0f %14.0f %12.1f" % (tool, d * 1000, l * 1000, (l - d) / rtt))
    finally:
        if proxy:
            proxy.terminate()
        subprocess.run(["bash", os.path.join(ROOT, "tests/harness/sshd.sh"), "stop", h])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
