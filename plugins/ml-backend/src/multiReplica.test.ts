import { Entity } from '@backstage/catalog-model';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  mockServices,
  startTestBackend,
  TestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import knexFactory, { Knex } from 'knex';
import fs from 'node:fs';
import net, { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { gpuPod, ns } from './__testUtils__/kubeSeeds';
import {
  RoundRobinProxy,
  startRoundRobinProxy,
} from './__testUtils__/roundRobinProxy';
import { asUser, userInfoServiceFactory } from './__testUtils__/testUsers';
import { oboAuthServiceFactory } from './permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from './permissions/__testUtils__/testPolicy';
import { mlPlugin } from './plugin';
import { AbandonedCreations } from './services/kubernetes/AbandonedCreations';

/*
 * Several replicas (issue 20): two ML backends, each with its own database
 * pool as two processes would have, on one fresh PostgreSQL database, with
 * Backstage's real (database-backed) scheduler, behind a round-robin proxy
 * as behind a Kubernetes Service. What each replica caches is its own; what
 * must hold across them is kept in PostgreSQL.
 */

jest.setTimeout(120_000);

const EXAMPLES = path.resolve(__dirname, '../../../examples');
const ADA = 'user:default/ada';
const ROOT = 'user:default/root';
const userInfoFactory = userInfoServiceFactory({
  [ADA]: ['group:default/fraud-team'],
  [ROOT]: ['group:default/platform-team'],
});
const SECRET = 'alertmanager-shared-secret-0123';

/** fraud on gpu-cluster-a: a ResourceQuota of 9 GPUs, 6 used, 3 free. */
const threeFreeSeed = () => [
  ns('fraud', { 'mlplatform.io/team': 'fraud-team' }),
  {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'gpu-quota', namespace: 'fraud' },
    spec: { hard: { 'requests.nvidia.com/gpu': '9' } },
  },
  gpuPod('fraud', 'train-1', { 'nvidia.com/gpu': '4' }),
  gpuPod('fraud', 'train-2', { 'nvidia.com/gpu': '2' }),
];

const notebook = (name: string, gpus = 1) => ({
  name,
  cluster: 'gpu-cluster-a',
  namespace: 'fraud',
  image: 'quay.io/jupyter/pytorch-notebook:cuda12-2024-11-18',
  cpu: '1',
  memory: '2Gi',
  gpus,
});

/** The example Models and Pipelines, as the catalog serves them. */
function exampleEntities(): Entity[] {
  const text = fs.readFileSync(path.join(EXAMPLES, 'ml/fraud.yaml'), 'utf8');
  return parseAllDocuments(text)
    .map(d => d.toJSON() as Entity)
    .filter(e => e?.kind)
    .map(e => ({ ...e, metadata: { namespace: 'default', ...e.metadata } }));
}

/**
 * A TCP link from a replica to the API server (TLS passes through), which
 * the test cuts as a dying process loses its connections: open ones are
 * reset and new ones refused.
 */
async function startLink(
  target: string,
): Promise<{ url: string; cut(): Promise<void>; stop(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer(client => {
    const upstream = net.connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
  const { port: own } = server.address() as AddressInfo;
  const cut = async () => {
    for (const s of sockets) s.destroy();
    if (server.listening) {
      await new Promise<void>(r => server.close(() => r()));
    }
  };
  return { url: `https://127.0.0.1:${own}`, cut, stop: cut };
}

describe('two replicas on one PostgreSQL behind a round-robin proxy', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
  const supported = databases.eachSupportedId().length > 0;
  let kube: KubeApiServer;
  let proxy: RoundRobinProxy | undefined;
  let backends: TestBackend[] = [];
  const pools: Knex[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    jest.restoreAllMocks();
    await proxy?.stop();
    proxy = undefined;
    await Promise.all(backends.map(b => b.stop().catch(() => {})));
    backends = [];
    await kube?.stop();
    await Promise.all(cleanups.splice(0).map(c => c()));
    await Promise.all(pools.splice(0).map(k => k.destroy()));
  });

  async function startReplicas(options: {
    seed: object[];
    kube?: { crds?: string[]; controllers?: boolean };
    ml?: object;
    /** Per replica, `ml.kubernetes.requestTimeoutSeconds`. */
    timeouts?: [number, number];
    entities?: Entity[];
  }) {
    kube = await startKubeApiServer({
      seed: options.seed,
      controllers: options.kube?.controllers ?? true,
      ...(options.kube?.crds ? { crds: options.kube.crds as any } : {}),
    });
    // A fresh database per run; each replica gets its own pool.
    const first = await databases.init('POSTGRES_15');
    const pool = () => {
      const k = knexFactory({
        client: first.client.config.client,
        connection: first.client.config.connection,
        pool: { min: 0, max: 5 },
      });
      pools.push(k);
      return k;
    };
    // Each replica reaches the cluster through its own link, to cut.
    const links = await Promise.all([0, 1].map(() => startLink(kube.url)));
    cleanups.push(...links.map(l => l.stop));
    const knexes = [pool(), pool()];
    // One after the other: both would run the migrations at once otherwise.
    for (const [i, knex] of knexes.entries()) {
      backends.push(
        await startTestBackend({
          features: [
            mlPlugin,
            permissionPlugin,
            mlTestPolicyModule({ admins: ['group:default/platform-team'] }),
            oboAuthServiceFactory,
            userInfoFactory,
            schedulerServiceFactory,
            catalogServiceMock.factory({ entities: options.entities ?? [] }),
            mockServices.database.factory({ knex }),
            mockServices.rootConfig.factory({
              data: {
                permission: { enabled: true },
                ml: {
                  kubernetes: {
                    requestTimeoutSeconds: options.timeouts?.[i] ?? 5,
                    creationTimeoutSeconds: 4,
                    clusters: [
                      {
                        name: 'gpu-cluster-a',
                        url: links[i].url,
                        token: kube.token,
                        caData: kube.caData,
                      },
                    ],
                  },
                  ...options.ml,
                },
              },
            }),
          ],
        }),
      );
    }
    proxy = await startRoundRobinProxy(
      backends.map(b => `http://127.0.0.1:${b.server.port()}`),
    );
    return { knex: first, proxy, knexes, links };
  }

  const describeOnPostgres = supported ? describe : describe.skip;

  describeOnPostgres('on PostgreSQL', () => {
    const statefulSets = () =>
      kube
        .list('apps/v1', 'StatefulSet', 'fraud')
        .map((s: any) => s.metadata.name);

    it('12 concurrent 1-GPU notebooks spread over both replicas with 3 GPUs free: 3 × 201, 9 × 409 with the numbers', async () => {
      const { proxy: lb } = await startReplicas({
        seed: threeFreeSeed(),
        kube: { crds: [] },
      });
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          request(lb.url)
            .post('/api/ml/notebooks')
            .set(asUser(ADA))
            .send(notebook(`nb-${i}`)),
        ),
      );
      // Both replicas answered half of them.
      expect(lb.routed.filter(i => i === 0)).toHaveLength(6);
      expect(lb.routed.filter(i => i === 1)).toHaveLength(6);
      const statuses = responses.map(r => r.status);
      expect(statuses.filter(s => s === 201)).toHaveLength(3);
      expect(statuses.filter(s => s === 409)).toHaveLength(9);
      for (const r of responses.filter(x => x.status === 409)) {
        expect(r.body.error.message).toMatch(
          /^asked for 1 nvidia\.com\/gpu in fraud on gpu-cluster-a; 0 free, 0 borrowable(; [1-3] promised to notebooks being created or started)?$/,
        );
      }
      expect(statefulSets()).toHaveLength(3);
      expect(
        kube
          .list('v1', 'Event', 'fraud')
          .filter((e: any) => e.reason === 'FailedCreate'),
      ).toEqual([]);
    });

    it('one Alertmanager alert delivered to both replicas at once starts one retraining', async () => {
      const seed = loadManifests(
        fs.readFileSync(path.join(EXAMPLES, 'kube/gpu-cluster-a.yaml'), 'utf8'),
      );
      const { proxy: lb } = await startReplicas({
        seed,
        kube: { controllers: false },
        entities: exampleEntities(),
        ml: {
          alerts: {
            webhook: { secret: SECRET },
            rules: [
              { match: { alertname: 'ModelDriftHigh' }, action: 'retrain' },
            ],
          },
        },
      });
      const jobsBefore = kube.list('batch/v1', 'Job', 'fraud').length;
      const delivery = {
        version: '4',
        groupKey: '{}:{alertname="ModelDriftHigh"}',
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'ml-portal',
        groupLabels: { alertname: 'ModelDriftHigh' },
        commonLabels: { alertname: 'ModelDriftHigh' },
        commonAnnotations: {},
        externalURL: 'http://alertmanager.example.com',
        alerts: [
          {
            status: 'firing',
            labels: {
              alertname: 'ModelDriftHigh',
              severity: 'warning',
              namespace: 'fraud',
              model: 'fraud-detector',
            },
            annotations: { summary: 'Drift score above 0.3' },
            startsAt: '2026-11-23T10:00:00.000Z',
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus.example.com/graph?g0.expr=x',
            fingerprint: 'f00dfeed01',
          },
        ],
      };
      const basic = `Basic ${Buffer.from(`alertmanager:${SECRET}`).toString(
        'base64',
      )}`;
      // Alertmanager in HA sends the same group from each of its peers.
      const responses = await Promise.all(
        [0, 1].map(() =>
          request(lb.url)
            .post('/api/ml/alerts/webhook')
            .set('Authorization', basic)
            .send(delivery),
        ),
      );
      expect(lb.routed.slice().sort()).toEqual([0, 1]);
      expect(responses.map(r => r.status)).toEqual([200, 200]);
      const outcomes = responses.map(r => r.body.items[0].status).sort();
      expect(outcomes).toEqual(['duplicate', 'started']);
      const started = responses
        .map(r => r.body.items[0])
        .find(i => i.status === 'started');
      const jobs = kube.list('batch/v1', 'Job', 'fraud');
      expect(jobs).toHaveLength(jobsBefore + 1);
      expect(jobs.map((j: any) => j.metadata.name)).toContain(started.runId);
    });

    it("a scheduled task of the plugin runs once per cycle across both replicas (Backstage's scheduler on PostgreSQL)", async () => {
      const runs: Array<{ start: number; end: number; replica: unknown }> = [];
      const sweep = AbandonedCreations.prototype.sweep;
      jest
        .spyOn(AbandonedCreations.prototype, 'sweep')
        .mockImplementation(async function countedSweep(
          this: AbandonedCreations,
          now,
        ) {
          const run = { start: Date.now(), end: 0, replica: this };
          runs.push(run);
          try {
            return await sweep.call(this, now);
          } finally {
            run.end = Date.now();
          }
        });
      await startReplicas({ seed: threeFreeSeed(), kube: { crds: [] } });
      // creationTimeoutSeconds 4: the sweep's cycle is 2 s on each replica.
      const windowMs = 13_000;
      await new Promise(r => setTimeout(r, windowMs));
      const replicas = new Set(runs.map(r => r.replica));
      // Uncoordinated, two replicas would run it about 2 × 13 / 2 = 13 times.
      expect(runs.length).toBeGreaterThanOrEqual(3);
      expect(runs.length).toBeLessThanOrEqual(Math.ceil(windowMs / 2000));
      for (let i = 1; i < runs.length; i++) {
        // Never two at once, and a full cycle between two starts.
        expect(runs[i].start).toBeGreaterThanOrEqual(runs[i - 1].end);
        expect(runs[i].start - runs[i - 1].start).toBeGreaterThanOrEqual(
          2000 - 250,
        );
      }
      // eslint-disable-next-line no-console
      console.log(
        `scheduled sweep: ${runs.length} runs in ${windowMs} ms across ${replicas.size} replica(s)`,
      );
    });

    it('a replica killed in the middle of a notebook creation leaves nothing half-created: the survivor cleans up, audited', async () => {
      // The first replica waits for its StatefulSet as long as it lives.
      const {
        knex,
        knexes,
        links,
        proxy: lb,
      } = await startReplicas({
        seed: threeFreeSeed(),
        kube: { crds: [] },
        timeouts: [300, 5],
      });
      kube.setFault({
        delayMs: 600_000,
        match: r => r.method === 'POST' && r.path.endsWith('/statefulsets'),
      });
      const doomed = request(lb.url)
        .post('/api/ml/notebooks')
        .set(asUser(ADA))
        .send(notebook('doomed', 3))
        .then(
          r => r,
          e => e,
        );
      // Its GPUs are promised and its PVC and Service written, then it dies.
      const deadline = Date.now() + 20_000;
      while (
        kube.list('v1', 'Service', 'fraud').length === 0 &&
        Date.now() < deadline
      ) {
        await new Promise(r => setTimeout(r, 50));
      }
      await new Promise(r => setTimeout(r, 300));
      expect(kube.list('v1', 'Service', 'fraud')).toHaveLength(1);
      expect(kube.list('v1', 'PersistentVolumeClaim', 'fraud')).toHaveLength(1);
      expect(lb.routed).toEqual([0]);
      // Killed: no more requests, no database, no cluster. (Backstage's
      // graceful stop would roll the creation back itself.)
      lb.remove(0);
      await knexes[0].destroy();
      await links[0].cut();
      kube.setFault(null);
      expect((await doomed).status ?? 502).toBe(502);

      // While its creation may still be under way, its GPUs stay promised.
      const early = await request(lb.url)
        .post('/api/ml/notebooks')
        .set(asUser(ADA))
        .send(notebook('early', 1));
      expect(early.status).toBe(409);
      expect(early.body.error.message).toBe(
        'asked for 1 nvidia.com/gpu in fraud on gpu-cluster-a; 0 free, 0 borrowable; 3 promised to notebooks being created or started',
      );

      // After creationTimeoutSeconds (4 s) the survivor's sweep deletes what
      // the dead replica created and ends its reservation.
      const swept = Date.now() + 30_000;
      while (
        ((await knex('ml_gpu_reservations')).length > 0 ||
          kube.list('v1', 'Service', 'fraud').length > 0) &&
        Date.now() < swept
      ) {
        await new Promise(r => setTimeout(r, 250));
      }
      expect(await knex('ml_gpu_reservations')).toEqual([]);
      expect(kube.list('v1', 'Service', 'fraud')).toEqual([]);
      expect(kube.list('v1', 'PersistentVolumeClaim', 'fraud')).toEqual([]);
      expect(statefulSets()).toEqual([]);
      expect(await knex('ml_notebooks')).toEqual([]);

      const audit = await request(lb.url)
        .get('/api/ml/audit?action=ml.notebook.delete&limit=10')
        .set(asUser(ROOT));
      expect(audit.status).toBe(200);
      expect(audit.body.items).toHaveLength(1);
      expect(audit.body.items[0]).toMatchObject({
        actor: 'plugin:ml',
        action: 'ml.notebook.delete',
        targetRef: 'notebook:gpu-cluster-a/fraud/doomed',
        outcome: 'succeeded',
        details: {
          reason: 'abandoned-creation',
          gpus: 3,
          deleted: ['Service/doomed', 'PersistentVolumeClaim/doomed-workspace'],
        },
      });

      // The GPUs are free again, on the survivor.
      const after = await request(lb.url)
        .post('/api/ml/notebooks')
        .set(asUser(ADA))
        .send(notebook('doomed', 3));
      expect(after.status).toBe(201);
      expect(statefulSets()).toEqual(['doomed']);
    });
  });
});
