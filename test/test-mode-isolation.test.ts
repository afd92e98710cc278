import { randomBytes } from 'node:crypto';
import { createApiKey } from '../activities/db/merchants';
import { createStartDeposit } from '../activities/temporal/start-deposit';
import { workflowIds } from '../domain/payments';
import { TestStack, eventually } from './harness/test-stack';

/**
 * One merchant, two keys: sk_test_ and sk_live_. Every object made in one mode is invisible in
 * the other (404 on retrieve, absent from lists), and every object and event carries `livemode`.
 */
describe('test mode isolation', () => {
  let stack: TestStack;
  let testKey: string;
  let liveKey: string;
  let merchantId: string;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2 });
    ({ key: testKey, id: merchantId } = await stack.merchant());
    ({ key: liveKey } = await createApiKey(stack.pool, {
      merchantId,
      livemode: true,
      scopes: ['read', 'write', 'withdraw', 'webhooks'],
    }));
  });
  afterAll(async () => stack?.stop());

  const keyOf = (livemode: boolean) => (livemode ? liveKey : testKey);

  /** Checks `id` is visible to its own mode's key and invisible to the other's, by retrieve and by list. */
  const expectIsolated = async (resource: string, id: string, livemode: boolean, listQuery = 'limit=100') => {
    const own = await stack.api('GET', `/v1/${resource}/${id}`, keyOf(livemode));
    expect(own.status).toBe(200);
    expect(own.body.data.livemode).toBe(livemode);
    const other = await stack.api('GET', `/v1/${resource}/${id}`, keyOf(!livemode));
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('resource_missing');

    const ownList = await stack.api('GET', `/api/v1/${resource}?${listQuery}`, keyOf(livemode));
    expect(ownList.body.data.map((o: { id: string }) => o.id)).toContain(id);
    expect(ownList.body.data.every((o: { livemode: boolean }) => o.livemode === livemode)).toBe(true);
    const otherList = await stack.api('GET', `/api/v1/${resource}?${listQuery}`, keyOf(!livemode));
    expect(otherList.status).toBe(200);
    expect(otherList.body.data.map((o: { id: string }) => o.id)).not.toContain(id);
  };

  test.each([false, true])("when an invoice is created with livemode=%s, then only that mode's key sees it", async (livemode) => {
    const created = await stack.api('POST', '/v1/invoices', keyOf(livemode), { amount: '5', external_id: `iso-${livemode}` });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ livemode, network: livemode ? 'bsc' : 'local' });
    await expectIsolated('invoices', created.body.data.id, livemode);
    // The same external_id in the other mode is a different invoice, not a conflict.
    const twin = await stack.api('POST', '/v1/invoices', keyOf(!livemode), { amount: '6', external_id: `iso-${livemode}` });
    expect(twin.status).toBe(201);
    expect(twin.body.data.id).not.toBe(created.body.data.id);
  });

  test.each([false, true])(
    "when a customer is created with livemode=%s, then only that mode's key sees it and its addresses",
    async (livemode) => {
      const created = await stack.api('POST', '/v1/customers', keyOf(livemode), { email: `iso-${livemode}@example.com` });
      expect(created.status).toBe(201);
      const networks = created.body.data.addresses.map((a: { network: string }) => a.network);
      expect(networks).toEqual(livemode ? ['bsc', 'ethereum', 'polygon'] : ['local']);
      await expectIsolated('customers', created.body.data.id, livemode);
      const simulated = await stack.api('POST', '/v1/simulate/deposit', testKey, {
        address: created.body.data.addresses[0].address,
        amount: '1',
      });
      expect(simulated.status).toBe(livemode ? 404 : 202);
    },
  );

  test('when a test-mode deposit arrives, then only the test key sees it', async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', testKey, { amount: '2' })).body.data;
    const sim = await stack.api('POST', '/v1/simulate/deposit', testKey, { invoice_id: invoice.id });
    const depositId = await eventually(async () => {
      const r = await stack.api('GET', `/v1/deposits?invoice_id=${invoice.id}`, testKey);
      return r.body.data[0]?.transaction_hash === sim.body.data.transaction_hash ? (r.body.data[0].id as string) : undefined;
    }, 'the test deposit');
    await expectIsolated('deposits', depositId, false);
  });

  test('when a live deposit is detected, then only the live key sees it', async () => {
    // No live chain here: start the deposit workflow the way the live watcher would on a match.
    const invoice = (await stack.api('POST', '/v1/invoices', liveKey, { amount: '3' })).body.data;
    const txHash = `0x${randomBytes(32).toString('hex')}`;
    const id = workflowIds.deposit('bsc', txHash, 0);
    await createStartDeposit(
      stack.client,
      stack.taskQueue,
    )({
      id,
      network: 'bsc',
      txHash,
      logIndex: 0,
      blockNumber: 1,
      blockHash: `0x${'0'.repeat(64)}`,
      from: '0x0000000000000000000000000000000000000001',
      to: invoice.deposit_address.toLowerCase(),
      currency: 'USDT',
      contract: '0x55d398326f99059ff775485246999027b3197955',
      decimals: 18,
      amount: '3000000000000000000',
      merchantId,
      livemode: true,
      ownerType: 'invoice',
      ownerId: invoice.id,
      requiredConfirmations: 15,
      blockTimeMs: 3000,
      detectedAt: new Date().toISOString(),
    });
    try {
      await eventually(
        async () => ((await stack.pool.query('SELECT 1 FROM deposits WHERE id = $1', [id])).rowCount ? true : undefined),
        'the live deposit',
      );
      await expectIsolated('deposits', id, true);
    } finally {
      // Its verification would retry against the unreachable live RPC for ever.
      await stack.client.workflow.getHandle(id).terminate('test finished');
    }
  });

  test.each([false, true])(
    "when a webhook endpoint is created with livemode=%s, then only that mode's key sees it",
    async (livemode) => {
      // An IP literal: live mode refuses URLs it cannot prove public, and no DNS is needed.
      const url = livemode ? 'https://93.184.216.34/settle-hook' : 'http://127.0.0.1:9/settle-hook';
      const created = await stack.api('POST', '/v1/webhook-endpoints', keyOf(livemode), {
        url,
        events: ['withdrawal.completed'],
      });
      expect(created.status).toBe(201);
      await expectIsolated('webhook-endpoints', created.body.data.id, livemode);
      const otherDelete = await stack.api('DELETE', `/v1/webhook-endpoints/${created.body.data.id}`, keyOf(!livemode));
      expect(otherDelete.status).toBe(404);
    },
  );

  test.each([false, true])("when an event is emitted with livemode=%s, then only that mode's key sees it", async (livemode) => {
    const invoice = (await stack.api('POST', '/v1/invoices', keyOf(livemode), { amount: '4' })).body.data;
    const eventId = await eventually(async () => {
      const r = await stack.api('GET', `/v1/events?object_id=${invoice.id}`, keyOf(livemode));
      return r.body.data?.[0]?.id as string | undefined;
    }, 'the invoice.created event');
    await expectIsolated('events', eventId, livemode, `object_id=${invoice.id}`);
    const resend = await stack.api('POST', `/v1/events/${eventId}/resend`, keyOf(!livemode));
    expect(resend.status).toBe(404);
  });

  test('when events are stored for both modes, then each carries the livemode of its object', async () => {
    const rows = await stack.pool.query<{ livemode: boolean; body: string; object_id: string }>(
      'SELECT livemode, body, object_id FROM events WHERE merchant_id = $1',
      [merchantId],
    );
    const modes = new Set(rows.rows.map((r) => r.livemode));
    expect(modes).toEqual(new Set([true, false]));
    for (const r of rows.rows) {
      const body = JSON.parse(r.body);
      expect(body.livemode).toBe(r.livemode);
      expect(body.data.livemode).toBe(r.livemode);
    }
  });
});
