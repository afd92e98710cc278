import type { PublishEventInput } from '../../domain/events';
import { fromBaseUnits } from '../../domain/money';
import type { NetworkRegistry } from '../../domain/networks';
import { StuckReason, type TxDiagnosis, type WithdrawalSnapshot, withdrawalObject } from '../../domain/withdrawals';

export interface StuckReport {
  withdrawal: WithdrawalSnapshot;
  purpose: string;
  diagnosis: Extract<TxDiagnosis, { mined: false }>;
}

/**
 * Tells the operator (webhook events) that a withdrawal waits on a transaction that more fees
 * would not help: `withdrawal.stuck`, and `hot_wallet.low_balance` when its sender cannot pay.
 * Event ids derive from the transaction's purpose and reason, so one stuck spell is one event.
 */
export function createReportStuckTransaction(registry: NetworkRegistry, publish: (e: PublishEventInput) => Promise<string>) {
  return async function reportStuckTransaction({ withdrawal: w, purpose, diagnosis: d }: StuckReport): Promise<void> {
    const native = registry.get(w.network)?.native;
    const amount = (units: string) => (native ? fromBaseUnits(units, native.decimals) : units);
    const common = { merchantId: w.merchantId, livemode: w.livemode, sequence: 0, lifecycleKey: `${purpose}:${d.reason}` };
    if (d.reason === StuckReason.unfunded) {
      await publish({
        ...common,
        type: 'hot_wallet.low_balance',
        objectType: 'hot_wallet',
        objectId: `${w.network}:${d.address}`,
        data: {
          object: 'hot_wallet',
          network: w.network,
          address: d.address,
          currency: native?.symbol ?? w.nativeSymbol,
          balance: amount(d.balance),
          required: amount(d.required),
        },
      });
    }
    await publish({
      ...common,
      type: 'withdrawal.stuck',
      objectType: 'withdrawal',
      objectId: w.id,
      data: {
        ...withdrawalObject(w),
        stuck_reason: d.reason,
        stuck_transaction: { purpose, from: d.address, nonce: d.nonce, chain_nonce: d.chainNonce },
      },
    });
  };
}
