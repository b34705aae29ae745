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

jest.setTimeout(60_000);

describe('QuotaService with GPUs promised to creations in flight', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let server: KubeApiServer;
  let clusters: ClusterService;

  beforeAll(async () => {
    server = await startKubeApiServer({ seed: clusterBSeed() });
    clusters = ClusterService.create({
      clusters: [
        {
          name: 'b',
          url: server.url,
          token: server.token,
          caData: server.caData,
          serviceAccount: false,
          skipTLSVerify: false,
        },
      ],
      settings: {
        teamLabel: 'mlplatform.io/team',
        refreshSeconds: 60,
        requestTimeoutMs: 5000,
      },
    });
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
    const fraud = async () =>
      (await quotas.getQuotas({ cluster: 'b', namespace: 'fraud' })).quotas[0]
        .resources[0];
    return { reservations, quotas, fraud };
  }

  it('shows promised GPUs until the cluster counts them, never twice', async () => {
    const { reservations, quotas, fraud } = await setup();
    // 8 hard, 6 used by two pods.
    expect(await fraud()).toEqual(
      expect.objectContaining({ used: 6, free: 2, borrowable: 0 }),
    );
    expect((await fraud()).promised).toBeUndefined();

    await reservations.withClusterLock('b', lock =>
      lock.add({
        cluster: 'b',
        namespace: 'fraud',
        resource: 'nvidia.com/gpu',
        gpus: 1,
        holder: { kind: 'notebook', name: 'nb' },
        state: 'applied',
        expiresAt: Date.now() + 60_000,
      }),
    );
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
    await reservations.withClusterLock('b', lock =>
      lock.add({
        cluster: 'b',
        namespace: 'ml-sandbox',
        resource: 'nvidia.com/gpu',
        gpus: 2,
        holder: { kind: 'notebook', name: 'other' },
        state: 'applying',
        expiresAt: Date.now() + 60_000,
      }),
    );
    expect((await fraud()).promised).toBeUndefined();
    const sandbox = (
      await quotas.getQuotas({ cluster: 'b', namespace: 'ml-sandbox' })
    ).quotas[0].resources[0];
    expect(sandbox).toEqual(
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
