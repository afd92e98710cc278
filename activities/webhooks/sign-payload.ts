import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of the exact body bytes: what seed 004's `X-Webhook-Signature` carries. */
export function bodySignature(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/**
 * Stripe-style `t=<unix>,v1=<hex>` over `"<t>.<body>"`: binding the timestamp into the MAC lets a
 * receiver reject a captured request replayed later.
 */
export function timestampedSignature(body: string, secret: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/** Every header a delivery carries besides the transport's own. */
export function webhookHeaders(body: string, secret: string, eventId: string, timestampSeconds: number): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'Settle-Webhooks/1',
    'Settle-Event-Id': eventId,
    'X-Webhook-Signature': bodySignature(body, secret),
    'Settle-Signature': timestampedSignature(body, secret, timestampSeconds),
  };
}

/**
 * Verifies a `Settle-Signature` header against the raw body, rejecting timestamps further than
 * `toleranceSeconds` from `nowSeconds`. The reference implementation of what docs/webhooks.md shows.
 */
export function verifySettleSignature(
  header: string,
  rawBody: string,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const [k, v] = item.split('=', 2);
    if (k && v) parts.set(k.trim(), [...(parts.get(k.trim()) ?? []), v.trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(timestampedSignature(rawBody, secret, t).split('v1=')[1]!, 'hex');
  return (parts.get('v1') ?? []).some((candidate) => {
    const given = Buffer.from(candidate, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
