#!/usr/bin/env bash
# The remote_user and port keywords against ansible-playbook, on two harness
# hosts whose inventory has no ansible_user/ansible_port for h1 (so only the
# keywords can reach the sshd) and has both for h2 (which must win over
# keywords that could not): play, block and task levels, the nearest value
# winning, a templated port, Gathering Facts with the play's keywords, and a
# task whose user differs from the play's (the host's connection reopens for
# it, fails as unreachable under ignore_unreachable, then reopens as the
# play's). Compared: exit code, recap, and every output line (sorted: the
# two hosts' lines come in either order).
. "$(dirname "$0")/lib.sh"

harness_start 2
port=$(sed -n 's/^PLAYC_TEST_SSH_PORT=//p' "$H/env")
user=$(sed -n 's/^PLAYC_TEST_SSH_USER=//p' "$H/env")
cat > "$work/inv.ini" <<EOF
[targets]
h1 ansible_host=127.0.0.2 ansible_ssh_private_key_file=$H/id_ed25519
h2 ansible_host=127.0.0.3 ansible_ssh_private_key_file=$H/id_ed25519 ansible_user=$user ansible_port=$port
[targets:vars]
ansible_ssh_common_args='-o UserKnownHostsFile=$H/known_hosts -o StrictHostKeyChecking=yes'
sshport=$port
EOF
cat > "$work/pb.yml" <<EOF
- name: the play's keywords
  hosts: all
  gather_facts: false
  remote_user: $user
  port: "{{ sshport }}"
  tasks:
    - command: id -un
      register: r
    - debug: msg="{{ r.stdout }}"
    - name: a block's keyword under the task's
      block:
        - command: id -un
          remote_user: $user
          register: r2
        - debug: msg="{{ r2.stdout }}"
      remote_user: nobody-playc
    - name: another user for one task
      command: id -un
      remote_user: nobody-playc
      ignore_unreachable: true
    - name: and the play's again
      command: id -un
      register: r3
    - debug: msg="{{ r3.stdout }}"
- name: variables override keywords
  hosts: h2
  gather_facts: true
  remote_user: nobody-playc
  port: 1
  tasks:
    - debug: msg="{{ ansible_user_id }}"
EOF
printf '[defaults]\nhost_key_checking = True\nretry_files_enabled = False\n' > "$work/ansible.cfg"

(cd "$work" && "$PLAYC" pb.yml -o pb) || bad "compile"
# stdin from a /dev/null of their own: OpenSSH (ansible-playbook's ssh)
# leaves the stdin it shares non-blocking, which fails other suites' Ansible
(cd "$work" && ANSIBLE_CONFIG=$work/ansible.cfg ./pb -i inv.ini > p.out 2>&1 < /dev/null); p_rc=$?
# the playbook, inventory and ansible.cfg are this script's text (hashed
# by oracle_key) with this run's harness folder and port in them
key=$(oracle_key conn-keywords)
oracle_subst=("$H=@HARNESS@")
if ! oracle_load "$key" a.out a.rc; then
  (cd "$work" && ANSIBLE_CONFIG=$work/ansible.cfg ANSIBLE_NOCOLOR=1 ansible-playbook -i inv.ini pb.yml > a.out 2>&1 < /dev/null
   echo $? > a.rc)
  oracle_save "$key" a.out a.rc
fi
expect_eq "exit code as ansible-playbook" "$(cat "$work/a.rc")" "$p_rc"
expect_eq "recap as ansible-playbook" "$(recap "$work/a.out")" "$(recap "$work/p.out")"
expect_eq "output as ansible-playbook (sorted)" "$(sort "$work/a.out")" "$(sort "$work/p.out")"
grep -q '"msg": "'"$user"'"' "$work/p.out" && ok "h1 reached through the keywords alone" || bad "h1 not reached"
expect_eq "the one task as another user was unreachable, ignored" 1 "$(grep -c '^\.\.\.ignoring' "$work/p.out")"
finish
