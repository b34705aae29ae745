#!/usr/bin/env bash
# The plugins as a platform team gets them: packed, installed into a new
# Backstage app outside this repository, with exactly the lines of the
# README's "Install in your Backstage" section.
#
#  1. in a clone of the committed HEAD: type check, build (`backstage-cli
#     package build`) and `yarn pack` every plugin; the packed package.json must hold no `workspace:` range and the
#     files the package needs at runtime (dist, types, config.d.ts, migrations)
#  2. `@backstage/create-app` of the version matching backstage.json, in a temp
#     dir; install with the repo's yarn, the repo's resolutions (toolchain pins,
#     see the README's lockfile notes) and the repo's yarn.lock as the seed
#     (create-app fetches its seed from GitHub, unreachable here)
#  3. the README's marked blocks (scripts/fresh-app/readme-blocks.js): the
#     `yarn add` lines against the tarballs, the backend lines, the config
#  4. `yarn tsc`, `yarn build:backend` (the production bundle: backend and
#     app, as the template's Dockerfile deploys it)
#  5. the demo stack (scripts/demo-stack.sh, own ports and state dir), then the
#     bundled backend on SQLite with it and the example entities of
#     examples/ml: /api/ml/health answers, the catalog holds Models, Datasets
#     and Pipelines, the fraud detector's health is judged from Prometheus, the
#     app is served, a guest reads ML routes, the Model page renders its cards
#     in Chromium, a notebook is created through the API and deleted
#
# Prints PASS/FAIL per check and each step's duration; exits non-zero on any
# failure. FRESH_APP_KEEP=1 keeps the temp dir (its path is printed).
# Measured: 6-7 min on the 2-core machine with other work running (install
# 2-4 min of it), Node 24, warm yarn cache.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/bootstrap.sh

# create-app releases per Backstage release (backstage.json's version)
BACKSTAGE_VERSION="$(node -p "require('./backstage.json').version")"
case "$BACKSTAGE_VERSION" in
  1.55.*) CREATE_APP_VERSION=0.9.2 ;;
  *)
    echo "fresh-app: no create-app version known for Backstage $BACKSTAGE_VERSION; add it to ${BASH_SOURCE[0]}" >&2
    exit 1
    ;;
esac
# In dependency order, as a release publishes them.
PLUGINS=(ml-common ml-node ml-oci ml-backend catalog-backend-module-ml scaffolder-backend-module-ml ml)

WORK="$(mktemp -d -t ml-fresh-app-XXXXXX)"
APP="$WORK/app"
PACKS="$WORK/packs"
BACKEND_PID=""
T0=$SECONDS
RESULTS=()
FAILED=0

cleanup() {
  if [[ -n "$BACKEND_PID" ]]; then kill -- "-$BACKEND_PID" 2>/dev/null || kill "$BACKEND_PID" 2>/dev/null || true; fi
  if [[ -d "${DEMO_DIR:-}" ]]; then demo_stack stop >/dev/null 2>&1 || true; fi
  # ~2 GB of node_modules take minutes to delete on a busy machine: in the
  # background, detached (rm does not follow the links into this tree).
  if [[ "${FRESH_APP_KEEP:-}" == 1 ]]; then echo "fresh-app: kept $WORK"; else (setsid rm -rf "$WORK" >/dev/null 2>&1 &); fi
}
trap cleanup EXIT

STEP_T=$SECONDS
step() {
  echo
  echo "== $* ($(date +%T), +$((SECONDS - T0)) s)"
  STEP_T=$SECONDS
}
check() { # check <name> <command...>: records PASS/FAIL and the step's time so far
  local name="$1"
  shift
  if "$@"; then LAST=0; else LAST=1; fi
  RESULTS+=("$( ((LAST)) && echo FAIL || echo PASS) $name ($((SECONDS - STEP_T)) s)")
  FAILED=$((FAILED | LAST))
  echo "${RESULTS[-1]}"
}
summary() {
  echo
  echo "== fresh-app summary ($((SECONDS - T0)) s in all)"
  printf '%s\n' "${RESULTS[@]}"
  if ((FAILED)); then echo "fresh-app: FAIL"; else echo "fresh-app: PASS"; fi
}
# A failing step with nothing after it worth running: record it and stop.
must() {
  local name="$1"
  shift
  check "$name" "$@"
  if ((LAST)); then
    summary
    exit 1
  fi
}
# The app's own yarn is the same release as ours (create-app ships 4.13.0).
app_yarn() { (cd "$APP" && ml_yarn "$@"); }

# --- 1. pack ----------------------------------------------------------------
# The committed HEAD, cloned into the temp dir: uncommitted work in this tree
# neither breaks nor passes the test, and no build output lands here.
# FRESH_APP_SOURCE=worktree builds this working tree in place instead.
# The clone reuses this tree's node_modules (the same yarn.lock or close to
# it): third-party entries are links to ours, workspace links are copied as
# the relative links they are, so they point into the clone.
SRC="$ROOT"
clone_head() {
  SRC="$WORK/src"
  git clone -q --shared --no-checkout "$ROOT" "$SRC" && git -C "$SRC" checkout -q "$(git rev-parse HEAD)" || return 1
  mkdir -p "$SRC/node_modules/@mlplatform" "$SRC/.yarn"
  local e d
  for e in "$ROOT"/node_modules/* "$ROOT"/node_modules/.bin "$ROOT"/node_modules/.yarn-state.yml "$ROOT"/node_modules/@mlplatform/*; do
    [[ "$e" == "$ROOT/node_modules/@mlplatform" ]] && continue
    if [[ -L "$e" ]]; then cp -P "$e" "$SRC/${e#"$ROOT"/}"; else ln -s "$e" "$SRC/${e#"$ROOT"/}"; fi
  done
  for d in "$ROOT"/packages/*/node_modules "$ROOT"/plugins/*/node_modules; do
    [[ -d "$d" && -d "$SRC/$(dirname "${d#"$ROOT"/}")" ]] && ln -s "$d" "$SRC/${d#"$ROOT"/}"
  done
  cp "$ROOT/.yarn/install-state.gz" "$SRC/.yarn/" 2>/dev/null || true
}
build_and_pack() {
  if [[ "${FRESH_APP_SOURCE:-head}" != worktree ]]; then
    echo "  building $(git rev-parse --short HEAD) (the committed HEAD)"
    clone_head || return 1
  fi
  (cd "$SRC" && node_modules/.bin/tsc) || return 1
  mkdir -p "$PACKS"
  local p name
  for p in "${PLUGINS[@]}"; do
    name="$(node -p "require('$SRC/plugins/$p/package.json').name")"
    (cd "$SRC/plugins/$p" && ../../node_modules/.bin/backstage-cli package build) || return 1
    (cd "$SRC" && ml_yarn workspace "$name" pack --out "$PACKS/%s.tgz" >/dev/null) || return 1
  done
}
step "type check, build and pack the plugins"
must "build and pack ${#PLUGINS[@]} plugins" build_and_pack

# What the packed package.json promises must be in the tarball.
packed_ok() {
  local p name tgz ok=0
  for p in "${PLUGINS[@]}"; do
    name="$(node -p "require('./plugins/$p/package.json').name")"
    tgz="$PACKS/${name/\//-}.tgz"
    tar -tzf "$tgz" | sed 's#^package/##' >"$WORK/files.txt"
    tar -xzOf "$tgz" package/package.json >"$WORK/package.json"
    node -e '
      const fs = require("fs");
      const [pkgFile, filesFile, dir] = process.argv.slice(1);
      const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
      const files = new Set(fs.readFileSync(filesFile, "utf8").split("\n"));
      const problems = [];
      for (const [k, v] of Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies }))
        if (/^(workspace|link|portal|file):/.test(v)) problems.push(`dependency ${k}@${v}`);
      for (const f of [pkg.main, pkg.module, pkg.types, pkg.configSchema].filter(Boolean))
        if (!files.has(f)) problems.push(`${f} is missing`);
      if (/^src\//.test(pkg.main) || /^src\//.test(pkg.types)) problems.push(`main/types point at src/`);
      // migrations the backend loads at runtime (resolvePackagePath(name, "migrations"))
      if (fs.existsSync(`${dir}/migrations`))
        for (const m of fs.readdirSync(`${dir}/migrations`))
          if (!files.has(`migrations/${m}`)) problems.push(`migrations/${m} is missing`);
      if (problems.length) { console.error(`${pkg.name}: ${problems.join("; ")}`); process.exit(1); }
    ' "$WORK/package.json" "$WORK/files.txt" "$SRC/plugins/$p" || ok=1
  done
  return $ok
}
check "packed package.json: no workspace ranges; main, types, config.d.ts, migrations inside" packed_ok

# --- 2. a new app ------------------------------------------------------------
step "create-app $CREATE_APP_VERSION (Backstage $BACKSTAGE_VERSION)"
# create-app runs `yarn -v` while scaffolding: give it ours.
mkdir -p "$WORK/bin"
printf '#!/bin/sh\nexec node %q "$@"\n' "$ROOT/.yarn/releases/yarn-4.13.0.cjs" >"$WORK/bin/yarn"
chmod +x "$WORK/bin/yarn"
create_app() {
  echo ml-fresh-app | PATH="$WORK/bin:$PATH" npx -y "@backstage/create-app@$CREATE_APP_VERSION" \
    --skip-install --path "$APP" >"$WORK/create-app.log" 2>&1 || {
    tail -20 "$WORK/create-app.log"
    return 1
  }
  [[ "$(node -p "require('$APP/backstage.json').version")" == "$BACKSTAGE_VERSION" ]]
}
must "create-app $CREATE_APP_VERSION scaffolds Backstage $BACKSTAGE_VERSION" create_app

# Our tarballs depend on each other by version (^0.1.0), which no registry
# holds here: resolutions point those names at the tarballs, as a private
# registry would. The other resolutions are this machine's toolchain pins.
node -e '
  const fs = require("fs");
  const [appPkgFile, repoPkgFile, packs, ...names] = process.argv.slice(1);
  const app = JSON.parse(fs.readFileSync(appPkgFile, "utf8"));
  const repo = JSON.parse(fs.readFileSync(repoPkgFile, "utf8"));
  app.resolutions = { ...app.resolutions, ...repo.resolutions };
  for (const n of names) app.resolutions[n] = `file:${packs}/${n.replace("/", "-")}.tgz`;
  fs.writeFileSync(appPkgFile, JSON.stringify(app, null, 2) + "\n");
' "$APP/package.json" "$SRC/package.json" "$PACKS" \
  $(for p in "${PLUGINS[@]}"; do node -p "require('./plugins/$p/package.json').name"; done)
cp "$SRC/yarn.lock" "$APP/yarn.lock"

# --- 3. the README's section ------------------------------------------------
step "apply README.md \"Install in your Backstage\" (yarn add installs the app)"
apply_readme() {
  local install
  install="$(node "$SRC/scripts/fresh-app/readme-blocks.js" install "$SRC/README.md" "$PACKS")" || return 1
  node "$SRC/scripts/fresh-app/readme-blocks.js" backend "$SRC/README.md" "$APP/packages/backend/src/index.ts" || return 1
  node "$SRC/scripts/fresh-app/readme-blocks.js" config "$SRC/README.md" "$APP/app-config.ml.yaml" || return 1
  echo "$install"
  # `yarn add` in a TypeScript project asks Algolia which @types/* exist;
  # unreachable here, that crashes yarn ("onCancel handler was attached
  # after the promise settled"). Nothing to do with the plugins.
  (cd "$APP" && YARN_TS_ENABLE_AUTO_TYPES=false PATH="$WORK/bin:$PATH" bash -euo pipefail -c "$install") \
    >"$WORK/install.log" 2>&1 || {
    cut -c1-300 "$WORK/install.log" | grep -E 'YN0001|YN0082|YN0028|Error' | head -20
    cut -c1-300 "$WORK/install.log" | tail -5
    return 1
  }
}
must "README install, backend and config blocks applied; app installed" apply_readme

# --- 4. type check and build ------------------------------------------------
step "yarn tsc"
check "yarn tsc in the app" app_yarn tsc
step "production build (backend bundle with the app inside)"
must "yarn build:backend" app_yarn build:backend
# The bundle the Dockerfile deploys: backend and app dist, no node_modules.
# Instead of a second (production-only) install, it reuses the app's.
DEPLOY="$WORK/deploy"
deploy_bundle() {
  mkdir -p "$DEPLOY" &&
    tar -xzf "$APP/packages/backend/dist/bundle.tar.gz" -C "$DEPLOY" &&
    ln -s "$APP/node_modules" "$DEPLOY/node_modules" || return 1
  # the ML frontend plugin made it into the app (found through app.packages: all)
  grep -rlq 'mlplatform/plugin-ml' "$DEPLOY/packages/app/dist/static" || {
    echo "  @mlplatform/plugin-ml is not in packages/app/dist/static"
    return 1
  }
}
check "the bundle holds the backend and the app with the ML plugin" deploy_bundle

# --- 5. start it --------------------------------------------------------------
step "start the demo stack, then the built backend on SQLite with examples/ml"
PORT="$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
# The demo stack of scripts/start.sh (real Prometheus, Alertmanager, OCI
# registry, MLflow, JupyterHub; the test Kubernetes API servers), with its
# state in the temp dir. Its ports are the demo's (the example Models name the
# demo registry localhost:19050), so a running `scripts/start.sh` must be
# stopped first (scripts/test.sh runs this after the browser tests stopped
# theirs). It writes the `ml:` config the app is started with.
DEMO_DIR="$WORK/demo"
demo_stack() {
  ML_DEMO_DIR="$DEMO_DIR" ML_DEMO_BACKEND_URL="http://127.0.0.1:$PORT" bash "$SRC/scripts/demo-stack.sh" "$@"
}
must "the demo stack starts" demo_stack start
TOKEN="fresh-app-$RANDOM$RANDOM$RANDOM"
cat >"$APP/app-config.test.yaml" <<EOF
app:
  baseUrl: http://127.0.0.1:$PORT
backend:
  baseUrl: http://127.0.0.1:$PORT
  listen: { port: $PORT, host: 127.0.0.1 }
  cors: { origin: http://127.0.0.1:$PORT }
  database: { client: better-sqlite3, connection: ':memory:' }
  auth:
    externalAccess:
      - type: static
        options: { token: $TOKEN, subject: fresh-app-test }
# The frontend's sign-in; a production build refuses guests unless told. The
# guest is user:default/guest of examples/ml/org.yaml, in fraud-team, as in
# the demo, so it may spend the fraud team's GPU quota.
auth:
  providers:
    guest:
      dangerouslyAllowOutsideDevelopment: true
      userEntityRef: user:default/guest
      ownershipEntityRefs: [user:default/guest, group:default/fraud-team]
catalog:
  locations:
    - { type: file, target: $SRC/examples/ml/org.yaml, rules: [{ allow: [User, Group] }] }
    - { type: file, target: $SRC/examples/ml/fraud.yaml }
    - { type: file, target: $SRC/examples/ml/recsys.yaml }
    - { type: file, target: $SRC/examples/ml/nlp.yaml }
EOF
# Its own process group, so cleanup stops the backend and nothing else.
(cd "$DEPLOY" && exec setsid node packages/backend --config "$APP/app-config.yaml" \
  --config "$APP/app-config.ml.yaml" --config "$DEMO_DIR/app-config.demo.yaml" \
  --config "$APP/app-config.test.yaml") >"$WORK/backend.log" 2>&1 &
BACKEND_PID=$!

get() { curl -fsS --max-time 10 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$1"; }
wait_for() { # wait_for <seconds> <command...>
  local until=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > until)) || ! kill -0 "$BACKEND_PID" 2>/dev/null; then return 1; fi
    sleep 1
  done
}
ml_health() {
  local body
  wait_for 240 get /api/ml/health || return 1
  body="$(get /api/ml/health)" && echo "  /api/ml/health: ${body:0:200}"
}
check "GET /api/ml/health answers" ml_health
kind_count() { get "/api/catalog/entities/by-query?filter=kind=$1&limit=100" | node -e '
  const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const n = r.items.length;
  console.log(`  ${process.argv[1]}: ${n} (${r.items.map(e => e.metadata.name).slice(0, 4).join(", ")})`);
  process.exit(n > 0 ? 0 : 1);' "$1"; }
# The catalog accepts these kinds only through the ML module's processor.
catalog_kinds() {
  wait_for 180 kind_count model || { echo "  no Model after 180 s"; return 1; }
  kind_count model && kind_count dataset && kind_count pipeline
}
check "the catalog holds the example Models, Datasets and Pipelines" catalog_kinds
# The ML backend reads the Model from the catalog and judges it from the demo
# stack's Prometheus: the demo's fraud detector drifts (docs/health.md).
model_health() {
  local body
  body="$(get "/api/ml/models/default/fraud-detector/health")" || return 1
  echo "  /api/ml/models/default/fraud-detector/health: ${body:0:160}"
  grep -q '"verdict":"failing"' <<<"$body"
}
# The first answers come before Prometheus has the demo's backfilled series.
model_health_soon() { wait_for 120 model_health || true; model_health; }
check "GET /api/ml/models/default/fraud-detector/health judges it failing (the demo's drift)" model_health_soon
serves_app() { curl -fsS --max-time 10 "http://127.0.0.1:$PORT/" | grep -q '<!DOCTYPE html>'; }
check "the backend serves the app (GET / is its index.html)" serves_app
# As the browser would: a guest identity token, then ML routes behind
# user auth; the audit trail and notebooks come from the plugin's own tables.
as_guest() {
  local guest path body
  guest="$(curl -fsS --max-time 10 "http://127.0.0.1:$PORT/api/auth/guest/refresh" |
    node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).backstageIdentity.token)')" || return 1
  for path in /api/ml/overview /api/ml/audit /api/ml/notebooks; do
    body="$(curl -fsS --max-time 10 -H "Authorization: Bearer $guest" "http://127.0.0.1:$PORT$path")" || return 1
    echo "  $path: ${body:0:120}"
  done
}
check "a guest reads /api/ml/overview, /api/ml/audit and /api/ml/notebooks" as_guest
# The Model page in Chromium, as a user opens it: the ML cards with the demo
# stack's data (scripts/fresh-app/model-page.js).
model_page() {
  node "$SRC/scripts/fresh-app/model-page.js" "http://127.0.0.1:$PORT" "$WORK/model-page.png"
}
check "the fraud detector's Model page in Chromium: Health (failing), Versions, Lineage" model_page
# A notebook through the API, as the guest of fraud-team: created on the demo
# cluster, listed, then deleted.
notebook_api() {
  local guest name="fresh-app-nb-$RANDOM" body
  guest="$(curl -fsS --max-time 10 "http://127.0.0.1:$PORT/api/auth/guest/refresh" |
    node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).backstageIdentity.token)')" || return 1
  body="$(curl -sS --max-time 60 -w ' HTTP %{http_code}' -H "Authorization: Bearer $guest" -H 'content-type: application/json' \
    -d "{\"name\":\"$name\",\"cluster\":\"gpu-cluster-a\",\"namespace\":\"fraud\",\"gpus\":0}" \
    "http://127.0.0.1:$PORT/api/ml/notebooks")" || return 1
  echo "  POST /api/ml/notebooks: ${body:0:200}"
  [[ "$body" == *" HTTP 201" ]] || return 1
  curl -fsS --max-time 10 -H "Authorization: Bearer $guest" "http://127.0.0.1:$PORT/api/ml/notebooks" | grep -q "\"$name\"" || {
    echo "  $name is not in GET /api/ml/notebooks"
    return 1
  }
  body="$(curl -sS --max-time 60 -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $guest" \
    "http://127.0.0.1:$PORT/api/ml/notebooks/gpu-cluster-a/fraud/$name")"
  echo "  DELETE: HTTP $body"
  [[ "$body" == 20? ]]
}
check "a notebook created through the API on the demo cluster, listed and deleted" notebook_api
if ((FAILED)); then
  echo "-- backend log (last 40 lines)"
  tail -40 "$WORK/backend.log"
fi
summary
exit $FAILED
