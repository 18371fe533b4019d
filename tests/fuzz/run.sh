#!/usr/bin/env bash
# run.sh [-t SECONDS] [-j JOBS] [TARGET...] — builds the libFuzzer targets
# (clang-14, -fsanitize=fuzzer,address,undefined, in build-fuzz/, apart from
# the gcc builds) and runs each for SECONDS (default 25) from its corpus in
# build-fuzz/fuzz-corpus/<target>/, seeded by seeds.py from the repository's
# tests and samples and ../shared/corpus. Prints executions, coverage and
# features per target; exits 1 if a target crashed, hung, leaked or tripped a
# sanitizer (the reproducer is in build-fuzz/fuzz-crashes/<target>/). Inputs
# kept in tests/fuzz/crashes/<target>/ are replayed first, every run.
# Targets: fuzz_yaml fuzz_playbook fuzz_jinja fuzz_inventory fuzz_extra_vars.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
secs=25
jobs=1
while getopts "t:j:" o; do
  case $o in
    t) secs=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *) sed -n '2,10p' "$0"; exit 5 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_yaml fuzz_playbook fuzz_jinja fuzz_inventory fuzz_extra_vars)
b=$src/build-fuzz
cc=$(command -v clang-14 || command -v clang) || { echo "fuzz: clang not found (scripts/deps.sh installs clang-14)"; exit 1; }
CC=$cc cmake -S "$src" -B "$b" -DPLAYC_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null || exit 1
cmake --build "$b" -j "$(nproc 2>/dev/null || echo 2)" --target fuzz_all >/dev/null || { echo "fuzz: build failed"; exit 1; }

seeds=("$src/tests" "$src/samples")
[ -d "$src/../shared/corpus" ] && seeds+=("$src/../shared/corpus")
python3 "$src/tests/fuzz/seeds.py" "$b/fuzz-seeds" "${seeds[@]}" || exit 1

declare -A dict=([fuzz_yaml]=yaml.dict [fuzz_playbook]=yaml.dict [fuzz_jinja]=jinja.dict
                 [fuzz_inventory]=inventory.dict [fuzz_extra_vars]=yaml.dict)
status=0
printf '%-16s %10s %8s %6s %7s %7s  %s\n' target runs exec/s cov ft corpus result
for t in "${targets[@]}"; do
  corpus=$b/fuzz-corpus/$t crashes=$b/fuzz-crashes/$t
  mkdir -p "$corpus" "$crashes"
  work=$(mktemp -d "${TMPDIR:-/tmp}/playc-fuzz-run.XXXXXX")
  log=$b/fuzz-$t.log
  # inputs that crashed a target once are replayed first, whole (no -max_len)
  replay=ok
  known=("$src/tests/fuzz/crashes/$t"/*)
  if [ -e "${known[0]}" ]; then
    (cd "$work" && TMPDIR=$work "$b/fuzz/$t" -timeout=20 -rss_limit_mb=2560 "${known[@]}" \
       >"$b/fuzz-$t-replay.log" 2>&1) || replay="FAILED replaying tests/fuzz/crashes/$t (see $b/fuzz-$t-replay.log)"
  fi
  par=()
  [ "$jobs" -gt 1 ] && par=(-fork="$jobs" -ignore_crashes=0)
  # in an empty working folder: copy src: names resolve beside "fuzz.yml"
  (cd "$work" && TMPDIR=$work "$b/fuzz/$t" -max_total_time="$secs" -max_len=8192 -timeout=20 \
     -rss_limit_mb=2560 -malloc_limit_mb=2048 "${par[@]}" \
     -dict="$src/tests/fuzz/${dict[$t]}" -artifact_prefix="$crashes/" -print_final_stats=1 \
     "$corpus" "$b/fuzz-seeds/$t" >"$log" 2>&1)
  rc=$?
  rm -rf "$work"
  line=$(grep -E '#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1)
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | awk '{s += $1} END {if (NR) print s}')
  eps=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | awk '{s += $1} END {if (NR) print s}')
  cov=$(grep -oE 'cov: [0-9]+' <<<"$line" | grep -oE '[0-9]+')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$line" | grep -oE '[0-9]+')
  files=$(find "$corpus" -type f | wc -l)
  result=ok
  if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY:' "$log"; then
    result="FAILED (see $log, $crashes)"
    status=1
  fi
  if [ "$replay" != ok ]; then
    result="$result; $replay"
    status=1
  fi
  printf '%-16s %10s %8s %6s %7s %7s  %s\n' "$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$files" "$result"
done
exit $status
