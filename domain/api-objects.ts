import { z } from 'zod';
import { EVENT_TYPES } from './events';

/**
 * Schemas of the public response objects, matching domain/serialize.ts (and the route-level
 * serializers). They feed the OpenAPI document, and tests validate real responses against them,
 * so a serializer change that is not reflected here fails a test instead of silently drifting.
 */

const Decimal = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/)
  .describe('Decimal string in whole currency units.');
const Timestamp = z.string().describe('ISO 8601 timestamp.');
const Address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .describe('EIP-55 checksummed EVM address.');
const TxHash = z.string().regex(/^0x[0-9a-f]{64}$/);
const Metadata = z.record(z.string(), z.string());
const Livemode = z.boolean().describe('false for objects created with a sk_test_ key.');

export const InvoiceStatusSchema = z.enum(['pending', 'paid', 'overpaid', 'underpaid', 'expired']);
export const DepositStatusSchema = z.enum(['detected', 'confirming', 'completed', 'failed']);

export const InvoiceObject = z
  .object({
    id: z.string(),
    object: z.literal('invoice'),
    invoice_id: z.string().describe('Same as id (seed 000 webhook payloads read invoice_id).'),
    livemode: Livemode,
    status: InvoiceStatusSchema,
    amount: Decimal,
    amount_received: Decimal.describe('Sum of completed deposits.'),
    amount_pending: Decimal.describe('Sum of deposits detected but not yet confirmed.'),
    currency: z.string(),
    network: z.string(),
    deposit_address: Address.nullable(),
    external_id: z.string().nullable(),
    callback_url: z.string().nullable(),
    metadata: Metadata,
    description: z.string().nullable(),
    checkout_url: z
      .string()
      .nullable()
      .describe('Hosted payment page for the shopper; the URL itself is the access token, no API key needed.'),
    success_url: z.string().nullable(),
    cancel_url: z.string().nullable(),
    paid_late: z.boolean(),
    paid_at: Timestamp.nullable(),
    expires_at: Timestamp,
    created_at: Timestamp,
    deposits: z.array(
      z
        .object({
          id: z.string(),
          status: DepositStatusSchema,
          amount: Decimal,
          transaction_hash: TxHash,
          detected_at: Timestamp,
        })
        .strict(),
    ),
  })
  .strict();

export const CustomerObject = z
  .object({
    id: z.string(),
    object: z.literal('customer'),
    livemode: Livemode,
    email: z.string().nullable(),
    name: z.string().nullable(),
    external_id: z.string().nullable(),
    metadata: Metadata,
    addresses: z
      .array(z.object({ network: z.string(), address: Address }).strict())
      .describe('One permanent address per network.'),
    created_at: Timestamp,
  })
  .strict();

export const DepositObject = z
  .object({
    id: z.string(),
    object: z.literal('deposit'),
    livemode: Livemode,
    status: DepositStatusSchema,
    amount: Decimal,
    currency: z.string(),
    network: z.string(),
    address: z.string().describe('The Settle address that received the transfer.'),
    from_address: z.string(),
    transaction_hash: TxHash,
    log_index: z.number().int().describe('-1 for a native-coin transfer.'),
    block_number: z.number().int(),
    confirmations: z.number().int(),
    required_confirmations: z.number().int(),
    invoice_id: z.string().nullable(),
    customer_id: z.string().nullable(),
    detected_at: Timestamp,
  })
  .strict();

export const SimulatedDepositObject = z
  .object({
    id: z.string(),
    object: z.literal('simulated_deposit'),
    livemode: z.literal(false),
    transaction_hash: TxHash,
    to_address: Address,
    amount: Decimal,
    currency: z.string(),
    network: z.string(),
    scenario: z.enum(['normal', 'underpay', 'reorg']),
  })
  .strict();

export const ErrorBody = z
  .object({
    error: z
      .object({
        type: z.enum(['invalid_request_error', 'authentication_error', 'permission_error', 'idempotency_error', 'api_error']),
        code: z.string(),
        message: z.string(),
        param: z.string().nullable(),
        /** The request's id (also the Request-Id header): quote it when asking about a failure. */
        request_id: z.string().optional(),
      })
      .strict(),
  })
  .strict();

/** `{ data }` around a single object. */
export const Envelope = <T extends z.ZodType>(schema: T) => z.object({ data: schema }).strict();

/** A page of a list endpoint; pass next_cursor as starting_after to get the next one. */
export const ListEnvelope = <T extends z.ZodType>(schema: T) =>
  z.object({ data: z.array(schema), has_more: z.boolean(), next_cursor: z.string().nullable() }).strict();

/** The body of every webhook delivery (and of an event object). */
export const EventPayload = z.object({
  id: z.string(),
  event: z.enum(EVENT_TYPES),
  created: z.number().int().describe('Unix seconds.'),
  livemode: Livemode,
  data: z.record(z.string(), z.unknown()).describe('The object the event is about, as the API returns it.'),
});

/*
 * Objects of the webhook and withdrawal areas. Their serializers live with those features, so these
 * schemas name the documented fields without forbidding additions (no .strict()).
 */

export const WebhookEndpointObject = z.object({
  id: z.string(),
  object: z.literal('webhook_endpoint'),
  livemode: Livemode,
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.enum(EVENT_TYPES)).describe('Empty means every event type.'),
  enabled: z.boolean(),
  disabled_reason: z
    .enum(['failing'])
    .nullable()
    .describe('failing: Settle disabled it after every attempt failed for days (see webhook_endpoint.disabled).'),
  failing_since: Timestamp.nullable().describe('The first failed attempt since the last success.'),
  previous_secret_expires_at: Timestamp.nullable().describe('After a rotation: until when the old secret also signs.'),
  secret: z.string().optional().describe('Signing secret (whsec_…); returned only on create and rotate-secret.'),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const DeletedWebhookEndpoint = z.object({
  id: z.string(),
  object: z.literal('webhook_endpoint'),
  deleted: z.literal(true),
});

export const WebhookDeliveryObject = z.object({
  id: z.string(),
  object: z.literal('webhook_delivery'),
  livemode: Livemode,
  event_id: z.string(),
  event_type: z.string(),
  target: z.string().describe("endpoint or callback (the invoice's callback_url)."),
  endpoint_id: z.string().nullable(),
  url: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed', 'canceled']),
  attempt_count: z.number().int(),
  next_attempt_at: Timestamp.nullable(),
  created_at: Timestamp,
  completed_at: Timestamp.nullable(),
  attempts: z.array(z.record(z.string(), z.unknown())),
});

export const EventObject = EventPayload.extend({
  object: z.literal('event'),
  type: z.enum(EVENT_TYPES),
  object_type: z.string(),
  object_id: z.string(),
  sequence: z.number().int(),
  created_at: Timestamp,
  deliveries: z.array(WebhookDeliveryObject).optional().describe('On retrieve only: every delivery and its attempts.'),
});

export const EventResendObject = z.object({
  object: z.literal('event_resend'),
  event_id: z.string(),
  request_id: z.string(),
  targets: z.array(z.unknown()),
});

export const WithdrawalObject = z.object({
  id: z.string(),
  object: z.literal('withdrawal'),
  livemode: Livemode,
  status: z.string(),
  amount: Decimal,
  currency: z.string(),
  network: z.string(),
  to_address: z.string(),
  transaction_hash: z.string().nullable(),
  failure_reason: z
    .string()
    .nullable()
    .describe(
      'Why it was rejected or failed: `insufficient_balance`, `gas_policy_exceeded` (its worst-case gas exceeds the network cap; nothing was signed), or a sentence.',
    ),
  created_at: Timestamp,
  completed_at: Timestamp.nullable(),
});

export const BalanceObject = z.record(z.string(), z.unknown()).describe('Totals received, fees and available, by currency.');

export const PayoutItemObject = z.object({
  id: z.string(),
  object: z.literal('payout_item'),
  payout_id: z.string(),
  livemode: Livemode,
  status: z.enum(['pending', 'sent', 'completed', 'failed']),
  amount: Decimal,
  to_address: Address,
  reference: z.string().nullable(),
  transaction_hash: TxHash.nullable(),
  failure_reason: z.string().nullable(),
  completed_at: Timestamp.nullable(),
});

/** A payout as lists show it: its items counted, not embedded (a payout has up to 500). */
export const PayoutSummaryObject = z.object({
  id: z.string(),
  object: z.literal('payout'),
  livemode: Livemode,
  status: z.enum(['pending', 'rejected', 'reserved', 'sweeping', 'sending', 'completed', 'failed']),
  amount: Decimal.describe('Sum of the items: what was reserved.'),
  currency: z.string(),
  network: z.string(),
  item_count: z.number().int(),
  items_completed: z.number().int(),
  items_failed: z.number().int(),
  failure_reason: z.string().nullable(),
  created_at: Timestamp,
  completed_at: Timestamp.nullable(),
});

export const PayoutObject = PayoutSummaryObject.extend({ items: z.array(PayoutItemObject) });

export const RefundObject = z.object({
  id: z.string(),
  object: z.literal('refund'),
  invoice_id: z.string(),
  livemode: Livemode,
  status: z.enum(['pending', 'sent', 'completed', 'failed']),
  amount: Decimal,
  currency: z.string(),
  network: z.string(),
  to_address: Address,
  transaction_hash: TxHash.nullable(),
  failure_reason: z.string().nullable(),
  created_at: Timestamp,
  completed_at: Timestamp.nullable(),
});
