import { defaultPayloadConverter } from '@temporalio/common';
import { Wallet } from 'ethers';
import { TestStack, eventually } from './harness/test-stack';
import { withdrawalFixtures } from './harness/withdrawal-fixtures';

const SLOW = 300_000;

/**
 * Reorgs shallower than the confirmations are expected: the transactions a withdrawal builds on
 * (a gas top-up, a sweep) must survive one that drops them after the workflow saw them mined.
 * Found by the soak: a top-up one block deep was reorged out, its sweep could never pay its gas,
 * and every later transaction of the hot address queued behind the missing nonce.
 */
describe('withdrawals across a reorg', () => {
  let stack: TestStack;
  let miner: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 3 });
  });
  afterAll(async () => {
    clearInterval(miner);
    await stack?.chain.provider.send('evm_setAutomine', [true]).catch(() => undefined);
    await stack?.stop();
  });

  const { payInvoice, waitForStatus, transfersTo, expectLedgerMatchesChain } = withdrawalFixtures(() => stack);
  const provider = () => stack.chain.provider;

  /**
   * Whether the withdrawal has seen `hash` mined (a completed checkTransaction reporting it), read from
   * the histories of the withdrawal and of its sweeps child, where sweeps and their top-ups now run.
   */
  const workflowSawMined = async (withdrawalId: string, hash: string) => {
    for (const workflowId of [`withdrawal-${withdrawalId}`, `withdrawal-${withdrawalId}-sweeps`]) {
      const history = await stack.client.workflow
        .getHandle(workflowId)
        .fetchHistory()
        .catch(() => undefined);
      const seen = (history?.events ?? []).some((e) => {
        const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
        if (!payload) return false;
        const result = defaultPayloadConverter.fromPayload<{ mined?: boolean; hash?: string } | undefined>(payload);
        return result?.mined === true && result.hash === hash;
      });
      if (seen) return true;
    }
    return false;
  };

  test(
    'when the gas top-up of a sweep is reorged out after the workflow saw it mined, then it is sent again and the withdrawal completes once',
    async () => {
      const m = await stack.merchant();
      miner = setInterval(() => stack.mine(1).catch(() => undefined), 250);
      await payInvoice(m.key, '30');
      const recipient = Wallet.createRandom().address;

      // From here blocks come only when the test says, so the reorg hits a known moment.
      clearInterval(miner);
      await provider().send('evm_setAutomine', [false]);
      const created = await stack.api('POST', '/v1/withdrawals', m.key, { amount: '30', to_address: recipient });
      expect(created.status).toBe(201);
      const id = created.body.data.id as string;

      // Mine (the hot address's gas funding needs blocks) until the top-up is signed and sent.
      const topUp = await eventually(async () => {
        const row = await stack.pool.query<{ tx_hash: string }>('SELECT tx_hash FROM signed_transactions WHERE purpose LIKE $1', [
          `sweep:${id}-%:gas`,
        ]);
        const hash = row.rows[0]?.tx_hash;
        if (hash && (await provider().getTransaction(hash))) return hash;
        await stack.mine(1);
        return undefined;
      }, 'the gas top-up to reach the node');
      if (!(await provider().getTransactionReceipt(topUp))) await stack.mine(1);
      const block = (await provider().getTransactionReceipt(topUp))!.blockNumber;
      expect(await provider().getBlockNumber()).toBe(block);

      await eventually(
        async () => ((await workflowSawMined(id, topUp)) ? true : undefined),
        'the workflow to see the top-up mined',
        120_000,
      );
      // One block deep, well inside the confirmations: the top-up's block is replaced by an empty one.
      await provider().send('anvil_reorg', [1, []]);
      expect(await provider().getTransactionReceipt(topUp)).toBeNull();

      miner = setInterval(() => stack.mine(1).catch(() => undefined), 250);
      const done = await waitForStatus(m.key, id, 'completed');
      expect(done.amount).toBe('30.00');
      expect(await transfersTo(recipient)).toHaveLength(1);
      await expectLedgerMatchesChain(m.id);
    },
    SLOW,
  );
});
