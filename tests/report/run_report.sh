#!/usr/bin/env bash
# --output json=FILE / junit=FILE and --profile of a compiled binary against
# ansible-playbook's ansible.posix.json, ansible.builtin.junit and
# ansible.posix.profile_tasks callbacks on the same playbook and hosts (local
# connection, two hosts), live: one ansible-playbook run per callback.
. "$(dirname "$0")/../lib.sh"
src=$PLAYC_SRC/tests/report
PY=/usr/bin/python3
# ansible.posix's json and profile_tasks callbacks: Debian's collections, as
# scripts/deps.sh unpacks them (or PLAYC_ANSIBLE_COLLECTIONS)
export ANSIBLE_COLLECTIONS_PATH=${PLAYC_ANSIBLE_COLLECTIONS:-/opt/playc/ansible-collections}
cp -r "$src/report.yml" "$src/inc.yml" "$src/listing.yml" "$src/roles" "$work/"
cd "$work"
printf 'h1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\nh2 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' > inv
expect "compile" "$PLAYC" -O0 report.yml -o report

# playc: every report in one run, and the default output beside them
./report -i inv --output json=ours.json --output junit=ours.xml > ours.out 2>&1
expect_eq "exit code as ansible-playbook (a host failed)" 2 $?
mkdir junit
ANSIBLE_STDOUT_CALLBACK=ansible.posix.json $PY "$(command -v ansible-playbook)" -i inv report.yml > theirs.json 2>/dev/null
JUNIT_OUTPUT_DIR=$work/junit ANSIBLE_CALLBACKS_ENABLED=junit $PY "$(command -v ansible-playbook)" -i inv report.yml > theirs.out 2>&1
expect "json report as ansible.posix.json" $PY "$src/compare.py" json ours.json theirs.json
expect "junit report as ansible.builtin.junit" $PY "$src/compare.py" junit ours.xml junit/report-*.xml
expect_eq "the default output is unchanged beside the reports" "$(recap theirs.out)" "$(recap ours.out)"

# serial: a play entry per batch in the json report (each play start), the
# junit test cases per task across batches (the callback keys them by task)
cp "$src/serial.yml" "$work/"
expect "compile serial" "$PLAYC" -O0 serial.yml -o serial
./serial -i inv --output json=serial.json --output junit=serial.xml > /dev/null 2>&1
expect_eq "serial: exit code" 0 $?
mkdir junit-serial
ANSIBLE_STDOUT_CALLBACK=ansible.posix.json $PY "$(command -v ansible-playbook)" -i inv serial.yml > serial.theirs.json 2>/dev/null
JUNIT_OUTPUT_DIR=$work/junit-serial ANSIBLE_CALLBACKS_ENABLED=junit $PY "$(command -v ansible-playbook)" -i inv serial.yml > /dev/null 2>&1
expect "serial: json report as ansible.posix.json" $PY "$src/compare.py" json serial.json serial.theirs.json
expect "serial: junit report as ansible.builtin.junit" $PY "$src/compare.py" junit serial.xml junit-serial/serial-*.xml

# colours as Display's when forced (no terminal here): result lines, included
# lines, ...ignoring, the recap, warnings (one fork: hosts in order)
ANSIBLE_FORCE_COLOR=1 ./report -f 1 -i inv > color.ours 2>&1
ANSIBLE_FORCE_COLOR=1 $PY "$(command -v ansible-playbook)" -f 1 -i inv report.yml > color.theirs 2>&1
uncolor_times() { sed -E 's/"(delta|start|end)": "[^"]*"/"\1": "X"/g' "$1" | awk '/^PLAY RECAP/ {r=1} r {print | "sort"; next} {print}'; }
expect_eq "ANSIBLE_FORCE_COLOR=1 output as ansible-playbook's" "$(uncolor_times color.theirs)" "$(uncolor_times color.ours)"
expect "  which has colours" grep -q $'\033\[0;32m' color.ours
NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 ./report -i inv > nocolor.ours 2>&1
expect "NO_COLOR=1: none" bash -c "! grep -q $'\033' nocolor.ours"

# json=-: stdout holds the report alone, as with ANSIBLE_STDOUT_CALLBACK=json
./report -i inv --output json=- > stdout.json 2> stderr.txt
expect "json=- is valid JSON and nothing else" $PY -c 'import json,sys; json.load(open(sys.argv[1]))' stdout.json
expect "json=- report as ansible.posix.json" $PY "$src/compare.py" json stdout.json theirs.json

# --profile: a time line under every banner, the slowest tasks after the recap
./report -i inv --profile > prof.out 2>&1
ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks $PY "$(command -v ansible-playbook)" -i inv report.yml > prof.theirs 2>&1
shape() { # times and dates out; the summary's order depends on timings, so sorted
  sed -E 's/^[A-Z][a-z]+day [0-9]{2} [A-Z][a-z]+ [0-9]{4}  [0-9:]{8} [-+][0-9]{4} \([0-9:.]+\) +[0-9:.]+ \*+ $/TIME/;
          s/-+ [0-9]+\.[0-9]{2}s$/ TIMING/' "$1" | sed -n '/^PLAY RECAP/,$p' | sed -n '/^=====/,$p' | sort
  grep -c '^TIME$' <(sed -E 's/^[A-Z][a-z]+day .* \*+ $/TIME/' "$1")
}
expect_eq "--profile as profile_tasks" "$(shape prof.theirs)" "$(shape prof.out)"

# --list-hosts/--list-tasks/--list-tags, with --tags, --skip-tags and --limit.
# Ansible prints a play's hosts from a set (hash order, new each run): sorted.
expect "compile listing.yml" "$PLAYC" -O0 listing.yml -o listing
printf 'h1 ansible_connection=local\nh2 ansible_connection=local\n[g]\nh2\n' > inv2
sorted_hosts() { awk '/hosts \([0-9]+\):/ {print; h=1; next} h && /^      / {print | "sort"; next} {close("sort"); h=0; print}'; }
for o in --list-hosts --list-tasks --list-tags "--list-tasks --list-tags --list-hosts" "--list-tasks --tags never" \
         "--list-tasks --skip-tags rt,blk" "--list-tags --tags a" "--list-hosts -l g"; do
  # shellcheck disable=SC2086
  expect_eq "$o as ansible-playbook" "$($PY "$(command -v ansible-playbook)" -i inv2 listing.yml $o 2>&1 | sorted_hosts)" \
    "$(./listing -i inv2 $o 2>&1 | sorted_hosts)"
done

# --syntax-check: the program was checked when compiled; it says so as ansible-playbook does
expect_eq "--syntax-check as ansible-playbook" "$($PY "$(command -v ansible-playbook)" -i inv2 listing.yml --syntax-check 2>&1)" \
  "$(./listing -i inv2 --syntax-check 2>&1)"
./listing -i inv2 --step < /dev/null > step.out 2>&1
expect_eq "--step without a terminal: refused, exit 5" 5 $?
expect "  saying why" grep -q "needs a terminal" step.out

# bad values and files
./report -i inv --output xml=x > /dev/null 2> err.txt
expect_eq "--output with an unknown kind: exit 5" 5 $?
expect "  and says what it takes" grep -q "json=FILE" err.txt
./report -i inv --output json=/nonexistent/dir/r.json > /dev/null 2> err.txt
expect_eq "an unwritable report: exit 5 before running" 5 $?
expect "  names the file" grep -q "/nonexistent/dir/r.json" err.txt
finish
