import type { Pool } from 'pg';

/**
 * Whether a native-coin payment can be expected on a network: some customer's address is on it
 * (customers accept every currency) or some invoice on it is priced in the native coin. Only then
 * does the watcher read blocks with their transactions; otherwise headers and token logs suffice.
 * Asked after the watcher reads the head and before it reads blocks: an address is handed out only
 * once its invoice or customer row is committed, so no block up to that head can pay an address
 * this answer missed.
 */
export async function nativeCoinWatched(pool: Pool, network: string, nativeSymbol: string): Promise<boolean> {
  const row = await pool.query<{ watched: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM addresses WHERE owner_type = 'customer' AND network = $1)
         OR EXISTS (SELECT 1 FROM invoices WHERE network = $1 AND currency = $2) AS watched`,
    [network, nativeSymbol],
  );
  return row.rows[0]!.watched;
}
