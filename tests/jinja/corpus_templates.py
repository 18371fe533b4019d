#!/usr/bin/python3
"""Corpus role templates against Ansible, live (not a ctest: the corpus lives
outside the repository). For each role of CORPUS/roles with templates/*.j2,
every template is a case of jinja_cases.py (its text rendered by a debug
task) with the role's defaults/main.yml as vars; ansible-playbook renders
them (regen) and playc's compiled binary must print the same.

  /usr/bin/python3 tests/jinja/corpus_templates.py PLAYC [CORPUS]
CORPUS defaults to /work/shared/corpus. Needs PyYAML and ansible-playbook."""
import glob
import os
import subprocess
import sys
import tempfile

import yaml

here = os.path.dirname(os.path.abspath(__file__))
cases_py = os.path.join(here, "jinja_cases.py")


def main(playc, corpus):
    bad = 0
    with tempfile.TemporaryDirectory() as work:
        for role in sorted(glob.glob(os.path.join(corpus, "roles", "*"))):
            tpls = sorted(glob.glob(os.path.join(role, "templates", "*.j2")))
            if not tpls:
                continue
            defaults = os.path.join(role, "defaults", "main.yml")
            vars_ = (yaml.safe_load(open(defaults)) or {}) if os.path.exists(defaults) else {}
            d = os.path.join(work, os.path.basename(role))
            os.makedirs(d)
            cases = [{"tpl": open(t, encoding="utf-8").read()} for t in tpls]
            with open(os.path.join(d, "c.yml"), "w") as f:
                yaml.safe_dump({"vars": vars_, "cases": cases}, f)
            subprocess.run([sys.executable, cases_py, "regen", "c.yml", "fx.json"], cwd=d, check=True)
            subprocess.run([sys.executable, cases_py, "playbook", "c.yml", "pb.yml"], cwd=d, check=True)
            r = subprocess.run([playc, "pb.yml", "-o", "pb.bin"], cwd=d, capture_output=True, text=True)
            if r.returncode:
                print("%s: %d templates, playc cannot compile them:\n%s" % (os.path.basename(role), len(tpls),
                                                                           r.stderr.split("\n")[0]))
                bad += 1
                continue
            with open(os.path.join(d, "run.log"), "w") as log:
                subprocess.run(["./pb.bin"], cwd=d, stdout=log, stderr=subprocess.STDOUT)
            r = subprocess.run([sys.executable, cases_py, "compare", "c.yml", "fx.json", "run.log"], cwd=d,
                               capture_output=True, text=True)
            print("%s: %s" % (os.path.basename(role), r.stdout.strip()))
            bad += r.returncode != 0
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "/work/shared/corpus"))
