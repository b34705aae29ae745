import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { AlertActionStore } from './AlertActionStore';

jest.setTimeout(60_000);

describe('AlertActionStore', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  async function createStore(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    const store = await AlertActionStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
    return { knex, store };
  }

  const key = (fingerprint: string, entityRef = 'model:default/fraud') => ({
    fingerprint,
    startsAt: '2026-11-23T10:00:00.000Z',
    action: 'retrain',
    entityRef,
    alertname: 'ModelDriftHigh',
  });

  it.each(databases.eachSupportedId())(
    'lets a later delivery take over a claim left pending by a stopped backend, once, on %p',
    async databaseId => {
      const { knex, store } = await createStore(databaseId);
      const first = await store.claim(key('stale'));
      expect(first.claimed).toBe(true);
      // Fresh pending claims are not taken over.
      expect((await store.claim(key('stale'))).claimed).toBe(false);

      // The backend stopped mid-action 20 minutes ago.
      await knex('ml_alert_actions')
        .where({ id: first.record.id })
        .update({ created_at: new Date(Date.now() - 20 * 60 * 1000) });
      const [a, b] = await Promise.all([
        store.claim(key('stale')),
        store.claim(key('stale')),
      ]);
      expect([a.claimed, b.claimed].sort()).toEqual([false, true]);
      expect((await store.claim(key('stale'))).claimed).toBe(false);

      // A finished action is never run again, however old.
      await store.finish(first.record.id, { status: 'failed', summary: 'x' });
      await knex('ml_alert_actions')
        .where({ id: first.record.id })
        .update({ created_at: new Date(Date.now() - 60 * 60 * 1000) });
      expect((await store.claim(key('stale'))).claimed).toBe(false);
    },
  );

  it.each(databases.eachSupportedId())(
    'claims an alert action once, finishes it and lists it on %p',
    async databaseId => {
      const { store } = await createStore(databaseId);
      const first = await store.claim(key('f1'));
      expect(first.claimed).toBe(true);
      expect(first.record.status).toBe('pending');

      const again = await store.claim(key('f1'));
      expect(again).toEqual({ claimed: false, record: first.record });

      await store.finish(first.record.id, {
        status: 'started',
        summary: 'started run job-1 of pipeline:default/train',
        runId: 'job-1',
        pipelineRef: 'pipeline:default/train',
      });
      const other = await store.claim(key('f1', 'model:default/other'));
      expect(other.claimed).toBe(true);

      const listed = await store.listForEntity('model:default/fraud', 10);
      expect(listed).toEqual([
        {
          id: first.record.id,
          fingerprint: 'f1',
          startsAt: '2026-11-23T10:00:00.000Z',
          action: 'retrain',
          alertname: 'ModelDriftHigh',
          entityRef: 'model:default/fraud',
          status: 'started',
          summary: 'started run job-1 of pipeline:default/train',
          runId: 'job-1',
          pipelineRef: 'pipeline:default/train',
          createdAt: first.record.createdAt,
        },
      ]);
      expect((await store.claim(key('f1'))).record.status).toBe('started');
    },
  );

  it.each(databases.eachSupportedId())(
    'counts earlier active actions of a model within a window on %p',
    async databaseId => {
      const { store, knex } = await createStore(databaseId);
      const a = (await store.claim(key('a'))).record;
      const b = (await store.claim(key('b'))).record;
      const c = (await store.claim(key('c'))).record;
      await store.finish(b.id, { status: 'rate-limited', summary: 'x' });
      const since = new Date(Date.now() - 60_000);
      expect(await store.countActiveBefore(a.entityRef, a.id, since)).toBe(0);
      // b ended rate-limited, so only a counts before c.
      expect(await store.countActiveBefore(c.entityRef, c.id, since)).toBe(1);
      expect(
        await store.countActiveBefore('model:default/other', c.id + 1, since),
      ).toBe(0);
      // An action older than the window no longer counts.
      await knex('ml_alert_actions')
        .where({ id: a.id })
        .update({ created_at: new Date(Date.now() - 3_600_000) });
      expect(await store.countActiveBefore(c.entityRef, c.id, since)).toBe(0);
    },
  );

  it.each(databases.eachSupportedId())(
    'lets exactly one of concurrent claims of the same alert win on %p',
    async databaseId => {
      const { store } = await createStore(databaseId);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => store.claim(key('race'))),
      );
      expect(results.filter(r => r.claimed)).toHaveLength(1);
      expect(new Set(results.map(r => r.record.id)).size).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'migrates down cleanly on %p',
    async databaseId => {
      const { knex } = await createStore(databaseId);
      expect(await knex.schema.hasTable('ml_alert_actions')).toBe(true);
      // Only its own migration: later ones (GPU reservations) stay.
      await knex.migrate.down({
        directory: `${__dirname}/../../migrations`,
        name: '20261123170000_alert_actions.js',
      });
      expect(await knex.schema.hasTable('ml_alert_actions')).toBe(false);
      expect(await knex.schema.hasTable('ml_notebooks')).toBe(true);
    },
  );
});
