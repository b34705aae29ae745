import { TestDatabases } from '@backstage/backend-test-utils';
import { migratedClient } from './migrations';

jest.setTimeout(60_000);

describe('migratedClient', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it('creates the tables of every store', async () => {
    const knex = await databases.init('SQLITE_3');
    const database = {
      getClient: async () => knex,
      migrations: { skip: false },
    };
    const [a, b] = await Promise.all([
      migratedClient(database),
      migratedClient(database),
    ]);
    expect(a).toBe(knex);
    expect(b).toBe(knex);
    for (const table of [
      'ml_audit_events',
      'ml_notebooks',
      'ml_alert_actions',
      'ml_gpu_reservations',
      'ml_queue_admissions',
    ]) {
      expect(await knex.schema.hasTable(table)).toBe(true);
    }
  });

  it('leaves the schema alone when migrations.skip is set', async () => {
    const knex = await databases.init('SQLITE_3');
    await migratedClient({
      getClient: async () => knex,
      migrations: { skip: true },
    });
    expect(await knex.schema.hasTable('ml_audit_events')).toBe(false);
  });
});
