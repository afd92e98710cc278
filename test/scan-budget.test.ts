import { parseUnits } from 'ethers';
import { ChainProviders } from '../activities/chain/providers';
import { createScanBlocks, type ScanResult } from '../activities/chain/scan-blocks';
import { createStartDeposit } from '../activities/temporal/start-deposit';
import type { DepositInput } from '../domain/payments';
import { TestStack, eventually } from './harness/test-stack';

/**
 * A slow node must make a watcher scan shorter, not a timed-out one: each scan stops at its wall
 * time budget between blocks, heartbeats while it works, and saves a cursor that covers exactly
 * the blocks whose every deposit it started.
 */
describe('watcher scan bounded by wall time', () => {
  let stack: TestStack;
  let key: string;
  beforeAll(async () => {
    stack = await TestStack.start({ confirmations: 2, hostileRpc: { seed: 5 } });
    ({ key } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  test('when every answer is slow, then scans stop within budget at block boundaries and together detect every payment once', async () => {
    const started: DepositInput[] = [];
    const startDeposit = createStartDeposit(stack.client, stack.taskQueue);
    let heartbeats = 0;
    const scanBlocks = createScanBlocks(
      stack.pool,
      new ChainProviders(stack.registry),
      async (d) => {
        await startDeposit(d);
        started.push(d);
      },
      { budgetMs: 600, heartbeat: () => heartbeats++ },
    );
    const cursor = async () =>
      Number((await stack.pool.query("SELECT next_block FROM chain_cursors WHERE network = 'local'")).rows[0]!.next_block);

    await scanBlocks('local'); // the first scan places the cursor at the head
    const invoices: string[] = [];
    const paidIn: number[] = [];
    for (let i = 0; i < 5; i++) {
      const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '1' })).body.data;
      const hash = await stack.sendToken(invoice.deposit_address, parseUnits('1', 18));
      paidIn.push((await stack.chain.provider.getTransactionReceipt(hash))!.blockNumber);
      invoices.push(invoice.id);
      await stack.mine(12);
    }
    const head = await stack.chain.provider.getBlockNumber();

    stack.rpc!.setFaults({ latencyMs: 300 });
    const results: ScanResult[] = [];
    for (let scans = 0; (await cursor()) <= head; scans++) {
      if (scans > 60) throw new Error(`the scans did not reach block ${head}: cursor at ${await cursor()}`);
      const result = await scanBlocks('local');
      results.push(result);
      const next = await cursor();
      // The cursor covers exactly the blocks whose deposits were all started.
      expect(next).toBe(result.to + 1);
      const startedBlocks = new Set(started.map((d) => d.blockNumber));
      for (const block of paidIn) expect(startedBlocks.has(block)).toBe(block < next);
      if (result.to < result.head) expect(result.caughtUp).toBe(false);
    }
    stack.rpc!.setFaults({ latencyMs: 0 });

    const cutShort = results.filter((r) => r.to < Math.min(r.head, r.from + 199));
    expect(cutShort.length).toBeGreaterThan(0);
    expect(heartbeats).toBeGreaterThan(0);
    expect(new Set(started.map((d) => d.id)).size).toBe(invoices.length);
    for (const id of invoices) {
      await eventually(
        async () => ((await stack.api('GET', `/v1/invoices/${id}`, key)).body.data?.status === 'paid' ? true : undefined),
        `invoice ${id} to be paid`,
        90_000,
      );
    }
  });
});
