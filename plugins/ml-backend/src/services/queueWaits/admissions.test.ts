import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { QueueAdmissionStore } from '../../database/QueueAdmissionStore';
import { clusterASeed, workload } from '../../__testUtils__/kubeSeeds';
import { AdmissionObserver, admissionsOf } from './admissions';
import { observedWait } from './estimate';
import { testClusters } from '../../__testUtils__/testClusters';

jest.setTimeout(60_000);

function admittedAfter(name: string, seconds: number, gpus: number) {
  const wl = workload('v1beta2', 'fraud', name, 'fraud-queue', {
    count: 2,
    gpus,
    admitted: true,
  });
  const at = new Date(Date.now() + seconds * 1000).toISOString();
  return {
    ...wl,
    status: {
      admission: {
        clusterQueue: 'fraud-cq',
        podSetAssignments: [
          {
            name: 'main',
            count: 2,
            flavors: { cpu: 'default-cpu', 'nvidia.com/gpu': 'a100-80gb' },
          },
        ],
      },
      conditions: wl.status.conditions.map(c => ({
        ...c,
        lastTransitionTime: at,
      })),
    },
  };
}

describe('admissionsOf', () => {
  it('takes admitted GPU workloads with their ClusterQueue, flavor, size and wait', () => {
    const created = '2026-12-01T10:00:00Z';
    const wl = admittedAfter('a', 0, 2) as any;
    wl.metadata = { ...wl.metadata, uid: 'u1', creationTimestamp: created };
    wl.status.conditions[0].lastTransitionTime = '2026-12-01T10:05:00Z';
    wl.status.conditions[1].lastTransitionTime = '2026-12-01T10:05:01Z';
    const pending = workload('v1beta2', 'fraud', 'p', 'fraud-queue', {
      count: 1,
      gpus: 1,
      admitted: false,
    });
    expect(admissionsOf('c', [wl, pending])).toEqual([
      {
        cluster: 'c',
        namespace: 'fraud',
        workload: 'a',
        uid: 'u1',
        clusterQueue: 'fraud-cq',
        flavor: 'a100-80gb',
        resource: 'nvidia.com/gpu',
        gpus: 4,
        createdAt: Date.parse(created),
        admittedAt: Date.parse('2026-12-01T10:05:00Z'),
      },
    ]);
  });
});

describe('AdmissionObserver', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let kube: KubeApiServer;

  beforeAll(async () => {
    kube = await startKubeApiServer({ seed: clusterASeed() });
  });
  afterAll(() => kube?.stop());

  it('records the admissions of the test API server once, however often it runs', async () => {
    await kube.create(admittedAfter('obs-1', 90, 1));
    const knex = await databases.init('SQLITE_3');
    const store = await QueueAdmissionStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
    const clusters = testClusters({ 'gpu-cluster-a': kube });
    const observer = new AdmissionObserver({
      clusters,
      store,
      historyDays: 30,
      logger: mockServices.logger.mock(),
    });
    expect(await observer.run()).toBe(1);
    expect(await observer.run()).toBe(0);
    const [row] = await store.all();
    expect(row).toMatchObject({
      cluster: 'gpu-cluster-a',
      workload: 'obs-1',
      clusterQueue: 'fraud-cq',
      flavor: 'a100-80gb',
      gpus: 2,
    });
    expect(row.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs((row.admittedAt - row.createdAt) / 1000 - 90)).toBeLessThan(
      2,
    );
    clusters.close();
  });
});

describe('observedWait', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it('estimates from the admissions in the same situation when there are enough, else from all', async () => {
    const knex = await databases.init('SQLITE_3');
    const store = await QueueAdmissionStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
    // 10 that started at once (5 s), 10 that queued (10..100 min)
    await store.record(
      Array.from({ length: 20 }, (_, i) => ({
        cluster: 'c',
        namespace: 'fraud',
        workload: `w${i}`,
        uid: `u${i}`,
        clusterQueue: 'fraud-cq',
        flavor: 'a100-80gb',
        resource: 'nvidia.com/gpu',
        gpus: 1,
        createdAt: 1_000_000,
        admittedAt: 1_000_000 + (i < 10 ? 5_000 : (i - 9) * 600_000),
      })),
    );
    const shape = {
      cluster: 'c',
      clusterQueue: 'fraud-cq',
      flavor: 'a100-80gb',
      resource: 'nvidia.com/gpu',
      gpus: 1,
    };
    const at = { historyDays: 30, now: 2_000_000 };
    expect(
      await observedWait(store, shape, {
        ...at,
        minSamples: 10,
        roomNow: true,
      }),
    ).toEqual({
      samples: 10,
      conditioned: true,
      quantiles: { p50: 5, p90: 5 },
    });
    const queued = await observedWait(store, shape, {
      ...at,
      minSamples: 10,
      roomNow: false,
    });
    expect(queued).toMatchObject({ samples: 10, conditioned: true });
    expect(queued.quantiles!.p50).toBeCloseTo(3300, 6);
    // 11 needed: neither situation has enough, all 20 together do
    const all = await observedWait(store, shape, {
      ...at,
      minSamples: 11,
      roomNow: false,
    });
    expect(all).toMatchObject({ samples: 20, conditioned: false });
    expect(all.quantiles!.p50).toBeCloseTo(302.5, 6);
    // 21 needed: no estimate, only the count
    expect(await observedWait(store, shape, { ...at, minSamples: 21 })).toEqual(
      { samples: 20, conditioned: false },
    );
  });
});
