#!/usr/bin/env bash
# Multi-host suite: playbooks of tests/multihost/ compiled once and run on 24
# harness hosts with -f 24 (one thread per host), several times, because
# what they catch are races between host threads (hostvars read while other
# hosts write their facts). The ThreadSanitizer pass of scripts/test.sh runs
# this suite in a -DPLAYC_SANITIZE=thread build: there any report fails the
# run (TSAN_OPTIONS halt_on_error=1, exitcode 66).
#
# Checked on every run: exit code 0, each host's reported line, the recap;
# the expected lines are the playbook's semantics written out below, and a
# live ansible-playbook run of the same playbook on the same hosts must
# print the same (MULTIHOST_LIVE=1, the default; the sanitizer pass sets 0,
# it repeats what the release pass compared). MULTIHOST_RUNS: runs per
# playbook (3).
. "$(dirname "$0")/lib.sh"
M=$PLAYC_SRC/tests/multihost
N=24
runs=${MULTIHOST_RUNS:-3}
live=${MULTIHOST_LIVE:-1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 exitcode=66 second_deadlock_stack=1}

harness_start $N
inv=$H/inventory.ini

# show_failure OUT: the first sanitizer report of a run, or the run's end
show_failure() {
  if grep -q '^WARNING: ThreadSanitizer\|^==[0-9]*==ERROR' "$1"; then
    sed -n '/^WARNING: ThreadSanitizer\|^==[0-9]*==ERROR/,/^SUMMARY/p' "$1" | head -80
  else
    tail -40 "$1"
  fi
}

# the `report` tasks' lines: "HOST MSG", one per host and play, sorted
reports() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
out = []
for play in text.split("\nPLAY [")[1:]:
    name = play.split("]", 1)[0]
    for m in re.finditer(r'ok: \[(\S+)\] => \{\n    "msg": "(.*)"\n\}', play):
        out.append(f"{name} {m.group(1)} {m.group(2)}")
print("\n".join(sorted(out)))
PY
}

# what the playbook must report: every host reads all marks, in group order
hosts=(); for i in $(seq $N); do hosts+=("h$i"); done
marks=$(printf '%s-m,' "${hosts[@]}"); marks=${marks%,}
want=$(for h in "${hosts[@]}"; do
  echo "free $h $N h$N-m"
  echo "linear $h $marks h$N-m"
done | sort)
# run_once: the task counts on the host it ran on only (h1)
want_recap=$(for h in "${hosts[@]}"; do
  ok=6; [ "$h" = h1 ] && ok=7
  echo "$h : ok=$ok changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"
done | sort -V)
recap_of() { recap "$1" | sed 's/ *$//' | sort -V; }

(cd "$work" && "$PLAYC" "$M/hostvars_churn.yml" -o "$work/churn.bin") > "$work/compile.out" 2>&1
expect "hostvars_churn compiles" test -x "$work/churn.bin" || cat "$work/compile.out"

for r in $(seq "$runs"); do
  out=$work/churn-$r.out
  (cd "$work" && "$work/churn.bin" -i "$inv" --known-hosts "$H/known_hosts" -f $N < /dev/null > "$out" 2>&1)
  rc=$?
  expect_eq "hostvars_churn run $r: exit" 0 "$rc" || show_failure "$out"
  expect_eq "hostvars_churn run $r: reports" "$want" "$(reports "$out")"
  expect_eq "hostvars_churn run $r: recap" "$want_recap" "$(recap_of "$out")"
done

if [ "$live" = 1 ]; then
  cat > "$work/ansible.cfg" <<CFG
[defaults]
host_key_checking = True
retry_files_enabled = False
nocolor = True
forks = $N
local_tmp = $work/ansible-local
[ssh_connection]
pipelining = True
ssh_args = -F $H/ssh_config -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=$work/cm-%r@%h:%p
CFG
  (cd "$work" && ANSIBLE_CONFIG=$work/ansible.cfg ansible-playbook -i "$inv" "$M/hostvars_churn.yml" \
    < /dev/null > "$work/ansible.out" 2>&1)
  expect_eq "ansible-playbook: exit" 0 "$?" || tail -40 "$work/ansible.out"
  expect_eq "ansible-playbook: reports" "$want" "$(reports "$work/ansible.out")"
  expect_eq "ansible-playbook: recap" "$want_recap" "$(recap_of "$work/ansible.out")"
fi
finish
