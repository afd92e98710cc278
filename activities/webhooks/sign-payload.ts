import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of the exact body bytes: what seed 004's `X-Webhook-Signature` carries. */
export function bodySignature(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/**
 * Stripe-style `t=<unix>,v1=<hex>` over `"<t>.<body>"`: binding the timestamp into the MAC lets a
 * receiver reject a captured request replayed later. With several secrets (a rotation's grace
 * period, newest first) there is one `v1` per secret; a receiver accepts any that matches.
 */
export function timestampedSignature(body: string, secrets: string | string[], timestampSeconds: number): string {
  const macs = [secrets]
    .flat()
    .map((secret) => `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex')}`);
  return [`t=${timestampSeconds}`, ...macs].join(',');
}

/**
 * Every header a delivery carries besides the transport's own. `secrets` is the endpoint's current
 * secret, then the rotated-out one while its grace lasts. `X-Webhook-Signature` has room for one
 * value (seed 004 compares it whole), so it always uses the current secret.
 */
export function webhookHeaders(
  body: string,
  secrets: string[],
  eventId: string,
  timestampSeconds: number,
): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'Settle-Webhooks/1',
    'Settle-Event-Id': eventId,
    'X-Webhook-Signature': bodySignature(body, secrets[0]!),
    'Settle-Signature': timestampedSignature(body, secrets, timestampSeconds),
  };
}

/**
 * Verifies a `Settle-Signature` header against the raw body with any of `secrets` (a receiver in
 * the middle of a rotation holds both), rejecting timestamps further than `toleranceSeconds` from
 * `nowSeconds`. Any malformed header is simply not verified. The reference implementation of what
 * docs/webhooks.md shows; the shipped receiver uses it.
 */
export function verifySettleSignature(
  header: string,
  rawBody: string | Buffer,
  secrets: string | string[],
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map<string, string[]>();
  for (const item of header.slice(0, 4096).split(',')) {
    const [k, v] = item.split('=', 2);
    if (k && v) parts.set(k.trim(), [...(parts.get(k.trim()) ?? []), v.trim()]);
  }
  const t = /^\d{1,12}$/.test(parts.get('t')?.[0] ?? '') ? Number(parts.get('t')![0]) : NaN;
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const given = (parts.get('v1') ?? []).filter((c) => /^[0-9a-f]{64}$/i.test(c)).map((c) => Buffer.from(c, 'hex'));
  return [secrets].flat().some((secret) => {
    const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
    return given.some((g) => timingSafeEqual(g, expected));
  });
}
