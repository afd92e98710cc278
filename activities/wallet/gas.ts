import { ApplicationFailure } from '@temporalio/common';
import { parseEther } from 'ethers';
import type { Pool } from 'pg';
import type { SignedTxSummary } from '../../domain/withdrawals';
import type { ChainProviders } from '../chain/providers';
import type { TxRequest } from '../signing/transactions';
import type { HdWallet } from './hd-wallet';
import { sendFaucetRefill } from './faucet-refill';
import { ensureHotAddress, HOT_INDEX } from './hot-wallet';

/** Below this the test-mode faucet refills a hot address; irrelevant on live networks. */
const TEST_HOT_GAS_FLOOR = parseEther('1');
const TEST_HOT_GAS_REFILL = parseEther('10');
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
    const balance = await provider.getBalance(hot);
    if (network.livemode) {
      if (balance === 0n)
        throw ApplicationFailure.retryable(
          `hot address ${hot} on ${network.id} has no ${network.native.symbol} for gas`,
          'HotWalletNoGas',
        );
      return balance.toString();
    }
    if (balance >= TEST_HOT_GAS_FLOOR) return balance.toString();
    // Settle's gas money, not the merchant's: booked so the ledger's native coin equals the chain's.
    const hash = await sendFaucetRefill(pool, provider, {
      network: input.network,
      currency: network.native.symbol,
      merchantId: input.merchantId,
      livemode: input.livemode,
      to: hot,
      amount: TEST_HOT_GAS_REFILL,
    });
    await provider.waitForTransaction(hash);
    return (await provider.getBalance(hot)).toString();
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
