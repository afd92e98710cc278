import type { JsonRpcProvider, Log } from 'ethers';
import type { Pool } from 'pg';
import { topicToAddress, TRANSFER_TOPIC } from '../../activities/chain/erc20';
import { Account, HELD_ACCOUNTS } from '../../activities/db/ledger';
import { expectedOnChain } from '../../domain/reconciliation';
import { isWithinToleranceBelow } from '../../domain/money';
import { LOCAL_FAUCET_KEY } from '../../scripts/dev-stack/local-chain';
import type { ReceivedWebhook } from '../harness/webhook-receiver';
import { computeAddress } from 'ethers';

/**
 * The soak's judge. It reads the chain itself (Anvil, never through the hostile proxy) and holds
 * Settle's database and the webhooks its receiver got against it. Nothing here trusts what Settle
 * says happened on chain.
 */
export interface OracleInput {
  provider: JsonRpcProvider;
  pool: Pool;
  network: string;
  token: string;
  confirmations: number;
  merchants: Array<{ id: string; sink: string }>;
  webhooks: ReceivedWebhook[];
  /** A block timestamp this close to an invoice's expiry may count either way (1 s block resolution, clock skew). */
  expiryToleranceSeconds?: number;
}

export interface OracleResult {
  counts: Record<string, number>;
  violations: string[];
}

interface ChainTransfer {
  key: string;
  txHash: string;
  logIndex: number;
  blockNumber: number;
  timestamp: number;
  from: string;
  to: string;
  currency: string;
  amount: bigint;
}

interface Owner {
  merchant_id: string;
  owner_type: string;
  owner_id: string;
}

const FAUCET = computeAddress(LOCAL_FAUCET_KEY).toLowerCase();
const transferKey = (txHash: string, logIndex: number) => `${txHash.toLowerCase()}:${logIndex}`;

export async function checkAgainstChain(input: OracleInput): Promise<OracleResult> {
  const { provider, pool, network } = input;
  const violations: string[] = [];
  const counts: Record<string, number> = {};
  const flag = (kind: string, detail: string) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    violations.push(`${kind}: ${detail}`);
  };

  const head = await provider.getBlockNumber();
  const safeHead = head - input.confirmations + 1;
  const owners = new Map(
    (
      await pool.query<Owner & { address: string }>(
        'SELECT address, merchant_id, owner_type, owner_id FROM addresses WHERE network = $1',
        [network],
      )
    ).rows.map((r) => [r.address, r]),
  );
  const merchantOf = (address: string) => owners.get(address.toLowerCase())?.merchant_id;

  // The canonical chain, block by block: timestamps, native transfers, and gas Settle's addresses paid.
  const timestamps = new Map<number, number>();
  const nativeTransfers: ChainTransfer[] = [];
  const eth = new Map<string, { faucetIn: bigint; gasPaid: bigint; sentOut: bigint; receivedOther: bigint }>();
  const ethOf = (m: string) => eth.get(m) ?? eth.set(m, { faucetIn: 0n, gasPaid: 0n, sentOut: 0n, receivedOther: 0n }).get(m)!;
  // Each merchant's transactions and their gas, to name the ones whose gas is not booked.
  const gasTxs = new Map<string, Array<{ hash: string; cost: bigint }>>();
  for (let n = 0; n <= head; n++) {
    const block = await canonicalBlock(provider, n);
    timestamps.set(n, block.timestamp);
    for (const tx of block.prefetchedTransactions) {
      const from = tx.from.toLowerCase();
      const to = tx.to?.toLowerCase() ?? '';
      const fromMerchant = merchantOf(from);
      const toMerchant = merchantOf(to);
      if (fromMerchant) {
        const receipt = (await provider.getTransactionReceipt(tx.hash))!;
        const cost = receipt.gasUsed * receipt.gasPrice;
        ethOf(fromMerchant).gasPaid += cost;
        (gasTxs.get(fromMerchant) ?? gasTxs.set(fromMerchant, []).get(fromMerchant)!).push({ hash: tx.hash.toLowerCase(), cost });
        if (receipt.status === 1 && tx.value > 0n && toMerchant !== fromMerchant) ethOf(fromMerchant).sentOut += tx.value;
      }
      if (!toMerchant || tx.value === 0n || fromMerchant === toMerchant) continue;
      const receipt = (await provider.getTransactionReceipt(tx.hash))!;
      if (receipt.status !== 1) continue;
      const owner = owners.get(to)!;
      if (owner.owner_type === 'hot') {
        if (from === FAUCET) ethOf(toMerchant).faucetIn += tx.value;
        else ethOf(toMerchant).receivedOther += tx.value;
        continue;
      }
      nativeTransfers.push({
        key: transferKey(tx.hash, -1),
        txHash: tx.hash.toLowerCase(),
        logIndex: -1,
        blockNumber: n,
        timestamp: block.timestamp,
        from,
        to,
        currency: 'ETH',
        amount: tx.value,
      });
    }
  }

  // Every Transfer of the listed token since genesis: deposits, sweeps, withdrawals, balances.
  const logs: Log[] = [];
  for (let from = 0; from <= head; from += 2000) {
    logs.push(
      ...(await provider.getLogs({
        address: input.token,
        topics: [TRANSFER_TOPIC],
        fromBlock: from,
        toBlock: Math.min(head, from + 1999),
      })),
    );
  }
  const tokenBalance = new Map<string, bigint>();
  const tokenTransfers: ChainTransfer[] = [];
  for (const log of logs) {
    const from = topicToAddress(log.topics[1]!);
    const to = topicToAddress(log.topics[2]!);
    const amount = BigInt(log.data);
    tokenBalance.set(from, (tokenBalance.get(from) ?? 0n) - amount);
    tokenBalance.set(to, (tokenBalance.get(to) ?? 0n) + amount);
    const owner = owners.get(to);
    if (!owner || owner.owner_type === 'hot' || merchantOf(from) === owner.merchant_id || amount === 0n) continue;
    tokenTransfers.push({
      key: transferKey(log.transactionHash, log.index),
      txHash: log.transactionHash.toLowerCase(),
      logIndex: log.index,
      blockNumber: log.blockNumber,
      timestamp: timestamps.get(log.blockNumber)!,
      from,
      to,
      currency: 'USDT',
      amount,
    });
  }
  const payments = [...tokenTransfers, ...nativeTransfers];
  const atDepth = payments.filter((t) => t.blockNumber <= safeHead);
  const canonical = new Map(payments.map((t) => [t.key, t]));
  counts.transfers = atDepth.length;

  // Deposits and their credits, as Settle recorded them.
  const deposits = await pool.query<{ id: string; tx_hash: string; log_index: number; amount: string; status: string }>(
    'SELECT id, tx_hash, log_index, amount::text, status FROM deposits WHERE network = $1',
    [network],
  );
  const credits = await pool.query<{ ref_id: string; postings: number; amount: string }>(
    `SELECT ref_id, count(DISTINCT txn_id)::int AS postings, (-sum(amount))::text AS amount FROM ledger_entries
     WHERE ref_type = 'deposit' AND account = $1 AND network = $2 GROUP BY ref_id`,
    [Account.chainInflow, network],
  );
  const creditOf = new Map(credits.rows.map((r) => [r.ref_id, r]));
  const depositsByTransfer = new Map<string, typeof deposits.rows>();
  for (const d of deposits.rows) {
    const k = transferKey(d.tx_hash, d.log_index);
    depositsByTransfer.set(k, [...(depositsByTransfer.get(k) ?? []), d]);
  }
  counts.deposits = deposits.rows.filter((d) => d.status === 'completed').length;
  counts.lost = 0;
  counts.doubled = 0;
  for (const t of atDepth) {
    const found = depositsByTransfer.get(t.key) ?? [];
    const credited = found.filter((d) => creditOf.has(d.id));
    const creditedAmount = credited.reduce((s, d) => s + BigInt(creditOf.get(d.id)!.amount), 0n);
    if (!credited.length)
      flag('lost', `${t.currency} ${t.amount} to ${t.to} in ${t.txHash}:${t.logIndex} (block ${t.blockNumber}) never credited`);
    else if (credited.length > 1 || credited.some((d) => creditOf.get(d.id)!.postings > 1) || creditedAmount !== t.amount)
      flag(
        'doubled',
        `${t.txHash}:${t.logIndex} credited ${creditedAmount} by ${credited.map((d) => d.id).join(',')} for ${t.amount}`,
      );
    else if (credited[0]!.status !== 'completed')
      flag('deposit_status', `${credited[0]!.id} is credited but listed as ${credited[0]!.status}`);
  }
  for (const d of deposits.rows) {
    if (creditOf.has(d.id) && !canonical.has(transferKey(d.tx_hash, d.log_index)))
      flag('reorged_credited', `${d.id} credited though its transfer is not in the canonical chain`);
    if (!creditOf.has(d.id) && d.status === 'completed') flag('deposit_status', `${d.id} completed but never credited`);
  }

  const unbalanced = await pool.query(
    'SELECT txn_id FROM ledger_entries GROUP BY txn_id, merchant_id, network, currency HAVING sum(amount) <> 0',
  );
  for (const r of unbalanced.rows) flag('unbalanced', `posting ${r.txn_id as string}`);

  await checkBalances(input, owners, tokenBalance, eth, gasTxs, flag);
  await checkInvoices(input, pool, payments, safeHead, flag, counts);
  await checkEvents(input, pool, flag, counts);

  const stuck = await pool.query(
    `SELECT 'withdrawal ' || id || ' ' || status AS what FROM withdrawals WHERE status NOT IN ('completed', 'failed', 'rejected')
     UNION ALL SELECT 'deposit ' || id || ' ' || status FROM deposits WHERE status IN ('detected', 'confirming') AND block_number <= $1`,
    [safeHead],
  );
  for (const r of stuck.rows) flag('stuck', r.what as string);
  counts.violations = violations.length;
  return { counts, violations };
}

/** Per merchant: the ledger's money equals what its addresses hold on chain, and its withdrawals equal what its sink received. */
async function checkBalances(
  input: OracleInput,
  owners: Map<string, Owner>,
  tokenBalance: Map<string, bigint>,
  eth: Map<string, { faucetIn: bigint; gasPaid: bigint; sentOut: bigint; receivedOther: bigint }>,
  gasTxs: Map<string, Array<{ hash: string; cost: bigint }>>,
  flag: (kind: string, detail: string) => void,
): Promise<void> {
  const ledger = await input.pool.query<{ merchant_id: string; currency: string; account: string; sum: string }>(
    `SELECT merchant_id, currency, account, sum(amount)::text AS sum FROM ledger_entries WHERE network = $1
     GROUP BY merchant_id, currency, account`,
    [input.network],
  );
  const book = (m: string, currency: string, accounts: readonly string[]) =>
    ledger.rows
      .filter((r) => r.merchant_id === m && r.currency === currency && accounts.includes(r.account))
      .reduce((s, r) => s + BigInt(r.sum), 0n);
  for (const m of input.merchants) {
    const addresses = [...owners.entries()].filter(([, o]) => o.merchant_id === m.id).map(([a]) => a);
    const onChainToken = addresses.reduce((s, a) => s + (tokenBalance.get(a) ?? 0n), 0n);
    // The same rule production reconciliation applies (domain/reconciliation.ts), on a drained stack.
    const drained = { gas: 0n, confirmingIn: 0n, confirmingOut: 0n };
    const ledgerToken = expectedOnChain({ ...drained, held: book(m.id, 'USDT', HELD_ACCOUNTS) }, false);
    if (onChainToken !== ledgerToken)
      flag('ledger_mismatch', `${m.id} USDT: addresses hold ${onChainToken}, ledger ${ledgerToken}`);
    const withdrawn = book(m.id, 'USDT', [Account.chainOutflow]);
    const sunk = tokenBalance.get(m.sink) ?? 0n;
    if (withdrawn !== sunk) flag('ledger_mismatch', `${m.id} USDT withdrawn per ledger ${withdrawn}, sink received ${sunk}`);

    const onChainEth = (await Promise.all(addresses.map((a) => input.provider.getBalance(a)))).reduce((s, b) => s + b, 0n);
    const e = eth.get(m.id) ?? { faucetIn: 0n, gasPaid: 0n, sentOut: 0n, receivedOther: 0n };
    const ledgerEth = book(m.id, 'ETH', HELD_ACCOUNTS);
    // Gas as the chain tells it (faucet funding minus gas paid), not as Settle booked it: checked below.
    const expected =
      expectedOnChain({ ...drained, held: ledgerEth, gas: e.faucetIn - e.gasPaid }, true) + e.receivedOther - e.sentOut;
    if (onChainEth !== expected)
      flag(
        'ledger_mismatch',
        `${m.id} ETH: addresses hold ${onChainEth}, ledger ${ledgerEth} + gas funding ${e.faucetIn} - gas ${e.gasPaid} = ${expected}`,
      );
    // Test-mode faucet refills are booked as gas funding into settle:gas; gas paid on chain is booked out of it.
    const funded = -book(m.id, 'ETH', [Account.gasFunding]);
    const gasLeft = book(m.id, 'ETH', [Account.gas]);
    if (funded !== e.faucetIn || gasLeft !== e.faucetIn - e.gasPaid)
      flag(
        'gas_mismatch',
        `${m.id}: funding booked ${funded} (faucet sent ${e.faucetIn}), gas account ${gasLeft} (expected ${e.faucetIn - e.gasPaid})${await gasDiscrepancies(input.pool, input.network, m.id, gasTxs.get(m.id) ?? [])}`,
      );
  }
}

/**
 * Names the transactions whose gas the chain charged and the ledger did not book as that much, and
 * the gas postings whose purpose has no transaction on the canonical chain (booked, then reorged out).
 */
async function gasDiscrepancies(
  pool: Pool,
  network: string,
  merchantId: string,
  txs: Array<{ hash: string; cost: bigint }>,
): Promise<string> {
  const booked = await pool.query<{ tx_hash: string; purpose: string; booked: string | null }>(
    `SELECT s.tx_hash, s.purpose,
       (SELECT sum(-amount)::text FROM ledger_entries l WHERE l.txn_id = 'gas:' || s.purpose AND l.account = $2) AS booked
     FROM signed_transactions s WHERE s.tx_hash = ANY($1)`,
    [txs.map((t) => t.hash), Account.gas],
  );
  const byHash = new Map(booked.rows.map((r) => [r.tx_hash.toLowerCase(), r]));
  const unbooked = txs
    .map((t) => ({ ...t, row: byHash.get(t.hash) }))
    .filter((t) => t.row?.booked == null || BigInt(t.row.booked) !== t.cost)
    .map((t) => `${t.hash} (${t.row?.purpose ?? 'not signed by Settle'}) paid ${t.cost}, booked ${t.row?.booked ?? 0}`);
  const offChain = await pool.query<{ txn_id: string; booked: string; hashes: string[] }>(
    `SELECT l.txn_id, (-l.amount)::text AS booked,
       ARRAY(SELECT s.tx_hash FROM signed_transactions s WHERE 'gas:' || s.purpose = l.txn_id) AS hashes
     FROM ledger_entries l
     WHERE l.merchant_id = $1 AND l.account = $2 AND l.network = $4 AND l.txn_id LIKE 'gas:%'
       AND NOT EXISTS (SELECT 1 FROM signed_transactions s WHERE 'gas:' || s.purpose = l.txn_id AND s.tx_hash = ANY($3))`,
    [merchantId, Account.gas, txs.map((t) => t.hash), network],
  );
  const bookedOffChain = offChain.rows.map((r) => `${r.txn_id} booked ${r.booked}, none of ${r.hashes.join('/')} on chain`);
  const list = (label: string, items: string[]) =>
    items.length ? `; ${label}: ${items.slice(0, 5).join(', ')}${items.length > 5 ? ` and ${items.length - 5} more` : ''}` : '';
  return list('unbooked', unbooked) + list('booked off chain', bookedOffChain);
}

/** Each invoice's final status follows from the transfers to its address and their block timestamps. */
async function checkInvoices(
  input: OracleInput,
  pool: Pool,
  payments: ChainTransfer[],
  safeHead: number,
  flag: (kind: string, detail: string) => void,
  counts: Record<string, number>,
): Promise<void> {
  const tolerance = input.expiryToleranceSeconds ?? 2;
  const invoices = await pool.query<{
    id: string;
    currency: string;
    amount: string;
    status: string;
    paid_late: boolean;
    expires_at: Date;
    deposit_address: string;
    bps: number;
  }>(
    `SELECT i.id, i.currency, i.amount::text, i.status, i.paid_late, i.expires_at, lower(i.deposit_address) AS deposit_address,
            m.underpayment_tolerance_bps AS bps
     FROM invoices i JOIN merchants m ON m.id = i.merchant_id WHERE i.network = $1`,
    [input.network],
  );
  counts.invoices = invoices.rowCount ?? 0;
  for (const inv of invoices.rows) {
    const expiry = inv.expires_at.getTime() / 1000;
    const paid = payments.filter((t) => t.to === inv.deposit_address && t.currency === inv.currency);
    if (paid.some((t) => t.blockNumber > safeHead)) continue; // still confirming: nothing final to judge
    const amount = BigInt(inv.amount);
    const total = paid.reduce((s, t) => s + t.amount, 0n);
    const onTimeSure = paid.filter((t) => t.timestamp < expiry - tolerance).reduce((s, t) => s + t.amount, 0n);
    const onTimeMaybe = paid.filter((t) => t.timestamp <= expiry + tolerance).reduce((s, t) => s + t.amount, 0n);
    const allowed = new Set([onTimeSure, onTimeMaybe].map((onTime) => expectedStatus(amount, inv.bps, onTime, total)));
    const actual = `${inv.status}${inv.paid_late ? ' (late)' : ''}`;
    if (!allowed.has(actual))
      flag('invoice_status', `${inv.id} is ${actual}, chain says ${[...allowed].join(' or ')} (${total} of ${amount})`);
  }
}

function expectedStatus(amount: bigint, bps: number, onTime: bigint, total: bigint): string {
  const meets = (x: bigint) => x > 0n && isWithinToleranceBelow(x, amount, bps);
  if (meets(total)) return `${total > amount ? 'overpaid' : 'paid'}${meets(onTime) ? '' : ' (late)'}`;
  return onTime > 0n ? 'underpaid' : 'expired';
}

/** Every event reached the merchant's endpoint at least once, with the same bytes each time, and no transition has two ids. */
async function checkEvents(
  input: OracleInput,
  pool: Pool,
  flag: (kind: string, detail: string) => void,
  counts: Record<string, number>,
) {
  const events = await pool.query<{
    id: string;
    merchant_id: string;
    type: string;
    object_type: string;
    object_id: string;
    body: string;
  }>('SELECT id, merchant_id, type, object_type, object_id, body FROM events ORDER BY created_at, id');
  counts.events = events.rowCount ?? 0;
  const received = new Map<string, Set<string>>();
  for (const w of input.webhooks) {
    if (!w.path.startsWith('/endpoint/')) continue;
    received.set(w.eventId, (received.get(w.eventId) ?? new Set()).add(w.rawBody));
  }
  const known = new Set(events.rows.map((e) => e.id));
  for (const e of events.rows) {
    const bodies = received.get(e.id);
    if (!bodies) flag('undelivered', `${e.id} (${e.type} of ${e.object_id})`);
    else if (bodies.size > 1 || !bodies.has(e.body)) flag('redelivered_changed', `${e.id} was delivered with different bodies`);
  }
  for (const id of received.keys()) if (!known.has(id)) flag('unknown_event', `${id} was delivered but is not stored`);

  // A deposit may live more than once (reorged out, then mined again): each life has its own ids.
  const byObject = new Map<string, Map<string, number>>();
  for (const e of events.rows) {
    const types = byObject.get(e.object_id) ?? byObject.set(e.object_id, new Map()).get(e.object_id)!;
    const transition = transitionOf(e);
    types.set(transition, (types.get(transition) ?? 0) + 1);
  }
  for (const [object, types] of byObject) {
    const lives =
      object.startsWith('deposit') || [...types.keys()].some((t) => t.startsWith('deposit.'))
        ? 1 + (types.get('deposit.failed') ?? 0)
        : 1;
    for (const [type, n] of types) {
      const limit = type === 'deposit.completed' ? 1 : lives;
      if (n > limit) flag('duplicate_transition', `${object} has ${n} ${type} events`);
    }
  }
}

/**
 * What one event id stands for. A withdrawal is stuck once per transaction and reason (a sweep
 * unfunded, then its transfer underpriced, are two spells the operator must hear of), so a stuck
 * event's transition is named by the transaction's purpose and the reason its body carries.
 */
function transitionOf(e: { type: string; body: string }): string {
  if (e.type !== 'withdrawal.stuck') return e.type;
  const data = (JSON.parse(e.body) as { data: { stuck_reason?: string; stuck_transaction?: { purpose?: string } } }).data;
  return `${e.type} (${data.stuck_transaction?.purpose}: ${data.stuck_reason})`;
}

/**
 * Block n with its transactions. Anvil can answer null for a height below its head while it is
 * still mining a block (seen once at the end of a 30-minute soak): ask again, briefly.
 */
async function canonicalBlock(provider: JsonRpcProvider, n: number) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const block = await provider.getBlock(n, true);
    if (block) return block;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // No block by number below the head (an Anvil reorg once left such a hole): the canonical block
  // at that height is still the parent of the one above it.
  if (n >= (await provider.getBlockNumber())) throw new Error(`the node has no block ${n} at its head`);
  const above = await canonicalBlock(provider, n + 1);
  const block = await provider.getBlock(above.parentHash, true);
  if (!block) throw new Error(`the node has no block ${n} below its head, not even by its child's parent hash`);
  return block;
}
