# lib.sh — shared by the test scripts: assertions that count failures, a
# work directory removed at exit, sshd harness start/stop by pid.
set -uo pipefail
# Every suite reads a /dev/null of its own: ctest's suites otherwise share
# one stdin, and OpenSSH (ansible-playbook's ssh, its ControlPersist master
# living on after the run) leaves the stdin it has non-blocking, which makes
# the next Ansible of any suite fail ("Ansible requires blocking IO").
exec </dev/null
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

# Oracle cache. What ansible-playbook prints does not depend on the playc
# build, so scripts/test.sh has the sanitizer pass replay the oracle runs the
# release pass made. PLAYC_ORACLE_CACHE=DIR turns it on; with
# PLAYC_ORACLE_CACHE_MODE=record the oracle always runs (a live sample on every
# test run) and its results are stored; otherwise (replay) a stored result is
# used when there is one and the oracle runs on a miss. A suite uses it only
# for oracle runs whose effects playc's runs do not see.
oracle_version=
# VALUE=TOKEN pairs a suite adds: names of this run (a harness folder, a
# port) that a stored output holds as TOKEN
oracle_subst=()
# oracle_sed TO-TOKENS|FROM-TOKENS: the sed script that swaps them
oracle_sed() {
  local p
  for p in "${oracle_subst[@]}" "$work=@PLAYC_WORK@"; do
    if [ "$1" = to ]; then printf 's|%s|%s|g\n' "${p%%=*}" "${p#*=}"
    else printf 's|%s|%s|g\n' "${p#*=}" "${p%%=*}"; fi
  done
}
# oracle_key PART...: the key of one oracle run: a hash of Ansible's version
# (and its Python's, Jinja's), the ANSIBLE_* environment, the calling script,
# lib.sh and each PART (a folder's tree, a file's mode and content, or else
# the string itself), with this run's $work made WORK
oracle_key() {
  [ -n "$oracle_version" ] || oracle_version=$(ansible --version 2>&1)
  local p
  {
    printf '%s\n' "$oracle_version"
    env | grep '^ANSIBLE_' | sort
    sha1sum < "$0"
    sha1sum < "$PLAYC_SRC/tests/lib.sh"
    for p in "$@"; do
      if [ -d "$p" ]; then echo "dir"; tree "$p"
      elif [ -f "$p" ]; then echo "file $(stat -c %a "$p")"; sha1sum < "$p"
      else printf 'arg %s\n' "$p"
      fi
    done
  } | sed "s|$work|WORK|g" | sha256sum | cut -c1-40
}
# oracle_load KEY FILE...: the FILEs (names in $work) as stored under KEY, this
# run's $work in place of the recording's; status 1 on a miss (or when
# recording), so the caller runs the oracle then oracle_save
oracle_load() {
  local key=$1 f; shift
  [ -n "${PLAYC_ORACLE_CACHE:-}" ] && [ "${PLAYC_ORACLE_CACHE_MODE:-replay}" != record ] \
    && [ -f "$PLAYC_ORACLE_CACHE/$key/done" ] || { echo run >> "$work/oracle-stats"; return 1; }
  for f in "$@"; do
    sed "$(oracle_sed from)" "$PLAYC_ORACLE_CACHE/$key/$f" > "$work/$f" || { echo run >> "$work/oracle-stats"; return 1; }
  done
  echo replayed >> "$work/oracle-stats"
}
# oracle_save KEY FILE...: store the FILEs (names in $work) under KEY
oracle_save() {
  local key=$1 f tmp; shift
  [ -n "${PLAYC_ORACLE_CACHE:-}" ] || return 0
  mkdir -p "$PLAYC_ORACLE_CACHE" && tmp=$(mktemp -d "$PLAYC_ORACLE_CACHE/.new.XXXXXX") || return 0
  for f in "$@"; do sed "$(oracle_sed to)" "$work/$f" > "$tmp/$f"; done
  touch "$tmp/done"
  rm -rf "${PLAYC_ORACLE_CACHE:?}/$key"
  mv -T "$tmp" "$PLAYC_ORACLE_CACHE/$key" 2>/dev/null || rm -rf "$tmp"
}

finish() {
  [ -z "${PLAYC_ORACLE_CACHE:-}" ] || echo "oracle cache: $(cat "$work/oracle-stats" 2>/dev/null | grep -c replayed) replayed," \
    "$(cat "$work/oracle-stats" 2>/dev/null | grep -c run) run (${PLAYC_ORACLE_CACHE_MODE:-replay})"
  echo "$passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
