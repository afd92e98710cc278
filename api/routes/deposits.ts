import { Router } from 'express';
import { ListDepositsQuery } from '../../domain/api-schemas';
import { depositSnapshotQuery } from '../../domain/messages';
import type { DepositSnapshot } from '../../domain/payments';
import { depositObject } from '../../domain/serialize';
import { authOf, requireScope } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, parse } from '../errors';
import { encodeCursor, page, pageQuery } from '../pagination';

export function depositsRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get('/deposits/:id', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const id = String(req.params.id);
    if (!/^deposit-[a-z0-9-]+-0x[0-9a-f]{64}-(\d+|native)$/.test(id)) throw ApiError.notFound('deposit');
    const snapshot = await deps.temporal.workflow
      .getHandle(id)
      .query(depositSnapshotQuery)
      .catch(() => undefined);
    if (!snapshot || snapshot.merchantId !== auth.merchantId || snapshot.livemode !== auth.livemode) {
      throw ApiError.notFound('deposit');
    }
    res.json({ data: depositObject(snapshot) });
  });

  router.get('/deposits', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const q = parse(ListDepositsQuery, req.query);
    const params: unknown[] = [auth.merchantId, auth.livemode];
    const conditions = ['d.merchant_id = $1', 'd.livemode = $2'];
    if (q.status) conditions.push(`d.status = $${params.push(q.status)}`);
    if (q.invoice_id) conditions.push(`d.invoice_id = $${params.push(q.invoice_id)}`);
    if (q.customer_id) conditions.push(`d.customer_id = $${params.push(q.customer_id)}`);
    const tail = pageQuery(q, conditions, params, 'd.', 'detected_at');
    const rows = await deps.pool.query<DepositRow>(`SELECT d.id, d.detected_at, d.snapshot FROM deposits d ${tail}`, params);
    const result = page(rows.rows, q.limit, (r) => encodeCursor(r.detected_at, r.id));
    res.json({ ...result, data: result.data.map((r) => depositObject(r.snapshot)) });
  });

  return router;
}

interface DepositRow {
  id: string;
  detected_at: Date;
  snapshot: DepositSnapshot;
}
