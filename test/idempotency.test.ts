import { Wallet } from 'ethers';
import { canonicalJson, requestFingerprint } from '../api/idempotency';
import { eventually, TestStack } from './harness/test-stack';

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

  test('when a retry waits on a first attempt still running, then it asks the database less and less often, and not at all once its client has gone', async () => {
    const { key: own, id } = await stack.merchant();
    const body = { amount: '3' };
    // A first attempt still running (on another API process): the key is held, with no answer yet.
    await stack.pool.query(
      `INSERT INTO idempotent_requests (merchant_id, livemode, key, fingerprint, locked_until)
       VALUES ($1, false, 'held', $2, now() + interval '60 seconds')`,
      [id, requestFingerprint('invoices.create', { params: {}, body })],
    );
    // The API shares this pool: count the queries that ask after the held key.
    const query = stack.pool.query.bind(stack.pool);
    let asked = 0;
    stack.pool.query = ((text: unknown, values?: unknown[]) => {
      if (String(text).includes('idempotent_requests') && values?.includes('held')) asked++;
      return query(text as string, values);
    }) as typeof stack.pool.query;
    try {
      const client = new AbortController();
      const retry = fetch(`${stack.apiUrl}/v1/invoices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': own, 'idempotency-key': 'held' },
        body: JSON.stringify(body),
        signal: client.signal,
      }).catch(() => 'aborted');
      // Two queries a look; at a fixed 50 ms that is about 80 in two seconds.
      await eventually(async () => (asked > 0 ? true : undefined), 'the retry to ask after the key');
      const startedAt = Date.now();
      await eventually(async () => (Date.now() - startedAt >= 2_000 ? true : undefined), 'two seconds of waiting');
      expect(asked).toBeLessThan(30);

      client.abort();
      expect(await retry).toBe('aborted');
      // Once the server has seen the client go, the count stops (it grew at least every 500 ms before).
      let last = asked;
      let changedAt = Date.now();
      await eventually(
        async () => {
          if (asked !== last) [last, changedAt] = [asked, Date.now()];
          return Date.now() - changedAt >= 1_000 ? true : undefined;
        },
        'the retry to stop asking',
        10_000,
      );
      const stoppedAt = asked;
      const since = Date.now();
      await eventually(async () => (Date.now() - since >= 1_500 ? true : undefined), 'another second and a half');
      expect(asked).toBe(stoppedAt);
      expect((await stack.pool.query('SELECT count(*)::int AS n FROM invoices WHERE merchant_id = $1', [id])).rows[0].n).toBe(0);
    } finally {
      stack.pool.query = query as typeof stack.pool.query;
    }
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
