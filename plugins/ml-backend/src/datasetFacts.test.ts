/*
 * Live Dataset facts through the whole plugin, against real servers: S3
 * prefixes on s3rver, a PVC on the test API server with its used bytes in a
 * real Prometheus (backfilled kubelet volume stats), and the refusals: a
 * bucket not in config (no request made), an unknown scheme, a bad
 * freshness duration, a key S3 refuses (reported, the secret never echoed).
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { datasetFactsResponseSchema } from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  getFreePort,
  openMetricsSeries,
  PrometheusHandle,
  S3Handle,
  startPrometheus,
  startS3,
} from '@mlplatform/test-services';
import request from 'supertest';
import { mlPlugin } from './plugin';

const WRONG_SECRET = 'not-the-s3rver-secret-0123';

function dataset(
  name: string,
  location: string,
  freshness?: { maxAge: string },
) {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Dataset',
    metadata: { name, namespace: 'default' },
    spec: {
      type: 'table',
      lifecycle: 'production',
      owner: 'fraud-team',
      location,
      ...(freshness ? { freshness } : {}),
    },
  };
}

const entities = [
  dataset('fresh-s3', 's3://ml-raw/fraud/', { maxAge: '24h' }),
  dataset('stale-s3', 's3://ml-raw/old/', { maxAge: '24h' }),
  dataset('no-objective', 's3://ml-raw/fraud/'),
  dataset('empty-prefix', 's3://ml-raw/nothing-here/', { maxAge: '1h' }),
  dataset('other-bucket', 's3://someone-elses-bucket/data/', {
    maxAge: '24h',
  }),
  dataset('wrong-key', 's3://ml-locked/data/', { maxAge: '24h' }),
  dataset('gcs', 'gs://shop-exports/catalog/'),
  // Past the catalog's validation (an entity from before the rule).
  dataset('bad-duration', 's3://ml-raw/fraud/', { maxAge: '1 day' }),
  dataset('tickets', 'pvc://gpu-cluster-a/nlp/support-tickets/curated', {
    maxAge: '24h',
  }),
  dataset('no-claim', 'pvc://gpu-cluster-a/nlp/missing-claim'),
  dataset('elsewhere', 'pvc://gpu-cluster-z/nlp/support-tickets'),
  dataset('old-style-pvc', 'pvc://nlp-data/support-tickets-curated'),
  dataset('feast-down', 'feast://fraud/card_velocity', { maxAge: '24h' }),
];

const USED_BYTES = 7_340_032_000;

describe('GET /api/ml/datasets/:namespace/:name/facts', () => {
  let s3: S3Handle;
  let kube: KubeApiServer;
  let prometheus: PrometheusHandle;
  let server: any;
  let stopBackend: () => Promise<void>;
  const auth = { Authorization: mockCredentials.user.header() };

  beforeAll(async () => {
    const now = Math.floor(Date.now() / 1000);
    [s3, kube, prometheus] = await Promise.all([
      startS3({ buckets: ['ml-raw', 'ml-locked'] }),
      startKubeApiServer({
        crds: [],
        controllers: false,
        seed: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'nlp' } },
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: 'support-tickets', namespace: 'nlp' },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: '20Gi' } },
              storageClassName: 'fast-ssd',
              volumeName: 'pvc-5f1c',
            },
            status: { phase: 'Bound', capacity: { storage: '20Gi' } },
          },
        ],
      }),
      startPrometheus({
        backfill: [
          openMetricsSeries(
            'kubelet_volume_stats_used_bytes',
            {
              cluster: 'gpu-cluster-a',
              namespace: 'nlp',
              persistentvolumeclaim: 'support-tickets',
            },
            [
              [now - 120, USED_BYTES - 1000],
              [now - 30, USED_BYTES],
            ],
          ),
          // The same claim name on another cluster: not ours.
          openMetricsSeries(
            'kubelet_volume_stats_used_bytes',
            {
              cluster: 'gpu-cluster-b',
              namespace: 'nlp',
              persistentvolumeclaim: 'support-tickets',
            },
            [[now - 30, 5]],
          ),
        ].join(''),
      }),
    ]);
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
    const put = (Key: string, Body: string) =>
      client.send(new PutObjectCommand({ Bucket: 'ml-raw', Key, Body }));
    await put('fraud/2026-12-01.parquet', 'a'.repeat(1000));
    await put('fraud/2026-12-02.parquet', 'b'.repeat(2500));
    await put('old/2026-11-01.parquet', 'c'.repeat(10));
    client.destroy();
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
    s3.setLastModified('ml-raw', 'fraud/2026-12-01.parquet', hoursAgo(30));
    s3.setLastModified('ml-raw', 'fraud/2026-12-02.parquet', hoursAgo(2));
    s3.setLastModified('ml-raw', 'old/2026-11-01.parquet', hoursAgo(75));

    const bucket = (
      name: string,
      accessKeyId: string,
      secretAccessKey: string,
    ) => ({
      name,
      endpoint: s3.endpoint,
      accessKeyId,
      secretAccessKey,
      forcePathStyle: true,
    });
    const backend = await startTestBackend({
      features: [
        mlPlugin,
        mockServices.rootConfig.factory({
          data: {
            // A Feast registry that is down: nothing listens on the port.
            catalog: {
              providers: {
                mlFeast: { url: `http://127.0.0.1:${await getFreePort()}` },
              },
            },
            ml: {
              prometheus: { url: prometheus.url },
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
              storage: {
                s3: {
                  buckets: [
                    bucket('ml-raw', s3.accessKeyId, s3.secretAccessKey),
                    bucket('ml-locked', 'SOMEONE-ELSE', WRONG_SECRET),
                  ],
                },
              },
            },
          },
        }),
        catalogServiceMock.factory({ entities: entities as any[] }),
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
      ],
    });
    server = backend.server;
    stopBackend = () => backend.stop();
  }, 60_000);
  afterAll(async () => {
    await stopBackend?.();
    await Promise.all([s3?.stop(), kube?.stop(), prometheus?.stop()]);
  });

  const facts = async (name: string) => {
    const res = await request(server)
      .get(`/api/ml/datasets/default/${name}/facts`)
      .set(auth);
    expect(res.status).toBe(200);
    // The route answers the contract's shape.
    return datasetFactsResponseSchema.parse(res.body);
  };

  it('needs a signed-in caller and a Dataset the caller can see', async () => {
    const anonymous = await request(server).get(
      '/api/ml/datasets/default/fresh-s3/facts',
    );
    expect(anonymous.status).toBe(401);
    const missing = await request(server)
      .get('/api/ml/datasets/default/nope/facts')
      .set(auth);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(
      'No Dataset default/nope in the catalog',
    );
    const badPath = await request(server)
      .get('/api/ml/datasets/default/..%2Fx/facts')
      .set(auth);
    expect(badPath.status).toBe(400);
  });

  it('counts an S3 prefix and calls it fresh within its objective', async () => {
    const body = await facts('fresh-s3');
    expect(body.facts).toEqual({
      kind: 's3',
      bucket: 'ml-raw',
      prefix: 'fraud/',
      objectCount: 2,
      totalBytes: 3500,
      newestObjectAt: expect.any(String),
      truncated: false,
    });
    const age =
      Date.now() -
      Date.parse(body.facts!.kind === 's3' ? body.facts!.newestObjectAt! : '');
    expect(Math.abs(age - 2 * 3600_000)).toBeLessThan(60_000);
    expect(body.freshness).toMatchObject({
      maxAge: '24h',
      verdict: 'fresh',
      reason: 'the newest object is 2h old, within 24h',
    });
  });

  it('calls a prefix stale when its newest object is older than maxAge', async () => {
    const body = await facts('stale-s3');
    expect(body.facts).toMatchObject({ objectCount: 1, totalBytes: 10 });
    expect(body.freshness).toMatchObject({
      verdict: 'stale',
      reason: 'the newest object is 3d 3h old, over the 24h objective',
    });
  });

  it('says what is missing for a verdict', async () => {
    expect((await facts('no-objective')).freshness).toMatchObject({
      verdict: 'unknown',
      reason:
        'no freshness objective: set spec.freshness.maxAge (e.g. 24h) to get a verdict',
    });
    const empty = await facts('empty-prefix');
    expect(empty.facts).toMatchObject({ objectCount: 0, totalBytes: 0 });
    expect(empty.freshness).toMatchObject({
      verdict: 'unknown',
      reason: 'no objects under s3://ml-raw/nothing-here/',
    });
    expect((await facts('bad-duration')).freshness).toMatchObject({
      verdict: 'unknown',
      reason:
        'spec.freshness.maxAge "1 day" is not a duration like 30m, 24h or 7d',
    });
  });

  it('refuses a bucket that is not configured without contacting anything', async () => {
    const before = (await s3.requests()).length;
    const body = await facts('other-bucket');
    expect(body.facts).toBeUndefined();
    expect(body.unavailable).toBe(
      'bucket "someone-elses-bucket" is not in ml.storage.s3.buckets (configured: ml-raw, ml-locked); only configured buckets are contacted: add it there with its endpoint and credentials',
    );
    expect(body.freshness).toMatchObject({
      verdict: 'unknown',
      reason: body.unavailable,
    });
    expect((await s3.requests()).length).toBe(before);
  });

  it('reports refused credentials without echoing them, and retries next time', async () => {
    const before = (await s3.requests()).length;
    const res = await request(server)
      .get('/api/ml/datasets/default/wrong-key/facts')
      .set(auth);
    expect(res.body.unavailable).toMatch(
      /^listing s3:\/\/ml-locked\/data\/ failed: InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records/,
    );
    expect(JSON.stringify(res.body)).not.toContain(WRONG_SECRET);
    const again = await facts('wrong-key');
    expect(again.unavailable).toBe(res.body.unavailable);
    // Not cached: the second call asked S3 again (a 403 is not retried).
    expect((await s3.requests()).length - before).toBe(2);
  });

  it('caches facts: a second look within a minute makes no request', async () => {
    await facts('fresh-s3');
    const before = (await s3.requests()).length;
    const again = await request(server)
      .get('/api/ml/datasets/default/fresh-s3/facts')
      .set(auth);
    expect(again.body.facts.objectCount).toBe(2);
    expect((await s3.requests()).length).toBe(before);
    // Credentials are never part of an answer.
    expect(JSON.stringify(again.body)).not.toContain('S3RVER');
  });

  it('names the schemes it reads for any other location', async () => {
    expect((await facts('gcs')).unavailable).toBe(
      'no live facts for gs:// locations; they are read from s3://bucket/prefix, pvc://<cluster>/<namespace>/<claim> and feast://<project>/<feature view>',
    );
  });

  it('reads a PVC: capacity, phase, storage class and the kubelet used bytes', async () => {
    const body = await facts('tickets');
    expect(body.facts).toEqual({
      kind: 'pvc',
      cluster: 'gpu-cluster-a',
      namespace: 'nlp',
      claim: 'support-tickets',
      phase: 'Bound',
      capacity: '20Gi',
      capacityBytes: 20 * 1024 ** 3,
      storageClass: 'fast-ssd',
      volumeName: 'pvc-5f1c',
      usedBytes: USED_BYTES,
    });
    expect(body.freshness).toMatchObject({
      maxAge: '24h',
      verdict: 'unknown',
      reason:
        'a PVC does not say when its data last changed, so freshness cannot be judged from it',
    });
  });

  it('says which PVC or cluster is not there', async () => {
    expect((await facts('no-claim')).unavailable).toBe(
      'no PVC nlp/missing-claim on cluster gpu-cluster-a: check spec.location',
    );
    expect((await facts('elsewhere')).unavailable).toBe(
      'cluster "gpu-cluster-z" is not in ml.kubernetes.clusters (configured: gpu-cluster-a)',
    );
    expect((await facts('old-style-pvc')).unavailable).toBe(
      'spec.location "pvc://nlp-data/support-tickets-curated": live facts of a PVC need its cluster, namespace and claim: pvc://<cluster>/<namespace>/<claim>[/<path>]',
    );
  });

  it('says when the Feast registry does not answer', async () => {
    const body = await facts('feast-down');
    expect(body.unavailable).toMatch(
      /^reading the Feast registry failed: Feast registry http:\/\/127\.0\.0\.1:\d+ unreachable: ECONNREFUSED$/,
    );
    expect(body.freshness).toMatchObject({
      verdict: 'unknown',
      reason: body.unavailable,
    });
  });
});
