#!/usr/bin/env bash
# Variable precedence against ansible-playbook (ctest var_precedence).
#
# matrix-N: tests/precedence/gen.py writes a layout where variable vNN is
# defined at every level of Ansible 2.14's order from role defaults up to
# level NN (inventory file, group_vars/host_vars beside the inventory and
# the playbook, the fact cache, play vars, vars_prompt, vars_files, role
# vars and defaults, block and task vars, include_vars, set_fact, role and
# include params, -e), on 1 and on 3 hosts; each vNN must show level NN's
# value, and the same names are printed where fewer levels apply (before the
# dynamic levels, in the play's tasks, in a later play).
# The other cases are playbooks of tests/precedence/ (their header says
# what they check), on the same 3-host inventory; merge/ (its own
# inventory) with hash_behaviour merge and replace.
#
# Compared with ansible-playbook, run now (or replayed from the oracle
# cache): exit code, PLAY RECAP, every printed result, every failure's
# message, the warnings. Connection local, one fork (hosts print in
# inventory order), a few seconds per run.
. "$(dirname "$0")/lib.sh"
P=$PLAYC_SRC/tests/precedence
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP=$work/ansible-local

failures() {
  python3 -c '
import json, re, sys
for line in open(sys.argv[1]):
    if line.startswith("fatal: "):
        head, _, body = line.partition(" => ")
        msg = json.loads(body).get("msg", "")
        msg = re.sub(r"(An unhandled exception occurred while templating .*?original message: )+", r"\1", msg)
        # heads only: Ansible words an undefined lazy var error with its
        # template text, which a compiled program does not hold
        print(head if sys.argv[2] == "heads" else head + " " + msg)
' "$1" "${FAILURE_TEXT:-msg}"
}

# case NAME DIR INVENTORY PLAYBOOK ARGS...: compile DIR/PLAYBOOK in DIR, run both
case_() {
  local name=$1 dir=$2 inv=$3 pb=$4
  shift 4
  (cd "$dir" && "$PLAYC" "$pb" -o "$work/$name.bin") > "$work/$name.compile" 2>&1 \
    || { bad "$name: compile"; cat "$work/$name.compile"; return; }
  local key ans_rc
  key=$(oracle_key "$name" "$dir" "$inv" "$pb" "$*")
  if ! oracle_load "$key" "$name.ans" "$name.ansrc"; then
    (cd "$dir" && ansible-playbook -f 1 -i "$inv" "$pb" "$@" < /dev/null > "$work/$name.ans" 2>&1)
    echo $? > "$work/$name.ansrc"
    oracle_save "$key" "$name.ans" "$name.ansrc"
  fi
  ans_rc=$(cat "$work/$name.ansrc")
  (cd "$dir" && "$work/$name.bin" -f 1 -i "$inv" "$@" < /dev/null > "$work/$name.pc" 2>&1)
  local pc_rc=$?
  expect_eq "$name: exit code" "$ans_rc" "$pc_rc"
  expect_eq "$name: PLAY RECAP" "$(recap "$work/$name.ans")" "$(recap "$work/$name.pc")"
  expect_eq "$name: printed results" "$(grep -E '^( |\.\.\.|ok:|changed:|skipping:|included:)' "$work/$name.ans")" \
    "$(grep -E '^( |\.\.\.|ok:|changed:|skipping:|included:)' "$work/$name.pc" | sed "s|$dir/|$dir/|")"
  expect_eq "$name: failures" "$(failures "$work/$name.ans")" "$(failures "$work/$name.pc")"
  expect_eq "$name: warnings" "$(grep -A2 '^\[WARNING\]' "$work/$name.ans")" \
    "$(grep -A2 '^\[WARNING\]' "$work/$name.pc")"
}

for n in 1 3; do
  d=$work/matrix-$n
  python3 "$P/gen.py" "$d" "$n"
  ANSIBLE_CONFIG=$d/ansible.cfg case_ "matrix-$n" "$d/playbook" "$d/inventory/hosts.ini" site.yml -e 'v22="extra vars"'
done
case_ extras "$P" "$P/inventory/hosts.ini" extras.yml -e item=extra -e 'lazy_e="-e sees {{ lazy_base }}"'
FAILURE_TEXT=heads case_ hostvars "$P" "$P/inventory/hosts.ini" hostvars.yml

# hash_behaviour: merge/ defines dict `m` at every level; merged with
# ANSIBLE_HASH_BEHAVIOUR=merge, replaced by default (hostvars with -e too)
ANSIBLE_HASH_BEHAVIOUR=merge case_ merge "$P/merge" "$P/merge/inventory/hosts.ini" site.yml \
  -e '{"m": {"e1": 1, "n": {"e1": 1}}}' -e '{"m": {"e2": 1}}'
case_ replace "$P/merge" "$P/merge/inventory/hosts.ini" site.yml -e '{"m": {"e1": 1, "n": {"e1": 1}}}' -e '{"m": {"e2": 1}}'
finish
