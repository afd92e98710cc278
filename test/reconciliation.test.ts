import { Contract, parseUnits, Wallet } from 'ethers';
import { erc20Interface } from '../activities/chain/erc20';
import { ChainProviders } from '../activities/chain/providers';
import { createMetricsRegistry, registerPaymentGauges } from '../activities/observability/metrics';
import { RECONCILIATION_MISMATCH } from '../domain/reconciliation';
import { paymentTaskQueue } from '../domain/task-queues';
import { ensureReconciliationSchedules, reconciliationScheduleId } from '../worker/ensure-reconciliation-schedules';
import { eventually, TestStack } from './harness/test-stack';

/**
 * Reconciliation against a real chain: the ledger and the merchant's addresses agree while a
 * deposit confirms and once it is credited; tokens moved out behind Settle's back (Anvil
 * impersonation of the deposit address) raise one operator event and the metric.
 */
let stack: TestStack;
let merchant: Awaited<ReturnType<TestStack['merchant']>>;
let depositAddress = '';

const units = (amount: string) => parseUnits(amount, 18);
const reconcile = (recheckAfterMs = 0) =>
  stack.client.workflow.execute('reconciliationWorkflow', {
    workflowId: `reconciliation-test-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    taskQueue: paymentTaskQueue(stack.taskQueue, false),
    args: [{ network: 'local', recheckAfterMs }],
  }) as Promise<number>;
const balances = async () =>
  (
    await stack.pool.query<{ currency: string; on_chain: string; expected: string; mismatch: boolean }>(
      'SELECT currency, on_chain::text, expected::text, mismatch FROM reconciliation_balances WHERE merchant_id = $1',
      [merchant.id],
    )
  ).rows;
/** Waits until the chain watcher has scanned the chain's head, so reads at its cursor see everything. */
const watcherAtHead = () =>
  eventually(async () => {
    const head = await stack.chain.provider.getBlockNumber();
    const c = await stack.pool.query('SELECT 1 FROM chain_cursors WHERE network = $1 AND next_block > $2', ['local', head]);
    return c.rowCount ? true : undefined;
  }, 'the watcher to reach the head');

beforeAll(async () => {
  stack = await TestStack.start({ watch: true, confirmations: 3 });
  merchant = await stack.merchant();
});
afterAll(async () => stack?.stop());

test('when a deposit is still confirming, then it counts as on chain and not yet credited: no difference', async () => {
  const r = await stack.api('POST', '/v1/invoices', merchant.key, { amount: '40.00' });
  depositAddress = r.body.data.deposit_address;
  await stack.sendToken(depositAddress, units('40'));
  await eventually(async () => {
    const d = await stack.pool.query("SELECT 1 FROM deposits WHERE status IN ('detected', 'confirming') AND merchant_id = $1", [
      merchant.id,
    ]);
    return d.rowCount ? true : undefined;
  }, 'the deposit to be seen');
  await watcherAtHead();

  expect(await reconcile()).toBe(0);
  const usdt = (await balances()).find((b) => b.currency === 'USDT')!;
  expect(usdt).toEqual({ currency: 'USDT', on_chain: units('40').toString(), expected: units('40').toString(), mismatch: false });
});

test('when the deposit is credited, then the schedule (created idempotently) runs a reconciliation that finds the ledger equal to the chain', async () => {
  await stack.mine(4);
  await eventually(async () => {
    const d = await stack.pool.query("SELECT 1 FROM deposits WHERE status = 'completed' AND merchant_id = $1", [merchant.id]);
    return d.rowCount ? true : undefined;
  }, 'the deposit to be credited');
  await watcherAtHead();

  const options = {
    namespace: stack.namespace,
    baseTaskQueue: stack.taskQueue,
    registry: stack.registry,
    networks: ['local'],
    everyMinutes: 60,
  };
  await ensureReconciliationSchedules(stack.connection, options);
  await ensureReconciliationSchedules(stack.connection, options); // a second worker starting
  const schedule = stack.client.schedule.getHandle(reconciliationScheduleId('local'));
  const described = await schedule.describe();
  expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconciliationWorkflow' });
  await schedule.trigger();
  const runId = await eventually(
    async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId,
    'a run',
  );
  expect(await stack.client.workflow.getHandle(runId).result()).toBe(0);

  for (const b of await balances()) expect(b.mismatch).toBe(false);
  expect((await balances()).find((b) => b.currency === 'USDT')!.expected).toBe(units('40').toString());
  await schedule.delete();
});

test('when tokens leave a deposit address behind Settle’s back, then one reconciliation.mismatch is raised and the metric shows it', async () => {
  // Anvil impersonation: the deposit address "signs" a transfer Settle never made.
  const provider = stack.chain.provider;
  const nativeBefore = await provider.getBalance(depositAddress);
  await provider.send('anvil_setBalance', [depositAddress, '0xde0b6b3a7640000']);
  await provider.send('anvil_impersonateAccount', [depositAddress]);
  const signer = await provider.getSigner(depositAddress);
  const token = new Contract(stack.token, erc20Interface, signer);
  await (await token.getFunction('transfer')(Wallet.createRandom().address, units('7'))).wait();
  await provider.send('anvil_stopImpersonatingAccount', [depositAddress]);
  // Only the tokens differ: the coin lent for gas is put back.
  await provider.send('anvil_setBalance', [depositAddress, `0x${nativeBefore.toString(16)}`]);
  await stack.mine(1);
  await watcherAtHead();

  expect(await reconcile(200)).toBe(1);

  const events = await stack.pool.query<{ type: string; data: Record<string, string> }>('SELECT type, data FROM operator_events');
  expect(events.rows).toHaveLength(1);
  expect(events.rows[0]).toMatchObject({
    type: RECONCILIATION_MISMATCH,
    data: { merchantId: merchant.id, network: 'local', currency: 'USDT', difference: (-units('7')).toString() },
  });
  const byCurrency = Object.fromEntries((await balances()).map((b) => [b.currency, b]));
  expect(byCurrency.USDT).toMatchObject({ on_chain: units('33').toString(), expected: units('40').toString(), mismatch: true });
  expect(byCurrency.ETH!.mismatch).toBe(false);

  const chains = new ChainProviders(stack.registry);
  const registry = createMetricsRegistry('worker');
  registerPaymentGauges(registry, { pool: stack.pool, chains, networks: ['local'] });
  const text = await registry.metrics();
  chains.destroy();
  expect(text).toMatch(/settle_reconciliation_mismatches\{[^}]*network="local"[^}]*currency="USDT"[^}]*\} 1/);
  expect(text).toMatch(/settle_reconciliation_mismatches\{[^}]*network="local"[^}]*currency="ETH"[^}]*\} 0/);
});
