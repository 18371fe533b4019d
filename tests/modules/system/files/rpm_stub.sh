#!/bin/sh
# rpm_stub.sh — `rpm` for the rpm_key case on a machine without rpm: it
# logs its argv to $d/argv and keeps imported keys as files in
# $d/keys (d: set by rpm_key.setup), answering the three queries rpm_key makes the way
# rpm 4.18 does (rpm(8) and its behaviour on Fedora):
#   rpm -q gpg-pubkey            one NVR a line (gpg-pubkey-ID8-DATE), rc 0;
#                                "package gpg-pubkey is not installed", rc 1
#   rpm -q gpg-pubkey --qf '%{description}'   each key's armored block
#   rpm --import FILE            the key stored (rc 0)
#   rpm --erase --allmatches gpg-pubkey-ID8   removed; "error: package
#                                gpg-pubkey-ID8 is not installed", rc 1
d=$RPM_STUB_DIR
mkdir -p "$d/keys"
printf '%s\n' "rpm $*" >> "$d/argv"
keys() { ls "$d/keys" 2>/dev/null; }
case "$1 $2" in
"-q gpg-pubkey")
  [ -n "$(keys)" ] || { echo "package gpg-pubkey is not installed"; exit 1; }
  if [ "${3-}" = --qf ]; then for k in $(keys); do cat "$d/keys/$k"; done
  else for k in $(keys); do echo "gpg-pubkey-$k-6b0f2c51"; done; fi
  exit 0;;
"--import "*)
  id=$(gpg --no-tty --batch --with-colons --fixed-list-mode "$2" 2>/dev/null | sed -n 's/^pub:[^:]*:[^:]*:[^:]*:\([^:]*\):.*/\1/p' | head -1)
  [ -n "$id" ] || { echo "error: $2: import read failed(2)." >&2; exit 1; }
  id=$(printf %s "$id" | cut -c9-16 | tr A-F a-f)
  cp "$2" "$d/keys/$id"; exit 0;;
"--erase --allmatches")
  id=${3#gpg-pubkey-}
  [ -f "$d/keys/$id" ] || { echo "error: package $3 is not installed" >&2; exit 1; }
  rm -f "$d/keys/$id"; exit 0;;
esac
echo "rpm_stub: unexpected arguments: $*" >&2; exit 2
