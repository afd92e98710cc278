import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { depositReachedDepthSignal } from '../../domain/messages';

const SIGNALS_AT_ONCE = 100;

/**
 * Tells each open deposit whose block the head has just brought to the required depth to check the
 * chain now. Deposits otherwise wake on their own timer, so a signal lost to a crash or a deposit
 * whose projection is not written yet only costs latency; that is also why failures are swallowed.
 */
export function createWakeDepositsAtDepth(pool: Pool, client: Client) {
  /** `fromBlock`..`toBlock`: the blocks a scan just added; returns how many deposits were woken. */
  return async function wakeDepositsAtDepth(
    network: string,
    confirmations: number,
    fromBlock: number,
    toBlock: number,
  ): Promise<number> {
    if (toBlock < fromBlock) return 0;
    // The head at toBlock gives a transfer in block b (toBlock - b + 1) confirmations.
    const due = await pool.query<{ id: string }>(
      `SELECT id FROM deposits
        WHERE network = $1 AND status IN ('detected', 'confirming') AND block_number BETWEEN $2 AND $3`,
      [network, fromBlock - confirmations + 1, toBlock - confirmations + 1],
    );
    let woken = 0;
    // In batches: a block can bring thousands of deposits to depth at once.
    for (let i = 0; i < due.rows.length; i += SIGNALS_AT_ONCE) {
      const batch = due.rows.slice(i, i + SIGNALS_AT_ONCE);
      const sent = await Promise.allSettled(batch.map((d) => client.workflow.getHandle(d.id).signal(depositReachedDepthSignal)));
      woken += sent.filter((s) => s.status === 'fulfilled').length;
    }
    return woken;
  };
}
