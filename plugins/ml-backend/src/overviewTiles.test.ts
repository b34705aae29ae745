/*
 * The ML overview's idle-notebook and stale-dataset tiles through the whole
 * plugin, against real servers: notebooks created through the API on the
 * test API server, GPU utilisation from a DCGM exporter stand-in scraped by
 * a real Prometheus (behind a counting proxy), Dataset facts from s3rver.
 * Checks names for refs, one idle query per window however many overviews,
 * Prometheus down said in words, and that stale Datasets come only from
 * verdicts already reached: the overview reads no storage.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { mlOverviewResponseSchema } from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  DcgmExporter,
  DcgmGpu,
  dcgmBackfill,
  PrometheusHandle,
  S3Handle,
  startDcgmExporter,
  startPrometheus,
  startS3,
} from '@mlplatform/test-services';
import request from 'supertest';
import {
  CountingProxy,
  startCountingProxy,
} from './__testUtils__/countingProxy';
import { ns } from './__testUtils__/kubeSeeds';
import { asUser, userInfoServiceFactory } from './__testUtils__/testUsers';
import { oboAuthServiceFactory } from './permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from './permissions/__testUtils__/testPolicy';
import { mlPlugin } from './plugin';

jest.setTimeout(120_000);

const ADA = 'user:default/ada';
const NOW = Math.floor(Date.now() / 1000);

const GPUS: DcgmGpu[] = [
  { namespace: 'fraud', pod: 'idle-nb-0', gpu: '0', utilization: 1 },
  { namespace: 'fraud', pod: 'idle-nb-0', gpu: '1', utilization: 2 },
  { namespace: 'fraud', pod: 'busy-nb-0', gpu: '2', utilization: 70 },
];

const dataset = (name: string, location: string, maxAge?: string) => ({
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Dataset',
  metadata: { name, namespace: 'default', title: `${name} table` },
  spec: {
    type: 'table',
    lifecycle: 'production',
    owner: 'fraud-team',
    location,
    ...(maxAge ? { freshness: { maxAge } } : {}),
  },
});

const entities = [
  dataset('fresh-s3', 's3://ml-raw/fraud/', '24h'),
  dataset('stale-s3', 's3://ml-raw/old/', '24h'),
  dataset('never-viewed', 's3://ml-raw/old/', '1h'),
  dataset('no-objective', 's3://ml-raw/old/'),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'fraud-team', namespace: 'default' },
    spec: { type: 'team', profile: { displayName: 'Fraud Squad' } },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'ada', namespace: 'default' },
    spec: { profile: { displayName: 'Ada Lovelace' }, memberOf: [] },
  },
];

describe('GET /api/ml/overview: idle notebooks and stale datasets', () => {
  let kube: KubeApiServer;
  let exporter: DcgmExporter;
  let prometheus: PrometheusHandle;
  let proxy: CountingProxy;
  let s3: S3Handle;

  beforeAll(async () => {
    exporter = await startDcgmExporter(GPUS);
    [kube, prometheus, s3] = await Promise.all([
      startKubeApiServer({
        crds: [],
        controllers: true,
        seed: [
          ns('fraud', { 'mlplatform.io/team': 'fraud-team' }),
          {
            apiVersion: 'v1',
            kind: 'ResourceQuota',
            metadata: { name: 'gpu-quota', namespace: 'fraud' },
            spec: { hard: { 'requests.nvidia.com/gpu': '16' } },
          },
        ],
      }),
      startPrometheus({
        backfill: dcgmBackfill(GPUS, { now: NOW, hours: 3 }),
        scrapeConfigs: exporter.scrapeConfigs,
      }),
      startS3({ buckets: ['ml-raw'] }),
    ]);
    proxy = await startCountingProxy(prometheus.url);
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: {
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
      },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    for (const Key of ['fraud/day.parquet', 'old/day.parquet']) {
      await client.send(
        new PutObjectCommand({ Bucket: 'ml-raw', Key, Body: 'x' }),
      );
    }
    client.destroy();
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
    s3.setLastModified('ml-raw', 'fraud/day.parquet', hoursAgo(2));
    s3.setLastModified('ml-raw', 'old/day.parquet', hoursAgo(75));
  });

  afterAll(async () => {
    await Promise.all([
      kube?.stop(),
      prometheus?.stop(),
      exporter?.stop(),
      proxy?.stop(),
      s3?.stop(),
    ]);
  });

  it('shows who holds idle GPUs by name, and the stale Datasets already judged', async () => {
    const { server } = await startTestBackend({
      features: [
        mlPlugin,
        permissionPlugin,
        mlTestPolicyModule({ admins: [] }),
        oboAuthServiceFactory,
        userInfoServiceFactory({ [ADA]: ['group:default/fraud-team'] }),
        catalogServiceMock.factory({ entities: entities as any[] }),
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
              notebooks: { idle: { threshold: 5, after: '1h' } },
              storage: {
                s3: {
                  buckets: [
                    {
                      name: 'ml-raw',
                      endpoint: s3.endpoint,
                      accessKeyId: s3.accessKeyId,
                      secretAccessKey: s3.secretAccessKey,
                      forcePathStyle: true,
                    },
                  ],
                },
              },
            },
          },
        }),
      ],
    });
    for (const [name, gpus] of [
      ['idle-nb', 2],
      ['busy-nb', 1],
    ] as const) {
      const created = await request(server)
        .post('/api/ml/notebooks')
        .set(asUser(ADA))
        .send({ name, cluster: 'gpu-cluster-b', namespace: 'fraud', gpus });
      expect(created.status).toBe(201);
    }
    const overview = async () => {
      const res = await request(server)
        .get('/api/ml/overview')
        .set(asUser(ADA));
      expect(res.status).toBe(200);
      return mlOverviewResponseSchema.parse(res.body);
    };
    const idleQueries = () =>
      proxy.requests.filter(
        r =>
          r.path === '/api/v1/query' &&
          new URLSearchParams(r.body)
            .get('query')
            ?.includes('DCGM_FI_DEV_GPU_UTIL'),
      ).length;

    // Prometheus down: the tile says so, and the next overview asks again.
    proxy.shut(true);
    const down = await overview();
    expect(down.idleNotebooks.status).toBe('unavailable');
    expect(down.idleNotebooks.message).toMatch(
      /could not tell GPU utilisation/,
    );
    proxy.shut(false);

    const before = idleQueries();
    const bodies = await Promise.all([1, 2, 3].map(() => overview()));
    bodies.push(await overview());
    // four overviews within the window: one detection cycle, one idle query
    expect(idleQueries() - before).toBe(1);
    expect(new Set(bodies.map(b => b.idleNotebooks.checkedAt)).size).toBe(1);
    const body = bodies[3];
    expect(body.idleNotebooks).toMatchObject({
      status: 'ok',
      threshold: 5,
      afterSeconds: 3600,
      gpus: 2,
      total: 1,
    });
    expect(body.idleNotebooks.items).toEqual([
      {
        cluster: 'gpu-cluster-b',
        namespace: 'fraud',
        name: 'idle-nb',
        team: { ref: 'group:default/fraud-team', name: 'Fraud Squad' },
        createdBy: { ref: ADA, name: 'Ada Lovelace' },
        gpus: 2,
        utilization: 1.5,
        idleSeconds: expect.any(Number),
        idleAtLeast: expect.any(Boolean),
        exempt: false,
      },
    ]);
    expect(body.idleNotebooks.items[0].idleSeconds).toBeGreaterThanOrEqual(
      3600,
    );

    // No Dataset page read yet: nothing is known, and the overview reads none.
    expect(body.datasets).toEqual({
      total: 4,
      withObjective: 3,
      known: 0,
      stale: 0,
      items: [],
    });

    for (const name of ['fresh-s3', 'stale-s3']) {
      const facts = await request(server)
        .get(`/api/ml/datasets/default/${name}/facts`)
        .set(asUser(ADA));
      expect(facts.status).toBe(200);
    }
    // S3 gone: the verdicts already reached still show, so none was read now.
    await s3.stop();
    // Past the 2 s a caller's overview is fresh, the last one is answered at
    // once while one rebuild runs behind it; the next answer is the rebuild.
    await new Promise(resolve => setTimeout(resolve, 2100));
    expect((await overview()).datasets.known).toBe(0);
    let judged = await overview();
    for (let i = 0; i < 50 && judged.datasets.known === 0; i++) {
      await new Promise(resolve => setTimeout(resolve, 100));
      judged = await overview();
    }
    expect(judged.datasets).toEqual({
      total: 4,
      withObjective: 3,
      known: 2,
      stale: 1,
      items: [
        {
          entityRef: 'dataset:default/stale-s3',
          title: 'stale-s3 table',
          owner: { ref: 'group:default/fraud-team', name: 'Fraud Squad' },
          maxAge: '24h',
          reason: 'the newest object is 3d 3h old, over the 24h objective',
          changedAt: expect.any(String),
          checkedAt: expect.any(String),
        },
      ],
    });
  });
});
