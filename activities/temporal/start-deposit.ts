import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { depositSightedSignal } from '../../domain/messages';
import type { DepositInput } from '../../domain/payments';
import { SA } from '../../domain/search-attributes';
import { paymentTaskQueue } from '../../domain/task-queues';

/**
 * Starts a deposit's workflow once. A running one is signalled that the transfer was seen (so a run
 * that is just failing reopens instead of missing a re-mined transfer); a completed one is left
 * alone; one that failed (reorged out) starts again if the transfer reappears in the canonical chain.
 */
export function createStartDeposit(client: Client, baseTaskQueue: string) {
  return async function startDeposit(d: DepositInput): Promise<void> {
    try {
      await client.workflow.signalWithStart('depositWorkflow', {
        workflowId: d.id,
        taskQueue: paymentTaskQueue(baseTaskQueue, d.livemode),
        args: [d],
        signal: depositSightedSignal,
        signalArgs: [{ blockNumber: d.blockNumber, blockHash: d.blockHash }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        staticSummary: `${d.currency} deposit to ${d.to} on ${d.network}`,
        typedSearchAttributes: [
          { key: SA.merchantId, value: d.merchantId },
          { key: SA.network, value: d.network },
          { key: SA.txHash, value: d.txHash },
          { key: SA.status, value: 'detected' },
          { key: SA.livemode, value: d.livemode },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  };
}
