import { z } from 'zod';
import { BaseUnits } from './payments';

/**
 * One merchant's money in one currency on one network, as the chain holds it at `blockNumber`
 * (summed over every address of the merchant) and as the ledger says it should be.
 */
export const BalanceCheck = z.object({
  network: z.string(),
  merchantId: z.string(),
  currency: z.string(),
  blockNumber: z.number().int(),
  addresses: z.number().int(),
  onChain: BaseUnits,
  expected: BaseUnits,
});
export type BalanceCheck = z.infer<typeof BalanceCheck>;

/** What a reconciliation run reports: every check, and whether its difference held on the recheck. */
export const ReconciledBalance = BalanceCheck.extend({ mismatch: z.boolean() });
export type ReconciledBalance = z.infer<typeof ReconciledBalance>;

export const ReconciliationInput = z.object({
  network: z.string(),
  /** How long a difference must last before it is raised: long enough for transfers in flight to confirm. */
  recheckAfterMs: z.number().int().min(0),
});
export type ReconciliationInput = z.infer<typeof ReconciliationInput>;

/** The operator event a lasting difference raises. */
export const RECONCILIATION_MISMATCH = 'reconciliation.mismatch';

export interface LedgerPosition {
  /** The merchant's accounts that hold money on its addresses: available, reserved, and fees kept. */
  held: bigint;
  /** Settle's gas account (native coin only): funding put on hot addresses minus gas paid. */
  gas: bigint;
  /** Deposits on chain and not yet credited: still confirming. */
  confirmingIn: bigint;
  /** Withdrawals mined but not yet booked out: still confirming. */
  confirmingOut: bigint;
}

/**
 * What a merchant's addresses must hold on chain for the ledger to be right. Fees stay on the
 * merchant's addresses until Settle collects them, and gas coin is Settle's, so native coin adds
 * the gas account; transfers still confirming are on chain but not yet in the ledger.
 */
export function expectedOnChain(position: LedgerPosition, native: boolean): bigint {
  return position.held + (native ? position.gas : 0n) + position.confirmingIn - position.confirmingOut;
}

export { differs, lastingMismatches } from './reconciliation-rules';
