#!/usr/bin/env bash
# bench/hostvars.sh — reading other hosts' vars in a loop: every host sums
# hostvars[n].x over all N hosts (connection local, -f 10), so a run reads
# hostvars N*N times. Prints wall and CPU seconds and peak RSS per host
# count; `hostvars[n]` builds only host n's vars (rt_hostvars_item), where
# building the whole of hostvars for each read made the run cubic in N.
#   PLAYC=build/playc bash bench/hostvars.sh [N...]   (default: 200 1000)
set -euo pipefail
playc=${PLAYC:-$(dirname "$0")/../build/playc}
work=$(mktemp -d /tmp/playc-hvbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/pb.yml" <<'Y'
- hosts: all
  gather_facts: false
  tasks:
    - set_fact:
        total: "{% set s = namespace(v=0) %}{% for n in groups['all'] %}{% set s.v = s.v + hostvars[n].x | int %}{% endfor %}{{ s.v }}"
    - debug: var=total
      when: inventory_hostname == groups['all'][0]
Y
"$playc" "$work/pb.yml" -o "$work/pb"
for n in "${@:-200 1000}"; do
  for n1 in $n; do
    { echo '[all:vars]'; echo 'ansible_connection=local'; echo '[web]'
      for i in $(seq 0 $((n1 - 1))); do echo "h$i x=$i"; done; } > "$work/inv.ini"
    want=$((n1 * (n1 - 1) / 2))
    out=$( { /usr/bin/time -f "%e %U %S %M" "$work/pb" -i "$work/inv.ini" -f 10 > "$work/out" 2>"$work/time"; } 2>&1 || true)
    grep -q "\"total\": \"$want\"" "$work/out" || { echo "hostvars: wrong total for $n1 hosts"; cat "$work/out"; exit 1; }
    read -r wall user sys rss < <(tail -1 "$work/time")
    echo "$n1 hosts: ${wall} s wall, $(echo "$user + $sys" | bc) s CPU, ${rss} KiB peak"
  done
done
