import { randomBytes } from 'node:crypto';
import type { Response } from 'express';

/**
 * Headers of every checkout response. The CSP allows only this response's nonce for script and
 * style, images from the page itself (the inline logo), and live updates from this origin. The
 * token in the URL is a capability: no caching, and no Referer carrying it to success_url.
 * @returns the nonce to put on the page's `<script>` and `<style>`.
 */
export function setCheckoutHeaders(res: Response, frameAncestors: string[]): string {
  const nonce = randomBytes(16).toString('base64');
  const ancestors = frameAncestors.length ? frameAncestors.join(' ') : "'none'";
  res.set({
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "img-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      `frame-ancestors ${ancestors}`,
    ].join('; '),
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  });
  // X-Frame-Options cannot list origins: older browsers get DENY unless framing is allowed at all.
  if (!frameAncestors.length) res.set('X-Frame-Options', 'DENY');
  return nonce;
}
