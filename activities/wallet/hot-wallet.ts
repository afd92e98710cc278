import { getAddress } from 'ethers';
import type { Pool, PoolClient } from 'pg';
import type { HdWallet } from './hd-wallet';
import { walletAccount } from './wallet-account';

/** Derivation index of a merchant's hot (sending) address in each mode. */
export const HOT_INDEX = 0;

/**
 * Registers and returns the merchant's hot address on a network. It is in `addresses` (owner
 * type 'hot') so the chain watcher can tell Settle's own sweeps and gas top-ups from payments.
 */
export async function ensureHotAddress(
  db: Pool | PoolClient,
  wallet: HdWallet,
  merchantId: string,
  livemode: boolean,
  network: string,
): Promise<string> {
  const address = wallet.address(await walletAccount(db, merchantId), livemode, HOT_INDEX).toLowerCase();
  await db.query(
    `INSERT INTO addresses (network, address, merchant_id, livemode, derivation_index, owner_type, owner_id)
     VALUES ($1, $2, $3, $4, $5, 'hot', $6) ON CONFLICT DO NOTHING`,
    [network, address, merchantId, livemode, HOT_INDEX, `${merchantId}:${livemode ? 'live' : 'test'}`],
  );
  return getAddress(address);
}
