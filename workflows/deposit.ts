import {
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EventType } from '../domain/events';
import { depositReachedDepthSignal, depositSightedSignal, depositSnapshotQuery, depositUpdatedSignal } from '../domain/messages';
import type { DepositInput, DepositSnapshot, DepositStatus } from '../domain/payments';
import { workflowIds } from '../domain/workflow-ids';
import { SA } from '../domain/search-attributes';
import { depositObject } from '../domain/serialize';

const { saveDeposit, creditDeposit, publishEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
// Chain reads retry with backoff for as long as the node is down: a deposit is never dropped
// because an RPC endpoint was unavailable.
const { verifyDeposit } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});

// A transition's projection write and event run as local activities: inside the workflow task,
// without a task-queue round trip each, which is most of the time from detection to the webhook.
// Both are idempotent (versioned projection, event ids derived from the lifecycle and sequence),
// so running one again after a worker crash changes nothing.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Type of the failure a deposit workflow ends with when a reorg removed its transfer. */
export const DEPOSIT_REORGED = 'DepositReorged';

/** Chain checks kept in one run's history before continuing as new: a node that stops advancing cannot grow it forever. */
const CHECKS_PER_RUN = 100;
/** Longest wait between checks while the node cannot tell whether the transfer is there. */
const MAX_UNKNOWN_WAIT_MS = 5 * 60_000;
/** Patches: histories recorded before them replay the old path. */
const PATCH_BOUNDED = 'deposit-bounded-history';
const PATCH_SIGHTED = 'deposit-reopens-when-sighted';
const PATCH_WOKEN_AT_DEPTH = 'deposit-woken-at-depth';
const PATCH_LOCAL_TRANSITIONS = 'deposit-local-transitions';

/** What a deposit carries into its next run when it continues as new. */
export interface DepositResume {
  state: DepositSnapshot;
  sequence: number;
}

/**
 * One deposit: detected → confirming → completed, or failed when a reorg removes it. It waits until
 * the chain watcher wakes it at the required depth (a timer for the expected time is the fallback),
 * then verifies on chain, so an open deposit costs a timer, not a poll per block.
 */
export async function depositWorkflow(input: DepositInput, resume?: DepositResume): Promise<DepositSnapshot> {
  // The chain's start time, not the run's: a restart after a failure is a new chain, a later lifecycle.
  const lifecycle = workflowInfo().startTime.toISOString();
  let state: DepositSnapshot = resume?.state ?? { ...input, status: 'detected', confirmations: 0, version: 1, lifecycle };
  let sequence = resume?.sequence ?? 0;
  let sightings = 0;
  let reachedDepth = false;
  setHandler(depositSnapshotQuery, () => state);
  setHandler(depositSightedSignal, () => void sightings++);
  setHandler(depositReachedDepthSignal, () => void (reachedDepth = true));
  // The watcher wakes the deposit when the head reaches its depth; the timer is the fallback.
  const wait = async (ms: number) => {
    if (patched(PATCH_WOKEN_AT_DEPTH)) await condition(() => reachedDepth, ms);
    else await sleep(ms);
  };

  const transition = async (status: DepositStatus, event: EventType) => {
    state = { ...state, status, version: state.version + 1 };
    upsertSearchAttributes([{ key: SA.status, value: status }]);
    const io = patched(PATCH_LOCAL_TRANSITIONS) ? local : { saveDeposit, publishEvent };
    await io.saveDeposit(state);
    await notifyOwner();
    await io.publishEvent({
      merchantId: state.merchantId,
      livemode: state.livemode,
      type: event,
      objectType: 'deposit',
      objectId: state.id,
      sequence: ++sequence,
      lifecycleKey: workflowInfo().firstExecutionRunId,
      data: depositObject(state),
    });
  };

  const notifyOwner = async () => {
    if (state.ownerType !== 'invoice') return;
    try {
      await getExternalWorkflowHandle(workflowIds.invoice(state.ownerId)).signal(depositUpdatedSignal, {
        depositId: state.id,
        currency: state.currency,
        status: state.status,
        amount: state.amount,
        txHash: state.txHash,
        detectedAt: state.detectedAt,
        blockTimestamp: state.blockTimestamp,
      });
    } catch {
      // The invoice's monitoring window has closed: the deposit is still recorded and credited,
      // just no longer attributed to a running invoice.
    }
  };

  if (!resume) await transition('detected', 'deposit.detected');
  let checks = 0;
  let unknownStreak = 0;
  for (;;) {
    // Cleared before the check: a wake-up that arrives while checking asks for one more check.
    reachedDepth = false;
    const check = await verifyDeposit(state);
    if (!check.canonical) {
      const sightedBefore = sightings;
      await transition('failed', 'deposit.failed');
      // The watcher saw the transfer again while this run was failing (mined again at the same log
      // index): its start could not begin a new run yet, so this one reopens instead of losing it.
      if (patched(PATCH_SIGHTED) && sightings > sightedBefore) {
        await transition('detected', 'deposit.detected');
        continue;
      }
      throw ApplicationFailure.nonRetryable(`transfer ${state.txHash} left the canonical chain`, DEPOSIT_REORGED);
    }
    state = { ...state, confirmations: check.confirmations, blockNumber: check.blockNumber, blockHash: check.blockHash };
    if (check.confirmations >= 1 && state.status === 'detected') await transition('confirming', 'deposit.confirming');
    if (check.confirmations >= state.requiredConfirmations) break;
    const remaining = state.requiredConfirmations - check.confirmations;
    if (patched(PATCH_BOUNDED)) {
      if (++checks >= CHECKS_PER_RUN) await continueAsNew<typeof depositWorkflow>(input, { state, sequence });
      // A node that cannot tell yet is asked again soon, then less and less often.
      unknownStreak = check.state === 'unknown' ? unknownStreak + 1 : 0;
      const delay = Math.max(remaining, 1) * state.blockTimeMs * 2 ** Math.min(unknownStreak, 10);
      await wait(Math.min(delay, Math.max(MAX_UNKNOWN_WAIT_MS, remaining * state.blockTimeMs)));
    } else {
      await wait(Math.max(remaining, 1) * state.blockTimeMs);
    }
  }
  await creditDeposit(state);
  await transition('completed', 'deposit.completed');
  return state;
}
