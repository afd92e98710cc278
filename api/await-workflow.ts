import { isGrpcDeadlineError } from '@temporalio/client';
import type { ApiDeps } from './deps';
import { ApiError } from './errors';

/** How long a request waits for a workflow step (an invoice's address, a customer, a reservation). */
const DEFAULT_WORKFLOW_WAIT_MS = 30_000;

/**
 * Waits for a workflow call with a deadline, so a request never hangs on a workflow that cannot
 * progress (worker down, database unreachable). The work itself is durable and carries on; a retry
 * with the same Idempotency-Key (or external_id) picks up its result.
 */
export async function awaitWorkflow<T>(deps: ApiDeps, call: () => Promise<T>): Promise<T> {
  try {
    return await deps.temporal.connection.withDeadline(Date.now() + (deps.workflowWaitMs ?? DEFAULT_WORKFLOW_WAIT_MS), call);
  } catch (err) {
    if (!isGrpcDeadlineError(err)) throw err;
    throw new ApiError(
      503,
      'api_error',
      'processing_delayed',
      'The request was accepted but is taking longer than usual; retry it with the same Idempotency-Key to get its result',
    );
  }
}
