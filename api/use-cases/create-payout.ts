import type { CreatePayoutBody } from '../../domain/api-schemas';
import { derivedId, randomId } from '../../domain/ids';
import type { PayoutItemInput } from '../../domain/payouts';
import type { AuthContext } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { requestFingerprint } from '../idempotency';
import { parsePositiveAmount, resolveCurrency, resolveNetwork } from '../request-money';
import { parseRecipient, requireExternalDestination, requireMinimumWithdrawal } from '../withdrawal-rules';
import { startPayout } from './start-payout';

/**
 * Creates a batch payout: every item is checked as a withdrawal is (amount, minimum, destination),
 * all items share one network and currency (one balance, one reservation), and each gets an id
 * derived from the payout's, so a retried request names the same items.
 */
export async function createPayout(deps: ApiDeps, auth: AuthContext, body: CreatePayoutBody, idempotencyKey: string | undefined) {
  const first = body.items[0]!;
  const network = atParam('items.0', () => resolveNetwork(deps, auth, first.network));
  const currency = atParam('items.0', () => resolveCurrency(deps, network, first.currency, 'paid out'));
  const id = idempotencyKey
    ? derivedId('po', auth.merchantId, String(auth.livemode), 'idempotency-key', idempotencyKey)
    : randomId('po');

  const items: PayoutItemInput[] = [];
  for (const [i, item] of body.items.entries()) {
    const checked = await atParam(`items.${i}`, async () => {
      if (resolveNetwork(deps, auth, item.network).id !== network.id) {
        throw ApiError.invalid('mixed_networks', `Every item must be on ${network.id}, like the first`, 'network');
      }
      if (resolveCurrency(deps, network, item.currency, 'paid out').symbol !== currency.symbol) {
        throw ApiError.invalid('mixed_currencies', `Every item must be in ${currency.symbol}, like the first`, 'currency');
      }
      const amount = parsePositiveAmount(item.amount, currency.decimals);
      requireMinimumWithdrawal(amount, currency);
      const toAddress = parseRecipient(item.to_address);
      await requireExternalDestination(deps, network, toAddress);
      return { id: derivedId('poi', id, String(i)), amount: amount.toString(), toAddress, reference: item.reference ?? null };
    });
    items.push(checked);
  }

  return startPayout(deps, auth, {
    id,
    kind: 'payout',
    invoiceId: null,
    network,
    currency,
    items,
    fingerprint: requestFingerprint('payouts.create', { network: network.id, currency: currency.symbol, items }),
    summary: `Pay out ${items.length} transfers of ${currency.symbol} on ${network.id}`,
  });
}

/** Runs a check of one part of the body, reporting its errors with that part's path (`items.3.amount`). */
function atParam<T>(prefix: string, check: () => T): T {
  const rethrow = (err: unknown): never => {
    if (err instanceof ApiError) throw new ApiError(err.status, err.type, err.code, err.message, `${prefix}.${err.param ?? ''}`);
    throw err;
  };
  try {
    const result = check();
    return (result instanceof Promise ? result.catch(rethrow) : result) as T;
  } catch (err) {
    return rethrow(err);
  }
}
