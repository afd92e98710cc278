import { bodySignature, verifySettleSignature } from '../activities/webhooks/sign-payload';
import { freePort } from '../scripts/dev-stack/processes';
import { TestStack, eventually } from './harness/test-stack';
import { startReceiver, type Receiver } from './harness/webhook-receiver';

/** Issue 14 point 6 on the dev server: secret rotation grace, disabling failing endpoints, no private bodies in the log. */
describe('webhook hygiene', () => {
  let stack: TestStack;
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    stack = await TestStack.start();
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  async function createEndpoint(key: string, url: string, events?: string[]) {
    const r = await stack.api('POST', '/api/v1/webhook-endpoints', key, { url, ...(events ? { events } : {}) });
    expect(r.status).toBe(201);
    return r.body.data as { id: string; secret: string };
  }

  /** Creates a customer (publishing customer.created) and returns its id. */
  async function createCustomer(key: string): Promise<string> {
    const r = await stack.api('POST', '/api/v1/customers', key, { email: 'buyer@example.com' });
    expect(r.status).toBe(201);
    return r.body.data.id;
  }

  const v1Count = (header: unknown) =>
    String(header)
      .split(',')
      .filter((p) => p.startsWith('v1=')).length;

  test('when a secret is rotated, then deliveries are signed with both secrets for the grace period, and with a grace of 0 only the new one', async () => {
    const hooks = await receiver();
    const merchant = await stack.merchant();
    const endpoint = await createEndpoint(merchant.key, `${hooks.url}/hooks`);
    const rotated = await stack.api('POST', `/api/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, merchant.key);
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.data.secret as string;
    const graceEnds = Date.parse(rotated.body.data.previous_secret_expires_at);
    expect(graceEnds - Date.now()).toBeGreaterThan(86_000_000);
    expect(graceEnds - Date.now()).toBeLessThanOrEqual(86_400_000);

    const first = await createCustomer(merchant.key);
    const during = await eventually(
      async () => hooks.requests.find((r) => r.body?.data?.id === first),
      'the delivery during the grace',
    );
    const header = String(during.headers['settle-signature']);
    const now = Math.floor(Date.now() / 1000);
    expect(v1Count(header)).toBe(2);
    expect(verifySettleSignature(header, during.rawBody, endpoint.secret, now)).toBe(true);
    expect(verifySettleSignature(header, during.rawBody, newSecret, now)).toBe(true);
    // The single-valued seed-004 header follows the new secret at once.
    expect(during.headers['x-webhook-signature']).toBe(bodySignature(during.rawBody, newSecret));

    const revoked = await stack.api('POST', `/api/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, merchant.key, {
      grace_period_seconds: 0,
    });
    expect(revoked.body.data.previous_secret_expires_at).toBeNull();
    const second = await createCustomer(merchant.key);
    const after = await eventually(
      async () => hooks.requests.find((r) => r.body?.data?.id === second),
      'the delivery after revoking',
    );
    const afterHeader = String(after.headers['settle-signature']);
    expect(v1Count(afterHeader)).toBe(1);
    expect(verifySettleSignature(afterHeader, after.rawBody, revoked.body.data.secret, now)).toBe(true);
    expect(verifySettleSignature(afterHeader, after.rawBody, newSecret, now)).toBe(false);

    for (const grace_period_seconds of [-1, 8 * 86_400, 1.5, '60']) {
      const bad = await stack.api('POST', `/api/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, merchant.key, {
        grace_period_seconds,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ type: 'invalid_request_error', param: 'grace_period_seconds' });
    }
  });

  test('when an endpoint has failed for days, then its next failure disables it and webhook_endpoint.disabled goes to the other endpoints', async () => {
    const healthy = await receiver();
    const merchant = await stack.merchant();
    const broken = await createEndpoint(merchant.key, `http://127.0.0.1:${await freePort()}/hooks`);
    await createEndpoint(merchant.key, `${healthy.url}/hooks`, ['webhook_endpoint.disabled']);

    // A failure that is not yet days old only starts the record.
    await createCustomer(merchant.key);
    const failing = await eventually(async () => {
      const r = await stack.api('GET', `/api/v1/webhook-endpoints/${broken.id}`, merchant.key);
      return r.body.data.failing_since ? r.body.data : undefined;
    }, 'the first failure to be recorded');
    expect(failing).toMatchObject({ enabled: true, disabled_reason: null });

    // Arrange days of failures, then one more failed attempt.
    await stack.pool.query(`UPDATE webhook_endpoints SET failing_since = now() - interval '3 days 1 minute' WHERE id = $1`, [
      broken.id,
    ]);
    const customerId = await createCustomer(merchant.key);
    const disabled = await eventually(async () => {
      const r = await stack.api('GET', `/api/v1/webhook-endpoints/${broken.id}`, merchant.key);
      return r.body.data.enabled === false ? r.body.data : undefined;
    }, 'the endpoint to be disabled');
    expect(disabled.disabled_reason).toBe('failing');

    const announced = await eventually(
      async () => healthy.requests.find((r) => r.body?.event === 'webhook_endpoint.disabled'),
      'webhook_endpoint.disabled at the healthy endpoint',
    );
    expect(announced.body.data).toMatchObject({
      id: broken.id,
      object: 'webhook_endpoint',
      enabled: false,
      disabled_reason: 'failing',
    });
    expect(announced.body.data.secret).toBeUndefined();
    const events = await stack.api('GET', `/api/v1/events?type=webhook_endpoint.disabled`, merchant.key);
    expect(events.body.data).toHaveLength(1);
    // The delivery that tipped it over ends failed rather than waiting out its retries.
    const customerEvent = (await stack.api('GET', `/api/v1/events?object_id=${customerId}`, merchant.key)).body.data[0];
    const detail = await stack.api('GET', `/api/v1/events/${customerEvent.id}`, merchant.key);
    expect(detail.body.data.deliveries.find((d: any) => d.endpoint_id === broken.id)).toMatchObject({
      status: 'failed',
      attempt_count: 1,
    });

    const reenabled = await stack.api('PATCH', `/api/v1/webhook-endpoints/${broken.id}`, merchant.key, { enabled: true });
    expect(reenabled.body.data).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
  });

  test('when a delivery reaches a private address, then neither its response body nor the address is stored or shown', async () => {
    const merchant = await stack.merchant();
    // The local node's JSON-RPC answers any POST: the probe the issue describes.
    const endpoint = await createEndpoint(merchant.key, stack.chain.rpcUrl);
    const closed = await createEndpoint(merchant.key, `http://127.0.0.1:${await freePort()}/`);
    await createCustomer(merchant.key);
    const attempts = await eventually(async () => {
      const r = await stack.pool.query<{
        endpoint_id: string;
        status_code: number | null;
        response_snippet: string | null;
        error: string | null;
      }>(
        `SELECT d.endpoint_id, a.status_code, a.response_snippet, a.error FROM webhook_attempts a
         JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.merchant_id = $1`,
        [merchant.id],
      );
      return r.rows.length >= 2 ? r.rows : undefined;
    }, 'an attempt to each endpoint');
    const toNode = attempts.find((a) => a.endpoint_id === endpoint.id)!;
    expect(toNode.status_code).not.toBeNull();
    expect(toNode.response_snippet).toBeNull();
    const toClosed = attempts.find((a) => a.endpoint_id === closed.id)!;
    expect(toClosed.error).toBe('ECONNREFUSED: connection refused');

    const listed = await stack.api('GET', `/api/v1/webhook-endpoints/${endpoint.id}/deliveries`, merchant.key);
    const shown = JSON.stringify(listed.body);
    expect(shown).not.toMatch(/jsonrpc/);
    expect(listed.body.data[0].attempts[0].response_snippet).toBeNull();
  });
});
