import { type JsonRpcProvider, Transaction, Wallet } from 'ethers';
import type { Pool } from 'pg';
import { LOCAL_FAUCET_KEY } from '../../domain/local-faucet';
import { Account, post } from '../db/ledger';
import { inTransaction } from '../db/pool';
import { isAlreadyKnown } from '../signing/transactions';

export interface FaucetRefill {
  network: string;
  currency: string;
  merchantId: string;
  livemode: boolean;
  to: string;
  amount: bigint;
}

/**
 * Sends a test-mode gas refill from the local faucet. It is recorded (committed) before it is sent,
 * so a refill whose send failed halfway (a dropped connection, a crash) is still known, and booked
 * only by `settleFaucetRefills` once the chain holds it for good: the ledger's native coin follows
 * what the chain keeps, whatever reorgs, retries or other merchants' refills did to the faucet's
 * nonces. Refills go one at a time across workers (a PostgreSQL lock) so they take distinct nonces.
 */
export async function sendFaucetRefill(pool: Pool, provider: JsonRpcProvider, refill: FaucetRefill): Promise<string> {
  const faucet = new Wallet(LOCAL_FAUCET_KEY, provider);
  const faucetAddress = faucet.address.toLowerCase();
  const client = await pool.connect();
  const lock = `faucet:${refill.network}:${faucetAddress}`;
  try {
    // A session lock, not a transaction's: the record must commit before the send, the lock outlast both.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
    const nonce = await provider.getTransactionCount(faucet.address, 'pending');
    const raw = await faucet.signTransaction(await faucet.populateTransaction({ to: refill.to, value: refill.amount, nonce }));
    const hash = Transaction.from(raw).hash!.toLowerCase();
    await client.query(
      `INSERT INTO faucet_refills (hash, network, faucet, nonce, merchant_id, livemode, to_address, amount, currency, raw)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
      [
        hash,
        refill.network,
        faucetAddress,
        nonce,
        refill.merchantId,
        refill.livemode,
        refill.to.toLowerCase(),
        refill.amount.toString(),
        refill.currency,
        raw,
      ],
    );
    await broadcast(provider, raw);
    return hash;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]).catch(() => undefined);
    client.release();
  }
}

interface OpenRefill {
  hash: string;
  network: string;
  faucet: string;
  nonce: string;
  merchant_id: string;
  livemode: boolean;
  amount: string;
  currency: string;
  raw: string;
}

/**
 * Settles the refills sent to `to` that the chain may still take: one `confirmations` deep is booked
 * as Settle's gas money; one whose nonce a final block spent on another transaction is dropped (a
 * reorg removed it and the nonce went on); one the node does not hold is sent again, since the raw
 * transaction is the same one. Returns how many are still open.
 */
export async function settleFaucetRefills(
  pool: Pool,
  provider: JsonRpcProvider,
  target: { network: string; to: string; confirmations: number },
): Promise<number> {
  const open = await pool.query<OpenRefill>(
    `SELECT hash, network, faucet, nonce::text AS nonce, merchant_id, livemode, amount::text AS amount, currency, raw
       FROM faucet_refills WHERE network = $1 AND to_address = $2 AND outcome IS NULL ORDER BY nonce`,
    [target.network, target.to.toLowerCase()],
  );
  if (!open.rowCount) return 0;
  // Anything at or below this block is as deep as the network requires; a node lagging by fewer
  // blocks than that still answers for it.
  const finalBlock = (await provider.getBlockNumber()) - target.confirmations + 1;
  let stillOpen = 0;
  for (const refill of open.rows) {
    const receipt = await provider.getTransactionReceipt(refill.hash);
    if (receipt && receipt.blockNumber <= finalBlock) {
      await book(pool, refill, receipt.status === 1);
      continue;
    }
    if (!receipt && finalBlock >= 0 && (await provider.getTransactionCount(refill.faucet, finalBlock)) > Number(refill.nonce)) {
      await pool.query(`UPDATE faucet_refills SET outcome = 'dropped' WHERE hash = $1 AND outcome IS NULL`, [refill.hash]);
      continue;
    }
    if (!receipt) await broadcast(provider, refill.raw).catch(() => undefined);
    stillOpen++;
  }
  return stillOpen;
}

async function book(pool: Pool, refill: OpenRefill, succeeded: boolean): Promise<void> {
  await inTransaction(pool, async (db) => {
    const closed = await db.query(`UPDATE faucet_refills SET outcome = 'mined' WHERE hash = $1 AND outcome IS NULL`, [
      refill.hash,
    ]);
    // A plain transfer to an address cannot revert; if it ever did, the faucet paid the gas and nothing arrived.
    if (!closed.rowCount || !succeeded) return;
    const amount = BigInt(refill.amount);
    await post(db, {
      txnId: `gas-funding:${refill.network}:${refill.faucet}:${refill.nonce}:${refill.hash}`,
      merchantId: refill.merchant_id,
      livemode: refill.livemode,
      network: refill.network,
      currency: refill.currency,
      refType: 'gas_funding',
      refId: refill.hash,
      entries: [
        { account: Account.gasFunding, amount: -amount },
        { account: Account.gas, amount },
      ],
    });
  });
}

async function broadcast(provider: JsonRpcProvider, raw: string): Promise<void> {
  try {
    await provider.broadcastTransaction(raw);
  } catch (err) {
    // Sent before (a retry, or the node kept it): the chain has it either way.
    if (!isAlreadyKnown(err)) throw err;
  }
}
