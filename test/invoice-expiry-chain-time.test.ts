import { randomBytes } from 'node:crypto';
import { parseUnits } from 'ethers';
import { invoiceSnapshotQuery } from '../domain/messages';
import { type InvoiceInput, type InvoiceSnapshot, workflowIds } from '../domain/payments';
import { paymentTaskQueue } from '../domain/task-queues';
import { TestStack, eventually } from './harness/test-stack';

/** Expiry against the chain's time, with a watcher that cannot read the chain for a while. */
describe('invoice expiry follows the chain', () => {
  let stack: TestStack;
  let merchantId: string;
  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2, hostileRpc: { seed: 5 } });
    ({ id: merchantId } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  test('when a payment is mined before expiry but read only after it, then the invoice is paid on time and never expires', async () => {
    // Started directly: the API's shortest expiry is a minute, this one is fifteen seconds.
    const input: InvoiceInput = {
      id: `inv_${randomBytes(12).toString('hex')}`,
      merchantId,
      livemode: false,
      network: 'local',
      currency: 'USDT',
      decimals: 18,
      amount: parseUnits('4', 18).toString(),
      externalId: null,
      callbackUrl: null,
      metadata: {},
      expiresInSeconds: 15,
      monitorWindowSeconds: 600,
      underpaymentToleranceBps: 0,
      requestFingerprint: 'test',
      requestId: 'test',
    };
    const handle = await stack.client.workflow.start('invoiceWorkflow', {
      workflowId: workflowIds.invoice(input.id),
      taskQueue: paymentTaskQueue(stack.taskQueue, false),
      args: [input],
    });
    const created = await eventually(async () => {
      const s: InvoiceSnapshot = await handle.query(invoiceSnapshotQuery);
      return s.depositAddress ? s : undefined;
    }, 'the invoice address');

    // The RPC endpoint goes dark just before the payment is mined, and stays dark past expiry.
    stack.rpc!.setFaults({ dropRate: 1 });
    const txHash = await stack.sendToken(created.depositAddress!, parseUnits('4', 18));
    const mined = await stack.chain.provider.getBlock((await stack.chain.provider.getTransactionReceipt(txHash))!.blockNumber);
    expect(mined!.timestamp * 1000).toBeLessThan(Date.parse(created.expiresAt)); // the premise: mined in time
    await eventually(
      async () => (Date.now() > Date.parse(created.expiresAt) + 3_000 ? true : undefined),
      'expiry to pass',
      30_000,
    );
    expect((await handle.query(invoiceSnapshotQuery)).status).toBe('pending');

    stack.rpc!.setFaults({ dropRate: 0 });
    await stack.mine(3);
    const paid = await eventually(
      async () => {
        const s: InvoiceSnapshot = await handle.query(invoiceSnapshotQuery);
        return s.status === 'paid' ? s : undefined;
      },
      'the invoice to be paid',
      90_000,
    );
    expect(paid.paidLate).toBe(false);
    const events = await eventually(async () => {
      const rows = await stack.pool.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY sequence', [
        input.id,
      ]);
      return rows.rows.length >= 2 ? rows.rows.map((r) => r.type) : undefined;
    }, 'the invoice events');
    expect(events).toEqual(['invoice.created', 'invoice.paid']);
  });
});
