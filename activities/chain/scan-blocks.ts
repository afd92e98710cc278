import { Context } from '@temporalio/activity';
import type { JsonRpcProvider, Provider } from 'ethers';
import type { Pool, PoolClient } from 'pg';
import type { DepositInput } from '../../domain/payments';
import { workflowIds } from '../../domain/payments';
import { crashPoint } from '../crash-points';
import { recordSighting } from '../db/deposit-sightings';
import { inTransaction } from '../db/pool';
import { erc20Interface, topicToAddress } from './erc20';
import { fetchBlocks, type ScannedBlock } from './fetch-blocks';
import { firstReadBlock } from './first-read-block';
import { nativeCoinWatched } from './native-watched';
import type { ChainProviders } from './providers';
import { transferLogsOf } from './transfer-logs';

/** Blocks scanned per activity call; bounded so one call stays well inside its timeout. */
const MAX_BLOCKS_PER_SCAN = 200;
/** Blocks read per request batch; the scan checks its budget between batches. */
const FETCH_CHUNK = 25;
/**
 * Wall time one scan spends before it saves what it covered and returns. A slow or failing node
 * makes a scan shorter, never a timed-out one: the watcher's activity timeout is minutes.
 */
export const DEFAULT_SCAN_BUDGET_MS = 30_000;

export interface ScanLimits {
  budgetMs: number;
  /** Tells Temporal a long scan is alive (the watcher sets a heartbeat timeout). */
  heartbeat: () => void;
}
/** Block hashes kept per network for reorg detection; deeper reorgs than this are not expected. */
const KEPT_BLOCKS = 512;

export interface ScanResult {
  from: number;
  to: number;
  head: number;
  caughtUp: boolean;
  depositsStarted: number;
  /** Set when a reorg was found: the first block whose stored hash no longer matched the chain. */
  reorgFrom?: number;
}

interface Candidate {
  txHash: string;
  logIndex: number;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: string;
  from: string;
  to: string;
  contract: string | null;
  amount: bigint;
}

/**
 * One pass of a network's chain watcher: reads new blocks once for every merchant, matches token
 * Transfer logs and native transfers against Settle's addresses, starts a deposit workflow per
 * match, then advances the durable cursor. Starting is idempotent, so a crash between starting
 * and saving the cursor only causes a harmless rescan.
 */
export function createScanBlocks(
  pool: Pool,
  chains: ChainProviders,
  startDeposit: (d: DepositInput) => Promise<void>,
  limits: Partial<ScanLimits> = {},
) {
  const budgetMs = limits.budgetMs ?? DEFAULT_SCAN_BUDGET_MS;
  const heartbeat = limits.heartbeat ?? heartbeatIfActivity;
  return async function scanBlocks(networkId: string): Promise<ScanResult> {
    const deadline = Date.now() + budgetMs;
    const outOfTime = () => Date.now() >= deadline;
    const network = chains.network(networkId);
    const provider = chains.get(networkId);
    const head = await provider.getBlockNumber();
    const cursor = await readCursor(pool, networkId, provider, head);
    if (cursor > head) return { from: cursor, to: head, head, caughtUp: true, depositsStarted: 0 };

    const wanted = Math.min(head, cursor + MAX_BLOCKS_PER_SCAN - 1);
    // Behind a load balancer the backend answering may lag the reported head: scan only the blocks
    // it returned, and only as far as the logs answer provably covers them.
    const withTransactions = network.nativeScan === 'all' || (await nativeCoinWatched(pool, networkId, network.native.symbol));
    let blocks = await fetchBlocksWithin(provider, cursor, wanted, withTransactions, outOfTime, heartbeat);
    // Stopped by the budget rather than by a lagging backend: the watcher must come straight back.
    let cutShort = blocks.length < wanted - cursor + 1 && outOfTime();
    const forkAt = await findFork(pool, networkId, provider, cursor, blocks);
    if (forkAt !== undefined) {
      await rewind(pool, networkId, cursor, forkAt);
      return { from: cursor, to: forkAt - 1, head, caughtUp: false, depositsStarted: 0, reorgFrom: forkAt };
    }
    const contracts = network.tokens.map((t) => t.address.toLowerCase());
    const { logs, coveredBlocks } = await transferLogsOf(provider, contracts, blocks, outOfTime);
    if (coveredBlocks < blocks.length && outOfTime()) cutShort = true;
    blocks = blocks.slice(0, coveredBlocks);
    heartbeat();
    if (!blocks.length) return { from: cursor, to: cursor - 1, head, caughtUp: true, depositsStarted: 0 };
    const timestamps = new Map(blocks.map((b) => [b.number, new Date(b.timestamp * 1000).toISOString()]));

    const candidates: Candidate[] = [];
    for (const log of logs) {
      if (log.removed || log.topics.length !== 3) continue;
      const parsed = erc20Interface.parseLog(log);
      candidates.push({
        txHash: log.transactionHash,
        logIndex: log.index,
        blockNumber: log.blockNumber,
        blockHash: log.blockHash,
        blockTimestamp: timestamps.get(log.blockNumber)!,
        from: topicToAddress(log.topics[1]!),
        to: topicToAddress(log.topics[2]!),
        contract: log.address.toLowerCase(),
        amount: parsed?.args[2] as bigint,
      });
    }
    for (const block of blocks) {
      for (const tx of block.transactions) {
        if (!tx.to || tx.value === 0n) continue;
        candidates.push({
          txHash: tx.hash,
          logIndex: -1,
          blockNumber: block.number,
          blockHash: block.hash,
          blockTimestamp: timestamps.get(block.number)!,
          from: tx.from.toLowerCase(),
          to: tx.to.toLowerCase(),
          contract: null,
          amount: tx.value,
        });
      }
    }

    const owners = await lookupAddressOwners(pool, networkId, [...new Set(candidates.flatMap((c) => [c.to, c.from]))]);
    let depositsStarted = 0;
    const detectedAt = new Date().toISOString();
    // Block by block, so a scan out of time stops between blocks and the cursor covers only blocks
    // whose every deposit was started.
    candidates.sort((a, b) => a.blockNumber - b.blockNumber);
    let scannedTo = blocks[blocks.length - 1]!.number;
    for (const [i, c] of candidates.entries()) {
      if (i > 0 && c.blockNumber !== candidates[i - 1]!.blockNumber && outOfTime()) {
        scannedTo = c.blockNumber - 1;
        cutShort = true;
        break;
      }
      const owner = owners.get(c.to);
      if (!owner || c.amount <= 0n) continue;
      if (isInternalMove(owner, owners.get(c.from))) continue;
      const currency = c.contract
        ? chains.registry.tokenByContract(network, c.contract)
        : chains.registry.currency(network, network.native.symbol);
      if (!currency) continue;
      const deposit: DepositInput = {
        id: workflowIds.deposit(networkId, c.txHash, c.logIndex),
        network: networkId,
        txHash: c.txHash.toLowerCase(),
        logIndex: c.logIndex,
        blockNumber: c.blockNumber,
        blockHash: c.blockHash,
        blockTimestamp: c.blockTimestamp,
        from: c.from,
        to: c.to,
        currency: currency.symbol,
        contract: c.contract,
        decimals: currency.decimals,
        amount: c.amount.toString(),
        merchantId: owner.merchant_id,
        livemode: owner.livemode,
        ownerType: owner.owner_type,
        ownerId: owner.owner_id,
        requiredConfirmations: network.confirmations,
        blockTimeMs: network.blockTimeMs,
        detectedAt,
      };
      // Before the cursor passes this block, so an invoice never expires unaware of a payment in it.
      await recordSighting(pool, deposit);
      await startDeposit(deposit);
      depositsStarted++;
      heartbeat();
    }

    if (depositsStarted) crashPoint('watcher.after-start-deposit');
    blocks = blocks.filter((b) => b.number <= scannedTo);
    await saveProgress(pool, networkId, cursor, blocks, scannedTo + 1);
    // Out of time: come straight back for the rest. Short of the head because the node could not
    // serve more yet: wait like a caught-up watcher.
    const caughtUp = cutShort ? false : scannedTo >= wanted ? scannedTo >= head : true;
    return { from: cursor, to: scannedTo, head, caughtUp, depositsStarted };
  };
}

/** Blocks [from, to] in batches, stopping early once out of time (at least one batch is read). */
async function fetchBlocksWithin(
  provider: JsonRpcProvider,
  from: number,
  to: number,
  withTransactions: boolean,
  outOfTime: () => boolean,
  heartbeat: () => void,
): Promise<ScannedBlock[]> {
  const blocks: ScannedBlock[] = [];
  for (let start = from; start <= to; start += FETCH_CHUNK) {
    const end = Math.min(to, start + FETCH_CHUNK - 1);
    const chunk = await fetchBlocks(provider, start, end, withTransactions);
    blocks.push(...chunk);
    heartbeat();
    if (chunk.length < end - start + 1 || outOfTime()) break;
  }
  return blocks;
}

/** Heartbeats when called inside an activity; a no-op in scripts and tests. */
export function heartbeatIfActivity(): void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return; // called outside an activity (a script or a test): nobody to tell
  }
  context.heartbeat();
}

async function readCursor(pool: Pool, network: string, provider: Provider, head: number): Promise<number> {
  const saved = await pool.query<{ next_block: string }>('SELECT next_block FROM chain_cursors WHERE network = $1', [network]);
  if (saved.rows[0]) return Number(saved.rows[0].next_block);
  const first = await firstReadBlock(pool, provider, network, head);
  // Two first reads at once (a retried activity beside a slow one) agree on whichever saved first.
  const row = await pool.query<{ next_block: string }>(
    `INSERT INTO chain_cursors (network, next_block) VALUES ($1, $2)
     ON CONFLICT (network) DO UPDATE SET network = EXCLUDED.network RETURNING next_block`,
    [network, first],
  );
  return Number(row.rows[0]!.next_block);
}

/**
 * Checks the fetched blocks chain onto the hashes stored earlier. On a mismatch walks back to the
 * newest stored block the node still agrees with and returns the block after it (the fork point).
 */
async function findFork(
  pool: Pool,
  network: string,
  provider: JsonRpcProvider,
  cursor: number,
  blocks: ScannedBlock[],
): Promise<number | undefined> {
  const stored = await pool.query<{ number: string; hash: string }>(
    'SELECT number, hash FROM chain_blocks WHERE network = $1 AND number < $2 ORDER BY number DESC LIMIT $3',
    [network, cursor, KEPT_BLOCKS],
  );
  const previous = stored.rows[0];
  const first = blocks[0];
  const continuous = blocks.every((b, i) => i === 0 || b.parentHash === blocks[i - 1]!.hash);
  if (!continuous) throw new Error('blocks changed while being read (reorg in progress); retrying');
  if (!previous || !first || Number(previous.number) !== cursor - 1 || first.parentHash === previous.hash) return undefined;
  for (const row of stored.rows) {
    const onChain = await provider.getBlock(Number(row.number));
    if (onChain?.hash === row.hash) return Number(row.number) + 1;
  }
  return Number(stored.rows[stored.rows.length - 1]!.number);
}

async function rewind(pool: Pool, network: string, cursor: number, forkAt: number): Promise<void> {
  await inTransaction(pool, async (db) => {
    await db.query('DELETE FROM chain_blocks WHERE network = $1 AND number >= $2', [network, forkAt]);
    await moveCursor(db, network, cursor, forkAt);
  });
}

/**
 * Moves the cursor only from where this scan read it. Two scans of one network can overlap (a
 * call whose heartbeat timed out still running beside its retry): the later writer fails and
 * rolls back, and its retry reads the cursor again, so a stale scan never moves it over a reorg.
 */
async function moveCursor(db: PoolClient, network: string, from: number, to: number): Promise<void> {
  const moved = await db.query(
    'UPDATE chain_cursors SET next_block = $3, updated_at = now() WHERE network = $1 AND next_block = $2',
    [network, from, to],
  );
  if (moved.rowCount !== 1) throw new Error(`the ${network} cursor moved while this scan ran; scanning again from it`);
}

interface AddressOwner {
  address: string;
  merchant_id: string;
  livemode: boolean;
  owner_type: 'invoice' | 'customer' | 'hot';
  owner_id: string;
}

/**
 * Settle's own moves inside one merchant's wallet (sweeps to the hot address, gas top-ups from it)
 * are not payments; neither is anything arriving at a hot address (gas funding, sweeps).
 */
function isInternalMove(to: AddressOwner, from: AddressOwner | undefined): boolean {
  if (to.owner_type === 'hot') return true;
  return !!from && from.merchant_id === to.merchant_id && from.livemode === to.livemode;
}

/** Owners of the given addresses on a network: one primary-key lookup, whatever the number of addresses Settle watches. */
export async function lookupAddressOwners(pool: Pool, network: string, addresses: string[]): Promise<Map<string, AddressOwner>> {
  if (!addresses.length) return new Map();
  const rows = await pool.query<AddressOwner>(
    'SELECT address, merchant_id, livemode, owner_type, owner_id FROM addresses WHERE network = $1 AND address = ANY($2)',
    [network, addresses],
  );
  return new Map(rows.rows.map((r) => [r.address, r]));
}

async function saveProgress(
  pool: Pool,
  network: string,
  cursor: number,
  blocks: ScannedBlock[],
  nextBlock: number,
): Promise<void> {
  // Only the newest KEPT_BLOCKS can ever be compared again; one statement stores them all.
  const kept = blocks.filter((b) => b.number >= nextBlock - KEPT_BLOCKS);
  await inTransaction(pool, async (db) => {
    await db.query(
      `INSERT INTO chain_blocks (network, number, hash, parent_hash, timestamp)
       SELECT $1, b.number, b.hash, b.parent_hash, to_timestamp(b.ts)
       FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[]) AS b(number, hash, parent_hash, ts)
       ON CONFLICT (network, number) DO UPDATE SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash, timestamp = EXCLUDED.timestamp`,
      [network, kept.map((b) => b.number), kept.map((b) => b.hash), kept.map((b) => b.parentHash), kept.map((b) => b.timestamp)],
    );
    await db.query('DELETE FROM chain_blocks WHERE network = $1 AND number < $2', [network, nextBlock - KEPT_BLOCKS]);
    await moveCursor(db, network, cursor, nextBlock);
  });
}
