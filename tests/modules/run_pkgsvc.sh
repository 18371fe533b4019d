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
# links).
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
at_exit() { for f in "${teardowns[@]}"; do "$f" >/dev/null 2>&1; done; cleanup; }
trap at_exit EXIT

# run TOOL CASE MODE: one run of the case's playbook (MODE: check or real)
run() {
  local tool=$1 name=$2 mode=$3 flags=(-v) out
  [ "$mode" = check ] && flags+=(-C)
  out=$work/$name.$tool.$mode${4-}
  # from the playbook's folder: Ansible's local connection runs commands
  # there, playc's in the folder it was started from
  cd "$cases" || return
  if [ "$tool" = ans ]; then
    ansible-playbook -i localhost, -c local "${flags[@]}" -e "@$vars" "$cases/$name.yml" > "$out" 2>&1
  else
    "$work/$name.bin" -i localhost, -c local "${flags[@]}" -e "@$vars" > "$out" 2>&1
  fi
  echo $? > "$out.rc"
  cd - >/dev/null
}

# compare_case NAME: both tools from the reset state: check, real, real
compare_case() {
  local name=$1
  (cd "$work" && "$PLAYC" "$cases/$name.yml" -o "$work/$name.bin") || { bad "$name: compile"; return; }
  for tool in ans pc; do
    "reset_$name"
    run $tool "$name" check
    run $tool "$name" real 1
    run $tool "$name" real 2
    "state_$name" > "$work/$name.$tool.state" 2>&1
  done
  for r in check real1 real2; do
    expect_eq "$name $r: exit code" "$(cat "$work/$name.ans.$r.rc")" "$(cat "$work/$name.pc.$r.rc")"
    expect_eq "$name $r: results" "$(/usr/bin/python3 "$PLAYC_SRC/tests/modules/pkgsvc_results.py" "$work/$name.ans.$r")" \
      "$(/usr/bin/python3 "$PLAYC_SRC/tests/modules/pkgsvc_results.py" "$work/$name.pc.$r")"
  done
  expect_eq "$name: end state" "$(cat "$work/$name.ans.state")" "$(cat "$work/$name.pc.state")"
}

# ---- raw and script ----------------------------------------------------------------
reset_misc() { rm -rf "$work/misc"; mkdir -p "$work/misc"; }
state_misc() { (cd "$work/misc" && ls -A); ls -A "${TMPDIR:-/tmp}" | grep -c '^\.playc-script-' || true; }

cat > "$vars" <<EOF
{"work": "$work/misc", "tag": "$tag"}
EOF
compare_case misc

finish
