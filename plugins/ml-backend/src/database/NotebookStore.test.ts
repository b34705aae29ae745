import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { NotebookStore } from './NotebookStore';

jest.setTimeout(60_000);

describe('NotebookStore', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

  async function createStore(databaseId: TestDatabaseId) {
    const knex = await databases.init(databaseId);
    const store = await NotebookStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
    return { knex, store };
  }

  const spec = {
    image: 'jupyter/base:1',
    cpu: '1',
    memory: '2Gi',
    storage: '10Gi',
    gpus: 1,
    gpuResource: 'nvidia.com/gpu',
    backend: 'statefulset' as const,
  };

  it.each(databases.eachSupportedId())(
    'adds, finds, lists per creator and soft-deletes notebooks on %p',
    async databaseId => {
      const { store, knex } = await createStore(databaseId);
      const a = await store.add({
        cluster: 'gpu-a',
        namespace: 'fraud',
        name: 'nb1',
        createdBy: 'user:default/ada',
        team: 'group:default/fraud-team',
        spec: { ...spec, queue: 'fraud-queue' },
      });
      await store.add({
        cluster: 'gpu-b',
        namespace: 'nlp',
        name: 'nb2',
        createdBy: 'user:default/bob',
        spec,
      });
      expect(await store.get('gpu-a', 'fraud', 'nb1')).toEqual({
        id: a.id,
        cluster: 'gpu-a',
        namespace: 'fraud',
        name: 'nb1',
        createdBy: 'user:default/ada',
        team: 'group:default/fraud-team',
        spec: { ...spec, queue: 'fraud-queue' },
        createdAt: a.createdAt,
      });
      expect(
        (await store.list({ createdBy: 'user:default/ada' })).map(n => n.name),
      ).toEqual(['nb1']);
      expect((await store.list()).map(n => n.name)).toEqual(['nb1', 'nb2']);

      // The JupyterHub opt-out is kept with the record.
      await store.updateSpec(a.id, { ...spec, idlePolicy: 'exempt' });
      expect((await store.get('gpu-a', 'fraud', 'nb1'))?.spec).toEqual({
        ...spec,
        idlePolicy: 'exempt',
      });
      expect((await store.get('gpu-b', 'nlp', 'nb2'))?.spec).toEqual(spec);

      await store.markDeleted(a.id);
      expect(await store.get('gpu-a', 'fraud', 'nb1')).toBeUndefined();
      expect(await store.list({ createdBy: 'user:default/ada' })).toEqual([]);
      const [row] = await knex('ml_notebooks').where({ id: a.id });
      expect(row.deleted_at).toBeTruthy();
    },
  );

  it.each(databases.eachSupportedId())(
    'migrates down cleanly on %p',
    async databaseId => {
      const { knex } = await createStore(databaseId);
      expect(await knex.schema.hasTable('ml_notebooks')).toBe(true);
      await knex.migrate.rollback(
        { directory: `${__dirname}/../../migrations` },
        true,
      );
      expect(await knex.schema.hasTable('ml_notebooks')).toBe(false);
      expect(await knex.schema.hasTable('ml_gpu_reservations')).toBe(false);
      expect(await knex.schema.hasTable('ml_audit_events')).toBe(false);
    },
  );
});
