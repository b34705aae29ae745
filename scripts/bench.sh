#!/usr/bin/env bash
# Runs the benchmarks of DESIGN.md section 8 against real servers and prints
# their figures. Not part of the tests. Arguments pick benchmarks:
#   scripts/bench.sh                 all, full size (takes a while)
#   scripts/bench.sh quotas health   some of them (quotas, health, catalog, registry, load, logs, mlflow, waits, idle, notebooks, overview, feast, serving)
# BENCH_QUICK=1 shrinks every run (for a smoke check).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/bootstrap.sh >/dev/null

run() { node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs "$@"; }
quick="${BENCH_QUICK:-}"
which=("$@")
((${#which[@]})) || which=(quotas health catalog registry load logs mlflow waits idle notebooks overview feast serving)

for bench in "${which[@]}"; do
  echo "== bench/$bench.ts"
  case "$bench" in
    quotas) if [[ -n "$quick" ]]; then run bench/quotas.ts 50 2; else run bench/quotas.ts 500 7; fi ;;
    # The pass-through router, the real backend x1 and x2 (PostgreSQL on 127.0.0.1:5432).
    health) if [[ -n "$quick" ]]; then run bench/health.ts --real-backend --duration 10 --rounds 2; else run bench/health.ts --real-backend; fi ;;
    catalog) if [[ -n "$quick" ]]; then run bench/catalog.ts --sizes 1000,5000; else run bench/catalog.ts; fi ;;
    registry) run bench/registry.ts ${quick:+--models 200 --datasets 40} ;;
    load) if [[ -n "$quick" ]]; then run bench/load.ts --duration 5 --connections 50; else run bench/load.ts --duration 60 --connections 200; fi ;;
    logs) if [[ -n "$quick" ]]; then run bench/logs.ts --runs 20; else run bench/logs.ts --runs 200; fi ;;
    # BENCH_QUICK is read by the script itself: 100 x 5 models, 20 runs x 100 steps.
    mlflow) run bench/mlflow.ts ;;
    idle) if [[ -n "$quick" ]]; then run bench/idle.ts --notebooks 100 --cycles 3; else run bench/idle.ts --notebooks 500 --cycles 10; fi ;;
    # BENCH_QUICK is read by the script itself: 15 simulated days instead of 60.
    waits) run bench/waits.ts ;;
    # BENCH_QUICK is read by the script itself: 2 notebooks instead of 5.
    notebooks) run bench/notebooks.ts ;;
    # BENCH_QUICK is read by the script itself: 3 x 50 namespaces, 100 models, 20 clients, 15 s.
    overview) run bench/overview.ts ;;
    feast) if [[ -n "$quick" ]]; then run bench/feast.ts --views 200 --services 20; else run bench/feast.ts; fi ;;
    serving) if [[ -n "$quick" ]]; then run bench/serving.ts --duration 10 --connections 50; else run bench/serving.ts; fi ;;
    *) echo "unknown benchmark: $bench (quotas, health, catalog, registry, load, logs, mlflow, waits, idle, notebooks, overview, feast, serving)" >&2; exit 2 ;;
  esac
done
