/*
 * Load benchmark of the ML backend's read endpoints (quotas, model health,
 * model versions, pipeline runs, audit) against the real services. See
 * bench/README.md.
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/load.ts [--duration 60] [--connections 200]
 *
 * Starts Prometheus (6 h of demo data) and Alertmanager, a docker-registry
 * seeded with the demo models, two test Kubernetes API servers seeded with
 * the demo clusters; runs the real catalog (examples/ml) and the ML backend
 * with startTestBackend in a child process (its own event loop, as in the
 * portal); drives every endpoint round-robin from `--connections` keep-alive
 * clients for `--duration` seconds; prints requests, errors and p50/p99 per
 * endpoint and in total. Exits 1 when any request failed.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleMlEntityModel from '@mlplatform/plugin-catalog-backend-module-ml';
import mlPlugin from '@mlplatform/plugin-ml-backend';
import {
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import * as ts from '@mlplatform/test-services';
import { seedDemoRegistry } from '../packages/ml-push/src/demoSeed';

const ROOT = path.resolve(__dirname, '..');
const AUTH = mockCredentials.user.header('user:default/bench');

/** What the load side passes to the backend process. */
interface ServerEnv {
  prometheus: string;
  alertmanager: string;
  registry: { url: string; host: string };
  clusters: Array<{ name: string; url: string; token: string; caData: string }>;
}

function readArgs() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '200' },
      server: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  if (!(duration > 0 && duration <= 600)) {
    throw new Error('--duration must be 1..600 seconds');
  }
  if (
    !(Number.isInteger(connections) && connections > 0 && connections <= 1000)
  ) {
    throw new Error('--connections must be 1..1000');
  }
  return { duration, connections };
}

// ---------------------------------------------------------------- server side

/** examples/ml with the registry refs pointing at the bench's registry. */
function exampleLocations(registryHost: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-load-'));
  const source = path.join(ROOT, 'examples/ml');
  return fs
    .readdirSync(source)
    .filter(f => f.endsWith('.yaml'))
    .map(f => {
      const target = path.join(dir, f);
      fs.writeFileSync(
        target,
        fs
          .readFileSync(path.join(source, f), 'utf8')
          .replaceAll('oci://localhost:19050/', `oci://${registryHost}/`),
      );
      return target;
    });
}

async function serve() {
  const env: ServerEnv = JSON.parse(process.env.BENCH_LOAD_ENV!);
  const locations = exampleLocations(env.registry.host);
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleMlEntityModel,
      mlPlugin,
      mockServices.rootConfig.factory({
        data: {
          catalog: {
            rules: [
              {
                allow: [
                  ...['Component', 'API', 'System', 'Resource'],
                  ...['Location', 'User', 'Group'],
                  ...['Model', 'Dataset', 'Pipeline', 'GpuQuota'],
                ],
              },
            ],
            locations: locations.map(target => ({ type: 'file', target })),
          },
          ml: {
            prometheus: { url: env.prometheus },
            alertmanager: { url: env.alertmanager },
            registries: [{ name: 'demo', type: 'oci', url: env.registry.url }],
            kubernetes: { clusters: env.clusters },
          },
        },
      }),
    ],
  });
  const { port } = backend.server.address() as { port: number };
  backend.server.keepAliveTimeout = 65_000;
  process.send!({ port });
  process.on('disconnect', async () => {
    await backend.stop();
    process.exit(0);
  });
}

// ---------------------------------------------------------------- load side

interface Endpoint {
  name: string;
  paths: string[];
}

const ENDPOINTS: Endpoint[] = [
  { name: 'GET /quotas', paths: ['/api/ml/quotas'] },
  {
    name: 'GET /models/:ns/:name/health',
    paths: ts.DEMO_MODELS.map(
      m =>
        `/api/ml/models/default/${m.entityRef.split('/')[1]}/health?window=1h`,
    ),
  },
  {
    name: 'GET /models/:ns/:name/versions',
    paths: ['fraud-detector', 'product-ranker', 'item-embedding'].map(
      m => `/api/ml/models/default/${m}/versions`,
    ),
  },
  {
    name: 'GET /pipelines/:ns/:name/runs',
    paths: [
      'fraud-detector-training',
      'transaction-anomaly-training',
      'support-llm-finetuning',
      'llm-evaluation',
    ].map(p => `/api/ml/pipelines/default/${p}/runs`),
  },
  { name: 'GET /audit', paths: ['/api/ml/audit?limit=50'] },
];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, index))];
}

function send(
  agent: http.Agent,
  port: number,
  method: 'GET' | 'POST',
  urlPath: string,
  body?: object,
): Promise<{ status: number; text: string }> {
  const data = body ? JSON.stringify(body) : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method,
        agent,
        headers: {
          authorization: AUTH,
          ...(data
            ? {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(data),
              }
            : {}),
        },
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function main() {
  const args = readArgs();
  const anchor = Math.floor(Date.now() / 1000) - 5;
  console.log(
    'starting Prometheus (6h of demo data), Alertmanager, docker-registry, 2 test API servers...',
  );
  const am = await ts.startAlertmanager();
  const [prom, registry, a, b] = await Promise.all([
    ts.startPrometheus({
      backfill: ts.demoMetricsBackfill({ now: anchor, hours: 6 }),
      rules: ts.demoAlertRules(),
      alertmanagerUrl: am.url,
      evaluationInterval: '5s',
    }),
    ts.startRegistry(),
    ...['gpu-cluster-a', 'gpu-cluster-b'].map(name =>
      startKubeApiServer({
        seed: loadManifests(
          fs.readFileSync(
            path.join(ROOT, `examples/kube/${name}.yaml`),
            'utf8',
          ),
        ),
      }),
    ),
  ]);
  const pushed = await seedDemoRegistry(registry.url);
  console.log(`registry seeded with ${pushed} demo model versions`);
  const env: ServerEnv = {
    prometheus: prom.url,
    alertmanager: am.url,
    registry: { url: registry.url, host: registry.host },
    clusters: [
      { name: 'gpu-cluster-a', ...a },
      { name: 'gpu-cluster-b', ...b },
    ].map(c => ({
      name: c.name,
      url: c.url,
      token: c.token,
      caData: c.caData,
    })),
  };
  const child = fork(__filename, ['--server'], {
    env: { ...process.env, BENCH_LOAD_ENV: JSON.stringify(env) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let failed = false;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const onMessage = (m: any) => {
        if (typeof m?.port !== 'number') return;
        child.off('message', onMessage);
        resolve(m.port);
      };
      child.on('message', onMessage);
      child.once('exit', code =>
        reject(new Error(`backend exited with ${code}`)),
      );
    });
    const agent = new http.Agent({
      keepAlive: true,
      maxSockets: args.connections,
    });

    // The catalog ingests examples/ml on its own schedule: wait until every
    // endpoint answers, which also warms the caches.
    const deadline = Date.now() + 120_000;
    for (const endpoint of ENDPOINTS) {
      for (const p of endpoint.paths) {
        for (;;) {
          const res = await send(agent, port, 'GET', p);
          if (res.status === 200) break;
          if (Date.now() > deadline) {
            throw new Error(`${p} answers ${res.status}: ${res.text}`);
          }
          await new Promise(r => setTimeout(r, 500));
        }
      }
    }
    // Something to read on the audit endpoint: promotions, as the portal's
    // users would make them (each one is a registry write and an audit row).
    for (let i = 0; i < 10; i++) {
      const res = await send(
        agent,
        port,
        'POST',
        '/api/ml/models/default/fraud-detector/aliases',
        { alias: 'canary', version: i % 2 ? 'v2' : 'v3' },
      );
      if (res.status !== 200) {
        throw new Error(`seeding the audit trail: ${res.status} ${res.text}`);
      }
    }

    const paths = ENDPOINTS.flatMap((e, index) =>
      e.paths.map(p => ({ index, path: p })),
    );
    const latencies = ENDPOINTS.map(() => [] as number[]);
    const errors = ENDPOINTS.map(() => 0);
    const firstError: string[] = [];
    console.log(
      `load: ${args.connections} keep-alive clients, ${args.duration}s, ${paths.length} URLs over ${ENDPOINTS.length} endpoints, round robin...`,
    );
    const start = performance.now();
    const stopAt = start + args.duration * 1000;
    let next = 0;
    await Promise.all(
      Array.from({ length: args.connections }, async () => {
        while (performance.now() < stopAt) {
          const { index, path: p } = paths[next++ % paths.length];
          const t0 = performance.now();
          try {
            const res = await send(agent, port, 'GET', p);
            if (res.status !== 200) {
              throw new Error(`${p}: ${res.status} ${res.text.slice(0, 200)}`);
            }
            latencies[index].push(performance.now() - t0);
          } catch (error) {
            errors[index] += 1;
            if (firstError.length < 5) firstError.push(String(error));
          }
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    agent.destroy();

    const row = (name: string, lat: number[], errs: number) => {
      const sorted = [...lat].sort((x, y) => x - y);
      return {
        endpoint: name,
        requests: sorted.length + errs,
        'req/s': Math.round((sorted.length + errs) / seconds),
        errors: errs,
        'p50 ms': Number(percentile(sorted, 50).toFixed(1)),
        'p99 ms': Number(percentile(sorted, 99).toFixed(1)),
        'max ms': Number(percentile(sorted, 100).toFixed(1)),
      };
    };
    const rows = ENDPOINTS.map((e, i) => row(e.name, latencies[i], errors[i]));
    rows.push(
      row(
        'total',
        latencies.flat(),
        errors.reduce((x, y) => x + y, 0),
      ),
    );
    console.table(rows);
    if (firstError.length)
      console.log(`first errors:\n${firstError.join('\n')}`);
    console.log(JSON.stringify({ bench: 'load', args, seconds, rows }));
    failed = rows[rows.length - 1].errors > 0;
  } finally {
    child.disconnect();
    await new Promise(resolve => {
      child.once('exit', resolve);
      setTimeout(() => child.kill(), 10_000).unref();
    });
    await Promise.all([
      prom.stop(),
      am.stop(),
      registry.stop(),
      a.stop(),
      b.stop(),
    ]);
  }
  process.exit(failed ? 1 : 0);
}

const isServer = process.argv.includes('--server');
(isServer ? serve() : main()).catch(error => {
  console.error(error);
  process.exit(1);
});
