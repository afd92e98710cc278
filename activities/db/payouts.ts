import type { Pool, PoolClient } from 'pg';
import type { EventType, PublishEventInput } from '../../domain/events';
import {
  type PayoutInput,
  type PayoutItemState,
  type PayoutRef,
  type PayoutRejection,
  type PayoutSnapshot,
  payoutObject,
  refundObject,
} from '../../domain/payouts';
import { Account, post } from './ledger';
import { inTransaction } from './pool';
import { abandonPlan, availableBalance, balanceLockKey, settlePlan } from './withdrawals';

/** The columns itemState reads, for every query that returns items. */
export const ITEM_COLUMNS = 'id, amount::text, to_address, reference, status, tx_hash, failure_reason, completed_at';

export interface ItemRow {
  id: string;
  amount: string;
  to_address: string;
  reference: string | null;
  status: PayoutItemState['status'];
  tx_hash: string | null;
  failure_reason: string | null;
  completed_at: Date | null;
}

export function itemState(r: ItemRow): PayoutItemState {
  return {
    id: r.id,
    amount: r.amount,
    toAddress: r.to_address,
    reference: r.reference,
    status: r.status,
    txHash: r.tx_hash,
    failureReason: r.failure_reason,
    completedAt: r.completed_at?.toISOString() ?? null,
  };
}

/** The stored items of a payout in order; empty before its reservation. */
export async function readPayoutItems(db: Pool | PoolClient, payoutId: string): Promise<PayoutItemState[]> {
  const rows = await db.query<ItemRow>(
    `SELECT ${ITEM_COLUMNS}
     FROM payout_items WHERE payout_id = $1 ORDER BY position`,
    [payoutId],
  );
  return rows.rows.map(itemState);
}

const PAYOUT_MOVES: Record<'reserve' | 'complete' | 'release', [Account, Account]> = {
  reserve: [Account.available, Account.reserved],
  complete: [Account.reserved, Account.chainOutflow],
  release: [Account.reserved, Account.available],
};

/**
 * The ledger postings of a payout: `reserve` (available → reserved, the total) once, then per item
 * `complete` (reserved → sent to the chain) or `release` (reserved → available). Their ids derive
 * from the payout or item, so each happens at most once.
 */
export function payoutPosting(p: PayoutRef, step: 'reserve' | 'complete' | 'release', amount: bigint, itemId?: string) {
  const [from, to] = PAYOUT_MOVES[step];
  return {
    txnId: itemId ? `payout-item:${itemId}:${step}` : `payout:${p.id}:${step}`,
    merchantId: p.merchantId,
    livemode: p.livemode,
    network: p.network,
    currency: p.currency,
    refType: p.kind,
    refId: p.id,
    entries: [
      { account: from, amount: -amount },
      { account: to, amount },
    ],
  };
}

/** Reservation, projection and payout-level events of the payout workflow. */
export function createPayoutStore(pool: Pool, publishEvent: (input: PublishEventInput) => Promise<string>) {
  /**
   * Reserves the total against the available balance and stores the payout with its items, in one
   * transaction under the balance's lock. A refund also takes its invoice's lock and is refused when
   * it and every refund not failed would return more than the invoice received.
   */
  async function reservePayout(p: PayoutInput): Promise<{ reserved: true } | { reserved: false; reason: PayoutRejection }> {
    return inTransaction(pool, async (db) => {
      if (p.invoiceId) await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`refunds:${p.invoiceId}`]);
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [balanceLockKey(p)]);
      const done = await db.query('SELECT 1 FROM ledger_entries WHERE txn_id = $1 LIMIT 1', [`payout:${p.id}:reserve`]);
      if (done.rowCount) return { reserved: true };
      const amount = BigInt(p.amount);
      const refusal =
        p.invoiceId && (await refundableLeft(db, p.invoiceId, p.network, p.currency)) < amount
          ? 'refund_exceeds_received'
          : (await availableBalance(db, p)) < amount
            ? 'insufficient_balance'
            : undefined;
      if (refusal) {
        // Only a payout the API already announced as pending (a 202) is kept, as rejected.
        await db.query(
          `UPDATE payouts SET status = 'rejected', version = 2, updated_at = now(),
             snapshot = snapshot || jsonb_build_object('status', 'rejected', 'failureReason', $2::text, 'version', 2)
           WHERE id = $1 AND version < 2`,
          [p.id, refusal],
        );
        return { reserved: false, reason: refusal };
      }
      await post(db, payoutPosting(p, 'reserve', amount));
      await savePayoutProjection(db, { ...p, status: 'reserved', failureReason: null, completedAt: null, version: 2 });
      for (const [position, item] of p.items.entries()) {
        await db.query(
          `INSERT INTO payout_items (id, payout_id, position, amount, to_address, reference, status)
           VALUES ($1, $2, $3, $4, $5, $6, 'pending')`,
          [item.id, p.id, position, item.amount, item.toAddress, item.reference],
        );
      }
      return { reserved: true };
    });
  }

  async function savePayout(s: PayoutSnapshot): Promise<void> {
    await savePayoutProjection(pool, s);
  }

  /** Publishes a payout-level event with the payout (or refund) as it is stored, items included. */
  async function announcePayout(input: { snapshot: PayoutSnapshot; type: EventType; sequence: number }): Promise<void> {
    const s = input.snapshot;
    const items = await readPayoutItems(pool, s.id);
    await publishEvent({
      merchantId: s.merchantId,
      livemode: s.livemode,
      type: input.type,
      objectType: s.kind,
      objectId: s.id,
      sequence: input.sequence,
      data: s.kind === 'refund' ? refundObject(s, items) : payoutObject(s, items),
    });
  }

  /**
   * Nothing was sent (the sweeps failed): every item not yet sent fails with the reason and its
   * amount is released, each exactly once.
   */
  async function failUnsentItems(input: { payout: PayoutRef; reason: string }): Promise<void> {
    await inTransaction(pool, async (db) => {
      const open = await db.query<{ id: string; amount: string }>(
        `SELECT id, amount::text FROM payout_items WHERE payout_id = $1 AND status = 'pending' ORDER BY position FOR UPDATE`,
        [input.payout.id],
      );
      for (const item of open.rows) {
        await post(db, payoutPosting(input.payout, 'release', BigInt(item.amount), item.id));
        await db.query(`UPDATE payout_items SET status = 'failed', failure_reason = $2, updated_at = now() WHERE id = $1`, [
          item.id,
          input.reason,
        ]);
      }
    });
  }

  /**
   * Every item is final, or (`gathered` false) the funds could not be gathered: the hot address owes
   * the payout nothing more, and its sweep plan is settled or abandoned as a withdrawal's is.
   */
  async function settlePayoutPlan(input: { payoutId: string; gathered: boolean }): Promise<void> {
    await inTransaction(pool, (db) => (input.gathered ? settlePlan : abandonPlan)(db, input.payoutId));
  }

  return { reservePayout, savePayout, announcePayout, failUnsentItems, settlePayoutPlan };
}

/** What an invoice received in its own currency (completed deposits) minus every refund not failed. */
async function refundableLeft(db: PoolClient, invoiceId: string, network: string, currency: string): Promise<bigint> {
  const row = await db.query<{ left: string }>(
    `SELECT (coalesce((SELECT sum(amount) FROM deposits
                       WHERE invoice_id = $1 AND network = $2 AND currency = $3 AND status = 'completed'), 0)
           - coalesce((SELECT sum(i.amount) FROM payout_items i JOIN payouts p ON p.id = i.payout_id
                       WHERE p.invoice_id = $1 AND i.status <> 'failed'), 0))::text AS left`,
    [invoiceId, network, currency],
  );
  return BigInt(row.rows[0]!.left);
}

/** Writes the payout's row unless a newer version is stored; items live in payout_items. */
export async function savePayoutProjection(db: Pool | PoolClient, s: PayoutSnapshot): Promise<void> {
  await db.query(
    `INSERT INTO payouts (id, merchant_id, livemode, kind, invoice_id, network, currency, amount, status, created_at, version, snapshot)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version, snapshot = EXCLUDED.snapshot,
       updated_at = now()
     WHERE payouts.version < EXCLUDED.version`,
    [s.id, s.merchantId, s.livemode, s.kind, s.invoiceId, s.network, s.currency, s.amount, s.status, s.createdAt, s.version, s],
  );
}
