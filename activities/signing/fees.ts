import type { JsonRpcProvider } from 'ethers';
import type { NetworkConfig } from '../../domain/networks';

/** What a transaction offers per gas: EIP-1559 max fee and tip, or a legacy gas price (both fields). */
export interface Fees {
  type: 0 | 2;
  maxFee: bigint;
  priority: bigint;
}

/** Gas of a plain native transfer, and so of every gas top-up. */
export const NATIVE_TRANSFER_GAS = 21_000n;
const GAS_LIMIT_MARGIN_PERCENT = 130n;

/** The network's ceiling on the fee per gas (`maxFeePerGas`), if it sets one. */
export const networkFeeCeiling = (network: NetworkConfig): bigint | undefined =>
  network.maxFeePerGas === undefined ? undefined : BigInt(network.maxFeePerGas);

/** The lowest of the given ceilings on the fee per gas (wei); undefined when none is set. */
export function lowestCeiling(...ceilings: Array<bigint | undefined>): bigint | undefined {
  return ceilings.reduce<bigint | undefined>(
    (low, c) => (c === undefined || (low !== undefined && low <= c) ? low : c),
    undefined,
  );
}

/** Applies a ceiling on the fee per gas; the tip never exceeds the fee it is part of. */
export function capFees(fees: Fees, ceiling: bigint | undefined): Fees {
  if (ceiling === undefined) return fees;
  const maxFee = fees.maxFee < ceiling ? fees.maxFee : ceiling;
  return { ...fees, maxFee, priority: fees.priority < maxFee ? fees.priority : maxFee };
}

export async function currentFees(provider: JsonRpcProvider): Promise<Fees> {
  const fee = await provider.getFeeData();
  if (fee.maxFeePerGas != null && fee.maxPriorityFeePerGas != null) {
    return { type: 2, maxFee: fee.maxFeePerGas, priority: fee.maxPriorityFeePerGas };
  }
  if (fee.gasPrice == null) throw new Error('node reported no fee data');
  return { type: 0, maxFee: fee.gasPrice, priority: fee.gasPrice };
}

/**
 * What blocks ask per gas now for a transaction of this type: the latest base fee plus the usual
 * tip, or the gas price (legacy transactions, networks without EIP-1559); undefined if the node says neither.
 */
export async function blocksAsk(provider: JsonRpcProvider, type: 0 | 2): Promise<bigint | undefined> {
  const [block, fee] = await Promise.all([provider.getBlock('latest'), provider.getFeeData()]);
  if (type === 2 && block?.baseFeePerGas != null) return block.baseFeePerGas + (fee.maxPriorityFeePerGas ?? 0n);
  return fee.gasPrice ?? undefined;
}

/** The gas limit Settle signs a call with: the node's estimate plus a margin; a plain transfer's is fixed. */
export async function estimateGasLimit(
  provider: JsonRpcProvider,
  tx: { from: string; to: string; data?: string; value: bigint },
): Promise<bigint> {
  if (!tx.data || tx.data === '0x') return NATIVE_TRANSFER_GAS;
  const estimate = await provider.estimateGas(tx);
  return (estimate * GAS_LIMIT_MARGIN_PERCENT) / 100n;
}
