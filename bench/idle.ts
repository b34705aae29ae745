/*
 * Benchmark of idle-GPU detection (issue "Idle GPUs", DESIGN.md section 8:
 * one Prometheus query per cycle, not one per notebook).
 *
 * Not part of the test suite. Run from the repository root:
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs bench/idle.ts \
 *     [--notebooks 500] [--cycles 10] [--hours 6]
 *
 * Starts a real Prometheus backfilled with `--hours` of DCGM GPU
 * utilisation for `--notebooks` notebook pods (one GPU each, every fifth
 * idle) and scraping a DCGM exporter stand-in for the same pods, a test API
 * server with the notebooks' StatefulSets, and a SQLite notebook store; then
 * runs `--cycles` detection cycles (IdleNotebooks.snapshot, the code the
 * route and the policy run) with the Prometheus client's cache off, through
 * a proxy that counts the requests Prometheus receives. For scale it also
 * times what a per-notebook design would send: one instant query per pod.
 */
import { ConfigReader } from '@backstage/config';
import { startKubeApiServer } from '@mlplatform/test-kube-apiserver';
import {
  dcgmBackfill,
  DcgmGpu,
  startDcgmExporter,
  startPrometheus,
} from '@mlplatform/test-services';
import knexFactory from 'knex';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { AuditStore } from '../plugins/ml-backend/src/database/AuditStore';
import { NotebookStore } from '../plugins/ml-backend/src/database/NotebookStore';
import { startCountingProxy } from '../plugins/ml-backend/src/__testUtils__/countingProxy';
import {
  notebookStatefulSet,
  storedSpec,
} from '../plugins/ml-backend/src/__testUtils__/idleSeeds';
import { testClusters } from '../plugins/ml-backend/src/__testUtils__/testClusters';
import { readIdleConfig } from '../plugins/ml-backend/src/services/kubernetes/idleConfig';
import { IdleNotebooks } from '../plugins/ml-backend/src/services/kubernetes/IdleNotebooks';
import { PrometheusClient } from '../plugins/ml-backend/src/services/monitoring/PrometheusClient';

const { values } = parseArgs({
  options: {
    notebooks: { type: 'string', default: '500' },
    cycles: { type: 'string', default: '10' },
    hours: { type: 'string', default: '6' },
  },
});
const NOTEBOOKS = Number(values.notebooks);
const CYCLES = Number(values.cycles);
const HOURS = Number(values.hours);
const NAMESPACES = Math.max(1, Math.ceil(NOTEBOOKS / 25));

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const notebooks = Array.from({ length: NOTEBOOKS }, (_, i) => ({
    namespace: `team-${String(i % NAMESPACES).padStart(3, '0')}`,
    name: `nb-${String(i).padStart(4, '0')}`,
    idle: i % 5 === 0,
  }));
  const gpus: DcgmGpu[] = notebooks.map(n => ({
    namespace: n.namespace,
    pod: `${n.name}-0`,
    utilization: n.idle ? 0.5 : 75,
  }));
  const started = performance.now();
  const exporter = await startDcgmExporter(gpus);
  const [prometheus, kube] = await Promise.all([
    startPrometheus({
      backfill: dcgmBackfill(gpus, { hours: HOURS }),
      scrapeConfigs: exporter.scrapeConfigs,
    }),
    startKubeApiServer({
      crds: [],
      controllers: false,
      seed: [
        ...[...new Set(notebooks.map(n => n.namespace))].map(name => ({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name, labels: { 'mlplatform.io/team': name } },
        })),
        ...notebooks.map(n => notebookStatefulSet(n.namespace, n.name)),
      ],
    }),
  ]);
  const proxy = await startCountingProxy(prometheus.url);
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  const database = { getClient: async () => knex, migrations: {} };
  const store = await NotebookStore.create({ database });
  for (const n of notebooks) {
    await store.add({
      cluster: 'bench',
      namespace: n.namespace,
      name: n.name,
      createdBy: 'user:default/ada',
      spec: storedSpec(1),
    });
  }
  const clusters = testClusters({ bench: kube }, { requestTimeoutMs: 10_000 });
  const client = PrometheusClient.create({ url: proxy.url, cacheTtlMs: 0 });
  const idle = new IdleNotebooks({
    prometheus: client,
    store,
    clusters,
    auditStore: await AuditStore.create({ database }),
    config: readIdleConfig(new ConfigReader({})),
  });
  console.log(
    `setup: ${NOTEBOOKS} notebooks in ${NAMESPACES} namespaces, ${HOURS} h of DCGM data, ${(
      (performance.now() - started) /
      1000
    ).toFixed(1)} s`,
  );

  try {
    const times: number[] = [];
    const queriesPerCycle: number[] = [];
    const listsPerCycle: number[] = [];
    let found = 0;
    for (let c = 0; c < CYCLES; c++) {
      const queriesBefore = proxy.count('/api/v1/query');
      const listsBefore = kube.requests.filter(r => r.verb === 'list').length;
      const t0 = performance.now();
      const snapshot = await idle.snapshot();
      times.push(performance.now() - t0);
      queriesPerCycle.push(proxy.count('/api/v1/query') - queriesBefore);
      listsPerCycle.push(
        kube.requests.filter(r => r.verb === 'list').length - listsBefore,
      );
      if (snapshot.status !== 'ok') throw new Error(snapshot.message);
      found = snapshot.items.length;
    }
    const expected = notebooks.filter(n => n.idle).length;
    if (found !== expected) {
      throw new Error(`found ${found} idle notebooks, expected ${expected}`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const promqlChars = new URLSearchParams(proxy.requests.at(-1)!.body).get(
      'query',
    )!.length;

    // Prometheus' own share: the cycle's query sent straight to it.
    const promql = new URLSearchParams(proxy.requests.at(-1)!.body).get(
      'query',
    )!;
    const promTimes: number[] = [];
    for (let c = 0; c < CYCLES; c++) {
      const t = performance.now();
      await prometheus.query(promql);
      promTimes.push(performance.now() - t);
    }
    promTimes.sort((a, b) => a - b);

    // What one query per notebook would cost, for comparison.
    const t1 = performance.now();
    const naiveBefore = proxy.count('/api/v1/query');
    for (const n of notebooks) {
      await client.query(
        `avg_over_time(DCGM_FI_DEV_GPU_UTIL{namespace="${n.namespace}",pod="${n.name}-0"}[1h])`,
      );
    }
    const naiveMs = performance.now() - t1;
    const naiveQueries = proxy.count('/api/v1/query') - naiveBefore;

    console.log(
      `detection: ${CYCLES} cycles over ${NOTEBOOKS} notebooks, ${found} idle found each time`,
    );
    console.log(
      `  Prometheus queries per cycle: ${queriesPerCycle.join(
        ', ',
      )} (PromQL of ${promqlChars} characters); cluster list calls per cycle: ${listsPerCycle.join(
        ', ',
      )}`,
    );
    console.log(
      `  time per cycle: p50 ${pct(sorted, 50).toFixed(0)} ms, max ${sorted
        .at(-1)!
        .toFixed(0)} ms`,
    );
    console.log(
      `  of which Prometheus evaluating the query alone: p50 ${pct(
        promTimes,
        50,
      ).toFixed(0)} ms`,
    );
    console.log(
      `  one query per notebook instead: ${naiveQueries} queries, ${naiveMs.toFixed(
        0,
      )} ms`,
    );
    console.log(
      JSON.stringify({
        bench: 'idle',
        notebooks: NOTEBOOKS,
        idle: found,
        cycles: CYCLES,
        queriesPerCycle: Math.max(...queriesPerCycle),
        listCallsPerCycle: Math.max(...listsPerCycle),
        p50Ms: Math.round(pct(sorted, 50)),
        maxMs: Math.round(sorted.at(-1)!),
        prometheusP50Ms: Math.round(pct(promTimes, 50)),
        perNotebookQueries: naiveQueries,
        perNotebookMs: Math.round(naiveMs),
      }),
    );
  } finally {
    clusters.close();
    await Promise.all([
      prometheus.stop(),
      kube.stop(),
      exporter.stop(),
      proxy.stop(),
    ]);
    await knex.destroy();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
