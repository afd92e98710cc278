import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { migrate } from '../../activities/db/migrate';
import { createPool } from '../../activities/db/pool';

export interface TestDatabase {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own on the server DATABASE_URL points at. */
export async function createTestDatabase(serverUrl = process.env.DATABASE_URL!, prefix = 'settle_test'): Promise<TestDatabase> {
  const admin = new Pool({ connectionString: serverUrl, max: 1 });
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 10);
  await migrate(pool);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
