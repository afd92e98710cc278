import { log } from '@temporalio/activity';
import type { Pool } from 'pg';
import { RECONCILIATION_MISMATCH, type ReconciledBalance } from '../../domain/reconciliation';
import { inTransaction } from '../db/pool';

/**
 * Keeps each balance's latest reconciliation (read by /metrics) and raises one operator event per
 * lasting difference, logged at error level too. `runId` makes a retry raise nothing twice.
 */
export function createRecordReconciliation(pool: Pool) {
  return async function recordReconciliation(input: { runId: string; balances: ReconciledBalance[] }): Promise<number> {
    let raised = 0;
    await inTransaction(pool, async (db) => {
      for (const b of input.balances) {
        await db.query(
          `INSERT INTO reconciliation_balances (network, merchant_id, currency, block_number, on_chain, expected, mismatch)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (network, merchant_id, currency) DO UPDATE SET block_number = excluded.block_number,
             on_chain = excluded.on_chain, expected = excluded.expected, mismatch = excluded.mismatch, checked_at = now()`,
          [b.network, b.merchantId, b.currency, b.blockNumber, b.onChain, b.expected, b.mismatch],
        );
        if (!b.mismatch) continue;
        const data = { ...b, difference: (BigInt(b.onChain) - BigInt(b.expected)).toString() };
        const inserted = await db.query(
          'INSERT INTO operator_events (id, type, data) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
          [`${input.runId}:${b.network}:${b.merchantId}:${b.currency}`, RECONCILIATION_MISMATCH, data],
        );
        if (inserted.rowCount) {
          raised++;
          log.error(RECONCILIATION_MISMATCH, data);
        }
      }
    });
    return raised;
  };
}
