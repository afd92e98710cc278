import { JsonRpcProvider, Wallet, parseEther, parseUnits } from 'ethers';
import { getLogsSplitting } from '../activities/chain/get-logs-split';
import { TRANSFER_TOPIC } from '../activities/chain/erc20';
import { ChainProviders } from '../activities/chain/providers';
import { createScanBlocks } from '../activities/chain/scan-blocks';
import { NetworkRegistry } from '../domain/networks';
import type { DepositInput } from '../domain/payments';
import { LOCAL_FAUCET_KEY } from '../scripts/dev-stack/local-chain';
import { TestStack, eventually } from './harness/test-stack';

describe('chain watcher', () => {
  let stack: TestStack;
  let key: string;
  beforeAll(async () => {
    stack = await TestStack.start({ watch: true, confirmations: 2 });
    ({ key } = await stack.merchant());
  });
  afterAll(async () => stack?.stop());

  /** Whether the watcher has stored blocks up to the head and each stored hash is the chain's. */
  const storedHashesMatchChain = async () => {
    const rows = await stack.pool.query<{ number: string; hash: string }>(
      "SELECT number, hash FROM chain_blocks WHERE network = 'local' ORDER BY number",
    );
    for (const row of rows.rows) {
      const block = await stack.chain.provider.getBlock(Number(row.number));
      if (block?.hash !== row.hash) return false;
    }
    const newest = Number(rows.rows[rows.rows.length - 1]?.number ?? -1);
    return newest === (await stack.chain.provider.getBlockNumber());
  };

  test('when blocks the watcher already scanned are replaced, then it rewinds to the fork and rescans the new branch', async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '4' })).body.data;
    // Blocks with transactions (a transfer to an address nobody watches), so their replacements differ.
    await stack.sendToken('0x000000000000000000000000000000000000dEaD', 1n);
    await stack.mine(1);
    await eventually(
      async () => ((await storedHashesMatchChain()) ? true : undefined),
      'the watcher to store the scanned blocks',
    );
    const head = await stack.chain.provider.getBlockNumber();

    // Same height, different blocks: only parent hashes reveal the reorg.
    await stack.chain.provider.send('anvil_reorg', [3, []]);
    expect(await stack.chain.provider.getBlockNumber()).toBe(head);
    expect(await storedHashesMatchChain()).toBe(false);

    // The payment lands on the new branch; the watcher must notice the fork, rewind and pick it up.
    await stack.sendToken(invoice.deposit_address, parseUnits('4', 18));
    await stack.mine(2);
    await eventually(async () => {
      const r = await stack.api('GET', `/v1/invoices/${invoice.id}`, key);
      return r.body.data?.status === 'paid' ? true : undefined;
    }, 'the invoice to be paid on the new branch');
    await eventually(async () => ((await storedHashesMatchChain()) ? true : undefined), 'stored hashes to follow the new branch');
  });

  test('when a node refuses wide eth_getLogs ranges, then the range is halved until it answers, and no log is lost', async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '1' })).body.data;
    const from = (await stack.chain.provider.getBlockNumber()) + 1;
    for (let i = 0; i < 3; i++) await stack.sendToken(invoice.deposit_address, 1n);
    await stack.mine(5);
    const to = await stack.chain.provider.getBlockNumber();
    // A real node behind a limit like public BSC endpoints: spans wider than 2 blocks are refused.
    const picky = new JsonRpcProvider(stack.chain.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 });
    const calls: Array<[number, number]> = [];
    const original = picky.getLogs.bind(picky);
    picky.getLogs = async (filter) => {
      const f = filter as { fromBlock: number; toBlock: number };
      calls.push([f.fromBlock, f.toBlock]);
      if (f.toBlock - f.fromBlock + 1 > 2) throw new Error('query returned more than 10000 results / block range too large');
      return original(filter);
    };
    const filter = { address: [stack.token], topics: [TRANSFER_TOPIC] };
    const split = await getLogsSplitting(picky, filter, from, to);
    const direct = await stack.chain.provider.getLogs({ ...filter, fromBlock: from, toBlock: to });
    picky.destroy();
    expect(split.map((l) => `${l.transactionHash}:${l.index}`)).toEqual(direct.map((l) => `${l.transactionHash}:${l.index}`));
    expect(direct.length).toBe(6); // a mint and a transfer per payment
    expect(calls.length).toBeGreaterThan(1);
  });
});

describe('chain watcher reading only what a network needs', () => {
  let stack: TestStack;
  let key: string;
  let chains: ChainProviders;
  /** The transactions flag of every eth_getBlockByNumber the scan sent. */
  let fullBlockReads: boolean[] = [];
  let started: DepositInput[] = [];
  let scanBlocks: ReturnType<typeof createScanBlocks>;
  beforeAll(async () => {
    stack = await TestStack.start({ confirmations: 2, nativeScan: 'expected' });
    ({ key } = await stack.merchant());
    chains = new ChainProviders(stack.registry);
    const provider = chains.get('local');
    const send = provider.send.bind(provider);
    provider.send = async (method, params) => {
      if (method === 'eth_getBlockByNumber') fullBlockReads.push((params as unknown[])[1] as boolean);
      return send(method, params);
    };
    scanBlocks = createScanBlocks(stack.pool, chains, async (d) => void started.push(d));
    await scanBlocks('local'); // places the cursor at the head
  });
  afterAll(async () => {
    chains?.destroy();
    await stack?.stop();
  });

  const scanToHead = async () => {
    fullBlockReads = [];
    started = [];
    while (!(await scanBlocks('local')).caughtUp);
  };

  test('when only token invoices watch a network, then blocks are read without transactions and token payments are still found', async () => {
    const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '3', currency: 'USDT' })).body.data;
    await stack.sendToken(invoice.deposit_address, parseUnits('3', 18));
    await stack.mine(1);
    await scanToHead();
    expect(fullBlockReads.length).toBeGreaterThan(0);
    expect(fullBlockReads.every((full) => full === false)).toBe(true);
    expect(started.map((d) => [d.to, d.currency])).toEqual([[invoice.deposit_address.toLowerCase(), 'USDT']]);
  });

  test('when a customer address watches a network, then blocks come with transactions and native-coin payments are found', async () => {
    const customer = (await stack.api('POST', '/v1/customers', key, { name: 'native payer' })).body.data;
    const address = (customer.addresses as Array<{ network: string; address: string }>).find(
      (a) => a.network === 'local',
    )!.address;
    const faucet = new Wallet(LOCAL_FAUCET_KEY, stack.chain.provider);
    await (await faucet.sendTransaction({ to: address, value: parseEther('0.5') })).wait();
    await scanToHead();
    expect(fullBlockReads.length).toBeGreaterThan(0);
    expect(fullBlockReads.every((full) => full === true)).toBe(true);
    expect(started.map((d) => [d.to, d.currency, d.amount])).toEqual([
      [address.toLowerCase(), 'ETH', parseEther('0.5').toString()],
    ]);
  });

  test('when a network reads every native transfer (the default), then native coin sent to a token invoice is still found', async () => {
    const everyNative = new ChainProviders(
      new NetworkRegistry({
        ...stack.registry.config,
        networks: stack.registry.config.networks.map((n) => ({ ...n, nativeScan: 'all' as const })),
      }),
    );
    try {
      const found: DepositInput[] = [];
      const scan = createScanBlocks(stack.pool, everyNative, async (d) => void found.push(d));
      while (!(await scan('local')).caughtUp);
      const invoice = (await stack.api('POST', '/v1/invoices', key, { amount: '3', currency: 'USDT' })).body.data;
      const faucet = new Wallet(LOCAL_FAUCET_KEY, stack.chain.provider);
      await (await faucet.sendTransaction({ to: invoice.deposit_address, value: parseEther('0.25') })).wait();
      while (!(await scan('local')).caughtUp);
      expect(found.map((d) => [d.to, d.currency, d.amount])).toEqual([
        [invoice.deposit_address.toLowerCase(), 'ETH', parseEther('0.25').toString()],
      ]);
    } finally {
      everyNative.destroy();
    }
  });
});
