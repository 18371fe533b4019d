#!/usr/bin/env bash
# record.sh — regenerate the fixtures of the structure suite from the real
# ansible-playbook.
#
#   tests/structure/record.sh              every playbook, on 1 and on 3 hosts
#   tests/structure/record.sh NAME...      only these playbooks (NAME.yml)
#
# Needs ansible-playbook (Debian's ansible-core 2.14), strace, sshd and
# python3; run from any folder (as root, like the other harness tests). For
# each playbook tests/structure/NAME.yml and each host count N it starts
# nothing but ansible-playbook against the harness hosts (the same private
# loopback sshd, inventory and ansible.cfg that run_structure.sh uses) and
# writes tests/structure/expected/NAME-N.txt:
#   - header lines "# ...": where it came from, and "# source" lines listing
#     every file the run read (from strace) with its hash: run_structure.sh
#     fails on a fixture whose sources changed since (see sources.py);
#   - the run's comparable text (common.sh result_text): exit code, output
#     normalised by normalize.py, files produced.
# A playbook whose first line is "# args: ..." gets those arguments (e.g.
# -e, --tags) here and in run_structure.sh alike.
#
# Never edit a fixture by hand: change the playbook and re-record it, then
# review the fixture's diff as the new expectation.
PLAYC=${PLAYC:-unused}
PLAYC_SRC=${PLAYC_SRC:-$(cd "$(dirname "$0")/../.." && pwd -P)}
. "$PLAYC_SRC/tests/lib.sh"
. "$PLAYC_SRC/tests/structure/common.sh"

command -v strace >/dev/null || { echo "record.sh: strace is needed (apt-get install strace)" >&2; exit 1; }
command -v ansible-playbook >/dev/null || { echo "record.sh: ansible-playbook is needed" >&2; exit 1; }

names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(structure_playbooks)
for name in "${names[@]}"; do
  [ -f "$S/$name.yml" ] || { echo "record.sh: no playbook $S/$name.yml" >&2; exit 1; }
done

structure_harness
version=$(ansible-playbook --version 2>&1 | sed -n 1p)
mkdir -p "$S/expected"
for name in "${names[@]}"; do
  for n in 1 3; do
    out=$work/$name-$n
    # -b execve: not the ssh processes ansible starts (their ControlPersist
    # master would keep strace waiting)
    run_ansible "$name" "$n" "$out" strace -f -b execve -qq -e trace=%file -e signal=none -o "$out.strace"
    pb_args "$name"
    {
      echo "# Recorded by tests/structure/record.sh from $version; do not edit."
      echo "# playbook $name.yml on $n host(s)${ARGS[*]:+, arguments: ${ARGS[*]}}"
      python3 "$S/sources.py" record "$S" "$S/$name.yml" "$out".strace*
      result_text "$out"
    } > "$S/expected/$name-$n.txt"
    echo "recorded $name-$n (exit $(cat "$out.rc"))"
  done
done
