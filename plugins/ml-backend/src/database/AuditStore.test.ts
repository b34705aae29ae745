import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { AuditStore } from './AuditStore';

jest.setTimeout(60_000);

describe('AuditStore', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  async function createStore(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    const store = await AuditStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
    return { knex, store };
  }

  it.each(databases.eachSupportedId())(
    'records events and lists them newest first, by target, on %p',
    async databaseId => {
      const { store } = await createStore(databaseId);
      const first = await store.record({
        actor: 'user:default/ada',
        action: 'ml.model.promote',
        targetRef: 'model:default/fraud-detector',
        outcome: 'succeeded',
        details: { alias: 'production', from: 'v3', to: 'v4' },
      });
      await store.record({
        actor: 'user:default/bob',
        action: 'ml.notebook.create',
        targetRef: 'gpuquota:default/fraud-team-a',
        outcome: 'refused',
        details: { gpus: 9 },
        error: 'exceeds free GPUs (4)',
      });
      const second = await store.record({
        actor: 'user:default/ada',
        action: 'ml.model.promote',
        targetRef: 'model:default/fraud-detector',
        outcome: 'failed',
        details: {},
        error: 'registry unreachable',
      });

      const forModel = await store.list({
        targetRef: 'model:default/fraud-detector',
      });
      expect(forModel.map(e => e.id)).toEqual([second.id, first.id]);
      expect(forModel[1]).toEqual({
        id: first.id,
        occurredAt: first.occurredAt,
        actor: 'user:default/ada',
        action: 'ml.model.promote',
        targetRef: 'model:default/fraud-detector',
        outcome: 'succeeded',
        details: { alias: 'production', from: 'v3', to: 'v4' },
      });
      expect(forModel[0].error).toBe('registry unreachable');

      const refused = await store.list({ actor: 'user:default/bob' });
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({
        outcome: 'refused',
        details: { gpus: 9 },
      });
      expect(await store.list({ action: 'nothing.like.this' })).toEqual([]);
      expect(await store.list({ limit: 1 })).toHaveLength(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'filters by outcome and time range and pages with a cursor that new events do not shift, on %p',
    async databaseId => {
      const { knex, store } = await createStore(databaseId);
      const at = (iso: string) => new Date(iso);
      // Rows at known instants, two of them at the same instant.
      const rows = [
        ['2026-11-20T10:00:00.000Z', 'succeeded'],
        ['2026-11-21T10:00:00.000Z', 'refused'],
        ['2026-11-22T10:00:00.000Z', 'succeeded'],
        ['2026-11-22T10:00:00.000Z', 'failed'],
        ['2026-11-23T10:00:00.000Z', 'succeeded'],
      ] as const;
      for (const [occurredAt, outcome] of rows) {
        await knex('ml_audit_events').insert({
          occurred_at: at(occurredAt),
          actor: 'user:default/ada',
          action: 'ml.notebook.create',
          target_ref: 'notebook:a/fraud/nb',
          outcome,
          details: '{}',
        });
      }
      const all = await store.list();
      expect(all.map(e => [e.occurredAt, e.outcome])).toEqual([
        ['2026-11-23T10:00:00.000Z', 'succeeded'],
        ['2026-11-22T10:00:00.000Z', 'failed'],
        ['2026-11-22T10:00:00.000Z', 'succeeded'],
        ['2026-11-21T10:00:00.000Z', 'refused'],
        ['2026-11-20T10:00:00.000Z', 'succeeded'],
      ]);
      expect(
        (await store.list({ outcome: 'refused' })).map(e => e.occurredAt),
      ).toEqual(['2026-11-21T10:00:00.000Z']);
      expect(
        (
          await store.list({
            from: at('2026-11-21T10:00:00.000Z'),
            to: at('2026-11-23T10:00:00.000Z'),
          })
        ).map(e => e.id),
      ).toEqual([all[1].id, all[2].id, all[3].id]);

      const first = await store.page({ limit: 2 });
      expect(first.items.map(e => e.id)).toEqual([all[0].id, all[1].id]);
      await store.record({
        actor: 'user:default/bob',
        action: 'ml.model.promote',
        targetRef: 'model:default/m',
        outcome: 'succeeded',
        details: {},
      });
      const second = await store.page({ limit: 2, cursor: first.nextCursor });
      expect(second.items.map(e => e.id)).toEqual([all[2].id, all[3].id]);
      const last = await store.page({ limit: 2, cursor: second.nextCursor });
      expect(last.items.map(e => e.id)).toEqual([all[4].id]);
      expect(last.nextCursor).toBeUndefined();
      await expect(store.page({ cursor: 'bm9wZQ' })).rejects.toThrow(
        'Invalid query: cursor: not a cursor of this API',
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'migrates down cleanly on %p',
    async databaseId => {
      const { knex } = await createStore(databaseId);
      expect(await knex.schema.hasTable('ml_audit_events')).toBe(true);
      await knex.migrate.rollback(
        { directory: `${__dirname}/../../migrations` },
        true,
      );
      expect(await knex.schema.hasTable('ml_audit_events')).toBe(false);
    },
  );
});
