import { ApplicationFailure } from '@temporalio/common';
import { Contract } from 'ethers';
import type { Pool, PoolClient } from 'pg';
import { type SweepPlan, SweepPlanFailure, type WithdrawalInput } from '../../domain/withdrawals';
import { erc20Interface } from '../chain/erc20';
import type { ChainProviders } from '../chain/providers';
import { inTransaction } from '../db/pool';
import type { HdWallet } from './hd-wallet';
import { ensureHotAddress } from './hot-wallet';

/**
 * Decides, once per withdrawal, which deposit addresses give how many tokens to the hot address so
 * it can send the withdrawal. Runs under a lock per hot address and records the plan before
 * releasing it, so concurrent withdrawals never plan with the same tokens.
 *
 * Free tokens on the hot address = on-chain balance − outflows other unsettled withdrawals planned.
 * In-flight sweeps into it are deliberately not added: a sweep that was mined but not yet marked
 * would be counted twice. A negative result only means earlier plans' sweeps are still in flight;
 * they cover those plans exactly, so this plan asks for its own amount.
 *
 * Free tokens on a deposit address = min(completed deposits − everything swept from it (the
 * projection), on-chain balance − sweeps from it not yet mined). Both are conservative.
 *
 * Each planned sweep takes its address's whole free balance and leases the address until the sweep
 * is mined or abandoned: an address has one owner at a time, so two withdrawals never sign sweeps
 * from it against the same balance and gas.
 */
export function createPlanSweep(pool: Pool, chains: ChainProviders, wallet: HdWallet) {
  return async function planSweep(w: WithdrawalInput): Promise<SweepPlan> {
    const provider = chains.get(w.network);
    const contract = w.contract;
    const balanceOf = contract
      ? async (address: string) =>
          (await new Contract(contract, erc20Interface, provider).getFunction('balanceOf')(address)) as bigint
      : (address: string) => provider.getBalance(address);

    return inTransaction(pool, async (db) => {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `hot:${w.merchantId}:${w.livemode}:${w.network}:${w.currency}`,
      ]);
      const hotAddress = await ensureHotAddress(db, wallet, w.merchantId, w.livemode, w.network);
      const existing = await readPlan(db, w.id);
      if (existing) return { hotAddress, sweeps: existing };

      const committed = await db.query<{ sum: string }>(
        `SELECT coalesce(sum(amount), 0)::text AS sum FROM withdrawal_plans
         WHERE merchant_id = $1 AND livemode = $2 AND network = $3 AND currency = $4 AND NOT settled`,
        [w.merchantId, w.livemode, w.network, w.currency],
      );
      // The hot address's native coin is Settle's gas money, never the merchant's: native withdrawals sweep it all.
      const freeOnHot = contract ? (await balanceOf(hotAddress)) - BigInt(committed.rows[0]!.sum) : 0n;
      let need = BigInt(w.amount) - (freeOnHot > 0n ? freeOnHot : 0n);

      await db.query(
        `INSERT INTO withdrawal_plans (withdrawal_id, merchant_id, livemode, network, currency, hot_address, amount)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [w.id, w.merchantId, w.livemode, w.network, w.currency, hotAddress.toLowerCase(), w.amount],
      );
      if (need <= 0n) return { hotAddress, sweeps: [] };

      const candidates = await db.query<{
        address: string;
        derivation_index: number;
        projected: string;
        unmined: string;
        leased: boolean;
      }>(
        `SELECT address, derivation_index, projected::text, unmined::text, leased FROM (
           SELECT a.address, a.derivation_index,
             d.received - coalesce((SELECT sum(s.amount) FROM sweeps s
                WHERE s.network = a.network AND s.from_address = a.address AND s.currency = $4 AND NOT s.reverted), 0) AS projected,
             coalesce((SELECT sum(s.amount) FROM sweeps s
                WHERE s.network = a.network AND s.from_address = a.address AND s.currency = $4 AND NOT s.mined), 0) AS unmined,
             EXISTS (SELECT 1 FROM address_leases l WHERE l.network = a.network AND l.address = a.address) AS leased
           FROM (SELECT to_address, sum(amount) AS received FROM deposits
                 WHERE merchant_id = $1 AND livemode = $2 AND network = $3 AND currency = $4 AND status = 'completed'
                 GROUP BY to_address) d
           JOIN addresses a ON a.network = $3 AND a.address = d.to_address AND a.owner_type <> 'hot'
         ) c WHERE projected > 0
         ORDER BY c.projected DESC, c.address`,
        [w.merchantId, w.livemode, w.network, w.currency],
      );
      let index = 0;
      let leased = 0;
      for (const c of candidates.rows) {
        if (need <= 0n) break;
        const projected = BigInt(c.projected);
        if (c.leased) {
          leased += 1;
          continue;
        }
        const onChainFree = (await balanceOf(c.address)) - BigInt(c.unmined);
        const free = projected < onChainFree ? projected : onChainFree;
        if (free <= 0n) continue;
        // A token address gives its whole free balance, not just what is missing: the surplus waits on
        // the hot address for later withdrawals, so an address is swept once, not once per withdrawal.
        // Native coin on the hot address is gas money, so a native sweep moves only what is missing.
        const take = contract || free < need ? free : need;
        const sweepId = `${w.id}-sweep-${index}`;
        await db.query(
          `INSERT INTO sweeps (id, withdrawal_id, network, currency, from_address, derivation_index, amount)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [sweepId, w.id, w.network, w.currency, c.address, c.derivation_index, take.toString()],
        );
        if (!(await claimAddress(db, w, sweepId, c.address))) {
          await db.query('DELETE FROM sweeps WHERE id = $1', [sweepId]);
          leased += 1;
          continue;
        }
        index += 1;
        need -= take < need ? take : need;
      }
      // Rolls the plan back, leases included: the ledger said the money is there, so either another
      // withdrawal owns the addresses that hold it until its sweeps are mined, or the chain view is
      // only lagging (deposits still confirming in the projection, sweeps not yet marked). A retry looks again.
      if (need > 0n && leased > 0)
        throw ApplicationFailure.retryable(
          `${leased} deposit addresses are being swept by other withdrawals; ${need} base units short for ${w.id}`,
          SweepPlanFailure.addressesLeased,
        );
      if (need > 0n)
        throw ApplicationFailure.retryable(
          `deposit addresses are short of ${need} base units for ${w.id}`,
          SweepPlanFailure.shortfall,
        );
      return { hotAddress, sweeps: (await readPlan(db, w.id)) ?? [] };
    });
  };
}

/**
 * Takes the address's lease for one sweep. The primary key makes it atomic across plans of every
 * currency (they hold different planning locks); a plan that loses the race skips the address.
 */
async function claimAddress(db: PoolClient, w: WithdrawalInput, sweepId: string, address: string): Promise<boolean> {
  const claimed = await db.query(
    `INSERT INTO address_leases (network, address, sweep_id, withdrawal_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING`,
    [w.network, address, sweepId, w.id],
  );
  return claimed.rowCount === 1;
}

async function readPlan(db: PoolClient, withdrawalId: string) {
  const plan = await db.query('SELECT 1 FROM withdrawal_plans WHERE withdrawal_id = $1', [withdrawalId]);
  if (!plan.rowCount) return undefined;
  const sweeps = await db.query<{ id: string; from_address: string; derivation_index: number; amount: string }>(
    'SELECT id, from_address, derivation_index, amount FROM sweeps WHERE withdrawal_id = $1 ORDER BY id',
    [withdrawalId],
  );
  return sweeps.rows.map((s) => ({ id: s.id, from: s.from_address, derivationIndex: s.derivation_index, amount: s.amount }));
}
