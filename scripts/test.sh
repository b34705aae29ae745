#!/usr/bin/env bash
# Every check of the repo: type check, lint, and all tests (stores on SQLite
# and PostgreSQL, integrations against real Prometheus, Alertmanager,
# docker-registry, MLflow and Feast), then the browser end-to-end tests against the
# demo portal (scripts/e2e.sh, Debian's Chromium), then the packed plugins in a
# fresh Backstage app (scripts/fresh-app.sh). Ends with the line "N passed, N failed".
#
# PostgreSQL: BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING, default
# postgresql://postgres@127.0.0.1:5432 (trust auth).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/bootstrap.sh

export CI=true
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-postgresql://postgres@127.0.0.1:5432}"

# scripts/bootstrap.sh (sourced above) installs these when running as root;
# otherwise it printed the command to run, and we refuse to run half the tests.
missing=()
for bin in prometheus promtool prometheus-alertmanager docker-registry chromium; do
  command -v "$bin" >/dev/null || missing+=("$bin")
done
/usr/bin/python3 -c 'import torch, pytest' 2>/dev/null || missing+=("python3-torch python3-pytest")
if ((${#missing[@]})); then
  echo "test: missing ${missing[*]}; install with:" >&2
  echo "  sudo apt-get install --no-install-recommends ${ML_APT_PACKAGES[*]}" >&2
  exit 1
fi
if [[ ! -x "$ML_PY_BIN/mlflow" ]]; then
  echo "test: MLflow is not installed in .toolchain/py (scripts/bootstrap.sh failed to pip install requirements-services.txt; see its output above)" >&2
  exit 1
fi
if [[ ! -x "$ML_FEAST_BIN/feast" ]]; then
  echo "test: Feast is not installed in .toolchain/feast (scripts/bootstrap.sh failed to pip install requirements-feast.txt; see its output above)" >&2
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
jest_line="$(node -e '
  const r = require(process.argv[1]);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" 2>/dev/null || echo "0 passed, 1 failed")"
rm -f "$report"
echo "jest: $jest_line"

# Browser end-to-end against the running demo portal (scripts/e2e.sh starts
# and stops it). Skipped when Jest arguments narrow the run, or with
# ML_SKIP_E2E=1.
e2e_line="0 passed, 0 failed"
if [[ $# -eq 0 && "${ML_SKIP_E2E:-}" != 1 ]]; then
  step "browser end-to-end"
  e2e_log="$(mktemp -t ml-e2e-XXXXXX.log)"
  scripts/e2e.sh 2>&1 | tee "$e2e_log" || status=1
  e2e_line="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$e2e_log" | tail -n 1)"
  e2e_line="${e2e_line:-0 passed, 1 failed}"
  rm -f "$e2e_log"
fi

# The packed plugins in a new Backstage app, installed with the README's
# "Install in your Backstage" lines (scripts/fresh-app.sh, ~6-7 min). Each of
# its checks counts as a test. Skipped when Jest arguments narrow the run, or
# with ML_SKIP_FRESH_APP=1.
fresh_line="0 passed, 0 failed"
if [[ $# -eq 0 && "${ML_SKIP_FRESH_APP:-}" != 1 ]]; then
  step "fresh app"
  fresh_log="$(mktemp -t ml-fresh-XXXXXX.log)"
  scripts/fresh-app.sh 2>&1 | tee "$fresh_log" || status=1
  fresh_line="$(node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
    const at = lines.findIndex(l => l.startsWith("== fresh-app summary"));
    const results = at < 0 ? [] : lines.slice(at + 1).filter(l => /^(PASS|FAIL) /.test(l));
    const failed = results.filter(l => l.startsWith("FAIL")).length;
    console.log(`${results.length - failed} passed, ${results.length ? failed : 1} failed`);
  ' "$fresh_log")"
  rm -f "$fresh_log"
  echo "fresh-app: $fresh_line"
fi

# The closing line CI reads: Jest, browser and fresh-app checks together.
node -e '
  const lines = process.argv.slice(1).map(l => l.match(/(\d+) passed, (\d+) failed/));
  const passed = lines.reduce((n, m) => n + Number(m[1]), 0);
  const failed = lines.reduce((n, m) => n + Number(m[2]), 0);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
' "$jest_line" "$e2e_line" "$fresh_line" || status=1
exit "$status"
