import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  GpuQuotasResponse,
  NamespaceGpuQuota,
  NotebooksResponse,
} from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  PENDING_MESSAGE,
  clusterASeed,
  clusterBSeed,
  gpuPod,
} from './__testUtils__/kubeSeeds';
import { oboAuthServiceFactory } from './permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from './permissions/__testUtils__/testPolicy';
import { mlPlugin } from './plugin';
import { userInfoServiceFactory, asUser } from './__testUtils__/testUsers';

jest.setTimeout(60_000);

const ADA = 'user:default/ada';
const BOB = 'user:default/bob';
const EVE = 'user:default/eve';
const ROOT = 'user:default/root';
const GROUPS: Record<string, string[]> = {
  [ADA]: ['group:default/fraud-team'],
  [BOB]: ['group:default/fraud-team'],
  [EVE]: ['group:default/nlp-team'],
  [ROOT]: ['group:default/platform-team'],
};

const userInfoFactory = userInfoServiceFactory(GROUPS);

const as = asUser;

function clusterConfig(name: string, server: KubeApiServer, extra = {}) {
  return {
    name,
    url: server.url,
    token: server.token,
    caData: server.caData,
    ...extra,
  };
}

async function startBackend(
  clusters: object[],
  kubernetes: object = {},
  entities: any[] = [],
) {
  const { server } = await startTestBackend({
    features: [
      mlPlugin,
      // The real permission backend with the repo's kind of policy, so
      // membership is decided by IS_OWNING_TEAM_MEMBER, not by the test.
      permissionPlugin,
      mlTestPolicyModule({ admins: ['group:default/platform-team'] }),
      oboAuthServiceFactory,
      userInfoFactory,
      catalogServiceMock.factory({ entities }),
      mockServices.rootConfig.factory({
        data: {
          permission: { enabled: true },
          ml: {
            kubernetes: {
              requestTimeoutSeconds: 2,
              ...kubernetes,
              clusters,
            },
          },
        },
      }),
    ],
  });
  return server;
}

/** An object as the test API server stores it, or undefined. */
const obj = (
  server: KubeApiServer,
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
): any => server.get(apiVersion, kind, namespace, name);

const byKey = (quotas: NamespaceGpuQuota[]) =>
  Object.fromEntries(
    quotas.map(q => [`${q.cluster}/${q.namespace}/${q.name}`, q]),
  );

function listCalls(server: KubeApiServer) {
  const counts: Record<string, number> = {};
  for (const r of server.requests) {
    if (r.verb !== 'list') continue;
    const key = r.group ? `${r.resource}.${r.group}` : `${r.resource}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('GPU quotas and notebooks against two test API servers', () => {
  let a: KubeApiServer;
  let b: KubeApiServer;

  beforeEach(async () => {
    [a, b] = await Promise.all([
      startKubeApiServer({ seed: clusterASeed(), controllers: true }),
      startKubeApiServer({ crds: [], seed: clusterBSeed(), controllers: true }),
    ]);
  });

  afterEach(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const twoClusters = () => [
    clusterConfig('gpu-cluster-a', a, {
      notebookUrl: 'https://jupyter.example.com/{{namespace}}/{{name}}/',
    }),
    clusterConfig('gpu-cluster-b', b),
  ];

  describe('GET /api/ml/quotas', () => {
    it('reports ResourceQuota, Kueue and MIG quotas with exact numbers and pending workloads', async () => {
      const server = await startBackend(twoClusters());
      const res = await request(server).get('/api/ml/quotas').set(as(ADA));
      expect(res.status).toBe(200);
      const body = res.body as GpuQuotasResponse;
      expect(body.clusters).toEqual([
        {
          name: 'gpu-cluster-a',
          available: true,
          fetchedAt: expect.any(String),
          queuePositions: 'available',
        },
        {
          name: 'gpu-cluster-b',
          available: true,
          fetchedAt: expect.any(String),
        },
      ]);
      const q = byKey(body.quotas);
      expect(Object.keys(q).sort()).toEqual([
        'gpu-cluster-a/fraud/fraud-cq',
        'gpu-cluster-a/nlp/mig',
        'gpu-cluster-a/nlp/nlp-cq',
        'gpu-cluster-a/recsys/recsys-cq',
        'gpu-cluster-b/fraud/gpu-quota',
        'gpu-cluster-b/ml-sandbox/gpu-quota',
      ]);
      expect(q['gpu-cluster-a/fraud/fraud-cq']).toEqual({
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        team: 'group:default/fraud-team',
        source: 'kueue',
        name: 'fraud-cq',
        clusterQueue: 'fraud-cq',
        localQueue: 'fraud-queue',
        cohort: 'research',
        resources: [
          {
            resource: 'nvidia.com/gpu',
            flavor: 'a100-80gb',
            hard: 8,
            used: 8,
            reserved: 8,
            free: 0,
            // nlp lends min(10, 16-10) = 6, recsys 4-1 = 3; capped at 4.
            borrowable: 4,
            borrowingLimit: 4,
          },
        ],
        pending: [
          {
            kind: 'Workload',
            name: 'job-train-big',
            namespace: 'fraud',
            queue: 'fraud-queue',
            gpus: { 'nvidia.com/gpu': 4 },
            reason: 'QuotaReserved=False',
            message: PENDING_MESSAGE,
            since: '2026-11-23T09:00:00Z',
            kueueReason: 'Pending',
            clusterQueue: 'fraud-cq',
            positionInClusterQueue: 0,
            positionInLocalQueue: 0,
            explanation:
              "Waiting: the team's queue needs 4 more A100-80GB GPUs than are free; it is next in line",
          },
        ],
      });
      expect(q['gpu-cluster-a/nlp/nlp-cq'].team).toBe('group:default/nlp-team');
      // fraud lends nothing (fully used), recsys 3; no borrowing limit.
      expect(q['gpu-cluster-a/nlp/nlp-cq'].resources[0]).toMatchObject({
        hard: 16,
        used: 10,
        free: 6,
        borrowable: 3,
      });
      expect(q['gpu-cluster-a/recsys/recsys-cq'].resources[0]).toMatchObject({
        hard: 4,
        used: 1,
        free: 3,
        borrowable: 6,
      });
      // MIG: limits (12) is tighter than requests (14); pods use 3.
      expect(q['gpu-cluster-a/nlp/mig']).toMatchObject({
        source: 'resourcequota',
        resources: [
          {
            resource: 'nvidia.com/mig-1g.10gb',
            hard: 12,
            used: 3,
            free: 9,
            borrowable: 0,
          },
        ],
        pending: [],
      });
      expect(q['gpu-cluster-b/fraud/gpu-quota']).toEqual({
        cluster: 'gpu-cluster-b',
        namespace: 'fraud',
        team: 'group:default/fraud-team',
        source: 'resourcequota',
        name: 'gpu-quota',
        resources: [
          {
            resource: 'nvidia.com/gpu',
            hard: 8,
            used: 6,
            free: 2,
            borrowable: 0,
          },
        ],
        pending: [],
      });
      expect(q['gpu-cluster-b/ml-sandbox/gpu-quota'].team).toBeUndefined();
    });

    it('reads the demo clusters of examples/kube', async () => {
      const load = async (file: string) =>
        loadManifests(
          await fs.readFile(
            path.resolve(__dirname, '../../../examples/kube', file),
            'utf8',
          ),
        );
      await Promise.all([a.stop(), b.stop()]);
      [a, b] = await Promise.all([
        startKubeApiServer({
          seed: await load('gpu-cluster-a.yaml'),
          controllers: true,
        }),
        startKubeApiServer({
          crds: ['kueue'],
          seed: await load('gpu-cluster-b.yaml'),
          controllers: true,
        }),
      ]);
      const server = await startBackend(twoClusters());
      const body = (await request(server).get('/api/ml/quotas').set(as(ADA)))
        .body as GpuQuotasResponse;
      expect(body.clusters.map(c => c.available)).toEqual([true, true]);
      const q = byKey(body.quotas);
      // The seed's own summary: fraud has 8 GPUs, 5 in use.
      expect(q['gpu-cluster-a/fraud/gpu-quota']).toMatchObject({
        team: 'group:default/fraud-team',
        resources: [
          {
            resource: 'nvidia.com/gpu',
            hard: 8,
            used: 5,
            free: 3,
            borrowable: 0,
          },
        ],
      });
      expect(q['gpu-cluster-a/recsys/recsys-cq']).toMatchObject({
        team: 'group:default/recsys-team',
        localQueue: 'recsys-lq',
        cohort: 'ml-shared',
      });
      expect(q['gpu-cluster-a/recsys/recsys-cq'].pending).toHaveLength(2);
      const nlp = q['gpu-cluster-b/nlp/nlp-cq'];
      expect(nlp.team).toBe('group:default/nlp-team');
      expect(
        nlp.resources.find(r => r.resource === 'nvidia.com/gpu')?.hard,
      ).toBe(4);
      expect(
        nlp.resources.find(r => r.resource === 'nvidia.com/mig-1g.10gb'),
      ).toMatchObject({ hard: 14, borrowingLimit: 7 });
      expect(nlp.pending).toHaveLength(1);
    });

    it('reads Kueue v1beta1 objects (spec.cohort) the same way', async () => {
      await a.stop();
      a = await startKubeApiServer({ seed: clusterASeed('v1beta1') });
      const server = await startBackend(twoClusters());
      const body = (
        await request(server)
          .get('/api/ml/quotas?cluster=gpu-cluster-a')
          .set(as(ADA))
      ).body as GpuQuotasResponse;
      const fraud = byKey(body.quotas)['gpu-cluster-a/fraud/fraud-cq'];
      expect(fraud.cohort).toBe('research');
      expect(fraud.resources[0]).toMatchObject({
        hard: 8,
        used: 8,
        free: 0,
        borrowable: 4,
      });
      expect(fraud.pending.map(p => p.name)).toEqual(['job-train-big']);
    });

    it('lists each kind once per cluster per refresh, however many callers ask', async () => {
      const server = await startBackend(twoClusters(), { refreshSeconds: 60 });
      a.resetRequests();
      b.resetRequests();
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          request(server).get('/api/ml/quotas').set(as(ADA)),
        ),
      );
      expect(responses.every(r => r.status === 200)).toBe(true);
      expect(new Set(responses.map(r => JSON.stringify(r.body))).size).toBe(1);
      expect(listCalls(a)).toEqual({
        namespaces: 1,
        resourcequotas: 1,
        events: 1,
        'clusterqueues.kueue.x-k8s.io': 1,
        'localqueues.kueue.x-k8s.io': 1,
        'resourceflavors.kueue.x-k8s.io': 1,
        'cohorts.kueue.x-k8s.io': 1,
        'workloads.kueue.x-k8s.io': 1,
      });
      expect(listCalls(b)).toEqual({
        namespaces: 1,
        resourcequotas: 1,
        events: 1,
      });
      // Within refreshSeconds the cache answers.
      await request(server).get('/api/ml/quotas').set(as(ADA));
      expect(listCalls(b)).toEqual({
        namespaces: 1,
        resourcequotas: 1,
        events: 1,
      });
    });

    it('filters by cluster, namespace and team, and names the known clusters for an unknown one', async () => {
      const server = await startBackend(twoClusters());
      const byTeam = await request(server)
        .get('/api/ml/quotas?team=fraud-team&cluster=gpu-cluster-b')
        .set(as(ADA));
      expect(byTeam.body.clusters.map((c: any) => c.name)).toEqual([
        'gpu-cluster-b',
      ]);
      expect(
        byTeam.body.quotas.map((q: any) => `${q.cluster}/${q.namespace}`),
      ).toEqual(['gpu-cluster-b/fraud']);
      const byNs = await request(server)
        .get('/api/ml/quotas?namespace=nlp')
        .set(as(ADA));
      expect(byNs.body.quotas.map((q: any) => q.name).sort()).toEqual([
        'mig',
        'nlp-cq',
      ]);

      const unknown = await request(server)
        .get('/api/ml/quotas?cluster=gpu-cluster-z')
        .set(as(ADA));
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toBe(
        'unknown cluster "gpu-cluster-z"; known clusters: gpu-cluster-a, gpu-cluster-b',
      );
      const bad = await request(server)
        .get('/api/ml/quotas?namespace=Not_A_Namespace&x=1')
        .set(as(ADA));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain(
        'namespace: must be a DNS-1123 label',
      );
    });

    it('reports a failing, slow, stopped or forbidding cluster as unavailable while the other answers', async () => {
      const server = await startBackend(
        [
          ...twoClusters(),
          clusterConfig('gpu-cluster-c', b, { token: 'not-the-token' }),
        ],
        { refreshSeconds: 0 },
      );
      const get = async () =>
        (await request(server).get('/api/ml/quotas').set(as(ADA)))
          .body as GpuQuotasResponse;

      const forbidden = (await get()).clusters.find(
        c => c.name === 'gpu-cluster-c',
      );
      expect(forbidden).toMatchObject({ available: false });
      expect(forbidden?.error).toMatch(
        /^the backend's credentials for cluster gpu-cluster-c are not allowed to (list|discover) /,
      );

      b.setFault({ status: 500 });
      let body = await get();
      expect(body.clusters.find(c => c.name === 'gpu-cluster-b')).toMatchObject(
        {
          available: false,
          error: expect.stringMatching(
            /^cluster gpu-cluster-b failed to .* HTTP 500/,
          ),
        },
      );
      expect(
        body.clusters.find(c => c.name === 'gpu-cluster-a')?.available,
      ).toBe(true);
      expect(body.quotas.some(q => q.cluster === 'gpu-cluster-a')).toBe(true);
      expect(body.quotas.some(q => q.cluster === 'gpu-cluster-b')).toBe(false);

      b.setFault({ delayMs: 3000 });
      const started = Date.now();
      body = await get();
      expect(Date.now() - started).toBeLessThan(2900);
      expect(
        body.clusters.find(c => c.name === 'gpu-cluster-b')?.error,
      ).toMatch(/^cluster gpu-cluster-b did not answer within 2s/);
      b.setFault(null);

      await a.stop();
      body = await get();
      expect(
        body.clusters.find(c => c.name === 'gpu-cluster-a')?.error,
      ).toMatch(
        /^cannot reach cluster gpu-cluster-a at 127\.0\.0\.1:\d+ .*ECONNREFUSED/,
      );
      expect(
        body.clusters.find(c => c.name === 'gpu-cluster-b')?.available,
      ).toBe(true);
    });

    it('refuses a server whose certificate it cannot verify', async () => {
      const server = await startBackend([
        { name: 'gpu-cluster-b', url: b.url, token: b.token },
      ]);
      const body = (await request(server).get('/api/ml/quotas').set(as(ADA)))
        .body;
      expect(body.clusters[0].available).toBe(false);
      expect(body.clusters[0].error).toMatch(
        /^TLS verification of cluster gpu-cluster-b \(127\.0\.0\.1:\d+\) failed: .*; check its caData\/caFile$/,
      );
    });

    it('reaches a cluster through a kubeconfig file', async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ml-kubeconfig-'));
      try {
        const kubeconfig = await b.writeKubeconfig(path.join(dir, 'config'));
        const server = await startBackend([
          { name: 'gpu-cluster-b', kubeconfig },
        ]);
        const body = (await request(server).get('/api/ml/quotas').set(as(ADA)))
          .body;
        expect(body.clusters[0]).toMatchObject({
          name: 'gpu-cluster-b',
          available: true,
        });
        expect(body.quotas.map((q: any) => q.namespace)).toEqual([
          'fraud',
          'ml-sandbox',
        ]);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });

    it('needs a caller', async () => {
      const { server } = await startTestBackend({
        features: [
          mlPlugin,
          mockServices.httpAuth.factory({
            defaultCredentials: mockCredentials.none(),
          }),
          mockServices.rootConfig.factory({ data: {} }),
        ],
      });
      expect((await request(server).get('/api/ml/quotas')).status).toBe(401);
    });
  });

  describe('notebooks', () => {
    const body = {
      name: 'ada-gpu',
      image: 'quay.io/jupyter/pytorch-notebook:cuda12-2024-11-18',
      cpu: '2',
      memory: '8Gi',
      gpus: 2,
    };

    it('creates a StatefulSet + Service + PVC where Kubeflow is absent, and lists, stops, starts, deletes it', async () => {
      const server = await startBackend(twoClusters());
      const res = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, cluster: 'gpu-cluster-b', namespace: 'fraud' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: 'ada-gpu',
        cluster: 'gpu-cluster-b',
        namespace: 'fraud',
        team: 'group:default/fraud-team',
        createdBy: ADA,
        backend: 'statefulset',
        gpus: 2,
        gpuResource: 'nvidia.com/gpu',
        storage: '10Gi',
      });
      expect(res.body.queue).toBeUndefined();

      const sts = obj(b, 'apps/v1', 'StatefulSet', 'fraud', 'ada-gpu');
      expect(sts.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'backstage-ml',
        'mlplatform.io/notebook': 'ada-gpu',
        'mlplatform.io/created-by': 'user.default.ada',
      });
      expect(sts.spec.replicas).toBe(1);
      expect(sts.spec.template.spec.containers[0].resources.requests).toEqual({
        cpu: '2',
        memory: '8Gi',
        'nvidia.com/gpu': '2',
      });
      expect(obj(b, 'v1', 'Service', 'fraud', 'ada-gpu').spec.clusterIP).toBe(
        'None',
      );
      expect(
        obj(b, 'v1', 'PersistentVolumeClaim', 'fraud', 'ada-gpu-workspace').spec
          .resources.requests,
      ).toEqual({ storage: '10Gi' });

      const list = await request(server).get('/api/ml/notebooks').set(as(ADA));
      expect(list.status).toBe(200);
      const nb = (list.body as NotebooksResponse).items;
      expect(nb.map(n => n.name)).toEqual(['ada-gpu']);
      expect(nb[0]).toMatchObject({ phase: 'Running', createdBy: ADA });
      expect(
        (await request(server).get('/api/ml/notebooks').set(as(EVE))).body
          .items,
      ).toEqual([]);

      const stop = await request(server)
        .post('/api/ml/notebooks/gpu-cluster-b/fraud/ada-gpu/stop')
        .set(as(BOB)); // a team member may stop it
      expect(stop.status).toBe(204);
      expect(
        obj(b, 'apps/v1', 'StatefulSet', 'fraud', 'ada-gpu').spec.replicas,
      ).toBe(0);
      const stopped = await request(server)
        .get('/api/ml/notebooks')
        .set(as(ADA));
      expect(stopped.body.items[0].phase).toBe('Stopped');

      const eve = await request(server)
        .post('/api/ml/notebooks/gpu-cluster-b/fraud/ada-gpu/start')
        .set(as(EVE));
      expect(eve.status).toBe(403);
      expect(eve.body.error.message).toBe(
        'user:default/eve is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-b',
      );
      expect(
        obj(b, 'apps/v1', 'StatefulSet', 'fraud', 'ada-gpu').spec.replicas,
      ).toBe(0);

      const start = await request(server)
        .post('/api/ml/notebooks/gpu-cluster-b/fraud/ada-gpu/start')
        .set(as(ADA));
      expect(start.status).toBe(204);
      expect(
        obj(b, 'apps/v1', 'StatefulSet', 'fraud', 'ada-gpu').spec.replicas,
      ).toBe(1);

      const del = await request(server)
        .delete('/api/ml/notebooks/gpu-cluster-b/fraud/ada-gpu')
        .set(as(ADA));
      expect(del.status).toBe(204);
      expect(
        obj(b, 'apps/v1', 'StatefulSet', 'fraud', 'ada-gpu'),
      ).toBeUndefined();
      expect(obj(b, 'v1', 'Service', 'fraud', 'ada-gpu')).toBeUndefined();
      expect(
        obj(b, 'v1', 'PersistentVolumeClaim', 'fraud', 'ada-gpu-workspace'),
      ).toBeUndefined();
      expect(
        (await request(server).get('/api/ml/notebooks').set(as(ADA))).body
          .items,
      ).toEqual([]);

      const audit = await request(server)
        .get('/api/ml/audit?entity=notebook:gpu-cluster-b/fraud/ada-gpu')
        .set(as(ROOT));
      expect(
        audit.body.items
          .map((e: any) => [e.action, e.actor, e.outcome])
          .reverse(),
      ).toEqual([
        ['ml.notebook.create', ADA, 'succeeded'],
        ['ml.notebook.stop', BOB, 'succeeded'],
        ['ml.notebook.start', EVE, 'refused'],
        ['ml.notebook.start', ADA, 'succeeded'],
        ['ml.notebook.delete', ADA, 'succeeded'],
      ]);
    });

    it('creates a Kubeflow Notebook in the Kueue queue where the CRD exists, from a GpuQuota entity', async () => {
      const quota = {
        apiVersion: 'mlplatform.io/v1alpha1',
        kind: 'GpuQuota',
        metadata: { name: 'fraud-team-a', namespace: 'default' },
        spec: {
          owner: 'group:default/fraud-team',
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
          source: {
            type: 'kueue',
            clusterQueue: 'fraud-cq',
            localQueue: 'fraud-queue',
          },
          limits: { gpus: { 'nvidia.com/gpu': 8 } },
        },
      };
      const server = await startBackend(twoClusters(), {}, [quota]);
      const res = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, gpus: 4, quota: 'gpuquota:default/fraud-team-a' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        backend: 'kubeflow',
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        queue: 'fraud-queue',
        flavor: 'a100-80gb',
        url: 'https://jupyter.example.com/fraud/ada-gpu/',
      });
      const nb = obj(a, 'kubeflow.org/v1', 'Notebook', 'fraud', 'ada-gpu');
      expect(nb.metadata.labels['kueue.x-k8s.io/queue-name']).toBe(
        'fraud-queue',
      );
      expect(
        nb.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'],
      ).toBe('4');
      expect(
        obj(a, 'v1', 'PersistentVolumeClaim', 'fraud', 'ada-gpu-workspace'),
      ).toBeDefined();

      const running = await request(server)
        .get('/api/ml/notebooks')
        .set(as(ADA));
      expect(running.body.items[0]).toMatchObject({
        backend: 'kubeflow',
        phase: 'Running',
        url: 'https://jupyter.example.com/fraud/ada-gpu/',
      });

      const stop = await request(server)
        .post('/api/ml/notebooks/gpu-cluster-a/fraud/ada-gpu/stop')
        .set(as(ADA));
      expect(stop.status).toBe(204);
      expect(
        obj(a, 'kubeflow.org/v1', 'Notebook', 'fraud', 'ada-gpu').metadata
          .annotations['kubeflow-resource-stopped'],
      ).toMatch(/^\d{4}-/);
      const list = await request(server).get('/api/ml/notebooks').set(as(ADA));
      expect(list.body.items[0]).toMatchObject({
        name: 'ada-gpu',
        phase: 'Stopped',
      });
    });

    it('shows why a notebook waits, and re-checks the quota on start', async () => {
      const server = await startBackend(twoClusters(), { refreshSeconds: 0 });
      const created = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, cluster: 'gpu-cluster-b', namespace: 'fraud' });
      expect(created.status).toBe(201);
      expect(
        (
          await request(server)
            .post('/api/ml/notebooks/gpu-cluster-b/fraud/ada-gpu/stop')
            .set(as(ADA))
        ).status,
      ).toBe(204);
      // Someone else takes the two GPUs the notebook released.
      await b.create(gpuPod('fraud', 'train-3', { 'nvidia.com/gpu': '2' }));
      const refused = await request(server)
        .post('/api/ml/notebooks/gpu-cluster-b/fraud/ada-gpu/start')
        .set(as(ADA));
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toBe(
        'asked for 2 nvidia.com/gpu in fraud on gpu-cluster-b; 0 free, 0 borrowable',
      );
      expect(
        obj(b, 'apps/v1', 'StatefulSet', 'fraud', 'ada-gpu').spec.replicas,
      ).toBe(0);

      // Scaled up behind the portal's back: admission rejects the pod.
      const sts = obj(b, 'apps/v1', 'StatefulSet', 'fraud', 'ada-gpu');
      const { resourceVersion: _rv, ...metadata } = sts.metadata;
      await b.apply({
        apiVersion: sts.apiVersion,
        kind: sts.kind,
        metadata,
        spec: { ...sts.spec, replicas: 1 },
      });
      const list = (await request(server).get('/api/ml/notebooks').set(as(ADA)))
        .body as NotebooksResponse;
      expect(list.items[0].phase).toBe('Pending');
      expect(list.items[0].message).toMatch(
        /pods "ada-gpu-0" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com\/gpu=2/,
      );
      const quotas = (
        await request(server)
          .get('/api/ml/quotas?cluster=gpu-cluster-b&namespace=fraud')
          .set(as(ADA))
      ).body as GpuQuotasResponse;
      expect(quotas.quotas[0].pending).toEqual([
        expect.objectContaining({
          kind: 'Pod',
          name: 'ada-gpu-0',
          namespace: 'fraud',
          gpus: { 'nvidia.com/gpu': 2 },
          reason: 'FailedCreate',
        }),
      ]);
    });

    it('refuses more GPUs than free + borrowable, with the numbers, and creates nothing', async () => {
      const server = await startBackend(twoClusters());
      const overB = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({
          ...body,
          gpus: 3,
          cluster: 'gpu-cluster-b',
          namespace: 'fraud',
        });
      expect(overB.status).toBe(409);
      expect(overB.body.error.message).toBe(
        'asked for 3 nvidia.com/gpu in fraud on gpu-cluster-b; 2 free, 0 borrowable',
      );
      const overA = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({
          ...body,
          gpus: 5,
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
        });
      expect(overA.status).toBe(409);
      expect(overA.body.error.message).toBe(
        'asked for 5 nvidia.com/gpu in fraud on gpu-cluster-a; 0 free, 4 borrowable (flavor a100-80gb)',
      );
      const mig = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({
          ...body,
          gpus: 1,
          gpuResource: 'nvidia.com/mig-2g.20gb',
          cluster: 'gpu-cluster-b',
          namespace: 'fraud',
        });
      expect(mig.status).toBe(400);
      expect(mig.body.error.message).toBe(
        'asked for 1 nvidia.com/mig-2g.20gb in fraud on gpu-cluster-b, but no quota there provides nvidia.com/mig-2g.20gb',
      );
      expect(b.list('apps/v1', 'StatefulSet', 'fraud')).toEqual([]);
      expect(b.list('v1', 'PersistentVolumeClaim', 'fraud')).toEqual([]);
      expect(a.list('kubeflow.org/v1', 'Notebook', 'fraud')).toEqual([]);
      const audit = await request(server)
        .get('/api/ml/audit?actor=user:default/ada')
        .set(as(ADA));
      expect(audit.body.items.map((e: any) => e.outcome)).toEqual([
        'refused',
        'refused',
        'refused',
      ]);
    });

    it('refuses a non-member, a namespace without team, and an unknown namespace', async () => {
      const server = await startBackend(twoClusters());
      const eve = await request(server)
        .post('/api/ml/notebooks')
        .set(as(EVE))
        .send({ ...body, cluster: 'gpu-cluster-b', namespace: 'fraud' });
      expect(eve.status).toBe(403);
      expect(eve.body.error.message).toBe(
        'user:default/eve is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-b',
      );
      const sandbox = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, cluster: 'gpu-cluster-b', namespace: 'ml-sandbox' });
      expect(sandbox.status).toBe(400);
      expect(sandbox.body.error.message).toContain(
        'namespace ml-sandbox on gpu-cluster-b has no owning team',
      );
      const missing = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, cluster: 'gpu-cluster-b', namespace: 'nope' });
      expect(missing.status).toBe(404);
      expect(missing.body.error.message).toBe(
        'namespace nope does not exist on cluster gpu-cluster-b',
      );
      expect(b.list('apps/v1', 'StatefulSet')).toEqual([]);
    });

    it.each([
      [{ name: 'Ada_GPU' }, 400, 'name: must be a DNS-1123 label'],
      [{ name: 'a'.repeat(53) }, 400, 'name: must be at most 52 characters'],
      [{ gpus: 1.5 }, 400, 'gpus: must be a whole number'],
      [{ gpus: 65 }, 400, 'gpus: Too big'],
      [{ cpu: 'lots' }, 400, 'cpu: cpu must be a Kubernetes quantity'],
      [{ memory: '2Ti' }, 400, 'memory: memory must be between 128Mi..1Ti'],
      [
        { storage: '10GB' },
        400,
        'storage: storage must be a Kubernetes quantity',
      ],
      [{ image: 'Not An Image' }, 400, 'image: must be an image reference'],
      [
        { gpuResource: 'amd.com/gpu' },
        400,
        'gpuResource: must be nvidia.com/gpu',
      ],
      [{ hostNetwork: true }, 400, 'Unrecognized key'],
      [
        { cluster: 'gpu-cluster-z' },
        404,
        'unknown cluster "gpu-cluster-z"; known clusters: gpu-cluster-a, gpu-cluster-b',
      ],
      [{ namespace: undefined }, 400, 'say where the notebook runs'],
    ])('rejects %j with %i', async (override, status, message) => {
      const server = await startBackend(twoClusters());
      a.resetRequests();
      b.resetRequests();
      const res = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({
          ...body,
          cluster: 'gpu-cluster-b',
          namespace: 'fraud',
          ...override,
        });
      expect(res.status).toBe(status);
      expect(res.body.error.message).toContain(message);
      expect(
        [...a.requests, ...b.requests].filter(r => r.method !== 'GET'),
      ).toEqual([]);
    });

    it('says so when the backend may read but not create on a cluster', async () => {
      await b.stop();
      b = await startKubeApiServer({
        crds: [],
        seed: clusterBSeed(),
        controllers: true,
        tokens: { 'viewer-token': { user: 'viewer', readOnly: true } },
      });
      const server = await startBackend([
        clusterConfig('gpu-cluster-b', b, { token: 'viewer-token' }),
      ]);
      const quotas = await request(server).get('/api/ml/quotas').set(as(ADA));
      expect(quotas.body.clusters[0].available).toBe(true);
      const res = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, cluster: 'gpu-cluster-b', namespace: 'fraud' });
      expect(res.status).toBe(503);
      expect(res.body.error.message).toMatch(
        /^the backend's credentials for cluster gpu-cluster-b are not allowed to create persistentvolumeclaims fraud\/ada-gpu-workspace \(HTTP 403/,
      );
      expect(b.list('v1', 'PersistentVolumeClaim')).toEqual([]);
    });

    it('rolls back what it created when a create fails midway', async () => {
      const server = await startBackend(twoClusters());
      b.setFault({
        status: 500,
        match: r => r.method === 'POST' && r.path.endsWith('/services'),
      });
      const res = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, cluster: 'gpu-cluster-b', namespace: 'fraud' });
      b.setFault(null);
      expect(res.status).toBe(503);
      expect(res.body.error.message).toMatch(
        /^cluster gpu-cluster-b failed to create services fraud\/ada-gpu: HTTP 500.*; nothing was left on the cluster$/,
      );
      expect(b.list('v1', 'PersistentVolumeClaim', 'fraud')).toEqual([]);
      expect(b.list('apps/v1', 'StatefulSet', 'fraud')).toEqual([]);
      expect(
        (await request(server).get('/api/ml/notebooks').set(as(ADA))).body
          .items,
      ).toEqual([]);
      const audit = await request(server)
        .get('/api/ml/audit?action=ml.notebook.create')
        .set(as(ADA));
      expect(audit.body.items[0]).toMatchObject({
        outcome: 'failed',
        details: { rolledBack: ['PersistentVolumeClaim/ada-gpu-workspace'] },
      });
    });

    it('shows notebooks on an unreachable cluster as Unknown', async () => {
      const server = await startBackend(twoClusters(), { refreshSeconds: 0 });
      const res = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({
          ...body,
          gpus: 0,
          cluster: 'gpu-cluster-b',
          namespace: 'fraud',
        });
      expect(res.status).toBe(201);
      b.setFault({ status: 503 });
      const list = (await request(server).get('/api/ml/notebooks').set(as(ADA)))
        .body as NotebooksResponse;
      expect(list.unavailableClusters).toEqual(['gpu-cluster-b']);
      expect(list.items[0]).toMatchObject({
        name: 'ada-gpu',
        phase: 'Unknown',
      });
      // Whose namespace it is cannot be read either: a clear 503, not a 403.
      const stop = await request(server)
        .post('/api/ml/notebooks/gpu-cluster-b/fraud/ada-gpu/stop')
        .set(as(ADA));
      expect(stop.status).toBe(503);
      expect(stop.body.error.message).toMatch(
        /^cannot stop notebook ada-gpu: /,
      );
      b.setFault(null);
    });
  });
});
