import { Context } from '@temporalio/activity';
import type { NetworkConfig } from '../../domain/networks';
import type { ChainProviders } from './providers';
import { heartbeatIfActivity, type ScanResult } from './scan-blocks';

/**
 * Wall time one call follows the chain before returning to the watcher workflow. One activity per
 * this period instead of an activity and a timer per block keeps an idle watcher's Temporal history
 * (and the server's persistence) small, and a block is read as soon as the node announces it.
 */
export const DEFAULT_FOLLOW_BUDGET_MS = 10_000;

/** How often the head is asked for while waiting: a tenth of a block, within [100 ms, 2 s]. */
export function headPollMs(network: Pick<NetworkConfig, 'blockTimeMs' | 'headPollMs'>): number {
  return network.headPollMs ?? Math.min(2_000, Math.max(100, Math.floor(network.blockTimeMs / 10)));
}

export interface FollowLimits {
  budgetMs: number;
  /** Waits between head polls; rejects when the activity is cancelled (worker shutdown, timeout). */
  sleep: (ms: number) => Promise<void>;
  heartbeat: () => void;
}

/**
 * The chain watcher's activity: scans, then waits for the node's next head and scans again, until
 * its budget is spent. Returns early when a scan was cut short or found a reorg, so the workflow
 * sees those passes. A failed head poll is only a missed poll: the next one asks again.
 */
export function createFollowChain(
  chains: ChainProviders,
  scanBlocks: (network: string) => Promise<ScanResult>,
  /** Wakes the deposits the scanned blocks brought to their depth; see wake-deposits-at-depth.ts. */
  wakeDeposits: (network: string, confirmations: number, fromBlock: number, toBlock: number) => Promise<unknown>,
  limits: Partial<FollowLimits> = {},
) {
  const budgetMs = limits.budgetMs ?? DEFAULT_FOLLOW_BUDGET_MS;
  const sleep = limits.sleep ?? activitySleep;
  const heartbeat = limits.heartbeat ?? heartbeatIfActivity;
  return async function followChain(networkId: string): Promise<ScanResult> {
    const deadline = Date.now() + budgetMs;
    const network = chains.network(networkId);
    const pollMs = headPollMs(network);
    const provider = chains.get(networkId);
    for (;;) {
      const result = await scanBlocks(networkId);
      heartbeat();
      // Best effort: a deposit not woken here still checks the chain on its own timer.
      await wakeDeposits(networkId, network.confirmations, result.from, result.to).catch(() => undefined);
      if (!result.caughtUp || result.reorgFrom !== undefined) return result;
      // Caught up as far as the node would serve: wait for a head past the scanned range.
      for (;;) {
        if (Date.now() + pollMs >= deadline) return result;
        await sleep(pollMs);
        heartbeat();
        const head = await provider.getBlockNumber().catch(() => undefined);
        // Past what the node reported, not only past what it served: a backend that could not
        // serve its own head yet is asked again at the next block, not at every poll.
        if (head !== undefined && head > Math.max(result.to, result.head)) break;
      }
    }
  };
}

function activitySleep(ms: number): Promise<void> {
  try {
    return Context.current().sleep(ms);
  } catch {
    return new Promise((resolve) => setTimeout(resolve, ms)); // outside an activity (scripts, tests)
  }
}
