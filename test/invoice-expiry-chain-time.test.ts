import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { parseUnits } from 'ethers';
import { invoiceSnapshotQuery } from '../domain/messages';
import { type InvoiceInput, type InvoiceSnapshot, workflowIds } from '../domain/payments';
import { paymentTaskQueue } from '../domain/task-queues';
import { TestStack, eventually } from './harness/test-stack';

/** Waits until the watcher has read the chain up to its head, so its cursor is past every block so far. */
async function watcherAtHead(stack: TestStack) {
  const head = await stack.chain.provider.getBlockNumber();
  await eventually(async () => {
    const r = await stack.pool.query<{ next_block: string }>("SELECT next_block FROM chain_cursors WHERE network = 'local'");
    return Number(r.rows[0]?.next_block) > head ? true : undefined;
  }, 'the watcher to read the chain up to its head');
}

/** Started directly: the API's shortest expiry is a minute, this one is fifteen seconds. */
async function startShortInvoice(stack: TestStack, merchantId: string) {
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
  return { input, handle };
}

/**
 * Waits until the invoice has asked, after its expiry, whether the chain was read that far: it has
 * made its decision. It asks through a local activity, whose answer is a marker in the history.
 */
async function askedTheChain(handle: WorkflowHandle) {
  await eventually(
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const answered = events.some((e) => {
        const marker = e.markerRecordedEventAttributes;
        const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
        return !!data && Buffer.from(data).toString('utf8').includes('"chainScannedPast"');
      });
      return answered ? true : undefined;
    },
    'the invoice to consider expiring',
    60_000,
  );
}

/** Expiry against the chain's time, with a watcher that cannot read the chain for a while. */
describe('invoice expiry follows the chain', () => {
  let stack: TestStack;
  let merchantId: string;
  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2, hostileRpc: { seed: 5 } });
    ({ id: merchantId } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  const startInvoice = async () => {
    await watcherAtHead(stack);
    return startShortInvoice(stack, merchantId);
  };

  const eventTypes = async (invoiceId: string) =>
    eventually(async () => {
      const rows = await stack.pool.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY sequence', [
        invoiceId,
      ]);
      return rows.rows.length >= 2 ? rows.rows.map((r) => r.type) : undefined;
    }, 'the invoice events');

  /** Once blocks confirm the payment: paid, on time, and no expiry was ever announced. */
  async function expectPaidOnTime(invoiceId: string, handle: Awaited<ReturnType<typeof startInvoice>>['handle']) {
    await stack.mine(3);
    const paid = await eventually(
      async () => {
        const s: InvoiceSnapshot = await handle.query(invoiceSnapshotQuery);
        return s.status === 'paid' ? s : undefined;
      },
      'the invoice to be paid',
      120_000,
    );
    expect(paid.paidLate).toBe(false);
    expect(await eventTypes(invoiceId)).toEqual(['invoice.created', 'invoice.paid']);
  }

  test('when a payment is mined before expiry but read only after it, then the invoice is paid on time and never expires', async () => {
    const { input, handle } = await startInvoice();
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
    await expectPaidOnTime(input.id, handle);
  });

  test('when the watcher has read past expiry but the deposit has not reported yet, then the invoice waits for it and is paid', async () => {
    const { input, handle } = await startInvoice();
    const created = await eventually(async () => {
      const s: InvoiceSnapshot = await handle.query(invoiceSnapshotQuery);
      return s.depositAddress ? s : undefined;
    }, 'the invoice address');

    // A busy worker, held still: the deposit workflow cannot record its deposit, so it cannot tell
    // the invoice either, while the watcher reads the payment's block and moves its cursor past it.
    const hold = await stack.pool.connect();
    await hold.query('BEGIN');
    await hold.query('LOCK TABLE deposits IN EXCLUSIVE MODE');
    try {
      const txHash = await stack.sendToken(created.depositAddress!, parseUnits('4', 18));
      const block = (await stack.chain.provider.getTransactionReceipt(txHash))!.blockNumber;
      await eventually(async () => {
        const r = await stack.pool.query<{ next_block: string }>("SELECT next_block FROM chain_cursors WHERE network = 'local'");
        return Number(r.rows[0]?.next_block) > block ? true : undefined;
      }, 'the watcher to read past the payment');
      await askedTheChain(handle);
      expect((await handle.query(invoiceSnapshotQuery)).status).toBe('pending');
    } finally {
      await hold.query('COMMIT');
      hold.release();
    }

    await expectPaidOnTime(input.id, handle);
  });
});

describe('invoice expiry before the watcher has read the chain once', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // The node is out of reach from the start: the watcher cannot read the chain, nor save a cursor.
    stack = await TestStack.start({ watch: true, confirmations: 2, hostileRpc: { seed: 6, dropRate: 1 } });
  });
  afterAll(async () => stack?.stop());

  test('when the watched network was never read, then an invoice does not expire on its wall clock, and expires once the chain is read past it', async () => {
    const { id } = await stack.merchant();
    const { input, handle } = await startShortInvoice(stack, id);
    const created = await eventually(async () => {
      const s: InvoiceSnapshot = await handle.query(invoiceSnapshotQuery);
      return s.expiresAt ? s : undefined;
    }, 'the invoice');
    await eventually(
      async () => (Date.now() > Date.parse(created.expiresAt) + 3_000 ? true : undefined),
      'expiry to pass',
      30_000,
    );
    await askedTheChain(handle);
    expect((await handle.query(invoiceSnapshotQuery)).status).toBe('pending');
    expect((await stack.pool.query("SELECT 1 FROM chain_cursors WHERE network = 'local'")).rowCount).toBe(0);

    stack.rpc!.setFaults({ dropRate: 0 });
    await stack.mine(2);
    await eventually(
      async () => ((await handle.query(invoiceSnapshotQuery)).status === 'expired' ? true : undefined),
      'the invoice to expire',
      60_000,
    );
    const events = await stack.pool.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1 ORDER BY sequence', [
      input.id,
    ]);
    expect(events.rows.map((r) => r.type)).toEqual(['invoice.created', 'invoice.expired']);
  });
});

describe('a payment mined before the watcher has read the chain once', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2, hostileRpc: { seed: 7, dropRate: 1 } });
  });
  afterAll(async () => stack?.stop());

  test('when an invoice is paid while the node is out of reach at deployment, then the first read finds the payment and the invoice is paid', async () => {
    const { id } = await stack.merchant();
    const { input, handle } = await startShortInvoice(stack, id);
    const created = await eventually(async () => {
      const s: InvoiceSnapshot = await handle.query(invoiceSnapshotQuery);
      return s.depositAddress ? s : undefined;
    }, 'the invoice');
    // Paid and buried under more blocks while Settle cannot reach the node: the first read's head is past it.
    await stack.sendToken(created.depositAddress!, BigInt(input.amount));
    await stack.mine(5);
    expect((await stack.pool.query("SELECT 1 FROM chain_cursors WHERE network = 'local'")).rowCount).toBe(0);

    stack.rpc!.setFaults({ dropRate: 0 });
    const paid = await eventually(
      async () => {
        const s = await handle.query(invoiceSnapshotQuery);
        return s.status === 'paid' ? s : undefined;
      },
      'the invoice to be paid',
      60_000,
    );
    expect(paid.amountReceived).toBe(input.amount);
    expect(paid.paidLate).toBe(false);
  });
});
