import { defineSignal } from '@temporalio/workflow';

/** The target id of an object's own callback_url (endpoints use their `we_…` id). */
export const CALLBACK_TARGET = 'callback';

/** Used when a merchant row has no schedule: first attempt at once, retries 5 s, 10 s and 15 s after each failure. */
export const DEFAULT_RETRY_SCHEDULE_SECONDS = [5, 10, 15];

/** Longest a single retry may wait; a merchant's schedule can span hours to days, not months. */
export const MAX_RETRY_DELAY_SECONDS = 7 * 86_400;

/** One event waiting in a target's queue. `requestId` tells a resend apart from the first delivery. */
export interface WebhookQueueItem {
  eventId: string;
  requestId: string;
}

/** The first delivery of an event; resends carry a fresh request id. */
export const PUBLISH_REQUEST_ID = 'publish';

export interface WebhookQueueInput {
  targetId: string;
  objectId: string;
  /** Items carried over a continue-as-new. */
  backlog?: WebhookQueueItem[];
}

export const webhookEnqueueSignal = defineSignal<[WebhookQueueItem]>('webhookEnqueue');

/** Tells a merchant's backlog workflow that deliveries were parked; `now` asks it to release at once. */
export interface WebhookBacklogWake {
  now: boolean;
}
export const webhookBacklogSignal = defineSignal<[WebhookBacklogWake]>('webhookBacklogParked');

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'canceled';

/** What an attempt returns: a status, or how long to wait when the merchant's delivery slots were all busy and nothing was sent. */
export type AttemptOutcome = DeliveryStatus | { deferredForMs: number };

/** Whether a delivery may make its attempt now (a slot is reserved for it), or how long to wait for one. */
export type DeliveryTurn = 'go' | { deferredForMs: number };

/** Deliveries of one merchant sent at once across every worker process, unless configured. */
export const DEFAULT_DELIVERIES_PER_MERCHANT = 8;

export interface OpenedDelivery {
  deliveryId: string;
  status: DeliveryStatus;
  attemptsMade: number;
  retryScheduleSeconds: number[];
}

/** How long the old secret keeps signing after a rotation unless the request says otherwise. */
export const DEFAULT_SECRET_GRACE_SECONDS = 86_400;
/** The longest grace a rotation may ask for. */
export const MAX_SECRET_GRACE_SECONDS = 7 * 86_400;

/** An endpoint whose every attempt has failed for this long is disabled. */
export const DISABLE_FAILING_ENDPOINT_AFTER_SECONDS = 3 * 86_400;

/** A webhook endpoint as stored; the secrets never leave through webhookEndpointObject unless asked. */
export interface WebhookEndpointRow {
  id: string;
  livemode: boolean;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (d: Date | null) => d && new Date(d).toISOString();

/** The public JSON of an endpoint, for API responses and `webhook_endpoint.*` event payloads. */
export function webhookEndpointObject(r: WebhookEndpointRow, options: { withSecret?: boolean } = {}) {
  return {
    id: r.id,
    object: 'webhook_endpoint' as const,
    livemode: r.livemode,
    url: r.url,
    description: r.description,
    events: r.events,
    enabled: r.enabled,
    disabled_reason: r.disabled_reason,
    failing_since: iso(r.failing_since),
    previous_secret_expires_at: iso(r.previous_secret_expires_at),
    ...(options.withSecret ? { secret: r.secret } : {}),
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
  };
}
