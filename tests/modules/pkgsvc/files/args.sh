#!/bin/sh
# prints its arguments and folder, writes a marker, exits with $RC
printf 'arg: %s\n' "$@"
echo "on stderr" >&2
pwd
[ -z "${MARK:-}" ] || echo made > "$MARK"
exit "${RC:-0}"
