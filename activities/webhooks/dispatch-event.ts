import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Pool } from 'pg';
import { workflowIds } from '../../domain/payments';
import { SA } from '../../domain/search-attributes';
import { CALLBACK_TARGET, PUBLISH_REQUEST_ID, webhookEnqueueSignal, type WebhookQueueInput } from '../../domain/webhooks';
import { webhookTaskQueue } from '../../domain/task-queues';
import { deliveryIdOf } from './deliveries';
import type { DispatchPace } from './dispatch-pace';
import type { MerchantSlots } from './merchant-slots';

interface EventRow {
  merchant_id: string;
  livemode: boolean;
  type: string;
  object_id: string;
  callback_url: string | null;
}

/**
 * The targets an event goes to now: the merchant's enabled endpoints of the event's mode that
 * subscribe to its type (no list means every type), plus the object's own callback_url. `fanOut`
 * counts every target the merchant's events of this mode can have, whatever their type.
 */
export async function findTargets(pool: Pool, event: EventRow): Promise<{ targets: string[]; fanOut: number }> {
  const endpoints = await pool.query<{ id: string; subscribed: boolean }>(
    `SELECT id, (cardinality(events) = 0 OR $3 = ANY(events)) AS subscribed FROM webhook_endpoints
     WHERE merchant_id = $1 AND livemode = $2 AND enabled AND deleted_at IS NULL
     ORDER BY created_at, id`,
    [event.merchant_id, event.livemode, event.type],
  );
  const callback = event.callback_url ? [CALLBACK_TARGET] : [];
  return {
    targets: [...endpoints.rows.filter((r) => r.subscribed).map((r) => r.id), ...callback],
    fanOut: endpoints.rows.length + callback.length,
  };
}

const DISPATCH_PARALLELISM = 4;
/**
 * A merchant whose events fan out to at most this many targets has them enqueued by the publishing
 * activity itself: one round of parallel signal-with-starts costs it about what starting a dispatch
 * workflow does, and the webhook queue saves that workflow's two tasks and activity per event.
 */
export const INLINE_FAN_OUT = DISPATCH_PARALLELISM;

/**
 * Webhook work is dispatched fairly between merchants (Temporal task queue fairness, on when the
 * server has matching.enableFairness): one merchant's backlog of deliveries does not queue another
 * merchant's behind it. Activities inherit it from their workflow.
 */
const merchantFairness = (merchantId: string) => ({ fairnessKey: merchantId });

/**
 * Enqueues a stored event with each of its targets' delivery queues (one workflow per target and
 * object, started on first use). Repeating it is harmless: a queue ignores an item it already has.
 * Returns the target ids. With `slots`, a queue started behind a merchant's burst starts delayed
 * until about when a slot is free for it: its first workflow task waits in the Temporal server's
 * timer rather than running only to be told to wait.
 */
export function createDispatchEvent(pool: Pool, client: Client, baseTaskQueue: string, slots?: MerchantSlots) {
  /**
   * With `maxFanOut`, enqueues nothing and returns `{ tooMany }` (how many targets this event has)
   * when the merchant's events can go to more targets than that. It counts every target, not this
   * event's subscribers, so all events of one object take the same path and reach each queue in
   * their lifecycle order.
   */
  return async function dispatchEvent(
    eventId: string,
    requestId: string = PUBLISH_REQUEST_ID,
    maxFanOut = Infinity,
  ): Promise<string[] | null | { tooMany: number }> {
    const event = (
      await pool.query<EventRow>('SELECT merchant_id, livemode, type, object_id, callback_url FROM events WHERE id = $1', [
        eventId,
      ])
    ).rows[0];
    if (!event) return null;
    const { targets, fanOut } = await findTargets(pool, event);
    if (fanOut > maxFanOut) return { tooMany: targets.length };
    // A few at a time: an account with many endpoints must not fire a burst of starts at Temporal.
    for (let i = 0; i < targets.length; i += DISPATCH_PARALLELISM) {
      await Promise.all(
        targets.slice(i, i + DISPATCH_PARALLELISM).map((targetId) => {
          const input: WebhookQueueInput = { targetId, objectId: event.object_id };
          const startDelay = slots?.startDelay(event.merchant_id, deliveryIdOf(targetId, { eventId, requestId }));
          return client.workflow.signalWithStart('webhookDeliveryWorkflow', {
            workflowId: workflowIds.webhookQueue(targetId, event.object_id),
            taskQueue: webhookTaskQueue(baseTaskQueue),
            args: [input],
            signal: webhookEnqueueSignal,
            signalArgs: [{ eventId, requestId }],
            staticSummary: `Webhooks of ${event.object_id} to ${targetId}`,
            // A queue already running takes the item at once; the delay applies to one it starts.
            ...(startDelay ? { startDelay } : {}),
            priority: merchantFairness(event.merchant_id),
            typedSearchAttributes: [
              { key: SA.merchantId, value: event.merchant_id },
              { key: SA.livemode, value: event.livemode },
            ],
          });
        }),
      );
    }
    return targets;
  };
}

/**
 * Starts the event's dispatch on the webhooks task queue (eventDispatchWorkflow), delayed by the
 * merchant's pace for its `targets` starts. Its id is the event's, so a retried publish starts
 * nothing twice.
 */
export function createStartEventDispatch(client: Client, baseTaskQueue: string, pace: DispatchPace) {
  return async function startEventDispatch(eventId: string, merchantId: string, targets: number): Promise<void> {
    const startDelay = pace.delayFor(merchantId, targets);
    try {
      await client.workflow.start('eventDispatchWorkflow', {
        ...(startDelay ? { startDelay } : {}),
        workflowId: workflowIds.eventDispatch(eventId),
        taskQueue: webhookTaskQueue(baseTaskQueue),
        args: [eventId],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `Dispatch ${eventId}`,
        priority: merchantFairness(merchantId),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  };
}
