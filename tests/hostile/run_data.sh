#!/usr/bin/env bash
# Hostile run-time data against compiled binaries (issue 12, defects 3, 4, 6,
# 10, 11 and their classes): integer edge cases reach the runtime from -e,
# inventories name groups before defining them, nest 100,000 levels deep,
# loop, range over 200,000 hosts; -e files nest deep or expand through
# aliases. Each must end as a located error or a failed task with Ansible's
# exit code and a PLAY RECAP — never a signal, a sanitizer report, a wrong
# number, or minutes of work. Run by ctest with the release and the ASan
# builds alike.
. "$(dirname "$0")/../lib.sh"

# run NAME CMD...: runs with a time limit; its output in $work/NAME.out, exit code in $rc
run() {
  local name=$1
  shift
  timeout 120 "$@" > "$work/$name.out" 2>&1
  rc=$?
}
has() { # DESC FILE TEXT
  if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: no '$3' in $2"; sed 's/^/    /' "$2" | head -20; fi
}
has_flat() { # DESC FILE TEXT: TEXT in the file with all whitespace removed (debug's indented dumps)
  if tr -d ' \n' < "$2" | grep -qF -- "$3"; then ok "$1"; else bad "$1: no '$3' in $2"; fi
}
no_crash() { # DESC: a signal is 128+N; ASan/UBSan reports go to the output
  if [ "$rc" -ge 128 ] || grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer' "$work/$1.out"; then
    bad "$1: crashed (exit $rc)"
    sed 's/^/    /' "$work/$1.out" | head -30
  else
    ok "$1: no crash"
  fi
}

# ---- arithmetic: one checked implementation for constants and variables
# defect 3, as reported: the binary died of SIGFPE (exit 136), no recap
printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "{{ x | int // -1 }}"\n' \
  > "$work/fpe.yml"
(cd "$work" && "$PLAYC" fpe.yml -o fpe) || bad "compile fpe.yml"
run fpe "$work/fpe" -i localhost, -c local -e x=-9223372036854775808
no_crash fpe
expect_eq "INT64_MIN // -1: exit 0 (was SIGFPE, 136)" 0 "$rc"
has "INT64_MIN // -1 is Python's 2**63, a big int" "$work/fpe.out" '"msg": "9223372036854775808"'
has "INT64_MIN // -1: a recap" "$work/fpe.out" "localhost                  : ok=1    changed=0    unreachable=0    failed=0"

cat > "$work/arith.yml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - name: modulo of INT64_MIN by -1
      debug:
        msg: "{{ x | int % -1 }}"
    - name: a constant sum past 64 bits
      debug:
        msg: "{{ 9223372036854775807 + 1 }}"
      ignore_errors: true
    - name: the same sum on a variable
      debug:
        msg: "{{ x | int - 1 }}"
      ignore_errors: true
    - name: a string too big for int
      debug:
        msg: "{{ '99999999999999999999' | int }}"
      ignore_errors: true
    - name: a huge repetition
      debug:
        msg: "{{ 'a' * 9999999999 }}"
      ignore_errors: true
    - name: a huge power
      debug:
        msg: "{{ 2 ** 9999999999999 }} {{ 1 ** 9999999999999 }}"
      ignore_errors: true
    - name: nesting a list once per item
      set_fact:
        nest: "{{ [nest | default(0)] }}"
      loop: "{{ [0] * 1200 }}"
      ignore_errors: true
    - name: still running
      debug:
        msg: done
EOF
(cd "$work" && "$PLAYC" arith.yml -o arith) || bad "compile arith.yml"
run arith "$work/arith" -i localhost, -c local -e x=-9223372036854775808
no_crash arith
expect_eq "arithmetic errors, all ignored: exit 0" 0 "$rc"
has "INT64_MIN % -1 is 0" "$work/arith.out" '"msg": "0"'
has "constant 9223372036854775807 + 1 is a big int, not wrapped" "$work/arith.out" \
  '"msg": "9223372036854775808"'
has "variable INT64_MIN - 1 is a big int" "$work/arith.out" '"msg": "-9223372036854775809"'
has "'99999999999999999999' | int is a big int, not INT64_MIN" "$work/arith.out" \
  '"msg": "99999999999999999999"'
has "'a' * 9999999999: a MemoryError at once" "$work/arith.out" \
  "MemoryError: repeated string is too long (9999999999 copies of 1 bytes"
has "2 ** 9999999999999 fails at once" "$work/arith.out" "MemoryError: integer result too large"
has "a value nested past 1000 levels is refused" "$work/arith.out" \
  "RecursionError: maximum recursion depth exceeded"
has "the play goes on" "$work/arith.out" '"msg": "done"'
has "a recap" "$work/arith.out" "PLAY RECAP"
grep -q '"msg": "-9223372036854775808"' "$work/arith.out" && bad "a wrapped value was printed"

# ---- inventories
printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "{{ group_names }}"\n' \
  > "$work/hosts.yml"
(cd "$work" && "$PLAYC" hosts.yml -o hosts) || bad "compile hosts.yml"

# defect 4: a children section naming a group defined later (a use after free)
printf '[prod:children]\nweb\n[web]\nlocalhost\n' > "$work/later.ini"
run later "$work/hosts" -i "$work/later.ini" -c local
no_crash later
expect_eq "children before their group: exit 0" 0 "$rc"
has_flat "children before their group: group_names" "$work/later.out" '"msg":["prod","web"]'

# defect 6: 100,000 levels of groups, INI and YAML, and a cycle
python3 -c '
print("[g0]\nlocalhost")
for i in range(1, 100001):
    print("[g%d:children]\ng%d" % (i, i - 1))' > "$work/chain.ini"
run chain "$work/hosts" -i "$work/chain.ini" -c local
no_crash chain
expect_eq "100,000-level INI inventory: exit 0 (a warning, no hosts)" 0 "$rc"
has "100,000-level INI inventory: the error" "$work/chain.out" "nested more than 1000 levels deep"
python3 -c '
n = 100000
print("".join("{g%d: {children: " % i for i in range(n)) + "{}" + "}}" * n)' > "$work/deep.yml"
run deepyml "$work/hosts" -i "$work/deep.yml" -c local
no_crash deepyml
has "100,000-level YAML inventory: the error" "$work/deepyml.out" "nested more than 1000 levels deep"
printf '[a:children]\nb\n[b:children]\na\n[b]\nlocalhost\n' > "$work/cycle.ini"
run cycle "$work/hosts" -i "$work/cycle.ini" -c local
no_crash cycle
has "a cycle of groups: Ansible's words" "$work/cycle.out" "recursive dependency loop"

# defect 11: web[1:200000] was quadratic (over a minute)
printf '[web]\nweb[1:200000] ansible_connection=local\n' > "$work/big.ini"
start=$(date +%s%N)
run big "$work/hosts" -i "$work/big.ini" -l 'web[0]'
secs=$(( ($(date +%s%N) - start) / 1000000 ))
no_crash big
expect_eq "web[1:200000] -l web[0]: exit 0" 0 "$rc"
has "web[1:200000]: one host ran" "$work/big.out" "ok: [web1]"
[ "$secs" -lt 60000 ] && ok "web[1:200000] in ${secs} ms" || bad "web[1:200000] took ${secs} ms"
printf '[web]\nweb[1:2000000]\n' > "$work/huge.ini"
run huge "$work/hosts" -i "$work/huge.ini" -c local
no_crash huge
has "web[1:2000000]: bounded, with a message" "$work/huge.out" "names more than 1000000 hosts"

# ---- -e data
python3 -c 'print("{\"x\": " + "[" * 100000 + "]" * 100000 + "}")' > "$work/deep.json"
run deepjson "$work/hosts" -i localhost, -c local -e @"$work/deep.json"
no_crash deepjson
expect_eq "-e @deep.json (100,000 levels): exit 4" 4 "$rc"
has "-e @deep.json: the error" "$work/deepjson.out" "nested more than 1000 levels deep"
python3 -c '
print("a0: &a0 [x, x, x, x, x, x, x, x, x, x]")
for i in range(1, 10):
    print("a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)))' > "$work/laughs.yml"
run laughs "$work/hosts" -i localhost, -c local -e @"$work/laughs.yml"
no_crash laughs
expect_eq "-e @laughs.yml: exit 4" 4 "$rc"
has "-e @laughs.yml: the error" "$work/laughs.out" "expands to more than 16777216 nodes"
printf 'b: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n' > "$work/merge.yml"
printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "m={{ m }}"\n' \
  > "$work/merge_pb.yml"
(cd "$work" && "$PLAYC" merge_pb.yml -o merge_pb) || bad "compile merge_pb.yml"
run merge "$work/merge_pb" -i localhost, -c local -e @"$work/merge.yml"
has "a YAML merge key keeps PyYAML's order" "$work/merge.out" "\"msg\": \"m={'x': 1, 'y': 2}\""

finish
