#!/bin/sh
# yum_stub.sh — yum 3.4, rpm 4.11 and yum-utils' repoquery for the yum case
# on a machine without them: installed as $d/../bin/yum, rpm and repoquery
# (d: set by yum.setup), it logs its argv to $d/argv and answers from
# $d/installed/NAME and $d/avail/NAME (each holding VERSION-RELEASE; arch
# x86_64, no epoch, repository "base") and $d/provides/CAPABILITY (the
# providing package's name). Its answers follow rpm(8), repoquery(1), yum(8):
#   rpm -q --qf FMT [--whatprovides] SPEC [-a] [--root R]
#       FMT with %{epoch} (none), %{name}, %{version}, %{release}, %{arch}
#       for an installed NAME, NAME-VERSION-RELEASE[.ARCH] or a glob with -a;
#       else "package SPEC is not installed" / "no package provides SPEC", rc 1
#   repoquery --show-duplicates --plugins --quiet ... --qf FMT [--whatprovides] SPEC
#       the available packages (epoch 0), rc 0
#   yum -d 2 -y [OPTIONS] install|remove|autoremove|update|check-update|clean expire-cache [PKGS]
#       yum 3's messages: "Nothing to do", "No package X available.",
#       "No Packages marked for removal", check-update's "NAME.ARCH VR base"
#       lines with rc 100; a name in $d/fail fails its transaction (rc 1)
d=$YUM_STUB_DIR
me=$(basename "$0")
printf '%s\n' "$me $*" >> "$d/argv"
fmt() { # FMT NAME VR EPOCH
  v=${3%-*} r=${3##*-}
  printf '%s' "$1" | sed -e "s/%{epoch}/$4/g" -e "s/%{name}/$2/g" -e "s/%{version}/$v/g" \
    -e "s/%{release}/$r/g" -e "s/%{arch}/x86_64/g"
}
match() { # DIR SPEC GLOB → the names of DIR the spec names
  for f in "$1"/*; do
    [ -f "$f" ] || continue; n=$(basename "$f"); vr=$(cat "$f")
    if [ "$3" = 1 ]; then case $n in $2) echo "$n";; esac
    else case $2 in "$n"|"$n-$vr"|"$n-$vr.x86_64") echo "$n";; esac; fi
  done
}
case $me in
rpm)
  q= wp=0 a=0 s=
  while [ $# -gt 0 ]; do
    case $1 in -q) shift;; --qf) q=$2; shift 2;; --whatprovides) wp=1; shift;; -a) a=1; shift;;
    --root) shift 2;; *) s=$1; shift;; esac
  done
  if [ $wp = 1 ]; then
    p=$(cat "$d/provides/$s" 2>/dev/null)
    if [ -n "$p" ] && [ -f "$d/installed/$p" ]; then fmt "$q" "$p" "$(cat "$d/installed/$p")" "(none)"; exit 0; fi
    echo "no package provides $s"; exit 1
  fi
  l=$(match "$d/installed" "$s" $a)
  [ -n "$l" ] || { echo "package $s is not installed"; exit 1; }
  for n in $l; do fmt "$q" "$n" "$(cat "$d/installed/$n")" "(none)"; done; exit 0;;
repoquery)
  q= wp=0 s=
  while [ $# -gt 0 ]; do
    case $1 in --qf) q=$2; shift 2;; --whatprovides) wp=1; shift;; --disablerepo|--enablerepo|-c|--installroot) shift 2;;
    -*) shift;; *) s=$1; shift;; esac
  done
  if [ $wp = 1 ]; then
    p=$(cat "$d/provides/$s" 2>/dev/null); [ -n "$p" ] || p=$s
    [ -f "$d/avail/$p" ] && { fmt "$q" "$p" "$(cat "$d/avail/$p")" 0; echo; }
    exit 0
  fi
  for n in $(match "$d/avail" "$s" 1); do fmt "$q" "$n" "$(cat "$d/avail/$n")" 0; echo; done; exit 0;;
esac
# yum
while [ $# -gt 0 ]; do
  case $1 in -d|-c|--enableplugin|--disableplugin|--setopt) shift 2;; -*) shift;; *) break;; esac
done
op=$1; shift
echo "Loaded plugins: fastestmirror"
case $op in
clean) echo "Cleaning repos: base"; exit 0;;
check-update)
  echo "Loading mirror speeds from cached hostfile"; n=0
  for f in "$d/installed"/*; do
    [ -f "$f" ] || continue; p=$(basename "$f")
    [ -f "$d/avail/$p" ] && [ "$(cat "$d/avail/$p")" != "$(cat "$f")" ] || continue
    [ $n = 1 ] || echo; n=1
    printf '%-40s %-20s %s\n' "$p.x86_64" "$(cat "$d/avail/$p")" base
  done
  [ $n = 0 ] || exit 100; exit 0;;
install|update|remove|autoremove)
  todo= none=
  [ $op = update ] && [ $# = 0 ] && set -- $(ls "$d/installed")
  for s in "$@"; do
    p=$(cat "$d/provides/$s" 2>/dev/null); [ -n "$p" ] || p=$s
    case $op in
    remove|autoremove) [ -f "$d/installed/$p" ] && todo="$todo $p" || echo "No Match for argument: $s";;
    *)
      if [ ! -f "$d/avail/$p" ]; then echo "No package $s available."; none=1
      elif [ ! -f "$d/installed/$p" ] || [ "$(cat "$d/installed/$p")" != "$(cat "$d/avail/$p")" ]; then todo="$todo $p"
      else echo "Package $p-$(cat "$d/installed/$p").x86_64 already installed and latest version"; fi;;
    esac
  done
  if [ -z "$todo" ]; then
    case $op in
    remove|autoremove) echo "No Packages marked for removal"; exit 0;;
    update) echo "No packages marked for update"; exit 0;;
    esac
    [ -n "$none" ] && { echo "Error: Nothing to do" >&2; exit 1; }
    echo "Nothing to do"; exit 0
  fi
  for p in $todo; do
    if grep -qx -- "$p" "$d/fail" 2>/dev/null; then
      echo "Error: Package: $p-$(cat "$d/avail/$p").x86_64 (base)" >&2
      echo "           Requires: libmissing.so.1()(64bit)" >&2; exit 1
    fi
  done
  echo "Resolving Dependencies"; echo "--> Running transaction check"
  for p in $todo; do
    case $op in
    remove|autoremove) echo "---> Package $p.x86_64 0:$(cat "$d/installed/$p") will be erased";;
    *) echo "---> Package $p.x86_64 0:$(cat "$d/avail/$p") will be $([ -f "$d/installed/$p" ] && echo an update || echo installed)";;
    esac
  done
  echo "--> Finished Dependency Resolution"; echo; echo "Dependencies Resolved"; echo
  for p in $todo; do
    case $op in
    remove|autoremove) rm -f "$d/installed/$p";;
    *) cp "$d/avail/$p" "$d/installed/$p";;
    esac
  done
  case $op in remove|autoremove) echo "Removed:";; *) echo "Installed:";; esac
  for p in $todo; do echo "  $p.x86_64 0:$(cat "$d/avail/$p" 2>/dev/null)"; done
  echo; echo "Complete!"; exit 0;;
esac
echo "No such command: $op. Please use /usr/bin/yum --help" ; exit 1
