import { fromBaseUnits } from '../../domain/money';
import type { CheckoutState, LiveView } from './checkout-state';
import type { MerchantBranding } from './merchant-branding';
import { format, type Messages } from './messages';
import { PAGE_SCRIPT } from './page-script';
import { PAGE_STYLE } from './page-style';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
// JSON inside <script>: "<" escaped so no value can close the element.
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

export interface CheckoutPageInput {
  state: CheckoutState;
  view: LiveView;
  branding: MerchantBranding;
  messages: Messages;
  qrSvg: string;
  nonce: string;
  eventsUrl: string;
  redirectDelaySeconds: number;
  now: Date;
}

/**
 * The checkout page, complete before any script runs: amount, address, QR code, time left and the
 * current state. Shows only what the shopper needs: no metadata, callback URL or merchant id.
 */
export function renderCheckoutPage(p: CheckoutPageInput): string {
  const s = p.state.invoice;
  const m = p.messages;
  const merchant = escapeHtml(p.branding.name);
  const amount = `${fromBaseUnits(s.amount, s.decimals)} ${s.currency}`;
  const secondsLeft = Math.max(0, Math.floor((Date.parse(s.expiresAt) - p.now.getTime()) / 1000));
  // Without script: refresh to follow the state, or go on to the shop once paid.
  const refresh = p.view.redirectUrl
    ? `${p.redirectDelaySeconds};url=${escapeHtml(p.view.redirectUrl)}`
    : p.view.final
      ? null
      : '10';
  return `<!doctype html>
<html lang="${m.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${escapeHtml(format(m.title, { merchant: p.branding.name }))}</title>
${refresh ? `<noscript><meta http-equiv="refresh" content="${refresh}"></noscript>` : ''}
<style nonce="${p.nonce}">${PAGE_STYLE}</style>
</head>
<body data-events="${escapeHtml(p.eventsUrl)}" data-expires-at="${s.expiresAt}" data-server-now="${p.now.getTime()}"
  data-redirect-delay="${p.redirectDelaySeconds}" data-final="${p.view.final}">
<main>
<div class="card">
  <header>
    ${p.branding.logoDataUri ? `<img src="${p.branding.logoDataUri}" alt="">` : ''}
    <div><p class="payto">${m.payTo}</p><h1>${merchant}</h1></div>
  </header>
  <section id="state" data-phase="${p.view.phase}" role="status" aria-live="polite">
    <h2 id="headline">${escapeHtml(p.view.headline)}</h2>
    <p id="detail">${escapeHtml(p.view.detail)}</p>
  </section>
  <dl>
    <dt>${m.amount}</dt><dd id="amount">${escapeHtml(amount)}</dd>
    <dt>${m.network}</dt><dd id="network">${escapeHtml(p.state.networkName)}</dd>
    ${s.description ? `<dt>${m.forOrder}</dt><dd id="description">${escapeHtml(s.description)}</dd>` : ''}
  </dl>
  <div id="pay"${p.view.payable ? '' : ' hidden'}>
    <figure id="qr" role="img" data-uri="${escapeHtml(p.view.paymentUri)}"
      aria-label="${escapeHtml(format(m.qrLabel, { amount, currency: s.currency }))}">${p.qrSvg}</figure>
    <p class="hint">${m.scanHint}</p>
    <label for="address">${m.address}</label>
    <div class="copy-row">
      <input id="address" readonly value="${escapeHtml(s.depositAddress ?? '')}" spellcheck="false">
      <button id="copy" type="button" data-copy="${escapeHtml(m.copy)}" data-copied="${escapeHtml(m.copied)}">${m.copy}</button>
    </div>
    <p class="warning">${escapeHtml(format(m.onlyToken, { currency: s.currency, network: p.state.networkName }))}</p>
    <p>${m.timeLeft}: <time id="countdown" class="countdown" datetime="${s.expiresAt}">${formatDuration(secondsLeft)}</time></p>
  </div>
  <p id="redirect"${p.view.redirectUrl ? '' : ' hidden'}>
    ${escapeHtml(format(m.redirecting, { merchant: p.branding.name }))}
    ${p.view.redirectUrl ? `<a class="button" href="${escapeHtml(p.view.redirectUrl)}">${escapeHtml(format(m.continue, { merchant: p.branding.name }))}</a>` : ''}
  </p>
  ${s.cancelUrl ? `<a id="cancel" class="cancel"${p.view.payable ? '' : ' hidden'} href="${escapeHtml(s.cancelUrl)}">${escapeHtml(format(m.cancel, { merchant: p.branding.name }))}</a>` : ''}
  ${refresh === '10' ? `<noscript><p class="hint">${m.noscript}</p></noscript>` : ''}
</div>
</main>
<script type="application/json" id="initial-state">${scriptJson(p.view)}</script>
<script nonce="${p.nonce}">${PAGE_SCRIPT}</script>
</body>
</html>`;
}

/** A short page for a bad link or too many requests, in the shopper's language. */
export function renderMessagePage(texts: { title: string; detail: string }, lang: string, nonce: string): string {
  return `<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${texts.title}</title><style nonce="${nonce}">${PAGE_STYLE}</style></head>
<body><main><div class="card"><h1>${texts.title}</h1><p>${texts.detail}</p></div></main></body>
</html>`;
}

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${h ? `${h}:${two(m)}` : m}:${two(seconds % 60)}`;
}
