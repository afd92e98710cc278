import type { Pool } from 'pg';
import type { ChainProviders } from './providers';

/**
 * Whether the chain watcher has read every block up to time `at` on a network: it stored a block
 * timestamped at or after `at`, or it has caught up with the node's head. An invoice asks before
 * expiring, so a payment mined in time but not yet read cannot turn it expired. A node that does
 * not answer means "not yet"; a network nobody watches has nothing to wait for.
 */
export function createChainScannedPast(pool: Pool, chains: ChainProviders) {
  return async function chainScannedPast(input: { network: string; at: string }): Promise<boolean> {
    const stored = await pool.query('SELECT 1 FROM chain_blocks WHERE network = $1 AND timestamp >= $2 LIMIT 1', [
      input.network,
      input.at,
    ]);
    if (stored.rowCount) return true;
    const cursor = await pool.query<{ next_block: string }>('SELECT next_block FROM chain_cursors WHERE network = $1', [
      input.network,
    ]);
    if (!cursor.rows[0]) return true;
    try {
      return Number(cursor.rows[0].next_block) > (await chains.get(input.network).getBlockNumber());
    } catch {
      return false;
    }
  };
}
