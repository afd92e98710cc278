import { Router } from 'express';
import { readPayoutItems } from '../../activities/db/payouts';
import { CreatePayoutBody, IdParam } from '../../domain/api-schemas';
import { payoutObject, pendingItems } from '../../domain/payouts';
import { authOf, requireScope } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, parse } from '../errors';
import { idempotencyKeyOf, idempotent } from '../idempotency';
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

  return router;
}
