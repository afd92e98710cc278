import { createServer, type Server } from 'node:http';
import { Network, Wallet } from 'ethers';
import { RetryingJsonRpcProvider } from '../activities/chain/retrying-provider';
import { LOCAL_FAUCET_KEY, startAnvil, type LocalChain } from '../scripts/dev-stack/local-chain';
import { freePort } from '../scripts/dev-stack/processes';

type Failure = 'reset' | 'http429' | 'limit' | 'range';

/**
 * In front of Anvil: fails the next requests of a method in the given ways (a reset connection, a
 * 429, a JSON-RPC "limit exceeded", a refused range), then forwards them. Counts what reached it.
 */
async function startFlakyFront(upstream: string) {
  const plan = new Map<string, Failure[]>();
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', async () => {
      const body = JSON.parse(raw) as { method: string; id: number } | Array<{ method: string; id: number }>;
      const calls = Array.isArray(body) ? body : [body];
      for (const c of calls) seen.set(c.method, (seen.get(c.method) ?? 0) + 1);
      const failure = plan.get(calls[0]!.method)?.shift();
      if (failure === 'reset') return req.socket.destroy();
      if (failure === 'http429') return void res.writeHead(429).end('Too Many Requests');
      if (failure) {
        const error =
          failure === 'limit'
            ? { code: -32005, message: 'limit exceeded' }
            : { code: -32005, message: 'query exceeds max block range 50' };
        const answer = calls.map((c) => ({ jsonrpc: '2.0', id: c.id, error }));
        return void res.end(JSON.stringify(Array.isArray(body) ? answer : answer[0]));
      }
      const forwarded = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
      res.writeHead(forwarded.status, { 'content-type': 'application/json' }).end(await forwarded.text());
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    failNext: (method: string, ...failures: Failure[]) => plan.set(method, failures),
    seen: (method: string) => seen.get(method) ?? 0,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('chain reads through a flaky endpoint', () => {
  let chain: LocalChain;
  let front: Awaited<ReturnType<typeof startFlakyFront>>;
  let provider: RetryingJsonRpcProvider;
  beforeAll(async () => {
    chain = await startAnvil({ port: await freePort() });
    front = await startFlakyFront(chain.rpcUrl);
    // One request per HTTP call, so each failure planned for a method meets that method.
    provider = new RetryingJsonRpcProvider(front.url, Network.from(31337), {
      staticNetwork: true,
      cacheTimeout: -1,
      batchMaxCount: 1,
    });
  });
  afterAll(async () => {
    provider?.destroy();
    await front?.close();
    await chain?.stop();
  });

  test('when a read meets a reset connection, a 429 and "limit exceeded" in a row, then it is asked again and answers', async () => {
    const before = front.seen('eth_blockNumber');
    front.failNext('eth_blockNumber', 'reset', 'http429', 'limit');
    expect(await provider.getBlockNumber()).toBe(await chain.provider.getBlockNumber());
    expect(front.seen('eth_blockNumber') - before).toBe(4);
  });

  test("when a read keeps failing, then it gives up after four attempts with the node's error", async () => {
    const before = front.seen('eth_getBlockByNumber');
    front.failNext('eth_getBlockByNumber', 'limit', 'limit', 'limit', 'limit', 'limit');
    await expect(provider.getBlock(0)).rejects.toThrow(/limit exceeded/);
    expect(front.seen('eth_getBlockByNumber') - before).toBe(4);
  });

  test('when a node refuses a log range for its size, then it is not asked again (the caller splits the range)', async () => {
    const before = front.seen('eth_getLogs');
    front.failNext('eth_getLogs', 'range');
    await expect(provider.getLogs({ fromBlock: 0, toBlock: 1 })).rejects.toThrow(/max block range/);
    expect(front.seen('eth_getLogs') - before).toBe(1);
  });

  test('when sending a transaction fails, then it is not sent again from the provider', async () => {
    const before = front.seen('eth_sendRawTransaction');
    front.failNext('eth_sendRawTransaction', 'limit');
    const faucet = new Wallet(LOCAL_FAUCET_KEY, chain.provider);
    const raw = await faucet.signTransaction(
      await faucet.populateTransaction({
        to: faucet.address,
        value: 1n,
        nonce: await chain.provider.getTransactionCount(faucet.address),
      }),
    );
    await expect(provider.broadcastTransaction(raw)).rejects.toThrow();
    expect(front.seen('eth_sendRawTransaction') - before).toBe(1);
  });
});
