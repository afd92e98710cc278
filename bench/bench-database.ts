import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { migrate } from '../activities/db/migrate';
import { createPool } from '../activities/db/pool';

/** A migrated database of its own on the stack's PostgreSQL, dropped by `drop()`. */
export async function benchDatabase(serverUrl: string): Promise<{ pool: Pool; drop(): Promise<void> }> {
  const admin = createPool(serverUrl, 1);
  const name = `settle_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 4);
  await migrate(pool);
  return {
    pool,
    async drop() {
      await pool.end();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
