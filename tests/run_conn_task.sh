#!/usr/bin/env bash
# The connection keyword (task, block, play) against ansible-playbook on
# three harness hosts: h1 has no ansible_connection (the keyword decides),
# h2 has ansible_connection=ssh and h3 ansible_connection=local (the
# variable wins over any keyword, as PlayContext has it). Each step prints
# where it ran: the server address of $SSH_CONNECTION over ssh, "none"
# locally (both tools run without SSH_CONNECTION in their environment).
# Cases: a task's local among ssh tasks, a block's local with a task's ssh
# under it, a templated keyword, the play's local with Gathering Facts, a
# task's ssh under it, a delegate under the play's local (local too: the
# delegate has no ansible_connection, so the keyword holds), a second play without the
# keyword (back to ssh). Compared: exit code, recap, every output line
# (sorted: the hosts' lines come in any order). Then playc alone at -vvv:
# alternating local and ssh tasks open each connection once per host (the
# other is parked, not closed).
. "$(dirname "$0")/lib.sh"

harness_start 3
port=$(sed -n 's/^PLAYC_TEST_SSH_PORT=//p' "$H/env")
user=$(sed -n 's/^PLAYC_TEST_SSH_USER=//p' "$H/env")
cat > "$work/inv.ini" <<EOF
[targets]
h1 ansible_host=127.0.0.2
h2 ansible_host=127.0.0.3 ansible_connection=ssh
h3 ansible_host=127.0.0.4 ansible_connection=local
[targets:vars]
ansible_user=$user
ansible_port=$port
ansible_ssh_private_key_file=$H/id_ed25519
ansible_ssh_common_args='-o UserKnownHostsFile=$H/known_hosts -o StrictHostKeyChecking=yes'
EOF
where='echo "${SSH_CONNECTION:-none}" | cut -d" " -f3'
cat > "$work/pb.yml" <<EOF
- name: task and block keywords
  hosts: all
  gather_facts: false
  tasks:
    - name: over ssh
      shell: '$where'
      register: a
    - name: local on the task
      shell: '$where'
      connection: local
      register: b
    - name: ssh again
      shell: '$where'
      register: c
    - name: a block's local
      block:
        - shell: '$where'
          register: d
        - shell: '$where'
          connection: ssh
          register: e
        - shell: '$where'
          connection: smart
          register: f
      connection: local
    - name: templated
      shell: '$where'
      connection: "{{ 'lo' ~ 'cal' }}"
      register: g
    - debug:
        msg: "{{ [a, b, c, d, e, f, g] | map(attribute='stdout') | join(' ') }}"
- name: the play's local
  hosts: all
  connection: local
  gather_facts: true
  tasks:
    - name: local by the play
      shell: '$where'
      register: a
    - name: a task's ssh under it
      shell: '$where'
      connection: ssh
      register: b
    - name: delegated under the play's local
      shell: '$where'
      delegate_to: h1
      register: c
    - debug:
        msg: "{{ [a, b, c] | map(attribute='stdout') | join(' ') }}"
- name: no keyword
  hosts: all
  gather_facts: false
  tasks:
    - shell: '$where'
      register: a
    - debug: msg="{{ a.stdout }}"
EOF
printf '[defaults]\nhost_key_checking = True\nretry_files_enabled = False\n' > "$work/ansible.cfg"

(cd "$work" && "$PLAYC" pb.yml -o pb) || bad "compile"
(cd "$work" && env -u SSH_CONNECTION ANSIBLE_CONFIG=$work/ansible.cfg ./pb -i inv.ini > p.out 2>&1 < /dev/null); p_rc=$?
key=$(oracle_key conn-task)
oracle_subst=("$H=@HARNESS@" "$port=@PORT@")
if ! oracle_load "$key" a.out a.rc; then
  (cd "$work" && env -u SSH_CONNECTION ANSIBLE_CONFIG=$work/ansible.cfg ANSIBLE_NOCOLOR=1 \
     ansible-playbook -i inv.ini pb.yml > a.out 2>&1 < /dev/null
   echo $? > a.rc)
  oracle_save "$key" a.out a.rc
fi
expect_eq "exit code as ansible-playbook" "$(cat "$work/a.rc")" "$p_rc"
expect_eq "recap as ansible-playbook" "$(recap "$work/a.out")" "$(recap "$work/p.out")"
expect_eq "output as ansible-playbook (sorted)" "$(sort "$work/a.out")" "$(sort "$work/p.out")"
expect_eq "h1: the keywords decide" '"msg": "127.0.0.2 none 127.0.0.2 none 127.0.0.2 127.0.0.2 none"' \
  "$(grep -A1 '^ok: \[h1\] =>' "$work/p.out" | sed -n 's/^ *//;2p')"
expect_eq "h2: ansible_connection=ssh wins" '"msg": "127.0.0.3 127.0.0.3 127.0.0.3 127.0.0.3 127.0.0.3 127.0.0.3 127.0.0.3"' \
  "$(grep -A1 '^ok: \[h2\] =>' "$work/p.out" | sed -n 's/^ *//;2p')"
expect_eq "h3: ansible_connection=local wins" '"msg": "none none none none none none none"' \
  "$(grep -A1 '^ok: \[h3\] =>' "$work/p.out" | sed -n 's/^ *//;2p')"
expect_eq "h1 under the play's local: local, ssh, local for the delegate" '"msg": "none 127.0.0.2 none"' \
  "$(grep -A1 '^ok: \[h1\] =>' "$work/p.out" | sed -n 's/^ *//;5p')"

# -vvv: the connections h1 opened in the first play: one ssh, one local
(cd "$work" && env -u SSH_CONNECTION ANSIBLE_CONFIG=$work/ansible.cfg ./pb -i inv.ini -vvv > v.out 2>&1 < /dev/null)
expect_eq "h1 opens each connection type once in the first play" 2 \
  "$(sed -n '1,/^PLAY \[the play/p' "$work/v.out" | grep -c '^<h1> requests: .*connect: 1')"
finish
