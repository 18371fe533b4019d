#!/bin/sh
# dnf_stub.sh — dnf 4 and rpm 4.16 for the dnf case on a machine without
# them: installed as $d/../bin/dnf and rpm (d: set by dnf.setup), it logs
# its argv to $d/argv and answers from $d/installed/NAME and $d/avail/NAME
# (each holding VERSION-RELEASE; arch x86_64, no epoch) and
# $d/provides/CAPABILITY (the providing package's name), as the stand-in of
# dnf's Python API (files/dnfapi) reads the same files:
#   rpm [--root R] -q [-a] --qf FMT [--whatprovides] [--] [SPEC]
#       FMT with %{name}, %{version}, %{release}, %{arch}, %|epoch?{%{epoch}:}| and \n
#   dnf [OPTIONS] repoquery [--upgrades|--unneeded|--installed|--available] [--latest-limit N] --qf FMT
#       [--whatprovides] [--] [SPEC]     FMT also with %{epoch} (0), %{repoid}, %{installtime}
#   dnf [OPTIONS] repolist --enabled   the repositories of $d/repos
#   dnf [OPTIONS] makecache | -y|--assumeno install|upgrade|remove|autoremove [--] [SPECS]
#       a name in $d/fail fails its transaction as a depsolve error (rc 1)
d=$DNF_STUB_DIR
me=$(basename "$0")
printf '%s\n' "$me $*" >> "$d/argv"
fmt() { # FMT NAME VR
  v=${3%-*} r=${3##*-}
  printf '%b' "$(printf '%s' "$1" | sed -e 's/%|epoch?{%{epoch}:}|//g' -e "s/%{name}/$2/g" -e "s/%{version}/$v/g" \
    -e "s/%{release}/$r/g" -e "s/%{arch}/x86_64/g" -e "s/%{evr}/$3/g" -e "s/%{epoch}/0/g" \
    -e "s/%{repoid}/$([ "$src" = installed ] && echo @System || echo base)/g" \
    -e "s/%{installtime}/$([ "$src" = installed ] && echo 1 || echo 0)/g")"
}
match() { # DIR SPEC → the names of DIR the spec names (globs too)
  for f in "$1"/*; do
    [ -f "$f" ] || continue; n=$(basename "$f"); vr=$(cat "$f")
    case $2 in "$n"|"$n-${vr%-*}"|"$n-$vr"|"$n-$vr.x86_64"|"$n.x86_64") echo "$n"; continue;; esac
    case $n in $2) echo "$n";; esac
  done
}
q= wp=0 a=0 s= op= up=0 un=0 y=0 no=0 dl=0 src=avail
while [ $# -gt 0 ]; do
  case $1 in
  -q|--quiet|--refresh|--nogpgcheck|--skip-broken|--nobest|--cacheonly|--security|--bugfix) shift;;
  --downloadonly) dl=1; shift;;
  --qf) q=$2; shift 2;; --whatprovides) wp=1; shift;; -a) a=1; shift;; --root) shift 2;;
  --upgrades) up=1; shift;; --installed) src=installed; shift;; --available|--enabled) shift;; --unneeded) un=1; shift;; --latest-limit) shift 2;; -y) y=1; shift;; --assumeno) no=1; shift;;
  --) shift; break;;
  -*) shift;;
  *) if [ $me = dnf ] && [ -z "$op" ]; then op=$1; shift; else break; fi;;
  esac
done
if [ $me = rpm ]; then
  s=${1:-*}
  if [ $wp = 1 ]; then
    p=$(cat "$d/provides/$s" 2>/dev/null)
    if [ -n "$p" ] && [ -f "$d/installed/$p" ]; then fmt "$q" "$p" "$(cat "$d/installed/$p")"; exit 0; fi
    echo "no package provides $s"; exit 1
  fi
  l=$(match "$d/installed" "$s")
  if [ -z "$l" ]; then [ $a = 1 ] && exit 0; echo "package $s is not installed"; exit 1; fi
  for n in $l; do fmt "$q" "$n" "$(cat "$d/installed/$n")"; done; exit 0
fi
case $op in
makecache) echo "Metadata cache created."; exit 0;;
repolist) echo "repo id                      repo name"; while read -r r; do printf '%-28s %s\n' "$r" "$r"; done <"$d/repos"; exit 0;;
repoquery)
  s=${1:-*}
  if [ $un = 1 ]; then exit 0; fi
  if [ $wp = 1 ]; then
    p=$(cat "$d/provides/$s" 2>/dev/null); [ -n "$p" ] || p=$s
    [ -f "$d/avail/$p" ] && fmt "$q" "$p" "$(cat "$d/avail/$p")"; exit 0
  fi
  [ "$src" = installed ] && { for n in $(match "$d/installed" "$s"); do fmt "$q" "$n" "$(cat "$d/installed/$n")"; done; exit 0; }
  for n in $(match "$d/avail" "$s"); do
    if [ $up = 1 ]; then
      [ -f "$d/installed/$n" ] && [ "$(cat "$d/installed/$n")" != "$(cat "$d/avail/$n")" ] || continue
    fi
    fmt "$q" "$n" "$(cat "$d/avail/$n")"
  done; exit 0;;
install|upgrade|remove|autoremove)
  todo=
  [ $op = upgrade ] && [ $# = 0 ] && set -- $(ls "$d/installed")
  for s in "$@"; do
    case $op in
    remove) for n in $(match "$d/installed" "$s"); do todo="$todo $n"; done;;
    autoremove) ;;
    *)
      l=$(match "$d/avail" "$s"); [ -n "$l" ] || l=$(cat "$d/provides/$s" 2>/dev/null)
      [ -n "$l" ] || { echo "Error: Unable to find a match: $s" >&2; exit 1; }
      for n in $l; do
        [ -f "$d/installed/$n" ] && { [ $op = install ] || [ "$(cat "$d/installed/$n")" = "$(cat "$d/avail/$n")" ]; } && continue
        todo="$todo $n"
      done;;
    esac
  done
  [ -n "$todo" ] || { echo "Dependencies resolved."; echo "Nothing to do."; echo "Complete!"; exit 0; }
  for p in $todo; do
    if grep -qx -- "$p" "$d/fail" 2>/dev/null; then
      printf 'Error: \n Problem: conflicting requests\n  - nothing provides libmissing.so.1()(64bit) needed by %s-%s.x86_64\n' \
        "$p" "$(cat "$d/avail/$p")" >&2; exit 1
    fi
  done
  [ $no = 0 ] || { echo "Operation aborted." >&2; exit 1; }
  [ $dl = 0 ] || { echo "Complete!"; echo "The downloaded packages were saved in cache."; exit 0; }
  for p in $todo; do
    case $op in remove) rm -f "$d/installed/$p";; *) cp "$d/avail/$p" "$d/installed/$p";; esac
  done
  echo "Complete!"; exit 0;;
esac
echo "No such command: $op. Please use /usr/bin/dnf --help" >&2; exit 1
