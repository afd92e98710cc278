import { fromBaseUnits } from './money';
import type { DepositSnapshot, InvoiceSnapshot } from './payments';

/**
 * The public JSON shapes of Settle's objects. API responses and webhook payloads both use these,
 * so `data` in an `invoice.paid` event is the same object `GET /v1/invoices/{id}` returns.
 */
export function invoiceObject(s: InvoiceSnapshot) {
  const amount = (units: string) => fromBaseUnits(units, s.decimals);
  return {
    id: s.id,
    object: 'invoice' as const,
    invoice_id: s.id,
    livemode: s.livemode,
    status: s.status,
    amount: amount(s.amount),
    amount_received: amount(s.amountReceived),
    amount_pending: amount(s.amountPending),
    currency: s.currency,
    network: s.network,
    deposit_address: s.depositAddress,
    external_id: s.externalId,
    callback_url: s.callbackUrl,
    metadata: s.metadata,
    description: s.description ?? null,
    checkout_url: s.checkoutUrl ?? null,
    success_url: s.successUrl ?? null,
    cancel_url: s.cancelUrl ?? null,
    paid_late: s.paidLate,
    paid_at: s.paidAt,
    expires_at: s.expiresAt,
    created_at: s.createdAt,
    deposits: s.deposits.map((d) => ({
      id: d.depositId,
      status: d.status,
      amount: amount(d.amount),
      transaction_hash: d.txHash,
      detected_at: d.detectedAt,
    })),
  };
}
export type InvoiceObject = ReturnType<typeof invoiceObject>;

export function depositObject(s: DepositSnapshot) {
  return {
    id: s.id,
    object: 'deposit' as const,
    livemode: s.livemode,
    status: s.status,
    amount: fromBaseUnits(s.amount, s.decimals),
    currency: s.currency,
    network: s.network,
    address: s.to,
    from_address: s.from,
    transaction_hash: s.txHash,
    log_index: s.logIndex,
    block_number: s.blockNumber,
    confirmations: s.confirmations,
    required_confirmations: s.requiredConfirmations,
    invoice_id: s.ownerType === 'invoice' ? s.ownerId : null,
    customer_id: s.ownerType === 'customer' ? s.ownerId : null,
    detected_at: s.detectedAt,
  };
}
export type DepositObject = ReturnType<typeof depositObject>;
