#!/usr/bin/env bash
# Starts the portal with demo data: frontend on :3000, backend on :7007,
# SQLite in memory, and the demo stack (real Prometheus, Alertmanager and OCI
# registry from Debian packages, MLflow from .toolchain/py, each where
# installed: scripts/bootstrap.sh installs them when it can). Ctrl-C stops
# everything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/bootstrap.sh

scripts/demo-stack.sh start
trap 'scripts/demo-stack.sh stop' EXIT INT TERM

# The portal builds for a minute or more; say when it shows the demo in its
# documented state (demo entities in the catalog, fraud-detector failing),
# not merely when it answers.
(scripts/demo-stack.sh wait-portal 900 && echo "start: ready, open http://localhost:3000") &

ml_yarn start --config "$ROOT/app-config.yaml" --config "$ROOT/.demo/app-config.demo.yaml" "$@"
