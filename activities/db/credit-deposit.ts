import type { Pool } from 'pg';
import { depositFee, type FeePolicy } from '../../domain/fees';
import type { DepositSnapshot } from '../../domain/payments';
import { crashPoint } from '../crash-points';
import { Account, post } from './ledger';
import { inTransaction } from './pool';

/**
 * Credits a completed deposit to the merchant, less the fee, exactly once: the posting id is the
 * deposit id, and a transaction-scoped lock serializes concurrent retries.
 */
export function createCreditDeposit(pool: Pool) {
  return async function creditDeposit(d: DepositSnapshot): Promise<{ credited: boolean; fee: string }> {
    const result = await inTransaction(pool, async (db) => {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`deposit:${d.id}`]);
      const merchant = await db.query<{ fee_policy: FeePolicy }>('SELECT fee_policy FROM merchants WHERE id = $1', [
        d.merchantId,
      ]);
      const policy = merchant.rows[0]?.fee_policy ?? { type: 'none' };
      const amount = BigInt(d.amount);
      const fee = depositFee(policy, d.currency, d.decimals, amount);
      const credited = await post(db, {
        txnId: `deposit:${d.id}`,
        merchantId: d.merchantId,
        livemode: d.livemode,
        network: d.network,
        currency: d.currency,
        refType: 'deposit',
        refId: d.id,
        entries: [
          { account: Account.chainInflow, amount: -amount },
          { account: Account.available, amount: amount - fee },
          { account: Account.fees, amount: fee },
        ],
      });
      return { credited, fee: fee.toString() };
    });
    crashPoint('deposit.after-credit');
    return result;
  };
}
