import { setTimeout as delay } from 'node:timers/promises';
import { type Request, type Response, Router } from 'express';
import type { ApiDeps } from '../deps';
import { invoiceIdOfToken } from './checkout-token';
import { liveView, readCheckoutState } from './checkout-state';
import { readMerchantBranding } from './merchant-branding';
import { messagesFor } from './messages';
import { renderCheckoutPage, renderMessagePage } from './page';
import { qrCodeSvg } from './qr-code';
import { RateLimiter } from './rate-limit';
import { setCheckoutHeaders } from './security-headers';
import { checkoutSettings } from './settings';

// A stream ends after this long and the browser reconnects, so no connection lives for ever.
const STREAM_LIFETIME_MS = 10 * 60_000;
const KEEPALIVE_MS = 15_000;

/**
 * The hosted checkout: `GET /checkout/{token}` (the page) and `GET /checkout/{token}/events` (its
 * live state as Server-Sent Events). No API key: the token is the capability.
 */
export function checkoutRouter(deps: ApiDeps): Router {
  const settings = checkoutSettings(deps);
  const limiter = new RateLimiter(settings.rateLimitPerMinute);
  const router = Router();

  /** Headers, rate limit and token check shared by both routes; the invoice id, or undefined once answered. */
  const admit = (req: Request, res: Response, page: boolean): { invoiceId: string; nonce: string } | undefined => {
    const nonce = setCheckoutHeaders(res, settings.frameAncestors);
    const wait = limiter.take(req.ip ?? 'unknown');
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      refuse(req, res, page, nonce, 429);
      return undefined;
    }
    const invoiceId = invoiceIdOfToken(settings.secret, String(req.params.token));
    if (!invoiceId) {
      refuse(req, res, page, nonce, 404);
      return undefined;
    }
    return { invoiceId, nonce };
  };

  /** A short page for the shopper, or a JSON error for the event stream. */
  const refuse = (req: Request, res: Response, page: boolean, nonce: string, status: 404 | 429) => {
    const m = messagesFor(req.get('accept-language'));
    const [texts, code, message] =
      status === 429
        ? [m.tooMany, 'rate_limited', 'Too many requests; retry later']
        : [m.notFound, 'resource_missing', 'No such checkout'];
    if (page)
      res
        .status(status)
        .type('html')
        .send(renderMessagePage(texts, m.lang, nonce));
    else res.status(status).json({ error: { type: 'invalid_request_error', code, message, param: null } });
  };

  router.get('/checkout/:token', async (req, res) => {
    const admitted = admit(req, res, true);
    if (!admitted) return;
    const state = await readCheckoutState(deps, admitted.invoiceId);
    if (!state) return refuse(req, res, true, admitted.nonce, 404);
    const messages = messagesFor(req.get('accept-language'));
    const branding = await readMerchantBranding(deps.pool, state.invoice.merchantId);
    const view = liveView(state, branding.name, messages);
    res.set('Vary', 'Accept-Language');
    res.type('html').send(
      renderCheckoutPage({
        state,
        view,
        branding,
        messages,
        qrSvg: await qrCodeSvg(view.paymentUri),
        nonce: admitted.nonce,
        eventsUrl: `${req.baseUrl}/checkout/${encodeURIComponent(String(req.params.token))}/events`,
        redirectDelaySeconds: settings.redirectDelaySeconds,
        now: new Date(),
      }),
    );
  });

  router.get('/checkout/:token/events', async (req, res) => {
    const admitted = admit(req, res, false);
    if (!admitted) return;
    const first = await readCheckoutState(deps, admitted.invoiceId);
    if (!first) return refuse(req, res, false, admitted.nonce, 404);
    const messages = messagesFor(req.get('accept-language'));
    const { name } = await readMerchantBranding(deps.pool, first.invoice.merchantId);

    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    let open = true;
    req.on('close', () => (open = false));
    let lastSent = '';
    let lastUri = '';
    let lastWrite = Date.now();
    const ends = Date.now() + STREAM_LIFETIME_MS;
    let state: typeof first | undefined = first;
    while (open && Date.now() < ends) {
      if (state) {
        const view = liveView(state, name, messages);
        const json = JSON.stringify(view);
        if (json !== lastSent) {
          // The QR code changes only with the amount due; it is re-rendered then, not every tick.
          const qrSvg = view.paymentUri !== lastUri ? await qrCodeSvg(view.paymentUri) : undefined;
          res.write(`event: state\ndata: ${JSON.stringify({ ...view, qrSvg })}\n\n`);
          lastSent = json;
          lastUri = view.paymentUri;
          lastWrite = Date.now();
        }
        if (view.final) break;
      }
      if (Date.now() - lastWrite >= KEEPALIVE_MS) {
        res.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await delay(settings.pollIntervalMs);
      // A failed read (Temporal briefly unreachable) skips one tick instead of ending the stream.
      state = open ? await readCheckoutState(deps, admitted.invoiceId).catch(() => undefined) : undefined;
    }
    res.end();
  });

  return router;
}
