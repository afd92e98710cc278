import type { Pool } from 'pg';
import { unreportedSightings } from '../db/deposit-sightings';
import type { ChainProviders } from './providers';

export interface ChainScannedPastInput {
  network: string;
  at: string;
  /** The asking invoice, its currency and the deposits it has heard of (absent from older workflow code). */
  invoice?: { id: string; currency: string; known: string[] };
}

/**
 * Whether the chain watcher has read every block up to time `at` on a network: it stored a block
 * timestamped at or after `at`, or it has caught up with the node's head. An invoice asks before
 * expiring, so a payment mined in time but not yet read cannot turn it expired. A node that does
 * not answer means "not yet"; a network nobody watches has nothing to wait for. A transfer the
 * watcher saw in time whose deposit has not reported to the invoice yet also means "not yet".
 *
 * No cursor saved means either nobody watches the network or its watcher has not read the chain
 * once yet (a node dark since the deployment started): only the first is "scanned".
 */
export function createChainScannedPast(
  pool: Pool,
  chains: ChainProviders,
  watcherRunning: (network: string) => Promise<boolean>,
) {
  return async function chainScannedPast(input: ChainScannedPastInput): Promise<boolean> {
    if (input.invoice) {
      const unreported = await unreportedSightings(pool, {
        invoiceId: input.invoice.id,
        currency: input.invoice.currency,
        known: input.invoice.known,
        at: input.at,
      });
      if (unreported.length) return false;
    }
    const stored = await pool.query('SELECT 1 FROM chain_blocks WHERE network = $1 AND timestamp >= $2 LIMIT 1', [
      input.network,
      input.at,
    ]);
    if (stored.rowCount) return true;
    const cursor = await pool.query<{ next_block: string }>('SELECT next_block FROM chain_cursors WHERE network = $1', [
      input.network,
    ]);
    if (!cursor.rows[0]) return !(await watcherRunning(input.network));
    try {
      return Number(cursor.rows[0].next_block) > (await chains.get(input.network).getBlockNumber());
    } catch {
      return false;
    }
  };
}
