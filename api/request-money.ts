import type { Currency, NetworkConfig } from '../domain/networks';
import { AmountError, toBaseUnits } from '../domain/money';
import type { AuthContext } from './auth';
import type { ApiDeps } from './deps';
import { ApiError } from './errors';

/** No token amount can exceed a uint256; larger ones would also overflow the numeric(78,0) columns. */
const MAX_UINT256 = 2n ** 256n - 1n;

/** A request's `amount` as base units of its currency; zero, negative, over-precise and impossible amounts are 400s. */
export function parsePositiveAmount(value: string, decimals: number): bigint {
  try {
    const amount = toBaseUnits(value, decimals);
    if (amount <= 0n) throw new AmountError('amount must be greater than zero', 'invalid_amount');
    if (amount > MAX_UINT256) throw new AmountError('amount is larger than any token supply', 'invalid_amount');
    return amount;
  } catch (err) {
    if (err instanceof AmountError) throw ApiError.invalid(err.code, err.message, 'amount');
    throw err;
  }
}

/** The network a request names (or the mode's default), as the key's mode sees it; unknown is a 400. */
export function resolveNetwork(deps: ApiDeps, auth: AuthContext, requested: string | undefined): NetworkConfig {
  const network = deps.registry.resolve(requested, auth.livemode);
  if (!network) throw ApiError.invalid('unknown_network', `Unknown network "${requested}"`, 'network');
  return network;
}

/** A currency on a network (USDT unless named); `usage` words the error ("withdrawn", "used"). */
export function resolveCurrency(deps: ApiDeps, network: NetworkConfig, requested: string | undefined, usage = 'used'): Currency {
  const currency = deps.registry.currency(network, requested ?? 'USDT');
  if (!currency)
    throw ApiError.invalid('unsupported_currency', `${requested ?? 'USDT'} cannot be ${usage} on ${network.id}`, 'currency');
  return currency;
}
