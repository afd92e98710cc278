import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { createApiKey, rotateApiKey } from '../activities/db/merchants';
import { createApp } from '../api/app';
import { API_ROUTERS } from '../api/routers';
import { TestStack, eventually } from './harness/test-stack';

/** The API's error shape, whatever the message and request id. */
const errorBody = (type: string, code: string) => ({
  error: { type, code, message: expect.any(String), param: null, request_id: expect.any(String) },
});

/** Another API process on 127.0.0.1 with the given dependencies; returns its URL and how to stop it. */
async function listenApi(deps: Parameters<typeof createApp>[0]): Promise<{ url: string; close(): Promise<void> }> {
  const app = createApp(deps, { extraRouters: API_ROUTERS });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** What the API refuses at its edge: wrong media types, pathological JSON, oversized headers, expired keys. */
describe('API boundaries', () => {
  let stack: TestStack;
  let key: string;
  beforeAll(async () => {
    stack = await TestStack.start();
    ({ key } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  test.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml'])(
    'when a JSON body is sent as %s, then it is a 415 unsupported_media_type and nothing is created',
    async (type) => {
      const res = await stack.api('POST', '/v1/customers', key, '{"name":"x"}', { 'content-type': type });
      expect(res.status).toBe(415);
      expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_media_type' });
      expect((await stack.pool.query('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(0);
    },
  );

  test('when JSON is sent as application/json with a charset, or a body-less POST has no type, then it is accepted', async () => {
    const res = await stack.api('POST', '/v1/customers', key, '{"name":"x"}', {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(res.status).toBe(201);
    const bare = await fetch(`${stack.apiUrl}/v1/customers`, { method: 'POST', headers: { 'x-api-key': key } });
    expect(bare.status).toBe(201);
  });

  test.each([8_000, 40_000])('when a body nests %i levels deep, then every write route answers 400, not 500', async (levels) => {
    const deep = `{"metadata":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    for (const path of ['/v1/invoices', '/v1/customers', '/v1/withdraw', '/v1/webhook-endpoints', '/v1/simulate/deposit']) {
      const res = await stack.api('POST', path, key, deep);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'json_too_deep' });
    }
  });

  test('when a request carries a 60 KB header, then it is a 431 with the JSON error shape', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${stack.apiUrl}/v1/invoices`);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          headers: { 'x-api-key': key, 'x-padding': 'a'.repeat(60_000) },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    expect(JSON.parse(body)).toEqual({
      error: { type: 'invalid_request_error', code: 'headers_too_large', message: expect.any(String), param: null },
    });
  });

  test('when a key is rotated with an overlap, then both work until the old one expires, then the old one is a 401 api_key_expired', async () => {
    const m = await stack.merchant();
    const old = await createApiKey(stack.pool, {
      merchantId: m.id,
      livemode: false,
      scopes: ['read'],
      ipAllowlist: ['127.0.0.1'],
    });
    const rotated = await rotateApiKey(stack.pool, old.id, new Date(Date.now() + 3_600_000));
    expect((await stack.api('GET', '/v1/invoices', old.key)).status).toBe(200);
    expect((await stack.api('GET', '/v1/invoices', rotated.key)).status).toBe(200);
    const copied = await stack.pool.query('SELECT scopes, ip_allowlist, livemode FROM api_keys WHERE id = $1', [rotated.id]);
    expect(copied.rows[0]).toEqual({ scopes: ['read'], ip_allowlist: ['127.0.0.1'], livemode: false });

    await stack.pool.query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", [old.id]);
    const expired = await stack.api('GET', '/v1/invoices', old.key);
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('api_key_expired');
    expect((await stack.api('GET', '/v1/invoices', rotated.key)).status).toBe(200);
    await expect(rotateApiKey(stack.pool, old.id, new Date())).rejects.toThrow(/no active key/);
  });

  test('when the database is out of reach, then a request is a 503 service_unavailable with Retry-After, not a 500', async () => {
    // An API process whose PostgreSQL is down: nothing listens on its port.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const pool = new Pool({ connectionString: `postgres://settle:settle@127.0.0.1:${port}/settle`, max: 1 });
    const api = await listenApi({
      pool,
      temporal: stack.client,
      registry: stack.registry,
      taskQueue: stack.taskQueue,
      monitorWindowSeconds: 60,
    });
    try {
      const res = await fetch(`${api.url}/v1/invoices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'idempotency-key': 'db-down' },
        body: JSON.stringify({ amount: '5' }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual(errorBody('api_error', 'service_unavailable'));
    } finally {
      await api.close();
      await pool.end();
    }
  });
});

describe('API rate limits', () => {
  let stack: TestStack;
  let second: Awaited<ReturnType<typeof listenApi>>;
  beforeAll(async () => {
    stack = await TestStack.start({ rateLimits: { windowSeconds: 60, live: 5, test: 3, resend: 1 } });
    // A second API process on the same database: the limit is per key, not per process.
    second = await listenApi({
      pool: stack.pool,
      temporal: stack.client,
      registry: stack.registry,
      taskQueue: stack.taskQueue,
      monitorWindowSeconds: 60,
      rateLimits: stack.options.rateLimits,
    });
  });
  afterAll(async () => {
    await second?.close();
    await stack?.stop();
  });

  test('when a test key exceeds its limit across two API processes, then it gets 429 with Retry-After and RateLimit headers; other keys are unaffected', async () => {
    const m = await stack.merchant();
    const first = await stack.api('GET', '/v1/invoices', m.key);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('3');
    expect(first.headers.get('ratelimit-remaining')).toBe('2');
    expect((await fetch(`${second.url}/v1/invoices`, { headers: { 'x-api-key': m.key } })).status).toBe(200);
    expect((await stack.api('GET', '/v1/invoices', m.key)).status).toBe(200);

    const limited = await fetch(`${second.url}/v1/invoices`, { headers: { 'x-api-key': m.key } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(await limited.json()).toEqual(errorBody('invalid_request_error', 'rate_limited'));

    const sibling = await createApiKey(stack.pool, { merchantId: m.id, livemode: false, scopes: ['read'] });
    expect((await stack.api('GET', '/v1/invoices', sibling.key)).status).toBe(200);
  });

  test('when a live key is used, then its limit is the higher live one', async () => {
    const { key } = await stack.merchant({ livemode: true });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await stack.api('GET', '/v1/invoices', key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  test('when events are resent, then the tighter resend limit applies before the key limit', async () => {
    const m = await stack.merchant();
    const reader = await createApiKey(stack.pool, { merchantId: m.id, livemode: false, scopes: ['read'] });
    await stack.api('POST', '/v1/customers', m.key, { name: 'c' });
    const event = await eventually(async () => {
      const r = await stack.pool.query<{ id: string }>('SELECT id FROM events WHERE merchant_id = $1', [m.id]);
      return r.rows[0];
    }, 'the customer.created event');
    expect((await stack.api('POST', `/v1/events/${event.id}/resend`, reader.key)).status).toBe(202);
    const again = await stack.api('POST', `/v1/events/${event.id}/resend`, reader.key);
    expect(again.status).toBe(429);
    expect(again.body.error.code).toBe('rate_limited');
  });
});
