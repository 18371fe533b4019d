#!/usr/bin/env bash
# Async suite: the async/poll task keywords and async_status, each playbook
# of tests/async/ compiled once and run on 1 and on 3 harness hosts next to
# ansible-playbook run live (or replayed from the oracle cache), as the
# structure suite compares them (exit code, recap, outline, printed results;
# tests/structure/common.sh and normalize.py).
#
# Normalised besides: job ids (Ansible's "j<digits>.<pid>", playc's the same
# shape, random in both) become @JID@; the ASYNC OK / FAILED lines print in
# the order hosts finish, so they are compared sorted, apart from the rest.
# "ASYNC POLL" lines depend on timing
# (how many polls a job needed), so they are compared apart: each host whose
# ansible-playbook run printed some must have some in playc's, and each of
# playc's must be well formed.
. "$(dirname "$0")/lib.sh"
. "$PLAYC_SRC/tests/structure/common.sh"
NORMALIZE=$S/normalize.py
S=$(cd "$PLAYC_SRC/tests/async" && pwd -P)

structure_harness
names=()
for f in "$S"/*.yml; do names+=("$(basename "$f" .yml)"); done

# norm OUT: OUT.norm without the ASYNC lines, which print as results arrive
# from hosts running in parallel; OUT.async: the ASYNC OK / FAILED lines,
# sorted; OUT.polls: the hosts with ASYNC POLL lines
norm() {
  python3 "$NORMALIZE" --batch "$S" "$1.raw" "$(cat "$1.base")" "$1.tmp"
  sed -E 's/j[0-9]+\.[0-9]+/@JID@/g' "$1.tmp" | grep -v '^ *[?] ASYNC ' > "$1.norm"
  sed -E 's/j[0-9]+\.[0-9]+/@JID@/g' "$1.raw" | grep -E '^ASYNC (OK|FAILED) ' | sort > "$1.async"
  grep -oE '^ASYNC POLL on [^:]+' "$1.raw" | sort -u > "$1.polls"
}

for name in "${names[@]}"; do
  "$PLAYC" "$S/$name.yml" -o "$work/$name.bin" > "$work/$name.compile" 2>&1 ||
    { bad "$name: compile"; cat "$work/$name.compile"; continue; }
  for n in 1 3; do
    out=$work/$name-$n
    run_ansible "$name" "$n" "$out.ans"
    run_playc "$name" "$n" "$work/$name.bin" "$out.pc"
    norm "$out.ans"
    norm "$out.pc"
    result_text "$out.ans" > "$out.ans.txt"
    result_text "$out.pc" > "$out.pc.txt"
    for v in exit recap outline results files; do
      expect_eq "$name-$n playc vs ansible: $v" "$("view_$v" "$out.ans.txt")" "$("view_$v" "$out.pc.txt")"
    done
    expect_eq "$name-$n: ASYNC OK / FAILED lines" "$(cat "$out.ans.async")" "$(cat "$out.pc.async")"
    expect_eq "$name-$n: hosts with ASYNC POLL lines" "$(cat "$out.ans.polls")" "$(cat "$out.pc.polls")"
    expect "$name-$n: playc's ASYNC POLL lines well formed" \
      test -z "$(grep '^ASYNC POLL' "$out.pc.raw" | grep -vE '^ASYNC POLL on h[0-9]: jid=j[0-9]+\.[0-9]+ started=1 finished=0$')"
  done
done

# playc only: a task timeout kills the command on the target (Ansible's does not)
"$PLAYC" "$S/playc/timeout_kills.yml" -o "$work/kills.bin" > "$work/kills.compile" 2>&1 || cat "$work/kills.compile"
(cd "$work" && "$work/kills.bin" -i "${INV[3]}" --known-hosts "$H/known_hosts" < /dev/null > "$work/kills.out" 2>&1)
expect_eq "timeout_kills: exit (the timeouts ignored)" 0 "$?"
expect_eq "timeout_kills: every host timed out" 3 "$(grep -c 'The shell action failed to execute in the expected time frame (1) and was terminated' "$work/kills.out")"
expect_eq "timeout_kills: the command is gone on every host" 3 "$(grep -c '"msg": "gone"' "$work/kills.out")"
finish
