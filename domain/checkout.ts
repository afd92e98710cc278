import { isWithinToleranceBelow } from './money';
import type { InvoiceSnapshot } from './payments';

/**
 * What the hosted checkout page shows, as pure functions of the invoice snapshot: the same
 * snapshot `GET /v1/invoices/{id}` returns, so the page and the API can never disagree.
 */

export const CheckoutPhase = {
  waiting: 'waiting',
  partiallyPaid: 'partially_paid',
  confirming: 'confirming',
  paid: 'paid',
  paidLate: 'paid_late',
  expired: 'expired',
  underpaid: 'underpaid',
} as const;
export type CheckoutPhase = (typeof CheckoutPhase)[keyof typeof CheckoutPhase];

/** Phases after which nothing the shopper does changes the outcome. */
export const FINAL_PHASES: ReadonlySet<CheckoutPhase> = new Set(['paid', 'paid_late', 'expired', 'underpaid']);

export function checkoutPhase(s: InvoiceSnapshot): CheckoutPhase {
  if (s.status === 'paid' || s.status === 'overpaid') return s.paidLate ? 'paid_late' : 'paid';
  if (s.status === 'expired') return 'expired';
  if (s.status === 'underpaid') return 'underpaid';
  const inFlightOrReceived = BigInt(s.amountReceived) + BigInt(s.amountPending);
  if (inFlightOrReceived === 0n) return 'waiting';
  // Enough is on its way: only confirmations are missing, the shopper has nothing more to send.
  if (isWithinToleranceBelow(inFlightOrReceived, BigInt(s.amount), s.underpaymentToleranceBps)) return 'confirming';
  return 'partially_paid';
}

/** Base units the shopper still has to send: the amount less what is received or on its way. */
export function amountDue(s: InvoiceSnapshot): bigint {
  const due = BigInt(s.amount) - BigInt(s.amountReceived) - BigInt(s.amountPending);
  return due > 0n ? due : 0n;
}

/**
 * EIP-681 payment request a mobile wallet pre-fills from: a token transfer call, or a plain value
 * transfer for the native coin. Addresses are passed checksummed; amounts are base units.
 */
export function paymentUri(p: { chainId: number; contract: string | null; to: string; amount: bigint }): string {
  return p.contract
    ? `ethereum:${p.contract}@${p.chainId}/transfer?address=${p.to}&uint256=${p.amount}`
    : `ethereum:${p.to}@${p.chainId}?value=${p.amount}`;
}
