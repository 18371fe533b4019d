#!/usr/bin/env bash
# run_inventory.sh — inventory sources against Ansible (issue 10.1), live:
#   1. `PROGRAM --inventory-dump -i ...` against `ansible-inventory -i ... --list`
#      byte for byte, for INI and YAML files, nested children, group_vars/ and
#      host_vars/ beside the sources (files, folders, .json, no extension,
#      hidden/backup/other files skipped), ansible_group_priority, depth
#      conflicts, a folder given to -i, inventory scripts with and without
#      _meta, several -i;
#   2. the warnings both print for sources that fail (scripts that exit
#      non-zero, print no JSON, answer --host with nothing);
#   3. the same playbook (connection local, debug var=...) through
#      ansible-playbook and the compiled program over each layout: the same
#      values reach every host, including group_vars/ and host_vars/ beside
#      the playbook (compiled into the program).
# ansible-inventory runs in an empty folder: it also reads group_vars/ in its
# working folder (the loader's basedir), which the dump leaves out.
source "$(dirname "$0")/lib.sh"

SRC=$PLAYC_SRC/tests/inventory
cp -a "$SRC" "$work/inv"
I=$work/inv
mkdir "$work/empty" "$work/pb"

# the playbook: every var the layouts set, on every host
cat > "$work/pb/site.yml" <<'EOF'
- hosts: all
  gather_facts: false
  connection: local
  tasks:
    - debug: var=level
    - debug: var=who
    - debug: var=depth_test
    - debug: var=only_all
    - debug: var=all_gv
    - debug: var=list_var
    - debug: var=web_a
    - debug: var=web_b
    - debug: var=web_c
    - debug: var=ignored_file
    - debug: var=never
    - debug: var=hv
    - debug: var=gv
    - debug: var=from_gv
    - debug: var=from_yaml
    - debug: var=s
    - debug: var=p
    - debug: var=role
    - debug: var=a
    - debug: var=b
    - debug: var=m
    - debug: var=x
    - debug: var=n
    - debug: var=num
    - debug: var=hostvar
    - debug: var=pb_gv
    - debug: var=group_names
EOF
# group_vars/ and host_vars/ beside the playbook (compiled): above the
# inventory's own at each tier; a folder, a template evaluated per host
mkdir -p "$work/pb/group_vars/web" "$work/pb/host_vars"
printf 'level: pb_all\npb_gv: all\n' >"$work/pb/group_vars/all.yml"
printf 'pb_gv: "web {{ inventory_hostname }}"\n' >"$work/pb/group_vars/web/01.yml"
printf 'level: pb_web\n' >"$work/pb/group_vars/web/02"
printf 'level: pb_dbs\ndepth_test: "{{ pb_gv }} in dbs"\n' >"$work/pb/group_vars/dbs.yaml"
printf '{"pb_gv": "m1 host", "hv": "pb m1"}\n' >"$work/pb/host_vars/m1.json"
printf 'level: pb_s1\n' >"$work/pb/host_vars/s1.yml"
(cd "$work/pb" && "$PLAYC" site.yml -o "$work/site") || { bad "compile site.yml"; finish; exit; }

# layouts: NAME and its -i arguments
layouts=(
  "ini|-i $I/ini/hosts"
  "yaml|-i $I/yaml/inv.yml"
  "folder|-i $I/folder"
  "script-meta|-i $I/script/meta.py"
  "script-nometa|-i $I/script/nometa.sh"
  "multi|-i $I/multi1/hosts -i $I/multi2"
  "multi-reversed|-i $I/multi2 -i $I/multi1/hosts"
  "ini+yaml|-i $I/ini/hosts -i $I/yaml/inv.yml"
  "hostlist+folder|-i extra1,extra2 -i $I/folder"
)

# norm FILE: paths of this run replaced
norm() { sed "s|$work|WORK|g" "$1"; }

for l in "${layouts[@]}"; do
  name=${l%%|*}; args=${l#*|}
  # ansible-inventory's dump and exit code, from the oracle cache when it holds them
  key=$(oracle_key dump "$args" "$I")
  if ! oracle_load "$key" a.json a.err a.rc; then
    # shellcheck disable=SC2086
    (cd "$work/empty" && ansible-inventory $args --list >"$work/a.json" 2>"$work/a.err")
    echo $? > "$work/a.rc"
    oracle_save "$key" a.json a.err a.rc
  fi
  ra=$(cat "$work/a.rc")
  # shellcheck disable=SC2086
  (cd "$work/empty" && "$work/site" $args --inventory-dump >"$work/p.json" 2>"$work/p.err")
  rp=$?
  expect_eq "$name: dump exit code" "$ra" "$rp"
  expect_eq "$name: --inventory-dump = ansible-inventory --list" "$(cat "$work/a.json")" \
    "$(cat "$work/p.json")"
  expect_eq "$name: dump warnings" "$(norm "$work/a.err")" "$(norm "$work/p.err")"
done

# failing scripts: the same warnings (JSON decoders word their errors apart)
for s in fails.sh emptyhost.sh notjson.sh; do
  key=$(oracle_key dump "$s" "$I")
  if ! oracle_load "$key" a.json a.err; then
    (cd "$work/empty" && ansible-inventory -i "$I/script/$s" --list >"$work/a.json" 2>"$work/a.err")
    oracle_save "$key" a.json a.err
  fi
  (cd "$work/empty" && "$work/site" -i "$I/script/$s" --inventory-dump >"$work/p.json" 2>"$work/p.err")
  expect_eq "$s: dump" "$(cat "$work/a.json")" "$(cat "$work/p.json")"
  if [ "$s" = notjson.sh ]; then
    for f in a p; do
      tr '\n' ' ' <"$work/$f.err" | tr -s ' ' | grep -o 'with script plugin: failed to parse executable inventory script results from' >"$work/$f.cut"
      grep -o 'Unable to parse.*' "$work/$f.err" >>"$work/$f.cut"
    done
    expect_eq "$s: warnings" "$(cat "$work/a.cut")" "$(cat "$work/p.cut")"
  else
    expect_eq "$s: warnings" "$(norm "$work/a.err")" "$(norm "$work/p.err")"
  fi
done

# a bad group_vars file stops both (exit 4 in ansible-playbook)
mkdir -p "$work/bad/group_vars"
printf '[web]\nb1\n' >"$work/bad/hosts"
printf 'a: [unclosed\n' >"$work/bad/group_vars/web.yml"
(cd "$work/pb" && ansible-playbook -i "$work/bad/hosts" site.yml >"$work/a.out" 2>&1)
ra=$?
(cd "$work/pb" && "$work/site" -i "$work/bad/hosts" >"$work/p.out" 2>&1)
rp=$?
expect_eq "bad group_vars file: exit code" "$ra" "$rp"

# the playbook over each layout: the same values, host by host
run_both() { # DESC ARGS...
  local desc=$1; shift
  local key ra
  key=$(oracle_key play "$*" "$I" "$work/pb")
  if ! oracle_load "$key" a.out a.err a.rc; then
    (cd "$work/pb" && ANSIBLE_NOCOLOR=1 ansible-playbook -f 1 "$@" site.yml >"$work/a.out" 2>"$work/a.err")
    echo $? > "$work/a.rc"
    oracle_save "$key" a.out a.err a.rc
  fi
  ra=$(cat "$work/a.rc")
  (cd "$work/pb" && "$work/site" -f 1 "$@" >"$work/p.out" 2>"$work/p.err")
  local rp=$?
  expect_eq "$desc: exit code" "$ra" "$rp"
  expect_eq "$desc: output" "$(norm "$work/a.out")" "$(norm "$work/p.out")"
}
for l in "${layouts[@]}"; do
  name=${l%%|*}; args=${l#*|}
  [ "$name" = hostlist+folder ] && continue
  # shellcheck disable=SC2086
  run_both "$name: playbook" $args
done

finish
