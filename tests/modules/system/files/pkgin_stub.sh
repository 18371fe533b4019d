#!/bin/sh
# pkgin_stub.sh — pkgsrc's `pkgin` (23.8) for the pkgin case on a machine
# without it: it logs its argv and LANG to $d/argv (d: set by pkgin.setup).
# A package is a file of $d/repo holding its version; an installed one a
# file of $d/installed holding its version; $d/stale makes the next update
# fetch a new summary. Its answers follow pkgin(1):
#   -p -v                    the version line, rc 0
#   [-p] search REGEX        "NAME-VER;STATE;COMMENT" lines (';' with -p, else
#                            spaces and the legend), STATE '<' older, '='
#                            current, '' absent (an older pkgin, run from a
#                            folder named binold, refuses -p);
#                            "No results found for REGEX", rc 1, for none
#   -y|-n [-F] update        "database for URL is up-to-date" or the fetch lines
#   -y|-n [-F] upgrade|full-upgrade   the packages to refresh, or "nothing to do."
#   -y|-n [-F] install NAME  installs it ("broken" fails to), -n only lists
#   -y|-n [-F] remove NAME   removes it ("pinned" stays)
#   -y|-n [-F] clean         no output
d=$PKGIN_STUB_DIR
printf '%s\n' "pkgin $* [LANG=${LANG-} LC_ALL=${LC_ALL-}]" >> "$d/argv"
url=https://cdn.netbsd.org/pub/pkgsrc/packages/NetBSD/x86_64/10.0/All
sep=' '; dry=0
# an older pkgin (called from a folder named binold) has no -p
old=0; case $0 in */binold/*) old=1;; esac
while :; do
  case $1 in
    -p) [ $old = 1 ] && { echo "pkgin: invalid option -- 'p'" >&2; exit 1; }; sep=';'; shift;;
    -v) echo "pkgin 23.8.1 (using SQLite 3.43.1)"; exit 0;;
    -n) dry=1; shift;;
    -y|-F) shift;;
    *) break;;
  esac
done
ver() { cat "$d/$1/$2" 2>/dev/null; }
op=$1; shift
case $op in
search)
  n=${1#^}; n=${n%\$}; v=$(ver repo "$n")
  [ -n "$v" ] || { echo "No results found for $1"; exit 1; }
  i=$(ver installed "$n"); s=
  [ -z "$i" ] || { [ "$i" = "$v" ] && s='=' || s='<'; }
  echo "$n-$v$sep$s${sep}The $n package"
  [ "$sep" = ';' ] || { echo; echo "=: package is installed and up-to-date"; echo "<: package is installed but newer version is available"; }
  exit 0;;
update)
  echo "reading local summary..."; echo "processing local summary..."
  if [ -f "$d/stale" ]; then
    echo "processing remote summary ($url)..."; echo "pkg_summary.xz 100% 2345KB 1.2MB/s 00:02"
    [ $dry = 1 ] || rm -f "$d/stale"
  else echo "database for $url is up-to-date"; fi
  exit 0;;
upgrade|full-upgrade)
  l=; for f in "$d/installed"/*; do [ -f "$f" ] || continue; p=${f##*/}
    [ "$(cat "$f")" = "$(ver repo "$p")" ] || l="$l $p"; done
  [ -n "$l" ] || { echo "nothing to do."; exit 0; }
  echo "calculating dependencies...done."; echo
  for p in $l; do echo "  $p-$(ver repo "$p")"; [ $dry = 1 ] || cp "$d/repo/$p" "$d/installed/$p"; done
  echo "pkg_install warnings: 0, errors: 0"; exit 0;;
install)
  echo "calculating dependencies...done."; echo; echo "1 package to install:"; echo "  $1-$(ver repo "$1")"; echo
  [ $dry = 1 ] && exit 0
  [ "$1" = broken ] && { echo "pkg_install errors in preinstall, skipping $1" >&2; exit 1; }
  echo "installing $1-$(ver repo "$1")..."; cp "$d/repo/$1" "$d/installed/$1"
  echo "pkg_install warnings: 0, errors: 0"; exit 0;;
remove)
  echo "1 package to delete:"; echo "  $1-$(ver installed "$1")"; echo
  [ $dry = 1 ] && exit 0
  echo "removing $1-$(ver installed "$1")..."
  [ "$1" = pinned ] || rm -f "$d/installed/$1"; exit 0;;
clean) exit 0;;
esac
exit 2
