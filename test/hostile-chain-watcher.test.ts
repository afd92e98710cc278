import { parseUnits } from 'ethers';
import { TestStack, eventually } from './harness/test-stack';

/**
 * The chain watcher behind a load-balanced RPC: backends that lag each other, a log index that
 * lags its node, errors. Every payment one block apart must still be detected and credited once.
 */
describe('chain watcher behind a hostile RPC', () => {
  let stack: TestStack;
  let key: string;
  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2, hostileRpc: { seed: 11 } });
    ({ key } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  /** Pays `count` invoices, one transfer per block, while the given faults are on; returns the invoice ids. */
  const payOnePerBlock = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '1' })).body.data;
      await stack.sendToken(invoice.deposit_address, parseUnits('1', 18));
      ids.push(invoice.id);
    }
    await stack.mine(3);
    return ids;
  };

  const expectAllPaidOnce = async (ids: string[]) => {
    for (const id of ids) {
      await eventually(
        async () => ((await stack.api('GET', `/v1/invoices/${id}`, key)).body.data?.status === 'paid' ? true : undefined),
        `invoice ${id} to be paid`,
        90_000,
      );
    }
    const credits = await stack.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM deposits WHERE invoice_id = ANY($1) AND status = 'completed'`,
      [ids],
    );
    expect(Number(credits.rows[0]!.n)).toBe(ids.length);
  };

  test('when eth_getLogs answers one block behind the blocks (a lagging indexer), then no payment one block apart is lost', async () => {
    stack.rpc!.setFaults({ logsLagProbability: 1, maxLag: 1 });
    const ids = await payOnePerBlock(6);
    await expectAllPaidOnce(ids);
    expect(stack.rpc!.stats().logsLagged).toBeGreaterThan(0);
    stack.rpc!.setFaults({ logsLagProbability: 0 });
  });

  test('when half the answers come from a backend up to two blocks behind, with errors and a getLogs range cap, then no payment is lost', async () => {
    // One HTTP request in five fails: the watcher follows the head in few (batched) requests, and at
    // 5 % a run of six blocks could pass without a single error, proving nothing about them.
    stack.rpc!.setFaults({ lagProbability: 0.5, maxLag: 2, logsLagProbability: 0.3, errorRate: 0.2, maxLogsRange: 3 });
    const ids = await payOnePerBlock(6);
    await expectAllPaidOnce(ids);
    const stats = stack.rpc!.stats();
    expect(stats.lagged).toBeGreaterThan(0);
    console.log(`hostile RPC: ${JSON.stringify(stats)}`);
    expect(stats.http429 + stats.http5xx + stats.limitExceeded).toBeGreaterThan(0);
    stack.rpc!.setFaults({ lagProbability: 0, logsLagProbability: 0, errorRate: 0, maxLogsRange: 0 });
  });
});
