/*
 * Queue history through the whole plugin: the test Kubernetes API server
 * with Kueue names the ClusterQueues, a real Prometheus backfilled with a
 * week of Kueue's metrics answers for them.
 */
import { actionsRegistryServiceFactory } from '@backstage/backend-defaults/alpha';
import {
  SchedulerService,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  QueueHistoryPoint,
  QueueHistoryResponse,
} from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  describeIfBinary,
  openMetricsSeries,
  PrometheusHandle,
  serverBinaries,
  startPrometheus,
} from '@mlplatform/test-services';
import request from 'supertest';
import { asUser } from './__testUtils__/testUsers';
import { clusterASeed, workload } from './__testUtils__/kubeSeeds';
import { mlPlugin } from './plugin';

jest.setTimeout(120_000);

const ADA = asUser('user:default/ada');
const NOW = Math.floor(Date.now() / 1000);
const HOUR = 3600;
const START = NOW - 7 * 24 * HOUR - HOUR;
/** fraud-cq's GPU usage grows from 2 to 6 of its 8 GPUs 3 days ago. */
const GROWTH = NOW - 3 * 24 * HOUR;
/** Four fraud-cq workloads preempted at once, 2 days ago. */
const PREEMPTION = NOW - 2 * 24 * HOUR;

/** Samples every 5 minutes from `from` to now of a function of time. */
function series(
  name: string,
  labels: Record<string, string>,
  value: (t: number) => number,
  from = START,
): string {
  const points: Array<[number, number]> = [];
  for (let t = from; t <= NOW; t += 300) points.push([t, value(t)]);
  return openMetricsSeries(name, labels, points);
}

function backfill(): string {
  const cq = (queue: string) => ({
    cluster: 'gpu-cluster-a',
    cohort: 'gpus',
    cluster_queue: queue,
  });
  const fraud = cq('fraud-cq');
  return [
    series(
      'kueue_cluster_queue_resource_usage',
      { ...fraud, flavor: 'a100-80gb', resource: 'nvidia.com/gpu' },
      t => (t < GROWTH ? 2 : 6),
    ),
    // Not a GPU: left out of the history.
    series(
      'kueue_cluster_queue_resource_usage',
      { ...fraud, flavor: 'a100-80gb', resource: 'cpu' },
      () => 48,
    ),
    series(
      'kueue_cluster_queue_nominal_quota',
      { ...fraud, flavor: 'a100-80gb', resource: 'nvidia.com/gpu' },
      () => 8,
    ),
    series(
      'kueue_cluster_queue_nominal_quota',
      { ...fraud, flavor: 'a100-80gb', resource: 'cpu' },
      () => 64,
    ),
    // Another queue's series must not leak into fraud-cq's answer.
    series(
      'kueue_cluster_queue_resource_usage',
      { ...cq('nlp-cq'), flavor: 'a100-80gb', resource: 'nvidia.com/gpu' },
      () => 5,
    ),
    series(
      'kueue_pending_workloads',
      { cluster: 'gpu-cluster-a', cluster_queue: 'fraud-cq', status: 'active' },
      t => (t < NOW - 24 * HOUR ? 0 : 3),
    ),
    series(
      'kueue_pending_workloads',
      {
        cluster: 'gpu-cluster-a',
        cluster_queue: 'fraud-cq',
        status: 'inadmissible',
      },
      () => 1,
    ),
    // One admission an hour.
    series(
      'kueue_admitted_workloads_total',
      { cluster: 'gpu-cluster-a', cluster_queue: 'fraud-cq' },
      t => Math.floor((t - START) / HOUR),
    ),
    series(
      'kueue_admitted_workloads_total',
      { cluster: 'gpu-cluster-a', cluster_queue: 'nlp-cq' },
      t => Math.floor((t - START) / 60),
    ),
    // The eviction series appears a day before the preemption (as Kueue
    // creates it at a first eviction); zero before that comes from the query.
    series(
      'kueue_evicted_workloads_total',
      {
        cluster: 'gpu-cluster-a',
        cluster_queue: 'fraud-cq',
        reason: 'Preempted',
      },
      t => (t < PREEMPTION ? 0 : 4),
      PREEMPTION - 24 * HOUR,
    ),
  ].join('');
}

/** A recsys-cq workload admitted `wait` seconds after `created` (unix s). */
function admitted(name: string, wait: number, created = NOW) {
  const wl = workload('v1beta2', 'recsys', name, 'recsys-queue', {
    count: 1,
    gpus: 1,
    admitted: true,
  });
  const at = new Date((created + wait) * 1000).toISOString();
  return {
    ...wl,
    status: {
      admission: {
        clusterQueue: 'recsys-cq',
        podSetAssignments: [
          {
            name: 'main',
            count: 1,
            flavors: { 'nvidia.com/gpu': 'a100-80gb', cpu: 'a100-80gb' },
          },
        ],
      },
      conditions: wl.status.conditions.map(c => ({
        ...c,
        lastTransitionTime: at,
      })),
    },
  };
}

const values = (points: QueueHistoryPoint[]) =>
  points.filter(p => p.v !== null).map(p => p.v as number);

describeIfBinary([serverBinaries.prometheus, serverBinaries.promtool])(
  'queue history (whole plugin)',
  () => {
    let kube: KubeApiServer;
    let prom: PrometheusHandle;
    let backend: Awaited<ReturnType<typeof startTestBackend>>;
    // The mock scheduler's instance is also its service factory.
    type MockScheduler = SchedulerService & { factory(): ServiceFactory };
    let scheduler: MockScheduler;
    let lastAdmission = 0;

    beforeAll(async () => {
      [kube, prom] = await Promise.all([
        startKubeApiServer({ seed: clusterASeed() }),
        startPrometheus({ backfill: backfill() }),
      ]);
      // Two recsys-cq admissions, which Kueue's metrics in Prometheus lack.
      // Admitted a second or two after creation, as Kueue does with room.
      for (const [name, wait] of [
        ['hist-0', 1],
        ['hist-1', 2],
      ] as const) {
        const obj: any = await kube.create(admitted(name, wait));
        const created = Date.parse(obj.metadata.creationTimestamp) / 1000;
        lastAdmission = Math.max(lastAdmission, (created + wait) * 1000);
        await kube.apply({
          ...admitted(name, wait, created),
          metadata: obj.metadata,
        });
      }
      scheduler = mockServices.scheduler() as MockScheduler;
      backend = await startTestBackend({
        features: [
          scheduler.factory(),
          // The real registry, so the action answers over HTTP as to MCP.
          actionsRegistryServiceFactory,
          mlPlugin,
          catalogServiceMock.factory({ entities: [] }),
          mockServices.rootConfig.factory({
            data: {
              ml: {
                prometheus: { url: prom.url },
                kubernetes: {
                  clusters: [
                    {
                      name: 'gpu-cluster-a',
                      url: kube.url,
                      token: kube.token,
                      caData: kube.caData,
                    },
                  ],
                },
              },
            },
          }),
        ],
      });
    });
    afterAll(async () => {
      await backend?.stop();
      await Promise.all([kube?.stop(), prom?.stop()]);
    });

    const get = (path: string) => request(backend.server).get(path).set(ADA);

    it("charts a week of a ClusterQueue's GPU usage against quota, pending, admissions and preemptions", async () => {
      const res = await get(
        '/api/ml/quotas/queue-history?cluster=gpu-cluster-a&queue=fraud-cq',
      );
      expect(res.status).toBe(200);
      const body: QueueHistoryResponse = res.body;
      expect(body).toMatchObject({
        cluster: 'gpu-cluster-a',
        queue: 'fraud-cq',
        days: 7,
        stepSeconds: 7200,
        admissionsSource: 'kueue-metrics',
      });
      expect(body.errors).toBeUndefined();
      // GPUs only, one flavor.
      expect(body.flavors.map(f => [f.flavor, f.resource])).toEqual([
        ['a100-80gb', 'nvidia.com/gpu'],
      ]);
      // A point every 2 hours across the week (85 or 86 by alignment).
      const ts = body.flavors[0].usage.map(p => p.t);
      expect(ts[0]).toBeLessThanOrEqual(NOW - 7 * 24 * HOUR);
      expect(ts.at(-1)).toBeGreaterThanOrEqual(NOW);
      expect(ts.every((t, i) => i === 0 || t - ts[i - 1] === 7200)).toBe(true);
      const [a100] = body.flavors;
      expect(new Set(values(a100.nominalQuota))).toEqual(new Set([8]));
      // Peak per step: 2 before the growth, 6 after, never nlp-cq's 5.
      const usage = a100.usage.filter(p => p.v !== null);
      expect(usage.length).toBeGreaterThan(80);
      for (const p of usage) {
        expect([p.t, p.v]).toEqual([p.t, p.t <= GROWTH ? 2 : 6]);
      }
      expect(Math.max(...values(body.pending.inadmissible))).toBe(1);
      expect(values(body.pending.active).at(-1)).toBe(3);
      expect(values(body.pending.active)[0]).toBe(0);
      // One admission an hour: two per 2-hour step (nlp-cq's 60 an hour left out).
      const admissions = values(body.admissions);
      expect(admissions.length).toBeGreaterThan(80);
      for (const n of admissions.slice(1, -1)) expect(n).toBeCloseTo(2, 0);
      // Four preemptions in one step; zero before the eviction series existed.
      const preemptions = values(body.preemptions);
      expect(preemptions.length).toBeGreaterThan(80);
      expect(preemptions.reduce((a, b) => a + b, 0)).toBeCloseTo(4, 0);
      expect(preemptions.filter(n => n > 0.5)).toHaveLength(1);
      expect(body.method).toMatch(/kueue_cluster_queue_resource_usage/);
    });

    it('sums the same history up for MCP clients, and refuses what the route refuses', async () => {
      const invoke = (input: object) =>
        request(backend.server)
          .post(
            '/api/ml/.backstage/actions/v1/actions/ml:get-queue-history/invoke',
          )
          .set(ADA)
          .send(input);
      const res = await invoke({ cluster: 'gpu-cluster-a', queue: 'fraud-cq' });
      expect(res.status).toBe(200);
      const out = res.body.output;
      expect(out).toMatchObject({
        cluster: 'gpu-cluster-a',
        queue: 'fraud-cq',
        days: 7,
        flavors: [
          {
            flavor: 'a100-80gb',
            resource: 'nvidia.com/gpu',
            nominalQuota: 8,
            usagePeak: 6,
          },
        ],
        pendingNow: 3,
        pendingPeak: 3,
        inadmissiblePeak: 1,
        preemptions: 4,
      });
      // 2 before the growth 3 days ago, 6 after: between the two.
      expect(out.flavors[0].usageMean).toBeGreaterThan(3);
      expect(out.flavors[0].usageMean).toBeLessThan(5);
      expect(out.flavors[0].utilisation).toBeCloseTo(
        out.flavors[0].usageMean / 8,
        2,
      );
      // One an hour for a week, and the steps at both ends of the window.
      expect(out.admissions).toBeGreaterThan(160);
      expect(out.admissions).toBeLessThan(180);
      const bad = await invoke({
        cluster: 'gpu-cluster-a',
        queue: 'fraud-cq',
        days: 60,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/days: must be at most 30/);
    });

    it("falls back to the backend's recorded admissions for a queue Kueue's metrics miss", async () => {
      // The window ends at the request: both admissions must be in the past.
      const ahead = lastAdmission + 1000 - Date.now();
      if (ahead > 0) await new Promise(r => setTimeout(r, ahead));
      await scheduler.triggerTask('ml-queue-admissions');
      const res = await get(
        '/api/ml/quotas/queue-history?cluster=gpu-cluster-a&queue=recsys-cq&days=1',
      );
      expect(res.status).toBe(200);
      const body: QueueHistoryResponse = res.body;
      expect(body.admissionsSource).toBe('recorded');
      // Admitted seconds ago: both counted in the last step.
      const counts = values(body.admissions);
      expect(counts.length).toBe(body.admissions.length);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(2);
      expect(counts.at(-1)).toBe(2);
      // No Kueue series for recsys-cq: the other charts say no data.
      expect(body.flavors).toEqual([]);
      expect(values(body.pending.active)).toEqual([]);
    });

    it('refuses an unknown queue or cluster and a window beyond 30 days, with the reason', async () => {
      const unknown = await get(
        '/api/ml/quotas/queue-history?cluster=gpu-cluster-a&queue=nope-cq',
      );
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toBe(
        'queue: unknown ClusterQueue "nope-cq" on gpu-cluster-a; known: fraud-cq, nlp-cq, recsys-cq',
      );
      const cluster = await get(
        '/api/ml/quotas/queue-history?cluster=gpu-cluster-z&queue=fraud-cq',
      );
      expect(cluster.status).toBe(400);
      expect(cluster.body.error.message).toMatch(/^cluster: .*gpu-cluster-z/);
      const long = await get(
        '/api/ml/quotas/queue-history?cluster=gpu-cluster-a&queue=fraud-cq&days=31',
      );
      expect(long.status).toBe(400);
      expect(long.body.error.message).toMatch(/days: must be at most 30/);
      const extra = await get(
        '/api/ml/quotas/queue-history?cluster=gpu-cluster-a&queue=fraud-cq&step=1s',
      );
      expect(extra.status).toBe(400);
    });
  },
);
