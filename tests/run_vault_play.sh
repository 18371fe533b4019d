#!/usr/bin/env bash
# run_vault_play.sh — vault content in compiled playbooks against
# ansible-playbook (local connection): inline `!vault` values wherever a value
# can be (play, block, task, role vars and defaults, vars files, include_vars
# files, module and set_fact arguments), whole encrypted files (vars_files,
# include_vars, role vars/ and defaults/, copy src, -e @file, a YAML
# inventory) and `!vault` values in run-time data (inventory, -e @file), with
# vault ids and labels, a missing password and a wrong one. Each case runs
# through both tools: same exit code, same output (stdout and stderr), same
# files written. The plaintext must never be in the compiled program or its
# plan; an encrypted tasks file or template is refused at compile time.
source "$(dirname "$0")/lib.sh"

cd "$work" || exit 1
mkdir -p src/roles/r/{tasks,vars,defaults} src/roles/e/{tasks,vars,defaults} src/files src/vars
cd src || exit 1
printf 'pw-one\n' > pw1
printf 'pw-two\n' > pw2
printf 'wrong\n' > pwbad
printf 'pw-three\n' > pw3
P1=PlainOne-$RANDOM$RANDOM   # plaintexts that must never reach the program
P2=PlainTwo-$RANDOM$RANDOM
P3=PlainThree-$RANDOM$RANDOM
PF=PlainFile-$RANDOM$RANDOM
# vaulted NAME TEXT [ARGS...]: an inline value as encrypt_string writes it
vaulted() {
  local name=$1 text=$2; shift 2
  printf '%s' "$text" | ansible-vault encrypt_string "$@" --stdin-name "$name" 2>/dev/null
  echo
}
indent() { sed "s/^/$(printf '%*s' "$1" '')/"; }

{
  echo '- hosts: all'
  echo '  gather_facts: false'
  echo '  vars:'
  vaulted play_secret "$P1" --vault-password-file pw1 | indent 4
  vaulted labelled "$P2" --vault-id dev@pw2 | indent 4
  echo '    plain: visible'
  echo '  vars_files: [vars/inline.yml, vars/enc.yml]'
  echo '  roles: [r, e]'
  echo '  tasks:'
  echo '    - debug: msg="{{ play_secret }} {{ play_secret | length }} {{ labelled | upper }}"'
  echo '    - debug: var=play_secret'
  echo '    - debug: msg="{{ file_inline }} {{ enc_value }} {{ enc_list | join(",") }}"'
  echo '    - block:'
  echo '        - debug: msg="{{ block_secret }}"'
  echo '          when: block_secret | length > 10'
  echo '      vars:'
  vaulted block_secret "$P3" --vault-password-file pw1 | indent 8
  echo '    - copy:'
  echo '        dest: "{{ out }}/args.txt"'
  echo '        content: !vault |'
  printf '%s' "$P1-in-args" | ansible-vault encrypt_string --vault-password-file pw1 2>/dev/null | sed 1d | indent 4
  echo
  echo '    - set_fact:'
  vaulted fact_secret "$P2-fact" --vault-password-file pw1 | indent 8
  echo '    - debug: var=fact_secret'
  echo '    - include_vars: vars/enc-inc.yml'
  echo '    - debug: msg="{{ inc_value }}"'
  echo '    - copy: {src: enc.txt, dest: "{{ out }}/copied.txt"}'
  echo '    - copy: {src: enc.txt, dest: "{{ out }}/raw.txt", decrypt: false}'
  echo '    - copy: {content: "{{ play_secret }}\n", dest: "{{ out }}/content.txt"}'
  echo '    - debug: msg="{{ role_var }} {{ role_default }} {{ enc_role_var }} {{ enc_role_default }}"'
  echo '    - debug: msg="{{ inv_secret | default(\"none\") }} {{ e_value | default(\"none\") }}"'
  echo '    - debug: msg="{{ gv_secret | default(\"none\") }} {{ hv_secret | default(\"none\") }}"'
} > pb.yml
{
  vaulted file_inline "$P1-file" --vault-password-file pw1
} > vars/inline.yml
printf 'enc_value: %s\nenc_list: [a, 2, c]\n' "$PF" > vars/enc.yml
ansible-vault encrypt --vault-password-file pw1 vars/enc.yml >/dev/null 2>&1
printf 'inc_value: %s-inc\n' "$PF" > vars/enc-inc.yml
ansible-vault encrypt --vault-id dev@pw2 vars/enc-inc.yml >/dev/null 2>&1
printf '%s-copied\nsecond line\n' "$PF" > files/enc.txt
ansible-vault encrypt --vault-password-file pw1 files/enc.txt >/dev/null 2>&1
printf -- '- debug: msg="role r {{ role_var }}"\n' > roles/r/tasks/main.yml
vaulted role_var "$P3-rolevar" --vault-password-file pw1 > roles/r/vars/main.yml
vaulted role_default "$P3-roledefault" --vault-password-file pw1 > roles/r/defaults/main.yml
printf -- '- debug: msg="role e {{ enc_role_var }}"\n' > roles/e/tasks/main.yml
printf 'enc_role_var: %s-encrolevar\n' "$PF" > roles/e/vars/main.yml
printf 'enc_role_default: %s-encroledefault\n' "$PF" > roles/e/defaults/main.yml
ansible-vault encrypt --vault-password-file pw1 roles/e/vars/main.yml roles/e/defaults/main.yml >/dev/null 2>&1
printf 'e_value: %s-extra\n' "$PF" > extra.yml
ansible-vault encrypt --vault-password-file pw1 extra.yml >/dev/null 2>&1
{
  echo 'all:'
  echo '  hosts:'
  echo '    localhost:'
  echo '      ansible_connection: local'
  vaulted inv_secret "$P2-inv" --vault-password-file pw1 | indent 6
} > inv.yml
# group_vars/ and host_vars/ beside an inventory: a whole encrypted file and
# an inline value, opened at run time
mkdir -p invdir/group_vars invdir/host_vars
echo 'localhost ansible_connection=local' > invdir/hosts
printf 'gv_secret: %s-groupvars\n' "$PF" > invdir/group_vars/all.yml
ansible-vault encrypt --vault-id gv@pw3 invdir/group_vars/all.yml >/dev/null 2>&1
vaulted hv_secret "$P3-hostvars" --vault-password-file pw1 > invdir/host_vars/localhost.yml
cp inv.yml inv-enc.yml
ansible-vault encrypt --vault-password-file pw1 inv-enc.yml >/dev/null 2>&1

"$PLAYC" pb.yml -o pb 2>compile.err || { bad "compile pb.yml"; cat compile.err; }
"$PLAYC" --plan pb.yml > plan.txt 2>&1 || bad "plan pb.yml"
"$PLAYC" --plan=json pb.yml > plan.json 2>&1 || bad "plan json pb.yml"
for p in "$P1" "$P2" "$P3" "$PF"; do
  expect "no plaintext ${p%%-*} in the program" bash -c "! grep -qaF -- '$p' pb"
  expect "no plaintext ${p%%-*} in the plans" bash -c "! grep -qF -- '$p' plan.txt plan.json"
done
./pb --plan > pb.plan 2>&1
expect "no plaintext in the program's --plan" bash -c "! grep -qF -e '$P1' -e '$P2' -e '$P3' -e '$PF' pb.plan"
expect "the plan shows vault values by size" grep -qE 'var play_secret = vault\([0-9]+ bytes\): str' plan.txt
expect "the plan shows encrypted vars files" grep -qE 'vars_files vars/enc.yml .*vault file\([0-9]+ bytes\)' plan.txt
"$PLAYC" --plan pb.yml > plan2.txt 2>&1
expect_eq "the plan is deterministic" "$(cat plan.txt)" "$(cat plan2.txt)"

# norm FILE: paths of the two runs made one (a program names its files where
# it was compiled, src/, as ansible-playbook names them where it runs)
norm() { sed "s|$work/[aps][rc]*/|DIR/|g; s|$work/[ap]|DIR|g" "$1" | grep -v 'GetPassWarning\|passwd = fallback_getpass'; }
# both DESC -- ARGS...: ansible-playbook pb.yml and ./pb with ARGS, each in a
# fresh copy of src/; same exit code, stdout, stderr and files written
both() {
  local desc=$1; shift 2
  rm -rf "$work/a" "$work/p"; cp -a "$work/src" "$work/a"; cp -a "$work/src" "$work/p"
  mkdir "$work/a/out" "$work/p/out"
  (cd "$work/a" && ANSIBLE_NOCOLOR=1 setsid -w ansible-playbook pb.yml -e out="$work/a/out" "$@" \
     >../a.out 2>../a.err </dev/null); local ra=$?
  (cd "$work/p" && setsid -w ./pb -e out="$work/p/out" "$@" >../p.out 2>../p.err </dev/null); local rp=$?
  expect_eq "$desc: exit code" "$ra" "$rp"
  expect_eq "$desc: stdout" "$(norm "$work/a.out")" "$(norm "$work/p.out")"
  expect_eq "$desc: stderr" "$(norm "$work/a.err")" "$(norm "$work/p.err")"
  expect_eq "$desc: files written" "$(tree "$work/a/out")" "$(tree "$work/p/out")"
}

echo "== inline values, encrypted files, vault ids"
both "two vault ids" -- -i inv.yml --vault-password-file pw1 --vault-id dev@pw2
grep -q "$P1" "$work/p.out" && ok "the plaintext reaches the output (as Ansible prints it)" || bad "plaintext in output"
both "labels in another order" -- -i inv.yml --vault-id dev@pw2 --vault-id pw1
both "an encrypted inventory, -e @encrypted" -- -i inv-enc.yml -e @extra.yml --vault-id pw1 --vault-id dev@pw2
both "encrypted group_vars, inline host_vars" -- -i invdir/hosts --vault-id pw1 --vault-id dev@pw2 --vault-id gv@pw3
both "group_vars, no password opens them" -- -i invdir/hosts --vault-id pw1 --vault-id dev@pw2
ANSIBLE_VAULT_ID_MATCH=1 both "ANSIBLE_VAULT_ID_MATCH" -- -i inv.yml --vault-id default@pw1 --vault-id dev@pw2

echo "== missing and wrong passwords"
both "no password" -- -i localhost, -c local
both "a wrong password" -- -i localhost, -c local --vault-password-file pwbad
both "only the first of two" -- -i localhost, -c local --vault-password-file pw1
both "inventory value, wrong password" -- -i inv.yml --vault-password-file pwbad
# (-e @file with a wrong password: ansible-playbook also warns that the
# inventory did not parse, naming the -e file; playc gives only the error)

# a play without encrypted files: a vault value fails the task that uses it
{
  echo '- hosts: all'
  echo '  gather_facts: false'
  echo '  vars:'
  vaulted play_secret "$P1" --vault-password-file pw1 | indent 4
  echo '  tasks:'
  echo '    - debug: msg=before'
  echo '    - debug: msg="{{ play_secret }}"'
  echo '      ignore_errors: true'
  echo '    - debug: var=play_secret'
  echo '      ignore_errors: true'
  echo '    - debug: msg="{{ play_secret | default(\"d\") }}"'
  echo '      ignore_errors: true'
  echo '    - debug: msg=after'
} > "$work/src/pb.yml"
(cd "$work/src" && "$PLAYC" pb.yml -o pb 2>/dev/null) || bad "compile the values playbook"
both "value use, no password" -- -i localhost, -c local
both "value use, wrong password" -- -i localhost, -c local --vault-password-file pwbad
both "value use, right password" -- -i localhost, -c local --vault-password-file pw1

echo "== refused at compile time"
printf -- '- debug: msg=hidden\n' > tasks-enc.yml
ansible-vault encrypt --vault-password-file pw1 tasks-enc.yml >/dev/null 2>&1
printf -- '- hosts: all\n  tasks:\n    - include_tasks: tasks-enc.yml\n' > inc.yml
"$PLAYC" inc.yml -o inc 2>inc.err; rc=$?
expect_eq "an encrypted tasks file: exit 4" 4 "$rc"
expect "... located, with the reason" grep -q "inc.yml:3:.*error: 'tasks-enc.yml' is vault-encrypted" inc.err
printf 'x {{ y }}\n' > t.j2
ansible-vault encrypt --vault-password-file pw1 t.j2 >/dev/null 2>&1
printf -- '- hosts: all\n  tasks:\n    - template: {src: t.j2, dest: /tmp/x}\n' > tpl.yml
"$PLAYC" tpl.yml -o tpl 2>tpl.err; rc=$?
expect_eq "an encrypted template: exit 4" 4 "$rc"
expect "... with the reason" grep -q "the template '.*t.j2' is vault-encrypted" tpl.err
printf -- '- hosts: all\n  vars:\n    bad: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      zz\n  tasks:\n    - debug: var=bad\n' > badv.yml
"$PLAYC" badv.yml -o badv 2>badv.err; rc=$?
expect_eq "a malformed !vault value: a warning (Ansible fails the task)" 0 "$rc"
expect "... located" grep -q "badv.yml:3:.*warning: this !vault value is not valid vault text" badv.err
"$PLAYC" --strict badv.yml -o badv 2>/dev/null; rc=$?
expect_eq "... an error with --strict" 4 "$rc"

finish
