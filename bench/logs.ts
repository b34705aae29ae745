/*
 * Benchmark of what the Logs card asks when it opens: `GET .../logs/pods`
 * then `GET .../logs?tail=1000` (the first 1,000 lines of a serving pod),
 * through the logs router and PodLogsService against the stand-in Kubernetes
 * API server, whose pod has 20,000 lines of log. See bench/README.md.
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/logs.ts [--runs 200] [--lines 1000]
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import express from 'express';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { startKubeApiServer } from '@mlplatform/test-kube-apiserver';
import { createLogsRouter } from '../plugins/ml-backend/src/routes/logs';
import { testClusters } from '../plugins/ml-backend/src/__testUtils__/testClusters';
import { LogStoreService } from '../plugins/ml-backend/src/services/logs/LogStoreService';
import { PodLogsService } from '../plugins/ml-backend/src/services/logs/PodLogsService';

const POD_LINES = 20_000;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '200' },
      lines: { type: 'string', default: '1000' },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  const lines = Number(values.lines);
  const kube = await startKubeApiServer({
    crds: [],
    seed: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fraud' } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'fraud-detector-0',
          namespace: 'fraud',
          labels: { 'backstage.io/kubernetes-id': 'fraud-detector' },
        },
        spec: { containers: [{ name: 'server', image: 'example/s:1' }] },
      },
    ],
  });
  for (let i = 0; i < POD_LINES; i++) {
    kube.appendPodLog(
      'fraud',
      'fraud-detector-0',
      'server',
      `INFO POST /v1/models/fraud-detector:predict ${i % 50 ? 200 : 500} ${
        20 + (i % 40)
      }ms request_id=${i.toString(16).padStart(8, '0')}`,
    );
  }
  const clusters = testClusters({ bench: kube }, { requestTimeoutMs: 10_000 });
  const model = {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Model',
    metadata: {
      name: 'fraud-detector',
      namespace: 'default',
      annotations: { 'backstage.io/kubernetes-id': 'fraud-detector' },
    },
    spec: { type: 'classifier', lifecycle: 'production', owner: 'fraud-team' },
  };
  const catalog: any = { getEntityByRef: async () => model };
  const permissions: any = {
    authorize: async (rs: unknown[]) =>
      rs.map(() => ({ result: AuthorizeResult.ALLOW })),
  };
  const logger: any = { debug() {}, info() {}, warn() {}, error() {} };
  // Auth is a pass-through: the bench measures the logs path.
  const httpAuth: any = {
    credentials: async () => ({ principal: { type: 'user' } }),
  };
  const router = await createLogsRouter({
    httpAuth,
    podLogs: PodLogsService.create({
      clusters,
      catalog,
      permissions,
      maxTailLines: 10_000,
      logger,
    }),
    logStore: LogStoreService.create({
      maxWindowSeconds: 86400,
      clusterNames: () => clusters.names(),
      catalog,
      permissions,
    }),
  });
  const server = http.createServer(express().use(router));
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new http.Agent({ keepAlive: true });
  const get = (path: string) =>
    new Promise<string>((resolve, reject) => {
      http
        .get(`${base}${path}`, { agent }, res => {
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

  const open = async () => {
    const pods = JSON.parse(
      await get('/models/default/fraud-detector/logs/pods'),
    );
    const p = pods.pods[0];
    const body = JSON.parse(
      await get(
        `/models/default/fraud-detector/logs?cluster=${p.cluster}&podNamespace=${p.namespace}&pod=${p.name}&tail=${lines}`,
      ),
    );
    if (body.lines.length !== lines) {
      throw new Error(`expected ${lines} lines, got ${body.lines.length}`);
    }
  };

  await open(); // warm-up: TLS, keep-alive, JIT
  const ms: number[] = [];
  const started = Date.now();
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await open();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const wall = (Date.now() - started) / 1000;
  ms.sort((a, b) => a - b);
  const p50 = quantile(ms, 0.5);
  const p99 = quantile(ms, 0.99);
  console.log(
    `Logs card open (pods + first ${lines} of ${POD_LINES} lines), ${runs} runs in ${wall.toFixed(
      1,
    )} s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${ms[
      ms.length - 1
    ].toFixed(1)} ms; API server requests ${kube.requests.length}`,
  );
  console.log(
    JSON.stringify({ bench: 'logs', runs, lines, p50Ms: p50, p99Ms: p99 }),
  );
  agent.destroy();
  server.close();
  clusters.close();
  await kube.stop();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
