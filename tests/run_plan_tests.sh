#!/usr/bin/env bash
# Golden plans and located diagnostics:
#   tests/plan/NAME.yml   `playc --plan NAME.yml` must print NAME.plan byte for byte,
#                         and --plan=json must be valid JSON
#   tests/errors/NAME.yml must fail with exit code 4, print every `# expect-error:` line
#                         of its header on stderr, and leave no output file with -o
#                         (a `# strict` line: with --strict, which makes the faults
#                         Ansible reports at run time errors)
#   every playbook of tests/plan, tests/integration and samples that plans must
#   also build: whatever --plan (the verifier) accepts, -o builds, or refuses
#   only as "not supported by playc yet" (ir_check_build)
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
  strict=()
  grep -q '^# strict$' "$yml" && strict=(--strict)
  err=$(cd "$PLAYC_SRC/tests/errors" && "$PLAYC" "${strict[@]}" --plan "$name.yml" 2>&1 >/dev/null)
  rc=$?
  expect_eq "error $name exit code" 4 "$rc"
  while IFS= read -r want; do
    case "$err" in
      *"$want"*) ok "error $name: $want" ;;
      *) bad "error $name: missing '$want' in:"; printf '%s\n' "$err" | head -20 ;;
    esac
  done < <(sed -n 's/^# expect-error: //p' "$yml")
  grep -q '^# expect-error: ' "$yml" || bad "error $name has no expect-error line"
  out=$(cd "$PLAYC_SRC/tests/errors" && "$PLAYC" "${strict[@]}" --plan "$name.yml" 2>/dev/null)
  expect_eq "error $name prints no plan" "" "$out"
  (cd "$PLAYC_SRC/tests/errors" && "$PLAYC" "${strict[@]}" "$name.yml" -o "$work/$name.bin" 2>/dev/null)
  rc=$?
  expect_eq "error $name -o exit code" 4 "$rc"
  [ ! -e "$work/$name.bin" ] && ok "error $name leaves no output" || bad "error $name left $work/$name.bin"
done
# An error found while lowering, after the loader dropped the file's text,
# still shows its source line and caret (the file is read again).
err=$(cd "$PLAYC_SRC/tests/errors" && "$PLAYC" --strict --plan bad_args.yml 2>&1 >/dev/null)
want=$(printf '%s\n%s\n%s' 'bad_args.yml:10:16: error: value of state must be one of: absent,directory,file,hard,link,touch, got: sideways' '        state: sideways' '               ^')
expect_eq "a lowering error quotes its source line" "$want" "$(printf '%s\n' "$err" | head -3)"

for yml in "$PLAYC_SRC"/tests/plan/*.yml "$PLAYC_SRC"/tests/integration/*.yml "$PLAYC_SRC"/samples/*/*.yml; do
  [ -e "$yml" ] || continue
  name=$(basename "$(dirname "$yml")")/$(basename "$yml" .yml)
  (cd "$(dirname "$yml")" && "$PLAYC" --plan "$(basename "$yml")" >/dev/null 2>&1) || continue
  if (cd "$(dirname "$yml")" && "$PLAYC" "$(basename "$yml")" -o "$work/plan-build.bin" 2>"$work/plan-build.err"); then
    ok "plans and builds: $name"
  elif ! grep ': error: ' "$work/plan-build.err" | grep -qv 'not supported by playc yet'; then
    ok "plans, and -o refuses only what playc does not run yet: $name"
  else
    bad "plans but does not build: $name"; grep ': error: ' "$work/plan-build.err" | grep -v 'not supported by playc yet' | head -5
  fi
  rm -f "$work/plan-build.bin"
done
# A one-line edit of a role changes only the plan lines of what it touches:
# here the `dest` of the task the role runs twice (roles: and import_role).
cp -r "$PLAYC_SRC/tests/plan/roles" "$PLAYC_SRC/tests/plan/roles.yml" "$work/"
before=$(cd "$work" && "$PLAYC" --plan roles.yml)
sed -i 's|dest: /tmp/web.conf|dest: /tmp/web2.conf|' "$work/roles/web/tasks/main.yml"
after=$(cd "$work" && "$PLAYC" --plan roles.yml)
changed=$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep -c '^[<>]')
expect_eq "plan diff: a one-line edit changes two lines each way" 4 "$changed"
diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep '^>' | grep -qv 'web2.conf' \
  && bad "plan diff: a changed line does not hold the edit" || ok "plan diff: every changed line holds the edit"

# One-line edits that add or drop frames (task vars, include_vars candidates)
# must not renumber anything else: frames are named by where their vars are
# written (frame@FILE:LINE:COL), so every changed line is one of the edited
# task's lines (it names the edited file or holds the edit), a frame's own
# var line, or a line that holds the old or new text (`also`).
#   edit: sed expression | max changed lines | also (regex)
plan_edit() {
  local label=$1 expr=$2 max=$3 also=$4
  rm -rf "$work/pd" && mkdir "$work/pd"
  cp -r "$PLAYC_SRC/tests/plan/roles" "$PLAYC_SRC/tests/plan/roles.yml" "$work/pd/"
  local a b d n stray
  a=$(cd "$work/pd" && "$PLAYC" --plan roles.yml)
  sed -i "$expr" "$work/pd/roles/web/tasks/main.yml"
  cmp -s "$work/pd/roles/web/tasks/main.yml" "$PLAYC_SRC/tests/plan/roles/web/tasks/main.yml" \
    && bad "plan diff $label: the edit changed nothing"
  [ "$(wc -l < "$work/pd/roles/web/tasks/main.yml")" = "$(wc -l < "$PLAYC_SRC/tests/plan/roles/web/tasks/main.yml")" ] \
    || bad "plan diff $label: not a one-line edit"
  b=$(cd "$work/pd" && "$PLAYC" --plan roles.yml)
  d=$(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | grep '^[<>]')
  n=$(printf '%s\n' "$d" | grep -c '^[<>]')
  [ "$n" -gt 0 ] && [ "$n" -le "$max" ] && ok "plan diff $label: $n changed lines (<= $max)" \
    || { bad "plan diff $label: $n changed lines (want 1..$max)"; printf '%s\n' "$d" | head -40; }
  stray=$(printf '%s\n' "$d" | grep -v 'roles/web/tasks/main\.yml' | grep -v '^[<>]   var ' | grep -Ev "$also")
  [ -z "$stray" ] && ok "plan diff $label: every changed line belongs to the edited task" \
    || { bad "plan diff $label: lines of other tasks changed:"; printf '%s\n' "$stray" | head -20; }
}
plan_edit "task vars" 's|^- name: Configure$|- vars: {extra: 1}|' 10 'web : copy'
plan_edit "include_vars name" 's|include_vars: "{{ os_family }}.yml"|include_vars: Debian.yml|' 12 \
  'os_family|Debian\.yml|RedHat\.yml'
plan_edit "module argument" 's|dest: /tmp/web.conf|dest: /tmp/other.conf|' 4 '/tmp/(web|other)\.conf'

# Shared expressions and handlers are named by where they are written
# (expr@FILE:LINE:COL, handler@FILE:LINE:COL[#NTH]), not numbered over the
# program: an edit that adds a root (a `when`) before a shared expr, or a role
# whose handlers come before the others, adds lines and renames nothing.
# plan_added LABEL FILE SED GONE: the plan's lines before the edit that are
# gone after it are exactly GONE (the edited line's, or none).
plan_added() {
  local label=$1 file=$2 expr=$3 a b gone
  a=$(cd "$work/pn" && "$PLAYC" --plan "$file")
  sed -i "$expr" "$work/pn/$file"
  b=$(cd "$work/pn" && "$PLAYC" --plan "$file")
  [ "$a" != "$b" ] || bad "plan names $label: the edit changed nothing"
  gone=$(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | grep '^<')
  expect_eq "plan names $label: only the edited line goes" "$4" "$gone"
}
rm -rf "$work/pn" && mkdir "$work/pn" && cp -r "$PLAYC_SRC/tests/plan/roles" "$work/pn/"
cat > "$work/pn/shared.yml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - debug: msg=one
    - debug:
        msg: &m {a: "{{ x }}"}
      vars: {again: *m}
EOF
plan_added "a when before a shared expr" shared.yml 's/- debug: msg=one/- {debug: msg=one, when: x}/' ""
cat > "$work/pn/handlers.yml" <<'EOF'
- hosts: all
  gather_facts: false
  roles: [web]
  tasks:
    - command: "true"
      notify: [restart web, last]
  handlers:
    - name: last
      debug: msg=last
EOF
plan_added "a role with a handler before the others" handlers.yml 's/roles: \[web\]/roles: [gap_inner, web]/' \
  '<   roles          ["web"]'
grep -q '^  handler@handlers.yml:8:7:$' <(cd "$work/pn" && "$PLAYC" --plan handlers.yml) \
  && ok "plan names: a play handler is handler@FILE:LINE:COL" || bad "plan names: no handler@handlers.yml:8:7"
grep -q '^      args           {msg: expr@shared.yml:6:14 = ' <(cd "$work/pn" && "$PLAYC" --plan shared.yml) \
  && ok "plan names: a shared expr is expr@FILE:LINE:COL" || bad "plan names: no expr@shared.yml:6:14"

# --plan lowers, prints and drops a task at a time (ir/stream.c) where it can:
# the same bytes (stdout, stderr, exit code) as the whole program at once
# (PLAYC_PLAN_WHOLE=1), for every playbook the tests and samples plan.
plan_both() { # DIR FILE FORMAT
  local a b ra rb
  a=$(cd "$1" && "$PLAYC" "$3" "$2" 2>"$work/stream.err"); ra=$?
  b=$(cd "$1" && PLAYC_PLAN_WHOLE=1 "$PLAYC" "$3" "$2" 2>"$work/whole.err"); rb=$?
  if [ "$ra" = "$rb" ] && [ "$a" = "$b" ] && cmp -s "$work/stream.err" "$work/whole.err"; then
    ok "plan a task at a time $3 $2"
  else
    bad "plan a task at a time $3 $2: exit $ra/$rb, or its output differs from the whole program's"
  fi
}
for yml in "$PLAYC_SRC"/tests/plan/*.yml "$PLAYC_SRC"/tests/errors/*.yml "$PLAYC_SRC"/tests/integration/*.yml \
           "$PLAYC_SRC"/samples/*/*.yml; do
  [ -e "$yml" ] || continue
  plan_both "$(dirname "$yml")" "$(basename "$yml")" --plan
  plan_both "$(dirname "$yml")" "$(basename "$yml")" --plan=json
done
# A big flat playbook: planned a task at a time, its peak memory is under
# the whole program's; a fault in its last task prints no plan at all.
python3 - "$work/flat.yml" "$work/flat_bad.yml" <<'PY'
import sys
head = ["- hosts: all", "  gather_facts: false", "  vars:", "    base: /tmp", "  tasks:"]
body = []
for i in range(20000):
    body += ["    - name: t%d" % i, "      command: echo {{ base }}/%d" % i, "      when: x | default(%d) > 1" % i]
open(sys.argv[1], "w").write("\n".join(head + body) + "\n")
open(sys.argv[2], "w").write("\n".join(head + body + ["    - debug: msg=\"{{ [1].upper() }}\""]) + "\n")
PY
peak() { /usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1; cat "$work/rss"; }
streamed=$(peak "$PLAYC" --plan "$work/flat.yml")
whole=$(PLAYC_PLAN_WHOLE=1 peak "$PLAYC" --plan "$work/flat.yml")
# (release: about 0.6 of it; ASan's own allocations make it about 0.85)
[ "$streamed" -lt $((whole * 9 / 10)) ] && ok "plan a task at a time: peak ${streamed} KiB, whole ${whole} KiB" \
  || bad "plan a task at a time: peak ${streamed} KiB is not under 9/10 of the whole program's ${whole} KiB"
plan_both "$work" flat.yml --plan
plan_both "$work" flat_bad.yml --plan=json
out=$(cd "$work" && "$PLAYC" --plan flat_bad.yml 2>"$work/bad.err"); rc=$?
expect_eq "late error: exit code" 4 "$rc"
expect_eq "late error: no partial plan" "" "$out"
grep -q "has no attribute 'upper'" "$work/bad.err" && ok "late error reported" || bad "late error not reported"

# Modules and keywords playc does not run yet: --plan succeeds and shows them,
# -o fails listing each (`# expect-build-error:` lines) and writes nothing.
for yml in "$PLAYC_SRC"/tests/unsupported/*.yml; do
  [ -e "$yml" ] || continue
  name=$(basename "$yml" .yml)
  (cd "$PLAYC_SRC/tests/unsupported" && "$PLAYC" --plan "$name.yml" >/dev/null 2>&1)
  expect_eq "unsupported $name --plan exit code" 0 "$?"
  err=$(cd "$PLAYC_SRC/tests/unsupported" && "$PLAYC" "$name.yml" -o "$work/$name.bin" 2>&1 >/dev/null)
  rc=$?
  expect_eq "unsupported $name -o exit code" 4 "$rc"
  grep -q '^# expect-build-error: ' "$yml" || bad "unsupported $name has no expect-build-error line"
  while IFS= read -r want; do
    case "$err" in
      *"$want"*) ok "unsupported $name: $want" ;;
      *) bad "unsupported $name: missing '$want' in:"; printf '%s\n' "$err" | head -20 ;;
    esac
    n=$(printf '%s\n' "$err" | grep -cF -- "$want")
    expect_eq "unsupported $name: listed once: $want" 1 "$n"
  done < <(sed -n 's/^# expect-build-error: //p' "$yml")
  [ ! -e "$work/$name.bin" ] && ok "unsupported $name leaves no output" || bad "unsupported $name left $work/$name.bin"
done
finish
