/*
 * Benchmark of GET /models/:namespace/:name/serving (the Serving card) for
 * a Model served in 3 clusters. See bench/README.md.
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/serving.ts [--duration 60] [--connections 200]
 *
 * Starts 3 test Kubernetes API servers (HTTPS, KServe CRD and controller),
 * each with the Model's InferenceService (one running a canary) and a
 * Deployment, plus 50 other models' InferenceServices each; runs the serving
 * route in a child process (its own event loop, as in the backend) and
 * drives it from `--connections` keep-alive clients. Prints p50/p99 and the
 * list calls the clusters saw (one per kind per cluster per cache window).
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import express from 'express';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { createServingRouter } from '../plugins/ml-backend/src/routes/serving';
import { testClusters } from '../plugins/ml-backend/src/__testUtils__/testClusters';
import { ServingService } from '../plugins/ml-backend/src/services/serving/ServingService';

const KSERVE = 'serving.kserve.io/v1beta1';
const MODEL = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name: 'fraud-detector', namespace: 'default' },
  spec: { type: 'classifier', lifecycle: 'production', owner: 'fraud-team' },
};

// ---------------------------------------------------------------- server side

async function serve() {
  const kubes: Array<{ url: string; token: string; caData: string }> =
    JSON.parse(process.env.BENCH_KUBES!);
  const clusters = testClusters(
    Object.fromEntries(kubes.map((k, i) => [`cluster-${i + 1}`, k])),
  );
  // What the backend's httpAuth and catalog do, minus tokens: the bench
  // measures the serving path, not Backstage auth.
  const httpAuth: any = {
    credentials: async () => ({
      $$type: '@backstage/BackstageCredentials',
      principal: { type: 'user', userEntityRef: 'user:default/bench' },
    }),
  };
  const catalog: any = {
    getEntityByRef: async (ref: { name: string }) =>
      ref.name === MODEL.metadata.name ? MODEL : undefined,
  };
  const serving = ServingService.create({
    clusters,
    catalog,
    registryService: {} as any,
    permissions: {} as any,
    userInfo: {} as any,
    audit: {} as any,
  });
  const app = express().use(
    await createServingRouter({ httpAuth, catalog, serving }),
  );
  app.use((error: any, _req: any, res: any, _next: any) => {
    res.status(500).json({ error: { message: error?.message } });
  });
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    process.send!({ port: (server.address() as AddressInfo).port });
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

function get(agent: http.Agent, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', c => (body += c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(body)
            : reject(new Error(`${res.statusCode} ${body}`)),
        );
      })
      .on('error', reject);
  });
}

async function seed(kube: KubeApiServer, i: number) {
  await kube.create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'serve' },
  });
  const isvc = (name: string, model: string, tag: string, canary?: number) => ({
    apiVersion: KSERVE,
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: 'serve',
      labels: { 'mlplatform.io/model': model },
    },
    spec: {
      predictor: {
        ...(canary !== undefined ? { canaryTrafficPercent: canary } : {}),
        model: {
          modelFormat: { name: 'onnx' },
          storageUri: `oci://registry.example.com/models/${model}:${tag}`,
        },
      },
    },
  });
  await kube.apply(isvc('fraud-detector', 'fraud-detector', 'v2'));
  if (i === 0) {
    await kube.apply(isvc('fraud-detector', 'fraud-detector', 'v3', 10));
  }
  for (let m = 0; m < 50; m++) {
    await kube.create(isvc(`other-${m}`, `other-model-${m}`, 'v1'));
  }
  await kube.apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'fraud-detector-cpu',
      namespace: 'serve',
      labels: { 'mlplatform.io/model': 'fraud-detector' },
      annotations: { 'mlplatform.io/model-version': 'v2' },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'fraud-detector-cpu' } },
      template: {
        metadata: { labels: { app: 'fraud-detector-cpu' } },
        spec: { containers: [{ name: 'server', image: 'onnx:1' }] },
      },
    },
  });
}

async function main() {
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
  const kubes = await Promise.all([0, 1, 2].map(() => startKubeApiServer()));
  for (const [i, k] of kubes.entries()) await seed(k, i);
  const child = fork(__filename, ['--server'], {
    env: {
      ...process.env,
      BENCH_KUBES: JSON.stringify(
        kubes.map(k => ({ url: k.url, token: k.token, caData: k.caData })),
      ),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
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
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    const url = `http://127.0.0.1:${port}/models/default/fraud-detector/serving`;
    const first = JSON.parse(await get(agent, url));
    console.log(
      `places: ${first.places.length} (${first.places
        .map((p: any) => `${p.cluster}/${p.kind}`)
        .join(', ')}), errors: ${first.errors.length}`,
    );
    for (const k of kubes) k.resetRequests();
    console.log(
      `serving route: ${connections} clients, ${duration}s, 3 clusters x (51 InferenceServices + 1 Deployment)...`,
    );
    const latencies: number[] = [];
    let errors = 0;
    const start = performance.now();
    const stopAt = start + duration * 1000;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < stopAt) {
          const t0 = performance.now();
          try {
            await get(agent, url);
            latencies.push(performance.now() - t0);
          } catch {
            errors += 1;
          }
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    const lists = kubes.map(
      k => k.requests.filter(r => r.method === 'GET').length,
    );
    const row = {
      scenario: 'serving route, model in 3 clusters (warm)',
      requests: latencies.length + errors,
      'req/s': Math.round((latencies.length + errors) / seconds),
      errors,
      'p50 ms': Number(percentile(latencies, 50).toFixed(2)),
      'p99 ms': Number(percentile(latencies, 99).toFixed(2)),
      'max ms': Number(percentile(latencies, 100).toFixed(2)),
      'list calls per cluster': lists.join('/'),
    };
    console.table([row]);
    console.log(
      JSON.stringify({ bench: 'serving', duration, connections, row }),
    );
    agent.destroy();
  } finally {
    child.disconnect();
    await new Promise(resolve => {
      child.once('exit', resolve);
      setTimeout(() => child.kill(), 5000).unref();
    });
    await Promise.all(kubes.map(k => k.stop()));
  }
}

const isServer = process.argv.includes('--server');
(isServer ? serve() : main()).catch(error => {
  console.error(error);
  process.exit(1);
});
