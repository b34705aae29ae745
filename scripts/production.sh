#!/usr/bin/env bash
# The portal as production runs it: `yarn build:backend` (the backend bundle
# with the app inside, as Backstage's Dockerfile deploys it), started from
# the unpacked bundle with app-config.yaml + app-config.production.yaml on
# PostgreSQL, with the demo stack behind it.
#
#   scripts/production.sh            build, report the ML chunks, start, check
#   scripts/production.sh --bench    ... then bench/render.ts: Model page vs a
#                                    stock Component page in Chromium
#   scripts/production.sh --serve    ... then keep serving until Ctrl-C
#
# PostgreSQL: POSTGRES_HOST/PORT/USER/PASSWORD as app-config.production.yaml
# reads them (default 127.0.0.1:5432, postgres, trust auth). Each run uses its
# own database prefix (backend.database.prefix) and drops its databases on
# exit. The demo stack runs on the demo's ports: stop `scripts/start.sh` first,
# or set PRODUCTION_DEMO_DIR to a running demo stack's directory (e.g. .demo
# of `scripts/start.sh`) to use it as it is (neither started nor stopped).
# PRODUCTION_PORT picks the port (default: a free one).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/bootstrap.sh >/dev/null

mode="${1:-}"
case "$mode" in "" | --bench | --serve) ;; *)
  echo "usage: $0 [--bench|--serve]" >&2
  exit 2
  ;;
esac

export POSTGRES_HOST="${POSTGRES_HOST:-127.0.0.1}" POSTGRES_PORT="${POSTGRES_PORT:-5432}"
export POSTGRES_USER="${POSTGRES_USER:-postgres}" POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}"
WORK="$(mktemp -d -t ml-production-XXXXXX)"
DEPLOY="$WORK/deploy"
DEMO_DIR="${PRODUCTION_DEMO_DIR:-$WORK/demo}"
PREFIX="ml_prod_$(date +%s)_"
BACKEND_PID=""

psql_() { PGPASSWORD="$POSTGRES_PASSWORD" psql -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -Atqc "$1"; }
demo_stack() {
  if [[ -n "${PRODUCTION_DEMO_DIR:-}" ]]; then return 0; fi # someone else's
  ML_DEMO_DIR="$DEMO_DIR" ML_DEMO_BACKEND_URL="http://127.0.0.1:$PORT" bash scripts/demo-stack.sh "$@"
}
cleanup() {
  if [[ -n "$BACKEND_PID" ]]; then kill -- "-$BACKEND_PID" 2>/dev/null || true; fi
  demo_stack stop >/dev/null 2>&1 || true
  for db in $(psql_ "select datname from pg_database where datname like '${PREFIX}%'" 2>/dev/null); do
    psql_ "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="${PRODUCTION_PORT:-$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
T0=$SECONDS
echo "== yarn build:backend"
ml_yarn build:backend >"$WORK/build.log" 2>&1 || {
  tail -30 "$WORK/build.log"
  exit 1
}
echo "   built in $((SECONDS - T0)) s"

# The ML frontend plugin is lazy-loaded: its cards and pages are chunks of
# their own, fetched when an ML page or card first renders.
echo "== JavaScript of the app (packages/app/dist/static), gzipped sizes"
node scripts/production/chunks.js packages/app/dist/static

mkdir -p "$DEPLOY"
tar -xzf packages/backend/dist/bundle.tar.gz -C "$DEPLOY"
# The bundle holds the workspace packages it needs (built, package.json
# rewritten to dist); third-party modules come from this tree's install
# instead of a second, production-only one.
mkdir -p "$DEPLOY/node_modules/@mlplatform"
for e in node_modules/* node_modules/.bin node_modules/@mlplatform/*; do
  [[ "$e" == node_modules/@mlplatform ]] && continue
  name="${e#node_modules/}"
  if [[ -L "$e" && "$(readlink "$e")" == ../* || -L "$e" && "$(readlink "$e")" == ../../* ]]; then
    # a workspace package: the bundle's built copy when it has one
    target="$(cd "$(dirname "$e")" && cd "$(readlink "$(basename "$e")")" && pwd)"
    rel="${target#"$ROOT"/}"
    if [[ -d "$DEPLOY/$rel" ]]; then ln -s "$DEPLOY/$rel" "$DEPLOY/node_modules/$name"; fi
  else
    ln -s "$ROOT/$e" "$DEPLOY/node_modules/$name"
  fi
done

echo "== demo stack"
demo_stack start
cat >"$WORK/app-config.local.yaml" <<EOF
app: { baseUrl: http://127.0.0.1:$PORT }
backend:
  baseUrl: http://127.0.0.1:$PORT
  listen: '127.0.0.1:$PORT' # a string like app-config.production.yaml's (an object would clash)
  cors: { origin: http://127.0.0.1:$PORT }
  database: { prefix: $PREFIX }
# app-config.production.yaml's guest, as the demo's (examples/ml/org.yaml),
# allowed outside development for this local check.
auth:
  providers:
    guest:
      dangerouslyAllowOutsideDevelopment: true
      userEntityRef: user:default/guest
      ownershipEntityRefs: [user:default/guest, group:default/fraud-team]
catalog:
  locations:
    - { type: file, target: $ROOT/examples/ml/org.yaml, rules: [{ allow: [User, Group] }] }
    - { type: file, target: $ROOT/examples/org.yaml, rules: [{ allow: [User, Group] }] }
    - { type: file, target: $ROOT/examples/entities.yaml }
    - { type: file, target: $ROOT/examples/ml/fraud.yaml }
    - { type: file, target: $ROOT/examples/ml/recsys.yaml }
    - { type: file, target: $ROOT/examples/ml/nlp.yaml }
EOF
echo "== backend bundle on PostgreSQL ($POSTGRES_HOST:$POSTGRES_PORT, databases ${PREFIX}*), http://127.0.0.1:$PORT"
(cd "$DEPLOY" && NODE_ENV=production exec setsid node packages/backend \
  --config "$ROOT/app-config.yaml" --config "$ROOT/app-config.production.yaml" \
  --config "$DEMO_DIR/app-config.demo.yaml" --config "$WORK/app-config.local.yaml") \
  >"$WORK/backend.log" 2>&1 &
BACKEND_PID=$!

ready() { curl -fsS --max-time 5 "http://127.0.0.1:$PORT/api/ml/health" >/dev/null 2>&1; }
for _ in $(seq 1 240); do
  ready && break
  kill -0 "$BACKEND_PID" 2>/dev/null || break
  sleep 1
done
if ! ready; then
  echo "production: the backend did not answer /api/ml/health; its log:" >&2
  tail -40 "$WORK/backend.log" >&2
  exit 1
fi
guest="$(curl -fsS "http://127.0.0.1:$PORT/api/auth/guest/refresh" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).backstageIdentity.token)')"
for _ in $(seq 1 120); do
  curl -fsS -H "Authorization: Bearer $guest" "http://127.0.0.1:$PORT/api/ml/models/default/fraud-detector/health" 2>/dev/null |
    grep -q '"verdict":"failing"' && break
  sleep 2
done
echo "   ready in $((SECONDS - T0)) s in all; the ML tables on PostgreSQL:"
psql_ "select datname from pg_database where datname like '${PREFIX}%' order by 1" | sed 's/^/     /'

case "$mode" in
  --bench)
    node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs bench/render.ts \
      --base "http://127.0.0.1:$PORT" ;;
  --serve)
    echo "serving on http://127.0.0.1:$PORT (Ctrl-C stops it and the demo stack)"
    wait "$BACKEND_PID" ;;
esac
