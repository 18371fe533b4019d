#!/usr/bin/env bash
# Installs what is missing, builds playc twice (release, and ASan+UBSan) and
# runs every test with ctest in both builds. Exit status: 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
status=0
for b in build build-asan; do
  flags=()
  [ "$b" = build-asan ] && flags=(-DPLAYC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  cmake -S . -B "$b" "${flags[@]}" >/dev/null
  cmake --build "$b" -j "$jobs"
  echo "== ctest ($b)"
  (cd "$b" && ASAN_OPTIONS=detect_leaks=1 ctest -j "$jobs" --output-on-failure) || status=1
done
exit $status
