import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { getAddress, parseUnits } from 'ethers';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { setMerchantBranding } from '../activities/db/merchants';
import { checkoutUrl } from '../api/checkout/checkout-token';
import { invoiceReadyUpdate } from '../domain/messages';
import { type InvoiceInput, workflowIds } from '../domain/payments';
import { CHECKOUT_ARTIFACTS, decodeQrCode, launchChromium, waitForText } from './harness/browser';
import { TestStack } from './harness/test-stack';

/**
 * The hosted checkout as a shopper sees it: Debian's chromium opens the page, reads the QR code off
 * the screen, and watches real transfers on Anvil move the page along without a reload.
 * Screenshots of every state go to test-artifacts/checkout/.
 */
describe('hosted checkout in a browser', () => {
  const secret = randomBytes(32).toString('hex');
  let stack: TestStack;
  let key: string;
  let merchantId: string;
  let browser: Browser;
  let context: BrowserContext;
  let shop: Server;
  let shopUrl = '';
  const cspViolations: string[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      TestStack.start({ watch: true, confirmations: 3, checkout: { secret, redirectDelaySeconds: 3, pollIntervalMs: 250 } }),
      launchChromium(),
    ]);
    ({ key, id: merchantId } = await stack.merchant());
    await setMerchantBranding(stack.pool, merchantId, { displayName: 'Acme Coffee' });
    shop = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>Thanks (${req.url})</h1>`));
    await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
    const address = shop.address();
    shopUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    context = await browser.newContext({ viewport: { width: 420, height: 900 }, locale: 'en-US' });
  });
  afterAll(async () => {
    await browser?.close();
    shop?.close();
    await stack?.stop();
  });

  async function openPage(url: string): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (m) => /Content.Security.Policy/i.test(m.text()) && cspViolations.push(m.text()));
    await page.goto(url);
    // Set once; a reload would drop it, so finding it later proves the page updated in place.
    await page.evaluate(() => ((globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true));
    return page;
  }
  const stillSameDocument = (page: Page) =>
    page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce === true);
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(CHECKOUT_ARTIFACTS, name), fullPage: true });

  test('when a shopper pays in two parts, then the page shows send X more, confirming and paid live, then returns to the shop', async () => {
    const created = await stack.api('POST', '/v1/invoices', key, {
      amount: '10.00',
      description: 'Order #1001: two bags of coffee',
      success_url: `${shopUrl}/thanks?order=1001`,
      cancel_url: `${shopUrl}/cart`,
      metadata: { internal_note: 'vip-customer-do-not-show' },
    });
    expect(created.status).toBe(201);
    const invoice = created.body.data;
    const page = await openPage(invoice.checkout_url);

    await waitForText(page.locator('h1'), 'Acme Coffee');
    await waitForText(page.locator('#headline'), 'Waiting for payment');
    await waitForText(page.locator('#amount'), '10.00 USDT');
    await waitForText(page.locator('#description'), 'Order #1001: two bags of coffee');
    expect(await page.locator('#address').inputValue()).toBe(invoice.deposit_address);
    expect(await page.content()).not.toContain('vip-customer-do-not-show');
    expect(await page.content()).not.toContain(merchantId);
    // The QR code, read off the screen, is the invoice's EIP-681 token transfer.
    const chainId = stack.registry.get('local')!.chainId;
    const expectedUri = `ethereum:${getAddress(stack.token)}@${chainId}/transfer?address=${invoice.deposit_address}&uint256=${parseUnits('10', 18)}`;
    expect(await decodeQrCode(page.locator('#qr'))).toBe(expectedUri);
    await shot(page, '01-waiting.png');

    await stack.sendToken(invoice.deposit_address, parseUnits('4', 18));
    await waitForText(page.locator('#headline'), 'Partially paid', 20_000);
    await waitForText(page.locator('#detail'), 'We have 4.00 USDT. Send 6.00 USDT more to the same address.');
    // The QR code now asks for the rest.
    expect(await decodeQrCode(page.locator('#qr'))).toBe(expectedUri.replace(/uint256=\d+$/, `uint256=${parseUnits('6', 18)}`));
    await shot(page, '02-partially-paid.png');

    await stack.sendToken(invoice.deposit_address, parseUnits('6', 18));
    await waitForText(page.locator('#headline'), 'Payment detected', 20_000);
    // The transfer's block is its first confirmation; each mined block shows as one more.
    await waitForText(page.locator('#detail'), 'Confirming on Local dev chain (Anvil): 1 of 3 confirmations.');
    expect(await page.locator('#pay').isHidden()).toBe(true);
    await shot(page, '03-confirming.png');
    await stack.mine(1);
    await waitForText(page.locator('#detail'), 'Confirming on Local dev chain (Anvil): 2 of 3 confirmations.');

    await stack.mine(1);
    await waitForText(page.locator('#headline'), 'Paid', 20_000);
    expect(await stillSameDocument(page)).toBe(true);
    await shot(page, '04-paid.png');
    await page.waitForURL(`${shopUrl}/thanks?order=1001`, { timeout: 15_000 });
    await shot(page, '05-returned-to-shop.png');
    expect(cspViolations).toEqual([]);
  });

  test('when nobody pays before expiry, then the page turns to expired without a reload', async () => {
    // The API's shortest expiry is a minute; the workflow itself takes any, so this invoice is
    // started as the API would start it, with three seconds to live.
    const id = `inv_${randomBytes(12).toString('hex')}`;
    const input: InvoiceInput = {
      id,
      merchantId,
      livemode: false,
      network: 'local',
      currency: 'USDT',
      decimals: 18,
      amount: parseUnits('5', 18).toString(),
      externalId: null,
      callbackUrl: null,
      metadata: {},
      description: null,
      successUrl: null,
      cancelUrl: null,
      checkoutUrl: checkoutUrl(stack.apiUrl, secret, id),
      expiresInSeconds: 3,
      monitorWindowSeconds: 60,
      underpaymentToleranceBps: 0,
      requestFingerprint: 'browser-test',
      requestId: 'browser-test',
    };
    const handle = await stack.client.workflow.start('invoiceWorkflow', {
      workflowId: workflowIds.invoice(id),
      taskQueue: stack.taskQueue,
      args: [input],
    });
    await handle.executeUpdate(invoiceReadyUpdate);
    const page = await openPage(input.checkoutUrl!);
    await waitForText(page.locator('#headline'), 'Waiting for payment');
    await waitForText(page.locator('#headline'), 'Invoice expired', 20_000);
    expect(await page.locator('#pay').isHidden()).toBe(true);
    expect(await stillSameDocument(page)).toBe(true);
    await shot(page, '06-expired.png');
    await handle.terminate('test finished');
  });
});
