#!/usr/bin/env bash
# run_faults.sh — connection faults against compiled binaries and, where the
# outcome is deterministic, against ansible-playbook on the same hosts (one
# private loopback sshd, tests/harness/sshd.sh, three hosts h1..h3):
#   a. the sshd process serving one host is killed mid-play (kill -9 during a
#      long command): that host is UNREACHABLE promptly, the others go on;
#      exit code and recap as ansible-playbook's after the same kill;
#   b-d. in one run beside two good hosts: a host whose known_hosts entry
#      holds another key (b), an address where the port is closed (c) and a
#      listener that accepts and never speaks (d): each UNREACHABLE (after
#      ansible_ssh_timeout for d), the good hosts go on; exit code, recap and
#      the host key message as ansible-playbook's;
#   e. SIGINT while three hosts copy large files: exit 99, the recap so far
#      of all three, no temp file left on any target.
# Other faults are covered elsewhere: a stopped (not killed) sshd session and
# listeners that stop after the banner (hostile/remote.sh), a transfer cut
# mid-copy leaving the old or the new file (modules/cut.sh), host key
# accept-new and unknown keys (run_integration.sh), retries against a port
# that drops or listens late (run_conn_ssh_config.sh).
. "$(dirname "$0")/lib.sh"

harness_start 3
set -a
. "$H/env"
set +a
user=$PLAYC_TEST_SSH_USER
port=$PLAYC_TEST_SSH_PORT
known=(--known-hosts "$H/known_hosts")

# compile NAME: $work/NAME.yml → $work/NAME
compile() { (cd "$work" && "$PLAYC" "$1.yml" -o "$1") || bad "compile $1"; }
# ansible_cfg SSH-ARGS [PIPELINING]: $work/ansible.cfg, the harness's ssh
# config plus SSH-ARGS, pipelining True unless told
ansible_cfg() {
  cat > "$work/ansible.cfg" <<EOF
[defaults]
host_key_checking = True
retry_files_enabled = False
nocolor = True
forks = 10
local_tmp = $work/ansible-local
[ssh_connection]
pipelining = ${2:-True}
ssh_args = -F $H/ssh_config -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=$work/cm-%r@%h:%p $1
EOF
}
ansible_cfg ""
# ansible ARGS...: ansible-playbook with $work/ansible.cfg
ansible() { ANSIBLE_CONFIG=$work/ansible.cfg timeout 120 ansible-playbook "$@" < /dev/null; }
# target_procs PATTERN: pids of the target user's processes whose command line matches
target_procs() { pgrep -u "$user" -f "$1" || true; }
# session_of PID: the sshd process above PID (the session serving it)
session_of() {
  local p=$1
  while [ "$p" -gt 1 ]; do
    case "$(cat /proc/$p/comm 2>/dev/null)" in sshd*) echo "$p"; return ;; esac
    p=$(awk '{print $4}' /proc/$p/stat 2>/dev/null || echo 1)
  done
}
# harness_procs: the live (not zombie) processes below this harness's sshd
# (other suites' targets share the user)
harness_procs() {
  local p kids todo out=
  todo=$(cat "$H/sshd.pid")
  while [ -n "$todo" ]; do
    kids=
    for p in $todo; do kids="$kids $(pgrep -P "$p" || true)"; done
    for p in $kids; do [ "$(awk '{print $3}' /proc/$p/stat 2>/dev/null)" = Z ] || out="$out $p"; done
    todo=$kids
  done
  printf '%s\n' $out | sort
}
# no_temp: no .playc-tmp-* file in the test's folders (the targets' home is
# shared with other suites' targets)
no_temp() { [ -z "$(find "$work" -name '.playc-tmp-*' 2>/dev/null)" ]; }

# ---- a. the sshd serving one host killed mid-play ------------------------------
cat > "$work/killed.yml" <<'EOF'
- hosts: targets
  gather_facts: false
  tasks:
    - command: echo one
    - shell: "sleep {{ 41 if inventory_hostname == 'h2' else 1 }}"
    - command: echo three
EOF
compile killed
# killed_run OUT COMMAND...: runs the command, kills the session of h2's
# `sleep 41` once it runs; sets rc and took (seconds from the kill to the end)
killed_run() {
  local out=$1 pid sp s="" t0; shift
  "$@" > "$out" 2>&1 &
  pid=$!
  for _ in $(seq 300); do
    sp=$(target_procs '^sleep 41$' | head -1)
    [ -n "$sp" ] && s=$(session_of "$sp") && [ -n "$s" ] && break
    sleep 0.1
  done
  t0=$(date +%s.%N)
  if [ -n "$s" ]; then kill -9 "$s"; else bad "$out: no session of h2 found"; fi
  wait "$pid"
  rc=$?
  took=$(echo "$(date +%s.%N) - $t0" | bc)
  [ -n "$sp" ] && kill "$sp" 2>/dev/null
}
killed_run "$work/killed.ans" ansible -i "$H/inventory.ini" "$work/killed.yml"
ans_rc=$rc
killed_run "$work/killed.out" "$work/killed" -i "$H/inventory.ini" "${known[@]}"
expect_eq "a killed sshd session: exit code as ansible-playbook ($ans_rc)" "$ans_rc" "$rc"
expect_eq "a killed sshd session: recap as ansible-playbook" "$(recap "$work/killed.ans")" "$(recap "$work/killed.out")" \
  || cat "$work/killed.out"
[ "$(echo "$took < 3" | bc)" = 1 ] && ok "a killed sshd session: the run ends ${took}s after the kill" \
  || bad "a killed sshd session: the run ended ${took}s after the kill"
grep -q 'fatal: \[h2\]: UNREACHABLE!' "$work/killed.out" && ok "a killed sshd session: h2 UNREACHABLE" \
  || bad "a killed sshd session: h2 UNREACHABLE"

# ---- b-d. a changed host key, a closed port, a silent listener -------------------
ssh-keygen -q -t ed25519 -N '' -f "$work/other_key"
awk -v a="[127.0.0.3]:$port" -v k="$(cut -d' ' -f1,2 "$work/other_key.pub")" \
  '$1 == a { print a, k; next } { print }' "$H/known_hosts" > "$work/faults_known"
lport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.6", 0)); print(s.getsockname()[1])')
python3 - "$lport" > /dev/null 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.6", int(sys.argv[1]))); s.listen(8)
keep = []
s.settimeout(90)
try:
    while True:
        keep.append(s.accept()[0])
except OSError:
    pass
EOF
listener=$!
key=$H/id_ed25519
cat > "$work/faults.ini" <<EOF
[targets]
h1 ansible_host=127.0.0.2 ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$key
changedkey ansible_host=127.0.0.3 ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$key
closed ansible_host=127.0.0.5 ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$key
silent ansible_host=127.0.0.6 ansible_port=$lport ansible_user=$user ansible_ssh_private_key_file=$key ansible_ssh_timeout=2
h3 ansible_host=127.0.0.4 ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$key
EOF
cat > "$work/faults.yml" <<'EOF'
- hosts: targets
  gather_facts: false
  tasks:
    - command: echo one
    - command: echo two
EOF
compile faults
sleep 0.3
# without pipelining: with it, a host whose port is closed may fail writing
# the module to ssh ("[Errno 32] Broken pipe") before ssh says why
ansible_cfg "-o UserKnownHostsFile=$work/faults_known" False
ansible -i "$work/faults.ini" "$work/faults.yml" > "$work/faults.ans" 2>&1
ans_rc=$?
t0=$(date +%s)
timeout 60 "$work/faults" -i "$work/faults.ini" --known-hosts "$work/faults_known" > "$work/faults.out" 2>&1
rc=$?
took=$(( $(date +%s) - t0 ))
kill "$listener" 2>/dev/null
ansible_cfg ""
expect_eq "changed key, closed port, silent listener: exit code as ansible-playbook ($ans_rc)" "$ans_rc" "$rc"
expect_eq "changed key, closed port, silent listener: recap as ansible-playbook" \
  "$(recap "$work/faults.ans")" "$(recap "$work/faults.out")" || cat "$work/faults.out"
[ "$took" -le 6 ] && ok "the silent listener is given up after ansible_ssh_timeout=2 (${took}s in all)" \
  || bad "the run took ${took}s (ansible_ssh_timeout=2)"
# unreach_msg HOST FILE: the msg of HOST's UNREACHABLE line
unreach_msg() {
  grep "^fatal: \[$1\]: UNREACHABLE! => " "$2" | sed 's/^[^>]*> //' \
    | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["msg"])' 2>&1
}
# Ansible's message depends on pipelining ("Data could not be sent to remote
# host ...", as here) or not ("Failed to connect to the host via ssh: ", its
# default, as playc's); what ssh said follows
ssh_said() { unreach_msg "$@" | sed 's/^Data could not be sent to remote host "[^"]*". Make sure this host can be reached over ssh: //; s/^Failed to connect to the host via ssh: //'; }
for h in changedkey closed silent; do
  expect_eq "$h: the message as ansible-playbook's" "$(ssh_said $h "$work/faults.ans")" "$(ssh_said $h "$work/faults.out")"
done

# ---- e. SIGINT while three hosts copy ----------------------------------------------
d=$(shared_dir sigint)
cat > "$work/sigint.yml" <<EOF
- hosts: targets
  gather_facts: false
  tasks:
    - command: echo before
    - file: {path: "$d/{{ inventory_hostname }}", state: directory}
    - copy:
        content: "{{ 'C' * 1000000 }}{{ item }}"
        dest: "$d/{{ inventory_hostname }}/big{{ item }}"
      loop: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
EOF
compile sigint
hits=0
for delay in 1.0 2.0 3.0; do
  rm -rf "${d:?}"/*
  before=$(harness_procs)
  "$work/sigint" -i "$H/inventory.ini" "${known[@]}" > "$work/sigint.out" 2>&1 &
  pid=$!
  sleep "$delay"
  kill -INT "$pid"
  wait "$pid"
  rc=$?
  n=$(find "$d" -name 'big*' | wc -l)
  [ "$rc" = 99 ] && hits=$((hits + 1))
  if [ "$rc" = 99 ] || [ "$rc" = 0 ]; then ok "SIGINT after ${delay}s ($n files copied): exit $rc"
  else bad "SIGINT after ${delay}s: exit $rc"; tail -5 "$work/sigint.out"; fi
  for h in h1 h2 h3; do
    grep -q "^$h *: ok=[1-9]" "$work/sigint.out" || { bad "SIGINT after ${delay}s: no recap of $h"; tail -8 "$work/sigint.out"; }
  done
  [ "$rc" != 99 ] || grep -q 'User interrupted execution' "$work/sigint.out" \
    || bad "SIGINT after ${delay}s: no 'User interrupted execution'"
  expect_eq "SIGINT after ${delay}s: every file there is whole" "" \
    "$(find "$d" -name 'big*' -size -1000001c -printf '%p %s\n')"
  sleep 0.5
  expect "SIGINT after ${delay}s: no temp file on any target" no_temp \
    || find "$work" -name '.playc-tmp-*' -printf '%p %s %TT\n' </dev/null
  left=$(comm -13 <(echo "$before") <(harness_procs))
  expect_eq "SIGINT after ${delay}s: nothing left running on the targets" "" "$left" || ps -o pid,ppid,etime,args -p $left
done
[ "$hits" -ge 2 ] && ok "$hits of 3 runs were interrupted mid-copy" || bad "only $hits of 3 runs were interrupted mid-copy"

# ---- round trips: -vvv prints what each task cost on each host --------------------
d=$(shared_dir trips)
cat > "$work/trips.yml" <<EOF
- hosts: h1
  gather_facts: false
  tasks:
    - command: echo cold
    - command: echo warm
    - copy: {content: "x", dest: "$d/small"}
    - copy: {content: "x", dest: "$d/small"}
    - copy: {content: "{{ 'L' * 300000 }}", dest: "$d/large"}
    - copy: {content: "{{ 'L' * 300000 }}", dest: "$d/large"}
    - debug: msg=none
EOF
compile trips
"$work/trips" -vvv -i "$H/inventory.ini" "${known[@]}" > "$work/trips.out" 2>&1
expect_eq "round trips: exit code" 0 "$?"
expect_eq "round trips: per task at -vvv" "$(printf '%s\n' \
  "<h1> requests: 1 (exec 1) connect: 1" \
  "<h1> requests: 1 (exec 1)" \
  "<h1> requests: 1 (exec 1)" \
  "<h1> requests: 1 (exec 1)" \
  "<h1> requests: 3 (exec 2, put 1)" \
  "<h1> requests: 1 (exec 1)" \
  "<h1> requests: 0")" "$(grep '^<h1> requests: ' "$work/trips.out")"
"$work/trips" -vv -i "$H/inventory.ini" "${known[@]}" > "$work/trips2.out" 2>&1
expect_eq "round trips: not below -vvv" "" "$(grep 'requests: ' "$work/trips2.out")"

finish
