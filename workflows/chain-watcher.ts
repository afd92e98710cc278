import { continueAsNew, patched, proxyActivities, sleep, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';

// Backs off on RPC errors (node down, rate limits) and never gives up: the cursor is durable.
const retry: RetryPolicy = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' };
const { scanBlocks } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // A scan bounds itself by wall time and heartbeats between steps: a silent one is a dead worker.
  heartbeatTimeout: '1 minute',
  retry,
});
const { followChain } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // Following heartbeats at every head poll: a killed worker's call is retried elsewhere within seconds.
  heartbeatTimeout: '10 seconds',
  retry,
});

/** Scans passes kept in one run's history before continuing as new. */
const PASSES_PER_RUN = 500;
/** Runs started before it scan once per activity and sleep between passes in the workflow. */
const PATCH_FOLLOW_HEADS = 'watcher-follows-heads';

/** One per network (`chain-watcher-<network>`): scans new blocks for every merchant at once. */
export async function chainWatcherWorkflow(input: { network: string; pollIntervalMs: number }): Promise<void> {
  const follow = patched(PATCH_FOLLOW_HEADS);
  for (let pass = 0; pass < PASSES_PER_RUN; pass++) {
    if (follow) {
      await followChain(input.network);
      continue;
    }
    const result = await scanBlocks(input.network);
    if (result.caughtUp) await sleep(input.pollIntervalMs);
  }
  await continueAsNew<typeof chainWatcherWorkflow>(input);
}
