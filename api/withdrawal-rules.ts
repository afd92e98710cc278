import { getAddress, ZeroAddress } from 'ethers';
import { toBaseUnits, fromBaseUnits } from '../domain/money';
import type { Currency, NetworkConfig } from '../domain/networks';
import type { ApiDeps } from './deps';
import { ApiError } from './errors';

/** Below the currency's configured minimum, the gas of the sweeps and the transfer would cost more than it moves. */
export function requireMinimumWithdrawal(amount: bigint, currency: Currency): void {
  if (!currency.minWithdrawal) return;
  const minimum = toBaseUnits(currency.minWithdrawal, currency.decimals);
  if (amount >= minimum) return;
  throw ApiError.invalid(
    'amount_below_minimum',
    `The smallest ${currency.symbol} withdrawal on ${currency.network.id} is ${fromBaseUnits(minimum, currency.decimals)}`,
    'amount',
  );
}

/**
 * Refuses destinations where the money would be lost or never seen again: a token contract (tokens
 * sent to it are stuck) and Settle's own deposit and hot addresses (the chain watcher books transfers
 * between its own addresses as internal moves, so nobody would be credited).
 */
export async function requireExternalDestination(deps: ApiDeps, network: NetworkConfig, address: string): Promise<void> {
  const lower = address.toLowerCase();
  if (network.tokens.some((t) => t.address.toLowerCase() === lower)) {
    throw ApiError.invalid('destination_is_token_contract', `${address} is a token contract on ${network.id}`, 'to_address');
  }
  const own = await deps.pool.query('SELECT 1 FROM addresses WHERE network = $1 AND address = $2 LIMIT 1', [network.id, lower]);
  if (own.rowCount) {
    throw ApiError.invalid(
      'destination_is_settle_address',
      `${address} is an address Settle manages; withdraw to an address outside Settle`,
      'to_address',
    );
  }
}

/** Checksummed recipient; a mistyped mixed-case address fails its EIP-55 checksum instead of losing funds. */
export function parseRecipient(value: string, param = 'to_address'): string {
  let address: string;
  try {
    address = getAddress(value);
  } catch {
    throw ApiError.invalid('invalid_address', `"${value}" is not a valid address (or its checksum is wrong)`, param);
  }
  if (address === ZeroAddress) throw ApiError.invalid('invalid_address', 'Cannot withdraw to the zero address', param);
  return address;
}
