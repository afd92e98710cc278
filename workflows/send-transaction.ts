import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SignerRef } from '../activities/signing/signer-keys';
import type { TxDiagnosis, TxStatus, WithdrawalInput } from '../domain/withdrawals';
import { timerClock } from './timer-clock';

const { recordGasSpent, reportStuckTransaction } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
// Once a transaction is signed it must eventually be sent, or its nonce would block every later one.
const { broadcastTransaction, checkTransaction, replaceTransaction, diagnoseTransaction } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
// A first broadcast the node refuses (the sender cannot pay yet, a lower nonce is missing) is not
// retried forever: the checks below re-send it and tell the operator why it waits.
const { broadcastTransaction: tryBroadcast } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Longest pause between checks of a pending transaction: one unmined for hours costs a check a minute. */
const MAX_CHECK_INTERVAL_MS = 60_000;
/** Events a run may hold before a wait gives way to continue-as-new (Temporal's limit is far above). */
export const HISTORY_BUDGET = 4_000;

export type MinedTx = Extract<TxStatus, { mined: true }>;
export type SendOutcome =
  | MinedTx
  /** `history`: the run should continue as new and send again (idempotent); `nonce_taken`: it can never be mined. */
  | { mined: false; reason: 'history' | 'nonce_taken' };

export interface SendRequest {
  purpose: string;
  signer: SignerRef;
  confirmations: number;
  withdrawal: WithdrawalInput;
  onMined?: (s: MinedTx) => Promise<void>;
  /** Told once per stuck spell why a fairly priced transaction is not mined (nothing is repriced then). */
  onStuck?: (d: Extract<TxDiagnosis, { mined: false }>) => Promise<void>;
  /**
   * Histories recorded before bounded sending check every block and never give up; new runs back
   * off, diagnose instead of repricing, and yield to continue-as-new.
   */
  bounded: boolean;
}

/** Sends a stored transaction a few times; false when the node keeps refusing it (the checks keep trying). */
export const broadcastOnce = (purpose: string) =>
  tryBroadcast(purpose).then(
    () => true,
    () => false,
  );

export const historyFull = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= HISTORY_BUDGET;

/**
 * Broadcasts a stored transaction and waits for `confirmations`, re-signing it with higher fees
 * only while it is underpriced (the activity decides, under the network's ceiling). Gas is booked
 * once it is deep enough.
 */
export async function sendTransaction(req: SendRequest): Promise<SendOutcome> {
  const { purpose, signer, confirmations, withdrawal: w } = req;
  if (req.bounded) await broadcastOnce(purpose);
  else await broadcastTransaction(purpose);
  const clock = timerClock();
  const pause = async (ms: number) => {
    const due = clock.now() + ms;
    await sleep(ms);
    clock.fired(due);
  };
  let pendingSince = clock.now();
  let interval = w.blockTimeMs;
  let reported = false;
  for (;;) {
    const s = await checkTransaction(purpose);
    if (s.mined) {
      await req.onMined?.(s);
      if (s.confirmations >= confirmations) {
        await recordGasSpent({ purpose, withdrawal: w, nativeSymbol: w.nativeSymbol, gasCost: s.gasCost });
        return s;
      }
      await pause(Math.max(confirmations - s.confirmations, 1) * w.blockTimeMs);
      continue;
    }
    if (req.bounded && historyFull()) return { mined: false, reason: 'history' };
    if (clock.now() - pendingSince >= w.stuckAfterMs) {
      const replaced = await replaceTransaction({ purpose, signer });
      pendingSince = clock.now();
      if (req.bounded && replaced.attempt === s.attempts - 1) {
        // Not repriced: it offers what blocks ask, so more fee would not help. Ask the chain why.
        const d = await diagnoseTransaction(purpose);
        if (!d.mined && d.reason === 'nonce_taken') return { mined: false, reason: 'nonce_taken' };
        if (!d.mined && d.reason !== 'waiting' && !reported) {
          await req.onStuck?.(d);
          reported = true;
        }
      }
    }
    await pause(interval);
    if (req.bounded) interval = Math.min(interval * 2, Math.max(MAX_CHECK_INTERVAL_MS, w.blockTimeMs));
  }
}

/** Reports a stuck transaction of a withdrawal to the operator (events and metric). */
export const reportStuck =
  (withdrawal: Parameters<typeof reportStuckTransaction>[0]['withdrawal'], purpose: string) =>
  (diagnosis: Extract<TxDiagnosis, { mined: false }>) =>
    reportStuckTransaction({ withdrawal, purpose, diagnosis });
