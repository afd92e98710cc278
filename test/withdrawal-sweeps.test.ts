import { Wallet } from 'ethers';
import { TestStack } from './harness/test-stack';
import { units, withdrawalFixtures } from './harness/withdrawal-fixtures';

const SLOW = 300_000;
/** Sweeps the size test needs; SETTLE_SWEEP_COUNT=1000 reruns it at the scale (about a second per sweep). */
const SWEEP_COUNT = Number(process.env.SETTLE_SWEEP_COUNT ?? 60);

/**
 * Sweeps under contention and at size, on Anvil, the Temporal dev server and PostgreSQL: every
 * deposit address has one owner at a time, and each withdrawal is exactly one outgoing transfer.
 */
describe('withdrawal sweeps', () => {
  let stack: TestStack;
  let miner: NodeJS.Timeout;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2 });
    miner = setInterval(() => stack.mine(1).catch(() => undefined), 250);
  });
  afterAll(async () => {
    clearInterval(miner);
    await stack?.stop();
  });

  const { transfersTo, balanceOf, payInvoice, waitForStatus, expectLedgerMatchesChain, fundDepositAddresses } =
    withdrawalFixtures(() => stack);

  /** Events in each run of a workflow id (every run continue-as-new started, newest first). */
  const historyPerRun = async (workflowId: string) => {
    const lengths: number[] = [];
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      const history = await stack.client.workflow.getHandle(workflowId, run.runId).fetchHistory();
      lengths.push(history.events?.length ?? 0);
    }
    return lengths;
  };

  test(
    'when one merchant sends many withdrawals at once, then no deposit address is swept twice and each withdrawal is exactly one transfer',
    async () => {
      const m = await stack.merchant({ feePolicy: { type: 'none' } });
      const invoices = [];
      for (const amount of ['30', '30', '30', '30']) invoices.push(await payInvoice(m.key, amount));
      const recipients = Array.from({ length: 6 }, () => Wallet.createRandom().address);

      const created = await Promise.all(
        recipients.map((to, i) =>
          stack.api('POST', '/v1/withdraw', m.key, { amount: '15', to_address: to }, { 'Idempotency-Key': `many-${i}` }),
        ),
      );
      expect(created.map((r) => r.status)).toEqual(recipients.map(() => 201));
      for (const r of created) await waitForStatus(m.key, r.body.id, 'completed');

      for (const to of recipients) {
        const logs = await transfersTo(to);
        expect(logs).toHaveLength(1);
        expect(await balanceOf(to)).toBe(units('15'));
      }
      const sweeps = await stack.pool.query<{ from_address: string; n: number }>(
        `SELECT from_address, count(*)::int AS n FROM sweeps s JOIN withdrawal_plans p ON p.withdrawal_id = s.withdrawal_id
         WHERE p.merchant_id = $1 AND NOT s.abandoned GROUP BY from_address`,
        [m.id],
      );
      expect(sweeps.rows.length).toBeGreaterThan(0);
      expect(sweeps.rows.filter((s) => s.n > 1)).toEqual([]);
      const depositAddresses = invoices.map((i) => i.deposit_address.toLowerCase());
      expect(sweeps.rows.every((s) => depositAddresses.includes(s.from_address))).toBe(true);
      const leases = await stack.pool.query('SELECT 1 FROM address_leases WHERE withdrawal_id = ANY($1)', [
        created.map((r) => r.body.id),
      ]);
      expect(leases.rowCount).toBe(0);
      await expectLedgerMatchesChain(m.id);
    },
    SLOW,
  );

  test(
    'when a withdrawal needs more sweeps than one run holds, then a child workflow sweeps them across runs and exactly one transfer of the amount is sent',
    async () => {
      const m = await stack.merchant({ feePolicy: { type: 'none' } });
      const addresses = await fundDepositAddresses(m.id, SWEEP_COUNT, units('1'));
      const recipient = Wallet.createRandom().address;
      const amount = `${SWEEP_COUNT - 1}.5`;

      const created = await stack.api('POST', '/v1/withdraw', m.key, { amount, to_address: recipient });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      await waitForStatus(m.key, id, 'completed', 180_000 + SWEEP_COUNT * 2_000);

      const logs = await transfersTo(recipient);
      expect(logs).toHaveLength(1);
      expect(BigInt(logs[0]!.data)).toBe(units(amount));
      const sweeps = await stack.pool.query<{ from_address: string; mined: boolean; reverted: boolean }>(
        'SELECT from_address, mined, reverted FROM sweeps WHERE withdrawal_id = $1',
        [id],
      );
      expect(sweeps.rows.map((s) => s.from_address).sort()).toEqual([...addresses].sort());
      expect(sweeps.rows.every((s) => s.mined && !s.reverted)).toBe(true);
      for (const address of addresses) expect(await balanceOf(address)).toBe(0n);

      // The sweeps ran in a child that continued as new; no run's history comes near Temporal's limits.
      const parent = await historyPerRun(`withdrawal-${id}`);
      const child = await historyPerRun(`withdrawal-${id}-sweeps`);
      console.log(
        `sweeps: ${SWEEP_COUNT} swept; events per run: withdrawal ${parent.join(',')}, sweeps child ${child.join(',')}`,
      );
      expect(parent).toHaveLength(1);
      expect(child.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...parent, ...child)).toBeLessThan(10_000);
      await expectLedgerMatchesChain(m.id);
    },
    SLOW + SWEEP_COUNT * 3_000,
  );
});
