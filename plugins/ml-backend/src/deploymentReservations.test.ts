import {
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { pushModel } from '@mlplatform/plugin-ml-oci';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  describeIfBinary,
  RegistryHandle,
  serverBinaries,
  startRegistry,
} from '@mlplatform/test-services';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { gpuPod, ns } from './__testUtils__/kubeSeeds';
import { asUser, userInfoServiceFactory } from './__testUtils__/testUsers';
import { oboAuthServiceFactory } from './permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from './permissions/__testUtils__/testPolicy';
import { mlPlugin } from './plugin';

/*
 * A model deployment spends a namespace's GPUs under the notebooks' promise
 * (issue 17): its GPUs × max replicas are reserved under the cluster's lock
 * across the check and the apply, on every replica sharing the database, so
 * racing deploys and notebooks never get more than free + borrowable; the
 * reservation ends on a failed apply, and once the deployment's pods are
 * what the quota counts.
 */

jest.setTimeout(120_000);

const ADA = 'user:default/ada';
const ROOT = 'user:default/root';
const userInfoFactory = userInfoServiceFactory({
  [ADA]: ['group:default/fraud-team'],
  [ROOT]: ['group:default/platform-team'],
});

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

const deployment = (
  name: string,
  gpus = 1,
  replicas: { minReplicas?: number; maxReplicas?: number } = {},
) => ({
  name,
  cluster: 'gpu-cluster-a',
  namespace: 'fraud',
  version: 'v1',
  gpus,
  minReplicas: 1,
  maxReplicas: 1,
  ...replicas,
});

const notebook = (name: string, gpus = 1) => ({
  name,
  cluster: 'gpu-cluster-a',
  namespace: 'fraud',
  image: 'quay.io/jupyter/pytorch-notebook:cuda12-2024-11-18',
  cpu: '1',
  memory: '2Gi',
  gpus,
});

const HELD_BY_DEPLOYMENTS =
  'model deployments being applied or not yet running';

describeIfBinary(serverBinaries.registry)(
  'GPU reservations of model deployments',
  () => {
    const databases = TestDatabases.create({
      ids: ['SQLITE_3', 'POSTGRES_15'],
    });
    let registry: RegistryHandle;
    let kube: KubeApiServer;
    const extraClients: Knex[] = [];

    beforeAll(async () => {
      registry = await startRegistry();
      await pushModel({
        registry: registry.url,
        repository: 'models/fraud-detector',
        tag: 'v1',
        file: { name: 'model.onnx', data: Buffer.from('weights v1') },
        framework: 'onnx',
        metrics: {},
        aliases: [],
      });
    });

    afterAll(async () => {
      await registry?.stop();
    });

    afterEach(async () => {
      await kube?.stop();
      await Promise.all(extraClients.splice(0).map(k => k.destroy()));
    });

    async function startReplica(knex: Knex) {
      const { server } = await startTestBackend({
        features: [
          mlPlugin,
          permissionPlugin,
          mlTestPolicyModule({ admins: ['group:default/platform-team'] }),
          oboAuthServiceFactory,
          userInfoFactory,
          catalogServiceMock.factory({
            entities: [
              {
                apiVersion: 'mlplatform.io/v1alpha1',
                kind: 'Model',
                metadata: {
                  name: 'fraud-detector',
                  namespace: 'default',
                  annotations: {
                    'mlplatform.io/registry-ref': `oci://${registry.host}/models/fraud-detector`,
                  },
                },
                spec: {
                  type: 'classifier',
                  lifecycle: 'production',
                  owner: 'fraud-team',
                },
              },
            ],
          }),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              permission: { enabled: true },
              ml: {
                registries: [{ name: 'local', type: 'oci', url: registry.url }],
                kubernetes: {
                  requestTimeoutSeconds: 5,
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
      return server;
    }

    /**
     * Two backends on one database, as in kubernetesReservations.test.ts: on
     * PostgreSQL each with its own pool, as two processes would have. The
     * cluster has no KServe (plain Deployments); its controllers run the
     * Deployments' ReplicaSets and pods and the notebooks' StatefulSets,
     * each pod through the quota's admission (which refuses it with
     * "exceeded quota", a FailedCreate event, if GPUs were promised twice).
     */
    async function twoReplicas(databaseId: TestDatabaseId) {
      kube = await startKubeApiServer({
        seed: threeFreeSeed(),
        controllers: true,
        crds: [],
      });
      const knex = await databases.init(databaseId);
      let other = knex;
      if (databaseId === 'POSTGRES_15') {
        other = knexFactory({
          client: knex.client.config.client,
          connection: knex.client.config.connection,
          pool: { min: 0, max: 5 },
        });
        extraClients.push(other);
      }
      const first = await startReplica(knex);
      const second = await startReplica(other);
      return { knex, replicas: [first, second] };
    }

    const deploy = (server: any, body: object) =>
      request(server)
        .post('/api/ml/models/default/fraud-detector/deployments')
        .set(asUser(ADA))
        .send(body);

    const deployments = () =>
      kube.list('apps/v1', 'Deployment', 'fraud') as any[];

    /** Scales a Deployment as its HorizontalPodAutoscaler would. */
    async function scale(name: string, replicas: number) {
      const { status, ...d }: any = kube.get(
        'apps/v1',
        'Deployment',
        'fraud',
        name,
      );
      await kube.apply({ ...d, spec: { ...d.spec, replicas } });
    }

    const failedCreates = () =>
      kube
        .list('v1', 'Event', 'fraud')
        .filter((e: any) => e.reason === 'FailedCreate');

    const quotaUsed = () =>
      (kube.get('v1', 'ResourceQuota', 'fraud', 'gpu-quota') as any).status
        .used['requests.nvidia.com/gpu'];

    it.each(databases.eachSupportedId())(
      '6 concurrent 1-GPU deploys over two replicas with 3 GPUs free: 3 created, 3 refused with the numbers, on %p',
      async databaseId => {
        const { replicas } = await twoReplicas(databaseId);
        const responses = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            deploy(replicas[i % 2], deployment(`model-${i}`)),
          ),
        );
        const statuses = responses.map(r => r.status);
        expect(statuses.filter(s => s === 201)).toHaveLength(3);
        expect(statuses.filter(s => s === 409)).toHaveLength(3);
        for (const r of responses.filter(x => x.status === 409)) {
          // the winners' GPUs: promised, or counted once their pods run
          expect(r.body.error.message).toMatch(
            /^1 GPUs per replica × 1 replicas: asked for 1 nvidia\.com\/gpu in fraud on gpu-cluster-a; 0 free, 0 borrowable(; [1-3] promised to model deployments .*)?$/,
          );
        }
        expect(deployments()).toHaveLength(3);
        // Every promised replica was admitted by the quota.
        expect(failedCreates()).toEqual([]);
        expect(quotaUsed()).toBe('9');

        const audit = await request(replicas[1])
          .get('/api/ml/audit?action=ml.model.deploy&limit=50')
          .set(asUser(ROOT));
        expect(audit.body.items.map((e: any) => e.outcome).sort()).toEqual([
          'refused',
          'refused',
          'refused',
          'succeeded',
          'succeeded',
          'succeeded',
        ]);
      },
    );

    it.each(databases.eachSupportedId())(
      'notebooks and deploys racing for the same 3 GPUs over two replicas never get more than 3, on %p',
      async databaseId => {
        const { replicas } = await twoReplicas(databaseId);
        const responses = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            i % 2
              ? deploy(replicas[i % 2], deployment(`model-${i}`))
              : request(replicas[(i / 2) % 2])
                  .post('/api/ml/notebooks')
                  .set(asUser(ADA))
                  .send(notebook(`nb-${i}`)),
          ),
        );
        const statuses = responses.map(r => r.status);
        expect(statuses.filter(s => s === 201)).toHaveLength(3);
        expect(statuses.filter(s => s === 409)).toHaveLength(9);
        for (const r of responses.filter(x => x.status === 409)) {
          expect(r.body.error.message).toMatch(
            /asked for 1 nvidia\.com\/gpu in fraud on gpu-cluster-a; 0 free, 0 borrowable(; [1-3] promised to (notebooks|model deployments).*)?$/,
          );
        }
        const created = responses
          .map((r, i) => ({ r, i }))
          .filter(({ r }) => r.status === 201);
        const notebooks = created.filter(({ i }) => i % 2 === 0).length;
        expect(kube.list('apps/v1', 'StatefulSet', 'fraud')).toHaveLength(
          notebooks,
        );
        expect(deployments()).toHaveLength(3 - notebooks);
        // Every pod, of notebooks and deployments, was admitted by the quota.
        expect(failedCreates()).toEqual([]);
        expect(quotaUsed()).toBe('9');
      },
    );

    it.each(databases.eachSupportedId())(
      "a deployment's GPUs stay promised until its pods are counted, then count as used once, on %p",
      async databaseId => {
        const { knex, replicas } = await twoReplicas(databaseId);
        // 1 GPU × up to 2 replicas: 2 of the 3 free promised; its first
        // replica runs at once: the quota counts 1, the promise keeps 1.
        const res = await deploy(
          replicas[0],
          deployment('ranker', 1, { maxReplicas: 2 }),
        );
        expect(res.status).toBe(201);
        expect(res.body.gpus).toMatchObject({ perReplica: 1, total: 2 });
        expect(quotaUsed()).toBe('7');
        const big = await request(replicas[1])
          .post('/api/ml/notebooks')
          .set(asUser(ADA))
          .send(notebook('big', 2));
        expect(big.status).toBe(409);
        expect(big.body.error.message).toBe(
          `asked for 2 nvidia.com/gpu in fraud on gpu-cluster-a; 1 free, 0 borrowable; 1 promised to ${HELD_BY_DEPLOYMENTS}`,
        );

        const small = await request(replicas[1])
          .post('/api/ml/notebooks')
          .set(asUser(ADA))
          .send(notebook('small', 1));
        expect(small.status).toBe(201);
        const more = await request(replicas[0])
          .post('/api/ml/notebooks')
          .set(asUser(ADA))
          .send(notebook('more', 1));
        expect(more.status).toBe(409);
        expect(more.body.error.message).toBe(
          `asked for 1 nvidia.com/gpu in fraud on gpu-cluster-a; 0 free, 0 borrowable; 1 promised to ${HELD_BY_DEPLOYMENTS}`,
        );
        expect(
          await knex('ml_gpu_reservations')
            .where({ holder_kind: 'deployment' })
            .select('holder', 'gpus'),
        ).toEqual([{ holder: 'ranker', gpus: 2 }]);

        // The autoscaler adds its second replica: admitted on the GPU kept
        // for it, counted by the quota, the reservation retired.
        await scale('ranker', 2);
        expect(failedCreates()).toEqual([]);
        expect(quotaUsed()).toBe('9');
        const last = await request(replicas[1])
          .post('/api/ml/notebooks')
          .set(asUser(ADA))
          .send(notebook('last', 1));
        expect(last.status).toBe(409);
        expect(last.body.error.message).toBe(
          'asked for 1 nvidia.com/gpu in fraud on gpu-cluster-a; 0 free, 0 borrowable',
        );
      },
    );

    it.each(databases.eachSupportedId())(
      'a failed apply releases its reservation at once, on %p',
      async databaseId => {
        const { knex, replicas } = await twoReplicas(databaseId);
        kube.setFault({
          status: 500,
          match: r => r.method === 'POST' && r.path.endsWith('/services'),
        });
        const failed = await deploy(replicas[0], deployment('first', 3));
        kube.setFault(null);
        expect(failed.status).toBeGreaterThanOrEqual(500);
        expect(deployments()).toEqual([]);
        expect(await knex('ml_gpu_reservations')).toEqual([]);
        const again = await deploy(replicas[1], deployment('second', 3));
        expect(again.status).toBe(201);
      },
    );
  },
);
