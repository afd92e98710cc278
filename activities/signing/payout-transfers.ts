import type { Pool } from 'pg';
import type { PublishEventInput } from '../../domain/events';
import { type PayoutItemState, type PayoutRef, payoutAsWithdrawal, payoutItemObject } from '../../domain/payouts';
import type { SignedTxSummary, TxStatus } from '../../domain/withdrawals';
import { ITEM_COLUMNS, type ItemRow, itemState, payoutPosting, readPayoutItems } from '../db/payouts';
import { post } from '../db/ledger';
import { inTransaction } from '../db/pool';
import type { createWithdrawalStore } from '../db/withdrawals';
import { HOT_INDEX } from '../wallet/hot-wallet';
import type { createTransactionActivities } from './transactions';

/** Items signed and sent per activity call: bounded so one call finishes well within its timeout. */
const SEND_BATCH = 50;
/** Items checked per activity call. */
const CHECK_BATCH = 100;
/** Items checked (or announced) at once: receipts and events are independent of each other. */
const PARALLEL = 8;

/** Runs `task` over `items`, at most `limit` at a time. */
async function inParallel<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

const ITEM_EVENT = {
  sent: { type: 'payout_item.sent', sequence: 1 },
  completed: { type: 'payout_item.completed', sequence: 2 },
  failed: { type: 'payout_item.failed', sequence: 2 },
} as const;

type Transactions = ReturnType<typeof createTransactionActivities>;
type GasBooking = ReturnType<typeof createWithdrawalStore>['recordGasSpent'];

/** The purpose (and so the single nonce) of an item's transfer. */
export const itemPurpose = (itemId: string) => `payout-item:${itemId}:transfer`;

/**
 * The item transfers of a payout, in batches so the workflow's history stays small whatever the
 * number of items: each item's transfer is signed once from the hot address (Settle's nonce
 * sequence for that address, in item order) and stored before it is sent, then checked until it is
 * confirmed (completed) or reverted (failed, its amount released). Every status change is
 * announced (`payout_item.*`) after it is stored; `announced` lets a retry finish an announcement
 * a crash interrupted, and the event ids are derived, so none is published twice.
 */
export function createPayoutTransfers(
  pool: Pool,
  tx: Transactions,
  recordGasSpent: GasBooking,
  publishEvent: (input: PublishEventInput) => Promise<string>,
) {
  const hotSigner = (p: PayoutRef) => ({ merchantId: p.merchantId, livemode: p.livemode, index: HOT_INDEX });

  async function announce(p: PayoutRef, item: PayoutItemState): Promise<void> {
    if (item.status === 'pending') return;
    // A refund is announced as a whole (refund.*), not item by item.
    if (p.kind === 'payout') {
      const event = ITEM_EVENT[item.status];
      await publishEvent({
        merchantId: p.merchantId,
        livemode: p.livemode,
        type: event.type,
        objectType: 'payout_item',
        objectId: item.id,
        sequence: event.sequence,
        data: payoutItemObject(p, item),
      });
    }
    await pool.query('UPDATE payout_items SET announced = $2 WHERE id = $1', [item.id, item.status]);
  }

  async function announcePending(p: PayoutRef): Promise<void> {
    const rows = await pool.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM payout_items
       WHERE payout_id = $1 AND status <> 'pending' AND announced IS DISTINCT FROM status ORDER BY position`,
      [p.id],
    );
    await inParallel(rows.rows, PARALLEL, (row) => announce(p, itemState(row)));
  }

  /** Signs and broadcasts the next batch of pending items; returns how many are still pending. */
  async function sendPayoutItems(p: PayoutRef): Promise<{ pending: number }> {
    await announcePending(p);
    const batch = await pool.query<{ id: string; amount: string; to_address: string }>(
      `SELECT id, amount::text, to_address FROM payout_items WHERE payout_id = $1 AND status = 'pending'
       ORDER BY position LIMIT $2`,
      [p.id, SEND_BATCH],
    );
    const sent: PayoutItemState[] = [];
    // One after another: each signature takes the hot address's next nonce, in item order.
    for (const item of batch.rows) {
      const purpose = itemPurpose(item.id);
      const signed: SignedTxSummary = await tx.signTransaction({
        purpose,
        network: p.network,
        signer: hotSigner(p),
        ...(p.contract
          ? { to: p.contract, tokenTransfer: { recipient: item.to_address, amount: item.amount } }
          : { to: item.to_address, value: item.amount }),
      });
      await tx.broadcastTransaction(purpose);
      const updated = await pool.query<ItemRow>(
        `UPDATE payout_items SET status = 'sent', tx_hash = $2, updated_at = now() WHERE id = $1 AND status = 'pending'
         RETURNING ${ITEM_COLUMNS}`,
        [item.id, signed.hash],
      );
      if (updated.rows[0]) sent.push(itemState(updated.rows[0]));
    }
    await inParallel(sent, PARALLEL, (item) => announce(p, item));
    const left = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM payout_items WHERE payout_id = $1 AND status = 'pending'`,
      [p.id],
    );
    return { pending: left.rows[0]!.n };
  }

  /**
   * Checks the sent items: a transfer confirmed `requiredConfirmations` deep completes its item
   * (reserved → sent to the chain, gas booked), a reverted one fails it and releases its amount,
   * and one whose newest attempt is older than `stuckAfterMs` is offered to replaceTransaction
   * (which reprices only an underpriced transaction). Returns how many items are not final yet.
   */
  async function settlePayoutItems(p: PayoutRef): Promise<{ open: number; completed: number; failed: number }> {
    await announcePending(p);
    const sent = await pool.query<{ id: string; amount: string; stuck: boolean }>(
      `SELECT i.id, i.amount::text,
         (SELECT max(created_at) FROM signed_transactions WHERE purpose = 'payout-item:' || i.id || ':transfer')
           < now() - make_interval(secs => $2::double precision / 1000) AS stuck
       FROM payout_items i WHERE i.payout_id = $1 AND i.status = 'sent' ORDER BY i.position LIMIT $3`,
      [p.id, p.stuckAfterMs, CHECK_BATCH],
    );
    await inParallel(sent.rows, PARALLEL, async (item) => {
      const purpose = itemPurpose(item.id);
      const status: TxStatus = await tx.checkTransaction(purpose);
      if (!status.mined) {
        if (item.stuck) await tx.replaceTransaction({ purpose, signer: hotSigner(p) });
        return;
      }
      if (status.confirmations < p.requiredConfirmations) return;
      await recordGasSpent({ purpose, withdrawal: payoutAsWithdrawal(p), nativeSymbol: p.nativeSymbol, gasCost: status.gasCost });
      const settled = await inTransaction(pool, async (db) => {
        const row = await db.query<ItemRow>(
          `SELECT ${ITEM_COLUMNS}
           FROM payout_items WHERE id = $1 FOR UPDATE`,
          [item.id],
        );
        if (row.rows[0]?.status !== 'sent') return undefined;
        await post(db, payoutPosting(p, status.success ? 'complete' : 'release', BigInt(item.amount), item.id));
        const updated = await db.query<ItemRow>(
          `UPDATE payout_items SET status = $2, tx_hash = $3, failure_reason = $4, updated_at = now(),
             completed_at = CASE WHEN $2 = 'completed' THEN now() END
           WHERE id = $1
           RETURNING ${ITEM_COLUMNS}`,
          [
            item.id,
            status.success ? 'completed' : 'failed',
            status.hash,
            status.success ? null : `transfer ${status.hash} reverted`,
          ],
        );
        return itemState(updated.rows[0]!);
      });
      if (settled) await announce(p, settled);
    });
    const items = await readPayoutItems(pool, p.id);
    const count = (s: PayoutItemState['status'][]) => items.filter((i) => s.includes(i.status)).length;
    return { open: count(['pending', 'sent']), completed: count(['completed']), failed: count(['failed']) };
  }

  return { sendPayoutItems, settlePayoutItems };
}
