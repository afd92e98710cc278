import type { JsonRpcProvider, Log } from 'ethers';

/**
 * eth_getLogs over [from, to], halving the range whenever the node refuses it (public BSC nodes
 * cap the span or the result size) until single blocks; a single block that still fails throws.
 */
export async function getLogsSplitting(
  provider: JsonRpcProvider,
  filter: { address: string[]; topics: string[] },
  from: number,
  to: number,
): Promise<Log[]> {
  try {
    return await provider.getLogs({ ...filter, fromBlock: from, toBlock: to });
  } catch (err) {
    if (from >= to) throw err;
    const mid = Math.floor((from + to) / 2);
    const left = await getLogsSplitting(provider, filter, from, mid);
    const right = await getLogsSplitting(provider, filter, mid + 1, to);
    return [...left, ...right];
  }
}
