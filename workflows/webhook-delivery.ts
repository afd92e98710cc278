import {
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { webhookEnqueueSignal, type WebhookQueueInput, type WebhookQueueItem } from '../domain/webhooks';

// Retries here are for Settle's own failures (database, worker crash); a receiver's failure is a
// recorded attempt, paced by the merchant's schedule below.
const { openDelivery, deliverWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

// Database steps that decide whether and when to attempt: local, so they add a marker to the task
// that runs them instead of an activity task and two workflow tasks each. A merchant's flood of
// waiting deliveries then costs the Temporal server a timer per wait.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
/** Histories from before it open deliveries and wait for slots through ordinary activities. */
const PATCH_LOCAL_WAITS = 'delivery-waits-local';

/** How long an empty queue waits for its object's next event before completing. */
const IDLE_BEFORE_COMPLETING = '10 minutes';
/** Events handled before continuing as new, which keeps the history short. */
const EVENTS_PER_RUN = 100;

const itemKey = (item: WebhookQueueItem) => `${item.eventId}\u0000${item.requestId}`;

/**
 * The delivery queue of one object's events to one target: events go out strictly in the order
 * they were enqueued (their lifecycle order), one at a time, each retried on the merchant's
 * schedule until it succeeds or is marked failed. Each target and object has its own queue, so a
 * slow receiver holds up nobody else.
 */
export async function webhookDeliveryWorkflow(input: WebhookQueueInput): Promise<number> {
  const queue: WebhookQueueItem[] = [...(input.backlog ?? [])];
  const seen = new Set(queue.map(itemKey));
  setHandler(webhookEnqueueSignal, (item) => {
    // Signal-with-start from a retried activity may repeat an item; the first one counts.
    if (seen.has(itemKey(item))) return;
    seen.add(itemKey(item));
    queue.push(item);
  });

  let handled = 0;
  for (;;) {
    if (queue.length === 0 && !(await condition(() => queue.length > 0, IDLE_BEFORE_COMPLETING))) return handled;
    if (handled >= EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof webhookDeliveryWorkflow>({ targetId: input.targetId, objectId: input.objectId, backlog: queue });
    }
    await deliver(input.targetId, queue[0]!);
    queue.shift();
    handled++;
  }
}

/** Attempt at once, then after each failure wait the schedule's next delay; past its end the delivery is failed. */
async function deliver(targetId: string, item: WebhookQueueItem): Promise<void> {
  const localWaits = patched(PATCH_LOCAL_WAITS);
  const delivery = await (localWaits ? local.openDelivery : openDelivery)({ targetId, ...item });
  if (delivery.status !== 'pending') return;
  // Histories from before the per-merchant delivery limit replay without deferrals. Local waits came
  // after it, so they imply it: one patch marker (and search attribute update) per run, not two.
  const mayDefer = localWaits || patched('defer-while-merchant-busy');
  for (let attempt = delivery.attemptsMade + 1; ;) {
    const retryInSeconds = delivery.retryScheduleSeconds[attempt - 1] ?? null;
    if (localWaits) {
      const turn = await local.takeDeliveryTurn({ deliveryId: delivery.deliveryId });
      if (turn !== 'go') {
        await waitAbout(turn.deferredForMs);
        continue;
      }
    }
    const status = await deliverWebhook({
      deliveryId: delivery.deliveryId,
      attempt,
      retryInSeconds,
      ...(mayDefer ? { mayDefer } : {}),
    });
    if (typeof status === 'object') {
      // Nothing was sent, so this is not an attempt.
      await waitAbout(status.deferredForMs);
      continue;
    }
    if (status !== 'pending' || retryInSeconds === null) return;
    await sleep(retryInSeconds * 1000);
    attempt++;
  }
}

/** Sleeps about `ms`: jitter spreads the returns of deliveries told to wait at the same moment. */
function waitAbout(ms: number): Promise<void> {
  return sleep(ms * (0.75 + Math.random() / 2));
}
