#!/usr/bin/env bash
# record.sh — regenerates tests/facts/fixture.json: gathers the harness host's
# facts with ansible-playbook and with the playc binary (run_facts.sh's
# setup), then compare.py record (keys equal now are "equal"; differences keep
# the rule and reason compare.py's KNOWN gives them; an unexplained one fails).
#   PLAYC=build/playc PLAYC_SRC=. PLAYC_RUNTIME=build/libplaycrt.a tests/facts/record.sh
export FACTS_RECORD=1
exec bash "$(dirname "$0")/../run_facts.sh"
