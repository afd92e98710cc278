import { createHash, randomBytes } from 'node:crypto';

/** Keys look like Stripe's: `sk_live_…` moves real money, `sk_test_…` only touches test data. */
export const KEY_PATTERN = /^sk_(live|test)_[0-9a-zA-Z]{24,64}$/;

export function generateApiKey(livemode: boolean): string {
  return `sk_${livemode ? 'live' : 'test'}_${randomBytes(24).toString('hex')}`;
}

/** Only this hash is stored. Keys carry 192 random bits, so a fast hash cannot be brute-forced. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Enough of the key to recognise it in a list, never enough to use it. */
export function displayPrefix(key: string): string {
  return `${key.slice(0, 12)}…`;
}
