import { ApplicationFailure } from '@temporalio/common';
import { isError, type JsonRpcProvider, Transaction, Wallet } from 'ethers';
import type { Pool, PoolClient } from 'pg';
import { type SignedTxSummary, StuckReason, type TxDiagnosis, type TxStatus } from '../../domain/withdrawals';
import { erc20Interface } from '../chain/erc20';
import type { ChainProviders } from '../chain/providers';
import { inTransaction } from '../db/pool';
import type { HdWallet } from '../wallet/hd-wallet';
import { type SignerRef, signerKey } from './signer-keys';
import { crashPoint } from '../crash-points';
import { blocksAsk, capFees, currentFees, estimateGasLimit, type Fees, lowestCeiling, networkFeeCeiling } from './fees';
import { withdrawalFeeCeiling } from './gas-budget';

export interface TxRequest {
  /** Deterministic name of what the transaction does ("withdrawal:<id>:transfer"): at most one nonce per purpose. */
  purpose: string;
  network: string;
  signer: SignerRef;
  to: string;
  data?: string;
  /** Native value in base units. */
  value?: string;
  /** An ERC-20 transfer to encode as `data` (workflows cannot run the ABI encoder). */
  tokenTransfer?: { recipient: string; amount: string };
}

interface StoredRow {
  purpose: string;
  attempt: number;
  network: string;
  from_address: string;
  nonce: string;
  tx_type: number;
  tx_hash: string;
  raw: string;
  gas_limit: string;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
}

/** Replacements must outbid the pending transaction; nodes require at least +10% on every fee field. */
const BUMP_NUMERATOR = 5n;
const BUMP_DENOMINATOR = 4n;

/**
 * Durable transaction sending: a transaction is signed once per purpose, with a nonce Settle
 * allocates in PostgreSQL, and stored before it is broadcast. Retries re-broadcast the stored bytes
 * instead of signing anew, so a crash anywhere between signing and confirmation cannot send twice.
 */
export function createTransactionActivities(pool: Pool, chains: ChainProviders, wallet: HdWallet) {
  const attempts = async (purpose: string, db: Pool | PoolClient = pool) =>
    (await db.query<StoredRow>('SELECT * FROM signed_transactions WHERE purpose = $1 ORDER BY attempt', [purpose])).rows;

  const latest = async (purpose: string): Promise<StoredRow> => {
    const rows = await attempts(purpose);
    const row = rows[rows.length - 1];
    if (!row) throw ApplicationFailure.nonRetryable(`no signed transaction for ${purpose}`, 'UnknownPurpose');
    return row;
  };

  const keyFor = (row: Pick<StoredRow, 'network' | 'from_address'>, ref: SignerRef) =>
    signerKey(pool, wallet, ref).then((k) => {
      if (k.address.toLowerCase() !== row.from_address) throw new Error('signer does not match the stored sender');
      return k;
    });

  async function signTransaction(req: TxRequest): Promise<SignedTxSummary> {
    const existing = await attempts(req.purpose);
    if (existing.length) return summary(existing[existing.length - 1]!);

    const provider = chains.get(req.network);
    const network = chains.network(req.network);
    const key = await signerKey(pool, wallet, req.signer);
    const from = key.address.toLowerCase();
    const value = BigInt(req.value ?? '0');
    const data = req.tokenTransfer
      ? erc20Interface.encodeFunctionData('transfer', [req.tokenTransfer.recipient, BigInt(req.tokenTransfer.amount)])
      : (req.data ?? '0x');
    const [fees, gasLimit, pendingCount, minedCount] = await Promise.all([
      currentFees(provider).then((f) => capFees(f, networkFeeCeiling(network))),
      estimateGasLimit(provider, { from, to: req.to, data, value }),
      provider.getTransactionCount(from, 'pending'),
      provider.getTransactionCount(from, 'latest'),
    ]);
    // Only a capped withdrawal needs to know: a first attempt its cap would hold below this waits unsigned.
    const asked = network.maxGasSpendPerWithdrawal === undefined ? undefined : await blocksAsk(provider, fees.type);

    return inTransaction(pool, async (db) => {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sign:${req.purpose}`]);
      const raced = await attempts(req.purpose, db);
      if (raced.length) return summary(raced[raced.length - 1]!);
      // Within the withdrawal's gas cap too. Should fees have risen since it was checked so far that
      // the cap leaves less than blocks ask, nothing is signed and this retries until fees fall or
      // the cap is raised: an unminable transaction would hold back every later nonce of its sender,
      // the hot address's included (other withdrawals' transfers).
      const ceiling = await withdrawalFeeCeiling(db, network, req.purpose, gasLimit);
      if (ceiling !== undefined && asked !== undefined && ceiling < asked) {
        throw ApplicationFailure.retryable(
          `gas policy: ${req.purpose} may offer at most ${ceiling} wei per gas within its withdrawal's maxGasSpendPerWithdrawal; blocks ask ${asked}`,
          'GasPolicyHold',
        );
      }
      const priced = capFees(fees, ceiling);
      // The node's pending count seeds the counter once; afterwards Settle's own count is the truth,
      // except that a nonce the chain has mined is never handed out again: a transaction sent from
      // the address outside Settle moves the counter past it. Under the row lock, so two workers
      // resynchronising at once still hand out each nonce once.
      await db.query('INSERT INTO nonces (network, address, next_nonce) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        req.network,
        from,
        pendingCount,
      ]);
      await db.query('UPDATE nonces SET next_nonce = $3 WHERE network = $1 AND address = $2 AND next_nonce < $3', [
        req.network,
        from,
        minedCount,
      ]);
      const nonceRow = await db.query<{ next_nonce: string }>(
        'SELECT next_nonce FROM nonces WHERE network = $1 AND address = $2 FOR UPDATE',
        [req.network, from],
      );
      const nonce = Number(nonceRow.rows[0]!.next_nonce);
      const tx = buildTransaction({ to: req.to, data, value, nonce, gasLimit, chainId: network.chainId, fees: priced });
      const raw = await new Wallet(key.privateKey).signTransaction(tx);
      const row = await insertAttempt(db, req.purpose, 0, req.network, from, req.to, nonce, gasLimit, priced, raw);
      await db.query('UPDATE nonces SET next_nonce = next_nonce + 1 WHERE network = $1 AND address = $2', [req.network, from]);
      return summary(row);
    });
  }

  /** Sends the newest stored attempt; a node that already has it (or mined one of its attempts) is success. */
  async function broadcastTransaction(purpose: string): Promise<{ hash: string }> {
    const rows = await attempts(purpose);
    const row = rows[rows.length - 1];
    if (!row) throw ApplicationFailure.nonRetryable(`no signed transaction for ${purpose}`, 'UnknownPurpose');
    const provider = chains.get(row.network);
    crashPoint('withdrawal.before-broadcast');
    try {
      await provider.broadcastTransaction(row.raw);
      return { hash: row.tx_hash };
    } catch (err) {
      const mined = await minedAttempt(provider, rows);
      if (mined) return { hash: mined.row.tx_hash };
      if (isAlreadyKnown(err)) return { hash: row.tx_hash };
      throw err;
    }
  }

  /**
   * Reports whether one of the purpose's attempts is mined, and how deep. While none is, it
   * re-broadcasts the newest attempt so a transaction a node dropped from its pool is sent again.
   */
  async function checkTransaction(purpose: string): Promise<TxStatus> {
    const rows = await attempts(purpose);
    if (!rows.length) throw ApplicationFailure.nonRetryable(`no signed transaction for ${purpose}`, 'UnknownPurpose');
    const provider = chains.get(rows[0]!.network);
    // The head is read before the receipt, so the depth is never more than the chain had while the
    // receipt was true. Read after, a slow answer (a retried timeout) could count blocks mined after
    // a reorg had already removed the transaction, and gas would be booked for it.
    const head = await provider.getBlockNumber();
    const mined = await minedAttempt(provider, rows);
    if (!mined) {
      await provider.broadcastTransaction(rows[rows.length - 1]!.raw).catch(() => undefined);
      return { mined: false, attempts: rows.length };
    }
    const { receipt } = mined;
    return {
      mined: true,
      hash: receipt.hash.toLowerCase(),
      success: receipt.status === 1,
      blockNumber: receipt.blockNumber,
      confirmations: Math.max(0, head - receipt.blockNumber + 1),
      gasCost: (receipt.gasUsed * receipt.gasPrice).toString(),
    };
  }

  /**
   * The fees a replacement of `last` would offer: 25 % more than it, or what blocks ask now, under
   * the network's fee ceiling and its withdrawal's gas cap. Null when that cannot outbid `last` by
   * the 10 % nodes require: a ceiling holds it where it is.
   */
  async function replacementFees(db: Pool | PoolClient, last: StoredRow, current: Fees): Promise<Fees | null> {
    const network = chains.network(last.network);
    const bump = (old: string, now: bigint) => {
      const raised = (BigInt(old) * BUMP_NUMERATOR + BUMP_DENOMINATOR - 1n) / BUMP_DENOMINATOR;
      return raised > now ? raised : now;
    };
    const ceiling = lowestCeiling(
      networkFeeCeiling(network),
      await withdrawalFeeCeiling(db, network, last.purpose, BigInt(last.gas_limit)),
    );
    const fees = capFees(
      {
        type: last.tx_type === 2 ? 2 : 0,
        maxFee: bump(last.max_fee_per_gas, current.maxFee),
        priority: bump(last.max_priority_fee_per_gas, current.priority),
      },
      ceiling,
    );
    return fees.maxFee * 10n < BigInt(last.max_fee_per_gas) * 11n ? null : fees;
  }

  /**
   * Re-signs a stuck transaction with the same nonce and higher fees, as a new attempt of the same
   * purpose. Both stay valid until one is mined, and the nonce guarantees at most one ever is.
   *
   * Only an underpriced transaction is repriced, and never above the gas policy (the network's fee
   * ceiling, its withdrawal's gas cap): one that offers what blocks ask is stuck for another reason
   * (a lower nonce, an unfunded sender), and a higher fee would only spend more once it goes
   * through. Then the newest attempt is returned.
   */
  async function replaceTransaction(input: { purpose: string; signer: SignerRef }): Promise<SignedTxSummary> {
    const last = await latest(input.purpose);
    const provider = chains.get(last.network);
    if (await minedAttempt(provider, await attempts(input.purpose))) return summary(last);
    const network = chains.network(last.network);
    if (!(await isUnderpriced(provider, last))) return summary(last);
    const [key, current] = await Promise.all([keyFor(last, input.signer), currentFees(provider)]);
    const stored = await inTransaction(pool, async (db) => {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sign:${input.purpose}`]);
      const rows = await attempts(input.purpose, db);
      const newest = rows[rows.length - 1]!;
      // Another attempt raced us to the replacement: keep its bytes, not ours.
      if (newest.attempt !== last.attempt) return newest;
      // Priced under the withdrawal's budget lock, so two of its transactions never share the same headroom.
      const fees = await replacementFees(db, last, current);
      if (!fees) return last;
      const previous = Transaction.from(last.raw);
      const tx = buildTransaction({
        to: previous.to!,
        data: previous.data,
        value: previous.value,
        nonce: Number(last.nonce),
        gasLimit: BigInt(last.gas_limit),
        chainId: network.chainId,
        fees,
      });
      const raw = await new Wallet(key.privateKey).signTransaction(tx);
      return insertAttempt(
        db,
        input.purpose,
        last.attempt + 1,
        last.network,
        last.from_address,
        previous.to!,
        Number(last.nonce),
        BigInt(last.gas_limit),
        fees,
        raw,
      );
    });
    // Stored first, sent second: the next check re-broadcasts it should this send be lost.
    if (stored.attempt !== last.attempt) await provider.broadcastTransaction(stored.raw).catch(() => undefined);
    return summary(stored);
  }

  /**
   * Tells why a transaction that offers what blocks ask is still unmined: its sender cannot pay for
   * it (or for a lower nonce it waits behind), a lower nonce is missing, or its nonce was used by
   * another transaction (one sent outside Settle, say), after which it can never be mined.
   */
  async function diagnoseTransaction(purpose: string): Promise<TxDiagnosis> {
    const rows = await attempts(purpose);
    const last = rows[rows.length - 1];
    if (!last) throw ApplicationFailure.nonRetryable(`no signed transaction for ${purpose}`, 'UnknownPurpose');
    const provider = chains.get(last.network);
    const [chainNonce, balance] = await Promise.all([
      provider.getTransactionCount(last.from_address, 'latest'),
      provider.getBalance(last.from_address),
    ]);
    // Read after the nonce: an attempt mined in between is seen here, not mistaken for a lost nonce.
    if (await minedAttempt(provider, rows)) return { mined: true };
    const nonce = Number(last.nonce);
    // "Taken" ends the transaction for good, so one read is not proof: behind a load balancer the
    // nonce can come from a backend that has our attempt's block and the receipt from one that has
    // not (a sweep whose top-up was judged so would leave that top-up's gas unbooked), and a reorg
    // can still drop the block. Taken means spent at a block the network's confirmations deep,
    // with still no receipt for any attempt.
    let taken = false;
    if (chainNonce > nonce) {
      const final = Math.max(0, (await provider.getBlockNumber()) - chains.network(last.network).confirmations + 1);
      taken = (await provider.getTransactionCount(last.from_address, final)) > nonce;
      if (await minedAttempt(provider, rows)) return { mined: true };
    }
    // Everything the sender still has to pay for, from its next nonce on chain up to this one.
    const queued = await pool.query<{ raw: string }>(
      `SELECT DISTINCT ON (nonce) raw FROM signed_transactions
       WHERE network = $1 AND from_address = $2 AND nonce >= $3 AND nonce <= $4 ORDER BY nonce, attempt DESC`,
      [last.network, last.from_address, chainNonce, nonce],
    );
    const required = queued.rows
      .map((r) => Transaction.from(r.raw))
      .reduce((sum, tx) => sum + tx.gasLimit * (tx.maxFeePerGas ?? tx.gasPrice ?? 0n) + tx.value, 0n);
    const reason: StuckReason =
      chainNonce > nonce
        ? taken
          ? StuckReason.nonceTaken
          : StuckReason.waiting
        : balance < required
          ? StuckReason.unfunded
          : chainNonce < nonce
            ? StuckReason.nonceGap
            : (await isUnderpriced(provider, last)) && !(await replacementFees(pool, last, await currentFees(provider)))
              ? StuckReason.gasPolicy
              : StuckReason.waiting;
    return {
      mined: false,
      reason,
      address: last.from_address,
      balance: balance.toString(),
      required: required.toString(),
      nonce,
      chainNonce,
    };
  }

  return { signTransaction, broadcastTransaction, checkTransaction, replaceTransaction, diagnoseTransaction };
}

async function minedAttempt(provider: JsonRpcProvider, rows: StoredRow[]) {
  for (const row of rows) {
    const receipt = await provider.getTransactionReceipt(row.tx_hash);
    if (receipt && receipt.blockNumber != null) return { row, receipt };
  }
  return undefined;
}

/** Whether blocks now ask more than the attempt offers (base fee plus the usual tip, or the gas price). */
async function isUnderpriced(provider: JsonRpcProvider, last: StoredRow): Promise<boolean> {
  const asked = await blocksAsk(provider, last.tx_type === 2 ? 2 : 0);
  return asked !== undefined && BigInt(last.max_fee_per_gas) < asked;
}

/** The node already holds this exact transaction: sending it again changed nothing. */
export function isAlreadyKnown(err: unknown): boolean {
  if (isError(err, 'NONCE_EXPIRED')) return false;
  const message = String((err as { message?: string })?.message ?? err);
  return /already known|already imported|known transaction|already exists/i.test(message);
}

function buildTransaction(t: {
  to: string;
  data: string;
  value: bigint;
  nonce: number;
  gasLimit: bigint;
  chainId: number;
  fees: Fees;
}) {
  const base = { to: t.to, data: t.data, value: t.value, nonce: t.nonce, gasLimit: t.gasLimit, chainId: t.chainId };
  return t.fees.type === 2
    ? { ...base, type: 2, maxFeePerGas: t.fees.maxFee, maxPriorityFeePerGas: t.fees.priority }
    : { ...base, type: 0, gasPrice: t.fees.maxFee };
}

async function insertAttempt(
  db: PoolClient,
  purpose: string,
  attempt: number,
  network: string,
  from: string,
  to: string,
  nonce: number,
  gasLimit: bigint,
  fees: Fees,
  raw: string,
): Promise<StoredRow> {
  const hash = Transaction.from(raw).hash!.toLowerCase();
  const row = await db.query<StoredRow>(
    `INSERT INTO signed_transactions (purpose, attempt, network, from_address, to_address, nonce, tx_type, tx_hash, raw,
       gas_limit, max_fee_per_gas, max_priority_fee_per_gas)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING *`,
    [
      purpose,
      attempt,
      network,
      from,
      to.toLowerCase(),
      nonce,
      fees.type,
      hash,
      raw,
      gasLimit.toString(),
      fees.maxFee.toString(),
      fees.priority.toString(),
    ],
  );
  return row.rows[0]!;
}

function summary(row: StoredRow): SignedTxSummary {
  const tx = Transaction.from(row.raw);
  return {
    purpose: row.purpose,
    hash: row.tx_hash,
    from: row.from_address,
    nonce: Number(row.nonce),
    attempt: row.attempt,
    maxCost: (BigInt(row.gas_limit) * BigInt(row.max_fee_per_gas) + tx.value).toString(),
    maxGasCost: (BigInt(row.gas_limit) * BigInt(row.max_fee_per_gas)).toString(),
  };
}
