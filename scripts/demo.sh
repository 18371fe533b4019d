#!/usr/bin/env bash
# The main job on an embedded default: install, build, compile the sample
# playbook, and run it against a throwaway target (a private sshd on
# 127.0.0.2, stopped at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"
work=$(mktemp -d /tmp/playc-demo.XXXXXX)
chmod 0755 "$work"
trap 'tests/harness/sshd.sh stop "$work/sshd"; rm -rf "$work"' EXIT
tests/harness/sshd.sh start "$work/sshd" 1
build/playc samples/hello/site.yml -o "$work/hello"
mkdir -m 0777 "$work/out"
echo "== compiled: $work/hello ($(stat -c %s "$work/hello") bytes); running it over SSH"
"$work/hello" -i "$work/sshd/inventory.ini" --known-hosts "$work/sshd/known_hosts" \
  -e base_dir="$work/out"
echo "== files it made on the target:"
find "$work/out" -printf '%M %u %p\n' | sort -k3
