import { revokeApiKey, createApiKey } from '../activities/db/merchants';
import { hashApiKey } from '../domain/api-key';
import { TestStack } from './harness/test-stack';

describe('API keys', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.start();
  });
  afterAll(async () => stack?.stop());

  test('when no key, a malformed key or an unknown key is sent, then each gets its own 401', async () => {
    expect((await stack.api('GET', '/v1/invoices', undefined)).body.error).toMatchObject({
      type: 'authentication_error',
      code: 'missing_api_key',
    });
    expect((await stack.api('GET', '/v1/invoices', 'nonsense')).body.error.code).toBe('invalid_api_key');
    const unknown = await stack.api('GET', '/v1/invoices', `sk_test_${'a'.repeat(48)}`);
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('invalid_api_key');
  });

  test('when a key is sent as X-API-Key or as a Bearer token, then both authenticate', async () => {
    const { key } = await stack.merchant();
    expect((await stack.api('GET', '/v1/invoices', key)).status).toBe(200);
    const bearer = await stack.api('GET', '/api/v1/invoices', undefined, undefined, { authorization: `Bearer ${key}` });
    expect(bearer.status).toBe(200);
  });

  test('when a key is revoked, then it is refused as revoked', async () => {
    const m = await stack.merchant();
    const id = (await stack.pool.query('SELECT id FROM api_keys WHERE key_hash = $1', [hashApiKey(m.key)])).rows[0].id;
    expect(await revokeApiKey(stack.pool, id)).toBe(true);
    const res = await stack.api('GET', '/v1/invoices', m.key);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('api_key_revoked');
  });

  test('when a read-only key tries to create an invoice, then it gets 403 insufficient_scope', async () => {
    const { key } = await stack.merchant({ scopes: ['read'] });
    const res = await stack.api('POST', '/v1/invoices', key, { amount: '1.00' });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ type: 'permission_error', code: 'insufficient_scope' });
    expect((await stack.api('GET', '/v1/invoices', key)).status).toBe(200);
  });

  test('when the caller IP is outside the key allowlist, then it gets 403; inside, it passes', async () => {
    const outside = await stack.merchant({ ipAllowlist: ['10.0.0.0/8'] });
    const denied = await stack.api('GET', '/v1/invoices', outside.key);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('ip_not_allowed');
    const inside = await createApiKey(stack.pool, {
      merchantId: outside.id,
      livemode: false,
      scopes: ['read'],
      ipAllowlist: ['127.0.0.1/32'],
    });
    expect((await stack.api('GET', '/v1/invoices', inside.key)).status).toBe(200);
  });

  test('when keys are stored, then only their hash is in the database', async () => {
    const { key } = await stack.merchant();
    const rows = await stack.pool.query('SELECT * FROM api_keys');
    expect(JSON.stringify(rows.rows)).not.toContain(key);
    expect(rows.rows.some((r) => r.key_hash === hashApiKey(key))).toBe(true);
  });
});

describe('API keys behind a reverse proxy', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // One proxy in front (SETTLE_TRUST_PROXY=1): only the address that proxy saw is believed.
    stack = await TestStack.start({ trustProxy: 1 });
  });
  afterAll(async () => stack?.stop());

  test('when a client forges X-Forwarded-For, then the allowlist judges the address the proxy appended', async () => {
    const { key } = await stack.merchant({ ipAllowlist: ['10.1.1.0/24'] });
    // What the proxy forwards for a client at 10.1.1.5: its own append is the last entry.
    const viaProxy = await stack.api('GET', '/v1/invoices', key, undefined, { 'x-forwarded-for': '10.1.1.5' });
    expect(viaProxy.status).toBe(200);
    // A client at 198.51.100.7 claiming to be 10.1.1.5: the proxy appends the real address.
    const forged = await stack.api('GET', '/v1/invoices', key, undefined, { 'x-forwarded-for': '10.1.1.5, 198.51.100.7' });
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('ip_not_allowed');
  });
});
