import {
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EventType } from '../domain/events';
import { SA } from '../domain/search-attributes';
import { withdrawalDecidedUpdate, withdrawalSnapshotQuery } from '../domain/withdrawal-messages';
import type { WithdrawalInput, WithdrawalSnapshot, WithdrawalStatus } from '../domain/withdrawals';
import { GAS_POLICY_EXCEEDED, withdrawalObject } from '../domain/withdrawal-objects';
import { broadcastOnce, type MinedTx, reportStuck, sendTransaction } from './send-transaction';
import { planFunds, sweepToHotAddress } from './gather-funds';
import { signSweep } from './withdrawal-sweeps';

const {
  reserveWithdrawal,
  saveWithdrawal,
  rejectAnnouncedWithdrawal,
  completeWithdrawal,
  releaseWithdrawal,
  markSweepMined,
  publishEvent,
} = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
// Chain I/O retries for as long as the node (or the hot address's gas) is missing: once a
// transaction is signed it must eventually be sent, or its nonce would block every later one.
const { ensureHotGas, signTransaction, broadcastTransaction, checkGasPolicy } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Histories recorded before it replay the old path: sweeps inline, every block checked, no
 * continue-as-new. New runs sweep in a child workflow, wait for leased addresses, back off while a
 * transaction is pending, report one that more fee would not help, and continue as new.
 */
const PATCH_BOUNDED = 'withdrawal-bounded';
/** Histories recorded before it never asked whether the withdrawal's gas fits the network's cap. */
const PATCH_GAS_POLICY = 'withdrawal-gas-policy';

/** What a withdrawal carries into its next run when it continues as new while its transfer is pending. */
export interface WithdrawalResume {
  state: WithdrawalSnapshot;
  sequence: number;
}

/**
 * One withdrawal: reserve the amount against the available balance, gather the tokens on the
 * merchant's hot address (sweeping deposit addresses, topping up their gas first), then sign, send
 * and confirm exactly one transfer. Every transaction is signed once and stored before it is sent,
 * so retries and worker crashes re-send the same bytes instead of paying twice.
 */
export async function withdrawalWorkflow(input: WithdrawalInput, resume?: WithdrawalResume): Promise<WithdrawalSnapshot> {
  let state: WithdrawalSnapshot = resume?.state ?? {
    ...input,
    status: 'pending',
    txHash: null,
    failureReason: null,
    completedAt: null,
    version: 1,
  };
  let sequence = resume?.sequence ?? 0;
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

  const send = (
    purpose: string,
    signer: typeof hotSigner,
    confirmations: number,
    bounded: boolean,
    onMined?: (s: MinedTx) => Promise<void>,
  ) =>
    sendTransaction({
      purpose,
      signer,
      confirmations,
      withdrawal: input,
      bounded,
      onMined,
      onStuck: reportStuck(state, purpose),
    });

  /** Signs (once), sends and confirms the one outgoing transfer; the run continues as new while it waits too long. */
  const sendWithdrawal = async (bounded: boolean) => {
    if (!resume) await transition('signing');
    const purpose = `withdrawal:${input.id}:transfer`;
    const signed = await signTransaction({
      purpose,
      network: input.network,
      signer: hotSigner,
      ...payment(input.toAddress, input.amount),
    });
    if (!resume) {
      // A node refusing it (the hot address cannot pay, a lower nonce is missing) leaves the
      // withdrawal in `signing`; the checks below keep sending it and tell the operator why.
      if (!bounded) await broadcastTransaction(purpose);
      if (!bounded || (await broadcastOnce(purpose))) await transition('broadcast', { txHash: signed.hash });
    }
    const mined = await send(purpose, hotSigner, input.requiredConfirmations, bounded, async (s) => {
      if (state.status !== 'confirming' || state.txHash !== s.hash) await transition('confirming', { txHash: s.hash });
    });
    if (!mined.mined && mined.reason === 'history') {
      return continueAsNew<typeof withdrawalWorkflow>(input, { state, sequence });
    }
    if (!mined.mined) return fail(`transfer ${signed.hash} can never be mined: another transaction used its nonce`);
    if (!mined.success) return fail(`transfer ${mined.hash} reverted`);
    await completeWithdrawal(input);
    await transition('completed', { txHash: mined.hash, completedAt: new Date().toISOString() }, 'withdrawal.completed');
    return state;
  };

  // Only bounded runs continue as new, and only while their transfer is pending.
  if (resume) return sendWithdrawal(true);

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

  const bounded = patched(PATCH_BOUNDED);
  const plan = await planFunds(input, bounded);
  if (!plan) return fail('the deposit addresses do not hold the tokens the ledger shows');
  // Nothing is signed yet, so a withdrawal whose gas cannot fit the cap fails cleanly here.
  if (patched(PATCH_GAS_POLICY) && !(await checkGasPolicy(input)).fits) return fail(GAS_POLICY_EXCEEDED);
  await ensureHotGas({ network: input.network, merchantId: input.merchantId, livemode: input.livemode });

  if (plan.sweeps.length) await transition('sweeping');
  // A top-up or sweep that the next transaction relies on must stay in the chain. One block deep, a
  // reorg could drop it after the next one was built on it (a sweep that cannot pay its gas, a gap in
  // the hot address's nonces) and nothing would ever send it again; at the network's depth it is final.
  const internalConfirmations = patched('reorg-safe-internal-transactions') ? input.requiredConfirmations : 1;
  if (bounded && plan.sweeps.length) {
    const failed = await sweepToHotAddress(state, plan, internalConfirmations);
    if (failed.length) return fail(`sweep ${failed[0]} reverted or can never be mined`);
  }
  for (const sweep of bounded ? [] : plan.sweeps) {
    const { sweepSigner, transfer, topUp } = await signSweep(input, sweep, plan.hotAddress);
    if (topUp) await send(topUp.purpose, hotSigner, internalConfirmations, false);
    const swept = await send(transfer.purpose, sweepSigner, internalConfirmations, false);
    // Legacy runs never give up on a transaction, so it is mined here.
    if (!swept.mined) throw ApplicationFailure.nonRetryable('legacy sweep returned unmined');
    await markSweepMined({ sweepId: sweep.id, reverted: !swept.success });
    if (!swept.success) return fail(`sweep ${swept.hash} reverted`);
  }

  return sendWithdrawal(bounded);
}
