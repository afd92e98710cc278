import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { setMerchantBranding } from '../activities/db/merchants';
import { createApp } from '../api/app';
import { API_ROUTERS } from '../api/routers';
import { InvoiceObject } from '../domain/api-objects';
import { TestStack, eventually } from './harness/test-stack';

/**
 * The hosted checkout over HTTP: the link on every invoice and event, what the page reveals, its
 * security headers, languages, the live-update stream and the rate limit. The browser flow is in
 * checkout-browser.test.ts.
 */
describe('hosted checkout page', () => {
  const secret = randomBytes(32).toString('hex');
  let stack: TestStack;
  let key: string;
  let merchantId: string;

  beforeAll(async () => {
    stack = await TestStack.start({ checkout: { secret } });
    ({ key, id: merchantId } = await stack.merchant({ name: 'Internal merchant name' }));
  });
  afterAll(async () => stack?.stop());

  const newInvoice = async (body: Record<string, unknown> = {}) => {
    const res = await stack.api('POST', '/v1/invoices', key, { amount: '12.50', ...body });
    expect(res.status).toBe(201);
    return res.body.data;
  };
  const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: 'manual' });

  test('when an invoice is created with checkout fields, then it and its invoice.created event carry the same checkout_url', async () => {
    const invoice = await newInvoice({
      description: 'Order 42',
      success_url: 'https://shop.example/thanks',
      cancel_url: 'https://shop.example/cart',
    });
    expect(InvoiceObject.parse(invoice)).toBeTruthy();
    expect(invoice).toMatchObject({
      description: 'Order 42',
      success_url: 'https://shop.example/thanks',
      cancel_url: 'https://shop.example/cart',
    });
    expect(invoice.checkout_url).toMatch(new RegExp(`^${stack.apiUrl}/checkout/${invoice.id}\\.[A-Za-z0-9_-]{43}$`));
    const fetched = await stack.api('GET', `/v1/invoices/${invoice.id}`, key);
    expect(fetched.body.data.checkout_url).toBe(invoice.checkout_url);
    const event = await eventually(async () => {
      const r = await stack.pool.query<{ body: string }>(
        "SELECT body FROM events WHERE object_id = $1 AND type = 'invoice.created'",
        [invoice.id],
      );
      return r.rows[0] && (JSON.parse(r.rows[0].body) as { data: { checkout_url: string } });
    }, 'the invoice.created event');
    expect(event.data.checkout_url).toBe(invoice.checkout_url);
  });

  test('when success_url is not an http(s) URL, then the invoice is refused with a 400 naming it', async () => {
    const res = await stack.api('POST', '/v1/invoices', key, { amount: '1', success_url: 'javascript:alert(1)' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'success_url' });
  });

  test('when the page is opened, then it shows the payment under a strict nonce CSP and reveals nothing private', async () => {
    const invoice = await newInvoice({ metadata: { crm_ref: 'private-crm-ref' }, callback_url: 'https://hooks.example/settle' });
    const res = await get(invoice.checkout_url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    // Every executable script carries the nonce; the state blob is inert JSON.
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    expect(scripts.length).toBe(2);
    for (const attrs of scripts)
      expect(attrs.includes(`nonce="${nonce}"`) || attrs.includes('type="application/json"')).toBe(true);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(html).toContain(invoice.deposit_address);
    expect(html).toContain('12.50 USDT');
    expect(html).toContain('Internal merchant name');
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="10"></noscript>');
    for (const secretValue of ['private-crm-ref', 'hooks.example', merchantId, key]) expect(html).not.toContain(secretValue);
    // Nothing is loaded from elsewhere: no external scripts, styles, fonts or images.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  test('when the shopper prefers Spanish, then the page is in Spanish', async () => {
    const invoice = await newInvoice();
    const html = await (await get(invoice.checkout_url, { 'accept-language': 'fr;q=0.9, es-ES, en;q=0.5' })).text();
    expect(html).toContain('<html lang="es">');
    expect(html).toContain('Esperando el pago');
  });

  test('when the token is forged or tampered with, then the page is a 404 that reveals nothing', async () => {
    const invoice = await newInvoice();
    const [, token] = invoice.checkout_url.split('/checkout/');
    const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const other = await newInvoice();
    const swapped = `${other.id}.${token.split('.')[1]}`;
    for (const t of [tampered, swapped, invoice.id, 'x'.repeat(300), `${invoice.id}.`]) {
      const res = await get(`${stack.apiUrl}/checkout/${encodeURIComponent(t)}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      expect(html).toContain('Payment link not valid');
      expect(html).not.toContain(invoice.deposit_address);
    }
    const stream = await get(`${stack.apiUrl}/checkout/${encodeURIComponent(tampered)}/events`);
    expect(stream.status).toBe(404);
    expect(((await stream.json()) as { error: { code: string } }).error.code).toBe('resource_missing');
  });

  test('when the live stream is opened, then its first event is the current state with the QR code', async () => {
    const invoice = await newInvoice();
    const controller = new AbortController();
    const res = await fetch(`${invoice.checkout_url}/events`, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const reader = res.body!.getReader();
    let text = '';
    while (!/event: state\ndata: .*\n\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    controller.abort();
    const view = JSON.parse(/event: state\ndata: (.*)\n\n/.exec(text)![1]!);
    expect(view).toMatchObject({ phase: 'waiting', payable: true, final: false, redirectUrl: null });
    expect(view.detail).toBe('Send 12.50 USDT to the address below.');
    expect(view.paymentUri).toContain(`address=${invoice.deposit_address}&uint256=12500000000000000000`);
    expect(view.qrSvg).toMatch(/^<svg /);
  });

  test('when the merchant sets a display name and logo with the CLI, then the page shows them and an SVG logo is refused', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'settle-logo-'));
    const png = new PNG({ width: 8, height: 8 });
    png.data.fill(0x80);
    writeFileSync(path.join(dir, 'logo.png'), PNG.sync.write(png));
    writeFileSync(path.join(dir, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const cli = (...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        [require.resolve('tsx/cli'), 'scripts/cli/settle.ts', 'merchant', 'branding', ...args],
        {
          cwd: path.join(__dirname, '..'),
          env: { ...process.env, DATABASE_URL: stack.databaseUrl },
        },
      );

    const set = await cli(
      '--merchant',
      merchantId,
      '--display-name',
      'Acme Coffee',
      '--logo',
      path.join(dir, 'logo.png'),
      '--json',
    );
    expect(JSON.parse(set.stdout)).toMatchObject({ display_name: 'Acme Coffee', logo_type: 'image/png' });
    await expect(cli('--merchant', merchantId, '--logo', path.join(dir, 'logo.svg'))).rejects.toThrow(/not a PNG, JPEG or WebP/);

    const html = await (await get((await newInvoice()).checkout_url)).text();
    expect(html).toContain('<h1>Acme Coffee</h1>');
    expect(html).not.toContain('Internal merchant name');
    expect(html).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="">/);
    await setMerchantBranding(stack.pool, merchantId, { logo: null });
    expect(await (await get((await newInvoice()).checkout_url)).text()).not.toContain('<img');
  });

  describe('with framing allowed and a low rate limit', () => {
    let server: Server;
    let url = '';
    beforeAll(async () => {
      const app = createApp(
        {
          pool: stack.pool,
          temporal: stack.client,
          registry: stack.registry,
          taskQueue: stack.taskQueue,
          monitorWindowSeconds: 86_400,
          checkout: { secret, frameAncestors: ['https://shop.example'], rateLimitPerMinute: 3 },
        },
        { extraRouters: API_ROUTERS },
      );
      await new Promise<void>((r) => (server = app.listen(0, '127.0.0.1', () => r())));
      const address = server.address();
      url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    test('when the merchant allows an origin to frame the page, then the CSP names it and X-Frame-Options is absent', async () => {
      const invoice = await newInvoice();
      const res = await get(invoice.checkout_url.replace(stack.apiUrl, url));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain('frame-ancestors https://shop.example');
      expect(res.headers.get('x-frame-options')).toBeNull();
    });

    test('when one client exceeds the rate limit, then it gets 429 with Retry-After', async () => {
      const invoice = await newInvoice();
      const local = invoice.checkout_url.replace(stack.apiUrl, url);
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await get(local);
        statuses.push(last.status);
      }
      expect(statuses.slice(-1)).toEqual([429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await last!.text()).toContain('Too many requests');
    });
  });
});
