import type { Pool, PoolClient } from 'pg';
import type { PlannedSweep, WithdrawalInput, WithdrawalSnapshot } from '../../domain/withdrawals';
import { Account, post } from './ledger';
import { inTransaction } from './pool';

/** One lock per spendable balance: reservations against the same balance run one at a time. */
export function balanceLockKey(w: Pick<WithdrawalInput, 'merchantId' | 'livemode' | 'network' | 'currency'>): string {
  return `balance:${w.merchantId}:${w.livemode}:${w.network}:${w.currency}`;
}

/** What the merchant can spend of one balance; read under its balance lock. */
export async function availableBalance(
  db: PoolClient,
  w: Pick<WithdrawalInput, 'merchantId' | 'livemode' | 'network' | 'currency'>,
): Promise<bigint> {
  const row = await db.query<{ sum: string }>(
    `SELECT coalesce(sum(amount), 0)::text AS sum FROM ledger_entries
     WHERE merchant_id = $1 AND livemode = $2 AND network = $3 AND currency = $4 AND account = $5`,
    [w.merchantId, w.livemode, w.network, w.currency, Account.available],
  );
  return BigInt(row.rows[0]!.sum);
}

/** Every sweep of the plan was mined: the hot address owes it nothing more and its leases go. */
export async function settlePlan(db: PoolClient, planId: string): Promise<void> {
  await db.query('UPDATE withdrawal_plans SET settled = true WHERE withdrawal_id = $1', [planId]);
  await db.query('DELETE FROM address_leases WHERE withdrawal_id = $1', [planId]);
}

/**
 * The plan's outgoing transfer will never be sent: planned sweeps never signed are abandoned so their
 * addresses can be planned again. A sweep that was signed keeps its lease: it may still be mined,
 * and its address's balance is not known until then.
 */
export async function abandonPlan(db: PoolClient, planId: string): Promise<void> {
  await db.query('UPDATE withdrawal_plans SET settled = true WHERE withdrawal_id = $1', [planId]);
  const abandoned = await db.query<{ id: string }>(
    `UPDATE sweeps s SET mined = true, reverted = true, abandoned = true
     WHERE s.withdrawal_id = $1 AND NOT s.mined
       AND NOT EXISTS (SELECT 1 FROM signed_transactions t WHERE t.purpose = 'sweep:' || s.id || ':transfer')
     RETURNING s.id`,
    [planId],
  );
  await db.query('DELETE FROM address_leases WHERE sweep_id = ANY($1)', [abandoned.rows.map((r) => r.id)]);
}

/** Ledger and projection activities of the withdrawal workflow; every posting id is derived from the withdrawal. */
export function createWithdrawalStore(pool: Pool) {
  const posting = (w: WithdrawalInput, step: string, entries: Array<{ account: Account; amount: bigint }>) => ({
    txnId: `withdrawal:${w.id}:${step}`,
    merchantId: w.merchantId,
    livemode: w.livemode,
    network: w.network,
    currency: w.currency,
    refType: 'withdrawal',
    refId: w.id,
    entries,
  });

  return {
    /**
     * Moves the amount from available to reserved if, and only if, the available balance covers
     * it. The check and the posting happen under the balance's lock in one transaction, so two
     * concurrent withdrawals can never both spend the same money.
     */
    async reserveWithdrawal(w: WithdrawalInput): Promise<{ reserved: boolean }> {
      return inTransaction(pool, async (db) => {
        await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [balanceLockKey(w)]);
        const done = await db.query('SELECT 1 FROM ledger_entries WHERE txn_id = $1 LIMIT 1', [`withdrawal:${w.id}:reserve`]);
        if (done.rowCount) return { reserved: true };
        const amount = BigInt(w.amount);
        if ((await availableBalance(db, w)) < amount) return { reserved: false };
        await post(
          db,
          posting(w, 'reserve', [
            { account: Account.available, amount: -amount },
            { account: Account.reserved, amount },
          ]),
        );
        return { reserved: true };
      });
    },

    /** The transfer is confirmed: the reserved money has left to the chain. */
    async completeWithdrawal(w: WithdrawalInput): Promise<void> {
      await inTransaction(pool, async (db) => {
        const amount = BigInt(w.amount);
        await post(
          db,
          posting(w, 'complete', [
            { account: Account.reserved, amount: -amount },
            { account: Account.chainOutflow, amount },
          ]),
        );
        await settlePlan(db, w.id);
      });
    },

    /** The withdrawal failed without sending it: the reserved money is available again, its plan abandoned. */
    async releaseWithdrawal(w: WithdrawalInput): Promise<void> {
      await inTransaction(pool, async (db) => {
        const amount = BigInt(w.amount);
        await post(
          db,
          posting(w, 'release', [
            { account: Account.reserved, amount: -amount },
            { account: Account.available, amount },
          ]),
        );
        await abandonPlan(db, w.id);
      });
    },

    /** A page of the withdrawal's planned sweeps that are not mined yet, in plan order. */
    async listOpenSweeps(input: { withdrawalId: string; limit: number }): Promise<PlannedSweep[]> {
      const rows = await pool.query<{ id: string; from_address: string; derivation_index: number; amount: string }>(
        `SELECT id, from_address, derivation_index, amount::text FROM sweeps WHERE withdrawal_id = $1 AND NOT mined
         ORDER BY created_at, id LIMIT $2`,
        [input.withdrawalId, input.limit],
      );
      return rows.rows.map((s) => ({ id: s.id, from: s.from_address, derivationIndex: s.derivation_index, amount: s.amount }));
    },

    /** A mined sweep (moved or reverted) settles its address: the lease goes, the next plan sees the new balance. */
    async markSweepMined(input: { sweepId: string; reverted: boolean }): Promise<void> {
      await inTransaction(pool, async (db) => {
        await db.query('UPDATE sweeps SET mined = true, reverted = $2 WHERE id = $1', [input.sweepId, input.reverted]);
        await db.query('DELETE FROM address_leases WHERE sweep_id = $1', [input.sweepId]);
      });
    },

    /** Books the gas of one mined transaction (native coin) against Settle, once per purpose. */
    async recordGasSpent(input: {
      purpose: string;
      withdrawal: WithdrawalInput;
      nativeSymbol: string;
      gasCost: string;
    }): Promise<void> {
      const w = input.withdrawal;
      const cost = BigInt(input.gasCost);
      await inTransaction(pool, (db) =>
        post(db, {
          txnId: `gas:${input.purpose}`,
          merchantId: w.merchantId,
          livemode: w.livemode,
          network: w.network,
          currency: input.nativeSymbol,
          refType: 'withdrawal',
          refId: w.id,
          entries: [
            { account: Account.gas, amount: -cost },
            { account: Account.networkFees, amount: cost },
          ],
        }),
      );
    },

    /**
     * Records a refused withdrawal only where the API already announced it as pending (a 202);
     * a refusal answered synchronously leaves nothing behind.
     */
    async rejectAnnouncedWithdrawal(s: WithdrawalSnapshot): Promise<void> {
      await pool.query(
        `UPDATE withdrawals SET status = $2, version = $3, snapshot = $4, updated_at = now() WHERE id = $1 AND version < $3`,
        [s.id, s.status, s.version, s],
      );
    },

    async saveWithdrawal(s: WithdrawalSnapshot): Promise<void> {
      await pool.query(
        `INSERT INTO withdrawals (id, merchant_id, livemode, network, currency, amount, to_address, status, tx_hash, created_at, version, snapshot)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, tx_hash = EXCLUDED.tx_hash, version = EXCLUDED.version,
           snapshot = EXCLUDED.snapshot, updated_at = now()
         WHERE withdrawals.version < EXCLUDED.version`,
        [
          s.id,
          s.merchantId,
          s.livemode,
          s.network,
          s.currency,
          s.amount,
          s.toAddress.toLowerCase(),
          s.status,
          s.txHash,
          s.createdAt,
          s.version,
          s,
        ],
      );
    },
  };
}
