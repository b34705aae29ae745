import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import { GpuReservationStore } from './GpuReservationStore';

jest.setTimeout(60_000);

describe('GpuReservationStore', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
  const extraClients: Knex[] = [];

  afterEach(async () => {
    await Promise.all(extraClients.splice(0).map(k => k.destroy()));
  });

  /** Two stores as two replicas would have them: on PostgreSQL, two pools. */
  async function twoStores(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    const database = (client: Knex) => ({
      getClient: async () => client,
      migrations: { skip: false },
    });
    const first = await GpuReservationStore.create({
      database: database(knex),
    });
    let other = knex;
    if (databaseId === 'POSTGRES_15') {
      other = knexFactory({
        client: knex.client.config.client,
        connection: knex.client.config.connection,
        pool: { min: 0, max: 3 },
      });
      extraClients.push(other);
    }
    const second = await GpuReservationStore.create({
      database: database(other),
    });
    return { knex, stores: [first, second] };
  }

  const reservation = (notebook: string, expiresAt: number) => ({
    cluster: 'gpu-a',
    namespace: 'fraud',
    resource: 'nvidia.com/gpu',
    gpus: 1,
    holder: { kind: 'notebook' as const, name: notebook },
    state: 'applying' as const,
    expiresAt,
  });

  it.each(databases.eachSupportedId())(
    'lets one check of a cluster run at a time across stores, so 10 racing holders take exactly 3 places on %p',
    async databaseId => {
      const { stores } = await twoStores(databaseId);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          stores[i % 2].withClusterLock('gpu-a', async lock => {
            const live = await lock.live(Date.now());
            // A slow cluster read between the count and the write.
            await new Promise(r => setTimeout(r, 20));
            if (live.length >= 3) return false;
            await lock.add(reservation(`nb-${i}`, Date.now() + 60_000));
            return true;
          }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(3);
      expect(await stores[0].all()).toHaveLength(3);
    },
  );

  it.each(databases.eachSupportedId())(
    'drops expired reservations, keeps abandoned creations for one taker, marks, releases and releases by notebook on %p',
    async databaseId => {
      const { stores } = await twoStores(databaseId);
      const [store] = stores;
      const now = Date.now();
      const [dead, kept, other, settled] = await store.withClusterLock(
        'gpu-a',
        async lock => [
          await lock.add(reservation('dead', now - 1)),
          await lock.add({
            ...reservation('kept', now + 60_000),
            flavor: 'a100',
          }),
          await lock.add(reservation('other', now + 60_000)),
          await lock.add({
            ...reservation('settled', now - 1),
            state: 'applied',
          }),
        ],
      );
      expect(kept).toMatchObject({ flavor: 'a100', gpus: 1 });
      const live = await store.withClusterLock('gpu-a', lock => lock.live(now));
      expect(live.map(r => r.holder.name)).toEqual(['kept', 'other']);
      // A settled one is gone; an abandoned creation stays for its cleanup.
      expect((await store.all()).map(r => r.id)).toEqual([
        dead.id,
        kept.id,
        other.id,
      ]);
      expect(settled.state).toBe('applied');
      const [abandoned] = await stores[1].abandoned(now);
      expect(abandoned).toMatchObject({
        id: dead.id,
        holder: { kind: 'notebook', name: 'dead' },
      });
      const taken = await Promise.all(
        stores.map(s => s.takeOver(abandoned, now + 60_000)),
      );
      expect(taken.filter(Boolean)).toHaveLength(1);
      expect(await store.abandoned(now)).toEqual([]);
      await store.release(dead.id);

      await store.markApplied(kept.id, now + 1_000);
      expect((await store.all())[0]).toMatchObject({
        holder: { kind: 'notebook', name: 'kept' },
        state: 'applied',
        expiresAt: now + 1_000,
      });
      await store.release(other.id);
      await store.releaseHolder('gpu-a', 'fraud', {
        kind: 'notebook',
        name: 'kept',
      });
      expect(await store.all()).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps notebooks and deployments of one name apart, and drops an expired deployment whatever its state, on %p',
    async databaseId => {
      const { stores } = await twoStores(databaseId);
      const [store] = stores;
      const now = Date.now();
      const deployment = { kind: 'deployment' as const, name: 'ranker' };
      await store.withClusterLock('gpu-a', async lock => {
        await lock.add(reservation('ranker', now + 60_000));
        await lock.add({
          ...reservation('ranker', now + 60_000),
          holder: deployment,
          gpus: 4,
        });
        await lock.add({
          ...reservation('died', now - 1),
          holder: { kind: 'deployment', name: 'died' },
        });
      });
      const live = await store.withClusterLock('gpu-a', lock => lock.live(now));
      expect(live.map(r => [r.holder, r.gpus])).toEqual([
        [{ kind: 'notebook', name: 'ranker' }, 1],
        [deployment, 4],
      ]);
      // Only a notebook's abandoned creation is left for the sweep.
      expect(await store.abandoned(now)).toEqual([]);
      expect((await store.all()).map(r => r.holder.name)).toEqual([
        'ranker',
        'ranker',
      ]);
      await stores[1].releaseHolder('gpu-a', 'fraud', deployment);
      expect((await store.all()).map(r => r.holder)).toEqual([
        { kind: 'notebook', name: 'ranker' },
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'releases the lock when the holder throws on %p',
    async databaseId => {
      const { stores } = await twoStores(databaseId);
      await expect(
        stores[0].withClusterLock('gpu-a', async lock => {
          await lock.add(reservation('rolled-back', Date.now() + 60_000));
          throw new Error('no fit');
        }),
      ).rejects.toThrow('no fit');
      expect(await stores[1].all()).toEqual([]);
      await expect(
        stores[1].withClusterLock('gpu-a', async () => 'next'),
      ).resolves.toBe('next');
    },
  );
});
