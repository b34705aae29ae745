import fs from 'node:fs';
import { describeIfBinary, serverBinaries } from './binaries';
import { isPortOpen } from './ports';
import { startPostgres } from './postgres';

// `pg` ships without types and @types/pg is not in the lockfile; this
// narrow local type covers what the test uses.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<{ rows: any[] }>;
  end(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Client } = require('pg') as {
  Client: new (config: { connectionString: string }) => PgClient;
};

describeIfBinary([serverBinaries.initdb, serverBinaries.postgres])(
  'startPostgres',
  () => {
    it('runs a throwaway cluster that is gone after stop', async () => {
      const pg = await startPostgres();
      try {
        expect(pg.connectionString).toBe(
          `postgresql://postgres@127.0.0.1:${pg.port}/postgres`,
        );
        const client = new Client({ connectionString: pg.connectionString });
        await client.connect();
        try {
          expect((await client.query('SELECT 1 AS one')).rows).toEqual([
            { one: 1 },
          ]);
          await client.query(
            'CREATE TABLE models (name text PRIMARY KEY, stage text)',
          );
          await client.query('INSERT INTO models VALUES ($1, $2)', [
            'fraud',
            'prod',
          ]);
          expect((await client.query('SELECT * FROM models')).rows).toEqual([
            { name: 'fraud', stage: 'prod' },
          ]);
        } finally {
          await client.end();
        }

        const dbUrl = await pg.createDatabase('isolated');
        const other = new Client({ connectionString: dbUrl });
        await other.connect();
        try {
          const { rows } = await other.query('SELECT current_database() AS db');
          expect(rows).toEqual([{ db: 'isolated' }]);
          // A fresh database does not see the other one's table.
          const tables = await other.query("SELECT to_regclass('models') AS t");
          expect(tables.rows).toEqual([{ t: null }]);
        } finally {
          await other.end();
        }
      } finally {
        await pg.stop();
      }
      expect(await isPortOpen(pg.port)).toBe(false);
      expect(fs.existsSync(pg.dataDir)).toBe(false);
    }, 40000);
  },
);
