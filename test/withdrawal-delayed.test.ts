import { Wallet } from 'ethers';
import { TestStack, eventually } from './harness/test-stack';
import { units, withdrawalFixtures } from './harness/withdrawal-fixtures';

const SLOW = 240_000;

/**
 * A withdrawal whose balance check outlasts the request's wait (here: no worker runs) must not
 * invite a retry: seed 000's client sends no Idempotency-Key, so a retry would be a second payout.
 */
describe('withdrawals accepted while the worker is down', () => {
  let stack: TestStack;
  let miner: NodeJS.Timeout;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2, workflowWaitMs: 4000 });
    miner = setInterval(() => stack.mine(1).catch(() => undefined), 250);
  });
  afterAll(async () => {
    clearInterval(miner);
    await stack?.stop();
  });

  const { runSeedWithdrawSnippet, balanceOf, transfersTo, payInvoice, waitForStatus, expectLedgerMatchesChain } =
    withdrawalFixtures(() => stack);

  test(
    "when seed 000's keyless withdraw snippet, retrying on errors, meets a stopped worker, then it gets a pending withdrawal id and exactly one transfer is sent",
    async () => {
      const m = await stack.merchant();
      await payInvoice(m.key, '100');
      const recipient = Wallet.createRandom().address;
      await stack.stopWorker();
      const stdout = await runSeedWithdrawSnippet(m.key, recipient, true);
      const lines = stdout.split('\n');
      expect(lines[0]).toBe('HTTP 202');
      const match = lines[1]?.match(/^Withdrawal (wd_[0-9a-f]+): pending$/);
      expect(match).not.toBeNull();
      const id = match![1]!;

      // Listed while nothing has run yet.
      const listed = await stack.pool.query<{ id: string; status: string }>(
        'SELECT id, status FROM withdrawals WHERE merchant_id = $1',
        [m.id],
      );
      expect(listed.rows).toEqual([{ id, status: 'pending' }]);

      await stack.startWorker();
      const done = await waitForStatus(m.key, id, 'completed');
      expect(done.amount).toBe('100.00');
      const logs = await transfersTo(recipient);
      expect(logs).toHaveLength(1);
      expect(BigInt(logs[0]!.data)).toBe(units('100'));
      expect(await balanceOf(recipient)).toBe(units('100'));
      const all = await stack.pool.query('SELECT id FROM withdrawals WHERE merchant_id = $1', [m.id]);
      expect(all.rows).toEqual([{ id }]);
      await expectLedgerMatchesChain(m.id);
    },
    SLOW,
  );

  test(
    'when a withdrawal announced as pending then fails the balance check, then it reads as rejected and nothing is reserved',
    async () => {
      const m = await stack.merchant();
      await payInvoice(m.key, '10');
      await stack.stopWorker();
      const created = await stack.api('POST', '/v1/withdraw', m.key, { amount: '25', to_address: Wallet.createRandom().address });
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({ status: 'pending', amount: '25.00' });
      await stack.startWorker();

      const rejected = await eventually(async () => {
        const r = await stack.api('GET', `/v1/withdrawals/${created.body.id}`, m.key);
        return r.body.data?.status === 'rejected' ? r.body.data : undefined;
      }, 'the withdrawal to be rejected');
      expect(rejected.failure_reason).toBe('insufficient_balance');
      const listed = await stack.api('GET', '/v1/withdrawals?status=rejected', m.key);
      expect(listed.body.data.map((w: { id: string }) => w.id)).toEqual([created.body.id]);
      const balance = await stack.api('GET', '/v1/balance', m.key);
      expect(balance.body.data).toMatchObject({ available: '10.00', reserved: '0.00' });
    },
    SLOW,
  );
});
