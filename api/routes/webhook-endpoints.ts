import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { Pool } from 'pg';
import { requireDeliverableUrl } from '../require-deliverable-url';
import {
  CreateWebhookEndpointBody,
  IdParam,
  ListQuery,
  RotateWebhookSecretBody,
  UpdateWebhookEndpointBody,
} from '../../domain/api-schemas';
import { randomId } from '../../domain/ids';
import { DEFAULT_SECRET_GRACE_SECONDS, webhookEndpointObject, type WebhookEndpointRow } from '../../domain/webhooks';
import { authOf, requireScope } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, parse } from '../errors';
import { idempotent } from '../idempotency';
import { encodeCursor, page, pageQuery } from '../pagination';
import { deliveryObject, SELECT_DELIVERIES, type DeliveryRow } from '../webhook-deliveries';
import { requireUnderCap } from '../object-caps';

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('hex')}`;
}

/** Webhook endpoints of the key's merchant and mode; the signing secret appears only on create and rotate. */
export function webhookEndpointsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { pool } = deps;

  router.post('/webhook-endpoints', requireScope('webhooks'), idempotent(deps, 'webhook_endpoints.create'), async (req, res) => {
    const auth = authOf(req);
    const body = parse(CreateWebhookEndpointBody, req.body ?? {});
    await requireDeliverableUrl(body.url, auth.livemode, 'url');
    await requireUnderCap(deps, auth, 'webhookEndpoints');
    const row = await pool.query<WebhookEndpointRow>(
      `INSERT INTO webhook_endpoints (id, merchant_id, livemode, url, description, events, secret)
       VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING *`,
      [randomId('we'), auth.merchantId, auth.livemode, body.url, body.description ?? null, body.events ?? [], newSecret()],
    );
    res.status(201).json({ data: webhookEndpointObject(row.rows[0]!, { withSecret: true }) });
  });

  router.get('/webhook-endpoints', requireScope('read'), async (req, res) => {
    const auth = authOf(req);
    const q = parse(ListQuery, req.query);
    const params: unknown[] = [auth.merchantId, auth.livemode];
    const tail = pageQuery(q, ['merchant_id = $1', 'livemode = $2', 'deleted_at IS NULL'], params);
    const rows = await pool.query<WebhookEndpointRow>(`SELECT * FROM webhook_endpoints ${tail}`, params);
    const result = page(rows.rows, q.limit, (r) => encodeCursor(r.created_at, r.id));
    res.json({ ...result, data: result.data.map((r) => webhookEndpointObject(r)) });
  });

  router.get('/webhook-endpoints/:id', requireScope('read'), async (req, res) => {
    res.json({ data: webhookEndpointObject(await findEndpoint(pool, req)) });
  });

  const update = async (req: Request, res: Response) => {
    const auth = authOf(req);
    const existing = await findEndpoint(pool, req);
    const body = parse(UpdateWebhookEndpointBody, req.body ?? {});
    if (body.url !== undefined) await requireDeliverableUrl(body.url, auth.livemode, 'url');
    const row = await pool.query<WebhookEndpointRow>(
      // Re-enabling (or disabling by hand) starts the failure record afresh.
      `UPDATE webhook_endpoints SET url = $2, events = $3, description = $4, enabled = $5, updated_at = now(),
         failing_since = CASE WHEN enabled = $5 THEN failing_since END,
         disabled_reason = CASE WHEN enabled = $5 THEN disabled_reason END
       WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
      [
        existing.id,
        body.url ?? existing.url,
        body.events ?? existing.events,
        body.description === undefined ? existing.description : body.description,
        body.enabled ?? existing.enabled,
      ],
    );
    if (!row.rows[0]) throw ApiError.notFound('webhook endpoint');
    res.json({ data: webhookEndpointObject(row.rows[0]) });
  };
  router.post('/webhook-endpoints/:id', requireScope('webhooks'), update);
  router.patch('/webhook-endpoints/:id', requireScope('webhooks'), update);

  router.delete('/webhook-endpoints/:id', requireScope('webhooks'), async (req, res) => {
    const existing = await findEndpoint(pool, req);
    await pool.query('UPDATE webhook_endpoints SET deleted_at = now(), enabled = false WHERE id = $1', [existing.id]);
    res.json({ data: { id: existing.id, object: 'webhook_endpoint' as const, deleted: true } });
  });

  router.post('/webhook-endpoints/:id/rotate-secret', requireScope('webhooks'), async (req, res) => {
    const existing = await findEndpoint(pool, req);
    const body = parse(RotateWebhookSecretBody, req.body ?? {});
    const grace = body.grace_period_seconds ?? DEFAULT_SECRET_GRACE_SECONDS;
    // During the grace every delivery (pending retries too) carries a v1 signature with each secret,
    // so the receiver can switch whenever it likes; a grace of 0 revokes the old secret at once.
    const row = await pool.query<WebhookEndpointRow>(
      `UPDATE webhook_endpoints SET previous_secret = CASE WHEN $3::int > 0 THEN secret END,
         previous_secret_expires_at = CASE WHEN $3::int > 0 THEN now() + make_interval(secs => $3::int) END,
         secret = $2, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [existing.id, newSecret(), grace],
    );
    res.json({ data: webhookEndpointObject(row.rows[0]!, { withSecret: true }) });
  });

  router.get('/webhook-endpoints/:id/deliveries', requireScope('webhooks'), async (req, res) => {
    const existing = await findEndpoint(pool, req, { includeDeleted: true });
    const q = parse(ListQuery, req.query);
    const params: unknown[] = [existing.id];
    const tail = pageQuery(q, ['d.endpoint_id = $1'], params, 'd.');
    const rows = await pool.query<DeliveryRow>(`${SELECT_DELIVERIES} ${tail}`, params);
    const result = page(rows.rows, q.limit, (r) => encodeCursor(r.created_at, r.id));
    res.json({ ...result, data: result.data.map(deliveryObject) });
  });

  return router;
}

async function findEndpoint(pool: Pool, req: Request, options: { includeDeleted?: boolean } = {}): Promise<WebhookEndpointRow> {
  const auth = authOf(req);
  const id = parse(IdParam, req.params.id, 'id');
  const row = await pool.query<WebhookEndpointRow>(
    `SELECT * FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND livemode = $3 ${options.includeDeleted ? '' : 'AND deleted_at IS NULL'}`,
    [id, auth.merchantId, auth.livemode],
  );
  if (!row.rows[0]) throw ApiError.notFound('webhook endpoint');
  return row.rows[0];
}
