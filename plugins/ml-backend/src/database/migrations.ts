import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@mlplatform/plugin-ml-backend',
  'migrations',
);

// The stores share one database and one migrations directory: migrating
// once per client is enough, and concurrent `migrate.latest` calls on the
// same client would race for knex's migration lock.
const migrated = new WeakMap<Knex, Promise<void>>();

/**
 * The plugin's database client, migrated to the latest schema unless the
 * deployment migrates itself (`migrations.skip`, as in upstream
 * user-settings-backend). Every store of the plugin starts here.
 *
 * @internal
 */
export async function migratedClient(database: DatabaseService): Promise<Knex> {
  const client = await database.getClient();
  if (!database.migrations?.skip) {
    let done = migrated.get(client);
    if (!done) {
      done = client.migrate
        .latest({ directory: migrationsDir })
        .then(() => undefined);
      // A failed attempt is not remembered: the next store tries again.
      done.catch(() => migrated.delete(client));
      migrated.set(client, done);
    }
    await done;
  }
  return client;
}
