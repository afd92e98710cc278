/** Every webhook event type Settle emits. */
export const EventType = {
  invoiceCreated: 'invoice.created',
  invoicePaid: 'invoice.paid',
  invoiceExpired: 'invoice.expired',
  invoiceUnderpaid: 'invoice.underpaid',
  invoiceOverpaid: 'invoice.overpaid',
  depositDetected: 'deposit.detected',
  depositConfirming: 'deposit.confirming',
  depositCompleted: 'deposit.completed',
  depositFailed: 'deposit.failed',
  customerCreated: 'customer.created',
  withdrawalCreated: 'withdrawal.created',
  withdrawalCompleted: 'withdrawal.completed',
  withdrawalFailed: 'withdrawal.failed',
  withdrawalStuck: 'withdrawal.stuck',
  hotWalletLowBalance: 'hot_wallet.low_balance',
  payoutCreated: 'payout.created',
  payoutCompleted: 'payout.completed',
  payoutFailed: 'payout.failed',
  payoutItemSent: 'payout_item.sent',
  payoutItemCompleted: 'payout_item.completed',
  payoutItemFailed: 'payout_item.failed',
  refundCreated: 'refund.created',
  refundCompleted: 'refund.completed',
  refundFailed: 'refund.failed',
  webhookEndpointDisabled: 'webhook_endpoint.disabled',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];
export const EVENT_TYPES = Object.values(EventType) as [EventType, ...EventType[]];

/** What a workflow hands to the publishEvent activity; the activity assigns the id and stores it. */
export interface PublishEventInput {
  merchantId: string;
  livemode: boolean;
  type: EventType;
  objectType:
    'invoice' | 'deposit' | 'customer' | 'withdrawal' | 'payout' | 'payout_item' | 'refund' | 'webhook_endpoint' | 'hot_wallet';
  objectId: string;
  /** Position in the object's lifecycle; with objectId and type it makes the event id stable across retries. */
  sequence: number;
  /**
   * Distinguishes lifecycles of one object id: a deposit reorged out and mined again runs a second
   * workflow under the same id, whose events must not collide with the first run's.
   */
  lifecycleKey?: string;
  data: Record<string, unknown>;
  /** The invoice's own callback_url, which receives the invoice's events besides the merchant's endpoints. */
  callbackUrl?: string | null;
}
