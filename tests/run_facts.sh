#!/usr/bin/env bash
# Facts against Ansible's setup on the same host (the harness sshd is this
# machine): tests/facts/facts.yml through ansible-playbook and through its
# playc binary; every fact compared key by key under tests/facts/fixture.json
# (compare.py: equal, or a listed difference with its reason), then the rest
# of the playbook's output compared line by line (injected ansible_* forms,
# local facts, gather_subset and filter, a bad subset's error, set_fact
# cacheable, meta: clear_facts). FACTS_RECORD=1 rewrites the fixture instead
# (tests/facts/record.sh).
. "$(dirname "$0")/lib.sh"

harness_start 1
fdir=$(shared_dir facts.d) # local facts: JSON, INI and an executable one
printf '{"a": [1, 2], "b": {"c": true}}\n' > "$fdir/json.fact"
printf '[section]\nkey = value\nOther: x\n' > "$fdir/custom.fact"
printf '#!/bin/sh\necho "{\\"ran\\": \\"$(id -un)\\"}"\n' > "$fdir/exec.fact"
chmod 0644 "$fdir"/*.fact
chmod 0755 "$fdir/exec.fact"

cfg=$work/ansible.cfg
cat > "$cfg" <<CFG
[defaults]
host_key_checking = True
retry_files_enabled = False
nocolor = True
local_tmp = $work/ansible-local
[ssh_connection]
pipelining = True
ssh_args = -F $H/ssh_config
CFG
pb=$PLAYC_SRC/tests/facts/facts.yml
(cd "$work" && "$PLAYC" "$pb" -o "$work/facts.bin") || bad "compile facts.yml"
ANSIBLE_CONFIG=$cfg ansible-playbook -i "$H/inventory.ini" -e fact_dir="$fdir" "$pb" > "$work/facts.ans" 2>&1
ans_rc=$?
"$work/facts.bin" -i "$H/inventory.ini" --known-hosts "$H/known_hosts" -e fact_dir="$fdir" > "$work/facts.pc" 2>&1
pc_rc=$?
expect_eq "facts.yml: exit code" "$ans_rc" "$pc_rc"
expect_eq "facts.yml: recap" "$(recap "$work/facts.ans")" "$(recap "$work/facts.pc")"
mode=check
[ -z "${FACTS_RECORD:-}" ] || mode=record
expect "facts compared key by key (fixture.json)" \
  python3 "$PLAYC_SRC/tests/facts/compare.py" "$mode" "$PLAYC_SRC/tests/facts/fixture.json" "$work/facts.ans" "$work/facts.pc"
# everything after the first task's facts dump, the interpreter discovery aside
rest() {
  python3 - "$1" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
text = text[text.index("TASK [injected forms]"):]
text = text[:text.index("PLAY RECAP")]
def clean(m):
    r = json.loads(m.group(2))
    r.pop("invocation", None)
    f = r.get("ansible_facts")
    if isinstance(f, dict):
        f.pop("discovered_interpreter_python", None)
        if not f:
            del r["ansible_facts"]
    return m.group(1) + json.dumps(r, sort_keys=True)
print(re.sub(r"^(fatal: \[\w+\]: FAILED! => )(\{.*\})$", clean, text, flags=re.M))
PY
}
expect_eq "facts.yml: subsets, filter, local facts, cacheable, clear_facts" "$(rest "$work/facts.ans")" \
  "$(rest "$work/facts.pc")"
finish
