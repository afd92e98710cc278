import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Pool } from 'pg';
import { workflowIds } from '../../domain/payments';
import { CALLBACK_TARGET, PUBLISH_REQUEST_ID } from '../../domain/webhooks';
import { webhookTaskQueue } from '../../domain/task-queues';
import { deliveryIdOf } from './deliveries';
import { type BacklogItem, merchantFairness } from './delivery-backlog';
import type { DispatchPace } from './dispatch-pace';

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

/**
 * A merchant whose events fan out to at most this many targets has them enqueued by the publishing
 * activity itself: one statement and a release cost it about what starting a dispatch workflow
 * does, and the webhook queue saves that workflow's two tasks and activity per event.
 */
export const INLINE_FAN_OUT = 4;

/**
 * Enqueues a stored event with each of its targets' delivery queues (one workflow per target and
 * object) through `enqueue`, the merchant's delivery backlog: at once while the merchant has free
 * delivery slots, else as slots free. Repeating it is harmless. Returns the target ids.
 */
export function createDispatchEvent(pool: Pool, enqueue: (deliveries: BacklogItem[]) => Promise<void>) {
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
    await enqueue(
      targets.map((targetId) => ({
        deliveryId: deliveryIdOf(targetId, { eventId, requestId }),
        merchantId: event.merchant_id,
        livemode: event.livemode,
        targetId,
        objectId: event.object_id,
        eventId,
        requestId,
      })),
    );
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
