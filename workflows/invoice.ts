import {
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { type EventType } from '../domain/events';
import { depositUpdatedSignal, invoiceReadyUpdate, invoiceSnapshotQuery } from '../domain/messages';
import type { DepositUpdate, InvoiceInput, InvoiceSnapshot } from '../domain/payments';
import { invoiceObject } from '../domain/serialize';
import { SA } from '../domain/search-attributes';
import { applyDepositUpdate, evaluate, hasDepositsInFlight } from './invoice-state';
import { timerClock } from './timer-clock';

const { allocateAddress, saveInvoice, publishEvent, chainScannedPast } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
/** How often an invoice past expiry asks whether the watcher has read the chain up to its expiry. */
const CHAIN_POLL_MS = 5_000;
const PATCH_EXPIRY_WAITS_FOR_CHAIN = 'invoice-expiry-waits-for-chain';
const PATCH_DUE_BEFORE_WAITING = 'invoice-evaluates-before-waiting';
const PATCH_UNDERPAID_AFTER_EXPIRY = 'invoice-underpaid-after-expiry';
const PATCH_CLOCK_FROM_START = 'invoice-expiry-from-execution-start';
const PATCH_LOCAL_STEPS = 'invoice-steps-local';
// The creating request waits for these two: as local activities they run inside the first workflow
// task, with no task-queue round trip each, so the invoice is ready in one task.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/**
 * One invoice's life: gets its deposit address, waits for deposits until it is paid or expires,
 * then keeps watching until the monitoring window closes so a late payment is recorded as such.
 */
export async function invoiceWorkflow(input: InvoiceInput): Promise<InvoiceSnapshot> {
  // The execution's start time, not the task's clock: a first task retried after a worker crash
  // must agree with the expiry its first attempt already recorded and returned to the client.
  const startedAt = patched(PATCH_CLOCK_FROM_START) ? workflowInfo().startTime.getTime() : Date.now();
  const expiresAt = startedAt + input.expiresInSeconds * 1000;
  const monitorUntil = expiresAt + input.monitorWindowSeconds * 1000;
  let state: InvoiceSnapshot = {
    ...input,
    createdAt: new Date(startedAt).toISOString(),
    expiresAt: new Date(expiresAt).toISOString(),
    monitorUntil: new Date(monitorUntil).toISOString(),
    depositAddress: null,
    status: 'pending',
    amountReceived: '0',
    amountPending: '0',
    paidLate: false,
    paidAt: null,
    deposits: [],
    version: 1,
  };
  let sequence = 0;
  const inbox: DepositUpdate[] = [];
  setHandler(invoiceSnapshotQuery, () => state);
  // Ready once the projection has the invoice too, so a list right after creation includes it.
  let ready = false;
  setHandler(invoiceReadyUpdate, async () => {
    await condition(() => ready);
    return state;
  });
  setHandler(depositUpdatedSignal, (update) => void inbox.push(update));

  // Saving, publishing and asking after the chain run as local activities: one marker each in the
  // task that needs them, where an activity costs the Temporal server six events and a round trip
  // through the task queue. A busy stack is bound by the Temporal server's store (on the dev server,
  // one SQLite connection).
  const remote = { saveInvoice, publishEvent, chainScannedPast };
  const steps = patched(PATCH_LOCAL_STEPS) ? local : remote;
  const emit = async (type: EventType, via = steps) => {
    await via.publishEvent({
      merchantId: state.merchantId,
      livemode: state.livemode,
      type,
      objectType: 'invoice',
      objectId: state.id,
      sequence: ++sequence,
      data: invoiceObject(state),
      callbackUrl: state.callbackUrl,
    });
  };

  const allocation = {
    merchantId: input.merchantId,
    livemode: input.livemode,
    ownerType: 'invoice' as const,
    ownerId: input.id,
    networks: [input.network],
  };
  if (patched('invoice-ready-in-first-task')) {
    state.depositAddress = await local.allocateAddress(allocation);
    await local.saveInvoice(state);
  } else {
    state.depositAddress = await allocateAddress(allocation);
    await saveInvoice(state);
  }
  ready = true;
  // The creating request's answer leaves with the task that schedules this; as a local activity it
  // would wait for the event to be stored and enqueued.
  await emit('invoice.created', remote);

  // Set while the invoice is past expiry but the watcher has not yet read the chain up to it.
  let waitingForChain = false;
  // Decisions against deadlines read a clock that a fired timer has moved past its deadline.
  const clock = timerClock();
  const now = clock.now;
  for (;;) {
    // Past expiry a pending invoice is only waiting for deposits already in flight: wake on those.
    // Past the monitoring window only in-flight deposits keep it open, so it waits for them alone.
    const deadline =
      state.status === 'pending' && now() < expiresAt
        ? expiresAt
        : waitingForChain
          ? Math.min(now() + CHAIN_POLL_MS, monitorUntil)
          : monitorUntil;
    // A pass that starts with a transition already due (the worker was down or slow past expiry)
    // makes it now: past expiry the deadline above is the end of the monitoring window.
    // Only an expired invoice asks for the patch, so the marker is recorded where it changes something.
    const rules = () => ({ underpaidAfterExpiry: state.status === 'expired' && patched(PATCH_UNDERPAID_AFTER_EXPIRY) });
    const due =
      !waitingForChain && patched(PATCH_DUE_BEFORE_WAITING) && evaluate(state, new Date(now()), rules()).events.length > 0;
    if (!due) {
      if (now() < deadline) {
        if (!(await condition(() => inbox.length > 0, deadline - now()))) clock.fired(deadline);
      } else await condition(() => inbox.length > 0);
    }
    const before = state.version;
    for (const update of inbox.splice(0)) state = applyDepositUpdate(state, update);
    let { snapshot, events } = evaluate(state, new Date(now()), rules());
    const expiring = snapshot.status === 'expired' || snapshot.status === 'underpaid';
    // A payment mined before expiry may not be read yet (a watcher behind, a node down): expire
    // only once the chain up to the expiry has been read, or the monitoring window is over.
    if (expiring && state.status === 'pending' && now() < monitorUntil && patched(PATCH_EXPIRY_WAITS_FOR_CHAIN)) {
      waitingForChain = !(await steps.chainScannedPast({
        network: state.network,
        at: state.expiresAt,
        invoice: { id: state.id, currency: state.currency, known: state.deposits.map((d) => d.depositId) },
      }));
      if (waitingForChain) ({ snapshot, events } = { snapshot: state, events: [] });
    } else {
      waitingForChain = false;
    }
    state = snapshot;
    if (state.version !== before) {
      upsertSearchAttributes([{ key: SA.status, value: state.status }]);
      await steps.saveInvoice(state);
      for (const type of events) await emit(type);
    }
    if (now() >= monitorUntil && !hasDepositsInFlight(state) && inbox.length === 0) return state;
  }
}
