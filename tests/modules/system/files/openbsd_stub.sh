#!/bin/sh
# openbsd_stub.sh — pkg_info, pkg_add and pkg_delete (OpenBSD) for the
# openbsd_pkg case on a machine without them, one script under the three
# names: it logs its argv to $d/argv (d: set by openbsd_pkg.setup), keeps
# each installed package as $d/installed/STEM holding its full name and
# each one the mirror has as $d/avail/STEM, and answers as pkg_add(1),
# pkg_info(1) and pkg_delete(1) document it:
#   pkg_info -Iq inst:SPEC   the installed names matching SPEC, rc 0
#   pkg_add -I.. [-n] SPEC   "NAME: ok" (-n: nothing installed); an unknown
#                            stem: "Can't find SPEC" on stderr, rc 0 for a
#                            stem, rc 1 for a name with a version
#   pkg_add -u.. [-n] [SPEC] "OLD->NEWVERSION: ok" for each installed one
#                            the mirror has newer
#   pkg_delete -I.. [-n] SPEC  "delete NAME", rc 0
d=$OPENBSD_STUB_DIR
me=${0##*/}
printf '%s\n' "$me $*" >> "$d/argv"
# SPEC's stem: without %branch, --flavor, or -version...
stem() { s=${1%%%*}; case $s in *--*) s=${s%%--*};; esac
  printf %s "$s" | sed 's/-[0-9].*//'; }
opts=; while [ $# -gt 0 ]; do case $1 in -D) shift 2;; -Dsnap) shift;; -*) opts=$opts${1#-}; shift;; *) break;; esac; done
dry=0; case $opts in *n*) dry=1;; esac
case $me in
pkg_info)
  spec=${1#inst:}; k=$(stem "$spec")
  [ -f "$d/installed/$k" ] || exit 0
  case $spec in *-[0-9]*) [ "$(cat "$d/installed/$k")" = "${spec%%%*}" ] || exit 0;; esac
  cat "$d/installed/$k"; exit 0;;
pkg_add)
  case $opts in
  *u*)
    if [ $# = 0 ]; then set -- $(ls "$d/installed"); fi
    for p in "$@"; do k=$(stem "$p")
      [ -f "$d/installed/$k" ] && [ -f "$d/avail/$k" ] || continue
      old=$(cat "$d/installed/$k"); new=$(cat "$d/avail/$k")
      [ "$old" = "$new" ] && continue
      echo "$old->${new#"$k"-}: ok"
      [ $dry = 1 ] || cp "$d/avail/$k" "$d/installed/$k"
    done; exit 0;;
  esac
  rc=0
  for p in "$@"; do k=$(stem "$p")
    if [ ! -f "$d/avail/$k" ]; then echo "Can't find $p" >&2; case $p in *-[0-9]*) rc=1;; esac; continue; fi
    echo "$(cat "$d/avail/$k"): ok"
    [ $dry = 1 ] || cp "$d/avail/$k" "$d/installed/$k"
  done; exit $rc;;
pkg_delete)
  for p in "$@"; do k=$(stem "$p")
    [ -f "$d/installed/$k" ] || { echo "$p not installed" >&2; exit 1; }
    echo "delete $(cat "$d/installed/$k")"
    [ $dry = 1 ] || rm -f "$d/installed/$k"
  done; exit 0;;
esac
echo "openbsd_stub: unexpected: $me $*" >&2; exit 2
