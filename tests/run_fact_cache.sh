#!/usr/bin/env bash
# The fact cache (runtime/factcache.c) against ansible-playbook on the
# harness sshd: `gathering = smart` with `fact_caching = jsonfile`, the cache
# files in Ansible's format (Python re-dumps them byte for byte, mode 0600,
# the keys Ansible writes), a cache written by ansible-playbook read by playc
# and one written by playc read by ansible-playbook (no gathering, the cached
# facts in use), fact_caching_timeout, --flush-cache and meta: clear_facts.
. "$(dirname "$0")/lib.sh"

harness_start 1
cfg=$work/ansible.cfg
cat > "$cfg" <<CFG
[defaults]
host_key_checking = True
retry_files_enabled = False
nocolor = True
local_tmp = $work/ansible-local
gathering = smart
fact_caching = jsonfile
fact_caching_connection = $work/unused
fact_caching_timeout = 60
[ssh_connection]
pipelining = True
ssh_args = -F $H/ssh_config
CFG
export ANSIBLE_CONFIG=$cfg
pbdir=$work/pb
mkdir -p "$pbdir"
cat > "$pbdir/write.yml" <<'YML'
- hosts: h1
  tasks:
    - set_fact: {cached_one: "é-{{ ansible_distribution }}", cacheable: true}
- hosts: h1
  tasks:
    - debug: msg="{{ ansible_facts.cached_one }} {{ ansible_distribution }}"
YML
cat > "$pbdir/read.yml" <<'YML'
- hosts: h1
  tasks:
    - debug: msg="{{ ansible_facts.cached_one | default('none') }} {{ ansible_facts.distribution | default('none') }} {{ cached_one | default('none') }}"
YML
cat > "$pbdir/clear.yml" <<'YML'
- hosts: h1
  gather_facts: false
  tasks:
    - meta: clear_facts
YML
for p in write read clear; do
  (cd "$work" && "$PLAYC" "$pbdir/$p.yml" -o "$work/$p.bin") || bad "compile $p.yml"
done

# ans DIR PB [ARGS] / pc DIR PB [ARGS]: a run with its cache in DIR
ans() { local d=$1 p=$2; shift 2; ANSIBLE_CACHE_PLUGIN_CONNECTION=$d ansible-playbook -i "$H/inventory.ini" "$@" "$pbdir/$p.yml" 2>&1; }
pc() { local d=$1 p=$2; shift 2; ANSIBLE_CACHE_PLUGIN_CONNECTION=$d "$work/$p.bin" -i "$H/inventory.ini" --known-hosts "$H/known_hosts" "$@" 2>&1; }
# the outline: banners, host lines, messages
outline() { grep -E '^(PLAY|TASK|ok:|changed:|fatal:|skipping:)|"msg"' | tr -s ' '; }

# a cache each writes: the same run, and files in Ansible's format
A=$work/cache-ans P=$work/cache-pc
want=$(ans "$A" write | outline)
got=$(pc "$P" write | outline)
expect_eq "write.yml (smart: the second play does not gather)" "$want" "$got"
[ "$(grep -c 'Gathering Facts' <<<"$got")" = 1 ] || bad "write.yml: gathered other than once"
expect_eq "the cache file's mode" "$(stat -c %a "$A/h1")" "$(stat -c %a "$P/h1")"
expect "playc's cache file is json.dumps(sort_keys=True, indent=4) of itself" python3 -c '
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
sys.exit(text != json.dumps(json.loads(text), sort_keys=True, indent=4))' "$P/h1"
expect "the keys Ansible caches (what playc does not gather aside: tests/facts/fixture.json)" python3 -c '
import json, sys
a, p, fx = (json.load(open(f)) for f in sys.argv[1:4])
absent = {"ansible_" + k for k, v in fx.items() if v["rule"] == "absent"} | {"discovered_interpreter_python"}
extra, missing = set(p) - set(a), set(a) - set(p) - absent
print("extra", sorted(extra), "missing", sorted(missing)) if extra or missing else None
sys.exit(bool(extra or missing) or a["cached_one"] != p["cached_one"] or a["_ansible_facts_gathered"] is not True
         or p["_ansible_facts_gathered"] is not True)' "$A/h1" "$P/h1" "$PLAYC_SRC/tests/facts/fixture.json"

# each reads the other's cache: no gathering, the cached facts
for src in ans pc; do
  dir=$A; [ $src = pc ] && dir=$P
  cp -a "$dir" "$work/x1-$src"; cp -a "$dir" "$work/x2-$src"
  want=$(ans "$work/x1-$src" read | outline)
  got=$(pc "$work/x2-$src" read | outline)
  expect_eq "read.yml from the cache $src wrote" "$want" "$got"
  grep -q 'Gathering Facts' <<<"$want$got" && bad "read.yml from $src's cache: gathered"
  grep -q '"msg": "é-' <<<"$want" || bad "ansible-playbook did not read the cache $src wrote"
  grep -q '"msg": "é-' <<<"$got" || bad "playc did not read the cache $src wrote"
done

# an entry older than fact_caching_timeout is not read: gathered again
for who in ans pc; do
  cp -a "$A" "$work/old-$who"
  touch -d '2 minutes ago' "$work/old-$who/h1"
done
want=$(ans "$work/old-ans" read | outline)
got=$(pc "$work/old-pc" read | outline)
expect_eq "an expired entry (fact_caching_timeout)" "$want" "$got"
grep -q 'Gathering Facts' <<<"$got" || bad "an expired entry: not gathered"

# --flush-cache: gathered again, set_fact's cached fact gone
cp -a "$A" "$work/flush-ans"; cp -a "$A" "$work/flush-pc"
want=$(ans "$work/flush-ans" read --flush-cache | outline)
got=$(pc "$work/flush-pc" read --flush-cache | outline)
expect_eq "--flush-cache" "$want" "$got"
grep -q '"msg": "none ' <<<"$got" || bad "--flush-cache: a cached fact survived"

# meta: clear_facts removes the host's entry
cp -a "$A" "$work/clear-ans"; cp -a "$A" "$work/clear-pc"
ans "$work/clear-ans" clear >/dev/null
pc "$work/clear-pc" clear >/dev/null
expect_eq "meta: clear_facts (entries left)" "$(ls "$work/clear-ans")" "$(ls "$work/clear-pc")"

finish
