#!/usr/bin/env bash
# become on the harness, against ansible-playbook: tests/become/*.yml run
# through both (sudo without and with a password, su, another user, wrong and
# missing passwords), comparing exit codes, recaps, task outcomes, printed
# results and failures. Then the password's secrecy: never in a process list
# while a run escalates, never in any output at -vvvv, never in the program.
#
# Setup, undone at exit: a second local user (playc-bt, the become target,
# with a random password) and a sudoers rule for the harness user (root
# without a password, playc-bt with playc-bt's own password: targetpw, so the
# test never depends on the shared harness user's password, which every
# harness start resets). Needs root, sudo and acl (Ansible sets ACLs on its
# temp files to become an unprivileged user).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v sudo >/dev/null || ! command -v setfacl >/dev/null; then
  bad "run_become.sh needs root, sudo and acl (scripts/deps.sh installs them)"
  finish
  exit 1
fi

harness_start 1
. "$H/env"
target=playc-bt
sudoers=/etc/sudoers.d/playc-become-test
created_user=
become_cleanup() {
  rm -f "$sudoers"
  [ -z "$created_user" ] || userdel -r "$target" >/dev/null 2>&1
  cleanup
}
trap become_cleanup EXIT

su_pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
sudo_pw=$su_pw # sudo asks for the target's password (targetpw)
if ! id "$target" >/dev/null 2>&1; then
  useradd -m -s /bin/sh "$target" && created_user=1
fi
echo "$target:$su_pw" | chpasswd
printf 'Defaults:%s targetpw\n%s ALL=(root) NOPASSWD: ALL\n%s ALL=(%s) ALL\n' "$PLAYC_TEST_SSH_USER" \
  "$PLAYC_TEST_SSH_USER" "$PLAYC_TEST_SSH_USER" "$target" > "$sudoers"
chmod 0440 "$sudoers"
visudo -cf "$sudoers" >/dev/null || bad "sudoers rule"

pwfile=$work/become-pass
printf '%s\n' "$sudo_pw" > "$pwfile"
vars=$work/su.yml # the su password as data, never on a command line
printf 'su_password: "%s"\n' "$su_pw" > "$vars"
printf 'ansible_become_password: "%s"\n' "$su_pw" > "$work/su-conn.yml" # a connection var from -e @file
chmod 0600 "$pwfile" "$vars" "$work/su-conn.yml"

cfg=$work/ansible.cfg
cat > "$cfg" <<EOF
[defaults]
host_key_checking = True
retry_files_enabled = False
nocolor = True
local_tmp = $work/ansible-local
[ssh_connection]
pipelining = True
ssh_args = -F $H/ssh_config
EOF

outline() {
  python3 -c '
import re, sys
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("TASK [") or line.startswith("PLAY RECAP"):
        print(re.sub(r" \*+$", "", line))
    elif re.match(r"(ok|changed|skipping|fatal|failed): \[|    |\.\.\.|}", line):
        print(line)
' "$1"
}

run_pair() { # NAME EXTRA-ARGS...
  local name=$1
  shift
  (cd "$work" && "$PLAYC" "$PLAYC_SRC/tests/become/$name.yml" -o "$work/$name.bin") || { bad "compile $name"; return; }
  ANSIBLE_CONFIG=$cfg ansible-playbook -i "$H/inventory.ini" -e @"$vars" "$@" "$PLAYC_SRC/tests/become/$name.yml" \
    > "$work/$name.ans" 2>&1
  local ans_rc=$?
  "$work/$name.bin" -i "$H/inventory.ini" --known-hosts "$H/known_hosts" -e @"$vars" "$@" > "$work/$name.pc" 2>&1
  local pc_rc=$?
  expect_eq "$name: exit code" "$ans_rc" "$pc_rc"
  expect_eq "$name: recap" "$(recap "$work/$name.ans")" "$(recap "$work/$name.pc")"
  expect_eq "$name: tasks, outcomes, results and failures" "$(outline "$work/$name.ans")" "$(outline "$work/$name.pc")"
}

run_pair become --become-password-file "$pwfile"
run_pair wrong

# -b and --become-user from the command line, on a playbook without become
cat > "$work/plain.yml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: r
    - debug: var=r.stdout
EOF
(cd "$work" && "$PLAYC" plain.yml -o plain.bin)
out=$("$work/plain.bin" -i "$H/inventory.ini" --known-hosts "$H/known_hosts" -b --become-user "$target" \
  --become-password-file "$pwfile" 2>&1)
expect "-b --become-user $target" grep -q "\"r.stdout\": \"$target\"" <<<"$out"
out=$("$work/plain.bin" -i "$H/inventory.ini" --known-hosts "$H/known_hosts" -b --become-method su \
  --become-user "$target" -e @"$work/su-conn.yml" 2>&1)
expect "-b --become-method su" grep -q "\"r.stdout\": \"$target\"" <<<"$out"

# secrecy: a run that escalates with both passwords for a few seconds, its
# process list sampled meanwhile, at -vvvv
cat > "$work/slow.yml" <<'EOF'
- hosts: all
  gather_facts: false
  become: true
  tasks:
    - command: sleep 2
      become_user: playc-bt
    - command: sleep 2
      become_method: su
      become_user: playc-bt
      vars:
        ansible_become_password: "{{ su_password }}"
EOF
(cd "$work" && "$PLAYC" slow.yml -o slow.bin)
"$work/slow.bin" -vvvv -i "$H/inventory.ini" --known-hosts "$H/known_hosts" -e @"$vars" \
  --become-password-file "$pwfile" > "$work/slow.out" 2>&1 &
pid=$!
: > "$work/ps.txt"
while kill -0 "$pid" 2>/dev/null; do
  ps -eo args >> "$work/ps.txt"
  sleep 0.1
done
wait "$pid"
expect_eq "escalating run succeeded" 0 "$?"
expect "the run was sampled while escalating" grep -q "sleep 2" "$work/ps.txt"
for pw in "$su_pw"; do
  expect "no password in the process list" bash -c "! grep -qF '$pw' '$work/ps.txt'"
  expect "no password in the -vvvv output" bash -c "! grep -qF '$pw' '$work/slow.out' '$work/become.pc' '$work/wrong.pc'"
  for b in become wrong plain slow; do
    expect "no password in $b's program" bash -c "! strings '$work/$b.bin' | grep -qF '$pw'"
  done
done
finish
