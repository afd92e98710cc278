import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { scanBlocks } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // A scan bounds itself by wall time and heartbeats between steps: a silent one is a dead worker.
  heartbeatTimeout: '1 minute',
  // Backs off on RPC errors (node down, rate limits) and never gives up: the cursor is durable.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Scans passes kept in one run's history before continuing as new. */
const PASSES_PER_RUN = 500;

/** One per network (`chain-watcher-<network>`): scans new blocks for every merchant at once. */
export async function chainWatcherWorkflow(input: { network: string; pollIntervalMs: number }): Promise<void> {
  for (let pass = 0; pass < PASSES_PER_RUN; pass++) {
    const result = await scanBlocks(input.network);
    if (result.caughtUp) await sleep(input.pollIntervalMs);
  }
  await continueAsNew<typeof chainWatcherWorkflow>(input);
}
