#!/bin/sh
# pkgng_stub.sh — FreeBSD's `pkg` (pkgng 1.19) for the pkgng case on a
# machine without it: it logs its argv (and BATCH/PACKAGESITE) to $d/argv
# (d: set by pkgng.setup), keeps installed packages as files in
# $d/installed, the ones with a newer version in $d/newer and automatic
# orphans in $d/auto. Its answers follow pkg(8) and its subcommands' manual
# pages (exit status) and the report lines the module parses:
#   pkg -v                        the version, 1.19.2
#   update                        "... repository is up to date.", rc 0
#   info -g -e NAME               rc 0 when installed, else rc 1, no output
#   upgrade -g -n NAME            rc 1 when an upgrade exists (with the
#                                 "Number of packages to be upgraded" line), else rc 0
#   upgrade -n|-y                 every package with a newer version
#   install|upgrade -g -U -y NAMES  a name starting "nope" is not found: rc 1
#   delete -y NAME                removes it
#   autoremove -n|-y              "Deinstallation has been requested for the
#                                 following N packages" for the orphans
d=$PKG_STUB_DIR
mkdir -p "$d/installed" "$d/newer" "$d/auto"
printf '%s\n' "pkg $* [BATCH=${BATCH-} PACKAGESITE=${PACKAGESITE-}]" >> "$d/argv"
key() { printf %s "$1" | tr '/@,:' '____'; }
case $1 in --jail=*|--chroot=*|--rootdir=*) shift;; esac
case $1 in -v) echo 1.19.2; exit 0;; esac
op=$1; shift
case $1 in --repository=*) shift;; esac
case $op in
update)
  echo "Updating FreeBSD repository catalogue..."
  echo "FreeBSD repository is up to date."
  echo "All repositories are up to date."; exit 0;;
info)
  [ "$1 $2" = "-g -e" ] || exit 2
  [ -f "$d/installed/$(key "$3")" ]; exit;;
upgrade)
  if [ "$1 $2" = "-g -n" ]; then
    echo "Updating FreeBSD repository catalogue..."
    echo "Checking integrity... done (0 conflicting)"
    if [ -f "$d/installed/$(key "$3")" ] && [ -f "$d/newer/$(key "$3")" ]; then
      echo "The following 1 package(s) will be affected (of 0 checked):"; echo
      echo "Installed packages to be UPGRADED:"; printf '\t%s: 1.0 -> 1.1\n' "$3"; echo
      echo "Number of packages to be upgraded: 1"; exit 1
    fi
    echo "Your packages are up to date."; exit 0
  fi
  if [ "$1" = -n ] || [ "$1" = -y ]; then
    n=$(ls "$d/newer" | wc -l)
    echo "Checking integrity... done (0 conflicting)"
    [ "$n" = 0 ] && { echo "Your packages are up to date."; exit 0; }
    echo "The following $n package(s) will be affected (of 0 checked):"; echo
    echo "Installed packages to be UPGRADED:"; ls "$d/newer" | sed 's/^/\t/; s/$/: 1.0 -> 1.1/'; echo
    echo "Number of packages to be upgraded: $n"
    [ "$1" = -n ] && exit 1
    rm -f "$d/newer"/*; exit 0
  fi
  ;;
esac
case $op in
install|upgrade)
  [ "$1 $2 $3" = "-g -U -y" ] || { echo "pkg_stub: unexpected arguments: $op $*" >&2; exit 2; }
  shift 3
  for p in "$@"; do
    case $p in nope*) echo "pkg: No packages available to $op matching '$p' have been found in the repositories" >&2; exit 1;; esac
  done
  echo "The following $# package(s) will be affected (of 0 checked):"; echo
  [ $op = install ] && echo "New packages to be INSTALLED:" || echo "Installed packages to be UPGRADED:"
  for p in "$@"; do printf '\t%s: 1.1\n' "$p"; : > "$d/installed/$(key "$p")"; rm -f "$d/newer/$(key "$p")"; done
  echo; [ $op = install ] && echo "Number of packages to be installed: $#" || echo "Number of packages to be upgraded: $#"
  exit 0;;
delete)
  [ "$1" = -y ] || exit 2
  k=$(key "$2")
  [ -f "$d/installed/$k" ] || { echo "No packages matched for pattern '$2'"; exit 1; }
  echo "Checking integrity... done (0 conflicting)"
  echo "Deinstallation has been requested for the following 1 packages (of 0 packages in the universe):"; echo
  echo "Installed packages to be REMOVED:"; printf '\t%s: 1.0\n' "$2"; echo
  echo "Number of packages to be removed: 1"; echo "[1/1] Deinstalling $2-1.0..."
  rm -f "$d/installed/$k"; exit 0;;
autoremove)
  n=$(ls "$d/auto" | wc -l)
  [ "$n" = 0 ] && { echo "Nothing to do."; exit 0; }
  echo "Checking integrity... done (0 conflicting)"
  echo "Deinstallation has been requested for the following $n packages:"; echo
  echo "Installed packages to be REMOVED:"; ls "$d/auto" | sed 's/^/\t/'; echo
  echo "Number of packages to be removed: $n"
  [ "$1" = -n ] && exit 1
  for k in $(ls "$d/auto"); do rm -f "$d/auto/$k" "$d/installed/$k"; done; exit 0;;
esac
echo "pkg_stub: unexpected arguments: $op $*" >&2; exit 2
