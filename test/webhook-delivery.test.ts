import crypto from 'node:crypto';
import { parseUnits } from 'ethers';
import { WorkflowNotFoundError } from '@temporalio/client';
import { verifySettleSignature } from '../activities/webhooks/sign-payload';
import { workflowIds } from '../domain/payments';
import { freePort } from '../scripts/dev-stack/processes';
import { TestStack, eventually } from './harness/test-stack';
import { startReceiver, type Receiver, type ReceivedWebhook } from './harness/webhook-receiver';

/** Seed 004's verification code, verbatim. */
function verifyWebhook(payload: unknown, signature: string, secret: string) {
  const expected = crypto.createHmac('sha256', secret).update(JSON.stringify(payload)).digest('hex');
  return crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

/** Webhook delivery on the dev server to real receivers: signatures, retries, resend, callbacks, worker crashes. */
describe('webhook delivery', () => {
  let stack: TestStack;
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 3 });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  async function merchantWithEndpoint(url: string, options: { schedule?: number[]; events?: string[] } = {}) {
    const merchant = await stack.merchant(options.schedule ? { webhookRetryScheduleSeconds: options.schedule } : {});
    const created = await stack.api('POST', '/api/v1/webhook-endpoints', merchant.key, {
      url,
      ...(options.events ? { events: options.events } : {}),
    });
    expect(created.status).toBe(201);
    return { merchant, endpoint: created.body.data as { id: string; secret: string } };
  }

  /** Creates a customer, which publishes customer.created; returns the event id. */
  async function customerCreated(key: string): Promise<string> {
    const customer = await stack.api('POST', '/api/v1/customers', key, { email: 'buyer@example.com' });
    expect(customer.status).toBe(201);
    const listed = await eventually(async () => {
      const r = await stack.api('GET', `/api/v1/events?object_id=${customer.body.data.id}`, key);
      return r.body.data?.length ? r.body.data : undefined;
    }, 'the customer.created event');
    return listed[0].id as string;
  }

  async function eventWhen(key: string, eventId: string, done: (event: any) => boolean, what: string, timeoutMs = 60_000) {
    return eventually(
      async () => {
        const r = await stack.api('GET', `/api/v1/events/${eventId}`, key);
        return r.status === 200 && done(r.body.data) ? r.body.data : undefined;
      },
      what,
      timeoutMs,
    );
  }

  test('when an endpoint is created, then its secret is shown once and it can be listed, updated, rotated and deleted', async () => {
    const merchant = await stack.merchant();
    const created = await stack.api('POST', '/api/v1/webhook-endpoints', merchant.key, {
      url: 'http://localhost:9/hooks',
      events: ['deposit.completed'],
      description: 'orders',
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      object: 'webhook_endpoint',
      livemode: false,
      events: ['deposit.completed'],
      enabled: true,
    });
    expect(created.body.data.secret).toMatch(/^whsec_[0-9a-f]{48}$/);
    const id = created.body.data.id;

    const fetched = await stack.api('GET', `/api/v1/webhook-endpoints/${id}`, merchant.key);
    expect(fetched.body.data.secret).toBeUndefined();
    const listed = await stack.api('GET', '/api/v1/webhook-endpoints?limit=1', merchant.key);
    expect(listed.body).toMatchObject({ data: [{ id }], has_more: false, next_cursor: null });

    const patched = await stack.api('PATCH', `/api/v1/webhook-endpoints/${id}`, merchant.key, { enabled: false, events: [] });
    expect(patched.body.data).toMatchObject({ enabled: false, events: [], description: 'orders' });
    const rotated = await stack.api('POST', `/api/v1/webhook-endpoints/${id}/rotate-secret`, merchant.key);
    expect(rotated.body.data.secret).toMatch(/^whsec_/);
    expect(rotated.body.data.secret).not.toBe(created.body.data.secret);

    const other = await stack.merchant();
    expect((await stack.api('GET', `/api/v1/webhook-endpoints/${id}`, other.key)).status).toBe(404);
    const readOnly = await stack.merchant({ scopes: ['read'] });
    expect((await stack.api('POST', '/api/v1/webhook-endpoints', readOnly.key, { url: 'http://localhost:9/' })).status).toBe(403);

    expect((await stack.api('DELETE', `/api/v1/webhook-endpoints/${id}`, merchant.key)).body.data).toEqual({
      id,
      object: 'webhook_endpoint',
      deleted: true,
    });
    expect((await stack.api('GET', `/api/v1/webhook-endpoints/${id}`, merchant.key)).status).toBe(404);
  });

  test('when a live-mode endpoint URL points into a private network, then it is refused with a 400', async () => {
    const live = await stack.merchant({ livemode: true });
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://169.254.169.254/latest',
      'http://[fd00::1]/',
    ]) {
      const r = await stack.api('POST', '/api/v1/webhook-endpoints', live.key, { url });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ type: 'invalid_request_error', code: 'url_not_public', param: 'url' });
    }
    const ftp = await stack.api('POST', '/api/v1/webhook-endpoints', live.key, { url: 'ftp://example.com/' });
    expect(ftp.body.error).toMatchObject({ code: 'url_invalid', param: 'url' });
  });

  test('when an event is delivered, then the seed verification code accepts X-Webhook-Signature and Settle-Signature verifies the raw body', async () => {
    let secret = '';
    // Seed 004's Express handler, as a merchant would paste it.
    const hooks = await receiver((req, res) => {
      const sig = req.headers['x-webhook-signature'] as string;
      if (!verifyWebhook(req.body, sig, secret)) return void res.status(400).send('Invalid signature');
      res.status(200).send('OK');
    });
    const { merchant, endpoint } = await merchantWithEndpoint(`${hooks.url}/webhooks/totopay`);
    secret = endpoint.secret;

    const eventId = await customerCreated(merchant.key);
    const event = await eventWhen(
      merchant.key,
      eventId,
      (e) => e.deliveries[0]?.status === 'succeeded',
      'the delivery to succeed',
    );

    const received = hooks.requests.filter((r) => r.eventId === eventId);
    expect(received).toHaveLength(1);
    expect(received[0]!.answered).toBe(200);
    expect(received[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'Settle-Webhooks/1' });
    expect(
      verifySettleSignature(
        String(received[0]!.headers['settle-signature']),
        received[0]!.rawBody,
        secret,
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);
    expect(received[0]!.body).toMatchObject({
      id: eventId,
      event: 'customer.created',
      livemode: false,
      data: { object: 'customer' },
    });
    expect(event).toMatchObject({ id: eventId, object: 'event', type: 'customer.created', data: { object: 'customer' } });
    expect(event.deliveries).toEqual([
      expect.objectContaining({ endpoint_id: endpoint.id, target: 'endpoint', status: 'succeeded', attempt_count: 1 }),
    ]);
    expect(event.deliveries[0].attempts).toEqual([
      // The receiver is on 127.0.0.1: its answer's body is never stored (see the private-peer test).
      expect.objectContaining({ attempt: 1, succeeded: true, status_code: 200, response_snippet: null, error: null }),
    ]);

    // Resend: a new delivery of the same event, byte for byte.
    const resent = await stack.api('POST', `/api/v1/events/${eventId}/resend`, merchant.key);
    expect(resent.status).toBe(202);
    expect(resent.body.data.targets).toEqual([endpoint.id]);
    const afterResend = await eventWhen(
      merchant.key,
      eventId,
      (e) => e.deliveries.length === 2 && e.deliveries.every((d: any) => d.status === 'succeeded'),
      'the resent delivery to succeed',
    );
    expect(new Set(afterResend.deliveries.map((d: any) => d.id)).size).toBe(2);
    const both = hooks.requests.filter((r) => r.eventId === eventId);
    expect(both).toHaveLength(2);
    expect(both[1]!.rawBody).toBe(both[0]!.rawBody);

    const endpointDeliveries = await stack.api('GET', `/api/v1/webhook-endpoints/${endpoint.id}/deliveries`, merchant.key);
    expect(endpointDeliveries.body.data.map((d: any) => d.event_id)).toEqual([eventId, eventId]);
  });

  test('when a merchant has more endpoints than a publisher hands over itself, then the event still reaches every subscribed one, with no dispatch workflow', async () => {
    const hooks = await receiver();
    const deliveredTo = (eventId: string) =>
      eventually(async () => {
        const paths = new Set(hooks.requests.filter((r) => r.eventId === eventId).map((r) => r.path));
        return paths.size >= 6 ? paths : undefined;
      }, 'the event at every subscribed endpoint');

    const { merchant } = await merchantWithEndpoint(`${hooks.url}/many/0`);
    for (let i = 1; i <= 6; i++) {
      // The last one does not subscribe to customer.created.
      const body = { url: `${hooks.url}/many/${i}`, ...(i === 6 ? { events: ['deposit.completed'] } : {}) };
      expect((await stack.api('POST', '/api/v1/webhook-endpoints', merchant.key, body)).status).toBe(201);
    }
    const eventId = await customerCreated(merchant.key);
    expect([...(await deliveredTo(eventId))].sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `/many/${i}`));
    await expect(stack.client.workflow.getHandle(workflowIds.eventDispatch(eventId)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });

  test('when the receiver answers 500 twice and then 200, then it sees the same event three times and the delivery succeeds', async () => {
    const flaky = await receiver(
      (_req, res, _received, count) => void res.status(count <= 2 ? 500 : 200).send(count <= 2 ? 'busy' : 'OK'),
    );
    const { merchant } = await merchantWithEndpoint(`${flaky.url}/hooks`);

    const eventId = await customerCreated(merchant.key);
    const event = await eventWhen(
      merchant.key,
      eventId,
      (e) => e.deliveries[0]?.status === 'succeeded',
      'the third attempt to succeed',
    );

    expect(flaky.requests.map((r) => r.eventId)).toEqual([eventId, eventId, eventId]);
    expect(new Set(flaky.requests.map((r) => r.rawBody)).size).toBe(1);
    expect(event.deliveries[0].attempts.map((a: any) => [a.status_code, a.succeeded])).toEqual([
      [500, false],
      [500, false],
      [200, true],
    ]);
    expect(event.deliveries[0].attempts[0]).toMatchObject({ error: 'HTTP 500', response_snippet: null });
  });

  test('when the receiver is unreachable, then every attempt is recorded and the delivery ends failed', async () => {
    const closedPort = await freePort();
    const { merchant } = await merchantWithEndpoint(`http://127.0.0.1:${closedPort}/hooks`, { schedule: [1, 1, 1] });

    const eventId = await customerCreated(merchant.key);
    const event = await eventWhen(merchant.key, eventId, (e) => e.deliveries[0]?.status === 'failed', 'the delivery to fail');

    expect(event.deliveries[0].attempt_count).toBe(4);
    expect(event.deliveries[0].attempts).toHaveLength(4);
    for (const attempt of event.deliveries[0].attempts) {
      expect(attempt).toMatchObject({ succeeded: false, status_code: null });
      // The code and a fixed wording: the system message would name the address connected to.
      expect(attempt.error).toBe('ECONNREFUSED: connection refused');
    }
    const failed = await stack.api('GET', '/api/v1/events?delivery_failed=true', merchant.key);
    expect(failed.body.data.map((e: any) => e.id)).toEqual([eventId]);
  });

  test('when an invoice with a callback_url is paid on chain, then the callback receives invoice.created and then invoice.paid, signed with the callback secret', async () => {
    const shop = await receiver();
    const merchant = await stack.merchant();
    const created = await stack.api('POST', '/v1/invoices', merchant.key, {
      amount: '50.00',
      external_id: 'order_12345',
      callback_url: `${shop.url}/webhooks/pay`,
    });
    expect(created.status).toBe(201);

    await stack.sendToken(created.body.data.deposit_address, parseUnits('50', 18));
    await eventually(
      async () => (shop.requests.some((r) => r.body?.event === 'invoice.created') ? true : undefined),
      'invoice.created',
    );
    await stack.mine(3);
    const paid = await eventually(
      async () => shop.requests.find((r) => r.body?.event === 'invoice.paid'),
      'the invoice.paid callback',
      90_000,
    );

    // What seed 000's Flask handler reads.
    expect(paid.body.data.external_id).toBe('order_12345');
    expect(paid.body.data.amount_received).toBe('50.00');
    expect(paid.path).toBe('/webhooks/pay');
    expect(verifyWebhook(paid.body, String(paid.headers['x-webhook-signature']), merchant.callbackSecretTest)).toBe(true);
    expect(shop.requests.map((r) => r.body.event)).toEqual(['invoice.created', 'invoice.paid']);
  });

  test('when the worker dies while a receiver holds the request open, then the event is delivered later with the same id and body', async () => {
    let release: (() => void) | undefined;
    const slow = await receiver((_req, res, _received, count) => {
      if (count === 1) release = () => void res.status(200).send('too late');
      else res.status(200).send('OK');
    });
    const { merchant } = await merchantWithEndpoint(`${slow.url}/hooks`);
    const eventId = await customerCreated(merchant.key);
    await eventually(async () => (slow.requests.length === 1 ? true : undefined), 'the first request to arrive');

    await stack.stopWorker();
    release?.();
    await stack.startWorker();

    const event = await eventWhen(
      merchant.key,
      eventId,
      (e) => e.deliveries[0]?.status === 'succeeded',
      'delivery after the restart',
      90_000,
    );
    const ids = new Set(slow.requests.map((r: ReceivedWebhook) => r.eventId));
    expect(ids).toEqual(new Set([eventId]));
    expect(new Set(slow.requests.map((r) => r.rawBody)).size).toBe(1);
    expect(slow.requests.length).toBeGreaterThanOrEqual(2);
    expect(event.deliveries).toHaveLength(1);
    const stored = await stack.pool.query('SELECT id FROM events WHERE object_id = $1', [event.object_id]);
    expect(stored.rows).toEqual([{ id: eventId }]);
  });
});
