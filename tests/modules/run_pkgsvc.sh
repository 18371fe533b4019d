#!/usr/bin/env bash
# Differential tests of the package and service modules (raw, script, apt,
# package, dpkg_selections, debconf, apt_key, apt_repository, package_facts,
# service, systemd, systemd_service, service_facts, pip): every playbook of
# tests/modules/pkgsvc/ runs through ansible-playbook (Debian's ansible-core)
# and through its playc binary, on this machine as root with connection
# local. Each side starts from the same state (the case's reset hook), runs
# in check mode (-C), then twice for real (the second run shows
# idempotence). Compared for each of the three runs: exit code, every
# result line of -v output (pkgsvc_results.py: task, outcome, the result
# without timings and Python-only keys; debug var= tasks show registered
# results whole), [WARNING] lines and the recap; after the runs, the end
# state the case's state hook prints (packages, selections, files, init
# links). Ansible's side is recorded in tests/modules/pkgsvc/fixtures/
# (PKGSVC_REGEN=1 records it again from ansible-playbook; PKGSVC_LIVE=1
# runs it instead of reading the fixtures); the facts case, which reads the
# whole machine, always runs both tools live.
#
# The machine is changed only through uniquely named objects (a package
# built here with dpkg-deb, served from a file: repository in the work
# folder through a private APT configuration, so no network source is ever
# read; an init script; keys in a keyring of the work folder) and every hook
# undoes them at exit, failed or not. One run at a time: a lock file
# serialises concurrent runs (dpkg's lock, service state).
. "$(dirname "$0")/../lib.sh"
cases=$PLAYC_SRC/tests/modules/pkgsvc
exec 9>/tmp/playc-pkgsvc-test.lock
flock -w 900 9 || { echo "another pkgsvc test holds the lock"; exit 1; }

export ANSIBLE_CONFIG=$work/ansible.cfg
# pip reads only what the cases give it (no machine-wide links, indexes or
# configuration files: they would show in its output)
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL
export PIP_CONFIG_FILE=/dev/null
cat > "$ANSIBLE_CONFIG" <<EOF
[defaults]
retry_files_enabled = False
nocolor = True
interpreter_python = /usr/bin/python3
local_tmp = $work/ansible-local
EOF
tag=t$$ # unique object names for this run
vars=$work/vars.json

teardowns=()
at_exit() {
  for f in "${teardowns[@]}"; do "$f" >/dev/null 2>&1; done
  if [ -n "${PKGSVC_KEEP-}" ]; then echo "kept $work"; else cleanup; fi
}
trap at_exit EXIT

# Packages this machine's history left auto-removable would show in apt's
# output (its "no longer required" note) and in the autoremove case: they
# are held as manually installed for the run, and released at exit.
pinned=$(apt-get -s autoremove 2>/dev/null | awk '/^Remv /{print $2}')
unpin() { apt-mark auto $pinned; }
if [ -n "$pinned" ]; then
  apt-mark manual $pinned >/dev/null && teardowns+=(unpin)
fi

# run TOOL CASE MODE: one run of the case's playbook (MODE: check or real)
run() {
  local tool=$1 name=$2 mode=$3 flags=(-v) out
  [ "$mode" = check ] && flags+=(-C -D) # --diff: registered results carry the diffs
  out=$work/$name.$tool.$mode${4-}
  # from the playbook's folder: Ansible's local connection runs commands
  # there, playc's in the folder it was started from
  cd "$cases" || return
  if [ "$tool" = ans ]; then
    ansible-playbook -i localhost, -c local "${flags[@]}" -e "@$vars" "$cases/$name.yml" > "$out" 2>&1
  elif [ -n "${PKGSVC_COUNT-}" ] && [ "$mode" = real ]; then
    # PKGSVC_COUNT=FILE: requests and target processes per task, measured
    strace -f -qq -e trace=write,execve -s 2000000 -o "$out.strace" \
      "$work/$name.bin" -i localhost, -c local "${flags[@]}" -e "@$vars" > "$out" 2>&1
    /usr/bin/python3 "$PLAYC_SRC/tests/modules/pkgsvc_counts.py" "$out.strace" |
      sed "s/^/$name real${4-}\t/" >> "$PKGSVC_COUNT"
  else
    "$work/$name.bin" -i localhost, -c local "${flags[@]}" -e "@$vars" > "$out" 2>&1
  fi
  echo $? > "$out.rc"
  cd - >/dev/null
}

# The names this run made up, as placeholders (results and states recorded
# on one run compare with another's: tests/modules/pkgsvc/fixtures).
subst_names() {
  printf '%s\n' "$work=<work>" "$PLAYC_SRC=<src>" "$tag=<tag>" "${sleeper-}=<sleeper>" "${keyid-}=<keyid>" \
    "${keyid: -8}=<shortid>" "${http_port-}=<port>" | grep -v '^=' | grep -v '^<'
}

# outcome TOOL NAME: the three runs' exit codes and results, and the end
# state, normalised (what a fixture holds)
outcome() {
  local tool=$1 name=$2 r
  export PKGSVC_SUBST; PKGSVC_SUBST=$(subst_names)
  for r in check real1 real2; do
    echo "== $r exit $(cat "$work/$name.$tool.$r.rc")"
    /usr/bin/python3 "$PLAYC_SRC/tests/modules/pkgsvc_results.py" "$work/$name.$tool.$r"
  done
  echo "== end state"
  /usr/bin/python3 "$PLAYC_SRC/tests/modules/pkgsvc_results.py" --text "$work/$name.$tool.state"
}

# runs TOOL NAME: from the reset state: check (with --diff), real, real
runs() {
  "reset_$2"
  run "$1" "$2" check
  run "$1" "$2" real 1
  run "$1" "$2" real 2
  "state_$2" > "$work/$2.$1.state" 2>&1
}

# compare_case NAME [live]: playc's outcome against ansible-playbook's, run
# now for a live case (or with PKGSVC_LIVE=1), else as recorded in the
# fixture (PKGSVC_REGEN=1 runs Ansible and records it again)
compare_case() {
  local name=$1 live=${2-} fixture=$PLAYC_SRC/tests/modules/pkgsvc/fixtures/$1.out want
  # PKGSVC_CASES="a b" runs only those (while working on a module)
  if [ -n "${PKGSVC_CASES-}" ] && [[ " $PKGSVC_CASES " != *" $name "* ]]; then return; fi
  (cd "$work" && "$PLAYC" "$cases/$name.yml" -o "$work/$name.bin") || { bad "$name: compile"; return; }
  if [ -n "$live" ] || [ -n "${PKGSVC_LIVE-}" ] || [ -n "${PKGSVC_REGEN-}" ]; then
    runs ans "$name"
    want=$(outcome ans "$name")
    if [ -n "${PKGSVC_REGEN-}" ] && [ -z "$live" ]; then
      mkdir -p "$(dirname "$fixture")" && printf '%s\n' "$want" > "$fixture" && echo "recorded $fixture"
    fi
  elif [ -f "$fixture" ]; then
    want=$(cat "$fixture")
  else
    bad "$name: no fixture (PKGSVC_REGEN=1 records it from ansible-playbook)"
    return
  fi
  runs pc "$name"
  expect_eq "$name: exit codes, results of check, real and real runs, end state" "$want" "$(outcome pc "$name")"
}

# ---- raw and script ----------------------------------------------------------------
reset_misc() { rm -rf "$work/misc"; mkdir -p "$work/misc"; }
state_misc() { (cd "$work/misc" && ls -A); ls -A "${TMPDIR:-/tmp}" | grep -c '^\.playc-script-' || true; }

# ---- apt, package, dpkg_selections: a repository built here -------------------------
apt_dir=$work/apt
# mkpkg NAME VERSION [CONTROL-LINES [FOLDER]]: a package with a doc file and a conffile
mkpkg() {
  local d=$apt_dir/build/$1-$2
  mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$1" "$d/etc"
  printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: playc tests <root@localhost>\nSection: misc\nPriority: optional\n%sDescription: playc test package\n' \
    "$1" "$2" "${3:-}" > "$d/DEBIAN/control"
  echo "$1 $2" > "$d/usr/share/doc/$1/marker"
  echo "conf=$2" > "$d/etc/$1.conf"
  echo "/etc/$1.conf" > "$d/DEBIAN/conffiles"
  dpkg-deb --build --root-owner-group "$d" "$apt_dir/${4:-repo}/" >/dev/null
}
mkdir -p "$apt_dir"/{repo,debs,build,lists/partial,cache/archives/partial,sources.list.d}
mkpkg "playc-$tag-a" 1.0
mkpkg "playc-$tag-a" 2.0
mkpkg "playc-$tag-b" 1.0 "Recommends: playc-$tag-c
"
mkpkg "playc-$tag-c" 1.0
mkpkg "playc-$tag-d" 1.0 "Depends: playc-$tag-c (>= 1.0)
" debs
(cd "$apt_dir/repo" && dpkg-scanpackages --multiversion . 2>/dev/null > Packages)
echo "deb [trusted=yes] file:$apt_dir/repo ./" > "$apt_dir/sources.list"
# the private configuration: only this repository, private lists and cache
cat > "$apt_dir/apt.conf" <<EOF
Dir::Etc::SourceList "$apt_dir/sources.list";
Dir::Etc::SourceParts "$apt_dir/sources.list.d";
Dir::State::Lists "$apt_dir/lists";
Dir::Cache "$apt_dir/cache";
EOF
purge_test_packages() {
  dpkg-query -W -f='${Package}\n' "playc-$tag-*" 2>/dev/null | xargs -r dpkg --purge >/dev/null 2>&1
  true
}
teardowns+=(purge_test_packages)
reset_apt() { # no test package, the repository's lists read (so check mode sees them)
  purge_test_packages
  rm -rf "$apt_dir/lists" && mkdir -p "$apt_dir/lists/partial"
  APT_CONFIG=$apt_dir/apt.conf apt-get update -q >/dev/null 2>&1
}
state_apt() {
  dpkg-query -W -f='${Package} ${Version} ${Status}\n' "playc-$tag-*" 2>&1 | sort
  dpkg --get-selections "playc-$tag-*" 2>&1
  apt-mark showmanual 2>/dev/null | grep "^playc-$tag-" || true
  cat /etc/playc-"$tag"-*.conf 2>&1
}

# ---- service, sysvinit, systemd, service_facts: an init script and a unit file -------
svc=playc-$tag
sleeper=31$$
unit_file=/etc/systemd/system/playc-$tag-unit.service
install_service() {
  cat > "/etc/init.d/$svc" <<EOF
#!/bin/sh
### BEGIN INIT INFO
# Provides:          $svc
# Required-Start:    \$local_fs
# Required-Stop:     \$local_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: playc test service
### END INIT INFO
# a sleeping daemon, its pid file, and a log of every action
PID=/run/$svc.pid
LOG=/run/$svc.log
running() { [ -f "\$PID" ] && kill -0 "\$(cat "\$PID")" 2>/dev/null; }
echo "\$*" >> "\$LOG"
case "\$1" in
start) if running; then echo "$svc already running"; else
         (trap '' HUP; exec sleep $sleeper) </dev/null >/dev/null 2>&1 & echo \$! > "\$PID"
         echo "Starting $svc"; fi ;;
stop) if running; then kill "\$(cat "\$PID")"; fi; rm -f "\$PID"; echo "Stopping $svc" ;;
restart) "\$0" stop; "\$0" start ;;
reload|force-reload) echo "Reloading $svc" ;;
status) if running; then echo "$svc is running"; exit 0; else echo "$svc is not running"; exit 3; fi ;;
*) echo "Usage: \$0 {start|stop|restart|reload|status}" >&2; exit 2 ;;
esac
exit 0
EOF
  chmod 755 "/etc/init.d/$svc"
  printf '[Unit]\nDescription=playc test unit\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' > "$unit_file"
}
reset_svc() {
  [ ! -x "/etc/init.d/$svc" ] || "/etc/init.d/$svc" stop >/dev/null 2>&1
  rm -f "/run/$svc.log" "/run/$svc.pid"
  update-rc.d -f "$svc" remove >/dev/null 2>&1
  systemctl disable "playc-$tag-unit" >/dev/null 2>&1; systemctl unmask "playc-$tag-unit" >/dev/null 2>&1
  true
}
remove_service() {
  reset_svc
  rm -f "/etc/init.d/$svc" "$unit_file"
}
state_svc() {
  cat "/run/$svc.log" 2>&1
  ls /etc/rc?.d/ 2>/dev/null | grep -c -- "$svc" || true
  ls -l /etc/rc?.d/*"$svc" 2>/dev/null | sed 's/.* \(\/etc\/\)/\1/'
  [ -f "/run/$svc.pid" ] && kill -0 "$(cat "/run/$svc.pid")" 2>/dev/null && echo running || echo stopped
  find /etc/systemd/system -name "playc-$tag-unit*" -printf '%p %l\n' | sort
}
teardowns+=(remove_service)
install_service

# ---- apt_repository, apt_key, debconf: sources files, a keyring, a key server ----------
keys=$work/keys
mkdir -p "$keys/gnupg" && chmod 700 "$keys/gnupg"
GNUPGHOME=$keys/gnupg gpg --batch --passphrase '' --quick-gen-key "playc test $tag <t@localhost>" ed25519 sign never \
  >/dev/null 2>&1
GNUPGHOME=$keys/gnupg gpg --armor --export > "$keys/key.asc"
keyid=$(GNUPGHOME=$keys/gnupg gpg --with-colons --list-keys | awk -F: '$1 == "pub" { print $5; exit }')
GNUPGHOME=$keys/gnupg gpgconf --kill gpg-agent >/dev/null 2>&1
echo "not a key" > "$keys/notakey"
# the key over HTTP on 127.0.0.1, from a free port
http_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$keys" && exec /usr/bin/python3 -m http.server "$http_port" --bind 127.0.0.1 >/dev/null 2>&1) &
http_pid=$!
stop_http() { kill "$http_pid" 2>/dev/null; }
teardowns+=(stop_http)
cp -r "$apt_dir/repo" "$apt_dir/repo2"
cp -r "$apt_dir/repo" "$apt_dir/repo2-old"
reset_aptconf() {
  echo "deb [trusted=yes] file:$apt_dir/repo ./" > "$apt_dir/sources.list"
  rm -f "$apt_dir"/sources.list.d/*
  printf '# a comment line\n#deb [trusted=yes] file:%s/repo2-old ./\n' "$apt_dir" > "$apt_dir/sources.list.d/old.list"
  rm -f "$keys"/ring.gpg*
  echo PURGE | debconf-communicate "playc-$tag" >/dev/null 2>&1
  true
}
purge_debconf() { echo PURGE | debconf-communicate "playc-$tag" >/dev/null 2>&1; }
teardowns+=(purge_debconf)
state_aptconf() {
  (cd "$apt_dir" && for f in sources.list sources.list.d/*; do stat -c '%n %a %U' "$f"; cat "$f"; done)
  gpg --no-default-keyring --keyring "$keys/ring.gpg" --with-colons --list-keys 2>/dev/null | grep '^pub' | cut -d: -f5
  debconf-show "playc-$tag" 2>&1 | sort # its order is debconf's hash order
}

# ---- pip: wheels built here, a virtualenv in the work folder ----------------------------
wheels=$work/wheels
mkdir -p "$wheels"
/usr/bin/python3 "$cases/mkwheel.py" "$wheels" "playc-$tag" 1.0
/usr/bin/python3 "$cases/mkwheel.py" "$wheels" "playc-$tag" 2.0
echo "playc-$tag==2.0" > "$wheels/requirements.txt"
reset_pip() { rm -rf "$work/misc/venv"; }
state_pip() { "$work/misc/venv/bin/pip" list --format=freeze 2>&1 | grep -i "^playc" || true; }
reset_facts() { :; }
state_facts() { :; }

/usr/bin/python3 - "$vars" <<EOF
import json, sys
json.dump({"work": "$work/misc", "tag": "$tag", "debs": "$apt_dir/debs", "sleeper": "$sleeper",
           "repo2": "$apt_dir/repo2", "keys": "$keys", "keyid": "$keyid", "shortid": "${keyid: -8}",
           "keydata": open("$keys/key.asc").read(), "http_port": "$http_port", "wheels": "$wheels"},
          open(sys.argv[1], "w"))
EOF
compare_case misc
compare_case svc
APT_CONFIG=$apt_dir/apt.conf compare_case apt
APT_CONFIG=$apt_dir/apt.conf compare_case aptconf
compare_case pip
compare_case facts live

finish
