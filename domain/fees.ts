import { toBaseUnits } from './money';

/**
 * Merchant fee policy: none (seed 000), or a flat amount per completed deposit (seed 004's $2).
 * A flat fee is a dollar amount, so it applies only to the listed currencies (dollar stablecoins by
 * default): charging "2.00" on a native-coin deposit would take 2 ETH.
 */
export type FeePolicy = { type: 'none' } | { type: 'flat'; amount: string; currencies?: string[] };

export const DEFAULT_FLAT_FEE_CURRENCIES = ['USDT', 'USDC'];

/**
 * The fee on one deposit, in its base units: never more than the deposit itself, and truncated to
 * the token's precision (a 6-decimal token cannot be charged 0.0000001), so it never fails.
 */
export function depositFee(policy: FeePolicy, currency: string, decimals: number, amount: bigint): bigint {
  if (policy.type !== 'flat') return 0n;
  const currencies = (policy.currencies ?? DEFAULT_FLAT_FEE_CURRENCIES).map((c) => c.toUpperCase());
  if (!currencies.includes(currency.toUpperCase())) return 0n;
  const [whole = '0', fraction = ''] = policy.amount.split('.');
  const flat = toBaseUnits(fraction ? `${whole}.${fraction.slice(0, decimals) || '0'}` : whole, decimals);
  return flat < amount ? flat : amount;
}
