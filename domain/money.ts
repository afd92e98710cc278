/**
 * Amounts cross the API as decimal strings and live everywhere else as integer base units.
 * Base units travel through workflow payloads as decimal-digit strings because JSON has no bigint.
 */

const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

export class AmountError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid_amount' | 'amount_too_precise',
  ) {
    super(message);
  }
}

/** Parses a non-negative decimal string into base units; rejects more fraction digits than `decimals`. */
export function toBaseUnits(amount: string, decimals: number): bigint {
  if (!DECIMAL.test(amount)) {
    throw new AmountError(`"${amount}" is not a non-negative decimal number like "50.00"`, 'invalid_amount');
  }
  const [whole = '0', fraction = ''] = amount.split('.');
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > decimals) {
    throw new AmountError(`"${amount}" has more than ${decimals} decimal places`, 'amount_too_precise');
  }
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(significant.padEnd(decimals, '0') || '0');
}

/** Formats base units as a decimal string with at least two fraction digits ("50.00", "0.000001"). */
export function fromBaseUnits(units: bigint | string, decimals: number): string {
  const value = BigInt(units);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  let fraction = decimals > 0 ? (abs % scale).toString().padStart(decimals, '0').replace(/0+$/, '') : '';
  if (fraction.length < 2) fraction = fraction.padEnd(Math.min(2, Math.max(decimals, 0)), '0');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** `part` as a fraction of `whole` in basis points, rounded down (for tolerance checks without floats). */
export function isWithinToleranceBelow(received: bigint, expected: bigint, toleranceBps: number): boolean {
  return received * 10_000n >= expected * BigInt(10_000 - toleranceBps);
}
