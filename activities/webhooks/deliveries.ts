import { Context, log } from '@temporalio/activity';
import type { Pool, PoolClient } from 'pg';
import { derivedId } from '../../domain/ids';
import {
  CALLBACK_TARGET,
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  MAX_RETRY_DELAY_SECONDS,
  type AttemptOutcome,
  type DeliveryStatus,
  type DeliveryTurn,
  type OpenedDelivery,
  type WebhookQueueItem,
} from '../../domain/webhooks';
import type { PublishEventInput } from '../../domain/events';
import { inTransaction } from '../db/pool';
import { checkWebhookUrl, privateTargetsAllowedInTestMode, publicOnlyLookup } from './check-url';
import { endpointDisabledEvent, recordEndpointOutcome } from './endpoint-health';
import type { DeliveryBacklog } from './delivery-backlog';
import type { MerchantSlots } from './merchant-slots';
import { postWebhook, type PostResult } from './post-webhook';
import { webhookHeaders } from './sign-payload';
import { crashPoint } from '../crash-points';

/** A receiver must answer within this; short, so a hung receiver holds a delivery slot briefly. */
export const DELIVERY_TIMEOUT_MS = 5_000;
/** Connecting alone; a host that drops packets fails in this long. */
export const DELIVERY_CONNECT_TIMEOUT_MS = 3_000;

/** A merchant's schedule, clamped so a bad row cannot make a retry fire at once or never. */
export function retrySchedule(stored: number[] | null): number[] {
  const schedule = stored?.length ? stored : DEFAULT_RETRY_SCHEDULE_SECONDS;
  return schedule.map((s) => Math.min(Math.max(Math.floor(s), 1), MAX_RETRY_DELAY_SECONDS));
}

/** A delivery's id, derived from the target, event and request: a retried activity or a duplicate signal lands on the same row. */
export function deliveryIdOf(targetId: string, item: WebhookQueueItem): string {
  return derivedId('whd', targetId, item.eventId, item.requestId);
}

/** Creates (or finds) the delivery of one queued event to one target. */
export function createOpenDelivery(pool: Pool) {
  return async function openDelivery(input: { targetId: string } & WebhookQueueItem): Promise<OpenedDelivery> {
    const deliveryId = deliveryIdOf(input.targetId, input);
    const event = (
      await pool.query<{ merchant_id: string; livemode: boolean; callback_url: string | null; schedule: number[] | null }>(
        `SELECT e.merchant_id, e.livemode, e.callback_url, m.webhook_retry_schedule_seconds AS schedule
         FROM events e JOIN merchants m ON m.id = e.merchant_id WHERE e.id = $1`,
        [input.eventId],
      )
    ).rows[0];
    if (!event) throw new Error(`event ${input.eventId} does not exist`);
    const schedule = retrySchedule(event.schedule);

    const existing = (
      await pool.query<{ status: DeliveryStatus; attempt_count: number }>(
        'SELECT status, attempt_count FROM webhook_deliveries WHERE id = $1',
        [deliveryId],
      )
    ).rows[0];
    if (existing)
      return { deliveryId, status: existing.status, attemptsMade: existing.attempt_count, retryScheduleSeconds: schedule };

    const isCallback = input.targetId === CALLBACK_TARGET;
    const endpoint = isCallback
      ? undefined
      : (
          await pool.query<{ url: string; live: boolean }>(
            'SELECT url, (enabled AND deleted_at IS NULL) AS live FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND livemode = $3',
            [input.targetId, event.merchant_id, event.livemode],
          )
        ).rows[0];
    const url = isCallback ? event.callback_url : endpoint?.url;
    // A target that vanished between enqueue and now gets a canceled delivery, so the record says why nothing was sent.
    const status: DeliveryStatus = url && (isCallback || endpoint?.live) ? 'pending' : 'canceled';
    await pool.query(
      `INSERT INTO webhook_deliveries (id, event_id, merchant_id, livemode, target_type, endpoint_id, url, status, completed_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8, CASE WHEN $8 = 'pending' THEN NULL ELSE now() END) ON CONFLICT (id) DO NOTHING`,
      [
        deliveryId,
        input.eventId,
        event.merchant_id,
        event.livemode,
        isCallback ? 'callback' : 'endpoint',
        isCallback ? null : input.targetId,
        url ?? '',
        status,
      ],
    );
    return { deliveryId, status, attemptsMade: 0, retryScheduleSeconds: schedule };
  };
}

/**
 * Reserves one of the merchant's delivery slots for the delivery's next attempt, or says how long
 * to wait for one. It runs as a local activity, so a delivery waiting its turn behind a merchant's
 * busy slots costs a timer, not an activity task each time it asks. A delivery no longer pending
 * goes ahead: its attempt answers with the status.
 */
export function createTakeDeliveryTurn(pool: Pool, slots: MerchantSlots) {
  return async function takeDeliveryTurn(input: { deliveryId: string }): Promise<DeliveryTurn> {
    const row = (
      await pool.query<{ status: DeliveryStatus; merchant_id: string }>(
        'SELECT status, merchant_id FROM webhook_deliveries WHERE id = $1',
        [input.deliveryId],
      )
    ).rows[0];
    if (!row) throw new Error(`delivery ${input.deliveryId} does not exist`);
    if (row.status !== 'pending' || (await slots.reserve(row.merchant_id, input.deliveryId))) return 'go';
    return { deferredForMs: slots.deferral(row.merchant_id, input.deliveryId) };
  };
}

interface DeliveryRow {
  status: DeliveryStatus;
  attempt_count: number;
  merchant_id: string;
  endpoint_id: string | null;
  livemode: boolean;
  event_id: string;
  body: string;
  target_type: 'endpoint' | 'callback';
  callback_url: string | null;
  callback_secret: string;
  endpoint_url: string | null;
  /** The endpoint's secrets, newest first: a rotated-out secret stays while its grace lasts. */
  endpoint_secrets: string[] | null;
  endpoint_live: boolean | null;
  endpoint_disabled_reason: string | null;
}

/** What recording a failure that disables an endpoint needs: storing its event in the same transaction, then sending it. */
export interface EndpointDisabledAnnouncer {
  storeEvent(input: PublishEventInput, now: Date, db: PoolClient): Promise<{ id: string }>;
  dispatchEvent(eventId: string): Promise<unknown>;
}

export interface DeliverWebhookInput {
  deliveryId: string;
  attempt: number;
  /** Seconds until the next attempt if this one fails; null when it is the last. */
  retryInSeconds: number | null;
  /**
   * The caller understands `deferred` (workflows since the per-merchant limit); without it the
   * attempt goes ahead regardless of the limit.
   */
  mayDefer?: boolean;
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // called outside an activity
  }
}

/**
 * Makes one attempt of a delivery and records it. A receiver's failure is a recorded attempt and a
 * returned status, not an exception: Temporal's retries are kept for Settle's own failures.
 */
export function createDeliverWebhook(
  pool: Pool,
  announcer: EndpointDisabledAnnouncer,
  slots: MerchantSlots,
  backlog: DeliveryBacklog,
) {
  return async function deliverWebhook(input: DeliverWebhookInput): Promise<AttemptOutcome> {
    const row = (
      await pool.query<DeliveryRow>(
        `SELECT d.status, d.attempt_count, d.merchant_id, d.endpoint_id, d.livemode, d.event_id, e.body, d.target_type, e.callback_url,
                CASE WHEN d.livemode THEN m.callback_secret ELSE m.callback_secret_test END AS callback_secret,
                w.url AS endpoint_url, (w.enabled AND w.deleted_at IS NULL) AS endpoint_live, w.disabled_reason AS endpoint_disabled_reason,
                array_remove(ARRAY[w.secret, CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END], NULL) AS endpoint_secrets
         FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN merchants m ON m.id = d.merchant_id
         LEFT JOIN webhook_endpoints w ON w.id = d.endpoint_id WHERE d.id = $1`,
        [input.deliveryId],
      )
    ).rows[0];
    if (!row) throw new Error(`delivery ${input.deliveryId} does not exist`);
    if (row.status !== 'pending' || (row.target_type === 'endpoint' && !row.endpoint_live)) {
      // Nothing will be sent: a slot reserved for this attempt goes back at once, to whoever waits.
      await slots.release(row.merchant_id, input.deliveryId);
      await releaseBacklog(row.merchant_id);
    }
    if (row.status !== 'pending') {
      // A retry after this very attempt disabled the endpoint: its event may not have gone out yet.
      if (row.status === 'failed' && row.attempt_count === input.attempt && row.endpoint_disabled_reason === 'failing') {
        await announceLatestDisable(pool, announcer, row.endpoint_id!);
      }
      return row.status;
    }
    if (row.target_type === 'endpoint' && !row.endpoint_live) {
      await pool.query(
        `UPDATE webhook_deliveries SET status = 'canceled', next_attempt_at = NULL, completed_at = now() WHERE id = $1 AND status = 'pending'`,
        [input.deliveryId],
      );
      return 'canceled';
    }
    // The endpoint's current URL and secret: a merchant fixing a broken URL or rotating the secret affects pending retries.
    const url = (row.target_type === 'callback' ? row.callback_url : row.endpoint_url) ?? '';
    const secrets = row.target_type === 'callback' ? [row.callback_secret] : (row.endpoint_secrets ?? []);

    const release = await slots.tryAcquire(row.merchant_id, input.deliveryId);
    if (!release && input.mayDefer) return { deferredForMs: slots.deferral(row.merchant_id, input.deliveryId) };
    try {
      return await attempt(row, url, secrets, input);
    } finally {
      if (release) {
        await release();
        await releaseBacklog(row.merchant_id);
      }
    }
  };

  /**
   * The freed slot goes to the merchant's oldest parked delivery. A failure here must not fail the
   * recorded attempt (a retried activity would send it again): the merchant's backlog workflow
   * releases whatever this misses.
   */
  async function releaseBacklog(merchantId: string): Promise<void> {
    try {
      await backlog.releaseFreedSlot(merchantId);
    } catch (err) {
      log.warn(`releasing the webhook backlog of ${merchantId} failed: ${(err as Error).message}`);
    }
  }

  async function attempt(row: DeliveryRow, url: string, secrets: string[], input: DeliverWebhookInput): Promise<DeliveryStatus> {
    const attemptedAt = new Date();
    const check = await checkWebhookUrl(url, row.livemode);
    const result: PostResult = check.ok
      ? await postWebhook(
          check.url,
          row.body,
          webhookHeaders(row.body, secrets, row.event_id, Math.floor(attemptedAt.getTime() / 1000)),
          {
            timeoutMs: DELIVERY_TIMEOUT_MS,
            connectTimeoutMs: DELIVERY_CONNECT_TIMEOUT_MS,
            lookup: row.livemode || !privateTargetsAllowedInTestMode() ? publicOnlyLookup : undefined,
            cancel: cancellationSignal(),
          },
        )
      : { ok: false, statusCode: null, latencyMs: 0, error: `URL refused: ${check.reason}`, responseSnippet: null };
    if (result.ok) crashPoint('webhook.after-post');

    let status: DeliveryStatus = result.ok ? 'succeeded' : input.retryInSeconds === null ? 'failed' : 'pending';
    const disabledEventId = await inTransaction(pool, async (client) => {
      const disabled =
        row.target_type === 'endpoint'
          ? await recordEndpointOutcome(client, row.endpoint_id!, result.ok, attemptedAt)
          : undefined;
      // An endpoint disabled by this failure gets no more attempts of anything, this delivery included.
      if (disabled) status = 'failed';
      await client.query(
        `INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, succeeded, status_code, latency_ms, error, response_snippet)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
         ON CONFLICT (delivery_id, attempt) DO UPDATE SET attempted_at = EXCLUDED.attempted_at, succeeded = EXCLUDED.succeeded,
           status_code = EXCLUDED.status_code, latency_ms = EXCLUDED.latency_ms, error = EXCLUDED.error, response_snippet = EXCLUDED.response_snippet`,
        [
          input.deliveryId,
          input.attempt,
          attemptedAt,
          result.ok,
          result.statusCode,
          result.latencyMs,
          result.error,
          result.responseSnippet,
        ],
      );
      await client.query(
        `UPDATE webhook_deliveries SET status = $2, url = $3, attempt_count = GREATEST(attempt_count, $4),
           next_attempt_at = CASE WHEN $2 = 'pending' THEN now() + make_interval(secs => $5) END,
           completed_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END
         WHERE id = $1`,
        [input.deliveryId, status, url, input.attempt, input.retryInSeconds ?? 0],
      );
      return disabled && (await announcer.storeEvent(endpointDisabledEvent(row.merchant_id, disabled), attemptedAt, client)).id;
    });
    if (disabledEventId) await announcer.dispatchEvent(disabledEventId);
    return status;
  }
}

/** Sends the endpoint's latest `webhook_endpoint.disabled` event again (its queue ignores a repeat). */
async function announceLatestDisable(pool: Pool, announcer: EndpointDisabledAnnouncer, endpointId: string): Promise<void> {
  const event = await pool.query<{ id: string }>(
    `SELECT id FROM events WHERE object_id = $1 AND type = 'webhook_endpoint.disabled' ORDER BY created_at DESC LIMIT 1`,
    [endpointId],
  );
  if (event.rows[0]) await announcer.dispatchEvent(event.rows[0].id);
}
