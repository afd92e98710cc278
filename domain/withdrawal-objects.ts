// What the withdrawal workflows use of withdrawals at run time, free of zod like every module the
// workflows import: see test/workflow-bundle.test.ts.
import { fromBaseUnits } from './money';
import type { WithdrawalSnapshot } from './withdrawals';

/**
 * `failure_reason` of a withdrawal whose worst-case gas (sweeps, top-ups, transfer) exceeds the
 * network's `maxGasSpendPerWithdrawal`; it fails before anything is signed.
 */
export const GAS_POLICY_EXCEEDED = 'gas_policy_exceeded';

/** Error types of a sweep plan that cannot be made yet; both are retried, the workflow waits longer for leases. */
export const SweepPlanFailure = { shortfall: 'SweepShortfall', addressesLeased: 'AddressesLeased' } as const;

/** Public JSON shape of a withdrawal (API responses and webhook payloads). */
export function withdrawalObject(s: WithdrawalSnapshot) {
  return {
    id: s.id,
    object: 'withdrawal' as const,
    livemode: s.livemode,
    status: s.status,
    amount: fromBaseUnits(s.amount, s.decimals),
    currency: s.currency,
    network: s.network,
    to_address: s.toAddress,
    transaction_hash: s.txHash,
    failure_reason: s.failureReason,
    created_at: s.createdAt,
    completed_at: s.completedAt,
  };
}
export type WithdrawalObject = ReturnType<typeof withdrawalObject>;
