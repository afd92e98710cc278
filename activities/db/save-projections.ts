import type { Pool } from 'pg';
import type { DepositSnapshot, InvoiceSnapshot } from '../../domain/payments';

/**
 * Projections of workflow state for lists and filters. Writes carry the workflow's state version,
 * so a retried or delayed older write never overwrites a newer state. A deposit's versions restart
 * when its workflow is started again after a failure (a transfer reorged out and mined again), so
 * deposits compare (lifecycle, version): a newer lifecycle always wins.
 */
export function createSaveProjections(pool: Pool) {
  return {
    async saveInvoice(s: InvoiceSnapshot): Promise<void> {
      await pool.query(
        `INSERT INTO invoices (id, merchant_id, livemode, external_id, network, currency, amount, amount_received,
           deposit_address, status, paid_late, callback_url, metadata, expires_at, paid_at, created_at, version, snapshot)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
         ON CONFLICT (id) DO UPDATE SET amount_received = EXCLUDED.amount_received, status = EXCLUDED.status,
           paid_late = EXCLUDED.paid_late, paid_at = EXCLUDED.paid_at, version = EXCLUDED.version, snapshot = EXCLUDED.snapshot
         WHERE invoices.version < EXCLUDED.version`,
        [
          s.id,
          s.merchantId,
          s.livemode,
          s.externalId,
          s.network,
          s.currency,
          s.amount,
          s.amountReceived,
          (s.depositAddress ?? '').toLowerCase(),
          s.status,
          s.paidLate,
          s.callbackUrl,
          s.metadata,
          s.expiresAt,
          s.paidAt,
          s.createdAt,
          s.version,
          s,
        ],
      );
    },

    async saveDeposit(s: DepositSnapshot): Promise<void> {
      await pool.query(
        `INSERT INTO deposits (id, merchant_id, livemode, network, tx_hash, log_index, block_number, block_hash,
           from_address, to_address, currency, amount, status, confirmations, invoice_id, customer_id, detected_at, version, snapshot)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, confirmations = EXCLUDED.confirmations, snapshot = EXCLUDED.snapshot,
           block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, version = EXCLUDED.version, updated_at = now()
         WHERE (coalesce(deposits.snapshot->>'lifecycle', ''), deposits.version)
             < (coalesce(EXCLUDED.snapshot->>'lifecycle', ''), EXCLUDED.version)`,
        [
          s.id,
          s.merchantId,
          s.livemode,
          s.network,
          s.txHash,
          s.logIndex,
          s.blockNumber,
          s.blockHash,
          s.from.toLowerCase(),
          s.to.toLowerCase(),
          s.currency,
          s.amount,
          s.status,
          s.confirmations,
          s.ownerType === 'invoice' ? s.ownerId : null,
          s.ownerType === 'customer' ? s.ownerId : null,
          s.detectedAt,
          s.version,
          s,
        ],
      );
    },
  };
}
