import type { PoolClient } from 'pg';

/** Ledger accounts. Merchant-side accounts hold the merchant's money; the others are counterparties. */
export const Account = {
  /** Money the merchant can withdraw. */
  available: 'merchant:available',
  /** Money held for withdrawals in flight. */
  reserved: 'merchant:reserved',
  /** Counterparty of every deposit: money that arrived from the chain (so it runs negative). */
  chainInflow: 'external:chain_inflow',
  /** Counterparty of every sent withdrawal and gas spend. */
  chainOutflow: 'external:chain_outflow',
  /** Settle's service fees. */
  fees: 'settle:fees',
  /**
   * Gas Settle paid for sweeps, gas top-ups and withdrawal transfers, in the network's native coin
   * (runs negative). Settle absorbs it: merchants hold tokens, not the coin gas is paid in.
   */
  gas: 'settle:gas',
  /** Counterparty of gas spending: native coin paid to the network's validators. */
  networkFees: 'external:network_fees',
  /** Counterparty of native coin put on a hot address to pay gas (the test faucet, an operator's top-up). */
  gasFunding: 'external:gas_funding',
} as const;
export type Account = (typeof Account)[keyof typeof Account];

/** Accounts whose money sits on the merchant's own addresses until it is withdrawn (fees included, until collected). */
export const HELD_ACCOUNTS: readonly Account[] = [Account.available, Account.reserved, Account.fees];

export interface Posting {
  txnId: string;
  merchantId: string;
  livemode: boolean;
  network: string;
  currency: string;
  refType: string;
  refId: string;
  entries: Array<{ account: Account; amount: bigint }>;
}

/**
 * Appends one balanced posting. Returns false when the posting already exists (a retry), so the
 * caller can tell "credited now" from "credited before" without double-counting.
 */
export async function post(db: PoolClient, p: Posting): Promise<boolean> {
  const sum = p.entries.reduce((acc, e) => acc + e.amount, 0n);
  if (sum !== 0n) throw new Error(`posting ${p.txnId} is unbalanced by ${sum}`);
  const existing = await db.query('SELECT 1 FROM ledger_entries WHERE txn_id = $1 LIMIT 1', [p.txnId]);
  if (existing.rowCount) return false;
  for (const e of p.entries.filter((x) => x.amount !== 0n)) {
    await db.query(
      `INSERT INTO ledger_entries (txn_id, merchant_id, livemode, network, currency, account, amount, ref_type, ref_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
      [p.txnId, p.merchantId, p.livemode, p.network, p.currency, e.account, e.amount.toString(), p.refType, p.refId],
    );
  }
  return true;
}
