import type { Pool } from 'pg';
import type { DepositInput } from '../../domain/payments';

/** Records that the watcher saw a transfer to an invoice's address; idempotent across rescans. */
export async function recordSighting(pool: Pool, d: DepositInput): Promise<void> {
  if (d.ownerType !== 'invoice') return;
  await pool.query(
    `INSERT INTO deposit_sightings (deposit_id, invoice_id, currency, block_timestamp) VALUES ($1, $2, $3, $4)
     ON CONFLICT (deposit_id) DO NOTHING`,
    [d.id, d.ownerId, d.currency, d.blockTimestamp ?? null],
  );
}

/**
 * Transfers in the invoice's currency, mined by `at` (or of unknown time), that the watcher saw
 * but that are not among `known`: their deposit workflows have not told the invoice yet.
 */
export async function unreportedSightings(
  pool: Pool,
  input: { invoiceId: string; currency: string; at: string; known: string[] },
): Promise<string[]> {
  const rows = await pool.query<{ deposit_id: string }>(
    `SELECT deposit_id FROM deposit_sightings
      WHERE invoice_id = $1 AND currency = $2 AND (block_timestamp IS NULL OR block_timestamp <= $3)
        AND NOT (deposit_id = ANY($4::text[]))`,
    [input.invoiceId, input.currency, input.at, input.known],
  );
  return rows.rows.map((r) => r.deposit_id);
}
