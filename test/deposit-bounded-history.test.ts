import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseUnits } from 'ethers';
import type { DepositInput, DepositSnapshot } from '../domain/payments';
import { workflowIds } from '../domain/payments';
import { paymentTaskQueue } from '../domain/task-queues';
import { startTimeSkippingServer } from './harness/dev-server';
import { TestStack, eventually } from './harness/test-stack';

/** A deposit whose node stops advancing, on the time-skipping server: days of waiting pass in seconds. */
describe('deposit history stays bounded', () => {
  let env: TestWorkflowEnvironment;
  let stack: TestStack;
  let key: string;
  let merchantId: string;

  beforeAll(async () => {
    env = await startTimeSkippingServer();
    stack = await TestStack.start({ timeSkipping: env, confirmations: 3 });
    ({ key, id: merchantId } = await stack.merchant());
  });
  afterAll(async () => {
    await stack?.stop();
    await env?.teardown();
  });

  test('when the node stops advancing below the required confirmations, then the deposit continues as new and still completes once it moves', async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '2', expires_in: 7 * 86_400 })).body.data;
    const txHash = await stack.sendToken(invoice.deposit_address, parseUnits('2', 18));
    const receipt = (await stack.chain.provider.getTransactionReceipt(txHash))!;
    const input: DepositInput = {
      id: workflowIds.deposit('local', txHash, receipt.logs[0]!.index),
      network: 'local',
      txHash: txHash.toLowerCase(),
      logIndex: receipt.logs[0]!.index,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      from: receipt.from.toLowerCase(),
      to: invoice.deposit_address.toLowerCase(),
      currency: 'USDT',
      contract: stack.token,
      decimals: 18,
      amount: parseUnits('2', 18).toString(),
      merchantId,
      livemode: false,
      ownerType: 'invoice',
      ownerId: invoice.id,
      requiredConfirmations: 3,
      blockTimeMs: 200,
      detectedAt: new Date(await env.currentTimeMs()).toISOString(),
    };
    const handle = await stack.client.workflow.start('depositWorkflow', {
      workflowId: input.id,
      taskQueue: paymentTaskQueue(stack.taskQueue, false),
      args: [input],
    });

    // The head stays one block past the transfer: the deposit keeps checking, run after run.
    const continued = await eventually(
      async () => {
        await env.sleep('30 seconds');
        const d = await handle.describe();
        return d.runId !== handle.firstExecutionRunId ? d : undefined;
      },
      'the deposit to continue as new',
      100_000,
    );
    expect(continued.historyLength).toBeLessThan(1_000);
    expect(continued.status.name).toBe('RUNNING');

    await stack.mine(3);
    const done: DepositSnapshot = await handle.result();
    expect(done).toMatchObject({ status: 'completed', confirmations: 4 });
    const row = await stack.pool.query<{ status: string; version: number }>(
      'SELECT status, version FROM deposits WHERE id = $1',
      [input.id],
    );
    expect(row.rows[0]).toEqual({ status: 'completed', version: done.version });
    const credits = await stack.pool.query("SELECT 1 FROM ledger_entries WHERE ref_id = $1 AND account = 'merchant:available'", [
      input.id,
    ]);
    expect(credits.rowCount).toBe(1);
  });
});
