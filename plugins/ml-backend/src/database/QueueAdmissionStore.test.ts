import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { QueueAdmission, QueueAdmissionStore } from './QueueAdmissionStore';

jest.setTimeout(60_000);

describe('QueueAdmissionStore', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  async function store(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    return QueueAdmissionStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
  }

  const admission = (
    uid: string,
    over: Partial<QueueAdmission> = {},
  ): QueueAdmission => ({
    cluster: 'gpu-a',
    namespace: 'fraud',
    workload: `job-${uid}`,
    uid,
    clusterQueue: 'fraud-cq',
    flavor: 'a100-80gb',
    resource: 'nvidia.com/gpu',
    gpus: 1,
    createdAt: 1_000_000,
    admittedAt: 1_000_000 + 60_000,
    ...over,
  });

  it.each(databases.eachSupportedId())(
    'records each workload once and selects waits by queue, flavor, size and time on %p',
    async databaseId => {
      const s = await store(databaseId);
      expect(
        await s.record([
          admission('a'),
          admission('b', { gpus: 4, admittedAt: 1_000_000 + 600_000 }),
          admission('c', { flavor: 'h100', admittedAt: 1_000_000 + 120_000 }),
          admission('d', { clusterQueue: 'nlp-cq' }),
          admission('e', { createdAt: 0, admittedAt: 30_000 }),
        ]),
      ).toBe(5);
      // Seen again on the next observation: nothing new.
      expect(await s.record([admission('a'), admission('f')])).toBe(1);
      const base = {
        cluster: 'gpu-a',
        clusterQueue: 'fraud-cq',
        resource: 'nvidia.com/gpu',
      };
      expect(
        await s.waits({
          ...base,
          flavor: 'a100-80gb',
          minGpus: 1,
          maxGpus: 1,
          since: 0,
        }),
      ).toEqual([30, 60, 60]);
      expect(
        await s.waits({ ...base, minGpus: 3, maxGpus: 4, since: 0 }),
      ).toEqual([600]);
      expect(await s.waits({ ...base, minGpus: 1, since: 1_000_000 })).toEqual([
        60, 60, 120, 600,
      ]);
      expect(await s.prune(1_000_000)).toBe(1);
      expect((await s.all()).map(a => a.uid).sort()).toEqual([
        'a',
        'b',
        'c',
        'd',
        'f',
      ]);
    },
  );
});
