import { Wallet } from 'ethers';
import { canonicalJson, requestFingerprint } from '../api/idempotency';
import { TestStack } from './harness/test-stack';

/** Idempotency-Key to Stripe's standard on every creating POST. */
describe('Idempotency-Key', () => {
  let stack: TestStack;
  let key: string;
  beforeAll(async () => {
    stack = await TestStack.start();
    ({ key } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  const creates: Array<[string, string, () => Record<string, unknown>, () => Record<string, unknown>]> = [
    ['an invoice', '/v1/invoices', () => ({ amount: '12.50', metadata: { a: '1', b: '2' } }), () => ({ amount: '13' })],
    ['a customer', '/api/v1/customers', () => ({ email: 'a@example.com', name: 'A' }), () => ({ name: 'B' })],
    [
      'a webhook endpoint',
      '/api/v1/webhook-endpoints',
      () => ({ url: 'http://127.0.0.1:9/hook', events: ['invoice.paid'] }),
      () => ({ url: 'http://127.0.0.1:9/other' }),
    ],
  ];

  test.each(creates)(
    'when %s is created twice with one key, then the replay is the original status and body with Idempotent-Replayed, and another body is a 409',
    async (_what, path, body, otherBody) => {
      const k = `key-${path}`;
      const first = await stack.api('POST', path, key, body(), { 'idempotency-key': k });
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      // The same body with its keys in another order is the same request.
      const reordered = Object.fromEntries(Object.entries(body()).reverse());
      const replay = await stack.api('POST', path.replace('/api/v1/', '/v1/'), key, reordered, { 'idempotency-key': k });
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(first.body);

      const changed = await stack.api('POST', path, key, otherBody(), { 'idempotency-key': k });
      expect(changed.status).toBe(409);
      expect(changed.body.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_reused' });
    },
  );

  test('when a key is used on another operation, then it is a 409, not the other object', async () => {
    expect((await stack.api('POST', '/v1/customers', key, {}, { 'idempotency-key': 'cross-op' })).status).toBe(201);
    const other = await stack.api('POST', '/v1/invoices', key, {}, { 'idempotency-key': 'cross-op' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  test('when a key is longer than 255 characters, then it is a 400 and nothing is created, even if it shares a prefix with a used key', async () => {
    const prefix = 'p'.repeat(255);
    expect((await stack.api('POST', '/v1/customers', key, { name: 'first' }, { 'idempotency-key': prefix })).status).toBe(201);
    const before = await stack.pool.query('SELECT count(*)::int AS n FROM customers');
    const invoicesBefore = await stack.pool.query('SELECT count(*)::int AS n FROM invoices');
    for (const [path, body] of [
      ['/v1/customers', { name: 'second' }],
      ['/v1/invoices', { amount: '1' }],
      ['/v1/withdraw', { amount: '1', to_address: Wallet.createRandom().address }],
    ] as const) {
      const res = await stack.api('POST', path, key, body, { 'idempotency-key': `${prefix}x` });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'idempotency_key_invalid', param: 'Idempotency-Key' });
    }
    const after = await stack.pool.query('SELECT count(*)::int AS n FROM customers');
    expect(after.rows[0].n).toBe(before.rows[0].n);
    expect((await stack.pool.query('SELECT count(*)::int AS n FROM invoices')).rows[0]).toEqual(invoicesBefore.rows[0]);
  });

  test('when ten identical requests race, then all answer the same status and body and one object exists', async () => {
    const { key: own, id } = await stack.merchant();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => stack.api('POST', '/v1/invoices', own, { amount: '7' }, { 'idempotency-key': 'race' })),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201]));
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    const invoices = await stack.pool.query('SELECT id FROM invoices WHERE merchant_id = $1', [id]);
    expect(invoices.rows).toEqual([{ id: answers[0]!.body.data.id }]);
  });

  test('when the first request failed validation, then nothing is stored and a corrected retry with the key succeeds', async () => {
    const bad = await stack.api('POST', '/v1/invoices', key, { amount: '-1' }, { 'idempotency-key': 'fix-me' });
    expect(bad.status).toBe(400);
    const good = await stack.api('POST', '/v1/invoices', key, { amount: '1' }, { 'idempotency-key': 'fix-me' });
    expect(good.status).toBe(201);
  });

  test('when two merchants use the same key, then each gets its own object', async () => {
    const other = await stack.merchant();
    const a = await stack.api('POST', '/v1/customers', key, { name: 'x' }, { 'idempotency-key': 'shared' });
    const b = await stack.api('POST', '/v1/customers', other.key, { name: 'x' }, { 'idempotency-key': 'shared' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.data.id).not.toBe(a.body.data.id);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
  });

  test('when bodies differ only in key order, then their fingerprints are equal; in a value, they differ', () => {
    expect(canonicalJson({ b: [{ y: 1, x: 2 }], a: null })).toBe('{"a":null,"b":[{"x":2,"y":1}]}');
    expect(requestFingerprint('op', { a: 1, b: 2 })).toBe(requestFingerprint('op', { b: 2, a: 1 }));
    expect(requestFingerprint('op', { a: 1 })).not.toBe(requestFingerprint('op', { a: 2 }));
    expect(requestFingerprint('op', { a: 1 })).not.toBe(requestFingerprint('other', { a: 1 }));
  });
});
