import type { Provider } from 'ethers';
import type { Pool } from 'pg';

/** The node's clock and the database's may disagree; the first read starts this much earlier. */
const CLOCK_SLACK_MS = 5 * 60_000;

/**
 * The furthest back a network's first read goes. Addresses allocated long before their network is
 * first read (a network watched late in a long-running deployment) do not make it rescan months;
 * a payment older than this shows as a reconciliation mismatch for the operator, not as a deposit.
 */
export const FIRST_READ_LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * The block a network's first read starts at: the first block mined since the network's earliest
 * Settle address was allocated. Addresses are handed out (invoices, customers) before the watcher
 * has read the chain once when its node is out of reach at deployment, and a payment to one mined
 * in that time is in a block below the head of the first read. With no address yet, nothing older
 * can pay Settle, and the first read starts at the head.
 */
export async function firstReadBlock(pool: Pool, provider: Provider, network: string, head: number): Promise<number> {
  const row = await pool.query<{ earliest: Date | null }>(
    'SELECT min(created_at) AS earliest FROM addresses WHERE network = $1',
    [network],
  );
  const earliest = row.rows[0]?.earliest;
  if (!earliest) return head;
  const headTime = await blockTimeMs(provider, head);
  const since = Math.max(earliest.getTime() - CLOCK_SLACK_MS, headTime - FIRST_READ_LOOKBACK_MS);
  if (headTime < since) return head;
  // Block timestamps only grow along a chain: the first block at or after `since`, in log2(head) reads.
  let low = 0;
  let high = head;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if ((await blockTimeMs(provider, middle)) >= since) high = middle;
    else low = middle + 1;
  }
  return low;
}

async function blockTimeMs(provider: Provider, number: number): Promise<number> {
  const block = await provider.getBlock(number);
  // A backend behind a balancer that has not got this block yet: the scan's retry asks again.
  if (!block) throw new Error(`block ${number} is not served yet`);
  return block.timestamp * 1000;
}
