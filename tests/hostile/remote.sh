#!/usr/bin/env bash
# Hostile targets, values and operators against compiled binaries, over one
# private loopback sshd (tests/harness/sshd.sh, two hosts) and the local
# connection:
#   - protocol: values and command output that imitate the old key=value
#     results and status markers (a dest holding "\ntmp=FILE" or "\nsame=1",
#     a command printing __PLAYC_SKIP_CREATES...) are data, never protocol;
#   - operands: owner/group values that look like options are names to look
#     up, failing as Ansible's modules fail; `~` in paths is the remote home;
#   - interrupts: SIGINT/SIGTERM during a large copy or a long command stop
#     the binary with the recap and exit code 99, leaving no temp file and no
#     process on the target;
#   - stalls: a session whose sshd is stopped, a listener that never speaks,
#     and one that stops after its banner make that host UNREACHABLE within
#     the configured probe time while the other host goes on; a command that
#     is silent for longer than the probe interval still succeeds.
. "$(dirname "$0")/../lib.sh"

harness_start 2
set -a
. "$H/env"
set +a
user=$PLAYC_TEST_SSH_USER
home=$(getent passwd "$user" | cut -d: -f6)
as_user() { if [ "$(id -un)" = "$user" ]; then sh -c "$1"; else su "$user" -s /bin/sh -c "$1"; fi; }
known=(--known-hosts "$H/known_hosts")

# compile NAME: $work/NAME.yml → $work/NAME
compile() { (cd "$work" && "$PLAYC" "$1.yml" -o "$1") || bad "compile $1"; }

# no_temp DIR: no .playc-tmp-* file below DIR
no_temp() { [ -z "$(find "$1" -name '.playc-tmp-*' 2>/dev/null)" ]; }

# no_assertion_failed DESC OUT: every assert task of the run held
assert_failures() { awk '/^TASK \[/ { a = /^TASK \[assert\]/ } a && /^fatal: / { print }' "$1"; }
no_assertion_failed() {
  if [ -n "$(assert_failures "$2")" ]; then
    bad "$1: assertions"; assert_failures "$2"
  elif grep -q '^PLAY RECAP' "$2"; then ok "$1: assertions"
  else bad "$1: no recap"; tail -20 "$2"; fi
}

# target_procs PATTERN: pids of the target user's processes whose command line matches
target_procs() { pgrep -u "$user" -f "$1" || true; }

# ---- protocol: values and output are data ------------------------------------
d=$(shared_dir proto)
victim=playc-victim-$$.conf
as_user "echo precious > ~/$victim"
cat > "$work/proto.yml" <<EOF
- hosts: h1
  gather_facts: false
  tasks:
    - name: a large body whose dest holds a fake tmp= line
      copy:
        content: "{{ 'A' * 300000 }}"
        dest: "$d/report\ntmp=$victim"
    - name: a small body whose dest holds a fake same=1 line
      copy:
        content: "small"
        dest: "$d/small\nsame=1"
      register: small
    - assert: {that: [small.changed, "small.dest == '$d/small\nsame=1'"]}
      ignore_errors: true
    - name: a large body whose dest holds a fake same=1 line
      copy:
        content: "{{ 'B' * 300000 }}"
        dest: "$d/large\nsame=1"
      register: large
    - assert: {that: [large.changed, "large.size == 300000"]}
      ignore_errors: true
    - command: printf __PLAYC_SKIP_CREATES_hello
      register: r
    - assert: {that: [r.changed, "r.stdout == '__PLAYC_SKIP_CREATES_hello'", "r.rc == 0"]}
      ignore_errors: true
    - command: {cmd: printf __PLAYC_SKIP_CREATES, creates: /nonexistent}
      register: r
    - assert: {that: [r.changed, "r.stdout == '__PLAYC_SKIP_CREATES'"]}
      ignore_errors: true
    - shell: {cmd: printf __PLAYC_NOCHDIR; exit 2, chdir: /tmp}
      register: r
      ignore_errors: true
    - assert: {that: ["r.rc == 2", "r.stdout == '__PLAYC_NOCHDIR'", "r.msg == 'non-zero return code'"]}
      ignore_errors: true
    - command: sh -c 'printf __PLAYC_NOCMD; exit 2'
      register: r
      ignore_errors: true
    - assert: {that: ["r.rc == 2", "r.stdout == '__PLAYC_NOCMD'"]}
      ignore_errors: true
    - name: output that looks like the end of a request or a record, without a final newline
      shell: printf 'a\n__PLAYC_0123456789abcdef01234567_1 0\n0123456789abcdef01234567 b\\0001\\000'
      register: r
    - assert: {that: ["r.stdout | length == 68", "r.stdout_lines[1] == '__PLAYC_0123456789abcdef01234567_1 0'"]}
      ignore_errors: true
EOF
compile proto
"$work/proto" -i "$H/inventory.ini" "${known[@]}" > "$work/proto.out" 2>&1
expect_eq "spoofing values and output: exit code" 0 "$?"
no_assertion_failed "spoofing values and output" "$work/proto.out"
expect_eq "a dest holding '\\ntmp=FILE' leaves FILE alone" precious "$(as_user "cat ~/$victim" 2>&1)"
expect_eq "the literal dest name is written" 300000 "$(stat -c %s "$d/report"$'\n'"tmp=$victim" 2>&1)"
expect "no file named by the first line of dest" test ! -e "$d/report"
expect_eq "a dest holding '\\nsame=1' is written (small)" small "$(cat "$d/small"$'\n'"same=1" 2>&1)"
expect_eq "a dest holding '\\nsame=1' is written (large)" 300000 "$(stat -c %s "$d/large"$'\n'"same=1" 2>&1)"
expect "no temp file left by the copies" no_temp "$d"
as_user "rm -f ~/$victim"

# ---- operands never options; ~ is the remote home ------------------------------
d=$(shared_dir operands)
tilde=playc-tilde-$$
cat > "$work/operands.yml" <<EOF
- hosts: h1
  gather_facts: false
  tasks:
    - file: {path: "$d/t", state: touch, owner: "--reference=/etc/shadow"}
      register: r
      ignore_errors: true
    - assert:
        that:
          - r.failed
          - not r.changed
          - "r.msg == 'chown failed: failed to look up user --reference=/etc/shadow'"
          - "r.path == '$d/t'"
          - "r.state == 'file'"
      ignore_errors: true
    - file: {path: "$d/g", state: directory, group: "--help"}
      register: r
      ignore_errors: true
    - assert:
        that:
          - "r.msg == 'chgrp failed: failed to look up group --help'"
          - "r.state == 'directory'"
      ignore_errors: true
    - copy: {content: "x", dest: "$d/c", owner: "-v"}
      register: r
      ignore_errors: true
    - assert:
        that:
          - "r.msg == 'chown failed: failed to look up user -v'"
          - "r.checksum == '11f6ad8ec52a2984abaafd7c3b516503785c2072'"
          - "r.path == '$d/c'"
      ignore_errors: true
    - file: {path: "~/$tilde", state: touch}
      register: r
    - assert: {that: ["r.dest == '$home/$tilde'"]}
      ignore_errors: true
    - copy: {content: "home", dest: "~/$tilde.copy"}
      register: r
    - assert: {that: ["r.dest == '$home/$tilde.copy'"]}
      ignore_errors: true
    - file: {path: "\$HOME/$tilde.copy", state: absent}
    - command: echo ~ \$HOME '~/x' \$PLAYC_NO_SUCH_VAR
      register: r
    - assert: {that: ["r.stdout == '$home $home $home/x \$PLAYC_NO_SUCH_VAR'"]}
      ignore_errors: true
EOF
compile operands
"$work/operands" -i "$H/inventory.ini" "${known[@]}" > "$work/operands.out" 2>&1
expect_eq "operands: exit code" 0 "$?"
no_assertion_failed "operands" "$work/operands.out"
expect "touch with an unknown owner removes the file it created (as Ansible)" test ! -e "$d/t"
expect "~/x is the remote home" test -f "$home/$tilde"
expect "no ./~ folder" test ! -e "$home/~"
as_user "rm -f ~/$tilde"
if [ "$(id -u)" = 0 ]; then # as root, chown --reference would have made the file root:shadow
  d=$(shared_dir rootops)
  cat > "$work/rootops.yml" <<EOF
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - copy: {content: "x", dest: "$d/f"}
    - file: {path: "$d/f", owner: "--reference=/etc/shadow", group: "--reference=/etc/shadow"}
      ignore_errors: true
EOF
  compile rootops
  "$work/rootops" > "$work/rootops.out" 2>&1
  expect_eq "owner/group that look like options change nothing (as root)" "root:root" "$(stat -c %U:%G "$d/f")"
fi

# ---- interrupts ----------------------------------------------------------------
# interrupt BIN SIGNAL DELAY OUT: runs BIN, sends SIGNAL after DELAY seconds;
# sets rc and took (seconds from the signal to the exit)
interrupt() {
  local bin=$1 sig=$2 delay=$3 out=$4
  "$bin" -i "$H/inventory.ini" "${known[@]}" > "$out" 2>&1 &
  local pid=$!
  sleep "$delay"
  local t0
  t0=$(date +%s.%N)
  kill -"$sig" "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  took=$(echo "$(date +%s.%N) - $t0" | bc)
}

d=$(shared_dir interrupt)
cat > "$work/bigcopy.yml" <<EOF
- hosts: h1
  gather_facts: false
  tasks:
    - copy:
        content: "{{ 'C' * 4000000 }}{{ item }}"
        dest: "$d/big{{ item }}"
      loop: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
EOF
compile bigcopy
hits=0
for delay in 0.3 0.45 0.6 0.75 0.9 1.05 1.2 1.35; do
  rm -f "$d"/big*
  interrupt "$work/bigcopy" INT "$delay" "$work/bigcopy.out"
  [ "$rc" = 99 ] && hits=$((hits + 1))
  if [ "$rc" = 99 ] || [ "$rc" = 0 ]; then ok "copy interrupted after ${delay}s: exit $rc"; else bad "copy interrupted after ${delay}s: exit $rc"; fi
  expect "copy interrupted after ${delay}s: no temp file" no_temp "$d"
  grep -q '^PLAY RECAP' "$work/bigcopy.out" && ok "copy interrupted after ${delay}s: recap" \
    || { bad "copy interrupted after ${delay}s: recap"; tail -5 "$work/bigcopy.out"; }
done
[ "$hits" -ge 4 ] && ok "$hits of 8 copies were interrupted mid-run" || bad "only $hits of 8 copies were interrupted mid-run"

cat > "$work/sleeper.yml" <<EOF
- hosts: h1
  gather_facts: false
  tasks:
    - command: echo before
    - shell: sleep 300 && echo too late
    - command: echo after
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - shell: sleep 301
EOF
compile sleeper
for sig in INT TERM; do
  interrupt "$work/sleeper" "$sig" 2 "$work/sleeper-$sig.out"
  expect_eq "SIG$sig during a remote command: exit code" 99 "$rc"
  [ "$(echo "$took < 5" | bc)" = 1 ] && ok "SIG$sig: exits within 5 s (${took}s)" || bad "SIG$sig: exit took ${took}s"
  grep -q '^h1 *: ok=1 ' "$work/sleeper-$sig.out" && ok "SIG$sig: recap so far" \
    || { bad "SIG$sig: recap so far"; cat "$work/sleeper-$sig.out"; }
  grep -q 'User interrupted execution' "$work/sleeper-$sig.out" && ok "SIG$sig: message" || bad "SIG$sig: message"
  sleep 0.5
  expect_eq "SIG$sig: the remote command was stopped" "" "$(target_procs 'sleep 300')"
  left=$(target_procs 'sleep 300'); [ -n "$left" ] && kill $left
done
# the same on the local connection: the play's command is stopped
cat > "$work/localsleep.yml" <<EOF
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - shell: sleep 302
EOF
compile localsleep
"$work/localsleep" > "$work/localsleep.out" 2>&1 &
pid=$!
sleep 1.5
kill -INT "$pid"
wait "$pid"
expect_eq "SIGINT during a local command: exit code" 99 "$?"
sleep 0.3
left=$(pgrep -f 'sleep 302' || true)
expect_eq "SIGINT during a local command: the command was stopped" "" "$left"
[ -n "$left" ] && kill $left

# ---- stalls ------------------------------------------------------------------------
port=$PLAYC_TEST_SSH_PORT
alive="ansible_ssh_common_args='-o ServerAliveInterval=1 -o ServerAliveCountMax=2'"
cat > "$work/stall.ini" <<EOF
[targets]
h1 ansible_host=127.0.0.2 ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$H/id_ed25519 $alive
h2 ansible_host=127.0.0.3 ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$H/id_ed25519 $alive
EOF
cat > "$work/stall.yml" <<EOF
- hosts: targets
  gather_facts: false
  tasks:
    - shell: "sleep {{ 200 if inventory_hostname == 'h1' else 5 }}"
    - command: echo next
EOF
compile stall
"$work/stall" -i "$work/stall.ini" "${known[@]}" > "$work/stall.out" 2>&1 &
pid=$!
# find the sshd process serving h1's session: the parent chain of its sleep
sshd_pid=""
for _ in $(seq 50); do
  sp=$(target_procs '^sleep 200$' | head -1)
  if [ -n "$sp" ]; then
    p=$sp
    while [ "$p" -gt 1 ] && [ "$(cat /proc/$p/comm)" != sshd ]; do p=$(awk '{print $4}' /proc/$p/stat); done
    [ "$p" -gt 1 ] && sshd_pid=$p
    break
  fi
  sleep 0.1
done
if [ -n "$sshd_pid" ]; then
  kill -STOP "$sshd_pid"
  t0=$(date +%s)
  ( sleep 40; kill "$pid" 2>/dev/null ) &
  guard=$!
  wait "$pid"
  rc=$?
  took=$(( $(date +%s) - t0 ))
  kill "$guard" 2>/dev/null
  kill -CONT "$sshd_pid"
  [ -n "$sp" ] && kill "$sp" 2>/dev/null
  expect_eq "a stopped sshd session: exit code 4" 4 "$rc"
  [ "$took" -le 10 ] && ok "a stopped sshd session is detected in ${took}s" || bad "stall detection took ${took}s"
  grep -q 'fatal: \[h1\]: UNREACHABLE!' "$work/stall.out" && ok "stalled host is UNREACHABLE" \
    || { bad "stalled host is UNREACHABLE"; cat "$work/stall.out"; }
  grep -q '^h2 *: ok=2 *changed=2 .*unreachable=0 *failed=0' "$work/stall.out" \
    && ok "the other host goes on; its 5 s silent command outlives the 1 s probe interval" \
    || { bad "the other host goes on"; cat "$work/stall.out"; }
else
  kill "$pid"
  bad "could not find the sshd process of h1's session"
fi

# listeners that accept and then never speak, or stop after the banner
lport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.5", 0)); print(s.getsockname()[1])')
python3 - "$lport" > /dev/null 2>&1 <<'EOF' &
import socket, sys, threading, time
def serve(addr, banner):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(sys.argv[1]))); s.listen(8)
    keep = []
    while True:
        c, _ = s.accept(); keep.append(c)
        if banner: c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
threading.Thread(target=serve, args=("127.0.0.5", False), daemon=True).start()
threading.Thread(target=serve, args=("127.0.0.6", True), daemon=True).start()
time.sleep(120)
EOF
listener=$!
sleep 0.5
cat > "$work/silent.ini" <<EOF
[targets]
s1 ansible_host=127.0.0.5 ansible_port=$lport ansible_ssh_timeout=2
s2 ansible_host=127.0.0.6 ansible_port=$lport ansible_ssh_timeout=2
h2 ansible_host=127.0.0.3 ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$H/id_ed25519
EOF
cat > "$work/silent.yml" <<EOF
- hosts: targets
  gather_facts: false
  tasks:
    - command: echo one
    - command: echo two
EOF
compile silent
t0=$(date +%s)
timeout 60 "$work/silent" -i "$work/silent.ini" "${known[@]}" > "$work/silent.out" 2>&1
rc=$?
took=$(( $(date +%s) - t0 ))
kill "$listener" 2>/dev/null
expect_eq "silent listeners: exit code 4" 4 "$rc"
[ "$took" -le 6 ] && ok "silent listeners give up after ansible_ssh_timeout=2 (${took}s in all)" \
  || bad "silent listeners took ${took}s"
for s in s1 s2; do
  grep -q "fatal: \[$s\]: UNREACHABLE!" "$work/silent.out" && ok "$s is UNREACHABLE" \
    || { bad "$s is UNREACHABLE"; cat "$work/silent.out"; }
done
grep -q '^h2 *: ok=2 *changed=2 .*unreachable=0' "$work/silent.out" && ok "h2 goes on beside silent hosts" \
  || bad "h2 goes on beside silent hosts"

finish
