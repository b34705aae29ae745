import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import catalogPlugin from '@backstage/plugin-catalog-backend';
// An integration test: the real ML backend answers the module's calls.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import mlPlugin from '@mlplatform/plugin-ml-backend';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import request from 'supertest';
import { catalogModuleMlEntityModel } from '../module';
import { catalogModuleMlGpuQuotas } from './module';

// The real catalog, the real ML backend and two test Kubernetes API servers
// seeded with the demo clusters: GpuQuota entities follow the clusters.

jest.setTimeout(90_000);

const KUBE_DIR = path.resolve(__dirname, '../../../../examples/kube');
const seed = (name: string) =>
  loadManifests(readFileSync(path.join(KUBE_DIR, `${name}.yaml`), 'utf8'));

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 250));
  }
}

describe('GpuQuota entity provider, end to end', () => {
  let a: KubeApiServer;
  let b: KubeApiServer;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  const quotas = async () => {
    const res = await request(backend.server)
      .get('/api/catalog/entities?filter=kind=gpuquota')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    return new Map<string, Entity>(
      (res.body as Entity[]).map(e => [e.metadata.name, e]),
    );
  };

  beforeAll(async () => {
    a = await startKubeApiServer({ seed: seed('gpu-cluster-a') });
    b = await startKubeApiServer({
      seed: seed('gpu-cluster-b'),
      crds: ['kueue'],
    });
    backend = await startTestBackend({
      features: [
        // The real scheduler, so the provider runs on its schedule (the test
        // backend's mock scheduler runs tasks once at startup).
        schedulerServiceFactory,
        catalogPlugin,
        catalogModuleMlEntityModel,
        catalogModuleMlGpuQuotas,
        mlPlugin,
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              rules: [{ allow: ['GpuQuota', 'Location'] }],
              providers: {
                mlGpuQuotas: {
                  schedule: {
                    frequency: { seconds: 1 },
                    timeout: { seconds: 20 },
                  },
                },
              },
            },
            ml: {
              kubernetes: {
                refreshSeconds: 0,
                requestTimeoutSeconds: 2,
                clusters: [a, b].map((s, i) => ({
                  name: i === 0 ? 'gpu-cluster-a' : 'gpu-cluster-b',
                  url: s.url,
                  token: s.token,
                  caData: s.caData,
                })),
              },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await a?.stop();
    await b?.stop();
  });

  it('ingests one GpuQuota per team quota, owned by the namespace team, with relations', async () => {
    const found = await eventually(async () => {
      const q = await quotas();
      return q.size >= 5 &&
        [...q.values()].every(e => (e.relations ?? []).length > 0)
        ? q
        : undefined;
    });
    expect([...found.keys()].sort()).toEqual([
      'fraud-gpu-quota',
      'fraud-lab-gpu-quota',
      'fraud-sandbox-gpu-quota',
      'nlp-gpu-quota',
      'recsys-gpu-quota',
    ]);
    const fraud = found.get('fraud-gpu-quota')!;
    expect(fraud.spec).toEqual({
      owner: 'group:default/fraud-team',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      source: { type: 'resourcequota', resourceQuota: 'gpu-quota' },
      limits: { gpus: { 'nvidia.com/gpu': 8 } },
    });
    expect(fraud.relations).toContainEqual({
      type: 'ownedBy',
      targetRef: 'group:default/fraud-team',
    });
    expect(found.get('recsys-gpu-quota')!.spec).toMatchObject({
      owner: 'group:default/recsys-team',
      source: {
        type: 'kueue',
        clusterQueue: 'recsys-cq',
        localQueue: 'recsys-lq',
      },
      limits: { gpus: { 'nvidia.com/gpu': 16 } },
      borrowingLimit: { gpus: { 'nvidia.com/gpu': 8 } },
    });
    expect(found.get('nlp-gpu-quota')!.spec).toMatchObject({
      cluster: 'gpu-cluster-b',
      limits: { gpus: { 'nvidia.com/gpu': 4, 'nvidia.com/mig-1g.10gb': 14 } },
    });
    // The demo's JupyterHub namespace: a second fraud-team quota, on cluster b.
    expect(found.get('fraud-lab-gpu-quota')!.spec).toMatchObject({
      owner: 'group:default/fraud-team',
      cluster: 'gpu-cluster-b',
      namespace: 'fraud-lab',
      limits: { gpus: { 'nvidia.com/gpu': 2 } },
    });
    // fraud-team's sandbox queues in the shared pool's ClusterQueue.
    expect(found.get('fraud-sandbox-gpu-quota')!.spec).toMatchObject({
      owner: 'group:default/fraud-team',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud-sandbox',
      source: {
        type: 'kueue',
        clusterQueue: 'shared-pool-cq',
        localQueue: 'fraud-sandbox-lq',
      },
    });
  });

  it('follows a quota change on the cluster, keeps a down cluster’s quotas, and drops a deleted quota', async () => {
    const rq = a.get('v1', 'ResourceQuota', 'fraud', 'gpu-quota') as any;
    await a.apply({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'gpu-quota', namespace: 'fraud' },
      spec: { hard: { ...rq.spec.hard, 'requests.nvidia.com/gpu': '12' } },
    });
    // The ML backend sees the change at once (no cache in this test)...
    const live = await request(backend.server)
      .get('/api/ml/quotas?cluster=gpu-cluster-a&namespace=fraud')
      .set('Authorization', mockCredentials.user.header());
    expect(live.body.quotas[0].resources[0].hard).toBe(12);
    // ...and the catalog follows on the provider's next run.
    await eventually(async () =>
      (await quotas()).get('fraud-gpu-quota')?.spec?.limits &&
      ((await quotas()).get('fraud-gpu-quota')!.spec as any).limits.gpus[
        'nvidia.com/gpu'
      ] === 12
        ? true
        : undefined,
    );

    // Cluster b answers 500: its quota stays.
    b.setFault({ status: 500 });
    await new Promise(r => setTimeout(r, 3000));
    expect((await quotas()).has('nlp-gpu-quota')).toBe(true);
    b.setFault(null);

    // The fraud quota is deleted from cluster a: the entity goes.
    const res = await fetchDelete(
      a,
      '/api/v1/namespaces/fraud/resourcequotas/gpu-quota',
    );
    expect(res).toBe(200);
    await eventually(async () =>
      (await quotas()).has('fraud-gpu-quota') ? undefined : true,
    );
    expect((await quotas()).has('nlp-gpu-quota')).toBe(true);
  });
});

async function fetchDelete(server: KubeApiServer, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${server.url}${p}`,
      {
        method: 'DELETE',
        headers: { authorization: `Bearer ${server.token}` },
        ca: server.caPem,
      },
      res => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
