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

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'canceled';

export interface OpenedDelivery {
  deliveryId: string;
  status: DeliveryStatus;
  attemptsMade: number;
  retryScheduleSeconds: number[];
}
