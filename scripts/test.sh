#!/usr/bin/env bash
# Every check of the repo: type check, lint, and all tests (stores on SQLite
# and PostgreSQL, integrations against real Prometheus, Alertmanager and
# docker-registry). Ends with the line "N passed, N failed".
#
# PostgreSQL: BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING, default
# postgresql://postgres@127.0.0.1:5432 (trust auth).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/bootstrap.sh

export CI=true
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-postgresql://postgres@127.0.0.1:5432}"

missing=()
for bin in prometheus promtool prometheus-alertmanager docker-registry; do
  command -v "$bin" >/dev/null || missing+=("$bin")
done
if ((${#missing[@]})); then
  echo "test: missing ${missing[*]}; install with:" >&2
  echo "  apt-get install --no-install-recommends prometheus prometheus-alertmanager docker-registry" >&2
  exit 1
fi
if ! node -e "require('net').connect(new URL(process.argv[1]).port||5432,new URL(process.argv[1]).hostname).on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" "$BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING"; then
  echo "test: PostgreSQL is not reachable at $BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING" >&2
  exit 1
fi

step() { echo; echo "== $* ($(date +%T))"; }

step "type check"
ml_yarn tsc

step "lint"
ml_yarn lint:all

step "prettier"
ml_yarn prettier:check

step "tests"
report="$(mktemp -t ml-jest-XXXXXX.json)"
status=0
ml_yarn test --json --outputFile="$report" "$@" || status=$?
node -e '
  const r = require(process.argv[1]);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` +
    (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$report" || { echo "0 passed, 1 failed"; status=1; }
rm -f "$report"
exit "$status"
