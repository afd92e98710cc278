import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { lookupAddressOwners } from '../activities/chain/scan-blocks';
import { createMerchant } from '../activities/db/merchants';
import { benchDatabase } from './bench-database';
import type { BenchStack } from './dev-stack';
import { type BenchRow, ms, percentile, times } from './table';

/**
 * The chain watcher's lookup of a batch of transfer recipients among every watched address, as
 * the number of watched addresses grows. 50 of each 500-recipient batch are Settle's.
 */
export async function benchAddressLookup(stack: BenchStack, sizes: number[]): Promise<BenchRow[]> {
  const { pool, drop } = await benchDatabase(stack.databaseUrl.replace(/\/settle$/, '/postgres'));
  try {
    const merchant = await createMerchant(pool, { name: 'bench' });
    const p50s: number[] = [];
    let total = 0;
    for (const target of sizes) {
      await pool.query(
        `INSERT INTO addresses (network, address, merchant_id, livemode, derivation_index, owner_type, owner_id)
         SELECT 'bsc', '0x' || substr(md5(g::text || $4) || md5(g::text), 1, 40), $1, true, g, 'invoice', 'inv_' || g
         FROM generate_series($2::int, $3::int) g`,
        [merchant.id, total + 1, target, randomBytes(4).toString('hex')],
      );
      total = target;
      await pool.query('VACUUM ANALYZE addresses');
      const known = (await pool.query<{ address: string }>('SELECT address FROM addresses ORDER BY random() LIMIT 50')).rows.map(
        (r) => r.address,
      );
      const batch = [...known, ...Array.from({ length: 450 }, () => `0x${randomBytes(20).toString('hex')}`)];
      const timings: number[] = [];
      for (let i = 0; i < 100; i++) {
        const start = performance.now();
        const found = await lookupAddressOwners(pool, 'bsc', batch);
        timings.push(performance.now() - start);
        if (found.size !== known.length) throw new Error(`expected ${known.length} matches, got ${found.size}`);
      }
      p50s.push(percentile(timings, 50));
    }
    const first = p50s[0]!;
    const last = p50s[p50s.length - 1]!;
    return [
      {
        figure: `lookup of 500 recipients, ${label(sizes[0]!)} → ${label(sizes[sizes.length - 1]!)} addresses`,
        baseline: `${ms(first)} at ${label(sizes[0]!)}`,
        settle: `${ms(last)} at ${label(sizes[sizes.length - 1]!)}`,
        ratio: times(last / first),
        target: '≤ 1.10×',
        met: last / first <= 1.1,
        note: sizes.map((s, i) => `${label(s)}: ${ms(p50s[i]!)}`).join(', '),
      },
    ];
  } finally {
    await drop();
  }
}

const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));
