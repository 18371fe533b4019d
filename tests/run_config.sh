#!/usr/bin/env bash
# ansible.cfg and ANSIBLE_* settings (runtime/config.c) against the real
# ansible-config and ansible-playbook: `--config-dump` against `ansible-config
# dump --only-changed` for the file found in each place of Ansible's search
# order, environment over file, every value type; a world-writable cwd; a
# value of the wrong type; the warnings for settings playc does not
# implement; settings taking effect (forks, strategy, roles_path).
# The fact cache (fact_caching = jsonfile, gathering = smart) is tested with
# the harness sshd in tests/run_fact_cache.sh.
. "$(dirname "$0")/lib.sh"

pb=$work/pb.yml
cat > "$pb" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: var=ansible_forks
    - debug: msg="{{ ansible_play_hosts_all }}"
YML
(cd "$work" && "$PLAYC" "$pb" -o "$work/pb.bin") || bad "compile pb.yml"
unset ANSIBLE_CONFIG
home=$work/home
mkdir -p "$home"

# dump_same DESC DIR [ENV=VALUE...]: both dumps, run in DIR, equal
dump_same() {
  local d=$1 dir=$2; shift 2
  local want got
  want=$(cd "$dir" && env HOME="$home" "$@" ansible-config dump --only-changed 2>/dev/null)
  got=$(cd "$dir" && env HOME="$home" "$@" "$work/pb.bin" --config-dump 2>&1)
  expect_eq "config dump: $d" "$want" "$got"
}

# a file in the cwd: every type, ';' inline comments, ':' separators, continuations
cwd=$work/cwd
mkdir -p "$cwd"
cat > "$cwd/ansible.cfg" <<'CFG'
# comment
; another
[defaults]
forks = 7 ; inline comment
timeout: 33
host_key_checking = no
inventory = hosts, ../other/hosts ,~/inv
roles_path = roles:~/more-roles:/abs/roles
callbacks_enabled = profile_tasks , timer, community.general.mail
gathering = 'smart'
fact_caching = jsonfile
fact_caching_connection = cache
fact_caching_timeout = 600
gather_subset = !hardware,network
remote_user = "deploy"
private_key_file = ~/.ssh/key
log_path = log.txt
ansible_managed = managed
  on two lines
strategy = free
nocolor = 1
[privilege_escalation]
become = True
become_user = admin
[ssh_connection]
pipelining = True
usetty = False
CFG
dump_same "./ansible.cfg" "$cwd"
dump_same "environment over ./ansible.cfg" "$cwd" ANSIBLE_FORKS=9 ANSIBLE_TIMEOUT=4 \
  ANSIBLE_ROLES_PATH=r1:/r2 ANSIBLE_INVENTORY=/i1,i2 ANSIBLE_NOCOLOR=false ANSIBLE_STRATEGY=linear
# ANSIBLE_CONFIG: a file, then a directory (its ansible.cfg)
other=$work/other
mkdir -p "$other"
printf '[defaults]\nforks = 11\n' > "$other/ansible.cfg"
dump_same "ANSIBLE_CONFIG=file" "$cwd" ANSIBLE_CONFIG="$other/ansible.cfg"
dump_same "ANSIBLE_CONFIG=directory" "$cwd" ANSIBLE_CONFIG="$other"
# ~/.ansible.cfg, then no file at all
printf '[defaults]\nforks = 12\n[privilege_escalation]\nbecome_method = su\n' > "$home/.ansible.cfg"
dump_same "~/.ansible.cfg" "$work"
rm "$home/.ansible.cfg"
dump_same "no ansible.cfg" "$work" ANSIBLE_GATHERING=explicit
# a world-writable cwd: its ansible.cfg is ignored, with Ansible's warning
ww=$(shared_dir ww)
printf '[defaults]\nforks = 13\n' > "$ww/ansible.cfg"
dump_same "world-writable cwd" "$ww"
want=$(cd "$ww" && HOME=$home ansible-playbook -i localhost, "$pb" 2>&1 | sed -n '/^\[WARNING\]: Ansible is being run/,/^\[WARNING\]\|^$/p' | sed '$d' | head -4)
got=$(cd "$ww" && HOME=$home "$work/pb.bin" -i localhost, 2>&1 | sed -n '/^\[WARNING\]: Ansible is being run/,/^\[WARNING\]\|^$/p' | sed '$d' | head -4)
expect_eq "world-writable cwd: the warning" "$want" "$got"
[ -n "$got" ] || bad "world-writable cwd: no warning"

# a value of the wrong type: the same error and exit code as ansible-playbook
bad_cfg=$work/bad
mkdir -p "$bad_cfg"
printf '[defaults]\nforks = many\n' > "$bad_cfg/ansible.cfg"
want=$(cd "$bad_cfg" && HOME=$home ansible-playbook -i localhost, "$pb" 2>&1 | grep ERROR)
want_rc=$(cd "$bad_cfg" && HOME=$home ansible-playbook -i localhost, "$pb" >/dev/null 2>&1; echo $?)
got=$(cd "$bad_cfg" && HOME=$home "$work/pb.bin" -i localhost, 2>&1 | grep ERROR)
got_rc=$(cd "$bad_cfg" && HOME=$home "$work/pb.bin" -i localhost, >/dev/null 2>&1; echo $?)
expect_eq "forks = many: the error" "$want" "$got"
expect_eq "forks = many: the exit code" "$want_rc" "$got_rc"
want=$(cd "$work" && HOME=$home ANSIBLE_TIMEOUT=x ansible-playbook -i localhost, "$pb" 2>&1 | grep ERROR)
got=$(cd "$work" && HOME=$home ANSIBLE_TIMEOUT=x "$work/pb.bin" -i localhost, 2>&1 | grep ERROR)
expect_eq "ANSIBLE_TIMEOUT=x: the error" "$want" "$got"

# warnings: each setting playc does not implement, by name, once; none for
# the ones it implements or accepts without effect
out=$(cd "$cwd" && HOME=$home ANSIBLE_ACTION_WARNINGS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=true \
  "$work/pb.bin" -i localhost, -c local 2>&1 | tr '\n' ' ' | tr -s ' ')
for name in DEFAULT_LOG_PATH DEFAULT_MANAGED_STR ssh:use_tty ACTION_WARNINGS "callback 'community.general.mail'"; do
  n=$(grep -o "not implement[^]]*$name" <<<"$out" | wc -l)
  expect_eq "warned once: $name" 1 "$n"
done
for name in DEFAULT_FORKS DEFAULT_TIMEOUT HOST_KEY_CHECKING ANSIBLE_PIPELINING DISPLAY_SKIPPED_HOSTS profile_tasks "callback 'timer'"; do
  n=$(grep -o "not implement[^]]*$name" <<<"$out" | wc -l)
  expect_eq "not warned: $name" 0 "$n"
done
printf '[defaults]\nnot_a_setting = 1\n' > "$other/ansible.cfg"
out=$(cd "$work" && HOME=$home ANSIBLE_CONFIG=$other/ansible.cfg "$work/pb.bin" -i localhost, 2>&1 | tr '\n' ' ' | tr -s ' ')
expect "warned: an unknown key" grep -q "\[defaults\] not_a_setting is not a setting" <<<"$out"

# settings in effect: forks (ansible_forks), the inventory list, the strategy,
# against ansible-playbook in the same directory
inv=$work/effect
mkdir -p "$inv"
printf 'localhost ansible_connection=local\n' > "$inv/hosts"
printf '[defaults]\nforks = 3\ninventory = hosts\nstrategy = free\nnocolor = true\nretry_files_enabled = false\n' \
  > "$inv/ansible.cfg"
want=$(cd "$inv" && HOME=$home ansible-playbook "$pb" 2>&1 | grep -v '^$')
got=$(cd "$inv" && HOME=$home "$work/pb.bin" 2>&1 | grep -v '^$')
expect_eq "forks, inventory, strategy from ansible.cfg: output" "$want" "$got"
grep -q '"ansible_forks": 3' <<<"$got" || bad "ansible_forks is not 3"
want=$(cd "$inv" && HOME=$home ANSIBLE_FORKS=2 ansible-playbook -f 4 "$pb" 2>&1 | grep ansible_forks)
got=$(cd "$inv" && HOME=$home ANSIBLE_FORKS=2 "$work/pb.bin" -f 4 2>&1 | grep ansible_forks)
expect_eq "-f over ANSIBLE_FORKS over forks" "$want" "$got"
for w in ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false; do
  want=$(cd "$work" && HOME=$home env $w ansible-playbook "$pb" 2>&1 | grep -v '^$')
  got=$(cd "$work" && HOME=$home env $w "$work/pb.bin" 2>&1 | grep -v '^$')
  expect_eq "$w" "$want" "$got"
done

# the compiler: roles_path from ansible.cfg (relative to the file)
rp=$work/rp
mkdir -p "$rp/sub" "$rp/lib/r1/tasks"
printf -- '- debug: msg=from-r1\n' > "$rp/lib/r1/tasks/main.yml"
printf '[defaults]\nroles_path = lib\n' > "$rp/ansible.cfg"
printf -- '- hosts: localhost\n  gather_facts: false\n  roles: [r1]\n' > "$rp/sub/site.yml"
expect "roles_path from ./ansible.cfg" bash -c "cd '$rp' && HOME='$home' '$PLAYC' sub/site.yml -o '$work/rp.bin' >/dev/null"
expect "roles_path from ANSIBLE_ROLES_PATH over ansible.cfg" bash -c \
  "cd '$work' && ANSIBLE_ROLES_PATH='$rp/lib' HOME='$home' '$PLAYC' '$rp/sub/site.yml' -o '$work/rp2.bin' >/dev/null"
out=$(cd "$rp" && HOME=$home "$work/rp.bin" -i localhost, 2>&1)
grep -q 'from-r1' <<<"$out" || bad "the role found through roles_path did not run"

# gathering: implicit, explicit (only plays that ask), smart (not twice in a
# run; the fact cache across runs is tests/run_fact_cache.sh's)
gpb=$work/gather.yml
cat > "$gpb" <<'YML'
- hosts: all
  tasks:
    - debug: msg="{{ ansible_facts.distribution | default('none') }}"
- hosts: all
  gather_facts: true
  tasks:
    - debug: msg="{{ ansible_facts.distribution | default('none') }}"
- hosts: all
  gather_facts: false
  tasks:
    - debug: msg="{{ ansible_facts.distribution | default('none') }}"
YML
(cd "$work" && "$PLAYC" "$gpb" -o "$work/gather.bin") || bad "compile gather.yml"
for g in implicit explicit smart; do
  want=$(cd "$work" && HOME=$home ANSIBLE_GATHERING=$g ansible-playbook -i localhost, -c local "$gpb" 2>&1 | grep -v '^$')
  got=$(cd "$work" && HOME=$home ANSIBLE_GATHERING=$g "$work/gather.bin" -i localhost, -c local 2>&1 | grep -v '^$')
  expect_eq "gathering = $g" "$want" "$got"
done
[ "$(grep -c 'Gathering Facts' <<<"$got")" = 1 ] || bad "gathering = smart: gathered other than once"

# callbacks_enabled: timer and profile_tasks (ansible.posix's), in the order given; times masked
for cbs in timer,profile_tasks profile_tasks,timer ansible.posix.timer; do
  want=$(cd "$work" && HOME=$home ANSIBLE_COLLECTIONS_PATH=/opt/playc/ansible-collections ANSIBLE_CALLBACKS_ENABLED=$cbs \
    ansible-playbook -i localhost, -c local "$gpb" 2>&1 | grep -v '^$' | sed 's/[0-9]/N/g')
  got=$(cd "$work" && HOME=$home ANSIBLE_CALLBACKS_ENABLED=$cbs "$work/gather.bin" -i localhost, -c local 2>&1 |
    grep -v '^$' | sed 's/[0-9]/N/g')
  expect_eq "callbacks_enabled = $cbs" "$want" "$got"
done
grep -q "^Playbook run took" <<<"$got" || bad "timer: no line"

# stdout_callback = yaml (community.general's): results as YAML, multi-line
# strings as cleaned blocks, changed= on the first line; times masked
ypb=$work/yaml.yml
cat > "$ypb" <<'YML'
- hosts: all
  gather_facts: false
  tasks:
    - debug: msg=hi
    - debug: var=x
      vars: {x: {a: [1, "two", {b: null}], "multi": "l1\nl2 \n\tl3\n", e: "", q: "yes", u: "é", n: 1.5}}
    - command: printf 'a\nb'
      register: out
    - debug: var=out.stdout_lines
    - command: "false"
      ignore_errors: true
    - debug: msg="{{ item }}"
      loop: [1, 2]
YML
(cd "$work" && "$PLAYC" "$ypb" -o "$work/yaml.bin") || bad "compile yaml.yml"
want=$(cd "$work" && HOME=$home ANSIBLE_COLLECTIONS_PATH=/opt/playc/ansible-collections ANSIBLE_STDOUT_CALLBACK=yaml \
  ansible-playbook -i localhost, -c local "$ypb" 2>&1 | sed 's/[0-9]/N/g')
got=$(cd "$work" && HOME=$home ANSIBLE_STDOUT_CALLBACK=yaml "$work/yaml.bin" -i localhost, -c local 2>&1 | sed 's/[0-9]/N/g')
expect_eq "stdout_callback = yaml" "$want" "$got"
grep -q "multi: |-" <<<"$got" || bad "stdout_callback = yaml: no block string"

finish
