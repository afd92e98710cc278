/**
 * The page's only script (run under the CSP nonce): applies live states from the event stream,
 * ticks the countdown, copies the address and redirects after payment. Without it the page still
 * shows everything and refreshes itself.
 */
export const PAGE_SCRIPT = `
(() => {
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const clockOffset = Number(body.dataset.serverNow) - Date.now();
  const expiresAt = Date.parse(body.dataset.expiresAt);
  const redirectDelay = Number(body.dataset.redirectDelay) * 1000;
  let redirecting = false;

  function tick() {
    const left = Math.max(0, Math.floor((expiresAt - Date.now() - clockOffset) / 1000));
    const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    const two = (n) => String(n).padStart(2, '0');
    $('countdown').textContent = (h ? h + ':' + two(m) : String(m)) + ':' + two(s);
  }

  function apply(view) {
    $('state').dataset.phase = view.phase;
    $('headline').textContent = view.headline;
    $('detail').textContent = view.detail;
    $('pay').hidden = !view.payable;
    // Once money is on its way, leaving for the shop's cancel page would only confuse.
    if ($('cancel')) $('cancel').hidden = !view.payable;
    if (view.qrSvg) {
      $('qr').innerHTML = view.qrSvg;
      $('qr').dataset.uri = view.paymentUri;
    }
    if (view.redirectUrl && !redirecting) {
      redirecting = true;
      $('redirect').hidden = false;
      setTimeout(() => location.assign(view.redirectUrl), redirectDelay);
    }
  }

  $('copy').addEventListener('click', async () => {
    const button = $('copy');
    try {
      await navigator.clipboard.writeText($('address').value);
    } catch {
      $('address').select();
      document.execCommand('copy');
    }
    button.textContent = button.dataset.copied;
    setTimeout(() => (button.textContent = button.dataset.copy), 2000);
  });

  apply(JSON.parse($('initial-state').textContent));
  tick();
  setInterval(tick, 1000);
  if (!window.EventSource || body.dataset.final === 'true') return;
  const events = new EventSource(body.dataset.events);
  events.addEventListener('state', (e) => {
    const view = JSON.parse(e.data);
    apply(view);
    if (view.final) events.close();
  });
})();
`;
