import { EventType } from '../domain/events';
import { isWithinToleranceBelow } from '../domain/money';
import type { DepositUpdate, InvoiceSnapshot } from '../domain/payments';

/**
 * The invoice's state transitions as pure functions: the workflow feeds them deposit updates and
 * the clock, and emits whatever events they return. Unit-tested without Temporal.
 */

const IN_FLIGHT = new Set(['detected', 'confirming']);

export function applyDepositUpdate(s: InvoiceSnapshot, u: DepositUpdate): InvoiceSnapshot {
  // Another coin sent to the invoice's address (native gas coin, a second token) is credited to the
  // merchant in its own currency but never counts towards this invoice: base units would not compare.
  if (u.currency !== s.currency) return s;
  const others = s.deposits.filter((d) => d.depositId !== u.depositId);
  const known = s.deposits.find((d) => d.depositId === u.depositId);
  // Updates can arrive out of order after a retry: a completed deposit never goes back in flight.
  // A failed one may: a reorged transfer that is mined again is detected by a new deposit run.
  if (known?.status === 'completed' && IN_FLIGHT.has(u.status)) return s;
  const deposits = [...others, { ...u, detectedAt: known?.detectedAt ?? u.detectedAt }];
  deposits.sort((a, b) => a.detectedAt.localeCompare(b.detectedAt) || a.depositId.localeCompare(b.depositId));
  return { ...s, deposits, ...sums(deposits), version: s.version + 1 };
}

function sums(deposits: DepositUpdate[]) {
  let received = 0n;
  let pending = 0n;
  for (const d of deposits) {
    if (d.status === 'completed') received += BigInt(d.amount);
    else if (IN_FLIGHT.has(d.status)) pending += BigInt(d.amount);
  }
  return { amountReceived: received.toString(), amountPending: pending.toString() };
}

export function hasDepositsInFlight(s: InvoiceSnapshot): boolean {
  return s.deposits.some((d) => IN_FLIGHT.has(d.status));
}

export interface Evaluation {
  snapshot: InvoiceSnapshot;
  events: EventType[];
}

/**
 * Decides the invoice's status at `now`. Paid means received ≥ amount less the merchant's tolerance.
 * A deposit mined before expiry (by its block's timestamp) counts as on time even if it confirms later; money that only
 * arrives after expiry makes the invoice `paid_late`, never lost.
 */
export interface EvaluateOptions {
  /**
   * An expired invoice whose on-time deposit is only reported after it expired (its deposit
   * workflow was slower than the expiry timer) becomes `underpaid`, as the chain says it is.
   */
  underpaidAfterExpiry?: boolean;
}

export function evaluate(s: InvoiceSnapshot, now: Date, options: EvaluateOptions = {}): Evaluation {
  const amount = BigInt(s.amount);
  const received = BigInt(s.amountReceived);
  const events: EventType[] = [];
  let next = s;
  const settled = s.status === 'paid' || s.status === 'overpaid';

  if (!settled && received > 0n && isWithinToleranceBelow(received, amount, s.underpaymentToleranceBps)) {
    const onTime = receivedOnTime(s);
    const status = received > amount ? 'overpaid' : 'paid';
    next = {
      ...s,
      status,
      paidAt: now.toISOString(),
      paidLate: !isWithinToleranceBelow(onTime, amount, s.underpaymentToleranceBps),
      version: s.version + 1,
    };
    events.push(EventType.invoicePaid);
    if (status === 'overpaid') events.push(EventType.invoiceOverpaid);
  } else if (s.status === 'paid' && received > amount) {
    next = { ...s, status: 'overpaid', version: s.version + 1 };
    events.push(EventType.invoiceOverpaid);
  } else if (s.status === 'pending' && now.toISOString() >= s.expiresAt && !hasOnTimeDepositsInFlight(s)) {
    const status = received > 0n ? 'underpaid' : 'expired';
    next = { ...s, status, version: s.version + 1 };
    events.push(status === 'underpaid' ? EventType.invoiceUnderpaid : EventType.invoiceExpired);
  } else if (options.underpaidAfterExpiry && s.status === 'expired' && receivedOnTime(s) > 0n) {
    next = { ...s, status: 'underpaid', version: s.version + 1 };
    events.push(EventType.invoiceUnderpaid);
  }
  return { snapshot: next, events };
}

function receivedOnTime(s: InvoiceSnapshot): bigint {
  return s.deposits
    .filter((d) => d.status === 'completed' && arrivedBy(d, s.expiresAt))
    .reduce((sum, d) => sum + BigInt(d.amount), 0n);
}

function hasOnTimeDepositsInFlight(s: InvoiceSnapshot): boolean {
  return s.deposits.some((d) => IN_FLIGHT.has(d.status) && arrivedBy(d, s.expiresAt));
}

/**
 * Whether a deposit arrived by `at`: the chain's time (its block's timestamp) decides, not when a
 * possibly lagging watcher saw it. Deposits recorded before block timestamps were carried fall back
 * to their detection time.
 */
function arrivedBy(d: DepositUpdate, at: string): boolean {
  return (d.blockTimestamp ?? d.detectedAt) <= at;
}
