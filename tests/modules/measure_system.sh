#!/usr/bin/env bash
# measure_system.sh — round trips and target processes per task of the
# system family's modules (docs/modules/system.md), on this machine as root
# with the local connection. Each scenario is a two-task playbook: `ping`
# (opens the connection) then the module's task, run twice on a fresh state:
# the first run shows the changed case, the second the unchanged one. Under
# strace -f, a round trip is a request written to the target's shell (its
# ".end" record the shell writes when a request ends), a process is a fork or exec the target
# side makes (threads of the controller excluded); both are counted from
# the end of ping's request on: a request ends with the shell writing its
# ".end" record. Prints a markdown table; with NAMEs, only their rows.
#   PLAYC=build/playc PLAYC_RUNTIME=build/libplaycrt.a bash tests/modules/measure_system.sh [NAME...]
set -uo pipefail
: "${PLAYC:?}"
export PLAYC_RUNTIME
command -v strace >/dev/null || { echo "needs strace" >&2; exit 2; }
W=$(mktemp -d /tmp/playc-measure.XXXXXX)
U=pm$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
server=
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null
  userdel -r -f "${U}u" 2>/dev/null; groupdel "${U}g" 2>/dev/null; crontab -r -u "${U}k" 2>/dev/null
  userdel -r -f "${U}k" 2>/dev/null; rm -f "/etc/cron.d/$U"
  umount "$W/m" 2>/dev/null; rm -rf "$W" "$HOME/.ansible_async/$U"
}
trap cleanup EXIT

# a web server and a repository for get_url, uri and git
mkdir -p "$W/www" "$W/x" && printf 'hello\n' > "$W/www/a.txt"
(cd "$W" && exec python3 -m http.server 39459 --bind 127.0.0.1 >/dev/null 2>&1) & server=$!
git init -q -b main "$W/repo" && (cd "$W/repo" && echo 1 > f && git add f &&
  git -c user.name=t -c user.email=t@t commit -qm one)
mkdir -p "$W/arc/t" && echo a > "$W/arc/t/a" && tar -C "$W/arc" -czf "$W/files.tar.gz" t
mkdir -p "$W/files" && cp "$W/files.tar.gz" "$W/files/sample.tar.gz"
useradd -M "${U}k" && mkdir -p "$HOME/.ansible_async" && echo '{"started": 1, "finished": 1}' > "$HOME/.ansible_async/$U"
printf 'x\n' > "$W/present"
# a makefile for make, a key and a certificate for the crypto info modules
mkdir -p "$W/mk" && printf 'x\n' > "$W/mk/in" && printf 'out: in\n\tcp in out\n' > "$W/mk/Makefile"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/k.pem" -out "$W/c.pem" -days 1 -subj /CN=m >/dev/null 2>&1
sleep 1

# name | task (YAML, one line)
scenarios=(
  "ping|ping:"
  "getent|getent: database=passwd key=root"
  "group|group: name=${U}g gid=39301"
  "user|user: name=${U}u uid=39301 create_home=false"
  "cron|cron: name=j user=${U}k job=/bin/true minute=5"
  "authorized_key|authorized_key: user=${U}k key='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOK0gqABgKaMr424AitHsYr4MWAVIoDoA3FAZkJt103O c' path=$W/ak manage_dir=false"
  "known_hosts|known_hosts: path=$W/kh name=h1 key='h1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOK0gqABgKaMr424AitHsYr4MWAVIoDoA3FAZkJt103O'"
  "sysctl|sysctl: name=kernel.domainname value='(none)' sysctl_file=$W/s.conf reload=false"
  "mount|mount: path=$W/m src=pm$U fstype=tmpfs state=mounted fstab=$W/fstab"
  "wait_for|wait_for: path=$W/present"
  "wait_for_connection|wait_for_connection: timeout=5"
  "pause|pause: seconds=1"
  "async_status|async_status: jid=$U"
  "get_url|get_url: url=http://127.0.0.1:39459/www/a.txt dest=$W/a.txt"
  "uri|uri: url=http://127.0.0.1:39459/www/a.txt"
  "git|git: repo=$W/repo dest=$W/clone"
  "unarchive|unarchive: src=sample.tar.gz dest=$W/x"
  "archive|archive: path=$W/arc dest=$W/arc.tgz"
  "command|command: cat stdin=abc"
  "make|community.general.make: chdir=$W/mk target=out"
  "openssl_privatekey_info|community.crypto.openssl_privatekey_info: path=$W/k.pem"
  "x509_certificate_info|community.crypto.x509_certificate_info: path=$W/c.pem"
)
only=" $* "

# count FILE: "round_trips processes" from the module's request on
count() {
  awk '
    /write\(1, "[0-9a-f]+ \.end/ { if (on) rt++; on = 1; next }
    on && /(clone|clone3|fork|vfork)\(/ && !/CLONE_THREAD/ { pr++ }
    END { printf "%d %d\n", rt, pr }' "$1"
}

echo "| module | round trips (changed) | processes (changed) | round trips (unchanged) | processes (unchanged) |"
echo "|---|---|---|---|---|"
for s in "${scenarios[@]}"; do
  name=${s%%|*} task=${s#*|}
  [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || continue
  printf -- "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n    - %s\n" "$task" > "$W/$name.yml"
  (cd "$W" && "$PLAYC" "$W/$name.yml" -o "$W/$name.bin") >/dev/null 2>&1 || { echo "| $name | compile failed | | | |"; continue; }
  row="| $name |"
  for run in 1 2; do
    strace -f -qq -s 64 -e trace=write,clone,clone3,fork,vfork -o "$W/$name.$run.trace" \
      "$W/$name.bin" -i localhost, -c local > "$W/$name.$run.out" 2>&1
    set -- $(count "$W/$name.$run.trace")
    row="$row $1 | $2 |"
  done
  echo "$row"
done
