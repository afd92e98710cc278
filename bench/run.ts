import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { migrate } from '../activities/db/migrate';
import { createMerchant } from '../activities/db/merchants';
import { lookupAddressOwners } from '../activities/chain/scan-blocks';

/**
 * Speed targets, measured here and never in timed tests.
 *
 * Watcher matching: the chain watcher matches each scanned batch of transfer recipients against
 * all of Settle's addresses. Target: the lookup for a 500-recipient batch stays under 20 ms and
 * does not grow with the number of open addresses (10k → 200k).
 *
 *   DATABASE_URL=postgres://… npm run bench
 */
async function main(): Promise<void> {
  const admin = new Pool({ connectionString: process.env.DATABASE_URL });
  const db = `settle_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${db}`);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${db}`;
  const pool = new Pool({ connectionString: url.toString() });
  try {
    await migrate(pool);
    const merchant = await createMerchant(pool, { name: 'bench' });
    let total = 0;
    for (const target of [10_000, 50_000, 200_000]) {
      await pool.query(
        `INSERT INTO addresses (network, address, merchant_id, livemode, derivation_index, owner_type, owner_id)
         SELECT 'bsc', '0x' || substr(md5(random()::text) || md5(random()::text), 1, 40), $1, true, g, 'invoice', 'inv_' || g
         FROM generate_series($2::int, $3::int) g`,
        [merchant.id, total + 1, target],
      );
      total = target;
      await pool.query('ANALYZE addresses');
      const known = (await pool.query<{ address: string }>('SELECT address FROM addresses ORDER BY random() LIMIT 50')).rows.map(
        (r) => r.address,
      );
      const batch = [...known, ...Array.from({ length: 450 }, () => `0x${randomBytes(20).toString('hex')}`)];
      const times: number[] = [];
      for (let i = 0; i < 50; i++) {
        const start = performance.now();
        const found = await lookupAddressOwners(pool, 'bsc', batch);
        times.push(performance.now() - start);
        if (found.size !== known.length) throw new Error(`expected ${known.length} matches, got ${found.size}`);
      }
      times.sort((a, b) => a - b);
      const p50 = times[Math.floor(times.length / 2)]!;
      const p95 = times[Math.floor(times.length * 0.95)]!;
      console.log(
        `addresses=${total.toString().padStart(7)}  500-recipient lookup  p50=${p50.toFixed(2)} ms  p95=${p95.toFixed(2)} ms  ${p95 < 20 ? 'OK' : 'OVER TARGET'}`,
      );
    }
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE ${db} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
