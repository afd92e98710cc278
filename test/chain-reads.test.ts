import { Contract, Wallet } from 'ethers';
import { erc20Interface, TRANSFER_TOPIC } from '../activities/chain/erc20';
import { fetchBlocks } from '../activities/chain/fetch-blocks';
import { bloomMayContain } from '../activities/chain/logs-bloom';
import { ChainProviders } from '../activities/chain/providers';
import { createVerifyDeposit } from '../activities/chain/verify-deposit';
import { NetworkRegistry } from '../domain/networks';
import type { DepositInput } from '../domain/payments';
import { deployTestToken, LOCAL_FAUCET_KEY, startAnvil, type LocalChain } from '../scripts/dev-stack/local-chain';
import { freePort } from '../scripts/dev-stack/processes';
import { startHostileRpc, type HostileRpc } from './harness/hostile-rpc';

const RECIPIENT = '0x00000000000000000000000000000000000b0b01';
const CONFIRMATIONS = 3;

describe('reading a lagging, reorging chain', () => {
  let chain: LocalChain;
  let rpc: HostileRpc;
  let chains: ChainProviders;
  let token: string;
  let verify: ReturnType<typeof createVerifyDeposit>;

  beforeAll(async () => {
    chain = await startAnvil({ port: await freePort() });
    token = await deployTestToken(chain.provider, 6);
    rpc = await startHostileRpc({ upstream: chain.rpcUrl, seed: 9 });
    chains = new ChainProviders(
      new NetworkRegistry({
        defaultNetwork: { live: 'local', test: 'local' },
        networks: [
          {
            id: 'local',
            name: 'Local',
            livemode: false,
            chainId: 31337,
            rpcUrls: [rpc.url],
            confirmations: CONFIRMATIONS,
            blockTimeMs: 200,
            maxLogRange: 100,
            nativeScan: 'all',
            native: { symbol: 'ETH', decimals: 18 },
            tokens: [{ symbol: 'USDT', address: token, decimals: 6 }],
          },
        ],
      }),
    );
    verify = createVerifyDeposit(chains);
  });
  afterAll(async () => {
    chains?.destroy();
    await rpc?.stop();
    await chain?.stop();
  });
  afterEach(() => rpc.setFaults({ lagProbability: 0, maxLag: 0 }));

  /** Transfers test USDT to RECIPIENT and returns the deposit the watcher would have started for it. */
  const pay = async (amount: bigint): Promise<DepositInput> => {
    const faucet = new Wallet(LOCAL_FAUCET_KEY, chain.provider);
    const usdt = new Contract(token, erc20Interface, faucet);
    await (await usdt.getFunction('mint')(faucet.address, amount)).wait();
    const receipt = await (await usdt.getFunction('transfer')(RECIPIENT, amount)).wait();
    const log = receipt.logs[0];
    return {
      id: `deposit-local-${receipt.hash}-${log.index}`,
      network: 'local',
      txHash: receipt.hash.toLowerCase(),
      logIndex: log.index,
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash,
      from: faucet.address.toLowerCase(),
      to: RECIPIENT,
      currency: 'USDT',
      contract: token,
      decimals: 6,
      amount: amount.toString(),
      merchantId: 'm_test',
      livemode: false,
      ownerType: 'customer',
      ownerId: 'cus_test',
      requiredConfirmations: CONFIRMATIONS,
      blockTimeMs: 200,
      detectedAt: new Date().toISOString(),
    };
  };

  /** Replaces the newest `depth` blocks with empty ones: the transfer leaves the chain (Anvil drops its transactions). */
  const reorg = (depth: number) => chain.provider.send('anvil_reorg', [depth, []]);
  const mine = (blocks: number) => chain.provider.send('anvil_mine', [`0x${blocks.toString(16)}`]);

  test('when the backend answering is a block behind the detection, then the deposit is unknown yet, never gone', async () => {
    const deposit = await pay(5n);
    rpc.setFaults({ lagProbability: 1, maxLag: 1 });
    const check = await verify(deposit);
    expect(check).toMatchObject({ canonical: true, state: 'unknown', confirmations: 0 });
    expect(rpc.stats().lagged).toBeGreaterThan(0);

    rpc.setFaults({ lagProbability: 0 });
    await mine(CONFIRMATIONS);
    expect(await verify(deposit)).toMatchObject({ state: 'canonical', confirmations: CONFIRMATIONS + 1 });
  });

  test('when a reorg removed the transfer but the node has not passed its height by the confirmations, then it is unknown', async () => {
    const deposit = await pay(6n);
    await reorg(1);
    await mine(CONFIRMATIONS - 1);
    expect(await chain.provider.getTransactionReceipt(deposit.txHash)).toBeNull();
    expect(await verify(deposit)).toMatchObject({ canonical: true, state: 'unknown' });
  });

  test('when its block is replaced at a height the node has passed by the confirmations, then the transfer is proven gone', async () => {
    const deposit = await pay(7n);
    await reorg(1);
    await mine(CONFIRMATIONS);
    expect(await verify(deposit)).toMatchObject({ canonical: false, state: 'gone' });
  });

  test('when the node is far ahead but the block at the height is still the transfer’s, then a missing receipt proves nothing', async () => {
    const deposit = await pay(8n);
    await mine(CONFIRMATIONS + 2);
    // A receipt for another (unknown) transaction hash: the receipt is missing while the block stands.
    const check = await verify({ ...deposit, txHash: `0x${'ab'.repeat(32)}` });
    expect(check).toMatchObject({ canonical: true, state: 'unknown' });
  });

  test('when a block holds a token Transfer, then its header bloom may contain it; an empty block’s bloom does not', async () => {
    const deposit = await pay(9n);
    await mine(1);
    const [withTransfer, empty] = await fetchBlocks(chains.get('local'), deposit.blockNumber, deposit.blockNumber + 1);
    expect(bloomMayContain(withTransfer!.logsBloom, [token], TRANSFER_TOPIC)).toBe(true);
    expect(bloomMayContain(withTransfer!.logsBloom, ['0x000000000000000000000000000000000000dead'], TRANSFER_TOPIC)).toBe(false);
    expect(bloomMayContain(empty!.logsBloom, [token], TRANSFER_TOPIC)).toBe(false);
  });

  test('when the backend lags the reported head, then block reads stop at the newest block it has', async () => {
    const head = await chain.provider.getBlockNumber();
    rpc.setFaults({ lagProbability: 1, maxLag: 1 });
    const blocks = await fetchBlocks(chains.get('local'), head - 2, head);
    expect(blocks.map((b) => b.number)).toEqual([head - 2, head - 1]);
  });
});
