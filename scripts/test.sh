#!/usr/bin/env bash
# Installs what is missing, builds playc twice (release, and ASan+UBSan) and
# runs every test with ctest in both builds, then builds the libFuzzer targets
# (clang, build-fuzz/) and runs each briefly (tests/fuzz/run.sh; FUZZ_SECONDS
# each, 20 by default, 0 to skip). Exit status: 0 only if all pass.
# ansible-playbook's results do not depend on the build: the release pass runs
# the oracles live and records them in build/oracle-cache (tests/lib.sh), the
# sanitizer pass replays them (an oracle run missing there runs live).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
status=0
export PLAYC_ORACLE_CACHE=${PLAYC_ORACLE_CACHE:-$PWD/build/oracle-cache}
for b in build build-asan; do
  flags=()
  mode=record
  [ "$b" = build-asan ] && flags=(-DPLAYC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) && mode=replay
  cmake -S . -B "$b" "${flags[@]}" >/dev/null
  cmake --build "$b" -j "$jobs"
  echo "== ctest ($b)"
  (cd "$b" && PLAYC_ORACLE_CACHE_MODE=$mode ASAN_OPTIONS=detect_leaks=1 \
     ctest -j "$jobs" --output-on-failure) || status=1
done
if [ "${FUZZ_SECONDS:-20}" -gt 0 ]; then
  echo "== fuzz (${FUZZ_SECONDS:-20} s per target)"
  bash tests/fuzz/run.sh -t "${FUZZ_SECONDS:-20}" || status=1
fi
exit $status
