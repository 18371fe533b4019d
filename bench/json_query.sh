#!/usr/bin/env bash
# bench/json_query.sh — community.general.json_query (docs/jmespath.md):
# 200 queries in two looped debug tasks (a filter with contains and a
# projection; a sort_by with a multi-select hash), each over a 2,000-element
# list from a vars file, run by the compiled playbook and by ansible-playbook
# (with Debian's collections). Checks that both print the same results, then
# prints wall and CPU seconds of each.
#   PLAYC=build/playc bash bench/json_query.sh
set -euo pipefail
playc=${PLAYC:-$(dirname "$0")/../build/playc}
work=$(mktemp -d /tmp/playc-jqbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/vars.json" <<'P'
import json, sys
data = [{"name": "n%d" % i, "age": i % 97, "tags": ["t%d" % (i % 5)], "addr": {"city": "c%d" % (i % 13)}}
        for i in range(2000)]
json.dump({"data": data}, open(sys.argv[1], "w"))
P
cat > "$work/pb.yml" <<'Y'
- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [vars.json]
  tasks:
    - debug:
        msg: "{{ data | json_query('[?age > `50` && contains(tags, `\"t1\"`)].addr.city') | length }}"
      loop: "{{ range(100) | list }}"
      loop_control: {label: "{{ item }}"}
    - debug:
        msg: "{{ data | json_query('sort_by([?age > `90`], &age)[*].{n: name, c: addr.city}') | length }}"
      loop: "{{ range(100) | list }}"
      loop_control: {label: "{{ item }}"}
Y
cd "$work"
"$playc" pb.yml -o pb
/usr/bin/time -f "%e %U %S" ./pb > playc.out 2> playc.time
ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-/opt/playc/ansible-collections} ANSIBLE_NOCOLOR=1 \
  /usr/bin/time -f "%e %U %S" ansible-playbook pb.yml > ansible.out 2> ansible.time
cmp <(grep '"msg"' playc.out) <(grep '"msg"' ansible.out) || { echo "json_query bench: the outputs differ"; exit 1; }
for who in playc ansible; do
  read -r wall user sys < <(tail -1 $who.time)
  echo "$who: ${wall} s wall, $(echo "$user + $sys" | bc) s CPU"
done
