import type { CreateRefundBody } from '../../domain/api-schemas';
import { derivedId, randomId } from '../../domain/ids';
import { isRefundable } from '../../domain/payouts';
import type { AuthContext } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { requestFingerprint } from '../idempotency';
import { readInvoice } from '../read-invoice';
import { parsePositiveAmount } from '../request-money';
import { parseRecipient, requireExternalDestination, requireMinimumWithdrawal } from '../withdrawal-rules';
import { startPayout } from './start-payout';

/**
 * Refunds (part of) what an invoice received, from the merchant's balance in the invoice's network
 * and currency. The bound (refunds never return more than the invoice received) is enforced by the
 * reservation under the invoice's lock, so concurrent refunds cannot exceed it.
 */
export async function createRefund(
  deps: ApiDeps,
  auth: AuthContext,
  invoiceId: string,
  body: CreateRefundBody,
  idempotencyKey: string | undefined,
) {
  const invoice = await readInvoice(deps, invoiceId);
  if (!invoice || invoice.merchantId !== auth.merchantId || invoice.livemode !== auth.livemode) {
    throw ApiError.notFound('invoice');
  }
  if (!isRefundable(invoice)) {
    throw ApiError.invalid(
      'invoice_not_refundable',
      'Only an overpaid, underpaid, late or expired-then-paid invoice that received money can be refunded',
      'id',
    );
  }
  const network = deps.registry.get(invoice.network);
  const currency = network && deps.registry.currency(network, invoice.currency);
  if (!network || !currency) {
    throw ApiError.invalid('unknown_network', `The invoice's network ${invoice.network} is no longer configured`, 'id');
  }
  const amount = parsePositiveAmount(body.amount, currency.decimals);
  requireMinimumWithdrawal(amount, currency);
  const toAddress = parseRecipient(body.to_address);
  await requireExternalDestination(deps, network, toAddress);

  const id = idempotencyKey
    ? derivedId('re', auth.merchantId, String(auth.livemode), 'idempotency-key', idempotencyKey)
    : randomId('re');
  return startPayout(deps, auth, {
    id,
    kind: 'refund',
    invoiceId,
    network,
    currency,
    items: [{ id: derivedId('poi', id, '0'), amount: amount.toString(), toAddress, reference: null }],
    fingerprint: requestFingerprint('refunds.create', { invoiceId, amount: amount.toString(), toAddress }),
    summary: `Refund ${body.amount} ${currency.symbol} of ${invoiceId} to ${toAddress}`,
  });
}
