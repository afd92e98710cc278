import { parseUnits } from 'ethers';
import { TestStack, eventually } from './harness/test-stack';

describe('customers', () => {
  let stack: TestStack;
  let key: string;
  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 1 });
    ({ key } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  test('when a customer is created, then it has a permanent address on every network of its mode', async () => {
    const res = await stack.api('POST', '/api/v1/customers', key, {
      email: 'ada@example.com',
      name: 'Ada',
      external_id: 'user_1',
    });
    expect(res.status).toBe(201);
    const customer = res.body.data;
    expect(customer).toMatchObject({ object: 'customer', livemode: false, email: 'ada@example.com', external_id: 'user_1' });
    const testNetworks = stack.registry
      .forMode(false)
      .map((n) => n.id)
      .sort();
    expect(customer.addresses.map((a: { network: string }) => a.network).sort()).toEqual(testNetworks);
    expect((await stack.api('GET', `/api/v1/customers/${customer.id}`, key)).body.data).toEqual(customer);
    const listed = await stack.api('GET', '/api/v1/customers', key);
    expect(listed.body.data.map((c: { id: string }) => c.id)).toContain(customer.id);
    const events = await eventually(async () => {
      const r = await stack.pool.query('SELECT type FROM events WHERE object_id = $1', [customer.id]);
      return r.rowCount ? r.rows.map((x) => x.type) : undefined;
    }, 'customer.created');
    expect(events).toEqual(['customer.created']);
  });

  test('when money is sent to a customer address twice, then both deposits are attributed to the customer', async () => {
    const customer = (await stack.api('POST', '/api/v1/customers', key, { name: 'Grace' })).body.data;
    const address = customer.addresses.find((a: { network: string }) => a.network === 'local').address;
    await stack.sendToken(address, parseUnits('3', 18));
    await stack.sendToken(address, parseUnits('4', 18));
    await stack.mine(1);
    const deposits = await eventually(async () => {
      const r = await stack.api('GET', `/api/v1/deposits?customer_id=${customer.id}&status=completed`, key);
      return r.body.data?.length === 2 ? r.body.data : undefined;
    }, 'two completed deposits');
    expect(deposits.map((d: { amount: string }) => d.amount).sort()).toEqual(['3.00', '4.00']);
    for (const d of deposits) expect(d).toMatchObject({ customer_id: customer.id, invoice_id: null, livemode: false });
    const one = await stack.api('GET', `/api/v1/deposits/${deposits[0].id}`, key);
    expect(one.body.data).toMatchObject({
      id: deposits[0].id,
      status: 'completed',
      transaction_hash: deposits[0].transaction_hash,
    });
  });

  test('when a customer body is invalid, then it gets a 400 naming the field', async () => {
    const res = await stack.api('POST', '/api/v1/customers', key, { email: 'not-an-email' });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('email');
  });
});

describe('customers while the worker is down', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.start({ workflowWaitMs: 1500 });
  });
  afterAll(async () => stack?.stop());

  test('when no worker runs, then the request answers 503 instead of hanging, and a retry with the same key gets the customer', async () => {
    const { key } = await stack.merchant();
    await stack.stopWorker();
    const waiting = await stack.api('POST', '/api/v1/customers', key, { name: 'Later' }, { 'idempotency-key': 'cus-1' });
    expect(waiting.status).toBe(503);
    expect(waiting.body.error).toMatchObject({ type: 'api_error', code: 'processing_delayed' });

    await stack.startWorker();
    const retried = await eventually(async () => {
      const r = await stack.api('POST', '/api/v1/customers', key, { name: 'Later' }, { 'idempotency-key': 'cus-1' });
      return r.status === 201 ? r.body.data : undefined;
    }, 'the retried request to return the customer');
    expect(retried.name).toBe('Later');
    const all = await stack.api('GET', '/api/v1/customers', key);
    expect(all.body.data).toHaveLength(1);
  });
});
