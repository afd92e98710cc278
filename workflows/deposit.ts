import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EventType } from '../domain/events';
import { depositSnapshotQuery, depositUpdatedSignal } from '../domain/messages';
import type { DepositInput, DepositSnapshot, DepositStatus } from '../domain/payments';
import { workflowIds } from '../domain/payments';
import { SA } from '../domain/search-attributes';
import { depositObject } from '../domain/serialize';

const { saveDeposit, creditDeposit, publishEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
// Chain reads retry with backoff for as long as the node is down: a deposit is never dropped
// because an RPC endpoint was unavailable.
const { verifyDeposit } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});

/** Type of the failure a deposit workflow ends with when a reorg removed its transfer. */
export const DEPOSIT_REORGED = 'DepositReorged';

/**
 * One deposit: detected → confirming → completed, or failed when a reorg removes it. Confirmation
 * waiting sleeps for the expected time to reach the required depth, then verifies on chain, so an
 * open deposit costs a timer, not a poll per block.
 */
export async function depositWorkflow(input: DepositInput): Promise<DepositSnapshot> {
  let state: DepositSnapshot = { ...input, status: 'detected', confirmations: 0, version: 1 };
  let sequence = 0;
  setHandler(depositSnapshotQuery, () => state);

  const transition = async (status: DepositStatus, event: EventType) => {
    state = { ...state, status, version: state.version + 1 };
    upsertSearchAttributes([{ key: SA.status, value: status }]);
    await saveDeposit(state);
    await notifyOwner();
    await publishEvent({
      merchantId: state.merchantId,
      livemode: state.livemode,
      type: event,
      objectType: 'deposit',
      objectId: state.id,
      sequence: ++sequence,
      lifecycleKey: workflowInfo().firstExecutionRunId,
      data: depositObject(state),
    });
  };

  const notifyOwner = async () => {
    if (state.ownerType !== 'invoice') return;
    try {
      await getExternalWorkflowHandle(workflowIds.invoice(state.ownerId)).signal(depositUpdatedSignal, {
        depositId: state.id,
        currency: state.currency,
        status: state.status,
        amount: state.amount,
        txHash: state.txHash,
        detectedAt: state.detectedAt,
      });
    } catch {
      // The invoice's monitoring window has closed: the deposit is still recorded and credited,
      // just no longer attributed to a running invoice.
    }
  };

  await transition('detected', 'deposit.detected');
  for (;;) {
    const check = await verifyDeposit(state);
    if (!check.canonical) {
      await transition('failed', 'deposit.failed');
      throw ApplicationFailure.nonRetryable(`transfer ${state.txHash} left the canonical chain`, DEPOSIT_REORGED);
    }
    state = { ...state, confirmations: check.confirmations, blockNumber: check.blockNumber, blockHash: check.blockHash };
    if (check.confirmations >= 1 && state.status === 'detected') await transition('confirming', 'deposit.confirming');
    if (check.confirmations >= state.requiredConfirmations) break;
    const remaining = state.requiredConfirmations - check.confirmations;
    await sleep(Math.max(remaining, 1) * state.blockTimeMs);
  }
  await creditDeposit(state);
  await transition('completed', 'deposit.completed');
  return state;
}
