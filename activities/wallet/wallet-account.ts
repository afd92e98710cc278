import type { Pool, PoolClient } from 'pg';
import type { DerivationScheme, WalletAccount } from './hd-wallet';

/** The merchant's BIP44 account and derivation scheme, which together place every key it has. */
export async function walletAccount(db: Pool | PoolClient, merchantId: string): Promise<WalletAccount> {
  const row = await db.query<{ account_index: number; derivation_scheme: DerivationScheme }>(
    'SELECT account_index, derivation_scheme FROM merchants WHERE id = $1',
    [merchantId],
  );
  if (!row.rows[0]) throw new Error(`unknown merchant ${merchantId}`);
  return { index: row.rows[0].account_index, scheme: row.rows[0].derivation_scheme };
}
