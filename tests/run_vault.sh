#!/usr/bin/env bash
# run_vault.sh — differential test of `playc vault` and of compiled programs'
# vault options against ansible-vault, ansible and ansible-playbook:
#   1. files ansible-vault encrypts (1.1, 1.2 with vault ids; password files,
#      scripts, client scripts, the prompt) decrypted by playc vault, and the
#      reverse; rekey both ways; encrypt_string output read by `ansible -e @`;
#   2. the same command through both tools, comparing exit codes and stderr
#      byte for byte (errors, warnings, messages), then the files left;
#   3. a compiled program's --vault-* options against ansible-playbook's;
#   4. security: no password in `ps` while commands run, in any output, in a
#      compiled program or in an encrypted file; no temporary file left.
# Every command runs under `setsid` so no controlling terminal is there: the
# prompt reads stdin, as getpass does without a terminal.
source "$(dirname "$0")/lib.sh"

PV=("$PLAYC" vault)
cd "$work" || exit 1
mkdir tpl
( cd tpl
  printf 'pw-one\n' > pw1
  printf '  pw two \t\n\n' > pw2
  printf 'pw-one\nsecond line\n' > pw-multi
  printf ' \n' > pw-empty
  printf '#!/bin/sh\nprintf "pw-one\\r\\n"\n' > pw-script.sh
  printf '#!/bin/sh\necho "$*" >> client.log\n[ "$2" = dev ] && { echo pw-one; exit 0; }\n[ "$2" = new ] && { echo pw-new; exit 0; }\necho "no secret for $2" >&2; exit 2\n' > vault-client
  printf '#!/bin/sh\necho broken >&2\nexit 3\n' > bad-script.sh
  printf '#!/bin/sh\necho "weird" >&2\nexit 4\n' > bad-client.py
  mv bad-client.py odd-client.py
  chmod 700 pw-script.sh vault-client bad-script.sh odd-client.py
  printf 'hello: world\nlist: [1, 2]\n' > plain.yml
  printf 'no final newline' > nonl.txt
  head -c 3000 /dev/urandom > binary.bin
  : > empty.txt
  printf 'already: plain\n' > notvault.yml
  cp plain.yml enc11.yml; ansible-vault encrypt --vault-password-file pw1 enc11.yml
  cp plain.yml enc12.yml; ansible-vault encrypt --vault-id dev@pw1 enc12.yml
  cp plain.yml enc-pw2.yml; ansible-vault encrypt --vault-password-file pw2 enc-pw2.yml
  cp binary.bin encbin.bin; ansible-vault encrypt --vault-password-file pw1 encbin.bin
  cp nonl.txt encnonl.txt; ansible-vault encrypt --vault-password-file pw1 encnonl.txt
  cp empty.txt encempty.txt; ansible-vault encrypt --vault-password-file pw1 encempty.txt
  sed '2s/^./z/' enc11.yml > badhex.yml
  sed '1s/AES256/AES/' enc11.yml > badcipher.yml
  printf '$ANSIBLE_VAULT\n3132\n' > badenvelope.yml
  head -c 200 enc11.yml > truncated.yml
) >/dev/null

# fresh DIR: a copy of the templates
fresh() { rm -rf "$1"; cp -a tpl "$1"; }
# norm FILE: stderr without Python's getpass warnings, work paths replaced
norm() { grep -v 'GetPassWarning\|passwd = fallback_getpass' "$1" | sed "s|$work/[ap]/|DIR/|g; s|$work/[ap]|DIR|g"; }

# both DESC STDIN -- ARGS...: ansible-vault ARGS in a/ and playc vault ARGS in
# p/ (fresh copies), stdin from the file STDIN; same exit code, same stderr,
# same stdout when it is not ciphertext, same files afterwards (plaintext).
both() {
  local desc=$1 in=$work/$2; shift 3
  fresh a; fresh p
  (cd a && setsid -w ansible-vault "$@" <"$in" >../a.out 2>../a.err); local ra=$?
  (cd p && setsid -w "${PV[@]}" "$@" <"$in" >../p.out 2>../p.err); local rp=$?
  expect_eq "$desc: exit code" "$ra" "$rp"
  expect_eq "$desc: stderr" "$(norm a.err)" "$(norm p.err)"
  if [ "$ra" != 5 ] && ! grep -q 'ANSIBLE_VAULT' a.out; then  # 5: each prints its own help
    expect_eq "$desc: stdout" "$(sed "s|$work/a|DIR|g" a.out | od -c)" "$(sed "s|$work/p|DIR|g" p.out | od -c)"
  fi
  local f g
  for f in a/*; do
    g=p/${f#a/}
    cmp -s "$f" "$g" && continue
    if head -c 14 "$f" | grep -q '^\$ANSIBLE_VAULT'; then  # random salts: compare what they hold
      cmp -s <(ansible-vault decrypt --vault-id dev@tpl/pw1 --vault-id new@tpl/pw2 --output - "$f" 2>&1) \
             <(ansible-vault decrypt --vault-id dev@tpl/pw1 --vault-id new@tpl/pw2 --output - "$g" 2>&1) ||
        bad "$desc: $g holds what $f holds"
    else
      bad "$desc: $g is $f"
    fi
  done
}

echo "== playc vault decrypts what ansible-vault encrypts"
: > none
both "view 1.1" none -- view --vault-password-file pw1 enc11.yml
both "view 1.2 by vault id" none -- view --vault-id dev@pw1 enc12.yml
both "view 1.2 by a password file" none -- view --vault-password-file pw1 enc12.yml
both "view, whole password file stripped" none -- view --vault-password-file pw2 enc-pw2.yml
both "view several files" none -- view --vault-password-file pw1 enc11.yml encnonl.txt encempty.txt
both "decrypt in place" none -- decrypt --vault-password-file pw1 enc11.yml encbin.bin
both "decrypt to stdout" none -- decrypt --vault-password-file pw1 --output - encbin.bin
both "decrypt to a file" none -- decrypt --vault-password-file pw1 --output out.yml enc11.yml
both "decrypt stdin" tpl/enc12.yml -- decrypt --vault-id dev@pw1
both "password script" none -- view --vault-password-file pw-script.sh enc11.yml
both "client script gets --vault-id" none -- view --vault-id dev@vault-client enc12.yml
both "second secret opens it" none -- view --vault-id x@pw2 --vault-password-file pw1 enc11.yml
both "prompt reads stdin without a terminal" tpl/pw1 -- view --ask-vault-pass enc11.yml
both "vault-id prompt" tpl/pw1 -- view --vault-id dev@prompt enc12.yml
both "automatic prompt" tpl/pw1 -- view enc11.yml

echo "== the same errors"
both "wrong password" none -- view --vault-password-file pw2 enc11.yml
both "wrong password, decrypt" none -- decrypt --vault-password-file pw2 enc11.yml
both "password file is the whole file" none -- view --vault-password-file pw-multi enc11.yml
both "not vault, view" none -- view --vault-password-file pw1 notvault.yml
both "not vault, decrypt" none -- decrypt --vault-password-file pw1 notvault.yml
both "missing file, view" none -- view --vault-password-file pw1 nothere.yml
both "missing file, decrypt" none -- decrypt --vault-password-file pw1 nothere.yml
both "already encrypted" none -- encrypt --vault-password-file pw1 enc11.yml
both "missing password file" none -- view --vault-password-file nopw enc11.yml
both "missing password file, another works" none -- view --vault-password-file nopw --vault-id pw1 enc11.yml
both "missing vault-id source" none -- view --vault-id lab@nopw enc11.yml
both "empty password file" none -- view --vault-password-file pw-empty enc11.yml
both "failing script" none -- view --vault-password-file bad-script.sh enc11.yml
both "client script without a secret" none -- view --vault-id other@vault-client enc12.yml
both "client script failing" none -- view --vault-id lab@odd-client.py enc12.yml
both "bad hex" none -- view --vault-password-file pw1 badhex.yml
both "bad hex, decrypt" none -- decrypt --vault-password-file pw1 badhex.yml
both "unknown cipher" none -- view --vault-password-file pw1 badcipher.yml
both "bad envelope" none -- decrypt --vault-password-file pw1 badenvelope.yml
both "truncated" none -- view --vault-password-file pw1 truncated.yml
both "no password and no terminal" none -- view enc11.yml
both "empty prompt" tpl/pw-empty -- view --ask-vault-pass enc11.yml
both "two vault ids to encrypt with" none -- encrypt --vault-id a@pw1 --vault-id b@pw2 plain.yml
both "unknown --encrypt-vault-id" none -- encrypt --vault-id a@pw1 --encrypt-vault-id c plain.yml
both "';' in a vault id" none -- view --vault-id 'a;b@pw1' enc11.yml
both "--output with two files" none -- decrypt --vault-password-file pw1 --output x enc11.yml enc12.yml
both "empty string to encrypt" none -- encrypt_string --vault-password-file pw1 ''
both "empty stdin to encrypt" none -- encrypt_string --vault-password-file pw1
both "rekey with a wrong password" none -- rekey --vault-password-file pw2 --new-vault-password-file pw1 enc11.yml
printf 'one\ntwo\n' > mismatch
both "new passwords differ" mismatch -- encrypt --ask-vault-pass plain.yml
ANSIBLE_VAULT_ID_MATCH=1 both "ANSIBLE_VAULT_ID_MATCH" none -- view --vault-id other@pw1 enc12.yml
ANSIBLE_VAULT_PASSWORD_FILE=pw1 both "ANSIBLE_VAULT_PASSWORD_FILE" none -- view enc11.yml

echo "== ansible-vault decrypts what playc vault encrypts"
both "encrypt in place" none -- encrypt --vault-password-file pw1 plain.yml binary.bin empty.txt nonl.txt
both "encrypt with a vault id" none -- encrypt --vault-id dev@pw1 plain.yml
both "encrypt --encrypt-vault-id" none -- encrypt --vault-id dev@pw1 --vault-id new@pw2 --encrypt-vault-id new plain.yml
both "encrypt with the prompt" tpl/pw-multi -- encrypt --vault-id dev@prompt plain.yml
both "encrypt stdin to stdout" tpl/plain.yml -- encrypt --vault-id dev@pw1 --output plain.out
both "rekey to a new vault id" none -- rekey --vault-id dev@pw1 --new-vault-id new@pw2 enc12.yml
both "rekey to a new password file" none -- rekey --vault-password-file pw1 --new-vault-password-file pw2 enc11.yml encbin.bin
fresh p
(cd p && "${PV[@]}" encrypt --vault-id dev@pw1 --output - plain.yml > ../p.out 2>/dev/null)
expect_eq "encrypt --output -: 1.2 header" '$ANSIBLE_VAULT;1.2;AES256;dev' "$(head -1 p.out)"
expect_eq "encrypt --output -: ansible-vault reads it" "$(cat tpl/plain.yml)" \
  "$(ansible-vault decrypt --vault-password-file tpl/pw1 --output - p.out)"
expect_eq "encrypt --output -: 80 columns" "80" "$(sed -n 2p p.out | tr -d '\n' | wc -c)"
chmod 640 p/plain.yml; ln -s plain.yml p/link.yml
(cd p && "${PV[@]}" encrypt --vault-password-file pw1 link.yml 2>/dev/null)
expect_eq "encrypt through a symlink: the link stays" "plain.yml" "$(readlink p/link.yml)"
expect_eq "encrypt keeps the file's mode" "640" "$(stat -c %a p/plain.yml)"
expect_eq "no temporary file left" "" "$(ls -A p | grep '^\.' || true)"

echo "== encrypt_string"
for args in "--name x s3cret" "--name a --name b one two" "one two --name a" "--stdin-name x"; do
  fresh a; fresh p
  # shellcheck disable=SC2086
  (cd a && printf 'from stdin' | ansible-vault encrypt_string --vault-password-file pw1 $args >../a.out 2>../a.err)
  # shellcheck disable=SC2086
  (cd p && printf 'from stdin' | "${PV[@]}" encrypt_string --vault-password-file pw1 $args >../p.out 2>../p.err)
  expect_eq "encrypt_string $args: stderr" "$(cat a.err)" "$(cat p.err)"
  expect_eq "encrypt_string $args: layout" "$(sed 's/^ *[0-9a-f]\{1,80\}$/HEX/' a.out)" \
    "$(sed 's/^ *[0-9a-f]\{1,80\}$/HEX/' p.out)"
done
printf 'myvar\nsecret val\n' > prompt-input
both "encrypt_string --prompt" prompt-input -- encrypt_string --vault-password-file pw1 -p other
expect_eq "encrypt_string --prompt: layout" "$(sed 's/^ *[0-9a-f]\{1,80\}$/HEX/' a.out)" \
  "$(sed 's/^ *[0-9a-f]\{1,80\}$/HEX/' p.out)"
(cd p && "${PV[@]}" encrypt_string --vault-id dev@pw1 --name secret_var 'the value: {{ not templated }}' > vars.yml 2>/dev/null
 printf '\nother_var: !vault |\n' >> vars.yml
 printf 'multi\nline\n' | "${PV[@]}" encrypt_string --vault-password-file pw1 | tail -n +2 >> vars.yml)
out=$(cd p && ANSIBLE_NOCOLOR=1 ansible localhost -m debug -a var=secret_var -e @vars.yml --vault-id dev@pw1 --vault-password-file pw1 2>&1)
expect "ansible -e @vars.yml reads encrypt_string's value" grep -qF '"secret_var": "the value: {{ not templated }}"' <<<"$out"
cat > p/pb.yml <<'EOF'
- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [vars.yml]
  tasks:
    - debug: var=other_var
EOF
out=$(cd p && ANSIBLE_NOCOLOR=1 ansible-playbook pb.yml --vault-id dev@pw1 --vault-password-file pw1 2>&1)
expect "ansible-playbook vars_files reads stdin encrypt_string" grep -qF '"other_var": "multi\nline\n"' <<<"$out"

echo "== the terminal"
# tty_both DESC [--interrupt] -- ARGS...: ansible-vault and playc vault on a
# pseudo-terminal (tests/vault/tty.py types pw-one at each password prompt):
# the terminal shows the same (colours aside), never the password, and its
# echo is on again afterwards.
tty_both() {
  local desc=$1 flags=(); shift
  [ "$1" = --interrupt ] && flags=(--interrupt) && shift
  shift
  fresh a; fresh p
  (cd a && /usr/bin/python3 "$PLAYC_SRC/tests/vault/tty.py" "${flags[@]}" pw-one ansible-vault "$@" >../a.tty)
  (cd p && /usr/bin/python3 "$PLAYC_SRC/tests/vault/tty.py" "${flags[@]}" pw-one "${PV[@]}" "$@" >../p.tty)
  expect_eq "$desc: the terminal shows the same" "$(sed 's/\x1b\[[0-9;]*m//g' a.tty)" \
    "$(sed 's/\x1b\[[0-9;]*m//g' p.tty)"
  expect "$desc: the password is not echoed" bash -c "! grep -q pw-one p.tty"
  expect "$desc: echo is on again" grep -qx 'echo=on' p.tty
}
tty_both "terminal prompt" -- view --ask-vault-pass enc11.yml
tty_both "terminal prompt for a vault id" -- view --vault-id dev@prompt enc12.yml
tty_both "terminal prompt for a new password" -- encrypt --ask-vault-pass plain.yml
expect_eq "... and the file opens with it" "$(cat tpl/plain.yml)" "$(ansible-vault view --vault-password-file tpl/pw1 p/plain.yml)"
tty_both "Ctrl-C at the prompt" --interrupt -- view --ask-vault-pass enc11.yml
echo "== compiled programs' vault options"
cat > tpl/pb.yml <<'EOF'
- hosts: localhost
  gather_facts: false
  tasks:
    - debug: msg=hello
EOF
sed 's/debug: msg=hello/command: sleep 1/' tpl/pb.yml > slow.yml
"$PLAYC" tpl/pb.yml -o tpl/pb >/dev/null || bad "compile pb.yml"
"$PLAYC" slow.yml -o slow >/dev/null || bad "compile slow.yml"
# run_pb DESC STDIN -- ARGS...: ./pb and ansible-playbook with ARGS; same exit code and stderr
run_pb() {
  local desc=$1 in=$work/$2; shift 3
  fresh a; fresh p
  (cd a && setsid -w ansible-playbook -c local pb.yml "$@" <"$in" >../a.out 2>../a.err); local ra=$?
  (cd p && setsid -w ./pb -c local "$@" <"$in" >../p.out 2>../p.err); local rp=$?
  expect_eq "$desc: exit code" "$ra" "$rp"
  expect_eq "$desc: stderr" "$(norm a.err)" "$(norm p.err)"
  expect_eq "$desc: recap" "$(recap a.out)" "$(recap p.out)"
}
run_pb "password file" none -- --vault-password-file pw1
run_pb "vault ids and a script" none -- --vault-id dev@vault-client --vault-id pw-script.sh
expect_eq "client script arguments (playbook and program)" "$(cat a/client.log)" "$(cat p/client.log)"
run_pb "missing password file" none -- --vault-password-file nopw
run_pb "missing one of two" none -- --vault-id x@nopw --vault-password-file pw1
run_pb "failing client script" none -- --vault-id other@vault-client
run_pb "ask-vault-pass from stdin" tpl/pw1 -- --ask-vault-pass
run_pb "ask-vault-pass at end of input" none -- --ask-vault-pass
run_pb "vault-id prompt" tpl/pw1 -- --vault-id dev@prompt
fresh p
(cd p && /usr/bin/python3 "$PLAYC_SRC/tests/vault/tty.py" pw-one ./pb -c local --ask-vault-pass >../p.tty)
expect "program: prompts on the terminal" grep -q '^Vault password: $' p.tty
expect "program: runs after the prompt" grep -qx 'rc=0' p.tty
expect "program: the password is not echoed" bash -c "! grep -q pw-one p.tty"
(cd p && /usr/bin/python3 "$PLAYC_SRC/tests/vault/tty.py" --interrupt pw-one ./pb -c local --ask-vault-pass >../p.tty)
expect "program: Ctrl-C at the prompt exits 99" grep -qx 'rc=99' p.tty
expect "program: ... with Ansible's message" grep -q 'Vault password:  \[ERROR\]: User interrupted execution' p.tty
expect "program: ... and echo on again" grep -qx 'echo=on' p.tty
fresh p
(cd p && ./pb --ask-vault-pass --vault-password-file pw1 >/dev/null 2>../p.err); rc=$?
expect_eq "--ask-vault-pass with --vault-password-file: exit 5" 5 "$rc"
expect "... and argparse's message" grep -qF 'argument --vault-password-file/--vault-pass-file: not allowed with argument --ask-vault-password/--ask-vault-pass' p.err

echo "== security"
# a password nobody else prints, and a watcher of every process's command line
secret="Pw-$RANDOM$RANDOM-unique"
printf '%s\n' "$secret" > sec-pw
printf '#!/bin/sh\nsleep 1\nprintf "%%s\\n" "%s"\n' "$secret" > slow-client
chmod 700 slow-client
watch_ps() { : > ps.log; while [ -e ps.on ]; do ps -eo args >> ps.log; sleep 0.05; done; }
touch ps.on; watch_ps & watcher=$!
printf 'x: 1\n' > s.yml
"${PV[@]}" encrypt --vault-id lab@slow-client s.yml >out1.log 2>&1
"${PV[@]}" view --vault-id lab@slow-client s.yml >>out1.log 2>&1
printf '%s\n' "$secret" | setsid -w "${PV[@]}" rekey --vault-id lab@slow-client --new-vault-id new@prompt s.yml >>out1.log 2>&1
printf '%s\n' "$secret" | setsid -w ./slow -c local --ask-vault-pass -vvvv >>out1.log 2>&1
./slow -c local --vault-id lab@slow-client --vault-password-file sec-pw -vvvv >>out1.log 2>&1
"${PV[@]}" encrypt_string --vault-password-file sec-pw --name n value >>out1.log 2>&1
rm ps.on; wait "$watcher"
expect "ps saw the commands run" grep -q 'slow-client --vault-id lab' ps.log
expect "ps saw the program run" grep -q '^\./slow -c local --vault-id' ps.log
expect "the password never shows in ps" bash -c "! grep -qF -- '$secret' ps.log"
expect "the password never shows in any output" bash -c "! grep -qF -- '$secret' out1.log"
expect "the password is not in the compiled program" bash -c "! strings ./slow | grep -qF -- '$secret'"
expect "the password is not in the encrypted file" bash -c "! grep -qF -- '$secret' s.yml"
expect_eq "rekey to the prompted password" "x: 1" "$(ansible-vault view --vault-password-file sec-pw s.yml)"
expect_eq "no temporary file left" "" "$(ls -A | grep '^\.' || true)"

finish
