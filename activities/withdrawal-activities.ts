import type { ActivityDeps } from './index';
import { createWithdrawalStore } from './db/withdrawals';
import { createGasPolicy } from './signing/gas-budget';
import { createTransactionActivities } from './signing/transactions';
import { createGasActivities } from './wallet/gas';
import { createPlanSweep } from './wallet/plan-sweep';

/** Activities of the withdrawal workflow: reservation and ledger, sweep planning, gas policy and signing. */
export function createWithdrawalActivities(deps: Pick<ActivityDeps, 'pool' | 'chains' | 'wallet'>) {
  const tx = createTransactionActivities(deps.pool, deps.chains, deps.wallet);
  return {
    ...createWithdrawalStore(deps.pool),
    ...tx,
    ...createGasActivities(deps.pool, deps.chains, deps.wallet, tx.signTransaction),
    planSweep: createPlanSweep(deps.pool, deps.chains, deps.wallet),
    ...createGasPolicy(deps.pool, deps.chains),
  };
}
