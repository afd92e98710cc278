import { z } from 'zod';

/** Base units as a decimal-digit string: JSON (and so every workflow payload) has no bigint. */
export const BaseUnits = z.string().regex(/^-?\d+$/);

export const InvoiceStatus = {
  pending: 'pending',
  paid: 'paid',
  overpaid: 'overpaid',
  underpaid: 'underpaid',
  expired: 'expired',
} as const;
export type InvoiceStatus = (typeof InvoiceStatus)[keyof typeof InvoiceStatus];

export const DepositStatus = {
  detected: 'detected',
  confirming: 'confirming',
  completed: 'completed',
  failed: 'failed',
} as const;
export type DepositStatus = (typeof DepositStatus)[keyof typeof DepositStatus];

/** What the invoice workflow is started with; everything it needs without reading config. */
export const InvoiceInput = z.object({
  id: z.string(),
  merchantId: z.string(),
  livemode: z.boolean(),
  network: z.string(),
  currency: z.string(),
  decimals: z.number().int(),
  amount: BaseUnits,
  externalId: z.string().nullable(),
  callbackUrl: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  /** Checkout fields; absent on invoices created before the hosted checkout existed. */
  description: z.string().nullish(),
  successUrl: z.string().nullish(),
  cancelUrl: z.string().nullish(),
  /** The hosted page's capability URL, derived by the API (HMAC of the id) when it creates the invoice. */
  checkoutUrl: z.string().nullish(),
  expiresInSeconds: z.number().int().positive(),
  /** After expiry the address stays watched this long so a late payment is recorded, not lost. */
  monitorWindowSeconds: z.number().int().min(0),
  underpaymentToleranceBps: z.number().int().min(0).max(10_000),
  /** Hash of the creating request, so a reused Idempotency-Key with a different body is refused. */
  requestFingerprint: z.string(),
  /** Unique per API request: tells the request that created the invoice from later retries. */
  requestId: z.string(),
});
export type InvoiceInput = z.infer<typeof InvoiceInput>;

export const InvoiceDepositRef = z.object({
  depositId: z.string(),
  /** Token symbol of the transfer; an invoice only counts deposits in its own currency. */
  currency: z.string(),
  status: z.enum(DepositStatus),
  amount: BaseUnits,
  txHash: z.string(),
  detectedAt: z.string(),
  /** The transfer's block timestamp (ISO), when known: decides whether it arrived before expiry. */
  blockTimestamp: z.string().optional(),
});
export type InvoiceDepositRef = z.infer<typeof InvoiceDepositRef>;

export const InvoiceSnapshot = InvoiceInput.extend({
  /** Set by the workflow from its own clock, so expiry is measured on the clock that enforces it. */
  createdAt: z.string(),
  expiresAt: z.string(),
  monitorUntil: z.string(),
  depositAddress: z.string().nullable(),
  status: z.enum(InvoiceStatus),
  amountReceived: BaseUnits,
  amountPending: BaseUnits,
  paidLate: z.boolean(),
  paidAt: z.string().nullable(),
  deposits: z.array(InvoiceDepositRef),
  version: z.number().int(),
});
export type InvoiceSnapshot = z.infer<typeof InvoiceSnapshot>;

/** A transfer the chain watcher matched to one of Settle's addresses. */
export const DepositInput = z.object({
  id: z.string(),
  network: z.string(),
  txHash: z.string(),
  logIndex: z.number().int(),
  blockNumber: z.number().int(),
  blockHash: z.string(),
  /** The block's own timestamp (ISO): decides whether the payment was on time. Absent in deposits detected before it was recorded. */
  blockTimestamp: z.string().optional(),
  from: z.string(),
  to: z.string(),
  currency: z.string(),
  /** Token contract, or null for the native coin. */
  contract: z.string().nullable(),
  decimals: z.number().int(),
  amount: BaseUnits,
  merchantId: z.string(),
  livemode: z.boolean(),
  ownerType: z.enum(['invoice', 'customer', 'hot']),
  ownerId: z.string(),
  requiredConfirmations: z.number().int().min(1),
  blockTimeMs: z.number().int().positive(),
  detectedAt: z.string(),
});
export type DepositInput = z.infer<typeof DepositInput>;

export const DepositSnapshot = DepositInput.extend({
  status: z.enum(DepositStatus),
  confirmations: z.number().int(),
  version: z.number().int(),
  /** When this workflow chain started (ISO): orders a restarted deposit's writes after the failed one's. */
  lifecycle: z.string().optional(),
});
export type DepositSnapshot = z.infer<typeof DepositSnapshot>;

/** Sent by a deposit workflow to its invoice on every status change. */
export const DepositUpdate = InvoiceDepositRef;
export type DepositUpdate = InvoiceDepositRef;

/**
 * What the chain says about a deposit's transfer: `canonical` (in the node's chain, this deep),
 * `unknown` (the node cannot tell yet: a lagging backend, a missing receipt or block at a height it
 * has not passed by enough), or `gone` (proven: its block was replaced at a height the node passed
 * by the required confirmations). `canonical` is false only when gone, so older workflow code that
 * reads just that flag keeps waiting on `unknown`.
 */
export const VerifyResult = z.object({
  canonical: z.boolean(),
  state: z.enum(['canonical', 'unknown', 'gone']).optional(),
  confirmations: z.number().int(),
  blockNumber: z.number().int(),
  blockHash: z.string(),
});
export type VerifyResult = z.infer<typeof VerifyResult>;

export { workflowIds } from './workflow-ids';
