/*
 * Wait estimates and GPU-hours through the whole plugin: a test Kubernetes
 * API server with Kueue, whose admitted Workloads the scheduled observer
 * records in the plugin's database, and a real Prometheus backfilled with
 * kube-state-metrics series and Kueue's admission wait histogram.
 */
import {
  SchedulerService,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceFactory } from '@backstage/backend-defaults/alpha';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  GpuHoursResponse,
  WaitEstimateResponse,
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
const DAY = 86_400;
const TODAY = Math.floor(NOW / DAY) * DAY;
/** Waits (s) of the fraud-cq workloads the test admits. */
const WAITS = [120, 240, 600, 1200];

/** Samples every minute from `start` to now of a function of time. */
function series(
  name: string,
  labels: Record<string, string>,
  start: number,
  value: (t: number) => number,
): string {
  const points: Array<[number, number]> = [];
  for (let t = start; t <= NOW; t += 60) points.push([t, value(t)]);
  return openMetricsSeries(name, labels, points);
}

function backfill(): string {
  const start = TODAY - 2 * DAY - 3600;
  const cl = { cluster: 'gpu-cluster-a' };
  const pod = (
    namespace: string,
    name: string,
    node: string,
    resource: string,
    gpus: number,
    phase: string,
  ) =>
    series(
      'kube_pod_container_resource_requests',
      {
        ...cl,
        namespace,
        pod: name,
        container: 'main',
        node,
        resource,
        unit: 'integer',
      },
      start,
      () => gpus,
    ) +
    series(
      'kube_pod_status_phase',
      { ...cl, namespace, pod: name, phase },
      start,
      () => 1,
    );
  // Kueue's histogram for nlp-cq: 40 admissions spread over the window.
  const buckets: Array<[string, number]> = [
    ['60', 10],
    ['300', 20],
    ['900', 36],
    ['1800', 40],
    ['+Inf', 40],
  ];
  const share = (t: number) => (t - start) / (NOW - start);
  return [
    pod('fraud', 'train-1', 'node-a1', 'nvidia_com_gpu', 2, 'Running'),
    pod('recsys', 'rank-1', 'node-a1', 'nvidia_com_gpu', 1, 'Running'),
    // A finished pod keeps its requests in kube-state-metrics: not counted.
    pod('recsys', 'done-1', 'node-a1', 'nvidia_com_gpu', 4, 'Succeeded'),
    pod('nlp', 'mig-a', 'node-a2', 'nvidia_com_mig_1g_10gb', 3, 'Running'),
    series(
      'kube_node_labels',
      {
        ...cl,
        node: 'node-a1',
        label_nvidia_com_gpu_product: 'NVIDIA-A100-SXM4-80GB',
      },
      start,
      () => 1,
    ),
    ...buckets.map(([le, n]) =>
      series(
        'kueue_admission_wait_time_seconds_bucket',
        { ...cl, cluster_queue: 'nlp-cq', priority_class: '', le },
        start,
        t => Math.round(n * share(t)),
      ),
    ),
    series(
      'kueue_admission_wait_time_seconds_count',
      { ...cl, cluster_queue: 'nlp-cq', priority_class: '' },
      start,
      t => Math.round(40 * share(t)),
    ),
  ].join('');
}

/** A fraud-cq workload admitted `wait` seconds after `created` (unix s). */
function admitted(name: string, wait: number, gpus = 1, created = NOW) {
  const wl = workload('v1beta2', 'fraud', name, 'fraud-queue', {
    count: 1,
    gpus,
    admitted: true,
  });
  const at = new Date((created + wait) * 1000).toISOString();
  return {
    ...wl,
    status: {
      admission: {
        clusterQueue: 'fraud-cq',
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

describeIfBinary([serverBinaries.prometheus, serverBinaries.promtool])(
  'wait estimates and GPU-hours (whole plugin)',
  () => {
    let kube: KubeApiServer;
    let prom: PrometheusHandle;
    let backend: Awaited<ReturnType<typeof startTestBackend>>;
    // The mock scheduler's instance is also its service factory.
    type MockScheduler = SchedulerService & { factory(): ServiceFactory };
    let scheduler: MockScheduler;

    beforeAll(async () => {
      [kube, prom] = await Promise.all([
        startKubeApiServer({ seed: clusterASeed() }),
        startPrometheus({ backfill: backfill() }),
      ]);
      // Admitted `wait` s after the creation time the server gave them.
      const admit = async (name: string, wait: number, gpus?: number) => {
        const obj: any = await kube.create(admitted(name, wait, gpus));
        const created = Date.parse(obj.metadata.creationTimestamp) / 1000;
        await kube.apply({
          ...admitted(name, wait, gpus, created),
          metadata: obj.metadata,
        });
      };
      for (const [i, wait] of WAITS.entries()) await admit(`done-${i}`, wait);
      // Another size bucket: not among the 1-GPU samples.
      await admit('big-0', 30, 4);
      scheduler = mockServices.scheduler() as MockScheduler;
      backend = await startTestBackend({
        features: [
          scheduler.factory(),
          // The real registry, so the actions answer over HTTP as to MCP.
          actionsRegistryServiceFactory,
          mlPlugin,
          catalogServiceMock.factory({ entities: [] }),
          mockServices.rootConfig.factory({
            data: {
              ml: {
                prometheus: { url: prom.url },
                queueWaits: { minSamples: 3, observeSeconds: 10 },
                gpuHours: { maxDays: 30 },
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

    it('estimates from the admissions the scheduled observer recorded, with the would-be place in line', async () => {
      const ask = () =>
        get(
          '/api/ml/quotas/wait-estimate?cluster=gpu-cluster-a&namespace=fraud&gpus=1',
        );
      // Before the observer ran: no history.
      expect((await ask()).body.estimate.status).toBe('insufficient');
      await scheduler.triggerTask('ml-queue-admissions');
      const res = await ask();
      expect(res.status).toBe(200);
      const body: WaitEstimateResponse = res.body;
      expect(body).toMatchObject({
        cluster: 'gpu-cluster-a',
        clusterQueue: 'fraud-cq',
        flavor: 'a100-80gb',
        sizeBucket: '1 GPU',
        estimate: { status: 'estimated', source: 'observed', samples: 4 },
        position: {
          pendingAhead: 1,
          positionInClusterQueue: 1,
          fitsNow: true,
        },
      });
      const est = body.estimate as { p50Seconds: number; p90Seconds: number };
      // type-7 quantiles of 120, 240, 600, 1200
      expect(est.p50Seconds).toBe(420);
      expect(est.p90Seconds).toBeCloseTo(1020, 6);
      expect(body.summary).toMatch(
        /1 GPU of a100-80gb in fraud-cq: typically starts after 7 min; 9 in 10 within 17 min, from 4 admissions .*few samples.*room for it now; 1 workload\(s\) already wait/,
      );

      // 2 GPUs: a bucket with no history at all, and nothing from Kueue for fraud-cq.
      const two = await get(
        '/api/ml/quotas/wait-estimate?cluster=gpu-cluster-a&queue=fraud-cq&gpus=2',
      );
      expect(two.body.estimate).toEqual({
        status: 'insufficient',
        samples: 0,
        minSamples: 3,
        reason: expect.stringContaining('needs at least 3'),
      });
      expect(two.body.summary).toMatch(/^Not enough history/);
    });

    const invoke = (action: string, input: object) =>
      request(backend.server)
        .post(`/api/ml/.backstage/actions/v1/actions/ml:${action}/invoke`)
        .set(ADA)
        .send(input);

    it('gives the same estimate to MCP clients, and one per pending workload in explain-pending-workload', async () => {
      const http = await get(
        '/api/ml/quotas/wait-estimate?cluster=gpu-cluster-a&queue=fraud-cq&gpus=1',
      );
      const action = await invoke('estimate-queue-wait', {
        cluster: 'gpu-cluster-a',
        queue: 'fraud-cq',
        gpus: 1,
      });
      expect(action.status).toBe(200);
      expect(action.body.output).toEqual(http.body);
      const bad = await invoke('estimate-queue-wait', {
        cluster: 'gpu-cluster-a',
        queue: 'fraud-cq',
        gpus: -3,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/gpus: must be at least 1/);

      // job-train-big: 2 pods x 2 GPUs, a bucket with one admission (big-0)
      const explained = await invoke('explain-pending-workload', {
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
      });
      expect(explained.status).toBe(200);
      const [big] = explained.body.output.workloads;
      expect(big.name).toBe('job-train-big');
      expect(big.waitEstimate).toMatchObject({
        status: 'insufficient',
        samples: 1,
        summary: expect.stringMatching(
          /^Not enough history to estimate the wait of 3-4 GPUs of a100-80gb in fraud-cq: .* job-train-big has waited \d+ min so far\.$/,
        ),
      });
    });

    it('serves the GPU-hours of the HTTP API to MCP clients', async () => {
      const http = await get(
        '/api/ml/quotas/gpu-hours?days=2&team=recsys-team',
      );
      const action = await invoke('gpu-hours', {
        days: 2,
        team: 'recsys-team',
      });
      expect(action.status).toBe(200);
      expect(action.body.output).toEqual(http.body);
      expect(http.body.rows.length).toBeGreaterThan(0);
      const tooLong = await invoke('gpu-hours', { days: 400 });
      expect(tooLong.status).toBe(400);
    });

    it("falls back to Kueue's wait histogram in Prometheus for a queue without observed admissions", async () => {
      const res = await get(
        '/api/ml/quotas/wait-estimate?cluster=gpu-cluster-a&queue=nlp-cq&gpus=1',
      );
      expect(res.status).toBe(200);
      expect(res.body.estimate).toMatchObject({
        status: 'estimated',
        source: 'prometheus',
      });
      expect(res.body.estimate.p50Seconds).toBeCloseTo(300, 0);
      expect(res.body.estimate.p90Seconds).toBeCloseTo(900, 0);
      expect(res.body.estimate.samples).toBeGreaterThanOrEqual(38);
      expect(res.body.estimate.samples).toBeLessThanOrEqual(44);
      expect(res.body.position.fitsNow).toBe(true);
    });

    it.each([
      ['cluster=nope&queue=fraud-cq&gpus=1', /cluster: unknown cluster "nope"/],
      [
        'cluster=gpu-cluster-a&queue=ghost-cq&gpus=1',
        /queue: unknown ClusterQueue "ghost-cq".*fraud-cq, nlp-cq, recsys-cq/,
      ],
      [
        'cluster=gpu-cluster-a&namespace=kube-system&gpus=1',
        /namespace: kube-system on gpu-cluster-a has no Kueue LocalQueue/,
      ],
      [
        'cluster=gpu-cluster-a&queue=fraud-cq&gpus=-1',
        /gpus: must be at least 1/,
      ],
      [
        'cluster=gpu-cluster-a&queue=fraud-cq&gpus=100000',
        /gpus: must be at most 1024/,
      ],
      [
        'cluster=gpu-cluster-a&queue=fraud-cq&gpus=1.5',
        /gpus: must be a whole number/,
      ],
      ['cluster=gpu-cluster-a&gpus=1', /queue: name the ClusterQueue/],
      [
        'cluster=gpu-cluster-a&queue=fraud-cq&gpus=1&flavor=h100',
        /flavor: ClusterQueue fraud-cq has no flavor "h100"/,
      ],
    ])('refuses %s with 400 and the reason', async (query, message) => {
      const res = await get(`/api/ml/quotas/wait-estimate?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    });

    it('sums GPU-hours per day, team, cluster and GPU type from kube-state-metrics', async () => {
      const res = await get('/api/ml/quotas/gpu-hours?days=3');
      expect(res.status).toBe(200);
      const body: GpuHoursResponse = res.body;
      const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
      expect(body).toMatchObject({
        granularity: 'day',
        from: day(TODAY - 2 * DAY),
        to: day(TODAY),
      });
      const yesterday = body.rows.filter(r => r.period === day(TODAY - DAY));
      expect(yesterday).toEqual([
        {
          period: day(TODAY - DAY),
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
          team: 'group:default/fraud-team',
          gpuType: 'NVIDIA-A100-SXM4-80GB',
          gpuHours: 48,
        },
        {
          period: day(TODAY - DAY),
          cluster: 'gpu-cluster-a',
          namespace: 'nlp',
          team: 'group:default/nlp-team',
          gpuType: 'mig-1g.10gb',
          gpuHours: 72,
        },
        {
          period: day(TODAY - DAY),
          cluster: 'gpu-cluster-a',
          namespace: 'recsys',
          team: 'group:default/recsys-team',
          gpuType: 'NVIDIA-A100-SXM4-80GB',
          gpuHours: 24,
        },
      ]);
      const today = body.rows.find(
        r => r.period === day(TODAY) && r.namespace === 'fraud',
      );
      const sinceMidnight = Math.max(
        300,
        Math.floor((NOW - TODAY) / 300) * 300,
      );
      expect(
        Math.abs(today!.gpuHours - (2 * sinceMidnight) / 3600),
      ).toBeLessThan(0.2);

      // A week: the days of the window that fall in it, summed.
      const weeks = await get(
        '/api/ml/quotas/gpu-hours?days=3&granularity=week&team=fraud-team',
      );
      const fraudTotal = body.rows
        .filter(r => r.namespace === 'fraud')
        .reduce((s, r) => s + r.gpuHours, 0);
      expect(weeks.body.rows.every((r: any) => r.namespace === 'fraud')).toBe(
        true,
      );
      expect(
        weeks.body.rows.reduce((s: number, r: any) => s + r.gpuHours, 0),
      ).toBeCloseTo(fraudTotal, 2);

      // The CSV has the same numbers.
      const csv = await get('/api/ml/quotas/gpu-hours?days=3&format=csv');
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toMatch(
        /attachment; filename="gpu-hours-/,
      );
      expect(csv.text).toContain(
        `${day(
          TODAY - DAY,
        )},gpu-cluster-a,group:default/fraud-team,fraud,NVIDIA-A100-SXM4-80GB,48.00\n`,
      );
      expect(csv.text.split('\n')[0]).toBe(
        'day,cluster,team,namespace,gpu_type,gpu_hours',
      );
    });

    it.each([
      ['days=31', /days: 31 is beyond the configured maximum of 30/],
      ['days=0', /days: must be at least 1/],
      ['granularity=month', /granularity/],
      ['cluster=nope', /cluster: unknown cluster "nope"/],
    ])('refuses GPU-hours for %s with 400', async (query, message) => {
      const res = await get(`/api/ml/quotas/gpu-hours?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    });
  },
);
