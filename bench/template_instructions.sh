#!/bin/sh
# bench/template_instructions.sh — instructions per render of
# bench/template_render.py's template, as callgrind counts them: the bench's
# playbook compiled with 1 and with 6 renders, each binary run under
# `valgrind --tool=callgrind`, (total(6) - total(1)) / 5. Independent of the
# machine's load (what the CPU times of template_render.py are not); the
# users list, built once per run, and the final copy cancel out.
#
#   bench/template_instructions.sh [PLAYC]     (default: build/playc)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PLAYC=$(cd "$(dirname "${1:-$ROOT/build/playc}")" && pwd)/$(basename "${1:-$ROOT/build/playc}")
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for k in 1 6; do
  mkdir -p "$W/p$k"
  python3 -c "
import sys
sys.path.insert(0, '$ROOT/bench')
import template_render as t
open('$W/p$k/pb.yml', 'w').write(t.playbook(t.gen_users(1000), $k, '$W/p$k/out.txt'))"
  (cd "$W/p$k" && "$PLAYC" pb.yml -o pb.bin >/dev/null 2>&1)
  (cd "$W/p$k" && valgrind --tool=callgrind --callgrind-out-file="$W/cg$k.out" ./pb.bin >/dev/null 2>"$W/vg$k.txt")
done
a=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$W/vg1.txt")
b=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$W/vg6.txt")
echo "instructions per render: $(( (b - a) / 5 )) (1 render: $a, 6 renders: $b)"
