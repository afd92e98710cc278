import type { JsonRpcProvider, Log } from 'ethers';
import { TRANSFER_TOPIC } from './erc20';
import type { ScannedBlock } from './fetch-blocks';
import { getLogsSplitting } from './get-logs-split';
import { bloomMayContain } from './logs-bloom';

export interface CoveredLogs {
  logs: Log[];
  /** How many of the blocks (from the first) the logs are known to cover completely. */
  coveredBlocks: number;
}

/**
 * Token Transfer logs of exactly the given blocks, never silently short. Behind a load balancer
 * eth_getLogs may come from a backend whose index lags its blocks (it answers [] for blocks it
 * has not indexed) or that sits on another fork. Each block's share of the range answer is
 * checked against the block itself: every log must carry the block's hash, and a block whose
 * header bloom says it may hold a matching log but got none is asked again by block hash
 * (EIP-234: a node that does not know the hash errors instead of answering []). Per-block
 * indexing is atomic, so a block is either wholly in an answer or absent from it.
 *
 * Once `outOfTime()` says so, it stops before the next block it would have to ask again.
 */
export async function transferLogsOf(
  provider: JsonRpcProvider,
  contracts: string[],
  blocks: ScannedBlock[],
  outOfTime: () => boolean = () => false,
): Promise<CoveredLogs> {
  if (!contracts.length || !blocks.length) return { logs: [], coveredBlocks: blocks.length };
  const filter = { address: contracts, topics: [TRANSFER_TOPIC] };
  const ranged = await getLogsSplitting(provider, filter, blocks[0]!.number, blocks[blocks.length - 1]!.number);
  const byBlock = new Map<number, Log[]>();
  for (const log of ranged) byBlock.set(log.blockNumber, [...(byBlock.get(log.blockNumber) ?? []), log]);

  const logs: Log[] = [];
  for (const [i, block] of blocks.entries()) {
    const answered = byBlock.get(block.number) ?? [];
    const sameBlock = answered.every((l) => l.blockHash === block.hash);
    const complete = answered.length > 0 || !bloomMayContain(block.logsBloom, contracts, TRANSFER_TOPIC);
    if (sameBlock && complete) {
      logs.push(...answered);
      continue;
    }
    if (i > 0 && outOfTime()) return { logs, coveredBlocks: i };
    try {
      const exact = await provider.getLogs({ ...filter, blockHash: block.hash });
      if (!exact.every((l) => l.blockHash === block.hash)) throw new Error(`logs for block ${block.hash} name another block`);
      logs.push(...exact);
    } catch {
      // Usually the index is a block behind (it does not know the hash yet): scan what is covered
      // and come back after a poll interval rather than backing off as if the node were down.
      return { logs, coveredBlocks: i };
    }
  }
  return { logs, coveredBlocks: blocks.length };
}
