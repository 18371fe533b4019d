#!/usr/bin/env bash
# delegate_facts against ansible-playbook on three harness hosts: facts a
# delegated step sets go to the delegate, not to the task host. A play of
# one host (h1) delegating setup and set_fact to h2, which no play has run
# yet, then a play of three hosts: setup and set_fact delegated from h1 to
# another host of the play, include_vars delegated, a loop delegating to
# each item, a templated delegate_facts, delegate_facts false (the task
# host keeps them), run_once with delegate_facts (only the delegate gets
# them), and a later play reading what stayed. Every read goes through
# hostvars of the delegate and the hosts' own variables, from the task
# after the delegated one on; a free play where each host gives facts to
# the next one, read after it. Compared: exit code, recap, every output line
# (sorted: the hosts' lines come in any order), and what h1 printed. Last,
# localhost, which the inventory lacks, as the delegate: Ansible makes it
# the implicit localhost, whose hostvars then hold the facts.
. "$(dirname "$0")/lib.sh"

harness_start 3
port=$(sed -n 's/^PLAYC_TEST_SSH_PORT=//p' "$H/env")
user=$(sed -n 's/^PLAYC_TEST_SSH_USER=//p' "$H/env")
cat > "$work/inv.ini" <<EOF
[targets]
h1 ansible_host=127.0.0.2
h2 ansible_host=127.0.0.3
h3 ansible_host=127.0.0.4
[targets:vars]
ansible_user=$user
ansible_port=$port
ansible_ssh_private_key_file=$H/id_ed25519
ansible_ssh_common_args='-o UserKnownHostsFile=$H/known_hosts -o StrictHostKeyChecking=yes'
EOF
printf 'inc_var: from the file\n' > "$work/extra.yml"
cat > "$work/pb.yml" <<'EOF'
- name: one host, its delegate outside the play
  hosts: h1
  gather_facts: false
  tasks:
    - setup:
        gather_subset: min
      delegate_to: h2
      delegate_facts: true
    - set_fact:
        mark: set by h1
      delegate_to: h2
      delegate_facts: true
    - debug:
        msg: "{{ hostvars['h2'].ansible_facts.user_id | default('none') }} {{ hostvars['h2'].mark | default('unset') }} {{ ansible_facts.user_id | default('none') }} {{ mark | default('unset') }}"
- name: three hosts
  hosts: all
  gather_facts: false
  tasks:
    - name: h2 sees its own facts now
      debug:
        msg: "{{ ansible_facts.user_id | default('none') }} {{ mark | default('unset') }}"
    - setup:
        gather_subset: min
      delegate_to: h3
      delegate_facts: "{{ inventory_hostname == 'h1' }}"
      when: inventory_hostname != 'h3'
    - set_fact:
        color: blue
        cacheable: true
      delegate_to: h3
      delegate_facts: true
      when: inventory_hostname == 'h1'
    - set_fact:
        shape: round
      delegate_to: h3
      when: inventory_hostname == 'h2'
    - include_vars:
        file: extra.yml
      delegate_to: h1
      delegate_facts: true
      when: inventory_hostname == 'h3'
    - set_fact:
        seen_by: "{{ inventory_hostname }}"
      delegate_to: "{{ item }}"
      delegate_facts: true
      loop: [h2, h3]
      when: inventory_hostname == 'h1'
    - set_fact:
        once: "{{ inventory_hostname }}"
      delegate_to: h2
      delegate_facts: true
      run_once: true
    - debug:
        msg: >-
          {{ ansible_facts.user_id | default('none') }}
          {{ color | default('unset') }} {{ ansible_facts.color | default('unset') }}
          {{ shape | default('unset') }} {{ inc_var | default('unset') }}
          {{ seen_by | default('unset') }} {{ once | default('unset') }}
          {{ hostvars['h3'].color | default('unset') }}
- name: later
  hosts: h3
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ color }} {{ seen_by }} {{ hostvars['h1'].inc_var }} {{ hostvars['h2'].once }}"
- name: free, each host giving facts to the next one while it runs its own
  hosts: all
  strategy: free
  gather_facts: false
  tasks:
    - set_fact:
        got: "{{ inventory_hostname }} {{ item }}"
      delegate_to: "{{ {'h1': 'h2', 'h2': 'h3', 'h3': 'h1'}[inventory_hostname] }}"
      delegate_facts: true
      loop: [1, 2, 3]
    - command: "true"
- name: after the free play
  hosts: all
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ got }}"
- name: the implicit localhost, not in the inventory, as the delegate
  hosts: h1
  gather_facts: false
  tasks:
    - set_fact:
        local_mark: from h1
      delegate_to: localhost
      delegate_facts: true
    - debug:
        msg: "{{ hostvars['localhost'].local_mark | default('unset') }} {{ local_mark | default('unset') }}"
EOF
printf '[defaults]\nhost_key_checking = True\nretry_files_enabled = False\n' > "$work/ansible.cfg"

(cd "$work" && "$PLAYC" pb.yml -o pb) || bad "compile"
(cd "$work" && ANSIBLE_CONFIG=$work/ansible.cfg ./pb -i inv.ini > p.out 2>&1 < /dev/null); p_rc=$?
key=$(oracle_key delegate-facts "$work/extra.yml")
oracle_subst=("$H=@HARNESS@" "$port=@PORT@")
if ! oracle_load "$key" a.out a.rc; then
  (cd "$work" && ANSIBLE_CONFIG=$work/ansible.cfg ANSIBLE_NOCOLOR=1 ansible-playbook -i inv.ini pb.yml > a.out 2>&1 < /dev/null
   echo $? > a.rc)
  oracle_save "$key" a.out a.rc
fi
expect_eq "exit code as ansible-playbook" "$(cat "$work/a.rc")" "$p_rc"
expect_eq "recap as ansible-playbook" "$(recap "$work/a.out")" "$(recap "$work/p.out")"
expect_eq "output as ansible-playbook (sorted)" "$(sort "$work/a.out")" "$(sort "$work/p.out")"
expect_eq "what h1 printed, as ansible-playbook" "$(grep -A1 '^ok: \[h1\] =>' "$work/a.out")" \
  "$(grep -A1 '^ok: \[h1\] =>' "$work/p.out")"
grep -q "\"msg\": \"$user set by h1 none unset\"" "$work/p.out" && ok "h2 got h1's delegated facts, h1 none" \
  || bad "h2 got h1's delegated facts, h1 none"
grep -q '"msg": "from h1 unset"' "$work/p.out" && ok "the implicit localhost got h1's delegated fact" \
  || bad "the implicit localhost got h1's delegated fact"
finish
