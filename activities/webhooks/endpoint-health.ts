import type { PoolClient } from 'pg';
import { EventType, type PublishEventInput } from '../../domain/events';
import { DISABLE_FAILING_ENDPOINT_AFTER_SECONDS, webhookEndpointObject, type WebhookEndpointRow } from '../../domain/webhooks';

/**
 * Records an attempt's outcome on its endpoint, in the attempt's transaction: a success clears the
 * failure record; a failure starts it, and once every attempt has failed for
 * DISABLE_FAILING_ENDPOINT_AFTER_SECONDS the endpoint is disabled. Returns the endpoint when this
 * very failure disabled it, so the caller announces it exactly once.
 */
export async function recordEndpointOutcome(
  db: PoolClient,
  endpointId: string,
  succeeded: boolean,
  attemptedAt: Date,
): Promise<WebhookEndpointRow | undefined> {
  if (succeeded) {
    await db.query('UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL', [endpointId]);
    return undefined;
  }
  const overdue = 'COALESCE(w.failing_since, $2::timestamptz) <= $2::timestamptz - make_interval(secs => $3::int)';
  const disabled = await db.query<WebhookEndpointRow & { just_disabled: boolean }>(
    `WITH before AS (SELECT enabled FROM webhook_endpoints WHERE id = $1 FOR UPDATE)
     UPDATE webhook_endpoints w SET failing_since = COALESCE(w.failing_since, $2::timestamptz),
       enabled = CASE WHEN ${overdue} THEN false ELSE w.enabled END,
       disabled_reason = CASE WHEN ${overdue} AND w.enabled THEN 'failing' ELSE w.disabled_reason END,
       updated_at = CASE WHEN ${overdue} AND w.enabled THEN now() ELSE w.updated_at END
     FROM before WHERE w.id = $1 AND w.deleted_at IS NULL
     RETURNING w.*, (before.enabled AND NOT w.enabled) AS just_disabled`,
    [endpointId, attemptedAt, DISABLE_FAILING_ENDPOINT_AFTER_SECONDS],
  );
  const row = disabled.rows[0];
  return row?.just_disabled ? row : undefined;
}

/** The `webhook_endpoint.disabled` event; one per run of failures, so a retried activity stores the same event. */
export function endpointDisabledEvent(merchantId: string, endpoint: WebhookEndpointRow): PublishEventInput {
  return {
    merchantId,
    livemode: endpoint.livemode,
    type: EventType.webhookEndpointDisabled,
    objectType: 'webhook_endpoint',
    objectId: endpoint.id,
    sequence: 0,
    lifecycleKey: new Date(endpoint.failing_since!).toISOString(),
    data: webhookEndpointObject(endpoint),
  };
}
