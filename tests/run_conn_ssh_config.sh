#!/usr/bin/env bash
# The SSH connection's OpenSSH features (docs/connections.md), against private
# sshds on loopback and, where ansible-playbook can take the same inventory
# (no sshpass here for passwords), against ansible-playbook:
#   - ~/.ssh/config (HOME points at a temp dir): an alias with HostName, Port,
#     User, IdentityFile, UserKnownHostsFile; ProxyJump through one sshd to
#     another, and through one that refuses forwarding (which must fail);
#   - ansible_ssh_common_args with -o options and -J; an unmappable option is
#     warned about by name;
#   - password authentication: ansible_password, --connection-password-file,
#     a wrong one, -k without a terminal; the password never in ps or output;
#   - ansible_ssh_retries: a port that accepts and drops (attempts counted,
#     also for ansible-playbook), a port that starts listening late;
#   - sshd's MaxSessions 1 with become and an SFTP body: a second session.
# Setup, undone at exit: a user playc-pw with a random password (only this
# test's sshd lets it in) and a sudoers rule for the harness user.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v sudo >/dev/null; then
  bad "run_conn_ssh_config.sh needs root and sudo (scripts/deps.sh installs it)"
  finish
  exit 1
fi

pwuser=playc-pw
sudoers=/etc/sudoers.d/playc-conn-test
created_user=
conn_cleanup() {
  [ -z "${SSH_AGENT_PID:-}" ] || kill "$SSH_AGENT_PID" 2>/dev/null
  rm -f "$sudoers"
  [ -z "$created_user" ] || userdel -r "$pwuser" >/dev/null 2>&1
  cleanup
}
trap conn_cleanup EXIT

# A: two addresses, MaxSessions 1, passwords for playc-pw; B: no forwarding
SSHD_OPTS="MaxSessions=1 PasswordAuthentication=yes AllowUsers=$pwuser" harness_start 2
A=$H
SSHD_OPTS="AllowTcpForwarding=no" harness_start 1
B=$H
# C: keyboard-interactive through PAM only (sshd's default on Debian)
SSHD_OPTS="UsePAM=yes KbdInteractiveAuthentication=yes PasswordAuthentication=no AllowUsers=$pwuser" harness_start 1
C=$H
. "$C/env"
portC=$PLAYC_TEST_SSH_PORT
. "$B/env"
portB=$PLAYC_TEST_SSH_PORT
. "$A/env"
port=$PLAYC_TEST_SSH_PORT
user=$PLAYC_TEST_SSH_USER
unset SSH_AUTH_SOCK # no agent: the keys and passwords given are what logs in

password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
if ! id "$pwuser" >/dev/null 2>&1; then
  useradd -m -s /bin/sh "$pwuser" && created_user=1
fi
echo "$pwuser:$password" | chpasswd
printf '%s ALL=(root) NOPASSWD: ALL\n' "$user" > "$sudoers"
chmod 0440 "$sudoers"

home=$work/home
mkdir -p "$home/.ssh"
cat > "$home/.ssh/config" <<EOF
Host alias1
  HostName 127.0.0.2
  Port $port
  User $user
  IdentityFile $A/id_ed25519
  UserKnownHostsFile $A/known_hosts
Host jumped
  HostName 127.0.0.3
  ProxyJump alias1
  Port $port
  User $user
  IdentityFile $A/id_ed25519
  UserKnownHostsFile $A/known_hosts
Host nofwd
  HostName 127.0.0.3
  ProxyJump jumpB
  Port $port
  User $user
  IdentityFile $A/id_ed25519
  UserKnownHostsFile $A/known_hosts
Host loop1
  HostName 127.0.0.2
  ProxyJump loop1
Host jumpB
  HostName 127.0.0.2
  Port $portB
  User $user
  IdentityFile $B/id_ed25519
  UserKnownHostsFile $B/known_hosts
EOF

cfg=$work/ansible.cfg
cat > "$cfg" <<EOF
[defaults]
host_key_checking = True
retry_files_enabled = False
nocolor = True
local_tmp = $work/ansible-local
[ssh_connection]
pipelining = True
ssh_args = -F $home/.ssh/config -o ControlMaster=no
EOF

drop=$(shared_dir drop)
cat > "$work/conn.yml" <<EOF
- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      register: who
    - debug: var=who.stdout
    - command: id -un
      become: true
      register: root
    - debug: var=root.stdout
    - copy:
        content: "{{ 'x' * 400000 }}"
        dest: "$drop/{{ inventory_hostname }}-{{ run }}"
EOF
(cd "$work" && "$PLAYC" conn.yml -o conn.bin) || bad "compile conn.yml"
cat > "$work/retry.yml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
EOF
(cd "$work" && "$PLAYC" retry.yml -o retry.bin) || bad "compile retry.yml"

# ---- ~/.ssh/config, common args, MaxSessions: beside ansible-playbook ----------------
cat > "$work/config.ini" <<EOF
[targets]
alias1
args1 ansible_host=127.0.0.3 ansible_ssh_common_args='-o Port=$port -o User=$user -o "IdentityFile $A/id_ed25519" -oUserKnownHostsFile=$A/known_hosts -o StrictHostKeyChecking=yes'
EOF
ANSIBLE_CONFIG=$cfg ansible-playbook -i "$work/config.ini" -e run=ans "$work/conn.yml" > "$work/config.ans" 2>&1
ans_rc=$?
HOME=$home "$work/conn.bin" -i "$work/config.ini" -e run=pc > "$work/config.pc" 2>&1
pc_rc=$?
expect_eq "ssh config and common args: exit code as ansible-playbook" "$ans_rc" "$pc_rc"
expect_eq "ssh config and common args: recap as ansible-playbook" "$(recap "$work/config.ans")" \
  "$(recap "$work/config.pc")"
expect_eq "ssh config and common args: all ok" "0" "$pc_rc"
expect "alias1 logs in as the config's user" grep -q "\"who.stdout\": \"$user\"" "$work/config.pc"
expect "become under MaxSessions 1 (a second session)" \
  test "$(grep -c '"root.stdout": "root"' "$work/config.pc")" = 2
expect "an SFTP body under MaxSessions 1" test "$(stat -c %s "$drop/alias1-pc" 2>/dev/null)" = 400000

# --ssh-common-args on the command line (no variable): as ansible-playbook
echo "cli1 ansible_host=127.0.0.3" > "$work/cli.ini"
cliargs="-o Port=$port -l $user -i $A/id_ed25519 -o UserKnownHostsFile=$A/known_hosts"
ANSIBLE_CONFIG=$cfg ansible-playbook -i "$work/cli.ini" --ssh-common-args "$cliargs" "$work/retry.yml" \
  > "$work/cli.ans" 2>&1
ans_rc=$?
HOME=$home "$work/retry.bin" -i "$work/cli.ini" --ssh-common-args "$cliargs" > "$work/cli.pc" 2>&1
expect_eq "--ssh-common-args: exit code as ansible-playbook (0)" "0 $ans_rc" "0 $?"
expect_eq "--ssh-common-args: recap as ansible-playbook" "$(recap "$work/cli.ans")" "$(recap "$work/cli.pc")"

# ---- ProxyJump (config and -J), and a jump host that refuses forwarding ---------------
cat > "$work/jump.ini" <<EOF
[targets]
jumped
viaJ ansible_host=127.0.0.3 ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$A/id_ed25519 ansible_ssh_common_args='-J alias1'
nofwd
loop1
viaPC ansible_host=127.0.0.3 ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$A/id_ed25519 ansible_ssh_common_args="-o 'ProxyCommand=ssh -F $home/.ssh/config -W %h:%p alias1'"
EOF
cat "$A/known_hosts" "$B/known_hosts" > "$work/known_hosts" # --known-hosts serves the jump hosts too
HOME=$home "$work/conn.bin" -i "$work/jump.ini" --known-hosts "$work/known_hosts" -e run=jump > "$work/jump.pc" 2>&1
# (alias1 with ansible_port=1: the inventory's port over the config's)
printf '[targets]\njumped\nnofwd\nalias1 ansible_port=1\n' > "$work/jump2.ini" # OpenSSH passes -F on to its jump
ANSIBLE_CONFIG=$cfg ansible-playbook -i "$work/jump2.ini" "$work/retry.yml" > "$work/jump2.ans" 2>&1
ans_rc=$?
HOME=$home "$work/retry.bin" -i "$work/jump2.ini" > "$work/jump2.pc" 2>&1
expect_eq "ProxyJump (and a jump without forwarding): exit code as ansible-playbook" "$ans_rc" "$?"
expect_eq "ProxyJump (and a jump without forwarding): recap as ansible-playbook" \
  "$(recap "$work/jump2.ans")" "$(recap "$work/jump2.pc")"
expect "the inventory's port over the ssh config's" \
  grep -q 'fatal: \[alias1\]: UNREACHABLE.*connect to host 127.0.0.2 port 1: ' "$work/jump2.pc"
expect "ProxyJump from the ssh config" grep -q "^jumped *: ok=5 .*unreachable=0 failed=0" \
  <(recap "$work/jump.pc" | sed 's/ : /  : /')
expect "-J in ansible_ssh_common_args" grep -q "^viaJ .*ok=5 .*unreachable=0" <(recap "$work/jump.pc")
expect "ProxyCommand in ansible_ssh_common_args" grep -q "^viaPC .*ok=5 .*unreachable=0" <(recap "$work/jump.pc")
expect "a ProxyJump that leads back to itself: unreachable, no hang" \
  grep -q 'fatal: \[loop1\]: UNREACHABLE.*more than 8 jump hosts on the way' "$work/jump.pc"
expect "a jump host without forwarding: unreachable, saying so" \
  grep -q 'fatal: \[nofwd\]: UNREACHABLE.*the jump host jumpB could not reach 127.0.0.3' "$work/jump.pc"
grep '^fatal: \[nofwd\]' "$work/jump.pc"

# ---- an unmappable option: warned once, by name --------------------------------------
cat > "$work/warn.ini" <<EOF
alias1 ansible_ssh_extra_args='-o ForwardX11=yes'
jumped ansible_ssh_extra_args='-o ForwardX11=yes'
EOF
HOME=$home "$work/conn.bin" -i "$work/warn.ini" -e run=warn > "$work/warn.pc" 2>&1
expect_eq "an unmappable -o option: warned once" 1 \
  "$(grep -c 'WARNING.*the ssh argument -o ForwardX11 has no equivalent' "$work/warn.pc")"
expect "an unmappable -o option: the run goes on" grep -q "^alias1 .*ok=5 .*failed=0" <(recap "$work/warn.pc")

# ---- passwords -----------------------------------------------------------------------
cat > "$work/pw.yml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - command: sh -c 'id -un; sleep 1'
      register: who
    - debug: var=who.stdout_lines[0]
EOF
(cd "$work" && "$PLAYC" pw.yml -o pw.bin) || bad "compile pw.yml"
printf 'ansible_password: "%s"\n' "$password" > "$work/pw-vars.yml"
printf '%s\n' "$password" > "$work/pw-file"
chmod 0600 "$work/pw-vars.yml" "$work/pw-file"
echo "pw1 ansible_host=127.0.0.2 ansible_port=$port ansible_user=$pwuser" > "$work/pw.ini"
HOME=$home "$work/pw.bin" -vvvv -i "$work/pw.ini" --known-hosts "$A/known_hosts" -e @"$work/pw-vars.yml" \
  > "$work/pw.out" 2>&1 &
pid=$!
: > "$work/ps.txt"
while kill -0 "$pid" 2>/dev/null; do
  ps -eo args >> "$work/ps.txt"
  sleep 0.1
done
wait "$pid"
expect_eq "ansible_password: exit code" 0 "$?"
expect "ansible_password logs in" grep -q "\"who.stdout_lines\[0\]\": \"$pwuser\"" "$work/pw.out"
expect "the run was sampled while logged in" grep -qF "id -un; sleep 1" "$work/ps.txt"
expect "no password in the process list" bash -c "! grep -qF '$password' '$work/ps.txt'"
expect "no password in the -vvvv output" bash -c "! grep -qF '$password' '$work/pw.out'"
expect "no password in the program" bash -c "! grep -qF '$password' '$work/pw.bin'"

HOME=$home "$work/pw.bin" -i "$work/pw.ini" --known-hosts "$A/known_hosts" \
  --connection-password-file "$work/pw-file" > "$work/pwfile.out" 2>&1
expect "--connection-password-file logs in" grep -q "\"who.stdout_lines\[0\]\": \"$pwuser\"" "$work/pwfile.out"

HOME=$home "$work/pw.bin" -i "$work/pw.ini" --known-hosts "$A/known_hosts" -e ansible_password=wrong \
  > "$work/pwbad.out" 2>&1
expect_eq "a wrong password: exit code 4" 4 "$?"
expect "a wrong password: unreachable, permission denied" \
  grep -q 'UNREACHABLE.*playc-pw@127.0.0.2: Permission denied (.*password' "$work/pwbad.out"

echo "kbd1 ansible_host=127.0.0.2 ansible_port=$portC ansible_user=$pwuser" > "$work/kbd.ini"
HOME=$home "$work/pw.bin" -i "$work/kbd.ini" --known-hosts "$C/known_hosts" -e @"$work/pw-vars.yml" \
  > "$work/kbd.out" 2>&1
expect "keyboard-interactive (PAM) with ansible_password logs in" \
  grep -q "\"who.stdout_lines\[0\]\": \"$pwuser\"" "$work/kbd.out"

# -k on a terminal (script's pty): asks, reads without echo, logs in
(sleep 1; printf '%s\n' "$password"; sleep 4) |
  HOME=$home script -qec "'$work/pw.bin' -k -i '$work/pw.ini' --known-hosts '$A/known_hosts'" /dev/null \
  > "$work/askpty.out" 2>&1
expect "-k on a terminal: asks" grep -q "SSH password:" "$work/askpty.out"
expect "-k on a terminal: logs in" grep -q "\"who.stdout_lines\[0\]\": \"$pwuser\"" "$work/askpty.out"
expect "-k on a terminal: no echo of the password" bash -c "! grep -qF '$password' '$work/askpty.out'"

setsid -w "$work/pw.bin" -k -i "$work/pw.ini" --known-hosts "$A/known_hosts" < /dev/null > "$work/ask.out" 2>&1
ask_rc=$?
expect "-k without a terminal: an error, no run" test "$ask_rc" -ne 0
expect "-k without a terminal: says why" grep -q -- "-k/--ask-pass reads the SSH password from a terminal" "$work/ask.out"

# ---- a key file protected by a passphrase: the agent, else a clear message -------------
phrase=$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')
ssh-keygen -q -t ed25519 -N "$phrase" -f "$work/id_locked"
cat "$work/id_locked.pub" >> "$A/authorized_keys"
echo "locked1 ansible_host=127.0.0.2 ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$work/id_locked ansible_ssh_common_args='-o UserKnownHostsFile=$A/known_hosts'" > "$work/locked.ini"
HOME=$home "$work/retry.bin" -i "$work/locked.ini" > "$work/locked.out" 2>&1
expect_eq "a key with a passphrase, no agent: unreachable" 4 "$?"
expect "a key with a passphrase, no agent: says so" \
  grep -q "UNREACHABLE.*the private key $work/id_locked could not be loaded: it is protected by a passphrase" "$work/locked.out"
eval "$(ssh-agent -s -a "$work/agent.sock")" > /dev/null
printf '#!/bin/sh\necho %s\n' "$phrase" > "$work/askpass"
chmod 0700 "$work/askpass"
SSH_ASKPASS=$work/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none ssh-add "$work/id_locked" < /dev/null 2> /dev/null
expect "the key is in the agent" ssh-add -l > /dev/null
HOME=$home "$work/retry.bin" -i "$work/locked.ini" > "$work/locked-agent.out" 2>&1
expect_eq "a key with a passphrase in the agent: logs in" 0 "$?"
ANSIBLE_CONFIG=$cfg ansible-playbook -i "$work/locked.ini" "$work/retry.yml" > "$work/locked-agent.ans" 2>&1
expect_eq "a key with a passphrase in the agent: recap as ansible-playbook" \
  "$(recap "$work/locked-agent.ans")" "$(recap "$work/locked-agent.out")"
kill "$SSH_AGENT_PID"
unset SSH_AUTH_SOCK SSH_AGENT_PID

# ---- ansible_ssh_retries -------------------------------------------------------------
counter=$work/accepts
python3 - "$counter" > "$work/drop.port" <<'EOF' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.4", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
s.settimeout(30)
n = 0
try:
    while True:
        c, _ = s.accept()
        with open(sys.argv[1], "a") as f:
            f.write("accept\n")
        c.close()
except socket.timeout:
    pass
EOF
drop_pid=$!
for _ in $(seq 50); do [ -s "$work/drop.port" ] && break; sleep 0.1; done
dport=$(cat "$work/drop.port")
echo "dropper ansible_host=127.0.0.4 ansible_port=$dport ansible_user=$user ansible_ssh_retries=2 ansible_python_interpreter=/usr/bin/python3" > "$work/retry.ini"
# (the interpreter given: Ansible's discovery would make its own attempts first)
rm -f "$counter"
ANSIBLE_CONFIG=$cfg ansible-playbook -vvv -i "$work/retry.ini" "$work/retry.yml" > "$work/retry.ans" 2>&1
ans_rc=$?
ans_count=$(wc -l < "$counter" 2>/dev/null)
rm -f "$counter"
HOME=$home "$work/retry.bin" -i "$work/retry.ini" > "$work/retry.pc" 2>&1
pc_rc=$?
expect_eq "retries against a dropping port: attempts as ansible-playbook" "$ans_count" "$(wc -l < "$counter" 2>/dev/null)"
expect_eq "retries against a dropping port: 3 attempts" 3 "$(wc -l < "$counter" 2>/dev/null)"
expect_eq "retries: exit code as ansible-playbook" "$ans_rc" "$pc_rc"
sed -i 's/ ansible_ssh_retries=2//' "$work/retry.ini"
rm -f "$counter"
HOME=$home ANSIBLE_SSH_RETRIES=1 "$work/retry.bin" -i "$work/retry.ini" > "$work/retry-env.pc" 2>&1
expect_eq "ANSIBLE_SSH_RETRIES=1: 2 attempts" 2 "$(wc -l < "$counter" 2>/dev/null)"
expect_eq "retries: recap as ansible-playbook" "$(recap "$work/retry.ans")" "$(recap "$work/retry.pc")"
kill "$drop_pid" 2>/dev/null
wait "$drop_pid" 2>/dev/null

# a port that starts listening (forwarding to sshd) 1.5 s after the run starts
lport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.4",0)); print(s.getsockname()[1])')
python3 - "$lport" "$port" <<'EOF' &
import socket, sys, threading, time
time.sleep(1.5)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.4", int(sys.argv[1])))
s.listen(4)
s.settimeout(30)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for x in (a, b):
        try:
            x.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
try:
    c, _ = s.accept()
    u = socket.create_connection(("127.0.0.2", int(sys.argv[2])))
    t = threading.Thread(target=pipe, args=(u, c))
    t.start()
    pipe(c, u)
    t.join()
except socket.timeout:
    pass
EOF
late_pid=$!
echo "late ansible_host=127.0.0.4 ansible_port=$lport ansible_user=$user ansible_ssh_private_key_file=$A/id_ed25519 ansible_ssh_retries=3" > "$work/late.ini"
printf '[127.0.0.4]:%s %s\n' "$lport" "$(cut -d' ' -f2,3 "$A/known_hosts" | head -1)" > "$work/late_known"
HOME=$home "$work/retry.bin" -vv -i "$work/late.ini" --known-hosts "$work/late_known" > "$work/late.pc" 2>&1
expect_eq "a port that listens late: reached on a retry" 0 "$?"
expect "a port that listens late: the retries were logged at -vv" grep -q "ssh_retry: attempt: 2" "$work/late.pc"
kill "$late_pid" 2>/dev/null
wait "$late_pid" 2>/dev/null

# (an ASan build's report lands in the outputs; CI runs this suite under it)
expect "no sanitizer report in any run's output" bash -c "! grep -l 'Sanitizer' '$work'/*.pc '$work'/*.out"
finish
