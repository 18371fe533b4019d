#!/usr/bin/env bash
# test_conn's SSH half: the connection tests against a private loopback sshd.
. "$(dirname "$0")/lib.sh"
: "${TEST_CONN:?set TEST_CONN to the test_conn binary}"
harness_start 1
set -a
. "$H/env"
set +a
"$TEST_CONN"
expect_eq "test_conn over SSH exit code" 0 "$?"
finish
