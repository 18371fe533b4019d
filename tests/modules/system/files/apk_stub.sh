#!/bin/sh
# apk_stub.sh — Alpine's `apk` (apk-tools 2.14) for the apk case on a machine
# without it: it logs its argv and LANG to $d/argv (d: set by apk.setup).
# A package is a file of $d/repo holding its version (what the repository
# offers); an installed one is a file of $d/installed holding its version; a
# virtual package is a file of $d/virtual listing its dependencies; the
# world file is $d/world. Its answers follow apk(8) and the output formats
# of apk-tools 2.14:
#   update                        "fetch URL" lines, "OK: N distinct packages available";
#                                 with --repository https://broken.example it fails
#   -v info --description NAME    "NAME-VER description:" and the text, or for a
#                                 virtual one "NAME: virtual meta package"
#   -v info --depends NAME        "NAME-VER depends on:" and one dependency a line
#   -v info --installed NAME      "NAME-VER", rc 0 when installed, else rc 1
#   version NAME                  "Installed: Available:" table; "<" when older
#   add [--upgrade] [--simulate] NAMES   "(i/n) Installing|Upgrading ..." lines;
#                                 a name the repository lacks: rc 1, ERROR lines
#   del --purge [--simulate] NAMES       "(i/n) Purging ..."; "pinned" stays
#   upgrade [--simulate] [--available]   every installed package older than the repo's
d=$APK_STUB_DIR
printf '%s\n' "apk $* [LANG=${LANG-} LC_ALL=${LC_ALL-}]" >> "$d/argv"
broken=0
while :; do
  case $1 in
    --no-cache) shift;;
    --repository) [ "$2" != https://broken.example ] || broken=1; shift 2;;
    --repositories-file) shift 2;;
    -v) shift;;
    *) break;;
  esac
done
ver() { cat "$d/$1/$2" 2>/dev/null; }
op=$1; shift
case $op in
update)
  echo "fetch https://dl-cdn.alpinelinux.org/alpine/v3.18/main/x86_64/APKINDEX.tar.gz"
  [ $broken = 1 ] && { echo "ERROR: https://dl-cdn.alpinelinux.org/alpine/v3.18/main: temporary error (try again later)" >&2; echo "WARNING: Ignoring https://dl-cdn.alpinelinux.org/alpine/v3.18/main: No such file or directory" >&2; exit 1; }
  echo "v3.18.4-135-g1a1d4b2d0c8 [https://dl-cdn.alpinelinux.org/alpine/v3.18/main]"
  echo "OK: 5171 distinct packages available"; exit 0;;
info)
  case $1 in
  --description)
    if [ -f "$d/virtual/$2" ]; then echo "$2: virtual meta package"; echo; exit 0; fi
    v=$(ver installed "$2"); [ -n "$v" ] || v=$(ver repo "$2")
    [ -n "$v" ] || exit 0
    echo "$2-$v description:"; echo "The $2 package"; echo; exit 0;;
  --depends)
    [ -f "$d/virtual/$2" ] || exit 0
    echo "$2-20231203.190000 depends on:"; cat "$d/virtual/$2"; echo; exit 0;;
  --installed)
    v=$(ver installed "$2"); [ -n "$v" ] || exit 1
    echo "$2-$v"; exit 0;;
  esac
  exit 2;;
version)
  v=$(ver installed "$1"); a=$(ver repo "$1")
  echo "Installed:                                Available:"
  [ -n "$v" ] || exit 0
  if [ "$v" != "$a" ]; then printf '%-40s< %s\n' "$1-$v" "$a"; fi
  exit 0;;
add)
  up=0; sim=0
  while :; do case $1 in --upgrade) up=1; shift;; --simulate) sim=1; shift;; *) break;; esac; done
  for p; do
    [ -f "$d/repo/$p" ] || [ -f "$d/virtual/$p" ] || {
      echo "ERROR: unable to select packages:" >&2; echo "  $p (no such package):" >&2
      echo "    required by: world[$p]" >&2; exit 1; }
  done
  n=$#; i=0
  for p; do
    i=$((i+1)); v=$(ver installed "$p"); a=$(ver repo "$p")
    if [ -z "$v" ]; then echo "($i/$n) Installing $p ($a)"
    elif [ "$v" != "$a" ]; then echo "($i/$n) Upgrading $p ($v -> $a)"
    else echo "($i/$n) Reinstalling $p ($v)"; fi
    if [ $sim = 0 ]; then
      [ -f "$d/virtual/$p" ] || cp "$d/repo/$p" "$d/installed/$p"
      grep -qx "$p" "$d/world" || echo "$p" >> "$d/world"
    fi
  done
  echo "OK: 23 MiB in 42 packages"; exit 0;;
del)
  [ "$1" = --purge ] && shift
  sim=0; [ "$1" = --simulate ] && { sim=1; shift; }
  n=$#; i=0
  for p; do
    i=$((i+1)); echo "($i/$n) Purging $p ($(ver installed "$p"))"
    if [ $sim = 0 ] && [ "$p" != pinned ]; then
      rm -f "$d/installed/$p"; grep -vx "$p" "$d/world" > "$d/w.new"; cat "$d/w.new" > "$d/world"
    fi
  done
  echo "OK: 20 MiB in 40 packages"; exit 0;;
upgrade)
  sim=0; [ "$1" = --simulate ] && sim=1
  n=0; for f in "$d/installed"/*; do [ "$(cat "$f")" = "$(ver repo "${f##*/}")" ] || n=$((n+1)); done
  i=0
  for f in "$d/installed"/*; do
    p=${f##*/}; v=$(cat "$f"); a=$(ver repo "$p")
    [ "$v" = "$a" ] && continue
    i=$((i+1)); echo "($i/$n) Upgrading $p ($v -> $a)"
    [ $sim = 1 ] || cp "$d/repo/$p" "$f"
  done
  echo "OK: 23 MiB in 42 packages"; exit 0;;
esac
exit 2
