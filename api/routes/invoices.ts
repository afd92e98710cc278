import { Router } from 'express';
import { IdParam, CreateInvoiceBody, ListInvoicesQuery } from '../../domain/api-schemas';
import type { InvoiceSnapshot } from '../../domain/payments';
import { invoiceObject } from '../../domain/serialize';
import { authOf, requireScope } from '../auth';
import { checkoutSettings } from '../checkout/settings';
import type { ApiDeps } from '../deps';
import { ApiError, parse } from '../errors';
import { idempotencyKeyOf, idempotent } from '../idempotency';
import { encodeCursor, page, pageQuery } from '../pagination';
import { readInvoice } from '../read-invoice';
import { createInvoice } from '../use-cases/create-invoice';

export function invoicesRouter(deps: ApiDeps): Router {
  const router = Router();

  router.post('/invoices', requireScope('write'), idempotent(deps, 'invoices.create'), async (req, res) => {
    const body = parse(CreateInvoiceBody, req.body ?? {});
    const idempotencyKey = idempotencyKeyOf(req);
    const origin = checkoutSettings(deps).publicUrl ?? `${req.protocol}://${req.get('host')}`;
    const { snapshot, created } = await createInvoice(deps, authOf(req), body, idempotencyKey, origin);
    res.status(created ? 201 : 200).json({ data: invoiceObject(snapshot) });
  });

  // Authoritative: the invoice's live workflow state, not the projection.
  router.get('/invoices/:id', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const id = parse(IdParam, req.params.id, 'id');
    const snapshot = await readInvoice(deps, id);
    if (!snapshot || snapshot.merchantId !== auth.merchantId || snapshot.livemode !== auth.livemode) {
      throw ApiError.notFound('invoice');
    }
    res.json({ data: invoiceObject(snapshot) });
  });

  router.get('/invoices', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const q = parse(ListInvoicesQuery, req.query);
    const params: unknown[] = [auth.merchantId, auth.livemode];
    const conditions = ['merchant_id = $1', 'livemode = $2'];
    if (q.status) conditions.push(`status = $${params.push(q.status)}`);
    if (q.external_id) conditions.push(`external_id = $${params.push(q.external_id)}`);
    const tail = pageQuery(q, conditions, params);
    const rows = await deps.pool.query<{ id: string; created_at: Date; snapshot: InvoiceSnapshot }>(
      `SELECT id, created_at, snapshot FROM invoices ${tail}`,
      params,
    );
    const result = page(rows.rows, q.limit, (r) => encodeCursor(r.created_at, r.id));
    res.json({ ...result, data: result.data.map((r) => invoiceObject(r.snapshot)) });
  });

  return router;
}
