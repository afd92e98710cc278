import { createHash, randomBytes } from 'node:crypto';

/** Object id prefixes, Stripe-style, so an id says what it names. */
export const IdPrefix = {
  merchant: 'mer',
  invoice: 'inv',
  customer: 'cus',
  event: 'evt',
  webhookEndpoint: 'we',
  webhookDelivery: 'whd',
  withdrawal: 'wd',
  payout: 'po',
  payoutItem: 'poi',
  refund: 're',
  apiKey: 'key',
} as const;
export type IdPrefix = (typeof IdPrefix)[keyof typeof IdPrefix];

export function randomId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** An id derived from its inputs, so a retried request or activity arrives at the same object. */
export function derivedId(prefix: IdPrefix, ...parts: string[]): string {
  return `${prefix}_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;
}
