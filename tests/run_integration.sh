#!/usr/bin/env bash
# End to end: compile samples/hello, delete its sources, run the binary locally
# and over a private loopback sshd (1 and 3 hosts), check exit codes, recaps,
# files, idempotence, the embedded plan, the symbols of the binary and of the
# runtime, and bad input at compile and run time.
. "$(dirname "$0")/lib.sh"

sample=$PLAYC_SRC/samples/hello
motd_sha=$(sha1sum < "$sample/files/motd.txt" | cut -d' ' -f1)

# ---- compile from a copy, then delete the copy: the binary needs nothing else
cp -r "$sample" "$work/pb"
(cd "$work" && "$PLAYC" pb/site.yml -o hello)
expect "compile the sample" test -x "$work/hello"
rm -rf "$work/pb"

# the embedded plan is the compiler's plan, byte for byte
cp -r "$sample" "$work/pb"
expect_eq "./hello --plan equals playc --plan" "$(cd "$work" && "$PLAYC" --plan pb/site.yml)" \
  "$("$work/hello" --plan)"
rm -rf "$work/pb"

# ---- symbols: one function per task and per expression, no compiler in the runtime
ntasks=$(grep -c '^    - name:' "$sample/site.yml")
expect_eq "one task_N symbol per task" "$ntasks" "$(nm "$work/hello" | grep -c ' T task_[0-9]*$')"
nexpr=$(nm "$work/hello" | grep -c ' [tT] expr_[0-9]*$')
[ "$nexpr" -ge "$ntasks" ] && ok "expr_N functions ($nexpr)" || bad "only $nexpr expr_N functions"
# the run-time evaluator (runtime/eval.c) links the Jinja lexer and parser and
# their arena (frontend/ctx.c) for run-time data, DESIGN.md invariant 1; the
# playbook loader, IR and codegen stay out
leaks=$(nm "$PLAYC_RUNTIME" 2>/dev/null | grep -E ' T (fe_(load|yaml_load|playbook|roles|free_form)|ir_|cg_)' | grep -v fe_yaml11_resolve || true)
expect_eq "libplaycrt.a links no playbook loader, IR or codegen" "" "$leaks"

check_local_tree() { # DIR HOST
  local w=$1/$2
  expect_eq "greeting content ($2)" "$(printf 'Hello, hello!\nport=8081')" "$(cat "$w/greeting.txt")"
  expect_eq "motd embedded file ($2)" "$motd_sha" "$(sha1sum < "$w/conf/motd" | cut -d' ' -f1)"
  expect_eq "motd mode ($2)" 600 "$(stat -c %a "$w/conf/motd")"
  expect_eq "conf mode ($2)" 750 "$(stat -c %a "$w/conf")"
  expect "markers ($2)" test -f "$w/ALPHA.pkg" -a -f "$w/GAMMA.pkg" -a ! -e "$w/BETA.pkg"
}

# ---- connection: local
base=$(shared_dir local)
"$work/hello" -i localhost, -c local -e base_dir="$base" > "$work/local1.out" 2>&1
expect_eq "local run exit code" 0 "$?"
expect_eq "local recap" "localhost : ok=14 changed=7 unreachable=0 failed=0 skipped=2 rescued=0 ignored=1 " \
  "$(recap "$work/local1.out")"
check_local_tree "$base" localhost
grep -q '"msg": "Hello, hello! 4 files on localhost, 6 half-packages"' "$work/local1.out" \
  && ok "debug output" || bad "debug output missing"
"$work/hello" -i localhost, -c local -e base_dir="$base" > "$work/local2.out" 2>&1
expect_eq "second local run exit code" 0 "$?"
expect_eq "second run: only the always-changing tasks change" \
  "localhost : ok=14 changed=3 unreachable=0 failed=0 skipped=2 rescued=0 ignored=1 " \
  "$(recap "$work/local2.out")"

# ---- over SSH: 1 host, then 3
for n in 1 3; do
  harness_start "$n"
  base=$(shared_dir "ssh$n")
  "$work/hello" -i "$H/inventory.ini" --known-hosts "$H/known_hosts" -e base_dir="$base" -f 3 \
    > "$work/ssh$n.out" 2>&1
  expect_eq "ssh $n host(s) exit code" 0 "$?"
  for i in $(seq "$n"); do
    grep -q "^h$i *: ok=14 *changed=7 *unreachable=0 *failed=0 *skipped=2 *rescued=0 *ignored=1" \
      "$work/ssh$n.out" && ok "ssh $n: recap of h$i" || { bad "ssh $n: recap of h$i"; tail -20 "$work/ssh$n.out"; }
    check_local_tree "$base" "h$i"
  done
  "$PLAYC_SRC/tests/harness/sshd.sh" stop "$H"
done

# ---- bad run-time input
harness_start 1
port=$(. "$H/env"; echo "$PLAYC_TEST_SSH_PORT")
# a port nothing listens on → unreachable, exit 4
printf '[t]\nu1 ansible_host=127.0.0.2 ansible_port=%d ansible_user=playc-test ansible_ssh_private_key_file=%s\n' \
  $((port + 1)) "$H/id_ed25519" > "$work/unreach.ini"
"$work/hello" -i "$work/unreach.ini" --known-hosts "$H/known_hosts" -e base_dir=/tmp/x > "$work/unreach.out" 2>&1
expect_eq "unreachable host exit code" 4 "$?"
grep -q 'UNREACHABLE!' "$work/unreach.out" && ok "unreachable message" || bad "no UNREACHABLE in output"
grep -q '^u1 *: ok=0 *changed=0 *unreachable=1 ' "$work/unreach.out" && ok "unreachable recap" \
  || bad "unreachable recap"
# a known_hosts entry with another key → refused, exit 4
ssh-keygen -q -t ed25519 -N '' -f "$work/other_key"
printf '[127.0.0.2]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$work/other_key.pub")" > "$work/bad_known_hosts"
"$work/hello" -i "$H/inventory.ini" --known-hosts "$work/bad_known_hosts" -e base_dir=/tmp/x > "$work/hk.out" 2>&1
expect_eq "host key mismatch exit code" 4 "$?"
grep -q 'CHANGED' "$work/hk.out" && ok "host key mismatch message" || bad "no host key message"
# unknown host key with accept-new → recorded and run
: > "$work/new_known_hosts"
base=$(shared_dir acceptnew)
"$work/hello" -i "$H/inventory.ini" --known-hosts "$work/new_known_hosts" --host-key-checking=accept-new \
  -e base_dir="$base" > "$work/an.out" 2>&1
expect_eq "accept-new exit code" 0 "$?"
expect "accept-new recorded the key" test -s "$work/new_known_hosts"
# strict (default) with an unknown key → refused
: > "$work/empty_known_hosts"
"$work/hello" -i "$H/inventory.ini" --known-hosts "$work/empty_known_hosts" -e base_dir=/tmp/x > "$work/st.out" 2>&1
expect_eq "unknown host key refused by default" 4 "$?"

# a missing inventory file: same exit code and recap as ansible-playbook
"$work/hello" -i "$work/no-such-inventory" > "$work/noinv.out" 2>&1
rc=$?
ANSIBLE_NOCOLOR=1 ansible-playbook -i "$work/no-such-inventory" "$sample/site.yml" > "$work/noinv.ans" 2>&1
expect_eq "missing inventory: exit code as ansible-playbook" "$?" "$rc"
grep -q 'Unable to parse' "$work/noinv.out" && ok "missing inventory warning" || bad "missing inventory warning"
"$work/hello" --no-such-option > /dev/null 2>&1
expect_eq "bad option exit code" 5 "$?"

# ---- first_found away from the sources: the files a template or copy src
# can name are embedded, and first_found finds them there when the folders
# it searches are gone (tests/integration/lookup_first_found.yml, whose
# output with its sources present run_differential compares with Ansible's)
cp -r "$PLAYC_SRC/tests/integration" "$work/ffpb"
(cd "$work" && "$PLAYC" ffpb/lookup_first_found.yml -o ff)
(cd "$work" && ./ff -i localhost, -c local -e base_dir="$work/ff1" > ff1.out 2>&1)
expect_eq "first_found with its sources: exit code" 0 "$?"
rm -rf "$work/ffpb"
(cd "$work" && ./ff -i localhost, -c local -e base_dir="$work/ff1" > ff2.out 2>&1)
expect_eq "first_found without its sources: exit code" 0 "$?"
expect_eq "first_found without its sources: the same recap" "$(recap "$work/ff1.out" | sed 's/changed=[0-9]*//')" \
  "$(recap "$work/ff2.out" | sed 's/changed=[0-9]*//')"
expect_eq "first_found without its sources: the same items" "$(grep -o '(item=[^)]*)' "$work/ff1.out")" \
  "$(grep -o '(item=[^)]*)' "$work/ff2.out")"

# ---- bad compile-time input leaves no binary
printf -- '- hosts: all\n  tasks:\n    - debug: msg="{{ x\n' > "$work/broken.yml"
"$PLAYC" "$work/broken.yml" -o "$work/broken" 2> "$work/broken.err"
expect_eq "unterminated {{ exit code" 4 "$?"
expect "no output binary after an error" test ! -e "$work/broken"
grep -q 'broken.yml:[0-9]*:[0-9]*: error:' "$work/broken.err" && ok "located diagnostic" || bad "diagnostic not located"

finish
