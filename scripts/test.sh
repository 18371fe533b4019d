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
# them (halt_on_error, exitcode 66). Budget: at most 6 minutes of CI on 2 cores
# (the pass prints its time).
echo "== ThreadSanitizer (build-tsan): multi-host suites"
tsan_start=$(date +%s)
tsan_structure="run_once delegate strategy_free strategy_host_pinned throttle serial facts_includes handlers_failed_host"
cmake -S . -B build-tsan -DPLAYC_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-tsan -j "$jobs" --target playc playcrt
# run_structure: the playbooks whose hosts share state across threads (run_once,
# delegation, free and host_pinned, throttle, serial), compared with their
# fixtures (the live ansible-playbook sample is the release pass's)
(cd build-tsan && export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
  MULTIHOST_LIVE=0 STRUCTURE_LIVE="" STRUCTURE_ONLY="$tsan_structure" &&
  ctest -R '^(run_multihost|run_structure)$' --output-on-failure) || status=1
echo "== ThreadSanitizer pass: $(($(date +%s) - tsan_start)) s"
if [ "${FUZZ_SECONDS:-20}" -gt 0 ]; then
  echo "== fuzz (${FUZZ_SECONDS:-20} s per target)"
  bash tests/fuzz/run.sh -t "${FUZZ_SECONDS:-20}" || status=1
fi
exit $status
