#!/usr/bin/env python3
"""bench/template_render.py — a loop-heavy template rendered by playc's compiled
code and by python3-jinja2, with the same data (issue 9's "Done means").

The template (TEMPLATE below: nested for loops, loop.*, if, filters, a macro,
about 10,000 output lines for the default 1,000 users) is rendered:
  playc    by a compiled playbook on the implicit localhost: a set_fact task
           whose value is the template, looped RENDERS times; the per-render
           time is (run with RENDERS renders - run with 0 renders) / RENDERS,
           so process start, the play and the task machinery cancel out
  jinja2   by python3-jinja2 (the library Ansible templates with), the same
           text compiled once with Ansible's options (trim_blocks), then
           rendered RENDERS times in-process: the per-render time (Python start
           and template compilation are not counted: in its favour)
Both outputs are checked equal before anything is timed. Times are CPU time
(user + system: getrusage of the child for playc, process_time for jinja2),
not wall clock, so other work on a shared machine does not count; wall clock
is printed beside. Medians over --runs runs; prints one line per contender
and the ratio.

  bench/template_render.py [--playc build/playc] [--users 1000] [--renders 20] [--runs 5]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TEMPLATE = """{% macro flag(b) %}{{ 'on' if b else 'off' }}{% endmacro %}
# {{ users | length }} users
{% for u in users %}
[user {{ loop.index }}/{{ loop.length }}] {{ u.name }}
  uid = {{ u.uid }}
  shell = {{ u.shell | default('/bin/sh') }}
  enabled = {{ flag(u.enabled) }}
{% for g in u.groups %}
  group.{{ loop.index0 }} = {{ g | upper }}{% if not loop.last %},{% endif %}

{% endfor %}
{% if u.uid is divisibleby 7 %}
  lucky = {{ (u.uid // 7) ~ '/' ~ u.name | length }}
{% else %}
  home = /home/{{ u.name | replace('-', '_') }}
{% endif %}
  tags = {{ u.tags | join(' ') }}
{% endfor %}
"""


def gen_users(n):
    return [{"name": "user-%d" % i, "uid": 1000 + i, "enabled": i % 3 != 0,
             "groups": ["wheel", "adm", "g%d" % (i % 11)], "tags": ["t%d" % (i % 5), "x"]}
            for i in range(n)]


def playbook(users, renders, out):
    """A playbook rendering TEMPLATE `renders` times (set_fact in a loop), then
    writing the last result to `out` (to check it against jinja2's)."""
    doc = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars": {"users": users, "renders": list(range(renders))},
            "tasks": [{"name": "render", "set_fact": {"out": TEMPLATE}, "loop": "{{ renders }}"},
                      {"name": "keep", "copy": {"content": "{{ out | default('') }}", "dest": out}}]}]
    return json.dumps(doc)  # JSON is YAML


def time_playc(playc, work, users, renders, runs):
    bins = {}
    for k in (0, renders):
        d = os.path.join(work, "p%d" % k)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "pb.yml"), "w") as f:
            f.write(playbook(users, k, os.path.join(d, "out.txt")))
        subprocess.run([playc, "pb.yml", "-o", "pb.bin"], cwd=d, check=True)
        bins[k] = d
    times = {0: [], renders: []}
    walls = {0: [], renders: []}
    cpu = lambda: (lambda u: u.ru_utime + u.ru_stime)(resource.getrusage(resource.RUSAGE_CHILDREN))
    for _ in range(runs):
        for k in (0, renders):  # alternating
            c0, t0 = cpu(), time.perf_counter()
            r = subprocess.run(["./pb.bin"], cwd=bins[k], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[k].append(cpu() - c0)
            walls[k].append(time.perf_counter() - t0)
            if r.returncode:
                sys.exit("playc's binary failed (exit %d)" % r.returncode)
    with open(os.path.join(bins[renders], "out.txt"), encoding="utf-8") as f:
        text = f.read()
    per = lambda t: (statistics.median(t[renders]) - statistics.median(t[0])) / renders
    return per(times), text, statistics.median(times[0]), per(walls)


def time_jinja2(users, renders, runs):
    import jinja2
    env = jinja2.Environment(trim_blocks=True)  # Ansible's options for playbook strings
    tpl = env.from_string(TEMPLATE)
    text = tpl.render(users=users)
    per, walls = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(renders):
            tpl.render(users=users)
        per.append((time.process_time() - c0) / renders)
        walls.append((time.perf_counter() - t0) / renders)
    return statistics.median(per), text, statistics.median(walls)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--playc", default=os.path.join(ROOT, "build", "playc"))
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--renders", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    users = gen_users(a.users)
    with tempfile.TemporaryDirectory() as work:
        pc, pc_text, base, pc_wall = time_playc(os.path.abspath(a.playc), work, users, a.renders, a.runs)
    jj, jj_text, jj_wall = time_jinja2(users, a.renders, a.runs)
    # Ansible strips the rendered string's trailing newline as Jinja2 does
    if pc_text.rstrip("\n") != jj_text.rstrip("\n"):
        sys.exit("the outputs differ: playc %d bytes, jinja2 %d bytes" % (len(pc_text), len(jj_text)))
    lines = jj_text.count("\n") + 1
    print("template: %d output lines, %d bytes; %d renders per run, median of %d runs" % (
        lines, len(jj_text), a.renders, a.runs))
    print("playc    %8.3f ms CPU per render (wall %.3f ms; a run with no render: %.0f ms CPU)" % (
        pc * 1e3, pc_wall * 1e3, base * 1e3))
    print("jinja2   %8.3f ms CPU per render (wall %.3f ms; python3-jinja2 %s, in-process)" % (
        jj * 1e3, jj_wall * 1e3, __import__("jinja2").__version__))
    print("ratio    jinja2 / playc = %.1f" % (jj / pc if pc > 0 else float("inf")))


if __name__ == "__main__":
    main()
