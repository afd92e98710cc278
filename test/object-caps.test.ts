import { TestStack } from './harness/test-stack';

/** Issue 14 point 1: caps on what one merchant may accumulate, with a clear 400 and retries still answered. */
describe('object caps', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start({ objectCaps: { webhookEndpoints: 2, openTestInvoices: 2, testCustomers: 2 } });
  });
  afterAll(async () => stack?.stop());

  test('when a merchant has as many webhook endpoints as allowed, then one more is refused until one is deleted', async () => {
    const merchant = await stack.merchant();
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await stack.api('POST', '/api/v1/webhook-endpoints', merchant.key, { url: `http://127.0.0.1:9/hook/${i}` });
      expect(r.status).toBe(201);
      ids.push(r.body.data.id);
    }
    const refused = await stack.api('POST', '/api/v1/webhook-endpoints', merchant.key, { url: 'http://127.0.0.1:9/hook/x' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ type: 'invalid_request_error', code: 'webhook_endpoint_limit_reached' });
    expect(refused.body.error.message).toMatch(/2 webhook endpoints/);

    // Another merchant is not affected, and a deleted endpoint frees its place.
    const other = await stack.merchant();
    expect((await stack.api('POST', '/api/v1/webhook-endpoints', other.key, { url: 'http://127.0.0.1:9/' })).status).toBe(201);
    expect((await stack.api('DELETE', `/api/v1/webhook-endpoints/${ids[0]}`, merchant.key)).status).toBe(200);
    expect((await stack.api('POST', '/api/v1/webhook-endpoints', merchant.key, { url: 'http://127.0.0.1:9/y' })).status).toBe(
      201,
    );
  });

  test('when a merchant has as many pending test invoices as allowed, then a new one is refused but a retry of an existing one is answered', async () => {
    const merchant = await stack.merchant();
    for (const order of ['order-1', 'order-2']) {
      expect((await stack.api('POST', '/v1/invoices', merchant.key, { amount: '1.00', external_id: order })).status).toBe(201);
    }
    const refused = await stack.api('POST', '/v1/invoices', merchant.key, { amount: '1.00', external_id: 'order-3' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ type: 'invalid_request_error', code: 'test_invoice_limit_reached' });

    const retried = await stack.api('POST', '/v1/invoices', merchant.key, { amount: '1.00', external_id: 'order-1' });
    expect(retried.status).toBeLessThan(300);
    expect(retried.body.data.external_id).toBe('order-1');
  });

  test('when a merchant has as many test customers as allowed, then a new one is refused but the cap does not apply in live mode', async () => {
    const merchant = await stack.merchant();
    for (let i = 0; i < 2; i++) {
      expect((await stack.api('POST', '/api/v1/customers', merchant.key, { email: `c${i}@example.com` })).status).toBe(201);
    }
    const refused = await stack.api('POST', '/api/v1/customers', merchant.key, { email: 'c3@example.com' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ type: 'invalid_request_error', code: 'test_customer_limit_reached' });

    const live = await stack.merchant({ livemode: true });
    for (let i = 0; i < 3; i++) {
      expect((await stack.api('POST', '/api/v1/customers', live.key, { email: `l${i}@example.com` })).status).toBe(201);
    }
  });
});
