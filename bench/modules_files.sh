#!/usr/bin/env bash
# bench/modules_files.sh — round trips and target processes per task of the
# file family, in the changed and the unchanged case (docs/modules/files.md).
#
# Each module's task is compiled alone and run on connection local under
# strace: a round trip is one framed request (the target shell's `.end`
# record, written once per request), a target process one execve below the
# controller other than the shell itself. The task runs on a fresh folder
# (the changed case, except for the read-only modules), then again on the
# state it left (the unchanged case).
#
#   PLAYC=build/playc bench/modules_files.sh
set -euo pipefail
PLAYC=${PLAYC:-$(dirname "$0")/../build/playc}
PLAYC=$(realpath "$PLAYC")
work=$(mktemp -d /tmp/playc-bench-files.XXXXXX)
trap 'rm -rf "$work"' EXIT
d=$work/t
printf 'hello\n' > "$work/src.txt"
printf 'hello {{ inventory_hostname }}\n' > "$work/tpl.j2"

task() { # NAME YAML-TASK
  cat > "$work/$1.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - $2
EOF
  (cd "$work" && "$PLAYC" "$1.yml" -o "$1" >/dev/null)
}

measure() { # NAME → "requests processes"
  strace -f -qq -s 64 -e trace=execve,write -o "$work/trace" \
    "$work/$1" -i localhost, -c local > "$work/out" 2>&1 || true
  local req procs
  req=$(grep -c 'write(.*\.end\\0' "$work/trace" || true)
  procs=$(grep -c 'execve(' "$work/trace" || true)
  # the binary itself and the target's /bin/sh are not the task's
  echo "$req $((procs - 2))"
}

setup() {
  rm -rf "$d"; mkdir -p "$d"
  printf 'a=1\nb=2\n' > "$d/f.conf"
  printf '[s]\nk = v\n' > "$d/f.ini"
}

row() { # NAME YAML-TASK
  task "$1" "$2"
  setup
  local ch un
  ch=$(measure "$1")
  un=$(measure "$1")
  printf '| %-34s | %5s | %5s | %5s | %5s |\n' "$1" ${ch% *} ${ch#* } ${un% *} ${un#* }
}

echo "| task | changed: requests | processes | unchanged: requests | processes |"
echo "|---|---|---|---|---|"
row copy_content "copy: {content: \"x\\n\", dest: $d/c}"
row copy_src "copy: {src: $work/src.txt, dest: $d/s, mode: '0600'}"
row template "template: {src: $work/tpl.j2, dest: $d/t, mode: '0600'}"
row file_directory "file: {path: $d/dir/sub, state: directory}"
row file_link "file: {path: $d/l, src: $d/f.conf, state: link}"
row lineinfile "lineinfile: {path: $d/f.conf, regexp: '^a=', line: a=2}"
row replace "replace: {path: $d/f.conf, regexp: '^b=.*', replace: b=3}"
row blockinfile "blockinfile: {path: $d/f.conf, block: x}"
row ini_file "ini_file: {path: $d/f.ini, section: s, option: k, value: w}"
row stat "stat: {path: $d/f.conf}"
row slurp "slurp: {src: $d/f.conf}"
row find "find: {paths: $d}"
row fetch "fetch: {src: $d/f.conf, dest: $work/fetched/}"
row tempfile "tempfile: {path: $d}"
