import { parseUnits } from 'ethers';
import { TestStack, eventually } from './harness/test-stack';

/** Durability: the worker (which also runs the chain watcher's scans) dies at the worst moments. */
describe('crash recovery', () => {
  let stack: TestStack;
  let key: string;
  let merchantId: string;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 3 });
    ({ key, id: merchantId } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  const depositsOf = (invoiceId: string) =>
    stack.pool.query<{ id: string; status: string }>('SELECT id, status FROM deposits WHERE invoice_id = $1', [invoiceId]);

  test('when the worker dies before detection and again mid-confirmation, then the deposit completes and is credited once', async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '7' })).body.data;

    await stack.stopWorker();
    await stack.sendToken(invoice.deposit_address, parseUnits('7', 18));
    await stack.startWorker();
    await eventually(
      async () => ((await depositsOf(invoice.id)).rows[0]?.status === 'confirming' ? true : undefined),
      'detection after restart',
    );

    await stack.stopWorker();
    await stack.mine(3);
    await stack.startWorker();
    await eventually(async () => {
      const r = await stack.api('GET', `/v1/invoices/${invoice.id}`, key);
      return r.body.data?.status === 'paid' ? true : undefined;
    }, 'the invoice to be paid after the second restart');

    // Rewind the watcher's cursor as if it crashed after starting deposit workflows but before
    // saving its position: the rescan must not create a second deposit or credit.
    await stack.pool.query("UPDATE chain_cursors SET next_block = 0 WHERE network = 'local'");
    await stack.mine(1);
    await eventually(async () => {
      const r = await stack.pool.query<{ next_block: string }>("SELECT next_block FROM chain_cursors WHERE network = 'local'");
      const head = await stack.chain.provider.getBlockNumber();
      return Number(r.rows[0]!.next_block) > head ? true : undefined;
    }, 'the watcher to rescan up to the head');

    expect((await depositsOf(invoice.id)).rows).toHaveLength(1);
    const credits = await stack.pool.query<{ txn_id: string; n: number }>(
      `SELECT txn_id, count(*)::int AS n FROM ledger_entries WHERE merchant_id = $1 AND account = 'merchant:available' GROUP BY txn_id`,
      [merchantId],
    );
    expect(credits.rows).toEqual([{ txn_id: `deposit:${(await depositsOf(invoice.id)).rows[0]!.id}`, n: 1 }]);
    const balance = await stack.pool.query<{ sum: string }>(
      `SELECT sum(amount)::text AS sum FROM ledger_entries WHERE merchant_id = $1 AND account = 'merchant:available'`,
      [merchantId],
    );
    expect(balance.rows[0]!.sum).toBe(parseUnits('7', 18).toString());
  });
});
