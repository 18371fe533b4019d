#!/usr/bin/env bash
# Regression tests for hostile input to the compiler (issue 12): each case
# generates its input, runs `playc --plan` and/or `playc -o`, and checks the
# exit code, the located error it must print, and bounds on time, memory and
# output size. Every case failed before its fix (a crash, a stack overflow,
# gigabytes, minutes, a silent wrong value, or a plan that did not build).
. "$(dirname "$0")/../lib.sh"
cd "$work"
gen() { python3 -c "$1" >"$2"; }

# run NAME ARGS...: playc ARGS with stderr in NAME.err, "secs maxrss_kb" in NAME.res
run() {
  local name=$1; shift
  /usr/bin/time -o "$name.res" -f "%e %M" "$PLAYC" "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  tail -1 "$name.res" >"$name.res1"
  return $rc
}
# expect_run NAME RC MAX_SECS MAX_MB ARGS...
expect_run() {
  local name=$1 want=$2 secs=$3 mb=$4; shift 4
  run "$name" "$@"
  local rc=$?
  expect_eq "$name: exit code" "$want" "$rc"
  read -r t kb <"$name.res1"
  awk -v t="$t" -v s="$secs" 'BEGIN { exit !(t <= s) }' && ok "$name: ${t}s <= ${secs}s" || bad "$name: took ${t}s > ${secs}s"
  [ "$((kb / 1024))" -le "$mb" ] && ok "$name: $((kb / 1024)) MB <= $mb MB" || bad "$name: used $((kb / 1024)) MB > $mb MB"
  if grep -qE "internal error|AddressSanitizer|runtime error" "$name.err"; then bad "$name: crashed"; head -5 "$name.err"; fi
}
# expect_err NAME TEXT: NAME.err contains TEXT
expect_err() { grep -qF -- "$2" "$1.err" && ok "$1: says '$2'" || { bad "$1: missing '$2' in:"; head -c 600 "$1.err"; echo; }; }

# ---- defect 5: copy src naming a folder aborted the compiler ("out of memory").
# A folder is embedded now (the copy module refuses it at run time): the walk
# uses lstat, follows no symbolic link out of the folder or to a folder, and
# stops at the first of its limits with a located error; `src: /` stops at
# once, whatever the machine's / holds.
cat >copy_src.yml <<'Y'
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: {src: /, dest: /tmp/x}
    - copy: {src: /dev/zero, dest: /tmp/x}
    - copy: {src: /proc/self, dest: /tmp/x}
Y
expect_run copy_src 4 20 300 --plan copy_src.yml
grep -qE "^copy_src.yml:4:19: error: cannot (embed|read) '/" copy_src.err && ok "copy_src: / stops with an error" || { bad "copy_src: / has no error"; head -c 600 copy_src.err; }
expect_err copy_src "copy_src.yml:5:19: error: cannot read '/dev/zero': is not a regular file"
grep -qE "^copy_src.yml:6:19: error: cannot (embed|read) '/proc/self/" copy_src.err && ok "copy_src: /proc/self stops with an error" || { bad "copy_src: /proc/self has no error"; head -c 600 copy_src.err; }
expect_run copy_src_o 4 20 300 copy_src.yml -o copy_src.bin
[ ! -e copy_src.bin ] && ok "copy_src: no output" || bad "copy_src: left an output"
mkdir -p tree/files/many tree/files/out tree/files/deep tree/files/fifo tree/files/ok/sub
python3 -c "
import os
for i in range(10001): open('tree/files/many/f%05d' % i, 'w').close()
d = 'tree/files/deep'
for i in range(40): d += '/d'
os.makedirs(d)"
ln -s /etc/hostname tree/files/out/link
mkfifo tree/files/fifo/pipe
echo a >tree/files/ok/a; echo b >tree/files/ok/sub/.b; ln -s a tree/files/ok/to_a
cat >tree/folders.yml <<'Y'
- hosts: localhost
  gather_facts: false
  tasks:
    - copy: {src: many, dest: /tmp/x}
    - copy: {src: out, dest: /tmp/x}
    - copy: {src: deep, dest: /tmp/x}
    - copy: {src: fifo, dest: /tmp/x}
Y
cd tree; expect_run folders 4 20 300 --plan folders.yml; cd ..
expect_err tree/folders "folders.yml:4:19: error: cannot embed './files/many"
expect_err tree/folders "are limited to 10000 files and folders"
expect_err tree/folders "folders.yml:5:19: error: cannot embed './files/out/link': a symbolic link out of its folder or to a folder is not supported by playc yet"
expect_err tree/folders "folders.yml:6:19: error: cannot embed './files/deep/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d'"
expect_err tree/folders "': folders nested more than 32 deep"
expect_err tree/folders "folders.yml:7:19: error: cannot read './files/fifo/pipe': is not a regular file"
printf -- '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - copy: {src: ok, dest: /tmp/x}\n' >tree/ok.yml
cd tree; expect_run folder_ok 0 20 300 --plan ok.yml; cd ..
# a link inside the folder stays one (target and real path, for copy's
# local_follow), its target embedded too
grep -qE '^file "\./files/ok/to_a" [0-9]+ bytes' tree/folder_ok.out && grep -qE '^file ".*/files/ok/a" 2 bytes' tree/folder_ok.out \
  && grep -qF 'file "./files/ok/sub/.b" 2 bytes' tree/folder_ok.out \
  && ok "folder_ok: a link inside the folder and hidden files are embedded" || { bad "folder_ok: plan"; cat tree/folder_ok.out; }
cd tree; expect_run folder_ok_o 0 120 1500 ok.yml -o ok.bin; cd ..
# found by the mutation run (UBSan): a templated include_vars whose glob
# matches nothing in a folder sorted an empty list (qsort of a null pointer)
printf -- '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include_vars: "{{ x }}-none.yml"\n' >glob_none.yml
expect_run glob_none 4 10 300 --plan glob_none.yml
expect_err glob_none "glob_none.yml:4:21: error: no file matches '{{ x }}-none.yml'"
run playbook_folder --plan . ; expect_eq "playbook is a folder: exit code" 4 $?
expect_err playbook_folder "cannot read '.': is a folder"

# ---- defect 6: deep nesting overflowed the stack (Jinja parser, printer, lowering; YAML)
task='- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "{{ %s }}"\n'
for case in "parens:('('*n+'1'+')'*n)" "lists:('['*n+']'*n)" "dicts:('{1: '*n+'1'+'}'*n)" \
            "unary:('-'*n+'1')" "nots:('not '*n+'x')" "filters:('x'+'|lower'*n)" "attrs:('x'+'.a'*n)" \
            "plus:(' + '.join(['x']*n))"; do
  name=${case%%:*} expr=${case#*:}
  gen "n=10000; print('$task' % $expr, end='')" "deep_$name.yml"
  expect_run "deep_$name" 4 20 300 --plan "deep_$name.yml"
  expect_err "deep_$name" "error: expression nested too deeply (more than 500 levels)"
  grep -qE '^deep_'"$name"'\.yml:5:[0-9]+: error' "deep_$name.err" && ok "deep_$name: located" || bad "deep_$name: not located"
  # what Jinja2 itself accepts (at most 326 levels of anything) still compiles
  gen "n=300; print('$task' % $expr, end='')" "ok_$name.yml"
  expect_run "ok_$name" 0 20 300 --plan "ok_$name.yml"
done
# the template body is the first level (its statements nest in the same count),
# so the 500th parenthesis (column 17 + 500) is the level too many
expect_err deep_parens "deep_parens.yml:5:517: error: expression nested too deeply"
gen "n=50000; print('- hosts: localhost\n  vars:\n    x: ' + '['*n + ']'*n + '\n  tasks: []')" yaml_flow.yml
expect_run yaml_flow 4 20 300 --plan yaml_flow.yml
expect_err yaml_flow "yaml_flow.yml:3:1005: error: YAML nested too deeply (more than 1000 levels)"
gen "n=50000; print('- hosts: localhost\n  vars:\n    x: ' + '{a: '*n + '1' + '}'*n + '\n  tasks: []')" yaml_map.yml
expect_run yaml_map 4 20 300 --plan yaml_map.yml
expect_err yaml_map "error: YAML nested too deeply (more than 1000 levels)"
# an alias adds its anchor's depth where it is used
gen "n=600; print('- hosts: localhost\n  vars:\n    a: &a ' + '['*n + ']'*n + '\n    b: ' + '['*n + '*a' + ']'*n + '\n  tasks: []')" yaml_alias_deep.yml
expect_run yaml_alias_deep 4 20 300 --plan yaml_alias_deep.yml
expect_err yaml_alias_deep "error: YAML nested too deeply (more than 1000 levels) through alias 'a'"
# what PyYAML accepts (about 490 levels) still compiles, YAML and Jinja at their deepest
gen "d=990; j=490; print('- hosts: localhost\n  gather_facts: false\n  vars:\n    v: ' + '['*d + '\"{{ ' + '('*j + 'x' + ')'*j + ' }}\"' + ']'*d + '\n  tasks:\n    - debug: var=v')" deepest.yml
expect_run deepest 0 30 400 --plan deepest.yml
expect_run deepest_o 0 120 1500 deepest.yml -o deepest.bin

# ---- defect 7: long chains and YAML aliases ("billion laughs") were expanded into copies
chain='- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "{{ %s }}"\n'
gen "print('$chain' % ' ~ '.join(['x']*100000), end='')" concat_vars.yml
expect_run concat_vars 0 30 400 --plan concat_vars.yml
gen "print('$chain' % ' ~ '.join([\"'ab'\"]*100000), end='')" concat_consts.yml
expect_run concat_consts 0 30 400 --plan concat_consts.yml
grep -qF "const \"abababab" concat_consts.out && ok "concat_consts: folded to one string" || bad "concat_consts: not folded"
expect_run concat_consts_o 0 120 1500 concat_consts.yml -o concat_consts.bin
for op in and or; do
  gen "print('$chain' % ' $op '.join(['x']*100000), end='')" "chain_$op.yml"
  expect_run "chain_$op" 0 30 400 --plan "chain_$op.yml"
done
# wide expressions build in bounded functions (LLVM's backend is superlinear in a function's size)
gen "n=3000; print('- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"{{ ' + ' and '.join(['x']*n) + ' }} {{ ' + ' ~ '.join(['x']*n) + ' }}\"\n      loop: [' + ', '.join(['\"{{ x }}\"']*n) + ']')" wide.yml
expect_run wide_o 0 120 1500 wide.yml -o wide.bin
gen "print('- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n      when:\n' + ''.join('        - x%d is defined\n' % i for i in range(100000)), end='')" when_list.yml
expect_run when_list 0 30 500 --plan when_list.yml
# billion laughs: 9 levels of 9 aliases each, in vars, args, when, assert, with a template, with an error
bomb() { # LEAF USE → a playbook whose l8 stands for 9^9 leaves
  python3 -c "
import sys
leaf, use = sys.argv[1], sys.argv[2]
ls = ['    l0: &l0 [%s]' % ', '.join([leaf] * 9)]
ls += ['    l%d: &l%d [%s]' % (i, i, ', '.join(['*l%d' % (i - 1)] * 9)) for i in range(1, 9)]
print('- hosts: localhost\n  gather_facts: false\n  vars:\n    x: 1\n' + '\n'.join(ls) + '\n  tasks:\n' + use)" "$1" "$2"
}
bomb '"lol"' '    - debug: var=l8' >bomb_vars.yml
bomb '"lol"' $'    - debug:\n        msg: *l8' >bomb_args.yml
bomb '"x is defined"' $'    - debug: msg=hi\n      when: *l8' >bomb_when.yml
bomb '"x is defined"' $'    - assert:\n        that: *l8' >bomb_assert.yml
bomb '"{{ x }}"' $'    - debug:\n        msg: *l8\n    - debug:\n        msg: "{{ l8 | length }}"' >bomb_template.yml
# a binary's size beside that of a small playbook using the same runtime
# parts (templates, filters, assert: the runtime alone is 5 MB under ASan and
# the archive members a program pulls in vary with what it uses)
printf -- '- hosts: localhost\n  gather_facts: false\n  vars:\n    x: 1\n    l: ["{{ x }}", "x is defined"]\n  tasks:\n    - debug: var=l\n    - debug:\n        msg: "{{ l | length }}"\n      when: x is defined\n    - assert:\n        that: x is defined\n' >trivial.yml
"$PLAYC" trivial.yml -o trivial.bin 2>/dev/null
base=$(stat -c %s trivial.bin)
for b in vars args when assert template; do
  expect_run "bomb_$b" 0 10 300 --plan "bomb_$b.yml"
  [ "$(wc -c <"bomb_$b.out")" -lt 20000 ] && ok "bomb_$b: plan of $(wc -c <"bomb_$b.out") bytes" || bad "bomb_$b: plan of $(wc -c <"bomb_$b.out") bytes"
  expect_run "bomb_${b}_o" 0 120 1500 "bomb_$b.yml" -o "bomb_$b.bin"
  size=$(stat -c %s "bomb_$b.bin")
  [ "$size" -lt $((base + 2000000)) ] && ok "bomb_$b: binary of $size bytes (one task: $base)" || bad "bomb_$b: binary of $size bytes, one task: $base"
done
bomb '"{{ ( }}"' $'    - debug:\n        msg: *l8' >bomb_error.yml
expect_run bomb_error 4 10 300 --strict --plan bomb_error.yml
expect_eq "bomb_error: one error per leaf written (9), not per copy" 9 "$(grep -c ': error: ' bomb_error.err)"
# task lists aliased inside each other (blocks): the loader builds each list
# once; each use of a task is compiled apart, so the program stops at its
# task limit with a located error instead of growing as 9^9
gen "print('- hosts: localhost\n  gather_facts: false\n  vars:\n    l0: &l0 [' + ', '.join(['{debug: {msg: hi}}']*9) + ']\n' + ''.join('    l%d: &l%d [%s]\n' % (i, i, ', '.join(['{block: *l%d}' % (i-1)]*9)) for i in range(1, 9)) + '  tasks:\n    - block: *l8')" bomb_blocks.yml
expect_run bomb_blocks 4 90 800 --plan bomb_blocks.yml  # 4 s, 36 s under ASan
expect_err bomb_blocks "error: the playbook expands to more than 200000 tasks and blocks"
# merge keys copy entries: a chain of maps each merging the previous one twice
gen "n=2000; print('- hosts: localhost\n  vars:\n    m0: &m0 {a: 1}\n' + ''.join('    m%d: &m%d {<<: [*m%d, *m%d], k%d: %d}\n' % (i, i, i-1, i-1, i, i) for i in range(1, n)) + '  tasks: []')" merge_chain.yml
expect_run merge_chain 4 20 500 --plan merge_chain.yml
expect_err merge_chain "error: YAML merge keys ('<<') copy more than 1000000 entries in all"
# merged entries come first, the first map of a list wins (PyYAML, Ansible)
cat >merge_order.yml <<'Y'
- hosts: localhost
  vars:
    b: &b {x: 1, z: 3}
    c: &c {x: 2, q: 1}
    m: {a: 1, <<: *b, y: 2, x: 5}
    n: {<<: [*b, *c], y: 2}
  tasks: []
Y
expect_run merge_order 0 10 300 --plan merge_order.yml
grep -qF 'var m = {x: const 5: int, z: const 3: int, a: const 1: int, y: const 2: int}: dict' merge_order.out &&
  grep -qF 'var n = {x: const 1: int, q: const 1: int, z: const 3: int, y: const 2: int}: dict' merge_order.out &&
  ok "merge_order: PyYAML's order" || { bad "merge_order: not PyYAML's order"; cat merge_order.out; }
# a flow-style playbook of 20,000 tasks on one line: each task's error context quoted that line
gen "print('- {hosts: localhost, gather_facts: false, tasks: [' + ', '.join(['{debug: {msg: hi}}']*20000) + ']}')" one_line.yml
expect_run one_line 0 20 500 --plan one_line.yml
# the same error at the same place is printed once; a long line is shown around the column
gen "print('- hosts: localhost\n  tasks:\n    - debug:\n        msg: \"' + 'a'*100000 + '{{ ( }}\"')" long_line.yml
expect_run long_line 4 10 300 --strict --plan long_line.yml
[ "$(wc -c <long_line.err)" -lt 2000 ] && ok "long_line: caret line windowed" || bad "long_line: $(wc -c <long_line.err) bytes of diagnostics"

# ---- defect 10 (compile side): integer literals saturated silently; past
# 64 bits they are Python's ints of any size (runtime/bigint.c), never saturated
cat >big_ints.yml <<'Y'
- hosts: localhost
  gather_facts: false
  vars:
    y: 99999999999999999999999
    z: 0x1ffffffffffffffff
    fine: 9223372036854775807
  tasks:
    - debug:
        msg: "{{ 99999999999999999999999 }}"
Y
expect_run big_ints 0 10 300 --plan big_ints.yml
grep -qF 'var y = const 99999999999999999999999: int' big_ints.out && ok "big_ints: a YAML int past 64 bits is kept whole" || bad "big_ints: y not kept whole"
grep -qF 'var z = const 36893488147419103231: int' big_ints.out && ok "big_ints: 0x1ffffffffffffffff is its value" || bad "big_ints: z not its value"
grep -qF 'single(const 99999999999999999999999: int)' big_ints.out && ok "big_ints: a Jinja literal past 64 bits is kept whole" || bad "big_ints: the literal not kept whole"

# ---- defect 12: --plan and -o disagreed on {{ {[1]: 2} }}; args past the 64th
cat >unhashable.yml <<'Y'
- hosts: localhost
  gather_facts: false
  vars:
    k: key
  tasks:
    - debug:
        msg: "{{ {k: 1, 'b': 2, 3: 4} }}"
    - debug:
        msg: "{{ {[1]: 2} }}"
      ignore_errors: true
    - debug:
        msg: "{{ {{'a': 1}: 2} if false else 'not evaluated' }}"
    - set_fact:
Y
python3 -c "print(''.join('        a%d: %d\n' % (i, i) for i in range(100)), end='')" >>unhashable.yml
echo '    - debug: var=a99' >>unhashable.yml
expect_run unhashable 0 10 300 --plan unhashable.yml
expect_run unhashable_o 0 120 1500 unhashable.yml -o unhashable.bin
./unhashable.bin -c local >unhashable.run 2>&1
expect_eq "unhashable: run exit code" 0 "$?"
grep -qF '"key": 1' unhashable.run && ok "unhashable: a key computed at run time" || bad "unhashable: no run-time key"
grep -qF "unhashable type: 'list'" unhashable.run && ok "unhashable: fails at run time as Jinja2 does" || bad "unhashable: no TypeError"
grep -qF '"a99": 99' unhashable.run && ok "unhashable: 100 arguments kept" || bad "unhashable: arguments lost"
grep -qE 'ok=5 .*ignored=1' unhashable.run && ok "unhashable: recap" || { bad "unhashable: recap"; tail -3 unhashable.run; }
finish
