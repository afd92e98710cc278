import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { dispatchEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * Hands one stored event to each of its targets' delivery queues, on the webhooks task queue.
 * Releases before the delivery backlog started one per event of a merchant with more than 4
 * targets; nothing starts it now, and it stays registered so that those in flight finish.
 */
export async function eventDispatchWorkflow(eventId: string): Promise<number> {
  const targets = await dispatchEvent(eventId);
  return Array.isArray(targets) ? targets.length : 0;
}
