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
#                                 (with --xmlout: an empty <stream>)
# and, for the zypper case, packages kept as files $d/pkg/installed/NAME and
# $d/pkg/avail/NAME (each holding its edition; avail is the repositories'):
#   search --type T --match-exact --details --installed-only NAMES
#                                 a <solvable-list> of the installed ones
#                                 (status="installed"); none: rc 104 with
#                                 <message type="info">No matching items found.</message>
#   install --type T [--dry-run] --auto-agree-with-licenses [OPTIONS] -- [+|-]NAME[OPVERSION]...
#   remove --type T [--dry-run] [--clean-deps] NAME[OPVERSION]...
#   update|patch|dist-upgrade [--type T] [--dry-run] [OPTIONS]
#                                 an <install-summary> with <to-install>,
#                                 <to-upgrade> (edition-old) and <to-remove>
#                                 lists of <solvable>, applied unless
#                                 --dry-run; an unknown name: rc 104 with
#                                 "No provider of 'NAME' found."; a name
#                                 $d/pkg/fail lists: rc 8 (ZYPPER_EXIT_ERR_ZYPP)
#                                 with an <message type="error">
d=$ZYPPER_STUB_DIR
mkdir -p "$d/repos"
printf '%s\n' "zypper $*" >> "$d/argv"
esc() { printf %s "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'; }
[ "$1" = --version ] && { echo "zypper 1.14.59"; exit 0; }
keys=0 xml=0
while :; do
  case $1 in
  --quiet|--non-interactive|--no-gpg-checks|--disable-repositories) shift;;
  --xmlout) xml=1; shift;;
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
  [ $xml = 0 ] || { echo "<?xml version='1.0'?>"; echo "<stream>"; echo "</stream>"; }
  exit 0;;
search)
  i=$d/pkg/installed; found=
  while [ $# -gt 0 ]; do
    case $1 in
    --type) shift 2;;
    --*) shift;;
    *) [ -f "$i/$1" ] && found="$found $1"; shift;;
    esac
  done
  echo "<?xml version='1.0'?>"; echo "<stream>"
  if [ -z "$found" ]; then
    echo '<message type="info">No matching items found.</message>'; echo "</stream>"; exit 104
  fi
  echo '<search-result version="0.0">'; echo '<solvable-list>'
  for n in $found; do
    printf '<solvable status="installed" name="%s" kind="package" edition="%s" arch="x86_64" repository="(System Packages)"/>\n' \
      "$(esc "$n")" "$(cat "$i/$n")"
  done
  echo '</solvable-list>'; echo '</search-result>'; echo "</stream>"; exit 0;;
install|remove|update|patch|dist-upgrade)
  i=$d/pkg/installed a=$d/pkg/avail dry=0 ins= upg= rem=
  mkdir -p "$i" "$a"
  while [ $# -gt 0 ]; do
    case $1 in
    --type) shift 2;;
    --dry-run) dry=1; shift;;
    --from|--repo|-r) shift 2;;
    --) shift;;
    --*) shift;;
    *)
      w=$1; shift; sign=+
      [ $op = remove ] && sign=-
      case $w in +*) w=${w#+};; -*|~*) sign=-; w=${w#?};; esac
      n=$(printf %s "$w" | sed 's/[<>=].*//')
      if grep -qx -- "$n" "$d/pkg/fail" 2>/dev/null; then
        echo "<?xml version='1.0'?>"; echo "<stream>"
        printf '<message type="error">Installation of %s failed.</message>\n' "$(esc "$n")"
        echo "</stream>"; exit 8
      fi
      if [ $sign = - ]; then [ -f "$i/$n" ] && rem="$rem $n"
      elif [ ! -f "$a/$n" ]; then
        echo "<?xml version='1.0'?>"; echo "<stream>"
        printf '<message type="error">No provider of &apos;%s&apos; found.</message>\n' "$(esc "$n")"
        echo "</stream>"; exit 104
      elif [ ! -f "$i/$n" ]; then ins="$ins $n"
      elif [ "$(cat "$i/$n")" != "$(cat "$a/$n")" ]; then upg="$upg $n"
      fi;;
    esac
  done
  if [ $op = update ] || [ $op = patch ] || [ $op = dist-upgrade ]; then
    for f in "$i"/*; do
      [ -f "$f" ] || continue; n=$(basename "$f")
      [ -f "$a/$n" ] && [ "$(cat "$f")" != "$(cat "$a/$n")" ] && upg="$upg $n"
    done
  fi
  echo "<?xml version='1.0'?>"; echo "<stream>"
  set -- $ins $upg $rem
  [ $# = 0 ] && { echo "<message type=\"info\">Nothing to do.</message>"; echo "</stream>"; exit 0; }
  printf '<install-summary download-size="%s" space-usage-diff="%s" packages-to-change="%s">\n' $((1024*$#)) $((2048*$#)) $#
  for g in to-install to-upgrade to-remove; do
    case $g in to-install) l=$ins;; to-upgrade) l=$upg;; *) l=$rem;; esac
    [ -n "$l" ] || continue
    echo "<$g>"
    for n in $l; do
      case $g in
      to-install) printf '<solvable type="package" name="%s" edition="%s" arch="x86_64" repository="repo-oss"/>\n' "$n" "$(cat "$a/$n")"
        [ $dry = 1 ] || cp "$a/$n" "$i/$n";;
      to-upgrade) printf '<solvable type="package" name="%s" edition="%s" edition-old="%s" arch="x86_64" repository="repo-oss"/>\n' "$n" "$(cat "$a/$n")" "$(cat "$i/$n")"
        [ $dry = 1 ] || cp "$a/$n" "$i/$n";;
      *) printf '<solvable type="package" name="%s" edition="%s" arch="x86_64" repository="@System"/>\n' "$n" "$(cat "$i/$n")"
        [ $dry = 1 ] || rm -f "$i/$n";;
      esac
    done
    echo "</$g>"
  done
  echo "</install-summary>"; echo "</stream>"; exit 0;;
esac
echo "zypper_stub: unexpected arguments: $op $*" >&2; exit 2
