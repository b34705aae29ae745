/*
 * Benchmark of GET /models/:namespace/:name/health with real Prometheus and
 * Alertmanager, backfilled with the demo data. See bench/README.md.
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/health.ts [--duration 60] [--connections 200] [--window 1h] [--no-floor]
 *       [--real-backend [--rounds 4]]
 *
 * The health route runs in a child process (its own event loop, as in the
 * backend); the load generator runs here. With --real-backend it also starts
 * the real backend (bench/realBackend.ts: auth with a guest user token,
 * catalog, permissions with the portal's policy, the ML backend) as two
 * replicas on one PostgreSQL behind a round-robin proxy, and measures the
 * pass-through router, the real backend x1 and x2 side by side: --duration
 * seconds each, split into --rounds interleaved rounds, medians reported.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import express from 'express';
import {
  parseHealthWindow,
  parseLabelMatchers,
} from '@mlplatform/plugin-ml-common';
import * as ts from '@mlplatform/test-services';
import { createHealthRouter } from '../plugins/ml-backend/src/routes/health';
import { AlertmanagerClient } from '../plugins/ml-backend/src/services/monitoring/AlertmanagerClient';
import * as mp from '../plugins/ml-backend/src/services/monitoring/metricsProfiles';
import * as svc from '../plugins/ml-backend/src/services/monitoring/ModelHealthService';
import { PrometheusClient } from '../plugins/ml-backend/src/services/monitoring/PrometheusClient';
import { stepFor } from '../plugins/ml-backend/src/services/monitoring/evaluateHealth';
import {
  EXAMPLES_ML_DIR,
  readEntities,
} from '../plugins/ml-common/src/kinds/__testUtils__/entities';
import * as real from './realBackend';

interface Args {
  duration: number;
  connections: number;
  window: string;
  floor: boolean;
  cacheTtlMs: number;
  cpuProfDir?: string;
  realBackend: boolean;
  rounds: number;
}

function readArgs(): Args {
  const { values } = parseArgs({
    options: {
      // Per arm; 60 s alone, 20 s per arm with --real-backend.
      duration: { type: 'string' },
      connections: { type: 'string', default: '200' },
      window: { type: 'string', default: '1h' },
      'cache-ttl-ms': { type: 'string', default: '10000' },
      'no-floor': { type: 'boolean', default: false },
      'cpu-prof-dir': { type: 'string' },
      server: { type: 'boolean', default: false },
      'real-backend': { type: 'boolean', default: false },
      rounds: { type: 'string', default: '4' },
    },
    strict: true,
  });
  const duration = Number(
    values.duration ?? (values['real-backend'] ? 20 : 60),
  );
  const connections = Number(values.connections);
  const cacheTtlMs = Number(values['cache-ttl-ms']);
  if (!(duration > 0 && duration <= 600)) {
    throw new Error('--duration must be 1..600 seconds');
  }
  if (
    !(Number.isInteger(connections) && connections > 0 && connections <= 1000)
  ) {
    throw new Error('--connections must be 1..1000');
  }
  const rounds = Number(values.rounds);
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= duration)) {
    throw new Error('--rounds must be 1..duration');
  }
  return {
    duration,
    connections,
    window: values.window!,
    floor: !values['no-floor'],
    cacheTtlMs,
    cpuProfDir: values['cpu-prof-dir'],
    realBackend: values['real-backend']!,
    rounds,
  };
}

// ---------------------------------------------------------------- server side

async function serve() {
  const models = new Map(
    readEntities(EXAMPLES_ML_DIR)
      .filter(e => e.kind === 'Model')
      .map(e => [e.metadata.name, e]),
  );
  const logger: any = {
    info() {},
    debug() {},
    warn(message: string) {
      process.stderr.write(`warn: ${message}\n`);
    },
    error(message: string) {
      process.stderr.write(`error: ${message}\n`);
    },
    child() {
      return logger;
    },
  };
  const healthService = svc.ModelHealthService.create({
    prometheus: PrometheusClient.create({ url: process.env.BENCH_PROM_URL! }),
    alertmanager: AlertmanagerClient.create({ url: process.env.BENCH_AM_URL! }),
    profiles: new Map(Object.entries(mp.builtInMetricsProfiles)),
    logger,
    cacheTtlMs: Number(process.env.BENCH_CACHE_TTL_MS),
  });
  // What the backend's httpAuth and catalog do, minus tokens: the bench
  // measures the health path, not Backstage auth.
  const httpAuth: any = {
    credentials: async () => ({
      $$type: '@backstage/BackstageCredentials',
      principal: { type: 'user', userEntityRef: 'user:default/bench' },
    }),
  };
  const catalog: any = {
    getEntityByRef: async (ref: { name: string }) => models.get(ref.name),
  };
  const router = await createHealthRouter({ httpAuth, catalog, healthService });
  const app = express().use(router);
  app.use((error: any, _req: any, res: any, _next: any) => {
    res.status(
      error?.name === 'NotFoundError'
        ? 404
        : error?.name === 'InputError'
        ? 400
        : 500,
    );
    res.json({ error: { name: error?.name, message: error?.message } });
  });
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    process.send!({ port: (server.address() as AddressInfo).port });
  });
  process.on('message', (msg: any) => {
    if (msg === 'stats') process.send!({ stats: healthService.stats() });
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------- load side

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(
    sorted.length - 1,
    Math.ceil((p / 100) * sorted.length) - 1,
  );
  return sorted[Math.max(0, index)];
}

interface LoadResult {
  requests: number;
  errors: number;
  latencies: number[];
  seconds: number;
}

/** `connections` loops, each sending its next request when the last ends. */
async function load(
  connections: number,
  seconds: number,
  send: (i: number) => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  let counter = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < stopAt) {
        const t0 = performance.now();
        try {
          await send(counter++);
          latencies.push(performance.now() - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length + errors,
    errors,
    latencies,
    seconds: (performance.now() - start) / 1000,
  };
}

function get(
  agent: http.Agent,
  url: string,
  headers: http.OutgoingHttpHeaders = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, res => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(String(res.statusCode))),
        );
      })
      .on('error', reject);
  });
}

function post(
  agent: http.Agent,
  url: string,
  form: Record<string, string>,
): Promise<void> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      res => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(String(res.statusCode))),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

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

function report(name: string, r: LoadResult, queries: number) {
  const row = {
    scenario: name,
    requests: r.requests,
    'req/s': Math.round(r.requests / r.seconds),
    errors: r.errors,
    'p50 ms': Number(percentile(r.latencies, 50).toFixed(2)),
    'p99 ms': Number(percentile(r.latencies, 99).toFixed(2)),
    'max ms': Number(percentile(r.latencies, 100).toFixed(2)),
    'prometheus queries': queries,
  };
  return row;
}

async function main() {
  const args = readArgs();

  const anchor = Math.floor(Date.now() / 1000) - 5;
  console.log('starting Alertmanager and Prometheus with 6h of demo data...');
  const am = await ts.startAlertmanager();
  const prom = await ts.startPrometheus({
    backfill: ts.demoMetricsBackfill({ now: anchor, hours: 6 }),
    rules: ts.demoAlertRules(),
    alertmanagerUrl: am.url,
    evaluationInterval: '5s',
  });
  const child = fork(__filename, ['--server'], {
    env: {
      ...process.env,
      BENCH_PROM_URL: prom.url,
      BENCH_AM_URL: am.url,
      BENCH_CACHE_TTL_MS: String(args.cacheTtlMs),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // --cpu-prof-dir: a V8 CPU profile of the server, written when it exits.
    execArgv: args.cpuProfDir
      ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${args.cpuProfDir}`]
      : process.execArgv,
  });
  const rows: Array<Record<string, unknown>> = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      // Other messages may arrive first (the TypeScript loader uses IPC too).
      const onMessage = (m: any) => {
        if (typeof m?.port !== 'number') return;
        child.off('message', onMessage);
        resolve(m.port);
      };
      child.on('message', onMessage);
      child.once('exit', code =>
        reject(new Error(`server exited with ${code}`)),
      );
    });
    const models = ts.DEMO_MODELS.map(m => m.entityRef.split('/')[1]);
    const agent = new http.Agent({
      keepAlive: true,
      maxSockets: args.connections,
    });
    const url = (i: number) =>
      `http://127.0.0.1:${port}/models/default/${
        models[i % models.length]
      }/health?window=${args.window}`;

    // Warm up: one request per model, so the run measures the warm path.
    for (let i = 0; i < models.length; i++) await get(agent, url(i));

    let before: number;
    if (args.realBackend) {
      rows.push(
        ...(await compareWithRealBackend(args, prom.url, am.url, models, i =>
          get(agent, url(i)),
        )),
      );
    } else {
      console.log(
        `health route: ${args.connections} clients, ${args.duration}s, window ${args.window}, ${models.length} models...`,
      );
      before = await prometheusQueries(prom.url);
      const health = await load(args.connections, args.duration, i =>
        get(agent, url(i)),
      );
      const healthQueries = (await prometheusQueries(prom.url)) - before;
      rows.push(report('health route (backend)', health, healthQueries));
    }
    child.send('stats');
    const stats = await new Promise<any>(resolve => {
      const onMessage = (m: any) => {
        if (!m?.stats) return;
        child.off('message', onMessage);
        resolve(m.stats);
      };
      child.on('message', onMessage);
    });

    if (args.floor) {
      // The same panels straight from Prometheus: one "request" is every
      // instant and range query of one model's panels, in parallel.
      const windowSeconds = parseHealthWindow(args.window).seconds;
      const step = stepFor(windowSeconds);
      const panelQueries = ts.DEMO_MODELS.map(m => {
        const profile = mp.builtInMetricsProfiles[m.profile];
        const selector = parseLabelMatchers(
          Object.entries(m.selector)
            .map(([k, v]) => `${k}="${v}"`)
            .join(', '),
        );
        return Object.values(profile.queries).flatMap(template => [
          {
            query: mp.renderQuery(template!, {
              matchers: selector,
              window: args.window,
            }),
          },
          {
            query: mp.renderQuery(template!, {
              matchers: selector,
              window: `${Math.max(2 * step, 120)}s`,
            }),
            range: true,
          },
        ]);
      });
      const promAgent = new http.Agent({
        keepAlive: true,
        maxSockets: args.connections,
      });
      console.log(
        `floor: the same panels from Prometheus directly, ${args.connections} clients...`,
      );
      before = await prometheusQueries(prom.url);
      const floor = await load(args.connections, args.duration, async i => {
        const end = Math.floor(Date.now() / 1000);
        await Promise.all(
          panelQueries[i % panelQueries.length].map(q =>
            q.range
              ? post(promAgent, `${prom.url}/api/v1/query_range`, {
                  query: q.query,
                  start: String(end - windowSeconds),
                  end: String(end),
                  step: String(step),
                })
              : post(promAgent, `${prom.url}/api/v1/query`, { query: q.query }),
          ),
        );
      });
      rows.push(
        report(
          'same panels, Prometheus direct',
          floor,
          (await prometheusQueries(prom.url)) - before,
        ),
      );
      promAgent.destroy();
    }
    agent.destroy();
    console.table(rows);
    console.log(
      `backend health service: ${stats.evaluations} evaluations, ${stats.cacheHits} fresh cache hits, ${stats.staleHits} stale hits (refresh behind), ${stats.coalesced} coalesced`,
    );
    console.log(
      `target (DESIGN.md section 8): warm p99 <= 50 ms at 200 clients; <= 1 query per (model, panel) per cache window`,
    );
    console.log(JSON.stringify({ bench: 'health', args, rows, stats }));
  } finally {
    // SIGINT-free exit so a CPU profile gets written.
    child.disconnect();
    await new Promise(resolve => {
      child.once('exit', resolve);
      setTimeout(() => child.kill(), 5000).unref();
    });
    await Promise.all([prom.stop(), am.stop()]);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface Arm {
  name: string;
  /** Called before each of the arm's rounds (points the proxy). */
  before(): Promise<void>;
  send(i: number): Promise<void>;
}

/**
 * The pass-through router, the real backend x1 and x2 (and x1 without the
 * proxy, to show what the proxy hop costs), in interleaved rounds; one row
 * per arm with the medians over its rounds.
 */
async function compareWithRealBackend(
  args: Args,
  promUrl: string,
  amUrl: string,
  models: string[],
  passThrough: (i: number) => Promise<void>,
): Promise<Array<Record<string, unknown>>> {
  const tmpDirs = new Set<string>();
  const prefix = `bench_health_${process.pid}_${Date.now().toString(36)}_`;
  const replicas: real.Replica[] = [];
  let proxy: real.Proxy | undefined;
  try {
    const locations = real.exampleLocations();
    tmpDirs.add(path.dirname(locations[0]));
    console.log(
      `starting the real backend: 2 replicas on PostgreSQL (databases ${prefix}*) behind a round-robin proxy...`,
    );
    for (let r = 0; r < 2; r++) {
      replicas.push(
        await real.startReplica(
          {
            port: await real.freePort(),
            databasePrefix: prefix,
            prometheus: promUrl,
            alertmanager: amUrl,
            locations,
            user: 'user:default/alice',
          },
          args.cpuProfDir,
        ),
      );
    }
    proxy = await real.startProxy();
    const token = await real.guestToken(replicas[0].port);
    const headers = { authorization: `Bearer ${token}` };
    const agents = [0, 1, 2].map(
      () => new http.Agent({ keepAlive: true, maxSockets: args.connections }),
    );
    const healthUrl = (port: number, i: number) =>
      `http://127.0.0.1:${port}/api/ml/models/default/${
        models[i % models.length]
      }/health?window=${args.window}`;

    // Ready when every replica serves every model's health (the catalog
    // has ingested examples/ml) with the token one of them issued.
    const deadline = Date.now() + 180_000;
    for (const replica of replicas) {
      for (let i = 0; i < models.length; i++) {
        for (;;) {
          try {
            await get(agents[0], healthUrl(replica.port, i), headers);
            break;
          } catch (error) {
            if (Date.now() > deadline) {
              throw new Error(
                `replica on port ${replica.port} did not serve ${models[i]}: ${error}`,
              );
            }
            await new Promise(resolve => setTimeout(resolve, 1000));
          }
        }
      }
    }
    const p = proxy;
    const arms: Arm[] = [
      {
        name: 'pass-through router',
        before: async () => {},
        send: passThrough,
      },
      {
        name: 'real backend x1, direct',
        before: async () => {},
        send: i => get(agents[0], healthUrl(replicas[0].port, i), headers),
      },
      {
        name: 'real backend x1, via proxy',
        before: () => p.route([replicas[0].port]),
        send: i => get(agents[1], healthUrl(p.port, i), headers),
      },
      {
        name: 'real backend x2, via proxy',
        before: () => p.route(replicas.map(r => r.port)),
        send: i => get(agents[2], healthUrl(p.port, i), headers),
      },
    ];
    const seconds = args.duration / args.rounds;
    console.log(
      `health route, ${arms.length} arms: ${args.connections} clients, ${
        args.rounds
      } interleaved rounds of ${seconds}s per arm, window ${args.window}, ${
        models.length
      } models (load average ${os
        .loadavg()
        .map(l => l.toFixed(2))
        .join(' ')})...`,
    );
    const results = arms.map(() => [] as Array<Record<string, any>>);
    for (let round = 0; round < args.rounds; round++) {
      // Rotate the order so that no arm always runs first or last.
      for (let k = 0; k < arms.length; k++) {
        const a = (round + k) % arms.length;
        await arms[a].before();
        // Warm: the caches of whichever replicas the arm reaches.
        for (let i = 0; i < 2 * models.length; i++) await arms[a].send(i);
        const before = await prometheusQueries(promUrl);
        const r = await load(args.connections, seconds, arms[a].send);
        results[a].push(
          report(arms[a].name, r, (await prometheusQueries(promUrl)) - before),
        );
      }
    }
    agents.forEach(agent => agent.destroy());
    return arms.map((arm, a) => {
      const rs = results[a];
      const sum = (k: string) => rs.reduce((n, r) => n + r[k], 0);
      return {
        scenario: arm.name,
        requests: sum('requests'),
        'req/s': Math.round(median(rs.map(r => r['req/s']))),
        errors: sum('errors'),
        'p50 ms': Number(median(rs.map(r => r['p50 ms'])).toFixed(2)),
        'p99 ms': Number(median(rs.map(r => r['p99 ms'])).toFixed(2)),
        'max ms': Math.max(...rs.map(r => r['max ms'])),
        'prometheus queries': sum('prometheus queries'),
      };
    });
  } finally {
    if (proxy) await real.stopChild(proxy.child);
    await Promise.all(replicas.map(r => real.stopChild(r.child)));
    const dropped = await real.dropDatabases(prefix);
    console.log(`dropped ${dropped.length} databases (${prefix}*)`);
    for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

const isServer = process.argv.includes('--server');
(isServer ? serve() : main()).catch(error => {
  console.error(error);
  process.exit(1);
});
