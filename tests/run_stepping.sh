#!/usr/bin/env bash
# run_stepping.sh — where a compiled binary starts and how it asks, against
# ansible-playbook on the same playbook (tests/stepping/site.yml: three plays,
# a role, static and dynamic includes, a block, the gather step; connection
# local, two hosts, one fork so that lines come in one order):
#   --start-at-task NAME: a name, a templated name as written, "role : name",
#     a shell pattern, a task of a static include, one only a dynamic include
#     holds (no match: Ansible's error), the gather step; stdout, stderr and
#     the exit code as ansible-playbook's (recorded through the oracle cache);
#   --step on a terminal (a pty, tests/stepping/pty_run.py answering the
#     questions): the questions, the banners that repeat them and what runs,
#     as ansible-playbook's for the same answers; refused without a terminal
#     (tests/report/run_report.sh);
#   the live progress line: never in output that is not a terminal; on a pty
#     it shows and is erased before the next line.
. "$(dirname "$0")/lib.sh"
src=$PLAYC_SRC/tests/stepping
PY=/usr/bin/python3
cp -r "$src"/. "$work/"
cd "$work" || exit 1
printf 'h1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\nh2 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' > inv
expect "compile" "$PLAYC" -O0 site.yml -o site
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
# Ansible's results are recorded in tests/stepping/fixtures (a run of
# ansible-playbook with local fact gathering takes 10-25 s here): NAME.out,
# NAME.err (this run's folder as @WORK@) and NAME.rc. With --regen they are
# recorded again; without, one case runs live beside its fixture.
fix=$src/fixtures
regen=${1:-}
# ansible_run NAME COMMAND...: runs it, stores stdout, stderr, exit code as $work/NAME.ans.*
ansible_run() {
  local name=$1; shift
  "$@" > "$name.ans.out" 2> "$name.ans.err"
  echo $? > "$name.ans.rc"
}
# fixture NAME LIVE COMMAND...: Ansible's results of NAME in $work/NAME.ans.*:
# from the fixtures, or recorded into them with --regen; LIVE=1 also runs it
# and compares with the fixture
fixture() {
  local name=$1 live=$2 f; shift 2
  if [ "$regen" = --regen ]; then
    ansible_run "$name" "$@"
    mkdir -p "$fix"
    for f in out err rc; do sed "s|$work|@WORK@|g" "$name.ans.$f" > "$fix/$name.$f"; done
    return
  fi
  for f in out err rc; do sed "s|@WORK@|$work|g" "$fix/$name.$f" > "$name.ans.$f"; done
  if [ "$live" = 1 ]; then
    ansible_run "$name.live" "$@"
    expect_eq "$name: ansible-playbook as recorded" "$(clean "$name.ans.out"; clean "$name.ans.err"; cat "$name.ans.rc")" \
      "$(clean "$name.live.ans.out"; clean "$name.live.ans.err"; cat "$name.live.ans.rc")"
  fi
}
# facts gathering: its warnings are not compared
clean() { grep -v '^\[WARNING\]: Platform\|^interpreter\|^information\.$\|^https://\|^Python interpreter' "$1"; }
AP=$(command -v ansible-playbook)

i=0
for name in "one" "two {{ suffix | default('') }}" "role task b" "r : role task a" "r : *b" "static task" \
            "in al*" "last of second" "Gathering Facts" "dynamic task" "nothing like it" "debug"; do
  i=$((i + 1))
  fixture "start$i" "$([ "$name" = "in al*" ] && echo 1)" $PY "$AP" -i inv -f 1 site.yml --start-at-task "$name"
  ./site -i inv -f 1 --start-at-task "$name" < /dev/null > "start$i.out" 2> "start$i.err"
  echo $? > "start$i.rc"
  expect_eq "--start-at-task '$name': stdout as ansible-playbook" "$(clean "start$i.ans.out")" "$(clean "start$i.out")"
  expect_eq "--start-at-task '$name': stderr and exit code as ansible-playbook" \
    "$(clean "start$i.ans.err"; cat "start$i.ans.rc")" "$(clean "start$i.err"; cat "start$i.rc")"
done

# --step on a terminal (pty_run.py answers the questions in turn)
i=0
for answers in "y,n,y,c" "n,n,y,n,n,y,n,n,n,y,n,n,y,y" "c"; do
  i=$((i + 1))
  fixture "step$i" "" $PY "$src/pty_run.py" "$answers" $PY "$AP" -i inv -f 1 site.yml --step
  $PY "$src/pty_run.py" "$answers" ./site -i inv -f 1 --step > "step$i.out" 2> "step$i.err"
  echo $? > "step$i.rc"
  expect_eq "--step answered $answers: the terminal as ansible-playbook's" \
    "$(clean "step$i.ans.out"; clean "step$i.ans.err"; cat "step$i.ans.rc")" \
    "$(clean "step$i.out"; clean "step$i.err"; cat "step$i.rc")"
done
# the progress line: a 4 s command on a pty shows it (from the 2nd second)
# and erases it before the next line; never when stdout is not a terminal
cat > slow.yml <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - command: sleep 4
EOF
expect "compile slow" "$PLAYC" -O0 slow.yml -o slow
$PY "$src/pty_run.py" "" ./slow -i inv -l h1 > slow.tty 2>&1
expect_eq "progress on a pty: exit code" 0 $?
expect "progress on a pty: shown" grep -qF $'\r\033[K[progress] PLAY [all]: 0/1 hosts done, 0 tasks done, slowest: h1 (' slow.tty
expect_eq "progress on a pty: each line erased before the next output" "" \
  "$($PY -c 'import re,sys; t=open(sys.argv[1], newline="").read(); print(re.sub(r"\r\x1b\[K\[progress\][^\r\n]*(?=\r\x1b\[K)", "", t).count("[progress]") or "")' slow.tty)"
./slow -i inv -l h1 > slow.out 2>&1
expect_eq "progress: never when stdout is a file" "" "$(grep -c 'progress\|'$'\033' slow.out | grep -v '^0$')"
./slow -i inv -l h1 2>&1 | cat > slow.pipe
expect_eq "progress: never when stdout is a pipe" "" "$(grep -c 'progress\|'$'\033' slow.pipe | grep -v '^0$')"

[ "$regen" = --regen ] && echo "fixtures recorded in $fix"
finish
