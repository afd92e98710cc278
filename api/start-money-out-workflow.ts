import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { SA } from '../domain/search-attributes';
import { paymentTaskQueue } from '../domain/task-queues';
import type { AuthContext } from './auth';
import type { ApiDeps } from './deps';

/**
 * Starts a workflow that moves money out (a withdrawal, a payout, a refund) at most once per id:
 * a running one is joined, and a closed one is never started again. Returns whether it had already
 * closed (then its result, not an update, tells what it decided).
 */
export async function startMoneyOutWorkflow(
  deps: ApiDeps,
  auth: AuthContext,
  start: { workflowType: string; workflowId: string; network: string; summary: string; input: unknown },
): Promise<{ closed: boolean }> {
  try {
    await deps.temporal.workflow.start(start.workflowType, {
      workflowId: start.workflowId,
      taskQueue: paymentTaskQueue(deps.taskQueue, auth.livemode),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: start.summary,
      typedSearchAttributes: [
        { key: SA.merchantId, value: auth.merchantId },
        { key: SA.status, value: 'pending' },
        { key: SA.network, value: start.network },
        { key: SA.livemode, value: auth.livemode },
      ],
      args: [start.input],
    });
    return { closed: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { closed: true };
  }
}
