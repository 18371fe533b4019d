#!/bin/sh
# ports_stub.sh — FreeBSD's pkg, pkg_glob, ports_glob and portinstall
# (portupgrade 2.4), and the older pkg_info and pkg_delete, for the
# portinstall case on a machine without them; the
# program is chosen by the name it is called by. Each logs its argv to
# $d/argv (d: set by portinstall.setup). $d/index lists the ports tree as
# "ORIGIN NAME VERSION" lines (a port is named by its origin, the origin's
# last part or its package name); an installed port is a line "ORIGIN" of
# $d/installed. Its answers follow pkg-info(8), pkg-delete(8), pkg_glob(1),
# ports_glob(1) and portinstall(1):
#   pkg info PORT|NAME         "NAME-VERSION" and rc 0 when installed, else
#                              "pkg: No package(s) matching X" and rc 70
#   pkg delete -y NAME-VERSION...   removes them ("pinned" stays)
#   pkg install -y portupgrade      puts portinstall into $d/../bin2
#   pkg_glob ORIGIN|NAME       the installed package's NAME-VERSION
#   pkg_info -e NAME-VERSION...  rc 0 when all are installed (none: usage, rc 1)
#   pkg_info PORT|NAME         its information, or rc 1
#   pkg_delete NAME-VERSION... removes them ("pinned" stays)
#   ports_glob PATTERN         the origins whose origin or name matches the
#                              shell pattern, one a line
#   portinstall --batch [--use-packages] ORIGIN|NAME   installs it
#                              ("broken" is not installed afterwards)
d=$PORTS_STUB_DIR
me=${0##*/}
printf '%s\n' "$me $*" >> "$d/argv"
# the index line of an origin, its last part or a name: o n v
find_() {
  while read -r o n v; do [ "$1" = "$o" ] || [ "$1" = "${o##*/}" ] || [ "$1" = "$n" ] && return 0; done < "$d/index"
  return 1
}
inst() { find_ "$1" && grep -qx "$o" "$d/installed"; }
case $me in
pkg)
  case $1 in
  info) if inst "$2"; then echo "$n-$v"; exit 0; fi; echo "pkg: No package(s) matching $2" >&2; exit 70;;
  delete) shift; [ "$1" = -y ] && shift
    [ $# = 0 ] && { echo "Nothing to do."; exit 0; }
    echo "Checking integrity... done (0 conflicting)"; echo "Deinstallation has been requested for the following $# packages:"
    for p; do echo "	$p"; n=${p%-*}
      [ "$n" = pinned ] && continue
      while read -r o nn v; do [ "$nn" = "$n" ] && { grep -vx "$o" "$d/installed" > "$d/i.new"; cat "$d/i.new" > "$d/installed"; }; done < "$d/index"
    done; exit 0;;
  install) [ "$3" = portupgrade ] && cp "$d/portinstall" "$d/../bin2/portinstall"; echo "Installing portupgrade-2.4.16,2..."; exit 0;;
  esac; exit 64;;
pkg_glob) inst "$1" && echo "$n-$v"; exit 0;;
pkg_info)
  if [ "$1" = -e ]; then shift; [ $# -gt 0 ] || { echo "usage: pkg_info [-e package] ..." >&2; exit 1; }
    for p; do inst "${p%-*}" || exit 1; done; exit 0; fi
  inst "$1" && { echo "Information for $n-$v:"; exit 0; }
  echo "pkg_info: can't find package '$1' installed or in a file!" >&2; exit 1;;
pkg_delete)
  for p; do n=${p%-*}
    [ "$n" = pinned ] && continue
    while read -r o nn v; do [ "$nn" = "$n" ] && { grep -vx "$o" "$d/installed" > "$d/i.new"; cat "$d/i.new" > "$d/installed"; }; done < "$d/index"
  done; exit 0;;
ports_glob)
  while read -r o n v; do
    case $o in $1) echo "$o"; continue;; esac
    case $n in $1) echo "$o";; esac
  done < "$d/index"; exit 0;;
portinstall)
  for a; do last=$a; done
  find_ "$last" || { echo "** No such package or port: $last" >&2; exit 1; }
  echo "--->  Installing '$n-$v' from a package"
  [ "$n" = broken ] || echo "$o" >> "$d/installed"; exit 0;;
esac
exit 2
