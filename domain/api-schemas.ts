import { z } from 'zod';
import { EVENT_TYPES } from './events';
import { DEFAULT_SECRET_GRACE_SECONDS, MAX_SECRET_GRACE_SECONDS } from './webhooks';

/**
 * Request schemas of the public API. The API validates with them and the OpenAPI document is
 * generated from them, so the documentation cannot drift from what is enforced.
 */

export const DecimalAmount = z
  .string()
  .regex(/^(0|[1-9]\d*)(\.\d+)?$/, 'must be a decimal string like "50.00"')
  .max(80)
  .describe('Decimal string in whole currency units, e.g. "50.00". Never a JSON number.');

const Metadata = z
  .record(z.string().max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys')
  .describe('Up to 50 string key/value pairs, stored and returned as given.');

const CallbackUrl = z
  .string()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');
// Where the checkout page sends the shopper; only http(s), so a link can never run script.
const ReturnUrl = CallbackUrl;

export const CreateInvoiceBody = z
  .object({
    amount: DecimalAmount,
    currency: z.string().min(1).max(12).optional().describe('Token symbol; defaults to USDT.'),
    network: z.string().min(1).max(40).optional().describe('Network id; defaults to bsc (live) or local (test).'),
    external_id: z.string().min(1).max(200).optional().describe('Your order id; unique per merchant and mode.'),
    callback_url: CallbackUrl.optional().describe("Receives this invoice's events (invoice.paid, ...)."),
    expires_in: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .optional()
      .describe('Seconds until expiry; default 3600.'),
    metadata: Metadata.optional(),
    description: z.string().min(1).max(500).optional().describe('Shown to the shopper on the checkout page.'),
    success_url: ReturnUrl.optional().describe('The checkout page sends the shopper here a few seconds after payment.'),
    cancel_url: ReturnUrl.optional().describe('The checkout page links back here ("Return to the shop").'),
  })
  .strict();
export type CreateInvoiceBody = z.infer<typeof CreateInvoiceBody>;

const Limit = z.coerce.number().int().min(1).max(100).default(20);
// Bounded to years 1970–9999: a date PostgreSQL cannot store would otherwise fail the query (a 500).
const Timestamp = z
  .union([
    z
      .string()
      .regex(/^\d{1,11}$/)
      .transform((s) => new Date(Number(s) * 1000)),
    z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
  ])
  .refine((d) => d.getTime() >= 0 && d.getTime() < 253_402_300_800_000, 'must be between 1970 and 9999');

export const ListQuery = z.object({
  limit: Limit,
  starting_after: z.string().max(200).optional().describe('Cursor: the next_cursor of the previous page.'),
  created_gte: Timestamp.optional().describe('Unix seconds or ISO 8601.'),
  created_lte: Timestamp.optional().describe('Unix seconds or ISO 8601.'),
});

export const ListInvoicesQuery = ListQuery.extend({
  status: z.enum(['pending', 'paid', 'overpaid', 'underpaid', 'expired']).optional(),
  external_id: z.string().max(200).optional(),
});
export type ListInvoicesQuery = z.infer<typeof ListInvoicesQuery>;

export const CreateCustomerBody = z
  .object({
    email: z.email().max(320).optional(),
    name: z.string().min(1).max(200).optional(),
    external_id: z.string().min(1).max(200).optional(),
    metadata: Metadata.optional(),
  })
  .strict();
export type CreateCustomerBody = z.infer<typeof CreateCustomerBody>;

export const ListDepositsQuery = ListQuery.extend({
  status: z.enum(['detected', 'confirming', 'completed', 'failed']).optional(),
  invoice_id: z.string().max(100).optional(),
  customer_id: z.string().max(100).optional(),
});

export const IdParam = z.string().regex(/^[a-z]+_[0-9a-f]{16,48}$/, 'is not a valid id');

/**
 * `read` reads objects; `write` creates invoices and customers; `withdraw` moves money out;
 * `webhooks` manages webhook endpoints and reads their delivery log. An endpoint receives every
 * event of its mode, so grant `webhooks` only where you would grant `read`.
 */
export const ApiScope = z.enum(['read', 'write', 'withdraw', 'webhooks']);
export type ApiScope = z.infer<typeof ApiScope>;

const WebhookUrl = z.string().max(2048).describe('http(s) URL; in live mode it must resolve only to public addresses.');
const WebhookEventTypes = z
  .array(z.enum(EVENT_TYPES))
  .max(EVENT_TYPES.length)
  .describe('Event types to receive; empty or absent means every type.');

export const CreateWebhookEndpointBody = z
  .object({
    url: WebhookUrl,
    events: WebhookEventTypes.optional(),
    description: z.string().max(500).optional(),
  })
  .strict();
export type CreateWebhookEndpointBody = z.infer<typeof CreateWebhookEndpointBody>;

export const UpdateWebhookEndpointBody = z
  .object({
    url: WebhookUrl.optional(),
    events: WebhookEventTypes.optional(),
    description: z.string().max(500).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type UpdateWebhookEndpointBody = z.infer<typeof UpdateWebhookEndpointBody>;

export const RotateWebhookSecretBody = z
  .object({
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_SECRET_GRACE_SECONDS)
      .optional()
      .describe(
        `How long the old secret keeps signing alongside the new one (default ${DEFAULT_SECRET_GRACE_SECONDS}); 0 revokes it at once.`,
      ),
  })
  .strict();
export type RotateWebhookSecretBody = z.infer<typeof RotateWebhookSecretBody>;

export const ListEventsQuery = ListQuery.extend({
  type: z.enum(EVENT_TYPES).optional(),
  object_id: z.string().max(100).optional(),
  delivery_failed: z.enum(['true', 'false']).optional().describe('true: only events with at least one failed delivery.'),
});
export type ListEventsQuery = z.infer<typeof ListEventsQuery>;

export const CreateWithdrawalBody = z
  .object({
    amount: DecimalAmount,
    to_address: z.string().min(1).max(100).describe('EVM address; mixed case must carry a valid EIP-55 checksum.'),
    currency: z.string().min(1).max(12).optional().describe('Token symbol; defaults to USDT.'),
    network: z.string().min(1).max(40).optional().describe('Network id; defaults to bsc (live) or local (test).'),
  })
  .strict();
export type CreateWithdrawalBody = z.infer<typeof CreateWithdrawalBody>;

const Recipient = z.string().min(1).max(100).describe('EVM address; mixed case must carry a valid EIP-55 checksum.');

/** Items one payout may carry: one reservation and one workflow for all of them. */
export const MAX_PAYOUT_ITEMS = 500;

export const CreatePayoutBody = z
  .object({
    items: z
      .array(
        z
          .object({
            amount: DecimalAmount,
            to_address: Recipient,
            currency: z.string().min(1).max(12).optional().describe('Token symbol; defaults to USDT. The same for every item.'),
            network: z
              .string()
              .min(1)
              .max(40)
              .optional()
              .describe('Network id; defaults to bsc (live) or local (test). The same for every item.'),
            reference: z.string().min(1).max(200).optional().describe('Your id for this transfer, returned with the item.'),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_PAYOUT_ITEMS),
  })
  .strict();
export type CreatePayoutBody = z.infer<typeof CreatePayoutBody>;

export const CreateRefundBody = z
  .object({
    amount: DecimalAmount.describe("In the invoice's currency; at most what the invoice received minus earlier refunds."),
    to_address: Recipient,
  })
  .strict();
export type CreateRefundBody = z.infer<typeof CreateRefundBody>;

export const ListWithdrawalsQuery = ListQuery.extend({
  status: z
    .enum(['pending', 'rejected', 'reserved', 'sweeping', 'signing', 'broadcast', 'confirming', 'completed', 'failed'])
    .optional(),
});

export const ListPayoutsQuery = ListQuery.extend({
  status: z.enum(['pending', 'reserved', 'sweeping', 'sending', 'completed', 'failed']).optional(),
});
