import type { Pool, PoolClient } from 'pg';
import type { NetworkConfig } from '../../domain/networks';
import type { WithdrawalInput } from '../../domain/withdrawals';
import { erc20Interface } from '../chain/erc20';
import { Account } from '../db/ledger';
import type { ChainProviders } from '../chain/providers';
import { capFees, currentFees, estimateGasLimit, NATIVE_TRANSFER_GAS, networkFeeCeiling } from './fees';

/**
 * The gas policy's cap on one withdrawal's gas (`maxGasSpendPerWithdrawal`). A withdrawal's
 * worst-case spend is what its transactions cost (booked once confirmed) or could cost at most:
 * gas limit × max fee per gas of each one's newest attempt (attempts share a nonce, so one of them
 * is mined), plus, for the transactions not signed yet, the gas they will need at the fee they
 * would be signed at.
 */
export interface GasSpend {
  /** Worst case of the signed transactions. */
  committed: bigint;
  /** Gas of the transactions still to sign: each open sweep's transfer and gas top-up, and the withdrawal's own transfer. */
  unsignedGas: bigint;
}

export interface GasPolicyCheck {
  fits: boolean;
  /** Native base units; null when the network sets no cap. */
  worstCase: string | null;
  cap: string | null;
}

/** The withdrawal a transaction belongs to (its own transfer, or a sweep's transfer or top-up); payouts have none. */
async function withdrawalOfPurpose(db: Pool | PoolClient, purpose: string): Promise<string | undefined> {
  const own = /^withdrawal:(.+):transfer$/.exec(purpose);
  if (own) return own[1];
  const sweep = /^sweep:(.+):(transfer|gas)$/.exec(purpose);
  if (!sweep) return undefined;
  const row = await db.query<{ withdrawal_id: string }>(
    'SELECT s.withdrawal_id FROM sweeps s JOIN withdrawals w ON w.id = s.withdrawal_id WHERE s.id = $1',
    [sweep[1]],
  );
  return row.rows[0]?.withdrawal_id;
}

/**
 * What a withdrawal has committed to gas and what it still needs, leaving out `except` (the
 * transaction being priced). A transfer not signed yet needs as much gas as the largest one signed,
 * or `transferGas` before any is: sweeps and the withdrawal's own transfer are the same call.
 */
async function gasSpendOf(
  db: Pool | PoolClient,
  withdrawalId: string,
  opts: { except?: string; transferGas: bigint },
): Promise<GasSpend> {
  const sweeps = await db.query<{ id: string; mined: boolean }>('SELECT id, mined FROM sweeps WHERE withdrawal_id = $1', [
    withdrawalId,
  ]);
  const own = `withdrawal:${withdrawalId}:transfer`;
  const purposes = [own, ...sweeps.rows.flatMap((s) => [`sweep:${s.id}:transfer`, `sweep:${s.id}:gas`])];
  // A transaction confirmed deep enough has its gas booked: what it cost replaces what it could have.
  const signed = await db.query<{ purpose: string; gas_limit: string; worst: string }>(
    `SELECT DISTINCT ON (t.purpose) t.purpose, t.gas_limit::text,
       coalesce((SELECT e.amount FROM ledger_entries e WHERE e.txn_id = 'gas:' || t.purpose AND e.account = $2),
                t.gas_limit * t.max_fee_per_gas)::text AS worst
     FROM signed_transactions t WHERE t.purpose = ANY($1) ORDER BY t.purpose, t.attempt DESC`,
    [purposes, Account.networkFees],
  );
  const known = new Set(signed.rows.map((r) => r.purpose));
  if (opts.except) known.add(opts.except);
  let committed = 0n;
  let transferGas = opts.transferGas;
  for (const r of signed.rows) {
    if (r.purpose === opts.except) continue;
    committed += BigInt(r.worst);
    if (r.purpose.endsWith(':transfer') && BigInt(r.gas_limit) > transferGas) transferGas = BigInt(r.gas_limit);
  }
  let unsignedGas = known.has(own) ? 0n : transferGas;
  // A mined sweep (or one abandoned) signs nothing more; an open one may still need a top-up.
  for (const s of sweeps.rows.filter((s) => !s.mined)) {
    if (!known.has(`sweep:${s.id}:transfer`)) unsignedGas += transferGas;
    if (!known.has(`sweep:${s.id}:gas`)) unsignedGas += NATIVE_TRANSFER_GAS;
  }
  return { committed, unsignedGas };
}

/** The highest fee per gas at which a transaction of `gasLimit` and everything else left to sign fit in what the cap leaves. */
export const feePerGasWithin = (cap: bigint, spend: GasSpend, gasLimit: bigint): bigint =>
  cap <= spend.committed ? 0n : (cap - spend.committed) / (gasLimit + spend.unsignedGas);

/**
 * The highest fee per gas a transaction (first attempt or replacement) of `gasLimit` may offer so
 * that its withdrawal's worst-case spend stays within the network's cap; undefined when no cap
 * applies. Takes the withdrawal's budget lock: in a DB transaction, concurrent signings of one
 * withdrawal are priced one at a time.
 */
export async function withdrawalFeeCeiling(
  db: Pool | PoolClient,
  network: NetworkConfig,
  purpose: string,
  gasLimit: bigint,
): Promise<bigint | undefined> {
  if (network.maxGasSpendPerWithdrawal === undefined) return undefined;
  const withdrawalId = await withdrawalOfPurpose(db, purpose);
  if (!withdrawalId) return undefined;
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`gas-budget:${withdrawalId}`]);
  const spend = await gasSpendOf(db, withdrawalId, { except: purpose, transferGas: gasLimit });
  return feePerGasWithin(BigInt(network.maxGasSpendPerWithdrawal), spend, gasLimit);
}

export function createGasPolicy(pool: Pool, chains: ChainProviders) {
  /** The gas a withdrawal's transfers need: the first planned sweep's, or the withdrawal's own when nothing is swept. */
  async function transferGas(w: WithdrawalInput): Promise<bigint> {
    if (!w.contract) return NATIVE_TRANSFER_GAS;
    const plan = await pool.query<{ hot_address: string; from_address: string | null; amount: string | null }>(
      `SELECT p.hot_address, s.from_address, s.amount::text FROM withdrawal_plans p
       LEFT JOIN LATERAL (SELECT from_address, amount FROM sweeps WHERE withdrawal_id = p.withdrawal_id AND NOT mined
                          ORDER BY created_at, id LIMIT 1) s ON true
       WHERE p.withdrawal_id = $1`,
      [w.id],
    );
    const row = plan.rows[0];
    if (!row) throw new Error(`withdrawal ${w.id} has no plan`);
    const [from, recipient, amount] = row.from_address
      ? [row.from_address, row.hot_address, row.amount!]
      : [row.hot_address, w.toAddress, w.amount];
    const data = erc20Interface.encodeFunctionData('transfer', [recipient, BigInt(amount)]);
    return estimateGasLimit(chains.get(w.network), { from, to: w.contract, data, value: 0n });
  }

  /**
   * Before a withdrawal signs anything: does its worst case (every planned sweep with a gas top-up,
   * and the transfer, at the fee it would be signed at now) fit the network's cap? Signing and fee
   * bumps then keep it within the cap (withdrawalFeeCeiling).
   */
  async function checkGasPolicy(w: WithdrawalInput): Promise<GasPolicyCheck> {
    const network = chains.network(w.network);
    if (network.maxGasSpendPerWithdrawal === undefined) return { fits: true, worstCase: null, cap: null };
    const cap = BigInt(network.maxGasSpendPerWithdrawal);
    const [fees, gas] = await Promise.all([
      currentFees(chains.get(w.network)).then((f) => capFees(f, networkFeeCeiling(network))),
      transferGas(w),
    ]);
    const spend = await gasSpendOf(pool, w.id, { transferGas: gas });
    const worstCase = spend.committed + spend.unsignedGas * fees.maxFee;
    return { fits: worstCase <= cap, worstCase: worstCase.toString(), cap: cap.toString() };
  }

  return { checkGasPolicy };
}
