#!/bin/sh
# pkg_stub.sh — `pkg` (IPS, Solaris 11 / illumos) for the pkg5 case on a
# machine without it: it logs its argv to $d/argv (d: set by pkg5.setup),
# keeps installed packages as files in $d/installed and the ones with a
# newer version in $d/newer, and answers as pkg(1) documents it:
#   pkg list -- NAME       installed: a listing line, rc 0; else rc 1
#   pkg list -u -- NAME    a newer version exists: rc 0; else rc 1
#   pkg install|uninstall [-n] [OPTIONS] -q -- NAMES   rc 0 (-n: nothing
#                          changed); rc 4 when there is nothing to do; an
#                          unknown name (one starting "nope"): rc 1
d=$PKG_STUB_DIR
mkdir -p "$d/installed" "$d/newer"
printf '%s\n' "pkg $*" >> "$d/argv"
key() { printf %s "$1" | tr '/@,:' '____'; }
case $1 in
list)
  shift; u=0; [ "$1" = -u ] && { u=1; shift; }; [ "$1" = -- ] && shift
  k=$(key "$1")
  if [ $u = 1 ]; then
    [ -f "$d/installed/$k" ] && [ -f "$d/newer/$k" ] && { echo "$1 1.1-0 i--"; exit 0; }
    echo "pkg list: no packages have newer versions available" >&2; exit 1
  fi
  [ -f "$d/installed/$k" ] && { echo "NAME (PUBLISHER) VERSION IFO"; echo "$1 1.0-0 i--"; exit 0; }
  echo "pkg list: No packages matching '$1' installed" >&2; exit 1;;
install|uninstall)
  op=$1; shift; dry=0
  while [ $# -gt 0 ] && [ "$1" != -- ]; do [ "$1" = -n ] && dry=1; shift; done
  shift; todo=0
  for p in "$@"; do
    case $p in nope*) echo "pkg $op: The following pattern(s) did not match any allowable packages: $p" >&2; exit 1;; esac
    k=$(key "$p")
    if [ $op = install ]; then { [ ! -f "$d/installed/$k" ] || [ -f "$d/newer/$k" ]; } && todo=1
    else [ -f "$d/installed/$k" ] && todo=1; fi
  done
  [ $todo = 1 ] || exit 4
  [ $dry = 1 ] && exit 0
  for p in "$@"; do
    k=$(key "$p")
    if [ $op = install ]; then : > "$d/installed/$k"; rm -f "$d/newer/$k"; else rm -f "$d/installed/$k"; fi
  done
  exit 0;;
esac
echo "pkg_stub: unexpected arguments: $*" >&2; exit 2
