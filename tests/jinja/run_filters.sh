#!/usr/bin/env bash
# Jinja filters and tests against Ansible: tests/jinja/filters.yml's cases
# compiled by playc into one playbook (a debug task per case, run on the
# implicit localhost) and compared with the fixture ansible-playbook produced
# (filters.expected.json; regenerate with jinja_cases.py regen). With
# JINJA_LIVE=1 the fixture is first regenerated from the installed Ansible.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/playc-jinja.XXXXXX)
trap 'rm -rf "$work"' EXIT
# An argument names another cases file (tests/jinja/methods.yml): its
# fixture is NAME.expected.json beside it.
cases=${1:-$here/filters.yml}
fixture=${cases%.yml}.expected.json
py=python3
if [ -n "${JINJA_LIVE:-}" ]; then
  fixture=$work/live.json
  /usr/bin/python3 "$here/jinja_cases.py" regen "$cases" "$fixture" || exit 1
fi
"$py" "$here/jinja_cases.py" playbook "$cases" "$work/cases.yml" || exit 1
(cd "$work" && "$PLAYC" cases.yml -o cases.bin) || { echo "FAIL: playc could not compile the cases"; exit 1; }
(cd "$work" && ./cases.bin > run.log 2>&1)
"$py" "$here/jinja_cases.py" compare "$cases" "$fixture" "$work/run.log"
