import { isGrpcDeadlineError } from '@temporalio/client';
import type { ApiDeps } from './deps';
import { ApiError } from './errors';

/** How long a request waits for a workflow step (an invoice's address, a customer, a reservation). */
const DEFAULT_WORKFLOW_WAIT_MS = 30_000;

export function workflowWaitMs(deps: ApiDeps): number {
  return deps.workflowWaitMs ?? DEFAULT_WORKFLOW_WAIT_MS;
}

/**
 * Waits for a workflow call with a deadline, so a request never hangs on a workflow that cannot
 * progress (worker down, database unreachable). The work itself is durable and carries on; a retry
 * with the same Idempotency-Key (or external_id) picks up its result.
 */
export async function awaitWorkflow<T>(deps: ApiDeps, call: () => Promise<T>): Promise<T> {
  const result = await awaitWorkflowWithin(deps, call);
  if (result.done) return result.value;
  throw new ApiError(
    503,
    'api_error',
    'processing_delayed',
    'The request was accepted but is taking longer than usual; retry it with the same Idempotency-Key to get its result',
  );
}

/**
 * Like awaitWorkflow, but reports a missed deadline instead of answering 503: for callers that
 * must not invite a retry because the work already started and a retry could repeat it.
 */
export async function awaitWorkflowWithin<T>(
  deps: ApiDeps,
  call: () => Promise<T>,
): Promise<{ done: true; value: T } | { done: false }> {
  const deadline = Date.now() + workflowWaitMs(deps);
  try {
    const value = await deps.temporal.connection.withDeadline(deadline, call);
    return { done: true, value };
  } catch (err) {
    // A long poll (a workflow's result) cut by the deadline fails as CANCELLED, not DEADLINE_EXCEEDED.
    if (!isGrpcDeadlineError(err) && Date.now() < deadline) throw err;
    return { done: false };
  }
}
