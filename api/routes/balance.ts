import { Router } from 'express';
import { authOf, requireScope } from '../auth';
import type { ApiDeps } from '../deps';
import { balanceSummary } from '../repositories/balance';

/** GET /v1/balance: seed 004's "balance summary including total received, fees, and breakdown by currency". */
export function balanceRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/balance', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    res.json({ data: await balanceSummary(deps.pool, deps.registry, auth.merchantId, auth.livemode) });
  });
  return router;
}
