#!/usr/bin/env bash
# The corpus (../shared/corpus, or PLAYC_CORPUS): every playbook compiled with
# its roles, then run in check mode (-C) on this machine (connection local)
# beside `ansible-playbook -C`: same exit code, task outline, per-task host
# outcomes and recap. Not in ctest (the corpus lives beside the repository);
#   PLAYC=build/playc PLAYC_SRC=$PWD bash tests/corpus_check.sh [NAME...]
# Ansible's side needs community.general (timezone...): Debian's collections
# as scripts/deps.sh unpacks them, or PLAYC_ANSIBLE_COLLECTIONS.
. "$(dirname "$0")/lib.sh"
corpus=${PLAYC_CORPUS:-$PLAYC_SRC/../shared/corpus}
[ -d "$corpus/playbooks" ] || { echo "corpus_check: no corpus at $corpus" >&2; exit 1; }
export ANSIBLE_COLLECTIONS_PATH=${PLAYC_ANSIBLE_COLLECTIONS:-/opt/playc/ansible-collections}
export ANSIBLE_ROLES_PATH=$corpus/roles ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
outline() {
  grep -E '^(TASK \[|RUNNING HANDLER \[|(ok|changed|fatal|skipping|failed): \[|[^ ]+ +: ok=)' "$1" |
    sed -E 's/ \*+$//; s/ +/ /g; s/ => .*//'
}
# docker is left out: ansible-core 2.14 has no deb822_repository (Ansible
# stops at it, exit 4), and the role's signed_by URL would be fetched
# from the network even in check mode
names=("$@")
[ ${#names[@]} -gt 0 ] || for pb in "$corpus"/playbooks/*.yml; do
  [ "$(basename "$pb")" = docker.yml ] || names+=("$(basename "$pb" .yml)")
done
for n in "${names[@]}"; do
  pb=$corpus/playbooks/$n.yml
  if ! "$PLAYC" "$pb" -o "$work/$n" > "$work/$n.cc" 2>&1; then
    bad "$n: compile"; head -20 "$work/$n.cc"; continue
  fi
  ok "$n: compile"
  t0=$(date +%s.%N)
  (cd "$work" && ansible-playbook -i localhost, -c local -C "$pb" > "$n.ans" 2>&1 </dev/null); ra=$?
  t1=$(date +%s.%N)
  (cd "$work" && "./$n" -i localhost, -c local -C > "$n.pc" 2>&1 </dev/null); rp=$?
  t2=$(date +%s.%N)
  expect_eq "$n: exit code" "$ra" "$rp"
  expect_eq "$n: outline and recap" "$(outline "$work/$n.ans")" "$(outline "$work/$n.pc")"
  awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%s: ansible-playbook %.1f s, playc %.1f s\n", n, b - a, c - b }'
done
finish
