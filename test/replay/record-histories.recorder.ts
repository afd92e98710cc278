import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestStack, eventually } from '../harness/test-stack';
import { startReceiver, type Receiver } from '../harness/webhook-receiver';
import { withdrawalFixtures } from '../harness/withdrawal-fixtures';
import { FIXTURE_ROOT, RELEASE_ENV } from './fixture-files';

/**
 * Records one release's workflow histories as replay fixtures (`SETTLE_REPLAY_RELEASE=<label> npm run replay:record`):
 * every workflow type is driven through its ordinary lifecycle on a real stack, and each history is
 * saved under test/replay/histories/<label>/. Run it on the released commit, before changing
 * workflow code, so that test/replay-fixtures.test.ts checks the next release against it.
 */
const MAX_PER_TYPE = 3;

describe('recording replay fixtures', () => {
  let stack: TestStack;
  let receiver: Receiver;
  let miner: NodeJS.Timeout;

  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 3 });
    receiver = await startReceiver();
    miner = setInterval(() => void stack.mine(1).catch(() => undefined), 250);
  }, 600_000);
  afterAll(async () => {
    clearInterval(miner);
    await receiver?.close();
    await stack?.stop();
  }, 600_000);

  const { payInvoice, waitForStatus } = withdrawalFixtures(() => stack);

  test('every workflow type runs its lifecycle and its histories are saved', async () => {
    const label = process.env[RELEASE_ENV];
    if (!label) throw new Error(`set ${RELEASE_ENV} to the release label (SETTLE_REPLAY_RELEASE=<label> npm run replay:record)`);
    const { key } = await stack.merchant();

    expect((await stack.api('POST', '/v1/webhook-endpoints', key, { url: `${receiver.url}/hooks` })).status).toBe(201);
    expect((await stack.api('POST', '/v1/customers', key, { email: 'replay@example.com' })).status).toBe(201);

    const invoice = await payInvoice(key, '40');
    const simulated = (await stack.api('POST', '/v1/invoices', key, { amount: '5' })).body.data;
    expect((await stack.api('POST', '/v1/simulate/deposit', key, { invoice_id: simulated.id })).status).toBe(202);
    const expiring = (await stack.api('POST', '/v1/invoices', key, { amount: '3', expires_in: 60 })).body.data;

    const recipient = '0x00000000000000000000000000000000000a11ce';
    const withdrawal = await stack.api('POST', '/v1/withdraw', key, { amount: '12', to_address: recipient });
    expect(withdrawal.status).toBeLessThan(300);
    await waitForStatus(key, withdrawal.body.id ?? withdrawal.body.data?.id, 'completed');
    const payout = await stack.api('POST', '/v1/payouts', key, {
      items: [
        { amount: '2', to_address: recipient },
        { amount: '3', to_address: recipient, reference: 'replay' },
      ],
    });
    expect(payout.status).toBe(201);
    const overpaid = (await stack.api('POST', '/v1/invoices', key, { amount: '4' })).body.data;
    await stack.sendToken(overpaid.deposit_address, 6n * 10n ** 18n);
    await eventually(
      async () =>
        (await stack.api('GET', `/v1/invoices/${overpaid.id}`, key)).body.data?.status === 'overpaid' ? true : undefined,
      'the invoice to be overpaid',
      240_000,
    );
    const refund = await eventually(async () => {
      const r = await stack.api('POST', `/v1/invoices/${overpaid.id}/refunds`, key, { amount: '2', to_address: recipient });
      return r.status === 201 ? r.body.data : undefined;
    }, 'the refund to be accepted (once the deposit is credited)');
    for (const path of [`/v1/payouts/${payout.body.data.id}`, `/v1/refunds/${refund.id}`]) {
      await eventually(
        async () => ((await stack.api('GET', path, key)).body.data?.status === 'completed' ? true : undefined),
        `${path} to complete`,
        240_000,
      );
    }
    for (const id of [simulated.id, expiring.id]) {
      await eventually(
        async () => {
          const r = await stack.api('GET', `/v1/invoices/${id}`, key);
          return ['paid', 'expired'].includes(r.body.data?.status) ? true : undefined;
        },
        `invoice ${id} to finish`,
        240_000,
      );
    }
    await eventually(async () => (receiver.requests.length >= 5 ? true : undefined), 'webhooks to be delivered');
    await stack.client.workflow.execute('reconciliationWorkflow', {
      workflowId: 'reconciliation-local-replay',
      taskQueue: `${stack.taskQueue}-test`,
      args: [{ network: 'local', recheckAfterMs: 1000 }],
    });
    expect(invoice.id).toBeTruthy();

    const dir = path.join(FIXTURE_ROOT, label);
    mkdirSync(dir, { recursive: true });
    const perType = new Map<string, number>();
    for await (const execution of stack.client.workflow.list()) {
      const n = perType.get(execution.type) ?? 0;
      if (n >= MAX_PER_TYPE) continue;
      perType.set(execution.type, n + 1);
      const history = await stack.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      // Binary protobuf, exactly as the server sent it (the SDK's JSON helpers trip over a second protobufjs here).
      const file = path.join(dir, `${execution.type}-${n + 1}--${encodeURIComponent(execution.workflowId)}.pb`);
      writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
    }
    console.log(`recorded ${[...perType].map(([t, n]) => `${t}×${n}`).join(', ')} in ${dir}`);
  }, 600_000);
});
