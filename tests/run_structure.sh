#!/usr/bin/env bash
# Structure suite: roles, includes, blocks, handlers, loops and variable
# precedence, each playbook of tests/structure/ compiled once and run on 1
# and on 3 harness hosts (one private loopback sshd for the whole run).
#
# What playc is compared with: ansible-playbook's recorded results,
# tests/structure/expected/NAME-N.txt (written by tests/structure/record.sh,
# which says how to regenerate them). Compared, each as its own check: exit
# code, PLAY RECAP, the banner sequence with every host's outcome lines,
# every printed result and failure (normalised: see normalize.py), and the
# files produced under the run's base_dir.
#
# Also, on every run:
#   - every fixture must be current: its "# source" hashes (the playbook, the
#     roles, task and vars files Ansible read, the normaliser) must match the
#     tree, every playbook must have its fixtures and every fixture its
#     playbook;
#   - a live sample (STRUCTURE_LIVE, default below; "all" for every
#     playbook, "" for none) runs through ansible-playbook now: playc must
#     match it, and so must the fixture (Ansible itself has not drifted).
# STRUCTURE_ONLY="NAME..." restricts the run to some playbooks.
#
# Time: Python's and ansible-playbook's start-up dominate on a loaded 2-core
# machine, so fixtures are checked and outputs normalised in one python3
# process each, the live sample runs while playbooks compile and run, and
# compiled playbooks run three at a time; the checks print in a fixed order.
. "$(dirname "$0")/lib.sh"
. "$PLAYC_SRC/tests/structure/common.sh"

start=$(date +%s)
elapsed() { echo "[$(($(date +%s) - start)) s] $*"; }
# include_templated is not in it: with 3 hosts, the order in which Ansible
# runs the files its hosts included follows the order their results arrive,
# which varies from run to run (its fixture holds one such order, playc's)
live_default="roles_deps handlers_flush blocks_rescue_fails include_tasks"
live=${STRUCTURE_LIVE-$live_default}

mapfile -t all < <(structure_playbooks)
names=("${all[@]}")
[ -n "${STRUCTURE_ONLY:-}" ] && read -ra names <<< "$STRUCTURE_ONLY"
[ "$live" = all ] && live="${names[*]}"
is_live() { case " $live " in *" $1 "*) return 0 ;; esac; return 1; }

# fixtures: present, current, none orphaned
fixtures=()
for name in "${names[@]}"; do
  for n in 1 3; do
    fx=$S/expected/$name-$n.txt
    if [ -f "$fx" ]; then fixtures+=("$fx"); else bad "$name-$n: no fixture (tests/structure/record.sh $name)"; fi
  done
done
if [ ${#fixtures[@]} -gt 0 ]; then
  while read -r fx state rest; do
    if [ "$state" = current ]; then
      ok "$fx: fixture is current"
    else
      bad "$fx: fixture is stale, $rest (tests/structure/record.sh ${fx%-[0-9]})"
    fi
  done < <(python3 "$S/sources.py" check "$S" "${fixtures[@]}")
fi
if [ -z "${STRUCTURE_ONLY:-}" ]; then
  for fx in "$S"/expected/*.txt; do
    [ -e "$fx" ] || continue
    b=$(basename "$fx" .txt)
    [ -f "$S/${b%-[0-9]}.yml" ] || bad "$b: fixture without a playbook"
  done
fi
elapsed "fixtures checked"

structure_harness

# the live sample, in the background while playc compiles and runs
live_runs() {
  local name n
  for name in "${names[@]}"; do
    is_live "$name" || continue
    for n in 1 3; do run_ansible "$name" "$n" "$work/$name-$n.ans"; done
  done
}
live_runs &
live_pid=$!

# compile every playbook once, two at a time; then run each on 1 and on 3
# hosts, three runs at a time
export PLAYC work
printf '%s\n' "${names[@]}" | xargs -P 2 -I{} sh -c \
  'cd "$work" && "$PLAYC" "$0/{}.yml" -o "$work/{}.bin" > "$work/{}.compile" 2>&1; echo $? > "$work/{}.compile-rc"' "$S"
elapsed "compiled"
run_one() { # NAME N
  [ "$(cat "$work/$1.compile-rc")" = 0 ] && run_playc "$1" "$2" "$work/$1.bin" "$work/$1-$2.pc"
}
export -f run_one run_playc pb_args shared_dir
export S H INV1=${INV[1]} INV3=${INV[3]}
for name in "${names[@]}"; do printf '%s 1\n%s 3\n' "$name" "$name"; done |
  xargs -P 3 -L 1 bash -c 'INV=([1]=$INV1 [3]=$INV3); run_one "$0" "$1"'
elapsed "playc runs done"
wait "$live_pid"
elapsed "live ansible-playbook runs done"

outs=()
for name in "${names[@]}"; do
  for n in 1 3; do
    [ -f "$work/$name-$n.pc.raw" ] && outs+=("$work/$name-$n.pc")
    is_live "$name" && outs+=("$work/$name-$n.ans")
  done
done
normalize_all "${outs[@]}"

# compare_views DESC WANT_FILE GOT_FILE: one check per view
compare_views() {
  local v
  for v in exit recap outline results files; do
    expect_eq "$1: $v" "$("view_$v" "$2")" "$("view_$v" "$3")"
  done
}

for name in "${names[@]}"; do
  for n in 1 3; do
    out=$work/$name-$n
    if [ "$(cat "$work/$name.compile-rc")" != 0 ]; then
      # the compile error stands in for the run, so every view shows it
      { echo "exit: compile failed ($(cat "$work/$name.compile-rc"))"; sed 's/^/? /' "$work/$name.compile"; } > "$out.pc.txt"
    else
      result_text "$out.pc" > "$out.pc.txt"
    fi
    fx=$S/expected/$name-$n.txt
    if [ -f "$fx" ]; then
      grep -v '^# ' "$fx" > "$out.fx.txt"
      compare_views "$name-$n playc vs fixture" "$out.fx.txt" "$out.pc.txt"
    fi
    if is_live "$name"; then
      result_text "$out.ans" > "$out.ans.txt"
      compare_views "$name-$n playc vs live ansible" "$out.ans.txt" "$out.pc.txt"
      [ -f "$fx" ] && expect_eq "$name-$n fixture vs live ansible" "$(cat "$out.fx.txt")" "$(cat "$out.ans.txt")"
    fi
  done
done
elapsed "structure suite: ${#names[@]} playbooks x 2 host counts, live: ${live:-none}"
finish
