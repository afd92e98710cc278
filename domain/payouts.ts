import { z } from 'zod';
import { fromBaseUnits } from './money';
import { BaseUnits } from './payments';
import { WithdrawalInput } from './withdrawals';

/**
 * A payout sends one transfer per item from the merchant's hot address, all paid from one
 * reservation: reserved → sweeping (only when the hot address lacks tokens) → sending → completed
 * (every item completed or failed), or failed before anything was sent, everything released.
 * `pending` (before the balance check) and `rejected` (nothing reserved) never leave the workflow
 * unless the API announced the payout first. A refund is a payout of one item linked to an invoice.
 */
export const PayoutStatus = z.enum(['pending', 'rejected', 'reserved', 'sweeping', 'sending', 'completed', 'failed']);
export type PayoutStatus = z.infer<typeof PayoutStatus>;

/** An item's transfer: signed and broadcast (`sent`), then `completed` once confirmed or `failed` (reverted, released). */
export const PayoutItemStatus = z.enum(['pending', 'sent', 'completed', 'failed']);
export type PayoutItemStatus = z.infer<typeof PayoutItemStatus>;

export const PayoutKind = z.enum(['payout', 'refund']);
export type PayoutKind = z.infer<typeof PayoutKind>;

export const PayoutItemInput = z.object({
  id: z.string(),
  amount: BaseUnits,
  /** EIP-55 checksummed recipient. */
  toAddress: z.string(),
  reference: z.string().nullable(),
});
export type PayoutItemInput = z.infer<typeof PayoutItemInput>;

/**
 * What the payout workflow is started with; everything it needs without reading config. A payout
 * draws on a balance as a withdrawal does (`amount` is the items' total), to many recipients.
 */
export const PayoutInput = WithdrawalInput.omit({ toAddress: true }).extend({
  kind: PayoutKind,
  /** The refunded invoice (refunds only). */
  invoiceId: z.string().nullable(),
  items: z.array(PayoutItemInput).min(1),
  /** Send-and-check rounds per workflow run before it continues as new (default 200; tests lower it). */
  roundsPerRun: z.number().int().positive().optional(),
});
export type PayoutInput = z.infer<typeof PayoutInput>;

export const PayoutSnapshot = PayoutInput.extend({
  status: PayoutStatus,
  failureReason: z.string().nullable(),
  completedAt: z.string().nullable(),
  version: z.number().int(),
});
export type PayoutSnapshot = z.infer<typeof PayoutSnapshot>;

/** An item as stored once the payout is reserved. */
export interface PayoutItemState extends PayoutItemInput {
  status: PayoutItemStatus;
  txHash: string | null;
  failureReason: string | null;
  completedAt: string | null;
}

/** Items before the reservation stored them: all still pending. */
export function pendingItems(items: PayoutItemInput[]): PayoutItemState[] {
  return items.map((i) => ({ ...i, status: 'pending', txHash: null, failureReason: null, completedAt: null }));
}

/** Why a payout was refused at reservation; the API maps each to a 400 code. */
export const PayoutRejection = z.enum(['insufficient_balance', 'refund_exceeds_received']);
export type PayoutRejection = z.infer<typeof PayoutRejection>;

/** Public JSON shape of one payout item (API responses and payout_item.* payloads). */
export function payoutItemObject(p: Pick<PayoutSnapshot, 'id' | 'livemode' | 'decimals'>, item: PayoutItemState) {
  return {
    id: item.id,
    object: 'payout_item' as const,
    payout_id: p.id,
    livemode: p.livemode,
    status: item.status,
    amount: fromBaseUnits(item.amount, p.decimals),
    to_address: item.toAddress,
    reference: item.reference,
    transaction_hash: item.txHash,
    failure_reason: item.failureReason,
    completed_at: item.completedAt,
  };
}
export type PayoutItemObject = ReturnType<typeof payoutItemObject>;

/** Public JSON shape of a payout with its items. */
export function payoutObject(s: PayoutSnapshot, items: PayoutItemState[]) {
  const count = (status: PayoutItemStatus) => items.filter((i) => i.status === status).length;
  return {
    ...payoutSummaryObject(s, { total: items.length, completed: count('completed'), failed: count('failed') }),
    items: items.map((i) => payoutItemObject(s, i)),
  };
}

/** Public JSON shape of a payout in lists: its items counted, not embedded. */
export function payoutSummaryObject(
  s: Omit<PayoutSnapshot, 'items'>,
  items: { total: number; completed: number; failed: number },
) {
  return {
    id: s.id,
    object: 'payout' as const,
    livemode: s.livemode,
    status: s.status,
    amount: fromBaseUnits(s.amount, s.decimals),
    currency: s.currency,
    network: s.network,
    item_count: items.total,
    items_completed: items.completed,
    items_failed: items.failed,
    failure_reason: s.failureReason,
    created_at: s.createdAt,
    completed_at: s.completedAt,
  };
}
export type PayoutObject = ReturnType<typeof payoutObject>;

/**
 * Public JSON shape of a refund: its one item's transfer, linked to the invoice. A refund whose
 * payout failed before sending is failed with the payout's reason.
 */
export function refundObject(s: PayoutSnapshot, items: PayoutItemState[]) {
  const item = items[0] ?? pendingItems(s.items)[0]!;
  const failed = s.status === 'failed' || s.status === 'rejected';
  return {
    id: s.id,
    object: 'refund' as const,
    invoice_id: s.invoiceId,
    livemode: s.livemode,
    status: failed ? ('failed' as const) : item.status,
    amount: fromBaseUnits(s.amount, s.decimals),
    currency: s.currency,
    network: s.network,
    to_address: item.toAddress,
    transaction_hash: item.txHash,
    failure_reason: item.failureReason ?? s.failureReason,
    created_at: s.createdAt,
    completed_at: item.completedAt,
  };
}
export type RefundObject = ReturnType<typeof refundObject>;

/** A payout without its items: what the per-batch activities need (keeps every call's payload small). */
export const PayoutRef = PayoutInput.omit({ items: true });
export type PayoutRef = z.infer<typeof PayoutRef>;

export { payoutAsWithdrawal, payoutRef } from './payout-refs';

/**
 * Whether an invoice's money may be sent back: it received more than asked (overpaid), too little
 * to complete (underpaid), arrived late, or arrived before the invoice expired unpaid.
 */
export function isRefundable(invoice: { status: string; paidLate: boolean; amountReceived: string }): boolean {
  if (BigInt(invoice.amountReceived) <= 0n) return false;
  return invoice.paidLate || ['overpaid', 'underpaid', 'expired'].includes(invoice.status);
}
