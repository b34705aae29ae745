/*
 * Benchmark of the portal on a real MLflow: listing the registry with paged
 * search endpoints, and the experiments runs card and 5-run comparison.
 * See bench/README.md.
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/mlflow.ts [--models 1000] [--versions 5] [--runs 200] \
 *     [--steps 1000] [--connections 50] [--duration 20] [--json]
 *
 * MLflow is reached through a counting proxy, so every figure of "MLflow
 * requests" is what MLflow received. The experiments router and the load
 * generator share this process (Backstage's mock auth and catalog): the
 * figures include the generator's own CPU, so they are pessimistic.
 */
import { mockErrorHandler, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import * as ts from '@mlplatform/test-services';
import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createExperimentsRouter } from '../plugins/ml-backend/src/routes/experiments';
import { ExperimentsService } from '../plugins/ml-backend/src/services/experiments/ExperimentsService';
import {
  MlflowRest,
  mlflowPages,
} from '../plugins/ml-backend/src/services/mlflow/MlflowRest';

const quick = !!process.env.BENCH_QUICK;
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: quick ? '100' : '1000' },
    versions: { type: 'string', default: '5' },
    runs: { type: 'string', default: quick ? '20' : '200' },
    metrics: { type: 'string', default: '5' },
    steps: { type: 'string', default: quick ? '100' : '1000' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: quick ? '5' : '20' },
    concurrency: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const MODELS = Number(values.models);
const VERSIONS = Number(values.versions);
const RUNS = Number(values.runs);
const METRICS = Number(values.metrics);
const STEPS = Number(values.steps);
const CONNECTIONS = Number(values.connections);
const DURATION_S = Number(values.duration);
const CONCURRENCY = Number(values.concurrency);

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** Runs `task(i)` for i < n, at most `limit` at a time. */
async function pool(
  n: number,
  limit: number,
  task: (i: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/** A proxy in front of MLflow that counts the API requests by endpoint. */
async function countingProxy(target: URL) {
  const counts = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const server = http.createServer((req, res) => {
    const endpoint = (req.url ?? '').split('?')[0].replace(/^.*\/mlflow\//, '');
    counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    byEndpoint: () => Object.fromEntries(counts),
    reset: () => counts.clear(),
    close: () => {
      agent.destroy();
      server.close();
    },
  };
}

async function seedRegistry(mlflow: ts.MlflowHandle) {
  await pool(MODELS, CONCURRENCY, async i => {
    const name = `bench-model-${String(i).padStart(4, '0')}`;
    await mlflow.post('registered-models/create', { name });
    for (let v = 0; v < VERSIONS; v++) {
      await mlflow.post('model-versions/create', {
        name,
        source: `s3://bench-models/${name}/${v + 1}`,
      });
    }
    await mlflow.post('registered-models/alias', {
      name,
      alias: 'champion',
      version: String(Math.max(1, VERSIONS - 1)),
    });
  });
}

async function seedRuns(mlflow: ts.MlflowHandle): Promise<string[]> {
  const { experiment_id: experimentId } = await mlflow.post(
    'experiments/create',
    { name: 'bench-runs' },
  );
  const ids: string[] = new Array(RUNS);
  const t0 = Date.now() - RUNS * 60_000;
  await pool(RUNS, CONCURRENCY, async r => {
    const { run } = await mlflow.post('runs/create', {
      experiment_id: experimentId,
      run_name: `run-${r}`,
      start_time: t0 + r * 60_000,
      tags: [{ key: 'mlflow.source.git.commit', value: `c0ffee${r}` }],
    });
    const runId = run.info.run_id as string;
    ids[r] = runId;
    const metrics: Array<Record<string, unknown>> = [];
    for (let m = 0; m < METRICS; m++) {
      for (let step = 0; step < STEPS; step++) {
        metrics.push({
          key: `metric_${m}`,
          value: Math.exp(-step / (200 + r)) + m * 0.1,
          timestamp: t0 + r * 60_000 + step * 10,
          step,
        });
      }
    }
    const params = [
      { key: 'lr', value: String(0.001 * (1 + (r % 5))) },
      { key: 'batch_size', value: String(32 * (1 + (r % 3))) },
      { key: 'seed', value: String(r) },
    ];
    // At most 1,000 metrics, params and tags together per call.
    let k = 0;
    do {
      const size = k === 0 ? 1000 - params.length : 1000;
      await mlflow.post('runs/log-batch', {
        run_id: runId,
        metrics: metrics.slice(k, k + size),
        ...(k === 0 ? { params } : {}),
      });
      k += size;
    } while (k < metrics.length);
    await mlflow.post('runs/update', {
      run_id: runId,
      status: 'FINISHED',
      end_time: t0 + r * 60_000 + 30_000,
    });
  });
  return ids;
}

/** Every model, its versions and aliases, with paged search endpoints only. */
async function listRegistry(url: string) {
  const rest = new MlflowRest(
    { url },
    (f, what) => new Error(`${what}: ${f.kind} ${f.status ?? f.cause}`),
  );
  try {
    const models = await mlflowPages<{ name: string; aliases?: unknown[] }>(
      async pageToken => {
        const page = await rest.call<any>(
          'GET',
          'registered-models/search',
          {
            max_results: 1000,
            ...(pageToken ? { page_token: pageToken } : {}),
          },
          'registered models',
        );
        return {
          items: page.registered_models,
          next_page_token: page.next_page_token,
        };
      },
    );
    const versions = await mlflowPages<{ name: string; aliases?: string[] }>(
      async pageToken => {
        const page = await rest.call<any>(
          'GET',
          'model-versions/search',
          {
            max_results: 1000,
            ...(pageToken ? { page_token: pageToken } : {}),
          },
          'model versions',
        );
        return {
          items: page.model_versions,
          next_page_token: page.next_page_token,
        };
      },
    );
    return {
      models: models.length,
      versions: versions.length,
      aliases: models.reduce((n, m) => n + (m.aliases?.length ?? 0), 0),
    };
  } finally {
    rest.close();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

/*
 * The clients run in a worker thread, so the backend under test has the main
 * thread to itself (on another machine in a real deployment). Each client
 * asks as a browser does, accepting gzip; the bytes are read, not unpacked.
 * Plain JavaScript: the worker is not compiled.
 */
const CLIENTS_JS = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, connections, durationMs } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const get = () => new Promise((resolve, reject) => {
  const started = process.hrtime.bigint();
  http.get(url, { agent, headers: { 'accept-encoding': 'gzip' } }, res => {
    res.resume();
    res.on('end', () => res.statusCode === 200
      ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
      : reject(new Error(url + ': ' + res.statusCode)));
  }).on('error', reject);
});
(async () => {
  // cold: every client once, at the same moment; warm: closed loops.
  const times = [];
  if (!durationMs) {
    times.push(...(await Promise.all(Array.from({ length: connections }, get))));
  } else {
    const end = Date.now() + durationMs;
    await Promise.all(Array.from({ length: connections }, async () => {
      while (Date.now() < end) times.push(await get());
    }));
  }
  agent.destroy();
  parentPort.postMessage(times);
})().catch(e => { throw e; });
`;

function clients(url: string, durationMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENTS_JS, {
      eval: true,
      workerData: { url, connections: CONNECTIONS, durationMs },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** `CONNECTIONS` clients at once on an empty cache, then looping warm. */
async function measure(
  url: string,
  proxy: Awaited<ReturnType<typeof countingProxy>>,
) {
  proxy.reset();
  const cold = (await clients(url, 0)).sort((a, b) => a - b);
  const coldRequests = proxy.total();
  proxy.reset();
  const warm = await clients(url, DURATION_S * 1000);
  warm.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    coldP50: round(percentile(cold, 50)),
    coldP99: round(percentile(cold, 99)),
    coldMlflowRequests: coldRequests,
    warmViews: warm.length,
    warmReqPerS: Math.round(warm.length / DURATION_S),
    warmP50: round(percentile(warm, 50)),
    warmP99: round(percentile(warm, 99)),
    warmMlflowRequests: proxy.total(),
    mlflowRequestsPerView: Number(
      ((coldRequests + proxy.total()) / (cold.length + warm.length)).toFixed(3),
    ),
  };
}

const logger: any = {
  info() {},
  debug() {},
  warn: (message: string) => process.stderr.write(`warn: ${message}\n`),
  error: (message: string) => process.stderr.write(`error: ${message}\n`),
  child: () => logger,
};

async function main() {
  const report: Record<string, any> = {
    size: {
      models: MODELS,
      versions: VERSIONS,
      runs: RUNS,
      metrics: METRICS,
      steps: STEPS,
    },
    connections: CONNECTIONS,
    durationS: DURATION_S,
    loadavgBefore: os.loadavg().map(x => Number(x.toFixed(2))),
    cpus: os.cpus().length,
  };
  // The free port can be taken by another process before MLflow binds it.
  let mlflow: ts.MlflowHandle | undefined;
  for (let attempt = 1; !mlflow; attempt++) {
    mlflow = await ts.startMlflow().catch(e => {
      if (attempt >= 3) throw e;
      return undefined;
    });
  }
  const proxy = await countingProxy(new URL(mlflow.url));
  try {
    let started = process.hrtime.bigint();
    await seedRegistry(mlflow);
    report.seedRegistryMs = Math.round(ms(started));
    started = process.hrtime.bigint();
    const runIds = await seedRuns(mlflow);
    report.seedRunsMs = Math.round(ms(started));

    proxy.reset();
    started = process.hrtime.bigint();
    const listed = await listRegistry(proxy.url);
    report.list = {
      ms: Math.round(ms(started)),
      requests: proxy.total(),
      byEndpoint: proxy.byEndpoint(),
      ...listed,
    };

    const registries = [
      { name: 'bench', type: 'mlflow' as const, url: proxy.url },
    ];
    const entity = {
      apiVersion: 'mlplatform.io/v1alpha1',
      kind: 'Model',
      metadata: {
        name: 'bench-model',
        namespace: 'default',
        annotations: { 'mlplatform.io/mlflow-experiment': 'bench/bench-runs' },
      },
      spec: {
        type: 'classifier',
        lifecycle: 'production',
        owner: 'group:default/bench',
      },
    };
    const experiments = ExperimentsService.create({
      registries,
      catalog: catalogServiceMock({ entities: [entity] }),
      logger,
    });
    const router = await createExperimentsRouter({
      httpAuth: mockServices.httpAuth(),
      experiments,
    });
    const app = express().use(router).use(mockErrorHandler());
    const server = http.createServer(app);
    server.keepAliveTimeout = 65_000;
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }/models/default/bench-model/experiment`;
    try {
      report.runsCard = await measure(`${base}/runs`, proxy);
      const five = runIds.slice(-5).join(',');
      report.compare = await measure(`${base}/compare?runs=${five}`, proxy);
    } finally {
      server.close();
      experiments.close();
    }
  } finally {
    proxy.close();
    await mlflow.stop();
  }
  report.loadavgAfter = os.loadavg().map(x => Number(x.toFixed(2)));

  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const r = report;
  const line = (name: string, m: any) =>
    `${name}: cold p50 ${m.coldP50} / p99 ${m.coldP99} ms (${m.coldMlflowRequests} MLflow requests for ${CONNECTIONS} clients), warm p50 ${m.warmP50} / p99 ${m.warmP99} ms, ${m.warmReqPerS} req/s, ${m.warmMlflowRequests} MLflow requests in ${DURATION_S} s, ${m.mlflowRequestsPerView} MLflow requests per page view`;
  process.stdout.write(
    [
      `mlflow bench: ${MODELS} models x ${VERSIONS} versions, ${RUNS} runs x ${METRICS} metrics x ${STEPS} steps, ${CONNECTIONS} clients; load average ${r.loadavgBefore.join(
        ' ',
      )} before, ${r.loadavgAfter.join(' ')} after (${r.cpus} cpus)`,
      `seed registry: ${r.seedRegistryMs} ms; seed runs: ${r.seedRunsMs} ms`,
      `registry listing (registered-models/search + model-versions/search, paged): ${r.list.ms} ms, ${r.list.requests} requests, ${r.list.models} models, ${r.list.versions} versions, ${r.list.aliases} aliases (target <= 30 s)`,
      line('runs card', r.runsCard),
      `${line('compare 5 runs', r.compare)} (target warm p99 <= 100 ms)`,
      `${JSON.stringify(r)}`,
      '',
    ].join('\n'),
  );
}

main().catch(e => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});
