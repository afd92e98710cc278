import { type JsonRpcProvider, Transaction, Wallet } from 'ethers';
import type { Pool, PoolClient } from 'pg';
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
 * Sends a test-mode gas refill from the local faucet and books it as Settle's gas money, so the
 * ledger's native coin equals the chain's. Refills of every merchant share the faucet's nonces:
 * one at a time (a PostgreSQL lock across workers), each booked under the nonce it was sent with.
 * The node handing out a nonce again means the refill once sent with it is gone (a reorg dropped
 * it), so that refill's booking is voided and this one booked: per nonce, exactly the refill the
 * chain can hold is on the books, whichever merchant it went to. The booking commits only once the
 * node has accepted the refill.
 */
export async function sendFaucetRefill(pool: Pool, provider: JsonRpcProvider, refill: FaucetRefill): Promise<string> {
  const faucet = new Wallet(LOCAL_FAUCET_KEY, provider);
  const faucetAddress = faucet.address.toLowerCase();
  return inTransaction(pool, async (db) => {
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`faucet:${refill.network}:${faucetAddress}`]);
    const nonce = await provider.getTransactionCount(faucet.address, 'pending');
    const signed = await faucet.signTransaction(await faucet.populateTransaction({ to: refill.to, value: refill.amount, nonce }));
    const hash = Transaction.from(signed).hash!.toLowerCase();
    const key = `gas-funding:${refill.network}:${faucetAddress}:${nonce}`;
    for (const stale of await liveBookings(db, key)) {
      if (stale.ref_id !== hash) await voidBooking(db, stale, refill);
    }
    await post(db, {
      txnId: `${key}:${hash}`,
      merchantId: refill.merchantId,
      livemode: refill.livemode,
      network: refill.network,
      currency: refill.currency,
      refType: 'gas_funding',
      refId: hash,
      entries: [
        { account: Account.gasFunding, amount: -refill.amount },
        { account: Account.gas, amount: refill.amount },
      ],
    });
    try {
      await provider.broadcastTransaction(signed);
    } catch (err) {
      // The same refill sent before a crash: the node has it, the booking above is its own.
      if (!isAlreadyKnown(err)) throw err;
    }
    return hash;
  });
}

interface Booking {
  txn_id: string;
  ref_id: string;
  merchant_id: string;
  livemode: boolean;
  amount: string;
}

/** Bookings of refills sent with this nonce (keys `<key>` and `<key>:<hash>`) not voided since. */
async function liveBookings(db: PoolClient, key: string): Promise<Booking[]> {
  const rows = await db.query<Booking>(
    `SELECT b.txn_id, b.ref_id, b.merchant_id, b.livemode, b.amount::text AS amount
       FROM ledger_entries b
      WHERE b.ref_type = 'gas_funding' AND b.account = $2 AND (b.txn_id = $1 OR b.txn_id LIKE $1 || ':%')
        AND NOT EXISTS (SELECT 1 FROM ledger_entries v WHERE v.ref_type = 'gas_funding_void' AND v.ref_id = b.txn_id)`,
    [key, Account.gas],
  );
  return rows.rows;
}

async function voidBooking(db: PoolClient, booking: Booking, refill: FaucetRefill): Promise<void> {
  const amount = BigInt(booking.amount);
  await post(db, {
    txnId: `gas-funding-void:${booking.txn_id}`,
    merchantId: booking.merchant_id,
    livemode: booking.livemode,
    network: refill.network,
    currency: refill.currency,
    refType: 'gas_funding_void',
    refId: booking.txn_id,
    entries: [
      { account: Account.gasFunding, amount },
      { account: Account.gas, amount: -amount },
    ],
  });
}
