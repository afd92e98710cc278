import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconciliationInput } from '../domain/reconciliation';
import { differs, lastingMismatches } from '../domain/reconciliation-rules';

const { reconcileBalances, recordReconciliation } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * Started by the `reconciliation-<network>` schedule: sets every merchant's on-chain balances
 * against the ledger and raises `reconciliation.mismatch` for a difference that is still there on
 * a recheck. Returns how many it raised.
 */
export async function reconciliationWorkflow(input: ReconciliationInput): Promise<number> {
  const first = await reconcileBalances(input.network);
  let recheck = first;
  if (first.some(differs)) {
    await sleep(input.recheckAfterMs);
    recheck = await reconcileBalances(input.network);
  }
  return recordReconciliation({ runId: workflowInfo().workflowId, balances: lastingMismatches(first, recheck) });
}
