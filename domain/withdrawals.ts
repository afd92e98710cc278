import { z } from 'zod';
import { BaseUnits } from './payments';

export { GAS_POLICY_EXCEEDED, SweepPlanFailure, type WithdrawalObject, withdrawalObject } from './withdrawal-objects';

/**
 * A withdrawal moves tokens from the merchant's hot address to an external address:
 * reserved → sweeping (only when the hot address lacks tokens) → signing → broadcast → confirming
 * → completed, or failed with the reservation released. `pending` (before the balance check) and
 * `rejected` (insufficient balance: nothing was written) never leave the workflow.
 */
export const WithdrawalStatus = z.enum([
  'pending',
  'rejected',
  'reserved',
  'sweeping',
  'signing',
  'broadcast',
  'confirming',
  'completed',
  'failed',
]);
export type WithdrawalStatus = z.infer<typeof WithdrawalStatus>;

/** What the withdrawal workflow is started with; everything it needs without reading config. */
export const WithdrawalInput = z.object({
  id: z.string(),
  merchantId: z.string(),
  livemode: z.boolean(),
  network: z.string(),
  currency: z.string(),
  /** Token contract (lower case), or null for the network's native coin. */
  contract: z.string().nullable(),
  decimals: z.number().int(),
  amount: BaseUnits,
  /** Symbol of the network's native coin, the currency gas is booked in. */
  nativeSymbol: z.string(),
  /** EIP-55 checksummed recipient. */
  toAddress: z.string(),
  createdAt: z.string(),
  requiredConfirmations: z.number().int().min(1),
  blockTimeMs: z.number().int().positive(),
  /** An unmined transaction older than this is re-signed with the same nonce and higher fees. */
  stuckAfterMs: z.number().int().positive(),
  /** Hash of the creating request, so a reused Idempotency-Key with a different body is refused. */
  requestFingerprint: z.string(),
});
export type WithdrawalInput = z.infer<typeof WithdrawalInput>;

export const WithdrawalSnapshot = WithdrawalInput.extend({
  status: WithdrawalStatus,
  txHash: z.string().nullable(),
  failureReason: z.string().nullable(),
  completedAt: z.string().nullable(),
  version: z.number().int(),
});
export type WithdrawalSnapshot = z.infer<typeof WithdrawalSnapshot>;

/** A transaction as the signing activities report it; amounts are base-unit strings. */
export interface SignedTxSummary {
  purpose: string;
  hash: string;
  from: string;
  nonce: number;
  attempt: number;
  /** gas limit × max fee per gas + value: what the sender must hold for the transaction to be accepted. */
  maxCost: string;
  /** gas limit × max fee per gas: the most its gas can cost (absent in results recorded by older workers). */
  maxGasCost?: string;
}

export type TxStatus =
  | { mined: false; attempts: number }
  | { mined: true; hash: string; success: boolean; blockNumber: number; confirmations: number; gasCost: string };

/**
 * Why a transaction Settle will not reprice is still not mined, as the chain tells it. `nonce_taken`
 * is the only answer that cannot change: another transaction used its nonce, so it can never be
 * mined. `gas_policy`: it is underpriced, and the network's fee ceiling or the withdrawal's gas cap
 * forbids offering more.
 */
export const StuckReason = {
  waiting: 'waiting',
  unfunded: 'unfunded',
  nonceGap: 'nonce_gap',
  nonceTaken: 'nonce_taken',
  gasPolicy: 'gas_policy',
} as const;
export type StuckReason = (typeof StuckReason)[keyof typeof StuckReason];

export type TxDiagnosis =
  | { mined: true }
  | {
      mined: false;
      reason: StuckReason;
      /** The sender, whose balance or lower nonce holds the transaction back. */
      address: string;
      /** Native base units the sender holds, and what its pending transactions may cost at most. */
      balance: string;
      required: string;
      nonce: number;
      /** The sender's next nonce on chain (mined transactions only). */
      chainNonce: number;
    };

export interface PlannedSweep {
  id: string;
  from: string;
  derivationIndex: number;
  amount: string;
}

export interface SweepPlan {
  hotAddress: string;
  sweeps: PlannedSweep[];
}
