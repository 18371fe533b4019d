# lib.sh — shared by the test scripts: assertions that count failures, a
# work directory removed at exit, sshd harness start/stop by pid.
set -uo pipefail
: "${PLAYC:?set PLAYC to the playc binary}"
: "${PLAYC_SRC:?set PLAYC_SRC to the source tree}"
export PLAYC_RUNTIME
failures=0
passes=0
work=$(mktemp -d /tmp/playc-test.XXXXXX)
chmod 0755 "$work"
harness_dirs=()

cleanup() {
  for d in "${harness_dirs[@]}"; do "$PLAYC_SRC/tests/harness/sshd.sh" stop "$d"; done
  rm -rf "$work"
}
trap cleanup EXIT

ok() { passes=$((passes + 1)); echo "ok: $*"; }
bad() { failures=$((failures + 1)); echo "FAIL: $*"; }
# expect DESC COMMAND...: the command must succeed
expect() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
# expect_eq DESC WANT GOT
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1"; diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | head -40; return 1; fi
}

# harness_start N → sets H (its directory)
harness_start() {
  H=$(mktemp -d "$work/sshd.XXXX")
  harness_dirs+=("$H")
  "$PLAYC_SRC/tests/harness/sshd.sh" start "$H" "$1" >/dev/null
}

# recap FILE: the PLAY RECAP lines, whitespace squeezed
recap() { sed -n '/^PLAY RECAP/,$p' "$1" | sed '1d;/^$/d' | tr -s ' '; }

# a world-writable directory every test user can write in
shared_dir() { local d; d=$(mktemp -d "$work/$1.XXXX"); chmod 0777 "$d"; echo "$d"; }

# tree DIR: relative paths, modes, sizes and content hashes of everything below
tree() {
  (cd "$1" && find . -mindepth 1 -printf '%P %y %m %s\n' | sort && \
   find . -type f -print0 | sort -z | xargs -0 -r sha1sum)
}

finish() {
  echo "$passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
