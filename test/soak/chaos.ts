import type { JsonRpcProvider } from 'ethers';
import type { SupervisedProcess } from './processes';
import type { Rng } from './rng';
import { sleep } from './traffic';

export interface ChaosStats {
  kills: Record<string, number>;
  reorgs: number;
  reorgDepths: number[];
  reincluded: number;
  droppedByReorg: number;
  reorgErrors: number;
}

/** Runs `act` at seeded random moments, `everyMs` apart, until `until()` says the chaos phase is over. */
async function atRandomMoments(rng: Rng, everyMs: [number, number], until: () => boolean, act: () => Promise<void>) {
  while (!until()) {
    await sleep(rng.int(everyMs[0], everyMs[1]));
    if (!until()) await act();
  }
}

/** SIGKILLs one of `targets` at seeded random moments; each comes back through its supervisor. */
export async function killAtRandom(
  targets: SupervisedProcess[],
  rng: Rng,
  everyMs: [number, number],
  until: () => boolean,
  stats: ChaosStats,
) {
  await atRandomMoments(rng, everyMs, until, async () => {
    const target = rng.pick(targets);
    if (!target.running) return;
    target.kill();
    stats.kills[target.name] = (stats.kills[target.name] ?? 0) + 1;
  });
}

/**
 * Real reorgs with `anvil_reorg`, always shallower than the confirmations Settle requires. The
 * removed transactions are re-included (all, some or none, keeping each sender's nonce order) in
 * other blocks of the new branch, so a transfer can come back at another height and log index.
 */
export async function reorgAtRandom(
  provider: JsonRpcProvider,
  rng: Rng,
  maxDepth: number,
  everyMs: [number, number],
  until: () => boolean,
  stats: ChaosStats,
) {
  await atRandomMoments(rng, everyMs, until, async () => {
    try {
      await reorgOnce(provider, rng, rng.int(1, maxDepth), stats);
    } catch {
      // Anvil refused the branch (its transactions no longer fit): this moment has no reorg.
      stats.reorgErrors++;
    }
  });
}

/**
 * Anvil's interval miner is paused while a branch is read and replaced: a block it mined during
 * `anvil_reorg` once left the node without a block at one height below its head (a 30-minute soak:
 * no block 984 by number, for good), which no real node does and which held a deposit there forever.
 */
async function reorgOnce(provider: JsonRpcProvider, rng: Rng, depth: number, stats: ChaosStats): Promise<void> {
  const interval = Number(await provider.send('anvil_getIntervalMining', []));
  await provider.send('evm_setIntervalMining', [0]);
  try {
    await replaceBranch(provider, rng, depth, stats);
  } finally {
    await provider.send('evm_setIntervalMining', [interval]);
  }
}

async function replaceBranch(provider: JsonRpcProvider, rng: Rng, depth: number, stats: ChaosStats): Promise<void> {
  const head = await provider.getBlockNumber();
  const removed: Array<{ hash: string; from: string }> = [];
  for (let n = head - depth + 1; n <= head; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) removed.push({ hash: tx.hash, from: tx.from.toLowerCase() });
  }
  const mode = rng.pick(['all', 'some', 'none'] as const);
  const skippedSenders = new Set<string>();
  const kept: string[] = [];
  for (const tx of removed) {
    // Once one of a sender's transactions is left out, its later ones could not be mined: leave them out too.
    const keep = mode === 'all' || (mode === 'some' && !skippedSenders.has(tx.from) && rng.chance(0.5));
    if (!keep) {
      skippedSenders.add(tx.from);
      continue;
    }
    kept.push(await provider.send('eth_getRawTransactionByHash', [tx.hash]));
  }
  const offsets = kept.map(() => rng.int(0, depth - 1)).sort((a, b) => a - b);
  await provider.send('anvil_reorg', [depth, kept.map((raw, i) => [raw, offsets[i]])]);
  stats.reorgs++;
  stats.reorgDepths.push(depth);
  stats.reincluded += kept.length;
  stats.droppedByReorg += removed.length - kept.length;
}
