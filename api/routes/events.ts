import { Router } from 'express';
import { DeliveryBacklog } from '../../activities/webhooks/delivery-backlog';
import { createDispatchEvent } from '../../activities/webhooks/dispatch-event';
import { IdParam, ListEventsQuery } from '../../domain/api-schemas';
import { derivedId, randomId } from '../../domain/ids';
import { authOf, requireScope } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, parse } from '../errors';
import { resendRateLimit } from '../rate-limit';
import { idempotencyKeyOf, idempotent } from '../idempotency';
import { encodeCursor, page, pageQuery } from '../pagination';
import { deliveriesOfEvent } from '../webhook-deliveries';

interface EventRow {
  id: string;
  type: string;
  object_type: string;
  object_id: string;
  sequence: number;
  body: string;
  created_at: Date;
}

/** Events of the key's merchant and mode, their deliveries with every attempt, and resending. */
export function eventsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { pool } = deps;
  // The API knows no merchant's delivery slots: the merchant's backlog workflow releases resends.
  const backlog = new DeliveryBacklog(pool, deps.temporal, deps.taskQueue);
  const dispatchEvent = createDispatchEvent(pool, (deliveries) => backlog.park(deliveries));

  router.get('/events', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const q = parse(ListEventsQuery, req.query);
    const params: unknown[] = [auth.merchantId, auth.livemode];
    const conditions = ['merchant_id = $1', 'livemode = $2'];
    const add = (sql: (n: number) => string, value: unknown) => {
      params.push(value);
      conditions.push(sql(params.length));
    };
    if (q.type) add((n) => `type = $${n}`, q.type);
    if (q.object_id) add((n) => `object_id = $${n}`, q.object_id);
    if (q.delivery_failed === 'true') {
      conditions.push(`EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id AND d.status = 'failed')`);
    }
    const rows = await pool.query<EventRow>(`SELECT * FROM events ${pageQuery(q, conditions, params)}`, params);
    const result = page(rows.rows, q.limit, (r) => encodeCursor(r.created_at, r.id));
    res.json({ ...result, data: result.data.map(eventObject) });
  });

  router.get('/events/:id', requireScope('read'), async (req, res) => {
    const event = await findEvent(req.params.id, authOf(req));
    res.json({ data: { ...eventObject(event), deliveries: await deliveriesOfEvent(pool, event.id) } });
  });

  // Resending shows the event to the merchant's endpoints: it needs what reading the event needs.
  router.post(
    '/events/:id/resend',
    requireScope('read'),
    resendRateLimit(deps),
    idempotent(deps, 'events.resend'),
    async (req, res) => {
      const auth = authOf(req);
      const event = await findEvent(req.params.id, auth);
      // A retried request with the same Idempotency-Key enqueues nothing new.
      const key = idempotencyKeyOf(req);
      const requestId = key ? derivedId('whd', auth.merchantId, String(auth.livemode), key) : randomId('whd');
      const targets = (await dispatchEvent(event.id, requestId)) ?? [];
      res.status(202).json({ data: { object: 'event_resend' as const, event_id: event.id, request_id: requestId, targets } });
    },
  );

  async function findEvent(rawId: unknown, auth: { merchantId: string; livemode: boolean }): Promise<EventRow> {
    const id = parse(IdParam, rawId, 'id');
    const row = await pool.query<EventRow>('SELECT * FROM events WHERE id = $1 AND merchant_id = $2 AND livemode = $3', [
      id,
      auth.merchantId,
      auth.livemode,
    ]);
    if (!row.rows[0]) throw ApiError.notFound('event');
    return row.rows[0];
  }

  return router;
}

/** The event as delivered (its stored body, parsed), plus where it came from. */
function eventObject(r: EventRow) {
  const body = JSON.parse(r.body) as { id: string; event: string; created: number; livemode: boolean; data: unknown };
  return {
    ...body,
    object: 'event' as const,
    type: r.type,
    object_type: r.object_type,
    object_id: r.object_id,
    sequence: r.sequence,
    created_at: new Date(r.created_at).toISOString(),
  };
}
