/*
 * Benchmark of GET /api/ml/overview (issue 21: 3 clusters x 500 namespaces
 * and 1,000 models, warm p99 <= 150 ms at 50 clients, one list per kind per
 * cluster and one Prometheus query per panel per cache window). See
 * bench/README.md.
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/overview.ts [--namespaces 500] [--models 1000] [--datasets 200] \
 *       [--connections 50] [--duration 60]
 *   BENCH_QUICK=1: 50 namespaces, 100 models, 20 datasets, 20 clients, 15 s.
 *
 * Starts 3 test API servers seeded as bench/quotas.ts does, a real Prometheus
 * with 1 h of the demo metrics and a DCGM exporter stand-in scraped live
 * (behind a counting proxy, to tell the queries apart by panel), and, in a
 * child process (its own event loop), the ML backend plugin with
 * startTestBackend and a catalog of the models, datasets and teams. Warms
 * the overview once, then runs `--connections` closed client loops for
 * `--duration` s, signed in as `--users` distinct users (the overview is
 * reused 2 s per caller, so one user would measure that cache), and counts what the upstreams received in that warm phase:
 * list calls per kind per cluster (the test API servers' request logs) and
 * Prometheus queries (Prometheus' own prometheus_http_requests_total, and the
 * proxy's log grouped by panel: the query with its label matchers blanked).
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import * as ts from '@mlplatform/test-services';
import mlPlugin from '@mlplatform/plugin-ml-backend';
import { startCountingProxy } from '../plugins/ml-backend/src/__testUtils__/countingProxy';
import { seed } from './quotas';

const QUICK = !!process.env.BENCH_QUICK;

function readArgs() {
  const { values } = parseArgs({
    options: {
      namespaces: { type: 'string', default: QUICK ? '50' : '500' },
      models: { type: 'string', default: QUICK ? '100' : '1000' },
      datasets: { type: 'string', default: QUICK ? '20' : '200' },
      connections: { type: 'string', default: QUICK ? '20' : '50' },
      duration: { type: 'string', default: QUICK ? '15' : '60' },
      // Distinct signed-in users: the overview is reused 2 s per caller.
      users: { type: 'string', default: '10' },
      server: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const n = (name: keyof typeof values, max: number) => {
    const v = Number(values[name]);
    if (!(Number.isInteger(v) && v > 0 && v <= max)) {
      throw new Error(`--${name} must be 1..${max}`);
    }
    return v;
  };
  return {
    server: values.server!,
    namespaces: n('namespaces', 5000),
    models: n('models', 10000),
    datasets: n('datasets', 10000),
    connections: n('connections', 1000),
    duration: n('duration', 600),
    users: n('users', 1000),
  };
}

/** Backend cache windows the counts are divided by (the services' defaults). */
const WINDOWS = { verdictsS: 30, idleS: 30, quotasS: 30 };
const TEAMS = 50;

// ---------------------------------------------------------------- server side

function catalog(models: number, datasets: number) {
  const entities: object[] = [];
  for (let t = 0; t < TEAMS; t++) {
    entities.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: `team-${t}`, namespace: 'default' },
      spec: { type: 'team', profile: { displayName: `Team ${t}` } },
    });
  }
  // Every model its own selector, as in a real fleet; the first three read
  // the demo's series (healthy, degraded, failing), the rest find none.
  const demo = [
    'namespace="fraud", model="fraud-detector"',
    'namespace="recsys", model="product-ranker"',
    'namespace="nlp", model="intent-classifier"',
  ];
  for (let i = 0; i < models; i++) {
    entities.push({
      apiVersion: 'mlplatform.io/v1alpha1',
      kind: 'Model',
      metadata: {
        name: `model-${i}`,
        namespace: 'default',
        annotations: {
          'mlplatform.io/metrics-selector':
            demo[i] ?? `namespace="team-${i % TEAMS}", model="model-${i}"`,
        },
      },
      spec: {
        owner: `team-${i % TEAMS}`,
        type: 'classification',
        lifecycle: 'production',
      },
    });
  }
  for (let i = 0; i < datasets; i++) {
    entities.push({
      apiVersion: 'mlplatform.io/v1alpha1',
      kind: 'Dataset',
      metadata: { name: `dataset-${i}`, namespace: 'default' },
      spec: {
        owner: `team-${i % TEAMS}`,
        type: 'table',
        lifecycle: 'production',
        location: `s3://ml-raw/dataset-${i}/`,
        freshness: { maxAge: '24h' },
      },
    });
  }
  return entities;
}

async function serve() {
  const cfg = JSON.parse(process.env.BENCH_OVERVIEW_CONFIG!);
  const { server } = await startTestBackend({
    features: [
      mlPlugin,
      catalogServiceMock.factory({
        entities: catalog(cfg.models, cfg.datasets) as any[],
      }),
      mockServices.rootConfig.factory({
        data: {
          ml: {
            prometheus: { url: cfg.prometheusUrl },
            kubernetes: { clusters: cfg.clusters },
            notebooks: { idle: { threshold: 5, after: '1h' } },
          },
        },
      }),
    ],
  });
  (server as http.Server).keepAliveTimeout = 65_000;
  process.send!({ port: (server.address() as AddressInfo).port });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------- load side

function percentile(sorted: number[], p: number): number {
  const i = Math.min(
    sorted.length - 1,
    Math.ceil((p / 100) * sorted.length) - 1,
  );
  return sorted[Math.max(0, i)];
}

function get(agent: http.Agent, url: string, auth: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: { authorization: auth } }, res => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(bytes)
            : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

/** Prometheus' own count of the queries it answered (health.ts does the same). */
async function prometheusQueries(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m =
      /^prometheus_http_requests_total\{[^}]*handler="\/api\/v1\/(query|query_range)"[^}]*\} (\S+)$/.exec(
        line,
      );
    if (m) total += Number(m[2]);
  }
  return total;
}

/**
 * A query with its label matchers and numbers blanked: which panel it is. A
 * batch over many models (each model's query marked with an `ml_batch`
 * label and joined with `or`) is named by its first model's query.
 */
function panelOf(path: string, body: string): string {
  const q = new URLSearchParams(body).get('query') ?? '?';
  const first = /label_replace\((.*?), "ml_batch", "0", "", ""\)/.exec(q);
  const shape = (first ? first[1] : q)
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\s+/g, ' ');
  return `${path.endsWith('query_range') ? 'range' : 'instant'} ${shape}`;
}

function listsByKind(servers: KubeApiServer[]) {
  return servers.map(s => {
    const counts: Record<string, number> = {};
    for (const r of s.requests) {
      if (r.verb !== 'list') continue;
      const kind = `${r.resource}${r.subresource ? `/${r.subresource}` : ''}`;
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    return counts;
  });
}

async function main() {
  const args = readArgs();
  if (args.server) return serve();

  console.log(
    `starting 3 test API servers x ${args.namespaces} namespaces, Prometheus (1 h demo data, DCGM stand-in)...`,
  );
  const gpus: ts.DcgmGpu[] = Array.from({ length: 8 }, (_, i) => ({
    namespace: `team-0-${String(i).padStart(4, '0')}`,
    pod: `job-${i}-0`,
    gpu: String(i),
    utilization: 40,
  }));
  const now = Math.floor(Date.now() / 1000) - 5;
  const exporter = await ts.startDcgmExporter(gpus);
  const [servers, prom] = await Promise.all([
    Promise.all(
      [0, 1, 2].map(i =>
        startKubeApiServer({ seed: seed(i, args.namespaces) }),
      ),
    ),
    ts.startPrometheus({
      backfill:
        ts.demoMetricsBackfill({ now, hours: 1 }) +
        ts.dcgmBackfill(gpus, { now, hours: 1 }),
      scrapeConfigs: exporter.scrapeConfigs,
    }),
  ]);
  const proxy = await startCountingProxy(prom.url);
  const child = fork(__filename, ['--server'], {
    env: {
      ...process.env,
      BENCH_OVERVIEW_CONFIG: JSON.stringify({
        models: args.models,
        datasets: args.datasets,
        prometheusUrl: proxy.url,
        clusters: servers.map((s, i) => ({
          name: `gpu-cluster-${i}`,
          url: s.url,
          token: s.token,
          caData: s.caData,
        })),
      }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      // the backend may send messages of its own
      child.on('message', (m: any) => m?.port && resolve(m.port));
      child.once('exit', code => reject(new Error(`server exited ${code}`)));
    });
    const url = `http://127.0.0.1:${port}/api/ml/overview`;
    const auth = mockCredentials.user.header();
    const auths = Array.from({ length: args.users }, (_, i) =>
      mockCredentials.user.header(`user:default/bench-${i}`),
    );
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

    // Cold: the first overview evaluates every model and refreshes every cluster.
    let t0 = performance.now();
    const body = JSON.parse(
      await new Promise<string>((resolve, reject) =>
        http
          .get(url, { agent, headers: { authorization: auth } }, res => {
            let text = '';
            res.on('data', c => (text += c));
            res.on('end', () => resolve(text));
          })
          .on('error', reject),
      ),
    );
    const coldMs = performance.now() - t0;
    const bytes = Buffer.byteLength(JSON.stringify(body));
    console.log(
      `cold overview: ${coldMs.toFixed(0)} ms, ${body.models.total} models, ${
        body.gpus.items.length
      } GPU rows, clusters ${body.gpus.clusters
        .map((c: any) => `${c.name}:${c.available ? 'up' : 'DOWN'}`)
        .join(' ')}, idle ${body.idleNotebooks.status}, ${(
        bytes / 1024
      ).toFixed(0)} KiB`,
    );
    // Settle: every model has a verdict (the first overview waits 3 s at
    // most; the rest are evaluated in the background).
    const settleStart = performance.now();
    for (;;) {
      const r = await fetch(url, { headers: { authorization: auth } });
      const m = (await r.json()).models;
      if (m.evaluating === 0) break;
      await new Promise(resolve => setTimeout(resolve, 2500));
    }
    const settleMs = performance.now() - settleStart + coldMs;
    console.log(
      `every model evaluated after ${(settleMs / 1000).toFixed(1)} s`,
    );

    servers.forEach(s => s.resetRequests());
    proxy.requests.length = 0;
    const promBefore = await prometheusQueries(prom.url);
    const load1 = os.loadavg()[0];
    const latencies: number[] = [];
    let errors = 0;
    t0 = performance.now();
    const stopAt = t0 + args.duration * 1000;
    await Promise.all(
      Array.from({ length: args.connections }, async (_, client) => {
        while (performance.now() < stopAt) {
          const s = performance.now();
          try {
            await get(agent, url, auths[client % args.users]);
            latencies.push(performance.now() - s);
          } catch {
            errors += 1;
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const promQueries = (await prometheusQueries(prom.url)) - promBefore;
    const load2 = os.loadavg()[0];
    latencies.sort((a, b) => a - b);

    const lists = listsByKind(servers);
    const panels: Record<string, number> = {};
    /** Models each panel's queries covered, added up. */
    const covered: Record<string, number> = {};
    for (const r of proxy.requests) {
      if (!r.path.startsWith('/api/v1/query')) continue;
      const p = panelOf(r.path, r.body);
      panels[p] = (panels[p] ?? 0) + 1;
      covered[p] =
        (covered[p] ?? 0) +
        Math.max(1, r.body.split('%22ml_batch%22').length - 1);
    }
    const windows = (s: number) => Math.ceil(seconds / s);
    // the idle detection's one query marks its parts with an ml_stat label
    const isIdle = (p: string) => p.includes('"ml_stat"');
    const healthPanels = Object.entries(panels).filter(([p]) => !isIdle(p));
    const idlePanel = Object.entries(panels).filter(([p]) => isIdle(p));
    // none: no verdict refresh fell in the warm phase (shorter than 30 s)
    const perPanelPerWindow = healthPanels.length
      ? healthPanels.map(([, n]) => n / windows(WINDOWS.verdictsS))
      : [0];
    const maxListsPerKind = Math.max(
      0,
      ...lists.flatMap(l => Object.values(l)),
    );

    console.log();
    console.log(
      `warm: ${args.connections} clients as ${
        args.users
      } users, ${seconds.toFixed(1)} s, load ${load1.toFixed(
        1,
      )} -> ${load2.toFixed(1)} (${os.cpus().length} cores)`,
    );
    console.log(
      `  ${latencies.length} requests (${(latencies.length / seconds).toFixed(
        0,
      )}/s), ${errors} errors, p50 ${percentile(latencies, 50).toFixed(
        1,
      )} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${percentile(
        latencies,
        100,
      ).toFixed(1)} ms (target p99 <= 150 ms)`,
    );
    console.log(
      `  list calls per cluster (quota refresh every ${
        WINDOWS.quotasS
      } s = ${windows(WINDOWS.quotasS)} windows):`,
    );
    lists.forEach((l, i) =>
      console.log(
        `    gpu-cluster-${i}: ${
          Object.entries(l)
            .sort()
            .map(([k, n]) => `${k} ${n}`)
            .join(', ') || 'none'
        }`,
      ),
    );
    console.log(
      `  Prometheus queries: ${promQueries} (Prometheus' counter), ${proxy.requests.length} through the proxy`,
    );
    console.log(
      `    model health: ${healthPanels.length} panels, ${healthPanels.reduce(
        (a, [, n]) => a + n,
        0,
      )} queries = ${Math.min(...perPanelPerWindow).toFixed(1)}-${Math.max(
        ...perPanelPerWindow,
      ).toFixed(1)} per panel per ${
        WINDOWS.verdictsS
      } s verdict refresh window (${windows(WINDOWS.verdictsS)} windows; ${
        args.models
      } models); per panel, queries (models covered):`,
    );
    for (const [p, n] of healthPanels.sort(([a], [b]) => a.localeCompare(b))) {
      console.log(
        `      ${n} (${covered[p]})  ${
          p.length > 110 ? `${p.slice(0, 107)}...` : p
        }`,
      );
    }
    console.log(
      `    idle notebooks: ${idlePanel.reduce(
        (a, [, n]) => a + n,
        0,
      )} queries in ${windows(WINDOWS.idleS)} windows of ${WINDOWS.idleS} s`,
    );
    console.log(
      JSON.stringify({
        bench: 'overview',
        clusters: 3,
        namespaces: args.namespaces,
        models: args.models,
        datasets: args.datasets,
        connections: args.connections,
        users: args.users,
        seconds: Number(seconds.toFixed(1)),
        coldMs: Math.round(coldMs),
        allEvaluatedMs: Math.round(settleMs),
        responseKiB: Math.round(bytes / 1024),
        requests: latencies.length,
        reqPerS: Math.round(latencies.length / seconds),
        errors,
        p50Ms: Number(percentile(latencies, 50).toFixed(1)),
        p99Ms: Number(percentile(latencies, 99).toFixed(1)),
        maxMs: Number(percentile(latencies, 100).toFixed(1)),
        listsPerCluster: lists,
        maxListsPerKindPerCluster: maxListsPerKind,
        quotaWindows: windows(WINDOWS.quotasS),
        prometheusQueries: promQueries,
        healthPanels: healthPanels.length,
        healthQueriesPerPanelPerWindow: Math.max(...perPanelPerWindow),
        healthQueriesPerPanel: healthPanels.map(([, n]) => n),
        healthWindows: windows(WINDOWS.verdictsS),
        idleQueries: idlePanel.reduce((a, [, n]) => a + n, 0),
        idleWindows: windows(WINDOWS.idleS),
        loadavg: [Number(load1.toFixed(1)), Number(load2.toFixed(1))],
        cores: os.cpus().length,
      }),
    );
  } finally {
    child.kill();
    await Promise.all([
      ...servers.map(s => s.stop()),
      prom.stop(),
      exporter.stop(),
      proxy.stop(),
    ]);
  }
}

main().then(
  () => {
    if (!process.argv.includes('--server')) process.exit(0);
  },
  e => {
    console.error(e);
    process.exit(1);
  },
);
