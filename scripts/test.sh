#!/usr/bin/env bash
# Installs what is missing, builds playc twice (release, and ASan+UBSan) and
# runs every test with ctest in both builds, then the multi-host suites in a
# ThreadSanitizer build (build-tsan/), then builds the libFuzzer targets
# (clang, build-fuzz/) and runs each briefly (tests/fuzz/run.sh; FUZZ_SECONDS
# each, 20 by default, 0 to skip). Exit status: 0 only if all pass.
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
# ThreadSanitizer: the runtime and the compiled playbooks built with
# -fsanitize=thread (build-tsan/, only the compiler and the runtime), and
# only the suites whose hosts run in parallel threads; any TSan report fails
# them (halt_on_error, exitcode 66). ~TSAN_MINUTES of CI: see docs/testing.md.
echo "== ThreadSanitizer (build-tsan): multi-host suites"
tsan_start=$(date +%s)
cmake -S . -B build-tsan -DPLAYC_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-tsan -j "$jobs" --target playc playcrt
(cd build-tsan && TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" MULTIHOST_LIVE=0 \
  ctest -R '^(run_multihost)$' --output-on-failure) || status=1
echo "== ThreadSanitizer pass: $(($(date +%s) - tsan_start)) s"
if [ "${FUZZ_SECONDS:-20}" -gt 0 ]; then
  echo "== fuzz (${FUZZ_SECONDS:-20} s per target)"
  bash tests/fuzz/run.sh -t "${FUZZ_SECONDS:-20}" || status=1
fi
exit $status
