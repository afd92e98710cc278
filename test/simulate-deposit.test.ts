import { parseUnits } from 'ethers';
import { TestStack, eventually } from './harness/test-stack';

/** Test mode's simulate-deposit endpoint drives the real pipeline: watcher, deposit workflow, invoice, ledger. */
describe('simulated deposits', () => {
  let stack: TestStack;
  let key: string;
  let merchantId: string;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 3 });
    ({ key, id: merchantId } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  const depositStatus = (txHash: string, status: string) =>
    eventually(async () => {
      const r = await stack.pool.query<{ id: string; status: string }>('SELECT id, status FROM deposits WHERE tx_hash = $1', [
        txHash,
      ]);
      return r.rows[0]?.status === status ? r.rows[0].id : undefined;
    }, `deposit ${txHash} to be ${status}`);

  const eventTypes = async (objectId: string) =>
    (
      await stack.pool.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY sequence', [objectId])
    ).rows.map((r) => r.type);

  test('when a test invoice is simulated as paid, then the invoice is paid, the deposit completes and the ledger is credited', async () => {
    const invoice = (await stack.api('POST', '/api/v1/invoices', key, { amount: '25.50' })).body.data;
    const sim = await stack.api('POST', '/api/v1/simulate/deposit', key, { invoice_id: invoice.id });
    expect(sim.status).toBe(202);
    expect(sim.body.data).toMatchObject({
      to_address: invoice.deposit_address,
      amount: '25.50',
      network: 'local',
      scenario: 'normal',
    });
    expect(sim.body.data.transaction_hash).toMatch(/^0x[0-9a-f]{64}$/);

    const paid = await eventually(async () => {
      const r = await stack.api('GET', `/v1/invoices/${invoice.id}`, key);
      return r.body.data?.status === 'paid' ? r.body.data : undefined;
    }, 'the invoice to be paid');
    expect(paid.amount_received).toBe('25.50');
    const depositId = await depositStatus(sim.body.data.transaction_hash, 'completed');
    await eventually(async () => ((await eventTypes(depositId)).length >= 3 ? true : undefined), 'deposit events');
    expect(await eventTypes(depositId)).toEqual(['deposit.detected', 'deposit.confirming', 'deposit.completed']);
    const ledger = await stack.pool.query<{ sum: string }>(
      "SELECT sum(amount)::text AS sum FROM ledger_entries WHERE merchant_id = $1 AND ref_id = $2 AND account = 'merchant:available'",
      [merchantId, depositId],
    );
    expect(ledger.rows[0]?.sum).toBe(parseUnits('25.50', 18).toString());
  });

  test('when the underpay scenario is simulated, then half the amount arrives and the invoice is underpaid', async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '10' })).body.data;
    const sim = await stack.api('POST', '/v1/simulate/deposit', key, { invoice_id: invoice.id, scenario: 'underpay' });
    expect(sim.status).toBe(202);
    expect(sim.body.data.amount).toBe('5.00');
    await depositStatus(sim.body.data.transaction_hash, 'completed');
    const after = await eventually(async () => {
      const r = await stack.api('GET', `/v1/invoices/${invoice.id}`, key);
      return r.body.data?.amount_received === '5.00' ? r.body.data : undefined;
    }, 'the partial payment to be received');
    expect(after.status).not.toBe('paid');
  });

  test('when the reorg scenario is simulated, then the deposit is detected, fails with deposit.failed and nothing is credited', async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '7' })).body.data;
    const sim = await stack.api('POST', '/v1/simulate/deposit', key, { invoice_id: invoice.id, scenario: 'reorg' });
    expect(sim.status).toBe(202);
    const depositId = await depositStatus(sim.body.data.transaction_hash, 'failed');
    await eventually(async () => ((await eventTypes(depositId)).includes('deposit.failed') ? true : undefined), 'deposit.failed');
    // The transfer's own block is its first confirmation, so deposit.confirming may come before the reorg.
    const types = await eventTypes(depositId);
    expect(types[0]).toBe('deposit.detected');
    expect(types[types.length - 1]).toBe('deposit.failed');
    expect(types).not.toContain('deposit.completed');
    const credited = await stack.pool.query('SELECT 1 FROM ledger_entries WHERE ref_id = $1', [depositId]);
    expect(credited.rowCount).toBe(0);
  });

  test('when a customer address is simulated, then the deposit is attributed to the customer', async () => {
    const customer = (await stack.api('POST', '/v1/customers', key, { email: 'sim@example.com' })).body.data;
    const sim = await stack.api('POST', '/v1/simulate/deposit', key, { customer_id: customer.id, amount: '3' });
    expect(sim.status).toBe(202);
    expect(sim.body.data.to_address).toBe(customer.addresses.find((a: { network: string }) => a.network === 'local').address);
    const depositId = await depositStatus(sim.body.data.transaction_hash, 'completed');
    const deposit = await stack.api('GET', `/v1/deposits/${depositId}`, key);
    expect(deposit.body.data).toMatchObject({ customer_id: customer.id, amount: '3.00', status: 'completed', livemode: false });
  });

  test('when a live key asks for a simulation, then it is refused with livemode_not_allowed', async () => {
    const live = await stack.merchant({ livemode: true });
    const r = await stack.api('POST', '/v1/simulate/deposit', live.key, {
      address: '0x0000000000000000000000000000000000000001',
      amount: '1',
    });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('livemode_not_allowed');
  });

  test("when the target is not one of the merchant's addresses or invoices, then it is 404 and nothing is sent", async () => {
    const other = await stack.merchant();
    const invoice = (await stack.api('POST', '/v1/invoices', other.key, { amount: '1' })).body.data;
    const byInvoice = await stack.api('POST', '/v1/simulate/deposit', key, { invoice_id: invoice.id });
    expect(byInvoice.status).toBe(404);
    const byAddress = await stack.api('POST', '/v1/simulate/deposit', key, { address: invoice.deposit_address, amount: '1' });
    expect(byAddress.status).toBe(404);
    const both = await stack.api('POST', '/v1/simulate/deposit', key, {
      address: invoice.deposit_address,
      invoice_id: invoice.id,
    });
    expect(both.status).toBe(400);
  });

  test('when a read-only key asks for a simulation, then it lacks the write scope', async () => {
    const reader = await stack.merchant({ scopes: ['read'] });
    const r = await stack.api('POST', '/v1/simulate/deposit', reader.key, {
      address: '0x0000000000000000000000000000000000000001',
      amount: '1',
    });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('insufficient_scope');
  });
});
