#!/usr/bin/env bash
# The demo stack behind `scripts/start.sh`: real Prometheus, Alertmanager and
# an OCI registry (Debian packages) on 127.0.0.1, state in .demo/.
#
#   scripts/demo-stack.sh start   start what is installed, write .demo/app-config.demo.yaml
#   scripts/demo-stack.sh stop    stop everything it started
#
# A server whose package is missing is left out of the generated config, so its
# cards say "not configured" instead of failing. Ports: ML_DEMO_PORT_BASE (19000) + offset.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO="$ROOT/.demo"
BASE="${ML_DEMO_PORT_BASE:-19000}"
PROM_PORT=$((BASE + 90)) AM_PORT=$((BASE + 93)) REG_PORT=$((BASE + 50))

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

start() {
  stop
  mkdir -p "$DEMO/prometheus" "$DEMO/alertmanager" "$DEMO/registry"
  local config="$DEMO/app-config.demo.yaml"
  echo "# Written by scripts/demo-stack.sh; the demo stack's endpoints." >"$config"
  echo "ml:" >>"$config"

  if have prometheus-alertmanager; then
    cat >"$DEMO/alertmanager/alertmanager.yml" <<YAML
route: { receiver: 'null', group_wait: 0s, group_interval: 10s, repeat_interval: 1h }
receivers: [{ name: 'null' }]
YAML
    start_bg alertmanager "$DEMO/alertmanager/log" prometheus-alertmanager \
      --config.file="$DEMO/alertmanager/alertmanager.yml" --storage.path="$DEMO/alertmanager/data" \
      --web.listen-address="127.0.0.1:$AM_PORT" --web.external-url="http://127.0.0.1:$AM_PORT" \
      --cluster.listen-address=
    wait_http "http://127.0.0.1:$AM_PORT/-/ready" alertmanager "$DEMO/alertmanager/log"
    printf '  alertmanager:\n    url: http://127.0.0.1:%s\n' "$AM_PORT" >>"$config"
  else
    echo "demo-stack: prometheus-alertmanager not installed; Alertmanager cards will say not configured" >&2
  fi

  if have prometheus; then
    cat >"$DEMO/prometheus/prometheus.yml" <<YAML
global: { scrape_interval: 15s, evaluation_interval: 15s }
alerting:
  alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:$AM_PORT'] }] }]
scrape_configs:
  - job_name: prometheus
    static_configs: [{ targets: ['127.0.0.1:$PROM_PORT'] }]
YAML
    start_bg prometheus "$DEMO/prometheus/log" prometheus \
      --config.file="$DEMO/prometheus/prometheus.yml" --storage.tsdb.path="$DEMO/prometheus/data" \
      --web.listen-address="127.0.0.1:$PROM_PORT" --web.external-url="http://127.0.0.1:$PROM_PORT" \
      --storage.tsdb.retention.time=100y
    wait_http "http://127.0.0.1:$PROM_PORT/-/ready" prometheus "$DEMO/prometheus/log"
    printf '  prometheus:\n    url: http://127.0.0.1:%s\n' "$PROM_PORT" >>"$config"
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
    printf '  registries:\n    - name: demo-registry\n      type: oci\n      url: http://127.0.0.1:%s\n' "$REG_PORT" >>"$config"
  else
    echo "demo-stack: docker-registry not installed; registry cards will say not configured" >&2
  fi

  echo "demo-stack: ready ($(grep -c 'url:' "$config") service(s)); config in $config" >&2
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
