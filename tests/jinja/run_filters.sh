#!/usr/bin/env bash
# Jinja cases against Ansible: tests/jinja/NAME.yml's cases (NAME is the
# first argument, filters by default: filters, tests and lookups;
# statements: {% %} statements and whitespace control) compiled by playc
# into one playbook (a debug task per case, run on the implicit localhost)
# and compared with the fixture ansible-playbook produced
# (NAME.expected.json; regenerate with jinja_cases.py regen). When
# NAME_errors.yml exists, its cases (syntax errors in Ansible) must each be
# refused by playc with a located error; for json_query, its constant
# queries' syntax errors must be located at compile time. With JINJA_LIVE=1 the fixtures are
# first regenerated from the installed Ansible.
set -u
here=$(cd "$(dirname "$0")" && pwd)
name=${1:-filters}
work=$(mktemp -d /tmp/playc-jinja.XXXXXX)
trap 'rm -rf "$work"' EXIT
cases=$here/$name.yml
fixture=$here/$name.expected.json
errors=$here/${name}_errors.yml
errors_fixture=$here/${name}_errors.expected.json
py=python3
if [ -n "${JINJA_LIVE:-}" ]; then
  fixture=$work/live.json
  # the collections the cases use (ansible.utils' ipaddr family)
  export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-/opt/playc/ansible-collections}
  errors_fixture=$work/live_errors.json
  /usr/bin/python3 "$here/jinja_cases.py" regen "$cases" "$fixture" || exit 1
  if [ -f "$errors" ]; then
    /usr/bin/python3 "$here/jinja_cases.py" regen "$errors" "$errors_fixture" || exit 1
  fi
fi
status=0
if [ -f "$errors" ]; then
  "$py" "$here/jinja_cases.py" errors "$errors" "$errors_fixture" "$PLAYC" || status=1
fi
if [ "$name" = json_query ]; then  # constant queries are parsed at compile time
  "$py" "$here/jinja_cases.py" jmespath "$cases" "$fixture" "$PLAYC" || status=1
fi
"$py" "$here/jinja_cases.py" playbook "$cases" "$work/cases.yml" || exit 1
(cd "$work" && "$PLAYC" cases.yml -o cases.bin) || { echo "FAIL: playc could not compile the cases"; exit 1; }
(cd "$work" && ./cases.bin > run.log 2>&1)
"$py" "$here/jinja_cases.py" compare "$cases" "$fixture" "$work/run.log" || status=1
exit $status
