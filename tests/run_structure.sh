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
. "$(dirname "$0")/lib.sh"
. "$PLAYC_SRC/tests/structure/common.sh"

start=$(date +%s)
live_default="handlers_notify blocks_nested include_loop precedence_roles"
live=${STRUCTURE_LIVE-$live_default}

mapfile -t all < <(structure_playbooks)
names=("${all[@]}")
[ -n "${STRUCTURE_ONLY:-}" ] && read -ra names <<< "$STRUCTURE_ONLY"
[ "$live" = all ] && live="${names[*]}"

# fixtures: present, current, none orphaned
for name in "${names[@]}"; do
  for n in 1 3; do
    fx=$S/expected/$name-$n.txt
    if [ ! -f "$fx" ]; then
      bad "$name-$n: no fixture (tests/structure/record.sh $name)"
    elif stale=$(python3 "$S/sources.py" check "$S" "$fx"); then
      ok "$name-$n: fixture is current"
    else
      bad "$name-$n: fixture is stale (tests/structure/record.sh $name)"
      echo "$stale" | head -5
    fi
  done
done
if [ -z "${STRUCTURE_ONLY:-}" ]; then
  for fx in "$S"/expected/*.txt; do
    [ -e "$fx" ] || continue
    b=$(basename "$fx" .txt)
    [ -f "$S/${b%-[0-9]}.yml" ] || bad "$b: fixture without a playbook"
  done
fi

# compile every playbook once, two at a time
export PLAYC work
printf '%s\n' "${names[@]}" | xargs -P 2 -I{} sh -c \
  'cd "$work" && "$PLAYC" "$0/{}.yml" -o "$work/{}.bin" > "$work/{}.compile" 2>&1; echo $? > "$work/{}.compile-rc"' "$S"

# compare_views DESC WANT_FILE GOT_FILE: one check per view
compare_views() {
  local v
  for v in exit recap outline results files; do
    expect_eq "$1: $v" "$("view_$v" "$2")" "$("view_$v" "$3")"
  done
}

structure_harness
for name in "${names[@]}"; do
  bin=$work/$name.bin
  for n in 1 3; do
    out=$work/$name-$n
    if [ "$(cat "$work/$name.compile-rc")" != 0 ]; then
      # the compile error stands in for the run, so every view shows it
      { echo "exit: compile failed ($(cat "$work/$name.compile-rc"))"; sed 's/^/? /' "$work/$name.compile"; } > "$out.pc.txt"
    else
      run_playc "$name" "$n" "$bin" "$out.pc"
      result_text "$out.pc" > "$out.pc.txt"
    fi
    fx=$S/expected/$name-$n.txt
    if [ -f "$fx" ]; then
      grep -v '^# ' "$fx" > "$out.fx.txt"
      compare_views "$name-$n playc vs fixture" "$out.fx.txt" "$out.pc.txt"
    fi
    case " $live " in
      *" $name "*)
        run_ansible "$name" "$n" "$out.ans"
        result_text "$out.ans" > "$out.ans.txt"
        compare_views "$name-$n playc vs live ansible" "$out.ans.txt" "$out.pc.txt"
        [ -f "$fx" ] && expect_eq "$name-$n fixture vs live ansible" \
          "$(cat "$out.fx.txt")" "$(cat "$out.ans.txt")"
        ;;
    esac
  done
done
echo "structure suite: ${#names[@]} playbooks x 2 host counts, live: ${live:-none}, $(($(date +%s) - start)) s"
finish
