import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { dispatchEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * Hands one stored event to each of its targets' delivery queues. It runs on the webhooks task
 * queue, so a merchant with many endpoints costs the payment workflow that published the event one
 * start, not one per endpoint.
 */
export async function eventDispatchWorkflow(eventId: string): Promise<number> {
  const targets = await dispatchEvent(eventId);
  return Array.isArray(targets) ? targets.length : 0;
}
