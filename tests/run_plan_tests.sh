#!/usr/bin/env bash
# Golden plans and located diagnostics:
#   tests/plan/NAME.yml   `playc --plan NAME.yml` must print NAME.plan byte for byte,
#                         and --plan=json must be valid JSON
#   tests/errors/NAME.yml must fail with exit code 4, print every `# expect-error:` line
#                         of its header on stderr, and leave no output file with -o
#   every playbook of tests/plan, tests/integration and samples that plans must
#   also build: whatever --plan (the verifier) accepts, -o builds
. "$(dirname "$0")/lib.sh"

for yml in "$PLAYC_SRC"/tests/plan/*.yml; do
  [ -e "$yml" ] || continue
  name=$(basename "$yml" .yml)
  out=$(cd "$PLAYC_SRC/tests/plan" && "$PLAYC" --plan "$name.yml")
  expect_eq "plan $name" "$(cat "$PLAYC_SRC/tests/plan/$name.plan")" "$out"
  (cd "$PLAYC_SRC/tests/plan" && "$PLAYC" --plan=json "$name.yml") | python3 -m json.tool >/dev/null \
    && ok "plan=json $name" || bad "plan=json $name is not JSON"
  # the same input twice gives the same bytes
  again=$(cd "$PLAYC_SRC/tests/plan" && "$PLAYC" --plan "$name.yml")
  expect_eq "plan $name deterministic" "$out" "$again"
done

for yml in "$PLAYC_SRC"/tests/errors/*.yml; do
  [ -e "$yml" ] || continue
  name=$(basename "$yml" .yml)
  err=$(cd "$PLAYC_SRC/tests/errors" && "$PLAYC" --plan "$name.yml" 2>&1 >/dev/null)
  rc=$?
  expect_eq "error $name exit code" 4 "$rc"
  while IFS= read -r want; do
    case "$err" in
      *"$want"*) ok "error $name: $want" ;;
      *) bad "error $name: missing '$want' in:"; printf '%s\n' "$err" | head -20 ;;
    esac
  done < <(sed -n 's/^# expect-error: //p' "$yml")
  grep -q '^# expect-error: ' "$yml" || bad "error $name has no expect-error line"
  (cd "$PLAYC_SRC/tests/errors" && "$PLAYC" "$name.yml" -o "$work/$name.bin" 2>/dev/null)
  rc=$?
  expect_eq "error $name -o exit code" 4 "$rc"
  [ ! -e "$work/$name.bin" ] && ok "error $name leaves no output" || bad "error $name left $work/$name.bin"
done
for yml in "$PLAYC_SRC"/tests/plan/*.yml "$PLAYC_SRC"/tests/integration/*.yml "$PLAYC_SRC"/samples/*/*.yml; do
  [ -e "$yml" ] || continue
  name=$(basename "$(dirname "$yml")")/$(basename "$yml" .yml)
  (cd "$(dirname "$yml")" && "$PLAYC" --plan "$(basename "$yml")" >/dev/null 2>&1) || continue
  if (cd "$(dirname "$yml")" && "$PLAYC" "$(basename "$yml")" -o "$work/plan-build.bin" 2>"$work/plan-build.err"); then
    ok "plans and builds: $name"
  else
    bad "plans but does not build: $name"; head -5 "$work/plan-build.err"
  fi
  rm -f "$work/plan-build.bin"
done
finish
