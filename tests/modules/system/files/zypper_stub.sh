#!/bin/sh
# zypper_stub.sh — openSUSE's zypper (1.14) for the zypper_repository case
# on a machine without it: it logs its argv to $d/argv (d: set by
# zypper_repository.setup) and keeps repositories as folders $d/repos/ALIAS
# holding one file per setting. Its answers follow zypper(8):
#   --version                     "zypper 1.14.59"
#   --quiet --non-interactive --xmlout repos
#                                 the <repo-list> of <repo alias= name= type=
#                                 priority= enabled= autorefresh= gpgcheck=
#                                 ...><url>URL</url></repo>, XML-escaped;
#                                 rc 6 (ZYPPER_EXIT_NO_REPOS) when there is none
#   addrepo [--check] [--name N] [--priority P] [--disable] [--gpgcheck|
#           --no-gpgcheck] [--refresh] URL ALIAS
#                                 the name defaults to the alias, priority 99;
#                                 an alias in use: rc 3 with zypper's message
#   removerepo ALIAS|URL          rc 0; unknown: rc 3 with zypper's message
#   [--gpg-auto-import-keys] refresh --force [-r ALIAS]   rc 0
d=$ZYPPER_STUB_DIR
mkdir -p "$d/repos"
printf '%s\n' "zypper $*" >> "$d/argv"
esc() { printf %s "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'; }
[ "$1" = --version ] && { echo "zypper 1.14.59"; exit 0; }
keys=0
while :; do
  case $1 in
  --quiet|--non-interactive|--xmlout) shift;;
  --gpg-auto-import-keys) keys=1; shift;;
  *) break;;
  esac
done
op=$1; shift
case $op in
repos)
  [ -n "$(ls "$d/repos")" ] || exit 6
  echo "<?xml version='1.0'?>"; echo "<stream>"; echo "<repo-list>"
  for r in "$d/repos"/*; do
    a=$(basename "$r")
    printf '<repo alias="%s" name="%s" type="rpm-md" priority="%s" enabled="%s" autorefresh="%s" gpgcheck="%s" repo_gpgcheck="%s" pkg_gpgcheck="0">\n' \
      "$(esc "$a")" "$(esc "$(cat "$r/name")")" "$(cat "$r/priority")" "$(cat "$r/enabled")" \
      "$(cat "$r/autorefresh")" "$(cat "$r/gpgcheck")" "$(cat "$r/gpgcheck")"
    printf '<url>%s</url>\n</repo>\n' "$(esc "$(cat "$r/url")")"
  done
  echo "</repo-list>"; echo "</stream>"; exit 0;;
addrepo)
  name= prio=99 en=1 ar=0 gpg=1
  while :; do
    case $1 in
    --check) shift;;
    --name) name=$2; shift 2;;
    --priority) prio=$2; shift 2;;
    --disable) en=0; shift;;
    --gpgcheck) gpg=1; shift;;
    --no-gpgcheck) gpg=0; shift;;
    --refresh) ar=1; shift;;
    *) break;;
    esac
  done
  url=$1 a=$2
  [ -e "$d/repos/$a" ] && { echo "Repository named '$a' already exists. Please use another alias." >&2; exit 3; }
  mkdir -p "$d/repos/$a"
  printf %s "${name:-$a}" > "$d/repos/$a/name"; printf %s "$prio" > "$d/repos/$a/priority"
  printf %s "$en" > "$d/repos/$a/enabled"; printf %s "$ar" > "$d/repos/$a/autorefresh"
  printf %s "$gpg" > "$d/repos/$a/gpgcheck"; printf %s "$url" > "$d/repos/$a/url"
  exit 0;;
removerepo)
  for r in "$d/repos"/*; do
    [ -d "$r" ] || continue
    if [ "$(basename "$r")" = "$1" ] || [ "$(cat "$r/url")" = "$1" ]; then rm -rf "$r"; exit 0; fi
  done
  echo "Repository '$1' not found by its alias, number, or URI." >&2; exit 3;;
refresh)
  exit 0;;
esac
echo "zypper_stub: unexpected arguments: $op $*" >&2; exit 2
