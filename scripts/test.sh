#!/usr/bin/env bash
# The whole test suite, as CI runs it: install, build, lint, typecheck, then every vitest project in
# one run. The last line is the total over all suites: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh --test-clients || { echo "0 passed, 1 failed"; exit 1; }

failed_checks=0
run_check() {
  local label=$1; shift
  echo "== $label" >&2
  if "$@"; then echo "== $label: ok" >&2; else echo "== $label: FAILED" >&2; failed_checks=$((failed_checks + 1)); fi
}
run_check build pnpm exec turbo run build --output-logs=errors-only
run_check lint pnpm --silent lint
run_check typecheck pnpm exec turbo run typecheck --output-logs=errors-only

report=$(mktemp --suffix=.json)
echo "== tests" >&2
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report"
vitest_status=$?
node scripts/test-totals.mjs "$report" "$failed_checks" "$vitest_status"
