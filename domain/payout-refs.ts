// Free of zod, like every module the workflows import at run time: see test/workflow-bundle.test.ts.
// The key lists are checked against the schemas' types, so a field added there must be added here.
import type { PayoutInput, PayoutRef } from './payouts';
import type { WithdrawalInput } from './withdrawals';

/** A withdrawal's fields besides its recipient: what a payout has of a withdrawal. */
const SHARED_KEYS = {
  id: true,
  merchantId: true,
  livemode: true,
  network: true,
  currency: true,
  contract: true,
  decimals: true,
  amount: true,
  nativeSymbol: true,
  createdAt: true,
  requiredConfirmations: true,
  blockTimeMs: true,
  stuckAfterMs: true,
  requestFingerprint: true,
} as const satisfies Record<Exclude<keyof WithdrawalInput, 'toAddress'>, true>;

const WITHDRAWAL_KEYS = { ...SHARED_KEYS, toAddress: true } as const satisfies Record<keyof WithdrawalInput, true>;
const PAYOUT_REF_KEYS = {
  ...SHARED_KEYS,
  kind: true,
  invoiceId: true,
  roundsPerRun: true,
} as const satisfies Record<keyof PayoutRef, true>;

/** The named fields of `source` that are set, in the order the keys name them. */
function pick<T extends object, K extends keyof T>(source: T, keys: Record<K, true>): Pick<T, K> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of Object.keys(keys) as K[]) if (source[key] !== undefined) picked[key] = source[key];
  return picked as Pick<T, K>;
}

/** A payout without its items: what the per-batch activities need (keeps every call's payload small). */
export function payoutRef(input: PayoutInput): PayoutRef {
  return pick(input, PAYOUT_REF_KEYS);
}

/**
 * The balance movement a payout shares with withdrawals: sweep planning gathers `amount` on the hot
 * address for this id, and gas is booked against it.
 */
export function payoutAsWithdrawal(p: PayoutRef): WithdrawalInput {
  return pick({ ...p, toAddress: '' }, WITHDRAWAL_KEYS);
}
