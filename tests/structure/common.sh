# common.sh — shared by run_structure.sh and record.sh (sourced after
# tests/lib.sh): the playbook list, each playbook's extra arguments, the
# harness hosts, and one run of ansible-playbook or of a compiled playbook
# turned into its comparable text (normalize.py + the files it produced).

S=$(cd "$PLAYC_SRC/tests/structure" && pwd -P)

# every playbook of the suite: the .yml files at the top of tests/structure
# (files under tasks/, vars/, playbooks/ and roles/ are what they include)
structure_playbooks() {
  local f
  for f in "$S"/*.yml; do [ -e "$f" ] && basename "$f" .yml; done
}

# pb_args NAME: sets ARGS to the playbook's "# args: ..." first line, if any
# (the same arguments go to ansible-playbook and to the compiled binary)
pb_args() {
  ARGS=()
  local first
  first=$(head -1 "$S/$1.yml")
  case "$first" in
    "# args: "*) eval "ARGS=(${first#\# args: })" ;;
  esac
}

# structure_harness: one private sshd serving h1..h3; INV[1] lists h1 only,
# INV[3] all three; ANSIBLE_CFG is ansible-playbook's configuration for them
# (pipelining and one persistent master per host, as run_differential.sh)
structure_harness() {
  harness_start 3
  INV=()
  INV[3]=$H/inventory.ini
  INV[1]=$work/inventory-1.ini
  head -2 "$H/inventory.ini" > "${INV[1]}"
  ANSIBLE_CFG=$work/ansible.cfg
  cat > "$ANSIBLE_CFG" <<EOF
[defaults]
host_key_checking = True
retry_files_enabled = False
nocolor = True
forks = 10
local_tmp = $work/ansible-local
[ssh_connection]
pipelining = True
ssh_args = -F $H/ssh_config -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=$work/cm-%r@%h:%p
EOF
}

# run_ansible NAME N OUT [WRAPPER...]: ansible-playbook on N hosts; writes
# OUT.raw (stdout+stderr), OUT.rc, OUT.base (the run's base_dir), OUT.tree
# (the files it produced there). Without a WRAPPER, from the oracle cache
# (tests/lib.sh) when it holds the run: it writes only below its base_dir.
run_ansible() {
  local name=$1 n=$2 out=$3 base key f=()
  shift 3
  pb_args "$name"
  base=$(shared_dir "ans-$name-$n")
  echo "$base" > "$out.base"
  local oracle_subst=("$base=@ORACLE_BASE@" "$H=@HARNESS@")
  local o; o=$(basename "$out"); f=("$o.raw" "$o.rc" "$o.tree")
  key=$(oracle_key "$name $n" "$S" "${ARGS[*]}")
  [ $# = 0 ] && [ "$(dirname "$out")" = "$work" ] && oracle_load "$key" "${f[@]}" && return
  (cd "$work" && ANSIBLE_CONFIG=$ANSIBLE_CFG "$@" ansible-playbook -i "${INV[$n]}" \
    -e base_dir="$base" "${ARGS[@]}" "$S/$name.yml" < /dev/null > "$out.raw" 2>&1)
  echo $? > "$out.rc"
  tree "$base" > "$out.tree"
  [ $# != 0 ] || [ "$(dirname "$out")" != "$work" ] || oracle_save "$key" "${f[@]}"
}

# run_playc NAME N BIN OUT: the compiled playbook on N hosts; same files as run_ansible
run_playc() {
  local name=$1 n=$2 bin=$3 out=$4 base
  pb_args "$name"
  base=$(shared_dir "pc-$name-$n")
  echo "$base" > "$out.base"
  (cd "$work" && "$bin" -i "${INV[$n]}" --known-hosts "$H/known_hosts" -f 10 \
    -e base_dir="$base" "${ARGS[@]}" < /dev/null > "$out.raw" 2>&1)
  echo $? > "$out.rc"
}

# normalize_all OUT...: normalise the output of many runs in one python3
# process (OUT.raw -> OUT.norm)
normalize_all() {
  local a=() o
  for o in "$@"; do a+=("$o.raw" "$(cat "$o.base")" "$o.norm"); done
  [ ${#a[@]} -eq 0 ] || python3 "$S/normalize.py" --batch "$S" "${a[@]}"
}

# result_text OUT: the comparable text of a run — exit code, normalised
# output (OUT.norm, made here if normalize_all has not), the files produced
# under its base_dir
# (strategy_*.yml, the free strategies: regrouped by host, see perhost.py)
result_text() {
  [ -f "$1.norm" ] || normalize_all "$1"
  echo "exit: $(cat "$1.rc")"
  case $(basename "$1") in
    strategy_*) python3 "$S/perhost.py" < "$1.norm" ;;
    *) cat "$1.norm" ;;
  esac
  echo "FILES"
  if [ -f "$1.tree" ]; then cat "$1.tree"; else tree "$(cat "$1.base")"; fi
}

# views of a result text, compared one by one so a failure says what differs
view_exit() { grep -m1 '^exit: ' "$1"; }
view_recap() { sed -n '/^PLAY RECAP$/,/^FILES$/p' "$1" | sed '1d;$d'; }
view_outline() { # banners and each host's outcome lines, without result bodies or recap
  sed '/^PLAY RECAP$/,$d' "$1" | grep -E '^[A-Z?]|^  [a-zA-Z.?]' | sed -E 's/ => \{.*$//; s/: FAILED!$//'
}
view_results() { sed '/^FILES$/,$d' "$1" | grep -v '^exit: '; }
view_files() { sed -n '/^FILES$/,$p' "$1" | sed '1d'; }
