/*
 * The demo's Datasets show live facts: the one on a PVC (the examples/ml
 * Dataset, the examples/kube claim and the demo Prometheus series of
 * demoMetricsBackfill) and the s3:// ones (the demo's s3rver seed of
 * demoS3.ts, with the ml.storage the demo stack writes), loaded as the demo
 * stack loads them.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  DEMO_S3_BUCKETS,
  DEMO_VOLUMES,
  DemoS3Object,
  demoMetricsBackfill,
  demoS3StorageConfig,
  PrometheusHandle,
  S3Handle,
  seedDemoS3,
  startPrometheus,
  startS3,
} from '@mlplatform/test-services';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { mlPlugin } from './plugin';

const examples = path.resolve(__dirname, '../../../examples');
const read = (file: string) =>
  loadManifests(fs.readFileSync(path.join(examples, file), 'utf8'));

/** The example Datasets the catalog of the demo reads from examples/ml. */
function exampleDatasets(): any[] {
  return fs
    .readdirSync(path.join(examples, 'ml'))
    .filter(f => f.endsWith('.yaml'))
    .flatMap(f => read(`ml/${f}`))
    .filter((e: any) => e.kind === 'Dataset');
}

describe("the demo's PVC Dataset", () => {
  let kube: KubeApiServer;
  let prometheus: PrometheusHandle;
  let server: any;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    [kube, prometheus] = await Promise.all([
      startKubeApiServer({
        seed: read('kube/gpu-cluster-b.yaml'),
        crds: ['kueue', 'argo'],
      }),
      startPrometheus({ backfill: demoMetricsBackfill({ hours: 0.1 }) }),
    ]);
    const dataset = read('ml/nlp.yaml').find(
      e => (e as any).metadata.name === 'support-tickets-curated',
    );
    const backend = await startTestBackend({
      features: [
        mlPlugin,
        mockServices.rootConfig.factory({
          data: {
            ml: {
              prometheus: { url: prometheus.url },
              kubernetes: {
                clusters: [
                  {
                    name: 'gpu-cluster-b',
                    url: kube.url,
                    token: kube.token,
                    caData: kube.caData,
                  },
                ],
              },
            },
          },
        }),
        catalogServiceMock.factory({ entities: [dataset as any] }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  }, 60_000);
  afterAll(async () => {
    await stop?.();
    await Promise.all([kube?.stop(), prometheus?.stop()]);
  });

  it('shows the Bound claim and its used bytes', async () => {
    const res = await request(server)
      .get('/api/ml/datasets/default/support-tickets-curated/facts')
      .set({ Authorization: mockCredentials.user.header() });
    expect(res.status).toBe(200);
    expect(res.body.location).toBe(
      'pvc://gpu-cluster-b/nlp/support-tickets-curated',
    );
    expect(res.body.facts).toMatchObject({
      kind: 'pvc',
      phase: 'Bound',
      capacity: '50Gi',
      storageClass: 'cephfs',
    });
    const used = res.body.facts.usedBytes;
    expect(used).toBeGreaterThan(30 * 1024 ** 3);
    expect(used).toBeLessThan(DEMO_VOLUMES[0].capacityBytes);
  });
});

describe("the demo's S3 Datasets", () => {
  const s3Datasets = exampleDatasets().filter(d =>
    d.spec.location.startsWith('s3://'),
  );
  let s3: S3Handle;
  let seeded: DemoS3Object[];
  let server: any;
  let stop: () => Promise<void>;

  const facts = async (name: string) => {
    const res = await request(server)
      .get(`/api/ml/datasets/default/${name}/facts`)
      .set({ Authorization: mockCredentials.user.header() });
    expect(res.status).toBe(200);
    return res.body;
  };
  /** What the seed put under a Dataset's location. */
  const under = (location: string) =>
    seeded.filter(o => `s3://${o.bucket}/${o.key}`.startsWith(location));

  beforeAll(async () => {
    s3 = await startS3({ buckets: [...DEMO_S3_BUCKETS] });
    seeded = await seedDemoS3(s3);
    const backend = await startTestBackend({
      features: [
        mlPlugin,
        mockServices.rootConfig.factory({
          data: { ml: { storage: demoS3StorageConfig(s3) } },
        }),
        catalogServiceMock.factory({ entities: s3Datasets }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  }, 60_000);
  afterAll(async () => {
    await stop?.();
    await s3?.stop();
  });

  it('seeds every s3:// Dataset of examples/ml, and only those prefixes', () => {
    expect(s3Datasets.map(d => d.metadata.name).sort()).toEqual([
      'card-transactions-raw',
      'chargeback-labels',
      'clickstream-raw',
      'daily-recommendations',
      'support-tickets-raw',
    ]);
    const covered = s3Datasets.flatMap(d => under(d.spec.location));
    expect(covered).toHaveLength(seeded.length);
  });

  it("lists each one's objects, size and newest object from s3rver", async () => {
    for (const dataset of s3Datasets) {
      const objects = under(dataset.spec.location);
      const body = await facts(dataset.metadata.name);
      const newest = Math.max(...objects.map(o => o.lastModified.getTime()));
      expect({ name: dataset.metadata.name, facts: body.facts }).toEqual({
        name: dataset.metadata.name,
        facts: expect.objectContaining({
          kind: 's3',
          objectCount: objects.length,
          totalBytes: objects.reduce((sum, o) => sum + o.bytes, 0),
          newestObjectAt: new Date(newest).toISOString(),
        }),
      });
      expect(body.facts.objectCount).toBeGreaterThan(4);
      expect(JSON.stringify(body)).not.toContain(s3.secretAccessKey);
    }
  });

  it('judges the documented verdicts: daily-recommendations stale, the others fresh or without objective', async () => {
    const verdicts = Object.fromEntries(
      await Promise.all(
        s3Datasets.map(async d => [
          d.metadata.name,
          (await facts(d.metadata.name)).freshness,
        ]),
      ),
    );
    expect(verdicts['card-transactions-raw']).toMatchObject({
      verdict: 'fresh',
      maxAge: '24h',
    });
    expect(verdicts['chargeback-labels']).toMatchObject({
      verdict: 'fresh',
      maxAge: '7d',
    });
    expect(verdicts['support-tickets-raw']).toMatchObject({
      verdict: 'fresh',
      maxAge: '24h',
    });
    expect(verdicts['clickstream-raw'].verdict).toBe('unknown');
    expect(verdicts['clickstream-raw'].reason).toMatch(
      /^no freshness objective/,
    );
    expect(verdicts['daily-recommendations']).toMatchObject({
      verdict: 'stale',
      maxAge: '24h',
    });
    expect(verdicts['daily-recommendations'].reason).toContain('3d 4h old');
  });
});
