import { Router } from 'express';
import { readPayoutItems } from '../../activities/db/payouts';
import { CreateRefundBody, IdParam, ListQuery } from '../../domain/api-schemas';
import { type PayoutSnapshot, refundObject } from '../../domain/payouts';
import { authOf, requireScope } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, parse } from '../errors';
import { idempotencyKeyOf, idempotent } from '../idempotency';
import { encodeCursor, page, pageQuery } from '../pagination';
import { readInvoice } from '../read-invoice';
import { createRefund } from '../use-cases/create-refund';
import { readPayout } from '../use-cases/start-payout';

export function refundsRouter(deps: ApiDeps): Router {
  const router = Router();

  router.post('/invoices/:id/refunds', requireScope('withdraw'), idempotent(deps, 'refunds.create'), async (req, res) => {
    const invoiceId = parse(IdParam, req.params.id, 'id');
    const body = parse(CreateRefundBody, req.body ?? {});
    const { snapshot, items, created, delayed } = await createRefund(deps, authOf(req), invoiceId, body, idempotencyKeyOf(req));
    if (delayed) res.locals.idempotentProvisional = true;
    res.status(delayed ? 202 : created ? 201 : 200).json({ data: refundObject(snapshot, items) });
  });

  router.get('/invoices/:id/refunds', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const invoiceId = parse(IdParam, req.params.id, 'id');
    const q = parse(ListQuery, req.query);
    const invoice = await readInvoice(deps, invoiceId);
    if (!invoice || invoice.merchantId !== auth.merchantId || invoice.livemode !== auth.livemode) {
      throw ApiError.notFound('invoice');
    }
    const params: unknown[] = [invoiceId, auth.merchantId, auth.livemode];
    const tail = pageQuery(q, ["invoice_id = $1 AND merchant_id = $2 AND livemode = $3 AND status <> 'rejected'"], params);
    const rows = await deps.pool.query<{ id: string; created_at: Date; snapshot: PayoutSnapshot }>(
      `SELECT id, created_at, snapshot FROM payouts ${tail}`,
      params,
    );
    const result = page(rows.rows, q.limit, (r) => encodeCursor(r.created_at, r.id));
    const data = [];
    for (const r of result.data) data.push(refundObject(r.snapshot, await readPayoutItems(deps.pool, r.id)));
    res.json({ ...result, data });
  });

  router.get('/refunds/:id', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const id = parse(IdParam, req.params.id, 'id');
    const snapshot = await readPayout(deps, id);
    if (
      !snapshot ||
      snapshot.kind !== 'refund' ||
      snapshot.merchantId !== auth.merchantId ||
      snapshot.livemode !== auth.livemode
    ) {
      throw ApiError.notFound('refund');
    }
    res.json({ data: refundObject(snapshot, await readPayoutItems(deps.pool, id)) });
  });

  return router;
}
