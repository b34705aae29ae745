#!/usr/bin/env bash
# The demo stack behind `scripts/start.sh`: real Prometheus, Alertmanager and
# an OCI registry (Debian packages), a real MLflow (.toolchain/py) and a real
# Feast registry (.toolchain/feast; both from scripts/bootstrap.sh) and
# s3rver (npm) on 127.0.0.1, state in .demo/; plus test stand-ins for
# Kubernetes, Kubeflow Pipelines and Airflow.
#
#   scripts/demo-stack.sh start   start what is installed, write .demo/app-config.demo.yaml
#   scripts/demo-stack.sh stop    stop everything it started
#   scripts/demo-stack.sh wait-portal [seconds]
#                                 wait until the portal (scripts/start.sh) shows the demo
#                                 in its documented state (see wait_portal below)
#
# A server whose package is missing is left out of the generated config, so its
# cards say "not configured" instead of failing. Ports: ML_DEMO_PORT_BASE (19000) + offset;
# state: ML_DEMO_DIR (.demo).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO="${ML_DEMO_DIR:-$ROOT/.demo}"
BASE="${ML_DEMO_PORT_BASE:-19000}"
PROM_PORT=$((BASE + 90)) AM_PORT=$((BASE + 93)) REG_PORT=$((BASE + 50))
KUBE_A_PORT=$((BASE + 443)) KUBE_B_PORT=$((BASE + 444))
KFP_PORT=$((BASE + 880)) AIRFLOW_PORT=$((BASE + 881))
MLFLOW_PORT=$((BASE + 500))
JUPYTERHUB_PORT=$((BASE + 800))
FEAST_PORT=$((BASE + 570))
TENSORBOARD_PORT=$((BASE + 606))
S3_PORT=$((BASE + 900))
# Where Alertmanager posts alerts: the ML backend's webhook (backend.baseUrl).
ML_BACKEND_URL="${ML_DEMO_BACKEND_URL:-http://localhost:7007}"

have() { command -v "$1" >/dev/null 2>&1; }

wait_http() { # url name logfile
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "demo-stack: $2 did not become ready; last log lines:" >&2
  tail -n 20 "$3" >&2
  return 1
}

demo_metrics() { # backfill|rules args...
  node --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
    "$ROOT/packages/test-services/src/demoMetrics.ts" "$@"
}

wait_json_line() { # logfile key name -> prints the key's value of the first JSON line
  local line=""
  for _ in $(seq 1 300); do
    line=$(grep -m1 "^{\"$2\"" "$1" 2>/dev/null || true)
    [[ -n "$line" ]] && break
    sleep 0.1
  done
  if [[ -z "$line" ]]; then
    echo "demo-stack: $3 did not start; last log lines:" >&2
    tail -n 20 "$1" >&2
    return 1
  fi
  node -e 'const v = JSON.parse(process.argv[1])[process.argv[2]];
    console.log(typeof v === "string" ? v : JSON.stringify(v))' "$line" "$2"
}

# The documented demo state (docs/health.md) has ModelDriftHigh firing for
# fraud-detector. Prometheus evaluates the rule within one evaluation interval
# of starting and only then sends it to Alertmanager; a portal read before
# that judges the model `degraded`, so "ready" waits for it.
wait_drift_alert() {
  local url="http://127.0.0.1:$AM_PORT/api/v2/alerts?active=true&filter=alertname%3D%22ModelDriftHigh%22"
  # Usually 15-30 s; a loaded machine (the fresh-app test builds beside it)
  # has taken over 70 s.
  for _ in $(seq 1 360); do
    curl -fsS "$url" 2>/dev/null | grep -q '"alertname":"ModelDriftHigh"' && return 0
    sleep 0.5
  done
  echo "demo-stack: ModelDriftHigh did not fire in Alertmanager within 180 s; Prometheus's alerts and last log lines:" >&2
  curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/alerts" >&2 || true
  tail -n 20 "$DEMO/prometheus/log" >&2
  return 1
}

# The portal shows the demo as documented once the catalog holds the demo
# entities and the backend judges fraud-detector `failing` (drift alert
# firing; docs/health.md). The backend caches health answers, so one read
# before the alert fired would keep showing `degraded` for a while: waiting
# for `failing` also leaves the documented answer in that cache.
PORTAL_DEADLINE=0 PORTAL_TOKEN=""
until_portal_deadline() { # what cmd...
  local what=$1
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > PORTAL_DEADLINE)); then
      echo "demo-stack: $what not reached in time" >&2
      return 1
    fi
    sleep 2
  done
}
guest_sign_in() {
  PORTAL_TOKEN=$(curl -fsS "$ML_BACKEND_URL/api/auth/guest/refresh" |
    node -pe 'JSON.parse(require("fs").readFileSync(0)).backstageIdentity.token')
}
as_guest() { curl -fsS -H "authorization: Bearer $PORTAL_TOKEN" "$ML_BACKEND_URL$1"; }
demo_entities_ingested() {
  as_guest /api/catalog/entities/by-name/model/default/fraud-detector &&
    as_guest /api/catalog/entities/by-name/gpuquota/default/fraud-gpu-quota &&
    { ! grep -q '^    mlFeast:' "$DEMO/app-config.demo.yaml" ||
      as_guest /api/catalog/entities/by-name/dataset/default/fraud-features; }
}
fraud_detector_failing() {
  as_guest '/api/ml/models/default/fraud-detector/health?window=1h' |
    node -e 'process.exit(JSON.parse(require("fs").readFileSync(0)).verdict === "failing" ? 0 : 1)'
}
# Whether the guest already has notebook $1 on cluster $2 (wait-portal runs
# more than once: asking again would leave a refused create in the audit).
guest_has_notebook() {
  as_guest /api/ml/notebooks 2>/dev/null |
    node -e 'const b = JSON.parse(require("fs").readFileSync(0)); process.exit(b.items.some(n => n.name === process.argv[1] && n.cluster === process.argv[2]) ? 0 : 1)' "$1" "$2"
}
# The demo's idle notebook (DEMO_IDLE_NOTEBOOK in packages/test-services/src/
# demoMetrics.ts): the guest's 1-GPU notebook in fraud on gpu-cluster-a, whose
# pod the demo exporter reports at 1 % GPU. Created through the portal like
# any notebook (quota, permission, audit), once; a 409 from a race is fine.
seed_idle_notebook() {
  local status
  guest_has_notebook forgotten-notebook gpu-cluster-a && return 0
  status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
    -H "authorization: Bearer $PORTAL_TOKEN" -H 'content-type: application/json' \
    -d '{"name":"forgotten-notebook","cluster":"gpu-cluster-a","namespace":"fraud","gpus":1}' \
    "$ML_BACKEND_URL/api/ml/notebooks") || status=000
  case "$status" in
    201 | 409) ;;
    *) echo "demo-stack: could not create the idle demo notebook (HTTP $status); Idle GPUs stay empty" >&2 ;;
  esac
}
# The demo's idle JupyterHub notebook (DEMO_IDLE_HUB_NOTEBOOK, same file): the
# guest's 1-GPU named server in fraud-lab on gpu-cluster-b, whose GPU the demo
# exporter reports at 2 % with KubeSpawner's pod labels (the local-process
# spawner runs no pod). Only when the demo JupyterHub runs.
seed_idle_hub_notebook() {
  local status
  grep -q '^  jupyterhub:' "$DEMO/app-config.demo.yaml" || return 0
  guest_has_notebook idle-lab gpu-cluster-b && return 0
  status=$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
    -H "authorization: Bearer $PORTAL_TOKEN" -H 'content-type: application/json' \
    -d '{"name":"idle-lab","cluster":"gpu-cluster-b","namespace":"fraud-lab","gpus":1}' \
    "$ML_BACKEND_URL/api/ml/notebooks") || status=000
  case "$status" in
    201 | 409) ;;
    *) echo "demo-stack: could not create the idle JupyterHub notebook (HTTP $status)" >&2 ;;
  esac
}
wait_portal() { # [seconds]
  local config="$DEMO/app-config.demo.yaml" frontend="${ML_DEMO_FRONTEND_URL:-http://localhost:3000}"
  PORTAL_DEADLINE=$((SECONDS + ${1:-420}))
  until_portal_deadline "the ML backend at $ML_BACKEND_URL" curl -fsS "$ML_BACKEND_URL/api/ml/health" &&
    until_portal_deadline "the frontend at $frontend" curl -fsS "$frontend" &&
    until_portal_deadline "a guest sign-in" guest_sign_in &&
    until_portal_deadline "the demo entities in the catalog" demo_entities_ingested || return 1
  if grep -q '^  alertmanager:' "$config" && grep -q '^  prometheus:' "$config"; then
    until_portal_deadline "fraud-detector judged failing (ModelDriftHigh firing)" fraud_detector_failing ||
      return 1
  fi
  # one seeding at a time: start.sh and e2e.sh may both wait for the portal
  local lock
  exec {lock}>"$DEMO/seed.lock"
  flock "$lock"
  seed_idle_notebook
  seed_idle_hub_notebook
  flock -u "$lock"
  exec {lock}>&-
  echo "demo-stack: portal ready at $frontend, the demo in its documented state" >&2
}

start_bg() { # name logfile cmd...
  local name=$1 log=$2
  shift 2
  nohup "$@" >"$log" 2>&1 &
  echo $! >"$DEMO/$name.pid"
}

stop() {
  for pidfile in "$DEMO"/*.pid; do
    [[ -e "$pidfile" ]] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

# Two clusters served by the project's TEST Kubernetes API server
# (packages/test-kube-apiserver; test infrastructure, not a real cluster),
# seeded from examples/kube/. gpu-cluster-a serves the Kueue and Kubeflow
# CRDs, gpu-cluster-b only Kueue (its notebooks become StatefulSets).
start_kube_clusters() { # config
  local config=$1 kube_config="$DEMO/kube-backstage.yaml"
  mkdir -p "$DEMO/kube"
  printf '  kubernetes:\n    clusters:\n' >>"$config"
  printf 'kubernetes:\n  serviceLocatorMethod: { type: multiTenant }\n  clusterLocatorMethods:\n    - type: config\n      clusters:\n' >"$kube_config"
  local name port extra token ready
  for spec in "gpu-cluster-a:$KUBE_A_PORT:" "gpu-cluster-b:$KUBE_B_PORT:--no-kubeflow"; do
    IFS=: read -r name port extra <<<"$spec"
    token="demo-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    start_bg "kube-$name" "$DEMO/kube/$name.log" node \
      --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
      "$ROOT/packages/test-kube-apiserver/src/cli.ts" \
      --port "$port" --token "$token" --seed "$ROOT/examples/kube/$name.yaml" $extra
    ready=""
    for _ in $(seq 1 300); do
      ready=$(grep -m1 '^{"url"' "$DEMO/kube/$name.log" 2>/dev/null || true)
      [[ -n "$ready" ]] && break
      sleep 0.1
    done
    if [[ -z "$ready" ]]; then
      echo "demo-stack: test Kubernetes API server for $name did not start; last log lines:" >&2
      tail -n 20 "$DEMO/kube/$name.log" >&2
      return 1
    fi
    local url ca
    url=$(node -e 'console.log(JSON.parse(process.argv[1]).url)' "$ready")
    ca=$(node -e 'console.log(JSON.parse(process.argv[1]).caData)' "$ready")
    printf '      - name: %s\n        url: %s\n        token: %s\n        caData: %s\n' \
      "$name" "$url" "$token" "$ca" >>"$config"
    printf '        - name: %s\n          url: %s\n          authProvider: serviceAccount\n          serviceAccountToken: %s\n          caData: %s\n' \
      "$name" "$url" "$token" "$ca" >>"$kube_config"
  done
  # Backstage's Kubernetes plugin reads the same clusters (top-level key).
  cat "$kube_config" >>"$config"
}

# Kubeflow Pipelines and Airflow REST stand-ins (packages/test-services;
# test infrastructure following their documented APIs), seeded with the
# example pipelines' runs. Must run before start_kube_clusters, which ends
# the ml: section of the generated config.
start_orchestrators() { # config
  local config=$1 kfp_url airflow_url
  mkdir -p "$DEMO/orchestrators"
  start_bg orchestrators "$DEMO/orchestrators/log" node \
    --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
    "$ROOT/packages/test-services/src/orchestratorsCli.ts" \
    --kubeflow-port "$KFP_PORT" --airflow-port "$AIRFLOW_PORT" \
    --airflow-user admin --airflow-password admin
  kfp_url=$(wait_json_line "$DEMO/orchestrators/log" kubeflowUrl "Kubeflow/Airflow stand-ins")
  airflow_url=$(node -e 'console.log(JSON.parse(process.argv[1]).airflowUrl)' \
    "$(grep -m1 '^{"kubeflowUrl"' "$DEMO/orchestrators/log")")
  cat >>"$config" <<YAML
  pipelines:
    kubeflow:
      url: $kfp_url
    airflow:
      url: $airflow_url
      username: admin
      password: admin
YAML
}

# A real MLflow 3 (tracking server + model registry) with the example
# Models' versions (packages/test-services/src/demoMlflow.ts). It takes 6-30 s
# to boot, so it is started first and waited for in seed_mlflow.
MLFLOW_BIN="${ML_PY_BIN:-$ROOT/.toolchain/py/bin}/mlflow"
# Signs MLflow's registry events to the portal (a demo value, not a secret).
MLFLOW_WEBHOOK_SECRET=demo-mlflow-webhook-secret
start_mlflow() {
  [[ -x "$MLFLOW_BIN" ]] || return 0
  rm -rf "$DEMO/mlflow"
  mkdir -p "$DEMO/mlflow"
  # No telemetry (on by default in MLflow 3), no background job runner;
  # webhooks may post to the portal on this machine over http (MLflow only
  # delivers to public https URLs by default; docs/registry.md, "Webhooks").
  start_bg mlflow "$DEMO/mlflow/log" env MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true \
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false \
    MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https "$MLFLOW_BIN" server \
    --host 127.0.0.1 --port "$MLFLOW_PORT" --workers 1 \
    --backend-store-uri "sqlite:///$DEMO/mlflow/mlflow.db" --artifacts-destination "$DEMO/mlflow/artifacts"
}
seed_mlflow() { # config (inside ml:)
  local config=$1 url="http://127.0.0.1:$MLFLOW_PORT"
  if [[ ! -x "$MLFLOW_BIN" ]]; then
    echo "demo-stack: MLflow not installed (run scripts/bootstrap.sh); MLflow Models' Versions cards will say not configured" >&2
    return 0
  fi
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "$url/health" 2>/dev/null && break
    sleep 0.2
  done
  node --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
    "$ROOT/packages/test-services/src/demoMlflow.ts" seed "$url" \
    "$ML_BACKEND_URL/api/ml/registry/webhooks/mlflow/demo-mlflow" "$MLFLOW_WEBHOOK_SECRET" >"$DEMO/mlflow/seed.log" 2>&1 ||
    { echo "demo-stack: seeding MLflow failed:" >&2; tail -n 20 "$DEMO/mlflow/seed.log" "$DEMO/mlflow/log" >&2; return 1; }
  # Runs with metric histories for the Experiments card and Compare runs.
  node --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
    "$ROOT/packages/test-services/src/demoExperiments.ts" seed "$url" >>"$DEMO/mlflow/seed.log" 2>&1 ||
    { echo "demo-stack: seeding MLflow experiments failed:" >&2; tail -n 20 "$DEMO/mlflow/seed.log" >&2; return 1; }
  grep -q '^  registries:' "$config" || printf '  registries:\n' >>"$config"
  printf '    - name: demo-mlflow\n      type: mlflow\n      url: %s\n      webhookSecret: %s\n' \
    "$url" "$MLFLOW_WEBHOOK_SECRET" >>"$config"
  start_tensorboard "$config" "$url"
}

# A real TensorBoard (venv) on event files the ML project template's writer
# puts under .demo/tensorboard/logs for the intent-classifier's runs, whose
# MLflow runs are tagged with their directories
# (packages/test-services/src/demoTensorBoard.ts): the run's TensorBoard
# button on the Model page shows the curves and opens TensorBoard.
TENSORBOARD_BIN="${ML_PY_BIN:-$ROOT/.toolchain/py/bin}/tensorboard"
start_tensorboard() { # config mlflow-url
  local config=$1 logs="$DEMO/tensorboard/logs"
  if [[ ! -x "$TENSORBOARD_BIN" ]]; then
    echo "demo-stack: TensorBoard not installed (run scripts/bootstrap.sh); runs' TensorBoard says not configured" >&2
    return 0
  fi
  rm -rf "$DEMO/tensorboard"
  mkdir -p "$logs"
  node --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
    "$ROOT/packages/test-services/src/demoTensorBoard.ts" seed "$2" "$logs" >"$DEMO/tensorboard/seed.log" 2>&1 ||
    { echo "demo-stack: writing TensorBoard event files failed:" >&2; tail -n 20 "$DEMO/tensorboard/seed.log" >&2; return 0; }
  start_bg tensorboard "$DEMO/tensorboard/log" env TMPDIR="$DEMO/tensorboard" "$TENSORBOARD_BIN" \
    --logdir "$logs" --host 127.0.0.1 --port "$TENSORBOARD_PORT" --reload_interval 5
  wait_http "http://127.0.0.1:$TENSORBOARD_PORT/data/environment" tensorboard "$DEMO/tensorboard/log" || return 0
  printf '  tensorboard:\n    url: http://127.0.0.1:%s\n    publicUrl: http://localhost:%s\n    logRoots: [%s]\n' \
    "$TENSORBOARD_PORT" "$TENSORBOARD_PORT" "$logs" >>"$config"
}

# A real Feast (.toolchain/feast, from scripts/bootstrap.sh): the fraud
# feature repository of packages/test-services/src/feast.ts applied with
# `feast apply`, its registry REST server on a fixed port. The catalog's Feast
# provider (catalog.providers.mlFeast below) makes its feature service and
# feature views Datasets: fraud-features comes from here (docs/datasets.md).
# `feast apply` and the server take 10-30 s, so it is started early and
# waited for in wait_feast.
FEAST_BIN="${ML_FEAST_BIN:-$ROOT/.toolchain/feast/bin}/feast"
FEAST_URL=""
start_feast() {
  [[ -x "$FEAST_BIN" ]] || return 0
  rm -rf "$DEMO/feast"
  mkdir -p "$DEMO/feast"
  start_bg feast "$DEMO/feast/log" env ML_FEAST_BIN="$(dirname "$FEAST_BIN")" node \
    --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
    "$ROOT/packages/test-services/src/feastCli.ts" \
    --port "$FEAST_PORT" --dir "$DEMO/feast/state"
}
wait_feast() {
  if [[ ! -x "$FEAST_BIN" ]]; then
    echo "demo-stack: Feast not installed (run scripts/bootstrap.sh); the fraud-features Dataset and its feature views will be missing" >&2
    return 0
  fi
  for _ in $(seq 1 600); do
    grep -q '^{"url"' "$DEMO/feast/log" 2>/dev/null && break
    kill -0 "$(cat "$DEMO/feast.pid" 2>/dev/null)" 2>/dev/null || break
    sleep 0.2
  done
  # The demo works without it: fraud-features is then missing.
  FEAST_URL=$(wait_json_line "$DEMO/feast/log" url "Feast") || FEAST_URL=""
}

# A real JupyterHub 6 + JupyterLab (venv) with configurable-http-proxy (npm)
# and a local-process spawner (packages/test-services/src/jupyterhubCli.ts),
# on a fixed port. It runs the notebooks of fraud-lab on gpu-cluster-b (the
# guest's team fraud-team, 2 GPUs; quota, permission and audit checked by the
# portal as for every notebook); the other namespaces keep their Kubernetes
# notebooks. Log in to it in the browser as guest with any password.
JUPYTERHUB_BIN="${ML_PY_BIN:-$ROOT/.toolchain/py/bin}/jupyterhub"
start_jupyterhub() { # config (inside ml:)
  local config=$1 token url
  if [[ ! -x "$JUPYTERHUB_BIN" ]]; then
    echo "demo-stack: JupyterHub not installed (run scripts/bootstrap.sh); fraud-lab notebooks stay StatefulSets" >&2
    return 0
  fi
  rm -rf "$DEMO/jupyterhub"
  mkdir -p "$DEMO/jupyterhub"
  token="demo-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  start_bg jupyterhub "$DEMO/jupyterhub/log" node \
    --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
    "$ROOT/packages/test-services/src/jupyterhubCli.ts" \
    --port "$JUPYTERHUB_PORT" --token "$token" --dir "$DEMO/jupyterhub/state"
  # The demo works without it: its notebooks then stay StatefulSets.
  url=$(wait_json_line "$DEMO/jupyterhub/log" url "JupyterHub") || return 0
  cat >>"$config" <<YAML
  jupyterhub:
    url: $url
    apiToken: $token
    publicUrl: http://localhost:$JUPYTERHUB_PORT
    serves:
      - cluster: gpu-cluster-b
        namespaces: [fraud-lab]
YAML
}

# s3rver (npm `s3rver`, packages/test-services/src/demoS3Cli.ts: an S3 API
# on the file system) with the buckets the example Datasets name, seeded with
# objects whose times are relative to the start (demoS3.ts), so the s3://
# Datasets' pages show live facts; daily-recommendations is stale on purpose
# (docs/datasets.md). Its key pair is s3rver's fixed demo one.
start_s3() {
  rm -rf "$DEMO/s3"
  mkdir -p "$DEMO/s3"
  start_bg s3 "$DEMO/s3/log" node \
    --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
    "$ROOT/packages/test-services/src/demoS3Cli.ts" \
    --port "$S3_PORT" --dir "$DEMO/s3/data"
}
wait_s3() { # config (inside ml:)
  local storage
  # The demo works without it: the s3:// Datasets then say their bucket is
  # not configured.
  storage=$(wait_json_line "$DEMO/s3/log" storage "s3rver") || return 0
  # One JSON line: JSON is YAML.
  printf '  storage: %s\n' "$storage" >>"$1"
}

start() {
  stop
  start_mlflow
  start_feast
  start_s3
  mkdir -p "$DEMO/prometheus" "$DEMO/alertmanager" "$DEMO/registry"
  local config="$DEMO/app-config.demo.yaml"
  echo "# Written by scripts/demo-stack.sh; the demo stack's endpoints." >"$config"
  echo "ml:" >>"$config"

  # Alertmanager authenticates to the ML backend's alert webhook with this
  # shared secret (ml.alerts.webhook.secret); a new one per demo start.
  local alert_secret
  alert_secret="demo-alerts-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

  if have prometheus-alertmanager; then
    # ModelDriftHigh goes to the ML backend, which starts the Model's
    # retraining Pipeline (ml.alerts.rules below). Re-sent every 2 minutes:
    # the first deliveries reach a backend that is still starting or whose
    # catalog has not read the Models yet; the run starts once per alert.
    cat >"$DEMO/alertmanager/alertmanager.yml" <<YAML
route:
  receiver: 'null'
  group_wait: 0s
  group_interval: 10s
  repeat_interval: 2m
  routes:
    - receiver: ml-portal
      matchers: ['alertname="ModelDriftHigh"']
receivers:
  - name: 'null'
  - name: ml-portal
    webhook_configs:
      - url: $ML_BACKEND_URL/api/ml/alerts/webhook
        send_resolved: false
        http_config:
          basic_auth: { username: alertmanager, password: '$alert_secret' }
YAML
    chmod 600 "$DEMO/alertmanager/alertmanager.yml"
    start_bg alertmanager "$DEMO/alertmanager/log" prometheus-alertmanager \
      --config.file="$DEMO/alertmanager/alertmanager.yml" --storage.path="$DEMO/alertmanager/data" \
      --web.listen-address="127.0.0.1:$AM_PORT" --web.external-url="http://127.0.0.1:$AM_PORT" \
      --cluster.listen-address=
    wait_http "http://127.0.0.1:$AM_PORT/-/ready" alertmanager "$DEMO/alertmanager/log"
    printf '  alertmanager:\n    url: http://127.0.0.1:%s\n' "$AM_PORT" >>"$config"
    cat >>"$config" <<YAML
  alerts:
    webhook:
      secret: $alert_secret
    rateLimit: { maxPerModel: 3, windowMinutes: 60 }
    rules:
      - match: { alertname: ModelDriftHigh }
        action: retrain
YAML
  else
    echo "demo-stack: prometheus-alertmanager not installed; Alertmanager cards will say not configured" >&2
  fi

  if have prometheus; then
    # Demo model metrics (packages/test-services/src/demoMetrics.ts): 6 h
    # backfilled with promtool, then a live exporter continues the same
    # series; fraud-detector drifts, so the ModelDriftHigh rule fires.
    local anchor exporter_url
    anchor=$(date +%s)
    rm -rf "$DEMO/prometheus/data"
    mkdir -p "$DEMO/prometheus/data"
    demo_metrics backfill --hours 6 --now "$anchor" >"$DEMO/prometheus/demo.om"
    tail -n1 "$DEMO/prometheus/demo.om" | grep -q '^# EOF' || echo '# EOF' >>"$DEMO/prometheus/demo.om"
    promtool tsdb create-blocks-from openmetrics --max-block-duration=24h \
      "$DEMO/prometheus/demo.om" "$DEMO/prometheus/data" >"$DEMO/prometheus/backfill.log" 2>&1 ||
      { echo "demo-stack: promtool backfill failed:" >&2; tail -n 5 "$DEMO/prometheus/backfill.log" >&2; return 1; }
    demo_metrics rules >"$DEMO/prometheus/rules.yml"
    start_bg demo-exporter "$DEMO/prometheus/exporter.log" node \
      --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
      "$ROOT/packages/test-services/src/demoMetrics.ts" serve --anchor "$anchor"
    exporter_url=$(wait_json_line "$DEMO/prometheus/exporter.log" url "demo exporter")
    cat >"$DEMO/prometheus/prometheus.yml" <<YAML
global: { scrape_interval: 15s, evaluation_interval: 15s }
alerting:
  alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:$AM_PORT'] }] }]
rule_files: ['$DEMO/prometheus/rules.yml']
scrape_configs:
  - job_name: prometheus
    static_configs: [{ targets: ['127.0.0.1:$PROM_PORT'] }]
  - job_name: model-servers
    honor_labels: true
    static_configs: [{ targets: ['${exporter_url#http://}'] }]
YAML
    start_bg prometheus "$DEMO/prometheus/log" prometheus \
      --config.file="$DEMO/prometheus/prometheus.yml" --storage.tsdb.path="$DEMO/prometheus/data" \
      --web.listen-address="127.0.0.1:$PROM_PORT" --web.external-url="http://127.0.0.1:$PROM_PORT" \
      --storage.tsdb.retention.time=100y
    wait_http "http://127.0.0.1:$PROM_PORT/-/ready" prometheus "$DEMO/prometheus/log"
    printf '  prometheus:\n    url: http://127.0.0.1:%s\n' "$PROM_PORT" >>"$config"
    # Idle GPUs: the demo's forgotten-notebook (created by wait-portal) sits
    # at 1 % GPU in the exporter's data; its owner, the guest, is notified.
    printf '  notebooks:\n    idle: { threshold: 5, after: 1h, action: notify }\n' >>"$config"
  else
    echo "demo-stack: prometheus not installed; health cards will say not configured" >&2
  fi

  if have docker-registry; then
    cat >"$DEMO/registry/config.yml" <<YAML
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $DEMO/registry/data }
  delete: { enabled: true }
http: { addr: 127.0.0.1:$REG_PORT }
YAML
    start_bg registry "$DEMO/registry/log" env -u REGISTRY_HTTP_ADDR docker-registry serve "$DEMO/registry/config.yml"
    wait_http "http://127.0.0.1:$REG_PORT/v2/" registry "$DEMO/registry/log"
    # The example Models' spec.registry names localhost:19050; seed their versions.
    node --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" \
      "$ROOT/packages/ml-push/src/demoSeed.ts" "http://localhost:$REG_PORT" >"$DEMO/registry/seed.log" 2>&1 ||
      { echo "demo-stack: seeding the registry failed:" >&2; tail -n 5 "$DEMO/registry/seed.log" >&2; return 1; }
    printf '  registries:\n    - name: demo-registry\n      type: oci\n      url: http://localhost:%s\n' "$REG_PORT" >>"$config"
  else
    echo "demo-stack: docker-registry not installed; registry cards will say not configured" >&2
  fi

  seed_mlflow "$config"
  start_orchestrators "$config"
  start_jupyterhub "$config"
  wait_s3 "$config"
  start_kube_clusters "$config"
  wait_feast

  # The ML project template publishes to bare git repositories here and
  # registers them as file locations (demo only; see templates/README.md).
  mkdir -p "$DEMO/git"
  cat >>"$config" <<YAML
scaffolder:
  ml:
    localPublishDirectory: $DEMO/git
catalog:
  ml:
    allowFileLocations: true
  providers:
    # Models that exist only in the demo registry (chargeback-risk,
    # ticket-router); repositories the example Models describe stay theirs.
    mlRegistryModels:
      schedule:
        frequency: { minutes: 2 }
        timeout: { minutes: 1 }
        initialDelay: { seconds: 20 }
YAML
  if [[ -n "$FEAST_URL" ]]; then
    # fraud-features and its feature views from the demo's Feast registry;
    # every object there carries an owner tag.
    cat >>"$config" <<YAML
    mlFeast:
      name: demo-feast
      url: $FEAST_URL
      projects: [fraud]
      schedule:
        frequency: { minutes: 1 }
        timeout: { minutes: 1 }
        initialDelay: { seconds: 5 }
YAML
  fi

  if have prometheus && have prometheus-alertmanager; then
    wait_drift_alert
  fi

  echo "demo-stack: ready ($(grep -c 'url:' "$config") service(s)); config in $config" >&2
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  wait-portal) wait_portal "${2:-}" ;;
  *) echo "usage: $0 start|stop|wait-portal [seconds]" >&2; exit 2 ;;
esac
