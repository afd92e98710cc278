import { Router } from 'express';
import { readPayoutItems } from '../../activities/db/payouts';
import { CreatePayoutBody, IdParam, ListPayoutsQuery } from '../../domain/api-schemas';
import { type PayoutSnapshot, payoutObject, payoutSummaryObject, pendingItems } from '../../domain/payouts';
import { authOf, requireScope } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, parse } from '../errors';
import { idempotencyKeyOf, idempotent } from '../idempotency';
import { encodeCursor, page, pageQuery } from '../pagination';
import { createPayout } from '../use-cases/create-payout';
import { readPayout } from '../use-cases/start-payout';

export function payoutsRouter(deps: ApiDeps): Router {
  const router = Router();

  router.post('/payouts', requireScope('withdraw'), idempotent(deps, 'payouts.create'), async (req, res) => {
    const body = parse(CreatePayoutBody, req.body ?? {});
    const { snapshot, items, created, delayed } = await createPayout(deps, authOf(req), body, idempotencyKeyOf(req));
    // Not the final answer: a retry with the key must find the decided payout, not replay this.
    if (delayed) res.locals.idempotentProvisional = true;
    res.status(delayed ? 202 : created ? 201 : 200).json({ data: payoutObject(snapshot, items) });
  });

  router.get('/payouts/:id', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const id = parse(IdParam, req.params.id, 'id');
    const snapshot = await readPayout(deps, id);
    if (
      !snapshot ||
      snapshot.kind !== 'payout' ||
      snapshot.merchantId !== auth.merchantId ||
      snapshot.livemode !== auth.livemode
    ) {
      throw ApiError.notFound('payout');
    }
    const items = await readPayoutItems(deps.pool, id);
    res.json({ data: payoutObject(snapshot, items.length ? items : pendingItems(snapshot.items)) });
  });

  router.get('/payouts', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const q = parse(ListPayoutsQuery, req.query);
    const params: unknown[] = [auth.merchantId, auth.livemode];
    const conditions = ['merchant_id = $1', 'livemode = $2', "kind = 'payout'", "status <> 'rejected'"];
    if (q.status) conditions.push(`status = $${params.push(q.status)}`);
    const tail = pageQuery(q, conditions, params);
    // Items are counted, not read: a page of payouts stays small whatever their sizes.
    const rows = await deps.pool.query<{
      id: string;
      created_at: Date;
      snapshot: Omit<PayoutSnapshot, 'items'>;
      total: number;
      completed: number;
      failed: number;
    }>(
      `SELECT id, created_at, snapshot - 'items' AS snapshot, jsonb_array_length(snapshot -> 'items') AS total,
         (SELECT count(*) FROM payout_items i WHERE i.payout_id = payouts.id AND i.status = 'completed')::int AS completed,
         (SELECT count(*) FROM payout_items i WHERE i.payout_id = payouts.id AND i.status = 'failed')::int AS failed
       FROM payouts ${tail}`,
      params,
    );
    const result = page(rows.rows, q.limit, (r) => encodeCursor(r.created_at, r.id));
    res.json({ ...result, data: result.data.map((r) => payoutSummaryObject(r.snapshot, r)) });
  });

  return router;
}
