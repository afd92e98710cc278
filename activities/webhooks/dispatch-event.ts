import type { Pool } from 'pg';
import { CALLBACK_TARGET, PUBLISH_REQUEST_ID } from '../../domain/webhooks';
import { deliveryIdOf } from './deliveries';
import type { BacklogItem } from './delivery-backlog';

interface EventRow {
  merchant_id: string;
  livemode: boolean;
  type: string;
  object_id: string;
  callback_url: string | null;
}

/**
 * The targets an event goes to now: the merchant's enabled endpoints of the event's mode that
 * subscribe to its type (no list means every type), plus the object's own callback_url.
 */
export async function findTargets(pool: Pool, event: EventRow): Promise<string[]> {
  const endpoints = await pool.query<{ id: string }>(
    `SELECT id FROM webhook_endpoints
     WHERE merchant_id = $1 AND livemode = $2 AND enabled AND deleted_at IS NULL
       AND (cardinality(events) = 0 OR $3 = ANY(events))
     ORDER BY created_at, id`,
    [event.merchant_id, event.livemode, event.type],
  );
  return [...endpoints.rows.map((r) => r.id), ...(event.callback_url ? [CALLBACK_TARGET] : [])];
}

/**
 * Enqueues a stored event with each of its targets' delivery queues (one workflow per target and
 * object) through `enqueue`, the merchant's delivery backlog: at once while the merchant has free
 * delivery slots, else as slots free. Repeating it is harmless. Returns the target ids.
 */
export function createDispatchEvent(pool: Pool, enqueue: (deliveries: BacklogItem[]) => Promise<void>) {
  return async function dispatchEvent(eventId: string, requestId: string = PUBLISH_REQUEST_ID): Promise<string[] | null> {
    const event = (
      await pool.query<EventRow>('SELECT merchant_id, livemode, type, object_id, callback_url FROM events WHERE id = $1', [
        eventId,
      ])
    ).rows[0];
    if (!event) return null;
    const targets = await findTargets(pool, event);
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
