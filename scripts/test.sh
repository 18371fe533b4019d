#!/usr/bin/env bash
# Installs what is missing, builds playc twice (release, and ASan+UBSan) and
# runs every test with ctest in both builds, then builds the libFuzzer targets
# (clang, build-fuzz/) and runs each briefly (tests/fuzz/run.sh; FUZZ_SECONDS
# each, 20 by default, 0 to skip). Exit status: 0 only if all pass.
# ansible-playbook's results do not depend on the build: the release pass runs
# the oracles live and records them in build/oracle-cache (tests/lib.sh), the
# sanitizer pass replays them (an oracle run missing there runs live). The
# sanitizer build runs niced beside the release tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
status=0
export PLAYC_ORACLE_CACHE=${PLAYC_ORACLE_CACHE:-$PWD/build/oracle-cache}
cmake -S . -B build >/dev/null
cmake --build build -j "$jobs"
# The sanitizer build compiles (niced) while the release tests run: they
# mostly wait on SSH round trips and Python start-ups, leaving CPU idle.
cmake -S . -B build-asan -DPLAYC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
nice -n 10 cmake --build build-asan -j "$jobs" > build-asan/build.log 2>&1 &
asan_build=$!
echo "== ctest (build)"
(cd build && PLAYC_ORACLE_CACHE_MODE=record ASAN_OPTIONS=detect_leaks=1 \
   ctest -j "$jobs" --output-on-failure) || status=1
if ! wait "$asan_build"; then
  tail -50 build-asan/build.log
  echo "build-asan: the build failed (build-asan/build.log)"
  exit 1
fi
echo "== ctest (build-asan)"
(cd build-asan && PLAYC_ORACLE_CACHE_MODE=replay ASAN_OPTIONS=detect_leaks=1 \
   ctest -j "$jobs" --output-on-failure) || status=1
if [ "${FUZZ_SECONDS:-20}" -gt 0 ]; then
  echo "== fuzz (${FUZZ_SECONDS:-20} s per target)"
  bash tests/fuzz/run.sh -t "${FUZZ_SECONDS:-20}" || status=1
fi
exit $status
