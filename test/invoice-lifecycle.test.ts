import { readFileSync } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { depositUpdatedSignal, invoiceSnapshotQuery } from '../domain/messages';
import { type DepositUpdate, workflowIds } from '../domain/payments';
import { startTimeSkippingServer } from './harness/dev-server';
import { TestStack, eventually } from './harness/test-stack';

/**
 * Invoice timing on the time-skipping server: an hour of expiry passes in milliseconds. Deposits
 * are delivered as the deposit workflow delivers them (the depositUpdated signal); the chain side
 * of that contract is covered by payment-lifecycle.test.ts.
 */
describe('invoice lifecycle (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let stack: TestStack;
  let key: string;

  beforeAll(async () => {
    env = await startTimeSkippingServer();
    stack = await TestStack.start({ timeSkipping: env });
    ({ key } = await stack.merchant({ underpaymentToleranceBps: 100 }));
  });
  afterAll(async () => {
    await stack?.stop();
    await env?.teardown();
  });

  const units = (whole: number) => (BigInt(whole) * 10n ** 18n).toString();
  let depositCounter = 0;
  const deposit = (status: DepositUpdate['status'], amount: string, detectedAt: number): DepositUpdate => ({
    depositId: `deposit-local-0x${(++depositCounter).toString(16).padStart(64, '0')}-0`,
    currency: 'USDT',
    status,
    amount,
    txHash: `0x${depositCounter.toString(16).padStart(64, '0')}`,
    detectedAt: new Date(detectedAt).toISOString(),
  });

  async function newInvoice(amount: string, expiresIn = 3600) {
    const res = await stack.api('POST', '/v1/invoices', key, { amount, expires_in: expiresIn });
    expect(res.status).toBe(201);
    return { id: res.body.data.id as string, handle: stack.client.workflow.getHandle(workflowIds.invoice(res.body.data.id)) };
  }
  const snapshot = (handle: ReturnType<typeof stack.client.workflow.getHandle>) => handle.query(invoiceSnapshotQuery);
  const statusBecomes = (handle: ReturnType<typeof stack.client.workflow.getHandle>, status: string) =>
    eventually(async () => {
      const s = await snapshot(handle);
      return s.status === status ? s : undefined;
    }, `invoice status ${status}`);

  test('when nobody pays before expiry, then the invoice expires', async () => {
    const { handle } = await newInvoice('25.00');
    await env.sleep('61 minutes');
    const s = await statusBecomes(handle, 'expired');
    expect(s.amountReceived).toBe('0');
  });

  test('when a partial payment is followed by the rest, then the invoice is paid with both deposits', async () => {
    const { handle } = await newInvoice('100');
    const now = await env.currentTimeMs();
    const first = deposit('completed', units(40), now);
    await handle.signal(depositUpdatedSignal, first);
    const partial = await eventually(async () => {
      const s = await snapshot(handle);
      return s.amountReceived === units(40) ? s : undefined;
    }, 'the partial payment to count');
    expect(partial.status).toBe('pending');
    await handle.signal(depositUpdatedSignal, deposit('completed', units(60), now + 1000));
    const paid = await statusBecomes(handle, 'paid');
    expect(paid.amountReceived).toBe(units(100));
    expect(paid.deposits).toHaveLength(2);
    expect(paid.paidLate).toBe(false);
  });

  test('when more than the amount arrives, then the invoice is overpaid', async () => {
    const { handle } = await newInvoice('10');
    await handle.signal(depositUpdatedSignal, deposit('completed', units(15), await env.currentTimeMs()));
    const s = await statusBecomes(handle, 'overpaid');
    expect(s.amountReceived).toBe(units(15));
  });

  test('when the payment falls short only within the merchant tolerance, then the invoice is paid', async () => {
    const { handle } = await newInvoice('100');
    // 99.5 of 100 is 0.5 % short; the merchant tolerates 1 %.
    await handle.signal(
      depositUpdatedSignal,
      deposit('completed', (BigInt(units(995)) / 10n).toString(), await env.currentTimeMs()),
    );
    await statusBecomes(handle, 'paid');
  });

  test('when only part arrives before expiry, then the invoice is underpaid, and paid late once the rest arrives', async () => {
    const { handle } = await newInvoice('50');
    await handle.signal(depositUpdatedSignal, deposit('completed', units(20), await env.currentTimeMs()));
    await env.sleep('61 minutes');
    const underpaid = await statusBecomes(handle, 'underpaid');
    expect(underpaid.amountReceived).toBe(units(20));

    await handle.signal(depositUpdatedSignal, deposit('completed', units(30), await env.currentTimeMs()));
    const paid = await statusBecomes(handle, 'paid');
    expect(paid.paidLate).toBe(true);
    expect(paid.amountReceived).toBe(units(50));
  });

  test('when a deposit detected before expiry confirms after it, then the payment is on time', async () => {
    const { handle } = await newInvoice('5');
    const detectedAt = await env.currentTimeMs();
    const inFlight = deposit('confirming', units(5), detectedAt);
    await handle.signal(depositUpdatedSignal, inFlight);
    await env.sleep('2 hours');
    expect((await snapshot(handle)).status).toBe('pending');
    await handle.signal(depositUpdatedSignal, { ...inFlight, status: 'completed' });
    const paid = await statusBecomes(handle, 'paid');
    expect(paid.paidLate).toBe(false);
  });

  test('when the monitoring window closes, then the workflow completes with its final state', async () => {
    const { id } = await newInvoice('1', 60);
    // The environment's own client lets time skip while it awaits the result.
    const final = await env.client.workflow.getHandle(workflowIds.invoice(id)).result();
    expect(final.status).toBe('expired');
  });

  test('when the task that fires the expiry timer reads a clock from before expiry, then the invoice still expires', async () => {
    const { handle } = await newInvoice('3', 60);
    await env.sleep('2 minutes');
    await statusBecomes(handle, 'expired');
    const history = await handle.fetchHistory();
    const events = history.events!;
    // A worker that had just restarted once ran the expiry task with the previous task's timestamp
    // (soak, 1 invoice of 1,617). Give the history that clock and replay it: the code must make
    // the decisions the real run made, expiring, not arming the expiry timer again.
    const fired = events.findIndex((e) => e.timerFiredEventAttributes);
    const started = (from: number, step: number) => {
      for (let i = from; i >= 0 && i < events.length; i += step) {
        if (events[i]!.workflowTaskStartedEventAttributes) return events[i]!;
      }
      throw new Error('no workflow task around the expiry timer');
    };
    const expiryTask = started(fired, 1);
    const taskBefore = started(fired, -1);
    expect(Number(expiryTask.eventTime!.seconds)).toBeGreaterThan(Number(taskBefore.eventTime!.seconds));
    expiryTask.eventTime = taskBefore.eventTime;

    const bundle = { code: readFileSync(process.env.SETTLE_TEST_WORKFLOW_BUNDLE!, 'utf8') };
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, handle.workflowId)).resolves.toBeUndefined();
  });
});
