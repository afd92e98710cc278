import { Contract } from 'ethers';
import type { Pool } from 'pg';
import { expectedOnChain, type BalanceCheck } from '../../domain/reconciliation';
import { erc20Interface } from '../chain/erc20';
import type { ChainProviders } from '../chain/providers';
import { Account, HELD_ACCOUNTS } from '../db/ledger';

/** Balance reads in flight at once: enough to be quick, few enough not to trip an RPC's rate limit. */
const READS_AT_ONCE = 8;

/**
 * Reads every merchant's addresses on `network` at the block the chain watcher has scanned to (so
 * every transfer up to it is known to Settle) and sets the sum, per currency, against the ledger:
 * deposits still confirming are on chain but not yet credited, withdrawals mined but not yet
 * confirmed are gone but not yet booked out.
 */
export function createReconcileBalances(pool: Pool, chains: ChainProviders) {
  return async function reconcileBalances(network: string): Promise<BalanceCheck[]> {
    const config = chains.network(network);
    const provider = chains.get(network);
    const cursor = await pool.query<{ next_block: string }>('SELECT next_block FROM chain_cursors WHERE network = $1', [network]);
    if (!cursor.rowCount) return [];
    const blockNumber = Math.min(Number(cursor.rows[0]!.next_block) - 1, await provider.getBlockNumber());

    // Addresses that can hold anything: hot addresses, and those that ever received a deposit.
    const addresses = await pool.query<{ merchant_id: string; address: string }>(
      `SELECT a.merchant_id, a.address FROM addresses a WHERE a.network = $1
       AND (a.owner_type = 'hot' OR EXISTS (SELECT 1 FROM deposits d WHERE d.network = a.network AND lower(d.to_address) = a.address))`,
      [network],
    );
    const ledger = await pool.query<{ merchant_id: string; currency: string; account: string; sum: string }>(
      `SELECT merchant_id, currency, account, sum(amount)::text AS sum FROM ledger_entries WHERE network = $1
       GROUP BY merchant_id, currency, account`,
      [network],
    );
    const confirmingIn = await pool.query<{ merchant_id: string; currency: string; sum: string }>(
      `SELECT merchant_id, currency, sum(amount)::text AS sum FROM deposits
       WHERE network = $1 AND status IN ('detected', 'confirming') AND block_number <= $2 GROUP BY merchant_id, currency`,
      [network, blockNumber],
    );
    const confirmingOut = await minedWithdrawalsNotBooked(pool, chains, network, blockNumber);
    // Test-mode gas refills are booked once final; until then one already mined is on chain only.
    confirmingIn.rows.push(...(await minedRefillsNotBooked(pool, chains, network, blockNumber)));

    const currencies = [
      { symbol: config.native.symbol, read: (a: string) => provider.getBalance(a, blockNumber) },
      ...config.tokens.map((t) => {
        const token = new Contract(t.address, erc20Interface, provider);
        return {
          symbol: t.symbol,
          read: async (a: string) => (await token.getFunction('balanceOf')(a, { blockTag: blockNumber })) as bigint,
        };
      }),
    ];
    const byMerchant = new Map<string, string[]>();
    for (const r of addresses.rows) byMerchant.set(r.merchant_id, [...(byMerchant.get(r.merchant_id) ?? []), r.address]);
    const sum = (rows: Array<{ merchant_id: string; currency: string; sum: string }>, m: string, c: string) =>
      rows.filter((r) => r.merchant_id === m && r.currency === c).reduce((s, r) => s + BigInt(r.sum), 0n);
    const book = (m: string, c: string, accounts: readonly string[]) =>
      sum(
        ledger.rows.filter((r) => accounts.includes(r.account)),
        m,
        c,
      );

    const checks: BalanceCheck[] = [];
    for (const [merchantId, owned] of byMerchant) {
      for (const [i, currency] of currencies.entries()) {
        const balances = await inBatches(owned, READS_AT_ONCE, currency.read);
        const position = {
          held: book(merchantId, currency.symbol, HELD_ACCOUNTS),
          gas: book(merchantId, currency.symbol, [Account.gas]),
          confirmingIn: sum(confirmingIn.rows, merchantId, currency.symbol),
          confirmingOut: sum(confirmingOut, merchantId, currency.symbol),
        };
        checks.push({
          network,
          merchantId,
          currency: currency.symbol,
          blockNumber,
          addresses: owned.length,
          onChain: balances.reduce((s, b) => s + b, 0n).toString(),
          expected: expectedOnChain(position, i === 0).toString(),
        });
      }
    }
    return checks;
  };
}

/** Withdrawals whose transfer (any fee-bumped attempt) is mined by `blockNumber` but not yet booked as sent. */
async function minedWithdrawalsNotBooked(pool: Pool, chains: ChainProviders, network: string, blockNumber: number) {
  const inFlight = await pool.query<{ merchant_id: string; currency: string; amount: string; tx_hash: string }>(
    `SELECT w.merchant_id, w.currency, w.amount::text, t.tx_hash FROM withdrawals w
     JOIN signed_transactions t ON t.purpose = 'withdrawal:' || w.id || ':transfer'
     WHERE w.network = $1 AND w.status IN ('signing', 'broadcast', 'confirming')
       AND NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.txn_id = 'withdrawal:' || w.id || ':complete')`,
    [network],
  );
  const mined = await minedBy(
    chains,
    network,
    blockNumber,
    inFlight.rows.map((w) => ({ ...w, hash: w.tx_hash })),
  );
  return mined.map((w) => ({ merchant_id: w.merchant_id, currency: w.currency, sum: w.amount }));
}

/** Faucet refills mined by `blockNumber` but not yet final, so not yet booked as gas money. */
async function minedRefillsNotBooked(pool: Pool, chains: ChainProviders, network: string, blockNumber: number) {
  const open = await pool.query<{ merchant_id: string; currency: string; amount: string; hash: string }>(
    `SELECT merchant_id, currency, amount::text, hash FROM faucet_refills WHERE network = $1 AND outcome IS NULL`,
    [network],
  );
  const mined = await minedBy(chains, network, blockNumber, open.rows);
  return mined.map((r) => ({ merchant_id: r.merchant_id, currency: r.currency, sum: r.amount }));
}

/** The transactions whose successful receipt is in a block up to `blockNumber`. */
async function minedBy<T extends { hash: string }>(chains: ChainProviders, network: string, blockNumber: number, txs: T[]) {
  const provider = chains.get(network);
  const mined = await inBatches(txs, READS_AT_ONCE, async (t) => {
    const receipt = await provider.getTransactionReceipt(t.hash);
    return receipt && receipt.status === 1 && receipt.blockNumber <= blockNumber ? t : undefined;
  });
  return mined.filter((t) => t !== undefined);
}

async function inBatches<T, R>(items: T[], size: number, read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(read))));
  return results;
}
