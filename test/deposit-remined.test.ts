import { Contract, parseUnits, Wallet } from 'ethers';
import { erc20Interface } from '../activities/chain/erc20';
import { LOCAL_FAUCET_KEY } from '../scripts/dev-stack/local-chain';
import { TestStack, eventually } from './harness/test-stack';

const CONFIRMATIONS = 2;

describe('a transfer reorged out and mined again', () => {
  let stack: TestStack;
  let key: string;
  let merchantId: string;
  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: CONFIRMATIONS });
    ({ key, id: merchantId } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  const depositStatus = async (invoiceId: string) =>
    (await stack.pool.query<{ status: string }>('SELECT status FROM deposits WHERE invoice_id = $1', [invoiceId])).rows[0]
      ?.status;

  test('when its deposit failed and the same transfer is mined again, then lists, balances and the invoice show it completed, credited once', async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '3' })).body.data;
    const faucet = new Wallet(LOCAL_FAUCET_KEY, stack.chain.provider);
    const usdt = new Contract(stack.token, erc20Interface, faucet);
    await (await usdt.getFunction('mint')(faucet.address, parseUnits('3', 18))).wait();
    // Signed once and kept, so the very same transaction (same hash, same log index) can be mined again.
    const signed = await faucet.signTransaction(
      await faucet.populateTransaction({
        to: stack.token,
        data: erc20Interface.encodeFunctionData('transfer', [invoice.deposit_address, parseUnits('3', 18)]),
      }),
    );
    const first = await (await stack.chain.provider.broadcastTransaction(signed)).wait();
    // Confirming: its first lifecycle has written as many versions as the second will.
    await eventually(
      async () => ((await depositStatus(invoice.id)) === 'confirming' ? true : undefined),
      'the deposit to confirm',
    );

    // Replace its block, then bury the replacement: the chain now proves the transfer gone.
    const head = await stack.chain.provider.getBlockNumber();
    await stack.chain.provider.send('anvil_reorg', [head - first!.blockNumber + 1, []]);
    await stack.mine(CONFIRMATIONS + 1);
    await eventually(async () => ((await depositStatus(invoice.id)) === 'failed' ? true : undefined), 'the deposit to fail');
    // Its run has ended: the transfer mined again must start a new lifecycle of the same deposit id.
    const depositId = (await stack.pool.query<{ id: string }>('SELECT id FROM deposits WHERE invoice_id = $1', [invoice.id]))
      .rows[0]!.id;
    await eventually(
      async () => ((await stack.client.workflow.getHandle(depositId).describe()).status.name === 'FAILED' ? true : undefined),
      'the failed run to end',
    );

    const again = await (await stack.chain.provider.broadcastTransaction(signed)).wait();
    expect(again!.hash).toBe(first!.hash);
    await stack.mine(CONFIRMATIONS + 1);
    await eventually(
      async () => ((await stack.api('GET', `/v1/invoices/${invoice.id}`, key)).body.data?.status === 'paid' ? true : undefined),
      'the invoice to be paid',
    );
    await eventually(
      async () => ((await depositStatus(invoice.id)) === 'completed' ? true : undefined),
      'the deposit row to complete',
    );

    const listed = await stack.api('GET', `/api/v1/deposits?invoice_id=${invoice.id}`, key);
    expect(listed.body.data.map((d: { status: string }) => d.status)).toEqual(['completed']);
    const credits = await stack.pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM ledger_entries WHERE merchant_id = $1 AND account = 'merchant:available'",
      [merchantId],
    );
    expect(Number(credits.rows[0]!.n)).toBe(1);
    // One event per lifecycle transition: the failed lifecycle's and the new one's.
    const events = await eventually(async () => {
      const rows = await stack.pool.query<{ type: string }>(
        "SELECT type FROM events WHERE object_id = (SELECT id FROM deposits WHERE invoice_id = $1) AND type IN ('deposit.failed', 'deposit.completed') ORDER BY created_at",
        [invoice.id],
      );
      return rows.rows.length >= 2 ? rows.rows.map((r) => r.type) : undefined;
    }, 'the deposit events');
    expect(events).toEqual(['deposit.failed', 'deposit.completed']);
  });
});
