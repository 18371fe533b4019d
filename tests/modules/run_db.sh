#!/usr/bin/env bash
# run_db.sh [--regen|--bless] [CASE...] — the database modules' test
# (docs/modules/databases.md). A private PostgreSQL cluster (Debian's
# postgresql-15 binaries, run as the postgres user, unix socket in a temp
# folder, no TCP) is started for the run, in about 5 s, and, for the mysql_*
# cases, a private MariaDB server (Debian's mariadb-server-core, root over
# its unix socket, --skip-networking) in about 10 s. Each
# tests/modules/db/CASE.yml runs three times with -v (check mode -C, then
# twice for real: the second run shows idempotence); outline.py reduces each
# run (status, registered result with executed_commands, recap), and the
# case's last tasks print the end state from the server. The outlines are
# compared with db/CASE.out.
#
# --regen records db/CASE.out from ansible-playbook, which needs the
# community.postgresql and community.mysql collections (Debian's `ansible`
# package, or PLAYC_ANSIBLE_COLLECTIONS) and python3-psycopg2 and
# python3-pymysql (or, with the packages unpacked under /x, both
# PLAYC_ANSIBLE_COLLECTIONS and PYTHONPATH set to
# /x/usr/lib/python3/dist-packages). --bless records playc's
# own outline instead, for a fixture to be checked by hand against the
# collection's code where those are not installed (the header of the case
# says which way its fixture was made).
. "$(dirname "$0")/../lib.sh"

mode_arg=
case "${1:-}" in --regen | --bless) mode_arg=$1; shift ;; esac
dir="$PLAYC_SRC/tests/modules"
cases=("$@")
[ ${#cases[@]} -gt 0 ] || for f in "$dir"/db/*.yml; do cases+=("$(basename "$f" .yml)"); done

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pgbin" ] || ! id postgres >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "FAIL: needs root, a postgres user and PostgreSQL's server binaries (scripts/deps.sh installs postgresql-15)"
  exit 1
fi
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
[ -z "${PLAYC_ANSIBLE_COLLECTIONS:-}" ] || export ANSIBLE_COLLECTIONS_PATH="$PLAYC_ANSIBLE_COLLECTIONS"

pg=$(mktemp -d /tmp/playc-pg.XXXXXX)
chown postgres "$pg"
my=
pgstop() {
  [ -z "$my" ] || { kill "$(cat "$my/pid" 2>/dev/null)" 2>/dev/null; sleep 1; rm -rf "$my"; }
  su postgres -s /bin/sh -c '"$0"/pg_ctl -D "$1/data" -m immediate stop' "$pgbin" "$pg" >/dev/null 2>&1
  rm -rf "$pg"
  cleanup
}
trap pgstop EXIT
su postgres -s /bin/sh -c '"$0"/initdb -D "$1/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null &&
  "$0"/pg_ctl -D "$1/data" -o "-k $1 -c listen_addresses=" -l "$1/log" -w start >/dev/null' "$pgbin" "$pg" \
  || { bad "postgresql cluster did not start"; cat "$pg/log"; exit 1; }

# mystart: a MariaDB server for the mysql_* cases (once)
mystart() {
  [ -z "$my" ] || return 0
  command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null || return 1
  my=$(mktemp -d /tmp/playc-my.XXXXXX)
  mariadb-install-db --user=root --datadir="$my/data" --auth-root-authentication-method=socket \
    --skip-test-db >"$my/install.log" 2>&1 || return 1
  # the binary log on, so the server answers mysql_replication's getprimary
  (mariadbd --user=root --datadir="$my/data" --socket="$my/sock" --skip-networking --pid-file="$my/pid" \
    --log-bin=mysql-bin --server-id=1 --log-error="$my/log" </dev/null >/dev/null 2>&1 &)
  for _ in $(seq 150); do mariadb -S "$my/sock" -e 'SELECT 1' >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# series CASE TOOL OUT: -C, run 1, run 2 (outlines into OUT)
series() {
  local c=$1 tool=$2 out=$3 m rc
  : > "$out"
  for m in C 1 2; do
    local flags=(-v -i localhost, -c local -e "sock=$pg" -e "mysock=${my:-/none}/sock"); [ $m = C ] && flags+=(-C)
    if [ "$tool" = ansible ]; then
      ansible-playbook "${flags[@]}" "$dir/db/$c.yml" > "$work/$c.$tool.$m" 2>&1
    else
      "$work/$c.bin" "${flags[@]}" > "$work/$c.$tool.$m" 2>&1
    fi
    rc=$?
    { echo "== run $m rc=$rc"; python3 "$dir/outline.py" "$work/$c.$tool.$m" "$(case $c in mysql_*) echo "$my";; *) echo "$pg";; esac)" \
      __playc_no_unique_name__; } >> "$out"
  done
}

for c in "${cases[@]}"; do
  [ -f "$dir/db/$c.yml" ] || { bad "$c: no such case"; continue; }
  fixture="$dir/db/$c.out"
  case $c in mysql_*) mystart || { bad "$c: no MariaDB server (scripts/deps.sh installs mariadb-server-core)"; continue; } ;; esac
  if [ "$mode_arg" = --regen ]; then
    series "$c" ansible "$fixture"
    ok "$c: fixture recorded from ansible-playbook"
    continue
  fi
  (cd "$work" && "$PLAYC" "$dir/db/$c.yml" -o "$work/$c.bin") > "$work/$c.compile" 2>&1 \
    || { bad "$c: compile"; head -20 "$work/$c.compile"; continue; }
  series "$c" playc "$work/$c.playc"
  if [ "$mode_arg" = --bless ]; then
    cp "$work/$c.playc" "$fixture"
    ok "$c: fixture recorded from playc (check it by hand)"
    continue
  fi
  expect_eq "$c: playc and the fixture" "$(cat "$fixture")" "$(cat "$work/$c.playc")"
done
finish
