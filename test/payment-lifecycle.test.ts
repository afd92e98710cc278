import { readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { parseUnits } from 'ethers';
import { TestStack, eventually } from './harness/test-stack';

/** End to end on the dev server: API → invoice workflow → Anvil transfer → watcher → deposit workflow → ledger. */
describe('payment lifecycle on a real chain', () => {
  let stack: TestStack;
  let key: string;
  let merchantId: string;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 3 });
    ({ key, id: merchantId } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  /** Waits until the object's events are exactly `expected` (events are published just after each state change). */
  const expectEvents = (objectId: string, expected: string[]) =>
    eventually(async () => {
      const rows = await stack.pool.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY sequence', [
        objectId,
      ]);
      const types = rows.rows.map((r) => r.type);
      return types.length >= expected.length ? types : undefined;
    }, `events of ${objectId}`).then((types) => expect(types).toEqual(expected));

  test('when a customer pays an invoice with an ERC-20 transfer, then the deposit completes and the invoice is paid', async () => {
    const created = await stack.api('POST', '/v1/invoices', key, { amount: '50.00', external_id: 'order_12345' });
    expect(created.status).toBe(201);
    const invoice = created.body.data;
    expect(invoice.deposit_address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(invoice).toMatchObject({
      status: 'pending',
      amount: '50.00',
      currency: 'USDT',
      network: 'local',
      external_id: 'order_12345',
    });

    await stack.sendToken(invoice.deposit_address, parseUnits('50', 18));
    const depositId = await eventually(async () => {
      const r = await stack.pool.query<{ id: string }>('SELECT id FROM deposits WHERE invoice_id = $1', [invoice.id]);
      return r.rows[0]?.id;
    }, 'the watcher to detect the deposit');

    await stack.mine(3);
    const paid = await eventually(async () => {
      const r = await stack.api('GET', `/v1/invoices/${invoice.id}`, key);
      return r.body.data?.status === 'paid' ? r.body.data : undefined;
    }, 'the invoice to be paid');
    expect(paid.amount_received).toBe('50.00');
    expect(paid.deposits).toHaveLength(1);
    expect(paid.deposits[0].status).toBe('completed');

    await expectEvents(depositId, ['deposit.detected', 'deposit.confirming', 'deposit.completed']);
    await expectEvents(invoice.id, ['invoice.created', 'invoice.paid']);
    const ledger = await stack.pool.query<{ account: string; sum: string }>(
      'SELECT account, sum(amount)::text AS sum FROM ledger_entries WHERE merchant_id = $1 GROUP BY account ORDER BY account',
      [merchantId],
    );
    expect(ledger.rows).toEqual([
      { account: 'external:chain_inflow', sum: (-parseUnits('50', 18)).toString() },
      { account: 'merchant:available', sum: parseUnits('50', 18).toString() },
    ]);

    const listed = await stack.api('GET', '/v1/invoices?status=paid', key);
    expect(listed.body.data.map((i: { id: string }) => i.id)).toContain(invoice.id);
  });

  test('when the recorded histories are replayed against the current workflow code, then they replay deterministically', async () => {
    const ids = (await stack.pool.query<{ id: string; invoice_id: string }>('SELECT id, invoice_id FROM deposits')).rows.flatMap(
      (r) => [r.id, `invoice-${r.invoice_id}`],
    );
    expect(ids.length).toBeGreaterThan(0);
    const histories = await Promise.all(
      ids.map(async (workflowId) => ({ workflowId, history: await stack.client.workflow.getHandle(workflowId).fetchHistory() })),
    );
    const bundle = { code: readFileSync(process.env.SETTLE_TEST_WORKFLOW_BUNDLE!, 'utf8') };
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      expect(result.error).toBeUndefined();
    }
  });

  test('when a reorg removes the transfer before it is confirmed, then the deposit fails and nothing is credited', async () => {
    const created = await stack.api('POST', '/v1/invoices', key, { amount: '10' });
    const invoice = created.body.data;
    const before = await stack.pool.query('SELECT count(*)::int AS n FROM ledger_entries');

    await stack.sendToken(invoice.deposit_address, parseUnits('10', 18));
    const depositId = await eventually(async () => {
      const r = await stack.pool.query<{ id: string }>('SELECT id FROM deposits WHERE invoice_id = $1', [invoice.id]);
      return r.rows[0]?.id;
    }, 'the watcher to detect the deposit');

    // Replace the transfer's block (and the mint before it) with empty ones: the transfer is gone.
    await stack.chain.provider.send('anvil_reorg', [2, []]);
    await stack.mine(5);

    await eventually(async () => {
      const r = await stack.pool.query<{ status: string }>('SELECT status FROM deposits WHERE id = $1', [depositId]);
      return r.rows[0]?.status === 'failed' ? true : undefined;
    }, 'the deposit to fail');
    await expectEvents(depositId, ['deposit.detected', 'deposit.failed']);
    const after = await stack.pool.query('SELECT count(*)::int AS n FROM ledger_entries');
    expect(after.rows[0].n).toBe(before.rows[0].n);
    const invoiceNow = await stack.api('GET', `/v1/invoices/${invoice.id}`, key);
    expect(invoiceNow.body.data).toMatchObject({ status: 'pending', amount_received: '0.00', amount_pending: '0.00' });
  });
});
