#!/usr/bin/env bash
# run_system.sh [--regen] [CASE...] — the system family's differential test
# (docs/modules/system.md). Each tests/modules/system/CASE.yml runs three
# times against this machine (connection local, as root): in check mode on
# a fresh state (-C), then twice for real (the second run shows
# idempotence), each with -v so every result is printed. outline.py reduces
# a run to its tasks, per-host status and result (minus timings and the
# keys the case lists after "# volatile:"), warnings, recap and exit code;
# tasks at the end of a case print the end state (getent, stat, cat ...).
#
# ansible-playbook's outlines are fixtures (fixtures/CASE.out), recorded by
# `run_system.sh --regen` from the real thing (Debian's ansible-core; the
# ansible.posix and community.general modules from Debian's `ansible`
# package, or PLAYC_ANSIBLE_COLLECTIONS); a case whose header says
# "# live" is also run through ansible-playbook on every test run, over the
# harness sshd when it says "# ssh". Before each series and at the end,
# system/CASE.cleanup (sh, with T the case's temp folder and U its unique
# name) removes what the case made: users, groups, cron entries, mounts;
# system/CASE.setup prepares the fresh temp folder. A case with a
# system/CASE.ns runs in its own UTS and mount namespaces (unshare), that
# script first (bind mounts over /etc/hostname, tmpfs over system folders),
# so a hostname or a module file it writes never touches this machine.
# A case flagged "# no-oracle" (a module the installed Ansible lacks) keeps
# its fixture on --regen: its header says how the fixture was checked.
# system/CASE.fixup (sh, a filter) edits ansible-playbook's outlines where
# the module's oracle needs a stand-in whose traces playc must not copy.
. "$(dirname "$0")/../lib.sh"

regen=0
[ "${1:-}" = --regen ] && { regen=1; shift; }
dir="$PLAYC_SRC/tests/modules"
cases=("$@")
[ ${#cases[@]} -gt 0 ] || for f in "$dir"/system/*.yml; do cases+=("$(basename "$f" .yml)"); done

export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
export ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" ANSIBLE_HOST_KEY_CHECKING=False
colls=${PLAYC_ANSIBLE_COLLECTIONS:-}
[ -n "$colls" ] || [ ! -d /usr/lib/python3/dist-packages/ansible_collections/ansible/posix ] \
  || colls=/usr/lib/python3/dist-packages
[ -z "$colls" ] || export ANSIBLE_COLLECTIONS_PATH="$colls"

U=pc$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
cleanups=()
atexit() {
  for c in "${cleanups[@]}"; do
    T=${c#*:} U=$U sh "$dir/system/${c%%:*}.cleanup" >/dev/null 2>&1
    rm -rf "${c#*:}"
  done
  cleanup
}
trap atexit EXIT

header() { sed -n "s/^# $2:[[:space:]]*//p" "$dir/system/$1.yml" | head -1; }
has_flag() { grep -q "^# $2\$" "$dir/system/$1.yml"; }

H=
# inventory arguments for a case: local, or the harness sshd's first host
inventory() {
  if has_flag "$1" ssh; then echo "-i $H/inventory.ini"; else echo "-i localhost, -c local"; fi
}

# series CASE TOOL OUT: cleanup, then -C, run 1, run 2 (outlines into OUT)
series() {
  local c=$1 tool=$2 out=$3 T="/tmp/playc-sys-$1-$U" mode rc
  local vol; vol=$(header "$c" volatile)
  [ ! -f "$dir/system/$c.cleanup" ] || T=$T U=$U sh "$dir/system/$c.cleanup" >/dev/null 2>&1
  rm -rf "$T"; mkdir -p "$T"; chmod 0755 "$T"
  [ ! -f "$dir/system/$c.setup" ] || T=$T U=$U sh "$dir/system/$c.setup"
  local ns=()
  [ ! -f "$dir/system/$c.ns" ] || ns=(env "T=$T" "U=$U" unshare --uts --mount --propagation private \
    sh -c '. "$0" && exec "$@"' "$dir/system/$c.ns")
  : > "$out"
  for mode in C 1 2; do
    local flags=(-v); [ $mode = C ] && flags+=(-C)
    # shellcheck disable=SC2046
    if [ "$tool" = ansible ]; then
      ANSIBLE_CONFIG=$work/ansible.cfg "${ns[@]}" ansible-playbook "${flags[@]}" $(inventory "$c") -e "t=$T" -e "u=$U" \
        "$dir/system/$c.yml" > "$work/$c.$tool.$mode" 2>&1
    else
      "${ns[@]}" "$work/$c.bin" "${flags[@]}" $(inventory "$c") ${H:+--known-hosts "$H/known_hosts"} -e "t=$T" -e "u=$U" \
        > "$work/$c.$tool.$mode" 2>&1
    fi
    rc=$?
    local fix=cat
    [ "$tool" != ansible ] || [ ! -f "$dir/system/$c.fixup" ] || fix="sh $dir/system/$c.fixup"
    { echo "== run $mode rc=$rc"; python3 "$dir/outline.py" "$work/$c.$tool.$mode" "$T" "$U" $vol | $fix; } >> "$out"
  done
  [ ! -f "$dir/system/$c.cleanup" ] || T=$T U=$U sh "$dir/system/$c.cleanup" >/dev/null 2>&1
  rm -rf "$T"
}

cat > "$work/ansible.cfg" <<EOF2
[defaults]
retry_files_enabled = False
nocolor = True
EOF2

for c in "${cases[@]}"; do
  [ -f "$dir/system/$c.yml" ] || { bad "$c: no such case"; continue; }
  cleanups+=("$c:/tmp/playc-sys-$c-$U")
  if has_flag "$c" ssh && [ -z "$H" ]; then
    harness_start 1
    printf '[ssh_connection]\npipelining = True\nssh_args = -F %s/ssh_config\n' "$H" >> "$work/ansible.cfg"
  fi
  need=$(header "$c" needs)
  for t in $need; do command -v "$t" >/dev/null || { bad "$c: needs $t on this machine"; continue 2; }; done
  fixture="$dir/fixtures/$c.out"
  if [ $regen = 1 ]; then
    # no-oracle: a module the Ansible here lacks; its fixture is checked by hand
    if has_flag "$c" no-oracle; then ok "$c: no oracle, fixture kept"; continue; fi
    series "$c" ansible "$fixture"
    ok "$c: fixture recorded"
    continue
  fi
  (cd "$work" && "$PLAYC" "$dir/system/$c.yml" -o "$work/$c.bin") > "$work/$c.compile" 2>&1 \
    || { bad "$c: compile"; head -20 "$work/$c.compile"; continue; }
  series "$c" playc "$work/$c.playc"
  if has_flag "$c" live; then
    series "$c" ansible "$work/$c.ansible"
    expect_eq "$c: live ansible-playbook and its fixture agree" "$(cat "$fixture")" "$(cat "$work/$c.ansible")"
  fi
  expect_eq "$c: playc and ansible-playbook" "$(cat "$fixture")" "$(cat "$work/$c.playc")"
done
finish
