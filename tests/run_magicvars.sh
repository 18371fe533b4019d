#!/usr/bin/env bash
# Magic variables against ansible-playbook (ctest magic_vars).
#
# tests/magicvars/site.yml prints every magic variable Ansible 2.14 defines
# (groups, group_names, inventory_hostname(_short), inventory_file/_dir,
# playbook_dir, ansible_play_*, role names, check/diff mode, forks, version,
# tags, config file, search path, inventory sources, verbosity, limit, the
# form of omit; role_path/role_name in roles, through a role dependency) and
# the magic variables hostvars[h] holds for every host of the play, on 1 and
# on 3 harness hosts (a `ping` reaches each). The inventory is a folder (an
# INI file, a YAML file, group_vars/all.yml reading inventory_file) plus a
# host list, so inventory_file and inventory_dir take each of their forms.
# The 1-host run adds -v, --check, --diff, --limit, --tags and --skip-tags;
# it reads ansible.cfg from ANSIBLE_CONFIG, the 3-host run from its working
# folder.
#
# Compared: exit code, PLAY RECAP, every printed line but those of the task
# "known differences", whose values are checked against what
# docs/inventory.md says playc gives instead (ansible_playbook_python:
# undefined, no Python on the controller).
. "$(dirname "$0")/lib.sh"
M=$PLAYC_SRC/tests/magicvars
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP=$work/ansible-local

bin=$work/site.bin
(cd "$M" && "$PLAYC" site.yml -o "$bin") > "$work/compile.out" 2>&1 || { bad "compile"; cat "$work/compile.out"; finish; exit; }

# the lines of the run's output outside the task "known differences"
common() { awk '/^TASK \[known differences\]/ {skip = 1; next} /^(TASK|PLAY)/ {skip = 0} !skip' "$1"; }
# the values the task "known differences" printed, one line each
known() { awk '/^TASK \[known differences\]/ {skip = 1; next} /^(TASK|PLAY)/ {skip = 0} skip' "$1" | grep -E '^ +"(ansible_playbook_python|in_hostvars)"' | sort | uniq -c; }

for n in 1 3; do
  harness_start "$n"
  inv=$work/inv-$n
  run=$work/run-$n
  mkdir -p "$inv/group_vars" "$run"
  { sed -n '1,/^\[/p' "$H/inventory.ini" | head -1; grep '^h[0-9]' "$H/inventory.ini" | sed 's/^h\([0-9]*\) /h\1.example.com /'
    printf '[targets:vars]\nansible_python_interpreter=/usr/bin/python3\n' # no discovery in -v results
    printf '[web]\nh1.example.com\n[app:children]\nweb\n'; } > "$inv/hosts"
  printf 'all:\n  children:\n    other:\n      hosts:\n        extra: {ansible_connection: local}\n' > "$inv/more.yml"
  printf 'from_group_vars: "{{ inventory_file }} {{ inventory_dir }}"\n' > "$inv/group_vars/all.yml"
  cfg="[defaults]
host_key_checking = True
forks = 3
[ssh_connection]
ssh_args = -F $H/ssh_config -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=$work/cm-%r@%h:%p"
  args=(-f 1 -i "$inv" -i lonely,)
  pb=site.yml
  if [ "$n" = 1 ]; then
    printf '%s\n' "$cfg" > "$work/ansible-1.cfg"
    export ANSIBLE_CONFIG=$work/ansible-1.cfg
    args+=(-v -C --diff -l 'h1.example.com,lonely,extra' --tags all,untagged --skip-tags never,nope)
    dir=$M
  else
    unset ANSIBLE_CONFIG # ./ansible.cfg; the inventory folder given relative to it
    printf '%s\n' "$cfg" > "$run/ansible.cfg"
    args=(-f 1 -i "../inv-$n/./" -i lonely,)
    pb=$M/site.yml
    dir=$run
  fi
  oracle_subst=("$H=@HARNESS@")
  key=$(oracle_key "magic-$n" "$M" "$inv" "${args[*]}" "$(sed "s|$H|HARNESS|g" "$H/inventory.ini")")
  if ! oracle_load "$key" "ans-$n" "ansrc-$n"; then
    (cd "$dir" && ansible-playbook "${args[@]}" "$pb" < /dev/null > "$work/ans-$n" 2>&1)
    echo $? > "$work/ansrc-$n"
    oracle_save "$key" "ans-$n" "ansrc-$n"
  fi
  (cd "$dir" && "$bin" "${args[@]}" --known-hosts "$H/known_hosts" < /dev/null > "$work/pc-$n" 2>&1)
  expect_eq "$n hosts: exit code" "$(cat "$work/ansrc-$n")" "$?"
  expect_eq "$n hosts: PLAY RECAP" "$(recap "$work/ans-$n")" "$(recap "$work/pc-$n")"
  expect_eq "$n hosts: every printed line" "$(common "$work/ans-$n")" "$(common "$work/pc-$n")"
  # ansible_playbook_python, in the task's vars and in hostvars: Ansible's
  # own interpreter, undefined in playc
  python=$(head -1 "$(command -v ansible-playbook)" | sed 's/^#! *//; s/ .*//')
  count=$(grep -c '^TASK \[known differences\]' "$work/ans-$n")
  hosts_seen=$(known "$work/ans-$n" | awk '{s += $1} END {print s / 2}')
  hosts_seen=${hosts_seen%.*}
  expect_eq "$n hosts: known differences, Ansible's side" \
    "$(printf '%7d         "ansible_playbook_python": "%s",\n%7d         "in_hostvars": "%s"\n' "$hosts_seen" "$python" "$hosts_seen" "$python")" \
    "$(known "$work/ans-$n")"
  expect_eq "$n hosts: known differences, playc's side" \
    "$(printf '%7d         "ansible_playbook_python": "UNDEFINED",\n%7d         "in_hostvars": "UNDEFINED"\n' "$hosts_seen" "$hosts_seen")" \
    "$(known "$work/pc-$n")"
  [ "$count" -gt 0 ] || bad "$n hosts: the task 'known differences' never ran"
  "$PLAYC_SRC/tests/harness/sshd.sh" stop "$H"
done
finish
