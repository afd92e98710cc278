import { randomBytes } from 'node:crypto';
import type { ApiDeps } from '../deps';

/** How the hosted checkout pages are served. */
export interface CheckoutSettings {
  /** HMAC key checkout tokens derive from (SETTLE_CHECKOUT_SECRET). Not key material: it signs no money. */
  secret: string;
  /** Origin of checkout links, e.g. `https://pay.example.com`; when absent, the request's own origin. */
  publicUrl?: string;
  /** CSP `frame-ancestors` sources allowed to embed the page; empty forbids framing. @default [] */
  frameAncestors: string[];
  /** Requests per minute one client IP may make to checkout pages and streams. @default 120 */
  rateLimitPerMinute: number;
  /** Seconds the paid page waits before sending the shopper to success_url. @default 5 */
  redirectDelaySeconds: number;
  /** How often an open live-update stream re-reads the invoice. @default 1000 */
  pollIntervalMs: number;
}

const DEFAULTS = { frameAncestors: [], rateLimitPerMinute: 120, redirectDelaySeconds: 5, pollIntervalMs: 1000 };
// Test stacks build the API without a configured secret; main.ts always passes one from the environment.
const generated = new WeakMap<ApiDeps, CheckoutSettings>();

export function checkoutSettings(deps: ApiDeps): CheckoutSettings {
  let settings = generated.get(deps);
  if (!settings) {
    settings = { secret: randomBytes(32).toString('hex'), ...DEFAULTS, ...deps.checkout };
    generated.set(deps, settings);
  }
  return settings;
}
