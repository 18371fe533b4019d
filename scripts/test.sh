#!/usr/bin/env bash
# Installs what is missing, builds playc twice (release, and ASan+UBSan) and
# runs every test with ctest in both builds, then the multi-host suites in a
# ThreadSanitizer build (build-tsan/), then builds the libFuzzer targets
# (clang, build-fuzz/) and runs each briefly (tests/fuzz/run.sh; FUZZ_SECONDS
# each, 20 by default, 0 to skip). Exit status: 0 only if all pass.
# ansible-playbook's results do not depend on the build: the release pass runs
# the oracles live and records them in build/oracle-cache (tests/lib.sh), the
# sanitizer pass replays them (an oracle run missing there runs live). The
# sanitizer build runs niced beside the release tests, the ThreadSanitizer
# build beside the sanitizer tests.
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
# the ThreadSanitizer build, niced likewise, beside the sanitizer tests
cmake -S . -B build-tsan -DPLAYC_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
nice -n 10 cmake --build build-tsan -j "$jobs" --target playc playcrt > build-tsan/build.log 2>&1 &
tsan_build=$!
echo "== ctest (build-asan)"
(cd build-asan && PLAYC_ORACLE_CACHE_MODE=replay ASAN_OPTIONS=detect_leaks=1 \
   ctest -j "$jobs" --output-on-failure) || status=1
# ThreadSanitizer: the runtime and the compiled playbooks built with
# -fsanitize=thread (build-tsan/, only the compiler and the runtime), and
# only the suites whose hosts run in parallel threads; any TSan report fails
# them (halt_on_error, exitcode 66). Budget: at most 6 minutes of CI on 2 cores
# (the pass prints its time).
echo "== ThreadSanitizer (build-tsan): multi-host suites"
tsan_start=$(date +%s)
tsan_structure="run_once delegate strategy_free strategy_host_pinned throttle serial facts_includes handlers_failed_host"
if ! wait "$tsan_build"; then
  tail -50 build-tsan/build.log
  echo "build-tsan: the build failed (build-tsan/build.log)"
  exit 1
fi
# run_structure: the playbooks whose hosts share state across threads (run_once,
# delegation, free and host_pinned, throttle, serial), compared with their
# fixtures (the live ansible-playbook sample is the release pass's); the
# connection keyword (parked connections) and delegate_facts (the facts
# inbox, a free play among them) beside ansible-playbook (oracle cache)
(cd build-tsan && export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
  MULTIHOST_LIVE=0 STRUCTURE_LIVE="" STRUCTURE_ONLY="$tsan_structure" &&
  ctest -R '^(run_multihost|run_structure|run_conn_task|run_delegate_facts)$' --output-on-failure) || status=1
echo "== ThreadSanitizer pass: $(($(date +%s) - tsan_start)) s"
if [ "${FUZZ_SECONDS:-20}" -gt 0 ]; then
  echo "== fuzz (${FUZZ_SECONDS:-20} s per target)"
  bash tests/fuzz/run.sh -t "${FUZZ_SECONDS:-20}" || status=1
fi
exit $status
