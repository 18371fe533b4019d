#!/usr/bin/env bash
# sshd.sh — a private OpenSSH server on loopback for tests and benchmarks.
#
#   sshd.sh start DIR [N]   sshd listening on 127.0.0.2 … 127.0.0.(N+1), one free port,
#                           own host key, user playc-test (/bin/sh) with a fresh key; writes
#                           DIR/inventory.ini (h1..hN in [targets]), DIR/ssh_config,
#                           DIR/known_hosts, DIR/env (PLAYC_TEST_SSH_PORT, _USER, _KEY,
#                           PLAYC_TEST_KNOWN_HOSTS, PLAYC_TEST_HOSTS), DIR/sshd.pid.
#                           One sshd listens on at most 16 addresses (OpenSSH's
#                           MAX_LISTEN_SOCKS), so N > 16 starts one per 16, all
#                           sharing the port, key and config; DIR/sshd.pid lists them.
#                           SSHD_OPTS="Key=Value ..." passes each as -o to sshd (over
#                           sshd_config: MaxSessions=1, PasswordAuthentication=yes, ...).
#   sshd.sh stop DIR        stops exactly the sshds it started (by pid)
#
# Only 127.0.0.0/8 addresses are ever used.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [N]" >&2; exit 2; }

stop() {
  local pidf="$dir/sshd.pid"
  [ -f "$pidf" ] || return 0
  local pid
  for pid in $(cat "$pidf"); do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -f "$pidf"
}

free_port() {
  python3 - <<'EOF'
import socket, random
for _ in range(200):
    p = random.randint(20000, 60000)
    ok = True
    for a in ("127.0.0.1", "127.0.0.2"):
        s = socket.socket()
        try:
            s.bind((a, p))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        print(p)
        break
EOF
}

start() {
  local n=${1:-1}
  [ "$n" -ge 1 ] && [ "$n" -le 250 ] || { echo "N must be 1..250" >&2; exit 2; }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local user=playc-test
  if [ "$(id -u)" -eq 0 ]; then
    id "$user" >/dev/null 2>&1 || useradd -m -s /bin/sh "$user"
    # a locked account ("!" password) is refused by sshd without PAM
    usermod -p "*" "$user"
    mkdir -p /run/sshd && chmod 0755 /run/sshd
  else
    user=$(id -un)
    echo "sshd.sh: not root: using the current user $user" >&2
  fi
  rm -f "$dir/ssh_host_ed25519_key" "$dir/id_ed25519"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/ssh_host_ed25519_key"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519"
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
  chmod 0644 "$dir/authorized_keys"
  chmod 0755 "$dir"
  local port
  port=$(free_port)
  local hosts=""
  for i in $(seq "$n"); do
    hosts="$hosts 127.0.0.$((i + 1))"
  done
  {
    echo "Port $port"
    echo "HostKey $dir/ssh_host_ed25519_key"
    echo "PidFile none"
    echo "AuthorizedKeysFile $dir/authorized_keys"
    echo "AllowUsers $user"
    echo "StrictModes no"
    echo "UsePAM no"
    echo "PasswordAuthentication no"
    echo "KbdInteractiveAuthentication no"
    echo "PubkeyAuthentication yes"
    echo "MaxStartups 300:30:400"
    echo "MaxSessions 50"
    echo "LogLevel ERROR"
    echo "Subsystem sftp internal-sftp"
    echo "PrintMotd no"
  } > "$dir/sshd_config"
  hosts=${hosts# }
  : > "$dir/sshd.pid"
  local first=1 pids=()
  while [ "$first" -le "$n" ]; do
    local last=$((first + 15 > n ? n : first + 15)) opts=()
    for i in $(seq "$first" "$last"); do opts+=(-o "ListenAddress=127.0.0.$((i + 1))"); done
    for o in ${SSHD_OPTS:-}; do opts+=(-o "$o"); done
    /usr/sbin/sshd -f "$dir/sshd_config" "${opts[@]}" -D -E "$dir/sshd.log" &
    echo $! >> "$dir/sshd.pid"
    pids+=($!)
    first=$((last + 1))
  done
  # wait until every address accepts connections; a daemon that died says why
  python3 - "$port" $hosts <<'EOF' || { cat "$dir/sshd.log" >&2; stop; exit 1; }
import socket, sys, time
port = int(sys.argv[1])
for a in sys.argv[2:]:
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection((a, port), 0.2).close()
            break
        except OSError:
            if time.time() > deadline:
                sys.exit("sshd.sh: nothing listens on %s:%d" % (a, port))
            time.sleep(0.02)
EOF
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { cat "$dir/sshd.log" >&2; stop; exit 1; }
  done
  local hostkey
  hostkey=$(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")
  : > "$dir/known_hosts"
  : > "$dir/inventory.ini"
  echo "[targets]" >> "$dir/inventory.ini"
  local i=1
  for a in $hosts; do
    echo "[$a]:$port $hostkey" >> "$dir/known_hosts"
    echo "h$i ansible_host=$a ansible_port=$port ansible_user=$user ansible_ssh_private_key_file=$dir/id_ed25519" >> "$dir/inventory.ini"
    i=$((i + 1))
  done
  cat > "$dir/ssh_config" <<EOF
Host *
  Port $port
  User $user
  IdentityFile $dir/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
  LogLevel ERROR
EOF
  cat > "$dir/env" <<EOF
PLAYC_TEST_SSH_PORT=$port
PLAYC_TEST_SSH_USER=$user
PLAYC_TEST_SSH_KEY=$dir/id_ed25519
PLAYC_TEST_KNOWN_HOSTS=$dir/known_hosts
PLAYC_TEST_HOSTS="$hosts"
EOF
  # one real login proves the whole setup
  ssh -F "$dir/ssh_config" -o BatchMode=yes "${hosts%% *}" true
}

case "$cmd" in
  start) stop; start "${3:-1}" ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR [N]" >&2; exit 2 ;;
esac
