import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { webhookBacklogSignal } from '../domain/webhooks';

const { releaseWebhookBacklog } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** A freed slot releases the backlog at once; this is for slots freed without one (a crashed worker's lapsed leases). */
const FIRST_WAIT_MS = 5_000;
const LONGEST_WAIT_MS = 60_000;
const ROUNDS_PER_RUN = 200;

/**
 * The owner of one merchant's parked webhook deliveries (activities/webhooks/delivery-backlog.ts):
 * it runs while any are parked and releases them as the merchant's slots allow, so a delivery whose
 * releasing process crashed still goes out. It completes once nothing is parked. A dispatch that
 * parks more signals it (starting it if needed); the signal's arrival before completion makes it
 * look again rather than leave those deliveries without an owner.
 */
export async function webhookBacklogWorkflow(merchantId: string): Promise<number> {
  let releaseNow = false;
  let signalled: boolean;
  setHandler(webhookBacklogSignal, (wake) => {
    signalled = true;
    releaseNow ||= wake.now;
  });
  let handed = 0;
  let wait = FIRST_WAIT_MS;
  for (let round = 1; ; round++) {
    releaseNow = false;
    signalled = false;
    const released = await releaseWebhookBacklog(merchantId);
    handed += released.handed;
    if (released.parked === 0 && !signalled) return handed;
    if (round >= ROUNDS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof webhookBacklogWorkflow>(merchantId);
    }
    // Progress means slots are freeing: look again soon. Nothing moving means a receiver still hangs.
    wait = released.handed > 0 ? FIRST_WAIT_MS : Math.min(wait * 2, LONGEST_WAIT_MS);
    if (await condition(() => releaseNow, wait)) wait = FIRST_WAIT_MS;
  }
}
