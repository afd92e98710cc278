import { getAddress } from 'ethers';
import type { Pool } from 'pg';
import { inTransaction } from '../db/pool';
import type { HdWallet } from './hd-wallet';
import { walletAccount } from './wallet-account';

export interface AllocateAddressInput {
  merchantId: string;
  livemode: boolean;
  ownerType: 'invoice' | 'customer';
  ownerId: string;
  /** One EVM address serves all these networks; it is registered (and watched) on each. */
  networks: string[];
}

/**
 * Gives an owner (invoice or customer) its own derived address. Idempotent: a retry finds the
 * address the first attempt registered instead of burning a new index.
 */
export function createAllocateAddress(pool: Pool, wallet: HdWallet) {
  return async function allocateAddress(input: AllocateAddressInput): Promise<string> {
    // Stored lower-case (the watcher's lookup key); returned EIP-55 checksummed for display.
    return inTransaction(pool, async (db) => {
      const existing = await db.query<{ address: string; derivation_index: number }>(
        'SELECT address, derivation_index FROM addresses WHERE owner_type = $1 AND owner_id = $2 LIMIT 1',
        [input.ownerType, input.ownerId],
      );
      let address: string;
      let index: number;
      if (existing.rows[0]) {
        ({ address, derivation_index: index } = existing.rows[0]);
      } else {
        const account = await walletAccount(db, input.merchantId);
        const counter = await db.query<{ index: number }>(
          `INSERT INTO wallet_counters (merchant_id, livemode, next_index) VALUES ($1, $2, 2)
           ON CONFLICT (merchant_id, livemode) DO UPDATE SET next_index = wallet_counters.next_index + 1
           RETURNING next_index - 1 AS index`,
          [input.merchantId, input.livemode],
        );
        index = counter.rows[0]!.index;
        address = wallet.address(account, input.livemode, index).toLowerCase();
      }
      for (const network of input.networks) {
        await db.query(
          `INSERT INTO addresses (network, address, merchant_id, livemode, derivation_index, owner_type, owner_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
          [network, address, input.merchantId, input.livemode, index, input.ownerType, input.ownerId],
        );
      }
      return getAddress(address);
    });
  };
}
