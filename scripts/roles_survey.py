#!/usr/bin/python3
"""Survey how much real Ansible content playc compiles.

    scripts/roles_survey.py [options] ROLES_DIR
    scripts/roles_survey.py [options] CORPUS_DIR     # a folder with playbooks/ and roles/

For every role of ROLES_DIR (each sub-folder with tasks/, or meta/, or handlers/)
and of the collections given with --collections, the survey writes a minimal
playbook, as `ansible-galaxy init`'s test does:

    - hosts: all
      roles: [ NAME ]

and takes the role's own test playbooks when it has them (tests/test.yml,
test/test.yml, tests/main.yml, molecule/default/converge.yml or playbook.yml,
or the first molecule scenario's; --all-tests takes every scenario and every
tests/*.yml that is a playbook). A CORPUS_DIR's playbooks are taken as they are,
with its roles/ on the roles path.

Each playbook goes through `ansible-playbook --syntax-check`, `playc --plan` and
`playc -o`. The report (Markdown, on stdout) has one row per playbook, the
first error lines of each failure, the playbooks that Ansible accepts and
`playc --plan` rejects, and what stops the builds: the unsupported modules,
module parameters, filters, tests, calls and keywords, counted by roles.
A syntax-check that fails because a collection or role is missing is recorded
as such (it is the environment, not the role).

Role names: a role is reachable by its folder name, by `namespace.role_name`
and `author.role_name` from its meta/main.yml, by its bare `role_name` (in its
own playbooks), and by the names an optional `aliases.txt` in ROLES_DIR gives
(`FOLDER ALIAS...` a line: names other roles use for it, e.g. the bare names
openstack roles use for each other). Each role's playbooks run with a roles
path of their own (symlinks): its own names first, then every other role's
folder name, qualified names and aliases.txt names, so names never collide.
MOLECULE_PROJECT_DIRECTORY is set to the role, as molecule does.
"""
import argparse
import concurrent.futures as cf
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml  # python3-yaml, a dependency of ansible-core
except ImportError:  # pragma: no cover
    yaml = None

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PLAYC = os.path.join(HERE, "..", "build", "playc")


def load_yaml(path):
    if yaml is None:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return yaml.safe_load(f)
    except Exception:
        return None


def is_role(path):
    return os.path.isdir(path) and any(
        os.path.isdir(os.path.join(path, d)) for d in ("tasks", "handlers", "meta"))


def meta_names(path):
    """(role_name, [qualified names]) from meta/main.yml's galaxy_info."""
    for f in ("meta/main.yml", "meta/main.yaml"):
        m = load_yaml(os.path.join(path, f))
        if isinstance(m, dict):
            gi = m.get("galaxy_info") or {}
            if not isinstance(gi, dict):
                return None, []
            rn = gi.get("role_name")
            if not isinstance(rn, str) or not rn:
                return None, []
            names = []
            for k in ("namespace", "author"):
                v = gi.get(k)
                if isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9_-]+", v.strip()):
                    names.append("%s.%s" % (v.strip().lower(), rn))
            return rn, names
    return None, []


def is_playbook(path):
    d = load_yaml(path)
    if not isinstance(d, list) or not d:
        return False
    return all(isinstance(p, dict) and ("hosts" in p or "import_playbook" in p
                                        or "ansible.builtin.import_playbook" in p) for p in d)


def test_playbooks(role_dir, all_tests, coll_root=None, short=None):
    """The role's own test playbooks, as (label, path)."""
    found = []

    def add(p):
        if os.path.isfile(p) and p not in [x for _, x in found] and is_playbook(p):
            found.append((os.path.relpath(p, coll_root or role_dir), p))

    bases = [role_dir]
    scen_dirs = sorted(glob.glob(os.path.join(role_dir, "molecule", "*")))
    if coll_root and short:  # a collection's scenarios are named after its roles
        scen_dirs += sorted(d for d in glob.glob(os.path.join(coll_root, "molecule", "*"))
                            if os.path.basename(d) == short or os.path.basename(d).startswith(short + "_"))
    for b in bases:
        for t in ("tests/test.yml", "tests/test.yaml", "test/test.yml", "tests/main.yml", "tests/tests_default.yml"):
            add(os.path.join(b, t))
            if found and not all_tests:
                break
    if all_tests:
        for b in bases:
            for p in sorted(glob.glob(os.path.join(b, "tests", "*.yml")) + glob.glob(os.path.join(b, "test", "*.yml"))):
                add(p)
    scen = []
    for d in scen_dirs:
        for f in ("converge.yml", "playbook.yml"):
            p = os.path.join(d, f)
            if os.path.isfile(p):
                scen.append((os.path.basename(d), p))
                break
    if scen:
        if all_tests:
            for _, p in scen:
                add(p)
        else:
            default = [p for n, p in scen if n in ("default", short)]
            add(default[0] if default else scen[0][1])
    return found


class Role:
    def __init__(self, name, path, short, aliases, coll_root=None, shared=()):
        self.name, self.path, self.short = name, path, short
        self.shared = list(shared)  # names that other roles' playbooks may use too
        self.aliases, self.coll_root = aliases, coll_root
        self.playbooks = []  # (label, path)


def find_roles(roles_dir, collections, aliases_file):
    roles = []
    extra = {}
    if aliases_file and os.path.isfile(aliases_file):
        with open(aliases_file) as f:
            for line in f:
                w = line.split()
                if w and not w[0].startswith("#"):
                    extra[w[0]] = w[1:]
    if roles_dir:
        for n in sorted(os.listdir(roles_dir)):
            p = os.path.join(roles_dir, n)
            if not is_role(p):
                continue
            rn, qual = meta_names(p)
            al = [a for a in qual if a != n] + ([rn] if rn and rn != n else []) + extra.get(n, [])
            roles.append(Role(n, os.path.realpath(p), rn or n, al, shared=extra.get(n, [])))
    for cp in collections:
        for rp in sorted(glob.glob(os.path.join(cp, "ansible_collections", "*", "*", "roles", "*"))):
            if not is_role(rp):
                continue
            parts = rp.split(os.sep)
            ns, coll, r = parts[-4], parts[-3], parts[-1]
            croot = os.path.join(cp, "ansible_collections", ns, coll)
            roles.append(Role("%s.%s.%s" % (ns, coll, r), os.path.realpath(rp), r, [r], croot))
    return roles


def alias_dir(work, role, roles):
    """A roles folder for this role's playbooks: every role by its names, this one's own first."""
    d = os.path.join(work, "roles")
    os.makedirs(d, exist_ok=True)
    links = {}
    for r in roles:
        if r.coll_root:
            continue
        links.setdefault(r.name, r.path)
    for r in roles:
        if r.coll_root:
            continue
        for a in r.aliases:
            if ("." in a and a != r.short) or a in r.shared:
                links.setdefault(a, r.path)
    for a in [role.name] + role.aliases:
        if "." not in a or a.count(".") == 1 or not role.coll_root:
            links[a] = role.path
    for a, p in links.items():
        if "/" in a:
            continue
        dst = os.path.join(d, a)
        if not os.path.lexists(dst):
            os.symlink(p, dst)
    return d


def run(cmd, env, cwd, timeout):
    try:
        r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return r.returncode, r.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return -1, "timeout after %ds" % timeout


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def syntax_reason(out):
    """(category, first error lines) of a failed syntax-check."""
    out = ANSI.sub("", out)
    lines = [l for l in out.splitlines() if l.strip()]
    err = [l for l in lines if l.startswith("ERROR!")] or lines[-3:]
    first = err[0] if err else ""
    if "couldn't resolve module/action" in first or "no action detected in task" in first \
            or "unable to find" in first.lower() and "collection" in first.lower():
        m = re.search(r"module/action '([^']+)'", first)
        return "missing module/collection" + (" (%s)" % m.group(1) if m else ""), err[:2]
    if re.search(r"the role '[^']+' was not found", first):
        m = re.search(r"the role '([^']+)'", first)
        return "missing role (%s)" % m.group(1), err[:1]
    if "could not find or access" in first.lower() or "Unable to retrieve file contents" in first:
        return "missing file", err[:2]
    return "error", err[:3]


ERR = re.compile(r"^(?P<loc>\S+?:\d+:\d+): error: (?P<msg>.*)$")


def playc_errors(out):
    """[(location, message)] of playc's diagnostics, each once."""
    seen, res = set(), []
    for l in out.splitlines():
        m = ERR.match(l)
        if m:
            k = (m.group("loc"), m.group("msg"))
            if k not in seen:
                seen.add(k)
                res.append(k)
        elif l.startswith("playc:") and ("error" in l or "fatal" in l):
            res.append(("", l))
    if not res and out.strip():
        res.append(("", out.strip().splitlines()[-1]))
    return res


def plan_key(msg):
    """A plan error's kind: its message without names, paths and search lists."""
    k = re.sub(r" \((searched|as) .*| in /.*", "", msg)
    k = re.sub(r"couldn't resolve module/action '[^']*'.*", "could not resolve module/action '…'", k)
    k = re.sub(r"'[^']*'", "'…'", k).replace("could not resolve", "couldn't resolve")
    return k[:120]


def unsupported_key(msg):
    """A build error's category, for the counts ('module apt', 'filter ternary' ...)."""
    m = re.match(r"module '[^']+' \(([^)]+)\) is not supported", msg)
    if m:
        return "module " + m.group(1)
    m = re.match(r"parameter '([^']+)' of module (\S+) is not supported", msg)
    if m:
        return "parameter %s.%s" % (m.group(2), m.group(1))
    m = re.match(r"(\S+=\S*) of module (\S+) is not supported", msg)
    if m:
        return "choice %s %s" % (m.group(2), m.group(1))
    m = re.match(r"(filter|test) '([^']+)' is not supported", msg)
    if m:
        return "%s %s" % (m.group(1), m.group(2))
    m = re.match(r"calling (.+) is not supported", msg)
    if m:
        return "call " + m.group(1).replace("'", "")
    m = re.match(r"'([^']+)' is not supported by playc yet", msg)
    if m:
        return "keyword " + m.group(1)
    m = re.match(r"(.*) is not supported by playc yet", msg)
    if m:
        return "other " + m.group(1)
    return "error " + re.sub(r"'[^']*'", "'…'", msg)[:90]


def survey_one(job):
    role, label, pb, work, env, opts = job
    res = {"role": role.name, "playbook": label, "path": pb}
    cwd = os.path.dirname(pb)
    if opts.no_syntax:
        res["syntax"], res["syntax_reason"], res["syntax_err"] = None, "", []
    else:
        rc, out = run(["ansible-playbook", "--syntax-check", "-i", "localhost,", pb], env, cwd, opts.timeout)
        res["syntax"] = rc == 0
        res["syntax_reason"], res["syntax_err"] = ("", []) if rc == 0 else syntax_reason(out)
    rc, out = run([opts.playc, "--plan", pb], env, cwd, opts.timeout)
    res["plan"] = rc == 0
    res["plan_err"] = [] if rc == 0 else playc_errors(out)
    res["plan_rc"] = rc
    if opts.no_build:
        res["build"], res["build_err"] = None, []
        return res
    binp = os.path.join(work, re.sub(r"[^A-Za-z0-9_.-]", "_", label) + ".bin")
    rc, out = run([opts.playc, pb, "-o", binp], env, cwd, opts.timeout)
    res["build"] = rc == 0
    res["build_err"] = [] if rc == 0 else playc_errors(out)
    res["build_rc"] = rc
    if os.path.exists(binp):
        os.unlink(binp)
    return res


def rel(s, roots):
    for r in roots:
        if r.endswith("/*/roles"):  # a role's own roles folder of symlinks
            m = re.match(re.escape(r[:-len("/*/roles")]) + r"/[^/]+/roles/", s)
            if m:
                return s[m.end():]
            continue
        if r and s.startswith(r + "/"):
            return s[len(r) + 1:]
    return s


def yn(v):
    return "-" if v is None else ("yes" if v else "**no**")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", nargs="?", help="a folder of roles, or a corpus folder (playbooks/ and roles/)")
    ap.add_argument("--playc", default=DEFAULT_PLAYC)
    ap.add_argument("--collections", action="append", default=[],
                    help="a collections folder (holding ansible_collections/): put on the collections path, "
                         "and its roles surveyed")
    ap.add_argument("--collections-path", action="append", default=[],
                    help="a collections folder put on the collections path only")
    ap.add_argument("--roles-path", action="append", default=[], help="more roles (dependencies), searched last")
    ap.add_argument("--aliases", help="FOLDER ALIAS... lines (default: DIR/aliases.txt)")
    ap.add_argument("--all-tests", action="store_true", help="every molecule scenario and tests/*.yml playbook")
    ap.add_argument("--no-syntax", action="store_true", help="skip ansible-playbook --syntax-check")
    ap.add_argument("--no-build", action="store_true", help="skip playc -o")
    ap.add_argument("--only", action="append", default=[], help="survey only these roles (names)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--work", help="work folder (default: a temporary one, removed)")
    ap.add_argument("--json", help="write the results as JSON to this file")
    opts = ap.parse_args()
    if not opts.dir and not opts.collections:
        ap.error("give a folder of roles, a corpus folder, or --collections")
    opts.playc = os.path.abspath(opts.playc)
    if not os.access(opts.playc, os.X_OK):
        sys.exit("roles_survey: no playc at %s (build first, or --playc)" % opts.playc)
    work = os.path.abspath(opts.work or tempfile.mkdtemp(prefix="roles-survey."))
    os.makedirs(work, exist_ok=True)
    base_env = dict(os.environ)
    for k in ("ANSIBLE_CONFIG",):
        base_env.pop(k, None)
    base_env.update({
        "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCAL_TEMP": os.path.join(work, ".ansible-tmp"),
        "ANSIBLE_DEPRECATION_WARNINGS": "0", "ANSIBLE_SYSTEM_WARNINGS": "0",
    })
    colls = [os.path.abspath(p) for p in opts.collections + opts.collections_path]
    if colls:
        base_env["ANSIBLE_COLLECTIONS_PATH"] = ":".join(colls)
    extra_roles = [os.path.abspath(p) for p in opts.roles_path]

    jobs = []
    corpus = opts.dir and os.path.isdir(os.path.join(opts.dir, "playbooks")) and \
        os.path.isdir(os.path.join(opts.dir, "roles"))
    roots = []
    if corpus:
        d = os.path.abspath(opts.dir)
        roots = [d]
        env = dict(base_env)
        env["ANSIBLE_ROLES_PATH"] = ":".join([os.path.join(d, "roles")] + extra_roles)
        for pb in sorted(glob.glob(os.path.join(d, "playbooks", "*.yml"))):
            name = os.path.splitext(os.path.basename(pb))[0]
            if opts.only and name not in opts.only:
                continue
            r = Role(name, pb, name, [])
            w = os.path.join(work, name)
            os.makedirs(w, exist_ok=True)
            jobs.append((r, os.path.relpath(pb, d), pb, w, env, opts))
        nroles = len(jobs)
    else:
        d = os.path.abspath(opts.dir) if opts.dir else None
        roots = [p for p in [d] + [os.path.join(c, "ansible_collections") for c in colls] if p]
        roles = find_roles(d, colls if not opts.collections else [os.path.abspath(p) for p in opts.collections],
                           opts.aliases or (d and os.path.join(d, "aliases.txt")))
        if opts.only:
            sel = [r for r in roles if r.name in opts.only]
        else:
            sel = roles
        nroles = len(sel)
        for r in sel:
            w = os.path.join(work, r.name)
            os.makedirs(w, exist_ok=True)
            rdir = alias_dir(w, r, roles)
            env = dict(base_env)
            env["ANSIBLE_ROLES_PATH"] = ":".join([rdir] + extra_roles)
            env["MOLECULE_PROJECT_DIRECTORY"] = r.path
            env["MOLECULE_SCENARIO_NAME"] = "default"
            mini = os.path.join(w, "site.yml")
            with open(mini, "w") as f:
                f.write("- hosts: all\n  roles: [ %s ]\n" % r.name)
            jobs.append((r, "(minimal)", mini, w, env, opts))
            for label, pb in test_playbooks(r.path, opts.all_tests, r.coll_root, r.short):
                e2 = dict(env)
                e2["MOLECULE_SCENARIO_DIRECTORY"] = os.path.dirname(pb)
                jobs.append((r, label, pb, w, e2, opts))
            r.playbooks = [j for j in jobs if j[0] is r]

    results = []
    with cf.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as ex:
        for res in ex.map(survey_one, jobs):
            results.append(res)
            print("%-40s %-34s syntax=%s plan=%s build=%s" % (
                res["role"], res["playbook"][:34], yn(res["syntax"]), yn(res["plan"]), yn(res["build"])),
                file=sys.stderr, flush=True)

    report(results, nroles, corpus, [os.path.realpath(work) + "/*/roles", work + "/*/roles"] + roots, opts)
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(results, f, indent=1)
    if not opts.work:
        shutil.rmtree(work, ignore_errors=True)


def report(results, nroles, corpus, roots, opts):
    P = print
    P("# playc roles survey\n")
    P("playc: `%s`; %s\n" % (opts.playc, "corpus playbooks" if corpus else "%d roles" % nroles))

    def counts(rs):
        n = len(rs)
        s = sum(1 for r in rs if r["syntax"])
        p = sum(1 for r in rs if r["plan"])
        b = sum(1 for r in rs if r["build"])
        sp = sum(1 for r in rs if r["syntax"] and r["plan"])
        return n, s, p, b, sp

    P("| set | playbooks | syntax-check ok | plan ok | build ok | syntax ok and plan ok |")
    P("|---|---:|---:|---:|---:|---:|")
    groups = [("all", results)]
    if not corpus:
        groups = [("minimal playbooks (one per role)", [r for r in results if r["playbook"] == "(minimal)"]),
                  ("the roles' own test playbooks", [r for r in results if r["playbook"] != "(minimal)"]),
                  ("all", results)]
    for g, rs in groups:
        n, s, p, b, sp = counts(rs)
        P("| %s | %d | %s | %d | %s | %d of %d |" % (g, n, "-" if opts.no_syntax else s, p,
                                                   "-" if opts.no_build else b, sp, s))
    P()
    P("## Playbooks\n")
    P("| role | playbook | syntax-check | plan | build | first errors |")
    P("|---|---|---|---|---|---|")
    for r in results:
        first = []
        if r["syntax"] is False:
            first.append("syntax: " + r["syntax_reason"] + (": " + r["syntax_err"][0][:160] if r["syntax_reason"] == "error" and r["syntax_err"] else ""))
        if r["plan"] is False:
            first += ["plan: %s %s" % (rel(loc, roots), msg[:200]) for loc, msg in r["plan_err"][:2]]
        elif r["build"] is False:
            keys = sorted({unsupported_key(m) for _, m in r["build_err"]})
            first.append("build: %d errors; %s" % (len(r["build_err"]), ", ".join(keys[:6]) + (" …" if len(keys) > 6 else "")))
        txt = "<br>".join(x.replace("|", "\\|") for x in first)
        P("| %s | %s | %s | %s | %s | %s |" % (r["role"], r["playbook"], yn(r["syntax"]), yn(r["plan"]),
                                               yn(r["build"]), txt))
    P()
    bad = [r for r in results if r["syntax"] and not r["plan"]]
    P("## Accepted by ansible-playbook --syntax-check, rejected by playc --plan: %d\n" % len(bad))
    for r in bad:
        P("- %s %s (exit %s)" % (r["role"], r["playbook"], r["plan_rc"]))
        for loc, msg in r["plan_err"][:5]:
            P("    - `%s: %s`" % (rel(loc, roots), msg))
    P()
    if bad:
        kinds = {}
        for r in bad:
            for loc, msg in r["plan_err"]:
                k = plan_key(msg)
                e = kinds.setdefault(k, {"roles": set(), "sites": set(), "example": (loc, msg)})
                e["roles"].add(r["role"])
                e["sites"].add(loc)
        P("Their plan errors by kind (roles, distinct sites, an example):\n")
        P("| plan error | roles | sites | example |")
        P("|---|---:|---:|---|")
        for k, e in sorted(kinds.items(), key=lambda kv: (-len(kv[1]["roles"]), -len(kv[1]["sites"]), kv[0])):
            loc, msg = e["example"]
            P("| %s | %d | %d | `%s` |" % (k.replace("|", "\\|"), len(e["roles"]), len(e["sites"]),
                                          rel(loc, roots)))
        P()
    miss = {}
    for r in results:
        if r["syntax"] is False:
            k = re.sub(r" \(.*", "", r["syntax_reason"])
            miss.setdefault(k, []).append("%s %s%s" % (r["role"], r["playbook"],
                                                        re.sub(r"^[^(]*", " ", r["syntax_reason"]) if "(" in r["syntax_reason"] else ""))
    if miss:
        P("## Why syntax-check failed\n")
        for k, v in sorted(miss.items(), key=lambda kv: -len(kv[1])):
            P("- %s: %d: %s" % (k, len(v), "; ".join(v)))
        P()
    # what stops the builds
    by_key = {}
    for r in results:
        if r["plan"] and r["build"] is False:
            for loc, msg in r["build_err"]:
                k = unsupported_key(msg)
                e = by_key.setdefault(k, {"roles": set(), "playbooks": set(), "sites": set()})
                e["roles"].add(r["role"])
                e["playbooks"].add((r["role"], r["playbook"]))
                e["sites"].add(loc)
    planned = [r for r in results if r["plan"]]
    blockers = {}
    for r in planned:
        if r["build"] is False:
            ks = {unsupported_key(m) for _, m in r["build_err"]}
            if len(ks) == 1:
                blockers.setdefault(ks.pop(), []).append("%s %s" % (r["role"], r["playbook"]))
    P("## What stops the builds (%d planned, %d built)\n" % (len(planned), sum(1 for r in planned if r["build"])))
    P("Counted over the playbooks that plan; *roles* is the number of distinct roles (or corpus playbooks)")
    P("whose playbooks hit it, *sites* the distinct source locations.\n")
    P("| unsupported | roles | playbooks | sites |")
    P("|---|---:|---:|---:|")
    for k, e in sorted(by_key.items(), key=lambda kv: (-len(kv[1]["roles"]), -len(kv[1]["sites"]), kv[0])):
        P("| %s | %d | %d | %d |" % (k, len(e["roles"]), len(e["playbooks"]), len(e["sites"])))
    P()
    for kind in ("module", "parameter", "choice", "filter", "test", "call", "keyword", "other", "error"):
        ks = [(k, e) for k, e in by_key.items() if k.split(" ", 1)[0] == kind]
        if ks:
            P("- %s: %d kinds: %s" % (kind, len(ks), ", ".join(
                "%s (%d)" % (k.split(" ", 1)[1], len(e["roles"]))
                for k, e in sorted(ks, key=lambda kv: (-len(kv[1]["roles"]), kv[0])))))
    P()
    if blockers:
        P("Playbooks stopped by one kind of thing only:\n")
        for k, v in sorted(blockers.items(), key=lambda kv: -len(kv[1])):
            P("- %s: %s" % (k, "; ".join(v)))
        P()


if __name__ == "__main__":
    main()
