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
        action: 'model.promote',
        targetRef: 'model:default/fraud-detector',
        outcome: 'succeeded',
        details: { alias: 'production', from: 'v3', to: 'v4' },
      });
      await store.record({
        actor: 'user:default/bob',
        action: 'notebook.create',
        targetRef: 'gpuquota:default/fraud-team-a',
        outcome: 'refused',
        details: { gpus: 9 },
        error: 'exceeds free GPUs (4)',
      });
      const second = await store.record({
        actor: 'user:default/ada',
        action: 'model.promote',
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
        action: 'model.promote',
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
