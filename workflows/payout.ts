import {
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EventType } from '../domain/events';
import { payoutDecidedUpdate } from '../domain/payout-messages';
import type { PayoutInput, PayoutSnapshot, PayoutStatus } from '../domain/payouts';
import { payoutAsWithdrawal, payoutRef } from '../domain/payout-refs';
import { SA } from '../domain/search-attributes';
import { planFunds, sweepToHotAddress } from './gather-funds';

const { reservePayout, savePayout, announcePayout, failUnsentItems, settlePayoutPlan } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
// Chain I/O retries for as long as the node is missing: a signed item must eventually be sent.
const { sendPayoutItems, settlePayoutItems, ensureHotGas } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Send-and-check rounds per run before continuing as new: ~20 history events a round stays far below 10k. */
const ROUNDS_PER_RUN = 200;

/** What a run hands to the next one when it continues as new. */
export interface PayoutCarry {
  state: PayoutSnapshot;
  sequence: number;
}

const EVENTS = {
  payout: { created: 'payout.created', completed: 'payout.completed', failed: 'payout.failed' },
  refund: { created: 'refund.created', completed: 'refund.completed', failed: 'refund.failed' },
} as const satisfies Record<PayoutInput['kind'], Record<string, EventType>>;

/**
 * One payout (or refund): reserve the total against the available balance, gather it on the
 * merchant's hot address as a withdrawal does, then send one transfer per item from the hot address
 * and check them until each is completed or failed. Item work happens in batched activities, and a
 * run continues as new after ROUNDS_PER_RUN rounds, so neither the number of items nor a slow chain
 * grows one run's history without bound.
 */
export async function payoutWorkflow(input: PayoutInput, carry?: PayoutCarry): Promise<PayoutSnapshot> {
  let state: PayoutSnapshot = carry?.state ?? {
    ...input,
    status: 'pending',
    failureReason: null,
    completedAt: null,
    version: 1,
  };
  let sequence = carry?.sequence ?? 0;
  const events = EVENTS[input.kind];
  const ref = payoutRef(input);
  setHandler(payoutDecidedUpdate, async () => {
    await condition(() => state.status !== 'pending');
    return state;
  });

  const transition = async (status: PayoutStatus, changes: Partial<PayoutSnapshot> = {}, event?: EventType) => {
    const next = { ...state, ...changes, status, version: state.version + 1 };
    // Projection first: whoever learns the new status (the API's update) can already read it.
    await savePayout(next);
    state = next;
    upsertSearchAttributes([{ key: SA.status, value: status }]);
    if (event) await announcePayout({ snapshot: state, type: event, sequence: ++sequence });
  };

  /**
   * Brings the total onto the hot address exactly as a withdrawal does (the same plan, leases and
   * sweep child workflow); returns why it could not, or null.
   */
  const gatherOnHotAddress = async (): Promise<string | null> => {
    const funding = payoutAsWithdrawal(ref);
    const plan = await planFunds(funding);
    if (!plan) return 'the deposit addresses do not hold the tokens the ledger shows';
    await ensureHotGas({ network: input.network, merchantId: input.merchantId, livemode: input.livemode });
    if (!plan.sweeps.length) return null;
    await transition('sweeping');
    const sweeping = {
      ...funding,
      status: 'sweeping' as const,
      txHash: null,
      failureReason: null,
      completedAt: null,
      version: 1,
    };
    const failed = await sweepToHotAddress(sweeping, plan, input.requiredConfirmations);
    return failed.length ? `sweep ${failed[0]} reverted or can never be mined` : null;
  };

  if (!carry) {
    const decision = await reservePayout(input);
    if (!decision.reserved) {
      state = { ...state, status: 'rejected', failureReason: decision.reason, version: state.version + 1 };
      upsertSearchAttributes([{ key: SA.status, value: 'rejected' }]);
      return state;
    }
    await transition('reserved', {}, events.created);

    const failure = await gatherOnHotAddress();
    if (failure) {
      await failUnsentItems({ payout: ref, reason: failure });
      await settlePayoutPlan({ payoutId: input.id, gathered: false });
      await transition('failed', { failureReason: failure }, events.failed);
      return state;
    }
    await transition('sending');
  }

  for (let round = 0; ; round++) {
    const { pending } = await sendPayoutItems(ref);
    const { open, completed } = await settlePayoutItems(ref);
    if (open === 0) {
      await settlePayoutPlan({ payoutId: input.id, gathered: true });
      // A refund whose one transfer reverted is a failed refund; a payout reports its items' outcomes.
      const event = input.kind === 'refund' && completed === 0 ? events.failed : events.completed;
      await transition('completed', { completedAt: new Date().toISOString() }, event);
      return state;
    }
    if (round + 1 >= (input.roundsPerRun ?? ROUNDS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof payoutWorkflow>(input, { state, sequence });
    }
    // More to sign goes on at once; otherwise wait a block for the sent ones.
    if (pending === 0) await sleep(input.blockTimeMs);
  }
}
