import { createHmac, timingSafeEqual } from 'node:crypto';
import { IdParam } from '../../domain/api-schemas';

/**
 * The token in a checkout URL: the invoice id and an HMAC of it under the server's checkout secret.
 * Nothing is stored, and without the secret no one can forge the link of an invoice whose id they know.
 */
function mac(secret: string, invoiceId: string): string {
  return createHmac('sha256', secret).update(`checkout\u0000${invoiceId}`).digest('base64url');
}

export function checkoutToken(secret: string, invoiceId: string): string {
  return `${invoiceId}.${mac(secret, invoiceId)}`;
}

/** The invoice a token grants access to, or undefined for anything forged or malformed. */
export function invoiceIdOfToken(secret: string, token: string): string | undefined {
  const cut = token.indexOf('.');
  const invoiceId = token.slice(0, cut);
  if (cut < 0 || token.length > 200 || !IdParam.safeParse(invoiceId).success) return undefined;
  const given = Buffer.from(token.slice(cut + 1));
  const expected = Buffer.from(mac(secret, invoiceId));
  return given.length === expected.length && timingSafeEqual(given, expected) ? invoiceId : undefined;
}

export function checkoutUrl(origin: string, secret: string, invoiceId: string): string {
  return `${origin.replace(/\/+$/, '')}/checkout/${checkoutToken(secret, invoiceId)}`;
}
