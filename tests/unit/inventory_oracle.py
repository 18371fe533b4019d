#!/usr/bin/env python3
"""inventory_oracle.py — differential test of the run-time inventory against
ansible-core: each inventory below is written to a file and read by
`ansible-inventory --list` and by `test_inventory --list` (groups, their
hosts and children in order, every host's merged vars), and host patterns
are resolved by ansible-playbook (each play's ansible_play_hosts_all, what
`ansible --list-hosts` lists) and `test_inventory --match` (the hosts and
their order). A source Ansible cannot parse must leave playc's
inventory empty, with Ansible's message: Ansible keeps what it read before
the error (and shows it when another source parses), playc keeps nothing of
a bad source, which is the safer of the two.

usage: inventory_oracle.py PATH/TO/test_inventory
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

INVENTORIES = {
    # a children section naming groups defined later (issue 12, defect 4)
    "later.ini": "[prod:children]\nweb\ndb\n[web]\nlocalhost\nw2\n[db]\nd1\n",
    "layout.ini": """alone a=1
[prod:children]
web
db
[web]
w[01:03] x=1
[db]
db-[a:c]
w02 x=2
[prod:vars]
x=0
y=prod
[all:vars]
y=all
z=3
""",
    # values: shlex quoting, Python literals, comments, ports, ranges
    "values.ini": """h1 a="1" b=1 c=010 d=true e="a b" f=[1,2] g="[1, 2]" h=0x10 i=1e3 j=-5 k=+5 l=1_000 m=None n=x#y o=1 # comment
h3 p='it''s' q="say \\"hi\\"" r=1.5 s=-0.0 u={'k':[1,None]}
[g]
h2:2222
[g:vars]
v1="1"
v2=1
v3= spaced value
v4=a=b
v5=[1, 'two']
[h]
web[01:03]:22
web[a:c]
x[1:10:4]y[1:2]
al[a:z:7]
""",
    # precedence: depth, then ansible_group_priority, then name; host vars last
    "precedence.ini": """[c]
h x=host
[a:children]
b
[b:children]
c
[a:vars]
x=a
y=a
z=a
[b:vars]
x=b
y=b
[c:vars]
x=c
[p]
h
[q]
h
[p:vars]
v=p
[q:vars]
v=q
ansible_group_priority=0
[r]
h
[r:vars]
v=r
""",
    "ungrouped.ini": "h1\nh2\n[g]\nh1\n[g2]\n",
    "comments.ini": "; comment\n# comment\n[web] # trailing\nw1\n\n[db:children] ; x\n",
    "cycle.ini": "[a:children]\nb\n[b:children]\na\n[a]\nh1\n",
    "self.ini": "[a:children]\na\n[a]\nh1\n",
    "undefined.ini": "[a:children]\nnope\n[a]\nh1\n",
    "undefined_vars.ini": "[a:vars]\nx=1\n[b]\nh1\n",
    "bad_kv.ini": "[a]\nh1 novalue\n",
    "bad_section.ini": "[a b]\nh1\n",
    "bad_type.ini": "[a:bogus]\nh1\n",
    "bad_range.ini": "[a]\nweb[3:1:0]\n",
    "hosts_only.ini": "h1\nh2 ansible_port=22\nh1 v=1\n",
    "layout.yml": """all:
  hosts:
    solo:
      s: 1
  vars:
    av: all
  children:
    web:
      hosts:
        w[1:3]:
          role: web
        w9:2222:
      vars:
        wv: web
    db:
      hosts:
        d1:
        w2: {role: both}
    prod:
      children:
        web:
        db:
      vars:
        wv: prod
        pv: prod
""",
    "later.yml": """prod:
  children:
    web:
web:
  hosts: w1
  vars: {x: 1}
other:
  hosts:
    o1: {x: 2}
  children: web
""",
    "merge.yml": """common: &c {port: 22, user: u}
all:
  children:
    g:
      vars:
        <<: *c
        user: v
      hosts:
        h1:
""",
    "bad_hosts.yml": "g:\n  hosts: [h1, h2]\n",
    "bad_top.yml": "- g\n",
    "cycle.yml": "a:\n  children:\n    b:\n      children:\n        a:\n",
}

PATTERN_INVENTORY = "patterns.yml"
INVENTORIES[PATTERN_INVENTORY] = """all:
  hosts:
    solo:
  children:
    web:
      hosts:
        w[1:3]:
    db:
      hosts:
        d1:
        w2:
    prod:
      children:
        web:
        db:
"""
PATTERNS = ["all", "web", "db:web", "web:db", "web,db", "web:&db", "prod:!web", "!db:web", "&db",
            "w*", "~^[dw][12]$", "~[12]", "~w", "~(d|so)", "web[0]", "web[-1]", "web[1:]", "web[0:1]", "all:!ungrouped",
            "ungrouped", "solo", "nomatch", "localhost", "web:localhost", "d?"]


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def ansible_env(tmp):
    env = dict(os.environ, ANSIBLE_LOCAL_TEMP=os.path.join(tmp, "ansible-tmp"),
               ANSIBLE_HOME=os.path.join(tmp, "ansible-home"), ANSIBLE_NOCOLOR="1")
    return env


def failure(stderr, plugin):
    """The message of the "Failed to parse SOURCE with PLUGIN plugin: MESSAGE"
    warning for `plugin`, whitespace joined (Ansible wraps its warnings), or
    None when the source parsed."""
    text = stderr.decode().replace("[WARNING]:", "\0")
    for line in text.split("\0"):
        line = " ".join(line.split())
        if "Failed to parse" in line and (" with %s plugin: " % plugin) in line:
            return line.split(" with %s plugin: " % plugin, 1)[1]
    return "(no message)" if "Unable to parse" in text else None


def ansible_patterns(path, env, tmp):
    """The hosts each of PATTERNS selects, in order, from one ansible-playbook
    run: a play per pattern prints its ansible_play_hosts_all (the hosts
    InventoryManager.get_hosts gives the play, as --list-hosts lists them)."""
    pb = os.path.join(tmp, "patterns_pb.yml")
    with open(pb, "w") as f:
        for i, pat in enumerate(PATTERNS):
            f.write("- hosts: %s\n  gather_facts: false\n  tasks:\n"
                    "    - debug:\n        msg: \"pattern-%d {{ ansible_play_hosts_all | join(',') }}\"\n"
                    "      run_once: true\n" % (json.dumps(pat), i))
    out = run(["ansible-playbook", "-i", path, "-c", "local", pb], env=env).stdout.decode()
    found = dict(re.findall(r'"msg": "pattern-(\d+) ([^"]*)"', out))
    return [found.get(str(i), "").split(",") if found.get(str(i)) else [] for i in range(len(PATTERNS))]


def main():
    exe = sys.argv[1]
    failed = passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        env = ansible_env(tmp)
        for name, text in INVENTORIES.items():
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            lists = dict(zip(INVENTORIES, pool.map(
                lambda n: run(["ansible-inventory", "-i", os.path.join(tmp, n), "--list"], env=env),
                INVENTORIES)))
        for name in INVENTORIES:
            path = os.path.join(tmp, name)
            ans = lists[name]
            want = json.loads(ans.stdout)
            got_run = run([exe, "--list", path])
            try:
                got = json.loads(got_run.stdout)
            except ValueError:
                got = got_run.stdout.decode()
            plugin = "yaml" if name.endswith(".yml") else "ini"
            ans_err, pc_err = failure(ans.stderr, plugin), failure(got_run.stderr, plugin)
            if ans_err is not None:  # the source does not parse: same words, nothing kept
                want = {"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}
                if pc_err != ans_err:
                    got = {"error": pc_err}
                    want = {"error": ans_err}
            if got == want:
                passed += 1
            else:
                failed += 1
                print("%s:\n  playc:   %s\n  ansible: %s" % (name, json.dumps(got, sort_keys=True),
                                                          json.dumps(want, sort_keys=True)))
        path = os.path.join(tmp, PATTERN_INVENTORY)
        for pat, want in zip(PATTERNS, ansible_patterns(path, env, tmp)):
            got = run([exe, "--match", pat, path]).stdout.decode().split()
            if got == want:
                passed += 1
            else:
                failed += 1
                print("pattern %r:\n  playc:   %s\n  ansible: %s" % (pat, got, want))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


main()
