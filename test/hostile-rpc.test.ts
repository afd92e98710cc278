import { Contract, Wallet } from 'ethers';
import { erc20Interface, TRANSFER_TOPIC } from '../activities/chain/erc20';
import { deployTestToken, LOCAL_FAUCET_KEY, startAnvil, type LocalChain } from '../scripts/dev-stack/local-chain';
import { freePort } from '../scripts/dev-stack/processes';
import { startHostileRpc, type HostileRpc, type HostileRpcOptions } from './harness/hostile-rpc';

/** One raw JSON-RPC POST; returns the HTTP status and parsed body (or the transport error). */
async function post(url: string, body: unknown): Promise<{ status: number; json: any } | { failed: string }> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  } catch (err) {
    return { failed: String((err as { cause?: unknown }).cause ?? err) };
  }
}

const call = (method: string, params: unknown[] = [], id = 1) => ({ jsonrpc: '2.0', id, method, params });
const hex = (n: number) => `0x${n.toString(16)}`;

describe('hostile RPC proxy', () => {
  let chain: LocalChain;
  let token: string;
  /** The block holding the newest USDT transfer, made the head by the test's setup. */
  let transferBlock: number;
  let transferTx: string;
  const proxies: HostileRpc[] = [];

  beforeAll(async () => {
    chain = await startAnvil({ port: await freePort() });
    token = await deployTestToken(chain.provider, 6);
    const faucet = new Wallet(LOCAL_FAUCET_KEY, chain.provider);
    const usdt = new Contract(token, erc20Interface, faucet);
    await (await usdt.getFunction('mint')(faucet.address, 1000n)).wait();
    const tx = await usdt.getFunction('transfer')('0x000000000000000000000000000000000000dEaD', 7n);
    const receipt = await tx.wait();
    transferTx = tx.hash as string;
    transferBlock = receipt!.blockNumber as number;
  });
  afterAll(async () => {
    for (const p of proxies) await p.stop();
    await chain?.stop();
  });

  const proxy = async (options: Partial<HostileRpcOptions> = {}) => {
    const p = await startHostileRpc({ upstream: chain.rpcUrl, seed: 42, ...options });
    proxies.push(p);
    return p;
  };

  test('when no fault is set, then every call and batch is answered as the node answers it', async () => {
    const p = await proxy();
    const single = await post(p.url, call('eth_blockNumber'));
    expect(single).toEqual({ status: 200, json: { jsonrpc: '2.0', id: 1, result: hex(transferBlock) } });
    const batch = await post(p.url, [call('eth_chainId', [], 7), call('eth_getTransactionReceipt', [transferTx], 8)]);
    expect('json' in batch && batch.json.map((a: any) => a.id)).toEqual([7, 8]);
    expect('json' in batch && batch.json[0].result).toBe('0x7a69');
    expect('json' in batch && batch.json[1].result.transactionHash).toBe(transferTx);
  });

  test('when a backend lags, then head, blocks, receipts, transactions and logs all agree on its older view', async () => {
    const p = await proxy({ lagProbability: 1, maxLag: 1 });
    const res = await post(p.url, [
      call('eth_blockNumber', [], 1),
      call('eth_getBlockByNumber', ['latest', false], 2),
      call('eth_getBlockByNumber', [hex(transferBlock), false], 3),
      call('eth_getTransactionReceipt', [transferTx], 4),
      call('eth_getTransactionByHash', [transferTx], 5),
      call(
        'eth_getLogs',
        [{ address: token, topics: [TRANSFER_TOPIC], fromBlock: hex(transferBlock - 1), toBlock: 'latest' }],
        6,
      ),
    ]);
    if (!('json' in res)) throw new Error(res.failed);
    const [head, latest, atTransfer, receipt, tx, logs] = res.json.map((a: any) => a.result);
    expect(head).toBe(hex(transferBlock - 1));
    expect(latest.number).toBe(hex(transferBlock - 1));
    expect(atTransfer).toBeNull();
    expect(receipt).toBeNull();
    expect(tx).toBeNull();
    // The mint one block earlier is visible; the transfer in the lagging block is not.
    expect(logs.map((l: any) => l.blockNumber)).toEqual([hex(transferBlock - 1)]);
    expect(p.stats().lagged).toBe(1);
  });

  test('when only the log index lags, then blocks are current but eth_getLogs silently omits the newest block', async () => {
    const p = await proxy({ logsLagProbability: 1, maxLag: 1 });
    const filter = { address: token, topics: [TRANSFER_TOPIC], fromBlock: hex(transferBlock), toBlock: hex(transferBlock) };
    const res = await post(p.url, [
      call('eth_blockNumber', [], 1),
      call('eth_getTransactionReceipt', [transferTx], 2),
      call('eth_getLogs', [filter], 3),
    ]);
    if (!('json' in res)) throw new Error(res.failed);
    expect(res.json[0].result).toBe(hex(transferBlock));
    expect(res.json[1].result.blockNumber).toBe(hex(transferBlock));
    expect(res.json[2].result).toEqual([]);
    // Asked by hash, the lagging index does not pretend the block is empty.
    const block = await chain.provider.getBlock(transferBlock);
    const byHash = await post(p.url, call('eth_getLogs', [{ address: token, blockHash: block!.hash }]));
    expect('json' in byHash && byHash.json.error).toEqual({ code: -32000, message: 'unknown block' });
  });

  test('when an eth_getLogs range is wider than the limit, then it is refused with -32005, and a narrow one is answered', async () => {
    const p = await proxy({ maxLogsRange: 2 });
    const wide = await post(p.url, call('eth_getLogs', [{ address: token, fromBlock: '0x0', toBlock: hex(transferBlock) }]));
    expect('json' in wide && wide.json.error.code).toBe(-32005);
    const narrow = await post(
      p.url,
      call('eth_getLogs', [{ address: token, fromBlock: hex(transferBlock - 1), toBlock: 'latest' }]),
    );
    expect('json' in narrow && narrow.json.result).toHaveLength(2);
    expect(p.stats().rangeRefused).toBe(1);
  });

  test('when errors are on, then answers are 429s, 5xx pages and -32005 errors, each counted', async () => {
    const p = await proxy({ errorRate: 1 });
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const res = await post(p.url, call('eth_blockNumber'));
      if (!('json' in res)) throw new Error(res.failed);
      seen.add(res.status === 200 ? `rpc ${res.json.error.code}` : res.status === 429 ? '429' : '5xx');
      expect(res.status === 200 ? res.json.result : undefined).toBeUndefined();
    }
    expect([...seen].sort()).toEqual(['429', '5xx', 'rpc -32005']);
    const s = p.stats();
    expect(s.http429 + s.http5xx + s.limitExceeded).toBe(30);
  });

  test('when timeouts and drops are on, then the connection closes without an answer (timeouts only after hanging)', async () => {
    const p = await proxy({ timeoutRate: 1, timeoutMs: 300 });
    const started = Date.now();
    const hung = await post(p.url, call('eth_blockNumber'));
    expect('failed' in hung).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    p.setFaults({ timeoutRate: 0, dropRate: 1 });
    expect('failed' in (await post(p.url, call('eth_blockNumber')))).toBe(true);
    p.setFaults({ dropRate: 0 });
    expect(await post(p.url, call('eth_blockNumber'))).toMatchObject({ status: 200 });
    expect(p.stats()).toMatchObject({ timeouts: 1, drops: 1, requests: 3 });
  });

  test('when two proxies share a seed, then the same serial requests see the same faults', async () => {
    const faults = { lagProbability: 0.5, maxLag: 3, errorRate: 0.3 };
    const run = async (seed: number) => {
      const p = await proxy({ ...faults, seed });
      const answers: string[] = [];
      for (let i = 0; i < 25; i++) {
        const res = await post(p.url, call('eth_blockNumber'));
        answers.push('json' in res ? `${res.status} ${JSON.stringify(res.json.result ?? res.json.error?.code ?? '')}` : 'failed');
      }
      return answers;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(2);
  });

  test('when test-control methods are called, then they pass through without faults', async () => {
    const p = await proxy({ dropRate: 1 });
    const res = await post(p.url, call('anvil_mine', ['0x1']));
    expect(res).toMatchObject({ status: 200, json: { id: 1 } });
    expect(await chain.provider.getBlockNumber()).toBe(transferBlock + 1);
    expect(p.stats().drops).toBe(0);
  });
});
