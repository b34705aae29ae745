/*
 * Idle GPUs in notebooks against a real Prometheus scraping a DCGM exporter
 * stand-in (with hours of backfilled history) and the test API server: the
 * route, the owner's opt-out, the policy (warn, then stop, audited, with
 * notifications through the real notifications backend), one Prometheus
 * query per cycle, and bad config.
 */
import {
  SchedulerService,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import permissionPlugin from '@backstage/plugin-permission-backend';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  describeIdle,
  describeIdleNamespace,
  IdleNotebooksResponse,
} from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  DcgmExporter,
  DcgmGpu,
  dcgmBackfill,
  DEMO_IDLE_NOTEBOOK,
  demoMetricsBackfill,
  PrometheusHandle,
  startDcgmExporter,
  startPrometheus,
} from '@mlplatform/test-services';
import request from 'supertest';
import { AuditStore } from './database/AuditStore';
import { NotebookStore } from './database/NotebookStore';
import {
  CountingProxy,
  startCountingProxy,
} from './__testUtils__/countingProxy';
import { notebookStatefulSet, storedSpec } from './__testUtils__/idleSeeds';
import { LABEL_MANAGED_BY, MANAGED_BY } from './services/kubernetes/manifests';
import { ns } from './__testUtils__/kubeSeeds';
import { asUser, userInfoServiceFactory } from './__testUtils__/testUsers';
import { oboAuthServiceFactory } from './permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from './permissions/__testUtils__/testPolicy';
import { mlPlugin } from './plugin';
import { ClusterService } from './services/kubernetes/ClusterService';
import { readIdleConfig } from './services/kubernetes/idleConfig';
import { IdleNotebooks } from './services/kubernetes/IdleNotebooks';
import { PrometheusClient } from './services/monitoring/PrometheusClient';

jest.setTimeout(120_000);

const ADA = 'user:default/ada';
const EVE = 'user:default/eve';
const ROOT = 'user:default/root';
const GROUPS: Record<string, string[]> = {
  [ADA]: ['group:default/fraud-team'],
  [EVE]: ['group:default/nlp-team'],
  [ROOT]: ['group:default/platform-team'],
};

const SETTINGS = {
  teamLabel: 'mlplatform.io/team',
  refreshSeconds: 60,
  requestTimeoutMs: 5000,
};

const NOW = Math.floor(Date.now() / 1000);
const TWENTY_MINUTES_AGO = NOW - 20 * 60;

/*
 * fraud: idle-nb (2 GPUs at ~1 % for hours), exempt-nb (idle, opted out),
 * busy-nb (60 %), fresh-nb (busy until 20 minutes ago: not idle for 1h yet),
 * and a model server at 0 % that is no notebook.
 */
const GPUS: DcgmGpu[] = [
  { namespace: 'fraud', pod: 'idle-nb-0', gpu: '0', utilization: 1 },
  { namespace: 'fraud', pod: 'idle-nb-0', gpu: '1', utilization: 2 },
  { namespace: 'fraud', pod: 'exempt-nb-0', gpu: '2', utilization: 0 },
  {
    namespace: 'fraud',
    pod: 'busy-nb-0',
    gpu: '3',
    utilization: t => 60 + 10 * Math.sin(t / 300),
  },
  {
    namespace: 'fraud',
    pod: 'fresh-nb-0',
    gpu: '4',
    utilization: t => (t < TWENTY_MINUTES_AGO ? 70 : 1),
  },
  {
    namespace: 'fraud',
    pod: 'scorer-7f4b8d9c6-m9q2t',
    gpu: '5',
    utilization: 0,
  },
];

const seed = () => [
  ns('fraud', { 'mlplatform.io/team': 'fraud-team' }),
  {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'gpu-quota', namespace: 'fraud' },
    spec: { hard: { 'requests.nvidia.com/gpu': '16' } },
  },
];

async function startMetrics(gpus: DcgmGpu[]) {
  const exporter = await startDcgmExporter(gpus);
  const prometheus = await startPrometheus({
    backfill: dcgmBackfill(gpus, { now: NOW, hours: 4 }),
    scrapeConfigs: exporter.scrapeConfigs,
  });
  return { exporter, prometheus };
}

describe('idle GPUs in notebooks, through the plugin', () => {
  let kube: KubeApiServer;
  let exporter: DcgmExporter;
  let prometheus: PrometheusHandle;
  let proxy: CountingProxy;

  beforeAll(async () => {
    [kube, { exporter, prometheus }] = await Promise.all([
      startKubeApiServer({ crds: [], seed: seed(), controllers: true }),
      startMetrics(GPUS),
    ]);
    proxy = await startCountingProxy(prometheus.url);
  });

  afterAll(async () => {
    await Promise.all([
      kube?.stop(),
      prometheus?.stop(),
      exporter?.stop(),
      proxy?.stop(),
    ]);
  });

  const sts = (...args: [string, string, string, string]): any =>
    kube.get(...args);

  // The mock scheduler's instance is also its service factory.
  type MockScheduler = SchedulerService & { factory(): ServiceFactory };
  let scheduler: MockScheduler;

  async function startBackend(idle: object) {
    // Cycles run when the test triggers them, as the scheduler would.
    scheduler = mockServices.scheduler() as MockScheduler;
    const { server } = await startTestBackend({
      features: [
        scheduler.factory(),
        mlPlugin,
        permissionPlugin,
        notificationsPlugin,
        mlTestPolicyModule({ admins: ['group:default/platform-team'] }),
        oboAuthServiceFactory,
        userInfoServiceFactory(GROUPS),
        catalogServiceMock.factory({ entities: [] }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            permission: { enabled: true },
            ml: {
              prometheus: { url: proxy.url },
              kubernetes: {
                requestTimeoutSeconds: 5,
                clusters: [
                  {
                    name: 'gpu-cluster-b',
                    url: kube.url,
                    token: kube.token,
                    caData: kube.caData,
                  },
                ],
              },
              notebooks: { idle },
            },
          },
        }),
      ],
    });
    return server;
  }

  const auditOf = async (server: any, name: string) =>
    (
      await request(server)
        .get(`/api/ml/audit?entity=notebook:gpu-cluster-b/fraud/${name}`)
        .set(asUser(ROOT))
    ).body.items as Array<{
      action: string;
      actor: string;
      outcome: string;
      details: Record<string, unknown>;
    }>;

  it('shows idle notebooks, honours the opt-out, warns the owner, then stops and audits', async () => {
    // Prometheus answers 503 at first, as an overloaded one would.
    proxy.shut(true);
    const server = await startBackend({
      threshold: 5,
      after: '1h',
      action: 'stop',
      warning: '0s',
      frequency: '1s',
    });
    for (const [name, gpus] of [
      ['idle-nb', 2],
      ['exempt-nb', 1],
      ['busy-nb', 1],
      ['fresh-nb', 1],
      ['cpu-nb', 0],
    ] as const) {
      const created = await request(server)
        .post('/api/ml/notebooks')
        .set(asUser(ADA))
        .send({ name, cluster: 'gpu-cluster-b', namespace: 'fraud', gpus });
      expect(created.status).toBe(201);
    }

    // The opt-out: the owner's team only, a valid body only, audited.
    const path = '/api/ml/notebooks/gpu-cluster-b/fraud/exempt-nb/idle-policy';
    const refused = await request(server)
      .put(path)
      .set(asUser(EVE))
      .send({ policy: 'exempt' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      'user:default/eve is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-b',
    );
    const bad = await request(server)
      .put(path)
      .set(asUser(ADA))
      .send({ policy: 'forever' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/policy/);
    expect(
      sts('apps/v1', 'StatefulSet', 'fraud', 'exempt-nb').metadata
        .annotations?.['mlplatform.io/idle-policy'],
    ).toBeUndefined();
    const exempted = await request(server)
      .put(path)
      .set(asUser(ADA))
      .send({ policy: 'exempt' });
    expect(exempted.status).toBe(204);
    expect(
      sts('apps/v1', 'StatefulSet', 'fraud', 'exempt-nb').metadata.annotations[
        'mlplatform.io/idle-policy'
      ],
    ).toBe('exempt');
    expect(
      (await auditOf(server, 'exempt-nb'))
        .filter(e => e.action === 'ml.notebook.idle-policy')
        .map(e => [e.actor, e.outcome, e.details.policy]),
    ).toEqual([
      [ADA, 'succeeded', 'exempt'],
      [EVE, 'refused', 'exempt'],
    ]);

    // Prometheus not answering: the card says so.
    const down = await request(server)
      .get('/api/ml/notebooks/idle?mine=true')
      .set(asUser(ADA));
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ status: 'unavailable', items: [] });
    expect(down.body.message).toContain('could not tell GPU utilisation');

    proxy.shut(false);
    const res = await request(server)
      .get('/api/ml/notebooks/idle?mine=true')
      .set(asUser(ADA));
    expect(res.status).toBe(200);
    const body = res.body as IdleNotebooksResponse;
    expect(body.status).toBe('ok');
    expect(body.threshold).toBe(5);
    expect(body.afterSeconds).toBe(3600);
    expect(body.action).toBe('stop');
    // The policy may already have stopped idle-nb; exempt-nb stays listed.
    const exempt = body.items.find(n => n.name === 'exempt-nb');
    expect(exempt).toMatchObject({
      createdBy: ADA,
      team: 'group:default/fraud-team',
      gpus: 1,
      utilization: 0,
      exempt: true,
      idleAtLeast: false,
    });
    expect(exempt!.idleSeconds).toBeGreaterThanOrEqual(3600);
    expect(body.items.map(n => n.name)).not.toContain('busy-nb');
    expect(body.items.map(n => n.name)).not.toContain('fresh-nb');
    expect(body.items.map(n => n.name)).not.toContain('cpu-nb');

    // Someone else's "mine" has none of ADA's.
    const eve = await request(server)
      .get('/api/ml/notebooks/idle?mine=true')
      .set(asUser(EVE));
    expect(eve.body.items).toEqual([]);
    const badQuery = await request(server)
      .get('/api/ml/notebooks/idle?mine=maybe')
      .set(asUser(ADA));
    expect(badQuery.status).toBe(400);

    // The policy: a warning in one cycle, then (warning 0s) a stop in the next.
    const queriesBefore = proxy.count('/api/v1/query');
    await scheduler.triggerTask('ml-idle-notebooks');
    expect(
      (await auditOf(server, 'idle-nb')).map(e => [e.action, e.outcome]),
    ).toEqual([
      ['ml.notebook.idle-warn', 'succeeded'],
      ['ml.notebook.create', 'succeeded'],
    ]);
    expect(
      sts('apps/v1', 'StatefulSet', 'fraud', 'idle-nb').spec.replicas,
    ).toBe(1);
    const warned = await request(server)
      .get('/api/notifications/notifications')
      .set(asUser(ADA));
    expect(
      warned.body.notifications.map(
        (n: { payload: { title: string; severity: string } }) => [
          n.payload.title,
          n.payload.severity,
        ],
      ),
    ).toEqual([['Notebook idle-nb holds 2 idle GPU(s)', 'high']]);
    await scheduler.triggerTask('ml-idle-notebooks');
    // At most one query per cycle (the client may answer the second from its cache).
    const cycleQueries = proxy.count('/api/v1/query') - queriesBefore;
    expect(cycleQueries).toBeGreaterThanOrEqual(0);
    expect(cycleQueries).toBeLessThanOrEqual(2);
    const stop = (await auditOf(server, 'idle-nb')).find(
      e => e.action === 'ml.notebook.stop',
    )!;
    expect(stop.outcome).toBe('succeeded');
    expect(stop.actor).toBe('plugin:ml');
    expect(stop.details).toMatchObject({
      reason: 'idle',
      threshold: 5,
      utilization: 1.5,
    });
    const trail = (await auditOf(server, 'idle-nb')).reverse();
    expect(trail.map(e => [e.action, e.outcome])).toEqual([
      ['ml.notebook.create', 'succeeded'],
      ['ml.notebook.idle-warn', 'succeeded'],
      ['ml.notebook.stop', 'succeeded'],
    ]);
    expect(
      sts('apps/v1', 'StatefulSet', 'fraud', 'idle-nb').spec.replicas,
    ).toBe(0);
    for (const name of ['exempt-nb', 'busy-nb', 'fresh-nb']) {
      expect(sts('apps/v1', 'StatefulSet', 'fraud', name).spec.replicas).toBe(
        1,
      );
      expect((await auditOf(server, name)).map(e => e.action)).not.toContain(
        'ml.notebook.idle-warn',
      );
    }

    // The owner was told, through Backstage's notifications.
    const list = await request(server)
      .get('/api/notifications/notifications')
      .set(asUser(ADA));
    expect(list.status).toBe(200);
    const notes = list.body.notifications as Array<{
      payload: { title: string; description: string; topic: string };
    }>;
    const titles = notes.map(n => n.payload.title);
    expect(titles).toContain('Notebook idle-nb was stopped: its GPUs sat idle');
    expect(notes[0].payload.topic).toBe('ml-idle-notebooks');
    expect(notes.map(n => n.payload.description).join('\n')).toMatch(
      /idle-nb in fraud on gpu-cluster-b held 2 GPU\(s\) idle for \d+h(\d+m)? at 1\.5% GPU/,
    );

    // Stopped, it no longer holds GPUs: gone from the list.
    const after = await request(server)
      .get('/api/ml/notebooks/idle')
      .set(asUser(ROOT));
    expect(after.body.items.map((n: { name: string }) => n.name)).toEqual([
      'exempt-nb',
    ]);
    expect(after.body.namespaces).toEqual([
      {
        cluster: 'gpu-cluster-b',
        namespace: 'fraud',
        team: 'group:default/fraud-team',
        gpus: 1,
        notebooks: 1,
      },
    ]);
    // Every query the backend sent was the one idle query: no per-notebook ones.
    const queries = proxy.requests.filter(r => r.path === '/api/v1/query');
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) {
      const promql = new URLSearchParams(q.body).get('query')!;
      expect(promql).toContain(
        'pod=~"busy-nb-0|exempt-nb-0|fresh-nb-0|idle-nb-0"',
      );
    }
  });

  it('with action notify, tells the owner once per idle period and stops nothing', async () => {
    // A cluster of its own: the first test's notebooks live on the other.
    await kube.stop();
    kube = await startKubeApiServer({
      crds: [],
      seed: seed(),
      controllers: true,
    });
    const server = await startBackend({
      threshold: 5,
      after: '1h',
      action: 'notify',
      frequency: '1s',
    });
    const created = await request(server)
      .post('/api/ml/notebooks')
      .set(asUser(ADA))
      .send({
        name: 'idle-nb',
        cluster: 'gpu-cluster-b',
        namespace: 'fraud',
        gpus: 2,
      });
    expect(created.status).toBe(201);
    for (let cycle = 0; cycle < 3; cycle++) {
      await scheduler.triggerTask('ml-idle-notebooks');
    }
    expect(
      (await auditOf(server, 'idle-nb')).map(e => [e.action, e.outcome]),
    ).toEqual([
      ['ml.notebook.idle-warn', 'succeeded'],
      ['ml.notebook.create', 'succeeded'],
    ]);
    expect(
      sts('apps/v1', 'StatefulSet', 'fraud', 'idle-nb').spec.replicas,
    ).toBe(1);
    const list = await request(server)
      .get('/api/notifications/notifications')
      .set(asUser(ADA));
    expect(
      list.body.notifications.map(
        (n: { payload: { title: string; severity: string } }) => [
          n.payload.title,
          n.payload.severity,
        ],
      ),
    ).toEqual([['Notebook idle-nb holds 2 idle GPU(s)', 'normal']]);
    expect(list.body.notifications[0].payload.description).toMatch(
      /^idle-nb in fraud on gpu-cluster-b is idle for \d+h(\d+m)? at 1\.5% GPU\. Stop it when you are done/,
    );
    const idle = await request(server)
      .get('/api/ml/notebooks/idle?team=fraud-team')
      .set(asUser(EVE));
    expect(idle.body).toMatchObject({
      status: 'ok',
      action: 'notify',
      items: [{ name: 'idle-nb', gpus: 2, warnedAt: expect.any(String) }],
    });
    expect(idle.body.items[0].stopsAt).toBeUndefined();
  });

  it('refuses to start with a bad ml.notebooks.idle', async () => {
    await expect(startBackend({ threshold: 150, after: '1h' })).rejects.toThrow(
      'ml config: ml.notebooks.idle.threshold must be a percent of GPU utilisation in (0, 100], got 150',
    );
    await expect(startBackend({ after: 'an hour' })).rejects.toThrow(
      'ml config: ml.notebooks.idle.after is "an hour", not a duration such as 30m, 3h or 1d',
    );
    await expect(startBackend({ action: 'delete' })).rejects.toThrow(
      'ml config: ml.notebooks.idle.action must be notify or stop, got "delete"',
    );
  });
});

describe('idle detection: one Prometheus query per cycle', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  const COUNT = 60;
  let kube: KubeApiServer;
  let exporter: DcgmExporter;
  let prometheus: PrometheusHandle;
  let proxy: CountingProxy;

  const names = Array.from(
    { length: COUNT },
    (_, i) => `nb-${String(i).padStart(3, '0')}`,
  );

  beforeAll(async () => {
    // Every third notebook idle, the rest busy, in three namespaces.
    const gpus: DcgmGpu[] = names.map((name, i) => ({
      namespace: `team-${i % 3}`,
      pod: `${name}-0`,
      utilization: i % 3 === 0 ? 0.5 : 80,
    }));
    [kube, { exporter, prometheus }] = await Promise.all([
      startKubeApiServer({
        crds: [],
        controllers: false,
        seed: [
          ...[0, 1, 2].map(i =>
            ns(`team-${i}`, { 'mlplatform.io/team': `team-${i}` }),
          ),
          ...names.map((name, i) => notebookStatefulSet(`team-${i % 3}`, name)),
        ],
      }),
      startMetrics(gpus),
    ]);
    proxy = await startCountingProxy(prometheus.url);
  });

  afterAll(async () => {
    await Promise.all([
      kube?.stop(),
      prometheus?.stop(),
      exporter?.stop(),
      proxy?.stop(),
    ]);
  });

  it('asks Prometheus once per cycle for 60 notebooks and finds the idle third', async () => {
    const knex = await databases.init('SQLITE_3');
    const database = { getClient: async () => knex, migrations: {} };
    const store = await NotebookStore.create({ database });
    for (const [i, name] of names.entries()) {
      await store.add({
        cluster: 'c',
        namespace: `team-${i % 3}`,
        name,
        createdBy: ADA,
        spec: storedSpec(1 + (i % 2)),
      });
    }
    const clusters = ClusterService.create({
      clusters: [
        {
          name: 'c',
          url: kube.url,
          token: kube.token,
          caData: kube.caData,
          serviceAccount: false,
          skipTLSVerify: false,
        },
      ],
      settings: SETTINGS,
    });
    const idle = new IdleNotebooks({
      // No cache: every cycle must reach Prometheus, so it can be counted.
      prometheus: PrometheusClient.create({ url: proxy.url, cacheTtlMs: 0 }),
      store,
      clusters,
      auditStore: await AuditStore.create({ database }),
      config: readIdleConfig(
        new ConfigReader({ ml: { notebooks: { idle: { after: '2h' } } } }),
      ),
    });
    try {
      for (let cycle = 1; cycle <= 3; cycle++) {
        const snapshot = await idle.snapshot();
        expect(proxy.count('/api/v1/query')).toBe(cycle);
        expect(snapshot.status).toBe('ok');
        expect(snapshot.items.map(n => n.name).sort()).toEqual(
          names.filter((_, i) => i % 3 === 0),
        );
        expect(snapshot.items.every(n => n.idleSeconds >= 3.9 * 3600)).toBe(
          true,
        );
        expect(snapshot.namespaces).toEqual([
          {
            cluster: 'c',
            namespace: 'team-0',
            gpus: names
              .map((_, i) => i)
              .filter(i => i % 3 === 0)
              .reduce((sum, i) => sum + 1 + (i % 2), 0),
            notebooks: COUNT / 3,
          },
        ]);
      }
    } finally {
      clusters.close();
    }
  });

  it('tells clusters apart by ml.notebooks.idle.clusterLabel', async () => {
    // One Prometheus for two clusters, each with a notebook fraud/twin:
    // idle on a, busy on b.
    const twins: DcgmGpu[] = [
      {
        namespace: 'fraud',
        pod: 'twin-0',
        utilization: 1,
        labels: { cluster: 'gpu.a' },
      },
      {
        namespace: 'fraud',
        pod: 'twin-0',
        utilization: 90,
        labels: { cluster: 'gpu-b' },
      },
    ];
    const both = await startPrometheus({
      backfill: dcgmBackfill(twins, { now: NOW, hours: 3 }),
    });
    const servers = await Promise.all(
      [0, 1].map(() =>
        startKubeApiServer({
          crds: [],
          controllers: false,
          seed: [ns('fraud'), notebookStatefulSet('fraud', 'twin')],
        }),
      ),
    );
    const clusters = ClusterService.create({
      clusters: ['gpu.a', 'gpu-b'].map((name, i) => ({
        name,
        url: servers[i].url,
        token: servers[i].token,
        caData: servers[i].caData,
        serviceAccount: false,
        skipTLSVerify: false,
      })),
      settings: SETTINGS,
    });
    try {
      const knex = await databases.init('SQLITE_3');
      const database = { getClient: async () => knex, migrations: {} };
      const store = await NotebookStore.create({ database });
      for (const cluster of ['gpu.a', 'gpu-b']) {
        await store.add({
          cluster,
          namespace: 'fraud',
          name: 'twin',
          createdBy: ADA,
          spec: storedSpec(1),
        });
      }
      const detect = async (idle: object) =>
        (
          await new IdleNotebooks({
            prometheus: PrometheusClient.create({ url: both.url }),
            store,
            clusters,
            auditStore: await AuditStore.create({ database }),
            config: readIdleConfig(
              new ConfigReader({ ml: { notebooks: { idle } } }),
            ),
          }).snapshot()
        ).items.map(n => `${n.cluster}/${n.namespace}/${n.name}`);
      expect(await detect({ clusterLabel: 'cluster' })).toEqual([
        'gpu.a/fraud/twin',
      ]);
      // Without the label the two pods cannot be told apart: neither is judged.
      expect(await detect({})).toEqual([]);
      expect(() =>
        readIdleConfig(
          new ConfigReader({
            ml: { notebooks: { idle: { clusterLabel: 'pod' } } },
          }),
        ),
      ).toThrow(
        'ml config: ml.notebooks.idle.clusterLabel must be a Prometheus label name other than namespace and pod, got "pod"',
      );
    } finally {
      clusters.close();
      await Promise.all([both.stop(), ...servers.map(s => s.stop())]);
    }
  });

  it('says when Prometheus has no DCGM metrics at all', async () => {
    const empty = await startPrometheus({});
    try {
      const knex = await databases.init('SQLITE_3');
      const database = { getClient: async () => knex, migrations: {} };
      const store = await NotebookStore.create({ database });
      const clusters = ClusterService.create({
        clusters: [],
        settings: SETTINGS,
      });
      const idle = new IdleNotebooks({
        prometheus: PrometheusClient.create({ url: empty.url }),
        store,
        clusters,
        auditStore: await AuditStore.create({ database }),
        config: readIdleConfig(new ConfigReader({})),
      });
      const snapshot = await idle.snapshot();
      expect(snapshot.status).toBe('no-dcgm');
      expect(snapshot.message).toContain('deploy the NVIDIA DCGM exporter');
      const none = await new IdleNotebooks({
        store,
        clusters,
        auditStore: await AuditStore.create({ database }),
        config: readIdleConfig(new ConfigReader({})),
      }).snapshot();
      expect(none.status).toBe('no-prometheus');
      expect(none.message).toContain('set ml.prometheus.url');
      clusters.close();
    } finally {
      await empty.stop();
    }
  });

  it("finds the demo's idle notebook in the demo data", async () => {
    const demo = await startPrometheus({
      backfill: demoMetricsBackfill({ hours: 6 }),
    });
    const { namespace, name } = DEMO_IDLE_NOTEBOOK;
    const cluster = await startKubeApiServer({
      controllers: false,
      seed: [
        ns(namespace, { 'mlplatform.io/team': 'fraud-team' }),
        {
          apiVersion: 'kubeflow.org/v1',
          kind: 'Notebook',
          metadata: {
            name,
            namespace,
            labels: { [LABEL_MANAGED_BY]: MANAGED_BY },
          },
          spec: {
            template: {
              spec: { containers: [{ name, image: 'jupyter/base:1' }] },
            },
          },
        },
      ],
    });
    const clusters = ClusterService.create({
      clusters: [
        {
          name: DEMO_IDLE_NOTEBOOK.cluster,
          url: cluster.url,
          token: cluster.token,
          caData: cluster.caData,
          serviceAccount: false,
          skipTLSVerify: false,
        },
      ],
      settings: SETTINGS,
    });
    try {
      const knex = await databases.init('SQLITE_3');
      const database = { getClient: async () => knex, migrations: {} };
      const store = await NotebookStore.create({ database });
      await store.add({
        cluster: DEMO_IDLE_NOTEBOOK.cluster,
        namespace,
        name,
        createdBy: 'user:development/guest',
        team: 'group:default/fraud-team',
        spec: { ...storedSpec(1), backend: 'kubeflow' },
      });
      const snapshot = await new IdleNotebooks({
        prometheus: PrometheusClient.create({ url: demo.url }),
        store,
        clusters,
        auditStore: await AuditStore.create({ database }),
        config: readIdleConfig(new ConfigReader({})),
      }).snapshot();
      expect(
        snapshot.items.map(n => [n.name, n.utilization, n.idleAtLeast]),
      ).toEqual([[name, DEMO_IDLE_NOTEBOOK.utilization, true]]);
      expect(describeIdle(snapshot.items[0])).toBe(
        'idle for at least 6h at 1% GPU',
      );
      expect(describeIdleNamespace(snapshot.namespaces[0])).toBe(
        '1 GPU held by 1 idle notebook in fraud',
      );
    } finally {
      clusters.close();
      await Promise.all([demo.stop(), cluster.stop()]);
    }
  });
});
