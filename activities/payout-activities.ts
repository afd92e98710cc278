import type { PublishEventInput } from '../domain/events';
import type { ActivityDeps } from './index';
import { createPayoutStore } from './db/payouts';
import { createWithdrawalStore } from './db/withdrawals';
import { createPayoutTransfers } from './signing/payout-transfers';
import { createTransactionActivities } from './signing/transactions';

/** Activities of the payout workflow (batch payouts and refunds): reservation, item transfers, events. */
export function createPayoutActivities(
  deps: Pick<ActivityDeps, 'pool' | 'chains' | 'wallet'>,
  publishEvent: (input: PublishEventInput) => Promise<string>,
) {
  const tx = createTransactionActivities(deps.pool, deps.chains, deps.wallet);
  const { recordGasSpent } = createWithdrawalStore(deps.pool);
  return {
    ...createPayoutStore(deps.pool, publishEvent),
    ...createPayoutTransfers(deps.pool, tx, recordGasSpent, publishEvent),
  };
}
