import { ActivityFailure, ApplicationFailure, executeChild, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SweepPlan, WithdrawalInput, WithdrawalSnapshot } from '../domain/withdrawals';
import { SweepPlanFailure } from '../domain/withdrawal-objects';
import { withdrawalSweepsWorkflow } from './withdrawal-sweeps';

// Planning retries while the chain view catches up with the ledger, then gives up: nothing has
// been signed yet, so failing releases the reservation safely.
const { planSweep } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 12 },
});

/** How long a plan waits for other withdrawals' sweeps to release the addresses it needs. */
export const LEASE_WAIT_MS = 30_000;
export const MAX_LEASE_WAITS = 120;

const isLeaseWait = (err: unknown) =>
  err instanceof ActivityFailure &&
  err.cause instanceof ApplicationFailure &&
  err.cause.type === SweepPlanFailure.addressesLeased;

/**
 * Plans which deposit addresses give the money to the hot address (withdrawals and payouts alike).
 * While other withdrawals own the addresses holding it until their sweeps are mined, it waits for
 * them (unless `waitForLeases` is off, as in runs recorded before leases). Undefined when the
 * addresses do not hold what the ledger shows.
 */
export async function planFunds(w: WithdrawalInput, waitForLeases = true): Promise<SweepPlan | undefined> {
  for (let waits = 0; ; waits++) {
    try {
      return await planSweep(w);
    } catch (err) {
      if (waitForLeases && isLeaseWait(err) && waits < MAX_LEASE_WAITS) {
        await sleep(LEASE_WAIT_MS);
        continue;
      }
      return undefined;
    }
  }
}

/**
 * Runs a plan's sweeps in the child workflow `<this workflow's id>-sweeps`, so any number of them
 * fits; returns the hashes of those that reverted or can never be mined.
 */
export async function sweepToHotAddress(
  withdrawal: WithdrawalSnapshot,
  plan: SweepPlan,
  confirmations: number,
): Promise<string[]> {
  const swept = await executeChild(withdrawalSweepsWorkflow, {
    workflowId: `${workflowInfo().workflowId}-sweeps`,
    args: [{ withdrawal, hotAddress: plan.hotAddress, confirmations }],
  });
  return swept.failed;
}
