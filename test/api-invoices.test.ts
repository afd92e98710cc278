import { eventually, TestStack } from './harness/test-stack';

describe('invoice API', () => {
  let stack: TestStack;
  let key: string;
  beforeAll(async () => {
    stack = await TestStack.start();
    ({ key } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  const post = (body: unknown, headers: Record<string, string> = {}) => stack.api('POST', '/v1/invoices', key, body, headers);

  test.each([
    ['malformed JSON', '{"amount": ', 400, 'invalid_json', null],
    ['a missing amount', {}, 400, 'parameter_invalid', 'amount'],
    ['a negative amount', { amount: '-5' }, 400, 'parameter_invalid', 'amount'],
    ['a numeric amount', { amount: 5 }, 400, 'parameter_invalid', 'amount'],
    ['a zero amount', { amount: '0' }, 400, 'invalid_amount', 'amount'],
    ['an amount beyond any uint256', { amount: `1${'0'.repeat(70)}` }, 400, 'invalid_amount', 'amount'],
    ['an over-precise amount', { amount: '1.0000000000000000001' }, 400, 'amount_too_precise', 'amount'],
    ['an unknown network', { amount: '1', network: 'dogechain' }, 400, 'unknown_network', 'network'],
    ['an unsupported currency', { amount: '1', currency: 'DOGE' }, 400, 'unsupported_currency', 'currency'],
    ['an invalid callback URL', { amount: '1', callback_url: 'ftp://x.example' }, 400, 'parameter_invalid', 'callback_url'],
    ['an unknown field', { amount: '1', colour: 'red' }, 400, 'unknown_parameter', 'colour'],
    ['an oversized body', { amount: '1', metadata: { big: 'x'.repeat(200_000) } }, 413, 'body_too_large', null],
  ])('when the body has %s, then it gets a clear 4xx error and nothing is created', async (_what, body, status, code, param) => {
    const before = await stack.pool.query('SELECT count(*)::int AS n FROM invoices');
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code, param });
    expect(typeof res.body.error.message).toBe('string');
    const after = await stack.pool.query('SELECT count(*)::int AS n FROM invoices');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  test('when a live invoice names a private or loopback callback_url, then it is refused before anything is created', async () => {
    const { key: live } = await stack.merchant({ livemode: true });
    const res = await stack.api('POST', '/v1/invoices', live, { amount: '1', callback_url: 'http://127.0.0.1:8080/hook' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'url_not_public', param: 'callback_url' });
    // Test mode may call back to localhost, for development.
    expect((await post({ amount: '1', callback_url: 'http://127.0.0.1:8080/hook' })).status).toBe(201);
  });

  test('when the same Idempotency-Key is retried, then one invoice exists and both answers match', async () => {
    const first = await post({ amount: '12.50' }, { 'idempotency-key': 'retry-1' });
    const second = await post({ amount: '12.50' }, { 'idempotency-key': 'retry-1' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.data.id).toBe(first.body.data.id);
    expect(second.body.data.deposit_address).toBe(first.body.data.deposit_address);
    const reused = await post({ amount: '99' }, { 'idempotency-key': 'retry-1' });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
  });

  test('when an external_id is reused, then the same invoice comes back, or a conflict if the terms differ', async () => {
    const a = await post({ amount: '5', external_id: 'order_1' });
    const b = await post({ amount: '5', external_id: 'order_1' });
    expect(b.body.data.id).toBe(a.body.data.id);
    const c = await post({ amount: '6', external_id: 'order_1' });
    expect(c.status).toBe(409);
    expect(c.body.error).toMatchObject({ code: 'external_id_conflict', param: 'external_id' });
    // An Idempotency-Key on a request for an existing order finds that order's invoice.
    const d = await post({ amount: '5', external_id: 'order_1' }, { 'idempotency-key': 'fresh-key' });
    expect(d.status).toBe(200);
    expect(d.body.data.id).toBe(a.body.data.id);
  });

  test('when invoices are created, then each has its own deposit address', async () => {
    const addresses = new Set<string>();
    for (let i = 0; i < 5; i++) addresses.add((await post({ amount: '1' })).body.data.deposit_address);
    expect(addresses.size).toBe(5);
  });

  test('when listing with a limit, then pages follow the cursor without gaps or repeats, newest first', async () => {
    const { key: own } = await stack.merchant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await stack.api('POST', '/v1/invoices', own, { amount: `${i + 1}` })).body.data.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; next_cursor: string | null; has_more: boolean } } = await stack.api(
        'GET',
        `/v1/invoices?limit=2${cursor ? `&starting_after=${cursor}` : ''}`,
        own,
      );
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((i) => i.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await stack.api('GET', '/v1/invoices?limit=0', own)).status).toBe(400);
    expect((await stack.api('GET', '/v1/invoices?starting_after=garbage', own)).body.error.code).toBe('invalid_cursor');
  });

  test('when another merchant asks for an invoice, then it is not found', async () => {
    const invoice = (await post({ amount: '1' })).body.data;
    const { key: other } = await stack.merchant();
    expect((await stack.api('GET', `/v1/invoices/${invoice.id}`, other)).status).toBe(404);
    expect((await stack.api('GET', `/v1/invoices/${invoice.id}`, key)).body.data.id).toBe(invoice.id);
    expect((await stack.api('GET', '/v1/invoices/inv_0000000000000000deadbeef', key)).status).toBe(404);
    expect((await stack.api('GET', '/v1/invoices/not-an-id', key)).status).toBe(400);
  });
});

describe('invoices while the worker is down', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.start({ workflowWaitMs: 1500 });
  });
  afterAll(async () => stack?.stop());

  test('when no worker runs, then creation answers 503 instead of hanging, and a retry with the same key gets the one invoice, listed', async () => {
    const { key } = await stack.merchant();
    await stack.stopWorker();
    const body = { amount: '12.50' };
    const waiting = await stack.api('POST', '/v1/invoices', key, body, { 'idempotency-key': 'inv-1' });
    expect(waiting.status).toBe(503);
    expect(waiting.body.error).toMatchObject({ type: 'api_error', code: 'processing_delayed' });

    await stack.startWorker();
    const retried = await eventually(async () => {
      const r = await stack.api('POST', '/v1/invoices', key, body, { 'idempotency-key': 'inv-1' });
      return r.status === 200 || r.status === 201 ? r.body.data : undefined;
    }, 'the retried request to return the invoice');
    expect(retried).toMatchObject({ amount: '12.50', status: 'pending' });
    expect(retried.deposit_address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    // Ready means projected: the list has it as soon as the create answers.
    const listed = await stack.api('GET', '/v1/invoices', key);
    expect(listed.body.data.map((i: { id: string }) => i.id)).toEqual([retried.id]);
  });
});
