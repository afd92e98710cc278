import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { Contract, NonceManager, Wallet, getAddress } from 'ethers';
import { erc20Interface, TRANSFER_TOPIC } from '../activities/chain/erc20';
import { ChainProviders } from '../activities/chain/providers';
import { createScanBlocks } from '../activities/chain/scan-blocks';
import { createMerchant } from '../activities/db/merchants';
import { createStartDeposit } from '../activities/temporal/start-deposit';
import { NetworkRegistry, NetworkRegistryConfig } from '../domain/networks';
import { deployTestToken, LOCAL_FAUCET_KEY, startAnvil } from '../scripts/dev-stack/local-chain';
import { freePort } from '../scripts/dev-stack/processes';
import { benchDatabase } from './bench-database';
import type { BenchStack } from './dev-stack';
import { type BenchRow, ms, times } from './table';

/**
 * The chain watcher catching up on a backlog: a chain of its own with `blocks` blocks holding
 * `transfers` token transfers (half to watched addresses), scanned pass after pass by the real
 * scanBlocks activity (deposits started on the stack's Temporal, on a queue no worker polls),
 * against one raw eth_getLogs for the same transfers over the same range. The addresses belong to
 * token invoices, so nothing expects the native coin and the watcher reads headers and logs only.
 */
export async function benchCatchUp(stack: BenchStack, blocks: number, transfers: number): Promise<BenchRow[]> {
  const chain = await startAnvil({ port: await freePort() });
  const { pool, drop } = await benchDatabase(stack.databaseUrl.replace(/\/settle$/, '/postgres'));
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const token = await deployTestToken(chain.provider, 18);
  const base = NetworkRegistryConfig.parse(JSON.parse(readFileSync(path.join(__dirname, '../config/networks.json'), 'utf8')));
  const registry = new NetworkRegistry({
    ...base,
    networks: base.networks.map((n) =>
      n.id === 'local' ? { ...n, rpcUrls: [chain.rpcUrl], tokens: [{ symbol: 'USDT', address: token, decimals: 18 }] } : n,
    ),
  });
  const chains = new ChainProviders(registry);
  try {
    const merchant = await createMerchant(pool, { name: 'bench' });
    const watched = Array.from({ length: transfers / 2 }, (_, i) => getAddress(`0x${(i + 1).toString(16).padStart(40, 'c')}`));
    for (const [i, address] of watched.entries()) {
      await pool.query(
        `INSERT INTO addresses (network, address, merchant_id, livemode, derivation_index, owner_type, owner_id)
         VALUES ('local', $1, $2, false, $3, 'invoice', $4)`,
        [address.toLowerCase(), merchant.id, i + 1, `inv_bench_${i}`],
      );
    }
    const from = (await chain.provider.getBlockNumber()) + 1;
    await pool.query('INSERT INTO chain_cursors (network, next_block) VALUES ($1, $2)', ['local', from]);
    const faucet = new NonceManager(new Wallet(LOCAL_FAUCET_KEY, chain.provider));
    const contract = new Contract(token, erc20Interface, faucet);
    await (await contract.getFunction('mint')(await faucet.getAddress(), 10n ** 30n)).wait();
    // Anvil mines one block per transaction as it is sent (automine), so nothing waits for a
    // receipt; the gaps between transfers are filled with empty blocks.
    const gap = Math.floor(blocks / transfers) - 2;
    for (let i = 0; i < transfers; i++) {
      const to = i % 2 === 0 ? watched[i / 2]! : getAddress(`0x${(i + 1).toString(16).padStart(40, 'd')}`);
      await contract.getFunction('transfer')(to, 10n ** 18n, { gasLimit: 100_000 });
      if (gap > 0) await chain.provider.send('anvil_mine', [`0x${gap.toString(16)}`]);
    }
    const to = await chain.provider.getBlockNumber();

    const rawStart = performance.now();
    const raw = (await chain.provider.send('eth_getLogs', [
      { address: token, topics: [TRANSFER_TOPIC], fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` },
    ])) as unknown[];
    const rawMs = performance.now() - rawStart;

    const scanBlocks = createScanBlocks(pool, chains, createStartDeposit(new Client({ connection }), 'bench-catch-up'));
    let started = 0;
    let passes = 0;
    const scanStart = performance.now();
    for (;;) {
      const result = await scanBlocks('local');
      started += result.depositsStarted;
      passes++;
      if (result.caughtUp) break;
    }
    const scanMs = performance.now() - scanStart;
    if (started !== watched.length) throw new Error(`catch-up started ${started} deposits, expected ${watched.length}`);
    const ratio = rawMs / scanMs;
    return [
      {
        figure: `catch-up over ${to - from + 1} blocks, ${transfers} transfers`,
        baseline: `raw eth_getLogs ${ms(rawMs)} (${raw.length} logs)`,
        settle: `${ms(scanMs)} (${passes} scan passes, ${started} deposits)`,
        ratio: times(ratio),
        target: '≥ 0.80×',
        met: ratio >= 0.8,
        note: 'scanBlocks passes back to back, without the workflow between passes',
      },
    ];
  } finally {
    chains.destroy();
    await connection.close();
    await drop();
    await chain.stop();
  }
}
