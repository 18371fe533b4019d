#!/usr/bin/env bash
# Differential test against the real thing: every playbook below runs through
# ansible-playbook (Debian's ansible-core) and through its playc-compiled binary,
# against the same private sshd hosts (1 and 3), twice each (the second run shows
# idempotence). Compared: exit code, PLAY RECAP, the TASK banner sequence, the
# per-task set of host outcomes, and the files produced (paths, types, modes,
# sizes, contents); with one host, also every printed result and every failure's
# result (without its timings), messages and their source excerpts included.
. "$(dirname "$0")/lib.sh"

playbooks=("$PLAYC_SRC/samples/hello/site.yml")
for f in "$PLAYC_SRC"/tests/integration/*.yml; do [ -e "$f" ] && playbooks+=("$f"); done
if [ -n "${DIFF_ONLY:-}" ]; then # DIFF_ONLY=NAME: that playbook alone (while working on it)
  playbooks=("$PLAYC_SRC/tests/integration/$DIFF_ONLY.yml")
fi

# TASK banners and, per task, the sorted host outcome lines (host order varies
# with forks; the set of outcomes per task must not)
outline() {
  python3 -c '
import re, sys
tasks = []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("TASK ["):
        tasks.append((re.sub(r" \*+$", "", line), []))
    elif line.startswith("PLAY RECAP"):
        break
    elif tasks and re.match(r"(ok|changed|skipping|fatal|failed): \[", line):
        head = line.split(" => {", 1)[0]
        tasks[-1][1].append(re.sub(r": (FAILED|UNREACHABLE)!$", "", head))
for name, outcomes in tasks:
    print(name)
    for o in sorted(outcomes):
        print("  " + o)
' "$1"
}

# every "fatal:" line's result, its volatile keys dropped
failures() {
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    if not line.startswith("fatal: "):
        continue
    head, _, body = line.partition(" => ")
    r = json.loads(body)
    for k in ("delta", "start", "end", "invocation"):
        r.pop(k, None)
    facts = r.get("ansible_facts", {})  # Python interpreter discovery: not ours
    facts.pop("discovered_interpreter_python", None)
    if "ansible_facts" in r and not facts:
        del r["ansible_facts"]
    print(head, json.dumps(r, sort_keys=True))
' "$1"
}

# what a run stopped half-way (a killed test) left in the harness user's
# home would change the first run's outcomes: both tools start from none
rm -rf ~playc-test/playc-hostile-* 2>/dev/null || true

for n in 1 3; do
  harness_start "$n"
  cfg="$work/ansible-$n.cfg"
  cat > "$cfg" <<EOF
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
  for pb in "${playbooks[@]}"; do
    name=$(basename "$(dirname "$pb")")-$(basename "$pb" .yml)-$n
    # one program per playbook, run on 1 host and on 3
    bin=$work/$(basename "$(dirname "$pb")")-$(basename "$pb" .yml).bin
    [ -x "$bin" ] || (cd "$work" && "$PLAYC" "$pb" -o "$bin") || { bad "compile $pb"; continue; }
    ans_base=$(shared_dir "ans-$name")
    pc_base=$(shared_dir "pc-$name")
    # Ansible's two runs (output, exit code, files produced), replayed from
    # the oracle cache when it holds them: each tool writes below its own
    # base_dir, and what a playbook leaves elsewhere it removes itself
    oracle_subst=("$ans_base=@BASE@" "$H=@HARNESS@")
    key=$(oracle_key "$name" "$pb" "$(dirname "$pb")")
    ans=()
    for run in 1 2; do ans+=("$name.ans$run" "$name.ansrc$run" "$name.anstree$run"); done
    if ! oracle_load "$key" "${ans[@]}"; then
      for run in 1 2; do
        ANSIBLE_CONFIG=$cfg ansible-playbook -i "$H/inventory.ini" -e base_dir="$ans_base" "$pb" \
          > "$work/$name.ans$run" 2>&1
        echo $? > "$work/$name.ansrc$run"
        tree "$ans_base" > "$work/$name.anstree$run"
      done
      oracle_save "$key" "${ans[@]}"
    fi
    for run in 1 2; do
      ans_rc=$(cat "$work/$name.ansrc$run")
      "$bin" -i "$H/inventory.ini" --known-hosts "$H/known_hosts" -f 10 \
        -e base_dir="$pc_base" > "$work/$name.pc$run" 2>&1
      pc_rc=$?
      expect_eq "$name run $run: exit code" "$ans_rc" "$pc_rc"
      expect_eq "$name run $run: PLAY RECAP" "$(recap "$work/$name.ans$run")" "$(recap "$work/$name.pc$run")" \
        || grep -h -A1 'UNREACHABLE!' "$work/$name.pc$run" | head -6
      expect_eq "$name run $run: tasks and host outcomes" "$(outline "$work/$name.ans$run")" \
        "$(outline "$work/$name.pc$run")"
      if [ "$n" = 1 ]; then # one host: results print in a fixed order; compare every dump
        expect_eq "$name run $run: printed results" "$(grep -E '^( |\.\.\.)' "$work/$name.ans$run")" \
          "$(grep -E '^( |\.\.\.)' "$work/$name.pc$run")"
        expect_eq "$name run $run: failures" "$(failures "$work/$name.ans$run")" \
          "$(failures "$work/$name.pc$run")"
      fi
      expect_eq "$name run $run: files produced" "$(cat "$work/$name.anstree$run")" "$(tree "$pc_base")"
    done
  done
  "$PLAYC_SRC/tests/harness/sshd.sh" stop "$H"
done
finish
