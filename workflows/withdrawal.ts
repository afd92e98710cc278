import { condition, patched, proxyActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EventType } from '../domain/events';
import { SA } from '../domain/search-attributes';
import { withdrawalDecidedUpdate, withdrawalSnapshotQuery } from '../domain/withdrawal-messages';
import type { TxStatus, WithdrawalInput, WithdrawalSnapshot, WithdrawalStatus } from '../domain/withdrawals';
import { withdrawalObject } from '../domain/withdrawals';

const {
  reserveWithdrawal,
  saveWithdrawal,
  rejectAnnouncedWithdrawal,
  completeWithdrawal,
  releaseWithdrawal,
  markSweepMined,
  recordGasSpent,
  publishEvent,
} = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
// Chain I/O retries for as long as the node (or the hot address's gas) is missing: once a
// transaction is signed it must eventually be sent, or its nonce would block every later one.
const { ensureHotGas, signTransaction, prepareGasTopUp, broadcastTransaction, checkTransaction, replaceTransaction } =
  proxyActivities<Activities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
// Planning retries while the chain view catches up with the ledger, then gives up: nothing has
// been signed yet, so failing releases the reservation safely.
const { planSweep } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 12 },
});

/**
 * One withdrawal: reserve the amount against the available balance, gather the tokens on the
 * merchant's hot address (sweeping deposit addresses, topping up their gas first), then sign, send
 * and confirm exactly one transfer. Every transaction is signed once and stored before it is sent,
 * so retries and worker crashes re-send the same bytes instead of paying twice.
 */
export async function withdrawalWorkflow(input: WithdrawalInput): Promise<WithdrawalSnapshot> {
  let state: WithdrawalSnapshot = {
    ...input,
    status: 'pending',
    txHash: null,
    failureReason: null,
    completedAt: null,
    version: 1,
  };
  let sequence = 0;
  setHandler(withdrawalSnapshotQuery, () => state);
  setHandler(withdrawalDecidedUpdate, async () => {
    await condition(() => state.status !== 'pending');
    return state;
  });

  const transition = async (status: WithdrawalStatus, changes: Partial<WithdrawalSnapshot> = {}, event?: EventType) => {
    const next = { ...state, ...changes, status, version: state.version + 1 };
    // Projection first: whoever learns the new status (the API's update) can already list it.
    await saveWithdrawal(next);
    state = next;
    upsertSearchAttributes([
      { key: SA.status, value: status },
      ...(state.txHash ? [{ key: SA.txHash, value: state.txHash }] : []),
    ]);
    if (event) {
      await publishEvent({
        merchantId: state.merchantId,
        livemode: state.livemode,
        type: event,
        objectType: 'withdrawal',
        objectId: state.id,
        sequence: ++sequence,
        data: withdrawalObject(state),
      });
    }
  };

  const fail = async (reason: string) => {
    await releaseWithdrawal(input);
    await transition('failed', { failureReason: reason }, 'withdrawal.failed');
    return state;
  };

  const hotSigner = { merchantId: input.merchantId, livemode: input.livemode, index: 0 };
  /** A token transfer calls the contract; the native coin is the transaction's own value. */
  const payment = (recipient: string, amount: string) =>
    input.contract ? { to: input.contract, tokenTransfer: { recipient, amount } } : { to: recipient, value: amount };

  /** Broadcasts a stored transaction and waits for `confirmations`, replacing it with higher fees while it is stuck. */
  const send = async (
    purpose: string,
    signer: typeof hotSigner,
    confirmations: number,
    onMined?: (s: Extract<TxStatus, { mined: true }>) => Promise<void>,
  ) => {
    await broadcastTransaction(purpose);
    let pendingSince = Date.now();
    for (;;) {
      const s = await checkTransaction(purpose);
      if (s.mined) {
        await onMined?.(s);
        if (s.confirmations >= confirmations) {
          await recordGasSpent({ purpose, withdrawal: input, nativeSymbol: input.nativeSymbol, gasCost: s.gasCost });
          return s;
        }
        await sleep(Math.max(confirmations - s.confirmations, 1) * input.blockTimeMs);
        continue;
      }
      if (Date.now() - pendingSince >= input.stuckAfterMs) {
        await replaceTransaction({ purpose, signer });
        pendingSince = Date.now();
      }
      await sleep(input.blockTimeMs);
    }
  };

  const { reserved } = await reserveWithdrawal(input);
  if (!reserved) {
    // Nothing was written: the API answers insufficient_balance and no withdrawal exists.
    const rejected: WithdrawalSnapshot = {
      ...state,
      status: 'rejected',
      failureReason: 'insufficient_balance',
      version: state.version + 1,
    };
    // Projection first, as in transition(): whoever sees the rejection can read it in lists too.
    if (patched('announced-rejections')) await rejectAnnouncedWithdrawal(rejected);
    state = rejected;
    upsertSearchAttributes([{ key: SA.status, value: 'rejected' }]);
    return state;
  }
  await transition('reserved', {}, 'withdrawal.created');

  let plan;
  try {
    plan = await planSweep(input);
  } catch {
    return fail('the deposit addresses do not hold the tokens the ledger shows');
  }
  await ensureHotGas({ network: input.network, merchantId: input.merchantId, livemode: input.livemode });

  if (plan.sweeps.length) await transition('sweeping');
  // A top-up or sweep that the next transaction relies on must stay in the chain. One block deep, a
  // reorg could drop it after the next one was built on it (a sweep that cannot pay its gas, a gap in
  // the hot address's nonces) and nothing would ever send it again; at the network's depth it is final.
  const internalConfirmations = patched('reorg-safe-internal-transactions') ? input.requiredConfirmations : 1;
  for (const sweep of plan.sweeps) {
    const sweepSigner = { merchantId: input.merchantId, livemode: input.livemode, index: sweep.derivationIndex };
    const transfer = await signTransaction({
      purpose: `sweep:${sweep.id}:transfer`,
      network: input.network,
      signer: sweepSigner,
      ...payment(plan.hotAddress, sweep.amount),
    });
    const topUp = await prepareGasTopUp({
      purpose: `sweep:${sweep.id}:gas`,
      network: input.network,
      merchantId: input.merchantId,
      livemode: input.livemode,
      target: sweep.from,
      needed: transfer.maxGasCost ?? transfer.maxCost,
    });
    if (topUp) await send(topUp.purpose, hotSigner, internalConfirmations);
    const swept = await send(transfer.purpose, sweepSigner, internalConfirmations);
    await markSweepMined({ sweepId: sweep.id, reverted: !swept.success });
    if (!swept.success) return fail(`sweep ${swept.hash} reverted`);
  }

  await transition('signing');
  const purpose = `withdrawal:${input.id}:transfer`;
  const signed = await signTransaction({
    purpose,
    network: input.network,
    signer: hotSigner,
    ...payment(input.toAddress, input.amount),
  });
  await broadcastTransaction(purpose);
  await transition('broadcast', { txHash: signed.hash });
  const mined = await send(purpose, hotSigner, input.requiredConfirmations, async (s) => {
    if (state.status === 'broadcast' || state.txHash !== s.hash) await transition('confirming', { txHash: s.hash });
  });
  if (!mined.success) return fail(`transfer ${mined.hash} reverted`);
  await completeWithdrawal(input);
  await transition('completed', { txHash: mined.hash, completedAt: new Date().toISOString() }, 'withdrawal.completed');
  return state;
}
