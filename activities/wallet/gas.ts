import { ApplicationFailure } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { type JsonRpcProvider, parseEther } from 'ethers';
import type { Pool } from 'pg';
import type { NetworkConfig } from '../../domain/networks';
import type { SignedTxSummary } from '../../domain/withdrawals';
import type { ChainProviders } from '../chain/providers';
import type { TxRequest } from '../signing/transactions';
import type { HdWallet } from './hd-wallet';
import { sendFaucetRefill, settleFaucetRefills } from './faucet-refill';
import { ensureHotAddress, HOT_INDEX } from './hot-wallet';

/** Below this the test-mode faucet refills a hot address; irrelevant on live networks. */
const TEST_HOT_GAS_FLOOR = parseEther('1');
const TEST_HOT_GAS_REFILL = parseEther('10');
/** How long one call waits for its refills to become final before handing back to the workflow's retry. */
const REFILL_WAIT_MS = 40_000;
/** A lagging node's stale balance could ask for refill after refill; never more than this per call. */
const MAX_REFILLS_PER_CALL = 2;
/** A top-up covers this many times the sweep's worst-case cost, leaving room for fee-bumped replacements. */
const TOP_UP_MULTIPLIER = 3n;

export interface GasTopUpInput {
  purpose: string;
  network: string;
  merchantId: string;
  livemode: boolean;
  /** Deposit address that must pay for its sweep. */
  target: string;
  /** Native base units the target's transaction's gas may cost at most (its value not included). */
  needed: string;
}

export function createGasActivities(
  pool: Pool,
  chains: ChainProviders,
  wallet: HdWallet,
  signTransaction: (req: TxRequest) => Promise<SignedTxSummary>,
) {
  /**
   * Makes sure the hot address holds native coin for gas. On non-live networks the local faucet
   * refills it; on live networks funding it is the operator's job, so this waits (by retrying) for that.
   */
  async function ensureHotGas(input: { network: string; merchantId: string; livemode: boolean }): Promise<string> {
    const network = chains.network(input.network);
    const provider = chains.get(input.network);
    const hot = await ensureHotAddress(pool, wallet, input.merchantId, input.livemode, input.network);
    if (!network.livemode) return refillFromFaucet(input, network, provider, hot);
    const balance = await provider.getBalance(hot);
    if (balance === 0n)
      throw ApplicationFailure.retryable(
        `hot address ${hot} on ${network.id} has no ${network.native.symbol} for gas`,
        'HotWalletNoGas',
      );
    return balance.toString();
  }

  /**
   * Tops a test-mode hot address up from the local faucet (Settle's gas money, not the merchant's)
   * and returns once every refill sent to it is final: the network's confirmations deep, or replaced.
   * The sweeps and transfers signed next rely on that gas, and a refill booked while a reorg can still
   * take it would leave the ledger holding coin the chain does not. Refills an earlier attempt sent
   * (before a crash or a timeout) are settled first, even when the address no longer needs gas.
   */
  async function refillFromFaucet(
    input: { merchantId: string; livemode: boolean },
    network: NetworkConfig,
    provider: JsonRpcProvider,
    hot: string,
  ) {
    const target = { network: network.id, to: hot, confirmations: network.confirmations };
    const deadline = Date.now() + REFILL_WAIT_MS;
    for (let sent = 0; ;) {
      if ((await settleFaucetRefills(pool, provider, target)) === 0) {
        const balance = await provider.getBalance(hot);
        if (balance >= TEST_HOT_GAS_FLOOR) return balance.toString();
        if (sent === MAX_REFILLS_PER_CALL)
          throw ApplicationFailure.retryable(
            `hot address ${hot} is below the gas floor after ${sent} refills`,
            'FaucetRefillShort',
          );
        await sendFaucetRefill(pool, provider, {
          network: network.id,
          currency: network.native.symbol,
          merchantId: input.merchantId,
          livemode: input.livemode,
          to: hot,
          amount: TEST_HOT_GAS_REFILL,
        });
        sent++;
      } else if (Date.now() > deadline) {
        throw ApplicationFailure.retryable(`a gas refill to ${hot} is not final yet`, 'FaucetRefillPending');
      } else {
        await sleep(Math.min(Math.max(network.blockTimeMs / 2, 100), 1_000));
      }
    }
  }

  /**
   * Signs (once) a native transfer from the hot address to a deposit address that cannot pay for
   * its sweep, or returns null when it already can. The answer is recorded in the workflow's
   * history, so a retry never re-decides after a top-up was signed.
   *
   * Native coin customers paid to the address is the merchant's, not gas budget: the address must
   * hold the gas on top of it (a native sweep's own value is part of what is owed).
   */
  async function prepareGasTopUp(input: GasTopUpInput): Promise<SignedTxSummary | null> {
    const signed = await pool.query('SELECT 1 FROM signed_transactions WHERE purpose = $1 LIMIT 1', [input.purpose]);
    const hotSigner = { merchantId: input.merchantId, livemode: input.livemode, index: HOT_INDEX };
    const request = (value: bigint): TxRequest => ({
      purpose: input.purpose,
      network: input.network,
      signer: hotSigner,
      to: input.target,
      value: value.toString(),
    });
    if (signed.rowCount) return signTransaction(request(0n));
    const balance = await chains.get(input.network).getBalance(input.target);
    const owed = await nativeOwed(input.network, input.target);
    const gas = BigInt(input.needed);
    if (balance >= gas + owed) return null;
    return signTransaction(request(gas * TOP_UP_MULTIPLIER + owed - balance));
  }

  /** Completed native deposits to an address minus the native sweeps from it that were mined. */
  async function nativeOwed(networkId: string, address: string): Promise<bigint> {
    const symbol = chains.network(networkId).native.symbol;
    const row = await pool.query<{ owed: string }>(
      `SELECT (coalesce((SELECT sum(amount) FROM deposits WHERE network = $1 AND to_address = $2 AND currency = $3
                 AND status = 'completed'), 0)
             - coalesce((SELECT sum(amount) FROM sweeps WHERE network = $1 AND from_address = $2 AND currency = $3
                 AND mined AND NOT reverted), 0))::text AS owed`,
      [networkId, address.toLowerCase(), symbol],
    );
    return BigInt(row.rows[0]!.owed);
  }

  return { ensureHotGas, prepareGasTopUp };
}
