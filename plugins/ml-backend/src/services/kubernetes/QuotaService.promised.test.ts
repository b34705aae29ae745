/*
 * GET /quotas' figures less the GPUs promised to creations in flight:
 * QuotaService with the reservation store (SQLite) and gpu-cluster-b on the
 * test API server (ResourceQuota admission charges pods to status.used).
 * A reservation the cluster does not count yet is shown as `promised` and
 * taken from `free`; once its notebook's pod exists, quota admission has
 * charged it and it is not counted twice.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { GpuReservationStore } from '../../database/GpuReservationStore';
import { clusterBSeed, gpuPod } from '../../__testUtils__/kubeSeeds';
import { ClusterService } from './ClusterService';
import { promisedOn } from './GpuReservations';
import { QuotaService } from './QuotaService';
import { testClusters } from '../../__testUtils__/testClusters';

jest.setTimeout(60_000);

describe('QuotaService with GPUs promised to creations in flight', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let server: KubeApiServer;
  let clusters: ClusterService;

  beforeAll(async () => {
    server = await startKubeApiServer({ seed: clusterBSeed() });
    clusters = testClusters({ b: server });
  });

  afterAll(async () => {
    clusters?.close();
    await server?.stop();
  });

  async function setup() {
    const knex = await databases.init('SQLITE_3');
    const reservations = await GpuReservationStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
    const quotas = new QuotaService(clusters, undefined, cluster =>
      promisedOn({ clusters, reservations }, cluster),
    );
    const gpusOf = async (namespace: string) =>
      (await quotas.getQuotas({ cluster: 'b', namespace })).quotas[0]
        .resources[0];
    /** GPUs promised to notebook `name` of `namespace`, as a creation does. */
    const promise = (
      namespace: string,
      name: string,
      gpus: number,
      state: 'applying' | 'applied',
    ) =>
      reservations.withClusterLock('b', lock =>
        lock.add({
          cluster: 'b',
          namespace,
          resource: 'nvidia.com/gpu',
          gpus,
          holder: { kind: 'notebook', name },
          state,
          expiresAt: Date.now() + 60_000,
        }),
      );
    return { quotas, fraud: () => gpusOf('fraud'), gpusOf, promise };
  }

  it('shows promised GPUs until the cluster counts them, never twice', async () => {
    const { quotas, fraud, gpusOf, promise } = await setup();
    // 8 hard, 6 used by two pods.
    expect(await fraud()).toEqual(
      expect.objectContaining({ used: 6, free: 2, borrowable: 0 }),
    );
    expect((await fraud()).promised).toBeUndefined();

    await promise('fraud', 'nb', 1, 'applied');
    // Read fresh on every call, the cluster's figures from the cache.
    expect(await fraud()).toEqual(
      expect.objectContaining({ used: 6, free: 1, promised: 1 }),
    );

    // The notebook's pod exists: quota admission charged it.
    await server.create(gpuPod('fraud', 'nb-0', { 'nvidia.com/gpu': '1' }));
    quotas.invalidate('b');
    const counted = await fraud();
    expect(counted).toEqual(expect.objectContaining({ used: 7, free: 1 }));
    expect(counted.promised).toBeUndefined();

    // Another namespace's promise is not this one's.
    await promise('ml-sandbox', 'other', 2, 'applying');
    expect((await fraud()).promised).toBeUndefined();
    expect(await gpusOf('ml-sandbox')).toEqual(
      expect.objectContaining({ used: 0, free: 0, promised: 2 }),
    );
  });

  it('says when the promised GPUs could not be counted', async () => {
    const quotas = new QuotaService(clusters, undefined, async () => {
      throw new Error('database is down');
    });
    const { clusters: availability, quotas: found } = await quotas.getQuotas({
      cluster: 'b',
    });
    expect(availability[0]).toEqual(
      expect.objectContaining({
        available: true,
        notes: [
          'GPUs promised to notebooks and deployments being created could not be counted: database is down',
        ],
      }),
    );
    expect(found.map(q => q.namespace).sort()).toEqual(['fraud', 'ml-sandbox']);
  });
});
