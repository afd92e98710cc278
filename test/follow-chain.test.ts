import { parseUnits } from 'ethers';
import { createFollowChain } from '../activities/chain/follow-chain';
import { ChainProviders } from '../activities/chain/providers';
import { createScanBlocks } from '../activities/chain/scan-blocks';
import { createWakeDepositsAtDepth } from '../activities/chain/wake-deposits-at-depth';
import type { DepositInput } from '../domain/payments';
import { chainWatcherTaskQueue, paymentTaskQueue } from '../domain/task-queues';
import { ensureChainWatchers } from '../worker/start-chain-watchers';
import { TestStack, eventually } from './harness/test-stack';

describe('chain watcher following the head', () => {
  let stack: TestStack;
  let key: string;
  let chains: ChainProviders;
  beforeAll(async () => {
    stack = await TestStack.start({ confirmations: 2 });
    ({ key } = await stack.merchant());
    chains = new ChainProviders(stack.registry);
  });
  afterAll(async () => {
    chains?.destroy();
    await stack?.stop();
  });

  const cursor = async () =>
    Number(
      (await stack.pool.query<{ next_block: string }>("SELECT next_block FROM chain_cursors WHERE network = 'local'")).rows[0]!
        .next_block,
    );

  test('when a block with a payment arrives while the watcher waits, then the same call scans it at once and returns only when its budget is spent', async () => {
    const started: DepositInput[] = [];
    const scanBlocks = createScanBlocks(stack.pool, chains, async (d) => void started.push(d));
    await scanBlocks('local'); // places the cursor at the head
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '2' })).body.data;
    const wake = createWakeDepositsAtDepth(stack.pool, stack.client);
    const followChain = createFollowChain(chains, scanBlocks, wake, { budgetMs: 8_000 });

    let returned = false;
    const call = followChain('local').finally(() => (returned = true));
    const txHash = await stack.sendToken(invoice.deposit_address, parseUnits('2', 18));
    await eventually(
      async () => (started.some((d) => d.txHash === txHash.toLowerCase()) ? true : undefined),
      'the payment to be started',
    );
    // Found by the call that was waiting, not by a later pass of the workflow.
    expect(returned).toBe(false);
    const result = await call;
    const paidIn = (await stack.chain.provider.getTransactionReceipt(txHash))!.blockNumber;
    expect(result.caughtUp).toBe(true);
    expect(result.to).toBeGreaterThanOrEqual(paidIn);
    expect(await cursor()).toBe(result.to + 1);
    expect(started.filter((d) => d.txHash === txHash.toLowerCase())).toHaveLength(1);
  });

  test('when two scans of a network overlap, then the one that read an older cursor fails without moving it and its retry starts from the newer one', async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '1' })).body.data;
    const plain = createScanBlocks(stack.pool, chains, async () => undefined);
    while (!(await plain('local')).caughtUp);
    await stack.sendToken(invoice.deposit_address, parseUnits('1', 18));

    // The first scan stops at the payment's deposit start until the second scan has saved.
    let releaseStale!: () => void;
    const staleHeld = new Promise<void>((resolve) => (releaseStale = resolve));
    let staleReachedStart!: () => void;
    const staleAtStart = new Promise<void>((resolve) => (staleReachedStart = resolve));
    const stale = createScanBlocks(stack.pool, chains, async () => {
      staleReachedStart();
      await staleHeld;
    });
    const staleScan = stale('local');
    await staleAtStart;
    const fresh = await plain('local');
    expect(fresh.caughtUp).toBe(true);
    await stack.mine(2);
    const freshAgain = await plain('local');
    const afterFresh = await cursor();
    expect(afterFresh).toBe(freshAgain.to + 1);

    releaseStale();
    await expect(staleScan).rejects.toThrow(/cursor moved while this scan ran/);
    expect(await cursor()).toBe(afterFresh);
  });
});

describe('chain watchers on their own task queue', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await TestStack.start();
  });
  afterAll(async () => stack?.stop());

  test('when a watcher an earlier version started runs on the payments queue, then the worker start moves it to the watchers queue and it scans there', async () => {
    const old = await stack.client.workflow.start('chainWatcherWorkflow', {
      workflowId: 'chain-watcher-local',
      taskQueue: paymentTaskQueue(stack.taskQueue, false),
      args: [{ network: 'local', pollIntervalMs: 1000 }],
    });
    await ensureChainWatchers(stack.connection, stack.namespace, stack.taskQueue, stack.registry, ['local']);
    const current = await stack.client.workflow.getHandle('chain-watcher-local').describe();
    expect(current.taskQueue).toBe(chainWatcherTaskQueue(stack.taskQueue));
    expect(current.status.name).toBe('RUNNING');
    expect((await stack.client.workflow.getHandle('chain-watcher-local', old.firstExecutionRunId).describe()).status.name).toBe(
      'TERMINATED',
    );
    // A second start (another worker process, a restart) keeps the one running.
    await ensureChainWatchers(stack.connection, stack.namespace, stack.taskQueue, stack.registry, ['local']);
    expect((await stack.client.workflow.getHandle('chain-watcher-local').describe()).runId).toBe(current.runId);
    const moved = stack.client.workflow.getHandle('chain-watcher-local', current.runId);
    await eventually(
      async () => ((await moved.fetchHistory()).events?.some((e) => e.activityTaskCompletedEventAttributes) ? true : undefined),
      'the moved watcher to complete a scan',
    );
  });
});

describe('deposits woken by the chain watcher', () => {
  // Blocks every 2 minutes by the registry's account, mined on demand here: a deposit waiting for
  // its timer would need 4 minutes to see 3 confirmations.
  const BLOCK_TIME_MS = 120_000;
  let stack: TestStack;
  let key: string;
  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 3, blockTimeMs: BLOCK_TIME_MS });
    ({ key } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  test("when the head reaches a deposit's required depth, then the watcher wakes it and it completes without waiting for its timer", async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '5' })).body.data;
    const txHash = await stack.sendToken(invoice.deposit_address, parseUnits('5', 18));
    const deposit = await eventually(async () => {
      const list = (await stack.api('GET', `/api/v1/deposits?invoice_id=${invoice.id}`, key)).body.data as Array<{
        id: string;
        transaction_hash: string;
        status: string;
      }>;
      return list.find((d) => d.transaction_hash === txHash.toLowerCase());
    }, 'the deposit to be recorded');
    expect(['detected', 'confirming']).toContain(deposit.status);
    await stack.mine(2);
    await eventually(
      async () => ((await stack.api('GET', `/v1/invoices/${invoice.id}`, key)).body.data?.status === 'paid' ? true : undefined),
      'the invoice to be paid',
      // Well before the deposit's first timer (2 blocks × 2 minutes after detection) could fire.
      BLOCK_TIME_MS / 2,
    );
  });
});
