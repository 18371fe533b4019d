#!/usr/bin/env bash
# The run-time evaluator (runtime/eval.c) against ansible-playbook: inventory
# values (YAML and INI), -e values (JSON, key=value, @file) and set_fact values
# holding templates, used by compiled tasks on connection local; `!unsafe`
# values of the playbook and of run-time data (case unsafe). Compared:
# exit code, PLAY RECAP, every printed result and every failure's message
# (Ansible nests "An unhandled exception ..." once per Python frame of a
# recursive template: the nesting is collapsed on both sides). One fork, so
# hosts print in inventory order.
. "$(dirname "$0")/lib.sh"
T=$PLAYC_SRC/tests/evaluator
export PLAYC_EVAL_ENV=from-the-environment PLAYC_EVAL_BRACES='{{ 6 + 1 }}'
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP=$work/ansible-local

failures() {
  python3 -c '
import json, re, sys
for line in open(sys.argv[1]):
    if line.startswith("fatal: "):
        head, _, body = line.partition(" => ")
        msg = json.loads(body).get("msg", "")
        msg = re.sub(r"(An unhandled exception occurred while templating .*?original message: )+", r"\1", msg)
        print(head, msg)
' "$1"
}

# case NAME INVENTORY PLAYBOOK ARGS...
case_() {
  local name=$1 inv=$2 pb=$3
  shift 3
  (cd "$work" && "$PLAYC" "$pb" -o "$work/$name.bin") || { bad "compile $pb"; return; }
  # ansible-playbook's output and exit code, from the oracle cache when it holds them
  local key ans_rc
  key=$(oracle_key "$name" "$inv" "$pb" "$T" "$*" "$PLAYC_EVAL_ENV" "$PLAYC_EVAL_BRACES")
  if ! oracle_load "$key" "$name.ans" "$name.ansrc"; then
    ansible-playbook -f 1 -i "$inv" "$pb" "$@" > "$work/$name.ans" 2>&1
    echo $? > "$work/$name.ansrc"
    oracle_save "$key" "$name.ans" "$name.ansrc"
  fi
  ans_rc=$(cat "$work/$name.ansrc")
  "$work/$name.bin" -f 1 -i "$inv" "$@" > "$work/$name.pc" 2>&1
  local pc_rc=$?
  expect_eq "$name: exit code" "$ans_rc" "$pc_rc"
  expect_eq "$name: PLAY RECAP" "$(recap "$work/$name.ans")" "$(recap "$work/$name.pc")"
  expect_eq "$name: printed results" "$(grep -E '^( |\.\.\.|ok:|changed:|skipping:)' "$work/$name.ans")" \
    "$(grep -E '^( |\.\.\.|ok:|changed:|skipping:)' "$work/$name.pc")"
  expect_eq "$name: failures" "$(failures "$work/$name.ans")" "$(failures "$work/$name.pc")"
  expect_eq "$name: loop variable warnings" "$(grep -A3 '^\[WARNING\]: TASK' "$work/$name.ans")" \
    "$(grep -A3 '^\[WARNING\]: TASK' "$work/$name.pc")"
}

case_ yaml "$T/inventory.yml" "$T/evaluator.yml" -e item=Z -e '{"j": "{{ 40 + 2 }}"}' \
  -e 'kv={{ 40 + 2 }}' -e "kv2='{{ greeting }}!'" -e "@$T/extra.yml"
case_ ini "$T/inventory.ini" "$T/ini.yml" -e 'x={{ inventory_hostname ~ "-" ~ num | default(0) }}'
# the data is templated, never the program: a value naming an undefined
# variable fails where it is used, not before
case_ ini_undefined "$T/inventory.ini" "$T/ini.yml" -e 'x={{ missing }}'
case_ unsafe "$T/unsafe/inventory" "$T/unsafe/site.yml" -e "@$T/unsafe/extra.yml" -e '{"ej": "{{ two }}-json"}'
finish
