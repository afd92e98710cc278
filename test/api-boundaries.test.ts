import { request } from 'node:http';
import { createApiKey, rotateApiKey } from '../activities/db/merchants';
import { TestStack } from './harness/test-stack';

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
});
