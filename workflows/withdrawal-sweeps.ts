import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PlannedSweep, WithdrawalInput, WithdrawalSnapshot } from '../domain/withdrawals';
import { historyFull, reportStuck, sendTransaction } from './send-transaction';

const { listOpenSweeps, markSweepMined } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
const { signTransaction, prepareGasTopUp } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Sweeps in flight at once: each is its own address's transactions, only gas top-ups share the hot nonce. */
const PARALLEL_SWEEPS = 10;
/** Sweeps a run takes on at most before it continues as new, keeping every run's history small. */
const SWEEPS_PER_RUN = 40;

/**
 * Signs (once) a sweep's transfer to the hot address and, when the deposit address cannot pay its
 * gas, the top-up it needs first. A token transfer calls the contract; native coin is the value.
 */
export async function signSweep(w: WithdrawalInput, sweep: PlannedSweep, hotAddress: string) {
  const sweepSigner = { merchantId: w.merchantId, livemode: w.livemode, index: sweep.derivationIndex };
  const transfer = await signTransaction({
    purpose: `sweep:${sweep.id}:transfer`,
    network: w.network,
    signer: sweepSigner,
    ...(w.contract
      ? { to: w.contract, tokenTransfer: { recipient: hotAddress, amount: sweep.amount } }
      : { to: hotAddress, value: sweep.amount }),
  });
  const topUp = await prepareGasTopUp({
    purpose: `sweep:${sweep.id}:gas`,
    network: w.network,
    merchantId: w.merchantId,
    livemode: w.livemode,
    target: sweep.from,
    needed: transfer.maxGasCost ?? transfer.maxCost,
  });
  return { sweepSigner, transfer, topUp };
}

export interface WithdrawalSweepsInput {
  withdrawal: WithdrawalSnapshot;
  hotAddress: string;
  /** Depth a top-up or sweep must reach before the next transaction builds on it. */
  confirmations: number;
  /** Hashes of sweeps that reverted in earlier runs. */
  reverted?: string[];
}

export interface WithdrawalSweepsResult {
  /** Sweeps mined but reverted, or whose nonce another transaction took: the withdrawal cannot go on. */
  failed: string[];
}

/**
 * Moves a withdrawal's planned sweeps to the hot address, as a child of the withdrawal so that any
 * number of them fits: it works through the open sweeps a page at a time, several at once, and
 * continues as new between pages. Each sweep's transactions are signed once and stored, so a run
 * that starts over after continue-as-new or a crash re-sends the same bytes.
 */
export async function withdrawalSweepsWorkflow(input: WithdrawalSweepsInput): Promise<WithdrawalSweepsResult> {
  const w = input.withdrawal;
  const failed = [...(input.reverted ?? [])];
  const hotSigner = { merchantId: w.merchantId, livemode: w.livemode, index: 0 };

  /** Returns false when the run should continue as new before the sweep is done (it is picked up again). */
  const sweepOnce = async (sweep: PlannedSweep): Promise<boolean> => {
    const { sweepSigner, transfer, topUp } = await signSweep(w, sweep, input.hotAddress);
    const send = (purpose: string, signer: typeof hotSigner) =>
      sendTransaction({
        purpose,
        signer,
        confirmations: input.confirmations,
        withdrawal: w,
        bounded: true,
        onStuck: reportStuck(w, purpose),
      });
    if (topUp) {
      const funded = await send(topUp.purpose, hotSigner);
      if (!funded.mined && funded.reason === 'history') return false;
      // The top-up's nonce went to another transaction: the address stays unfunded, the sweep cannot run.
      if (!funded.mined) {
        failed.push(topUp.hash);
        return true;
      }
    }
    const swept = await send(transfer.purpose, sweepSigner);
    if (!swept.mined && swept.reason === 'history') return false;
    const moved = swept.mined && swept.success;
    await markSweepMined({ sweepId: sweep.id, reverted: !moved });
    if (!moved) failed.push(swept.mined ? swept.hash : transfer.hash);
    return true;
  };

  let taken = 0;
  while (!failed.length) {
    const page = await listOpenSweeps({ withdrawalId: w.id, limit: PARALLEL_SWEEPS });
    if (!page.length) return { failed };
    const done = await Promise.all(page.map(sweepOnce));
    taken += page.length;
    if (failed.length) break;
    if (done.includes(false) || taken >= SWEEPS_PER_RUN || historyFull()) {
      await continueAsNew<typeof withdrawalSweepsWorkflow>({ ...input, reverted: failed });
    }
  }
  return { failed };
}
