#!/usr/bin/python3
"""The distribution facts of other systems, playc against Ansible.

dist_oracle.py TEST_FACTS_DIST DISTROS_JSON: every entry of DISTROS_JSON
(tests/facts/distros.json: a system's /etc and /usr/lib files, as they ship)
is laid out under a temporary folder; test_facts_dist prints the facts
playc's distribution collector computes from them, and Ansible's
DistributionFactCollector runs on the same files (its file reads, os.path
checks and the distro library pointed at the folder, no lsb_release, as on a
target without it). The two must be equal, key by key.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, "/usr/lib/python3/dist-packages")
from ansible.module_utils import distro  # noqa: E402  (the system's distro, as Ansible uses it)
from ansible.module_utils.facts.system import distribution as dm  # noqa: E402


class Module:
    def get_bin_path(self, *a, **k):
        return None

    def run_command(self, *a, **k):
        raise AssertionError("no commands on these targets")

    def debug(self, *a, **k):
        pass


def ansible_facts(root):
    def remap(p):
        if isinstance(p, str) and (p.startswith("/etc/") or p.startswith("/usr/lib/")):
            return root + p
        return p

    saved = {}

    def patch(obj, name, fn):
        orig = getattr(obj, name)
        saved[(obj, name)] = orig
        setattr(obj, name, lambda p, *a, **k: orig(fn(p), *a, **k))

    for name in ("exists", "getsize", "islink", "realpath"):
        patch(os.path, name, remap)
    patch(dm, "get_file_content", remap)
    patch(dm, "get_file_lines", remap)
    # the module functions sys_info calls read the library's default instance
    impl = distro if hasattr(distro, "_distro") else distro.distro
    saved_distro = impl._distro
    impl._distro = distro.LinuxDistribution(
        include_lsb=False, include_uname=False, include_oslevel=False, root_dir=root)
    try:
        return dm.DistributionFactCollector().collect(module=Module(), collected_facts={})
    finally:
        impl._distro = saved_distro
        for (obj, name), orig in saved.items():
            setattr(obj, name, orig)


def main():
    binary, fixture = sys.argv[1], sys.argv[2]
    systems = json.load(open(fixture))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, files in sorted(systems.items()):
            root = os.path.join(tmp, name)
            for path, text in files.items():
                os.makedirs(os.path.dirname(root + path), exist_ok=True)
                with open(root + path, "w") as f:
                    f.write(text)
            want = ansible_facts(root)
            out = subprocess.run([binary, root], capture_output=True, text=True)
            if out.returncode != 0:
                print(f"{name}: test_facts_dist failed: {out.stderr}")
                failures += 1
                continue
            got = json.loads(out.stdout)
            diff = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
            for k in diff:
                print(f"{name}: {k}: Ansible {want.get(k)!r}, playc {got.get(k)!r}")
            failures += bool(diff)
            if not diff:
                print(f"{name}: {len(want)} facts equal "
                      f"({want['distribution']} {want['distribution_version']}, {want['os_family']})")
    print(f"{len(systems) - failures} of {len(systems)} systems equal")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
