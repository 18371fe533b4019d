#!/bin/sh
# pacman_stub.sh — `pacman` (Arch Linux) for the pacman case on a machine
# without it. It logs its argv to $d/argv (d: set by pacman.setup), leaving
# out a "--" (playc ends options with one; the community.general module
# passes none), so both runs log the same lines. Its databases are files:
# $d/local/NAME holds "VERSION REASON" (explicit|dependency), $d/sync/NAME
# holds the repository's VERSION, $d/groups "GROUP PACKAGE" lines. The
# answers follow pacman(8) and the output formats the module parses
# (community.general's pacman.py and its unit tests):
#   -Q: "name version"; -Qg: "group name"; -Qu: "name old -> new", rc 1 and
#   no output when nothing is newer; -Qe/-Qd: by install reason; -Sl: "repo
#   name version [installed]"; -Sgg: "group name"; -S/-R --print-format FMT:
#   %n and %v per target; "error: target not found: NAME", rc 1, for an
#   unknown name; -U of a name that is no file: "could not find or read".
d=$PACMAN_STUB_DIR
mkdir -p "$d/local" "$d/sync"; touch "$d/groups"
l=pacman; for a in "$@"; do [ "$a" = -- ] || l="$l $a"; done
printf '%s\n' "$l" >> "$d/argv"
op= ; g=0; list=0; upg=0; expl=0; deps=0; fmt= ; needed=0; tg=
while [ $# -gt 0 ]; do
  case $1 in
  --query|--sync|--remove|--upgrade) op=${1#--};;
  --groups) g=$((g+1));; --list) list=1;; --upgrades) upg=1;; --explicit) expl=1;; --deps) deps=1;;
  --print-format) shift; fmt=$1;; --needed) needed=1;;
  --noconfirm|--noprogressbar|--nodeps|--nosave|--noscriptlet) ;;
  --) shift; break;;
  -*) echo "pacman: unrecognized option '$1'" >&2; exit 1;;
  *) break;;
  esac; shift
done
ver() { cut -d' ' -f1 "$1"; }
out() { n=$1; v=$2; [ -n "$fmt" ] || return 0; printf '%s\n' "$fmt" | sed "s|%n|$n|g; s|%v|$v|g"; }
case $op in
query)
  if [ $g -gt 0 ]; then
    while read -r gr p; do [ -f "$d/local/$p" ] && echo "$gr $p"; done < "$d/groups"; exit 0
  fi
  if [ $upg = 1 ]; then
    r=1; for f in "$d"/local/*; do [ -f "$f" ] || continue; n=${f##*/}
      [ -f "$d/sync/$n" ] && [ "$(ver "$f")" != "$(cat "$d/sync/$n")" ] && { echo "$n $(ver "$f") -> $(cat "$d/sync/$n")"; r=0; }
    done; exit $r
  fi
  for f in "$d"/local/*; do [ -f "$f" ] || continue; n=${f##*/}; set -- $(cat "$f")
    { [ $expl = 1 ] && [ "$2" != explicit ]; } || { [ $deps = 1 ] && [ "$2" != dependency ]; } || echo "$n $1"
  done; exit 0;;
sync)
  if [ $g -gt 0 ]; then cat "$d/groups"; exit 0; fi
  if [ $list = 1 ]; then
    for f in "$d"/sync/*; do [ -f "$f" ] || continue; n=${f##*/}
      if [ -f "$d/local/$n" ]; then echo "extra $n $(cat "$f") [installed]"; else echo "extra $n $(cat "$f")"; fi
    done; exit 0
  fi
  ts=
  for t in "$@"; do
    m=$(awk -v g="$t" '$1==g{print $2}' "$d/groups")
    [ -n "$m" ] || { [ -f "$d/sync/$t" ] && m=$t; }
    [ -n "$m" ] || { echo "error: target not found: $t" >&2; exit 1; }
    ts="$ts $m"
  done
  for n in $ts; do
    v=$(cat "$d/sync/$n")
    if [ $needed = 1 ] && [ -f "$d/local/$n" ] && [ "$(ver "$d/local/$n")" = "$v" ]; then
      echo "warning: $n-$v is up to date -- skipping" >&2; continue; fi
    if [ -n "$fmt" ]; then out "$n" "$v"; continue; fi
    r=explicit; [ -f "$d/local/$n" ] && r=$(cut -d' ' -f2 "$d/local/$n")
    echo "$v $r" > "$d/local/$n"; echo "installing $n..."
  done; exit 0;;
remove)
  for t in "$@"; do [ -f "$d/local/$t" ] || { echo "error: target not found: $t" >&2; exit 1; }; done
  for t in "$@"; do
    if [ -n "$fmt" ]; then out "$t" "$(ver "$d/local/$t")"; else rm -f "$d/local/$t"; echo "removing $t..."; fi
  done; exit 0;;
upgrade)
  for t in "$@"; do echo "error: '$t': could not find or read package" >&2; done; exit 1;;
esac
echo "pacman_stub: unexpected arguments: $l" >&2; exit 2
